"""The one rule for text clients send: which characters a free-text field may not hold.

It applies to every piece of text a shopper, an agent or a shop's page sends, once the
direction marks are taken out of it. Text a person typed (a message, an e-mail address, a
comment, a note) is refused when it breaks the rule;
what a page or a shop reports about itself (the page's title and address, a customer's name)
has the characters replaced instead, so a page with an odd title can still chat.
"""

from __future__ import annotations

import re

from loket.errors import LoketError

# C0 and C1 control characters other than tab and newline, and lone UTF-16 surrogates:
# half of a character, which JSON can carry ("\ud83d") but which no text encoding can store.
_FORBIDDEN = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")
# The bidi embeddings, overrides and isolates, which can make a text read differently from
# what it says ("txt.exe" shown as "exe.txt"). Phones and chat apps put them around numbers
# they copy ("\u202a+31 6 12345678\u202c"), so they are taken out rather than refused:
# they are no part of what the text says.
_DIRECTION = re.compile("[\u202a-\u202e\u2066-\u2069]")

# What a refusal says about the text, after the name of what holds it.
BROKEN = "contains control characters or half of a character"

REPLACEMENT = "\ufffd"

# White space at either end as a browser's String.prototype.trim() sees it: Python's own
# white space, and the byte order mark U+FEFF, which str.strip() keeps.
_EDGES = re.compile(r"^[\s\ufeff]+|[\s\ufeff]+$")


# Text that shows nothing: white space, and characters that have no width of their own (the
# zero-width space, non-joiner and joiner, the word joiner, the byte order mark, the soft
# hyphen, the Mongolian vowel separator, the combining grapheme joiner), only steer the
# direction (the marks and the embeddings), or are blank letters (the Hangul fillers, the
# empty braille pattern). A message of these alone is empty, however long.
_BLANK = re.compile(
    "[\\s\u200b-\u200f\u2060\ufeff\u00ad\u180e\u034f\u061c\u202a-\u202e"
    "\u2066-\u2069\u115f\u1160\u3164\uffa0\u2800]*"
)


def is_blank(text: str) -> bool:
    """Whether `text` shows nothing (see `_BLANK`)."""
    return _BLANK.fullmatch(text) is not None


def without_direction(text: str) -> str:
    """`text` without bidi embeddings, overrides and isolates."""
    return _DIRECTION.sub("", text) if _DIRECTION.search(text) else text


def is_plain(text: str) -> bool:
    """Whether `text` keeps the rule."""
    return _FORBIDDEN.search(text) is None


def check_plain(text: str, what: str = "The message") -> None:
    """Refuse `text` with LoketError('invalid_text') unless it keeps the rule."""
    if _FORBIDDEN.search(text) is not None:
        raise LoketError("invalid_text", f"{what} {BROKEN}.")


def trimmed(text: str) -> str:
    """`text` without white space at its ends, the way the widget and the console count it."""
    stripped = text.strip()
    if stripped[:1] != "\ufeff" and stripped[-1:] != "\ufeff":
        return stripped  # the usual case, without the regular expression
    return _EDGES.sub("", stripped)


def made_plain(text: str) -> str:
    """`text` without direction marks and with each character the rule forbids replaced
    by U+FFFD."""
    return _FORBIDDEN.sub(REPLACEMENT, without_direction(text))


def phrasing_key(text: str) -> str:
    """What makes two texts the same question: case, spacing and end punctuation aside."""
    return " ".join(text.casefold().split()).rstrip(" ?!.…")
