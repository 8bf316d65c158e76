"""The languages Loket itself speaks to shoppers, and which one a shopper gets."""

from __future__ import annotations

from typing import Literal

Language = Literal["nl", "en", "de", "fr"]
LANGUAGES: tuple[Language, ...] = ("nl", "en", "de", "fr")


def primary_language(tag: str) -> str:
    """The language of a language tag without its region: 'de' for 'de-AT' and 'DE_de'."""
    return tag.strip().lower().replace("_", "-").split("-")[0]


def text_language(tag: str | None) -> Language:
    """The language for a shopper whose language tag is `tag` ('nl', 'de-AT', 'en_GB'):
    Dutch, English, German or French when asked, English for any other language, Dutch
    when the shopper states none."""
    if tag is None:
        return "nl"
    base = primary_language(tag)
    for language in LANGUAGES:
        if base == language:
            return language
    return "en"


def in_language(texts: tuple[str, str, str, str], tag: str | None) -> str:
    """The one of `texts` (Dutch, English, German, French) for a shopper whose language tag
    is `tag`."""
    return texts[LANGUAGES.index(text_language(tag))]
