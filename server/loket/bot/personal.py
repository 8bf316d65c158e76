"""Personal data in an agent's reply: what makes it unfit to reuse as it is."""

from __future__ import annotations

import re

# Each kind with a pattern; tuned to miss little (a false alarm costs one admin review,
# a miss could show one shopper's data to another).
_PATTERNS: dict[str, re.Pattern[str]] = {
    "email": re.compile(r"[^@\s]+@[^@\s]+\.[a-z]{2,}", re.IGNORECASE),
    "iban": re.compile(r"\b[A-Z]{2}\d{2}\s?(?:[A-Z0-9]{4}\s?){2,7}[A-Z0-9]{1,4}\b", re.IGNORECASE),
    # Dutch and international phone numbers: 06-12345678, 020 123 4567, +31 6 1234 5678.
    "phone": re.compile(r"(?:\+|00)\d{1,3}[\s-]?\(?\d[\d\s()-]{7,}\d|\b0\d[\d\s-]{7,}\d\b"),
    # Dutch postcodes (1234 AB) and house-number addresses.
    "postcode": re.compile(r"\b[1-9]\d{3}\s?(?!SA|SD|SS)[A-Z]{2}\b"),
    # Order, invoice and tracking numbers: a run of 5+ digits, or letters and digits mixed
    # into a long code, or a number introduced as one.
    "order_number": re.compile(
        r"\b\d{5,}\b|\b(?=[A-Z0-9]*\d)(?=[A-Z0-9]*[A-Z])[A-Z0-9]{8,}\b"
        r"|(?:order|bestel|factuur|invoice|track)\w*\s*(?:nr|nummer|number|no)?\.?\s*[:#]?\s*\w*\d",
        re.IGNORECASE,
    ),
}


def personal_data(text: str, *, names: tuple[str, ...] = ()) -> list[str]:
    """The kinds of personal data in `text` (empty when none), including the given names."""
    found = [kind for kind, pattern in _PATTERNS.items() if pattern.search(text)]
    lowered = text.lower()
    for name in names:
        for part in name.split():
            if len(part) >= 3 and re.search(rf"\b{re.escape(part.lower())}\b", lowered):
                found.append("name")
                break
        if "name" in found:
            break
    return found
