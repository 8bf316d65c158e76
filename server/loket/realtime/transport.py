"""The wire: lean WebSocket connections (no per-message compression, a small send queue)
and a lean Socket.IO packet.

Chat frames are a few hundred bytes, so permessage-deflate saves little on the wire, while
each compressed connection holds zlib state of about 100 KiB on the server (aiohttp offers
no way to shrink it). Declining the extension is allowed by RFC 7692: a browser that offers
it simply gets an uncompressed connection.
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import engineio
import orjson
import socketio
from aiohttp.web import WebSocketResponse
from engineio.async_drivers import aiohttp as engineio_aiohttp
from engineio.async_socket import AsyncSocket
from engineio.packet import PING
from engineio.packet import Packet as EnginePacket
from socketio.packet import Packet


class UncompressedWebSocket(engineio_aiohttp.WebSocket):  # type: ignore[misc]
    async def __call__(self, environ: dict[str, Any]) -> WebSocketResponse:
        request = environ["aiohttp.request"]
        self._sock = WebSocketResponse(
            max_msg_size=self.server.max_http_buffer_size, compress=False
        )
        await self._sock.prepare(request)
        self.environ = environ
        await self.handler(self)
        return self._sock


def decline_compression(sio: socketio.AsyncServer) -> None:
    """Make this server's WebSockets uncompressed (the driver table is per server)."""
    sio.eio._async = {**sio.eio._async, "websocket": UncompressedWebSocket}


class FastJson:
    """The `json` module's dumps/loads as Socket.IO packets use them, done by orjson.

    Values orjson refuses (integers past 64 bits, non-string keys) fall back to the
    standard library, so any payload the standard module encodes still goes out.
    """

    @staticmethod
    def dumps(data: Any, **options: Any) -> str:
        try:
            return orjson.dumps(data).decode()
        except TypeError:
            return json.dumps(data, separators=(",", ":"))

    @staticmethod
    def loads(text: str | bytes, **options: Any) -> Any:
        return orjson.loads(text)


class TextPacket(Packet):  # type: ignore[misc]
    """Socket.IO packets of JSON text only: Loket never sends binary attachments, so the
    payload is not walked looking for bytes before each send."""

    uses_binary_events = False
    json = FastJson


class SendQueue:
    """The part of `asyncio.Queue` engine.io uses for a connection's outgoing packets.

    Every connection holds one, so it is kept small: an `asyncio.Queue` allocates four
    deques (about 3 KiB) before it holds anything. `get()` returns a future rather than a
    coroutine, so engine.io's `wait_for(queue.get(), timeout)` waits on it directly
    instead of wrapping it in a task for every packet sent.
    """

    __slots__ = ("_done", "_getters", "_items", "_unfinished")

    def __init__(self) -> None:
        self._items: list[Any] = []
        self._getters: list[asyncio.Future[Any]] = []
        self._unfinished = 0
        self._done: asyncio.Future[None] | None = None

    def qsize(self) -> int:
        return len(self._items)

    def empty(self) -> bool:
        return not self._items

    def put_nowait(self, item: Any) -> None:
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


class EngineServer(engineio.AsyncServer):  # type: ignore[misc]
    def create_queue(self, *args: Any, **kwargs: Any) -> SendQueue:
        return SendQueue()

    def start_background_task(self, target: Any, *args: Any, **kwargs: Any) -> Any:
        # engine.io's heartbeat is a task per connection that sleeps until the next ping
        # (about 1.3 KiB while it sleeps); a timer does the same for a fraction of that.
        socket = getattr(target, "__self__", None)
        if getattr(target, "__func__", None) is AsyncSocket._send_ping and not args:
            loop = asyncio.get_running_loop()
            return loop.call_later(self.ping_interval, self._ping, socket)
        return super().start_background_task(target, *args, **kwargs)

    def _ping(self, socket: AsyncSocket) -> None:
        """What `AsyncSocket._send_ping` does after its sleep."""
        if not socket.closing and not socket.closed:
            socket.last_ping = time.time()
            task = asyncio.ensure_future(socket.send(EnginePacket(PING)))
            _PINGS.add(task)
            task.add_done_callback(_PINGS.discard)


# Pings being sent (kept so they are not collected mid-send).
_PINGS: set[asyncio.Task[Any]] = set()


class SocketServer(socketio.AsyncServer):  # type: ignore[misc]
    """python-socketio's server, on an engine.io server whose connections cost less."""

    def _engineio_server_class(self) -> type[engineio.AsyncServer]:
        return EngineServer
