"""The bot in a running server: answers, suggestions, honest don't-knows, FAQ reloads."""

from __future__ import annotations

import aiohttp

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
