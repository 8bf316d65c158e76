"""Naming what a mistyped key most likely meant, for config and FAQ file errors."""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence


def closest(written: str, known: Iterable[str], cutoff: float = 0.7) -> list[str]:
    """The known words nearest to `written`, only those as near as the nearest: 'port'
    for 'prot', not 'port' and 'host'; 'text_en' and 'text_de' for 'text_es'."""
    near = difflib.get_close_matches(written, list(known), n=3, cutoff=cutoff)
    if not near:
        return []
    best = difflib.SequenceMatcher(None, written, near[0]).ratio()
    return [word for word in near if difflib.SequenceMatcher(None, written, word).ratio() == best]


def did_you_mean(choices: Sequence[str]) -> str:
    """ " (did you mean 'a'?)", " (did you mean 'a', 'b' or 'c'?)"; "" for none."""
    if not choices:
        return ""
    named = [repr(choice) for choice in choices]
    said = named[0] if len(named) == 1 else f"{', '.join(named[:-1])} or {named[-1]}"
    return f" (did you mean {said}?)"
