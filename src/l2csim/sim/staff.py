"""Staff pools: a number of interchangeable people who work to one calendar, with a queue.

A job asks the pool for a person; it is served at once when someone is free, else it waits
in the pool's queue, ordered by (class, discipline key, arrival at the queue). Work only
progresses in working hours: a job taken at 16:30 with one hour of work ends at 8:30 the
next working day. With pre-emption on, a job that outranks someone's current job interrupts
it; the interrupted job goes back into the queue with the work it has left. External pools
(carrier, EDI gateway) never queue. This is the one place that touches SimPy's scheduling.
"""

from __future__ import annotations

from heapq import heappop, heappush

import simpy

from l2csim.sim.calendars import WorkCalendar


class StaffPool:
    """One pool of `size` people; `serve` is a generator for `yield from` in a process."""

    __slots__ = (
        "busy_hours",
        "calendar",
        "count_from",
        "env",
        "external",
        "free",
        "in_service",
        "name",
        "preemptive",
        "queue",
        "seq",
        "size",
    )

    def __init__(
        self,
        env: simpy.Environment,
        name: str,
        size: int,
        calendar: WorkCalendar,
        *,
        external: bool = False,
        preemptive: bool = False,
        count_from: float = 0.0,
    ) -> None:
        self.env = env
        self.name = name
        self.size = size
        self.calendar = calendar
        self.external = external
        self.preemptive = preemptive
        self.free = list(range(size - 1, -1, -1))  # pop() hands out person 0 first
        self.queue: list[list] = []  # heap of [class, key, seq, event, holder, alive]
        self.seq = 0
        self.in_service: dict[int, tuple[int, float, simpy.Process]] = {}
        self.busy_hours = 0.0  # working hours spent after count_from (the warm-up)
        self.count_from = count_from

    def serve(self, cls: int, key: float, work: float, holder=None):
        """Queue for a person, do `work` working hours, release. Returns (start, person).

        `holder` (an order) gets `.entry` while it waits, so `reprioritise` can move it.
        """
        env = self.env
        calendar = self.calendar
        if self.external:
            start = env.now
            end = calendar.finish(start, work)
            if end > start:
                yield env.timeout(end - start)
            if end > self.count_from:
                self.busy_hours += work
            return start, -1
        seq = self.seq
        self.seq = seq + 1
        while True:
            if self.free:
                person = self.free.pop()
            else:
                event = env.event()
                entry = [cls, key, seq, event, holder, True]
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
                continue
            del self.in_service[person]
            if end > self.count_from:
                self.busy_hours += work
            self._release(person)
            return start, person

    def _release(self, person: int) -> None:
        queue = self.queue
        while queue:
            entry = heappop(queue)
            if entry[5]:
                entry[3].succeed(person)
                return
        self.free.append(person)

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
        if entry is None or not entry[5]:
            return
        entry[5] = False
        new = [cls, key, entry[2], entry[3], holder, True]
        holder.entry = new
        heappush(self.queue, new)
        if self.preemptive and not self.free:
            self._preempt(cls, key)

    @property
    def waiting(self) -> int:
        return sum(1 for entry in self.queue if entry[5])
