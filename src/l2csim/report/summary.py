"""The executive summary: the three biggest pain points, the scenario comparison in one
table with its confidence intervals, and the recommendation (or "no clear winner")."""

from __future__ import annotations

import math

from l2csim import layout
from l2csim.report.html import esc, missing, para
from l2csim.report.numbers import share, sig, with_ci
from l2csim.report.outputs import StudyOutputs

KIND_WORDS = {
    "informal_activity": "informal step",
    "milestone_call_missing": "owed courtesy call missing",
    "order_violation": "steps in the wrong order",
    "skipped_step": "documented step skipped",
    "repeated_activity": "step repeated (rework)",
    "rework": "rework",
}


def _num(value: object) -> float:
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return math.nan
    return number


def pain_point_impact(row: dict) -> list[str]:
    """The customer impact of one backlog row, in words with intervals."""
    parts = []
    lead = [_num(row.get(f"lead_time_days_{k}")) for k in ("difference", "ci_low", "ci_high")]
    if math.isfinite(lead[0]):
        parts.append(f"lead time {with_ci(*lead, sign=True)} days")
    sla = [_num(row.get(f"sla_on_time_{k}")) for k in ("difference", "ci_low", "ci_high")]
    if math.isfinite(sla[0]):
        parts.append(f"on time {with_ci(*sla, scale=100, sign=True)} points")
    chase = [
        _num(row.get(f"chase_calls_per_order_{k}")) for k in ("difference", "ci_low", "ci_high")
    ]
    if math.isfinite(chase[0]):
        parts.append(f"chase calls per order {with_ci(*chase, sign=True)}")
    return parts


def pain_points(outputs: StudyOutputs, count: int = 3) -> str:
    backlog = outputs.csv(layout.rel(layout.MINE, layout.BACKLOG_CSV))
    if backlog is None or backlog.empty:
        return missing("the pain-point backlog (mine/backlog.csv)", "Run `l2csim mine`.")
    rows = backlog.sort_values("rank", kind="stable").head(count).to_dict("records")
    items = []
    for row in rows:
        kind = KIND_WORDS.get(str(row.get("kind")), str(row.get("kind")).replace("_", " "))
        impact = pain_point_impact(row)
        excess = _num(row.get("excess_customer_days"))
        cases = int(_num(row.get("cases"))) if math.isfinite(_num(row.get("cases"))) else 0
        head = (
            f"<strong>{esc(row.get('activity'))}</strong> ({esc(kind)}): "
            f"{cases:,} orders ({esc(share(_num(row.get('case_share'))))})"
        )
        detail = "; ".join(impact)
        if math.isfinite(excess):
            detail += f"; {sig(excess, 2)} customer-days of extra waiting"
        items.append(f"<li>{head}. Compared with orders without it: {esc(detail)}.</li>")
    return f'<ol class="pain-points">{"".join(items)}</ol>'


def comparison_table(comparison: dict) -> str:
    """One row per scenario, one column per headline KPI: mean (95% CI) and, for options,
    the paired difference from the baseline (95% CI). Texts are compare's own."""
    headline = [(h["kpi"], h.get("tier", "")) for h in comparison.get("headline_kpis", [])]
    cells = {(s["scenario"], s["kpi"], s.get("tier", "")): s for s in comparison["summary"]}
    labels = {
        (s["kpi"], s.get("tier", "")): s.get("label", s["kpi"]) for s in comparison["summary"]
    }
    names = [s["name"] for s in comparison.get("scenarios", [])]
    recommended = (comparison.get("recommendation") or {}).get("scenario")
    head = "".join(
        f"<th>{esc(labels.get(k, k[0]))}{esc(f' ({k[1]})' if k[1] else '')}</th>" for k in headline
    )
    body = []
    for name in names:
        tds = []
        for kpi, tier in headline:
            cell = cells.get((name, kpi, tier))
            if cell is None:
                tds.append('<td class="na">n/a</td>')
                continue
            effect = str(cell.get("effect", ""))
            diff = (
                f'<span class="diff {esc(effect.replace(" ", "-"))}" data-role="diff">'
                f"{esc(cell.get('diff_text'))}</span>"
                if cell.get("diff_text")
                else ""
            )
            tds.append(
                f'<td data-scenario="{esc(name)}" data-kpi="{esc(kpi)}" data-tier="{esc(tier)}">'
                f'<span class="mean" data-role="mean">{esc(cell.get("mean_text"))}</span>{diff}</td>'
            )
        mark = ' class="recommended"' if name == recommended else ""
        title = esc(name.replace("_", " ")) + (
            " (today)" if name == comparison.get("baseline") else ""
        )
        body.append(f'<tr{mark}><th scope="row">{title}</th>{"".join(tds)}</tr>')
    n = comparison.get("replications")
    level = round(100 * float(comparison.get("confidence", 0.95)))
    caption = (
        f"Each cell: the mean over {n} replications with its {level}% confidence interval; "
        f"below it, the paired difference from today with its {level}% interval "
        "(green: better, red: worse, grey: no clear difference)."
    )
    return (
        f'<table class="comparison" id="comparison-table"><caption>{esc(caption)}</caption>'
        f"<thead><tr><th>Option</th>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"
    )


def recommendation(comparison: dict) -> str:
    rec = comparison.get("recommendation") or {}
    statement = rec.get("statement") or "No clear winner."
    cls = "recommendation" if rec.get("scenario") else "recommendation no-winner"
    parts = [f'<p class="{cls}"><strong>{esc(statement)}</strong></p>']
    readings = comparison.get("readings") or {}
    if readings:
        parts.append(
            '<ul class="readings">'
            + "".join(f"<li>{esc(readings[k])}</li>" for k in sorted(readings))
            + "</ul>"
        )
    risk = comparison.get("risk") or {}
    runaway = [
        f"{name.replace('_', ' ')}: {share(r.get('runaway_share'))}"
        for name, r in sorted(risk.items())
        if r.get("runaway_share")
    ]
    if runaway:
        parts.append(para("Share of replications whose backlog runs away: " + "; ".join(runaway)))
    for warning in comparison.get("warnings", []):
        parts.append(para(f"Warning: {warning}", "warning"))
    return "".join(parts)


def executive_summary(outputs: StudyOutputs) -> str:
    parts = ["<h3>The three biggest pain points</h3>", pain_points(outputs)]
    comparison = outputs.json(layout.rel(layout.COMPARE, layout.COMPARISON_JSON))
    parts.append("<h3>The options compared</h3>")
    if comparison is None or not comparison.get("summary"):
        parts.append(
            missing("the scenario comparison (compare/comparison.json)", "Run `l2csim compare`.")
        )
    else:
        parts.append(comparison_table(comparison))
        parts.append("<h3>Recommendation</h3>")
        parts.append(recommendation(comparison))
    return "".join(parts)
