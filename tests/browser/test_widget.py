"""The shopper widget in Chromium, embedded in a shop page of another origin."""

from __future__ import annotations

import asyncio
import gzip
import hashlib
import hmac
import re
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from playwright.async_api import Browser, BrowserContext, Page, WebSocketRoute, expect

from tests.browser.conftest import ServerWith, ShopPage, open_shop
from tests.browser.helpers import PASSWORD, screenshot
from tests.support import ROOT, ServerProcess, agent, call, login, new_client_id, run_loket

pytestmark = pytest.mark.browser

WIDGET_JS = ROOT / "server" / "loket" / "static" / "widget.js"
# As in tests/support.write_config.
SHOP_SECRET = "shop-secret-0123456789abcdef"


async def send(page: Page, text: str) -> None:
    box = page.locator("#loket-input")
    await box.fill(text)
    await box.press("Enter")


def own(page: Page) -> Any:
    return page.locator(".msg.own")


async def test_shopper_and_agent_exchange_messages(
    server: ServerProcess, shop_page: ShopPage, page_errors: list[str]
) -> None:
    """A shopper writes in the widget, an agent takes and answers, and each sees the other."""
    token = await login(server.url, "anna", PASSWORD)
    async with agent(server.url, token) as (client, inbox):
        page = await shop_page()
        await page.locator(".launcher").click()
        await expect(page.locator("#loket-input")).to_be_focused()
        await send(page, "Waar blijft mijn pakket?")

        asked = await inbox.wait_for("message", lambda m: m["text"] == "Waar blijft mijn pakket?")
        conversation_id = asked["conversation_id"]
        await expect(own(page)).to_have_attribute("data-status", "sent")
        # The only agent online has room: the conversation goes to her at once.
        await expect(page.locator(".state")).to_have_text("anna helpt je")
        await expect(page.locator("button.person")).to_be_hidden()
        taken = await call(client, "/agent", "take", {"conversation_id": conversation_id})
        assert taken["ok"], taken

        await call(client, "/agent", "typing", {"conversation_id": conversation_id, "typing": True})
        await expect(page.locator(".typing")).to_have_text("anna typt…")

        reply = "Hij komt morgen. Volg hem op https://example.com/track?id=5."
        sent = await call(
            client,
            "/agent",
            "message",
            {"conversation_id": conversation_id, "client_id": new_client_id(), "text": reply},
        )
        assert sent["ok"], sent
        await expect(page.locator(".msg.agent .bubble")).to_have_text(reply)
        await expect(page.locator(".typing")).to_be_hidden()
        link = page.locator(".msg.agent .bubble a")
        await expect(link).to_have_attribute("href", "https://example.com/track?id=5")
        await expect(link).to_have_attribute("rel", "noopener noreferrer")
        await expect(link).to_have_attribute("target", "_blank")

        # The panel is open, so the shopper has seen the reply, and the agent is told.
        reply_seq = sent["message"]["seq"]
        await inbox.wait_for("read", lambda r: r["by"] == "shopper" and r["seq"] >= reply_seq)

        await call(client, "/agent", "read", {"conversation_id": conversation_id, "seq": reply_seq})
        await expect(own(page)).to_have_attribute("data-status", "read")
        await screenshot(page, "widget-conversation")

        # Closed panel: a new answer shows as an unread badge on the launcher.
        await page.locator(".close").click()
        await call(
            client,
            "/agent",
            "message",
            {"conversation_id": conversation_id, "client_id": new_client_id(), "text": "Nog iets?"},
        )
        await expect(page.locator(".badge")).to_have_text("1")
        await screenshot(page, "widget-unread-badge")
        await page.locator(".launcher").click()
        await expect(page.locator(".badge")).to_be_hidden()
    assert page_errors == []


async def test_an_agent_typing_who_hands_the_chat_on_stops_showing(
    server: ServerProcess, shop_page: ShopPage, page_errors: list[str]
) -> None:
    """The agent was typing and then handed the conversation back to the queue: the
    shopper no longer sees them typing (not for the seconds a lost "stopped" would last)."""
    token = await login(server.url, "anna", PASSWORD)
    async with agent(server.url, token) as (client, inbox):
        page = await shop_page()
        await page.locator(".launcher").click()
        await send(page, "Waar blijft mijn pakket?")
        asked = await inbox.wait_for("message", lambda m: m["text"] == "Waar blijft mijn pakket?")
        ref = {"conversation_id": asked["conversation_id"]}
        await expect(page.locator(".state")).to_have_text("anna helpt je")
        await call(client, "/agent", "typing", {**ref, "typing": True})
        await expect(page.locator(".typing")).to_have_text("anna typt…")
        await call(client, "/agent", "status", {"status": "away"})
        handed = await call(client, "/agent", "transfer", {**ref, "to_agent_id": None})
        assert handed["ok"], handed
        await expect(page.locator(".typing")).to_be_hidden(timeout=3000)
    assert page_errors == []


async def test_a_tab_opened_before_the_first_chat_follows_it_without_a_reload(
    server: ServerProcess, shop_page: ShopPage, page_errors: list[str]
) -> None:
    """A first-time visitor has two tabs of the shop open and starts a chat in one: the
    other, not connected while its visitor was new, follows the chat from then on (an
    answer shows on its launcher's badge, and its panel holds the conversation)."""
    token = await login(server.url, "anna", PASSWORD)
    async with agent(server.url, token) as (client, inbox):
        other = await shop_page()
        await expect(other.locator(".launcher")).to_be_visible()
        page = await shop_page(path="/fietstas/rood")
        await page.locator(".launcher").click()
        await send(page, "Is deze ook in het rood?")
        asked = await inbox.wait_for("message", lambda m: m["author"] == "shopper")
        await expect(own(page)).to_have_attribute("data-status", "sent")
        # The line naming the agent, written after the message's commit, is here too.
        await expect(page.locator(".msg.system")).to_have_count(1)
        await page.locator(".close").click()
        reply = "Ja, vanaf volgende week."
        sent = await call(
            client,
            "/agent",
            "message",
            {
                "conversation_id": asked["conversation_id"],
                "client_id": new_client_id(),
                "text": reply,
            },
        )
        assert sent["ok"], sent
        # The answer, and the agent's line unless the first tab's read reached this one first.
        await expect(other.locator(".badge")).to_have_text(re.compile(r"^[12]$"))
        await other.locator(".launcher").click()
        await expect(other.locator(".msg.own .bubble")).to_have_text("Is deze ook in het rood?")
        await expect(other.locator(".msg.agent .bubble")).to_have_text(reply)
    assert page_errors == []


async def test_an_agent_s_new_display_name_shows_above_the_chat_with_their_next_reply(
    server: ServerProcess, shop_page: ShopPage, page_errors: list[str]
) -> None:
    """anna gives herself a display name (`loket agents display-name`) and opens the console
    again: her next reply carries it, and the header above the open chat says it too, not
    only after the shopper comes back."""
    page = await shop_page()
    token = await login(server.url, "anna", PASSWORD)
    async with agent(server.url, token) as (_, inbox):
        await page.locator(".launcher").click()
        await send(page, "Hallo, is daar iemand?")
        asked = await inbox.wait_for("message", lambda m: m["author"] == "shopper")
        await expect(page.locator(".state")).to_have_text("anna helpt je")
    code, _, err = await run_loket(server.config, "agents", "display-name", "anna", "Anna de Vries")
    assert code == 0, err
    token = await login(server.url, "anna", PASSWORD)
    async with agent(server.url, token) as (desk, _):
        reply = {
            "conversation_id": asked["conversation_id"],
            "client_id": new_client_id(),
            "text": "Ja hoor, waarmee kan ik helpen?",
        }
        assert (await call(desk, "/agent", "message", reply))["ok"]
        await expect(page.locator(".msg.agent .meta")).to_contain_text("Anna de Vries")
        await expect(page.locator(".state")).to_have_text("Anna de Vries helpt je")
    assert page_errors == []


async def test_a_shopper_reading_further_up_is_not_pulled_down_by_a_new_message(
    server: ServerProcess, shop_page: ShopPage, page_errors: list[str]
) -> None:
    """A long chat, the shopper scrolled up to read: the agent's next message leaves them
    where they are and a button offers the way down; at the end, new messages follow as
    before, and the shopper's own message always shows."""
    token = await login(server.url, "anna", PASSWORD)
    async with agent(server.url, token) as (client, inbox):
        page = await shop_page()
        await page.locator(".launcher").click()
        await send(page, "Ik heb een lange vraag")
        asked = await inbox.wait_for("message", lambda m: m["text"] == "Ik heb een lange vraag")
        ref = {"conversation_id": asked["conversation_id"]}

        async def say(text: str) -> None:
            sent = await call(
                client, "/agent", "message", {**ref, "client_id": new_client_id(), "text": text}
            )
            assert sent["ok"], sent

        for n in range(25):
            await say(f"Antwoord {n}: " + "een regel tekst " * 6)
        replies = page.locator(".msg.agent")
        await expect(replies).to_have_count(25)
        messages = page.locator(".messages")
        # Scrolled, as a shopper does, and its scroll event handled before the next message.
        scrolled = (
            "list => new Promise(done => { list.onscroll = () => done(); list.scrollTop = 100; })"
        )
        await messages.evaluate(scrolled)
        below = page.locator(".new-below")
        await expect(below).to_be_hidden()
        await say("Nog een antwoord")
        await expect(replies).to_have_count(26)
        await expect(below).to_be_visible()
        assert await messages.evaluate("list => list.scrollTop") == 100
        await screenshot(page, "widget-new-below")
        await below.click()
        await expect(below).to_be_hidden()
        at_end = "list => list.scrollHeight - list.scrollTop - list.clientHeight < 2"
        assert await messages.evaluate(at_end)
        await say("En nog een")
        await expect(replies).to_have_count(27)
        assert await messages.evaluate(at_end)
        await messages.evaluate(scrolled)
        await send(page, "Dank je")
        await expect(own(page)).to_have_count(2)
        assert await messages.evaluate(at_end)
    assert page_errors == []


async def test_reload_keeps_the_history(
    server: ServerProcess, shop_page: ShopPage, page_errors: list[str]
) -> None:
    """After a page reload the conversation comes back from the server, once."""
    page = await shop_page()
    await page.locator(".launcher").click()
    await send(page, "Bewaar dit bericht")
    await expect(own(page)).to_have_attribute("data-status", "sent")

    await page.reload()
    # The panel reopens by itself in the same tab; the history is synced, not doubled.
    await expect(page.locator(".panel")).to_be_visible()
    await expect(own(page)).to_have_count(1)
    await expect(own(page).locator(".bubble")).to_have_text("Bewaar dit bericht")
    await expect(own(page)).to_have_attribute("data-status", "sent")
    await send(page, "En nog een")
    await expect(own(page)).to_have_count(2)
    await expect(own(page).nth(1)).to_have_attribute("data-status", "sent")
    await screenshot(page, "widget-after-reload")
    assert page_errors == []


async def test_the_network_going_and_coming_back_is_noticed_at_once(
    server: ServerProcess, shop_page: ShopPage, context: BrowserContext, page_errors: list[str]
) -> None:
    """The browser tells the widget the network went and came back: the notice shows at
    once, not after a missed heartbeat, and the widget reconnects at once when it is back
    rather than at its next retry (up to five seconds later after a while offline)."""
    page = await shop_page()
    await page.locator(".launcher").click()
    await send(page, "Hallo")
    await expect(own(page)).to_have_attribute("data-status", "sent")
    await context.set_offline(True)
    await expect(page.locator(".conn")).to_have_text(
        "Verbinding verbroken, opnieuw verbinden…", timeout=2_000
    )
    await asyncio.sleep(8)  # long enough for the retries to back off to their longest
    await context.set_offline(False)
    await expect(page.locator(".conn")).to_be_hidden(timeout=1_500)
    await send(page, "Weer terug")
    await expect(own(page).nth(1)).to_have_attribute("data-status", "sent")
    assert page_errors == []


async def test_message_written_offline_is_sent_once(
    server: ServerProcess,
    shop_page: ShopPage,
    context: BrowserContext,
    page_errors: list[str],
) -> None:
    """A message written offline survives a reload and is delivered once when back online."""
    token = await login(server.url, "anna", PASSWORD)
    async with agent(server.url, token) as (_client, inbox):
        page = await shop_page()
        # widget.js from disk, so the page can be reloaded while the network is down.
        await page.route(
            f"{server.url}/widget.js",
            lambda route: route.fulfill(
                status=200, content_type="text/javascript", body=WIDGET_JS.read_bytes()
            ),
        )
        await page.locator(".launcher").click()
        await send(page, "Eerste bericht")
        await expect(own(page)).to_have_attribute("data-status", "sent")

        await context.set_offline(True)
        await expect(page.locator(".conn")).to_have_text("Verbinding verbroken, opnieuw verbinden…")
        text = "Geschreven zonder verbinding"
        await send(page, text)
        await expect(own(page).nth(1)).to_have_attribute("data-status", "sending")
        await screenshot(page, "widget-offline")
        await page.reload()
        await expect(own(page)).to_have_count(1)
        await expect(own(page).locator(".bubble")).to_have_text(text)
        await expect(own(page)).to_have_attribute("data-status", "sending")

        await context.set_offline(False)
        await expect(own(page)).to_have_count(2, timeout=15_000)
        await expect(own(page).nth(1)).to_have_attribute("data-status", "sent")
        await expect(page.locator(".conn")).to_be_hidden()
        await inbox.wait_for("message", lambda m: m["text"] == text)
        assert [m["text"] for m in inbox.of("message")].count(text) == 1
    assert page_errors == []


async def test_a_message_written_offline_in_a_tab_closed_since_is_sent_by_another(
    server: ServerProcess,
    shop_page: ShopPage,
    context: BrowserContext,
    page_errors: list[str],
) -> None:
    """Two tabs of the shop; the network goes; the shopper writes in one and closes it.
    When the network is back the other tab sends the message (once), without a reload,
    and shows it as sent."""
    token = await login(server.url, "anna", PASSWORD)
    async with agent(server.url, token) as (_client, inbox):
        page = await shop_page()
        await page.locator(".launcher").click()
        await send(page, "Eerste bericht")
        await expect(own(page)).to_have_attribute("data-status", "sent")
        other = await shop_page(path="/fietstas/rood")
        await other.locator(".launcher").click()
        await expect(own(other)).to_have_count(1)

        await context.set_offline(True)
        for tab in (page, other):
            await expect(tab.locator(".conn")).to_have_text(
                "Verbinding verbroken, opnieuw verbinden…"
            )
        text = "Geschreven zonder verbinding, tabblad dicht"
        await send(page, text)
        await expect(own(page).nth(1)).to_have_attribute("data-status", "sending")
        await page.close()
        await context.set_offline(False)

        await inbox.wait_for("message", lambda m: m["text"] == text, within=15)
        await expect(own(other)).to_have_count(2)
        await expect(own(other).nth(1).locator(".bubble")).to_have_text(text)
        await expect(own(other).nth(1)).to_have_attribute("data-status", "sent")
        await asyncio.sleep(1)
        assert [m["text"] for m in inbox.of("message")].count(text) == 1
    assert page_errors == []


async def test_when_people_are_back_is_told_on_the_shoppers_clock_too(
    server_with: ServerWith, browser: Browser
) -> None:
    """A shop in Amsterdam, closed today and open tomorrow from 10:00: a shopper whose
    browser is in London is told the shop's time and their own ("10:00 (09:00 your time)"),
    with their own day where their calendar differs (in New York or Tokyo); one in
    Amsterdam the shop's time alone."""
    today = datetime.now(ZoneInfo("Europe/Amsterdam")).date()
    days = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
    weekly = "".join(f'{day} = ["10:00-18:00"]\n' for day in days)
    server = server_with(
        f'[hours]\ntimezone = "Europe/Amsterdam"\n{weekly}closed = ["{today.isoformat()}"]\n'
    )
    opens = datetime.combine(today + timedelta(days=1), time(10, 0), ZoneInfo("Europe/Amsterdam"))

    def told_in(zone: str) -> str:
        """What a shopper in `zone` reads: their own day where their calendar differs."""
        local = opens.astimezone(ZoneInfo(zone))
        days = (local.date() - datetime.now(ZoneInfo(zone)).date()).days
        if days != 1:
            named = "today" if days == 0 else local.strftime("%A")
            return f"Back tomorrow at 10:00 ({named} {local:%H:%M} your time)"
        return f"Back tomorrow at 10:00 ({local:%H:%M} your time)"

    for zone, expected in (
        ("Europe/London", told_in("Europe/London")),
        ("America/New_York", told_in("America/New_York")),
        ("Asia/Tokyo", told_in("Asia/Tokyo")),
        ("Europe/Amsterdam", "Back tomorrow at 10:00"),
    ):
        context = await browser.new_context(locale="en-GB", timezone_id=zone)
        try:
            errors: list[str] = []
            page = await open_shop(context, server, errors, lang="en-GB")
            await page.locator(".launcher").click()
            await expect(page.locator(".detail")).to_have_text(expected)
            if zone == "Europe/London":
                # Loket's line in the chat after a left question says it the same way.
                await page.locator("button.leave-offer").click()
                await page.get_by_label("Your question", exact=True).fill("Is it waterproof?")
                await page.get_by_label("E-mail address").fill("sam@example.com")
                await page.get_by_role("button", name="Send question").click()
                await expect(page.locator(".msg.system .bubble")).to_contain_text(expected)
            assert errors == []
        finally:
            await context.close()
    # On a calendar two days behind the opening (late Saturday in New York for a Monday
    # morning in Amsterdam), the shopper is told the day by name.
    context = await browser.new_context(locale="en-GB", timezone_id="America/New_York")
    try:
        await context.clock.set_fixed_time(opens - timedelta(hours=30))
        errors = []
        page = await open_shop(context, server, errors, lang="en-GB")
        await page.locator(".launcher").click()
        local = opens.astimezone(ZoneInfo("America/New_York"))
        await expect(page.locator(".detail")).to_have_text(
            f"Back tomorrow at 10:00 ({local:%A} {local:%H:%M} your time)"
        )
        assert errors == []
    finally:
        await context.close()


async def test_refused_messages_hold_nothing_back_and_titles_are_cut_whole(
    server: ServerProcess, shop_page: ShopPage, page_errors: list[str]
) -> None:
    """Messages waiting in the outbox that the server refuses for good (a client id an agent
    used, half of an emoji) are shown as not sent and dropped, and the message after them is
    sent; a page title longer than the widget sends is cut before an emoji, not inside it."""
    # 499 letters and an emoji: 501 UTF-16 units, where the widget sends at most 500.
    title = "<script>document.title = 'a'.repeat(499) + '\\u{1F600}';</script>"
    token = await login(server.url, "anna", PASSWORD)
    async with agent(server.url, token) as (client, inbox):
        page = await shop_page(head=title)
        await page.locator(".launcher").click()
        await send(page, "Hoi")
        asked = await inbox.wait_for("message", lambda m: m["text"] == "Hoi")
        ref = {"conversation_id": asked["conversation_id"]}
        synced = await call(client, "/agent", "sync")
        (mine,) = [c for c in synced["conversations"] if c["id"] == ref["conversation_id"]]
        assert mine["page"]["title"] == "a" * 499
        taken = "c-anna-reply-0001"
        reply = await call(client, "/agent", "message", {**ref, "client_id": taken, "text": "Ja?"})
        assert reply["ok"], reply
        await expect(page.locator(".msg.agent .bubble")).to_have_text("Ja?")

        await page.evaluate(
            """(taken) => localStorage.setItem('loket:outbox', JSON.stringify([
                {client_id: taken, text: 'Dubbel', made: 1},
                {client_id: 'c-half-emoji-01', text: 'Half \\ud83d', made: 2},
                {client_id: 'c-after-them-01', text: 'Daarna dit', made: 3}]))""",
            taken,
        )
        await page.reload()
        await inbox.wait_for("message", lambda m: m["text"] == "Daarna dit", within=20)
        failed = page.locator(".msg.own[data-status=failed]")
        await expect(failed).to_have_count(2)
        await expect(failed.filter(has_text="Dubbel")).to_have_count(1)
        after = page.locator(".msg.own", has_text="Daarna dit")
        await expect(after).to_have_attribute("data-status", "sent")
        assert await page.evaluate("localStorage.getItem('loket:outbox')") is None
        opened = (await call(client, "/agent", "open", ref))["messages"]
        texts = [m["text"] for m in opened if m["author"] != "system"]
        assert texts == ["Hoi", "Ja?", "Daarna dit"]
    assert page_errors == []


async def test_the_length_limit_counts_characters_as_the_server_does(
    server: ServerProcess, shop_page: ShopPage, page_errors: list[str]
) -> None:
    """An emoji is one character to the server's limit, though two UTF-16 units: a message of
    1990 emoji is sent, and one of 2001 letters is held back with the reason."""
    token = await login(server.url, "anna", PASSWORD)
    async with agent(server.url, token) as (_client, inbox):
        page = await shop_page()
        await page.locator(".launcher").click()
        await send(page, "Hoi")
        await expect(own(page)).to_have_attribute("data-status", "sent")
        emoji = "\U0001f600" * 1990
        await send(page, emoji)
        await inbox.wait_for("message", lambda m: m["text"] == emoji)
        await send(page, "x" * 2001)
        await expect(page.locator(".notice")).to_have_text(
            "Je bericht is te lang: 2001 tekens, maximaal 2000."
        )
        await expect(own(page)).to_have_count(2)
    assert page_errors == []


async def test_forged_token_is_dropped(
    server: ServerProcess, shop_page: ShopPage, context: BrowserContext, page_errors: list[str]
) -> None:
    """A forged visitor token in storage is refused, dropped, and the chat starts afresh."""
    await context.add_init_script("localStorage.setItem('loket:token', 'forged.token.value')")
    page = await shop_page()
    await page.locator(".launcher").click()
    await send(page, "Hallo")
    await expect(own(page)).to_have_attribute("data-status", "sent")
    stored = await page.evaluate("localStorage.getItem('loket:token')")
    assert stored and stored != "forged.token.value"
    assert page_errors == []


async def test_identified_customer_reaches_the_agent(
    server: ServerProcess, shop_page: ShopPage, page_errors: list[str]
) -> None:
    """A customer vouched for with the shop's HMAC shows up by name for the agent."""
    signature = hmac.new(SHOP_SECRET.encode(), b"12345", hashlib.sha256).hexdigest()
    snippet = f"""<script>
      window.Loket = window.Loket || function () {{ (Loket.q = Loket.q || []).push(arguments); }};
      Loket('identify', {{id: '12345', signature: '{signature}', name: 'Sanne',
                          email: 'sanne@example.nl'}});
    </script>"""
    token = await login(server.url, "anna", PASSWORD)
    async with agent(server.url, token) as (client, _inbox):
        page = await shop_page(before=snippet)
        await page.locator(".launcher").click()
        await send(page, "Waar is mijn bestelling?")
        await expect(own(page)).to_have_attribute("data-status", "sent")
        synced = await call(client, "/agent", "sync", {})
        [conversation] = synced["conversations"]
        assert conversation["shopper"]["name"] == "Sanne"
        assert conversation["shopper"]["customer_id"] == "12345"
    assert page_errors == []


async def test_html_in_messages_stays_text(
    server: ServerProcess, shop_page: ShopPage, page_errors: list[str]
) -> None:
    """Markup from the shopper or an agent is shown as text: no element, no script, no dialog."""
    dialogs: list[str] = []
    attack = '<img src=x onerror="alert(1)"><script>alert(2)</script><b>vet</b>'
    token = await login(server.url, "anna", PASSWORD)
    async with agent(server.url, token) as (client, inbox):
        page = await shop_page()
        page.on("dialog", lambda dialog: dialogs.append(dialog.message))
        await page.locator(".launcher").click()
        await send(page, attack)
        asked = await inbox.wait_for("message", lambda m: m["text"] == attack)
        conversation_id = asked["conversation_id"]
        await call(client, "/agent", "take", {"conversation_id": conversation_id})
        for text in (attack, "javascript:alert(3) en data:text/html,<b>x</b>"):
            ack = await call(
                client,
                "/agent",
                "message",
                {"conversation_id": conversation_id, "client_id": new_client_id(), "text": text},
            )
            assert ack["ok"], ack
        await expect(page.locator(".msg.agent")).to_have_count(2)
        await expect(own(page).locator(".bubble")).to_have_text(attack)
        await expect(page.locator(".msg.agent .bubble").first).to_have_text(attack)
        assert await page.locator(".messages img, .messages script, .messages b").count() == 0
        assert await page.locator(".messages a").count() == 0
        await screenshot(page, "widget-injection-as-text")
    assert dialogs == []
    assert page_errors == []


HOSTILE_CSS = """<style>
  html { font-size: 4px; }
  div { font-size: 2px; color: white; }
  button { display: none; }
  * { box-sizing: content-box; line-height: 0.5; }
  ol, li, textarea, form { display: none; }
  h2, section { visibility: hidden; }
</style>"""


async def test_widget_survives_hostile_shop_css(
    server: ServerProcess, shop_page: ShopPage, page_errors: list[str]
) -> None:
    """Aggressive shop styles do not reach inside the widget: it still looks right and works."""
    page = await shop_page(head=HOSTILE_CSS)
    launcher = page.locator(".launcher")
    await expect(launcher).to_be_visible()
    await launcher.click()
    await expect(page.locator(".panel")).to_be_visible()
    await expect(page.locator("#loket-input")).to_be_visible()
    await send(page, "Werkt dit nog?")
    bubble = own(page).locator(".bubble")
    await expect(bubble).to_be_visible()
    await expect(own(page)).to_have_attribute("data-status", "sent")
    size = await bubble.evaluate("el => getComputedStyle(el).fontSize")
    assert size == "15px"
    box = await launcher.bounding_box()
    assert box is not None and box["width"] == 60
    await screenshot(page, "widget-hostile-css")
    assert page_errors == []


QUEUE_SNIPPET = """<script>
  window.Loket = window.Loket || function () { (Loket.q = Loket.q || []).push(arguments); };
  Loket('locale', 'en');
  Loket('open');
  Loket('fly', 'away');
  Loket('identify', {id: 'x'});
</script>"""


async def test_script_loaded_twice_makes_one_widget(
    server: ServerProcess, shop_page: ShopPage, page_errors: list[str]
) -> None:
    """Two script tags (and a third added later) make one widget, and queued commands run once."""
    warnings: list[str] = []
    page = await shop_page(before=QUEUE_SNIPPET, scripts=2)
    page.on("console", lambda m: warnings.append(m.text) if m.type == "warning" else None)
    await page.add_script_tag(url=f"{server.url}/widget.js")
    await expect(page.locator("loket-chat")).to_have_count(1)
    await expect(page.locator(".panel")).to_be_visible()
    await expect(page.locator(".title")).to_have_text("Chat with us")
    assert await page.evaluate("window.Loket.__loaded") is True

    await page.evaluate("Loket('close')")
    await expect(page.locator(".panel")).to_be_hidden()
    await page.evaluate("Loket('locale', 'nl'); Loket('open')")
    await expect(page.locator(".title")).to_have_text("Chat met ons")
    await page.evaluate("Loket('locale', 'de-AT')")
    await expect(page.locator(".title")).to_have_text("Chatte mit uns")
    await page.evaluate("Loket('locale', 'fr-BE')")
    await expect(page.locator(".title")).to_have_text("Discutez avec nous")
    # Any language code is taken (sent to Loket as it is); the widget's texts are English.
    await page.evaluate("Loket('locale', 'es-ES')")
    await expect(page.locator(".title")).to_have_text("Chat with us")
    # Read as Loket reads it: "nld" is no "nl" (Loket answers it in English too).
    await page.evaluate("Loket('locale', 'de'); Loket('locale', 'nld')")
    await expect(page.locator(".title")).to_have_text("Chat with us")
    await page.evaluate("Loket('nonsense')")
    await page.evaluate("Loket('locale', 'français')")
    assert any("unknown command" in w for w in warnings), warnings
    assert any("locale must be" in w for w in warnings), warnings
    assert page_errors == []


async def test_keyboard_only_send(
    server: ServerProcess, shop_page: ShopPage, page_errors: list[str]
) -> None:
    """Tab to the launcher, Enter opens, Shift+Enter makes a new line, Enter sends, Esc closes."""
    page = await shop_page()
    for _ in range(5):
        await page.keyboard.press("Tab")
        if await page.locator(".launcher").evaluate("el => el.getRootNode().activeElement === el"):
            break
    await expect(page.locator(".launcher")).to_be_focused()
    await page.keyboard.press("Enter")
    await expect(page.locator("#loket-input")).to_be_focused()
    await page.keyboard.type("Eerste regel")
    await page.keyboard.press("Shift+Enter")
    await page.keyboard.type("tweede regel")
    await page.keyboard.press("Enter")
    await expect(own(page).locator(".bubble")).to_have_text("Eerste regel\ntweede regel")
    await expect(own(page)).to_have_attribute("data-status", "sent")
    await expect(page.locator("#loket-input")).to_have_value("")
    await page.keyboard.press("Escape")
    await expect(page.locator(".panel")).to_be_hidden()
    await expect(page.locator(".launcher")).to_be_focused()
    assert page_errors == []


async def test_small_screen_panel_is_full_screen(
    server: ServerProcess, shop_page: ShopPage, page_errors: list[str]
) -> None:
    """Under 480 px wide the open panel fills the screen."""
    page = await shop_page()
    await page.set_viewport_size({"width": 375, "height": 700})
    await page.locator(".launcher").click()
    box = await page.locator(".panel").bounding_box()
    assert box == {"x": 0, "y": 0, "width": 375, "height": 700}
    await screenshot(page, "widget-small-screen")
    assert page_errors == []


def test_widget_bundle_is_small() -> None:
    """widget.js, socket.io-client included, stays within 35 KB gzipped."""
    assert WIDGET_JS.is_file(), "widget.js is not built; run `make bundles`"
    size = len(gzip.compress(WIDGET_JS.read_bytes(), compresslevel=9))
    assert size <= 35 * 1024, f"widget.js is {size} bytes gzipped"


async def test_launcher_says_what_a_click_does(
    server: ServerProcess, shop_page: ShopPage, page_errors: list[str]
) -> None:
    """The launcher is labelled "open" while the panel is closed and "close" while it is open."""
    page = await shop_page()
    launcher = page.locator(".launcher")
    await expect(launcher).to_have_attribute("aria-label", "Chat openen")
    await launcher.click()
    await expect(launcher).to_have_attribute("aria-expanded", "true")
    await expect(launcher).to_have_attribute("aria-label", "Chat sluiten")
    await page.locator(".close").click()
    await expect(launcher).to_have_attribute("aria-expanded", "false")
    await expect(launcher).to_have_attribute("aria-label", "Chat openen")
    assert page_errors == []


async def test_refused_site_shows_it_and_offers_nothing(
    server: ServerProcess, context: BrowserContext, page_errors: list[str]
) -> None:
    """On a site the server does not allow, the widget says so, disables what cannot work,
    and a message waiting from before is shown as not sent instead of sending for ever."""
    page = await open_shop(context, server, page_errors, origin="http://elders.test")
    # A message left in the outbox on an earlier visit.
    await page.evaluate(
        """localStorage.setItem('loket:outbox', JSON.stringify(
            [{client_id: 'c-earlier', text: 'Is dit verstuurd?', made: Date.now()}]))"""
    )
    await page.reload()
    await page.locator("loket-chat .launcher").click()

    await expect(page.locator(".state")).to_have_text("De chat is op deze site niet beschikbaar.")
    await expect(page.locator(".conn")).to_contain_text("andere manier")
    await expect(page.locator("#loket-input")).to_be_disabled()
    await expect(page.locator(".send")).to_be_disabled()
    await expect(page.locator("button.person")).to_be_disabled()
    waiting = own(page)
    await expect(waiting).to_have_attribute("data-status", "failed")
    await expect(waiting).to_contain_text("Niet verstuurd")
    assert await page.evaluate("localStorage.getItem('loket:outbox')") is None
    await screenshot(page, "widget-refused-site")
    assert page_errors == []


async def locale_seen_by_agent(page: Page, client: Any, inbox: Any, text: str) -> str:
    """Send `text` from the widget; the language an agent's console sees for its conversation."""
    await send(page, text)
    asked = await inbox.wait_for("message", lambda m: m["text"] == text)
    synced = await call(client, "/agent", "sync")
    (mine,) = [c for c in synced["conversations"] if c["id"] == asked["conversation_id"]]
    return str(mine["locale"])


async def test_the_page_language_reaches_the_bot(
    server: ServerProcess, shop_page: ShopPage, page_errors: list[str]
) -> None:
    """On a German page the widget speaks German and tells Loket the page's language, which
    the agent sees and the bot searches first."""
    token = await login(server.url, "anna", PASSWORD)
    async with agent(server.url, token) as (client, inbox):
        page = await shop_page(lang="de-DE")
        await page.locator(".launcher").click()
        await expect(page.locator(".title")).to_have_text("Chatte mit uns")
        await expect(page.locator("#loket-input")).to_have_attribute(
            "placeholder", "Schreib deine Nachricht…"
        )
        assert await locale_seen_by_agent(page, client, inbox, "Wo bleibt mein Paket?") == "de-DE"
    assert page_errors == []


async def test_a_shop_that_says_sie_says_it_in_the_widget_and_the_bot(
    server_with: ServerWith, context: BrowserContext, page_errors: list[str]
) -> None:
    """With `widget.formal = ["de"]` a German page's widget and the bot say "Sie", also
    from the first moment of the next page (before Loket answers); a Dutch page keeps
    "je"."""
    server = server_with('[widget]\nformal = ["de"]\n')
    page = await open_shop(context, server, page_errors, lang="de-DE")
    await page.locator(".launcher").click()
    await expect(page.locator(".title")).to_have_text("Chatten Sie mit uns")
    await expect(page.locator("#loket-input")).to_have_attribute(
        "placeholder", "Schreiben Sie Ihre Nachricht…"
    )
    box = page.locator("#loket-input")
    await box.fill("Hallo!")
    await box.press("Enter")
    await expect(page.locator(".msg.bot .bubble")).to_have_text("Hallo! Wie kann ich Ihnen helfen?")
    await screenshot(page, "widget-formal-german")
    # The next page, with Loket slow to answer: "Sie" from the start.
    await page.route("**/socket.io/**", lambda route: route.abort())
    await page.reload()
    await page.locator("loket-chat .launcher").click()
    await expect(page.locator(".title")).to_have_text("Chatten Sie mit uns")
    dutch = await open_shop(context, server, page_errors, path="/andere", lang="nl")
    await dutch.locator(".launcher").click()
    await expect(dutch.locator("#loket-input")).to_have_attribute("placeholder", "Typ je bericht…")
    assert page_errors == []


async def test_a_page_in_another_language_gets_english_like_lokets_own_texts(
    server: ServerProcess, shop_page: ShopPage, page_errors: list[str]
) -> None:
    """On a Spanish page in a Dutch browser, Loket is told "es" (for the shop's Spanish FAQ
    files) and speaks English for it, so the widget's own texts are English too, not the
    browser's Dutch."""
    token = await login(server.url, "anna", PASSWORD)
    async with agent(server.url, token) as (client, inbox):
        page = await shop_page(lang="es")
        assert await page.evaluate("navigator.language") == "nl-NL"
        await page.locator(".launcher").click()
        await expect(page.locator(".title")).to_have_text("Chat with us")
        assert await locale_seen_by_agent(page, client, inbox, "¿Dónde está mi paquete?") == "es"
    assert page_errors == []


async def test_a_french_page_gets_french_from_the_widget_and_the_bot(
    server: ServerProcess, shop_page: ShopPage, page_errors: list[str]
) -> None:
    """On a Belgian French page the widget and the bot speak French, and asking for a
    person in French is asking for a person."""
    page = await shop_page(lang="fr-BE")
    await page.locator(".launcher").click()
    await expect(page.locator(".title")).to_have_text("Discutez avec nous")
    await expect(page.locator("#loket-input")).to_have_attribute(
        "placeholder", "Écrivez votre message…"
    )
    await send(page, "Bonjour")
    await expect(page.locator(".msg.bot").last).to_contain_text("Comment puis-je vous aider")
    await send(page, "je voudrais parler à quelqu'un")
    # Nobody is online: the bot says so in French and offers the form, no "not sure".
    await expect(page.locator(".msg.bot").last).to_contain_text("Personne de notre équipe")
    assert page_errors == []


async def test_an_english_page_in_a_dutch_browser_shows_the_browsers_clock(
    server: ServerProcess, shop_page: ShopPage, page_errors: list[str]
) -> None:
    """Times follow the browser's own conventions: an English page read in a Dutch browser
    says 21:05, not 09:05 PM."""
    page = await shop_page(lang="en")
    await page.locator(".launcher").click()
    await page.locator("#loket-input").fill("Where is my parcel?")
    await page.locator("#loket-input").press("Enter")
    await expect(page.locator(".msg.own .meta").first).to_have_text(
        re.compile(r"^[0-2]\d:[0-5]\d\b(?!.*[AP]M)")
    )
    assert page_errors == []


async def test_messages_sent_while_the_first_sync_is_under_way_stay_shown(
    server: ServerProcess, context: BrowserContext, shop_page: ShopPage, page_errors: list[str]
) -> None:
    """A shopper who writes again at once, while the widget's first sync is still on its way:
    the conversation their messages made is the one the sync returns, so nothing shown is
    taken off the screen when its answer comes, also a message stored after the server
    answered the sync. (Their messages are stored either way; they went missing from view
    until a reload.)"""
    loop = asyncio.get_running_loop()
    syncs: set[str] = set()

    def route(ws: WebSocketRoute) -> None:
        # The real server, with the sync slowed down both ways.
        server_side = ws.connect_to_server()

        def to_server(message: str | bytes) -> None:
            found = (
                re.match(r'42/shopper,(\d+)\["sync"', message) if isinstance(message, str) else None
            )
            if found:
                syncs.add(found.group(1))
                loop.call_later(0.5, server_side.send, message)
            else:
                server_side.send(message)

        def to_page(message: str | bytes) -> None:
            found = re.match(r"43/shopper,(\d+)\[", message) if isinstance(message, str) else None
            if found and found.group(1) in syncs:
                loop.call_later(1.5, ws.send, message)
            else:
                ws.send(message)

        ws.on_message(to_server)
        server_side.on_message(to_page)

    await context.route_web_socket(re.compile(r".*/socket\.io/.*"), route)
    page = await shop_page()
    await page.locator(".launcher").click()
    await send(page, "Eerste vraag")  # connects; the sync goes out
    await asyncio.sleep(0.3)
    await send(page, "Tweede vraag")  # both go out while the sync is on its way
    await asyncio.sleep(1.0)  # the server has answered the sync; the answer is on its way
    await send(page, "Derde vraag")
    await asyncio.sleep(2.0)  # and has arrived
    bubbles = page.locator(".msg.own .bubble")
    await expect(bubbles).to_have_count(3)
    await expect(bubbles.nth(2)).to_contain_text("Derde vraag")
    assert syncs, "the widget's sync was not seen"
    assert page_errors == []


async def test_a_message_being_written_survives_a_reload_and_the_next_page(
    server: ServerProcess, shop_page: ShopPage, page_errors: list[str]
) -> None:
    """What the shopper was typing is in the message box again after a reload (and on the
    shop's next page, in the same tab); once sent, it is not."""
    page = await shop_page()
    await page.locator(".launcher").click()
    box = page.locator("#loket-input")
    await box.fill("Hebben jullie deze tas ook in het")
    await page.reload()
    await expect(box).to_have_value("Hebben jullie deze tas ook in het")
    await box.press("End")
    await box.type(" blauw?")
    await box.press("Enter")
    await expect(page.locator(".msg.own")).to_have_count(1)
    await page.reload()
    await expect(page.locator(".msg.own")).to_have_count(1)
    await expect(box).to_have_value("")
    assert page_errors == []
