"""The widget's layout for every shopper: right-to-left text, a full-screen panel on phones."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.async_api import Page, expect

from tests.browser.conftest import ShopPage
from tests.browser.helpers import screenshot
from tests.support import ServerProcess

pytestmark = pytest.mark.browser

ARABIC = "مرحبا، أين طلبي؟"
HEBREW = "שלום, איפה ההזמנה שלי?"


async def send(page: Page, text: str) -> None:
    box = page.locator("#loket-input")
    await box.fill(text)
    await box.press("Enter")


async def style(locator: Any, prop: str) -> str:
    return await locator.evaluate(f"el => getComputedStyle(el).{prop}")


async def expect_direction(locator: Any, direction: str) -> None:
    """Waits until the element's computed direction is `direction` (dir="auto" follows the text)."""
    await expect(locator).to_have_css("direction", direction)


async def focused(page: Page) -> str:
    """What has the keyboard: an element of the widget (its class or id), or the page's tag."""
    return await page.evaluate(
        """() => {
            const active = document.activeElement;
            if (active?.tagName !== 'LOKET-CHAT') return 'page:' + (active?.tagName ?? 'none');
            const inner = active.shadowRoot.activeElement;
            return inner ? (inner.id || inner.className || inner.tagName) : 'host';
        }"""
    )


async def test_right_to_left_messages_and_fields(
    server: ServerProcess, shop_page: ShopPage, page_errors: list[str]
) -> None:
    """Arabic and Hebrew run right to left in the bubbles and the fields, Dutch left to right."""
    page = await shop_page()
    await page.locator(".launcher").click()
    composer = page.locator("#loket-input")
    await expect(composer).to_have_attribute("dir", "auto")
    await composer.fill(HEBREW)
    await expect_direction(composer, "rtl")
    await composer.fill("Hallo")
    await expect_direction(composer, "ltr")
    await composer.fill("")

    # Each after the bot's answer to the one before: an answer that offers the form for a
    # left question gives the form the keyboard when the composer is empty.
    for count, text in enumerate([ARABIC, "Waar is mijn bestelling?", HEBREW], start=1):
        await send(page, text)
        await expect(page.locator(".msg.bot")).to_have_count(count)
        await page.locator("#loket-input").focus()
    bubbles = page.locator(".msg.own .bubble")
    await expect(bubbles).to_have_count(3)
    for index, direction in enumerate(["rtl", "ltr", "rtl"]):
        bubble = bubbles.nth(index)
        await expect(bubble).to_have_attribute("dir", "auto")
        await expect_direction(bubble, direction)
        # Right-to-left text starts at the right of its bubble: not held left by the widget.
        assert await style(bubble, "textAlign") == "start"
    # The final question mark ends the Arabic line: it is drawn at its left end.
    ends = await bubbles.nth(0).evaluate(
        """el => {
            const text = el.firstChild;
            const range = document.createRange();
            range.setStart(text, text.length - 1);
            range.setEnd(text, text.length);
            const mark = range.getBoundingClientRect();
            range.setStart(text, 0);
            range.setEnd(text, 1);
            const first = range.getBoundingClientRect();
            return mark.right <= first.left;
        }"""
    )
    assert ends
    # The bot's answer to Arabic is in a bubble of its own direction too.
    await expect(page.locator(".msg.bot .bubble").first).to_have_attribute("dir", "auto")
    # Nobody is online: the bot's "I don't know" opened the form; out of the way for the picture.
    await page.get_by_role("button", name="Annuleren").click()
    await screenshot(page, "widget-right-to-left")

    for field in ["#loket-ask-text", "#loket-rate-comment"]:
        await expect(page.locator(field)).to_have_attribute("dir", "auto")
    assert page_errors == []


async def test_full_screen_panel_keeps_the_keyboard(
    server: ServerProcess, shop_page: ShopPage, page_errors: list[str]
) -> None:
    """On a phone the open panel is modal: Tab and Shift+Tab go round inside it, Esc closes."""
    page = await shop_page(
        before='<p><a href="/a">Eerste link</a> <a href="/b">Tweede link</a></p>'
    )
    await page.set_viewport_size({"width": 375, "height": 667})
    await page.locator(".launcher").click()
    panel = page.locator(".panel")
    await expect(panel).to_have_attribute("aria-modal", "true")
    await expect(page.locator("#loket-input")).to_be_focused()
    await send(page, "Hallo")
    await expect(page.locator(".msg.own")).to_have_attribute("data-status", "sent")

    seen: list[str] = []
    for _ in range(12):
        await page.keyboard.press("Tab")
        seen.append(await focused(page))
    assert not [f for f in seen if f.startswith("page:") or f == "host"], seen
    # Round and round: the send button, then back to the top of the panel.
    assert "send" in seen and "close" in seen, seen

    await page.locator("#loket-input").focus()
    backwards: list[str] = []
    for _ in range(12):
        await page.keyboard.press("Shift+Tab")
        backwards.append(await focused(page))
    assert not [f for f in backwards if f.startswith("page:") or f == "host"], backwards

    # A click on the panel's background leaves the focus on the page: Tab comes back in.
    await page.locator(".head .titles").click()
    await page.keyboard.press("Tab")
    assert not (await focused(page)).startswith("page:")

    await page.keyboard.press("Escape")
    await expect(panel).to_be_hidden()
    await expect(page.locator(".launcher")).to_be_focused()
    assert await panel.get_attribute("aria-modal") is None
    assert page_errors == []


async def test_side_panel_on_desktop_is_not_modal(
    server: ServerProcess, shop_page: ShopPage, page_errors: list[str]
) -> None:
    """Beside the page (wider than 480 px) the panel leaves the page usable: Tab may leave it."""
    page = await shop_page()
    await page.locator(".launcher").click()
    panel = page.locator(".panel")
    await expect(page.locator("#loket-input")).to_be_focused()
    assert await panel.get_attribute("aria-modal") is None
    seen: list[str] = []
    for _ in range(8):
        await page.keyboard.press("Tab")
        seen.append(await focused(page))
    assert [f for f in seen if f.startswith("page:") or f == "launcher"], seen

    # Made narrow while open, it covers the page and becomes modal; wide again, it is not.
    await page.set_viewport_size({"width": 375, "height": 667})
    await expect(panel).to_have_attribute("aria-modal", "true")
    await page.set_viewport_size({"width": 1200, "height": 800})
    await expect(panel).not_to_have_attribute("aria-modal", "true")
    assert page_errors == []
