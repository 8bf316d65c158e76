"""The question a reply answers: its text, and its words told once for small talk and language."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from loket.bot.learning import (
    MAX_QUESTION_CHARS,
    MIN_ANSWER_CHARS,
    asked_question,
    edit_problem,
    group_similar,
    holding_reply,
    no_answer,
    question_before,
    question_of,
    without_small_talk,
)
from loket.bot.normalize import words
from loket.conversations import open_question
from loket.store import MessageRecord

# Letters, accents, combining marks, apostrophes, hyphens, sentence ends, other scripts
# and spaces: what shoppers' messages are made of, and where words could run together.
PIECES = st.sampled_from(
    [
        "hoi",
        "bedankt",
        "waar",
        "is",
        "mijn",
        "pakket",
        "e-mail",
        "track-en-trace",
        "-",
        "--",
        "'",
        "’",
        "s",
        "België",
        "e\u0301",
        "\u0301",
        "Straße",
        "ИЗ",
        "20481",
        ".",
        "?",
        "!",
        "…",
        ":",
        " ",
        "  ",
        "\n",
        "x" * 300,
    ]
)
MESSAGES = st.lists(st.lists(PIECES, max_size=12).map("".join), max_size=4)


@settings(max_examples=2000, deadline=None)
@given(MESSAGES)
def test_the_questions_words_are_those_of_its_text(messages: list[str]) -> None:
    found = asked_question(messages)
    assert (found.text if found else None) == question_of(messages)
    if found is None:
        return
    if found.words is None:
        # Cut short: the caller tells the words of what is left.
        assert len(found.text) == MAX_QUESTION_CHARS
    else:
        assert found.words == words(found.text)


def test_small_talk_is_left_out_of_the_question() -> None:
    found = asked_question(["Hoi!", "Waar blijft mijn e-mail", "bedankt"])
    assert found is not None
    assert found.text == "Waar blijft mijn e-mail"
    assert found.words == ["waar", "blijft", "mijn", "email"]
    assert asked_question(["Hoi!", "bedankt"]) is None


@pytest.mark.parametrize(
    ("text", "question"),
    [
        # A greeting run into the question without a comma, as shoppers type in a chat.
        ("hi is this chain compatible with an 11 speed cassette", "is this chain compatible"),
        ("hello there do you ship to ireland", "do you ship to ireland"),
        ("hoi waar blijft mijn pakket? alvast bedankt", "waar blijft mijn pakket?"),
        ("Hallo zusammen wo ist mein Paket", "wo ist mein Paket"),
        # Words that may ask something themselves stay, and so does a greeting alone.
        ("Morning delivery possible?", "Morning delivery possible?"),
        ("hi there", "hi there"),
        ("hey ok", "hey ok"),
    ],
)
def test_a_greeting_without_a_comma_is_left_out_too(text: str, question: str) -> None:
    assert without_small_talk(text).startswith(question)


def test_a_long_question_is_cut_and_its_words_told_again() -> None:
    found = asked_question(["waar is mijn pakket " * 100])
    assert found is not None
    assert len(found.text) == MAX_QUESTION_CHARS
    assert found.words is None


def test_asking_how_long_it_takes_is_a_question_to_learn() -> None:
    """ "How long does it take?" asked of an agent is the question their reply answers (only
    in the queue for a person is it about that wait)."""
    found = asked_question(["Ik heb gisteren de Gazelle fiets besteld.", "Hoe lang duurt het?"])
    assert found is not None
    assert found.text == "Ik heb gisteren de Gazelle fiets besteld. Hoe lang duurt het?"
    assert without_small_talk("I bought the XL power bank. How long will it take?").endswith(
        "How long will it take?"
    )


def test_a_long_message_before_the_question_goes_first() -> None:
    """A flood or a long story before the question is left out rather than the question."""
    found = asked_question(["🙂" * 2000, "Can I return my hose if it is too short?"])
    assert found is not None
    assert found.text == "Can I return my hose if it is too short?"
    assert found.words == words(found.text)


def _message(seq: int, author: str, text: str, answers: int | None = None) -> MessageRecord:
    meta = {"kind": "answer", "question_seq": answers} if answers is not None else None
    return MessageRecord(1, seq, f"c{seq}", author, None, text, 0, meta)  # type: ignore[arg-type]


def test_how_long_asked_in_the_queue_is_neither_the_form_s_question_nor_learned() -> None:
    """ "Hoe lang duurt het nog?" the bot took as asking about the queue (it answered it as
    such) is no question: the form offered later holds the question before it, and an
    agent's reply is learned with that question."""
    talked = {"kind": "small_talk", "talk": "wait", "question_seq": 3}
    person = {"kind": "small_talk", "talk": "person", "question_seq": 2}
    messages = [
        _message(1, "shopper", "Kan ik mijn bestelling 4411 nog annuleren?"),
        _message(2, "shopper", "ik wil een medewerker spreken"),
        MessageRecord(1, 3, "c3", "shopper", None, "hoe lang duurt het nog?", 0, None),
        MessageRecord(1, 4, "c4", "bot", None, "Een collega komt zo bij je.", 0, talked),
        MessageRecord(1, 5, "c5", "bot", None, "Natuurlijk!", 0, person),
    ]
    found = open_question(messages)
    assert found is not None and found.seq == 1
    reply = _message(6, "agent", "Ja, dat kan nog: ik heb hem voor je geannuleerd.")
    assert question_before([*messages, reply], 6) == "Kan ik mijn bestelling 4411 nog annuleren?"


def test_what_the_bot_answered_and_the_shopper_went_on_from_is_no_longer_asked() -> None:
    """The question read back from the store leaves out what the bot answered once the
    shopper wrote again, also when the bot's answer came after the next message; the last
    message stays (an agent replying right after the bot answers it again), and what the bot
    could not answer stays."""
    a, b = "Hoe lang duurt de levering?", "Verkopen jullie ook paarse bakfietsen?"
    answered_late = [
        _message(1, "shopper", a),
        _message(2, "shopper", b),
        _message(3, "bot", "…", 1),
    ]
    assert question_before(answered_late, 4) == b
    answered_first = [
        _message(1, "shopper", a),
        _message(2, "bot", "…", 1),
        _message(3, "shopper", b),
    ]
    assert question_before(answered_first, 4) == b
    answered_last = [_message(1, "shopper", a), _message(2, "bot", "…", 1)]
    assert question_before(answered_last, 3) == a
    not_answered = [_message(1, "shopper", a), _message(2, "bot", "…"), _message(3, "shopper", b)]
    assert question_before(not_answered, 4) == f"{a} {b}"
    after_an_agent = [
        _message(1, "shopper", a),
        _message(2, "agent", "Binnen twee werkdagen, meestal morgen al."),
        _message(3, "shopper", b),
    ]
    assert question_before(after_an_agent, 4) == b


def test_a_reply_too_short_to_answer_leaves_the_question_to_the_next() -> None:
    """'Een moment' is no answer: the reply after it answers what was asked before it. Past
    the agent's own replies (as for a reply marked reusable after a 'let me check') the
    question is the one before them."""
    a = "Verkopen jullie ook paarse bakfietsen?"
    check = "Dat weet ik niet uit mijn hoofd, daar kom ik zo op terug."
    held = [_message(1, "shopper", a), _message(2, "agent", "Een moment")]
    assert question_before(held, 3) == a
    # Nor is a longer reply that only holds the shopper.
    looking = [_message(1, "shopper", a), _message(2, "agent", "Goede vraag, ik kijk even!")]
    assert question_before(looking, 3) == a
    checked = [_message(1, "shopper", a), _message(2, "agent", check)]
    assert question_before(checked, 3) is None
    assert question_before(checked, 3, past_replies_since=0) == a
    # "Oke, dank je!" to the "let me check" asks nothing: the question is before it.
    thanked = [*checked, _message(3, "shopper", "Oke, dank je!")]
    assert question_before(thanked, 4) is None
    assert question_before(thanked, 4, past_replies_since=0) == a
    # Nor does a question of an earlier visit count: only what was written since then.
    later = replace(_message(3, "shopper", "hoi"), created_at=50_000)
    assert question_before([*checked, later], 4, past_replies_since=40_000) is None


@pytest.mark.parametrize(
    ("reply", "holding"),
    [
        ("Hi, let me have a look at the workshop diary for you.", True),
        ("Sure, let me see.", True),
        ("One moment please!", True),
        ("Let me check with the workshop and I will get back to you about the price", True),
        ("Goede vraag, ik zoek het even voor je uit!", True),
        ("Ik ga het even navragen bij het magazijn.", True),
        ("Einen Moment bitte, ich schaue nach.", True),
        # With the answer in it, or no holding at all.
        ("Let me check: delivery takes 2 days.", False),
        ("Let me see, yes we ship to Ireland for 9.95.", False),
        ("We can true your wheel for 15 pounds, drop it in any day.", False),
        ("Hi Sanne, thanks for your question.", False),
        ("Let me know if you need anything else!", False),
        # Telling the shopper where to look, or a word that begins something else.
        ("Kijk even in je spammap.", False),
        ("Zoek op Gazelle in de zoekbalk.", False),
        ("Checking out with PayPal works fine", False),
        ("Moment of delivery is between 9 and 12", False),
        ("I will find a replacement tube and send it tomorrow", False),
        ("Hold on, that is free.", False),
        ("Even geduld alsjeblieft.", True),
        ("Een moment geduld a.u.b.", True),
        ("Hi Anna, let me check", True),
        ("Thanks for waiting, let me check", True),
        ("Ich checke das kurz", True),
        ("Let me check with the workshop and I'll get back to you", True),
        # A holding phrase and then the answer, in one sentence.
        ("I'm looking at your order now and it shipped yesterday", False),
        ("I'll check with the workshop but it should be ready Friday", False),
        ("Sure, I'll see you Saturday!", False),
        ("Ik kijk even en hij is op voorraad", False),
        ("Ich sehe keine Bestellung auf Ihren Namen.", False),
        ("I'm looking forward to seeing you on Saturday", False),
    ],
)
def test_a_reply_that_only_holds_the_shopper_is_told(reply: str, holding: bool) -> None:
    assert holding_reply(reply) is holding
    # Marked a reusable answer by the agent, any reply long enough is one.
    long_enough = len(reply) >= MIN_ANSWER_CHARS
    assert no_answer(reply) is (holding or not long_enough)
    assert no_answer(reply, reusable=True) is not long_enough


def test_greetings_and_thanks_around_a_question_are_left_out() -> None:
    """The learned question is what the shopper asked, as the bot later offers it as a
    choice: not "Hi! …" or "… Thanks in advance!"; a sign-off with a name stays."""
    assert question_of(["Hi! Do you sell bikes for kids?"]) == "Do you sell bikes for kids?"
    assert question_of(["Hoi, waar blijft mijn pakket? Alvast bedankt!"]) == (
        "waar blijft mijn pakket?"
    )
    assert question_of(["Hallo", "Guten Tag,\nliefert ihr nach Wien?\nDanke im Voraus"]) == (
        "liefert ihr nach Wien?"
    )
    assert question_of(["Thanks, but where is my order?"]) == "but where is my order?"
    assert question_of(["Ik wil iets retourneren.\nGroetjes, Sanne"]) == (
        "Ik wil iets retourneren.\nGroetjes, Sanne"
    )


def test_questions_alike_only_in_their_common_words_are_not_one_group() -> None:
    """Misses and candidates are grouped by what they ask about: "Do you sell skateboards?"
    and "Do you sell kites?" share only "do you sell", and are two questions to act on;
    two wordings of the discount code question are one."""
    asked = [
        "Do you sell skateboards?",
        "Do you sell surfboards?",
        "do you sell longboards",
        "Do you sell kites?",
        "waar vind ik mijn kortingscode",
        "Waar voer ik de kortingscode in?",
        # One word held in another question's is no wording of it.
        "my order?",
        "Can I change my order?",
    ]
    groups = group_similar(asked, lambda text: text)
    assert sorted(map(len, groups)) == [1, 1, 1, 1, 1, 1, 2], groups
    assert ["waar vind ik mijn kortingscode", "Waar voer ik de kortingscode in?"] in groups


@pytest.mark.parametrize(
    ("question", "problem"),
    [
        ("tv?", None),
        ("运费多少？", None),
        ("Сколько стоит доставка?", None),
        ("  Wat kost verzenden?  " + " " * 990, None),
        ("x", "no word to match"),
        ("Ü?", "no word to match"),
        ("€?", "no word to match"),
        ("  ", "empty"),
        ("Hallo!", "only small talk"),
        ("Medewerker", "only small talk"),
        ("a" * 1001, "longer than 1000"),
    ],
)
def test_an_edited_question_must_ask_something(question: str, problem: str | None) -> None:
    """What an admin writes as a learned question: a real question in any script, not a
    lone letter, an empty text or small talk the bot answers before it matches."""
    found = edit_problem(question, None)
    assert (found is None) if problem is None else (found is not None and problem in found)
    assert edit_problem(None, " \n") == "the answer is empty"
    assert edit_problem(None, "Ja.") is None


def test_a_question_left_through_the_form_is_what_the_reply_answers() -> None:
    """Read back from the store: the reply to a question left through the form answers it
    alone (not the question the bot was asked before it, nor what the shopper wrote after
    it, nudges included), also a day later after a "let me check"; not a question left
    before the conversation last closed, nor once an agent answered since."""
    first, left = "Verkopen jullie ook kruiwagens?", "Verkopen jullie ook heggenscharen?"
    note = {"kind": "question_left", "left_as": "form-1", "question_seq": 3}
    messages = [
        _message(1, "shopper", first),
        _message(2, "bot", "Dat weet ik niet zeker."),
        _message(3, "shopper", left),
        _message(4, "bot", "Dat weet ik niet zeker."),
        MessageRecord(1, 5, "callback:c3", "system", None, "Je vraag is bewaard.", 1000, note),
        _message(6, "shopper", "Ik ben morgen thuis."),
        _message(7, "shopper", "Mailen mag ook."),
        _message(8, "shopper", "Al nieuws?"),
    ]
    assert question_before(messages, 9) == left
    now = 2 * 86_400_000
    checking = [
        *messages,
        replace(_message(9, "agent", "Ik zoek het voor je uit!"), created_at=now),
    ]
    assert question_before(checking, 10, past_replies_since=now - 1_800_000) == left
    # Left before the conversation last closed: the shopper's last messages, as ever.
    joined = "Ik ben morgen thuis. Mailen mag ook. Al nieuws?"
    assert question_before(messages, 9, left_after=2000) == joined
    # Answered since: the reply after that answers what came after it.
    answered = [
        *messages[:5],
        _message(6, "agent", "Ja, heggenscharen van Bosch vanaf 89 euro."),
        _message(7, "shopper", "Hebben jullie ook kinderzitjes voor de bakfiets?"),
    ]
    assert question_before(answered, 8) == "Hebben jullie ook kinderzitjes voor de bakfiets?"
