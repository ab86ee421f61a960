"""Order intake: orders per week per tier and segment, and the weekday / hour-of-day pattern.

Rates are counts over the intake period, the span from the first to the last order
arrival (a log cut mid-week counts the days it covers, not whole weeks). The pattern is the
share of all orders by local weekday and hour in the study's time zone; it is one pattern
for all tiers and segments (ModelParams has one), so a segment that orders at other hours
than the rest is averaged in.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from l2csim.params import ArrivalPattern, Arrivals, Provenance

MIN_SPAN_DAYS = 1.0


def intake_weeks(arrivals: pd.Series) -> float:
    """Length of the intake period in weeks (at least one day, so one order is a rate)."""
    span = (arrivals.max() - arrivals.min()) / pd.Timedelta(days=1)
    return max(float(span), MIN_SPAN_DAYS) / 7.0


def fit_arrivals(cases: pd.DataFrame) -> list[Arrivals]:
    """Orders per week for each tier × segment that has orders, sorted by tier and segment."""
    weeks = intake_weeks(cases["arrival"])
    counts = cases.groupby(["tier", "segment"], sort=True).size()
    return [
        Arrivals(
            tier=str(tier),
            segment=str(segment),
            orders_per_week=float(count) / weeks,
            provenance=Provenance(
                source="log", detail=f"{int(count):,} orders over {weeks * 7:.1f} days"
            ),
        )
        for (tier, segment), count in counts.items()
    ]


def fit_pattern(cases: pd.DataFrame, timezone: str) -> ArrivalPattern:
    """Shares of orders by local weekday (Monday first) and by local hour of day."""
    local = cases["arrival"].dt.tz_convert(timezone)
    weekday = np.bincount(local.dt.weekday.to_numpy(), minlength=7).astype(float)
    hour = np.bincount(local.dt.hour.to_numpy(), minlength=24).astype(float)
    total = float(len(local))
    return ArrivalPattern(
        weekday_weights=(weekday / total).tolist(),
        hour_weights=(hour / total).tolist(),
        provenance=Provenance(
            source="log", detail=f"{len(local):,} order arrivals, local time {timezone}"
        ),
    )
