"""The agent console in Chromium, against a shopper on a python-socketio client."""

from __future__ import annotations

import pytest
from playwright.async_api import BrowserContext, Page, expect

from tests.browser.helpers import PASSWORD, screenshot
from tests.support import ServerProcess, call, new_client_id, shopper

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
    # A reload keeps the session (the HttpOnly cookie authenticates the socket too).
    await page.reload()
    await expect(page.locator(".top .who")).to_have_text("anna")
    # Connected once the empty list has been synced.
    await expect(page.locator('[data-group="Waiting"] h3')).to_have_text("Waiting (0)")

    async with shopper(server.url) as (client, inbox):
        question = "Hebben jullie deze tas ook in blauw?"
        asked = await call(
            client, "/shopper", "message", {"client_id": new_client_id(), "text": question}
        )
        assert asked["ok"], asked
        conversation_id = asked["message"]["conversation_id"]

        item = page.locator(f'button.conv[data-id="{conversation_id}"]')
        await expect(page.locator('[data-group="Waiting"]')).to_contain_text(question)
        await expect(item).to_contain_text("waiting")
        await screenshot(page, "console-waiting")
        await item.click()
        await expect(page.locator(".messages .msg.shopper .text")).to_have_text(question)
        await expect(page.locator("#composer-input")).to_be_disabled()

        await page.locator("button.take").click()
        await expect(page.locator(".facts .state")).to_have_text("assigned to you")
        await expect(page.locator('[data-group="Mine"]')).to_contain_text(question)
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
        await expect(page.locator(".facts .state")).to_have_text("closed")
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
    async with shopper(server.url) as (client, _inbox):
        asked = await call(
            client, "/shopper", "message", {"client_id": new_client_id(), "text": "Hallo?"}
        )
        conversation_id = asked["message"]["conversation_id"]
        await page.locator(f'button.conv[data-id="{conversation_id}"]').click()
        await page.locator("button.take").click()
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
