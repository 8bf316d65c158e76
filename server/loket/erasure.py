"""Forgetting a shopper on request (an erasure request): who is meant, what would go, and
the counts of what went. Shared by `loket shoppers forget` (server stopped) and the admin
API (server running, see `Conversations.forget_shoppers`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from loket.store import Store

# How a shopper may be named, as the admin API and the command line take it.
WAYS = ("email", "phone", "customer", "shopper", "conversation")


@dataclass(frozen=True, slots=True)
class Found:
    """The shoppers meant, each with how they were found ("vouched for by the shop", "given
    by the shop's page with customer <id>", "left with a question", "by number", "in that
    conversation"), and their conversations: those
    closed (to delete) and those still open (which stop the erasure until closed)."""

    shoppers: dict[int, str]
    closed: list[int]
    still_open: list[int]


async def find(store: Store, way: str, value: str | int) -> dict[int, str]:
    """The shoppers named by `value` taken `way` (one of WAYS), with how each was found."""
    if way in ("conversation", "shopper"):
        # An emptied row (the newest conversation, forgotten) holds nobody to find.
        if way == "conversation":
            conversation = await store.conversation(int(value))
            shopper_id, how = (
                (conversation.shopper_id if conversation else 0),
                "in that conversation",
            )
        else:
            shopper_id, how = int(value), "by number"
        shopper = await store.shopper_by_id(shopper_id) if shopper_id else None
        return {shopper.id: how} if shopper is not None and not shopper.forgotten else {}
    if way == "customer":
        return await store.shopper_ids_by(customer_id=str(value).strip())
    if way == "email":
        return await store.shopper_ids_by(email=str(value).strip())
    if way == "phone":
        return await store.shopper_ids_by(phone=str(value))
    raise ValueError(f"no way to find shoppers by {way!r}")


async def survey(store: Store, shoppers: Mapping[int, str], open_ids: set[int]) -> Found:
    """What forgetting `shoppers` would delete; `open_ids`, conversations a running server
    holds open that the store may not have as open yet."""
    closed, still_open = await store.forgettable(list(shoppers))
    both_open = sorted(set(still_open) | (set(closed) & open_ids))
    return Found(dict(shoppers), [c for c in closed if c not in open_ids], both_open)


async def erase(store: Store, found: Found) -> dict[str, int]:
    """Delete the closed conversations of `found` with all kept of them, and its shoppers
    left without a conversation; the counts deleted, by kind."""
    counts = await store.forget_conversations(found.closed)
    # A shopper who never wrote has no conversation to take them along.
    counts["shoppers"] = counts.get("shoppers", 0) + await store.forget_shoppers(
        list(found.shoppers)
    )
    return counts


# What each kind of count is called, one and several, in the order they are told.
_KINDS = {
    "shoppers": ("shopper", "shoppers"),
    "conversations": ("conversation", "conversations"),
    "messages": ("message", "messages"),
    "left_questions": ("left question", "left questions"),
    "ratings": ("rating", "ratings"),
    "feedback": ("bot answer rated", "bot answers rated"),
    "misses": ("missed question", "missed questions"),
    "learned": ("learned candidate", "learned candidates"),
    "passed_over": ("agent's pass", "agents' passes"),
}


def told(counts: Mapping[str, int]) -> str:
    """ "1 shopper, 3 conversations, 25 messages": what was deleted, by kind."""
    kinds = [*_KINDS, *sorted(set(counts) - set(_KINDS))]
    said = []
    for kind in kinds:
        number = counts.get(kind, 0)
        if number:
            one, several = _KINDS.get(kind, (kind.replace("_", " "),) * 2)
            said.append(f"{number} {one if number == 1 else several}")
    return ", ".join(said) or "nothing"
