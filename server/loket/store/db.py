"""SQLite connections: migrations at open, one batching writer, a separate reader.

Writes are queued and committed together: while one transaction commits, the next
writes gather, so a burst of messages costs one commit per batch rather than one
commit per message. A write's future resolves only after its transaction committed and
the disk has it, which is what lets the server acknowledge a message as durable. Reads
use their own connection and so never see a write that has not committed (SQLite WAL
mode).

A batch's transaction (BEGIN, every write, COMMIT) runs on the event loop in one go, with
`synchronous=NORMAL`: in WAL mode that writes the WAL file without syncing it (but for
the WAL's header, synced once each time the WAL starts over after a checkpoint). The sync
that `synchronous=FULL` would add after each commit is made by a child process
(`loket.store.syncer`), and the batch's futures resolve when it reports back. A sync the
disk refuses stops all writes until a restart, as a database does. Run on a thread
instead, a transaction gave up the interpreter lock at every SQLite call and waited to
take it back from the busy event loop, each time. Should another process hold the write
lock (an admin command), the batch waits for it on the writer's thread, never on the loop.

Committed pages are moved from the WAL into the database file by a `Checkpointer` on a
thread and connection of its own, never by a commit, so no write waits for that copy.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import os
import sqlite3
import stat
import subprocess
import sys
import threading
import time
from collections.abc import Awaitable, Callable, Coroutine, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, Literal, TypeVar

import aiosqlite

from loket.store import syncer

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


# The writer's own connection checkpoints only once the WAL holds this many pages (about
# 80 MB): a bound on the WAL should the checkpointer stop.
WRITER_CHECKPOINT_PAGES = 20_000
# After a commit the checkpointer waits this long, gathering further commits, before it
# moves the WAL's pages into the database file.
CHECKPOINT_DELAY_SECONDS = 0.1
# Past this many pages in the WAL (about 32 MB) the writer finishes the checkpointer's work
# between two batches, so that the WAL starts over (see `Checkpointer`): under steady load
# a pause of a few milliseconds every second or so, where SQLite's own checkpoints took
# about 3 ms every 120 batches.
CATCH_UP_PAGES = 8_000

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


class _WriterBusy(Exception):
    """Another connection holds the write lock: the batch waits for it off the loop."""


class _NotDurable(StoreError):
    """A batch committed, but the disk did not confirm it: its writes are failed, not retried."""


class _BulkConflict(Exception):
    """A bulk insert skipped rows: its writes are retried one by one to tell which."""


@dataclass(frozen=True, slots=True)
class BulkInsert:
    """An insert that shares one `executemany` with its neighbours in a batch.

    Its result says whether the row was inserted (an insert that may skip a row, with
    `OR IGNORE` or `ON CONFLICT`, says so). In a batch, consecutive bulk inserts of the same
    `sql` go to SQLite in one call on the connection's thread instead of one call each.
    """

    sql: str
    params: tuple[Any, ...]

    async def __call__(self, conn: WriteConnection) -> bool:
        cursor = await conn.execute(self.sql, self.params)
        return cursor.rowcount == 1


class _Pending:
    """A queued write: its op, whether it goes last, and the future its caller awaits.
    (A plain class: a dataclass's default factory costs a call more per write.)"""

    __slots__ = ("future", "last", "op")

    def __init__(self, op: WriteOp, last: bool, future: asyncio.Future[Any]) -> None:
        self.op = op
        self.last = last
        self.future = future


# A syncer process that died is started again at most this often (meanwhile the writer's
# thread syncs).
SYNCER_RESTART_SECONDS = 10.0


class _SyncerGone(Exception):
    pass


class WalSync:
    """Makes committed batches durable: syncs the WAL file once per batch.

    Asks the syncer process (see `loket.store.syncer`); without one (it could not be
    started, or died and is not yet started again) the writer's thread syncs instead, the
    same way. One sync at a time: the writer waits for each before its next batch.
    """

    def __init__(self, wal: Path, thread: ThreadPoolExecutor) -> None:
        self._wal = wal
        self._thread = thread
        self._process: subprocess.Popen[bytes] | None = None
        # Requests sent and not yet answered (more than one only after a sync was
        # cancelled), and the future of the newest, which only its own answer settles.
        self._unanswered = 0
        self._waiting: asyncio.Future[int] | None = None
        self._start_after = 0.0

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    def start(self) -> None:
        """Start the syncer process (at open; again later, after it died)."""
        loop = asyncio.get_running_loop()
        self._start_after = loop.time() + SYNCER_RESTART_SECONDS
        try:
            process = subprocess.Popen(
                [sys.executable, "-I", syncer.__file__, str(self._wal)],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                bufsize=0,
            )
        except OSError as exc:
            log.warning("store syncer could not start (the writer's thread syncs): %s", exc)
            return
        assert process.stdout is not None
        os.set_blocking(process.stdout.fileno(), False)
        loop.add_reader(process.stdout.fileno(), self._on_reply)
        self._process = process

    def _on_reply(self) -> None:
        assert self._process is not None and self._process.stdout is not None
        try:
            data = os.read(self._process.stdout.fileno(), 4096)
        except BlockingIOError:
            return
        except OSError:
            data = b""
        if not data:
            log.warning("store syncer ended; the writer's thread syncs until it is restarted")
            waiting, self._waiting = self._waiting, None
            self._stop()
            if waiting is not None and not waiting.done():
                waiting.set_exception(_SyncerGone())
            return
        self._unanswered -= len(data) // syncer.REPLY.size
        if self._unanswered <= 0:
            self._unanswered = 0
            waiting, self._waiting = self._waiting, None
            if waiting is not None and not waiting.done():
                (error,) = syncer.REPLY.unpack(data[-syncer.REPLY.size :])
                waiting.set_result(error)

    async def sync(self) -> None:
        """Return once the WAL file is on disk, as far as it was written when called;
        raise OSError if the disk refused."""
        loop = asyncio.get_running_loop()
        if self._process is None and loop.time() >= self._start_after:
            self.start()
        error: int | None = None
        if self._process is not None:
            assert self._process.stdin is not None
            waiting = self._waiting = loop.create_future()
            try:
                self._process.stdin.write(b"s")
                self._unanswered += 1
                error = await waiting
            except (OSError, _SyncerGone):
                self._waiting = None
                self._stop()
        if error is None:
            await loop.run_in_executor(self._thread, _fdatasync, self._wal)
        elif error:
            raise OSError(error, f"syncing {self._wal.name}: {os.strerror(error)}")

    def _stop(self) -> asyncio.Future[None] | None:
        """Let the process go (it ends when its stdin closes); the future is its end,
        waited for on a worker thread."""
        self._unanswered = 0
        process, self._process = self._process, None
        if process is None:
            return None
        assert process.stdin is not None and process.stdout is not None
        loop = asyncio.get_running_loop()
        loop.remove_reader(process.stdout.fileno())
        with contextlib.suppress(OSError):
            process.stdin.close()
        process.stdout.close()
        return loop.run_in_executor(None, _reap, process)

    async def close(self) -> None:
        ending = self._stop()
        if ending is not None:
            await ending


def _reap(process: subprocess.Popen[bytes]) -> None:
    try:
        process.wait(timeout=5)
    except subprocess.TimeoutExpired:
        log.warning("store syncer did not end; killing it")
        process.kill()


# Where the platform has no fdatasync (macOS), fsync syncs as much and more.
_datasync = getattr(os, "fdatasync", os.fsync)


def _fdatasync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    try:
        _datasync(fd)
    finally:
        os.close(fd)


class Checkpointer:
    """Moves committed pages from the WAL into the database file, off the commit path.

    By default SQLite checkpoints on the committing connection whenever the WAL holds
    1,000 pages: under load one batch in about a hundred then also copied those pages into
    the database file and synced it, and every write queued behind it waited as well. Here
    a connection of its own does it, on a thread of its own (SQLite releases the
    interpreter lock while it copies), shortly after commits, in PASSIVE mode: it never
    waits for the writer and the writer never waits for it. An idle store costs nothing.

    Under steady writes it never quite catches up: by the time it has copied what the WAL
    held when it began, more was committed, and SQLite starts the WAL over only when a
    write begins with all of it copied. So once the WAL holds `CATCH_UP_PAGES`, it asks the
    writer (`catch_up`) to checkpoint between two batches, on the writer's thread: with
    the bulk copied already, that takes what was committed since, and the next write starts
    the WAL over.
    """

    def __init__(self, path: Path, delay: float = CHECKPOINT_DELAY_SECONDS) -> None:
        self._path = path
        self._delay = delay
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self._run, name="loket-store-checkpoint", daemon=True
        )
        self.checkpoints = 0
        self._failing = False
        # Set by this thread, read and cleared by the writer on the event loop.
        self.catch_up = False

    def start(self) -> None:
        self._thread.start()

    def committed(self) -> None:
        """A transaction committed: its pages go to the database file shortly."""
        if not self._wake.is_set():
            self._wake.set()

    def stop(self) -> None:
        """Stop the thread, waiting for a checkpoint under way (blocks: call off the loop)."""
        self._stop.set()
        self._wake.set()
        if self._thread.is_alive():
            self._thread.join()

    def _run(self) -> None:
        try:
            conn = sqlite3.connect(self._path, isolation_level=None, check_same_thread=False)
        except sqlite3.Error as exc:
            log.warning("store checkpoints: cannot open %s: %s", self._path, exc)
            return
        try:
            conn.execute("PRAGMA busy_timeout=1000")
            while not self._stop.is_set():
                self._wake.wait()
                if self._stop.wait(self._delay):
                    return
                # Cleared before the copy: a commit during it asks for the next one.
                self._wake.clear()
                self._checkpoint(conn)
        finally:
            conn.close()

    def _checkpoint(self, conn: sqlite3.Connection) -> None:
        try:
            ((_busy, in_wal, _copied),) = conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
        except sqlite3.Error as exc:
            if not self._failing:
                log.warning("store checkpoint failed (the WAL grows until one succeeds): %s", exc)
            self._failing = True
            return
        if self._failing:
            log.info("store checkpoints succeed again")
        self._failing = False
        self.checkpoints += 1
        if in_wal >= CATCH_UP_PAGES:
            self.catch_up = True


def _migrations() -> list[tuple[int, str]]:
    folder = resources.files("loket.store") / "migrations"
    found = []
    for entry in folder.iterdir():
        name = entry.name
        if name.endswith(".sql") and name[:4].isdigit():
            found.append((int(name[:4]), entry.read_text(encoding="utf-8")))
    return sorted(found)


def _keep_private(path: Path) -> None:
    """Make the store's files readable by nobody but their owner and group: they hold
    password hashes and shoppers' contact details. A new database file is made so here
    (SQLite gives its WAL and shared-memory files the database file's permissions); one
    that others may read, from before, loses their permission, with a line in the log."""
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        return
    except FileExistsError:
        pass
    except OSError:
        return  # not ours to make (a read-only folder): SQLite says why
    for file in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        try:
            mode = stat.S_IMODE(file.stat().st_mode)
            if mode & 0o007:
                file.chmod(mode & ~0o007)
                log.warning("%s was readable by every user of this machine; now it is not", file)
        except OSError:
            continue


class Database:
    """The SQLite file: a writer that batches, a reader, and schema migrations."""

    def __init__(
        self,
        writer: sqlite3.Connection,
        thread: ThreadPoolExecutor,
        reader: aiosqlite.Connection,
        *,
        batch_max: int,
        checkpointer: Checkpointer | None = None,
        wal_sync: WalSync | None = None,
    ) -> None:
        self._writer = writer
        self._checkpointer = checkpointer
        self._wal_sync = wal_sync
        self._thread = thread
        self._reader = reader
        self._batch_max = batch_max
        self._queue: asyncio.Queue[_Pending | None] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None
        self.batches = 0
        self.writes = 0
        # Seconds spent in transactions on the event loop, and waiting for syncs, since open.
        self.transaction_seconds = 0.0
        self.sync_seconds = 0.0
        # Why writes are refused until a restart: a sync the disk refused (see `_transaction`).
        self._refused: str | None = None
        # The last write the disk refused (monotonic time, reason), until one succeeds.
        self.write_failed: tuple[float, str] | None = None

    @classmethod
    async def open(
        cls, path: Path, *, batch_max: int = 512, synchronous: Synchronous = "full"
    ) -> Database:
        """Open (creating if needed) the database at `path` and bring its schema up to date."""
        if str(path) != ":memory:":
            path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            _keep_private(path)
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
            await on_thread(
                lambda: conn.execute(f"PRAGMA wal_autocheckpoint={WRITER_CHECKPOINT_PAGES}")
            )
            await _when_unlocked(lambda: on_thread(lambda: _drive(_migrate(WriteConnection(conn)))))
            # Transactions run on the event loop from here on, which must never wait for
            # another process's lock: one held is waited for on the thread (`_WriterBusy`).
            await on_thread(lambda: conn.execute("PRAGMA busy_timeout=0"))
            if synchronous == "full" and str(path) != ":memory:":
                # FULL's sync after each commit is made by the syncer (`WalSync`).
                await on_thread(lambda: conn.execute("PRAGMA synchronous=NORMAL"))
            # The file SQLite writes to (symbolic links resolved), whose WAL is synced.
            rows = await on_thread(lambda: conn.execute("PRAGMA database_list").fetchall())
            main_file = next((row[2] for row in rows if row[1] == "main"), "")
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
        on_disk = bool(main_file)
        checkpointer = Checkpointer(Path(main_file)) if on_disk else None
        durable = on_disk and synchronous == "full"
        wal_sync = WalSync(Path(f"{main_file}-wal"), thread) if durable else None
        db = cls(
            writer,
            thread,
            reader,
            batch_max=batch_max,
            checkpointer=checkpointer,
            wal_sync=wal_sync,
        )
        if checkpointer is not None:
            checkpointer.start()
        if wal_sync is not None:
            wal_sync.start()
        db._task = asyncio.create_task(db._write_loop(), name="loket-store-writer")
        return db

    async def close(self) -> None:
        """Finish the queued writes, then close both connections."""
        loop = asyncio.get_running_loop()
        try:
            if self._task is not None:
                await self._queue.put(None)
                task, self._task = self._task, None
                await task
        finally:
            if self._checkpointer is not None:
                await loop.run_in_executor(None, self._checkpointer.stop)
            if self._wal_sync is not None:
                await self._wal_sync.close()
            await self._reader.close()
            await loop.run_in_executor(self._thread, self._writer.close)
            self._thread.shutdown(wait=False)

    # -- writing -----------------------------------------------------------------

    def submit(
        self, op: Callable[[WriteConnection], Awaitable[T]], *, last: bool = False
    ) -> asyncio.Future[T]:
        """Queue `op` for the next transaction; the future resolves once it has committed.

        With `last`, the op runs after the transaction's other writes, queued before or
        after it: for an op that depends on none of the writes queued after it and that no
        other write depends on. Then the inserts around it stay one `executemany` (see
        `BulkInsert`) instead of being split by it.
        """
        if self._task is None:
            raise StoreError("the store is closed")
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        self._queue.put_nowait(_Pending(op, last, future))
        return future

    async def write(self, op: Callable[[WriteConnection], Awaitable[T]]) -> T:
        """Run `op` in a batched transaction and return its result after the commit."""
        return await self.submit(op)

    async def _write_loop(self) -> None:
        while True:
            first = await self._queue.get()
            if first is None:
                return
            batch = [first]
            last = first.last
            stop = False
            while len(batch) < self._batch_max and not self._queue.empty():
                item = self._queue.get_nowait()
                if item is None:
                    stop = True
                    break
                batch.append(item)
                last = last or item.last
            if last:
                batch = [p for p in batch if not p.last] + [p for p in batch if p.last]
            await self._commit(batch)
            if self._checkpointer is not None and self._checkpointer.catch_up:
                self._checkpointer.catch_up = False
                await self._catch_up()
            if stop:
                return

    def _checkpoint_on_writer(self) -> None:
        # Read to its end: a statement left running would make the next COMMIT fail
        # ("SQL statements in progress").
        self._writer.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()

    async def _catch_up(self) -> None:
        """Checkpoint on the writer's connection, between batches (see `Checkpointer`)."""
        loop = asyncio.get_running_loop()
        try:
            await loop.run_in_executor(self._thread, self._checkpoint_on_writer)
        except sqlite3.Error as exc:
            log.warning("store checkpoint between batches failed: %s", exc)

    async def _commit(self, batch: list[_Pending]) -> None:
        if self._refused is not None:
            for pending in batch:
                _settle(pending.future, error=StoreError(self._refused))
            return
        try:
            results = await self._transaction([p.op for p in batch])
        except _NotDurable as exc:
            # Committed, so not to be run again; but not acknowledged either.
            for pending in batch:
                _settle(pending.future, error=exc)
            return
        except Exception as exc:
            if len(batch) == 1:
                self._note_failure(exc)
                _settle(batch[0].future, error=exc)
                return
            # One bad write must not sink the others: run each in its own transaction.
            if not isinstance(exc, _BulkConflict):
                log.warning("batch of %d writes failed (%s); retrying one by one", len(batch), exc)
            for pending in batch:
                if self._refused is not None:
                    # A sync failed for one of them: nothing after it is written or acked.
                    _settle(pending.future, error=StoreError(self._refused))
                    continue
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
        if self._checkpointer is not None:
            self._checkpointer.committed()
        for pending, result in zip(batch, results, strict=True):
            _settle(pending.future, result=result)

    def _note_failure(self, error: BaseException) -> None:
        if store_failure(error):
            self.write_failed = (time.monotonic(), str(error))

    async def _transaction(self, ops: list[WriteOp]) -> list[Any]:
        """Run `ops` in one transaction, then make it durable; return their results."""
        started = time.perf_counter()
        try:
            results = self._run_transaction(ops)
        except _WriterBusy:
            loop = asyncio.get_running_loop()
            results = await loop.run_in_executor(self._thread, self._run_waiting, ops)
        finally:
            committed = time.perf_counter()
            self.transaction_seconds += committed - started
        if self._wal_sync is not None:
            try:
                await self._wal_sync.sync()
            except Exception as exc:
                # The batch is committed and later ones would be written after it, but a
                # failed sync may have dropped its pages from the page cache, and a crash
                # then loses it and every batch after it (the WAL's checksums are chained).
                # As a database does after a failed sync: no more writes until a restart.
                self._refused = (
                    f"writes refused since the disk failed to sync the WAL ({exc});"
                    " check the disk, then restart Loket"
                )
                log.error("store: %s", self._refused)
                self.write_failed = (time.monotonic(), self._refused)
                raise _NotDurable(f"the disk did not confirm the write: {exc}") from exc
            finally:
                self.sync_seconds += time.perf_counter() - committed
        return results

    def _run_waiting(self, ops: list[WriteOp]) -> list[Any]:
        """`_run_transaction` on the writer's thread, waiting for the write lock."""
        self._writer.execute("PRAGMA busy_timeout=5000")
        try:
            return self._run_transaction(ops, on_loop=False)
        finally:
            self._writer.execute("PRAGMA busy_timeout=0")

    def _run_transaction(self, ops: list[WriteOp], *, on_loop: bool = True) -> list[Any]:
        """One transaction of `ops`, run to its end without yielding."""
        raw = self._writer
        conn = WriteConnection(raw)
        try:
            raw.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            if on_loop and ("locked" in str(exc) or "busy" in str(exc)):
                raise _WriterBusy() from exc
            raise
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
                        results.append(raw.execute(op.sql, op.params).rowcount == 1)
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
        if self._refused is not None:
            raise StoreError(f"writes fail: {self._refused}")
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
