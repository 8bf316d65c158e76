"""Pushes conversation changes to the shoppers and agents who should see them."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping, Sequence
from typing import Any

import socketio

from loket.conversations import Conversation, QueuePlace, State
from loket.hours import Availability
from loket.metrics import Metrics
from loket.services import AgentDirectory
from loket.store import MessageRecord, Store
from loket.views import (
    agent_conversation_view,
    availability_view,
    for_agents,
    message_view,
    queue_view,
    shopper_conversation_view,
)

log = logging.getLogger(__name__)

SHOPPER_NS = "/shopper"
AGENT_NS = "/agent"
ALL_AGENTS = "agents"


def shopper_room(shopper_id: int) -> str:
    return f"shopper:{shopper_id}"


def visitor_room(public_id: str) -> str:
    """The connections of a visitor who has no shopper record yet (they have not written)."""
    return f"visitor:{public_id}"


def customer_room(customer_id: str) -> str:
    """The connections of a verified customer who has no shopper record yet (every tab of
    theirs has a visitor id of its own until one writes)."""
    return f"customer:{customer_id}"


def language_room(language: str) -> str:
    """The shoppers spoken to in `language` ('nl', 'en', 'de'; see loket.languages)."""
    return f"language:{language}"


def conversation_room(conversation_id: int) -> str:
    return f"conversation:{conversation_id}"


def agent_room(agent_id: int) -> str:
    return f"agent:{agent_id}"


def agent_rooms(conversation: Conversation) -> list[str]:
    """Who sees a conversation's messages: those who opened it, and its agent; every agent
    while it has none. The other agents see an assigned conversation's last message in the
    `previews` event (see Previews)."""
    rooms = [conversation_room(conversation.id)]
    if conversation.state is State.ASSIGNED and conversation.agent_id is not None:
        rooms.append(agent_room(conversation.agent_id))
    else:
        rooms.append(ALL_AGENTS)
    return rooms


# How often, at most, every agent is sent the newest messages of conversations assigned to
# someone (the console's list shows each one's last message).
PREVIEW_SECONDS = 1.0


class Previews:
    """The last message of each assigned conversation, sent to every agent at most once a
    `interval` seconds, all of them in one `previews` event.

    Every console lists the conversations its colleagues have, with their last messages. Sent
    each message, every agent would receive every conversation's messages: a message would
    cost one send per agent online. Gathered, it costs one event a second for all of them,
    however many messages are written.
    """

    def __init__(self, sio: socketio.AsyncServer, interval: float = PREVIEW_SECONDS) -> None:
        self._sio = sio
        self._interval = interval
        self._pending: dict[int, dict[str, Any]] = {}
        self._timer: asyncio.TimerHandle | None = None
        self._sending: set[asyncio.Task[None]] = set()
        self._closed = False

    def note(self, conversation_id: int, view: dict[str, Any]) -> None:
        """`view`, a message of `conversation_id`, is its newest: send it with the next batch."""
        if self._closed:
            return
        self._pending[conversation_id] = view
        if self._timer is None:
            self._timer = asyncio.get_running_loop().call_later(self._interval, self._flush)

    def _flush(self) -> None:
        self._timer = None
        messages = list(self._pending.values())
        self._pending.clear()
        task = asyncio.create_task(
            self._sio.emit("previews", {"messages": messages}, to=ALL_AGENTS, namespace=AGENT_NS),
            name="loket-previews",
        )
        self._sending.add(task)
        task.add_done_callback(self._sent)

    def close(self) -> None:
        """Send nothing more (at shutdown): consoles sync again when they reconnect."""
        self._closed = True
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._pending.clear()

    def _sent(self, task: asyncio.Task[None]) -> None:
        self._sending.discard(task)
        if not task.cancelled() and task.exception() is not None:
            # The next batch goes out as usual, and a console's sync brings back the rest.
            log.warning("sending previews failed: %s", task.exception())


class Emitter:
    """The realtime side of ConversationEvents."""

    def __init__(
        self, sio: socketio.AsyncServer, store: Store, agents: AgentDirectory, metrics: Metrics
    ) -> None:
        self._sio = sio
        self._store = store
        self._agents = agents
        self._metrics = metrics
        self.previews = Previews(sio)

    async def message_added(
        self, conversation: Conversation, message: MessageRecord, origin: str | None = None
    ) -> None:
        """Push a stored message; `origin`, the sender's connection, has it in its ack."""
        self._metrics.message_stored(message.author)
        view = await message_view(message, self._agents)
        # Straight to the manager, as `AsyncServer.emit` hands it over (without its log
        # call): two emits for every message stored.
        manager = self._sio.manager
        await manager.emit(
            "message",
            view,
            SHOPPER_NS,
            room=shopper_room(conversation.shopper_id),
            skip_sid=origin,
        )
        agents_view = for_agents(view, message)
        await manager.emit(
            "message",
            agents_view,
            AGENT_NS,
            room=agent_rooms(conversation),
            skip_sid=origin,
        )
        if conversation.state is State.ASSIGNED and message.author in ("shopper", "agent"):
            # Not Loket's own lines ("Bram is here to help you"): a list shows what the
            # shopper and the agents wrote.
            self.previews.note(conversation.id, agents_view)

    async def conversation_changed(self, conversation: Conversation, previous: State) -> None:
        shopper_view = await shopper_conversation_view(conversation, self._agents)
        await self._sio.emit(
            "conversation",
            shopper_view,
            to=shopper_room(conversation.shopper_id),
            namespace=SHOPPER_NS,
        )
        shopper = await self._store.shopper_by_id(conversation.shopper_id)
        view = await agent_conversation_view(conversation, shopper, self._agents)
        view["previous_state"] = previous.value
        await self._sio.emit("conversation", view, to=ALL_AGENTS, namespace=AGENT_NS)

    async def queue_changed(self, queue: list[QueuePlace]) -> None:
        for place in queue:
            await self._sio.emit(
                "queue",
                queue_view(place),
                to=shopper_room(place.conversation.shopper_id),
                namespace=SHOPPER_NS,
            )
        await self._sio.emit(
            "queue",
            {"conversations": [place.conversation.id for place in queue]},
            to=ALL_AGENTS,
            namespace=AGENT_NS,
        )

    async def callbacks_changed(self) -> None:
        await self._sio.emit("callbacks", {}, to=ALL_AGENTS, namespace=AGENT_NS)

    def shopper_here(self, shopper_id: int) -> bool:
        """Whether a page of the shopper's is connected to this process (their room)."""
        participants = self._sio.manager.get_participants(SHOPPER_NS, shopper_room(shopper_id))
        return next(iter(participants), None) is not None

    async def shoppers_forgotten(
        self, shopper_ids: Sequence[int], conversation_ids: Sequence[int]
    ) -> None:
        """Their data was deleted on request: their open tabs are disconnected (the widget
        connects again, and shows nothing of what was deleted), and the consoles drop the
        conversations."""
        for shopper_id in shopper_ids:
            room = shopper_room(shopper_id)
            for sid, _ in list(self._sio.manager.get_participants(SHOPPER_NS, room)):
                await self._sio.disconnect(sid, namespace=SHOPPER_NS)
        await self._sio.emit(
            "forgotten",
            {"conversations": list(conversation_ids)},
            to=ALL_AGENTS,
            namespace=AGENT_NS,
        )

    async def availability_changed(
        self, availability: Mapping[str, Availability], people: bool
    ) -> None:
        for language, told in availability.items():
            await self._sio.emit(
                "availability",
                availability_view(told, people=people),
                to=language_room(language),
                namespace=SHOPPER_NS,
            )
