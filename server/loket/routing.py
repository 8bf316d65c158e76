"""Routing: which agent gets which conversation. Pure rules, no I/O.

A conversation that wants a person goes one of three ways (`decide_route`):
- ASSIGN to an agent, when staffed and an online agent has room (`pick_agent` says who);
- QUEUE, when staffed and agents are online but none has room; the bot answers meanwhile;
- BOT, outside staffed hours or when no agent is online.

The timeout rules say when a conversation moves on: an assigned agent who never answers,
a queue wait that is too long, an agent who stays disconnected.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

# The most conversations one agent can be set to handle at once.
MAX_CAPACITY = 100


class RoutingSettings(BaseModel):
    """The `[routing]` table: capacity, timeouts and the queue's wait estimate."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    # Conversations one agent handles at once, unless the agent has an override. Default: 4.
    max_conversations_per_agent: int = Field(default=4, ge=1, le=MAX_CAPACITY)
    # Per-agent overrides of the above, by agent name, like { "anna" = 6 }. 0 means the agent
    # is never given conversations automatically. Default: none.
    capacity: dict[str, int] = Field(default_factory=dict)
    # Seconds an assigned agent may leave a conversation unanswered before it goes back to the
    # queue for someone else. Default: 120.
    agent_answer_timeout_seconds: float = Field(default=120.0, gt=0)
    # Seconds a disconnected agent keeps their conversations, so a page reload or a short
    # network hiccup costs nothing. After that they go back to the queue. Default: 30.
    disconnect_grace_seconds: float = Field(default=30.0, ge=0)
    # Seconds between checks that an agent console is still connected; a console that stops
    # answering counts as disconnected. Default: 15.
    heartbeat_interval_seconds: float = Field(default=15.0, gt=0)
    # Seconds between the same checks for a shopper's widget: a closed tab is noticed later,
    # and an idle shopper's phone wakes up less often. Default: 25 (Socket.IO's own default).
    shopper_heartbeat_interval_seconds: float = Field(default=25.0, gt=0)
    # Seconds a shopper waits in the queue before the bot takes over and offers to leave a
    # question for the next agent. Default: 600.
    queue_timeout_seconds: float = Field(default=600.0, gt=0)
    # Seconds an agent is assumed to need per conversation, for wait estimates, until enough
    # conversations have been handled to measure it. Default: 300.
    default_handling_seconds: float = Field(default=300.0, gt=0)
    # Minutes a conversation with the bot may stay quiet (nobody writes) before it is closed,
    # so conversations of shoppers who left do not pile up in the console and in memory. A
    # shopper who writes again within `limits.reopen_hours` reopens it. 0: never closed.
    # Conversations with a question left for the next shift stay open. Default: 60.
    bot_idle_close_minutes: float = Field(default=60.0, ge=0)

    @field_validator("capacity")
    @classmethod
    def _capacities_in_range(cls, value: dict[str, int]) -> dict[str, int]:
        seen: dict[str, str] = {}
        for name, count in value.items():
            if not name.strip():
                raise ValueError("an agent name in capacity is empty")
            other = seen.setdefault(nocase(name.strip()), name)
            if other != name:
                raise ValueError(
                    f"capacity names agent {name!r} twice ({other!r}): agent names are the"
                    " same in any case"
                )
            if not 0 <= count <= MAX_CAPACITY:
                raise ValueError(
                    f"capacity for agent {name!r} must be from 0 to {MAX_CAPACITY} (got {count})"
                )
        return value

    def concerns(self) -> list[str]:
        """Settings that work, but likely not as the admin means them (logged at start)."""
        if self.queue_timeout_seconds <= self.agent_answer_timeout_seconds:
            return [
                f"routing.queue_timeout_seconds ({self.queue_timeout_seconds:g}) is not longer"
                f" than routing.agent_answer_timeout_seconds"
                f" ({self.agent_answer_timeout_seconds:g}): a conversation taken from an"
                " agent who did not answer in time has waited that long already, so it goes"
                " to the bot instead of to another agent"
            ]
        return []

    def capacity_for(self, agent_name: str) -> int:
        """How many conversations this agent handles at once (names in any case, as agent
        names are: "Bram" in the table is the agent bram)."""
        wanted = nocase(agent_name)
        for name, count in self.capacity.items():
            if nocase(name.strip()) == wanted:
                return count
        return self.max_conversations_per_agent


_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def nocase(name: str) -> str:
    """An agent name as the store compares names (SQLite's NOCASE: A-Z alone fold, so
    "Émile" and "émile" may be two agents)."""
    return name.translate(_ASCII_LOWER)


# -- choosing an agent ---------------------------------------------------------------------

AgentStatus = Literal["online", "away", "offline"]


@dataclass(frozen=True, slots=True)
class AgentState:
    """One agent as routing sees them."""

    agent_id: int
    # "away" agents are connected but take no new conversations.
    status: AgentStatus
    # Conversations assigned to them now.
    load: int
    capacity: int
    # When their load last dropped or they were last assigned; the longest idle wins ties.
    idle_since: datetime

    @property
    def has_room(self) -> bool:
        """Online and below capacity: able to take one more conversation."""
        return self.status == "online" and self.load < self.capacity


def pick_agent(
    agents: Iterable[AgentState],
    *,
    preferred_agent_id: int | None,
    staffed: bool,
    exclude: frozenset[int] = frozenset(),
) -> int | None:
    """The agent who gets the conversation, or None when nobody can take it.

    Only online agents below capacity and not excluded are considered, and only while
    staffed. The preferred agent (who had this shopper before) wins if they have room; else
    the least loaded, then the one idle longest, then the lowest id.
    """
    if not staffed:
        return None
    free = [agent for agent in agents if agent.has_room and agent.agent_id not in exclude]
    if any(agent.agent_id == preferred_agent_id for agent in free):
        return preferred_agent_id
    if not free:
        return None
    best = min(free, key=lambda agent: (agent.load, agent.idle_since, agent.agent_id))
    return best.agent_id


class Route(StrEnum):
    ASSIGN = "assign"
    QUEUE = "queue"
    BOT = "bot"


class RouteReason(StrEnum):
    PREFERRED_AGENT = "preferred_agent"  # the agent who had this shopper before
    LEAST_LOADED = "least_loaded"  # the online agent with the fewest conversations
    AGENTS_BUSY = "agents_busy"  # agents online, none with room (or only excluded ones)
    NOT_STAFFED = "not_staffed"  # outside staffed hours
    NO_AGENT_ONLINE = "no_agent_online"  # staffed, but nobody online


@dataclass(frozen=True, slots=True)
class RouteDecision:
    """Where a conversation goes: to `agent_id`, into the queue, or to the bot; and why."""

    route: Route
    reason: RouteReason
    agent_id: int | None = None


def decide_route(
    agents: Iterable[AgentState],
    *,
    staffed: bool,
    preferred_agent_id: int | None = None,
    exclude: frozenset[int] = frozenset(),
) -> RouteDecision:
    """Assign when an agent has room, queue when online agents are all full, else the bot.

    Excluded agents who are online still count as people around: the conversation waits
    in the queue for someone rather than going to the bot.
    """
    if not staffed:
        return RouteDecision(Route.BOT, RouteReason.NOT_STAFFED)
    pool = list(agents)
    chosen = pick_agent(pool, preferred_agent_id=preferred_agent_id, staffed=True, exclude=exclude)
    if chosen is not None and chosen == preferred_agent_id:
        return RouteDecision(Route.ASSIGN, RouteReason.PREFERRED_AGENT, chosen)
    if chosen is not None:
        return RouteDecision(Route.ASSIGN, RouteReason.LEAST_LOADED, chosen)
    if any(agent.status == "online" for agent in pool):
        return RouteDecision(Route.QUEUE, RouteReason.AGENTS_BUSY)
    return RouteDecision(Route.BOT, RouteReason.NO_AGENT_ONLINE)


# -- the queue's wait estimate -------------------------------------------------------------

# Fewer handled conversations than this, and the configured default handling time is used.
MIN_HANDLING_SAMPLES = 3
# Estimates are never below this (nobody is promised an instant answer from the queue)...
MIN_WAIT_SECONDS = 30.0
# ...nor above this: beyond it an estimate says nothing, and the queue timeout comes first.
MAX_WAIT_SECONDS = 2 * 60 * 60.0


def estimate_wait(
    position: int,
    recent_handling_seconds: Sequence[float],
    places: int,
    default_handling_seconds: float,
) -> float:
    """Seconds the shopper at queue `position` (1 = next) can expect to wait.

    `places` is how many conversations the agents online hold at once (their capacities
    summed); together they free a place every `handling / places` seconds on average,
    where handling is the median of the recent handling times (robust to the odd
    conversation left open for hours), or the default until there are a few. The shopper
    waits for `position` places to free: position × handling / places.
    """
    if position < 1:
        raise ValueError(f"queue position starts at 1 (got {position})")
    samples = [s for s in recent_handling_seconds if math.isfinite(s) and s > 0]
    handling = (
        statistics.median(samples)
        if len(samples) >= MIN_HANDLING_SAMPLES
        else default_handling_seconds
    )
    # A queue only exists while someone is (or was just) online: count at least one place.
    return min(max(position * handling / max(1, places), MIN_WAIT_SECONDS), MAX_WAIT_SECONDS)


# -- timeouts ------------------------------------------------------------------------------


def answer_deadline(
    assigned_at: datetime, last_agent_reply_at: datetime | None, *, timeout_seconds: float
) -> datetime | None:
    """When an assigned conversation goes back to the queue unanswered; None once answered.

    Once the agent has answered since being assigned, the conversation stays theirs, however
    long later replies take: moving it mid-conversation would make the shopper start over.
    """
    if last_agent_reply_at is not None and last_agent_reply_at >= assigned_at:
        return None
    return assigned_at + timedelta(seconds=timeout_seconds)


def answer_overdue(
    assigned_at: datetime,
    last_agent_reply_at: datetime | None,
    now: datetime,
    *,
    timeout_seconds: float,
) -> bool:
    """Whether the assigned agent has left the conversation unanswered too long to keep it."""
    deadline = answer_deadline(assigned_at, last_agent_reply_at, timeout_seconds=timeout_seconds)
    return deadline is not None and now >= deadline


def queue_deadline(queued_at: datetime, *, timeout_seconds: float) -> datetime:
    """When a queued conversation falls back to the bot."""
    return queued_at + timedelta(seconds=timeout_seconds)


def queue_overdue(queued_at: datetime, now: datetime, *, timeout_seconds: float) -> bool:
    """Whether a queued shopper has waited long enough for the bot to take over."""
    return now >= queue_deadline(queued_at, timeout_seconds=timeout_seconds)


def disconnect_deadline(disconnected_at: datetime, *, grace_seconds: float) -> datetime:
    """When a disconnected agent's conversations go back to the queue."""
    return disconnected_at + timedelta(seconds=grace_seconds)


def disconnect_overdue(disconnected_at: datetime, now: datetime, *, grace_seconds: float) -> bool:
    """Whether an agent has been disconnected past the grace period, so theirs are requeued."""
    return now >= disconnect_deadline(disconnected_at, grace_seconds=grace_seconds)
