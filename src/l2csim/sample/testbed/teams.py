"""Teams of named people sharing one queue, and the people who work it in their own hours.

A person takes the best task among the queues of every team they belong to, works it in
their personal calendar (a task not finished at closing, lunch or before an absence
continues when they are back) and then takes the next. An idle person at work is woken by
the next task put into one of their queues; one who is off comes back at their next opening.
"""

from __future__ import annotations

import heapq
from collections import deque
from collections.abc import Generator
from typing import Any

import simpy

from l2csim.sample.testbed.calendars import Calendar

QUEUED, RUNNING, DONE, ABANDONED = 0, 1, 2, 3  # abandoned: a caller hung up before an answer


class Task:
    """One piece of work for a team: an order step, a call, an escalation."""

    __slots__ = (
        "activity",
        "done",
        "end",
        "key",
        "member",
        "minutes",
        "order",
        "queued_at",
        "seq",
        "start",
        "state",
        "team",
        "version",
    )

    def __init__(
        self, env: simpy.Environment, order: Any, activity: str, minutes: float, seq: int
    ) -> None:
        self.order = order
        self.activity = activity
        self.minutes = minutes
        self.seq = seq
        self.version = 0
        self.state = QUEUED
        self.done = env.event()
        self.member: Member | None = None
        self.team: Team | None = None
        self.key: tuple[float, ...] = ()
        self.queued_at = env.now
        self.start = self.end = 0.0


class Team:
    """A shared queue (a heap ordered by the task keys) and the idle people to wake."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.heap: list[tuple[tuple[float, ...], int, int, Task]] = []
        self.idle: deque[Member] = deque()
        self.members: list[Member] = []
        self.busy_window = 0.0  # minutes worked on this team's tasks inside the KPI window

    def put(self, task: Task, key: tuple[float, ...]) -> None:
        task.team = self
        task.key = key
        heapq.heappush(self.heap, (key, task.seq, task.version, task))
        while self.idle:
            member = self.idle.popleft()
            member.listed.discard(self.name)
            if member.wake is not None:
                wake, member.wake = member.wake, None
                wake.succeed()
                break

    def rekey(self, task: Task, key: tuple[float, ...]) -> None:
        """Move a queued task to its new place (lazy: the old heap entry is skipped)."""
        if task.state != QUEUED or task.team is not self:
            return
        task.version += 1
        task.key = key
        heapq.heappush(self.heap, (key, task.seq, task.version, task))

    def head(self) -> tuple[tuple[float, ...], int, int, Task] | None:
        heap = self.heap
        while heap:
            entry = heap[0]
            task = entry[3]
            if task.state == QUEUED and task.version == entry[2]:
                return entry
            heapq.heappop(heap)
        return None

    def queued(self) -> int:
        return sum(1 for e in self.heap if e[3].state == QUEUED and e[3].version == e[2])


class Member:
    """A person working the queues of their teams within their calendar."""

    def __init__(
        self, env: simpy.Environment, name: str, calendar: Calendar, window: tuple[float, float]
    ) -> None:
        self.env = env
        self.name = name
        self.calendar = calendar
        self.teams: list[Team] = []
        self.wake: simpy.Event | None = None
        self.listed: set[str] = set()
        self.window = window
        self.busy_window = 0.0

    def _pick(self) -> Task | None:
        best = None
        for team in self.teams:
            entry = team.head()
            if entry is not None and (best is None or entry[:2] < best[:2]):
                best = entry
        if best is None:
            return None
        heapq.heappop(best[3].team.heap)
        return best[3]

    def run(self) -> Generator[simpy.Event, Any, None]:
        env, calendar = self.env, self.calendar
        w0, w1 = self.window
        while True:
            now = env.now
            opening = calendar.next_open(now)
            if opening == float("inf"):
                return
            if opening > now:
                yield env.timeout(opening - now)
                continue
            task = self._pick()
            if task is None:
                self.wake = env.event()
                for team in self.teams:
                    if team.name not in self.listed:
                        team.idle.append(self)
                        self.listed.add(team.name)
                closing = calendar.close_after(now)
                yield self.wake | env.timeout(closing - now)
                self.wake = None
                continue
            task.state = RUNNING
            task.member = self
            task.start = now
            end = calendar.finish(now, task.minutes)
            if end == float("inf"):
                return
            yield env.timeout(end - now)
            task.end = end
            if end > w0 and now < w1:
                worked = calendar.worked(max(now, w0), min(end, w1))
                self.busy_window += worked
                task.team.busy_window += worked
            task.state = DONE
            task.done.succeed()
