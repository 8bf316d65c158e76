"""The console as the reviewer used it: right-to-left text, narrow windows, the list after a
login and after one's own reply, and what it says when it cannot get through."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlparse

import pytest
from playwright.async_api import BrowserContext, Dialog, Page, expect

from tests.browser.conftest import ServerWith
from tests.browser.helpers import PASSWORD, screenshot
from tests.support import ServerProcess, call, new_client_id, shopper

pytestmark = pytest.mark.browser

ARABIC = "مرحبا، أين طلبي؟"


async def open_console(context: BrowserContext, server: ServerProcess, errors: list[str]) -> Page:
    page = await context.new_page()
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    await page.goto(f"{server.url}/console/")
    await expect(page.locator("#login-name")).to_be_visible()
    return page


async def log_in(page: Page, name: str = "anna", password: str = PASSWORD) -> None:
    await page.locator("#login-name").fill(name)
    await page.locator("#login-password").fill(password)
    await page.locator("#login-password").press("Enter")


async def logged_in_then_server_gone(
    server_with: ServerWith, context: BrowserContext, errors: list[str]
) -> tuple[ServerProcess, Page]:
    """A console logged in and synced, whose server then stops: it says the connection is lost."""
    server = server_with("")
    page = await open_console(context, server, errors)
    await log_in(page)
    await expect(page.locator('[data-group="Waiting"] h3')).to_have_text("Waiting (0)")
    server.stop()
    await expect(page.locator(".top .connection")).to_have_text("Connection lost, reconnecting…")
    return server, page


async def ask(client: Any, text: str) -> int:
    asked = await call(client, "/shopper", "message", {"client_id": new_client_id(), "text": text})
    assert asked["ok"], asked
    return int(asked["message"]["conversation_id"])


async def test_right_to_left_text(server: ServerProcess, context: BrowserContext) -> None:
    """An Arabic question and reply run right to left, in the list, the messages and the fields."""
    errors: list[str] = []
    page = await open_console(context, server, errors)
    await log_in(page)
    await expect(page.locator('[data-group="Waiting"] h3')).to_have_text("Waiting (0)")
    async with shopper(server.url) as (client, _inbox):
        conversation_id = await ask(client, ARABIC)
        item = page.locator(f'button.conv[data-id="{conversation_id}"]')
        await expect(item.locator(".last")).to_have_text(ARABIC)
        await expect(item.locator(".last")).to_have_attribute("dir", "auto")
        await item.click()
        text = page.locator(".messages .msg.shopper .text")
        await expect(text).to_have_text(ARABIC)
        await expect(text).to_have_attribute("dir", "auto")
        await expect(text).to_have_css("direction", "rtl")
        await expect(text).to_have_css("text-align", "start")

        # Anna is online with room: the new conversation is hers at once.
        await expect(page.locator(".facts .state")).to_have_text("assigned to you")
        composer = page.locator("#composer-input")
        await expect(composer).to_have_attribute("dir", "auto")
        await composer.fill("طلبك في الطريق.")
        await expect(composer).to_have_css("direction", "rtl")
        await composer.press("Enter")
        await expect(page.locator(".messages .msg.own")).to_have_attribute("data-status", "sent")
        await expect(page.locator(".messages .msg.own .text")).to_have_css("direction", "rtl")
        await expect(page.locator(".messages .msg.own .text")).to_have_attribute("dir", "auto")
        for field in ["#close-summary", "#transfer-note"]:
            await expect(page.locator(field)).to_have_attribute("dir", "auto")
        await screenshot(page, "console-right-to-left")
    assert errors == []


async def test_own_reply_is_the_last_message_in_the_list(
    server: ServerProcess, context: BrowserContext
) -> None:
    """Under "Mine", the agent's own reply replaces the shopper's text as the last message."""
    errors: list[str] = []
    page = await open_console(context, server, errors)
    await log_in(page)
    await expect(page.locator('[data-group="Waiting"] h3')).to_have_text("Waiting (0)")
    async with shopper(server.url) as (client, inbox):
        conversation_id = await ask(client, "Waar blijft mijn bestelling?")
        mine = page.locator(f'[data-group="Mine"] button.conv[data-id="{conversation_id}"]')
        await expect(mine.locator(".last")).to_have_text("Waar blijft mijn bestelling?")
        await mine.click()
        composer = page.locator("#composer-input")
        await composer.fill("Hij is onderweg.")
        await composer.press("Enter")
        await expect(page.locator(".messages .msg.own")).to_have_attribute("data-status", "sent")
        await expect(mine.locator(".last")).to_have_text("Hij is onderweg.")

        await composer.fill("Is er nog iets?")
        await composer.press("Enter")
        await expect(mine.locator(".last")).to_have_text("Is er nog iets?")
        await inbox.wait_for("message", lambda m: m["text"] == "Is er nog iets?")
        # A shopper's answer after it takes its place again.
        await ask(client, "Nee, dank je!")
        await expect(mine.locator(".last")).to_have_text("Nee, dank je!")
        # A reload shows the conversation that was open again, not an empty page.
        await page.reload()
        await expect(page.locator(".messages .msg.shopper .text").last).to_have_text(
            "Nee, dank je!"
        )
        await expect(mine).to_have_attribute("aria-current", "true")
    assert errors == []


async def test_waiting_and_bot_lists_show_the_shoppers_words(
    server_with: ServerWith, context: BrowserContext
) -> None:
    """Under "Waiting" and "With the bot" an entry shows what the shopper wrote last, not
    the bot's reply after it ("A colleague will be with you shortly" tells an agent
    nothing), as it arrives and after a reload."""
    server = server_with("[routing]\nmax_conversations_per_agent = 1\n")
    errors: list[str] = []
    page = await open_console(context, server, errors)
    await log_in(page)
    await expect(page.locator('[data-group="Waiting"] h3')).to_have_text("Waiting (0)")
    async with (
        shopper(server.url) as (first, _),
        shopper(server.url) as (second, waiting_inbox),
        shopper(server.url) as (third, bot_inbox),
    ):
        await ask(first, "Eén vraag")  # anna's one conversation: the next one waits
        question = "Hebben jullie deze tas ook in blauw?"
        waiting = await ask(second, question)
        await waiting_inbox.wait_for("message", lambda m: m["author"] == "bot")
        listed = page.locator(f'[data-group="Waiting"] button.conv[data-id="{waiting}"] .last')
        await expect(listed).to_have_text(question)

        await page.locator("#agent-status").select_option("away")
        await expect(page.locator("#agent-status")).to_have_value("away")
        with_bot = await ask(third, "Kan ik met cadeaubon betalen?")
        await bot_inbox.wait_for("message", lambda m: m["author"] == "bot")
        bot_item = page.locator(f'[data-group="With the bot"] button.conv[data-id="{with_bot}"]')
        await expect(bot_item.locator(".last")).to_have_text("Kan ik met cadeaubon betalen?")

        # Alt+Down from the composer of her own conversation into one she cannot reply in
        # (its composer is disabled): the keyboard follows to the list, not onto the page.
        mine = page.locator('[data-group="Mine"] button.conv')
        await mine.click()
        await expect(page.locator("#composer-input")).to_be_enabled()
        await page.locator("#composer-input").focus()
        await page.keyboard.press("Alt+ArrowDown")  # her only one: the next is not hers
        await expect(mine).not_to_have_attribute("aria-current", "true")
        await expect(page.locator("#composer-input")).to_be_disabled()
        await expect(page.locator(".groups button.conv:focus")).to_have_count(1)

        # Loket's own lines are no shopper's words either: the receipt of a left question.
        left = {
            "client_id": new_client_id(),
            "text": "Bel me over de cadeaubon",
            "phone": "0612345678",
        }
        assert (await call(third, "/shopper", "leave_question", left))["ok"]
        await bot_inbox.wait_for("message", lambda m: m["author"] == "system")
        await expect(bot_item.locator(".last")).to_have_text("Bel me over de cadeaubon")

        await page.reload()
        await expect(listed).to_have_text(question)
        await expect(bot_item.locator(".last")).to_have_text("Bel me over de cadeaubon")
        await screenshot(page, "console-lists-show-shoppers-words")
    assert errors == []


async def test_no_suggested_answer_for_a_question_the_bot_does_not_know(
    server: ServerProcess, context: BrowserContext
) -> None:
    """A question the FAQ does not answer gets no suggested answers (the closest entry
    shares a word or two at most); one it answers gets its entry."""
    errors: list[str] = []
    page = await open_console(context, server, errors)
    await log_in(page)
    await expect(page.locator('[data-group="Waiting"] h3')).to_have_text("Waiting (0)")
    async with shopper(server.url) as (client, _inbox):
        conversation_id = await ask(client, "Kunnen jullie de tas beschilderen?")
        await page.locator(f'button.conv[data-id="{conversation_id}"]').click()
        await expect(page.locator(".messages .msg.shopper")).to_have_count(1)
        await ask(client, "Hoe maak ik een account aan?")
        await expect(page.locator(".assist .faq").first.locator(".q")).to_have_text(
            "Hoe maak ik een account aan?"
        )
        # Answered, the next question it does not know takes those suggestions away, none
        # in their place (the closest entry shares a word or two at most).
        await page.locator("#composer-input").fill("Via Mijn account, rechtsboven.")
        await page.locator("#composer-input").press("Enter")
        await expect(page.locator(".messages .msg.own")).to_have_attribute("data-status", "sent")
        await ask(client, "Kunnen jullie de tas ook beschilderen?")
        await expect(page.locator(".assist .faq")).to_have_count(0)
    assert errors == []


async def test_no_ring_round_the_list_after_login(
    server: ServerProcess, context: BrowserContext
) -> None:
    """The list gets the focus after a login without a ring round it; Tab shows where it is."""
    errors: list[str] = []
    page = await open_console(context, server, errors)
    await log_in(page)
    groups = page.locator("nav.groups")
    await expect(groups).to_be_focused()
    await expect(page.locator('[data-group="Waiting"] h3')).to_have_text("Waiting (0)")
    await expect(groups).to_be_focused()
    await expect(groups).to_have_css("outline-style", "none")
    await screenshot(page, "console-after-login")
    # Keyboard users go on from there, and see the focus on what they reach.
    await page.keyboard.press("Tab")
    reached = await page.evaluate(
        """() => {
            const el = document.activeElement;
            return {inside: document.querySelector('nav.groups').contains(el),
                    outline: getComputedStyle(el).outlineStyle};
        }"""
    )
    assert reached["inside"], reached
    assert reached["outline"] != "none", reached
    assert errors == []


async def test_narrow_console_keeps_everything_in_reach(
    server: ServerProcess, context: BrowserContext
) -> None:
    """At 400 px wide the list has the window until a conversation is chosen; then the top
    bar, the conversation's head and its messages all fit and read."""
    errors: list[str] = []
    page = await open_console(context, server, errors)
    await page.set_viewport_size({"width": 400, "height": 800})
    await log_in(page)
    await expect(page.locator('[data-group="Waiting"] h3')).to_have_text("Waiting (0)")
    # Nothing chosen yet: the list has the window, not an empty pane saying "choose one".
    await expect(page.locator(".detail .placeholder")).to_be_hidden()
    listed = await page.locator(".groups").bounding_box()
    assert listed is not None and listed["height"] >= 500, listed
    # As when the browser has not answered yet: "Enable notifications" shows.
    await page.evaluate("document.querySelector('.top .notify').hidden = false")
    async with shopper(server.url) as (client, _inbox):
        conversation_id = await ask(client, "Hebben jullie deze fietstas ook in het blauw?")
        await ask(client, "En past hij op een elektrische fiets?")
        await page.locator(f'button.conv[data-id="{conversation_id}"]').click()
        await expect(page.locator(".facts .state")).to_have_text("assigned to you")
        await expect(page.locator(".messages .msg.shopper")).to_have_count(2)

        # Everything in the top bar and the head is on screen, nothing is cut off at the right.
        for selector in [
            ".top .who",
            "#agent-status",
            ".top .notify",
            ".top .logout",
            "button.transfer",
            "button.close-conv",
            "#composer-input",
            ".composer button[type=submit]",
        ]:
            box = await page.locator(selector).bounding_box()
            assert box is not None, selector
            assert box["x"] >= 0 and box["x"] + box["width"] <= 400, (selector, box)
        # The title reads on one or two lines, not a syllable per line beside the buttons.
        title = await page.locator(".conv-title").bounding_box()
        assert title is not None and title["width"] >= 250, title
        assert title["height"] <= 60, title
        # The messages get room to read: the shopper's details fold away behind a button.
        messages = await page.locator(".conversation .messages").bounding_box()
        assert messages is not None and messages["height"] >= 190, messages
        details = page.locator("button.ctx-toggle")
        await expect(page.locator(".context")).to_be_hidden()
        await details.click()
        await expect(details).to_have_attribute("aria-expanded", "true")
        await expect(page.locator('.context [data-ctx="locale"]')).to_be_visible()
        await screenshot(page, "console-narrow-details")
        await details.click()
        await expect(page.locator(".context")).to_be_hidden()
        await expect(page.locator(".messages .msg.shopper").nth(1)).to_be_in_viewport()
        # And the composer is there to answer, without scrolling.
        await expect(page.locator("#composer-input")).to_be_in_viewport()
        await screenshot(page, "console-narrow")
        # The page itself does not scroll sideways.
        assert await page.evaluate("document.documentElement.scrollWidth") <= 400
    assert errors == []


async def test_login_rate_limit_says_the_wait_once(
    server: ServerProcess, context: BrowserContext
) -> None:
    """Too many attempts: the server's sentence, once, without a second '(1 s)' after it."""
    errors: list[str] = []
    page = await open_console(context, server, errors)
    for _ in range(10):
        await page.request.post(
            f"{server.url}/api/login", data={"name": "anna", "password": "wrong password"}
        )
    await log_in(page, "anna", "wrong password")
    error = page.locator(".login .error")
    await expect(error).to_have_text(re.compile(r"^Too many login attempts; try again in .+\.$"))
    text = await error.text_content()
    assert text is not None and "(" not in text and text.count("try again") == 1, text
    assert errors == []


async def test_lost_connection_says_reconnecting(
    server_with: ServerWith, context: BrowserContext
) -> None:
    """With the server gone, the top bar says it is reconnecting, as docs/console.md says."""
    errors: list[str] = []
    _, page = await logged_in_then_server_gone(server_with, context, errors)
    connection = page.locator(".top .connection")
    # The tries that follow fail to connect at all: still "reconnecting", not another word.
    await expect(connection).to_have_text("Cannot reach the server, reconnecting…", timeout=15_000)
    assert errors == []


async def test_log_out_without_the_server_says_the_session_is_still_open(
    server_with: ServerWith, context: BrowserContext
) -> None:
    """Logging out needs the server (it drops the HttpOnly cookie): with the server gone
    the console says the session is still open and stays; once it is back, the log-out
    ends the session, and a reload asks for a login."""
    errors: list[str] = []
    server, page = await logged_in_then_server_gone(server_with, context, errors)
    dialogs: list[str] = []

    async def dismiss(dialog: Dialog) -> None:
        dialogs.append(dialog.message)
        await dialog.dismiss()

    page.on("dialog", dismiss)
    await page.locator(".top .logout").click()
    for _ in range(50):
        if dialogs:
            break
        await page.wait_for_timeout(100)
    assert len(dialogs) == 1 and "Not logged out" in dialogs[0], dialogs
    await expect(page.locator(".login")).to_be_hidden()

    server.port = urlparse(server.url).port
    server.start()
    await expect(page.locator(".top .connection")).to_have_text("", timeout=15_000)
    await page.locator(".top .logout").click()
    await expect(page.locator(".login .error")).to_have_text("You are logged out.")
    await page.reload()
    await expect(page.locator(".login")).to_be_visible()
    assert len(dialogs) == 1
    assert errors == []


async def test_log_out_with_open_conversations_asks_first(
    server: ServerProcess, context: BrowserContext
) -> None:
    """An agent with a conversation of her own is asked before logging out (it goes to a
    colleague or the queue at once); "You are logged out." is no error."""
    errors: list[str] = []
    page = await open_console(context, server, errors)
    await log_in(page)
    await expect(page.locator('[data-group="Mine"] h3')).to_have_text("Mine (0)")
    answers: list[bool] = [False, True]
    asked: list[str] = []

    async def answer(dialog: Dialog) -> None:
        asked.append(dialog.message)
        await (dialog.accept() if answers.pop(0) else dialog.dismiss())

    page.on("dialog", answer)
    async with shopper(server.url) as (client, _):
        await ask(client, "Hallo?")
        await expect(page.locator('[data-group="Mine"] h3')).to_have_text("Mine (1)")
        await page.locator(".top .logout").click()
        for _ in range(50):
            if asked:
                break
            await page.wait_for_timeout(100)
        assert asked and "You have 1 open conversation" in asked[0], asked
        await expect(page.locator(".workspace")).to_be_visible()
        await page.locator(".top .logout").click()
        message = page.locator(".login .error")
        await expect(message).to_have_text("You are logged out.")
        await expect(message).to_have_class(re.compile(r"\binfo\b"))
        assert len(asked) == 2
    assert errors == []
