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
    present = [d < attendance for d in days]
    return ShiftCalendar(weekly, weekdays, [(start, end)], present, 24 * 28.0)


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


def test_an_outside_party_answers_a_ringing_caller_at_once_even_after_hours() -> None:
    """A call to an external pool (say a contracted call centre) is answered at once, as
    `serve` treats it, and its work then runs in the pool's own hours; it never hangs up."""
    env = simpy.Environment()
    pool = StaffPool(env, "call centre", [], OFFICE, external=True)
    events: list = []

    def on_call(person: int):
        events.append(("answered", env.now, person))
        _start, by = yield from pool.serve(0, 0.0, 0.5, answered_by=person)
        events.append(("done", env.now, by))

    def ring_at_night():
        yield env.timeout(2.0)
        pool.ring(0, 0.0, 5 / 60, lambda p: env.process(on_call(p)), lambda: events.append("hung"))

    env.process(ring_at_night())
    env.run()
    assert events == [("answered", 2.0, -1), ("done", 8.5, -1)]


class _Holder:
    """An order as the queue sees it: `entry` and `waiting_in` set while it waits."""

    __slots__ = ("__weakref__", "entry", "name", "waiting_in")

    def __init__(self, name: int) -> None:
        self.name, self.entry, self.waiting_in = name, None, None


def test_reprioritise_with_thousands_waiting_serves_in_the_order_of_the_latest_keys() -> None:
    """2,000 jobs wait for one person (an hour each); every half hour in between, five waiting
    jobs get new keys (10,000 moves, far more dead entries than the heap keeps). Each pick
    must be the waiting job with the least (key, arrival) at that moment, as a plain list
    recomputes it, and the heap stays within twice the waiting jobs plus the slack."""
    import random

    env = simpy.Environment()
    always = WorkCalendar(Calendar(weekdays=list(range(7)), start_hour=0, end_hour=24))
    pool = StaffPool(env, "om", [always], always)
    rng = random.Random(7)
    n = 2000
    keys = [float(rng.randrange(50)) for _ in range(n)]  # many ties: arrival decides
    holders = [_Holder(i) for i in range(n)]
    served: list[int] = []
    sizes: list[tuple[int, int]] = []

    def job(i):
        yield from pool.serve(1, keys[i], 1.0, holders[i])
        served.append(i)

    moves = [[rng.randrange(n) for _ in range(5)] for _ in range(n)]
    first_keys, state = list(keys), rng.getstate()

    def mover():
        for k in range(n):
            yield env.timeout(0.5 if k == 0 else 1.0)
            for i in moves[k]:
                if holders[i].entry is not None:
                    keys[i] = float(rng.randrange(50))
                    pool.reprioritise(holders[i], 1, keys[i])
            sizes.append((len(pool.queue), pool.waiting))

    for i in range(n):
        env.process(job(i))
    env.process(mover())
    env.run()

    # The same history with a plain list: at each hour the least (key, arrival) is served.
    keys = first_keys
    rng.setstate(state)
    waiting = list(range(1, n))  # job 0 found the person free
    expected = [0]
    for k in range(n - 1):
        for i in moves[k]:
            if i in waiting:
                keys[i] = float(rng.randrange(50))
        best = min(waiting, key=lambda i: (keys[i], i))
        waiting.remove(best)
        expected.append(best)
    assert served == expected
    assert all(size <= 2 * live + 257 for size, live in sizes)
    assert sizes[0][1] == n - 1 and pool.waiting == 0


def test_an_expedited_job_preempted_goes_back_without_comparing_events() -> None:
    """A job moved ahead (its old entry stays behind, dead) pre-empts the job in service,
    then is pre-empted itself and goes back with its first key: its new entry and the dead
    one tie on (class, key, arrival), which used to make the heap compare two SimPy events
    (TypeError)."""
    env = simpy.Environment()
    always = WorkCalendar(Calendar(weekdays=list(range(7)), start_hour=0, end_hour=24))
    pool = StaffPool(env, "om", [always], always, preemptive=True)
    done: list = []
    moved = _Holder(1)

    def job(name, key, work, holder=None, at=0.0):
        yield env.timeout(at)
        start, _ = yield from pool.serve(1, key, work, holder)
        done.append((name, start, env.now))

    def expedite():
        yield env.timeout(0.5)
        pool.reprioritise(moved, 1, -10.0)

    env.process(job("first", 0.0, 1.0))
    env.process(job("moved", 5.0, 2.0, moved))
    env.process(expedite())
    env.process(job("urgent", -20.0, 1.0, at=1.5))
    env.run()
    # moved: 0.5-1.5 then pre-empted; urgent 1.5-2.5; first's last half hour; moved's hour.
    assert [(d[0], d[2]) for d in done] == [("urgent", 2.5), ("first", 3.0), ("moved", 4.0)]
    assert pool.busy_hours == 4.0 and pool.waiting == 0


def test_close_frees_waiting_jobs_without_the_garbage_collector() -> None:
    """After the run, close() drops the waiting jobs: their orders go by reference counting
    alone (the collector is off here), which is what keeps an overloaded run's end cheap."""
    import gc
    import weakref

    env = simpy.Environment()
    pool = StaffPool(env, "om", [OFFICE], OFFICE)
    refs = []

    def job(holder):
        yield from pool.serve(1, 0.0, 1.0, holder)

    enabled = gc.isenabled()
    gc.disable()
    try:
        for i in range(500):
            holder = _Holder(i)
            refs.append(weakref.ref(holder))
            env.process(job(holder))
        del holder
        env.run(until=7.0)  # nobody at work before 8:00: all 500 wait
        assert pool.waiting == 500 and all(r() is not None for r in refs)
        pool.close()
        assert pool.waiting == 0 and all(r() is None for r in refs)
    finally:
        if enabled:
            gc.enable()


def test_a_caller_left_on_hold_hangs_up_and_costs_no_one_time() -> None:
    """One person busy 8:00-10:00; a caller at 8:30 holding 10 minutes hangs up at 8:40
    unserved; work queued behind it is taken at 10:00 as if the call had never been."""
    env = simpy.Environment()
    pool = StaffPool(env, "cs", [OFFICE], OFFICE)
    done: list = []
    outcome: list = []

    def call():
        yield env.timeout(8.5)
        pool.ring(
            0,
            0.0,
            10 / 60,
            lambda person: outcome.append((env.now, "answered by", person)),
            lambda: outcome.append((env.now, "hung up", None)),
        )

    def later_work():
        yield env.timeout(9.0)
        yield from _job(env, pool, "later", 1.0, 1.0, done)

    env.process(_job(env, pool, "busy", 1.0, 2.0, done))
    env.process(call())
    env.process(later_work())
    env.run()
    ((hung_up_at, result, _),) = outcome
    assert result == "hung up" and abs(hung_up_at - (8.5 + 10 / 60)) < 1e-9
    assert [(d[0], d[1], d[2]) for d in done] == [("busy", 8.0, 10.0), ("later", 10.0, 11.0)]
    assert pool.busy_hours == 3.0


def test_a_ringing_caller_answered_in_time_is_served_by_whoever_answered() -> None:
    """One person busy 8:00-8:05; a caller rings at 8:01 holding 10 minutes and is answered at
    8:05, before work that queued earlier (calls first); the call's 12 minutes end at 8:17.
    A second caller who rings while the person is free is answered at once."""
    env = simpy.Environment()
    pool = StaffPool(env, "cs", [OFFICE], OFFICE)
    done: list = []
    answered: list = []

    def on_call(person: int):
        answered.append((env.now, person))
        start, by = yield from pool.serve(0, 0.0, 0.2, answered_by=person)
        done.append(("call", start, env.now, by))

    def ring_at(t: float):
        yield env.timeout(t)
        pool.ring(0, 0.0, 10 / 60, lambda p: env.process(on_call(p)), lambda: done.append("hung"))

    def queued_work():
        yield env.timeout(8.02)
        yield from _job(env, pool, "work", 1.0, 0.25, done)

    env.process(_job(env, pool, "busy", 1.0, 1 / 12, done))
    env.process(ring_at(8 + 1 / 60))
    env.process(queued_work())
    env.process(ring_at(12.0))
    env.run()
    assert [round(t, 4) for t, _ in answered] == [round(8 + 5 / 60, 4), 12.0]
    assert [d[0] for d in done] == ["busy", "call", "work", "call"]
    assert abs(done[1][2] - (8 + 5 / 60 + 0.2)) < 1e-9 and done[1][3] == 0
    assert abs(done[2][1] - done[1][2]) < 1e-9  # the queued work waited for the call
    assert "hung" not in done


def test_a_caller_who_hung_up_behind_one_still_holding_is_never_answered() -> None:
    """Callers wait in arrival order: A (8:30, holds an hour) and B (8:31, holds 5 minutes)
    behind a person busy until 9:00. B hangs up at 8:36 while A still holds; at 9:00 A is
    answered and B is not, and the line is empty."""
    env = simpy.Environment()
    pool = StaffPool(env, "cs", [OFFICE], OFFICE)
    events: list = []
    waiting: list = []

    def ring_at(t: float, name: str, hold: float):
        yield env.timeout(t)
        pool.ring(
            0,
            0.0,
            hold,
            lambda person: events.append((round(env.now, 4), name, "answered")),
            lambda: events.append((round(env.now, 4), name, "hung up")),
        )

    def look_at(t: float):
        yield env.timeout(t)
        waiting.append(pool.waiting)

    env.process(_job(env, pool, "busy", 1.0, 1.0, []))
    env.process(ring_at(8.5, "A", 1.0))
    env.process(ring_at(8.5 + 1 / 60, "B", 5 / 60))
    env.process(look_at(8.55))
    env.process(look_at(8.7))
    env.run()
    assert events == [(8.6, "B", "hung up"), (9.0, "A", "answered")]
    assert waiting == [2, 1] and pool.waiting == 0
