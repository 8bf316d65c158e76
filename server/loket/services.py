"""The long-lived parts of a running server, handed to the namespaces and HTTP routes."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from loket.auth import AgentAuth, DeviceCookies, VisitorTokens
from loket.bot.learning import Learning
from loket.bot.service import Bot
from loket.config import Settings
from loket.conversations import Conversations
from loket.metrics import Metrics
from loket.presence import Presence
from loket.ratelimit import KeyedLimiter
from loket.store import AgentRecord, Store


@dataclass
class AgentDirectory:
    """Agents' public names, cached: they go with every agent message."""

    store: Store
    _names: dict[int, str] = field(default_factory=dict)

    async def name(self, agent_id: int) -> str:
        known = self._names.get(agent_id)
        if known is None:
            agent = await self.store.agent_by_id(agent_id)
            known = agent.display_name if agent else "Agent"
            self._names[agent_id] = known
        return known

    def remember(self, agent: AgentRecord) -> None:
        self._names[agent.id] = agent.display_name

    def cached(self, agent_id: int | None) -> str | None:
        return self._names.get(agent_id) if agent_id is not None else None


@dataclass
class Services:
    settings: Settings
    store: Store
    conversations: Conversations
    agent_auth: AgentAuth
    visitor_tokens: VisitorTokens
    device_cookies: DeviceCookies
    presence: Presence
    metrics: Metrics
    agents: AgentDirectory
    login_limiter: KeyedLimiter
    # New Socket.IO connections per address; None: not limited.
    connection_limiter: KeyedLimiter | None
    clock: Callable[[], float]
    # The FAQ bot and its learning, once started.
    bot: Bot | None = None
    learning: Learning | None = None
    # Extra /healthz checks by name (the FAQ, Redis): each returns {"ok": bool, ...}.
    # A failing check with "critical": False makes the server "degraded", not "failing".
    health_checks: dict[str, Callable[[], Awaitable[dict[str, Any]]]] = field(default_factory=dict)
