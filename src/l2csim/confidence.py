"""Confidence intervals over replications: t-based means, paired differences, precision.

Replications are independent and identically distributed, so a KPI's mean over n of them
has a Student-t interval with n-1 degrees of freedom. Paired differences (replication i of
a scenario minus replication i of the baseline, which met the same random streams) get the
same interval on the per-replication differences. The headline KPIs are the few numbers a
steering group reads first; `--replications auto` runs until their intervals are tight.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from l2csim.errors import InputError

CONFIDENCE = 0.95

# (kpi, tier): the overall values of the KPIs a steering group reads first.
HEADLINE_KPIS: tuple[tuple[str, str], ...] = (
    ("backlog_mean", ""),
    ("chase_calls", ""),
    ("sla_attainment", ""),
    ("revenue_at_risk_annual", ""),
)


@dataclass(frozen=True)
class Estimate:
    """A mean over n replications with its confidence interval."""

    n: int
    mean: float
    sd: float
    half_width: float

    @property
    def low(self) -> float:
        return self.mean - self.half_width

    @property
    def high(self) -> float:
        return self.mean + self.half_width

    @property
    def relative_half_width(self) -> float:
        """Half-width over |mean|: 0 when there is no spread, inf when the mean is 0."""
        if self.half_width == 0 or math.isnan(self.half_width):
            return 0.0 if self.half_width == 0 else math.nan
        return self.half_width / abs(self.mean) if self.mean else math.inf


def require_replications(n: int, what: str = "a confidence interval") -> None:
    if n < 2:
        raise InputError(
            f"{what} needs at least 2 replications (got {n}); run with --replications 2 or more."
        )


def estimate(values: np.ndarray | pd.Series, confidence: float = CONFIDENCE) -> Estimate:
    """The t-based interval of the mean of `values` (NaNs, e.g. no deliveries, left out)."""
    data = np.asarray(values, dtype=float)
    data = data[~np.isnan(data)]
    n = len(data)
    if n == 0:
        return Estimate(0, math.nan, math.nan, math.nan)
    mean = float(data.mean())
    if n < 2:
        return Estimate(n, mean, math.nan, math.nan)
    from scipy import stats  # imported here: scipy.stats alone takes most of a second

    sd = float(data.std(ddof=1))
    t = float(stats.t.ppf(0.5 + confidence / 2, n - 1))
    return Estimate(n, mean, sd, t * sd / math.sqrt(n))


def headline_precision(kpis: pd.DataFrame, confidence: float = CONFIDENCE) -> dict[str, float]:
    """Relative half-width of each headline KPI's interval, e.g. {'backlog_mean': 0.031}."""
    out = {}
    for kpi, tier in HEADLINE_KPIS:
        rows = kpis[(kpis["kpi"] == kpi) & (kpis["tier"] == tier) & (kpis["segment"] == "")]
        rows = rows[rows["pool"] == ""]
        out[kpi] = estimate(rows["value"].to_numpy(), confidence).relative_half_width
    return out


def replications_needed(n: int, relative: float, target: float) -> int:
    """How many replications bring a relative half-width down to target (half-width ~ 1/√n)."""
    if math.isnan(relative) or relative <= target:
        return n
    if math.isinf(relative):
        return 2 * n
    return math.ceil(n * (relative / target) ** 2)
