"""Bad input: every malformed or abusive event gets an error ack, and nothing is stored."""

from __future__ import annotations

from typing import Any

import pytest
import socketio

from tests.support import ServerProcess, call, new_client_id, shopper


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
        ({"client_id": "x" * 10, "text": "abc\u202edef"}, "invalid_text"),
        ({"client_id": "x" * 10, "text": "   \n "}, "empty_text"),
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
    """A left question with an address that is no e-mail address is refused with a reason a
    shopper can read, not the pattern it failed."""
    async with shopper(server.url) as (widget, _):
        ack = await call(
            widget,
            "/shopper",
            "leave_question",
            {"client_id": new_client_id(), "text": "Waar blijft mijn pakket?", "email": "nee"},
        )
    assert ack["error"]["code"] == "invalid_payload"
    assert ack["error"]["message"] == "email: this is not an e-mail address"
