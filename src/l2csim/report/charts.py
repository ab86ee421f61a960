"""Per-scenario charts drawn from a scenario's kpis.parquet (matplotlib, Agg backend).

Deterministic SVG: a fixed svg.hashsalt, text as paths (no font files needed) and no date in
the metadata, so the same KPIs give the same bytes. Over time the band is the 2.5-97.5%
range across replications (what one year may look like); bars carry the 95% CI of the mean.
"""

from __future__ import annotations

import io
import math

import numpy as np
import pandas as pd

from l2csim.comparison.numbers import readable
from l2csim.report.svg import sanitise_svg
from l2csim.report.words import Words

TIER_ORDER = ("key_account", "priority", "occasional", "one_time")


def mean_ci(values: np.ndarray, confidence: float = 0.95) -> tuple[float, float, float]:
    """Mean and t-based confidence interval of replication values."""
    values = values[np.isfinite(values)]
    if len(values) == 0:
        return math.nan, math.nan, math.nan
    mean = float(values.mean())
    if len(values) < 2:
        return mean, math.nan, math.nan
    from scipy import stats

    half = float(stats.t.ppf(0.5 + confidence / 2, len(values) - 1) * values.std(ddof=1))
    half /= math.sqrt(len(values))
    return mean, mean - half, mean + half


def tiers_of(kpis: pd.DataFrame) -> list[str]:
    found = set(kpis.loc[kpis["tier"] != "", "tier"])
    known = [t for t in TIER_ORDER if t in found]
    return known + sorted(found - set(known))


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams.update(
        {"svg.hashsalt": "l2csim-report", "svg.fonttype": "path", "font.size": 8, "figure.dpi": 100}
    )
    return plt


def _band(ax, kpis: pd.DataFrame, kpi: str, column: str, ylabel: str, colour: str) -> None:
    rows = kpis[(kpis["kpi"] == kpi) & (kpis["tier"] == "")]
    if rows.empty:
        ax.text(0.5, 0.5, "not recorded", ha="center", va="center", transform=ax.transAxes)
        return
    table = rows.pivot_table(index=column, columns="replication", values="value")
    x = table.index.to_numpy(dtype=float)
    values = table.to_numpy(dtype=float)
    ax.plot(x, np.nanmean(values, axis=1), color=colour, lw=1.2, label="mean")
    if values.shape[1] > 1:
        low, high = np.nanquantile(values, [0.025, 0.975], axis=1)
        ax.fill_between(x, low, high, color=colour, alpha=0.2, lw=0, label="95% of years")
        ax.legend(fontsize=7, frameon=False, loc="upper left", bbox_to_anchor=(0, -0.2), ncol=2)
    ax.set_xlabel(f"{column} of the simulated year")
    ax.set_ylabel(ylabel)


def _tier_bars(ax, kpis: pd.DataFrame, kpi: str, scale: float, ylabel: str, colour: str) -> None:
    tiers = tiers_of(kpis)
    means, errors = [], []
    for tier in tiers:
        values = kpis.loc[(kpis["kpi"] == kpi) & (kpis["tier"] == tier), "value"]
        mean, low, high = mean_ci(values.to_numpy(dtype=float))
        means.append(mean * scale)
        errors.append(0.0 if math.isnan(low) else (high - mean) * scale)
    positions = np.arange(len(tiers))
    ax.bar(positions, means, 0.6, yerr=errors, capsize=3, color=colour)
    ax.set_xticks(positions, [t.replace("_", " ") for t in tiers])
    ax.set_ylabel(ylabel)
    if kpi == "sla_attainment":
        ax.set_ylim(0, 100)


def scenario_chart(kpis: pd.DataFrame, prefix: str, words: Words | None = None) -> str:
    """Backlog over time, chase calls per week, SLA attainment and revenue at risk by tier,
    as one sanitised inline SVG, every axis with its unit."""
    from matplotlib.ticker import FuncFormatter

    words = words or Words()
    plt = _pyplot()
    fig, axes = plt.subplots(2, 2, figsize=(8.5, 5.2))
    _band(axes[0, 0], kpis, "backlog_daily", "day", f"open {words.cases}", "C0")
    axes[0, 0].set_title(f"Open {words.cases} per day")
    _band(axes[0, 1], kpis, "chase_calls_weekly", "week", "calls per week", "C3")
    axes[0, 1].set_title("Chase calls per week")
    _tier_bars(axes[1, 0], kpis, "sla_attainment", 100.0, "% on time", "C2")
    axes[1, 0].set_title("SLA attainment by tier (95% CI)")
    _tier_bars(axes[1, 1], kpis, "revenue_at_risk_annual", 1.0, f"{words.money} a year", "C1")
    axes[1, 1].set_title("Revenue at risk by tier (95% CI)")
    for ax in axes.flat:
        ax.grid(alpha=0.3)
        ax.yaxis.set_major_formatter(FuncFormatter(readable))
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="svg", metadata={"Date": None})
    plt.close(fig)
    return sanitise_svg(buffer.getvalue(), prefix)
