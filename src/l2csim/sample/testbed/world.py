"""The test-bed world: one operation as a SimPy model of named people, customers and waits.

Orders from the customer base enter by EDI, e-mail or phone, are keyed, checked, corrected,
confirmed, picked, shipped, delivered by a carrier, invoiced and paid, each step by a person
of the step's team (sharing one queue per team) or, for waits nobody works on, by a
carrier, a system or a batch job. Customers chase late orders, chases take
customer-service time and escalate to the team holding the order, courtesy calls calm
customers, and customers leave after bad experiences (`calls.py`). Everything the truth
needs is kept on the orders, customers and teams; nothing here writes files.

The world is written independently of l2csim's own simulation (it is the "real world"
l2csim must recover): it imports nothing from `l2csim.sim` or `l2csim.fit`.
"""

from __future__ import annotations

import math
from collections.abc import Generator
from typing import Any

import numpy as np
import simpy

from l2csim.sample.testbed.calendars import (
    Calendar,
    Clock,
    Pattern,
    WorkingDays,
    hhmm,
    public_holidays,
)
from l2csim.sample.testbed.calls import Calls
from l2csim.sample.testbed.customers import (
    VALUE_SIGMA,
    Base,
    Customer,
    Planned,
    build_base,
    kept,
)
from l2csim.sample.testbed.disciplines import CALL_CLASS, WORK_CLASS, order_key
from l2csim.sample.testbed.people import Person, build_person
from l2csim.sample.testbed.policies import BASELINE, WorldPolicy
from l2csim.sample.testbed.spec import (
    CHANNELS,
    EDI,
    EMAIL,
    LineSpec,
    OperationSpec,
    PersonSpec,
    StepSpec,
)
from l2csim.sample.testbed.streams import substream, world_entropy
from l2csim.sample.testbed.teams import ABANDONED, QUEUED, Member, Task, Team

OFFICE_HOURS = Pattern.weekdays((("08:00", "17:00"),))  # the clock of `office` waits
CALENDAR_MARGIN_DAYS = 120  # calendars reach this far past the extraction date
HOLD_MINUTES = 8.0  # a caller waits 4-12 minutes for an answer, then hangs up
REDIAL_MINUTES = 120.0  # and dials again 1-3 hours later


class CustomerState:
    """What one customer has lived through in this run."""

    __slots__ = (
        "chases",
        "churned_at",
        "courtesy",
        "customer",
        "last_order_at",
        "late",
        "orders",
        "reason",
    )

    def __init__(self, customer: Customer) -> None:
        self.customer = customer
        self.orders = self.late = self.chases = self.courtesy = 0
        self.churned_at: float | None = None
        self.reason: dict[str, Any] | None = None
        self.last_order_at: float | None = None


class Order:
    """An order in the world, with its pre-drawn contents and what happened to it."""

    __slots__ = (
        "arrival",
        "calm_until",
        "channel",
        "chase_attempts",
        "chase_u",
        "chase_z",
        "chases",
        "churn_u",
        "courtesy",
        "courtesy_u",
        "courtesy_z",
        "cust_name",
        "cust_no",
        "customer",
        "deadline",
        "delivered_at",
        "expedite_event",
        "expedited",
        "finished_at",
        "inbox_wait",
        "index",
        "key",
        "line",
        "line_index",
        "more_u",
        "more_z",
        "patience_u",
        "patience_z",
        "plan",
        "planned",
        "promised_day",
        "rank",
        "received_at",
        "ref",
        "state",
        "task",
        "tier_spec",
        "under_alias",
        "value",
    )

    def __init__(self) -> None:
        self.expedited = False
        self.expedite_event: simpy.Event | None = None
        self.delivered_at: float | None = None
        self.finished_at: float | None = None
        self.chases = self.courtesy = self.chase_attempts = 0
        self.calm_until = 0.0
        self.task: Task | None = None
        self.more_u = self.more_z = None
        self.inbox_wait: float | None = None
        self.received_at: float | None = None
        self.promised_day: int | None = None


class World:
    """One run of an operation under a policy (`run()` then read its records)."""

    def __init__(
        self, spec: OperationSpec, seed: int, days: int, policy: WorldPolicy = BASELINE
    ) -> None:
        self.spec, self.seed, self.days, self.policy = spec, seed, days, policy
        self.entropy = world_entropy(seed, spec.name)
        self.end = float(days + spec.extract_after_days) * 1440.0
        self.window = (0.0, float(days) * 1440.0)
        span = days + spec.extract_after_days + CALENDAR_MARGIN_DAYS
        self.span = span  # days the calendars run
        self.clock = Clock(spec.start, spec.timezone, span)
        self.holidays = public_holidays(spec.country, spec.start.year, self.clock.date(span).year)
        self.office = WorkingDays(self.clock, span, self.holidays)
        self.office_hours = Calendar.build(self.clock, OFFICE_HOURS, span, self.holidays)
        self.phone = Calendar.build(self.clock, spec.calls.phone_hours, span, self.holidays)
        self.base: Base = build_base(spec, self.entropy, days, self.clock, self.office, self.phone)
        self.env = simpy.Environment()
        self.people = self._people(span)
        self.teams: dict[str, Team] = {t.name: Team(t.name) for t in spec.teams}
        self.members: dict[str, Member] = {}
        for person in self.people:
            member = Member(self.env, person.name, person.calendar, self.window)
            member.teams = [self.teams[t] for t in person.teams]
            for team in member.teams:
                team.members.append(member)
            self.members[person.name] = member
        self.logins = {t.name: (t.shared_login, t.shared_login_share) for t in spec.teams}
        self.log_rng = substream(self.entropy, "logging", 0)
        self.milestones = list(
            dict.fromkeys(s.activity for line in spec.lines for s in line.steps if s.milestone)
        )
        self.rank = {name: i for i, name in enumerate(spec.tier_names)}
        self.states = [CustomerState(c) for c in self.base.customers]
        self.planned = [p for p in self.base.planned if kept(p, policy.demand_factor)]
        self.orders: list[Order] = []
        # (order index, activity, resource, start, end, work minutes or wait minutes)
        self.records: list[tuple[int, str, str, float, float, float]] = []
        self.calls = Calls(self)
        self.seq = 0
        self.abandoned_calls = 0

    def _people(self, span: int) -> list[Person]:
        """Everyone on the teams (a person on two teams once) plus the policy's new hires."""
        specs: dict[str, PersonSpec] = {}
        teams_of: dict[str, list[str]] = {}
        for team in self.spec.teams:
            for person in team.members:
                specs.setdefault(person.name, person)
                teams_of.setdefault(person.name, []).append(team.name)
            for i in range(self.policy.extra_staff(team.name)):
                name = (
                    team.hire_names[i]
                    if i < len(team.hire_names)
                    else f"New hire {i + 1} ({team.name})"
                )
                template = team.members[0]
                specs[name] = PersonSpec(
                    name,
                    team.hire_pattern or template.pattern,
                    template.vacation_days,
                    template.sick_rate,
                )
                teams_of[name] = [team.name]
        return [
            build_person(
                specs[name], tuple(teams_of[name]), self.clock, span, self.holidays, self.entropy
            )
            for name in specs
        ]

    # --- running -------------------------------------------------------------------------

    def run(self) -> World:
        self.env.process(self._arrivals())
        for member in self.members.values():
            self.env.process(member.run())
        self.env.run(until=self.end)
        return self

    def _arrivals(self) -> Generator[Any, Any, None]:
        env = self.env
        for planned in self.planned:
            if planned.time > env.now:
                yield env.timeout(planned.time - env.now)
            state = self.states[planned.customer]
            if state.churned_at is None:
                self._place(planned, state)

    # --- orders --------------------------------------------------------------------------

    def _place(self, planned: Planned, state: CustomerState) -> None:
        spec = self.spec
        customer = state.customer
        tier = spec.tier(customer.tier)
        line = spec.lines[planned.line]
        order = Order()
        order.index = len(self.orders)
        order.planned = planned
        order.ref = planned.ref
        order.key = (customer.group, customer.index, planned.k, int(planned.extra))
        order.customer = customer
        order.state = state
        order.tier_spec = tier
        order.rank = self.rank[tier.name]
        order.line = line
        order.line_index = planned.line
        order.channel = CHANNELS[planned.channel]
        order.arrival = planned.time
        rng = substream(self.entropy, "order", *order.key)
        u = rng.random(8 + 64 + 60 + 8)
        z = rng.standard_normal(4 + 32 + 36 + 4)
        head_u, head_z = u[:8], z[:4]
        steps_u, steps_z = u[8:72].reshape(16, 4), z[4:36].reshape(16, 2)
        order.chase_u, order.chase_z = u[72:132].reshape(12, 5), z[36:72].reshape(12, 3)
        order.courtesy_u, order.courtesy_z = u[132:140], z[72:76]
        order.patience_z, order.patience_u = float(head_z[3]), float(head_u[1])
        order.churn_u = float(head_u[2])
        order.value = round(
            customer.value_level * line.value_median * math.exp(VALUE_SIGMA * head_z[0]), 2
        )
        order.under_alias = planned.alias and customer.alias_no is not None
        if order.under_alias:
            order.cust_no, order.cust_name = customer.alias_no, customer.alias_name
        else:
            order.cust_no, order.cust_name = customer.cust_no, customer.name
        if spec.promise == "date":
            day = self.clock.day_of(order.arrival)
            order.promised_day = self.office.add(
                day, tier.sla_working_days + line.lead_working_days
            )
            order.deadline = self.clock.end_of_day(order.promised_day)
        else:
            order.deadline = order.arrival + float(tier.sla_hours or 0.0) * 60.0
        order.plan = self._plan(order, line, steps_u, steps_z)
        self.orders.append(order)
        state.orders += 1
        state.last_order_at = order.arrival
        self.env.process(self._flow(order, head_u, head_z))
        self.calls.start(order)

    def _plan(
        self, order: Order, line: LineSpec, steps_u: np.ndarray, steps_z: np.ndarray
    ) -> list[tuple]:
        """The order's steps with their work minutes / wait amounts, drawn up front."""
        plan = []
        channel = CHANNELS.index(order.channel)
        for j, step in enumerate(line.steps):
            su, sz = steps_u[j], steps_z[j]
            p = step.by_channel[channel] if step.by_channel else step.probability
            if order.under_alias:
                p += step.rekeyed_extra
            if order.value < step.min_value or su[0] >= p:
                continue
            rounds = 1
            if step.repeat > 0 and su[1] < step.repeat:
                rounds += min(3, int(math.log(su[1]) / math.log(step.repeat)))
            if step.kind == "work":
                amounts = [
                    step.work.draw(
                        float(sz[0]) if r == 0 else float(sz[1]) * (-1) ** r, float(su[2])
                    )
                    for r in range(rounds)
                ]
            else:
                amounts = [step.wait.draw(float(sz[0]), float(su[1]))]
            resource = step.resources[int(su[2] * len(step.resources))] if step.resources else ""
            plan.append((step, amounts, resource, float(su[3]), float(sz[1])))
        return plan

    def _flow(
        self, order: Order, head_u: np.ndarray, head_z: np.ndarray
    ) -> Generator[Any, Any, None]:
        yield from self._intake(order, head_u, head_z)
        for step, amounts, resource, frac, z_rush in order.plan:
            if step.kind == "work":
                for minutes in amounts:
                    yield from self.work(
                        order, step.team, step.activity, minutes, WORK_CLASS, flow=True
                    )
            else:
                yield from self._wait(order, step, amounts[0], resource, frac, z_rush)
            if step.delivers:
                order.delivered_at = self.env.now
                order.state.late += int(order.delivered_at > order.deadline)
                self.calls.delivered(order)
            if step.milestone:
                self.calls.milestone(order, step.activity, self.milestones.index(step.activity))
        order.finished_at = self.env.now

    def _intake(
        self, order: Order, head_u: np.ndarray, head_z: np.ndarray
    ) -> Generator[Any, Any, None]:
        intake = self.spec.intake
        env = self.env
        if order.channel == EDI:
            order.received_at = env.now
            self.record(order, intake.received_activity, intake.edi_resource, env.now, env.now)
            return
        if order.channel == EMAIL:
            if intake.mode == "arrival":
                order.received_at = env.now
                self.record(
                    order, intake.received_activity, intake.mailbox_resource, env.now, env.now
                )
            delay = intake.inbox_delay.draw(float(head_z[2]), float(head_u[0]))
            visible = self.office_hours.finish(env.now, delay * 60.0)
            if visible > env.now:
                yield env.timeout(visible - env.now)
            minutes = intake.key_work.draw(float(head_z[1]), float(head_u[3]))
            activity = intake.key_activity if intake.mode == "arrival" else intake.received_activity
            task = yield from self.work(
                order, intake.keyer, activity, minutes, WORK_CLASS, flow=True
            )
            order.inbox_wait = task.start - order.arrival
            if intake.mode == "keyed":
                order.received_at = task.end
            return
        minutes = intake.phone_work.draw(float(head_z[1]), float(head_u[3]))
        task = yield from self.call(
            order, intake.phone, intake.received_activity, minutes, float(head_u[4]), flow=True
        )
        order.received_at = task.end

    def _wait(
        self, order: Order, step: StepSpec, amount: float, resource: str, frac: float, z_rush: float
    ) -> Generator[Any, Any, None]:
        env = self.env
        start = env.now
        if step.clock == "hours":
            target = start + amount * 60.0
        elif step.clock == "office":
            target = self.office_hours.finish(start, amount * 60.0)
        else:
            day = self.office.add(self.clock.day_of(start), max(1, int(amount)))
            target = max(start, self.clock.at(day, (8.0 + 10.0 * frac) * 60.0))
        if step.batch:
            target = self._next_batch(target, step.batch)
        if step.expeditable and self.policy.expedites:
            rush = (step.rush.draw(z_rush, frac) if step.rush else 4.0) * 60.0
            if order.expedited:
                target = min(target, start + rush)
            else:
                order.expedite_event = env.event()
                timeout = env.timeout(target - start)
                yield timeout | order.expedite_event
                order.expedite_event = None
                if env.now < target:
                    target = min(target, env.now + rush)
        if target > env.now:
            yield env.timeout(target - env.now)
        if step.logged:
            self.record(order, step.activity, resource, start, env.now)

    def _next_batch(self, t: float, times: tuple[str, ...]) -> float:
        """The first run of a batch job (local times on working days) at or after `t`."""
        day = self.clock.day_of(t)
        for d in range(day, day + 30):
            if not self.office.is_working(d):
                continue
            for text in times:
                moment = self.clock.at(d, hhmm(text))
                if moment >= t:
                    return moment
        return t

    # --- work and records ----------------------------------------------------------------

    def work(
        self,
        order: Order,
        team_name: str,
        activity: str,
        minutes: float,
        cls: float,
        flow: bool = False,
        hold: float | None = None,
    ) -> Generator[Any, Any, Task]:
        """Queue `minutes` of work for a team, wait until someone has done it, log it.

        `flow`: the order's own step (an expedite moves it; escalations go to its team).
        `hold`: an inbound call; the caller hangs up when nobody answers within `hold`
        minutes (the task comes back ABANDONED, nothing is logged)."""
        team = self.teams[team_name]
        self.seq += 1
        task = Task(self.env, order, activity, minutes, self.seq)
        if cls == WORK_CLASS:
            key = (WORK_CLASS, *order_key(self.policy.discipline, self.policy.expedites, order))
        else:
            key = (CALL_CLASS, 0.0, 0.0)
        team.put(task, key)
        if flow:
            order.task = task
        if hold is not None:
            self.env.process(self._hang_up(task, hold))
        yield task.done
        if flow:
            order.task = None
        if task.state == ABANDONED:
            self.abandoned_calls += 1
            return task
        self.record(
            order,
            activity,
            self._login(team_name, task.member.name),
            task.start,
            task.end,
            task.minutes,
        )
        return task

    def _hang_up(self, task: Task, hold: float) -> Generator[Any, Any, None]:
        yield self.env.timeout(hold)
        if task.state == QUEUED:
            task.state = ABANDONED
            task.done.succeed()

    def call(
        self,
        order: Order,
        team: str,
        activity: str,
        minutes: float,
        u: float,
        flow: bool = False,
        redials: int | None = None,
    ) -> Generator[Any, Any, Task]:
        """An inbound call in phone hours; a caller nobody answers dials again later, at
        most `redials` times (None: until answered). Returns the last attempt's task."""
        attempts = 0
        while True:
            opening = self.phone.next_open(self.env.now)
            if opening > self.env.now:
                yield self.env.timeout(opening - self.env.now)
            hold = HOLD_MINUTES * (0.5 + u)
            task = yield from self.work(order, team, activity, minutes, CALL_CLASS, flow, hold)
            if task.state != ABANDONED or (redials is not None and attempts >= redials):
                return task
            attempts += 1
            yield self.env.timeout(REDIAL_MINUTES * (0.5 + u))

    def expedite(self, order: Order) -> None:
        """A chase got the order expedited: it jumps its queue, a wait for stock is rushed."""
        order.expedited = True
        task = order.task
        if task is not None and task.state == QUEUED:
            key = (WORK_CLASS, *order_key(self.policy.discipline, True, order))
            task.team.rekey(task, key)
        if order.expedite_event is not None and not order.expedite_event.triggered:
            order.expedite_event.succeed()

    def _login(self, team: str, name: str) -> str:
        login, share = self.logins[team]
        if login and self.log_rng.random() < share:
            return login
        return name

    def record(
        self,
        order: Order,
        activity: str,
        resource: str,
        start: float,
        end: float,
        work: float | None = None,
    ) -> None:
        """Log an event; `work` is the work minutes (None: a wait or instant, end - start)."""
        self.records.append(
            (order.index, activity, resource, start, end, end - start if work is None else work)
        )
