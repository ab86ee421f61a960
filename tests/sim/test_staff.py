"""Staff pools: queue order by discipline, calendars, pre-emption keeps work."""

from __future__ import annotations

import simpy

from l2csim.params import Calendar
from l2csim.sim.calendars import WorkCalendar
from l2csim.sim.staff import StaffPool

OFFICE = WorkCalendar(Calendar())


def _job(env, pool, name, key, work, done):
    start, person = yield from pool.serve(1, key, work)
    done.append((name, start, env.now, person))


def test_queue_takes_lowest_key_then_arrival_order() -> None:
    env = simpy.Environment()
    pool = StaffPool(env, "om", 1, OFFICE)
    done: list = []
    for name, key in [("first", 5.0), ("b", 2.0), ("c", 1.0), ("d", 2.0)]:
        env.process(_job(env, pool, name, key, 1.0, done))
    env.run()
    assert [d[0] for d in done] == ["first", "c", "b", "d"]
    # Work queued at midnight waits for 8:00; four hours end at 12:00.
    assert done[0][1:3] == (0.0, 9.0) and done[-1][2] == 12.0
    assert pool.busy_hours == 4.0


def test_preemption_interrupts_lower_ranked_work_and_resumes_it() -> None:
    env = simpy.Environment()
    always = WorkCalendar(Calendar(weekdays=list(range(7)), start_hour=0, end_hour=24))
    pool = StaffPool(env, "om", 1, always, preemptive=True)
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
    pool = StaffPool(env, "carrier", 1, OFFICE, external=True)
    done: list = []
    for name in "abc":
        env.process(_job(env, pool, name, 0.0, 2.0, done))
    env.run()
    assert [d[2] for d in done] == [10.0, 10.0, 10.0]
