"""FAQ files: loading, validation with a line for every error, duplicate ids across files."""

from __future__ import annotations

from pathlib import Path

from loket.bot.faq import load_faq_dir, parse_faq

REPO = Path(__file__).resolve().parents[2]

GOOD = """\
language: nl
topic: bezorging
entries:
  - id: levertijd
    questions: ["Wanneer wordt mijn bestelling bezorgd?", "Hoe lang duurt de levering?"]
    answer: "Bestel je voor 22:00, dan heb je het morgen in huis."
    tags: [levering]
"""


def messages(text: str) -> list[str]:
    return [str(error) for error in parse_faq(text, "f.yaml").errors]


def test_good_file_loads_every_field() -> None:
    """A valid file gives entries with language, topic, phrasings, answer, tags and line."""
    result = parse_faq(GOOD, "f.yaml")
    assert result.ok
    (entry,) = result.entries
    assert entry.id == "levertijd"
    assert (entry.language, entry.topic, entry.line) == ("nl", "bezorging", 4)
    assert entry.questions[1] == "Hoe lang duurt de levering?"
    assert entry.tags == ("levering",)
    # A language code in capitals is the same code.
    (upper,) = parse_faq(GOOD.replace("language: nl", "language: NL"), "f.yaml").entries
    assert upper.language == "nl"


def test_syntax_error_names_its_line() -> None:
    """Broken YAML is reported as file:line with the parser's problem, at the line where an
    unclosed bracket or quote starts rather than where the parser gave up."""
    assert messages("language: nl\ntopic: x\nentries:\n  - id: [unclosed\n")[0].startswith(
        "f.yaml:4: YAML syntax: while parsing a flow sequence that starts here"
    )
    quote = GOOD.replace('"Bestel je voor 22:00, dan heb je het morgen in huis."', '"open')
    found = messages(quote + "\n\n")
    assert found[0].startswith("f.yaml:6: YAML syntax: while scanning a quoted scalar"), found
    assert found[0].endswith("on line 10")


def test_syntax_errors_a_shop_admin_makes_say_what_to_do() -> None:
    """A tab for indenting is told in plain words, without the parser's own; a line
    indented off its block is told in plain words at that line."""
    (tab,) = messages("language: nl\nentries:\n\t- id: a\n")
    assert tab == (
        "f.yaml:3: YAML syntax: a tab where spaces belong (column 1): indent with spaces,"
        " YAML takes no tabs"
    ), tab
    off = 'language: nl\nentries:\n  - id: a\n    questions: ["x"]\n   answer: "y"\n'
    (block,) = messages(off)
    # Named at the line that is out of step, not where the parser's block began.
    assert block.startswith("f.yaml:5: YAML syntax: this line is indented more or less"), block
    deeper = 'language: nl\nentries:\n  - id: a\n    questions: ["x"]\n     tags: [y]\n'
    (block,) = messages(deeper)
    assert block.startswith("f.yaml:5: YAML syntax: this line is indented"), block
    item = 'language: nl\nentries:\n  - id: a\n    answer: "y"\n   - id: b\n    answer: "z"\n'
    (block,) = messages(item)
    assert block.startswith("f.yaml:5: YAML syntax: this line is indented") and "'-'" in block
    # A quote inside a quoted text ends it early: said as that, at its line.
    quoted = 'language: nl\nentries:\n  - id: a\n    answer: "Kies "Bezorgen" nu."\n'
    (block,) = messages(quoted)
    assert block.startswith("f.yaml:4: YAML syntax: text goes on after a closing quote"), block
    # The example of quotes inside quotes is in the file's own language.
    assert """('Kies "Bezorgen" bij het afrekenen')""" in block, block
    (block,) = messages(quoted.replace("language: nl", "language: en"))
    assert """('Choose "Delivery" at checkout')""" in block, block
    # An answer wrapped onto a line indented too little is no quote.
    wrapped = (
        "language: nl\nentries:\n  - id: a\n    answer: Binnen twee dagen,\n   ook zaterdag.\n"
    )
    (block,) = messages(wrapped)
    assert block.startswith("f.yaml:5: YAML syntax: this line is indented"), block


def test_a_quote_left_open_and_a_colon_in_a_text_are_named_where_they_are() -> None:
    """A phrasing whose closing quote is missing is reported on its own line (the parser
    stumbles on the next one, which said nothing of indenting); a phrasing with ': ' in it,
    unquoted, is told it needs quotes."""
    unclosed = (
        "language: nl\nentries:\n  - id: pomp\n    questions:\n"
        '      - "Hebben jullie een pomp?\n      - "Welke pompen?"\n    answer: "Ja."\n'
    )
    (message,) = messages(unclosed)
    assert message.startswith("f.yaml:5: YAML syntax: a quote opened on this line"), message
    colon = (
        "language: nl\ntopic: x\nentries:\n  - id: bel\n    questions:\n"
        '      - Wat kost een bel? Is hij duur: ja\n    answer: "Vijf euro."\n'
    )
    assert messages(colon) == [
        "f.yaml:6: each of questions must be text; a text with ': ' in it needs quotes around it"
    ]


def test_a_question_mark_in_a_list_in_brackets_is_told_to_need_quotes() -> None:
    text = (
        "language: en\ntopic: t\nentries:\n  - id: bell\n    questions: [How much is a bell?, Hi]\n"
    )
    (message,) = messages(text + '    answer: "Five euros."\n')
    assert message.startswith("f.yaml:5: YAML syntax: expected ',' or ']'"), message
    assert message.endswith('needs quotes: ["How much is a bell?"])'), message


def test_odd_files_are_read_as_a_user_would_expect(tmp_path: Path) -> None:
    """A file of comments only is a file without entries yet, not an error; an empty one
    is (a truncated save); `.YAML` counts; a file in another encoding names the line."""
    assert parse_faq("# entries follow\n", "f.yaml").ok
    assert messages("\n") == ["f.yaml:1: the file is empty"]
    (tmp_path / "shop.YAML").write_text(GOOD, encoding="utf-8")
    (tmp_path / "latin.yaml").write_bytes(GOOD.replace("Hoe lang", "Hoe lang ç").encode("latin-1"))
    loaded = load_faq_dir(tmp_path)
    assert [entry.id for entry in loaded.entries] == ["levertijd"]
    (error,) = loaded.errors
    assert str(error).endswith("latin.yaml:5: not UTF-8 text (save the file as UTF-8): byte 0xe7")


def test_unknown_keys_wrong_types_and_missing_fields_are_reported() -> None:
    """Each mistake in an entry gets its own file:line: message."""
    text = """\
language: nl
topic: t
entries:
  - id: 12
    question: ["Hoe?"]
    answer: yes
  - id: ok-id
    questions: []
    answer: ""
"""
    found = messages(text)
    assert "f.yaml:4: id must be text, not '12'; put it in quotes to keep it as text" in found
    assert (
        "f.yaml:5: unknown key 'question' in an entry (did you mean 'questions'?);"
        " expected id, questions, answer, tags"
    ) in found
    assert "f.yaml:4: the entry has no 'questions'" in found
    assert any(m.startswith("f.yaml:6: answer must be text") for m in found)
    assert "f.yaml:8: questions is an empty list" in found
    assert "f.yaml:9: answer is empty" in found


def test_an_id_or_list_written_wrongly_is_told_how_to_write_it() -> None:
    """An id with accents or spaces gets one that may be used; a single text where a list
    belongs gets the list written out."""
    text = """\
language: de
topic: t
entries:
  - id: Öffnungszeiten
    questions: Wann habt ihr auf?
    answer: "Montag bis Freitag."
    tags: RAL
  - id: "Größe & Passform"
    questions: ["Welche Größe?"]
    answer: "Siehe Tabelle."
"""
    found = messages(text)
    assert found == [
        "f.yaml:4: id 'Öffnungszeiten' may hold only plain letters (a-z, A-Z: no accents),"
        " digits, '-', '_' and '.', and must start with a letter or digit: write"
        " 'oeffnungszeiten'",
        'f.yaml:5: questions must be a list: write questions: ["Wann habt ihr auf?"], or'
        " each one on a line of its own, starting with '- '",
        'f.yaml:7: tags must be a list: write tags: ["RAL"], or each one on a line of its'
        " own, starting with '- '",
        "f.yaml:8: id 'Größe & Passform' may hold only plain letters (a-z, A-Z: no accents),"
        " digits, '-', '_' and '.', and must start with a letter or digit: write"
        " 'groesse-passform'",
    ]


def test_empty_and_stop_word_phrasings_are_errors() -> None:
    """A phrasing that is empty or only common words can never match, so it is refused."""
    text = GOOD.replace('"Hoe lang duurt de levering?"', '"", "Is het zo?"')
    found = messages(text)
    assert any(m == "f.yaml:5: each of questions is empty" for m in found)
    assert any("has only common words" in m for m in found)
    # A number is no word the bot matches (but for an age: "Moet ik 18 zijn?"): the
    # message says so.
    numbers = messages(GOOD.replace('"Hoe lang duurt de levering?"', '"Is het 1234?"'))
    assert any(
        "'Is het 1234?' has only common words and numbers (numbers are not matched)" in m
        and m.endswith("say what is asked in words")
        for m in numbers
    ), numbers


def test_duplicate_keys_and_ids_in_one_file() -> None:
    """A key twice in an entry, and an id twice in a file, are both errors."""
    text = GOOD + GOOD.split("entries:\n", 1)[1].replace("    tags", "    tags: [a]\n    tags")
    found = messages(text)
    assert any("has the key 'tags' twice" in m for m in found)
    assert any("id 'levertijd' is already used on line 4" in m for m in found)


def test_duplicate_id_across_files_keeps_the_first(tmp_path: Path) -> None:
    """The same id in two files is an error at the later file; the first entry stays."""
    (tmp_path / "a.yaml").write_text(GOOD)
    (tmp_path / "b.yaml").write_text(GOOD.replace("22:00", "23:00"))
    result = load_faq_dir(tmp_path)
    assert [entry.source for entry in result.entries] == [str(tmp_path / "a.yaml")]
    assert [str(e) for e in result.errors] == [
        f"{tmp_path / 'b.yaml'}:4: id 'levertijd' is already used at {tmp_path / 'a.yaml'}:4;"
        " the bot gives that entry's answer, not this one's, until one of the two ids is changed"
    ]


def test_a_broken_file_s_repeated_id_is_told_with_its_other_errors(tmp_path: Path) -> None:
    """A new file with a mistake in one entry and, in another, an id a good file uses: both
    are said at once, not the id only once the mistake is fixed."""
    (tmp_path / "a.yaml").write_text(GOOD)
    broken = GOOD + '  - id: retour\n    questions: ["Hoe stuur ik iets terug?"]\n'  # no answer
    (tmp_path / "b.yaml").write_text(broken.replace("22:00", "23:00"))
    result = load_faq_dir(tmp_path)
    assert [entry.source for entry in result.entries] == [str(tmp_path / "a.yaml")]
    found = [str(e) for e in result.errors]
    assert any(m.startswith(f"{tmp_path / 'b.yaml'}:8:") for m in found), found
    assert (
        f"{tmp_path / 'b.yaml'}:4: id 'levertijd' is already used at {tmp_path / 'a.yaml'}:4"
        in ("\n".join(found))
    ), found
    # A broken file's own last good version is no other file: nothing said of its ids.
    (tmp_path / "a.yaml").write_text(broken)
    (tmp_path / "b.yaml").unlink()
    assert not any("already used" in str(e) for e in load_faq_dir(tmp_path).errors)


def test_ids_differing_only_in_case_are_the_same_id(tmp_path: Path) -> None:
    """'Levertijd' and 'levertijd' would be two ids to the store and one to a person:
    in one file and across files the later one is refused, naming the spelling it clashes with."""
    twice = GOOD + GOOD.split("entries:\n", 1)[1].replace("id: levertijd", "id: Levertijd")
    assert any(
        "id 'Levertijd' is already used on line 4 (as 'levertijd')" in m for m in messages(twice)
    )
    (tmp_path / "a.yaml").write_text(GOOD)
    (tmp_path / "b.yaml").write_text(GOOD.replace("id: levertijd", "id: LEVERTIJD"))
    result = load_faq_dir(tmp_path)
    assert [entry.id for entry in result.entries] == ["levertijd"]
    assert [str(e) for e in result.errors] == [
        f"{tmp_path / 'b.yaml'}:4: id 'LEVERTIJD' is already used at {tmp_path / 'a.yaml'}:4"
        " (as 'levertijd'); the bot gives that entry's answer, not this one's, until one of the"
        " two ids is changed"
    ]


def test_a_phrasing_two_entries_share_stays_with_the_first(tmp_path: Path) -> None:
    """The same question (case, spacing and the question mark aside) under two answers is
    ambiguous: it is reported at the later phrasing's line and only the first entry keeps
    it; the later entry keeps its other phrasings, and other languages are not compared."""
    (tmp_path / "a.yaml").write_text(GOOD)
    other = GOOD.replace("id: levertijd", "id: bezorgdag").replace(
        '"Wanneer wordt mijn bestelling bezorgd?", "Hoe lang duurt de levering?"',
        '"Op welke dag bezorgen jullie?",\n                "hoe lang  duurt de LEVERING"',
    )
    (tmp_path / "b.yaml").write_text(other)
    english = GOOD.replace("language: nl", "language: en").replace("id: levertijd", "id: delivery")
    (tmp_path / "c.yaml").write_text(english)
    result = load_faq_dir(tmp_path)
    by_id = {entry.id: entry.questions for entry in result.entries}
    assert by_id["levertijd"] == (
        "Wanneer wordt mijn bestelling bezorgd?",
        "Hoe lang duurt de levering?",
    )
    assert by_id["bezorgdag"] == ("Op welke dag bezorgen jullie?",)
    assert by_id["delivery"] == by_id["levertijd"]
    (error,) = result.errors
    assert str(error).startswith(
        f"{tmp_path / 'b.yaml'}:6: the phrasing 'hoe lang  duurt de LEVERING' is also a phrasing"
        f" of 'levertijd' at {tmp_path / 'a.yaml'}:4;"
    )
    only = GOOD.replace("id: levertijd", "id: kopie")
    (tmp_path / "b.yaml").write_text(only)
    assert [entry.id for entry in load_faq_dir(tmp_path).entries] == ["levertijd", "delivery"]


def test_non_yaml_files_and_hidden_files_are_ignored(tmp_path: Path) -> None:
    """Only .yaml/.yml files count; cases.csv, notes and editor backups are skipped."""
    (tmp_path / "eval").mkdir()
    (tmp_path / "eval" / "cases.csv").write_text("question,expected_id\n")
    (tmp_path / "notes.txt").write_text("not yaml: [")
    (tmp_path / ".#draft.yaml").write_text("broken: [")
    (tmp_path / "nl.yml").write_text(GOOD)
    result = load_faq_dir(tmp_path)
    assert not result.errors
    assert result.files == 1


def test_missing_folder_is_an_error(tmp_path: Path) -> None:
    """A FAQ folder that does not exist is reported, not silently empty."""
    result = load_faq_dir(tmp_path / "nope")
    assert [e.message for e in result.errors] == ["no such file or folder"]


def test_demo_faq_is_valid_and_large_enough() -> None:
    """The shipped demo FAQ has no errors and at least 40 entries per language."""
    result = load_faq_dir(REPO / "faq")
    assert not result.errors, [str(e) for e in result.errors]
    for language in ("nl", "en"):
        entries = [e for e in result.entries if e.language == language]
        assert len(entries) >= 40
        assert all(3 <= len(e.questions) <= 6 for e in entries)
