"""Working calendars: when staff, the warehouse and carriers work, on the simulation clock.

The simulation clock counts minutes of absolute time from local midnight (Europe/Berlin) of
the first day, so opening hours follow daylight-saving changes. A calendar is a sorted list
of open periods (one per working day); work that does not fit into today's period continues
in the next one, as it does in an office.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import numpy as np

TIMEZONE = ZoneInfo("Europe/Berlin")


def easter_sunday(year: int) -> dt.date:
    """Gregorian Easter (anonymous algorithm), for the moving public holidays."""
    a = year % 19
    b, c = divmod(year, 100)
    d, e = divmod(b, 4)
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    m = (32 + 2 * e + 2 * i - h - k) % 7
    n = (a + 11 * h + 22 * m) // 451
    month, day = divmod(h + m - 7 * n + 114, 31)
    return dt.date(year, month, day + 1)


def public_holidays(year: int) -> tuple[dt.date, ...]:
    """Nation-wide German public holidays: nobody works then, EDI still arrives."""
    easter = easter_sunday(year)
    fixed = [(1, 1), (5, 1), (10, 3), (12, 25), (12, 26)]
    moving = [-2, 1, 39, 50]  # Good Friday, Easter Monday, Ascension, Whit Monday
    days = [dt.date(year, m, d) for m, d in fixed]
    days += [easter + dt.timedelta(days=offset) for offset in moving]
    return tuple(sorted(days))


@dataclass(frozen=True)
class Clock:
    """Converts between simulation minutes and local (Europe/Berlin) date-times."""

    start: dt.date

    @property
    def origin(self) -> dt.datetime:
        return dt.datetime.combine(self.start, dt.time(0, 0), tzinfo=TIMEZONE)

    def minutes(self, moment: dt.datetime) -> float:
        # Both in UTC: Python subtracts aware datetimes that share a tzinfo as wall times,
        # which would lose the daylight-saving hour.
        return (moment.astimezone(dt.UTC) - self.origin.astimezone(dt.UTC)).total_seconds() / 60.0

    def midnight(self, day_offset: int) -> float:
        """Simulation minutes at local midnight `day_offset` days after the start."""
        day = self.start + dt.timedelta(days=day_offset)
        return self.minutes(dt.datetime.combine(day, dt.time(0, 0), tzinfo=TIMEZONE))

    def moment(self, minutes: float) -> dt.datetime:
        utc = self.origin.astimezone(dt.UTC) + dt.timedelta(minutes=float(minutes))
        return utc.astimezone(TIMEZONE)

    def local_date(self, minutes: float) -> dt.date:
        return self.moment(minutes).date()


class WorkingCalendar:
    """Open periods of one kind of worker (e.g. Mon-Fri 08:00-17:00, no public holidays).

    Why arrays: the model asks "when does 40 minutes of work started now end?" tens of
    thousands of times; a binary search over precomputed periods answers that quickly.
    """

    def __init__(
        self,
        clock: Clock,
        days: int,
        open_time: dt.time,
        close_time: dt.time,
        weekdays: tuple[int, ...] = (0, 1, 2, 3, 4),
        observe_holidays: bool = True,
    ) -> None:
        self.clock = clock
        holidays: set[dt.date] = set()
        if observe_holidays:
            for year in range(clock.start.year, clock.start.year + days // 365 + 2):
                holidays.update(public_holidays(year))
        dates, opens, closes = [], [], []
        for offset in range(days):
            day = clock.start + dt.timedelta(days=offset)
            if day.weekday() not in weekdays or day in holidays:
                continue
            dates.append(day)
            opens.append(clock.minutes(dt.datetime.combine(day, open_time, tzinfo=TIMEZONE)))
            closes.append(clock.minutes(dt.datetime.combine(day, close_time, tzinfo=TIMEZONE)))
        self.dates: tuple[dt.date, ...] = tuple(dates)
        self.opens = np.asarray(opens, dtype=float)
        self.closes = np.asarray(closes, dtype=float)

    def day_index(self, t: float) -> int:
        """Index of the working period now open, or of the next one if closed now."""
        index = int(np.searchsorted(self.closes, t, side="right"))
        if index >= len(self.closes):
            raise ValueError("the simulation ran past the end of the working calendar")
        return index

    def next_open(self, t: float) -> float:
        """The earliest time at or after `t` when work can be done."""
        index = self.day_index(t)
        return max(t, float(self.opens[index]))

    def finish(self, t: float, work: float) -> float:
        """When `work` minutes started (or queued) at `t` are done, spanning closed hours."""
        index = self.day_index(t)
        start = max(t, float(self.opens[index]))
        while True:
            available = float(self.closes[index]) - start
            if work <= available:
                return start + work
            work -= available
            index += 1
            if index >= len(self.closes):
                raise ValueError("the simulation ran past the end of the working calendar")
            start = float(self.opens[index])

    def at(self, index: int, fraction: float) -> float:
        """A moment `fraction` (0-1) of the way through working period `index`."""
        return float(self.opens[index] + fraction * (self.closes[index] - self.opens[index]))

    def next_wave(self, t: float, every: float) -> float:
        """The first start of a work wave (opening, opening + every, ...) at or after `t`."""
        index = self.day_index(t)
        opens, closes = float(self.opens[index]), float(self.closes[index])
        if t <= opens:
            return opens
        waves = -(-(t - opens) // every)  # ceiling
        start = opens + waves * every
        return start if start < closes else float(self.opens[index + 1])

    def date_after(self, t: float, working_days: int) -> dt.date:
        """The working day `working_days` after the one open at (or next after) `t`."""
        return self.dates[self.day_index(t) + working_days]
