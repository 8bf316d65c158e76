"""The console with several shoppers at once, and teaching the bot from it."""

from __future__ import annotations

import asyncio

import pytest
from playwright.async_api import BrowserContext, expect

from tests.browser.helpers import PASSWORD, screenshot
from tests.browser.test_console import log_in, open_console
from tests.support import ServerProcess, agent, call, login, new_client_id, shopper

pytestmark = pytest.mark.browser


async def until_not_online(server: ServerProcess, name: str) -> None:
    """Wait until the server counts `name` as not online (a colleague's sync lists who is)."""
    token = await login(server.url, "bram", PASSWORD)
    async with agent(server.url, token) as (desk, _):
        for _ in range(100):
            synced = await call(desk, "/agent", "sync")
            if name not in [a["name"] for a in synced["agents"]]:
                return
            await asyncio.sleep(0.05)
    raise AssertionError(f"{name} still counts as online")


async def test_two_conversations_keep_separate_drafts(
    server: ServerProcess, context: BrowserContext
) -> None:
    """Two shoppers at once: each conversation keeps its own unsent draft when switching."""
    page = await open_console(context, server)
    await log_in(page, "anna", PASSWORD)
    await expect(page.locator('[data-group="Waiting"] h3')).to_have_text("Waiting (0)")
    async with shopper(server.url) as (one, _), shopper(server.url) as (two, _):
        first = await call(
            one, "/shopper", "message", {"client_id": new_client_id(), "text": "Eén"}
        )
        second = await call(
            two, "/shopper", "message", {"client_id": new_client_id(), "text": "Twee"}
        )
        a = page.locator(f'button.conv[data-id="{first["conversation"]["id"]}"]')
        b = page.locator(f'button.conv[data-id="{second["conversation"]["id"]}"]')
        composer = page.locator("#composer-input")
        await a.click()
        await composer.fill("concept voor één")
        await b.click()
        await expect(composer).to_have_value("")
        await composer.fill("concept voor twee")
        await a.click()
        await expect(composer).to_have_value("concept voor één")
        await b.click()
        await expect(composer).to_have_value("concept voor twee")
        await screenshot(page, "console-two-drafts")


async def test_reusable_reply_is_given_by_the_bot_to_the_next_shopper(
    server: ServerProcess, context: BrowserContext
) -> None:
    """A reply marked reusable in the console answers the next shopper asking the same; the
    agent reads that it was kept, and, for a further reusable reply with no new question,
    that it was not."""
    question = "Kan ik de fietstas ook laten graveren met mijn naam?"
    answer = "Ja, graveren kan: kies bij de fietstas de optie gravure, dat kost € 7,50."
    page = await open_console(context, server)
    await log_in(page, "anna", PASSWORD)
    await expect(page.locator('[data-group="Waiting"] h3')).to_have_text("Waiting (0)")
    async with shopper(server.url) as (client, inbox):
        asked = await call(
            client, "/shopper", "message", {"client_id": new_client_id(), "text": question}
        )
        await page.locator(f'button.conv[data-id="{asked["conversation"]["id"]}"]').click()
        composer = page.locator("#composer-input")
        await composer.fill(answer)
        await page.locator("#composer-reusable").check()
        await composer.press("Enter")
        await inbox.wait_for("message", lambda m: m["author"] == "agent" and m["text"] == answer)
        notice = page.locator(".conversation .notice")
        # The question it was kept for, as kept: what a later shopper's question is
        # matched against (an admin rewords it under Learned answers).
        await expect(notice).to_have_text(
            f"Kept as a reusable answer to “{question}”: the bot gives it to shoppers who ask"
            " the same (an admin can reword the question under Learned answers)."
        )
        await composer.fill("Fijne dag verder en veel plezier met de fietstas!")
        await page.locator("#composer-reusable").check()
        await composer.press("Enter")
        await expect(notice).to_contain_text("Not kept as a reusable answer")
    # Anna steps away, so the next shopper is answered by the bot.
    await page.locator("#agent-status").select_option("away")
    await expect(page.locator("#agent-status")).to_have_value("away")
    await until_not_online(server, "anna")
    async with shopper(server.url) as (client, inbox):
        await call(client, "/shopper", "message", {"client_id": new_client_id(), "text": question})
        reply = await inbox.wait_for("message", lambda m: m["author"] == "bot")
        assert reply["text"] == answer
        assert reply["meta"]["entry_id"].startswith("learned:")


async def test_new_conversation_plays_a_tone(
    server: ServerProcess, context: BrowserContext
) -> None:
    """A conversation newly given to the agent plays a short tone (counted, not heard)."""
    await context.add_init_script(
        """
        window.__tones = 0;
        const start = OscillatorNode.prototype.start;
        OscillatorNode.prototype.start = function (...args) {
          window.__tones += 1;
          return start.apply(this, args);
        };
        """
    )
    page = await open_console(context, server)
    await log_in(page, "anna", PASSWORD)
    await expect(page.locator('[data-group="Waiting"] h3')).to_have_text("Waiting (0)")
    async with shopper(server.url) as (client, _):
        await call(client, "/shopper", "message", {"client_id": new_client_id(), "text": "Hallo?"})
        await page.wait_for_function("window.__tones >= 1")
