"""Runaway: a replication whose backlog tips over, and the share of such replications with
a Wilson interval.

**Definition.** Over the measured period (after the warm-up), a replication *runs away*
when its open orders at the end of each day (`backlog_daily`)

- (A) are **still rising at the end**: the least-squares line through the last quarter's
  daily backlog rises, over that quarter, by at least `RISE_SHARE` (25 %) of the quarter's
  mean backlog *and* by at least `MIN_DAYS` (5) days of intake; or
- (B) have **settled far above where they started**: the last quarter's mean backlog is at
  least `LEVEL_RATIO` (1.5) times the first quarter's *and* above it by at least
  `MIN_DAYS` days of intake.

A *day of intake* is the replication's orders placed per day after the warm-up. By Little's
law a backlog higher by d days of intake means orders wait about d days longer, so the rule
reads the same for an operation of 10 orders a day or 1,000, and tiny backlogs that double
by chance (2 open orders becoming 4) never count. (A) catches a queue that is still
growing when the run ends (demand above capacity, a chase-call spiral under way); (B) one
that tipped earlier and stays high (a spiral that settled at a new, much worse level).

**Why thresholds and not a significance test of the slope.** A day's backlog is mostly
yesterday's, so daily backlogs are strongly autocorrelated and an ordinary t-test of the
slope calls ordinary fluctuations significant: on the sample's stable baseline it gave t up
to 4.8 (10 at 1.3 times the demand) for replications with no trend at all. The thresholds
are set between what stable and tipping replications do, measured on the bundled sample's
fitted model (20 replications of 180 days at each demand factor): stable ones (demand
x1.0-1.7, and 16 of 20 at x1.8) rose by at most 3.3 days of intake over the last quarter and
ended at most 3.0 days above the first quarter (level ratio at most 1.3); tipping ones (4 of
20 at x1.8, 20 of 20 at x2.0) rose by at least 5.8. An M/M/1 queue runs away in 0 of 20
replications at 96 % load, 3 at 100 %, 8 at 104 % and 20 at 120 %; the sample-shaped test
model (tests/sim_models.py) in none at twice its demand and in all at three times.

A run whose measured period has fewer than `MIN_MEASURED_DAYS` (28) daily values is not
judged (its quarters would be shorter than a week).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

RISE_SHARE = 0.25
LEVEL_RATIO = 1.5
MIN_DAYS = 5.0
MIN_MEASURED_DAYS = 28
DEFINITION = (
    "a replication runs away when, after the warm-up, its daily backlog rises over the last "
    f"quarter by at least {RISE_SHARE:.0%} of that quarter's mean and by {MIN_DAYS:g} days of "
    f"intake, or ends the run (last-quarter mean) at least {LEVEL_RATIO:g} times and "
    f"{MIN_DAYS:g} days of intake above the first quarter's"
)


@dataclass(frozen=True)
class Judgement:
    """One replication's verdict and the figures it rests on (in days of intake)."""

    runaway: bool | None  # None: too short to judge
    rise_days: float = math.nan  # rise of the last quarter's trend line over the quarter
    excess_days: float = math.nan  # last-quarter mean minus first-quarter mean
    level_ratio: float = math.nan  # last-quarter mean / first-quarter mean


def judge(daily: np.ndarray | list[float], intake_per_day: float) -> Judgement:
    """Whether a run with this daily backlog (after the warm-up, day by day) runs away."""
    y = np.asarray(daily, dtype=float)
    y = y[np.isfinite(y)]
    if len(y) < MIN_MEASURED_DAYS:
        return Judgement(None)
    quarter = len(y) // 4
    first, last = y[:quarter], y[-quarter:]
    x = np.arange(quarter, dtype=float)
    x -= x.mean()
    slope = float((x * (last - last.mean())).sum() / (x * x).sum())
    rise = slope * quarter
    level_first, level_last = float(first.mean()), float(last.mean())
    unit = intake_per_day if intake_per_day > 0 else math.inf
    rise_days = rise / unit
    excess_days = (level_last - level_first) / unit
    ratio = level_last / level_first if level_first > 0 else math.inf
    rising = rise >= RISE_SHARE * level_last and rise_days >= MIN_DAYS
    above = ratio >= LEVEL_RATIO and excess_days >= MIN_DAYS
    return Judgement(bool(rising or above), rise_days, excess_days, ratio)


def judge_rows(rows: list[tuple]) -> Judgement:
    """The verdict from one replication's KPI rows (`sim.kpis.Row`: kpi, tier, segment,
    pool, week, day, value)."""
    daily = sorted((r[5], r[6]) for r in rows if r[0] == "backlog_daily")
    arrived = [r[6] for r in rows if r[0] == "orders_arrived" and r[1:4] == ("", "", "")]
    days = len(daily)
    intake = arrived[0] / days if arrived and days else 0.0
    return judge([v for _, v in daily], intake)


def judgements(kpis: pd.DataFrame) -> dict[int, Judgement]:
    """Each replication's verdict from a tidy KPI table (`kpis.parquet`)."""
    daily = kpis[kpis["kpi"] == "backlog_daily"]
    arrived = kpis[
        (kpis["kpi"] == "orders_arrived")
        & (kpis["tier"] == "")
        & (kpis["segment"] == "")
        & (kpis["pool"] == "")
    ].set_index("replication")["value"]
    out = {}
    for replication in sorted(int(r) for r in kpis["replication"].unique()):
        mine = daily[daily["replication"] == replication].sort_values("day")
        values = mine["value"].to_numpy(dtype=float)
        intake = float(arrived.get(replication, 0.0)) / len(values) if len(values) else 0.0
        out[replication] = judge(values, intake)
    return out


@dataclass(frozen=True)
class Share:
    """How many of the judged replications ran away, with a Wilson interval."""

    runaways: int
    judged: int
    low: float
    high: float

    @property
    def share(self) -> float:
        return self.runaways / self.judged if self.judged else math.nan


def wilson(k: int, n: int, confidence: float = 0.95) -> tuple[float, float]:
    """The Wilson score interval of a proportion k/n (sensible at 0 of n and n of n, unlike
    the normal approximation); (nan, nan) for n = 0."""
    if n <= 0:
        return math.nan, math.nan
    from scipy import stats

    z = float(stats.norm.ppf(0.5 + confidence / 2))
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    low = 0.0 if k == 0 else max(0.0, centre - half)  # exactly 0 (not 1e-17) at 0 of n
    high = 1.0 if k == n else min(1.0, centre + half)
    return low, high


def share_of(verdicts: list[Judgement], confidence: float = 0.95) -> Share:
    judged = [v for v in verdicts if v.runaway is not None]
    k = sum(1 for v in judged if v.runaway)
    low, high = wilson(k, len(judged), confidence)
    return Share(k, len(judged), low, high)
