"""What the comparison says in words: one line per scenario, the risk, the recommendation.

A scenario's line names its largest significant improvement and its largest significant
deterioration among the reading KPIs (overall and per tier); with neither it says "no clear
difference". A scenario whose every KPI equals the baseline's in every replication (with
common random numbers: it changes nothing the fitted model has, e.g. staff for a pool
without a queue, or a courtesy rule when the model has no courtesy calls) says so instead.

The recommendation is gated by the baseline's validation: while the baseline model fails
it, there is no recommendation ("the model does not reproduce today's operation"), with
what failed. Otherwise it is the scenario that improves at least one headline KPI with
significance and worsens none, the most improvements first (ties: the larger mean relative
improvement); it lists its significant deteriorations anywhere as trade-offs. Otherwise it
says "no clear winner".
"""

from __future__ import annotations

import math

import numpy as np

from l2csim.comparison.kpis import READING_KPIS
from l2csim.comparison.risk import risk  # noqa: F401  (risk and the runaway share: risk.py)
from l2csim.comparison.table import Row
from l2csim.confidence import HEADLINE_KPIS


def scenario_title(name: str) -> str:
    return name.replace("_", " ")


# Validation measures in a steering group's words (validate's measure keys).
MEASURE_WORDS = {
    "cycle_time": "how long orders take (lead-time distribution)",
    "activities": "how often each step happens",
    "ngrams": "the order of steps",
    "control_flow": "the paths orders take",
    "arrivals_hourly": "when orders arrive",
    "arrivals_weekly": "orders per week",
    "backlog_daily": "open orders per day",
    "chase_call_rate": "chase calls per order",
    "sla_attainment": "on-time delivery (SLA attainment)",
}
NO_EFFECT = "this option changes nothing the model has"


def measure_words(measure: str) -> str:
    return MEASURE_WORDS.get(measure, measure.replace("_", " "))


def changes_nothing(rows: list[Row], scenario: str) -> bool:
    """Every KPI of `scenario` equals the baseline's in every replication."""
    mine = [r for r in rows if r.scenario == scenario]
    return bool(mine) and all(r.effect == "no difference" for r in mine)


def gate(validation: dict | str) -> dict:
    """Whether the baseline may carry a recommendation: not while its validation failed.

    `validation` is compare's record ({status, failed, ...}) or just its status."""
    record = {"status": validation} if isinstance(validation, str) else dict(validation)
    status = str(record.get("status", "not_validated"))
    failed = [str(f) for f in record.get("failed") or []]
    if status == "failed":
        what = ", ".join(measure_words(f) for f in failed) or "its measures"
        statement = (
            "The model does not reproduce today's operation: no recommendation. "
            f"Replayed over the log's own period it misses the log on {what}; the options "
            "below show what the model says, not what to expect."
        )
    elif status == "passed":
        statement = ""
    elif status == "stale":
        statement = (
            "Caution: the validation found belongs to another fit of the model; validate "
            "this model before acting on the recommendation."
        )
    else:
        statement = (
            "Caution: the model has not been checked against the log (no validation); "
            "validate it before acting on the recommendation."
        )
    return {"status": status, "open": status != "failed", "failed": failed, "statement": statement}


def _reading_rows(rows: list[Row], scenario: str) -> list[Row]:
    return [
        r
        for r in rows
        if r.scenario == scenario
        and r.kpi in READING_KPIS
        and not r.segment
        and not r.pool
        and r.significant
        and r.rel is not None
        and math.isfinite(r.rel)
    ]


def scenario_reading(rows: list[Row], scenario: str) -> str:
    """'tier priority cuts key-account chase calls by 38% (95% CI 31–45%) but ...'."""
    if changes_nothing(rows, scenario):
        return f"{scenario_title(scenario)}: {NO_EFFECT} (every replication equals today's)"
    candidates = _reading_rows(rows, scenario)
    good = [r for r in candidates if r.effect == "improves"]
    bad = [r for r in candidates if r.effect == "worsens"]
    title = scenario_title(scenario)
    best = max(good, key=lambda r: (abs(r.rel or 0), r.label), default=None)
    worst = max(bad, key=lambda r: (abs(r.rel or 0), r.label), default=None)
    if best and worst:
        return f"{title} {best.reading} but {worst.reading}"
    if best:
        return f"{title} {best.reading}, with no significant deterioration in the KPIs read"
    if worst:
        return f"{title} improves none of the KPIs read and {worst.reading}"
    return f"{title}: no clear difference from the baseline"


def recommendation(rows: list[Row], scenarios: list[str], validation: dict | str) -> dict:
    """The option that improves the headline KPIs with significance, and its trade-offs;
    none while the baseline fails validation (see the module docstring).

    `validation` is compare's validation record ({status, failed}) or its status alone."""
    checked = gate(validation)
    inert = [name for name in scenarios if changes_nothing(rows, name)]
    if not checked["open"]:
        return {
            "scenario": None,
            "statement": checked["statement"],
            "improves": [],
            "trade_offs": [],
            "runner_up": None,
            "gate": checked,
            "changes_nothing": inert,
        }
    headline = set(HEADLINE_KPIS)
    scored = []
    for name in scenarios:
        mine = [r for r in rows if r.scenario == name and not r.segment and not r.pool]
        heads = [r for r in mine if (r.kpi, r.tier) in headline]
        improves = [r for r in heads if r.effect == "improves"]
        worsens = [r for r in heads if r.effect == "worsens"]
        if improves and not worsens:
            gain = float(np.mean([abs(r.rel or 0) for r in improves]))
            scored.append((len(improves), gain, name, improves, mine))
    caveat = f" {checked['statement']}" if checked["statement"] else ""
    if not scored:
        acting = [name for name in scenarios if name not in inert]
        statement = (
            "No clear winner: no option improves a headline KPI with significance without "
            "worsening another."
            if acting
            else "No option changes anything the model has: nothing to recommend."
        )
        return {
            "scenario": None,
            "statement": statement + caveat,
            "improves": [],
            "trade_offs": [],
            "runner_up": None,
            "gate": checked,
            "changes_nothing": inert,
        }
    scored.sort(key=lambda s: (-s[0], -s[1], s[2]))
    _count, _, name, improves, mine = scored[0]
    trade_offs = [
        r for r in mine if r.effect == "worsens" and r.kpi in READING_KPIS and r.rel is not None
    ]
    trade_offs.sort(key=lambda r: (-abs(r.rel or 0), r.label))
    statement = f"Recommended: {scenario_title(name)}. It " + "; ".join(r.reading for r in improves)
    if trade_offs:
        statement += ". Trade-offs: it " + "; ".join(r.reading for r in trade_offs[:3])
    statement += "." + caveat
    return {
        "scenario": name,
        "statement": statement,
        "improves": [_ref(r) for r in improves],
        "trade_offs": [_ref(r) for r in trade_offs],
        "runner_up": scored[1][2] if len(scored) > 1 else None,
        "gate": checked,
        "changes_nothing": inert,
    }


def _ref(row: Row) -> dict:
    return {"kpi": row.kpi, "tier": row.tier, "label": row.label, "reading": row.reading}
