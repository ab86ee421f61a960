"""The simulation section: compare's overview charts, then each scenario's backlog, chase
calls, SLA attainment, retention and revenue at risk by tier with their uncertainty."""

from __future__ import annotations

import re

import pandas as pd

from l2csim import layout
from l2csim.comparison.readings import NO_EFFECT
from l2csim.report.charts import mean_ci, scenario_chart, tiers_of
from l2csim.report.html import esc, figure, missing, para, table
from l2csim.report.numbers import with_ci
from l2csim.report.outputs import StudyOutputs
from l2csim.report.retention import retention_block
from l2csim.report.svg import sanitise_svg
from l2csim.report.words import Words

COMPARE_CHARTS = {
    "backlog_over_time": "Open {cases} per day, every option (mean and 95% band)",
    "chase_calls_per_week": "Chase calls per week, every option (mean and 95% band)",
    "sla_attainment_by_tier": "SLA attainment (% on time) by tier, every option (95% CI)",
    "revenue_at_risk_by_tier": "Revenue at risk ({money} a year) by tier, every option (95% CI)",
}
TIER_KPIS = (
    ("sla_attainment", "On time (SLA, %)", 100.0, "%"),
    ("customers_churned", "Customers lost", 1.0, ""),
    ("revenue_at_risk_annual", "Revenue at risk ({money} a year)", 1.0, ""),
    ("chase_calls", "Chase calls (simulated year)", 1.0, ""),
)


def _slug(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]", "-", name)


def tier_table(kpis: pd.DataFrame, words: Words | None = None) -> str:
    from l2csim.comparison.kpis import info

    words = words or Words()
    tiers = [*tiers_of(kpis), ""]
    rows = []
    for tier in tiers:
        cells = [tier.replace("_", " ") if tier else "all customers"]
        for kpi, _, scale, suffix in TIER_KPIS:
            values = kpis.loc[(kpis["kpi"] == kpi) & (kpis["tier"] == tier), "value"]
            if values.empty:
                cells.append("n/a")
                continue
            mean, low, high = mean_ci(values.to_numpy(dtype=float))
            bounds = info(kpi).bounds(scale)
            cells.append(with_ci(mean, low, high, scale=scale, suffix=suffix, **bounds))
        rows.append(cells)
    headers = [words.unit(label) for _, label, _, _ in TIER_KPIS]
    return table(["Tier", *headers], rows, cls="tier-kpis")


def simulation_section(outputs: StudyOutputs, words: Words | None = None) -> str:
    words = words or Words()
    scenarios = outputs.scenarios()
    if not scenarios:
        return missing(
            "simulation results (simulate/<scenario>/kpis.parquet)",
            "Run `l2csim simulate` for the baseline and each option.",
        )
    parts = []
    overview = []
    for name, caption in COMPARE_CHARTS.items():
        text = outputs.text(f"compare/{name}.svg")
        if text:
            overview.append(figure(sanitise_svg(text, f"cmp-{name}-"), words.unit(caption)))
    if overview:
        parts.append("<h3>All options side by side</h3>" + "".join(overview))
    else:
        parts.append(missing("the comparison charts (compare/*.svg)", "Run `l2csim compare`."))
    retention = retention_block(outputs, scenarios, words)
    if retention:
        parts.append("<h3>Retention: with and without the experience hypothesis</h3>" + retention)
    comparison = outputs.json(layout.rel(layout.COMPARE, layout.COMPARISON_JSON)) or {}
    described = {s.get("name"): s.get("description", "") for s in comparison.get("scenarios", [])}
    inert = set((comparison.get("recommendation") or {}).get("changes_nothing") or [])
    for name in scenarios:
        info = outputs.json(f"simulate/{name}/run.json") or {}
        kpis = outputs.kpis(name)
        if name in inert:
            parts.append(
                f'<div class="scenario-block inert" id="scenario-{esc(_slug(name))}">'
                f'<h3 class="scenario">{esc(name.replace("_", " "))}</h3>'
                + (para(described.get(name) or "") if described.get(name) else "")
                + para(f"{NO_EFFECT}: every replication equals today's, so no charts.")
                + "</div>"
            )
            continue
        replications = int(kpis["replication"].nunique()) if len(kpis) else 0
        head = f'<h3 class="scenario">{esc(name.replace("_", " "))}</h3>'
        facts = (
            f"{replications} replications of {float(info.get('horizon_hours', 0)) / 24:,.0f} "
            f"days after a {float(info.get('warmup_hours', 0)) / 24:,.0f}-day warm-up, seed "
            f"{info.get('seed', 'n/a')}."
        )
        description = described.get(name) or info.get("description") or ""
        parts.append(
            f'<div class="scenario-block" id="scenario-{esc(_slug(name))}">'
            + head
            + (para(description) if description else "")
            + para(facts)
            + figure(
                scenario_chart(kpis, f"sc-{_slug(name)}-", words),
                f"{name.replace('_', ' ')}: open {words.cases} and chase calls with the "
                "2.5–97.5% band across replications; SLA attainment and revenue at risk by tier "
                "with 95% CIs.",
            )
            + tier_table(kpis, words)
            + "</div>"
        )
    return "".join(parts)
