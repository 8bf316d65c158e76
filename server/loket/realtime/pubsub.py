"""Socket.IO emits through Redis without making anyone wait for Redis.

python-socketio's Redis manager delivers an emit to this process's clients and then
publishes it, awaiting the publish: a Redis that accepts connections but stops answering
held every acknowledgement for as long as the network took to give up (20 s and more).
Here each publish is handed to one background task that sends them in order, each within
a time limit; while Redis is unreachable the backlog is bounded and the oldest are dropped
(no other process is there to receive them: see the README on running several processes).
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
from typing import Any

import redis
import socketio

log = logging.getLogger(__name__)

# How long one publish may take before it is given up.
PUBLISH_SECONDS = 1.0
# Publishes kept while Redis does not answer; beyond this the oldest are dropped.
BACKLOG = 10_000


class BackgroundRedisManager(socketio.AsyncRedisManager):  # type: ignore[misc]
    """An `AsyncRedisManager` whose publishes never hold up the event that caused them."""

    def __init__(self, url: str, **kwargs: Any) -> None:
        super().__init__(url, **kwargs)
        self._backlog: collections.deque[Any] = collections.deque(maxlen=BACKLOG)
        self._waiting = asyncio.Event()
        self._sender: asyncio.Task[None] | None = None
        self._failing = False
        self.dropped = 0

    async def _publish(self, data: Any) -> None:
        if len(self._backlog) == BACKLOG:
            self.dropped += 1
        self._backlog.append(data)
        self._waiting.set()
        if self._sender is None or self._sender.done():
            self._sender = asyncio.create_task(self._send(), name="loket-redis-publish")

    async def _send(self) -> None:
        while True:
            await self._waiting.wait()
            self._waiting.clear()
            while self._backlog:
                data = self._backlog.popleft()
                try:
                    await asyncio.wait_for(self._publish_once(data), PUBLISH_SECONDS)
                except (TimeoutError, OSError, redis.RedisError) as exc:
                    self.connected = False  # connect again for the next one
                    if not self._failing:
                        log.warning("Redis does not answer: emits are not published (%s)", exc)
                    self._failing = True
                    continue
                except Exception:
                    log.exception("publishing an emit to Redis failed")
                if self._failing:
                    log.info("Redis answers again: emits are published")
                    self._failing = False

    async def _publish_once(self, data: Any) -> None:
        """One try (python-socketio's own publish tries twice and logs an error for each
        failure: two lines per emit, many a second, while Redis is down)."""
        if not self.connected:
            self._redis_connect()
        await self.redis.publish(self.channel, self.json.dumps(data))

    async def close(self) -> None:
        """Stop the background sender (at shutdown)."""
        if self._sender is not None:
            self._sender.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._sender
