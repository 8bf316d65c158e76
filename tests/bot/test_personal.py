"""The personal-data check: its shortcuts never change what it finds."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from loket.bot.personal import (
    _CODE,
    _EMAIL,
    _INTRODUCED,
    _NEEDS_DIGIT,
    _PARTICLES,
    _has_digit_and_letter,
    numbered_apart,
    personal_data,
)


def every_pattern_searched(text: str, names: tuple[str, ...]) -> list[str]:
    """The check without its shortcuts: every pattern searched in every text."""
    lowered = text.lower()
    found = ["email"] if _EMAIL.search(lowered) else []
    found.extend(kind for kind, pattern in _NEEDS_DIGIT.items() if pattern.search(lowered))
    if "phone" in found and "order_number" in found and not numbered_apart(lowered):
        found.remove("order_number")
    if "order_number" not in found and (
        _INTRODUCED.search(lowered)
        or any(_has_digit_and_letter(code) for code in _CODE.findall(lowered))
    ):
        found.append("order_number")
    for name in names:
        for part in name.split():
            word = part.lower()
            if (
                len(word) >= 3
                and word not in _PARTICLES
                and re.search(rf"\b{re.escape(word)}\b", lowered)
            ):
                return [*found, "name"]
    return found


# Pieces of personal data and of text that nearly is, joined with random characters in
# between: digits (also non-ASCII ones), letters, spaces and the separators the patterns use.
PIECES = [
    "NL91 ABNA 0417 1643 00",
    "nl91abna0417164300",
    "de89 3704 0044 0532 0130 00",
    "06-12345678",
    "0612345678",
    "+3 6123456 7",
    "020 123 4567",
    "+31 6 1234 5678",
    "0031 (0)20 1234567",
    "1234 AB",
    "1234ab",
    "0123 ab",
    "5678 ss",
    "bestelling 20481",
    "order nr. 7",
    "invoice no: A1",
    "track-and-trace",
    "factuur#",
    "3SABCD1234567",
    "klant@voorbeeld.nl",
    "KLANT@VOORBEELD.NL",
    "9:00 en 13:00",
    "LS6 2AB",
    "PS5 1TB",
    "m2 3xl",
    "sw1a1aa",
    "14 Kings Road",
    "12 high st",
    "Kerkstraat 12",
    "onderweg 2",
    "Hauptstraße 5a",
    "OH-4821",
    "ab12345",
    "#4821",
    "2024 is",
    "Sanne",
    "de Vries",
    "٣٣٣٣ ab",
    "１２３４５",
]
ALPHABET = "0123456789٣１ abcdefghijklmnopqrstuvwxyzABZé_ \t\n+-()/:#.@"
TEXTS = st.lists(
    st.one_of(st.sampled_from(PIECES), st.text(alphabet=ALPHABET, max_size=14)), max_size=8
).map("".join)
NAMES = st.sampled_from([(), ("Sanne de Vries",), ("Jan",), ("Al Ng",), ("Anna van Dijk",)])


@settings(max_examples=3000, deadline=None)
@given(text=TEXTS, names=NAMES)
def test_the_shortcuts_find_what_every_pattern_finds(text: str, names: tuple[str, ...]) -> None:
    """Searching a pattern only when the text's digits leave it a chance changes nothing."""
    assert personal_data(text, names=names) == every_pattern_searched(text, names)


def test_personal_data_detection() -> None:
    """Order numbers, e-mail, phone numbers, postcodes, IBANs and the shopper's name are found."""
    assert personal_data("Je bestelling 2024118833 is onderweg") == ["order_number"]
    assert "email" in personal_data("mail naar klant@voorbeeld.nl")
    assert personal_data("Bel ons op 06-12345678") == ["phone"]
    assert personal_data("bel 030-1234567") == ["phone"]
    assert personal_data("Call +31 20 123 4567") == ["phone"]
    assert personal_data("order 12345, bel 06-12345678") == ["phone", "order_number"]
    assert "postcode" in personal_data("Wij bezorgen op 1234 AB")
    assert "iban" in personal_data("Maak het over naar NL91 ABNA 0417 1643 00")
    assert personal_data("Hoi Sanne, dat kan!", names=("Sanne de Vries",)) == ["name"]
    # A family name's particle is a word of every sentence, not the shopper's name.
    assert personal_data("Open van 9 tot 17 uur", names=("Sanne van den Berg",)) == []
    assert personal_data("Fragen Sie Frau von Berg", names=("Ute von Berg",)) == ["name"]
    # The agent's own name signs the answer as theirs: the bot would sign with it.
    signed = "Dat kan, groetjes Bram"
    assert personal_data(signed, agent_names=("bram", "Bram de Boer")) == ["agent_name"]
    assert personal_data(signed, names=("Bram Smit",), agent_names=("bram",)) == [
        "name",
        "agent_name",
    ]
    # Written as a name, with a capital: an agent called Will writes "we will" too.
    assert personal_data("Yes, we will send it tomorrow", agent_names=("will",)) == []
    assert personal_data("Cheers, Will", agent_names=("will",)) == ["agent_name"]
    assert personal_data("Retourneren kan binnen 30 dagen, gratis via de retourpagina.") == []
    # A code of letters and digits is an order or tracking code; a long plain word is not.
    assert personal_data("Je pakket 3SABCD1234567 is onderweg") == ["order_number"]
    assert personal_data("Onze klantenservicemedewerkers helpen je graag") == []
    assert personal_data("Mail: KLANT@VOORBEELD.NL") == ["email"]


def test_addresses_postcodes_and_order_numbers_of_other_countries() -> None:
    """A British postcode, a street with a house number (English, Dutch or German) and an
    order number with a shop's prefix are found; a year before a short word or with the
    German "-er" of a vintage, a count of days and a parcel that is on its way are not."""
    asked = "Can you bring my table to 14 Kings Road, Leeds LS6 2AB on Saturday instead?"
    assert personal_data(asked) == ["postcode", "address"]
    assert personal_data("Your order OH-4821 ships tomorrow") == ["order_number"]
    for written in ("Postcode 7311ER Apeldoorn", "1234er", "3511 ER Utrecht"):
        assert personal_data(written) == ["postcode"], written
    assert personal_data("Order #4821 is ready") == ["order_number"]
    assert personal_data("We bezorgen het op Kerkstraat 12") == ["address"]
    assert personal_data("Lieferung an Hauptstraße 5a") == ["address"]
    assert personal_data("It goes to 3 Mill Lane tomorrow") == ["address"]
    for harmless in (
        "Since 2024 at our shop we ship in 2 to 3 days",
        "Je pakket is onderweg 2 dagen",
        "We're open 7 days a week, from 9:00 to 17:00",
        "Free delivery above €50, within 2 working days",
        "Is de PS5 1TB nog leverbaar?",
        "Een mp3-speler met 4gb, maat m2 3xl",
        "Den 2023er trocken vom Weingut und den 2022er feinherb haben wir noch",
    ):
        assert personal_data(harmless) == [], harmless
