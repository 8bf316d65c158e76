"""The agent console in Chromium, against a shopper on a python-socketio client."""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from playwright.async_api import BrowserContext, Dialog, Page, WebSocketRoute, expect

from tests.browser.conftest import ServerWith
from tests.browser.helpers import PASSWORD, screenshot
from tests.support import ServerProcess, agent, call, login, new_client_id, shopper

pytestmark = pytest.mark.browser


async def open_console(context: BrowserContext, server: ServerProcess) -> Page:
    page = await context.new_page()
    await page.goto(f"{server.url}/console/")
    await expect(page.locator("#login-name")).to_be_visible()
    return page


async def log_in(page: Page, name: str, password: str) -> None:
    await page.locator("#login-name").fill(name)
    await page.locator("#login-password").fill(password)
    await page.locator("#login-password").press("Enter")


async def anna_s_console(context: BrowserContext, server: ServerProcess, errors: list[str]) -> Page:
    """anna logged in to a console (its page errors into `errors`), with nobody waiting."""
    page = await open_console(context, server)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    await log_in(page, "anna", PASSWORD)
    await expect(page.locator('[data-group="Waiting"] h3')).to_have_text("Waiting (0)")
    return page


async def open_mine(page: Page, client: Any, text: str) -> int:
    """The shopper of `client` says `text`, which goes to anna; she opens it. Its number."""
    asked = await call(client, "/shopper", "message", {"client_id": new_client_id(), "text": text})
    assert asked["conversation"]["state"] == "assigned", asked
    conversation_id: int = asked["message"]["conversation_id"]
    await page.locator(f'[data-group="Mine"] button.conv[data-id="{conversation_id}"]').click()
    return conversation_id


async def test_agent_logs_in_takes_replies_and_closes(
    server: ServerProcess, context: BrowserContext
) -> None:
    """Wrong password is refused; then an agent takes a shopper's chat, replies and closes it."""
    errors: list[str] = []
    page = await open_console(context, server)
    page.on("pageerror", lambda exc: errors.append(str(exc)))

    await log_in(page, "anna", "wrong password")
    await expect(page.locator(".login .error")).to_have_text("Wrong agent name or password.")
    await screenshot(page, "console-login-error")

    await log_in(page, "anna", PASSWORD)
    await expect(page.locator(".workspace")).to_be_visible()
    # The keyboard goes on in the conversation list, not at the top of the page.
    await expect(page.locator("nav.groups")).to_be_focused()
    # A reload keeps the session (the HttpOnly cookie authenticates the socket too).
    await page.reload()
    await expect(page.locator(".top .who")).to_have_text("anna")
    # Connected once the empty list has been synced.
    await expect(page.locator('[data-group="Waiting"] h3')).to_have_text("Waiting (0)")

    # Away: no new conversations for anna, so with nobody else online the bot keeps them.
    status = page.locator("#agent-status")
    await expect(status).to_have_value("online")
    await status.select_option("away")
    await page.reload()
    await expect(page.locator('[data-group="Waiting"] h3')).to_have_text("Waiting (0)")
    await expect(status).to_have_value("away")

    async with shopper(server.url) as (client, inbox):
        question = "Hebben jullie deze tas ook in blauw?"
        asked = await call(
            client, "/shopper", "message", {"client_id": new_client_id(), "text": question}
        )
        assert asked["ok"], asked
        assert asked["conversation"]["state"] == "bot"
        conversation_id = asked["message"]["conversation_id"]

        item = page.locator(f'button.conv[data-id="{conversation_id}"]')
        in_group = '[data-group="{}"] [data-id="' + str(conversation_id) + '"]'
        await expect(page.locator(in_group.format("With the bot"))).to_be_visible()
        await expect(item).to_contain_text("with the bot")
        await screenshot(page, "console-with-the-bot")
        await item.click()
        await expect(page.locator(".messages .msg.shopper .text")).to_have_text(question)
        await expect(page.locator("#composer-input")).to_be_disabled()

        await page.locator("button.take").click()
        await expect(page.locator(".facts .state")).to_have_text("assigned to you")
        await expect(page.locator(in_group.format("Mine"))).to_be_visible()
        await inbox.wait_for("conversation", lambda c: c["state"] == "assigned")
        # Viewing one's own conversation tells the shopper it was read.
        await inbox.wait_for("read", lambda r: r["by"] == "agent" and r["seq"] >= 1)

        await call(client, "/shopper", "typing", {"typing": True})
        await expect(page.locator(".conversation .typing")).to_be_visible()

        composer = page.locator("#composer-input")
        await composer.fill("Ja, in blauw en in zwart.")
        await composer.press("Shift+Enter")
        await composer.type("Zal ik hem reserveren?")
        await composer.press("Enter")
        reply = "Ja, in blauw en in zwart.\nZal ik hem reserveren?"
        got = await inbox.wait_for("message", lambda m: m["author"] == "agent")
        assert got["text"] == reply
        assert got["agent_name"] == "anna"
        own = page.locator(".messages .msg.own")
        await expect(own.locator(".text")).to_have_text(reply)
        await expect(own).to_have_attribute("data-status", "sent")
        await call(client, "/shopper", "typing", {"typing": False})
        await expect(page.locator(".conversation .typing")).to_be_hidden()

        await call(client, "/shopper", "read", {"seq": got["seq"]})
        await expect(own).to_have_attribute("data-status", "read")
        await screenshot(page, "console-conversation")

        await page.locator("button.close-conv").click()
        # Close asks for an optional summary first.
        await page.locator(".close-form button.close-confirm").click()
        await expect(page.locator(".facts .state")).to_have_text("closed")
        # Beside it when and by whom, not "closed" a second time.
        await expect(page.locator(".facts .closed-when")).to_have_text(re.compile(r"\d by you$"))
        closed_spans = page.locator(".facts span", has_text=re.compile(r"^closed"))
        await expect(closed_spans).to_have_count(1)
        await inbox.wait_for("conversation", lambda c: c["state"] == "closed")
        await expect(item).to_have_count(0)
        await expect(page.locator("#composer-input")).to_be_disabled()
        await screenshot(page, "console-closed")
    assert errors == []


async def test_draft_survives_a_lost_session(
    server: ServerProcess, context: BrowserContext
) -> None:
    """When the session ends the console asks for a login again and keeps the typed draft."""
    page = await open_console(context, server)
    await log_in(page, "bram", PASSWORD)
    await expect(page.locator(".workspace")).to_be_visible()
    # Online once the console has synced (before that, a new chat finds nobody online).
    await expect(page.locator('[data-group="Waiting"] h3')).to_have_text("Waiting (0)")
    async with shopper(server.url) as (client, _inbox):
        asked = await call(
            client, "/shopper", "message", {"client_id": new_client_id(), "text": "Hallo?"}
        )
        conversation_id = asked["message"]["conversation_id"]
        await page.locator(f'button.conv[data-id="{conversation_id}"]').click()
        # The only agent online with room gets the conversation at once.
        await expect(page.locator("button.take")).to_be_hidden()
        await expect(page.locator("#composer-input")).to_be_enabled()
        await page.locator("#composer-input").fill("Een half getypt antwoord")

        # The session ends elsewhere (another tab logs out); the next reconnect is refused.
        await page.evaluate("fetch('/api/logout', {method: 'POST'})")
        await context.set_offline(True)
        await context.set_offline(False)
        await expect(page.locator(".login-page")).to_be_visible(timeout=20_000)
        await log_in(page, "bram", PASSWORD)
        await expect(page.locator(".workspace")).to_be_visible()
        await expect(page.locator("#composer-input")).to_have_value("Een half getypt antwoord")


async def test_transfer_to_another_agent_with_a_note(
    server: ServerProcess, context: BrowserContext
) -> None:
    """An agent hands a conversation to another online agent, and the note goes with it."""
    errors: list[str] = []
    page = await open_console(context, server)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    await log_in(page, "anna", PASSWORD)
    await expect(page.locator('[data-group="Waiting"] h3')).to_have_text("Waiting (0)")
    async with shopper(server.url) as (client, _inbox):
        asked = await call(
            client, "/shopper", "message", {"client_id": new_client_id(), "text": "Ruilen?"}
        )
        assert asked["conversation"]["state"] == "assigned", asked
        conversation_id = asked["message"]["conversation_id"]
        token = await login(server.url, "bram", PASSWORD)
        async with agent(server.url, token) as (bram_desk, inbox):
            await page.locator(f'button.conv[data-id="{conversation_id}"]').click()
            await expect(page.locator(".facts .state")).to_have_text("assigned to you")
            await page.locator("button.transfer").click()
            target = page.locator("#transfer-to")
            # bram came online after anna's console loaded: the form chooses him, not the queue.
            await expect(target.locator("option").first).to_have_text("bram (0 of 4 open)")
            await expect(target).not_to_have_value("")
            # The agent's own choice stays while the form is open; a new form starts afresh.
            await target.select_option(label="Back to the queue")
            await page.locator("button.transfer").click()
            await expect(page.locator(".transfer-form")).to_be_hidden()
            await page.locator("button.transfer").click()
            await expect(target).not_to_have_value("")
            await target.select_option(label="bram (0 of 4 open)")
            note = "Wil de blauwe ruilen voor zwart; bestelling van gisteren."
            await page.locator("#transfer-note").fill(note)
            await screenshot(page, "console-transfer")
            await page.locator(".transfer-form button[type=submit]").click()

            moved = await inbox.wait_for(
                "conversation", lambda c: c["id"] == conversation_id and c["agent"]
            )
            assert moved["agent"]["name"] == "bram"
            assert moved["note"] == note
            await expect(page.locator(".facts .state")).to_have_text("assigned to bram")
            await expect(page.locator(".conv-head .note")).to_have_text(f"Note: {note}")
            await expect(page.locator(".transfer-form")).to_be_hidden()
            # Her own transfer is no news that it was taken away: said plainly, not in red.
            notice = page.locator(".conversation .notice")
            await expect(notice).to_have_text("You handed this conversation to bram.")
            await expect(notice).to_have_class(re.compile(r"\binfo\b"))
            await expect(page.locator("#composer-input")).to_be_disabled()
            # bram's reply is his in anna's view: not styled as hers, no delivery status.
            reply = {
                "conversation_id": conversation_id,
                "client_id": new_client_id(),
                "text": "Ik neem het over.",
            }
            said = await call(bram_desk, "/agent", "message", reply)
            assert said["ok"], said
            theirs = page.locator(".messages .msg.agent", has_text="Ik neem het over.")
            await expect(theirs.locator(".author")).to_have_text("bram")
            await expect(theirs).not_to_have_class(re.compile(r"\bown\b"))
            await expect(theirs.locator(".status")).to_have_count(0)
            # Handed back to her: the line that she handed it on goes.
            online = (await call(bram_desk, "/agent", "sync"))["agents"]
            (anna_id,) = [a["id"] for a in online if a["name"] == "anna"]
            back = await call(
                bram_desk,
                "/agent",
                "transfer",
                {"conversation_id": conversation_id, "to_agent_id": anna_id},
            )
            assert back["ok"], back
            await expect(page.locator(".facts .state")).to_have_text("assigned to you")
            await expect(notice).to_be_hidden()
    assert errors == []


async def test_faq_suggestion_and_canned_answer_are_sent(
    server: ServerProcess, context: BrowserContext
) -> None:
    """A FAQ suggestion goes into the composer and out as a reusable reply; "/words" finds more."""
    errors: list[str] = []
    sent: list[str] = []
    page = await open_console(context, server)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on(
        "websocket",
        lambda ws: ws.on(
            "framesent", lambda payload: sent.append(payload) if isinstance(payload, str) else None
        ),
    )
    await log_in(page, "anna", PASSWORD)
    await expect(page.locator('[data-group="Waiting"] h3')).to_have_text("Waiting (0)")
    async with shopper(server.url) as (client, inbox):
        asked = await call(
            client,
            "/shopper",
            "message",
            {"client_id": new_client_id(), "text": "Hoe maak ik een account aan?"},
        )
        conversation_id = asked["message"]["conversation_id"]
        await page.locator(f'button.conv[data-id="{conversation_id}"]').click()
        suggestion = page.locator(".assist .faq").first
        await expect(suggestion.locator(".q")).to_have_text("Hoe maak ik een account aan?")
        await screenshot(page, "console-suggestions")
        await suggestion.click()
        composer = page.locator("#composer-input")
        await expect(composer).to_have_value(re.compile(r"^Een account maak je aan"))
        await expect(composer).to_be_focused()
        answer = await composer.input_value()
        await page.locator("#composer-reusable").check()
        await composer.press("Enter")
        got = await inbox.wait_for("message", lambda m: m["author"] == "agent")
        assert got["text"] == answer
        assert any('"reusable":true' in frame and answer[:20] in frame for frame in sent), sent
        await expect(page.locator("#composer-reusable")).not_to_be_checked()

        # Canned answers: "/" and words search the FAQ; Enter takes the first answer.
        await composer.type("/retour")
        first = page.locator('.assist[data-kind="canned"] .faq').first
        await expect(first).to_be_visible()
        await screenshot(page, "console-canned")
        canned = await first.get_attribute("title")
        assert canned
        await composer.press("Enter")
        await expect(composer).to_have_value(canned)
        await composer.press("Enter")
        again = await inbox.wait_for("message", lambda m: m["text"] == canned)
        assert again["author"] == "agent"
        assert not any('"reusable":true' in f and canned[:20] in f for f in sent)
    assert errors == []


async def test_callbacks_and_waiting_alerts(
    server_with: ServerWith, context: BrowserContext
) -> None:
    """A waiting shopper shows in the tab title; a left question is listed and opens its chat."""
    server = server_with("[routing]\nmax_conversations_per_agent = 1\n")
    errors: list[str] = []
    page = await open_console(context, server)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    await log_in(page, "anna", PASSWORD)
    await expect(page.locator('[data-group="Waiting"] h3')).to_have_text("Waiting (0)")
    await expect(page).to_have_title("Loket console")
    async with (
        shopper(server.url) as (first, _),
        shopper(server.url) as (second, _),
        shopper(server.url) as (third, third_inbox),
    ):
        busy = await call(
            first, "/shopper", "message", {"client_id": new_client_id(), "text": "Eén"}
        )
        assert busy["conversation"]["state"] == "assigned", busy
        waiting = await call(
            second, "/shopper", "message", {"client_id": new_client_id(), "text": "Twee"}
        )
        assert waiting["conversation"]["state"] == "queued", waiting
        await expect(page).to_have_title("(1) Loket console")
        item = page.locator(f'[data-group="Waiting"] [data-id="{waiting["conversation"]["id"]}"]')
        await expect(item).to_contain_text("waiting <1 min")

        left = await call(
            third,
            "/shopper",
            "leave_question",
            {"client_id": new_client_id(), "text": "Bellen jullie terug?", "phone": "06 1234 5678"},
        )
        assert left["ok"], left
        callback = page.locator('[data-group="Callbacks"] button.callback')
        await expect(callback).to_contain_text("Bellen jullie terug?")
        # Who left it, as the conversation names them, and how to reach them.
        await expect(callback.locator(".sub").first).to_have_text(
            re.compile(r"^Shopper #\d+ · 06 1234 5678$")
        )
        await screenshot(page, "console-callbacks")
        await callback.click()
        await expect(page.locator(".messages .msg.shopper .text")).to_have_text(
            "Bellen jullie terug?"
        )
        # Answered in the chat, it stays listed until the shopper has read the answer:
        # one who never comes back is still to be called.
        await page.locator("button.take").click()
        await page.locator("#composer-input").fill("We bellen je vanmiddag terug!")
        await page.locator("#composer-input").press("Enter")
        await expect(callback).to_contain_text("answered in the chat <1 min ago, not read yet")
        answer = await third_inbox.wait_for("message", lambda m: m["author"] == "agent")
        assert (await call(third, "/shopper", "read", {"seq": answer["seq"]}))["seq"]
        await expect(callback).to_have_count(0)
    assert errors == []


async def test_unread_dot_clears_for_the_open_conversation(
    server: ServerProcess, context: BrowserContext
) -> None:
    """The red dot goes when the agent opens the conversation, and stays off while it is open."""
    errors: list[str] = []
    page = await open_console(context, server)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    await log_in(page, "anna", PASSWORD)
    await expect(page.locator('[data-group="Waiting"] h3')).to_have_text("Waiting (0)")
    async with shopper(server.url) as (client, inbox):
        asked = await call(
            client, "/shopper", "message", {"client_id": new_client_id(), "text": "Hallo?"}
        )
        assert asked["conversation"]["state"] == "assigned", asked
        conversation_id = asked["message"]["conversation_id"]
        item = page.locator(f'[data-group="Mine"] button.conv[data-id="{conversation_id}"]')
        # Not opened yet: the dot marks the shopper's message, which the list shows (not
        # the line that tells the shopper anna has the conversation, written after it).
        await expect(item).to_have_class(re.compile(r"\bunread\b"))
        await item.page.wait_for_timeout(300)
        await expect(item).to_contain_text("Hallo?")

        await item.click()
        await expect(page.locator(".messages .msg.shopper .text")).to_have_text("Hallo?")
        await inbox.wait_for("read", lambda r: r["by"] == "agent" and r["seq"] >= 1)
        await expect(item).not_to_have_class(re.compile(r"\bunread\b"))

        # A message while it is open is read at once: no dot either.
        again = await call(
            client, "/shopper", "message", {"client_id": new_client_id(), "text": "Nog daar?"}
        )
        seq = again["message"]["seq"]
        await expect(page.locator(".messages .msg.shopper .text").last).to_have_text("Nog daar?")
        await inbox.wait_for("read", lambda r: r["by"] == "agent" and r["seq"] >= seq)
        await expect(item).to_contain_text("Nog daar?")
        await expect(item).not_to_have_class(re.compile(r"\bunread\b"))
    assert errors == []


async def test_a_shopper_s_burst_does_not_spend_the_agent_s_rate_limit(
    server: ServerProcess, context: BrowserContext
) -> None:
    """A shopper sends as many messages at once as their own limit allows (40) into the
    conversation the agent has open: the console asks for suggestions and marks them read
    a few times, not once each (which the agent's own limit of 40 would refuse, replies
    and all), and the shopper still sees the last one read."""
    errors: list[str] = []
    page = await anna_s_console(context, server, errors)
    async with shopper(server.url) as (client, inbox):
        await open_mine(page, client, "Hallo?")
        await expect(page.locator(".messages .msg.shopper .text")).to_have_text("Hallo?")
        await inbox.wait_for("read", lambda r: r["by"] == "agent")
        sent = await asyncio.gather(
            *(
                call(client, "/shopper", "message", {"client_id": new_client_id(), "text": f"{n}"})
                for n in range(38)
            )
        )
        assert all(ack["ok"] for ack in sent), [a for a in sent if not a["ok"]][:1]
        last = max(ack["message"]["seq"] for ack in sent)
        await expect(page.locator(".messages .msg.shopper")).to_have_count(39)
        await inbox.wait_for("read", lambda r: r["by"] == "agent" and r["seq"] >= last)
        await page.wait_for_timeout(600)  # the last suggestions request, if any, is made
        async with aiohttp.ClientSession() as http, http.get(f"{server.url}/metrics") as got:
            metrics = await got.text()
    refused = [
        line
        for line in metrics.splitlines()
        if 'namespace="agent"' in line and 'outcome="rate_limited"' in line
    ]
    assert all(line.endswith(" 0.0") for line in refused), refused
    asked_for = [
        float(line.rsplit(" ", 1)[1])
        for line in metrics.splitlines()
        if line.startswith("loket_events_total")
        and 'namespace="agent"' in line
        and 'event="suggestions"' in line
    ]
    assert sum(asked_for) < 20, asked_for
    assert errors == []


async def test_a_conversation_whose_opening_failed_shows_its_whole_history_later(
    server: ServerProcess, context: BrowserContext
) -> None:
    """The agent opens a conversation and the connection drops before its history comes
    (the server restarting); a new message of the shopper's arrives meanwhile. Back
    online, the console fetches the whole history, not only what came after that message."""
    errors: list[str] = []
    dropped: list[str] = []

    def route(ws: WebSocketRoute) -> None:
        server_side = ws.connect_to_server()

        def to_server(message: str | bytes) -> None:
            if (
                not dropped
                and isinstance(message, str)
                and re.match(r'42/agent,\d+\["open"', message)
            ):
                dropped.append(message)  # lost with the connection: no answer comes
            else:
                server_side.send(message)

        ws.on_message(to_server)
        server_side.on_message(ws.send)
        connections.append(ws)

    connections: list[WebSocketRoute] = []
    await context.route_web_socket(re.compile(r".*/socket\.io/.*"), route)
    page = await anna_s_console(context, server, errors)
    async with shopper(server.url) as (client, _):
        await open_mine(page, client, "Eerste vraag")
        for _ in range(100):
            if dropped:
                break
            await asyncio.sleep(0.05)
        assert dropped, "the console did not ask for the conversation"
        second = {"client_id": new_client_id(), "text": "Tweede vraag"}
        await call(client, "/shopper", "message", second)
        shown = page.locator(".messages .msg.shopper .text")
        await expect(shown).to_have_text(["Tweede vraag"])
        await connections[-1].close()
        await expect(shown).to_have_text(["Eerste vraag", "Tweede vraag"])
    assert len(connections) >= 2 and errors == []


async def test_colleagues_conversations_show_their_last_message(
    server: ServerProcess, context: BrowserContext
) -> None:
    """A conversation assigned to a colleague shows its last message under *Other agents*,
    kept up to date as the shopper and the colleague write, also after a reload."""
    errors: list[str] = []
    page = await open_console(context, server)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    await log_in(page, "anna", PASSWORD)
    await expect(page.locator('[data-group="Waiting"] h3')).to_have_text("Waiting (0)")
    # Away, anna gets no new conversations: they go to bram.
    await page.locator("#agent-status").select_option("away")
    token = await login(server.url, "bram", PASSWORD)
    async with agent(server.url, token) as (bram, _), shopper(server.url) as (client, _inbox):
        asked = await call(
            client,
            "/shopper",
            "message",
            {"client_id": new_client_id(), "text": "Waar is mijn pakket?"},
        )
        assert asked["conversation"]["agent"]["name"] == "bram", asked
        ref = {"conversation_id": asked["conversation"]["id"]}
        item = page.locator(
            f'[data-group="Other agents"] button.conv[data-id="{ref["conversation_id"]}"]'
        )
        await expect(item.locator(".sub")).to_have_text("with bram")
        await expect(item.locator(".last")).to_have_text("Waar is mijn pakket?")

        await call(
            client, "/shopper", "message", {"client_id": new_client_id(), "text": "Nog iets"}
        )
        await expect(item.locator(".last")).to_have_text("Nog iets")
        reply = {**ref, "client_id": new_client_id(), "text": "Het komt morgen."}
        assert (await call(bram, "/agent", "message", reply))["ok"]
        await expect(item.locator(".last")).to_have_text("Het komt morgen.")

        await page.reload()
        await expect(item.locator(".last")).to_have_text("Het komt morgen.")
        await call(client, "/shopper", "message", {"client_id": new_client_id(), "text": "Dank!"})
        await expect(item.locator(".last")).to_have_text("Dank!")
        await screenshot(page, "console-other-agents")
        # Opened, it says whose it is rather than offering a Take that is not there.
        await item.click()
        await expect(page.locator("button.take")).to_be_hidden()
        await expect(page.locator("#composer-input")).to_have_attribute(
            "placeholder", "bram has this conversation."
        )
    assert errors == []


async def test_too_long_reply_stays_in_the_composer(
    server: ServerProcess, context: BrowserContext
) -> None:
    """A reply over the limit is not lost: it stays in the composer with the reason; a
    reply waiting to be sent carries the agent's name."""
    errors: list[str] = []
    page = await open_console(context, server)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    await log_in(page, "anna", PASSWORD)
    await expect(page.locator('[data-group="Waiting"] h3')).to_have_text("Waiting (0)")
    async with shopper(server.url) as (client, inbox):
        asked = await call(
            client, "/shopper", "message", {"client_id": new_client_id(), "text": "Vertel alles"}
        )
        assert asked["conversation"]["state"] == "assigned", asked
        conversation_id = asked["message"]["conversation_id"]
        await page.locator(f'button.conv[data-id="{conversation_id}"]').click()
        composer = page.locator("#composer-input")
        await expect(composer).to_be_enabled()

        long = "Een heel lang verhaal. " * 90  # 2070 characters; the limit is 2000
        # Refused by the server the first time, by the console (which now knows the limit) next.
        for _attempt in range(2):
            await composer.fill(long)
            await composer.press("Enter")
            await expect(page.locator(".conversation .notice")).to_contain_text("too long")
            await expect(composer).to_have_value(long)
            await expect(page.locator(".messages .msg.own")).to_have_count(0)
        await expect(page.locator(".conversation .notice")).to_contain_text("at most 2000")
        # Shortened to fit, the reason goes before it is sent.
        await composer.fill(long[:1990])
        await expect(page.locator(".conversation .notice")).to_have_text("")
        await composer.press("Enter")
        got = await inbox.wait_for("message", lambda m: m["author"] == "agent")
        assert got["text"] == long[:1990].strip()
        assert not [m for m in inbox.of("message") if len(m["text"]) > 2000]
        await expect(page.locator(".messages .msg.own")).to_have_attribute("data-status", "sent")
        # The limit counts characters as the server does: 1990 emoji are 3980 UTF-16 units.
        emoji = "\U0001f600" * 1990
        await composer.fill(emoji)
        await composer.press("Enter")
        await inbox.wait_for("message", lambda m: m["text"] == emoji)
        sent = page.locator('.messages .msg.own[data-status="sent"]')
        await expect(sent).to_have_count(2)

        # Offline, a reply waits in the outbox under the agent's name, not "Agent".
        await context.set_offline(True)
        await expect(page.locator(".top .connection")).not_to_have_text("")
        await composer.fill("Nog één ding")
        await composer.press("Enter")
        waiting = page.locator('.messages .msg.own[data-status="sending"]')
        await expect(waiting.locator(".author")).to_have_text("anna")
        # Closing the tab now would lose it (it is kept in this tab alone): the browser asks.
        dialogs: list[str] = []

        async def dismiss(dialog: Dialog) -> None:
            dialogs.append(dialog.type)
            await dialog.dismiss()

        page.on("dialog", dismiss)
        await page.close(run_before_unload=True)
        for _ in range(50):
            if dialogs:
                break
            await page.wait_for_timeout(100)
        assert dialogs == ["beforeunload"] and not page.is_closed()
        await context.set_offline(False)
        await inbox.wait_for("message", lambda m: m["text"] == "Nog één ding", within=30)
        await expect(waiting).to_have_count(0)
        # Nothing left to send: the tab closes without asking.
        await page.close(run_before_unload=True)
        for _ in range(50):
            if page.is_closed():
                break
            await asyncio.sleep(0.1)
        assert page.is_closed() and dialogs == ["beforeunload"]
    assert errors == []


AT_END = """() => {
    const list = document.querySelector('.messages');
    const last = list.querySelector('.msg:last-child');
    return !!last && last.getBoundingClientRect().bottom <= list.getBoundingClientRect().bottom + 1;
}"""


async def test_opening_a_long_conversation_shows_the_newest_message(
    server: ServerProcess, context: BrowserContext
) -> None:
    """The newest message is in view after opening, also once the suggestions appear; a
    message arriving while the agent reads further up does not pull the list down."""
    errors: list[str] = []
    page = await open_console(context, server)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    await log_in(page, "anna", PASSWORD)
    await expect(page.locator('[data-group="Waiting"] h3')).to_have_text("Waiting (0)")
    async with shopper(server.url) as (client, _inbox):
        for n in range(12):
            text = f"Bericht {n}\nmet een tweede regel\nen een derde"
            sent = await call(
                client, "/shopper", "message", {"client_id": new_client_id(), "text": text}
            )
            assert sent["ok"], sent
        last = "Hoe maak ik een account aan?"
        asked = await call(
            client, "/shopper", "message", {"client_id": new_client_id(), "text": last}
        )
        conversation_id = asked["message"]["conversation_id"]
        await page.locator(f'button.conv[data-id="{conversation_id}"]').click()
        await expect(page.locator(".messages .msg.shopper")).to_have_count(13)
        await expect(page.locator(".assist .faq").first).to_be_visible()
        await page.wait_for_function(AT_END, timeout=5000)
        await expect(page.locator(".messages .msg.shopper").last).to_be_in_viewport()
        await screenshot(page, "console-long-conversation")

        # The agent scrolls up to read: a new message does not move the list.
        await page.locator(".messages").hover()
        await page.mouse.wheel(0, -2000)
        await expect(page.locator(".messages .msg.shopper").last).not_to_be_in_viewport()
        await call(client, "/shopper", "message", {"client_id": new_client_id(), "text": "Hallo?"})
        await expect(page.locator(".messages .msg.shopper")).to_have_count(14)
        await expect(page.locator(".messages .msg.shopper").last).not_to_be_in_viewport()
        # Back at the end, the list follows again.
        await page.mouse.wheel(0, 5000)
        await page.wait_for_function(AT_END, timeout=5000)
        await call(client, "/shopper", "message", {"client_id": new_client_id(), "text": "Nog?"})
        await expect(page.locator(".messages .msg.shopper")).to_have_count(15)
        await expect(page.locator(".messages .msg.shopper").last).to_be_in_viewport()
    assert errors == []


async def test_the_console_and_demo_pages_bring_their_own_icon(
    server: ServerProcess, context: BrowserContext
) -> None:
    """Each page names its icon (inline), so a browser asks for no /favicon.ico, which
    Loket does not serve (a 404 in the browser's log on every load)."""
    page = await context.new_page()
    for path in ("/console/", "/demo/", "/demo/checkout.html"):
        await page.goto(f"{server.url}{path}")
        icon = page.locator('link[rel="icon"]')
        await expect(icon).to_have_count(1)
        assert (await icon.get_attribute("href") or "").startswith("data:image/svg+xml,")


async def test_a_conversation_taken_away_says_so_and_keeps_the_reply_being_written(
    server_with: ServerWith, context: BrowserContext
) -> None:
    """An agent who stops typing a reply and lets the answer time pass loses the
    conversation to a colleague: the console says so, and the unsent reply stays in the
    box to copy (not editable, not greyed out). A status set in a second tab shows in the
    first."""
    server = server_with(
        "[routing]\nagent_answer_timeout_seconds = 5\ndisconnect_grace_seconds = 1\n"
    )
    errors: list[str] = []
    page = await open_console(context, server)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    await log_in(page, "anna", PASSWORD)
    await expect(page.locator('[data-group="Waiting"] h3')).to_have_text("Waiting (0)")
    async with shopper(server.url) as (client, _):
        asked = await call(
            client,
            "/shopper",
            "message",
            {"client_id": new_client_id(), "text": "Hoe maak ik een account aan?"},
        )
        assert asked["conversation"]["agent"]["name"] == "anna", asked
        await page.locator(f'button.conv[data-id="{asked["conversation"]["id"]}"]').click()
        await expect(page.locator(".assist .faq").first).to_be_visible()
        draft = "Goede vraag! De tas is waterdicht tot"
        composer = page.locator("#composer-input")
        await composer.fill(draft)
        bram = await login(server.url, "bram", PASSWORD)
        async with agent(server.url, bram) as _:
            await expect(page.locator(".conversation .notice")).to_have_text(
                "This conversation is no longer yours: bram has it now. Your unsent reply"
                " stays in the box: copy it if you need it.",
                timeout=15_000,
            )
            await expect(composer).to_have_value(draft)
            await expect(composer).to_be_enabled()
            await expect(composer).not_to_be_editable()
            # No answers suggested for a conversation that is not the agent's to answer.
            await expect(page.locator(".assist")).to_be_hidden()
            await screenshot(page, "console-taken-away")

    second = await context.new_page()
    await second.goto(f"{server.url}/console/")
    await expect(second.locator(".top .who")).to_have_text("anna")
    await expect(second.locator('[data-group="Waiting"] h3')).to_have_text("Waiting (0)")
    await second.locator("#agent-status").select_option("away")
    await expect(page.locator("#agent-status")).to_have_value("away")
    assert errors == []


async def test_a_reply_written_offline_to_a_conversation_that_went_elsewhere_comes_back(
    server: ServerProcess, context: BrowserContext
) -> None:
    """An agent writes a reply while offline; meanwhile an admin hands the conversation to a
    colleague. Back online, the console says the conversation is no longer theirs, sends
    nothing, and puts the replies back in the box to copy, in order (not failed bubbles
    saying "Take the conversation before replying")."""
    errors: list[str] = []
    page = await open_console(context, server)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    await log_in(page, "anna", PASSWORD)
    await expect(page.locator('[data-group="Waiting"] h3')).to_have_text("Waiting (0)")
    bram = await login(server.url, "bram", PASSWORD)
    admin = await login(server.url, "admin", PASSWORD)
    async with (
        shopper(server.url) as (client, inbox),
        agent(server.url, bram) as (b, _),
        agent(server.url, admin) as (boss, _),
    ):
        # Away, so the new conversation goes to anna.
        await call(b, "/agent", "status", {"status": "away"})
        await call(boss, "/agent", "status", {"status": "away"})
        asked = await call(
            client, "/shopper", "message", {"client_id": new_client_id(), "text": "Ruilen?"}
        )
        ref = {"conversation_id": asked["conversation"]["id"]}
        assert asked["conversation"]["agent"]["name"] == "anna", asked
        await page.locator(f'button.conv[data-id="{ref["conversation_id"]}"]').click()
        composer = page.locator("#composer-input")
        await expect(composer).to_be_editable()

        await context.set_offline(True)
        await expect(page.locator(".top .connection")).not_to_have_text("")
        replies = ["Ja hoor, binnen 30 dagen.", "Stuur hem maar terug met het formulier."]
        for reply in replies:
            await composer.fill(reply)
            await composer.press("Enter")
        await expect(page.locator('.messages .msg.own[data-status="sending"]')).to_have_count(2)
        draft = "En dan nog dit"
        await composer.fill(draft)
        await call(b, "/agent", "status", {"status": "online"})
        bram_id = (await call(b, "/agent", "sync"))["agent"]["id"]
        moved = await call(boss, "/agent", "transfer", {**ref, "to_agent_id": bram_id})
        assert moved["conversation"]["agent"]["name"] == "bram", moved
        await context.set_offline(False)

        await expect(page.locator(".conversation .notice")).to_have_text(
            "This conversation is no longer yours: bram has it now. Your 2 replies were not"
            " sent: they are back in the box, to copy if you need them.",
            timeout=15_000,
        )
        # Both, in the order they were written, before what was still being typed; the box
        # grows to show them.
        await expect(composer).to_have_value("\n\n".join([*replies, draft]))
        assert await composer.evaluate("(el) => el.scrollHeight <= el.clientHeight")
        await expect(composer).not_to_be_editable()
        await expect(page.locator(".messages .msg.own")).to_have_count(0)
        # Nothing reached the shopper.
        await asyncio.sleep(0.5)
        assert not [m for m in inbox.of("message") if m["text"] in replies]
    assert errors == []


async def test_a_conversation_that_went_back_to_the_bot_while_offline_says_so(
    server_with: ServerWith, context: BrowserContext
) -> None:
    """The only agent's console is offline past the grace: the conversation goes back to
    the bot. Back online, the console says that, not that it waits for another agent."""
    server = server_with("[routing]\ndisconnect_grace_seconds = 1\n")
    page = await open_console(context, server)
    await log_in(page, "anna", PASSWORD)
    await expect(page.locator('[data-group="Waiting"] h3')).to_have_text("Waiting (0)")
    async with shopper(server.url) as (client, inbox):
        asked = await call(
            client, "/shopper", "message", {"client_id": new_client_id(), "text": "Ruilen?"}
        )
        assert asked["conversation"]["agent"]["name"] == "anna", asked
        await page.locator(f'button.conv[data-id="{asked["conversation"]["id"]}"]').click()
        await expect(page.locator("#composer-input")).to_be_editable()
        await context.set_offline(True)
        # The bot answers the open question as it takes over: its sentence encoder may
        # still be starting in a server this new, on a busy machine.
        await inbox.wait_for("conversation", lambda c: c["state"] == "bot", within=45)
        await context.set_offline(False)
        await expect(page.locator(".conversation .notice")).to_have_text(
            "This conversation is no longer yours: it went back to the bot, and the shopper"
            " can leave a question.",
            timeout=15_000,
        )


async def test_a_conversation_taken_back_after_it_went_drops_the_notice(
    server_with: ServerWith, context: BrowserContext
) -> None:
    """An agent loses a conversation to the answer time: the notice that it went follows
    where it goes next (a colleague hands it back to the queue), and when the agent takes
    it back, the notice goes and the suggested answers come back, without opening another
    conversation first."""
    server = server_with(
        "[routing]\nagent_answer_timeout_seconds = 5\ndisconnect_grace_seconds = 1\n"
    )
    page = await open_console(context, server)
    await log_in(page, "anna", PASSWORD)
    await expect(page.locator('[data-group="Waiting"] h3')).to_have_text("Waiting (0)")
    bram = await login(server.url, "bram", PASSWORD)
    async with shopper(server.url) as (client, _):
        asked = await call(
            client,
            "/shopper",
            "message",
            {"client_id": new_client_id(), "text": "Hoe maak ik een account aan?"},
        )
        assert asked["conversation"]["agent"]["name"] == "anna", asked
        ref = {"conversation_id": asked["conversation"]["id"]}
        await page.locator(f'button.conv[data-id="{ref["conversation_id"]}"]').click()
        await expect(page.locator(".assist .faq").first).to_be_visible()
        async with agent(server.url, bram) as (desk, _):
            notice = page.locator(".conversation .notice")
            await expect(notice).to_have_text(
                "This conversation is no longer yours: bram has it now.", timeout=15_000
            )
            await expect(page.locator(".assist")).to_be_hidden()
            await call(desk, "/agent", "status", {"status": "away"})
            handed = await call(desk, "/agent", "transfer", {**ref, "to_agent_id": None})
            assert handed["ok"], handed
            await expect(notice).to_have_text(
                "This conversation is no longer yours: it waits for another agent."
            )
            await page.locator("button.take").click()
            await expect(page.locator(".facts .state")).to_have_text("assigned to you")
            await expect(notice).to_be_hidden()
            await expect(page.locator(".assist .faq").first).to_be_visible()


async def test_the_list_shows_a_shopper_typing_in_a_conversation_not_open(
    server: ServerProcess, context: BrowserContext
) -> None:
    """The list entry of one of the agent's conversations says *typing…* while its shopper
    types, though another conversation is open."""
    page = await open_console(context, server)
    await log_in(page, "anna", PASSWORD)
    await expect(page.locator('[data-group="Waiting"] h3')).to_have_text("Waiting (0)")
    async with shopper(server.url) as (first, _), shopper(server.url) as (second, _):
        ids = []
        for client, text in ((first, "Ruilen?"), (second, "Retour?")):
            asked = await call(
                client, "/shopper", "message", {"client_id": new_client_id(), "text": text}
            )
            assert asked["conversation"]["agent"]["name"] == "anna", asked
            ids.append(asked["conversation"]["id"])
        await page.locator(f'button.conv[data-id="{ids[0]}"]').click()
        entry = page.locator(f'button.conv[data-id="{ids[1]}"] .sub')
        await expect(entry).not_to_contain_text("typing…")
        await call(second, "/shopper", "typing", {"typing": True})
        await expect(entry).to_contain_text("typing…")
        await call(second, "/shopper", "typing", {"typing": False})
        await expect(entry).not_to_contain_text("typing…")


async def test_closing_a_reopened_conversation_shows_the_summary_it_keeps(
    server: ServerProcess, context: BrowserContext
) -> None:
    """The shopper writes again after the agent closed with a summary: closing again says
    that summary is kept unless a new one is written (the box itself starts empty, so the
    note is not sent again as this agent's)."""
    page = await open_console(context, server)
    await log_in(page, "anna", PASSWORD)
    await expect(page.locator('[data-group="Waiting"] h3')).to_have_text("Waiting (0)")
    async with shopper(server.url) as (client, inbox):
        asked = await call(
            client, "/shopper", "message", {"client_id": new_client_id(), "text": "Ruilen?"}
        )
        assert asked["conversation"]["agent"]["name"] == "anna", asked
        await page.locator(f'button.conv[data-id="{asked["conversation"]["id"]}"]').click()
        await page.locator("button.close-conv").click()
        summary = "Wil ruilen voor maat 40; formulier gestuurd."
        await page.locator("#close-summary").fill(summary)
        await page.locator(".close-form button.close-confirm").click()
        await inbox.wait_for("conversation", lambda c: c["state"] == "closed")
        await call(client, "/shopper", "message", {"client_id": new_client_id(), "text": "En nu?"})
        await expect(page.locator(".facts .state")).to_have_text("assigned to you")
        await page.locator("button.close-conv").click()
        box = page.locator("#close-summary")
        await expect(box).to_have_value("")
        await expect(box).to_have_attribute(
            "placeholder", f"Kept unless you write a new summary: {summary}"
        )


async def test_the_choices_the_bot_offered_show_in_the_conversation(
    server_with: ServerWith, context: BrowserContext
) -> None:
    """A "did you mean" in the history lists the choices the shopper was offered, as text:
    the agent sees what the shopper could pick. (A server of its own: no colleague left
    online by another test takes the question before the bot.)"""
    server = server_with("")
    page = await open_console(context, server)
    await log_in(page, "anna", PASSWORD)
    # Connected once the list has been synced; a status chosen before that would be reset.
    await expect(page.locator('[data-group="Waiting"] h3')).to_have_text("Waiting (0)")
    await page.locator("#agent-status").select_option("away")
    async with shopper(server.url) as (client, inbox):
        sent = await call(
            client, "/shopper", "message", {"client_id": new_client_id(), "text": "levering"}
        )
        offer = await inbox.wait_for("message", lambda m: m["author"] == "bot", within=45)
        assert offer["meta"]["kind"] == "suggest", offer
        await page.locator(f'button.conv[data-id="{sent["conversation"]["id"]}"]').click()
        shown = page.locator(".messages .msg.bot .choices li")
        await expect(shown).to_have_text([c["question"] for c in offer["meta"]["choices"]])


async def test_a_refused_transfer_shows_who_is_online_now(
    server: ServerProcess, context: BrowserContext
) -> None:
    """The colleague chosen went offline while the form was open: the transfer is refused,
    and the form then lists who is online now, not the colleague who left."""
    page = await open_console(context, server)
    await log_in(page, "anna", PASSWORD)
    await expect(page.locator('[data-group="Waiting"] h3')).to_have_text("Waiting (0)")
    async with shopper(server.url) as (client, _):
        asked = await call(
            client, "/shopper", "message", {"client_id": new_client_id(), "text": "Ruilen?"}
        )
        await page.locator(f'button.conv[data-id="{asked["conversation"]["id"]}"]').click()
        token = await login(server.url, "bram", PASSWORD)
        async with agent(server.url, token):
            await page.locator("button.transfer").click()
            target = page.locator("#transfer-to")
            await expect(target.locator("option").first).to_have_text("bram (0 of 4 open)")
        await page.locator(".transfer-form button[type=submit]").click()
        await expect(page.locator(".conversation .notice")).to_have_text(
            "That agent is not online."
        )
        await expect(target.locator("option")).to_have_text(["Back to the queue"])


@contextlib.asynccontextmanager
async def under_a_path(upstream: str, prefix: str = "/chat") -> AsyncIterator[str]:
    """A reverse proxy that serves `upstream` under `prefix`, as a shop's proxy may
    (HTTP and WebSocket); yields its URL with the prefix."""

    async def forward(request: web.Request) -> web.StreamResponse:
        path = request.path_qs.removeprefix(prefix) or "/"
        if request.headers.get("Upgrade", "").lower() == "websocket":
            theirs = web.WebSocketResponse()
            await theirs.prepare(request)
            async with (
                aiohttp.ClientSession() as http,
                http.ws_connect(
                    upstream + path, headers={"Cookie": request.headers.get("Cookie", "")}
                ) as ours,
            ):

                async def pump(source: Any, sink: Any) -> None:
                    async for frame in source:
                        await sink.send_str(frame.data)

                await asyncio.wait(
                    [
                        asyncio.create_task(pump(theirs, ours)),
                        asyncio.create_task(pump(ours, theirs)),
                    ],
                    return_when=asyncio.FIRST_COMPLETED,
                )
            return theirs
        headers = {
            k: v for k, v in request.headers.items() if k.lower() not in ("host", "content-length")
        }
        async with (
            aiohttp.ClientSession() as http,
            http.request(
                request.method,
                upstream + path,
                headers=headers,
                data=await request.read(),
                allow_redirects=False,
            ) as answer,
        ):
            body = await answer.read()
            kept = {
                k: v
                for k, v in answer.headers.items()
                if k.lower() in ("content-type", "set-cookie", "location")
            }
            return web.Response(status=answer.status, body=body, headers=kept)

    app = web.Application()
    app.router.add_route("*", prefix + "/{tail:.*}", forward)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield f"http://127.0.0.1:{port}{prefix}"
    finally:
        await runner.cleanup()


async def test_the_console_works_under_a_path_prefix(
    server: ServerProcess, context: BrowserContext
) -> None:
    """Served by a proxy under /chat/, the console loads its script, logs in and connects
    through that prefix, and a shopper's message reaches it."""
    errors: list[str] = []
    async with under_a_path(server.url) as url:
        page = await context.new_page()
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        await page.goto(f"{url}/console")
        await expect(page).to_have_url(f"{url}/console/")
        await log_in(page, "anna", PASSWORD)
        await expect(page.locator(".top .who")).to_have_text("anna")
        await expect(page.locator('[data-group="Waiting"] h3')).to_have_text("Waiting (0)")
        async with shopper(server.url) as (client, _):
            asked = await call(
                client, "/shopper", "message", {"client_id": new_client_id(), "text": "Hoi!"}
            )
            item = page.locator(f'button.conv[data-id="{asked["conversation"]["id"]}"]')
            await expect(item).to_contain_text("Hoi!")
        await page.close()
    assert errors == []
