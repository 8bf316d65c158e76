"""Prometheus metrics, one registry per application (no process-wide singletons)."""

from __future__ import annotations

from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram


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
        self.messages = Counter(
            "loket_messages",
            "Messages stored, by author.",
            ["author"],
            registry=self.registry,
        )
        self.events = Counter(
            "loket_events",
            "Client events handled, by namespace, event and outcome.",
            ["namespace", "event", "outcome"],
            registry=self.registry,
        )
        self.handling = Histogram(
            "loket_event_handling_seconds",
            "Time from receiving a client event to its acknowledgement.",
            ["namespace", "event"],
            buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5),
            registry=self.registry,
        )
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

        # Labelled children of the per-event metrics, looked up once per label set
        # (`labels()` takes a lock and checks its arguments on every call).
        self._handled: dict[tuple[str, str, str], tuple[Any, Any]] = {}
        self._stored: dict[str, Any] = {}

    def event_handled(self, namespace: str, event: str, outcome: str, seconds: float) -> None:
        """Count a client event and how long it took."""
        key = (namespace, event, outcome)
        children = self._handled.get(key)
        if children is None:
            children = (self.events.labels(*key), self.handling.labels(namespace, event))
            self._handled[key] = children
        children[0].inc()
        children[1].observe(seconds)

    def message_stored(self, author: str) -> None:
        child = self._stored.get(author)
        if child is None:
            child = self._stored[author] = self.messages.labels(author)
        child.inc()
