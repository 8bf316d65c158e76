"""Which agents are online, in this process's memory (Redis-backed presence plugs in here)."""

from __future__ import annotations

from collections import Counter


class Presence:
    """Counts each agent's live connections; an agent with one or more is online."""

    def __init__(self) -> None:
        self._connections: Counter[int] = Counter()

    def connected(self, agent_id: int) -> None:
        self._connections[agent_id] += 1

    def disconnected(self, agent_id: int) -> None:
        self._connections[agent_id] -= 1
        if self._connections[agent_id] <= 0:
            del self._connections[agent_id]

    def online(self) -> frozenset[int]:
        return frozenset(self._connections)

    def is_online(self, agent_id: int) -> bool:
        return agent_id in self._connections
