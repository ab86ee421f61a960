"""Clocks, public holidays and working calendars of the test-bed world (any time zone).

The simulation clock counts minutes from local midnight of the first day in the operation's
time zone, so opening hours follow that zone's daylight-saving changes. A `Calendar` is a
sorted list of open intervals (a person's hours after lunch breaks, public holidays and
absences are taken out); work that does not fit into one interval continues in the next.
"""

from __future__ import annotations

import datetime as dt
from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from functools import cached_property
from zoneinfo import ZoneInfo

import numpy as np

from l2csim.sample.calendar import easter_sunday
from l2csim.sample.calendar import public_holidays as german_holidays

DAY = 1440.0  # minutes
INF = float("inf")


def _nth_weekday(year: int, month: int, weekday: int, n: int) -> dt.date:
    """The n-th (1-based; -1 = last) `weekday` (0 = Monday) of a month."""
    if n > 0:
        first = dt.date(year, month, 1)
        return first + dt.timedelta(days=(weekday - first.weekday()) % 7 + 7 * (n - 1))
    last = dt.date(year + (month == 12), month % 12 + 1, 1) - dt.timedelta(days=1)
    return last - dt.timedelta(days=(last.weekday() - weekday) % 7)


def _observed(day: dt.date, saturday_back: bool) -> dt.date:
    """A holiday on a weekend is taken on Monday (US: Saturday's on Friday)."""
    if day.weekday() == 5:
        return day - dt.timedelta(days=1) if saturday_back else day + dt.timedelta(days=2)
    if day.weekday() == 6:
        return day + dt.timedelta(days=1)
    return day


def _british_holidays(year: int) -> list[dt.date]:
    easter = easter_sunday(year)
    days = [
        _observed(dt.date(year, 1, 1), False),
        easter - dt.timedelta(days=2),
        easter + dt.timedelta(days=1),
        _nth_weekday(year, 5, 0, 1),
        _nth_weekday(year, 5, 0, -1),
        _nth_weekday(year, 8, 0, -1),
    ]
    christmas, boxing = dt.date(year, 12, 25), dt.date(year, 12, 26)
    if christmas.weekday() >= 5:  # Sat/Sun: both move to Mon/Tue
        days += [christmas + dt.timedelta(days=2), boxing + dt.timedelta(days=2)]
    elif boxing.weekday() == 5:
        days += [christmas, boxing + dt.timedelta(days=2)]
    else:
        days += [christmas, boxing]
    return days


def _american_holidays(year: int) -> list[dt.date]:
    thanksgiving = _nth_weekday(year, 11, 3, 4)
    return [
        _observed(dt.date(year, 1, 1), True),
        _nth_weekday(year, 5, 0, -1),  # Memorial Day
        _observed(dt.date(year, 7, 4), True),
        _nth_weekday(year, 9, 0, 1),  # Labor Day
        thanksgiving,
        thanksgiving + dt.timedelta(days=1),
        _observed(dt.date(year, 12, 25), True),
    ]


HOLIDAY_RULES = {
    "DE": lambda year: list(german_holidays(year)),
    "GB": _british_holidays,
    "US": _american_holidays,
}


def public_holidays(country: str, first_year: int, last_year: int) -> frozenset[dt.date]:
    """The company's public holidays (DE: nation-wide; GB: England; US: a typical firm's)."""
    rule = HOLIDAY_RULES[country]
    return frozenset(day for year in range(first_year, last_year + 1) for day in rule(year))


@dataclass(frozen=True)
class Clock:
    """Simulation minutes <-> local date-times in one time zone, daylight saving included.

    `at(day, minute)` is exact for wall times after 03:00 (daylight-saving switches happen
    at night); every working hour in the world lies there.
    """

    start: dt.date
    timezone: str
    days: int  # how far ahead day offsets are precomputed

    @cached_property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @cached_property
    def origin(self) -> dt.datetime:
        return dt.datetime.combine(self.start, dt.time(0), tzinfo=self.zone).astimezone(dt.UTC)

    @cached_property
    def shifts(self) -> np.ndarray:
        """Per day offset: minutes the local UTC offset at noon differs from the origin's."""
        base = dt.datetime.combine(self.start, dt.time(0), tzinfo=self.zone).utcoffset()
        out = np.empty(self.days + 2)
        for offset in range(self.days + 2):
            noon = dt.datetime.combine(
                self.start + dt.timedelta(days=offset), dt.time(12), tzinfo=self.zone
            )
            out[offset] = (noon.utcoffset() - base).total_seconds() / 60.0
        return out

    def date(self, day: int) -> dt.date:
        return self.start + dt.timedelta(days=day)

    def at(self, day: int, minute: float) -> float:
        """Simulation minutes at local wall time `minute` (after midnight) of day `day`."""
        return day * DAY + minute - float(self.shifts[day])

    def end_of_day(self, day: int) -> float:
        """The local midnight that ends day `day` (on-time means delivered before it)."""
        return (day + 1) * DAY - float(self.shifts[day])

    def day_of(self, minutes: float) -> int:
        """The local day offset a moment falls on."""
        day = int(minutes // DAY)
        day = max(0, min(day, self.days + 1))
        local = minutes + float(self.shifts[day])
        return int(local // DAY)

    def minute_of_day(self, minutes: float) -> float:
        day = self.day_of(minutes)
        return minutes + float(self.shifts[day]) - day * DAY

    def moment(self, minutes: float) -> dt.datetime:
        utc = self.origin + dt.timedelta(minutes=float(minutes))
        return utc.astimezone(self.zone)


def hhmm(text: str) -> float:
    """'08:30' -> 510.0 minutes after midnight."""
    hours, minutes = text.split(":")
    return int(hours) * 60.0 + int(minutes)


@dataclass(frozen=True)
class Pattern:
    """A weekly working pattern: per weekday (0 = Monday) its open intervals, local time.

    E.g. full time with a lunch break: Mon-Fri (("08:00", "12:00"), ("12:30", "16:30")).
    `holidays`: whether public holidays are days off (a carrier's or a gateway's are not).
    """

    week: tuple[tuple[tuple[str, str], ...], ...]  # 7 entries, Monday first
    holidays: bool = True

    @staticmethod
    def weekdays(
        intervals: tuple[tuple[str, str], ...],
        days: tuple[int, ...] = (0, 1, 2, 3, 4),
        holidays: bool = True,
    ) -> Pattern:
        return Pattern(tuple(intervals if d in days else () for d in range(7)), holidays)

    def hours_per_week(self) -> float:
        return sum(hhmm(b) - hhmm(a) for day in self.week for a, b in day) / 60.0

    def as_dict(self) -> dict[str, list[str]]:
        names = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
        return {names[d]: [f"{a}-{b}" for a, b in self.week[d]] for d in range(7) if self.week[d]}


class Calendar:
    """Open intervals on the simulation clock: when work can be done, and how long it takes.

    `finish(t, work)` answers "when are `work` open minutes after `t` done?" by a binary
    search over the cumulative open time, so the model asks it cheaply for every task.
    (Plain lists and `bisect`: faster than numpy for one scalar at a time.)
    """

    def __init__(self, opens, closes) -> None:
        self.opens: list[float] = [float(x) for x in opens]
        self.closes: list[float] = [float(x) for x in closes]
        self.cum_start: list[float] = []
        self.cum_end: list[float] = []
        total = 0.0
        for a, b in zip(self.opens, self.closes, strict=True):
            self.cum_start.append(total)
            total += b - a
            self.cum_end.append(total)

    @classmethod
    def build(
        cls,
        clock: Clock,
        pattern: Pattern,
        days: int,
        holidays: frozenset[dt.date] = frozenset(),
        absent: frozenset[int] = frozenset(),
    ) -> Calendar:
        """The pattern laid over `days` days, without holidays (if observed) and absent days."""
        opens: list[float] = []
        closes: list[float] = []
        first_weekday = clock.start.weekday()
        for day in range(days):
            intervals = pattern.week[(first_weekday + day) % 7]
            if not intervals or day in absent:
                continue
            if pattern.holidays and clock.date(day) in holidays:
                continue
            for a, b in intervals:
                opens.append(clock.at(day, hhmm(a)))
                closes.append(clock.at(day, hhmm(b)))
        return cls(opens, closes)

    def __len__(self) -> int:
        return len(self.opens)

    def is_open(self, t: float) -> bool:
        i = bisect_right(self.closes, t)
        return i < len(self.opens) and self.opens[i] <= t

    def next_open(self, t: float) -> float:
        """The earliest time at or after `t` when work can be done (inf when never)."""
        i = bisect_right(self.closes, t)
        if i >= len(self.opens):
            return INF
        opening = self.opens[i]
        return t if t >= opening else opening

    def close_after(self, t: float) -> float:
        """The end of the interval open at (or next after) `t`."""
        i = bisect_right(self.closes, t)
        return self.closes[i] if i < len(self.closes) else INF

    def open_before(self, t: float) -> float:
        """Open minutes from the first interval up to `t`."""
        i = bisect_right(self.closes, t)
        if i >= len(self.opens):
            return self.cum_end[-1] if self.cum_end else 0.0
        opening = self.opens[i]
        return self.cum_start[i] + (t - opening if t > opening else 0.0)

    def worked(self, t0: float, t1: float) -> float:
        """Open minutes between `t0` and `t1`."""
        return max(0.0, self.open_before(t1) - self.open_before(t0))

    def finish(self, t: float, work: float) -> float:
        """When `work` open minutes begun at `t` are done (inf past the calendar's end)."""
        target = self.open_before(t) + work
        i = bisect_left(self.cum_end, target)
        if i >= len(self.opens):
            return INF
        return self.opens[i] + (target - self.cum_start[i])


class WorkingDays:
    """The company's working days (weekdays without public holidays), for promises and waits."""

    def __init__(
        self,
        clock: Clock,
        days: int,
        holidays: frozenset[dt.date],
        weekdays: tuple[int, ...] = (0, 1, 2, 3, 4),
    ) -> None:
        self.clock = clock
        first = clock.start.weekday()
        self.days = np.array(
            [
                d
                for d in range(days)
                if (first + d) % 7 in weekdays and clock.date(d) not in holidays
            ],
            dtype=np.int64,
        )

    def index(self, day: int) -> int:
        """Position of the working day `day`, or of the next one when `day` is not one."""
        return int(np.searchsorted(self.days, day, side="left"))

    def add(self, day: int, n: int) -> int:
        """The working day `n` working days after `day` (from the next one if `day` is off)."""
        i = self.index(day)
        if i < len(self.days) and self.days[i] == day:
            return int(self.days[min(i + n, len(self.days) - 1)])
        return int(self.days[min(i + n - 1 if n > 0 else i, len(self.days) - 1)])

    def is_working(self, day: int) -> bool:
        i = self.index(day)
        return i < len(self.days) and int(self.days[i]) == day
