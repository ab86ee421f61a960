"""The study's own words in the report: its title, what a case is called, its currency, and
how people are named; plus which headline figures rest on a default rather than the log.

The study file is the one given to `build_report`, else the one the study's stages read
(found through manifest.json); without one, the defaults: "Lead-to-cash study", "orders",
money in "value units", people pseudonymised.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from l2csim import layout
from l2csim.errors import L2csimError
from l2csim.report.outputs import StudyOutputs
from l2csim.report.people import People

DEFAULT_TITLE = "Lead-to-cash study"


@dataclass(frozen=True)
class Words:
    title: str = DEFAULT_TITLE
    cases: str = "orders"  # plural
    currency: str | None = None
    people: People = field(default_factory=People)

    @property
    def case(self) -> str:
        """The singular of `cases` ("orders" -> "order", "inquiries" -> "inquiry")."""
        noun = self.cases
        if noun.endswith("ies") and len(noun) > 3:
            return noun[:-3] + "y"
        if noun.endswith("s") and not noun.endswith("ss"):
            return noun[:-1]
        return noun

    @property
    def money(self) -> str:
        """How an amount of money is named: the study's currency, else "value units"."""
        return self.currency or "value units"

    def unit(self, template: str) -> str:
        """A KPI unit (comparison.kpis) in these words: "{cases}" and "{money}" filled in."""
        return template.format(cases=self.cases, money=self.money)


def study_file(outputs: StudyOutputs, given: Path | None) -> Path | None:
    """The study file: `given`, else the .yaml study file a stage read (manifest.json)."""
    if given is not None:
        return Path(given)
    manifest = outputs.json(layout.MANIFEST_JSON) or {}
    for stage in ("mine", "check", "customers", "fit"):
        inputs = (manifest.get("stages", {}).get(stage) or {}).get("inputs", {})
        found = sorted(Path(p) for p in inputs if p.lower().endswith((".yaml", ".yml")))
        for path in found:
            if path.name.startswith("study") and path.is_file():
                return path
    return None


def load_words(outputs: StudyOutputs, given: Path | None) -> tuple[Words, Any]:
    """The report's words and the loaded study (None when there is none to read)."""
    path = study_file(outputs, given)
    study = None
    if path is not None:
        from l2csim.study import load_study

        try:
            study = load_study(path)
        except L2csimError:
            if given is not None:
                raise
            study = None
    model = outputs.json(layout.rel(layout.FIT, layout.MODEL_JSON)) or {}
    names = study is not None and study.report.people == "names"
    people = People.from_pools(
        model.get("pools") or [], names=names, extra=_handover_people(outputs)
    )
    if study is None:
        return Words(people=people), None
    return Words(study.title, study.case_noun, study.report.currency, people), study


def _handover_people(outputs: StudyOutputs) -> list[str]:
    table = outputs.csv(layout.rel(layout.MINE, layout.HANDOVERS_CSV))
    if table is None or table.empty:
        return []
    work = table.groupby("source")["handovers"].sum().sort_index()
    return [str(n) for n in work.sort_values(ascending=False, kind="mergesort").index]


# The model.json parts each headline KPI rests on (dotted paths; [] means every list item).
HEADLINE_SOURCES = {
    "chase_calls": (
        "chase",
        "chase.call",
        "chase.patience_after_promise",
        "chase.repeat_after",
        "chase.hold",
        "chase.unanswered",
    ),
    "revenue_at_risk_annual": ("retention",),
    "sla_attainment": ("tiers[]",),
    "backlog_mean": ("pools[]",),
}
WHAT = {
    "chase_calls": "chase calls",
    "revenue_at_risk_annual": "revenue at risk (the churn model)",
    "sla_attainment": "on-time delivery (the promised dates)",
    "backlog_mean": "open orders (the staff pools)",
}


def _nodes(model: Any, path: str) -> list[dict]:
    nodes = [model]
    for part in path.split("."):
        many = part.endswith("[]")
        key = part.removesuffix("[]")
        found = []
        for node in nodes:
            value = node.get(key) if isinstance(node, dict) else None
            if many and isinstance(value, list):
                found.extend(v for v in value if isinstance(v, dict))
            elif isinstance(value, dict):
                found.append(value)
        nodes = found
    return nodes


def not_simulated(model: dict | None) -> dict[str, str]:
    """Headline KPIs the model does not simulate at all, with why: chase calls when the log
    has none (`fit.evidence.silent_chase`: no customer ever phones). The report leaves them
    out of its headline rather than showing zeros, or defaults, as results."""
    chase = (model or {}).get("chase") or {}
    patience = chase.get("patience") or {}
    silent = bool(patience) and all(
        isinstance(w, dict) and w.get("share") == 0 for w in patience.values()
    )
    if silent and chase.get("max_calls") == 0:
        detail = (chase.get("provenance") or {}).get("detail") or "no chase calls in the log"
        return {"chase_calls": str(detail)}
    return {}


def _working_pools(model: dict) -> set[str]:
    """Pools that do some activity's work (a pool only for calls holds up no order)."""
    used = set()
    for activity in model.get("activities") or []:
        if isinstance(activity, dict):
            used.add(activity.get("pool"))
            used.update((activity.get("pool_by_segment") or {}).values())
    return used


def default_flags(model: dict | None) -> dict[str, list[str]]:
    """Per headline KPI, the details of the model numbers it rests on that are defaults
    (provenance source "default", or a churn model assumed in the study file). Open orders
    rest on the pools that do the orders' work: a default pool only for calls the log does
    not have is not flagged there."""
    flags: dict[str, list[str]] = {}
    if not model:
        return flags
    working = _working_pools(model)
    for kpi, paths in HEADLINE_SOURCES.items():
        details = []
        for path in paths:
            for node in _nodes(model, path):
                if path == "pools[]" and node.get("name") not in working:
                    continue
                provenance = node.get("provenance") or {}
                source = provenance.get("source")
                if source == "default" or (kpi == "revenue_at_risk_annual" and source == "study"):
                    detail = str(provenance.get("detail") or "a default")
                    if detail not in details:
                        details.append(detail)
        if details:
            flags[kpi] = details
    return flags
