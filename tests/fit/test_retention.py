"""fit's retention: the customers analysis' churn model as it is, or no churn (stated)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from customers.churn_logs import Tier, World, generate
from l2csim.customers.churn import fit_retention
from l2csim.customers.profiles import profile_customers
from l2csim.errors import InputError
from l2csim.fit.retention import default_retention, load_retention
from l2csim.study import ChurnSpec


def write_model(tmp_path: Path, world: World, spec: ChurnSpec | None = None) -> Path:
    orders, _ = generate(world)
    as_of = orders["received"].max()
    profile = profile_customers(orders, as_of)
    model = fit_retention(orders, profile, spec or ChurnSpec(), as_of)
    path = tmp_path / "retention_model.json"
    path.write_text(json.dumps(model), encoding="utf-8")
    return path


def test_a_fitted_model_is_read_with_tiers_effects_and_the_model_without_them(
    tmp_path: Path,
) -> None:
    path = write_model(tmp_path, World())
    document = json.loads(path.read_text())
    params = load_retention(path)
    sim = document["simulation"]
    assert params.enabled and params.intercept == sim["intercept"]
    assert params.tier_offsets == sim["tier_offsets"] and "key_account" in params.tier_offsets
    assert params.churn_tiers == ["key_account", "regular"]
    assert params.coefficients == sim["effects"]
    assert params.tier_only is not None
    assert params.tier_only.intercept == sim["tier_only"]["intercept"]
    late = params.effects["late_orders"]
    assert late.status == "estimated" and late.ci_low < late.estimate < late.ci_high
    assert late.deliveries_with > 0 and late.churned_with > 0
    assert params.provenance.source == "retention_model"
    assert "stated hypothesis" in params.provenance.detail
    # What each tier's rate rests on, for the fit's parameter draws.
    for tier in ("key_account", "regular"):
        entry = document["tiers"][tier]
        evidence = params.tier_evidence[tier]
        assert evidence.churned == entry["churned_at_risk"]
        assert evidence.trials == entry["deliveries_at_risk"]
        assert evidence.prior_trials == entry["evidence"].get("prior_trials")
    assert "key_account, regular pooled as far as the log cannot tell" in params.provenance.detail


def test_malformed_churn_evidence_is_one_clear_message(tmp_path: Path) -> None:
    path = write_model(tmp_path, World())
    document = json.loads(path.read_text())
    document["simulation"]["tier_evidence"]["regular"] = {"churned": 2, "trials": 0}
    path.write_text(json.dumps(document), encoding="utf-8")
    with pytest.raises(
        InputError, match=r"tier_evidence\.regular needs churned >= 0 and trials > 0"
    ):
        load_retention(path)
    document["simulation"]["tier_evidence"]["regular"] = {
        "churned": 2,
        "trials": 79,
        "prior_churned": 5.0,
        "prior_trials": 4.0,
    }
    path.write_text(json.dumps(document), encoding="utf-8")
    with pytest.raises(
        InputError, match=r"tier_evidence\.regular needs 0 < prior_churned < prior_trials"
    ):
        load_retention(path)
    del document["simulation"]["tier_evidence"]  # a file of an older version: rates as fitted
    path.write_text(json.dumps(document), encoding="utf-8")
    assert load_retention(path).tier_evidence == {}


def test_tier_rates_only_carry_zero_effects(tmp_path: Path) -> None:
    few = World(
        tiers=(Tier("key_account", 40, 9.0, -9.0, 1.0), Tier("regular", 40, 16.0, -7.5, 0.3))
    )
    params = load_retention(write_model(tmp_path, few))
    assert set(params.coefficients.values()) == {0.0}
    assert all(e.status == "not_estimable" for e in params.effects.values())
    assert "no experience effects" in params.provenance.detail


def test_churn_off_is_read_as_off(tmp_path: Path) -> None:
    path = tmp_path / "retention_model.json"
    orders, _ = generate(World())
    off = fit_retention(orders, None, ChurnSpec(), orders["received"].max(), reason="no customers")
    path.write_text(json.dumps(off))
    params = load_retention(path)
    assert not params.enabled and "no customers" in params.provenance.detail


def test_without_a_model_nothing_churns_and_it_says_so() -> None:
    params = default_retention()
    assert not params.enabled and params.provenance.source == "default"
    assert "churn is not simulated" in params.provenance.detail


def test_an_older_model_and_a_stated_model_are_still_read(tmp_path: Path) -> None:
    old = tmp_path / "old.json"
    old.write_text(
        json.dumps(
            {
                "schema": "l2csim/retention-model/1",
                "source": "fitted",
                "coefficients": {"const": {"estimate": -4.5}, "late": {"estimate": 0.7}},
            }
        )
    )
    params = load_retention(old)
    assert params.intercept == -4.5 and params.coefficients == {"late_orders": 0.7}
    stated = tmp_path / "stated.json"
    stated.write_text(json.dumps({"intercept": -5.0, "coefficients": {"chase_calls": 0.2}}))
    params = load_retention(stated)
    assert params.enabled and params.provenance.source == "study"
    broken = tmp_path / "broken.json"
    broken.write_text(
        json.dumps({"schema": "l2csim/retention-model/2", "simulation": {"enabled": True}})
    )
    with pytest.raises(InputError, match="simulation block is incomplete"):
        load_retention(broken)
