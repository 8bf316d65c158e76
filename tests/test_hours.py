"""Staffed hours: ranges, holidays, extra days, daylight saving, and what shoppers are told."""

from __future__ import annotations

import re
import tomllib
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError

from loket.hours import (
    Availability,
    HoursSettings,
    StaffedHours,
    availability,
    describe_availability,
    parse_range,
)

AMS = ZoneInfo("Europe/Amsterdam")

# 2026: Monday 2 March; clocks go forward Sunday 29 March and back Sunday 25 October.
SPRING_FORWARD = date(2026, 3, 29)
FALL_BACK = date(2026, 10, 25)

# The demo shop: weekday evenings and weekend days.
DEMO = """
timezone = "Europe/Amsterdam"
monday = ["18:00-23:00"]
tuesday = ["18:00-23:00"]
wednesday = ["18:00-23:00"]
thursday = ["18:00-23:00"]
friday = ["18:00-23:00"]
saturday = ["10:00-22:00"]
sunday = ["10:00-22:00"]
closed = ["2026-12-25", 2026-12-26]

[open]
"2026-12-24" = ["10:00-16:00"]
2026-12-28 = ["10:00-18:00"]
"""


def at(year: int, month: int, day: int, hour: int, minute: int) -> datetime:
    """A wall-clock moment in Amsterdam (fold 0 where a time is shown twice)."""
    return datetime(year, month, day, hour, minute, tzinfo=AMS)


def utc(moment: datetime | None) -> datetime:
    """The same moment in UTC, where comparisons across the repeated hour are exact."""
    assert moment is not None
    return moment.astimezone(UTC)


def hours(**table: Any) -> StaffedHours:
    return StaffedHours(HoursSettings(**table))


def demo() -> StaffedHours:
    return StaffedHours(HoursSettings.model_validate(tomllib.loads(DEMO)))


# -- the settings --------------------------------------------------------------------------


def test_no_hours_table_means_always_staffed() -> None:
    """Without an [hours] table agents are staffed around the clock and decide by being online."""
    always = StaffedHours(HoursSettings())
    for moment in (at(2026, 5, 4, 3, 0), at(2026, 5, 9, 12, 0), at(2026, 12, 25, 23, 59)):
        assert always.is_staffed(moment)
        assert always.next_open(moment) == moment
        assert always.closes_at(moment) is None


def test_weekdays_left_out_are_closed() -> None:
    """Once any weekday is given, the weekdays not given are closed."""
    saturday_only = hours(saturday=["10:00-22:00"])
    assert saturday_only.is_staffed(at(2026, 3, 7, 12, 0))
    assert not saturday_only.is_staffed(at(2026, 3, 4, 12, 0))


def test_an_empty_list_closes_a_day_and_can_mean_never() -> None:
    """A weekday given as an empty list is closed, so `monday = []` alone is never staffed."""
    never = hours(monday=[])
    assert not never.is_staffed(at(2026, 3, 2, 12, 0))
    assert never.next_open(at(2026, 3, 2, 12, 0)) is None


def test_one_range_may_be_a_plain_string() -> None:
    """`sunday = "10:00-22:00"` reads as a list of one range."""
    assert HoursSettings.model_validate({"sunday": "10:00-22:00"}).sunday == ("10:00-22:00",)


def test_the_demo_toml_parses_with_string_and_native_dates() -> None:
    """The documented TOML shape loads, with dates written as strings or as TOML dates."""
    settings = HoursSettings.model_validate(tomllib.loads(DEMO))
    assert settings.closed == (date(2026, 12, 25), date(2026, 12, 26))
    assert settings.open[date(2026, 12, 24)] == ("10:00-16:00",)
    assert date(2026, 12, 28) in settings.open


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ({"monday": ["10-12"]}, "'10-12' is not a time range like '18:00-23:00'"),
        ({"monday": ["10:00-25:00"]}, "has a time that is not between 00:00 and 24:00"),
        ({"monday": ["24:00-02:00"]}, "starts at 24:00; start it at 00:00 on the next day"),
        ({"monday": ["10:00-10:00"]}, "write '00:00-24:00' for a whole day"),
        ({"timezone": "Europe/Amsterdm"}, "'Europe/Amsterdm' is not a known time zone"),
        ({"closed": ["2026-02-30"]}, "'2026-02-30' is not a date like 2026-12-25"),
        ({"open": {"tomorrow": ["10:00-12:00"]}}, "'tomorrow' is not a date like 2026-12-25"),
        # A stray space or another ISO 8601 form is refused, in open and closed alike.
        ({"open": {"2026-12-24 ": ["10:00-16:00"]}}, "'2026-12-24 ' has spaces around the date"),
        ({"closed": [" 2026-12-25"]}, "' 2026-12-25' has spaces around the date"),
        ({"open": {"20261224": ["10:00-16:00"]}}, "'20261224' is not a date like 2026-12-25"),
        ({"closed": ["2026-W52-5"]}, "'2026-W52-5' is not a date like 2026-12-25"),
        ({"open": {"2026-12-24": ["10:00"]}}, "2026-12-24: '10:00' is not a time range"),
        (
            {"closed": ["2026-12-24"], "open": {"2026-12-24": ["10:00-16:00"]}},
            "2026-12-24 is listed both in closed and in open; keep one",
        ),
        ({"monday": 5}, 'must be a list of ranges, like ["18:00-23:00"]'),
        ({"closed": 5}, 'must be a list of dates, like ["2026-12-25", "2026-12-26"]'),
        ({"open": ["2026-12-24"]}, "must be a table of dates"),
        ({"mondays": ["10:00-12:00"]}, "Extra inputs are not permitted"),
    ],
)
def test_mistakes_are_reported_in_prose(table: dict[str, Any], message: str) -> None:
    """Each kind of mistake in [hours] is refused with a sentence that says what is wrong."""
    with pytest.raises(ValidationError) as caught:
        HoursSettings.model_validate(table)
    assert message in str(caught.value)


def test_parse_range_puts_a_midnight_crossing_end_on_the_next_day() -> None:
    """'18:00-01:00' ends 25 hours after its day's midnight; '10:00-24:00' at midnight."""
    assert parse_range("18:00-01:00") == (18 * 60, 25 * 60)
    assert parse_range("10:00-24:00") == (10 * 60, 24 * 60)
    assert parse_range(" 9:30 – 12:00 ") == (9 * 60 + 30, 12 * 60)


def test_now_must_be_timezone_aware() -> None:
    """A naive datetime is refused rather than guessed."""
    with pytest.raises(ValueError, match="timezone-aware"):
        demo().is_staffed(datetime(2026, 3, 2, 12, 0))


# -- ranges --------------------------------------------------------------------------------


def test_a_range_crossing_midnight_belongs_to_the_day_it_starts_on() -> None:
    """Friday 18:00-01:00 staffs the night into Saturday, not the night into Friday."""
    late = hours(friday=["18:00-01:00"])
    assert late.is_staffed(at(2026, 3, 7, 0, 30))  # Saturday 00:30
    assert not late.is_staffed(at(2026, 3, 6, 0, 30))  # Friday 00:30
    assert not late.is_staffed(at(2026, 3, 7, 1, 0))  # the end is not included
    assert late.closes_at(at(2026, 3, 6, 22, 0)) == at(2026, 3, 7, 1, 0)


def test_touching_ranges_across_midnight_are_one_stretch() -> None:
    """Monday 23:00-24:00 and Tuesday 00:00-02:00 close once, at 02:00 on Tuesday."""
    night = hours(monday=["23:00-24:00"], tuesday=["00:00-02:00", "10:00-12:00"])
    assert night.closes_at(at(2026, 3, 2, 23, 30)) == at(2026, 3, 3, 2, 0)
    assert night.is_staffed(at(2026, 3, 3, 0, 0))


def test_overlapping_ranges_are_merged() -> None:
    """Ranges that overlap in a day form one stretch ending at the latest end."""
    overlap = hours(monday=["10:00-12:00", "11:00-14:00", "18:00-20:00"])
    assert overlap.closes_at(at(2026, 3, 2, 10, 30)) == at(2026, 3, 2, 14, 0)
    assert overlap.next_open(at(2026, 3, 2, 15, 0)) == at(2026, 3, 2, 18, 0)


def test_closes_at_is_none_when_not_staffed() -> None:
    """There is no closing time to report while nobody is staffed."""
    assert demo().closes_at(at(2026, 3, 2, 12, 0)) is None


def test_next_open_is_now_while_staffed() -> None:
    """While staffed, people can be reached now."""
    assert demo().next_open(at(2026, 3, 2, 19, 0)) == at(2026, 3, 2, 19, 0)


def test_next_open_across_a_week() -> None:
    """With only Saturdays staffed, Sunday evening's next opening is six days later."""
    saturdays = hours(saturday=["10:00-22:00"])
    assert saturdays.next_open(at(2026, 3, 8, 20, 0)) == at(2026, 3, 14, 10, 0)
    assert saturdays.next_open(at(2026, 3, 14, 22, 0)) == at(2026, 3, 21, 10, 0)


def test_next_open_is_in_the_shop_zone_whatever_the_zone_of_now() -> None:
    """A UTC `now` gives the same answer, expressed in the shop's time zone."""
    answer = demo().next_open(datetime(2026, 3, 2, 11, 0, tzinfo=UTC))
    assert answer == at(2026, 3, 2, 18, 0)
    assert answer is not None and answer.tzinfo is AMS


# -- holidays and extra days ---------------------------------------------------------------


def test_a_closed_date_is_not_staffed() -> None:
    """On Christmas Day (a Friday, closed) nobody is staffed, and staffing resumes on the 27th."""
    shop = demo()
    assert not shop.is_staffed(at(2026, 12, 25, 19, 0))
    assert shop.next_open(at(2026, 12, 25, 19, 0)) == at(2026, 12, 27, 10, 0)


def test_a_closed_date_lets_the_previous_evening_run_to_its_end() -> None:
    """A range starting the evening before a closed date runs on past midnight to its end."""
    shop = hours(thursday=["18:00-01:00"], friday=["18:00-23:00"], closed=["2026-12-25"])
    assert shop.is_staffed(at(2026, 12, 25, 0, 30))
    assert shop.closes_at(at(2026, 12, 24, 23, 0)) == at(2026, 12, 25, 1, 0)
    assert not shop.is_staffed(at(2026, 12, 25, 19, 0))


def test_an_open_date_replaces_that_days_hours() -> None:
    """Christmas Eve (a Thursday) has 10:00-16:00 instead of the usual evening."""
    shop = demo()
    assert shop.is_staffed(at(2026, 12, 24, 11, 0))
    assert not shop.is_staffed(at(2026, 12, 24, 19, 0))
    assert shop.closes_at(at(2026, 12, 24, 11, 0)) == at(2026, 12, 24, 16, 0)


def test_an_open_date_adds_a_day_that_is_normally_closed() -> None:
    """A Wednesday with no weekly hours is staffed when listed under open."""
    shop = hours(saturday=["10:00-22:00"], open={"2026-03-04": ["12:00-15:00"]})
    assert shop.is_staffed(at(2026, 3, 4, 13, 0))
    assert shop.next_open(at(2026, 3, 2, 9, 0)) == at(2026, 3, 4, 12, 0)


def test_an_open_date_with_no_ranges_is_closed() -> None:
    """`open = { "2026-03-07" = [] }` closes that date like a holiday."""
    shop = hours(saturday=["10:00-22:00"], open={"2026-03-07": []})
    assert not shop.is_staffed(at(2026, 3, 7, 12, 0))


# -- daylight saving -----------------------------------------------------------------------


def test_spring_forward_a_range_in_the_skipped_hour_starts_when_the_clock_jumps() -> None:
    """On 29 March 2026, 02:30 does not exist, so a range from 02:30 starts at 03:00."""
    shop = hours(sunday=["02:30-05:00"])
    start = shop.next_open(at(2026, 3, 28, 12, 0))
    assert start == at(2026, 3, 29, 3, 0)
    assert start is not None and start.utcoffset() == timedelta(hours=2)
    assert not shop.is_staffed(datetime(2026, 3, 29, 0, 59, tzinfo=UTC))  # 01:59 CET
    assert shop.is_staffed(datetime(2026, 3, 29, 1, 0, tzinfo=UTC))  # 03:00 CEST


def test_spring_forward_night_ranges_meet_at_the_jump() -> None:
    """Saturday 22:00-02:30 ends when the clock jumps, exactly where Sunday 02:30 begins."""
    shop = hours(saturday=["22:00-02:30"], sunday=["02:30-05:00"])
    assert shop.closes_at(at(2026, 3, 28, 23, 0)) == at(2026, 3, 29, 5, 0)


def test_spring_forward_a_range_wholly_in_the_skipped_hour_is_empty() -> None:
    """A range 02:10-02:50 on the spring-forward night staffs nothing, and nothing crashes."""
    shop = hours(sunday=["02:10-02:50"])
    assert shop.next_open(at(2026, 3, 28, 12, 0)) == at(2026, 4, 5, 2, 10)


def test_fall_back_the_repeated_hour_is_staffed_both_times() -> None:
    """On 25 October 2026 a range 01:00-02:30 covers both showings of 02:15."""
    shop = hours(sunday=["01:00-02:30"])
    first = datetime(2026, 10, 25, 0, 15, tzinfo=UTC)  # 02:15 CEST
    second = datetime(2026, 10, 25, 1, 15, tzinfo=UTC)  # 02:15 CET
    assert shop.is_staffed(first)
    assert shop.is_staffed(second)
    assert utc(shop.closes_at(first)) == datetime(2026, 10, 25, 1, 30, tzinfo=UTC)
    assert not shop.is_staffed(datetime(2026, 10, 25, 1, 30, tzinfo=UTC))
    # 02:45 is first shown before the range's end (the second 02:30) and then again after it.
    assert shop.is_staffed(at(2026, 10, 25, 2, 45))
    assert not shop.is_staffed(at(2026, 10, 25, 2, 45).replace(fold=1))


def test_fall_back_a_night_range_is_one_stretch_of_real_time() -> None:
    """Saturday 22:00 to Sunday 05:00 over the fall-back night is eight real hours, once."""
    shop = hours(saturday=["22:00-04:00"], sunday=["03:00-05:00"])
    start = at(2026, 10, 24, 22, 0)
    end = utc(shop.closes_at(start))
    assert end == datetime(2026, 10, 25, 4, 0, tzinfo=UTC)  # 05:00 CET
    assert end - utc(start) == timedelta(hours=8)
    assert shop.next_open(at(2026, 10, 25, 12, 0)) is not None


def test_fall_back_day_hours_keep_their_wall_clock_times() -> None:
    """Sunday 10:00-22:00 on the fall-back day opens at 10:00 CET, an hour later in UTC."""
    shop = demo()
    assert shop.next_open(at(FALL_BACK.year, 10, 25, 4, 0)) == at(2026, 10, 25, 10, 0)
    assert at(2026, 10, 25, 10, 0).utcoffset() == timedelta(hours=1)
    assert shop.closes_at(at(2026, 10, 25, 10, 0)) == at(2026, 10, 25, 22, 0)
    assert shop.next_open(at(SPRING_FORWARD.year, 3, 29, 4, 0)) == at(2026, 3, 29, 10, 0)


# -- what shoppers are told ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("now", "english", "dutch", "german", "french"),
    [
        (at(2026, 3, 2, 19, 0), "We're here", "We zijn er", "Wir sind da", "Nous sommes là"),
        (
            at(2026, 3, 2, 12, 0),
            "Back today at 18:00",
            "We zijn er vandaag weer om 18:00",
            "Wir sind heute ab 18:00 Uhr wieder da",
            "De retour aujourd'hui à 18:00",
        ),
        (
            at(2026, 3, 6, 23, 30),
            "Back tomorrow at 10:00",
            "We zijn er morgen weer om 10:00",
            "Wir sind morgen ab 10:00 Uhr wieder da",
            "De retour demain à 10:00",
        ),
        (
            at(2026, 3, 3, 0, 30),
            "Back today at 18:00",
            "We zijn er vandaag weer om 18:00",
            "Wir sind heute ab 18:00 Uhr wieder da",
            "De retour aujourd'hui à 18:00",
        ),
        (
            at(2026, 12, 24, 17, 0),
            "Back Sunday at 10:00",
            "We zijn er zondag weer om 10:00",
            "Wir sind am Sonntag ab 10:00 Uhr wieder da",
            "De retour dimanche à 10:00",
        ),
    ],
)
def test_shoppers_are_told_in_their_language(
    now: datetime, english: str, dutch: str, german: str, french: str
) -> None:
    """The sentence says today, tomorrow or the weekday, in the shopper's language: Dutch,
    English, German or French, English for any other language, Dutch when none is stated."""
    shop = demo()
    assert describe_availability(now, shop, "en") == english
    assert describe_availability(now, shop, "es-ES") == english
    assert describe_availability(now, shop, "fr-BE") == french
    assert describe_availability(now, shop, "nl") == dutch
    assert describe_availability(now, shop, "nl-BE") == dutch
    assert describe_availability(now, shop, "de_AT") == german


def test_a_week_or_more_ahead_gives_the_date() -> None:
    """An opening a week or more away is told with its date, and a year when it differs."""
    shop = hours(monday=[], open={"2026-04-20": ["10:00-12:00"], "2027-01-05": ["09:00-12:00"]})
    assert describe_availability(at(2026, 4, 1, 12, 0), shop, "en") == (
        "Back on Monday 20 April at 10:00"
    )
    assert describe_availability(at(2026, 4, 1, 12, 0), shop, "nl") == (
        "We zijn er maandag 20 april weer om 10:00"
    )
    assert describe_availability(at(2026, 12, 20, 12, 0), shop, "en") == (
        "Back on Tuesday 5 January 2027 at 09:00"
    )
    assert describe_availability(at(2026, 12, 20, 12, 0), shop, "de") == (
        "Wir sind am Dienstag, 5. Januar 2027 ab 09:00 Uhr wieder da"
    )


def test_no_planned_hours_are_said_honestly() -> None:
    """With nothing staffed ahead, shoppers are told that no staffed hours are planned."""
    never = hours(monday=[])
    assert describe_availability(at(2026, 3, 2, 12, 0), never, "en") == (
        "No staffed hours are planned"
    )
    assert describe_availability(at(2026, 3, 2, 12, 0), never, "nl") == (
        "Er zijn geen tijden gepland waarop we er zijn"
    )
    assert describe_availability(at(2026, 3, 2, 12, 0), never, "de") == (
        "Es sind keine Zeiten geplant, zu denen wir da sind"
    )


def test_availability_gives_the_widget_the_facts_with_the_text() -> None:
    """The structured form carries staffed, next_open and closes_at beside the sentence,
    and the shop's time zone, in which the sentence tells the time."""
    shop = demo()
    assert availability(at(2026, 3, 2, 12, 0), shop, "en") == Availability(
        staffed=False,
        next_open=at(2026, 3, 2, 18, 0),
        closes_at=None,
        text="Back today at 18:00",
        zone="Europe/Amsterdam",
    )
    assert availability(at(2026, 3, 2, 19, 0), shop, "en") == Availability(
        staffed=True,
        next_open=None,
        closes_at=at(2026, 3, 2, 23, 0),
        text="We're here",
        zone="Europe/Amsterdam",
    )


def test_french_lines_keep_their_punctuation_with_the_word_before_it() -> None:
    """French puts a space before ; : ! and ?: a non-breaking one, or a line of the widget
    can start with the mark alone. Every French line of the server and the bot has it."""
    from loket.bot.service import _SAY
    from loket.texts import _TEXTS

    for key, texts in [*_TEXTS.items(), *_SAY.items()]:
        french = texts[3]
        assert not re.search(r"[ \t][;:!?]", french), (key, french)
        assert not re.search(r"[^\s\u00a0({][;!?]", french.replace("{", "(")), (key, french)


_INFORMAL_GERMAN = re.compile(r"\b(?:du|dich|dir|dein\w*|hast|kannst|bist|möchtest|siehst)\b")


def test_every_german_line_has_a_formal_one_without_du() -> None:
    """A shop that addresses German shoppers formally (`widget.formal = ["de"]`) gets "Sie"
    in every line of Loket and the bot that says "du", and no "du" is left in them; other
    shops and other languages keep theirs."""
    from loket import texts
    from loket.bot import service

    for informal, formal in (
        (texts._TEXTS, texts._FORMAL["de"]),
        (service._SAY, service._SAY_FORMAL["de"]),
    ):
        for key, lines in informal.items():
            if _INFORMAL_GERMAN.search(lines[2]):
                assert key in formal, key
        for key, line in formal.items():
            assert key in informal and not _INFORMAL_GERMAN.search(line), (key, line)
    assert service.say("greeting", "de-AT", ("de",)) == "Hallo! Wie kann ich Ihnen helfen?"
    assert service.say("greeting", "de-AT") == "Hallo! Wie kann ich dir helfen?"
    assert service.say("greeting", "nl", ("de",)) == "Hallo! Waarmee kan ik je helpen?"
    joined = texts.say("agent_joined", "de", ("de",), name="Anna")
    assert joined == "Anna hilft Ihnen weiter."
