"""Closed days: the sample's public holidays read from its log, and closures beyond the log."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from l2csim.fit.closures import fit_closures
from l2csim.sample.calendar import public_holidays
from l2csim.study import CalendarSpec


def _weekdays(first: dt.date, last: dt.date, skip: set[dt.date] = frozenset()) -> pd.Series:
    """One staff event at 10:00 on every Monday-Friday from first to last, but `skip`."""
    days = pd.date_range(first, last, freq="D")
    days = [d for d in days if d.weekday() < 5 and d.date() not in skip]
    return pd.Series(pd.DatetimeIndex(days) + pd.Timedelta(hours=10))


def test_the_sample_log_shows_its_public_holidays(sample_fit) -> None:
    closures = sample_fit.params.closures
    first, last = closures.first, closures.last
    truth = sorted(
        d
        for year in range(first.year, last.year + 1)
        for d in public_holidays(year)
        if first < d < last and d.weekday() < 5
    )  # fmt: skip: the generator's holidays, the days nobody works
    assert closures.days == truth
    assert len(truth) >= 8
    assert any("closed days:" in note for note in sample_fit.params.notes)


def test_without_a_calendar_the_log_s_closures_recur_on_their_dates() -> None:
    christmas = {dt.date(2025, 12, 25), dt.date(2025, 12, 26)}
    closures = fit_closures(_weekdays(dt.date(2025, 3, 3), dt.date(2026, 2, 27), christmas))
    assert closures.days == sorted(christmas)
    assert dt.date(2026, 12, 25) in closures.beyond  # a Friday
    assert dt.date(2026, 12, 26) not in closures.beyond  # a Saturday: no working day
    assert "same dates in other years" in closures.provenance.detail
    assert not closures.all_days() & {dt.date(2025, 12, 24), dt.date(2026, 12, 24)}


def test_a_stated_calendar_closes_beyond_the_log_but_not_what_the_log_worked() -> None:
    # The log closes at Christmas but works on Whit Monday (2025-06-09), a German holiday.
    christmas = {dt.date(2025, 12, 25), dt.date(2025, 12, 26)}
    spec = CalendarSpec(public_holidays="DE", closed_days=[dt.date(2026, 7, 31)])
    closures = fit_closures(_weekdays(dt.date(2025, 6, 2), dt.date(2026, 1, 30), christmas), spec)
    closed = closures.all_days()
    assert {dt.date(2026, 4, 3), dt.date(2026, 4, 6)} <= closed  # Easter 2026, its own dates
    assert dt.date(2026, 12, 25) in closed
    assert dt.date(2026, 5, 25) not in closed  # Whit Monday 2026: the log showed it worked
    assert dt.date(2025, 6, 9) not in closed
    assert dt.date(2026, 7, 31) in closed  # stated
    assert "Pentecost Monday" in closures.provenance.detail  # the package's name for it


def test_a_quiet_day_the_calendar_does_not_name_is_no_day_off_in_a_promise() -> None:
    """Nobody worked on Christmas Day nor on an ordinary Tuesday (a small team all away):
    both are closed days, but only Christmas is a day off in a promise. Without a stated
    calendar the log cannot tell them apart and both count."""
    quiet, christmas = dt.date(2025, 8, 5), dt.date(2025, 12, 25)
    staff = _weekdays(dt.date(2025, 6, 2), dt.date(2026, 1, 30), {quiet, christmas})
    closures = fit_closures(staff, CalendarSpec(public_holidays="DE"))
    assert {quiet, christmas} <= closures.all_days()
    assert closures.not_holidays == [quiet]
    assert christmas in closures.promise_days_off() and quiet not in closures.promise_days_off()
    assert "1 of the log's closed days are no public holiday" in closures.provenance.detail
    unnamed = fit_closures(staff)
    assert {quiet, christmas} <= unnamed.promise_days_off()


def test_no_staff_events_read_no_closures() -> None:
    closures = fit_closures(pd.Series([], dtype="datetime64[ns]"))
    assert closures.all_days() == frozenset()
    assert closures.provenance.source == "default"


def test_partial_first_and_last_days_are_not_closures() -> None:
    closures = fit_closures(_weekdays(dt.date(2025, 3, 3), dt.date(2025, 3, 28)))
    assert closures.days == []


def test_after_the_last_order_a_quiet_day_is_no_closure() -> None:
    """The log's tail: orders stop on 30 January, the last deliveries trickle in to 27
    February with days nobody works in between. Only the holiday while orders came in counts,
    and the tail is beyond the log (a stated calendar's)."""
    tail = {dt.date(2026, 2, 10), dt.date(2026, 2, 11), dt.date(2026, 2, 18)}
    days = _weekdays(dt.date(2025, 6, 2), dt.date(2026, 2, 27), {dt.date(2025, 12, 25), *tail})
    closures = fit_closures(days, intake=(dt.date(2025, 6, 2), dt.date(2026, 1, 30)))
    assert closures.days == [dt.date(2025, 12, 25)]
    assert closures.last == dt.date(2026, 1, 30)
    assert not closures.all_days() & tail
