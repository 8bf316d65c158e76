"""The admin API: only admins; learned answers reviewed, misses, FAQ errors and figures."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import aiohttp

from tests.conftest import AGENT_PASSWORD
from tests.inprocess import running
from tests.support import agent, call, login, new_client_id, shopper

ENDPOINTS = ["/api/admin/learned", "/api/admin/misses", "/api/admin/faq", "/api/admin/stats"]


async def _get(url: str, token: str | None) -> tuple[int, dict[str, Any]]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with aiohttp.ClientSession() as http, http.get(url, headers=headers) as response:
        return response.status, await response.json()


async def _post(url: str, token: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    headers = {"Authorization": f"Bearer {token}"}
    async with (
        aiohttp.ClientSession() as http,
        http.post(url, json=body, headers=headers) as response,
    ):
        return response.status, await response.json()


async def test_admin_api_needs_the_admin_role(config_path: Path) -> None:
    """Without a session every admin endpoint says 401; an agent without the role gets 403."""
    async with running(config_path) as live:
        anna = await login(live.url, "anna", AGENT_PASSWORD)
        for path in ENDPOINTS:
            status, body = await _get(live.url + path, None)
            assert status == 401 and body["error"]["code"] == "unauthorized"
            status, body = await _get(live.url + path, anna)
            assert status == 403 and body["error"]["code"] == "forbidden"
        status, _ = await _post(live.url + "/api/admin/learned/1", anna, {"action": "approve"})
        assert status == 403


async def test_admin_reviews_learned_answers(config_path: Path) -> None:
    """Candidates come grouped; personal data blocks approval until edited; then it answers."""
    async with running(config_path) as live:
        admin = await login(live.url, "admin", AGENT_PASSWORD)
        anna = await login(live.url, "anna", AGENT_PASSWORD)
        question = "Kunnen jullie de fietstas ook cadeau inpakken met een kaartje?"
        async with agent(live.url, anna) as (desk, _), shopper(live.url) as (widget, _):
            sent = await call(
                widget, "/shopper", "message", {"client_id": new_client_id(), "text": question}
            )
            ref = {"conversation_id": sent["conversation"]["id"]}
            ack = await call(
                desk,
                "/agent",
                "message",
                {
                    **ref,
                    "client_id": new_client_id(),
                    "text": "Jazeker, mail je kaarttekst naar anna@winkel.nl",
                },
            )
        learned_id = ack["learned"]["id"]
        status, body = await _get(live.url + "/api/admin/learned", admin)
        assert status == 200
        (group,) = body["groups"]
        assert group[0]["id"] == learned_id and group[0]["personal"] == ["email"]
        url = f"{live.url}/api/admin/learned/{learned_id}"
        status, body = await _post(url, admin, {"action": "approve"})
        assert status == 409 and body["error"]["code"] == "personal_data"
        # An edit that leaves nothing to match by is refused, and the pair stays a candidate.
        for bad, said in (
            ({"question": "x"}, "no word to match"),
            ({"question": "Hallo!"}, "only small talk"),
            ({"question": " "}, "question is empty"),
            ({"answer": "\n"}, "answer is empty"),
            ({"answer": 12}, "answer must be a string"),
        ):
            status, body = await _post(url, admin, {"action": "approve", **bad})
            assert status == 400 and body["error"]["code"] == "invalid_payload", body
            assert said in body["error"]["message"], body
        status, body = await _get(live.url + "/api/admin/learned", admin)
        assert body["groups"][0][0]["status"] == "candidate"
        edited = "Jazeker, vul bij het afrekenen je kaarttekst in, dan pakken we het cadeau in."
        status, body = await _post(url, admin, {"action": "approve", "answer": edited})
        assert status == 200 and body["learned"]["status"] == "approved"
        async with shopper(live.url, auth={"locale": "nl"}) as (widget, inbox):
            await call(
                widget, "/shopper", "message", {"client_id": new_client_id(), "text": question}
            )
            reply = await inbox.wait_for("message", lambda m: m["author"] == "bot")
            assert reply["text"] == edited


async def test_admin_sees_misses_faq_and_figures(config_path: Path) -> None:
    """Misses come grouped with counts, those asked in the most conversations first (one
    shopper asking three times is one), the FAQ status with errors, and figures of the
    week."""
    async with running(config_path) as live:
        admin = await login(live.url, "admin", AGENT_PASSWORD)
        async with shopper(live.url) as (widget, inbox):
            for _ in range(3):
                sent = await call(
                    widget,
                    "/shopper",
                    "message",
                    {"client_id": new_client_id(), "text": "Qwertz frobnicate?"},
                )
                seq = sent["message"]["seq"]
                await inbox.wait_for(
                    "message",
                    lambda m: m["meta"].get("question_seq") == seq,  # noqa: B023
                )
        for text in ("Xyzzy plugh vraag?", "xyzzy plugh vraag"):
            async with shopper(live.url) as (widget, inbox):
                await call(
                    widget, "/shopper", "message", {"client_id": new_client_id(), "text": text}
                )
                await inbox.wait_for("message", lambda m: m["author"] == "bot")
        anna = await login(live.url, "anna", AGENT_PASSWORD)
        async with agent(live.url, anna) as (desk, _), shopper(live.url) as (widget, _):
            sent = await call(
                widget, "/shopper", "message", {"client_id": new_client_id(), "text": "hoi"}
            )
            ref = {"conversation_id": sent["conversation"]["id"]}
            await call(
                desk, "/agent", "message", {**ref, "client_id": new_client_id(), "text": "Hallo!"}
            )
            await call(desk, "/agent", "close", ref)
            await call(widget, "/shopper", "rate", {"rating": 4})

        status, body = await _get(live.url + "/api/admin/misses", admin)
        assert status == 200
        first, second = body["groups"][:2]
        assert (first["count"], first["conversations"]) == (2, 2), first
        assert (second["count"], second["conversations"]) == (3, 1), second
        assert "xyzzy" in first["question"].lower() and "Qwertz" in second["question"]
        status, body = await _get(live.url + "/api/admin/faq", admin)
        assert body["entries"] >= 80 and body["errors"] == []
        status, body = await _get(live.url + "/api/admin/stats?days=7", admin)
        assert status == 200 and body["conversations"] == 4
        assert body["answered_by"]["agents"] == round(1 / 4, 3)
        assert body["answered_by"]["nobody"] == round(3 / 4, 3)
        assert body["median_first_response_seconds"] is not None
        assert sum(body["per_hour"]) == 4 and sum(body["per_weekday"]) == 4
        assert body["ratings"] == {
            "count": 1,
            "average": 4.0,
            "distribution": {"1": 0, "2": 0, "3": 0, "4": 1, "5": 0},
        }
        status, body = await _get(live.url + "/api/admin/stats?days=abc", admin)
        assert status == 400
