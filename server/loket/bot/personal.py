"""Personal data in an agent's reply: what makes it unfit to reuse as it is."""

from __future__ import annotations

import re
from collections.abc import Callable

# Each kind with a pattern; tuned to miss little (a false alarm costs one admin review,
# a miss could show one shopper's data to another). Every agent reply and the question it
# answers are checked, so the check is kept cheap: the texts are searched lower-cased,
# without case-insensitive matching, and every pattern but the e-mail address needs a
# digit, so the text's runs of digits are found once and a pattern is searched for only
# when the runs leave it a chance (see `_Runs`): most texts hold few digits or none.
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[a-z]{2,}")
_NEEDS_DIGIT: dict[str, re.Pattern[str]] = {
    "iban": re.compile(r"\b[a-z]{2}\d{2}\s?(?:[a-z0-9]{4}\s?){2,7}[a-z0-9]{1,4}\b"),
    # Dutch and international phone numbers: 06-12345678, 020 123 4567, +31 6 1234 5678.
    "phone": re.compile(r"(?:\+|00)\d{1,3}[\s-]?\(?\d[\d\s()-]{7,}\d|\b0\d[\d\s-]{7,}\d\b"),
    # Dutch postcodes (1234 AB) and house-number addresses.
    "postcode": re.compile(r"\b[1-9]\d{3}\s?(?!sa|sd|ss)[a-z]{2}\b"),
    # Order, invoice and tracking numbers: a run of 5+ digits (a number introduced as one,
    # and long codes of letters and digits, are found below).
    "order_number": re.compile(r"\b\d{5,}\b"),
}
# A number introduced as an order, invoice or tracking number; searched only in texts
# holding one of the words, since trying the alternatives at every position is slow.
_NUMBER_WORDS = ("order", "bestel", "factuur", "invoice", "track")
_INTRODUCED = re.compile(
    r"(?:order|bestel|factuur|invoice|track)\w*\s*(?:nr|nummer|number|no)?\.?\s*[:#]?\s*\w*\d"
)
# A code of 8 or more letters and digits, holding both: an order or tracking code.
_CODE = re.compile(r"\b[a-z0-9]{8,}\b")
_DIGIT_RUN = re.compile(r"\d+")
# Every phone number holds this: from its first digit to its last, 10 or more characters.
_PHONE_DIGITS = re.compile(r"\d[\d\s()-]{8,}\d")
_ALNUM = frozenset("abcdefghijklmnopqrstuvwxyz0123456789")
_ASCII_LETTERS = frozenset("abcdefghijklmnopqrstuvwxyz")


class _Runs:
    """The runs of digits in a lower-cased text, and for each pattern that needs a digit
    a test that no match is possible (each a necessary condition of the pattern, so
    skipping a search never changes the result)."""

    __slots__ = ("spans", "text")

    def __init__(self, text: str) -> None:
        self.text = text
        self.spans = [m.span() for m in _DIGIT_RUN.finditer(text)]

    def iban(self) -> bool:
        # `[a-z]{2}\d{2}`: a run of two or more digits right after a letter.
        text = self.text
        return any(
            end - start >= 2 and start > 0 and text[start - 1] in _ASCII_LETTERS
            for start, end in self.spans
        )

    def phone(self) -> bool:
        return bool(_PHONE_DIGITS.search(self.text))

    def postcode(self) -> bool:
        # `\b[1-9]\d{3}` followed by a space or a letter: a run of exactly four digits.
        return any(end - start == 4 for start, end in self.spans)

    def order_number(self) -> bool:
        return any(end - start >= 5 for start, end in self.spans)

    def code(self) -> bool:
        # A code holds an ASCII digit inside a word of 8 or more of [a-z0-9].
        text = self.text
        for start, end in self.spans:
            if not text[start:end].isascii():
                return True  # not worth working out: search
            left, right = start, end
            while left > 0 and text[left - 1] in _ALNUM:
                left -= 1
            while right < len(text) and text[right] in _ALNUM:
                right += 1
            if right - left >= 8:
                return True
        return False


_POSSIBLE: dict[str, Callable[[_Runs], bool]] = {
    "iban": _Runs.iban,
    "phone": _Runs.phone,
    "postcode": _Runs.postcode,
    "order_number": _Runs.order_number,
}


def personal_data(text: str, *, names: tuple[str, ...] = ()) -> list[str]:
    """The kinds of personal data in `text` (empty when none), including the given names."""
    lowered = text.lower()
    found = ["email"] if "@" in lowered and _EMAIL.search(lowered) else []
    runs = _Runs(lowered)
    if runs.spans:
        found.extend(
            kind
            for kind, pattern in _NEEDS_DIGIT.items()
            if _POSSIBLE[kind](runs) and pattern.search(lowered)
        )
        if "order_number" not in found and (
            (any(word in lowered for word in _NUMBER_WORDS) and _INTRODUCED.search(lowered))
            or (runs.code() and any(_has_digit_and_letter(c) for c in _CODE.findall(lowered)))
        ):
            found.append("order_number")
    for name in names:
        for part in name.split():
            word = part.lower()
            # The substring test first: a pattern is compiled (or looked up) only when needed.
            if len(part) >= 3 and word in lowered and re.search(rf"\b{re.escape(word)}\b", lowered):
                found.append("name")
                return found
    return found


def _has_digit_and_letter(code: str) -> bool:
    return not code.isdigit() and not code.isalpha()
