"""The webshop lexicon, answer-text evidence, tags and stemming: shoppers' own words match."""

from __future__ import annotations

from pathlib import Path

import pytest

from loket.bot.faq import FaqEntry, load_faq_dir
from loket.bot.matcher import Matcher
from loket.bot.normalize import STOP_WORDS, content_terms, german_spelling, phrase_keys, stem
from loket.bot.settings import BotSettings
from loket.bot.synonyms import CONCEPTS, lexicon_for
from loket.languages import LANGUAGES


def entry(
    entry_id: str,
    language: str,
    *questions: str,
    answer: str = "",
    tags: tuple[str, ...] = (),
) -> FaqEntry:
    return FaqEntry(entry_id, language, questions, answer or f"Answer of {entry_id}.", tags=tags)


def assert_answered(entries: list[FaqEntry], cases: list[tuple[str, str, str]]) -> None:
    """Each (text, language, expected id) is answered outright with that entry."""
    matcher = Matcher.build(entries, BotSettings())
    for text, language, expected in cases:
        result = matcher.match(text, language)
        assert (result.outcome, result.entry and result.entry.id) == ("answer", expected), text


ENTRIES = [
    entry("annuleren", "nl", "Hoe kan ik mijn bestelling annuleren?", "Kan ik nog annuleren?"),
    entry("retour", "nl", "Hoe kan ik iets retourneren?", "Wat is het retouradres?"),
    entry("terugbetaling", "nl", "Wanneer krijg ik mijn geld terug?"),
    entry("achteraf", "nl", "Kan ik achteraf betalen?"),
    entry("levertijd", "nl", "Hoe lang duurt de levering?", "Wanneer wordt het bezorgd?"),
    entry("vertraagd", "nl", "Mijn pakket is vertraagd"),
    entry(
        "verzendkosten",
        "nl",
        "Wat zijn de verzendkosten?",
        "Hoeveel kost het om een pakket te laten bezorgen?",
    ),
    entry("damaged", "en", "My parcel arrived damaged", "The box was damaged in transit"),
    entry("refund", "en", "When do I get a refund?"),
    entry("how-to-return", "en", "How do I return an item?"),
    entry("store", "en", "Where is your store?"),
    entry("warranty", "en", "Is my broken product under warranty?", "The device is defective"),
]


@pytest.fixture(scope="module")
def matcher() -> Matcher:
    return Matcher.build(ENTRIES, BotSettings())


@pytest.mark.parametrize(
    ("text", "language", "expected"),
    [
        ("ik wil mijn order cancelen", "nl", "annuleren"),
        ("kan ik mijn bestelling afzeggen", "nl", "annuleren"),
        ("kan ik in delen betalen", "nl", "achteraf"),
        ("kan ik met klarna betalen", "nl", "achteraf"),
        ("my package arrived completely smashed", "en", "damaged"),
        ("the handle had snapped when it arrived", "en", "damaged"),
        ("hoeveel porto betaal ik", "nl", "verzendkosten"),
        ("can I get my money back", "en", "refund"),
    ],
)
def test_synonyms_match_across_vocabularies(
    matcher: Matcher, text: str, language: str, expected: str
) -> None:
    """A question in words the FAQ never uses is answered through the shared concept."""
    result = matcher.match(text, language)
    assert (result.outcome, result.entry and result.entry.id) == ("answer", expected)


def test_separable_verbs_are_one_concept(matcher: Matcher) -> None:
    """ "stuur ik het terug" and "send these shoes back" are returning, with words between."""
    for text, language, expected in (
        ("hoe stuur ik het artikel terug", "nl", "retour"),
        ("I want to send these shoes back", "en", "how-to-return"),
    ):
        result = matcher.match(text, language)
        assert result.entry is not None and result.entry.id == expected


def test_returning_and_refunding_stay_apart(matcher: Matcher) -> None:
    """Narrow concepts keep entries a shop answers apart apart: a return is not a refund."""
    assert content_terms("terugsturen", "nl", lexicon_for("nl")) != content_terms(
        "terugbetalen", "nl", lexicon_for("nl")
    )
    result = matcher.match("wanneer krijg ik mijn geld terug", "nl")
    assert result.entry is not None and result.entry.id == "terugbetaling"


def test_an_exact_word_in_a_phrase_is_not_its_stem(matcher: Matcher) -> None:
    """ "te laat" (late) is a concept, "te laten" (to let) is not, though both stem alike."""
    lexicon = lexicon_for("nl")
    assert content_terms("pakket te laat", "nl", lexicon) == ["~parcel", "~late"]
    assert "~late" not in content_terms("een pakket te laten bezorgen", "nl", lexicon)
    result = matcher.match("pakket te laat", "nl")
    assert result.entry is not None and result.entry.id == "vertraagd"


def test_words_of_another_language_do_not_leak_into_a_language(matcher: Matcher) -> None:
    """The English "store" is no Dutch "storing" (a defect), though their stems collide."""
    assert "~defect" not in content_terms("where is your store", "en", lexicon_for("en"))
    result = matcher.match("where is your store", "en")
    assert (result.outcome, result.entry and result.entry.id) == ("answer", "store")


def test_a_typo_in_a_synonym_still_finds_its_concept(matcher: Matcher) -> None:
    """A misspelt lexicon word ("annuleern") matches its concept like a misspelt FAQ word."""
    result = matcher.match("bestelling annuleern", "nl")
    assert result.entry is not None and result.entry.id == "annuleren"


def test_a_country_named_finds_the_entry_of_countries() -> None:
    """ "Do you ship to Germany" is the question of the entry that says which countries are
    delivered to, though the FAQ names no Germany (a typo in the name too)."""
    assert_answered(
        [
            entry("international", "en", "Which countries do you deliver to?"),
            entry("delivery-time", "en", "How long does delivery take?"),
            entry("landen", "nl", "Naar welke landen versturen jullie?"),
            entry("levertijd", "nl", "Hoe lang duurt de levering?"),
        ],
        [
            ("do you ship to germany", "en", "international"),
            ("do u ship to germnay", "en", "international"),
            ("bezorgen jullie ook in spanje", "nl", "landen"),
        ],
    )


def test_an_age_written_as_a_number_asks_about_age() -> None:
    """ "ab 18?", "Muss ich 18 sein?", "my son is 16": a number with the words of an age
    around it asks the entry on the age check (in a FAQ phrasing too, which `faq check`
    would otherwise refuse as only common words); a time, an amount, a date, a distance, a
    product's or a warranty's years stay numbers."""
    shop = [
        entry(
            "altersverifikation",
            "de",
            "Muss ich 18 sein?",
            "Wird mein Alter geprüft?",
            "Darf jemand unter 18 das Paket annehmen?",
        ),
        entry("versandkosten", "de", "Was kostet der Versand?"),
        entry("lieferzeit", "de", "Wann kommt meine Lieferung?"),
        entry("age-check", "en", "Do I need to be 18?"),
        entry("opening", "en", "When are you open?"),
        entry("leeftijd", "nl", "Vanaf welke leeftijd mag ik wijn bestellen?"),
        entry("garantie", "nl", "Hoeveel jaar garantie krijg ik?"),
        entry("age-fr", "fr", "Faut-il avoir 18 ans ?"),
    ]
    assert_answered(
        shop,
        [
            ("ab 18?", "de", "altersverifikation"),
            ("kann mein sohn (16) das paket annehmen", "de", "altersverifikation"),
            ("i'm 17, can i order", "en", "age-check"),
            ("do you have to be over 21", "en", "age-check"),
            ("ik ben 16 mag ik bestellen", "nl", "leeftijd"),
            ("vanaf 18 jaar?", "nl", "leeftijd"),
            ("ben je boven de 18?", "nl", "leeftijd"),
            ("je suis mineur, je peux commander ?", "fr", "age-fr"),
            ("interdit aux moins de 18 ans ?", "fr", "age-fr"),
        ],
    )
    for words, language in (
        ("open till 18 tonight", "en"),
        ("is 18 euro shipping right", "en"),
        ("14 is missing from my order", "en"),
        ("I am 25 km away, can I pick up?", "en"),
        ("15 years warranty", "en"),
        ("2 jaar garantie", "nl"),
        ("tussen 18 en 20 uur", "nl"),
        ("is de winkel vanaf 18 open?", "nl"),
        ("is 16 graden goed om rode wijn te bewaren?", "nl"),
        ("12 jaar oude whisky", "nl"),
        ("Lieferung am 18 Mai", "de"),
        ("Liefert ihr am 23.12.?", "de"),
        ("Kann ich heute ab 16 abholen?", "de"),
        ("Habt ihr einen 12 Jahre gereiften Wein?", "de"),
        ("ein alter Jahrgang", "de"),
    ):
        assert "~age" not in content_terms(words, language, lexicon_for(language)), words


def test_a_subscription_is_ended_or_paused_not_an_order_cancelled() -> None:
    """ "abbo stopzetten" ends the subscription (not an order), "pause my subscription" is
    the entry about pausing, not the one about how subscriptions work."""
    assert_answered(
        [
            entry("abonnement", "nl", "Hoe werkt het abonnement?"),
            entry("abonnement-opzeggen", "nl", "Hoe zeg ik mijn abonnement op?"),
            entry("annuleren", "nl", "Hoe kan ik mijn bestelling annuleren?"),
            entry("subscription", "en", "How does the subscription work?"),
            entry("subscription-pause", "en", "Can I pause my subscription?"),
        ],
        [
            ("abbo stopzetten", "nl", "abonnement-opzeggen"),
            ("kan ik het abo opzeggen", "nl", "abonnement-opzeggen"),
            ("can i put my subscription on hold", "en", "subscription-pause"),
        ],
    )


# What shoppers say, the entries of a small FAQ, and the entry each question means.
_MEANT = [
    pytest.param(
        [
            entry("papier", "nl", "Welk papier hebben jullie?", tags=("lay-flat", "mat papier")),
            entry("levertijd", "nl", "Hoe lang duurt de levering?"),
            entry("jas", "en", "Is the jacket waterproof?", tags=("Gore-Tex",)),
            entry("mail", "en", "I got no confirmation e-mail"),
        ],
        [
            ("wat is layflat precies", "nl", "papier"),
            ("is there goretex in it", "en", "jas"),
            ("no confirmation email", "en", "mail"),
        ],
        id="a word the FAQ writes with a hyphen, written joined",
    ),
    pytest.param(
        [
            entry("mangel", "de", "Die Sohle löst sich", "Die Naht ist kaputt"),
            entry("geschenk", "de", "Verpackt ihr als Geschenk?"),
            entry("versand", "de", "Wie lange dauert der Versand?"),
        ],
        [
            ("sohle hat sich nach 3 wochen gelöst", "de", "mangel"),
            ("geschenk verpackt?", "de", "geschenk"),
            # Not every word with "ge" is a participle, nor near a word the FAQ has.
            ("wie lange dauert der versand ins gebiet", "de", "versand"),
        ],
        id="a German past participle is the verb the FAQ has in another form",
    ),
    pytest.param(
        [
            entry("tracking", "de", "Wo ist mein Paket?"),
            entry("laden", "de", "Wo ist euer Laden?"),
            entry("when", "en", "When will my order arrive?"),
            entry("where", "en", "Where is my order?"),
        ],
        [
            ("wo is mein packerl??", "de", "tracking"),
            ("wen will my order come", "en", "when"),
        ],
        id="chat and regional spellings",
    ),
    pytest.param(
        [
            entry("niet-thuis", "nl", "Wat als ik niet thuis ben?"),
            entry("volgen", "nl", "Hoe kan ik mijn bestelling volgen?"),
            entry("not-home", "en", "What happens if I'm not at home?"),
            entry("track", "en", "How can I track my order?"),
        ],
        [
            ("als mijn zus niet opendoet wat dan", "nl", "niet-thuis"),
            ("what if nobody is home when the order comes", "en", "not-home"),
        ],
        id="nobody opening the door is not being home, not where the parcel is",
    ),
    pytest.param(
        [
            entry("winkel", "nl", "Waar is jullie winkel?", "Wat zijn de openingstijden?"),
            entry("geopend", "nl", "Hoe lang is een geopende fles goed?", tags=("open fles",)),
            entry("hours", "en", "Where is your shop?", "What are your opening hours?"),
            entry("opened", "en", "Can I return an opened bag?"),
            entry("laden", "de", "Wo ist euer Laden?", "Was sind eure Öffnungszeiten?"),
            entry("offen", "de", "Kann ich eine offene Packung zurückgeben?"),
        ],
        [
            ("zijn jullie zondag open", "nl", "winkel"),
            ("tot hoe laat zijn jullie open", "nl", "winkel"),
            ("hoe lang blijft een open fles goed", "nl", "geopend"),
            ("are you open on sundays", "en", "hours"),
            ("what time do you close", "en", "hours"),
            ("the bag is open can i return it", "en", "opened"),
            ("wann habt ihr samstag offen", "de", "laden"),
            ("packung ist offen, kann ich sie zurückgeben", "de", "offen"),
            # Said short, as in a chat: the day and "open" alone; not "open" and a day in
            # another sentence.
            ("can i open it today and still return it", "en", "opened"),
            ("ik heb de fles vandaag open gemaakt, is hij nog goed", "nl", "geopend"),
            ("open on saturday?", "en", "hours"),
            ("open today?", "en", "hours"),
            ("zondag open?", "nl", "winkel"),
            ("open op koningsdag", "nl", "winkel"),
            ("samstags geöffnet?", "de", "laden"),
            ("am sonntag offen?", "de", "laden"),
        ],
        id="a shop open on Sunday is its opening hours, not an opened bottle",
    ),
    pytest.param(
        [
            entry("login", "en", "How do I sign in?", "I cannot log in", tags=("signin",)),
            entry("insured", "en", "Is my parcel insured?", "Do I need to sign for my delivery?"),
            entry("inloggen", "nl", "Ik kan niet inloggen"),
            entry("tekenen", "nl", "Moet ik tekenen voor het pakket?"),
        ],
        [
            ("do i have to sign for it", "en", "insured"),
            ("moet ik aftekenen bij de bezorger", "nl", "tekenen"),
        ],
        id="signing for a parcel is no signing in ('sign' starts 'signin')",
    ),
    pytest.param(
        [
            entry("werkstatt", "de", "Macht ihr auch den Einbau?"),
            entry("versand", "de", "Was kostet der Versand?"),
            entry("montage", "nl", "Doen jullie ook montage aan huis?"),
            entry("bezorgen", "nl", "Wat kost bezorgen?"),
        ],
        [
            ("könnt ihr das auch montieren", "de", "werkstatt"),
            ("kunnen jullie de lamp ook monteren", "nl", "montage"),
        ],
        id="fitting something is one thing however it is said",
    ),
    pytest.param(
        [
            entry("service", "nl", "Hebben jullie een installatieservice?"),
            entry("app", "nl", "Hoe koppel ik de lamp aan de app?"),
            entry("electrician", "en", "Do you have an installation service?"),
            entry("pay-later", "en", "Can I pay in instalments?"),
        ],
        [
            ("kunnen jullie de lamp installeren", "nl", "service"),
            ("can you install my lamps", "en", "electrician"),
            ("can i pay in instalments", "en", "pay-later"),
        ],
        id="installing is installing, and no instalment",
    ),
]


@pytest.mark.parametrize(("entries", "cases"), _MEANT)
def test_shoppers_words_find_the_entry_they_mean(
    entries: list[FaqEntry], cases: list[tuple[str, str, str]]
) -> None:
    assert_answered(entries, cases)


@pytest.mark.parametrize(
    ("text", "language", "concept"),
    [
        ("what time do u shut today", "en", "~opening-hours"),
        ("r u open on sunday", "en", "~opening-hours"),
        ("ich will die bestellung canceln", "de", "~cancel"),
        ("wie teuer ist die lieferung", "de", "~cost"),
        ("is de trui ook in het groen te krijgen", "nl", "~stock"),
        ("is deze nog te krijgen", "nl", "~stock"),
        ("stop sending me emails", "en", "~unsubscribe"),
        ("is there a payment plan", "en", "~pay-later"),
        ("de kinderwagen is stuk gegaan", "nl", "~defect"),
        ("is dit artikel te krijgen", "nl", "~stock"),
        ("laat het me weten als hij er is", "nl", "~notify"),
        ("what time do you shut", "en", "~opening-hours"),
        ("does it come with windows installed", "en", "~install"),
    ],
)
def test_chat_spellings_and_loanwords_find_their_concept(
    text: str, language: str, concept: str
) -> None:
    """ "u" and "r" stand for "you" and "are" in English chats; German "canceln", "wie
    teuer" and the Dutch "te krijgen" (to be had, not received) are the lexicon's words."""
    assert concept in content_terms(text, language, lexicon_for(language))


def test_dutch_short_is_no_discount() -> None:
    """ "kort" (short) keeps its "t": it would otherwise meet "korting" (discount); and
    "laten" (to let) is not "laat" (late)."""
    assert stem("kort", "nl") != stem("korting", "nl") == stem("kortingen", "nl")
    assert stem("laten", "nl") != stem("laat", "nl")
    assert "~pay-later" not in content_terms("is windows installed", "en", lexicon_for("en"))
    assert stem("korte", "nl") == stem("kort", "nl")
    assert_answered(
        [
            entry("kortingscode", "nl", "Waar vul ik mijn kortingscode in?", tags=("korting",)),
            entry("inkorten", "nl", "Kunnen jullie een broek inkorten?", tags=("te kort",)),
        ],
        [("mijn spijkerbroek is te kort", "nl", "inkorten"), ("korting?", "nl", "kortingscode")],
    )


@pytest.mark.parametrize(
    "text",
    [
        "We're open on Sunday, right?",
        "you're open sundays?",
        "you`re open today?",
        "youre closed on mondays?",
    ],
)
def test_a_contracted_are_open_asks_the_opening_hours(text: str) -> None:
    """ "We're" is "we are", not "were" (another word): the opening hours' phrases take it."""
    assert "~opening-hours" in content_terms(text, "en", lexicon_for("en"))


@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("nl", "zijn jullie pakketten altijd open"),
        ("nl", "gaan jullie mijn pakket open maken"),
        ("en", "are you able to open an account for me"),
        ("en", "do you open parcels before shipping"),
        ("de", "habt ihr die packung geöffnet"),
        ("de", "wann hat jemand meine rücksendung geöffnet"),
        ("de", "meine rechnung hat noch einen betrag offen"),
        ("de", "wir haben es schon geöffnet, kann ich es noch zurückschicken"),
        ("de", "haben sie das schon geöffnet"),
        ("en", "are you opening a shop in leeds"),
        ("en", "the boxes were open when they arrived"),
        ("en", "were open boxes refunded?"),
        ("en", "The seals were open, is it used?"),
        ("en", "how do i stop sending my order to the old address"),
        ("nl", "is het mogelijk om korting te krijgen"),
        ("nl", "hoe lang duurt het om mijn geld terug te krijgen"),
        ("nl", "zijn jullie dicht bij het station"),
    ],
)
def test_something_opened_is_no_opening_hour(language: str, text: str) -> None:
    """The opening hours' phrases take days and times between their words, not anything
    (nor is "om ... te krijgen", to get, something in stock, nor "stop sending" an order
    unsubscribing)."""
    terms = content_terms(text, language, lexicon_for(language))
    assert not {"~opening-hours", "~stock", "~unsubscribe"} & set(terms), terms


def test_no_word_starts_many_phrases() -> None:
    """Every question word is tried against each phrase it may start: a word starting dozens
    of them ("ist der laden am montag offen" for each day) made every German question with
    "ist" seven times slower to read. Lists of words share one phrase ("=montag/dienstag")."""
    for language in LANGUAGES:
        phrases = lexicon_for(language).phrases
        most = max(phrases, key=lambda first: len(phrases[first]))
        assert len(phrases[most]) <= 16, (language, most, len(phrases[most]))
    keys = phrase_keys("zijn jullie =zondag/Maandag =open", "nl")
    assert keys[-2:] == ["=zondag/maandag", "=open"]
    lexicon = lexicon_for("nl")
    assert content_terms("zijn jullie maandag open", "nl", lexicon) == ["~opening-hours"]


def test_pieces_are_not_broken() -> None:
    """Dutch "stuk" is broken, and a piece: "50 stuks" and "per stuk" ask about an order or
    a price, not damage."""
    assert_answered(
        [
            entry("kapot", "nl", "Mijn artikel is kapot aangekomen"),
            entry("groot", "nl", "Kan ik een grote hoeveelheid bestellen?", tags=("stuks",)),
        ],
        [
            ("mijn lamp is stuk", "nl", "kapot"),
            ("kan ik 50 stuks bestellen", "nl", "groot"),
        ],
    )
    lexicon = lexicon_for("nl")
    assert "~damaged" not in content_terms("wat is de prijs per stuk", "nl", lexicon)


def test_each_lexicon_word_belongs_to_one_concept() -> None:
    """No word or phrase of a language stands for two concepts after stemming."""
    for language in LANGUAGES:
        owner: dict[tuple[str, ...], str] = {}
        for name, by_language in CONCEPTS.items():
            for written_in, text in by_language.items():
                if written_in not in (language, "*"):
                    continue
                for phrase in (part.strip() for part in text.split("|")):
                    keys = tuple(phrase_keys(phrase, language))
                    assert keys, f"{name}: {phrase!r} has no words in {language}"
                    assert owner.setdefault(keys, name) == name, (language, phrase)


def test_no_lexicon_phrase_is_a_lone_common_word() -> None:
    """A phrase keeps what makes it one: single letters are dropped from phrases as from
    shoppers' text, so a phrase like "the u s" would become "the" and turn every "the"
    into a country. "the us" stays two words; "see the status" names no concept."""
    for language in LANGUAGES:
        for name, by_language in CONCEPTS.items():
            for written_in, text in by_language.items():
                if written_in not in (language, "*"):
                    continue
                for phrase in (part.strip() for part in text.split("|")):
                    keys = [key for key in phrase_keys(phrase, language) if key != "..."]
                    lone = len(keys) == 1 and keys[0] in STOP_WORDS[language]
                    assert not lone, f"{name}: {phrase!r} is only {keys[0]!r} in {language}"
    lexicon = lexicon_for("en")
    assert content_terms("see the status of the order", "en", lexicon) == [
        "see",
        "status",
        "~order",
    ]
    assert content_terms("do you ship to the us", "en", lexicon) == ["~deliver", "~country"]
    # A phrase of common words only is one with nothing in between.
    assert content_terms("send the thing to us", "en", lexicon) == ["send"]


def test_answer_text_is_weaker_evidence() -> None:
    """A word found only in an entry's answer tells two otherwise equal entries apart."""
    entries = [
        entry(
            "betaalmethoden",
            "nl",
            "Hoe kan ik betalen?",
            answer="Je betaalt met iDEAL, Bancontact of een creditcard.",
        ),
        entry("factuur", "nl", "Hoe kan ik de factuur betalen?", answer="Via de link in de mail."),
    ]
    matcher = Matcher.build(entries, BotSettings())
    scored, _ = matcher.ranked("kan ik met bancontact betalen", "nl")
    assert [e.id for _, e in scored][:1] == ["betaalmethoden"]
    # The answer counts less than a phrasing: asked as a phrasing, the score is higher.
    phrased = Matcher.build(
        [entry("betaalmethoden", "nl", "Hoe kan ik betalen?", "Kan ik met Bancontact betalen?")],
        BotSettings(),
    )
    assert phrased.match("kan ik met bancontact betalen", "nl").score > scored[0][0]


def test_a_tag_is_a_phrasing_of_one_keyword() -> None:
    """Asking just a tag answers with its entry, as a one-word phrasing would."""
    entries = [
        entry("retourlabel", "nl", "Waar vind ik mijn retourlabel?", tags=("qr-code",)),
        entry("retourtermijn", "nl", "Hoe lang mag ik iets retourneren?"),
    ]
    # By words alone, a tag scores as high as asking a phrasing word for word.
    result = Matcher.build(entries, BotSettings(semantic=False)).match("qr-code", "nl")
    assert (result.outcome, result.entry and result.entry.id) == ("answer", "retourlabel")
    assert result.score > 0.95
    assert Matcher.build(entries, BotSettings()).match("qr-code", "nl").outcome == "answer"


def test_word_forms_and_diminutives_share_a_stem() -> None:
    """Diminutives, participles of separable verbs and plurals in -es stem like their base."""
    assert stem("cadeautje", "nl") == stem("cadeau", "nl")
    assert stem("boompje", "nl") == stem("boom", "nl")
    assert stem("pakketje", "nl") == stem("pakket", "nl")
    assert stem("teruggestuurd", "nl") == stem("terugsturen", "nl")
    assert stem("afgeleverd", "nl") == stem("afleveren", "nl")
    assert stem("ingelogd", "nl") == stem("inloggen", "nl")
    assert stem("geopende", "nl") == stem("geopend", "nl")
    # "opgeven" is "op" + "geven", not a participle.
    assert stem("opgegeven", "nl") == stem("opgeven", "nl") != "opven"
    assert stem("boxes", "en") == stem("box", "en")
    assert stem("watches", "en") == stem("watch", "en")


def test_compounds_split_into_lexicon_words() -> None:
    """ "betaalmogelijkheden" is paying plus options, so it meets "betaalmethoden"."""
    entries = [
        entry("betaalmethoden", "nl", "Welke betaalmethoden zijn er?"),
        entry("levertijd", "nl", "Wat is de levertijd?"),
    ]
    result = Matcher.build(entries, BotSettings()).match("betaalmogelijkheden", "nl")
    assert result.entry is not None and result.entry.id == "betaalmethoden"
    assert result.outcome == "answer"


def test_a_shop_can_switch_concepts_off() -> None:
    """`concepts_off` makes a concept's words plain words again, for a shop where they mean
    something else (a bike shop's broken chain is no parcel that arrived damaged); an
    unknown concept name is refused with where to find the names."""
    entries = [
        FaqEntry("damaged", "en", ("My parcel arrived damaged",), "Send us a photo."),
        FaqEntry("sizes", "en", ("Which frame size do I need?",), "Measure your inside leg."),
    ]
    with_concept = Matcher.build(entries, BotSettings(semantic=False)).match("my chain broke", "en")
    assert with_concept.entry is not None and with_concept.entry.id == "damaged"
    assert with_concept.score > 0.3
    settings = BotSettings(semantic=False, concepts_off=("damaged",))
    without = Matcher.build(entries, settings).match("my chain broke", "en")
    assert without.entry is None and without.score == 0.0
    assert Matcher.build(entries, settings).match("it arrived damaged", "en").outcome == "answer"
    with pytest.raises(ValueError, match=r"no such concept: damage .*loket faq concepts"):
        BotSettings(concepts_off=("damage",))


def test_german_umlauts_written_out_are_the_umlauts() -> None:
    """Without umlauts on the keyboard, shoppers write "fuer", "moebel", "zurueck": the same
    words as "für", "Möbel", "zurück"; "neue", "teuer" and "quelle" keep their "ue"."""
    assert content_terms("Möbel zurückschicken für Sofas", "de") == content_terms(
        "moebel zurueckschicken fuer sofas", "de"
    )
    assert "fur" not in content_terms("fuer das sofa", "de")  # a stop word, however written
    assert german_spelling("neue") == "neue" and german_spelling("teuer") == "teuer"
    assert german_spelling("quelle") == "quelle"


def test_german_shoppers_words_meet_the_faqs() -> None:
    """The lexicon speaks German too: "visa" is a credit card, "abstottern" paying in
    instalments, which stays apart from paying later by invoice."""
    german = Matcher.build(
        [
            entry(
                "zahlungsarten",
                "de",
                "Welche Zahlungsarten gibt es?",
                "Kann ich mit Kreditkarte zahlen?",
            ),
            entry("raten", "de", "Kann ich in Raten zahlen?"),
            entry("rechnung", "de", "Kann ich später bezahlen?"),
            entry("storno", "de", "Wie storniere ich meine Bestellung?"),
        ],
        BotSettings(semantic=False),
    )
    for question, expected in [
        ("nehmt ihr visa", "zahlungsarten"),
        ("kann ich das sofa abstottern", "raten"),
        ("auftrag stornieren", "storno"),
    ]:
        ranked, _ = german.ranked(question, "de")
        assert ranked[0][1].id == expected, (question, [(e.id, s) for s, e in ranked])
    ranked, _ = german.ranked("ratenkauf", "de")
    scores = {entry.id: score for score, entry in ranked}
    assert scores["raten"] > scores.get("rechnung", 0.0) + 0.2


def test_a_way_to_pay_is_also_paying_and_still_itself() -> None:
    """A question naming only a way to pay ("nehmt ihr Kreditkarte?", "accepteren jullie
    paypal") asks what the entry on how to pay answers, though only its answer names the
    card or the wallet; an entry about that one way to pay still answers it first, and
    the English adjective "ideal" is no Dutch bank payment."""
    shop = Matcher.build(
        [
            entry(
                "betaalmethoden", "nl", "Hoe kan ik betalen?", answer="iDEAL, Bancontact, PayPal."
            ),
            entry("retour", "nl", "Hoe kan ik iets retourneren?"),
            entry("levertijd", "nl", "Hoe lang duurt de levering?"),
            entry("zahlungsarten", "de", "Welche Zahlungsarten gibt es?", answer="PayPal, Visa."),
            entry("versand", "de", "Was kostet der Versand?"),
            entry("payment-methods", "en", "How can I pay?", answer="Visa, American Express."),
            entry("returns", "en", "How do I return an item?"),
        ],
        BotSettings(semantic=False),
    )
    for text, language, expected in (
        ("accepteren jullie paypal", "nl", "betaalmethoden"),
        ("bancontact?", "nl", "betaalmethoden"),
        ("nehmt ihr kreditkarte", "de", "zahlungsarten"),
        ("do you accept amex", "en", "payment-methods"),
    ):
        result = shop.match(text, language)
        assert result.outcome != "unknown" and result.entry, (text, result)
        assert result.entry.id == expected, (text, result)
    assert_answered(
        [
            entry("betaalmethoden", "nl", "Hoe kan ik betalen?", answer="iDEAL en PayPal."),
            entry("paypal-mislukt", "nl", "Mijn PayPal betaling lukt niet"),
        ],
        [("paypal lukt niet", "nl", "paypal-mislukt"), ("kan ik betalen", "nl", "betaalmethoden")],
    )
    lexicon = lexicon_for("nl")
    assert content_terms("accepteren jullie paypal", "nl", lexicon)[-2:] == ["paypal", "~pay"]
    assert "~pay" not in content_terms("is this ideal for kids", "en", lexicon_for("en"))
    # Names are matched as written: the Dutch adjective "ideale" stems to "ideal".
    assert "~pay" not in content_terms("de ideale tuinset", "nl", lexicon)
    assert "~pay" in content_terms("met ideal betalen", "nl", lexicon)


def test_to_store_something_is_no_shop() -> None:
    """ "store" is the shop after a word that says so ("your store", "in store", "store
    hours"), and otherwise to keep something: a food shop's entry on keeping its goods is
    not offered to a shopper looking for the shop, nor the shop to one asking how to keep
    them."""
    assert_answered(
        [
            entry("shop", "en", "Do you have a physical shop?", "Can I visit you?"),
            entry("keeping", "en", "How should I store the chocolate?", "Does chocolate keep?"),
            entry("delivery", "en", "How long does delivery take?"),
        ],
        [
            ("where is your store?", "en", "shop"),
            ("do you have a store in bruges", "en", "shop"),
            ("how do i store pralines", "en", "keeping"),
            ("can the chocolate be stored in the fridge", "en", "keeping"),
        ],
    )
    # A pet shop with a shop in Utrecht and an entry on keeping opened bags of food.
    pets = Path(__file__).parent / "data" / "dierenwinkel"
    shop = Matcher.build(load_faq_dir(pets).entries, BotSettings())
    for text, expected in (
        ("how should i store the food", "shelf-life"),
        ("where is your store?", "store-pickup"),
    ):
        result = shop.match(text, "en")
        assert (result.outcome, result.entry and result.entry.id) == ("answer", expected), text
    lexicon = lexicon_for("en")
    assert "~store" in content_terms("store hours?", "en", lexicon)
    assert "~store" in content_terms("can I pick it up in store", "en", lexicon)
    assert "~store" not in content_terms("how long can I store it", "en", lexicon)


def test_a_french_faq_reads_past_french_function_words() -> None:
    """French has stop words, a plural's "-s" off and the lexicon's webshop words: "je
    voudrais retourner mes pralines" is about returning, "acceptez-vous paypal" about
    paying, and "comment" alone frames a question as "how" does."""
    assert_answered(
        [
            entry("livraison", "fr", "Quel est le délai de livraison ?"),
            entry(
                "retour", "fr", "Puis-je retourner un article ?", "Comment renvoyer ma commande ?"
            ),
            entry("paiement", "fr", "Comment puis-je payer ?", answer="Bancontact et PayPal."),
            entry("conservation", "fr", "Comment conserver le chocolat ?"),
        ],
        [
            ("je voudrais retourner mes pralines", "fr", "retour"),
            ("acceptez-vous paypal", "fr", "paiement"),
            ("quels sont les délais de livraison", "fr", "livraison"),
            ("comment conserver les pralines", "fr", "conservation"),
            ("je veux renvoyer ma commande", "fr", "retour"),
        ],
    )
    lexicon = lexicon_for("fr")
    assert content_terms("je voudrais des commandes", "fr", lexicon) == ["~order"]
