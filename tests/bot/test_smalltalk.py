"""Small talk: greetings, thanks, goodbyes, a plain "ok" and asking for a person are told
from questions."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from loket.bot import smalltalk
from loket.bot.smalltalk import MAX_WORDS, small_talk


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
        ("hello there, I need help", ("greeting", "en")),
        ("talk to a human", ("person", "en")),
        ("agent", ("person", "en")),
        ("I want to speak to a real person, not a bot!!", ("person", "en")),
        # Asking whether it is a bot: told it is the shop's assistant.
        ("are you a bot?", ("bot", "en")),
        ("Hi, am I talking to a real person?", ("bot", "en")),
        ("are you human?", ("bot", "en")),
        ("ben je een robot?", ("bot", "nl")),
        ("Bist du ein Bot?", ("bot", "de")),
        ("êtes-vous un robot ?", ("bot", "fr")),
        ("hello?? anyone there", ("person", "en")),
        ("Can I speak to a manager please", ("person", "en")),
        ("kan ik een medewerker spreken?", ("person", "nl")),
        ("Hallo, ik wil graag iemand spreken", ("person", "nl")),
        ("Is daar iemand?", ("person", "nl")),
        ("Ich möchte mit einem Mitarbeiter sprechen", ("person", "de")),
        ("hallo?? ist da jemand", ("person", "de")),
        ("Danke, kann ich mit jemandem sprechen?", ("person", "de")),
        ("thank you, can I talk to a person", ("person", "en")),
        ("Can I talk to customer service?", ("person", "en")),
        ("live chat please", ("person", "en")),
        ("is someone available?", ("person", "en")),
        ("medewerker alsjeblieft", ("person", "nl")),
        ("Mitarbeiter bitte", ("person", "de")),
        ("ist jemand da?", ("person", "de")),
        ("I have a question", ("greeting", "en")),
        ("Hoi, ik heb een vraag", ("greeting", "nl")),
        ("Hallo, ich brauche Hilfe", ("greeting", "de")),
        # From shoppers' own wordings in a hands-on run: "I'd" folds to "id".
        ("I'd like to talk to a human", ("person", "en")),
        ("real person please", ("person", "en")),
        ("is there a person I can talk to?", ("person", "en")),
        ("are you still there?", ("person", "en")),
        ("is there a person there at all", ("person", "en")),
        ("are there any people online?", ("person", "en")),
        ("is an agent available", ("person", "en")),
        ("hey, quick question", ("greeting", "en")),
        ("ik wil een medewerker", ("person", "nl")),
        ("mag ik een medewerker", ("person", "nl")),
        ("Hallo? Zijn jullie er nog?", ("person", "nl")),
        ("Bitte einen echten Menschen", ("person", "de")),
        ("Verbinde mich mit einem Mitarbeiter", ("person", "de")),
        ("Grüß Gott", ("greeting", "de")),
        ("Grüezi", ("greeting", "de")),
        ("Hallo zusammen", ("greeting", "de")),
        ("Ich hätte eine Frage", ("greeting", "de")),
        ("Alles klar, danke", ("thanks", "de")),
        ("Tschüss und danke", ("goodbye", "de")),
        ("Ich möchte einen Mitarbeiter", ("person", "de")),
        ("Ich will einen Menschen", ("person", "de")),
        ("Seid ihr noch da?", ("person", "de")),
        # Saying who they are, whatever the name.
        ("Hello I am S4, I need a person", ("person", "en")),
        ("hi my name is Sarah, thanks", ("thanks", "en")),
        ("Hi, this is Tom. Can I talk to a human?", ("person", "en")),
        ("Hoi, ik ben Anna de Vries. Kan ik een medewerker spreken?", ("person", "nl")),
        ("Goedemiddag, met Jan van der Berg", ("greeting", "nl")),
        ("mijn naam is Özlem, ik wil een medewerker", ("person", "nl")),
        ("hi my name is s4 de boer", ("greeting", "en")),
        ("Hi, I'm AJ", ("greeting", "en")),
        ("HI I AM SANNE", ("greeting", "en")),
        ("ik heet sanne", ("greeting", "nl")),
        ("ich heiße anna, ich möchte einen Mitarbeiter sprechen", ("person", "de")),
        ("Hallo, mein Name ist Müller, ich möchte einen Mitarbeiter sprechen", ("person", "de")),
        ("Guten Tag, hier ist Kowalski", ("greeting", "de")),
        ("My name is Anna", ("greeting", "en")),
        ("Hi, I'm Sanne, thanks!", ("thanks", "en")),
        # French: a Belgian or Swiss shop's other language.
        ("je voudrais parler à quelqu'un", ("person", "fr")),
        ("Bonjour, puis-je parler à un conseiller ?", ("person", "fr")),
        ("un vrai humain svp, pas un robot", ("person", "fr")),
        ("Il y a quelqu'un ?", ("person", "fr")),
        ("vous êtes toujours là ?", ("person", "fr")),
        ("merci beaucoup, bonne journée", ("goodbye", "fr")),  # as "bedankt, fijne dag"
        ("au revoir", ("goodbye", "fr")),
        ("j'ai une petite question", ("greeting", "fr")),
        # As French shoppers type it: short forms, an apostrophe typed as a space, a name.
        ("bjr", ("greeting", "fr")),
        ("re bonjour", ("greeting", "fr")),
        ("bjr, j'ai une question", ("greeting", "fr")),
        ("merci bcp", ("thanks", "fr")),
        ("bonne journée", ("goodbye", "fr")),
        ("merci bcp bonne journee", ("goodbye", "fr")),
        ("je voudrais parler a quelqu un svp", ("person", "fr")),
        ("y a quelqu un?", ("person", "fr")),
        ("quelqu'un est là ?", ("person", "fr")),
        ("bonjour, je suis Marie", ("greeting", "fr")),
        ("bonjour je m'appelle Marie", ("greeting", "fr")),
        ("Bonsoir", ("greeting", "fr")),
        ("combien de temps dois-je encore attendre ?", ("wait", "fr")),
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
        " ".join(["hello"] * (MAX_WORDS + 1)),  # too long to be only that
        # Asking for a person about something: a question for the FAQ first.
        "can i talk to a person about my order",
        "is there someone who can help me with my return",
        "Heb je een medewerker nodig voor de montage?",
        "Hoi, ik heb een vraag over mijn bestelling",
        # Questions made of words that go with small talk elsewhere.
        "Hallo, gibt es die noch?",
        "Hoi, kan het voor morgen?",
        "Kan het tot morgen?",
        "Hi, can I get it?",
        "hello, is it possible?",
        "Thanks, it is not there",
        "Dank je, het is er niet",
        "Danke, es ist nicht da",
        "not ok",
        "Het is niet oke",
        "Is it ok?",
        # About a person: no request for one (whether it is a bot: see above).
        "Are you an agent?",
        "Can I get it in person?",
        "Can anyone get it?",
        "I need help, not a person",
        "not a bot",
        "quick question about shipping",
        "zijn jullie er morgen ook",
        "mag ik iemand meenemen naar de winkel",
        "alles klar mit meiner bestellung?",
        "is there a person who can fix my bike",
        "are people happy with this saddle",
        # Asking the opening hours, not for a person.
        "Zijn jullie er wel in het weekend?",
        "Zijn jullie er nog morgen?",
        "Are you there all weekend?",
        "Seid ihr morgen da?",
        # How long something else takes.
        "how long does delivery take?",
        "hoe lang duurt de levering",
        "wie lange dauert der Versand nach Österreich?",
        "how long is the warranty",
        "still waiting for my order",
        # Saying who they are, and then something else; "I am" anywhere but after a greeting.
        "my name is anna and my order is late",
        "hi, this is Tom from Leeds, can I talk to a human",
        "hi im looking for a dress",
        "I am Anna, thanks",
        "hallo ik ben op zoek naar een jurk",
        "Hallo, ich bin Kundin, wo ist mein Paket",
        # "I am" with no name after it says how they are, or what is wrong.
        "hallo ik ben boos",
        "hi i am angry",
        "hello this is urgent",
        "hi im confused",
        "guten tag ich bin sauer",
        # Nor is a name what follows "my name is" when it is no name.
        "my name is wrong",
        "Mijn naam is fout",
        "mein Name ist falsch bitte",
        "bonjour, je voudrais retourner ma commande",
        # A name is a name as written; "bonne" a goodbye only with small talk around it.
        "bonjour je suis en retard",
        "c'est la bonne taille ?",
        "puis-je parler à un conseiller de ma commande",
    ],
)
def test_anything_else_is_left_to_the_faq(text: str) -> None:
    assert small_talk(text) is None
    assert small_talk(text, queued=True) is None


@pytest.mark.parametrize(
    ("text", "expected", "anywhere"),
    [
        ("how long do I have to wait?", ("wait", "en"), True),
        ("How much longer?", ("wait", "en"), False),
        ("how long will it take", ("wait", "en"), False),
        ("am I still in the queue", ("wait", "en"), True),
        ("hello?? still waiting", ("wait", "en"), True),
        ("hoe lang moet ik nog wachten?", ("wait", "nl"), True),
        ("Hoelang duurt het nog?", ("wait", "nl"), False),
        ("ben ik al aan de beurt?", ("wait", "nl"), True),
        ("Wie lange muss ich noch warten?", ("wait", "de"), True),
        ("wie lange dauert es noch", ("wait", "de"), False),
        ("bin ich bald dran?", ("wait", "de"), True),
    ],
)
def test_asking_how_long_the_wait_is_is_told_apart_from_asking_how_long_anything_takes(
    text: str, expected: tuple[str, str | None], anywhere: bool
) -> None:
    """In the queue for a person, "how much longer?" asks about that wait; anywhere else
    it asks something the FAQ or an agent answers (the delivery, the question before it).
    Words that say it is the wait ("how long do I have to wait?") say so anywhere."""
    assert small_talk(text, queued=True) == expected
    assert small_talk(text) == (expected if anywhere else None)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("can I talk to someone? how long will it take?", ("person", "en")),
        ("ik wil een medewerker spreken, hoe lang duurt het?", ("person", "nl")),
        ("Hallo? Kann ich mit jemandem sprechen, wie lange dauert es noch?", ("person", "de")),
        # Waiting for a person named: asking for one (in the queue, told of the queue).
        ("how long do I have to wait for an agent", ("person", "en")),
        ("I'm still waiting for a human", ("person", "en")),
        ("hoe lang moet ik wachten op een medewerker", ("person", "nl")),
        ("wie lange muss ich auf einen Mitarbeiter warten?", ("person", "de")),
    ],
)
def test_asking_for_a_person_and_how_long_it_takes_asks_for_a_person(
    text: str, expected: tuple[str, str | None]
) -> None:
    assert small_talk(text) == small_talk(text, queued=True) == expected


@pytest.mark.parametrize(
    "text",
    [
        "How long does it last?",
        "how long will this last",
        "how long is it",
        "Wie lange geht das?",
        "welk nummer heb ik",
        "how long does delivery take?",
        "hoe lang duurt de levering",
        "How long do I have to return it?",
    ],
)
def test_questions_about_how_long_something_else_takes_are_no_wait_in_the_queue(
    text: str,
) -> None:
    assert small_talk(text, queued=True) is None


# Texts of small talk's own words, in any order and number: the ones where the phrases'
# shortcut could go wrong if it were no exact test.
_SMALL_TALK_WORDS = sorted(smalltalk._VOCABULARY)
_SMALL_TALK_TEXTS = st.lists(
    st.one_of(
        st.sampled_from(_SMALL_TALK_WORDS),
        st.sampled_from(
            [
                *("thank you", "is anyone there", "ik wil een medewerker spreken", "au revoir"),
                # Introductions, read before the phrases ("hi I am Sanne, thanks").
                *("hi I am Sanne", "my name is Anna", "ik heet Jan", "Hallo, hier ist Kim"),
            ]
        ),
    ),
    min_size=1,
    max_size=10,
).map(" ".join)


@settings(max_examples=600, deadline=None)
@given(text=_SMALL_TALK_TEXTS, queued=st.booleans())
def test_the_phrases_shortcut_finds_what_trying_every_phrase_finds(text: str, queued: bool) -> None:
    shortcut = small_talk(text, queued=queued)
    with pytest.MonkeyPatch.context() as patched:
        patched.setattr(smalltalk, "_ANY_PHRASE", re.compile(""))  # every phrase tried
        assert small_talk(text, queued=queued) == shortcut
