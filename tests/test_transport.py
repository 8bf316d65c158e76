"""The wire layer: the small send queue, the JSON of Socket.IO packets."""

from __future__ import annotations

import asyncio
from pathlib import Path

import aiohttp
import pytest

from loket.realtime.transport import FastJson, SendQueue, TextPacket
from tests.inprocess import running
from tests.support import write_config


async def test_send_queue_hands_items_over_in_order() -> None:
    """Items come out in the order they went in, to a waiting getter or later."""
    queue = SendQueue()
    waiting = queue.get()
    await queue.put("a")
    queue.put_nowait("b")
    queue.put_nowait("c")
    assert await waiting == "a"
    assert await queue.get() == "b"
    assert queue.get_nowait() == "c"
    assert queue.empty() and queue.qsize() == 0
    with pytest.raises(asyncio.QueueEmpty):
        queue.get_nowait()


async def test_send_queue_survives_a_getter_that_timed_out() -> None:
    """engine.io waits with a timeout; an item put after it gave up is not lost."""
    queue = SendQueue()
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(queue.get(), 0.01)
    queue.put_nowait("late")
    assert await asyncio.wait_for(queue.get(), 1) == "late"


async def test_send_queue_join_waits_for_every_item_to_be_done() -> None:
    """join() returns once task_done() was called for each item, as asyncio.Queue's does."""
    queue = SendQueue()
    await queue.join()
    queue.put_nowait(1)
    queue.put_nowait(2)
    joined = asyncio.ensure_future(queue.join())
    await asyncio.sleep(0)
    assert not joined.done()
    await queue.get()
    queue.task_done()
    await asyncio.sleep(0)
    assert not joined.done()
    queue.get_nowait()
    queue.task_done()
    await asyncio.wait_for(joined, 1)
    with pytest.raises(ValueError, match="too many"):
        queue.task_done()


def test_packets_are_compact_json_text() -> None:
    """Events and acks encode as Socket.IO v5 text; odd values fall back to the json module."""
    event = TextPacket(2, ["message", {"text": "héllo", "seq": 1, "meta": None}], "/shopper")
    assert event.encode() == '2/shopper,["message",{"text":"héllo","seq":1,"meta":null}]'
    ack = TextPacket(3, [{"ok": True, "big": 2**70, "b": b"x".decode()}], "/agent", id=7)
    assert ack.encode() == '3/agent,7[{"ok":true,"big":1180591620717411303424,"b":"x"}]'
    assert FastJson.loads('{"a":[1,2.5,"x"]}') == {"a": [1, 2.5, "x"]}
    with pytest.raises(ValueError):
        FastJson.loads("{not json")


async def test_the_heartbeat_pings_a_connection_and_notices_silence(tmp_path: Path) -> None:
    """The server pings every ping interval; a client that answers stays, one that does not
    is dropped after the ping timeout."""
    config = write_config(tmp_path, "[routing]\nheartbeat_interval_seconds = 1\n")
    async with running(config) as live, aiohttp.ClientSession() as http:
        url = live.url.replace("http", "ws") + "/socket.io/?EIO=4&transport=websocket"
        async with http.ws_connect(url) as answering, http.ws_connect(url) as silent:
            assert (await answering.receive_str()).startswith("0{")
            assert (await silent.receive_str()).startswith("0{")
            for _ in range(3):
                assert await asyncio.wait_for(answering.receive_str(), 3) == "2"
                await answering.send_str("3")
            assert await asyncio.wait_for(silent.receive_str(), 3) == "2"
            closed = await asyncio.wait_for(silent.receive(), 30)
            assert closed.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED)
            assert not answering.closed
