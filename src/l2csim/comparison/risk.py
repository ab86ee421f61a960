"""Risk shown beside statistical error: per scenario, the spread of outcomes across
replications (10th, 50th and 90th percentiles) and the share of replications that run away
(`runaway`, with a Wilson interval); and the rows comparison.csv gets for them.

A confidence interval says how well the *mean* is known; a steering group also needs to
know how different one year can be from another (the percentiles: in one year of ten the
backlog is above the 90th) and how likely the operation is to tip over (the runaway share).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from l2csim.comparison.kpis import SERIES_KPIS
from l2csim.comparison.numbers import fmt, interval, step_for
from l2csim.comparison.runaway import DEFINITION, judgements, share_of
from l2csim.confidence import CONFIDENCE, estimate

SPREAD_KPIS = (
    "backlog_mean",
    "backlog_end",
    "chase_calls_per_week",
    "chase_calls",
    "sla_attainment",
    "lead_time_mean_hours",
    "revenue_at_risk_annual",
)
RUNAWAY_KPI = "runaway_share"
HEADROOM_KPI = "headroom_demand"


def overall(kpis: pd.DataFrame, kpi: str) -> pd.Series:
    """A KPI's overall value (no tier, segment or pool) per replication."""
    rows = kpis[
        (kpis["kpi"] == kpi) & (kpis["tier"] == "") & (kpis["segment"] == "") & (kpis["pool"] == "")
    ]
    return rows.set_index("replication")["value"].sort_index().astype(float)


def percentiles(values: np.ndarray | pd.Series) -> dict[str, float | None]:
    data = np.asarray(values, dtype=float)
    data = data[np.isfinite(data)]
    if not len(data):
        return {"p10": None, "p50": None, "p90": None}
    p10, p50, p90 = np.quantile(data, [0.1, 0.5, 0.9])
    return {"p10": float(p10), "p50": float(p50), "p90": float(p90)}


def risk(kpis: pd.DataFrame, confidence: float = CONFIDENCE) -> dict:
    """One scenario's risk: the runaway share with its Wilson interval, which replications
    ran away, and the 10th/50th/90th percentiles of the headline outcomes.

    backlog_end_mean and backlog_end_p90 (the end backlog's mean and 90th percentile) are
    kept for readers of older comparison.json files.
    """
    verdicts = judgements(kpis)
    share = share_of(list(verdicts.values()), confidence)
    end = overall(kpis, "backlog_end").to_numpy()
    spread = {}
    for kpi in SPREAD_KPIS:
        values = overall(kpis, kpi)
        if len(values):
            spread[kpi] = percentiles(values)
    return {
        "backlog_end_mean": float(np.mean(end)) if len(end) else None,
        "backlog_end_p90": float(np.quantile(end, 0.9)) if len(end) else None,
        "runaway_share": None if math.isnan(share.share) else share.share,
        "runaway_low": None if math.isnan(share.low) else share.low,
        "runaway_high": None if math.isnan(share.high) else share.high,
        "runaway_replications": share.runaways,
        "judged": share.judged,
        "ran_away": [r for r, v in verdicts.items() if v.runaway],
        "replications": int(kpis["replication"].nunique()),
        "runaway_definition": DEFINITION,
        "spread": spread,
    }


def percentile_columns(
    kpis: dict[str, pd.DataFrame],
) -> dict[tuple[str, str, str, str, str], dict[str, float | None]]:
    """(scenario, kpi, tier, segment, pool) -> {p10, p90} across replications, for every
    KPI comparison.csv has a row for (per-period series left out)."""
    out = {}
    for name, frame in kpis.items():
        rows = frame[~frame["kpi"].isin(SERIES_KPIS)]
        grouped = rows.groupby(["kpi", "tier", "segment", "pool"], sort=True)["value"]
        for (kpi, tier, segment, pool), values in grouped:
            found = percentiles(values.to_numpy(dtype=float))
            out[(name, kpi, tier, segment, pool)] = {"p10": found["p10"], "p90": found["p90"]}
    return out


def share_text(share: float | None, low: float | None, high: float | None) -> str:
    """'10% (3–30%)' in whole per cent (a share of runs is a count: 1 of 20 is 5%, never
    rounded to 0), the interval's ends as `numbers.interval` writes them."""
    if share is None or low is None or high is None:
        return "n/a"
    step = min(step_for((high - low) / 2 * 100), 1.0)
    return (
        f"{fmt(share * 100, step)}% ({interval(low * 100, high * 100, step, lower=0, upper=100)}%)"
    )


def runaway_rows(
    kpis: dict[str, pd.DataFrame], baseline: str, confidence: float = CONFIDENCE
) -> list[dict]:
    """comparison.csv's runaway rows: per scenario the share of replications that run away
    (Wilson interval as ci_low/ci_high) and, for options, the paired difference from the
    baseline (replication i's 0/1 minus the baseline's, t-interval, as for every KPI)."""
    flags = {}
    shares = {}
    for name, frame in kpis.items():
        verdicts = judgements(frame)
        flags[name] = pd.Series(
            {r: float(v.runaway) for r, v in verdicts.items() if v.runaway is not None},
            dtype=float,
        )
        shares[name] = share_of(list(verdicts.values()), confidence)
    base = shares[baseline]
    rows = []
    for name in [baseline, *[n for n in kpis if n != baseline]]:
        share = shares[name]
        row = _blank(name, RUNAWAY_KPI, "share of replications that run away", "lower")
        row.update(
            n=share.judged,
            mean=_num(share.share),
            ci_low=_num(share.low),
            ci_high=_num(share.high),
            baseline_mean=_num(base.share),
            mean_text=share_text(_num(share.share), _num(share.low), _num(share.high)),
            p10=None,
            p90=None,
        )
        if name == baseline:
            row["effect"] = "baseline"
        else:
            paired = (flags[name] - flags[baseline]).dropna()
            diff = estimate(paired.to_numpy(), confidence)
            significant = bool(math.isfinite(diff.half_width) and (diff.low > 0 or diff.high < 0))
            if not significant and diff.half_width == 0 and diff.mean == 0:
                effect = "no difference"
            elif not significant:
                effect = "no clear difference"
            else:
                effect = "improves" if diff.mean < 0 else "worsens"
            step = step_for(diff.half_width * 100) if math.isfinite(diff.half_width) else 1.0
            row.update(
                diff=_num(diff.mean),
                diff_low=_num(diff.low),
                diff_high=_num(diff.high),
                significant=significant,
                effect=effect,
                diff_text=(
                    f"{fmt(diff.mean * 100, step, sign=True)} pts "
                    f"({interval(diff.low * 100, diff.high * 100, step, sign=True)} pts)"
                    if math.isfinite(diff.half_width)
                    else ""
                ),
            )
        rows.append(row)
    return rows


def headroom_rows(found: dict[str, dict], baseline: str) -> list[dict]:
    """comparison.csv's headroom rows: per scenario with a headroom search, how much more
    demand (as a share: 0.3 = +30 %) until the runaway share passes the threshold, with its
    interval; mean empty when it never ran away in the range searched."""
    rows = []
    for name in [baseline, *[n for n in found if n != baseline]]:
        record = found.get(name)
        if not record:
            continue
        row = _blank(
            name, HEADROOM_KPI, "demand headroom (more demand until it runs away)", "higher"
        )
        row.update(
            n=record.get("replications"),
            mean=record.get("headroom"),
            ci_low=record.get("headroom_low"),
            ci_high=record.get("headroom_high"),
            effect="baseline" if name == baseline else "not compared",
            mean_text=record.get("text", ""),
            p10=None,
            p90=None,
        )
        rows.append(row)
    return rows


def _blank(scenario: str, kpi: str, label: str, better: str) -> dict:
    return {
        "scenario": scenario,
        "kpi": kpi,
        "tier": "",
        "segment": "",
        "pool": "",
        "label": label,
        "better": better,
        "n": None,
        "mean": None,
        "ci_low": None,
        "ci_high": None,
        "baseline_mean": None,
        "diff": None,
        "diff_low": None,
        "diff_high": None,
        "rel": None,
        "rel_low": None,
        "rel_high": None,
        "significant": None,
        "effect": "",
        "mean_text": "",
        "diff_text": "",
        "reading": "",
    }


def _num(value: float) -> float | None:
    return None if value is None or not math.isfinite(value) else float(value)
