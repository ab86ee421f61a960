"""Processing time per activity: measured or estimated from the log, then fitted.

Measuring. With start timestamps the processing time is end - start. With only completion
times it is estimated (the enablement / resource-availability method): work on an event can
have started no earlier than the case's previous completion (the step was enabled) and no
earlier than its resource's previous completion (the resource was free), so

    processing = completion - max(case's previous completion, resource's previous completion)

counted only when the resource's previous completion is on the same local working day and
the result is at most `cap_hours` (the resource was continuously busy; after a break or
overnight the gap is idle time, not work). Where a resource worked lightly loaded the idle
part of the gap is still counted, so the estimate is an upper bound on typical work. An
activity with fewer than `MIN_SAMPLES` such estimates gets a low quantile (10 %) of its
waiting time (time since the case's previous completion) as a fixed duration, and an
activity without even that (always first, no resource) gets a fixed zero; the provenance
says which.

Fitting. Exponential, lognormal, gamma and Weibull (location 0) are fitted by maximum
likelihood with scipy to the positive times (at most `MAX_FIT_SAMPLES`, taken as evenly
spaced order statistics so the result is deterministic); a candidate is acceptable when its
Kolmogorov-Smirnov statistic is at most `KS_ACCEPT` and its mean is within `MEAN_TOLERANCE`
of the sample mean (the simulated workload must match the log's); the acceptable candidate
with the lowest AIC wins. Otherwise, or when more than 5 % of times are zero, the empirical
distribution is kept as 101 quantiles. All times are hours.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from scipy import stats

from l2csim.log import ACTIVITY, CASE, RESOURCE, START, TIMESTAMP
from l2csim.params import Distribution, Provenance

KS_ACCEPT = 0.1
MEAN_TOLERANCE = 0.1
MAX_FIT_SAMPLES = 5000
MIN_SAMPLES = 10
ZERO_SHARE_EMPIRICAL = 0.05
EMPIRICAL_POINTS = 101
WAITING_QUANTILE = 0.1
DEFAULT_CAP_HOURS = 8.0
HOUR = pd.Timedelta(hours=1)

CANDIDATES = {
    "exponential": stats.expon,
    "lognormal": stats.lognorm,
    "gamma": stats.gamma,
    "weibull": stats.weibull_min,
}


def measured_hours(events: pd.DataFrame) -> pd.Series:
    """end - start in hours where the log has a start time; NaN elsewhere."""
    if START not in events:
        return pd.Series(np.nan, index=events.index)
    hours = (events[TIMESTAMP] - events[START]) / HOUR
    return hours.where(hours >= 0)


def estimated_hours(
    events: pd.DataFrame, timezone: str, cap_hours: float = DEFAULT_CAP_HOURS
) -> pd.Series:
    """Completion-only estimate (see the module docstring); events sorted by case and time."""
    times = events[TIMESTAMP]
    same_case = events[CASE].eq(events[CASE].shift())
    enabled = times.shift().where(same_case)
    if RESOURCE not in events:
        return pd.Series(np.nan, index=events.index)
    by_resource = events.loc[events[RESOURCE].notna(), [RESOURCE, TIMESTAMP]]
    by_resource = by_resource.sort_values([RESOURCE, TIMESTAMP], kind="stable")
    previous = by_resource[TIMESTAMP].shift()
    same_resource = by_resource[RESOURCE].eq(by_resource[RESOURCE].shift())
    day = by_resource[TIMESTAMP].dt.tz_convert(timezone).dt.normalize()
    same_day = day.eq(previous.dt.tz_convert(timezone).dt.normalize())
    free_at = previous.where(same_resource & same_day).reindex(events.index)
    began = pd.concat([enabled, free_at], axis=1).max(axis=1)
    hours = (times - began) / HOUR
    known = free_at.notna() & (hours >= 0) & (hours <= cap_hours)
    return hours.where(known)


def waiting_hours(events: pd.DataFrame) -> pd.Series:
    """Time since the case's previous completion (waiting plus work), NaN for first events."""
    same_case = events[CASE].eq(events[CASE].shift())
    return ((events[TIMESTAMP] - events[TIMESTAMP].shift()) / HOUR).where(same_case)


def processing_hours(events: pd.DataFrame, timezone: str) -> tuple[pd.Series, str]:
    """Per event processing hours (measured where possible, else estimated) and the method."""
    measured = measured_hours(events)
    if measured.notna().any():
        return measured, "end - start"
    return estimated_hours(events, timezone), "completion - max(case, resource previous)"


def fit_activity_durations(
    events: pd.DataFrame, timezone: str, activities: list[str]
) -> dict[str, Distribution]:
    """A fitted processing-time distribution for each named activity."""
    hours, method = processing_hours(events, timezone)
    waiting = waiting_hours(events)
    by_activity = {a: group.index for a, group in events.groupby(ACTIVITY, sort=True)}
    fitted = {}
    for activity in activities:
        rows = by_activity.get(activity, pd.Index([]))
        values = hours.reindex(rows).dropna().to_numpy(dtype=float)
        if len(values) >= MIN_SAMPLES or (len(values) and method == "end - start"):
            fitted[activity] = fit_distribution(values, f"{method}, {len(rows):,} events")
            continue
        waits = waiting.reindex(rows).dropna().to_numpy(dtype=float)
        if len(waits):
            value = float(np.quantile(waits, WAITING_QUANTILE))
            detail = (
                f"only {len(values)} processing estimates; {WAITING_QUANTILE:.0%} quantile of "
                f"{len(waits):,} waiting times"
            )
            fitted[activity] = fixed(value, len(waits), Provenance(source="log", detail=detail))
        else:
            detail = "no processing or waiting time in the log (always first, no resource)"
            fitted[activity] = fixed(0.0, 0, Provenance(source="default", detail=detail))
    return fitted


NO_WORK = Distribution(
    kind="fixed",
    mean=0.0,
    params={"value": 0.0},
    provenance=Provenance(source="log", detail="external party: its time is in the delay"),
)


def fit_delays(events: pd.DataFrame, activities: list[str]) -> dict[str, Distribution]:
    """Staff-free delay before each named activity: its waiting time since the case's
    previous completion (carrier transit before Delivered, say); activities that always come
    first get none."""
    waiting = waiting_hours(events)
    delays = {}
    for activity in activities:
        values = waiting[events[ACTIVITY] == activity].dropna().to_numpy(dtype=float)
        if len(values):
            delays[activity] = fit_distribution(
                values, f"time since the case's previous step, {len(values):,} events"
            )
    return delays


def fixed(value: float, n: int, provenance: Provenance) -> Distribution:
    return Distribution(
        kind="fixed", mean=value, params={"value": value}, n=n, provenance=provenance
    )


def fit_distribution(values: np.ndarray, detail: str = "") -> Distribution:
    """The best-fitting named distribution of non-negative hours, or the empirical one."""
    values = np.sort(np.asarray(values, dtype=float))
    n = len(values)
    provenance = Provenance(source="log", detail=detail)
    if n == 0:
        return fixed(0.0, 0, Provenance(source="default", detail=f"{detail}; no values"))
    sample_mean = float(values.mean())
    positive = values[values > 0]
    if len(positive) < 2 or np.ptp(positive) == 0:
        return fixed(sample_mean, n, provenance)
    if (n - len(positive)) / n > ZERO_SHARE_EMPIRICAL:
        return empirical(values, provenance, note="many zero times")
    sample = _thin(positive, MAX_FIT_SAMPLES)
    best: tuple[float, str, dict[str, float], float, float] | None = None
    lowest_ks = float("inf")
    for kind, family in CANDIDATES.items():
        params, mean, frozen = _fit(kind, family, sample)
        if params is None:
            continue
        ks = float(stats.kstest(sample, frozen.cdf).statistic)
        lowest_ks = min(lowest_ks, ks)
        if ks > KS_ACCEPT or abs(mean - sample_mean) > MEAN_TOLERANCE * sample_mean:
            continue
        aic = 2 * len(params) - 2 * float(np.sum(frozen.logpdf(sample)))
        if best is None or aic < best[0]:
            best = (aic, kind, params, mean, ks)
    if best is None:
        note = f"no named distribution fits: lowest KS {lowest_ks:.3f} or mean off by > 10 %"
        return empirical(values, provenance, note=note)
    _, kind, params, mean, ks = best
    return Distribution(
        kind=kind,
        mean=mean,
        params=params,
        ks_statistic=round(ks, 6),
        n=n,
        provenance=Provenance(source="log", detail=f"{detail}; MLE, lowest AIC of KS-accepted"),
    )


def empirical(values: np.ndarray, provenance: Provenance, note: str = "") -> Distribution:
    """Equally spaced quantiles 0 %..100 % of the values, sampled by interpolation."""
    quantiles = np.quantile(values, np.linspace(0, 1, EMPIRICAL_POINTS))
    # The mean of the piecewise-linear inverse CDF is the mean of adjacent midpoints.
    mean = float(np.mean((quantiles[1:] + quantiles[:-1]) / 2))
    detail = f"{provenance.detail}; empirical ({note})" if note else provenance.detail
    return Distribution(
        kind="empirical",
        mean=mean,
        quantiles=[float(q) for q in quantiles],
        n=len(values),
        provenance=Provenance(source=provenance.source, detail=detail),
    )


def _thin(sorted_values: np.ndarray, limit: int) -> np.ndarray:
    """At most `limit` evenly spaced order statistics: deterministic and shape-preserving."""
    if len(sorted_values) <= limit:
        return sorted_values
    picks = np.linspace(0, len(sorted_values) - 1, limit).round().astype(int)
    return sorted_values[picks]


def _fit(kind: str, family, sample: np.ndarray):
    """(params for the model file, mean, frozen scipy distribution), or Nones on failure."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            if kind == "exponential":
                _, scale = family.fit(sample, floc=0)
                return {"mean": float(scale)}, float(scale), family(loc=0, scale=scale)
            shape, _, scale = family.fit(sample, floc=0)
        except (ValueError, RuntimeError, FloatingPointError):
            return None, None, None
    if not (np.isfinite(shape) and np.isfinite(scale) and shape > 0 and scale > 0):
        return None, None, None
    frozen = family(shape, loc=0, scale=scale)
    if kind == "lognormal":
        params = {"mu": float(np.log(scale)), "sigma": float(shape)}
    else:
        params = {"shape": float(shape), "scale": float(scale)}
    return params, float(frozen.mean()), frozen
