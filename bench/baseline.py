"""The bare relay: the least a server must do to carry Loket's chat traffic.

A plain aiohttp WebSocket handler that speaks the same Engine.IO/Socket.IO framing as
Loket (so the same load generator drives both) and routes the same way: a shopper's
first message opens a conversation that every agent sees until one takes it; after
that, messages go to the shopper and to the agent who took it. Every message is echoed
to its sender's side and acknowledged with the same payload shapes as Loket. There is
no persistence, no validation, no rate limit and no authentication: Loket's figures are
read as ratios to this.

Run: python -m bench.baseline [--host H] [--port P]; it prints
"Baseline listening on http://HOST:PORT".
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import resource
import secrets
import signal
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

from bench.eio import encode_ack, encode_event, split_packet

PING_INTERVAL = 25.0
MAX_PACKET = 65_536
OPEN = "0" + json.dumps(
    {"upgrades": [], "pingInterval": 25000, "pingTimeout": 20000, "maxPayload": 1000000},
    separators=(",", ":"),
)
_dumps = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode


@dataclass(slots=True, eq=False)
class Link:
    """One WebSocket connection and the namespace it joined."""

    ws: web.WebSocketResponse
    namespace: str = ""
    agent_id: int = 0
    conversation: Conversation | None = None


@dataclass(slots=True, eq=False)
class Conversation:
    id: int
    shopper: Link
    state: str = "queued"
    agent: Link | None = None
    last_seq: int = 0

    def shopper_view(self) -> dict[str, Any]:
        agent = {"name": f"agent-{self.agent.agent_id}"} if self.agent else None
        return {
            "id": self.id,
            "state": self.state,
            "agent": agent,
            "last_seq": self.last_seq,
            "agent_read_seq": 0,
            "shopper_read_seq": 0,
        }

    def agent_view(self) -> dict[str, Any]:
        view = self.shopper_view()
        if self.agent is not None:
            view["agent"] = {"id": self.agent.agent_id, "name": f"agent-{self.agent.agent_id}"}
        view["shopper"] = {"id": self.id, "name": None, "email": None, "customer_id": None}
        return view


@dataclass
class Relay:
    """The in-memory state of the bare relay."""

    agents: set[Link] = field(default_factory=set)
    links: set[Link] = field(default_factory=set)
    conversations: dict[int, Conversation] = field(default_factory=dict)
    ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    agent_ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    async def send(self, link: Link, frame: str) -> None:
        if not link.ws.closed:
            await link.ws.send_str(frame)

    async def to_agents(self, conversation: Conversation, event: str, data: Any) -> None:
        """To the agent who has the conversation, or to every agent while nobody has it."""
        if conversation.agent is not None:
            await self.send(conversation.agent, encode_event("/agent", event, data, None))
            return
        frame = encode_event("/agent", event, data, None)
        for agent in list(self.agents):
            await self.send(agent, frame)

    async def on_shopper_message(self, link: Link, data: dict[str, Any]) -> dict[str, Any]:
        conversation = link.conversation
        if conversation is None:
            conversation = Conversation(next(self.ids), link)
            self.conversations[conversation.id] = conversation
            link.conversation = conversation
            view = conversation.shopper_view()
            await self.send(link, encode_event("/shopper", "conversation", view, None))
            change = conversation.agent_view() | {"previous_state": "bot"}
            await self.to_agents(conversation, "conversation", change)
        conversation.last_seq += 1
        message = {
            "conversation_id": conversation.id,
            "seq": conversation.last_seq,
            "client_id": data.get("client_id"),
            "author": "shopper",
            "text": data.get("text"),
            "at": int(time.time() * 1000),
        }
        await self.send(link, encode_event("/shopper", "message", message, None))
        await self.to_agents(conversation, "message", message)
        return {
            "ok": True,
            "message": message,
            "duplicate": False,
            "conversation": conversation.shopper_view(),
        }

    async def on_take(self, link: Link, data: dict[str, Any]) -> dict[str, Any]:
        conversation = self.conversations.get(int(data.get("conversation_id", 0)))
        if conversation is None:
            return {"ok": False, "error": {"code": "not_found", "message": "No such one."}}
        if conversation.agent is not None and conversation.agent is not link:
            return {"ok": False, "error": {"code": "already_taken", "message": "Taken."}}
        previous = conversation.state
        conversation.agent = link
        conversation.state = "assigned"
        await self.send(
            conversation.shopper,
            encode_event("/shopper", "conversation", conversation.shopper_view(), None),
        )
        change = conversation.agent_view() | {"previous_state": previous}
        frame = encode_event("/agent", "conversation", change, None)
        for agent in list(self.agents):
            await self.send(agent, frame)
        return {"ok": True, "conversation": conversation.agent_view()}

    def on_sync(self, link: Link) -> dict[str, Any]:
        """The agent and every conversation; what a console receives does not change."""
        views = [c.agent_view() for c in self.conversations.values()]
        return {"ok": True, "agent": {"id": link.agent_id}, "conversations": views}

    async def on_agent_message(self, link: Link, data: dict[str, Any]) -> dict[str, Any]:
        conversation = self.conversations.get(int(data.get("conversation_id", 0)))
        if conversation is None or conversation.agent is not link:
            return {"ok": False, "error": {"code": "not_assigned", "message": "Not yours."}}
        conversation.last_seq += 1
        message = {
            "conversation_id": conversation.id,
            "seq": conversation.last_seq,
            "client_id": data.get("client_id"),
            "author": "agent",
            "agent_name": f"agent-{link.agent_id}",
            "text": data.get("text"),
            "at": int(time.time() * 1000),
        }
        await self.send(conversation.shopper, encode_event("/shopper", "message", message, None))
        await self.send(link, encode_event("/agent", "message", message, None))
        return {"ok": True, "message": message, "duplicate": False}

    async def dispatch(self, link: Link, event: str, data: Any) -> dict[str, Any]:
        if not isinstance(data, dict):
            data = {}
        if link.namespace == "/shopper" and event == "message":
            return await self.on_shopper_message(link, data)
        if link.namespace == "/agent" and event == "sync":
            return self.on_sync(link)
        if link.namespace == "/agent" and event == "take":
            return await self.on_take(link, data)
        if link.namespace == "/agent" and event == "message":
            return await self.on_agent_message(link, data)
        return {"ok": True}

    async def handle(self, request: web.Request) -> web.StreamResponse:
        # Loket declines permessage-deflate (loket/realtime/transport.py); so does the
        # baseline, so both carry the same bytes.
        ws = web.WebSocketResponse(max_msg_size=MAX_PACKET, compress=False)
        await ws.prepare(request)
        link = Link(ws)
        self.links.add(link)
        try:
            await ws.send_str(OPEN[:1] + _dumps({"sid": secrets.token_urlsafe(15)}) + OPEN[1:])
            async for message in ws:
                if message.type is not WSMsgType.TEXT:
                    break
                await self.on_frame(link, message.data)
        finally:
            self.links.discard(link)
            self.agents.discard(link)
            if link.conversation is not None:
                self.conversations.pop(link.conversation.id, None)
        return ws

    async def on_frame(self, link: Link, frame: str) -> None:
        if frame == "3":
            return
        if not frame.startswith("4"):
            return
        kind, namespace, ack_id, body = split_packet(frame)
        if kind == "0":
            link.namespace = namespace
            if namespace == "/agent":
                link.agent_id = next(self.agent_ids)
                self.agents.add(link)
            sid = _dumps({"sid": secrets.token_urlsafe(15)})
            await link.ws.send_str(f"40{namespace},{sid}")
        elif kind == "2":
            args = json.loads(body)
            result = await self.dispatch(link, args[0], args[1] if len(args) > 1 else None)
            if ack_id is not None:
                await link.ws.send_str(encode_ack(namespace, ack_id, result))

    async def pinger(self) -> None:
        """Engine.IO heartbeats: every connection is pinged every 25 s, spread over the period
        (as engine.io's per-socket timers are) rather than in one burst."""
        slices = 25
        for tick in itertools.count():
            await asyncio.sleep(PING_INTERVAL / slices)
            for number, link in enumerate(list(self.links)):
                if number % slices == tick % slices:
                    with contextlib.suppress(ConnectionError):
                        await self.send(link, "2")


def create_relay_app() -> web.Application:
    relay = Relay()
    app = web.Application()
    app.router.add_get("/socket.io/", relay.handle)

    async def pinging(app: web.Application) -> AsyncIterator[None]:
        task = asyncio.create_task(relay.pinger())
        yield
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    app.cleanup_ctx.append(pinging)
    return app


async def serve(host: str, port: int) -> None:
    runner = web.AppRunner(create_relay_app(), access_log=None, handle_signals=False)
    await runner.setup()
    # The default backlog (128), as `loket serve` uses.
    site = web.TCPSite(runner, host, port)
    await site.start()
    server = site._server
    sockets = getattr(server, "sockets", None) or []
    bound = sockets[0].getsockname()[1] if sockets else port
    print(f"Baseline listening on http://{host}:{bound}", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        await runner.cleanup()


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.baseline", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    asyncio.run(serve(args.host, args.port))


if __name__ == "__main__":
    main()
