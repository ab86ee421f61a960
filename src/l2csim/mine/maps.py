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

from dataclasses import dataclass

import numpy as np
import pandas as pd

from l2csim.log import ACTIVITY, CASE, RESOURCE, START, TIMESTAMP
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


def discover_map(events: pd.DataFrame, *, is_ordered: bool = False) -> ProcessMap:
    """The full directly-follows map of a log, vectorised (no per-event Python)."""
    ev = events if is_ordered else ordered(events)
    case = ev[CASE].to_numpy()
    activity = ev[ACTIVITY].to_numpy()
    if len(ev) == 0:
        return ProcessMap(
            pd.DataFrame(columns=["activity", "frequency", "cases"]),
            pd.DataFrame(columns=EDGE_COLUMNS),
            0,
        )
    end_time = ev[TIMESTAMP]
    next_start = ev[START].shift(-1) if START in ev and ev[START].notna().all() else None
    same = np.zeros(len(ev), dtype=bool)
    same[:-1] = case[:-1] == case[1:]
    if next_start is not None:  # waiting = next start (not before this completion) - completion
        wait = (np.maximum(next_start, end_time) - end_time).dt.total_seconds().to_numpy()
    else:
        wait = (end_time.shift(-1) - end_time).dt.total_seconds().to_numpy()
    pairs = pd.DataFrame(
        {
            "source": activity[same],
            "target": np.roll(activity, -1)[same],
            "case": case[same],
            "wait": wait[same],
        }
    )
    grouped = pairs.groupby(["source", "target"], sort=True)
    flows = grouped.agg(
        frequency=("case", "size"),
        cases=("case", "nunique"),
        median_s=("wait", "median"),
        mean_s=("wait", "mean"),
    ).reset_index()
    flows.insert(0, "kind", "flow")
    first = np.ones(len(ev), dtype=bool)
    first[1:] = case[1:] != case[:-1]
    last = np.ones(len(ev), dtype=bool)
    last[:-1] = ~same[:-1]
    starts = pd.Series(activity[first]).value_counts().sort_index()
    ends = pd.Series(activity[last]).value_counts().sort_index()
    arcs = [
        pd.DataFrame(
            {"kind": "start", "source": "", "target": starts.index, "frequency": starts.values}
        ),
        flows,
        pd.DataFrame({"kind": "end", "source": ends.index, "target": "", "frequency": ends.values}),
    ]
    edges = pd.concat(arcs, ignore_index=True)
    edges["cases"] = edges["cases"].fillna(edges["frequency"]).astype("int64")
    edges["frequency"] = edges["frequency"].astype("int64")
    nodes = (
        pd.DataFrame({"activity": activity, "case": case})
        .groupby("activity", sort=True)
        .agg(frequency=("case", "size"), cases=("case", "nunique"))
        .reset_index()
    )
    return ProcessMap(nodes, edges[EDGE_COLUMNS], int(first.sum()))


def kept_activities(events: pd.DataFrame, coverage: float) -> list[str]:
    """The most frequent activities that together cover `coverage` of the events."""
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
    events: pd.DataFrame,
    activity_coverage: float,
    path_coverage: float,
    *,
    pinned: list[str] | tuple[str, ...] = (),
) -> ProcessMap:
    """The map at one setting of Disco's two sliders (1.0 and 1.0 is the full map);
    `pinned` activities stay whatever the activity coverage."""
    ev = ordered(events)
    if activity_coverage < 1.0:
        ev = ev[ev[ACTIVITY].isin({*kept_activities(ev, activity_coverage), *pinned})]
    full = discover_map(ev, is_ordered=True)
    if path_coverage >= 1.0 or full.edges.empty:
        return full
    kept = full.edges[keep_paths(full.edges, path_coverage)]
    return ProcessMap(full.nodes, kept.reset_index(drop=True), full.n_cases)


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
    events: pd.DataFrame,
    *,
    pinned: list[str] | tuple[str, ...] = (),
    max_levels: int = 40,
) -> tuple[list[str], list[dict]]:
    """Every setting of the activity slider as data for maps.html: (activities, levels).

    `activities` are the names from the most to the least frequent; level k keeps the k most
    frequent plus the pinned ones (at most `max_levels` levels, evenly spread, the full map
    always last). Each level: `top` (k), `activities` (kept, pinned included), `coverage` (share of events kept), `nodes`
    [[index, events, cases]] and `edges` [[source, target, frequency, cases, median_s,
    mean_s]] with -1 for the start and -2 for the end; the path slider filters in the page."""
    ev = ordered(events)
    names = activity_order(ev)
    index = {a: i for i, a in enumerate(names)}
    counts = ev[ACTIVITY].value_counts()
    total = max(int(counts.sum()), 1)
    n = len(names)
    steps = sorted({int(k) for k in np.rint(np.linspace(1, n, min(n, max_levels)))}) if n else []
    levels = []
    for k in steps:
        keep = {*names[:k], *[a for a in pinned if a in index]}
        part = ev if len(keep) == n else ev[ev[ACTIVITY].isin(keep)]
        found = discover_map(part, is_ordered=True)
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
            "activities": len(keep),
            "coverage": round(float(counts[list(keep)].sum()) / total, 4),
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


def inline_svg(svg: bytes) -> str:
    """SVG text to embed in HTML: without the XML prolog and doctype graphviz writes."""
    text = svg.decode("utf-8")
    start = text.find("<svg")
    return text[start:] if start >= 0 else text
