"""A replication that starts mid-stream: orders already under way when the clock starts.

A forecast from today starts the model with the open orders of the log where they are
(`StartState`): each continues from its last step along the rest of a path drawn from its
segment's routing (conditioned on reaching delivery, since it is not delivered yet); a
staff-free wait it is already in keeps only what is left of it (a draw conditioned on
lasting longer than it has so far); the customer's patience clock carries on from the calls
the log shows, conditioned on the customer not having phoned since. Everything here is
drawn from its own stream (`START_STREAM` in the replication's streams), so new orders meet
the same arrivals, paths and durations as in a run without a start state, and every scenario
meets the same start (common random numbers). Plain data in, SimPy processes out.
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

import numpy as np

from l2csim.sim.calls import CensoredSampler, repeat_samplers
from l2csim.sim.dists import sampler
from l2csim.sim.orders import Order, delivered_step
from l2csim.sim.streams import Buffered, substreams, uniforms

if TYPE_CHECKING:
    from l2csim.sim.model import Simulation

START_STREAM = "start"  # the key of the start state's Generator in a replication's streams
TRIES = 64  # draws tried before a conditional draw gives up and takes a fresh one
QUEUE_HOURS = 8.0  # working hours a queue typically holds an order at most (see in_wait)
SURVIVAL_DRAWS = 400  # draws that estimate a delay's survival function


@dataclass(frozen=True)
class StartOrder:
    """One order under way, by name and in hours of the replication's clock.

    `last_step`: its last routed activity done (None: none yet, it starts from the top);
    `done`: the routed activities done so far (in order); `since`: when the last happened
    (the order has waited since); `current` / `current_since`:
    an activity started but not finished at the start (logs with start times), if any;
    `chases` / `last_chase`, `courtesy` / `last_courtesy`: the calls so far and the last of
    each; `expedited`: an expedite (escalation) step is on record: the order was escalated,
    and got ahead of its queue as the fitted share of escalations does.
    """

    tier: str
    segment: str
    customer: str
    value: float
    arrival: float
    promise: float
    last_step: str | None = None
    done: tuple[str, ...] = ()
    since: float = 0.0
    current: str | None = None
    current_since: float | None = None
    chases: int = 0
    last_chase: float | None = None
    courtesy: int = 0
    last_courtesy: float | None = None
    expedited: bool = False


@dataclass(frozen=True)
class PathRule:
    """What every path of a segment respects, as the log shows it: the activities every
    order goes through (`required`) and those no order does twice (`once`). The rest of an
    order's path is drawn so that its whole path keeps them, given the steps it has done."""

    required: frozenset[str] = frozenset()
    once: frozenset[str] = frozenset()


@dataclass(frozen=True)
class StartState:
    """The orders under way at hour `at` of the clock (in the order they queue at the start),
    the path rules per segment, who is at work: team -> person -> working days away so far
    (0: at work; a person not listed starts as the simulation would), and the local date of
    the clock's hour 0 (the months of seasonal attendance)."""

    at: float
    orders: tuple[StartOrder, ...]
    rules: dict[str, PathRule] | None = None
    staff: dict[str, dict[str, int]] | None = None
    first_day: date | None = None


def conditional(draw: Callable[[], float], elapsed: float) -> float:
    """What is left of a wait that has lasted `elapsed` hours: a draw conditioned on being
    longer (rejection), or a fresh draw when the wait is already past nearly all of them."""
    value = 0.0
    for _ in range(TRIES):
        value = draw()
        if value > elapsed:
            return value - elapsed
    return value


def in_wait(probability: float, waited_longer: float, queue_hours: float) -> float:
    """The chance that an order waiting for a step is in the step's staff-free wait (stock,
    production, transit) rather than in its team's queue, given how long it has waited:
    Bayes with the wait's survival (`waited_longer`: the share of waits lasting longer) and
    a queue that rarely holds an order for much more than `QUEUE_HOURS` of the team's
    working time (the fit calls a wait staff-free when it lasted longer while the team
    was idle)."""
    if probability >= 1.0:
        return 1.0
    wait = probability * waited_longer
    queue = (1.0 - probability) * math.exp(-queue_hours / QUEUE_HOURS)
    return wait / (wait + queue) if wait + queue > 0 else probability


def _survival(sample: Buffered | None) -> Callable[[float], float]:
    """S(t) of a delay from a fixed sample of its draws (1 when there is no delay)."""
    if sample is None:
        return lambda _t: 0.0
    draws = np.sort([sample.next() for _ in range(SURVIVAL_DRAWS)])
    n = len(draws)
    return lambda t: float(n - np.searchsorted(draws, t, side="right")) / n


def resume(sim: Simulation, state: StartState, rng: np.random.Generator) -> None:
    """Put the start state's orders into the simulation at hour `state.at`.

    They get ids 0..n-1 (new orders follow), count as open before then (the tracker sees
    them arrive at their own arrival time), queue in the given order, and their chase
    timers are armed.
    """
    if not state.orders:
        return
    sim.orders_created = len(state.orders)
    sim.env.process(_resume(sim, state, rng))


def _resume(sim: Simulation, state: StartState, rng: np.random.Generator):
    if state.at > sim.env.now:
        yield sim.env.timeout(state.at - sim.env.now)
    params = sim.params
    route_rng, work_rng, delay_rng, calls_rng = substreams(rng, 4)
    route_u = uniforms(route_rng)
    work = [sampler(a.duration, r) for a, r in zip(
        params.activities, substreams(work_rng, len(params.activities)), strict=True)]  # fmt: skip
    delay_u, system_u = (uniforms(r) for r in substreams(delay_rng, 2))
    delay_rngs = substreams(delay_rng, len(params.activities) * len(sim.segment_names))
    delays = _delay_samplers(sim, delay_rngs)
    survival = [[_survival(sample) for sample, _ in row] for row in delays]
    patience, repeat, news = _call_samplers(sim, calls_rng)
    act_index = {name: i for i, name in enumerate(sim.act_names)}
    tier_index = {name: i for i, name in enumerate(sim.tier_names)}
    segment_index = {name: i for i, name in enumerate(sim.segment_names)}
    now = sim.env.now
    for number, start in enumerate(state.orders):
        tier = tier_index.get(start.tier, 0)
        segment = segment_index.get(start.segment, 0)
        rule = (state.rules or {}).get(start.segment, PathRule())
        path = _rest_of_path(sim, start, segment, act_index, route_u, rule)
        steps = []
        for position, a in enumerate(path):
            sample, p = delays[a][segment]
            wait = 0.0
            if position == 0 and start.current is None and sample is not None and p > 0.0:
                # Already waiting for this step: in a staff-free wait, or in the queue?
                elapsed = max(0.0, now - start.since)
                worked = sim.pool_table[a][segment][tier].calendar.worked(start.since, now)
                if delay_u.next() < in_wait(p, survival[a][segment](elapsed), worked):
                    wait = conditional(sample.next, elapsed)
            elif sample is not None and p > 0.0 and (p >= 1.0 or delay_u.next() < p):
                wait = sample.next()
            hours = work[a].next()
            if position == 0 and start.current is not None:
                wait = 0.0
                elapsed = max(0.0, now - (start.current_since or now))
                hours = conditional(work[a].next, sim.pool_table[a][segment][tier].calendar
                                    .worked(now - elapsed, now) if elapsed else 0.0)  # fmt: skip
            share = sim.system_share[a]
            if share > 0.0 and system_u.next() < share:
                steps.append((a, -1.0, wait))  # a system does it (model.SYSTEM_STEP)
            else:
                steps.append((a, hours, wait))
        customers = sim.customers[tier]
        slot = zlib.crc32(start.customer.encode("utf-8")) % len(customers)
        order = Order(
            number,
            customers[slot],
            tier,
            sim.tier_rank[tier],
            segment,
            start.value if math.isfinite(start.value) else sim.mean_value[tier],
            start.arrival,
            start.promise,
            steps,
            delivered_step(path, sim.delivered),
            patience[tier].next(),
        )
        order.chases, order.courtesy = start.chases, start.courtesy
        order.expedited = start.expedited and sim.calls.expedites_on_record(order)
        _patience_clock(order, start, now, patience[tier], repeat[tier], news, sim.calls)
        sim.kpis.order_arrived(order, start.arrival)
        sim.calls.arm(order)
        sim.env.process(sim._flow(order))


def _rest_of_path(
    sim: Simulation, start: StartOrder, segment: int, act_index, uniform, rule: PathRule
) -> list[int]:
    """The rest of the path after the order's last step (the current activity first),
    conditioned on the steps done: it reaches delivery (the order is not delivered yet),
    and with them it goes through every required activity and repeats no once-only one.
    The first draw that keeps them is taken, else the last one that reaches delivery."""
    route = sim.routes[segment]
    if start.current is not None and start.current in act_index:
        head = [act_index[start.current]]
        after = head[0]
    else:
        head = []
        after = act_index.get(start.last_step, -1) if start.last_step else -1
    names = sim.act_names
    done = set(start.done)
    missing = {act_index[a] for a in rule.required - done if a in act_index}
    forbidden = {act_index[a] for a in rule.once & done if a in act_index}
    path: list[int] = []
    fallback: list[int] | None = None
    for _ in range(TRIES):
        path = head + route.sample(uniform.next, after)
        if sim.delivered and not any(a in sim.delivered for a in path):
            continue
        if fallback is None:
            fallback = path
        steps = set(path)
        if missing <= steps and not (forbidden & steps) and _once(path, rule, names):
            return path
    return fallback if fallback is not None else path


def _once(path: list[int], rule: PathRule, names: list[str]) -> bool:
    """No once-only activity twice in the rest of the path."""
    seen = set()
    for a in path:
        if a in seen and names[a] in rule.once:
            return False
        seen.add(a)
    return True


def _delay_samplers(sim: Simulation, rngs: list[np.random.Generator]):
    """Per activity and segment: (sampler of its staff-free delay or None, probability)."""
    out = []
    k = 0
    for activity in sim.params.activities:
        row = []
        for name in sim.segment_names:
            spec = activity.delay_by_segment.get(name)
            if spec is not None:
                row.append((sampler(spec.delay, rngs[k]), spec.probability))
            elif activity.delay is not None:
                row.append((sampler(activity.delay, rngs[k]), activity.delay_probability))
            else:
                row.append((None, 0.0))
            k += 1
        out.append(row)
    return out


def _call_samplers(sim: Simulation, rng: np.random.Generator):
    """Patience per tier, the gap after a chase call and after news, as the model's calls."""
    chase = sim.params.chase
    tiers = sim.tier_names
    rngs = substreams(rng, len(tiers) + 2)
    patience: list[CensoredSampler | Buffered] = [
        CensoredSampler(chase.patience[name], r)
        if name in chase.patience
        else sampler(chase.patience_after_promise, r)
        for name, r in zip(tiers, rngs[: len(tiers)], strict=True)
    ]
    repeat = [gaps for _, _, gaps in repeat_samplers(chase, tiers, rngs[-2])]
    return patience, repeat, sampler(chase.repeat_after, rngs[-1])


def _patience_clock(
    order: Order, start: StartOrder, now: float, patience, repeat, news, calls
) -> None:
    """When the customer would phone next, given that they have not phoned since their last
    call (or at all): patience and quiet spells drawn on that condition, on the model's
    clock for calls (`calls.after`, `calls.between`)."""
    if start.chases and start.last_chase is not None:
        # They phoned: their patience ran out at their first call; the gap since the last
        # call is still running.
        order.patience = min(order.patience, calls.between(order.promise, start.last_chase))
        elapsed = max(0.0, calls.between(start.last_chase, now))
        order.quiet_until = calls.after(now, conditional(repeat.next, elapsed))
        if start.last_courtesy is not None and start.last_courtesy > start.last_chase:
            quiet = calls.after(start.last_courtesy, news.next())
            order.quiet_until = max(order.quiet_until, quiet)
        return
    value = order.patience
    quiet = order.quiet_until
    for _ in range(TRIES):
        if start.last_courtesy is not None:
            quiet = calls.after(start.last_courtesy, news.next())
        if max(calls.after(order.promise, value), quiet) >= now:
            break
        value = patience.next()
    order.patience = value
    order.quiet_until = quiet
