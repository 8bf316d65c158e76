"""Plain records read from and written to the store."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from typing import Any, Literal

ConversationStateName = Literal["bot", "queued", "assigned", "closed"]
Author = Literal["shopper", "agent", "bot", "system"]


@dataclass(frozen=True, slots=True)
class AgentRecord:
    id: int
    name: str
    display_name: str
    password_hash: str
    is_admin: bool
    disabled: bool
    created_at: int

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> AgentRecord:
        return cls(
            id=row["id"],
            name=row["name"],
            display_name=row["display_name"],
            password_hash=row["password_hash"],
            is_admin=bool(row["is_admin"]),
            disabled=bool(row["disabled"]),
            created_at=row["created_at"],
        )


# The public id of a shopper emptied on request, before their number.
FORGOTTEN = "forgotten:"


@dataclass(frozen=True, slots=True)
class ShopperRecord:
    id: int
    public_id: str
    customer_id: str | None
    name: str | None
    email: str | None
    locale: str | None
    created_at: int
    last_seen_at: int

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> ShopperRecord:
        return cls(
            id=row["id"],
            public_id=row["public_id"],
            customer_id=row["customer_id"],
            name=row["name"],
            email=row["email"],
            locale=row["locale"],
            created_at=row["created_at"],
            last_seen_at=row["last_seen_at"],
        )

    @property
    def forgotten(self) -> bool:
        """Emptied of who they were on request, the row kept for its number (see
        `Store.forget_conversations`): nobody to find any more."""
        return self.public_id.startswith(FORGOTTEN)


@dataclass(frozen=True, slots=True)
class ConversationRecord:
    id: int
    shopper_id: int
    state: ConversationStateName
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
    # The agent who closed it; None while open, or when the server closed it for quiet.
    closed_by: int | None = None
    # The agent who wrote the note; None when unknown (a note from before it was kept).
    note_by: int | None = None

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> ConversationRecord:
        return cls(
            id=row["id"],
            shopper_id=row["shopper_id"],
            state=row["state"],
            agent_id=row["agent_id"],
            created_at=row["created_at"],
            updated_at=row["updated_at"],
            queued_at=row["queued_at"],
            assigned_at=row["assigned_at"],
            closed_at=row["closed_at"],
            shopper_read_seq=row["shopper_read_seq"],
            agent_read_seq=row["agent_read_seq"],
            locale=row["locale"],
            page_url=row["page_url"],
            page_title=row["page_title"],
            note=row["note"],
            closed_by=row["closed_by"],
            note_by=row["note_by"],
        )

    @property
    def emptied(self) -> bool:
        """The newest conversation, deleted on request: its row is kept, emptied, only so
        that its number is not given again (see `Store.forget_conversations`)."""
        return self.state == "closed" and self.closed_at is None


@dataclass(frozen=True, slots=True)
class MessageRecord:
    conversation_id: int
    seq: int
    client_id: str
    author: Author
    agent_id: int | None
    text: str
    created_at: int
    # What the widget needs beyond the text: a bot answer's entry, "did you mean" choices.
    meta: dict[str, Any] | None = None

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> MessageRecord:
        return cls(
            conversation_id=row["conversation_id"],
            seq=row["seq"],
            client_id=row["client_id"],
            author=row["author"],
            agent_id=row["agent_id"],
            text=row["text"],
            created_at=row["created_at"],
            meta=json.loads(row["meta"]) if row["meta"] else None,
        )


@dataclass(frozen=True, slots=True)
class CallbackRecord:
    """A question a shopper left for the next shift."""

    id: int
    conversation_id: int
    shopper_id: int
    question: str
    email: str | None
    phone: str | None
    created_at: int
    answered_at: int | None
    agent_id: int | None
    # The sequence number of the shopper's message holding the question.
    message_seq: int | None = None
    # When an agent first replied after it in the chat (open callbacks only; None: not yet).
    replied_at: int | None = None

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> CallbackRecord:
        return cls(**{key: row[key] for key in row.keys()})  # noqa: SIM118 (Row yields values)


@dataclass(frozen=True, slots=True)
class LearnedRecord:
    """A question/answer pair taken from an agent's reply."""

    id: int
    question: str
    answer: str
    language: str | None
    agent_id: int | None
    conversation_id: int | None
    status: Literal["candidate", "approved", "rejected"]
    # The kinds of personal data found; None: not checked yet (a candidate is checked
    # when it is reviewed, see `loket.bot.learning.with_personal_checked`).
    personal: tuple[str, ...] | None
    created_at: int
    reviewed_at: int | None
    reviewed_by: str | None
    # The FAQ entry whose answer the pair gave when it was learned: it follows that entry.
    faq_entry: str | None = None

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> LearnedRecord:
        values = {key: row[key] for key in row.keys()}  # noqa: SIM118 (Row yields values)
        found = json.loads(values["personal"])
        values["personal"] = None if found is None else tuple(found)
        return cls(**values)


@dataclass(frozen=True, slots=True)
class MissRecord:
    """A question the bot could not answer, or answered unhelpfully."""

    id: int
    conversation_id: int | None
    question: str
    language: str | None
    reason: Literal["unknown", "unhelpful"]
    entry_id: str | None
    created_at: int

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> MissRecord:
        return cls(**{key: row[key] for key in row.keys()})  # noqa: SIM118 (Row yields values)
