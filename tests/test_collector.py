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


def test_full_every_must_be_positive() -> None:
    with pytest.raises(ValueError, match="positive"):
        CollectorPolicy(full_every=0)
