"""Hot reload: real files in a temp folder, awaiting each reload rather than sleeping."""

from __future__ import annotations

import asyncio
import logging
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from loket.bot.service import Bot
from loket.bot.settings import BotSettings
from loket.bot.watcher import LIVE_IDS, FaqSnapshot, FaqWatcher

TIMEOUT = 20


def faq_text(entry_id: str, answer: str = "Morgen in huis.") -> str:
    """One entry whose phrasings name its id (entries may not share a phrasing)."""
    return f"""\
language: nl
topic: bezorging
entries:
  - id: {entry_id}
    questions: ["Hoe zit het met {entry_id}?", "Wat is de {entry_id}?"]
    answer: "{answer}"
"""


@pytest.fixture
async def watcher(tmp_path: Path) -> AsyncIterator[FaqWatcher]:
    (tmp_path / "bezorging.nl.yaml").write_text(faq_text("levertijd"))
    watcher = FaqWatcher(tmp_path, debounce_ms=50, poll_timeout_ms=50)
    watcher.load()
    task = asyncio.create_task(watcher.run())
    await asyncio.wait_for(watcher.watching.wait(), TIMEOUT)
    yield watcher
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


async def change(watcher: FaqWatcher, path: Path, text: str | None) -> FaqSnapshot:
    """Write (or delete, for None) a file and wait for the reload it causes."""
    reloaded = watcher.next_reload()
    # Plain blocking writes on purpose: they are tiny, and the watcher must see real files.
    if text is None:
        path.unlink()  # noqa: ASYNC240
    else:
        path.write_text(text)  # noqa: ASYNC240
    return await asyncio.wait_for(reloaded, TIMEOUT)


async def test_start_up_load_publishes_entries(watcher: FaqWatcher) -> None:
    """`load()` makes the folder's entries live before watching starts."""
    assert [e.id for e in watcher.snapshot.entries] == ["levertijd"]
    assert watcher.errors == ()


async def test_an_edited_file_is_reloaded(watcher: FaqWatcher, tmp_path: Path) -> None:
    """Saving a file replaces its entries with the new version."""
    snapshot = await change(
        watcher, tmp_path / "bezorging.nl.yaml", faq_text("levertijd", "Vandaag!")
    )
    assert snapshot.entries[0].answer == "Vandaag!"
    assert snapshot.generation == 2


async def test_an_editors_temporary_file_is_not_named_in_the_log(
    watcher: FaqWatcher, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """`sed -i` writes a temporary file and renames it over the FAQ file: the log names
    the FAQ file, not the temporary one it saw deleted."""
    with caplog.at_level(logging.INFO, logger="loket"):
        scratch = tmp_path / "sedAb12Cd"
        scratch.write_text(faq_text("levertijd", "Vandaag!"))
        snapshot = await change(watcher, scratch, None)
        assert snapshot.entries[0].answer == "Morgen in huis."
        await change(watcher, tmp_path / "bezorging.nl.yaml", faq_text("levertijd", "Nu!"))
    told = [r.getMessage() for r in caplog.records if "FAQ files changed" in r.getMessage()]
    assert told and all("sedAb12Cd" not in line for line in told), told


async def test_a_broken_file_keeps_its_last_good_version(
    watcher: FaqWatcher, tmp_path: Path
) -> None:
    """A save with an error keeps the previous entries live and reports the errors with their
    lines, top to bottom."""
    path = tmp_path / "bezorging.nl.yaml"
    snapshot = await change(watcher, path, faq_text("levertijd").replace("answer:", "antwoord:"))
    assert [e.id for e in snapshot.entries] == ["levertijd"]
    assert snapshot.entries[0].answer == "Morgen in huis."
    assert [str(e) for e in watcher.errors] == [
        f"{path}:4: the entry has no 'answer'",
        f"{path}:6: unknown key 'antwoord' in an entry; expected id, questions, answer, tags",
    ]
    fixed = await change(watcher, path, faq_text("bezorgtijd"))
    assert [e.id for e in fixed.entries] == ["bezorgtijd"]
    assert fixed.errors == ()


async def test_new_and_deleted_files(watcher: FaqWatcher, tmp_path: Path) -> None:
    """A new file adds entries; deleting a file takes its entries away."""
    extra = tmp_path / "retour.nl.yaml"
    added = await change(watcher, extra, faq_text("retourtermijn"))
    assert sorted(e.id for e in added.entries) == ["levertijd", "retourtermijn"]
    removed = await change(watcher, extra, None)
    assert [e.id for e in removed.entries] == ["levertijd"]


async def test_a_new_broken_file_contributes_nothing_but_errors(
    watcher: FaqWatcher, tmp_path: Path
) -> None:
    """A broken file with no good version adds no entries; the others stay live."""
    snapshot = await change(watcher, tmp_path / "kapot.nl.yaml", "entries: [")
    assert [e.id for e in snapshot.entries] == ["levertijd"]
    assert len(snapshot.errors) == 1 and "YAML syntax" in snapshot.errors[0].message


async def test_on_reload_callback_gets_each_snapshot(tmp_path: Path) -> None:
    """The callback (where the core rebuilds its Matcher) sees every published snapshot."""
    (tmp_path / "a.yaml").write_text(faq_text("levertijd"))
    seen: list[int] = []
    watcher = FaqWatcher(tmp_path, on_reload=lambda snapshot: seen.append(snapshot.generation))
    watcher.load()
    await watcher.reload()
    assert seen == [1, 2]


async def test_a_folder_moved_out_or_in_is_noticed(watcher: FaqWatcher, tmp_path: Path) -> None:
    """Moving a subfolder of FAQ files out of the folder takes its entries away at once;
    moving it back brings them back (a move reports only the folder, not its files)."""
    sub = tmp_path / "retour"
    sub.mkdir()
    added = await change(watcher, sub / "retour.nl.yaml", faq_text("retourtermijn"))
    assert sorted(e.id for e in added.entries) == ["levertijd", "retourtermijn"]
    outside = tmp_path.parent / f"{tmp_path.name}-moved-out"
    reloaded = watcher.next_reload()
    sub.rename(outside)
    removed = await asyncio.wait_for(reloaded, TIMEOUT)
    assert [e.id for e in removed.entries] == ["levertijd"]
    reloaded = watcher.next_reload()
    outside.rename(sub)
    back = await asyncio.wait_for(reloaded, TIMEOUT)
    assert sorted(e.id for e in back.entries) == ["levertijd", "retourtermijn"]


@pytest.mark.parametrize("swap", ["rename", "symlink", "recreate"])
async def test_a_faq_folder_swapped_by_a_deploy_is_read_and_watched(
    tmp_path: Path, swap: str
) -> None:
    """A deploy that puts another folder in the FAQ folder's place (`mv faq faq.old && mv
    faq.new faq`, a symlink pointed at a new release, or `rm -rf faq && cp -r new faq`,
    where the new folder may get the old one's inode number) is read at once, and edits to
    the new folder keep being picked up (the watch followed the old folder before)."""
    first, second = tmp_path / "release-1", tmp_path / "release-2"
    for folder, answer in ((first, "Morgen in huis."), (second, "Overmorgen in huis.")):
        folder.mkdir()
        (folder / "bezorging.nl.yaml").write_text(faq_text("levertijd", answer))
    faq = tmp_path / "faq"
    if swap == "symlink":
        faq.symlink_to(first)
    else:
        first.rename(faq)
    watcher = FaqWatcher(faq, debounce_ms=50, poll_timeout_ms=50)
    watcher.load()
    task = asyncio.create_task(watcher.run())
    try:
        await asyncio.wait_for(watcher.watching.wait(), TIMEOUT)
        reloaded = watcher.next_reload()
        if swap == "rename":
            faq.rename(tmp_path / "faq.old")
            second.rename(faq)
        elif swap == "recreate":
            shutil.rmtree(faq)
            faq.mkdir()
            shutil.copy(second / "bezorging.nl.yaml", faq / "bezorging.nl.yaml")
        else:
            (tmp_path / "faq.next").symlink_to(second)
            (tmp_path / "faq.next").replace(faq)
        swapped = await asyncio.wait_for(reloaded, TIMEOUT)
        while not swapped.entries or swapped.entries[0].answer != "Overmorgen in huis.":
            # Read while the new folder was still empty: the next read has it.
            swapped = await asyncio.wait_for(watcher.next_reload(), TIMEOUT)
        # Edits to the folder the path names now are picked up, as before the swap.
        for _ in range(3):
            edited = await change(watcher, faq / "bezorging.nl.yaml", faq_text("levertijd", "Nu!"))
            if edited.entries[0].answer == "Nu!":
                break
        assert edited.entries[0].answer == "Nu!"
    finally:
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task


async def test_a_new_file_repeating_an_id_does_not_take_the_live_entry(
    watcher: FaqWatcher, tmp_path: Path
) -> None:
    """A new file (here one whose path sorts first) that repeats a live id is the one
    reported: the established entry stays live."""
    snapshot = await change(watcher, tmp_path / "aaa.nl.yaml", faq_text("levertijd", "Nooit."))
    assert [(e.id, e.answer) for e in snapshot.entries] == [("levertijd", "Morgen in huis.")]
    (error,) = snapshot.errors
    assert error.path.endswith("aaa.nl.yaml") and "already used at" in error.message


async def test_a_broken_file_s_ids_are_checked_against_other_files_not_its_live_version(
    watcher: FaqWatcher, tmp_path: Path
) -> None:
    """A file broken by an edit keeps its last good version live: its ids are no clash
    with that version, but an id another file uses is told with the file's mistake."""
    path = tmp_path / "aaa.nl.yaml"
    assert not (await change(watcher, path, faq_text("retour"))).errors
    mistake = '  - id: ruilen\n    questions: ["Mag ik ruilen?"]\n'  # no answer
    taken = faq_text("levertijd").split("entries:\n", 1)[1]
    broken = await change(watcher, path, faq_text("retour") + mistake + taken)
    assert sorted(e.id for e in broken.entries) == ["levertijd", "retour"]
    messages = sorted(str(e) for e in broken.errors)
    assert len(messages) == 2, messages
    assert any("'answer'" in m for m in messages), messages
    assert any("id 'levertijd' is already used at" in m for m in messages), messages
    assert not any("'retour'" in m for m in messages), messages


async def test_a_file_broken_before_a_restart_answers_with_its_kept_version(
    tmp_path: Path,
) -> None:
    """A file broken while the server was down (an edit, a deploy) still answers with the
    version last read good, kept beside the data; its error is reported all the same. A
    file never read good has no kept version, and a file fixed again is kept anew."""
    faq, keep = tmp_path / "faq", tmp_path / "data" / "faq-last-good"
    (faq / "betalen").mkdir(parents=True)
    topic = faq / "betalen" / "betalen.nl.yaml"
    topic.write_text(faq_text("achteraf-betalen", "Ja, met Klarna."))
    FaqWatcher(faq, keep_dir=keep).load()
    assert (keep / "betalen" / "betalen.nl.yaml").read_text() == topic.read_text()

    topic.write_text("language: nl\nentries: [\n")
    (faq / "nieuw.nl.yaml").write_text("entries: {\n")
    restarted = FaqWatcher(faq, keep_dir=keep).load()
    assert [(e.id, e.answer, e.source) for e in restarted.entries] == [
        ("achteraf-betalen", "Ja, met Klarna.", str(topic))
    ]
    assert sorted(Path(error.path).name for error in restarted.errors) == [
        "betalen.nl.yaml",
        "nieuw.nl.yaml",
    ]

    topic.write_text(faq_text("achteraf-betalen", "Ja, met Klarna of Riverty."))
    FaqWatcher(faq, keep_dir=keep).load()
    topic.write_text("entries: [\n")
    again = FaqWatcher(faq, keep_dir=keep).load()
    assert [e.answer for e in again.entries] == ["Ja, met Klarna of Riverty."]

    # Deleted, then back broken: its withdrawn answers do not return.
    topic.unlink()
    FaqWatcher(faq, keep_dir=keep).load()
    topic.write_text("entries: [\n")
    assert FaqWatcher(faq, keep_dir=keep).load().entries == ()
    # Copies are never kept inside the FAQ folder, where they would be read as FAQ files.
    inside = FaqWatcher(faq, keep_dir=faq / "kept")
    inside.load()
    assert inside.keep_dir is None and not (faq / "kept").exists()


def test_the_bot_starts_with_one_build_and_one_report_of_each_error(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """At start-up the FAQ goes live once (one build of the matcher, one "FAQ live" line)
    and each file error is logged once."""
    (tmp_path / "bezorging.nl.yaml").write_text(faq_text("levertijd"))
    (tmp_path / "kapot.nl.yaml").write_text("entries: [\n")
    bot = Bot(BotSettings(faq_dir=tmp_path, semantic=False), people_available=lambda: False)
    with caplog.at_level(logging.INFO, logger="loket"):
        bot.start()
    lines = [record.getMessage() for record in caplog.records]
    assert len([line for line in lines if line.startswith("FAQ live")]) == 1, lines
    assert len([line for line in lines if "kapot.nl.yaml" in line]) == 1, lines
    assert [entry.id for entry in bot.matcher.entries] == ["levertijd"]


def test_a_restart_keeps_the_entry_that_was_live_when_a_new_file_repeats_its_id(
    tmp_path: Path,
) -> None:
    """The entry live before a restart stays live after it, also when the newcomer that
    repeats its id sorts first; without a note of what was live, the first path wins."""
    faq, keep = tmp_path / "faq", tmp_path / "data" / "faq-last-good"
    faq.mkdir()
    (faq / "retour.nl.yaml").write_text(faq_text("levertijd", "Morgen in huis."))
    running = FaqWatcher(faq, keep_dir=keep)
    running.load()
    (faq / "extra.nl.yaml").write_text(faq_text("levertijd", "Nooit."))
    assert [e.answer for e in running.load().entries] == ["Morgen in huis."]
    restarted = FaqWatcher(faq, keep_dir=keep).load()
    assert [e.answer for e in restarted.entries] == ["Morgen in huis."]
    (error,) = restarted.errors
    assert error.path.endswith("extra.nl.yaml") and "already used at" in error.message
    (keep / LIVE_IDS).unlink()
    assert [e.answer for e in FaqWatcher(faq, keep_dir=keep).load().entries] == ["Nooit."]


def test_a_phrasing_a_new_entry_repeats_stays_with_the_entry_that_had_it(
    tmp_path: Path,
) -> None:
    """A new entry (in a file whose path sorts first) that repeats a live entry's phrasing
    is the one reported, while running, after a restart and in what `faq check` sees: the
    newcomer's own id is live too, but it never had that phrasing. A note of what was live
    written by an older Loket ({id: path}) is still read."""
    faq, keep = tmp_path / "faq", tmp_path / "data" / "faq-last-good"
    faq.mkdir()
    (faq / "versand.nl.yaml").write_text(faq_text("verzendkosten"))
    newcomer = faq_text("proefrit").replace('"Wat is de proefrit?"', '"Wat is de verzendkosten?"')
    running = FaqWatcher(faq, keep_dir=keep)
    running.load()
    (faq / "extra.nl.yaml").write_text(newcomer)

    def owner(snapshot: FaqSnapshot) -> str:
        (holder,) = [e.id for e in snapshot.entries if "Wat is de verzendkosten?" in e.questions]
        (error,) = snapshot.errors
        assert error.path.endswith("extra.nl.yaml") and "is also a phrasing of" in error.message
        return holder

    assert owner(running.load()) == "verzendkosten"
    assert owner(running.load()) == "verzendkosten"  # read again: both ids are live now
    assert owner(FaqWatcher(faq, keep_dir=keep).preview()) == "verzendkosten"
    assert owner(FaqWatcher(faq, keep_dir=keep).load()) == "verzendkosten"
    (keep / LIVE_IDS).write_text('{"verzendkosten": "versand.nl.yaml"}')
    assert owner(FaqWatcher(faq, keep_dir=keep).load()) == "verzendkosten"


@pytest.mark.parametrize("restarted", [False, True])
def test_a_phrasing_added_to_a_live_entry_does_not_take_it_from_the_one_answering_it(
    tmp_path: Path, restarted: bool
) -> None:
    """Both entries are live; one of them (in the file whose path sorts first) is given a
    phrasing the other answers: the other keeps it, whether the edit is read while the
    server runs or at its next start."""
    faq, keep = tmp_path / "faq", tmp_path / "data" / "faq-last-good"
    faq.mkdir()
    (faq / "versand.nl.yaml").write_text(faq_text("verzendkosten"))
    (faq / "aaa.nl.yaml").write_text(faq_text("retour"))
    running = FaqWatcher(faq, keep_dir=keep)
    assert not running.load().errors
    taking = faq_text("retour").replace('"Wat is de retour?"', '"Wat is de verzendkosten?"')
    (faq / "aaa.nl.yaml").write_text(taking)
    watcher = FaqWatcher(faq, keep_dir=keep) if restarted else running
    snapshot = watcher.load()
    (holder,) = [e.id for e in snapshot.entries if "Wat is de verzendkosten?" in e.questions]
    assert holder == "verzendkosten"
    (error,) = snapshot.errors
    assert error.path.endswith("aaa.nl.yaml") and "is also a phrasing of" in error.message
