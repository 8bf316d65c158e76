"""SQLite connections: migrations at open, one batching writer, a separate reader.

Writes are queued and committed together: while one transaction commits, the next
writes gather, so a burst of messages costs one commit per batch rather than one
commit per message. A write's future resolves only after its transaction committed,
which is what lets the server acknowledge a message as durable. Reads use their own
connection and so never see a write that has not committed (SQLite WAL mode).

The writer's connection lives on a thread of its own and a whole transaction (BEGIN,
every write of the batch, COMMIT) runs there in one go: one hand-over between the
event loop and the thread per batch, not one per statement, so a busy event loop does
not stretch the time a batch holds the write lock.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import sqlite3
import time
from collections.abc import Awaitable, Callable, Coroutine, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Literal, TypeVar

import aiosqlite

log = logging.getLogger(__name__)

T = TypeVar("T")


class WriteConnection:
    """The writer's connection as write ops see it.

    Its calls are coroutines so that an op reads like any other async code, but they run
    at once, on the writer's thread, where the op itself runs: an op must await nothing
    else.
    """

    __slots__ = ("_conn",)

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    async def execute(self, sql: str, params: Iterable[Any] = ()) -> sqlite3.Cursor:
        return self._conn.execute(sql, tuple(params))

    async def executemany(self, sql: str, rows: Iterable[tuple[Any, ...]]) -> sqlite3.Cursor:
        return self._conn.executemany(sql, rows)

    async def execute_fetchall(self, sql: str, params: Iterable[Any] = ()) -> list[Any]:
        return self._conn.execute(sql, tuple(params)).fetchall()

    @property
    def total_changes(self) -> int:
        return self._conn.total_changes


WriteOp = Callable[[WriteConnection], Awaitable[Any]]


def _drive(step: Awaitable[T]) -> T:
    """Run a write op's coroutine to its end, here and now (it awaits only the database)."""
    assert isinstance(step, Coroutine)
    try:
        step.send(None)
    except StopIteration as done:
        result: T = done.value
        return result
    step.close()
    raise StoreError("a write op waited on something other than the database")


Synchronous = Literal["full", "normal"]


# A failed write makes the store unhealthy for this long, unless a write succeeds.
WRITE_FAILURE_SECONDS = 60.0


def store_failure(error: BaseException) -> bool:
    """Whether `error` is the store failing (the disk or the file refused: full, read-only,
    an I/O error), which a retry may get past; not a write that breaks a rule of the
    schema, which is a bug and says nothing about the store's health."""
    if isinstance(error, StoreError | sqlite3.OperationalError):
        return True
    return isinstance(error, sqlite3.DatabaseError) and not isinstance(
        error, sqlite3.IntegrityError
    )


class StoreError(Exception):
    """The store could not do what was asked (the disk, the file, or a broken invariant)."""


class _BulkConflict(Exception):
    """A bulk insert skipped rows: its writes are retried one by one to tell which."""


@dataclass(frozen=True, slots=True)
class BulkInsert:
    """An insert that shares one `executemany` with its neighbours in a batch.

    Called on its own, it runs `single_sql` (with RETURNING) and says whether the row was
    inserted; in a batch, consecutive bulk inserts of the same `sql` go to SQLite in one
    call on the connection's thread instead of one call each.
    """

    sql: str
    single_sql: str
    params: tuple[Any, ...]

    async def __call__(self, conn: WriteConnection) -> bool:
        rows = await conn.execute_fetchall(self.single_sql, self.params)
        return len(list(rows)) == 1


@dataclass(slots=True)
class _Pending:
    op: WriteOp
    future: asyncio.Future[Any] = field(
        default_factory=lambda: asyncio.get_running_loop().create_future()
    )


def _migrations() -> list[tuple[int, str]]:
    folder = resources.files("loket.store") / "migrations"
    found = []
    for entry in folder.iterdir():
        name = entry.name
        if name.endswith(".sql") and name[:4].isdigit():
            found.append((int(name[:4]), entry.read_text(encoding="utf-8")))
    return sorted(found)


class Database:
    """The SQLite file: a writer that batches, a reader, and schema migrations."""

    def __init__(
        self,
        writer: sqlite3.Connection,
        thread: ThreadPoolExecutor,
        reader: aiosqlite.Connection,
        *,
        batch_max: int,
    ) -> None:
        self._writer = writer
        self._thread = thread
        self._reader = reader
        self._batch_max = batch_max
        self._queue: asyncio.Queue[_Pending | None] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None
        self.batches = 0
        self.writes = 0
        # The last write the disk refused (monotonic time, reason), until one succeeds.
        self.write_failed: tuple[float, str] | None = None

    @classmethod
    async def open(
        cls, path: Path, *, batch_max: int = 512, synchronous: Synchronous = "full"
    ) -> Database:
        """Open (creating if needed) the database at `path` and bring its schema up to date."""
        if str(path) != ":memory:":
            path.parent.mkdir(parents=True, exist_ok=True)
        loop = asyncio.get_running_loop()
        thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="loket-store-writer")

        async def on_thread(call: Callable[[], T]) -> T:
            return await loop.run_in_executor(thread, call)

        writer: sqlite3.Connection | None = None
        reader: aiosqlite.Connection | None = None
        try:
            writer = await on_thread(
                functools.partial(
                    sqlite3.connect, path, isolation_level=None, check_same_thread=False
                )
            )
            conn = writer
            # First, so that another process creating the same database at the same
            # moment (switching it to WAL, migrating) is waited for, not an error.
            await on_thread(lambda: conn.execute("PRAGMA busy_timeout=5000"))
            # SQLite does not always wait for a lock here (switching a new file to WAL
            # while another process does the same): try again for a few seconds.
            await _when_unlocked(lambda: on_thread(lambda: conn.execute("PRAGMA journal_mode=WAL")))
            await on_thread(lambda: conn.execute(f"PRAGMA synchronous={synchronous.upper()}"))
            await on_thread(lambda: conn.execute("PRAGMA foreign_keys=ON"))
            await _when_unlocked(lambda: on_thread(lambda: _drive(_migrate(WriteConnection(conn)))))
            reader = await aiosqlite.connect(path, isolation_level=None)
            await reader.execute("PRAGMA busy_timeout=5000")
            await reader.execute("PRAGMA query_only=ON")
        except (sqlite3.Error, OSError) as exc:
            # A connection left open keeps its thread, and the process, alive.
            if reader is not None:
                with contextlib.suppress(sqlite3.Error):
                    await reader.close()
            if writer is not None:
                with contextlib.suppress(sqlite3.Error):
                    await on_thread(writer.close)
            thread.shutdown(wait=False)
            raise StoreError(f"{path}: cannot open the database: {exc}") from exc
        reader.row_factory = sqlite3.Row
        writer.row_factory = sqlite3.Row
        db = cls(writer, thread, reader, batch_max=batch_max)
        db._task = asyncio.create_task(db._write_loop(), name="loket-store-writer")
        return db

    async def close(self) -> None:
        """Finish the queued writes, then close both connections."""
        if self._task is not None:
            await self._queue.put(None)
            await self._task
            self._task = None
        await self._reader.close()
        await asyncio.get_running_loop().run_in_executor(self._thread, self._writer.close)
        self._thread.shutdown(wait=False)

    # -- writing -----------------------------------------------------------------

    def submit(self, op: Callable[[WriteConnection], Awaitable[T]]) -> asyncio.Future[T]:
        """Queue `op` for the next transaction; the future resolves once it has committed."""
        if self._task is None:
            raise StoreError("the store is closed")
        pending = _Pending(op)
        self._queue.put_nowait(pending)
        return pending.future

    async def write(self, op: Callable[[WriteConnection], Awaitable[T]]) -> T:
        """Run `op` in a batched transaction and return its result after the commit."""
        return await self.submit(op)

    async def _write_loop(self) -> None:
        while True:
            first = await self._queue.get()
            if first is None:
                return
            batch = [first]
            stop = False
            while len(batch) < self._batch_max and not self._queue.empty():
                item = self._queue.get_nowait()
                if item is None:
                    stop = True
                    break
                batch.append(item)
            await self._commit(batch)
            if stop:
                return

    async def _commit(self, batch: list[_Pending]) -> None:
        try:
            results = await self._transaction([p.op for p in batch])
        except Exception as exc:
            if len(batch) == 1:
                self._note_failure(exc)
                _settle(batch[0].future, error=exc)
                return
            # One bad write must not sink the others: run each in its own transaction.
            if not isinstance(exc, _BulkConflict):
                log.warning("batch of %d writes failed (%s); retrying one by one", len(batch), exc)
            for pending in batch:
                try:
                    (result,) = await self._transaction([pending.op])
                except Exception as single:
                    self._note_failure(single)
                    _settle(pending.future, error=single)
                else:
                    self.write_failed = None
                    _settle(pending.future, result=result)
            return
        self.write_failed = None
        self.batches += 1
        self.writes += len(batch)
        for pending, result in zip(batch, results, strict=True):
            _settle(pending.future, result=result)

    def _note_failure(self, error: BaseException) -> None:
        if store_failure(error):
            self.write_failed = (time.monotonic(), str(error))

    async def _transaction(self, ops: list[WriteOp]) -> list[Any]:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._thread, self._run_transaction, ops)

    def _run_transaction(self, ops: list[WriteOp]) -> list[Any]:
        """One transaction of `ops`, on the writer's thread."""
        raw = self._writer
        conn = WriteConnection(raw)
        raw.execute("BEGIN IMMEDIATE")
        try:
            results: list[Any] = []
            index = 0
            while index < len(ops):
                op = ops[index]
                run = 1
                if isinstance(op, BulkInsert):
                    while (
                        index + run < len(ops)
                        and isinstance(ops[index + run], BulkInsert)
                        and ops[index + run].sql == op.sql  # type: ignore[attr-defined]
                    ):
                        run += 1
                if run > 1:
                    bulk = ops[index : index + run]
                    before = raw.total_changes
                    raw.executemany(op.sql, [b.params for b in bulk])  # type: ignore[attr-defined]
                    if raw.total_changes - before != run:
                        raise _BulkConflict()
                    results.extend([True] * run)
                else:
                    results.append(_drive(op(conn)))
                index += run
            raw.execute("COMMIT")
        except BaseException:
            try:
                raw.execute("ROLLBACK")
            except sqlite3.Error:
                log.exception("rollback failed")
            raise
        return results

    # -- reading -----------------------------------------------------------------

    async def fetch_all(self, sql: str, params: tuple[Any, ...] = ()) -> list[sqlite3.Row]:
        """Rows of a read-only query, as committed."""
        # One call on the connection's thread: the statement runs to its end at once, so
        # reads never overlap and each one sees everything committed before it began.
        # (Interleaved open cursors would keep one read snapshot alive indefinitely.)
        rows = await self._reader.execute_fetchall(sql, params)
        return list(rows)

    async def fetch_one(self, sql: str, params: tuple[Any, ...] = ()) -> sqlite3.Row | None:
        """The first row of a read-only query, or None."""
        rows = await self.fetch_all(sql, params)
        return rows[0] if rows else None

    async def ping(self) -> None:
        """Raise StoreError unless both connections answer and writes have not failed in
        the last `WRITE_FAILURE_SECONDS` (with none succeeding since)."""
        try:
            await self.fetch_one("SELECT 1")
            if self._task is None or self._task.done():
                raise StoreError("the writer is not running")
        except sqlite3.Error as exc:
            raise StoreError(str(exc)) from exc
        failed = self.write_failed
        if failed is not None and time.monotonic() - failed[0] < WRITE_FAILURE_SECONDS:
            raise StoreError(f"writes fail: {failed[1]}")


def _settle(
    future: asyncio.Future[Any], *, result: Any = None, error: BaseException | None = None
) -> None:
    if future.done():
        return
    if error is not None:
        future.set_exception(error if isinstance(error, Exception) else StoreError(str(error)))
    else:
        future.set_result(result)


def _statements(script: str) -> list[str]:
    """The statements of a migration script, whole (comments and blank lines dropped)."""
    statements: list[str] = []
    pending = ""
    for line in script.splitlines():
        if not pending and (not line.strip() or line.lstrip().startswith("--")):
            continue
        pending += line + "\n"
        if sqlite3.complete_statement(pending):
            statements.append(pending.strip())
            pending = ""
    if pending.strip():
        raise StoreError(f"migration ends in an incomplete statement: {pending.strip()[:60]}")
    return statements


async def _when_unlocked(step: Callable[[], Awaitable[Any]], seconds: float = 10.0) -> None:
    """Run `step`, again while another connection holds the lock, for at most `seconds`."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    pause = 0.01
    while True:
        try:
            await step()
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) and "busy" not in str(exc):
                raise
            if loop.time() + pause > deadline:
                raise
        await asyncio.sleep(pause)
        pause = min(pause * 2, 0.5)


async def _migrate(conn: WriteConnection) -> None:
    # One transaction holding the write lock: two processes opening a new file at once
    # migrate it once, the second waiting (busy_timeout) and then finding it done.
    await conn.execute("BEGIN IMMEDIATE")
    try:
        rows = await conn.execute_fetchall("PRAGMA user_version")
        current = int(rows[0][0]) if rows else 0
        for version, script in _migrations():
            if version <= current:
                continue
            log.info("applying store migration %04d", version)
            for statement in _statements(script):
                await conn.execute(statement)
            await conn.execute(f"PRAGMA user_version={version}")
        await conn.execute("COMMIT")
    except BaseException:
        await conn.execute("ROLLBACK")
        raise
