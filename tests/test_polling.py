"""Long-polling and the engine.io handshake: what no client sends gets an HTTP error and one
log line naming the address, never a traceback, and what a client sends is never lost."""

from __future__ import annotations

import asyncio
import json
import logging
import re
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import socketio

from loket.keys import SIO
from tests.inprocess import running
from tests.support import ServerProcess, call, shopper, write_config

POLLING = "/socket.io/?EIO=4&transport=polling"


@pytest.fixture
def server(tmp_path: Path) -> Iterator[ServerProcess]:
    process = ServerProcess(write_config(tmp_path))
    process.start()
    try:
        yield process
    finally:
        process.stop()


async def _open(http: aiohttp.ClientSession, url: str) -> str:
    """A new long-polling session's id."""
    async with http.get(url + POLLING) as response:
        assert response.status == 200
        return str(json.loads((await response.text())[1:])["sid"])


async def _post(http: aiohttp.ClientSession, url: str, sid: str, body: Any) -> tuple[int, str]:
    async def post() -> tuple[int, str]:
        async with http.post(f"{url}{POLLING}&sid={sid}", data=body) as response:
            return response.status, await response.text()

    return await asyncio.wait_for(post(), 10)


async def _poll(http: aiohttp.ClientSession, url: str, sid: str) -> tuple[int, str]:
    async def poll() -> tuple[int, str]:
        async with http.get(f"{url}{POLLING}&sid={sid}") as response:
            return response.status, await response.text()

    return await asyncio.wait_for(poll(), 10)


async def _until_logged(server: ServerProcess, text: str, count: int) -> list[str]:
    """The server's log lines holding `text`, once there are `count` of them (or 5 s)."""
    for _ in range(100):
        lines = [line for line in server.output if text in line]
        if len(lines) >= count:
            return lines
        await asyncio.sleep(0.05)
    return [line for line in server.output if text in line]


def _assert_clean(server: ServerProcess) -> None:
    """No traceback, no error, and every line from Loket's logging (none printed twice by
    a handler of a library's own)."""
    log = "".join(server.output)
    assert "Traceback" not in log and " ERROR " not in log, log
    started = next(i for i, line in enumerate(server.output) if "Loket listening" in line)
    for line in server.output[started + 1 :]:
        if not line.startswith("  "):  # the addresses printed under "Loket listening"
            assert re.match(r"\d{4}-\d\d-\d\d ", line), log


async def _chunks(*parts: bytes) -> AsyncIterator[bytes]:
    for part in parts:
        yield part


async def test_garbage_over_long_polling_closes_the_session_with_one_warning(
    server: ServerProcess,
) -> None:
    """A post that is no engine.io payload, holds a packet no client sends, is no UTF-8 or
    is over the size limit is answered with 400 (413 for the size) and closes its session,
    with one warning line naming the address; everyone else is served on."""
    oversized = b"4" + b"x" * 70_000
    bodies: list[tuple[Any, int]] = [
        ("xyz", 400),  # no engine.io packet
        ("9hello", 400),  # an unknown engine.io packet type
        ("3\x1e", 400),  # an empty packet
        ("d=", 400),  # a JSONP post (Engine.IO v3)
        ("bAAEC", 400),  # a binary packet, base64
        (b"4\xff\xfe", 400),  # no UTF-8
        ("4garbage", 400),  # no Socket.IO packet
        ('451-/shopper,["message",{"_placeholder":true,"num":0}]', 400),  # a binary event
        (oversized, 413),  # over max_packet_bytes, saying so in Content-Length
        (_chunks(oversized[:40_000], oversized[40_000:]), 413),  # ... and not saying so
    ]
    async with shopper(server.url) as (widget, _), aiohttp.ClientSession() as http:
        assert (await call(widget, "/shopper", "sync"))["ok"]
        for body, status in bodies:
            sid = await _open(http, server.url)
            assert (await _post(http, server.url, sid, body))[0] == status, body
            assert await _poll(http, server.url, sid) == (400, '"Invalid session"'), body
        # The same session, and the shopper on WebSocket, are served as before.
        sid = await _open(http, server.url)
        assert await _post(http, server.url, sid, '40/shopper,{"locale":"nl"}') == (200, "OK")
        status, text = await _poll(http, server.url, sid)
        assert status == 200 and text.startswith('40/shopper,{"sid":'), text
        assert (await call(widget, "/shopper", "sync"))["ok"]
    refused = await _until_logged(server, "closing connection", len(bodies))
    assert len(refused) == len(bodies), "".join(server.output)
    assert all("WARNING" in line and "from 127.0.0.1" in line for line in refused)
    _assert_clean(server)


async def test_requests_engine_io_refuses_get_a_clear_error_and_one_line(
    server: ServerProcess,
) -> None:
    """An unknown session, another protocol version, a transport that does not exist, JSONP,
    a WebSocket request without upgrade or for a session that is on WebSocket already, and a
    request that is no valid HTTP: each a 400 and one line in the log, no error. A post cut
    off halfway closes its session quietly."""
    url = server.url
    ws_url = url.replace("http", "ws")
    async with aiohttp.ClientSession() as http:
        for path, method in (
            (f"{POLLING}&sid=unknown", "GET"),
            (f"{POLLING}&sid=unknown", "POST"),
            (POLLING.replace("EIO=4", "EIO=3"), "GET"),
            ("/socket.io/?EIO=4&transport=flash", "GET"),
            (f"{POLLING}&j=0", "GET"),
            ("/socket.io/?EIO=4&transport=websocket", "GET"),
            (POLLING, "POST"),
        ):
            async with http.request(method, url + path, data="40") as response:
                assert response.status == 400, path
                assert (await response.text()).startswith('"'), path
        with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
            await http.ws_connect(f"{ws_url}/socket.io/?EIO=4&transport=websocket&sid=unknown")
        assert refused.value.status == 400
        # A long-polling session moved to WebSocket takes no more HTTP requests, nor a
        # second upgrade.
        sid = await _open(http, url)
        upgrade = f"{ws_url}/socket.io/?EIO=4&transport=websocket&sid={sid}"
        ws = await http.ws_connect(upgrade)
        await ws.send_str("2probe")
        assert await asyncio.wait_for(ws.receive_str(), 5) == "3probe"
        await ws.send_str("5")
        await asyncio.sleep(0.2)
        assert (await _post(http, url, sid, "40"))[0] == 400
        with pytest.raises(aiohttp.WSServerHandshakeError):
            await http.ws_connect(upgrade)
        await ws.close()
        # No valid HTTP at all: a length that is no number, a chunk size that is none.
        host, port = url.removeprefix("http://").split(":")
        sid = await _open(http, url)
        post = f"POST {POLLING}&sid={sid} HTTP/1.1\r\nHost: x\r\n"
        for request in (
            post + "Content-Length: abc\r\n\r\n",
            post + "Transfer-Encoding: chunked\r\n\r\n3\r\n40/\r\nzz\r\n",
        ):
            reader, writer = await asyncio.open_connection(host, int(port))
            writer.write(request.encode())
            assert (await asyncio.wait_for(reader.readline(), 5)).startswith(b"HTTP/1.0 400")
            writer.close()
        # A post whose connection drops halfway: the session is closed, and no error logged.
        reader, writer = await asyncio.open_connection(host, int(port))
        writer.write((post + "Content-Length: 100\r\n\r\n40/shop").encode())
        await writer.drain()
        writer.close()
        await _until_logged(server, "lost during a post", 1)
        assert (await _poll(http, url, sid))[0] == 400
    warnings = await _until_logged(server, "WARNING", 9)
    assert len(warnings) == 9, "".join(server.output)
    assert all("127.0.0.1" in line for line in warnings), warnings
    assert len(await _until_logged(server, "no session 'unknown'", 3)) == 3
    _assert_clean(server)


async def test_long_polling_loses_nothing_a_client_sends(server: ServerProcess) -> None:
    """A post without a Content-Length is read, a payload of many packets is read whole,
    and a close packet ends the session without an error for what came after it."""
    url = server.url
    async with aiohttp.ClientSession() as http:
        sid = await _open(http, url)
        body = _chunks(b'40/shopper,{"lo', b'cale":"nl"}')
        assert await _post(http, url, sid, body) == (200, "OK")
        status, text = await _poll(http, url, sid)
        assert status == 200 and text.startswith('40/shopper,{"sid":'), text
        events = "\x1e".join(f'42/shopper,{n}["sync",{{}}]' for n in range(20))
        assert await _post(http, url, sid, events) == (200, "OK")
        acks: set[int] = set()
        while len(acks) < 20:
            status, text = await _poll(http, url, sid)
            assert status == 200, text
            for packet in text.split("\x1e"):
                found = re.match(r"43/shopper,(\d+)\[", packet)
                if found:
                    assert json.loads(packet[found.end() - 1 :])[0]["ok"], packet
                    acks.add(int(found.group(1)))
        assert acks == set(range(20))
        # Deeply nested brackets are not read as JSON; a close packet ends the session
        # and nothing after it is read.
        assert await _post(http, url, sid, "2" + "[" * 5000) == (200, "OK")
        assert await _post(http, url, sid, '1\x1e40/agent,{"token":"x"}') == (200, "OK")
        assert (await _poll(http, url, sid))[0] == 400
    _assert_clean(server)


async def test_a_python_socketio_client_chats_over_long_polling(tmp_path: Path) -> None:
    """A Socket.IO client on long-polling only, and one that upgrades to WebSocket, connect
    and are answered as on WebSocket; a client that closes its session gets its pending
    long-poll answered at once, not held until it times out."""
    async with running(write_config(tmp_path)) as live:
        for transports in (["polling"], ["polling", "websocket"]):
            client = socketio.AsyncClient(reconnection=False)
            await client.connect(
                live.url, namespaces=["/shopper"], transports=transports, wait_timeout=10
            )
            try:
                assert (await call(client, "/shopper", "sync"))["ok"], transports
            finally:
                await asyncio.wait_for(client.disconnect(), 5)
            assert not live.app[SIO].eio.sockets


async def test_an_address_opens_only_so_many_sessions_a_minute(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """engine.io sessions that never join a namespace are held back too: past twice
    `limits.connections_per_minute` new sessions from one address, the next is refused
    with 429 and Retry-After, logged once; other addresses are served on."""
    config = write_config(tmp_path, "[limits]\nconnections_per_minute = 3\n")
    config.write_text(config.read_text().replace("[server]\n", "[server]\ntrust_proxy = true\n"))
    caplog.set_level(logging.INFO)
    async with running(config) as live, aiohttp.ClientSession() as http:

        async def open_from(address: str) -> aiohttp.ClientResponse:
            headers = {"X-Forwarded-For": address}
            async with http.get(live.url + POLLING, headers=headers) as response:
                await response.read()
                return response

        for _ in range(6):
            assert (await open_from("203.0.113.7")).status == 200
        for _ in range(3):
            refused = await open_from("203.0.113.7")
            assert refused.status == 429
            assert int(refused.headers["Retry-After"]) >= 1
        assert (await open_from("203.0.113.8")).status == 200
    lines = [r.getMessage() for r in caplog.records if "new sessions" in r.getMessage()]
    assert lines == ["refusing new sessions from 203.0.113.7 for now: too many a minute"]


async def test_a_websocket_handshake_that_is_none_leaves_no_session(tmp_path: Path) -> None:
    """A WebSocket request with no valid handshake gets 400, and the engine.io session
    opened for it is gone at once, not at its ping timeout."""
    async with running(write_config(tmp_path)) as live, aiohttp.ClientSession() as http:
        headers = {"Upgrade": "websocket", "Connection": "Upgrade"}
        for _ in range(3):
            async with http.get(
                live.url + "/socket.io/?EIO=4&transport=websocket", headers=headers
            ) as response:
                assert response.status == 400
        assert not live.app[SIO].eio.sockets


async def test_a_second_long_poll_while_one_waits_closes_the_session(
    server: ServerProcess,
) -> None:
    """Two long-polls at once for one session (no client sends them): the second gets 400
    and one warning line, the session closes, and the first ends at once with the close
    packet instead of waiting for the next ping (25 s)."""
    async with aiohttp.ClientSession() as http:
        sid = await _open(http, server.url)
        first = asyncio.create_task(_poll(http, server.url, sid))
        await asyncio.sleep(0.5)
        assert not first.done()  # nothing to send yet: it waits
        started = asyncio.get_running_loop().time()
        assert (await _poll(http, server.url, sid))[0] == 400
        status, text = await first
        assert status == 200 and text == "1", text  # the close packet
        assert asyncio.get_running_loop().time() - started < 5
        assert await _poll(http, server.url, sid) == (400, '"Invalid session"')
        # Polls one after another, as clients make them, are served as ever.
        again = await _open(http, server.url)
        assert await _post(http, server.url, again, '40/shopper,{"locale":"nl"}') == (200, "OK")
        status, text = await _poll(http, server.url, again)
        assert status == 200 and text.startswith('40/shopper,{"sid":'), text
    assert len(await _until_logged(server, "second long-poll", 1)) == 1
    _assert_clean(server)
