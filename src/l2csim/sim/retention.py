"""Retention: the chance a customer stops ordering after an order, and the revenue it takes.

logit(p) = intercept + tier offset + sum(coefficient x experience), the experience being
counts (late orders, chase calls, courtesy calls) over the customer's last `window_orders`
orders. Plain functions of plain data.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

from l2csim.errors import InputError
from l2csim.params import RetentionParams

EXPERIENCE = ("late_orders", "chase_calls", "courtesy_calls")


def check_retention(params: RetentionParams) -> None:
    unknown = sorted(set(params.coefficients) - set(EXPERIENCE))
    if unknown:
        raise InputError(
            f"retention.coefficients: unknown experience variable(s) {unknown}; "
            f"the simulation knows {list(EXPERIENCE)}."
        )


def churn_probability(
    params: RetentionParams, tier: str, recent: Iterable[tuple[int, int, int]]
) -> float:
    """P(churn) after an order, from (late, chases, courtesy) of the recent orders."""
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
