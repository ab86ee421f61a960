"""`l2csim mine`: process maps, variants, the documented-vs-actual comparison and the backlog.

`run` is what the CLI calls: it reads nothing itself beyond the reference process and tier
list, and writes every output atomically into one folder (see README, "l2csim mine").
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from l2csim import layout
from l2csim.log import CASE, RESOURCE, EventLog
from l2csim.mine.backlog import rank_backlog, symptoms
from l2csim.mine.bpmn import bpmn_dot, discover_bpmn, write_bpmn
from l2csim.mine.conformance import check_conformance, load_reference
from l2csim.mine.deviations import catalogue, find_deviations, open_cases, where_attributes
from l2csim.mine.handover import handover_dot, handovers
from l2csim.mine.maps import (
    VIEWS,
    abstract_map,
    inline_svg,
    map_dot,
    map_levels,
    ordered,
    render,
)
from l2csim.mine.maps_page import SegmentMaps, build_page
from l2csim.mine.role_rules import build_case_table, chase_rules, courtesy_rules, sla_summary
from l2csim.mine.variants import case_variants, lead_times, variant_table
from l2csim.output import write_bytes, write_csv, write_json, write_text
from l2csim.pm4py_adapter import require_graphviz
from l2csim.report.people import People
from l2csim.study import MiningSpec, Study

RENDER_THREADS = min(4, os.cpu_count() or 1)  # graphviz drawings at a time


@dataclass(frozen=True)
class MineResult:
    """What a run wrote and found."""

    paths: list[Path]
    findings: dict[str, Any]


@dataclass(frozen=True)
class Segment:
    """A slice of the cases: all of them, or those with one value of a segment attribute."""

    label: str
    column: str | None
    value: str | None
    cases: pd.Index


def segments_of(attributes: pd.DataFrame, columns: list[str], limit: int) -> list[Segment]:
    """All cases, then each segment attribute's most common values (at most `limit` each)."""
    result = [Segment("All cases", None, None, attributes.index)]
    for column in columns:
        if column not in attributes:
            continue
        values = attributes[column].dropna().astype(str)
        counts = values.value_counts().sort_index().sort_values(ascending=False, kind="mergesort")
        for value in counts.index[:limit]:
            label = f"{column.removeprefix('case:')} = {value}"
            result.append(Segment(label, column, value, values.index[values == value]))
    return result


def render_all(drawings: list[tuple[Path, object, str]]) -> list[Path]:
    """Draw every map with graphviz, `RENDER_THREADS` at a time (each drawing is a `dot`
    process: the threads only wait), and write them in the given order."""
    with ThreadPoolExecutor(max_workers=RENDER_THREADS) as pool:
        drawn = list(pool.map(lambda job: render(job[1], job[2]), drawings))
    return [write_bytes(path, data) for (path, _, _), data in zip(drawings, drawn, strict=True)]


def run(log: EventLog, study: Study | None, out: Path) -> MineResult:
    """Mine the log and write maps, variants, the BPMN model, deviations and the backlog."""
    require_graphviz()
    spec = study.mining if study is not None else MiningSpec()
    events = log.events
    paths: list[Path] = []
    notes: list[str] = []
    case_order = ordered(events)
    variants = case_variants(case_order, is_ordered=True)
    lead_s = lead_times(events)
    cases = build_case_table(events, study, lead_s)
    segment_columns = [c for c in (study.segment_columns if study else []) if c in cases.attributes]
    if study is not None and len(segment_columns) < len(study.segment_columns):
        missing = sorted(set(study.segment_columns) - set(segment_columns))
        notes.append(f"segments not in the log (list them under log.case_attributes): {missing}")

    # variants
    full_table = variant_table(variants, lead_s)
    paths.append(write_csv(out / layout.VARIANTS_CSV, full_table))

    # conformance and deviations
    reference = None
    conformance = None
    if study is not None and study.reference_process_path is not None:
        reference = load_reference(study.reference_process_path)
        conformance = check_conformance(
            events, variants, reference,
            max_variants=spec.alignment_max_variants, time_limit=spec.alignment_time_limit,
        )  # fmt: skip
    else:
        notes.append("no reference_process: informal activities, skipped steps and order "
                     "violations need the documented process")  # fmt: skip
    courtesy, role_flags = courtesy_rules(cases, study)
    rework = list(study.roles.rework) if study is not None else []
    deviations = find_deviations(events, cases, reference, rework, role_flags)
    where_columns = where_attributes(cases.attributes, segment_columns)
    table, records = catalogue(deviations, cases.attributes, where_columns, spec.min_share)
    paths.append(write_csv(out / layout.DEVIATIONS_CSV, table))
    chase_activities = list(study.roles.chase_call) if study is not None else []
    still_open = open_cases(events)
    backlog = rank_backlog(deviations, cases, min_share=spec.min_share,
                           chase_activities=chase_activities, still_open=still_open)  # fmt: skip
    paths.append(write_csv(out / layout.BACKLOG_CSV, backlog_table(backlog)))

    # maps per segment, level and view (the #1 pain point pinned on every one)
    pinned, pinned_note = pain_point_pin(backlog, set(map(str, cases.counts.columns)))
    segments = segments_of(cases.attributes, segment_columns, spec.max_segment_values)
    page_segments: list[SegmentMaps] = []
    map_records = []
    variant_tables = []
    drawings: list[tuple[Path, object, str]] = []  # (file, DOT, format), drawn side by side
    for index, segment in enumerate(segments):
        part = events if segment.column is None else events[events[CASE].isin(segment.cases)]
        seg_variants = variants.reindex(segment.cases)
        variant_tables.append(variant_table(seg_variants, lead_s, top=spec.top_variants))
        names, levels = map_levels(part, pinned=pinned)
        page_segments.append(SegmentMaps(segment.label, len(segment.cases), names, levels))
        for level in spec.coverage_levels:
            process_map = abstract_map(part, level, level, pinned=pinned)
            for view in VIEWS:
                title = f"{segment.label} · {level_key(level)}% · {view}"
                dot = map_dot(process_map, view, title, pinned=pinned, pinned_note=pinned_note)
                stem = f"maps/map_s{index}_{level_key(level)}_{view}"
                drawings += [(out / f"{stem}.svg", dot, "svg"), (out / f"{stem}.png", dot, "png")]
                map_records.append(
                    {"segment": segment.label, "column": segment.column, "value": segment.value,
                     "coverage": level, "view": view, "svg": f"{stem}.svg", "png": f"{stem}.png",
                     "activities": len(process_map.nodes),
                     "paths": int((process_map.edges["kind"] == "flow").sum()),
                     "cases": process_map.n_cases, "pinned": list(pinned)}
                )  # fmt: skip

    paths += render_all(drawings)

    # discovered BPMN model
    model = discover_bpmn(events, spec.noise_threshold)
    paths.append(write_bpmn(model, out / layout.PROCESS_BPMN))
    bpmn_svg = render(bpmn_dot(model), "svg")
    paths.append(write_bytes(out / layout.PROCESS_SVG, bpmn_svg))
    figures = [(f"Discovered process (inductive miner, noise {spec.noise_threshold:g})",
                inline_svg(bpmn_svg))]  # fmt: skip

    # handover of work
    handover_table = None
    if RESOURCE in case_order and case_order[RESOURCE].notna().any():
        handover_table = handovers(case_order, RESOURCE)
        paths.append(write_csv(out / layout.HANDOVERS_CSV, handover_table))
        people = people_of(case_order, study)
        shown = handover_table.assign(
            source=handover_table["source"].map(people), target=handover_table["target"].map(people)
        )
        who = "people" if people.names else "people, pseudonymised"
        dot = handover_dot(shown, title=f"Handover of work between {who}")
        svg = render(dot, "svg")
        paths.append(write_bytes(out / layout.HANDOVER_SVG, svg))
        paths.append(write_bytes(out / layout.HANDOVER_PNG, render(dot, "png")))
        figures.append((f"Handover of work between {who} (strongest 60 links)", inline_svg(svg)))

    findings = {
        "log": {
            "source": log.source.name,
            "format": log.format,
            "events": log.n_events,
            "cases": log.n_cases,
            "activities": len(log.activities),
        },
        "settings": spec.model_dump(),
        "variants": {
            "count": len(full_table),
            "top": full_table.head(10).to_dict(orient="records"),
        },
        "maps": map_records,
        "process_model": {
            "bpmn": layout.PROCESS_BPMN,
            "svg": layout.PROCESS_SVG,
            "miner": "inductive",
            "noise_threshold": spec.noise_threshold,
        },
        "conformance": conformance.as_dict() if conformance is not None else None,
        "role_rules": {
            "courtesy_calls": courtesy,
            "chase_calls": chase_rules(cases, segment_columns),
            "sla": sla_summary(cases),
        },
        "deviations": records,
        "backlog": backlog,
        "symptoms": symptoms(cases, still_open),
        "handover": handover_table.head(20).to_dict(orient="records")
        if handover_table is not None
        else [],
        "notes": notes,
    }
    paths.append(write_json(out / layout.FINDINGS_JSON, findings))
    noun = study.case_noun if study is not None else "cases"
    levels = sorted(spec.coverage_levels)
    page = build_page(
        f"Process maps — {log.source.name}",
        f"{log.n_cases:,} {noun}, {log.n_events:,} events, {len(log.activities)} activities",
        page_segments,
        variant_tables,
        figures,
        pinned=pinned,
        pinned_note=pinned_note,
        case_noun=noun,
        coverage=levels[len(levels) // 2] if levels else 0.8,
    )
    paths.append(write_text(out / layout.MAPS_HTML, page))
    return MineResult(paths=paths, findings=findings)


def level_key(level: float) -> str:
    return f"{round(level * 100):d}"


def pain_point_activities(item: dict[str, Any]) -> list[str]:
    """The activities a backlog item is about ("a after b" names two)."""
    activity = str(item.get("activity", ""))
    if item.get("kind") == "order_violation" and " after " in activity:
        return activity.split(" after ", 1)
    return [activity]


def pain_point_pin(backlog: list[dict[str, Any]], activities: set[str]) -> tuple[list[str], str]:
    """The #1 pain point's activities (those in the log) and the note maps show on them."""
    first = next((i for i in backlog if i.get("category") == "pain_point"), None)
    if first is None:
        return [], "#1 pain point"
    pinned = [a for a in pain_point_activities(first) if a in activities]
    kind = str(first.get("kind", "")).replace("_", " ")
    return pinned, f"#1 pain point ({kind})"


def people_of(case_order: pd.DataFrame, study: Study | None) -> People:
    """Resource names or pseudonyms ("Person 1" did the most work), as the study says."""
    names = study is not None and study.report.people == "names"
    work = case_order[RESOURCE].dropna().astype(str).value_counts()
    ranked = work.sort_index().sort_values(ascending=False, kind="mergesort").index
    return People.ranked(list(ranked), names=names)


def backlog_table(backlog: list[dict[str, Any]]) -> pd.DataFrame:
    """The backlog flattened for a spreadsheet: one row per deviation, differences and CIs."""
    rows = []
    for item in backlog:
        row: dict[str, Any] = {k: item[k] for k in ("rank", "category", "kind", "activity", "cases",
                                                   "case_share", "signal", "excess_customer_days")}  # fmt: skip
        for metric in ("lead_time_days", "sla_on_time", "chase_calls_per_order"):
            value = item[metric] or {}
            ci = value.get("ci95") or [None, None]
            row.update({f"{metric}_with": value.get("with"), f"{metric}_without": value.get("without"),
                        f"{metric}_difference": value.get("difference"),
                        f"{metric}_ci_low": ci[0], f"{metric}_ci_high": ci[1]})  # fmt: skip
        row["notes"] = "; ".join(item["notes"])
        rows.append(row)
    return pd.DataFrame(rows)
