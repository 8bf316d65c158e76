"""Metrics: events and messages counted without prometheus_client's per-increment locks."""

from __future__ import annotations

import asyncio
import logging
import re
import time

import pytest
from prometheus_client import generate_latest

from loket.metrics import LoopLag, Metrics


def scrape(metrics: Metrics) -> dict[str, float]:
    text = generate_latest(metrics.registry).decode()
    return {key: float(value) for key, value in re.findall(r"^(loket_\S+) (\S+)$", text, re.M)}


def test_event_times_land_in_cumulative_buckets_inclusive_of_their_bound() -> None:
    """A time equal to a bound counts in that bucket; buckets, sum and count read as Prometheus'."""
    metrics = Metrics()
    for seconds in (0.0004, 0.0005, 0.003, 7.0):
        metrics.event_handled("shopper", "message", "ok", seconds)
    metrics.event_handled("shopper", "message", "rate_limited", 0.0001)
    values = scrape(metrics)
    bucket = 'loket_event_handling_seconds_bucket{{event="message",le="{}",namespace="shopper"}}'
    assert values[bucket.format("0.0005")] == 3
    assert values[bucket.format("0.001")] == 3
    assert values[bucket.format("0.005")] == 4
    assert values[bucket.format("2.5")] == 4
    assert values[bucket.format("+Inf")] == 5
    count = 'loket_event_handling_seconds_count{event="message",namespace="shopper"}'
    assert values[count] == 5
    total = 'loket_event_handling_seconds_sum{event="message",namespace="shopper"}'
    assert abs(values[total] - 7.004) < 1e-9
    events = 'loket_events_total{{event="message",namespace="shopper",outcome="{}"}}'
    assert values[events.format("ok")] == 4
    assert values[events.format("rate_limited")] == 1


def test_messages_are_counted_by_author() -> None:
    """Each stored message counts once under its author."""
    metrics = Metrics()
    for author in ("shopper", "agent", "shopper", "bot"):
        metrics.message_stored(author)
    values = scrape(metrics)
    assert values['loket_messages_total{author="shopper"}'] == 2
    assert values['loket_messages_total{author="agent"}'] == 1
    assert values['loket_messages_total{author="bot"}'] == 1


async def test_loop_lag_counts_a_blocked_loop_in_its_bucket() -> None:
    """A loop blocked by a slow callback shows as a late wake-up of the probe."""
    metrics = Metrics()
    lag = metrics.loop_lag
    lag.interval = 0.02
    lag.start()
    try:
        await asyncio.sleep(0.1)
        # A callback that blocks the loop for 0.3 s.
        asyncio.get_running_loop().call_soon(time.sleep, 0.3)
        await asyncio.sleep(0.5)
    finally:
        lag.stop()
    values = scrape(metrics)
    count = values["loket_event_loop_lag_seconds_count"]
    assert count >= 5
    assert values['loket_event_loop_lag_seconds_bucket{le="0.1"}'] <= count - 1
    assert values['loket_event_loop_lag_seconds_bucket{le="+Inf"}'] == count
    assert 0.25 <= lag.longest < 1.0
    assert values["loket_event_loop_lag_seconds_sum"] >= 0.25


def test_loop_stalls_are_logged_at_most_once_a_minute_with_a_count(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Each stall is counted; the log says so once per `warn_every`, not once per stall."""
    lag = LoopLag(warn_after=0.5, warn_every=60.0)
    with caplog.at_level(logging.WARNING, logger="loket.metrics"):
        lag.observe(0.01, now=0.0)  # no stall
        lag.observe(0.8, now=1.0)  # logged
        lag.observe(0.6, now=2.0)  # within the minute: counted
        lag.observe(0.7, now=30.0)  # counted
        lag.observe(0.9, now=62.0)  # logged, with the two before it
    lines = [r.getMessage() for r in caplog.records]
    assert lines == [
        "the event loop stalled for 800 ms: every chat waited meanwhile",
        "the event loop stalled for 900 ms: every chat waited meanwhile"
        " (2 more since the last such line)",
    ]
    assert lag.tally.counts[0] == pytest.approx(0.01 + 0.8 + 0.6 + 0.7 + 0.9)
    assert lag.longest == 0.9
