"""The wire: lean WebSocket connections (no per-message compression, a small send queue)
and a lean Socket.IO packet.

Chat frames are a few hundred bytes, so permessage-deflate saves little on the wire, while
each compressed connection holds zlib state of about 100 KiB on the server (aiohttp offers
no way to shrink it). Declining the extension is allowed by RFC 7692: a browser that offers
it simply gets an uncompressed connection.
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
import logging
import random
import struct
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

import engineio
import orjson
import socketio
from aiohttp import ClientPayloadError, WSMsgType, web
from aiohttp.http_exceptions import HttpProcessingError
from aiohttp.web import WebSocketResponse
from engineio.async_drivers import aiohttp as engineio_aiohttp
from engineio.async_socket import AsyncSocket
from engineio.packet import CLOSE, MESSAGE, NOOP, PING
from engineio.packet import Packet as EnginePacket
from socketio.packet import ACK, CONNECT, DISCONNECT, EVENT, Packet

from loket.proxy import client_address
from loket.ratelimit import KeyedLimiter

log = logging.getLogger(__name__)


class LeanWebSocket(engineio_aiohttp.WebSocket):  # type: ignore[misc]
    """engine.io's WebSocket transport on aiohttp, without compression and without a task
    per frame.

    engine.io reads each frame in a new task under `wait_for` and writes through a writer
    task woken for every packet. Here the connection's own task reads (with the same
    timeout), and packets are written to the socket as they are sent (`FrameWriter`).
    """

    async def __call__(self, environ: dict[str, Any]) -> WebSocketResponse:
        request = environ["aiohttp.request"]
        self._sock = WebSocketResponse(
            max_msg_size=self.server.max_http_buffer_size, compress=False
        )
        socket = getattr(self.handler, "__self__", None)
        try:
            await self._sock.prepare(request)
        except web.HTTPException as exc:
            log.warning(
                "refusing a request from %s: it sent a WebSocket handshake that is none (%s)",
                self.server.address_of(environ),
                exc.text,
            )
            if isinstance(socket, AsyncSocket) and not socket.connected:
                # The session opened for this handshake: gone now, not at its ping timeout.
                await socket.close(
                    wait=False, abort=True, reason=self.server.reason.TRANSPORT_ERROR
                )
                self.server.sockets.pop(socket.sid, None)
            raise
        self.environ = environ
        if isinstance(socket, AsyncSocket) and isinstance(socket.queue, SendQueue):
            await _serve(socket, self._sock, request.transport, self.server.address_of(environ))
        else:  # pragma: no cover - a socket built elsewhere: engine.io's own handler
            await self.handler(self)
        return self._sock


def decline_compression(sio: socketio.AsyncServer) -> None:
    """Make this server's WebSockets lean and uncompressed (the driver table is per server)."""
    sio.eio._async = {**sio.eio._async, "websocket": LeanWebSocket}


# A client that leaves this much unread on its connection when more is to be sent is cut
# off (it reconnects and catches up from its last sequence number); what the server holds
# for it stays bounded.
MAX_UNREAD_BYTES = 4 * 1024 * 1024


class FrameWriter:
    """Writes a connection's engine.io packets as WebSocket frames, straight to the socket.

    Frames go out in the order the packets were sent. Those sent during one turn of the
    event loop are written together at its end, one system call per connection however
    many packets it got (a busy agent gets several per turn). A close packet, or the end
    of the queue, closes the WebSocket after what came before it.
    """

    __slots__ = ("_closing", "_frames", "_loop", "_transport", "_ws")

    def __init__(self, ws: WebSocketResponse, transport: asyncio.Transport) -> None:
        self._ws = ws
        self._transport = transport
        self._loop = asyncio.get_running_loop()
        self._closing: asyncio.Task[Any] | None = None
        self._frames: list[bytes] = []

    def push(self, pkt: EnginePacket | None) -> None:
        if pkt is None:
            self.close()
            return
        data = pkt.encode()
        if isinstance(data, str):
            self.push_frame(text_frame(data))
        else:  # pragma: no cover - Loket sends no binary packets
            self.push_frame(_frame(bytes(data), 0x82))
        if pkt.packet_type == CLOSE:
            self.close()

    def push_frame(self, frame: bytes) -> None:
        """Write a frame (made by `text_frame`) after those pushed before it."""
        if self._closing is not None or self._ws.closed:
            return  # the connection is going: the client catches up when it reconnects
        if not self._frames:
            _flushing(self)
        self._frames.append(frame)

    def flush(self) -> None:
        frames, self._frames = self._frames, []
        transport = self._transport
        if not frames or transport.is_closing():
            return
        # Judged on what is still unsent from before, so one large frame (a console's
        # first list of conversations) always goes out whole.
        if transport.get_write_buffer_size() > MAX_UNREAD_BYTES:
            log.warning("a client does not read what is sent to it: disconnecting it")
            transport.abort()
            return
        transport.write(frames[0] if len(frames) == 1 else b"".join(frames))

    def close(self) -> None:
        """Close the WebSocket once what was sent before has been written."""
        self.flush()
        if self._closing is None and not self._ws.closed:
            self._closing = asyncio.ensure_future(self._ws.close())

    def abort(self) -> None:
        """Drop the connection at once (the client no longer answers)."""
        self._frames.clear()
        self._transport.abort()


class _Dirty:
    """The writers with frames to write at the end of the current turn of `loop`."""

    loop: ClassVar[asyncio.AbstractEventLoop | None] = None
    writers: ClassVar[list[FrameWriter]] = []


def _flushing(writer: FrameWriter) -> None:
    loop = writer._loop
    if _Dirty.loop is not loop:  # another event loop (tests run several, one at a time)
        _Dirty.loop, _Dirty.writers = loop, []
    writers = _Dirty.writers
    if not writers:
        loop.call_soon(_flush_all, writers)
    writers.append(writer)


def _flush_all(dirty: list[FrameWriter]) -> None:
    writers = dirty[:]
    dirty.clear()
    for writer in writers:
        try:
            writer.flush()
        except Exception:  # pragma: no cover - one broken connection must not stop the rest
            log.exception("writing to a connection failed")


_FRAME16 = struct.Struct("!BBH")
_FRAME64 = struct.Struct("!BBQ")


def text_frame(text: str) -> bytes:
    """A WebSocket text frame from the server (unmasked, unfragmented): the same bytes for
    every recipient, so a packet sent to many is framed once."""
    return _frame(text.encode(), 0x81)


def _frame(payload: bytes, opcode: int) -> bytes:
    size = len(payload)
    if size < 126:
        return bytes((opcode, size)) + payload
    if size < 65536:
        return _FRAME16.pack(opcode, 126, size) + payload
    return _FRAME64.pack(opcode, 127, size) + payload


def frame_writer_of(server: engineio.AsyncServer, eio_sid: str) -> FrameWriter | None:
    """The writer of a connection that takes frames straight to its WebSocket; None when
    a packet for it must go through engine.io (a long-polling client, one still upgrading,
    a closed connection, or one past its ping timeout, which engine.io's `send` closes)."""
    socket = server.sockets.get(eio_sid)
    if socket is None or socket.closed:
        return None
    writer: FrameWriter | None = getattr(socket, "frame_writer", None)
    if writer is None or not socket.queue.attached:
        return None
    last_ping = socket.last_ping
    if last_ping and time.time() - last_ping > server.ping_timeout:
        return None
    return writer


async def _serve(
    socket: AsyncSocket,
    ws: WebSocketResponse,
    transport: asyncio.Transport | None,
    address: str,
) -> None:
    """What engine.io's `AsyncSocket._websocket_handler` does, in the connection's task."""
    server = socket.server
    timeout = server.ping_interval + server.ping_timeout
    if socket.connected:
        # An upgrade from long-polling: the probe, then the upgrade packet.
        socket.upgrading = True  # engine.io holds back polling while this goes on
        if await _receive(ws, timeout) != "2probe":
            socket.upgrading = False
            return
        await ws.send_str("3probe")
        await socket.queue.put(EnginePacket(NOOP))  # ends the pending long-poll
        if await _receive(ws, timeout) != "5":
            socket.upgraded = False
            socket.upgrading = False
            return
        socket.upgraded = True
        socket.upgrading = False
    else:
        socket.connected = True
        socket.upgraded = True
    if transport is None:  # pragma: no cover - the client left during the handshake
        return
    writer = FrameWriter(ws, transport)
    queue: SendQueue = socket.queue
    queue.attach(writer.push)
    socket.frame_writer = writer  # for the heartbeat: a client that stops answering is cut off
    on_message = server.handlers.get("message")
    try:
        while True:
            # No timeout per frame: EngineServer's heartbeat aborts a silent connection.
            data = await _receive(ws, None)
            if data is None:
                break
            if data == "3":
                # A pong, most of what an idle connection sends: what engine.io's
                # `receive` does with it, without decoding a packet first.
                socket.schedule_ping()
                continue
            if not isinstance(data, str):
                # Loket speaks text only; binary frames come from no Loket client.
                refuse_input(socket.sid, address, "a binary WebSocket frame")
                break
            if data[:1] == "4" and on_message is not None:
                try:
                    # Socket.IO packets the protocol does not allow close the connection
                    # there (SocketServer._handle_eio_message), with a warning.
                    await on_message(socket.sid, data[1:])
                except Exception:
                    log.exception("a message from %s failed", socket.sid)
            else:
                refusal = await take_packet(socket, data)
                if refusal is not None:
                    refuse_input(socket.sid, address, refusal)
                    break
            if socket.closed:
                break  # a close packet, or input Socket.IO refused: what follows is not read
    finally:
        queue.detach()
        writer.close()
        await socket.close(wait=False, abort=True, reason=server.reason.TRANSPORT_CLOSE)


# The types of engine.io packets, open (0) to noop (6); text starting otherwise is none.
ENGINE_PACKET_TYPES = frozenset("0123456")


async def take_packet(socket: AsyncSocket, data: str) -> str | None:
    """Hand one engine.io text packet a client sent to its session, whichever transport
    brought it. None when it was taken; else what it was, when no client sends it (the
    caller closes the connection).

    The packet's data is not decoded: only a message (4) has any, and that goes to
    Socket.IO as the text it is (engine.io would first try to read it as JSON, which
    deeply nested brackets make fail with a RecursionError)."""
    kind = data[:1]
    if kind == "3":
        socket.schedule_ping()
        return None
    if kind == "4":
        on_message = socket.server.handlers.get("message")
        if on_message is not None:
            try:
                await on_message(socket.sid, data[1:])
            except Exception:
                log.exception("a message from %s failed", socket.sid)
        return None
    if kind not in ENGINE_PACKET_TYPES:
        return f"no engine.io packet: {_preview(data)}"
    try:
        await socket.receive(EnginePacket(int(kind), data[1:] or None))
    except engineio.exceptions.UnknownPacketError:
        pass  # one only the server sends (open, ping, noop): as engine.io, ignored
    except engineio.exceptions.SocketIsClosedError:
        pass
    return None


def refuse_input(sid: str, address: str, what: str) -> None:
    """Say, in one line, why a connection that sent what no client sends is closed.

    A warning without a traceback: anyone can send such input without logging in, and it
    is no fault of the server."""
    log.warning("closing connection %s from %s: it sent %s", sid, address, what)


def _preview(data: str) -> str:
    return repr(data[:40] + ("…" if len(data) > 40 else ""))


async def _receive(ws: WebSocketResponse, silence: float | None) -> str | bytes | None:
    """The next text or binary frame's data; None once the connection is closed or silent."""
    try:
        msg = await ws.receive(silence)
    except TimeoutError:
        return None
    if msg.type is WSMsgType.TEXT or msg.type is WSMsgType.BINARY:
        data: str | bytes = msg.data
        return data
    return None


class UnreadableJson(ValueError):
    """A packet's data is not JSON, for orjson nor for the standard library."""


class FastJson:
    """The `json` module's dumps/loads as Socket.IO packets use them, done by orjson.

    Values orjson refuses fall back to the standard library: on the way out integers past
    64 bits and non-string keys, so any payload the standard module encodes still goes out;
    on the way in what JSON allows but UTF-8 cannot hold, a lone surrogate escape
    ("\\ud83d", half of an emoji, which browsers send for a title cut in the middle of
    one). The text rule (loket.plaintext) then refuses or replaces that character.
    """

    @staticmethod
    def dumps(data: Any, **options: Any) -> str:
        try:
            return orjson.dumps(data).decode()
        except TypeError:
            return json.dumps(data, separators=(",", ":"))

    @staticmethod
    def loads(text: str | bytes, **options: Any) -> Any:
        try:
            return orjson.loads(text)
        except orjson.JSONDecodeError:
            pass
        try:
            return json.loads(text)
        except (ValueError, RecursionError) as exc:
            raise UnreadableJson(str(exc)) from None


@dataclass(frozen=True, slots=True)
class Refusal:
    """What an event or connect packet carries, in place of its data, when that data is not
    to reach a handler: the code and message its ack (or connect_error) gives."""

    code: str
    message: str


UNREADABLE = Refusal("invalid_payload", "The payload is not valid JSON.")


class TextPacket(Packet):  # type: ignore[misc]
    """Socket.IO packets of JSON text only: Loket never sends binary attachments, so the
    payload is not walked looking for bytes before each send."""

    uses_binary_events = False
    json = FastJson

    def decode(self, encoded_packet: str | bytes) -> int:
        if not isinstance(encoded_packet, str):
            raise BadPacket("a binary message")
        try:
            count: int = super().decode(encoded_packet)
        except UnreadableJson:
            # The packet's type, namespace and ack id come before its JSON and were read:
            # the client is answered (an error ack, a connect_error), not left waiting.
            self.data = UNREADABLE
            return 0
        except (ValueError, TypeError, IndexError):
            raise BadPacket(f"no Socket.IO packet: {_preview(encoded_packet)}") from None
        return count


class BadPacket(ValueError):
    """A message that is no Socket.IO packet a Loket client sends (garbage, binary)."""


# The Socket.IO packets a client sends to Loket: no binary events or acks.
CLIENT_PACKETS = frozenset({CONNECT, DISCONNECT, EVENT, ACK})


class SendQueue:
    """The part of `asyncio.Queue` engine.io uses for a connection's outgoing packets.

    Every connection holds one, so it is kept small: an `asyncio.Queue` allocates four
    deques (about 3 KiB) before it holds anything. `get()` returns a future rather than a
    coroutine, so engine.io's `wait_for(queue.get(), timeout)` waits on it directly
    instead of wrapping it in a task for every packet sent.
    """

    __slots__ = ("_done", "_getters", "_items", "_sink", "_unfinished")

    def __init__(self) -> None:
        self._items: list[Any] = []
        self._getters: list[asyncio.Future[Any]] = []
        self._unfinished = 0
        self._done: asyncio.Future[None] | None = None
        self._sink: Callable[[Any], None] | None = None

    def attach(self, sink: Callable[[Any], None]) -> None:
        """From now on hand every item to `sink` at once (after those already queued)."""
        items, self._items = self._items, []
        for item in items:
            sink(item)
            self.task_done()
        self._sink = sink

    def detach(self) -> None:
        self._sink = None

    @property
    def attached(self) -> bool:
        return self._sink is not None

    def qsize(self) -> int:
        return len(self._items)

    def empty(self) -> bool:
        return not self._items

    def put_nowait(self, item: Any) -> None:
        if self._sink is not None:
            self._sink(item)
            return
        self._unfinished += 1
        while self._getters:
            getter = self._getters.pop(0)
            if not getter.done():
                getter.set_result(item)
                return
        self._items.append(item)

    async def put(self, item: Any) -> None:
        self.put_nowait(item)

    def get_nowait(self) -> Any:
        if not self._items:
            raise asyncio.QueueEmpty
        return self._items.pop(0)

    def get(self) -> asyncio.Future[Any]:
        """A future of the next item (cancel it to stop waiting)."""
        future = asyncio.get_running_loop().create_future()
        if self._items:
            future.set_result(self._items.pop(0))
        else:
            self._getters = [g for g in self._getters if not g.done()]
            self._getters.append(future)
        return future

    def task_done(self) -> None:
        if self._unfinished <= 0:
            raise ValueError("task_done() called too many times")
        self._unfinished -= 1
        if self._unfinished == 0 and self._done is not None:
            if not self._done.done():
                self._done.set_result(None)
            self._done = None

    async def join(self) -> None:
        if self._unfinished == 0:
            return
        if self._done is None:
            self._done = asyncio.get_running_loop().create_future()
        await asyncio.shield(self._done)


def guard_sessions(
    sio: socketio.AsyncServer,
    *,
    trust_proxy: bool,
    new_sessions_per_minute: int,
    clock: Callable[[], float],
) -> None:
    """Count clients by the address `server.trust_proxy` says, and let one address open at
    most `new_sessions_per_minute` engine.io sessions a minute (0: no limit)."""
    engine: EngineServer = sio.eio
    engine.trust_proxy = trust_proxy
    engine.clock = clock
    if new_sessions_per_minute:
        engine.session_limiter = KeyedLimiter(
            new_sessions_per_minute / 60.0, new_sessions_per_minute
        )


async def _read_body(request: web.BaseRequest, limit: int) -> bytes | None:
    """The request's body, or None when it is longer than `limit` bytes (then not all read),
    whether or not it says its length."""
    if request.content_length is not None and request.content_length > limit:
        return None
    body = bytearray()
    while chunk := await request.content.read(limit + 1 - len(body)):
        body += chunk
        if len(body) > limit:
            return None
    return bytes(body)


def _plain(status: int, message: str, headers: dict[str, str] | None = None) -> web.Response:
    """An answer as engine.io gives one: the message as a JSON string, or OK."""
    text = message if status == 200 else json.dumps(message)
    return web.Response(status=status, text=text, content_type="text/plain", headers=headers)


def _first_line(exc: BaseException) -> str:
    text = str(getattr(exc, "message", "") or exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _is_loopback(address: str) -> bool:
    try:
        return ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False


def ping_interval(socket: AsyncSocket) -> float:
    """Seconds between pings for this connection: its namespace's, once it has joined one."""
    interval: float = getattr(socket, "ping_every", None) or socket.server.ping_interval
    return interval


def set_ping_interval(socket: AsyncSocket, seconds: float) -> None:
    """Ping this connection every `seconds` from its next ping on (at most the interval
    announced when it opened, or the client would give up on the server)."""
    socket.ping_every = min(seconds, socket.server.ping_interval)


class EngineServer(engineio.AsyncServer):  # type: ignore[misc]
    """engine.io's server, with connections that cost less, and with requests no Socket.IO
    client sends answered by Loket: an HTTP error and one warning line naming the address.

    engine.io logs some of them as errors (without the address), answers others only
    after logging a traceback, and leaves a long-polling request whose body is too large
    waiting for ever. Requests it accepts reach it as before; long-polling posts are read
    here, with the same rules as WebSocket frames (`take_packet`).
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Set by `guard_sessions`: whether the address is read from X-Forwarded-For, and
        # how many new sessions one address may open.
        self.trust_proxy = False
        self.session_limiter: KeyedLimiter | None = None
        self.clock: Callable[[], float] = time.time
        self._limited: set[str] = set()  # the addresses refused since they last got through

    def address_of(self, environ: dict[str, Any] | None) -> str:
        """The address of the client whose request `environ` describes, as Loket counts it."""
        request = (environ or {}).get("aiohttp.request")
        if request is None:
            return "unknown"
        return client_address(request, trust_proxy=self.trust_proxy)

    async def handle_request(self, *args: Any, **kwargs: Any) -> Any:
        request = args[0] if args else None
        if not isinstance(request, web.BaseRequest):  # pragma: no cover - not on aiohttp
            return await super().handle_request(*args, **kwargs)
        # Read as engine.io reads it.
        query = urllib.parse.parse_qs(request.query_string)
        sid = query["sid"][0] if "sid" in query else None
        socket = self.sockets.get(sid) if sid is not None else None
        if socket is not None and socket.closed:
            socket = None
        refusal = self._refusal(request, query, sid, socket)
        if refusal is not None:
            return refusal
        if request.method == "POST" and socket is not None:
            return await self._handle_post(request, socket)
        polling = query.get("transport", ["polling"])[0] == "polling"
        if request.method == "GET" and polling and socket is not None:
            return await self._handle_poll(request, socket)
        return await super().handle_request(request)

    async def _handle_poll(self, request: web.BaseRequest, socket: AsyncSocket) -> Any:
        """A long-poll, one at a time per session. A second one while the first waits is
        no client's doing: it closes the session, as engine.io's reference server does, and
        the first ends at once with the close packet instead of waiting for the next ping
        (engine.io would let both wait, and hand the packets to either)."""
        if getattr(socket, "polling", False):
            return await self._drop(
                request, socket, 400, "Bad Request", "a second long-poll while one was waiting"
            )
        socket.polling = True
        try:
            return await super().handle_request(request)
        finally:
            socket.polling = False

    def _refusal(
        self,
        request: web.BaseRequest,
        query: dict[str, list[str]],
        sid: str | None,
        socket: AsyncSocket | None,
    ) -> web.Response | None:
        """The answer to a request engine.io would refuse (or mishandle), else None."""
        transport = query.get("transport", ["polling"])[0]
        if transport not in self.transports:
            return self._refuse(
                request, 400, "Invalid transport", f"transport {_preview(transport)}"
            )
        if "j" in query:
            # JSONP is Engine.IO v3; no v4 client sends it.
            return self._refuse(request, 400, "JSONP is not supported", "a JSONP request")
        if request.method not in ("GET", "POST"):
            return None  # OPTIONS: engine.io answers it
        if sid is None:
            if request.method == "POST":
                return self._refuse(request, 400, "Invalid session", "a post without a session")
            if query.get("EIO") != ["4"]:
                version = query.get("EIO", ["none"])[0]
                return self._refuse(
                    request,
                    400,
                    "The client is using an unsupported version of the Socket.IO or "
                    "Engine.IO protocols",
                    f"Engine.IO version {_preview(version)}",
                )
            if transport == "websocket" and request.headers.get("Upgrade", "").lower() != (
                "websocket"
            ):
                return self._refuse(
                    request, 400, "Invalid websocket upgrade", "a WebSocket request without upgrade"
                )
            return self._over_session_limit(request)
        if socket is None:
            # Usual after a restart, or for a client that was away past the ping timeout:
            # it opens a new session. Not worth a warning.
            log.info(
                "refusing a request from %s: no session %s (closed, or from before a restart)",
                self._address(request),
                _preview(sid),
            )
            return _plain(400, "Invalid session")
        if not socket.connected:
            return self._refuse(
                request, 400, "Not connected", f"a request for session {sid} before it opened"
            )
        if socket.upgraded:
            return self._refuse(
                request,
                400,
                "Unexpected HTTP request",
                f"a {'WebSocket' if transport == 'websocket' else 'long-polling'} request for "
                f"session {sid}, which is on WebSocket already",
            )
        if (
            request.method == "GET"
            and transport != "polling"
            and (transport != request.headers.get("Upgrade", "").lower())
        ):
            return self._refuse(
                request, 400, "Invalid transport", f"a {transport} request without upgrade"
            )
        return None

    def _over_session_limit(self, request: web.BaseRequest) -> web.Response | None:
        """429 for an address that opened more sessions than `session_limiter` allows.

        Sessions that never join a namespace are not held back by the namespaces' own
        limit, and each costs memory until its heartbeat runs out. Connections from this
        machine itself (a proxy on it, without `server.trust_proxy`) are not counted."""
        limiter = self.session_limiter
        if limiter is None:
            return None
        address = self._address(request)
        if _is_loopback(address):
            return None
        if limiter.take(address, self.clock()):
            self._limited.discard(address)
            return None
        if address not in self._limited:
            if len(self._limited) >= 10_000:  # pragma: no cover - many addresses at once
                self._limited.clear()
            self._limited.add(address)
            # Once per spell: a client hammering on does not fill the log.
            log.warning("refusing new sessions from %s for now: too many a minute", address)
        seconds = max(1, int(limiter.retry_after(address)) + 1)
        return _plain(
            429,
            "Too many new connections from your address; try again later.",
            {"Retry-After": str(seconds)},
        )

    async def _handle_post(self, request: web.BaseRequest, socket: AsyncSocket) -> web.Response:
        """A long-polling post: its packets, each as from a WebSocket frame, in order.

        Input no client sends closes the session (the client opens a new one and sends
        again what was not acknowledged) and is answered with 400, or 413 when it is larger
        than engine.io's `max_http_buffer_size`."""
        limit = self.max_http_buffer_size
        try:
            body = await _read_body(request, limit)
        except (HttpProcessingError, ClientPayloadError) as exc:
            what = f"an unreadable long-polling body ({_first_line(exc)})"
            return await self._drop(request, socket, 400, "Bad Request", what)
        except ConnectionError:
            # The client's connection dropped halfway (a phone changing networks): nothing
            # it sent is read, and it will send it again on a new session.
            log.info("connection %s from %s lost during a post", socket.sid, self._address(request))
            await socket.close(wait=False, abort=True, reason=self.reason.TRANSPORT_CLOSE)
            self.sockets.pop(socket.sid, None)
            return _plain(400, "Bad Request")
        if body is None:
            what = f"a long-polling body of more than {limit} bytes"
            return await self._drop(request, socket, 413, "Payload Too Large", what)
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            what = "a long-polling body that is no UTF-8"
            return await self._drop(request, socket, 400, "Bad Request", what)
        refusal: str | None = None
        for data in text.split("\x1e") if text else ():
            if not data:
                refusal = "an empty engine.io packet"
            elif data[0] == "b":
                refusal = "a binary engine.io packet"  # Loket speaks text only
            else:
                refusal = await take_packet(socket, data)
            if getattr(socket, "refused", False):
                return _plain(400, "Bad Request")  # Socket.IO closed it, with a warning
            if refusal is not None:
                return await self._drop(request, socket, 400, "Bad Request", refusal)
            if socket.closed:
                # A close packet: what follows it is not read, and the client's pending
                # long-poll ends now (engine.io would hold it until its timeout).
                socket.queue.put_nowait(None)
                break
        return _plain(200, "OK")

    async def _drop(
        self, request: web.BaseRequest, socket: AsyncSocket, status: int, message: str, what: str
    ) -> web.Response:
        """Close `socket`, whose client sent `what`, and answer its request with `status`."""
        refuse_input(socket.sid, self._address(request), what)
        # Without waiting for its queue: a long-polling client may never fetch it.
        await socket.close(wait=False, reason=self.reason.SERVER_DISCONNECT)
        self.sockets.pop(socket.sid, None)
        return _plain(status, message)

    def _refuse(
        self, request: web.BaseRequest, status: int, message: str, what: str
    ) -> web.Response:
        log.warning("refusing a request from %s: it sent %s", self._address(request), what)
        return _plain(status, message)

    def _address(self, request: web.BaseRequest) -> str:
        return client_address(request, trust_proxy=self.trust_proxy)

    def create_queue(self, *args: Any, **kwargs: Any) -> SendQueue:
        return SendQueue()

    def start_background_task(self, target: Any, *args: Any, **kwargs: Any) -> Any:
        # engine.io's heartbeat is a task per connection that sleeps until the next ping
        # (about 1.3 KiB while it sleeps); a timer does the same for a fraction of that.
        if getattr(target, "__func__", None) is AsyncSocket._send_ping and not args:
            socket: AsyncSocket = target.__self__
            delay = ping_interval(socket)
            if not getattr(socket, "pinged", False):
                # The first ping comes anywhere in the second half of the interval: clients
                # that connected together (all of them, after a restart) are then not
                # pinged in one burst every interval for as long as they stay.
                socket.pinged = True
                delay *= random.uniform(0.5, 1.0)
            return asyncio.get_running_loop().call_later(delay, self._ping, socket)
        return super().start_background_task(target, *args, **kwargs)

    def _ping(self, socket: AsyncSocket) -> None:
        """What `AsyncSocket._send_ping` does after its sleep, and a check for its pong."""
        if not socket.closing and not socket.closed:
            sent = socket.last_ping = time.time()
            # Straight into the send queue (written at once on a WebSocket): engine.io's
            # `send` only adds a ping-timeout check, moot right after a ping is sent.
            socket.queue.put_nowait(EnginePacket(PING))
            loop = asyncio.get_running_loop()
            loop.call_later(self.ping_timeout + 1, self._pong_due, socket, sent)

    def _pong_due(self, socket: AsyncSocket, sent: float) -> None:
        """No pong since the ping sent at `sent`: the client is gone (engine.io's service
        task closes the session); drop its WebSocket, whose reader waits without timeout."""
        if socket.last_ping == sent:
            writer = getattr(socket, "frame_writer", None)
            if writer is not None:
                writer.abort()


class LeanManager(socketio.AsyncManager):  # type: ignore[misc]
    """python-socketio's in-process client manager, emitting without a task per recipient.

    Handing a packet to a connection never waits (it is written to its socket or queued),
    so the recipients are served one after another instead of each in a new task.
    """

    async def emit(
        self,
        event: str,
        data: Any,
        namespace: str,
        room: Any = None,
        skip_sid: Any = None,
        callback: Any = None,
        to: Any = None,
        **kwargs: Any,
    ) -> None:
        if callback is not None or namespace not in self.rooms:
            await super().emit(
                event, data, namespace, room=room, skip_sid=skip_sid, callback=callback, to=to,
                **kwargs,
            )  # fmt: skip
            return
        skip = skip_sid if isinstance(skip_sid, list) else [skip_sid]
        recipients = [
            eio_sid for sid, eio_sid in self._participants(namespace, to or room) if sid not in skip
        ]
        if not recipients:
            return  # nothing to encode: the sender alone was in the room
        args = list(data) if isinstance(data, tuple) else [] if data is None else [data]
        encoded = self.server.packet_class(EVENT, namespace=namespace, data=[event, *args]).encode()
        eio = self.server.eio
        if isinstance(encoded, str):
            frame: bytes | None = None
            for eio_sid in recipients:
                writer = frame_writer_of(eio, eio_sid)
                if writer is not None:
                    if frame is None:
                        frame = text_frame("4" + encoded)
                    writer.push_frame(frame)
                else:
                    await eio.send_packet(eio_sid, EnginePacket(MESSAGE, encoded))
            return
        packets = [EnginePacket(MESSAGE, part) for part in encoded]  # pragma: no cover
        for eio_sid in recipients:  # pragma: no cover - Loket sends no binary packets
            for pkt in packets:
                await eio.send_packet(eio_sid, pkt)

    def _participants(self, namespace: str, room: Any) -> list[tuple[str, str]]:
        """`get_participants` as a list, without a generator and a copy per room."""
        rooms = self.rooms.get(namespace, {})
        # A list of rooms as python-socketio tells one: anything sized but a string.
        if not hasattr(room, "__len__") or isinstance(room, str):
            members = rooms.get(room)
            return list(members._fwdm.items()) if members is not None else []
        if len(room) == 1:
            return self._participants(namespace, next(iter(room)))
        found: dict[str, str] = {}
        for name in room:
            members = rooms.get(name)
            if members is not None:
                found.update(members._fwdm)
        return list(found.items())


# Event names Socket.IO keeps for a connection's own life. A client can send an event so
# named, but it must never reach the handlers of a real connect or disconnect.
LIFECYCLE_EVENTS = frozenset({"connect", "connect_error", "disconnect", "disconnecting"})


def client_event(data: Any) -> list[Any]:
    """An event packet's data as it is dispatched: `[name, *arguments]`.

    An event the server will not dispatch by its name (unreadable, not a list with a name
    first, or a lifecycle name) becomes `["", Refusal]`: the namespace answers it with the
    refusal, after its rate limit, like any other event."""
    if isinstance(data, Refusal):
        return ["", data]
    if not isinstance(data, list) or not data or not isinstance(data[0], str):
        return ["", Refusal("invalid_payload", "An event is a list: its name, then its payload.")]
    if data[0] in LIFECYCLE_EVENTS:
        return ["", Refusal("unknown_event", f"There is no event {data[0]!r} here.")]
    return data


# The tasks handling events, referenced until they end (the loop keeps only weak ones).
_HANDLING: set[asyncio.Task[Any]] = set()


class SocketServer(socketio.AsyncServer):  # type: ignore[misc]
    """python-socketio's server, on an engine.io server whose connections cost less."""

    def _engineio_server_class(self) -> type[engineio.AsyncServer]:
        return EngineServer

    async def _send_packet(self, eio_sid: str, pkt: Packet) -> None:
        """A packet to one connection (acks above all): straight to its WebSocket when it
        has one, else through engine.io as python-socketio sends it."""
        encoded = pkt.encode()
        if isinstance(encoded, str):
            writer = frame_writer_of(self.eio, eio_sid)
            if writer is not None:
                writer.push_frame(text_frame("4" + encoded))
                return
            await self.eio.send(eio_sid, encoded)
            return
        for part in encoded:  # pragma: no cover - Loket sends no binary packets
            await self.eio.send(eio_sid, part)

    async def _handle_event(self, eio_sid: str, namespace: str | None, id: Any, data: Any) -> None:
        """python-socketio's dispatch of an event to a task of its own, without its layers
        of `start_background_task` and an info log call built for every event."""
        namespace = namespace or "/"
        sid = self.manager.sid_from_eio_sid(eio_sid, namespace)
        event = client_event(data)
        if self.logger.isEnabledFor(logging.INFO):  # python-socketio's line, when asked for
            self.logger.info('received event "%s" from %s [%s]', event[0], sid, namespace)
        if not self.manager.is_connected(sid, namespace):
            self.logger.warning("%s is not connected to namespace %s", sid, namespace)
            return
        handling = self._handle_event_internal(self, sid, eio_sid, event, namespace, id)
        if not self.async_handlers:
            await handling
            return
        task = asyncio.get_running_loop().create_task(handling)
        _HANDLING.add(task)
        task.add_done_callback(_HANDLING.discard)

    async def _handle_eio_message(self, eio_sid: str, data: str | bytes) -> None:
        """python-socketio's dispatch of a message, for the text packets Loket's clients send.

        A message that is no such packet (garbage, a binary or connect_error packet) closes
        the connection with a one-line warning, instead of an error with a traceback for
        every one anyone sends."""
        try:
            pkt = self.packet_class(encoded_packet=data)
            if pkt.packet_type not in CLIENT_PACKETS:
                raise BadPacket(f"a Socket.IO packet of type {pkt.packet_type}")
        except BadPacket as exc:
            refuse_input(eio_sid, self.eio.address_of(self.environ.get(eio_sid)), str(exc))
            socket = self.eio.sockets.get(eio_sid)
            if socket is not None:
                socket.refused = True  # a long-polling post is answered with 400
                # Without waiting for its queue: a long-polling client may never fetch it.
                await socket.close(wait=False, reason=self.eio.reason.SERVER_DISCONNECT)
                self.eio.sockets.pop(eio_sid, None)
            return
        if pkt.packet_type == CONNECT:
            await self._handle_connect(eio_sid, pkt.namespace, pkt.data)
        elif pkt.packet_type == DISCONNECT:
            await self._handle_disconnect(eio_sid, pkt.namespace, self.reason.CLIENT_DISCONNECT)
        elif pkt.packet_type == EVENT:
            await self._handle_event(eio_sid, pkt.namespace, pkt.id, pkt.data)
        else:
            await self._handle_ack(eio_sid, pkt.namespace, pkt.id, pkt.data)
