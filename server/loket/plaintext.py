"""The one rule for text clients send: which characters a free-text field may not hold.

It applies to every piece of text a shopper, an agent or a shop's page sends. Text a person
typed (a message, an e-mail address, a comment, a note) is refused when it breaks the rule;
what a page or a shop reports about itself (the page's title and address, a customer's name)
has the characters replaced instead, so a page with an odd title can still chat.
"""

from __future__ import annotations

import re

from loket.errors import LoketError

# C0 and C1 control characters other than tab and newline; the bidi overrides and isolates
# that can make a text read differently from what it says; and lone UTF-16 surrogates: half
# of a character, which JSON can carry ("\ud83d") but which no text encoding can store.
_FORBIDDEN = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")

# What a refusal says about the text, after the name of what holds it.
BROKEN = "contains control characters, direction overrides or half of a character"

REPLACEMENT = "\ufffd"

# White space at either end as a browser's String.prototype.trim() sees it: Python's own
# white space, and the byte order mark U+FEFF, which str.strip() keeps.
_EDGES = re.compile(r"^[\s\ufeff]+|[\s\ufeff]+$")


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
    """`text` with each character the rule forbids replaced by U+FFFD."""
    return _FORBIDDEN.sub(REPLACEMENT, text)


def phrasing_key(text: str) -> str:
    """What makes two texts the same question: case, spacing and end punctuation aside."""
    return " ".join(text.casefold().split()).rstrip(" ?!.…")
