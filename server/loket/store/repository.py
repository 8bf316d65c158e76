"""Queries: every SQL statement Loket runs, behind typed methods."""

from __future__ import annotations

import asyncio
import json
import re
import secrets
import sqlite3
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal, NamedTuple

from loket.store.db import BulkInsert, Database, StoreError, Synchronous, WriteConnection
from loket.store.records import (
    FORGOTTEN,
    AgentRecord,
    CallbackRecord,
    ConversationRecord,
    ConversationStateName,
    LearnedRecord,
    MessageRecord,
    MissRecord,
    ShopperRecord,
)

_CONVERSATION_FIELDS = frozenset(
    {
        "state",
        "agent_id",
        "updated_at",
        "queued_at",
        "assigned_at",
        "closed_at",
        "locale",
        "page_url",
        "page_title",
        "note",
        "note_by",
        "closed_by",
    }
)


@dataclass(frozen=True, slots=True)
class NewShopper:
    """A shopper to create (with `Store.create_shopper` or `Store.open_conversation`)."""

    public_id: str
    customer_id: str | None = None
    locale: str | None = None


class MessageIndex(NamedTuple):
    """What `Store.client_ids` reads of a conversation's messages."""

    # Sequence number by client id.
    client_ids: dict[str, int]
    # When the last message was written (None without messages).
    last_at: int | None
    # "shopper" or "agent": who of the two wrote last (None when neither wrote).
    last_author: str | None
    # When the oldest shopper message since an agent's last reply was written (None when
    # the agent wrote last, or nobody wrote).
    waiting_since: int | None


class Opened(NamedTuple):
    """What `Store.open_conversation` created."""

    shopper: ShopperRecord | None
    conversation: ConversationRecord | None
    message: MessageRecord | None


async def _insert_shopper(conn: WriteConnection, new: NewShopper, now: int) -> tuple[Any, bool]:
    """The shopper's row, and whether it was inserted now; an existing shopper with the same
    public or customer id is returned instead.

    DO NOTHING rather than an error, so a race never fails the whole batch; the row is read
    back in the same transaction (no second trip to the database).
    """
    cursor = await conn.execute(
        "INSERT INTO shoppers (public_id, customer_id, locale, created_at, last_seen_at)"
        " VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
        (new.public_id, new.customer_id, new.locale, now, now),
    )
    inserted = cursor.rowcount == 1
    rows = await conn.execute_fetchall(
        "SELECT * FROM shoppers WHERE public_id = ?", (new.public_id,)
    )
    if not rows and new.customer_id is not None:
        rows = await conn.execute_fetchall(
            "SELECT * FROM shoppers WHERE customer_id = ?", (new.customer_id,)
        )
    return (rows[0] if rows else None), inserted


# Shoppers kept in memory by id, at most.
_SHOPPERS_KEPT = 10_000


class Store:
    """Typed access to the SQLite store; writes go through the batching writer."""

    def __init__(self, db: Database) -> None:
        self.db = db
        # Shoppers by id, read once: every agent reply needs its shopper's name. This
        # process is the only writer of shoppers, and forgets one whenever it changes it.
        self._shoppers: dict[int, ShopperRecord] = {}
        self._shopper_changes = 0

    @classmethod
    async def open(
        cls, path: Path, *, batch_max: int = 512, synchronous: Synchronous = "full"
    ) -> Store:
        return cls(await Database.open(path, batch_max=batch_max, synchronous=synchronous))

    async def close(self) -> None:
        await self.db.close()

    async def signing_secret_fingerprint(self) -> str | None:
        """The fingerprint of the secret this store's shoppers' tokens were signed with,
        or None before the first start that recorded one."""
        row = await self.db.fetch_one("SELECT fingerprint FROM signing_secret")
        return str(row["fingerprint"]) if row is not None else None

    async def has_shoppers(self) -> bool:
        """Whether any shopper has a record (and so a token that names it)."""
        return await self.db.fetch_one("SELECT 1 FROM shoppers LIMIT 1") is not None

    async def record_signing_secret(self, fingerprint: str) -> None:
        """Keep `fingerprint` as the signing secret's, in place of any before it."""

        async def op(conn: WriteConnection) -> None:
            await conn.execute("DELETE FROM signing_secret")
            await conn.execute(
                "INSERT INTO signing_secret (fingerprint) VALUES (?)", (fingerprint,)
            )

        await self.db.write(op)

    async def install_id(self) -> str:
        """This install's id: random, made the first time it is asked for, then kept."""
        row = await self.db.fetch_one("SELECT id FROM install")
        if row is not None:
            return str(row["id"])
        made = secrets.token_hex(8)

        async def op(conn: WriteConnection) -> str:
            await conn.execute("INSERT INTO install (id) VALUES (?)", (made,))
            return made

        return await self.db.write(op)

    # -- agents ------------------------------------------------------------------

    async def add_agent(
        self, name: str, display_name: str, password_hash: str, *, is_admin: bool, now: int
    ) -> AgentRecord:
        async def op(conn: WriteConnection) -> int:
            try:
                cursor = await conn.execute(
                    "INSERT INTO agents (name, display_name, password_hash, is_admin, created_at)"
                    " VALUES (?, ?, ?, ?, ?)",
                    (name, display_name, password_hash, int(is_admin), now),
                )
            except sqlite3.IntegrityError:
                raise StoreError(f"an agent named {name!r} already exists") from None
            return int(cursor.lastrowid or 0)

        agent_id = await self.db.write(op)
        agent = await self.agent_by_id(agent_id)
        assert agent is not None
        return agent

    async def agent_by_name(self, name: str) -> AgentRecord | None:
        row = await self.db.fetch_one("SELECT * FROM agents WHERE name = ?", (name,))
        return AgentRecord.from_row(row) if row else None

    async def agent_by_id(self, agent_id: int) -> AgentRecord | None:
        row = await self.db.fetch_one("SELECT * FROM agents WHERE id = ?", (agent_id,))
        return AgentRecord.from_row(row) if row else None

    async def list_agents(self) -> list[AgentRecord]:
        rows = await self.db.fetch_all("SELECT * FROM agents ORDER BY name")
        return [AgentRecord.from_row(r) for r in rows]

    async def update_agent(self, agent_id: int, **fields: Any) -> None:
        allowed = {"password_hash", "is_admin", "disabled", "display_name"}
        unknown = set(fields) - allowed
        if unknown:
            raise ValueError(f"cannot update agent fields {sorted(unknown)}")
        assignments = ", ".join(f"{key} = ?" for key in fields)
        values = (*fields.values(), agent_id)
        await self._execute(f"UPDATE agents SET {assignments} WHERE id = ?", values)

    async def away_agents(self) -> list[int]:
        """The agents whose last chosen status is "away" (see `set_agent_away`)."""
        rows = await self.db.fetch_all("SELECT id FROM agents WHERE away = 1")
        return [row["id"] for row in rows]

    async def set_agent_away(self, agent_id: int, away: bool) -> None:
        """Keep the agent's chosen status, so that a restart does not put them online."""
        await self._execute("UPDATE agents SET away = ? WHERE id = ?", (int(away), agent_id))

    async def create_session(
        self, token_hash: str, agent_id: int, *, now: int, expires_at: int
    ) -> None:
        await self._execute(
            "INSERT INTO agent_sessions (token_hash, agent_id, created_at, expires_at)"
            " VALUES (?, ?, ?, ?)",
            (token_hash, agent_id, now, expires_at),
        )

    async def session(self, token_hash: str) -> tuple[AgentRecord, int] | None:
        """The agent and expiry time of a session, whether or not it has expired."""
        row = await self.db.fetch_one(
            "SELECT agents.*, agent_sessions.expires_at AS session_expires_at"
            " FROM agent_sessions JOIN agents ON agents.id = agent_sessions.agent_id"
            " WHERE token_hash = ?",
            (token_hash,),
        )
        if row is None:
            return None
        return AgentRecord.from_row(row), int(row["session_expires_at"])

    async def delete_session(self, token_hash: str) -> None:
        await self._execute("DELETE FROM agent_sessions WHERE token_hash = ?", (token_hash,))

    async def delete_sessions_of(self, agent_id: int) -> None:
        await self._execute("DELETE FROM agent_sessions WHERE agent_id = ?", (agent_id,))

    async def purge_expired_sessions(self, now: int) -> None:
        await self._execute("DELETE FROM agent_sessions WHERE expires_at <= ?", (now,))

    # -- shoppers ----------------------------------------------------------------

    async def create_shopper(
        self, public_id: str, *, customer_id: str | None, locale: str | None, now: int
    ) -> ShopperRecord:
        """Create the shopper, or return the one that already has this public or customer id."""
        new = NewShopper(public_id, customer_id=customer_id, locale=locale)

        async def op(conn: WriteConnection) -> Any:
            row, _ = await _insert_shopper(conn, new, now)
            return row

        changes = self._shopper_changes
        row = await self.db.write(op)
        if row is None:
            raise StoreError(f"shopper {public_id!r} could not be created")
        return self._keep_shopper(ShopperRecord.from_row(row), changes)

    async def shopper_by_id(self, shopper_id: int) -> ShopperRecord | None:
        cached = self._shoppers.get(shopper_id)
        if cached is not None:
            return cached
        changes = self._shopper_changes
        row = await self.db.fetch_one("SELECT * FROM shoppers WHERE id = ?", (shopper_id,))
        if not row:
            return None
        return self._keep_shopper(ShopperRecord.from_row(row), changes)

    def _keep_shopper(self, shopper: ShopperRecord, changes: int) -> ShopperRecord:
        """Keep `shopper`, read when the change count was `changes`, unless a change was made
        since (the record may predate it)."""
        if changes == self._shopper_changes:
            if len(self._shoppers) >= _SHOPPERS_KEPT:
                del self._shoppers[next(iter(self._shoppers))]
            self._shoppers[shopper.id] = shopper
        return shopper

    async def shopper_exists(self, shopper: ShopperRecord) -> bool:
        """Whether the shopper's record is in the store as it was (asked there, not of the
        cache: an admin command may have deleted or emptied it, and SQLite may have given
        its id to someone new)."""
        row = await self.db.fetch_one(
            "SELECT 1 FROM shoppers WHERE id = ? AND public_id = ?",
            (shopper.id, shopper.public_id),
        )
        if row is None:
            self._forget_shopper(shopper.id)
        return row is not None

    async def shopper_by_public_id(self, public_id: str) -> ShopperRecord | None:
        row = await self.db.fetch_one("SELECT * FROM shoppers WHERE public_id = ?", (public_id,))
        return ShopperRecord.from_row(row) if row else None

    async def shopper_by_customer_id(self, customer_id: str) -> ShopperRecord | None:
        row = await self.db.fetch_one(
            "SELECT * FROM shoppers WHERE customer_id = ?", (customer_id,)
        )
        return ShopperRecord.from_row(row) if row else None

    async def update_shopper(self, shopper_id: int, **fields: Any) -> None:
        allowed = {"customer_id", "name", "email", "locale", "last_seen_at"}
        unknown = set(fields) - allowed
        if unknown:
            raise ValueError(f"cannot update shopper fields {sorted(unknown)}")
        if not fields:
            return
        assignments = ", ".join(f"{key} = ?" for key in fields)
        self._forget_shopper(shopper_id)
        try:
            await self._execute(
                f"UPDATE shoppers SET {assignments} WHERE id = ?", (*fields.values(), shopper_id)
            )
        finally:
            self._forget_shopper(shopper_id)

    def _forget_shopper(self, shopper_id: int) -> None:
        self._shopper_changes += 1
        self._shoppers.pop(shopper_id, None)

    # -- conversations -------------------------------------------------------------

    async def create_conversation(
        self,
        shopper_id: int,
        *,
        state: ConversationStateName,
        now: int,
        locale: str | None,
        page_url: str | None,
        page_title: str | None,
    ) -> ConversationRecord:
        opened = await self.open_conversation(
            shopper_id,
            state=state,
            now=now,
            locale=locale,
            page_url=page_url,
            page_title=page_title,
        )
        assert opened.conversation is not None
        return opened.conversation

    async def open_conversation(
        self,
        shopper: int | NewShopper,
        *,
        state: ConversationStateName,
        now: int,
        locale: str | None,
        page_url: str | None,
        page_title: str | None,
        first: MessageRecord | None = None,
    ) -> Opened:
        """Create a conversation in one transaction with its `first` message (its
        conversation id is filled in here) and, for a `NewShopper`, with the shopper.

        One commit instead of three for a new visitor's first message. When a new shopper's
        public or customer id is taken already (another tab was quicker), only that shopper
        is returned and nothing else is created: their conversation may exist already.
        """
        queued_at = now if state == "queued" else None

        async def op(conn: WriteConnection) -> tuple[Any, Any, MessageRecord | None]:
            shopper_row = None
            if isinstance(shopper, NewShopper):
                shopper_row, inserted = await _insert_shopper(conn, shopper, now)
                if shopper_row is None or not inserted:
                    return shopper_row, None, None
                shopper_id = shopper_row["id"]
            else:
                shopper_id = shopper
            # Read back in the same transaction: no second trip to the database.
            rows = await conn.execute_fetchall(
                "INSERT INTO conversations (shopper_id, state, created_at, updated_at,"
                " queued_at, locale, page_url, page_title) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
                " RETURNING *",
                (shopper_id, state, now, now, queued_at, locale, page_url, page_title),
            )
            message = None
            if first is not None:
                message = replace(first, conversation_id=rows[0]["id"])
                await self.insert_message_op(message)(conn)
            return shopper_row, rows[0], message

        changes = self._shopper_changes
        shopper_row, row, message = await self.db.write(op)
        return Opened(
            self._keep_shopper(ShopperRecord.from_row(shopper_row), changes)
            if shopper_row is not None
            else None,
            ConversationRecord.from_row(row) if row is not None else None,
            message,
        )

    async def conversation(self, conversation_id: int) -> ConversationRecord | None:
        row = await self.db.fetch_one(
            "SELECT * FROM conversations WHERE id = ?", (conversation_id,)
        )
        return ConversationRecord.from_row(row) if row else None

    async def latest_conversation(self, shopper_id: int) -> ConversationRecord | None:
        row = await self.db.fetch_one(
            "SELECT * FROM conversations WHERE shopper_id = ? ORDER BY id DESC LIMIT 1",
            (shopper_id,),
        )
        return ConversationRecord.from_row(row) if row else None

    async def conversations_of_shopper(
        self, shopper_id: int, limit: int = 20
    ) -> list[ConversationRecord]:
        rows = await self.db.fetch_all(
            "SELECT * FROM conversations WHERE shopper_id = ? ORDER BY id DESC LIMIT ?",
            (shopper_id, limit),
        )
        return [ConversationRecord.from_row(r) for r in rows]

    async def open_conversations(self) -> list[ConversationRecord]:
        rows = await self.db.fetch_all(
            "SELECT * FROM conversations WHERE state != 'closed' ORDER BY id"
        )
        return [ConversationRecord.from_row(r) for r in rows]

    async def close_quiet_bot_conversations(self, quiet_since: int, now: int) -> int:
        """Close the conversations with the bot in which nothing was written since
        `quiet_since` and no question waits for the next shift; how many there were.

        Each counts as closed when its quiet time ran out (its last activity plus
        `now - quiet_since`), as it would have been had the server been running."""
        last_activity = (
            "MAX(updated_at, COALESCE((SELECT created_at FROM messages m"
            " WHERE m.conversation_id = conversations.id ORDER BY seq DESC LIMIT 1), 0))"
        )

        async def op(conn: WriteConnection) -> int:
            cursor = await conn.execute(
                f"UPDATE conversations SET state = 'closed', closed_by = NULL,"
                f" closed_at = {last_activity} + ?, updated_at = {last_activity} + ?"
                f" WHERE state = 'bot' AND {last_activity} < ?"
                " AND NOT EXISTS (SELECT 1 FROM callbacks c"
                "   WHERE c.conversation_id = conversations.id AND c.answered_at IS NULL)",
                (now - quiet_since, now - quiet_since, quiet_since),
            )
            # Closed, they pass nobody over any more (as when they close while running).
            await conn.execute(
                "DELETE FROM passed_over WHERE EXISTS (SELECT 1 FROM conversations c"
                " WHERE c.id = passed_over.conversation_id AND c.state = 'closed')"
            )
            return int(cursor.rowcount)

        return await self.db.write(op)

    async def conversations_closed_since(self, since: int) -> list[ConversationRecord]:
        """Conversations agents closed since `since` (not those closed for quiet)."""
        rows = await self.db.fetch_all(
            "SELECT * FROM conversations WHERE state = 'closed' AND closed_at >= ?"
            " AND closed_by IS NOT NULL ORDER BY id",
            (since,),
        )
        return [ConversationRecord.from_row(r) for r in rows]

    async def count_conversations_by_state(self) -> dict[str, int]:
        rows = await self.db.fetch_all(
            "SELECT state, COUNT(*) AS n FROM conversations GROUP BY state"
        )
        return {row["state"]: int(row["n"]) for row in rows}

    def update_conversation_op(self, conversation_id: int, fields: dict[str, Any]) -> Any:
        """A write op that sets conversation fields (for use with Database.submit).

        `passed_over` among the fields (agent ids) replaces the agents routing passes over
        for the conversation, in the same transaction as the other fields."""
        fields = dict(fields)
        passed_over: list[int] | None = None
        if "passed_over" in fields:
            passed_over = sorted(fields.pop("passed_over"))
        unknown = set(fields) - _CONVERSATION_FIELDS
        if unknown:
            raise ValueError(f"cannot update conversation fields {sorted(unknown)}")
        assignments = ", ".join(f"{key} = ?" for key in fields)
        sql = f"UPDATE conversations SET {assignments} WHERE id = ?"
        values = (*fields.values(), conversation_id)

        async def op(conn: WriteConnection) -> None:
            if fields:
                await conn.execute(sql, values)
            if passed_over is not None:
                await conn.execute(
                    "DELETE FROM passed_over WHERE conversation_id = ?", (conversation_id,)
                )
                await conn.executemany(
                    "INSERT INTO passed_over (conversation_id, agent_id) VALUES (?, ?)",
                    [(conversation_id, agent_id) for agent_id in passed_over],
                )

        return op

    async def passed_over(self) -> dict[int, set[int]]:
        """The agents routing passes over, by open conversation (see `update_conversation_op`)."""
        rows = await self.db.fetch_all(
            "SELECT p.conversation_id, p.agent_id FROM passed_over p"
            " JOIN conversations c ON c.id = p.conversation_id WHERE c.state != 'closed'"
        )
        found: dict[int, set[int]] = {}
        for row in rows:
            found.setdefault(int(row["conversation_id"]), set()).add(int(row["agent_id"]))
        return found

    def read_seq_op(self, conversation_id: int, side: str, seq: int) -> Any:
        """A write op that raises the shopper's or agent's read marker (never lowers it)."""
        column = {"shopper": "shopper_read_seq", "agent": "agent_read_seq"}[side]
        sql = f"UPDATE conversations SET {column} = MAX({column}, ?) WHERE id = ?"

        async def op(conn: WriteConnection) -> None:
            await conn.execute(sql, (seq, conversation_id))

        return op

    # -- messages ------------------------------------------------------------------

    @staticmethod
    def insert_message_op(message: MessageRecord) -> BulkInsert:
        """A write op inserting `message` (its result is True once inserted).

        The store does not look for the message's client id: a resend is recognised before
        a message gets its sequence number (`Conversations`), from the client ids each live
        conversation keeps. A sequence number taken already fails the write.
        """
        sql = (
            "INSERT INTO messages (conversation_id, seq, client_id, author, agent_id, text,"
            " created_at, meta) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
        )
        return BulkInsert(
            sql=sql,
            params=(
                message.conversation_id,
                message.seq,
                message.client_id,
                message.author,
                message.agent_id,
                message.text,
                message.created_at,
                json.dumps(message.meta) if message.meta else None,
            ),
        )

    async def messages_after(
        self, conversation_id: int, after_seq: int, limit: int
    ) -> list[MessageRecord]:
        rows = await self.db.fetch_all(
            "SELECT * FROM messages WHERE conversation_id = ? AND seq > ? ORDER BY seq LIMIT ?",
            (conversation_id, after_seq, limit),
        )
        return [MessageRecord.from_row(r) for r in rows]

    async def client_ids(self, conversation_id: int) -> MessageIndex:
        """The conversation's messages' sequence numbers by client id, when the last one
        was written, who of shopper and agent wrote last, and since when the shopper has
        waited for an agent's reply (see `MessageIndex`)."""
        rows = await self.db.fetch_all(
            "SELECT client_id, seq, created_at, author FROM messages WHERE conversation_id = ?"
            " ORDER BY seq",
            (conversation_id,),
        )
        last_author: str | None = None
        waiting_since: int | None = None
        for row in rows:
            if row["author"] == "agent":
                last_author, waiting_since = "agent", None
            elif row["author"] == "shopper":
                last_author = "shopper"
                if waiting_since is None:
                    waiting_since = int(row["created_at"])
        return MessageIndex(
            {row["client_id"]: int(row["seq"]) for row in rows},
            max((int(row["created_at"]) for row in rows), default=None),
            last_author,
            waiting_since,
        )

    async def listed_messages(self, conversation_ids: list[int]) -> dict[int, MessageRecord]:
        """The message each given conversation shows in the console's list: its newest
        from the shopper or an agent. The bot's replies and Loket's own lines (an agent
        joined, the wait ran out, a question was left) say nothing of what the shopper
        wants ("A colleague will be with you shortly")."""
        if not conversation_ids:
            return {}
        marks = ",".join("?" * len(conversation_ids))
        rows = await self.db.fetch_all(
            f"SELECT m.* FROM messages m JOIN (SELECT conversation_id, MAX(seq) AS seq"
            f" FROM messages WHERE conversation_id IN ({marks})"
            f" AND author IN ('shopper', 'agent') GROUP BY conversation_id) last"
            f" ON m.conversation_id = last.conversation_id AND m.seq = last.seq",
            tuple(conversation_ids),
        )
        return {int(row["conversation_id"]): MessageRecord.from_row(row) for row in rows}

    async def recent_messages(
        self, conversation_ids: list[int], count: int
    ) -> dict[int, list[MessageRecord]]:
        """The last `count` messages of each given conversation, oldest first."""
        if not conversation_ids:
            return {}
        marks = ",".join("?" * len(conversation_ids))
        rows = await self.db.fetch_all(
            f"SELECT m.* FROM messages m JOIN (SELECT conversation_id, MAX(seq) AS seq"
            f" FROM messages WHERE conversation_id IN ({marks}) GROUP BY conversation_id) last"
            f" ON m.conversation_id = last.conversation_id AND m.seq > last.seq - ?"
            f" ORDER BY m.conversation_id, m.seq",
            (*conversation_ids, count),
        )
        found: dict[int, list[MessageRecord]] = {}
        for row in rows:
            found.setdefault(int(row["conversation_id"]), []).append(MessageRecord.from_row(row))
        return found

    async def last_agent_replies(self, conversation_ids: list[int]) -> dict[int, int]:
        """When an agent last wrote in each given conversation."""
        if not conversation_ids:
            return {}
        marks = ",".join("?" * len(conversation_ids))
        rows = await self.db.fetch_all(
            f"SELECT conversation_id, MAX(created_at) AS at FROM messages"
            f" WHERE author = 'agent' AND conversation_id IN ({marks}) GROUP BY conversation_id",
            tuple(conversation_ids),
        )
        return {int(r["conversation_id"]): int(r["at"]) for r in rows}

    async def recent_handling_seconds(self, since: int, limit: int = 50) -> list[float]:
        """How long agents had recent conversations, from assignment to close (only those
        closed while an agent had them: one that went back to the bot has no agent)."""
        rows = await self.db.fetch_all(
            "SELECT (closed_at - assigned_at) / 1000.0 AS seconds FROM conversations"
            " WHERE state = 'closed' AND agent_id IS NOT NULL AND assigned_at IS NOT NULL"
            " AND closed_at >= ?"
            " ORDER BY closed_at DESC LIMIT ?",
            (since, limit),
        )
        return [float(r["seconds"]) for r in rows if r["seconds"] is not None]

    # -- callbacks -----------------------------------------------------------------

    async def add_callback(
        self,
        conversation_id: int,
        shopper_id: int,
        question: str,
        *,
        message_seq: int,
        email: str | None,
        phone: str | None,
        now: int,
    ) -> bool:
        """Keep a left question; False when the message holding it has one already (a
        resend), which is then left as it is."""

        async def op(conn: WriteConnection) -> bool:
            cursor = await conn.execute(
                "INSERT INTO callbacks (conversation_id, shopper_id, question, email, phone,"
                " created_at, message_seq) VALUES (?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (conversation_id, message_seq) DO NOTHING",
                (conversation_id, shopper_id, question, email, phone, now, message_seq),
            )
            return cursor.rowcount == 1

        return bool(await self.db.write(op))

    async def open_callbacks(self) -> list[CallbackRecord]:
        """The left questions not dealt with yet, oldest first, each with when an agent
        first replied to it in the chat (`replied_at`; the shopper has not read it yet)."""
        rows = await self.db.fetch_all(
            "SELECT c.*, (SELECT MIN(m.created_at) FROM messages m"
            "  WHERE m.conversation_id = c.conversation_id AND m.author = 'agent'"
            "  AND m.seq > COALESCE(c.message_seq, 0)) AS replied_at"
            " FROM callbacks c WHERE c.answered_at IS NULL ORDER BY c.created_at, c.id"
        )
        return [CallbackRecord.from_row(r) for r in rows]

    async def answer_read_callbacks(self, conversation_id: int, read_seq: int, now: int) -> int:
        """Mark answered the questions left in the conversation that an agent replied to
        after, in a reply the shopper has now read (up to `read_seq`); how many. A question
        left after the last reply read stays open."""

        async def op(conn: WriteConnection) -> int:
            # The first agent reply after the question, among those read.
            reply = (
                "FROM messages m WHERE m.conversation_id = callbacks.conversation_id"
                " AND m.author = 'agent' AND m.seq > COALESCE(callbacks.message_seq, 0)"
                " AND m.seq <= ?"
            )
            cursor = await conn.execute(
                f"UPDATE callbacks SET answered_at = ?,"
                f" agent_id = (SELECT m.agent_id {reply} ORDER BY m.seq LIMIT 1)"
                f" WHERE conversation_id = ? AND answered_at IS NULL"
                f" AND EXISTS (SELECT 1 {reply})",
                (now, read_seq, conversation_id, read_seq),
            )
            return int(cursor.rowcount)

        return await self.db.write(op)

    async def answer_callbacks(self, conversation_id: int, agent_id: int, now: int) -> int:
        """Mark the conversation's open callbacks answered; how many there were."""

        async def op(conn: WriteConnection) -> int:
            cursor = await conn.execute(
                "UPDATE callbacks SET answered_at = ?, agent_id = ?"
                " WHERE conversation_id = ? AND answered_at IS NULL",
                (now, agent_id, conversation_id),
            )
            return int(cursor.rowcount)

        return await self.db.write(op)

    # -- learning and feedback -----------------------------------------------------

    def add_learned(
        self,
        question: str,
        answer: str,
        *,
        language: str | None,
        agent_id: int | None,
        conversation_id: int | None,
        approved: bool,
        personal: list[str] | None,
        now: int,
        reviewed_by: str | None = None,
        with_message: MessageRecord | None = None,
        replacing: int | None = None,
        faq_entry: str | None = None,
    ) -> asyncio.Future[LearnedRecord | None]:
        """Keep a question and its answer (`personal`: the kinds of personal data found, None
        when not checked yet). The write is queued at once, so it shares a
        transaction with the writes queued just before it (the reply it comes from); the
        future holds the record once committed.

        With `with_message` (the reply the pair comes from), the pair is kept only if that
        message is stored by then, under its sequence number: the result is None when it
        is not (its write failed, and a resend gets a new sequence number).

        `replacing`: a candidate the new pair answers better (the agent's "let me check"
        before the answer they marked reusable); once the pair is kept, that candidate is
        rejected in the same transaction, by `reviewed_by`.

        `faq_entry`: the FAQ entry whose answer `answer` is (the pair then follows it).
        """
        status: Literal["approved", "candidate"] = "approved" if approved else "candidate"
        values: tuple[Any, ...] = (
            question,
            answer,
            language,
            agent_id,
            conversation_id,
            status,
            json.dumps(personal),
            now,
            now if approved else None,
            reviewed_by if approved else None,
            faq_entry,
        )
        sql = (
            "INSERT INTO learned (question, answer, language, agent_id, conversation_id,"
            " status, personal, created_at, reviewed_at, reviewed_by, faq_entry)"
        )
        if with_message is None:
            sql += " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
        else:
            sql += (
                " SELECT ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ? WHERE EXISTS"
                " (SELECT 1 FROM messages WHERE conversation_id = ? AND seq = ?"
                " AND client_id = ?)"
            )
            values = (
                *values,
                with_message.conversation_id,
                with_message.seq,
                with_message.client_id,
            )

        async def op(conn: WriteConnection) -> LearnedRecord | None:
            cursor = await conn.execute(sql, values)
            if cursor.rowcount != 1:
                return None
            learned_id = int(cursor.lastrowid or 0)
            if replacing is not None:
                await conn.execute(
                    "UPDATE learned SET status = 'rejected', reviewed_at = ?, reviewed_by = ?"
                    " WHERE id = ? AND status = 'candidate'",
                    (now, reviewed_by, replacing),
                )
            return LearnedRecord(
                id=learned_id,
                question=question,
                answer=answer,
                language=language,
                agent_id=agent_id,
                conversation_id=conversation_id,
                status=status,
                personal=None if personal is None else tuple(personal),
                created_at=now,
                reviewed_at=now if approved else None,
                reviewed_by=reviewed_by if approved else None,
            )

        # Last in its transaction: the message inserts around it stay one `executemany`.
        return self.db.submit(op, last=with_message is not None)

    async def learned(self, learned_id: int) -> LearnedRecord | None:
        row = await self.db.fetch_one("SELECT * FROM learned WHERE id = ?", (learned_id,))
        return LearnedRecord.from_row(row) if row else None

    async def learned_in(self, conversation_id: int, question: str) -> LearnedRecord | None:
        """The newest pair kept in a conversation for `question`, if any."""
        row = await self.db.fetch_one(
            "SELECT * FROM learned WHERE conversation_id = ? AND question = ?"
            " ORDER BY id DESC LIMIT 1",
            (conversation_id, question),
        )
        return LearnedRecord.from_row(row) if row else None

    async def learned_by_status(self, status: str) -> list[LearnedRecord]:
        rows = await self.db.fetch_all(
            "SELECT * FROM learned WHERE status = ? ORDER BY id", (status,)
        )
        return [LearnedRecord.from_row(r) for r in rows]

    async def review_learned(
        self,
        learned_id: int,
        *,
        status: str,
        reviewer: str,
        now: int,
        question: str | None = None,
        answer: str | None = None,
        personal: list[str] | None = None,
    ) -> LearnedRecord | None:
        async def op(conn: WriteConnection) -> None:
            await conn.execute(
                # An answer edited is the admin's own: it no longer follows a FAQ entry.
                "UPDATE learned SET status = ?, reviewed_at = ?, reviewed_by = ?,"
                " question = COALESCE(?, question), answer = COALESCE(?, answer),"
                " personal = COALESCE(?, personal),"
                " faq_entry = CASE WHEN ? IS NULL OR ? = answer THEN faq_entry END"
                " WHERE id = ?",
                (
                    status,
                    now,
                    reviewer,
                    question,
                    answer,
                    json.dumps(personal) if personal is not None else None,
                    answer,
                    answer,
                    learned_id,
                ),
            )

        await self.db.write(op)
        return await self.learned(learned_id)

    async def follow_faq_entry(self, learned_id: int, entry_id: str) -> None:
        """Note that a learned pair gives the answer of the FAQ entry `entry_id`."""
        await self._execute(
            "UPDATE learned SET faq_entry = ? WHERE id = ? AND faq_entry IS NULL",
            (entry_id, learned_id),
        )

    async def learned_version(self) -> tuple[int, int]:
        """Changes whenever the set of approved pairs changes (count, last review time)."""
        row = await self.db.fetch_one(
            "SELECT COUNT(*) AS n, COALESCE(MAX(reviewed_at), 0) AS at FROM learned"
            " WHERE status = 'approved'"
        )
        return (int(row["n"]), int(row["at"])) if row else (0, 0)

    def add_miss(
        self,
        conversation_id: int | None,
        question: str,
        *,
        language: str | None,
        reason: str,
        entry_id: str | None,
        now: int,
    ) -> asyncio.Future[None]:
        """Queue a question the bot could not help with; the future resolves once it is
        committed. Queued at once, so it shares a transaction with what is written next."""
        params = (conversation_id, question, language, reason, entry_id, now)

        async def op(conn: WriteConnection) -> None:
            await conn.execute(
                "INSERT INTO misses (conversation_id, question, language, reason, entry_id,"
                " created_at) VALUES (?, ?, ?, ?, ?, ?)",
                params,
            )

        return self.db.submit(op)

    async def misses_since(self, since: int) -> list[MissRecord]:
        rows = await self.db.fetch_all(
            "SELECT * FROM misses WHERE created_at >= ? ORDER BY id", (since,)
        )
        return [MissRecord.from_row(r) for r in rows]

    async def add_feedback(
        self, conversation_id: int, seq: int, *, entry_id: str | None, helpful: bool, now: int
    ) -> bool:
        """Record feedback on a bot answer; False when this answer already had some."""

        async def op(conn: WriteConnection) -> bool:
            rows = await conn.execute_fetchall(
                "INSERT INTO bot_feedback (conversation_id, seq, entry_id, helpful, created_at)"
                " VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING RETURNING seq",
                (conversation_id, seq, entry_id, int(helpful), now),
            )
            return len(list(rows)) == 1

        return await self.db.write(op)

    async def feedback_given(self, conversation_id: int, seqs: list[int]) -> dict[int, bool]:
        """Of these bot answers, those with feedback: seq -> whether it was helpful."""
        found: dict[int, bool] = {}
        for start in range(0, len(seqs), 500):
            chunk = seqs[start : start + 500]
            rows = await self.db.fetch_all(
                "SELECT seq, helpful FROM bot_feedback WHERE conversation_id = ?"
                f" AND seq IN ({', '.join('?' * len(chunk))})",
                (conversation_id, *chunk),
            )
            found.update((int(row["seq"]), bool(row["helpful"])) for row in rows)
        return found

    async def message(self, conversation_id: int, seq: int) -> MessageRecord | None:
        row = await self.db.fetch_one(
            "SELECT * FROM messages WHERE conversation_id = ? AND seq = ?", (conversation_id, seq)
        )
        return MessageRecord.from_row(row) if row else None

    async def add_rating(
        self,
        conversation_id: int,
        agent_id: int | None,
        rating: int,
        comment: str | None,
        now: int,
    ) -> bool:
        """Keep a conversation's rating; False when it has one already (which stays: a
        conversation is rated once, also from a second tab)."""

        async def op(conn: WriteConnection) -> bool:
            cursor = await conn.execute(
                "INSERT INTO ratings (conversation_id, agent_id, rating, comment, created_at)"
                " VALUES (?, ?, ?, ?, ?) ON CONFLICT (conversation_id) DO NOTHING",
                (conversation_id, agent_id, rating, comment, now),
            )
            return cursor.rowcount == 1

        return await self.db.write(op)

    async def conversation_figures(self, since: int) -> list[sqlite3.Row]:
        """Per conversation started since `since`: when it started, the first shopper and
        agent messages, and how many bot answers it had."""
        return await self.db.fetch_all(
            "SELECT c.id, c.created_at,"
            " MIN(CASE WHEN m.author = 'shopper' THEN m.created_at END) AS first_shopper,"
            " MIN(CASE WHEN m.author = 'agent' THEN m.created_at END) AS first_agent,"
            " SUM(CASE WHEN m.author = 'bot' AND m.meta LIKE '%\"kind\": \"answer\"%'"
            " THEN 1 ELSE 0 END) AS bot_answers"
            " FROM conversations c LEFT JOIN messages m ON m.conversation_id = c.id"
            # Not the row kept, emptied, for a conversation deleted on request.
            " WHERE c.created_at >= ? AND NOT (c.state = 'closed' AND c.closed_at IS NULL)"
            " GROUP BY c.id",
            (since,),
        )

    async def rating_figures(self, since: int) -> dict[str, Any]:
        rows = await self.db.fetch_all(
            "SELECT rating, COUNT(*) AS n FROM ratings WHERE created_at >= ? GROUP BY rating",
            (since,),
        )
        counts = {int(r["rating"]): int(r["n"]) for r in rows}
        total = sum(counts.values())
        average = sum(k * v for k, v in counts.items()) / total if total else None
        return {
            "count": total,
            "average": round(average, 2) if average is not None else None,
            "distribution": {str(k): counts.get(k, 0) for k in range(1, 6)},
        }

    # -- forgetting ----------------------------------------------------------------

    async def forgettable(
        self, shopper_ids: Sequence[int], *, closed_before: int | None = None
    ) -> tuple[list[int], list[int]]:
        """The conversations of `shopper_ids` as (those closed before `closed_before`, or
        closed at all without it; those still open or closed since)."""
        if not shopper_ids:
            return [], []
        rows = await self.db.fetch_all(
            "SELECT id, state, closed_at FROM conversations"
            f" WHERE shopper_id IN ({','.join('?' * len(shopper_ids))}) ORDER BY id",
            tuple(shopper_ids),
        )
        done: list[int] = []
        open_: list[int] = []
        for row in rows:
            closed = row["state"] == "closed" and (
                closed_before is None or (row["closed_at"] or 0) < closed_before
            )
            (done if closed else open_).append(int(row["id"]))
        return done, open_

    async def closed_before(self, before: int, limit: int = 1000) -> list[int]:
        """Up to `limit` conversations closed before `before` (ms), oldest first."""
        rows = await self.db.fetch_all(
            "SELECT id FROM conversations WHERE state = 'closed' AND closed_at < ?"
            " ORDER BY id LIMIT ?",
            (before, limit),
        )
        return [int(row["id"]) for row in rows]

    async def forget_conversations(self, conversation_ids: Sequence[int]) -> dict[str, int]:
        """Delete closed conversations and everything kept of them: messages, left
        questions, ratings, feedback, misses, learned candidates (an approved answer stays,
        no longer tied to the conversation), and each shopper left without a conversation.
        In one transaction; the counts deleted, by kind.

        SQLite gives a new row the highest id plus one, so deleting the newest conversation
        would give its number to the next one (a tab still showing the old conversation
        would take the new one's messages for those it has). That one's row stays, emptied
        of all it said (page, note, language), as does its shopper's, emptied of who they
        were (public id, customer id, name, e-mail): nothing of theirs is left."""
        counts: dict[str, int] = {}
        if not conversation_ids:
            return {"conversations": 0, "messages": 0, "shoppers": 0}

        async def op(conn: WriteConnection) -> None:
            counts.clear()  # a batch that failed is written again on its own
            (newest,) = (await conn.execute_fetchall("SELECT MAX(id) FROM conversations"))[0]
            for start in range(0, len(conversation_ids), 500):
                ids = tuple(conversation_ids[start : start + 500])
                marks = ",".join("?" * len(ids))
                shoppers = [
                    int(row[0])
                    for row in await conn.execute_fetchall(
                        f"SELECT DISTINCT shopper_id FROM conversations WHERE id IN ({marks})"
                        " AND state = 'closed'",
                        ids,
                    )
                ]
                await conn.execute(
                    f"UPDATE learned SET conversation_id = NULL WHERE conversation_id IN ({marks})"
                    " AND status = 'approved'",
                    ids,
                )
                for table, kind in _KEPT_OF_CONVERSATIONS:
                    cursor = await conn.execute(
                        f"DELETE FROM {table} WHERE conversation_id IN ({marks})"
                        f" AND conversation_id IN (SELECT id FROM conversations"
                        f" WHERE state = 'closed')",
                        ids,
                    )
                    counts[kind] = counts.get(kind, 0) + max(cursor.rowcount, 0)
                if newest in ids:
                    counts["shoppers"] = counts.get("shoppers", 0) + await _empty_newest(
                        conn, newest
                    )
                cursor = await conn.execute(
                    f"DELETE FROM conversations WHERE id IN ({marks}) AND state = 'closed'"
                    " AND id != ?",
                    (*ids, newest),
                )
                emptied = int(newest in ids)
                counts["conversations"] = (
                    counts.get("conversations", 0) + max(cursor.rowcount, 0) + emptied
                )
                counts["shoppers"] = counts.get("shoppers", 0) + await _delete_shoppers_left(
                    conn, shoppers
                )

        await self.db.write(op)
        for shopper_id in list(self._shoppers):
            self._forget_shopper(shopper_id)
        return counts

    async def forget_shoppers(self, shopper_ids: Sequence[int]) -> int:
        """Delete those of `shopper_ids` that have no conversation; how many."""
        deleted = 0

        async def op(conn: WriteConnection) -> None:
            nonlocal deleted
            deleted = await _delete_shoppers_left(conn, shopper_ids)

        await self.db.write(op)
        for shopper_id in shopper_ids:
            self._forget_shopper(shopper_id)
        return deleted

    async def shopper_ids_by(
        self,
        *,
        customer_id: str | None = None,
        email: str | None = None,
        phone: str | None = None,
    ) -> dict[int, str]:
        """The shoppers with this customer id, e-mail address or phone number, each with how
        it matched: "vouched for by the shop" (the customer id the shop signed), "given by
        the shop's page with customer <id>" (an address the page passed with a signed id:
        the page's word, not signed) or "left with a question" (typed into the form, by
        whoever typed it). Phone numbers
        match by their last digits, nine at most, without the country code or the leading
        zero ("06-12345678" is "+31 6 12345678", "030 123456" is "+49 30 123456")."""
        how: dict[int, str] = {}
        if phone is not None:
            wanted = _phone_digits(phone)
            if len(wanted) < 7:
                return {}
            for row in await self.db.fetch_all(
                "SELECT DISTINCT shopper_id, phone FROM callbacks WHERE phone IS NOT NULL"
            ):
                kept = _phone_digits(row["phone"])
                tail = min(9, len(wanted), len(kept))
                if tail >= 7 and kept[-tail:] == wanted[-tail:]:
                    how[int(row["shopper_id"])] = "left with a question"
            return dict(sorted(how.items()))
        if customer_id is not None:
            rows = await self.db.fetch_all(
                "SELECT id FROM shoppers WHERE customer_id = ?", (customer_id,)
            )
            return {int(row[0]): "vouched for by the shop" for row in rows}
        for row in await self.db.fetch_all(
            "SELECT DISTINCT shopper_id FROM callbacks WHERE lower(email) = lower(?)", (email,)
        ):
            how[int(row[0])] = "left with a question"
        for row in await self.db.fetch_all(
            "SELECT id, customer_id FROM shoppers WHERE lower(email) = lower(?)", (email,)
        ):
            how[int(row[0])] = f"given by the shop's page with customer {row[1]}"
        return dict(sorted(how.items()))

    async def count_messages(self) -> int:
        row = await self.db.fetch_one("SELECT COUNT(*) AS n FROM messages")
        return int(row["n"]) if row else 0

    # -- helpers -------------------------------------------------------------------

    async def _execute(self, sql: str, params: tuple[Any, ...]) -> None:
        async def op(conn: WriteConnection) -> None:
            await conn.execute(sql, params)

        await self.db.write(op)


def _phone_digits(phone: str) -> str:
    """A phone number's digits without the leading zeros of a trunk or international prefix."""
    return re.sub(r"\D", "", phone).lstrip("0")


async def _empty_newest(conn: WriteConnection, conversation_id: int) -> int:
    """Empty the newest conversation, closed and being forgotten, of all it said and its
    shopper of who they were, keeping both rows (see `forget_conversations`); 1 when the
    shopper was emptied (not closed: 0, and nothing done)."""
    cursor = await conn.execute(
        # Without a closing time it is no longer among those closed before any time.
        "UPDATE conversations SET page_url = NULL, page_title = NULL, note = NULL,"
        " note_by = NULL, locale = NULL, closed_at = NULL WHERE id = ? AND state = 'closed'",
        (conversation_id,),
    )
    if not cursor.rowcount:
        return 0
    cursor = await conn.execute(
        f"UPDATE shoppers SET public_id = '{FORGOTTEN}' || id, customer_id = NULL, name = NULL,"
        " email = NULL, locale = NULL WHERE id = (SELECT shopper_id FROM conversations"
        f" WHERE id = ?) AND public_id NOT LIKE '{FORGOTTEN}%'",
        (conversation_id,),
    )
    return max(cursor.rowcount, 0)


async def _delete_shoppers_left(conn: WriteConnection, shopper_ids: Sequence[int]) -> int:
    """Delete those of `shopper_ids` that have no conversation left; how many."""
    if not shopper_ids:
        return 0
    cursor = await conn.execute(
        f"DELETE FROM shoppers WHERE id IN ({','.join('?' * len(shopper_ids))})"
        " AND NOT EXISTS (SELECT 1 FROM conversations c WHERE c.shopper_id = shoppers.id)",
        tuple(shopper_ids),
    )
    return max(cursor.rowcount, 0)


# What is kept of a conversation besides its row, deleted with it (messages last but one:
# callbacks point at them).
_KEPT_OF_CONVERSATIONS = (
    ("ratings", "ratings"),
    ("bot_feedback", "feedback"),
    ("passed_over", "passed_over"),
    ("callbacks", "left_questions"),
    ("misses", "misses"),
    ("learned", "learned"),
    ("messages", "messages"),
)


def run_with_store(path: Path, work: Callable[[Store], Awaitable[int]]) -> int:
    """Open the store at `path`, run `work` on it and close it: for command-line tools."""

    async def main() -> int:
        store = await Store.open(path)
        try:
            return await work(store)
        finally:
            await store.close()

    return asyncio.run(main())
