"""Personal data in an agent's reply: what makes it unfit to reuse as it is."""

from __future__ import annotations

import re

# Each kind with a pattern; tuned to miss little (a false alarm costs one admin review,
# a miss could show one shopper's data to another). Every agent reply is checked, so the
# patterns are kept cheap: all but the e-mail address need a digit, and the texts are
# searched lower-cased, without case-insensitive matching.
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
_DIGIT = re.compile(r"\d")


def personal_data(text: str, *, names: tuple[str, ...] = ()) -> list[str]:
    """The kinds of personal data in `text` (empty when none), including the given names."""
    lowered = text.lower()
    found = ["email"] if "@" in lowered and _EMAIL.search(lowered) else []
    if _DIGIT.search(lowered):
        found.extend(kind for kind, pattern in _NEEDS_DIGIT.items() if pattern.search(lowered))
        if "order_number" not in found and (
            (any(word in lowered for word in _NUMBER_WORDS) and _INTRODUCED.search(lowered))
            or any(_has_digit_and_letter(code) for code in _CODE.findall(lowered))
        ):
            found.append("order_number")
    for name in names:
        for part in name.split():
            if len(part) >= 3 and re.search(rf"\b{re.escape(part.lower())}\b", lowered):
                found.append("name")
                return found
    return found


def _has_digit_and_letter(code: str) -> bool:
    return not code.isdigit() and not code.isalpha()
