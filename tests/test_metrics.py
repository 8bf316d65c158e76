"""Metrics: events and messages counted without prometheus_client's per-increment locks."""

from __future__ import annotations

import re

from prometheus_client import generate_latest

from loket.metrics import Metrics


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
