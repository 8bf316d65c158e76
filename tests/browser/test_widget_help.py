"""The widget's honest help: bot offers, talking to a person, the queue, left questions, rating."""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import AsyncIterator
from typing import Any

import pytest
from playwright.async_api import BrowserContext, Page, WebSocketRoute, expect

from tests.browser.conftest import ServerWith, ShopPage, open_shop
from tests.browser.helpers import PASSWORD, screenshot
from tests.support import Inbox, ServerProcess, agent, call, login, new_client_id, shopper

pytestmark = pytest.mark.browser

# `monday = []` and no other weekday: nobody is ever staffed (docs/routing.md).
OFF_HOURS = """
[hours]
timezone = "Europe/Amsterdam"
monday = []
"""
CAPACITY_ONE = """
[routing]
max_conversations_per_agent = 1
"""
INVITATION = """
[[widget.invitations]]
path = "/checkout*"
after_seconds = 1
text_nl = "Hulp nodig bij het afrekenen?"
text_en = "Need help checking out?"
"""


async def send(page: Page, text: str) -> None:
    box = page.locator("#loket-input")
    await box.fill(text)
    await box.press("Enter")


async def offered_the_form(
    server_with: ServerWith, context: BrowserContext, page_errors: list[str]
) -> tuple[ServerProcess, Page, Any]:
    """Off hours, a shop page whose bot could not answer the shopper's first question:
    the server, the page and the leave-a-question form the bot opened."""
    server = server_with(OFF_HOURS)
    page = await open_shop(context, server, page_errors)
    await page.locator(".launcher").click()
    form = page.locator("form.ask")
    await send(page, "Kunnen jullie de fietstas ook in het rood leveren?")
    await expect(form).to_be_visible()
    return server, page, form


def own(page: Page) -> Any:
    return page.locator(".msg.own")


async def shown_in(inner: Any, outer: Any) -> bool:
    """Whether `inner` lies wholly within `outer`'s box (what a scroll box shows)."""
    a, b = await inner.bounding_box(), await outer.bounding_box()
    return bool(
        a and b and a["y"] >= b["y"] - 1 and a["y"] + a["height"] <= b["y"] + b["height"] + 1
    )


async def test_off_hours_question_is_left_for_the_agents(
    server_with: ServerWith, context: BrowserContext, page_errors: list[str]
) -> None:
    """Off hours the widget offers to leave a question, not to talk to a person; the form
    opens without asking the server first, and agents see the left question."""
    server = server_with(OFF_HOURS)
    token = await login(server.url, "anna", PASSWORD)
    async with agent(server.url, token) as (desk, inbox):
        page = await open_shop(context, server, page_errors)
        await page.locator(".launcher").click()
        await expect(page.locator(".detail")).to_have_text(
            "Er zijn geen tijden gepland waarop we er zijn"
        )
        await expect(page.locator("button.person")).to_be_hidden()
        leave = page.locator("button.leave-offer")
        await expect(leave).to_have_text("Laat een vraag achter")
        await leave.click()
        form = page.locator("form.ask")
        await expect(form).to_be_visible()
        # Nobody can come: the assistant answers a first question, not "we're glad to help"
        # above "nobody is there".
        await expect(page.locator(".state")).to_have_text("Onze assistent antwoordt")

        question = "Hebben jullie deze fietstas ook in het rood?"
        await page.get_by_label("Je vraag", exact=True).fill(question)
        await page.get_by_role("button", name="Vraag versturen").click()
        await expect(form.locator(".error")).to_have_text(
            "Vul een e-mailadres of telefoonnummer in."
        )
        await page.get_by_label("E-mailadres").fill("sanne@example")
        await page.get_by_role("button", name="Vraag versturen").click()
        await expect(form.locator(".error")).to_have_text("Dit e-mailadres klopt niet.")
        await expect(page.get_by_label("E-mailadres")).to_have_attribute("aria-invalid", "true")
        await screenshot(page, "widget-leave-question-error")

        # A number nobody can be called back on ("06-1234": six digits) is told at once.
        await page.get_by_label("E-mailadres").fill("")
        await page.get_by_label("Telefoonnummer").fill("06-1234")
        await page.get_by_role("button", name="Vraag versturen").click()
        await expect(form.locator(".error")).to_have_text(
            "Dit telefoonnummer klopt niet: vul minstens 7 cijfers in (spaties en + ( ) - mogen)."
        )
        await page.get_by_label("Telefoonnummer").fill("")

        await page.get_by_label("E-mailadres").fill("sanne@example.nl")
        await page.get_by_role("button", name="Vraag versturen").click()
        await expect(form).to_be_hidden()
        await expect(own(page).locator(".bubble")).to_have_text(question)
        await expect(own(page)).to_have_attribute("data-status", "sent")
        await expect(page.locator(".msg.system")).to_have_count(1)
        # Loket's own line carries its time, not the software's name ("Loket · 14:02").
        await expect(page.locator(".msg.system .meta")).to_have_text(re.compile(r"^\d{1,2}:\d{2}$"))
        await screenshot(page, "widget-question-left")

        await inbox.wait_for("callbacks")
        listed = await call(desk, "/agent", "callbacks", {})
        assert listed["ok"], listed
        [callback] = listed["callbacks"]
        assert callback["question"] == question
        assert callback["email"] == "sanne@example.nl"
    assert page_errors == []


async def test_did_you_mean_choice_is_asked(
    server: ServerProcess, shop_page: ShopPage, page_errors: list[str]
) -> None:
    """A click on a "did you mean" choice sends that question as the shopper's next message."""
    page = await shop_page()
    await page.locator(".launcher").click()
    await send(page, "betalen")
    choice = page.locator(".msg.bot button.choice", has_text="Hoe kan ik betalen?")
    await expect(choice).to_be_visible()
    await expect(page.locator(".msg.bot button.choice")).to_have_count(3)
    await screenshot(page, "widget-did-you-mean")
    await choice.click()
    await expect(own(page)).to_have_count(2)
    await expect(own(page).nth(1).locator(".bubble")).to_have_text("Hoe kan ik betalen?")
    await expect(own(page).nth(1)).to_have_attribute("data-status", "sent")
    # The chosen question gets its answer, with the question whether it helped.
    await expect(page.locator(".msg.bot .feedback")).to_have_count(1)
    assert page_errors == []


async def test_unhelpful_answer_offers_more_help(
    server: ServerProcess, shop_page: ShopPage, page_errors: list[str]
) -> None:
    """ "Not helpful" on a bot answer shows what comes next: with nobody online, the form."""
    page = await shop_page()
    await page.locator(".launcher").click()
    await send(page, "Hoe maak ik een account aan?")
    answer = page.locator(".msg.bot").filter(has=page.locator(".feedback"))
    await expect(answer.locator(".bubble")).to_contain_text("Account aanmaken")
    await answer.get_by_role("button", name="Nee, dit hielp niet").click()
    await expect(answer.locator(".feedback")).to_contain_text("Bedankt voor je reactie.")
    await expect(answer.locator("button.offer-leave")).to_have_text("Laat een vraag achter")
    await expect(page.locator("form.ask")).to_be_visible()
    await screenshot(page, "widget-not-helpful")
    assert page_errors == []


@contextlib.asynccontextmanager
async def queued_behind_busy_anna(
    server: ServerProcess, context: BrowserContext, page_errors: list[str]
) -> AsyncIterator[tuple[Any, Inbox, dict[str, Any], Page]]:
    """anna online with her one place taken by another shopper, and a shop page whose
    shopper asked a question and waits in the queue: her console, its inbox, the other
    shopper's first answer, and the page."""
    token = await login(server.url, "anna", PASSWORD)
    async with agent(server.url, token) as (desk, inbox), shopper(server.url) as (first, _):
        busy = await call(
            first, "/shopper", "message", {"client_id": new_client_id(), "text": "Eerste vraag"}
        )
        assert busy["conversation"]["state"] == "assigned", busy
        page = await open_shop(context, server, page_errors)
        await page.locator(".launcher").click()
        await send(page, "Is de fietstas nog op voorraad?")
        await expect(page.locator(".state")).to_have_text("Je wacht op een medewerker…")
        yield desk, inbox, busy, page


async def test_queue_place_then_agent_then_rating(
    server_with: ServerWith, context: BrowserContext, page_errors: list[str]
) -> None:
    """With the only agent full a shopper sees their place; then she helps, closes, is rated,
    once: the form goes from the shopper's other tab as well."""
    server = server_with(CAPACITY_ONE)
    async with queued_behind_busy_anna(server, context, page_errors) as (desk, inbox, busy, page):
        await expect(page.locator(".detail")).to_have_text(
            # One waiting; the estimate comes from default_handling_seconds.
            "Je bent nummer 1 in de rij, ongeveer 5 minuten"
        )
        await expect(page.locator("button.person")).to_be_hidden()
        await screenshot(page, "widget-queue-place")

        closed = await call(
            desk, "/agent", "close", {"conversation_id": busy["conversation"]["id"]}
        )
        assert closed["ok"], closed
        # Anna has room again and gets the waiting shopper.
        await expect(page.locator(".state")).to_have_text("anna helpt je")
        await expect(page.locator(".detail")).to_be_hidden()
        other_tab = await open_shop(context, server, page_errors)
        await other_tab.locator(".launcher").click()
        await expect(other_tab.locator(".state")).to_have_text("anna helpt je")
        first_id = busy["conversation"]["id"]
        waiting = await inbox.wait_for(
            "conversation", lambda c: c["state"] == "assigned" and c["id"] != first_id
        )
        closed = await call(desk, "/agent", "close", {"conversation_id": waiting["id"]})
        assert closed["ok"], closed

        rate = page.locator("form.rate")
        await expect(rate).to_be_visible()
        await expect(other_tab.locator("form.rate")).to_be_visible()
        await rate.get_by_role("button", name="Beoordeling versturen").click()
        await expect(rate.locator(".error")).to_have_text("Kies eerst 1 tot 5 sterren.")
        await rate.get_by_role("button", name="4 sterren").click()
        await expect(rate.get_by_role("button", name="4 sterren")).to_have_attribute(
            "aria-pressed", "true"
        )
        await rate.get_by_label("Opmerking (niet verplicht)").fill("Snel geholpen!")
        await screenshot(page, "widget-rating")
        await rate.get_by_role("button", name="Beoordeling versturen").focus()
        await page.keyboard.press("Enter")
        await expect(page.locator(".thanks")).to_have_text("Bedankt voor je beoordeling!")
        await expect(rate).to_be_hidden()
        # The button is gone: the keyboard goes on in the composer, inside the panel.
        await expect(page.locator("#loket-input")).to_be_focused()
        await expect(other_tab.locator("form.rate")).to_be_hidden()
        # Once per conversation: a reload does not ask again.
        await page.reload()
        await expect(page.locator(".state")).to_contain_text("gesloten")
        await expect(page.locator("form.rate")).to_be_hidden()
    assert page_errors == []


async def test_a_wait_longer_than_the_queue_keeps_anyone_offers_the_form(
    server_with: ServerWith, context: BrowserContext, page_errors: list[str]
) -> None:
    """The only agent is full and a conversation takes five minutes, but the queue hands a
    shopper to the bot after two: no estimate of five minutes, but that it may take long,
    with the form to leave the question instead."""
    server = server_with(CAPACITY_ONE + "queue_timeout_seconds = 120\n")
    async with queued_behind_busy_anna(server, context, page_errors) as (_, _, _, page):
        await expect(page.locator(".detail")).to_have_text(
            "Je bent nummer 1 in de rij. Het kan lang duren; je kunt ook je vraag achterlaten."
        )
        leave = page.locator("button.leave-offer")
        await expect(leave).to_be_visible()
        await expect(page.locator("button.person")).to_be_hidden()
        await screenshot(page, "widget-queue-long")
        await leave.click()
        await expect(page.locator("form.ask")).to_be_visible()
    assert page_errors == []


async def test_after_the_queue_gave_up_the_widget_offers_the_form_not_a_person(
    server_with: ServerWith, context: BrowserContext, page_errors: list[str]
) -> None:
    """The queue's wait ran out while the only agent is still full: the notice says everyone
    is busy and opens the form; the header and the bar below it agree (no "you can also talk
    to a person", the bar offers the form)."""
    server = server_with(CAPACITY_ONE + "queue_timeout_seconds = 2\n")
    async with queued_behind_busy_anna(server, context, page_errors) as (_, _, _, page):
        notice = page.locator(".msg.system").last
        await expect(notice).to_contain_text("al onze collega's zijn nog bezig", timeout=15_000)
        await expect(page.locator("form.ask")).to_be_visible()
        await expect(page.locator(".state")).to_have_text("Onze assistent antwoordt")
        await screenshot(page, "widget-queue-gave-up")
        # The form put away, the bar under the header offers it again, not a person.
        await page.get_by_role("button", name="Annuleren").click()
        await expect(page.locator("button.leave-offer")).to_be_visible()
        await expect(page.locator("button.person")).to_be_hidden()
    assert page_errors == []


async def test_invitation_on_a_matching_page(
    server_with: ServerWith, context: BrowserContext, page_errors: list[str]
) -> None:
    """A first-time visitor on /checkout is invited once per visit; a click opens the chat."""
    server = server_with(INVITATION)
    page = await open_shop(context, server, page_errors, path="/checkout/betalen")
    invite = page.locator(".invite")
    await expect(page.locator(".invite-text")).to_have_text("Hulp nodig bij het afrekenen?")
    await screenshot(page, "widget-invitation")
    # The probe for the rules leaves no visitor token: the visitor still counts as new.
    assert await page.evaluate("localStorage.getItem('loket:token')") is None
    await page.locator(".invite-text").click()
    await expect(page.locator(".panel")).to_be_visible()
    await expect(invite).to_be_hidden()
    await page.locator(".close").click()
    await page.reload()
    await page.wait_for_timeout(1500)
    await expect(invite).to_be_hidden()

    other = await open_shop(context, server, page_errors, path="/fietstas")
    await other.wait_for_timeout(1500)
    await expect(other.locator(".invite")).to_be_hidden()
    assert page_errors == []


async def test_left_question_form_holds_the_unanswered_question(
    server: ServerProcess, shop_page: ShopPage, page_errors: list[str]
) -> None:
    """When the bot does not know and nobody can come, the form opens with the question asked,
    not empty; what the shopper typed in the form themselves is kept."""
    page = await shop_page()
    await page.locator(".launcher").click()
    await send(page, "asdkfj qwpoeiru")
    form = page.locator("form.ask")
    await expect(form).to_be_visible()
    question = page.get_by_label("Je vraag", exact=True)
    await expect(question).to_have_value("asdkfj qwpoeiru")
    await expect(question).to_be_focused()
    await expect(page.locator("#loket-input")).to_have_value("")
    # On a laptop screen the form leaves the bot's reply in sight and shows its buttons
    # without scrolling.
    await screenshot(page, "widget-leave-question-filled")
    await expect(page.locator(".msg.bot")).to_be_in_viewport()
    assert await shown_in(page.locator(".msg.bot .bubble"), page.locator(".messages"))
    assert await shown_in(form.locator(".buttons"), form)

    # The shopper words it differently and puts the form away; the next miss keeps their words.
    await question.fill("Waar is mijn pakket van vorige week?")
    await page.get_by_role("button", name="Annuleren").click()
    await expect(form).to_be_hidden()
    # The keyboard goes back to the conversation, not to the page behind.
    await expect(page.locator("#loket-input")).to_be_focused()
    await send(page, "zxcvbn mnbvcx")
    await expect(page.locator(".msg.bot")).to_have_count(2)
    await expect(form).to_be_visible()
    await expect(question).to_have_value("Waar is mijn pakket van vorige week?")

    # The button in the bot's reply opens it with that reply's question once the form is empty.
    await question.fill("")
    await page.get_by_role("button", name="Annuleren").click()
    await page.locator(".msg.bot").nth(0).locator("button.offer-leave").click()
    await expect(question).to_have_value("asdkfj qwpoeiru")
    assert page_errors == []


async def test_typing_that_one_wants_a_person_opens_an_empty_form(
    server: ServerProcess, shop_page: ShopPage, page_errors: list[str]
) -> None:
    """Nobody online: "Kan ik een medewerker spreken?" typed gets the bot's word that nobody
    is there and the form, which is empty (that was no question to leave) and takes the
    question the shopper then writes."""
    page = await shop_page()
    await page.locator(".launcher").click()
    await send(page, "Kan ik een medewerker spreken?")
    await expect(page.locator(".msg.bot")).to_contain_text("niemand van ons team")
    form = page.locator("form.ask")
    await expect(form).to_be_visible()
    question = page.get_by_label("Je vraag", exact=True)
    await expect(question).to_have_value("")
    await page.get_by_role("button", name="Annuleren").click()
    await page.locator(".msg.bot").locator("button.offer-leave").click()
    await expect(question).to_have_value("")
    await screenshot(page, "widget-person-asked")
    assert page_errors == []


async def test_a_form_put_away_stays_away_on_the_next_page_but_not_for_a_person(
    server_with: ServerWith, context: BrowserContext, page_errors: list[str]
) -> None:
    """The form put away untouched after "I don't know" stays closed after the next one on
    the shop's next page as well (the conversation goes on there); asking for a person
    nobody can be, the shopper gets it at once all the same."""
    server, page, form = await offered_the_form(server_with, context, page_errors)
    await form.get_by_role("button", name="Annuleren").click()
    await expect(form).to_be_hidden()
    await page.close()

    page = await open_shop(context, server, page_errors, path="/zadeltas")
    form = page.locator("form.ask")
    await page.locator(".launcher").click()
    await expect(page.locator(".msg.bot")).to_have_count(1)
    await send(page, "Verkopen jullie ook bakfietsen met een regenhoes?")
    await expect(page.locator(".msg.bot")).to_have_count(2)
    await expect(page.locator(".msg.bot").last.locator("button.offer-leave")).to_be_visible()
    await expect(form).to_be_hidden()
    await send(page, "Kan ik een medewerker spreken?")
    await expect(page.locator(".msg.bot").last).to_contain_text("niemand van ons team")
    await expect(form).to_be_visible()
    assert page_errors == []


async def test_the_header_follows_agents_coming_online_and_going_away(
    server: ServerProcess, shop_page: ShopPage, page_errors: list[str]
) -> None:
    """A shopper chatting with the bot sees at once when an agent comes online (the header
    stops saying nobody is there, the form the bot opened gives way to "talk to a person")
    and when the last one goes away again (leaving a question is offered instead)."""
    page = await shop_page()
    await page.locator(".launcher").click()
    await send(page, "Hoe lang duurt de levering?")
    await expect(page.locator(".msg.bot")).to_have_count(1)
    state, detail = page.locator(".state"), page.locator(".detail")
    await expect(state).to_have_text("Onze assistent antwoordt")
    await expect(detail).to_have_text("Er is nu niemand online")
    person, leave = page.locator("button.person"), page.locator("button.leave-offer")
    await expect(leave).to_be_visible()
    await expect(person).to_be_hidden()
    await send(page, "qwxz vlorp brnk")  # the bot does not know: it opens the form
    form = page.locator("form.ask")
    await expect(form).to_be_visible()
    token = await login(server.url, "anna", PASSWORD)
    async with agent(server.url, token) as (desk, _):
        await expect(state).to_have_text(
            "Onze assistent antwoordt; je kunt ook met een medewerker praten"
        )
        await expect(detail).to_have_text("")
        await expect(form).to_be_hidden()
        await expect(person).to_be_visible()
        await expect(leave).to_be_hidden()
        await screenshot(page, "widget-agent-came-online")
        assert (await call(desk, "/agent", "status", {"status": "away"}))["ok"]
        await expect(state).to_have_text("Onze assistent antwoordt")
        await expect(detail).to_have_text("Er is nu niemand online")
        await expect(leave).to_be_visible()
    assert page_errors == []


async def test_the_offers_to_leave_a_question_go_once_an_agent_has_the_chat(
    server: ServerProcess, shop_page: ShopPage, page_errors: list[str]
) -> None:
    """The bot's "leave your question" buttons are done with once an agent has the chat:
    they go from its earlier replies, and do not come back on the shop's next page."""
    page = await shop_page()
    await page.locator(".launcher").click()
    await send(page, "qwxz vlorp brnk")  # the bot does not know: it offers the form
    await expect(page.locator(".msg.bot button.offer-leave")).to_have_count(1)
    token = await login(server.url, "anna", PASSWORD)
    async with agent(server.url, token):
        await page.locator("button.person").click()
        await expect(page.locator(".state")).to_have_text("anna helpt je")
        await expect(page.locator("button.offer-leave")).to_have_count(0)
        next_page = await shop_page()
        await next_page.locator(".launcher").click()
        await expect(next_page.locator(".state")).to_have_text("anna helpt je")
        await expect(next_page.locator(".msg.bot")).to_have_count(1)
        await expect(next_page.locator("button.offer-leave")).to_have_count(0)
    assert page_errors == []


async def test_the_form_the_bot_offers_leaves_a_typing_shopper_the_keyboard(
    server: ServerProcess, context: BrowserContext, shop_page: ShopPage, page_errors: list[str]
) -> None:
    """A shopper who goes on typing while the bot's "I don't know, leave your question"
    comes in keeps every key in the composer: the form opens beside it without taking the
    keyboard (the keys used to go on in the form's field)."""

    def route(ws: WebSocketRoute) -> None:
        # The real server, with the bot's answers a second late: the shopper types on.
        server_side = ws.connect_to_server()
        loop = asyncio.get_running_loop()

        def to_page(message: str | bytes) -> None:
            if isinstance(message, str) and '"author":"bot"' in message:
                loop.call_later(1.0, ws.send, message)
            else:
                ws.send(message)

        server_side.on_message(to_page)

    await context.route_web_socket(re.compile(r".*/socket\.io/.*"), route)
    page = await shop_page()
    await page.locator(".launcher").click()
    composer = page.locator("#loket-input")
    await send(page, "Qwertyuiop zxcvbnm?")  # nothing in the FAQ: the bot offers the form
    await expect(composer).to_be_focused()
    await page.keyboard.type("Of anders een kano misschien?", delay=60)  # while it answers
    await expect(page.locator("form.ask")).to_be_visible()
    await expect(composer).to_have_value("Of anders een kano misschien?")
    await expect(composer).to_be_focused()
    assert "kano" not in await page.locator("#loket-ask-text").input_value()
    assert page_errors == []


async def test_the_offered_form_closes_when_the_chat_goes_on_unless_it_was_started(
    server_with: ServerWith, context: BrowserContext, page_errors: list[str]
) -> None:
    """The form the bot opens after "I don't know" closes again when the shopper asks
    something else and the bot answers it, so the answer is seen; a form the shopper has
    started on (a contact typed in) stays open."""
    _, page, form = await offered_the_form(server_with, context, page_errors)
    await send(page, "Hoe lang duurt de levering?")
    answer = page.locator(".msg.bot").nth(1)
    await expect(answer.locator("button.helpful")).to_be_visible()
    await expect(form).to_be_hidden()
    await expect(answer.locator(".bubble")).to_be_in_viewport()
    # The first message still offers the form, with the question it was about.
    await page.locator(".msg.bot").first.locator("button.offer-leave").click()
    await expect(page.get_by_label("Je vraag", exact=True)).to_have_value(
        "Kunnen jullie de fietstas ook in het rood leveren?"
    )
    await page.get_by_label("E-mailadres").fill("sanne@example.com")
    await send(page, "Wat kost de verzending?")
    await expect(page.locator(".msg.bot")).to_have_count(3)
    await expect(form).to_be_visible()
    await expect(page.get_by_label("E-mailadres")).to_have_value("sanne@example.com")
    # Their own words in it, put away and taken out again: still theirs, kept open.
    await page.get_by_label("E-mailadres").fill("")
    own_words = "Hebben jullie de fietstas ook in rood?"
    await page.get_by_label("Je vraag", exact=True).fill(own_words)
    await form.get_by_role("button", name="Annuleren").click()
    await expect(form).to_be_hidden()
    await page.locator(".msg.bot").first.locator("button.offer-leave").click()
    await send(page, "Hoe lang duurt de levering?")
    await expect(page.locator(".msg.bot")).to_have_count(4)
    await expect(form).to_be_visible()
    await expect(page.get_by_label("Je vraag", exact=True)).to_have_value(own_words)
    assert page_errors == []


async def test_an_open_form_takes_the_newer_question_and_refuses_a_long_one_itself(
    server_with: ServerWith, context: BrowserContext, page_errors: list[str]
) -> None:
    """The form the bot opened holds the question it could not answer; asked another it
    cannot answer, the form holds that one; put away untouched, it stays closed after the
    next "I don't know" (the reply's button opens it with that question). A question
    longer than a message may be is refused by the form in the shopper's words, with no
    failed message in the chat; a phone number copied with direction marks around it is
    taken."""
    server = server_with(OFF_HOURS)
    page = await open_shop(context, server, page_errors)
    await page.locator(".launcher").click()
    question = page.get_by_label("Je vraag", exact=True)
    await send(page, "Kunnen jullie de fietstas ook in het rood leveren?")
    await expect(question).to_have_value("Kunnen jullie de fietstas ook in het rood leveren?")
    await send(page, "Verkopen jullie ook bakfietsen met een regenhoes?")
    await expect(page.locator(".msg.bot")).to_have_count(2)
    await expect(question).to_have_value("Verkopen jullie ook bakfietsen met een regenhoes?")
    # Put away as it was (not wanted now), it no longer opens by itself over the
    # conversation: the next "I don't know" offers it with its button, which opens it
    # holding that newer question.
    await page.get_by_role("button", name="Annuleren").click()
    await send(page, "Kan ik bij jullie een fietsenrek huren?")
    await expect(page.locator(".msg.bot")).to_have_count(3)
    await expect(page.locator("form.ask")).to_be_hidden()
    await expect(page.locator(".msg.bot").last.locator(".bubble")).to_be_in_viewport()
    await page.locator(".msg.bot").last.locator("button.offer-leave").click()
    await expect(question).to_have_value("Kan ik bij jullie een fietsenrek huren?")

    await question.fill("Waarom " * 300)
    await page.get_by_label("Telefoonnummer").fill("\u202a+31 6 12345678\u202c")
    await page.get_by_role("button", name="Vraag versturen").click()
    await expect(page.locator("#loket-ask-error")).to_have_text(
        "Je bericht is te lang: 2099 tekens, maximaal 2000."
    )
    await expect(own(page)).to_have_count(3)
    await question.fill("Bel me over een rode fietstas")
    await page.get_by_role("button", name="Vraag versturen").click()
    await expect(page.locator("form.ask")).to_be_hidden()
    await expect(own(page).last).to_contain_text("Bel me over een rode fietstas")
    await expect(page.locator(".msg.failed")).to_have_count(0)
    # The phone number stays filled in for a next question, which the form then holds.
    answers = await page.locator(".msg.bot").count()
    await send(page, "Verkopen jullie ook fietsbellen met een klok?")
    await expect(page.locator(".msg.bot")).to_have_count(answers + 1)
    await page.locator(".msg.bot").last.locator("button.offer-leave").click()
    await expect(question).to_have_value("Verkopen jullie ook fietsbellen met een klok?")
    await expect(page.get_by_label("Telefoonnummer")).to_have_value("+31 6 12345678")
    # Emptied and put away, the button under the header brings that question back too.
    await question.fill("")
    await page.get_by_role("button", name="Annuleren").click()
    await page.locator("button.leave-offer").click()
    await expect(question).to_have_value("Verkopen jullie ook fietsbellen met een klok?")
    assert page_errors == []


async def test_the_question_the_bot_did_not_know_is_left_once(
    server_with: ServerWith, context: BrowserContext, page_errors: list[str]
) -> None:
    """The form opens holding the question the bot could not answer; left as it is, the
    conversation shows that question once, sent, not a second copy (nor one stuck sending).
    The next question the bot cannot answer offers the form without opening it."""
    server = server_with(OFF_HOURS)
    page = await open_shop(context, server, page_errors)
    await page.locator(".launcher").click()
    question = "Kunnen jullie de fietstas ook in het rood leveren?"
    await send(page, question)
    form = page.locator("form.ask")
    await expect(form).to_be_visible()
    await expect(page.get_by_label("Je vraag", exact=True)).to_have_value(question)
    await page.get_by_label("Telefoonnummer").fill("0612345678")
    await page.get_by_role("button", name="Vraag versturen").click()
    await expect(form).to_be_hidden()
    await expect(page.locator(".msg.system")).to_have_count(1)
    await expect(own(page)).to_have_count(1)
    await expect(own(page).locator(".bubble")).to_have_text(question)
    await expect(own(page)).to_have_attribute("data-status", "sent")
    # The offer in the bot's reply is done with; the bar still offers it for another
    # question (nobody can come), once, also after a reload.
    await expect(page.locator("button.offer-leave")).to_have_count(0)
    await expect(page.locator("button.leave-offer")).to_be_visible()
    await page.reload()
    await expect(page.locator(".msg.system")).to_have_count(1)
    await expect(page.locator("button.offer-leave")).to_have_count(0)

    # Another question the bot cannot answer: it says the first one waits, and offers the
    # form with a button rather than opening it over the conversation again.
    await send(page, "Kan ik de fietstas ook laten graveren?")
    unknown = page.locator(".msg.bot").last
    await expect(unknown.locator(".bubble")).to_contain_text("eerdere vraag ligt al klaar")
    await expect(unknown.locator("button.offer-leave")).to_be_visible()
    await expect(form).to_be_hidden()
    await unknown.locator("button.offer-leave").click()
    await expect(form).to_be_visible()
    await expect(page.get_by_label("Je vraag", exact=True)).to_have_value(
        "Kan ik de fietstas ook laten graveren?"
    )
    assert page_errors == []


async def test_a_message_asking_two_things_shows_an_answer_to_each_and_what_is_left(
    server_with: ServerWith, context: BrowserContext, page_errors: list[str]
) -> None:
    """Two questions the FAQ answers in one message show two answers, each asking whether it
    helped; of two where one is not in the FAQ, the bot names that one and the form opens
    holding it alone."""
    server = server_with(OFF_HOURS)
    page = await open_shop(context, server, page_errors)
    await page.locator(".launcher").click()
    await send(page, "Kan ik met PayPal betalen? En hoe lang duurt de levering?")
    answers = page.locator(".msg.bot").filter(has=page.locator(".feedback"))
    await expect(answers).to_have_count(2)
    await expect(answers.nth(0).locator(".bubble")).to_contain_text("PayPal")
    await expect(answers.nth(1).locator(".bubble")).to_contain_text("werkdag")
    await send(
        page, "Hoe lang duurt de levering? En kunnen jullie de fietstas in het rood leveren?"
    )
    unsure = page.locator(
        ".msg.bot .bubble",
        has_text="Over “kunnen jullie de fietstas in het rood leveren”: dat weet ik",
    )
    await expect(unsure).to_be_visible()
    await expect(answers).to_have_count(3)
    form = page.locator("form.ask")
    await expect(form).to_be_visible()
    question = page.get_by_label("Je vraag", exact=True)
    await expect(question).to_have_value("kunnen jullie de fietstas in het rood leveren?")
    await screenshot(page, "widget-two-questions")
    assert page_errors == []
