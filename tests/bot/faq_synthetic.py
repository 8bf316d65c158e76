"""Generated FAQs and questions of any size, for timing the matcher."""

from __future__ import annotations

import itertools
import random

from loket.bot.faq import FaqEntry

_SYLLABLE_TEXT = """
be ver ont ge re tour lever zend bestel pak ket kos ten bon ca deau la bel mel
ding ga ran tie ac count beta ling fac tuur voor raad win kel klant ser vice
ruil hand lei ding op ti e snel lang kort prijs kleur maat doos post punt
"""
_SYLLABLES = _SYLLABLE_TEXT.split()
_COMMON = ["hoe", "wanneer", "waar", "wat", "waarom", "kan", "mijn", "bestelling", "pakket"]


def vocabulary(size: int, seed: int = 7) -> list[str]:
    """`size` distinct made-up words of two to four syllables."""
    rng = random.Random(seed)
    words: set[str] = set()
    while len(words) < size:
        words.add("".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(2, 4))))
    return sorted(words)


def faq(phrasings: int, per_entry: int = 5, seed: int = 7) -> list[FaqEntry]:
    """A Dutch FAQ with about `phrasings` phrasings; word use follows a Zipf-like law."""
    rng = random.Random(seed)
    words = vocabulary(max(200, phrasings // 4), seed)
    # Cumulative weights, computed once: random.choices would redo it on every call.
    cumulative = list(itertools.accumulate(1 / (rank + 1) for rank in range(len(words))))
    entries = []
    for number in range(max(1, phrasings // per_entry)):
        topic = rng.choices(words, cum_weights=cumulative, k=2)
        questions = tuple(
            " ".join(
                [
                    rng.choice(_COMMON),
                    *topic,
                    *rng.choices(words, cum_weights=cumulative, k=rng.randint(1, 4)),
                ]
            )
            for _ in range(per_entry)
        )
        entries.append(
            FaqEntry(f"e{number}", "nl", questions, f"Antwoord {number}.", topic="generated")
        )
    return entries


def questions(entries: list[FaqEntry], count: int, seed: int = 11) -> list[str]:
    """Questions as shoppers type them: shuffled, cut short, with a typo or filler words."""
    rng = random.Random(seed)
    result = []
    for _ in range(count):
        words = rng.choice(rng.choice(entries).questions).split()
        rng.shuffle(words)
        words = words[: rng.randint(1, len(words))]
        if rng.random() < 0.5:
            index = rng.randrange(len(words))
            word = words[index]
            if len(word) > 4:
                cut = rng.randrange(1, len(word) - 1)
                words[index] = word[:cut] + word[cut + 1 :]
        if rng.random() < 0.3:
            words += ["graag", "even", "snel", "alsjeblieft"][: rng.randint(1, 4)]
        result.append(" ".join(words))
    return result
