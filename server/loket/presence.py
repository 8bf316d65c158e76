"""Which agents are online, away or gone, in this process's memory."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from loket.routing import AgentState

Status = Literal["online", "away"]


@dataclass(slots=True)
class AgentPresence:
    agent_id: int
    name: str
    # What the agent chose in the console; connections decide whether they are there at all.
    status: Status
    connections: int
    # When their last connection closed (epoch seconds); None while connected.
    disconnected_at: float | None
    # When they were last given a conversation or freed one; the longest idle wins ties.
    idle_since: float


class Presence:
    """Agents' connections and chosen status; a disconnect counts only after a grace period."""

    def __init__(self, away: Iterable[int] = ()) -> None:
        self._agents: dict[int, AgentPresence] = {}
        # Agents who chose "away": kept when they are forgotten, so a console that comes
        # back after a long sleep (or a restart: `away`, from the store) is still away until
        # its agent says otherwise.
        self._away: set[int] = set(away)

    def connected(self, agent_id: int, name: str, now: float) -> None:
        known = self._agents.get(agent_id)
        if known is None:
            status: Status = "away" if agent_id in self._away else "online"
            self._agents[agent_id] = AgentPresence(agent_id, name, status, 1, None, now)
            return
        known.connections += 1
        known.disconnected_at = None

    def restored(self, agent_id: int, name: str, now: float) -> None:
        """An agent who held conversations before a restart: disconnected as of `now`, so
        the grace period decides, as for a lost connection, whether they come back."""
        if agent_id not in self._agents:
            status: Status = "away" if agent_id in self._away else "online"
            self._agents[agent_id] = AgentPresence(agent_id, name, status, 0, now, now)

    def disconnected(self, agent_id: int, now: float) -> None:
        known = self._agents.get(agent_id)
        if known is None:
            return
        known.connections = max(0, known.connections - 1)
        if known.connections == 0:
            known.disconnected_at = now

    def left(self, agent_id: int) -> None:
        """The agent logged out (or was disabled): with no connection left, they are gone
        at once, not after the grace period a lost connection gets."""
        known = self._agents.get(agent_id)
        if known is not None and known.connections == 0:
            known.disconnected_at = -math.inf

    def set_status(self, agent_id: int, status: Status) -> None:
        known = self._agents.get(agent_id)
        if known is not None:
            known.status = status
            if status == "away":
                self._away.add(agent_id)
            else:
                self._away.discard(agent_id)

    def touch(self, agent_id: int, now: float) -> None:
        """The agent's load changed: start their idle time afresh."""
        known = self._agents.get(agent_id)
        if known is not None:
            known.idle_since = now

    def get(self, agent_id: int) -> AgentPresence | None:
        return self._agents.get(agent_id)

    def online(self) -> frozenset[int]:
        """Agents connected and not away."""
        return frozenset(
            a.agent_id for a in self._agents.values() if a.connections > 0 and a.status == "online"
        )

    def coming_back(self, now: float, grace_seconds: float) -> bool:
        """Whether an agent who was online lost their connection less than the grace period
        ago (a reload, a network hiccup): they may be back any moment."""
        return any(
            a.connections == 0
            and a.status == "online"
            and a.disconnected_at is not None
            and now - a.disconnected_at < grace_seconds
            for a in self._agents.values()
        )

    def gone(self, now: float, grace_seconds: float) -> list[int]:
        """Agents disconnected for longer than the grace period; they are forgotten."""
        gone = [
            a.agent_id
            for a in self._agents.values()
            if a.connections == 0
            and a.disconnected_at is not None
            and now - a.disconnected_at >= grace_seconds
        ]
        for agent_id in gone:
            del self._agents[agent_id]
        return gone

    def routing_states(
        self, load: Mapping[int, int], capacity_for: Callable[[str], int]
    ) -> list[AgentState]:
        """Every known agent as the routing rules see them."""
        states = []
        for a in self._agents.values():
            status = a.status if a.connections > 0 else "offline"
            states.append(
                AgentState(
                    agent_id=a.agent_id,
                    status=status,
                    load=load.get(a.agent_id, 0),
                    capacity=capacity_for(a.name),
                    idle_since=datetime.fromtimestamp(a.idle_since, UTC),
                )
            )
        return states
