"""Conversations: the state machine, and the one place that decides what happens to one.

Every message gets a per-conversation sequence number when it is accepted, in the order
it arrived, and is acknowledged only once its transaction has committed. A client id
seen before returns the message already stored instead of storing it twice.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol

from loket.errors import LoketError
from loket.locks import KeyedLocks
from loket.store import ConversationRecord, MessageRecord, ShopperRecord, Store
from loket.store.records import Author

log = logging.getLogger(__name__)

# C0 and C1 control characters other than tab and newline, and the bidi overrides
# that can make a message read differently from what it says.
_FORBIDDEN = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


class State(StrEnum):
    BOT = "bot"
    QUEUED = "queued"
    ASSIGNED = "assigned"
    CLOSED = "closed"


# Which state may follow which. ASSIGNED -> ASSIGNED is a transfer to another agent.
TRANSITIONS: dict[State, frozenset[State]] = {
    State.BOT: frozenset({State.QUEUED, State.ASSIGNED, State.CLOSED}),
    State.QUEUED: frozenset({State.BOT, State.ASSIGNED, State.CLOSED}),
    State.ASSIGNED: frozenset({State.ASSIGNED, State.QUEUED, State.BOT, State.CLOSED}),
    State.CLOSED: frozenset({State.BOT, State.QUEUED, State.ASSIGNED}),
}


class IllegalTransition(LoketError):
    """A state change the conversation rules do not allow."""

    def __init__(self, current: State, wanted: State) -> None:
        super().__init__(
            "illegal_transition",
            f"A conversation that is {current.value} cannot become {wanted.value}.",
        )


def clean_text(text: str, max_chars: int) -> str:
    """The message text to store, or LoketError when it is empty, too long or has controls."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if _FORBIDDEN.search(text):
        raise LoketError("invalid_text", "The message contains control characters.")
    stripped = text.strip()
    if not stripped:
        raise LoketError("empty_text", "The message is empty.")
    if len(stripped) > max_chars:
        raise LoketError(
            "message_too_long",
            f"The message is longer than {max_chars} characters.",
            max_chars=max_chars,
        )
    return stripped


@dataclass(slots=True)
class Conversation:
    """A conversation as the server holds it in memory while it is in use."""

    id: int
    shopper_id: int
    state: State
    agent_id: int | None
    created_at: int
    updated_at: int
    queued_at: int | None
    assigned_at: int | None
    closed_at: int | None
    shopper_read_seq: int
    agent_read_seq: int
    locale: str | None
    page_url: str | None
    page_title: str | None
    last_seq: int = 0
    client_ids: dict[str, int] = field(default_factory=dict)
    pending: dict[str, asyncio.Future[MessageRecord]] = field(default_factory=dict)

    @classmethod
    def from_record(cls, record: ConversationRecord, client_ids: dict[str, int]) -> Conversation:
        return cls(
            id=record.id,
            shopper_id=record.shopper_id,
            state=State(record.state),
            agent_id=record.agent_id,
            created_at=record.created_at,
            updated_at=record.updated_at,
            queued_at=record.queued_at,
            assigned_at=record.assigned_at,
            closed_at=record.closed_at,
            shopper_read_seq=record.shopper_read_seq,
            agent_read_seq=record.agent_read_seq,
            locale=record.locale,
            page_url=record.page_url,
            page_title=record.page_title,
            last_seq=max(client_ids.values(), default=0),
            client_ids=client_ids,
        )


@dataclass(frozen=True, slots=True)
class PageContext:
    """Where the shopper is, as the widget reports it."""

    url: str | None = None
    title: str | None = None
    locale: str | None = None


class ConversationEvents(Protocol):
    """What the realtime layer is told, so it can push changes to the people concerned."""

    async def message_added(self, conversation: Conversation, message: MessageRecord) -> None: ...

    async def conversation_changed(self, conversation: Conversation, previous: State) -> None: ...


class Router(Protocol):
    """Decides the state of a conversation that opens or reopens (routing plugs in here)."""

    def initial_state(self, conversation: Conversation) -> tuple[State, int | None]: ...


# Answers a shopper's message while no agent has the conversation (the bot plugs in here).
Responder = Callable[[Conversation, MessageRecord], Awaitable[list[str]]]


class Conversations:
    """Opens, continues, hands over and closes conversations; persists every change."""

    def __init__(
        self,
        store: Store,
        *,
        events: ConversationEvents,
        router: Router,
        clock: Callable[[], float],
        max_message_chars: int,
        reopen_seconds: float,
    ) -> None:
        self._store = store
        self._events = events
        self._router = router
        self._clock = clock
        self._max_chars = max_message_chars
        self._reopen_ms = int(reopen_seconds * 1000)
        self._live: dict[int, Conversation] = {}
        self._loading: dict[int, asyncio.Future[Conversation | None]] = {}
        self._locks = KeyedLocks()
        self._background: set[asyncio.Task[Any]] = set()
        self.responder: Responder | None = None

    def _now(self) -> int:
        return int(self._clock() * 1000)

    # -- loading -------------------------------------------------------------------

    async def get(self, conversation_id: int) -> Conversation:
        """The conversation, loaded from the store on first use; LoketError if none."""
        found = await self._load(conversation_id)
        if found is None:
            raise LoketError("not_found", f"There is no conversation {conversation_id}.")
        return found

    async def _load(self, conversation_id: int) -> Conversation | None:
        live = self._live.get(conversation_id)
        if live is not None:
            return live
        loading = self._loading.get(conversation_id)
        if loading is not None:
            return await asyncio.shield(loading)
        future: asyncio.Future[Conversation | None] = asyncio.get_running_loop().create_future()
        self._loading[conversation_id] = future
        try:
            record = await self._store.conversation(conversation_id)
            conversation = None
            if record is not None:
                client_ids = await self._store.client_ids(conversation_id)
                conversation = Conversation.from_record(record, client_ids)
                self._live[conversation_id] = conversation
            future.set_result(conversation)
            return conversation
        except BaseException as exc:
            future.set_exception(exc)
            # Nobody else may be waiting; retrieve it so asyncio does not complain.
            future.exception()
            raise
        finally:
            del self._loading[conversation_id]

    async def current_for_shopper(self, shopper_id: int) -> Conversation | None:
        """The shopper's latest conversation, open or closed, or None."""
        record = await self._store.latest_conversation(shopper_id)
        return await self._load(record.id) if record else None

    async def open_conversations(self) -> list[Conversation]:
        records = await self._store.open_conversations()
        found = [await self._load(r.id) for r in records]
        return [c for c in found if c is not None and c.state is not State.CLOSED]

    async def history(
        self, conversation_id: int, after_seq: int, limit: int
    ) -> list[MessageRecord]:
        return await self._store.messages_after(conversation_id, after_seq, limit)

    # -- shoppers ------------------------------------------------------------------

    async def shopper_message(
        self, shopper: ShopperRecord, client_id: str, text: str, page: PageContext
    ) -> tuple[Conversation, MessageRecord, bool]:
        """Store a shopper's message, opening or reopening their conversation as needed.

        Returns the conversation, the stored message, and whether it was a duplicate.
        """
        text = clean_text(text, self._max_chars)
        async with self._locks.hold(("shopper", shopper.id)):
            conversation = await self.current_for_shopper(shopper.id)
            previous: State | None = None
            if conversation is None or self._too_old_to_reopen(conversation):
                conversation = await self._create(shopper, page)
            elif conversation.state is State.CLOSED and client_id not in conversation.client_ids:
                previous = conversation.state
                await self._reopen(conversation)
            appended = self._append(conversation, "shopper", client_id, text, None)
        if previous is not None:
            await self._events.conversation_changed(conversation, previous)
        message, duplicate = await appended
        if not duplicate:
            await self._events.message_added(conversation, message)
            self._after_shopper_message(conversation, message)
        return conversation, message, duplicate

    def _too_old_to_reopen(self, conversation: Conversation) -> bool:
        return (
            conversation.state is State.CLOSED
            and conversation.closed_at is not None
            and self._now() - conversation.closed_at > self._reopen_ms
        )

    async def _create(self, shopper: ShopperRecord, page: PageContext) -> Conversation:
        now = self._now()
        record = await self._store.create_conversation(
            shopper.id,
            state="bot",
            now=now,
            locale=page.locale or shopper.locale,
            page_url=page.url,
            page_title=page.title,
        )
        conversation = Conversation.from_record(record, {})
        self._live[conversation.id] = conversation
        state, agent_id = self._router.initial_state(conversation)
        if state is not State.BOT:
            self._transition(conversation, state, agent_id)
            await self._persist(conversation)
        await self._events.conversation_changed(conversation, State.BOT)
        return conversation

    async def _reopen(self, conversation: Conversation) -> None:
        state, agent_id = self._router.initial_state(conversation)
        self._transition(conversation, state, agent_id)
        await self._persist(conversation)

    def _after_shopper_message(self, conversation: Conversation, message: MessageRecord) -> None:
        if self.responder is None or conversation.state is State.ASSIGNED:
            return
        task = asyncio.create_task(self._respond(conversation, message))
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def _respond(self, conversation: Conversation, message: MessageRecord) -> None:
        assert self.responder is not None
        try:
            replies = await self.responder(conversation, message)
            for index, reply in enumerate(replies):
                await self.post(conversation, "bot", f"bot:{message.client_id}:{index}", reply)
        except Exception:
            log.exception("the bot could not answer in conversation %d", conversation.id)

    # -- agents --------------------------------------------------------------------

    async def agent_message(
        self, agent_id: int, conversation_id: int, client_id: str, text: str, *, is_admin: bool
    ) -> tuple[Conversation, MessageRecord, bool]:
        """Store an agent's reply; only the agent the conversation is assigned to may reply."""
        text = clean_text(text, self._max_chars)
        async with self._locks.hold(("conversation", conversation_id)):
            conversation = await self.get(conversation_id)
            retry = client_id in conversation.client_ids or client_id in conversation.pending
            mine = conversation.state is State.ASSIGNED and conversation.agent_id == agent_id
            if not retry and not mine:
                raise LoketError("not_assigned", "Take the conversation before replying to it.")
            appended = self._append(conversation, "agent", client_id, text, agent_id)
        message, duplicate = await appended
        if not duplicate:
            await self._events.message_added(conversation, message)
        return conversation, message, duplicate

    async def post(
        self, conversation: Conversation, author: Author, client_id: str, text: str
    ) -> MessageRecord:
        """Store a message from the bot or the system and push it."""
        message, duplicate = await self._append(conversation, author, client_id, text, None)
        if not duplicate:
            await self._events.message_added(conversation, message)
        return message

    async def take(self, agent_id: int, conversation_id: int) -> Conversation:
        """Assign a waiting conversation to `agent_id`; exactly one of two racing agents wins."""
        conversation = await self.get(conversation_id)
        if conversation.state is State.ASSIGNED:
            if conversation.agent_id == agent_id:
                return conversation
            raise LoketError("already_taken", "Another agent has taken this conversation.")
        if conversation.state is State.CLOSED:
            raise LoketError("closed", "This conversation is closed.")
        previous = conversation.state
        self._transition(conversation, State.ASSIGNED, agent_id)
        await self._persist(conversation)
        await self._events.conversation_changed(conversation, previous)
        return conversation

    async def close(self, agent_id: int, conversation_id: int, *, is_admin: bool) -> Conversation:
        """Close a conversation: its agent may, and an admin may close any."""
        conversation = await self.get(conversation_id)
        if conversation.state is State.CLOSED:
            return conversation
        if not is_admin and conversation.agent_id != agent_id:
            raise LoketError("not_assigned", "Only the agent of this conversation can close it.")
        previous = conversation.state
        self._transition(conversation, State.CLOSED, conversation.agent_id)
        await self._persist(conversation)
        await self._events.conversation_changed(conversation, previous)
        return conversation

    async def mark_read(self, conversation: Conversation, side: str, seq: int) -> int:
        """Raise the read marker of `side` ('shopper' or 'agent') to `seq`; return the marker."""
        seq = min(seq, conversation.last_seq)
        attribute = f"{side}_read_seq"
        if seq <= getattr(conversation, attribute):
            return int(getattr(conversation, attribute))
        setattr(conversation, attribute, seq)
        await self._store.db.write(self._store.read_seq_op(conversation.id, side, seq))
        return seq

    # -- internals -----------------------------------------------------------------

    def _transition(self, conversation: Conversation, state: State, agent_id: int | None) -> None:
        if state not in TRANSITIONS[conversation.state]:
            raise IllegalTransition(conversation.state, state)
        now = self._now()
        conversation.state = state
        conversation.updated_at = now
        if state is State.ASSIGNED:
            conversation.agent_id = agent_id
            conversation.assigned_at = now
        elif state is State.QUEUED:
            conversation.agent_id = None
            conversation.queued_at = now
        elif state is State.BOT:
            conversation.agent_id = None
        elif state is State.CLOSED:
            conversation.closed_at = now

    async def _persist(self, conversation: Conversation) -> None:
        fields = {
            "state": conversation.state.value,
            "agent_id": conversation.agent_id,
            "updated_at": conversation.updated_at,
            "queued_at": conversation.queued_at,
            "assigned_at": conversation.assigned_at,
            "closed_at": conversation.closed_at,
        }
        await self._store.db.write(self._store.update_conversation_op(conversation.id, fields))

    def _append(
        self,
        conversation: Conversation,
        author: Author,
        client_id: str,
        text: str,
        agent_id: int | None,
    ) -> Awaitable[tuple[MessageRecord, bool]]:
        """Give the message its sequence number now, in arrival order; await it to be durable.

        Runs without suspending, so the order in which callers reach it is the order of
        the sequence numbers and of the writes.
        """
        seen = conversation.client_ids.get(client_id)
        if seen is not None:
            return self._existing(conversation, client_id)
        waiting = conversation.pending.get(client_id)
        if waiting is not None:
            return self._duplicate_of(waiting)
        conversation.last_seq += 1
        message = MessageRecord(
            conversation_id=conversation.id,
            seq=conversation.last_seq,
            client_id=client_id,
            author=author,
            agent_id=agent_id,
            text=text,
            created_at=self._now(),
        )
        conversation.updated_at = message.created_at
        written = self._store.db.submit(self._store.insert_message_op(message))
        done: asyncio.Future[MessageRecord] = asyncio.get_running_loop().create_future()
        conversation.pending[client_id] = done
        return self._finish(conversation, message, written, done)

    async def _finish(
        self,
        conversation: Conversation,
        message: MessageRecord,
        written: asyncio.Future[bool],
        done: asyncio.Future[MessageRecord],
    ) -> tuple[MessageRecord, bool]:
        try:
            inserted = await written
        except BaseException as exc:
            conversation.pending.pop(message.client_id, None)
            done.set_exception(LoketError("store_failed", "The message could not be saved."))
            done.exception()
            log.error("storing message %s failed: %s", message.client_id, exc)
            raise LoketError(
                "store_failed", "The message could not be saved; send it again."
            ) from exc
        conversation.pending.pop(message.client_id, None)
        if not inserted:
            # The store already had it (only possible if memory and disk disagree).
            stored = await self._store.message_by_client_id(conversation.id, message.client_id)
            assert stored is not None
            conversation.client_ids[message.client_id] = stored.seq
            done.set_result(stored)
            return stored, True
        conversation.client_ids[message.client_id] = message.seq
        done.set_result(message)
        return message, False

    async def _existing(
        self, conversation: Conversation, client_id: str
    ) -> tuple[MessageRecord, bool]:
        stored = await self._store.message_by_client_id(conversation.id, client_id)
        if stored is None:
            raise LoketError("store_failed", "The message could not be found; send it again.")
        return stored, True

    @staticmethod
    async def _duplicate_of(
        waiting: asyncio.Future[MessageRecord],
    ) -> tuple[MessageRecord, bool]:
        return await asyncio.shield(waiting), True

    async def drain(self) -> None:
        """Wait for bot answers under way (at shutdown)."""
        if self._background:
            await asyncio.gather(*self._background, return_exceptions=True)
