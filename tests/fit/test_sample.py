"""Fit on the bundled sample recovers what its generator planted (event_logs/sample_truth.json).

Tolerances: arrival volumes ±3 % (rates are counts over the intake span), routing-derived
shares ±0.01 (a first-order chain reproduces one-step choices exactly), courtesy calls per
order ±5 %, processing times of continuously busy activities ±10 % of the generator's means.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from l2csim.fit import FitOptions, fit_model
from l2csim.fit.routing import visit_probability
from l2csim.inputs import read_inputs_log, resolve_inputs
from l2csim.params import ModelParams, write_params
from l2csim.sample.operation import COURTESY_PRACTICE, WORK_MINUTES

REPO = Path(__file__).resolve().parents[2]
STUDY = REPO / "scenarios" / "study.yaml"
TRUTH = REPO / "event_logs" / "sample_truth.json"


@pytest.fixture(scope="module")
def truth() -> dict:
    return json.loads(TRUTH.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def tier_csv(truth: dict, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The true tier of every customer number (re-keyed numbers carry their master's tier)."""
    path = tmp_path_factory.mktemp("tiers") / "true_tiers.csv"
    pd.DataFrame(truth["customers"])[["cust_no", "tier"]].to_csv(path, index=False)
    return path


@pytest.fixture(scope="module")
def model(tier_csv: Path) -> ModelParams:
    inputs = resolve_inputs(STUDY)
    return fit_model(read_inputs_log(inputs), inputs.study, FitOptions(tier_table=tier_csv))


def test_arrival_volume_per_tier(model: ModelParams, truth: dict) -> None:
    weeks = truth["period"]["days"] / 7
    for tier, planted in truth["tiers"].items():
        fitted = sum(a.orders_per_week for a in model.arrivals if a.tier == tier)
        assert fitted == pytest.approx(planted["orders"] / weeks, rel=0.03), tier
    ranks = {t.name: t.rank for t in model.tiers}
    assert ranks["key_account"] == 0
    promised = {t.name: t.promised_hours for t in model.tiers}
    assert promised["key_account"] < promised["priority"] < promised["occasional"]
    assert all(t.provenance.source == "study" for t in model.tiers)


def test_routing_reproduces_rework_skips_and_informal_steps(
    model: ModelParams, truth: dict
) -> None:
    routing = {r.segment: r for r in model.routing}
    assert sorted(routing) == sorted(truth["rework"]["by_product_line"])
    for line, share in truth["rework"]["by_product_line"].items():
        assert visit_probability(routing[line], "Correct order data") == pytest.approx(
            share, abs=0.01
        )
        skipped = truth["skipped_steps"]["Credit check"][line]
        assert visit_probability(routing[line], "Credit check") == pytest.approx(
            1 - skipped, abs=0.01
        )
    assert visit_probability(routing["Spare parts"], "Check spares dashboard") == pytest.approx(
        truth["informal_activities"]["OM-Spares"]["Check spares dashboard"], abs=0.01
    )
    for r in model.routing:  # calls are raised by the simulation, not routed
        assert "Customer chase call" not in r.transitions
        assert all(sum(row.values()) == pytest.approx(1.0) for row in r.transitions.values())


def test_courtesy_practice(model: ModelParams, truth: dict) -> None:
    """Calls per order kept; each tier's practice per milestone as the generator planted it
    (±0.1), and the share of orders with a call as the truth file reports it (±0.05)."""
    probability = model.courtesy.probability
    for tier in ("key_account", "priority"):
        planted = truth["courtesy_calls"][tier]
        orders = truth["tiers"][tier]["orders"]
        owed_at = truth["tiers"][tier]["courtesy_call_owed_at"]
        milestones_per_order = planted["owed_calls"] / orders / len(owed_at)
        calls_per_order = sum(probability[tier].values()) * milestones_per_order
        assert calls_per_order == pytest.approx(planted["calls_made"] / orders, rel=0.05)
    for tier, practice in COURTESY_PRACTICE.items():
        for milestone in ("Order confirmed", "Shipped", "Delivered"):
            assert probability[tier][milestone] == pytest.approx(
                practice.get(milestone, 0.0), abs=0.1
            ), (tier, milestone)
        none = 1.0
        for share in probability[tier].values():
            none *= 1 - share
        with_call = truth["courtesy_calls"][tier]["share_of_orders_with_call"]
        assert 1 - none == pytest.approx(with_call, abs=0.05), tier
    assert model.courtesy.pool == model.chase.pool


def test_chase_behaviour(model: ModelParams, truth: dict) -> None:
    assert model.chase.expedite_probability == pytest.approx(
        truth["chase_calls"]["share_of_chased_orders_expedited"], abs=0.01
    )
    assert model.chase.provenance.source == "log"
    assert model.chase.expedite_activity == "Expedite order"
    assert model.chase.max_calls >= 2
    pool = next(p for p in model.pools if p.name == model.chase.pool)
    assert set(pool.resources) == set(truth["teams"]["Customer Service"])


def test_busy_activities_processing_times(model: ModelParams) -> None:
    """Completion-only estimate: close for steps staff do back to back (see durations.py)."""
    activities = {a.name: a for a in model.activities}
    for name in ("Key in order", "Credit check", "Order confirmed", "Shipped", "Invoice sent"):
        assert activities[name].duration.mean * 60 == pytest.approx(WORK_MINUTES[name], rel=0.1)


def test_pools_follow_the_teams(model: ModelParams, truth: dict) -> None:
    by_resources = {frozenset(p.resources): p for p in model.pools}
    for team in ("OM-North", "OM-Spares", "Projects", "Warehouse", "Finance"):
        pool = by_resources[frozenset(truth["teams"][team])]
        assert pool.size == len(truth["teams"][team])
        assert pool.calendar.weekdays == [0, 1, 2, 3, 4]
    external = {p.name: p for p in model.pools if p.external}
    carriers = {r for p in external.values() for r in p.resources if r.startswith("Carrier")}
    assert len(external) == 2 and len(carriers) == 3
    delivered = next(a for a in model.activities if a.name == "Delivered")
    # Carrier transit: the carriers' own time in their working hours, never a queue.
    assert delivered.pool in external and delivered.delay is None
    assert "in its working hours" in delivered.duration.provenance.detail
    assert 7 < delivered.duration.mean < 30  # 1-3 days of transit, counted in their hours
    key_in = next(a for a in model.activities if a.name == "Credit check")
    assert len({key_in.pool, *key_in.pool_by_segment.values()}) == 3  # one team per line


def test_same_log_gives_identical_file(model: ModelParams, tier_csv: Path, tmp_path) -> None:
    inputs = resolve_inputs(STUDY)
    again = fit_model(read_inputs_log(inputs), inputs.study, FitOptions(tier_table=tier_csv))
    first = write_params(model, tmp_path / "a.json").read_bytes()
    assert write_params(again, tmp_path / "b.json").read_bytes() == first
