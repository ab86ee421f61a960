"""The wiring: one replication of the lead-to-cash model from ModelParams, a Policy and streams.

Time is in hours from a Monday 00:00 local time. Orders arrive per tier x segment, draw
their whole path (activities, work, staff-free delays) on arrival, and work through it in
the staff pools, queued by the policy's discipline. Reaching a milestone may trigger a
courtesy call; an undelivered order past the customer's patience triggers chase calls;
delivery closes the order for the KPIs and lets the customer decide whether to stay.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from datetime import date, datetime

import numpy as np
import simpy

from l2csim.errors import InputError
from l2csim.params import ModelParams
from l2csim.policy import Policy
from l2csim.sim.calendars import (
    ShiftCalendar,
    WorkCalendar,
    closed_offsets,
    months_of_days,
    origin,
    person_leave,
    presence,
)
from l2csim.sim.calls import Calls
from l2csim.sim.customers import Customer, WeeklyIntensity, build_customers
from l2csim.sim.disciplines import CALL_CLASS, WORK_CLASS, discipline, queue_key
from l2csim.sim.dists import cumulative_shares, lognormal_value, sampler
from l2csim.sim.kpis import Tracker
from l2csim.sim.orders import Order, delivered_step
from l2csim.sim.retention import annual_revenue_per_customer, check_retention, churn_probability
from l2csim.sim.routing import RouteTable, bypass, scale_into
from l2csim.sim.staff import StaffPool
from l2csim.sim.staffing import dedicated_name, teams
from l2csim.sim.state import START_STREAM, StartState, resume
from l2csim.sim.streams import Buffered, substreams, uniforms

SYSTEM_STEP = -1.0  # work of a step a system does for this order: no staff, no queue
ORDER_VALUE_SIGMA = 0.8  # spread of order values around the tier's mean (an assumption)
PROMISE_REACH_DAYS = 400  # closed days known this far past the horizon (the longest promise)
EVENT_COLUMNS = (
    "case",
    "activity",
    "start",
    "end",
    "pool",
    "person",
    "customer",
    "tier",
    "segment",
    "value",
)


class Simulation:
    """One replication: build with params, policy and the replication's streams, then run()."""

    def __init__(
        self,
        params: ModelParams,
        policy: Policy,
        streams: dict[str, np.random.Generator],
        horizon: float,
        warmup: float = 0.0,
        event_log: bool = False,
        intake: tuple[float, float] | None = None,
        start: StartState | None = None,
        tracker: type[Tracker] = Tracker,
        first_day: date | None = None,
        closures: bool = False,
        planned_leave: bool = False,
    ) -> None:
        """`closures`: the company closes on the model's closed days (`ModelParams.closures`).
        Forecasts close; the as-is and what-if runs do not yet: closing on the test bed's
        holidays tipped its near-capacity models into chase-call spirals their logs never
        show (the model is otherwise a little short of capacity), and the predicted
        effects got worse (see the README's Fidelity). `planned_leave`: people are away on
        the days of the study's leave plan (`ModelParams.leave`) and otherwise at their
        attendance besides it; forecasts do, the as-is and what-if runs keep attendance by
        month for the same reason (with the plan's exact weeks two of the test bed's eight
        models called two to four times their logs' chase calls, and the predicted effects
        got worse)."""
        check_retention(params.retention, [t.name for t in params.tiers])
        self.params = params
        # Orders arrive from intake[0] to intake[1] (hours); replaying a log's own period,
        # they come when the log's orders came, not in the days before or after it.
        self.intake_window = intake or (0.0, horizon)
        self.policy = policy
        self.horizon = horizon
        self.warmup = warmup
        # The local date of simulated day 0 (seasonal attendance): the log period's first
        # Monday, unless the run starts elsewhere (a forecast).
        self.first_day = first_day or origin(params).date()
        # The simulated days the company is closed: nobody works, nobody answers the phone.
        self.closed = (
            closed_offsets(params.closures, self.first_day, int(horizon // 24.0) + 2)
            if closures
            else frozenset()
        )
        self.planned_leave = planned_leave
        self.env = simpy.Environment()
        self.log: list[tuple] | None = [] if event_log else None

        # Tiers and their promises.
        self.tier_names = [t.name for t in params.tiers]
        tier_index = {name: i for i, name in enumerate(self.tier_names)}
        self.tier_rank = [t.rank for t in params.tiers]
        self.promised = []
        for tier in params.tiers:
            sla = policy.sla.get(tier.name)
            hours = sla.promised_hours if sla and sla.promised_hours else tier.promised_hours
            self.promised.append(hours)
        self.working_day = [d in params.working_weekdays for d in range(7)]
        # "n working days" skips the company's closed days (public holidays) as its promised
        # dates do, whether or not this run closes on them (`closures`): the promise is the
        # company's calendar. Reaching past the horizon, as promises do.
        self.promise_closed = closed_offsets(
            params.closures,
            self.first_day,
            int(horizon // 24.0) + PROMISE_REACH_DAYS,
            promises=True,
        )
        self.promise_cutoff = params.promise_cutoff_hour
        self.promise_off_day = params.promise_off_day

        # Segments: the routing's, in the order the arrivals name them.
        routing = {r.segment: r for r in params.routing}
        self.segment_names = sorted({a.segment for a in params.arrivals} | set(routing))
        segment_index = {name: i for i, name in enumerate(self.segment_names)}
        # Promises in working days per tier and segment (None: promised hours after arrival);
        # a policy that sets a tier's promised hours overrides them.
        self.promise_days = [
            [
                None
                if (policy.sla.get(tier.name) and policy.sla[tier.name].promised_hours)
                else tier.promise_working_days.get(segment)
                for segment in self.segment_names
            ]
            for tier in params.tiers
        ]
        # Where a tier's customers are promised different counts: (counts, cumulative
        # shares) per tier and segment, drawn per order.
        self.promise_mix = [
            [
                _counts_and_shares(tier.promise_mix[segment])
                if days is not None and segment in tier.promise_mix
                else None
                for segment, days in zip(self.segment_names, row, strict=True)
            ]
            for tier, row in zip(params.tiers, self.promise_days, strict=True)
        ]
        self.promise_u = uniforms(streams["promise"])

        # Activities and the behaviour-driven ones taken out of the routing.
        roles = params.roles
        self.act_names = [a.name for a in params.activities]
        act_index = {name: i for i, name in enumerate(self.act_names)}
        expedite = params.chase.expedite_activity
        self.expedite_index = act_index.get(expedite) if expedite else None
        generated = set(roles.chase_call) | set(roles.courtesy_call)
        if expedite:
            generated.add(expedite)
        self.rework = {act_index[a] for a in roles.rework if a in act_index}
        self.milestones = {act_index[a] for a in roles.milestones if a in act_index}
        delivered = {act_index[a] for a in roles.delivered if a in act_index}
        self.delivered = delivered
        self.routes: list[RouteTable] = []
        for name in self.segment_names:
            if name not in routing:
                raise InputError(f"model: arrivals name segment {name!r} that has no routing.")
            chain = bypass(routing[name].transitions, generated)
            chain = scale_into(chain, roles.rework, policy.data_quality.rework_multiplier)
            self.routes.append(RouteTable(chain, act_index))

        # Optional: orders already under way at the first moment and who is at work then (a
        # forecast from today), drawn from their own stream (sim/state.py).
        self.start = start
        self.start_rng = streams[START_STREAM] if start is not None else None
        # Staff pools after the policy's staffing changes, each person on their own shifts.
        self.pools = self._build_pools(params, policy, streams["staff"])
        by_name = {p.name: p for p in self.pools}
        dedicated = policy.staffing.dedicated_account_managers
        self.pool_table: list[list[list[StaffPool]]] = []
        for activity in params.activities:
            per_segment = []
            for segment in self.segment_names:
                pool = by_name[activity.pool_by_segment.get(segment, activity.pool)]
                per_tier = []
                for tier in self.tier_names:
                    if dedicated and pool.name == dedicated.pool and tier in dedicated.tiers:
                        per_tier.append(by_name[dedicated_name(dedicated)])
                    else:
                        per_tier.append(pool)
                per_segment.append(per_tier)
            self.pool_table.append(per_segment)
        chase_pool, courtesy_pool = by_name[params.chase.pool], by_name[params.courtesy.pool]
        # Per segment: the order's step -> the team an escalation goes to (see `escalate`).
        self.escalation_table: list[dict[int, StaffPool]] = [
            {
                act_index[step]: by_name[pool]
                for step, pool in params.chase.escalation_pools.get(segment, {}).items()
            }
            for segment in self.segment_names
        ]
        self.courtesy_pool = courtesy_pool
        # The team that takes each segment's calls (each product line's team calls its own).
        chase_pools = [
            by_name[params.chase.pool_by_segment.get(s, params.chase.pool)]
            for s in self.segment_names
        ]
        courtesy_pools = [
            by_name[params.courtesy.pool_by_segment.get(s, params.courtesy.pool)]
            for s in self.segment_names
        ]

        # Random streams (each element its own; see streams.py).
        self.work = [
            sampler(a.duration, rng)
            for a, rng in zip(
                params.activities,
                substreams(streams["durations"], len(params.activities)),
                strict=True,
            )
        ]
        self.delays: list[Buffered | None] = [
            sampler(a.delay, rng) if a.delay is not None else None
            for a, rng in zip(
                params.activities,
                substreams(streams["delays"], len(params.activities)),
                strict=True,
            )
        ]
        self.system_share = [a.system_share for a in params.activities]
        delay_u, system_u = substreams(streams["delays"], 2)
        self.delay_u, self.system_u = uniforms(delay_u), uniforms(system_u)
        # Per activity and segment: (delay sampler or None, probability).
        listed = [
            (i, s) for i, a in enumerate(params.activities) for s in sorted(a.delay_by_segment)
        ]
        own = dict(zip(listed, substreams(streams["delays"], len(listed)), strict=True))
        self.segment_delay: list[list[tuple[Buffered | None, float]]] = []
        for i, a in enumerate(params.activities):
            row = []
            for name in self.segment_names:
                if name in a.delay_by_segment:
                    spec = a.delay_by_segment[name]
                    row.append((sampler(spec.delay, own[(i, name)]), spec.probability))
                else:
                    row.append((self.delays[i], a.delay_probability))
            self.segment_delay.append(row)
        self.route_u = uniforms(streams["routing"])
        pick_rng, value_rng = substreams(streams["customers"], 2)
        self.pick_u = uniforms(pick_rng)
        self.value_z = Buffered(value_rng.standard_normal)
        self.churn_u = uniforms(streams["churn"])
        self.experience_effects = policy.retention.experience_effects
        self.tier_only_lost: dict[int, float] = {}  # customer -> when it left, tier-only count
        self.review_u = uniforms(streams["review"])
        rule = discipline(policy.discipline)
        self.expedite_on_chase = (
            rule.expedites_by_default
            if policy.expedite_on_chase is None
            else policy.expedite_on_chase
        )
        self.key = queue_key(rule, self.expedite_on_chase)
        self.mean_work = [a.duration.mean for a in params.activities]
        rushed = params.chase.rushed_wait
        self.rushed_steps = {act_index[a] for a in params.chase.rushed_steps if a in act_index}
        self.rushed = (
            sampler(rushed, substreams(streams["chase"], 1)[0]) if rushed is not None else None
        )

        # Orders that wait in the keying team's inbox before the first step (fit.intake).
        self.inbox = None
        inbox = params.inbox
        if inbox is not None and inbox.activity in act_index:
            first = act_index[inbox.activity]
            share_u, delay_rng = substreams(streams["inbox"], 2)
            self.inbox = (
                first,
                [inbox.share_by_tier.get(t, 0.0) for t in self.tier_names],
                uniforms(share_u),
                sampler(inbox.visible_after, delay_rng) if inbox.visible_after else None,
                [per_tier[0].calendar for per_tier in self.pool_table[first]],  # per segment
            )

        # Customers and the order intake.
        per_week = [0.0] * len(self.tier_names)
        for a in params.arrivals:
            per_week[tier_index[a.tier]] += a.orders_per_week
        counts = [max(t.customers, 1) for t in params.tiers]
        revenue = [
            annual_revenue_per_customer(per_week[i], counts[i], t.mean_order_value)
            for i, t in enumerate(params.tiers)
        ]
        self.tier_per_week = per_week
        self.tier_counts = counts
        self.mean_value = [t.mean_order_value for t in params.tiers]
        self.customers = build_customers(counts, revenue, params.retention.window_orders)
        self.lost: list[list] = [[] for _ in counts]
        self.next_customer = sum(counts)
        demand = policy.demand
        arrivals = sorted(params.arrivals, key=lambda a: (a.tier, a.segment))
        self.intake = []
        for a, rng in zip(arrivals, substreams(streams["arrivals"], len(arrivals)), strict=True):
            rate = a.orders_per_week * demand.factor * demand.tiers.get(a.tier, 1.0)
            rate *= demand.segments.get(a.segment, 1.0)
            change = a.trend_per_week if intake is not None else 0.0  # replays follow trends
            peak = _trend_peak(change, self.intake_window)
            intensity = WeeklyIntensity(rate * peak, params.arrival_pattern)
            gaps_rng, thin_rng = substreams(rng, 2) if change else (rng, None)
            self.intake.append(
                (
                    tier_index[a.tier],
                    segment_index[a.segment],
                    intensity,
                    Buffered(lambda size, rng=gaps_rng: rng.exponential(1.0, size)),
                    (change, peak, uniforms(thin_rng)) if thin_rng is not None else None,
                )
            )
        self.kpis = tracker(
            self.tier_names, self.segment_names, [p.name for p in self.pools], warmup, horizon
        )
        self.orders_created = 0
        self.calls = Calls(
            params, policy, streams, self.tier_names, self.env, horizon,
            lambda order: chase_pools[order.segment],
            lambda order: courtesy_pools[order.segment],
            chase_pool.calendar, self.kpis, self.record, self.key, self.expedite,
            self.expedite_on_chase, self.escalate, self.closed,
        )  # fmt: skip

    # --- building ------------------------------------------------------------------------

    def _staff_state(self, team: str, person: str) -> tuple[int, int] | None:
        """(day, working days away) of a person the start state knows, else None."""
        if self.start is None or not self.start.staff:
            return None
        away = self.start.staff.get(team, {}).get(person)
        return None if away is None else (int(self.start.at // 24.0), away)

    def _build_pools(self, params: ModelParams, policy: Policy, rng) -> list[StaffPool]:
        """The teams under the policy; each person's absences drawn from their own stream."""
        fitted = [p.name for p in params.pools]
        pool_rngs = dict(zip(fitted, substreams(rng, len(fitted)), strict=True))
        days = int(self.horizon // 24.0) + 2
        months = months_of_days(self.first_day, days)
        pools = []
        for team in teams(params.pools, policy.staffing):
            window = WorkCalendar(team.calendar)
            if team.external:
                people = []
            else:
                person_rngs = pool_rngs[team.source].spawn(max(team.person_index, default=0) + 1)
                people = [
                    ShiftCalendar(
                        WorkCalendar(m),
                        m.weekdays,
                        m.intervals,
                        presence(
                            m.weekdays,
                            m.attendance,
                            m.absence_spells,
                            days,
                            person_rngs[i],
                            m.monthly_attendance,
                            months,
                            self._staff_state(team.name, m.name),
                            self.closed,
                            person_leave(m, params.leave, self.first_day, days)
                            if self.planned_leave
                            else None,
                        ),
                        self.horizon,
                    )
                    for m, i in zip(team.members, team.person_index, strict=True)
                ]
            pools.append(
                StaffPool(
                    self.env,
                    team.name,
                    people,
                    window,
                    external=team.external,
                    preemptive=policy.preemption,
                    count_from=self.warmup,
                )
            )
        return pools

    # --- running -------------------------------------------------------------------------

    def run(self) -> Tracker:
        """Run to the horizon; return the KPI tracker."""
        env = self.env
        if self.start is not None:
            resume(self, self.start, self.start_rng)
        for stream in self.intake:
            env.process(self._arrivals(*stream))
        env.process(self._days())
        review = self.policy.proactive_review
        if review.enabled:
            env.process(self._review())
        env.run(until=self.horizon)
        days = int(self.horizon // 24)
        if days * 24.0 == self.horizon and days > math.ceil(self.warmup / 24.0):
            self.kpis.day_end(days - 1)  # the last day ends at the horizon itself
        self.kpis.close(self.horizon)
        return self.kpis

    def _days(self):
        """The backlog at the end of each day after the warm-up (day 0 ends at hour 24)."""
        first = math.ceil(self.warmup / 24.0)
        for day in range(1, math.ceil(self.horizon / 24.0)):
            yield self.env.timeout(day * 24.0 - self.env.now)
            if day > first:
                self.kpis.day_end(day - 1)

    def _arrivals(
        self, tier: int, segment: int, intensity: WeeklyIntensity, gaps: Buffered, trend=None
    ):
        env = self.env
        middle = sum(self.intake_window) / 2
        customers = self.customers[tier]
        n = len(customers)
        if intensity.per_week <= 0:
            return
        t, until = self.intake_window
        until = min(until, self.horizon)
        while True:
            t = intensity.next_arrival(t, gaps.next())
            if t >= until:
                return
            if trend is not None:  # thinning: a rate that changes over the period
                change, peak, u = trend
                if u.next() * peak > _trend_factor(change, t, middle):
                    continue
            yield env.timeout(t - env.now)
            slot = min(int(self.pick_u.next() * n), n - 1)
            customer = customers[slot]
            z = self.value_z.next()
            if not customer.active:
                customer = self._replace(tier, slot)
            self._place(customer, tier, segment, z)

    def _replace(self, tier: int, slot: int):
        """A lost customer's place goes to a new customer of the tier: the market keeps the
        tier's volume (a stated assumption), and the loss shows as customers churned and
        revenue at risk, not as fewer orders. The lost customer stays reachable by a
        proactive review."""
        lost = self.customers[tier][slot]
        self.lost[tier].append(lost)
        fresh = Customer(self.next_customer, tier, lost.annual_revenue, lost.recent.maxlen or 1)
        self.next_customer += 1
        self.customers[tier][slot] = fresh
        return fresh

    def _place(self, customer, tier: int, segment: int, z: float) -> None:
        now = self.env.now
        steps = self.routes[segment].sample(self.route_u.next)
        work, delays = self.work, self.segment_delay
        path = []
        for a in steps:
            delay, p = delays[a][segment]
            wait = 0.0
            if delay is not None and p > 0.0 and (p >= 1.0 or self.delay_u.next() < p):
                wait = delay.next()
            share = self.system_share[a]
            if share > 0.0 and self.system_u.next() < share:
                path.append((a, SYSTEM_STEP, wait))  # a system does it: no staff, no queue
            else:
                path.append((a, work[a].next(), wait))
        if self.inbox is not None and path:
            path[0] = self._inbox_wait(path[0], tier, segment, now)
        order = Order(
            self.orders_created,
            customer,
            tier,
            self.tier_rank[tier],
            segment,
            lognormal_value(self.mean_value[tier], ORDER_VALUE_SIGMA, z),
            now,
            self._promise(now, tier, segment),
            path,
            delivered_step(steps, self.delivered),
            self.calls.patience(tier),
        )
        self.orders_created += 1
        customer.orders += 1
        customer.last_order_at = now
        self.kpis.order_arrived(order, now)
        self.calls.arm(order)
        self.env.process(self._flow(order))

    def _inbox_wait(self, step: tuple, tier: int, segment: int, now: float) -> tuple:
        """The first step of an order that waits in the keying team's inbox: the time until
        the team looks (in its working hours) is added to the step's wait; the team's queue
        does the rest. Orders a system takes in, and other first steps, do not wait."""
        first, shares, share_u, visible, calendars = self.inbox
        a, work, wait = step
        if a != first or work == SYSTEM_STEP:
            return step
        if share_u.next() >= shares[tier] or visible is None:
            return step
        hold = visible.next()
        return (a, work, wait + calendars[segment].finish(now, hold) - now)

    def _promise(self, now: float, tier: int, segment: int) -> float:
        """The end of the local day `n` working days after today, or hours after now."""
        days = self.promise_days[tier][segment]
        if days is None:
            return now + self.promised[tier]
        mix = self.promise_mix[tier][segment]
        if mix is not None:
            counts, cumulative = mix
            days = counts[bisect_right(cumulative, self.promise_u.next())]
        day = int(now // 24.0)
        working, closed = self.working_day, self.promise_closed
        if not any(working):
            return now + self.promised[tier]
        open_today = working[day % 7] and day not in closed
        if not open_today and self.promise_off_day == "previous":
            while not (working[day % 7] and day not in closed):
                day -= 1  # a day off counts as the last working day before it
        elif not open_today or now - day * 24.0 >= self.promise_cutoff:
            day += 1  # counts from the next working day
            while not (working[day % 7] and day not in closed):
                day += 1
        while days > 0:
            day += 1
            if working[day % 7] and day not in closed:
                days -= 1
        return (day + 1) * 24.0

    def pool_for(self, activity: int, order: Order) -> StaffPool:
        return self.pool_table[activity][order.segment][order.tier]

    def _flow(self, order: Order):
        env = self.env
        table = self.pool_table
        key = self.key
        last = len(order.path) - 1
        if last < 0:
            self._deliver(order, env.now)
            return
        mean_work = self.mean_work
        remaining = sum(mean_work[a] for a, _, _ in order.path)
        kpis, log, rework, milestones = self.kpis, self.log, self.rework, self.milestones
        segment, tier, delivered = order.segment, order.tier, order.delivered_step
        for step, (a, work, delay) in enumerate(order.path):
            order.step = step
            if delay > 0:
                rushed = self.rushed if a in self.rushed_steps else None
                if rushed is not None and order.expedited:
                    delay = min(delay, rushed.next())
                    yield env.timeout(delay)
                elif rushed is not None:
                    # An expedite while the order waits outside cuts what is left of it.
                    order.rush = env.event()
                    until = env.now + delay
                    yield env.timeout(delay) | order.rush
                    order.rush = None
                    if env.now < until:
                        yield env.timeout(min(until - env.now, rushed.next()))
                else:
                    yield env.timeout(delay)
            order.remaining_work = remaining
            remaining -= mean_work[a]
            pool = table[a][segment][tier]
            if work == SYSTEM_STEP:
                start, person = env.now, -1
            else:
                start, person = yield from pool.serve(WORK_CLASS, key(order), work, order)
            now = env.now
            kpis.events += 1
            if log is not None:
                self.record(order, a, start, now, pool, person, count=False)
            if a in rework:
                kpis.rework(order, now)
            if step == delivered:
                self._deliver(order, now)
            if a in milestones:
                self._milestone(order, a, now)

    def _deliver(self, order: Order, now: float) -> None:
        order.delivered_at = now
        self.kpis.order_delivered(order, now)
        customer = order.customer
        customer.recent.append((int(now > order.promise), order.chases, order.courtesy))
        retention, tier = self.params.retention, self.tier_names[order.tier]
        u = self.churn_u.next()
        p = churn_probability(retention, tier, customer.recent, self.experience_effects)
        if u < p and customer.active:
            customer.active = False
            self.kpis.churned(customer, now)
        # The same draw without the experience hypothesis (the tier's own rate): counted
        # beside, never acted on. A customer it lost is replaced for orders placed after.
        left = self.tier_only_lost.get(customer.index)
        if left is not None and order.arrival > left:
            del self.tier_only_lost[customer.index]
            left = None
        if left is None and u < churn_probability(retention, tier, (), experience=False):
            self.tier_only_lost[customer.index] = now
            self.kpis.churned_tier_only(customer, now)

    def _milestone(self, order: Order, activity: int, now: float) -> None:
        self.calls.milestone(order, self.act_names[activity], now)

    def expedite(self, order: Order) -> None:
        """A chase call expedited the order (the older, once-an-order description): it jumps
        its queue, and the expedite activity's team pushes it."""
        self._jump(order)
        if self.expedite_index is not None:
            self.env.process(self._expedite_work(order, self.pool_for(self.expedite_index, order)))

    def escalate(self, order: Order, jump: bool = True) -> None:
        """A chase call passed on to the team holding the order: that team works the
        expedite activity (whatever the discipline), and the order jumps its queue where
        the policy lets chases expedite and this escalation gets it ahead (`jump`: the
        fitted share of escalations that do)."""
        if jump and self.expedite_on_chase and not order.expedited:
            self._jump(order)
        activity = self.expedite_index
        if activity is None:
            return
        at = order.path[order.step][0] if order.step < len(order.path) else None
        pool = self.escalation_table[order.segment].get(at) or self.pool_for(activity, order)
        self.env.process(self._expedite_work(order, pool))

    def _jump(self, order: Order) -> None:
        order.expedited = True
        if order.rush is not None and not order.rush.triggered:
            order.rush.succeed()
        if order.entry is not None:
            order.waiting_in.reprioritise(order, WORK_CLASS, self.key(order))

    def _expedite_work(self, order: Order, pool: StaffPool):
        """Someone drops other work to push the order through (the expedite activity)."""
        activity = self.expedite_index
        work = self.work[activity].next()
        start, person = yield from pool.serve(CALL_CLASS, 0.0, work)
        self.kpis.chase_hours(pool, work)
        self.record(order, activity, start, self.env.now, pool, person)

    def record(self, order, activity, start, end, pool, person, count: bool = True) -> None:
        """One simulated event (an activity index or a call's name) for the event log."""
        if count:
            self.kpis.events += 1
        if self.log is not None:
            name = self.act_names[activity] if isinstance(activity, int) else activity
            self.log.append(
                (
                    order.id,
                    name,
                    start,
                    end,
                    pool.name,
                    person,
                    order.customer.index,
                    order.tier,
                    order.segment,
                    order.value,
                )
            )

    def _review(self):
        """Proactive review: phone overdue customers of the review tiers; win some back."""
        review = self.policy.proactive_review
        env = self.env
        pool = next((p for p in self.pools if p.name == review.pool), self.courtesy_pool)
        tiers = [self.tier_names.index(t) for t in review.tiers]
        while True:
            yield env.timeout(review.every_days * 24.0)
            now = env.now
            for tier in tiers:
                per_hour = self.tier_per_week[tier] / 168.0
                gap = self.tier_counts[tier] / per_hour if per_hour > 0 else math.inf
                for customer in [*self.customers[tier], *self.lost[tier]]:
                    last = customer.last_order_at if customer.last_order_at is not None else 0.0
                    if now - last > review.overdue_factor * gap:
                        u = self.review_u.next()
                        env.process(self._reminder(customer, pool, u, now))

    def _reminder(self, customer, pool: StaffPool, u: float, now: float):
        yield from pool.serve(WORK_CLASS, 0.0, self.policy.proactive_review.call_hours)
        self.kpis.reminder(customer, now)
        customer.last_order_at = self.env.now  # reviewed: not overdue again at once
        if not customer.active and u < self.policy.proactive_review.win_back_probability:
            customer.active = True
            self.kpis.won_back(customer, now)

    # --- the simulated event log ------------------------------------------------------------

    def event_columns(self, replication: int, origin: datetime) -> dict[str, object]:
        """The event log as columns with pm4py's names (times as naive local datetime64),
        plus `_case`, each case's number as an integer (to sort by without parsing names).
        Columns, not records: a replication's log crosses a process boundary, and arrays
        pickle and become a frame several times faster than a dict per event."""
        if not self.log:
            return {}
        (case, name, start, end, pool, person, cust, tier, segment, value) = zip(
            *self.log, strict=True
        )
        base = np.datetime64(origin.replace(tzinfo=None), "us")

        def moment(hours: tuple[float, ...]) -> np.ndarray:
            moments = base + _hours_to_microseconds(np.asarray(hours, dtype=float))
            return moments.astype("datetime64[ns]")  # pandas' and pm4py's unit

        tiers, segments = self.tier_names, self.segment_names
        return {
            "case:concept:name": [f"R{replication}-{c}" for c in case],
            "concept:name": list(name),
            "start_timestamp": moment(start),
            "time:timestamp": moment(end),
            "org:resource": [
                f"{pl} #{pr + 1}" if pr >= 0 else pl for pl, pr in zip(pool, person, strict=True)
            ],
            "case:customer": [f"C{c}" for c in cust],
            "case:tier": [tiers[t] for t in tier],
            "case:segment": [segments[g] for g in segment],
            "case:order_value": [round(v, 2) for v in value],
            "_case": np.asarray(case, dtype=np.int64),
        }


def _hours_to_microseconds(hours: np.ndarray) -> np.ndarray:
    """`timedelta(hours=h)` for each h >= 0, vectorised, to the microsecond as Python rounds
    it: the whole hours exactly, then the fraction's microseconds, the rest rounded half to
    even (so the event logs are the same as when each time was a timedelta)."""
    whole = np.trunc(hours)
    scaled = (hours - whole) * 3_600_000_000.0
    part = np.trunc(scaled)
    micro = whole.astype(np.int64) * 3_600_000_000 + part.astype(np.int64)
    return (micro + np.rint(scaled - part).astype(np.int64)).astype("timedelta64[us]")


def _counts_and_shares(mix: dict[int, float]) -> tuple[list[int], list[float]]:
    """A promise mixture's counts and their running shares, for drawing one by a uniform."""
    counts = sorted(mix)
    return counts, cumulative_shares([mix[n] for n in counts])


def _trend_factor(change: float, t: float, middle: float) -> float:
    """The rate's multiplier at hour t for a relative change per week around the middle."""
    return min(3.0, max(0.2, 1.0 + change * (t - middle) / 168.0))


def _trend_peak(change: float, window: tuple[float, float]) -> float:
    """The largest multiplier over the window (the thinning's envelope)."""
    if not change:
        return 1.0
    middle = sum(window) / 2
    return max(_trend_factor(change, window[0], middle), _trend_factor(change, window[1], middle))
