"""HTTP routes: agent login and logout, health, metrics."""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError
from aiohttp.web_protocol import RequestPayloadError
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from loket.auth import DEVICE_DAYS, SESSION_COOKIE, AgentSession
from loket.errors import LoketError
from loket.keys import SERVICES, SIO
from loket.proxy import client_address, from_own_pages, over_tls
from loket.realtime.agent import end_session
from loket.routing import nocase
from loket.store import StoreError, store_failure

log = logging.getLogger(__name__)

MAX_JSON_BYTES = 16_384


class ServerLog(logging.LoggerAdapter):  # type: ignore[type-arg]
    """aiohttp's server log, with a request that is no valid HTTP (a malformed header, an
    unreadable body) logged as one warning line naming the sender.

    aiohttp logs one with a traceback, as if the server had failed; anyone can send one.
    Every other error it logs as before, with its traceback."""

    def exception(self, msg: object, *args: object, **kwargs: Any) -> None:
        exc = kwargs.get("exc_info")
        if isinstance(exc, RequestPayloadError):
            # A body aiohttp could not decode, found as it drains what the handler left
            # (the client had its 400 already; aiohttp names no sender there).
            msg, args = "a request body that cannot be read", ()
            exc = exc.__cause__
        if isinstance(exc, HttpProcessingError) and 400 <= exc.code < 500:
            reason = str(exc.message).strip().splitlines()
            where = (msg % args) if args and isinstance(msg, str) else msg
            self.logger.warning("%s: no valid HTTP: %s", where, reason[0] if reason else exc.code)
            return
        self.logger.exception(msg, *args, **kwargs)


def json_error(status: int, code: str, message: str, **headers: str) -> web.Response:
    body = {"ok": False, "error": {"code": code, "message": message}}
    return web.json_response(body, status=status, headers=headers or None)


async def read_json(request: web.Request) -> dict[str, Any]:
    if request.content_type != "application/json":
        raise LoketError("invalid_payload", "Send JSON (Content-Type: application/json).")
    if request.content_length is not None and request.content_length > MAX_JSON_BYTES:
        raise LoketError("invalid_payload", "The request body is too large.")
    try:
        raw = await request.content.read(MAX_JSON_BYTES + 1)
    except RequestPayloadError:
        # A body its Content-Encoding or chunks do not describe.
        raise LoketError("invalid_payload", "The request body cannot be read.") from None
    if len(raw) > MAX_JSON_BYTES:
        raise LoketError("invalid_payload", "The request body is too large.")
    try:
        data = json.loads(raw)
        # Half a character (a lone "\ud800") is no text: the store and the password
        # hasher refuse it.
        json.dumps(data, ensure_ascii=False).encode()
    except (ValueError, RecursionError):
        # RecursionError: nesting deeper than the parser goes (`[[[[…`), from anyone.
        raise LoketError("invalid_payload", "The request body is not valid JSON.") from None
    if not isinstance(data, dict):
        raise LoketError("invalid_payload", "The request body must be a JSON object.")
    return data


def request_token(request: web.Request) -> str | None:
    header = request.headers.get("Authorization", "")
    if header.startswith("Bearer "):
        return header.removeprefix("Bearer ").strip() or None
    return request.cookies.get(SESSION_COOKIE)


async def current_session(request: web.Request) -> AgentSession:
    """The logged-in agent of a request, or LoketError('unauthorized' / 'session_expired')."""
    return await request.app[SERVICES].agent_auth.session(request_token(request))


def _status_of(error: LoketError) -> int:
    return {
        "invalid_payload": 400,
        "invalid_credentials": 401,
        "unauthorized": 401,
        "session_expired": 401,
        "forbidden": 403,
        "account_disabled": 403,
        "not_found": 404,
        "personal_data": 409,
        "conversation_open": 409,
        "erasure_changed": 409,
        "rate_limited": 429,
    }.get(error.code, 400)


_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@web.middleware
async def same_origin_writes(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    """Refuse a request that changes something on /api when a browser sent it from a page
    of another origin: a form on another site, or on another port of the same one,
    posting to /api/logout, say (see `from_own_pages`)."""
    if request.method not in _SAFE_METHODS and request.path.startswith("/api/"):
        headers = request.headers
        if not from_own_pages(
            fetch_site=headers.get("Sec-Fetch-Site"),
            origin=headers.get("Origin"),
            host=request.host,
        ):
            return json_error(
                403, "origin_not_allowed", "Requests to the console's API must come from its pages."
            )
    return await handler(request)


@web.middleware
async def api_errors(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    """Turn refusals on /api into JSON errors; never send a traceback."""
    try:
        return await handler(request)
    except LoketError as exc:
        return web.json_response(exc.to_ack(), status=_status_of(exc))
    except web.HTTPException:
        raise
    except Exception as exc:
        if store_failure(exc):
            log.error("%s %s: the store failed: %s", request.method, request.path, exc)
            return json_error(503, "store_failed", "The store cannot be written now; try again.")
        if not request.path.startswith("/api/"):
            raise
        # A fault of Loket's own: the traceback for the log, a JSON error for the client.
        log.exception("%s %s failed", request.method, request.path)
        return json_error(500, "internal", "Something went wrong on the server.")


class _OncePerMinute:
    """Whether something was not told in the last minute (for a log line per key)."""

    def __init__(self, limit: int = 10_000) -> None:
        self._told: dict[str, float] = {}
        self._limit = limit

    def first(self, key: str, now: float) -> bool:
        if now - self._told.get(key, -60.0) < 60:
            return False
        if len(self._told) >= self._limit:
            self._told.clear()
        self._told[key] = now
        return True


_LOGIN_LOG = _OncePerMinute()


async def login(request: web.Request) -> web.Response:
    services = request.app[SERVICES]
    data = await read_json(request)
    name, password = data.get("name"), data.get("password")
    if not isinstance(name, str) or not isinstance(password, str):
        raise LoketError("invalid_payload", "Send 'name' and 'password' as strings.")
    if not name.strip() or not password:
        raise LoketError("invalid_payload", "Fill in your name and your password.")
    if len(name) > 100 or len(password) > 1000:
        raise LoketError("invalid_credentials", "Wrong agent name or password.")
    now = services.clock()
    limiter = services.login_limiter
    trust_proxy = services.settings.server.trust_proxy
    address = client_address(request, trust_proxy=trust_proxy)
    # Every attempt counts against its address. Against the agent's name only wrong ones
    # count (given back below when it was right), and a browser that logged in as this
    # agent before has a count of its own: anyone can send wrong passwords for a name,
    # which must not keep the agent out.
    devices = services.device_cookies
    record = await services.store.agent_by_name(name)
    browser = devices.browser_of(request.cookies, record) if record is not None else None
    name_key = f"device:{record.id}:{browser}" if record and browser else f"name:{nocase(name)}"
    keys = (f"address:{address}", name_key)
    # The name's count only for attempts the address's let through.
    if not all(limiter.take(key, now) for key in keys):
        seconds = max(1, round(max(limiter.retry_after(key) for key in keys)))
        wait = "a second" if seconds == 1 else f"{seconds} seconds"
        if _LOGIN_LOG.first(address, now):
            log.warning(
                "login attempts from %s over the limit (for %r): refused for %s (told once a"
                " minute per address)",
                address,
                name,
                wait,
            )
        return json_error(
            429,
            "rate_limited",
            f"Too many login attempts; try again in {wait}.",
            **{"Retry-After": str(seconds)},
        )
    try:
        session = await services.agent_auth.login(name, password)
    except LoketError as exc:
        # Each one, for an admin or a blocker such as fail2ban: the login limit keeps
        # these to a few a minute per address.
        # The address first: a name is whatever the client sent ("x from 10.0.0.7").
        log.warning("login failed from %s for %r: %s", address, name, exc.message)
        raise
    limiter.give_back(name_key)
    agent = session.agent
    response = web.json_response(
        {
            "ok": True,
            "token": session.token,
            "expires_at": int(session.expires_at * 1000),
            "agent": {
                "id": agent.id,
                "name": agent.name,
                "display_name": agent.display_name,
                "is_admin": agent.is_admin,
            },
        }
    )
    response.set_cookie(
        SESSION_COOKIE,
        session.token,
        max_age=int(services.settings.security.session_hours * 3600),
        httponly=True,
        samesite="Strict",
        # Behind a TLS proxy the request reaches Loket over plain HTTP; the browser's did not.
        secure=over_tls(request, trust_proxy=trust_proxy),
        path="/",
    )
    response.set_cookie(
        devices.cookie_name(agent),
        devices.issue(agent, browser),
        max_age=DEVICE_DAYS * 86400,
        httponly=True,
        samesite="Strict",
        secure=over_tls(request, trust_proxy=trust_proxy),
        # Also under a path prefix of a proxy's (/chat/api/login).
        path="/",
    )
    return response


async def logout(request: web.Request) -> web.Response:
    token = request_token(request)
    if token:
        await request.app[SERVICES].agent_auth.logout(token)
        await end_session(request.app[SIO], token)
    response = web.json_response({"ok": True})
    response.del_cookie(SESSION_COOKIE, path="/")
    return response


async def me(request: web.Request) -> web.Response:
    session = await current_session(request)
    agent = session.agent
    return web.json_response(
        {
            "ok": True,
            "agent": {
                "id": agent.id,
                "name": agent.name,
                "display_name": agent.display_name,
                "is_admin": agent.is_admin,
            },
            "expires_at": int(session.expires_at * 1000),
        }
    )


async def healthz(request: web.Request) -> web.Response:
    services = request.app[SERVICES]
    checks: dict[str, Any] = {}
    healthy = True
    try:
        await services.store.db.ping()
        checks["store"] = {"ok": True}
    except StoreError as exc:
        healthy = False
        checks["store"] = {"ok": False, "error": str(exc)}
    degraded = False
    for name, check in services.health_checks.items():
        result = await check()
        checks[name] = result
        if not result.get("ok", True):
            if result.get("critical", True):
                healthy = False
            else:
                degraded = True
    status = "failing" if not healthy else "degraded" if degraded else "ok"
    body = {"status": status, "checks": checks}
    return web.json_response(body, status=200 if healthy else 503)


async def metrics(request: web.Request) -> web.Response:
    services = request.app[SERVICES]
    counts = await services.store.count_conversations_by_state()
    for state in ("bot", "queued", "assigned", "closed"):
        services.metrics.conversations.labels(state).set(counts.get(state, 0))
    services.metrics.store_writes.set(services.store.db.writes)
    services.metrics.store_batches.set(services.store.db.batches)
    services.metrics.store_transaction_seconds.set(services.store.db.transaction_seconds)
    services.metrics.store_sync_seconds.set(services.store.db.sync_seconds)
    if services.bot is not None:
        services.metrics.bot_words_alone.set(services.bot.meaning()["words_alone_for_cpu_share"])
    body = generate_latest(services.metrics.registry)
    return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})


def add_routes(app: web.Application) -> None:
    app.router.add_post("/api/login", login)
    app.router.add_post("/api/logout", logout)
    app.router.add_get("/api/me", me)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/metrics", metrics)
