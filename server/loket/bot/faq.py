"""FAQ files: the entry model, and reading and validating YAML files with a line for every error."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from loket.bot.normalize import content_terms, words
from loket.plaintext import phrasing_key
from loket.spelling import closest, did_you_mean

FAQ_SUFFIXES = (".yaml", ".yml")

_STR = "tag:yaml.org,2002:str"
_NULL = "tag:yaml.org,2002:null"
# Ids are stable references (feedback, statistics, learned answers); ":" is kept for
# machine-made ids such as "learned:12", so FAQ files cannot collide with them.
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
_LANGUAGE = re.compile(r"^[a-z]{2,3}$")
_FILE_KEYS = ("language", "topic", "entries")
_ENTRY_KEYS = ("id", "questions", "answer", "tags")


# A text with quotes inside, in the language a file's name gives ("returns.nl.yaml").
_QUOTED_EXAMPLE = {
    "nl": """'Kies "Bezorgen" bij het afrekenen'""",
    "en": """'Choose "Delivery" at checkout'""",
    "de": """'Wähle "Lieferung" an der Kasse'""",
}


def _quoted_example(path: str, text: str) -> str:
    """The example in the language the file says it is in (its `language:` line, else its
    name), English when neither tells."""
    said = re.search(r"^language:\s*[\"']?([a-zA-Z]{2})", text, re.MULTILINE)
    parts = Path(path).name.split(".")
    language = said.group(1).lower() if said else parts[-2] if len(parts) > 2 else "en"
    return _QUOTED_EXAMPLE.get(language, _QUOTED_EXAMPLE["en"])


def _id_like(written: str) -> str:
    """An id that may be used for one that may not: "Öffnungszeiten" is
    "oeffnungszeiten", "Größe & Passform" "groesse-passform"."""
    spelt = written.lower()
    for letter, plain in (("ä", "ae"), ("ö", "oe"), ("ü", "ue"), ("ß", "ss")):
        spelt = spelt.replace(letter, plain)
    spelt = unicodedata.normalize("NFKD", spelt).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9_.]+", "-", spelt).strip("-_.") or "entry-1"


@dataclass(frozen=True, slots=True)
class FaqEntry:
    """One question the bot can answer: several phrasings of it and one answer."""

    id: str
    language: str
    questions: tuple[str, ...]
    answer: str
    topic: str = ""
    tags: tuple[str, ...] = ()
    # Where the entry was read from; empty for entries not from a file (learned answers).
    source: str = ""
    line: int = 0
    # The line of each phrasing in `questions`, where read from a file.
    question_lines: tuple[int, ...] = ()
    # A learned pair's: the id of the FAQ entry whose answer it gave when it was learned.
    follows: str = ""


@dataclass(frozen=True, slots=True)
class FaqError:
    """A problem in a FAQ file; `str(error)` is `file:line: message`."""

    path: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


@dataclass(frozen=True, slots=True)
class FaqFile:
    """One file as read: its valid entries and its errors (a file with errors is broken)."""

    path: str
    entries: tuple[FaqEntry, ...] = ()
    errors: tuple[FaqError, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass(frozen=True, slots=True)
class FaqSet:
    """Entries of several files merged, with every error found on the way."""

    entries: tuple[FaqEntry, ...] = ()
    errors: tuple[FaqError, ...] = ()
    files: int = field(default=0)
    # Entry id -> the phrasings (as `phrasing_key`s) it has in its file but not live, being
    # another entry's: kept with `LiveFaq`, so that entry keeps them also after a restart.
    withheld: Mapping[str, frozenset[str]] = field(default_factory=dict)


def _not_known(entry_id: str) -> Collection[str] | None:
    return None


@dataclass(frozen=True, slots=True)
class LiveFaq:
    """What was live when the folder was last read: the file each entry id came from; the
    phrasings (`phrasing_key`s) the live entry of an id answered, `answered(id)`, when
    known; else the phrasings it had in its file but not live, `withheld`, another entry
    having them (a phrasing added to its file since was not answered by it either)."""

    sources: Mapping[str, str]
    withheld: Mapping[str, frozenset[str]] = field(default_factory=dict)
    answered: Callable[[str], Collection[str] | None] = _not_known

    def has(self, entry: FaqEntry) -> bool:
        """`entry` (this id from this file) was live."""
        return self.sources.get(entry.id) == entry.source

    def holds(self, entry: FaqEntry, key: str) -> bool:
        """`entry` was live with the phrasing `key`."""
        if not self.has(entry):
            return False
        answered = self.answered(entry.id)
        if answered is not None:
            return key in answered
        return key not in self.withheld.get(entry.id, frozenset())


def faq_paths(directory: Path) -> list[Path]:
    """The FAQ files under `directory`, sorted: YAML files, skipping hidden and backup files."""
    paths = []
    for path in directory.rglob("*"):
        relative = path.relative_to(directory)
        if any(part.startswith((".", "~", "#")) for part in relative.parts):
            continue
        if path.suffix.lower() in FAQ_SUFFIXES and path.is_file():
            paths.append(path)
    return sorted(paths)


def read_faq_file(path: Path) -> FaqFile:
    """Read and validate one FAQ file."""
    return read_faq_file_text(path)[0]


def read_faq_file_text(path: Path, name: str | None = None) -> tuple[FaqFile, str | None]:
    """Read and validate one FAQ file (reported as `name`, its path unless given), with the
    text that was validated (None when it could not be read as text)."""
    name = name or str(path)
    try:
        raw = path.read_bytes()
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        message = f"not UTF-8 text (save the file as UTF-8): byte {raw[exc.start]:#04x}"
        return FaqFile(name, errors=(FaqError(name, line, message),)), None
    except OSError as exc:
        return FaqFile(name, errors=(FaqError(name, 1, f"cannot read: {exc}"),)), None
    return parse_faq(text, name), text


def load_faq_dir(directory: Path) -> FaqSet:
    """Read every FAQ file under `directory` (or the one file it names): all their errors
    and the entries of good files."""
    if directory.is_file():
        files = [read_faq_file(directory)]
        return merge_faq_files(files, all_files=files)
    if not directory.is_dir():
        return FaqSet(errors=(FaqError(str(directory), 0, "no such file or folder"),))
    files = [read_faq_file(path) for path in faq_paths(directory)]
    return merge_faq_files(files, all_files=files)


def merge_faq_files(
    good: Sequence[FaqFile],
    all_files: Sequence[FaqFile] = (),
    live: LiveFaq | None = None,
) -> FaqSet:
    """Merge the entries of `good` files; a repeated id is an error and one entry stays.

    Ids that differ only in case count as the same id. The entry that stays is the one
    that is `live` now, so a new file that repeats an id cannot take an established answer
    offline; otherwise the one in the file whose path sorts first. A phrasing that two
    entries share is an error too: the bot could not tell which answer is meant, so it
    stays with one entry only, the one that had it live, else the first. `all_files` are
    the files as read now, whose own errors are reported too.
    """
    errors: list[FaqError] = [error for file in all_files for error in file.errors]
    candidates = [entry for file in good if file.ok for entry in file.entries]
    keeper: dict[str, FaqEntry] = {}
    for entry in candidates:
        key = entry.id.casefold()
        earlier = keeper.get(key)
        if earlier is None or (live is not None and live.has(entry) and not live.has(earlier)):
            keeper[key] = entry
    entries: list[FaqEntry] = []
    # (file, id) of the entries told their id is used elsewhere.
    told: set[tuple[str, str]] = set()
    for entry in candidates:
        kept = keeper[entry.id.casefold()]
        if entry is kept:
            entries.append(entry)
        else:
            errors.append(_id_used(entry, kept))
            told.add((entry.source, entry.id.casefold()))
    # A broken file's valid entries are not live, but an id of theirs another file uses is
    # said now too: an admin fixing the file's errors should not meet this one only after.
    # Not again when the file's last good version (live in its place) was told it already.
    for file in all_files:
        if file.ok:
            continue
        for entry in file.entries:
            other = keeper.get(entry.id.casefold())
            if (
                other is not None
                and other.source != file.path
                and (file.path, entry.id.casefold()) not in told
            ):
                errors.append(_id_used(entry, other))
    unshared, withheld = _unshared_phrasings(entries, errors, live)
    # File by file, top to bottom, as an editor goes through them.
    errors.sort(key=lambda error: (error.path, error.line))
    return FaqSet(tuple(unshared), tuple(errors), files=len(good), withheld=withheld)


def _id_used(entry: FaqEntry, kept: FaqEntry) -> FaqError:
    spelled = f" (as {kept.id!r})" if kept.id != entry.id else ""
    return FaqError(
        entry.source,
        entry.line,
        f"id {entry.id!r} is already used at {kept.source}:{kept.line}{spelled};"
        " the bot gives that entry's answer, not this one's, until one of the two"
        " ids is changed",
    )


def _unshared_phrasings(
    entries: Sequence[FaqEntry], errors: list[FaqError], live: LiveFaq | None
) -> tuple[list[FaqEntry], dict[str, frozenset[str]]]:
    """`entries` with each phrasing kept by one entry of its language: the entry that had
    it live, else the first; and the phrasings each entry did not keep."""
    claims: dict[tuple[str, str], list[FaqEntry]] = {}
    for entry in entries:
        for text in entry.questions:
            claims.setdefault((entry.language, phrasing_key(text)), []).append(entry)
    owner: dict[tuple[str, str], FaqEntry] = {}
    for (language, key), claimants in claims.items():
        # Only a phrasing claimed twice asks what was live (reading kept copies, at start-up).
        held = (
            [c for c in claimants if live.holds(c, key)]
            if live is not None and len(claimants) > 1
            else []
        )
        owner[(language, key)] = (held or claimants)[0]
    result: list[FaqEntry] = []
    withheld: dict[str, frozenset[str]] = {}
    for entry in entries:
        kept: list[tuple[str, int]] = []
        lines = entry.question_lines or (entry.line,) * len(entry.questions)
        for text, line in zip(entry.questions, lines, strict=True):
            first = owner[(entry.language, phrasing_key(text))]
            if first is entry:
                kept.append((text, line))
                continue
            withheld[entry.id] = withheld.get(entry.id, frozenset()) | {phrasing_key(text)}
            errors.append(
                FaqError(
                    entry.source,
                    line,
                    f"the phrasing {text!r} is also a phrasing of {first.id!r} at "
                    f"{first.source}:{first.line}; the bot cannot tell which answer is meant,"
                    " so it stays with that entry only",
                )
            )
        if len(kept) == len(entry.questions):
            result.append(entry)
        elif kept:
            questions, question_lines = zip(*kept, strict=True)
            result.append(replace(entry, questions=questions, question_lines=question_lines))
    return result, withheld


def parse_faq(text: str, path: str) -> FaqFile:
    """Validate the text of one FAQ file; every error names its line."""
    reader = _Reader(path)
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        return FaqFile(path, errors=(_syntax_error(exc, path, text),))
    except yaml.YAMLError as exc:
        return FaqFile(path, errors=(FaqError(path, 1, f"YAML syntax: {exc}"),))
    if root is None:
        if text.strip():
            return FaqFile(path)  # only comments: a file being written, with no entries yet
        return FaqFile(path, errors=(FaqError(path, 1, "the file is empty"),))
    entries = reader.file(root)
    return FaqFile(path, tuple(entries), tuple(reader.errors))


def _syntax_error(exc: yaml.MarkedYAMLError, path: str, text: str = "") -> FaqError:
    """The parser's error at the line where the broken construct starts (an unclosed
    quote or bracket), saying where the parser noticed it when that is further on."""
    problem = exc.problem or str(exc)
    found, started = exc.problem_mark, exc.context_mark
    if found is not None and "<scalar>" in problem:
        # A quote left open runs on into the next line, and the parser stumbles there.
        opened = _unclosed_quote(text, found.line)
        if opened is not None:
            return FaqError(
                path,
                opened + 1,
                f"YAML syntax: a quote opened on this line is not closed on it (the"
                f" parser stumbled on line {found.line + 1})",
            )
    if (
        found is not None
        and "expected <block end>" in problem
        and "'<scalar>'" in problem
        and _after_closing(text, found.line, found.column)
    ):
        return FaqError(
            path,
            found.line + 1,
            "YAML syntax: text goes on after a closing quote or bracket on this line: a quote"
            " inside a text? Use the other kind of quote around it"
            f" ({_quoted_example(path, text)})"
            " or leave the inner quotes out",
        )
    if (
        found is not None
        and "expected <block end>" in problem
        and ("'<block" in problem or "'<scalar>'" in problem)
    ):
        # A line out of step with the lines above it: said at that line, in plain words.
        rule = (
            "each entry's '-' (and each phrasing's) starts in the same column"
            if "<block sequence start>" in problem
            else "the keys of one entry start in the same column"
        )
        return FaqError(
            path,
            found.line + 1,
            f"YAML syntax: this line is indented more or less than the lines above it: {rule},"
            " indented with spaces",
        )
    if found is not None and "'\\t'" in problem:
        return FaqError(
            path,
            found.line + 1,
            f"YAML syntax: a tab where spaces belong (column {found.column + 1}): indent with"
            " spaces, YAML takes no tabs",
        )
    hint = next((said for known, said in _SYNTAX_HINTS if known in problem), "")
    if started is not None and found is not None and started.line < found.line:
        message = f"YAML syntax: {exc.context} that starts here: {problem} on line {found.line + 1}"
        return FaqError(path, started.line + 1, message + hint)
    mark = found or started
    line = mark.line + 1 if mark is not None else 1
    return FaqError(path, line, f"YAML syntax: {problem}{hint}")


def _after_closing(text: str, line: int, column: int) -> bool:
    """Whether what the parser stumbled on (line and column from 0) follows a closing quote
    or bracket on its line: a quote inside a quoted text, not a line indented off."""
    lines = text.splitlines()
    if line >= len(lines):
        return False
    before = lines[line][:column].rstrip()
    return before.endswith(('"', "'", "]", "}")) and bool(before.strip(" -\"']}"))


def _unclosed_quote(text: str, stumbled: int) -> int | None:
    """The line (from 0) where a double-quoted text begins that runs on to line `stumbled`,
    where the parser stumbled: a closing quote left out, so the text took in the next line
    up to its opening quote."""
    try:
        for token in yaml.scan(text, Loader=yaml.SafeLoader):
            start: int = token.start_mark.line
            end: int = token.end_mark.line
            if start > stumbled:
                break
            if (
                isinstance(token, yaml.ScalarToken)
                and token.style == '"'
                and start < end == stumbled
            ):
                return start
    except yaml.YAMLError:
        pass
    return None


# What the parser's words usually mean in a FAQ file.
_SYNTAX_HINTS = (
    (
        "mapping values are not allowed here",
        " (a ':' missing after a key on the line above, or a text with ': ' in it that"
        " needs quotes?)",
    ),
    ("expected <block end>", " (a line indented more or less than the lines around it?)"),
    (
        "expected ',' or ']'",
        " (in a list in [...], a text with '?', ':', ',' or '#' in it needs quotes:"
        ' ["How much is a bell?"])',
    ),
)


def _one_line_pair(node: MappingNode) -> bool:
    """Whether a mapping is one key and a text on one line: `Is hij duur: ja`."""
    if len(node.value) != 1:
        return False
    key, value = node.value[0]
    return isinstance(value, ScalarNode) and key.start_mark.line == value.end_mark.line


class _Reader:
    """Walks composed YAML nodes, collecting entries and `file:line` errors."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.errors: list[FaqError] = []

    def error(self, node: Node, message: str) -> None:
        self.errors.append(FaqError(self.path, node.start_mark.line + 1, message))

    def mapping(self, node: Node, what: str, keys: Sequence[str]) -> dict[str, Node] | None:
        if not isinstance(node, MappingNode):
            self.error(node, f"{what} must be a mapping with the keys {', '.join(keys)}")
            return None
        fields: dict[str, Node] = {}
        for key_node, value_node in node.value:
            key = key_node.value if isinstance(key_node, ScalarNode) else None
            if not isinstance(key, str) or key not in keys:
                shown = key if isinstance(key, str) else "?"
                hint = did_you_mean(closest(key, keys, cutoff=0.6)) if isinstance(key, str) else ""
                self.error(
                    key_node, f"unknown key {shown!r} in {what}{hint}; expected {', '.join(keys)}"
                )
            elif key in fields:
                self.error(key_node, f"{what} has the key {key!r} twice")
            else:
                fields[key] = value_node
        return fields

    def text(self, node: Node, what: str) -> str | None:
        if isinstance(node, MappingNode) and _one_line_pair(node):
            # `- Is hij duur: ja` reads as a key and a value.
            self.error(
                node,
                f"{what} must be text; a text with ': ' in it needs quotes around it",
            )
            return None
        if not isinstance(node, ScalarNode) or node.tag == _NULL:
            self.error(node, f"{what} must be text")
            return None
        if node.tag != _STR:
            self.error(
                node,
                f"{what} must be text, not {node.value!r}; put it in quotes to keep it as text",
            )
            return None
        value = str(node.value).strip()
        if not value:
            self.error(node, f"{what} is empty")
            return None
        return value

    def texts(self, node: Node, what: str, *, required: bool) -> list[tuple[str, Node]]:
        if not isinstance(node, SequenceNode):
            example = node.value if isinstance(node, ScalarNode) and node.value else "..."
            self.error(
                node,
                f'{what} must be a list: write {what}: ["{example}"], or each one on a line'
                " of its own, starting with '- '",
            )
            return []
        if required and not node.value:
            self.error(node, f"{what} is an empty list")
        items: list[tuple[str, Node]] = []
        for item in node.value:
            value = self.text(item, f"each of {what}")
            if value is not None:
                items.append((value, item))
        return items

    def file(self, root: Node) -> list[FaqEntry]:
        fields = self.mapping(root, "the file", _FILE_KEYS)
        if fields is None:
            return []
        for key in _FILE_KEYS:
            if key not in fields:
                self.error(root, f"the file has no {key!r}")
        language = self.text(fields["language"], "language") if "language" in fields else None
        # "DE" is German as "de" is: codes are compared in lower case.
        language = language.lower() if language is not None else None
        if language is not None and not _LANGUAGE.match(language):
            self.error(fields["language"], f"language {language!r} is not a code like 'nl' or 'en'")
            language = None
        topic = self.text(fields["topic"], "topic") if "topic" in fields else None
        if "entries" not in fields:
            return []
        entries_node = fields["entries"]
        if not isinstance(entries_node, SequenceNode):
            self.error(entries_node, "entries must be a list of entries")
            return []
        if not entries_node.value:
            self.error(entries_node, "entries is an empty list")
        entries: list[FaqEntry] = []
        seen: dict[str, FaqEntry] = {}
        for node in entries_node.value:
            entry = self.entry(node, language or "", topic or "")
            if entry is None:
                continue
            earlier = seen.get(entry.id.casefold())
            if earlier is not None:
                spelled = f" (as {earlier.id!r})" if earlier.id != entry.id else ""
                self.error(node, f"id {entry.id!r} is already used on line {earlier.line}{spelled}")
                continue
            seen[entry.id.casefold()] = entry
            entries.append(entry)
        return entries

    def entry(self, node: Node, language: str, topic: str) -> FaqEntry | None:
        fields = self.mapping(node, "an entry", _ENTRY_KEYS)
        if fields is None:
            return None
        errors_before = len(self.errors)
        for key in ("id", "questions", "answer"):
            if key not in fields:
                self.error(node, f"the entry has no {key!r}")
        entry_id = self.text(fields["id"], "id") if "id" in fields else None
        if entry_id is not None and not _ID.match(entry_id):
            self.error(
                fields["id"],
                f"id {entry_id!r} may hold only plain letters (a-z, A-Z: no accents), digits, '-',"
                " '_' and '.', and must start with a letter or digit:"
                f" write {_id_like(entry_id)!r}",
            )
        questions = (
            self.texts(fields["questions"], "questions", required=True)
            if "questions" in fields
            else []
        )
        self.check_questions(questions, language)
        answer = self.text(fields["answer"], "answer") if "answer" in fields else None
        tags = self.texts(fields["tags"], "tags", required=False) if "tags" in fields else []
        if len(self.errors) > errors_before or entry_id is None or answer is None:
            return None
        return FaqEntry(
            id=entry_id,
            language=language,
            questions=tuple(text for text, _ in questions),
            answer=answer,
            topic=topic,
            tags=tuple(text for text, _ in tags),
            source=self.path,
            line=node.start_mark.line + 1,
            question_lines=tuple(item.start_mark.line + 1 for _, item in questions),
        )

    def check_questions(self, questions: Iterable[tuple[str, Node]], language: str) -> None:
        seen: set[str] = set()
        for text, node in questions:
            key = phrasing_key(text)
            if key in seen:
                self.error(node, f"the phrasing {text!r} is repeated")
            seen.add(key)
            if language and not content_terms(text, language):
                numbers = any(word.isdigit() for word in words(text))
                self.error(
                    node,
                    f"the phrasing {text!r} has only common words"
                    + (" and numbers (numbers are not matched)" if numbers else "")
                    + ", so it can never match; say what is asked"
                    + (" in words" if numbers else ""),
                )
