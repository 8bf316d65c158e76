"""Prometheus metrics, one registry per application (no process-wide singletons)."""

from __future__ import annotations

import asyncio
import bisect
import logging
from collections.abc import Iterable, Iterator

from prometheus_client import CollectorRegistry, Gauge
from prometheus_client.core import CounterMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.registry import Collector
from prometheus_client.utils import floatToGoString

log = logging.getLogger(__name__)

# Upper bounds of the event handling time histogram, in seconds.
HANDLING_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)
# Upper bounds of the event loop's lag histogram, in seconds.
LAG_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)
# The lag probe wakes this often (seconds) ...
LAG_PROBE_SECONDS = 0.25
# ... and a wake-up this late is logged as a stall (at most one line a minute).
LAG_WARN_SECONDS = 0.5
LAG_WARN_EVERY = 60.0


class Tally:
    """A histogram in plain numbers: the sum of the values, then a count per bucket (the
    last for values past every bound), not cumulative. A value equal to a bound counts in
    that bound's bucket, as Prometheus' `le` says."""

    __slots__ = ("bounds", "counts")

    def __init__(self, bounds: tuple[float, ...]) -> None:
        self.bounds = bounds
        self.counts = [0.0] * (len(bounds) + 2)

    def add(self, value: float) -> None:
        counts = self.counts
        counts[0] += value
        counts[1 + bisect.bisect_left(self.bounds, value)] += 1

    def add_to(self, family: HistogramMetricFamily, labels: Iterable[str] = ()) -> None:
        cumulative, buckets = 0.0, []
        limits = [*map(floatToGoString, self.bounds), "+Inf"]
        for bound, in_bucket in zip(limits, self.counts[1:], strict=True):
            cumulative += in_bucket
            buckets.append((bound, cumulative))
        family.add_metric(list(labels), buckets, sum_value=self.counts[0])


class EventTally(Collector):
    """Messages and client events, counted in plain numbers and read when scraped.

    Two events and two messages are counted per chat exchange, on the event loop's thread
    only; prometheus_client's own counters take a lock and check their state on every
    increment, several times the cost of adding to a number.
    """

    def __init__(self) -> None:
        self.messages: dict[str, int] = {}
        self.events: dict[tuple[str, str, str], int] = {}
        self.handling: dict[tuple[str, str], Tally] = {}

    def message_stored(self, author: str) -> None:
        self.messages[author] = self.messages.get(author, 0) + 1

    def event_handled(self, namespace: str, event: str, outcome: str, seconds: float) -> None:
        key = (namespace, event, outcome)
        self.events[key] = self.events.get(key, 0) + 1
        tally = self.handling.get((namespace, event))
        if tally is None:
            tally = self.handling[(namespace, event)] = Tally(HANDLING_BUCKETS)
        tally.add(seconds)

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
        for pair, tally in self.handling.items():
            tally.add_to(handling, pair)
        yield handling


class LoopLag(Collector):
    """How late the event loop runs what is due: a probe asks to be woken every
    `interval` seconds and counts how late it is (`loket_event_loop_lag_seconds`).

    Everything a server does waits for the loop: a lag of 100 ms is 100 ms more for every
    message, acknowledgement and bot answer due meanwhile. A lag that grows under load says
    the loop's one core is full (see docs/performance.md); a single long one, a stall (a
    slow callback, the collector's full pass), is logged when it reaches `warn_after`, at
    most once every `warn_every` seconds with the number of stalls since the last line.
    """

    def __init__(
        self,
        *,
        interval: float = LAG_PROBE_SECONDS,
        warn_after: float = LAG_WARN_SECONDS,
        warn_every: float = LAG_WARN_EVERY,
    ) -> None:
        self.interval = interval
        self.warn_after = warn_after
        self.warn_every = warn_every
        self.tally = Tally(LAG_BUCKETS)
        self.longest = 0.0
        self._timer: asyncio.TimerHandle | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._due = 0.0
        self._warned_at: float | None = None
        self._unreported = 0

    def start(self) -> None:
        """Probe the running loop from now on (again after `stop`)."""
        self.stop()
        self._loop = asyncio.get_running_loop()
        self._schedule()

    def stop(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _schedule(self) -> None:
        assert self._loop is not None
        self._due = self._loop.time() + self.interval
        self._timer = self._loop.call_at(self._due, self._woken)

    def _woken(self) -> None:
        assert self._loop is not None
        now = self._loop.time()
        self.observe(max(0.0, now - self._due), now)
        self._schedule()

    def observe(self, lag: float, now: float) -> None:
        """Count a wake-up `lag` seconds late, seen at loop time `now`."""
        self.tally.add(lag)
        self.longest = max(self.longest, lag)
        if lag < self.warn_after:
            return
        self._unreported += 1
        if self._warned_at is not None and now - self._warned_at < self.warn_every:
            return
        others = self._unreported - 1
        since = f" ({others} more since the last such line)" if others else ""
        log.warning(
            "the event loop stalled for %.0f ms: every chat waited meanwhile%s", lag * 1000, since
        )
        self._warned_at = now
        self._unreported = 0

    def collect(self) -> Iterator[Metric]:
        lag = HistogramMetricFamily(
            "loket_event_loop_lag_seconds",
            f"How late the event loop woke a probe due every {self.interval:g} s.",
        )
        self.tally.add_to(lag)
        yield lag


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
        self.store_transaction_seconds = Gauge(
            "loket_store_transaction_seconds",
            "Seconds spent in the store's write transactions since start; they run on the"
            " event loop, so its rate is the share of the loop's time they take.",
            registry=self.registry,
        )
        self.store_sync_seconds = Gauge(
            "loket_store_sync_seconds",
            "Seconds spent waiting for the disk to sync committed writes since start.",
            registry=self.registry,
        )
        self.loop_lag = LoopLag()
        self.registry.register(self.loop_lag)
        self.bot_words_alone = Gauge(
            "loket_bot_words_alone_for_cpu_share",
            "Questions matched by words alone since start because the sentence encoder's"
            " CPU share (bot.semantic_cpu_share) was used up.",
            registry=self.registry,
        )

        self.event_handled = self.tally.event_handled
        self.message_stored = self.tally.message_stored
