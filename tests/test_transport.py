"""The wire layer: the small send queue, the JSON of Socket.IO packets."""

from __future__ import annotations

import asyncio
import contextlib
import json
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from loket.keys import SIO
from loket.realtime import transport
from loket.realtime.transport import FastJson, SendQueue, TextPacket
from tests.inprocess import running
from tests.support import ServerProcess, add_agent, login, write_config


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
    # JSON allows half of a character (orjson does not): read, for the text rule to judge.
    assert FastJson.loads('{"title":"Sale \\ud83d"}') == {"title": "Sale \ud83d"}


async def test_the_heartbeat_pings_a_connection_and_notices_silence(tmp_path: Path) -> None:
    """The server pings every ping interval; a client that answers stays, one that does not
    is dropped after the ping timeout."""
    config = write_config(
        tmp_path,
        "[routing]\nheartbeat_interval_seconds = 1\nshopper_heartbeat_interval_seconds = 1\n",
    )
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


async def test_shoppers_are_pinged_less_often_than_agent_consoles(tmp_path: Path) -> None:
    """Each connection is pinged at its namespace's interval; the longer one is announced."""
    config = write_config(
        tmp_path,
        "[routing]\nheartbeat_interval_seconds = 1\nshopper_heartbeat_interval_seconds = 3\n",
    )
    add_agent(config, "anna", "anna-password")
    async with running(config) as live, aiohttp.ClientSession() as http:
        token = await login(live.url, "anna", "anna-password")
        shopper_ws, _ = await _engine_session(http, live.url)
        agent_ws, _ = await _engine_session(http, live.url)
        opened = asyncio.get_running_loop().time()
        await shopper_ws.send_str('40/shopper,{"locale":"nl"}')
        await agent_ws.send_str("40/agent," + json.dumps({"token": token}))

        async def pings(ws: Any, until: float) -> int:
            count = 0
            loop = asyncio.get_running_loop()
            with contextlib.suppress(TimeoutError):
                while True:
                    frame = await asyncio.wait_for(ws.receive_str(), until - loop.time())
                    if frame == "2":
                        count += 1
                        await ws.send_str("3")
                    elif frame.startswith("44"):
                        raise AssertionError(f"refused: {frame}")
            return count

        # Both are first pinged within the announced 3 s (after 1.5 s at the earliest); then
        # the shopper 3 s later (by 6 s) and the console every second (4 more by 7 s).
        shopper_pings, agent_pings = await asyncio.gather(
            pings(shopper_ws, opened + 7), pings(agent_ws, opened + 7)
        )
        assert shopper_pings == 2
        assert agent_pings >= 4
        await shopper_ws.close()
        await agent_ws.close()


async def test_connections_opened_together_are_first_pinged_apart(tmp_path: Path) -> None:
    """The first ping of each connection comes in the second half of the interval, so a
    crowd that connects at once (after a restart) is not pinged in one burst ever after."""
    config = write_config(
        tmp_path,
        "[routing]\nheartbeat_interval_seconds = 2\nshopper_heartbeat_interval_seconds = 2\n",
    )
    async with running(config) as live, aiohttp.ClientSession() as http:
        loop = asyncio.get_running_loop()

        async def first_ping() -> tuple[float, float]:
            # The server's ping timer starts between these two moments: measured from the
            # first, the ping cannot come early, and from the second it cannot come late,
            # however long the handshake takes on a busy machine.
            started = loop.time()
            ws, _ = await _engine_session(http, live.url)
            opened = loop.time()
            assert await asyncio.wait_for(ws.receive_str(), 5) == "2"
            await ws.close()
            arrived = loop.time()
            return arrived - started, arrived - opened

        after = await asyncio.gather(*(first_ping() for _ in range(20)))
        assert min(since_start for since_start, _ in after) > 0.9
        assert max(since_open for _, since_open in after) < 2.3
        spread = [since_open for _, since_open in after]
        assert max(spread) - min(spread) > 0.3


async def _engine_session(http: aiohttp.ClientSession, url: str, **options: Any) -> tuple[Any, str]:
    """A raw WebSocket with an engine.io session open; returns it and the session id."""
    ws = await http.ws_connect(
        url.replace("http", "ws") + "/socket.io/?EIO=4&transport=websocket", **options
    )
    opened = await ws.receive_str()
    assert opened.startswith("0{")
    return ws, json.loads(opened[1:])["sid"]


async def test_packets_sent_in_one_turn_arrive_whole_and_in_order(tmp_path: Path) -> None:
    """Packets sent to a connection in one turn of the event loop are written together;
    each arrives as its own frame, in the order sent."""
    async with running(write_config(tmp_path)) as live, aiohttp.ClientSession() as http:
        ws, sid = await _engine_session(http, live.url)
        engine = live.app[SIO].eio
        texts = [f"packet {i} " + "x" * (i * 37 % 300) for i in range(300)]
        for text in texts:  # no await suspends here: all in one turn
            await engine.send(sid, text)
        received = [await asyncio.wait_for(ws.receive_str(), 5) for _ in texts]
        assert received == ["4" + text for text in texts]
        await ws.close()


async def test_a_client_that_stops_reading_is_cut_off(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What piles up unread for a connection is bounded: past the limit the server drops
    the connection (the client reconnects and catches up) and ends its session."""
    monkeypatch.setattr(transport, "MAX_UNREAD_BYTES", 256 * 1024)
    async with running(write_config(tmp_path)) as live, aiohttp.ClientSession() as http:
        ws, sid = await _engine_session(http, live.url)
        engine = live.app[SIO].eio
        big = "y" * 50_000
        for _ in range(400):  # 20 MB, far more than the socket buffers hold
            await engine.send(sid, big)
            await asyncio.sleep(0)
        for _ in range(100):
            if sid not in engine.sockets:
                break
            await asyncio.sleep(0.05)
        assert sid not in engine.sockets
        with contextlib.suppress(Exception):
            while not ws.closed:
                message = await asyncio.wait_for(ws.receive(), 5)
                if message.type in (aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.ERROR):
                    break
        await ws.close()


async def test_one_frame_larger_than_the_unread_limit_goes_out_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The limit is on what piles up unread, not on one packet: a reader that keeps up gets
    a packet far larger than the limit, and the connection stays."""
    monkeypatch.setattr(transport, "MAX_UNREAD_BYTES", 64 * 1024)
    async with running(write_config(tmp_path)) as live, aiohttp.ClientSession() as http:
        ws, sid = await _engine_session(http, live.url, max_msg_size=0)
        engine = live.app[SIO].eio
        big = "z" * 24_000_000  # more than the socket buffers take at once
        await engine.send(sid, big)
        await engine.send(sid, "after")
        assert await asyncio.wait_for(ws.receive_str(), 10) == "4" + big
        assert await asyncio.wait_for(ws.receive_str(), 10) == "4after"
        assert sid in engine.sockets
        await ws.close()


async def _frame(ws: Any, prefix: str) -> str:
    """The next frame that starts with `prefix` (pings and other packets are skipped)."""
    while True:
        frame = await asyncio.wait_for(ws.receive_str(), 10)
        if frame.startswith(prefix):
            return frame


async def test_a_packet_that_cannot_be_read_is_answered(tmp_path: Path) -> None:
    """An event whose JSON cannot be read, that is no list with a name first, or that is named
    like the connection's own life gets an error ack under its ack id; a connect whose auth
    cannot be read gets a connect_error. Nothing is left waiting for an answer."""
    async with running(write_config(tmp_path)) as live, aiohttp.ClientSession() as http:
        ws, _ = await _engine_session(http, live.url)
        await ws.send_str('40/shopper,{"locale":"nl"}')
        assert (await _frame(ws, "4")).startswith('40/shopper,{"sid"')
        for packet_id, data, code in (
            (7, '["message",{"client_id":"t-12345678","text":"hoi"', "invalid_payload"),
            (8, '{"event":"message"}', "invalid_payload"),
            (9, "[]", "invalid_payload"),
            (10, '["connect",{},{}]', "unknown_event"),
            (11, '["disconnect","bye"]', "unknown_event"),
        ):
            await ws.send_str(f"42/shopper,{packet_id}{data}")
            ack = await _frame(ws, f"43/shopper,{packet_id}[")
            (answer,) = json.loads(ack.removeprefix(f"43/shopper,{packet_id}"))
            assert answer["ok"] is False and answer["error"]["code"] == code, (data, answer)
        # Half an emoji is valid JSON: read, and refused by the text rule.
        await ws.send_str('42/shopper,12["message",{"client_id":"t-12345678","text":"\\ud83d"}]')
        (answer,) = json.loads((await _frame(ws, "43/shopper,12[")).removeprefix("43/shopper,12"))
        assert answer["error"]["code"] == "invalid_text"
        await ws.send_str('40/agent,{"token":')
        refused = json.loads((await _frame(ws, "44/agent,")).removeprefix("44/agent,"))
        assert refused["data"]["code"] == "invalid_payload"
        await ws.close()


async def test_input_no_client_sends_closes_the_connection_with_one_warning(
    tmp_path: Path,
) -> None:
    """A binary frame, an engine.io packet that is none, or a Socket.IO packet that is none
    closes the connection with a one-line warning naming the address: without logging in,
    nobody can fill the error log with tracebacks."""
    server = ServerProcess(write_config(tmp_path))
    server.start()
    try:
        async with aiohttp.ClientSession() as http:
            for frames in (
                [b"\x00\x01binary"],
                ["99garbage"],
                ["x"],
                ["4garbage"],
                ["49x"],
                ['451-/shopper,["message",{"_placeholder":true,"num":0}]'],
                ['40/shopper,{"locale":"nl"}', b"\x00binary after connecting"],
                # A close packet ends the connection: what follows it is not read.
                ["1", '40/shopper,{"locale":"nl"}'],
                # Only a message's data is read, and that as Socket.IO JSON.
                ["1" + "[" * 5000],
            ):
                ws, _ = await _engine_session(http, server.url)
                for frame in frames:
                    if isinstance(frame, bytes):
                        await ws.send_bytes(frame)
                    else:
                        await ws.send_str(frame)
                while True:
                    message = await asyncio.wait_for(ws.receive(), 10)
                    if message.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED):
                        break
                    assert message.type is aiohttp.WSMsgType.TEXT, (frames, message)
                    assert message.data[:1] in "14", (frames, message.data)
                await ws.close()
            # Long-polling reads Socket.IO packets the same way.
            polling = f"{server.url}/socket.io/?EIO=4&transport=polling"
            async with http.get(polling) as response:
                sid = json.loads((await response.text())[1:])["sid"]
            async with http.post(f"{polling}&sid={sid}", data="4garbage") as response:
                assert response.status == 400
        warnings = 8
        for _ in range(100):
            if sum("WARNING" in line for line in server.output) >= warnings:
                break
            await asyncio.sleep(0.05)
    finally:
        server.stop()
    log = "".join(server.output)
    refused = [line for line in server.output if "closing connection" in line]
    assert len(refused) == warnings, log
    assert all("from 127.0.0.1: it sent" in line for line in refused), log
    assert "Traceback" not in log and " ERROR " not in log, log


def test_a_text_frame_is_what_aiohttp_writes_for_each_payload_length() -> None:
    """`text_frame` builds the three length encodings of RFC 6455 as aiohttp's own writer
    does for a server (unmasked, uncompressed)."""
    from aiohttp.http_websocket import WebSocketWriter

    class Sink:
        def __init__(self) -> None:
            self.written = b""

        def write(self, data: bytes) -> None:
            self.written += data

        def is_closing(self) -> bool:
            return False

        def get_write_buffer_size(self) -> int:
            return 0

    class Protocol:
        transport: Any = None

    async def aiohttp_frame(text: str) -> bytes:
        sink = Sink()
        protocol = Protocol()
        protocol.transport = sink
        writer = WebSocketWriter(protocol, sink, use_mask=False)  # type: ignore[arg-type]
        await writer.send_frame(text.encode(), aiohttp.WSMsgType.TEXT)
        return sink.written

    for length in (0, 1, 125, 126, 65535, 65536, 70_000):
        text = "é" * (length // 2) + "x" * (length % 2)
        assert transport.text_frame(text) == asyncio.run(aiohttp_frame(text)), length


async def test_chat_packets_to_websockets_skip_engineio_and_are_framed_once(
    config_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Events and acks for clients on a WebSocket are framed once per emit and written to
    each socket's writer, not sent packet by packet through engine.io; an emit whose room
    holds only the sender (a shopper's own message, without a second tab) encodes
    nothing. (Long-polling clients, which have no such writer, are test_polling's.)"""
    from loket.realtime.transport import FrameWriter, SocketServer
    from tests.conftest import AGENT_PASSWORD
    from tests.inprocess import running as running_here
    from tests.support import agent, call, login, new_client_id, shopper

    async with running_here(config_path) as live:
        token = await login(live.url, "anna", AGENT_PASSWORD)
        async with (
            agent(live.url, token) as (desk, desk_inbox),
            agent(live.url, token) as (second_tab, second_inbox),
            shopper(live.url) as (widget, _),
        ):
            assert (await call(desk, "/agent", "sync"))["ok"]
            assert (await call(second_tab, "/agent", "sync"))["ok"]
            first = await call(
                widget, "/shopper", "message", {"client_id": new_client_id(), "text": "Hoi"}
            )
            conversation = first["conversation"]["id"]
            await call(desk, "/agent", "take", {"conversation_id": conversation})
            await asyncio.sleep(0.3)  # the take's own events are out

            engine_sends: list[Any] = []
            frames: list[bytes] = []
            encoded: list[str] = []
            real_send_packet = live.app[SIO].eio.send_packet
            real_push_frame = FrameWriter.push_frame
            real_encode = TextPacket.encode

            async def send_packet(sid: str, pkt: Any) -> None:
                engine_sends.append(pkt)
                await real_send_packet(sid, pkt)

            def push_frame(self: FrameWriter, frame: bytes) -> None:
                frames.append(frame)
                real_push_frame(self, frame)

            def encode(self: TextPacket) -> Any:
                result = real_encode(self)
                encoded.append(result)
                return result

            framed: list[str] = []
            real_text_frame = transport.text_frame

            def text_frame(text: str) -> bytes:
                framed.append(text)
                return real_text_frame(text)

            monkeypatch.setattr(transport, "text_frame", text_frame)
            monkeypatch.setattr(live.app[SIO].eio, "send_packet", send_packet)
            monkeypatch.setattr(FrameWriter, "push_frame", push_frame)
            monkeypatch.setattr(TextPacket, "encode", encode)
            sent = await call(
                widget, "/shopper", "message", {"client_id": new_client_id(), "text": "Waar?"}
            )
            assert sent["ok"]
            await desk_inbox.wait_for("message", lambda m: m["text"] == "Waar?")
            await second_inbox.wait_for("message", lambda m: m["text"] == "Waar?")
            await asyncio.sleep(0.1)
            assert engine_sends == []
            messages = [text for text in encoded if text.startswith("2/") and '"message"' in text]
            # To the agent's room only: the shopper's room held the sender alone.
            assert len(messages) == 1 and messages[0].startswith("2/agent,")
            acks = [text for text in encoded if text.startswith("3/shopper,")]
            assert len(acks) == 1
            # One frame for both of the agent's consoles: the same bytes, made once.
            assert framed.count("4" + messages[0]) == 1
            to_agent = [frame for frame in frames if frame == real_text_frame("4" + messages[0])]
            assert len(to_agent) == 2 and to_agent[0] is to_agent[1]
            assert frames.count(real_text_frame("4" + acks[0])) == 1
            assert isinstance(live.app[SIO], SocketServer)


async def test_a_socket_past_its_ping_timeout_is_not_written_to_directly(
    tmp_path: Path,
) -> None:
    """A connection whose ping has gone unanswered past the timeout gets no frame straight
    from an emit: engine.io's send path sees it and closes it, as it always did."""
    from socketio.packet import EVENT

    async with running(write_config(tmp_path)) as live, aiohttp.ClientSession() as http:
        ws, sid = await _engine_session(http, live.url)
        sio = live.app[SIO]
        engine = sio.eio
        socket = engine.sockets[sid]
        assert transport.frame_writer_of(engine, sid) is not None
        await sio._send_packet(sid, TextPacket(EVENT, data=["fresh"]))
        assert await _frame(ws, "42") == '42["fresh"]'
        socket.last_ping = 1.0  # a ping sent long ago, never answered
        assert transport.frame_writer_of(engine, sid) is None
        await sio._send_packet(sid, TextPacket(EVENT, data=["late"]))
        assert socket.closed
        assert transport.frame_writer_of(engine, sid) is None
        assert transport.frame_writer_of(engine, "no-such-session") is None
        await ws.close()


async def test_an_event_for_a_connection_already_gone_is_refused_quietly(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """An event handled after its connection went (its session is no more) is answered
    `unauthorized`, as one from a connection never set up: no internal error, no traceback
    in the log."""
    async with running(write_config(tmp_path)) as live:
        shopper_ns = live.app[SIO].namespace_handlers["/shopper"]
        assert shopper_ns.client_now("gone") is None
        with caplog.at_level("WARNING"):
            answer = await shopper_ns.trigger_event("sync", "gone", {})
        assert answer["ok"] is False and answer["error"]["code"] == "unauthorized"
        assert not [r for r in caplog.records if r.levelname in ("ERROR", "CRITICAL")]


async def test_events_are_handled_in_order_without_async_handlers(tmp_path: Path) -> None:
    """With python-socketio's `async_handlers` off, an event is handled before the next
    packet is read, in the reading task itself."""
    async with running(write_config(tmp_path)) as live:
        sio = live.app[SIO]
        handled: list[Any] = []

        async def internal(*args: Any) -> None:
            handled.append(args[3])

        sio.async_handlers = False
        sio._handle_event_internal = internal
        sio.manager.is_connected = lambda sid, namespace: True
        await sio._handle_event("eio-1", "/shopper", 1, ["sync", {}])
        assert handled == [["sync", {}]]
        await sio._handle_event("eio-1", "/shopper", 2, "not a list")
        assert handled[1][0] == "" and isinstance(handled[1][1], transport.Refusal)
