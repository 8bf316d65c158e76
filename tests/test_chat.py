"""Shoppers and agents talking through a real server: messages, typing, read receipts."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path
from typing import Any

import pytest

from loket.auth import customer_signature
from loket.conversations import PageContext
from loket.store import NewShopper, ShopperRecord
from tests.conftest import AGENT_PASSWORD
from tests.inprocess import FakeClock, running
from tests.support import ServerProcess, agent, call, login, new_client_id, shopper

# As in tests/support.write_config.
SHOP_SECRET = "shop-secret-0123456789abcdef"


async def test_round_trip_with_typing_and_read_receipts(server: ServerProcess) -> None:
    """A shopper and an agent exchange messages both ways, see each other type and read."""
    token = await login(server.url, "anna", AGENT_PASSWORD)
    async with agent(server.url, token) as (desk, desk_inbox):
        assert (await call(desk, "/agent", "sync"))["ok"]
        async with shopper(server.url) as (widget, widget_inbox):
            synced = await call(widget, "/shopper", "sync")
            assert synced["ok"] and synced["conversation"] is None and synced["token"]
            sent = await call(
                widget, "/shopper", "message", {"client_id": new_client_id(), "text": "Hoi!"}
            )
            assert sent["ok"] and sent["message"]["seq"] == 1
            conversation_id = sent["conversation"]["id"]
            # The waiting conversation and its message reach every agent live.
            await desk_inbox.wait_for("conversation", lambda c: c["id"] == conversation_id)
            await desk_inbox.wait_for("message", lambda m: m["text"] == "Hoi!")

            taken = await call(desk, "/agent", "take", {"conversation_id": conversation_id})
            assert taken["conversation"]["state"] == "assigned"
            changed = await widget_inbox.wait_for(
                "conversation", lambda c: c["state"] == "assigned"
            )
            assert changed["agent"]["name"] == "anna"
            # And a line in the conversation says so (seq 2), for both of them.
            joined = await widget_inbox.wait_for("message", lambda m: m["author"] == "system")
            assert (joined["seq"], joined["text"]) == (2, "anna helpt je verder.")
            assert joined["meta"] == {"kind": "joined", "agent_name": "anna"}

            await call(
                desk, "/agent", "typing", {"conversation_id": conversation_id, "typing": True}
            )
            typing = await widget_inbox.wait_for("typing")
            assert typing == {"author": "agent", "agent_name": "anna", "typing": True}

            reply = await call(
                desk,
                "/agent",
                "message",
                {"conversation_id": conversation_id, "client_id": new_client_id(), "text": "Hallo"},
            )
            assert reply["message"]["seq"] == 3
            got = await widget_inbox.wait_for("message", lambda m: m["author"] == "agent")
            assert got["text"] == "Hallo" and got["agent_name"] == "anna"

            await call(widget, "/shopper", "typing", {"typing": True})
            seen = await desk_inbox.wait_for("typing")
            assert seen["author"] == "shopper" and seen["conversation_id"] == conversation_id

            read = await call(widget, "/shopper", "read", {"seq": 2})
            assert read["seq"] == 2
            receipt = await desk_inbox.wait_for("read")
            assert receipt == {"conversation_id": conversation_id, "by": "shopper", "seq": 2}

            agent_read = await call(
                desk, "/agent", "read", {"conversation_id": conversation_id, "seq": 1}
            )
            assert agent_read["seq"] == 1
            assert (await widget_inbox.wait_for("read"))["by"] == "agent"

            closed = await call(desk, "/agent", "close", {"conversation_id": conversation_id})
            assert closed["conversation"]["state"] == "closed"
            await widget_inbox.wait_for("conversation", lambda c: c["state"] == "closed")


async def test_reload_finds_the_same_conversation(server: ServerProcess) -> None:
    """The visitor token from sync brings a reloaded page back to its conversation and history."""
    async with shopper(server.url) as (widget, _):
        token = (await call(widget, "/shopper", "sync"))["token"]
        for text in ("een", "twee"):
            await call(widget, "/shopper", "message", {"client_id": new_client_id(), "text": text})
    async with shopper(server.url, auth={"token": token}) as (widget, _):
        synced = await call(widget, "/shopper", "sync")
        mine = [m for m in synced["messages"] if m["author"] == "shopper"]
        assert [m["text"] for m in mine] == ["een", "twee"]
        assert synced["token"] == token or synced["token"]
        later = await call(
            widget,
            "/shopper",
            "sync",
            {"conversation_id": synced["conversation"]["id"], "after_seq": 1},
        )
        assert later["messages"] and all(m["seq"] > 1 for m in later["messages"])
        assert "twee" in [m["text"] for m in later["messages"]]


async def test_two_tabs_see_each_others_messages(server: ServerProcess) -> None:
    """A message sent in one tab appears in the shopper's other tab."""
    async with shopper(server.url) as (first, _):
        token = (await call(first, "/shopper", "sync"))["token"]
        await call(first, "/shopper", "message", {"client_id": new_client_id(), "text": "start"})
        async with shopper(server.url, auth={"token": token}) as (second, second_inbox):
            await call(second, "/shopper", "sync")
            await call(
                first, "/shopper", "message", {"client_id": new_client_id(), "text": "tab 1"}
            )
            got = await second_inbox.wait_for("message", lambda m: m["text"] == "tab 1")
            assert got["author"] == "shopper"


@pytest.mark.parametrize("writer", [0, 1])
async def test_a_tab_connected_before_the_first_message_follows_the_conversation(
    server: ServerProcess, writer: int
) -> None:
    """Two tabs of a visitor who has not written yet (the second connected with the token
    the first was given): the first message, written in either, reaches the other tab live,
    and so do the bot's answer and the next messages; its sync holds the conversation."""
    async with shopper(server.url) as first:
        token = (await call(first[0], "/shopper", "sync"))["token"]
        async with shopper(server.url, auth={"token": token}) as second:
            assert (await call(second[0], "/shopper", "sync"))["conversation"] is None
            (writes, writes_inbox), (reads, reads_inbox) = (
                (first, second)[writer],
                (
                    second,
                    first,
                )[writer],
            )
            sent = await call(
                writes, "/shopper", "message", {"client_id": new_client_id(), "text": "hallo"}
            )
            got = await reads_inbox.wait_for("message", lambda m: m["text"] == "hallo")
            assert got["conversation_id"] == sent["conversation"]["id"]
            await reads_inbox.wait_for("message", lambda m: m["author"] == "bot")
            synced = await call(reads, "/shopper", "sync")
            assert synced["conversation"]["id"] == sent["conversation"]["id"]
            await call(reads, "/shopper", "message", {"client_id": new_client_id(), "text": "nog"})
            await writes_inbox.wait_for("message", lambda m: m["text"] == "nog")


async def test_a_customer_s_tabs_follow_their_first_chat_and_an_anonymous_one_does_not(
    server: ServerProcess,
) -> None:
    """Two tabs of a customer the shop vouches for, neither of whom has written (each with
    a visitor id of its own), and an anonymous tab holding the first one's token: the
    customer's first message reaches their other tab, never the anonymous one, which, when
    it writes, gets a conversation of its own."""
    claim = {"id": "cust-tabs", "signature": customer_signature(SHOP_SECRET, "cust-tabs")}
    async with shopper(server.url, auth={"customer": claim}) as (one, _):
        token = (await call(one, "/shopper", "sync"))["token"]
        async with (
            shopper(server.url, auth={"customer": claim}) as (other, other_inbox),
            shopper(server.url, auth={"token": token}) as (stranger, stranger_inbox),
        ):
            await call(other, "/shopper", "sync")
            assert (await call(stranger, "/shopper", "sync"))["identity"] == "anonymous"
            await call(one, "/shopper", "message", {"client_id": new_client_id(), "text": "privé"})
            await other_inbox.wait_for("message", lambda m: m["text"] == "privé")
            assert (await call(stranger, "/shopper", "sync"))["messages"] == []
            # Writing, the anonymous tab gets a conversation (and a visitor id) of its own.
            sent = await call(
                stranger, "/shopper", "message", {"client_id": new_client_id(), "text": "hoi"}
            )
            assert sent["token"] != token
            own = (await call(stranger, "/shopper", "sync"))["messages"]
            assert [m["text"] for m in own if m["author"] == "shopper"] == ["hoi"]
            theirs = (await call(other, "/shopper", "sync"))["messages"]
            assert [m["text"] for m in theirs if m["author"] == "shopper"] == ["privé"]
            assert not [m for m in stranger_inbox.of("message") if m["text"] == "privé"]


async def test_a_customer_claiming_a_browser_s_chat_drops_its_anonymous_tabs(
    server: ServerProcess,
) -> None:
    """A visitor chats anonymously; the shop then vouches for them in another tab, which
    claims the conversation for the customer. The anonymous tab still open is disconnected
    (it no longer follows, nor writes into, the customer's conversation), and connecting
    again with the browser's token it starts afresh."""
    claim = {"id": "cust-claim", "signature": customer_signature(SHOP_SECRET, "cust-claim")}
    async with shopper(server.url) as (anon, _):
        token = (await call(anon, "/shopper", "sync"))["token"]
        await call(anon, "/shopper", "message", {"client_id": new_client_id(), "text": "eerst"})
        async with shopper(server.url, auth={"token": token, "customer": claim}) as (cust, _):
            assert (await call(cust, "/shopper", "sync"))["identity"] == "verified"
            for _ in range(50):
                if "/shopper" not in anon.namespaces:
                    break
                await asyncio.sleep(0.1)
            assert "/shopper" not in anon.namespaces
            await call(cust, "/shopper", "message", {"client_id": new_client_id(), "text": "adres"})
    async with shopper(server.url, auth={"token": token}) as (again, _):
        synced = await call(again, "/shopper", "sync")
        assert synced["identity"] == "anonymous" and synced["messages"] == []


async def test_an_anonymous_tab_writing_after_its_customer_tab_gets_its_own_conversation(
    server: ServerProcess,
) -> None:
    """A first-time visitor's tab (its visitor id made for it) and, with that tab's token, a
    tab where the shop vouches for them as a customer; the customer writes first. The
    anonymous tab's first message then goes to a conversation of its own, under a visitor id
    of its own whose token comes with the acknowledgement; connecting again with it finds
    that conversation, with the customer's token nothing of the customer's."""
    claim = {"id": "cust-first", "signature": customer_signature(SHOP_SECRET, "cust-first")}
    async with shopper(server.url) as (anon, _):
        token = (await call(anon, "/shopper", "sync"))["token"]
        async with shopper(server.url, auth={"token": token, "customer": claim}) as (cust, _):
            await call(
                cust, "/shopper", "message", {"client_id": new_client_id(), "text": "mijn adres"}
            )
            sent = await call(
                anon, "/shopper", "message", {"client_id": new_client_id(), "text": "anoniem"}
            )
            assert sent["ok"] and sent["token"] != token, sent
            theirs = (await call(cust, "/shopper", "sync"))["messages"]
            assert [m["text"] for m in theirs if m["author"] == "shopper"] == ["mijn adres"]
            mine = (await call(anon, "/shopper", "sync"))["messages"]
            assert [m["text"] for m in mine if m["author"] == "shopper"] == ["anoniem"]
    async with shopper(server.url, auth={"token": sent["token"]}) as (again, _):
        synced = await call(again, "/shopper", "sync")
        assert [m["text"] for m in synced["messages"] if m["author"] == "shopper"] == ["anoniem"]
    async with shopper(server.url, auth={"token": token}) as (stranger, _):
        assert (await call(stranger, "/shopper", "sync"))["messages"] == []


async def test_two_agents_taking_one_conversation_one_wins(server: ServerProcess) -> None:
    """When two agents take the same conversation at once, exactly one gets it."""
    anna = await login(server.url, "anna", AGENT_PASSWORD)
    bram = await login(server.url, "bram", AGENT_PASSWORD)
    async with (
        agent(server.url, anna) as (a, _),
        agent(server.url, bram) as (b, _),
        shopper(server.url) as (widget, _),
    ):
        sent = await call(
            widget, "/shopper", "message", {"client_id": new_client_id(), "text": "hulp"}
        )
        ref = {"conversation_id": sent["conversation"]["id"]}
        results = await asyncio.gather(
            call(a, "/agent", "take", ref), call(b, "/agent", "take", ref)
        )
        assert sorted(r["ok"] for r in results) == [False, True]
        loser = next(r for r in results if not r["ok"])
        assert loser["error"]["code"] == "already_taken"
        # The loser may not reply in it.
        loser_client = b if results[1] is loser else a
        refused = await call(
            loser_client,
            "/agent",
            "message",
            {**ref, "client_id": new_client_id(), "text": "ik ook"},
        )
        assert refused["error"]["code"] == "not_assigned"


async def test_closed_conversation_reopens_when_the_shopper_writes(server: ServerProcess) -> None:
    """A shopper writing after an agent closed the conversation reopens it, keeping its history."""
    token = await login(server.url, "anna", AGENT_PASSWORD)
    async with agent(server.url, token) as (desk, desk_inbox), shopper(server.url) as (widget, _):
        first = await call(
            widget, "/shopper", "message", {"client_id": new_client_id(), "text": "vraag"}
        )
        ref = {"conversation_id": first["conversation"]["id"]}
        await call(desk, "/agent", "take", ref)
        await call(desk, "/agent", "close", ref)
        again = await call(
            widget, "/shopper", "message", {"client_id": new_client_id(), "text": "nog iets"}
        )
        assert again["conversation"]["id"] == ref["conversation_id"]
        # A returning shopper goes back to the agent they had.
        assert again["conversation"]["state"] == "assigned"
        assert again["conversation"]["agent"]["name"] == "anna"
        # After the line that said anna has it; back with her, no second line.
        assert again["message"]["seq"] == 3
        await desk_inbox.wait_for(
            "conversation",
            lambda c: c["id"] == ref["conversation_id"] and c["previous_state"] == "closed",
        )


async def test_without_agents_online_the_conversation_stays_with_the_bot(
    server: ServerProcess,
) -> None:
    """With no agent online a new conversation is with the bot, and an agent can still take it."""
    async with shopper(server.url) as (widget, _):
        sent = await call(
            widget, "/shopper", "message", {"client_id": new_client_id(), "text": "hallo"}
        )
        assert sent["conversation"]["state"] == "bot"
    token = await login(server.url, "anna", AGENT_PASSWORD)
    async with agent(server.url, token) as (desk, _):
        synced = await call(desk, "/agent", "sync")
        listed = {c["id"]: c for c in synced["conversations"]}
        conversation = listed[sent["conversation"]["id"]]
        assert conversation["state"] == "bot" and conversation["last_message"]
        opened = await call(desk, "/agent", "open", {"conversation_id": conversation["id"]})
        assert opened["messages"][0]["text"] == "hallo"
        taken = await call(desk, "/agent", "take", {"conversation_id": conversation["id"]})
        assert taken["ok"]


async def test_agent_sees_earlier_conversations_closed_today_and_summaries(
    server: ServerProcess,
) -> None:
    """Opening a conversation shows the shopper's earlier ones; closed ones keep a summary."""
    token = await login(server.url, "anna", AGENT_PASSWORD)
    async with agent(server.url, token) as (desk, _), shopper(server.url) as (widget, _):
        first = await call(
            widget, "/shopper", "message", {"client_id": new_client_id(), "text": "a"}
        )
        ref = {"conversation_id": first["conversation"]["id"]}
        closed = await call(desk, "/agent", "close", {**ref, "summary": "Wilde ruilen; gedaan."})
        assert closed["conversation"]["note"] == "Wilde ruilen; gedaan."
        synced = await call(desk, "/agent", "sync")
        assert [c["id"] for c in synced["closed_today"]] == [ref["conversation_id"]]
        opened = await call(desk, "/agent", "open", ref)
        assert opened["earlier"] == []


async def test_a_day_later_a_new_conversation_shows_the_earlier_one(config_path: Path) -> None:
    """A shopper writing a day after the close starts anew; agents see the earlier conversation."""
    clock = FakeClock()
    async with running(config_path, clock) as live:
        token = await login(live.url, "anna", AGENT_PASSWORD)
        async with agent(live.url, token) as (desk, _), shopper(live.url) as (widget, _):
            first = await call(
                widget, "/shopper", "message", {"client_id": new_client_id(), "text": "a"}
            )
            old = first["conversation"]["id"]
            await call(desk, "/agent", "close", {"conversation_id": old, "summary": "Opgelost."})
            clock.advance(25 * 3600)
            again = await call(
                widget, "/shopper", "message", {"client_id": new_client_id(), "text": "b"}
            )
            assert again["conversation"]["id"] != old
        # The agent's session of yesterday has expired: a new shift logs in.
        token = await login(live.url, "anna", AGENT_PASSWORD)
        async with agent(live.url, token) as (desk, _):
            ref = {"conversation_id": again["conversation"]["id"]}
            opened = await call(desk, "/agent", "open", ref)
            (earlier,) = opened["earlier"]
            assert earlier["id"] == old and earlier["note"] == "Opgelost."


async def test_a_first_message_is_one_commit_with_its_shopper_and_conversation(
    config_path: Path,
) -> None:
    """A new visitor's first message is stored with their shopper record and conversation
    in one transaction, and so is the first message of a conversation opened anew; the
    widget is told about it all as before."""
    clock = FakeClock()
    async with running(config_path, clock) as live:
        services = live.services
        db = services.store.db
        joined: list[int] = []

        async def join(shopper: ShopperRecord) -> None:
            joined.append(shopper.id)

        before = db.batches
        sent = await services.conversations.first_message(
            NewShopper("fresh-visitor", locale="nl"),
            "client-first",
            "  Hoe lang duurt de levering?  ",
            PageContext("https://shop.example/jas", "Winterjas", "nl"),
            joined=join,
        )
        assert db.batches == before + 1
        assert sent is not None
        conversation, message, duplicate = sent
        assert not duplicate and message.seq == 1 and message.text == "Hoe lang duurt de levering?"
        shopper = await services.store.shopper_by_public_id("fresh-visitor")
        assert shopper is not None and joined == [shopper.id]
        assert conversation.shopper_id == shopper.id and conversation.page_title == "Winterjas"
        stored = await services.store.messages_after(conversation.id, 0, 10)
        assert [(m.seq, m.client_id) for m in stored[:1]] == [(1, "client-first")]
        # Sent again (a retry), it is the same message.
        again = await services.conversations.shopper_message(
            shopper, "client-first", "Hoe lang duurt de levering?", PageContext()
        )
        assert again[1].seq == 1 and again[2] is True
        # Closed and a day later: the next message opens a new conversation in one commit.
        admin = await services.store.agent_by_name("admin")
        assert admin is not None
        await services.conversations.close(admin.id, conversation.id, is_admin=True)
        clock.advance(25 * 3600)
        await services.conversations.drain()
        before = db.batches
        conversation2, message2, _ = await services.conversations.shopper_message(
            shopper, "client-second", "En de retour?", PageContext()
        )
        assert db.batches == before + 1
        assert conversation2.id != conversation.id and message2.seq == 1


async def test_a_first_message_after_another_tab_made_the_shopper_is_sent_as_usual(
    config_path: Path,
) -> None:
    """When the shopper record exists by the time a 'new' visitor writes (another tab of
    theirs was quicker), nothing is created twice: the message goes the usual way."""
    async with running(config_path) as live:
        services = live.services
        existing = await services.store.create_shopper(
            "two-tabs", customer_id=None, locale="nl", now=1
        )
        joined: list[int] = []

        async def join(shopper: ShopperRecord) -> None:
            joined.append(shopper.id)

        conversations = await services.store.count_conversations_by_state()
        sent = await services.conversations.first_message(
            NewShopper("two-tabs", locale="nl"), "client-x", "hallo", PageContext(), joined=join
        )
        assert sent is None and joined == [existing.id]
        assert await services.store.count_conversations_by_state() == conversations


async def test_a_client_id_is_a_resend_only_from_its_own_author(server: ServerProcess) -> None:
    """A client id another author used in the conversation is refused with client_id_taken:
    an agent, assigned or not, cannot pass the shopper's message off as a reply, nor the
    shopper an agent's; the same author's resend still returns what was stored."""
    anna = await login(server.url, "anna", AGENT_PASSWORD)
    bram = await login(server.url, "bram", AGENT_PASSWORD)
    async with agent(server.url, anna) as (a, _), shopper(server.url) as (widget, _):
        asked = new_client_id()
        sent = await call(
            widget, "/shopper", "message", {"client_id": asked, "text": "Wie helpt mij?"}
        )
        # Anna is the only agent online: the conversation is hers.
        assert sent["conversation"]["state"] == "assigned"
        ref = {"conversation_id": sent["conversation"]["id"]}
        async with agent(server.url, bram) as (b, _):
            for desk in (b, a):
                stolen = await call(
                    desk, "/agent", "message", {**ref, "client_id": asked, "text": "Ik"}
                )
                assert stolen["ok"] is False and stolen["error"]["code"] == "client_id_taken"
        answered = new_client_id()
        reply = await call(a, "/agent", "message", {**ref, "client_id": answered, "text": "Ik"})
        again = await call(a, "/agent", "message", {**ref, "client_id": answered, "text": "Ik"})
        assert again["duplicate"] is True and again["message"] == reply["message"]
        echo = await call(widget, "/shopper", "message", {"client_id": answered, "text": "Ik"})
        assert echo["error"]["code"] == "client_id_taken"
        resent = await call(
            widget, "/shopper", "message", {"client_id": asked, "text": "Wie helpt mij?"}
        )
        assert resent["duplicate"] is True and resent["message"]["author"] == "shopper"
        history = (await call(widget, "/shopper", "sync"))["messages"]
        assert [(m["author"], m["text"]) for m in history] == [
            ("shopper", "Wie helpt mij?"),
            ("system", "anna helpt je verder."),
            ("agent", "Ik"),
        ]


async def test_a_shopper_cannot_keep_the_bot_from_answering(server: ServerProcess) -> None:
    """The client ids the server gives the bot's answers are not the shopper's to use: sent
    ahead, one would have kept the bot from answering the message it belongs to."""
    async with shopper(server.url) as (widget, inbox):
        later = new_client_id()
        ahead = await call(
            widget, "/shopper", "message", {"client_id": f"bot:{later}:0", "text": "hoi"}
        )
        assert ahead["error"]["code"] == "invalid_payload"
        assert ahead["error"]["message"].startswith("client_id: ")
        await call(
            widget,
            "/shopper",
            "message",
            {"client_id": later, "text": "Hoe lang duurt de levering?"},
        )
        answer = await inbox.wait_for("message", lambda m: m["author"] == "bot")
        assert answer["client_id"] == f"bot:{later}:0"


async def test_a_conversation_is_rated_once_the_agent_closed_it(server: ServerProcess) -> None:
    """While the agent still has the conversation, `rate` is refused with still_open; once the
    agent closed it, the rating is taken."""
    token = await login(server.url, "anna", AGENT_PASSWORD)
    async with agent(server.url, token) as (desk, _), shopper(server.url) as (widget, _):
        sent = await call(
            widget, "/shopper", "message", {"client_id": new_client_id(), "text": "hoi"}
        )
        assert sent["conversation"]["state"] == "assigned"
        early = await call(widget, "/shopper", "rate", {"rating": 1})
        assert early["ok"] is False and early["error"]["code"] == "still_open"
        closed = await call(
            desk, "/agent", "close", {"conversation_id": sent["conversation"]["id"]}
        )
        assert closed["ok"]
        assert (await call(widget, "/shopper", "rate", {"rating": 5}))["ok"]


async def test_the_agent_sees_the_page_the_shopper_writes_from_now(server: ServerProcess) -> None:
    """A shopper who moves on to another page and writes from there: the conversation's page
    follows (agents are told at once, and it is stored), and a message from the same page
    changes nothing."""
    token = await login(server.url, "anna", AGENT_PASSWORD)
    product = {"url": "https://shop.test/fietstas", "title": "Fietstas"}
    checkout = {"url": "https://shop.test/checkout", "title": "Afrekenen"}
    async with agent(server.url, token) as (desk, desk_inbox), shopper(server.url) as (widget, _):
        first = await call(
            widget,
            "/shopper",
            "message",
            {"client_id": new_client_id(), "text": "Is deze tas waterdicht?", "page": product},
        )
        conversation_id = first["conversation"]["id"]
        await call(
            widget,
            "/shopper",
            "message",
            {"client_id": new_client_id(), "text": "En hoe betaal ik?", "page": checkout},
        )
        moved = await desk_inbox.wait_for(
            "conversation",
            lambda c: c["id"] == conversation_id and c["page"]["url"] == checkout["url"],
        )
        assert moved["page"] == checkout
        await call(
            widget,
            "/shopper",
            "message",
            {"client_id": new_client_id(), "text": "Met iDEAL?", "page": checkout},
        )
    async with agent(server.url, token) as (desk, _):
        synced = await call(desk, "/agent", "sync")
        (seen,) = [c for c in synced["conversations"] if c["id"] == conversation_id]
        assert seen["page"] == checkout
    pages = [c["page"]["url"] for c in desk_inbox.of("conversation") if c["id"] == conversation_id]
    assert pages.count(checkout["url"]) == 1, pages


async def test_a_status_set_in_one_tab_is_shown_in_the_agents_other_tabs(
    server: ServerProcess,
) -> None:
    """Routing goes by the status an agent set last, in whichever tab: their other consoles
    are told, a colleague's are not."""
    anna = await login(server.url, "anna", AGENT_PASSWORD)
    bram = await login(server.url, "bram", AGENT_PASSWORD)
    async with (
        agent(server.url, anna) as (first_tab, _),
        agent(server.url, anna) as (second_tab, second_inbox),
        agent(server.url, bram) as (_, bram_inbox),
    ):
        assert (await call(first_tab, "/agent", "status", {"status": "away"}))["ok"]
        told = await second_inbox.wait_for("status")
        assert told == {"status": "away"}
        assert (await call(second_tab, "/agent", "sync"))["agent"]["status"] == "away"
        await asyncio.sleep(0.2)
        assert not [event for event, _ in bram_inbox.events if event == "status"]


async def test_colleagues_see_assigned_conversations_in_previews(server: ServerProcess) -> None:
    """An agent gets a colleague's conversation as `previews`, the newest message of each
    conversation at most once a second, not message by message; opening it sends its
    messages as they come."""
    anna = await login(server.url, "anna", AGENT_PASSWORD)
    bram = await login(server.url, "bram", AGENT_PASSWORD)
    async with (
        agent(server.url, anna) as (a, anna_inbox),
        agent(server.url, bram) as (b, bram_inbox),
        shopper(server.url) as (first, _),
        shopper(server.url) as (second, _),
    ):
        # Away, anna gets no new conversations: they go to bram.
        assert (await call(a, "/agent", "status", {"status": "away"}))["ok"]
        assert (await call(a, "/agent", "sync"))["ok"]
        assert (await call(b, "/agent", "sync"))["ok"]
        ids = []
        for client in (first, second):
            for text in ("Waar blijft mijn pakket?", "Het is al een week."):
                sent = await call(
                    client, "/shopper", "message", {"client_id": new_client_id(), "text": text}
                )
                assert sent["ok"], sent
            assert sent["conversation"]["agent"]["name"] == "bram", sent
            ids.append(sent["conversation"]["id"])
        reply = {"conversation_id": ids[1], "client_id": new_client_id(), "text": "Ik kijk even."}
        assert (await call(b, "/agent", "message", reply))["ok"]
        started = asyncio.get_running_loop().time()

        def newest(previews: Any) -> dict[int, str]:
            return {m["conversation_id"]: m["text"] for m in previews["messages"]}

        def shown() -> dict[int, str]:
            seen: dict[int, str] = {}
            for previews in anna_inbox.of("previews"):
                seen.update(newest(previews))
            return seen

        await anna_inbox.wait_for(
            "previews",
            lambda _: shown() == {ids[0]: "Het is al een week.", ids[1]: "Ik kijk even."},
        )
        # Gathered: one message per conversation in an event, and few events.
        batches = anna_inbox.of("previews")
        assert all(len(newest(p)) == len(p["messages"]) for p in batches), batches
        assert len(batches) <= 2, batches
        assert asyncio.get_running_loop().time() - started < 3
        # An agent's message names its agent by id too, as everywhere on /agent.
        bram_id = (await call(b, "/agent", "sync"))["agent"]["id"]
        previewed = [m for p in batches for m in p["messages"] if m["author"] == "agent"]
        assert previewed and all(m["agent_id"] == bram_id for m in previewed), previewed
        listed = {c["id"]: c for c in (await call(a, "/agent", "sync"))["conversations"]}
        assert listed[ids[1]]["last_message"]["agent_id"] == bram_id
        # Bram, whose conversations they are, had every message as it was written.
        mine = [m for m in bram_inbox.of("message") if m["conversation_id"] in ids]
        assert [m["author"] for m in mine].count("system") == 2, mine  # "bram helpt je verder."
        assert len(mine) == 6, mine
        # Anna had none of them one by one.
        assert not [m for m in anna_inbox.of("message") if m["conversation_id"] in ids]

        opened = await call(a, "/agent", "open", {"conversation_id": ids[0]})
        assert [m["text"] for m in opened["messages"]][-1] == "Het is al een week."
        await call(first, "/shopper", "message", {"client_id": new_client_id(), "text": "Hallo?"})
        got = await anna_inbox.wait_for("message", lambda m: m["text"] == "Hallo?")
        assert got["conversation_id"] == ids[0]


async def test_a_conversation_loaded_while_it_is_being_made_is_one_conversation(
    config_path: Path,
) -> None:
    """Something else (a second tab's sync) may load a new conversation from the store
    between its commit and the moment its maker goes on: both get the same conversation,
    which knows the first message's client id and numbers the next messages after it."""
    async with running(config_path) as live:
        conversations = live.services.conversations
        store = live.services.store
        open_conversation = store.open_conversation
        loaded: list[Any] = []

        async def open_then_load(*args: Any, **kwargs: Any) -> Any:
            opened = await open_conversation(*args, **kwargs)
            loaded.append(await conversations.get(opened.conversation.id))
            return opened

        store.open_conversation = open_then_load  # type: ignore[method-assign]
        async with shopper(live.url) as (widget, _):
            first_id = new_client_id()
            first = await call(
                widget, "/shopper", "message", {"client_id": first_id, "text": "Hoi"}
            )
            conversation_id = first["conversation"]["id"]
            assert await conversations.get(conversation_id) is loaded[0]
            again = await call(
                widget, "/shopper", "message", {"client_id": first_id, "text": "Hoi"}
            )
            assert again["duplicate"] is True and again["message"]["seq"] == 1
            second = await call(
                widget, "/shopper", "message", {"client_id": new_client_id(), "text": "Nog een"}
            )
            await conversations.drain()
            history = await store.messages_after(conversation_id, 0, 50)
            assert [m.seq for m in history] == list(range(1, len(history) + 1))
            assert [m.client_id for m in history].count(first_id) == 1
            assert second["message"]["seq"] in [m.seq for m in history]


async def test_a_message_whose_sender_stopped_waiting_is_still_known_when_sent_again(
    config_path: Path,
) -> None:
    """A message's write is queued; if the task waiting for it is cancelled, the write may
    still commit. It is then known all the same: sent again, it is a duplicate of the stored
    one, not a second copy under a new number."""
    async with running(config_path) as live:
        services = live.services
        shopper = await services.store.create_shopper("waits", customer_id=None, locale="nl", now=1)
        conversations = services.conversations
        await conversations.shopper_message(shopper, "client-1", "Hallo", PageContext())
        await conversations.drain()
        queued = asyncio.Event()
        submit = services.store.db.submit

        def watched(op: Any, **kwargs: Any) -> Any:
            future = submit(op, **kwargs)
            queued.set()
            return future

        services.store.db.submit = watched  # type: ignore[method-assign]
        sending = asyncio.create_task(
            conversations.shopper_message(
                shopper, "client-2", "Waar is mijn pakket?", PageContext()
            )
        )
        # Once its write is queued, the sender waits for it; then the wait is cancelled.
        await queued.wait()
        services.store.db.submit = submit  # type: ignore[method-assign]
        sending.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await sending
        again = await conversations.shopper_message(
            shopper, "client-2", "Waar is mijn pakket?", PageContext()
        )
        conversation, message, duplicate = again
        assert duplicate is True
        await conversations.drain()
        stored = await services.store.messages_after(conversation.id, 0, 50)
        assert [m.client_id for m in stored].count("client-2") == 1
        assert message.seq == next(m.seq for m in stored if m.client_id == "client-2")


async def test_a_note_keeps_who_wrote_it(server: ServerProcess) -> None:
    """anna closes with a summary; the shopper writes again and bram closes it without one:
    the note is still anna's, and says so (closed by bram, note by anna), also after a
    restart."""
    anna = await login(server.url, "anna", AGENT_PASSWORD)
    bram = await login(server.url, "bram", AGENT_PASSWORD)
    async with agent(server.url, anna) as (first, _), shopper(server.url) as (widget, _):
        asked = await call(
            widget, "/shopper", "message", {"client_id": new_client_id(), "text": "a"}
        )
        ref = {"conversation_id": asked["conversation"]["id"]}
        token = (await call(widget, "/shopper", "sync"))["token"]
        closed = await call(first, "/agent", "close", {**ref, "summary": "Retour uitgelegd."})
        anna_id = closed["conversation"]["closed_by"]["id"]
        assert closed["conversation"]["note_by"] == {"id": anna_id, "name": "anna"}
    returning = shopper(server.url, auth={"token": token})
    async with agent(server.url, bram) as (second, _), returning as (widget, _):
        again = await call(
            widget, "/shopper", "message", {"client_id": new_client_id(), "text": "b"}
        )
        assert again["conversation"]["id"] == ref["conversation_id"], again
        if again["conversation"]["state"] != "assigned":
            assert (await call(second, "/agent", "take", ref))["ok"]
        view = (await call(second, "/agent", "close", ref))["conversation"]
        assert view["closed_by"]["name"] == "bram"
        assert (view["note"], view["note_by"]["name"]) == ("Retour uitgelegd.", "anna")
    server.stop()
    server.start()
    async with agent(server.url, await login(server.url, "anna", AGENT_PASSWORD)) as (desk, _):
        synced = await call(desk, "/agent", "sync")
        (today,) = [c for c in synced["closed_today"] if c["id"] == ref["conversation_id"]]
        assert (today["note_by"]["name"], today["closed_by"]["name"]) == ("anna", "bram")
