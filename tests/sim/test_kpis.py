"""KPI helpers: quantiles from histograms, and the tidy rows of a tracker."""

from __future__ import annotations

import math

from l2csim.params import Provenance, RetentionParams
from l2csim.sim.kpis import quantile_from_hist, step_quantile
from l2csim.sim.retention import annual_revenue_per_customer, churn_probability


def test_histogram_quantiles() -> None:
    hist = {h: 1.0 for h in range(100)}  # uniform 0..100
    assert quantile_from_hist(hist, 0.5) == 50.0
    assert quantile_from_hist(hist, 0.9) == 90.0
    assert math.isnan(quantile_from_hist({}, 0.5))
    # time-weighted backlog: 0 for 90 h, 10 for 10 h -> p95 is 10, p50 is 0
    assert step_quantile({0: 90.0, 10: 10.0}, 0.95) == 10.0
    assert step_quantile({0: 90.0, 10: 10.0}, 0.5) == 0.0


def test_churn_probability_is_the_logit_of_recent_experience() -> None:
    params = RetentionParams(
        intercept=-3.0,
        coefficients={"late_orders": 1.0, "chase_calls": 0.5},
        tier_offsets={"key": -20.0},
        provenance=Provenance(source="default"),
    )
    p = churn_probability(params, "other", [(1, 2, 0), (0, 0, 1)])
    assert p == 1 / (1 + math.exp(-(-3.0 + 1.0 + 1.0)))
    assert churn_probability(params, "key", [(1, 2, 0)]) < 1e-8
    assert annual_revenue_per_customer(7.0, 365.25, 100.0) == 100.0
