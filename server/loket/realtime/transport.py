"""The WebSocket transport, without per-message compression.

Chat frames are a few hundred bytes, so permessage-deflate saves little on the wire, while
each compressed connection holds zlib state of about 100 KiB on the server (aiohttp offers
no way to shrink it). Declining the extension is allowed by RFC 7692: a browser that offers
it simply gets an uncompressed connection.
"""

from __future__ import annotations

from typing import Any

import socketio
from aiohttp.web import WebSocketResponse
from engineio.async_drivers import aiohttp as engineio_aiohttp


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
