"""The store: migrations, message inserts, and the batching writer."""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import threading
from pathlib import Path
from typing import Any

import pytest

from loket.store import ConversationRecord, MessageRecord, Store, StoreError, store_failure
from loket.store import db as db_module
from loket.store.db import WriteConnection
from tests.support import run_loket, write_config


async def _store(tmp_path: Path) -> Store:
    return await Store.open(tmp_path / "loket.db")


async def _conversation(store: Store) -> ConversationRecord:
    """A shopper's new conversation, for writing messages into."""
    shopper = await store.create_shopper("p1", customer_id=None, locale=None, now=1)
    return await store.create_conversation(
        shopper.id, state="bot", now=1, locale=None, page_url=None, page_title=None
    )


async def test_migrations_apply_once(tmp_path: Path) -> None:
    """Opening a store twice keeps its data and schema version."""
    store = await _store(tmp_path)
    shopper = await store.create_shopper("p1", customer_id=None, locale="nl", now=1)
    await store.close()
    store = await _store(tmp_path)
    try:
        version = await store.db.fetch_one("PRAGMA user_version")
        assert version is not None and version[0] >= 1
        assert await store.shopper_by_public_id("p1") == shopper
        mode = await store.db.fetch_one("PRAGMA journal_mode")
        assert mode is not None and mode[0] == "wal"
    finally:
        await store.close()


async def test_messages_of_a_store_from_before_0007_are_kept_found_by_seq(
    tmp_path: Path,
) -> None:
    """Migration 0007 rebuilds `messages` without its (conversation_id, client_id) index:
    every message is kept as it was, with its id (one whose conversation is gone too); the
    client ids of a conversation read back as before; new messages go on from the last
    sequence number, and a sequence number taken already is still refused."""
    path = tmp_path / "loket.db"
    conn = sqlite3.connect(path, isolation_level=None)
    for version, script in db_module._migrations():
        if version > 6:
            break
        for statement in db_module._statements(script):
            conn.execute(statement)
    conn.execute("PRAGMA user_version=6")
    conn.execute("INSERT INTO shoppers (public_id, created_at, last_seen_at) VALUES ('p1', 1, 1)")
    conn.execute(
        "INSERT INTO conversations (shopper_id, state, created_at, updated_at)"
        " VALUES (1, 'bot', 1, 1)"
    )
    old = [
        (1, seq, f"old-{seq:03d}", "shopper" if seq % 2 else "bot", None, f"m{seq}", seq,
         '{"entry": "x"}' if seq == 2 else None)
        for seq in range(1, 6)
    ]  # fmt: skip
    # The last one's conversation is gone (deleted by hand, foreign keys off): the rebuild
    # copies it as it is rather than refuse to start.
    old.append((99, 1, "orphan-001", "shopper", None, "weg", 9, None))
    conn.executemany(
        "INSERT INTO messages (conversation_id, seq, client_id, author, agent_id, text,"
        " created_at, meta) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        old,
    )
    ids = [row[0] for row in conn.execute("SELECT id FROM messages ORDER BY id")]
    conn.close()

    store = await _store(tmp_path)
    try:
        version = await store.db.fetch_one("PRAGMA user_version")
        assert version is not None and version[0] >= 7
        rows = await store.db.fetch_all("SELECT * FROM messages ORDER BY id")
        assert [tuple(row)[1:] for row in rows] == old
        assert [row["id"] for row in rows] == ids
        uniques = [
            [column["name"] for column in await store.db.fetch_all(
                f"PRAGMA index_info('{index['name']}')"
            )]
            for index in await store.db.fetch_all("PRAGMA index_list('messages')")
            if index["unique"]
        ]  # fmt: skip
        assert uniques == [["conversation_id", "seq"]]
        index = await store.client_ids(1)
        assert index.client_ids == {f"old-{seq:03d}": seq for seq in range(1, 6)}
        assert (await store.message(1, 2)) == MessageRecord(
            1, 2, "old-002", "bot", None, "m2", 2, {"entry": "x"}
        )
        new = MessageRecord(1, 6, "new-006", "shopper", None, "m6", 6)
        assert await store.db.write(store.insert_message_op(new)) is True
        taken = MessageRecord(1, 6, "new-007", "shopper", None, "m7", 7)
        with pytest.raises(sqlite3.IntegrityError):
            await store.db.write(store.insert_message_op(taken))
        assert await store.count_messages() == 7
    finally:
        await store.close()


async def test_agents_passed_over_are_kept_while_the_conversation_is_open(
    tmp_path: Path,
) -> None:
    """The agents routing passes over for a conversation are stored with its routing fields,
    replaced whole, read back while it is open, and dropped when it closes for quiet."""
    store = await _store(tmp_path)
    try:
        anna = await store.add_agent("anna", "Anna", "x", is_admin=False, now=1)
        bram = await store.add_agent("bram", "Bram", "x", is_admin=False, now=1)
        conversation = await _conversation(store)
        update = store.update_conversation_op
        await store.db.write(update(conversation.id, {"passed_over": (anna.id,)}))
        await store.db.write(update(conversation.id, {"passed_over": (bram.id, anna.id)}))
        # Without `passed_over`, an update leaves the agents passed over as they are.
        await store.db.write(update(conversation.id, {"state": "queued", "updated_at": 2}))
        assert await store.passed_over() == {conversation.id: {anna.id, bram.id}}
        await store.db.write(update(conversation.id, {"state": "bot", "passed_over": ()}))
        assert await store.passed_over() == {}
        await store.db.write(update(conversation.id, {"passed_over": (bram.id,)}))
        assert await store.close_quiet_bot_conversations(quiet_since=100, now=200) == 1
        assert await store.passed_over() == {}
        assert await store.db.fetch_all("SELECT * FROM passed_over") == []
    finally:
        await store.close()


async def test_a_burst_of_writes_shares_commits(tmp_path: Path) -> None:
    """A thousand concurrent writes commit in far fewer transactions than writes."""
    store = await _store(tmp_path)
    try:
        conversation = await _conversation(store)
        before = store.db.batches
        messages = [
            MessageRecord(conversation.id, i, f"client-{i:06d}", "shopper", None, f"m{i}", i)
            for i in range(1, 1001)
        ]
        results = await asyncio.gather(
            *[store.db.submit(store.insert_message_op(m)) for m in messages]
        )
        assert all(results)
        assert store.db.batches - before <= 20
        stored = await store.messages_after(conversation.id, 0, 2000)
        assert [m.seq for m in stored] == list(range(1, 1001))
    finally:
        await store.close()


async def test_a_write_queued_as_last_runs_after_the_writes_queued_behind_it(
    tmp_path: Path,
) -> None:
    """An op submitted with `last` runs at the end of its transaction, after writes queued
    later, and the others keep their order: the inserts it would have split are neighbours."""
    store = await _store(tmp_path)
    try:
        conversation = await _conversation(store)
        seen: list[int] = []

        async def counts(conn: WriteConnection) -> int:
            rows = await conn.execute_fetchall("SELECT COUNT(*) FROM messages")
            seen.append(rows[0][0])
            return int(rows[0][0])

        def insert(seq: int) -> Any:
            return store.insert_message_op(
                MessageRecord(conversation.id, seq, f"client-{seq}", "shopper", None, "x", seq)
            )

        # Queued together from one turn of the loop, so they share a transaction.
        futures = [
            store.db.submit(insert(1)),
            store.db.submit(counts, last=True),
            store.db.submit(insert(2)),
            store.db.submit(counts),
            store.db.submit(insert(3)),
        ]
        results = await asyncio.gather(*futures)
        assert results == [True, 3, True, 2, True]
        assert seen == [2, 3]
        stored = await store.messages_after(conversation.id, 0, 10)
        assert [m.seq for m in stored] == [1, 2, 3]
    finally:
        await store.close()


async def test_one_failing_write_does_not_sink_its_batch(tmp_path: Path) -> None:
    """When one write in a batch fails, the others still commit and only it reports the error."""
    store = await _store(tmp_path)
    try:
        conversation = await _conversation(store)
        good = [
            MessageRecord(conversation.id, i, f"client-{i:06d}", "shopper", None, "ok", i)
            for i in (1, 2)
        ]
        # Same seq as the first: violates UNIQUE (conversation_id, seq).
        bad = MessageRecord(conversation.id, 1, "client-bad-01", "shopper", None, "bad", 3)
        futures = [store.db.submit(store.insert_message_op(m)) for m in (good[0], bad, good[1])]
        results = await asyncio.gather(*futures, return_exceptions=True)
        assert results[0] is True and results[2] is True
        assert isinstance(results[1], Exception)
        assert await store.count_messages() == 2
    finally:
        await store.close()


async def test_two_processes_opening_a_new_store_migrate_it_once(tmp_path: Path) -> None:
    """Two `loket agents add --init` at once on a fresh data folder: both succeed, one schema."""
    config = write_config(tmp_path)
    results = await asyncio.gather(
        run_loket(config, "agents", "add", "een", "--init", stdin="wachtwoord een\n"),
        run_loket(config, "agents", "add", "twee", "--init", stdin="wachtwoord twee\n"),
    )
    assert [code for code, _, _ in results] == [0, 0], results
    store = await Store.open(tmp_path / "data" / "loket.db")
    try:
        assert {a.name for a in await store.list_agents()} == {"een", "twee"}
    finally:
        await store.close()


async def test_a_shopper_read_by_id_is_current_after_an_update(tmp_path: Path) -> None:
    """Shoppers are kept in memory by id, and a change is never hidden by that."""
    store = await _store(tmp_path)
    try:
        shopper = await store.create_shopper("p1", customer_id=None, locale="nl", now=1)
        assert await store.shopper_by_id(shopper.id) == shopper
        await store.update_shopper(shopper.id, name="Sanne de Vries", locale="en")
        changed = await store.shopper_by_id(shopper.id)
        assert changed is not None and (changed.name, changed.locale) == ("Sanne de Vries", "en")
        # A read racing an update is not kept: the next read sees the update.
        racing = asyncio.ensure_future(store.shopper_by_id(shopper.id))
        await store.update_shopper(shopper.id, name="Sanne")
        await racing
        latest = await store.shopper_by_id(shopper.id)
        assert latest is not None and latest.name == "Sanne"
        assert await store.shopper_by_id(shopper.id + 1000) is None
    finally:
        await store.close()


async def test_a_file_that_is_no_database_is_refused_and_the_command_ends(
    tmp_path: Path,
) -> None:
    """A broken database file gives a clear error, and the command exits instead of hanging."""
    config = write_config(tmp_path)
    (tmp_path / "data").mkdir(exist_ok=True)
    (tmp_path / "data" / "loket.db").write_bytes(b"this is not a database" * 100)
    code, _, err = await asyncio.wait_for(
        run_loket(config, "agents", "add", "een", stdin="wachtwoord een\n"), 30
    )
    assert code != 0
    assert "cannot open the database" in err


async def test_a_write_op_that_waits_on_something_else_fails_alone(tmp_path: Path) -> None:
    """A transaction runs on the writer's thread in one go: an op awaiting anything but the
    database is refused with a clear error, and the writes batched with it still commit."""
    store = await _store(tmp_path)
    try:
        conversation = await _conversation(store)

        async def waits(conn: WriteConnection) -> None:
            await conn.execute("UPDATE shoppers SET locale = 'en'")
            await asyncio.sleep(0)

        first = MessageRecord(conversation.id, 1, "client-a", "shopper", None, "een", 1)
        second = MessageRecord(conversation.id, 2, "client-b", "shopper", None, "twee", 2)
        results = await asyncio.gather(
            store.db.submit(store.insert_message_op(first)),
            store.db.submit(waits),
            store.db.submit(store.insert_message_op(second)),
            return_exceptions=True,
        )
        assert results[0] is True and results[2] is True
        assert isinstance(results[1], StoreError)
        assert "waited on something other than the database" in str(results[1])
        assert await store.count_messages() == 2
        refreshed = await store.shopper_by_public_id("p1")
        assert refreshed is not None and refreshed.locale is None  # rolled back
    finally:
        await store.close()


def test_only_a_refusing_disk_counts_as_the_store_failing() -> None:
    """A full or read-only disk is the store failing (clients are told to send again, and
    /healthz shows it); a write that breaks a rule of the schema is a bug, not that."""
    assert store_failure(sqlite3.OperationalError("database or disk is full"))
    assert store_failure(StoreError("the writer is not running"))
    assert not store_failure(sqlite3.IntegrityError("UNIQUE constraint failed"))
    assert not store_failure(ValueError("no"))


def _message_op(store: Store, conversation: ConversationRecord, seq: int) -> Any:
    return store.insert_message_op(
        MessageRecord(conversation.id, seq, f"durable-{seq:04d}", "shopper", None, "hoi", seq)
    )


async def test_a_write_is_acknowledged_only_once_the_syncer_has_synced_it(
    tmp_path: Path,
) -> None:
    """A committed batch resolves when the syncer process says the WAL is on disk, not
    before: while the syncer is stopped the write waits, and is done once it runs again."""
    store = await _store(tmp_path)
    try:
        conversation = await _conversation(store)
        sync = store.db._wal_sync
        assert sync is not None and sync.pid is not None
        os.kill(sync.pid, signal.SIGSTOP)
        try:
            write = store.db.submit(_message_op(store, conversation, 1))
            await asyncio.sleep(0.3)
            assert not write.done()
            # Committed all the same: the reader sees it; only the acknowledgement waits.
            assert await store.count_messages() == 1
        finally:
            os.kill(sync.pid, signal.SIGCONT)
        assert await asyncio.wait_for(write, 5) is True
    finally:
        await store.close()


async def test_writes_stay_durable_when_the_syncer_dies_and_it_is_started_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A killed syncer costs no write: the writer's thread syncs until the restart pause
    has passed, and the next batch after it starts a new syncer."""
    synced_on_thread: list[Path] = []
    thread_sync = db_module._fdatasync

    def counted(path: Path) -> None:
        synced_on_thread.append(path)
        thread_sync(path)

    monkeypatch.setattr(db_module, "_fdatasync", counted)
    monkeypatch.setattr(db_module, "SYNCER_RESTART_SECONDS", 1.0)
    store = await _store(tmp_path)
    try:
        conversation = await _conversation(store)
        sync = store.db._wal_sync
        assert sync is not None and sync.pid is not None
        first = sync.pid
        os.kill(first, signal.SIGKILL)
        await asyncio.sleep(0.2)
        assert await store.db.write(_message_op(store, conversation, 1)) is True
        assert await store.db.write(_message_op(store, conversation, 2)) is True
        assert sync.pid is None
        assert len(synced_on_thread) == 2
        await asyncio.sleep(1.0)
        assert await store.db.write(_message_op(store, conversation, 3)) is True
        assert sync.pid is not None and sync.pid != first
        assert len(synced_on_thread) == 2
        assert await store.count_messages() == 3
        await store.db.ping()
    finally:
        await store.close()


async def _refusing_syncer(store: Store, tmp_path: Path) -> None:
    """Start the store's syncer again for a file that is not there: it answers every sync
    with the disk's refusal."""
    sync = store.db._wal_sync
    assert sync is not None
    await sync.close()
    sync._wal = tmp_path / "missing" / "loket.db-wal"
    sync.start()
    assert sync.pid is not None


async def test_a_sync_the_disk_refuses_fails_the_batch_and_refuses_writes_until_a_restart(
    tmp_path: Path,
) -> None:
    """When the syncer answers that the WAL could not be synced, the batch's writes fail
    (they are not acknowledged) and are not run again, and every later write is refused
    without being run, the store reporting itself failing; a restart writes again."""
    store = await _store(tmp_path)
    try:
        conversation = await _conversation(store)
        await _refusing_syncer(store, tmp_path)
        writes = [store.db.submit(_message_op(store, conversation, i)) for i in (1, 2)]
        results = await asyncio.gather(*writes, return_exceptions=True)
        assert all(isinstance(r, StoreError) for r in results), results
        assert "did not confirm" in str(results[0])
        assert await store.count_messages() == 2
        with pytest.raises(StoreError, match="restart Loket"):
            await store.db.write(_message_op(store, conversation, 3))
        assert await store.count_messages() == 2
        with pytest.raises(StoreError, match="writes fail"):
            await store.db.ping()
    finally:
        await store.close()
    store = await _store(tmp_path)
    try:
        conversation = await _conversation(store)
        assert await store.db.write(_message_op(store, conversation, 3)) is True
        await store.db.ping()
    finally:
        await store.close()


async def test_after_a_refused_sync_the_writes_retried_one_by_one_are_not_run(
    tmp_path: Path,
) -> None:
    """A batch that failed is run again write by write; once the disk refuses the sync of
    one of them, the writes after it are refused without being run, not committed after a
    sync the disk may then confirm."""
    store = await _store(tmp_path)
    try:
        conversation = await _conversation(store)
        await _refusing_syncer(store, tmp_path)
        # The second takes the first's sequence number: the batch fails as a whole.
        ops = [_message_op(store, conversation, 1), _message_op(store, conversation, 1)]
        ops.append(_message_op(store, conversation, 2))
        results = await asyncio.gather(*[store.db.submit(op) for op in ops], return_exceptions=True)
        assert "did not confirm" in str(results[0])
        assert all("restart Loket" in str(r) for r in results[1:]), results
        assert await store.count_messages() == 1
    finally:
        await store.close()


async def test_a_write_lock_held_by_another_process_is_waited_for_off_the_event_loop(
    tmp_path: Path,
) -> None:
    """An admin command writing the same file holds the write lock for a moment: the
    server's batch waits for it, and the event loop keeps running meanwhile."""
    store = await _store(tmp_path)
    other = sqlite3.connect(tmp_path / "loket.db", isolation_level=None)
    try:
        conversation = await _conversation(store)
        other.execute("BEGIN IMMEDIATE")
        loop = asyncio.get_running_loop()
        write = store.db.submit(_message_op(store, conversation, 1))
        started = loop.time()
        ticks = 0
        while loop.time() - started < 0.3:
            await asyncio.sleep(0.01)
            ticks += 1
        assert ticks >= 15  # the loop was not held up by the waiting batch
        assert not write.done()
        other.execute("COMMIT")
        assert await asyncio.wait_for(write, 5) is True
    finally:
        other.close()
        await store.close()


async def test_committed_pages_reach_the_database_file_without_a_commit_copying_them(
    tmp_path: Path,
) -> None:
    """The checkpointer moves committed pages into the database file shortly after the
    commits, though the writer's own connection would wait for thousands of pages."""
    store = await _store(tmp_path)
    path = tmp_path / "loket.db"
    try:
        row = await store.db.fetch_one("PRAGMA page_size")
        assert row is not None
        conversation = await _conversation(store)
        await asyncio.sleep(0.5)
        before = path.stat().st_size
        text = "x" * 2000
        writes = [
            store.db.submit(
                store.insert_message_op(
                    MessageRecord(conversation.id, i, f"big-{i}", "shopper", None, text, i)
                )
            )
            for i in range(1, 201)
        ]
        await asyncio.gather(*writes)
        deadline = asyncio.get_running_loop().time() + 5
        while path.stat().st_size < before + 50 * row[0]:
            assert asyncio.get_running_loop().time() < deadline, "no checkpoint"
            await asyncio.sleep(0.05)
    finally:
        await store.close()


async def test_closing_the_store_ends_its_syncer_and_checkpointer(tmp_path: Path) -> None:
    store = await _store(tmp_path)
    await _conversation(store)
    sync = store.db._wal_sync
    assert sync is not None and sync.pid is not None
    pid = sync.pid
    await store.close()
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
    assert not any(t.name == "loket-store-checkpoint" for t in threading.enumerate())


async def test_a_store_opened_through_a_symbolic_link_syncs_the_wal_sqlite_writes(
    tmp_path: Path,
) -> None:
    """SQLite names the WAL after the file a link points to: that WAL is the one synced."""
    real = tmp_path / "disk" / "loket.db"
    store = await Store.open(real)
    await store.close()
    link = tmp_path / "loket.db"
    link.symlink_to(real)
    store = await Store.open(link)
    try:
        sync = store.db._wal_sync
        assert sync is not None and sync._wal == Path(f"{real}-wal")
        conversation = await _conversation(store)
        assert await store.db.write(_message_op(store, conversation, 1)) is True
        await store.db.ping()
    finally:
        await store.close()


async def test_the_wal_starts_over_under_steady_writes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With writes never pausing, the checkpointer alone never copies the whole WAL, so
    SQLite would never start it over: past `CATCH_UP_PAGES` the writer finishes the copy
    between two batches, and the WAL file stays about that size."""
    monkeypatch.setattr(db_module, "CATCH_UP_PAGES", 100)
    monkeypatch.setattr(db_module, "CHECKPOINT_DELAY_SECONDS", 0.01)
    store = await _store(tmp_path)
    wal = tmp_path / "loket.db-wal"
    try:
        conversation = await _conversation(store)
        text = "x" * 3000
        seq = 0
        for _ in range(60):
            # Each round's writes are queued while the previous ones commit: no pause.
            batch = []
            for _ in range(20):
                seq += 1
                message = MessageRecord(conversation.id, seq, f"s-{seq}", "shopper", None, text, 1)
                batch.append(store.db.submit(store.insert_message_op(message)))
            await asyncio.sleep(0.005)
            await asyncio.gather(*batch)
        # 1,200 messages of 3 KB: about 1,200 pages written; the WAL holds far fewer.
        assert wal.stat().st_size < 600 * 4096
    finally:
        await store.close()
