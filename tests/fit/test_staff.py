"""Teams, people and systems from who did what: recovered on the bundled sample (its truth
is the generator's staff table) and on logs made to show one signal each."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from l2csim.fit.durations import working_hours
from l2csim.fit.staff import fit_members, system_users, work_arrivals
from l2csim.log import ACTIVITY, CASE, RESOURCE, TIMESTAMP
from l2csim.params import ModelParams
from l2csim.sample.operation import CARRIERS, EDI_GATEWAY, ORDER_MAILBOX, STAFF


@pytest.fixture(scope="module")
def sample(sample_fit) -> ModelParams:
    return sample_fit.params


def test_systems_are_not_staff(sample: ModelParams) -> None:
    systems = {r for p in sample.pools if p.external for r in p.resources}
    assert systems == {EDI_GATEWAY, ORDER_MAILBOX, *CARRIERS}
    assert all(not p.members for p in sample.pools if p.external)


def test_teams_are_the_generators_teams_with_their_sizes(sample: ModelParams) -> None:
    """Each fitted team is exactly one true team (its people, its size)."""
    staffed = [p for p in sample.pools if not p.external]
    true_teams = {frozenset(names) for names in STAFF.values()}
    assert {frozenset(p.resources) for p in staffed} == true_teams
    for pool in staffed:
        assert pool.size == len(pool.members) == len(pool.resources)
        # Absences lower the capacity a little below the head count, never above it.
        assert 0.8 * pool.size <= pool.capacity <= pool.size


def test_shifts_follow_when_people_work(sample: ModelParams) -> None:
    """Office staff work 8:00-17:00 Monday to Friday; the warehouse from 6:00 (its last
    pick wave ends its day early, so its end is only bounded)."""
    for pool in sample.pools:
        for member in pool.members:
            assert member.weekdays == [0, 1, 2, 3, 4]
            if member.name in STAFF["Warehouse"]:
                assert 5.5 <= member.start_hour <= 6.5 and member.end_hour >= 18
            else:
                assert 6.75 <= member.start_hour <= 8.25 and 15.75 <= member.end_hour <= 17.25


def test_round_the_clock_and_batch_resources_are_systems_unless_everyone_is() -> None:
    """Three people work 8-17; a bank import posts at any hour and a nightly job posts
    four events in the same second: those two are systems. In an operation where everyone
    works around the clock, nobody is a system for it."""
    rng = np.random.default_rng(3)
    rows = []
    for day in pd.date_range("2025-03-03", periods=28, freq="D", tz="UTC"):
        for person in ("Ann", "Bea", "Cem"):
            rows += [(person, day + pd.Timedelta(hours=h)) for h in rng.uniform(8, 17, 4)]
        rows += [("Zahlungseingang", day + pd.Timedelta(hours=h)) for h in rng.uniform(0, 24, 4)]
        rows += [("Nachtlauf", day + pd.Timedelta(hours=12))] * 4
    events = pd.DataFrame(rows, columns=[RESOURCE, TIMESTAMP])
    events[CASE] = [f"c{i}" for i in range(len(events))]
    events[ACTIVITY] = "Work"
    found = system_users(events, "UTC")
    assert set(found) == {"Zahlungseingang", "Nachtlauf"}
    assert "around the clock" in found["Zahlungseingang"] and "batches" in found["Nachtlauf"]
    everyone = events[events[RESOURCE] != "Nachtlauf"].copy()
    people = everyone[RESOURCE] != "Zahlungseingang"
    everyone.loc[people, TIMESTAMP] += pd.to_timedelta(rng.uniform(-9, 9, people.sum()), unit="h")
    assert system_users(everyone, "UTC") == {}


def test_a_part_timer_counts_for_the_days_they_work() -> None:
    """Two people: one full time, one on Mondays to Wednesdays; the part-timer's shift
    has three weekdays and the team's capacity counts them as 0.6 of a head."""
    rows = []
    for day in pd.date_range("2025-03-03", "2025-05-30", freq="B"):
        people = ["Full"] + (["Part"] if day.weekday() < 3 else [])
        for who in people:
            for hour in (9, 11, 13, 15, 16.5):
                rows.append(("x", "Work", day + pd.Timedelta(hours=hour), who))
    events = pd.DataFrame(rows, columns=[CASE, ACTIVITY, TIMESTAMP, RESOURCE])
    events[TIMESTAMP] = events[TIMESTAMP].dt.tz_localize("UTC")
    members = fit_members(events, "UTC")
    assert members["Full"].weekdays == [0, 1, 2, 3, 4]
    assert members["Part"].weekdays == [0, 1, 2]
    assert members["Part"].attendance > 0.95
    assert members["Full"].start_hour <= 9 and members["Full"].end_hour >= 16.5


def test_a_lunch_break_is_read_from_the_quiet_half_hour() -> None:
    """Two people complete work every few minutes from 8:00 to 16:30; one never between
    12:00 and 12:30, the other without a pause. Only the first gets a break, and the
    work spanning it counts the break out."""
    rng = np.random.default_rng(3)
    rows = []
    for day in pd.date_range("2025-03-03", "2025-05-30", freq="B"):
        for who in ("Lunch", "Never"):
            hours = np.sort(rng.uniform(8.2, 16.5, 60))
            if who == "Lunch":
                hours = hours[(hours < 12.0) | (hours >= 12.5)]
            rows += [("x", "Work", day + pd.Timedelta(hours=float(h)), who) for h in hours]
    events = pd.DataFrame(rows, columns=[CASE, ACTIVITY, TIMESTAMP, RESOURCE])
    events[TIMESTAMP] = events[TIMESTAMP].dt.tz_localize("UTC")
    members = fit_members(events, "UTC")
    lunch, never = members["Lunch"], members["Never"]
    assert (lunch.break_start, lunch.break_end) == (12.0, 12.5)
    assert "a break 12:00-12:30" in lunch.provenance.detail
    assert never.break_start is None
    assert lunch.daily_hours == pytest.approx(never.daily_hours - 0.5)
    begin = pd.Series(pd.to_datetime(["2025-03-03 11:45"], utc=True))
    end = pd.Series(pd.to_datetime(["2025-03-03 12:45"], utc=True))
    assert working_hours(begin, end, lunch, "UTC")[0] == pytest.approx(0.5)
    assert working_hours(begin, end, never, "UTC")[0] == pytest.approx(1.0)


@pytest.mark.parametrize("name", ["Sales inbox", "Order mailbox", "EDI gateway", "SAP batch"])
def test_names_that_say_system(name: str) -> None:
    """A resource named as a mailbox, inbox, gateway or batch job is a system even when it
    records events in office hours like a person."""
    rows = [
        (who, pd.Timestamp("2025-03-03", tz="UTC") + pd.Timedelta(days=d, hours=9 + h))
        for d in range(20)
        for h in range(4)
        for who in (name, "Ann Weber")
    ]
    events = pd.DataFrame(rows, columns=[RESOURCE, TIMESTAMP])
    events[CASE] = [f"c{i}" for i in range(len(events))]
    events[ACTIVITY] = "Work"
    assert set(system_users(events, "UTC")) == {name}


def working_year(away) -> pd.DataFrame:
    """Three events a working day of 2025 for each person `away(i, day)` names, except on
    the days it says they are away (i: the working day's index)."""
    rows = []
    for i, day in enumerate(pd.date_range("2025-01-06", "2025-12-19", freq="B")):
        for who, absent in away(i, day).items():
            if not absent:
                rows += [("x", "Work", day + pd.Timedelta(hours=h), who) for h in (9, 12, 15)]
    events = pd.DataFrame(rows, columns=[CASE, ACTIVITY, TIMESTAMP, RESOURCE])
    events[TIMESTAMP] = events[TIMESTAMP].dt.tz_localize("UTC")
    return events


def test_absences_are_read_as_blocks() -> None:
    """A person away for two weeks in every eight and one away every seventh working day: the first
    gets absences of 10 working days, the second of single days, each stated."""
    events = working_year(
        lambda i, day: {"Block": (i % 40) >= 30, "Single": i % 7 == 2, "Always": False}
    )
    members = fit_members(events, "UTC")
    assert set(members["Block"].absence_spells) == {10}
    assert set(members["Single"].absence_spells) == {1}
    assert "absent in blocks" in members["Block"].provenance.detail
    assert members["Block"].attendance == pytest.approx(0.75, abs=0.02)
    assert members["Single"].attendance == pytest.approx(6 / 7, abs=0.02)


def test_leave_is_read_by_calendar_month() -> None:
    """A person away every August and at the turn of the year, and one never away: the
    first's months say so (pulled a little toward the year), the second's are all 1; a log
    of three months shows no seasons and gets none."""
    events = working_year(
        lambda _, day: {
            "Summer": day.month == 8 or (day.month == 12 and day.day > 15),
            "Always": False,
        }
    )
    members = fit_members(events, "UTC")
    summer = members["Summer"].monthly_attendance
    assert len(summer) == 12
    assert summer[7] < 0.25 and min(summer[:6]) > 0.95
    assert summer[11] < summer[10]
    assert "fewest in Aug" in members["Summer"].provenance.detail
    assert members["Always"].monthly_attendance == [1.0] * 12
    spring = events[events[TIMESTAMP] < pd.Timestamp("2025-04-01", tz="UTC")]
    assert fit_members(spring, "UTC")["Summer"].monthly_attendance == []


def test_a_new_hire_takes_the_teams_median_leave_by_month() -> None:
    from l2csim.params import Calendar, Member, Pool, Provenance
    from l2csim.sim.staffing import typical_member

    def person(name: str, august: float) -> Member:
        monthly = [1.0] * 12
        monthly[7] = august
        return Member(name=name, attendance=0.9, monthly_attendance=monthly)

    team = Pool(
        name="Warehouse", size=3, calendar=Calendar(), provenance=Provenance(source="log"),
        members=[person("A", 0.2), person("B", 0.4), person("C", 0.9)],
    )  # fmt: skip
    hire = typical_member(team, "New")
    assert hire.monthly_attendance[7] == pytest.approx(0.4)
    assert hire.monthly_attendance[0] == 1.0
    with pytest.raises(ValueError, match="give 12 shares"):
        Member(name="Odd", monthly_attendance=[0.9] * 11)


def test_a_busy_persons_shift_starts_when_their_first_job_did() -> None:
    """Someone working back to back from 6:30 to 15:00, only completions logged: the first
    completion of a day comes a job's work after 6:30, and the shift is read from 6:30 (a
    typical gap subtracted read it a quarter to half an hour early), to 15:00."""
    rng = np.random.default_rng(11)
    rows = []
    for day in pd.date_range("2025-03-03", periods=60, freq="B"):
        t = 6.5
        while True:
            t += float(rng.lognormal(np.log(0.6) - 0.11, 0.47))
            if t > 15.0:
                break
            rows.append(("x", "Pick", day + pd.Timedelta(hours=t), "Busy"))
    events = pd.DataFrame(rows, columns=[CASE, ACTIVITY, TIMESTAMP, RESOURCE])
    events[TIMESTAMP] = events[TIMESTAMP].dt.tz_localize("UTC")
    busy = fit_members(events, "UTC")["Busy"]
    assert (busy.start_hour, busy.end_hour) == (6.5, 15.0)


def test_a_day_no_work_came_in_is_no_sign_of_absence() -> None:
    """A clerk who keys every order the day it arrives, but orders arrive on only three
    working days in seven (every weekday in turn); a second clerk who checks them, away
    every tenth day on which orders arrive (those are checked a week later). Read from
    every working day, both look away most of the time (3 in 7); read from the days work
    came in for them, the first is always there and the second 90 %. (A colleague who
    phones customers every day keeps the company open on the days without orders.)"""
    rows = []
    busy_days = 0
    for i, day in enumerate(pd.date_range("2025-01-06", "2025-12-19", freq="B")):
        rows.append((f"{day:%Y%m%d}-call", "Courtesy call", day + pd.Timedelta(hours=9), "Daily"))
        if i % 7 not in (0, 2, 4):
            continue  # no orders today
        busy_days += 1
        for n, hour in enumerate((8, 10)):
            case = f"{day:%Y%m%d}-{n}"
            arrived = day + pd.Timedelta(hours=hour)
            rows.append((case, "Order received", arrived, "EDI gateway"))
            rows.append((case, "Key in order", arrived + pd.Timedelta(hours=2), "Always"))
            later = pd.Timedelta(hours=3 if busy_days % 10 else 24 * 7)  # away: next week
            rows.append((case, "Check order", arrived + later, "Sometimes"))
    events = pd.DataFrame(rows, columns=[CASE, ACTIVITY, TIMESTAMP, RESOURCE])
    events[TIMESTAMP] = events[TIMESTAMP].dt.tz_localize("UTC")
    people = events[events[RESOURCE] != "EDI gateway"]
    blind = fit_members(people, "UTC")
    assert blind["Always"].attendance == pytest.approx(3 / 7, abs=0.03)
    members = fit_members(people, "UTC", work_arrivals(events, people, "UTC"))
    assert members["Always"].attendance == 1.0
    assert members["Sometimes"].attendance == pytest.approx(0.9, abs=0.02)
    assert "on which work for them came in" in members["Sometimes"].provenance.detail
