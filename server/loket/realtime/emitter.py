"""Pushes conversation changes to the shoppers and agents who should see them."""

from __future__ import annotations

from collections.abc import Mapping

import socketio

from loket.conversations import Conversation, QueuePlace, State
from loket.hours import Availability
from loket.metrics import Metrics
from loket.services import AgentDirectory
from loket.store import MessageRecord, Store
from loket.views import (
    agent_conversation_view,
    availability_view,
    message_view,
    queue_view,
    shopper_conversation_view,
)

SHOPPER_NS = "/shopper"
AGENT_NS = "/agent"
ALL_AGENTS = "agents"


def shopper_room(shopper_id: int) -> str:
    return f"shopper:{shopper_id}"


def language_room(language: str) -> str:
    """The shoppers spoken to in `language` ('nl', 'en', 'de'; see loket.languages)."""
    return f"language:{language}"


def conversation_room(conversation_id: int) -> str:
    return f"conversation:{conversation_id}"


def agent_room(agent_id: int) -> str:
    return f"agent:{agent_id}"


def agent_rooms(conversation: Conversation) -> list[str]:
    """Who sees a conversation's messages: those who opened it, and its agent; every agent
    while it has none."""
    rooms = [conversation_room(conversation.id)]
    if conversation.state is State.ASSIGNED and conversation.agent_id is not None:
        rooms.append(agent_room(conversation.agent_id))
    else:
        rooms.append(ALL_AGENTS)
    return rooms


class Emitter:
    """The realtime side of ConversationEvents."""

    def __init__(
        self, sio: socketio.AsyncServer, store: Store, agents: AgentDirectory, metrics: Metrics
    ) -> None:
        self._sio = sio
        self._store = store
        self._agents = agents
        self._metrics = metrics

    async def message_added(
        self, conversation: Conversation, message: MessageRecord, origin: str | None = None
    ) -> None:
        """Push a stored message; `origin`, the sender's connection, has it in its ack."""
        self._metrics.message_stored(message.author)
        view = await message_view(message, self._agents)
        await self._sio.emit(
            "message",
            view,
            to=shopper_room(conversation.shopper_id),
            namespace=SHOPPER_NS,
            skip_sid=origin,
        )
        await self._sio.emit(
            "message", view, to=agent_rooms(conversation), namespace=AGENT_NS, skip_sid=origin
        )

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
