"""Bad input: every malformed or abusive event gets an error ack, and nothing is stored."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import socketio

from loket.auth import customer_signature
from loket.plaintext import is_plain
from tests.conftest import AGENT_PASSWORD
from tests.inprocess import running
from tests.support import (
    ServerProcess,
    agent,
    call,
    login,
    new_client_id,
    shopper,
    write_config,
)

# As in tests/support.write_config.
SHOP_SECRET = "shop-secret-0123456789abcdef"


async def _stored_texts(url: str, token: str) -> list[str]:
    async with shopper(url, auth={"token": token}) as (widget, _):
        synced = await call(widget, "/shopper", "sync")
        # The bot may have answered; only what the shopper sent matters here.
        return [m["text"] for m in synced["messages"] if m["author"] == "shopper"]


@pytest.mark.parametrize(
    ("payload", "code"),
    [
        ({"client_id": "abc", "text": "hoi"}, "invalid_payload"),  # client id too short
        ({"client_id": "x" * 10}, "invalid_payload"),  # text missing
        ({"client_id": "x" * 10, "text": 42}, "invalid_payload"),  # wrong type
        ({"client_id": "x" * 10, "text": "hoi", "admin": True}, "invalid_payload"),  # unknown field
        ({"client_id": "x" * 10, "text": "a" * 2001}, "message_too_long"),
        ({"client_id": "x" * 10, "text": "bel\x07me"}, "invalid_text"),
        # Half of an emoji: valid JSON, but no text the store can hold.
        ({"client_id": "x" * 10, "text": "half an emoji \ud83d"}, "invalid_text"),
        # A client id of the kind the server makes for the bot's answers.
        ({"client_id": "bot:abcdefgh:0", "text": "hoi"}, "invalid_payload"),
        ({"client_id": "joined:2:1795000000000:3", "text": "hoi"}, "invalid_payload"),
        ({"client_id": "requeued:2:1795000000000:3", "text": "hoi"}, "invalid_payload"),
        ({"client_id": "x" * 10, "text": "   \n "}, "empty_text"),
        # Byte order marks are white space to the widget's trim(), so to the server too.
        ({"client_id": "x" * 10, "text": "\ufeff \ufeff"}, "empty_text"),
        ({"client_id": "x" * 10, "text": "\ufeff" + "a" * 2001}, "message_too_long"),
        # Characters that show nothing: an empty bubble, a "don't know" and a missed question.
        ({"client_id": "x" * 10, "text": "\u200b"}, "empty_text"),
        ({"client_id": "x" * 10, "text": " \u200b\u200d\u2060 \u00ad\n"}, "empty_text"),
        ({"client_id": "x" * 10, "text": "\u3164\u200e\u2800"}, "empty_text"),
        ("just a string", "invalid_payload"),
        ([1, 2, 3], "invalid_payload"),
    ],
)
async def test_malformed_messages_are_refused_and_not_stored(
    server: ServerProcess, payload: Any, code: str
) -> None:
    """Each kind of malformed message gets its error code, and the connection stays usable."""
    async with shopper(server.url) as (widget, _):
        token = (await call(widget, "/shopper", "sync"))["token"]
        ack = await call(widget, "/shopper", "message", payload)
        assert ack["ok"] is False and ack["error"]["code"] == code, ack
        assert ack["error"]["message"]
        fine = await call(
            widget, "/shopper", "message", {"client_id": new_client_id(), "text": "ok"}
        )
        assert fine["ok"]
    assert await _stored_texts(server.url, token) == ["ok"]


async def test_unknown_event_and_extra_arguments(server: ServerProcess) -> None:
    """An unknown event, or one with two payloads, is refused and the connection stays."""
    async with shopper(server.url) as (widget, _):
        ack = await call(widget, "/shopper", "delete_everything", {})
        assert ack["error"]["code"] == "unknown_event"
        two = await widget.call("sync", ({}, {}), namespace="/shopper", timeout=5)
        assert two["error"]["code"] == "invalid_payload"
        assert (await call(widget, "/shopper", "sync"))["ok"]


async def test_message_too_long_reports_the_limit(server: ServerProcess) -> None:
    """The too-long refusal says what the limit is, so a client can tell the shopper."""
    async with shopper(server.url) as (widget, _):
        ack = await call(
            widget, "/shopper", "message", {"client_id": new_client_id(), "text": "x" * 5000}
        )
        assert ack["error"] == {
            "code": "message_too_long",
            "message": "The message is longer than 2000 characters.",
            "max_chars": 2000,
        }


async def test_flood_is_rate_limited_then_disconnected(server: ServerProcess) -> None:
    """Past the burst, events are refused with rate_limited; a flooding client is cut off."""
    async with shopper(server.url) as (widget, _):
        token = (await call(widget, "/shopper", "sync"))["token"]
        codes = []
        for _ in range(45):
            ack = await call(widget, "/shopper", "typing", {"typing": True})
            codes.append("ok" if ack["ok"] else ack["error"]["code"])
        assert "rate_limited" in codes
        assert codes.index("rate_limited") >= 35
        refused = await call(
            widget, "/shopper", "message", {"client_id": new_client_id(), "text": "x"}
        )
        assert refused["error"]["code"] == "rate_limited" and refused["error"]["retry_after"] > 0
        disconnected = False
        for _ in range(80):
            try:
                await widget.call("typing", {"typing": True}, namespace="/shopper", timeout=2)
            except (socketio.exceptions.TimeoutError, socketio.exceptions.BadNamespaceError):
                disconnected = True
                break
        assert disconnected
    assert await _stored_texts(server.url, token) == []


async def test_oversized_packet_closes_the_connection(server: ServerProcess) -> None:
    """A packet over the engine's size limit is not processed; the client is disconnected."""
    async with shopper(server.url) as (widget, _):
        token = (await call(widget, "/shopper", "sync"))["token"]
        with pytest.raises(
            (socketio.exceptions.TimeoutError, socketio.exceptions.BadNamespaceError)
        ):
            await widget.call(
                "message",
                {"client_id": new_client_id(), "text": "x" * 200_000},
                namespace="/shopper",
                timeout=3,
            )
    assert await _stored_texts(server.url, token) == []


async def test_origin_not_in_the_allow_list_is_refused(server: ServerProcess) -> None:
    """A page from an origin that is not configured cannot open the shopper namespace."""
    refusals: list[Any] = []
    client = socketio.AsyncClient(reconnection=False)
    client.on("connect_error", refusals.append, namespace="/shopper")
    with pytest.raises(socketio.exceptions.ConnectionError):
        await client.connect(
            server.url,
            namespaces=["/shopper"],
            transports=["websocket"],
            headers={"Origin": "https://evil.example"},
            wait_timeout=5,
        )
    assert refusals[0]["data"]["code"] == "origin_not_allowed"
    async with shopper(server.url, headers={"Origin": "http://shop.test"}) as (widget, _):
        assert (await call(widget, "/shopper", "sync"))["ok"]


async def test_forged_visitor_token_is_refused(server: ServerProcess) -> None:
    """An altered visitor token cannot connect, so nobody can guess their way into a history."""
    async with shopper(server.url) as (widget, _):
        token = (await call(widget, "/shopper", "sync"))["token"]
        await call(widget, "/shopper", "message", {"client_id": new_client_id(), "text": "geheim"})
    forged = token[:-3] + ("aaa" if not token.endswith("aaa") else "bbb")
    refusals: list[Any] = []
    client = socketio.AsyncClient(reconnection=False)
    client.on("connect_error", refusals.append, namespace="/shopper")
    with pytest.raises(socketio.exceptions.ConnectionError):
        await client.connect(
            server.url,
            namespaces=["/shopper"],
            transports=["websocket"],
            auth={"token": forged},
            wait_timeout=5,
        )
    assert refusals and refusals[0]["data"]["code"] == "invalid_token"


async def test_agent_events_without_login_are_refused(server: ServerProcess) -> None:
    """The agent namespace refuses connections without a valid session token."""
    for auth in ({}, {"token": "not-a-session"}):
        refusals: list[Any] = []
        client = socketio.AsyncClient(reconnection=False)
        client.on("connect_error", refusals.append, namespace="/agent")
        with pytest.raises(socketio.exceptions.ConnectionError):
            await client.connect(
                server.url,
                namespaces=["/agent"],
                transports=["websocket"],
                auth=auth,
                wait_timeout=5,
            )
        assert refusals[0]["data"]["code"] == "unauthorized"


async def test_a_malformed_contact_is_explained_in_words(server: ServerProcess) -> None:
    """A left question with an address that is no e-mail address, or a phone number with
    too few digits to call, is refused with a reason a shopper can read, not the pattern
    it failed."""
    async with shopper(server.url) as (widget, _):
        ack = await call(
            widget,
            "/shopper",
            "leave_question",
            {"client_id": new_client_id(), "text": "Waar blijft mijn pakket?", "email": "nee"},
        )
    assert ack["error"]["code"] == "invalid_payload"
    assert ack["error"]["message"] == "email: this is not an e-mail address"
    # Nobody can be called back on "06-1234" or "((( )))": too few digits, and said so.
    async with shopper(server.url) as (widget, _):
        for phone in ("06-1234", "(((-)))", "+31 6 123"):
            ack = await call(
                widget,
                "/shopper",
                "leave_question",
                {"client_id": new_client_id(), "text": "Bel me terug", "phone": phone},
            )
            assert ack["error"]["code"] == "invalid_payload", phone
            assert ack["error"]["message"].startswith("phone: this is not a phone number"), ack
        ack = await call(
            widget,
            "/shopper",
            "leave_question",
            {"client_id": new_client_id(), "text": "Bel me terug", "phone": "020 123 4567"},
        )
        assert ack["ok"], ack


async def _connections(url: str, namespace: str) -> float:
    async with aiohttp.ClientSession() as http, http.get(f"{url}/metrics") as response:
        text = await response.text()
    found = re.search(rf'^loket_connections{{namespace="{namespace}"}} (\S+)$', text, re.MULTILINE)
    assert found, text
    return float(found.group(1))


async def test_events_named_like_a_connections_life_are_unknown_events(
    server: ServerProcess,
) -> None:
    """A shopper's event named connect, disconnect or connect_error is refused as unknown: it
    neither sets the connection up afresh (with a full rate bucket) nor ends it."""
    async with shopper(server.url) as (widget, _):
        for name in ("connect", "disconnect", "connect_error"):
            ack = await widget.call(name, ({}, {}), namespace="/shopper", timeout=5)
            assert ack["ok"] is False and ack["error"]["code"] == "unknown_event", (name, ack)
        assert await _connections(server.url, "shopper") == 1
        codes = []
        for _ in range(45):
            ack = await call(widget, "/shopper", "typing", {"typing": True})
            codes.append("ok" if ack["ok"] else ack["error"]["code"])
        assert "rate_limited" in codes
        await widget.call("connect", ({}, {}), namespace="/shopper", timeout=5)
        still = await call(widget, "/shopper", "sync")
        assert still["ok"] is False and still["error"]["code"] == "rate_limited"


async def test_a_disconnect_event_leaves_the_agent_online(server: ServerProcess) -> None:
    """An agent's console that sends an event named disconnect stays online for routing and
    transfers: only a real disconnect counts."""
    token = await login(server.url, "bram", AGENT_PASSWORD)
    async with agent(server.url, token) as (desk, _):
        me = (await call(desk, "/agent", "sync"))["agent"]["id"]
        ack = await desk.call("disconnect", "client namespace disconnect", namespace="/agent")
        assert ack["error"]["code"] == "unknown_event"
        synced = await call(desk, "/agent", "sync")
        assert me in [a["id"] for a in synced["agents"]]
        assert await _connections(server.url, "agent") == 1


async def test_half_a_character_is_answered_and_a_broken_page_title_mended(
    server: ServerProcess,
) -> None:
    """JSON with a lone surrogate (half an emoji, as a browser sends a title cut in the middle
    of one) gets an answer: the connection is accepted with the title mended, and a message
    text holding one is refused with invalid_text instead of being left without an ack."""
    token = await login(server.url, "anna", AGENT_PASSWORD)
    auth = {"page": {"url": "https://shop.test/sale", "title": "Sale \ud83d"}}
    async with agent(server.url, token) as (desk, _), shopper(server.url, auth=auth) as (widget, _):
        await call(widget, "/shopper", "sync")
        half = await widget.call(
            "message",
            {"client_id": new_client_id(), "text": "half an emoji \ud83d"},
            namespace="/shopper",
            timeout=5,
        )
        assert half["error"]["code"] == "invalid_text"
        page = {"url": "https://shop.test/sale", "title": "Sale \ud83d\u202e"}
        sent = await call(
            widget,
            "/shopper",
            "message",
            {"client_id": new_client_id(), "text": "hoi", "page": page},
        )
        assert sent["ok"], sent
        synced = await call(desk, "/agent", "sync")
        (seen,) = [c for c in synced["conversations"] if c["id"] == sent["conversation"]["id"]]
        # The half character replaced, the direction override taken out.
        assert seen["page"]["title"] == "Sale \ufffd"


async def test_direction_marks_are_taken_out_not_refused(server: ServerProcess) -> None:
    """A phone number copied from a phone's contacts comes wrapped in direction marks
    (U+202A ... U+202C): the message and a left question's phone number are kept without
    them, and an override can no longer make a text read backwards."""
    async with shopper(server.url) as (widget, _):
        sent = await call(
            widget,
            "/shopper",
            "message",
            {"client_id": new_client_id(), "text": "Bel me op \u202a+31 6 12345678\u202c aub"},
        )
        assert sent["ok"] and sent["message"]["text"] == "Bel me op +31 6 12345678 aub", sent
        left = await call(
            widget,
            "/shopper",
            "leave_question",
            {"client_id": new_client_id(), "text": "Bel me", "phone": "\u2066020 123 4567\u2069"},
        )
        assert left["ok"], left
        flipped = await call(
            widget, "/shopper", "message", {"client_id": new_client_id(), "text": "abc\u202edef"}
        )
        assert flipped["message"]["text"] == "abcdef"


async def test_every_free_text_field_keeps_the_text_rule(server: ServerProcess) -> None:
    """Control characters are refused with invalid_text in every
    free-text field a client sends, not only in message text; a vouched customer's name and
    e-mail address, like the page title, are mended rather than refused."""
    anna = await login(server.url, "anna", AGENT_PASSWORD)
    async with agent(server.url, anna) as (desk, _):
        async with shopper(server.url) as (widget, widget_inbox):
            left = {"client_id": new_client_id(), "text": "Bel me terug"}
            for contact in (
                {"email": "x\u0007\u202elc.evil@b.nl"},
                {"email": "anna@shop.test\u0085"},
                {"phone": "0612345678\x1b"},
            ):
                ack = await call(widget, "/shopper", "leave_question", {**left, **contact})
                assert ack["error"]["code"] == "invalid_text", (contact, ack)
            sent = await call(
                widget, "/shopper", "message", {"client_id": new_client_id(), "text": "hoi"}
            )
            ref = {"conversation_id": sent["conversation"]["id"]}
            await widget_inbox.wait_for("conversation", lambda c: c["state"] == "assigned")
            for event, payload in (
                ("transfer", {**ref, "to_agent_id": None, "note": "ruil\x07"}),
                ("close", {**ref, "summary": "klaar\x1b[2J"}),
                ("faq_search", {"query": "retour\x00"}),
            ):
                ack = await call(desk, "/agent", event, payload)
                assert ack["error"]["code"] == "invalid_text", (event, ack)
            # A transfer that names nobody is refused, not taken for "back to the queue"
            # (that is `to_agent_id: null`), and the conversation stays.
            ack = await call(desk, "/agent", "transfer", ref)
            assert ack["error"]["code"] == "invalid_payload", ack
            assert "to_agent_id" in ack["error"]["message"]
            kept = await call(desk, "/agent", "open", ref)
            assert kept["conversation"]["state"] == "assigned"
            assert (await call(desk, "/agent", "close", ref))["ok"]
            rated = await call(widget, "/shopper", "rate", {"rating": 2, "comment": "\x08gnirts"})
            assert rated["error"]["code"] == "invalid_text"
            assert (await call(widget, "/shopper", "rate", {"rating": 2, "comment": "Traag"}))["ok"]
            texts = [m["text"] for m in (await call(widget, "/shopper", "sync"))["messages"]]
            assert all(is_plain(text) for text in texts), texts
        signature = customer_signature(SHOP_SECRET, "c-42")
        customer = {
            "id": "c-42",
            "signature": signature,
            "name": "\u202eAnna",
            "email": "a@b.nl\x07",
        }
        async with shopper(server.url, auth={"customer": customer}) as (widget, _):
            assert (await call(widget, "/shopper", "sync"))["identity"] == "verified"
            sent = await call(
                widget, "/shopper", "message", {"client_id": new_client_id(), "text": "hoi"}
            )
            synced = await call(desk, "/agent", "sync")
            (seen,) = [c for c in synced["conversations"] if c["id"] == sent["conversation"]["id"]]
            assert seen["shopper"]["name"] == "Anna"
            assert seen["shopper"]["email"] == "a@b.nl\ufffd"


async def _refusal(url: str, namespace: str, headers: dict[str, str]) -> dict[str, Any]:
    """The `data` of the connect_error of a connection that is refused."""
    refusals: list[Any] = []
    client = socketio.AsyncClient(reconnection=False)
    client.on("connect_error", refusals.append, namespace=namespace)
    with pytest.raises(socketio.exceptions.ConnectionError):
        await client.connect(
            url, namespaces=[namespace], transports=["websocket"], headers=headers, wait_timeout=5
        )
    data: dict[str, Any] = refusals[0]["data"]
    return data


async def test_an_address_opens_only_so_many_connections_a_minute(tmp_path: Path) -> None:
    """Reconnecting buys no endless fresh event buckets: past `limits.connections_per_minute`
    new connections from one address, in either namespace, are refused with rate_limited.
    Behind a trusted proxy the address is the last one it names, whatever the client put
    before it; other addresses, and this machine itself, are not held back."""
    config = write_config(tmp_path, "[limits]\nconnections_per_minute = 3\n")
    config.write_text(config.read_text().replace("[server]\n", "[server]\ntrust_proxy = true\n"))

    def via(*hops: str) -> dict[str, str]:
        return {"X-Forwarded-For": ", ".join(hops)}

    async with running(config) as live:
        for spoofed in ("10.1.1.1", "10.2.2.2"):
            async with shopper(live.url, headers=via(spoofed, "203.0.113.7")) as (widget, _):
                assert (await call(widget, "/shopper", "sync"))["ok"]
        # An agent connection counts too (here one without a session, refused for that).
        assert (await _refusal(live.url, "/agent", via("203.0.113.7")))["code"] == "unauthorized"
        refused = await _refusal(live.url, "/shopper", via("10.3.3.3", "203.0.113.7"))
        assert refused["code"] == "rate_limited" and refused["retry_after"] >= 1
        async with shopper(live.url, headers=via("203.0.113.8")) as (widget, _):
            assert (await call(widget, "/shopper", "sync"))["ok"]
        for _ in range(4):
            async with shopper(live.url) as (widget, _):
                assert (await call(widget, "/shopper", "sync"))["ok"]
