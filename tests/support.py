"""Test support: real Loket servers on ephemeral ports, agents, and Socket.IO clients."""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import socketio

ROOT = Path(__file__).resolve().parent.parent
LOKET = [sys.executable, "-m", "loket"]


def write_config(folder: Path, extra: str = "") -> Path:
    """A config.toml for a test server whose data lives in `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    config = folder / "config.toml"
    config.write_text(
        f"""
[server]
host = "127.0.0.1"
port = 0
data_dir = "{folder / "data"}"
allowed_origins = ["http://shop.test"]

[security]
secret = "test-secret-0123456789abcdef"
shop_secret = "shop-secret-0123456789abcdef"

[bot]
faq_dir = "{ROOT / "faq"}"
{extra}
""",
        encoding="utf-8",
    )
    return config


def edit_config(config: Path, old: str, new: str) -> None:
    """Replace `old` in the config file with `new` (which may use `old`, as `{old}`)."""
    text = config.read_text(encoding="utf-8")
    assert old in text, old
    config.write_text(text.replace(old, new.format(old=old)), encoding="utf-8")


def add_agent(config: Path, name: str, password: str, *, admin: bool = False) -> None:
    """`loket agents add NAME --init`: tests seed agents before any server ran, so the
    first one makes the store."""
    args = [*LOKET, "--config", str(config), "agents", "add", name, "--init"]
    if admin:
        args.append("--admin")
    subprocess.run(args, input=password + "\n", text=True, check=True, capture_output=True)


@dataclass
class ServerProcess:
    """`loket serve` in a child process, as an operator runs it."""

    config: Path
    # Listen on this port rather than the config's (a restart on the same address).
    port: int | None = None
    process: subprocess.Popen[str] | None = None
    url: str = ""
    output: list[str] = field(default_factory=list)
    # Environment variables for the server (LOKET_SECRET), over the tests' own.
    env: dict[str, str] = field(default_factory=dict)
    # More arguments to `serve` ("--new-secret").
    args: tuple[str, ...] = ()

    def start(self, timeout: float = 30.0) -> None:
        env = dict(os.environ, PYTHONUNBUFFERED="1", **self.env)
        port = ["--port", str(self.port)] if self.port is not None else []
        self.process = subprocess.Popen(
            [*LOKET, "--config", str(self.config), "serve", *port, *self.args],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env=env,
        )
        deadline = time.monotonic() + timeout
        assert self.process.stdout is not None
        while time.monotonic() < deadline:
            line = self.process.stdout.readline()
            if not line:
                break
            self.output.append(line)
            found = re.search(r"Loket listening on (http://\S+)", line)
            if found:
                self.url = found.group(1)
                # Keep reading, so a chatty server never blocks on a full pipe.
                threading.Thread(target=self._drain, daemon=True).start()
                return
        raise RuntimeError("the server did not start:\n" + "".join(self.output))

    def _drain(self) -> None:
        assert self.process is not None and self.process.stdout is not None
        for line in self.process.stdout:
            self.output.append(line)

    def kill(self) -> None:
        """SIGKILL: no cleanup, as in a crash."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)


async def login(url: str, name: str, password: str) -> str:
    async with (
        aiohttp.ClientSession() as http,
        http.post(f"{url}/api/login", json={"name": name, "password": password}) as response,
    ):
        body = await response.json()
        assert response.status == 200, body
        return str(body["token"])


def new_client_id() -> str:
    return f"t-{uuid.uuid4().hex}"


class Inbox:
    """Collects the events a client receives, and waits for the ones a test expects."""

    def __init__(self) -> None:
        self.events: list[tuple[str, Any]] = []
        self._changed = asyncio.Event()

    def add(self, event: str, data: Any) -> None:
        self.events.append((event, data))
        self._changed.set()

    def of(self, event: str) -> list[Any]:
        return [data for name, data in self.events if name == event]

    async def wait_for(self, event: str, predicate: Any = None, within: float = 10.0) -> Any:
        async def find() -> Any:
            while True:
                for name, data in self.events:
                    if name == event and (predicate is None or predicate(data)):
                        return data
                self._changed.clear()
                await self._changed.wait()

        return await asyncio.wait_for(find(), within)


def make_client(namespace: str, inbox: Inbox, events: tuple[str, ...]) -> socketio.AsyncClient:
    client = socketio.AsyncClient(reconnection=False)
    for event in events:

        def handler(data: Any, event: str = event) -> None:
            inbox.add(event, data)

        client.on(event, handler, namespace=namespace)
    return client


SHOPPER_EVENTS = ("message", "conversation", "typing", "read", "queue", "availability")
AGENT_EVENTS = (
    "message",
    "conversation",
    "typing",
    "read",
    "queue",
    "callbacks",
    "previews",
    "status",
    "forgotten",
)


@contextlib.asynccontextmanager
async def shopper(
    url: str, auth: dict[str, Any] | None = None, headers: dict[str, str] | None = None
) -> AsyncIterator[tuple[socketio.AsyncClient, Inbox]]:
    inbox = Inbox()
    client = make_client("/shopper", inbox, SHOPPER_EVENTS)
    await client.connect(
        url,
        namespaces=["/shopper"],
        transports=["websocket"],
        auth=auth or {},
        headers=headers or {},
        wait_timeout=10,
    )
    try:
        yield client, inbox
    finally:
        await client.disconnect()


@contextlib.asynccontextmanager
async def agent(url: str, token: str) -> AsyncIterator[tuple[socketio.AsyncClient, Inbox]]:
    inbox = Inbox()
    client = make_client("/agent", inbox, AGENT_EVENTS)
    await client.connect(
        url, namespaces=["/agent"], transports=["websocket"], auth={"token": token}, wait_timeout=10
    )
    try:
        yield client, inbox
    finally:
        await client.disconnect()


async def call(client: socketio.AsyncClient, namespace: str, event: str, data: Any = None) -> Any:
    """Emit `event` and return its ack."""
    return await client.call(
        event, data if data is not None else {}, namespace=namespace, timeout=15
    )


class TcpProxy:
    """A TCP relay in front of a server that a test can cut, as a dropped network would."""

    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.port = 0
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.target)
        except OSError:
            writer.close()
            return
        self._writers.update({writer, up_writer})

        async def pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
            with contextlib.suppress(OSError, asyncio.CancelledError):
                while data := await src.read(65536):
                    dst.write(data)
                    await dst.drain()
            dst.close()

        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))

    def cut(self) -> None:
        """Drop every open connection at once, without a closing handshake."""
        for writer in list(self._writers):
            transport = writer.transport
            if transport is not None:
                transport.abort()
        self._writers.clear()

    async def close(self) -> None:
        self.cut()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()


async def run_loket(config: Path, *args: str, stdin: str = "") -> tuple[int, str, str]:
    """Run the `loket` command without blocking the event loop; (exit code, stdout, stderr)."""
    process = await asyncio.create_subprocess_exec(
        *LOKET,
        "--config",
        str(config),
        *args,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await process.communicate(stdin.encode())
    return process.returncode or 0, out.decode(), err.decode()
