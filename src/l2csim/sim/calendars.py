"""Working calendars as arithmetic on the simulation clock: when work can happen and when it ends.

The clock counts hours from a Monday 00:00 in the model's local time, so hour-of-week is
`t % 168`. A calendar is the same set of working intervals every week. Work outside hours
waits: `finish(t, work)` is when `work` working hours are done if started at `t`. Pure
functions on floats, no SimPy: the hot path calls them once per activity.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from l2csim.params import Calendar, Closures, LeavePlan, Member, ModelParams, WeeklyHours

WEEK = 168.0
DEFAULT_ORIGIN = datetime(2025, 1, 6)  # a Monday: simulated time 0 when the model has no period


class WorkCalendar:
    """Weekly working intervals (a team's calendar or a person's shift) with O(log n)
    `finish`, `worked` and `next_open`."""

    __slots__ = ("_cum", "_ends", "_starts", "always_open", "weekly_hours")

    def __init__(self, calendar: WeeklyHours) -> None:
        intervals: list[list[float]] = []
        for day in sorted(set(calendar.weekdays)):
            for begin, finish in calendar.intervals:
                start, end = day * 24.0 + begin, day * 24.0 + finish
                if intervals and intervals[-1][1] >= start:
                    intervals[-1][1] = end
                else:
                    intervals.append([start, end])
        self._starts = [s for s, _ in intervals]
        self._ends = [e for _, e in intervals]
        cum, total = [], 0.0
        for s, e in intervals:
            cum.append(total)
            total += e - s
        self._cum = cum  # working hours in the week before each interval starts
        self.weekly_hours = total
        self.always_open = total >= WEEK

    def _position(self, t: float) -> tuple[float, float, int]:
        week = t // WEEK
        tw = t - week * WEEK
        return week, tw, bisect_right(self._starts, tw) - 1

    def worked(self, t0: float, t1: float) -> float:
        """Working hours between t0 and t1 (t0 <= t1)."""
        if self.always_open:
            return t1 - t0
        return self._cumulative(t1) - self._cumulative(t0)

    def _cumulative(self, t: float) -> float:
        week, tw, i = self._position(t)
        inside = 0.0
        if i >= 0:
            inside = self._cum[i] + min(tw, self._ends[i]) - self._starts[i]
        return week * self.weekly_hours + inside

    def finish(self, t: float, work: float) -> float:
        """When `work` working hours are done if started (or queued) at t."""
        if self.always_open:
            return t + work
        week, tw, i = self._position(t)
        if i >= 0 and tw < self._ends[i]:
            left = self._ends[i] - tw
            if work <= left:
                return t + work
            done = self._cum[i] + (tw - self._starts[i])
        else:  # outside hours: start counting at the next opening
            done = self._cum[i] + (self._ends[i] - self._starts[i]) if i >= 0 else 0.0
            if work <= 0:
                return self.next_open(t)
        target = done + work  # working hours since this week's start
        extra_weeks = int(target // self.weekly_hours)
        target -= extra_weeks * self.weekly_hours
        if target <= 0 and extra_weeks:  # exactly at a week's end: the last interval's end
            extra_weeks -= 1
            target = self.weekly_hours
        j = bisect_right(self._cum, target) - 1
        if self._cum[j] == target and j > 0:
            j -= 1
        return (week + extra_weeks) * WEEK + self._starts[j] + (target - self._cum[j])

    def shift(self, t: float, hours: float) -> float:
        """The moment `hours` working hours after t, or before it when negative (counted
        from the next opening, or back from the last closing, when t is outside hours)."""
        if self.always_open:
            return t + hours
        if hours >= 0:
            return self.finish(t, hours)
        target = self._cumulative(t) + hours
        week = target // self.weekly_hours
        rest = target - week * self.weekly_hours
        j = bisect_right(self._cum, rest) - 1
        return week * WEEK + self._starts[j] + (rest - self._cum[j])

    def between(self, t0: float, t1: float) -> float:
        """Working hours from t0 to t1, negative when t1 is before t0."""
        return self.worked(t0, t1) if t1 >= t0 else -self.worked(t1, t0)

    def next_open(self, t: float) -> float:
        """The first moment at or after t inside working hours."""
        if self.always_open:
            return t
        week, tw, i = self._position(t)
        if i >= 0 and tw < self._ends[i]:
            return t
        if i + 1 < len(self._starts):
            return week * WEEK + self._starts[i + 1]
        return (week + 1) * WEEK + self._starts[0]

    def is_open(self, t: float) -> bool:
        return self.next_open(t) == t

    def shift_end(self, t: float) -> float:
        """When the current (or next) working interval ends (never, when always open)."""
        if self.always_open:
            return float("inf")
        week, tw, i = self._position(t)
        if i >= 0 and tw < self._ends[i]:
            return week * WEEK + self._ends[i]
        if i + 1 < len(self._starts):
            return week * WEEK + self._ends[i + 1]
        return (week + 1) * WEEK + self._ends[0]


ALWAYS = Calendar(weekdays=list(range(7)), start_hour=0, end_hour=24)


@dataclass(frozen=True)
class PersonLeave:
    """A person's planned leave on the simulated days: away on `planned`; on the days in
    `covered` [first, last) the other working days are at work with `attendance` (None: the
    person's usual attendance), absences lasting one of `spells` (none: single days)."""

    planned: frozenset[int]
    covered: tuple[int, int]
    attendance: float | None
    spells: tuple[int, ...]


def person_leave(member: Member, plan: LeavePlan, first_day: date, days: int) -> PersonLeave | None:
    """The member's planned leave on the simulated days from `first_day`; None without a
    plan that covers any of those days."""
    if plan.first is None or plan.last is None:
        return None
    lo = max(0, (plan.first - first_day).days)
    hi = min(days, (plan.last - first_day).days + 1)
    if hi <= lo:
        return None
    planned = frozenset(
        offset
        for day in plan.days.get(member.name, [])
        if lo <= (offset := (day - first_day).days) < hi
    )
    return PersonLeave(
        planned, (lo, hi), member.unplanned_attendance, tuple(member.unplanned_spells)
    )


def presence(
    weekdays: list[int],
    attendance: float,
    spells: list[int],
    days: int,
    rng,
    monthly: list[float] | None = None,
    months: list[int] | None = None,
    state: tuple[int, int] | None = None,
    closed: frozenset[int] = frozenset(),
    leave: PersonLeave | None = None,
) -> list[bool]:
    """Each simulated day: is the person at work (if it is one of their weekdays)?

    Without `spells` every working day is an independent draw with probability
    `attendance`. With them (absence lengths in working days), absences come in blocks: on
    a working day at work (not the first one back), an absence starts with the probability
    that keeps the share `attendance` over time (present spells then last 1/p working days
    on average), and lasts a length drawn from `spells`. With `monthly` (12 shares) and
    `months` (each simulated day's month, 0 = January), the share is the month's: leave
    gathers in summer and at the turn of the year as the log shows.

    `state` (day, working days away so far) starts from what a log showed on that day (a
    forecast): 0 away, the person is at work and the next absence comes as usual; k > 0,
    they are k working days into an absence, which lasts as long as one of their absences
    at least k long (drawn: one of exactly k is over, and they are back), or a mean absence
    more when none was that long. Where the leave plan covers that day and the absence is
    not planned, it is one of their absences besides the plan (sickness, mostly). Without
    spells days are independent and the state changes nothing.

    `closed` (day indices): the company is closed, nobody is at work; like a day off it is
    no day of an absence (the fit counts absences over the days the company was open).
    `leave`: the person's planned leave; its days are days away that, like closed days,
    are no day of another absence, and on the days the plan covers the share and lengths
    are those besides planned leave (the plan holds the season)."""
    draws = rng.random(days)
    if monthly and months is not None:
        level = [monthly[months[day]] for day in range(days)]
    else:
        level = [attendance] * days
    if leave is None and (not spells or attendance >= 1.0):
        out = [bool(u < a) for u, a in zip(draws, level, strict=True)]
        return _close(out, closed)
    blocks = bool(spells) and attendance < 1.0
    picks = rng.integers(0, len(spells), days) if blocks else None
    mean_absence = sum(spells) / len(spells) if blocks else 1.0
    if leave is not None:
        closed = closed | leave.planned
        lo, hi = leave.covered
        own = list(leave.spells) if leave.attendance is not None else list(spells)
        own_share = leave.attendance
        own_blocks = bool(own) and (own_share if own_share is not None else attendance) < 1.0
        own_picks = rng.integers(0, len(own), days) if own_blocks else None
        own_mean = sum(own) / len(own) if own_blocks else 1.0
    working = set(weekdays)
    out = [True] * days
    left, first, back = 0, True, False
    resume_day, remaining, returning = -1, 0, False
    if state is not None and blocks:
        under_way = spells
        if leave is not None and lo <= state[0] < hi and own:
            under_way = own  # not planned (the plan is complete where it covers): sickness
        resume_day, remaining = state[0], _rest_of_absence(state[1], under_way, rng)
        returning = remaining == 0 and state[1] > 0
        if leave is not None and state[0] in leave.planned:
            remaining = 0  # away on planned leave: back when it ends
    for day in range(days):
        if day == resume_day:  # an absence just over: its first day back is at work
            left, first, back = remaining, False, returning
        if day % 7 not in working or day in closed:  # absences count working days
            continue
        if left > 0:
            out[day], left = False, left - 1
            back = left == 0
            continue
        if back:  # the first day back from an absence is a day at work
            back = False
            continue
        share, pool, pick, mean = level[day], spells, picks, mean_absence
        if leave is not None and lo <= day < hi:
            share = own_share if own_share is not None else share
            pool, pick, mean = own, own_picks, own_mean
        if pick is None:  # single days away, each day its own draw
            out[day] = bool(draws[day] < share)
            continue
        if first:
            absent = draws[day] >= share
        else:
            absent = draws[day] < min(1.0, (1.0 - share) / (share * mean))
        first = False
        if absent:
            out[day], left = False, int(pool[pick[day]]) - 1
            back = left == 0
    return _close(out, closed)


def _close(present: list[bool], closed: frozenset[int]) -> list[bool]:
    for day in closed:
        if 0 <= day < len(present):
            present[day] = False
    return present


def closed_offsets(
    closures: Closures, first_day: date, days: int, *, promises: bool = False
) -> frozenset[int]:
    """The simulated days (0 = `first_day`) on which the company is closed; with `promises`,
    those that are no working days in a promise (`Closures.promise_days_off`)."""
    closed = closures.promise_days_off() if promises else closures.all_days()
    return frozenset(offset for day in closed if 0 <= (offset := (day - first_day).days) < days)


def _rest_of_absence(away: int, spells: list[int], rng) -> int:
    """Working days left of an absence that has lasted `away` days: one of the absences at
    least that long, less `away` (an absence exactly that long is over: back today); a mean
    absence when none was that long."""
    if away <= 0:
        return 0
    as_long = [s for s in spells if s >= away]
    if not as_long:
        return max(1, round(sum(spells) / len(spells)))
    return int(as_long[int(rng.integers(0, len(as_long)))]) - away


def months_of_days(first_day: date, days: int) -> list[int]:
    """The calendar month (0 = January) of each simulated day from `first_day` on."""
    return [(first_day + timedelta(days=day)).month - 1 for day in range(days)]


def origin(params: ModelParams) -> datetime:
    """The Monday 00:00 (local) that simulated hour 0 stands for: the log period's first week."""
    import pandas as pd

    if params.created_from is not None:
        start = pd.Timestamp(params.created_from.period_start)
        if start.tzinfo is not None:
            start = start.tz_convert(params.timezone).tz_localize(None)
        day = start.normalize().to_pydatetime()
        return day - timedelta(days=day.weekday())
    return DEFAULT_ORIGIN


class ShiftCalendar:
    """One person's working intervals over the simulated period, absences included.

    Built once per replication from the person's weekly shift and the days they are at
    work (`presence`), so leave and sickness thin the team on some days, and for weeks at a
    time, as they do in the log. Past `until` the weekly shift repeats with full
    attendance (only work that started before the horizon ends there). Same interface as
    WorkCalendar: `finish`, `worked`, `next_open`, `is_open`.
    """

    __slots__ = ("_cum_end", "_cum_start", "_ends", "_starts", "_tail", "_until", "_until_cum")

    def __init__(
        self,
        weekly: WorkCalendar,
        weekdays: list[int],
        intervals: list[tuple[float, float]],
        present: list[bool],
        until: float,
    ) -> None:
        """`intervals`: the working day's (start, end) hours, the break left out;
        `present`: per simulated day, whether the person is at work (`presence`)."""
        starts, ends = [], []
        days = set(weekdays)
        for day in range(int(until // 24.0) + 1):
            if day % 7 in days and present[day]:
                for begin, finish in intervals:
                    starts.append(day * 24.0 + begin)
                    ends.append(day * 24.0 + finish)
        cum_start, cum_end, total = [], [], 0.0
        for s, e in zip(starts, ends, strict=True):
            cum_start.append(total)
            total += e - s
            cum_end.append(total)
        self._starts, self._ends = starts, ends
        self._cum_start, self._cum_end = cum_start, cum_end
        self._until = (int(until // 24.0) + 1) * 24.0
        self._until_cum = total
        self._tail = weekly

    def _cumulative(self, t: float) -> float:
        if t >= self._until:
            return self._until_cum + self._tail.worked(self._until, t)
        i = bisect_right(self._starts, t) - 1
        if i < 0:
            return 0.0
        return self._cum_start[i] + min(t, self._ends[i]) - self._starts[i]

    def worked(self, t0: float, t1: float) -> float:
        return self._cumulative(t1) - self._cumulative(t0)

    def is_open(self, t: float) -> bool:
        if t >= self._until:
            return self._tail.next_open(t) == t
        i = bisect_right(self._starts, t) - 1
        return i >= 0 and t < self._ends[i]

    def next_open(self, t: float) -> float:
        if t >= self._until:
            return self._tail.next_open(t)
        i = bisect_right(self._starts, t) - 1
        if i >= 0 and t < self._ends[i]:
            return t
        if i + 1 < len(self._starts):
            return self._starts[i + 1]
        return self._tail.next_open(self._until)

    def finish(self, t: float, work: float) -> float:
        if work <= 0:
            return self.next_open(t)
        target = self._cumulative(t) + work
        if target > self._until_cum:
            start = max(t, self._until)
            return self._tail.finish(start, target - self._cumulative(start))
        j = bisect_left(self._cum_end, target)
        return self._starts[j] + (target - self._cum_start[j])

    def shift_end(self, t: float) -> float:
        """When the current (or next) working interval ends."""
        if t >= self._until:
            return self._tail.shift_end(t)
        i = bisect_right(self._starts, t) - 1
        if i >= 0 and t < self._ends[i]:
            return self._ends[i]
        if i + 1 < len(self._starts):
            return self._ends[i + 1]
        return self._tail.shift_end(self._until)
