"""Chase calls and courtesy calls: the customer's patience, the phone, and the vicious circle.

A customer phones about an undelivered order once it is past its promise by the customer's
patience (which may be negative: a call before the promise) AND the customer has had no
news for a while (`quiet_until`: the last call, either way, plus a repeat gap). Some
customers never phone: patience fitted with censoring (`CensoredWait`) gives the share who
would at all; after each call, another comes with the fitted repeat share, with no fixed
cap. Calls come in only while the call pool works; a caller left on hold longer than the
model's `hold` hangs up, at no one's cost, dials again soon, and then waits as after an
answered call (an assumption: a log shows answered calls only). A chase call takes
customer-service time and may be escalated (the fitted share per tier, on every call): the
team holding the order drops other work to do the expedite activity, and when chases
expedite (the policy's `expedite_on_chase`, the discipline's default otherwise) the order
jumps every queue (after every escalation, or the share per tier the log shows) — the
capacity that chasing takes is capacity the late orders needed. A model without escalation
shares expedites at most once an order, and only when chases expedite. A courtesy call (by policy, at a milestone) costs staff time too, and buys quiet:
the customer waits longer before chasing.

`Calls` owns all of this state. The model hands it its environment, pools and KPI tracker
once and then asks narrow questions (`patience`, `arm`, `milestone`); the decisions are
plain functions (`CourtesyRules`); the processes are SimPy generators. Patience and the
gaps between calls run on the model's clock for calls (`ChaseBehaviour.clock`): the calls
team's working hours, or plain hours.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

from l2csim.params import CensoredWait, ChaseBehaviour, ModelParams
from l2csim.policy import Policy
from l2csim.sim.disciplines import CALL_CLASS, WORK_CLASS
from l2csim.sim.dists import sampler
from l2csim.sim.streams import Buffered, substreams, uniforms

if TYPE_CHECKING:
    import simpy

    from l2csim.sim.kpis import Tracker
    from l2csim.sim.orders import Order
    from l2csim.sim.staff import StaffPool

NEVER = math.inf
SAFETY_CAP = 200  # calls about one order: a guard against a runaway loop, not a model


def repeat_samplers(
    chase: ChaseBehaviour, tier_names: list[str], rng: np.random.Generator
) -> list[tuple[float, float, Buffered]]:
    """Per tier: the share who ring again after a call, the offset and the gaps' sampler.
    Tiers with a curve of their own (`ChaseBehaviour.repeat_by_tier`) draw from their own
    stream; the rest share the pooled curve on `rng` (as every tier does in a model
    without per-tier curves, whose draws are then as before)."""
    repeat = chase.repeat
    if repeat is None:  # an uncensored model file: everyone rings again, after repeat_after
        shared = sampler(chase.repeat_after, rng)
        return [(1.0, 0.0, shared)] * len(tier_names)
    pooled = (repeat.share, repeat.offset, sampler(repeat.distribution, rng))
    own = chase.repeat_by_tier
    if not own:
        return [pooled] * len(tier_names)
    out = []
    for name, stream in zip(tier_names, substreams(rng, len(tier_names)), strict=True):
        wait = own.get(name)
        out.append(
            pooled
            if wait is None
            else (wait.share, wait.offset, sampler(wait.distribution, stream))
        )
    return out


class CourtesyRules:
    """Per tier: the milestones the SLA owes a call at, and the chance a call is made."""

    def __init__(self, params: ModelParams, policy: Policy) -> None:
        self.rule = policy.courtesy.rule
        milestones = list(params.roles.milestones)
        self.owed: dict[str, frozenset[str]] = {}
        self.called: dict[str, frozenset[str]] = {}
        self.as_is = params.courtesy.probability
        self.min_value = policy.courtesy.min_value
        rule = policy.courtesy
        for tier in params.tiers:
            sla = policy.sla.get(tier.name)
            owed = tier.courtesy_owed_at
            if sla is not None and sla.courtesy_milestones is not None:
                owed = sla.courtesy_milestones
            self.owed[tier.name] = frozenset(owed)
            called = rule.milestones if rule.milestones is not None else (owed or milestones)
            if self.rule == "tiers" and tier.name not in rule.tiers:
                called = []
            self.called[tier.name] = frozenset(called)

    def probability(self, tier: str, milestone: str, value: float) -> float:
        """The chance that reaching `milestone` makes a courtesy call to this order's customer."""
        rule = self.rule
        if rule == "none":
            return 0.0
        if rule == "as_is":
            return self.as_is.get(tier, {}).get(milestone, 0.0)
        if milestone not in self.called[tier]:
            return 0.0
        if rule == "value_threshold" and value < self.min_value:
            return 0.0
        return 1.0


class CensoredSampler:
    """Draws from a CensoredWait: `NEVER` for the share that never ends, else offset + a
    draw. Always one uniform and one value per draw, so streams stay aligned (CRN)."""

    __slots__ = ("_offset", "_share", "_u", "_values")

    def __init__(self, wait: CensoredWait, rng: np.random.Generator) -> None:
        u_rng, value_rng = substreams(rng, 2)
        self._u = uniforms(u_rng)
        self._values = sampler(wait.distribution, value_rng)
        self._share = wait.share
        self._offset = wait.offset

    def next(self) -> float:
        ended = self._u.next() < self._share
        value = self._values.next()
        return self._offset + value if ended else NEVER


class Calls:
    """The chase and courtesy calls of one replication (see the module docstring)."""

    def __init__(
        self,
        params: ModelParams,
        policy: Policy,
        streams: dict[str, np.random.Generator],
        tier_names: list[str],
        env: simpy.Environment,
        horizon: float,
        chase_pool: Callable[[Order], StaffPool],
        courtesy_pool: Callable[[Order], StaffPool],
        calendar,
        kpis: Tracker,
        record: Callable,
        key: Callable[[Order], float],
        expedite: Callable[[Order], None],
        expedite_on_chase: bool,
        escalate: Callable[[Order, bool], None] | None = None,
        closed: frozenset[int] = frozenset(),
    ) -> None:
        chase = params.chase
        roles = params.roles
        self.env, self.horizon, self.kpis = env, horizon, kpis
        self.record, self.key, self.expedite = record, key, expedite
        self.chase_pool, self.courtesy_pool = chase_pool, courtesy_pool  # per order's segment
        self.call_calendar = calendar
        self.closed = closed  # simulated days the phone is not answered (company closed)
        self.working_clock = chase.clock == "working"
        self.chase_activity = roles.chase_call[0] if roles.chase_call else "Customer chase call"
        self.courtesy_activity = roles.courtesy_call[0] if roles.courtesy_call else "Courtesy call"
        self.tier_names = tier_names
        self.expedite_on_chase = expedite_on_chase
        self.expedite_probability = chase.expedite_probability
        self.escalate = escalate
        # Per tier: the share of chase calls escalated on orders not escalated before, and on
        # those escalated already (None: the older, once-an-order expedite).
        self.escalation = (
            None
            if chase.escalation_share is None or escalate is None
            else [chase.escalation_share_by_tier.get(t, chase.escalation_share) for t in tier_names]
        )
        # Per tier: the share of escalations that get the order ahead of its queue.
        self.expedite_share = [
            chase.expedite_share_by_tier.get(
                t, 1.0 if chase.expedite_share is None else chase.expedite_share
            )
            for t in tier_names
        ]
        self.escalation_again = (
            chase.escalation_again
            if chase.escalation_again is not None
            else chase.escalation_share or 0.0
        )
        self.rules = CourtesyRules(params, policy)
        patience_rngs = substreams(streams["patience"], len(tier_names) + 1)
        length, repeat, expedite_u, news = substreams(streams["chase"], 4)
        self.censored = bool(chase.patience)
        if self.censored:
            self.patience_by_tier: list[CensoredSampler | Buffered] = [
                CensoredSampler(chase.patience[name], rng)
                if name in chase.patience
                else sampler(chase.patience_after_promise, rng)
                for name, rng in zip(tier_names, patience_rngs[1:], strict=True)
            ]
            self.max_calls = SAFETY_CAP
        else:  # an uncensored model file: one patience for all, calls up to max_calls
            shared = sampler(chase.patience_after_promise, streams["patience"])
            self.patience_by_tier = [shared] * len(tier_names)
            self.max_calls = chase.max_calls
        self.repeat_censored = chase.repeat is not None
        repeat_u, repeat_values = (
            substreams(repeat, 2) if chase.repeat is not None else (repeat, repeat)
        )
        self.repeat_u = uniforms(repeat_u)
        self.repeat_by_tier = repeat_samplers(chase, tier_names, repeat_values)
        self.repeat_after_news = sampler(chase.repeat_after, news)
        self.call_length = sampler(chase.call, length)
        # Callers on hold hang up and call again later (None: every call waits to be answered).
        self.hold = chase.hold.minutes / 60.0 if chase.hold is not None else None
        self.redial = chase.hold.redial_hours if chase.hold is not None else (0.0, 0.0)
        self.redials = chase.hold.redials if chase.hold is not None else 0
        self.redial_u = uniforms(substreams(streams["chase"], 1)[0])
        self.expedite_u = uniforms(expedite_u)
        decide, courtesy_length = substreams(streams["courtesy"], 2)
        self.courtesy_u = uniforms(decide)
        self.courtesy_length = sampler(params.courtesy.call, courtesy_length)

    # --- questions the model asks --------------------------------------------------------

    def patience(self, tier: int) -> float:
        """The customer's patience for a new order of `tier` (hours after the promise)."""
        return self.patience_by_tier[tier].next()

    def after(self, t: float, hours: float) -> float:
        """`hours` of the customer's clock after t (before it when negative)."""
        if not math.isfinite(hours):
            return math.inf if hours > 0 else -math.inf
        return self.call_calendar.shift(t, hours) if self.working_clock else t + hours

    def between(self, t0: float, t1: float) -> float:
        """Hours of the customer's clock from t0 to t1 (negative when t1 is earlier)."""
        return self.call_calendar.between(t0, t1) if self.working_clock else t1 - t0

    def arm(self, order: Order) -> None:
        """(Re)arm the order's chase timer; an older timer finds itself outdated."""
        if order.chases >= self.max_calls or order.delivered_at is not None:
            return
        at = order.patience_at
        if at is None:  # on the calls team's clock once: patience does not change once armed
            at = order.patience_at = self.after(order.promise, order.patience)
        due = max(at, order.quiet_until)
        if due >= self.horizon:
            return
        env = self.env
        due = self.call_calendar.next_open(max(due, env.now))
        while int(due // 24.0) in self.closed:  # a closed day: they call when it opens
            due = self.call_calendar.next_open((int(due // 24.0) + 1) * 24.0)
        if due >= self.horizon:
            return
        order.chase_due = due
        timer = env.timeout(due - env.now)
        timer.callbacks.append(lambda _event: self._due(order, due))

    def milestone(self, order: Order, milestone: str, now: float) -> None:
        """The order reached a milestone: count what is owed, maybe make a courtesy call."""
        tier = self.tier_names[order.tier]
        owed = milestone in self.rules.owed[tier]
        if owed:
            self.kpis.courtesy_owed(order, now)
        p = self.rules.probability(tier, milestone, order.value)
        if self.courtesy_u.next() < p:
            self.env.process(self._courtesy_call(order, owed))

    # --- SimPy side ----------------------------------------------------------------------

    def _due(self, order: Order, due: float) -> None:
        if order.chase_due != due or order.delivered_at is not None:
            return
        order.chase_due = -1.0
        work = self.call_length.next()
        pool = self.chase_pool(order)
        if self.hold is None:  # the caller waits until answered
            self.env.process(self._chase_call(order, pool, work))
            return
        pool.ring(
            CALL_CLASS,
            0.0,
            self.hold,
            lambda person: self.env.process(self._chase_call(order, pool, work, person)),
            lambda: self._hung_up(order),
        )

    def _hung_up(self, order: Order) -> None:
        """Nobody answered: the customer dials again soon, then waits as after a call."""
        now = self.env.now
        self.kpis.chase_hung_up(order, now)
        if order.hung_up < self.redials:
            order.hung_up += 1
            low, high = self.redial
            order.quiet_until = now + low + (high - low) * self.redial_u.next()
        else:  # until the next chase, as after a call answered
            self.kpis.chase_given_up(order, now)
            order.hung_up = 0
            self._next_chase(order, now)
        self.arm(order)

    def _chase_call(self, order: Order, pool: StaffPool, work: float, answered_by=None):
        """The call is taken (calls first); customer service perhaps escalates or expedites."""
        start, person = yield from pool.serve(CALL_CLASS, 0.0, work, answered_by=answered_by)
        now = self.env.now
        order.hung_up = 0
        order.chases += 1
        self._next_chase(order, now)
        self.kpis.chase_call(order, now, work)
        self.kpis.chase_hours(pool, work)
        self.record(order, self.chase_activity, start, now, pool, person)
        u = self.expedite_u.next()
        if self.escalation is not None:
            share = self.escalation_again if order.escalated else self.escalation[order.tier]
            if u < share:  # u / share is uniform again: one draw decides both
                order.escalated = True
                self.escalate(order, u < share * self.expedite_share[order.tier])
        elif self.expedite_on_chase and not order.expedited and u < self.expedite_probability:
            self.expedite(order)
        self.arm(order)

    def expedites_on_record(self, order: Order) -> bool:
        """An order under way at a forecast's start with an expedite step on record: it is
        ahead of its queue as the fitted share of escalations are (every one without a
        fitted share, drawing nothing: the older reading)."""
        share = self.expedite_share[order.tier]
        return share >= 1.0 or self.expedite_u.next() < share

    def _next_chase(self, order: Order, now: float) -> None:
        """After a chase (answered, or given up on): the customer phones again after the
        repeat gap, or never (the tier's fitted repeat share; an older model file: all do)."""
        share, offset, gaps = self.repeat_by_tier[order.tier]
        again = not self.repeat_censored or self.repeat_u.next() < share
        gap = offset + gaps.next()
        order.quiet_until = self.after(now, gap) if again else NEVER

    def _courtesy_call(self, order: Order, owed: bool):
        """Customer service phones the customer with news; the customer is content for a while."""
        work = self.courtesy_length.next()
        pool = self.courtesy_pool(order)
        start, person = yield from pool.serve(WORK_CLASS, self.key(order), work)
        now = self.env.now
        order.courtesy += 1
        self.kpis.courtesy_made(order, owed, now)
        self.record(order, self.courtesy_activity, start, now, pool, person)
        if order.delivered_at is None:
            quiet = self.after(now, self.repeat_after_news.next())
            order.quiet_until = max(order.quiet_until, quiet)
            self.arm(order)
