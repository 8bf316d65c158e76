"""Who is who: agent passwords and sessions, shopper visitor tokens, shop-vouched customers."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from loket.errors import LoketError
from loket.store import AgentRecord, Store

SESSION_COOKIE = "loket_session"
# Set on a successful login, one per agent a browser logged in as (`DeviceCookies`):
# that browser is let try while others' wrong guesses hold the agent's name back.
DEVICE_COOKIE = "loket_device_"
DEVICE_DAYS = 365


def new_password_hasher() -> PasswordHasher:
    """argon2id with the library's defaults (RFC 9106 low-memory profile)."""
    return PasswordHasher()


def hash_token(token: str) -> str:
    """Sessions are stored by the hash of their token, so a leaked database grants nothing."""
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class AgentSession:
    agent: AgentRecord
    token: str
    expires_at: float


class AgentAuth:
    """Agent login, sessions and logout, over the store."""

    def __init__(
        self,
        store: Store,
        *,
        session_seconds: float,
        clock: Callable[[], float],
        hasher: PasswordHasher | None = None,
    ) -> None:
        self._store = store
        self._session_seconds = session_seconds
        self._clock = clock
        self._hasher = hasher or new_password_hasher()
        # Verified against when the agent does not exist, so timing does not tell.
        self._dummy_hash = self._hasher.hash(secrets.token_hex(16))

    async def hash_password(self, password: str) -> str:
        return await asyncio.to_thread(self._hasher.hash, password)

    async def check_password(self, name: str, password: str) -> AgentRecord:
        """The agent, if `password` is theirs; else LoketError('invalid_credentials'). A
        disabled agent who gives their own password is told the account is disabled
        ('account_disabled'): only who knows the password learns it."""
        agent = await self._store.agent_by_name(name)
        stored = agent.password_hash if agent else self._dummy_hash
        try:
            await asyncio.to_thread(self._hasher.verify, stored, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            agent = None
        if agent is None:
            raise LoketError("invalid_credentials", "Wrong agent name or password.")
        if agent.disabled:
            raise LoketError(
                "account_disabled", "This agent account is disabled: an admin can enable it again."
            )
        if self._hasher.check_needs_rehash(agent.password_hash):
            await self._store.update_agent(
                agent.id, password_hash=await self.hash_password(password)
            )
        return agent

    async def login(self, name: str, password: str) -> AgentSession:
        agent = await self.check_password(name, password)
        token = secrets.token_urlsafe(32)
        now = self._clock()
        expires_at = now + self._session_seconds
        await self._store.create_session(
            hash_token(token), agent.id, now=int(now * 1000), expires_at=int(expires_at * 1000)
        )
        return AgentSession(agent, token, expires_at)

    async def session(self, token: str | None) -> AgentSession:
        """The live session of `token`; LoketError 'unauthorized' or 'session_expired' if none."""
        if not token:
            raise LoketError("unauthorized", "Log in first.")
        found = await self._store.session(hash_token(token))
        if found is None:
            raise LoketError("unauthorized", "This session is not valid; log in again.")
        agent, expires_ms = found
        if agent.disabled:
            raise LoketError("unauthorized", "This agent account is disabled.")
        if expires_ms <= self._clock() * 1000:
            raise LoketError("session_expired", "Your session has expired; log in again.")
        return AgentSession(agent, token, expires_ms / 1000)

    async def logout(self, token: str) -> None:
        await self._store.delete_session(hash_token(token))


class VisitorTokens:
    """Signed visitor tokens: the shopper's id, signed by the server, with an age limit."""

    def __init__(self, secret: str, *, max_age_seconds: float) -> None:
        self._serializer = URLSafeTimedSerializer(secret, salt="loket.visitor")
        self._max_age = int(max_age_seconds)

    def issue(self, public_id: str) -> str:
        token: str = self._serializer.dumps(public_id)
        return token

    def verify(self, token: str) -> str:
        """The shopper's public id; LoketError 'invalid_token' when forged or too old."""
        try:
            value = self._serializer.loads(token, max_age=self._max_age)
        except SignatureExpired:
            raise LoketError("invalid_token", "The visitor token has expired.") from None
        except BadSignature:
            raise LoketError("invalid_token", "The visitor token is not valid.") from None
        if not isinstance(value, str):
            raise LoketError("invalid_token", "The visitor token is not valid.")
        return value


class DeviceCookies:
    """Signed marks of a browser an agent logged in from: a cookie per agent (named
    `DEVICE_COOKIE` and the agent's id), holding the agent's id, a random id of the
    browser's own and a tag of the agent's password hash, signed by the server, for
    `DEVICE_DAYS`. A new password (or a disabled account) makes the agent's cookies
    worthless; the name is not in them."""

    def __init__(self, secret: str) -> None:
        self._serializer = URLSafeTimedSerializer(secret, salt="loket.device")

    @staticmethod
    def cookie_name(agent: AgentRecord) -> str:
        return f"{DEVICE_COOKIE}{agent.id}"

    @staticmethod
    def _password_tag(agent: AgentRecord) -> str:
        return hashlib.sha256(agent.password_hash.encode()).hexdigest()[:16]

    def issue(self, agent: AgentRecord, browser: str | None = None) -> str:
        """The cookie's value: for `browser` (kept when it had one), else a new one."""
        token: str = self._serializer.dumps(
            [agent.id, browser or secrets.token_urlsafe(12), self._password_tag(agent)]
        )
        return token

    def browser_of(self, cookies: Mapping[str, str], agent: AgentRecord) -> str | None:
        """The id of this browser of `agent`'s, from a cookie this server issued for the
        agent's present password in the last `DEVICE_DAYS`; None without one. The same for
        every copy of the cookie, however it is written (the signature's encoding lets
        some characters vary)."""
        cookie = cookies.get(self.cookie_name(agent))
        if not cookie or agent.disabled:
            return None
        try:
            value = self._serializer.loads(cookie, max_age=DEVICE_DAYS * 86400)
        except BadSignature:
            return None
        if (
            not isinstance(value, list)
            or len(value) != 3
            or value[0] != agent.id
            or not isinstance(value[1], str)
            or value[2] != self._password_tag(agent)
        ):
            return None
        return value[1]


def customer_signature(shop_secret: str, customer_id: str, expires: int | None = None) -> str:
    """The HMAC-SHA256 (hex) a shop computes to vouch for a logged-in customer's id: of the
    id, or, for a claim that expires, of `<id>:<expires>`."""
    signed = customer_id if expires is None else f"{customer_id}:{expires}"
    return hmac.new(shop_secret.encode(), signed.encode(), hashlib.sha256).hexdigest()


def verify_customer(
    shop_secret: str, customer_id: str, signature: str, expires: int | None = None
) -> bool:
    """True only when the shop has a secret and `signature` is its HMAC of `customer_id`
    (with `expires`, when given)."""
    if not shop_secret:
        return False
    expected = customer_signature(shop_secret, customer_id, expires)
    return hmac.compare_digest(expected, signature.lower())
