"""The executive summary, page 1 of the printed report: the answer first.

The recommendation (or the validation gate's "no recommendation", or "no clear winner") with
the validation verdict right under it, in one block that is never split; then every option
against today in one table with units and 95% intervals clipped to what is possible, the
log's own figures beside the model's baseline, the defaults a headline rests on flagged where
the headline is, options that change nothing the model has said plainly; then the three
biggest pain points and the symptoms customers feel.
"""

from __future__ import annotations

import math
import re

from l2csim import layout
from l2csim.comparison.kpis import info
from l2csim.comparison.readings import NO_EFFECT, gate, measure_words
from l2csim.report.html import esc, missing
from l2csim.report.numbers import fmt, share, sig, step_for, with_ci
from l2csim.report.outputs import StudyOutputs
from l2csim.report.risk import risk_table
from l2csim.report.words import WHAT, Words, default_flags, not_simulated

KIND_WORDS = {
    "informal_activity": "informal step",
    "milestone_call_missing": "owed courtesy call missing",
    "courtesy_call_not_owed": "courtesy call nobody was owed",
    "order_violation": "steps in the wrong order",
    "skipped_step": "documented step skipped",
    "repeated_activity": "step repeated (rework)",
    "rework": "rework",
}
HOURS_PER_WEEK = 168.0


def _num(value: object) -> float:
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return math.nan
    return number


def code(text: str) -> str:
    """Escaped text with `backticked` commands shown as code, not as literal backticks."""
    parts = re.split(r"`([^`]+)`", str(text))
    return "".join(esc(p) if i % 2 == 0 else f"<code>{esc(p)}</code>" for i, p in enumerate(parts))


def pain_point_impact(row: dict, words: Words | None = None) -> list[str]:
    """The customer impact of one backlog row, in words with intervals (or "too few")."""
    case = (words or Words()).case
    parts = []
    lead = [_num(row.get(f"lead_time_days_{k}")) for k in ("difference", "ci_low", "ci_high")]
    if math.isfinite(lead[0]):
        if math.isfinite(lead[1]):
            parts.append(f"lead time {with_ci(*lead, sign=True)} days")
        else:
            parts.append("lead time: too few orders to say")
    sla = [_num(row.get(f"sla_on_time_{k}")) for k in ("difference", "ci_low", "ci_high")]
    if math.isfinite(sla[0]) and math.isfinite(sla[1]):
        parts.append(f"on time {with_ci(*sla, scale=100, sign=True)} points")
    chase = [
        _num(row.get(f"chase_calls_per_order_{k}")) for k in ("difference", "ci_low", "ci_high")
    ]
    if math.isfinite(chase[0]) and math.isfinite(chase[1]):
        parts.append(f"chase calls per {case} {with_ci(*chase, sign=True)}")
    return parts


def _category(row: dict) -> str:
    category = row.get("category")
    if isinstance(category, str) and category:
        return category
    return "pain_point" if str(row.get("signal")).lower() == "true" else "no_clear_effect"


def pain_points(outputs: StudyOutputs, words: Words, count: int = 3) -> str:
    backlog = outputs.csv(layout.rel(layout.MINE, layout.BACKLOG_CSV))
    if backlog is None or backlog.empty:
        return missing("the pain-point backlog (mine/backlog.csv)", "Run `l2csim mine`.")
    records = backlog.sort_values("rank", kind="stable").to_dict("records")
    rows = [r for r in records if _category(r) == "pain_point"][:count]
    if not rows:
        return '<p class="pain-points none">No deviation comes with clearly worse outcomes.</p>'
    items = []
    for row in rows:
        kind = KIND_WORDS.get(str(row.get("kind")), str(row.get("kind")).replace("_", " "))
        impact = pain_point_impact(row, words)
        excess = _num(row.get("excess_customer_days"))
        cases = int(_num(row.get("cases"))) if math.isfinite(_num(row.get("cases"))) else 0
        head = (
            f"<strong>{esc(row.get('activity'))}</strong> ({esc(kind)}): "
            f"{cases:,} {esc(words.cases)} ({esc(share(_num(row.get('case_share'))))})"
        )
        detail = "; ".join(impact)
        if math.isfinite(excess) and excess > 0:
            detail += f"; {sig(excess, 2)} customer-days of extra waiting"
        items.append(
            f"<li>{head}. Compared with {esc(words.cases)} without it: {esc(detail)}.</li>"
        )
    return f'<ol class="pain-points">{"".join(items)}</ol>'


def symptoms_line(outputs: StudyOutputs, words: Words) -> str:
    findings = outputs.json(layout.rel(layout.MINE, layout.FINDINGS_JSON)) or {}
    found = findings.get("symptoms") or {}
    parts = []
    late = found.get("late") or {}
    if late.get("late_share") is not None:
        parts.append(
            f"{share(late['late_share'])} of {late.get('orders_judged', 0):,} {words.cases} "
            "judged were late"
        )
    chase = found.get("chase_calls") or {}
    if chase.get("calls"):
        parts.append(
            f"{chase['calls']:,} chase calls ({sig(chase.get('per_order'), 2)} per {words.case})"
        )
    if not parts:
        return ""
    return (
        f'<p class="symptoms">What customers feel (symptoms, not causes): {esc("; ".join(parts))}.'
        "</p>"
    )


# --- the options table ---------------------------------------------------------------------


def _columns(comparison: dict, words: Words) -> list[dict]:
    """Per headline KPI: its header with unit, and how to show its value (scale, per week)."""
    horizon = _num(comparison.get("horizon_hours"))
    weeks = horizon / HOURS_PER_WEEK if math.isfinite(horizon) and horizon > 0 else math.nan
    columns = []
    for h in comparison.get("headline_kpis", []):
        kpi, tier = h["kpi"], h.get("tier", "")
        meta = info(kpi)
        column = {"kpi": kpi, "tier": tier, "scale": 1.0, "suffix": "", "log": kpi}
        if kpi == "backlog_mean":
            column["header"] = f"Open {words.cases} (mean)"
        elif kpi == "chase_calls" and math.isfinite(weeks):
            column.update(
                header="Chase calls per week", scale=1 / weeks, log="chase_calls_per_week"
            )
        elif kpi == "sla_attainment":
            column.update(header="On time (SLA attainment)", scale=100.0, suffix="%")
        elif kpi == "revenue_at_risk_annual":
            column["header"] = f"Revenue at risk ({words.money} a year)"
        else:
            unit = words.unit(meta.unit)
            column["header"] = (
                meta.label[:1].upper() + meta.label[1:] + (f" ({unit})" if unit else "")
            )
        if tier:
            column["header"] += f" ({tier.replace('_', ' ')})"
        columns.append(column)
    return columns


def _mean_text(cell: dict, column: dict) -> str:
    """The mean with its interval in the column's unit, clipped to what is possible."""
    meta = info(cell["kpi"])
    scale = column["scale"]
    mean, low, high = (_num(cell.get(k)) for k in ("mean", "ci_low", "ci_high"))
    if not math.isfinite(mean):
        return "n/a"
    bounds = meta.bounds(scale)
    return with_ci(mean, low, high, scale=scale, suffix=column["suffix"], label="", **bounds)


def _log_value(log_kpis: dict | None, column: dict) -> str:
    """Today's figure from the log itself (validation.json's log_kpis), in the column's unit."""
    if log_kpis is None:
        return "n/a (not in this validation)"
    value = log_kpis.get(column["log"])
    if isinstance(value, dict):  # per tier: "all" is the overall figure
        value = value.get(column["tier"] or "all")
    number = _num(value)
    if not math.isfinite(number):
        return "not measured in the log"
    if column["kpi"] == "sla_attainment":
        return share(number)
    return sig(number, 3)


def options_table(comparison: dict, outputs: StudyOutputs, words: Words) -> str:
    """One row per scenario (the log's own figures under the model's baseline), one column
    per headline KPI: the mean (95% CI) and, for options, the paired difference from today."""
    model = outputs.json(layout.rel(layout.FIT, layout.MODEL_JSON))
    absent = not_simulated(model)  # e.g. chase calls when the log has none: not a headline
    columns = [c for c in _columns(comparison, words) if c["kpi"] not in absent]
    cells = {(s["scenario"], s["kpi"], s.get("tier", "")): s for s in comparison["summary"]}
    names = [s["name"] for s in comparison.get("scenarios", [])]
    baseline = comparison.get("baseline")
    recommendation = comparison.get("recommendation") or {}
    recommended = recommendation.get("scenario")
    inert = set(recommendation.get("changes_nothing") or [])
    flags = {k: v for k, v in default_flags(model).items() if k not in absent}
    validation = outputs.json(layout.rel(layout.VALIDATE, layout.VALIDATION_JSON)) or {}
    log_kpis = validation.get("log_kpis") if isinstance(validation.get("log_kpis"), dict) else None
    head = ""
    for c in columns:
        mark = (
            ' <span class="default-flag" title="rests on a default, not on the log">'
            "(default)</span>"
            if c["kpi"] in flags
            else ""
        )
        head += f'<th data-kpi="{esc(c["kpi"])}">{esc(c["header"])}{mark}</th>'
    body = []
    for name in names:
        title = esc(name.replace("_", " "))
        if name == baseline:
            title = f"today: {title} (the model)"
        if name in inert and name != baseline:
            body.append(
                f'<tr class="inert" data-scenario="{esc(name)}"><th scope="row">{title}</th>'
                f'<td colspan="{len(columns)}" class="inert">{esc(NO_EFFECT)}: every replication '
                "equals today's.</td></tr>"
            )
            continue
        tds = []
        for column in columns:
            cell = cells.get((name, column["kpi"], column["tier"]))
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
                f'<td data-scenario="{esc(name)}" data-kpi="{esc(column["kpi"])}" '
                f'data-tier="{esc(column["tier"])}">'
                f'<span class="mean" data-role="mean">{esc(_mean_text(cell, column))}</span>'
                f"{diff}</td>"
            )
        mark = ' class="recommended"' if name == recommended else ""
        body.append(f'<tr{mark}><th scope="row">{title}</th>{"".join(tds)}</tr>')
        if name == baseline:
            logged = "".join(
                f'<td data-role="log" data-log-kpi="{esc(c["kpi"])}">{esc(_log_value(log_kpis, c))}'
                "</td>"
                for c in columns
            )
            body.append(
                f'<tr class="log-row"><th scope="row">today in the log (same period)</th>'
                f"{logged}</tr>"
            )
    n = comparison.get("replications")
    level = round(100 * float(comparison.get("confidence", 0.95)))
    caption = (
        f"Each cell: the mean over {n} simulated years with its {level}% confidence interval; "
        f"below it, the paired difference from today with its {level}% interval (green: "
        "better, red: worse, grey: no clear difference). Under today's model row, the log's "
        "own figures for the period the model was validated on."
    )
    notes = [
        f"{esc(WHAT.get(kpi, kpi).replace('orders', words.cases))} rests on a default, not "
        f"on the log: {esc('; '.join(details))}."
        for kpi, details in flags.items()
    ]
    footer = (
        '<ul class="defaults">'
        + "".join(f'<li class="default-note">(default) {n}</li>' for n in notes)
        + "</ul>"
        if notes
        else ""
    )
    footer += "".join(
        f'<p class="not-simulated" data-kpi="{esc(kpi)}">{esc(WHAT.get(kpi, kpi).capitalize())} '
        f"are not shown: {esc(why)}.</p>"
        for kpi, why in absent.items()
    )
    return (
        f'<table class="comparison" id="comparison-table"><caption>{esc(caption)}</caption>'
        f"<thead><tr><th>Option</th>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"
        + footer
    )


# --- the answer ------------------------------------------------------------------------------


def verdict_line(outputs: StudyOutputs, comparison: dict | None) -> tuple[str, str]:
    """(css class, sentence): the validation verdict in one short line."""
    document = outputs.json(layout.rel(layout.VALIDATE, layout.VALIDATION_JSON))
    if document is None:
        status = ((comparison or {}).get("validation") or {}).get("status", "not_validated")
        if status == "not_validated":
            return "fail", "Validation: the model has not been checked against the log."
        return ("pass" if status == "passed" else "fail"), f"Validation: {status}."
    measures = document.get("measures", [])
    failed = document.get("failed", [])
    if document.get("passed"):
        return "pass", (
            f"Validation: replayed over the log's own period, the model reproduces the log "
            f"on all {len(measures)} measures."
        )
    return "fail", (
        f"Validation: the model misses the log on {len(failed)} of {len(measures)} measures ("
        + ", ".join(measure_words(f) for f in failed)
        + "); see “Why the model can be trusted”."
    )


def answer(outputs: StudyOutputs, comparison: dict | None) -> str:
    """The recommendation and the validation verdict, together and never split."""
    cls, verdict = verdict_line(outputs, comparison)
    if comparison is None:
        statement, kind = "No options compared yet: run the study's compare stage.", "no-winner"
    else:
        rec = comparison.get("recommendation") or {}
        checked = rec.get("gate") or gate(comparison.get("validation") or "not_validated")
        statement = rec.get("statement") or "No clear winner."
        if not checked.get("open", True):
            kind = "gated"
        elif rec.get("scenario"):
            kind = ""
        else:
            kind = "no-winner"
        if kind == "gated":  # the statement names what failed: the verdict need not repeat it
            verdict = re.sub(r" \(.*\);", ";", verdict, count=1)
    return (
        f'<div class="answer" id="answer"><p class="recommendation {kind}">'
        f"<strong>{esc(statement)}</strong></p>"
        f'<p class="verdict {cls}" id="verdict">{esc(verdict)}</p></div>'
    )


def readings(comparison: dict) -> str:
    texts = comparison.get("readings") or {}
    parts = []
    if texts:
        parts.append(
            '<ul class="readings">'
            + "".join(f"<li>{esc(texts[k])}</li>" for k in sorted(texts))
            + "</ul>"
        )
    for warning in comparison.get("warnings", []):
        if "validation" in str(warning):  # said by the verdict line beside the answer
            continue
        parts.append(f'<p class="warning">Warning: {code(warning)}</p>')
    return "".join(parts)


def executive_summary(outputs: StudyOutputs, words: Words | None = None) -> str:
    words = words or Words()
    comparison = outputs.json(layout.rel(layout.COMPARE, layout.COMPARISON_JSON))
    parts = [answer(outputs, comparison)]
    parts.append("<h3>The options against today</h3>")
    if comparison is None or not comparison.get("summary"):
        parts.append(
            missing("the scenario comparison (compare/comparison.json)", "Run `l2csim compare`.")
        )
    else:
        parts.append(options_table(comparison, outputs, words))
        parts.append(readings(comparison))
        parts.append(risk_table(comparison, words))  # risk beside the statistical error
    parts.append("<h3>The three biggest pain points</h3>")
    parts.append(pain_points(outputs, words))
    parts.append(symptoms_line(outputs, words))
    return "".join(parts)


__all__ = ["KIND_WORDS", "executive_summary", "fmt", "pain_point_impact", "step_for"]
