"""The FAQ bot's matcher on growing FAQs: answer latency, and the event loop's lag meanwhile.

The FAQs are made up: Dutch question frames filled with the shipped FAQ's words and
invented product words, five phrasings per entry, so the vocabulary grows with the FAQ as a
real one does. Questions are phrasings with a typo, a dropped word, or a word of small talk.
"""

from __future__ import annotations

import asyncio
import random
import time
from pathlib import Path
from typing import Any

from bench.stats import ms, summarize

ROOT = Path(__file__).resolve().parent.parent
FRAMES = (
    "hoe kan ik mijn {a} {b} retourneren",
    "wanneer wordt de {a} {b} bezorgd",
    "is de {a} {b} nog op voorraad",
    "wat kost verzending van een {a} naar {b}",
    "kan ik de {a} met {b} betalen",
    "waar vind ik de garantie van mijn {a} {b}",
    "mijn {a} is kapot wat nu met {b}",
    "hoe lang duurt levering van {a} {b}",
)
SYLLABLES = ("ka", "lo", "mer", "tin", "vo", "ra", "sel", "pe", "dor", "an", "gu", "wi", "ster")
SMALL_TALK = ("hoi", "goedemiddag", "graag", "alvast bedankt", "snel")


def _words(rng: random.Random) -> list[str]:
    shipped: list[str] = []
    for path in sorted((ROOT / "faq").glob("*.nl.yaml")):
        shipped.extend(w.strip(".,?!'\"():") for w in path.read_text(encoding="utf-8").split())
    real = sorted({w.lower() for w in shipped if w.isalpha() and len(w) > 3})
    made = {"".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4))) for _ in range(20_000)}
    return real + sorted(made)


def make_entries(phrasings: int, seed: int = 7) -> list[Any]:
    """FAQ entries with `phrasings` phrasings in all (five per entry)."""
    from loket.bot.faq import FaqEntry

    rng = random.Random(seed)
    words = _words(rng)
    entries = []
    for number in range((phrasings + 4) // 5):
        a, b = rng.choice(words), rng.choice(words)
        frames = rng.sample(FRAMES, 5)
        questions = tuple(frame.format(a=a, b=b) for frame in frames)
        entries.append(
            FaqEntry(
                id=f"e{number}",
                language="nl",
                questions=questions,
                answer=f"Over de {a} {b}: kijk bij uw bestelling, wij helpen u graag verder.",
                topic="bench",
            )
        )
    return entries


def make_questions(entries: list[Any], count: int, seed: int = 11) -> list[str]:
    rng = random.Random(seed)
    questions = []
    for _ in range(count):
        words = rng.choice(rng.choice(entries).questions).split()
        change = rng.randrange(3)
        if change == 0 and len(words) > 3:
            del words[rng.randrange(len(words))]
        elif change == 1:
            i = rng.randrange(len(words))
            if len(words[i]) > 4:
                j = rng.randrange(1, len(words[i]) - 1)
                words[i] = words[i][:j] + words[i][j + 1] + words[i][j] + words[i][j + 2 :]
        else:
            words.insert(0, rng.choice(SMALL_TALK))
        questions.append(" ".join(words) + "?")
    return questions


async def _measure(matcher: Any, match_async: Any, questions: list[str], seconds: float) -> Any:
    """Answer questions one after another while a probe measures the loop's lag."""
    lags: list[float] = []
    latencies: list[float] = []
    stop = asyncio.Event()

    async def probe() -> None:
        interval = 0.002
        while not stop.is_set():
            before = time.perf_counter()
            await asyncio.sleep(interval)
            lags.append(time.perf_counter() - before - interval)

    task = asyncio.create_task(probe())
    deadline = time.perf_counter() + seconds
    for question in questions:
        started = time.perf_counter()
        await match_async(matcher, question, "nl")
        latencies.append(time.perf_counter() - started)
        # A shop's questions do not come back to back; leave the loop a moment between.
        await asyncio.sleep(0.001)
        if time.perf_counter() > deadline:
            break
    stop.set()
    await task
    return latencies, lags


def bot(sizes: tuple[int, ...], seconds: float, log: Any = print) -> dict[str, Any]:
    """Per FAQ size: build time, answer latency p50/p99, loop lag p99/max."""
    try:
        from loket.bot.matcher import Matcher, match_async
        from loket.bot.settings import BotSettings
    except ImportError as exc:
        return {"skipped": f"not measured: the bot matcher cannot be imported ({exc})"}
    if not (hasattr(Matcher, "build") and hasattr(Matcher, "match")):
        return {"skipped": "not measured: Matcher has no build/match (its API changed)"}
    results = []
    settings = BotSettings(faq_dir=ROOT / "faq")
    for size in sizes:
        try:
            entries = make_entries(size)
            started = time.perf_counter()
            matcher = Matcher.build(entries, settings)
            build = time.perf_counter() - started
            questions = make_questions(entries, 5000)
            latencies, lags = asyncio.run(_measure(matcher, match_async, questions, seconds))
        except (TypeError, AttributeError) as exc:
            return {"skipped": f"not measured: the matcher's API differs ({exc})"}
        answer = summarize(ms(latencies))
        lag = summarize(ms(lags))
        results.append(
            {
                "phrasings": size,
                "build_seconds": build,
                "answer_ms": answer,
                "loop_lag_ms": lag,
                "threaded": size >= settings.thread_threshold,
            }
        )
        log(
            f"  bot {size:7d} phrasings: build {build:5.1f} s, answer p50 {answer['p50']:6.2f} ms"
            f" p99 {answer['p99']:6.2f} ms, loop lag p99 {lag['p99']:5.2f} ms"
        )
    return {"sizes": results, "thread_threshold": settings.thread_threshold}
