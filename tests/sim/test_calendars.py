"""Working calendars: work outside hours waits, and the arithmetic is exact."""

from __future__ import annotations

import numpy as np
import pytest

from l2csim.params import Calendar
from l2csim.sim.calendars import PersonLeave, WorkCalendar, presence

OFFICE = WorkCalendar(Calendar())  # Monday-Friday 8-17


def test_work_within_and_across_days_and_weekends() -> None:
    assert OFFICE.weekly_hours == 45
    assert OFFICE.finish(8.0, 9.0) == 17.0  # Monday 8:00 + 9 h = Monday 17:00
    assert OFFICE.finish(16.0, 2.0) == 24 + 9.0  # one hour today, one tomorrow from 8:00
    assert OFFICE.finish(3.0, 1.0) == 9.0  # queued at night: starts at 8:00
    assert OFFICE.finish(4 * 24 + 16, 2.0) == 168 + 9.0  # Friday 16:00 -> Monday 9:00
    assert OFFICE.finish(0.0, 45.0) == 4 * 24 + 17  # a full week of work ends Friday 17:00
    assert OFFICE.next_open(17.5) == 32.0 and OFFICE.next_open(5 * 24) == 168 + 8


def test_finish_and_worked_are_inverse_on_random_times() -> None:
    rng = np.random.default_rng(1)
    calendar = WorkCalendar(Calendar(weekdays=[0, 2, 3, 5], start_hour=6.5, end_hour=22))
    for t, w in zip(rng.uniform(0, 2000, 2000), rng.uniform(0.01, 120, 2000), strict=True):
        end = calendar.finish(t, w)
        assert calendar.worked(t, end) == pytest.approx(w, abs=1e-9)
        assert calendar.worked(t, end - 1e-6) < w  # and it is the first such moment


def test_round_the_clock_is_plain_addition() -> None:
    always = WorkCalendar(Calendar(weekdays=list(range(7)), start_hour=0, end_hour=24))
    assert always.always_open and always.finish(123.4, 5.5) == 128.9


def test_a_break_splits_the_day_and_work_waits_through_it() -> None:
    lunch = WorkCalendar(Calendar(start_hour=8, end_hour=16.5, break_start=12, break_end=12.5))
    assert lunch.weekly_hours == 5 * 8.0
    assert lunch.finish(11.5, 1.0) == 13.0  # half an hour before lunch, half after
    assert lunch.next_open(12.2) == 12.5 and not lunch.is_open(12.25)
    assert lunch.worked(8.0, 16.5) == 8.0


def test_a_break_outside_the_shift_is_refused() -> None:
    with pytest.raises(ValueError, match="inside the shift"):
        Calendar(start_hour=8, end_hour=12, break_start=12, break_end=13)
    with pytest.raises(ValueError, match="go together"):
        Calendar(break_start=12)


def test_shift_moves_by_working_hours_both_ways() -> None:
    """Friday 17:00 plus 2 working hours is Monday 10:00 (nobody calls at the weekend);
    back from there by 2 h is Monday's opening (the same working moment as Friday's close);
    shift and between are inverse for any moment and either sign."""
    assert OFFICE.shift(4 * 24.0 + 17.0, 2.0) == 168 + 10.0
    assert OFFICE.shift(168 + 10.0, -2.0) == 168 + 8.0
    assert OFFICE.shift(9.0, -1.0) == 8.0 and OFFICE.shift(8.0, -1.0) == -168 + 4 * 24 + 16
    rng = np.random.default_rng(2)
    for t, h in zip(rng.uniform(0, 2000, 500), rng.uniform(-150, 150, 500), strict=True):
        assert OFFICE.between(t, OFFICE.shift(t, h)) == pytest.approx(h, abs=1e-9)


def test_absences_come_in_the_blocks_the_log_shows_and_keep_the_attendance() -> None:
    """Two-week leave (10 working days) at 80 % attendance: over 40 years of working days
    the person is there 80 % of them, and every absence lasts 10 working days. Without
    spells the days are independent draws, the same ones as before spells existed."""
    weekdays = [0, 1, 2, 3, 4]
    days = 40 * 364
    present = presence(weekdays, 0.8, [10], days, np.random.default_rng(4))
    working = [present[d] for d in range(days) if d % 7 in weekdays]
    assert np.mean(working) == pytest.approx(0.8, abs=0.03)
    runs, current = [], 0
    for here in working:
        if not here:
            current += 1
        elif current:
            runs.append(current)
            current = 0
    assert set(runs[1:]) == {10}  # the first may be cut by the start
    single = presence(weekdays, 0.8, [], 50, np.random.default_rng(4))
    assert single == list(np.random.default_rng(4).random(50) < 0.8)


def test_leave_gathers_in_the_months_the_log_shows() -> None:
    """A person at work 95 % of days but 40 % in August, in blocks of five days: over 30
    simulated years August is thin and the rest of the year is not; the same draws without
    the months give the even share."""
    from datetime import date

    from l2csim.sim.calendars import months_of_days

    weekdays = [0, 1, 2, 3, 4]
    monthly = [0.95] * 12
    monthly[7] = 0.4
    days = 30 * 364
    months = months_of_days(date(2025, 1, 6), days)
    present = presence(weekdays, 0.9, [5], days, np.random.default_rng(7), monthly, months)
    by_month: dict[int, list[bool]] = {}
    for day in range(days):
        if day % 7 in weekdays:
            by_month.setdefault(months[day], []).append(present[day])
    assert np.mean(by_month[7]) == pytest.approx(0.4, abs=0.08)
    assert np.mean(by_month[2]) == pytest.approx(0.95, abs=0.04)
    even = presence(weekdays, 0.9, [5], days, np.random.default_rng(7))
    august = [even[d] for d in range(days) if d % 7 in weekdays and months[d] == 7]
    assert np.mean(august) == pytest.approx(0.9, abs=0.05)


def test_an_absence_under_way_at_the_start_runs_its_course() -> None:
    """A forecast starts on day 9 (a Wednesday) with the person 3 working days into an
    absence; their absences last 5 or 10 working days. They stay away 2 or 7 more working
    days (one of the absences longer than 3), never longer, then come back at their usual
    attendance. Someone at work at the start is in no absence: only a new one (1.5 % a
    day at 90 % attendance and 7.5-day absences) keeps them away on that day, where a
    person drawn from the whole year is away 10 % of days. Without spells the state changes
    nothing."""
    weekdays = [0, 1, 2, 3, 4]
    working = [d for d in range(9, 9 + 21) if d % 7 in weekdays]
    rest, there = [], []
    for seed in range(200):
        present = presence(weekdays, 0.9, [5, 10], 60, np.random.default_rng(seed), state=(9, 3))
        days_away = next(i for i, d in enumerate(working) if present[d])
        rest.append(days_away)
        at_work = presence(weekdays, 0.9, [5, 10], 60, np.random.default_rng(seed), state=(9, 0))
        there.append(at_work[9])
    assert np.mean(there) > 0.95
    assert set(rest) == {2, 7}
    assert 0.3 < rest.count(2) / len(rest) < 0.7
    # Away longer than any absence seen: a mean absence more (7.5 -> 8 working days).
    long = presence(weekdays, 0.9, [5, 10], 60, np.random.default_rng(1), state=(9, 12))
    assert next(i for i, d in enumerate(working) if long[d]) == 8
    plain = presence(weekdays, 0.8, [], 50, np.random.default_rng(4), state=(9, 3))
    assert plain == presence(weekdays, 0.8, [], 50, np.random.default_rng(4))


def test_an_absence_as_long_as_one_seen_may_be_over() -> None:
    """Three working days into an absence, with absences of 3 or 10 days in the log: the
    absence is one of those at least 3 long, so about half the time it is over and the
    person is at work on the first forecast day, else away 7 more (it never lasts 10 more).
    Inside the leave plan an absence the plan does not hold is sickness: with sick spells
    of 1 or 2 days, someone 2 days into one is back at once, where without the plan their
    10-day absences keep them away 8 more."""
    weekdays = [0, 1, 2, 3, 4]
    working = [d for d in range(9, 9 + 21) if d % 7 in weekdays]
    rest = []
    for seed in range(200):
        present = presence(weekdays, 0.9, [3, 10], 60, np.random.default_rng(seed), state=(9, 3))
        rest.append(next(i for i, d in enumerate(working) if present[d]))
    assert set(rest) == {0, 7}
    assert 0.35 < rest.count(0) / len(rest) < 0.65
    sick = PersonLeave(frozenset(), (0, 60), 0.97, (1, 2))
    for seed in range(20):
        rng = np.random.default_rng(seed)
        planned = presence(weekdays, 0.9, [10], 60, rng, state=(9, 2), leave=sick)
        assert planned[9]
        unplanned = presence(weekdays, 0.9, [10], 60, np.random.default_rng(seed), state=(9, 2))
        assert next(i for i, d in enumerate(working) if unplanned[d]) == 8


def test_months_of_days_follow_the_calendar() -> None:
    from datetime import date

    from l2csim.sim.calendars import months_of_days

    months = months_of_days(date(2025, 1, 27), 40)
    assert months[:5] == [0] * 5 and months[5] == 1  # 1 February is day 5
    assert months[-1] == 2  # 7 March


def test_nobody_is_at_work_on_a_closed_day_and_absences_count_open_days() -> None:
    weekdays = [0, 1, 2, 3, 4]
    closed = frozenset({9, 10, 23})
    plain = presence(weekdays, 0.8, [], 50, np.random.default_rng(4))
    shut = presence(weekdays, 0.8, [], 50, np.random.default_rng(4), closed=closed)
    assert not any(shut[d] for d in closed)
    assert [p for d, p in enumerate(shut) if d not in closed] == [
        p for d, p in enumerate(plain) if d not in closed
    ]  # independent days: the others as they were
    # In blocks: an absence of 3 working days over a closed Wednesday and Thursday lasts
    # into the next week; the share at work over open days keeps the attendance.
    days = 7 * 400
    holidays = frozenset(d for d in range(days) if d % 7 == 2 and d % 28 == 2)
    present = presence(weekdays, 0.8, [3], days, np.random.default_rng(5), closed=holidays)
    open_days = [d for d in range(days) if d % 7 in weekdays and d not in holidays]
    assert sum(present[d] for d in open_days) / len(open_days) == pytest.approx(0.8, abs=0.03)
    assert not any(present[d] for d in holidays)


def test_closed_offsets_place_the_closures_on_the_simulated_days() -> None:
    from datetime import date

    from l2csim.params import Closures
    from l2csim.sim.calendars import closed_offsets

    closures = Closures(
        first=date(2025, 1, 6), last=date(2025, 6, 30), days=[date(2025, 4, 18)],
        beyond=[date(2025, 4, 18), date(2025, 12, 25)], stated=[date(2025, 1, 7)],
    )  # fmt: skip
    assert closed_offsets(closures, date(2025, 1, 6), 400) == {102, 353, 1}
    assert closed_offsets(closures, date(2025, 4, 1), 30) == {17}


def test_planned_leave_keeps_the_person_away_and_the_rest_at_their_other_attendance() -> None:
    """A person at work 80 % of days over the year (planned leave included) and 97 %
    besides it, away on a planned fortnight in August: on the days the plan covers they
    are away exactly on their planned days and at work on 97 % of the others; outside the
    plan they keep their 80 %. A plan that starts on the first simulated day while the
    person is mid-absence sends them back when it ends, not after an unplanned absence."""

    weekdays = [0, 1, 2, 3, 4]
    days = 40 * 364
    covered = (0, days // 2)
    planned = frozenset(
        d for d in range(covered[1]) if d % 364 in range(210, 224) and d % 7 in weekdays
    )
    leave = PersonLeave(planned, covered, 0.97, (1, 2, 3))
    present = presence(weekdays, 0.8, [10], days, np.random.default_rng(5), leave=leave)
    assert not any(present[d] for d in planned)
    inside = [present[d] for d in range(*covered) if d % 7 in weekdays and d not in planned]
    outside = [present[d] for d in range(covered[1], days) if d % 7 in weekdays]
    assert np.mean(inside) == pytest.approx(0.97, abs=0.01)
    assert np.mean(outside) == pytest.approx(0.8, abs=0.03)
    # In August of the covered years the planned fortnight is the thin weeks, nothing else.
    august = [present[d] for d in range(*covered) if d % 364 in range(203, 231) and d % 7 < 5]
    assert np.mean(august) == pytest.approx(0.5 * 0.97, abs=0.03)
    on_leave = PersonLeave(frozenset(range(9, 12)), (0, 60), 0.97, (1,))
    for seed in range(20):
        back = presence(
            weekdays, 0.8, [10], 60, np.random.default_rng(seed), state=(9, 3), leave=on_leave
        )
        assert not any(back[9:12]) and (back[14] or back[15] or back[16])
