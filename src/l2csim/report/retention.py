"""The retention block of the simulation section: the churn model's experience effects with
their intervals and sample sizes (a stated hypothesis), and every option's customers lost
and revenue at risk with and without that hypothesis, side by side."""

from __future__ import annotations

import math

import numpy as np

from l2csim import layout
from l2csim.report.charts import mean_ci
from l2csim.report.html import para, table
from l2csim.report.numbers import with_ci
from l2csim.report.outputs import StudyOutputs
from l2csim.report.words import Words

EFFECT_LABELS = {
    "late_orders": "a late order",
    "chase_calls": "each chase call",
    "courtesy_calls": "each courtesy call",
}
SIDE_BY_SIDE = (
    ("customers_churned", "Customers lost, with the hypothesis"),
    ("customers_churned_tier_only", "Customers lost, tier rates only"),
    ("revenue_at_risk_annual", "Revenue at risk ({money} a year), with the hypothesis"),
    ("revenue_at_risk_annual_tier_only", "Revenue at risk ({money} a year), tier rates only"),
)


def _odds(value: float | None) -> str:
    if value is None or not math.isfinite(value):
        return "n/a"
    ratio = math.exp(value)
    return f"×{ratio:.2g}" if ratio < 10 else f"×{ratio:.0f}"


def effects_table(retention: dict) -> str:
    """The experience effects as odds ratios with 95 % CIs and the numbers behind them."""
    effects = retention.get("effects") or {}
    rows = []
    for name, label in EFFECT_LABELS.items():
        entry = effects.get(name)
        if not entry:
            continue
        if entry.get("status") == "estimated":
            shown = (
                f"{_odds(entry['estimate'])} (95% CI {_odds(entry.get('ci_low'))} to "
                f"{_odds(entry.get('ci_high'))})"
            )
        elif entry.get("status") == "assumed":
            shown = f"{_odds(entry['estimate'])} (assumed in the study file)"
        else:
            shown = "not estimated: 0 in the simulation"
        rows.append(
            [
                label,
                shown,
                "n/a" if entry.get("deliveries_with") is None else f"{entry['deliveries_with']:,}",
                "n/a" if entry.get("churned_with") is None else f"{entry['churned_with']:,}",
                str(entry.get("note") or ""),
            ]
        )
    return table(
        [
            "Experience",
            "Odds of leaving after the delivery",
            "Deliveries with it",
            "Churned customers with it",
            "Note",
        ],
        rows,
        cls="retention-effects",
        caption="The experience hypothesis: effects within each tier, fitted from the log",
    )


def retention_block(outputs: StudyOutputs, scenarios: list[str], words: Words) -> str:
    """Which churn model the options' retention figures follow, and both side by side."""
    model = outputs.json(layout.rel(layout.FIT, layout.MODEL_JSON)) or {}
    retention = model.get("retention") or {}
    if not retention:
        return ""
    provenance = (retention.get("provenance") or {}).get("detail", "")
    if not retention.get("enabled", True):
        return para(f"Retention: churn is not simulated ({provenance}).")
    parts = [
        para(
            "Retention. Customers lost and revenue at risk follow the churn model of the "
            f"customers analysis ({provenance}). Each tier churns at its own rate; on top, "
            "late orders, chase calls and courtesy calls change the odds — a hypothesis "
            "read from the log within each tier, not a proven cause. The options' retention "
            "figures are shown with it (the headline, unless an option sets "
            "retention.experience_effects: false) and with each tier's own rate only, counted "
            "in the same runs."
        )
    ]
    if retention.get("effects"):
        parts.append(effects_table(retention))
    rows = []
    for name in scenarios:
        kpis = outputs.kpis(name)
        overall = kpis[(kpis["tier"] == "") & (kpis["segment"] == "") & (kpis["pool"] == "")]
        cells = [name.replace("_", " ")]
        for kpi, _ in SIDE_BY_SIDE:
            values = overall.loc[overall["kpi"] == kpi, "value"].to_numpy(dtype=float)
            if values.size == 0:
                cells.append("n/a")
                continue
            mean, low, high = mean_ci(values)
            cells.append(
                with_ci(mean, low, high, lower=0.0) if np.isfinite(low) else f"{mean:,.0f}"
            )
        rows.append(cells)
    if rows:
        parts.append(
            table(
                ["Option", *[words.unit(label) for _, label in SIDE_BY_SIDE]],
                rows,
                cls="retention-hypothesis",
                caption="Retention with and without the experience hypothesis (mean, 95% CI "
                "over replications)",
            )
        )
    return "".join(parts)
