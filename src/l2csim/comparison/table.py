"""The comparison table: per KPI and key, each scenario's mean with its CI and its paired
difference from the baseline with a CI, relative difference, significance and a reading.

Replication i of every scenario met the same random streams, so differences are paired by
replication index. The relative difference and its interval divide the difference and its
interval by the baseline's mean (the baseline's own uncertainty is left out of that ratio,
a small understatement the README mentions). Shares (SLA attainment, utilisation) are also
read in percentage points.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

from l2csim.comparison.kpis import SERIES_KPIS, info, subject
from l2csim.comparison.numbers import fmt, interval, step_for
from l2csim.confidence import CONFIDENCE, estimate

KEYS = ["kpi", "tier", "segment", "pool"]


@dataclass(frozen=True)
class Row:
    scenario: str
    kpi: str
    tier: str
    segment: str
    pool: str
    label: str
    better: str
    n: int
    mean: float
    ci_low: float
    ci_high: float
    baseline_mean: float
    diff: float | None
    diff_low: float | None
    diff_high: float | None
    rel: float | None
    rel_low: float | None
    rel_high: float | None
    significant: bool | None
    effect: str
    mean_text: str
    diff_text: str
    reading: str

    def record(self) -> dict:
        return {k: _clean(v) for k, v in asdict(self).items()}


def _clean(value):
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def comparison_rows(
    kpis: dict[str, pd.DataFrame], baseline: str, confidence: float = CONFIDENCE
) -> list[Row]:
    """All rows, baseline first, then scenarios in the order given; keys in a stable order."""
    frames = [
        frame.loc[~frame["kpi"].isin(SERIES_KPIS), [*KEYS, "replication", "value"]].assign(
            scenario=name
        )
        for name, frame in kpis.items()
    ]
    long = pd.concat(frames, ignore_index=True)
    wide = long.pivot_table(
        index=[*KEYS, "replication"], columns="scenario", values="value", aggfunc="first"
    )
    order = [baseline, *[n for n in kpis if n != baseline]]
    rows: list[Row] = []
    for key, group in wide.groupby(level=[0, 1, 2, 3], sort=True):
        base = group[baseline].to_numpy(dtype=float)
        base_est = estimate(base, confidence)
        for name in order:
            values = group[name].to_numpy(dtype=float) if name in group else np.array([])
            rows.append(_row(name, key, values, base, base_est.mean, baseline, confidence))
    rank = {name: i for i, name in enumerate(order)}
    return sorted(rows, key=lambda r: rank[r.scenario])


def _row(name, key, values, base, base_mean, baseline, confidence) -> Row:
    kpi, tier, segment, pool = key
    meta = info(kpi)
    est = estimate(values, confidence)
    step = step_for(est.half_width) if math.isfinite(est.half_width) else step_for(abs(est.mean))
    percent = 100.0 if meta.share else 1.0
    unit = " pts" if meta.share else ""
    if math.isfinite(est.half_width):
        mean_text = (
            f"{fmt(est.mean * percent, step_for(est.half_width * percent))}{'%' if meta.share else ''}"
            f" ({interval(est.low * percent, est.high * percent, step_for(est.half_width * percent), **meta.bounds(percent))})"
        )
    else:
        mean_text = fmt(est.mean * percent, step)
    common = dict(
        scenario=name,
        kpi=kpi,
        tier=tier,
        segment=segment,
        pool=pool,
        label=subject(kpi, tier, segment, pool),
        better=meta.better,
        n=est.n,
        mean=est.mean,
        ci_low=est.low,
        ci_high=est.high,
        baseline_mean=base_mean,
        mean_text=mean_text,
    )
    if name == baseline:
        return Row(
            **common,
            diff=None,
            diff_low=None,
            diff_high=None,
            rel=None,
            rel_low=None,
            rel_high=None,
            significant=None,
            effect="baseline",
            diff_text="",
            reading="",
        )
    paired = values - base
    paired = paired[~np.isnan(paired)]
    diff = estimate(paired, confidence)
    scale = base_mean if base_mean and math.isfinite(base_mean) else math.nan
    rel, rel_low, rel_high = diff.mean / scale, diff.low / scale, diff.high / scale
    if scale < 0:
        rel_low, rel_high = rel_high, rel_low
    spread = diff.half_width
    significant = bool(math.isfinite(spread) and (diff.low > 0 or diff.high < 0))
    if not significant and spread == 0 and diff.mean == 0:
        effect = "no difference"
    elif not significant:
        effect = "no clear difference"
    elif meta.better == "neither":
        effect = "changes"
    else:
        effect = "improves" if (diff.mean < 0) == (meta.better == "lower") else "worsens"
    if meta.share:
        pts_step = step_for(spread * 100)
        diff_text = (
            f"{fmt(diff.mean * 100, pts_step, sign=True)}{unit} "
            f"({interval(diff.low * 100, diff.high * 100, pts_step, sign=True)}{unit})"
        )
    elif math.isfinite(rel):
        rel_step = step_for(abs(rel_high - rel_low) / 2 * 100, finest=0.1)
        diff_text = (
            f"{fmt(rel * 100, rel_step, sign=True)}% "
            f"({interval(rel_low * 100, rel_high * 100, rel_step, sign=True)}%)"
        )
    else:
        d_step = step_for(spread)
        diff_text = (
            f"{fmt(diff.mean, d_step, sign=True)} "
            f"({interval(diff.low, diff.high, d_step, sign=True)})"
        )
    row = Row(
        **common,
        diff=diff.mean,
        diff_low=diff.low,
        diff_high=diff.high,
        rel=rel,
        rel_low=rel_low,
        rel_high=rel_high,
        significant=significant,
        effect=effect,
        diff_text=diff_text,
        reading="",
    )
    return Row(**{**asdict(row), "reading": phrase(row)})


def phrase(row: Row) -> str:
    """The change in words: 'cuts key-account chase calls by 38% (95% CI 31–45%)'."""
    if row.effect == "no difference":
        return f"no difference in {row.label}"
    if row.diff is None or row.diff_low is None or row.diff_high is None:
        return ""
    meta = info(row.kpi)
    if row.effect == "no clear difference":
        return f"no clear difference in {row.label}"
    verb = "cuts" if row.diff < 0 else "raises"
    if meta.share:
        step = step_for((row.diff_high - row.diff_low) / 2 * 100)
        lo, hi = sorted((abs(row.diff_low) * 100, abs(row.diff_high) * 100))
        return (
            f"{verb} {row.label} by {fmt(abs(row.diff) * 100, step)} points "
            f"(95% CI {interval(lo, hi, step)})"
        )
    if row.rel is None or not math.isfinite(row.rel):
        step = step_for((row.diff_high - row.diff_low) / 2)
        lo, hi = sorted((abs(row.diff_low), abs(row.diff_high)))
        return f"{verb} {row.label} by {fmt(abs(row.diff), step)} (95% CI {interval(lo, hi, step)})"
    assert row.rel_low is not None and row.rel_high is not None
    lo, hi = sorted((abs(row.rel_low) * 100, abs(row.rel_high) * 100))
    step = step_for((hi - lo) / 2, finest=0.1)
    if row.diff > 0 and 0.95 <= row.rel <= 1.05 and lo >= 80:
        return f"doubles {row.label} (+{interval(lo, hi, step)}%)"
    return (
        f"{verb} {row.label} by {fmt(abs(row.rel) * 100, step)}% (95% CI {interval(lo, hi, step)}%)"
    )
