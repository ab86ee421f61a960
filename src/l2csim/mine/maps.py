"""Directly-follows process maps, the way Disco and Celonis users read them.

A map counts, for every pair of activities that follow each other inside a case, how often
(events and cases) and how long the wait between them is (median and mean). Two sliders
abstract it: activity coverage keeps the most frequent activities covering a share of the
events (the log is projected onto them, as Disco does), path coverage keeps the most
frequent paths covering a share of the transitions (each kept activity keeps its strongest
way in and out, a self-loop never counting as one). Activities can be pinned (the #1 pain
point): they stay on every map whatever the activity slider says, and are outlined in red.
Maps are rendered with graphviz from DOT we write ourselves, so every label from the log is
escaped and the colours say where time is lost; `map_levels` gives the data maps.html lays
out in the browser for every setting of the activity slider (the path slider filters there).
"""

from __future__ import annotations

import subprocess
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from l2csim.errors import L2csimError
from l2csim.log import ACTIVITY, CASE, RESOURCE, START, TIMESTAMP, epoch_ns
from l2csim.output import escape_html
from l2csim.pm4py_adapter import require_graphviz

EDGE_COLUMNS = ["kind", "source", "target", "frequency", "cases", "median_s", "mean_s"]
VIEWS = ("frequency", "performance")
# Delay colours from fast to slow (ColorBrewer YlOrRd, readable when printed grey).
DELAY_COLOURS = ("#9e9e9e", "#fdae61", "#f46d43", "#d73027", "#a50026")


def ordered(events: pd.DataFrame) -> pd.DataFrame:
    """Events in case order: by case, then completion time, file order breaking ties.

    The stable sort matches pm4py's (it sorts by case and time with pandas' stable
    multi-key sort), so maps and variants count the same transitions as pm4py.
    """
    columns = [c for c in (CASE, ACTIVITY, TIMESTAMP, START, RESOURCE) if c in events]
    frame = events[columns]
    return frame.sort_values([CASE, TIMESTAMP], kind="mergesort").reset_index(drop=True)


@dataclass(frozen=True)
class ProcessMap:
    """One directly-follows map: activities and their transitions (with start/end arcs)."""

    nodes: pd.DataFrame  # activity, frequency (events), cases
    edges: pd.DataFrame  # EDGE_COLUMNS; kind is start | flow | end ('' stands for start/end)
    n_cases: int

    def flows(self) -> dict[tuple[str, str], int]:
        """Transition counts keyed like pm4py's DFG dictionary."""
        flow = self.edges[self.edges["kind"] == "flow"]
        return {
            (s, t): int(f)
            for s, t, f in zip(flow["source"], flow["target"], flow["frequency"], strict=False)
        }


@dataclass(frozen=True)
class CodedLog:
    """An ordered log as arrays, built once per `mine` run and shared by every map: case and
    activity codes (activity codes in name order), completion and start times in ns.

    Maps of a segment or an abstraction level are the same arrays under a boolean mask, so
    no map copies or re-sorts the log."""

    case: np.ndarray  # int codes; a case's events are adjacent, in time order
    activity: np.ndarray  # int codes into `names`
    names: np.ndarray  # activity names, sorted
    end: np.ndarray  # int64 ns
    start: np.ndarray | None  # int64 ns (None without a start column)
    start_known: np.ndarray | None  # bool: the event has a start time

    def __len__(self) -> int:
        return len(self.case)

    def counts(self, keep: np.ndarray | None = None) -> pd.Series:
        """Events per activity (those present), most frequent first, ties by name."""
        codes = self.activity if keep is None else self.activity[keep]
        counts = np.bincount(codes, minlength=len(self.names))
        present = np.flatnonzero(counts)
        series = pd.Series(counts[present], index=pd.Index(self.names[present], dtype=object))
        return series.sort_values(ascending=False, kind="mergesort")


def code_log(ordered_events: pd.DataFrame) -> CodedLog:
    """The arrays of an ordered log (`ordered`): one pass, then every map is numpy."""
    ev = ordered_events
    activity, names = pd.factorize(ev[ACTIVITY], sort=True)
    case = pd.factorize(ev[CASE])[0]
    start = known = None
    if START in ev:
        known = ev[START].notna().to_numpy()
        start = epoch_ns(ev[START].fillna(ev[TIMESTAMP]))
    return CodedLog(
        case=case.astype(np.int64),
        activity=activity.astype(np.int64),
        names=np.asarray(names, dtype=object),
        end=epoch_ns(ev[TIMESTAMP]),
        start=start,
        start_known=known,
    )


def discover_map(events: pd.DataFrame, *, is_ordered: bool = False) -> ProcessMap:
    """The full directly-follows map of a log, vectorised (no per-event Python)."""
    return coded_map(code_log(events if is_ordered else ordered(events)))


def coded_map(coded: CodedLog, keep: np.ndarray | None = None) -> ProcessMap:
    """The directly-follows map of the events `keep` selects (all without it): the log
    projected onto them, as Disco's activity slider does. Waiting on an arc is the next
    event's start (not before this completion) minus this completion when every kept event
    has a start time, else the next completion minus this one."""
    case, activity, end = coded.case, coded.activity, coded.end
    start, known = coded.start, coded.start_known
    if keep is not None:
        case, activity, end = case[keep], activity[keep], end[keep]
        if start is not None and known is not None:
            start, known = start[keep], known[keep]
    if len(case) == 0:
        return ProcessMap(
            pd.DataFrame(columns=["activity", "frequency", "cases"]),
            pd.DataFrame(columns=EDGE_COLUMNS),
            0,
        )
    names = coded.names
    k = len(names)
    same = case[:-1] == case[1:]
    source, target = activity[:-1][same], activity[1:][same]
    if start is not None and known is not None and known.all():
        wait_ns = np.maximum(start[1:], end[:-1]) - end[:-1]
    else:
        wait_ns = end[1:] - end[:-1]
    wait = wait_ns[same] / 1e9
    pair_case = case[:-1][same]
    code = source * k + target
    per_code = np.bincount(code, minlength=k * k)
    pairs = np.flatnonzero(per_code)  # the arcs present, ascending (as np.unique gave)
    slot = np.zeros(k * k, dtype=np.int64)
    slot[pairs] = np.arange(len(pairs))
    inverse = slot[code]
    frequency = per_code[pairs]
    # pandas' grouped mean (compensated summation), so the figures match the groupby it replaced
    mean = pd.Series(wait).groupby(inverse, sort=True).mean().to_numpy()
    median = _medians(wait, inverse, frequency)
    pair_cases = _cases_per(inverse, pair_case, len(pairs))
    flows = pd.DataFrame(
        {
            "kind": "flow",
            "source": names[pairs // k],
            "target": names[pairs % k],
            "frequency": frequency.astype(np.int64),
            "cases": pair_cases.astype(np.int64),
            "median_s": median,
            "mean_s": mean,
        }
    )
    first = np.ones(len(case), dtype=bool)
    first[1:] = ~same
    last = np.ones(len(case), dtype=bool)
    last[:-1] = ~same
    starts = np.bincount(activity[first], minlength=k)
    ends = np.bincount(activity[last], minlength=k)
    on_start, on_end = np.flatnonzero(starts), np.flatnonzero(ends)
    edges = pd.concat(
        [
            pd.DataFrame({"kind": "start", "source": "", "target": names[on_start],
                          "frequency": starts[on_start], "cases": starts[on_start]}),
            flows,
            pd.DataFrame({"kind": "end", "source": names[on_end], "target": "",
                          "frequency": ends[on_end], "cases": ends[on_end]}),
        ],
        ignore_index=True,
    )  # fmt: skip
    edges["frequency"] = edges["frequency"].astype("int64")
    edges["cases"] = edges["cases"].astype("int64")
    events_per = np.bincount(activity, minlength=k)
    present = np.flatnonzero(events_per)
    cases_per = _cases_per(activity, case, k)
    nodes = pd.DataFrame(
        {
            "activity": names[present],
            "frequency": events_per[present].astype(np.int64),
            "cases": cases_per[present].astype(np.int64),
        }
    )
    return ProcessMap(nodes, edges[EDGE_COLUMNS], int(first.sum()))


def _medians(values: np.ndarray, group: np.ndarray, sizes: np.ndarray) -> np.ndarray:
    """Each group's median (the mean of the two middle values when even): the values are
    gathered by group with a stable integer sort (radix), then each group is partitioned
    around its middle, linear where sorting every value (a lexsort) was not."""
    small = group.astype(np.int16) if len(sizes) < 2**15 else group  # radix sort below 16 bits
    gathered = values[np.argsort(small, kind="stable")]
    medians = np.empty(len(sizes))
    start = 0
    for i, size in enumerate(sizes.tolist()):
        part = gathered[start : start + size]
        low, high = (size - 1) // 2, size // 2
        part = np.partition(part, (low, high)) if size > 2 else np.sort(part)
        medians[i] = (part[low] + part[high]) / 2
        start += size
    return medians


def _cases_per(group: np.ndarray, case: np.ndarray, n_groups: int) -> np.ndarray:
    """Distinct cases per group code. `case` never decreases (events in case order), so the
    keys come in runs one case long and a stable sort (timsort) merges them in about linear
    time; numpy's hash-based unique took 15x longer here."""
    if len(group) == 0:
        return np.zeros(n_groups, dtype=np.int64)
    key = np.sort(case.astype(np.int64) * n_groups + group, kind="stable")
    first = np.ones(len(key), dtype=bool)
    first[1:] = key[1:] != key[:-1]
    return np.bincount(key[first] % n_groups, minlength=n_groups)


def kept_activities(
    events: pd.DataFrame | CodedLog, coverage: float, keep: np.ndarray | None = None
) -> list[str]:
    """The most frequent activities that together cover `coverage` of the events."""
    if isinstance(events, CodedLog):
        counts = events.counts(keep)
    else:
        counts = events[ACTIVITY].value_counts()
        counts = counts.sort_index().sort_values(ascending=False, kind="mergesort")
    share = counts.cumsum() / counts.sum()
    n_keep = int(np.searchsorted(share.to_numpy(), coverage - 1e-12) + 1)
    return sorted(counts.index[:n_keep])


def activity_order(events: pd.DataFrame) -> list[str]:
    """Activities from the most to the least frequent (ties by name): the activity slider."""
    counts = events[ACTIVITY].value_counts()
    return list(counts.sort_index().sort_values(ascending=False, kind="mergesort").index)


def abstract_map(
    events: pd.DataFrame | CodedLog,
    activity_coverage: float,
    path_coverage: float,
    *,
    pinned: list[str] | tuple[str, ...] = (),
    keep: np.ndarray | None = None,
) -> ProcessMap:
    """The map at one setting of Disco's two sliders (1.0 and 1.0 is the full map);
    `pinned` activities stay whatever the activity coverage. `events` is a log, or its
    arrays (`code_log`) with `keep` selecting a segment's events."""
    coded = events if isinstance(events, CodedLog) else code_log(ordered(events))
    mask = np.ones(len(coded), dtype=bool) if keep is None else keep
    if activity_coverage < 1.0:
        wanted = {*kept_activities(coded, activity_coverage, mask), *pinned}
        mask = mask & np.isin(coded.activity, _codes_of(coded, wanted))
    full = coded_map(coded, mask if keep is not None or activity_coverage < 1.0 else None)
    if path_coverage >= 1.0 or full.edges.empty:
        return full
    kept = full.edges[keep_paths(full.edges, path_coverage)]
    return ProcessMap(full.nodes, kept.reset_index(drop=True), full.n_cases)


def _codes_of(coded: CodedLog, activities: set[str]) -> np.ndarray:
    return np.flatnonzero(np.isin(coded.names, list(activities)))


def keep_paths(edges: pd.DataFrame, path_coverage: float) -> pd.Series:
    """Which arcs the path slider keeps (maps.html's script applies the same rule).

    The most frequent arcs covering `path_coverage` of all arc traversals (the one crossing
    it included), plus each activity's strongest way in and out that is not a self-loop
    (start and end count as activities here), so no kept activity is left unconnected."""
    by_frequency = edges.sort_values(["frequency"], ascending=False, kind="mergesort")
    share = by_frequency["frequency"].cumsum() / by_frequency["frequency"].sum()
    keep = pd.Series(share.to_numpy() <= path_coverage, index=by_frequency.index)
    keep.iloc[0] = True
    keep |= share.shift(1, fill_value=0).to_numpy() < path_coverage  # include the crossing edge
    between = by_frequency[by_frequency["source"] != by_frequency["target"]]
    keep[between.groupby("target", sort=False)["frequency"].idxmax().to_numpy()] = True
    keep[between.groupby("source", sort=False)["frequency"].idxmax().to_numpy()] = True
    return keep.reindex(edges.index)


def map_levels(
    events: pd.DataFrame | CodedLog,
    *,
    pinned: list[str] | tuple[str, ...] = (),
    max_levels: int = 40,
    keep: np.ndarray | None = None,
) -> tuple[list[str], list[dict]]:
    """Every setting of the activity slider as data for maps.html: (activities, levels).

    `activities` are the names from the most to the least frequent; level k keeps the k most
    frequent plus the pinned ones (at most `max_levels` levels, evenly spread, the full map
    always last). Each level: `top` (k), `activities` (kept, pinned included), `coverage` (share of events kept), `nodes`
    [[index, events, cases]] and `edges` [[source, target, frequency, cases, median_s,
    mean_s]] with -1 for the start and -2 for the end; the path slider filters in the page.
    `events` is a log, or its arrays (`code_log`) with `keep` selecting a segment."""
    coded = events if isinstance(events, CodedLog) else code_log(ordered(events))
    mask = np.ones(len(coded), dtype=bool) if keep is None else keep
    counts = coded.counts(mask)
    names = list(counts.index)
    index = {a: i for i, a in enumerate(names)}
    total = max(int(counts.sum()), 1)
    n = len(names)
    rank = np.full(len(coded.names), n, dtype=np.int64)  # activity code -> slider rank
    code_of = {name: i for i, name in enumerate(coded.names)}
    for name, position in index.items():
        rank[code_of[name]] = position
    pinned_codes = _codes_of(coded, {a for a in pinned if a in index})
    steps = sorted({int(k) for k in np.rint(np.linspace(1, n, min(n, max_levels)))}) if n else []
    levels = []
    for k in steps:
        keep_names = {*names[:k], *[a for a in pinned if a in index]}
        wanted = (rank[coded.activity] < k) | np.isin(coded.activity, pinned_codes)
        found = coded_map(coded, mask if len(keep_names) == n else mask & wanted)
        nodes = [[index[a], int(f), int(c)] for a, f, c in
                 zip(found.nodes["activity"], found.nodes["frequency"], found.nodes["cases"], strict=True)]  # fmt: skip
        edges = []
        for kind, source, target, frequency, cases, median_s, mean_s in found.edges[
            EDGE_COLUMNS
        ].itertuples(index=False):
            tail = -1 if kind == "start" else index[source]
            head = -2 if kind == "end" else index[target]
            edges.append(
                [tail, head, int(frequency), int(cases), _seconds(median_s), _seconds(mean_s)]
            )
        levels.append({
            "top": k,
            "activities": len(keep_names),
            "coverage": round(float(counts[list(keep_names)].sum()) / total, 4),
            "nodes": nodes,
            "edges": edges,
        })  # fmt: skip
    return names, levels


def _seconds(value: float) -> float | None:
    return None if value != value else round(float(value), 1)


# --- rendering -----------------------------------------------------------------------------


def format_duration(seconds: float) -> str:
    """A duration as people read it on a map: 45 s, 12 min, 3.5 h, 2.1 d."""
    if seconds != seconds:  # NaN
        return "–"
    if seconds < 60:
        return f"{seconds:.0f} s"
    if seconds < 3600:
        return f"{seconds / 60:.0f} min"
    if seconds < 86400:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} d"


def dot_label(*lines: str, bold_first: bool = True) -> str:
    """A graphviz HTML-like label with every piece of log text escaped."""
    parts = []
    for i, line in enumerate(lines):
        text = escape_html(str(line))
        parts.append(
            f"<B>{text}</B>" if i == 0 and bold_first else f'<FONT POINT-SIZE="10">{text}</FONT>'
        )
    return "<" + "<BR/>".join(parts) + ">"


def delay_colour(value: float, values: pd.Series) -> str:
    """Colour of a wait relative to the other waits on the map (quintiles of the map)."""
    finite = values.dropna()
    if value != value or finite.empty or finite.max() <= 0:
        return DELAY_COLOURS[0]
    rank = float((finite < value).mean() + 0.5 * (finite == value).mean())
    return DELAY_COLOURS[min(int(rank * len(DELAY_COLOURS)), len(DELAY_COLOURS) - 1)]


PAIN_COLOUR = "#c62828"
# A map with more paths than this is drawn with straight arrows, graphviz's ranking and
# crossing reduction cut short, and at most 60 inches (5,760 px in the PNG) a side: routing
# 630 curved paths took dot 54 s per drawing on a 44-activity log (1.2 s so), and such a map
# is an overview whatever the layout.
LARGE_MAP_PATHS = 200
LARGE_MAP_LAYOUT = {"splines": "line", "nslimit": "0.2", "nslimit1": "0.2", "mclimit": "0.05",
                    "size": "60,60"}  # fmt: skip


def map_dot(
    process_map: ProcessMap,
    view: str,
    title: str = "",
    *,
    pinned: list[str] | tuple[str, ...] = (),
    pinned_note: str = "#1 pain point",
):  # -> graphviz.Digraph
    """Build the DOT of a map. Node ids are synthetic; labels are escaped log text.
    `pinned` activities are outlined in red and labelled with `pinned_note`."""
    import graphviz

    if view not in VIEWS:
        raise ValueError(f"view must be one of {VIEWS}")
    dot = graphviz.Digraph(graph_attr={"rankdir": "TB", "fontname": "Helvetica"})
    dot.attr("node", shape="box", style="rounded,filled", fontname="Helvetica", fontsize="12")
    dot.attr("edge", fontname="Helvetica", fontsize="10")
    if title:
        dot.attr(label=dot_label(title), labelloc="t")
    if int((process_map.edges["kind"] == "flow").sum()) > LARGE_MAP_PATHS:
        dot.attr(**LARGE_MAP_LAYOUT)
    nodes = process_map.nodes.sort_values("activity")
    ids = {a: f"a{i}" for i, a in enumerate(nodes["activity"])}
    top = max(int(nodes["frequency"].max()), 1) if len(nodes) else 1
    for activity, frequency, cases in zip(
        nodes["activity"], nodes["frequency"], nodes["cases"], strict=False
    ):
        shade = 0.15 + 0.6 * frequency / top
        fill = f"#{int(255 - 200 * shade):02x}{int(255 - 120 * shade):02x}ff"
        counts = f"{int(frequency):,} events · {int(cases):,} cases"
        if activity in pinned:
            dot.node(ids[activity], label=dot_label(activity, counts, pinned_note),
                     fillcolor=fill, color=PAIN_COLOUR, penwidth="3")  # fmt: skip
        else:
            dot.node(ids[activity], label=dot_label(activity, counts), fillcolor=fill)
    dot.node("start", label="", shape="circle", style="filled", fillcolor="#4caf50", width="0.3")
    dot.node(
        "end", label="", shape="doublecircle", style="filled", fillcolor="#e53935", width="0.25"
    )
    edges = process_map.edges
    peak = max(int(edges["frequency"].max()), 1) if len(edges) else 1
    flows = edges[edges["kind"] == "flow"]
    for kind, source, target, frequency, cases, median_s, mean_s in edges[EDGE_COLUMNS].itertuples(
        index=False
    ):
        tail = "start" if kind == "start" else ids.get(source)
        head = "end" if kind == "end" else ids.get(target)
        if tail is None or head is None:
            continue
        width = f"{1 + 5 * frequency / peak:.2f}"
        if kind != "flow":
            dot.edge(tail, head, label=f"{int(frequency):,}", style="dashed", color="#9e9e9e",
                     penwidth=width)  # fmt: skip
        elif view == "frequency":
            dot.edge(tail, head, label=f"{int(frequency):,} ({int(cases):,} cases)", penwidth=width)
        else:
            colour = delay_colour(median_s, flows["median_s"])
            label = f"median {format_duration(median_s)}\nmean {format_duration(mean_s)}"
            dot.edge(tail, head, label=label, color=colour, fontcolor=colour, penwidth=width)
    return dot


def render(dot, fmt: str) -> bytes:  # dot: graphviz.Digraph
    """Lay out and render DOT (svg or png) with graphviz's `dot`."""
    require_graphviz()
    return dot.pipe(format=fmt)


# PNG drawn by cairo (anti-aliased, as before) and written by gd as a palette image: on a
# large map half the time and a third of the bytes of cairo's own 32-bit PNG.
PNG_FORMAT = "png:cairo:gd"


def draw(source: str, formats: tuple[str, ...] = ("svg", "png")) -> list[bytes]:
    """Lay out DOT once with graphviz's `dot` and write the layout in each format: one
    process per map, where a drawing per format would lay it out again."""
    dot = require_graphviz()
    with tempfile.TemporaryDirectory(prefix="l2csim-dot-") as scratch:
        args, targets = [dot], []
        for i, fmt in enumerate(formats):
            targets.append(Path(scratch) / f"drawing{i}")
            args += [f"-T{PNG_FORMAT if fmt == 'png' else fmt}", f"-o{targets[-1]}"]
        done = subprocess.run(args, input=source.encode("utf-8"), capture_output=True)
        if done.returncode != 0:
            message = done.stderr.decode("utf-8", "replace").strip()[:300]
            raise L2csimError(f"graphviz could not draw a map: {message}")
        return [target.read_bytes() for target in targets]


def draw_all(
    sources: list[str], formats: tuple[str, ...] = ("svg", "png"), *, at_once: int = 1
) -> list[list[bytes]]:
    """`draw` every DOT source, `at_once` graphviz processes at a time (each drawing is a
    process of its own, so threads here only wait); one at a time with `at_once` 1."""
    if at_once <= 1 or len(sources) <= 1:
        return [draw(source, formats) for source in sources]
    with ThreadPoolExecutor(max_workers=at_once) as pool:
        return list(pool.map(lambda source: draw(source, formats), sources))


def inline_svg(svg: bytes) -> str:
    """SVG text to embed in HTML: without the XML prolog and doctype graphviz writes."""
    text = svg.decode("utf-8")
    start = text.find("<svg")
    return text[start:] if start >= 0 else text
