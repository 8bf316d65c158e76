"""Token buckets: the per-connection event limit and the login limit share this code."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(slots=True)
class TokenBucket:
    """`rate` tokens per second refill a bucket of `burst`; each event takes one."""

    rate: float
    burst: float
    tokens: float = field(default=-1.0)
    updated: float = 0.0

    def __post_init__(self) -> None:
        if self.tokens < 0:
            self.tokens = self.burst

    def take(self, now: float, cost: float = 1.0) -> bool:
        """Take `cost` tokens if there are enough; say whether the event may go ahead."""
        if now > self.updated:
            self.tokens = min(self.burst, self.tokens + (now - self.updated) * self.rate)
            self.updated = now
        if self.tokens >= cost:
            self.tokens -= cost
            return True
        return False

    def give_back(self, cost: float = 1.0) -> None:
        """Return tokens taken for an event that turned out not to count."""
        self.tokens = min(self.burst, self.tokens + cost)

    def retry_after(self, cost: float = 1.0) -> float:
        """Seconds until `cost` tokens will be there."""
        return max(0.0, (cost - self.tokens) / self.rate)


class KeyedLimiter:
    """One bucket per key (a client address, an agent name), forgotten once full again."""

    def __init__(self, rate: float, burst: float, *, max_keys: int = 100_000) -> None:
        self.rate = rate
        self.burst = burst
        self.max_keys = max_keys
        self._buckets: dict[str, TokenBucket] = {}

    def take(self, key: str, now: float) -> bool:
        bucket = self._buckets.get(key)
        if bucket is None:
            if len(self._buckets) >= self.max_keys:
                self._forget_full(now)
            bucket = self._buckets[key] = TokenBucket(self.rate, self.burst, updated=now)
        return bucket.take(now)

    def give_back(self, key: str) -> None:
        bucket = self._buckets.get(key)
        if bucket is not None:
            bucket.give_back()

    def retry_after(self, key: str) -> float:
        bucket = self._buckets.get(key)
        return bucket.retry_after() if bucket else 0.0

    def _forget_full(self, now: float) -> None:
        for key, bucket in list(self._buckets.items()):
            if bucket.tokens + (now - bucket.updated) * bucket.rate >= bucket.burst:
                del self._buckets[key]
        if len(self._buckets) >= self.max_keys:
            # Under an attack with more distinct keys than we keep, start over rather
            # than grow without bound.
            self._buckets.clear()
