"""What clients are sent: messages and conversations as plain JSON objects."""

from __future__ import annotations

from typing import Any

from loket.conversations import Conversation, QueuePlace
from loket.hours import Availability
from loket.services import AgentDirectory
from loket.store import CallbackRecord, MessageRecord, ShopperRecord


async def message_view(message: MessageRecord, agents: AgentDirectory) -> dict[str, Any]:
    view: dict[str, Any] = {
        "conversation_id": message.conversation_id,
        "seq": message.seq,
        "client_id": message.client_id,
        "author": message.author,
        "text": message.text,
        "at": message.created_at,
    }
    if message.agent_id is not None:
        view["agent_name"] = await agents.name(message.agent_id)
    if message.meta:
        view["meta"] = message.meta
    return view


def for_agents(view: dict[str, Any], message: MessageRecord) -> dict[str, Any]:
    """A message view as consoles get it: with the id of the agent who wrote it (shoppers,
    who get the same message, are not sent agents' ids), so a console can tell its own
    agent's replies from a colleague's of the same name."""
    if message.agent_id is None:
        return view
    return {**view, "agent_id": message.agent_id}


def queue_view(place: QueuePlace) -> dict[str, Any]:
    return {
        "conversation_id": place.conversation.id,
        "position": place.position,
        "wait_seconds": place.wait_seconds,
        "beyond_timeout": place.beyond_timeout,
    }


def availability_view(availability: Availability, *, people: bool) -> dict[str, Any]:
    """Staffed hours as a shopper is told them; `people`: whether an agent can come now."""
    return {
        "staffed": availability.staffed,
        "people": people,
        "text": availability.text,
        "next_open": int(availability.next_open.timestamp() * 1000)
        if availability.next_open
        else None,
        "zone": availability.zone,
    }


def callback_view(callback: CallbackRecord) -> dict[str, Any]:
    return {
        "id": callback.id,
        "conversation_id": callback.conversation_id,
        "question": callback.question,
        "email": callback.email,
        "phone": callback.phone,
        "created_at": callback.created_at,
        "replied_at": callback.replied_at,
    }


async def shopper_conversation_view(
    conversation: Conversation | None, agents: AgentDirectory
) -> dict[str, Any] | None:
    if conversation is None:
        return None
    agent = None
    if conversation.agent_id is not None:
        agent = {"name": await agents.name(conversation.agent_id)}
    return {
        "id": conversation.id,
        "state": conversation.state.value,
        "agent": agent,
        "last_seq": conversation.last_seq,
        "agent_read_seq": conversation.agent_read_seq,
        "shopper_read_seq": conversation.shopper_read_seq,
        # The queue's wait ran out (everyone busy): the widget offers the form, not a person.
        "queue_gave_up": conversation.queue_gave_up,
    }


async def agent_conversation_view(
    conversation: Conversation,
    shopper: ShopperRecord | None,
    agents: AgentDirectory,
    last_message: MessageRecord | None = None,
) -> dict[str, Any]:
    agent = None
    if conversation.agent_id is not None:
        agent = {"id": conversation.agent_id, "name": await agents.name(conversation.agent_id)}
    view: dict[str, Any] = {
        "id": conversation.id,
        "state": conversation.state.value,
        "agent": agent,
        "shopper": {
            "id": conversation.shopper_id,
            "name": shopper.name if shopper else None,
            "email": shopper.email if shopper else None,
            "customer_id": shopper.customer_id if shopper else None,
        },
        "locale": conversation.locale,
        "page": {"url": conversation.page_url, "title": conversation.page_title},
        "created_at": conversation.created_at,
        "updated_at": conversation.updated_at,
        "queued_at": conversation.queued_at,
        "assigned_at": conversation.assigned_at,
        "closed_at": conversation.closed_at,
        "last_seq": conversation.last_seq,
        "shopper_read_seq": conversation.shopper_read_seq,
        "agent_read_seq": conversation.agent_read_seq,
        "note": conversation.note,
        "note_by": (
            {"id": conversation.note_by, "name": await agents.name(conversation.note_by)}
            if conversation.note_by is not None
            else None
        ),
        "closed_by": (
            {"id": conversation.closed_by, "name": await agents.name(conversation.closed_by)}
            if conversation.closed_by is not None
            else None
        ),
    }
    if last_message is not None:
        view["last_message"] = for_agents(await message_view(last_message, agents), last_message)
    return view
