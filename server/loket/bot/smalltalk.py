"""Greetings, thanks, goodbyes and asking for a person: answered as such, not searched in
the FAQ.

A shopper's "hi" or "thanks!" is no question the FAQ should answer, and an "I don't know"
to it reads badly and fills the admins' list of missed questions. Nor is "can I talk to a
person?", which the bot answers as the "talk to a person" button does, or "I have a
question", which is answered as a greeting. A message counts as small talk only when every
word in it is one of these words, or part of one of these phrases (a greeting followed by a
question is a question; "can I talk to someone about my order?" is a question too). Words
are folded (no case or accents) as the matcher folds them.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Literal

from loket.bot.normalize import fold, words

Kind = Literal["greeting", "thanks", "goodbye", "ack", "person", "wait", "bot"]

# Word -> (kind, language it tells, or None when shared by several languages).
_WORDS: dict[str, tuple[Kind, str | None]] = {}


def _add(kind: Kind, language: str | None, text: str) -> None:
    for word in text.split():
        _WORDS[word] = (kind, language)


_add("greeting", "en", "hi hello hey hiya howdy morning evening afternoon")
_add("greeting", "nl", "hoi hallo hai goedemorgen goedemiddag goedenavond dag goeiedag")
_add("greeting", None, "hallo moin servus bonjour salut hola ciao")
_add("greeting", "de", "guten gruss grussgott gruezi gruessech hallochen")
# With the short forms French shoppers type ("bjr", "slt", "bsr", "re bonjour").
_add("greeting", "fr", "bonsoir coucou bjr bsr slt cc re rebonjour")
_add("thanks", "en", "thanks thank thx ty cheers")
_add("thanks", "fr", "mrc mci remerciements")
_add("thanks", "nl", "bedankt dankjewel dankje dankuwel")
_add("thanks", "de", "dankeschon vielen")
_add("thanks", None, "merci danke dank gracias grazie")
_add("goodbye", "en", "bye goodbye")
_add("goodbye", "nl", "doei doeg tot ziens groetjes fijne")
_add("goodbye", "de", "wiedersehen tschau")
# "bonne journée", "bonne soirée": said when leaving, as the Dutch "fijne dag".
_add("goodbye", "fr", "revoir bientot bonne")
_add("goodbye", None, "tschuss")
_add("ack", "en", "alright cool great nice perfect")
_add("ack", "nl", "oke okee prima fijn top")
_add("ack", "de", "passt")
_add("ack", "fr", "parfait daccord genial")
_add("ack", None, "ok okay super")

# Words that may go with small talk without making it a question -> the language they
# tell (None when several languages share them).
_FILLERS: dict[str, str | None] = {}


def _fillers(language: str | None, text: str) -> None:
    for word in words(text):
        _FILLERS[word] = language if _FILLERS.get(word, language) == language else None


_fillers(
    "en",
    "there all you so very much a lot again too guys team for your help good day weekend"
    " in advance please and",
)
_fillers(
    "nl",
    "heel erg hartelijk vriendelijk wel nog even allemaal jullie u je jij voor de het hulp"
    " goed hele een mooie alvast alsjeblieft aub graag en",
)
_fillers(
    "de",
    "tag abend schon schonen sehr fur die hilfe ihre ihnen deine dir euch herzlichen"
    " lieben besten auf bis bald noch einen im voraus bitte und zusammen miteinander",
)
_fillers(
    "fr",
    "beaucoup bcp bien tres a vous pour votre aide journee soiree merci encore madame"
    " monsieur tout le monde daccord et sil plait svp",
)
_fillers(None, "morgen")

# Phrases that make a message small talk of a kind, matched on its folded words.
_PERSON_EN = (
    r"(?:a |an |the |some |your |one of your )?(?:real |live |actual )?"
    r"(?:human(?: being)?|person|agent|representative|employee|someone|somebody|anyone|anybody"
    r"|colleague|manager|operator|people|customer service|customer support|support)"
)
_PERSON_NL = (
    r"(?:met )?(?:een |iemand van )?(?:echte |echt )?"
    r"(?:medewerker|mens|persoon|iemand|collega|klantenservice)"
)
_PERSON_DE = (
    r"(?:mit )?(?:einem |einer |einen |dem |der |den )?(?:echten |richtigen )?"
    r"(?:jemandem|mitarbeiter|mitarbeiterin|menschen|person|kollegen|kollegin"
    r"|kundenservice|kundendienst)"
)
_PERSON_FR = (
    r"(?:(?:a|avec) )?(?:un |une |le |la )?(?:vrai |vraie |veritable )?"
    r"(?:conseiller|conseillere|humain|etre humain|personne|agent|employe|employee"
    r"|quelquun|quelqu un|collegue|operateur|operatrice|service client|vendeur|vendeuse)"
)
# "wait?": a phrase that asks how long the wait is only when said in the queue.
_PHRASE_TEXTS: tuple[tuple[str, Kind | Literal["wait?"], str | None], ...] = (
    # Asking how long the wait for a person is, in words that say so ("wait", "queue",
    # "my turn"): "wait". And in words that may ask how long anything takes ("how much
    # longer?", "hoe lang duurt het nog?"): "wait?", small talk only in the queue; anywhere
    # else they ask something else (the delivery time, the question before them). See
    # `small_talk`. The first kind before the second, which would take part of it, and both
    # before asking for a person, which would take the person out of "wait for an agent".
    (
        r"how (?:much )?(?:long|longer) (?:do|will|must|should|would|shall) (?:i|we)"
        r"(?: still)?(?: (?:have|need) to)? wait(?: still)?(?: for)?"
        rf"(?: (?:{_PERSON_EN}|a reply|an answer))?",
        "wait",
        "en",
    ),
    (r"(?:is|how long is) the (?:wait|queue|line)(?: still)?(?: long)?", "wait", "en"),
    (r"(?:am i|are we) (?:still )?(?:in (?:the )?(?:queue|line)|next)", "wait", "en"),
    (
        r"(?:what is|whats|what s) my (?:place|position|number|spot) in (?:the )?(?:queue|line)",
        "wait",
        "en",
    ),
    (
        rf"(?:(?:i am|im|i m|i have been|ive been|i ve been) )?still waiting"
        rf"(?: for (?:{_PERSON_EN}|a reply|an answer))?",
        "wait",
        "en",
    ),
    (
        r"(?:hoe lang|hoelang) (?:moet|moeten|zal|zou) (?:ik|we)(?: nog)? wachten(?: nog)?"
        rf"(?: op {_PERSON_NL})?",
        "wait",
        "nl",
    ),
    (
        rf"(?:hoe lang|hoelang) (?:moet|moeten) (?:ik|we)(?: nog)? op {_PERSON_NL} wachten",
        "wait",
        "nl",
    ),
    (r"(?:hoe lang|hoelang) is de (?:rij|wachtrij)", "wait", "nl"),
    (r"(?:ben ik|zijn we) (?:nu |al |bijna )*aan de beurt", "wait", "nl"),
    (
        r"(?:hoeveelste|welk nummer|welke plek) (?:ben ik|sta ik)"
        r"(?: in de (?:rij|wachtrij))?",
        "wait",
        "nl",
    ),
    (r"(?:sta|zit) ik (?:nog )?(?:in de (?:rij|wachtrij)|te wachten)", "wait", "nl"),
    (
        r"(?:ik )?(?:zit|sta|ben) (?:al |nog )?(?:steeds )?(?:te wachten|aan het wachten)",
        "wait",
        "nl",
    ),
    (
        rf"wie lange (?:muss|mussen) (?:ich|wir|man)(?: noch)?(?: auf {_PERSON_DE})? warten"
        r"(?: noch)?",
        "wait",
        "de",
    ),
    (r"(?:bin ich|sind wir) (?:jetzt |bald |gleich )?dran", "wait", "de"),
    (r"wie viele (?:sind|stehen|warten) (?:noch )?vor mir", "wait", "de"),
    (r"(?:ich )?warte (?:immer )?noch", "wait", "de"),
    (
        r"combien de temps (?:dois je|je dois|vais je|est ce que je dois|fautil|faut il)"
        r" (?:encore )?attendre(?: encore)?",
        "wait",
        "fr",
    ),
    (r"(?:je suis|suis je) (?:encore |toujours )?dans la file(?: dattente)?", "wait", "fr"),
    (r"(?:jattends|je patiente) (?:encore|toujours)", "wait", "fr"),
    (r"(?:cest|ca va etre|ca va durer) (?:encore )?(?:long|longtemps)", "wait?", "fr"),
    (
        r"how (?:much )?(?:long|longer)(?: (?:will|does) (?:it|this) (?:take|be))?"
        r"(?: still| for)?",
        "wait?",
        "en",
    ),
    (r"why (?:is|does) (?:it|this) (?:take|taking) so long", "wait?", "en"),
    (
        r"(?:hoe lang|hoelang)(?: (?:duurt|gaat|zal) het)?(?: nog)?(?: duren)?(?: nog)?",
        "wait?",
        "nl",
    ),
    (r"duurt het (?:nog )?(?:lang|lang nog)", "wait?", "nl"),
    (r"waarom duurt (?:het|dit) zo lang", "wait?", "nl"),
    (
        r"wie lange(?: dauert (?:es|das))?(?: noch)?(?: dauern)?(?: noch)?",
        "wait?",
        "de",
    ),
    (r"dauert (?:es|das) noch (?:lange|lang)", "wait?", "de"),
    (r"warum dauert (?:das|es) so lange", "wait?", "de"),
    # Asking whether the chat is a bot or a person ("are you a bot?", "ben je een mens?"):
    # told it is the shop's assistant. Before asking for a person, which would take the
    # person out of "are you a real person".
    (
        r"(?:are you|r u|are u|is this|is that|am i (?:talking|chatting|speaking) (?:to|with)"
        r"|you are|youre|u r)(?: just| really| actually)? (?:a |an )?(?:real |actual )?"
        r"(?:bot|robot|chatbot|chat bot|machine|computer|ai|human|human being|person)",
        "bot",
        "en",
    ),
    (
        r"(?:ben je|ben jij|bent u|is dit|is dat|praat ik met|chat ik met|spreek ik met)"
        r"(?: nou| nu| echt)? (?:een )?(?:echte? )?"
        r"(?:bot|robot|chatbot|computer|mens|persoon|medewerker)",
        "bot",
        "nl",
    ),
    (
        r"(?:bist du|sind sie|ist das|(?:rede|schreibe|chatte|spreche) ich(?: hier)? mit)"
        r"(?: jetzt| echt| wirklich)? (?:ein |eine |einem |einer )?(?:echte[nr]? )?"
        r"(?:bot|roboter|chatbot|computer|ki|maschine|mensch|menschen|person)",
        "bot",
        "de",
    ),
    (
        r"(?:es tu|etes vous|tu es|vous etes|cest|je parle (?:a|avec)|je discute avec)"
        r"(?: un| une)? (?:vrai |vraie )?(?:bot|robot|chatbot|ia|humain|etre humain|personne"
        r"|machine|ordinateur)",
        "bot",
        "fr",
    ),
    # Asking for a person.
    (
        r"(?:(?:can|could|may) i |(?:i (?:want|need|would like|d like|wanna)|id like) to"
        r" |let me )?"
        rf"(?:talk|speak|chat) (?:to|with) {_PERSON_EN}",
        "person",
        "en",
    ),
    (
        rf"(?:i (?:want|need|would like|d like)|id like|can i (?:have|get)|get me|give me)"
        rf" {_PERSON_EN}",
        "person",
        "en",
    ),
    (rf"(?:connect|transfer|put) me (?:through )?(?:to|with) {_PERSON_EN}", "person", "en"),
    (
        rf"(?:is|are) there {_PERSON_EN} (?:i can |to )(?:talk|speak|chat)(?: to| with)?",
        "person",
        "en",
    ),
    # Only at the end: "are you there all weekend?" asks the opening hours.
    (r"are you (?:still )?there$", "person", "en"),
    (
        r"(?:is|are) (?:there )?(?:anyone|anybody|someone|somebody"
        r"|(?:a |an |any )?(?:real |live |actual )?(?:person|human|human being|people|agent))"
        r"(?: (?:there|here|available|online))?(?: at all)?",
        "person",
        "en",
    ),
    (
        r"(?:is )?(?:anyone|anybody|someone|somebody) (?:there|here|available|online)",
        "person",
        "en",
    ),
    # The word alone (with "please", "hi" and the like).
    (
        r"(?:a )?(?:real |live )?(?:human|agent|representative|operator"
        r"|customer service|customer support|live chat|live agent)"
        r"|(?:a )?(?:real|live|actual) (?:person|human being|people)",
        "person",
        "en",
    ),
    (
        rf"(?:(?:kan|mag|kun|wil) (?:ik|je) (?:graag |even |alsjeblieft )?|ik wil (?:graag )?)"
        rf"{_PERSON_NL} (?:spreken|praten|chatten)",
        "person",
        "nl",
    ),
    (
        r"(?:is|zit) (?:daar|er) (?:iemand|een medewerker|een mens)"
        r"(?: (?:aanwezig|online|beschikbaar))?",
        "person",
        "nl",
    ),
    # Before the word alone, which would take the person out of the phrase.
    (rf"(?:ik wil|mag ik|kan ik|ik zou) (?:graag |even )?{_PERSON_NL}", "person", "nl"),
    (r"(?:een )?(?:echte )?(?:medewerker|mens|klantenservice)", "person", "nl"),
    (r"(?:zijn|is) (?:jullie|u|er iemand) (?:er |daar )?(?:nog|wel)$", "person", "nl"),
    (
        rf"(?:(?:kann|konnte|darf|mochte|will) ich (?:bitte |gerne |gern )?|"
        rf"ich (?:mochte|will|wurde) (?:bitte |gerne |gern )?)"
        rf"{_PERSON_DE} (?:sprechen|reden|chatten)(?: bitte)?",
        "person",
        "de",
    ),
    (r"ist (?:da|hier) (?:jemand|ein mensch|ein mitarbeiter)", "person", "de"),
    (r"ist jemand (?:da|hier)", "person", "de"),
    (rf"(?:verbinde|verbindet|verbinden sie) mich (?:bitte )?{_PERSON_DE}", "person", "de"),
    (
        rf"ich (?:mochte|will|hatte gern|hatte gerne|brauche) (?:bitte )?{_PERSON_DE}",
        "person",
        "de",
    ),
    (
        r"(?:einen? |einem )?(?:echten? )?(?:mitarbeiter|mitarbeiterin|mensch|menschen"
        r"|kundenservice)",
        "person",
        "de",
    ),
    (r"(?:seid ihr|sind sie|bist du) (?:noch )?da$", "person", "de"),
    (
        r"(?:(?:je (?:voudrais|veux|souhaite|souhaiterais|peux|pourrais|aimerais)"
        r"|puis je|est ce que je peux|pourrais je) )?"
        rf"(?:parler|discuter) {_PERSON_FR}",
        "person",
        "fr",
    ),
    (
        r"(?:je (?:voudrais|veux|souhaite|souhaiterais|aimerais)|puis je avoir)"
        rf" {_PERSON_FR}",
        "person",
        "fr",
    ),
    (
        r"(?:il y a|y a|y atil|est ce quil y a) (?:quelquun|quelqu un|une personne|un conseiller)"
        r"(?: (?:la|ici|en ligne|disponible))?",
        "person",
        "fr",
    ),
    (
        r"(?:quelquun|quelqu un) (?:est )?(?:la|ici|en ligne|disponible)",
        "person",
        "fr",
    ),
    (
        r"(?:un |une )?(?:vrai |vraie )?(?:conseiller|conseillere|humain|service client)",
        "person",
        "fr",
    ),
    (r"(?:vous etes|etes vous|tu es|es tu) (?:encore |toujours )?la$", "person", "fr"),
    (r"jai (?:une|encore une) (?:petite )?question", "greeting", "fr"),
    (r"(?:une )?petite question", "greeting", "fr"),
    (r"jai besoin daide", "greeting", "fr"),
    (r"(?:pouvez vous|peux tu|vous pouvez) maider", "greeting", "fr"),
    (r"au revoir", "goodbye", "fr"),
    (r"(?:je vous )?remercie", "thanks", "fr"),
    (r"gruss gott", "greeting", "de"),
    (r"alles klar", "ack", "de"),
    # Saying there is a question, without the question yet: answered as a greeting.
    (r"(?:i )?(?:need|want) (?:some )?help", "greeting", "en"),
    (r"i (?:have|got) (?:a|one|another) (?:quick )?question", "greeting", "en"),
    (r"(?:a )?quick question", "greeting", "en"),
    (r"(?:can|could) you help me", "greeting", "en"),
    (r"ik heb (?:een|nog een) (?:korte )?vraag", "greeting", "nl"),
    (r"ik heb hulp nodig", "greeting", "nl"),
    (r"(?:kun|kunt|kan) (?:je|jij|u) (?:me|mij) helpen", "greeting", "nl"),
    (r"ich (?:habe|hab|hatte) (?:eine|noch eine|mal eine) (?:kurze )?frage", "greeting", "de"),
    (r"(?:eine )?kurze frage", "greeting", "de"),
    (r"ich brauche hilfe", "greeting", "de"),
    (r"(?:kannst du|konnen sie|konnt ihr) mir helfen", "greeting", "de"),
)
_PHRASES = tuple(
    # Grouped: a phrase of alternatives ("a human|a real person") is bounded as a whole.
    (re.compile(rf"(?:^| )(?:{pattern})(?= |$)"), kind, language)
    for pattern, kind, language in _PHRASE_TEXTS
)
# Any of the phrases: a text in which this finds none holds none, and each phrase taken out
# only leaves less, so the phrases one by one are tried only when this finds one (a greeting
# or thanks of single words is most small talk, and the learning path reads each clause).
_ANY_PHRASE = re.compile("|".join(f"(?:{phrase.pattern})" for phrase, _, _ in _PHRASES))
# A person named in a phrase asking how long the wait is ("wait for an agent"): that
# message asks for one too.
_PERSON_NAMED = re.compile(
    rf"(?:^| )(?:{_PERSON_EN}|{_PERSON_NL}|{_PERSON_DE}|{_PERSON_FR})(?= |$)"
)
# Goes with asking for a person ("a real person, not a bot"), and with nothing else.
_NOT_A_BOT = re.compile(
    r"(?:^| )(?:not|no|niet|geen|kein|keinen|nicht|pas) (?:a |an |een |ein |einen |mit einem "
    r"|un |une |avec un )?"
    r"(?:bot|robot|chatbot|machine|computer)(?= |$)"
)
# A shopper saying who they are ("hi, I am Sanne", "my name is S. de Vries", "ik heet
# sanne"): taken out before the rest is read. After "my name is" and "I am" only a name as
# written, with a capital or a digit ("Hello, I am S4"): "my name is wrong" and "hi, I am
# angry" say something else; and "I am ..." only right after a greeting ("I am Looking
# for ..." is a question).
_NAME = (
    r"(?P<name>[a-z0-9]+)"
    r"(?: (?:van der|van den|van de|van|de|der|den|von|vom|ter|ten|te) [a-z0-9]+)?"
)
_GREETINGS = "|".join(sorted(word for word, (kind, _) in _WORDS.items() if kind == "greeting"))
_GREETED = rf"^((?:{_GREETINGS})(?: (?:{_GREETINGS}|there|all|allemaal|zusammen|tag|abend))*)"
# (words one of which it needs, pattern, language, whether the name must be written as one,
# whether it follows a greeting)
_INTRODUCTIONS: tuple[tuple[frozenset[str], re.Pattern[str], str, bool, bool], ...] = tuple(
    (frozenset(cues.split()), re.compile(pattern), language, written, greeted)
    for cues, pattern, language, written, greeted in (
        (
            "name names",
            rf"(?:^| )(?:my name is|my names|my name s) {_NAME}(?= |$)",
            "en",
            True,
            False,
        ),
        ("naam", rf"(?:^| )mijn naam is {_NAME}(?= |$)", "nl", True, False),
        ("heet", rf"(?:^| )ik heet {_NAME}(?= |$)", "nl", False, False),
        ("name", rf"(?:^| )mein name ist {_NAME}(?= |$)", "de", True, False),
        ("heisse heise", rf"(?:^| )ich (?:heisse|heise) {_NAME}(?= |$)", "de", False, False),
        ("am im m this", rf"{_GREETED} (?:i am|im|i m|this is) {_NAME}(?= |$)", "en", True, True),
        ("ben hier met", rf"{_GREETED} (?:ik ben|hier is|met) {_NAME}(?= |$)", "nl", True, True),
        ("bin hier", rf"{_GREETED} (?:ich bin|hier ist) {_NAME}(?= |$)", "de", True, True),
        ("mappelle", rf"(?:^| )je mappelle {_NAME}(?= |$)", "fr", False, False),
        ("suis cest", rf"{_GREETED} (?:je suis|cest) {_NAME}(?= |$)", "fr", True, True),
    )
)
# The words of a text as written (a name's capital kept).
_WRITTEN_WORD = re.compile(r"[^\W_]+")
# A word each introduction holds: a message with none of them has none.
_INTRODUCTION_CUES = frozenset().union(*(cues for cues, *_ in _INTRODUCTIONS))
# Every word small talk can hold: a message with any other word is no small talk, told
# without trying the phrases (most messages, and the learning path reads each one).
_VOCABULARY = frozenset(
    {*_WORDS, *_FILLERS}
    | {
        word
        for pattern in (*(phrase for phrase, _, _ in _PHRASES), _NOT_A_BOT)
        for word in re.findall(r"[a-z]+", pattern.pattern)
    }
)
# A longer message is taken as something to answer, whatever its words (the words of the
# phrases above aside).
MAX_WORDS = 8
# When a message holds several kinds, the one the reply should answer.
_PRIORITY: tuple[Kind, ...] = ("person", "wait", "bot", "goodbye", "thanks", "greeting", "ack")


def small_talk(
    text: str, folded: Sequence[str] | None = None, *, queued: bool = False
) -> tuple[Kind, str | None] | None:
    """What kind of small talk `text` is, and the language its words tell (None when they
    do not); None when it is anything else. `folded`: `text`'s words, when the caller has
    them already.

    Asking how long the wait for a person is ("wait") is small talk in words that say so
    ("how long do I have to wait?", "am I next?"); in words that may ask how long anything
    takes ("how much longer?", "hoe lang duurt het nog?") only when `queued` (the shopper
    waits in the queue for a person): anywhere else the message is a question, unless it
    also asks for a person ("can I talk to someone? how long will it take?")."""
    if folded is None:
        folded = words(text)
    if not folded or len(folded) > 3 * MAX_WORDS:
        return None
    kinds: set[Kind] = set()
    languages: set[str] = set()
    rest = " ".join(folded)
    if not _VOCABULARY.issuperset(folded):
        if _INTRODUCTION_CUES.isdisjoint(folded):
            return None
        introduced = _introduced(folded, languages, text)
        if introduced is None or not _VOCABULARY.issuperset(introduced.split()):
            return None
        # Saying who they are and nothing else is saying hello.
        kinds.add("greeting")
        rest = introduced
    asked_how_long = False
    for pattern, kind, language in _PHRASES if _ANY_PHRASE.search(rest) else ():
        said = [match.group(0) for match in pattern.finditer(rest)]
        if not said:
            continue
        rest = pattern.sub(" ", rest)
        if kind == "wait" and any(_PERSON_NAMED.search(text) for text in said):
            kinds.add("person")
        if kind == "wait?":
            if not queued:
                asked_how_long = True
                continue
            kind = "wait"
        kinds.add(kind)
        if language is not None:
            languages.add(language)
    if asked_how_long and "person" not in kinds:
        return None
    if "person" in kinds:
        rest = _NOT_A_BOT.sub(" ", rest)
    left = rest.split()
    if len(left) > MAX_WORDS:
        return None
    for word in left:
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


def _introduced(folded: Sequence[str], languages: set[str], text: str) -> str | None:
    """The words `folded` of `text`, joined, without the shopper saying who they are,
    adding the language that tells to `languages`; None when it holds no introduction."""
    present = set(folded)
    joined = " ".join(folded)
    for cues, pattern, language, written, greeted in _INTRODUCTIONS:
        if cues.isdisjoint(present):
            continue
        said = pattern.search(joined)
        if said is not None and (not written or _written_as_name(said.group("name"), text)):
            languages.add(language)
            kept = said.group(1) if greeted else ""
            return f"{joined[: said.start()]} {kept} {joined[said.end() :]}".strip()
    return None


def _written_as_name(name: str, text: str) -> bool:
    """Whether `name` (folded) is written in `text` as a name is: with a digit in it, or
    with a capital first ("S4", "Sanne", "Özlem"; not "angry")."""
    if not name.isalpha():
        return True
    return any(word[0].isupper() and fold(word) == name for word in _WRITTEN_WORD.findall(text))


# Where a message's clauses end: after a sentence end or comma and the space after it.
CLAUSE_END = re.compile(r"((?<=[,.!?;:…])\s+|\n+)")
# A clause that only holds the shopper while the agent looks something up, at its start
# (on the folded words), said in the first person ("let me have a look at the workshop
# diary for you", "ik kijk even voor je", "ich schaue nach"), or a "one moment" that
# ends the clause ("Moment of delivery is ..." says more).
_ENDS = (
    r"(?: (?:please|pls|hoor|alsjeblieft|alstublieft|aub|a u b|bitte|voor je|voor u"
    r"|geduld|a (?:sec|second|moment|minute)))*$"
)
_HOLDING = re.compile(
    r"^(?:"
    r"(?:let me|i ll|ill|i will|i m going to|im going to|i am going to) (?:just |quickly )?"
    r"(?:have a look|take a look|look|check|find out|ask|look into|look it up)(?: |$)"
    r"|let me (?:just )?see"
    + _ENDS
    + r"|(?:i m|im|i am) (?:checking|on it|looking into it|looking it up|looking at it)(?: |$)"
    r"|bear with me|(?:hold|hang) on"
    + _ENDS
    + r"|(?:one|just a|give me a|wait a|a) (?:moment|minute|sec|second)"
    + _ENDS
    + r"|ik (?:kijk|zoek|check) (?:het |dat |dit )?(?:even|eens|na|voor je|voor u|op)(?: |$)"
    r"|ik (?:ga|zal) (?:het |dat )?(?:even |eens )?(?:voor (?:je|u) )?"
    r"(?:na|kijken|opzoeken|navragen|uitzoeken|checken)(?: |$)"
    r"|(?:even|eventjes) (?:kijken|zoeken|checken|nakijken)"
    + _ENDS
    + r"|(?:een |1 )?(?:moment|ogenblik)(?:je)?"
    + _ENDS
    + r"|(?:even|eventjes) geduld"
    + _ENDS
    + r"|(?:einen )?(?:moment|augenblick)"
    + _ENDS
    + r"|ich (?:schaue|schau|gucke|guck|sehe) (?:mal |kurz |gleich |sofort )*nach(?: |$)"
    r"|ich (?:schaue|schau|gucke|guck) mal(?: |$)"
    r"|ich (?:prufe|checke|frage) (?:das|es|mal|kurz|gleich|sofort|nach)"
    r"(?: (?:das|es|mal|kurz|gleich|sofort|nach))*" + _ENDS + r")"
)
# What may follow a holding clause's "and" and keep it one ("let me check with the
# workshop and I'll get back to you").
_BACK = re.compile(
    r"^(?:(?:i ll|ill|i will|we ll|we will) (?:get back to you|let you know|come back to you)"
    r"|(?:ik |we )?(?:laat|laten|kom|komen) (?:het |je |u |er )*(?:zo |straks |even )*"
    r"(?:weten|op terug)|(?:ich )?melde mich)"
)
_AND = re.compile(r" (?:and|but|then|en|maar|dan|und|aber|dann) ")
# A holding clause says little else: a longer one has an answer in it.
_HOLDING_MAX_WORDS = 20
# Clauses that go with holding the shopper and say nothing themselves.
_ASIDE = re.compile(
    r"^(?:sure|ok|okay|oke|right|alright|of course|natuurlijk|zeker|klar|naturlich"
    r"|please|alsjeblieft|alstublieft|bitte|graag"
    r"|(?:good|great) question|goede vraag|gute frage|no problem|geen probleem|kein problem"
    r"|thanks? (?:you )?for (?:waiting|your patience)|bedankt voor (?:het wachten|je geduld)"
    r"|dank (?:je|u) (?:wel )?voor (?:het wachten|je geduld|uw geduld)"
    r"|danke (?:furs|fur das|fur ihre|fur deine) (?:warten|geduld)"
    # A greeting with the shopper's name ("Hi Anna").
    r"|(?:hi|hello|hey|hoi|hallo|dag|beste|liebe|lieber) [a-z]+)$"
)
# What any holding clause has in it, in the lower-cased text: most replies have none,
# and are told at this cost (every agent reply is looked at; a case-blind pattern costs
# ten times as much).
_HOLDING_HINT = re.compile(
    r"let me|i.?ll |i will|going to|i.?m |i am |bear with|hold on|hang on|moment|minute"
    r"| sec|kijk|zoek|check|ik ga|ik zal|even|ogenblik|augenblick|ich "
)
# Longer replies say more than that they will look.
_HOLDING_MAX_CHARS = 300


def _holding_clause(said: str) -> bool:
    """Whether a clause (folded words, joined) only says the agent will look: a holding
    phrase, and after an "and" only another, or that they will get back to the shopper."""
    pieces = _AND.split(said)
    return bool(_HOLDING.match(pieces[0])) and all(
        _HOLDING.match(piece) or _BACK.match(piece) for piece in pieces[1:]
    )


def holding_reply(text: str) -> bool:
    """Whether an agent's reply only holds the shopper ("Hi, let me have a look at the
    workshop diary for you."): each clause small talk, or one that begins with the agent
    saying they will look, in few words. Such a reply answers nothing, as one too short."""
    if len(text) > _HOLDING_MAX_CHARS or not _HOLDING_HINT.search(text.lower()):
        return False
    held = False
    for clause in CLAUSE_END.split(text.strip())[::2]:
        folded = words(clause)
        if not folded:
            continue
        said = " ".join(folded)
        if len(folded) <= _HOLDING_MAX_WORDS and _holding_clause(said):
            held = True
        elif not _ASIDE.match(said) and small_talk(clause, folded) is None:
            return False
    return held
