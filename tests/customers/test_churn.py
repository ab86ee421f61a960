"""The churn label and model against known truth: generated order tables (churn_logs.py)
and the bundled sample's planted churned customers and stopped key accounts."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pandas as pd
import pytest

from customers.churn_logs import DAY, START, Tier, World, generate
from l2csim.customers.churn import (
    CENSORED,
    CHURNED,
    NOT_JUDGED,
    _pooled_rates,
    churn_probability,
    fit_retention,
    label_churn,
    rate_posterior,
    tier_rate,
)
from l2csim.customers.profiles import profile_customers
from l2csim.study import ChurnSpec

REPO = Path(__file__).resolve().parents[2]


def analyse(world: World, spec: ChurnSpec | None = None, seed: int = 7):
    orders, truth = generate(world, seed)
    as_of = orders["received"].max()
    profile = profile_customers(orders, as_of)
    spec = spec or ChurnSpec()
    labels = label_churn(profile, spec)
    model = fit_retention(orders, profile, spec, as_of, until=orders["delivered"].max())
    return orders, truth, labels, model


@pytest.fixture(scope="module")
def known():
    return analyse(World())


def test_label_is_precise_and_censors_the_latest_leavers(known) -> None:
    _orders, truth, labels, model = known
    churned = set(labels.index[labels["status"] == CHURNED])
    assert churned <= set(truth)  # nobody still ordering is called churned
    assert len(churned) >= 0.8 * len(truth)
    missed = set(truth) - churned
    # Who left but is not labelled left too recently to tell (censored) or after too few
    # orders to know its rhythm (not judged).
    status = labels.loc[sorted(missed), "status"]
    assert status.isin([CENSORED, NOT_JUDGED]).all()
    assert (labels.loc[status.index[status == NOT_JUDGED], "orders"] < 4).all()
    left_at = pd.Series(truth)
    censored = status.index[status == CENSORED]
    assert left_at[censored].min() > left_at[sorted(churned)].median()
    label = model["label"]
    assert label["judged"] == label["churned"] + label["censored"]
    assert label["judged"] + label["not_judged"] == label["customers"] == len(labels)


def test_too_few_orders_are_not_judged() -> None:
    orders, _truth = generate(World())
    orders = orders.groupby("customer").head(3)  # at most 3 orders each
    profile = profile_customers(orders, orders["received"].max())
    labels = label_churn(profile, ChurnSpec())
    assert (labels["status"] == NOT_JUDGED).all()


def test_effects_are_recovered_with_tier_first(known) -> None:
    """Courtesy calls go with the key-account tier, which rarely leaves: with tier in the
    model the courtesy effect is read within tier and the interval covers the truth."""
    _, _, _, model = known
    assert model["source"] == "fitted"
    truth = World().effects
    for name, value in truth.items():
        entry = model["coefficients"][name]
        assert entry["status"] == "estimated"
        assert entry["ci_low"] <= value <= entry["ci_high"], (name, entry)
        assert entry["deliveries_with"] > 0 and entry["churned_with"] > 0
    key = model["tiers"]["key_account"]
    assert key["offset"]["ci_high"] < 0  # key accounts leave less, whatever their calls
    assert model["fit"]["experience_test"]["p_value"] < 0.001
    assert "hypothesis" in model["hypothesis"]


def test_simulated_rate_matches_the_log(known) -> None:
    """Each tier's rate per delivery times its orders a year: within 20 % of who really left."""
    _, truth, _, model = known
    per_year = len(truth) / (World().days / 365.25)
    assert model["churn_per_year"]["expected"] == pytest.approx(per_year, rel=0.2)
    # The model without the experience hypothesis: the same tiers, own rates.
    sim = model["simulation"]
    assert set(sim["tier_only"]["tier_offsets"]) == {"key_account"}
    assert sim["churn_tiers"] == ["key_account", "regular"]


def test_a_tier_that_never_churns_gets_a_rate_not_minus_twenty() -> None:
    """Its rate is its posterior mean under the pooled tiers' prior: above 0, and below the
    Jeffreys estimate where the other tiers' rates differ so much that the prior weighs
    little."""
    world = World(
        tiers=(*World().tiers, Tier("contract", 40, 12.0, -40.0, 0.5)),
    )
    _, _, _, model = analyse(world)
    contract = model["tiers"]["contract"]
    assert contract["churned_at_risk"] == 0 and contract["deliveries_at_risk"] > 500
    n = contract["deliveries_at_risk"]
    evidence = contract["evidence"]
    assert contract["rate"] == pytest.approx(
        evidence["prior_churned"] / (n + evidence["prior_trials"]), rel=1e-2
    )
    assert 0 < contract["rate"] < 0.5 / (n + 1)
    assert "pooled" in contract["method"] and 0 <= contract["rate_ci_low"] < contract["rate"]
    offset = model["simulation"]["tier_offsets"]["contract"]
    assert -9 < offset < 0
    # Without the experience effects the tier churns at exactly its rate.
    tier_only = model["simulation"]["tier_only"]
    z = tier_only["intercept"] + tier_only["tier_offsets"]["contract"]
    rate = 1 / (1 + math.exp(-z))
    assert rate == pytest.approx(contract["rate"], rel=1e-2)


def test_a_tier_with_few_deliveries_at_risk_borrows_the_yearly_hazard() -> None:
    """A slow tier (15 customers ordering every 75 days: 66 deliveries at risk, none churned)
    would get 0.5 / 67 per delivery from its own data, and one churned customer more would
    make it 1.5 %; it borrows the others' chance of leaving a year instead, for its judged
    customers, spread over its orders, so its expected losses a year stay those of its
    customers with a rhythm at the log's yearly hazard."""
    world = World(tiers=(*World().tiers, Tier("occasional", 15, 75.0, -5.2, 0.0)))
    orders, _, _, model = analyse(world)
    slow = model["tiers"]["occasional"]
    assert slow["deliveries_at_risk"] < 100 and slow["rate_source"] == "borrowed"
    assert "deliveries at risk" in slow["method"]
    for tier in ("key_account", "regular"):
        assert model["tiers"][tier]["rate_source"] == "own"
    years = (orders["received"].max() - orders["received"].min()) / DAY / 365.25
    per_year = (orders["tier"] == "occasional").sum() / years
    expected = model["churn_per_year"]["expected_by_tier"]["occasional"]
    assert expected == pytest.approx(per_year * slow["rate"], rel=0.01)
    hazard = float(slow["method"].split("log's ")[1].split("%")[0]) / 100
    assert expected == pytest.approx(hazard * slow["judged"], rel=0.02)
    assert slow["rate_ci_low"] < slow["rate"] < slow["rate_ci_high"]
    # The fit keeps the slow tier out of the likelihood and matches its borrowed rate.
    tiers = model["tiers"]
    own = tiers["key_account"]["deliveries_at_risk"] + tiers["regular"]["deliveries_at_risk"]
    assert model["fit"]["deliveries"] == own
    offset = model["tiers"]["occasional"]["offset"]
    assert "borrowed rate" in offset["note"]
    sim = model["simulation"]
    z = sim["tier_only"]["intercept"] + sim["tier_only"]["tier_offsets"]["occasional"]
    assert 1 / (1 + math.exp(-z)) == pytest.approx(slow["rate"], rel=0.02)
    # What each rate rests on, for the parameter draws: its own churned customers in its
    # deliveries at risk, or the pooled churned customers over the pooled exposure.
    evidence = sim["tier_evidence"]
    for tier in ("key_account", "regular"):
        assert {k: evidence[tier][k] for k in ("churned", "trials")} == {
            "churned": tiers[tier]["churned_at_risk"],
            "trials": float(tiers[tier]["deliveries_at_risk"]),
        }
    pooled = sum(t["churned_at_risk"] for t in tiers.values())
    assert evidence["occasional"]["churned"] == pooled > 0
    assert pooled / evidence["occasional"]["trials"] == pytest.approx(slow["rate"], rel=1e-3)


def test_one_time_buyers_never_churn_in_the_model() -> None:
    _, _, _, model = analyse(World(one_time_buyers=200))
    one_time = model["tiers"]["one_time"]
    assert one_time["not_judged"] == 200 and one_time["rate"] is None
    assert "one_time" not in model["simulation"]["churn_tiers"]
    experience = pd.DataFrame({"late": [1.0], "chase_calls": [3.0], "courtesy_calls": [0.0]})
    assert churn_probability(model, experience, pd.Series(["one_time"]))[0] == 0.0


def test_an_effect_the_data_cannot_estimate_is_zero_and_said_so() -> None:
    world = World(
        tiers=tuple(
            Tier(t.name, t.customers, t.cadence_days, t.base_logit, 0.0) for t in World().tiers
        )
    )
    _, _, _, model = analyse(world)
    courtesy = model["coefficients"]["courtesy_calls"]
    assert courtesy["status"] == "not_estimable" and courtesy["estimate"] == 0.0
    assert "no variation" in courtesy["note"]
    assert model["simulation"]["effects"]["courtesy_calls"] == 0.0
    assert model["coefficients"]["chase_calls"]["status"] == "estimated"


def test_too_few_churned_customers_give_tier_rates_and_no_effects() -> None:
    world = World(
        tiers=(Tier("key_account", 40, 9.0, -9.0, 1.0), Tier("regular", 40, 16.0, -7.5, 0.3))
    )
    _, _truth, _, model = analyse(world)
    assert model["source"] == "tier_rates"
    assert "too few to estimate experience effects" in model["reason"]
    assert model["sample"]["churned_customers"] < 8
    for name in ("late", "chase_calls", "courtesy_calls"):
        assert model["coefficients"][name]["status"] == "not_estimable"
        assert model["coefficients"][name]["estimate"] == 0.0
    sim = model["simulation"]
    assert sim["enabled"] and set(sim["effects"].values()) == {0.0}
    assert sim["intercept"] == sim["tier_only"]["intercept"]


def test_the_study_fallback_is_used_only_when_the_study_sets_it() -> None:
    world = World(
        tiers=(Tier("key_account", 40, 9.0, -9.0, 1.0), Tier("regular", 40, 16.0, -7.5, 0.3))
    )
    spec = ChurnSpec(fallback={"const": -6.0, "late": 0.5})
    _, _, _, model = analyse(world, spec)
    assert model["source"] == "study_fallback" and "an assumption" in model["reason"]
    assert model["coefficients"]["late"]["status"] == "assumed"
    assert model["simulation"]["intercept"] == -6.0
    assert model["simulation"]["effects"]["chase_calls"] == 0.0
    with pytest.raises(ValueError, match="unknown term"):
        ChurnSpec(fallback={"const": -6.0, "rework": 1.0})


def test_no_customers_switch_churn_off() -> None:
    orders, _ = generate(World())
    model = fit_retention(
        orders, None, ChurnSpec(), orders["received"].max(), reason="no customer column"
    )
    assert model["source"] == "off" and model["simulation"] == {"enabled": False}
    assert model["reason"] == "no customer column"
    assert churn_probability(model, pd.DataFrame({"late": [1.0]}))[0] == 0.0


def test_nobody_judged_switches_churn_off() -> None:
    orders, _ = generate(World())
    orders = orders.groupby("customer").head(3)
    profile = profile_customers(orders, orders["received"].max())
    model = fit_retention(orders, profile, ChurnSpec(), orders["received"].max())
    assert model["source"] == "off" and "churn is not simulated" in model["reason"]


def test_the_review_date_bounds_what_is_known() -> None:
    """Reviewed a year earlier, the model sees only the first year: fewer deliveries at risk,
    and the label stays precise (a long gap now and then is what 97.5 % allows)."""
    orders, truth = generate(World())
    as_of = START + 365 * DAY
    early = orders.loc[orders["received"] <= as_of]
    profile = profile_customers(early, as_of)
    labels = label_churn(profile, ChurnSpec())
    churned = set(labels.index[labels["status"] == CHURNED])
    really = {c for c, left in truth.items() if left <= 365}
    assert len(churned & really) >= 0.9 * len(churned)
    model = fit_retention(early, profile, ChurnSpec(), as_of, labels=labels)
    assert model["sample"]["deliveries"] < 0.6 * len(orders)


# --- the bundled sample ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory):
    from l2csim.customers.run import run
    from l2csim.inputs import resolve_inputs

    out = tmp_path_factory.mktemp("sample-churn")
    result = run(resolve_inputs(REPO / "scenarios" / "study.yaml"), out)
    truth = json.loads((REPO / "event_logs" / "sample_truth.json").read_text(encoding="utf-8"))
    return result, out, truth


def test_sample_label_finds_who_left_and_nobody_else(sample) -> None:
    result, out, truth = sample
    master = {c["cust_no"]: c["master"] for c in truth["customers"]}
    left = {c["cust_no"] for c in truth["churned_customers"]}
    left |= {c["cust_no"] for c in truth["stopped_key_accounts"]}
    customers = pd.read_csv(out / "customers.csv", dtype={"customer_id": str})
    own = customers[customers["is_canonical"]]
    labelled = {master.get(c, c) for c in own.loc[own["churn_status"] == CHURNED, "customer_id"]}
    precision = len(labelled & left) / len(labelled)
    recall = len(labelled & left) / len(left)
    assert precision >= 0.9  # the old "3 cadences" rule called 37 churned here
    assert recall >= 0.45  # the rest left too late to tell, or after too few orders
    stopped = {c["cust_no"] for c in truth["stopped_key_accounts"]}
    assert stopped <= labelled
    assert any("customers judged" in m and "censored" in m for m in result.messages)


def test_sample_model_puts_tier_first_and_matches_the_logs_churn(sample) -> None:
    result, _, truth = sample
    model = result.retention
    assert model["source"] == "fitted"
    assert model["tiers"]["key_account"]["offset"]["estimate"] < 0
    assert model["simulation"]["churn_tiers"] == ["key_account", "occasional", "priority"]
    left = len(truth["churned_customers"]) + len(truth["stopped_key_accounts"])
    days = truth["period"]["days"]
    assert model["churn_per_year"]["expected"] == pytest.approx(left * 365.25 / days, rel=0.5)
    chase = model["coefficients"]["chase_calls"]
    assert chase["status"] == "estimated" and chase["ci_low"] > 0  # the sample's planted cause


def _own(churned: int, deliveries: int) -> dict:
    return {"rate_source": "own", "churned_at_risk": churned, "deliveries_at_risk": deliveries}


def test_tiers_the_log_cannot_tell_apart_are_pooled_and_distinct_ones_kept() -> None:
    """2 churned in 79 deliveries beside 0 in 172 is chance, not a 2.5 % tier: its rate comes
    down toward the pooled 0.8 %. 40 in 1,000 beside 2 in 1,000 is no chance: each
    keeps nearly its own rate."""
    close = _pooled_rates({"priority": _own(2, 79), "key_account": _own(0, 172)})
    pooled = 2 / 251
    assert pooled < close["priority"]["rate"] < 0.75 * 2 / 79
    assert 0 < close["key_account"]["rate"] < pooled
    evidence = close["priority"]["evidence"]
    assert evidence["prior_churned"] / evidence["prior_trials"] == pytest.approx(pooled, rel=1e-3)
    a, b = rate_posterior(2, 79, evidence["prior_churned"], evidence["prior_trials"])
    assert close["priority"]["rate"] == pytest.approx(a / (a + b), rel=1e-4)
    assert close["priority"]["rate"] == pytest.approx(tier_rate(2, 79, a - 2, a + b - 79), 1e-4)

    apart = _pooled_rates({"regular": _own(40, 1000), "key_account": _own(2, 1000)})
    for tier, own in (("regular", 0.04), ("key_account", 0.002)):
        # moved by less than a tenth of the way to the pooled 2.1 %
        assert abs(apart[tier]["rate"] - own) < 0.1 * abs(0.021 - own)
    # One tier, or none churned: nothing to pool, the rates stay as they were.
    alone = _pooled_rates({"regular": _own(2, 79)})
    assert "evidence" not in alone["regular"]
    quiet = _pooled_rates({"regular": _own(0, 79), "key_account": _own(0, 100)})
    assert "evidence" not in quiet["regular"]
