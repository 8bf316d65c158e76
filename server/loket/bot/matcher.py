"""The matcher: which FAQ entry answers a shopper's question, and how sure it is.

How a question is scored against an entry (per language, over normalised stems):

- Words and phrases of the webshop lexicon (`loket.bot.synonyms`) become concept tokens,
  in the FAQ and in the question alike: "cancelen" and "annuleren" are both "~cancel".
- Each word of the question is matched to the FAQ's vocabulary: exactly, by a shared
  beginning of at least five letters ("retour" and "retourneren"), or with a typo
  (rapidfuzz OSA distance 1, or 2 in long words; in four-letter words only two letters
  swapped); a concept is also found by a typo in
  any of its words. Dutch compounds are split into known parts ("retourlabel" is
  "retour label") and split words are joined back.
- A word the FAQ lacks in Dutch or German also finds compounds with the same head:
  "vliegjes" finds "rouwvliegjes", "cactusgrond" finds "grond", at reduced similarity.
- Words weigh by how rare they are in this FAQ (IDF over entries): "retourlabel"
  says more than "bestelling". Words the FAQ never uses weigh like an average word.
- *Coverage of the question* P: the weighted share of the question's words found in
  the entry: in a phrasing or tag fully, in the answer by half (fields weighted as in
  BM25F: the shop's answer uses the words shoppers use, but says less about what the
  entry is for).
- *Coverage of a phrasing* C: the weighted share of one phrasing's words found in the
  question (the best phrasing counts; each tag counts as a phrasing of its own, and so
  do the words of the entry's id: "lieferzeit", "retour-gebruikt").
- The score is their harmonic mean 2PC/(P+C): high only when the question is about
  this entry *and* says what the entry is about.

A question clearly in a language the FAQ has no entries in ("how much is shipping?" on a
German-only shop) is read in its own language and compared by what crosses over: the
lexicon's concepts and words the FAQ has too.

Long messages are scored sentence by sentence (and in windows), because shoppers
bury the question in a story; each entry keeps its best score. A short message of a few
sentences the bot does not know as a whole is scored sentence by sentence too: a detail
after the question may have diluted it.
"""

from __future__ import annotations

import asyncio
import bisect
import contextlib
import heapq
import itertools
import math
import operator
import re
import sys
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Literal, TypeVar

import numpy as np
from rapidfuzz import process
from rapidfuzz.distance import OSA

from loket.bot.faq import FaqEntry
from loket.bot.normalize import (
    FRAME_WORDS,
    STOP_WORDS,
    content_terms,
    detect_language,
    language_of_locale,
    sentences,
    stem,
    terms_of_words,
    word_languages,
    words,
)
from loket.bot.semantic import DIMENSIONS, CpuBudget, Encoder, Vectors, shared_encoder
from loket.bot.settings import BotSettings
from loket.bot.synonyms import FRAME_CONCEPTS, GENERIC_CONCEPTS, is_concept, lexicon_for

Outcome = Literal["answer", "suggest", "unknown"]
# How firmly an entry holds a question (see `_LanguageIndex.firmly_holds`).
Firmness = Literal["firm", "framed", "common", "no"]

# How much a word counts as found when it matches a vocabulary word loosely.
_PREFIX_SIMILARITY = 0.8
_TYPO_SIMILARITY = {1: 0.85, 2: 0.7}
# Shorter shared beginnings are too often chance ("over" and "overmaken").
_MIN_PREFIX = 4
# Two words that share a beginning are forms of one word when the longer one goes on by
# at most this many letters, or by a derivational ending; otherwise the shorter one is
# only the first part of a compound (or an unrelated word), found as surely as a head.
_MAX_ENDING = 3
_DERIVATIONS: dict[str, frozenset[str]] = {
    language: frozenset(endings.split())
    for language, endings in (
        ("nl", "heid heden ingen baar lijk lijke lijkheid erij ster sters atie aties"),
        ("en", "able ible ment ments ness ings tion tions ation ations ally"),
        ("de", "ungen heit heiten keit keiten lich liche lichen isch ische schaft"),
    )
}
# The endings of three letters of a word's forms in the compounding languages: any other
# rest of three letters is a word of its own, and the shorter word the first part of a
# compound ("fietstas" is no form of "fiets", "fietsbel" neither).
_ENDINGS: dict[str, frozenset[str]] = {
    language: frozenset(endings.split())
    for language, endings in (
        ("nl", "ers jes tje pje kje ste den ten der end ene ens nen len ing bar"),
        ("de", "ern ens ten tes ter tem ste ung end nen sen ert est bar ier"),
    )
}
_AFTER_DOUBLING = frozenset({"er", "ed", "en", "es", "st"})
# Vowels, for the Dutch plural "-s" after one ("accu's").
_VOWELS = frozenset("aeiouy")
# Compounds end in their head in these languages ("rouwvliegjes" are "vliegjes"). A word
# the FAQ does not have, found as the head of a compound or with a compound's head, counts
# this much (less than a typo: a kind of a thing is not the thing), when the compound's
# first part has at least this many letters.
_COMPOUNDING = frozenset({"nl", "de"})
_HEAD_SIMILARITY = 0.6
_MIN_MODIFIER = 3
# Typos are only assumed in words this long (short words differ in one letter by design).
_MIN_TYPO_LENGTH = 5
_LONG_WORD_FOR_TWO_TYPOS = 9
# Words this long are taken for a typo only when two neighbouring letters are swapped.
_SWAPPED_LENGTH = _MIN_TYPO_LENGTH - 1
# A question word this long may be a typo of one of the FAQ's compounds.
_MIN_COMPOUND_TYPO = 8
_MAX_EXPANSIONS = 8
# A German word this long starting with "ge" may be a past participle ("gelost").
_MIN_PARTICIPLE = 6
# Compound parts must be this long, so "hoe" + "veel" is never a compound; the tail may
# be shorter ("cadeau" + "bon").
_MIN_HEAD = 4
_MIN_TAIL = 3
_LINKERS = ("s", "en", "e")
# Generic webshop words weigh at most as a word in this share of the entries does.
_GENERIC_WEIGHT = math.log(1 + 1 / 0.25)
# A question word found only in an entry's answer counts this much as found.
_ANSWER_EVIDENCE = 0.5
# A message longer than this many words is scored in pieces of at most this many words.
_UNIT_WORDS = 24
_MAX_UNITS = 40
# Posting lists longer than this are not walked but looked up in the entries found.
_WALK_LIMIT = 2000
# At most this many entries found by the less common words go on to be weighed against
# the common ones, and at most this many of those, by coverage of the question, are
# scored in full. FAQs of a few hundred entries do not reach these bounds in practice.
_CANDIDATES = 500
_SHORTLIST = 100
# Entries fully scored at least: the best one, the runner-up and the suggestions.
_KEEP = 4
# Evidence margin needed to overrule the browser's language with the detected one.
_DETECTION_OVERRULES_LOCALE = 2
# An entry that shares only frame words with a question, which says something the entry
# does not, answers it when it is at least this close in meaning ("waar blijft mijn
# bestelling": 0.68 from the order-status entry, "waar kan ik zien waar mijn bestelling
# is": 0.55; "how much is the moon": 0.39 from the shipping costs; "was kostet der
# Fernseher": 0.36; below 0.5, "how much does the earl grey cost" gets the shipping costs).
_FRAMED_MEANING = 0.5
# One that shares only frame words and the shop's common words ("record" in a record
# shop), closer still: "can I listen to a record in the shop" is 0.55 from selling one's
# records, "wie viel Protein hat ein Ei" 0.50 from a sports food's dosage.
_COMMON_MEANING = 0.6
# A word of at least this share of a FAQ's entries, and of this many at least, is one of
# the shop's common words: it frames a question as question words do.
_COMMON_SHARE = 0.3
_COMMON_MIN_ENTRIES = 4
# A word as written: its letters.
_LETTERS = re.compile(r"[^\W\d_]+")
# A word written with hyphens: "lay-flat", "Gore-Tex", "e-mail", "T-shirt".
_HYPHENATED = re.compile(r"\w+(?:-\w+)+")
# What separates the words of an entry's id ("delivery-time", "retour_gebruikt", "q12").
_ID_PARTS = re.compile(r"[^A-Za-z]+")
# Language codes that end an id ("account-en", "retour-nl"): they name no words of it.
_ID_LANGUAGE_CODES = frozenset(["nl", "en", "de", "fr", "es", "it", "pt", "pl", "da", "sv", "fi"])
# Per language, the words that tell it without saying what is asked: its stop words and
# question words ("how", "wo", "hoe").
_COMMON_WORDS = {
    language: STOP_WORDS.get(language, frozenset()) | FRAME_WORDS.get(language, frozenset())
    for language in STOP_WORDS
}
# The FAQ language that answers a question in a language the FAQ has no entries in, when
# the FAQ has several languages and this is one of them.
_LINGUA_FRANCA = "en"
# Entries closest in meaning that compete even when they share no word with the question.
_SEMANTIC_CANDIDATES = 8
# Question words remembered per index with what they expand to (shoppers' words repeat:
# the typo and prefix search runs once per distinct word, not once per question).
_TERM_CACHE = 1 << 14

_T = TypeVar("_T")


@dataclass(frozen=True, slots=True)
class MatchResult:
    """What the bot should do with a question.

    `entry` is the best entry whatever the outcome (None when no entry shares a word with
    the question; answer with it only when `outcome` is "answer") and `score` its score;
    `suggestions` holds the "did you mean" choices when `outcome` is "suggest", and is
    empty otherwise.
    """

    outcome: Outcome
    entry: FaqEntry | None
    score: float
    suggestions: tuple[FaqEntry, ...]
    language: str


@dataclass(frozen=True, slots=True)
class SharedWord:
    """A question word an entry holds: the question's `word` (a stem, or a concept token
    "~cancel"), the entry's word it matches (in the FAQ's terms: itself, a form,
    a typo's correction, a compound's part) and how closely, and whether the entry holds it
    only in its answer (which counts half). `frames`: "frame" for a word that only frames
    a question ("how", "where", price, buying and ordering), "common" for one of the
    shop's own common words (of a third of its entries), which frames it too; else ""."""

    word: str
    matches: str
    similarity: float
    in_answer: bool
    frames: str = ""


class _Terms(list[str]):
    """A question's terms (`_LanguageIndex.question_terms`), with the first parts of its
    compounds the FAQ does not have as they stand ("fiets" of "fietsbellen", not of
    "fietsbelkosten", not a word group, not a word the question has alone): what kind of
    thing it asks about, not the thing (see `_LanguageIndex.firmly_holds`)."""

    modifiers: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class _Term:
    """A question word: its weight and the vocabulary words it matches, with similarity."""

    weight: float
    matches: tuple[tuple[int, float], ...]


class _LanguageIndex:
    """The searchable form of the entries of one language."""

    def __init__(
        self,
        language: str,
        entries: Sequence[FaqEntry],
        encoder: Encoder | None = None,
        concepts_off: frozenset[str] = frozenset(),
    ) -> None:
        self.language = language
        self.entries = tuple(entries)
        # Learned answers alone, no FAQ file's entry ("learned:12": file ids hold no ":").
        self.learned_only = all(":" in entry.id for entry in self.entries)
        # Meaning: each entry as the mean direction of its phrasings' vectors, a
        # prototype of what the entry is about, steadier than its nearest phrasing.
        self.centroids: Vectors | None = None
        if encoder is not None:
            self.centroids = _centroids(encoder, self.entries)

        self.lexicon = lexicon_for(language, concepts_off)
        self._concepts_off = concepts_off

        def terms_of(texts: Iterable[str]) -> list[str]:
            return [term for text in texts for term in content_terms(text, language, self.lexicon)]

        phrasing_terms = [[terms_of([q]) for q in entry.questions] for entry in entries]
        tag_groups = [
            [terms_of([tag]) for tag in (*entry.tags, *_id_words(entry))] for entry in entries
        ]
        tag_terms = [[term for terms in group for term in terms] for group in tag_groups]
        answer_terms = [terms_of([entry.answer]) if _ANSWER_EVIDENCE else [] for entry in entries]
        # Words compounds may be split into: the FAQ's own and the lexicon's.
        known = {
            term
            for group in (*phrasing_terms, tag_terms, answer_terms)
            for terms in group
            for term in terms
            if not is_concept(term)
        }
        known.update(self.lexicon.words)
        self._known = frozenset(known)

        # The FAQ's compounds as written, with the parts they are indexed by: a question's
        # typo of one ("versankosten", "lieferzeiit") is that compound.
        self._compounds: dict[str, tuple[str, ...]] = {}

        def compound_parts(terms: Iterable[str]) -> list[str]:
            found: list[str] = []
            for term in terms:
                parts = self._parts(term, self._known)
                if len(parts) > 1 and len(term) >= _MIN_COMPOUND_TYPO:
                    self._compounds[term] = tuple(parts)
                found.extend(parts)
            return found

        phrasings = [[compound_parts(terms) for terms in group] for group in phrasing_terms]
        asked = [
            {t for terms in group for t in terms} | set(compound_parts(tags))
            for group, tags in zip(phrasings, tag_terms, strict=True)
        ]
        answered = [set(compound_parts(terms)) for terms in answer_terms]
        self._compounds_by_length: dict[int, list[str]] = {}
        for word in sorted(self._compounds):
            self._compounds_by_length.setdefault(len(word), []).append(word)

        # Words the FAQ writes with a hyphen ("lay-flat", "Gore-Tex"), by the term a
        # shopper's joined spelling is ("layflat", "goretex"), with the terms of their parts.
        self._hyphenated: dict[str, tuple[str, ...]] = {}
        for held in entries:
            for text in (*held.questions, *held.tags, held.answer):
                for written in _HYPHENATED.findall(text):
                    joined = terms_of([written.replace("-", "")])
                    parts = terms_of([written.replace("-", " ")])
                    if len(joined) == 1 and len(parts) > 1 and joined[0] not in parts:
                        self._hyphenated.setdefault(joined[0], tuple(parts))

        self.term_ids: dict[str, int] = {}
        for term_set in (*asked, *answered):
            for term in sorted(term_set):
                self.term_ids.setdefault(term, len(self.term_ids))
        self.vocabulary = frozenset(self.term_ids)

        # Which entries hold a word, and how strongly: in a phrasing or tag it names what
        # the entry is about; in the answer only that the entry speaks of it.
        document_frequency = [0] * len(self.term_ids)
        self.postings: list[list[tuple[int, float]]] = [[] for _ in self.term_ids]
        for number, (asked_terms, answer_set) in enumerate(zip(asked, answered, strict=True)):
            for term in asked_terms | answer_set:
                term_id = self.term_ids[term]
                document_frequency[term_id] += 1
                strength = 1.0 if term in asked_terms else _ANSWER_EVIDENCE
                self.postings[term_id].append((number, strength))
        count = max(len(entries), 1)
        self.idf = [math.log(1 + count / df) for df in document_frequency]
        # Words of buying and ordering frame nearly every webshop question ("can I buy
        # airpods"): however few entries of a small FAQ use them, they weigh at most what a
        # word in a share of the entries weighs, so they cannot make a question about
        # something the FAQ lacks look like the one entry that says "buy".
        for concept in GENERIC_CONCEPTS:
            generic = self.term_ids.get(concept)
            if generic is not None:
                self.idf[generic] = min(self.idf[generic], _GENERIC_WEIGHT)
        # Words that frame a question rather than say what it is about: a question that
        # shares only these with an entry ("how much is the moon" and "how much is
        # shipping") is no question about that entry.
        # So are the shop's own common words, those of a share of its entries ("record" in
        # a record shop, "plant" in a nursery): "can you press my band's record" shares
        # only "record" with the entry on faulty records.
        self._frame_terms = FRAME_CONCEPTS | {
            stem(word, language) for word in FRAME_WORDS.get(language, ())
        }
        common = max(_COMMON_MIN_ENTRIES, _COMMON_SHARE * len(entries))
        self._common_terms = frozenset(
            term
            for term, term_id in self.term_ids.items()
            if document_frequency[term_id] >= common and not is_concept(term)
        )
        # The same by the FAQ's words a question word matches: a typo of a frame word
        # ("waneer") frames a question as the word itself does.
        self._frame_ids = frozenset(
            self.term_ids[term] for term in self._frame_terms if term in self.term_ids
        )
        self._common_ids = frozenset(self.term_ids[term] for term in self._common_terms)
        # A word the FAQ never uses is evidence the question is about something else,
        # but no stronger than a typical word: shoppers name products the FAQ never will.
        self.unknown_weight = sum(self.idf) / len(self.idf) if self.idf else 1.0

        # Per entry, its phrasings turned inside out: for each of its words (by id, in
        # order), the phrasings holding it (by number); and each phrasing's total weight.
        # A phrasing of stop words alone ("Kan dat?") has no words and is left out. A tag
        # counts as a phrasing of its own: a keyword that says what the entry is about
        # ("klarna", "geld terug"). Scoring an entry then looks up only the words the
        # question and the entry share, not every word of every phrasing. The totals are
        # summed in the order of the words' ids, the order a question's words are added
        # in (see `score`), with plain additions (not `sum`, whose rounding differs from
        # Python 3.12 on): a phrasing the question holds fully is exactly 1.0.
        self.phrasing_words: list[dict[int, tuple[int, ...]]] = []
        self.phrasing_weights: list[tuple[float, ...]] = []
        shaped = [
            group + [compound_parts(terms) for terms in tags if terms]
            for group, tags in zip(phrasings, tag_groups, strict=True)
        ]
        for group in shaped:
            holders: dict[int, list[int]] = {}
            totals: list[float] = []
            for terms in group:
                ids = sorted({self.term_ids[t] for t in terms})
                total = 0.0
                for i in ids:
                    total += self.idf[i]
                if total <= 0:
                    continue
                for i in ids:
                    holders.setdefault(i, []).append(len(totals))
                totals.append(total)
            self.phrasing_words.append({i: tuple(holders[i]) for i in sorted(holders)})
            self.phrasing_weights.append(tuple(totals))
        self.phrasing_count = sum(len(group) for group in phrasings)

        # How strongly each entry holds each of its words, for words too common to walk.
        self.strengths: list[dict[int, float]] = [{} for _ in entries]
        for term_id, posting in enumerate(self.postings):
            for entry, strength in posting:
                self.strengths[entry][term_id] = strength
        # Entries with short phrasings first: when only the first part of a long posting
        # list is walked, it holds the entries a question of common words fits best. A
        # phrasing of stop words alone counts for nothing here: "Kan dat?" beside a long
        # phrasing makes no entry a short one.
        shortest = [min(totals, default=0.0) for totals in self.phrasing_weights]
        for posting in self.postings:
            if len(posting) > _WALK_LIMIT:
                posting.sort(key=lambda item: (-item[1], shortest[item[0]]))

        # The words a question word is compared with for shared beginnings and typos: the
        # FAQ's words, and the lexicon's words of the concepts the FAQ uses, each standing
        # for its concept ("annuleer" for "~cancel").
        surface = {term: term_id for term, term_id in self.term_ids.items() if not is_concept(term)}
        for word, concept in self.lexicon.words.items():
            if concept in self.term_ids:
                surface.setdefault(word, self.term_ids[concept])
        self._surface = surface
        self._sorted_vocabulary = sorted(surface)
        # The same words spelt backwards: Dutch and German compounds end in their head
        # ("rouwvliegjes" is a kind of "vliegjes").
        self._compounding = language in _COMPOUNDING
        self._reversed_vocabulary = sorted(word[::-1] for word in surface)
        by_length: dict[int, list[str]] = {}
        for term in self._sorted_vocabulary:
            by_length.setdefault(len(term), []).append(term)
        self._by_length = by_length
        # Evidence of this language: the FAQ's own words, as written (before the lexicon).
        self.detection_vocabulary = frozenset(
            term
            for entry in entries
            for text in (*entry.questions, *entry.tags, entry.answer)
            for term in content_terms(text, language)
        )
        self._joinable = self.vocabulary | frozenset(self.lexicon.words)
        # The index never changes once built (an FAQ edit builds a new one), so what a
        # question word splits into and expands to can be kept.
        self._question_parts: dict[str, tuple[str, ...]] = {}
        self._expanded: dict[str, _Term] = {}
        # Each term by its id, made when first asked for (only to explain a match).
        self._names: list[str] | None = None

    def _parts(self, term: str, known: frozenset[str]) -> list[str]:
        """A term as it is indexed: a concept stays, a compound is split, parts become concepts."""
        if is_concept(term):
            return [term]
        return [self.lexicon.concept(part) for part in self._split(term, known)]

    def _split(self, term: str, vocabulary: set[str] | frozenset[str]) -> list[str]:
        """Split a compound into two known words, or leave it whole."""
        if len(term) < _MIN_HEAD + _MIN_TAIL:
            return [term]
        best: tuple[int, list[str]] | None = None
        for cut in range(_MIN_HEAD, len(term) - _MIN_TAIL + 1):
            head, tail = term[:cut], term[cut:]
            if tail not in vocabulary and stem(tail, self.language) not in vocabulary:
                continue
            tail = tail if tail in vocabulary else stem(tail, self.language)
            heads = [head] + [
                head[: -len(linker)]
                for linker in _LINKERS
                if head.endswith(linker) and len(head) - len(linker) >= _MIN_HEAD
            ]
            for candidate in heads:
                for known in (candidate, stem(candidate, self.language)):
                    if known in vocabulary:
                        balance = min(len(known), len(tail))
                        if best is None or balance > best[0]:
                            best = (balance, [known, tail])
        return best[1] if best is not None else [term]

    def question_terms(self, folded: Sequence[str], spoken: str | None = None) -> _Terms:
        """The question's stems in this language, with compounds split and split words joined.

        A question in a language the FAQ lacks (`spoken`) is read in that language: what
        crosses to this one are the lexicon's concepts ("cancel" and "stornieren" are both
        "~cancel") and words this FAQ has too (names, brands, loanwords); its other words
        count as words the FAQ does not have, as they would in this language."""
        if spoken is not None and spoken != self.language:
            terms = terms_of_words(folded, spoken, lexicon_for(spoken, self._concepts_off))
        else:
            terms = terms_of_words(folded, self.language, self.lexicon)
        joined: list[str] = []
        index = 0
        while index < len(terms):
            if index + 1 < len(terms):
                together = terms[index] + terms[index + 1]
                if together in self._joinable and not is_concept(together):
                    joined.append(self.lexicon.concept(together))
                    index += 2
                    continue
            joined.append(terms[index])
            index += 1
        result = _Terms()
        modifiers: set[str] = set()
        for term in joined:
            if term in self.vocabulary:
                result.append(term)
            elif term in self._hyphenated:
                result.extend(self._hyphenated[term])
            else:
                parts = self._question_parts.get(term)
                if parts is None:
                    parts = tuple(self._parts(term, self._known))
                    if len(parts) == 1:
                        parts = self._compound_typo(term) or parts
                    _remember(self._question_parts, term, parts)
                result.extend(parts)
                if not self._frames_only(parts[-1]):
                    # Not when the head only frames ("zahlungsmöglichkeiten", "lieferkosten":
                    # the first part is what is asked) or a part is a word group.
                    modifiers.update(part for part in parts[:-1] if not is_concept(part))
        if modifiers:
            # Not a word the question also has alone ("fiets" in "fiets met fietstas").
            result.modifiers = frozenset(part for part in modifiers if result.count(part) == 1)
        return result

    def _frames_only(self, term: str) -> bool:
        """Whether `term` only frames a question: a frame word, or one of the shop's common
        words."""
        return term in self._frame_terms or term in self._common_terms

    def _compound_typo(self, term: str) -> tuple[str, ...] | None:
        """The parts of the FAQ's compound that `term`, no word of the FAQ, is a typo of:
        as the typos of a word, with the same limits and not another compound
        ("fietsklamp" is no "fietslamp")."""
        if len(term) < _MIN_COMPOUND_TYPO or is_concept(term) or term in self._surface:
            return None
        most = _typos_allowed(len(term))
        best: tuple[int, str] | None = None
        for length in range(len(term) - most, len(term) + most + 1):
            choices = self._compounds_by_length.get(length)
            if not choices:
                continue
            for word, distance, _ in process.extract(
                term,
                choices,
                scorer=OSA.distance,
                score_cutoff=min(most, _typos_allowed(length)),
                limit=_MAX_EXPANSIONS,
            ):
                closer = best is None or distance < best[0]
                # Two letters off only in its last part: "boekenbonnen" is no
                # "bloemenbon", "juniorvoer" no "seniorvoer".
                kept = distance == 1 or self._first_part_kept(term, word)
                if distance > 0 and closer and kept and not self._other_compound(term, word):
                    best = (int(distance), word)
        return self._compounds[best[1]] if best is not None else None

    def _first_part_kept(self, term: str, compound: str) -> bool:
        """Whether `term` begins with the FAQ `compound`'s first part as written (its first
        four letters, when that part is a word group of the lexicon)."""
        first = self._compounds[compound][0]
        if is_concept(first):
            return term[:_MIN_HEAD] == compound[:_MIN_HEAD]
        return term.startswith(first)

    def expand(self, term: str) -> _Term:
        """The vocabulary words `term` matches, and how much `term` weighs."""
        known = self._expanded.get(term)
        if known is None:
            known = self._expand(term)
            _remember(self._expanded, term, known)
        return known

    def _expand(self, term: str) -> _Term:
        found: dict[int, float] = {}

        def add(word: str, similarity: float) -> None:
            term_id = self._surface[word]
            if similarity > found.get(term_id, 0.0):
                found[term_id] = similarity

        if term in self.term_ids:
            found[self.term_ids[term]] = 1.0
        elif self.language == "nl" and not is_concept(term):
            # The Dutch stemmer keeps an "s" after a vowel ("cactus", "huis"), which is
            # also the plural of a word ending in one ("accu's", "cadeaus"): the FAQ's
            # word with or without that "s" is the same word.
            if term.endswith("s") and term[-2:-1] in _VOWELS:
                variant = term[:-1]
            elif term[-1:] in _VOWELS:
                variant = term + "s"
            else:
                variant = ""
            if variant in self._surface:
                add(variant, 1.0)
        if term.endswith("us") and len(term) >= 4 and term[:-1] in self._surface:
            # The stemmer keeps "-us" ("bus", "status"), also the plural of a word of the
            # FAQ ending in "u" ("gpus", "menus").
            add(term[:-1], 1.0)
        if is_concept(term):
            pass
        elif len(term) >= _MIN_PREFIX:
            start = bisect.bisect_left(self._sorted_vocabulary, term)
            for word in self._sorted_vocabulary[start : start + _MAX_EXPANSIONS]:
                if not word.startswith(term):
                    break
                if word != term:
                    add(word, self._start_similarity(word[len(term) :], term))
            # A known word the term starts with ("betaal" in "betaalmogelijkheid"), also
            # in its stemmed spelling ("betal").
            for cut in range(_MIN_PREFIX, len(term)):
                for head in (term[:cut], stem(term[:cut], self.language)):
                    if head in self._surface and len(head) >= _MIN_PREFIX:
                        # What the term has beyond the known word: "whats" is "what",
                        # but "whatsapp" goes on by "sapp", not "app".
                        rest = term[len(head) :] if term.startswith(head) else term[cut:]
                        add(head, self._start_similarity(rest, head))
            if self._compounding and len(term) >= _MIN_PREFIX and term not in self.term_ids:
                self._add_heads(term, add)
        if term not in self.term_ids and not is_concept(term) and len(term) >= _MIN_TYPO_LENGTH:
            most = _typos_allowed(len(term))
            for length in range(max(len(term) - most, _MIN_TYPO_LENGTH), len(term) + most + 1):
                choices = self._by_length.get(length)
                if not choices:
                    continue
                # The shorter of the two words says how many letters may be off: "broek"
                # is no "brok" with a letter more (a four-letter word is forgiven only a
                # swap), "bestelingen" may be "bestellingen".
                allowed = min(most, _typos_allowed(length))
                for word, distance, _ in process.extract(
                    term, choices, scorer=OSA.distance, score_cutoff=allowed, limit=_MAX_EXPANSIONS
                ):
                    if distance > 0 and not self._other_compound(term, word):
                        add(word, _TYPO_SIMILARITY[int(distance)])
            # A letter typed twice ("koost", "maiil"), also where the word is too short for
            # other typos ("kost"): the word without it as it stands, not stemmed again
            # ("wasser" is no "was", "waarmee" no "warm"); a letter typed three times
            # ("voorraaad") is a double one, and that word is stemmed.
            for at in range(len(term) - 1):
                if term[at] != term[at + 1]:
                    continue
                tripled = at + 2 < len(term) and term[at + 2] == term[at]
                if at > 0 and term[at - 1] == term[at]:
                    continue
                single = term[:at] + term[at + 1 :]
                word = stem(single, self.language) if tripled else single
                if word in self._surface:
                    add(word, _TYPO_SIMILARITY[1])
        elif term not in self.term_ids and not is_concept(term) and len(term) == _SWAPPED_LENGTH:
            # A short word only by two letters swapped ("tiem", "sohp"): one letter more,
            # less or other is often another word ("ship", "shop"), a swap rarely is.
            for word in self._by_length.get(len(term), ()):
                if sorted(word) == sorted(term) and OSA.distance(term, word) == 1:
                    add(word, _TYPO_SIMILARITY[1])
        if not found and self._participle(term):
            # A German past participle the FAQ has in another form ("gelöst" for "löst
            # sich"): the word without "ge" when the FAQ has that very word, not a typo or
            # a frame word it is near ("gewicht" is no "nicht", "gesucht" no "wucht").
            found.update(
                (term_id, similarity)
                for term_id, similarity in self.expand(term[2:]).matches
                if similarity == 1.0
                and term_id not in self._frame_ids
                and term_id not in self._common_ids
            )
        if not found:
            return _Term(self.unknown_weight, ())
        matches = sorted(found.items(), key=lambda item: (-item[1], -self.idf[item[0]]))
        matches = matches[:_MAX_EXPANSIONS]
        # A question word weighs what the word it most likely means weighs.
        return _Term(self.idf[matches[0][0]], tuple(matches))

    def _participle(self, term: str) -> bool:
        """Whether `term` may be a German past participle: "ge", a verb's stem, and "t"
        or "en" ("gelost", "gebrochen"; not "geschenk")."""
        return (
            self.language == "de"
            and len(term) >= _MIN_PARTICIPLE
            and term.startswith("ge")
            and term.endswith(("t", "en"))
            and not is_concept(term)
        )

    def _other_compound(self, term: str, word: str) -> bool:
        """Whether `term`, within a typo of the FAQ's `word`, is another compound: both
        begin alike, `word` goes on with a word of the FAQ, and `term`'s rest is another
        word ("fietshelm" is not "fietsbel", though the whole words differ by two letters;
        "fietsklamp" is no "fietslamp"; "cadeaubno" is "cadeaubon" mistyped)."""
        shared = next(
            (i for i, (a, b) in enumerate(zip(term, word, strict=False)) if a != b),
            min(len(term), len(word)),
        )
        for cut in range(min(shared, len(word) - _MIN_TAIL), _MIN_HEAD - 1, -1):
            tail = word[cut:]
            if tail in self._surface:
                return _another_word(term[cut:], tail)
        return False

    def _start_similarity(self, rest: str, before: str = "") -> float:
        """How surely two words that differ by `rest` at the end are the same word.

        A short ending or a derivational one is a form of the word ("retour" and
        "retourneren", "kleid" and "kleidung"); in Dutch and German one of three letters
        only when it is one (`_ENDINGS`), or a doubled consonant and an ending. A longer
        rest is a word of its own: then the shorter word is only the first part of a
        compound, which names the kind, not the thing ("mass" in "massanfertigung",
        "pass" in "passwort"), or the two are unrelated ("what" and "whatsapp").
        """
        if rest in _DERIVATIONS.get(self.language, ()):
            return _PREFIX_SIMILARITY
        if (
            len(rest) < _MAX_ENDING
            or (
                len(rest) == _MAX_ENDING
                and (
                    self.language not in _COMPOUNDING
                    or rest in _ENDINGS[self.language]
                    # A consonant doubled before an ending: "snel" and "sneller", "ship" and
                    # "shipped", "stop" and "stoppen" (`before`: the shorter word).
                    or (rest[:1] == before[-1:] and rest[1:] in _AFTER_DOUBLING)
                )
            )
        ):
            return _PREFIX_SIMILARITY
        return _HEAD_SIMILARITY

    def _add_heads(self, term: str, add: Callable[[str, float], None]) -> None:
        """Compounds that share their head with `term`: a known compound ending in `term`
        ("rouwvlieg" for "vlieg"), and a known word `term` ends in ("grond" in
        "cactusgrond"); each a kind of the other, so found less surely than a word form."""
        backwards = term[::-1]
        start = bisect.bisect_left(self._reversed_vocabulary, backwards)
        for word in self._reversed_vocabulary[start : start + _MAX_EXPANSIONS]:
            if not word.startswith(backwards):
                break
            if len(word) - len(term) >= _MIN_MODIFIER and self._ends_in(word[::-1], term):
                add(word[::-1], _HEAD_SIMILARITY)
        for cut in range(_MIN_MODIFIER, len(term) - _MIN_PREFIX + 1):
            head = term[cut:]
            if head in self._surface:
                add(head, _HEAD_SIMILARITY)

    def _ends_in(self, compound: str, head: str) -> bool:
        """Whether `compound` may be a kind of `head`: not when it splits into known words
        elsewhere ("pakketautomaat" is "pakket" and "automaat", no kind of "tomaat")."""
        parts = self._split(compound, self._known)
        return len(parts) == 1 or len(parts[-1]) <= len(head)

    def score(self, terms: Sequence[_Term], keep: int) -> dict[int, float]:
        """Scores of the best entries (by position in this index) for one piece of a question."""
        total_weight = sum(term.weight for term in terms)
        if total_weight <= 0:
            return {}
        terms = _claimed_once(terms)
        found_as: dict[int, float] = {}
        for term in terms:
            for term_id, similarity in term.matches:
                if similarity > found_as.get(term_id, 0.0):
                    found_as[term_id] = similarity
        # Words whose entries are few are walked entry by entry; a word in very many
        # entries ("hoe", "bestelling") is looked up only in the entries found so far,
        # so a large FAQ costs about the same per question as a small one.
        walked: list[_Term] = []
        looked_up: list[_Term] = []
        for term in terms:
            (walked if self._postings_length(term) <= _WALK_LIMIT else looked_up).append(term)
        question_hits: dict[int, float] = {}
        for term in walked:
            for entry, similarity in self._best_in_entries(term, None).items():
                question_hits[entry] = question_hits.get(entry, 0.0) + term.weight * similarity
        if not walked:
            for term in looked_up:
                for entry in self._best_in_entries(term, _WALK_LIMIT):
                    question_hits.setdefault(entry, 0.0)
        if len(question_hits) > _CANDIDATES:
            question_hits = dict(
                heapq.nlargest(_CANDIDATES, question_hits.items(), key=lambda item: item[1])
            )
        for term in looked_up:
            for entry in question_hits:
                strengths = self.strengths[entry]
                best = 0.0
                # Matches come best first, so a word held fully cannot be beaten by a later one.
                for term_id, similarity in term.matches:
                    strength = strengths.get(term_id)
                    if strength is not None:
                        best = max(best, similarity * strength)
                        if strength == 1.0:
                            break
                question_hits[entry] += term.weight * best
        ranked = heapq.nlargest(_SHORTLIST, question_hits.items(), key=lambda item: item[1])
        # Each word's weight times how well the question has it.
        idf = self.idf
        found = {term_id: idf[term_id] * similarity for term_id, similarity in found_as.items()}
        found_ids = found.keys()
        scores: dict[int, float] = {}
        kept: list[float] = []
        for entry, hits in ranked:
            question_coverage = hits / total_weight
            # The score can at most be the harmonic mean with a perfect phrasing coverage;
            # once that cannot beat the entries already kept, no later entry can either.
            if len(kept) >= keep and _combine(question_coverage, 1.0) < kept[-1]:
                break
            # Per phrasing, what the question has of each of its words, summed, over the
            # phrasing's total weight; the best phrasing counts. Only the words the question
            # and the entry share, in the order of their ids (as the totals were summed).
            holders = self.phrasing_words[entry]
            shared = holders.keys() & found_ids
            phrasing_coverage = 0.0
            if shared:
                totals = self.phrasing_weights[entry]
                covered = [0.0] * len(totals)
                for term_id in sorted(shared):
                    value = found[term_id]
                    for phrasing in holders[term_id]:
                        covered[phrasing] += value
                phrasing_coverage = max(map(operator.truediv, covered, totals))
            value = _combine(question_coverage, phrasing_coverage)
            scores[entry] = value
            kept.append(value)
            kept.sort(reverse=True)
            del kept[keep:]
        return scores

    def firmly_holds(
        self,
        entry: int,
        terms: Iterable[tuple[str, _Term]],
        modifiers: Collection[str] = (),
    ) -> Firmness:
        """Whether a question word is a word of the entry's phrasings or tags: itself, a
        form of it or a typo of it, not only a part of a compound there ("mass" of "Maße"
        in "massanfertigung"). Without one, the entry may be offered as a choice but is no
        answer: nothing the question says is what the entry is for.

        A word that only frames a question ("how much", "where", "order") holds it only
        when the question says nothing the entry lacks: "where is my order" is the
        entry's question ("firm"), "how much is the moon" is not "how much is shipping"
        ("framed": only the meaning can tell it is the entry's question after all, as in
        "waar blijft mijn bestelling"). `terms`: the question's words (stems and concepts)
        with what each matches. A compound's first part (`modifiers`, see
        `_Terms.modifiers`) holds it as one of the shop's common words does: "verkopen
        jullie fietsbellen" is not the question of "we don't sell bikes"."""
        strengths = self.strengths[entry]

        def firm(term_id: int, similarity: float) -> bool:
            return similarity > _HEAD_SIMILARITY and strengths.get(term_id) == 1.0

        framed = False
        by_common = False
        lacking = False
        for word, term in terms:
            frames = self.frames(word, term)
            if not frames and word in modifiers:
                frames = "common"
            if frames == "frame":
                framed = framed or any(firm(i, s) for i, s in term.matches)
            elif frames == "common" and any(firm(i, s) for i, s in term.matches):
                by_common = True
            elif any(firm(i, s) for i, s in term.matches):
                return "firm"
            elif not any(i in strengths and s > _HEAD_SIMILARITY for i, s in term.matches):
                # Not even in the answer, nor as a form or typo ("whatsapp" is no "what").
                lacking = True
        if not (framed or by_common):
            return "no"
        if not lacking:
            return "firm"
        return "common" if by_common else "framed"

    def frames(self, word: str, term: _Term) -> str:
        """ "frame" when the question's `word` (or the FAQ word it is a form or typo of:
        "waneer", not "whatsapp" of "what") only frames a question, "common" when it is one
        of the shop's own common words, else ""."""
        likely = term.matches[0] if term.matches else None
        best = likely[0] if likely is not None and likely[1] > _HEAD_SIMILARITY else None
        if word in self._frame_terms or best in self._frame_ids:
            return "frame"
        if word in self._common_terms or best in self._common_ids:
            return "common"
        return ""

    def shared(self, entry: int, terms: Iterable[tuple[str, _Term]]) -> list[SharedWord]:
        """The question's words (stems and concepts, with what each matches) that the entry
        holds, each with the entry's word it matches best: what the score is made of."""
        strengths = self.strengths[entry]
        if self._names is None:
            self._names = sorted(self.term_ids, key=self.term_ids.__getitem__)
        found: list[SharedWord] = []
        pairs = list(terms)
        claimed = _claimed_once([term for _, term in pairs])
        for (word, given), term in zip(pairs, claimed, strict=True):
            best = max(
                (
                    (similarity * strengths[term_id], term_id, similarity)
                    for term_id, similarity in term.matches
                    if term_id in strengths
                ),
                default=None,
            )
            if best is not None:
                _, term_id, similarity = best
                in_answer = strengths[term_id] < 1.0
                frames = self.frames(word, given)
                found.append(SharedWord(word, self._names[term_id], similarity, in_answer, frames))
        return found

    def meaning(self, question: Vectors, candidates: Iterable[int]) -> dict[int, float]:
        """Closeness in meaning (0 to 1) of the question to `candidates` and the nearest few."""
        if self.centroids is None:
            return {}
        closeness = self.centroids @ question
        chosen = set(candidates)
        if len(closeness) > _SEMANTIC_CANDIDATES:
            nearest = np.argpartition(-closeness, _SEMANTIC_CANDIDATES)
            chosen.update(int(i) for i in nearest[:_SEMANTIC_CANDIDATES])
        else:
            chosen.update(range(len(closeness)))
        return {i: max(0.0, float(closeness[i])) for i in chosen}

    def _postings_length(self, term: _Term) -> int:
        return sum(len(self.postings[term_id]) for term_id, _ in term.matches)

    def _best_in_entries(self, term: _Term, limit: int | None) -> dict[int, float]:
        """For each entry holding a word `term` matches: how well the best such word matches."""
        best: dict[int, float] = {}
        for term_id, similarity in term.matches:
            for entry, strength in self.postings[term_id][:limit]:
                if similarity * strength > best.get(entry, 0.0):
                    best[entry] = similarity * strength
        return best


def _id_words(entry: FaqEntry) -> tuple[str, ...]:
    """An entry's id as a tag of its own: shop admins name an entry for what it is about
    ("lieferzeit", "retour-gebruikt"), so a shopper who types just that gets it. Only the
    id's words, without a language code ("account-en" is "account") but with the short
    words of a phrase ("bezorger-te-laat" is "bezorger te laat", which is late, not "laat"
    alone); none for a learned pair ("learned:12")."""
    if ":" in entry.id:
        return ()
    parts = [part for part in _ID_PARTS.split(entry.id) if len(part) >= 2]
    if parts and parts[-1].lower() in _ID_LANGUAGE_CODES:
        parts.pop()
    named = " ".join(parts)
    return (named,) if named else ()


def _claimed_once(terms: Sequence[_Term]) -> Sequence[_Term]:
    """The terms without loose matches of a FAQ word another question word is exactly.

    "Das Kleid ist zu klein": "kleid" is one letter from "klein", but the shopper wrote
    "klein" too, so "kleid" means something else; counting it as "klein" again would make
    the question look twice as much about the entry that says "klein".
    """
    exact = {term_id for term in terms for term_id, similarity in term.matches if similarity >= 1.0}
    if not exact:
        return terms
    kept: list[_Term] = []
    for term in terms:
        matches = tuple(m for m in term.matches if m[1] >= 1.0 or m[0] not in exact)
        kept.append(term if len(matches) == len(term.matches) else _Term(term.weight, matches))
    return kept


def _remember(cache: dict[str, _T], key: str, value: _T) -> None:
    """Keep `value` under `key`; a full cache starts over (cheaper than tracking use)."""
    if len(cache) >= _TERM_CACHE:
        cache.clear()
    cache[key] = value


_QUESTION_SHARE = 0.5


def _centroids(encoder: Encoder, entries: Sequence[FaqEntry]) -> Vectors:
    """The unit vector of each entry's meaning: the mean of its phrasings' vectors.

    Every phrasing is encoded at once (in batches: a batch costs a fraction of encoding
    its texts one by one), not entry by entry."""
    phrasings = [entry.questions or (entry.answer,) for entry in entries]
    vectors = encoder.encode_cached([text for texts in phrasings for text in texts])
    centroids = np.zeros((len(entries), DIMENSIONS), dtype=np.float32)
    start = 0
    for number, texts in enumerate(phrasings):
        mean: Vectors = vectors[start : start + len(texts)].mean(axis=0, dtype=np.float32)
        start += len(texts)
        norm = float(np.linalg.norm(mean))
        centroids[number] = mean / np.float32(norm) if norm > 0 else mean
    return centroids


def _combine(question_coverage: float, phrasing_coverage: float) -> float:
    """The weighted harmonic mean of both coverages: high only when both are."""
    if question_coverage <= 0 or phrasing_coverage <= 0:
        return 0.0
    return 1 / (_QUESTION_SHARE / question_coverage + (1 - _QUESTION_SHARE) / phrasing_coverage)


class _Leader:
    """The best entry by one signal, and whether it is ahead of every other."""

    __slots__ = ("entry", "runner_up", "score")

    def __init__(self) -> None:
        self.entry: FaqEntry | None = None
        self.score = 0.0
        self.runner_up = 0.0

    def offer(self, score: float, entry: FaqEntry) -> None:
        if score > self.score:
            self.runner_up, self.score, self.entry = self.score, score, entry
        elif score > self.runner_up:
            self.runner_up = score

    def leads_with(self, entry: FaqEntry | None) -> bool:
        return entry is not None and self.entry is entry and self.score > self.runner_up


class _Reading:
    """A question as one `match` read it, for its next ranking of the same text: its words,
    the languages `_plan` chose (by `narrow`), and each piece as scored, by (language,
    language read in, words): the question's terms with what each matches, and the
    entries' scores."""

    __slots__ = ("folded", "pieces", "plans")

    def __init__(self, folded: list[str]) -> None:
        self.folded = folded
        self.plans: dict[bool, tuple[list[str], str | None, str | None, bool]] = {}
        # (language, spoken, words) -> the words' terms, the entries' scores, and the first
        # parts of its compounds (`_Terms.modifiers`).
        self.pieces: dict[
            tuple[str, str | None, tuple[str, ...]],
            tuple[list[tuple[str, _Term]], dict[int, float], frozenset[str]],
        ] = {}


@dataclass(frozen=True, slots=True)
class _Ranking:
    # Entries with their scores, best first.
    scored: list[tuple[float, FaqEntry]]
    # The language, when the locale or the text told it.
    language: str | None
    # The words alone and the meaning alone rank the best entry first too.
    agreed: bool
    # Meaning counted (False: by words alone, for the FAQ's size or the encoder's budget).
    meaning: bool
    # A word of the question is a word of the best entry's phrasings or tags (itself, a
    # form of it or with a typo), not only part of a compound there or in its answer.
    firm: bool = True
    # The question's vector, when meaning was asked for (to rank the text again).
    encoded: Encoded | None = None
    # Only the English entries competed, of a FAQ with others (see `Matcher._plan`).
    narrowed: bool = False


class Matcher:
    """Matches questions to FAQ entries; immutable, so a new FAQ means a new Matcher."""

    __slots__ = (
        "_indexes",
        "_settings",
        "_vocabularies",
        "_word_languages",
        "_words_alone",
        "entries",
        "phrasing_count",
    )

    def __init__(
        self,
        entries: tuple[FaqEntry, ...],
        indexes: dict[str, _LanguageIndex],
        settings: BotSettings,
    ) -> None:
        self.entries = entries
        self._indexes = indexes
        self._settings = settings
        # The cut-offs for a question matched by words alone (its scores run higher).
        self._words_alone = settings.words_alone() if settings.semantic else settings
        self.phrasing_count = sum(index.phrasing_count for index in indexes.values())
        self._vocabularies = {name: index.detection_vocabulary for name, index in indexes.items()}
        # Which languages a question word is evidence of, per distinct word: the same
        # words come back in question after question (and in every learned reply's).
        self._word_languages: dict[str, tuple[str, ...]] = {}

    @classmethod
    def build(cls, entries: Iterable[FaqEntry], settings: BotSettings) -> Matcher:
        """Index `entries` (FAQ entries and learned answers alike) for matching."""
        entries = tuple(entries)
        by_language: dict[str, list[FaqEntry]] = {}
        for entry in entries:
            by_language.setdefault(entry.language, []).append(entry)
        if settings.semantic and (
            sum(len(entry.questions) for entry in entries) > settings.semantic_max_phrasings
        ):
            # Too many phrasings to encode at every start: words alone, with their cut-offs.
            settings = settings.words_alone()
        encoder = shared_encoder() if settings.semantic else None
        indexes = {
            language: _LanguageIndex(language, group, encoder, frozenset(settings.concepts_off))
            for language, group in by_language.items()
        }
        return cls(entries, indexes, settings)

    def extended(self, extra: Iterable[FaqEntry]) -> Matcher:
        """A new Matcher over these entries plus `extra` (such as approved learned answers)."""
        return Matcher.build((*self.entries, *extra), self._settings)

    @property
    def languages(self) -> frozenset[str]:
        """The languages the entries are in."""
        return frozenset(self._indexes)

    @property
    def settings(self) -> BotSettings:
        return self._settings

    def common_words(self) -> dict[str, list[str]]:
        """Per language, the shop's own common words its phrasings and tags use ("foto" in
        a photo shop), those of 30% of its entries or more: they frame a question as "how"
        does, and sharing only them with a question answers nothing. Each as the phrasings
        write it most often (lower case)."""
        found: dict[str, list[str]] = {}
        for name, index in sorted(self._indexes.items()):
            common = index._common_terms - index._frame_terms
            if index.learned_only or not common:
                continue
            written: Counter[tuple[str, str]] = Counter()
            for entry in index.entries:
                for text in (*entry.questions, *entry.tags):
                    for word in _LETTERS.findall(text.lower()):
                        folded = words(word)
                        if len(folded) != 1:
                            continue
                        # A compound counts for its parts, as it is indexed: "workshop"
                        # makes "work" common, and is how the phrasings write it.
                        for key in index._split(stem(folded[0], name), index._known):
                            if key in common:
                                written[(key, word)] += 1
            shown = {key: word for (key, word), _ in reversed(written.most_common())}
            if shown:
                found[name] = sorted(shown.values())
        return found

    def match(
        self,
        text: str,
        language: str | None = None,
        budget: CpuBudget | None = None,
        *,
        encoded: Encoded | None = None,
    ) -> MatchResult:
        """Decide how to answer `text`; `language` is the shopper's locale, if known.

        With a `budget`, meaning counts only while the encoder has CPU time left in it.
        `encoded` is the question's vector from `encode_question`, when it was encoded
        beforehand (elsewhere than the caller's thread).
        """
        text = text[: self._settings.max_question_chars]
        reading = _Reading(words(text))
        result, ranking = self._match(text, language, budget, encoded, reading, narrow=True)
        if result.outcome == "unknown" and ranking.narrowed:
            # Read in English first (see `_plan`), and not found there: the FAQ's other
            # languages, as for any question (an entry the English files lack).
            result, _ = self._match(text, language, budget, ranking.encoded, reading, narrow=False)
        return result

    def _match(
        self,
        text: str,
        language: str | None,
        budget: CpuBudget | None,
        encoded: Encoded | None,
        reading: _Reading,
        *,
        narrow: bool,
    ) -> tuple[MatchResult, _Ranking]:
        """`match` with the languages `_plan` gives (`narrow`: see there), and the
        ranking of the text as a whole (`reading`: see `_rank`)."""
        ranking = self._rank(text, language, budget, encoded, narrow=narrow, reading=reading)
        result = self._decide(ranking, language)
        if result.outcome == "unknown" and _several_sentences(text, reading.folded):
            # Not known as a whole: a detail after the question ("bezorgen jullie ook
            # tegels? het zijn er 40 m2") may dilute it. Its sentences are scored on their
            # own too; only then, for a sentence alone loses what the others say ("the sole
            # came off after two months. can I get them fixed?" is about the warranty).
            sentences = self._rank(
                text,
                language,
                budget,
                ranking.encoded,
                by_sentence=True,
                narrow=narrow,
                reading=reading,
            )
            return self._decide(sentences, language), ranking
        return result, ranking

    def _decide(self, ranking: _Ranking, language: str | None) -> MatchResult:
        """Answer, "did you mean" or "don't know", from the ranked entries (`language`:
        the shopper's locale)."""
        settings = self._settings if ranking.meaning else self._words_alone
        scored, reported = ranking.scored, ranking.language
        if not scored:
            return MatchResult(
                "unknown",
                None,
                0.0,
                (),
                reported or language_of_locale(language) or settings.default_language,
            )
        top_score, top_entry = scored[0]
        reported = reported or top_entry.language
        runner_up = scored[1][0] if len(scored) > 1 else 0.0
        # Words and meaning both put this entry first: a smaller lead is enough.
        margin = settings.agreed_margin if ranking.agreed else settings.answer_margin
        if top_score >= settings.answer_score and top_score - runner_up >= margin and ranking.firm:
            return MatchResult("answer", top_entry, top_score, (), reported)
        if top_score >= settings.suggest_score:
            choices = tuple(
                entry
                for value, entry in scored[: settings.max_suggestions]
                if value >= settings.suggest_score
            )
            return MatchResult("suggest", top_entry, top_score, choices, reported)
        return MatchResult("unknown", top_entry, top_score, (), reported)

    def shared_words(
        self, text: str, entry: FaqEntry, language: str | None = None
    ) -> list[SharedWord]:
        """The words of `text` that `entry` holds, as the matcher sees them (stems and
        concepts): why it scores what it does, for `loket faq ask`. Those of the whole
        text, also when a long one was answered by one of its sentences."""
        text = text[: self._settings.max_question_chars]
        folded = words(text)
        chosen, _, spoken, _ = self._plan(folded, language)
        for name in chosen:
            index = self._indexes[name]
            for number, held in enumerate(index.entries):
                if held is entry:
                    terms = index.question_terms(folded, spoken)
                    unique = dict.fromkeys(terms)
                    return index.shared(number, ((t, index.expand(t)) for t in unique))
        return []

    def ranked(
        self, text: str, language: str | None = None
    ) -> tuple[list[tuple[float, FaqEntry]], str | None]:
        """The best-scoring entries for `text`, best first, and the language if it was told."""
        ranking = self._rank(text, language)
        return ranking.scored, ranking.language

    def encode_question(self, text: str, budget: CpuBudget | None = None) -> Encoded:
        """The question's vector for `match`, or None for words alone (no meaning in this
        FAQ, or the encoder's budget spent)."""
        if not any(index.centroids is not None for index in self._indexes.values()):
            return Encoded(None)
        text = text[: self._settings.max_question_chars]
        return Encoded(shared_encoder().encode_question(text, budget))

    def _rank(
        self,
        text: str,
        language: str | None,
        budget: CpuBudget | None = None,
        encoded: Encoded | None = None,
        *,
        by_sentence: bool = False,
        narrow: bool = True,
        reading: _Reading | None = None,
    ) -> _Ranking:
        """Score entries by words and by meaning.

        Only the entries of the shopper's language compete. When the language cannot be
        told ("contact", "klarna"), every language's entries compete, so a close match
        in each language makes the bot ask rather than guess.

        `reading` keeps what one `match` read of the text for its next ranking of it (by
        sentence, or in other languages): the text is read and each piece scored once.
        """
        settings = self._settings
        text = text[: settings.max_question_chars]
        if reading is None:
            reading = _Reading(words(text))
        folded = reading.folded
        plan = reading.plans.get(narrow)
        if plan is None:
            plan = reading.plans[narrow] = self._plan(folded, language, narrow)
        chosen, reported, spoken, narrowed = plan
        units = _units(text, folded, by_sentence)
        keep = max(_KEEP, settings.max_suggestions + 1)
        question: Vectors | None = None
        if any(self._indexes[name].centroids is not None for name in chosen):
            if encoded is None:
                encoded = Encoded(shared_encoder().encode_question(text, budget))
            question = encoded.vector
        weight = settings.semantic_weight if question is not None else 0.0
        combined: list[tuple[float, FaqEntry]] = []
        # Where each entry is held, and the question's words there, for the best one.
        held: dict[
            int, tuple[_LanguageIndex, int, Iterable[tuple[str, _Term]], Collection[str]]
        ] = {}
        # How close in meaning each entry is to the question (0 by words alone).
        closeness: dict[int, float] = {}
        # The two best scores by words alone and by meaning alone, with the best entry.
        by_words = _Leader()
        by_meaning = _Leader()
        for name in chosen:
            index = self._indexes[name]
            best: dict[int, float] = {}
            expanded: dict[str, _Term] = {}
            modifiers: set[str] = set()
            read_pieces = []
            for unit in units:
                key = (name, spoken, tuple(unit))
                known = reading.pieces.get(key)
                if known is None:
                    terms = []
                    read = index.question_terms(unit, spoken)
                    for term in read:
                        if term not in expanded:
                            expanded[term] = index.expand(term)
                        terms.append((term, expanded[term]))
                    known = reading.pieces[key] = (
                        terms,
                        index.score([given for _, given in terms], keep),
                        read.modifiers,
                    )
                else:
                    expanded.update(known[0])
                modifiers.update(known[2])
                read_pieces.append(known)
                for number, value in known[1].items():
                    if value > best.get(number, 0.0):
                        best[number] = value
            if modifiers:
                # Not a term some piece has alone, whatever another piece (another sentence
                # of a long message) holds.
                modifiers -= {
                    term
                    for terms, _, first in read_pieces
                    for term, _ in terms
                    if term not in first
                }
            meaning = index.meaning(question, best) if question is not None else {}
            question_words = expanded.items()
            for number in best.keys() | meaning.keys():
                lexical = best.get(number, 0.0)
                found = index.entries[number]
                held[id(found)] = (index, number, question_words, modifiers)
                if question is None:
                    # By words alone: the words' score is all there is.
                    combined.append((lexical, found))
                    by_words.offer(lexical, found)
                    continue
                close = meaning.get(number, 0.0)
                closeness[id(found)] = close
                combined.append(((1 - weight) * lexical + weight * close, found))
                by_words.offer(lexical, found)
                by_meaning.offer(close, found)
        combined.sort(key=lambda item: item[0], reverse=True)
        top = combined[0][1] if combined else None
        # Agreement is evidence only when the signals had something to differ on: for a
        # one-word question both merely restate that word.
        agreed = (
            len(folded) > 1
            and by_words.leads_with(top)
            and (weight == 0 or by_meaning.leads_with(top))
        )
        firm = True
        if top is not None:
            holder, position, question_terms, first_parts = held[id(top)]
            firmness = holder.firmly_holds(position, question_terms, first_parts)
            firm = firmness == "firm" or (
                firmness != "no"
                and closeness.get(id(top), 0.0)
                >= (_FRAMED_MEANING if firmness == "framed" else _COMMON_MEANING)
            )
        return _Ranking(combined, reported, agreed, question is not None, firm, encoded, narrowed)

    def language_of(
        self, text: str, locale: str | None = None, folded: Sequence[str] | None = None
    ) -> str:
        """The language `text` is in, told from its words (no matching): the browser's
        `locale` unless the words clearly are in another of the FAQ's languages. `folded`:
        `text`'s words, when the caller has them already."""
        limit = self._settings.max_question_chars
        if folded is None or len(text) > limit:
            folded = words(text[:limit])
        chosen = self._choose_languages(folded, locale)
        if len(chosen) == 1:
            return chosen[0]
        return language_of_locale(locale) or self._settings.default_language

    def _plan(
        self, folded: Sequence[str], language: str | None, narrow: bool = True
    ) -> tuple[list[str], str | None, str | None, bool]:
        """Which languages' entries compete for a question (its words `folded`, the page's
        `language`), the language to report (None when several compete as equals), the
        language to read it in when that is one the FAQ has no file in (see
        `_other_language`), and whether only the English entries compete where others
        would (`narrow`, below).

        A language of learned answers alone (an agent answered an English shopper on a
        German shop) is no FAQ language: its answers compete beside the FAQ's entries,
        which read the question as they would without those answers.

        A question in a language the FAQ has no entries in is read in English first when
        the FAQ has English and another language (with `narrow`): which of the FAQ's
        languages its words resemble says nothing ("Wie lange dauert die Lieferung?"
        shares words with Dutch), and a shopper of another language reads English sooner
        than the shop's other languages. `match` tries the others when English has no
        answer (an entry only the Dutch files have)."""
        chosen = self._choose_languages(folded, language)
        learned = [name for name in chosen if self._indexes[name].learned_only]
        faq = [name for name, index in self._indexes.items() if not index.learned_only]
        english = narrow and len(faq) > 1 and _LINGUA_FRANCA in faq
        if learned and faq:
            # The FAQ's languages among those chosen, or all of them when only learned
            # answers were (an English page of a German and Dutch shop).
            told = [name for name in chosen if name not in learned]
            own = told or faq
            spoken = self._other_language(folded, own, language)
            # In a language the FAQ has no entries in: told by its words, or chosen as
            # the page's or the words' language, of learned answers alone.
            foreign = spoken is not None or not told
            narrowed = english and foreign and own != [_LINGUA_FRANCA]
            if narrowed:
                own = [_LINGUA_FRANCA]
            if len(chosen) == 1:
                reported: str | None = chosen[0]
            else:
                reported = spoken or (own[0] if len(own) == 1 else None)
            return [*learned, *own], reported, spoken, narrowed
        reported = chosen[0] if len(chosen) == 1 else None
        spoken = self._other_language(folded, chosen, language)
        if len(chosen) > 1 and spoken != language_of_locale(language):
            # Its words fit several of the FAQ's languages as well: only the page's own
            # language, told by the words too, says it is another ("Wo ist mein Paket?"
            # on a German page), not the words alone ("ist das teak" on a French one).
            spoken = None
        if spoken is not None and spoken in self._indexes:
            # Told by its words, a language of learned answers alone: its answers and every
            # FAQ language's entries compete, as when the page is in that language.
            if english:
                return [spoken, _LINGUA_FRANCA], spoken, spoken, True
            return [spoken, *faq], spoken, spoken, False
        if english and spoken is not None and chosen != [_LINGUA_FRANCA]:
            return [_LINGUA_FRANCA], _LINGUA_FRANCA, spoken, True
        return chosen, reported, spoken, False

    def _other_language(
        self, folded: Sequence[str], chosen: Sequence[str], locale: str | None = None
    ) -> str | None:
        """The language the question is written in when it is clearly one the FAQ has no
        entries in (an English question on a German-only shop's page), told by its common
        and question words that the `chosen` languages do not share; else None. A language
        of learned answers alone counts as one the FAQ has no entries in. Two such words
        tell it, or one when the page (`locale`) is in that language too ("my package
        arrived damaged" on an English page)."""
        mine = frozenset().union(*(_COMMON_WORDS.get(name, frozenset()) for name in chosen))
        counts = {
            name: sum(1 for word in folded if word in common and word not in mine)
            for name, common in _COMMON_WORDS.items()
            if name not in self._indexes or self._indexes[name].learned_only
        }
        other = max(counts, key=counts.__getitem__, default=None)
        page = language_of_locale(locale) if locale else None
        if other is None or counts[other] < (1 if other == page else 2):
            return None
        # A title or brand in another language ("Taste of the Wild") leaves the question
        # in the page's language: the other language's words must outnumber its own twice
        # (its own that the other does not share: "in", "was", "will" say nothing).
        theirs = _COMMON_WORDS[other]
        told = sum(1 for word in folded if word in mine and word not in theirs)
        return other if counts[other] > 2 * told else None

    def _languages_of(self, word: str) -> tuple[str, ...]:
        known = self._word_languages.get(word)
        if known is None:
            known = word_languages(word, self._vocabularies)
            _remember(self._word_languages, word, known)
        return known

    def _choose_languages(self, folded: Sequence[str], locale: str | None) -> list[str]:
        """The languages to search: the browser's, unless the text clearly is in another:
        by _DETECTION_OVERRULES_LOCALE words more, or by any when none of its words is the
        browser's language alone (a keyword: "refund" on a Dutch page)."""
        if not self._indexes:
            return []
        hinted = language_of_locale(locale)
        detected, evidence = detect_language(folded, self._vocabularies, self._languages_of)
        if hinted in self._indexes:
            if (
                detected is not None
                and detected != hinted
                and (
                    evidence[detected] - evidence[hinted] >= _DETECTION_OVERRULES_LOCALE
                    or not evidence[hinted]
                )
            ):
                return [detected]
            return [hinted]
        if detected is not None:
            return [detected]
        default = self._settings.default_language
        return sorted(self._indexes, key=lambda name: (name != default, name))


def _typos_allowed(length: int) -> int:
    """How many letters a word this long may be off and still be taken for a typo."""
    return 2 if length >= _LONG_WORD_FOR_TWO_TYPOS else 1


def _another_word(written: str, word: str) -> bool:
    """Whether `written`, where a compound has `word` (a short word of the FAQ), is another
    word rather than a typo of it: two letters or more apart ("helm" and "bel"), or one
    letter more or other at the start ("klamp" and "lamp"). A Dutch "y" for "ij" is the
    same word ("tyd", "tijd"); one letter off further on is a typo ("bno", "dga")."""
    if written.replace("y", "ij") == word:
        return False
    distance = OSA.distance(written, word)
    return distance >= 2 or (
        distance == 1 and written[:1] != word[:1] and len(written) >= len(word)
    )


def _several_sentences(text: str, folded: Sequence[str]) -> bool:
    """Whether a short message (`text`, its words `folded`) has more than one sentence (a
    long one is split anyway)."""
    return len(folded) <= _UNIT_WORDS and sum(1 for s in sentences(text) if words(s)) > 1


def _units(text: str, folded: list[str], by_sentence: bool = False) -> list[list[str]]:
    """The pieces of a question scored on their own: all of it, or its sentences and windows
    (a short message: all of it, and with `by_sentence` each of its sentences too)."""
    if len(folded) <= _UNIT_WORDS:
        if by_sentence:
            return [folded, *(piece for piece in map(words, sentences(text)) if piece)]
        return [folded]
    pieces: list[list[str]] = []
    for sentence in sentences(text):
        sentence_words = words(sentence)
        if len(sentence_words) <= _UNIT_WORDS:
            pieces.append(sentence_words)
            continue
        step = _UNIT_WORDS // 2
        for start in range(0, len(sentence_words) - step, step):
            pieces.append(sentence_words[start : start + _UNIT_WORDS])
    units = list(pieces)
    # Neighbouring sentences together, for a question spread over two of them.
    for first, second in itertools.pairwise(pieces):
        if len(first) + len(second) <= _UNIT_WORDS:
            units.append(first + second)
    return [unit for unit in units if unit][:_MAX_UNITS]


async def match_async(
    matcher: Matcher, text: str, language: str | None = None, budget: CpuBudget | None = None
) -> MatchResult:
    """`matcher.match`, without stalling the event loop.

    A very large FAQ is matched in a worker thread. Otherwise the question is encoded in a
    worker thread (in the server, that thread only waits for the encoder process) and
    matched here: Python in a worker thread holds the interpreter lock the event loop
    needs. While the encoder's `budget` is spent, or MAX_ENCODING questions wait for it
    already, the question is matched by words alone, with no thread at all.
    """
    settings = matcher.settings
    if matcher.phrasing_count >= settings.thread_threshold:
        with _loop_first():
            return await asyncio.to_thread(matcher.match, text, language, budget)
    if not settings.semantic:
        return matcher.match(text, language, budget)
    global _encoding
    if budget is not None and not budget.available():
        return matcher.match(text, language, _SPENT)
    if _encoding >= MAX_ENCODING:
        if budget is not None:
            budget.refuse()
        return matcher.match(text, language, _SPENT)
    # Only the encoding in a thread (which mostly waits for the encoder process), the
    # rest here: Python in a worker thread would hold the interpreter lock the event
    # loop needs.
    _encoding += 1
    try:
        encoded = await asyncio.to_thread(matcher.encode_question, text, budget)
    finally:
        _encoding -= 1
    return matcher.match(text, language, budget, encoded=encoded)


# At most this many questions wait for the encoder at once (on the event loop's thread);
# one asked while as many wait is matched by words alone. Each waits in a worker thread,
# and every worker thread woken when a batch is done wants the interpreter lock the event
# loop needs: with no limit, a burst of questions made acknowledgements late (an ack p99
# of 99-616 ms in five holds of 1,000 bot-answered messages a second, against 24-75 ms
# with this limit; docs/performance.md, item 46).
MAX_ENCODING = 2
_encoding = 0


_SPENT = CpuBudget.spent()

# While a worker thread matches, the event loop waits at most this long (seconds) for the
# interpreter lock, instead of Python's 5 ms.
MATCH_SWITCH_INTERVAL = 0.001
_threads_matching = 0
_switch_interval_before = 0.0


@contextlib.contextmanager
def _loop_first() -> Iterator[None]:
    """A shorter switch interval while any worker thread matches (on the loop's thread).

    The matching thread's Python holds the interpreter lock; a thread that wants it back
    (the event loop, when a socket is ready or a timer is due) waits until the holder has
    run for the switch interval. With Python's 5 ms that wait is the loop's lag. A 1 ms
    interval costs the matching thread a few more hand-overs, and only while it runs."""
    global _threads_matching, _switch_interval_before
    if _threads_matching == 0:
        _switch_interval_before = sys.getswitchinterval()
        sys.setswitchinterval(min(MATCH_SWITCH_INTERVAL, _switch_interval_before))
    _threads_matching += 1
    try:
        yield
    finally:
        _threads_matching -= 1
        if _threads_matching == 0:
            sys.setswitchinterval(_switch_interval_before)


@dataclass(frozen=True, slots=True)
class Encoded:
    """A question's vector, encoded before matching; None: match by words alone."""

    vector: Vectors | None
