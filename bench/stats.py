"""Percentiles of latency samples (no numpy: the server's dependencies are all we have)."""

from __future__ import annotations

import math
from collections.abc import Sequence


def percentile(ordered: Sequence[float], fraction: float) -> float:
    """The nearest-rank percentile of already sorted samples (nan when there are none)."""
    if not ordered:
        return math.nan
    rank = max(1, math.ceil(fraction * len(ordered)))
    return float(ordered[min(rank, len(ordered)) - 1])


def summarize(samples: Sequence[float]) -> dict[str, float]:
    """count, p50, p99, p99.9 and max of `samples` (in the samples' unit)."""
    ordered = sorted(samples)
    return {
        "count": float(len(ordered)),
        "p50": percentile(ordered, 0.50),
        "p99": percentile(ordered, 0.99),
        "p999": percentile(ordered, 0.999),
        "max": float(ordered[-1]) if ordered else math.nan,
    }


def ms(seconds: Sequence[float]) -> list[float]:
    return [s * 1000.0 for s in seconds]
