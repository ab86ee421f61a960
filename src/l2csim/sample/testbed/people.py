"""Named people and their personal calendars: weekly hours, public holidays, vacation, sickness.

Each person's absences come from their own random stream (keyed by name), so the same people
are away on the same days under every policy, and a new hire shifts nobody else's calendar.
The capacity truth (people at work per weekday-hour, mean concurrent people) is computed here
from the calendars themselves.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

from l2csim.sample.testbed.calendars import DAY, Calendar, Clock, Pattern
from l2csim.sample.testbed.spec import PersonSpec
from l2csim.sample.testbed.streams import Entropy, name_key, substream


@dataclass(frozen=True)
class Person:
    """A person as the world uses them: name, teams, calendar, and the days they were away."""

    name: str
    teams: tuple[str, ...]
    spec: PersonSpec
    calendar: Calendar
    vacation: frozenset[int]
    sick: frozenset[int]


def _working_days(clock: Clock, pattern: Pattern, days: int, holidays: frozenset[dt.date]):
    first = clock.start.weekday()
    return [
        d
        for d in range(days)
        if pattern.week[(first + d) % 7] and not (pattern.holidays and clock.date(d) in holidays)
    ]


def absences(
    spec: PersonSpec, clock: Clock, days: int, holidays: frozenset[dt.date], seed: Entropy
) -> tuple[frozenset[int], frozenset[int]]:
    """(vacation days, sick days) as day offsets: a summer block, days around New Year,
    the rest in short blocks; sick spells start on a working day with `sick_rate`."""
    rng = substream(seed, "person", name_key(spec.name))
    working = _working_days(clock, spec.pattern, days, holidays)
    by_year: dict[int, list[int]] = {}
    for d in working:
        by_year.setdefault(clock.date(d).year, []).append(d)
    vacation: set[int] = set()
    years = range(clock.start.year, clock.date(days - 1).year + 1)
    for year in years:
        pool = by_year.get(year, [])
        budget = spec.vacation_days
        if not pool or budget <= 0:
            continue

        def block(first_day: dt.date, last_day: dt.date, length: int, pool=pool) -> int:
            lo = (first_day - clock.start).days
            hi = (last_day - clock.start).days
            starts = [d for d in pool if lo <= d <= hi]
            u = rng.random()
            if not starts or length <= 0:
                return 0
            begin = pool.index(starts[int(u * len(starts))])
            chosen = pool[begin : begin + length]
            vacation.update(chosen)
            return len(chosen)

        summer = min(budget, int(rng.integers(8, 16)))
        budget -= block(dt.date(year, 6, 1), dt.date(year, 8, 25), summer)
        budget -= block(dt.date(year, 12, 22), dt.date(year, 12, 29), min(budget, 3))
        for _ in range(6):
            if budget <= 0:
                break
            length = min(budget, int(rng.integers(2, 6)))
            budget -= block(dt.date(year, 1, 7), dt.date(year, 11, 30), length)
    sick: set[int] = set()
    draws = rng.random(len(working))
    spell_lengths = rng.geometric(1 / 3.0, size=len(working))
    i = 0
    while i < len(working):
        if draws[i] < spec.sick_rate and working[i] not in vacation:
            spell = working[i : i + int(spell_lengths[i])]
            sick.update(spell)
            i += len(spell)
        else:
            i += 1
    return frozenset(vacation), frozenset(sick - vacation)


def build_person(
    spec: PersonSpec,
    teams: tuple[str, ...],
    clock: Clock,
    days: int,
    holidays: frozenset[dt.date],
    seed: Entropy,
) -> Person:
    vacation, sick = absences(spec, clock, days, holidays, seed)
    calendar = Calendar.build(clock, spec.pattern, days, holidays, vacation | sick)
    return Person(spec.name, teams, spec, calendar, vacation, sick)


def people_at_work(
    calendars: list[Calendar], clock: Clock, t0: float, t1: float
) -> dict[str, object]:
    """Capacity of a group of people between t0 and t1 (minutes), from their calendars.

    `by_weekday_hour`: mean number of the people at work in each local weekday-hour (Mon..Sun
    x 0..23, averaged over the weeks of the period); `mean_concurrent`: person-hours at work
    over the hours in which at least one of them was at work; `person_hours`: the total.
    """
    hours = int(np.ceil((t1 - t0) / 60.0)) + 1
    busy = np.zeros(hours)
    for calendar in calendars:
        for a, b in zip(calendar.opens, calendar.closes, strict=True):
            a, b = max(a, t0), min(b, t1)
            while a < b:
                slot = int((a - t0) // 60)
                end = min(b, t0 + (slot + 1) * 60.0)
                busy[slot] += end - a
                a = end
    occupied = busy > 0
    person_hours = float(busy.sum() / 60.0)
    mean_concurrent = person_hours / occupied.sum() if occupied.any() else 0.0
    # weekday-hour profile in local time: the slot's local weekday and hour
    grid = np.zeros((7, 24))
    counts = np.zeros((7, 24))
    first_weekday = clock.start.weekday()
    for slot in range(hours - 1):
        moment = t0 + slot * 60.0 + 30.0
        day = clock.day_of(moment)
        minute = moment + float(clock.shifts[min(day, len(clock.shifts) - 1)]) - day * DAY
        weekday, hour = (first_weekday + day) % 7, int(minute // 60) % 24
        grid[weekday, hour] += busy[slot] / 60.0
        counts[weekday, hour] += 1
    profile = np.divide(grid, counts, out=np.zeros_like(grid), where=counts > 0)
    return {
        "person_hours": round(person_hours, 3),
        "mean_concurrent": round(float(mean_concurrent), 4),
        "by_weekday_hour": [[round(float(x), 3) for x in row] for row in profile],
    }


def leave_plan(people: list[Person], clock: Clock, days: int, holidays: frozenset[dt.date]):
    """The company's leave plan as HR keeps it: each person's vacation (not their sickness,
    which nobody plans) as blocks of dates, a block running on over days they do not work.
    Rows (person, first_day, last_day), sorted."""
    rows: list[tuple[str, str, str]] = []
    for person in people:
        block: list[int] = []
        for day in [*_working_days(clock, person.spec.pattern, days, holidays), None]:
            if day is not None and day in person.vacation:
                block.append(day)
            elif block:  # a working day at work (or the end) closes the block
                first, last = clock.date(block[0]), clock.date(block[-1])
                rows.append((person.name, first.isoformat(), last.isoformat()))
                block = []
    return sorted(rows)
