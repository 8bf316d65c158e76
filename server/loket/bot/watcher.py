"""Hot reload of FAQ files: reload on change, keeping the last good version of a broken file."""

from __future__ import annotations

import asyncio
import functools
import json
import logging
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from watchfiles import Change, awatch

from loket.bot.faq import (
    FAQ_SUFFIXES,
    FaqEntry,
    FaqError,
    FaqFile,
    FaqSet,
    LiveFaq,
    faq_paths,
    merge_faq_files,
    read_faq_file_text,
)
from loket.plaintext import phrasing_key

logger = logging.getLogger(__name__)

# In the folder of kept copies: which file each live id came from, and the phrasings each
# entry had in its file but not live (another entry's), so a restart keeps the entry that was
# live when a new file repeats its id or a phrasing. JSON: {"ids": {id: path}, "withheld":
# {id: [phrasing keys]}}; a file of the first form, {id: path}, is read too.
LIVE_IDS = "live-ids.json"


def kept_copies_dir(data_dir: Path) -> Path:
    """Where the server keeps the last good version of each FAQ file, beside its data."""
    return data_dir / "faq-last-good"


# Supervision: after a failure the watcher waits this long, doubling up to the cap.
_FIRST_BACKOFF = 0.5
_MAX_BACKOFF = 30.0


@dataclass(frozen=True, slots=True)
class FaqSnapshot:
    """The FAQ as live now: the entries answered from, and the errors of the files on disk."""

    entries: tuple[FaqEntry, ...]
    errors: tuple[FaqError, ...]
    # Counts reloads, so a reader can tell a new snapshot from the one it has.
    generation: int


def _is_faq_file(change: Change, path: str) -> bool:
    """A change that may touch FAQ files: to one, or a folder moved in or out (a move
    reports the folder alone, not the files in it; a deleted path can no longer be told a
    folder, so every deletion counts)."""
    if path.lower().endswith(FAQ_SUFFIXES) or change == Change.deleted:
        return True
    return change == Change.added and os.path.isdir(path)


def _hold_folder(path: Path) -> int | None:
    """The folder `path` names now (through symlinks), held open; None when there is none."""
    try:
        return os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        return None


def _replaced(held: int | None, path: Path) -> bool:
    """Whether `path` names another folder than `held` now (or none, or it was deleted)."""
    if held is None:
        return path.is_dir()
    try:
        was, now = os.fstat(held), path.stat()
    except OSError:
        return True
    return was.st_nlink == 0 or (was.st_dev, was.st_ino) != (now.st_dev, now.st_ino)


class FaqWatcher:
    """Keeps the FAQ of one folder loaded; a broken file keeps its previous good entries live.

    `load()` reads the folder once; `run()` watches it until cancelled and reloads on
    every change. `snapshot` is what is live; `next_reload()` resolves after the next reload.
    """

    def __init__(
        self,
        faq_dir: Path,
        *,
        debounce_ms: int = 300,
        on_reload: Callable[[FaqSnapshot], None] | None = None,
        poll_timeout_ms: int = 5_000,
        keep_dir: Path | None = None,
    ) -> None:
        self.faq_dir = faq_dir
        # A copy of each file's last good version is kept here, so a file that is broken
        # when the server starts still answers with it (not only one broken while it runs).
        # Never inside the FAQ folder, where the copies would be read as FAQ files.
        inside = keep_dir is not None and keep_dir.resolve().is_relative_to(faq_dir.resolve())
        if inside:
            logger.warning("FAQ copies are not kept: %s is inside the FAQ folder", keep_dir)
        self.keep_dir = None if inside else keep_dir
        self._debounce_ms = debounce_ms
        self._on_reload = on_reload
        # How often the watch wakes without changes; its first wake-up proves the folder is watched.
        self._poll_timeout_ms = poll_timeout_ms
        self._good: dict[str, FaqFile] = {}
        # The broken files answered from a last good version, as of the last read.
        self.stand_ins: tuple[str, ...] = ()
        self._saved_live: dict[str, object] | None = None
        self._withheld: Mapping[str, frozenset[str]] = {}
        self._snapshot = FaqSnapshot((), (), 0)
        self._waiters: list[asyncio.Future[FaqSnapshot]] = []
        self.watching = asyncio.Event()
        # The folder was replaced: read it once the new watch is up.
        self._replaced = False

    @property
    def snapshot(self) -> FaqSnapshot:
        return self._snapshot

    @property
    def errors(self) -> tuple[FaqError, ...]:
        """The errors of the files as they are on disk now (for /healthz and logs)."""
        return self._snapshot.errors

    def next_reload(self) -> asyncio.Future[FaqSnapshot]:
        """A future for the snapshot of the next reload; take it before changing files."""
        future: asyncio.Future[FaqSnapshot] = asyncio.get_running_loop().create_future()
        self._waiters.append(future)
        return future

    def load(self) -> FaqSnapshot:
        """Read the folder now and publish what is live (at start-up, before `run()`)."""
        return self._apply(*self._read())

    async def reload(self) -> FaqSnapshot:
        """Read the folder in a worker thread, so a large FAQ never stalls the event loop."""
        return self._apply(*await asyncio.to_thread(self._read))

    def preview(self) -> FaqSnapshot:
        """What `load()` would make live now, with nothing written or published (for
        `loket faq check`); `stand_ins` then names the broken files answered from a kept
        version."""
        _, merged = self._read(keeping=False)
        return FaqSnapshot(merged.entries, merged.errors, 0)

    def _read(self, *, keeping: bool = True) -> tuple[dict[str, FaqFile], FaqSet]:
        """Good file versions, and the live entries and errors of the folder now. Changes
        nothing in memory; with `keeping`, a good file's text is kept in `keep_dir`."""
        if not self.faq_dir.is_dir():
            self.stand_ins = ()
            return {}, FaqSet(errors=(FaqError(str(self.faq_dir), 0, "no such folder"),))
        paths = faq_paths(self.faq_dir)
        if keeping:
            self._forget_kept(paths)
        read = [(path, *read_faq_file_text(path)) for path in paths]
        current = [file for _, file, _ in read]
        # Only files on disk now are kept: a deleted file takes its entries with it.
        good: dict[str, FaqFile] = {}
        stand_ins: list[str] = []
        for path, file, _ in read:
            if file.ok:
                good[file.path] = file
            elif file.path in self._good:
                good[file.path] = self._good[file.path]
                stand_ins.append(file.path)
                if keeping:
                    logger.warning(
                        "FAQ file %s is broken; its last good version stays live", file.path
                    )
            else:
                kept = self._kept(path, file.path)
                if kept is not None:
                    good[file.path] = kept
                    stand_ins.append(file.path)
                    if keeping:
                        logger.warning(
                            "FAQ file %s is broken; its last good version (kept from before)"
                            " is live",
                            file.path,
                        )
        self.stand_ins = tuple(stand_ins)
        # A repeated id or phrasing stays with the entry that is live with it now (not a
        # newcomer's); at start-up, the one that was when the server last read the folder.
        live = self._live_now() if self._snapshot.generation else self._live_before()
        merged = merge_faq_files([good[path] for path in sorted(good)], current, live)
        # Kept once merged: at start-up the copies kept before tell what was live then.
        for path, file, text in read:
            if file.ok and text is not None and keeping:
                self._keep(path, text)
        return good, merged

    def _live_now(self) -> LiveFaq:
        """What is live now, each entry with the phrasings it answers."""
        entries = {entry.id: entry for entry in self._snapshot.entries}

        @functools.cache
        def answered(entry_id: str) -> frozenset[str] | None:
            entry = entries.get(entry_id)
            return frozenset(map(phrasing_key, entry.questions)) if entry else None

        return LiveFaq({e.id: e.source for e in entries.values()}, answered=answered)

    def _live_before(self) -> LiveFaq | None:
        """What was live when the folder was last read (by any start)."""
        if self.keep_dir is None:
            return None
        try:
            saved = json.loads((self.keep_dir / LIVE_IDS).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if not isinstance(saved, dict):
            return None
        ids = saved.get("ids")
        withheld = saved.get("withheld")
        if not isinstance(ids, dict):
            ids, withheld = saved, {}  # the first form: {id: path}
        folder = str(self.faq_dir)
        sources = {
            key: os.path.join(folder, value)
            for key, value in ids.items()
            if isinstance(key, str) and isinstance(value, str)
        }
        refused = {
            key: frozenset(k for k in value if isinstance(k, str))
            for key, value in (withheld if isinstance(withheld, dict) else {}).items()
            if isinstance(key, str) and isinstance(value, list)
        }

        @functools.cache
        def kept(source: str) -> dict[str, FaqEntry]:
            file = self._kept(Path(source), source)
            return {entry.id: entry for entry in file.entries} if file else {}

        @functools.cache
        def answered(entry_id: str) -> frozenset[str] | None:
            """The phrasings of the entry in the copy kept when it was live (a phrasing
            added to the file while the server was down was not answered by it)."""
            entry = kept(sources[entry_id]).get(entry_id) if entry_id in sources else None
            if entry is None:
                return None
            return frozenset(map(phrasing_key, entry.questions)) - refused.get(entry_id, set())

        return LiveFaq(sources, refused, answered)

    def _save_live(self, entries: tuple[FaqEntry, ...]) -> None:
        """Note which file each live id comes from (paths within the FAQ folder), and the
        phrasings withheld from each."""
        if self.keep_dir is None:
            return
        folder = str(self.faq_dir)
        ids = {
            entry.id: os.path.relpath(entry.source, folder)
            for entry in entries
            if entry.source.startswith(folder + os.sep)
        }
        withheld = {key: sorted(keys) for key, keys in self._withheld.items()}
        live: dict[str, object] = {"ids": ids, "withheld": withheld}
        if live == self._saved_live:
            return
        try:
            self.keep_dir.mkdir(parents=True, exist_ok=True)
            partial = self.keep_dir / (LIVE_IDS + ".partial")
            partial.write_text(json.dumps(live, sort_keys=True), encoding="utf-8")
            partial.replace(self.keep_dir / LIVE_IDS)
            self._saved_live = live
        except OSError as exc:
            logger.warning("cannot note which FAQ file each id comes from: %s", exc)

    def _kept_path(self, path: Path) -> Path | None:
        if self.keep_dir is None or not path.is_relative_to(self.faq_dir):
            return None
        return self.keep_dir / path.relative_to(self.faq_dir)

    def _keep(self, path: Path, text: str) -> None:
        """Keep `text`, a good version of the file at `path` (written only when it changed)."""
        kept = self._kept_path(path)
        if kept is None:
            return
        try:
            if kept.is_file() and kept.read_text(encoding="utf-8") == text:
                return
            kept.parent.mkdir(parents=True, exist_ok=True)
            partial = kept.with_name(kept.name + ".partial")
            partial.write_text(text, encoding="utf-8")
            partial.replace(kept)
        except (OSError, UnicodeDecodeError) as exc:
            logger.warning("cannot keep the last good version of %s: %s", path, exc)

    def _forget_kept(self, paths: list[Path]) -> None:
        """Delete the kept copies of files that are gone: a file deleted, then written again
        broken, must not bring its withdrawn answers back."""
        if self.keep_dir is None or not self.keep_dir.is_dir():
            return
        wanted = {self._kept_path(path) for path in paths} | {self.keep_dir / LIVE_IDS}
        for kept in self.keep_dir.rglob("*"):
            if kept.is_file() and kept not in wanted:
                try:
                    kept.unlink()
                except OSError as exc:
                    logger.warning("cannot delete the kept copy %s: %s", kept, exc)

    def _kept(self, path: Path, name: str) -> FaqFile | None:
        """The kept good version of the file at `path`, read as `name`; None without one."""
        kept = self._kept_path(path)
        if kept is None or not kept.is_file():
            return None
        file, _ = read_faq_file_text(kept, name)
        return file if file.ok else None

    def _apply(self, good: dict[str, FaqFile], merged: FaqSet) -> FaqSnapshot:
        for error in merged.errors:
            logger.warning("%s", error)
        self._good = good
        self._withheld = merged.withheld
        self._snapshot = FaqSnapshot(merged.entries, merged.errors, self._snapshot.generation + 1)
        self._save_live(merged.entries)
        if self._on_reload is not None:
            self._on_reload(self._snapshot)
        waiters, self._waiters = self._waiters, []
        for waiter in waiters:
            if not waiter.done():
                waiter.set_result(self._snapshot)
        return self._snapshot

    async def run(self) -> None:
        """Watch the folder and reload on changes until cancelled; failures are retried."""
        backoff = _FIRST_BACKOFF
        while True:
            try:
                await self._watch()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                if isinstance(exc, FileNotFoundError):
                    # Between a deploy's `rm` and its `mv`, say: no traceback for that.
                    logger.warning(
                        "FAQ folder %s is missing; looking again in %.1fs", self.faq_dir, backoff
                    )
                else:
                    logger.exception(
                        "watching FAQ folder %s failed; retrying in %.1fs", self.faq_dir, backoff
                    )
                self.watching.clear()
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, _MAX_BACKOFF)
                # Changes may have been missed while not watching.
                await self.reload()
            else:
                # Returned: the folder was replaced; watch the one the path names now.
                backoff = _FIRST_BACKOFF

    async def _watch(self) -> None:
        # The folder watched is the one the path names now. A deploy may put another in its
        # place (`mv faq.new faq`, a symlink pointed elsewhere, `rm -rf faq && cp -r new
        # faq`): the watch would follow the old folder, or die with it, so each wake-up (at
        # least every poll timeout) checks the path. The old folder is held open meanwhile,
        # so a folder made in its place never gets its inode number and passes for it.
        held = _hold_folder(self.faq_dir)
        try:
            async for changes in awatch(
                self.faq_dir,
                watch_filter=_is_faq_file,
                debounce=self._debounce_ms,
                rust_timeout=self._poll_timeout_ms,
                yield_on_timeout=True,
            ):
                if not self.watching.is_set():
                    self.watching.set()
                    if self._replaced:
                        # Read once the new folder is watched: nothing written meanwhile
                        # is missed.
                        self._replaced = False
                        await self.reload()
                        continue
                if _replaced(held, self.faq_dir):
                    logger.info(
                        "FAQ folder %s was replaced: reading and watching the new one",
                        self.faq_dir,
                    )
                    self._replaced = True
                    self.watching.clear()
                    return
                # Named are FAQ files and folders; an editor's temporary file, deleted as it
                # saves (sed -i, vim), is no news to an admin.
                if changes:
                    named = sorted(p for _, p in changes if _is_faq_file(Change.added, p))
                    if named:
                        logger.info("FAQ files changed: %s", ", ".join(named))
                    else:
                        logger.debug(
                            "files deleted in the FAQ folder: %s", sorted(p for _, p in changes)
                        )
                    await self.reload()
        finally:
            if held is not None:
                os.close(held)
