"""The matcher: outcomes, robustness to how shoppers type, languages, and speed."""

from __future__ import annotations

import asyncio
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from faq_synthetic import faq, questions

import loket.bot.matcher as matcher_module
from loket.bot.eval import percentile
from loket.bot.faq import FaqEntry, load_faq_dir
from loket.bot.matcher import MAX_ENCODING, Matcher, _LanguageIndex, match_async
from loket.bot.normalize import words
from loket.bot.semantic import CpuBudget
from loket.bot.settings import BotSettings


def entry(entry_id: str, language: str, *questions: str, tags: tuple[str, ...] = ()) -> FaqEntry:
    return FaqEntry(entry_id, language, questions, f"Answer of {entry_id}.", tags=tags)


def assert_answers(shop: Matcher, cases: list[tuple[str, str | None, str]]) -> None:
    """Each (question, page language, expected id) is answered outright with that entry."""
    for question, language, expected in cases:
        found = shop.match(question, language)
        assert (found.outcome, found.entry and found.entry.id) == ("answer", expected), question


ENTRIES = [
    entry(
        "levertijd", "nl", "Wanneer wordt mijn bestelling bezorgd?", "Hoe lang duurt de levering?"
    ),
    entry("retourlabel", "nl", "Ik ben mijn retourlabel kwijt", "Waar vind ik het retourlabel?"),
    entry("retourtermijn", "nl", "Hoe lang mag ik iets retourneren?", "Wat is de retourtermijn?"),
    entry("retourkosten", "nl", "Wat kost retourneren?", "Is een retour gratis?"),
    entry("betalen", "nl", "Hoe kan ik betalen?", "Kan ik met iDEAL betalen?"),
    entry("openingstijden", "nl", "Wat zijn de openingstijden van de klantenservice?"),
    entry(
        "delivery-time", "en", "When will my order be delivered?", "How long does delivery take?"
    ),
    entry("refund", "en", "When do I get my money back?", "How long does a refund take?"),
    entry("payment", "en", "How can I pay?", "Which payment methods do you accept?"),
]


@pytest.fixture
def matcher() -> Matcher:
    return Matcher.build(ENTRIES, BotSettings())


def test_a_phrasing_is_answered(matcher: Matcher) -> None:
    """Asking one of the phrasings answers with its entry and a top score."""
    result = matcher.match("Hoe lang duurt de levering?", "nl")
    assert (result.outcome, result.entry and result.entry.id) == ("answer", "levertijd")
    assert result.score > 0.9
    assert result.language == "nl"


def test_typos_case_and_punctuation_do_not_matter(matcher: Matcher) -> None:
    """A question typed fast, with typos and no capitals, still finds its entry."""
    result = matcher.match("wanner word mn bestelling bezorgt", None)
    assert result.entry is not None and result.entry.id == "levertijd"
    assert result.outcome == "answer"


def test_a_short_word_with_two_letters_swapped_is_a_typo_another_letter_is_not() -> None:
    """ "tiem" is "time" typed fast; "ship" is no typo of "shop" (nor "card" of "cart")."""
    shop = Matcher.build(
        [
            entry("delivery-time", "en", "What is the delivery time?"),
            entry("store", "en", "Do you have a shop in Leeds?", tags=("shop",)),
            entry("basket", "en", "Can I save my cart?"),
        ],
        BotSettings(),
    )
    found = shop.match("delivry tiem", "en")
    assert (found.outcome, found.entry and found.entry.id) == ("answer", "delivery-time")
    # ("ship" may find the delivery time: the id names delivery.)
    ship = shop.match("ship", "en")
    assert ship.outcome == "unknown" or (ship.entry and ship.entry.id == "delivery-time")
    assert shop.match("card", "en").outcome == "unknown"


def test_a_compound_with_another_last_word_is_no_typo() -> None:
    """ "fietshelm" is two letters from the FAQ's "fietsbel", but "helm" is no typo of
    "bel": a helmet is not a bell. A typo in the compound itself still finds it."""
    shop = Matcher.build(
        [
            entry("bel-montage", "nl", "Past deze bel op mijn stuur?", tags=("fietsbel",)),
            entry("verlichting", "nl", "Welke fietslampen hebben jullie?"),
            entry(
                "cadeaubon", "nl", "Kan ik met een cadeaubon betalen?", "Staat de code op de bon?"
            ),
        ],
        BotSettings(),
    )
    for question in ("Hebben jullie fietshelmen?", "fietshelm"):
        found = shop.match(question, "nl")
        assert found.outcome == "unknown" or found.entry is None, (question, found)
    # A typo in the last part is still a typo ("bno" of "bon", a word of the FAQ too).
    for question, expected in (("fietsbell", "bel-montage"), ("met een cadeaubno", "cadeaubon")):
        typo = shop.match(question, "nl")
        assert (typo.outcome, typo.entry and typo.entry.id) == ("answer", expected), question


def test_a_typo_in_a_compound_of_the_faq_finds_it() -> None:
    """The FAQ's compounds are indexed by their parts ("versand" and cost for
    "Versandkosten"); a question's typo of the whole compound, which no part matches, is
    that compound. Not another compound: "fietsklamp" has another word in the place of
    "lamp", and "boekenbonnen" two letters off in the first part of "bloemenbon"."""
    shop = Matcher.build(
        [
            entry("versandkosten", "de", "Was kostet der Versand?", tags=("Versandkosten",)),
            entry("lieferzeit", "de", "Wie lange dauert es?", tags=("Lieferzeit",)),
            entry("lampen", "nl", "Welke fietslampen hebben jullie?", tags=("fietslamp",)),
            entry("reparatie", "nl", "Repareren jullie mijn fiets?"),
            entry("bloemenbon", "nl", "Kan ik met een bloemenbon betalen?"),
            entry("bloemen", "nl", "Zijn de bloemen vers?", "Hoe lang blijven bloemen goed?"),
            entry("bon", "nl", "Waar vind ik mijn bon?"),
        ],
        BotSettings(),
    )
    index = shop._indexes["nl"]
    assert {"fietslamp", "bloemenbon"} <= set(index._compounds), index._compounds
    assert_answers(
        shop,
        [
            ("versankosten?", "de", "versandkosten"),
            ("lieferzeiit", "de", "lieferzeit"),
            ("fietslmap", "nl", "lampen"),
            ("met een bloemnbon betalen", "nl", "bloemenbon"),
        ],
    )
    parts = [list(index._compounds[word]) for word in ("fietslamp", "bloemenbon")]
    for other in ("fietsklamp", "verkopen jullie boekenbonnen"):
        assert index.question_terms([other.split()[-1]]) not in parts, other
        found = shop.match(other, "nl")
        assert found.outcome != "answer" or found.entry.id not in ("lampen", "bloemenbon")


def test_a_typo_of_a_frame_word_frames_the_question_too() -> None:
    """ "waneer" is "wanneer" mistyped: it frames the question as "wanneer" does, for the
    matcher and for `loket faq ask`."""
    levertijd = entry("levertijd", "nl", "Wanneer wordt het bezorgd?")
    shop = Matcher.build([levertijd, entry("retour", "nl", "Hoe retourneer ik?")], BotSettings())
    for question in ("wanneer bezorgd", "waneer bezorgd"):
        shared = {found.matches: found.frames for found in shop.shared_words(question, levertijd)}
        assert shared["wanner"] == "frame", (question, shared)
    # Framed by a typo alone, the entry is no answer to a question about something else.
    assert shop.match("waneer komt de kerstman", "nl").outcome != "answer"


def test_an_id_keeps_its_short_words_and_loses_its_language_code() -> None:
    """ "bezorger-te-laat" is the tag "bezorger te laat" (the lexicon's late), not a tag
    "laat" that "laat maar" and "laten zien" would find; "account-en" is "account"."""
    shop = Matcher.build(
        [
            entry("bezorger-te-laat", "nl", "Mijn bezorger is er nog niet"),
            entry("alcohol", "nl", "Waarom vraagt de bezorger om mijn ID?"),
            entry("account-en", "en", "How do I log in?"),
        ],
        BotSettings(),
    )
    assert_answers(
        shop,
        [
            ("de bezorger is te laat", "nl", "bezorger-te-laat"),
            ("moet ik mijn id laten zien aan de bezorger", "nl", "alcohol"),
            ("account", None, "account-en"),
        ],
    )
    assert shop.match("laat maar", "nl").outcome != "answer"


def test_a_compound_that_splits_elsewhere_is_no_kind_of_a_word() -> None:
    """ "pakketautomaat" ends in "tomaat" but is "pakket" and "automaat": tomatoes are no
    parcel lockers. A compound that splits at the word is a kind of it ("cactusgrond")."""
    shop = Matcher.build(
        [
            entry("afhalen", "nl", "Kan ik afhalen bij een pakketautomaat?"),
            entry("pakket", "nl", "Waar is mijn pakket?"),
            entry("automaat", "nl", "Werkt de automaat ook 's nachts?"),
            entry("grond", "nl", "Welke cactusgrond raden jullie aan?"),
        ],
        BotSettings(),
    )
    for question in ("tomaten", "de tomaten waren beschimmeld"):
        found = shop.match(question, "nl")
        assert found.entry is None or found.entry.id != "afhalen", found
    found = shop.match("hebben jullie ook grond voor cactussen", "nl")
    assert found.entry is not None and found.entry.id == "grond"


def test_an_english_plural_of_a_word_in_u_is_that_word() -> None:
    """The stemmer keeps "-us" ("bus", "status"), but "gpus" are GPUs."""
    shop = Matcher.build(
        [
            entry("trade-in", "en", "Can I trade in my old GPU?"),
            entry("returns", "en", "Can I return a used item?"),
        ],
        BotSettings(),
    )
    assert_answers(
        shop, [("gpus?", "en", "trade-in"), ("do you take gpus in trade", "en", "trade-in")]
    )


def test_a_letter_typed_twice_is_a_typo_also_of_a_short_word() -> None:
    """ "koost" is "kost" and "maiil" "mail", though a four-letter word is otherwise
    forgiven only a swap; a doubled vowel of a long word too ("voorraaad")."""
    shop = Matcher.build(
        [
            entry("verzendkosten", "nl", "Wat kost verzenden?"),
            entry("voorraad", "nl", "Is dit op voorraad?"),
            entry("bevestiging", "nl", "Ik heb geen mail gekregen"),
            entry("gift-card", "en", "Can I pay with a gift card?"),
            entry("warm", "nl", "Blijft de soep warm?"),
        ],
        BotSettings(),
    )
    # A double letter of the word's own is no typo of a shorter word of the FAQ.
    found = shop.match("waarmee kan ik betalen", "nl")
    assert found.entry is None or found.entry.id != "warm", found
    assert_answers(
        shop,
        [
            ("wat koost verzenden", "nl", "verzendkosten"),
            ("is dit op voorraaad", "nl", "voorraad"),
            ("ik heb geen maiil gehad", "nl", "bevestiging"),
            ("can i pay with a gift ccard", "en", "gift-card"),
        ],
    )


def test_a_typo_is_judged_by_the_shorter_word() -> None:
    """A five-letter word is forgiven one letter, a four-letter one only a swap: "broek"
    (trousers) is no "brok" (of "gebroken") with a letter more, so a question about
    trousers is not answered with the entry on broken parcels."""
    shop = Matcher.build(
        [
            entry("kapot", "nl", "Mijn bestelling is gebroken aangekomen"),
            entry("ruilen", "nl", "Kan ik ruilen voor een andere maat?"),
        ],
        BotSettings(),
    )
    for question in ("broek", "hoe was ik een broek"):
        found = shop.match(question, "nl")
        assert found.outcome != "answer" or found.entry.id != "kapot", question
    found = shop.match("kan ik deze broek ruilen", "nl")
    assert (found.outcome, found.entry and found.entry.id) == ("answer", "ruilen")


def test_dutch_compounds_match_split_or_joined(matcher: Matcher) -> None:
    """ "retour label" and "retourlabel" are the same thing."""
    for text in ("retour label kwijt", "retourlabel kwijt"):
        result = matcher.match(text, "nl")
        assert result.entry is not None and result.entry.id == "retourlabel", text


def test_when_the_language_cannot_be_told_translations_compete() -> None:
    """A word of both languages ("klarna") asks which is meant; the locale settles it."""
    entries = [
        *ENTRIES,
        entry("pay-later", "en", "Can I pay afterwards?", tags=("klarna",)),
        entry("achteraf-betalen", "nl", "Kan ik achteraf betalen?", tags=("klarna",)),
    ]
    for settings in (BotSettings(), BotSettings(semantic=False)):
        matcher = Matcher.build(entries, settings)
        unsure = matcher.match("klarna", None)
        assert unsure.outcome == "suggest"
        assert {e.id for e in unsure.suggestions} == {"pay-later", "achteraf-betalen"}
        told = matcher.match("klarna", "en-GB")
        assert (told.outcome, told.entry and told.entry.id) == ("answer", "pay-later")


def test_a_very_large_faq_is_matched_by_words_alone() -> None:
    """Past semantic_max_phrasings meaning is not encoded, and the stricter cut-offs apply."""
    large = Matcher.build(ENTRIES, BotSettings(semantic_max_phrasings=5, answer_margin=0.1))
    assert not large.settings.semantic
    assert (large.settings.answer_score, large.settings.answer_margin) == (0.6, 0.1)
    assert large.match("hoe lang duurt de levering", "nl").score == pytest.approx(1.0)
    assert Matcher.build(ENTRIES, BotSettings()).settings.semantic


def test_one_ambiguous_word_asks_did_you_mean(matcher: Matcher) -> None:
    """ "retour" fits several entries, so the bot offers them instead of guessing."""
    result = matcher.match("retour", "nl")
    assert result.outcome == "suggest"
    assert 2 <= len(result.suggestions) <= 3
    assert {e.id for e in result.suggestions} <= {"retourlabel", "retourtermijn", "retourkosten"}


@pytest.mark.parametrize(
    "text", ["asdfghjkl qwerty", "👍👍", "???", "", "hallo", "doe je mee aan de loterij"]
)
def test_gibberish_emoji_and_unrelated_questions_are_unknown(matcher: Matcher, text: str) -> None:
    """Nothing to go on means "I don't know", never a guess."""
    assert matcher.match(text, "nl").outcome == "unknown"


def test_a_long_rambling_message_finds_the_question(matcher: Matcher) -> None:
    """In 300 words of story, the one sentence that asks something is found."""
    story = "Ik heb vorige week iets gekocht voor mijn zus die in een ander dorp woont. " * 20
    text = story + "Hoe kan ik met iDEAL betalen? " + "Ze is er heel blij mee, denk ik. " * 8
    assert len(text.split()) >= 300
    result = matcher.match(text, "nl")
    assert result.entry is not None and result.entry.id == "betalen"
    assert result.outcome == "answer"


def test_a_question_followed_by_a_detail_is_answered(matcher: Matcher) -> None:
    """A short question and a sentence of detail after it (or before it): when the whole
    message is not known, its sentences are scored on their own, so the detail does not
    dilute the question until the bot no longer knows it."""
    detail = "Mijn zus heeft gisteren veertig houten stoelen en twaalf tafels voor de kantine"
    for text in (
        f"Kan ik met iDEAL betalen? {detail} van de voetbalclub gekocht.",
        f"hoi, kan ik met ideal betalen?? {detail.lower()} gekocht",
        f"{detail} van de voetbalclub gekocht. Kan ik met iDEAL betalen?",
    ):
        assert len(text.split()) <= 24
        result = matcher.match(text, "nl")
        assert (result.outcome, getattr(result.entry, "id", None)) == ("answer", "betalen"), text


def test_each_piece_of_a_question_is_read_and_scored_once(
    matcher: Matcher, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A message the bot does not know as a whole is ranked again by sentence (and a
    question in another language again in the FAQ's other languages): the whole, scored
    for the first ranking, is not scored again, and no sentence twice."""
    detail = "Mijn zus heeft gisteren veertig houten stoelen en twaalf tafels voor de kantine"
    text = f"Kan ik met iDEAL betalen? {detail} van de voetbalclub gekocht."
    scored: list[tuple[str, ...]] = []
    read: list[tuple[str, ...]] = []
    score, question_terms = _LanguageIndex.score, _LanguageIndex.question_terms

    def scoring(self: _LanguageIndex, terms: Any, keep: int) -> Any:
        scored.append(tuple(id(term) for term in terms))
        return score(self, terms, keep)

    def reading(self: _LanguageIndex, folded: Any, spoken: Any = None) -> Any:
        read.append(tuple(folded))
        return question_terms(self, folded, spoken)

    monkeypatch.setattr(_LanguageIndex, "score", scoring)
    monkeypatch.setattr(_LanguageIndex, "question_terms", reading)
    result = matcher.match(text, "nl")
    assert (result.outcome, getattr(result.entry, "id", None)) == ("answer", "betalen")
    # The whole and its two sentences, each once.
    assert len(read) == len(set(read)) == 3
    assert len(scored) == 3


def test_an_entry_s_own_phrasing_covers_it_exactly() -> None:
    """Asked word for word, a phrasing scores exactly 1.0 for its entry: its words' weights
    are added in one order when the entry is built and when a question is scored, so no
    rounding puts a verbatim question a hair under a threshold."""
    entries = faq(2_000)
    shop = Matcher.build(entries, BotSettings(semantic=False))
    index = shop._indexes["nl"]
    position = {id(found): number for number, found in enumerate(index.entries)}
    for found in entries[::7]:
        for question in found.questions:
            terms = [index.expand(term) for term in index.question_terms(words(question))]
            assert index.score(terms, 4).get(position[id(found)]) == 1.0, question


def test_a_phrasing_of_stop_words_makes_no_entry_short() -> None:
    """A word in more than 2,000 entries is walked in the entries with the shortest
    phrasings first; an entry with a long phrasing and "Kan dat?" (stop words alone, no
    words at all) is not among them, so a question of that word alone finds the entries
    that are about it."""

    def made_up(number: int, part: int = 0) -> str:
        value, letters = number * 7 + part, ""
        for _ in range(4):
            letters += "bcdfgklmnprstvz"[value % 15] + "aeiou"[value // 15 % 5]
            value //= 75
        return letters + "x"

    entries = [entry(f"e{n}", "nl", f"Bestelling {made_up(n)}") for n in range(1_800)]
    entries += [
        entry(
            f"e{n}",
            "nl",
            "Bestelling " + " ".join(made_up(n, part) for part in range(5)),
            "Kan dat?",
        )
        for n in range(1_800, 2_200)
    ]
    shop = Matcher.build(entries, BotSettings(semantic=False))
    found = shop.match("bestelling", "nl")
    assert found.entry is not None and int(found.entry.id[1:]) < 1_800


def test_language_from_locale_or_detected(matcher: Matcher) -> None:
    """The browser's language is used; without it the language is detected."""
    assert matcher.match("How can I pay?", "en-GB").entry.id == "payment"  # type: ignore[union-attr]
    assert matcher.match("how long does a refund take", None).language == "en"
    assert matcher.match("hoe kan ik betalen", None).entry.id == "betalen"  # type: ignore[union-attr]


def test_clearly_other_language_overrules_locale(matcher: Matcher) -> None:
    """A Dutch question from an English browser is matched in Dutch."""
    result = matcher.match("wanneer wordt mijn bestelling bezorgd", "en-US")
    assert result.language == "nl"
    assert result.entry is not None and result.entry.id == "levertijd"


def test_a_keyword_only_the_other_language_has_overrules_the_page(matcher: Matcher) -> None:
    """An English keyword on a Dutch page ("refund") is matched in English, and a Dutch one
    on an English page in Dutch: no word of the page's language stands against it. One
    word of the page's language is enough to keep it ("refund mijn geld")."""
    refund = matcher.match("refund", "nl-NL")
    assert (refund.outcome, refund.language) == ("answer", "en")
    assert refund.entry is not None and refund.entry.id == "refund"
    label = matcher.match("retourlabel", "en-GB")
    assert (label.outcome, label.language) == ("answer", "nl")
    assert label.entry is not None and label.entry.id == "retourlabel"
    assert matcher.match("refund mijn bestelling", "nl").language == "nl"


def test_an_entry_s_id_counts_as_a_tag() -> None:
    """A shopper who types just the word the shop named an entry for gets it ("lieferzeit"
    for an entry about "Lieferung"); an id of a number says nothing, nor does a learned
    pair's."""
    answer = "Lagerware ist in 1 bis 3 Werktagen bei dir."
    delivery = FaqEntry("lieferzeit", "de", ("Wie lange dauert die Lieferung?",), answer)
    other = FaqEntry("zahlung", "de", ("Wie kann ich bezahlen?",), "Mit PayPal.")
    result = Matcher.build([delivery, other], BotSettings()).match("lieferzeit", "de")
    assert (result.outcome, result.entry and result.entry.id) == ("answer", "lieferzeit")
    for named in ("q12", "learned:12"):
        unnamed = FaqEntry(named, "de", delivery.questions, answer)
        result = Matcher.build([unnamed, other], BotSettings()).match("lieferzeit", "de")
        assert result.outcome != "answer", named


def test_a_question_in_a_language_the_faq_lacks_finds_entries_by_its_webshop_words() -> None:
    """An English question on a German-only shop is read as English, and its webshop words
    ("shipping", "return", "cancel") find the German entries that use the same concepts;
    a question with none of them, or in a language the FAQ has, is matched as before."""
    entries = [
        FaqEntry("versandkosten", "de", ("Was kostet der Versand?",), "4,90 €."),
        FaqEntry("ausland", "de", ("Liefert ihr nach Österreich?",), "Ja, für 9,90 €."),
        FaqEntry("ruecksendung", "de", ("Kann ich Futter zurückschicken?",), "Ja, 30 Tage."),
        FaqEntry("abo-kuendigen", "de", ("Wie kündige ich mein Abo?",), "Im Konto."),
    ]
    shop = Matcher.build(entries, BotSettings(semantic=False))
    result = shop.match("how much is shipping?", "de")
    assert (result.outcome, result.entry and result.entry.id) == ("answer", "versandkosten")
    # Words both languages have ("in", "will") tell neither.
    result = shop.match("do you deliver in austria", "de")
    offered = {choice.id for choice in result.suggestions} | {result.entry and result.entry.id}
    assert result.outcome != "unknown" and "ausland" in offered, result
    # "opened" and "food" do not cross: offered, not answered outright, in so small a FAQ.
    result = shop.match("can I return opened food", "de")
    assert result.outcome != "unknown" and result.entry and result.entry.id == "ruecksendung"
    # Shipping to a country: the country entry at least offered, beside shipping costs.
    result = shop.match("do you ship to austria", "de")
    offered = {choice.id for choice in result.suggestions} | {result.entry and result.entry.id}
    assert result.outcome != "unknown" and "ausland" in offered, result
    assert shop.match("is the blue one waterproof", "de").outcome == "unknown"
    # Its other words count as words the FAQ lacks: a price is no shipping cost.
    for other in ("what does the cat litter cost", "is your food grain free"):
        assert shop.match(other, "de").outcome != "answer", other
    # One English word is enough when the page is English too ("my"); not on a German
    # page, and a German question on an English page stays German.
    parcel = FaqEntry("beschaedigt", "de", ("Mein Paket ist beschädigt",), "Schick ein Foto.")
    damaged = Matcher.build([*entries, parcel], BotSettings(semantic=False))
    result = damaged.match("my package arrived damaged", "en-GB")
    assert (result.outcome, result.entry and result.entry.id) == ("answer", "beschaedigt")
    assert damaged.match("my package arrived damaged", "de").outcome != "answer"
    result = damaged.match("paket beschädigt", "en-GB")
    assert (result.outcome, result.entry and result.entry.id) == ("answer", "beschaedigt")
    both = Matcher.build(
        [*entries, entry("shipping", "en", "What does shipping cost?")], BotSettings(semantic=False)
    )
    result = both.match("how much is shipping?", "de")
    assert result.entry is not None and result.entry.id == "shipping"


def test_a_question_in_a_language_the_faq_lacks_is_answered_from_its_english_entries() -> None:
    """A German question on a German page of a Dutch and English shop is answered from the
    English entries, not the Dutch ones its words resemble ("lange", "die"): a shopper of
    another language reads English sooner. Answers learned in German do not change that.
    What only the Dutch files answer is still found there, and a Dutch question on the
    same page is matched as before."""
    entries = [
        entry("levertijd", "nl", "Hoe lang duurt de levering?", "Wanneer komt mijn pakket?"),
        entry("retour", "nl", "Kan ik mijn bestelling terugsturen?"),
        entry("betaalmethoden", "nl", "Hoe kan ik betalen?", "Kan ik met PayPal betalen?"),
        entry("delivery-time", "en", "How long does delivery take?", "When will my parcel come?"),
        entry("returns", "en", "Can I send my order back?"),
    ]
    learned = entry("learned:4", "de", "Habt ihr Geschenkpapier?")
    for shop in (entries, [*entries, learned]):
        matcher = Matcher.build(shop, BotSettings(semantic=False))
        for question, expected in (
            ("Wie lange dauert die Lieferung?", "delivery-time"),
            ("Kann ich meine Bestellung zurückschicken?", "returns"),
            ("Kann ich mit PayPal bezahlen?", "betaalmethoden"),
            ("Hoe lang duurt de levering?", "levertijd"),
        ):
            result = matcher.match(question, "de")
            found = (result.outcome, result.entry and result.entry.id)
            assert found == ("answer", expected), (question, result)


@pytest.mark.parametrize("semantic", [False, True])
def test_learned_answers_alone_in_a_language_leave_the_faq_in_reach(semantic: bool) -> None:
    """One English answer learned on a German shop (an agent answered an English shopper)
    makes English a language of the bot, but the German FAQ still answers English questions
    by their webshop words, as it did before; the learned answer answers its own."""
    entries = [
        FaqEntry("versandkosten", "de", ("Was kostet der Versand?",), "4,90 €."),
        FaqEntry("abo-kuendigen", "de", ("Wie kündige ich mein Abo?",), "Im Konto."),
        FaqEntry("zahlung", "de", ("Wie kann ich bezahlen?",), "Mit PayPal."),
        FaqEntry(
            "learned:7", "en", ("do you have gift wrapping for a present",), "Yes, at checkout."
        ),
    ]
    shop = Matcher.build(entries, BotSettings(semantic=semantic))
    for page in ("de", "en"):
        result = shop.match("how much is shipping?", page)
        assert (result.outcome, result.entry and result.entry.id) == ("answer", "versandkosten")
        assert result.language == "en"  # the bot's own words in the shopper's language
        # `loket faq ask` tells what carried it, read as the matcher read it.
        shared = shop.shared_words("how much is shipping?", entries[0], page)
        assert {found.word for found in shared} == {"~cost", "~deliver"}
        # A German question on the English page is still read as German.
        result = shop.match("was kostet der versand", page)
        assert (result.outcome, result.entry and result.entry.id) == ("answer", "versandkosten")
        result = shop.match("do you gift wrap", page)
        assert (result.outcome, result.entry and result.entry.id) == ("answer", "learned:7")
        result = shop.match("wie kündige ich mein abo", page)
        assert (result.outcome, result.entry and result.entry.id) == ("answer", "abo-kuendigen")
        assert shop.match("is the blue one waterproof", page).outcome == "unknown"


def test_learned_answers_alone_in_a_language_beside_a_faq_of_two_or_a_third_language() -> None:
    """With English answers learned on a German and Dutch shop, an English question is read
    as English by both FAQ languages' entries ("return" finds both returns entries); with
    them on a German shop, a Dutch question is read as Dutch, as without them."""
    german = [
        FaqEntry("versandkosten", "de", ("Was kostet der Versand?",), "4,90 €."),
        FaqEntry("zahlung", "de", ("Wie kann ich bezahlen?",), "Mit PayPal."),
        FaqEntry("ruecksendung", "de", ("Wie kann ich etwas zurückschicken?",), "30 Tage."),
    ]
    dutch = [FaqEntry("retour", "nl", ("Hoe kan ik iets retourneren?",), "30 dagen.")]
    learned = [FaqEntry("learned:7", "en", ("do you have gift wrapping",), "Yes, at checkout.")]
    both = Matcher.build([*german, *dutch, *learned], BotSettings(semantic=False))
    for page in (None, "en"):
        result = both.match("can I return something?", page)
        offered = {e.id for e in result.suggestions} | {result.entry.id if result.entry else ""}
        assert result.outcome != "unknown" and offered >= {"ruecksendung", "retour"}, result
    one = Matcher.build([*german, *learned], BotSettings(semantic=False))
    for page in (None, "nl"):
        for question, meant in (
            ("wat kost de verzending", "versandkosten"),
            ("hoe kan ik betalen", "zahlung"),
        ):
            result = one.match(question, page)
            assert (result.outcome, result.entry and result.entry.id) == ("answer", meant)


def test_a_question_in_a_language_of_learned_answers_reaches_every_faq_language() -> None:
    """German answers learned on a Dutch and English shop (the coffee-machine shop): a
    German question is read as German by both FAQ languages' entries on every page, not
    only by the page's (on the English page it got "don't know")."""
    shop = Path(__file__).parent / "data" / "koffiehuis"
    learned = FaqEntry("learned:3", "de", ("habt ihr geschenkpapier",), "Ja.")
    matcher = Matcher.build([*load_faq_dir(shop).entries, learned], BotSettings(semantic=False))
    for page in (None, "en", "nl"):
        result = matcher.match("wann kommt meine bestellung", page)
        offered = {e.id for e in result.suggestions} | {result.entry.id if result.entry else ""}
        assert result.outcome != "unknown" and "levertijd" in offered, (page, result)


def test_learned_entries_are_added_by_building_a_new_matcher(matcher: Matcher) -> None:
    """Learned answers join as extra entries; the old matcher is left unchanged."""
    learned = entry("learned:1", "nl", "Kan ik een cadeaubon gebruiken?")
    bigger = matcher.extended([learned])
    assert bigger.match("cadeaubon gebruiken", "nl").entry == learned
    assert matcher.match("cadeaubon gebruiken", "nl").outcome == "unknown"
    assert len(bigger.entries) == len(matcher.entries) + 1


def test_question_words_are_looked_up_once_and_forgotten_when_full(
    matcher: Matcher, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A word's typo and prefix search runs once per index; the same answers follow."""
    first = matcher.match("wanner word mn bestelling bezorgt", "nl")
    calls: list[str] = []
    original = _LanguageIndex._expand

    def counting(self: _LanguageIndex, term: str) -> Any:
        calls.append(term)
        return original(self, term)

    monkeypatch.setattr(_LanguageIndex, "_expand", counting)
    assert matcher.match("wanner word mn bestelling bezorgt", "nl") == first
    assert calls == []
    assert matcher.match("wanneer komt mijn pakket", "nl").entry is not None
    assert calls  # words not asked before are looked up
    # A full cache starts over rather than growing without bound.
    monkeypatch.setattr(matcher_module, "_TERM_CACHE", 2)
    calls.clear()
    matcher.match("levering duurt lang betalen", "nl")
    index = next(iter(matcher._indexes.values()))
    assert len(index._expanded) <= 2
    assert matcher.match("wanner word mn bestelling bezorgt", "nl") == first


def test_a_words_languages_are_looked_up_once_and_forgotten_when_full(
    matcher: Matcher, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Language detection asks once per distinct word and matcher; the answers stay the same."""
    question = "wanneer wordt mijn bestelling bezorgd"
    first = matcher.language_of(question, "en-US")
    calls: list[str] = []
    original = matcher_module.word_languages

    def counting(word: str, vocabularies: Any) -> tuple[str, ...]:
        calls.append(word)
        return original(word, vocabularies)

    monkeypatch.setattr(matcher_module, "word_languages", counting)
    assert matcher.language_of(question, "en-US") == first == "nl"
    assert calls == []
    assert matcher.language_of("where is my order", None) == "en"
    assert calls == ["where", "is", "my", "order"]
    # A full cache starts over rather than growing without bound.
    monkeypatch.setattr(matcher_module, "_TERM_CACHE", 2)
    assert matcher.language_of("how long does a refund take", None) == "en"
    assert len(matcher._word_languages) <= 2
    assert matcher.language_of(question, "en-US") == "nl"


def test_the_encoder_budget_refills_at_its_share() -> None:
    """A bucket of CPU seconds: spent below zero it is unavailable until refilled."""
    now = [0.0]
    budget = CpuBudget(0.25, window=2.0, clock=lambda: now[0])
    assert budget.available()
    budget.spend(0.6)  # 0.5 s in the bucket: 0.1 s overdrawn
    assert not budget.available()
    now[0] += 0.3  # 0.075 s back: still overdrawn
    assert not budget.available()
    now[0] += 0.2
    assert budget.available()
    now[0] += 100  # never more than share * window in the bucket
    assert budget.available()
    budget.spend(0.5)
    assert not budget.available()
    with pytest.raises(ValueError):
        CpuBudget(0)


@pytest.mark.parametrize(
    "text", ["wanner word mn bestelling bezorgt", "hoe kan ik betalen", "levering duurt lang"]
)
def test_past_its_budget_the_encoder_is_skipped_and_words_decide(
    matcher: Matcher, text: str
) -> None:
    """A question asked while the encoder's CPU budget is spent is matched exactly as the
    bot matches by words alone (scores and cut-offs); the encoding that spent it counts."""
    words_alone = Matcher.build(ENTRIES, BotSettings(semantic=False))
    now = [0.0]
    budget = CpuBudget(0.0001, clock=lambda: now[0])  # 0.2 ms: one encoding spends it
    with_meaning = matcher.match(text, "nl", budget)
    assert with_meaning == matcher.match(text, "nl")
    assert not budget.available()
    assert matcher.match(text, "nl", budget) == words_alone.match(text, "nl")
    now[0] += 3600  # rested: meaning counts again
    assert matcher.match(text, "nl", budget) == with_meaning


async def test_past_its_budget_a_question_is_matched_on_the_loop(
    matcher: Matcher, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With the encoder's budget spent, a small FAQ is matched by words alone without the
    hand-over to a worker thread (which costs more than the match); with budget, in one."""
    words_alone = Matcher.build(ENTRIES, BotSettings(semantic=False))
    threads: list[object] = []
    real_to_thread = asyncio.to_thread

    async def to_thread(function: Any, *args: Any) -> Any:
        threads.append(function)
        return await real_to_thread(function, *args)

    monkeypatch.setattr(asyncio, "to_thread", to_thread)
    text = "hoe kan ik betalen"
    spent = CpuBudget(0.0001, clock=lambda: 0.0)
    spent.spend(1.0)
    assert await match_async(matcher, text, "nl", spent) == words_alone.match(text, "nl")
    assert threads == []
    assert spent.refusals == 1  # counted once (loket_bot_words_alone_for_cpu_share)
    fresh = CpuBudget(0.5)
    assert await match_async(matcher, text, "nl", fresh) == matcher.match(text, "nl")
    assert len(threads) == 1


async def test_questions_beyond_those_waiting_for_the_encoder_go_by_words_alone(
    matcher: Matcher,
) -> None:
    """A burst of questions: as many as MAX_ENCODING wait for the encoder, the rest are
    matched by words alone at once (and counted), however much budget is left, so a burst
    never queues worker threads behind one another's batches."""
    words_alone = Matcher.build(ENTRIES, BotSettings(semantic=False))
    texts = ["wanner word mn bestelling bezorgt", "hoe kan ik betalen", "levering duurt lang"] * 2
    budget = CpuBudget(1.0)
    results = await asyncio.gather(*(match_async(matcher, t, "nl", budget) for t in texts))
    waited = MAX_ENCODING
    # Encoded together or one by one, the vectors may differ in their last digits.
    assert [(r.outcome, r.entry) for r in results[:waited]] == [
        (r.outcome, r.entry) for r in (matcher.match(t, "nl") for t in texts[:waited])
    ]
    assert results[waited:] == [words_alone.match(t, "nl") for t in texts[waited:]]
    assert results[waited:] != [matcher.match(t, "nl") for t in texts[waited:]]
    assert budget.refusals == len(texts) - waited
    # Once they are answered, the next question waits for the encoder again.
    assert await match_async(matcher, texts[-1], "nl", budget) == matcher.match(texts[-1], "nl")
    assert budget.refusals == len(texts) - waited


def test_thresholds_come_from_settings() -> None:
    """Raising answer_score turns a fair match into "did you mean"."""
    strict = Matcher.build(ENTRIES, BotSettings(answer_score=0.99, answer_margin=0.0))
    assert strict.match("levering duurt lang", "nl").outcome == "suggest"


async def test_match_async_gives_the_same_result_in_a_thread() -> None:
    """Above the thread threshold, matching runs in a worker thread with the same result."""
    threaded = Matcher.build(ENTRIES, BotSettings(thread_threshold=0))
    inline = Matcher.build(ENTRIES, BotSettings())
    text = "hoe kan ik betalen"
    assert await match_async(threaded, text, "nl") == inline.match(text, "nl")


class _Observed(Matcher):
    """A matcher that notes the switch interval its worker thread sees, and can fail."""

    seen: list[float]
    together: threading.Barrier | None = None
    broken = False

    def match(self, *args: Any, **kwargs: Any) -> Any:
        self.seen.append(sys.getswitchinterval())
        if self.together is not None:
            self.together.wait()
        if self.broken:
            raise RuntimeError("broken")
        return super().match(*args, **kwargs)


async def test_the_loop_waits_less_for_the_lock_while_a_thread_matches() -> None:
    """While worker threads match, the switch interval is 1 ms, so the event loop gets the
    interpreter lock back sooner; Python's own comes back when the last one is done, also
    when a match fails."""
    threaded = _Observed.build(ENTRIES, BotSettings(thread_threshold=0))
    assert isinstance(threaded, _Observed)
    inline = Matcher.build(ENTRIES, BotSettings())
    before = sys.getswitchinterval()
    threaded.seen = []
    threaded.together = threading.Barrier(2, timeout=5)  # both threads match at once
    texts = ("hoe kan ik betalen", "waar is mijn pakket")
    results = await asyncio.gather(*(match_async(threaded, text, "nl") for text in texts))
    assert threaded.seen == [matcher_module.MATCH_SWITCH_INTERVAL] * 2
    assert results == [inline.match(text, "nl") for text in texts]
    assert sys.getswitchinterval() == before

    threaded.together = None
    threaded.broken = True
    with pytest.raises(RuntimeError):
        await match_async(threaded, texts[0], "nl")
    assert threaded.seen[-1] == matcher_module.MATCH_SWITCH_INTERVAL
    assert sys.getswitchinterval() == before


def _p99_ms(matcher: Matcher, texts: list[str]) -> float:
    """The 99th percentile of match times; each question's time is its best of three runs,
    so another process taking the CPU (CI runners are shared) is not counted as matching."""
    for text in texts[:20]:  # warm up before measuring
        matcher.match(text, "nl")
    timings = []
    for text in texts:
        runs = []
        for _ in range(3):
            started = time.perf_counter()
            matcher.match(text, "nl")
            runs.append(time.perf_counter() - started)
        timings.append(min(runs) * 1000)
    return percentile(sorted(timings), 99)


@pytest.mark.timing
def test_p99_under_25_ms_at_1000_phrasings() -> None:
    """At 1,000 phrasings 99% of questions are matched well within the 25 ms the bot may
    take (by meaning too). Fast 2-core machines take 3-6 ms, the slowest seen 11-13 ms, of
    which the sentence encoder takes most; the target at 100,000 phrasings is below."""
    entries = faq(1_000)
    matcher = Matcher.build(entries, BotSettings())
    assert matcher.phrasing_count == 1_000
    assert _p99_ms(matcher, questions(entries, 500)) < 25.0


@pytest.mark.slow
@pytest.mark.timing
def test_p99_under_25_ms_at_100000_phrasings() -> None:
    """At 100,000 phrasings 99% of questions are matched within 25 ms."""
    entries = faq(100_000)
    matcher = Matcher.build(entries, BotSettings())
    assert matcher.phrasing_count == 100_000
    assert _p99_ms(matcher, questions(entries, 300)) < 25.0


def test_questions_asked_at_once_are_encoded_together() -> None:
    """Threads matching at the same time share batches, and each gets its own vector."""
    from concurrent.futures import ThreadPoolExecutor

    import numpy as np

    from loket.bot.semantic import shared_encoder

    encoder = shared_encoder()
    texts = [f"wanneer wordt bestelling {n} bezorgd" for n in range(40)] + [
        "hoe kan ik betalen",
        "where is my parcel",
    ]
    alone = [encoder.encode([text])[0] for text in texts]
    with ThreadPoolExecutor(8) as pool:
        together = list(pool.map(encoder.encode_question, texts))
    for one, other in zip(alone, together, strict=True):
        assert float(np.dot(one, other)) > 0.999


@pytest.mark.parametrize("semantic", [False, True])
def test_a_compound_of_a_word_is_no_form_of_it(semantic: bool) -> None:
    """ "fietstas" (a bag for a bike) is no form of "fiets" (a bike), nor is "fietsbellen"
    by its words: the entry saying the shop sells no bikes is a choice at most for them
    ("verkopen jullie fietsbellen" is close enough to "verkopen jullie fietsen" in meaning
    to be answered by it when meaning counts: a compound's first part holds an entry as a
    common word does); "fietsen" and "fietsje" are forms of the word, and
    "betaalmogelijkheden" is still about paying."""
    shop = Matcher.build(
        [
            entry("geen-fietsen", "nl", "Verkopen jullie fietsen?"),
            entry("levertijd", "nl", "Hoe lang duurt de levering?"),
            entry("betalen", "nl", "Hoe kan ik betalen?"),
            entry("openingstijden", "nl", "Wanneer is de winkel open?"),
        ],
        BotSettings(semantic=semantic),
    )
    compounds = ["hebben jullie fietstassen"] + (
        [] if semantic else ["verkopen jullie fietsbellen"]
    )
    for question in compounds:
        result = shop.match(question, "nl")
        assert result.outcome != "answer", (question, result)
    for question, expected in (
        ("verkopen jullie fietsen", "geen-fietsen"),
        ("hebben jullie ook een fietsje", "geen-fietsen"),
        ("welke betaalmogelijkheden zijn er", "betalen"),
    ):
        result = shop.match(question, "nl")
        assert (result.outcome, result.entry and result.entry.id) == ("answer", expected), question


def test_an_ending_after_a_doubled_consonant_or_a_verb_s_is_a_word_form() -> None:
    """Three letters after a word of the FAQ are an ending when they are one: "sneller"
    is "snel", "liefert" is "liefer" (delivering), "findest" is "find"; "fietstas" is no
    "fiets"."""
    shop = Matcher.build(
        [
            entry("spoed", "nl", "Kunnen jullie snel leveren?", "Wat kost fietsen huren?"),
            entry("lieferung", "de", "Wann liefer ich?", "Wo find ich das?"),
        ],
        BotSettings(semantic=False),
    )
    for language, term, word, similarity in (
        ("nl", "sneller", "snel", 0.8),
        ("nl", "fietstas", "fiets", 0.6),
        ("de", "liefert", "~deliver", 0.8),
        ("de", "findest", "find", 0.8),
    ):
        index = shop._indexes[language]
        found = dict(index.expand(term).matches)
        assert found.get(index.term_ids[word]) == similarity, (term, found)


def test_a_compound_in_one_sentence_leaves_a_word_asked_alone_in_another() -> None:
    """In a long message read sentence by sentence, "fietstas" in one sentence does not
    make "fietsen" asked alone in another a compound's first part."""
    shop = Matcher.build(
        [
            entry("geen-fietsen", "nl", "Verkopen jullie fietsen?"),
            entry("levertijd", "nl", "Hoe lang duurt de levering?"),
            entry("tas", "nl", "Is de tas waterdicht?"),
        ],
        BotSettings(semantic=False),
    )
    story = (
        "Goedemiddag, mijn dochter gaat na de zomer naar de middelbare school en heeft dan"
        " iets degelijks nodig om mee te rijden. Verkopen jullie fietsen? Een fietstas heb"
        " ik al."
    )
    result = shop.match(story, "nl")
    assert (result.outcome, result.entry and result.entry.id) == ("answer", "geen-fietsen")
