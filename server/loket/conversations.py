"""Conversations: the state machine, and the one place that decides what happens to one.

Every message gets a per-conversation sequence number when it is accepted, in the order
it arrived, and is acknowledged only once its transaction has committed. A client id
seen before returns the message already stored instead of storing it twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import functools
import logging
from collections import Counter, deque
from collections.abc import Awaitable, Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from loket import erasure
from loket.bot.normalize import words
from loket.bot.smalltalk import holding_reply, small_talk
from loket.erasure import Found
from loket.errors import LoketError
from loket.hours import Availability, StaffedHours, availability
from loket.languages import LANGUAGES, primary_language
from loket.locks import KeyedLocks
from loket.plaintext import check_plain, is_blank, phrasing_key, trimmed
from loket.presence import Presence, Status
from loket.routing import (
    AgentState,
    Route,
    RoutingSettings,
    answer_overdue,
    decide_route,
    estimate_wait,
    queue_overdue,
)
from loket.store import (
    ConversationRecord,
    MessageRecord,
    NewShopper,
    ShopperRecord,
    Store,
    store_failure,
)
from loket.store.db import WriteConnection
from loket.store.records import Author
from loket.texts import say

log = logging.getLogger(__name__)

# Client ids the server makes for the messages of the bot (`bot:<client id>:<n>`) and the
# system (`callback:<client id>`, `notice:<reason>:<time>`). A client may not send one: it
# would take the place of a message the server is still to write.
SERVER_CLIENT_ID_PREFIXES = ("bot:", "callback:", "notice:", "joined:", "requeued:")


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


def bot_answered(message: MessageRecord) -> tuple[int, ...]:
    """The sequence numbers of the shopper's messages `message` answers, when it is a bot
    answer (an FAQ entry or a learned answer): the message it answers, and for a choice the
    shopper picked from a "did you mean", the message the choices were offered for too
    ("delivery", then the choice "When will my order arrive?"). None for any other message
    (a "did you mean", an "I don't know", small talk): an empty tuple."""
    meta = message.meta
    if message.author != "bot" or not meta or meta.get("kind") != "answer":
        return ()
    return tuple(
        seq for seq in (meta.get("choice_for"), meta.get("question_seq")) if isinstance(seq, int)
    )


def still_open(message: MessageRecord) -> tuple[int, str] | None:
    """The question of a shopper's message that the bot reply `message` names as one it is
    not sure of, or offers choices for, having answered the message's other questions
    ("How long is delivery? And do you sell gnomes?"): the message's seq and that
    question, which is what is still asked of the message (until a choice picked answers
    it, see `bot_answered`). None for any other message."""
    meta = message.meta
    if message.author != "bot" or not meta or meta.get("kind") not in ("unknown", "suggest"):
        return None
    seq, question = meta.get("question_seq"), meta.get("question")
    if isinstance(seq, int) and isinstance(question, str) and question:
        return seq, question
    return None


def replies_answered(
    messages: Iterable[MessageRecord], unhelpful: Collection[int] = ()
) -> tuple[set[int], dict[int, str]]:
    """The shopper's messages the bot's replies among `messages` answer (`bot_answered`),
    and of those answered in part, the question still asked of each (`still_open`, and
    `answered_in_vain` for the answers in `unhelpful`: the seqs of those the shopper said
    did not help): taken in the order the replies came, as `Conversations._note` takes them
    while the server runs (a choice picked later answers what was still asked)."""
    answered: set[int] = set()
    unsure: dict[int, str] = {}
    ordered = sorted(messages, key=lambda m: m.seq)
    for message in ordered:
        answered.update(bot_answered(message))
        held = still_open(message)
        if held is not None:
            answered.discard(held[0])
            unsure[held[0]] = held[1]
    # Said after the replies came: what did not help is asked too.
    for message in ordered:
        held = answered_in_vain(message) if message.seq in unhelpful else None
        if held is not None:
            answered.discard(held[0])
            unsure[held[0]] = still_asking(unsure.get(held[0]), held[1])
    return answered, unsure


def still_asking(asked: str | None, question: str) -> str:
    """What a shopper's message still asks (`asked`: the question or questions of it still
    asked so far, or the whole message, or None) once `question` of it is asked too."""
    if asked is None or not Counter(words(question)) - Counter(words(asked)):
        # The whole message holds it (its lines and spaces aside): the question alone.
        return question
    return f"{asked} {question}"


def answered_in_vain(message: MessageRecord) -> tuple[int, str] | None:
    """For a bot answer to one of the questions of a shopper's message (`meta.question`)
    that the shopper said did not help: the message's seq and that question, still asked.
    None for any other message (an answer to a whole message that did not help leaves the
    message as it is: an agent's reply answers all of it)."""
    meta = message.meta
    if message.author != "bot" or not meta or meta.get("kind") != "answer":
        return None
    seq, question = meta.get("question_seq"), meta.get("question")
    if isinstance(seq, int) and isinstance(question, str) and question:
        return seq, question
    return None


def left_question(message: MessageRecord) -> int | None:
    """The sequence number of the shopper's message `message` says was left as a question
    through the form: the question an agent's answer to it answers, without the questions
    the shopper asked the bot before it ("do you sell wheelbarrows?", then "do you sell
    hedge trimmers?" left for the next shift). None for any other message."""
    meta = message.meta
    if message.author != "system" or not meta or meta.get("kind") != "question_left":
        return None
    seq = meta.get("question_seq")
    return seq if isinstance(seq, int) else None


def taken_as_small_talk(message: MessageRecord) -> int | None:
    """The sequence number of the shopper's message a bot reply took as asking how long the
    wait is ("how much longer?" in the queue): no question, though its words alone may ask
    one elsewhere. None for any other message."""
    meta = message.meta
    if message.author != "bot" or not meta or meta.get("talk") != "wait":
        return None
    asked = meta.get("question_seq")
    return asked if isinstance(asked, int) else None


def unanswered(recent: Sequence[MessageRecord]) -> list[MessageRecord]:
    """The shopper's messages the bot has not got to yet, of a conversation's `recent`
    messages (oldest first): after the last agent reply or system message (a notice, a left
    question's receipt: each answers what came before it), those after the newest question
    a reply of the bot names (the bot replies in the order of the questions, so what comes
    after that one waits for it, also when a later message was stored before that reply).
    With no reply of the bot since that agent or system message, only the shopper's last
    message: the ones before it may have been meant for an agent (a conversation closed and
    reopened leaves no mark among its messages)."""
    waiting: list[MessageRecord] = []
    replied: int | None = None
    for message in recent:
        if _joined_line(message):
            continue
        if message.author in ("agent", "system"):
            waiting, replied = [], None
        elif message.author == "bot" and message.meta:
            asked = message.meta.get("question_seq")
            if isinstance(asked, int) and (replied is None or asked > replied):
                replied = asked
        elif message.author == "shopper":
            waiting.append(message)
    if replied is None:
        return waiting[-1:]
    return [message for message in waiting if message.seq > replied]


def _last_joined(client_ids: dict[str, int]) -> int | None:
    """The agent a queued conversation's shopper was last told has it, from its lines
    saying who joined and who could not continue (None when the last was the latter):
    after a restart, that agent's second chance is not announced again."""
    named = [
        (seq, client_id)
        for client_id, seq in client_ids.items()
        if client_id.startswith(("joined:", "requeued:"))
    ]
    if not named:
        return None
    _, client_id = max(named)
    kind, about = client_id.split(":")[:2]
    return int(about) if kind == "joined" and about.isdigit() else None


def _joined_line(message: MessageRecord) -> bool:
    """A line saying which agent has the conversation now, or that it went back to the
    queue: it answers nothing."""
    return message.author == "system" and (message.meta or {}).get("kind") in (
        "joined",
        "requeued",
    )


def open_question(recent: Sequence[MessageRecord]) -> MessageRecord | None:
    """The shopper's last message among a conversation's `recent` ones (oldest first) that
    is still open: no bot answer answers it, and no agent reply or system message (a
    notice, a left question's receipt) came after it. What a form offered now should hold.
    Small talk ("hello?", "can I talk to someone?") is no question and leaves it as it was."""
    answered, _ = replies_answered(recent)
    talked = {seq for seq in map(taken_as_small_talk, recent) if seq is not None}
    found = None
    for message in recent:
        if _joined_line(message):
            continue
        if message.author in ("agent", "system"):
            found = None
        elif message.author == "shopper" and message.seq in talked:
            continue
        elif message.author == "shopper" and small_talk(message.text) is None:
            found = message if message.seq not in answered else None
    return found


def still_asked(asked: Sequence[tuple[int, str]], answered: Collection[int]) -> list[str]:
    """The texts of the shopper's messages `asked` ((seq, text), oldest first) that an
    agent's reply answers: without those the bot answered (seqs in `answered`) and the
    shopper went on from. The last one stays even when the bot answered it: an agent who
    replies right after the bot's answer answers that question again."""
    last = asked[-1][0] if asked else 0
    return [text for seq, text in asked if seq == last or seq not in answered]


def clean_text(text: str, max_chars: int) -> str:
    """The message text to store, or LoketError when it is empty, too long or has controls."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    check_plain(text)
    stripped = trimmed(text)
    if is_blank(stripped):
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
    note: str | None = None
    closed_by: int | None = None
    note_by: int | None = None
    last_seq: int = 0
    client_ids: dict[str, int] = field(default_factory=dict)
    pending: dict[str, asyncio.Future[MessageRecord]] = field(default_factory=dict)
    # Who wrote last and when an agent last did: for the agent answer timeout.
    last_author: str | None = None
    last_agent_reply_at: int | None = None
    # When the agent last said they were typing in it: writing a long answer is answering.
    agent_typed_at: int | None = None
    # When the shopper's oldest message that no agent has replied to yet was written
    # (None: nothing waits): the answer timeout and a place in the queue count from it.
    waiting_since: int | None = None
    # Agents who let this conversation go (silent, gone, transferred away): not given it
    # again while it is open (stored, so also not after a restart).
    excluded: set[int] = field(default_factory=set)
    # Of those, the ones who did not answer in time, and when (ms): passed over for as long
    # again, then, when nobody else online could take it, they may be given it once more (a
    # one-agent shop's shopper would otherwise wait for nobody while that agent sits idle).
    # In memory only: after a restart they stay passed over.
    missed_at: dict[int, int] = field(default_factory=dict)
    # Agents given it once more that way: missing it again before they reply, they stay
    # passed over.
    second_chance: set[int] = field(default_factory=set)
    # Questions left for the next shift and not answered yet.
    open_callbacks: int = 0
    # When the shopper asked for a person while nobody could come (ms; None: not, or no
    # longer: the bot answered a question of theirs since). In memory only.
    wants_person_at: int | None = None
    # What the shopper wrote since an agent last replied (the last few messages, as (seq,
    # text)): the question an agent's next reply answers, kept here so learning needs no
    # query. None: not known (the conversation has messages from before it was loaded).
    asked: list[tuple[int, str]] | None = field(default_factory=list)
    # Which of those the bot answered (their seqs): see `still_asked`.
    bot_answered: set[int] = field(default_factory=set)
    # The question the shopper left through the form since an agent last replied ((seq,
    # text)): what an agent's next reply answers, alone (see `left_question`), until one
    # is kept for it, another question is left, or the conversation closes.
    left: tuple[int, str] | None = None
    # The conversation's last seq when it last went back to the bot from an agent or the
    # queue (with a notice saying so); 0: never, or not since it was loaded. A message up to
    # it was meant for an agent (told by seq: two messages can share a millisecond).
    bot_since_seq: int = 0
    # The agent the shopper was last told has the conversation (a "joined" line).
    joined_agent: int | None = None
    # The queue's wait ran out and the shopper was told everyone is busy; until the
    # conversation changes state again, the bot offers the form rather than a person
    # while no agent who could take it has room (see `Conversations.still_busy`). Kept in
    # memory only: after a restart the bot offers a person again.
    queue_gave_up: bool = False
    # The routing fields as the store holds them (see `Conversations._persist`).
    saved: dict[str, Any] | None = None

    @classmethod
    def from_record(cls, record: ConversationRecord, client_ids: dict[str, int]) -> Conversation:
        conversation = cls(
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
            note=record.note,
            closed_by=record.closed_by,
            note_by=record.note_by,
            last_seq=max(client_ids.values(), default=0),
            client_ids=client_ids,
            asked=None if client_ids else [],
            joined_agent=(
                record.agent_id
                if record.state == State.ASSIGNED.value
                else _last_joined(client_ids)
                if record.state == State.QUEUED.value
                else None
            ),
        )
        conversation.saved = conversation.stored_fields()
        return conversation

    def stored_fields(self) -> dict[str, Any]:
        """The fields `Conversations._persist` writes."""
        return {
            "state": self.state.value,
            "agent_id": self.agent_id,
            "updated_at": self.updated_at,
            "queued_at": self.queued_at,
            "assigned_at": self.assigned_at,
            "closed_at": self.closed_at,
            "note": self.note,
            "note_by": self.note_by,
            "closed_by": self.closed_by,
            "page_url": self.page_url,
            "page_title": self.page_title,
            "locale": self.locale,
            "passed_over": tuple(sorted(self.excluded)),
        }


@dataclass(frozen=True, slots=True)
class PageContext:
    """Where the shopper is, as the widget reports it."""

    url: str | None = None
    title: str | None = None
    locale: str | None = None


class ConversationEvents(Protocol):
    """What the realtime layer is told, so it can push changes to the people concerned."""

    async def message_added(
        self, conversation: Conversation, message: MessageRecord, origin: str | None = None
    ) -> None: ...

    async def conversation_changed(self, conversation: Conversation, previous: State) -> None: ...

    async def queue_changed(self, queue: list[QueuePlace]) -> None: ...

    async def callbacks_changed(self) -> None: ...

    async def shoppers_forgotten(
        self, shopper_ids: Sequence[int], conversation_ids: Sequence[int]
    ) -> None: ...

    async def availability_changed(
        self, availability: Mapping[str, Availability], people: bool
    ) -> None: ...

    def shopper_here(self, shopper_id: int) -> bool:
        """Whether a page of the shopper's is connected (to this process)."""
        ...


class ShopperForgotten(Exception):
    """The shopper's record was deleted on request (`Conversations.forget_shoppers`, or
    `store.keep_days`) while an event of theirs waited: handle it as a new shopper's."""


@dataclass(frozen=True, slots=True)
class QueuePlace:
    """A waiting conversation's place in the queue and its estimated wait."""

    conversation: Conversation
    position: int
    # None when every agent online has passed this conversation over.
    wait_seconds: float | None
    # The estimate is longer than the queue waits (`queue_timeout_seconds`) before it hands
    # the shopper to the bot: no estimate is shown then, and leaving a question is offered.
    beyond_timeout: bool = False


# Answers a shopper's message while no agent has the conversation (the bot plugs in here).
Responder = Callable[[Conversation, MessageRecord], Awaitable[list["Reply"]]]


@dataclass(frozen=True, slots=True)
class Reply:
    """A message the bot or the system adds to a conversation."""

    text: str
    meta: dict[str, Any] | None = None
    # Once posted, the conversation is routed to an agent or the queue, as when the shopper
    # presses "talk to a person" (the shopper typed that they want one).
    hand_over: bool = False
    # The shopper asked for a person while none could come: they are handed over when one
    # can, soon after (see `Conversations._hand_over_waiting`).
    wants_person: bool = False


Change = tuple[Conversation, State]

# Told of a new message once it has its sequence number, before it is stored.
Accepted = Callable[[Conversation, MessageRecord], None]


# A shopper told nobody was available is handed to an agent who comes online within this
# many minutes of asking (see `Conversations._hand_over_waiting`).
WANTS_PERSON_MINUTES = 15
# The most quiet conversations with the bot one tick closes (see `routing.bot_idle_close_minutes`).
QUIET_CLOSES_PER_TICK = 100
# A left question is looked for among this many of the conversation's last messages (the
# bot's reply, notices and the lines saying who has the conversation come after the
# shopper's question).
LAST_ASKED_LOOKBACK = 12
# At start-up, unanswered questions are looked for among this many of each conversation's
# last messages with the bot (a shopper sends at most a few before the bot answers).
UNANSWERED_LOOKBACK = 20

# In `Conversations._current`: the shopper is known to have no conversation yet.
_NO_CONVERSATION = 0


class Conversations:
    """Opens, routes, hands over and closes conversations; persists and announces every change.

    Decisions are taken synchronously on the in-memory conversations (so two racing
    events cannot both win), then persisted and announced.
    """

    def __init__(
        self,
        store: Store,
        *,
        events: ConversationEvents,
        presence: Presence,
        hours: StaffedHours,
        routing: RoutingSettings,
        clock: Callable[[], float],
        max_message_chars: int,
        reopen_seconds: float,
        agent_name: Callable[[int], Awaitable[str]] | None = None,
        formal: Collection[str] = (),
    ) -> None:
        self._store = store
        # The languages whose shoppers the shop addresses formally (`widget.formal`).
        self._formal = frozenset(formal)
        # An agent's name as shoppers see it (their display name).
        self._agent_name = agent_name
        self._events = events
        self._presence = presence
        # When `restore` ran: agents get the disconnect grace to reconnect after a start.
        self._started = float("-inf")
        self._hours = hours
        self._routing = routing
        self._clock = clock
        self._max_chars = max_message_chars
        self._reopen_ms = int(reopen_seconds * 1000)
        self._live: dict[int, Conversation] = {}
        # The live conversations waiting in the queue and those with an agent, kept as they
        # change, so routing never walks every conversation (thousands stay with the bot).
        self._queued: dict[int, Conversation] = {}
        self._assigned: dict[int, Conversation] = {}
        # The closed ones still in memory, for `_forget_idle`.
        self._closed: dict[int, Conversation] = {}
        # When the routing tick next looks for quiet conversations with the bot.
        self._next_quiet_check = 0
        # Each shopper's latest conversation, so a message needs no query to find it.
        self._current: dict[int, int] = {}
        self._loading: dict[int, asyncio.Future[Conversation | None]] = {}
        self._locks = KeyedLocks()
        self._background: set[asyncio.Task[Any]] = set()
        # (conversation id, seq) of shopper messages the bot is answering now.
        self._answering: set[tuple[int, int]] = set()
        # Per conversation, the bot's reply being made to the newest shopper message.
        self._replying: dict[int, asyncio.Task[None]] = {}
        # Whether shoppers were last told it is staffed, and that a person can come now
        # (None: not yet).
        self._people_announced: tuple[bool, bool] | None = None
        self._handling: deque[float] = deque(maxlen=50)
        # Waiting conversations last told their wait is longer than the queue keeps them.
        self._told_beyond: set[int] = set()
        # Conversations whose queue gave up (`Conversation.queue_gave_up`), until an agent
        # who could take one has room again or it changes state.
        self._gave_up: set[int] = set()
        self.responder: Responder | None = None

    def _now(self) -> int:
        return int(self._clock() * 1000)

    def agent_typing(self, conversation: Conversation) -> None:
        """The agent who has `conversation` is typing in it: their answer time starts again."""
        conversation.agent_typed_at = self._now()

    def _now_dt(self) -> datetime:
        return datetime.fromtimestamp(self._clock(), UTC)

    # -- start-up ------------------------------------------------------------------

    async def restore(self) -> None:
        """Rebuild the open conversations and the queue from the store (at start-up).

        Conversations with the bot that went quiet while the server was down are closed
        first, in the store, so they are not loaded at all."""
        quiet_ms = self._bot_quiet_ms()
        if quiet_ms:
            now = self._now()
            closed = await self._store.close_quiet_bot_conversations(now - quiet_ms, now)
            if closed:
                log.info("closed %d quiet conversations with the bot", closed)
        for record in await self._store.open_conversations():
            await self._load(record.id)
        # Whom routing passes over stays so across the restart.
        for conversation_id, agent_ids in (await self._store.passed_over()).items():
            passed = self._live.get(conversation_id)
            if passed is None:
                continue
            passed.excluded.update(agent_ids)
            if passed.saved is not None:
                passed.saved["passed_over"] = tuple(sorted(passed.excluded))
        # Agents' consoles reconnect after a restart: until the disconnect grace runs out,
        # whoever holds a conversation counts as just disconnected (then it goes to
        # someone else), and the queue is not given to the bot for want of agents.
        self._started = self._clock()
        holders = {c.agent_id for c in self._assigned.values() if c.agent_id is not None}
        for agent_id in sorted(holders):
            agent = await self._store.agent_by_id(agent_id)
            if agent is not None:
                self._presence.restored(agent_id, agent.name, self._started)
        replies = await self._store.last_agent_replies(list(self._live))
        for conversation_id, at in replies.items():
            self._live[conversation_id].last_agent_reply_at = at
        for callback in await self._store.open_callbacks():
            found = await self._load(callback.conversation_id)
            if found is not None:
                found.open_callbacks += 1
        day_ago = self._now() - 86_400_000
        self._handling.extend(reversed(await self._store.recent_handling_seconds(day_ago)))

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
            # The newest row, emptied on request, is kept only for its number.
            if record is not None and not record.emptied:
                index = await self._store.client_ids(conversation_id)
                live = self._live.get(conversation_id)
                if live is not None:
                    # Made meanwhile by `_create`: one object per conversation, or two
                    # would number messages on their own and miss each other's resends.
                    future.set_result(live)
                    return live
                conversation = Conversation.from_record(record, index.client_ids)
                # Whether, and since when, the shopper waits for a reply (answer timeout).
                conversation.last_author = index.last_author
                conversation.waiting_since = index.waiting_since
                # The stored updated_at moves with routing changes, not with every message.
                conversation.updated_at = max(conversation.updated_at, index.last_at or 0)
                self._live[conversation_id] = conversation
                self._track(conversation)
            future.set_result(conversation)
            return conversation
        except BaseException as exc:
            future.set_exception(exc)
            # Nobody else may be waiting; retrieve it so asyncio does not complain.
            future.exception()
            raise
        finally:
            del self._loading[conversation_id]

    def note_new_shopper(self, shopper_id: int) -> None:
        """The shopper was just created: they have no conversation (nothing to look up)."""
        self._current.setdefault(shopper_id, _NO_CONVERSATION)

    async def current_for_shopper(self, shopper_id: int) -> Conversation | None:
        """The shopper's latest conversation, open or closed, or None."""
        known = self._current.get(shopper_id)
        if known == _NO_CONVERSATION:
            return None
        if known is not None:
            live = self._live.get(known)
            if live is not None:
                return live
        record = await self._store.latest_conversation(shopper_id)
        if record is None:
            return None
        found = await self._load(record.id)
        if found is not None:
            self._current[shopper_id] = found.id
        return found

    def has_open(self, shopper_id: int) -> bool:
        """Whether the shopper's latest conversation is in memory and open (no store query)."""
        known = self._current.get(shopper_id)
        live = self._live.get(known) if known is not None and known != _NO_CONVERSATION else None
        return live is not None and live.state is not State.CLOSED

    async def forget_closed_before(
        self, before: int, *, batch: int = 100, pause: float = 0.1
    ) -> Counter[str]:
        """Delete the conversations closed before `before` (ms) with all kept of them, and
        what memory holds of them (`store.keep_days`); the counts deleted, by kind. A
        hundred at a time, with a pause between: the store's writes share the event loop
        with the chat, and a first pass over years of data is long."""
        total: Counter[str] = Counter()
        while closed := await self._store.closed_before(before, batch):
            counts = await self._store.forget_conversations(closed)
            if not counts.get("conversations"):
                break
            for conversation_id in closed:
                forgotten = self._closed.pop(conversation_id, None)
                if forgotten is not None:
                    self._live.pop(conversation_id, None)
                    if self._current.get(forgotten.shopper_id) == conversation_id:
                        del self._current[forgotten.shopper_id]
            total.update(counts)
            await asyncio.sleep(pause)
        return total

    async def forget_shoppers(
        self,
        shoppers: Mapping[int, str],
        *,
        by: str,
        expected: tuple[Collection[int], Collection[int]] | None = None,
    ) -> tuple[Found, dict[str, int]]:
        """An erasure request while the server runs: delete `shoppers` (as `erasure.find`
        gives them) with their conversations and all kept of them, from the store and from
        memory, and tell their open tabs and the consoles; `by`, the admin, is logged with
        the shoppers' numbers. Nothing is deleted while one of their conversations is open
        (`Found.still_open`), nor when what would be deleted is not `expected` (shopper and
        conversation ids, as the admin was shown them): the counts are then empty.

        The shoppers' locks are held throughout, so none of them opens a conversation
        meanwhile; a message that waited for them finds its shopper gone
        (`ShopperForgotten`) and starts afresh."""
        async with contextlib.AsyncExitStack() as held:
            for shopper_id in sorted(shoppers):
                await held.enter_async_context(self._locks.hold(("shopper", shopper_id)))
            # Forgotten meanwhile by another request: nobody left to delete.
            still = {}
            for shopper_id, how in shoppers.items():
                record = await self._store.shopper_by_id(shopper_id)
                if record is not None and not record.forgotten:
                    still[shopper_id] = how
            open_ids = {
                c.id
                for c in self._live.values()
                if c.shopper_id in still and c.state is not State.CLOSED
            }
            found = await erasure.survey(self._store, still, open_ids)
            if not still or found.still_open:
                return found, {}
            if expected is not None and (
                set(expected[0]) != set(found.shoppers) or set(expected[1]) != set(found.closed)
            ):
                raise LoketError(
                    "erasure_changed",
                    "Who or what matches has changed since you looked: find the shopper again.",
                )
            counts = await erasure.erase(self._store, found)
            for shopper_id in still:
                self.forget_shopper(shopper_id)
            # Who asked and which numbers, never what identified them (an address).
            log.info(
                "%s deleted shopper(s) %s on request: %s",
                by,
                ", ".join(map(str, still)),
                erasure.told(counts),
            )
            await self._events.shoppers_forgotten(list(still), found.closed)
            if counts.get("left_questions"):
                await self._events.callbacks_changed()
        return found, counts

    def forget_shopper(self, shopper_id: int) -> None:
        """The shopper's record and closed conversations were deleted from the store (an
        erasure, `store.keep_days`): drop what memory holds of them. The store may give a
        new shopper the same id."""
        self._current.pop(shopper_id, None)
        for conversation in [c for c in self._closed.values() if c.shopper_id == shopper_id]:
            self._closed.pop(conversation.id, None)
            self._live.pop(conversation.id, None)

    def open_conversations(self) -> list[Conversation]:
        found = [c for c in self._live.values() if c.state is not State.CLOSED]
        return sorted(found, key=lambda c: c.id)

    async def history(
        self, conversation_id: int, after_seq: int, limit: int
    ) -> list[MessageRecord]:
        return await self._store.messages_after(conversation_id, after_seq, limit)

    # -- what shoppers are told ------------------------------------------------------

    def availability(self, language: str | None) -> Availability:
        """Staffed hours as the shopper is told them; within them, with nobody online, the
        sentence says so rather than "We're here"."""
        found = availability(self._now_dt(), self._hours, language or "nl")
        if found.staffed and not self._agents_here():
            return dataclasses.replace(found, text=say("nobody_here", language, self._formal))
        return found

    def _agents_here(self) -> bool:
        """An agent online, or one whose console is reconnecting (a reload): shoppers are
        not told nobody is there for the seconds a reload takes."""
        return bool(self._presence.online()) or self._presence.coming_back(
            self._clock(), self._routing.disconnect_grace_seconds
        )

    @property
    def timezone(self) -> ZoneInfo:
        """The shop's time zone (from [hours])."""
        return self._hours.zone

    def people_available(self) -> bool:
        """Whether a person could come now: staffed, and an agent online (or reconnecting)."""
        return self._hours.is_staffed(self._now_dt()) and self._agents_here()

    async def _release_gave_up(self) -> None:
        """Shoppers the queue gave up on are offered a person again (the widget's bar, the
        bot) once an agent who could take their conversation has room."""
        states = [a for a in self._agent_states() if a.has_room]
        for conversation_id in list(self._gave_up):
            conversation = self._live.get(conversation_id)
            if conversation is None or not conversation.queue_gave_up:
                self._gave_up.discard(conversation_id)
            elif any(a.agent_id not in conversation.excluded for a in states):
                conversation.queue_gave_up = False
                self._gave_up.discard(conversation_id)
                await self._events.conversation_changed(conversation, conversation.state)

    def still_busy(self, conversation: Conversation) -> bool:
        """Whether the queue's wait ran out for this shopper and every agent is still full:
        they were told everyone is busy and offered the form, so the bot does not offer
        them a person (that would mean the queue again)."""
        return conversation.queue_gave_up and not any(
            a.has_room and a.agent_id not in conversation.excluded for a in self._agent_states()
        )

    def queue(self) -> list[QueuePlace]:
        """The waiting conversations, first come first served, with estimated waits."""
        waiting = sorted(self._queued.values(), key=lambda c: (c.queued_at or 0, c.id))
        if not waiting:
            return []
        # What the agents online can hold at once: each one's own capacity.
        online = [a for a in self._agent_states() if a.status == "online"]
        room = sum(a.capacity for a in online)
        handling = list(self._handling)
        now_ms = self._now()
        places = []
        for position, conversation in enumerate(waiting, start=1):
            # Agents who passed this conversation over are not given it: without anyone
            # else online, nobody can say when someone will take it.
            mine = room - sum(a.capacity for a in online if a.agent_id in conversation.excluded)
            wait = (
                round(
                    estimate_wait(position, handling, mine, self._routing.default_handling_seconds)
                )
                if mine > 0 or not online
                else None
            )
            # Longer than the queue will still keep them (it hands them to the bot when
            # queue_timeout_seconds have passed since they joined it).
            left_ms = self._routing.queue_timeout_seconds * 1000 - (
                now_ms - (conversation.queued_at or now_ms)
            )
            beyond = wait is not None and wait * 1000 > left_ms
            places.append(QueuePlace(conversation, position, None if beyond else wait, beyond))
        return places

    def queue_place(self, conversation: Conversation) -> QueuePlace | None:
        if conversation.state is not State.QUEUED:
            return None
        for place in self.queue():
            if place.conversation is conversation:
                return place
        return None

    def waits_beyond_timeout(self, conversation: Conversation) -> bool:
        """Whether a queued conversation's shopper was last told their wait is longer than
        the queue still keeps them (`QueuePlace.beyond_timeout`, as last published: no
        walk of the queue per message)."""
        return conversation.state is State.QUEUED and conversation.id in self._told_beyond

    # -- shoppers ------------------------------------------------------------------

    async def shopper_message(
        self,
        shopper: ShopperRecord,
        client_id: str,
        text: str,
        page: PageContext,
        *,
        respond: bool = True,
        origin: str | None = None,
    ) -> tuple[Conversation, MessageRecord, bool]:
        """Store a shopper's message, opening or reopening their conversation as needed.

        Returns the conversation, the stored message, and whether it was a duplicate.
        """
        text = clean_text(text, self._max_chars)
        async with self._locks.hold(("shopper", shopper.id)):
            conversation, changes, first = await self._open_for(
                shopper,
                page,
                reroute=lambda c: self._reopened(c, client_id),
                first=(client_id, text),
            )
            appended = (
                None if first else self._append(conversation, "shopper", client_id, text, None)
            )
            moved = page.url is not None and (page.url, page.title) != (
                conversation.page_url,
                conversation.page_title,
            )
            if moved:
                # The agent sees the page the shopper writes from now (written and
                # announced with a routing change, if there is one).
                conversation.page_url, conversation.page_title = page.url, page.title
            if page.locale and (
                conversation.locale is None
                or primary_language(page.locale) != primary_language(conversation.locale)
            ):
                # The shop's page is in another language now (the shopper switched it):
                # the bot and Loket's own lines speak it from this message on.
                conversation.locale = page.locale
                moved = True
        try:
            await self._settle(changes)
            if moved and not changes:
                await self._page_moved(conversation)
        except BaseException:
            if appended is not None:
                # The message is being stored all the same: let it finish, so it is not
                # left pending (a resend then finds it).
                with contextlib.suppress(Exception):
                    await appended
            raise
        if appended is None:
            assert first is not None
            message, duplicate = first, False
        else:
            message, duplicate = await appended
        if not duplicate:
            await self._announce(conversation, message, origin, respond)
        elif (
            respond
            and message.seq == conversation.last_seq
            and conversation.state in (State.BOT, State.QUEUED)
        ):
            # Acknowledged, then the server stopped before the bot answered: the resend
            # gets the answer.
            self._after_shopper_message(conversation, message)
        return conversation, message, duplicate

    async def _page_moved(self, conversation: Conversation) -> None:
        """Store and announce a conversation's new page (or language): nothing else
        changed, so no routing and no queue update."""
        failed, error = await self._persist([conversation])
        if failed:
            # Written again with the conversation's next change.
            log.warning("the page of conversation %d was not stored: %s", conversation.id, error)
            return
        await self._events.conversation_changed(conversation, conversation.state)

    async def answer_unanswered(self) -> int:
        """Answer the shoppers' messages the bot had not answered when the server stopped
        (at start-up, once the bot is ready; see `unanswered`); how many there were."""
        waiting = [c.id for c in self._live.values() if c.state in (State.BOT, State.QUEUED)]
        recent = await self._store.recent_messages(waiting, UNANSWERED_LOOKBACK)
        count = 0
        for conversation_id, messages in recent.items():
            for message in unanswered(messages):
                self._after_shopper_message(self._live[conversation_id], message)
                count += 1
        return count

    async def first_message(
        self,
        new: NewShopper,
        client_id: str,
        text: str,
        page: PageContext,
        *,
        joined: Callable[[ShopperRecord], Awaitable[None]],
        origin: str | None = None,
    ) -> tuple[Conversation, MessageRecord, bool] | None:
        """A new visitor's first message: their shopper record, conversation and message in
        one transaction.

        `joined` is given the shopper as soon as the record exists, before anything is
        announced. Returns what `shopper_message` returns; or None when the shopper existed
        already (another tab of theirs was quicker): then send it with `shopper_message`.
        """
        text = clean_text(text, self._max_chars)
        shopper, conversation, message = await self._create(new, page, (client_id, text))
        await joined(shopper)
        if conversation is None or message is None:
            return None
        await self._settle([(conversation, State.BOT)])
        await self._announce(conversation, message, origin, True)
        return conversation, message, False

    async def _announce(
        self, conversation: Conversation, message: MessageRecord, origin: str | None, respond: bool
    ) -> None:
        await self._events.message_added(conversation, message, origin)
        if respond:
            self._after_shopper_message(conversation, message)

    async def _open_for(
        self,
        shopper: ShopperRecord,
        page: PageContext,
        *,
        reroute: Callable[[Conversation], bool],
        first: tuple[str, str] | None = None,
    ) -> tuple[Conversation, list[Change], MessageRecord | None]:
        """The shopper's conversation, created when there is none (or only an old closed
        one), and routed again when `reroute` says so. Call with the shopper's lock held.

        A conversation created here holds `first` (client id, text) as its first message,
        written in the same transaction and returned; None when the conversation existed.
        """
        if shopper.id not in self._current and not await self._store.shopper_exists(shopper):
            # Not in memory (a restart, or forgotten): their record may have been deleted
            # on request while this event waited for the lock.
            raise ShopperForgotten(shopper.id)
        conversation = await self.current_for_shopper(shopper.id)
        if conversation is None or self._too_old_to_reopen(conversation):
            _, created, message = await self._create(shopper, page, first)
            assert created is not None
            # Announced as new even when it stays with the bot.
            return created, [(created, State.BOT)], message
        if reroute(conversation):
            # A returning shopper goes back to their agent when that agent can take it.
            return conversation, self._route(conversation, preferred=conversation.agent_id), None
        return conversation, [], None

    def _too_old_to_reopen(self, conversation: Conversation) -> bool:
        return (
            conversation.state is State.CLOSED
            and conversation.closed_at is not None
            and self._now() - conversation.closed_at > self._reopen_ms
        )

    async def _create(
        self, shopper: ShopperRecord | NewShopper, page: PageContext, first: tuple[str, str] | None
    ) -> tuple[ShopperRecord, Conversation | None, MessageRecord | None]:
        """A new conversation with the shopper's `first` message (and, for a `NewShopper`,
        the shopper) in one transaction. No conversation when a new shopper existed already."""
        now = self._now()
        message = None
        if first is not None:
            client_id, text = first
            message = MessageRecord(
                conversation_id=0,  # filled in by the store
                seq=1,
                client_id=client_id,
                author="shopper",
                agent_id=None,
                text=text,
                created_at=now,
            )
        opened = await self._store.open_conversation(
            shopper.id if isinstance(shopper, ShopperRecord) else shopper,
            state="bot",
            now=now,
            locale=page.locale or shopper.locale,
            page_url=page.url,
            page_title=page.title,
            first=message,
        )
        record = opened.shopper if isinstance(shopper, NewShopper) else shopper
        if record is None:
            raise LoketError("store_failed", "The message could not be saved; send it again.")
        if opened.conversation is None:
            return record, None, None
        conversation = self._live.get(opened.conversation.id)
        if conversation is None:
            conversation = Conversation.from_record(opened.conversation, {})
            if opened.message is not None:
                self._note(conversation, opened.message)
                conversation.client_ids[opened.message.client_id] = opened.message.seq
            self._live[conversation.id] = conversation
            self._track(conversation)
        # Else it was loaded from the store while its commit was being synced (another
        # tab's sync, say): that object, with the first message, is the one to go on with.
        self._current[conversation.shopper_id] = conversation.id
        self._route(conversation)
        return record, conversation, opened.message

    async def request_person(
        self, shopper: ShopperRecord, page: PageContext
    ) -> tuple[Conversation, Availability]:
        """The shopper asks for a person: route to an agent or the queue when anyone can come."""
        async with self._locks.hold(("shopper", shopper.id)):
            conversation, changes, _ = await self._open_for(
                shopper, page, reroute=self._asked_again
            )
        await self._settle(changes)
        return conversation, self.availability(conversation.locale)

    async def _hand_over(self, conversation: Conversation) -> None:
        """Route `conversation` again as a request for a person does (see `request_person`),
        while it is still with the bot (not closed meanwhile, say)."""
        async with self._locks.hold(("shopper", conversation.shopper_id)):
            changes = (
                self._route(conversation, preferred=conversation.agent_id)
                if self._live.get(conversation.id) is conversation
                and conversation.state is State.BOT
                and self._asked_again(conversation)
                else []
            )
        await self._settle(changes)

    def _reopened(self, conversation: Conversation, client_id: str) -> bool:
        """Whether the shopper's message `client_id` reopens `conversation` (it is closed, and
        the message is no resend of one it holds); if so, the shopper waits from now: not
        from a message before the close that nobody answered (the bot's, or one the agent
        closed on), by which the queue would put them ahead of everyone and give up on
        them at once."""
        if conversation.state is not State.CLOSED or client_id in conversation.client_ids:
            return False
        conversation.waiting_since = self._now()
        return True

    def _asked_again(self, conversation: Conversation) -> bool:
        """Whether a request for a person routes `conversation` again (it is with the bot
        or closed); if so, the request starts afresh. Its wait counts from now, not from
        the question that waited before (which the queue timeout already sent back to the
        bot: counted from then, the queue would send the shopper back at once). And when
        every agent online has passed this conversation over, they all get it again: with
        none of them able to take it, the shopper would wait in the queue for nobody."""
        if conversation.state not in (State.BOT, State.CLOSED):
            return False
        if conversation.waiting_since is not None:
            conversation.waiting_since = self._now()
        online = {
            a.agent_id for a in self._agent_states() if a.status == "online" and a.capacity > 0
        }
        if online and online <= conversation.excluded:
            conversation.excluded.clear()
            conversation.missed_at.clear()
            conversation.second_chance.clear()
        return True

    async def leave_question(
        self,
        shopper: ShopperRecord,
        client_id: str,
        text: str,
        page: PageContext,
        *,
        email: str | None,
        phone: str | None,
    ) -> tuple[Conversation, MessageRecord, bool]:
        """Keep a question for the next shift, with a way to reach the shopper.

        The form opens holding the question the bot could not answer: left as it is, that
        message is the question (stored once, not again under the form's client id)."""
        asked = await self._last_asked(shopper, text, client_id)
        if asked is not None:
            conversation, message, duplicate = asked
        else:
            conversation, message, duplicate = await self.shopper_message(
                shopper, client_id, text, page, respond=False
            )
        # The question and the callback are two writes: a resend after the second failed
        # finds the question stored, and adds what is missing (once: the store keeps one
        # callback per message, also when the resend races the first attempt).
        if await self._store.add_callback(
            conversation.id,
            shopper.id,
            message.text,
            message_seq=message.seq,
            email=email,
            phone=phone,
            now=self._now(),
        ):
            conversation.open_callbacks += 1
            await self._events.callbacks_changed()
        availability = self.availability(conversation.locale)
        when = (
            ""
            if availability.staffed
            else say("back_at", conversation.locale, self._formal, availability=availability.text)
        )
        contact = email or phone or ""
        # `left_as`: the form's client id, so that the form sent again (its ack was lost)
        # finds the question it was left with, also when that is an earlier message.
        # `question_seq`: the question the form held; an agent's answer to it answers that
        # question, not the ones the shopper asked the bot before it (see `left_question`).
        meta: dict[str, Any] = {
            "kind": "question_left",
            "left_as": client_id,
            "question_seq": message.seq,
        }
        if when and (told := availability.told()):
            meta["availability"] = told
        await self.post(
            conversation,
            "system",
            f"callback:{message.client_id}",
            say("question_left", conversation.locale, self._formal, when=when, contact=contact),
            meta=meta,
        )
        return conversation, message, duplicate

    async def _last_asked(
        self, shopper: ShopperRecord, text: str, client_id: str
    ) -> tuple[Conversation, MessageRecord, bool] | None:
        """The shopper's open conversation and their last message in it, when that message
        is `text` (case, spacing and end punctuation aside) and only the bot spoke since: not
        once it was left as a question already (a second form sent with it, to correct the
        contact, is a question of its own), nor once an agent answered. Also the message a
        form with this `client_id` was left with before (sent again: its ack was lost);
        the flag says it is such a resend."""
        conversation = await self.current_for_shopper(shopper.id)
        if conversation is None or conversation.state is State.CLOSED:
            return None
        recent = await self._store.messages_after(
            conversation.id,
            max(0, conversation.last_seq - LAST_ASKED_LOOKBACK),
            LAST_ASKED_LOOKBACK,
        )
        for message in reversed(recent):
            if message.author == "shopper":
                same = phrasing_key(message.text) == phrasing_key(clean_text(text, self._max_chars))
                return (conversation, message, message.client_id == client_id) if same else None
            meta = message.meta or {}
            if meta.get("kind") == "question_left" and meta.get("left_as") == client_id:
                question = message.client_id.removeprefix("callback:")
                left = next((m for m in recent if m.client_id == question), None)
                return (conversation, left, True) if left is not None else None
            if message.author == "agent" or meta.get("kind") == "question_left":
                return None
        return None

    def _after_shopper_message(self, conversation: Conversation, message: MessageRecord) -> None:
        if self.responder is None or conversation.state is State.ASSIGNED:
            return
        answering = (conversation.id, message.seq)
        if answering in self._answering:
            return  # a resend while the bot is still at it
        self._answering.add(answering)
        before = self._replying.get(conversation.id)
        task = asyncio.create_task(self._respond(conversation, message, before))
        self._replying[conversation.id] = task
        self._background.add(task)
        task.add_done_callback(self._background.discard)
        task.add_done_callback(functools.partial(self._replied, conversation.id))

    def _replied(self, conversation_id: int, task: asyncio.Task[None]) -> None:
        if self._replying.get(conversation_id) is task:
            del self._replying[conversation_id]

    async def _respond(
        self,
        conversation: Conversation,
        message: MessageRecord,
        before: asyncio.Task[None] | None,
    ) -> None:
        """The bot's reply to `message`, posted after its reply to the shopper's message
        `before` it: a question that waits for the encoder is made while the next is
        matched by words alone, and the answers still come in the order of the questions.
        Nothing is posted once an agent has taken the conversation meanwhile."""
        assert self.responder is not None
        try:
            replies = await self.responder(conversation, message)
            if before is not None and not before.done():
                await asyncio.wait([before])
            if conversation.state is State.ASSIGNED:
                # An agent took the chat while the bot was at it: the agent answers now.
                return
            for index, reply in enumerate(replies):
                await self.post(
                    conversation, "bot", f"bot:{message.client_id}:{index}", reply.text, reply.meta
                )
            if any(reply.wants_person for reply in replies):
                conversation.wants_person_at = self._now()
            elif any((reply.meta or {}).get("kind") == "answer" for reply in replies):
                # Answered since: what they wanted a person for may be answered too.
                conversation.wants_person_at = None
            if any(reply.hand_over for reply in replies):
                await self._hand_over(conversation)
        except Exception:
            log.exception("the bot could not answer in conversation %d", conversation.id)
        finally:
            self._answering.discard((conversation.id, message.seq))

    # -- agents --------------------------------------------------------------------

    async def agent_connected(self, agent_id: int, name: str) -> None:
        self._presence.connected(agent_id, name, self._clock())
        await self._settle([], refill=True, places_changed=True)
        await self._announce_availability()

    def agent_disconnected(self, agent_id: int) -> None:
        # Their conversations stay theirs for the grace period (see tick).
        self._presence.disconnected(agent_id, self._clock())

    def agent_left(self, agent_id: int) -> None:
        """The agent's session ended on purpose (logged out, disabled, a new password): with
        no console left, their conversations go on at the next tick, without the grace."""
        self._presence.left(agent_id)

    def answer_did_not_help(self, conversation: Conversation, answer: MessageRecord) -> None:
        """The shopper said the bot's `answer` did not help: when it answered one of the
        questions of a message (`answered_in_vain`), an agent's reply to that message
        answers that question (as `replies_answered` reads it from the store)."""
        held = answered_in_vain(answer)
        if held is None:
            return
        seq, question = held
        conversation.bot_answered.discard(seq)
        if conversation.asked:
            conversation.asked = [
                (s, still_asking(t, question) if s == seq else t) for s, t in conversation.asked
            ]

    async def set_agent_status(self, agent_id: int, status: Status) -> None:
        self._presence.set_status(agent_id, status)
        # Kept, so that a restart leaves an agent on a break away (written each time it is
        # set, so a write that failed is made by the next). Not kept (a full disk), the
        # status holds until the server stops.
        try:
            await self._store.set_agent_away(agent_id, status == "away")
        except Exception as exc:
            if not store_failure(exc):
                raise
            log.warning(
                "agent %d's status %r is not kept over a restart: %s", agent_id, status, exc
            )
        await self._settle([], refill=True, places_changed=True)
        await self._announce_availability()

    async def _announce_availability(self) -> None:
        """Tell shoppers when a person can come now where none could, or the other way
        round (an agent came online, the last one went away or did not come back), and when
        staffed hours begin or end."""
        staffed = self._hours.is_staffed(self._now_dt())
        people = staffed and self._agents_here()
        if (staffed, people) == self._people_announced:
            return
        before = self._people_announced
        self._people_announced = (staffed, people)
        texts: dict[str, Availability] = {lang: self.availability(lang) for lang in LANGUAGES}
        await self._events.availability_changed(texts, people)
        if people and before is not None and not before[1]:
            await self._hand_over_waiting()

    async def _hand_over_waiting(self) -> None:
        """A person can come now where none could: shoppers who asked for one in the last
        `WANTS_PERSON_MINUTES` (told nobody was available), still on the shop's pages and
        with the bot, and with no question left for the next shift (that one waits for an
        agent anyway), are handed over as if they asked again: to an agent, or to the
        queue."""
        now = self._now()
        for conversation in list(self._live.values()):
            asked, conversation.wants_person_at = conversation.wants_person_at, None
            if (
                asked is not None
                and now - asked <= WANTS_PERSON_MINUTES * 60_000
                and conversation.state is State.BOT
                and not conversation.open_callbacks
                # Gone from the shop's pages: no agent's place is taken for nobody.
                and self._events.shopper_here(conversation.shopper_id)
            ):
                await self._hand_over(conversation)

    def load_of(self, agent_id: int) -> int:
        return sum(1 for c in self._assigned.values() if c.agent_id == agent_id)

    def capacity_of(self, agent_id: int) -> int | None:
        """How many conversations routing gives this agent at once (None: not connected)."""
        found = self._presence.get(agent_id)
        return self._routing.capacity_for(found.name) if found is not None else None

    async def agent_message(
        self,
        agent_id: int,
        conversation_id: int,
        client_id: str,
        text: str,
        *,
        is_admin: bool,
        origin: str | None = None,
        accepted: Accepted | None = None,
    ) -> tuple[Conversation, MessageRecord, bool]:
        """Store an agent's reply; only the agent the conversation is assigned to may reply.

        `accepted` is called with a new reply as soon as it has its sequence number, before
        it is stored: writes it queues share the reply's transaction."""
        text = clean_text(text, self._max_chars)
        async with self._locks.hold(("conversation", conversation_id)):
            conversation = await self.get(conversation_id)
            retry = client_id in conversation.client_ids or client_id in conversation.pending
            mine = conversation.state is State.ASSIGNED and conversation.agent_id == agent_id
            if not retry and not mine:
                raise LoketError("not_assigned", "Take the conversation before replying to it.")
            appended = self._append(
                conversation, "agent", client_id, text, agent_id, accepted=accepted
            )
        message, duplicate = await appended
        if not duplicate:
            conversation.last_agent_reply_at = message.created_at
            # Answering, the agent earns a second chance again should they miss a later
            # message (a phone call half an hour on).
            conversation.second_chance.discard(agent_id)
            await self._events.message_added(conversation, message, origin)
            if conversation.open_callbacks:
                # The list says it is answered in the chat; it leaves the list once the
                # shopper has read the answer (`mark_read`), or the agent closes it.
                await self._events.callbacks_changed()
        return conversation, message, duplicate

    async def _answer_callbacks(self, conversation: Conversation, agent_id: int) -> None:
        """The questions left in `conversation` are dealt with (the shopper read an agent's
        answer, or an agent who phoned or mailed back closed it): they leave the list."""
        if conversation.open_callbacks:
            conversation.open_callbacks = 0
            await self._store.answer_callbacks(conversation.id, agent_id, self._now())
            await self._events.callbacks_changed()

    async def post(
        self,
        conversation: Conversation,
        author: Author,
        client_id: str,
        text: str,
        meta: dict[str, Any] | None = None,
    ) -> MessageRecord:
        """Store a message from the bot or the system and push it."""
        message, duplicate = await self._append(conversation, author, client_id, text, None, meta)
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
        await self._settle([(conversation, previous)])
        return conversation

    async def transfer(
        self,
        agent_id: int,
        conversation_id: int,
        *,
        to_agent_id: int | None,
        note: str | None,
        is_admin: bool,
    ) -> Conversation:
        """Hand a conversation to another agent, or back to the queue, with a note."""
        conversation = await self.get(conversation_id)
        if conversation.state is not State.ASSIGNED:
            raise LoketError("not_assigned", "Only an assigned conversation can be transferred.")
        if conversation.agent_id != agent_id and not is_admin:
            raise LoketError("not_assigned", "This conversation is not yours.")
        # Online as the transfer list shows it: connected, and not away.
        if to_agent_id is not None and to_agent_id not in self._presence.online():
            raise LoketError("agent_unavailable", "That agent is not online.")
        if to_agent_id == conversation.agent_id:
            raise LoketError("invalid_payload", "The conversation is already with that agent.")
        previous = conversation.state
        if note:
            # Without a note the last one (a closing summary, an earlier note) stays.
            conversation.note = note
            conversation.note_by = agent_id
        # The agent who handed it on is not given it back by routing.
        if conversation.agent_id is not None:
            conversation.excluded.add(conversation.agent_id)
            conversation.missed_at.pop(conversation.agent_id, None)
        if to_agent_id is None:
            self._transition(conversation, State.QUEUED, None)
        else:
            self._transition(conversation, State.ASSIGNED, to_agent_id)
        self._presence.touch(agent_id, self._clock())
        await self._settle([(conversation, previous)])
        return conversation

    async def close(
        self, agent_id: int, conversation_id: int, *, is_admin: bool, summary: str | None = None
    ) -> Conversation:
        """Close a conversation (with an optional summary): its agent may, an admin any."""
        conversation = await self.get(conversation_id)
        if conversation.state is State.CLOSED:
            return conversation
        if not is_admin and conversation.agent_id != agent_id:
            raise LoketError("not_assigned", "Only the agent of this conversation can close it.")
        previous = conversation.state
        if summary:
            conversation.note = summary
            conversation.note_by = agent_id
        conversation.closed_by = agent_id
        self._transition(conversation, State.CLOSED, conversation.agent_id)
        if previous is State.ASSIGNED and conversation.assigned_at is not None:
            self._handling.append((self._now() - conversation.assigned_at) / 1000)
        if conversation.agent_id is not None:
            self._presence.touch(conversation.agent_id, self._clock())
        await self._settle([(conversation, previous)])
        await self._answer_callbacks(conversation, agent_id)
        return conversation

    async def mark_read(self, conversation: Conversation, side: str, seq: int) -> int:
        """Raise the read marker of `side` ('shopper' or 'agent') to `seq`; return the marker."""
        seq = min(seq, conversation.last_seq)
        attribute = f"{side}_read_seq"
        if seq <= getattr(conversation, attribute):
            return int(getattr(conversation, attribute))
        setattr(conversation, attribute, seq)
        await self._store.db.write(self._store.read_seq_op(conversation.id, side, seq))
        if side == "shopper" and conversation.open_callbacks:
            # The questions left before an agent's reply the shopper has now read.
            answered = await self._store.answer_read_callbacks(conversation.id, seq, self._now())
            if answered:
                conversation.open_callbacks = max(0, conversation.open_callbacks - answered)
                await self._events.callbacks_changed()
        return seq

    # -- routing ---------------------------------------------------------------------

    def _agent_states(self) -> list[AgentState]:
        load = Counter(c.agent_id for c in self._assigned.values() if c.agent_id is not None)
        return self._presence.routing_states(load, self._routing.capacity_for)

    def _route(
        self, conversation: Conversation, *, preferred: int | None = None, taken: bool = False
    ) -> list[Change]:
        """Send the conversation where the rules say: an agent, the queue, or the bot.

        One `taken` from its agent joins the queue when others wait there, rather than
        going to a free agent before them: the queue then serves the longest wait first."""
        decision = decide_route(
            self._agent_states(),
            staffed=self._hours.is_staffed(self._now_dt()),
            preferred_agent_id=preferred,
            exclude=frozenset(conversation.excluded),
        )
        previous = conversation.state
        if decision.route is Route.ASSIGN and taken and self._queued:
            self._transition(conversation, State.QUEUED, None)
        elif decision.route is Route.ASSIGN:
            self._transition(conversation, State.ASSIGNED, decision.agent_id)
            self._presence.touch(decision.agent_id or 0, self._clock())
        elif decision.route is Route.QUEUE:
            if previous is State.QUEUED:
                return []
            self._transition(conversation, State.QUEUED, None)
        else:
            if previous is State.BOT:
                return []
            self._transition(conversation, State.BOT, None)
        return [(conversation, previous)]

    def _fill_free_agents(self) -> list[Change]:
        """Give waiting conversations to agents with room, first come first served."""
        changes: list[Change] = []
        if not self._hours.is_staffed(self._now_dt()):
            return changes
        for place in self.queue():
            conversation = place.conversation
            decision = decide_route(
                self._agent_states(), staffed=True, exclude=frozenset(conversation.excluded)
            )
            if decision.route is Route.ASSIGN:
                self._transition(conversation, State.ASSIGNED, decision.agent_id)
                self._presence.touch(decision.agent_id or 0, self._clock())
                changes.append((conversation, State.QUEUED))
            elif not any(a.has_room for a in self._agent_states()):
                break
        return changes

    async def _settle(
        self, changes: list[Change], *, refill: bool = False, places_changed: bool = False
    ) -> None:
        """Persist and announce changes; when an agent may have room (`refill`, or anything
        changed), give them waiting conversations; publish the queue if it moved, or if
        the agents' places changed (`places_changed`: the wait estimates did).

        Most messages change nothing, and then this does nothing."""
        if not changes and not refill:
            return
        changes = changes + self._fill_free_agents()
        failed, error = await self._persist([conversation for conversation, _ in changes])
        for conversation, previous in changes:
            if conversation.id not in failed:
                await self._events.conversation_changed(conversation, previous)
                await self._say_who_has_it(conversation, previous)
        if (places_changed and self._queued) or any(
            State.QUEUED in (previous, c.state) for c, previous in changes
        ):
            await self._publish_queue(self.queue())
        if error is not None:
            raise error

    async def _publish_queue(self, places: list[QueuePlace]) -> None:
        self._told_beyond = {p.conversation.id for p in places if p.beyond_timeout}
        await self._events.queue_changed(places)

    async def _say_who_has_it(self, conversation: Conversation, previous: State) -> None:
        """A line in the conversation when an agent other than the one the shopper was last
        told of has it now ("Bram is here to help you": taken, given, transferred), or when
        it went from that agent back to the queue ("Anna can't continue right now; you're
        in line for the next colleague": not answered in time, gone, handed back; not for
        a first miss that only that agent can be given again). Written in
        the background: what changed the conversation does not wait for its commit."""
        agent_id, state = conversation.agent_id, conversation.state
        told = conversation.joined_agent
        if state is State.QUEUED and previous is State.ASSIGNED and told is not None:
            colleagues = {
                a.agent_id for a in self._agent_states() if a.status == "online" and a.capacity
            }
            if told in conversation.missed_at and not colleagues - conversation.excluded - {told}:
                # Not answered in time, and nobody else online could be given it (the
                # others passed it over, or take no chats): the "next colleague" would be
                # that agent, given it once more (`_lapse_missed`). The widget shows the
                # shopper's place; the second chance is not announced again, and missing
                # it too, the agent is named then.
                return
            conversation.joined_agent = None
            key, kind, about = "agent_requeued", "requeued", told
        elif conversation.state is State.ASSIGNED and agent_id not in (None, told):
            assert agent_id is not None
            conversation.joined_agent = agent_id
            key, kind, about = "agent_joined", "joined", agent_id
        else:
            if conversation.state in (State.BOT, State.CLOSED):
                # The notice that handed it to the bot said so, or the chat was closed; an
                # agent who takes it later (the shopper writes again) is announced, also the
                # same one: the conversation shows where it started anew.
                conversation.joined_agent = None
            return
        if self._agent_name is None:
            return
        name = await self._agent_name(about)
        if (conversation.agent_id, conversation.state) != (agent_id, state):
            return  # passed on again meanwhile: that change says so
        appended = self._append(
            conversation,
            "system",
            # Unique per line: the same agent may be announced twice in one millisecond.
            f"{kind}:{about}:{self._now()}:{conversation.last_seq}",
            say(key, conversation.locale, self._formal, name=name),
            None,
            {"kind": kind, "agent_name": name},
        )

        async def announce() -> None:
            try:
                message, duplicate = await appended
            except Exception:
                log.warning(
                    "the line saying %s joined conversation %d was not stored",
                    name,
                    conversation.id,
                )
                return
            if not duplicate:
                await self._events.message_added(conversation, message)

        task = asyncio.create_task(announce())
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def tick(self) -> None:
        """Apply the timeouts: silent agents, agents gone, long waits, closing time."""
        now_ms = self._now()
        now = self._now_dt()
        routing = self._routing
        changes: list[Change] = []
        notices: list[tuple[Conversation, str]] = []
        # Conversations taken from their agent; those left with the bot are told why.
        taken: list[Conversation] = []
        gone = self._presence.gone(self._clock(), routing.disconnect_grace_seconds)
        for agent_id in gone:
            for conversation in list(self._assigned.values()):
                if conversation.agent_id == agent_id:
                    # Not passed over: back online, the agent may be given the shopper
                    # again if they still wait, rather than sit idle while they do.
                    changes.extend(self._route(conversation, taken=True))
                    taken.append(conversation)
        lapsed = self._lapse_missed(now_ms)
        # Just after a start the agents' consoles are still reconnecting: nobody loses a
        # conversation for not answering while the server was away.
        starting = self._clock() - self._started < routing.disconnect_grace_seconds
        for conversation in [] if starting else list(self._assigned.values()):
            if conversation.state is not State.ASSIGNED or conversation.assigned_at is None:
                continue
            if conversation.last_author != "shopper":
                continue
            replied = conversation.last_agent_reply_at
            # The time runs from when the agent got the conversation, or from when the
            # shopper started waiting, if that came later (a conversation handed over
            # between two of the shopper's messages), or from when the agent last typed
            # in it: an agent writing a careful answer is not an agent who is not there.
            typed = conversation.agent_typed_at or 0
            since = max(
                conversation.assigned_at,
                conversation.waiting_since or 0,
                typed if typed >= conversation.assigned_at else 0,
            )
            if (replied is None or replied < conversation.assigned_at) and answer_overdue(
                _at(since),
                None,
                now,
                timeout_seconds=routing.agent_answer_timeout_seconds,
            ):
                if conversation.agent_id is not None:
                    conversation.excluded.add(conversation.agent_id)
                    if conversation.agent_id not in conversation.second_chance:
                        conversation.missed_at[conversation.agent_id] = now_ms
                    taken.append(conversation)
                changes.extend(self._route(conversation, taken=True))
        for conversation in taken:
            if conversation.state is State.BOT:
                notices.append((conversation, "agent_gone"))
        staffed = self._hours.is_staffed(now)
        # Nobody online, and nobody who just lost their connection: the queue waits for no one.
        deserted = (
            not starting
            and not self._presence.online()
            and not self._presence.coming_back(self._clock(), routing.disconnect_grace_seconds)
        )
        for place in self.queue():
            conversation = place.conversation
            if not staffed:
                self._transition(conversation, State.BOT, None)
                changes.append((conversation, State.QUEUED))
                notices.append((conversation, "closed_now"))
            elif deserted:
                self._transition(conversation, State.BOT, None)
                changes.append((conversation, State.QUEUED))
                notices.append((conversation, "nobody_online"))
            elif queue_overdue(
                _at(conversation.queued_at or now_ms),
                now,
                timeout_seconds=routing.queue_timeout_seconds,
            ):
                self._transition(conversation, State.BOT, None)
                # Before anything is awaited: a question that comes in meanwhile is told
                # the same as the notice says.
                conversation.queue_gave_up = True
                self._gave_up.add(conversation.id)
                changes.append((conversation, State.QUEUED))
                notices.append((conversation, "queue_timeout"))
        for conversation, _ in notices:
            conversation.bot_since_seq = conversation.last_seq
        changes.extend(self._close_quiet_bot_conversations(now_ms))
        await self._settle(
            changes, refill=bool(gone) or lapsed, places_changed=bool(gone) or lapsed
        )
        if self._queued:
            # Time alone can make a wait longer than the queue still keeps a shopper.
            places = self.queue()
            if {p.conversation.id for p in places if p.beyond_timeout} != self._told_beyond:
                await self._publish_queue(places)
        await self._announce_availability()
        for conversation, key in notices:
            # Told only when something of the shopper's waits for an answer: an agent who
            # logs off after answering everything has cut nothing short. (Read here, after
            # every change above is settled: the store is awaited.)
            if key == "agent_gone" and not (
                conversation.state is State.BOT and await self._left_waiting(conversation)
            ):
                continue
            await self._hand_to_bot(conversation, key, now_ms)
        if self._gave_up:
            await self._release_gave_up()
        self._forget_idle(now_ms)

    async def _left_waiting(self, conversation: Conversation) -> bool:
        """Whether the shopper waits for an answer from the agent: they wrote more than
        thanks or goodbye since the agent's last reply, or that reply only held them
        ("let me check")."""
        if conversation.last_author is None:
            return False
        recent = await self._store.messages_after(
            conversation.id,
            max(0, conversation.last_seq - LAST_ASKED_LOOKBACK),
            LAST_ASKED_LOOKBACK,
        )
        since: list[MessageRecord] = []
        replied: MessageRecord | None = None
        for message in reversed(recent):
            if message.author == "agent":
                replied = message
                break
            if message.author == "shopper":
                since.append(message)
        if since:
            said = [small_talk(m.text) for m in since]
            return any(s is None or s[0] in ("greeting", "person", "wait") for s in said)
        return replied is not None and holding_reply(replied.text)

    def _lapse_missed(self, now_ms: int) -> bool:
        """An agent passed over for not answering a conversation waiting in the queue may be
        given it once more when `agent_answer_timeout_seconds` have passed since, and every
        agent online who could take it passed it over (a colleague who is busy now will
        come: the shopper waits for them); whether any may."""
        lapse_ms = self._routing.agent_answer_timeout_seconds * 1000
        online = {
            a.agent_id for a in self._agent_states() if a.status == "online" and a.capacity > 0
        }
        lapsed = False
        for conversation in self._queued.values():
            if not conversation.missed_at or not online <= conversation.excluded:
                continue
            for agent_id, missed in list(conversation.missed_at.items()):
                if now_ms - missed >= lapse_ms and agent_id in online:
                    del conversation.missed_at[agent_id]
                    conversation.excluded.discard(agent_id)
                    conversation.second_chance.add(agent_id)
                    lapsed = True
        return lapsed

    async def _hand_to_bot(self, conversation: Conversation, key: str, now_ms: int) -> None:
        """Tell a shopper the bot has their conversation now (notice `key`), offering the
        form with their open question in it; and let the bot answer what only an agent was
        asked (a question sent while the conversation was assigned)."""
        recent = await self._store.messages_after(
            conversation.id,
            max(0, conversation.last_seq - UNANSWERED_LOOKBACK),
            UNANSWERED_LOOKBACK,
        )
        meta: dict[str, Any] = {"kind": "notice", "offer": "leave_question"}
        if conversation.open_callbacks:
            # A question of theirs waits already (left while queued): offered, not opened.
            meta["left"] = True
        question = open_question(recent)
        if question is not None:
            meta["question_seq"] = question.seq
        availability = self.availability(conversation.locale)
        text = say(key, conversation.locale, self._formal, availability=availability.text)
        told = availability.told()
        if told and availability.text in text:
            meta["availability"] = told
        await self.post(conversation, "system", f"notice:{key}:{now_ms}", text, meta=meta)
        pending = unanswered(recent)
        if pending:
            self._after_shopper_message(conversation, pending[-1])

    def _bot_quiet_ms(self) -> int:
        return int(self._routing.bot_idle_close_minutes * 60_000)

    def _close_quiet_bot_conversations(self, now_ms: int) -> list[Change]:
        """Close conversations with the bot that nobody wrote in for
        `routing.bot_idle_close_minutes`, at most `QUIET_CLOSES_PER_TICK` at a time so the
        consoles are not sent thousands of changes at once (the rest wait for the next tick).
        Kept open: a question left for the next shift, a message being written."""
        quiet_ms = self._bot_quiet_ms()
        if not quiet_ms or now_ms < self._next_quiet_check:
            return []
        changes: list[Change] = []
        for conversation in self._live.values():
            if (
                conversation.state is State.BOT
                and now_ms - conversation.updated_at > quiet_ms
                and not conversation.open_callbacks
                and not conversation.pending
            ):
                changes.append((conversation, State.BOT))
                if len(changes) == QUIET_CLOSES_PER_TICK:
                    break
        # Walking thousands of conversations takes milliseconds: not every second, unless
        # there are more to close. A conversation closes at most a tenth of the setting late.
        if len(changes) < QUIET_CLOSES_PER_TICK:
            self._next_quiet_check = now_ms + min(10_000, quiet_ms // 10)
        for conversation, _ in changes:
            conversation.closed_by = None
            self._transition(conversation, State.CLOSED, None)
        return changes

    def _forget_idle(self, now_ms: int) -> None:
        """Drop long-closed conversations from memory; they load again when needed."""
        idle = [
            c.id for c in self._closed.values() if not c.pending and now_ms - c.updated_at > 900_000
        ]
        for conversation_id in idle:
            forgotten = self._live.pop(conversation_id)
            del self._closed[conversation_id]
            if self._current.get(forgotten.shopper_id) == conversation_id:
                del self._current[forgotten.shopper_id]

    # -- internals -----------------------------------------------------------------

    def _transition(self, conversation: Conversation, state: State, agent_id: int | None) -> None:
        if state not in TRANSITIONS[conversation.state]:
            raise IllegalTransition(conversation.state, state)
        now = self._now()
        conversation.state = state
        conversation.updated_at = now
        if state is State.CLOSED:
            conversation.left = None  # its callback is answered with the close
        # Set again by the queue's timeout itself (`tick`), after this.
        conversation.queue_gave_up = False
        self._gave_up.discard(conversation.id)
        if state is State.ASSIGNED:
            conversation.agent_id = agent_id
            conversation.assigned_at = now
        elif state is State.QUEUED:
            conversation.agent_id = None
            # A shopper who was waiting already (taken from a silent agent) keeps their
            # place: the queue is first come, first served by how long they have waited.
            waiting = conversation.waiting_since
            conversation.queued_at = min(now, waiting) if waiting is not None else now
        elif state is State.BOT:
            conversation.agent_id = None
        elif state is State.CLOSED:
            conversation.closed_at = now
            conversation.waiting_since = None  # nobody waits in a closed conversation
            # A shopper who writes again after the close starts afresh: routing passes
            # nobody over (and the store keeps none for closed conversations).
            conversation.excluded.clear()
            conversation.missed_at.clear()
            conversation.second_chance.clear()
        self._track(conversation)

    def _track(self, conversation: Conversation) -> None:
        """Keep the queued and assigned indexes in step with the conversation's state."""
        key = conversation.id
        self._queued.pop(key, None)
        self._assigned.pop(key, None)
        self._closed.pop(key, None)
        if conversation.state is State.QUEUED:
            self._queued[key] = conversation
        elif conversation.state is State.ASSIGNED:
            self._assigned[key] = conversation
        elif conversation.state is State.CLOSED:
            self._closed[key] = conversation

    async def _persist(
        self, conversations: list[Conversation]
    ) -> tuple[set[int], BaseException | None]:
        """Write the conversations' routing fields, unless the store holds them already
        (a new conversation that stays with the bot was written as it is). The writes go
        to the store together, so they share a commit. Returns the ids of those whose write
        failed (written again with their next change) and the first error."""
        writes = []
        for conversation in conversations:
            values = conversation.stored_fields()
            saved = conversation.saved
            if values == saved:
                continue
            fields = values
            if saved is not None and saved["passed_over"] == values["passed_over"]:
                # Most changes pass nobody over: the store's list stays as it is.
                fields = {key: value for key, value in values.items() if key != "passed_over"}
            op = self._store.update_conversation_op(conversation.id, fields)
            writes.append((conversation, self._store.db.submit(op)))
            conversation.saved = values
        failed: set[int] = set()
        error: BaseException | None = None
        if not writes:
            return failed, error
        results = await asyncio.gather(*(w for _, w in writes), return_exceptions=True)
        for (conversation, _), result in zip(writes, results, strict=True):
            if isinstance(result, BaseException):
                conversation.saved = None
                failed.add(conversation.id)
                error = error or result
        return failed, error

    def _append(
        self,
        conversation: Conversation,
        author: Author,
        client_id: str,
        text: str,
        agent_id: int | None,
        meta: dict[str, Any] | None = None,
        *,
        accepted: Accepted | None = None,
    ) -> Awaitable[tuple[MessageRecord, bool]]:
        """Give the message its sequence number now, in arrival order; await it to be durable.

        Runs without suspending, so the order in which callers reach it is the order of
        the sequence numbers and of the writes.
        """
        seen = conversation.client_ids.get(client_id)
        if seen is not None:
            return self._existing(conversation, seen, client_id, author, agent_id)
        waiting = conversation.pending.get(client_id)
        if waiting is not None:
            return self._duplicate_of(waiting, author, agent_id)
        message = MessageRecord(
            conversation_id=conversation.id,
            seq=conversation.last_seq + 1,
            client_id=client_id,
            author=author,
            agent_id=agent_id,
            text=text,
            created_at=self._now(),
            meta=meta,
        )
        self._note(conversation, message)
        written = self._store.db.submit(self._store.insert_message_op(message))
        done: asyncio.Future[MessageRecord] = asyncio.get_running_loop().create_future()
        conversation.pending[client_id] = done
        if accepted is not None:
            try:
                accepted(conversation, message)
            except Exception:
                log.exception("handling reply %s failed (it is stored all the same)", client_id)
        return self._finish(conversation, message, written, done)

    @staticmethod
    def _note(conversation: Conversation, message: MessageRecord) -> None:
        """What the conversation keeps of a message given its sequence number."""
        conversation.last_seq = message.seq
        conversation.updated_at = message.created_at
        if message.author in ("shopper", "agent"):
            conversation.last_author = message.author
        if message.author == "agent":
            conversation.waiting_since = None
        elif message.author == "shopper" and conversation.waiting_since is None:
            conversation.waiting_since = message.created_at
        if message.author == "shopper":
            # Not known (messages from before a restart): the store tells it, this one too.
            if conversation.asked is not None:
                conversation.asked = [*conversation.asked[-2:], (message.seq, message.text)]
        else:
            talked = taken_as_small_talk(message)
            if talked is not None and conversation.asked:
                conversation.asked = [(s, t) for s, t in conversation.asked if s != talked]
            left = left_question(message)
            held = [(s, t) for s, t in conversation.asked or () if s == left]
            if held:
                conversation.left = held[0]
            answered = bot_answered(message)
            if answered:
                oldest = conversation.asked[0][0] if conversation.asked else min(answered)
                conversation.bot_answered = {
                    seq for seq in (*conversation.bot_answered, *answered) if seq >= oldest
                }
            unsure = still_open(message)
            if unsure is not None:
                # Partly answered (the reply comes after the answers): what an agent's
                # reply answers of that message is the question the bot was not sure of.
                seq, question = unsure
                conversation.bot_answered.discard(seq)
                if conversation.asked:
                    conversation.asked = [
                        (s, question if s == seq else t) for s, t in conversation.asked
                    ]

    async def _finish(
        self,
        conversation: Conversation,
        message: MessageRecord,
        written: asyncio.Future[bool],
        done: asyncio.Future[MessageRecord],
    ) -> tuple[MessageRecord, bool]:
        try:
            await written
        except asyncio.CancelledError:
            # Whoever waited is gone, but the write is queued and may still commit: the
            # message stays pending (a resend waits for it) until the store says.
            task = asyncio.get_running_loop().create_task(
                self._settle_cancelled(conversation, message, done)
            )
            self._background.add(task)
            task.add_done_callback(self._background.discard)
            raise
        except BaseException as exc:
            self._not_stored(conversation, message, done)
            log.error("storing message %s failed: %s", message.client_id, exc)
            raise LoketError(
                "store_failed", "The message could not be saved; send it again."
            ) from exc
        self._stored(conversation, message, done)
        return message, False

    @staticmethod
    def _stored(
        conversation: Conversation, message: MessageRecord, done: asyncio.Future[MessageRecord]
    ) -> None:
        conversation.pending.pop(message.client_id, None)
        conversation.client_ids[message.client_id] = message.seq
        done.set_result(message)

    @staticmethod
    def _not_stored(
        conversation: Conversation, message: MessageRecord, done: asyncio.Future[MessageRecord]
    ) -> None:
        conversation.pending.pop(message.client_id, None)
        done.set_exception(LoketError("store_failed", "The message could not be saved."))
        done.exception()

    async def _settle_cancelled(
        self,
        conversation: Conversation,
        message: MessageRecord,
        done: asyncio.Future[MessageRecord],
    ) -> None:
        """A message whose write was no longer waited for: once the batches queued before
        now are through (a write queued behind it has committed), read whether it is in
        the store, and settle it as `_finish` would have."""
        try:
            await self._store.db.write(_no_write)
            stored = await self._store.message(conversation.id, message.seq)
        except Exception:
            stored = None
        if stored is not None and stored.client_id == message.client_id:
            self._stored(conversation, message, done)
        else:
            self._not_stored(conversation, message, done)

    async def _existing(
        self,
        conversation: Conversation,
        seq: int,
        client_id: str,
        author: Author,
        agent_id: int | None,
    ) -> tuple[MessageRecord, bool]:
        stored = await self._store.message(conversation.id, seq)
        if stored is None or stored.client_id != client_id:
            raise LoketError("store_failed", "The message could not be found; send it again.")
        return _resent_by(stored, author, agent_id), True

    @staticmethod
    async def _duplicate_of(
        waiting: asyncio.Future[MessageRecord], author: Author, agent_id: int | None
    ) -> tuple[MessageRecord, bool]:
        return _resent_by(await asyncio.shield(waiting), author, agent_id), True

    async def drain(self) -> None:
        """Wait for bot answers under way (at shutdown)."""
        if self._background:
            await asyncio.gather(*self._background, return_exceptions=True)


async def _no_write(conn: WriteConnection) -> None:
    """A write op that writes nothing: its commit says the writes queued before it are done."""


def _resent_by(stored: MessageRecord, author: Author, agent_id: int | None) -> MessageRecord:
    """`stored`, whose client id came again, if its author sent it again; else refused.

    Client ids are unique within a conversation, not per author: a client id of someone
    else's message is no resend, and must neither show that message as the sender's nor
    keep a message the server is still to write from being written."""
    if stored.author != author or stored.agent_id != agent_id:
        raise LoketError(
            "client_id_taken",
            "Another message in this conversation has this client_id; make a new one.",
        )
    return stored


def _at(milliseconds: int) -> datetime:
    return datetime.fromtimestamp(milliseconds / 1000, UTC)
