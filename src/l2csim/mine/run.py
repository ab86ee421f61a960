"""`l2csim mine`: process maps, variants, the documented-vs-actual comparison and the backlog.

`run` is what the CLI calls: it reads nothing itself beyond the reference process and tier
list, and writes every output atomically into one folder (see README, "l2csim mine").
"""

from __future__ import annotations

import contextlib
import os
from collections import Counter
from concurrent.futures import Executor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from l2csim import layout
from l2csim.log import CASE, RESOURCE, EventLog, release_freed_memory
from l2csim.mine.backlog import rank_backlog, symptoms
from l2csim.mine.conformance import ranked_variants
from l2csim.mine.deviations import catalogue, find_deviations, open_cases, where_attributes
from l2csim.mine.handover import handover_dot, handovers
from l2csim.mine.maps import (
    VIEWS,
    abstract_map,
    code_log,
    draw,
    draw_all,
    inline_svg,
    map_dot,
    map_levels,
    ordered,
)
from l2csim.mine.maps_page import SegmentMaps, build_page
from l2csim.mine.role_rules import build_case_table, chase_rules, courtesy_rules, sla_summary
from l2csim.mine.variants import case_variants, lead_times, variant_table
from l2csim.mine.workers import (
    conformance_task,
    mining_pool,
    model_task,
    structure_task,
    submit,
)
from l2csim.output import write_bytes, write_csv, write_json, write_text
from l2csim.pm4py_adapter import require_graphviz
from l2csim.report.people import People
from l2csim.study import MiningSpec, Study

HANDOVER_STEM = "handover"


def drawing_slots(jobs: int) -> int:
    """graphviz drawings at a time: one per job (0: per core); each is a process of its own."""
    return jobs if jobs > 0 else os.cpu_count() or 1


def conformance_limits(spec: MiningSpec) -> dict[str, Any]:
    """The study's bounds on conformance checking, as check_conformance takes them."""
    return {
        "max_variants": spec.alignment_max_variants,
        "time_limit": spec.alignment_time_limit,
        "replay_variants": spec.token_replay_variants,
        "replay_sample": spec.token_replay_sample,
        "replay_time_limit": spec.token_replay_time_limit,
    }


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


def run(
    log: EventLog,
    study: Study | None,
    out: Path,
    *,
    jobs: int = 1,
    pool: Executor | None = None,
) -> MineResult:
    """Mine the log and write maps, variants, the BPMN model, deviations and the backlog.

    `jobs`: processes to use (0: one per core; 1: this one alone, one graphviz drawing at a
    time). pm4py's discovery and conformance run in worker processes beside the maps (see
    `workers`); `pool` passes workers the caller started before reading the log, so they
    start up while it is read. The outputs are the same whatever `jobs` is."""
    require_graphviz()
    with contextlib.ExitStack() as stack:
        if pool is None:
            pool = stack.enter_context(mining_pool(jobs))
        return _run(log, study, out, jobs, pool)


def _run(
    log: EventLog, study: Study | None, out: Path, jobs: int, pool: Executor | None
) -> MineResult:
    spec = study.mining if study is not None else MiningSpec()
    events = log.events
    paths: list[Path] = []
    notes: list[str] = []
    reference_path = study.reference_process_path if study is not None else None
    structure = submit(pool, structure_task, reference_path) if reference_path else None
    case_order = ordered(events)  # the one sort: variants, maps and handovers share it
    variants = case_variants(case_order, is_ordered=True)
    ranked = ranked_variants(variants)
    conformance_job = (
        submit(pool, conformance_task, reference_path, ranked, conformance_limits(spec))
        if reference_path is not None
        else None
    )
    # the counts in the order cases first show them, as pm4py's miner would collect them
    model_job = submit(pool, model_task, Counter(variants.tolist()), spec.noise_threshold)
    lead_s = lead_times(events)
    cases = build_case_table(events, study, lead_s)
    segment_columns = [c for c in (study.segment_columns if study else []) if c in cases.attributes]
    if study is not None and len(segment_columns) < len(study.segment_columns):
        missing = sorted(set(study.segment_columns) - set(segment_columns))
        notes.append(f"segments not in the log (list them under log.case_attributes): {missing}")

    # variants
    full_table = variant_table(variants, lead_s)
    paths.append(write_csv(out / layout.VARIANTS_CSV, full_table))

    # what needs neither the documented process nor pm4py, while a worker starts on it
    still_open = open_cases(case_order, is_ordered=True)
    coded = code_log(case_order)
    handover_table = None
    if RESOURCE in case_order and case_order[RESOURCE].notna().any():
        handover_table = handovers(case_order, RESOURCE)
        paths.append(write_csv(out / layout.HANDOVERS_CSV, handover_table))

    # deviations (conformance is computed by a worker meanwhile)
    reference = structure.result() if structure is not None else None
    if reference is None:
        notes.append("no reference_process: informal activities, skipped steps and order "
                     "violations need the documented process")  # fmt: skip
    courtesy, role_flags = courtesy_rules(cases, study)
    rework = list(study.roles.rework) if study is not None else []
    deviations = find_deviations(events, cases, reference, rework, role_flags, still_open)
    where_columns = where_attributes(cases.attributes, segment_columns)
    table, records = catalogue(deviations, cases.attributes, where_columns, spec.min_share)
    paths.append(write_csv(out / layout.DEVIATIONS_CSV, table))
    chase_activities = list(study.roles.chase_call) if study is not None else []
    backlog = rank_backlog(deviations, cases, min_share=spec.min_share,
                           chase_activities=chase_activities, still_open=still_open)  # fmt: skip
    paths.append(write_csv(out / layout.BACKLOG_CSV, backlog_table(backlog)))

    # maps per segment, level and view (the #1 pain point pinned on every one), all from
    # the one coded log: a segment is a mask over it, never a copy sorted again
    pinned, pinned_note = pain_point_pin(backlog, set(map(str, cases.counts.columns)))
    segments = segments_of(cases.attributes, segment_columns, spec.max_segment_values)
    page_segments: list[SegmentMaps] = []
    map_records = []
    variant_tables = []
    drawings: list[tuple[str, str]] = []  # (file stem, DOT): drawn side by side, SVG and PNG
    for index, segment in enumerate(segments):
        keep = None if segment.column is None else case_order[CASE].isin(segment.cases).to_numpy()
        seg_variants = variants.reindex(segment.cases)
        variant_tables.append(variant_table(seg_variants, lead_s, top=spec.top_variants))
        names, levels = map_levels(coded, pinned=pinned, keep=keep)
        page_segments.append(SegmentMaps(segment.label, len(segment.cases), names, levels))
        for level in spec.coverage_levels:
            process_map = abstract_map(coded, level, level, pinned=pinned, keep=keep)
            for view in VIEWS:
                title = f"{segment.label} · {level_key(level)}% · {view}"
                dot = map_dot(process_map, view, title, pinned=pinned, pinned_note=pinned_note)
                stem = f"maps/map_s{index}_{level_key(level)}_{view}"
                drawings.append((stem, dot.source))
                map_records.append(
                    {"segment": segment.label, "column": segment.column, "value": segment.value,
                     "coverage": level, "view": view, "svg": f"{stem}.svg", "png": f"{stem}.png",
                     "activities": len(process_map.nodes),
                     "paths": int((process_map.edges["kind"] == "flow").sum()),
                     "cases": process_map.n_cases, "pinned": list(pinned)}
                )  # fmt: skip

    # handover of work
    handover_title = ""
    if handover_table is not None:
        people = people_of(case_order, study)
        shown = handover_table.assign(
            source=handover_table["source"].map(people), target=handover_table["target"].map(people)
        )
        who = "people" if people.names else "people, pseudonymised"
        handover_title = f"Handover of work between {who} (strongest 60 links)"
        dot = handover_dot(shown, title=f"Handover of work between {who}")
        drawings.append((HANDOVER_STEM, dot.source))

    release_freed_memory()  # the maps' temporaries, before graphviz needs memory of its own
    drawn = draw_all([source for _, source in drawings], at_once=drawing_slots(jobs))
    handover_svg = b""
    for (stem, _), (svg, png) in zip(drawings, drawn, strict=True):
        if stem == HANDOVER_STEM:
            handover_svg = svg
            paths.append(write_bytes(out / layout.HANDOVER_SVG, svg))
            paths.append(write_bytes(out / layout.HANDOVER_PNG, png))
        else:
            paths.append(write_bytes(out / f"{stem}.svg", svg))
            paths.append(write_bytes(out / f"{stem}.png", png))

    # discovered BPMN model (from a worker)
    bpmn_text, bpmn_source = model_job.result()
    paths.append(write_text(out / layout.PROCESS_BPMN, bpmn_text))
    (bpmn_svg,) = draw(bpmn_source, ("svg",))
    paths.append(write_bytes(out / layout.PROCESS_SVG, bpmn_svg))
    figures = [(f"Discovered process (inductive miner, noise {spec.noise_threshold:g})",
                inline_svg(bpmn_svg))]  # fmt: skip
    if handover_table is not None:
        figures.append((handover_title, inline_svg(handover_svg)))
    conformance = conformance_job.result() if conformance_job is not None else None

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
