"""Keyed asyncio locks that disappear when nobody holds or waits for them."""

from __future__ import annotations

import asyncio
from collections.abc import Hashable
from types import TracebackType


class KeyedLocks:
    """`async with locks.hold(key):` serialises work per key, first come first served.

    Every chat event passes one of these, so the common case is kept cheap: a key nobody
    holds costs a dictionary entry, no lock object; waiters queue as futures and the lock
    is handed to the first of them on release.
    """

    __slots__ = ("_held",)

    def __init__(self) -> None:
        # Held keys, each with the futures of those waiting for it, in arrival order.
        self._held: dict[Hashable, list[asyncio.Future[None]]] = {}

    def hold(self, key: Hashable) -> _Hold:
        return _Hold(self, key)

    def _release(self, key: Hashable) -> None:
        waiters = self._held[key]
        while waiters:
            waiter = waiters.pop(0)
            if not waiter.done():
                waiter.set_result(None)  # the lock passes to the next in line
                return
        del self._held[key]

    def __len__(self) -> int:
        return len(self._held)


class _Hold:
    __slots__ = ("_key", "_locks")

    def __init__(self, locks: KeyedLocks, key: Hashable) -> None:
        self._locks = locks
        self._key = key

    async def __aenter__(self) -> None:
        held = self._locks._held
        waiters = held.get(self._key)
        if waiters is None:
            held[self._key] = []
            return
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        waiters.append(waiter)
        try:
            await waiter
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled():
                self._locks._release(self._key)  # handed over as we were cancelled: pass on
            elif waiter in waiters:
                waiters.remove(waiter)
            raise

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._locks._release(self._key)
