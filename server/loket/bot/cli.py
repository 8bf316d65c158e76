"""The `loket faq ...` commands: check FAQ files, and measure how well the bot answers."""

from __future__ import annotations

import argparse
import contextlib
import functools
import json
import sqlite3
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from loket.bot import admin_cli
from loket.bot.eval import CasesError, evaluate, format_report, read_cases, unknown_ids
from loket.bot.faq import FaqEntry, faq_paths, load_faq_dir
from loket.bot.learned import served, with_learned
from loket.bot.matcher import Matcher, MatchResult
from loket.bot.normalize import language_of_locale, stem, words
from loket.bot.questions import answer_each, question_parts
from loket.bot.settings import BotSettings
from loket.bot.smalltalk import small_talk
from loket.bot.synonyms import CONCEPT_MARK, CONCEPTS
from loket.bot.watcher import FaqWatcher, kept_copies_dir
from loket.store import LearnedRecord

if TYPE_CHECKING:
    from loket.config import Settings


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the FAQ commands to the `loket` parser."""
    faq = commands.add_parser("faq", help="check FAQ files and measure the bot's answers")
    faq.set_defaults(func=lambda args: _usage(faq))
    verbs = faq.add_subparsers(title="commands", metavar="COMMAND")

    check = verbs.add_parser(
        "check", help="validate FAQ files; errors as file:line: message, exit 1 on any"
    )
    check.add_argument(
        "dir",
        nargs="?",
        type=Path,
        default=None,
        help="folder of FAQ files, or one file (default: faq_dir of [bot] in config.toml,"
        " else ./faq)",
    )
    check.add_argument(
        "--faq",
        type=Path,
        default=None,
        dest="faq_option",
        metavar="FAQ",
        help="the same as DIR, as `faq ask` and `faq eval` take it",
    )
    _add_config_option(check)
    check.set_defaults(func=run_check)

    measure = verbs.add_parser("eval", help="score the bot on labelled shopper questions")
    measure.add_argument(
        "--cases",
        type=Path,
        help="CSV file with the header question,expected_id (default: eval/cases.csv in the"
        " FAQ folder, when there is one)",
    )
    _add_faq_and_language(measure, "; a case's own language column wins")
    measure.add_argument("--json", action="store_true", help="print one JSON object")
    measure.add_argument(
        "--details", action="store_true", help="also list every case that was not correct"
    )
    measure.add_argument(
        "--served",
        action="store_true",
        help="score the bot as the server answers now: with the learned answers approved in"
        " its store (a case answered by one is right when it names that answer's id)",
    )
    _add_config_option(measure)
    measure.set_defaults(func=run_eval)

    ask = verbs.add_parser(
        "ask",
        help="what the bot would answer to questions, and why (the FAQ as the server has it)",
    )
    ask.add_argument(
        "questions", nargs="*", help="questions to ask (default: one per line from stdin)"
    )
    _add_faq_and_language(ask, "")
    ask.add_argument("--json", action="store_true", help="print one JSON object per question")
    _add_config_option(ask)
    ask.set_defaults(func=run_ask)

    misses = verbs.add_parser(
        "misses", help="questions the bot could not answer or that did not help, grouped"
    )
    misses.add_argument("--days", type=_days, default=30.0, help="look back this far (default 30)")
    _add_config_option(misses)
    misses.set_defaults(func=admin_cli.run_misses)

    concepts = verbs.add_parser(
        "concepts", help="list the built-in lexicon's concepts and the words each stands for"
    )
    concepts.add_argument("names", nargs="*", help="only these concepts (default: all)")
    concepts.add_argument(
        "--language", choices=["nl", "en", "de", "fr"], help="only this language's words"
    )
    _add_config_option(concepts)
    concepts.set_defaults(func=run_concepts)

    admin_cli.register_learned(commands)


def _add_faq_and_language(parser: argparse.ArgumentParser, language_note: str) -> None:
    parser.add_argument(
        "--faq", type=Path, default=None, help="folder of FAQ files (default: as for check)"
    )
    parser.add_argument(
        "--language",
        default=None,
        metavar="LANG",
        help="match as on a page in this language (nl, en, de, en-GB), as the widget tells"
        f" Loket{language_note} (default: told from the question's words)",
    )


def _add_config_option(parser: argparse.ArgumentParser) -> None:
    # The top-level parser may define --config already; a sub-command default then keeps it.
    parser.add_argument(
        "--config",
        type=Path,
        default=argparse.SUPPRESS,
        help="config.toml whose [bot] settings to use (default: ./config.toml if present)",
    )


def _usage(parser: argparse.ArgumentParser) -> int:
    parser.print_help(sys.stderr)
    return 2


def _days(value: str) -> float:
    """A number of days to look back: more than none."""
    try:
        days = float(value)
    except ValueError:
        days = 0.0
    if not days > 0 or days == float("inf"):
        raise argparse.ArgumentTypeError(f"{value!r}: a number of days above 0 (1, 7, 0.5)")
    return days


def bot_settings(args: argparse.Namespace) -> BotSettings:
    """The [bot] settings of `--config`, else of ./config.toml when present, else the defaults
    (quietly: the FAQ tools use no store, so the warning naming the one the defaults point at
    would only get in the way of their output).

    A relative faq_dir in a config file is already resolved against that file's folder.
    """
    return command_settings(args).bot


def command_settings(args: argparse.Namespace) -> Settings:
    """The settings of `--config`, else of ./config.toml when present, else the defaults
    (see `bot_settings`)."""
    # Imported here: the FAQ tools need the configuration only when asked for a folder.
    from loket.config import DEFAULT_CONFIG, load_command_settings, load_settings

    named = getattr(args, "config", None)
    if named is None and not Path(DEFAULT_CONFIG).exists():
        return load_settings(None)
    return load_command_settings(named, store_must_exist=False)


def run_check(args: argparse.Namespace) -> int:
    """`loket faq check [DIR|FILE]`: print every error as file:line: message; exit 1 on any.

    The server's own FAQ folder is checked as the server sees it: a broken file counts with
    its last good version (kept beside the server's data), so an id a new file repeats from
    it is reported too, and which of two files with one id stays is the one live now."""
    if args.faq_option is not None:
        if args.dir is not None and args.dir.resolve() != args.faq_option.resolve():
            print("loket: give the folder once: DIR or --faq", file=sys.stderr)
            return 2
        args.dir = args.faq_option
    folder, watcher, settings = _checked_folder(args)
    if watcher is None:
        result = load_faq_dir(folder)
        entries, errors, files = result.entries, result.errors, result.files
    else:
        snapshot = watcher.preview()
        entries, errors, files = snapshot.entries, snapshot.errors, len(faq_paths(folder))
    for error in errors:
        print(error)
    for path in watcher.stand_ins if watcher is not None else ():
        print(f"{path}: until it is fixed, the server answers with its last good version")
    if errors:
        print(f"{len(errors)} error(s) in {folder}", file=sys.stderr)
        return 1
    languages = sorted({entry.language for entry in entries})
    phrasings = sum(len(entry.questions) for entry in entries)
    print(
        f"{folder}: {files} file(s), {len(entries)} entries, "
        f"{phrasings} phrasings ({', '.join(languages) or 'no languages'}); no errors"
    )
    common = Matcher.build(entries, settings.words_alone()).common_words()
    for language, found in common.items():
        print(
            f"common words ({language}): {', '.join(found)}: each in 30% of the entries or"
            " more, so they only frame a question, as 'how' does; name what sets an entry apart"
        )
    return 0


def _checked_folder(args: argparse.Namespace) -> tuple[Path, FaqWatcher | None, BotSettings]:
    """The folder `faq check` checks, a watcher of it with the server's kept copies when it
    is the FAQ folder of the configuration in use (none is read for a folder named without
    --config and with no ./config.toml), and the configuration's [bot] settings (the
    defaults when none is read)."""
    from loket.config import DEFAULT_CONFIG, ConfigError, load_command_settings

    named = getattr(args, "config", None)
    if args.dir is not None and named is None and not Path(DEFAULT_CONFIG).exists():
        return args.dir, None, BotSettings()
    try:
        settings = load_command_settings(named, store_must_exist=False)
    except ConfigError:
        if args.dir is None or named is not None:
            raise
        # A ./config.toml that does not load does not stop the check of a folder named.
        return args.dir, None, BotSettings()
    folder = args.dir if args.dir is not None else settings.bot.faq_dir
    if not folder.is_dir() or folder.resolve() != settings.bot.faq_dir.resolve():
        return folder, None, settings.bot
    watcher = FaqWatcher(folder, keep_dir=kept_copies_dir(settings.server.data_dir))
    return folder, watcher, settings.bot


def run_eval(args: argparse.Namespace) -> int:
    """`loket faq eval`: shares of correct, wrong, "did you mean" and "don't know" answers."""
    settings = bot_settings(args)
    folder = args.faq if args.faq is not None else settings.faq_dir
    faq = load_faq_dir(folder)
    if faq.errors and not args.served:
        for error in faq.errors:
            print(error, file=sys.stderr)
        print("fix the FAQ files first (see `loket faq check`)", file=sys.stderr)
        return 1
    if args.cases is None:
        # The place the demo FAQ keeps its cases, which `loket` itself skips as no FAQ file.
        args.cases = folder / "eval" / "cases.csv"
        if not args.cases.is_file():
            print(
                f"loket: give the shopper questions to score with --cases FILE (there is no"
                f" {args.cases})",
                file=sys.stderr,
            )
            return 2
    try:
        cases = read_cases(args.cases)
    except CasesError as exc:
        print(exc, file=sys.stderr)
        return 1
    if args.served:
        # As `faq ask` answers: the files as the server reads them, and learned answers.
        args.dir = args.faq
        built = matcher_as_served(args)
        if built is None:
            return 1
        matcher, settings = built
    else:
        matcher = Matcher.build(faq.entries, settings)
    unknown = unknown_ids(cases, matcher)
    if unknown:
        known = {entry.id for entry in matcher.entries}
        for case in unknown:
            for missing in (id_ for id_ in case.expected_ids if id_ not in known):
                hint = (
                    " (a learned answer: score as the server answers, with --served)"
                    if missing.startswith("learned:") and not args.served
                    else ""
                )
                print(
                    f"{args.cases}:{case.line}: no entry has the id {missing!r}{hint}",
                    file=sys.stderr,
                )
        return 1
    if args.language is not None and language_of_locale(args.language) is None:
        print(
            f"loket: --language {args.language!r} is no language (nl, en, de, en-GB)",
            file=sys.stderr,
        )
        return 2
    report = evaluate(matcher, cases, language=args.language)
    if args.json:
        print(json.dumps(report.as_dict()))
    else:
        print(format_report(report, details=args.details))
    return 0


def run_ask(args: argparse.Namespace) -> int:
    """`loket faq ask QUESTION...`: what the bot would say to each question, and why.

    The FAQ folder of the configuration is read as the server reads it (a broken file
    answers with its last good version) and the learned answers approved in its store are
    added, so the answer is the one a shopper would get from the bot now."""
    from loket.bot.service import say

    if args.language is not None and language_of_locale(args.language) is None:
        print(
            f"loket: --language {args.language!r} is no language (nl, en, de, en-GB)",
            file=sys.stderr,
        )
        return 2
    args.dir = args.faq
    if args.questions and not any(q.strip() for q in args.questions):
        print("loket: the question is empty", file=sys.stderr)
        return 2
    built = matcher_as_served(args)
    if built is None:
        return 1
    matcher, bot = built
    # As the server speaks: formally to the shoppers the shop addresses so.
    spoken = functools.partial(say, formal=_formal_languages(args))
    questions = [q for q in args.questions if q.strip()] or [
        line.strip() for line in sys.stdin if line.strip()
    ]
    for question in questions:
        told = language_of_locale(args.language) if args.language else None
        verdict = _asked(matcher, question, args.language, told, bot, spoken)
        if args.json:
            print(json.dumps(verdict, ensure_ascii=False))
        else:
            print(_verdict_text(verdict))
    return 0


def _formal_languages(args: argparse.Namespace) -> tuple[str, ...]:
    """The languages the shop addresses formally (`widget.formal`); none when the
    configuration does not load (a folder named with --faq is asked all the same)."""
    from loket.config import ConfigError

    try:
        return command_settings(args).widget.formal
    except ConfigError:
        return ()


def matcher_as_served(args: argparse.Namespace) -> tuple[Matcher, BotSettings] | None:
    """The matcher the server answers with now, and its settings: the FAQ folder (`args.dir`,
    else the configuration's) read as the server reads it (a broken file answers with its
    last good version), with the learned answers approved in its store. Errors are told on
    stderr; None when there is nothing to answer from."""
    from loket.config import DEFAULT_CONFIG, ConfigError, load_command_settings

    folder, watcher, _ = _checked_folder(args)
    if watcher is None:
        loaded = load_faq_dir(folder)
        entries, errors = list(loaded.entries), loaded.errors
    else:
        snapshot = watcher.preview()
        entries, errors = list(snapshot.entries), snapshot.errors
    for error in errors:
        print(error, file=sys.stderr)
    for path in watcher.stand_ins if watcher is not None else ():
        print(f"{path}: answered from its last good version, as the server does", file=sys.stderr)
    named = getattr(args, "config", None)
    bot = BotSettings()
    learned: list[FaqEntry] = []
    if watcher is not None or named is not None or Path(DEFAULT_CONFIG).exists():
        try:
            settings = load_command_settings(named, store_must_exist=False)
        except ConfigError:
            if watcher is not None or named is not None:
                raise
            # A ./config.toml that does not load does not stop asking a folder named.
        else:
            bot = settings.bot
            if watcher is not None and settings.store_path.exists():
                # The learned answers go with the server's own FAQ folder, not another.
                learned = _approved_learned(settings.store_path)
    if not entries and not learned:
        print(f"{folder}: no entries to answer from", file=sys.stderr)
        return None
    # As the server does: not from learned answers in another language than their question,
    # told from the FAQ's own words (with the pairs in, an English question's Dutch answer
    # would count as English).
    words_alone = bot.model_copy(update={"semantic": False})
    kept = served(learned, Matcher.build(entries, words_alone).language_of)
    return Matcher.build(with_learned(entries, kept), bot), bot


def _approved_learned(path: Path) -> list[FaqEntry]:
    """The learned answers approved in the store at `path`, as the server answers from
    them: read with a plain query, so that asking never writes to (or migrates) the store
    of a running server."""
    from loket.bot.learning import as_entry, newest_per_question

    try:
        with contextlib.closing(sqlite3.connect(path, timeout=5)) as db:
            db.execute("PRAGMA query_only = ON")
            db.row_factory = sqlite3.Row
            rows = db.execute("SELECT * FROM learned WHERE status = 'approved' ORDER BY id")
            records = [LearnedRecord.from_row(row) for row in rows]
    except (sqlite3.Error, IndexError) as exc:
        print(f"{path}: learned answers not read ({exc}); the FAQ files alone", file=sys.stderr)
        return []
    return [as_entry(record) for record in newest_per_question(records)]


def _asked(
    matcher: Matcher,
    question: str,
    locale: str | None,
    told: str | None,
    settings: BotSettings,
    say: Callable[[str, str], str],
) -> dict[str, Any]:
    """What the bot does with one question, as one JSON-ready object."""
    verdict: dict[str, Any] = {"question": question}
    talk = small_talk(question)
    if talk is not None and talk[0] == "wait":
        talk = None  # with the bot, a question like any other (see `in_queue`)
    if talk is not None:
        kind, language = talk
        language = told or language or settings.default_language
        key = "person_coming" if kind == "person" else kind
        return verdict | {"outcome": "small_talk", "talk": kind, "reply": say(key, language)}
    waiting = small_talk(question, queued=True)
    if waiting is not None:
        # Asked in the queue for a person, it is answered with the queue.
        language = told or waiting[1] or settings.default_language
        verdict["in_queue"] = say("person_queued", language)
    result = matcher.match(question, locale)
    several = _several(
        matcher,
        question,
        locale,
        result,
        lambda part: _asked(matcher, part, locale, told, settings, say),
    )
    if several is not None:
        return verdict | several
    best = result.entry
    verdict |= {
        "outcome": result.outcome,
        "language": result.language,
        "entry_id": best.id if best is not None else None,
        "score": round(result.score, 3),
    }
    if best is not None:
        verdict["source"] = f"{_from_here(best.source)}:{best.line}" if best.source else "learned"
        verdict["shared"] = _shared(matcher, question, best, locale)
    if result.outcome == "answer" and best is not None:
        verdict["reply"] = best.answer
    elif result.outcome == "suggest":
        from loket.bot.service import offered_choices

        choices, only = offered_choices(result.suggestions, question)
        if only is not None:
            # The one choice is the question itself: the server answers with it.
            return verdict | {"outcome": "answer", "entry_id": only.id, "reply": only.answer}
        verdict["choices"] = choices
    return verdict


def _several(
    matcher: Matcher,
    question: str,
    locale: str | None,
    whole: MatchResult,
    verdict_of: Callable[[str], dict[str, Any]],
) -> dict[str, Any] | None:
    """What the bot does with a message of several questions (see `answer_each`): each
    question's verdict (`verdict_of`, as `_asked` gives it) under "questions"; None when
    the message is answered as a whole."""
    text = question[: matcher.settings.max_question_chars]
    parts = [part for part in question_parts(text) if small_talk(part) is None]
    if len(parts) < 2:
        return None
    each = answer_each(whole, [(part, matcher.match(part, locale)) for part in parts])
    if each is None:
        return None
    verdicts: list[dict[str, Any]] = []
    for part in parts:
        verdict = verdict_of(part)
        if part in each.unknown and verdict["outcome"] != "unknown":
            # A second question with choices: the bot names it as one it is not sure of.
            verdict = {"question": part, "outcome": "unknown", "entry_id": None}
        elif verdict["outcome"] == "suggest" and (each.offer is None or each.offer[0] != part):
            # Its choices are among the answers already: nothing is said of it.
            verdict["outcome"] = "answered"
        elif verdict["outcome"] == "answer" and any(
            v["outcome"] == "answer" and v["entry_id"] == verdict["entry_id"] for v in verdicts
        ):
            verdict["outcome"] = "answered"
        verdicts.append(verdict)
    return {"outcome": "several", "language": whole.language, "questions": verdicts}


def _shared(matcher: Matcher, question: str, entry: FaqEntry, locale: str | None) -> list[Any]:
    """The question's words the entry holds, as JSON-ready objects: `word` (as the shopper
    wrote it where it can be told, else its stem; a word group of the lexicon as
    "~name"), `matches` (the entry's word), `similarity`, `in_answer`, `frames` ("frame":
    a word that only frames a question; "common": one of the FAQ's own common words;
    else "")."""
    written: dict[str, str] = {}
    for word in words(question):
        written.setdefault(stem(word, entry.language), word)
    return [
        {
            "word": written.get(found.word, found.word),
            "matches": found.matches,
            "similarity": round(found.similarity, 2),
            "in_answer": found.in_answer,
            "frames": found.frames,
        }
        for found in matcher.shared_words(question, entry, locale)
    ]


def _shared_text(shared: list[dict[str, Any]]) -> list[str]:
    """`shared` as lines of `faq ask`'s text."""
    if not shared:
        return ["  shared words: none (close in meaning alone)"]
    told = []
    for found in shared:
        word, matches = found["word"], found["matches"]
        text = word if found["similarity"] == 1 else f"{word} ≈ {matches}"
        if found["in_answer"]:
            text += " (answer only)"
        if found["frames"]:
            text += " (frames only)" if found["frames"] == "frame" else " (common in this FAQ)"
        told.append(text)
    lines = [f"  shared words: {', '.join(told)}"]
    groups = sorted(
        {f[key] for f in shared for key in ("word", "matches") if f[key].startswith(CONCEPT_MARK)}
    )
    if groups:
        lines.append(f"  ({', '.join(groups)}: word groups of the lexicon, `loket faq concepts`)")
    return lines


def _verdict_text(verdict: dict[str, Any]) -> str:
    lines = [verdict["question"]]
    outcome = verdict["outcome"]
    if outcome == "several":
        asked = verdict["questions"]
        lines.append(f"  asks {len(asked)} questions, each answered on its own:")
        for number, each in enumerate(asked, 1):
            if each["outcome"] == "answered":
                lines.append(f"  {number}. {each['question']}")
                lines.append(f"     answered above ({each['entry_id']}): not sent again")
                continue
            told = _verdict_text(each).splitlines()
            lines.append(f"  {number}. {told[0]}")
            lines.extend(f"   {line}" for line in told[1:])
            if each["outcome"] == "unknown":
                lines.append("     (named to the shopper as not known, kept among the misses)")
        return "\n".join(lines)
    if outcome == "small_talk":
        what = "asks for a person" if verdict["talk"] == "person" else verdict["talk"]
        lines.append(f"  small talk ({what}): {verdict['reply']}")
        if verdict["talk"] == "person":
            lines.append("  (handed to an agent when one can come; else offered the form)")
        return "\n".join(lines)
    where = f"{verdict['entry_id']}, score {verdict['score']:.2f}, {verdict.get('source')}"
    if outcome == "answer":
        lines.append(f"  answer: {where}")
        lines.append(f"  {_clip(verdict['reply'])}")
    elif outcome == "suggest":
        lines.append("  did you mean:")
        lines.extend(f"    {c['id']}: {c['question']}" for c in verdict["choices"])
    elif verdict["entry_id"] is None:
        lines.append("  don't know: no entry shares a word with it")
    else:
        lines.append(f"  don't know (closest: {where})")
    if outcome == "suggest" and verdict.get("shared"):
        lines.append(f"  with {verdict['entry_id']}:")
    if "shared" in verdict:
        lines.extend(_shared_text(verdict["shared"]))
    if "in_queue" in verdict:
        lines.append(
            "  (in the queue for a person: asks how long the wait is, and is told:"
            f" {verdict['in_queue']})"
        )
    return "\n".join(lines)


def _from_here(path: str) -> str:
    """`path` relative to the current folder when it lies within it."""
    try:
        return str(Path(path).resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return path


def _clip(text: str, limit: int = 160) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


def run_concepts(args: argparse.Namespace) -> int:
    """Print each concept with its words per language; those in `concepts_off` say so."""
    off = set(bot_settings(args).concepts_off)
    unknown = [name for name in args.names if name not in CONCEPTS]
    if unknown:
        print(f"loket: no such concept: {', '.join(unknown)}", file=sys.stderr)
        return 2
    for name, by_language in CONCEPTS.items():
        if args.names and name not in args.names:
            continue
        print(f"{name}{'  (off: concepts_off in config.toml)' if name in off else ''}")
        for language, text in by_language.items():
            if args.language and language not in (args.language, "*"):
                continue
            label = "all" if language == "*" else language
            print(f"    {label}: {', '.join(part.strip() for part in text.split('|'))}")
    return 0
