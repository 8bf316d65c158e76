"""`loket learned ...` and `loket faq misses`: review what the bot learned and missed."""

from __future__ import annotations

import argparse
import getpass
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import replace
from pathlib import Path

import yaml

from loket.bot.faq import load_faq_dir
from loket.bot.learned import answered_in_other_language, with_learned, withdrawn
from loket.bot.learning import (
    answered_now,
    as_entry,
    askers,
    edit_problem,
    edited_text,
    group_similar,
    missed_groups,
    misses_by_question,
    newest_per_question,
    other_wordings,
    personal_data_to_approve,
    with_personal_checked,
)
from loket.bot.matcher import Matcher
from loket.config import load_command_settings
from loket.store import LearnedRecord, Store, run_with_store


def _run(args: argparse.Namespace, work: Callable[[Store], Awaitable[int]]) -> int:
    settings = load_command_settings(getattr(args, "config", None), store_must_exist=True)
    return run_with_store(settings.store_path, work)


def _now() -> int:
    return int(time.time() * 1000)


def _reviewer() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except OSError:
        return "cli"


def _show(record: LearnedRecord, indent: str = "") -> str:
    flags = f"  [personal data: {', '.join(record.personal)}]" if record.personal else ""
    return (
        f"{indent}#{record.id} ({record.language or '?'}){flags}\n"
        f"{indent}  Q: {record.question}\n{indent}  A: {record.answer}"
    )


def run_learned_list(args: argparse.Namespace) -> int:
    async def work(store: Store) -> int:
        records = await with_personal_checked(store, await store.learned_by_status(args.status))
        if not records:
            print(f"no {args.status} answers")
            return 0
        for group in group_similar(records, lambda r: r.question):
            if len(group) > 1:
                ids = ", ".join(f"#{r.id}" for r in group)
                print(f"== {len(group)} similar questions ({ids}); review once:")
            for record in group:
                print(_show(record, "  " if len(group) > 1 else ""))
            print()
        return 0

    return _run(args, work)


def run_learned_review(args: argparse.Namespace) -> int:
    status = "approved" if args.verb == "approve" else "rejected"
    question = getattr(args, "question", None)
    answer = getattr(args, "answer", None)
    edits = [f"--{name}" for name, value in (("question", question), ("answer", answer)) if value]
    if edits and len(args.ids) > 1:
        print(
            f"loket: {' and '.join(edits)} edits one answer: give one id, not {len(args.ids)}",
            file=sys.stderr,
        )
        return 2
    problem = edit_problem(question, answer)
    if problem is not None:
        print(f"loket: {problem}; nothing was changed", file=sys.stderr)
        return 2
    question, answer = edited_text(question), edited_text(answer)

    async def work(store: Store) -> int:
        failures = 0
        for learned_id in args.ids:
            record = await store.learned(learned_id)
            if record is None:
                print(f"loket: no learned answer #{learned_id}", file=sys.stderr)
                failures += 1
                continue
            personal = None
            if status == "approved":
                found = await personal_data_to_approve(store, record, question, answer)
                if found and not args.force:
                    print(
                        f"loket: #{learned_id} holds personal data ({', '.join(found)}); "
                        "edit it with --answer/--question, or approve with --force",
                        file=sys.stderr,
                    )
                    failures += 1
                    continue
                personal = found
            updated = await store.review_learned(
                learned_id,
                status=status,
                reviewer=_reviewer(),
                now=_now(),
                question=question,
                answer=answer,
                personal=personal,
            )
            assert updated is not None
            print(f"#{learned_id} {status}")
        return 1 if failures else 0

    return _run(args, work)


def run_learned_export(args: argparse.Namespace) -> int:
    """`loket learned export`: the approved answers as one FAQ file, one entry per answer,
    as the bot answers from them. A pair that gives the answer of an entry in the FAQ
    folder (other than the file written) is a phrasing that entry lacks, not an entry of
    its own: that is said on stderr instead."""
    settings = load_command_settings(getattr(args, "config", None), store_must_exist=True)
    written = args.out.resolve() if args.out is not None else None
    everything = load_faq_dir(settings.bot.faq_dir).entries
    faq = [entry for entry in everything if Path(entry.source).resolve() != written]
    # Pairs exported before into the file written now follow its entries ("learned-7"):
    # written again, as the file has them now (an admin may have edited them there), not
    # taken for pairs whose entry was deleted.
    rewritten = {
        (entry.language, entry.id): entry
        for entry in everything
        if Path(entry.source).resolve() == written
    }

    # The pairs as the bot answers from them: not those answered in another language.
    detector = Matcher.build(faq, settings.bot.model_copy(update={"semantic": False}))

    async def work(store: Store) -> int:
        pairs = []
        for record in newest_per_question(await store.learned_by_status("approved")):
            pair = as_entry(record)
            edited = rewritten.get((pair.language, pair.follows))
            if edited is not None:
                pair = replace(pair, follows="", answer=edited.answer, questions=edited.questions)
            if args.language is not None and pair.language != args.language:
                continue
            other = answered_in_other_language(pair, detector.language_of)
            if other is not None:
                print(
                    f"loket: learned answer {record.id} is in {other!r}, its question in"
                    f" {pair.language!r}: not exported (the bot does not use it)",
                    file=sys.stderr,
                )
                continue
            pairs.append(pair)
        if not pairs:
            # A file without entries is no valid FAQ file: write none.
            which = f" in {args.language!r}" if args.language else ""
            print(f"loket: no approved answers{which}: nothing written", file=sys.stderr)
            return 1
        languages = sorted({pair.language for pair in pairs})
        if args.language is None and len(languages) > 1:
            print(
                f"loket: the approved answers are in {', '.join(languages)}: an FAQ file holds"
                " one language, so export each with --language",
                file=sys.stderr,
            )
            return 2
        language = args.language or languages[0]
        for pair in withdrawn(faq, pairs):
            print(
                f"loket: learned answer {pair.id.removeprefix('learned:')} gave the answer of FAQ"
                f" entry {pair.follows!r}, which is no longer in the FAQ: not exported (the bot"
                " no longer gives it)",
                file=sys.stderr,
            )
        entries = with_learned(faq, pairs)
        for before, after in zip(faq, entries, strict=False):
            extra = after.questions[len(before.questions) :]
            if extra:
                print(
                    f"{before.source}:{before.line}: entry {before.id!r} gives this answer;"
                    f" add as its phrasings: {', '.join(repr(text) for text in extra)}",
                    file=sys.stderr,
                )
        learned = entries[len(faq) :]
        if not learned:
            print(
                "loket: every approved answer is the answer of a FAQ entry: nothing written",
                file=sys.stderr,
            )
            return 1
        document = {
            "language": language,
            "topic": "learned",
            "entries": [
                {
                    "id": entry.id.replace("learned:", "learned-"),
                    "questions": list(entry.questions),
                    "answer": entry.answer,
                }
                for entry in learned
            ],
        }
        text = yaml.safe_dump(document, allow_unicode=True, sort_keys=False, width=100)
        if args.out is None:
            sys.stdout.write(text)
        else:
            args.out.write_text(text, encoding="utf-8")
            count = "1 answer" if len(learned) == 1 else f"{len(learned)} answers"
            print(f"wrote {count} to {args.out}")
        return 0

    return run_with_store(settings.store_path, work)


# A missed question is printed on one line of at most this many characters.
MISS_CHARS = 200


def _clipped(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= MISS_CHARS else text[: MISS_CHARS - 1] + "…"


def run_misses(args: argparse.Namespace) -> int:
    async def work(store: Store) -> int:
        since = _now() - int(args.days * 86_400_000)
        misses = await store.misses_since(since)
        if not misses:
            print("no missed questions")
            return 0
        from loket.bot.cli import matcher_as_served

        args.dir = None
        built = matcher_as_served(args)
        matcher = built[0] if built is not None else None
        fixed = [
            asked
            for asked in misses_by_question(misses)
            if matcher is not None
            and answered_now(matcher.match(asked[0].question, asked[0].language), asked)
        ]
        done = {id(miss) for asked in fixed for miss in asked}
        groups = missed_groups([m for m in misses if id(m) not in done])
        for group in groups:
            reasons = ", ".join(sorted({m.reason for m in group}))
            chats = askers(group)
            by = "" if chats == len(group) else f"; in {chats} conversation{'s' * (chats > 1)}"
            print(f"{len(group):4d}  {_clipped(group[0].question)}   ({reasons}{by})")
            for other in other_wordings([m.question for m in group], 3):
                print(f"        also: {_clipped(other)}")
        if fixed:
            questions = "1 more question" if len(fixed) == 1 else f"{len(fixed)} more questions"
            times = "once" if len(done) == 1 else f"{len(done)} times"
            print(
                f"({questions}, asked {times}, the bot now answers: a FAQ entry or an approved"
                " learned answer came since)"
            )
        return 0

    return _run(args, work)


def register_learned(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    learned = commands.add_parser("learned", help="review answers the bot learned from agents")
    learned.add_argument("--config", type=Path, default=argparse.SUPPRESS, help="settings file")
    verbs = learned.add_subparsers(dest="verb", required=True, metavar="VERB")
    listing = verbs.add_parser("list", help="list learned answers, similar ones grouped")
    listing.add_argument(
        "--status", choices=["candidate", "approved", "rejected"], default="candidate"
    )
    listing.set_defaults(func=run_learned_list)
    approve = verbs.add_parser("approve", help="let the bot give these answers (at once)")
    approve.add_argument("ids", type=int, nargs="+")
    approve.add_argument("--question", help="replace the question")
    approve.add_argument("--answer", help="replace the answer (e.g. without personal data)")
    approve.add_argument(
        "--force", action="store_true", help="approve even if personal data is detected"
    )
    approve.set_defaults(func=run_learned_review)
    reject = verbs.add_parser("reject", help="never give these answers")
    reject.add_argument("ids", type=int, nargs="+")
    reject.set_defaults(func=run_learned_review, force=False)
    export = verbs.add_parser("export", help="write approved answers as a FAQ file")
    export.add_argument("--language", help="only answers in this language (nl, en)")
    export.add_argument("--out", type=Path, help="file to write (default: standard output)")
    export.set_defaults(func=run_learned_export)
