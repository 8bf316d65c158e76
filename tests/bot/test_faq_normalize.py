"""Normalisation: folding, stems that agree across word forms, and language detection."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from loket.bot.faq import FaqEntry
from loket.bot.matcher import Matcher
from loket.bot.normalize import (
    content_terms,
    detect_language,
    fold,
    language_of_locale,
    stem,
    words,
)
from loket.bot.settings import BotSettings


def test_fold_strips_case_and_accents() -> None:
    """Case and accents do not matter: "België" is "belgie"."""
    assert fold("België CAFÉ") == "belgie cafe"


def test_words_handle_apostrophes_and_hyphens() -> None:
    """Apostrophes vanish and one-letter hyphen parts join: "e-mail" is "email"."""
    assert words("Don't e-mail m'n track-en-trace!") == [
        "dont",
        "email",
        "mn",
        "track",
        "en",
        "trace",
    ]


def words_one_by_one(text: str) -> list[str]:
    """`words` as it was written first: every word split and joined on its own."""
    result: list[str] = []
    for match in re.finditer(r"[a-z0-9]+(?:-[a-z0-9]+)*", re.sub(r"['’‘`´]", "", fold(text))):
        parts = match.group().split("-")
        if len(parts) > 1 and any(len(part) == 1 for part in parts):
            result.append("".join(parts))
        else:
            result.extend(parts)
    return result


@settings(max_examples=2000, deadline=None)
@given(text=st.text(alphabet="aBcé-'’ 0x-9 .!\n-", max_size=40) | st.text(max_size=40))
def test_words_without_hyphens_take_the_short_way_to_the_same_words(text: str) -> None:
    """Texts without hyphenated words skip the splitting, and every text gets the same words."""
    assert words(text) == words_one_by_one(text)


def test_word_forms_share_a_stem() -> None:
    """Inflections of one word get one stem in Dutch and English."""
    assert len({stem(w, "nl") for w in ("bestelling", "bestellingen", "bestellen", "besteld")}) == 1
    assert len({stem(w, "nl") for w in ("betalen", "betaald", "betaal", "betaling")}) == 1
    assert len({stem(w, "en") for w in ("orders", "ordered", "ordering", "order")}) == 1
    assert len({stem(w, "en") for w in ("cancelled", "cancel", "cancels")}) == 1
    # "Kado" is a common spelling of "cadeau", not the first part of "kadobon".
    assert {stem(w, "nl") for w in ("kado", "kadootje", "cadeautje", "cadeau")} == {"cadeau"}
    assert stem("kadoos", "nl") == stem("cadeaus", "nl")
    assert stem("kadobon", "nl") == stem("cadeaubon", "nl")


def test_content_terms_drop_stop_words_and_numbers_but_keep_negation() -> None:
    """Filler, pronouns and order numbers go; "not" stays, as one word per language."""
    assert content_terms("Hi, I didn't get order 12345!", "en") == ["not", "order"]
    assert content_terms("Hallo, ik heb geen pakket", "nl") == ["niet", "pakket"]


def test_detect_language_from_stop_words_and_faq_words() -> None:
    """Stop words and the FAQ's own words tell Dutch from English; nothing known is None."""
    vocabularies = {"nl": {"bestel"}, "en": {"order"}}
    assert detect_language(words("waar is mijn bestelling"), vocabularies)[0] == "nl"
    assert detect_language(words("where is my order"), vocabularies)[0] == "en"
    assert detect_language(words("klarna"), vocabularies)[0] is None


def test_language_of_locale() -> None:
    """Browser locales reduce to a language code."""
    assert language_of_locale("nl-NL") == "nl"
    assert language_of_locale("en_GB") == "en"
    assert language_of_locale("") is None


def test_german_common_words_and_endings() -> None:
    """German FAQs lose their common words ("kann ich") and word endings too, so a
    question is matched on what it is about: "kann ich bei euch abholen" no longer looks
    like "Kann ich auf Rechnung bezahlen?", and "bestellungen" meets "Bestellung"."""
    assert content_terms("Kann ich Tee probieren, bevor ich kaufe?", "de") == [
        "tee",
        "probier",
        "kauf",
    ]
    assert content_terms("keine Lieferungen", "de") == ["nicht", "lieferung"]
    entries = [
        FaqEntry("lieferzeit", "de", ("Wann kommt meine Bestellung?",), "In zwei Tagen."),
        FaqEntry("rechnung", "de", ("Kann ich auf Rechnung bezahlen?",), "Ja, mit Klarna."),
    ]
    matcher = Matcher.build(entries, BotSettings(semantic=False))
    assert matcher.match("kann ich bei euch abholen", "de").score == 0.0
    found = matcher.match("wann kommen meine bestellungen", "de")
    assert found.outcome == "answer" and found.entry is not None
    assert found.entry.id == "lieferzeit"
