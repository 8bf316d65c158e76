"""The /shopper namespace: the widget's side of a conversation."""

from __future__ import annotations

import logging
import secrets
import sqlite3
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal, TypeVar

from loket.auth import verify_customer
from loket.conversations import Conversation, PageContext, ShopperForgotten, State
from loket.errors import LoketError
from loket.languages import text_language
from loket.locks import KeyedLocks
from loket.realtime.base import ClientState, LoketNamespace, origin_of, parse, refuse
from loket.realtime.emitter import (
    agent_rooms,
    customer_room,
    language_room,
    shopper_room,
    visitor_room,
)
from loket.realtime.payloads import (
    Customer,
    Feedback,
    Handoff,
    LeaveQuestion,
    Rate,
    Read,
    ShopperAuth,
    ShopperMessage,
    Sync,
    Typing,
)
from loket.store import MessageRecord, NewShopper, ShopperRecord, Store
from loket.views import (
    availability_view,
    message_view,
    queue_view,
    shopper_conversation_view,
)

log = logging.getLogger(__name__)
_T = TypeVar("_T")

Identity = Literal["anonymous", "verified", "rejected"]


@dataclass(slots=True)
class ShopperClient:
    state: ClientState
    public_id: str
    token: str
    identity: Identity
    shopper: ShopperRecord | None
    customer: Customer | None
    page: PageContext
    # The public id was made by the server for this connection: no shopper has it yet.
    fresh: bool = False
    # The token changed since the client was last told it (see `_move_aside`).
    new_token: bool = False


# How many times a connection may find its visitor id's record someone else's and move
# aside (each time a new id, so once is the rule).
_MOVES = 4


def _waiting_rooms(client: ShopperClient) -> list[str]:
    """Where a connection with no shopper record waits for one (see `_joined`)."""
    rooms = [visitor_room(client.public_id)]
    if client.customer is not None:
        rooms.append(customer_room(client.customer.id))
    return rooms


def _may_follow(client: ShopperClient, shopper: ShopperRecord) -> bool:
    """Whether a connection may follow `shopper`'s conversation without writing: a
    customer's only with the shop's word for that customer, an anonymous one only
    anonymously (as when connecting, see `_identify`)."""
    return (client.customer.id if client.customer else None) == shopper.customer_id


# The longest a customer claim may run (see `_expiry_problem`).
_LONGEST_CLAIM_SECONDS = 400 * 86400


def _expiry_problem(claim: Customer, expiring: bool, now: float) -> str | None:
    """Why a customer claim is refused for its `expires` (with
    `security.customer_claims_expire`), or None."""
    if not expiring:
        return None
    if claim.expires is None:
        return "it has no 'expires', which security.customer_claims_expire = true asks for"
    if claim.expires <= now:
        when = datetime.fromtimestamp(claim.expires, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
        return f"it expired at {when}"
    if claim.expires > now + _LONGEST_CLAIM_SECONDS:
        # Milliseconds, most likely (`Date.now()`): a claim for thousands of years.
        return "its 'expires' is more than 400 days ahead: it is in seconds, not milliseconds"
    return None


class ShopperNamespace(LoketNamespace):
    label = "shopper"

    def __init__(self) -> None:
        super().__init__("/shopper")
        # Serialises the first messages of one visitor (several tabs, quick typing), so
        # the shopper is created once.
        self._creating = KeyedLocks()
        self.events = {
            "sync": (Sync, self.on_sync_event),
            "message": (ShopperMessage, self.on_message_event),
            "typing": (Typing, self.on_typing_event),
            "read": (Read, self.on_read_event),
            "handoff": (Handoff, self.on_handoff_event),
            "feedback": (Feedback, self.on_feedback_event),
            "rate": (Rate, self.on_rate_event),
            "leave_question": (LeaveQuestion, self.on_leave_question_event),
        }

    # -- connecting ----------------------------------------------------------------

    async def on_connect(self, sid: str, environ: dict[str, Any], auth: Any) -> None:
        self.admit(environ)
        allowed = self.services.settings.server.allowed_origins
        origin = origin_of(environ)
        if origin is not None and "*" not in allowed and origin not in allowed:
            log.warning(
                "shopper connection from %s refused: origin not in server.allowed_origins", origin
            )
            raise refuse("origin_not_allowed", f"Chat is not enabled for {origin}.")
        try:
            payload = parse(ShopperAuth, auth)
            assert isinstance(payload, ShopperAuth)
            client = await self._identify(payload)
        except LoketError as exc:
            raise refuse(exc.code, exc.message) from None
        await self.save_session(sid, {"client": client})
        self.heartbeat(sid, self.services.settings.routing.shopper_heartbeat_interval_seconds)
        if client.shopper is not None:
            await self.enter_room(sid, shopper_room(client.shopper.id))
        else:
            await self._await_record(sid, client)
        # Told when an agent can come now or no longer can, in the shopper's language.
        await self.enter_room(sid, language_room(text_language(client.page.locale)))
        self.services.metrics.connections.labels("shopper").inc()

    async def on_disconnect(self, sid: str, reason: Any = None) -> None:
        if await self.client(sid) is not None:
            self.services.metrics.connections.labels("shopper").dec()

    async def _identify(self, auth: ShopperAuth) -> ShopperClient:
        services = self.services
        store = services.store
        token_public_id: str | None = None
        if auth.token:
            token_public_id = services.visitor_tokens.verify(auth.token)
        token_shopper = (
            await store.shopper_by_public_id(token_public_id) if token_public_id else None
        )
        page = PageContext(
            url=auth.page.url if auth.page else None,
            title=auth.page.title if auth.page else None,
            locale=auth.locale,
        )
        identity: Identity = "anonymous"
        claimed = False
        shopper: ShopperRecord | None = None
        customer: Customer | None = None
        public_id = token_public_id
        if auth.customer is not None:
            security = services.settings.security
            shop_secret = security.shop_secret
            claim = auth.customer
            expiry = _expiry_problem(claim, security.customer_claims_expire, services.clock())
            signed_expires = claim.expires if security.customer_claims_expire else None
            # The signature first: only the shop's own claim is told it expired.
            signed = verify_customer(shop_secret, claim.id, claim.signature, signed_expires)
            if signed and expiry is None:
                identity = "verified"
                customer = auth.customer
                shopper = await store.shopper_by_customer_id(customer.id)
                if shopper is None and token_shopper and token_shopper.customer_id is None:
                    shopper = await self._claim(token_shopper, customer)
                    claimed = shopper is not None and shopper.id == token_shopper.id
                if shopper is not None:
                    await store.update_shopper(shopper.id, name=customer.name, email=customer.email)
                    shopper = await store.shopper_by_id(shopper.id)
                    public_id = shopper.public_id if shopper else public_id
                elif token_shopper is not None:
                    # The token belongs to someone else's account: start afresh.
                    public_id = None
            elif not shop_secret:
                identity = "rejected"
                log.warning(
                    "customer claim for %r rejected: no shop secret is set (security."
                    "shop_secret or LOKET_SHOP_SECRET), so no claim can be checked",
                    auth.customer.id,
                )
            elif signed:
                identity = "rejected"
                log.warning("customer claim for %r rejected: %s", claim.id, expiry)
            else:
                identity = "rejected"
                hint = (
                    " (signed with its 'expires', which counts only with"
                    " security.customer_claims_expire = true)"
                    if claim.expires is not None
                    and not security.customer_claims_expire
                    and verify_customer(shop_secret, claim.id, claim.signature, claim.expires)
                    else ""
                )
                log.warning("customer claim for %r has a wrong signature%s", claim.id, hint)
        if identity != "verified" and token_shopper is not None:
            if token_shopper.customer_id is None:
                shopper = token_shopper
            else:
                # A customer's history needs the shop's word on every visit: without a
                # valid claim this browser starts an anonymous conversation.
                public_id = None
        if claimed and shopper is not None:
            await self._drop_others(shopper)
        fresh = shopper is None and public_id is None
        if fresh:
            public_id = secrets.token_urlsafe(18)
        assert public_id is not None
        return ShopperClient(
            state=self.new_client_state(),
            public_id=public_id,
            token=services.visitor_tokens.issue(public_id),
            identity=identity,
            shopper=shopper,
            customer=customer,
            page=page,
            fresh=fresh,
        )

    async def _ensure_shopper(self, sid: str, client: ShopperClient) -> ShopperRecord:
        """The shopper's record, created when they first write.

        Every event of the visitor passes this lock, even once the record exists: an event
        must not overtake earlier ones still waiting here, or their order would be lost.
        """
        store = self.services.store
        now = int(self.services.clock() * 1000)
        customer_id = client.customer.id if client.customer else None
        async with self._creating.hold(client.public_id):
            if client.shopper is not None:
                if self.services.conversations.has_open(client.shopper.id) or (
                    await store.shopper_exists(client.shopper)
                ):
                    return client.shopper
                # Forgotten meanwhile (`loket shoppers forget`, `store.keep_days`) while this
                # tab stayed open: a shopper record of their own again, as on a first visit.
                await self.leave_room(sid, shopper_room(client.shopper.id))
                self.services.conversations.forget_shopper(client.shopper.id)
                client.shopper = None
                for room in _waiting_rooms(client):
                    await self.enter_room(sid, room)
            shopper = None
            if customer_id is not None:
                shopper = await store.shopper_by_customer_id(customer_id)
            for _ in range(_MOVES):
                if shopper is not None:
                    break
                found = None if client.fresh else await store.shopper_by_public_id(client.public_id)
                created = found is None
                if found is None:
                    found = await store.create_shopper(
                        client.public_id,
                        customer_id=customer_id,
                        locale=client.page.locale,
                        now=now,
                    )
                if _may_follow(client, found):
                    shopper = found
                    if created and client.fresh and found.public_id == client.public_id:
                        # Nobody else knew this id: the shopper is new, with no conversation.
                        self.services.conversations.note_new_shopper(found.id)
                    if created and client.customer is not None:
                        await store.update_shopper(
                            found.id, name=client.customer.name, email=client.customer.email
                        )
                elif client.customer is not None and found.customer_id is None:
                    shopper = await self._claim(found, client.customer)
                    if shopper is not None and shopper.id == found.id:
                        await self._drop_others(shopper)
                else:
                    await self._move_aside(sid, client)
            if shopper is None:
                raise LoketError("store_failed", "The message could not be saved; send it again.")
        await self._joined(shopper, sid, client)
        return shopper

    async def _claim(self, found: ShopperRecord, customer: Customer) -> ShopperRecord | None:
        """`found`, an anonymous record of this browser, becomes `customer`'s (as a tab of
        the browser not logged in to the shop wrote in it before): their record from now
        on; the customer's own record instead when they have one meanwhile (another
        browser made it)."""
        store = self.services.store
        try:
            await store.update_shopper(
                found.id, customer_id=customer.id, name=customer.name, email=customer.email
            )
        except sqlite3.IntegrityError:
            return await store.shopper_by_customer_id(customer.id)
        return await store.shopper_by_id(found.id)

    async def _move_aside(self, sid: str, client: ShopperClient) -> None:
        """The record of this connection's visitor id is not this connection's (a customer's
        made in another tab, the connection anonymous or another customer): it goes on as a
        new visitor of its own (as when connecting with such a token), its token in the next
        acknowledgement."""
        for room in _waiting_rooms(client):
            await self.leave_room(sid, room)
        client.public_id = secrets.token_urlsafe(18)
        client.token = self.services.visitor_tokens.issue(client.public_id)
        client.fresh = True
        client.new_token = True
        for room in _waiting_rooms(client):
            await self.enter_room(sid, room)

    async def _drop_others(self, shopper: ShopperRecord) -> None:
        """`shopper`'s record was just claimed by a customer: the connections following it
        that are not that customer (a tab of the browser not logged in to the shop) are
        disconnected. They connect again as a visitor of their own and show nothing of the
        customer's conversation (as after an erasure)."""
        room = shopper_room(shopper.id)
        for other, _ in list(self.server.manager.get_participants(self.namespace, room)):
            them = self.client_now(other)
            if them is None or not _may_follow(them, shopper):
                # Let go of first: an event of theirs still waiting for its record finds
                # none (one past that is the browser's own anonymous text, which the claim
                # takes in anyway).
                await self.leave_room(other, room)
                if them is not None:
                    them.shopper = None
                await self.disconnect(other)

    async def _await_record(self, sid: str, client: ShopperClient) -> None:
        """A connection of a visitor with no shopper record waits in their rooms for one
        (`_joined`). One made while this connection was being set up is looked for after
        entering them: joined either way."""
        for room in _waiting_rooms(client):
            await self.enter_room(sid, room)
        if client.fresh and client.customer is None:
            return  # a visitor id nobody else has
        store = self.services.store
        try:
            found = None
            if client.customer is not None:
                found = await store.shopper_by_customer_id(client.customer.id)
            if found is None and not client.fresh:
                found = await store.shopper_by_public_id(client.public_id)
        except Exception:
            # Found at the visitor's first event instead, or by a tab that writes.
            log.warning("looking for the shopper record of a new connection failed", exc_info=True)
            return
        if found is not None and client.shopper is None and _may_follow(client, found):
            await self._attach(sid, client, found)

    async def _attach(self, sid: str, client: ShopperClient, shopper: ShopperRecord) -> None:
        for room in _waiting_rooms(client):
            await self.leave_room(sid, room)
        if client.shopper is not None and client.shopper.id != shopper.id:
            await self.leave_room(sid, shopper_room(client.shopper.id))
        client.shopper = shopper
        await self.enter_room(sid, shopper_room(shopper.id))

    async def _joined(self, shopper: ShopperRecord, sid: str, client: ShopperClient) -> None:
        """The visitor of `client` has a shopper record now: this connection joins the
        shopper's room, and so does each of their other connections that has none yet (their
        other tabs, open since before) and may see it (the same customer, or anonymous both),
        so every tab follows the conversation from its first message on."""
        await self._attach(sid, client, shopper)
        rooms = [visitor_room(client.public_id)]
        if shopper.customer_id is not None:
            rooms.append(customer_room(shopper.customer_id))
        for other, _ in list(self.server.manager.get_participants(self.namespace, rooms)):
            them = self.client_now(other)
            if them is not None and them.shopper is None and _may_follow(them, shopper):
                await self._attach(other, them, shopper)

    async def _as_shopper(
        self, sid: str, client: ShopperClient, act: Callable[[ShopperRecord], Awaitable[_T]]
    ) -> _T:
        """`act` for the shopper's record; once more, as a new shopper's, when their record
        was deleted on request while it waited (see `_ensure_shopper`)."""
        try:
            return await act(await self._ensure_shopper(sid, client))
        except ShopperForgotten:
            return await act(await self._ensure_shopper(sid, client))

    async def _first_message(
        self, sid: str, client: ShopperClient, payload: ShopperMessage
    ) -> tuple[Conversation, MessageRecord, bool]:
        """A new visitor's first message, written with their shopper record and conversation
        in one transaction."""

        conversations = self.services.conversations

        async def joined(shopper: ShopperRecord) -> None:
            # The record with this visitor id may be a customer's that another tab of the
            # browser made meanwhile: not this anonymous connection's to follow.
            if _may_follow(client, shopper):
                await self._joined(shopper, sid, client)

        async with self._creating.hold(client.public_id):
            sent = None
            if client.shopper is None:
                sent = await conversations.first_message(
                    NewShopper(client.public_id, locale=client.page.locale),
                    payload.client_id,
                    payload.text,
                    client.page,
                    joined=joined,
                    origin=sid,
                )
            if sent is None and client.shopper is not None:
                # The record exists: an earlier message made it while this one waited, or
                # another tab of theirs was quicker. Sent the usual way, still in line here,
                # so that a message sent after it (which waits here too, in
                # `_ensure_shopper`) cannot be stored before it.
                sent = await conversations.shopper_message(
                    client.shopper, payload.client_id, payload.text, client.page, origin=sid
                )
        if sent is None:
            # Someone else's record: this connection goes on as a visitor of its own.
            client.fresh = False
            sent = await self._as_shopper(
                sid,
                client,
                lambda shopper: conversations.shopper_message(
                    shopper, payload.client_id, payload.text, client.page, origin=sid
                ),
            )
        return sent

    # -- events --------------------------------------------------------------------

    async def on_sync_event(self, sid: str, client: ShopperClient, payload: Any) -> dict[str, Any]:
        assert isinstance(payload, Sync)
        services = self.services
        conversation = None
        if client.shopper is not None:
            conversation = await services.conversations.current_for_shopper(client.shopper.id)
        messages: list[dict[str, Any]] = []
        more = False
        if conversation is not None:
            after = payload.after_seq if payload.conversation_id == conversation.id else 0
            page = services.settings.limits.replay_page
            found = await services.conversations.history(conversation.id, after, page + 1)
            more = len(found) > page
            messages = [await message_view(m, services.agents) for m in found[:page]]
            await _with_feedback_given(services.store, conversation.id, messages)
        place = services.conversations.queue_place(conversation) if conversation else None
        client.new_token = False
        return {
            "token": client.token,
            "identity": client.identity,
            "conversation": await shopper_conversation_view(conversation, services.agents),
            "messages": messages,
            "more": more,
            "queue": queue_view(place) if place else None,
            "availability": availability_view(
                services.conversations.availability(client.page.locale),
                people=services.conversations.people_available(),
            ),
            "limits": {"max_message_chars": services.settings.limits.max_message_chars},
            "invitations": self._invitations(client),
            "formal": text_language(client.page.locale) in services.settings.widget.formal,
        }

    def _invitations(self, client: ShopperClient) -> list[dict[str, Any]]:
        language = text_language(client.page.locale)
        return [
            {
                "path": rule.path,
                "after_seconds": rule.after_seconds,
                "text": rule.text(language),
            }
            for rule in self.services.settings.widget.invitations
        ]

    async def on_feedback_event(
        self, sid: str, client: ShopperClient, payload: Any
    ) -> dict[str, Any]:
        assert isinstance(payload, Feedback)
        services = self.services
        conversation = await self._conversation_of(client)
        message = await services.store.message(conversation.id, payload.seq)
        meta = message.meta if message else None
        if message is None or message.author != "bot" or not meta or meta.get("kind") != "answer":
            raise LoketError("not_found", "There is no bot answer with that number.")
        now = int(services.clock() * 1000)
        first = await services.store.add_feedback(
            conversation.id,
            payload.seq,
            entry_id=meta.get("entry_id"),
            helpful=payload.helpful,
            now=now,
        )
        helpful = payload.helpful
        if not first:
            # Only the first feedback counts (from another tab, or a resend): what follows
            # is that one's.
            given = await services.store.feedback_given(conversation.id, [payload.seq])
            helpful = given.get(payload.seq, helpful)
        offer = None
        if not helpful:
            # With an agent (or waiting for one), the next step is theirs: nothing to offer.
            if conversation.state in (State.BOT, State.CLOSED):
                # Not a person while the queue gave up on them and everyone is still full.
                conversations = services.conversations
                people = conversations.people_available()
                offer = (
                    "person"
                    if people and not conversations.still_busy(conversation)
                    else "leave_question"
                )
            if first:
                services.conversations.answer_did_not_help(conversation, message)
            asked = await services.store.message(conversation.id, int(meta.get("question_seq", 0)))
            if first and asked is not None and services.bot is not None:
                # Of a message asking several things, the question this answer was for.
                question = meta.get("question")
                await services.bot.record_miss(
                    conversation,
                    question if isinstance(question, str) and question else asked.text,
                    conversation.locale,
                    "unhelpful",
                    meta.get("entry_id"),
                )
        return {"offer": offer, "helpful": helpful, "duplicate": not first}

    async def on_rate_event(self, sid: str, client: ShopperClient, payload: Any) -> dict[str, Any]:
        assert isinstance(payload, Rate)
        conversation = await self._conversation_of(client)
        if conversation.assigned_at is None:
            raise LoketError("not_rateable", "Only a conversation with an agent can be rated.")
        if conversation.state is not State.CLOSED:
            raise LoketError("still_open", "A conversation can be rated once it is closed.")
        first = await self.services.store.add_rating(
            conversation.id,
            conversation.agent_id,
            payload.rating,
            payload.comment,
            int(self.services.clock() * 1000),
        )
        return {"duplicate": not first}

    async def on_handoff_event(
        self, sid: str, client: ShopperClient, payload: Any
    ) -> dict[str, Any]:
        assert isinstance(payload, Handoff)
        if payload.page is not None:
            client.page = PageContext(payload.page.url, payload.page.title, client.page.locale)
        conversations = self.services.conversations
        conversation, availability = await self._as_shopper(
            sid, client, lambda shopper: conversations.request_person(shopper, client.page)
        )
        place = conversations.queue_place(conversation)
        return self._told_token(
            client,
            {
                "conversation": await shopper_conversation_view(conversation, self.services.agents),
                "queue": queue_view(place) if place else None,
                "availability": availability_view(
                    availability, people=self.services.conversations.people_available()
                ),
                # Nobody can come: offer the leave-a-question form.
                "leave_question": conversation.state.value == "bot",
            },
        )

    async def on_leave_question_event(
        self, sid: str, client: ShopperClient, payload: Any
    ) -> dict[str, Any]:
        assert isinstance(payload, LeaveQuestion)
        if not payload.email and not payload.phone:
            raise LoketError(
                "contact_required", "Give an e-mail address or a phone number to reach you."
            )
        conversation, message, duplicate = await self._as_shopper(
            sid,
            client,
            lambda shopper: self.services.conversations.leave_question(
                shopper,
                payload.client_id,
                payload.text,
                client.page,
                email=payload.email,
                phone=payload.phone,
            ),
        )
        return self._told_token(
            client,
            {
                "message": await message_view(message, self.services.agents),
                "duplicate": duplicate,
                "conversation": await shopper_conversation_view(conversation, self.services.agents),
            },
        )

    @staticmethod
    def _told_token(client: ShopperClient, ack: dict[str, Any]) -> dict[str, Any]:
        """`ack`, with the connection's token when it changed since it was last told."""
        if client.new_token:
            ack["token"] = client.token
            client.new_token = False
        return ack

    async def on_message_event(
        self, sid: str, client: ShopperClient, payload: Any
    ) -> dict[str, Any]:
        assert isinstance(payload, ShopperMessage)
        if payload.page is not None:
            client.page = PageContext(payload.page.url, payload.page.title, client.page.locale)
        if client.shopper is None and client.fresh and client.customer is None:
            sent = await self._first_message(sid, client, payload)
        else:
            sent = await self._as_shopper(
                sid,
                client,
                lambda shopper: self.services.conversations.shopper_message(
                    shopper, payload.client_id, payload.text, client.page, origin=sid
                ),
            )
        conversation, message, duplicate = sent
        return self._told_token(
            client,
            {
                "message": await message_view(message, self.services.agents),
                "duplicate": duplicate,
                "conversation": await shopper_conversation_view(conversation, self.services.agents),
            },
        )

    async def _conversation_of(self, client: ShopperClient) -> Any:
        if client.shopper is None:
            raise LoketError("no_conversation", "There is no conversation yet.")
        conversation = await self.services.conversations.current_for_shopper(client.shopper.id)
        if conversation is None:
            raise LoketError("no_conversation", "There is no conversation yet.")
        return conversation

    async def on_typing_event(
        self, sid: str, client: ShopperClient, payload: Any
    ) -> dict[str, Any]:
        assert isinstance(payload, Typing)
        conversation = await self._conversation_of(client)
        await self.emit(
            "typing",
            {"conversation_id": conversation.id, "author": "shopper", "typing": payload.typing},
            to=agent_rooms(conversation),
            namespace="/agent",
        )
        return {}

    async def on_read_event(self, sid: str, client: ShopperClient, payload: Any) -> dict[str, Any]:
        assert isinstance(payload, Read)
        conversation = await self._conversation_of(client)
        seq = await self.services.conversations.mark_read(conversation, "shopper", payload.seq)
        event = {"conversation_id": conversation.id, "by": "shopper", "seq": seq}
        await self.emit("read", event, to=agent_rooms(conversation), namespace="/agent")
        await self.emit("read", event, to=shopper_room(conversation.shopper_id), skip_sid=sid)
        return {"seq": seq}


async def _with_feedback_given(
    store: Store, conversation_id: int, messages: list[dict[str, Any]]
) -> None:
    """Bot answers the shopper already gave feedback on no longer ask for it (after a reload,
    the widget would offer the buttons again): `feedback` false, and `helpful` as given."""
    asking = [m for m in messages if m.get("meta", {}).get("feedback")]
    if not asking:
        return
    given = await store.feedback_given(conversation_id, [m["seq"] for m in asking])
    for message in asking:
        if message["seq"] in given:
            message["meta"] = {
                **message["meta"],
                "feedback": False,
                "helpful": given[message["seq"]],
            }
