"""The /agent namespace: the console's side of conversations."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import urlsplit

from loket.auth import SESSION_COOKIE, AgentSession
from loket.conversations import Conversation
from loket.errors import LoketError
from loket.realtime.base import ClientState, LoketNamespace, origin_of, parse, refuse
from loket.realtime.emitter import ALL_AGENTS, conversation_room, shopper_room
from loket.realtime.payloads import (
    AgentAuthPayload,
    AgentMessage,
    AgentRead,
    AgentTyping,
    ConversationRef,
    Empty,
    OpenConversation,
)
from loket.views import agent_conversation_view, message_view

log = logging.getLogger(__name__)


@dataclass(slots=True)
class AgentClient:
    state: ClientState
    session: AgentSession

    @property
    def agent_id(self) -> int:
        return self.session.agent.id


def _cookie_token(environ: dict[str, Any]) -> str | None:
    header = environ.get("HTTP_COOKIE")
    if not header:
        return None
    cookie: SimpleCookie = SimpleCookie()
    try:
        cookie.load(str(header))
    except Exception:
        return None
    morsel = cookie.get(SESSION_COOKIE)
    return morsel.value if morsel else None


def _same_origin(origin: str, environ: dict[str, Any]) -> bool:
    host = str(environ.get("HTTP_HOST", ""))
    return urlsplit(origin).netloc == host


class AgentNamespace(LoketNamespace):
    label = "agent"

    def __init__(self) -> None:
        super().__init__("/agent")
        self.events = {
            "sync": (Empty, self.on_sync_event),
            "open": (OpenConversation, self.on_open_event),
            "take": (ConversationRef, self.on_take_event),
            "message": (AgentMessage, self.on_message_event),
            "typing": (AgentTyping, self.on_typing_event),
            "read": (AgentRead, self.on_read_event),
            "close": (ConversationRef, self.on_close_event),
        }

    async def on_connect(self, sid: str, environ: dict[str, Any], auth: Any) -> None:
        origin = origin_of(environ)
        if origin is not None and not _same_origin(origin, environ):
            raise refuse("origin_not_allowed", "The console must be opened from this server.")
        try:
            payload = parse(AgentAuthPayload, auth)
            assert isinstance(payload, AgentAuthPayload)
            token = payload.token or _cookie_token(environ)
            session = await self.services.agent_auth.session(token)
        except LoketError as exc:
            raise refuse(exc.code, exc.message) from None
        client = AgentClient(self.new_client_state(), session)
        await self.save_session(sid, {"client": client})
        await self.enter_room(sid, ALL_AGENTS)
        await self.enter_room(sid, f"agent:{session.agent.id}")
        self.services.agents.remember(session.agent)
        self.services.presence.connected(session.agent.id)
        self.services.metrics.connections.labels("agent").inc()

    async def on_disconnect(self, sid: str, reason: Any = None) -> None:
        client = await self.client(sid)
        if client is not None:
            self.services.presence.disconnected(client.agent_id)
            self.services.metrics.connections.labels("agent").dec()

    async def check_client(self, sid: str, client: Any) -> None:
        if client.session.expires_at <= self.services.clock():
            raise LoketError("session_expired", "Your session has expired; log in again.")

    # -- events --------------------------------------------------------------------

    async def _view(self, conversation: Conversation, with_last: bool = False) -> dict[str, Any]:
        store = self.services.store
        shopper = await store.shopper_by_id(conversation.shopper_id)
        last = None
        if with_last:
            last = (await store.last_messages([conversation.id])).get(conversation.id)
        return await agent_conversation_view(conversation, shopper, self.services.agents, last)

    async def on_sync_event(self, sid: str, client: AgentClient, payload: Any) -> dict[str, Any]:
        services = self.services
        conversations = await services.conversations.open_conversations()
        last = await services.store.last_messages([c.id for c in conversations])
        views = []
        for conversation in conversations:
            shopper = await services.store.shopper_by_id(conversation.shopper_id)
            views.append(
                await agent_conversation_view(
                    conversation, shopper, services.agents, last.get(conversation.id)
                )
            )
            if conversation.agent_id == client.agent_id:
                await self.enter_room(sid, conversation_room(conversation.id))
        agent = client.session.agent
        return {
            "agent": {
                "id": agent.id,
                "name": agent.name,
                "display_name": agent.display_name,
                "is_admin": agent.is_admin,
            },
            "conversations": views,
        }

    async def on_open_event(self, sid: str, client: AgentClient, payload: Any) -> dict[str, Any]:
        assert isinstance(payload, OpenConversation)
        services = self.services
        conversation = await services.conversations.get(payload.conversation_id)
        await self.enter_room(sid, conversation_room(conversation.id))
        page = services.settings.limits.replay_page
        found = await services.conversations.history(conversation.id, payload.after_seq, page + 1)
        return {
            "conversation": await self._view(conversation),
            "messages": [await message_view(m, services.agents) for m in found[:page]],
            "more": len(found) > page,
        }

    async def on_take_event(self, sid: str, client: AgentClient, payload: Any) -> dict[str, Any]:
        assert isinstance(payload, ConversationRef)
        conversation = await self.services.conversations.take(
            client.agent_id, payload.conversation_id
        )
        await self.enter_room(sid, conversation_room(conversation.id))
        return {"conversation": await self._view(conversation)}

    async def on_message_event(self, sid: str, client: AgentClient, payload: Any) -> dict[str, Any]:
        assert isinstance(payload, AgentMessage)
        _, message, duplicate = await self.services.conversations.agent_message(
            client.agent_id,
            payload.conversation_id,
            payload.client_id,
            payload.text,
            is_admin=client.session.agent.is_admin,
        )
        return {
            "message": await message_view(message, self.services.agents),
            "duplicate": duplicate,
        }

    async def _assigned_to(self, client: AgentClient, conversation_id: int) -> Conversation:
        conversation = await self.services.conversations.get(conversation_id)
        if conversation.agent_id != client.agent_id:
            raise LoketError("not_assigned", "This conversation is not yours.")
        return conversation

    async def on_typing_event(self, sid: str, client: AgentClient, payload: Any) -> dict[str, Any]:
        assert isinstance(payload, AgentTyping)
        conversation = await self._assigned_to(client, payload.conversation_id)
        await self.emit(
            "typing",
            {
                "author": "agent",
                "agent_name": client.session.agent.display_name,
                "typing": payload.typing,
            },
            to=shopper_room(conversation.shopper_id),
            namespace="/shopper",
        )
        return {}

    async def on_read_event(self, sid: str, client: AgentClient, payload: Any) -> dict[str, Any]:
        assert isinstance(payload, AgentRead)
        conversation = await self._assigned_to(client, payload.conversation_id)
        seq = await self.services.conversations.mark_read(conversation, "agent", payload.seq)
        await self.emit(
            "read",
            {"conversation_id": conversation.id, "by": "agent", "seq": seq},
            to=shopper_room(conversation.shopper_id),
            namespace="/shopper",
        )
        return {"seq": seq}

    async def on_close_event(self, sid: str, client: AgentClient, payload: Any) -> dict[str, Any]:
        assert isinstance(payload, ConversationRef)
        conversation = await self.services.conversations.close(
            client.agent_id, payload.conversation_id, is_admin=client.session.agent.is_admin
        )
        return {"conversation": await self._view(conversation)}
