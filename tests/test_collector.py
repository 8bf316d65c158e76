"""The collector policy: long-lived objects are frozen, and frozen cyclic garbage still goes."""

from __future__ import annotations

import asyncio
import gc
import weakref
from collections.abc import Iterator

import pytest

from loket.collector import CollectorPolicy


class Node:
    """An object that can take part in a reference cycle and be watched by a weakref."""

    def __init__(self) -> None:
        self.other: Node | None = None


def _cycle() -> tuple[Node, weakref.ref[Node]]:
    a, b = Node(), Node()
    a.other, b.other = b, a
    return a, weakref.ref(b)


@pytest.fixture
def policy() -> Iterator[CollectorPolicy]:
    policy = CollectorPolicy(full_every=0.05)
    policy.start()
    try:
        yield policy
    finally:
        policy.stop()
        gc.unfreeze()
        gc.collect()


def _frozen(obj: object) -> bool:
    return not any(o is obj for o in gc.get_objects())


def test_what_survives_a_middle_pass_is_frozen(policy: CollectorPolicy) -> None:
    node, _ = _cycle()
    assert gc.is_tracked(node) and not _frozen(node)
    freezes = policy.stats.freezes
    gc.collect(1)
    assert policy.stats.freezes == freezes + 1
    assert _frozen(node)
    # A young pass does not freeze: young garbage is the collector's to find.
    young = Node()
    gc.collect(0)
    assert not _frozen(young)


def test_frozen_cyclic_garbage_is_freed_by_the_full_collection(policy: CollectorPolicy) -> None:
    node, watched = _cycle()
    gc.collect(1)
    assert _frozen(node)
    del node
    gc.collect()
    # Frozen: the ordinary passes cannot free it ...
    assert watched() is not None
    # ... the full collection does, and what lives on is frozen again.
    assert policy.collect_all() >= 2
    assert watched() is None
    assert policy.stats.last_full_collected >= 2
    assert gc.get_freeze_count() > 0


async def test_full_collections_come_round_on_their_own(policy: CollectorPolicy) -> None:
    node, watched = _cycle()
    gone = asyncio.Event()
    weakref.finalize(node, gone.set)
    gc.collect(1)
    del node
    task = asyncio.create_task(policy.run())
    try:
        async with asyncio.timeout(5):
            await gone.wait()
    finally:
        task.cancel()
    assert watched() is None
    assert policy.stats.full_collections >= 2  # start() made the first


def test_stop_leaves_the_collector_as_python_has_it(policy: CollectorPolicy) -> None:
    policy.stop()
    freezes = policy.stats.freezes
    gc.collect(1)
    assert policy.stats.freezes == freezes


async def test_young_garbage_goes_while_frozen_objects_are_freed() -> None:
    """CPython counts a freed frozen object against new allocations: a server that replaces
    long-lived objects with new ones (every idle shopper who writes again) would never pass
    over its young generation, which grows unseen. The timed young pass still frees it."""
    policy = CollectorPolicy(full_every=3600, young_every=0.05)
    policy.start()
    old = [[] for _ in range(30_000)]
    gc.collect(1)  # frozen now
    threshold = gc.get_threshold()
    task = None
    try:
        watched = []
        # Three frozen objects freed for every new one: gen0's count stays at zero.
        for _ in range(2_000):
            del old[-3:]
            node, ref = _cycle()
            watched.append(ref)
        all_gone = asyncio.Event()
        weakref.finalize(node, all_gone.set)
        del node
        assert gc.get_count()[0] < threshold[0]
        assert all(ref() is not None for ref in watched)
        task = asyncio.create_task(policy.run())
        async with asyncio.timeout(5):
            await all_gone.wait()
        assert all(ref() is None for ref in watched)
        assert policy.stats.young_collections >= 1
    finally:
        if task is not None:
            task.cancel()
        policy.stop()
        gc.unfreeze()
        gc.collect()


def test_a_young_pass_waits_for_many_new_objects_and_stop_restores_python_s_own() -> None:
    """While the policy runs, CPython passes over the young generation only after
    `young_threshold` new objects (not its own 700): a few hundred objects of a message in
    flight set off no pass. Stopped, the policy gives Python its thresholds back."""
    before = gc.get_threshold()
    policy = CollectorPolicy(young_threshold=5_000)
    policy.start()
    try:
        assert gc.get_threshold() == (5_000, before[1], before[2])
        passes: list[int] = []

        def counted(phase: str, info: dict[str, int]) -> None:
            if phase == "start":
                passes.append(info["generation"])

        gc.collect(1)
        kept = []
        gc.callbacks.append(counted)
        try:
            for _ in range(2_000):
                kept.append([])
        finally:
            gc.callbacks.remove(counted)
        assert passes == []
        del kept
    finally:
        policy.stop()
        gc.unfreeze()
        gc.collect()
    assert gc.get_threshold() == before


def test_intervals_must_be_positive() -> None:
    with pytest.raises(ValueError, match="positive"):
        CollectorPolicy(full_every=0)
    with pytest.raises(ValueError, match="positive"):
        CollectorPolicy(young_every=0)
    with pytest.raises(ValueError, match="positive"):
        CollectorPolicy(young_threshold=0)
