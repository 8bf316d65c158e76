"""Word forms, frame words and compound heads: each shown on a small FAQ of its own."""

from __future__ import annotations

import pytest

from loket.bot.faq import FaqEntry
from loket.bot.matcher import Matcher
from loket.bot.normalize import content_terms, stem
from loket.bot.settings import BotSettings


def entry(entry_id: str, language: str, *questions: str, tags: tuple[str, ...] = ()) -> FaqEntry:
    return FaqEntry(entry_id, language, questions, f"Answer of {entry_id}.", tags=tags)


@pytest.mark.parametrize(
    "forms",
    [
        ("pakket", "pakketje", "pakketjes", "pakketten"),
        ("plant", "plantje", "plantjes", "planten"),
        ("zaad", "zaadje", "zaadjes", "zaden"),
        ("doos", "doosje", "doosjes", "dozen"),
        ("boom", "boompje", "boompjes", "bomen"),
        ("cactus", "cactussen"),
        ("krokus", "krokussen"),
        ("adres", "adressen"),
        ("prijs", "prijzen"),
        ("huis", "huizen"),
        ("brief", "brieven"),
        ("vriezen", "vries"),
    ],
)
def test_dutch_singulars_plurals_and_diminutives_meet(forms: tuple[str, ...]) -> None:
    """A word, its plural and its diminutives (plural too) share one stem."""
    assert len({stem(form, "nl") for form in forms}) == 1, [stem(f, "nl") for f in forms]


@pytest.mark.parametrize("word", ["cactus", "ficus", "status", "gratis", "thuis", "prijs"])
def test_a_dutch_s_after_a_vowel_or_j_is_kept(word: str) -> None:
    """Like Snowball's Dutch stemmer, "-s" goes only after a consonant other than j."""
    assert stem(word, "nl") == word


def test_a_plural_s_after_a_vowel_still_finds_the_faq_word() -> None:
    """The stemmer keeps "accus" (accu's), so the matcher finds the FAQ's word with or
    without that "s": "accus" finds "accu", and "paraplu" finds "paraplu's"."""
    entries = [
        entry("accu", "nl", "Hoe lang gaat de accu mee?", "Vervangen jullie een accu?"),
        entry("regen", "nl", "Hebben jullie paraplu's voor kinderen?"),
        entry("bezorgen", "nl", "Wanneer wordt mijn bestelling bezorgd?"),
    ]
    matcher = Matcher.build(entries, BotSettings(semantic=False))
    for text, expected in (("accus vervangen", "accu"), ("paraplu kinderen", "regen")):
        result = matcher.match(text, "nl")
        assert result.entry is not None and result.entry.id == expected, text
        assert result.score > 0.9, text


@pytest.mark.parametrize(
    ("text", "language"),
    [("do you sell lamps", "en"), ("verkopen jullie lampen", "nl"), ("verkaufen Sie Lampen", "de")],
)
def test_sell_is_a_frame_word_like_have(text: str, language: str) -> None:
    """ "Do you sell X" asks what "do you have X" asks: the product is the question."""
    assert len(content_terms(text, language)) == 1


def test_do_you_sell_something_else_is_not_answered_with_another_product() -> None:
    """A FAQ that sells vouchers does not say "yes" to selling any other thing."""
    entries = [
        entry(
            "voucher",
            "en",
            "Do you sell vouchers?",
            "How do I redeem a voucher?",
            tags=("voucher",),
        ),
        entry("delivery", "en", "How long does delivery take?", "When will my order arrive?"),
        entry("returns", "en", "How do I return an item?", "Can I send it back?"),
        entry("warranty", "en", "How long is the warranty?", "My kettle is faulty"),
    ]
    for settings in (BotSettings(), BotSettings(semantic=False)):
        matcher = Matcher.build(entries, settings)
        for text in ("do you sell lamps", "do you sell garden chairs"):
            assert matcher.match(text, "en").outcome != "answer", text
        result = matcher.match("do you sell vouchers", "en")
        assert result.entry is not None and result.entry.id == "voucher"
        assert result.outcome == "answer"


PLANTS = [
    entry(
        "plaagdieren",
        "nl",
        "Wat doe ik tegen rouwvliegjes?",
        "Er zitten beestjes in mijn plant",
        tags=("rouwvliegjes", "bladluis"),
    ),
    entry("verpotten", "nl", "Wanneer moet ik verpotten?", "Welke grond gebruik ik?"),
    entry("levertijd", "nl", "Wanneer wordt mijn bestelling bezorgd?"),
    entry("retour", "nl", "Hoe kan ik iets retourneren?"),
]


@pytest.mark.parametrize("semantic", [True, False])
def test_a_compound_is_found_by_its_head(semantic: bool) -> None:
    """ "vliegjes" (a word the FAQ lacks) finds the entry on "rouwvliegjes"."""
    matcher = Matcher.build(PLANTS, BotSettings(semantic=semantic))
    result = matcher.match("vliegjes", "nl")
    assert result.entry is not None and result.entry.id == "plaagdieren"
    assert result.outcome != "unknown"


def test_a_compound_finds_the_entry_on_its_head() -> None:
    """ "kamerplantengrond" (unknown, and not two known words) is a kind of "grond"."""
    matcher = Matcher.build(PLANTS, BotSettings(semantic=False))
    ranked, _ = matcher.ranked("kamerplantengrond", "nl")
    assert ranked and ranked[0][1].id == "verpotten"


def test_a_compound_head_counts_less_than_the_word_itself() -> None:
    """A kind of a thing is not the thing: found by its head, a word counts less."""
    matcher = Matcher.build(PLANTS, BotSettings(semantic=False))
    by_head = matcher.match("vliegjes", "nl")
    exact = matcher.match("rouwvliegjes", "nl")
    assert 0 < by_head.score < exact.score


def test_a_known_word_does_not_spread_to_compounds_of_other_entries() -> None:
    """A word the FAQ has is matched as it is, not also as the head of its compounds."""
    entries = [
        entry("grond", "nl", "Welke grond gebruik ik?"),
        entry("potgrond", "nl", "Is jullie potgrond biologisch?"),
    ]
    matcher = Matcher.build(entries, BotSettings(semantic=False))
    index = matcher._indexes["nl"]
    found = index.expand("grond")
    assert [index.term_ids["grond"]] == [term_id for term_id, _ in found.matches]


def test_english_has_no_compound_heads() -> None:
    """English writes compounds apart: "kettle" is no head of "teakettle"."""
    entries = [entry("teakettle", "en", "Do you have a teakettle?")]
    matcher = Matcher.build(entries, BotSettings(semantic=False))
    assert not matcher._indexes["en"].expand("kettl").matches
