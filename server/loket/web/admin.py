"""The admin API: learned answers to review, missed questions, FAQ errors, figures."""

from __future__ import annotations

import statistics
from collections import Counter
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from loket import erasure
from loket.auth import AgentSession
from loket.bot.learning import (
    answered_now,
    askers,
    edit_problem,
    edited_text,
    group_similar,
    missed_groups,
    misses_by_question,
    other_wordings,
    personal_data_to_approve,
    with_personal_checked,
)
from loket.bot.matcher import match_async
from loket.errors import LoketError
from loket.keys import SERVICES
from loket.store import LearnedRecord, MissRecord
from loket.web.http import current_session, read_json

DAY_MS = 86_400_000


async def require_admin(request: web.Request) -> AgentSession:
    """The session of an admin; 401 without a session, 403 for an agent without the role."""
    session = await current_session(request)
    if not session.agent.is_admin:
        raise LoketError("forbidden", "This needs the admin role.")
    return session


def _days(request: web.Request, default: float) -> float:
    raw = request.query.get("days", str(default))
    try:
        days = float(raw)
    except ValueError:
        raise LoketError("invalid_payload", "days must be a number.") from None
    if not 0 < days <= 3650:
        raise LoketError("invalid_payload", "days must be between 0 and 3650.")
    return days


def _learned_view(record: LearnedRecord, agent_names: dict[int, str]) -> dict[str, Any]:
    return {
        "id": record.id,
        "question": record.question,
        "answer": record.answer,
        "language": record.language,
        "status": record.status,
        "personal": list(record.personal or ()),
        "agent": agent_names.get(record.agent_id) if record.agent_id else None,
        "conversation_id": record.conversation_id,
        "created_at": record.created_at,
        "reviewed_by": record.reviewed_by,
    }


async def learned_list(request: web.Request) -> web.Response:
    await require_admin(request)
    services = request.app[SERVICES]
    status = request.query.get("status", "candidate")
    if status not in ("candidate", "approved", "rejected"):
        raise LoketError("invalid_payload", "status is candidate, approved or rejected.")
    records = await with_personal_checked(
        services.store, await services.store.learned_by_status(status)
    )
    names = {a.id: a.display_name for a in await services.store.list_agents()}
    groups = group_similar(records, lambda r: r.question)
    return web.json_response(
        {"ok": True, "groups": [[_learned_view(r, names) for r in group] for group in groups]}
    )


def _row_id(text: str) -> int | None:
    """A stored row's id as written in a path: digits, within SQLite's integers."""
    if not text.isascii() or not text.isdigit() or len(text) > 18:
        return None
    return int(text) or None


async def learned_review(request: web.Request) -> web.Response:
    session = await require_admin(request)
    services = request.app[SERVICES]
    learned_id = _row_id(request.match_info["id"])
    if learned_id is None:
        raise LoketError("not_found", "No such learned answer.")
    data = await read_json(request)
    action = data.get("action")
    if action not in ("approve", "reject"):
        raise LoketError("invalid_payload", "action is 'approve' or 'reject'.")
    question, answer, force = data.get("question"), data.get("answer"), data.get("force", False)
    for name, value in (("question", question), ("answer", answer)):
        if value is not None and not isinstance(value, str):
            raise LoketError("invalid_payload", f"{name} must be a string.")
    if not isinstance(force, bool):
        raise LoketError("invalid_payload", "force must be true or false.")
    record = await services.store.learned(learned_id)
    if record is None:
        raise LoketError("not_found", "No such learned answer.")
    problem = edit_problem(question, answer)
    if problem is not None:
        raise LoketError("invalid_payload", f"{problem[0].upper()}{problem[1:]}.")
    question, answer = edited_text(question), edited_text(answer)
    personal: list[str] | None = None
    if action == "approve":
        personal = await personal_data_to_approve(services.store, record, question, answer)
        if personal and not force:
            raise LoketError(
                "personal_data",
                "This answer holds personal data; edit it, or approve with force.",
                personal=personal,
            )
    updated = await services.store.review_learned(
        learned_id,
        status="approved" if action == "approve" else "rejected",
        reviewer=session.agent.name,
        now=int(services.clock() * 1000),
        question=question,
        answer=answer,
        personal=personal,
    )
    assert updated is not None
    (updated,) = await with_personal_checked(services.store, [updated])
    if services.learning is not None:
        await services.learning.refresh()
    names = {a.id: a.display_name for a in await services.store.list_agents()}
    return web.json_response({"ok": True, "learned": _learned_view(updated, names)})


async def misses(request: web.Request) -> web.Response:
    await require_admin(request)
    services = request.app[SERVICES]
    since = int(services.clock() * 1000 - _days(request, 30) * DAY_MS)
    found = await services.store.misses_since(since)
    # Questions the bot now answers (an entry or an approved learned answer came since)
    # are counted, not listed: the list is what is still to do.
    fixed: list[list[MissRecord]] = []
    if services.bot is not None:
        matcher = services.bot.matcher
        for asked in misses_by_question(found):
            said = await match_async(matcher, asked[0].question, asked[0].language)
            if answered_now(said, asked):
                fixed.append(asked)
    done = {id(miss) for asked in fixed for miss in asked}
    groups = missed_groups([m for m in found if id(m) not in done])
    return web.json_response(
        {
            "ok": True,
            "groups": [
                {
                    "count": len(group),
                    "conversations": askers(group),
                    "question": group[0].question,
                    "reasons": sorted({m.reason for m in group}),
                    "examples": other_wordings([m.question for m in group], 5),
                    "last_at": max(m.created_at for m in group),
                }
                for group in groups
            ],
            "answered_now": {"questions": len(fixed), "asked": len(done)},
        }
    )


async def faq_status(request: web.Request) -> web.Response:
    await require_admin(request)
    bot = request.app[SERVICES].bot
    if bot is None:
        return web.json_response({"ok": True, "entries": 0, "errors": []})
    health = await bot.health()
    return web.json_response({"ok": True, "entries": health["entries"], "errors": health["errors"]})


async def stats(request: web.Request) -> web.Response:
    """Conversations per hour and weekday, who answered them, first response, ratings."""
    await require_admin(request)
    services = request.app[SERVICES]
    days = _days(request, 7)
    since = int(services.clock() * 1000 - days * DAY_MS)
    rows = await services.store.conversation_figures(since)
    zone = services.conversations.timezone
    per_hour = [0] * 24
    per_weekday = [0] * 7
    answered: Counter[str] = Counter()
    first_responses: list[float] = []
    for row in rows:
        local = datetime.fromtimestamp(row["created_at"] / 1000, UTC).astimezone(zone)
        per_hour[local.hour] += 1
        per_weekday[local.weekday()] += 1
        if row["first_agent"] is not None:
            answered["agents"] += 1
            if row["first_shopper"] is not None and row["first_agent"] >= row["first_shopper"]:
                first_responses.append((row["first_agent"] - row["first_shopper"]) / 1000)
        elif row["bot_answers"]:
            answered["bot"] += 1
        else:
            answered["nobody"] += 1
    total = len(rows)
    ratings = await services.store.rating_figures(since)
    return web.json_response(
        {
            "ok": True,
            "days": days,
            "conversations": total,
            "per_hour": per_hour,
            "per_weekday": per_weekday,
            "answered_by": {
                key: round(answered[key] / total, 3) if total else 0.0
                for key in ("agents", "bot", "nobody")
            },
            "median_first_response_seconds": (
                round(statistics.median(first_responses), 1) if first_responses else None
            ),
            "ratings": ratings,
        }
    )


# The largest number taken: one a browser holds exactly (and SQLite takes).
_MAX_NUMBER = 2**53 - 1
# The longest e-mail address or customer id looked for.
_MAX_KEY_CHARS = 320


def _numbers(value: Any, name: str) -> list[int]:
    if not isinstance(value, list) or not all(
        isinstance(n, int) and not isinstance(n, bool) for n in value
    ):
        raise LoketError("invalid_payload", f"expected.{name} must be a list of numbers.")
    return value


async def forget(request: web.Request) -> web.Response:
    """An erasure request: who is meant and what would go, and with `confirm` deleted."""
    session = await require_admin(request)
    services = request.app[SERVICES]
    data = await read_json(request)
    given = [way for way in erasure.WAYS if data.get(way) is not None]
    if len(given) != 1:
        raise LoketError(
            "invalid_payload", "Give one of email, phone, customer, shopper or conversation."
        )
    (way,) = given
    value = data[way]
    if way in ("shopper", "conversation"):
        if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= _MAX_NUMBER:
            raise LoketError("invalid_payload", f"{way} must be a whole number from 1.")
    elif not isinstance(value, str) or not value.strip():
        raise LoketError("invalid_payload", f"{way} must be a non-empty string.")
    elif len(value) > _MAX_KEY_CHARS:
        raise LoketError("invalid_payload", f"{way} is longer than {_MAX_KEY_CHARS} characters.")
    elif way == "phone" and sum(c.isdigit() for c in value) < 7:
        raise LoketError("invalid_payload", "phone must have at least 7 digits.")
    confirm = data.get("confirm", False)
    if not isinstance(confirm, bool):
        raise LoketError("invalid_payload", "confirm must be true or false.")
    expected = data.get("expected")
    if expected is not None:
        if not isinstance(expected, dict):
            raise LoketError("invalid_payload", "expected must be an object.")
        expected = (
            _numbers(expected.get("shoppers"), "shoppers"),
            _numbers(expected.get("conversations"), "conversations"),
        )
    shoppers = await erasure.find(services.store, way, value)
    conversations = services.conversations
    deleted: dict[str, int] | None = None
    if shoppers and confirm:
        found, deleted = await conversations.forget_shoppers(
            shoppers, by=session.agent.name, expected=expected
        )
    elif shoppers:
        found = await erasure.survey(
            services.store, shoppers, {c.id for c in conversations.open_conversations()}
        )
    if not shoppers or not found.shoppers:
        raise LoketError("not_found", "No shopper found.")
    if confirm and found.still_open:
        raise LoketError(
            "conversation_open",
            "Close their open conversations first.",
            conversations=found.still_open,
        )
    return web.json_response(
        {
            "ok": True,
            "shoppers": [{"id": key, "how": how} for key, how in found.shoppers.items()],
            "conversations": found.closed,
            "open": found.still_open,
            "deleted": deleted,
            "told": erasure.told(deleted) if deleted is not None else None,
        }
    )


def add_routes(app: web.Application) -> None:
    app.router.add_post("/api/admin/forget", forget)
    app.router.add_get("/api/admin/learned", learned_list)
    app.router.add_post("/api/admin/learned/{id}", learned_review)
    app.router.add_get("/api/admin/misses", misses)
    app.router.add_get("/api/admin/faq", faq_status)
    app.router.add_get("/api/admin/stats", stats)
