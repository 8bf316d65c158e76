"""The `loket faq` commands, run through a parser built with `register`."""

from __future__ import annotations

import argparse
import io
import json
from pathlib import Path

import pytest

from loket.bot.cli import register
from loket.bot.watcher import FaqWatcher, kept_copies_dir
from loket.store import Store, run_with_store

REPO = Path(__file__).resolve().parents[2]


def run(*argv: str) -> int:
    parser = argparse.ArgumentParser(prog="loket")
    register(parser.add_subparsers())
    args = parser.parse_args(argv)
    code: int = args.func(args)
    return code


def test_check_passes_the_demo_faq(capsys: pytest.CaptureFixture[str]) -> None:
    """`faq check faq` exits 0 with a one-line summary, then the shop's common words."""
    assert run("faq", "check", str(REPO / "faq")) == 0
    out = capsys.readouterr().out.strip().splitlines()
    assert "no errors" in out[0]
    assert all(line.startswith("common words (") for line in out[1:]), out


def test_check_names_the_words_that_only_frame_a_question(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A word in a third of the entries or more frames a question as "how" does: the
    summary names it per language, as the FAQ writes it, and leaves question words out."""
    entries = "".join(
        f'  - id: e{n}\n    questions: ["How long does the {thing} photo book take"]\n'
        f"    answer: A {thing} photo book takes a week.\n"
        for n, thing in enumerate(["leather", "linen", "paper", "glossy", "matte", "layflat"])
    )
    (tmp_path / "books.en.yaml").write_text(f"language: en\ntopic: books\nentries:\n{entries}")
    (tmp_path / "hours.en.yaml").write_text(
        "language: en\ntopic: hours\nentries:\n"
        "  - id: hours\n    questions: [When are you open]\n    answer: Every day.\n"
    )
    assert run("faq", "check", str(tmp_path)) == 0
    out = capsys.readouterr().out.strip().splitlines()
    assert out[1].startswith("common words (en): book, photo, take:"), out
    assert len(out) == 2


def test_a_common_word_that_is_a_compound_s_part_is_named_as_written(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """ "workshop" is indexed as "work" and "shop": what the summary names is the word the
    phrasings write, not a part of it they never write alone."""
    things = ["fix my brakes", "true a wheel", "fit a chain", "service a fork"]
    questions = [f"Can the workshop {thing}" for thing in things] + [
        "Does the work come with a warranty",
        "Do you sell gift cards",
        "Do you ship abroad",
    ]
    entries = "".join(
        f'  - id: e{n}\n    questions: ["{question}"]\n    answer: Yes.\n'
        for n, question in enumerate(questions)
    )
    (tmp_path / "shop.en.yaml").write_text(f"language: en\ntopic: shop\nentries:\n{entries}")
    assert run("faq", "check", str(tmp_path)) == 0
    out = capsys.readouterr().out.strip().splitlines()
    assert out[1].startswith("common words (en): workshop:"), out


def test_check_reports_errors_and_exits_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A broken file is printed as file:line: message and the exit code is 1."""
    (tmp_path / "x.yaml").write_text("language: nl\ntopic: t\nentries: 3\n")
    assert run("faq", "check", str(tmp_path)) == 1
    assert (
        capsys.readouterr().out == f"{tmp_path / 'x.yaml'}:3: entries must be a list of entries\n"
    )


def test_check_takes_one_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`faq check FILE` checks that file alone: the demo's returns file passes, a broken
    copy of it fails with its line."""
    returns = REPO / "faq" / "returns.en.yaml"
    assert run("faq", "check", str(returns)) == 0
    assert "1 file(s)" in capsys.readouterr().out
    broken = tmp_path / "returns.en.yaml"
    broken.write_text(returns.read_text(encoding="utf-8").replace("answer:", "antwoord:", 1))
    assert run("faq", "check", str(broken)) == 1
    assert "unknown key 'antwoord'" in capsys.readouterr().out


def test_check_defaults_to_configured_faq_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Without DIR, the faq_dir of [bot] in ./config.toml is checked."""
    (tmp_path / "shopfaq").mkdir()
    (tmp_path / "shopfaq" / "x.yaml").write_text("nonsense: 1\n")
    (tmp_path / "config.toml").write_text('[bot]\nfaq_dir = "shopfaq"\n')
    monkeypatch.chdir(tmp_path)
    assert run("faq", "check") == 1
    assert "shopfaq" in capsys.readouterr().out


def test_eval_json_has_every_figure(capsys: pytest.CaptureFixture[str]) -> None:
    """`faq eval --json` prints one object with shares and timings."""
    data = Path(__file__).parent / "data" / "bikeshop"
    assert run("faq", "eval", "--faq", str(data), "--cases", str(data / "cases.csv"), "--json") == 0
    report = json.loads(capsys.readouterr().out)
    assert set(report) == {
        "cases",
        "correct",
        "wrong",
        "did_you_mean",
        "did_you_mean_hit",
        "dont_know",
        "p50_ms",
        "p99_ms",
    }
    shares = report["correct"] + report["wrong"] + report["did_you_mean"] + report["dont_know"]
    assert shares == pytest.approx(1.0, abs=0.001)


def test_eval_finds_the_cases_kept_in_the_faq_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Without --cases, `faq eval` scores the FAQ folder's own eval/cases.csv (where the demo
    keeps its cases); a folder with none is told to give --cases (exit 2)."""
    monkeypatch.chdir(tmp_path)
    assert run("faq", "eval", "--faq", str(REPO / "faq"), "--json") == 0
    assert json.loads(capsys.readouterr().out)["cases"] >= 300
    bare = Path(__file__).parent / "data" / "bikeshop"
    assert run("faq", "eval", "--faq", str(bare)) == 2
    assert "--cases FILE" in capsys.readouterr().err


def test_eval_without_a_config_says_nothing_of_a_store(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Run where there is no config.toml, `faq eval --faq` scores with the defaults and warns
    of no store (it uses none; the warning landed inside the table on a terminal)."""
    monkeypatch.chdir(tmp_path)
    data = Path(__file__).parent / "data" / "bikeshop"
    assert run("faq", "eval", "--faq", str(data), "--cases", str(data / "cases.csv")) == 0
    assert "correct:" in capsys.readouterr().out
    assert not [record for record in caplog.records if record.levelname == "WARNING"]
    assert not list(tmp_path.iterdir())


def test_eval_refuses_unknown_expected_ids(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A cases file naming an id the FAQ lacks is an error with file and line."""
    cases = tmp_path / "cases.csv"
    cases.write_text("question,expected_id\nwhere is it,nope\nwhen and where,levertijd|nah\n")
    assert run("faq", "eval", "--faq", str(REPO / "faq"), "--cases", str(cases)) == 1
    err = capsys.readouterr().err
    assert f"{cases}:2: no entry has the id 'nope'" in err
    assert f"{cases}:3: no entry has the id 'nah'" in err and "levertijd'" not in err


def test_concepts_are_listed_with_those_switched_off(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`faq concepts` prints each concept's words per language and marks the ones the
    config switches off; an unknown name is an error."""
    (tmp_path / "config.toml").write_text('[bot]\nfaq_dir = "."\nconcepts_off = ["tracking"]\n')
    monkeypatch.chdir(tmp_path)
    assert run("faq", "concepts", "tracking", "cancel", "--language", "en") == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "cancel" and out[1].startswith("    en: cancel, cancellation")
    assert "tracking  (off: concepts_off in config.toml)" in out
    assert not any(line.startswith("    nl:") for line in out)
    assert run("faq", "concepts", "nonsense") == 2
    assert "no such concept: nonsense" in capsys.readouterr().err


def test_eval_matches_as_on_pages_in_the_language_given(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`faq eval --language nl` matches as on Dutch pages: "klarna" (a word of both the
    demo's languages) is the Dutch entry. A language that is no language code is refused."""
    cases = tmp_path / "cases.csv"
    cases.write_text("question,expected_id\nklarna,achteraf-betalen\n")
    args = ("faq", "eval", "--faq", str(REPO / "faq"), "--cases", str(cases), "--json")
    assert run(*args) == 0
    assert json.loads(capsys.readouterr().out)["correct"] == 0
    assert run(*args, "--language", "nl") == 0
    assert json.loads(capsys.readouterr().out)["correct"] == 1
    assert run(*args, "--language", "dutch!") == 2
    assert "'dutch!' is no language" in capsys.readouterr().err


def test_check_sees_the_server_folder_as_the_server_does(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A broken file of the configured folder counts with the last good version the server
    kept: an id a new file repeats from it is reported (on the newcomer), and so is that the
    server answers with the kept version. Another folder is checked as files alone."""
    entry = (
        'language: nl\ntopic: retour\nentries:\n  - id: retour\n    questions: ["{q}"]\n'
        '    answer: "{a}"\n'
    )
    faq = tmp_path / "shopfaq"
    faq.mkdir()
    (faq / "retour.nl.yaml").write_text(entry.format(q="Hoe stuur ik iets terug?", a="Zo."))
    (tmp_path / "config.toml").write_text('[bot]\nfaq_dir = "shopfaq"\n')
    FaqWatcher(faq, keep_dir=kept_copies_dir(tmp_path / "data")).load()  # the server ran
    (faq / "retour.nl.yaml").write_text("entries: [\n")
    (faq / "nieuw.nl.yaml").write_text(entry.format(q="Mag ik iets retourneren?", a="Nee."))
    monkeypatch.chdir(tmp_path)
    assert run("faq", "check") == 1
    out = capsys.readouterr().out
    assert "nieuw.nl.yaml:4: id 'retour' is already used at" in out, out
    assert "retour.nl.yaml: until it is fixed, the server answers with its last good version" in out
    elsewhere = tmp_path / "copy"
    elsewhere.mkdir()
    for name in ("retour.nl.yaml", "nieuw.nl.yaml"):
        (elsewhere / name).write_text((faq / name).read_text())
    assert run("faq", "check", str(elsewhere)) == 1
    out = capsys.readouterr().out
    assert "already used" not in out and "last good version" not in out


def test_check_of_a_named_folder_is_not_stopped_by_a_broken_config(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A ./config.toml that does not load stops no check of a folder named on the command
    line (it may have nothing to do with it); without a folder, its error is the answer."""
    (tmp_path / "config.toml").write_text("[bot\n")
    monkeypatch.chdir(tmp_path)
    assert run("faq", "check", str(REPO / "faq")) == 0
    assert "no errors" in capsys.readouterr().out


_TEA = """language: en
topic: tea
entries:
  - id: loose-leaf-storage
    questions:
      - "How should I store loose leaf tea?"
      - "How long does tea keep?"
    answer: "Keep it airtight, dark and away from spices; green tea keeps a year."
  - id: decaf
    questions:
      - "Do you sell decaffeinated tea?"
      - "Which teas have no caffeine?"
    answer: "Our rooibos and herbal blends have no caffeine at all."
"""


def _tea_shop(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    faq = tmp_path / "teafaq"
    faq.mkdir()
    (faq / "tea.en.yaml").write_text(_TEA)
    (tmp_path / "config.toml").write_text(
        '[bot]\nfaq_dir = "teafaq"\n[server]\ndata_dir = "data"\n'
    )
    monkeypatch.chdir(tmp_path)
    return faq


def _asked(capsys: pytest.CaptureFixture[str]) -> dict[str, dict[str, object]]:
    lines = capsys.readouterr().out.splitlines()
    return {verdict["question"]: verdict for verdict in map(json.loads, lines)}


def test_ask_tells_what_the_bot_would_say_and_why(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`faq ask` answers each question from the configured FAQ: the entry with its file and
    line and the answer itself, small talk as small talk, a person asked for as such, and
    a question no entry answers as "don't know"; the text form says the same."""
    _tea_shop(tmp_path, monkeypatch)
    questions = (
        "how do i store my tea",
        "hi there",
        "can i talk to a person",
        "how much longer",
        "do you ship to mars",
    )
    assert run("faq", "ask", "--json", *questions) == 0
    got = _asked(capsys)
    stored = got["how do i store my tea"]
    assert stored["outcome"] == "answer" and stored["entry_id"] == "loose-leaf-storage"
    assert stored["reply"] == "Keep it airtight, dark and away from spices; green tea keeps a year."
    assert stored["source"] == "teafaq/tea.en.yaml:4"  # the entry's line, from here
    assert got["hi there"] == {
        "question": "hi there",
        "outcome": "small_talk",
        "talk": "greeting",
        "reply": "Hello! How can I help you?",
    }
    assert got["can i talk to a person"]["talk"] == "person"
    # Matched as any question; in the queue it would be told of the queue.
    assert got["how much longer"]["outcome"] != "small_talk"
    assert "your place in line" in got["how much longer"]["in_queue"]
    assert got["do you ship to mars"]["outcome"] == "unknown"
    assert run("faq", "ask", "how do i store my tea", "do you ship to mars", "how much longer") == 0
    text = capsys.readouterr().out
    assert "(in the queue for a person: asks how long the wait is" in text
    assert "answer: loose-leaf-storage, score" in text and "Keep it airtight" in text
    assert "do you ship to mars\n  don't know" in text


def test_ask_tells_each_question_of_a_message_that_asks_several(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A message asking two things is shown as the bot treats it: each question with its
    own verdict, the one no entry answers marked as named to the shopper and kept."""
    _tea_shop(tmp_path, monkeypatch)
    asked = "how do i store my tea? and which teas have no caffeine? do you ship to mars?"
    assert run("faq", "ask", "--json", asked) == 0
    verdict = _asked(capsys)[asked]
    assert verdict["outcome"] == "several"
    questions: list[dict[str, object]] = verdict["questions"]  # type: ignore[assignment]
    assert [(q["question"], q["outcome"]) for q in questions] == [
        ("how do i store my tea?", "answer"),
        ("and which teas have no caffeine?", "answer"),
        ("do you ship to mars?", "unknown"),
    ]
    assert [q["entry_id"] for q in questions[:2]] == ["loose-leaf-storage", "decaf"]
    assert run("faq", "ask", asked) == 0
    text = capsys.readouterr().out
    assert "asks 3 questions, each answered on its own:\n  1. how do i store my tea?" in text
    assert "kept among the misses" in text


def test_ask_names_the_words_a_question_shares_with_the_entry(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Why the bot picked an entry: the question's words the entry holds, as the shopper
    wrote them, a typo with the FAQ's word it was read as, a word only the answer holds, and
    a word group of the lexicon by its name (for `loket faq concepts`)."""
    _tea_shop(tmp_path, monkeypatch)
    (tmp_path / "teafaq" / "shipping.en.yaml").write_text(
        "language: en\ntopic: shipping\nentries:\n  - id: shipping\n    questions:\n"
        '      - "How long does delivery take?"\n'
        '    answer: "Two days, sent in a tin."\n'
    )
    questions = ("do you have decaffinated tea", "when is my tea shipped in a tin")
    assert run("faq", "ask", "--json", *questions) == 0
    got = _asked(capsys)
    decaf = got["do you have decaffinated tea"]
    assert decaf["entry_id"] == "decaf"
    shared = {found["word"]: found for found in decaf["shared"]}
    assert shared["tea"] == {
        "word": "tea",
        "matches": "tea",
        "similarity": 1.0,
        "in_answer": False,
        "frames": "",
    }
    assert shared["decaffinated"]["matches"] == "decaffeinat"  # a typo, read as the FAQ's word
    assert shared["decaffinated"]["similarity"] < 1
    shipped = got["when is my tea shipped in a tin"]
    assert shipped["entry_id"] == "shipping", shipped
    words = {found["word"]: found for found in shipped["shared"]}
    assert words["~deliver"]["in_answer"] is False  # "shipped" is "delivery": one group
    assert words["tin"]["in_answer"] is True
    assert run("faq", "ask", *questions) == 0
    text = capsys.readouterr().out
    assert "  shared words: decaffinated ≈ decaffeinat, tea\n" in text
    assert "  shared words: ~deliver, tin (answer only)\n" in text
    assert "(~deliver: word groups of the lexicon, `loket faq concepts`)" in text


def test_ask_marks_the_words_that_only_frame_a_question(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A shared word that only frames a question ("how much") or is one of the shop's own
    common words ("tent" in four of its entries) is marked: it alone does not make the
    entry the answer, which a shop owner cannot see otherwise."""
    topics = ("repair", "rental", "pitching", "waterproofing")
    entries = "".join(
        f'  - id: tent-{topic}\n    questions:\n      - "Tent {topic}?"\n'
        f'    answer: "About {topic}."\n'
        for topic in topics
    )
    (tmp_path / "tents.en.yaml").write_text(f"language: en\ntopic: tents\nentries:\n{entries}")
    (tmp_path / "shipping.en.yaml").write_text(
        "language: en\ntopic: shipping\nentries:\n  - id: shipping\n    questions:\n"
        '      - "How much is shipping?"\n    answer: "Shipping is free."\n'
    )
    assert run("faq", "ask", "--faq", str(tmp_path), "--json", "how much is shipping") == 0
    (verdict,) = _asked(capsys).values()
    frames = {found["word"]: found["frames"] for found in verdict["shared"]}
    assert frames["~cost"] == "frame" and frames["~deliver"] == "", verdict
    assert run("faq", "ask", "--faq", str(tmp_path), "how much is shipping", "tent repair") == 0
    text = capsys.readouterr().out
    assert "~cost (frames only)" in text, text
    assert "tent (common in this FAQ)" in text, text
    # `faq check` takes the folder as `--faq` too, as `ask` and `eval` do.
    assert run("faq", "check", "--faq", str(tmp_path)) == 0
    assert "5 entries" in capsys.readouterr().out


def test_ask_reads_questions_from_stdin_and_checks_the_language(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Without questions on the command line, one per line is read from stdin (blank
    lines skipped); --language must be a language, and is what small talk answers in."""
    _tea_shop(tmp_path, monkeypatch)
    monkeypatch.setattr("sys.stdin", io.StringIO("which teas have no caffeine\n\nhallo\n"))
    assert run("faq", "ask", "--json", "--language", "de") == 0
    got = _asked(capsys)
    assert list(got) == ["which teas have no caffeine", "hallo"]
    assert got["which teas have no caffeine"]["entry_id"] == "decaf"
    assert got["hallo"]["reply"] == "Hallo! Wie kann ich dir helfen?"
    assert run("faq", "ask", "--language", "dutch!", "x") == 2
    assert "is no language" in capsys.readouterr().err


MATCHA_WHISKS = "Yes, bamboo whisks with 100 tines."


async def _learned(store: Store, question: str, answer: str, *, approved: bool) -> int:
    """An agent's English answer kept in `store` (`approved` or a candidate); its id."""
    record = await store.add_learned(
        question,
        answer,
        language="en",
        agent_id=None,
        conversation_id=None,
        approved=approved,
        personal=[],
        now=1,
    )
    assert record is not None
    return record.id


def test_ask_answers_as_the_server_with_learned_answers_and_kept_versions(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The server's folder is read as the server reads it: a broken file answers with the
    version the server kept (and says so), and the learned answers approved in its store
    answer too; a pending one does not. Another folder named with --faq is its files alone."""
    faq = _tea_shop(tmp_path, monkeypatch)
    FaqWatcher(faq, keep_dir=kept_copies_dir(tmp_path / "data")).load()  # the server ran
    (faq / "tea.en.yaml").write_text("entries: [\n")

    async def learn(store: Store) -> int:
        await _learned(store, "Do you sell matcha whisks?", MATCHA_WHISKS, approved=True)
        await _learned(store, "Do you sell teapots?", "Only cast iron ones.", approved=False)
        return 0

    store = tmp_path / "data" / "loket.db"
    run_with_store(store, learn)
    stored = store.read_bytes()
    assert run("faq", "ask", "--json", "how to store tea", "matcha whisk", "teapots") == 0
    # Read, not opened as the server opens it: nothing is written to a live server's store.
    assert store.read_bytes() == stored
    captured = capsys.readouterr()
    assert "answered from its last good version" in captured.err
    got = {v["question"]: v for v in map(json.loads, captured.out.splitlines())}
    assert got["how to store tea"]["entry_id"] == "loose-leaf-storage"
    assert got["matcha whisk"]["reply"] == MATCHA_WHISKS
    assert got["matcha whisk"]["source"] == "learned"
    assert got["teapots"]["outcome"] == "unknown"
    other = tmp_path / "other"
    other.mkdir()
    (other / "tea.en.yaml").write_text(_TEA)
    assert run("faq", "ask", "--json", "--faq", str(other), "matcha whisk") == 0
    assert json.loads(capsys.readouterr().out)["outcome"] == "unknown"


def test_eval_served_scores_the_bot_with_its_learned_answers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`faq eval` scores the FAQ files alone; with --served, as the server answers now:
    an approved learned answer answers too, right where the case names its id."""
    _tea_shop(tmp_path, monkeypatch)

    async def learn(store: Store) -> int:
        return await _learned(store, "Do you sell matcha whisks?", MATCHA_WHISKS, approved=True)

    learned = run_with_store(tmp_path / "data" / "loket.db", learn)
    cases = tmp_path / "cases.csv"
    cases.write_text(
        "question,expected_id\nhow do i store my tea,loose-leaf-storage\n"
        "do you sell a matcha whisk,\n"
    )
    assert run("faq", "eval", "--cases", str(cases), "--json") == 0
    assert json.loads(capsys.readouterr().out)["correct"] == 1.0
    assert run("faq", "eval", "--served", "--cases", str(cases), "--json") == 0
    served = json.loads(capsys.readouterr().out)
    assert served["correct"] == 0.5 and served["wrong"] == 0.5, served
    cases.write_text(f"question,expected_id\ndo you sell a matcha whisk,learned:{learned}\n")
    assert run("faq", "eval", "--cases", str(cases), "--json") == 1
    assert "(a learned answer: score as the server answers, with --served)" in (
        capsys.readouterr().err
    )
    assert run("faq", "eval", "--served", "--cases", str(cases), "--json") == 0
    assert json.loads(capsys.readouterr().out)["correct"] == 1.0


def test_ask_a_named_folder_despite_a_broken_config_and_refuse_an_empty_question(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A ./config.toml that does not load stops no question to a folder named with --faq;
    an empty question is refused rather than waiting for questions on stdin."""
    faq = tmp_path / "teafaq"
    faq.mkdir()
    (faq / "tea.en.yaml").write_text(_TEA)
    (tmp_path / "config.toml").write_text("[bot\n")
    monkeypatch.chdir(tmp_path)
    assert run("faq", "ask", "--json", "--faq", str(faq), "which teas have no caffeine") == 0
    assert json.loads(capsys.readouterr().out)["entry_id"] == "decaf"
    assert run("faq", "ask", "--faq", str(faq), "  ") == 2
    assert "the question is empty" in capsys.readouterr().err


@pytest.mark.parametrize("days", ["0", "-5", "nan", "inf", "week"])
def test_misses_refuses_a_span_of_no_days(days: str, capsys: pytest.CaptureFixture[str]) -> None:
    """`faq misses --days 0` would look back over nothing and say there are no misses."""
    with pytest.raises(SystemExit) as stopped:
        run("faq", "misses", "--days", days)
    assert stopped.value.code == 2
    assert "a number of days above 0" in capsys.readouterr().err
