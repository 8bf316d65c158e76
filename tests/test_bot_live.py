"""The bot in a running server: answers, suggestions, honest don't-knows, FAQ reloads."""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import socketio

from loket.conversations import unanswered
from loket.store import MessageRecord
from tests.conftest import AGENT_PASSWORD
from tests.inprocess import running
from tests.support import (
    ROOT,
    ServerProcess,
    agent,
    call,
    login,
    new_client_id,
    run_loket,
    shopper,
    write_config,
)


async def _ask(url: str, text: str, locale: str = "nl") -> dict:  # type: ignore[type-arg]
    async with shopper(url, auth={"locale": locale}) as (widget, inbox):
        await call(widget, "/shopper", "message", {"client_id": new_client_id(), "text": text})
        return await inbox.wait_for("message", lambda m: m["author"] == "bot")  # type: ignore[no-any-return]


async def test_bot_answers_a_faq_question_when_nobody_is_online(server: ServerProcess) -> None:
    """With no agent online the bot answers a question the FAQ covers, offering feedback."""
    reply = await _ask(server.url, "Hoe lang duurt de levering?")
    assert reply["meta"]["kind"] == "answer"
    assert reply["meta"]["feedback"] is True and reply["meta"]["question_seq"] == 1
    assert reply["text"]


async def test_bot_says_honestly_when_it_does_not_know(server: ServerProcess) -> None:
    """Gibberish gets an honest "I don't know" with the offer to leave a question."""
    reply = await _ask(server.url, "qwxz vlorp brnk", locale="en")
    assert reply["meta"]["kind"] == "unknown"
    assert reply["meta"]["offer"] == "leave_question"
    assert "not sure" in reply["text"]


async def test_healthz_reports_the_faq(server: ServerProcess) -> None:
    """/healthz includes the FAQ: how many entries are live and any file errors."""
    async with aiohttp.ClientSession() as http, http.get(f"{server.url}/healthz") as response:
        body = await response.json()
    assert body["checks"]["faq"]["entries"] >= 80
    assert body["checks"]["faq"]["errors"] == []


def _encoder_children(pid: int) -> list[int]:
    """The server's child processes running the sentence encoder."""
    found = []
    for task in os.listdir(f"/proc/{pid}/task"):
        for child in Path(f"/proc/{pid}/task/{task}/children").read_text().split():
            if b"loket.bot.encoder_process" in Path(f"/proc/{child}/cmdline").read_bytes():
                found.append(int(child))
    return found


def _ended(pid: int, seconds: float = 10.0) -> bool:
    """Whether `pid` exits within `seconds` (a zombie nobody reaps counts as ended)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except FileNotFoundError:
            return True
        if stat[stat.rindex(")") + 2] in "ZX":
            return True
        time.sleep(0.05)
    return False


@pytest.mark.parametrize("how", ["stop", "crash"])
async def test_the_encoder_runs_beside_the_server_and_ends_with_it(
    config_path: Path, how: str
) -> None:
    """`loket serve` encodes questions in one child process, which ends when the server
    stops and when it crashes (SIGKILL: no cleanup)."""
    server = ServerProcess(config_path)
    server.start()
    try:
        assert server.process is not None
        (child,) = _encoder_children(server.process.pid)
        reply = await _ask(server.url, "Hoe lang duurt de levering?")
        assert reply["meta"]["kind"] == "answer"
        assert _encoder_children(server.process.pid) == [child]
        async with aiohttp.ClientSession() as http, http.get(f"{server.url}/healthz") as got:
            meaning = (await got.json())["checks"]["faq"]["meaning"]
        assert meaning == {
            "on": True,
            "encoder_process": child,
            "encoder_processes_started": 1,
            "words_alone_for_cpu_share": 0,
        }
    finally:
        if how == "crash":
            server.kill()
        else:
            server.stop()
    assert _ended(child)


GERMAN_FAQ = """
language: de
topic: versand
entries:
  - id: versandkosten
    questions:
      - "Was kostet der Versand?"
      - "Wie hoch sind die Versandkosten?"
    answer: "Ab 30 Euro versenden wir kostenlos, darunter kostet der Versand 3,90 Euro."
    tags: [Versandkosten]
  - id: lieferzeit
    questions:
      - "Wie lange dauert die Lieferung?"
      - "Wann kommt mein Paket an?"
    answer: "Die Lieferung dauert zwei bis drei Werktage."
"""


@pytest.fixture
def german_shop(config_path: Path, tmp_path: Path) -> Path:
    """The demo shop's FAQ files and one in German (a language the server has no texts in)."""
    faq = tmp_path / "faq"
    faq.mkdir()
    for source in ROOT.joinpath("faq").glob("*.yaml"):
        faq.joinpath(source.name).write_bytes(source.read_bytes())
    faq.joinpath("versand.de.yaml").write_text(GERMAN_FAQ, encoding="utf-8")
    text = config_path.read_text(encoding="utf-8")
    config_path.write_text(
        text.replace(f'faq_dir = "{ROOT / "faq"}"', f'faq_dir = "{faq}"'), encoding="utf-8"
    )
    return config_path


async def test_any_browser_language_is_accepted_and_guides_the_bot(german_shop: Path) -> None:
    """A locale is any language tag a browser sends: "de-DE" makes a one-word German
    question find the German entry and gets German texts, "en-GB" English ones, "nl-BE"
    Dutch ones, another language English; a locale that is no language tag is refused."""
    server = ServerProcess(german_shop)
    server.start()
    try:
        german = await _ask(server.url, "Versandkosten?", locale="de-DE")
        assert german["meta"].get("entry_id") == "versandkosten", german
        english = await _ask(server.url, "qwxz vlorp brnk", locale="en-GB")
        assert "not sure" in english["text"]
        dutch = await _ask(server.url, "qwxz vlorp brnk", locale="nl_BE")
        assert "weet ik helaas niet" in dutch["text"], dutch
        unknown = await _ask(server.url, "qwxz vlorp brnk", locale="de-AT")
        assert "leider nicht sicher" in unknown["text"], unknown
        hello = await _ask(server.url, "Guten Tag!", locale="de")
        assert hello["text"] == "Hallo! Wie kann ich dir helfen?", hello
        french = await _ask(server.url, "qwxz vlorp brnk", locale="fr-BE")
        assert "n'en suis malheureusement pas sûr" in french["text"], french
        spanish = await _ask(server.url, "qwxz vlorp brnk", locale="es")
        assert "not sure" in spanish["text"], spanish
        refused = socketio.AsyncClient(reconnection=False)
        with pytest.raises(socketio.exceptions.ConnectionError):
            await refused.connect(
                server.url,
                namespaces=["/shopper"],
                transports=["websocket"],
                auth={"locale": "<script>"},
                headers={"Origin": "http://shop.test"},
            )
    finally:
        server.stop()


async def test_small_talk_is_answered_in_kind_and_not_counted_as_missed(
    server: ServerProcess, config_path: Path
) -> None:
    """ "Hoi" and "thanks!" get a greeting and a you're-welcome, "bist du ein bot?" that it
    is the shop's assistant, not an "I don't know", and none appear among the questions
    the bot missed; a real question still does."""
    hello = await _ask(server.url, "Hoi!")
    assert hello["meta"]["kind"] == "small_talk" and hello["text"].startswith("Hallo!")
    thanks = await _ask(server.url, "thanks!", locale="en")
    assert thanks["meta"]["talk"] == "thanks" and "welcome" in thanks["text"]
    bot = await _ask(server.url, "bist du ein bot?", locale="de")
    assert bot["meta"]["talk"] == "bot" and "digitale Assistent" in bot["text"]
    missed = await _ask(server.url, "qwxz vlorp brnk")
    assert missed["meta"]["kind"] == "unknown"
    code, listed, _ = await run_loket(config_path, "faq", "misses")
    assert code == 0 and "qwxz" in listed
    assert "Hoi" not in listed and "thanks" not in listed and "bot" not in listed


async def test_feedback_is_asked_for_once_also_after_a_reload(server: ServerProcess) -> None:
    """A bot answer the shopper rated no longer asks for feedback when the chat is loaded
    again (a reload, another tab); an answer not rated still does."""
    async with shopper(server.url, auth={"locale": "nl"}) as (widget, inbox):
        token = (await call(widget, "/shopper", "sync"))["token"]
        answers = []
        for text in ("Hoe lang duurt de levering?", "Kan ik mijn bestelling retourneren?"):
            sent = await call(
                widget, "/shopper", "message", {"client_id": new_client_id(), "text": text}
            )
            asked = sent["message"]["seq"]
            answers.append(
                await inbox.wait_for(
                    "message",
                    lambda m, asked=asked: (
                        m["author"] == "bot" and m["meta"].get("question_seq") == asked
                    ),
                )
            )
        assert all(a["meta"]["feedback"] for a in answers)
        rated, unrated = (a["seq"] for a in answers)
        await call(widget, "/shopper", "feedback", {"seq": rated, "helpful": True})
    async with shopper(server.url, auth={"token": token}) as (again, _):
        synced = await call(again, "/shopper", "sync")
    by_seq = {m["seq"]: m for m in synced["messages"]}
    assert by_seq[rated]["meta"]["feedback"] is False and by_seq[rated]["meta"]["helpful"] is True
    assert by_seq[unrated]["meta"]["feedback"] is True


async def test_a_broken_faq_file_makes_the_server_degraded_not_failing(
    german_shop: Path,
) -> None:
    """With a broken FAQ file /healthz says "degraded" (200) and lists the error, while the
    file's last good version goes on answering; fixed, it is "ok" again."""
    server = ServerProcess(german_shop)
    server.start()
    try:
        faq = german_shop.parent.parent / "faq" / "versand.de.yaml"

        async def health() -> tuple[int, dict[str, Any]]:
            async with (
                aiohttp.ClientSession() as http,
                http.get(f"{server.url}/healthz") as response,
            ):
                return response.status, await response.json()

        assert (await health())[1]["status"] == "ok"
        good = GERMAN_FAQ
        await asyncio.to_thread(faq.write_text, good.replace("answer:", "antwoord:", 1))
        for _ in range(100):
            code, body = await health()
            if body["status"] != "ok":
                break
            await asyncio.sleep(0.1)
        assert code == 200 and body["status"] == "degraded"
        assert body["checks"]["faq"]["ok"] is False and body["checks"]["faq"]["errors"]
        answer = await _ask(server.url, "Was kostet der Versand?", locale="de")
        assert answer["meta"].get("entry_id") == "versandkosten"
        await asyncio.to_thread(faq.write_text, good)
        for _ in range(100):
            if (await health())[1]["status"] == "ok":
                break
            await asyncio.sleep(0.1)
        assert (await health())[1]["status"] == "ok"
    finally:
        server.stop()


@pytest.fixture
def invitations_shop(config_path: Path) -> Path:
    """The test config with two invitations, one of them with a German text."""
    rules = """
[[widget.invitations]]
path = "/checkout*"
text_nl = "Hulp nodig bij het afrekenen?"
text_en = "Need help checking out?"
text_de = "Brauchst du Hilfe beim Bezahlen?"

[[widget.invitations]]
path = "/cart*"
text_nl = "Vragen over je winkelmand?"
text_en = "Questions about your cart?"

[[widget.invitations]]
path = "/kasse*"
text_de = "Fragen zur Kasse?"
"""
    config_path.write_text(config_path.read_text(encoding="utf-8") + rules, encoding="utf-8")
    return config_path


async def test_invitations_and_availability_follow_the_shoppers_language(
    invitations_shop: Path,
) -> None:
    """An invitation is shown in Dutch, English, German or French (English when a rule has
    none for the shopper's language, else the text it has: a German shop need not write
    Dutch), and the availability sentence in the shopper's language."""
    server = ServerProcess(invitations_shop)
    server.start()
    try:
        seen: dict[str, tuple[list[str], str]] = {}
        for locale in ("de-CH", "fr", "nl"):
            async with shopper(server.url, auth={"locale": locale}) as (widget, _):
                synced = await call(widget, "/shopper", "sync")
                texts = [rule["text"] for rule in synced["invitations"]]
                seen[locale] = (texts, synced["availability"]["text"])
    finally:
        server.stop()
    german, french, dutch = seen["de-CH"], seen["fr"], seen["nl"]
    kasse = "Fragen zur Kasse?"
    assert german[0] == ["Brauchst du Hilfe beim Bezahlen?", "Questions about your cart?", kasse]
    assert french[0] == ["Need help checking out?", "Questions about your cart?", kasse]
    assert dutch[0] == ["Hulp nodig bij het afrekenen?", "Vragen over je winkelmand?", kasse]
    # Always staffed (no [hours]) and nobody online: the sentence says so, in each language.
    assert (german[1], french[1], dutch[1]) == (
        "Gerade ist niemand online",
        "Personne n'est en ligne pour le moment",
        "Er is nu niemand online",
    )


async def test_one_did_you_mean_choice_is_asked_about_as_one(tmp_path: Path) -> None:
    """With a single choice the bot asks "did you mean this question?", not "one of these"."""
    server = ServerProcess(write_config(tmp_path / "shop", extra="max_suggestions = 1"))
    server.start()
    try:
        one = await _ask(server.url, "betalen")
        assert one["meta"]["kind"] == "suggest" and len(one["meta"]["choices"]) == 1, one
        assert one["text"] == "Bedoel je deze vraag?"
    finally:
        server.stop()


async def test_did_you_mean_is_asked_in_the_language_of_its_choices(
    server: ServerProcess,
) -> None:
    """A shopper on a Dutch page who asks in English gets English choices, and the line
    asking "did you mean" in English too, not a Dutch line over English questions."""
    offered = await _ask(server.url, "delivery", locale="nl")
    assert offered["meta"]["kind"] == "suggest", offered
    assert all(not c["id"].startswith(("levertijd", "verzend")) for c in offered["meta"]["choices"])
    assert offered["text"] == "Did you mean one of these?", offered


async def test_a_question_acknowledged_before_a_stop_is_answered_after_it(
    config_path: Path,
) -> None:
    """The server stops after acknowledging a shopper's question but before the bot
    answered (here: the bot is kept from answering): the restarted server answers it, and
    a resend of such a question gets its answer too."""
    async with running(config_path) as live:
        live.services.conversations.responder = None
        async with shopper(live.url, auth={"locale": "nl"}) as (widget, _):
            token = (await call(widget, "/shopper", "sync"))["token"]
            sent = await call(
                widget,
                "/shopper",
                "message",
                {"client_id": new_client_id(), "text": "Hoe lang duurt de levering?"},
            )
            assert sent["ok"]
    async with (
        running(config_path) as live,
        shopper(live.url, auth={"token": token}) as (widget, inbox),
    ):
        synced = await call(widget, "/shopper", "sync")
        if synced["messages"][-1]["author"] != "bot":
            await inbox.wait_for("message", lambda m: m["author"] == "bot")
        answered = (await call(widget, "/shopper", "sync"))["messages"]
        assert [m["author"] for m in answered] == ["shopper", "bot"]
        assert answered[1]["meta"]["kind"] == "answer"

        bot = live.services.conversations.responder
        live.services.conversations.responder = None
        again = {"client_id": new_client_id(), "text": "Wat kost verzending?"}
        assert (await call(widget, "/shopper", "message", again))["ok"]
        live.services.conversations.responder = bot
        resent = await call(widget, "/shopper", "message", again)
        assert resent["duplicate"] is True
        reply = await inbox.wait_for(
            "message",
            lambda m: m["author"] == "bot" and m["seq"] == resent["message"]["seq"] + 1,
        )
        assert reply["meta"]["question_seq"] == resent["message"]["seq"]
        await asyncio.sleep(0.3)
        await live.services.conversations.drain()
        texts = [m["author"] for m in (await call(widget, "/shopper", "sync"))["messages"]]
        assert texts == ["shopper", "bot", "shopper", "bot"]


async def test_a_shopper_who_switches_the_shop_s_language_is_answered_in_the_new_one(
    config_path: Path,
) -> None:
    """A shopper chats from the Dutch shop, then switches it to English (a new connection
    with the same visitor token, as a reload or `Loket('locale', 'en')` makes): the same
    conversation goes on, the bot answers in English, and the language is stored (after a
    restart it is still English)."""
    unknown = "qwxz vlorp brnk"
    async with running(config_path) as live:
        async with shopper(live.url, auth={"locale": "nl"}) as (widget, inbox):
            token = (await call(widget, "/shopper", "sync"))["token"]
            sent = await call(
                widget, "/shopper", "message", {"client_id": new_client_id(), "text": unknown}
            )
            dutch = await inbox.wait_for("message", lambda m: m["author"] == "bot")
            assert "not sure" not in dutch["text"]
        async with shopper(live.url, auth={"token": token, "locale": "en-GB"}) as (
            widget,
            inbox,
        ):
            again = await call(
                widget, "/shopper", "message", {"client_id": new_client_id(), "text": unknown}
            )
            assert again["conversation"]["id"] == sent["conversation"]["id"]
            english = await inbox.wait_for(
                "message", lambda m: m["author"] == "bot" and m["seq"] > again["message"]["seq"]
            )
            assert "not sure" in english["text"]
        # Another region of the same language is no switch.
        async with shopper(live.url, auth={"token": token, "locale": "en-US"}) as (widget, _):
            await call(
                widget, "/shopper", "message", {"client_id": new_client_id(), "text": "thanks"}
            )
            await live.services.conversations.drain()
    async with running(config_path) as live:
        stored = await live.services.store.conversation(sent["conversation"]["id"])
        assert stored is not None and stored.locale == "en-GB"


async def test_an_answer_the_bot_found_after_an_agent_took_the_chat_is_not_posted(
    config_path: Path,
) -> None:
    """The bot is still matching when an agent takes the conversation: the agent answers
    now, and the bot's late answer does not cut in between them."""
    async with running(config_path) as live:
        conversations = live.services.conversations
        bot = conversations.responder
        assert bot is not None
        taken = asyncio.Event()

        async def slow(conversation: Any, message: Any) -> Any:
            await taken.wait()
            return await bot(conversation, message)

        conversations.responder = slow
        async with shopper(live.url, auth={"locale": "nl"}) as (widget, _):
            asked = {"client_id": new_client_id(), "text": "Hoe lang duurt de levering?"}
            sent = await call(widget, "/shopper", "message", asked)
            ref = {"conversation_id": sent["conversation"]["id"]}
            async with agent(live.url, await login(live.url, "anna", AGENT_PASSWORD)) as (desk, _):
                await call(desk, "/agent", "sync")
                assert (await call(desk, "/agent", "take", ref))["conversation"]["state"] == (
                    "assigned"
                )
                taken.set()
                await conversations.drain()
                history = (await call(desk, "/agent", "open", ref))["messages"]
        assert [m["author"] for m in history if m["author"] != "system"] == ["shopper"]


async def test_answers_come_in_the_order_of_the_questions_and_none_is_lost_to_a_stop(
    config_path: Path,
) -> None:
    """A question whose answer takes longer (it waits for the encoder) is still answered
    before the next one; and questions whose answers were not written when the server
    stopped (the later one waiting for the earlier) are answered at the next start."""
    questions = ["Hoe lang duurt de levering?", "Wat kost verzending?", "Kan ik met iDEAL betalen?"]
    async with running(config_path) as live:
        conversations = live.services.conversations
        bot = conversations.responder
        assert bot is not None

        async def slow_first(conversation: Any, message: Any) -> Any:
            if message.text == questions[0]:
                await asyncio.sleep(0.5)
            if message.client_id.startswith("lost-"):
                return []  # never written: the server stopped first
            return await bot(conversation, message)

        conversations.responder = slow_first
        async with shopper(live.url, auth={"locale": "nl"}) as (widget, inbox):
            token = (await call(widget, "/shopper", "sync"))["token"]
            seqs = []
            for text in questions:
                sent = await call(
                    widget, "/shopper", "message", {"client_id": new_client_id(), "text": text}
                )
                seqs.append(sent["message"]["seq"])
            await inbox.wait_for(
                "message", lambda m: m.get("meta", {}).get("question_seq") == seqs[-1]
            )
            answers = [m for m in inbox.of("message") if m["author"] == "bot"]
            assert [m["meta"]["question_seq"] for m in answers] == seqs
            lost = await call(
                widget,
                "/shopper",
                "message",
                {"client_id": f"lost-{new_client_id()}", "text": questions[1]},
            )
            after = await call(
                widget,
                "/shopper",
                "message",
                {"client_id": f"lost-{new_client_id()}", "text": questions[2]},
            )
            await conversations.drain()
    async with running(config_path) as live:
        # The start-up answers are on their way by now.
        await live.services.conversations.drain()
        async with shopper(live.url, auth={"token": token}) as (widget, _):
            stored = (await call(widget, "/shopper", "sync"))["messages"]
    replies = {m["meta"]["question_seq"]: m for m in stored if m["author"] == "bot"}
    assert sorted(replies) == [*seqs, lost["message"]["seq"], after["message"]["seq"]]
    assert replies[lost["message"]["seq"]]["meta"]["kind"] == "answer"


def test_what_is_unanswered_is_read_from_the_replies_not_from_the_last_message() -> None:
    """What the bot has not got to: after the last agent or system message, the shopper's
    messages after the newest question a bot reply names (also when the newest message is
    the bot's), or, with no bot reply since, the shopper's last message only (a thanks to
    an agent before a close and a reopen is not answered by the bot)."""

    def at(seq: int, author: str, asked: int | None = None) -> MessageRecord:
        meta = {"question_seq": asked} if asked is not None else None
        return MessageRecord(1, seq, f"c{seq}", author, None, "…", 0, meta)  # type: ignore[arg-type]

    stored_before_a_reply = [
        at(1, "shopper"),
        at(2, "shopper"),
        at(3, "bot", 1),
        at(4, "shopper"),
        at(5, "bot", 2),
        at(6, "shopper"),
    ]
    assert [m.seq for m in unanswered(stored_before_a_reply)] == [4, 6]
    left = [at(1, "shopper"), at(2, "bot", 1), at(3, "shopper"), at(4, "system")]
    assert unanswered(left) == []
    reopened = [at(1, "shopper"), at(2, "agent"), at(3, "shopper"), at(4, "shopper")]
    assert [m.seq for m in unanswered(reopened)] == [4]
    answered_after_a_reopen = [*reopened, at(5, "bot", 4)]
    assert unanswered(answered_after_a_reopen) == []


async def test_a_faq_file_broken_while_the_server_was_down_still_answers(
    german_shop: Path, tmp_path: Path
) -> None:
    """A FAQ file broken between two runs (an edit, a deploy) answers with its version that
    was last read good, kept in the data folder; /healthz names the error all the same."""
    server = ServerProcess(german_shop)
    server.start()
    try:
        before = await _ask(server.url, "Kan ik achteraf betalen?")
        assert before["meta"].get("entry_id") == "achteraf-betalen", before
    finally:
        server.stop()
    broken = tmp_path / "faq" / "betalen.nl.yaml"
    broken.write_text(broken.read_text(encoding="utf-8") + "\n  - id: [\n", encoding="utf-8")
    # And an id two files use: its error names both files.
    twice = (tmp_path / "faq" / "versand.de.yaml").read_text(encoding="utf-8")
    (tmp_path / "faq" / "zweimal.de.yaml").write_text(
        twice.replace("Versandkosten", "Versandpreise"), encoding="utf-8"
    )
    server = ServerProcess(german_shop)
    server.start()
    try:
        after = await _ask(server.url, "Kan ik achteraf betalen?")
        assert (after["meta"].get("entry_id"), after["text"]) == (
            "achteraf-betalen",
            before["text"],
        )
        async with aiohttp.ClientSession() as http, http.get(f"{server.url}/healthz") as response:
            faq = (await response.json())["checks"]["faq"]
        # Named within the FAQ folder: /healthz is public, the server's paths are not.
        assert [e for e in faq["errors"] if e.startswith("betalen.nl.yaml:")], faq
        assert [e for e in faq["errors"] if "is already used at versand.de.yaml:" in e], faq
        assert not any(str(tmp_path) in e for e in faq["errors"]), faq
    finally:
        server.stop()


async def test_the_console_s_faq_search_finds_only_entries_the_words_are_about(
    server: ServerProcess,
) -> None:
    """An agent's "/" search finds the entries its words are about; words the FAQ does not
    have find nothing (not the closest entry the bot would not answer with)."""
    token = await login(server.url, "anna", AGENT_PASSWORD)
    async with agent(server.url, token) as (desk, _):
        found = await call(desk, "/agent", "faq_search", {"query": "retourneren"})
        assert found["results"], found
        for query in ("xyzabc", "qqqq", "zz"):
            nothing = await call(desk, "/agent", "faq_search", {"query": query})
            assert nothing["results"] == [], (query, nothing)


async def _replies_to(url: str, text: str, count: int, locale: str = "en") -> list[dict]:  # type: ignore[type-arg]
    """The bot's first `count` replies to one shopper message, in order."""
    async with shopper(url, auth={"locale": locale}) as (widget, inbox):
        await call(widget, "/shopper", "message", {"client_id": new_client_id(), "text": text})

        def bots() -> list[dict]:  # type: ignore[type-arg]
            return [m for m in inbox.of("message") if m["author"] == "bot"]

        await inbox.wait_for("message", lambda _: len(bots()) >= count)
        await asyncio.sleep(0.5)
        assert len(bots()) == count, bots()
        return bots()


async def test_a_message_asking_two_things_gets_both_answers(server: ServerProcess) -> None:
    """ "How long does delivery take? And can I pay with PayPal?" gets the delivery time and
    the ways to pay, in that order, each its own answer the shopper can rate; asked as
    one sentence with "en" in Dutch, too."""
    first, second = await _replies_to(
        server.url, "How long does delivery take? And can I pay with PayPal?", 2
    )
    assert [first["meta"]["entry_id"], second["meta"]["entry_id"]] == [
        "delivery-time",
        "payment-methods",
    ]
    assert first["meta"]["feedback"] and second["meta"]["feedback"]
    assert first["meta"]["question_seq"] == second["meta"]["question_seq"] == 1
    dutch = await _replies_to(
        server.url, "hoe lang duurt de levering en kan ik met paypal betalen", 2, "nl"
    )
    assert [reply["meta"]["entry_id"] for reply in dutch] == ["levertijd", "betaalmethoden"]


async def test_the_question_the_bot_cannot_answer_of_two_is_named_and_kept(
    server: ServerProcess, config_path: Path
) -> None:
    """Of two questions in one message, the one the FAQ does not cover is not dropped: the
    bot answers the other, then says which one it is not sure about, offers what it offers
    for any question it cannot answer, and keeps that question alone for the admins."""
    answer, unsure = await _replies_to(
        server.url, "How long does delivery take? And do you sell garden gnomes?", 2
    )
    assert answer["meta"]["entry_id"] == "delivery-time"
    assert unsure["meta"]["kind"] == "unknown" and unsure["meta"]["offer"] == "leave_question"
    assert unsure["text"].startswith("About “do you sell garden gnomes”: I'm not sure"), unsure
    code, listed, _ = await run_loket(config_path, "faq", "misses")
    assert code == 0 and "do you sell garden gnomes" in listed, listed
    assert "How long does delivery take" not in listed
