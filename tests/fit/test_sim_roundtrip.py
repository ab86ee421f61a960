"""Fit round trip through the simulator: simulate a known model with `l2csim.sim`, write
its event log, fit that log, and recover the model.

The model: two segments with Poisson intake, a rework loop in one, exponential processing
times, pools working around the clock (so working hours equal elapsed hours) with enough
staff that nobody waits long, no calls and no churn. Tolerances, about three standard
errors at this size: arrival rates ±8 %, transition probabilities ±0.04, mean processing
times ±10 %.
"""

from __future__ import annotations

import pytest

from l2csim.fit import fit_model
from l2csim.inputs import read_inputs_log, resolve_inputs
from l2csim.params import (
    END_NODE,
    START_NODE,
    ActivityParams,
    ArrivalPattern,
    Arrivals,
    Calendar,
    ChaseBehaviour,
    CourtesyPractice,
    Distribution,
    ModelParams,
    Pool,
    Provenance,
    RetentionParams,
    Routing,
    Tier,
    write_params,
)
from l2csim.settings import RunSettings
from l2csim.sim.run import simulate

STATED = Provenance(source="study", detail="round-trip test model")
ALWAYS = Calendar(weekdays=list(range(7)), start_hour=0, end_hour=24, provenance=STATED)
RATES = {"north": 100.0, "south": 50.0}
CHAINS = {
    "north": {
        START_NODE: {"Receive": 1.0},
        "Receive": {"Check": 0.7, "Fix data": 0.3},
        "Fix data": {"Check": 1.0},
        "Check": {"Ship": 0.8, "Fix data": 0.2},
        "Ship": {END_NODE: 1.0},
    },
    "south": {
        START_NODE: {"Receive": 1.0},
        "Receive": {"Ship": 0.6, "Check": 0.4},
        "Check": {"Ship": 1.0},
        "Ship": {END_NODE: 1.0},
    },
}
MEAN_HOURS = {"Receive": 0.2, "Check": 0.5, "Fix data": 0.75, "Ship": 1.5}
POOL_OF = {"Receive": "intake", "Check": "office", "Fix data": "office", "Ship": "dock"}


def hours(mean: float) -> Distribution:
    return Distribution(kind="exponential", mean=mean, params={"mean": mean}, provenance=STATED)


def known_model() -> ModelParams:
    return ModelParams(
        tiers=[
            Tier(
                name="all",
                rank=0,
                customers=200,
                promised_hours=10_000,
                mean_order_value=100,
                provenance=STATED,
            )
        ],
        arrivals=[
            Arrivals(tier="all", segment=s, orders_per_week=r, provenance=STATED)
            for s, r in RATES.items()
        ],
        arrival_pattern=ArrivalPattern(
            weekday_weights=[1 / 7] * 7, hour_weights=[1 / 24] * 24, provenance=STATED
        ),
        routing=[
            Routing(segment=s, transitions=chain, cases=0, provenance=STATED)
            for s, chain in CHAINS.items()
        ],
        activities=[
            ActivityParams(name=a, pool=POOL_OF[a], duration=hours(m))
            for a, m in MEAN_HOURS.items()
        ],
        pools=[
            Pool(name=name, size=size, calendar=ALWAYS, provenance=STATED)
            for name, size in (("intake", 3), ("office", 4), ("dock", 5), ("service", 1))
        ],
        chase=ChaseBehaviour(
            patience_after_promise=hours(10_000),
            repeat_after=hours(10_000),
            max_calls=0,
            call=hours(0.1),
            pool="service",
            expedite_probability=0.0,
            provenance=STATED,
        ),
        courtesy=CourtesyPractice(
            probability={}, call=hours(0.1), pool="service", provenance=STATED
        ),
        retention=RetentionParams(intercept=-30.0, coefficients={}, provenance=STATED),
    )


@pytest.fixture(scope="module")
def fitted(tmp_path_factory: pytest.TempPathFactory) -> ModelParams:
    folder = tmp_path_factory.mktemp("simtrip")
    model_file = write_params(known_model(), folder / "model.json")
    simulate(
        model_file,
        folder / "sim",
        RunSettings(replications=1, seed=11, horizon="100d", warmup="1d", event_log=True),
    )
    (folder / "study.yaml").write_text(
        "log:\n  path: sim/events.csv\nsegments: ['case:segment']\n",
        encoding="utf-8",
    )
    # Receive is staff work here: no order_received role, which marks an outside intake
    # channel (an external pool without work time).
    inputs = resolve_inputs(folder / "study.yaml")
    return fit_model(read_inputs_log(inputs), inputs.study)


def test_arrival_rates(fitted: ModelParams) -> None:
    rates = {a.segment: a.orders_per_week for a in fitted.arrivals}
    assert {a.tier for a in fitted.arrivals} == {"all"}
    for segment, rate in RATES.items():
        assert rates[segment] == pytest.approx(rate, rel=0.08)


def test_routing_probabilities(fitted: ModelParams) -> None:
    for routing in fitted.routing:
        truth = CHAINS[routing.segment]
        assert set(routing.transitions) == set(truth)
        for source, row in truth.items():
            for target, share in row.items():
                assert routing.transitions[source][target] == pytest.approx(share, abs=0.04)


def test_mean_processing_times_and_pools(fitted: ModelParams) -> None:
    for activity in fitted.activities:
        assert activity.duration.mean == pytest.approx(MEAN_HOURS[activity.name], rel=0.1)
    pool_of = {a.name: a.pool for a in fitted.activities}
    assert pool_of["Check"] == pool_of["Fix data"] != pool_of["Ship"]
