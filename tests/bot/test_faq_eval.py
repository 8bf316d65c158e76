"""Measured quality: verdict rules, the cases file, and the demo and held-out figures."""

from __future__ import annotations

from pathlib import Path

import pytest

from loket.bot.eval import CasesError, EvalCase, evaluate, judge, read_cases, unknown_ids
from loket.bot.faq import FaqEntry, load_faq_dir
from loket.bot.matcher import Matcher, MatchResult
from loket.bot.settings import BotSettings

REPO = Path(__file__).resolve().parents[2]
A = FaqEntry("a", "en", ("q",), "answer a")
B = FaqEntry("b", "en", ("q",), "answer b")


def result(outcome: str, entry: FaqEntry | None, *choices: FaqEntry) -> MatchResult:
    return MatchResult(outcome, entry, 0.5, choices, "en")  # type: ignore[arg-type]


def test_verdicts_follow_the_documented_rules() -> None:
    """The right answer is correct, another wrong, choices "did you mean", else "don't know"."""
    expects_a = EvalCase("q", "a")
    expects_none = EvalCase("q", "")
    assert judge(expects_a, result("answer", A)) == ("correct", False)
    assert judge(expects_a, result("answer", B)) == ("wrong", False)
    assert judge(expects_a, result("suggest", B, B, A)) == ("did_you_mean", True)
    assert judge(expects_a, result("suggest", B, B)) == ("did_you_mean", False)
    assert judge(expects_a, result("unknown", None)) == ("dont_know", False)
    assert judge(expects_none, result("answer", A)) == ("wrong", False)
    assert judge(expects_none, result("unknown", A)) == ("correct", False)
    assert judge(expects_none, result("suggest", A, A)) == ("did_you_mean", False)


def test_cases_file_is_read_with_lines(tmp_path: Path) -> None:
    """Rows become cases with their line; a bad header is refused with file and line."""
    path = tmp_path / "cases.csv"
    path.write_text('question,expected_id\n"hi, there",\nwhere is my order,order-status\n')
    assert read_cases(path) == [
        EvalCase("hi, there", "", 2),
        EvalCase("where is my order", "order-status", 3),
    ]
    path.write_text("q,id\n")
    with pytest.raises(CasesError, match=r"cases\.csv:1: the header"):
        read_cases(path)


def test_cases_file_from_a_spreadsheet_is_read(tmp_path: Path) -> None:
    """A byte-order mark (a spreadsheet's "CSV UTF-8"), semicolons or tabs between the
    columns and a named notes column are fine; a row with more columns than the header, a
    file without cases, or a file that is not UTF-8, is refused."""
    path = tmp_path / "cases.csv"
    path.write_bytes(
        "\ufeffquestion,expected_id,note\r\nwhere is my order,order-status,from chat\r\n"
        "do you sell bikes,\r\n".encode()
    )
    assert read_cases(path) == [
        EvalCase("where is my order", "order-status", 2),
        EvalCase("do you sell bikes", "", 3),
    ]
    # Spreadsheets in Dutch or German save CSV with semicolons; a tab-separated file works too.
    for separator in (";", "\t"):
        path.write_bytes(
            f"\ufeffquestion{separator}expected_id\r\nwaar, of wanneer?{separator}levertijd\r\n"
            f"verkopen jullie fietsen{separator}\r\n".encode()
        )
        assert read_cases(path) == [
            EvalCase("waar, of wanneer?", "levertijd", 2),
            EvalCase("verkopen jullie fietsen", "", 3),
        ]
    path.write_text("question,expected_id\n\n")
    with pytest.raises(CasesError, match="no cases"):
        read_cases(path)
    path.write_text("question,expected_id\nwhere, is my order,order-status\n")
    with pytest.raises(CasesError, match=r"cases\.csv:2: more columns than the header"):
        read_cases(path)
    path.write_bytes("question,expected_id\nwaar is mijn bestelling,levertijd\n".encode("utf-16"))
    with pytest.raises(CasesError, match="not UTF-8"):
        read_cases(path)


def test_cases_are_matched_in_the_page_language_they_name(tmp_path: Path) -> None:
    """A `language` column gives each case the page language the widget would tell Loket;
    `language=` covers the cases without one; a value that is no language is refused."""
    refund = FaqEntry("refund", "en", ("How long does a refund take?",), "Refunds take a week.")
    contact = FaqEntry("contact", "nl", ("Hoe kan ik contact met jullie opnemen?",), "Bel ons.")
    contact_us = FaqEntry("contact-us", "en", ("How can I contact you?",), "Call us.")
    matcher = Matcher.build([refund, contact, contact_us], BotSettings())
    path = tmp_path / "cases.csv"
    path.write_text(
        "question,expected_id,note,language\ncontact,contact-us,,en-GB\ncontact,contact\n"
    )
    cases = read_cases(path)
    assert cases == [
        EvalCase("contact", "contact-us", 2, "en-GB"),
        EvalCase("contact", "contact", 3, None),
    ]
    # "contact" is a word of both languages: its page language decides which entry answers.
    on_pages = evaluate(matcher, cases, language="nl")
    assert [o.verdict for o in on_pages.outcomes] == ["correct", "correct"]
    # Told nothing, the bot cannot know "contact" was asked on a Dutch page: it asks which
    # of the two was meant (each names "contact" in its id too).
    told_nothing = evaluate(matcher, cases)
    assert [o.verdict for o in told_nothing.outcomes] == ["correct", "did_you_mean"]
    path.write_text("question,expected_id,language\ncontact,contact,nederlands!\n")
    with pytest.raises(CasesError, match=r"cases\.csv:2: 'nederlands!' is no language"):
        read_cases(path)


def test_unknown_expected_ids_are_found() -> None:
    """A typo in an expected id is caught rather than counted as a miss, also as one of
    several."""
    matcher = Matcher.build([A], BotSettings())
    assert unknown_ids([EvalCase("q", "a"), EvalCase("q", "x")], matcher) == [EvalCase("q", "x")]
    assert unknown_ids([EvalCase("q", "a | x")], matcher) == [EvalCase("q", "a | x")]


def test_a_message_asking_two_things_is_right_with_either_entry() -> None:
    """Ids separated by "|" each count as the right answer, and among the choices."""
    case = EvalCase("what does shipping cost and how long does it take", "a|b")
    c = FaqEntry("c", "en", ("q",), "answer c")
    assert case.expected_ids == ("a", "b")
    assert judge(case, result("answer", B)) == ("correct", False)
    assert judge(case, result("answer", c)) == ("wrong", False)
    assert judge(case, result("suggest", c, c, B)) == ("did_you_mean", True)
    assert judge(case, result("unknown", None)) == ("dont_know", False)


def figures(faq: Path, cases: Path, settings: BotSettings | None = None) -> dict[str, float | int]:
    matcher = Matcher.build(load_faq_dir(faq).entries, settings or BotSettings())
    loaded = read_cases(cases)
    assert not unknown_ids(loaded, matcher)
    return evaluate(matcher, loaded).as_dict()


def test_demo_set_figures_hold() -> None:
    """On the demo FAQ the bot stays precise: few wrong answers, most questions handled."""
    report = figures(REPO / "faq", REPO / "faq" / "eval" / "cases.csv")
    assert report["cases"] >= 300
    assert report["wrong"] <= 0.03
    assert report["correct"] >= 0.85


def test_held_out_shop_figures_hold() -> None:
    """On a bike shop's FAQ the matcher was never tuned on, it stays as precise."""
    data = Path(__file__).parent / "data" / "bikeshop"
    report = figures(data, data / "cases.csv")
    assert report["wrong"] <= 0.03
    assert report["correct"] >= 0.85


@pytest.mark.parametrize("half", ["dev", "heldout"])
@pytest.mark.parametrize("shop", ["phoneshop", "pharmacy", "fashion"])
def test_other_shops_figures_hold(shop: str, half: str) -> None:
    """Three more shops unlike the demo (a phone shop in English, a pharmacy in Dutch, a
    fashion shop in German), each with shoppers' questions of which about a quarter ask
    what the FAQ does not cover. The questions were split into halves before the matcher
    was changed for them; only the dev halves were used to find what to change."""
    data = Path(__file__).parent / "data" / shop
    report = figures(data, data / f"{half}.csv")
    assert report["cases"] >= 40
    assert report["wrong"] <= 0.08
    assert report["correct"] >= 0.77


@pytest.mark.parametrize("shop", ["demo", "bikeshop"])
def test_meaning_answers_more_without_more_wrong_answers(shop: str) -> None:
    """Meaning as well as words answers more questions right, and stays precise.

    Each mode is measured at its own default cut-offs (stricter for words alone).
    """
    data = REPO / "faq" if shop == "demo" else Path(__file__).parent / "data" / "bikeshop"
    cases = data / "eval" / "cases.csv" if shop == "demo" else data / "cases.csv"
    both = figures(data, cases)
    words_only = figures(data, cases, BotSettings(semantic=False))
    assert both["correct"] >= words_only["correct"] + 0.05
    assert both["wrong"] <= max(words_only["wrong"], 0.03)


# First scores on two shops whose FAQs and questions were written by someone who had not
# seen the matcher, after the German spelling and lexicon were added (dev halves looked
# at, held-out halves scored): floors, so that a change that loses answers shows.
UNSEEN_FLOORS = {
    ("moebel", "dev"): (0.60, 0.04),
    ("moebel", "heldout"): (0.48, 0.12),
    ("dierenwinkel", "dev"): (0.64, 0.16),
    ("dierenwinkel", "heldout"): (0.68, 0.06),
    # An English outdoor-gear shop and a Dutch florist, written the same way a session
    # later, first scored after the subscription, pause and country concepts were added.
    ("outdoor", "dev"): (0.64, 0.10),
    ("outdoor", "heldout"): (0.70, 0.06),
    ("bloemist", "dev"): (0.64, 0.04),
    ("bloemist", "heldout"): (0.70, 0.04),
}


@pytest.mark.parametrize(("shop", "half"), sorted(UNSEEN_FLOORS))
def test_unseen_shops_figures_hold(shop: str, half: str) -> None:
    """A German furniture shop, a Dutch and English pet shop, an English outdoor-gear shop
    and a Dutch florist, each with 100 questions as shoppers type them (a fifth to a
    quarter of them about what the FAQ does not cover)."""
    data = Path(__file__).parent / "data" / shop
    report = figures(data, data / f"{half}.csv")
    correct, wrong = UNSEEN_FLOORS[shop, half]
    assert report["cases"] == 50
    assert report["correct"] >= correct, report
    assert report["wrong"] <= wrong, report


# Two shops written from the documentation alone by a tester who asked their bots as
# shoppers would (an English tea and coffee shop with 132 questions, a German electronics
# shop with 61), a third of them about what the FAQ does not cover, many of those asking
# the price of a product. Used to find what to change, so floors, not a held-out score:
# before the frame-word change they measured 73% and 72% right, 16% and 7% wrong.
DEV_FLOORS = {
    "teashop": (0.74, 0.11),
    "elektro": (0.70, 0.06),
    # Two more, written the same way after the frame-word change (a Dutch bookshop and an
    # English skincare shop, 87 questions each): their first scores, as floors.
    # Its wrong share went from 0.115 to 0.126 (one case: "waarom is mijn account
    # geblokkeerd" now gets the entry with the id "account") when ids became tags, which
    # gained 21 right answers and lost one wrong one over all the shops.
    "boekhandel": (0.71, 0.13),
    "skincare": (0.80, 0.05),
    # Four more written the same way (a Dutch board-game shop, an English record shop, a
    # German sports-food shop, a Dutch and English plant nursery; 68-75 questions each):
    # first scored at 65%, 68%, 66% and 58% right and 4.0%, 10.7%, 4.4% and 2.9% wrong, then
    # used to find the shop's common words, closer meaning for framed questions and a few
    # lexicon words.
    "spellenhuis": (0.66, 0.04),
    "vinyl": (0.69, 0.07),
    "sportnahrung": (0.70, 0.03),
    "kwekerij": (0.62, 0.03),
    # Four more written the same way, blind (a Dutch baby shop, an English bed shop, a Dutch
    # and English coffee-machine shop, a German kitchenware shop; 102-108 questions each, a
    # quarter about what the FAQ does not cover): their first scores, as floors.
    # Its wrong share went from 0.098 to 0.108 when "laten" was no longer read as "laat":
    # "kan ik de kinderwagen nu al bestellen en pas in maart laten bezorgen" (asked of the
    # out-of-stock entry) now gets the delivery time outright, "laten" being a word of that
    # entry's; over all the shops the change gained four right answers and no wrong one.
    "babywinkel": (0.64, 0.11),
    "bedstore": (0.73, 0.08),
    # The coffee shop's wrong share went from 0.056 to 0.065 with the lexicon's opening
    # hours, which gained seven right answers over all the shops and no wrong one: "tot hoe
    # laat zijn jullie open op zaterdag" now gets the entry that delivers on Saturdays (its
    # opening hours are one word of a long phrasing, not a question of their own).
    "koffiehuis": (0.77, 0.07),
    "kuechenwelt": (0.69, 0.08),
    # Two more, blind (a Dutch and English toy shop, 121 questions; a German paint shop,
    # 108), first scored at 81.0% and 63.9% right, 2.5% and 5.6% wrong; then used to find
    # that an entry's id names it (`_id_words` in the matcher) and that "kado" is "cadeau".
    "speelgoed": (0.85, 0.02),
    "farbenhaus": (0.70, 0.06),
    # Two more, blind, the same session (an English paper-craft shop, 115 questions; a German
    # pet-supplies shop, 120, six of them in English): first scored at 79.1% and 76.7% right,
    # 6.1% and 5.8% wrong; the pet shop's English questions then led to reading a question
    # in a language the FAQ lacks by its own webshop words (`_other_language`): 80.0%.
    "papercraft": (0.79, 0.07),
    # Its wrong share went from 0.058 to 0.067 when "hab" was read as "habe" (a stop word):
    # "hab die retoure vor 2 wochen geschickt und noch kein geld" now gets the return entry
    # outright; over all the shops the southern spellings gained nine right answers.
    "tierbedarf": (0.80, 0.07),
    # Two more, blind (a Dutch wine shop with a dozen English questions, an English
    # jewellery shop; 118 questions each, a quarter about what the FAQ does not cover):
    # first scored at 75.4% and 72.0% right, 4.2% and 9.3% wrong; the wine shop's "zijn
    # jullie zondag open" (answered with the opened bottle) then led to the lexicon's
    # opening hours (76.3% and 3.4%).
    "wijnhandel": (0.76, 0.04),
    "jewellery": (0.72, 0.10),
    # Two more, blind, the same session (a German bike-parts shop, 120 questions; a Dutch
    # and English lighting shop with an electrician's service, 116): first scored at 75.8%
    # and 71.6% right, 7.5% and 13.8% wrong, most of the wrong ones a question about a
    # service the shop does not give sharing one word with the one it does ("can the
    # electrician also fix my fuse box"); then "statt" as a common word and the lexicon's
    # "assembly" ("montieren" is "Einbau"). A three-letter rest that is no ending made
    # "fietstas" no form of "fiets" (6 fewer wrong answers over all shops, as many right):
    # here one question about a service the shop does not give went from a "did you mean"
    # to the electrician's answer (17 of 116 wrong).
    "radteile": (0.76, 0.08),
    "lampen": (0.71, 0.15),
    # Three more, blind (a Dutch clothing shop with a dozen English questions, 123; an
    # English camping and hiking shop with gear rental and repairs, 122; a German online
    # drugstore, 121): first scored at 73.2%, 78.7% and 73.6% right, 10.6%, 10.7% and 5.0%
    # wrong; then used to find that a typo is judged by the shorter word ("broek" is no
    # "brok" of "gebroken"), typos of the FAQ's compounds ("versankosten"), "kort" apart
    # from "korting", and chat spellings ("what time do u shut").
    "kledingwinkel": (0.74, 0.09),
    # Its right share went from 0.795 to 0.787 when the English "store" became the shop
    # only after a word that says so ("your store", "in store"): "can i get my feet
    # measured in the shop" now gets a "did you mean", the boot-fitting entry naming "our
    # Keswick store" in its answer only; a food shop's "how should I store the food" no
    # longer gets the shop's address.
    "camping": (0.78, 0.11),
    "drogerie": (0.75, 0.05),
    # Two more, blind, the same session (a Dutch online supermarket with a dozen English
    # questions, 127; an English PC-hardware shop that builds to order, 134): first scored
    # at 74.8% and 82.8% right, 4.7% and 7.5% wrong; then used to find that an id keeps its
    # short words ("bezorger-te-laat" is late, not "laat" of "laten zien"), "laten" apart
    # from "laat", "gpus" as "gpu", "installed" apart from "instalments", and compounds that
    # are no kind of a word ("pakketautomaat" of "tomaat").
    "supermarkt": (0.74, 0.03),
    "pchardware": (0.84, 0.07),
    # Three more, blind (a Dutch online optician, 100 questions; an English candle shop, 103;
    # a German car-parts and tyre shop, 101): first scored at 73.0%, 63.1% and 59.4% right,
    # 9.0%, 11.7% and 9.9% wrong, most of the wrong ones again a question about what the
    # shop does not offer sharing one word with what it does; then the lexicon's "e-gift
    # voucher", "Nachnahme" and "rembours" (paying) and "ausgelaufen" (damaged).
    "brilmeester": (0.73, 0.09),
    "wickwax": (0.64, 0.11),
    "teileprofi": (0.60, 0.09),
    # Three more, blind (a Dutch photo-print shop, 106 questions; an English music shop, 106;
    # an Austrian shoe shop in German and English, 105): first scored at 71.7%, 68.9% and
    # 80.0% right, 9.4%, 12.3% and 5.7% wrong; then hyphenated words written joined
    # ("layflat"), "open on saturday?", "wen", "Packerl", "is" and "hab", and German
    # participles. The music shop's wrong answers are nearly all questions about what the
    # shop does not offer sharing one word with what it does ("do you repair violin bows").
    "fotofabriek": (0.72, 0.10),
    "fretwork": (0.69, 0.13),
    "schuhwerk": (0.81, 0.07),
    # Four more, blind (a Dutch and English garden-furniture shop, 103 questions; a German
    # musical-instrument shop, 92; an English shop of refurbished laptops and phones, 99; a
    # Dutch pet-food subscription, 91): first scored at 72.8%, 78.3%, 76.8% and 67.0% right,
    # 7.8%, 6.5%, 6.1% and 7.7% wrong; then a way to pay named alone ("nehmt ihr
    # Kreditkarte", "accepteren jullie paypal") read as paying too (`IMPLIED`).
    "tuinkeizer": (0.74, 0.08),
    # (klangkiste: one right answer became a "did you mean" with that change, 72 of 92.)
    "klangkiste": (0.78, 0.07),
    "refurbly": (0.77, 0.07),
    "voerbuddy": (0.67, 0.08),
    # The first in French, blind (a French home-linen shop, 106 questions; a Brussels
    # bike-parts shop in French and Dutch, 108): first scored at 51.9% and 50.0% right,
    # 11.3% and 6.5% wrong, with French words in a third of the lexicon's concepts; then
    # French words for all of them, "Apple Pay" read as paying in French, and a delivery
    # time written as one word ("levertermijn", "bezorgtijd") read as asking how long.
    "maisonlin": (0.64, 0.12),
    "velobrux": (0.57, 0.09),
    # Two more, blind (a Dutch office-supplies and ink shop for small businesses, 106
    # questions; an English golf shop with fitting, trade-in and a workshop, 107): their
    # first scores, 73.6% and 71.0% right, 6.6% and 5.6% wrong, nothing changed for them.
    "kantoorshop": (0.73, 0.07),
    "golfpro": (0.71, 0.06),
}


@pytest.mark.parametrize("shop", sorted(DEV_FLOORS))
def test_tested_shops_figures_hold(shop: str) -> None:
    """Shops a tester wrote from the docs: few answers to questions they do not cover."""
    data = Path(__file__).parent / "data" / shop
    report = figures(data, data / "cases.csv")
    correct, wrong = DEV_FLOORS[shop]
    assert report["correct"] >= correct, report
    assert report["wrong"] <= wrong, report
