"""The shared event dispatch: rate limit, validate, call, turn errors into acks, measure."""

from __future__ import annotations

import ipaddress
import logging
import math
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import socketio
from pydantic import BaseModel, ValidationError

from loket.errors import LoketError
from loket.proxy import client_address
from loket.ratelimit import TokenBucket
from loket.realtime.transport import Refusal, set_ping_interval
from loket.services import Services
from loket.store import store_failure

log = logging.getLogger(__name__)

Handler = Callable[[str, Any, BaseModel], Awaitable[dict[str, Any]]]


@dataclass(slots=True)
class ClientState:
    """What the server keeps about one connection (stored in its Socket.IO session)."""

    bucket: TokenBucket
    strikes: int = 0
    extra: dict[str, Any] = field(default_factory=dict)


# What a field that failed its pattern should be, in words (pydantic would show the regex,
# and the message may reach a shopper).
_PATTERN_MEANS = {
    "email": "this is not an e-mail address",
    "phone": "this is not a phone number",
    "locale": 'should be a language code such as "nl" or "en-GB"',
    "client_id": "should be 8 to 64 letters, digits or _ . : -",
    "signature": "should be 64 hexadecimal digits",
}


def describe_validation_error(exc: ValidationError) -> str:
    parts = []
    for error in exc.errors()[:3]:
        where = ".".join(str(p) for p in error["loc"]) or "payload"
        if error["type"] == "extra_forbidden":
            message = "unknown field"
        elif error["type"] == "string_pattern_mismatch":
            field = str(error["loc"][-1]) if error["loc"] else ""
            message = _PATTERN_MEANS.get(field, "has the wrong form")
        else:
            message = error["msg"]
        parts.append(f"{where}: {message}")
    return "; ".join(parts)


def parse(model: type[BaseModel], data: Any) -> BaseModel:
    """`data` as a `model`, or LoketError saying what is wrong: `invalid_text` when only
    the text rule is broken, else `invalid_payload`."""
    if data is None:
        data = {}
    if isinstance(data, Refusal):
        raise LoketError(data.code, data.message)
    if not isinstance(data, dict):
        raise LoketError("invalid_payload", "The payload must be an object.")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        broken = all(error["type"] == "invalid_text" for error in exc.errors())
        code = "invalid_text" if broken else "invalid_payload"
        raise LoketError(code, describe_validation_error(exc)) from None


class LoketNamespace(socketio.AsyncNamespace):  # type: ignore[misc]
    """A namespace whose events are declared in `self.events` with their payload schema."""

    label = "?"

    def __init__(self, namespace: str) -> None:
        super().__init__(namespace)
        self._services: Services | None = None
        self.events: dict[str, tuple[type[BaseModel], Handler]] = {}

    @property
    def services(self) -> Services:
        if self._services is None:
            raise RuntimeError("the namespace is used before the server has started")
        return self._services

    def bind(self, services: Services) -> None:
        """Give the namespace the running server's services (at startup)."""
        self._services = services

    def admit(self, environ: dict[str, Any]) -> None:
        """Refuse a new connection (`rate_limited`) from an address that opened
        `limits.connections_per_minute` already.

        Connections from this machine itself are not counted: without `server.trust_proxy`
        they are a proxy on the same machine, which every shopper would share."""
        services = self.services
        limiter = services.connection_limiter
        request = environ.get("aiohttp.request")
        if limiter is None or request is None:
            return
        address = client_address(request, trust_proxy=services.settings.server.trust_proxy)
        if _is_loopback(address):
            return
        if not limiter.take(address, services.clock()):
            seconds = max(1, math.ceil(limiter.retry_after(address)))
            raise refuse(
                "rate_limited",
                "Too many connections from your address; try again later.",
                retry_after=seconds,
            )

    def new_client_state(self) -> ClientState:
        limits = self.services.settings.limits
        now = time.monotonic()
        return ClientState(TokenBucket(limits.events_per_second, limits.event_burst, updated=now))

    def heartbeat(self, sid: str, seconds: float) -> None:
        """Ping this client's connection every `seconds` from now on."""
        eio_sid = self.server.manager.eio_sid_from_sid(sid, self.namespace)
        socket = self.server.eio.sockets.get(eio_sid) if eio_sid else None
        if socket is not None:
            set_ping_interval(socket, seconds)

    async def client(self, sid: str) -> Any:
        return self.client_now(sid)

    def client_now(self, sid: str) -> Any:
        """The client state saved in the connection's session when it connected; None once
        the connection is gone (or before it is set up). What `get_session` reads, without
        its three coroutines on every event."""
        eio_sid = self.server.manager.eio_sid_from_sid(sid, self.namespace)
        socket = self.server.eio.sockets.get(eio_sid) if eio_sid is not None else None
        if socket is None or socket.closed:
            return None
        return socket.session.get(self.namespace, {}).get("client")

    async def trigger_event(self, event: str, *args: Any) -> Any:
        # Only the server itself calls these two: an event a client names so is dispatched
        # as a refusal (`SocketServer._handle_event`) and never arrives here by that name.
        if event in ("connect", "disconnect"):
            return await super().trigger_event(event, *args)
        sid = args[0]
        data = args[1] if len(args) == 2 else None
        started = time.perf_counter()
        outcome = "ok"
        try:
            client = self.client_now(sid)
            if client is None:
                raise LoketError("unauthorized", "This connection is not set up.")
            self._check_rate(client)
            await self.check_client(sid, client)
            if isinstance(data, Refusal):
                raise LoketError(data.code, data.message)
            spec = self.events.get(event)
            if spec is None:
                raise LoketError("unknown_event", f"There is no event {event!r} here.")
            if len(args) > 2:
                raise LoketError("invalid_payload", "Send one payload object per event.")
            model, handler = spec
            payload = parse(model, data)
            result = await handler(sid, client, payload)
            return {"ok": True, **result}
        except LoketError as exc:
            outcome = exc.code
            if exc.code == "rate_limited":
                await self._maybe_drop(sid)
            return exc.to_ack()
        except Exception as exc:
            if store_failure(exc):
                outcome = "store_failed"
                log.error("%s %s: the store failed: %s", self.namespace, event, exc)
                return LoketError("store_failed", "It could not be saved; send it again.").to_ack()
            outcome = "internal"
            log.exception("%s %s failed", self.namespace, event)
            return LoketError("internal", "Something went wrong on the server.").to_ack()
        finally:
            known = event if event in self.events else "unknown"
            self.services.metrics.event_handled(
                self.label, known, outcome, time.perf_counter() - started
            )

    async def check_client(self, sid: str, client: Any) -> None:
        """Refuse events from a client that may no longer send them (raise LoketError)."""

    def _check_rate(self, client: Any) -> None:
        state: ClientState = client.state
        if state.bucket.take(time.monotonic()):
            state.strikes = 0
            return
        state.strikes += 1
        raise LoketError(
            "rate_limited",
            "Too many events; slow down.",
            retry_after=round(state.bucket.retry_after(), 3),
        )

    async def _maybe_drop(self, sid: str) -> None:
        client = await self.client(sid)
        if client is not None and client.state.strikes >= (
            self.services.settings.limits.flood_disconnect_after
        ):
            log.warning("%s: dropping %s after a flood of events", self.namespace, sid)
            await self.disconnect(sid)


def refuse(code: str, message: str, **details: Any) -> socketio.exceptions.ConnectionRefusedError:
    """Refuses a connection; the client's connect_error has `message` and `data.code` (and
    `data` holds the `details`)."""
    return socketio.exceptions.ConnectionRefusedError(message, {"code": code, **details})


def _is_loopback(address: str) -> bool:
    try:
        return ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False


def origin_of(environ: dict[str, Any]) -> str | None:
    origin = environ.get("HTTP_ORIGIN")
    return str(origin) if origin else None
