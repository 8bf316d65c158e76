"""The widget across a crash and restart of the server."""

from __future__ import annotations

import pytest
from playwright.async_api import expect

from tests.browser.conftest import ShopPage
from tests.browser.helpers import PASSWORD, screenshot
from tests.support import ServerProcess, agent, call, login

pytestmark = pytest.mark.browser


async def test_server_restart_mid_chat_loses_and_doubles_nothing(
    server: ServerProcess, shop_page: ShopPage, page_errors: list[str]
) -> None:
    """The server dies mid-chat; the widget reconnects to its successor and sends once."""
    page = await shop_page()
    await page.locator(".launcher").click()
    box = page.locator("#loket-input")
    await box.fill("Voor de herstart")
    await box.press("Enter")
    mine = page.locator(".msg.own")
    await expect(mine).to_have_attribute("data-status", "sent")

    server.kill()
    await expect(page.locator(".conn")).to_be_visible()
    await box.fill("Tijdens de herstart")
    await box.press("Enter")
    await expect(mine.nth(1)).to_have_attribute("data-status", "sending")
    await screenshot(page, "widget-server-down")

    port = int(server.url.rsplit(":", 1)[1])
    successor = ServerProcess(server.config, port=port)
    successor.start()
    try:
        await expect(mine.nth(1)).to_have_attribute("data-status", "sent", timeout=20_000)
        await expect(page.locator(".conn")).to_be_hidden()
        await expect(mine).to_have_count(2)
        token = await login(successor.url, "anna", PASSWORD)
        async with agent(successor.url, token) as (desk, _):
            synced = await call(desk, "/agent", "sync")
            (conversation,) = synced["conversations"]
            opened = await call(desk, "/agent", "open", {"conversation_id": conversation["id"]})
            texts = [m["text"] for m in opened["messages"] if m["author"] == "shopper"]
            assert texts == ["Voor de herstart", "Tijdens de herstart"]
    finally:
        successor.stop()
    assert page_errors == []
