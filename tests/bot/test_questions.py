"""Telling the questions of one shopper message apart (`loket.bot.questions`)."""

from __future__ import annotations

import time

import pytest

from loket.bot.faq import FaqEntry
from loket.bot.matcher import MatchResult
from loket.bot.questions import MAX_QUESTIONS, EachAnswered, answer_each, question_parts


@pytest.mark.parametrize(
    ("text", "parts"),
    [
        (
            "How long does delivery take? Can I pay with PayPal?",
            ["How long does delivery take?", "Can I pay with PayPal?"],
        ),
        (
            "how much is shipping and how long does delivery take",
            ["how much is shipping", "how long does delivery take"],
        ),
        (
            "warranty on golf clubs and do you accept golf balls as trade in",
            ["warranty on golf clubs", "do you accept golf balls as trade in"],
        ),
        (
            "hoe lang duurt de levering en kan ik met paypal betalen?",
            ["hoe lang duurt de levering", "kan ik met paypal betalen?"],
        ),
        (
            "bezorgen jullie in belgie? hebben jullie een winkel in gent",
            ["bezorgen jullie in belgie?", "hebben jullie een winkel in gent"],
        ),
        (
            "Wie lange dauert der Versand? Und kann ich auf Rechnung zahlen",
            ["Wie lange dauert der Versand?", "Und kann ich auf Rechnung zahlen"],
        ),
        (
            "livrez-vous en Belgique et combien coûte la livraison ?",
            ["livrez-vous en Belgique", "combien coûte la livraison ?"],
        ),
        # A later question that names one thing, but says whom it asks.
        (
            "Kan ik met iDEAL betalen? En hebben jullie ook spaakreflectoren?",
            ["Kan ik met iDEAL betalen?", "En hebben jullie ook spaakreflectoren?"],
        ),
        (
            "How long does delivery take? And do you sell candles?",
            ["How long does delivery take?", "And do you sell candles?"],
        ),
    ],
)
def test_each_question_of_a_message_is_told_apart(text: str, parts: list[str]) -> None:
    """Sentences that ask, and "and" / "en" / "und" / "et" before a question's first
    words, separate the questions of a message, in the four languages the bot speaks."""
    assert question_parts(text) == parts


def test_details_stay_with_their_question() -> None:
    """A sentence that asks nothing belongs to the question before it, or to the first
    question when it comes before any ("I ordered on Monday. Where is it?")."""
    assert question_parts("Do you deliver tiles? It's 40 m2. And can I pay with PayPal?") == [
        "Do you deliver tiles? It's 40 m2.",
        "And can I pay with PayPal?",
    ]
    assert question_parts("Hi. I ordered on Monday. Where is my parcel? Can I return it?") == []
    assert question_parts(
        "Hi. I ordered on Monday. Where is my parcel? And what does a return cost?"
    ) == ["Hi. I ordered on Monday. Where is my parcel?", "And what does a return cost?"]


@pytest.mark.parametrize(
    "text",
    [
        # One question, with alternatives.
        "can I pay by card or do I need paypal",
        # A statement, then its question.
        "I ordered last week. When will it come?",
        # "it" is what the first question named: asked alone it would be another question.
        "do you deliver to the usa and how much is it",
        "wie lange dauert der versand nach österreich und was kostets",
        # A greeting before a statement is no verb before its subject.
        "dag, ik heb vorige week een ketting besteld. is er iets misgelopen?",
        # An exclamation asks nothing.
        "what a lovely shop! do you ship to ireland?",
        # Too short to stand alone.
        "retour? verzendkosten?",
        "really? how long does delivery take",
        # French "en" is no "and".
        "vous livrez en combien de temps",
        # "and" inside a name of a thing.
        "where is my order and click and collect dublin",
        # A full stop inside a number or an address.
        "is 2.5 kg the limit for www.shop.nl parcels?",
        # Follow-ups that name too little, or point back, to be asked alone.
        "Zit er garantie op? Hoe lang?",
        "Hat der Kühlschrank Garantie? Wie lange?",
        "Combien coûte la livraison ? Et en combien de temps ?",
        "Do you deliver in the evening? And on Sundays?",
        "Ist der Versand kostenlos? Ab welchem Betrag?",
        "Is the tent waterproof? How about in heavy rain?",
        "Do you ship to Ireland? If so, how much?",
        "Kan ik mijn bestelling ophalen? Zo ja, waar?",
        "Can I pay by card? Or do I need PayPal?",
        "Can I pay with Klarna? Is there interest?",
        "Hebben jullie een winkel? Waar zit die?",
        "Is de jas ook in maat L? Wanneer komt die weer binnen?",
        "Gibt es einen Gutschein? Wo kann ich ihn einlösen?",
        "Avez-vous ce modèle en taille 40 ? Quand sera-t-il disponible ?",
        "Puis-je retourner un article ? Est-ce gratuit ?",
        "Wat zijn de verzendkosten naar België? Hoe lang duurt de levering daar?",
        # The first question is about something before the message.
        "Can I return it? Do I need the box?",
        # Greetings, how-are-you's and requests name nothing.
        "Hi, how are you? Where is my order?",
        "Hallo, wie geht's? Wo ist meine Bestellung?",
        "Bonjour, comment allez-vous ? Où est ma commande ?",
        "Where is my order? Order number 12345. Can you please check?",
        # Statements that start like questions end in a full stop.
        "Heb vorige week besteld. Is nog steeds niet binnen. Kan ik het volgen?",
        "Would love to order the sofa. How long does delivery take?",
        # A statement after the first question, however it ends.
        "Which size should I take? I'm normally an M but your sizes run small?",
    ],
)
def test_a_message_asking_one_thing_is_not_split(text: str) -> None:
    """Messages that ask one thing, however they are written, are no list of questions."""
    assert question_parts(text) == []


def test_a_long_list_of_questions_is_left_whole() -> None:
    """More than MAX_QUESTIONS questions are answered as one message, as before."""
    asked = ["How long is delivery?", "Can I pay by card?", "Do you ship abroad?"]
    assert question_parts(" ".join(asked[:MAX_QUESTIONS])) == asked[:MAX_QUESTIONS]
    assert question_parts(" ".join([*asked, "Do you sell gift cards?"])) == []


def test_a_long_padded_message_is_split_at_once() -> None:
    """A message of 2,000 spaces or commas between two words (the longest a shop allows
    by default) is read in a few milliseconds, not tried from each of its places."""
    for padding in (" " * 1996, ", " * 998):
        started = time.perf_counter()
        question_parts(f"a{padding}b?")
        assert time.perf_counter() - started < 0.02


def _result(outcome: str, entry: FaqEntry | None, *choices: FaqEntry) -> MatchResult:
    return MatchResult(outcome, entry, 0.8, choices, "en")  # type: ignore[arg-type]


def test_choices_the_answers_give_already_are_not_offered() -> None:
    """Of several questions, one with "did you mean" choices that the answers to the others
    hold already asks nothing new: no choices and no "not sure" for it; choices of its
    own are offered; an entry two questions get is answered once, for both."""
    costs = FaqEntry("shipping-costs", "en", ("What are the shipping costs?",), "4.95")
    pay = FaqEntry("payment", "en", ("How can I pay?",), "Cards.")
    gift = FaqEntry("gift-card", "en", ("Do you sell gift cards?",), "Yes.")
    whole = _result("answer", costs)
    each = answer_each(
        whole,
        [
            ("Is shipping free?", _result("answer", costs)),
            ("What if I order for more than 50 euros?", _result("suggest", costs, costs)),
        ],
    )
    assert each == EachAnswered(((costs, ("Is shipping free?",)),), None, ())
    each = answer_each(
        whole,
        [
            ("Is shipping free?", _result("answer", costs)),
            ("How much is shipping to Spain?", _result("answer", costs)),
            ("Do you sell vouchers?", _result("suggest", gift, gift, pay)),
        ],
    )
    assert each is not None
    assert each.answers == ((costs, ("Is shipping free?", "How much is shipping to Spain?")),)
    assert each.offer == ("Do you sell vouchers?", (gift, pay)) and each.unknown == ()
    # The whole answered with an entry no question alone gets: the whole's answer stands.
    assert answer_each(_result("answer", pay), [("a", _result("answer", costs))]) is None
