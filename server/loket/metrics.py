"""Prometheus metrics, one registry per application (no process-wide singletons)."""

from __future__ import annotations

import bisect
from collections.abc import Iterator

from prometheus_client import CollectorRegistry, Gauge
from prometheus_client.core import CounterMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.registry import Collector
from prometheus_client.utils import floatToGoString

# Upper bounds of the event handling time histogram, in seconds.
HANDLING_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)


class EventTally(Collector):
    """Messages and client events, counted in plain numbers and read when scraped.

    Two events and two messages are counted per chat exchange, on the event loop's thread
    only; prometheus_client's own counters take a lock and check their state on every
    increment, several times the cost of adding to a number.
    """

    def __init__(self) -> None:
        self.messages: dict[str, int] = {}
        self.events: dict[tuple[str, str, str], int] = {}
        # Per (namespace, event): the sum of the times, then a count per bucket (the last
        # for times past every bound), not cumulative.
        self.handling: dict[tuple[str, str], list[float]] = {}

    def message_stored(self, author: str) -> None:
        self.messages[author] = self.messages.get(author, 0) + 1

    def event_handled(self, namespace: str, event: str, outcome: str, seconds: float) -> None:
        key = (namespace, event, outcome)
        self.events[key] = self.events.get(key, 0) + 1
        tally = self.handling.get((namespace, event))
        if tally is None:
            tally = self.handling[(namespace, event)] = [0.0] * (len(HANDLING_BUCKETS) + 2)
        tally[0] += seconds
        tally[1 + bisect.bisect_left(HANDLING_BUCKETS, seconds)] += 1

    def collect(self) -> Iterator[Metric]:
        messages = CounterMetricFamily(
            "loket_messages", "Messages stored, by author.", labels=["author"]
        )
        for author, count in self.messages.items():
            messages.add_metric([author], count)
        yield messages
        events = CounterMetricFamily(
            "loket_events",
            "Client events handled, by namespace, event and outcome.",
            labels=["namespace", "event", "outcome"],
        )
        for labels, count in self.events.items():
            events.add_metric(list(labels), count)
        yield events
        handling = HistogramMetricFamily(
            "loket_event_handling_seconds",
            "Time from receiving a client event to its acknowledgement.",
            labels=["namespace", "event"],
        )
        bounds = [*map(floatToGoString, HANDLING_BUCKETS), "+Inf"]
        for pair, tally in self.handling.items():
            cumulative, buckets = 0.0, []
            for bound, in_bucket in zip(bounds, tally[1:], strict=True):
                cumulative += in_bucket
                buckets.append((bound, cumulative))
            handling.add_metric(list(pair), buckets, sum_value=tally[0])
        yield handling


class Metrics:
    """Every metric Loket exports at /metrics."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.connections = Gauge(
            "loket_connections",
            "Open Socket.IO connections.",
            ["namespace"],
            registry=self.registry,
        )
        self.conversations = Gauge(
            "loket_conversations",
            "Conversations by state.",
            ["state"],
            registry=self.registry,
        )
        self.tally = EventTally()
        self.registry.register(self.tally)
        self.store_writes = Gauge(
            "loket_store_writes", "Writes committed since start.", registry=self.registry
        )
        self.store_batches = Gauge(
            "loket_store_batches",
            "Write transactions committed since start.",
            registry=self.registry,
        )
        self.bot_words_alone = Gauge(
            "loket_bot_words_alone_for_cpu_share",
            "Questions matched by words alone since start because the sentence encoder's"
            " CPU share (bot.semantic_cpu_share) was used up.",
            registry=self.registry,
        )

        self.event_handled = self.tally.event_handled
        self.message_stored = self.tally.message_stored
