"""A shopper's data deleted on request (`loket shoppers forget`), and old conversations
deleted after `store.keep_days`."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from pathlib import Path
from typing import Any

import aiohttp

from loket import erasure
from loket.auth import customer_signature
from tests.conftest import AGENT_PASSWORD
from tests.inprocess import running
from tests.support import (
    ServerProcess,
    agent,
    call,
    edit_config,
    login,
    new_client_id,
    run_loket,
    shopper,
)

SHOP_SECRET = "shop-secret-0123456789abcdef"
EMAIL = "sanne@example.nl"


def _database(config: Path) -> sqlite3.Connection:
    return sqlite3.connect(config.parent / "data" / "loket.db")


def _count(config: Path, sql: str, *params: Any) -> int:
    database = _database(config)
    try:
        return int(database.execute(sql, params).fetchone()[0])
    finally:
        database.close()


def _closed_long_ago(config: Path, days: float) -> None:
    """Move every closed conversation's closing `days` back (the clock, at its boundary)."""
    database = _database(config)
    with database:
        database.execute(
            "UPDATE conversations SET closed_at = closed_at - ? WHERE state = 'closed'",
            (int(days * 86_400_000),),
        )
    database.close()


async def _two_shoppers(url: str) -> tuple[int, int]:
    """Sanne (vouched for, with her e-mail) writes her address and leaves a question; anna
    answers and closes her conversation. Another shopper writes and stays with the bot.
    Their conversations' numbers."""
    claim = {
        "id": "c-1",
        "signature": customer_signature(SHOP_SECRET, "c-1"),
        "name": "Sanne Jansen",
        "email": EMAIL,
    }
    async with shopper(url, auth={"locale": "nl", "customer": claim}) as (widget, _):
        sent = await call(
            widget,
            "/shopper",
            "message",
            {"client_id": new_client_id(), "text": "Ik woon op Kerkstraat 12, kan dat?"},
        )
        left = await call(
            widget,
            "/shopper",
            "leave_question",
            {"client_id": new_client_id(), "text": "Bel me over de bank", "email": EMAIL},
        )
        assert left["ok"], left
    sanne = sent["conversation"]["id"]
    async with shopper(url, auth={"locale": "nl"}) as (widget, _):
        other = await call(
            widget, "/shopper", "message", {"client_id": new_client_id(), "text": "Hoi daar"}
        )
        left = await call(
            widget,
            "/shopper",
            "leave_question",
            {"client_id": new_client_id(), "text": "Bel me terug", "phone": "06-1234 5678"},
        )
        assert left["ok"], left
    token = await login(url, "anna", AGENT_PASSWORD)
    async with agent(url, token) as (desk, _):
        ref = {"conversation_id": sanne}
        await call(desk, "/agent", "take", ref)
        await call(
            desk,
            "/agent",
            "message",
            {**ref, "client_id": new_client_id(), "text": "Ja hoor, we bezorgen daar gewoon."},
        )
        assert (await call(desk, "/agent", "close", ref))["ok"]
    return sanne, other["conversation"]["id"]


async def _written_and_closed(url: str, widget: Any) -> int:
    """The shopper writes their address; anna takes the conversation and closes it. Its number."""
    sent = await call(
        widget,
        "/shopper",
        "message",
        {"client_id": new_client_id(), "text": "Ik woon op Kerkstraat 12, kan dat?"},
    )
    first = int(sent["conversation"]["id"])
    token = await login(url, "anna", AGENT_PASSWORD)
    async with agent(url, token) as (desk, _):
        await call(desk, "/agent", "take", {"conversation_id": first})
        assert (await call(desk, "/agent", "close", {"conversation_id": first}))["ok"]
    return first


async def test_a_shopper_is_forgotten_on_request_and_nobody_else(config_path: Path) -> None:
    """An erasure request by e-mail address: refused while a server runs on the data (it
    holds shoppers in memory), told first what would go, then her conversation, messages,
    left question and shopper record are deleted; the other shopper's stay."""
    async with running(config_path) as live:
        sanne, other = await _two_shoppers(live.url)
    server = ServerProcess(config_path)
    server.start()
    try:
        code, _, err = await run_loket(config_path, "shoppers", "forget", "--email", EMAIL)
    finally:
        server.stop()
    assert code == 1 and "a Loket server is running on the data folder" in err, err
    assert "Forget a shopper" in err, err

    code, out, _ = await run_loket(config_path, "shoppers", "forget", "--email", EMAIL.upper())
    assert code == 0 and f"would delete 1 shopper(s) and their 1 conversation(s) ({sanne})" in out
    # Her address came with her signed customer id, from the shop's page: the page's word.
    assert "given by the shop's page with customer c-1" in out, out
    assert _count(config_path, "SELECT COUNT(*) FROM messages WHERE text LIKE '%Kerkstraat%'") == 1

    code, out, err = await run_loket(config_path, "shoppers", "forget", "--email", EMAIL, "--yes")
    assert code == 0 and "1 conversation," in out and "1 left question," in out, (out, err)
    for sql, params in [
        ("SELECT COUNT(*) FROM messages WHERE conversation_id = ?", (sanne,)),
        ("SELECT COUNT(*) FROM conversations WHERE id = ?", (sanne,)),
        ("SELECT COUNT(*) FROM callbacks WHERE email = ?", (EMAIL,)),
        ("SELECT COUNT(*) FROM shoppers WHERE email = ? OR customer_id = 'c-1'", (EMAIL,)),
        ("SELECT COUNT(*) FROM learned WHERE conversation_id = ?", (sanne,)),
    ]:
        assert _count(config_path, sql, *params) == 0, sql
    assert _count(config_path, "SELECT COUNT(*) FROM messages WHERE conversation_id = ?", other)

    # The other shopper's conversation is still with the bot: refused, nothing deleted.
    code, _, err = await run_loket(
        config_path, "shoppers", "forget", "--conversation", str(other), "--yes"
    )
    assert (
        code == 1 and f"conversation(s) {other} still open: start the server, close them" in err
    ), err
    code, _, err = await run_loket(config_path, "shoppers", "forget", "--email", EMAIL)
    assert code == 1 and "no shopper found" in err
    code, _, err = await run_loket(config_path, "shoppers", "forget", "--email", " ")
    assert code == 2 and "give a value" in err, err


async def test_conversations_closed_longer_ago_than_kept_are_deleted(config_path: Path) -> None:
    """With `store.keep_days = 30`, the server deletes, at start and hourly, conversations
    closed more than 30 days ago with all kept of them; one closed since, and the shopper
    who has it, stay."""
    async with running(config_path) as live:
        sanne, other = await _two_shoppers(live.url)
    _closed_long_ago(config_path, days=31)
    # A month later Sanne is back with a new question, closed just now: that one stays.
    async with running(config_path) as live:
        recent, _ = await _two_shoppers(live.url)
    assert recent != sanne
    edit_config(config_path, "[bot]", "[store]\nkeep_days = 30\n\n{old}")
    async with running(config_path):
        for _ in range(100):
            if not _count(config_path, "SELECT COUNT(*) FROM conversations WHERE id = ?", sanne):
                break
            await asyncio.sleep(0.05)
    assert _count(config_path, "SELECT COUNT(*) FROM conversations WHERE id = ?", sanne) == 0
    assert (
        _count(config_path, "SELECT COUNT(*) FROM messages WHERE conversation_id = ?", sanne) == 0
    )
    assert not _count(
        config_path, "SELECT COUNT(*) FROM callbacks WHERE conversation_id = ?", sanne
    )
    assert _count(config_path, "SELECT COUNT(*) FROM conversations WHERE id = ?", other) == 1
    assert _count(config_path, "SELECT COUNT(*) FROM conversations WHERE id = ?", recent) == 1
    assert _count(config_path, "SELECT COUNT(*) FROM shoppers WHERE customer_id = 'c-1'") == 1


async def test_a_shopper_forgotten_while_their_tab_is_open_can_write_again(
    config_path: Path,
) -> None:
    """Their conversations deleted by `store.keep_days` while the widget stays connected
    (the server holds their record and conversation in memory): their next message starts
    afresh instead of failing on a record that is gone."""
    async with (
        running(config_path) as live,
        shopper(live.url, auth={"locale": "nl"}) as (widget, _),
    ):
        first = await _written_and_closed(live.url, widget)
        assert (await call(widget, "/shopper", "sync"))["conversation"]["id"] == first
        _closed_long_ago(config_path, days=2)
        conversations = live.services.conversations
        counts = await conversations.forget_closed_before(int(time.time() * 1000) - 86_400_000)
        assert counts["conversations"] == 1, counts
        again = await call(
            widget, "/shopper", "message", {"client_id": new_client_id(), "text": "Nog een vraag"}
        )
        assert again["ok"], again
        # A new number: the tab showing the old conversation takes nothing for it.
        assert again["conversation"]["id"] != first
    assert _count(config_path, "SELECT COUNT(*) FROM messages WHERE text LIKE '%Kerkstraat%'") == 0
    # The newest conversation keeps its row (its number is not given again), emptied.
    assert _count(
        config_path,
        "SELECT COUNT(*) FROM conversations c JOIN shoppers s ON s.id = c.shopper_id"
        " WHERE c.id = ? AND c.page_url IS NULL AND c.locale IS NULL"
        " AND s.public_id LIKE 'forgotten:%' AND s.name IS NULL AND s.email IS NULL",
        first,
    )
    assert not _count(config_path, "SELECT COUNT(*) FROM messages WHERE conversation_id = ?", first)


async def _forget(url: str, token: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    headers = {"Authorization": f"Bearer {token}"}
    async with (
        aiohttp.ClientSession() as http,
        http.post(url + "/api/admin/forget", json=body, headers=headers) as response,
    ):
        return response.status, await response.json()


async def test_an_admin_forgets_a_shopper_while_the_server_runs(config_path: Path) -> None:
    """The console's erasure (`POST /api/admin/forget`): only for admins; told first what
    would go; refused while a conversation of theirs is open; then deleted from the store
    and from memory, with their open tab disconnected and the consoles told; the other
    shopper's data stays."""
    async with running(config_path) as live:
        sanne, other = await _two_shoppers(live.url)
        admin = await login(live.url, "admin", AGENT_PASSWORD)
        anna = await login(live.url, "anna", AGENT_PASSWORD)
        status, body = await _forget(live.url, anna, {"email": EMAIL})
        assert status == 403 and body["error"]["code"] == "forbidden"
        for bad in (
            {},
            {"email": EMAIL, "shopper": 1},
            {"email": " "},
            {"shopper": "1"},
            {"conversation": True},
            {"email": EMAIL, "confirm": "yes"},
            {"shopper": 2**63},
            {"email": "a" * 321},
            {"phone": "12-345"},
            {"email": EMAIL, "expected": {"shoppers": "1"}},
        ):
            status, body = await _forget(live.url, admin, bad)
            assert status == 400 and body["error"]["code"] == "invalid_payload", (bad, body)
        status, body = await _forget(live.url, admin, {"email": "nobody@example.nl"})
        assert status == 404 and body["error"]["code"] == "not_found"

        # Asked first: nothing deleted yet.
        status, body = await _forget(live.url, admin, {"email": EMAIL.upper()})
        preview = body
        assert status == 200 and body["conversations"] == [sanne] and body["open"] == []
        assert body["deleted"] is None
        assert body["shoppers"][0]["how"] == "given by the shop's page with customer c-1", body
        assert _count(config_path, "SELECT COUNT(*) FROM messages WHERE text LIKE '%Kerkstraat%'")

        # Found by the phone number they left, written another way: their conversation is
        # open (with the bot), so a confirm is refused and nothing is deleted.
        for written in ("+31 6 12345678", "0031 612 345 678"):
            status, body = await _forget(live.url, admin, {"phone": written})
            assert status == 200 and body["open"] == [other], (written, body)
        assert body["shoppers"][0]["how"] == "left with a question", body
        status, body = await _forget(live.url, admin, {"conversation": other, "confirm": True})
        assert status == 409 and body["error"]["code"] == "conversation_open", body
        assert body["error"]["conversations"] == [other]
        assert _count(config_path, "SELECT COUNT(*) FROM messages WHERE conversation_id = ?", other)

        claim = {
            "id": "c-1",
            "signature": customer_signature(SHOP_SECRET, "c-1"),
            "email": EMAIL,
        }
        async with (
            agent(live.url, anna) as (desk, desk_inbox),
            shopper(live.url, auth={"locale": "nl", "customer": claim}) as (widget, _),
        ):
            # Her tab is open on her closed conversation, and the server holds it in memory.
            assert (await call(widget, "/shopper", "sync"))["conversation"]["id"] == sanne
            # Not what the admin was shown (another shopper matches now, say): refused.
            shown = {"shoppers": [s["id"] for s in preview["shoppers"]], "conversations": [sanne]}
            changed = {"email": EMAIL, "confirm": True, "expected": {**shown, "shoppers": []}}
            status, refused = await _forget(live.url, admin, changed)
            assert status == 409 and refused["error"]["code"] == "erasure_changed", refused
            # Confirmed twice at once (two admins, say): the second finds nobody left.
            confirmed = {"email": EMAIL, "confirm": True, "expected": shown}
            both = await asyncio.gather(
                _forget(live.url, admin, confirmed), _forget(live.url, admin, confirmed)
            )
            assert sorted(status for status, _ in both) == [200, 404], both
            status, body = next(answer for answer in both if answer[0] == 200)
            assert body["deleted"]["conversations"] == 1, body
            assert body["told"].startswith("1 shopper, 1 conversation, "), body
            assert body["deleted"]["messages"] >= 3 and body["deleted"]["left_questions"] == 1
            told = await desk_inbox.wait_for("forgotten")
            assert told == {"conversations": [sanne]}
            for _ in range(100):
                if not widget.connected:
                    break
                await asyncio.sleep(0.05)
            assert not widget.connected
            assert (await call(desk, "/agent", "open", {"conversation_id": sanne}))["error"][
                "code"
            ] == "not_found"

        # Back on the shop's page, she finds nothing of it, and can start afresh.
        async with shopper(live.url, auth={"locale": "nl", "customer": claim}) as (widget, _):
            synced = await call(widget, "/shopper", "sync")
            assert synced["conversation"] is None and synced["messages"] == [], synced
            again = await call(
                widget, "/shopper", "message", {"client_id": new_client_id(), "text": "Hoi"}
            )
            assert again["ok"] and again["conversation"]["id"] != sanne
        status, body = await _forget(live.url, admin, {"conversation": sanne})
        assert status == 404
    for sql, params in [
        ("SELECT COUNT(*) FROM messages WHERE conversation_id = ?", (sanne,)),
        ("SELECT COUNT(*) FROM conversations WHERE id = ?", (sanne,)),
        ("SELECT COUNT(*) FROM callbacks WHERE email = ?", (EMAIL,)),
        ("SELECT COUNT(*) FROM learned WHERE conversation_id = ?", (sanne,)),
        ("SELECT COUNT(*) FROM messages WHERE text LIKE '%Kerkstraat%'", ()),
    ]:
        assert _count(config_path, sql, *params) == 0, sql
    assert _count(config_path, "SELECT COUNT(*) FROM messages WHERE conversation_id = ?", other)


async def test_a_message_written_while_the_shopper_is_forgotten_starts_afresh(
    config_path: Path,
) -> None:
    """A shopper's message that waited for their lock while an erasure deleted them is
    written as a new shopper's, in a new conversation: not into the emptied row the
    erasure kept (where nothing could find it), and not refused."""
    async with (
        running(config_path) as live,
        shopper(live.url, auth={"locale": "nl"}) as (widget, _),
    ):
        first = await _written_and_closed(live.url, widget)
        conversations = live.services.conversations
        store = live.services.store
        found = await erasure.find(store, "conversation", first)
        (shopper_id,) = found
        # The erasure holds the shopper's lock (as `forget_shoppers` does) while the
        # shopper writes: their message waits for it, past the check that they exist.
        async with conversations._locks.hold(("shopper", shopper_id)):
            waiting = asyncio.create_task(
                call(widget, "/shopper", "message", {"client_id": new_client_id(), "text": "Hoi?"})
            )
            await asyncio.sleep(0.3)
            assert not waiting.done()
            survey = await erasure.survey(store, found, set())
            assert (await erasure.erase(store, survey))["conversations"] == 1
            conversations.forget_shopper(shopper_id)
        again = await waiting
        assert again["ok"], again
        assert again["conversation"]["id"] != first
        assert again["conversation"]["state"] != "closed"
        # The row kept for the deleted conversation's number is not in the figures.
        counted = [row["id"] for row in await store.conversation_figures(0)]
        assert counted == [again["conversation"]["id"]], counted
    assert not _count(config_path, "SELECT COUNT(*) FROM messages WHERE conversation_id = ?", first)
    assert _count(
        config_path,
        "SELECT COUNT(*) FROM messages m JOIN conversations c ON c.id = m.conversation_id"
        " JOIN shoppers s ON s.id = c.shopper_id WHERE m.text = 'Hoi?'"
        " AND s.public_id NOT LIKE 'forgotten:%'",
    )
