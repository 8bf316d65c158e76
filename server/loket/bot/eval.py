"""Measured quality of the matcher: labelled shopper questions scored against a FAQ.

Each case is a question and the id of the entry that answers it, or no id when no entry
fits. Every case gets one verdict:

- correct: the bot answered with the expected entry, or, when no entry fits, it did not
  answer ("I don't know" was the right reply);
- wrong: the bot answered with another entry, or answered at all when no entry fits;
- did_you_mean: the bot offered choices (a hit when the expected entry was among them);
- dont_know: the bot said "I don't know" although an entry fits.
"""

from __future__ import annotations

import csv
import io
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from loket.bot.matcher import Matcher, MatchResult
from loket.bot.normalize import language_of_locale

Verdict = Literal["correct", "wrong", "did_you_mean", "dont_know"]


class CasesError(Exception):
    """The cases file cannot be used; `str(exc)` names the file and line."""


@dataclass(frozen=True, slots=True)
class EvalCase:
    """A shopper question and the id of the entry that answers it ("" when none does; ids
    separated by "|" when each would do, as for a message asking two things);
    `language`: the page's language the widget would tell Loket, when the file gives one."""

    question: str
    expected_id: str
    line: int = 0
    language: str | None = None

    @property
    def expected_ids(self) -> tuple[str, ...]:
        """Every id that would be a right answer (none when no entry fits)."""
        return tuple(part for part in (p.strip() for p in self.expected_id.split("|")) if part)


@dataclass(frozen=True, slots=True)
class CaseOutcome:
    case: EvalCase
    result: MatchResult
    verdict: Verdict
    # The expected entry was among the "did you mean" choices.
    hit: bool
    seconds: float


@dataclass(frozen=True, slots=True)
class EvalReport:
    """Shares of verdicts (0 to 1) and match times over all cases."""

    cases: int
    correct: float
    wrong: float
    did_you_mean: float
    did_you_mean_hit: float
    dont_know: float
    p50_ms: float
    p99_ms: float
    outcomes: tuple[CaseOutcome, ...]

    def as_dict(self) -> dict[str, float | int]:
        """The figures as one JSON-ready object (without the per-case outcomes)."""
        return {
            "cases": self.cases,
            "correct": round(self.correct, 4),
            "wrong": round(self.wrong, 4),
            "did_you_mean": round(self.did_you_mean, 4),
            "did_you_mean_hit": round(self.did_you_mean_hit, 4),
            "dont_know": round(self.dont_know, 4),
            "p50_ms": round(self.p50_ms, 3),
            "p99_ms": round(self.p99_ms, 3),
        }


_HEADER = ["question", "expected_id"]
# What may separate the columns, tried in this order on the header.
_SEPARATORS = (",", ";", "\t")


def read_cases(path: Path) -> list[EvalCase]:
    """Read a `question,expected_id` CSV file with a header row. A further column named
    `language` gives a case's page language ("nl", "en-GB"; empty: none); other further
    columns, such as notes, are allowed when the header names them, and ignored. Columns
    may be separated by commas, by semicolons (as spreadsheets in Dutch or German save
    CSV) or by tabs: the header tells which."""
    try:
        # utf-8-sig: spreadsheet programs start a UTF-8 CSV with a byte-order mark.
        with path.open(encoding="utf-8-sig", newline="") as handle:
            text = handle.read()
        first = text.partition("\n")[0]
        separator = next(
            (
                candidate
                for candidate in _SEPARATORS
                if [name.strip() for name in first.split(candidate)[:2]] == _HEADER
            ),
            ",",
        )
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=separator)
        header = next(reader, None)
        if header is None or [name.strip() for name in header[:2]] != _HEADER:
            raise CasesError(
                f"{path}:1: the header must be 'question,expected_id' (or with ';' or a tab"
                " between the two)"
            )
        columns = max(2, len(header))
        names = [name.strip().casefold() for name in header]
        at = names.index("language") if "language" in names[2:] else None
        cases = []
        for row in reader:
            line = reader.line_num
            if not row or not "".join(row).strip():
                continue
            if len(row) > columns:
                raise CasesError(
                    f"{path}:{line}: more columns than the header names; quote the question"
                )
            question = row[0].strip()
            expected = row[1].strip() if len(row) > 1 else ""
            if not question:
                raise CasesError(f"{path}:{line}: the question is empty")
            given = row[at].strip() if at is not None and at < len(row) else ""
            if given and language_of_locale(given) is None:
                raise CasesError(
                    f"{path}:{line}: {given!r} is no language (write nl, en, de or en-GB)"
                )
            cases.append(EvalCase(question, expected, line, given or None))
        if not cases:
            raise CasesError(f"{path}: no cases: write one question per line under the header")
    except OSError as exc:
        raise CasesError(f"{path}: cannot read: {exc}") from exc
    except UnicodeDecodeError as exc:
        raise CasesError(f"{path}: not UTF-8 text (save it as CSV UTF-8): {exc.reason}") from exc
    except csv.Error as exc:
        raise CasesError(f"{path}: {exc}") from exc
    return cases


def unknown_ids(cases: Sequence[EvalCase], matcher: Matcher) -> list[EvalCase]:
    """The cases whose expected id is no entry of the FAQ (a typo in the cases file)."""
    known = {entry.id for entry in matcher.entries}
    return [case for case in cases if any(id_ not in known for id_ in case.expected_ids)]


def judge(case: EvalCase, result: MatchResult) -> tuple[Verdict, bool]:
    """The verdict on one result, and whether its choices held the expected entry."""
    expected = case.expected_ids
    chosen = result.entry.id if result.entry is not None else None
    hit = any(e.id in expected for e in result.suggestions)
    if result.outcome == "answer":
        return ("correct" if chosen in expected else "wrong"), False
    if result.outcome == "suggest":
        return "did_you_mean", hit
    # No entry fits and the bot did not answer: that was the right call.
    return ("dont_know" if expected else "correct"), False


def evaluate(
    matcher: Matcher,
    cases: Sequence[EvalCase],
    *,
    language: str | None = None,
    clock: Callable[[], float] = time.perf_counter,
) -> EvalReport:
    """Match every case and sum up the verdicts.

    Each case is matched as a widget on a page in the case's own language would have it
    matched, else in `language`; with neither, the matcher tells the language from the
    question's words alone (the harder case: "contact" could be any language).
    """
    outcomes = []
    for case in cases:
        started = clock()
        result = matcher.match(case.question, case.language or language)
        seconds = clock() - started
        verdict, hit = judge(case, result)
        outcomes.append(CaseOutcome(case, result, verdict, hit, seconds))
    count = len(outcomes)

    def share(predicate: Callable[[CaseOutcome], bool]) -> float:
        return sum(1 for outcome in outcomes if predicate(outcome)) / count if count else 0.0

    timings = sorted(outcome.seconds * 1000 for outcome in outcomes)
    return EvalReport(
        cases=count,
        correct=share(lambda o: o.verdict == "correct"),
        wrong=share(lambda o: o.verdict == "wrong"),
        did_you_mean=share(lambda o: o.verdict == "did_you_mean"),
        did_you_mean_hit=share(lambda o: o.hit),
        dont_know=share(lambda o: o.verdict == "dont_know"),
        p50_ms=percentile(timings, 50),
        p99_ms=percentile(timings, 99),
        outcomes=tuple(outcomes),
    )


def percentile(sorted_values: Sequence[float], percent: float) -> float:
    """The nearest-rank percentile of already sorted values (0 for none)."""
    if not sorted_values:
        return 0.0
    rank = max(1, -(-len(sorted_values) * percent // 100))
    return sorted_values[int(rank) - 1]


def format_report(report: EvalReport, *, details: bool = False) -> str:
    """The report as text for people; with `details`, every case that was not correct."""
    lines = [
        f"cases:         {report.cases}",
        f"correct:       {report.correct:6.1%}",
        f"wrong:         {report.wrong:6.1%}",
        f"did you mean:  {report.did_you_mean:6.1%}"
        f"  (right entry among the choices: {report.did_you_mean_hit:.1%} of all cases)",
        f"don't know:    {report.dont_know:6.1%}",
        f"match time:    p50 {report.p50_ms:.2f} ms, p99 {report.p99_ms:.2f} ms",
    ]
    if details:
        for outcome in report.outcomes:
            if outcome.verdict == "correct":
                continue
            result = outcome.result
            got = result.entry.id if result.entry is not None else "-"
            choices = ",".join(entry.id for entry in result.suggestions)
            lines.append(
                f"line {outcome.case.line}: {outcome.verdict}: {outcome.case.question!r} "
                f"expected {outcome.case.expected_id or '(none)'}, got {result.outcome} "
                f"{got} {result.score:.2f}" + (f" [{choices}]" if choices else "")
            )
    return "\n".join(lines)
