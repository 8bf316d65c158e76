"""The load generator: shoppers and agents in a process of their own, driven over a pipe.

The parent sends commands (dicts) and gets one reply (a dict) per command:

    connect_agents  agents: [(name, token)]     one console connection per agent
    pair            shoppers                    shoppers who each open a conversation that
                                                the server routes to an agent, or that one
                                                of this process's agents takes
    connect_idle    count                       shoppers who connect and do nothing
    run             rate, seconds, group        open-loop sends at `rate` messages/s from the
                                                paired (agents answer) or idle shoppers
    close                                       close every connection, end the process

Latency is measured from each message's *scheduled* send time, so a generator or server
that falls behind shows up as latency rather than as a quietly lower rate (no coordinated
omission). The scheduled time travels in the message's client id, so an agent in another
generator process can measure it too. All clients live in one event loop; every wait has
a timeout.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import gc
import itertools
import os
import random
import resource
import time
from collections.abc import Awaitable
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from typing import Any

import aiohttp

from bench.eio import Client

# The same payloads go to both servers.
SHOPPER_TEXT = (
    "Hoi! Ik heb vorige week een winterjas besteld (bestelling 20481) maar nog niets "
    "ontvangen. Kunt u kijken waar hij blijft?"
)
AGENT_TEXT = (
    "Dank voor het wachten! Uw pakket is gisteren verzonden en wordt morgen tussen "
    "9:00 en 13:00 bezorgd. De track-and-trace staat in uw mail."
)
CONNECT_CONCURRENCY = 64
CALL_TIMEOUT = 30.0
# How long after the last scheduled send a run waits for the stragglers.
DRAIN_SECONDS = 3.0
# At most this many sends in a row before the pacer lets the readers run.
PACER_BATCH = 32
# A run is over when every ack is back and nothing has arrived for this long.
QUIET_SECONDS = 0.3


@dataclass
class Recorder:
    """What one run saw; times in seconds."""

    sent: int = 0
    acks_ok: int = 0
    acks_refused: dict[str, int] = field(default_factory=dict)
    delivered: int = 0
    replies_sent: int = 0
    reply_acks_ok: int = 0
    replies_delivered: int = 0
    bot_replies: int = 0
    to_agent: list[float] = field(default_factory=list)
    acked: list[float] = field(default_factory=list)
    to_shopper: list[float] = field(default_factory=list)
    send_lag: list[float] = field(default_factory=list)
    last_event: float = 0.0

    def refused(self, ack: Any) -> None:
        code = "no_ack"
        if isinstance(ack, dict):
            code = str(ack.get("error", {}).get("code", "unknown"))
        self.acks_refused[code] = self.acks_refused.get(code, 0) + 1


@dataclass(slots=True)
class Shopper:
    client: Client
    conversation_id: int
    agent: int = -1


def _micros(seconds: float) -> int:
    return int(seconds * 1_000_000)


def stamped_id(worker: int, number: int, scheduled: float) -> str:
    """A client id that carries its scheduled send time (CLOCK_MONOTONIC, system-wide).

    So whichever generator process holds the receiving agent can measure the latency.
    """
    return f"w{worker}.{number}.{_micros(scheduled)}"


def stamp_of(client_id: str) -> float:
    return int(client_id.rsplit(".", 1)[1]) / 1_000_000


# Events a generated client never looks at (state pushes, queue positions, typing).
AGENT_IGNORES = (
    '["conversation"',
    '["queue"',
    '["typing"',
    '["read"',
    '["callbacks"',
    '["previews"',
)
SHOPPER_IGNORES = ('["conversation"', '["queue"', '["typing"', '["read"')


class Generator:
    """The clients of one generator process."""

    def __init__(self, worker: int, url: str, origin: str) -> None:
        self.worker = worker
        self.url = url
        self.origin = origin
        self.session: aiohttp.ClientSession | None = None
        self.agents: list[Client] = []
        # The conversations each agent has, from its sync (None: answer every one).
        self.own: list[set[int] | None] = []
        self.agent_names: dict[str, int] = {}
        self.paired: list[Shopper] = []
        self.idle: list[Client] = []
        self.answer = False
        self.recorder = Recorder()
        self.ids = itertools.count()

    async def start(self) -> None:
        connector = aiohttp.TCPConnector(limit=0, force_close=True)
        self.session = aiohttp.ClientSession(connector=connector)

    # -- connecting ----------------------------------------------------------------

    async def _connect(self, namespace: str, auth: dict[str, Any]) -> Client:
        assert self.session is not None
        # Shoppers come from the shop's pages; the console is served by Loket itself.
        origin = self.origin if namespace == "/shopper" else self.url
        return await Client.connect(self.session, self.url, namespace, auth, origin=origin)

    async def connect_agents(self, agents: list[tuple[str, str]]) -> dict[str, Any]:
        """One console connection per (name, token)."""
        for name, token in agents:
            agent = await self._connect("/agent", {"token": token})
            index = len(self.agents)
            agent.ignore = AGENT_IGNORES
            agent.on_event = lambda event, data, index=index: self._agent_event(index, event, data)
            self.agents.append(agent)
            self.own.append(None)
            self.agent_names[name] = index
        return {"agents": len(self.agents)}

    def _shopper(self, client: Client) -> Client:
        client.ignore = SHOPPER_IGNORES
        client.on_event = self._shopper_event
        return client

    async def _call(self, client: Client, event: str, data: Any) -> Any:
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()

        def done(ack: Any) -> None:
            if not future.done():
                future.set_result(ack)

        await client.emit(event, data, done)
        return await asyncio.wait_for(future, CALL_TIMEOUT)

    async def _pair_one(self, index: int) -> None:
        client = self._shopper(await self._connect("/shopper", {"locale": "nl"}))
        ack = await self._call(
            client, "message", {"client_id": f"w{self.worker}-open-{index:06d}", "text": "Hallo"}
        )
        if not (isinstance(ack, dict) and ack.get("ok")):
            raise RuntimeError(f"first message refused: {ack}")
        conversation = ack["conversation"]
        shopper = Shopper(client, int(conversation["id"]))
        if conversation.get("state") != "assigned":
            # Nobody has it yet (the bare relay never routes): one of our agents takes it.
            shopper.agent = index % len(self.agents)
            taken = await self._call(
                self.agents[shopper.agent], "take", {"conversation_id": shopper.conversation_id}
            )
            if not (isinstance(taken, dict) and taken.get("ok")):
                raise RuntimeError(f"take refused: {taken}")
        self.paired.append(shopper)

    async def pair(self, shoppers: int) -> dict[str, Any]:
        """Shoppers with a conversation each, routed by the server or taken by our agents."""
        if not self.agents:
            raise RuntimeError("connect agents before pairing shoppers")
        started = time.monotonic()
        for first in range(0, shoppers, CONNECT_CONCURRENCY):
            batch = range(first, min(shoppers, first + CONNECT_CONCURRENCY))
            await asyncio.gather(*(self._pair_one(i) for i in batch))
        return {
            "paired": len(self.paired),
            "compressed": sum(s.client.compressed for s in self.paired),
            "seconds": time.monotonic() - started,
        }

    async def sync_agents(self) -> dict[str, Any]:
        """Every agent syncs, as the console does once connected: from then on it receives
        what a console receives, and answers only the conversations that are its own."""
        for index, client in enumerate(self.agents):
            ack = await self._call(client, "sync", {})
            if not (isinstance(ack, dict) and ack.get("ok")):
                raise RuntimeError(f"sync refused: {ack}")
            me = ack["agent"]["id"]
            self.own[index] = {
                c["id"] for c in ack["conversations"] if (c.get("agent") or {}).get("id") == me
            }
        return {"synced": len(self.agents), "own": sum(len(o or ()) for o in self.own)}

    async def connect_idle(self, count: int) -> dict[str, Any]:
        """`count` more shoppers who connect (with compression) and then say nothing."""
        started = time.monotonic()
        failures: list[str] = []
        semaphore = asyncio.Semaphore(CONNECT_CONCURRENCY)

        async def one() -> None:
            async with semaphore:
                try:
                    client = await self._connect("/shopper", {"locale": "nl"})
                except Exception as exc:
                    failures.append(f"{type(exc).__name__}: {exc}"[:200])
                    return
                self.idle.append(self._shopper(client))

        await asyncio.gather(*(one() for _ in range(count)))
        return {
            "idle": len(self.idle),
            "failed": len(failures),
            "failures": failures[:5],
            "compressed": sum(c.compressed for c in self.idle),
            "seconds": time.monotonic() - started,
        }

    # -- events --------------------------------------------------------------------

    def _agent_event(self, index: int, event: str, data: Any) -> Awaitable[None] | None:
        if event != "message" or data.get("author") != "shopper":
            return None
        client_id = data["client_id"]
        if not client_id.startswith("w") or "-open-" in client_id:
            return None
        own = self.own[index]
        if own is not None and data["conversation_id"] not in own:
            return None  # a colleague's conversation
        now = time.monotonic()
        recorder = self.recorder
        recorder.delivered += 1
        recorder.to_agent.append(now - stamp_of(client_id))
        recorder.last_event = now
        if not self.answer:
            return None
        recorder.replies_sent += 1
        return self.agents[index].emit(
            "message",
            {
                "conversation_id": data["conversation_id"],
                "client_id": f"r.{_micros(now)}.{client_id[1:]}",
                "text": AGENT_TEXT,
            },
            self._reply_acked,
        )

    def _reply_acked(self, ack: Any) -> None:
        if isinstance(ack, dict) and ack.get("ok"):
            self.recorder.reply_acks_ok += 1
        else:
            self.recorder.refused(ack)
        self.recorder.last_event = time.monotonic()

    def _shopper_event(self, event: str, data: Any) -> None:
        if event != "message":
            return None
        author = data.get("author")
        if author == "bot":
            self.recorder.bot_replies += 1
            return None
        client_id = data.get("client_id", "")
        if author != "agent" or not client_id.startswith("r."):
            return None
        now = time.monotonic()
        self.recorder.replies_delivered += 1
        self.recorder.to_shopper.append(now - int(client_id.split(".")[1]) / 1_000_000)
        self.recorder.last_event = now
        return None

    # -- running -------------------------------------------------------------------

    async def run(
        self, rate: float, seconds: float, group: str, start_at: float = 0.0
    ) -> dict[str, Any]:
        """Send `rate` messages/s for `seconds` from `group` ("paired" or "idle").

        `start_at` (CLOCK_MONOTONIC) lets several generator processes start together.
        """
        clients = [s.client for s in self.paired] if group == "paired" else list(self.idle)
        if not clients:
            raise RuntimeError(f"no {group} shoppers to send from")
        if group == "idle":
            random.shuffle(clients)
        self.answer = group == "paired"
        self.recorder = recorder = Recorder()
        total = max(1, int(rate * seconds))
        cpu_before = os.times()
        t0 = max(start_at, time.monotonic() + 0.05)
        await asyncio.sleep(t0 - time.monotonic())
        k = 0
        while k < total:
            now = time.monotonic()
            due = min(total, int((now - t0) * rate) + 1, k + PACER_BATCH)
            while k < due:
                scheduled = t0 + k / rate
                client = clients[k % len(clients)]
                client_id = stamped_id(self.worker, next(self.ids), scheduled)
                recorder.send_lag.append(time.monotonic() - scheduled)
                await client.emit(
                    "message",
                    {"client_id": client_id, "text": SHOPPER_TEXT},
                    functools.partial(self._acked, scheduled=scheduled),
                )
                recorder.sent += 1
                k += 1
            delay = t0 + k / rate - time.monotonic()
            await asyncio.sleep(max(0.0, delay))
        send_end = time.monotonic()
        deadline = send_end + DRAIN_SECONDS
        while time.monotonic() < deadline and not self._drained():  # noqa: ASYNC110
            # Polled: "drained" also means "quiet for a moment", which no event signals.
            await asyncio.sleep(0.01)
        cpu_after = os.times()
        cpu = (cpu_after.user - cpu_before.user) + (cpu_after.system - cpu_before.system)
        return {
            "worker": self.worker,
            "rate": rate,
            "seconds": seconds,
            "sent": recorder.sent,
            "acks_ok": recorder.acks_ok,
            "acks_refused": recorder.acks_refused,
            "delivered": recorder.delivered,
            "replies_sent": recorder.replies_sent,
            "reply_acks_ok": recorder.reply_acks_ok,
            "replies_delivered": recorder.replies_delivered,
            "bot_replies": recorder.bot_replies,
            "to_agent": recorder.to_agent,
            "acked": recorder.acked,
            "to_shopper": recorder.to_shopper,
            "send_lag": recorder.send_lag,
            "t0": t0,
            "last_event": max(recorder.last_event, send_end),
            "cpu_seconds": cpu,
            "wall_seconds": time.monotonic() - t0,
        }

    def _acked(self, ack: Any, scheduled: float) -> None:
        recorder = self.recorder
        now = time.monotonic()
        if isinstance(ack, dict) and ack.get("ok"):
            recorder.acks_ok += 1
            recorder.acked.append(now - scheduled)
        else:
            recorder.refused(ack)
        recorder.last_event = now

    def _drained(self) -> bool:
        """Every ack back, and nothing heard for a moment (replies may be in other processes)."""
        r = self.recorder
        refused = sum(r.acks_refused.values())
        acked = r.acks_ok + r.reply_acks_ok + refused >= r.sent + r.replies_sent
        return acked and time.monotonic() - r.last_event > QUIET_SECONDS

    async def close(self) -> dict[str, Any]:
        """Drop every connection at once (no closing handshakes: a loaded server may be slow)."""
        count = len(self.paired) + len(self.idle) + len(self.agents)
        for client in [s.client for s in self.paired] + self.idle + self.agents:
            client.abort()
        if self.session is not None:
            await self.session.close()
        return {"closed": count}


async def _serve(conn: Connection, worker: int, url: str, origin: str) -> None:
    generator = Generator(worker, url, origin)
    await generator.start()
    loop = asyncio.get_running_loop()
    try:
        while True:
            command: dict[str, Any] = await loop.run_in_executor(None, conn.recv)
            op = command.pop("op")
            try:
                if op == "close":
                    conn.send({"ok": True, **await generator.close()})
                    return
                method = getattr(generator, op)
                result = await method(**command)
                if op in ("connect_agents", "pair", "sync_agents", "connect_idle"):
                    # The clients live until the end: keep the collector's full passes
                    # from walking them (a pause of the generator would count as latency).
                    gc.collect()
                    gc.freeze()
                conn.send({"ok": True, **result})
            except Exception as exc:
                conn.send({"ok": False, "error": f"{type(exc).__name__}: {exc}"})
    finally:
        with contextlib.suppress(Exception):
            await generator.close()


def worker_main(conn: Connection, worker: int, url: str, origin: str) -> None:
    """Entry point of a generator process."""
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    asyncio.run(_serve(conn, worker, url, origin))
