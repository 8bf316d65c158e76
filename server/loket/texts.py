"""What Loket itself says to shoppers, in Dutch and English."""

from __future__ import annotations

from loket.hours import is_dutch

_TEXTS: dict[str, tuple[str, str]] = {
    # key: (Dutch, English)
    "closed_now": (
        "Onze collega's zijn er nu niet. {availability}. Laat gerust je vraag en je e-mailadres "
        "of telefoonnummer achter, dan nemen we contact met je op.",
        "Our team isn't available right now. {availability}. Leave your question and your e-mail "
        "address or phone number and we'll get back to you.",
    ),
    "queue_timeout": (
        "Sorry dat het zo lang duurt: al onze collega's zijn nog bezig. Laat je vraag en je "
        "e-mailadres of telefoonnummer achter, dan nemen we zo snel mogelijk contact met je op.",
        "Sorry for the wait: everyone on our team is still busy. Leave your question and your "
        "e-mail address or phone number and we'll get back to you as soon as we can.",
    ),
    "nobody_here": ("Er is nu niemand online", "Nobody is online right now"),
    "nobody_online": (
        "Er is op dit moment geen collega meer beschikbaar. Laat je vraag en je e-mailadres of "
        "telefoonnummer achter, dan nemen we zo snel mogelijk contact met je op.",
        "Nobody from our team is available any more right now. Leave your question and your "
        "e-mail address or phone number and we'll get back to you as soon as we can.",
    ),
    "agent_gone": (
        "Je gesprek met onze collega is onderbroken en er is nu niemand anders vrij. Laat je "
        "vraag en je e-mailadres of telefoonnummer achter, dan nemen we zo snel mogelijk contact "
        "met je op.",
        "Your conversation with our team member was cut short and nobody else is free right "
        "now. Leave your question and your e-mail address or phone number and we'll get back "
        "to you as soon as we can.",
    ),
    "question_left": (
        "Bedankt! We hebben je vraag ontvangen. {when} Je ziet ons antwoord hier in de chat, "
        "en we nemen contact met je op via {contact}.",
        "Thank you! We have your question. {when} You'll see our answer here in the chat, and "
        "we'll contact you at {contact}.",
    ),
    "back_at": ("{availability}.", "{availability}."),
    "agent_joined": ("{name} helpt je verder.", "{name} is here to help you."),
}


def say(key: str, language: str | None, **values: str) -> str:
    """The text `key` in the shopper's language (Dutch unless the language is another)."""
    dutch, english = _TEXTS[key]
    template = dutch if language is None or is_dutch(language) else english
    return template.format(**values)
