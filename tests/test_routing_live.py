"""Routing with real clients: assignment, capacity and the queue, timeouts, off-hours."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import shutil
import sqlite3
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import socketio

from loket.keys import SIO
from tests.conftest import AGENT_PASSWORD
from tests.inprocess import FakeClock, RunningServer, running
from tests.support import (
    Inbox,
    agent,
    call,
    login,
    new_client_id,
    run_loket,
    shopper,
    write_config,
)

ROUTING = """
[hours]
timezone = "Europe/Amsterdam"
monday = ["09:00-17:00"]
tuesday = ["09:00-17:00"]
wednesday = ["09:00-17:00"]
thursday = ["09:00-17:00"]
friday = ["09:00-17:00"]

[routing]
max_conversations_per_agent = 1
agent_answer_timeout_seconds = 60
disconnect_grace_seconds = 30
queue_timeout_seconds = 600
"""

# Wednesday 25 November 2026, 10:00 in Amsterdam (09:00 UTC): staffed.
WEDNESDAY_MORNING = datetime(2026, 11, 25, 9, 0, tzinfo=UTC).timestamp()
# The same day, 20:00 in Amsterdam: closed until Thursday 09:00.
WEDNESDAY_EVENING = datetime(2026, 11, 25, 19, 0, tzinfo=UTC).timestamp()


@pytest.fixture
def routing_config(tmp_path: Path, seeded_data: Path) -> Path:
    shutil.copytree(seeded_data, tmp_path / "shop" / "data")
    return write_config(tmp_path / "shop", ROUTING)


@pytest.fixture
async def live(routing_config: Path) -> AsyncIterator[tuple[RunningServer, FakeClock]]:
    clock = FakeClock(WEDNESDAY_MORNING)
    async with running(routing_config, clock) as server:
        yield server, clock


@contextlib.asynccontextmanager
async def anna_and_bram(url: str) -> AsyncIterator[None]:
    """Both agents logged in, their consoles connected: online."""
    anna = await login(url, "anna", AGENT_PASSWORD)
    bram = await login(url, "bram", AGENT_PASSWORD)
    async with agent(url, anna), agent(url, bram):
        yield


@contextlib.asynccontextmanager
async def anna_and_bram_desks(url: str) -> AsyncIterator[tuple[Any, Any]]:
    """Both agents online: anna's console and bram's."""
    anna = await login(url, "anna", AGENT_PASSWORD)
    bram = await login(url, "bram", AGENT_PASSWORD)
    async with agent(url, anna) as (anna_desk, _), agent(url, bram) as (bram_desk, _):
        yield anna_desk, bram_desk


@contextlib.asynccontextmanager
async def anna_with_a_shopper(url: str) -> AsyncIterator[tuple[Any, Any, Any, dict[str, int]]]:
    """anna online and given a shopper's conversation: her console, the shopper's widget and
    inbox, and the conversation's reference."""
    anna = await login(url, "anna", AGENT_PASSWORD)
    async with agent(url, anna) as (desk, _), shopper(url) as (widget, widget_inbox):
        sent = await _say(widget, "retour")
        yield desk, widget, widget_inbox, {"conversation_id": sent["conversation"]["id"]}


@contextlib.asynccontextmanager
async def anna_busy_and_a_shopper_waiting(url: str) -> AsyncIterator[tuple[Any, Any, Any]]:
    """anna online with one shopper's conversation, answered (her whole capacity), and a
    second shopper in the queue: her console, the waiting shopper's widget and inbox."""
    anna = await login(url, "anna", AGENT_PASSWORD)
    async with (
        agent(url, anna) as (desk, _),
        shopper(url) as (served, _),
        shopper(url) as (waiting, inbox),
    ):
        busy = await _say(served, "eerst")
        reply = {"conversation_id": busy["conversation"]["id"], "client_id": new_client_id()}
        assert (await call(desk, "/agent", "message", {**reply, "text": "Ik kijk even."}))["ok"]
        assert (await _say(waiting, "tweede"))["conversation"]["state"] == "queued"
        yield desk, waiting, inbox


async def _log_out(url: str, token: str) -> None:
    """The agent of `token` logs out, as the console's button does."""
    async with (
        aiohttp.ClientSession() as http,
        http.post(f"{url}/api/logout", headers={"Authorization": f"Bearer {token}"}) as response,
    ):
        assert response.status == 200


async def _say(widget: object, text: str) -> dict:  # type: ignore[type-arg]
    return await call(widget, "/shopper", "message", {"client_id": new_client_id(), "text": text})  # type: ignore[arg-type]


async def _bot_reply(widget: Any, inbox: Any, text: str) -> dict[str, Any]:
    """Say `text`, and the bot's reply to it."""
    sent = await _say(widget, text)
    reply: dict[str, Any] = await inbox.wait_for(
        "message",
        lambda m: m["author"] == "bot" and m["meta"].get("question_seq") == sent["message"]["seq"],
    )
    return reply


async def test_new_conversation_goes_to_the_least_loaded_agent(
    live: tuple[RunningServer, FakeClock],
) -> None:
    """With two agents online, two shoppers get one agent each."""
    server, _ = live
    anna = await login(server.url, "anna", AGENT_PASSWORD)
    bram = await login(server.url, "bram", AGENT_PASSWORD)
    async with (
        agent(server.url, anna) as _,
        agent(server.url, bram) as _,
        shopper(server.url) as (one, _),
        shopper(server.url) as (two, _),
    ):
        first = await _say(one, "vraag een")
        second = await _say(two, "vraag twee")
        agents = {
            first["conversation"]["agent"]["name"],
            second["conversation"]["agent"]["name"],
        }
        assert agents == {"anna", "bram"}


async def test_full_agents_mean_a_queue_with_positions_that_move(
    live: tuple[RunningServer, FakeClock],
) -> None:
    """Past capacity shoppers wait in order, see their place, and move up as agents free up."""
    server, _ = live
    token = await login(server.url, "anna", AGENT_PASSWORD)
    async with (
        agent(server.url, token) as (desk, _),
        shopper(server.url) as (first, _),
        shopper(server.url) as (second, second_inbox),
        shopper(server.url) as (third, third_inbox),
    ):
        served = await _say(first, "ik ben eerst")
        assert served["conversation"]["state"] == "assigned"
        waiting = await _say(second, "ik ben tweede")
        assert waiting["conversation"]["state"] == "queued"
        await _say(third, "ik ben derde")
        place = await third_inbox.wait_for("queue", lambda q: q["position"] == 2)
        assert place["wait_seconds"] > 0
        synced = await call(third, "/shopper", "sync")
        assert synced["queue"]["position"] == 2

        await call(desk, "/agent", "close", {"conversation_id": served["conversation"]["id"]})
        # The head of the queue goes to the agent at once; the rest move up.
        taken = await second_inbox.wait_for("conversation", lambda c: c["state"] == "assigned")
        assert taken["agent"]["name"] == "anna"
        await third_inbox.wait_for("queue", lambda q: q["position"] == 1)


async def test_agent_who_stays_silent_loses_the_conversation(
    live: tuple[RunningServer, FakeClock],
) -> None:
    """An assigned agent who does not answer in time loses the conversation to another agent."""
    server, clock = live
    anna = await login(server.url, "anna", AGENT_PASSWORD)
    bram = await login(server.url, "bram", AGENT_PASSWORD)
    async with agent(server.url, anna) as _, shopper(server.url) as (widget, widget_inbox):
        sent = await _say(widget, "hallo?")
        assert sent["conversation"]["agent"]["name"] == "anna"
        async with agent(server.url, bram) as _:
            clock.advance(30)
            await server.services.conversations.tick()
            assert (await call(widget, "/shopper", "sync"))["conversation"]["agent"][
                "name"
            ] == "anna"
            clock.advance(31)
            await server.services.conversations.tick()
            moved = await widget_inbox.wait_for(
                "conversation", lambda c: c["agent"] and c["agent"]["name"] == "bram"
            )
            assert moved["state"] == "assigned"


async def test_the_only_agent_who_stayed_silent_gets_the_shopper_back_once(
    live: tuple[RunningServer, FakeClock],
) -> None:
    """anna, the only agent online, does not answer in time: the shopper goes back to the
    queue, and anna is passed over for as long again; if nobody took the shopper meanwhile,
    anna is given them once more rather than the shopper waiting for nobody until the queue
    gives up. Missing it again, she stays passed over: the shopper is not bounced between
    her and the queue until then. Nor in the lines they read: with nobody else to be given
    the chat, the first miss is not told as waiting for "the next colleague" (only their
    place in the queue shows), and anna's second chance is not announced again; the
    second miss is told."""
    server, clock = live
    conversations = server.services.conversations
    anna = await login(server.url, "anna", AGENT_PASSWORD)
    async with agent(server.url, anna), shopper(server.url) as (widget, inbox):
        sent = await _say(widget, "hallo?")
        conversation = await conversations.get(sent["conversation"]["id"])
        assert sent["conversation"]["agent"]["name"] == "anna"
        clock.advance(61)
        await conversations.tick()
        await inbox.wait_for("conversation", lambda c: c["state"] == "queued")
        await inbox.wait_for("queue", lambda q: q["position"] == 1)
        clock.advance(59)
        await conversations.tick()
        assert conversation.state.value == "queued"
        clock.advance(2)
        await conversations.tick()
        back = await inbox.wait_for("conversation", lambda c: c["state"] == "assigned")
        assert back["agent"]["name"] == "anna"
        clock.advance(61)
        await conversations.tick()
        assert conversation.state.value == "queued"
        for _ in range(3):
            clock.advance(61)
            await conversations.tick()
            assert conversation.state.value == "queued"
        await conversations.drain()
        synced = await call(widget, "/shopper", "sync")
    lines = [m["text"] for m in synced["messages"] if m["author"] == "system"]
    told = "anna kan je nu even niet verder helpen; je staat in de rij voor de volgende collega."
    assert lines == ["anna helpt je verder.", told], lines


async def test_a_silent_agent_handed_a_chat_by_the_only_colleague_is_not_bounced_in_lines(
    live: tuple[RunningServer, FakeClock],
) -> None:
    """anna hands a shopper to bram and is passed over for it; bram stays silent. Nobody
    online could be given it but bram, so the shopper is not told they wait for "the next
    colleague", and bram's second chance is not announced again. (Handed back to the
    queue on purpose, the line is written: see the transfer test.)"""
    server, clock = live
    conversations = server.services.conversations
    async with (
        anna_and_bram_desks(server.url) as (anna_desk, bram_desk),
        shopper(server.url) as (widget, _),
    ):
        ids = {
            (await call(desk, "/agent", "sync"))["agent"]["id"]: desk
            for desk in (anna_desk, bram_desk)
        }
        sent = await _say(widget, "hallo?")
        ref = {"conversation_id": sent["conversation"]["id"]}
        conversation = await conversations.get(ref["conversation_id"])
        first = conversation.agent_id
        (second,) = set(ids) - {first}
        moved = await call(ids[first], "/agent", "transfer", {**ref, "to_agent_id": second})
        assert moved["ok"], moved
        clock.advance(61)
        await conversations.tick()
        assert conversation.state.value == "queued"
        clock.advance(61)
        await conversations.tick()
        assert conversation.state.value == "assigned" and conversation.agent_id == second
        await conversations.drain()
        synced = await call(widget, "/shopper", "sync")
    lines = [m["text"] for m in synced["messages"] if m["author"] == "system"]
    assert len(lines) == 2 and all(line.endswith("helpt je verder.") for line in lines), lines


async def test_a_silent_agent_waits_for_a_busy_colleague_and_one_who_handed_it_back_stays_out(
    live: tuple[RunningServer, FakeClock],
) -> None:
    """anna does not answer; bram, who could take the shopper, is busy: the shopper waits
    for him rather than going back to anna. bram takes it and hands it to anna, who hands
    it back to the queue: she passed it over on purpose, and is not given it again."""
    server, clock = live
    conversations = server.services.conversations
    async with (
        anna_and_bram_desks(server.url) as (anna_desk, bram_desk),
        shopper(server.url) as (busy_widget, _),
        shopper(server.url) as (widget, inbox),
    ):
        bram_id = (await call(bram_desk, "/agent", "sync"))["agent"]["id"]
        anna_id = (await call(anna_desk, "/agent", "sync"))["agent"]["id"]
        first = await _say(busy_widget, "eerst")
        sent = await _say(widget, "hallo?")
        ref = {"conversation_id": sent["conversation"]["id"]}
        conversation = await conversations.get(ref["conversation_id"])
        # One of them has each; the one with this shopper stays silent, the other answers.
        silent = conversation.agent_id
        other_desk = bram_desk if silent == anna_id else anna_desk
        first_ref = {"conversation_id": first["conversation"]["id"]}
        reply = {**first_ref, "client_id": new_client_id(), "text": "Ik kijk even voor je."}
        assert (await call(other_desk, "/agent", "message", reply))["ok"]
        clock.advance(61)
        await conversations.tick()
        assert conversation.state.value == "queued"
        # A colleague is online: the shopper waits for them, and is told so.
        gave_up = await inbox.wait_for(
            "message", lambda m: m["author"] == "system" and m["seq"] > 2
        )
        assert gave_up["text"].endswith("je staat in de rij voor de volgende collega."), gave_up
        clock.advance(121)
        await conversations.tick()
        assert conversation.state.value == "queued", "given back while a colleague will come"
        # The colleague closes their chat and gets the waiting shopper.
        assert (await call(other_desk, "/agent", "close", first_ref))["ok"]
        await inbox.wait_for("conversation", lambda c: c["state"] == "assigned")
        assert conversation.agent_id not in (None, silent)
        # Handed to the silent agent, who hands it back to the queue.
        to_silent = {**ref, "to_agent_id": silent}
        assert (await call(other_desk, "/agent", "transfer", to_silent))["ok"]
        silent_desk = anna_desk if silent == anna_id else bram_desk
        assert (await call(silent_desk, "/agent", "transfer", {**ref, "to_agent_id": None}))["ok"]
        for _ in range(3):
            clock.advance(121)
            await conversations.tick()
            assert conversation.state.value == "queued"
        assert bram_id != anna_id


async def test_a_closed_conversation_that_reopens_into_the_queue_says_nobody_left(
    live: tuple[RunningServer, FakeClock],
) -> None:
    """anna answered and closed; the shopper writes again while she is busy: they wait in
    the queue, and no line says anna can no longer help them (she closed it). When anna
    has room again and takes them, a line says so again: the conversation shows where it
    started anew."""
    server, _ = live
    conversations = server.services.conversations
    async with anna_with_a_shopper(server.url) as (desk, widget, inbox, ref):
        reply = {**ref, "client_id": new_client_id(), "text": "Retourneren kan binnen 30 dagen."}
        assert (await call(desk, "/agent", "message", reply))["ok"]
        assert (await call(desk, "/agent", "close", ref))["ok"]
        async with shopper(server.url) as (other, _):
            taken = await _say(other, "Nog een vraag")
            assert taken["conversation"]["agent"]["name"] == "anna"
            again = await _say(widget, "En ruilen?")
            assert again["conversation"]["state"] == "queued"
            await conversations.drain()
            lines = [m["text"] for m in inbox.of("message") if m["author"] == "system"]
            assert lines == ["anna helpt je verder."], lines
            other_ref = {"conversation_id": taken["conversation"]["id"]}
            assert (await call(desk, "/agent", "close", other_ref))["ok"]
        await inbox.wait_for(
            "message", lambda m: m["text"] == "anna helpt je verder." and m["seq"] > 2
        )


@pytest.mark.parametrize("unanswered", ["by the bot", "by the agent"])
async def test_a_shopper_back_after_a_close_waits_in_the_queue_from_their_new_message(
    live: tuple[RunningServer, FakeClock], unanswered: str
) -> None:
    """A conversation closed while the shopper's last message had no agent's reply (only
    the bot answered it and it went quiet, or the agent closed on it) is reopened an hour
    later by a new message while every agent is busy: the shopper waits in the queue from
    that message, behind the shopper who came before, and is not handed to the bot at once
    as if they had waited since the old one."""
    server, clock = live
    conversations = server.services.conversations
    anna = await login(server.url, "anna", AGENT_PASSWORD)
    async with shopper(server.url) as (widget, inbox):
        if unanswered == "by the bot":
            asked = await _bot_reply(widget, inbox, "Hoe lang duurt de levering?")
            conversation_id = asked["conversation_id"]
            clock.advance(61 * 60)  # past bot_idle_close_minutes (60)
            await conversations.tick()
        else:
            async with agent(server.url, anna) as (desk, _):
                sent = await _say(widget, "retour")
                assert sent["conversation"]["agent"]["name"] == "anna"
                conversation_id = sent["conversation"]["id"]
                ref = {"conversation_id": conversation_id}
                assert (await call(desk, "/agent", "close", ref))["ok"]
            clock.advance(61 * 60)
        conversation = await conversations.get(conversation_id)
        assert conversation.state.value == "closed"
        async with anna_busy_and_a_shopper_waiting(server.url):
            clock.advance(1)
            again = await _say(widget, "Ik heb nog een vraag")
            assert again["conversation"]["id"] == conversation_id
            assert again["conversation"]["state"] == "queued"
            await inbox.wait_for("queue", lambda q: q["position"] == 2)
            clock.advance(300)
            await conversations.tick()
            assert conversation.state.value == "queued" and not conversation.queue_gave_up
            await conversations.drain()
            kinds = [(m.get("meta") or {}).get("kind") for m in inbox.of("message")]
            assert "notice" not in kinds, inbox.of("message")
            clock.advance(301)  # the queue's ten minutes, from the new message
            await conversations.tick()
            assert conversation.state.value == "bot" and conversation.queue_gave_up


async def test_agent_who_is_typing_the_answer_keeps_the_conversation(
    live: tuple[RunningServer, FakeClock],
) -> None:
    """Typing counts: an agent still writing a long answer when the answer time is up keeps
    the conversation, until they have not typed for that long."""
    server, clock = live
    anna = await login(server.url, "anna", AGENT_PASSWORD)
    bram = await login(server.url, "bram", AGENT_PASSWORD)
    async with (
        agent(server.url, anna) as (desk, _),
        shopper(server.url) as (widget, widget_inbox),
    ):
        sent = await _say(widget, "hallo?")
        ref = {"conversation_id": sent["conversation"]["id"]}
        async with agent(server.url, bram) as _:
            for _ in range(4):  # 80 s, typing every 20 s (the console says so every few)
                clock.advance(20)
                await call(desk, "/agent", "typing", {**ref, "typing": True})
                await server.services.conversations.tick()
            synced = await call(widget, "/shopper", "sync")
            assert synced["conversation"]["agent"]["name"] == "anna"
            await call(desk, "/agent", "typing", {**ref, "typing": False})
            clock.advance(61)
            await server.services.conversations.tick()
            await widget_inbox.wait_for(
                "conversation", lambda c: c["agent"] and c["agent"]["name"] == "bram"
            )


async def test_agent_who_answers_keeps_the_conversation(
    live: tuple[RunningServer, FakeClock],
) -> None:
    """An agent who replied in time keeps the conversation past the answer timeout."""
    server, clock = live
    anna = await login(server.url, "anna", AGENT_PASSWORD)
    async with agent(server.url, anna) as (desk, _), shopper(server.url) as (widget, _):
        sent = await _say(widget, "hallo?")
        ref = {"conversation_id": sent["conversation"]["id"]}
        await call(desk, "/agent", "message", {**ref, "client_id": new_client_id(), "text": "Hoi!"})
        clock.advance(600)
        await server.services.conversations.tick()
        synced = await call(widget, "/shopper", "sync")
        assert synced["conversation"]["state"] == "assigned"


async def test_disconnected_agent_requeued_after_grace_not_on_quick_reconnect(
    live: tuple[RunningServer, FakeClock],
) -> None:
    """A reload keeps the agent's conversations; staying away past the grace period does not."""
    server, clock = live
    anna = await login(server.url, "anna", AGENT_PASSWORD)
    bram = await login(server.url, "bram", AGENT_PASSWORD)
    async with shopper(server.url) as (widget, widget_inbox):
        async with agent(server.url, anna) as (desk, _):
            sent = await _say(widget, "hallo")
            ref = {"conversation_id": sent["conversation"]["id"]}
            await call(
                desk, "/agent", "message", {**ref, "client_id": new_client_id(), "text": "Hoi"}
            )
        # A reload: gone for 10 seconds, then back.
        clock.advance(10)
        await server.services.conversations.tick()
        async with agent(server.url, anna) as (desk, _):
            synced = await call(desk, "/agent", "sync")
            (mine,) = [c for c in synced["conversations"] if c["id"] == ref["conversation_id"]]
            assert mine["agent"]["name"] == "anna"
        # Gone for good: after the grace period the conversation goes to someone else.
        async with agent(server.url, bram) as _:
            clock.advance(31)
            await server.services.conversations.tick()
            moved = await widget_inbox.wait_for(
                "conversation", lambda c: c["agent"] and c["agent"]["name"] == "bram"
            )
            assert moved["state"] == "assigned"


async def test_an_agent_who_logs_out_is_gone_at_once_not_after_the_grace(
    live: tuple[RunningServer, FakeClock],
) -> None:
    """Logging out is no lost connection: the agent's conversation goes to a colleague at
    the next tick, with no time passing (a lost connection keeps it for the grace)."""
    server, _ = live
    anna = await login(server.url, "anna", AGENT_PASSWORD)
    bram = await login(server.url, "bram", AGENT_PASSWORD)
    async with shopper(server.url) as (widget, widget_inbox), agent(server.url, anna):
        sent = await _say(widget, "hallo")
        assert sent["conversation"]["agent"]["name"] == "anna"
        await _log_out(server.url, anna)
        async with agent(server.url, bram):
            await server.services.conversations.tick()
            moved = await widget_inbox.wait_for(
                "conversation", lambda c: c["agent"] and c["agent"]["name"] == "bram"
            )
            assert moved["state"] == "assigned"


async def test_an_agent_back_after_being_gone_is_given_her_waiting_shopper_again(
    live: tuple[RunningServer, FakeClock],
) -> None:
    """anna logs out while bram is full: her shopper waits in the queue. When she logs in
    again she is not passed over for it (she did not hand it on, and the shopper talked to
    her): it is hers again rather than waiting for bram while she sits idle."""
    server, _ = live
    bram = await login(server.url, "bram", AGENT_PASSWORD)
    async with (
        agent(server.url, bram),
        shopper(server.url) as (hers, inbox),
        shopper(server.url) as (his, _),
    ):
        anna = await login(server.url, "anna", AGENT_PASSWORD)
        async with agent(server.url, anna):
            sent = await _say(hers, "hallo")
            assert sent["conversation"]["agent"]["name"] == "anna"
            assert (await _say(his, "hoi"))["conversation"]["agent"]["name"] == "bram"
            await _log_out(server.url, anna)
        await server.services.conversations.tick()
        await inbox.wait_for("conversation", lambda c: c["state"] == "queued")
        seen = len(inbox.of("conversation"))
        async with agent(server.url, await login(server.url, "anna", AGENT_PASSWORD)):
            await inbox.wait_for("conversation", lambda c: len(inbox.of("conversation")) > seen)
            back = inbox.of("conversation")[seen]
            assert (back["state"], back["agent"]["name"]) == ("assigned", "anna")


async def test_an_agent_whose_session_expired_keeps_her_chats_for_the_grace(
    config_path: Path,
) -> None:
    """A session that runs out mid-chat is no logout: the console is ended, but the agent
    may log in again, so her conversation waits for her through the grace period, as for a
    lost connection, and stays hers when she is back in time."""
    clock = FakeClock()
    async with running(config_path, clock) as server:
        anna = await login(server.url, "anna", AGENT_PASSWORD)
        async with shopper(server.url) as (widget, widget_inbox):
            async with agent(server.url, anna) as (desk, _):
                ref = {"conversation_id": (await _say(widget, "hallo"))["conversation"]["id"]}
                assert (await call(desk, "/agent", "take", ref))["conversation"]["state"] == (
                    "assigned"
                )
                hello = {**ref, "client_id": new_client_id(), "text": "Goedemorgen!"}
                assert (await call(desk, "/agent", "message", hello))["ok"]
                clock.advance(12 * 3600 + 1)  # past the session's twelve hours
                await server.app[SIO].namespace_handlers["/agent"].recheck_sessions()
            bram = await login(server.url, "bram", AGENT_PASSWORD)
            async with agent(server.url, bram):
                clock.advance(10)  # within the grace
                await server.services.conversations.tick()
                anna = await login(server.url, "anna", AGENT_PASSWORD)
                async with agent(server.url, anna) as (desk, _):
                    reply = {**ref, "client_id": new_client_id(), "text": "Daar ben ik weer."}
                    assert (await call(desk, "/agent", "message", reply))["ok"]
            assert not [
                c
                for c in widget_inbox.of("conversation")
                if (c.get("agent") or {}).get("name") == "bram"
            ]


async def test_a_shopper_who_types_that_they_want_a_person_is_answered_as_the_button(
    live: tuple[RunningServer, FakeClock], routing_config: Path
) -> None:
    """ "Can I talk to someone?" typed into the chat does what the "talk to a person" button
    does: with nobody online, the form is offered (holding nothing: that was no question)
    and no missed question is noted; with an agent online, the conversation goes to her;
    in the queue, the shopper is told a colleague comes."""
    server, clock = live

    async def typed(widget: Any, inbox: Any, text: str) -> dict[str, Any]:
        reply = await _bot_reply(widget, inbox, text)
        assert reply["meta"]["kind"] == "small_talk" and reply["meta"]["talk"] == "person"
        return reply

    async with shopper(server.url) as (widget, inbox), shopper(server.url) as (second, later):
        alone = await typed(widget, inbox, "Kan ik een medewerker spreken?")
        assert alone["meta"]["offer"] == "leave_question" and "niemand" in alone["text"]
        code, missed, _ = await run_loket(routing_config, "faq", "misses")
        assert code == 0 and "medewerker" not in missed
        # Long enough ago that anna coming online does not hand the shopper to her (see
        # the test after this one).
        clock.advance(16 * 60)

        anna = await login(server.url, "anna", AGENT_PASSWORD)
        async with agent(server.url, anna):
            coming = await typed(widget, inbox, "hallo, ik wil graag iemand spreken")
            assert "offer" not in coming["meta"]
            taken = await inbox.wait_for("conversation", lambda c: c["state"] == "assigned")
            assert taken["agent"]["name"] == "anna"
            # anna's one place is taken: the next shopper waits, and is told so when asking.
            sent = await call(second, "/shopper", "handoff", {})
            assert sent["conversation"]["state"] == "queued"
            queued = await typed(second, later, "is daar iemand?")
            assert "offer" not in queued["meta"] and "rij" in queued["text"]


async def test_a_shopper_told_nobody_was_there_is_handed_to_an_agent_who_comes_soon(
    live: tuple[RunningServer, FakeClock],
) -> None:
    """Told nobody was available when they asked for a person, a shopper still on the shop's
    pages is handed to the first agent who comes online within a quarter of an hour, as if
    they asked again; one who asked longer ago, one who left the pages, and one the bot has
    answered a question of since, are not."""
    server, clock = live
    conversations = server.services.conversations
    anna = await login(server.url, "anna", AGENT_PASSWORD)
    async with (
        shopper(server.url) as (earlier, earlier_inbox),
        shopper(server.url) as (answered, answered_inbox),
        shopper(server.url) as (waiting, inbox),
    ):
        long_ago = await _bot_reply(earlier, earlier_inbox, "ik wil een medewerker spreken")
        clock.advance(10 * 60)
        for widget, box in ((answered, answered_inbox), (waiting, inbox)):
            told = await _bot_reply(widget, box, "ik wil een medewerker spreken")
            assert told["meta"]["offer"] == "leave_question", told
        answer = await _bot_reply(answered, answered_inbox, "Hoe lang duurt de levering?")
        assert answer["meta"]["kind"] == "answer", answer
        async with shopper(server.url) as (gone, gone_inbox):
            await _bot_reply(gone, gone_inbox, "kan ik iemand spreken?")
        clock.advance(6 * 60)
        async with agent(server.url, anna):
            taken = await inbox.wait_for("conversation", lambda c: c["state"] == "assigned")
            assert taken["agent"]["name"] == "anna"
            await inbox.wait_for("message", lambda m: m["text"] == "anna helpt je verder.")
            await conversations.drain()
            states = {
                (await conversations.get(sent["conversation_id"])).state.value
                for sent in (long_ago,)
            }
            assert states == {"bot"}
            assert len(conversations.queue()) == 0
            assigned = [c for c in conversations.open_conversations() if c.agent_id]
            assert len(assigned) == 1


async def test_a_queued_shopper_who_asks_how_long_the_wait_is_is_told_of_the_queue(
    live: tuple[RunningServer, FakeClock], routing_config: Path
) -> None:
    """ "Hoe lang moet ik nog wachten?" in the queue is answered with the queue (not with
    the FAQ's delivery times) and is no missed question; with the bot and nobody to wait
    for, the same words are a question like any other."""
    server, _ = live
    anna = await login(server.url, "anna", AGENT_PASSWORD)
    async with shopper(server.url) as (alone, alone_inbox):
        asked = await _bot_reply(alone, alone_inbox, "hoe lang duurt het nog?")
        assert asked["meta"]["kind"] != "small_talk", asked
        async with (
            agent(server.url, anna),
            shopper(server.url) as (first, first_inbox),
            shopper(server.url) as (second, inbox),
        ):
            await _say(first, "Ik wil graag iemand spreken")
            await first_inbox.wait_for("conversation", lambda c: c["state"] == "assigned")
            sent = await call(second, "/shopper", "handoff", {})
            assert sent["conversation"]["state"] == "queued"
            for text, language_word in (
                ("hoe lang moet ik nog wachten?", "rij"),
                ("How much longer?", "line"),
                ("Wie lange dauert es noch?", "Warteschlange"),
            ):
                waited = await _bot_reply(second, inbox, text)
                assert waited["meta"]["kind"] == "small_talk", waited
                assert waited["meta"]["talk"] == "wait" and language_word in waited["text"]
    code, missed, _ = await run_loket(routing_config, "faq", "misses")
    assert code == 0 and "wachten" not in missed and "longer" not in missed


async def test_the_form_an_agent_gone_notice_offers_holds_the_question_not_a_hello(
    live: tuple[RunningServer, FakeClock],
) -> None:
    """The shopper asked anna something, then "is daar iemand?"; anna logged out without
    answering and the conversation went to the bot: the notice's form holds the question,
    and the bot does not answer the request for a person, which the notice answers."""
    server, _ = live
    anna = await login(server.url, "anna", AGENT_PASSWORD)
    async with shopper(server.url) as (widget, inbox):
        async with agent(server.url, anna):
            asked = await _say(widget, "Waar blijft mijn pakket van vorige week?")
            assert asked["conversation"]["agent"]["name"] == "anna"
            await _say(widget, "is daar iemand?")
            await _log_out(server.url, anna)
        await server.services.conversations.tick()
        notice = await inbox.wait_for(
            "message", lambda m: (m["meta"] or {}).get("kind") == "notice"
        )
        assert notice["meta"]["question_seq"] == asked["message"]["seq"]
        await server.services.conversations.drain()
        assert not [m for m in inbox.of("message") if m["author"] == "bot"]


@contextlib.asynccontextmanager
async def _replied_then_logged_off(
    server: RunningServer, question: str, reply: str, *, then: str | None = None
) -> AsyncIterator[tuple[socketio.AsyncClient, Inbox]]:
    """A shopper asks `question`, anna replies `reply` (the shopper answers `then`) and
    logs out, and the routing's timeouts run: the shopper's client and inbox, still
    connected."""
    anna = await login(server.url, "anna", AGENT_PASSWORD)
    async with shopper(server.url) as (widget, inbox):
        async with agent(server.url, anna) as (desk, _):
            asked = await _say(widget, question)
            ref = {"conversation_id": asked["conversation"]["id"]}
            sent = {**ref, "client_id": new_client_id(), "text": reply}
            assert (await call(desk, "/agent", "message", sent))["ok"]
            if then is not None:
                await _say(widget, then)
            await _log_out(server.url, anna)
        await server.services.conversations.tick()
        yield widget, inbox


async def test_an_agent_who_logs_off_after_answering_cuts_nothing_short(
    live: tuple[RunningServer, FakeClock],
) -> None:
    """At the end of a shift anna logs out without closing a chat she had answered: the
    conversation goes to the bot without a "cut short" notice or a form, which are for a
    shopper left waiting; what the shopper writes next the bot answers."""
    server, _ = live
    async with _replied_then_logged_off(
        server, "Kan ik morgen nog ruilen?", "Ja hoor, binnen 30 dagen."
    ) as (widget, inbox):
        await inbox.wait_for("conversation", lambda c: c["state"] == "bot")
        await server.services.conversations.drain()
        await asyncio.sleep(0.2)
        said = [m["text"] for m in inbox.of("message")]
        assert said == ["anna helpt je verder.", "Ja hoor, binnen 30 dagen."], said
        await _say(widget, "Hoe lang duurt de levering?")
        answer = await inbox.wait_for("message", lambda m: m["author"] == "bot")
        assert answer["meta"]["kind"] == "answer"


async def test_a_shopper_who_only_said_thanks_is_not_told_it_was_cut_short(
    live: tuple[RunningServer, FakeClock],
) -> None:
    """The agent answered, the shopper said thanks, the agent logged off: nothing waits."""
    server, _ = live
    async with _replied_then_logged_off(
        server, "Kan ik morgen nog ruilen?", "Ja hoor, binnen 30 dagen.", then="Top, dank je!"
    ) as (_, inbox):
        await inbox.wait_for("conversation", lambda c: c["state"] == "bot")
        await server.services.conversations.drain()
        await asyncio.sleep(0.2)
        kinds = [(m.get("meta") or {}).get("kind") for m in inbox.of("message")]
        assert "notice" not in kinds, kinds


async def test_an_agent_who_logs_off_after_only_a_let_me_check_cut_it_short(
    live: tuple[RunningServer, FakeClock],
) -> None:
    """anna said she would look it up, then logged out: the shopper still waits for the
    answer, so they are told and offered the form."""
    server, _ = live
    async with _replied_then_logged_off(
        server, "Is de 28 mm band nog op voorraad?", "Ik kijk even voor je!"
    ) as (_, inbox):
        notice = await inbox.wait_for(
            "message", lambda m: (m.get("meta") or {}).get("kind") == "notice"
        )
        assert notice["meta"]["offer"] == "leave_question"


async def test_what_a_shopper_wrote_to_an_agent_who_went_is_no_miss_unless_a_question(
    live: tuple[RunningServer, FakeClock],
) -> None:
    """An agent asked for an order number and went without reading the reply: the bot,
    which has the conversation now, does not answer "12345-AB" with "I don't know" (the
    notice offered the form), nor does the admins' list of misses get it. A question the
    other agent never got to answer is a miss, answered by the notice's form alone."""
    server, _ = live
    tokens = {name: await login(server.url, name, AGENT_PASSWORD) for name in ("anna", "bram")}
    async with shopper(server.url) as (talked, talked_inbox), shopper(server.url) as (asked, inbox):
        async with (
            agent(server.url, tokens["anna"]) as anna,
            agent(server.url, tokens["bram"]) as bram,
        ):
            first = await _say(talked, "Mijn pakket is niet aangekomen")
            desk = {"anna": anna, "bram": bram}[first["conversation"]["agent"]["name"]][0]
            ref = {"conversation_id": first["conversation"]["id"]}
            await call(
                desk,
                "/agent",
                "message",
                {**ref, "client_id": new_client_id(), "text": "Wat is je ordernummer?"},
            )
            await _say(talked, "12345-AB")
            question = "Kan ik de stofzuiger ook op een boot met 12 volt gebruiken?"
            other = await _say(asked, question)
            assert other["conversation"]["state"] == "assigned"
            for token in tokens.values():
                await _log_out(server.url, token)
        await server.services.conversations.tick()
        for box in (talked_inbox, inbox):
            await box.wait_for("message", lambda m: (m.get("meta") or {}).get("kind") == "notice")
        await server.services.conversations.drain()
        await asyncio.sleep(0.2)
        for box in (talked_inbox, inbox):
            assert not [m for m in box.of("message") if m["author"] == "bot"], [
                (m["text"], m.get("meta")) for m in box.of("message")
            ]
        misses = [m.question for m in await server.services.store.misses_since(0)]
        assert misses == [question]


async def test_closing_time_hands_waiting_shoppers_to_the_bot(
    live: tuple[RunningServer, FakeClock],
) -> None:
    """At closing time waiting shoppers are told and handed to the bot; assigned chats stay."""
    server, clock = live
    anna = await login(server.url, "anna", AGENT_PASSWORD)
    async with (
        agent(server.url, anna) as (desk, _),
        shopper(server.url) as (served, _),
        shopper(server.url) as (waiting, inbox),
    ):
        first = await _say(served, "eerst")
        ref = {"conversation_id": first["conversation"]["id"]}
        await call(desk, "/agent", "message", {**ref, "client_id": new_client_id(), "text": "Ja?"})
        await _say(waiting, "tweede")
        clock.now = WEDNESDAY_EVENING
        await server.services.conversations.tick()
        notice = await inbox.wait_for("message", lambda m: m["author"] == "system")
        assert "morgen weer om 09:00" in notice["text"]
        assert notice["meta"]["offer"] == "leave_question"
        # The moment and the shop's zone, for the widget to add the shopper's clock.
        told = notice["meta"]["availability"]
        assert told["text"] in notice["text"] and "09:00" in told["text"]
        assert told["zone"] == "Europe/Amsterdam" and told["staffed"] is False
        assert told["next_open"] == int(
            server.services.conversations.availability("nl").next_open.timestamp() * 1000
        )
        assert (await call(waiting, "/shopper", "sync"))["conversation"]["state"] == "bot"
        assert (await call(served, "/shopper", "sync"))["conversation"]["state"] == "assigned"


async def test_off_hours_question_reaches_the_next_shift_and_the_answer_the_shopper(
    live: tuple[RunningServer, FakeClock],
) -> None:
    """Off hours a left question reaches the next shift, and its answer the returning
    shopper. Answered in the chat, it stays on the agents' list, marked so, until the
    shopper has read the answer: a shopper who does not come back is still to be contacted."""
    server, clock = live
    clock.now = WEDNESDAY_EVENING
    async with shopper(server.url, auth={"locale": "en"}) as (widget, _):
        token = (await call(widget, "/shopper", "sync"))["token"]
        asked = await call(widget, "/shopper", "handoff", {})
        assert asked["leave_question"] is True
        assert asked["availability"]["staffed"] is False
        assert asked["availability"]["text"] == "Back tomorrow at 09:00"
        refused = await call(
            widget,
            "/shopper",
            "leave_question",
            {"client_id": new_client_id(), "text": "Kan ik ruilen?"},
        )
        assert refused["error"]["code"] == "contact_required"
        bad_mail = await call(
            widget,
            "/shopper",
            "leave_question",
            {"client_id": new_client_id(), "text": "Kan ik ruilen?", "email": "geen-mail"},
        )
        assert bad_mail["error"]["code"] == "invalid_payload"
        left = await call(
            widget,
            "/shopper",
            "leave_question",
            {
                "client_id": new_client_id(),
                "text": "Can I exchange my shoes?",
                "email": "sam@example.com",
            },
        )
        assert left["ok"]
        conversation_id = left["conversation"]["id"]

    clock.now = WEDNESDAY_EVENING + 14 * 3600  # Thursday 09:00 in Amsterdam
    # Quiet for 14 hours, but a question waits in it: it is not closed.
    await server.services.conversations.tick()
    anna = await login(server.url, "anna", AGENT_PASSWORD)
    async with agent(server.url, anna) as (desk, _):
        synced = await call(desk, "/agent", "sync")
        (callback,) = synced["callbacks"]
        assert callback["question"] == "Can I exchange my shoes?"
        assert callback["email"] == "sam@example.com"
        ref = {"conversation_id": callback["conversation_id"]}
        assert ref["conversation_id"] == conversation_id
        await call(desk, "/agent", "take", ref)
        await call(
            desk,
            "/agent",
            "message",
            {**ref, "client_id": new_client_id(), "text": "Yes, within 30 days."},
        )
        (waiting,) = (await call(desk, "/agent", "callbacks"))["callbacks"]
        assert waiting["replied_at"] == int(clock.now * 1000), waiting

        async with shopper(server.url, auth={"token": token}) as (widget, _):
            synced = await call(widget, "/shopper", "sync")
            answer = synced["messages"][-1]
            assert answer["text"] == "Yes, within 30 days."
            assert (await call(desk, "/agent", "callbacks"))["callbacks"] == [waiting]
            # A second question left after the answer: reading the answer clears the first.
            second = {
                "client_id": new_client_id(),
                "text": "And can I exchange sandals too?",
                "email": "sam@example.com",
            }
            left_again = await call(widget, "/shopper", "leave_question", second)
            assert left_again["ok"], left_again
            assert (await call(widget, "/shopper", "read", {"seq": answer["seq"]}))["seq"]
            (still,) = (await call(desk, "/agent", "callbacks"))["callbacks"]
            assert still["question"] == "And can I exchange sandals too?", still
            assert still["replied_at"] is None


async def test_a_left_question_whose_callback_was_not_written_is_kept_when_sent_again(
    live: tuple[RunningServer, FakeClock],
) -> None:
    """The question is stored but the callback's write fails: the shopper gets an error,
    and sending the same question again (as clients do) adds the callback, once."""
    server, clock = live
    clock.now = WEDNESDAY_EVENING
    store = server.services.store
    add_callback = store.add_callback
    failures = [sqlite3.OperationalError("disk I/O error")]

    async def failing_once(*args: Any, **kwargs: Any) -> Any:
        if failures:
            raise failures.pop()
        return await add_callback(*args, **kwargs)

    store.add_callback = failing_once  # type: ignore[method-assign]
    question = {
        "client_id": new_client_id(),
        "text": "Can I exchange my shoes?",
        "email": "sam@example.com",
    }
    async with shopper(server.url, auth={"locale": "en"}) as (widget, _):
        failed = await call(widget, "/shopper", "leave_question", question)
        assert failed["ok"] is False, failed
        for _ in range(2):
            again = await call(widget, "/shopper", "leave_question", question)
            assert again["ok"] and again["duplicate"] is True, again
        texts = [m["text"] for m in (await call(widget, "/shopper", "sync"))["messages"]]
    assert texts[0] == "Can I exchange my shoes?"
    assert len(texts) == 2 and texts[1].startswith("Thank you! We have your question.")
    (callback,) = await store.open_callbacks()
    assert (callback.question, callback.email) == ("Can I exchange my shoes?", "sam@example.com")


async def test_a_form_left_with_the_missed_question_and_sent_again_is_kept_once(
    live: tuple[RunningServer, FakeClock],
) -> None:
    """The bot did not know the answer and the form holds that question: it is kept as
    that message, not stored twice. The form sent again with its client id (its ack was
    lost) finds that message again: no second message, no second callback."""
    server, clock = live
    clock.now = WEDNESDAY_EVENING
    async with shopper(server.url, auth={"locale": "en"}) as (widget, inbox):
        asked = await _say(widget, "Do you sell purple cargo bikes with a rain cover?")
        await inbox.wait_for("message", lambda m: m["author"] == "bot")
        form = {
            "client_id": new_client_id(),
            "text": "Do you sell purple cargo bikes with a rain cover?",
            "email": "sam@example.com",
        }
        first = await call(widget, "/shopper", "leave_question", form)
        assert first["ok"] and first["duplicate"] is False, first
        assert first["message"]["seq"] == asked["message"]["seq"]
        again = await call(widget, "/shopper", "leave_question", form)
        assert again["ok"] and again["duplicate"] is True, again
        assert again["message"]["seq"] == asked["message"]["seq"]
        synced = await call(widget, "/shopper", "sync")
    shoppers = [m["text"] for m in synced["messages"] if m["author"] == "shopper"]
    assert shoppers == ["Do you sell purple cargo bikes with a rain cover?"], shoppers
    assert len(await server.services.store.open_callbacks()) == 1


async def test_a_left_question_sent_twice_at_once_is_kept_once(
    live: tuple[RunningServer, FakeClock],
) -> None:
    """Two tabs send the same left question (one client id) at the same moment: one
    message, one callback on the agents' list."""
    server, clock = live
    clock.now = WEDNESDAY_EVENING
    async with shopper(server.url, auth={"locale": "en"}) as (one, _):
        token = (await call(one, "/shopper", "sync"))["token"]
        async with shopper(server.url, auth={"token": token}) as (two, _):
            question = {
                "client_id": new_client_id(),
                "text": "Can I exchange my shoes?",
                "email": "sam@example.com",
            }
            acks = await asyncio.gather(
                call(one, "/shopper", "leave_question", question),
                call(two, "/shopper", "leave_question", question),
            )
            assert all(ack["ok"] for ack in acks), acks
            assert sorted(ack["duplicate"] for ack in acks) == [False, True]
    assert len(await server.services.store.open_callbacks()) == 1
    (conversation,) = server.services.conversations._live.values()
    assert conversation.open_callbacks == 1


async def test_transfer_to_another_agent_or_back_to_the_queue(
    live: tuple[RunningServer, FakeClock],
) -> None:
    """An agent hands a conversation to a colleague with a note, who hands it back to the queue."""
    server, _ = live
    bram = await login(server.url, "bram", AGENT_PASSWORD)
    async with (
        anna_with_a_shopper(server.url) as (a, _, widget_inbox, ref),
        agent(server.url, bram) as (b, b_inbox),
    ):
        bram_id = (await call(b, "/agent", "sync"))["agent"]["id"]
        offline = await call(a, "/agent", "transfer", {**ref, "to_agent_id": 999})
        assert offline["error"]["code"] == "agent_unavailable"
        moved = await call(
            a, "/agent", "transfer", {**ref, "to_agent_id": bram_id, "note": "Wil ruilen"}
        )
        assert moved["conversation"]["agent"]["name"] == "bram"
        seen = await b_inbox.wait_for("conversation", lambda c: c["note"] == "Wil ruilen")
        assert seen["agent"]["id"] == bram_id
        await widget_inbox.wait_for("conversation", lambda c: c["agent"]["name"] == "bram")
        # Bram hands it back to the queue, where it waits: anna, who has room, passed it over.
        back = await call(b, "/agent", "transfer", {**ref, "to_agent_id": None})
        assert back["ok"]
        queued = await widget_inbox.wait_for("conversation", lambda c: c["state"] == "queued")
        assert queued["id"] == ref["conversation_id"] and queued["agent"] is None
        # Each agent who got it was named in the conversation, in the shopper's language,
        # and so was its going back to the queue.
        requeued = (
            "bram kan je nu even niet verder helpen; je staat in de rij voor de volgende collega."
        )
        await widget_inbox.wait_for("message", lambda m: m["text"] == requeued)
        lines = [m["text"] for m in widget_inbox.of("message") if m["author"] == "system"]
        assert lines == ["anna helpt je verder.", "bram helpt je verder.", requeued]


async def test_no_wait_is_estimated_while_every_agent_online_passed_the_chat_over(
    live: tuple[RunningServer, FakeClock],
) -> None:
    """The only agent online hands a conversation back to the queue: she is passed over for
    it, so its place comes without a wait (none can be told); a colleague coming online
    takes it."""
    server, _ = live
    bram = await login(server.url, "bram", AGENT_PASSWORD)
    async with anna_with_a_shopper(server.url) as (a, widget, widget_inbox, ref):
        assert (await call(a, "/agent", "transfer", {**ref, "to_agent_id": None}))["ok"]
        place = await widget_inbox.wait_for("queue", lambda q: q["position"] == 1)
        assert place["wait_seconds"] is None
        assert (await call(widget, "/shopper", "sync"))["queue"]["wait_seconds"] is None
        async with agent(server.url, bram):
            await widget_inbox.wait_for(
                "conversation", lambda c: c["agent"] and c["agent"]["name"] == "bram"
            )


async def test_no_transfer_to_an_agent_who_is_away(live: tuple[RunningServer, FakeClock]) -> None:
    """An agent who is away is connected but not online: a transfer to them is refused with
    agent_unavailable, as they are not in the list of agents to transfer to; back online,
    they can be given the conversation."""
    server, _ = live
    anna = await login(server.url, "anna", AGENT_PASSWORD)
    bram = await login(server.url, "bram", AGENT_PASSWORD)
    async with agent(server.url, anna) as (a, _), agent(server.url, bram) as (b, _):
        bram_id = (await call(b, "/agent", "sync"))["agent"]["id"]
        assert (await call(b, "/agent", "status", {"status": "away"}))["ok"]
        async with shopper(server.url) as (widget, _):
            sent = await _say(widget, "ruilen")
            assert sent["conversation"]["state"] == "assigned"
            ref = {"conversation_id": sent["conversation"]["id"], "to_agent_id": bram_id}
            listed = (await call(a, "/agent", "sync"))["agents"]
            assert bram_id not in [x["id"] for x in listed]
            refused = await call(a, "/agent", "transfer", ref)
            assert refused["ok"] is False and refused["error"]["code"] == "agent_unavailable"
            assert (await call(b, "/agent", "status", {"status": "online"}))["ok"]
            moved = await call(a, "/agent", "transfer", ref)
            assert moved["conversation"]["agent"]["id"] == bram_id


async def test_away_agents_get_no_new_conversations(live: tuple[RunningServer, FakeClock]) -> None:
    """An agent who is away gets no new conversations; the shopper stays with the bot."""
    server, _ = live
    anna = await login(server.url, "anna", AGENT_PASSWORD)
    async with agent(server.url, anna) as (desk, _):
        assert (await call(desk, "/agent", "status", {"status": "away"}))["ok"]
        async with shopper(server.url) as (widget, _):
            sent = await _say(widget, "iemand?")
            assert sent["conversation"]["state"] == "bot"


async def test_away_stays_away_after_a_long_disconnect(
    live: tuple[RunningServer, FakeClock],
) -> None:
    """An agent on a break whose laptop slept past the grace period comes back away, not
    online: no new conversations until they say so."""
    server, clock = live
    anna = await login(server.url, "anna", AGENT_PASSWORD)
    async with agent(server.url, anna) as (desk, _):
        assert (await call(desk, "/agent", "status", {"status": "away"}))["ok"]
    clock.advance(60)
    await server.services.conversations.tick()
    async with agent(server.url, anna) as (desk, _), shopper(server.url) as (widget, _):
        assert (await call(desk, "/agent", "sync"))["agent"]["status"] == "away"
        assert (await _say(widget, "iemand?"))["conversation"]["state"] == "bot"
        assert (await call(desk, "/agent", "status", {"status": "online"}))["ok"]
        async with shopper(server.url) as (other, _):
            assert (await _say(other, "iemand daar?"))["conversation"]["state"] == "assigned"


async def test_away_stays_away_after_a_restart(routing_config: Path) -> None:
    """An agent on a break stays away when the server restarts (their console reconnects
    by itself): a shopper's request for a person does not go to them; back online, it
    does, and that stays so over the next restart; `loket agents list` shows it."""
    async with running(routing_config, FakeClock(WEDNESDAY_MORNING)) as server:
        anna = await login(server.url, "anna", AGENT_PASSWORD)
        async with agent(server.url, anna) as (desk, _):
            assert (await call(desk, "/agent", "status", {"status": "away"}))["ok"]
    # The admin sees it too.
    code, listed, _ = await run_loket(routing_config, "agents", "list")
    assert code == 0 and "anna\tanna (away)" in listed, listed
    for status, state in (("away", "bot"), ("online", "assigned")):
        async with (
            running(routing_config, FakeClock(WEDNESDAY_MORNING)) as server,
            agent(server.url, anna) as (desk, _),
            shopper(server.url) as (widget, _),
        ):
            assert (await call(desk, "/agent", "sync"))["agent"]["status"] == status
            assert (await _say(widget, "iemand?"))["conversation"]["state"] == state
            if status == "away":
                assert (await call(desk, "/agent", "status", {"status": "online"}))["ok"]


async def test_away_not_kept_on_a_full_disk_still_holds_until_a_restart(
    live: tuple[RunningServer, FakeClock],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A store that refuses to keep the status (a full disk) leaves the agent away all the
    same, says so in the log, and routing follows the status."""
    server, _ = live

    async def full(agent_id: int, away: bool) -> None:
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(server.services.store, "set_agent_away", full)
    anna = await login(server.url, "anna", AGENT_PASSWORD)
    async with agent(server.url, anna) as (desk, _):
        with caplog.at_level(logging.WARNING, logger="loket.conversations"):
            assert (await call(desk, "/agent", "status", {"status": "away"}))["ok"]
        assert "is not kept over a restart: database or disk is full" in caplog.text
        assert (await call(desk, "/agent", "sync"))["agent"]["status"] == "away"
        async with shopper(server.url) as (widget, _):
            assert (await _say(widget, "iemand?"))["conversation"]["state"] == "bot"


async def test_a_left_question_closed_after_phoning_back_leaves_the_list(
    live: tuple[RunningServer, FakeClock],
) -> None:
    """An agent who phoned the shopper back and closes the conversation with a summary has
    dealt with the left question: it leaves everyone's list."""
    server, _ = live
    async with shopper(server.url) as (widget, _):
        left = await call(
            widget,
            "/shopper",
            "leave_question",
            {"client_id": new_client_id(), "text": "Bel me even", "phone": "0612345678"},
        )
    ref = {"conversation_id": left["conversation"]["id"]}
    anna = await login(server.url, "anna", AGENT_PASSWORD)
    async with agent(server.url, anna) as (desk, _):
        synced = await call(desk, "/agent", "sync")
        assert [c["conversation_id"] for c in synced["callbacks"]] == [ref["conversation_id"]]
        assert (await call(desk, "/agent", "take", ref))["ok"]
        closed = await call(desk, "/agent", "close", {**ref, "summary": "Gebeld, opgelost"})
        assert closed["ok"]
        assert (await call(desk, "/agent", "sync"))["callbacks"] == []


async def test_silent_agents_shoppers_keep_their_turn_in_the_queue(
    live: tuple[RunningServer, FakeClock],
) -> None:
    """Shoppers taken from agents who stayed silent go back in the queue by how long they
    have waited, ahead of those who came later, and their agents are passed over."""
    server, clock = live
    conversations = server.services.conversations
    async with (
        anna_and_bram(server.url),
        shopper(server.url) as (first, _),
        shopper(server.url) as (second, _),
        shopper(server.url) as (third, _),
        shopper(server.url) as (fourth, _),
    ):
        ids = []
        for widget, pause in ((first, 1), (second, 10), (third, 10), (fourth, 45)):
            ids.append((await _say(widget, "hallo?"))["conversation"]["id"])
            clock.advance(pause)
        await conversations.tick()  # 66 s: both agents silent past the 60 s answer timeout
        taken = [await conversations.get(i) for i in ids[:2]]
        assert [c.state.value for c in taken] == ["assigned", "assigned"]
        assert taken[0].agent_id == (await conversations.get(ids[1])).excluded.pop()
        assert [place.conversation.id for place in conversations.queue()] == ids[2:]


async def test_a_transfer_gives_the_colleague_the_full_answer_time(
    live: tuple[RunningServer, FakeClock],
) -> None:
    """The colleague a conversation is handed to has the full answer time from when the
    shopper next writes, not from the hand-over; a transfer without a note keeps the last
    note; and the agent who handed it on does not get it back."""
    server, clock = live
    conversations = server.services.conversations
    anna = await login(server.url, "anna", AGENT_PASSWORD)
    bram = await login(server.url, "bram", AGENT_PASSWORD)
    async with (
        agent(server.url, anna) as (anna_desk, _),
        agent(server.url, bram) as (bram_desk, _),
        shopper(server.url) as (widget, _),
    ):
        held = (await _say(widget, "vraag over retour"))["conversation"]
        ref = {"conversation_id": held["id"]}
        # Whoever got it hands it to the other.
        first, second = (
            (anna_desk, bram_desk) if held["agent"]["name"] == "anna" else (bram_desk, anna_desk)
        )
        other = await server.services.store.agent_by_name("bram" if first is anna_desk else "anna")
        assert other is not None
        reply = {**ref, "client_id": new_client_id(), "text": "Ik geef je door."}
        assert (await call(first, "/agent", "message", reply))["ok"]
        handed = {**ref, "to_agent_id": other.id, "note": "retour"}
        assert (await call(first, "/agent", "transfer", handed))["ok"]
        clock.advance(90)
        await _say(widget, "Wanneer krijg ik mijn geld?")
        clock.advance(59)
        await conversations.tick()
        assert (await conversations.get(held["id"])).agent_id == other.id
        assert (await call(second, "/agent", "transfer", {**ref, "to_agent_id": None}))["ok"]
        waiting = await conversations.get(held["id"])
        # Both passed over: it waits for a third agent rather than going back to anna.
        assert waiting.state.value == "queued" and waiting.note == "retour"
        clock.advance(30)
        await conversations.tick()
        assert (await conversations.get(held["id"])).state.value == "queued"


# -- restarts -------------------------------------------------------------------------------


async def test_a_restart_keeps_the_queue_and_gives_agents_time_to_reconnect(
    routing_config: Path,
) -> None:
    """After a restart the queued shopper stays queued while consoles reconnect (not handed
    to the bot for want of agents), and the agent who reconnects in time keeps the
    conversation the shopper waits in."""
    clock = FakeClock(WEDNESDAY_MORNING)
    async with running(routing_config, clock) as server:
        anna = await login(server.url, "anna", AGENT_PASSWORD)
        async with (
            agent(server.url, anna) as _,
            shopper(server.url) as (one, _),
            shopper(server.url) as (two, _),
        ):
            first = (await _say(one, "eerste"))["conversation"]
            second = (await _say(two, "tweede"))["conversation"]
            assert (first["state"], second["state"]) == ("assigned", "queued")
        await server.services.conversations.drain()
    clock.advance(5)
    async with running(routing_config, clock) as server:
        conversations = server.services.conversations
        await conversations.tick()
        assert (await conversations.get(second["id"])).state.value == "queued"
        assert (await conversations.get(first["id"])).last_author == "shopper"
        clock.advance(20)
        await conversations.tick()
        anna = await login(server.url, "anna", AGENT_PASSWORD)
        async with agent(server.url, anna) as _:
            clock.advance(20)  # past the grace; the answer timeout (60 s) not yet
            await conversations.tick()
            kept = await conversations.get(first["id"])
            anna_record = await server.services.store.agent_by_name("anna")
            assert anna_record is not None
            assert kept.state.value == "assigned" and kept.agent_id == anna_record.id
            assert (await conversations.get(second["id"])).state.value == "queued"


async def test_after_a_restart_an_agent_who_does_not_come_back_loses_the_conversation(
    routing_config: Path,
) -> None:
    """An agent who held a conversation before a restart and does not reconnect within the
    grace period loses it to a colleague who did, as for a lost connection."""
    clock = FakeClock(WEDNESDAY_MORNING)
    async with running(routing_config, clock) as server:
        anna = await login(server.url, "anna", AGENT_PASSWORD)
        async with agent(server.url, anna) as _, shopper(server.url) as (widget, _):
            held = (await _say(widget, "waar is mijn pakket?"))["conversation"]
            assert held["agent"]["name"] == "anna"
        await server.services.conversations.drain()
    clock.advance(5)
    async with running(routing_config, clock) as server:
        conversations = server.services.conversations
        bram = await login(server.url, "bram", AGENT_PASSWORD)
        async with agent(server.url, bram) as _:
            clock.advance(10)
            await conversations.tick()
            anna_record = await server.services.store.agent_by_name("anna")
            assert anna_record is not None
            anna_id = anna_record.id
            assert (await conversations.get(held["id"])).agent_id == anna_id
            clock.advance(25)
            await conversations.tick()
            moved = await conversations.get(held["id"])
            assert moved.state.value == "assigned" and moved.agent_id not in (None, anna_id)


async def test_who_the_shopper_was_last_told_has_the_chat_is_known_after_a_restart(
    routing_config: Path,
) -> None:
    """anna, the only agent online, misses a shopper's question: nobody else could be given
    it, so the shopper was told nothing but their place in the queue. After a restart
    Loket still knows (from the conversation's lines) that the shopper was last told anna
    has it: giving it back to her would not announce her again."""
    clock = FakeClock(WEDNESDAY_MORNING)
    async with running(routing_config, clock) as server:
        conversations = server.services.conversations
        anna = await login(server.url, "anna", AGENT_PASSWORD)
        async with agent(server.url, anna), shopper(server.url) as (widget, _):
            held = (await _say(widget, "hallo?"))["conversation"]
            clock.advance(61)
            await conversations.tick()
            assert (await conversations.get(held["id"])).state.value == "queued"
        await conversations.drain()
    clock.advance(5)
    async with running(routing_config, clock) as server:
        anna_record = await server.services.store.agent_by_name("anna")
        assert anna_record is not None
        waiting = await server.services.conversations.get(held["id"])
        assert waiting.state.value == "queued" and waiting.joined_agent == anna_record.id


async def test_an_agent_passed_over_stays_passed_over_after_a_restart(
    routing_config: Path,
) -> None:
    """An agent who handed a conversation back to the queue is not given it again when the
    server restarted meanwhile; once a colleague closed it, nobody is passed over any more."""
    clock = FakeClock(WEDNESDAY_MORNING)
    async with running(routing_config, clock) as server:
        anna = await login(server.url, "anna", AGENT_PASSWORD)
        async with agent(server.url, anna) as (desk, _), shopper(server.url) as (widget, _):
            held = (await _say(widget, "Kan ik ruilen?"))["conversation"]
            assert held["agent"]["name"] == "anna"
            ref = {"conversation_id": held["id"]}
            assert (await call(desk, "/agent", "transfer", {**ref, "to_agent_id": None}))["ok"]
            # The only agent online, and passed over: the shopper waits for someone else.
            assert (await server.services.conversations.get(held["id"])).state.value == "queued"
        await server.services.conversations.drain()
    clock.advance(5)
    async with running(routing_config, clock) as server:
        conversations = server.services.conversations
        anna = await login(server.url, "anna", AGENT_PASSWORD)
        async with agent(server.url, anna) as _:
            waiting = await conversations.get(held["id"])
            assert waiting.state.value == "queued" and waiting.agent_id is None
            # The shopper was told anna could not continue: whoever takes it is announced.
            assert waiting.joined_agent is None
            bram = await login(server.url, "bram", AGENT_PASSWORD)
            async with agent(server.url, bram) as (desk, _):
                taken = await conversations.get(held["id"])
                bram_record = await server.services.store.agent_by_name("bram")
                assert bram_record is not None
                assert taken.state.value == "assigned" and taken.agent_id == bram_record.id
                assert (await call(desk, "/agent", "close", ref))["ok"]
        rows = await server.services.store.db.fetch_all("SELECT * FROM passed_over")
        assert rows == []
        assert (await conversations.get(held["id"])).excluded == set()


# -- quiet conversations with the bot ---------------------------------------------------------


async def test_quiet_bot_conversation_is_closed_and_reopens_when_the_shopper_writes(
    live: tuple[RunningServer, FakeClock],
) -> None:
    """After an hour with nobody writing, a conversation with the bot is closed: the widget
    and the consoles are told, it leaves the console's lists, and the shopper's next message
    reopens it (routed as any message is)."""
    server, clock = live
    anna = await login(server.url, "anna", AGENT_PASSWORD)
    async with shopper(server.url) as (widget, widget_inbox):
        # A question (not asking for a person, who would be handed to anna as she comes).
        sent = await _say(widget, "hallo, wat kost de verzending?")
        conversation_id = sent["conversation"]["id"]
        assert sent["conversation"]["state"] == "bot"
        await server.services.conversations.drain()  # the bot's answer
        async with agent(server.url, anna) as (desk, desk_inbox):
            listed = (await call(desk, "/agent", "sync"))["conversations"]
            assert [c["id"] for c in listed] == [conversation_id]

            clock.advance(59 * 60)
            await server.services.conversations.tick()
            assert (await call(widget, "/shopper", "sync"))["conversation"]["state"] == "bot"

            clock.advance(2 * 60)
            await server.services.conversations.tick()
            closed = await widget_inbox.wait_for("conversation", lambda c: c["state"] == "closed")
            assert closed["id"] == conversation_id
            seen = await desk_inbox.wait_for("conversation", lambda c: c["state"] == "closed")
            assert seen["previous_state"] == "bot"
            assert seen["agent"] is None and seen["closed_by"] is None
            synced = await call(desk, "/agent", "sync")
            assert synced["conversations"] == []
            # "Closed today" is what agents closed, not every chat the bot had.
            assert synced["closed_today"] == []

            # A quarter of an hour later it is dropped from memory (loaded again when needed).
            clock.advance(16 * 60)
            await server.services.conversations.tick()
            assert conversation_id not in server.services.conversations._live
            # Reopened; with an agent online now, it goes to her.
            again = await _say(widget, "nog een vraag")
            assert again["conversation"]["id"] == conversation_id
            assert again["conversation"]["agent"]["name"] == "anna"
            listed = (await call(desk, "/agent", "sync"))["conversations"]
            assert [c["id"] for c in listed] == [conversation_id]


async def test_quiet_conversations_close_a_bounded_number_per_tick(
    live: tuple[RunningServer, FakeClock], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A crowd of quiet conversations is closed a bounded number at a time, in one commit."""
    monkeypatch.setattr("loket.conversations.QUIET_CLOSES_PER_TICK", 2)
    server, clock = live
    conversations = server.services.conversations
    async with (
        shopper(server.url) as (one, _),
        shopper(server.url) as (two, _),
        shopper(server.url) as (three, _),
    ):
        for widget in (one, two, three):
            await _say(widget, "hallo")
        await conversations.drain()  # the bot's answers
        assert len(conversations.open_conversations()) == 3
        clock.advance(61 * 60)
        batches = server.services.store.db.batches
        await conversations.tick()
        assert len(conversations.open_conversations()) == 1
        assert server.services.store.db.batches == batches + 1
        await conversations.tick()
        assert conversations.open_conversations() == []


async def test_admin_closing_a_bot_conversation_is_listed_as_theirs(
    live: tuple[RunningServer, FakeClock],
) -> None:
    """An admin who closes a conversation nobody had is named as who closed it (not as its
    agent: the shopper is not asked to rate them, nor sent to them when they come back)."""
    server, _ = live
    admin = await login(server.url, "admin", AGENT_PASSWORD)
    async with shopper(server.url) as (widget, _):
        sent = await _say(widget, "hallo")
        ref = {"conversation_id": sent["conversation"]["id"]}
        async with agent(server.url, admin) as (desk, _):
            closed = await call(desk, "/agent", "close", ref)
            assert closed["conversation"]["state"] == "closed"
            assert closed["conversation"]["agent"] is None
            assert closed["conversation"]["closed_by"]["name"] == "admin"
            synced = await call(desk, "/agent", "sync")
            assert [c["id"] for c in synced["closed_today"]] == [ref["conversation_id"]]


async def test_conversations_that_went_quiet_while_the_server_was_down_are_closed_at_start(
    routing_config: Path,
) -> None:
    """At start-up, conversations with the bot that went quiet meanwhile are closed in the
    store without being loaded; one with a recent message stays open for its full hour."""
    clock = FakeClock(WEDNESDAY_EVENING)
    async with running(routing_config, clock) as server:
        async with shopper(server.url) as (early, _), shopper(server.url) as (late, _):
            early_token = (await call(early, "/shopper", "sync"))["token"]
            quiet = (await _say(early, "vraag"))["conversation"]["id"]
            await _say(late, "eerste vraag")
            # The bot's answers are written at the time they are given.
            await server.services.conversations.drain()
            clock.advance(50 * 60)
            busy = (await _say(late, "tweede vraag"))["conversation"]["id"]
        await server.services.conversations.drain()
    clock.advance(15 * 60)  # quiet: 65 minutes; busy: 15 minutes since its last message
    async with running(routing_config, clock) as server:
        conversations = server.services.conversations
        assert [c.id for c in conversations.open_conversations()] == [busy]
        stored = await server.services.store.conversation(quiet)
        assert stored is not None and stored.state == "closed" and stored.closed_by is None
        # Closed when its hour of quiet ran out, not at the restart.
        assert stored.closed_at == int((WEDNESDAY_EVENING + 3600) * 1000)
        await conversations.tick()
        assert [c.id for c in conversations.open_conversations()] == [busy]
        clock.advance(46 * 60)
        await conversations.tick()
        assert conversations.open_conversations() == []
        # The quiet shopper comes back and goes on in the same conversation.
        async with shopper(server.url, auth={"token": early_token}) as (early, _):
            assert (await call(early, "/shopper", "sync"))["conversation"]["state"] == "closed"
            again = await _say(early, "ik ben terug")
            assert again["conversation"]["id"] == quiet
            assert again["conversation"]["state"] == "bot"


async def test_quiet_bot_conversations_stay_open_when_the_setting_is_zero(
    tmp_path: Path, seeded_data: Path
) -> None:
    """bot_idle_close_minutes = 0 keeps conversations with the bot open however long."""
    shutil.copytree(seeded_data, tmp_path / "shop" / "data")
    config = write_config(
        tmp_path / "shop", ROUTING.replace("[routing]", "[routing]\nbot_idle_close_minutes = 0")
    )
    clock = FakeClock(WEDNESDAY_EVENING)
    async with running(config, clock) as server, shopper(server.url) as (widget, _):
        await _say(widget, "hallo")
        clock.advance(30 * 86_400)
        await server.services.conversations.tick()
        assert (await call(widget, "/shopper", "sync"))["conversation"]["state"] == "bot"


async def test_a_conversation_that_went_back_to_the_bot_is_no_handling_time(
    live: tuple[RunningServer, FakeClock],
) -> None:
    """A conversation an agent had, that went back to the bot and closed for quiet, does not
    count as handled for the queue's wait estimates (also not after a restart)."""
    server, clock = live
    anna = await login(server.url, "anna", AGENT_PASSWORD)
    async with shopper(server.url) as (widget, widget_inbox):
        async with agent(server.url, anna) as _:
            sent = await _say(widget, "hallo")
            assert sent["conversation"]["state"] == "assigned"
        clock.advance(31)  # anna stays away past the grace period: nobody is online
        await server.services.conversations.tick()
        await widget_inbox.wait_for("conversation", lambda c: c["state"] == "bot")
        await server.services.conversations.drain()
        clock.advance(61 * 60)
        await server.services.conversations.tick()
        await widget_inbox.wait_for("conversation", lambda c: c["state"] == "closed")
    assert await server.services.store.recent_handling_seconds(0) == []


def _failing_routing_writes(server: RunningServer, failing: set[int]) -> None:
    """Routing writes of the conversations in `failing` fail as a broken disk would."""
    store = server.services.store
    make = store.update_conversation_op

    def update_conversation_op(conversation_id: int, fields: dict) -> object:  # type: ignore[type-arg]
        op = make(conversation_id, fields)
        if conversation_id not in failing:
            return op

        async def broken(conn: object) -> None:
            raise sqlite3.OperationalError("disk I/O error")

        return broken

    store.update_conversation_op = update_conversation_op  # type: ignore[method-assign]


async def test_a_failed_routing_write_hides_no_other_change(
    live: tuple[RunningServer, FakeClock],
) -> None:
    """When one of several routing writes fails, the others are still announced."""
    server, clock = live
    anna = await login(server.url, "anna", AGENT_PASSWORD)
    async with shopper(server.url) as (one, _), shopper(server.url) as (two, _):
        broken = (await _say(one, "hallo"))["conversation"]["id"]
        fine = (await _say(two, "hallo"))["conversation"]["id"]
        await server.services.conversations.drain()
        # An agent watches (online after both chats went to the bot).
        async with agent(server.url, anna) as (_, desk_inbox):
            _failing_routing_writes(server, {broken})
            clock.advance(61 * 60)
            with pytest.raises(sqlite3.OperationalError):
                await server.services.conversations.tick()
            await desk_inbox.wait_for(
                "conversation", lambda c: c["state"] == "closed" and c["id"] == fine
            )
            closed = [c["id"] for c in desk_inbox.of("conversation") if c["state"] == "closed"]
            assert closed == [fine]


async def test_a_message_whose_routing_write_failed_is_not_left_pending(
    live: tuple[RunningServer, FakeClock],
) -> None:
    """A message that reopens a conversation is stored even if the reopening cannot be
    written; the sender gets an error, and sending it again gives the stored message."""
    server, clock = live
    async with shopper(server.url) as (widget, _):
        conversation_id = (await _say(widget, "hallo"))["conversation"]["id"]
        await server.services.conversations.drain()
        clock.advance(61 * 60)
        await server.services.conversations.tick()  # closed for quiet
        _failing_routing_writes(server, {conversation_id})
        message = {"client_id": new_client_id(), "text": "nog een vraag"}
        failed = await call(widget, "/shopper", "message", message)
        assert failed["error"]["code"] == "store_failed"
        conversation = await server.services.conversations.get(conversation_id)
        assert conversation.pending == {}
        again = await call(widget, "/shopper", "message", message)
        assert again["duplicate"] is True
        assert again["message"]["text"] == "nog een vraag"


async def test_when_the_last_agent_leaves_nobody_waits_for_no_one(
    live: tuple[RunningServer, FakeClock],
) -> None:
    """The last agent's console goes away: within the grace period nothing changes; after
    it, their shopper and the queue go to the bot, each told why and offered the form with
    their question in it; the bot answers the question only the agent had been asked."""
    server, clock = live
    anna = await login(server.url, "anna", AGENT_PASSWORD)
    async with (
        shopper(server.url) as (served, served_inbox),
        shopper(server.url) as (waiting, waiting_inbox),
    ):
        async with agent(server.url, anna) as _:
            first = await _say(served, "Kan ik met iDEAL betalen?")
            assert first["conversation"]["state"] == "assigned"
            second = await _say(waiting, "tweede")
            assert second["conversation"]["state"] == "queued"
        clock.advance(10)  # a reload would be back by now
        await server.services.conversations.tick()
        assert (await call(waiting, "/shopper", "sync"))["conversation"]["state"] == "queued"
        clock.advance(21)
        await server.services.conversations.tick()
        cut = await served_inbox.wait_for(
            "message", lambda m: (m["meta"] or {}).get("kind") == "notice"
        )
        assert "onderbroken" in cut["text"] and cut["meta"]["offer"] == "leave_question"
        assert cut["meta"]["question_seq"] == first["message"]["seq"]
        answer = await served_inbox.wait_for("message", lambda m: m["author"] == "bot")
        assert answer["meta"]["kind"] == "answer"
        assert answer["meta"]["question_seq"] == first["message"]["seq"]
        left = await waiting_inbox.wait_for("message", lambda m: m["author"] == "system")
        assert "geen collega meer" in left["text"] and left["meta"]["offer"] == "leave_question"
        # The bot saw this one while it waited: the form holds it, the bot says no more.
        assert left["meta"]["question_seq"] == second["message"]["seq"]
        for widget in (served, waiting):
            assert (await call(widget, "/shopper", "sync"))["conversation"]["state"] == "bot"


async def test_the_wait_estimate_counts_each_agents_own_capacity(
    tmp_path: Path, seeded_data: Path
) -> None:
    """Anna handles one conversation at a time (her own capacity, below the default of 4):
    the next in line waits about one handling time, not a quarter of it."""
    shutil.copytree(seeded_data, tmp_path / "shop" / "data")
    config = write_config(
        tmp_path / "shop",
        ROUTING.replace("max_conversations_per_agent = 1", "max_conversations_per_agent = 4")
        + "default_handling_seconds = 300\ncapacity = { anna = 1 }\n",
    )
    async with running(config, FakeClock(WEDNESDAY_MORNING)) as server:
        anna = await login(server.url, "anna", AGENT_PASSWORD)
        async with (
            agent(server.url, anna) as _,
            shopper(server.url) as (served, _),
            shopper(server.url) as (waiting, _),
        ):
            assert (await _say(served, "eerst"))["conversation"]["state"] == "assigned"
            assert (await _say(waiting, "tweede"))["conversation"]["state"] == "queued"
            synced = await call(waiting, "/shopper", "sync")
            assert synced["queue"] == {**synced["queue"], "position": 1, "wait_seconds": 300}


async def test_the_wait_estimate_follows_agents_going_away_and_coming_back(
    tmp_path: Path, seeded_data: Path
) -> None:
    """A colleague who goes away takes their places with them: the waiting shopper's
    estimate grows at once, and shrinks again when they are back, though nobody moved."""
    shutil.copytree(seeded_data, tmp_path / "shop" / "data")
    config = write_config(tmp_path / "shop", ROUTING + "default_handling_seconds = 300\n")
    async with running(config, FakeClock(WEDNESDAY_MORNING)) as server:
        anna = await login(server.url, "anna", AGENT_PASSWORD)
        bram = await login(server.url, "bram", AGENT_PASSWORD)
        async with (
            agent(server.url, anna) as _,
            agent(server.url, bram) as (desk, _),
            shopper(server.url) as (one, _),
            shopper(server.url) as (two, _),
            shopper(server.url) as (waiting, inbox),
        ):
            for widget in (one, two):
                assert (await _say(widget, "hallo"))["conversation"]["state"] == "assigned"
            assert (await _say(waiting, "en ik?"))["conversation"]["state"] == "queued"
            before = (await call(waiting, "/shopper", "sync"))["queue"]["wait_seconds"]
            assert (await call(desk, "/agent", "status", {"status": "away"}))["ok"]
            away = await inbox.wait_for("queue", lambda q: q["wait_seconds"] > before)
            assert away["wait_seconds"] == 2 * before
            assert (await call(desk, "/agent", "status", {"status": "online"}))["ok"]
            await inbox.wait_for("queue", lambda q: q["wait_seconds"] == before)


async def test_within_staffed_hours_the_widget_is_told_whether_anyone_is_online(
    live: tuple[RunningServer, FakeClock],
) -> None:
    """Staffed with nobody online the sentence says so, not "We're here"; a question left
    then is thanked for without a "when we are back" (and without the gap it leaves)."""
    server, _ = live
    async with shopper(server.url) as (widget, _):
        alone = await call(widget, "/shopper", "sync")
        assert alone["availability"]["staffed"] is True
        assert alone["availability"]["text"] == "Er is nu niemand online"
        left = await call(
            widget,
            "/shopper",
            "leave_question",
            {"client_id": new_client_id(), "text": "Kan ik ruilen?", "email": "sam@example.com"},
        )
        assert left["ok"], left
        thanks = (await call(widget, "/shopper", "sync"))["messages"][-1]["text"]
        assert thanks == (
            "Bedankt! We hebben je vraag ontvangen. Je ziet ons antwoord hier in de chat, en we "
            "nemen contact met je op via sam@example.com."
        )
        anna = await login(server.url, "anna", AGENT_PASSWORD)
        async with agent(server.url, anna) as _:
            served = await call(widget, "/shopper", "sync")
            assert served["availability"]["text"] == "We zijn er"


async def test_shoppers_are_told_when_an_agent_can_come_and_when_none_can(
    live: tuple[RunningServer, FakeClock],
) -> None:
    """Within staffed hours, shoppers already chatting are told at once, in their language,
    when the first agent comes online (so the widget can stop saying nobody is there) and
    when the last one goes away; nothing is sent while that stays the same."""
    server, _ = live
    anna = await login(server.url, "anna", AGENT_PASSWORD)
    bram = await login(server.url, "bram", AGENT_PASSWORD)
    async with (
        shopper(server.url, auth={"locale": "de-AT"}) as (german, german_inbox),
        shopper(server.url, auth={"locale": "en"}) as (english, english_inbox),
    ):
        alone = (await call(english, "/shopper", "sync"))["availability"]
        assert (alone["people"], alone["text"]) == (False, "Nobody is online right now")
        async with agent(server.url, anna) as (desk, _):
            came = await english_inbox.wait_for("availability")
            assert (came["staffed"], came["people"], came["text"]) == (True, True, "We're here")
            assert (await german_inbox.wait_for("availability"))["text"] == "Wir sind da"
            async with agent(server.url, bram) as (other, _):
                # A second agent changes nothing for shoppers (and leaves as away, so is
                # not awaited back).
                assert (await call(other, "/agent", "status", {"status": "away"}))["ok"]
            assert (await call(desk, "/agent", "status", {"status": "away"}))["ok"]
            gone = await english_inbox.wait_for("availability", lambda a: a["people"] is False)
            assert gone["text"] == "Nobody is online right now"
            assert (await call(german, "/shopper", "sync"))["availability"]["people"] is False
        told = [(a["people"], a["text"]) for a in english_inbox.of("availability")]
        assert told == [(True, "We're here"), (False, "Nobody is online right now")]


async def test_shoppers_are_told_when_staffed_hours_begin_and_a_reload_is_no_absence(
    live: tuple[RunningServer, FakeClock],
) -> None:
    """When staffed hours begin with nobody online, the line changes from "back at 09:00"
    to "nobody is online"; an agent's console reloading is not announced as nobody there."""
    server, clock = live
    clock.now = WEDNESDAY_EVENING + 12 * 3600 + 59 * 60  # Thursday 08:59 in Amsterdam
    conversations = server.services.conversations
    await conversations.tick()
    async with shopper(server.url, auth={"locale": "en"}) as (widget, inbox):
        before = (await call(widget, "/shopper", "sync"))["availability"]
        assert (before["staffed"], before["text"]) == (False, "Back today at 09:00")
        clock.advance(60)
        await conversations.tick()
        opened = await inbox.wait_for("availability")
        assert (opened["staffed"], opened["people"]) == (True, False)
        assert opened["text"] == "Nobody is online right now"
        anna = await login(server.url, "anna", AGENT_PASSWORD)
        async with agent(server.url, anna):
            await inbox.wait_for("availability", lambda a: a["people"] is True)
        # The console is gone, but within the grace period it may be back any moment.
        clock.advance(5)
        await conversations.tick()
        async with agent(server.url, anna):
            pass
        clock.advance(5)
        await conversations.tick()
        assert [a["people"] for a in inbox.of("availability")] == [False, True]
        clock.advance(60)
        await conversations.tick()
        await inbox.wait_for("availability", lambda a: a["people"] is False and a["staffed"])


async def test_asking_again_after_every_agent_passed_it_over_reaches_an_agent(
    live: tuple[RunningServer, FakeClock],
) -> None:
    """Both agents online stayed silent, the queue's wait ran out and the bot took the
    conversation back: when the shopper asks for a person again, the request starts afresh
    (both agents eligible again, its wait from now) rather than queueing for nobody and
    being sent back to the bot at the next tick."""
    server, clock = live
    conversations = server.services.conversations
    async with anna_and_bram(server.url), shopper(server.url) as (widget, _):
        conversation_id = (await _say(widget, "is er iemand?"))["conversation"]["id"]
        for _ in range(2):  # the first agent is silent, then the second
            clock.advance(61)
            await conversations.tick()
        held = await conversations.get(conversation_id)
        assert (held.state.value, len(held.excluded)) == ("queued", 2)
        clock.advance(600)
        await conversations.tick()
        assert held.state.value == "bot"

        # Both agents busy now: asked again, the shopper waits in the queue from now on,
        # not from their first question (which would send them back at the next tick).
        async with shopper(server.url) as (second, _), shopper(server.url) as (third, _):
            for other in (second, third):
                await _say(other, "hallo")
            asked = await call(widget, "/shopper", "handoff", {})
            assert asked["conversation"]["state"] == "queued", asked
            clock.advance(1)
            await conversations.tick()
            assert (held.state.value, held.excluded) == ("queued", set())


async def test_a_question_left_as_it_was_asked_is_stored_once(
    live: tuple[RunningServer, FakeClock],
) -> None:
    """The form opens holding the question the bot could not answer: left unchanged, that
    message is the question (once in the conversation, for the agent and the shopper); a
    question written anew in the form is a message of its own."""
    server, clock = live
    clock.now = WEDNESDAY_EVENING
    question = "Kunnen jullie de fietstas ook in het rood leveren?"
    async with shopper(server.url, auth={"locale": "nl"}) as (widget, inbox):
        asked = await _say(widget, question)
        await inbox.wait_for("message", lambda m: m["author"] == "bot")
        left = await call(
            widget,
            "/shopper",
            "leave_question",
            {"client_id": new_client_id(), "text": question + " ", "phone": "0612345678"},
        )
        assert left["ok"] and left["duplicate"] is False
        assert left["message"]["seq"] == asked["message"]["seq"]
        # Sent again to correct the contact: a question of its own, not lost in the first.
        corrected = await call(
            widget,
            "/shopper",
            "leave_question",
            {"client_id": new_client_id(), "text": question, "email": "sanne@example.nl"},
        )
        assert corrected["ok"] and corrected["message"]["seq"] > left["message"]["seq"]
        other = await call(
            widget,
            "/shopper",
            "leave_question",
            {"client_id": new_client_id(), "text": "En in het blauw?", "phone": "0612345678"},
        )
        assert other["message"]["seq"] > corrected["message"]["seq"]
        synced = await call(widget, "/shopper", "sync")
        shoppers = [m["text"] for m in synced["messages"] if m["author"] == "shopper"]
        assert shoppers == [question, question, "En in het blauw?"]
    anna = await login(server.url, "anna", AGENT_PASSWORD)
    async with agent(server.url, anna) as (desk, _):
        callbacks = (await call(desk, "/agent", "sync"))["callbacks"]
        assert sorted((c["question"], c["email"] or "") for c in callbacks) == [
            ("En in het blauw?", ""),
            (question, ""),
            (question, "sanne@example.nl"),
        ]


async def test_a_wait_longer_than_the_queue_keeps_a_shopper_is_not_estimated(
    tmp_path: Path, seeded_data: Path
) -> None:
    """The queue keeps a shopper ten minutes; once the estimate is longer than what is left
    of that, as time passes too, the shopper is told so (no estimate, `beyond_timeout`) and
    may leave a question, keeping their place; when the wait runs out, the bot's notice
    offers the form without opening it again (`left`)."""
    shutil.copytree(seeded_data, tmp_path / "shop" / "data")
    config = write_config(tmp_path / "shop", ROUTING + "default_handling_seconds = 300\n")
    clock = FakeClock(WEDNESDAY_MORNING)
    async with (
        running(config, clock) as server,
        anna_busy_and_a_shopper_waiting(server.url) as (_, waiting, inbox),
    ):
        synced = (await call(waiting, "/shopper", "sync"))["queue"]
        assert (synced["wait_seconds"], synced["beyond_timeout"]) == (300, False)

        clock.advance(400)  # 200 s left in the queue, 300 s to wait
        await server.services.conversations.tick()
        told = await inbox.wait_for("queue", lambda q: q["beyond_timeout"])
        assert told["wait_seconds"] is None and told["position"] == 1
        # The bot no longer says a colleague comes shortly, asked for one or not knowing.
        asked = (await _say(waiting, "Ik wil een medewerker spreken"))["message"]["seq"]
        person = await inbox.wait_for(
            "message", lambda m: (m.get("meta") or {}).get("question_seq") == asked
        )
        assert "achterlaten" in person["text"] and "zo bij je" not in person["text"]
        left = await call(
            waiting,
            "/shopper",
            "leave_question",
            {"client_id": new_client_id(), "text": "Bel me maar", "phone": "0612345678"},
        )
        assert left["ok"] and left["conversation"]["state"] == "queued", left
        asked = (await _say(waiting, "qwxz vlorp brnk"))["message"]["seq"]
        unknown = await inbox.wait_for(
            "message", lambda m: (m.get("meta") or {}).get("question_seq") == asked
        )
        assert "lang duren" in unknown["text"] and "ligt al klaar" in unknown["text"]

        clock.advance(201)
        await server.services.conversations.tick()
        notice = await inbox.wait_for(
            "message", lambda m: (m.get("meta") or {}).get("kind") == "notice"
        )
        assert notice["meta"]["offer"] == "leave_question" and notice["meta"]["left"] is True


async def test_after_the_queue_gave_up_the_bot_offers_the_form_while_everyone_is_busy(
    live: tuple[RunningServer, FakeClock],
) -> None:
    """The queue's wait ran out: the shopper was told everyone is busy and offered the
    form. A question the bot does not know then gets the form offered again, not "would
    you like to ask a colleague?" (that would mean the queue again); once an agent has
    room, the bot offers a person as before."""
    server, clock = live
    async with anna_busy_and_a_shopper_waiting(server.url) as (desk, waiting, inbox):
        clock.advance(601)
        await server.services.conversations.tick()
        await inbox.wait_for("message", lambda m: (m.get("meta") or {}).get("kind") == "notice")

        async def bot_reply(text: str) -> dict:  # type: ignore[type-arg]
            seq = (await _say(waiting, text))["message"]["seq"]
            return await inbox.wait_for(
                "message", lambda m: (m.get("meta") or {}).get("question_seq") == seq
            )

        still_busy = await bot_reply("qwxz vlorp brnk")
        assert still_busy["meta"]["kind"] == "unknown"
        assert still_busy["meta"]["offer"] == "leave_question", still_busy
        # An answer marked not helpful offers the form too, not a person.
        answered = await bot_reply("Hoe lang duurt de levering?")
        assert answered["meta"]["kind"] == "answer", answered
        rated = {"seq": answered["seq"], "helpful": False}
        assert (await call(waiting, "/shopper", "feedback", rated))["offer"] == "leave_question"

        synced = (await call(desk, "/agent", "sync"))["conversations"]
        (served,) = [c for c in synced if c["state"] == "assigned"]
        told = len(inbox.of("conversation"))
        assert inbox.of("conversation")[-1]["queue_gave_up"] is True
        assert (await call(desk, "/agent", "close", {"conversation_id": served["id"]}))["ok"]
        # anna has room: within a tick the widget is told it may offer a person again.
        await server.services.conversations.tick()
        for _ in range(100):
            later = inbox.of("conversation")[told:]
            if later:
                break
            await asyncio.sleep(0.05)
        assert [(c["state"], c["queue_gave_up"]) for c in later] == [("bot", False)]
        room = await bot_reply("brnk vlorp qwxz")
        assert room["meta"]["offer"] == "person", room
        # Choosing to wait again is a fresh start: back in line, the flag is gone.
        conversation_id = answered["conversation_id"]
        assert (await call(waiting, "/shopper", "handoff", {}))["ok"]
        again = await server.services.conversations.get(conversation_id)
        assert again.state.value == "assigned" and not again.queue_gave_up


async def test_a_queue_timeout_shorter_than_the_answer_timeout_is_warned_of(
    tmp_path: Path, seeded_data: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A conversation taken from an agent who did not answer has waited the answer timeout
    already; with a shorter queue timeout it would go straight to the bot. The server
    starts, and says so in its log, naming both settings."""
    shutil.copytree(seeded_data, tmp_path / "shop" / "data")
    config = write_config(
        tmp_path / "shop",
        ROUTING.replace("queue_timeout_seconds = 600", "queue_timeout_seconds = 60"),
    )
    with caplog.at_level(logging.WARNING, logger="loket"):
        async with (
            running(config, FakeClock(WEDNESDAY_MORNING)) as server,
            shopper(server.url) as (widget, _),
        ):
            assert (await _say(widget, "hallo"))["ok"]
    warned = [
        r.getMessage() for r in caplog.records if "queue_timeout_seconds (60)" in r.getMessage()
    ]
    assert warned and "agent_answer_timeout_seconds (60)" in warned[0], caplog.text
    caplog.clear()
    async with running(write_config(tmp_path / "other", ROUTING), FakeClock(WEDNESDAY_MORNING)):
        pass
    assert "queue_timeout_seconds" not in caplog.text


async def test_sync_tells_each_colleague_s_load_and_capacity(
    tmp_path: Path, seeded_data: Path
) -> None:
    """For a transfer, the console is told who is online with how many conversations they
    have and how many routing gives them at once (their own override, if any), so it can
    mark a full colleague."""
    shutil.copytree(seeded_data, tmp_path / "shop" / "data")
    config = write_config(tmp_path / "shop", ROUTING + "capacity = { bram = 3 }\n")
    async with (
        running(config, FakeClock(WEDNESDAY_MORNING)) as server,
        anna_busy_and_a_shopper_waiting(server.url),
    ):
        bram = await login(server.url, "bram", AGENT_PASSWORD)
        async with agent(server.url, bram) as (desk, _):
            agents = {a["name"]: a for a in (await call(desk, "/agent", "sync"))["agents"]}
    # bram came online with room: the waiting shopper is his now.
    assert (agents["anna"]["load"], agents["anna"]["capacity"]) == (1, 1)
    assert (agents["bram"]["load"], agents["bram"]["capacity"]) == (1, 3)


async def test_suggestions_stay_for_a_question_only_held_so_far(
    live: tuple[RunningServer, FakeClock],
) -> None:
    """The agent said "let me check" (or a colleague did, then handed the chat on): the
    shopper's question is still open, and the console still suggests answers for it."""
    server, _ = live
    anna = await login(server.url, "anna", AGENT_PASSWORD)
    async with agent(server.url, anna) as (desk, _), shopper(server.url) as (widget, _):
        asked = await _say(widget, "Hoe lang duurt de levering?")
        ref = {"conversation_id": asked["conversation"]["id"]}
        before = await call(desk, "/agent", "suggestions", ref)
        assert before["suggestions"], before
        holding = {**ref, "client_id": new_client_id(), "text": "Ik kijk het even voor je na!"}
        assert (await call(desk, "/agent", "message", holding))["ok"]
        after = await call(desk, "/agent", "suggestions", ref)
        assert after["question"] == "Hoe lang duurt de levering?", after
        assert [s["id"] for s in after["suggestions"]] == [s["id"] for s in before["suggestions"]]


async def test_consoles_get_the_agent_s_id_with_a_reply_shoppers_do_not(
    live: tuple[RunningServer, FakeClock],
) -> None:
    """A console tells its own agent's replies from a colleague's by the agent's id; the
    shopper gets the same reply with the agent's name only."""
    server, _ = live
    async with anna_with_a_shopper(server.url) as (desk, _, widget_inbox, ref):
        sent = {**ref, "client_id": new_client_id(), "text": "Ik help je graag verder."}
        ack = await call(desk, "/agent", "message", sent)
        anna_id = (await call(desk, "/agent", "sync"))["agent"]["id"]
        assert ack["message"]["agent_id"] == anna_id
        opened = await call(desk, "/agent", "open", ref)
        (reply,) = [m for m in opened["messages"] if m["author"] == "agent"]
        assert reply["agent_id"] == anna_id
        seen = await widget_inbox.wait_for("message", lambda m: m["author"] == "agent")
        assert seen["agent_name"] and "agent_id" not in seen
