"""The comparison's charts as SVG and PNG: backlog over time, chase calls per week, SLA
attainment and revenue at risk by tier.

matplotlib with the Agg backend (no display needed); SVG ids are salted with a constant and
no date is written, so the same inputs give byte-identical files. Options are named in
words ("tier priority"), axes carry units and readable ticks (35k, 2.2M, never 1e7), and the
legend sits below the plot so it never covers a line. Bands over time are the
2.5-97.5 % range across replications (what a single year may look like); bars carry the
95 % CI of the mean.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from l2csim.comparison.numbers import readable
from l2csim.confidence import estimate
from l2csim.output import write_bytes

CHARTS = (
    "backlog_over_time",
    "chase_calls_per_week",
    "sla_attainment_by_tier",
    "revenue_at_risk_by_tier",
)


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams.update(
        {"svg.hashsalt": "l2csim", "svg.fonttype": "path", "figure.dpi": 100, "font.size": 9}
    )
    return plt


def write_charts(kpis: dict[str, pd.DataFrame], out: Path) -> list[Path]:
    """Write every chart as out/NAME.svg and out/NAME.png; return the paths."""
    plt = _pyplot()
    written: list[Path] = []
    makers = {
        "backlog_over_time": lambda ax: _series(ax, kpis, "backlog_daily", "day", "open orders"),
        "chase_calls_per_week": lambda ax: _series(
            ax, kpis, "chase_calls_weekly", "week", "chase calls per week"
        ),
        "sla_attainment_by_tier": lambda ax: _bars(ax, kpis, "sla_attainment", 100.0, "% on time"),
        "revenue_at_risk_by_tier": lambda ax: _bars(
            ax, kpis, "revenue_at_risk_annual", 1.0, "revenue at risk a year"
        ),
    }
    titles = {
        "backlog_over_time": "Open orders per day (mean, 95% band across replications)",
        "chase_calls_per_week": "Chase calls per week (mean, 95% band across replications)",
        "sla_attainment_by_tier": "SLA attainment by tier (mean, 95% CI)",
        "revenue_at_risk_by_tier": "Annual revenue at risk by tier (mean, 95% CI)",
    }
    from matplotlib.ticker import FuncFormatter

    columns = min(max(len(kpis), 1), 4)
    for name in CHARTS:
        fig, ax = plt.subplots(figsize=(7.5, 3.9))
        makers[name](ax)
        ax.set_title(titles[name])
        ax.grid(alpha=0.3)
        ax.yaxis.set_major_formatter(FuncFormatter(readable))
        ax.legend(fontsize=8, frameon=False, loc="upper center", bbox_to_anchor=(0.5, -0.2),
                  ncol=columns)  # fmt: skip
        fig.tight_layout()
        for suffix, metadata in (("svg", {"Date": None}), ("png", {"Software": None})):
            path = out / f"{name}.{suffix}"
            from io import BytesIO

            buffer = BytesIO()
            fig.savefig(buffer, format=suffix, metadata=metadata)
            written.append(write_bytes(path, buffer.getvalue()))
        plt.close(fig)
    return written


def _series(ax, kpis, kpi: str, column: str, ylabel: str) -> None:
    for i, (name, frame) in enumerate(kpis.items()):
        rows = frame[frame["kpi"] == kpi]
        if rows.empty:
            continue
        table = rows.pivot_table(index=column, columns="replication", values="value")
        x = table.index.to_numpy(dtype=float)
        values = table.to_numpy(dtype=float)
        colour = f"C{i % 10}"
        ax.plot(x, np.nanmean(values, axis=1), color=colour, lw=1.2, label=_words(name))
        if values.shape[1] > 1:
            low, high = np.nanquantile(values, [0.025, 0.975], axis=1)
            ax.fill_between(x, low, high, color=colour, alpha=0.15, lw=0)
    ax.set_xlabel(f"{column} of the simulated year")
    ax.set_ylabel(ylabel)


def _bars(ax, kpis, kpi: str, scale: float, unit: str) -> None:
    tiers: list[str] = sorted(
        {t for f in kpis.values() for t in f.loc[(f["kpi"] == kpi) & (f["tier"] != ""), "tier"]}
    )
    width = 0.8 / max(1, len(kpis))
    positions = np.arange(len(tiers))
    for i, (name, frame) in enumerate(kpis.items()):
        means, errors = [], []
        for tier in tiers:
            values = frame.loc[(frame["kpi"] == kpi) & (frame["tier"] == tier), "value"]
            est = estimate(values.to_numpy(dtype=float))
            means.append(est.mean * scale)
            errors.append(0.0 if np.isnan(est.half_width) else est.half_width * scale)
        ax.bar(
            positions + i * width - 0.4 + width / 2,
            means,
            width,
            yerr=errors,
            capsize=2,
            color=f"C{i % 10}",
            label=_words(name),
        )
    ax.set_xticks(positions, [t.replace("_", " ") for t in tiers])
    ax.set_ylabel(unit)
    if kpi == "sla_attainment":
        ax.set_ylim(0, 100)


def _words(name: str) -> str:
    return name.replace("_", " ")
