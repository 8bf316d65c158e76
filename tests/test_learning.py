"""Learning end to end: agents' replies become answers; feedback and misses are kept."""

from __future__ import annotations

import asyncio
import shutil
import sqlite3
from collections.abc import Awaitable, Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import yaml

from loket.auth import customer_signature
from loket.bot.faq import load_faq_dir
from loket.store import MessageRecord
from tests.conftest import AGENT_PASSWORD
from tests.inprocess import running
from tests.support import (
    ROOT,
    agent,
    call,
    edit_config,
    login,
    new_client_id,
    run_loket,
    shopper,
)

QUESTION = "Kan ik mijn cadeaubon gebruiken voor een fietstas in de uitverkoop?"
ANSWER = "Ja hoor, een cadeaubon is ook geldig op artikelen in de uitverkoop."
# Questions the shipped FAQ has no answer for.
UNKNOWN_QUESTIONS = (
    "Verkopen jullie ook paarse bakfietsen met een regenhoes?",
    "Kunnen jullie een tandem voor drie personen op maat maken?",
)


async def _ask(widget: Any, text: str) -> dict[str, Any]:
    """The shopper sends `text`; the ack."""
    sent: dict[str, Any] = await call(
        widget, "/shopper", "message", {"client_id": new_client_id(), "text": text}
    )
    return sent


async def _bot_reply(url: str, text: str) -> dict[str, Any]:
    async with shopper(url, auth={"locale": "nl"}) as (widget, inbox):
        await call(widget, "/shopper", "message", {"client_id": new_client_id(), "text": text})
        reply: dict[str, Any] = await inbox.wait_for("message", lambda m: m["author"] == "bot")
        return reply


async def _agent_answers(
    url: str,
    question: str | list[str],
    answer: str,
    *,
    reusable: bool,
    locale: str = "nl",
    customer: dict[str, str] | None = None,
) -> dict[str, Any]:
    """A shopper (vouched for by the shop, with `customer`) asks while nobody is online, in
    one message or several; an agent then takes the chat and answers."""
    auth: dict[str, Any] = {"locale": locale, **({"customer": customer} if customer else {})}
    async with shopper(url, auth=auth) as (widget, _):
        for text in [question] if isinstance(question, str) else question:
            sent = await call(
                widget, "/shopper", "message", {"client_id": new_client_id(), "text": text}
            )
        ref = {"conversation_id": sent["conversation"]["id"]}
    return await _takes_and_replies(url, ref, answer, reusable=reusable)


async def _takes_and_replies(
    url: str, ref: dict[str, Any], answer: str, *, reusable: bool, first: tuple[str, ...] = ()
) -> dict[str, Any]:
    """Agent anna takes the conversation and replies with `answer` (after the replies
    `first`, not marked reusable); returns the last ack."""
    token = await login(url, "anna", AGENT_PASSWORD)
    async with agent(url, token) as (desk, _):
        await call(desk, "/agent", "take", ref)
        for text, marked in [*((text, False) for text in first), (answer, reusable)]:
            ack: dict[str, Any] = await call(
                desk,
                "/agent",
                "message",
                {**ref, "client_id": new_client_id(), "text": text, "reusable": marked},
            )
        return ack


async def test_reusable_reply_answers_the_next_shopper(config_path: Path) -> None:
    """An agent's reply marked reusable is given by the bot to the next shopper asking the same."""
    async with running(config_path) as live:
        before = await _bot_reply(live.url, QUESTION)
        assert before["meta"]["kind"] != "answer" or before["text"] != ANSWER
        ack = await _agent_answers(live.url, QUESTION, ANSWER, reusable=True)
        assert ack["learned"]["status"] == "approved"
        # The agent is told what it was kept for (the console says it).
        assert ack["learned"]["question"] == QUESTION
        after = await _bot_reply(live.url, "kan ik een cadeaubon gebruiken in de uitverkoop")
        assert after["meta"]["kind"] == "answer"
        assert after["text"] == ANSWER
        assert after["meta"]["entry_id"] == f"learned:{ack['learned']['id']}"


async def test_a_learned_answer_takes_the_language_of_its_question(config_path: Path) -> None:
    """A Dutch question from a browser set to English is learned as Dutch (the words tell),
    so the bot gives the answer to Dutch questions, and export files it under Dutch."""
    async with running(config_path) as live:
        ack = await _agent_answers(live.url, QUESTION, ANSWER, reusable=True, locale="en-US")
        assert ack["learned"]["language"] == "nl"
        after = await _bot_reply(live.url, "kan ik een cadeaubon gebruiken in de uitverkoop")
        assert after["meta"]["entry_id"] == f"learned:{ack['learned']['id']}"
    code, exported, _ = await run_loket(config_path, "learned", "export")
    assert code == 0 and "language: nl" in exported and "cadeaubon" in exported
    # No approved answers in English: no file (one without entries is no valid FAQ file).
    out = config_path.parent / "learned.en.yaml"
    code, _, err = await run_loket(
        config_path, "learned", "export", "--language", "en", "--out", str(out)
    )
    assert code == 1 and "nothing written" in err
    assert not out.exists()
    out = config_path.parent / "learned.nl.yaml"
    code, said, _ = await run_loket(config_path, "learned", "export", "--out", str(out))
    assert code == 0 and said.strip() == f"wrote 1 answer to {out}"


async def test_a_learned_answer_in_another_language_than_its_question_is_not_used(
    config_path: Path,
) -> None:
    """An English question answered in Dutch answers nobody: not English shoppers, who could
    not read it (a full question or keywords alone), and it is not exported, which says so."""
    question = "Can I use my gift card for a bike bag in the sale?"
    async with running(config_path) as live:
        ack = await _agent_answers(live.url, question, ANSWER, reusable=True, locale="en")
        assert ack["learned"]["status"] == "approved"
        # The console is told, so it says the bot will not give it.
        assert ack["learned"]["answer_language"] == "nl"
        for asked_again in ("can i use my gift card for a bike bag in the sale", "gift card sale?"):
            async with shopper(live.url, auth={"locale": "en"}) as (widget, inbox):
                seq = (await _ask(widget, asked_again))["message"]["seq"]
                reply = await inbox.wait_for(
                    "message", lambda m, seq=seq: (m.get("meta") or {}).get("question_seq") == seq
                )
            assert reply["text"] != ANSWER, asked_again
            assert reply["meta"].get("entry_id") != f"learned:{ack['learned']['id']}"
    code, _, err = await run_loket(config_path, "learned", "export")
    assert code == 1 and "nothing written" in err
    assert f"learned answer {ack['learned']['id']} is in 'nl', its question in 'en'" in err
    # `loket faq ask` answers as the server does: not with that pair.
    code, out, _ = await run_loket(config_path, "faq", "ask", "--language", "en", question)
    assert code == 0 and f"learned:{ack['learned']['id']}" not in out, out


async def test_reply_with_personal_data_is_never_reused_as_is(config_path: Path) -> None:
    """A reusable reply holding an e-mail address waits for review instead of being answered."""
    async with running(config_path) as live:
        ack = await _agent_answers(
            live.url,
            "Waar kan ik mijn factuur opvragen voor de zakelijke bestelling?",
            "Stuur een mail naar sanne.devries@example.nl, dan stuurt zij de factuur.",
            reusable=True,
        )
        assert ack["learned"]["status"] == "candidate"
        assert ack["learned"]["personal"] == ["email"]


async def test_candidate_approved_with_the_cli_answers_without_restart(config_path: Path) -> None:
    """A candidate approved with `loket learned approve` is answered by the running server."""
    async with running(config_path) as live:
        ack = await _agent_answers(live.url, QUESTION, ANSWER, reusable=False)
        assert ack["learned"]["status"] == "candidate"
        _, listed, _ = await run_loket(config_path, "learned", "list")
        assert QUESTION in listed
        code, _, _ = await run_loket(config_path, "learned", "approve", str(ack["learned"]["id"]))
        assert code == 0
        learning = live.services.learning
        assert learning is not None
        await learning.poll()
        after = await _bot_reply(live.url, QUESTION)
        assert after["text"] == ANSWER
        _, exported, _ = await run_loket(config_path, "learned", "export")
        assert "cadeaubon" in exported and "entries:" in exported


async def test_a_faq_answer_given_by_an_agent_teaches_that_entry_a_new_phrasing(
    config_path: Path,
) -> None:
    """An agent who answers a question with a FAQ entry's answer (as the console's search
    puts it in) teaches the bot to give that entry for the question: one more phrasing of
    the entry, not a second entry with the same answer."""
    faq_answer = (
        "Ja, we verkopen digitale cadeaubonnen vanaf 10 euro, die je direct per e-mail"
        " ontvangt. Je verzilvert een cadeaubon bij het afrekenen, en een eventueel restbedrag"
        " blijft op de bon staan. Het saldo zie je door de code in te vullen bij het afrekenen."
    )
    question = "Geven jullie personeelsbonnen uit?"
    async with running(config_path) as live:
        before = await _bot_reply(live.url, question)
        assert before["meta"].get("entry_id") != "cadeaubon"
        # Typed again by hand: case, spacing and the full stop may differ.
        typed = " ".join(faq_answer.lower().split()).rstrip(".")
        ack = await _agent_answers(live.url, question, typed, reusable=True)
        assert ack["learned"]["status"] == "approved"
        after = await _bot_reply(live.url, question)
        assert after["meta"]["kind"] == "answer"
        assert after["meta"]["entry_id"] == "cadeaubon"
        assert after["text"] == faq_answer
        bot = live.services.bot
        assert bot is not None
        entry = next(e for e in bot.matcher.entries if e.id == "cadeaubon")
        assert entry.questions[-1] == question
        assert not any(e.id.startswith("learned:") for e in bot.matcher.entries)
    # The export makes no second entry with that answer: it names the phrasing to add.
    code, exported, said = await run_loket(config_path, "learned", "export")
    assert code == 1 and exported == ""
    assert f"entry 'cadeaubon' gives this answer; add as its phrasings: {question!r}" in said


def _own_faq(config_path: Path, tmp_path: Path) -> Path:
    """A copy of the demo FAQ for the server of `config_path`, for a test to edit."""
    folder = tmp_path / "faq"
    shutil.copytree(ROOT / "faq", folder)
    edit_config(config_path, f'faq_dir = "{ROOT / "faq"}"', f'faq_dir = "{folder}"')
    return folder


async def test_exporting_again_to_the_same_file_in_the_faq_folder_keeps_every_answer(
    config_path: Path, tmp_path: Path
) -> None:
    """Exported into the FAQ folder, a learned pair gives the answer of the file's entry,
    so it follows that entry; exported again to the same file, it is written again, not
    taken for a pair whose entry was deleted (which would drop it from the file)."""
    folder = _own_faq(config_path, tmp_path)
    out = folder / "geleerd.nl.yaml"
    async with running(config_path) as live:
        ack = await _agent_answers(live.url, QUESTION, ANSWER, reusable=True)
        pair = ack["learned"]["id"]
        code, _, err = await run_loket(config_path, "learned", "export", "--out", str(out))
        assert code == 0, err
        # What the server notes once it has read the file: the pair gives its entry's answer.
        await live.services.store.follow_faq_entry(pair, f"learned-{pair}")
    # The admin corrects the answer in the file; exported again, the file keeps it.
    corrected = "Nee, een cadeaubon is in de uitverkoop helaas niet geldig."
    out.write_text(out.read_text(encoding="utf-8").replace(ANSWER, corrected), encoding="utf-8")
    code, _, err = await run_loket(config_path, "learned", "export", "--out", str(out))
    assert code == 0 and "no longer in the FAQ" not in err, err
    written = out.read_text(encoding="utf-8")
    assert QUESTION in written and corrected in written and ANSWER not in written, written


async def test_a_faq_answer_given_by_an_agent_follows_the_entry_when_the_shop_edits_it(
    config_path: Path, tmp_path: Path
) -> None:
    """The phrasing an agent taught by giving a FAQ entry's answer stays with that entry
    when the shop rewrites the answer in its file (the bot gives the new text, not the one
    the agent sent), and goes when the shop deletes the entry: no stale answer lives on."""
    folder = _own_faq(config_path, tmp_path)
    betalen = folder / "betalen.nl.yaml"
    question = "Geven jullie personeelsbonnen uit?"
    async with running(config_path) as live:
        bot = live.services.bot
        assert bot is not None
        old = next(e for e in bot.matcher.entries if e.id == "cadeaubon").answer
        ack = await _agent_answers(live.url, question, old, reusable=True)
        assert ack["learned"]["status"] == "approved"
        new = "Ja, digitale cadeaubonnen vanaf 15 euro, per e-mail, een jaar geldig."
        reloaded = bot.watcher.next_reload()
        betalen.write_text(betalen.read_text(encoding="utf-8").replace(old, new))
        await asyncio.wait_for(reloaded, 20)
        after = await _bot_reply(live.url, question)
        assert (after["meta"].get("entry_id"), after["text"]) == ("cadeaubon", new), after
        # The entry deleted from the file: the pair does not answer with the old text.
        text = betalen.read_text(encoding="utf-8")
        start = text.index("  - id: cadeaubon")
        end = text.find("  - id:", start + 1)
        reloaded = bot.watcher.next_reload()
        betalen.write_text(text[:start] + (text[end:] if end != -1 else ""))
        await asyncio.wait_for(reloaded, 20)
        gone = await _bot_reply(live.url, question)
        assert old not in gone["text"] and new not in gone["text"], gone
        # Nor is it exported, and `learned export` says why.
        _, exported, err = await run_loket(config_path, "learned", "export")
        assert question not in exported
        assert "gave the answer of FAQ entry 'cadeaubon', which is no longer in the FAQ" in err
    # Restarted, it follows the entry still (kept in the store, not only in memory).
    betalen.write_text(text.replace(old, new))
    async with running(config_path) as live:
        again = await _bot_reply(live.url, question)
        assert (again["meta"].get("entry_id"), again["text"]) == ("cadeaubon", new), again


async def test_a_pair_learned_before_pairs_followed_entries_follows_its_entry_too(
    config_path: Path, tmp_path: Path
) -> None:
    """A pair kept before pairs noted the entry they gave (an upgraded store) follows the
    entry whose answer it gives when the server loads it; an answer two entries give
    follows neither, and keeps its own text."""
    folder = _own_faq(config_path, tmp_path)
    betalen, question = folder / "betalen.nl.yaml", "Geven jullie personeelsbonnen uit?"
    old = next(e for e in load_faq_dir(folder).entries if e.id == "cadeaubon").answer
    async with running(config_path):
        pass  # the store made, as a server before this one would have
    database = sqlite3.connect(config_path.parent / "data" / "loket.db")
    with database:
        database.execute(
            "INSERT INTO learned (question, answer, language, status, created_at, reviewed_at)"
            " VALUES (?, ?, 'nl', 'approved', 1, 1)",
            (question, old),
        )
    database.close()
    new = "Ja, digitale cadeaubonnen vanaf 15 euro, per e-mail, een jaar geldig."
    async with running(config_path) as live:
        bot = live.services.bot
        assert bot is not None
        reloaded = bot.watcher.next_reload()
        betalen.write_text(betalen.read_text(encoding="utf-8").replace(old, new))
        await asyncio.wait_for(reloaded, 20)
        after = await _bot_reply(live.url, question)
        assert (after["meta"].get("entry_id"), after["text"]) == ("cadeaubon", new), after
        # An answer two entries give names neither of them.
        assert bot.entry_giving(new, "nl") == "cadeaubon"
        shared = "Mail ons op info@winkel.nl, dan regelen we het."
        reloaded = bot.watcher.next_reload()
        (folder / "twee.nl.yaml").write_text(
            "language: nl\ntopic: twee\nentries:\n"
            f'  - id: adres-mailen\n    questions: ["Hoe wijzig ik mijn huisadres?"]\n'
            f'    answer: "{shared}"\n'
            f'  - id: bon-mailen\n    questions: ["Ik ben mijn kassabon kwijt"]\n'
            f'    answer: "{shared}"\n'
        )
        await asyncio.wait_for(reloaded, 20)
        assert bot.entry_giving(shared, "nl") is None


async def test_learned_pairs_with_one_answer_are_one_entry(config_path: Path) -> None:
    """The same answer taught for two questions is one entry with both phrasings, so the
    bot gives it for either and never offers two choices that lead to the same answer."""
    answer = (
        "Een spaarprogramma hebben we niet, maar vaste klanten krijgen elk voorjaar"
        " een kortingscode."
    )
    first_question = "Kan ik punten sparen bij jullie?"
    second_question = "Hebben jullie een klantenkaart of spaarprogramma?"
    async with running(config_path) as live:
        first = await _agent_answers(live.url, first_question, answer, reusable=True)
        second = await _agent_answers(live.url, second_question, answer + "  ", reusable=True)
        assert first["learned"]["status"] == second["learned"]["status"] == "approved"
        assert first["learned"]["id"] != second["learned"]["id"]
        bot = live.services.bot
        assert bot is not None
        learned = [e for e in bot.matcher.entries if e.id.startswith("learned:")]
        assert [(e.id, e.questions) for e in learned] == [
            (f"learned:{first['learned']['id']}", (first_question, second_question))
        ]
        for question in (first_question, second_question):
            reply = await _bot_reply(live.url, question)
            assert reply["meta"]["entry_id"] == f"learned:{first['learned']['id']}"
            assert reply["text"] == answer
    # The export writes them as the bot answers from them: one entry with both questions.
    code, exported, _ = await run_loket(config_path, "learned", "export")
    assert code == 0
    assert yaml.safe_load(exported)["entries"] == [
        {
            "id": f"learned-{first['learned']['id']}",
            "questions": [first_question, second_question],
            "answer": answer,
        }
    ]


async def test_unhelpful_answers_and_unknown_questions_are_kept_for_admins(
    config_path: Path,
) -> None:
    """'Not helpful' offers the next step, and both misses show in `loket faq misses`, grouped."""
    async with running(config_path) as live:
        async with shopper(live.url, auth={"locale": "nl"}) as (widget, inbox):
            await call(
                widget,
                "/shopper",
                "message",
                {"client_id": new_client_id(), "text": "Hoe lang duurt de levering?"},
            )
            answer = await inbox.wait_for("message", lambda m: m["author"] == "bot")
            assert answer["meta"]["kind"] == "answer"
            feedback = await call(
                widget, "/shopper", "feedback", {"seq": answer["seq"], "helpful": False}
            )
            assert feedback["offer"] == "leave_question"
            assert feedback["helpful"] is False and feedback["duplicate"] is False
            # Only the first counts: a second (another tab's) says so, and what follows
            # is the first's.
            again = await call(
                widget, "/shopper", "feedback", {"seq": answer["seq"], "helpful": True}
            )
            assert again["duplicate"] is True and again["helpful"] is False
            assert again["offer"] == "leave_question"
            wrong = await call(widget, "/shopper", "feedback", {"seq": 1, "helpful": True})
            assert wrong["error"]["code"] == "not_found"
        rambling = "Qwrtz brnkl " * 60
        for text in ("Xyzzy plugh zonnepanelen?", "xyzzy plugh zonnepanelen", rambling):
            reply = await _bot_reply(live.url, text)
            assert reply["meta"]["kind"] == "unknown"
    _, misses, _ = await run_loket(config_path, "faq", "misses")
    lines = misses.splitlines()
    assert any(line.strip().startswith("2 ") and "zonnepanelen" in line for line in lines), misses
    assert any("Hoe lang duurt de levering?" in line and "unhelpful" in line for line in lines)
    # The same question asked twice alike is no other wording; a long one fits on a line.
    assert not any("also:" in line for line in lines), misses
    assert any("Qwrtz brnkl" in line and "…" in line for line in lines), misses
    assert max(len(line) for line in lines) <= 240, misses


async def test_a_miss_the_bot_now_answers_leaves_the_list_of_misses(config_path: Path) -> None:
    """A question the bot could not answer, then answered by an agent who marked the reply
    reusable: the misses list (command and admin page) counts it as answered now instead
    of asking the admin to write an entry for it."""
    question = UNKNOWN_QUESTIONS[0]
    async with running(config_path) as live:
        missed = await _bot_reply(live.url, question)
        assert missed["meta"]["kind"] == "unknown"
        other = await _bot_reply(live.url, UNKNOWN_QUESTIONS[1])
        assert other["meta"]["kind"] == "unknown"
        ack = await _agent_answers(live.url, question, ANSWER, reusable=True)
        assert ack["learned"]["status"] == "approved"
        admin = await login(live.url, "admin", AGENT_PASSWORD)
        async with (
            aiohttp.ClientSession(headers={"Authorization": f"Bearer {admin}"}) as http,
            http.get(f"{live.url}/api/admin/misses") as response,
        ):
            body = await response.json()
    assert [g["question"] for g in body["groups"]] == [UNKNOWN_QUESTIONS[1]], body
    # Asked twice: once here, once again before the agent answered it.
    assert body["answered_now"] == {"questions": 1, "asked": 2}
    _, misses, _ = await run_loket(config_path, "faq", "misses")
    assert question not in misses and UNKNOWN_QUESTIONS[1] in misses, misses
    assert "(1 more question, asked 2 times, the bot now answers" in misses, misses


async def test_not_helpful_while_an_agent_has_the_chat_offers_nothing_more(
    config_path: Path,
) -> None:
    """An earlier bot answer marked not helpful once an agent has the conversation offers
    neither a person nor the form (the agent is there); the miss is kept all the same."""
    async with (
        running(config_path) as live,
        shopper(live.url, auth={"locale": "nl"}) as (widget, inbox),
    ):
        sent = await _ask(widget, "Hoe lang duurt de levering?")
        answer = await inbox.wait_for("message", lambda m: m["author"] == "bot")
        ref = {"conversation_id": sent["conversation"]["id"]}
        await _takes_and_replies(
            live.url, ref, "Ik kijk even met je mee, wat is je ordernummer?", reusable=False
        )
        feedback = await call(
            widget, "/shopper", "feedback", {"seq": answer["seq"], "helpful": False}
        )
        assert feedback["offer"] is None
    _, misses, _ = await run_loket(config_path, "faq", "misses")
    assert "Hoe lang duurt de levering?" in misses and "unhelpful" in misses


async def test_shopper_rates_a_conversation_after_the_agent_closed_it(config_path: Path) -> None:
    """A rating of 1 to 5 with a comment is accepted after an agent had the conversation,
    once: a second rating (another tab) is a duplicate, and the first one stays."""
    async with running(config_path) as live:
        token = await login(live.url, "anna", AGENT_PASSWORD)
        async with agent(live.url, token) as (desk, _), shopper(live.url) as (widget, _):
            early = await call(widget, "/shopper", "rate", {"rating": 5})
            assert early["error"]["code"] == "no_conversation"
            sent = await call(
                widget, "/shopper", "message", {"client_id": new_client_id(), "text": "hoi"}
            )
            await call(desk, "/agent", "close", {"conversation_id": sent["conversation"]["id"]})
            assert (await call(widget, "/shopper", "rate", {"rating": 6}))["error"][
                "code"
            ] == "invalid_payload"
            first = await call(widget, "/shopper", "rate", {"rating": 4, "comment": "Snel!"})
            assert (first["ok"], first["duplicate"]) == (True, False)
            again = await call(widget, "/shopper", "rate", {"rating": 1})
            assert (again["ok"], again["duplicate"]) == (True, True)
    database = sqlite3.connect(config_path.parent / "data" / "loket.db")
    kept = database.execute("SELECT rating, comment FROM ratings").fetchall()
    database.close()
    assert kept == [(4, "Snel!")]


async def test_after_a_restart_the_question_is_read_back_from_the_store(
    config_path: Path,
) -> None:
    """A reply after a restart learns the question asked before it; a further reply with no
    new question in between is not kept as an answer."""
    async with running(config_path) as live:
        async with shopper(live.url, auth={"locale": "nl"}) as (widget, _):
            sent = await call(
                widget, "/shopper", "message", {"client_id": new_client_id(), "text": QUESTION}
            )
        ref = {"conversation_id": sent["conversation"]["id"]}
    async with running(config_path) as live:
        token = await login(live.url, "anna", AGENT_PASSWORD)
        async with agent(live.url, token) as (desk, _):
            await call(desk, "/agent", "take", ref)
            first = await call(
                desk,
                "/agent",
                "message",
                {**ref, "client_id": new_client_id(), "text": ANSWER, "reusable": True},
            )
            again = await call(
                desk,
                "/agent",
                "message",
                {
                    **ref,
                    "client_id": new_client_id(),
                    "text": "Fijne dag verder en veel plezier met de nieuwe fietstas!",
                    "reusable": True,
                },
            )
    assert first["learned"]["status"] == "approved"
    assert again["learned"] is None
    _, listed, _ = await run_loket(config_path, "learned", "list", "--status", "approved")
    assert QUESTION in listed


async def test_a_message_after_a_restart_does_not_hide_the_question_before_it(
    config_path: Path,
) -> None:
    """The shopper asks an agent, the server restarts, the shopper writes once more: the
    agent's reply learns the question of both messages, not only the one written since the
    restart."""
    async with running(config_path) as live:
        desk_token = await login(live.url, "anna", AGENT_PASSWORD)
        async with (
            agent(live.url, desk_token) as (desk, desk_inbox),
            shopper(live.url, auth={"locale": "nl"}) as (widget, _),
        ):
            sent = await call(
                widget, "/shopper", "message", {"client_id": new_client_id(), "text": QUESTION}
            )
            ref = {"conversation_id": sent["conversation"]["id"]}
            await desk_inbox.wait_for("conversation", lambda c: c["state"] == "assigned")
            token = (await call(widget, "/shopper", "sync"))["token"]
    async with running(config_path) as live:
        async with shopper(live.url, auth={"locale": "nl", "token": token}) as (widget, _):
            more = "ik wacht nog steeds op antwoord hierover"
            again = await call(
                widget, "/shopper", "message", {"client_id": new_client_id(), "text": more}
            )
            assert again["conversation"]["id"] == ref["conversation_id"], again
        desk_token = await login(live.url, "anna", AGENT_PASSWORD)
        async with agent(live.url, desk_token) as (desk, _):
            replied = await call(
                desk,
                "/agent",
                "message",
                {**ref, "client_id": new_client_id(), "text": ANSWER, "reusable": True},
            )
    assert replied["learned"]["status"] == "approved"
    _, listed, _ = await run_loket(config_path, "learned", "list", "--status", "approved")
    assert QUESTION in listed and more in listed, listed


def _learned_questions(config_path: Path, *records: dict[str, Any]) -> list[str]:
    """The questions the store holds for these learned records."""
    database = sqlite3.connect(config_path.parent / "data" / "loket.db")
    try:
        return [
            database.execute("SELECT question FROM learned WHERE id = ?", (r["id"],)).fetchone()[0]
            for r in records
        ]
    finally:
        database.close()


async def _asks_after_a_bot_answer(url: str, question: str) -> dict[str, Any]:
    """A shopper asks what the FAQ answers and gets the bot's answer, then asks `question`,
    which it cannot answer; returns the conversation's reference."""
    async with shopper(url, auth={"locale": "nl"}) as (widget, inbox):
        for text, kind in (("Hoe lang duurt de levering?", "answer"), (question, None)):
            sent = await call(
                widget, "/shopper", "message", {"client_id": new_client_id(), "text": text}
            )
            seq = sent["message"]["seq"]
            reply = await inbox.wait_for(
                "message",
                lambda m, seq=seq: m["author"] == "bot" and m["meta"].get("question_seq") == seq,
            )
            assert kind is None or reply["meta"]["kind"] == kind
            assert kind is not None or reply["meta"]["kind"] != "answer", (text, reply)
    return {"conversation_id": sent["conversation"]["id"]}


async def test_what_the_bot_answered_is_not_part_of_the_learned_question(
    config_path: Path,
) -> None:
    """The shopper's question the bot answered is not part of the question an agent's later
    reply answers: only what the bot could not answer is kept with it, both while the
    server runs and when the question is read back from the store after a restart."""
    async with running(config_path) as live:
        ref = await _asks_after_a_bot_answer(live.url, UNKNOWN_QUESTIONS[0])
        learned = (await _takes_and_replies(live.url, ref, ANSWER, reusable=True))["learned"]
        ref_after_restart = await _asks_after_a_bot_answer(live.url, UNKNOWN_QUESTIONS[1])
    assert learned["status"] == "approved"
    async with running(config_path) as live:
        replied = await _takes_and_replies(live.url, ref_after_restart, ANSWER, reusable=True)
        learned_after_restart = replied["learned"]
    questions = _learned_questions(config_path, learned, learned_after_restart)
    assert questions == list(UNKNOWN_QUESTIONS)


async def _learned_live_and_after_restart(
    config_path: Path, asks: Callable[[str, str], Awaitable[dict[str, Any]]]
) -> list[str]:
    """The questions learned from agent anna's reusable reply in a conversation `asks` sets
    up (with the server's address and one of UNKNOWN_QUESTIONS): the first while the server
    runs, the second from the store after a restart."""
    async with running(config_path) as live:
        ref = await asks(live.url, UNKNOWN_QUESTIONS[0])
        learned = (await _takes_and_replies(live.url, ref, ANSWER, reusable=True))["learned"]
        ref_after_restart = await asks(live.url, UNKNOWN_QUESTIONS[1])
    async with running(config_path) as live:
        replied = await _takes_and_replies(live.url, ref_after_restart, ANSWER, reusable=True)
    return _learned_questions(config_path, learned, replied["learned"])


async def _asks_two_things_at_once(url: str, unknown: str) -> dict[str, Any]:
    """A shopper asks, in one message, what the FAQ answers and `unknown`, which it does
    not: the bot answers the first and names the second; returns the reference."""
    async with shopper(url, auth={"locale": "nl"}) as (widget, inbox):
        sent = await _ask(
            widget, f"Hoe lang duurt de levering? En {unknown[0].lower()}{unknown[1:]}"
        )
        unsure = await inbox.wait_for(
            "message", lambda m: m["author"] == "bot" and m["meta"]["kind"] == "unknown"
        )
        kinds = [m["meta"]["kind"] for m in inbox.of("message") if m["author"] == "bot"]
        assert kinds == ["answer", "unknown"], kinds
        assert unsure["meta"]["question"] == f"{unknown[0].lower()}{unknown[1:]}", unsure
    return {"conversation_id": sent["conversation"]["id"]}


async def test_an_agent_s_answer_to_a_message_the_bot_answered_in_part_learns_the_rest(
    config_path: Path,
) -> None:
    """Of a message asking two things, the bot answered one: an agent's later reply answers
    the other, and that question alone is learned, while the server runs and when the
    question is read back from the store after a restart."""
    questions = await _learned_live_and_after_restart(config_path, _asks_two_things_at_once)
    assert questions == [f"{q[0].lower()}{q[1:]}" for q in UNKNOWN_QUESTIONS]


async def _says_one_of_two_answers_did_not_help(url: str, _: str) -> dict[str, Any]:
    """A shopper asks two things the FAQ answers in one message and says the answer to
    the first did not help; returns the conversation's reference."""
    async with shopper(url, auth={"locale": "nl"}) as (widget, inbox):
        # With the lines a shopper may break it in, and a detail.
        sent = await _ask(
            widget, "Hoe lang duurt de levering?\nIk woon in Utrecht.\nEn kan ik met iDEAL betalen?"
        )
        await inbox.wait_for(
            "message", lambda _: len([m for m in inbox.of("message") if m["author"] == "bot"]) == 2
        )
        answers = [m for m in inbox.of("message") if m["author"] == "bot"]
        # (the second time, the first time's learned answer answers the delivery time)
        assert [a["meta"]["kind"] for a in answers] == ["answer", "answer"]
        assert answers[1]["meta"]["entry_id"] == "betaalmethoden"
        rated = await call(
            widget, "/shopper", "feedback", {"seq": answers[0]["seq"], "helpful": False}
        )
        assert rated["ok"], rated
    return {"conversation_id": sent["conversation"]["id"]}


async def test_an_agent_s_answer_after_one_of_two_answers_did_not_help_learns_that_question(
    config_path: Path,
) -> None:
    """Of a message asking two things, both answered by the bot, the shopper said the
    first answer did not help: an agent's later reply answers that question (with the
    detail that goes with it), and it alone is learned, while the server runs and from the
    store after a restart."""
    questions = await _learned_live_and_after_restart(
        config_path, _says_one_of_two_answers_did_not_help
    )
    assert questions == ["Hoe lang duurt de levering? Ik woon in Utrecht"] * 2


async def _asks_two_and_leaves_the_second(
    url: str, first: str, second: str, after: tuple[str, ...] = ()
) -> dict[str, Any]:
    """A shopper asks two questions the bot cannot answer, then leaves the second for the
    next shift through the form (which opens holding it), then writes `after`; returns the
    reference."""
    async with shopper(url, auth={"locale": "nl"}) as (widget, inbox):
        for text in (first, second):
            sent = await _ask(widget, text)
            seq = sent["message"]["seq"]
            reply = await inbox.wait_for(
                "message",
                lambda m, seq=seq: m["author"] == "bot" and m["meta"].get("question_seq") == seq,
            )
            assert reply["meta"]["kind"] != "answer", (text, reply)
        left = await call(
            widget,
            "/shopper",
            "leave_question",
            {"client_id": new_client_id(), "text": second, "email": "sam@example.com"},
        )
        assert left["ok"], left
        for text in after:
            await _ask(widget, text)
    return {"conversation_id": sent["conversation"]["id"]}


async def test_an_answer_to_a_left_question_learns_that_question_alone(
    config_path: Path,
) -> None:
    """Found by a walkthrough: a shopper asked the bot two things it could not answer and
    left the second through the form; the agent's answer to it was learned with both
    questions as one, and would have answered the first with the second's answer. The
    form held one question, and that is the one learned: while the server runs, and when
    the question is read back from the store after a restart, also after the shopper wrote
    more than a question is made of, and after an agent's "let me check"."""
    first, second = UNKNOWN_QUESTIONS
    # Two more the shipped FAQ has no answer for (the first two are learned by then).
    third, fourth = (
        "Verkopen jullie ook eenwielers voor circusartiesten?",
        "Geven jullie cursussen fietsen repareren voor kinderen?",
    )
    # Written after leaving it: more than the messages a question is made of.
    after = ("Ik ben morgen de hele dag thuis.", "Mailen mag ook.", "Groetjes van Sam.")
    async with running(config_path) as live:
        ref = await _asks_two_and_leaves_the_second(live.url, first, second, after)
        learned = (await _takes_and_replies(live.url, ref, ANSWER, reusable=True))["learned"]
        ref_after_restart = await _asks_two_and_leaves_the_second(live.url, third, fourth, after)
    async with running(config_path) as live:
        # "Let me check" first: the reusable answer after it answers the left question too.
        replied = await _takes_and_replies(
            live.url, ref_after_restart, ANSWER, reusable=True, first=("Momentje, ik kijk even.",)
        )
    questions = _learned_questions(config_path, learned, replied["learned"])
    assert questions == [second, fourth]


async def _picks_a_choice_then_asks(url: str, question: str) -> dict[str, Any]:
    """A shopper asks vaguely ("levering"), is offered choices, picks one and gets its
    answer, then asks `question`, which the bot cannot answer; returns the reference."""
    async with shopper(url, auth={"locale": "nl"}) as (widget, inbox):
        await call(
            widget, "/shopper", "message", {"client_id": new_client_id(), "text": "levering"}
        )
        offer = await inbox.wait_for("message", lambda m: m["author"] == "bot")
        assert offer["meta"]["kind"] == "suggest", offer
        picked = offer["meta"]["choices"][0]["question"]
        for text, kind in ((picked, "answer"), (question, None)):
            sent = await call(
                widget, "/shopper", "message", {"client_id": new_client_id(), "text": text}
            )
            seq = sent["message"]["seq"]
            reply = await inbox.wait_for(
                "message",
                lambda m, seq=seq: m["author"] == "bot" and m["meta"].get("question_seq") == seq,
            )
            assert kind is None or reply["meta"]["kind"] == kind, reply
    return {"conversation_id": sent["conversation"]["id"]}


async def test_a_question_settled_by_a_picked_choice_is_not_part_of_the_learned_one(
    config_path: Path,
) -> None:
    """A vague question the shopper settled by picking one of the bot's choices, and the
    choice itself, are not part of the question an agent's later reply answers, while the
    server runs and when the question is read back from the store after a restart."""
    questions = await _learned_live_and_after_restart(config_path, _picks_a_choice_then_asks)
    assert questions == list(UNKNOWN_QUESTIONS)


@pytest.mark.parametrize(
    ("holding", "kept_first"),
    [
        # Said in words that only hold the shopper: no answer, nothing kept of it.
        (("Een moment", "Goede vraag, ik zoek het even voor je uit!"), False),
        # A longer reply not marked reusable: kept, then rejected for the answer after it.
        (("Een moment", "Dat weet ik niet uit mijn hoofd, daar kom ik zo op terug."), True),
    ],
)
async def test_a_reply_marked_reusable_after_a_let_me_check_learns_the_question(
    config_path: Path, holding: tuple[str, str], kept_first: bool
) -> None:
    """An agent who first says "let me check" (too short to count, or a longer reply not
    marked reusable) and then sends the answer marked reusable teaches the bot that answer:
    the "let me check" is no answer, and a candidate kept of it is rejected."""
    async with running(config_path) as live:
        async with shopper(live.url, auth={"locale": "nl"}) as (widget, _):
            sent = await call(
                widget,
                "/shopper",
                "message",
                {"client_id": new_client_id(), "text": UNKNOWN_QUESTIONS[0]},
            )
        ref = {"conversation_id": sent["conversation"]["id"]}
        ack = await _takes_and_replies(live.url, ref, ANSWER, reusable=True, first=holding)
        assert ack["learned"]["status"] == "approved"
        reply = await _bot_reply(live.url, UNKNOWN_QUESTIONS[0].lower().rstrip("?"))
        assert (reply["meta"]["kind"], reply["text"]) == ("answer", ANSWER)
    database = sqlite3.connect(config_path.parent / "data" / "loket.db")
    kept = database.execute("SELECT question, answer, status FROM learned ORDER BY id").fetchall()
    database.close()
    assert kept == [
        *([(UNKNOWN_QUESTIONS[0], holding[1], "rejected")] if kept_first else []),
        (UNKNOWN_QUESTIONS[0], ANSWER, "approved"),
    ]


async def test_a_reply_after_one_that_only_holds_the_shopper_is_the_candidate(
    config_path: Path,
) -> None:
    """ "Hi, let me have a look at the workshop diary for you." answers nothing: the
    agent's next reply, not marked reusable, is the candidate the admins review."""
    answer = "We can fit you in on Thursday at 10, the service takes about two hours."
    async with running(config_path) as live:
        async with shopper(live.url, auth={"locale": "en"}) as (widget, _):
            sent = await _ask(widget, "Can I book my bike in for a service this week?")
        ref = {"conversation_id": sent["conversation"]["id"]}
        first = ("Hi, let me have a look at the workshop diary for you.",)
        await _takes_and_replies(live.url, ref, answer, reusable=False, first=first)
    database = sqlite3.connect(config_path.parent / "data" / "loket.db")
    kept = database.execute("SELECT question, answer, status FROM learned ORDER BY id").fetchall()
    database.close()
    assert kept == [("Can I book my bike in for a service this week?", answer, "candidate")]


async def test_an_ok_to_the_let_me_check_leaves_the_question_to_the_reusable_answer(
    config_path: Path,
) -> None:
    """The shopper's "Oke, dank je!" to the agent's "let me check" asks nothing: the answer
    marked reusable after it still answers the question before. (A "let me check" in words
    Loket knows for one keeps nothing; this one it takes for an answer, then rejects.)"""
    check = "Dat weet ik niet uit mijn hoofd, daar kom ik zo op terug."
    async with (
        running(config_path) as live,
        shopper(live.url, auth={"locale": "nl"}) as (widget, _),
    ):
        sent = await _ask(widget, UNKNOWN_QUESTIONS[1])
        ref = {"conversation_id": sent["conversation"]["id"]}
        token = await login(live.url, "anna", AGENT_PASSWORD)
        async with agent(live.url, token) as (desk, _):
            await call(desk, "/agent", "take", ref)
            held = {**ref, "client_id": new_client_id(), "text": check, "reusable": False}
            await call(desk, "/agent", "message", held)
            await _ask(widget, "Oke, dank je!")
            answer = {**ref, "client_id": new_client_id(), "text": ANSWER, "reusable": True}
            ack = await call(desk, "/agent", "message", answer)
    assert ack["learned"]["status"] == "approved"
    database = sqlite3.connect(config_path.parent / "data" / "loket.db")
    kept = database.execute("SELECT question, answer, status FROM learned ORDER BY id").fetchall()
    database.close()
    assert kept == [
        (UNKNOWN_QUESTIONS[1], check, "rejected"),
        (UNKNOWN_QUESTIONS[1], ANSWER, "approved"),
    ]


async def test_a_reply_and_what_is_learned_from_it_share_one_commit(config_path: Path) -> None:
    """The agent's reply and the candidate learned from it are written in one transaction."""
    async with running(config_path) as live:
        async with shopper(live.url, auth={"locale": "nl"}) as (widget, _):
            sent = await call(
                widget, "/shopper", "message", {"client_id": new_client_id(), "text": QUESTION}
            )
            ref = {"conversation_id": sent["conversation"]["id"]}
            await live.services.conversations.drain()  # the bot's answer
            token = await login(live.url, "anna", AGENT_PASSWORD)
            async with agent(live.url, token) as (desk, _):
                await call(desk, "/agent", "take", ref)
                await live.services.conversations.drain()  # the line saying anna has it
                db = live.services.store.db
                before = db.batches
                ack = await call(
                    desk,
                    "/agent",
                    "message",
                    {**ref, "client_id": new_client_id(), "text": ANSWER, "reusable": False},
                )
                assert ack["learned"]["status"] == "candidate"
                assert db.batches == before + 1
        stored = await live.services.store.learned(ack["learned"]["id"])
        assert stored is not None
        assert (stored.question, stored.answer) == (QUESTION, ANSWER)


async def test_nothing_is_learned_from_a_reply_that_was_not_stored(config_path: Path) -> None:
    """A learned pair tied to a reply is kept only if that reply is in the store under its
    sequence number: not for a reply never stored, nor for one whose client id is stored
    under another number (its write failed, and its resend was numbered anew)."""
    async with running(config_path) as live:
        store = live.services.store
        async with shopper(live.url, auth={"locale": "nl"}) as (widget, _):
            sent = await call(
                widget, "/shopper", "message", {"client_id": new_client_id(), "text": QUESTION}
            )
        conversation_id = sent["conversation"]["id"]
        stored = await store.message(conversation_id, sent["message"]["seq"])
        assert stored is not None

        def pair(reply: MessageRecord) -> Any:
            return store.add_learned(
                QUESTION,
                ANSWER,
                language="nl",
                agent_id=None,
                conversation_id=conversation_id,
                approved=False,
                personal=[],
                now=0,
                with_message=reply,
            )

        assert await pair(replace(stored, client_id="a-reply-that-was-never-stored")) is None
        assert await pair(replace(stored, seq=stored.seq + 5)) is None
        assert await store.learned_by_status("candidate") == []
        kept = await pair(stored)
        assert kept is not None and (kept.question, kept.answer) == (QUESTION, ANSWER)


async def test_a_reply_sent_again_after_a_failed_write_is_learned(config_path: Path) -> None:
    """When an agent's reply could not be stored, nothing is learned from it; sent again, it
    is stored and learned with the question it answers, however slowly the store settles
    the pair that was not kept (the agent hears of the failure only after that)."""
    async with running(config_path) as live:
        store = live.services.store
        make = store.insert_message_op
        failures = [1]
        add_learned = store.add_learned

        def slowly_settled(*args: Any, **kwargs: Any) -> Any:
            stored = add_learned(*args, **kwargs)

            async def later() -> Any:
                await asyncio.sleep(0.3)
                return await stored

            return asyncio.ensure_future(later())

        store.add_learned = slowly_settled  # type: ignore[method-assign]

        def insert_message_op(message: Any) -> Any:
            if message.author != "agent" or not failures:
                return make(message)
            failures.pop()

            async def broken(conn: object) -> None:
                raise sqlite3.OperationalError("disk I/O error")

            return broken

        store.insert_message_op = insert_message_op  # type: ignore[method-assign]
        async with shopper(live.url, auth={"locale": "nl"}) as (widget, _):
            sent = await call(
                widget, "/shopper", "message", {"client_id": new_client_id(), "text": QUESTION}
            )
            ref = {"conversation_id": sent["conversation"]["id"]}
            await live.services.conversations.drain()
            token = await login(live.url, "anna", AGENT_PASSWORD)
            async with agent(live.url, token) as (desk, _):
                await call(desk, "/agent", "take", ref)
                reply = {**ref, "client_id": new_client_id(), "text": ANSWER, "reusable": False}
                failed = await call(desk, "/agent", "message", reply)
                assert failed["error"]["code"] == "store_failed"
                assert await store.learned_by_status("candidate") == []
                again = await call(desk, "/agent", "message", reply)
                assert again["ok"] and again["duplicate"] is False
                assert again["learned"]["status"] == "candidate"
        (learned,) = await store.learned_by_status("candidate")
        assert (learned.question, learned.answer) == (QUESTION, ANSWER)


async def test_a_learned_question_leaves_small_talk_out_and_keeps_its_personal_data_check(
    config_path: Path,
) -> None:
    """The question kept is what the shopper asked, without their "hoi", each message a
    sentence; and an admin who edits only the answer cannot approve a question that still
    holds the shopper's name or address: both texts are checked again, the name included."""
    customer = {
        "id": "c-7",
        "signature": customer_signature("shop-secret-0123456789abcdef", "c-7"),
        "name": "Sanne Jansen",
    }
    messages = ["Hoi!", "Sanne hier, ik woon op Kerkstraat 12", "Kan de bank naar mijn werk?"]
    answer = "Ja hoor, Sanne: mail het adres van je werk naar anna@winkel.nl."
    async with running(config_path) as live:
        ack = await _agent_answers(live.url, messages, answer, reusable=True, customer=customer)
    learned = ack["learned"]
    assert learned["status"] == "candidate"
    assert learned["personal"] == ["address", "email", "name"]
    database = sqlite3.connect(config_path.parent / "data" / "loket.db")
    (question,) = database.execute(
        "SELECT question FROM learned WHERE id = ?", (learned["id"],)
    ).fetchone()
    database.close()
    assert question == "Sanne hier, ik woon op Kerkstraat 12. Kan de bank naar mijn werk?"

    number = str(learned["id"])
    answer = "Ja, we bezorgen ook op een werkadres; geef het op bij het afrekenen."
    code, _, err = await run_loket(config_path, "learned", "approve", number, "--answer", answer)
    assert code == 1 and "personal data (address, name)" in err, err
    # An edited question must ask something: not a lone letter, a greeting, or nothing.
    for bad, said in (("x", "no word to match"), ("Hoi!", "only small talk"), ("", "empty")):
        code, _, err = await run_loket(
            config_path, "learned", "approve", number, "--answer", answer, "--question", bad
        )
        assert code == 2 and said in err and "nothing was changed" in err, err
    code, _, err = await run_loket(
        config_path,
        "learned",
        "approve",
        number,
        "--answer",
        answer,
        "--question",
        "Kunnen jullie de bank op mijn werkadres bezorgen?",
    )
    assert code == 0, err


async def test_a_reply_not_marked_reusable_is_checked_for_personal_data_when_reviewed(
    config_path: Path,
) -> None:
    """Only a reusable reply is checked as it is sent; any other is a candidate whose
    personal data (the shopper's name included) is found when it is listed for review."""
    customer = {
        "id": "c-8",
        "signature": customer_signature("shop-secret-0123456789abcdef", "c-8"),
        "name": "Joris Bakker",
    }
    question = "Kan ik de kast ook laten ophalen als hij niet bevalt?"
    answer = "Zeker Joris, mail de foto's naar retour@winkel.nl en we plannen het ophalen."
    async with running(config_path) as live:
        ack = await _agent_answers(live.url, question, answer, reusable=False, customer=customer)
    learned = ack["learned"]
    assert learned["status"] == "candidate"
    assert learned["personal"] is None
    code, listed, _ = await run_loket(config_path, "learned", "list")
    assert code == 0 and f"#{learned['id']} (nl)  [personal data: email, name]" in listed, listed
    code, _, err = await run_loket(config_path, "learned", "approve", str(learned["id"]))
    assert code == 1 and "personal data (email, name)" in err, err


async def test_an_answer_signed_with_the_agents_name_waits_for_review(
    config_path: Path,
) -> None:
    """A reusable reply that ends "Groetjes, Anna" would have the bot sign as the agent: it
    is kept for review with the kind `agent_name`, and found again when an admin approves
    it as it is; without the sign-off it is approved."""
    question = "Kan ik een cadeau laten inpakken?"
    answer = "Ja, inpakken kan gratis: vink het aan bij het afrekenen. Groetjes, Anna"
    async with running(config_path) as live:
        ack = await _agent_answers(live.url, question, answer, reusable=True)
    learned = ack["learned"]
    assert (learned["status"], learned["personal"]) == ("candidate", ["agent_name"])
    number = str(learned["id"])
    code, _, err = await run_loket(config_path, "learned", "approve", number)
    assert code == 1 and "personal data (agent_name)" in err, err
    unsigned = "Ja, inpakken kan gratis: vink het aan bij het afrekenen."
    code, _, err = await run_loket(config_path, "learned", "approve", number, "--answer", unsigned)
    assert code == 0, err


async def test_a_question_answered_again_gets_the_newest_answer(config_path: Path) -> None:
    """Two agents answer one question differently, both marking it reusable: the bot gives
    the later answer outright (no "did you mean" between one question twice), the export
    holds that answer alone, and an edit of several answers at once is refused."""
    question = "Verkopen jullie ook bagagedragers?"
    old = "Ja, bagagedragers van Basil vind je onder Accessoires."
    new = "Nee, bagagedragers verkopen we helaas niet meer."
    async with running(config_path) as live:
        first = await _agent_answers(live.url, question, old, reusable=True)
        second = await _agent_answers(live.url, question, new, reusable=True)
        assert first["learned"]["status"] == second["learned"]["status"] == "approved"
        reply = await _bot_reply(live.url, "verkopen jullie ook bagagedragers")
        assert (reply["meta"]["kind"], reply["text"]) == ("answer", new)
        code, exported, _ = await run_loket(config_path, "learned", "export")
        assert code == 0 and new in exported and old not in exported
        ids = [str(first["learned"]["id"]), str(second["learned"]["id"])]
        code, _, err = await run_loket(
            config_path, "learned", "approve", *ids, "--question", "Bagagedragers?"
        )
        assert code == 2 and "give one id" in err


async def test_a_picked_choice_is_answered_not_offered_again(config_path: Path) -> None:
    """An agent's reusable answer to an FAQ question, in other words than the FAQ's: both
    ask the same. Asked exactly that, the bot answers rather than offer the shopper their
    own question back; asked vaguely, it offers one button for the two (not two alike), and
    the shopper who presses it gets an answer instead of the same choice again."""
    question = "Kan ik achteraf betalen?"
    answer = "Achteraf betalen kan met Riverty, tot 30 dagen na levering en tot 500 euro."
    async with running(config_path) as live:
        ack = await _agent_answers(live.url, question, answer, reusable=True)
        assert ack["learned"]["status"] == "approved"
        exact = await _bot_reply(live.url, question)
        assert exact["meta"]["kind"] == "answer", exact
        async with shopper(live.url, auth={"locale": "nl"}) as (widget, inbox):
            await call(
                widget,
                "/shopper",
                "message",
                {"client_id": new_client_id(), "text": "achteraf betalen of later"},
            )
            offer = await inbox.wait_for("message", lambda m: m["author"] == "bot")
            assert offer["meta"]["kind"] == "suggest", offer
            choices = offer["meta"]["choices"]
            assert [c["question"] for c in choices].count(question) == 1
            (picked,) = [c for c in choices if c["question"] == question]
            await call(
                widget,
                "/shopper",
                "message",
                {"client_id": new_client_id(), "text": picked["question"]},
            )
            reply = await inbox.wait_for(
                "message", lambda m: m["author"] == "bot" and m["seq"] > offer["seq"]
            )
            assert reply["meta"]["kind"] == "answer"
            assert reply["meta"]["entry_id"] == picked["id"]


async def test_the_reads_of_a_chat_that_learns_go_through_indexes(config_path: Path) -> None:
    """The reads a shopper's question, an agent's reusable answer and the bot's next answer
    make find their rows through an index: none reads a whole table of messages, learned
    pairs, misses, callbacks or conversations, which grow with every chat a shop has."""
    growing = ("messages", "learned", "misses", "callbacks", "conversations", "ratings")
    async with running(config_path) as live:
        db = live.services.store.db
        seen: list[tuple[str, tuple[Any, ...]]] = []
        fetch_all = db.fetch_all

        async def recording(sql: str, params: tuple[Any, ...] = ()) -> Any:
            seen.append((sql, params))
            return await fetch_all(sql, params)

        db.fetch_all = recording  # type: ignore[method-assign]
        async with shopper(live.url, auth={"locale": "nl"}) as (widget, _):
            ref = {"conversation_id": (await _ask(widget, QUESTION))["conversation"]["id"]}
        # A holding reply first, in words not known for one (so kept as a candidate): the
        # reusable answer then takes the question over.
        holding = ("Dat weet ik niet uit mijn hoofd, daar kom ik zo op terug.",)
        await _takes_and_replies(live.url, ref, ANSWER, reusable=True, first=holding)
        await _bot_reply(live.url, "kan ik een cadeaubon gebruiken in de uitverkoop")
        db.fetch_all = fetch_all  # type: ignore[method-assign]
        scans = []
        for sql, params in {(sql, params) for sql, params in seen if "SELECT" in sql.upper()}:
            for row in await fetch_all(f"EXPLAIN QUERY PLAN {sql}", params):
                step = row[-1]
                if step.startswith("SCAN ") and step.split()[1] in growing:
                    scans.append(f"{step}: {sql}")
    assert any("FROM learned WHERE conversation_id" in sql for sql, _ in seen)
    assert scans == []
