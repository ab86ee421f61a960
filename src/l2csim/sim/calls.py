"""Chase calls and courtesy calls: the customer's patience, the phone, and the vicious circle.

A customer phones about an undelivered order once it is past its promise by the customer's
patience AND the customer has had no news for a while (`quiet_until`: the last call, either
way, plus a repeat gap). Calls come in only while the call pool works. A chase call takes
customer-service time, may repeat up to `max_calls`, and under the as-is squeaky-wheel
discipline it may expedite the order: the order jumps every queue and, when the model names
an expedite activity, a specialist is pulled off other work to do it — the capacity that
chasing takes is capacity the late orders needed. A courtesy call (by policy, at a
milestone) costs staff time too, and buys quiet: the customer waits longer before chasing.

The decisions are plain functions (`next_chase_time`, `CourtesyRules`); the processes at the
bottom are the SimPy side.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from l2csim.params import ModelParams
from l2csim.policy import Policy
from l2csim.sim.disciplines import CALL_CLASS, WORK_CLASS

if TYPE_CHECKING:
    from l2csim.sim.model import Simulation
    from l2csim.sim.orders import Order


def next_chase_time(promise: float, patience: float, quiet_until: float) -> float:
    """When the customer phones next, before the calls pool's hours are applied."""
    return max(promise + patience, quiet_until)


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


# --- SimPy side --------------------------------------------------------------------------


def schedule_chase(sim: Simulation, order: Order) -> None:
    """(Re)arm the order's chase timer; an older timer finds itself outdated and does nothing."""
    if order.chases >= sim.max_calls or order.delivered_at is not None:
        return
    due = next_chase_time(order.promise, order.patience, order.quiet_until)
    due = sim.call_calendar.next_open(max(due, sim.env.now))
    if due >= sim.horizon:
        return
    order.chase_due = due
    timer = sim.env.timeout(due - sim.env.now)
    timer.callbacks.append(lambda _event: _chase_due(sim, order, due))


def _chase_due(sim: Simulation, order: Order, due: float) -> None:
    if order.chase_due == due and order.delivered_at is None:
        order.chase_due = -1.0
        sim.env.process(chase_call(sim, order))


def chase_call(sim: Simulation, order: Order):
    """The customer phones; customer service answers (calls first), perhaps expedites."""
    work = sim.chase_length.next()
    start, person = yield from sim.chase_pool.serve(CALL_CLASS, 0.0, work)
    now = sim.env.now
    order.chases += 1
    order.quiet_until = now + sim.chase_repeat.next()
    sim.kpis.chase_call(order, now, work)
    sim.kpis.chase_hours(sim.chase_pool, work)
    sim.record(order, sim.chase_activity, start, now, sim.chase_pool, person)
    u = sim.chase_expedite.next()
    if sim.expedite_on_chase and not order.expedited and u < sim.expedite_probability:
        sim.expedite(order)
    schedule_chase(sim, order)


def expedite_work(sim: Simulation, order: Order):
    """A specialist drops other work to push the order through (the expedite activity)."""
    activity = sim.expedite_index
    pool = sim.pool_for(activity, order)
    work = sim.work[activity].next()
    start, person = yield from pool.serve(CALL_CLASS, 0.0, work)
    sim.kpis.chase_hours(pool, work)
    sim.record(order, activity, start, sim.env.now, pool, person)


def courtesy_call(sim: Simulation, order: Order, owed: bool):
    """Customer service phones the customer with news; the customer is content for a while."""
    work = sim.courtesy_length.next()
    start, person = yield from sim.courtesy_pool.serve(WORK_CLASS, sim.key(order), work)
    now = sim.env.now
    order.courtesy += 1
    sim.kpis.courtesy_made(order, owed, now)
    sim.record(order, sim.courtesy_activity, start, now, sim.courtesy_pool, person)
    if order.delivered_at is None:
        order.quiet_until = max(order.quiet_until, now + sim.chase_repeat_after_news.next())
        schedule_chase(sim, order)
