"""Staff pools: queue order by discipline, people on their own shifts, pre-emption keeps work."""

from __future__ import annotations

import simpy

from l2csim.params import Calendar
from l2csim.sim.calendars import ShiftCalendar, WorkCalendar
from l2csim.sim.staff import StaffPool

OFFICE = WorkCalendar(Calendar())


def _job(env, pool, name, key, work, done):
    start, person = yield from pool.serve(1, key, work)
    done.append((name, start, env.now, person))


def test_queue_takes_lowest_key_then_arrival_order() -> None:
    """Work queued at midnight waits for the shift at 8:00, which takes the most urgent
    first; four hours of work end at 12:00."""
    env = simpy.Environment()
    pool = StaffPool(env, "om", [OFFICE], OFFICE)
    done: list = []
    for name, key in [("first", 5.0), ("b", 2.0), ("c", 1.0), ("d", 2.0)]:
        env.process(_job(env, pool, name, key, 1.0, done))
    env.run()
    assert [d[0] for d in done] == ["c", "b", "d", "first"]
    assert done[0][1:3] == (8.0, 9.0) and done[-1][2] == 12.0
    assert pool.busy_hours == 4.0


def _shift(weekdays, start, end, attendance=1.0, draws=None) -> ShiftCalendar:
    weekly = WorkCalendar(Calendar(weekdays=weekdays, start_hour=start, end_hour=end))
    days = draws if draws is not None else [0.0] * 30
    return ShiftCalendar(weekly, weekdays, [(start, end)], attendance, 24 * 28.0, days)


def test_people_pull_work_during_their_own_shifts() -> None:
    """An early (6-14) and a late (14-22) person: a job arriving at 15:00 while the late
    person is busy waits for them, not for tomorrow's early shift; a job at 23:00 is taken
    at 6:00 by the early person."""
    env = simpy.Environment()
    early, late = _shift([0, 1, 2, 3, 4], 6, 14), _shift([0, 1, 2, 3, 4], 14, 22)
    pool = StaffPool(
        env, "warehouse", [early, late], WorkCalendar(Calendar(start_hour=6, end_hour=22))
    )
    done: list = []

    def arrive(name, at, work):
        yield env.timeout(at)
        yield from _job(env, pool, name, 0.0, work, done)

    env.process(arrive("busy", 14.0, 2.0))
    env.process(arrive("waits", 15.0, 1.0))
    env.process(arrive("night", 23.0, 1.0))
    env.run()
    finished = {d[0]: (d[1], d[2], d[3]) for d in done}
    assert finished["busy"] == (14.0, 16.0, 1)
    assert finished["waits"] == (16.0, 17.0, 1)
    assert finished["night"] == (30.0, 31.0, 0)


def test_absent_days_thin_a_person_and_work_spans_shifts() -> None:
    """Attendance 0.5 with draws alternating: at work on days 0, 2, 4...; a 10-hour job
    started Monday 8:00 on a 9-hour shift ends Wednesday 9:00."""
    person = _shift([0, 1, 2, 3, 4], 8, 17, attendance=0.5, draws=[0.1, 0.9] * 15)
    assert person.is_open(9.0) and not person.is_open(24 + 9.0)
    assert person.finish(8.0, 10.0) == 48 + 9.0
    assert person.worked(0.0, 72.0) == 18.0
    assert person.next_open(17.5) == 48 + 8.0


def test_preemption_interrupts_lower_ranked_work_and_resumes_it() -> None:
    env = simpy.Environment()
    always = WorkCalendar(Calendar(weekdays=list(range(7)), start_hour=0, end_hour=24))
    pool = StaffPool(env, "om", [always], always, preemptive=True)
    done: list = []
    env.process(_job(env, pool, "low", 9.0, 4.0, done))

    def urgent():
        yield env.timeout(1.0)
        yield from _job(env, pool, "high", 0.0, 2.0, done)

    env.process(urgent())
    env.run()
    assert [(d[0], d[2]) for d in done] == [("high", 3.0), ("low", 6.0)]
    assert pool.busy_hours == 6.0  # no work lost or double counted


def test_external_pool_never_queues() -> None:
    env = simpy.Environment()
    pool = StaffPool(env, "carrier", [], OFFICE, external=True)
    done: list = []
    for name in "abc":
        env.process(_job(env, pool, name, 0.0, 2.0, done))
    env.run()
    assert [d[2] for d in done] == [10.0, 10.0, 10.0]
