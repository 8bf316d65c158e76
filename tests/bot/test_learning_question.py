"""The question a reply answers: its text, and its words told once for small talk and language."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from loket.bot.learning import MAX_QUESTION_CHARS, asked_question, question_of
from loket.bot.normalize import words

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


def test_a_long_question_is_cut_and_its_words_told_again() -> None:
    found = asked_question(["waar is mijn pakket " * 100])
    assert found is not None
    assert len(found.text) == MAX_QUESTION_CHARS
    assert found.words is None
