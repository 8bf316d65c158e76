"""Learned answers beside the FAQ files: one entry per answer, with every question it answered."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace

from loket.bot.faq import FaqEntry
from loket.plaintext import phrasing_key


def with_learned(faq: Sequence[FaqEntry], learned: Sequence[FaqEntry]) -> list[FaqEntry]:
    """The entries the bot answers from: `faq`, then `learned`, one entry per answer.

    A learned pair whose answer an entry of its language already gives (the same text, case,
    spacing and end punctuation aside) adds its question to that entry as one more phrasing:
    an agent who answered with a FAQ entry's answer taught the bot another way to ask it.
    A pair that gave an entry's answer when it was learned (`follows`) stays with that
    entry when the shop changes the answer in its file, and is answered as the file says
    now; when that entry is gone and no entry gives its answer, so is the pair (its answer
    was the shop's, and the shop withdrew it).
    Learned pairs that give the same answer become one entry (the first pair's id) with all
    their questions, so the bot never offers two choices that lead to the same answer. FAQ
    entries are never merged with each other: that is the shop admin's choice.
    """
    result = list(faq)
    by_answer: dict[tuple[str, str], int] = {}
    by_id: dict[tuple[str, str], int] = {}
    for number, entry in enumerate(result):
        by_answer.setdefault(_answer_key(entry), number)
        by_id.setdefault((entry.language, entry.id), number)
    for entry in learned:
        found = by_id.get((entry.language, entry.follows)) if entry.follows else None
        if found is None:
            found = by_answer.get(_answer_key(entry))
        if found is None and entry.follows:
            continue
        if found is None:
            by_answer[_answer_key(entry)] = len(result)
            result.append(entry)
            continue
        into = result[found]
        known = {phrasing_key(text) for text in into.questions}
        extra: list[str] = []
        for text in entry.questions:
            if phrasing_key(text) not in known:
                known.add(phrasing_key(text))
                extra.append(text)
        if extra:
            lines = into.question_lines + (0,) * len(extra) if into.question_lines else ()
            result[found] = replace(into, questions=(*into.questions, *extra), question_lines=lines)
    return result


def withdrawn(faq: Sequence[FaqEntry], learned: Sequence[FaqEntry]) -> list[FaqEntry]:
    """The learned pairs `with_learned` leaves out: they gave the answer of a FAQ entry that
    is gone, and no entry gives their answer."""
    ids = {(entry.language, entry.id) for entry in faq}
    answers = {_answer_key(entry) for entry in faq}
    return [
        entry
        for entry in learned
        if entry.follows
        and (entry.language, entry.follows) not in ids
        and _answer_key(entry) not in answers
    ]


def _answer_key(entry: FaqEntry) -> tuple[str, str]:
    return entry.language, phrasing_key(entry.answer)


def answered_in_other_language(
    entry: FaqEntry, language_of: Callable[[str, str], str]
) -> str | None:
    """The language of a learned pair's answer when it is clearly another of the FAQ's
    languages than its question's (an English question answered in Dutch), else None.
    Such a pair answers nobody: a shopper asking in the question's language could not
    read the answer, and its question's words would count as evidence of the answer's
    language if it stood among that language's entries. `language_of(text, hint)` is
    `Matcher.language_of`: the hint unless the words clearly are in another language."""
    language = language_of(entry.answer, entry.language)
    return language if language != entry.language else None


def served(learned: Sequence[FaqEntry], language_of: Callable[[str, str], str]) -> list[FaqEntry]:
    """The learned pairs the bot answers from: all but those answered in another language."""
    return [entry for entry in learned if answered_in_other_language(entry, language_of) is None]
