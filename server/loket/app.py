"""The application factory: every resource opened and closed in order by a cleanup context."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import logging
import os
import secrets
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from pathlib import Path
from typing import Any

import redis.asyncio as aioredis
import socketio
from aiohttp import web

from loket.auth import AgentAuth, DeviceCookies, VisitorTokens
from loket.bot.learning import Learning
from loket.bot.service import Bot
from loket.bot.watcher import kept_copies_dir
from loket.config import Settings, without_credentials
from loket.conversations import Conversations
from loket.hours import StaffedHours
from loket.keys import SERVICES, SETTINGS, SIO
from loket.metrics import Metrics
from loket.presence import Presence
from loket.ratelimit import KeyedLimiter
from loket.realtime.agent import AgentNamespace
from loket.realtime.emitter import Emitter
from loket.realtime.pubsub import BackgroundRedisManager
from loket.realtime.shopper import ShopperNamespace
from loket.realtime.transport import (
    LeanManager,
    SocketServer,
    TextPacket,
    decline_compression,
    guard_sessions,
)
from loket.routing import nocase
from loket.services import AgentDirectory, Services
from loket.store import Store, StoreError
from loket.web import admin, http, static

log = logging.getLogger(__name__)


def resolve_secret(settings: Settings) -> str:
    """The configured secret, or one generated once and kept (mode 0600) in the data folder."""
    if settings.security.secret:
        return settings.security.secret
    path = _secret_path(settings)
    if path.exists():
        return path.read_text(encoding="utf-8").strip()
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    value = secrets.token_urlsafe(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as file:
        file.write(value + "\n")
    log.info("generated a signing secret in %s", path)
    return value


def _secret_path(settings: Settings) -> Path:
    return settings.server.data_dir / "secret.key"


def secret_fingerprint(secret: str) -> str:
    """What the store keeps of the signing secret: an HMAC of a fixed text, from which the
    secret cannot be told."""
    return hmac.new(secret.encode(), b"loket signing secret", hashlib.sha256).hexdigest()[:32]


async def checked_secret(store: Store, settings: Settings, *, new_secret: bool = False) -> str:
    """The signing secret, when it is the one the store's shoppers' tokens were signed with
    (its fingerprint recorded at a start). Another one would make every shopper's browser
    start a new conversation and lose the one it has, so the start stops with StoreError,
    saying why, unless `new_secret` says the change is meant. Before any shopper has a
    record, any secret is taken. A secret is generated only where none can be lost."""
    recorded = await store.signing_secret_fingerprint()
    path = _secret_path(settings)
    where = "LOKET_SECRET or [security] secret" if settings.security.secret else str(path)
    shoppers = await store.has_shoppers()
    if shoppers and not new_secret and not settings.security.secret and not path.exists():
        raise StoreError(
            f"no signing secret: neither LOKET_SECRET nor [security] secret is set and {path}"
            " is missing, but this store's shoppers hold tokens signed with a secret; a new one"
            " would make every browser start a new conversation. Start with the secret used"
            " before (keep secret.key with the database in backups), or, to change it on"
            " purpose, once with `loket serve --new-secret`"
        )
    secret = resolve_secret(settings)
    fingerprint = secret_fingerprint(secret)
    if recorded == fingerprint:
        if new_secret:
            log.warning(
                "--new-secret: the signing secret (%s) is the one the store was used with;"
                " nothing changed (for a new one set LOKET_SECRET, or delete %s)",
                where,
                path,
            )
        return secret
    if recorded is not None and shoppers:
        if not new_secret:
            raise StoreError(
                f"the signing secret ({where}) is not the one this store was used with: every"
                " shopper's browser would start a new conversation and lose the one it has."
                " Start with the secret used before, or, to change it on purpose, once with"
                " `loket serve --new-secret`"
            )
        log.warning(
            "a new signing secret (%s): every shopper's browser starts a new conversation", where
        )
    await store.record_signing_secret(fingerprint)
    return secret


# How often the routing timeouts are checked.
TICK_SECONDS = 1.0
# How often answers approved elsewhere (the CLI, another process) are picked up.
LEARNED_POLL_SECONDS = 5.0
# How often conversations past `store.keep_days` are looked for.
RETENTION_SECONDS = 3600.0
RETENTION_BATCH = 100
RETENTION_PAUSE_SECONDS = 0.1
# How often the sessions of connected consoles are checked again (logged out, disabled or
# a new password, also by `loket agents` in another process: their connections end).
SESSION_CHECK_SECONDS = 5.0


async def supervise(name: str, work: Callable[[], Awaitable[None]], *, every: float) -> None:
    """Run `work` every `every` seconds; log failures and go on, backing off up to a minute."""
    delay = every
    while True:
        try:
            await work()
            delay = every
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("%s failed; retrying in %.0f s", name, delay)
            delay = min(60.0, delay * 2)
        await asyncio.sleep(delay)


def library_logger(name: str) -> logging.Logger:
    """The logger `name`, passing on errors only (unless configured otherwise)."""
    logger = logging.getLogger(name)
    if logger.level == logging.NOTSET:
        logger.setLevel(logging.ERROR)
    return logger


def create_app(
    settings: Settings, *, clock: Callable[[], float] = time.time, new_secret: bool = False
) -> web.Application:
    """Build the Loket application for `settings`; nothing is opened until it starts.
    `new_secret`: a signing secret other than the store's is meant (see `checked_secret`)."""
    app = web.Application(
        middlewares=[http.same_origin_writes, http.api_errors],
        client_max_size=64 * 1024,
        # A request that is no valid HTTP: one warning line, not a traceback.
        handler_args={"logger": http.ServerLog(logging.getLogger("aiohttp.server"))},
    )
    app[SETTINGS] = settings
    manager: socketio.AsyncManager = LeanManager()
    if settings.redis.url:
        manager = BackgroundRedisManager(settings.redis.url, channel=settings.redis.channel_name())
    sio = SocketServer(
        async_mode="aiohttp",
        client_manager=manager,
        # Origins are checked per namespace (shoppers: the allow-list; agents: same origin).
        cors_allowed_origins=[],
        max_http_buffer_size=settings.limits.max_packet_bytes,
        # The heartbeat: a console that stops answering pings counts as disconnected. The
        # longer of the two intervals is announced (a client gives up on a server that has
        # not pinged it for that long plus the ping timeout); each connection is pinged at
        # its own once it has joined a namespace (`LoketNamespace.heartbeat`).
        ping_interval=max(
            settings.routing.heartbeat_interval_seconds,
            settings.routing.shopper_heartbeat_interval_seconds,
        ),
        # Their errors only, through Loket's logging: left to themselves, python-socketio
        # and engine.io add a handler of their own and every line is printed twice.
        logger=library_logger("socketio.server"),
        engineio_logger=library_logger("engineio.server"),
        serializer=TextPacket,
    )
    shopper_ns = ShopperNamespace()
    agent_ns = AgentNamespace()
    decline_compression(sio)
    # Sessions are counted per address as connections are (`LoketNamespace.admit`), with
    # room for a client's engine.io session besides its namespace connections: this limit
    # only holds back sessions that never join a namespace.
    guard_sessions(
        sio,
        trust_proxy=settings.server.trust_proxy,
        new_sessions_per_minute=2 * settings.limits.connections_per_minute,
        clock=clock,
    )
    sio.register_namespace(shopper_ns)
    sio.register_namespace(agent_ns)
    sio.attach(app, socketio_path="socket.io")
    app[SIO] = sio

    # The emitter of the running services, for the shutdown below.
    emitters: list[Emitter] = []

    async def disconnect_clients(app: web.Application) -> None:
        # Open WebSockets would hold a graceful stop until its timeout; clients reconnect
        # to the next process and resend what was not acknowledged.
        # Send each a close packet without waiting for its queue: a socket whose peer is
        # already gone would never drain it.
        for emitter in emitters:
            emitter.previews.close()
        for socket in list(sio.eio.sockets.values()):
            await socket.close(wait=False)
        await sio.shutdown()

    app.on_shutdown.append(disconnect_clients)
    http.add_routes(app)
    admin.add_routes(app)
    static.add_routes(app, demo=settings.server.demo)

    async def services_ctx(app: web.Application) -> AsyncIterator[None]:
        store = await Store.open(
            settings.store_path, batch_max=settings.store.batch_max, synchronous="full"
        )
        try:
            if isinstance(manager, BackgroundRedisManager):
                # Before anything is emitted: installs that share a Redis server (and a
                # database number, or a channel name) never see each other's emits, as
                # rooms such as "conversation:1" name different people in each.
                manager.channel = f"{settings.redis.channel_name()}:{await store.install_id()}"
            await start_services(
                store, await checked_secret(store, settings, new_secret=new_secret)
            )
        except BaseException:
            # The store's threads would keep a failed start's process alive, listening
            # nowhere: close it, so the error ends the process.
            await store.close()
            raise
        log.info("store open at %s", settings.store_path)
        for concern in settings.concerns():
            log.warning("%s", concern)
        await _warn_of_unknown_capacity_names(store, settings.routing.capacity)
        lag = app[SERVICES].metrics.loop_lag
        lag.start()
        try:
            yield
        finally:
            lag.stop()
            await app[SERVICES].conversations.drain()
            await store.close()

    async def start_services(store: Store, secret: str) -> None:
        metrics = Metrics()
        presence = Presence(away=await store.away_agents())
        agents = AgentDirectory(store)
        emitter = Emitter(sio, store, agents, metrics)
        emitters.append(emitter)
        conversations = Conversations(
            store,
            events=emitter,
            presence=presence,
            hours=StaffedHours(settings.hours),
            routing=settings.routing,
            clock=clock,
            max_message_chars=settings.limits.max_message_chars,
            reopen_seconds=settings.limits.reopen_hours * 3600,
            agent_name=agents.name,
            formal=settings.widget.formal,
        )
        services = Services(
            settings=settings,
            store=store,
            conversations=conversations,
            agent_auth=AgentAuth(
                store, session_seconds=settings.security.session_hours * 3600, clock=clock
            ),
            visitor_tokens=VisitorTokens(
                secret,
                max_age_seconds=settings.security.visitor_token_days * 86400,
            ),
            device_cookies=DeviceCookies(secret),
            presence=presence,
            metrics=metrics,
            agents=agents,
            login_limiter=KeyedLimiter(
                settings.security.login_attempts_per_minute / 60.0,
                settings.security.login_attempts_per_minute,
            ),
            connection_limiter=(
                KeyedLimiter(
                    settings.limits.connections_per_minute / 60.0,
                    settings.limits.connections_per_minute,
                )
                if settings.limits.connections_per_minute
                else None
            ),
            clock=clock,
        )
        app[SERVICES] = services
        shopper_ns.bind(services)
        agent_ns.bind(services)
        await conversations.restore()
        bot = Bot(
            settings.bot,
            people_available=conversations.people_available,
            long_wait=conversations.waits_beyond_timeout,
            still_busy=conversations.still_busy,
            store=store,
            clock=clock,
            keep_dir=kept_copies_dir(settings.server.data_dir),
            formal=settings.widget.formal,
        )
        bot.start()
        conversations.responder = bot.respond
        services.bot = bot
        services.learning = Learning(store, bot, clock=clock)
        await services.learning.refresh()
        unanswered = await conversations.answer_unanswered()
        if unanswered:
            log.info("answering %d shopper messages the bot had not answered", unanswered)
        services.health_checks["faq"] = bot.health

    async def sessions_ctx(app: web.Application) -> AsyncIterator[None]:
        services = app[SERVICES]
        await services.store.purge_expired_sessions(int(clock() * 1000))
        yield

    async def timeouts_ctx(app: web.Application) -> AsyncIterator[None]:
        conversations = app[SERVICES].conversations
        learning = app[SERVICES].learning
        assert learning is not None
        keep_days = settings.store.keep_days

        async def forget_old() -> None:
            before = int((clock() - keep_days * 86_400) * 1000)
            total = await conversations.forget_closed_before(
                before, batch=RETENTION_BATCH, pause=RETENTION_PAUSE_SECONDS
            )
            if total:
                log.info(
                    "deleted %d conversations closed over %d days ago (%d messages, %d shoppers)",
                    total["conversations"],
                    keep_days,
                    total["messages"],
                    total["shoppers"],
                )

        tasks = [
            asyncio.create_task(
                supervise("routing timeouts", conversations.tick, every=TICK_SECONDS),
                name="loket-routing-timeouts",
            ),
            asyncio.create_task(
                supervise("learned answers", learning.poll, every=LEARNED_POLL_SECONDS),
                name="loket-learned-poll",
            ),
            asyncio.create_task(
                supervise("agent sessions", agent_ns.recheck_sessions, every=SESSION_CHECK_SECONDS),
                name="loket-session-check",
            ),
        ]
        if keep_days:
            tasks.append(
                asyncio.create_task(
                    supervise("deleting old conversations", forget_old, every=RETENTION_SECONDS),
                    name="loket-retention",
                )
            )
        yield
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def faq_watch_ctx(app: web.Application) -> AsyncIterator[None]:
        bot = app[SERVICES].bot
        assert bot is not None
        # The watcher supervises itself (logs, backs off, keeps the last good FAQ).
        task = asyncio.create_task(bot.watcher.run(), name="loket-faq-watcher")
        yield
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    async def redis_ctx(app: web.Application) -> AsyncIterator[None]:
        if not settings.redis.url:
            yield
            return
        client = aioredis.Redis.from_url(
            settings.redis.url, socket_connect_timeout=2, socket_timeout=2
        )

        async def check() -> dict[str, Any]:
            try:
                await client.ping()
            except (aioredis.RedisError, OSError) as exc:
                # Chat goes on in this process; only cross-process delivery is affected.
                return {"ok": False, "critical": False, "error": str(exc)}
            return {"ok": True}

        first = await check()
        if not first["ok"]:
            shown = without_credentials(settings.redis.url)
            log.error("Redis at %s does not answer: %s", shown, first["error"])
        app[SERVICES].health_checks["redis"] = check
        yield
        if isinstance(manager, BackgroundRedisManager):
            await manager.close()
        await client.aclose()

    app.cleanup_ctx.append(services_ctx)
    app.cleanup_ctx.append(redis_ctx)
    app.cleanup_ctx.append(sessions_ctx)
    app.cleanup_ctx.append(timeouts_ctx)
    app.cleanup_ctx.append(faq_watch_ctx)
    return app


def bound_port(runner: web.AppRunner) -> int:
    """The TCP port a started runner listens on (useful with port 0)."""
    for site in runner.sites:
        sockets = getattr(site._server, "sockets", None)
        if sockets:
            return int(sockets[0].getsockname()[1])
    raise RuntimeError("the server is not listening")


async def _warn_of_unknown_capacity_names(store: Store, capacity: Mapping[str, int]) -> None:
    """A name in `[routing] capacity` that is no agent's (a typo, an agent not added yet)
    leaves the agent meant at the default: said in the log at start."""
    if not capacity:
        return
    names = {nocase(agent.name) for agent in await store.list_agents()}
    for name in capacity:
        if nocase(name.strip()) not in names:
            log.warning(
                "[routing] capacity names %r, who is no agent (see `loket agents list`); "
                "the agent meant gets max_conversations_per_agent",
                name,
            )


__all__ = ["Path", "bound_port", "create_app", "resolve_secret"]
