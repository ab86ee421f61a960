"""Churn in the simulation: tiers that churn, the model without the experience hypothesis,
and the with/without counts side by side in one run."""

from __future__ import annotations

import math

import numpy as np
import pytest

from l2csim.params import Provenance, RetentionParams, RetentionTierOnly
from l2csim.policy import Policy
from l2csim.sim.replications import RunSpec, kpi_frame, run_replications
from l2csim.sim.retention import churn_probability, churns
from sim_models import sample_like_model

STATED = Provenance(source="retention_model", detail="test")
FITTED = RetentionParams(
    intercept=-4.0,
    coefficients={"late_orders": 1.5, "chase_calls": 0.6, "courtesy_calls": -0.3},
    tier_offsets={"key_account": -2.0, "occasional": 0.3},
    churn_tiers=["key_account", "priority", "occasional"],
    tier_only=RetentionTierOnly(intercept=-3.6, tier_offsets={"key_account": -2.2}),
    provenance=STATED,
)


def values(frame, kpi: str, tier: str = "") -> np.ndarray:
    rows = frame[(frame["kpi"] == kpi) & (frame["tier"] == tier) & (frame["segment"] == "")]
    return rows.sort_values("replication")["value"].to_numpy()


def test_probability_by_tier_experience_and_hypothesis() -> None:
    bad = [(1, 2, 0)]
    z = -4.0 - 2.0 + 1.5 + 1.2
    assert churn_probability(FITTED, "key_account", bad) == pytest.approx(1 / (1 + math.exp(-z)))
    # Without the hypothesis: the tier's own rate, whatever happened to the order.
    without = churn_probability(FITTED, "key_account", bad, experience=False)
    assert without == pytest.approx(1 / (1 + math.exp(3.6 + 2.2)))
    assert churn_probability(FITTED, "priority", [], experience=False) == pytest.approx(
        1 / (1 + math.exp(3.6))
    )
    # Tiers never judged (one-time buyers) and a model with churn off lose nobody.
    assert not churns(FITTED, "one_time")
    assert churn_probability(FITTED, "one_time", bad) == 0.0
    off = FITTED.model_copy(update={"enabled": False})
    assert churn_probability(off, "priority", bad) == 0.0
    assert churn_probability(off, "priority", bad, experience=False) == 0.0


def run(retention: RetentionParams, policy: Policy, replications: int = 2):
    params = sample_like_model(churn=True).model_copy(update={"retention": retention})
    spec = RunSpec(params, policy, seed=3, horizon_hours=24 * 200, warmup_hours=24 * 20)
    return kpi_frame(run_replications(spec, replications), "x")


def test_every_run_counts_churn_with_and_without_the_hypothesis() -> None:
    with_effects = run(FITTED, Policy())
    without = run(FITTED, Policy.model_validate({"retention": {"experience_effects": False}}))
    # The same streams: the tier-only count does not depend on the policy's choice...
    np.testing.assert_array_equal(
        values(with_effects, "customers_churned_tier_only"),
        values(without, "customers_churned_tier_only"),
    )
    # ...and with the hypothesis off the headline count is the tier-only one.
    np.testing.assert_array_equal(
        values(without, "customers_churned"), values(without, "customers_churned_tier_only")
    )
    np.testing.assert_array_equal(
        values(without, "revenue_at_risk_annual"),
        values(without, "revenue_at_risk_annual_tier_only"),
    )
    assert (values(with_effects, "customers_churned") > 0).all()
    assert (values(with_effects, "customers_churned", tier="one_time") == 0).all()
    assert (values(with_effects, "customers_churned_tier_only", tier="one_time") == 0).all()
    total = sum(
        values(with_effects, "customers_churned_tier_only", tier=t)
        for t in ("key_account", "priority", "occasional", "one_time")
    )
    np.testing.assert_array_equal(total, values(with_effects, "customers_churned_tier_only"))


def test_churn_off_loses_nobody() -> None:
    off = FITTED.model_copy(update={"enabled": False})
    frame = run(off, Policy(), replications=1)
    assert (values(frame, "customers_churned") == 0).all()
    assert (values(frame, "customers_churned_tier_only") == 0).all()


def test_a_churn_model_whose_tiers_match_none_is_refused() -> None:
    from l2csim.errors import InputError

    stray = FITTED.model_copy(update={"churn_tiers": ["gold", "silver"]})
    with pytest.raises(InputError, match="match none of the model's tiers"):
        run(stray, Policy(), replications=1)
