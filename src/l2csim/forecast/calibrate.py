"""Honest bands: the simulation's spread plus the model's own error on this log's recent past.

The replications' spread is what chance alone does with a model that is right. A fitted model
is not exactly right (a wait it reads too short, a team a little faster than it is, leave
nobody announced), and the bands must say so. Before forecasting, the same model is run from
the log's own states at a few recent past moments (hindcasts: `HINDCASTS` cuts,
`SPACING_DAYS` apart, whose horizon ended by as-of) and compared with what the log shows
happened. Per KPI and day, the hindcasts' errors of the mean give the model's error beyond
chance: `max(0, mean(e²) - mean(sd_sim²))`, its bias included, widened by Student's t for so
few errors (hindcasts whose windows overlap on day d count as fewer). The band's quantiles
move away from the mean by `sqrt(sd_sim² + spread²) / sd_sim`; the mean itself is not moved:
a bias learned in one regime (a backlog spiral) misleads in the next (its recovery), which
the backtests of the test bed showed. The hindcasts reuse the model fitted up to as-of; they
do not refit. With fewer than `MIN_HINDCASTS` usable cuts the bands are the simulation's
alone, and the page says so.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.stats import t as student_t

from l2csim.forecast import state as st
from l2csim.forecast.outcomes import LogTimes, actual_days

HINDCASTS = 6
SPACING_DAYS = 14
MIN_HINDCASTS = 3
MIN_HISTORY_DAYS = 28  # a hindcast needs this much log before it (orders in flight)
Z95 = 1.6448536269514722


@dataclass(frozen=True)
class ErrorModel:
    """Per KPI and day: the hindcasts' mean error (shown, not applied) and the model error's
    spread beyond chance (a standard deviation, t-widened)."""

    cuts: tuple[str, ...]
    bias: dict[str, np.ndarray] = field(default_factory=dict)
    spread: dict[str, np.ndarray] = field(default_factory=dict)

    def summary(self) -> dict:
        return {
            "hindcasts": list(self.cuts),
            "bias_day_7": {k: _at(v, 7) for k, v in self.bias.items()},
            "spread_day_7": {k: _at(v, 7) for k, v in self.spread.items()},
        }


def _at(values: np.ndarray, day: int) -> float | None:
    if len(values) < day or not math.isfinite(values[day - 1]):
        return None
    return round(float(values[day - 1]), 2)


def hindcast_dates(
    first: pd.Timestamp, as_of: pd.Timestamp, horizon_days: int, count: int = HINDCASTS
) -> list[pd.Timestamp]:
    """Past moments whose whole horizon the log showed by as-of, newest first, at the same
    time of day as as-of."""
    dates = []
    for k in range(count):
        moment = as_of - pd.Timedelta(days=horizon_days + k * SPACING_DAYS)
        if moment - first < pd.Timedelta(days=MIN_HISTORY_DAYS):
            break
        dates.append(moment)
    return dates


def error_model(
    cuts: list[str],
    simulated: list[dict[str, np.ndarray]],
    actual: list[dict[str, np.ndarray]],
) -> ErrorModel | None:
    """The error model from each hindcast's simulated values (KPI -> replications x days)
    and the log's (KPI -> days)."""
    if len(cuts) < MIN_HINDCASTS:
        return None
    bias, spread = {}, {}
    for kpi in simulated[0]:
        means = np.stack([s[kpi].mean(axis=0) for s in simulated])  # hindcasts x days
        variances = np.stack([s[kpi].var(axis=0, ddof=1) for s in simulated])
        truth = np.stack([a[kpi] for a in actual])
        errors = truth - means
        usable = np.isfinite(errors).sum(axis=0)
        with np.errstate(invalid="ignore", divide="ignore"):
            b = np.nanmean(np.where(np.isfinite(errors), errors, np.nan), axis=0)
            noise = np.nanmean(np.where(np.isfinite(errors), variances, np.nan), axis=0)
        enough = usable >= MIN_HINDCASTS
        # Hindcasts SPACING_DAYS apart overlap beyond that day: fewer independent errors.
        days = np.arange(1, errors.shape[1] + 1)
        n_eff = np.maximum(1.0, usable * np.minimum(1.0, SPACING_DAYS / days))
        with np.errstate(invalid="ignore"):
            squared = np.nanmean(errors * errors, axis=0)
        model_var = np.where(enough, np.maximum(0.0, squared - noise), 0.0)
        # Few errors: Student's t rather than the normal for the model's part of the band.
        widen = student_t.ppf(0.95, np.maximum(1.0, n_eff - 1.0)) / Z95
        bias[kpi] = np.where(enough, np.nan_to_num(b), 0.0)
        spread[kpi] = np.sqrt(np.nan_to_num(model_var)) * widen
    return ErrorModel(tuple(cuts), bias, spread)


def bands(
    values: np.ndarray, kpi: str, error: ErrorModel | None, upper: float | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per day (values: replications x days): the mean, and the 5, 50 and 95 % band for the
    day's one real outcome, with the model's error added; never below 0 (nor above `upper`).

    The replications' own 5-95 % quantiles describe the simulated distribution only as far
    as n replications show it, and the real day is one more draw: 10 replications' quantiles
    hold a new draw about 76 % of the time, 20 about 82 %. The band's half-width is
    therefore a prediction interval's, Student's t with n - 1 degrees of freedom times
    sqrt(1 + 1/n) times the replications' standard deviation (combined with the model's
    error), split below and above the mean as the replications' quantiles are, so a skewed
    count keeps its skew.
    """
    n = values.shape[0]
    mean = values.mean(axis=0)
    p05, p50, p95 = np.quantile(values, (0.05, 0.5, 0.95), axis=0)
    sd = values.std(axis=0, ddof=1) if n > 1 else np.zeros_like(mean)
    s = np.zeros_like(mean)
    if error is not None and kpi in error.spread:
        s = error.spread[kpi][: values.shape[1]]
    half = np.sqrt((predictive_factor(n) * Z95 * sd) ** 2 + (Z95 * s) ** 2)
    spread = (p95 - p05) / 2
    quantiles_apart = spread > 0
    safe = np.where(quantiles_apart, spread, 1.0)
    p05 = np.where(quantiles_apart, mean - (mean - p05) / safe * half, mean - half)
    p95 = np.where(quantiles_apart, mean + (p95 - mean) / safe * half, mean + half)
    high = upper if upper is not None else np.inf
    return tuple(np.clip(x, 0.0, high) for x in (mean, p05, p50, p95))  # type: ignore[return-value]


def predictive_factor(replications: int) -> float:
    """How much wider than n replications' own spread a 90 % band for one new outcome is."""
    if replications < 2:
        return 1.0
    t = float(student_t.ppf(0.95, replications - 1))
    return t * math.sqrt(1.0 + 1.0 / replications) / Z95


def run_hindcasts(
    dates: list[pd.Timestamp],
    log,
    study,
    prepared,
    times: LogTimes,
    simulate,
    known_until: pd.Timestamp,
    horizon_days: int,
    cases: pd.DataFrame | None = None,
) -> ErrorModel | None:
    """Hindcasts from the log's states at `dates` with the prepared (as-of) model;
    `simulate(starts) -> per start, KPI -> replications x days` (all run at once);
    `cases`: the log's order table (read as of each date)."""
    cuts, starts, actual = [], [], []
    for moment in dates:
        running = st.in_progress(log.events, moment)
        table = st.open_orders(log.events, study, prepared.fitted, moment, running, cases)
        if table.empty:
            continue
        clock = st.Clock.of_week(moment, prepared.timezone)
        at = clock.hours(moment)
        staff, _ = st.staff_state(log.events, prepared.params, moment)
        starts.append(st.start_state(table, clock, at, prepared.params, prepared.rules, staff))
        actual.append(actual_days(times, table["order"], moment, horizon_days, known_until))
        cuts.append(moment.isoformat())
    if len(cuts) < MIN_HINDCASTS:
        return None
    return error_model(cuts, simulate(starts), actual)
