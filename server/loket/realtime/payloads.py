"""Schemas of the client events, as documented in docs/protocol.md."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
)
from pydantic_core import PydanticCustomError

from loket.conversations import SERVER_CLIENT_ID_PREFIXES
from loket.plaintext import BROKEN, is_plain, made_plain, without_direction


def _refuse_broken(value: Any) -> Any:
    # Before the string is validated: pydantic refuses a lone surrogate as no string at all.
    if isinstance(value, str):
        value = without_direction(value)
        if not is_plain(value):
            raise PydanticCustomError("invalid_text", BROKEN)
    return value


def _mend_broken(value: Any) -> Any:
    return made_plain(value) if isinstance(value, str) else value


def _not_the_servers(value: str) -> str:
    if value.startswith(SERVER_CLIENT_ID_PREFIXES):
        raise PydanticCustomError(
            "client_id_reserved",
            f"may not begin with {', '.join(SERVER_CLIENT_ID_PREFIXES)} (the server's own)",
        )
    return value


# Free text a person typed: refused with `invalid_text` when it breaks the text rule
# (loket.plaintext). Every free-text field of a client event is one.
Plain = BeforeValidator(_refuse_broken)
# What a page or a shop reports about itself (a page title, a customer's name): the
# characters the rule forbids are replaced by U+FFFD, so an odd title never stops a chat.
Mended = BeforeValidator(_mend_broken)

ClientId = Annotated[
    str,
    StringConstraints(pattern=r"^[A-Za-z0-9_.:-]{8,64}$"),
    AfterValidator(_not_the_servers),
]
# The length limit in characters is checked by the domain with its own error code;
# this bound only keeps absurd payloads out before that.
Text = Annotated[str, StringConstraints(max_length=200_000), Plain]
Seq = Annotated[int, Field(ge=0, le=2**53)]
ConversationId = Annotated[int, Field(ge=1, le=2**53)]
# The shopper's language as a browser states it ("nl", "en-GB", "de_AT"): the bot searches
# that language's FAQ entries first; texts are Dutch, German or else English (loket.languages).
Locale = Annotated[str, StringConstraints(pattern=r"^[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{1,8}){0,4}$")]
# Page and customer details: mended, never refused for their characters.
ShortText = Annotated[str, StringConstraints(max_length=500), Mended]


class Payload(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class Page(Payload):
    url: ShortText | None = None
    title: ShortText | None = None


class Customer(Payload):
    id: Annotated[str, StringConstraints(min_length=1, max_length=200), Plain]
    signature: Annotated[str, StringConstraints(pattern=r"^[0-9a-fA-F]{64}$")]
    # Unix seconds, with `security.customer_claims_expire` (signed with the id).
    expires: Annotated[int, Field(ge=0, le=2**53)] | None = None
    name: ShortText | None = None
    email: ShortText | None = None


class ShopperAuth(Payload):
    token: Annotated[str, StringConstraints(max_length=500)] | None = None
    customer: Customer | None = None
    locale: Locale | None = None
    page: Page | None = None


class AgentAuthPayload(Payload):
    token: Annotated[str, StringConstraints(max_length=500)] | None = None


class Sync(Payload):
    conversation_id: ConversationId | None = None
    after_seq: Seq = 0


class ShopperMessage(Payload):
    client_id: ClientId
    text: Text
    page: Page | None = None


class Typing(Payload):
    typing: bool


class Read(Payload):
    seq: Seq


class Empty(Payload):
    pass


class AgentMessage(Payload):
    conversation_id: ConversationId
    client_id: ClientId
    text: Text
    # The bot may give this reply to the same question from now on.
    reusable: bool = False


class ConversationRef(Payload):
    conversation_id: ConversationId


class CloseConversation(Payload):
    conversation_id: ConversationId
    # A summary for colleagues, kept as the conversation's note.
    summary: Annotated[str, StringConstraints(max_length=2000), Plain] | None = None


class OpenConversation(Payload):
    conversation_id: ConversationId
    after_seq: Seq = 0


class AgentTyping(Payload):
    conversation_id: ConversationId
    typing: bool


class AgentRead(Payload):
    conversation_id: ConversationId
    seq: Seq


class AgentStatus(Payload):
    status: Literal["online", "away"]


class Transfer(Payload):
    conversation_id: ConversationId
    # Another agent's id, or null for back to the queue: always given, so that a client
    # that left it out by mistake does not hand the conversation back unasked.
    to_agent_id: Annotated[int, Field(ge=1)] | None
    note: Annotated[str, StringConstraints(max_length=1000), Plain] | None = None


class Handoff(Payload):
    page: Page | None = None


Email = Annotated[
    str, StringConstraints(max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$"), Plain
]
# The fewest digits of a phone number anyone can be called back on ("06-1234" is none).
PHONE_MIN_DIGITS = 7


def _enough_digits(value: str) -> str:
    if sum(character.isdigit() for character in value) < PHONE_MIN_DIGITS:
        raise PydanticCustomError(
            "phone_digits", f"this is not a phone number (fewer than {PHONE_MIN_DIGITS} digits)"
        )
    return value


Phone = Annotated[
    str,
    StringConstraints(max_length=32, pattern=r"^\+?[0-9 ()./-]{6,30}$"),
    Plain,
    AfterValidator(_enough_digits),
]


class LeaveQuestion(Payload):
    client_id: ClientId
    text: Text
    email: Email | None = None
    phone: Phone | None = None


class Feedback(Payload):
    seq: Seq
    helpful: bool


class Rate(Payload):
    rating: Annotated[int, Field(ge=1, le=5)]
    comment: Annotated[str, StringConstraints(max_length=2000), Plain] | None = None


class FaqSearch(Payload):
    query: Annotated[str, StringConstraints(min_length=1, max_length=200), Plain]
