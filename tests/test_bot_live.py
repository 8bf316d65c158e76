"""The bot in a running server: answers, suggestions, honest don't-knows, FAQ reloads."""

from __future__ import annotations

import os
import time
from pathlib import Path

import aiohttp
import pytest

from tests.support import ServerProcess, call, new_client_id, shopper


async def _ask(url: str, text: str, locale: str = "nl") -> dict:  # type: ignore[type-arg]
    async with shopper(url, auth={"locale": locale}) as (widget, inbox):
        await call(widget, "/shopper", "message", {"client_id": new_client_id(), "text": text})
        return await inbox.wait_for("message", lambda m: m["author"] == "bot")  # type: ignore[no-any-return]


async def test_bot_answers_a_faq_question_when_nobody_is_online(server: ServerProcess) -> None:
    """With no agent online the bot answers a question the FAQ covers, offering feedback."""
    reply = await _ask(server.url, "Hoe lang duurt de levering?")
    assert reply["meta"]["kind"] == "answer"
    assert reply["meta"]["feedback"] is True and reply["meta"]["question_seq"] == 1
    assert reply["text"]


async def test_bot_says_honestly_when_it_does_not_know(server: ServerProcess) -> None:
    """Gibberish gets an honest "I don't know" with the offer to leave a question."""
    reply = await _ask(server.url, "qwxz vlorp brnk", locale="en")
    assert reply["meta"]["kind"] == "unknown"
    assert reply["meta"]["offer"] == "leave_question"
    assert "not sure" in reply["text"]


async def test_healthz_reports_the_faq(server: ServerProcess) -> None:
    """/healthz includes the FAQ: how many entries are live and any file errors."""
    async with aiohttp.ClientSession() as http, http.get(f"{server.url}/healthz") as response:
        body = await response.json()
    assert body["checks"]["faq"]["entries"] >= 80
    assert body["checks"]["faq"]["errors"] == []


def _encoder_children(pid: int) -> list[int]:
    """The server's child processes running the sentence encoder."""
    found = []
    for task in os.listdir(f"/proc/{pid}/task"):
        for child in Path(f"/proc/{pid}/task/{task}/children").read_text().split():
            if b"loket.bot.encoder_process" in Path(f"/proc/{child}/cmdline").read_bytes():
                found.append(int(child))
    return found


def _ended(pid: int, seconds: float = 10.0) -> bool:
    """Whether `pid` exits within `seconds` (a zombie nobody reaps counts as ended)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except FileNotFoundError:
            return True
        if stat[stat.rindex(")") + 2] in "ZX":
            return True
        time.sleep(0.05)
    return False


@pytest.mark.parametrize("how", ["stop", "crash"])
async def test_the_encoder_runs_beside_the_server_and_ends_with_it(
    config_path: Path, how: str
) -> None:
    """`loket serve` encodes questions in one child process, which ends when the server
    stops and when it crashes (SIGKILL: no cleanup)."""
    server = ServerProcess(config_path)
    server.start()
    try:
        assert server.process is not None
        (child,) = _encoder_children(server.process.pid)
        reply = await _ask(server.url, "Hoe lang duurt de levering?")
        assert reply["meta"]["kind"] == "answer"
        assert _encoder_children(server.process.pid) == [child]
        async with aiohttp.ClientSession() as http, http.get(f"{server.url}/healthz") as got:
            meaning = (await got.json())["checks"]["faq"]["meaning"]
        assert meaning == {
            "on": True,
            "encoder_process": child,
            "encoder_processes_started": 1,
            "words_alone_for_cpu_share": 0,
        }
    finally:
        if how == "crash":
            server.kill()
        else:
            server.stop()
    assert _ended(child)
