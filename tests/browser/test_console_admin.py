"""The console's admin pages in Chromium: learned answers, missed questions, FAQ files, figures."""

from __future__ import annotations

import re

import pytest
from playwright.async_api import BrowserContext, Page, expect

from tests.browser.conftest import ShopPage
from tests.browser.helpers import PASSWORD, screenshot
from tests.browser.test_console import log_in, open_console
from tests.support import ServerProcess, agent, call, login, new_client_id, shopper

pytestmark = pytest.mark.browser

DUTCH = {"locale": "nl"}


async def open_admin(page: Page, section: str) -> None:
    """Switches to the Admin area and to one of its sections by clicking the tabs."""
    await page.locator("#tab-admin").click()
    await expect(page.locator("#area-admin")).to_be_visible()
    await page.locator(f"#admin-tab-{section}").click()
    await expect(page.locator(f"#admin-{section}")).to_be_visible()


async def ask(url: str, text: str) -> None:
    """A shopper asks `text` and leaves once the bot has answered (or not known)."""
    async with shopper(url, auth=DUTCH) as (client, inbox):
        asked = await call(
            client, "/shopper", "message", {"client_id": new_client_id(), "text": text}
        )
        assert asked["ok"], asked
        await inbox.wait_for("message", lambda m: m["author"] == "bot")


async def test_agent_without_the_admin_role_sees_no_admin_area(
    server: ServerProcess, context: BrowserContext
) -> None:
    """An agent gets no Admin tab, and the admin API refuses a fetch from their page."""
    page = await open_console(context, server)
    await log_in(page, "anna", PASSWORD)
    await expect(page.locator('[data-group="Waiting"] h3')).to_have_text("Waiting (0)")
    await expect(page.locator("#tab-conversations")).to_be_visible()
    await expect(page.locator("#tab-admin")).to_be_hidden()
    await expect(page.locator("#area-admin")).to_be_hidden()
    status = await page.evaluate("fetch('/api/admin/learned').then((r) => r.status)")
    assert status == 403


async def test_admin_reviews_learned_answers_and_the_bot_gives_them(
    server: ServerProcess, context: BrowserContext
) -> None:
    """Similar candidates come as one group; personal data blocks approval; an edit is approved."""
    errors: list[str] = []
    first = "Kunnen jullie de fietstas ook cadeau inpakken met een kaartje?"
    second = "Kunnen jullie de fietstas cadeau inpakken met kaartje erbij?"
    anna = await login(server.url, "anna", PASSWORD)
    # Anna, the only agent online, gets both conversations and answers them (not reusable).
    async with agent(server.url, anna) as (desk, _):
        for question, reply in (
            (
                first,
                "Jazeker, mail je kaarttekst naar kaarten@winkel.nl of bel 020 123 4567 en we"
                " regelen het.",
            ),
            (second, "Ja hoor, dat doen we graag voor je, vul het in bij het afrekenen."),
        ):
            async with shopper(server.url, auth=DUTCH) as (widget, _):
                sent = await call(
                    widget, "/shopper", "message", {"client_id": new_client_id(), "text": question}
                )
                assert sent["conversation"]["state"] == "assigned", sent
                ack = await call(
                    desk,
                    "/agent",
                    "message",
                    {
                        "conversation_id": sent["conversation"]["id"],
                        "client_id": new_client_id(),
                        "text": reply,
                    },
                )
                assert ack["ok"] and ack["learned"]["status"] == "candidate", ack

    page = await open_console(context, server)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    await log_in(page, "admin", PASSWORD)
    await expect(page.locator(".top .who")).to_have_text("admin (admin)")
    # Connected once the list has been synced; a status chosen before that would be reset.
    await expect(page.locator('[data-group="Waiting"] h3')).to_have_text("Waiting (0)")
    # Away: the shopper at the end gets the bot, not the admin.
    await page.locator("#agent-status").select_option("away")
    await expect(page.locator("#agent-status")).to_have_value("away")
    await open_admin(page, "learned")

    group = page.locator(".learned-group")
    await expect(group).to_have_count(1)
    await expect(group.locator("h3")).to_contain_text("2 similar questions")
    with_email = group.locator("article.learned", has=page.locator(".badge.personal"))
    clean = group.locator("article.learned", has_not=page.locator(".badge.personal"))
    await expect(with_email.locator(".badge.personal")).to_have_text(
        ["Holds e-mail address", "Holds phone number"]
    )
    await expect(with_email.locator(".language")).to_have_text("nl")
    await expect(with_email.locator(".agent")).to_have_text("answered by anna")
    await expect(with_email.locator("textarea.question")).to_have_value(first)

    # Approving personal data as it is: refused with the kinds, and "Approve anyway" offered.
    await with_email.locator("button.approve").click()
    await expect(with_email.locator(".review-error")).to_contain_text("personal data")
    await expect(with_email.locator(".review-error")).to_contain_text("e-mail address")
    await expect(with_email.locator("button.force")).to_be_visible()
    await screenshot(page, "console-admin-learned-personal")
    # The e-mail address edited out, the number left: refused again, and the badges say
    # what the server found in the texts as they are now.
    await with_email.locator("textarea.answer").fill("Jazeker, bel 020 123 4567 en we regelen het.")
    await with_email.locator("button.approve").click()
    await expect(with_email.locator(".review-error")).to_contain_text("phone number")
    await expect(with_email.locator(".badge.personal")).to_have_text(["Holds phone number"])
    await with_email.locator("button.reject").click()
    await expect(group.locator("article.learned")).to_have_count(1)
    await expect(page.locator("#admin-learned .panel-state")).to_contain_text("Rejected")
    await expect(group.locator("h3")).to_have_text("1 question")

    edited = "Jazeker, vul bij het afrekenen je kaarttekst in, dan pakken we de fietstas in."
    await clean.locator("textarea.answer").fill(edited)
    await clean.locator("button.approve").click()
    await expect(page.locator("#admin-learned .panel-state")).to_contain_text("Approved")
    await expect(page.locator("#admin-learned .none")).to_have_text("All reviewed.")

    await page.locator("#learned-status").select_option("approved")
    approved = page.locator("#admin-learned article.learned")
    await expect(approved).to_have_count(1)
    await expect(approved.locator("textarea.answer")).to_have_value(edited)
    await expect(approved.locator(".reviewed")).to_have_text("approved by admin")
    await screenshot(page, "console-admin-learned-approved")

    async with shopper(server.url, auth=DUTCH) as (widget, inbox):
        await call(widget, "/shopper", "message", {"client_id": new_client_id(), "text": first})
        reply = await inbox.wait_for("message", lambda m: m["author"] == "bot")
        assert reply["text"] == edited
    assert errors == []


async def test_admin_sees_misses_faq_files_and_figures(
    server: ServerProcess, context: BrowserContext
) -> None:
    """Missed questions, the FAQ status and the figures render with their numbers."""
    errors: list[str] = []
    # Asked three times, in two wordings: the repeat alike is no other wording.
    for text in ("Xyzzy plugh vraag?", "xyzzy plugh vraag", "xyzzy plugh vraagje"):
        await ask(server.url, text)
    story = "Qwerty zxcvb plonk. " * 50  # a thousand characters the bot did not know
    await ask(server.url, story)
    page = await open_console(context, server)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    await log_in(page, "admin", PASSWORD)
    await open_admin(page, "misses")

    miss = page.locator("#admin-misses li.miss").first
    await expect(miss.locator(".count")).to_have_text("3×")
    await expect(miss.locator(".reason")).to_have_text("the bot did not know")
    await expect(miss.locator(".examples li")).to_have_text(["also: xyzzy plugh vraagje"])
    # A long story reads as its beginning, all of it on hover.
    long = page.locator("#admin-misses li.miss .question", has_text="Qwerty zxcvb")
    await expect(long).to_have_attribute("title", story.strip())
    shown = await long.text_content()
    assert shown is not None and len(shown) <= 200 and shown.endswith("…"), shown
    await page.locator("#misses-days").select_option("7")
    await expect(miss.locator(".count")).to_have_text("3×")
    await screenshot(page, "console-admin-misses")

    # The section tabs work from the keyboard: arrow down from Missed questions to FAQ files.
    await page.locator("#admin-tab-misses").focus()
    await page.keyboard.press("ArrowDown")
    await expect(page.locator("#admin-tab-faq")).to_be_focused()
    await expect(page.locator("#admin-tab-faq")).to_have_attribute("aria-selected", "true")
    await expect(page.locator("#admin-faq")).to_be_visible()
    entries = await page.locator("#admin-faq .faq-entries .number").inner_text()
    assert int(entries) >= 80
    await expect(page.locator("#admin-faq .faq-ok")).to_have_text("No errors.")
    await screenshot(page, "console-admin-faq")

    await page.keyboard.press("ArrowDown")
    await expect(page.locator("#admin-figures")).to_be_visible()
    figures = page.locator("#admin-figures")
    await expect(figures.locator('[data-figure="conversations"]')).to_have_text("4")
    await expect(figures.locator('[data-figure="nobody"]')).to_have_text("100%")
    await expect(figures.locator('[data-figure="first-response"]')).to_have_text("no agent replies")
    await expect(figures.locator('[data-figure="rating"]')).to_have_text("no ratings")
    per_hour = figures.locator('[data-chart="per-hour"] li.bar')
    await expect(per_hour).to_have_count(24)
    await expect(figures.locator('[data-chart="per-weekday"] li.bar')).to_have_count(7)
    values = await figures.locator('[data-chart="per-hour"] .value').all_inner_texts()
    assert sum(int(v) for v in values) == 4
    await expect(per_hour.first.locator(".sr")).to_have_text(
        re.compile(r"^00:00–00:59: \d+ conversations?$")
    )
    await page.locator("#figures-days").select_option("30")
    await expect(figures.locator('[data-figure="conversations"]')).to_have_text("4")
    await screenshot(page, "console-admin-figures")

    # Back to the conversations with the keyboard.
    await page.locator("#tab-admin").focus()
    await page.keyboard.press("ArrowLeft")
    await expect(page.locator("#area-conversations")).to_be_visible()
    await expect(page.locator("#area-admin")).to_be_hidden()
    assert errors == []


async def test_admin_forgets_a_shopper_whose_tab_is_open(
    server: ServerProcess, context: BrowserContext, shop_page: ShopPage, page_errors: list[str]
) -> None:
    """An erasure request from the console while the server runs: the admin finds the
    shopper by a conversation number, sees what would go, deletes it; the conversation
    leaves the console's list and the shopper's open widget shows nothing of it."""
    asked = "Ik woon op Kerkstraat 12, bezorgen jullie daar?"
    anna = await login(server.url, "anna", PASSWORD)
    async with agent(server.url, anna) as (desk, inbox):
        widget = await shop_page()
        await widget.locator(".launcher").click()
        box = widget.locator("#loket-input")
        await box.fill(asked)
        await box.press("Enter")
        message = await inbox.wait_for("message", lambda m: m["text"] == asked)
        ref = {"conversation_id": message["conversation_id"]}
        assert (await call(desk, "/agent", "take", ref))["ok"]
        reply = {**ref, "client_id": new_client_id(), "text": "Ja, daar bezorgen we."}
        assert (await call(desk, "/agent", "message", reply))["ok"]
        assert (await call(desk, "/agent", "close", ref))["ok"]
    await expect(widget.locator(".msg.agent .bubble")).to_have_text("Ja, daar bezorgen we.")
    # Closed by the agent: the widget asks for a rating.
    await expect(widget.locator("form.rate")).to_be_visible()
    number = ref["conversation_id"]

    errors: list[str] = []
    page = await open_console(context, server)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    await log_in(page, "admin", PASSWORD)
    closed = page.locator('[data-group="Closed today"] button')
    await expect(closed).to_have_count(1)
    await open_admin(page, "forget")
    await page.locator("#forget-way").select_option("conversation")
    await page.locator("#forget-value").fill(str(number))
    await page.locator("#forget-value").press("Enter")
    result = page.locator("#admin-forget .forget-result")
    await expect(result.locator(".forget-who")).to_contain_text(
        f"By conversation number {number}: found shopper #"
    )
    await expect(result.locator(".forget-who")).to_contain_text("(in that conversation)")
    await expect(result.locator(".forget-what")).to_contain_text(f"#{number} would be deleted")
    await screenshot(page, "console-admin-forget")
    await result.locator("button.forget-confirm").click()
    state = page.locator("#admin-forget .panel-state")
    await expect(state).to_contain_text(
        "Deleted: 1 shopper, 1 conversation, 3 messages, 1 learned candidate."
    )
    await expect(result.locator(".forget-done")).to_be_visible()
    # Found again: there is nobody left to find.
    await page.locator("#forget-value").press("Enter")
    await expect(state).to_have_text("No shopper found.")

    # The shopper's tab is told: it connects again and shows nothing of what was deleted.
    await expect(widget.locator(".msg")).to_have_count(0)
    # Nor what it said out loud to a screen reader ("anna: Ja, daar bezorgen we.").
    await expect(widget.locator('.sr[aria-live="polite"]')).to_have_text("")
    await expect(widget.locator("form.rate")).to_be_hidden()
    await expect(widget.locator(".state")).to_have_text("We helpen je graag")
    await page.locator("#tab-conversations").click()
    await expect(closed).to_have_count(0)
    assert errors == [] and page_errors == []
