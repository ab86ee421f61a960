"""Retention: the chance a customer stops ordering after an order, and the revenue it takes.

logit(p) = intercept + tier offset + sum(coefficient x experience), the experience being
counts (late orders, chase calls, courtesy calls) over the customer's last `window_orders`
orders. The experience effects are a hypothesis: without them (`experience=False`) each
tier churns at its own rate (`RetentionParams.tier_only`). A tier outside `churn_tiers`, or
a model with churn off, never churns. Plain functions of plain data.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

from l2csim.errors import InputError
from l2csim.params import RetentionParams

EXPERIENCE = ("late_orders", "chase_calls", "courtesy_calls")


def check_retention(params: RetentionParams, tiers: Iterable[str] | None = None) -> None:
    """Refuse experience variables the simulation does not know, and a churn model whose
    tiers match none of the model's (it would silently lose nobody)."""
    unknown = sorted(set(params.coefficients) - set(EXPERIENCE))
    if unknown:
        raise InputError(
            f"retention.coefficients: unknown experience variable(s) {unknown}; "
            f"the simulation knows {list(EXPERIENCE)}."
        )
    names = sorted(tiers or [])
    if params.enabled and params.churn_tiers and names and not set(names) & set(params.churn_tiers):
        raise InputError(
            f"retention: the churn model's tiers {sorted(params.churn_tiers)} match none of the "
            f"model's tiers {names}; fit with --tiers set to the customers analysis' "
            "customers.csv so both use the same tiers."
        )


def churns(params: RetentionParams, tier: str) -> bool:
    """Whether customers of `tier` can churn at all under `params`."""
    return params.enabled and (params.churn_tiers is None or tier in params.churn_tiers)


def churn_probability(
    params: RetentionParams,
    tier: str,
    recent: Iterable[tuple[int, int, int]],
    experience: bool = True,
) -> float:
    """P(churn) after an order, from (late, chases, courtesy) of the recent orders; with
    `experience=False` the tier's own rate (the model without the experience hypothesis)."""
    if not churns(params, tier):
        return 0.0
    if not experience:
        base = params.tier_only
        if base is None:
            z = params.intercept + params.tier_offsets.get(tier, 0.0)
        else:
            z = base.intercept + base.tier_offsets.get(tier, 0.0)
        return _expit(z)
    late = chases = courtesy = 0
    for a, b, c in recent:
        late += a
        chases += b
        courtesy += c
    coef = params.coefficients
    z = (
        params.intercept
        + params.tier_offsets.get(tier, 0.0)
        + coef.get("late_orders", 0.0) * late
        + coef.get("chase_calls", 0.0) * chases
        + coef.get("courtesy_calls", 0.0) * courtesy
    )
    return _expit(z)


def _expit(z: float) -> float:
    if z >= 0:
        return 1.0 / (1.0 + math.exp(-z))
    ez = math.exp(z)
    return ez / (1.0 + ez)


def annual_revenue_per_customer(
    orders_per_week: float, customers: int, mean_order_value: float
) -> float:
    """What one customer of a tier orders in a year at today's rate."""
    if customers <= 0:
        return 0.0
    return orders_per_week * (365.25 / 7) / customers * mean_order_value
