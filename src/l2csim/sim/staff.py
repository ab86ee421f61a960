"""Staff pools: a team of people, each working their own shifts, who share one queue.

A job asks the pool for a person; it is served at once when someone is at work and free,
else it waits in the pool's queue, ordered by (class, discipline key, arrival at the queue).
People pull work only during their shifts: someone who comes free after hours (or is off
that day) takes the next job when their next shift starts, so a team whose members work
different shifts serves its queue as it really does. Work continues across shifts: a job
taken at 16:30 with one hour of work ends at 8:30 in the person's next shift. With
pre-emption on, a job that outranks someone's current job interrupts it; the interrupted job
goes back into the queue with the work it has left. External pools (carrier, EDI gateway)
never queue. This is the one place that touches SimPy's scheduling of staff.

The queue is a heap that stays cheap when thousands of orders wait: a job moved by
`reprioritise` leaves a dead entry behind (skipped when it comes up), and the heap is rebuilt
without them once they outnumber the live ones; `waiting` is a count, not a scan. Each entry
carries a unique ticket after its (class, key, arrival) so two entries never compare their
events; live entries differ in arrival, so the ticket never changes who is served first.

A caller who may hang up (`ring`) is not a process until someone answers: an entry with a
callback and one timer, in a first-in-first-out line of its own beside the heap (callers
share one class and key, so arrival decides, and with one hold for all they hang up oldest
first, leaving nothing dead behind). Far past capacity most calls are never answered, and
each of millions of attempts then costs a line entry and a timer, not a process, an event,
a condition and a heap entry that stays.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from heapq import heapify, heappop, heappush

import simpy

from l2csim.sim.calendars import ShiftCalendar, WorkCalendar

Calendar = WorkCalendar | ShiftCalendar
# A queue entry: [class, key, arrival seq, ticket, event, holder, alive].
EVENT, HOLDER, ALIVE = 4, 5, 6
COMPACT_AT = 256  # dead entries before the heap may be rebuilt without them


class _Answer:
    """The queue entry's event for a ringing caller: `succeed(person)` answers at once."""

    __slots__ = ("callbacks",)

    def __init__(self, answered: Callable[[int], object]) -> None:
        self.callbacks = answered

    def succeed(self, person: int) -> None:
        self.callbacks(person)


class StaffPool:
    """One pool; `serve` is a generator for `yield from` in a process."""

    __slots__ = (
        "asleep",
        "busy_hours",
        "calendar",
        "count_from",
        "dead",
        "env",
        "external",
        "free",
        "in_service",
        "name",
        "people",
        "preemptive",
        "queue",
        "ringing",
        "ringing_dead",
        "seq",
        "size",
    )

    def __init__(
        self,
        env: simpy.Environment,
        name: str,
        people: list[Calendar],
        calendar: WorkCalendar,
        *,
        external: bool = False,
        preemptive: bool = False,
        count_from: float = 0.0,
    ) -> None:
        self.env = env
        self.name = name
        self.people = people  # one working calendar per person
        self.size = len(people)
        self.calendar = calendar  # the team's overall window (when calls can come in)
        self.external = external
        self.preemptive = preemptive
        self.free = list(range(self.size))  # heap of idle people (lowest index first)
        self.asleep: set[int] = set()  # idle people off shift, with a wake-up pending
        self.queue: list[list] = []  # heap of entries (see EVENT, HOLDER, ALIVE)
        self.dead = 0  # entries in the heap that reprioritise replaced
        self.ringing: deque[list] = deque()  # callers on hold (`ring`), entries as the heap's
        self.ringing_dead = 0  # callers in `ringing` who hung up, not yet dropped from it
        self.seq = 0  # arrival order at the queue and entry tickets, from one counter
        self.in_service: dict[int, tuple[int, float, simpy.Process]] = {}
        self.busy_hours = 0.0  # working hours spent after count_from (the warm-up)
        self.count_from = count_from

    def available_hours(self, t0: float, t1: float) -> float:
        """Working hours the team's people are at work between t0 and t1."""
        return sum(person.worked(t0, t1) for person in self.people)

    def serve(self, cls: int, key: float, work: float, holder=None, answered_by: int | None = None):
        """Queue for a person, do `work` working hours, release. Returns (start, person).

        `holder` (an order) gets `.entry` while it waits, so `reprioritise` can move it.
        `answered_by`: the person `ring` found, who starts at once.
        """
        env = self.env
        if self.external:
            start = env.now
            # An outside party takes its time (fitted in its own working hours) within its
            # calendar, and never queues.
            end = self.calendar.finish(start, work)
            if end > start:
                yield env.timeout(end - start)
            if end > self.count_from:
                self.busy_hours += work
            return start, -1
        seq = self.seq
        self.seq = seq + 1
        person = answered_by
        while True:
            if person is None and self.free:
                person = self._take()
            if person is None:
                event = env.event()
                entry = [cls, key, seq, self.seq, event, holder, True]
                self.seq += 1
                heappush(self.queue, entry)
                if holder is not None:
                    holder.entry = entry
                    holder.waiting_in = self
                if self.preemptive:
                    self._preempt(cls, key)
                person = yield event
                if holder is not None:
                    holder.entry = None
            start = env.now
            calendar = self.people[person]
            end = calendar.finish(start, work)
            if not self.preemptive:
                yield env.timeout(end - start)
                if end > self.count_from:  # whole job counted when it ends after warm-up
                    self.busy_hours += work
                self._release(person)
                return start, person
            self.in_service[person] = (cls, key, env.active_process)
            try:
                yield env.timeout(end - start)
            except simpy.Interrupt:
                done = calendar.worked(start, env.now)
                work -= done
                if env.now > self.count_from:
                    self.busy_hours += done
                self._release(person)
                person = None
                continue
            del self.in_service[person]
            if end > self.count_from:
                self.busy_hours += work
            self._release(person)
            return start, person

    def ring(
        self,
        cls: int,
        key: float,
        hold: float,
        answered: Callable[[int], object],
        hung_up: Callable[[], object],
    ) -> None:
        """A caller who waits at most `hold` hours: `answered(person)` when someone is free
        now or takes the call in time (then `serve(..., answered_by=person)` does the call),
        else `hung_up()` when the hold runs out, at no one's cost. An outside party (an
        external pool) never queues: it answers at once, as `serve` would."""
        if self.external:
            answered(-1)
            return
        person = self._take() if self.free else None
        if person is not None:
            answered(person)
            return
        seq = self.seq
        self.seq = seq + 2
        entry = [cls, key, seq, seq + 1, _Answer(answered), None, True]
        self.ringing.append(entry)
        if self.preemptive:
            self._preempt(cls, key)
        timer = self.env.timeout(hold)
        timer.callbacks.append(lambda _event: self._hang_up(entry, hung_up))

    def _hang_up(self, entry: list, hung_up: Callable[[], object]) -> None:
        if entry[ALIVE]:  # nobody took it in time
            entry[ALIVE] = False
            self.ringing_dead += 1
            self._drop_hung_up()
            hung_up()

    def _drop_hung_up(self) -> None:
        ringing = self.ringing
        while ringing and not ringing[0][ALIVE]:
            ringing.popleft()
            self.ringing_dead -= 1

    def _take(self) -> int | None:
        """An idle person at work now (lowest index), or None; idle people found off shift
        go to sleep until their next shift, when they pull from the queue."""
        now = self.env.now
        free = self.free
        while free:
            person = heappop(free)
            if self.people[person].is_open(now):
                return person
            self._sleep(person)
        return None

    def _sleep(self, person: int) -> None:
        if person in self.asleep:
            return
        self.asleep.add(person)
        wake = self.people[person].next_open(self.env.now)
        timer = self.env.timeout(wake - self.env.now)
        timer.callbacks.append(lambda _event, person=person: self._wake(person))

    def _wake(self, person: int) -> None:
        self.asleep.discard(person)
        self._release(person)

    def _release(self, person: int) -> None:
        """The person is free: take the next waiting job if at work now, else sleep."""
        if not self.people[person].is_open(self.env.now):
            self._sleep(person)
            return
        queue = self.queue
        while queue and not queue[0][ALIVE]:
            heappop(queue)
            self.dead -= 1
        if self.ringing_dead:
            self._drop_hung_up()
        ringing = self.ringing
        if ringing and (not queue or ringing[0] < queue[0]):  # (class, key, arrival) decide
            entry = ringing.popleft()
        elif queue:
            entry = heappop(queue)
        else:
            heappush(self.free, person)
            return
        entry[ALIVE] = False  # served: a late reprioritise or hang-up must not touch it again
        entry[EVENT].succeed(person)

    def _preempt(self, cls: int, key: float) -> None:
        """Interrupt the lowest-ranked job in service if the newcomer outranks it."""
        worst, victim = (cls, key), None
        for person in sorted(self.in_service):
            c, k, process = self.in_service[person]
            if (c, k) > worst:
                worst, victim = (c, k), person
        if victim is not None:
            process = self.in_service.pop(victim)[2]
            process.interrupt("pre-empted")

    def reprioritise(self, holder, cls: int, key: float) -> None:
        """Move a waiting holder to a new place in the queue (a chase expedited its order)."""
        entry = holder.entry
        if entry is None or not entry[ALIVE]:
            return
        entry[ALIVE] = False
        new = [cls, key, entry[2], self.seq, entry[EVENT], holder, True]
        self.seq += 1
        holder.entry = new
        queue = self.queue
        heappush(queue, new)
        self.dead += 1
        if self.dead > COMPACT_AT and 2 * self.dead > len(queue):
            # Without its dead entries: the live ones keep their order (unique arrival).
            queue[:] = [e for e in queue if e[ALIVE]]
            heapify(queue)
            self.dead = 0
        if self.preemptive and not self.free:
            self._preempt(cls, key)

    @property
    def waiting(self) -> int:
        """Jobs waiting in the queue now."""
        return len(self.queue) - self.dead + len(self.ringing) - self.ringing_dead

    def close(self) -> None:
        """The run is over: let go of the jobs still waiting and in service.

        Each waiting job's process is reachable only through its event's callbacks; with
        them dropped (and the order's link to its entry), reference counting frees the
        processes, their orders and paths at once, instead of a garbage-collector pass over
        every one of thousands of waiting orders. The pool serves nothing afterwards.
        """
        for entry in self.queue:
            entry[EVENT].callbacks = None
            holder = entry[HOLDER]
            if holder is not None and holder.entry is entry:
                holder.entry = None
        for entry in self.ringing:
            entry[EVENT].callbacks = None
        self.queue.clear()
        self.ringing.clear()
        self.dead = self.ringing_dead = 0
        self.in_service.clear()
