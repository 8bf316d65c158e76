"""The application factory: every resource opened and closed in order by a cleanup context."""

from __future__ import annotations

import logging
import os
import secrets
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import socketio
from aiohttp import web

from loket.auth import AgentAuth, VisitorTokens
from loket.config import Settings
from loket.conversations import Conversation, Conversations, State
from loket.keys import SERVICES, SETTINGS, SIO
from loket.metrics import Metrics
from loket.presence import Presence
from loket.ratelimit import KeyedLimiter
from loket.realtime.agent import AgentNamespace
from loket.realtime.emitter import Emitter
from loket.realtime.shopper import ShopperNamespace
from loket.services import AgentDirectory, Services
from loket.store import Store
from loket.web import http, static

log = logging.getLogger(__name__)


def resolve_secret(settings: Settings) -> str:
    """The configured secret, or one generated once and kept (mode 0600) in the data folder."""
    if settings.security.secret:
        return settings.security.secret
    path = settings.server.data_dir / "secret.key"
    if path.exists():
        return path.read_text(encoding="utf-8").strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    value = secrets.token_urlsafe(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as file:
        file.write(value + "\n")
    log.info("generated a signing secret in %s", path)
    return value


class PresenceRouter:
    """Until automatic routing: wait for an agent when one is online, else stay with the bot."""

    def __init__(self, presence: Presence) -> None:
        self._presence = presence

    def initial_state(self, conversation: Conversation) -> tuple[State, int | None]:
        if self._presence.online():
            return State.QUEUED, None
        return State.BOT, None


def create_app(settings: Settings, *, clock: Callable[[], float] = time.time) -> web.Application:
    """Build the Loket application for `settings`; nothing is opened until it starts."""
    app = web.Application(middlewares=[http.api_errors], client_max_size=64 * 1024)
    app[SETTINGS] = settings
    manager = None
    if settings.redis.url:
        manager = socketio.AsyncRedisManager(settings.redis.url)
    sio = socketio.AsyncServer(
        async_mode="aiohttp",
        client_manager=manager,
        # Origins are checked per namespace (shoppers: the allow-list; agents: same origin).
        cors_allowed_origins=[],
        max_http_buffer_size=settings.limits.max_packet_bytes,
        logger=False,
        engineio_logger=False,
    )
    shopper_ns = ShopperNamespace()
    agent_ns = AgentNamespace()
    sio.register_namespace(shopper_ns)
    sio.register_namespace(agent_ns)
    sio.attach(app, socketio_path="socket.io")
    app[SIO] = sio
    http.add_routes(app)
    static.add_routes(app)

    async def services_ctx(app: web.Application) -> AsyncIterator[None]:
        store = await Store.open(
            settings.store_path, batch_max=settings.store.batch_max, synchronous="full"
        )
        metrics = Metrics()
        presence = Presence()
        agents = AgentDirectory(store)
        emitter = Emitter(sio, store, agents, metrics)
        conversations = Conversations(
            store,
            events=emitter,
            router=PresenceRouter(presence),
            clock=clock,
            max_message_chars=settings.limits.max_message_chars,
            reopen_seconds=settings.limits.reopen_hours * 3600,
        )
        services = Services(
            settings=settings,
            store=store,
            conversations=conversations,
            agent_auth=AgentAuth(
                store, session_seconds=settings.security.session_hours * 3600, clock=clock
            ),
            visitor_tokens=VisitorTokens(
                resolve_secret(settings),
                max_age_seconds=settings.security.visitor_token_days * 86400,
            ),
            presence=presence,
            metrics=metrics,
            agents=agents,
            login_limiter=KeyedLimiter(
                settings.security.login_attempts_per_minute / 60.0,
                settings.security.login_attempts_per_minute,
            ),
            clock=clock,
        )
        app[SERVICES] = services
        shopper_ns.bind(services)
        agent_ns.bind(services)
        log.info("store open at %s", settings.store_path)
        try:
            yield
        finally:
            await conversations.drain()
            await store.close()

    async def sessions_ctx(app: web.Application) -> AsyncIterator[None]:
        services = app[SERVICES]
        await services.store.purge_expired_sessions(int(clock() * 1000))
        yield

    app.cleanup_ctx.append(services_ctx)
    app.cleanup_ctx.append(sessions_ctx)
    return app


def bound_port(runner: web.AppRunner) -> int:
    """The TCP port a started runner listens on (useful with port 0)."""
    for site in runner.sites:
        sockets = getattr(site._server, "sockets", None)
        if sockets:
            return int(sockets[0].getsockname()[1])
    raise RuntimeError("the server is not listening")


__all__ = ["Path", "bound_port", "create_app", "resolve_secret"]
