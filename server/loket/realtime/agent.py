"""The /agent namespace: the console's side of conversations."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from dataclasses import dataclass
from datetime import UTC, datetime
from http.cookies import SimpleCookie
from typing import Any

import socketio

from loket.auth import SESSION_COOKIE, AgentSession, hash_token
from loket.bot.learning import PAST_REPLIES_MS, question_before, question_of, unhelpful_answers
from loket.conversations import Conversation
from loket.errors import LoketError
from loket.proxy import from_own_pages
from loket.realtime.base import ClientState, LoketNamespace, origin_of, parse, refuse
from loket.realtime.emitter import (
    AGENT_NS,
    ALL_AGENTS,
    agent_room,
    conversation_room,
    shopper_room,
)
from loket.realtime.payloads import (
    AgentAuthPayload,
    AgentMessage,
    AgentRead,
    AgentStatus,
    AgentTyping,
    CloseConversation,
    ConversationRef,
    Empty,
    FaqSearch,
    OpenConversation,
    Transfer,
)
from loket.store import LearnedRecord, MessageRecord
from loket.views import agent_conversation_view, callback_view, for_agents, message_view

log = logging.getLogger(__name__)


@dataclass(slots=True)
class AgentClient:
    state: ClientState
    session: AgentSession

    @property
    def agent_id(self) -> int:
        return self.session.agent.id


# Learned pairs of replies whose handling failed, settling on their own.
_detached: set[asyncio.Future[Any]] = set()


def _detach(work: Coroutine[Any, Any, Any]) -> None:
    task = asyncio.ensure_future(work)
    _detached.add(task)
    task.add_done_callback(_settled)


async def _settle(work: Coroutine[Any, Any, Any]) -> None:
    try:
        await work
    except Exception as exc:
        log.warning("learning from a reply failed: %s", exc)


def _settled(task: asyncio.Future[Any]) -> None:
    _detached.discard(task)
    if not task.cancelled() and task.exception() is not None:
        log.warning("learning from a reply failed: %s", task.exception())


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


def session_room(token: str) -> str:
    """The room of every connection opened with one session, so logout can end them."""
    return f"session:{hash_token(token)[:32]}"


async def end_session(sio: socketio.AsyncServer, token: str, *, left: bool = True) -> None:
    """Disconnect every /agent connection of a session that was logged out (or no longer
    holds); its agent, with no other console open, is gone at once (see `agent_left`)
    when they `left` (not when the session merely expired: they may log in again)."""
    room = session_room(token)
    namespace = sio.namespace_handlers[AGENT_NS]
    assert isinstance(namespace, AgentNamespace)
    gone: set[int] = set()
    for sid, _ in list(sio.manager.get_participants(AGENT_NS, room)):
        client = namespace.client_now(sid)
        if client is not None:
            gone.add(client.agent_id)
        await sio.disconnect(sid, namespace=AGENT_NS)
    for agent_id in gone if left else ():
        namespace.services.conversations.agent_left(agent_id)


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
            "close": (CloseConversation, self.on_close_event),
            "status": (AgentStatus, self.on_status_event),
            "transfer": (Transfer, self.on_transfer_event),
            "callbacks": (Empty, self.on_callbacks_event),
            "suggestions": (ConversationRef, self.on_suggestions_event),
            "faq_search": (FaqSearch, self.on_faq_search_event),
        }

    async def on_connect(self, sid: str, environ: dict[str, Any], auth: Any) -> None:
        self.admit(environ)
        if not from_own_pages(
            fetch_site=environ.get("HTTP_SEC_FETCH_SITE"),
            origin=origin_of(environ),
            host=str(environ.get("HTTP_HOST", "")),
        ):
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
        self.heartbeat(sid, self.services.settings.routing.heartbeat_interval_seconds)
        await self.enter_room(sid, ALL_AGENTS)
        await self.enter_room(sid, agent_room(session.agent.id))
        await self.enter_room(sid, session_room(session.token))
        self.services.agents.remember(session.agent)
        self.services.metrics.connections.labels("agent").inc()
        await self.services.conversations.agent_connected(session.agent.id, session.agent.name)

    async def on_disconnect(self, sid: str, reason: Any = None) -> None:
        client = await self.client(sid)
        if client is not None:
            self.services.conversations.agent_disconnected(client.agent_id)
            self.services.metrics.connections.labels("agent").dec()

    async def recheck_sessions(self) -> None:
        """End the connections whose session no longer holds: logged out, expired, or its
        agent disabled or given a new password, also by `loket agents` in another process.
        The console, disconnected by the server, asks whether its session still holds and
        shows the login. Live sessions take the agent's record as stored now (a new role or
        display name applies without logging in again)."""
        by_token: dict[str, list[AgentClient]] = {}
        for sid, _ in list(self.server.manager.get_participants(AGENT_NS, ALL_AGENTS)):
            client = await self.client(sid)
            if client is not None:
                by_token.setdefault(client.session.token, []).append(client)
        for token, clients in by_token.items():
            try:
                session = await self.services.agent_auth.session(token)
            except LoketError as exc:
                name = clients[0].session.agent.name
                log.info("ending the console connections of %r: %s", name, exc.message)
                await end_session(self.server, token, left=exc.code != "session_expired")
                continue
            for client in clients:
                client.session = session
            self.services.agents.remember(session.agent)

    async def check_client(self, sid: str, client: Any) -> None:
        if client.session.expires_at <= self.services.clock():
            raise LoketError("session_expired", "Your session has expired; log in again.")

    # -- events --------------------------------------------------------------------

    async def _view(self, conversation: Conversation, with_last: bool = False) -> dict[str, Any]:
        store = self.services.store
        shopper = await store.shopper_by_id(conversation.shopper_id)
        last = None
        if with_last:
            last = (await store.listed_messages([conversation.id])).get(conversation.id)
        return await agent_conversation_view(conversation, shopper, self.services.agents, last)

    async def on_sync_event(self, sid: str, client: AgentClient, payload: Any) -> dict[str, Any]:
        services = self.services
        conversations = services.conversations.open_conversations()
        last = await services.store.listed_messages([c.id for c in conversations])
        views = []
        for conversation in conversations:
            shopper = await services.store.shopper_by_id(conversation.shopper_id)
            views.append(
                await agent_conversation_view(
                    conversation, shopper, services.agents, last.get(conversation.id)
                )
            )
        agent = client.session.agent
        presence = services.presence.get(agent.id)
        return {
            "agent": {
                "id": agent.id,
                "name": agent.name,
                "display_name": agent.display_name,
                "is_admin": agent.is_admin,
                "status": presence.status if presence else "online",
                "capacity": services.settings.routing.capacity_for(agent.name),
            },
            "conversations": views,
            "queue": [place.conversation.id for place in services.conversations.queue()],
            "closed_today": await self._closed_today(),
            "callbacks": [callback_view(c) for c in await services.store.open_callbacks()],
            "agents": await self._agents_online(),
            "limits": {"max_message_chars": services.settings.limits.max_message_chars},
        }

    async def _closed_today(self) -> list[dict[str, Any]]:
        """Conversations closed since midnight in the shop's time zone."""
        services = self.services
        zone = services.conversations.timezone
        now = datetime.fromtimestamp(services.clock(), UTC).astimezone(zone)
        midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
        views = []
        for record in await services.store.conversations_closed_since(
            int(midnight.timestamp() * 1000)
        ):
            conversation = await services.conversations.get(record.id)
            views.append(await self._view(conversation))
        return views

    async def _agents_online(self) -> list[dict[str, Any]]:
        services = self.services
        found = []
        for agent_id in sorted(services.presence.online()):
            found.append(
                {
                    "id": agent_id,
                    "name": await services.agents.name(agent_id),
                    "load": services.conversations.load_of(agent_id),
                    # What routing gives them at once: the console marks who is full.
                    "capacity": services.conversations.capacity_of(agent_id),
                }
            )
        return found

    async def on_status_event(self, sid: str, client: AgentClient, payload: Any) -> dict[str, Any]:
        assert isinstance(payload, AgentStatus)
        await self.services.conversations.set_agent_status(client.agent_id, payload.status)
        # Every console of this agent shows what routing now goes by, not only this one.
        await self.emit(
            "status", {"status": payload.status}, to=agent_room(client.agent_id), skip_sid=sid
        )
        return {"status": payload.status}

    async def on_transfer_event(
        self, sid: str, client: AgentClient, payload: Any
    ) -> dict[str, Any]:
        assert isinstance(payload, Transfer)
        conversation = await self.services.conversations.transfer(
            client.agent_id,
            payload.conversation_id,
            to_agent_id=payload.to_agent_id,
            note=payload.note,
            is_admin=client.session.agent.is_admin,
        )
        return {"conversation": await self._view(conversation)}

    async def on_callbacks_event(
        self, sid: str, client: AgentClient, payload: Any
    ) -> dict[str, Any]:
        store = self.services.store
        return {"callbacks": [callback_view(c) for c in await store.open_callbacks()]}

    async def on_open_event(self, sid: str, client: AgentClient, payload: Any) -> dict[str, Any]:
        assert isinstance(payload, OpenConversation)
        services = self.services
        conversation = await services.conversations.get(payload.conversation_id)
        await self.enter_room(sid, conversation_room(conversation.id))
        page = services.settings.limits.replay_page
        found = await services.conversations.history(conversation.id, payload.after_seq, page + 1)
        earlier = [
            {
                "id": c.id,
                "state": c.state,
                "created_at": c.created_at,
                "closed_at": c.closed_at,
                "agent": await services.agents.name(c.agent_id) if c.agent_id else None,
                "note": c.note,
                "note_by": await services.agents.name(c.note_by) if c.note_by else None,
            }
            for c in await services.store.conversations_of_shopper(conversation.shopper_id, 11)
            if c.id != conversation.id
        ][:10]
        return {
            "conversation": await self._view(conversation),
            "messages": [
                for_agents(await message_view(m, services.agents), m) for m in found[:page]
            ],
            "more": len(found) > page,
            "earlier": earlier,
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
        services = self.services
        learning = services.learning
        # The reply and what is learned from it are stored in one transaction.
        learn: list[Coroutine[Any, Any, LearnedRecord | None]] = []
        accepted = None
        if learning is not None:
            target = await services.conversations.get(payload.conversation_id)
            shopper = await services.store.shopper_by_id(target.shopper_id)
            author = client.session.agent

            def accepted(conversation: Conversation, message: MessageRecord) -> None:
                learn.append(
                    learning.from_reply(
                        conversation,
                        message,
                        reusable=payload.reusable,
                        agent=author,
                        shopper_name=shopper.name if shopper else None,
                    )
                )

        try:
            _, message, duplicate = await services.conversations.agent_message(
                client.agent_id,
                payload.conversation_id,
                payload.client_id,
                payload.text,
                is_admin=client.session.agent.is_admin,
                origin=sid,
                accepted=accepted,
            )
        except Exception:
            # The reply was not stored, so neither is its learned pair, which gives the
            # question back: settled before the agent hears of the failure, so a reply sent
            # again at once learns the question.
            for pending in learn:
                await _settle(pending)
            raise
        except BaseException:
            # Cancelled: stored or not, the reply's learned pair settles by itself (it is
            # kept only if the reply is stored).
            for pending in learn:
                _detach(pending)
            raise
        learned = None
        for pending in learn:
            record = await pending
            if record is not None:
                learned = {
                    "id": record.id,
                    # The question it was kept for: the agent reads it (see learnedNotice).
                    "question": record.question,
                    "status": record.status,
                    "personal": record.personal,
                    "language": record.language,
                    # Told of a reply marked reusable only: it costs a language check,
                    # and every agent reply is kept.
                    "answer_language": (
                        self._other_language(record) if record.status == "approved" else None
                    ),
                }
        return {
            "message": for_agents(await message_view(message, self.services.agents), message),
            "duplicate": duplicate,
            "learned": learned,
        }

    def _other_language(self, record: LearnedRecord) -> str | None:
        """The language of a learned answer when it is another of the FAQ's languages than
        its question's: the bot gives such a pair to nobody (see `learned.served`)."""
        bot = self.services.bot
        if bot is None or record.language is None:
            return None
        language = bot.matcher.language_of(record.answer, record.language)
        return language if language != record.language else None

    async def on_suggestions_event(
        self, sid: str, client: AgentClient, payload: Any
    ) -> dict[str, Any]:
        assert isinstance(payload, ConversationRef)
        services = self.services
        conversation = await services.conversations.get(payload.conversation_id)
        recent = await services.store.messages_after(
            conversation.id, max(0, conversation.last_seq - 20), 20
        )
        # The question before the agents' latest replies: a "let me check" (or a colleague's
        # reply before a transfer) does not answer it, and the suggestions are for it.
        since = int(services.clock() * 1000) - PAST_REPLIES_MS
        unhelpful = await unhelpful_answers(services.store, conversation.id, recent)
        question = question_before(
            recent, conversation.last_seq + 1, past_replies_since=since, unhelpful=unhelpful
        )
        if question is None or services.bot is None:
            return {"suggestions": []}
        result = await services.bot.match(question, conversation.locale)
        raw = next((m.text for m in reversed(recent) if m.author == "shopper"), "")
        last = question_of([raw]) if raw else None
        if result.outcome == "unknown" and last is not None and last != question:
            # The shopper's last few messages together say too much: their last one alone.
            result = await services.bot.match(last, conversation.locale)
            question = last
        # Not the closest entry to a question the bot does not know: it shares a word or two
        # at most ("beschilderen" and the opening hours), which only gets in the way.
        best = result.entry if result.outcome != "unknown" else None
        entries = [e for e in (best, *result.suggestions) if e is not None]
        unique = list(dict.fromkeys(entries))[:3]
        return {
            "question": question,
            "suggestions": [
                {
                    "id": e.id,
                    "question": e.questions[0],
                    "answer": e.answer,
                    "score": round(result.score, 3) if e is result.entry else None,
                }
                for e in unique
            ],
        }

    async def on_faq_search_event(
        self, sid: str, client: AgentClient, payload: Any
    ) -> dict[str, Any]:
        assert isinstance(payload, FaqSearch)
        bot = self.services.bot
        found = await bot.search(payload.query) if bot is not None else []
        return {
            "results": [{"id": e.id, "question": e.questions[0], "answer": e.answer} for e in found]
        }

    async def _assigned_to(self, client: AgentClient, conversation_id: int) -> Conversation:
        conversation = await self.services.conversations.get(conversation_id)
        if conversation.agent_id != client.agent_id:
            raise LoketError("not_assigned", "This conversation is not yours.")
        return conversation

    async def on_typing_event(self, sid: str, client: AgentClient, payload: Any) -> dict[str, Any]:
        assert isinstance(payload, AgentTyping)
        conversation = await self._assigned_to(client, payload.conversation_id)
        if payload.typing:
            self.services.conversations.agent_typing(conversation)
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
        assert isinstance(payload, CloseConversation)
        conversation = await self.services.conversations.close(
            client.agent_id,
            payload.conversation_id,
            is_admin=client.session.agent.is_admin,
            summary=payload.summary,
        )
        return {"conversation": await self._view(conversation)}
