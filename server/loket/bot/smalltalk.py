"""Greetings, thanks, goodbyes and asking for a person: answered as such, not searched in
the FAQ.

A shopper's "hi" or "thanks!" is no question the FAQ should answer, and an "I don't know"
to it reads badly and fills the admins' list of missed questions. Nor is "can I talk to a
person?", which the bot answers as the "talk to a person" button does. A message counts as
small talk only when every word in it is one of these (a greeting followed by a question is
a question). Words are folded (no case or accents) as the matcher folds them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from loket.bot.normalize import words

Kind = Literal["greeting", "thanks", "goodbye", "ack", "person"]

# Word -> (kind, language it tells, or None when shared by several languages).
_WORDS: dict[str, tuple[Kind, str | None]] = {}


def _add(kind: Kind, language: str | None, text: str) -> None:
    for word in text.split():
        _WORDS[word] = (kind, language)


_add("greeting", "en", "hi hello hey hiya howdy morning evening afternoon")
_add("greeting", "nl", "hoi hallo hai goedemorgen goedemiddag goedenavond dag goeiedag")
_add("greeting", None, "hallo moin servus bonjour salut hola ciao")
_add("greeting", "de", "guten gruss grussgott")
_add("thanks", "en", "thanks thank thx ty cheers")
_add("thanks", "nl", "bedankt dankjewel dankje dankuwel")
_add("thanks", "de", "dankeschon vielen")
_add("thanks", None, "merci danke dank gracias grazie")
_add("goodbye", "en", "bye goodbye")
_add("goodbye", "nl", "doei doeg tot ziens groetjes fijne")
_add("goodbye", "de", "wiedersehen tschau")
_add("goodbye", None, "tschuss")
_add("ack", "en", "alright cool great nice perfect")
_add("ack", "nl", "oke okee prima fijn top")
_add("ack", None, "ok okay super")
_add(
    "person",
    "en",
    "human humans people someone somebody anyone anybody agent agents representative employee"
    " staff operator colleague manager",
)
_add("person", "nl", "mens mensen medewerker medewerkers persoon iemand collega")
_add(
    "person",
    "de",
    "mensch menschen mitarbeiter mitarbeiterin jemand jemandem jemanden kollege kollegin",
)
_add("person", None, "person")

# Words that may go with small talk without making it a question -> the language they
# tell (None when several languages share them).
_FILLERS: dict[str, str | None] = {}


def _fillers(language: str | None, text: str) -> None:
    for word in words(text):
        _FILLERS[word] = language if _FILLERS.get(word, language) == language else None


_fillers(
    "en",
    "there all you so very much a lot again too guys team for your help good day weekend"
    " in advance i id would like want to speak talk chat with an real live actual please can"
    " could may get me connect through need is are here not possible it",
)
_fillers(
    "nl",
    "heel erg hartelijk vriendelijk wel nog even allemaal jullie u je jij voor de het hulp"
    " goed hele een mooie alvast ik wil graag kan kunnen mag met echte echt spreken praten"
    " chatten is er daar niet alsjeblieft aub svp verbinden doorverbinden mogelijk te",
)
_fillers(
    "de",
    "tag abend schon schonen sehr fur die hilfe ihre ihnen deine dir euch herzlichen"
    " lieben besten auf bis bald noch einen im voraus ich mochte will kann konnte mit einem"
    " einer echten echte sprechen reden chatten bitte ist da gibt es nicht verbinden",
)
_fillers(None, "morgen bot robot chatbot")
# A longer message is taken as something to answer, whatever its words.
MAX_WORDS = 12
# When a message holds several kinds, the one the reply should answer.
_PRIORITY: tuple[Kind, ...] = ("person", "goodbye", "thanks", "greeting", "ack")


def small_talk(text: str, folded: Sequence[str] | None = None) -> tuple[Kind, str | None] | None:
    """What kind of small talk `text` is, and the language its words tell (None when they
    do not); None when it is anything else. `folded`: `text`'s words, when the caller has
    them already."""
    if folded is None:
        folded = words(text)
    if not folded or len(folded) > MAX_WORDS:
        return None
    kinds: set[Kind] = set()
    languages: set[str] = set()
    for word in folded:
        known = _WORDS.get(word)
        if known is not None:
            kind, language = known
            kinds.add(kind)
        elif word in _FILLERS:
            language = _FILLERS[word]
        else:
            return None
        if language is not None:
            languages.add(language)
    for kind in _PRIORITY:
        if kind in kinds:
            return kind, languages.pop() if len(languages) == 1 else None
    return None
