"""Delivery: nothing lost, doubled or reordered across drops, crashes and bursts."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import socketio

from tests.conftest import AGENT_PASSWORD
from tests.support import (
    ServerProcess,
    TcpProxy,
    agent,
    call,
    login,
    new_client_id,
    shopper,
)


async def _all_messages(url: str, token: str) -> list[dict[str, Any]]:
    """Every message of the shopper's conversation, paging through sync."""
    async with shopper(url, auth={"token": token}) as (widget, _):
        found: list[dict[str, Any]] = []
        conversation_id = None
        while True:
            after = found[-1]["seq"] if found else 0
            page = await call(
                widget, "/shopper", "sync", {"conversation_id": conversation_id, "after_seq": after}
            )
            if page["conversation"] is None:
                return []
            conversation_id = page["conversation"]["id"]
            found.extend(page["messages"])
            if not page["more"]:
                return found


async def test_dropped_connection_while_sending_loses_and_doubles_nothing(
    server: ServerProcess,
) -> None:
    """Messages in flight when the network drops arrive exactly once, in order, after a resend."""
    host, port = server.url.removeprefix("http://").split(":")
    proxy = TcpProxy(host, int(port))
    await proxy.start()
    try:
        async with shopper(server.url) as (widget, _):
            token = (await call(widget, "/shopper", "sync"))["token"]
        texts = [f"bericht {i}" for i in range(30)]
        ids = [new_client_id() for _ in texts]
        acked: set[str] = set()
        some_through = asyncio.Event()

        client = socketio.AsyncClient(reconnection=False)
        await client.connect(
            proxy.url, namespaces=["/shopper"], transports=["websocket"], auth={"token": token}
        )

        async def send(client_id: str, text: str) -> None:
            try:
                ack = await client.call(
                    "message",
                    {"client_id": client_id, "text": text},
                    namespace="/shopper",
                    timeout=3,
                )
            except (socketio.exceptions.TimeoutError, socketio.exceptions.BadNamespaceError):
                return
            if ack.get("ok"):
                acked.add(client_id)
                if len(acked) >= 5:
                    some_through.set()

        sending = [asyncio.create_task(send(i, t)) for i, t in zip(ids, texts, strict=True)]
        # Let some get through, then pull the cable.
        await asyncio.wait_for(some_through.wait(), 10)
        proxy.cut()
        await asyncio.gather(*sending)
        await client.disconnect()
        assert 5 <= len(acked) < len(texts) or len(acked) == len(texts)

        # The client resends everything it has no ack for, with the same client ids.
        async with shopper(server.url, auth={"token": token}) as (widget, _):
            await call(widget, "/shopper", "sync")
            for client_id, text in zip(ids, texts, strict=True):
                if client_id not in acked:
                    ack = await call(
                        widget, "/shopper", "message", {"client_id": client_id, "text": text}
                    )
                    assert ack["ok"]
            # And a resend of a message already stored is recognised as a duplicate.
            first_id = next(i for i in ids if i in acked)
            first_text = texts[ids.index(first_id)]
            again = await call(
                widget, "/shopper", "message", {"client_id": first_id, "text": first_text}
            )
            assert again["duplicate"] is True

        everything = await _all_messages(server.url, token)
        assert [m["seq"] for m in everything] == list(range(1, len(everything) + 1))
        # Nobody is online, so the bot answers too; the shopper's messages are what count.
        stored = [m for m in everything if m["author"] == "shopper"]
        assert sorted(m["text"] for m in stored) == sorted(texts)
        # Acked messages kept the order in which they were sent.
        acked_order = [m["client_id"] for m in stored if m["client_id"] in acked]
        assert acked_order == [i for i in ids if i in acked]
    finally:
        await proxy.close()


async def test_sigkill_mid_conversation_loses_no_acked_message(config_path: Path) -> None:
    """After a SIGKILL and a restart every acked message is there and the conversation goes on."""
    first = ServerProcess(config_path)
    first.start()
    try:
        agent_token = await login(first.url, "anna", AGENT_PASSWORD)
        async with agent(first.url, agent_token) as (desk, _), shopper(first.url) as (widget, _):
            token = (await call(widget, "/shopper", "sync"))["token"]
            opened = await call(
                widget, "/shopper", "message", {"client_id": new_client_id(), "text": "hallo"}
            )
            conversation_id = opened["conversation"]["id"]
            await call(desk, "/agent", "take", {"conversation_id": conversation_id})
            acked: list[str] = ["hallo"]
            ids = [new_client_id() for _ in range(36)]
            twenty_acked = asyncio.Event()
            # Ten messages in flight at a time (a quick typist with a slow network),
            # within the per-connection rate limit.
            window = asyncio.Semaphore(10)

            async def send(i: int) -> None:
                async with window:
                    try:
                        ack = await widget.call(
                            "message",
                            {"client_id": ids[i], "text": f"m{i}"},
                            namespace="/shopper",
                            timeout=5,
                        )
                    except Exception:
                        return
                    if ack.get("ok"):
                        acked.append(f"m{i}")
                        if len(acked) >= 20:
                            twenty_acked.set()

            tasks = [asyncio.create_task(send(i)) for i in range(36)]
            await asyncio.wait_for(twenty_acked.wait(), 10)
            first.kill()
            await asyncio.gather(*tasks)
    finally:
        first.stop()

    second = ServerProcess(config_path)
    second.start()
    try:
        stored = await _all_messages(second.url, token)
        texts = [m["text"] for m in stored]
        assert set(acked) <= set(texts)
        assert [m["seq"] for m in stored] == list(range(1, len(stored) + 1))

        # The widget sends again what it has no ack for, and may send again what it has:
        # whatever reached the store before the kill is recognised by its client id (read
        # back from the store), the rest is stored now, each message once.
        before = {m["client_id"]: m for m in stored}
        async with shopper(second.url, auth={"token": token}) as (widget, _):
            await call(widget, "/shopper", "sync")
            for i, client_id in enumerate(ids):
                resent = await call(
                    widget, "/shopper", "message", {"client_id": client_id, "text": f"m{i}"}
                )
                assert resent["duplicate"] is (client_id in before)
                if client_id in before:
                    assert resent["message"]["seq"] == before[client_id]["seq"]
        stored = await _all_messages(second.url, token)
        resends = [m["client_id"] for m in stored if m["author"] == "shopper" and m["seq"] > 1]
        assert sorted(resends) == sorted(ids)
        assert [m["seq"] for m in stored] == list(range(1, len(stored) + 1))

        agent_token = await login(second.url, "anna", AGENT_PASSWORD)
        async with (
            agent(second.url, agent_token) as (desk, _),
            shopper(second.url, auth={"token": token}) as (widget, widget_inbox),
        ):
            synced = await call(desk, "/agent", "sync")
            (conversation,) = [c for c in synced["conversations"] if c["id"] == conversation_id]
            assert conversation["state"] == "assigned" and conversation["agent"]["name"] == "anna"
            await call(widget, "/shopper", "sync")
            reply = await call(
                desk,
                "/agent",
                "message",
                {
                    "conversation_id": conversation_id,
                    "client_id": new_client_id(),
                    "text": "Ik ben er weer",
                },
            )
            assert reply["message"]["seq"] == len(stored) + 1
            got = await widget_inbox.wait_for("message", lambda m: m["author"] == "agent")
            assert got["text"] == "Ik ben er weer"
    finally:
        second.stop()


async def test_fifty_shoppers_twenty_quick_messages_each(server: ServerProcess) -> None:
    """50 shoppers sending 20 messages as fast as they can: each stored once, in send order."""

    async def one_shopper(n: int) -> tuple[str, list[str]]:
        async with shopper(server.url) as (widget, _):
            token = (await call(widget, "/shopper", "sync"))["token"]
            texts = [f"shopper {n} bericht {i}" for i in range(20)]
            acks = await asyncio.gather(
                *[
                    widget.call(
                        "message",
                        {"client_id": new_client_id(), "text": t},
                        namespace="/shopper",
                        timeout=20,
                    )
                    for t in texts
                ]
            )
            assert all(a["ok"] for a in acks), [a for a in acks if not a["ok"]][:1]
            return token, texts

    results = await asyncio.gather(*[one_shopper(n) for n in range(50)])
    for token, texts in results:
        stored = await _all_messages(server.url, token)
        assert [m["seq"] for m in stored] == list(range(1, len(stored) + 1))
        # The bot answers in between (nobody is online); the shopper's own are in send order.
        assert [m["text"] for m in stored if m["author"] == "shopper"] == texts
