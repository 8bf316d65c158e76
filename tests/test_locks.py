"""KeyedLocks: one holder per key, first come first served, nothing left behind."""

from __future__ import annotations

import asyncio

import pytest

from loket.locks import KeyedLocks


async def test_one_holder_per_key_in_arrival_order() -> None:
    locks = KeyedLocks()
    order: list[str] = []
    inside = 0

    async def work(name: str, key: str) -> None:
        nonlocal inside
        async with locks.hold(key):
            inside += 1
            assert inside == 1 or key == "other"
            order.append(name)
            await asyncio.sleep(0.01)
            inside -= 1

    await asyncio.gather(work("a", "k"), work("b", "k"), work("c", "k"))
    assert order == ["a", "b", "c"]
    assert len(locks) == 0


async def test_keys_do_not_wait_for_each_other() -> None:
    locks = KeyedLocks()
    async with locks.hold("x"):
        await asyncio.wait_for(_enter_and_leave(locks, "y"), 1)
        assert len(locks) == 1
    assert len(locks) == 0


async def _enter_and_leave(locks: KeyedLocks, key: str) -> None:
    async with locks.hold(key):
        pass


async def test_a_cancelled_waiter_leaves_the_line() -> None:
    locks = KeyedLocks()
    async with locks.hold("k"):
        waiting = asyncio.ensure_future(_enter_and_leave(locks, "k"))
        after = asyncio.ensure_future(_enter_and_leave(locks, "k"))
        await asyncio.sleep(0)
        waiting.cancel()
        await asyncio.sleep(0)
    await asyncio.wait_for(after, 1)
    with pytest.raises(asyncio.CancelledError):
        await waiting
    assert len(locks) == 0


async def test_a_waiter_cancelled_as_it_is_handed_the_lock_passes_it_on() -> None:
    locks = KeyedLocks()
    holder = locks.hold("k")
    await holder.__aenter__()
    first = asyncio.ensure_future(_enter_and_leave(locks, "k"))
    second = asyncio.ensure_future(_enter_and_leave(locks, "k"))
    await asyncio.sleep(0)
    await holder.__aexit__(None, None, None)  # hands the lock to `first`...
    first.cancel()  # ...which is cancelled before it runs
    await asyncio.wait_for(second, 1)
    with pytest.raises(asyncio.CancelledError):
        await first
    assert len(locks) == 0


async def test_an_error_inside_releases_the_key() -> None:
    locks = KeyedLocks()
    with pytest.raises(RuntimeError):
        async with locks.hold("k"):
            raise RuntimeError("boom")
    await asyncio.wait_for(_enter_and_leave(locks, "k"), 1)
    assert len(locks) == 0
