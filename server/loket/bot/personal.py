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
# The postcode areas of the United Kingdom, the letters a British postcode starts with.
_UK_AREAS = re.sub(
    r"\s+",
    "|",
    """ab al ba bb bd bh bl bn br bs bt ca cb cf ch cm co cr ct cv cw da dd de dg dh dl dn dt
    dy ec eh en ex fk fy gl gu gy ha hd hg hp hr hs hu hx ig im ip iv je ka kt kw ky la ld le
    ll ln ls lu me mk ml ne ng nn np nr nw ol ox pa pe ph pl po pr rg rh rm sa se sg sk sl sm
    sn so sp sr ss st sw sy ta td tf tn tq tr ts tw ub wa wc wd wf wn wr ws wv yo ze
    b e g l m n s w""".strip(),
)
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[a-z]{2,}")
# The two ways an address is written, each starting or ending with the house number.
_NUMBER_THEN_STREET = (
    r"\d{1,5}[a-z]?,?\s+(?:[a-z'.-]+\s+){0,3}(?:street|st|road|rd|avenue|ave|lane|drive|close"
    r"|way|court|place|square|crescent|terrace|gardens|boulevard|blvd|grove|row|mews)\b"
)
_STREETS = (
    r"(?:straat|laan|(?<!onder)weg|plein|gracht|kade|singel|dijk|steeg|dreef|markt|straße"
    r"|strasse|str\.|gasse|allee|platz|damm|ufer)"
)
_STREET_THEN_NUMBER = rf"{_STREETS}\s*\d{{1,5}}(?![.,:]?\d)"
_NEEDS_DIGIT: dict[str, re.Pattern[str]] = {
    "iban": re.compile(r"\b[a-z]{2}\d{2}\s?(?:[a-z0-9]{4}\s?){2,7}[a-z0-9]{1,4}\b"),
    # Dutch and international phone numbers: 06-12345678, 020 123 4567, +31 6 1234 5678.
    "phone": re.compile(r"(?:\+|00)\d{1,3}[\s-]?\(?\d[\d\s()-]{7,}\d|\b0\d[\d\s-]{7,}\d\b"),
    # Dutch postcodes (1234 AB: never F, I, O, Q, U or Y, nor SA, SD or SS; and not a
    # number before a short word, "2024 at", nor a year of 19xx or 20xx with the German
    # "-er" of a vintage or a decade written to it, "den 2023er Riesling", "die 1990er":
    # a Haarlem postcode 20xx ER written without its space is missed) and British ones
    # (LS6 2AB, SW1A 1AA: a real postcode area, and an inward code without C, I, K, M, O
    # or V; not "PS5 1TB").
    "postcode": re.compile(
        r"\b(?!(?:19|20)\d\der\b)[1-9]\d{3}(?:(?!sa|sd|ss)[a-ehj-npr-tv-xz]{2}"
        r"|\s(?!sa|sd|ss|en|at|te|me|as|an|de|he|we|be|am|pm|na)[a-ehj-npr-tv-xz]{2})\b"
        rf"|\b(?:{_UK_AREAS})\d[a-z\d]?\s?\d(?!gb|tb|xl|xs)[abd-hjlnp-uw-z]{{2}}\b"
    ),
    # A street and house number: "14 Kings Road", "12 High St", "Kerkstraat 12",
    # "Hauptstraße 5a", "Ringweg 3".
    "address": re.compile(rf"\b{_NUMBER_THEN_STREET}|\b[a-zà-ÿ]+{_STREET_THEN_NUMBER}"),
    # Order, invoice and tracking numbers: a run of 5+ digits, or a shop's prefix with a
    # number ("OH-4821", "ab12345", "#4821"; a number introduced as one, and long codes of
    # letters and digits, are found below).
    "order_number": re.compile(r"\b\d{5,}\b|\b[a-z]{1,4}(?:-\d{4,}|\d{5,})\b|#\d{4,}\b"),
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
_NUMBER_STREET_AT = re.compile(_NUMBER_THEN_STREET)
_STREET_ENDINGS = tuple(
    _STREETS.removeprefix("(?:")
    .removesuffix(")")
    .replace("(?<!onder)", "")
    .replace("\\", "")
    .split("|")
)
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

    def order_number(self) -> bool:
        # Every alternative holds a run of four or more digits.
        return any(end - start >= 4 for start, end in self.spans)

    def address(self) -> bool:
        # The house number is a whole run of digits: a street name follows it, or a word
        # ending in a street's name ends right before it.
        text = self.text
        for start, _ in self.spans:
            if _NUMBER_STREET_AT.match(text, start):
                return True
            end = start
            while end > 0 and text[end - 1].isspace():
                end -= 1
            begin = end
            while begin > 0 and (text[begin - 1].isalpha() or text[begin - 1] == "."):
                begin -= 1
            if text[begin:end].endswith(_STREET_ENDINGS):
                return True
        return False

    def postcode(self) -> bool:
        # Dutch: `\b[1-9]\d{3}` and letters, a run of exactly four digits; British: a run of
        # one to three digits right after a letter (`[a-z]{1,2}\d[a-z\d]?\s?\d`).
        text = self.text
        return any(
            end - start == 4 or (end - start <= 3 and start > 0 and text[start - 1].isalpha())
            for start, end in self.spans
        )

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
    "address": _Runs.address,
    "order_number": _Runs.order_number,
}


def numbered_apart(lowered: str) -> bool:
    """Whether `lowered` holds an order number outside its phone numbers: "06-12345678"
    is a phone number, not also an order number."""
    return _NEEDS_DIGIT["order_number"].search(_NEEDS_DIGIT["phone"].sub(" ", lowered)) is not None


def personal_data(
    text: str, *, names: tuple[str, ...] = (), agent_names: tuple[str, ...] = ()
) -> list[str]:
    """The kinds of personal data in `text` (empty when none), including the given names:
    the shopper's (`name`) and, written with a capital, the agent's who wrote it
    (`agent_name`: "Groet, Bram" would have the bot sign as Bram)."""
    lowered = text.lower()
    found = ["email"] if "@" in lowered and _EMAIL.search(lowered) else []
    runs = _Runs(lowered)
    if runs.spans:
        found.extend(
            kind
            for kind, pattern in _NEEDS_DIGIT.items()
            if _POSSIBLE[kind](runs) and pattern.search(lowered)
        )
        if "phone" in found and "order_number" in found and not numbered_apart(lowered):
            found.remove("order_number")
        if "order_number" not in found and (
            (any(word in lowered for word in _NUMBER_WORDS) and _INTRODUCED.search(lowered))
            or (runs.code() and any(_has_digit_and_letter(c) for c in _CODE.findall(lowered)))
        ):
            found.append("order_number")
    if _named(lowered, names):
        found.append("name")
    if agent_names and _signed(text, agent_names):
        found.append("agent_name")
    return found


def _signed(text: str, names: tuple[str, ...]) -> bool:
    """Whether `text` names the agent as a name is written, with a capital ("Groetjes,
    Bram"): an agent called Will or Roos writes "we will" and "roos" as words too."""
    for name in names:
        for part in name.split():
            if len(part) < 3 or part.lower() in _PARTICLES:
                continue
            written = part[:1].upper() + part[1:]
            if written in text and re.search(rf"\b{re.escape(written)}\b", text):
                return True
    return False


# The particles of family names ("Sanne van Dijk", "Anna von Berg"): words of every
# sentence, not the person's name.
_PARTICLES = frozenset(
    {"van", "von", "der", "den", "ter", "ten", "het", "des", "del"}
    | {"della", "dos", "das", "vom", "zum", "zur", "the"}
)


def _named(lowered: str, names: tuple[str, ...]) -> bool:
    """Whether lower-cased `lowered` holds a part of one of `names` as a word."""
    for name in names:
        for part in name.split():
            word = part.lower()
            # The substring test first: a pattern is compiled (or looked up) only when needed.
            if (
                len(word) >= 3
                and word not in _PARTICLES
                and word in lowered
                and re.search(rf"\b{re.escape(word)}\b", lowered)
            ):
                return True
    return False


def _has_digit_and_letter(code: str) -> bool:
    return not code.isdigit() and not code.isalpha()
