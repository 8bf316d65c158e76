"""Staffed hours: are people at the counter now, and when next. Pure rules, no I/O.

Times in `[hours]` are wall-clock times in the shop's time zone. A range covers the moments
the shop's clock shows a time inside it, so across a daylight-saving change:
- on the night clocks go forward, a range starting or ending in the skipped hour starts or
  ends when the clock jumps (02:30 becomes 03:00);
- on the night clocks go back, a range starts at the first time its start is shown and ends
  at the last time its end is shown; nothing is counted twice, because overlapping and
  touching ranges are merged into one staffed stretch.

Moments are compared in UTC: Python compares two datetimes of the same zone by their wall
clock alone, which is wrong in the repeated hour. Answers are given in the shop's zone (with
`fold` set), for display; compare them by `.timestamp()` or in UTC.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from loket.languages import Language, text_language

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")

# How far ahead next_open looks for staffed hours; beyond this counts as "never".
HORIZON_DAYS = 400
# How far ahead closes_at follows a staffed stretch; one running longer counts as not ending
# (this keeps the always-staffed default cheap, and nobody is told "here until" weeks ahead).
STRETCH_DAYS = 14

_MINUTES_PER_DAY = 24 * 60
_RANGE = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*[-–]\s*(\d{1,2}):(\d{2})\s*$")
# A date as written in [hours]: year, month and day, like 2026-12-25 (ISO 8601's other
# forms, 20261225 or 2026-W52-5, are not what anyone means to write there).
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)

# A range as minutes after midnight of the day it starts on; the end may pass 24:00.
Range = tuple[int, int]


def parse_range(text: str) -> Range:
    """'18:00-01:00' as minutes after midnight of its own day: (1080, 1500); else ValueError."""
    match = _RANGE.match(text)
    if match is None:
        raise ValueError(f"{text!r} is not a time range like '18:00-23:00'")
    start = _minutes(int(match[1]), int(match[2]), text)
    end = _minutes(int(match[3]), int(match[4]), text)
    if start == _MINUTES_PER_DAY:
        raise ValueError(f"{text!r} starts at 24:00; start it at 00:00 on the next day")
    if end == start:
        raise ValueError(
            f"{text!r} starts and ends at the same time; write '00:00-24:00' for a whole day"
        )
    # An end at or before the start is on the next day: the range runs past midnight.
    return (start, end if end > start else end + _MINUTES_PER_DAY)


def _minutes(hours: int, minutes: int, text: str) -> int:
    if minutes > 59 or hours > 24 or (hours == 24 and minutes > 0):
        raise ValueError(f"{text!r} has a time that is not between 00:00 and 24:00")
    return hours * 60 + minutes


def parse_date(value: object) -> date:
    """A date from TOML (a date, or a string like '2026-12-25'); else ValueError."""
    if isinstance(value, datetime):
        raise ValueError(f"{value} has a time of day; give only the date, like 2026-12-25")
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        if value.strip() != value:
            raise ValueError(f"{value!r} has spaces around the date; write it like 2026-12-25")
        if _DATE.fullmatch(value):
            try:
                return date.fromisoformat(value)
            except ValueError:
                pass
    raise ValueError(f"{value!r} is not a date like 2026-12-25")


def _as_tuple(value: object) -> object:
    # One range or date given as a plain string is a list of one.
    return (value,) if isinstance(value, str | date) else value


class HoursSettings(BaseModel):
    """The `[hours]` table: when agents are staffed."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    # The shop's time zone, an IANA name. Every time below is wall-clock time there.
    # Default: "Europe/Amsterdam".
    timezone: str = "Europe/Amsterdam"

    # The weekly schedule: per weekday, a list of staffed ranges "HH:MM-HH:MM". A range whose
    # end is at or before its start runs past midnight and belongs to the day it starts on
    # ("18:00-01:00" on friday staffs Friday evening until 01:00 on Saturday). "24:00" may end
    # a range. An empty list closes that weekday.
    # Default: when no weekday is given at all, every day is staffed around the clock and
    # agents decide by being online; once any weekday is given, the weekdays left out are closed.
    monday: tuple[str, ...] | None = None
    tuesday: tuple[str, ...] | None = None
    wednesday: tuple[str, ...] | None = None
    thursday: tuple[str, ...] | None = None
    friday: tuple[str, ...] | None = None
    saturday: tuple[str, ...] | None = None
    sunday: tuple[str, ...] | None = None

    # Dates closed all day (holidays), like "2026-12-25". No range starts on a closed date;
    # a range that started the evening before runs on to its end. Default: none.
    closed: tuple[date, ...] = ()

    # Dates with their own ranges, replacing the weekly schedule for that date: extra days
    # open, or shorter hours. Written as a table, like "2026-12-24" = ["10:00-16:00"].
    # Default: none.
    open: dict[date, tuple[str, ...]] = Field(default_factory=dict)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"{value!r} is not a known time zone; use a name like 'Europe/Amsterdam'"
            ) from None
        return value

    @field_validator(*WEEKDAYS, mode="before")
    @classmethod
    def _one_range_is_a_list(cls, value: object) -> object:
        value = _as_tuple(value)
        if not isinstance(value, list | tuple):
            raise ValueError('must be a list of ranges, like ["18:00-23:00"]')
        return value

    @field_validator(*WEEKDAYS)
    @classmethod
    def _ranges_are_ranges(cls, value: tuple[str, ...] | None) -> tuple[str, ...] | None:
        for text in value or ():
            parse_range(text)
        return value

    @field_validator("closed", mode="before")
    @classmethod
    def _closed_are_dates(cls, value: object) -> object:
        value = _as_tuple(value)
        if not isinstance(value, list | tuple):
            raise ValueError('must be a list of dates, like ["2026-12-25", "2026-12-26"]')
        return tuple(parse_date(item) for item in value)

    @field_validator("open", mode="before")
    @classmethod
    def _open_are_dated_ranges(cls, value: object) -> object:
        if not isinstance(value, dict):
            raise ValueError('must be a table of dates, like { "2026-12-24" = ["10:00-16:00"] }')
        return {parse_date(day): _as_tuple(ranges) for day, ranges in value.items()}

    @field_validator("open")
    @classmethod
    def _open_ranges_are_ranges(
        cls, value: dict[date, tuple[str, ...]]
    ) -> dict[date, tuple[str, ...]]:
        for day, ranges in value.items():
            for text in ranges:
                try:
                    parse_range(text)
                except ValueError as exc:
                    raise ValueError(f"{day}: {exc}") from None
        return value

    @model_validator(mode="after")
    def _not_both_closed_and_open(self) -> HoursSettings:
        both = sorted(set(self.closed) & set(self.open))
        if both:
            listed = ", ".join(str(day) for day in both)
            raise ValueError(f"{listed} is listed both in closed and in open; keep one")
        return self


class StaffedHours:
    """When agents are at the counter, built from `[hours]`; every answer uses the given `now`."""

    def __init__(self, settings: HoursSettings) -> None:
        self.zone = ZoneInfo(settings.timezone)
        weekly = [getattr(settings, day) for day in WEEKDAYS]
        if all(ranges is None for ranges in weekly):
            self._weekly: tuple[tuple[Range, ...], ...] = (((0, _MINUTES_PER_DAY),),) * 7
        else:
            self._weekly = tuple(_parse_all(ranges or ()) for ranges in weekly)
        self._closed = frozenset(settings.closed)
        self._open = {day: _parse_all(ranges) for day, ranges in settings.open.items()}
        # Staffed intervals by (first day, days): asked for on every bot answer, and the
        # same until the date changes.
        self._interval_cache: dict[tuple[date, int], tuple[tuple[datetime, datetime], ...]] = {}

    def ranges_on(self, day: date) -> tuple[Range, ...]:
        """The ranges that start on `day`, after closed and open dates are applied."""
        if day in self._closed:
            return ()
        if day in self._open:
            return self._open[day]
        return self._weekly[day.weekday()]

    def is_staffed(self, now: datetime) -> bool:
        """Whether `now` falls inside a staffed range."""
        first = self._local_date(now) - timedelta(days=1)
        moment = now.astimezone(UTC)
        return any(start <= moment < end for start, end in self._intervals(first, 2))

    def next_open(self, now: datetime) -> datetime | None:
        """When staffing next starts: `now` if staffed now, None if nothing is planned."""
        first = self._local_date(now) - timedelta(days=1)
        moment = now.astimezone(UTC)
        for start, end in self._intervals(first, HORIZON_DAYS + 1):
            if end > moment:
                return max(start, moment).astimezone(self.zone)
        return None

    def closes_at(self, now: datetime) -> datetime | None:
        """When the staffed stretch around `now` ends (touching ranges are one stretch).

        None when not staffed now, or when staffing does not end within STRETCH_DAYS.
        """
        first = self._local_date(now) - timedelta(days=1)
        moment = now.astimezone(UTC)
        limit = _instant(first + timedelta(days=STRETCH_DAYS), 0, self.zone, last=False)
        end: datetime | None = None
        for start, stop in self._intervals(first, STRETCH_DAYS):
            if end is None:
                if start > moment:
                    return None
                if moment < stop:
                    end = stop
            elif start <= end:
                end = max(end, stop)
            else:
                break
        return end.astimezone(self.zone) if end is not None and end < limit else None

    def _local_date(self, now: datetime) -> date:
        if now.tzinfo is None or now.utcoffset() is None:
            raise ValueError("now must be a timezone-aware datetime")
        return now.astimezone(self.zone).date()

    def _intervals(self, first: date, days: int) -> tuple[tuple[datetime, datetime], ...]:
        """Staffed intervals (in UTC) of the ranges starting on `days` days from `first`."""
        key = (first, days)
        found = self._interval_cache.get(key)
        if found is None:
            if len(self._interval_cache) >= 64:
                self._interval_cache.clear()
            found = self._interval_cache[key] = tuple(self._compute_intervals(first, days))
        return found

    def _compute_intervals(self, first: date, days: int) -> Iterator[tuple[datetime, datetime]]:
        for offset in range(days):
            day = first + timedelta(days=offset)
            for start_minute, end_minute in self.ranges_on(day):
                start = _instant(day, start_minute, self.zone, last=False)
                end = _instant(day, end_minute, self.zone, last=True)
                # A range wholly inside the hour skipped in spring is empty.
                if start < end:
                    yield start, end


def _parse_all(texts: Iterable[str]) -> tuple[Range, ...]:
    return tuple(sorted(parse_range(text) for text in texts))


def _instant(day: date, minute: int, zone: ZoneInfo, *, last: bool) -> datetime:
    """The moment (in UTC) the shop's clock shows `minute` minutes after midnight of `day`.

    A time shown twice (clocks going back) gives its first or `last` showing; a time never
    shown (clocks going forward) gives the moment the clock jumps past it.
    """
    wall = (datetime.combine(day, time(), tzinfo=zone) + timedelta(minutes=minute)).replace(
        fold=1 if last else 0
    )
    instant = wall.astimezone(UTC)
    if instant.astimezone(zone).replace(tzinfo=None, fold=0) == wall.replace(tzinfo=None, fold=0):
        return instant
    # Skipped: fold=1 reads it with the later offset (a moment before the jump), fold=0 with
    # the earlier one (a moment after). Find the jump to the second.
    before = int(wall.replace(fold=1).timestamp())
    after = int(wall.replace(fold=0).timestamp())
    offset_after = datetime.fromtimestamp(after, zone).utcoffset()
    while after - before > 1:
        middle = (before + after) // 2
        if datetime.fromtimestamp(middle, zone).utcoffset() == offset_after:
            after = middle
        else:
            before = middle
    return datetime.fromtimestamp(after, UTC)


# -- what shoppers are told ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Availability:
    """Whether people are at the counter, for the widget: the facts and the sentence."""

    staffed: bool
    # When people are back; None when staffed now, or when no staffed hours are planned.
    next_open: datetime | None
    # When the current staffed stretch ends; None when not staffed, or when it does not end.
    closes_at: datetime | None
    text: str
    # The shop's time zone (IANA), in which `text` tells the time.
    zone: str | None = None

    def told(self) -> dict[str, Any] | None:
        """For a chat message that says `text` (when people are back): the moment and the
        shop's zone, so the widget can add the shopper's own time to it as it does to its
        header; None when `text` tells no time."""
        if self.staffed or self.next_open is None or self.zone is None:
            return None
        return {
            "text": self.text,
            "staffed": False,
            "next_open": int(self.next_open.timestamp() * 1000),
            "zone": self.zone,
        }


_DAYS: dict[Language, tuple[str, ...]] = {
    "nl": ("maandag", "dinsdag", "woensdag", "donderdag", "vrijdag", "zaterdag", "zondag"),
    "en": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
    "de": ("Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag", "Sonntag"),
    "fr": ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"),
}
_MONTHS: dict[Language, tuple[str, ...]] = {
    "nl": (
        "januari", "februari", "maart", "april", "mei", "juni",
        "juli", "augustus", "september", "oktober", "november", "december",
    ),
    "en": (
        "January", "February", "March", "April", "May", "June",
        "July", "August", "September", "October", "November", "December",
    ),
    "de": (
        "Januar", "Februar", "März", "April", "Mai", "Juni",
        "Juli", "August", "September", "Oktober", "November", "Dezember",
    ),
    "fr": (
        "janvier", "février", "mars", "avril", "mai", "juin",
        "juillet", "août", "septembre", "octobre", "novembre", "décembre",
    ),
}  # fmt: skip
_HERE: dict[Language, str] = {
    "nl": "We zijn er",
    "en": "We're here",
    "de": "Wir sind da",
    "fr": "Nous sommes là",
}
_NONE_PLANNED: dict[Language, str] = {
    "nl": "Er zijn geen tijden gepland waarop we er zijn",
    "en": "No staffed hours are planned",
    "de": "Es sind keine Zeiten geplant, zu denen wir da sind",
    "fr": "Aucune heure de présence n'est prévue",
}
# When people are back: today, tomorrow, on a day this week, on a later date.
_BACK: dict[Language, tuple[str, str, str, str]] = {
    "nl": (
        "We zijn er vandaag weer om {clock}",
        "We zijn er morgen weer om {clock}",
        "We zijn er {day} weer om {clock}",
        "We zijn er {day} {date} {month}{year} weer om {clock}",
    ),
    "en": (
        "Back today at {clock}",
        "Back tomorrow at {clock}",
        "Back {day} at {clock}",
        "Back on {day} {date} {month}{year} at {clock}",
    ),
    "de": (
        "Wir sind heute ab {clock} Uhr wieder da",
        "Wir sind morgen ab {clock} Uhr wieder da",
        "Wir sind am {day} ab {clock} Uhr wieder da",
        "Wir sind am {day}, {date}. {month}{year} ab {clock} Uhr wieder da",
    ),
    "fr": (
        "De retour aujourd'hui à {clock}",
        "De retour demain à {clock}",
        "De retour {day} à {clock}",
        "De retour le {day} {date} {month}{year} à {clock}",
    ),
}


def availability(now: datetime, hours: StaffedHours, language: str) -> Availability:
    """Whether people are here at `now`, and when they are back, told in the shopper's
    language (see `loket.languages.text_language`)."""
    spoken = text_language(language)
    if hours.is_staffed(now):
        return Availability(
            staffed=True,
            next_open=None,
            closes_at=hours.closes_at(now),
            text=_HERE[spoken],
            zone=hours.zone.key,
        )
    back = hours.next_open(now)
    text = _back(now.astimezone(hours.zone).date(), back, spoken)
    return Availability(
        staffed=False, next_open=back, closes_at=None, text=text, zone=hours.zone.key
    )


def describe_availability(now: datetime, hours: StaffedHours, language: str) -> str:
    """The sentence shoppers are shown: 'We're here', 'Back tomorrow at 10:00', ..."""
    return availability(now, hours, language).text


def _back(today: date, back: datetime | None, language: Language) -> str:
    if back is None:
        return _NONE_PLANNED[language]
    today_text, tomorrow, this_week, later = _BACK[language]
    days = (back.date() - today).days
    template = today_text if days == 0 else tomorrow if days == 1 else this_week
    if days >= 7:
        template = later
    return template.format(
        clock=f"{back:%H:%M}",
        day=_DAYS[language][back.weekday()],
        date=back.day,
        month=_MONTHS[language][back.month - 1],
        year=f" {back.year}" if back.year != today.year else "",
    )
