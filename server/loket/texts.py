"""What Loket itself says to shoppers, in Dutch, English, German and French."""

from __future__ import annotations

from collections.abc import Collection

from loket.languages import in_language, text_language

_TEXTS: dict[str, tuple[str, str, str, str]] = {
    # key: (Dutch, English, German, French)
    "closed_now": (
        "Onze collega's zijn er nu niet. {availability}. Laat gerust je vraag en je e-mailadres "
        "of telefoonnummer achter, dan nemen we contact met je op.",
        "Our team isn't available right now. {availability}. Leave your question and your e-mail "
        "address or phone number and we'll get back to you.",
        "Unser Team ist gerade nicht erreichbar. {availability}. Hinterlass gern deine Frage und "
        "deine E-Mail-Adresse oder Telefonnummer, dann melden wir uns bei dir.",
        "Notre équipe n'est pas disponible pour le moment. {availability}. Laissez-nous votre "
        "question et votre adresse e-mail ou numéro de téléphone, et nous vous recontacterons.",
    ),
    "queue_timeout": (
        "Sorry dat het zo lang duurt: al onze collega's zijn nog bezig. Laat je vraag en je "
        "e-mailadres of telefoonnummer achter, dan nemen we zo snel mogelijk contact met je op.",
        "Sorry for the wait: everyone on our team is still busy. Leave your question and your "
        "e-mail address or phone number and we'll get back to you as soon as we can.",
        "Entschuldige die Wartezeit: Alle in unserem Team sind noch beschäftigt. Hinterlass deine "
        "Frage und deine E-Mail-Adresse oder Telefonnummer, dann melden wir uns so schnell wie "
        "möglich bei dir.",
        "Désolés pour l'attente\u00a0: toute notre équipe est encore occupée. Laissez-nous votre "
        "question et votre adresse e-mail ou numéro de téléphone, et nous vous recontacterons dès "
        "que possible.",
    ),
    "nobody_here": (
        "Er is nu niemand online",
        "Nobody is online right now",
        "Gerade ist niemand online",
        "Personne n'est en ligne pour le moment",
    ),
    "nobody_online": (
        "Er is op dit moment geen collega meer beschikbaar. Laat je vraag en je e-mailadres of "
        "telefoonnummer achter, dan nemen we zo snel mogelijk contact met je op.",
        "Nobody from our team is available any more right now. Leave your question and your "
        "e-mail address or phone number and we'll get back to you as soon as we can.",
        "Im Moment ist niemand aus unserem Team mehr erreichbar. Hinterlass deine Frage und deine "
        "E-Mail-Adresse oder Telefonnummer, dann melden wir uns so schnell wie möglich bei dir.",
        "Plus personne de notre équipe n'est disponible pour le moment. Laissez-nous votre "
        "question et votre adresse e-mail ou numéro de téléphone, et nous vous recontacterons dès "
        "que possible.",
    ),
    "agent_gone": (
        "Je gesprek met onze collega is onderbroken en er is nu niemand anders vrij. Laat je "
        "vraag en je e-mailadres of telefoonnummer achter, dan nemen we zo snel mogelijk contact "
        "met je op.",
        "Your conversation with our team member was cut short and nobody else is free right "
        "now. Leave your question and your e-mail address or phone number and we'll get back "
        "to you as soon as we can.",
        "Dein Gespräch mit unserem Team wurde unterbrochen, und gerade ist niemand sonst frei. "
        "Hinterlass deine Frage und deine E-Mail-Adresse oder Telefonnummer, dann melden wir uns "
        "so schnell wie möglich bei dir.",
        "Votre conversation avec notre équipe a été interrompue et personne d'autre n'est "
        "disponible pour le moment. Laissez-nous votre question et votre adresse e-mail ou numéro "
        "de téléphone, et nous vous recontacterons dès que possible.",
    ),
    "question_left": (
        "Bedankt! We hebben je vraag ontvangen. {when} Je ziet ons antwoord hier in de chat, "
        "en we nemen contact met je op via {contact}.",
        "Thank you! We have your question. {when} You'll see our answer here in the chat, and "
        "we'll contact you at {contact}.",
        "Danke! Wir haben deine Frage erhalten. {when} Unsere Antwort siehst du hier im Chat, und "
        "wir melden uns bei dir unter {contact}.",
        "Merci\u00a0! Nous avons bien reçu votre question. {when} "
        "Vous verrez notre réponse ici dans "
        "le chat, et nous vous contacterons via {contact}.",
    ),
    "back_at": (
        "{availability}.",
        "{availability}.",
        "{availability}.",
        "{availability}.",
    ),
    "agent_joined": (
        "{name} helpt je verder.",
        "{name} is here to help you.",
        "{name} hilft dir weiter.",
        "{name} va vous aider.",
    ),
    "agent_requeued": (
        "{name} kan je nu even niet verder helpen; je staat in de rij voor de volgende collega.",
        "{name} can't continue right now; you're in line for the next colleague.",
        "{name} kann dir gerade nicht weiterhelfen; du bist in der Warteschlange für den "
        "nächsten Kollegen.",
        "{name} ne peut pas poursuivre pour le moment\u00a0; "
        "vous êtes dans la file d'attente pour le "
        "prochain conseiller.",
    ),
}


# The texts for shops that address shoppers formally (`widget.formal`): German "Sie".
_FORMAL: dict[str, dict[str, str]] = {
    "de": {
        "closed_now": "Unser Team ist gerade nicht erreichbar. {availability}. Hinterlassen Sie "
        "gern Ihre Frage und Ihre E-Mail-Adresse oder Telefonnummer, dann melden wir uns bei "
        "Ihnen.",
        "queue_timeout": "Entschuldigen Sie die Wartezeit: Alle in unserem Team sind noch "
        "beschäftigt. Hinterlassen Sie Ihre Frage und Ihre E-Mail-Adresse oder Telefonnummer, "
        "dann melden wir uns so schnell wie möglich bei Ihnen.",
        "nobody_online": "Im Moment ist niemand aus unserem Team mehr erreichbar. Hinterlassen "
        "Sie Ihre Frage und Ihre E-Mail-Adresse oder Telefonnummer, dann melden wir uns so "
        "schnell wie möglich bei Ihnen.",
        "agent_gone": "Ihr Gespräch mit unserem Team wurde unterbrochen, und gerade ist niemand "
        "sonst frei. Hinterlassen Sie Ihre Frage und Ihre E-Mail-Adresse oder Telefonnummer, "
        "dann melden wir uns so schnell wie möglich bei Ihnen.",
        "question_left": "Danke! Wir haben Ihre Frage erhalten. {when} Unsere Antwort sehen Sie "
        "hier im Chat, und wir melden uns bei Ihnen unter {contact}.",
        "agent_joined": "{name} hilft Ihnen weiter.",
        "agent_requeued": "{name} kann Ihnen gerade nicht weiterhelfen; Sie sind in der "
        "Warteschlange für den nächsten Kollegen.",
    },
}


def say(key: str, language: str | None, formal: Collection[str] = (), **values: str) -> str:
    """The text `key` in the shopper's language (see `text_language`), formally when the
    shop addresses shoppers of that language so (`formal`: languages, `widget.formal`)."""
    spoken = text_language(language)
    if spoken in formal and key in _FORMAL.get(spoken, {}):
        text = _FORMAL[spoken][key]
    else:
        text = in_language(_TEXTS[key], language)
    # A value left empty ("{when} ") leaves no double space behind.
    return text.format(**values).replace("  ", " ")
