"""How the server uses Python's cycle collector: short pauses while many shoppers are connected.

CPython's collector walks every tracked object of the oldest generation in one pass. A
server holding 20,000 connections has millions of such objects (sockets, protocol state,
rooms, conversations), and that pass stopped the event loop for 350-670 ms at a time
(measured with 10,000 connected shoppers, docs/performance.md): every chat message waiting
behind it.

Nearly all of those objects are long-lived and are freed by reference counting when they
go; cyclic garbage is mostly young (an exception's traceback, a cancelled task) and the
young generations collect it. So the policy is:

- after each pass over the middle generation, freeze what survived it (`gc.freeze()`):
  what has lived through two passes is long-lived, and frozen objects are never walked
  again, so the oldest generation stays nearly empty and its passes short however many
  shoppers are connected or how fast they arrive (a burst of 10,000 new connections cost
  passes of up to 560 ms before; after, no pass over 30 ms was seen);
- every `young_every` seconds, a pass over the young and middle generations, whatever
  CPython's allocation count says. That count goes down when any object is freed, frozen
  ones included: when 20,000 idle shoppers each send a message, each frees its connection's
  frozen reader state and allocates new state, the count stays near zero, and the young
  generation grew unseen to about 90,000 objects, whose eventual passes stopped the event
  loop for 50-200 ms at a time (measured). Passes every half second walk what half a
  second allocated: a few milliseconds;
- a young pass only after `young_threshold` (10,000) more container objects were made than
  freed, not CPython's 700: at thousands of messages a second 700 came round every few
  messages, and the passes it set off (450 over the young generation and 42 over the
  middle one a second at 3,000 chat exchanges a second) took 6-7 % of the event loop's time
  (measured with `gc.callbacks`) to walk objects that were mostly still in use, a message
  in flight; nearly all of them are freed by reference counting once it is delivered. The
  timed passes above walk what is left of them, so cyclic garbage still goes within half a
  second;
- every `full_every` seconds, unfreeze and collect everything once, so cyclic garbage
  among frozen objects (a closed connection's parts that referred to each other) is freed
  within that time rather than never. This is the one long pause; it is logged with its
  length.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import time
from dataclasses import dataclass

log = logging.getLogger(__name__)

FULL_EVERY = 900.0
YOUNG_EVERY = 0.5
YOUNG_THRESHOLD = 10_000

# The middle generation's number, as `gc` callbacks report it: what survives its pass
# would next be walked by every pass over the oldest generation.
_MIDDLE = 1


@dataclass
class CollectionStats:
    """What the policy has done so far."""

    freezes: int = 0
    young_collections: int = 0
    full_collections: int = 0
    last_full_seconds: float = 0.0
    last_full_collected: int = 0


class CollectorPolicy:
    """Freezes what survives the middle generation's passes; now and then collects all."""

    def __init__(
        self,
        *,
        full_every: float = FULL_EVERY,
        young_every: float = YOUNG_EVERY,
        young_threshold: int = YOUNG_THRESHOLD,
    ) -> None:
        if full_every <= 0 or young_every <= 0 or young_threshold <= 0:
            raise ValueError("full_every, young_every and young_threshold must be positive")
        self.full_every = full_every
        self.young_every = young_every
        self.young_threshold = young_threshold
        self.stats = CollectionStats()
        self._in_full = False
        self._thresholds: tuple[int, int, int] | None = None

    def start(self) -> None:
        """Once, after start-up: what exists now (the FAQ matcher, the encoder, the routes)
        lives as long as the process. From now on every middle-generation pass freezes,
        and a young pass comes after `young_threshold` new objects."""
        self.collect_all()
        if self._after_pass not in gc.callbacks:
            gc.callbacks.append(self._after_pass)
        if self._thresholds is None:
            self._thresholds = gc.get_threshold()
            _, middle, oldest = self._thresholds
            gc.set_threshold(self.young_threshold, middle, oldest)

    def stop(self) -> None:
        """Leave the collector as Python has it (frozen objects stay frozen)."""
        if self._after_pass in gc.callbacks:
            gc.callbacks.remove(self._after_pass)
        if self._thresholds is not None:
            gc.set_threshold(*self._thresholds)
            self._thresholds = None

    def _after_pass(self, phase: str, info: dict[str, int]) -> None:
        if phase == "stop" and info["generation"] >= _MIDDLE and not self._in_full:
            gc.freeze()
            self.stats.freezes += 1

    def collect_all(self) -> int:
        """Unfreeze, collect every generation, freeze the survivors; the number freed."""
        started = time.perf_counter()
        self._in_full = True
        try:
            gc.unfreeze()
            collected = gc.collect()
            gc.freeze()
        finally:
            self._in_full = False
        took = time.perf_counter() - started
        stats = self.stats
        stats.full_collections += 1
        stats.last_full_seconds = took
        stats.last_full_collected = collected
        log.info(
            "full garbage collection: %.0f ms, %d unreachable objects freed, %d objects kept",
            took * 1000,
            collected,
            gc.get_freeze_count(),
        )
        return collected

    def collect_young(self) -> int:
        """A pass over the young and middle generations (its survivors are frozen)."""
        self.stats.young_collections += 1
        return gc.collect(_MIDDLE)

    async def run(self) -> None:
        """`collect_young` every `young_every` seconds and `collect_all` every `full_every`
        seconds, until cancelled."""
        loop = asyncio.get_running_loop()
        full_at = loop.time() + self.full_every
        while True:
            await asyncio.sleep(min(self.young_every, max(0.0, full_at - loop.time())))
            if loop.time() >= full_at:
                self.collect_all()
                full_at = loop.time() + self.full_every
            else:
                self.collect_young()
