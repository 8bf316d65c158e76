"""With Redis configured: emits go through it, and a dead Redis loses nothing."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import aiohttp
import pytest

from tests.conftest import AGENT_PASSWORD
from tests.support import ServerProcess, agent, call, login, new_client_id, shopper, write_config

pytestmark = pytest.mark.redis


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[bytes], int]]:
    """A redis-server of this test's own, so it can be killed without touching anyone else's."""
    binary = shutil.which("redis-server")
    if binary is None:
        if os.environ.get("CI") == "true":
            pytest.fail("redis-server is required under CI")
        pytest.skip("redis-server is not installed")
    port = _free_port()
    process = subprocess.Popen(
        [
            binary,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(tmp_path),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                break
        time.sleep(0.05)
    else:
        process.kill()
        pytest.fail("redis-server did not start")
    yield process, port
    if process.poll() is None:
        process.kill()
        process.wait(5)


@pytest.fixture
def redis_server(
    tmp_path: Path, seeded_data: Path, private_redis: tuple[subprocess.Popen[bytes], int]
) -> Iterator[ServerProcess]:
    _, port = private_redis
    shutil.copytree(seeded_data, tmp_path / "shop" / "data")
    config = write_config(tmp_path / "shop", f'[redis]\nurl = "redis://127.0.0.1:{port}/0"\n')
    process = ServerProcess(config)
    process.start()
    yield process
    process.stop()


@pytest.fixture(params=[(5, 6), (5, 5)], ids=["own-databases", "one-database"])
def two_shops(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    seeded_data: Path,
    private_redis: tuple[subprocess.Popen[bytes], int],
) -> Iterator[tuple[ServerProcess, ServerProcess]]:
    """Two installs of their own (own data) on one Redis server: with a database number
    each, or (by mistake, or two processes started to try) the same one."""
    _, port = private_redis
    servers = []
    for name, database in zip("ab", request.param, strict=True):
        shutil.copytree(seeded_data, tmp_path / name / "data")
        redis = f'[redis]\nurl = "redis://127.0.0.1:{port}/{database}"\n'
        servers.append(ServerProcess(write_config(tmp_path / name, redis)))
    for server in servers:
        server.start()
    yield servers[0], servers[1]
    for server in servers:
        server.stop()


async def _health(url: str) -> dict:  # type: ignore[type-arg]
    async with aiohttp.ClientSession() as http, http.get(f"{url}/healthz") as response:
        return await response.json()  # type: ignore[no-any-return]


async def test_chat_through_the_redis_manager(redis_server: ServerProcess) -> None:
    """With Redis configured, shopper and agent exchange messages and /healthz checks Redis."""
    health = await _health(redis_server.url)
    assert health["status"] == "ok" and health["checks"]["redis"]["ok"] is True
    token = await login(redis_server.url, "anna", AGENT_PASSWORD)
    async with (
        agent(redis_server.url, token) as (desk, _),
        shopper(redis_server.url) as (widget, inbox),
    ):
        sent = await call(
            widget, "/shopper", "message", {"client_id": new_client_id(), "text": "hoi"}
        )
        ref = {"conversation_id": sent["conversation"]["id"]}
        await call(
            desk, "/agent", "message", {**ref, "client_id": new_client_id(), "text": "Hallo!"}
        )
        got = await inbox.wait_for("message", lambda m: m["author"] == "agent")
        assert got["text"] == "Hallo!"


async def test_installs_on_one_redis_server_never_see_each_others_chats(
    two_shops: tuple[ServerProcess, ServerProcess],
) -> None:
    """Redis channels span a server's databases; each install publishes on its own (named
    after the database and the install's own id), so shop B's agent and its shopper in
    conversation 1 get nothing of shop A's conversation 1, also on one database number."""
    shop_a, shop_b = two_shops
    token = await login(shop_b.url, "anna", AGENT_PASSWORD)
    async with (
        agent(shop_b.url, token) as (desk_b, at_desk_b),
        shopper(shop_b.url) as (widget_b, inbox_b),
        shopper(shop_a.url) as (widget_a, inbox_a),
    ):
        mine = await call(
            widget_b, "/shopper", "message", {"client_id": new_client_id(), "text": "hoi"}
        )
        theirs = await call(
            widget_a,
            "/shopper",
            "message",
            {"client_id": new_client_id(), "text": "mijn nummer is 0612345678"},
        )
        assert mine["conversation"]["id"] == theirs["conversation"]["id"] == 1
        # Shop A's bot answers its shopper: by then its emits went out through Redis.
        await inbox_a.wait_for("message", lambda m: m["author"] == "bot")
        await call(desk_b, "/agent", "sync")
        await asyncio.sleep(0.5)
        for events in (at_desk_b.events, inbox_b.events):
            assert "0612345678" not in repr(events), events


async def test_dead_redis_loses_nothing(
    redis_server: ServerProcess, private_redis: tuple[subprocess.Popen[bytes], int]
) -> None:
    """When Redis dies mid-conversation, messages are still stored, acked and delivered."""
    redis_process, _ = private_redis
    token = await login(redis_server.url, "anna", AGENT_PASSWORD)
    async with (
        agent(redis_server.url, token) as (desk, _),
        shopper(redis_server.url) as (widget, inbox),
    ):
        sent = await call(
            widget, "/shopper", "message", {"client_id": new_client_id(), "text": "een"}
        )
        ref = {"conversation_id": sent["conversation"]["id"]}
        redis_process.kill()
        redis_process.wait(5)
        second = await call(
            widget, "/shopper", "message", {"client_id": new_client_id(), "text": "twee"}
        )
        assert second["ok"] and second["message"]["seq"] == 3  # after "anna helpt je verder."
        reply = await call(
            desk, "/agent", "message", {**ref, "client_id": new_client_id(), "text": "drie"}
        )
        assert reply["ok"]
        got = await inbox.wait_for("message", lambda m: m["text"] == "drie")
        assert got["seq"] == 4
        synced = await call(widget, "/shopper", "sync")
        said = [m["text"] for m in synced["messages"] if m["author"] != "system"]
        assert said == ["een", "twee", "drie"]
    health = await _health(redis_server.url)
    assert health["status"] == "degraded"
    assert health["checks"]["redis"]["ok"] is False
    assert health["checks"]["store"]["ok"] is True
    # One warning says emits are not published, not two error lines for every emit.
    await asyncio.sleep(0.5)
    published = [line for line in redis_server.output if "publish" in line]
    assert len(published) == 1 and "Redis does not answer" in published[0], published


async def test_a_redis_that_stops_answering_holds_up_no_acknowledgement(
    redis_server: ServerProcess, private_redis: tuple[subprocess.Popen[bytes], int]
) -> None:
    """Redis accepts connections but answers nothing (stopped, not dead): messages are still
    acknowledged and delivered at once, not after the network gives up on Redis."""
    redis_process, _ = private_redis
    token = await login(redis_server.url, "anna", AGENT_PASSWORD)
    async with (
        agent(redis_server.url, token) as (desk, _),
        shopper(redis_server.url) as (widget, inbox),
    ):
        sent = await call(
            widget, "/shopper", "message", {"client_id": new_client_id(), "text": "een"}
        )
        ref = {"conversation_id": sent["conversation"]["id"]}
        redis_process.send_signal(signal.SIGSTOP)
        try:
            for text in ("twee", "drie", "vier"):
                started = time.monotonic()
                acked = await call(
                    widget, "/shopper", "message", {"client_id": new_client_id(), "text": text}
                )
                assert acked["ok"] and time.monotonic() - started < 1.0, acked
            started = time.monotonic()
            reply = await call(
                desk, "/agent", "message", {**ref, "client_id": new_client_id(), "text": "vijf"}
            )
            assert reply["ok"]
            await inbox.wait_for("message", lambda m: m["text"] == "vijf")
            assert time.monotonic() - started < 1.0
        finally:
            redis_process.send_signal(signal.SIGCONT)
        synced = await call(widget, "/shopper", "sync")
        said = [m["text"] for m in synced["messages"] if m["author"] != "system"]
        assert said == ["een", "twee", "drie", "vier", "vijf"]
