"""HTTP: health, metrics and the static bundles."""

from __future__ import annotations

import asyncio
import os
import re
import sqlite3
import stat
from pathlib import Path
from typing import Any

import aiohttp

from tests.conftest import AGENT_PASSWORD
from tests.inprocess import running
from tests.support import (
    ServerProcess,
    agent,
    call,
    edit_config,
    login,
    new_client_id,
    shopper,
)


async def test_healthz_reports_the_store(server: ServerProcess) -> None:
    """/healthz answers JSON with the store's check."""
    async with aiohttp.ClientSession() as http, http.get(f"{server.url}/healthz") as response:
        assert response.status == 200
        body = await response.json()
    assert body["status"] == "ok" and body["checks"]["store"]["ok"] is True


async def test_metrics_count_connections_conversations_and_messages(server: ServerProcess) -> None:
    """/metrics speaks Prometheus text and reflects live connections, states and messages."""
    token = await login(server.url, "anna", AGENT_PASSWORD)
    async with agent(server.url, token) as _, shopper(server.url) as (widget, _):
        await call(widget, "/shopper", "message", {"client_id": new_client_id(), "text": "hallo"})
        async with aiohttp.ClientSession() as http, http.get(f"{server.url}/metrics") as response:
            assert response.status == 200
            assert response.headers["Content-Type"].startswith("text/plain")
            text = await response.text()
    values = dict(re.findall(r"^(loket_\S+) (\S+)$", text, re.MULTILINE))
    assert values['loket_connections{namespace="shopper"}'] == "1.0"
    assert values['loket_connections{namespace="agent"}'] == "1.0"
    assert values['loket_conversations{state="assigned"}'] == "1.0"
    assert values['loket_messages_total{author="shopper"}'] == "1.0"
    assert values["loket_bot_words_alone_for_cpu_share"] == "0.0"
    # The shopper's message was written and synced; the loop's lag is exported.
    assert float(values["loket_store_transaction_seconds"]) > 0
    assert float(values["loket_store_sync_seconds"]) > 0
    assert 'loket_event_loop_lag_seconds_bucket{le="0.1"}' in values
    assert (
        'loket_event_handling_seconds_bucket{event="message",le="0.005",namespace="shopper"}'
        in values
    )


async def test_static_bundles_and_pages_are_served(server: ServerProcess) -> None:
    """The widget, the console and the demo shop are served with safe headers."""
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{server.url}/widget.js") as response:
            assert response.status == 200
            assert response.headers["Content-Type"].startswith("text/javascript")
        async with http.get(f"{server.url}/console/") as response:
            assert response.status == 200
            assert "script-src 'self'" in response.headers["Content-Security-Policy"]
            assert '<script src="console.js">' in await response.text()
        async with http.get(f"{server.url}/demo/") as response:
            assert response.status == 200 and "/widget.js" in await response.text()
        async with http.get(f"{server.url}/demo/../config.toml") as response:
            assert response.status == 404


async def test_without_the_demo_shop_the_root_leads_to_the_console(config_path: Path) -> None:
    """`[server] demo = false`, as in production: no demo shop, and / opens the console."""
    edit_config(config_path, 'allowed_origins = ["http://shop.test"]', "{old}\ndemo = false")
    async with running(config_path) as live, aiohttp.ClientSession() as http:
        async with http.get(f"{live.url}/", allow_redirects=False) as response:
            assert response.status == 302 and response.headers["Location"] == "console/"
        async with http.get(f"{live.url}/demo/") as response:
            assert response.status == 404
        async with http.get(f"{live.url}/widget.js") as response:
            assert response.status == 200


async def test_generated_secret_is_private_and_kept(tmp_path: os.PathLike[str]) -> None:
    """Without a configured secret, one is generated once, readable only by its owner."""
    from pathlib import Path

    folder = Path(tmp_path)
    config = folder / "config.toml"
    config.write_text('[server]\nport = 0\ndata_dir = "data"\n', encoding="utf-8")
    async with running(config) as live:
        secret_file = folder / "data" / "secret.key"
        assert stat.S_IMODE(secret_file.stat().st_mode) == 0o600
        first = secret_file.read_text()
        assert live.url
        # So are the data folder and the store (password hashes, shoppers' addresses).
        assert stat.S_IMODE((folder / "data").stat().st_mode) == 0o700
        for name in ("loket.db", "loket.db-wal", "loket.db-shm"):
            assert stat.S_IMODE((folder / "data" / name).stat().st_mode) == 0o600, name
    async with running(config):
        assert secret_file.read_text() == first


async def test_a_store_others_could_read_is_made_private_at_start(config_path: Path) -> None:
    """A store file every user of the machine could read (made before Loket kept its files
    private, or copied so) loses that permission when the server starts, with a line in
    the log; its group keeps what it had (a backup user's, say)."""
    store = config_path.parent / "data" / "loket.db"
    store.chmod(0o644)
    async with running(config_path) as live:
        assert live.url
        assert stat.S_IMODE(store.stat().st_mode) == 0o640


async def test_a_disk_that_refuses_writes_shows_in_health_and_errors(config_path: Path) -> None:
    """While the disk refuses writes (full, here simulated), messages and logins get a
    `store_failed` error in JSON, and /healthz says the store is failing until a write
    succeeds again."""
    async with running(config_path) as live:
        database = live.services.store.db
        write = database._run_transaction
        full = [True]

        def refusing(ops: Any) -> Any:
            if full[0]:
                raise sqlite3.OperationalError("database or disk is full")
            return write(ops)

        database._run_transaction = refusing  # type: ignore[method-assign]
        async with aiohttp.ClientSession() as http, shopper(live.url) as (widget, _):
            message = {"client_id": new_client_id(), "text": "Is mijn pakket onderweg?"}
            refused = await call(widget, "/shopper", "message", message)
            assert refused["error"]["code"] == "store_failed", refused
            async with http.get(f"{live.url}/healthz") as response:
                health = await response.json()
                assert response.status == 503 and health["status"] == "failing"
                assert "database or disk is full" in health["checks"]["store"]["error"]
            credentials = {"name": "anna", "password": AGENT_PASSWORD}
            async with http.post(f"{live.url}/api/login", json=credentials) as response:
                assert response.status == 503
                assert (await response.json())["error"]["code"] == "store_failed"

            full[0] = False
            assert (await call(widget, "/shopper", "message", message))["ok"]
            async with http.get(f"{live.url}/healthz") as response:
                assert response.status == 200 and (await response.json())["status"] == "ok"


async def test_json_nested_past_the_parser_is_a_clear_refusal(server: ServerProcess) -> None:
    """A body nested deeper than the JSON parser goes is a 400 like any other bad body: no
    500, no traceback in the log; an id too large for the store is a 404."""
    async with (
        aiohttp.ClientSession() as http,
        http.post(
            f"{server.url}/api/login",
            data="[" * 5000,
            headers={"Content-Type": "application/json"},
        ) as response,
    ):
        assert response.status == 400
        assert (await response.json())["error"]["code"] == "invalid_payload"
    # A body that is not what its Content-Encoding says (aiohttp closes the connection after
    # the answer, so read as curl does), and half a character.
    host, port = server.url.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    body = b"not gzip at all"
    writer.write(
        b"POST /api/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Content-Encoding: gzip\r\nConnection: close\r\n"
        b"Content-Length: %d\r\n\r\n%s" % (len(body), body)
    )
    answer = await reader.read()
    writer.close()
    assert answer.startswith(b"HTTP/1.1 400") and b'"invalid_payload"' in answer, answer
    async with (
        aiohttp.ClientSession() as http,
        http.post(
            f"{server.url}/api/login",
            data=b'{"name": "\\ud800", "password": "x"}',
            headers={"Content-Type": "application/json"},
        ) as response,
    ):
        assert response.status == 400
        assert (await response.json())["error"]["code"] == "invalid_payload"
    token = await login(server.url, "admin", AGENT_PASSWORD)
    async with aiohttp.ClientSession() as http:
        for learned_id in ("99999999999999999999", "0", "٣", "-1"):
            async with http.post(
                f"{server.url}/api/admin/learned/{learned_id}",
                json={"action": "reject"},
                headers={"Authorization": f"Bearer {token}"},
            ) as response:
                assert response.status == 404, learned_id
                assert (await response.json())["error"]["code"] == "not_found"
    await asyncio.sleep(0.2)
    assert not [line for line in server.output if "Traceback" in line], server.output[-5:]
    told = [line for line in server.output if "no valid HTTP" in line]
    assert len(told) == 1 and "content-encoding" in told[0].lower(), told
