"""The model against queueing theory, and policies doing what they say (common random numbers)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from l2csim.params import CallHold, CensoredWait, Provenance
from l2csim.policy import Policy
from l2csim.sim.model import Simulation
from l2csim.sim.replications import RunSpec, kpi_frame, run_replication, run_replications
from l2csim.sim.streams import replication_streams
from sim_models import TEAM, expo, mmc_model, sample_like_model, with_expedite_shares

YEAR, MONTH = 365 * 24.0, 30 * 24.0


def erlang_c_wait(lam: float, mu: float, c: int) -> float:
    """Mean waiting time in queue of M/M/c (Erlang C)."""
    a = lam / mu
    rho = a / c
    top = a**c / math.factorial(c) / (1 - rho)
    p_wait = top / (sum(a**k / math.factorial(k) for k in range(c)) + top)
    return p_wait / (c * mu - lam)


def values(frame: pd.DataFrame, kpi: str, **keys: str) -> np.ndarray:
    mask = frame["kpi"] == kpi
    for column in ("tier", "segment", "pool"):
        mask &= frame[column] == keys.get(column, "")
    return frame.loc[mask & frame["day"].isna() & frame["week"].isna(), "value"].to_numpy()


def t_interval(x: np.ndarray) -> tuple[float, float]:
    from statistics import NormalDist

    n = len(x)
    half = 2.26 if n == 10 else NormalDist().inv_cdf(0.975)  # t(0.975, 9) for 10 replications
    se = x.std(ddof=1) / math.sqrt(n)
    return x.mean() - half * se, x.mean() + half * se


def test_mmc_matches_erlang_c_waiting_time() -> None:
    lam, mu, c = 4.0, 1.0, 5  # utilisation 0.8
    spec = RunSpec(
        mmc_model(lam, 1 / mu, c),
        Policy(discipline="fifo"),
        seed=11,
        horizon_hours=3000.0,
        warmup_hours=200.0,
    )
    frame = kpi_frame(run_replications(spec, 10), "mmc")
    waits = values(frame, "lead_time_mean_hours") - 1 / mu  # sojourn minus mean service
    low, high = t_interval(waits)
    expected = erlang_c_wait(lam, mu, c)  # 0.554 h
    assert low <= expected <= high, (low, expected, high)
    # Little's law on the same runs: mean number in system = lambda x mean sojourn.
    backlog = values(frame, "backlog_mean").mean()
    assert backlog == pytest.approx(lam * (expected + 1 / mu), rel=0.08)
    utilisation = values(frame, "staff_utilisation", pool="servers").mean()
    assert utilisation == pytest.approx(lam / (c * mu), abs=0.02)


@pytest.fixture(scope="module")
def busy() -> dict[str, pd.DataFrame]:
    """The sample-shaped model with a stretched warehouse, under four policies, 4 replications.

    Churn is off here so each policy's direct effect is not blurred by a smaller customer base.
    """
    params = sample_like_model(churn=False)
    params = params.model_copy(
        update={
            "pools": [
                p.model_copy(update={"size": 1}) if p.name == "Warehouse" else p
                for p in params.pools
            ]
        }
    )
    policies = {
        "baseline": Policy(),
        "tier_priority": Policy(discipline="tier_priority"),
        "tier_priority_expedites": Policy(discipline="tier_priority", expedite_on_chase=True),
        "least_slack": Policy(discipline="least_slack"),
        "no_courtesy": Policy(courtesy={"rule": "none"}),
        "rekeying_halved": Policy(data_quality={"rework_multiplier": 0.5}),
    }
    return {
        name: kpi_frame(
            run_replications(
                RunSpec(params, policy, name, seed=5, horizon_hours=YEAR, warmup_hours=MONTH), 4
            ),
            name,
        )
        for name, policy in policies.items()
    }


def test_tier_priority_helps_the_top_tier_at_the_bottom_tiers_cost(busy) -> None:
    base, prio = busy["baseline"], busy["tier_priority"]
    top = values(prio, "lead_time_mean_hours", tier="key_account") - values(
        base, "lead_time_mean_hours", tier="key_account"
    )
    bottom = values(prio, "lead_time_mean_hours", tier="one_time") - values(
        base, "lead_time_mean_hours", tier="one_time"
    )
    assert (top < 0).all(), top
    assert (bottom > 0).all(), bottom


def test_without_courtesy_calls_customers_chase_more(busy) -> None:
    base, none = busy["baseline"], busy["no_courtesy"]
    assert values(none, "courtesy_calls_made").sum() == 0
    assert (values(none, "chase_calls") > values(base, "chase_calls")).all()


def test_halving_rekeying_halves_rework(busy) -> None:
    base = values(busy["baseline"], "rework_steps")
    halved = values(busy["rekeying_halved"], "rework_steps")
    ratio = halved.sum() / base.sum()
    assert 0.4 < ratio < 0.6, ratio


def test_chase_calls_cost_customer_service_and_specialists(busy) -> None:
    base = busy["baseline"]
    assert (values(base, "hours_lost_to_chase_calls", pool="Customer Service") > 0).all()
    assert (values(base, "hours_lost_to_chase_calls", pool="OM-North") > 0).all()  # expedites
    # Only squeaky wheel expedites: under tier priority no specialist is pulled off.
    prio = busy["tier_priority"]
    assert (values(prio, "hours_lost_to_chase_calls", pool="OM-North") == 0).all()


def test_expedite_on_chase_is_a_lever_of_its_own(busy) -> None:
    """Key accounts first, and a chase still jumps the queue: specialists are pulled off
    again, and the top tier keeps its advantage over the bottom one."""
    expedites = busy["tier_priority_expedites"]
    assert (values(expedites, "hours_lost_to_chase_calls", pool="OM-North") > 0).all()
    top = values(expedites, "lead_time_mean_hours", tier="key_account")
    bottom = values(expedites, "lead_time_mean_hours", tier="one_time")
    assert (top < bottom).all()


def test_least_slack_serves_the_tightest_promises_first(busy) -> None:
    """Key accounts have the shortest promise: least slack helps them like tier priority
    does, without starving anyone into the chase-call loop as hard."""
    base, slack = busy["baseline"], busy["least_slack"]
    assert (
        values(slack, "sla_attainment", tier="key_account")
        > values(base, "sla_attainment", tier="key_account")
    ).all()
    assert (values(slack, "sla_attainment") >= values(base, "sla_attainment") - 0.02).all()


def test_same_replication_meets_the_same_arrivals_in_every_scenario() -> None:
    params = sample_like_model(churn=False)
    logs = []
    for policy in (Policy(), Policy(discipline="earliest_promise", courtesy={"rule": "all"})):
        result = run_replication(
            RunSpec(
                params, policy, seed=9, horizon_hours=60 * 24.0, warmup_hours=0, event_log=True
            ),
            2,
        )
        events = pd.DataFrame(result.event_columns)
        first = events.groupby("case:concept:name", sort=True).agg(
            customer=("case:customer", "first"),
            value=("case:order_value", "first"),
            received=("start_timestamp", "min"),
            steps=("concept:name", lambda s: tuple(sorted(s))),
        )
        logs.append((first, result))
    (a, ra), (b, _) = logs
    assert len(a) == len(b) > 500
    pd.testing.assert_frame_equal(
        a[["customer", "value", "received"]], b[["customer", "value", "received"]]
    )
    # Different replications draw different streams.
    other = run_replication(
        RunSpec(params, Policy(), seed=9, horizon_hours=60 * 24.0, warmup_hours=0, event_log=True),
        3,
    )
    assert (
        pd.DataFrame(other.event_columns)["case:customer"].tolist()[:50]
        != pd.DataFrame(ra.event_columns)["case:customer"].tolist()[:50]
    )


def test_preemption_serves_the_top_tier_faster_still() -> None:
    params = mmc_model(4.0, 1.0, 5)
    two_tiers = params.model_copy(
        update={
            "tiers": [
                params.tiers[0],
                params.tiers[0].model_copy(update={"name": "low", "rank": 1}),
            ],
            "arrivals": [
                params.arrivals[0].model_copy(update={"orders_per_week": 336}),
                params.arrivals[0].model_copy(update={"tier": "low", "orders_per_week": 336}),
            ],
        }
    )
    out = {}
    for preempt in (False, True):
        spec = RunSpec(
            two_tiers,
            Policy(discipline="tier_priority", preemption=preempt),
            seed=2,
            horizon_hours=2000.0,
            warmup_hours=100.0,
        )
        out[preempt] = kpi_frame(run_replications(spec, 3), "p")
    top_wait = {k: values(f, "lead_time_mean_hours", tier="all").mean() for k, f in out.items()}
    assert top_wait[True] < top_wait[False]
    assert top_wait[True] == pytest.approx(1.0, abs=0.1)  # with pre-emption: hardly any wait
    # Work is conserved: utilisation is the same with and without pre-emption.
    util = {k: values(f, "staff_utilisation", pool="servers").mean() for k, f in out.items()}
    assert util[True] == pytest.approx(util[False], abs=0.02)


def test_churned_customers_are_counted_and_replaced_so_volume_stays() -> None:
    """A lost customer's revenue is at risk, but a new customer takes its place: the number
    of orders is the log's whatever the churn (the arrivals are common random numbers)."""
    spec = RunSpec(sample_like_model(churn=True), Policy(), seed=4)
    churn = kpi_frame(run_replications(spec, 2), "churn")
    calm = kpi_frame(
        run_replications(RunSpec(sample_like_model(churn=False), Policy(), seed=4), 2), "calm"
    )
    assert (values(calm, "customers_churned") == 0).all()
    assert (values(churn, "customers_churned") > 10).all()
    assert (values(churn, "orders_arrived") == values(calm, "orders_arrived")).all()
    # Key accounts' contracts hold (tier offset -20); the others' revenue is at risk.
    assert (values(churn, "customers_churned", tier="key_account") == 0).all()
    at_risk = values(churn, "revenue_at_risk_annual", tier="occasional")
    per_customer = 22.2 * 365.25 / 7 / 150 * 7000.0  # tier orders x value / customers
    churned = values(churn, "customers_churned", tier="occasional")
    np.testing.assert_allclose(at_risk, churned * per_customer, rtol=1e-9)


def test_common_random_numbers_shrink_the_variance_of_differences(busy) -> None:
    """Same seed across scenarios pairs the replications: differences vary far less."""
    params = sample_like_model(churn=False)
    params = params.model_copy(
        update={
            "pools": [
                p.model_copy(update={"size": 1}) if p.name == "Warehouse" else p
                for p in params.pools
            ]
        }
    )
    spec = RunSpec(
        params, Policy(discipline="tier_priority"), seed=6, horizon_hours=YEAR, warmup_hours=MONTH
    )
    independent = kpi_frame(run_replications(spec, 4), "independent")
    base, paired = busy["baseline"], busy["tier_priority"]
    for kpi in ("backlog_mean", "chase_calls"):
        var_paired = np.var(values(paired, kpi) - values(base, kpi), ddof=1)
        var_independent = np.var(values(independent, kpi) - values(base, kpi), ddof=1)
        assert var_paired < var_independent / 5, (kpi, var_paired, var_independent)


@pytest.mark.parametrize(("off_day", "promised_day"), [("next", 10), ("previous", 9)])
def test_an_order_placed_on_a_day_off_is_promised_by_the_fitted_rule(
    off_day: str, promised_day: int
) -> None:
    """Two working days for every tier; the clock's day 0 is a Monday. Placed on Saturday
    (day 5): counted from Monday, promised Wednesday (day 9, so the end of day 9 = hour 240);
    counted as Friday's, promised Tuesday (end of day 8 = hour 216)."""
    from l2csim.sim.model import Simulation
    from l2csim.sim.streams import replication_streams

    base = sample_like_model()
    segments = {a.segment for a in base.arrivals}
    tiers = [
        t.model_copy(update={"promise_working_days": {s: 2 for s in segments}}) for t in base.tiers
    ]
    params = base.model_copy(update={"tiers": tiers, "promise_off_day": off_day})
    sim = Simulation(params, Policy(), replication_streams(0, 0), horizon=24 * 14.0)
    saturday_noon = 5 * 24.0 + 12.0
    assert sim._promise(saturday_noon, 0, 0) == promised_day * 24.0
    friday_morning = 4 * 24.0 + 9.0  # a working day before any cut-off: Tuesday, end of day 8
    assert sim._promise(friday_morning, 0, 0) == 9 * 24.0


def test_a_promise_skips_the_companys_closed_days_though_the_run_works_them() -> None:
    """Two working days; day 0 is a Monday and Tuesday a public holiday. Placed Monday
    morning: promised Thursday (end of day 3), not Wednesday; placed on the holiday it
    counts from Wednesday and is promised Friday. The run itself does not close."""
    import datetime as dt

    from l2csim.params import Closures
    from l2csim.sim.model import Simulation
    from l2csim.sim.streams import replication_streams

    base = sample_like_model()
    segments = {a.segment for a in base.arrivals}
    tiers = [
        t.model_copy(update={"promise_working_days": {s: 2 for s in segments}}) for t in base.tiers
    ]
    plain = base.model_copy(update={"tiers": tiers})
    monday = Simulation(plain, Policy(), replication_streams(0, 0), horizon=24 * 14.0).first_day
    holiday = Closures(stated=[monday + dt.timedelta(days=1)])
    params = plain.model_copy(update={"closures": holiday})
    sim = Simulation(params, Policy(), replication_streams(0, 0), horizon=24 * 14.0)
    assert sim.closed == frozenset()  # people work through it in this run
    monday_morning, tuesday_morning = 9.0, 24.0 + 9.0
    assert (
        Simulation(plain, Policy(), replication_streams(0, 0), horizon=24 * 14.0)._promise(
            monday_morning, 0, 0
        )
        == 3 * 24.0
    )
    assert sim._promise(monday_morning, 0, 0) == 4 * 24.0
    assert sim._promise(tuesday_morning, 0, 0) == 5 * 24.0


def test_customers_promised_different_days_are_drawn_in_their_shares() -> None:
    """A tier whose customers are promised 2 or 6 working days (a log without the tiers
    that set them): orders placed Monday morning are promised Wednesday or next Tuesday
    in those shares; a policy's promised hours still override the mixture."""
    from l2csim.policy import TierSla
    from l2csim.sim.model import Simulation
    from l2csim.sim.streams import replication_streams

    base = sample_like_model()
    segments = {a.segment for a in base.arrivals}
    tiers = [
        t.model_copy(
            update={
                "promise_working_days": {s: 2 for s in segments},
                "promise_mix": {s: {2: 0.25, 6: 0.75} for s in segments},
            }
        )
        for t in base.tiers
    ]
    params = base.model_copy(update={"tiers": tiers})
    sim = Simulation(params, Policy(), replication_streams(0, 0), horizon=24 * 14.0)
    monday_morning = 9.0
    promised = [sim._promise(monday_morning, 0, 0) for _ in range(2000)]
    assert set(promised) == {3 * 24.0, 9 * 24.0}  # the end of Wednesday, of next Tuesday
    assert np.mean([p == 3 * 24.0 for p in promised]) == pytest.approx(0.25, abs=0.03)
    name = tiers[0].name
    hours = Policy(sla={name: TierSla(promised_hours=48.0)})
    fixed = Simulation(params, hours, replication_streams(0, 0), horizon=24 * 14.0)
    assert fixed._promise(monday_morning, 0, 0) == monday_morning + 48.0


@pytest.fixture(scope="module")
def escalated() -> dict[str, pd.DataFrame]:
    """The busy sample-shaped model with every chase call escalated to the team holding the
    order: the warehouse for orders waiting to be picked, the line's team otherwise."""
    params = sample_like_model(churn=False)
    holding = {s: {"Pick and pack": "Warehouse", "Shipped": "Warehouse"} for s in TEAM}
    chase = params.chase.model_copy(update={"escalation_share": 1.0, "escalation_pools": holding})
    params = params.model_copy(
        update={
            "chase": chase,
            "pools": [
                p.model_copy(update={"size": 1}) if p.name == "Warehouse" else p
                for p in params.pools
            ],
        }
    )
    policies = {
        "baseline": Policy(),
        "tier_priority": Policy(discipline="tier_priority"),
    }
    return {
        name: kpi_frame(
            run_replications(
                RunSpec(params, policy, name, seed=5, horizon_hours=YEAR / 2, warmup_hours=MONTH),
                2,
            ),
            name,
        )
        for name, policy in policies.items()
    }


def test_an_escalation_is_worked_by_the_team_holding_the_order(escalated) -> None:
    """Orders at the bottleneck warehouse are chased most: the warehouse takes those
    escalations, the lines' teams the rest."""
    base = escalated["baseline"]
    warehouse = values(base, "hours_lost_to_chase_calls", pool="Warehouse")
    assert (warehouse > 0).all(), warehouse
    assert (values(base, "hours_lost_to_chase_calls", pool="OM-North") > 0).all()


def test_escalations_cost_their_team_whether_or_not_chases_jump_the_queue(escalated) -> None:
    """Under tier priority a chase does not reorder the queue, but the team still does the
    escalation's work (the older description pulled no one off, see above)."""
    prio = escalated["tier_priority"]
    assert (values(prio, "hours_lost_to_chase_calls", pool="Warehouse") > 0).all()
    assert (values(prio, "hours_lost_to_chase_calls", pool="OM-North") > 0).all()


def test_only_the_fitted_share_of_escalations_jumps_the_queue() -> None:
    """Every chase call is escalated; the fit says key accounts' escalations get the order
    ahead and nobody else's do: only key accounts' orders jump, every tier's are worked."""
    params = with_expedite_shares(sample_like_model(churn=False), pooled=0.0, top_tier=1.0)
    sim = Simulation(params, Policy(), replication_streams(3, 0), horizon=YEAR / 4)
    escalated, jumped = [], []
    escalate, jump = sim.escalate, sim._jump
    sim.calls.escalate = lambda order, ahead: (escalated.append(order), escalate(order, ahead))
    sim._jump = lambda order: (jumped.append(order), jump(order))
    sim.run()
    assert {o.tier for o in escalated} == set(range(len(params.tiers)))
    assert {o.tier for o in jumped} == {0}
    assert {o.id for o in jumped} == {o.id for o in escalated if o.tier == 0}


def _calls_per_chased_order(repeat_share: float) -> pd.Series:
    """A month of the busy sample-shaped model whose customers all phone 8 h after the
    promise; after a call, `repeat_share` of them phone again 24 h later."""
    params = sample_like_model(churn=False)
    wait = CensoredWait(distribution=expo(8.0), share=1.0, events=100)
    repeat = CensoredWait(distribution=expo(24.0), share=repeat_share, events=100)
    chase = params.chase.model_copy(
        update={"patience": {t.name: wait for t in params.tiers}, "repeat": repeat}
    )
    pools = [p.model_copy(update={"size": 1}) if p.name == "Warehouse" else p for p in params.pools]
    params = params.model_copy(update={"chase": chase, "pools": pools})
    spec = RunSpec(
        params, Policy(), seed=2, horizon_hours=2 * MONTH, warmup_hours=0.0, event_log=True
    )
    events = pd.DataFrame(run_replication(spec, 0).event_columns)
    calls = events[events["concept:name"] == "Customer chase call"]
    return calls.groupby("case:concept:name").size()


def test_customers_who_would_not_phone_again_stay_quiet() -> None:
    """The fitted repeat share is the share who phone again at all: with none, each chased
    order is chased once; with all, late orders are chased again and again."""
    never = _calls_per_chased_order(0.0)
    always = _calls_per_chased_order(1.0)
    assert len(never) > 20 and never.max() == 1
    assert always.max() > 1


def test_each_tier_rings_again_at_its_own_pace() -> None:
    """All tiers' repeat curve says nobody phones again; the top tier's own says everyone
    does, 24 h later: only the top tier's orders are chased more than once, and every
    tier's are chased."""
    params = sample_like_model(churn=False)
    top = params.tiers[0].name
    wait = CensoredWait(distribution=expo(8.0), share=1.0, events=100)
    never = CensoredWait(distribution=expo(24.0), share=0.0, events=100)
    always = CensoredWait(distribution=expo(24.0), share=1.0, events=100)
    chase = params.chase.model_copy(
        update={
            "patience": {t.name: wait for t in params.tiers},
            "repeat": never,
            "repeat_by_tier": {top: always},
        }
    )
    pools = [p.model_copy(update={"size": 1}) if p.name == "Warehouse" else p for p in params.pools]
    params = params.model_copy(update={"chase": chase, "pools": pools})
    sim = Simulation(params, Policy(), replication_streams(2, 0), horizon=2 * MONTH)
    calls: dict[tuple[int, int], int] = {}
    after = sim.calls._next_chase

    def counted(order, now) -> None:
        calls[order.tier, order.id] = calls.get((order.tier, order.id), 0) + 1
        after(order, now)

    sim.calls._next_chase = counted
    sim.run()
    most = pd.Series(calls).groupby(level=0).max()
    assert set(most.index) == set(range(len(params.tiers))), most
    assert most[0] > 1 and (most.drop(0) == 1).all(), most


def test_callers_who_hang_up_spare_customer_service_the_spiral() -> None:
    """One person keys every order and answers every chase of a stretched operation: with
    callers who wait until answered, customer service spends its hours on calls; with a
    5-minute hold, calls nobody takes in time are counted as unanswered, cost nothing, and
    customer service spends fewer hours on the phone (on the same random numbers)."""
    params = sample_like_model(churn=False, customer_service=1)
    pools = [p.model_copy(update={"size": 1}) if p.name == "Warehouse" else p for p in params.pools]
    hold = CallHold(minutes=5.0, redial_hours=(1.0, 3.0), provenance=Provenance(source="default"))
    frames = {}
    for name, h in (("waits", None), ("hangs_up", hold)):
        chase = params.chase.model_copy(update={"hold": h})
        model = params.model_copy(update={"chase": chase, "pools": pools})
        spec = RunSpec(model, Policy(), name, seed=3, horizon_hours=3 * MONTH, warmup_hours=0.0)
        frames[name] = kpi_frame(run_replications(spec, 2), name)
    waits, hangs_up = frames["waits"], frames["hangs_up"]
    assert (values(waits, "chase_calls_unanswered") == 0).all()
    assert (values(hangs_up, "chase_calls_unanswered") > 20).all()
    lost = "hours_lost_to_chase_calls"
    cs = {"pool": "Customer Service"}
    assert (values(hangs_up, lost, **cs) < values(waits, lost, **cs)).all()


def test_event_times_are_the_microseconds_python_would_give() -> None:
    """The event log's times are built as arrays; each must be `timedelta(hours=h)` to the
    microsecond, as when each was built one by one (event logs stay the same)."""
    from datetime import timedelta

    from l2csim.sim.model import _hours_to_microseconds

    rng = np.random.default_rng(3)
    hours = np.concatenate(
        [rng.uniform(0, 9000, 100_000), rng.exponential(2.0, 50_000), np.arange(0, 3, 1 / 3600)]
    )
    expected = [timedelta(hours=float(h)) // timedelta(microseconds=1) for h in hours]
    assert _hours_to_microseconds(hours).astype(np.int64).tolist() == expected


def test_a_closed_week_leaves_its_work_waiting() -> None:
    """The same replications with the company shut for a week (Monday 3 February): the
    same backlog up to it, a higher one after it in every replication."""
    from datetime import date, timedelta

    from l2csim.params import Closures

    params = sample_like_model(churn=False)
    shutdown = [date(2025, 2, 3) + timedelta(days=k) for k in range(5)]
    closed = params.model_copy(update={"closures": Closures(stated=shutdown)})
    frames = {}
    for name, model in (("open", params), ("closed", closed)):
        spec = RunSpec(
            model, Policy(), name, seed=11, horizon_hours=2 * MONTH, warmup_hours=0.0,
            closures=True,
        )  # fmt: skip
        frames[name] = kpi_frame(run_replications(spec, 3), name)

    def backlog_on(frame: pd.DataFrame, day: int) -> np.ndarray:
        rows = frame[(frame["kpi"] == "backlog_daily") & (frame["day"] == day)]
        return rows.sort_values("replication")["value"].to_numpy()

    assert (backlog_on(frames["closed"], 27) == backlog_on(frames["open"], 27)).all()
    unclosed = RunSpec(
        closed, Policy(), "closed", seed=11, horizon_hours=2 * MONTH, warmup_hours=0.0
    )
    as_is = kpi_frame(run_replications(unclosed, 3), "closed")  # what-ifs work through them
    assert (backlog_on(as_is, 33) == backlog_on(frames["open"], 33)).all()
    assert (backlog_on(frames["closed"], 33) > backlog_on(frames["open"], 33) + 5).all()
    # Nobody starts anything on the closed days, and customers do not phone then.
    spec = RunSpec(
        closed, Policy(), "closed", seed=11, horizon_hours=2 * MONTH, warmup_hours=0.0,
        event_log=True, closures=True,
    )  # fmt: skip
    events = pd.DataFrame(run_replication(spec, 0).event_columns)
    staffed = events[events["org:resource"].str.contains("#")]
    started = staffed["start_timestamp"].dt.date
    assert not started.isin(shutdown).any()
    assert started.isin([date(2025, 2, 10)]).any()  # the Monday after: at work again
    calls = events[events["concept:name"] == params.roles.chase_call[0]]
    assert len(calls) > 10 and not calls["start_timestamp"].dt.date.isin(shutdown).any()


def test_customers_do_not_phone_a_closed_company(monkeypatch) -> None:
    """Callers who hang up after 5 minutes, a week's shutdown: chases due then are made when
    the company opens again. Against the same runs where customers still phone on the closed
    days (and nobody answers), far fewer tries go unanswered."""
    from datetime import date, timedelta

    from l2csim.params import Closures
    from l2csim.sim import calls

    params = sample_like_model(churn=False)
    hold = CallHold(minutes=5.0, redial_hours=(1.0, 3.0), provenance=Provenance(source="default"))
    shutdown = [date(2025, 2, 3) + timedelta(days=k) for k in range(5)]
    model = params.model_copy(
        update={
            "chase": params.chase.model_copy(update={"hold": hold}),
            "closures": Closures(stated=shutdown),
        }
    )

    def unanswered() -> np.ndarray:
        spec = RunSpec(
            model, Policy(), "shut", seed=11, horizon_hours=2 * MONTH, warmup_hours=0.0,
            closures=True,
        )  # fmt: skip
        return values(kpi_frame(run_replications(spec, 3), "shut"), "chase_calls_unanswered")

    closed_phone = unanswered()
    built = calls.Calls.__init__

    def ringing_anyway(self, *args, **kwargs) -> None:
        built(self, *args, **kwargs)
        self.closed = frozenset()

    monkeypatch.setattr(calls.Calls, "__init__", ringing_anyway)
    assert (closed_phone + 25 < unanswered()).all()
