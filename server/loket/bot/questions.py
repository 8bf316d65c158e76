"""The questions one shopper message asks: "how much is shipping? and can I pay with PayPal?"

A message is split into its questions so that the bot can answer each ("how much is
shipping" and "can I pay with PayPal" are two entries; the message as a whole would get
one answer, or a "did you mean" between them). Shoppers also write one question in several
sentences ("Zit er garantie op? Hoe lang?", "Do you ship to Ireland? If so, how much?",
"Hi, how are you? Where is my order?"), so a part stands as a question of its own only
when it could be asked alone:

- it asks: it ends in a question mark or starts as a question does ("how", "can", "wann",
  "est-ce que", a verb before its subject: "bezorgen jullie", "habt ihr", "livrez-vous"),
  and it does not end in a full stop or an exclamation mark; after the first question,
  it must start as a question (not only end in "?": "your sizes run small?");
- it names something: at least MIN_QUESTION_WORDS words that are no common words,
  question words, greetings or politeness ("Hoe lang?", "Ab welchem Betrag?", "Hi, how
  are you?", "Can you please check?" name nothing);
- it does not point back to the question before it ("it", "that", "dat", "es", "ça", "die"
  at the end; "if so", "what about", "zo ja", "und wenn", "et si"; "or" at its start),
  and the first question points back to nothing before the message ("Can I return it?").

Other sentences are details of the question before them ("do you deliver tiles? it's 40
m2"), or of the first when none came before ("I ordered last week. When will it come?").
Within a sentence, "and", "en", "und", "et" or "but" followed by the start of a question
begins another ("how much is shipping and how long does delivery take"); "or" never does.

`question_parts` is a plain function over text, in the four languages the bot speaks (nl,
en, de, fr), that knows nothing of the FAQ; `answer_each` decides, from what the matcher
made of the message and of each question alone, what the bot replies.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from loket.bot.faq import FaqEntry
from loket.bot.matcher import MatchResult
from loket.bot.normalize import FRAME_WORDS, STOP_WORDS, fold, words

# A part must name at least this many things (words that are no common words, question
# words, greetings or politeness) to stand as a question of its own: "Hoe lang?", "Wie
# teuer?" and "What should I do?" say too little to be asked alone.
MIN_QUESTION_WORDS = 1
# A question after the first names two at least: one that names a single thing is most
# often a follow-up of the first ("Is there interest?", "Which stores?", "Welke landen?").
MIN_LATER_QUESTION_WORDS = 2
# At most this many questions are told apart in one message (a longer list of questions
# is answered as one message, as before).
MAX_QUESTIONS = 3

# Per language: words a question starts with (question words, and verbs put before their
# subject), the subjects that follow the verb in a question ("bezorgen jullie ook in
# België", "liefert ihr nach Österreich"), and the conjunctions that may begin another
# question within a sentence.
_STARTERS = {
    "en": """how what when where why which who whom whose whats wheres hows whens whys can
        could do does did is are was were will would should shall may might have has had any
        anyone anybody""",
    "nl": """hoe wat wanneer waar waarom welk welke wie hoeveel hoelang waarmee waarvoor kan
        kun kunt kunnen mag mogen moet moeten is ben bent zijn heb hebt hebben heeft doe doen
        doet wordt worden zou zouden zit zitten klopt gaat gaan krijg krijgt krijgen""",
    "de": """wie was wann wo warum wieso weshalb welche welcher welches welchen wer wen wem
        wieviel wieviele woher wohin womit wofur kann kannst konnt konnen muss musst mussen
        ist sind habt haben hast hat gibt gibts geht darf durfen wird werden wurde""",
    "fr": """comment combien quand ou pourquoi quel quelle quels quelles qui que quest peut
        peux pouvez puis avez etes est""",
}
_SUBJECTS_AFTER_VERB = {
    "en": "",
    "nl": "jullie je u ik we wij",
    "de": "ihr ich du man wir",
    "fr": "vous tu on",
}
_JOINER_WORDS = {"en": "and but", "nl": "en maar", "de": "und aber", "fr": "et mais"}
_STARTING = {language: frozenset(text.split()) for language, text in _STARTERS.items()}
_SUBJECTS = {language: frozenset(text.split()) for language, text in _SUBJECTS_AFTER_VERB.items()}
_JOINER_LANGUAGES = {
    word: language for language, text in _JOINER_WORDS.items() for word in text.split()
}
_ANY = "*"
_STARTING[_ANY] = frozenset().union(*_STARTING.values())
_SUBJECTS[_ANY] = frozenset().union(*_SUBJECTS.values())
# The subjects of a question that says whom it asks ("do you", "hebben jullie", "kann ich").
_ASKED = _SUBJECTS[_ANY] | frozenset({"you", "u", "i", "we", "ya"})
# Words that put a subject second without asking anything: conjunctions ("als ik", "wenn
# ich", "si vous") and pronouns themselves ("ik je", "you i").
_NOT_VERBS_TEXT = """
    als toen omdat dat want maar en of dus zodra sinds voordat nadat terwijl hoewel indien
    tenzij zoals wenn weil dass aber und oder ob nachdem sobald seit bevor wahrend obwohl
    falls damit denn sondern wie si mais et car parce puisque lorsque comme
    i you he she it we they me
"""
_NOT_VERBS = frozenset(_NOT_VERBS_TEXT.split()) | _SUBJECTS[_ANY]
# Words that point back to what an earlier question named ("how long does it take", "kan
# ik dat ruilen", "wie lange dauert es", "ça coûte combien"), anywhere in a question; and
# the articles that are pronouns too when they end it ("waar zit die", "was kostet das").
_REFERS_BACK_TEXT = """
    it its that this them they these those
    dat dit ze hem ervan erop eraan erin daarvan daar
    es dies diese ihn ihm dort dauerts gehts kostets
    ca cela ceci il elle ils elles
"""
_REFERS_BACK = frozenset(_REFERS_BACK_TEXT.split())
_REFERS_BACK_AT_END = frozenset(
    {"die", "het", "das", "der", "den", "dem", "le", "la", "les", "one"}
)
# Pronouns told by how they are written: "die" before no capitalised noun ("wanneer komt
# die weer binnen", not "Was kostet die Lieferung"), a French verb joined to "il" or
# "elle" ("quand sera-t-il disponible"), "est-ce" that asks of a thing ("est-ce gratuit",
# not "est-ce que").
_POINTS_BACK_AS_WRITTEN = re.compile(
    r"\bdie\b(?!\s+[A-ZÄÖÜ])|\w-(?:t-)?(?:il|elle|ils|elles)\b|\best-ce\b(?!\s+qu)"
)
# How a follow-up starts: "if so, how much?", "what about in heavy rain?", "or only by
# card?", "zo ja, waar?", "und wenn nicht?", "et si", "sinon".
_FOLLOWS_UP = re.compile(
    r"^\s*(?:and\s+|en\s+|und\s+|et\s+)?(?:if\s+so|if\s+not|what\s+if|what\s+about|how\s+about|"
    r"and\s+if|or|zo\s+ja|zo\s+nee|zo\s+niet|anders|wat\s+als|en\s+als|of|wenn\s+ja|wenn\s+nicht|falls\s+ja|"
    r"und\s+wenn|was\s+ist\s+mit|oder|si\s+oui|si\s+non|sinon|et\s+si|ou|et\s+pour)\b",
    re.IGNORECASE,
)
# Words that name nothing asked: greetings, politeness, how-are-you's ("hoi, hoe gaat
# het?", "wie geht's", "comment allez-vous", "can you please check?"), and how long or how
# much ("Hoe lang?", "Wie teuer?", "how much time").
_CHATTER_TEXT = """
    hi hello hey hiya hallo hoi hai dag goedemorgen goedemiddag goedenavond moin servus
    bonjour salut bonsoir coucou thanks thank thx cheers dank bedankt danke merci please pls
    plz alsjeblieft alstublieft aub graag bitte svp sil plait gaat gehts geht going doing
    allez va check kijken nachsehen regarder help helpen helfen aider
    lang lange long longtemps teuer duur expensive cher much many viel veel zeit time tijd
    temps
"""
_CHATTER = frozenset(_CHATTER_TEXT.split())
_NOT_NAMING = frozenset().union(*STOP_WORDS.values(), *FRAME_WORDS.values()) | _CHATTER
# French verbs joined to their subject: "livrez-vous", "puis-je", "y a-t-il".
_JOINED_SUBJECT = re.compile(r"\w-(?:t-)?(?:vous|je|tu|on|il|elle|ils|elles|nous|ce)\b")
# Where a sentence ends: ? ! ; and line breaks, and a full stop before a space (not the one
# of "2.5 kg" or "shop.nl").
_SENTENCE = re.compile(r"[^?!;\n]*?(?:[?!;\n]+|\.+(?=\s)|\.+$|$)")
# A conjunction that may begin another question within a sentence ("or" never does: "can
# I pay by card or do I need PayPal" asks one thing).
_JOINERS = re.compile(
    # Not after a space or comma: a run of them is tried once, not from each of its places.
    r"(?<![,\s])[,\s]+(" + "|".join(sorted(_JOINER_LANGUAGES)) + r"|&)\s+",
    re.IGNORECASE,
)

# A sentence that starts with a conjunction: "And can I pay with PayPal".
_JOINED_BEFORE = re.compile(
    r"\s*(?:" + "|".join(sorted(_JOINER_LANGUAGES)) + r"|&)\s+", re.IGNORECASE
)

# What a question of several may start or end with that is no part of it: "And", ", ".
_JOINED_OR_ENDED = re.compile(
    r"^\s*(?:(?:" + "|".join(sorted(_JOINER_LANGUAGES)) + r"|&)\s+)?|[\s!.;,:]+$",
    re.IGNORECASE,
)


def unjoined(question: str) -> str:
    """One question of several as asked alone: "And can I pay by card?" is "can I pay by
    card?"."""
    return _JOINED_OR_ENDED.sub("", question.strip())


def question_parts(text: str) -> list[str]:
    """The questions `text` asks, each with the details that go with it, in order; empty
    when it asks fewer than two (or more than MAX_QUESTIONS) that can stand alone."""
    pieces = _pieces(text)
    if sum(1 for piece in pieces if not piece.endswith((".", "!"))) < 2:
        # Most messages: one sentence that may ask, no second one.
        return []
    parts: list[str] = []
    leading: list[str] = []
    for piece in pieces:
        if piece.endswith((".", "!")):
            # A statement or an exclamation: a detail of the question before it, or of the
            # first when it comes first.
            if parts:
                parts[-1] = f"{parts[-1]} {piece}"
            else:
                leading.append(piece)
            continue
        said = words(piece)
        if parts and _points_back(piece, said):
            # "do you deliver to the USA and how much is it": what "it" is, the question
            # before says; asked alone it would be another question.
            parts[-1] = f"{parts[-1]} {piece}"
        elif _stands_alone(piece, said, first=not parts):
            if not parts and _REFERS_BACK.intersection(said):
                # "Can I return it?": about what came before the message.
                return []
            if leading:
                piece = " ".join([*leading, piece])
                leading = []
            parts.append(piece)
        elif parts:
            parts[-1] = f"{parts[-1]} {piece}"
        else:
            leading.append(piece)
    if len(parts) < 2 or len(parts) > MAX_QUESTIONS:
        return []
    return parts


def _points_back(piece: str, said: Sequence[str]) -> bool:
    """Whether a piece after a question goes on from it: a word that points back, or the
    start of a follow-up ("if so", "or")."""
    return (
        bool(_REFERS_BACK.intersection(said))
        or (bool(said) and said[-1] in _REFERS_BACK_AT_END)
        or bool(_FOLLOWS_UP.match(piece))
        or bool(_POINTS_BACK_AS_WRITTEN.search(piece))
    )


def _stands_alone(piece: str, said: Sequence[str], *, first: bool) -> bool:
    """Whether `piece` (its words `said`) asks something that can be asked alone: it asks
    (after the first question, it starts as a question), and names enough."""
    end = piece.rstrip()
    if end.endswith((".", "!")):
        return False
    joined = _JOINED_BEFORE.match(piece)
    starts = _starts_question(piece[joined.end() if joined else 0 :], _ANY)
    if not (starts or (first and end.endswith("?"))):
        return False
    named = [word for word in said if word not in _NOT_NAMING and not word.isdigit()]
    if first or _asks_someone(said):
        # "do you sell candles?", "hebben jullie zadels?": whole questions, one thing named.
        return len(named) >= MIN_QUESTION_WORDS
    return len(named) >= MIN_LATER_QUESTION_WORDS


def _asks_someone(said: Sequence[str]) -> bool:
    """Whether a question starts with a verb and its subject ("do you", "can I", "hebben
    jullie", "kann ich", "avez vous"), after a joiner ("and do you"): it says whom it asks,
    as a follow-up ("Is there interest?", "Which stores?") does not."""
    start = 1 if said and said[0] in _JOINER_LANGUAGES else 0
    verb, subject = [*said[start : start + 2], "", ""][:2]
    return verb in _STARTING[_ANY] and subject in _ASKED


def _pieces(text: str) -> list[str]:
    """The sentences of `text`, and within each the stretches a joiner before a question
    starts ("how much is shipping" / "how long does it take"), stripped, non-empty."""
    found: list[str] = []
    for match in _SENTENCE.finditer(text):
        sentence = match.group(0)
        if not sentence.strip():
            continue
        start = 0
        for joiner in _JOINERS.finditer(sentence):
            language = _JOINER_LANGUAGES.get(joiner.group(1).casefold(), _ANY)
            before = sentence[start : joiner.start()].strip()
            if before and _starts_question(sentence[joiner.end() :], language):
                found.append(before)
                start = joiner.end()
        tail = sentence[start:].strip()
        if tail:
            found.append(tail)
    return found


def _starts_question(text: str, language: str) -> bool:
    """Whether `text` starts the way a question does in `language` (or any, `_ANY`): a
    question word or a verb first, or a verb before its subject."""
    head = fold(text[:80])
    if language in ("fr", _ANY) and _JOINED_SUBJECT.search(" ".join(head.split()[:2])):
        return True
    # "dag, ik heb ..." is a greeting before a statement: the verb must come right before
    # its subject, with no comma between them.
    first_words = words(head.split(",", 1)[0])[:2]
    if not first_words:
        return False
    if first_words[0] in _STARTING[language]:
        return True
    return (
        len(first_words) == 2
        and first_words[1] in _SUBJECTS[language]
        and first_words[0] not in _NOT_VERBS
    )


@dataclass(frozen=True, slots=True)
class EachAnswered:
    """The bot's replies to a message of several questions: an answer for each entry a
    question alone is answered with, in the order asked, each entry once, with the
    questions it answers (`answers`); "did you mean" choices for the first question that
    has choices the answers do not hold already (`offer`: the question, its choices); and
    the questions it cannot answer (`unknown`), named to the shopper and kept for the
    admins' misses."""

    answers: tuple[tuple[FaqEntry, tuple[str, ...]], ...]
    offer: tuple[str, tuple[FaqEntry, ...]] | None
    unknown: tuple[str, ...]


def answer_each(
    whole: MatchResult, asked: Sequence[tuple[str, MatchResult]]
) -> EachAnswered | None:
    """How to answer a message of several questions (`asked`: each question and the
    matcher's result for it alone), or None when the message is better answered as a
    whole (`whole`: the result for all of it): no question is answered alone, or the
    whole is answered with an entry none of them gets (a detail in one question said
    what the other was about)."""
    answers: dict[str, tuple[FaqEntry, list[str]]] = {}
    for question, result in asked:
        if result.outcome == "answer" and result.entry is not None:
            answers.setdefault(result.entry.id, (result.entry, []))[1].append(question)
    if not answers or (
        whole.outcome == "answer" and whole.entry is not None and whole.entry.id not in answers
    ):
        return None
    offer: tuple[str, tuple[FaqEntry, ...]] | None = None
    unknown: list[str] = []
    for question, result in asked:
        if result.outcome == "answer":
            continue
        if result.outcome == "suggest":
            # Choices the answers give already say nothing new ("is shipping free? what if I
            # order for more than 50 euros?" offered the shipping costs just answered).
            choices = tuple(entry for entry in result.suggestions if entry.id not in answers)
            if len(choices) < len(result.suggestions):
                continue
            if choices and offer is None:
                offer = (question, choices)
                continue
        unknown.append(question)
    return EachAnswered(
        tuple((entry, tuple(questions)) for entry, questions in answers.values()),
        offer,
        tuple(unknown),
    )
