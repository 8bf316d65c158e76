"""Text normalisation for matching: folding, stop words, light stemming, language detection."""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from loket.bot.synonyms import Lexicon

# Words that say nothing about what a shopper asks: articles, pronouns, auxiliaries,
# prepositions, greetings and chat filler. Question words ("wanneer", "where") and
# negations stay: "when" and "where" tell delivery time from order status. "Sell" asks no
# more than "have" does: in "do you sell curtains" (as in "do you have curtains") the
# product is the question, and a FAQ's "do you sell gift cards" shares only the frame.
_DUTCH_STOP_WORDS = """
de het een en of maar want dus dan als omdat zodat dat die dit deze der den des
ik je jij u jullie we wij ze zij hij men mij me mezelf jou hem haar hen hun ons onze
mijn mn jouw jou uw zijn is ben bent was waren wordt worden werd word geweest wezen
heb hebt heeft hebben had hadden kan kun kunt kunnen kon konden zal zult zullen zou
zouden wil wilt willen wou wilde moet moeten moest mag mogen mocht ga gaat gaan ging
doe doet doen deed van in op aan met voor naar bij uit om tot door tegen na te er
hier daar al nog ook wel zo toch even eens gewoon eigenlijk graag alstublieft
alsjeblieft aub svp ff hoi hallo hey hai hi goedemorgen goedemiddag goedenavond
bedankt dank dankjewel dankuwel groet groeten groetjes vriendelijke mvg beste
iets iemand nu meer heel erg zeer echt alleen zelf hoor he ja nee oke ok okay
misschien ongeveer even zoals waarbij waarvan daarvan daarmee hiervan ermee erop
hierop wie welke over voordat nadat terwijl sinds zodra toen helemaal precies
steeds inmiddels net pas jawel hé verkopen verkoopt ipv
"""
_ENGLISH_STOP_WORDS = """
a an the and or but so because if then than that this these those there here
i me my mine myself you your yours we us our ours they them their he him his she
her it its is am are was were be been being have has had having do does did doing
done can could will would shall should may might must to of in on at by for with
from about into onto up down out off just also still any some yet now ok okay
please pls plz thanks thank thx hi hello hey dear regards cheers well really very
get got getting want wanted need needed like would im ive id youre its whats
hows theres let lets something someone anything anyone which who whom
exactly actually completely totally already ever even stuff thing things
sell sells selling between too lot lots each every both such own thats wanna gonna gotta
instead
"""
# German, as folded (no umlauts or sharp s: "für" is "fur", "muss" covers "muß").
_GERMAN_STOP_WORDS = """
der die das den dem des ein eine einen einem einer eines und oder aber denn also dann
wenn weil dass damit ob als wie so ich du er sie es wir ihr mich mir dich dir ihn ihm
uns euch ihnen sich mein meine meinen meinem meiner dein deine ihre ihren ihrem unser
unsere euer eure bin bist ist sind seid war waren wird werden wurde wurden sein
gewesen habe hast hat haben hatte hatten kann kannst konnen konnt konnte konnten
mochte mochten mochtest will willst wollen wollte muss musst mussen musste darf
durfen soll sollen sollte sollten wurde wurden tun tue tut mache macht von vom zu
zum zur in im an am auf aus bei beim mit nach fur uber unter vor durch gegen ohne um
bis seit hier da dort noch schon auch mal doch ja nein eben bitte danke hallo hi
moin servus guten tag gruss grusse liebe lieber viele vielen dank etwas jemand nun
jetzt mehr sehr ganz wirklich eigentlich einfach gerne gern ok okay welche welcher
welches wer wen wem dies diese dieser dieses diesen jener man bevor nachdem waehrend
verkaufen verkauft brauche brauchst braucht brauchen nur zwischen jede jeder
jedes jeden beide habt hattet wollt sollt durft musst werdet wart machen machst gibt
gibts gehe gehst geht gehen ging deinen deinem deiner euren eurem eurer eures unseren
unserem unserer unseres ihrer ihres seine seinen seinem seiner statt anstatt stattdessen
"""
# French, as folded: no accents, and an apostrophe joins ("j'ai" is "jai", "qu'il" "quil").
_FRENCH_STOP_WORDS = """
le la les un une des du de et ou mais donc car ni que qui quoi je tu il elle on nous
vous ils elles me te se moi toi lui leur leurs mon ma mes ton ta tes son sa ses notre nos
votre vos ce cet cette ces cela ceci ca est es sont suis sommes etes etait etaient ete
etre ai as avons avez ont avait avaient eu avoir fait faire peux peut pouvez pouvons puis
pourrais pourriez pourrait voudrais voulez veux veut souhaite souhaiterais aimerais dois
doit devez faut au aux a dans sur sous par pour avec sans chez vers entre plus tres bien
aussi encore deja toujours juste alors si comme ici y en jai jaimerais cest quil quelle
sil lon quon dun dune nai nest ny svp stp plait merci bonjour bonsoir salut madame
monsieur oui non ok daccord vendez vend vendre
"""
STOP_WORDS: Mapping[str, frozenset[str]] = {
    "nl": frozenset(_DUTCH_STOP_WORDS.split()),
    "en": frozenset(_ENGLISH_STOP_WORDS.split()),
    "de": frozenset(_GERMAN_STOP_WORDS.split()),
    "fr": frozenset(_FRENCH_STOP_WORDS.split()),
}

# Question words and negations, which stay (see above) but say what kind of question it
# is, not what it is about: "wann" is in every delivery-time question, and in no product.
_FRAME_WORDS = {
    "nl": "hoe wat wanneer waar waarom hoeveel hoelang niet",
    "en": "how what when where why much many long not",
    "de": "was wann wo warum wieso weshalb wieviel viel lange nicht",
    "fr": "comment combien quand ou pourquoi quel quelle quels quelles pas ne",
}
FRAME_WORDS: Mapping[str, frozenset[str]] = {
    language: frozenset(text.split()) for language, text in _FRAME_WORDS.items()
}

_ENGLISH_NEGATIONS = """
no dont didnt doesnt cant cannot wont isnt arent wasnt werent havent hasnt hadnt couldnt
wouldnt shouldnt never nothing
"""
# Chat spellings of common words ("what time do u shut", "is ur shop open"): the word
# they stand for, so that the lexicon's phrases take them ("u" would be left out as a
# single letter). English only: Dutch "u" is the polite "you" and is left out as before.
_CHAT_SPELLINGS: Mapping[str, Mapping[str, str]] = {
    "en": {
        "u": "you",
        "ya": "you",
        "ur": "your",
        "r": "are",
        "pls": "please",
        "plz": "please",
        "wen": "when",
        "wher": "where",
        "wat": "what",
        "wot": "what",
    },
    # Austrian and southern German chat: "wo is mein Packerl", "hab's ned bekommen".
    "de": {"is": "ist", "hab": "habe", "habs": "habe", "ned": "nicht", "isch": "ist"},
}
# Negations matter ("I did not receive it"), so each language maps its forms onto one word.
_NEGATIONS: Mapping[str, Mapping[str, str]] = {
    "nl": {"geen": "niet", "nooit": "niet", "niks": "niet", "niets": "niet"},
    "en": {word: "not" for word in _ENGLISH_NEGATIONS.split()},
    "de": {
        word: "nicht"
        for word in ["kein", "keine", "keinen", "keinem", "keiner", "nie", "niemals", "nichts"]
    },
}

_APOSTROPHES = re.compile(r"['’‘`´]")
# English "'re" is "are": "we're" would otherwise be "were", another word ("the boxes were
# open" is no question about the opening hours).
_ARE = re.compile(r"(?<=[a-z])['’‘`´]re\b")
_WORD = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
_SENTENCE_END = re.compile(r"[.!?;\n]+")


def fold(text: str) -> str:
    """Lower-case `text` and strip accents, so "Belgïe" and "belgie" are the same word."""
    if text.isascii():  # most questions: nothing to decompose, no accents to strip
        return text.casefold()
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def words(text: str) -> list[str]:
    """Split `text` into folded words; apostrophes vanish and hyphens split words.

    A hyphenated word whose part is one letter stays whole ("e-mail" is "email"), so
    "e-mail" and "email" match; other hyphenated words split ("pre-order", "track-en-trace").
    """
    folded = fold(text)
    if "re" in folded and _ARE.search(folded):
        folded = _ARE.sub(" are", folded)
    folded = _APOSTROPHES.sub("", folded)
    found = _WORD.findall(folded)
    if "-" not in folded:
        return found  # most texts: nothing to split or join
    result: list[str] = []
    for word in found:
        parts = word.split("-")
        if len(parts) > 1 and any(len(part) == 1 for part in parts):
            result.append("".join(parts))
        else:
            result.extend(parts)
    return result


def sentences(text: str) -> list[str]:
    """Split `text` at sentence ends and line breaks, dropping empty pieces."""
    return [piece for piece in _SENTENCE_END.split(text) if piece.strip()]


def content_terms(text: str, language: str, lexicon: Lexicon | None = None) -> list[str]:
    """The stems of the words of `text` that carry meaning, in order.

    With a `lexicon`, its words and phrases become their concept tokens ("~cancel").
    """
    return terms_of_words(words(text), language, lexicon)


def terms_of_words(
    folded: Iterable[str], language: str, lexicon: Lexicon | None = None
) -> list[str]:
    """Stems of already folded words: negations unified, stop words, numbers and letters dropped.

    With a `lexicon`, its words and phrases become their concept tokens, in the place of
    the phrase's first word.
    """
    tokens = _tokens(folded, language)
    if lexicon is None or not lexicon.phrases:
        return [token.key for token in tokens if not token.common]
    terms: list[str] = []
    used: set[int] = set()
    for index, token in enumerate(tokens):
        if index in used:
            continue
        options = lexicon.phrases.get(token.key, ())
        exact = lexicon.phrases.get(EXACT + token.word, ())
        # The longest phrase first, one of words as written before one of stems of the
        # same length ("installed" is installing, not "instalments"; "stuk gegaan" is
        # defect, not "=stuk", damaged).
        found = sorted((*exact, *options), key=_longest_first) if exact else options
        for keys, concept in found:
            positions = _phrase_positions(tokens, index, keys, used)
            if positions:
                terms.append(concept)
                used.update(positions)
                break
        else:
            if not token.common:
                terms.append(token.key)
    if lexicon.implied or lexicon.implied_words:
        # After the rest: a term put between two others would keep them from being
        # joined ("apple pay" stays two words where the FAQ writes "applepay").
        also = {lexicon.implied[t] for t in terms if t in lexicon.implied}
        also.update(
            lexicon.implied_words[t.word] for t in tokens if t.word in lexicon.implied_words
        )
        terms.extend(sorted(also.difference(terms)))
    return terms


# In a lexicon phrase: "=laat" is the word "laat" as written, not its stem (so "te laat"
# is not "te laten"), and "..." lets other words stand between the words before and after
# it, for separable verbs ("stuur ... terug" is "stuur het pakket terug").
EXACT = "="
LOOSE = "..."
# "=zondag/maandag" is any one of those words as written: one key for a list of words
# that may stand in that place ("zijn jullie =zondag/maandag =open"), where a phrase for
# each would make every question with "zijn" try them all.
ALTERNATIVES = "/"
# "+" between two words of a phrase: nothing may stand between them, for short phrases
# that would read more into a longer sentence ("open + on + =saturday" is "open on
# saturday?", not "can I open it on saturday").
NEXT = "+"
# At most this many common words may stand between two words of a phrase; with "...",
# at most this many words of any kind.
_PHRASE_GAP = 2
_LOOSE_GAP = 4


def phrase_keys(phrase: str, language: str) -> list[str]:
    """The keys a lexicon phrase is matched by: stems, stop words as written, "=" and "..."."""
    keys: list[str] = []
    for part in phrase.split():
        if part in (LOOSE, NEXT):
            keys.append(part)
        elif part.startswith(EXACT) and ALTERNATIVES in part:
            listed = (word for one in part[len(EXACT) :].split(ALTERNATIVES) for word in words(one))
            keys.append(EXACT + ALTERNATIVES.join(listed))
        elif part.startswith(EXACT):
            keys.extend(EXACT + word for word in words(part[len(EXACT) :]))
        else:
            keys.extend(token.key for token in _tokens(words(part), language))
    return keys


class _Token(NamedTuple):
    key: str  # the stem, or a stop word as written
    common: bool  # a stop word
    word: str  # the word as written (folded)


# A number is an age where the words around it say so, in the shopper's language: "ik ben
# 17", "my son is 16", "muss ich 18 sein", "ab 18?", "moins de 18 ans". The question is then
# about age (an age check, what a child may use), which the language's word for it stands
# for. Only such plain ways of saying it: "ab 18 offen", "vanaf 16 ophalen", "am 23.12.",
# "12 jaar oude whisky" and "15 years warranty" hold numbers that are no one's age.
_AGE_WORD = {"nl": "leeftijd", "en": "age", "de": "mindestalter", "fr": "age"}
_AGES = frozenset(str(age) for age in range(12, 26))
# The ages a law sets (alcohol, tobacco, knives, fireworks): the only ones a limit names
# ("ab 18", "over 21", "18 sein").
_LEGAL_AGES = frozenset({"16", "18", "21"})


class _AgeWords(NamedTuple):
    """How one language says a number is someone's age."""

    i_am: frozenset[str]  # the word before it: "ik ben 17", "ich bin 16", "j'ai 17 ans"
    is_: frozenset[str]  # between a person and it: "my son is 16", "mon fils a 16 ans"
    to_be: frozenset[str]  # a legal age with "to be": "be 18", "18 zijn", "18 sein"
    limits: frozenset[str]  # a legal age after a limit: "over 18", "vanaf 18", "ab 18"
    years: frozenset[str]  # may follow an age: "16 jaar", "18 Jahre", "18 ans"


def _age_words(i_am: str, is_: str, to_be: str, limits: str, years: str) -> _AgeWords:
    return _AgeWords(*(frozenset(text.split()) for text in (i_am, is_, to_be, limits, years)))


_AGE_WORDS = {
    "en": _age_words("im am", "is", "be", "over under", "years year yrs yo old"),
    "nl": _age_words("ben", "is van", "zijn worden", "vanaf boven onder", "jaar jarig jarige"),
    "de": _age_words(
        "bin", "ist", "sein werden", "ab unter uber ueber", "jahre jahren jahr jahrig jahrige"
    ),
    "fr": _age_words("jai", "a", "avoir", "moins", "ans an"),
}
# Who has an age: "mein Sohn (16)", "mijn dochter van 17", "my nephew is 15".
_PEOPLE_TEXT = """
    zoon dochter kind neef nicht broer zus zusje broertje son daughter child kid nephew
    niece brother sister sohn tochter kind neffe nichte bruder schwester fils fille enfant
    neveu niece frere soeur
"""
_PEOPLE = frozenset(_PEOPLE_TEXT.split())
# Words after a number that make it an amount, a time, a distance or a count, not an age.
_NOT_AGES_TEXT = """
    euro euros eur cent pound pounds gbp quid dollar dollars usd chf franken uur u h uhr
    heure heures pm oclock km miles mile meter metres cm mm kg g gr gram ml cl liter litre
    stuks stuk st stk pieces items artikel minuten minutes min mins stunden hours dagen days
    tage jours weken weeks wochen semaines maanden months monate mois graden degrees grad
    procent percent prozent flessen bottles flaschen bouteilles dozen boxes kisten kartons
    inch inches zoll volt
"""
_NOT_AGES = frozenset(_NOT_AGES_TEXT.split())
# What may follow a limit and an age: "18 only", "unter 18 verboten", "18 of ouder".
_ALLOWED_TEXT = """
    only allowed forbidden and plus alleen toegestaan verboden of ouder nur erlaubt verboten
    oder alter uniquement interdit ou plus
"""
_ALLOWED = frozenset(_ALLOWED_TEXT.split())


def _is_age(folded: Sequence[str], at: int, language: str) -> bool:
    """Whether the number `folded[at]` is someone's age, as `language` says it (see
    `_AGE_WORDS`)."""
    said = _AGE_WORDS.get(language)
    number = folded[at]
    if said is None or number not in _AGES:
        return False
    before = folded[at - 1] if at > 0 else ""
    earlier = folded[at - 2] if at > 1 else ""
    after = folded[at + 1] if at + 1 < len(folded) else ""
    if after in _NOT_AGES or after.isdigit():  # "23 12" is a date
        return False
    if before in said.i_am and (language != "en" or earlier in ("i", "")):
        return True
    if before in _PEOPLE or (before in said.is_ and earlier in _PEOPLE):
        return True
    if number not in _LEGAL_AGES:
        return False
    if before in said.to_be or after in said.to_be:
        return True
    # "ab 18?", "over 18 years", "boven de 18", "moins de 18 ans", "unter 18 verboten": at
    # the end, or with years or what is allowed.
    limited = before in said.limits or (before == "de" and earlier in said.limits)
    return limited and (not after or after in said.years or after in _ALLOWED)


def _tokens(folded: Iterable[str], language: str) -> list[_Token]:
    """Each word that may count: numbers and single letters are left out, but for a
    number that is an age (see `_AGE_WORD`)."""
    stop = STOP_WORDS.get(language, frozenset())
    negations = _NEGATIONS.get(language, {})
    spellings = _CHAT_SPELLINGS.get(language, {})
    tokens: list[_Token] = []
    folded = folded if isinstance(folded, list) else list(folded)
    for at, word in enumerate(folded):
        word = spellings.get(word, word)
        unified = negations.get(word, word)
        # Numbers are instance data (order numbers, dates, amounts), not what is asked.
        if len(unified) < 2 or unified.isdigit():
            if unified.isdigit() and _is_age(folded, at, language):
                age = _AGE_WORD[language]
                tokens.append(_Token(stem(age, language), False, age))
            continue
        # A German stop word however it is written ("ueber" is "uber", as in phrases).
        common = german_spelling(unified) if language == "de" else unified
        if common in stop:
            tokens.append(_Token(common, True, word))
        else:
            tokens.append(_Token(stem(unified, language), False, word))
    return tokens


def _longest_first(option: tuple[tuple[str, ...], str]) -> int:
    return -len(option[0])


def _phrase_positions(
    tokens: Sequence[_Token], start: int, keys: Sequence[str], used: Collection[int]
) -> list[int]:
    """The positions of the words of phrase `keys` when it starts at `start`, or []."""
    positions = [start]
    position = start + 1
    loose = False
    adjacent = False
    gaps = False
    for key in keys[1:]:
        if key == LOOSE:
            loose = True
            continue
        if key == NEXT:
            adjacent = True
            continue
        gap = 0
        allowed = 0 if adjacent else _LOOSE_GAP if loose else _PHRASE_GAP
        while (
            position < len(tokens)
            and not _is(tokens[position], key)
            and (loose or tokens[position].common)
            and gap < allowed
        ):
            position += 1
            gap += 1
        if position >= len(tokens) or position in used or not _is(tokens[position], key):
            return []
        positions.append(position)
        position += 1
        loose = False
        adjacent = False
        gaps = gaps or gap > 0
    # A phrase of common words only ("the us") is one only with nothing in between: "send
    # the thing to us" names no country.
    if gaps and all(tokens[at].common for at in positions):
        return []
    return positions


def _is(token: _Token, key: str) -> bool:
    if key.startswith(EXACT):
        if ALTERNATIVES in key:
            return token.word in _alternatives(key)
        return token.word == key[len(EXACT) :]
    return token.key == key


@functools.lru_cache(maxsize=256)
def _alternatives(key: str) -> frozenset[str]:
    """The words of an "=a/b/c" key."""
    return frozenset(key[len(EXACT) :].split(ALTERNATIVES))


@functools.lru_cache(maxsize=1 << 15)
def stem(word: str, language: str) -> str:
    """A light suffix-stripping stem; the same word always gets the same stem.

    Kept for the most recent words: a shop's questions reuse a small vocabulary.
    """
    if language == "nl":
        return _stem_dutch(word)
    if language == "en":
        return _stem_english(word)
    if language == "de":
        return _stem_german(word)
    if language == "fr":
        return _stem_french(word)
    return word


def _stem_french(word: str) -> str:
    """The plural's "-s" or "-x" off ("commandes", "colis" and "bijoux" meet "commande",
    "coli" and "bijou"), nothing more: French is matched on its words as written."""
    if len(word) > 4 and word[-1] in "sx" and not word.isdigit():
        return word[:-1]
    return word


# German inflection endings, longest first ("bestellungen" -> "bestellung", "kaufe" and
# "kaufen" -> "kauf"); a stem keeps at least three letters.
_GERMAN_ENDINGS = ("ern", "em", "en", "er", "es", "e", "n", "s")
# As in Snowball's German stemmer, an "-s" ending follows one of these letters ("kaufs",
# "artikels"); after others it is the word's own ("preis", "beweis").
_GERMAN_S_ENDING = frozenset("bdfghklmnrt")


# An umlaut written out, as on a keyboard without them: "fuer", "moebel", "zurueck". Not
# after "a", "e" or "q", where the "u" belongs to "au", "eu" or "qu" ("blaue", "neue",
# "teuer", "quelle").
_WRITTEN_UMLAUT = re.compile(r"(?<![aeq])([aou])e")


def german_spelling(word: str) -> str:
    """A folded German word with its written-out umlauts as folding leaves the umlauts
    themselves: "fuer", "moebel" and "zurueck" become "fur", "mobel" and "zuruck", as
    "für", "Möbel" and "zurück" fold."""
    return _WRITTEN_UMLAUT.sub(r"\1", word) if "e" in word else word


def _stem_german(word: str) -> str:
    word = german_spelling(word)
    if len(word) <= 4 or word.isdigit():
        return word
    for ending in _GERMAN_ENDINGS:
        if word.endswith(ending) and len(word) - len(ending) >= 3:
            stem_ = word[: -len(ending)]
            # A bare "-n" ends a plural only after "-el" ("artikeln", "regeln"; "-ern" is
            # above): "klein", "grun" and "braun" end in an "n" of their own.
            if ending == "n" and not stem_.endswith("el"):
                return word
            if ending == "s" and stem_[-1] not in _GERMAN_S_ENDING:
                return word
            return stem_
    return word


_VOWELS = frozenset("aeiouy")
# Particles of Dutch separable verbs ("terug" in "terugsturen").
_PARTICLES = ("terug", "door", "over", "aan", "mee", "weg", "uit", "af", "op", "in", "om")


def _undouble_consonant(word: str) -> str:
    if len(word) >= 4 and word[-1] == word[-2] and word[-1] not in _VOWELS:
        return word[:-1]
    return word


def _stem_english(word: str) -> str:
    if len(word) <= 3:
        return word
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith("ied") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith(("sses", "xes", "ches", "shes", "zzes")):
        word = word[:-2]
    elif word.endswith("s") and not word.endswith(("ss", "us", "is")):
        word = word[:-1]
    for suffix in ("ment", "ing", "ed", "ly"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            word = _undouble_consonant(word[: -len(suffix)])
            break
    if word.endswith("e") and len(word) >= 5:
        word = word[:-1]
    return word


# Dutch words whose stem the rules below would give another word: "kort" (short) would
# lose its "t" as a verb ending and meet "korting" (discount), so "mijn broek is te kort"
# would ask about discount codes; "laten" (to let: "laten bezorgen", "laten zien") would
# meet "laat" (late).
_DUTCH_OWN_STEMS = {"kort": "kort", "korte": "kort", "korter": "korter", "laten": "laten"}


def _stem_dutch(word: str) -> str:
    if len(word) <= 3:
        return word
    own = _DUTCH_OWN_STEMS.get(word)
    if own is not None:
        return own
    # "Kado" is how many write "cadeau" ("kadootje", "kadobon").
    if word.startswith("kado"):
        word = "cadeau" + word[4:].removeprefix("o")
    original = word
    # Separable verbs put "ge" after their particle: "teruggestuurd" is "terugstuurd",
    # "afgeleverd" is "afleverd", so they meet "terugsturen" and "afleveren".
    participle = original.endswith(("d", "t", "en", "de", "te"))
    if participle:
        for particle in _PARTICLES:
            if not word.startswith(particle):
                continue
            rest = word[len(particle) :]
            # "opgeven" is "op" + "geven"; its participle is "opgegeven".
            if rest.startswith("ge") and len(rest) >= 6 and not rest.startswith(("geven", "geef")):
                word = particle + rest[2:]
                break
    # Diminutives: "pakketje" is "pakket", "vraagje" is "vraag", "cadeautje" is "cadeau",
    # "boompje" is "boom"; their plurals too ("pakketjes", "zaadjes").
    if word.endswith("jes") and len(word) >= 6:
        word = word[:-1]
    if word.endswith("je") and len(word) >= 5:
        vowel_tje = word.endswith("tje") and word[-4] in _VOWELS and word[-4] != "e"
        word = word[:-3] if vowel_tje or word.endswith("mpje") else word[:-2]
    if word.endswith("heden"):
        word = word[:-5] + "heid"
    if word.endswith("ingen") and len(word) > 7:
        word = word[:-2]
    for suffix in ("ing", "en", "e", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            # A plural "-s" follows a consonant other than "j" (as in Snowball's Dutch
            # stemmer): "cactus", "adres", "huis" and "prijs" end in an "s" of their own.
            if suffix == "s" and (word[-2] in _VOWELS or word[-2] in "js"):
                break
            word = word[: -len(suffix)]
            # "dozen" is "doos", "prijzen" "prijs", "brieven" "brief".
            if suffix == "en" and word[-1] in "zv":
                word = word[:-1] + ("s" if word[-1] == "z" else "f")
            break
    # A final d or t after a consonant is a verb ending: "besteld", "bezorgt", "duurt".
    # Not after "n" or "s": "land", "punt" and "kost" end that way themselves.
    if len(word) >= 4 and word[-1] in "dt" and word[-2] not in _VOWELS and word[-2] not in "ns":
        word = word[:-1]
    # Past participles: "geleverd" is "lever".
    if word.startswith("ge") and len(word) >= 6 and participle and original.startswith("ge"):
        word = word[2:]
    word = _undouble_consonant(word)
    # Open and closed syllables spell one vowel twice or once: "betaal" and "betalen".
    if (
        len(word) >= 4
        and word[-1] not in _VOWELS
        and word[-2] == word[-3]
        and word[-2] in "aeou"
        and word[-4] not in _VOWELS
    ):
        word = word[:-2] + word[-1]
    return word


def word_languages(word: str, vocabularies: Mapping[str, Collection[str]]) -> tuple[str, ...]:
    """The languages of `vocabularies` whose stop words or FAQ words hold the folded `word`."""
    return tuple(
        language
        for language, vocabulary in vocabularies.items()
        if word in STOP_WORDS.get(language, ()) or stem(word, language) in vocabulary
    )


def detect_language(
    folded: Iterable[str],
    vocabularies: Mapping[str, Collection[str]],
    languages_of: Callable[[str], tuple[str, ...]] | None = None,
) -> tuple[str | None, dict[str, int]]:
    """Guess the language of folded words from stop words and each FAQ's own words.

    Returns the language with the most evidence (or None on a tie) and the evidence per
    language: a word counts for a language when it is a stop word or FAQ word of that
    language and of no other. `languages_of` is `word_languages` over `vocabularies`,
    remembered by the caller (a matcher asks about the same words again and again).
    """
    evidence = dict.fromkeys(vocabularies, 0)
    for word in folded:
        hits = languages_of(word) if languages_of else word_languages(word, vocabularies)
        if len(hits) == 1:
            evidence[hits[0]] += 1
    ranked = sorted(evidence.items(), key=lambda item: item[1], reverse=True)
    if not ranked or ranked[0][1] == 0 or (len(ranked) > 1 and ranked[0][1] == ranked[1][1]):
        return None, evidence
    return ranked[0][0], evidence


def language_of_locale(locale: str | None) -> str | None:
    """The language code of a browser locale: "nl-NL" and "nl_BE" are "nl"."""
    if not locale:
        return None
    code = re.split(r"[-_]", locale.strip(), maxsplit=1)[0].casefold()
    return code if code.isalpha() and 2 <= len(code) <= 3 else None
