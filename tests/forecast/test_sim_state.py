"""sim/state.py: a replication that starts with orders under way (the model's start-state hook)."""

from __future__ import annotations

import numpy as np
import pytest

from l2csim.forecast.simulate import DailyTracker, ForecastSpec, run_forecast_replication
from l2csim.params import Calendar
from l2csim.policy import Policy
from l2csim.sim.calendars import WorkCalendar
from l2csim.sim.customers import Customer
from l2csim.sim.model import Simulation
from l2csim.sim.orders import Order
from l2csim.sim.state import (
    START_STREAM,
    PathRule,
    StartOrder,
    StartState,
    _patience_clock,
    conditional,
    in_wait,
)
from l2csim.sim.streams import Buffered, replication_streams
from sim_models import sample_like_model, with_expedite_shares

AT = 7 * 24.0 + 10.0  # a Monday 10:00 a week into the clock
HORIZON = 14 * 24.0


def order(**changes) -> StartOrder:
    base = dict(
        tier="key_account",
        segment="Industrial pumps",
        customer="C1",
        value=1000.0,
        arrival=AT - 48.0,
        promise=AT + 72.0,
        last_step="Order confirmed",
        done=("Order received", "Credit check", "Order confirmed"),
        since=AT - 5.0,
    )
    return StartOrder(**{**base, **changes})


def simulate(state: StartState | None, seed: int = 0, replication: int = 0, **kwargs):
    streams = replication_streams(seed, replication)
    streams[START_STREAM] = np.random.default_rng([seed, replication])
    sim = Simulation(
        kwargs.pop("params", sample_like_model(churn=False)),
        kwargs.pop("policy", Policy()),
        streams,
        horizon=AT + HORIZON,
        warmup=AT,
        intake=(AT, AT + HORIZON),
        start=state,
        tracker=DailyTracker,
        event_log=True,
        **kwargs,
    )
    sim.run()
    return sim


def events_of(sim, case: int) -> list[tuple[str, float]]:
    return [(name, end) for c, name, _s, end, *_ in sim.log if c == case]


def test_a_started_order_continues_from_its_last_step_at_the_start_moment() -> None:
    sim = simulate(StartState(AT, (order(),)))
    steps = events_of(sim, 0)
    names = [name for name, _ in steps]
    assert names[0] == "Pick and pack"  # after Order confirmed, never from the top again
    assert "Order received" not in names and "Credit check" not in names
    assert "Delivered" in names
    assert min(end for _, end in steps) >= AT  # nothing happens before the start moment
    assert sim.kpis.delivered_at[0] == next(end for name, end in steps if name == "Delivered")
    assert sim.kpis.open_at_start == 1  # open at the start (delivered since)


def test_start_orders_take_the_first_ids_and_count_as_open_at_the_start() -> None:
    state = StartState(AT, tuple(order(customer=f"C{i}") for i in range(5)))
    sim = simulate(state)
    tracker = sim.kpis
    assert sim.orders_created >= 5
    assert set(tracker.delivered_at) >= {0, 1, 2, 3, 4}
    assert tracker.counts[2].sum() == 5  # all five delivered in the horizon, counted as open
    assert tracker.counts[0].sum() == sim.orders_created - 5  # the others arrived after


def test_new_orders_meet_the_same_arrivals_with_or_without_a_start_state() -> None:
    """The start state draws from its own stream: the rest of the run is left as it was."""
    plain = simulate(StartState(AT, ()))
    started = simulate(StartState(AT, tuple(order(customer=f"C{i}") for i in range(20))))
    arrivals_plain = sorted(s for c, name, s, *_ in plain.log if name == "Order received")
    arrivals_started = sorted(
        s for c, name, s, *_ in started.log if name == "Order received" and c >= 20
    )
    assert arrivals_plain == arrivals_started


def test_the_rest_of_the_path_keeps_the_steps_done() -> None:
    """Custom systems: Order confirmed is followed by Technical clarification or Pick and
    pack; an order that has had its clarification may not have another (once-only), and
    every order must be picked (required)."""
    rule = PathRule(required=frozenset({"Pick and pack", "Delivered"}),
                    once=frozenset({"Technical clarification"}))  # fmt: skip
    done = ("Order received", "Credit check", "Technical clarification", "Order confirmed")
    state = StartState(
        AT,
        tuple(order(segment="Custom systems", customer=f"C{i}", done=done) for i in range(30)),
        rules={"Custom systems": rule},
    )
    sim = simulate(state)
    for case in range(30):
        names = [name for name, _ in events_of(sim, case)]
        assert "Technical clarification" not in names
        assert "Pick and pack" in names


def test_an_order_in_progress_starts_with_its_current_activity() -> None:
    state = StartState(AT, (order(current="Pick and pack", current_since=AT - 0.2),))
    names = [name for name, _ in events_of(simulate(state), 0)]
    assert names[:2] == ["Pick and pack", "Shipped"]


def test_waits_keep_only_what_is_left() -> None:
    rng = np.random.default_rng(1)
    draws = [conditional(lambda: float(rng.exponential(10.0)), 25.0) for _ in range(4000)]
    assert min(draws) > 0
    assert np.mean(draws) == pytest.approx(10.0, rel=0.08)  # memoryless: the same mean left
    fixed = [conditional(lambda: 30.0, 25.0) for _ in range(10)]
    assert fixed == [5.0] * 10


def test_a_long_wait_is_more_likely_a_staff_free_wait_than_a_queue() -> None:
    assert in_wait(0.3, 0.95, 0.0) == pytest.approx(0.3 * 0.95 / (0.3 * 0.95 + 0.7), rel=1e-9)
    assert in_wait(0.3, 0.8, 40.0) > 0.95  # a week of the team's hours: not a queue
    assert in_wait(1.0, 0.0, 0.0) == 1.0


class PlainHours:
    """The customer's clock in plain hours (a model whose calls team never closes)."""

    def after(self, t: float, hours: float) -> float:
        return t + hours

    def between(self, t0: float, t1: float) -> float:
        return t1 - t0


class OfficeHours(PlainHours):
    """The customer's clock in a calls team's working hours (Monday-Friday 8-17)."""

    def __init__(self) -> None:
        self.calendar = WorkCalendar(Calendar())

    def after(self, t: float, hours: float) -> float:
        return self.calendar.shift(t, hours)

    def between(self, t0: float, t1: float) -> float:
        return self.calendar.between(t0, t1)


@pytest.mark.parametrize("clock", [PlainHours(), OfficeHours()], ids=["plain", "office"])
def test_patience_clocks_carry_on_from_the_calls_in_the_log(clock) -> None:
    """A customer who phoned 2 hours ago phones again only after a repeat gap longer than
    those 2 hours; one who has not phoned although the promise passed 30 hours ago has a
    patience longer than that (or never phones) - on either clock."""
    rng = np.random.default_rng(5)
    patience = Buffered(lambda n: rng.exponential(20.0, n))
    repeat = Buffered(lambda n: rng.exponential(10.0, n))
    news = Buffered(lambda n: rng.exponential(48.0, n))
    customer = Customer(0, 0, 1.0, 1)
    for _ in range(200):
        chased = order(promise=AT - 30.0, chases=2, last_chase=AT - 2.0)
        o = Order(0, customer, 0, 0, 0, 1.0, chased.arrival, chased.promise, [], 0, 5.0)
        _patience_clock(o, chased, AT, patience, repeat, news, clock)
        assert o.quiet_until > AT
        assert clock.after(o.promise, o.patience) <= chased.last_chase + 1e-9
        quiet = order(promise=AT - 30.0)
        o = Order(0, customer, 0, 0, 0, 1.0, quiet.arrival, quiet.promise, [], 0, 1.0)
        _patience_clock(o, quiet, AT, patience, repeat, news, clock)
        assert clock.after(o.promise, o.patience) >= AT


def test_common_random_numbers_across_policies_for_the_start() -> None:
    params = sample_like_model(churn=False)
    state = StartState(AT, tuple(order(customer=f"C{i}") for i in range(10)))
    a = ForecastSpec(params, Policy(), "a", 3, AT, HORIZON, state)
    b = ForecastSpec(params, Policy(discipline="tier_priority"), "b", 3, AT, HORIZON, state)
    first, second = run_forecast_replication(a, 0), run_forecast_replication(b, 0)
    again = run_forecast_replication(a, 0)
    assert np.array_equal(first.delivered, again.delivered, equal_nan=True)
    assert np.array_equal(first.counts[0], second.counts[0])  # the same new orders arrive
    assert first.open_at_start == second.open_at_start == 10


def test_an_expedite_on_record_puts_the_order_ahead_as_the_fitted_share_of_escalations() -> None:
    """At a forecast's start, an order with an expedite step on record is ahead of its
    queue as often as the fit says escalations get orders ahead (key accounts 30 % here);
    without a fitted share every one is, and no draw is taken."""
    params = sample_like_model(churn=False)
    fitted = Simulation(
        with_expedite_shares(params, pooled=1.0, top_tier=0.3),
        Policy(),
        replication_streams(0, 0),
        horizon=24.0,
    )
    customer = Customer(0, 0, 1000.0, 3)
    started = [Order(i, customer, 0, 0, 0, 1.0, 0.0, 24.0, [], 0, 1.0) for i in range(4000)]
    ahead = [fitted.calls.expedites_on_record(o) for o in started]
    assert np.mean(ahead) == pytest.approx(0.3, abs=0.025)
    other_tier = Order(0, customer, 1, 1, 0, 1.0, 0.0, 24.0, [], 0, 1.0)
    assert fitted.calls.expedites_on_record(other_tier)  # the pooled share, 1.0
    older = Simulation(params, Policy(), replication_streams(0, 0), horizon=24.0)
    before = older.calls.expedite_u.next()
    again = Simulation(params, Policy(), replication_streams(0, 0), horizon=24.0)
    assert all(again.calls.expedites_on_record(o) for o in started[:50])
    assert again.calls.expedite_u.next() == before
