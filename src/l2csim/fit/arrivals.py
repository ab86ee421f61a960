"""Order intake: orders per week per tier and segment, and the weekday / hour-of-day pattern.

Rates are counts over the intake period, the span from the first to the last order
arrival (a log cut mid-week counts the days it covers, not whole weeks). The pattern is the
share of all orders by local weekday and hour in the study's time zone; it is one pattern
for all tiers and segments (ModelParams has one), so a segment that orders at other hours
than the rest is averaged in.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from l2csim.params import ArrivalPattern, Arrivals, Provenance

MIN_SPAN_DAYS = 1.0
MIN_TREND_WEEKS = 12
TREND_T = 2.0


def intake_weeks(arrivals: pd.Series) -> float:
    """Length of the intake period in weeks (at least one day, so one order is a rate)."""
    span = (arrivals.max() - arrivals.min()) / pd.Timedelta(days=1)
    return max(float(span), MIN_SPAN_DAYS) / 7.0


def trend(arrivals: pd.Series, start: pd.Timestamp, weeks: float) -> float:
    """The relative change per week of a weekly count (least squares over whole weeks),
    0 unless it is clear (|t| >= `TREND_T`) over at least `MIN_TREND_WEEKS` weeks."""
    whole = int(weeks)
    if whole < MIN_TREND_WEEKS:
        return 0.0
    week = ((arrivals - start) / pd.Timedelta(days=7)).astype(int)
    counts = np.bincount(week[week < whole].to_numpy(), minlength=whole).astype(float)
    x = np.arange(whole, dtype=float) - (whole - 1) / 2
    mean = counts.mean()
    if mean <= 0:
        return 0.0
    slope = float((x * (counts - mean)).sum() / (x * x).sum())
    residual = counts - mean - slope * x
    error = math.sqrt(float((residual**2).sum()) / max(whole - 2, 1) / float((x * x).sum()))
    if error <= 0 or abs(slope / error) < TREND_T:
        return 0.0
    return slope / mean


def fit_arrivals(cases: pd.DataFrame) -> list[Arrivals]:
    """Orders per week for each tier × segment that has orders, sorted by tier and segment."""
    weeks = intake_weeks(cases["arrival"])
    start = cases["arrival"].min()
    out = []
    for (tier, segment), rows in cases.groupby(["tier", "segment"], sort=True):
        count = len(rows)
        change = trend(rows["arrival"], start, weeks)
        detail = f"{count:,} orders over {weeks * 7:.1f} days"
        if change:
            detail += f"; trend {change:+.2%} a week over the period (replays only)"
        out.append(
            Arrivals(
                tier=str(tier),
                segment=str(segment),
                orders_per_week=float(count) / weeks,
                trend_per_week=round(change, 6),
                provenance=Provenance(source="log", detail=detail),
            )
        )
    return out


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
