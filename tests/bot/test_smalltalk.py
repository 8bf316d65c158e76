"""Small talk: greetings, thanks, goodbyes and a plain "ok" are told from questions."""

from __future__ import annotations

import pytest

from loket.bot.smalltalk import small_talk


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("hi", ("greeting", "en")),
        ("Hoi!", ("greeting", "nl")),
        ("Goedemorgen allemaal", ("greeting", "nl")),
        ("Hallo", ("greeting", None)),  # Dutch and German alike
        ("guten Morgen", ("greeting", "de")),
        ("Thanks a lot!", ("thanks", "en")),
        ("Dank je wel voor de hulp", ("thanks", "nl")),
        ("Danke!", ("thanks", None)),
        ("danke schön", ("thanks", "de")),
        ("Vielen Dank für die Hilfe", ("thanks", "de")),
        ("dank u wel", ("thanks", "nl")),
        ("Auf Wiedersehen", ("goodbye", "de")),
        ("ok, bedankt", ("thanks", "nl")),
        ("Tot ziens!", ("goodbye", "nl")),
        ("fijne dag", ("goodbye", "nl")),
        ("ok", ("ack", None)),
        ("prima", ("ack", "nl")),
    ],
)
def test_small_talk_is_recognised(text: str, expected: tuple[str, str | None]) -> None:
    assert small_talk(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "?",
        "shipping?",
        "morgen?",  # Dutch for "tomorrow?": a question, not a greeting
        "Hoi, ik heb een vraag over mijn bestelling",
        "Hi there! I bought a bike and the gears are slipping. Is that covered?",
        "thanks, but when does my order arrive",
        "hello hello hello hello hello hello hello hello hello",  # too long to be only that
    ],
)
def test_anything_else_is_left_to_the_faq(text: str) -> None:
    assert small_talk(text) is None
