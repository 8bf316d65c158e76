"""The console's shopper context, closing with a summary, Closed today, keyboard switching,
and quiet chats the bot closes."""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

import pytest
from playwright.async_api import Page, expect

from tests.browser.conftest import ServerWith, open_shop
from tests.browser.helpers import PASSWORD, screenshot
from tests.browser.test_console import log_in, open_console
from tests.browser.test_widget import send
from tests.support import ServerProcess, call, new_client_id, shopper

pytestmark = pytest.mark.browser

SHOP_SECRET = "shop-secret-0123456789abcdef"
PAGE_URL = "https://shop.test/checkout?step=2"
PAGE_TITLE = "Afrekenen — Testwinkel"
PAGE = {"url": PAGE_URL, "title": PAGE_TITLE}
SUMMARY = "Pakket was vertraagd; nieuwe track & trace gestuurd."


async def ask(client: Any, text: str) -> int:
    """The shopper writes; returns the conversation id."""
    asked = await call(
        client,
        "/shopper",
        "message",
        {"client_id": new_client_id(), "text": text, "page": PAGE},
    )
    assert asked["ok"], asked
    return asked["message"]["conversation_id"]


async def open_and_take(page: Page, conversation_id: int) -> None:
    await page.locator(f'.groups button[data-id="{conversation_id}"]').first.click()
    await expect(page.locator("#conv-title")).not_to_have_text("")
    take = page.locator("button.take")
    if await take.is_visible():
        await take.click()
    await expect(page.locator(".facts .state")).to_have_text("assigned to you")


async def test_context_summary_closed_today_and_keys(server: ServerProcess, context: Any) -> None:
    """anna sees who the shopper is and where, closes with a summary, and switches by keyboard."""
    errors: list[str] = []
    page = await open_console(context, server)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    await log_in(page, "anna", PASSWORD)
    await expect(page.locator('[data-group="Waiting"] h3')).to_have_text("Waiting (0)")

    signature = hmac.new(SHOP_SECRET.encode(), b"12345", hashlib.sha256).hexdigest()
    claim = {
        "locale": "nl",
        "page": PAGE,
        "customer": {
            "id": "12345",
            "signature": signature,
            "name": "Sanne",
            "email": "sanne@example.nl",
        },
    }
    async with (
        shopper(server.url, auth=claim) as (client, inbox),
        shopper(server.url, auth={"locale": "en"}) as (other, _other_inbox),
    ):
        synced = await call(client, "/shopper", "sync", {})
        assert synced["identity"] == "verified", synced
        first = await ask(client, "Waar blijft mijn pakket?")
        second = await ask(other, "Do you ship to Belgium?")

        await open_and_take(page, first)
        await expect(page.locator("#conv-title")).to_have_text("Sanne")
        identity = page.locator('.context [data-ctx="identity"]')
        await expect(identity).to_contain_text("Sanne · sanne@example.nl · customer 12345")
        # Only the id is signed: the name and address are as the page passed them.
        await expect(identity).to_contain_text("id vouched for by the shop")
        await expect(page.locator('.context [data-ctx="locale"] dd')).to_have_text("nl")
        await expect(page.locator(".context .page-title")).to_have_text(PAGE_TITLE)
        link = page.locator(".context a.page-url")
        await expect(link).to_have_text(PAGE_URL)
        await expect(link).to_have_attribute("rel", "noopener noreferrer")
        await expect(page.locator(".context .earlier h3")).to_have_text("Earlier conversations (0)")
        # Whatever the bot said before is labelled as the bot's.
        for author in await page.locator(".messages .msg.bot .author").all_text_contents():
            assert author == "FAQ bot"
        await screenshot(page, "console-context")

        # Alt+ArrowDown / Alt+ArrowUp walk the list, also from the composer.
        await open_and_take(page, second)
        await expect(page.locator("#conv-title")).not_to_have_text("Sanne")
        await page.locator("#composer-input").focus()
        await page.keyboard.press("Alt+ArrowDown")
        await expect(page.locator("#conv-title")).to_have_text("Sanne")
        await page.keyboard.press("Alt+ArrowDown")
        await expect(page.locator("#conv-title")).not_to_have_text("Sanne")
        await page.keyboard.press("Alt+ArrowUp")
        await expect(page.locator("#conv-title")).to_have_text("Sanne")
        await expect(page.locator(".groups .help")).to_contain_text("Alt+↓")
        # With the focus nowhere in particular, it follows to the conversation in the list.
        await page.evaluate("document.activeElement && document.activeElement.blur()")
        await page.keyboard.press("Alt+ArrowDown")
        await expect(page.locator("#conv-title")).not_to_have_text("Sanne")
        await expect(page.locator(".groups button[data-id]:focus")).to_have_count(1)
        await page.keyboard.press("Alt+ArrowUp")
        await expect(page.locator("#conv-title")).to_have_text("Sanne")

        # Close asks for an optional summary first; Cancel (or Escape) leaves the
        # conversation open, and the summary typed is still there at the next try.
        await page.locator("button.close-conv").click()
        await expect(page.locator("#close-summary")).to_be_focused()
        await page.locator("#close-summary").fill(SUMMARY)
        await page.locator(".close-form button.secondary").click()
        await expect(page.locator(".close-form")).to_be_hidden()
        await expect(page.locator(".facts .state")).to_have_text("assigned to you")
        # Folded away, the keyboard is back on the button that opened the form.
        await expect(page.locator("button.close-conv")).to_be_focused()
        await page.locator("button.close-conv").click()
        await page.locator("#close-summary").press("Escape")
        await expect(page.locator(".close-form")).to_be_hidden()
        await expect(page.locator("button.close-conv")).to_be_focused()
        await page.locator("button.transfer").click()
        await expect(page.locator(".transfer-form")).to_be_visible()
        await page.locator("#transfer-note").press("Escape")
        await expect(page.locator(".transfer-form")).to_be_hidden()
        await expect(page.locator("button.transfer")).to_be_focused()
        await page.locator("button.close-conv").click()
        await expect(page.locator("#close-summary")).to_have_value(SUMMARY)
        await page.locator(".close-form button.close-confirm").click()
        await expect(page.locator(".facts .state")).to_have_text("closed")
        await inbox.wait_for("conversation", lambda c: c["state"] == "closed")
        await expect(page.locator(".conv-head .note")).to_have_text(f"Note: {SUMMARY}")

        closed = page.locator(f'[data-group="Closed today"] button[data-id="{first}"]')
        # The form is gone and the composer disabled: the keyboard goes on in the list.
        await expect(closed).to_be_focused()
        await expect(closed).to_contain_text("Sanne")
        await expect(closed).to_contain_text(SUMMARY)
        await expect(page.locator(f'[data-group="Mine"] [data-id="{first}"]')).to_have_count(0)
        await screenshot(page, "console-closed-today")

        # After a reload the group comes from sync; the closed conversation opens read-only.
        await page.reload()
        await expect(closed).to_contain_text(SUMMARY)
        await closed.click()
        await expect(page.locator(".facts .state")).to_have_text("closed")
        await expect(page.locator("#composer-input")).to_be_disabled()
        await expect(page.locator("button.close-conv")).to_be_hidden()
        await expect(page.locator("#composer-reusable")).to_be_hidden()
        await expect(page.locator(".messages .msg.shopper .text").first).to_have_text(
            "Waar blijft mijn pakket?"
        )
    assert errors == []


# No staffed hours, and a conversation with the bot closes after 3 quiet seconds.
QUIET_CLOSE = """
[hours]
timezone = "Europe/Amsterdam"
monday = []

[routing]
bot_idle_close_minutes = 0.05
"""


async def test_quiet_bot_chat_leaves_the_console_and_the_widget_says_so(
    server_with: ServerWith, context: Any, page_errors: list[str]
) -> None:
    """A chat only the bot answered closes when it goes quiet: it leaves "With the bot"
    without landing in "Closed today", the widget says it was closed, and writing again
    brings it back."""
    server = server_with(QUIET_CLOSE)
    console = await open_console(context, server)
    console.on("pageerror", lambda exc: page_errors.append(str(exc)))
    await log_in(console, "anna", PASSWORD)
    bot_group = console.locator('[data-group="With the bot"]')
    await expect(bot_group.locator("h3")).to_have_text("With the bot (0)")

    shop = await open_shop(context, server, page_errors)
    await shop.locator(".launcher").click()
    await send(shop, "Hebben jullie deze tas in het rood?")
    await expect(bot_group.locator("h3")).to_have_text("With the bot (1)")
    await console.locator('[data-group="With the bot"] button.conv').click()
    await expect(console.locator("#conv-title")).not_to_have_text("")

    await expect(shop.locator(".state")).to_have_text(
        "Dit gesprek is gesloten. Schrijf opnieuw om het te heropenen.", timeout=15_000
    )
    await expect(bot_group.locator("h3")).to_have_text("With the bot (0)")
    await expect(console.locator('[data-group="Closed today"]')).to_have_count(0)
    # The conversation on screen stays readable, marked closed.
    await expect(console.locator(".facts .state")).to_have_text("closed")

    await send(shop, "Hallo?")
    await expect(shop.locator(".state")).to_have_text("Onze assistent antwoordt")
    await expect(bot_group.locator("h3")).to_have_text("With the bot (1)")
    assert page_errors == []
