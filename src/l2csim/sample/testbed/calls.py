"""Chase and courtesy calls, and the churn they feed: the world's customer-side behaviour.

Chase: a customer phones `patience` hours after the end of the promised day (it can be
before, when there is no news) if the order is not delivered, during phone hours; the call
takes customer-service time; it repeats every `repeat_gap` hours until delivery, with no
cap; each call escalates with `escalation_share` to the team holding the order (work of
that team, answered before its order work) and then expedites the order with
`expedite_probability` when the policy lets chases expedite. A courtesy call calms the
customer: no chase for `calm_hours` after it. Courtesy: made at milestones by the as-is
practice (a chance per tier and milestone) or by the policy's rule. Churn: decided once per
delivered order of a regular customer (see `ChurnSpec`).
"""

from __future__ import annotations

import math
from collections.abc import Generator
from typing import TYPE_CHECKING, Any

import numpy as np

from l2csim.sample.testbed.disciplines import CALL_CLASS, WORK_CLASS
from l2csim.sample.testbed.streams import substream
from l2csim.sample.testbed.teams import ABANDONED

if TYPE_CHECKING:
    from l2csim.sample.testbed.world import Order, World

CHASE_REDIALS = 1  # a chasing customer who does not get through tries once more that day

CHASE_ROWS = 12  # chase calls pre-drawn per order; more come from the order's second stream


class Calls:
    """Owns the calls of one world run: receives the world once, then is told of milestones,
    deliveries and new orders."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.spec = world.spec
        self.policy = world.policy
        self.chase_times: list[tuple[float, int]] = []  # (call end, order index)
        self.courtesy: list[tuple[float, int, str, bool]] = []  # (end, order, milestone, owed)
        self.escalations: list[tuple[float, int, str, bool]] = []  # (end, order, team, expedited)
        self.milestones: list[tuple[float, int, str, bool]] = []  # (time, order, milestone, owed)

    # --- chase ---------------------------------------------------------------------------

    def start(self, order: Order) -> None:
        self.world.env.process(self._chase(order))

    def _row(self, order: Order, i: int) -> tuple[np.ndarray, np.ndarray]:
        """Draws of the order's i-th chase call: u (offset, escalate, expedite, gap, spare)
        and z (gap, call length, escalation length)."""
        if i < CHASE_ROWS:
            return order.chase_u[i], order.chase_z[i]
        if order.more_u is None:
            rng = substream(self.world.entropy, "order_more", *order.key)
            order.more_u = rng.random((400, 5))
            order.more_z = rng.standard_normal((400, 3))
        j = min(i - CHASE_ROWS, 399)
        return order.more_u[j], order.more_z[j]

    def _chase(self, order: Order) -> Generator[Any, Any, None]:
        world, env = self.world, self.world.env
        tier = order.tier_spec
        calls = self.spec.calls
        patience = tier.patience_shift_hours + tier.patience.draw(
            order.patience_z, order.patience_u
        )
        moment = max(order.arrival + 60.0, order.deadline + patience * 60.0)
        i = 0
        while True:
            if moment > env.now:
                yield env.timeout(moment - env.now)
            if order.delivered_at is not None:
                return
            if env.now < order.calm_until:
                moment = order.calm_until
                continue
            u, z = self._row(order, i)
            opening = world.phone.next_open(env.now)
            if opening > env.now:  # lines closed: the customer calls after they open
                span = world.phone.close_after(opening) - opening
                opening += float(u[0]) * min(180.0, span)
                yield env.timeout(opening - env.now)
                if order.delivered_at is not None:
                    return
            minutes = calls.chase_work.draw(float(z[1]), float(u[4]))
            order.chase_attempts += 1
            task = yield from world.call(
                order,
                calls.chase_team,
                calls.chase_activity,
                minutes,
                float(u[0]),
                redials=CHASE_REDIALS,
            )
            if task.state == ABANDONED:  # did not get through: tries again after a gap
                moment = env.now + tier.repeat_gap.draw(float(z[0]), float(u[3])) * 60.0
                i += 1
                continue
            order.chases += 1
            order.state.chases += 1
            self.chase_times.append((env.now, order.index))
            if u[1] < tier.escalation_share:
                env.process(self._escalate(order, float(u[2]), float(z[2])))
            gap = tier.repeat_gap.draw(float(z[0]), float(u[3]))
            moment = env.now + max(gap, 0.25) * 60.0
            i += 1

    def _escalate(self, order: Order, u: float, z: float) -> Generator[Any, Any, None]:
        world = self.world
        calls = self.spec.calls
        team = order.task.team.name if order.task is not None else order.line.owner
        minutes = calls.escalation_work.draw(z, u)
        yield from world.work(order, team, calls.escalation_activity, minutes, CALL_CLASS)
        expedite = (
            self.policy.expedites
            and not order.expedited
            and order.delivered_at is None
            and u < order.tier_spec.expedite_probability
        )
        if expedite:
            world.expedite(order)
        self.escalations.append((world.env.now, order.index, team, expedite))

    # --- courtesy ------------------------------------------------------------------------

    def milestone(self, order: Order, milestone: str, position: int) -> None:
        tier = order.tier_spec
        owed = milestone in tier.courtesy_owed
        self.milestones.append((self.world.env.now, order.index, milestone, owed))
        if self.policy.courtesy == "as_is":
            call = order.courtesy_u[position] < tier.practice(milestone)
        else:
            call = owed and tier.name in self.policy.courtesy_tiers
        if call:
            self.world.env.process(self._courtesy(order, milestone, owed, position))

    def _courtesy(
        self, order: Order, milestone: str, owed: bool, position: int
    ) -> Generator[Any, Any, None]:
        world, env = self.world, self.world.env
        calls = self.spec.calls
        delay = calls.courtesy_delay.draw(0.0, float(order.courtesy_u[position + 4]))
        ready = world.office_hours.finish(env.now, delay * 60.0)
        yield env.timeout(ready - env.now)
        team = calls.courtesy_team or order.line.owner
        minutes = calls.courtesy_work.draw(float(order.courtesy_z[position]), 0.5)
        yield from world.work(order, team, calls.courtesy_activity, minutes, WORK_CLASS)
        order.courtesy += 1
        order.state.courtesy += 1
        order.calm_until = max(order.calm_until, env.now + calls.calm_hours * 60.0)
        self.courtesy.append((env.now, order.index, milestone, owed))

    # --- churn ---------------------------------------------------------------------------

    def delivered(self, order: Order) -> None:
        if order.tier_spec.churn_intercept is not None:
            self.world.env.process(self._decide(order))

    def _decide(self, order: Order) -> Generator[Any, Any, None]:
        env = self.world.env
        churn = self.spec.churn
        yield env.timeout(churn.decide_after_hours * 60.0)
        state = order.state
        if state.churned_at is not None:
            return
        late = order.delivered_at > order.deadline
        logit = (
            order.tier_spec.churn_intercept
            + churn.late * late
            + churn.per_chase * order.chase_attempts
            + churn.courtesy * order.courtesy
        )
        p = 1.0 / (1.0 + math.exp(-logit))
        if order.churn_u < p:
            state.churned_at = env.now
            state.reason = {
                "order_ref": order.ref,
                "late": bool(late),
                "chase_calls": order.chases,
                "chase_attempts": order.chase_attempts,
                "courtesy_calls": order.courtesy,
                "probability": round(p, 6),
            }
