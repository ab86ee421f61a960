"""The process sections: the as-is maps and variants, the documented process beside them
with the deviations marked, and the pain-point backlog (all from mine's outputs)."""

from __future__ import annotations

import math
from pathlib import Path

from l2csim import layout
from l2csim.report.html import esc, figure, missing, para, table
from l2csim.report.numbers import share, sig
from l2csim.report.outputs import StudyOutputs
from l2csim.report.summary import KIND_WORDS, pain_point_impact
from l2csim.report.svg import sanitise_svg
from l2csim.report.words import Words

HIGHLIGHT = "#ffcdd2"
HIGHLIGHT_LINE = "#c62828"


def middle_maps(findings: dict) -> list[dict]:
    """The all-cases maps at the middle abstraction level (frequency, then performance)."""
    maps = [m for m in findings.get("maps", []) if m.get("column") is None]
    levels = sorted({float(m["coverage"]) for m in maps})
    if not levels:
        return []
    middle = levels[len(levels) // 2]
    chosen = [m for m in maps if float(m["coverage"]) == middle]
    return sorted(chosen, key=lambda m: m.get("view") != "frequency")


def inline_file(outputs: StudyOutputs, relative: str, prefix: str) -> str | None:
    text = outputs.text(relative)
    return sanitise_svg(text, prefix) if text else None


def as_is_section(outputs: StudyOutputs, words: Words | None = None) -> str:
    words = words or Words()
    findings = outputs.json(layout.rel(layout.MINE, layout.FINDINGS_JSON))
    if findings is None:
        return missing("the mined process (mine/findings.json)", "Run `l2csim mine`.")
    parts = []
    log = findings.get("log", {})
    parts.append(
        para(
            f"{log.get('cases', 0):,} {words.cases}, {log.get('events', 0):,} events, "
            f"{log.get('activities', 0)} activities, {findings.get('variants', {}).get('count', 0):,} "
            "distinct paths (variants)."
        )
    )
    figures = []
    for i, m in enumerate(middle_maps(findings)):
        svg = inline_file(outputs, f"mine/{m['svg']}", f"map{i}-")
        if svg is None:
            continue
        view = "How often (frequency)" if m["view"] == "frequency" else "How long (median waits)"
        pinned = m.get("pinned") or []
        caption = (
            f"{view}: the {m['activities']} activities that cover {share(m['coverage'])} of "
            f"events, {m['cases']:,} {words.cases} ({m['segment']})."
            + (
                f" Outlined in red, always shown: the #1 pain point ({', '.join(pinned)})."
                if pinned
                else ""
            )
        )
        figures.append(figure(svg, caption, "map"))
    parts.append(
        f'<div class="maps">{"".join(figures)}</div>'
        if figures
        else missing("the process maps (mine/maps/)", "Run `l2csim mine` with graphviz installed.")
    )
    variants = outputs.csv(layout.rel(layout.MINE, layout.VARIANTS_CSV))
    if variants is not None and not variants.empty:
        top = variants.sort_values("rank", kind="stable").head(10)
        parts.append("<h3>The most common paths</h3>")
        parts.append(
            table(
                ["#", "Path", words.cases.capitalize(), "Share", "Cumulative", "Median lead time"],
                [
                    [
                        str(r["rank"]),
                        str(r["variant"]),
                        f"{int(r['cases']):,}",
                        share(r["share"]),
                        share(r["cumulative_share"]),
                        f"{sig(r['median_lead_time_days'], 2)} days",
                    ]
                    for r in top.to_dict("records")
                ],
                cls="variants",
            )
        )
    return "".join(parts)


def reference_model_path(outputs: StudyOutputs, study: Path | None) -> Path | None:
    """The documented process: the study's, else the .bpmn the mine stage read (manifest)."""
    if study is not None:
        from l2csim.study import load_study

        return load_study(study).reference_process_path
    manifest = outputs.json(layout.MANIFEST_JSON) or {}
    inputs = (manifest.get("stages", {}).get("mine") or {}).get("inputs", {})
    found = sorted(Path(p) for p in inputs if p.lower().endswith(".bpmn"))
    return found[0] if found and found[0].is_file() else None


def documented_svg(path: Path, deviating: set[str]) -> str:
    """The documented BPMN drawn with mine's escaped DOT, deviating tasks in red."""
    from l2csim.mine.bpmn import bpmn_dot
    from l2csim.mine.maps import render
    from l2csim.pm4py_adapter import pm4py

    model = pm4py().read_bpmn(str(path))
    dot = bpmn_dot(model)
    nodes = sorted(model.get_nodes(), key=lambda n: str(n.get_id()))  # bpmn_dot's order
    for i, node in enumerate(nodes):
        if node.get_name() in deviating and type(node).__name__ == "Task":
            dot.node(f"n{i}", fillcolor=HIGHLIGHT, color=HIGHLIGHT_LINE, penwidth="2")
    dot.attr(rankdir="TB")
    return sanitise_svg(render(dot, "svg"), "doc-")


def deviating_activities(deviations: list[dict]) -> set[str]:
    names = set()
    for d in deviations:
        if d.get("rare"):
            continue
        activity = str(d.get("activity", ""))
        if d.get("kind") == "order_violation" and " after " in activity:
            names.update(activity.split(" after ", 1))
        else:
            names.add(activity)
    return names


def documented_section(
    outputs: StudyOutputs, study: Path | None, words: Words | None = None
) -> str:
    words = words or Words()
    findings = outputs.json(layout.rel(layout.MINE, layout.FINDINGS_JSON)) or {}
    deviations = findings.get("deviations")
    if deviations is None:
        frame = outputs.csv(layout.rel(layout.MINE, layout.DEVIATIONS_CSV))
        deviations = [] if frame is None else frame.to_dict("records")
    path = reference_model_path(outputs, study)
    figure_html = missing(
        "the documented process (the study's reference_process BPMN)",
        "Declare reference_process in the study file and rerun `l2csim mine`.",
    )
    if path is not None and path.is_file():
        try:
            svg = documented_svg(path, deviating_activities(deviations))
            figure_html = figure(
                svg, "The documented process; steps the real process departs from in red.", "doc"
            )
        except Exception as error:  # a drawing problem must not sink the report
            figure_html = missing(f"a drawing of {path.name} ({type(error).__name__})", str(error))
    if deviations:
        rows = [
            [
                KIND_WORDS.get(str(d.get("kind")), str(d.get("kind"))),
                str(d.get("activity")),
                f"{int(d.get('cases', 0)):,}",
                share(d.get("case_share")),
                "rare" if d.get("rare") else "",
            ]
            for d in deviations
        ]
        listing = table(
            ["Deviation", "Where", words.cases.capitalize(), f"Share of {words.cases}", ""],
            rows,
            cls="deviations",
            caption="Where the real process departs from the documented one",
        )
    else:
        listing = missing(
            "the deviations (mine/deviations.csv)",
            "Run `l2csim mine` with a reference_process in the study file.",
        )
    return f'<div class="side-by-side">{figure_html}<div class="listing">{listing}</div></div>'


CATEGORY_TITLES = {
    "pain_point": (
        "Pain points",
        "causes that come with clearly worse outcomes (a 95% interval "
        "excludes no harm), the largest harm first",
    ),
    "symptom": (
        "Symptoms",
        "what customers feel rather than a cause: late orders provoke "
        "chase calls, so they are not ranked as causes",
    ),
    "good_practice": (
        "Good practice",
        "deviations that come with clearly better outcomes "
        "and none worse: worth keeping or spreading",
    ),
}
NOISE = ("too_few", "rare", "no_clear_effect")


def backlog_section(outputs: StudyOutputs, words: Words | None = None) -> str:
    words = words or Words()
    backlog = outputs.csv(layout.rel(layout.MINE, layout.BACKLOG_CSV))
    if backlog is None or backlog.empty:
        return missing("the pain-point backlog (mine/backlog.csv)", "Run `l2csim mine`.")
    records = backlog.sort_values("rank", kind="stable").to_dict("records")
    if "category" not in backlog:  # an older mine: no categories yet
        for r in records:
            r["category"] = "pain_point" if str(r.get("signal")).lower() == "true" else "rare"
    parts = [
        para(
            f"Every impact compares {words.cases} with the deviation against {words.cases} "
            "without it, with a 95% interval; these are associations, not proven causes."
        )
    ]
    for category, (title, what) in CATEGORY_TITLES.items():
        chosen = [r for r in records if r.get("category") == category]
        parts.append(f"<h3>{esc(title)}</h3>" + para(what[:1].upper() + what[1:] + "."))
        if not chosen:
            parts.append(para("None."))
            continue
        parts.append(_backlog_table(chosen, words, category))
    noise = [r for r in records if r.get("category") in NOISE]
    if noise:
        counts = {c: sum(1 for r in noise if r.get("category") == c) for c in NOISE}
        few = [str(r["activity"]) for r in noise if r.get("category") == "too_few"]
        text = (
            f"Not shown: {counts['no_clear_effect']} deviations with no clear effect (every "
            f"interval includes zero), {counts['rare']} rare ones, and {counts['too_few']} "
            f"with too few {words.cases} to say"
            + (f" ({', '.join(few[:6])}{', …' if len(few) > 6 else ''})" if few else "")
            + "; all are in mine/backlog.csv."
        )
        parts.append(para(text, "backlog-noise"))
    return "".join(parts)


def _backlog_table(rows: list[dict], words: Words, category: str) -> str:
    body = []
    for r in rows:
        excess = r.get("excess_customer_days")
        body.append(
            [
                esc(r["rank"]),
                f"<strong>{esc(r['activity'])}</strong><br><small>"
                f"{esc(KIND_WORDS.get(str(r['kind']), str(r['kind']).replace('_', ' ')))}</small>",
                esc(f"{int(r['cases']):,} ({share(r['case_share'])})"),
                "<br>".join(esc(p) for p in pain_point_impact(r, words)) or "n/a",
                esc(sig(excess, 2))
                if category == "pain_point" and isinstance(excess, float) and math.isfinite(excess)
                else "",
                esc(r.get("notes") if isinstance(r.get("notes"), str) else ""),
            ]
        )
    return table(
        ["#", "Deviation", words.cases.capitalize(), "Customer impact", "Extra customer-days",
         "Notes"],
        body,
        cls=f"backlog {category.replace('_', '-')}",
        raw=True,
    )  # fmt: skip
