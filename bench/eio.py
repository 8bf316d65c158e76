"""A lean Engine.IO v4 / Socket.IO v5 client over aiohttp WebSockets, with permessage-deflate.

python-socketio's own client costs too much CPU per packet to load a server from the other
core of a 2-core machine, so the load generator speaks the wire format itself. Only what
the benchmark needs: text packets, one namespace per connection, events, acks and pings.

    open      0{"sid": ..., "pingInterval": ...}   (server, first frame)
    ping      2        -> pong 3
    connect   40/shopper,{auth}     -> 40/shopper,{"sid": ...}  or  44/shopper,{error}
    event     42/shopper,<id>["message",{...}]     (the id only when an ack is wanted)
    ack       43/shopper,<id>[{...}]
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp

# Browsers offer permessage-deflate with a 15-bit window; so does the generator.
COMPRESS_BITS = 15

# May return an awaitable (a reply to send), which the reader awaits before reading on.
EventHandler = Callable[[str, Any], Awaitable[None] | None]
AckHandler = Callable[[Any], None]

_dumps = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode


class ConnectRefused(Exception):
    """The server refused the namespace connection (a `44` packet)."""


def encode_event(namespace: str, event: str, data: Any, ack_id: int | None) -> str:
    """The text frame of a Socket.IO event packet."""
    ack = "" if ack_id is None else str(ack_id)
    return f"42{namespace},{ack}{_dumps([event, data])}"


def encode_ack(namespace: str, ack_id: int, data: Any) -> str:
    """The text frame of a Socket.IO ack packet."""
    return f"43{namespace},{ack_id}{_dumps([data])}"


def split_packet(frame: str) -> tuple[str, str, int | None, str]:
    """(socket.io type, namespace, ack id or None, json text) of an Engine.IO message frame.

    `frame` starts with "4" (an Engine.IO message); the rest is a Socket.IO packet.
    """
    kind = frame[1]
    rest = frame[2:]
    namespace = "/"
    if rest.startswith("/"):
        comma = rest.find(",")
        if comma < 0:
            return kind, rest, None, ""
        namespace, rest = rest[:comma], rest[comma + 1 :]
    digits = 0
    while digits < len(rest) and rest[digits].isdigit():
        digits += 1
    ack_id = int(rest[:digits]) if digits else None
    return kind, namespace, ack_id, rest[digits:]


class Client:
    """One WebSocket connection joined to one Socket.IO namespace."""

    __slots__ = ("_acks", "_next_ack", "_reader", "ignore", "namespace", "on_event", "sid", "ws")

    def __init__(self, ws: aiohttp.ClientWebSocketResponse, namespace: str) -> None:
        self.ws = ws
        self.namespace = namespace
        self.sid = ""
        self.on_event: EventHandler | None = None
        # Events whose JSON starts with one of these are dropped without being decoded.
        self.ignore: tuple[str, ...] = ()
        self._acks: dict[int, AckHandler] = {}
        self._next_ack = 0
        self._reader: asyncio.Task[None] | None = None

    @classmethod
    async def connect(
        cls,
        session: aiohttp.ClientSession,
        url: str,
        namespace: str,
        auth: dict[str, Any],
        *,
        origin: str | None = None,
        within: float = 30.0,
    ) -> Client:
        """Open the WebSocket, wait for the open packet, join `namespace` with `auth`."""
        headers = {"Origin": origin} if origin else {}
        ws = await session.ws_connect(
            f"{url}/socket.io/?EIO=4&transport=websocket",
            compress=COMPRESS_BITS,
            headers=headers,
            autoping=True,
            heartbeat=None,
            timeout=aiohttp.ClientWSTimeout(ws_receive=None, ws_close=5.0),
        )
        client = cls(ws, namespace)
        try:
            async with asyncio.timeout(within):
                opened = await ws.receive_str()
                if not opened.startswith("0"):
                    raise ConnectRefused(f"expected an open packet, got {opened[:40]!r}")
                await ws.send_str(f"40{namespace},{_dumps(auth)}")
                while True:
                    frame = await ws.receive_str()
                    if frame == "2":
                        await ws.send_str("3")
                        continue
                    kind, ns, _, body = split_packet(frame)
                    if ns != namespace:
                        continue
                    if kind == "0":
                        client.sid = str(json.loads(body).get("sid", ""))
                        break
                    if kind == "4":
                        raise ConnectRefused(body)
        except BaseException:
            await ws.close()
            raise
        client._reader = asyncio.create_task(client._read())
        return client

    @property
    def compressed(self) -> bool:
        """Whether permessage-deflate was negotiated."""
        return bool(self.ws.compress)

    @property
    def closed(self) -> bool:
        return self.ws.closed

    async def emit(self, event: str, data: Any, on_ack: AckHandler | None = None) -> None:
        """Send an event; `on_ack` is called with the ack's first argument."""
        ack_id = None
        if on_ack is not None:
            ack_id = self._next_ack
            self._next_ack += 1
            self._acks[ack_id] = on_ack
        await self.ws.send_str(encode_event(self.namespace, event, data, ack_id))

    def abort(self) -> None:
        """Drop the connection without a closing handshake."""
        if self._reader is not None:
            self._reader.cancel()
        transport = self.ws._writer.transport
        if transport is not None:
            transport.abort()

    async def close(self) -> None:
        await self.ws.close()
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._reader

    async def _read(self) -> None:
        ws = self.ws
        while True:
            message = await ws.receive()
            if message.type is not aiohttp.WSMsgType.TEXT:
                return
            frame: str = message.data
            head = frame[0]
            if head == "2":
                await ws.send_str("3")
                continue
            if head != "4":
                continue
            kind, _, ack_id, body = split_packet(frame)
            if kind == "2" and self.on_event is not None:
                if body.startswith(self.ignore):
                    continue
                args = json.loads(body)
                reply = self.on_event(args[0], args[1] if len(args) > 1 else None)
                if reply is not None:
                    await reply
            elif kind == "3" and ack_id is not None:
                handler = self._acks.pop(ack_id, None)
                if handler is not None:
                    args = json.loads(body)
                    handler(args[0] if args else None)
            elif kind == "1":
                return
