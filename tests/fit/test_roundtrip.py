"""Fit round trip: generate a log from a known model, fit it, recover the model.

The simulator (`l2csim.sim`) is built in parallel and had no event-log output when this was
written, so the log comes from a small numpy generator: Poisson order arrivals per segment,
a known first-order Markov chain per segment (with a rework loop), exponential processing
times with start and end timestamps, exponential waits between steps. Tolerances are about
three standard errors of each estimate at this size: arrival rates ±6 %, transition
probabilities ±0.03, mean processing times ±8 %. Shipping is shared by four people: one
person shipping every order would work on two orders at once, which only a system does.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from l2csim.fit import fit_model
from l2csim.inputs import read_inputs_log, resolve_inputs
from l2csim.params import END_NODE, START_NODE, ModelParams

DAYS = 120
RATE_PER_WEEK = {"north": 120.0, "south": 60.0}
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
MEAN_HOURS = {"Receive": 0.1, "Check": 0.5, "Fix data": 0.75, "Ship": 2.0}
STAFF = {
    "Receive": ["Ann", "Bo"],
    "Check": ["Cy", "Di"],
    "Fix data": ["Cy", "Di"],
    "Ship": ["Ed", "Flo", "Gus", "Hal"],
}


def generate(rng: np.random.Generator) -> pd.DataFrame:
    rows = []
    start = pd.Timestamp("2025-01-06", tz="UTC")
    case = 0
    for segment, per_week in RATE_PER_WEEK.items():
        n = rng.poisson(per_week * DAYS / 7)
        arrivals = np.sort(rng.uniform(0, DAYS * 24, n))
        for arrival in arrivals:
            case += 1
            node, clock = START_NODE, float(arrival)
            while True:
                row = CHAINS[segment][node]
                node = rng.choice(list(row), p=list(row.values()))
                if node == END_NODE:
                    break
                began = clock + (0.0 if node == "Receive" else rng.exponential(1.0))
                clock = began + rng.exponential(MEAN_HOURS[node])
                rows.append((case, node, began, clock, rng.choice(STAFF[node]), segment))
    frame = pd.DataFrame(rows, columns=["order", "step", "began", "ended", "who", "segment"])
    for column in ("began", "ended"):
        frame[column] = (start + pd.to_timedelta(frame[column], unit="h")).dt.strftime(
            "%Y-%m-%dT%H:%M:%S.%f+00:00"
        )
    frame["order"] = "O" + frame["order"].astype(str)
    return frame


@pytest.fixture(scope="module")
def fitted(tmp_path_factory: pytest.TempPathFactory) -> tuple[pd.DataFrame, ModelParams]:
    folder = tmp_path_factory.mktemp("roundtrip")
    frame = generate(np.random.default_rng(2026))
    frame.to_csv(folder / "log.csv", index=False)
    (folder / "study.yaml").write_text(
        "log:\n  path: log.csv\n  columns: {case: order, activity: step, timestamp: ended,\n"
        "    start_timestamp: began, resource: who}\n  case_attributes: [segment]\n"
        "roles: {rework: Fix data}\nsegments: [segment]\n",
        encoding="utf-8",
    )
    # Receive is staff work here: no order_received role, which marks an outside intake
    # channel (an external pool without work time).
    inputs = resolve_inputs(folder / "study.yaml")
    return frame, fit_model(read_inputs_log(inputs), inputs.study)


def test_arrival_rates(fitted) -> None:
    _, model = fitted
    rates = {a.segment: a.orders_per_week for a in model.arrivals}
    for segment, rate in RATE_PER_WEEK.items():
        assert rates[segment] == pytest.approx(rate, rel=0.06)


def test_routing_probabilities(fitted) -> None:
    _, model = fitted
    for routing in model.routing:
        truth = CHAINS[routing.segment]
        assert set(routing.transitions) == set(truth)
        for source, row in truth.items():
            assert set(routing.transitions[source]) == set(row)
            for target, share in row.items():
                assert routing.transitions[source][target] == pytest.approx(share, abs=0.03)


def test_mean_processing_times(fitted) -> None:
    _, model = fitted
    for activity in model.activities:
        assert activity.duration.mean == pytest.approx(MEAN_HOURS[activity.name], rel=0.08)
        assert activity.duration.n > 300
    ship = next(a for a in model.activities if a.name == "Ship")
    assert ship.duration.kind in ("exponential", "gamma", "weibull")


def test_pools_from_who_does_what(fitted) -> None:
    _, model = fitted
    pool_of = {a.name: a.pool for a in model.activities}
    assert pool_of["Check"] == pool_of["Fix data"]
    assert len({pool_of["Receive"], pool_of["Check"], pool_of["Ship"]}) == 3
    sizes = {p.name: p.size for p in model.pools}
    assert sizes[pool_of["Ship"]] == 4 and sizes[pool_of["Check"]] == 2


def test_a_step_recorded_without_its_start_in_a_log_of_pairs_is_estimated(tmp_path) -> None:
    """A log of start/complete pairs where one step, the customer's reply, is recorded by a
    clerk at its end only, days after the offer: its work is estimated from the clerk's
    previous completion (minutes), not read as zero or as the customer's days of waiting."""
    rng = np.random.default_rng(5)
    start = pd.Timestamp("2025-01-06 08:00", tz="UTC")
    rows = []
    for case in range(600):
        day = start + pd.Timedelta(days=int(case // 30) * 7 // 5)
        sent_begin = day + pd.Timedelta(hours=float(rng.uniform(0, 7)))
        sent_end = sent_begin + pd.Timedelta(minutes=30)
        reply = (sent_end + pd.Timedelta(days=3)).normalize() + pd.Timedelta(
            hours=8 + (case % 30) * 0.25 + 0.2
        )
        check_end = reply + pd.Timedelta(minutes=6)
        rows += [
            (f"C{case}", "Send offer", sent_begin, sent_end, "Ann"),
            (f"C{case}", "Offer returned", pd.NaT, reply, "Bo"),
            (f"C{case}", "Check offer", reply, check_end, "Bo"),
        ]
    frame = pd.DataFrame(rows, columns=["order", "step", "began", "ended", "who"])
    frame.to_csv(tmp_path / "log.csv", index=False)
    (tmp_path / "study.yaml").write_text(
        "log:\n  path: log.csv\n  columns: {case: order, activity: step, timestamp: ended,\n"
        "    start_timestamp: began, resource: who}\n",
        encoding="utf-8",
    )
    inputs = resolve_inputs(tmp_path / "study.yaml")
    model = fit_model(read_inputs_log(inputs), inputs.study)
    returned = next(a for a in model.activities if a.name == "Offer returned")
    assert 0.05 < returned.duration.mean < 1.0, returned.duration
