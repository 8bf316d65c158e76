"""The store's batching writer on its own: committed message inserts per second."""

from __future__ import annotations

import asyncio
import tempfile
import time
from pathlib import Path
from typing import Any

# Inserts kept in flight, as many concurrent conversations would.
IN_FLIGHT = 1024
CONVERSATIONS = 100


async def _writes(folder: Path, seconds: float) -> dict[str, Any]:
    from loket.store import MessageRecord, Store

    store = await Store.open(folder / "loket.db")
    try:
        conversations = []
        for number in range(CONVERSATIONS):
            shopper = await store.create_shopper(
                f"bench-{number}", customer_id=None, locale="nl", now=1
            )
            record = await store.create_conversation(
                shopper.id, state="bot", now=1, locale="nl", page_url=None, page_title=None
            )
            conversations.append(record.id)
        sequence = dict.fromkeys(conversations, 0)
        batches_before = store.db.batches
        done = 0
        deadline = time.perf_counter() + seconds
        started = time.perf_counter()

        async def writer(conversation_id: int) -> None:
            nonlocal done
            while time.perf_counter() < deadline:
                sequence[conversation_id] += 1
                seq = sequence[conversation_id]
                message = MessageRecord(
                    conversation_id, seq, f"c-{conversation_id}-{seq:08d}", "shopper", None,
                    "Waar blijft mijn pakket? Ik heb vorige week besteld.", seq,
                )  # fmt: skip
                await store.db.submit(store.insert_message_op(message))
                done += 1

        await asyncio.gather(*(writer(conversations[i % CONVERSATIONS]) for i in range(IN_FLIGHT)))
        elapsed = time.perf_counter() - started
        batches = store.db.batches - batches_before
        return {
            "writes": done,
            "seconds": elapsed,
            "writes_per_second": done / elapsed,
            "batches": batches,
            "mean_batch": done / batches if batches else 0.0,
            "in_flight": IN_FLIGHT,
            "synchronous": "full",
        }
    finally:
        await store.close()


def store_writes(seconds: float, log: Any = print) -> dict[str, Any]:
    """Message inserts per second through `store.db.submit`, each acknowledged after commit."""
    try:
        with tempfile.TemporaryDirectory(prefix="loket-bench-store-") as folder:
            result = asyncio.run(_writes(Path(folder), seconds))
    except (ImportError, AttributeError, TypeError) as exc:
        return {"skipped": f"not measured: the store's API differs ({exc})"}
    log(
        f"  store: {result['writes_per_second']:8.0f} committed inserts/s,"
        f" {result['mean_batch']:.0f} per transaction"
    )
    return result
