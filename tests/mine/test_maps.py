"""Maps equal pm4py's own DFG figures on real logs; abstraction and escaping behave."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from l2csim.log import ACTIVITY, CASE, START, TIMESTAMP, read_log
from l2csim.mine.maps import abstract_map, discover_map, kept_activities, map_dot, render
from l2csim.pm4py_adapter import pm4py


@pytest.fixture(scope="module", params=["helpdesk.xes.gz", "receipt.csv.gz"])
def events(request, shared_data) -> pd.DataFrame:
    return read_log(shared_data / request.param).events


def test_dfg_equals_pm4py(events):
    pm = pm4py()
    ours = discover_map(events)
    dfg, starts, ends = pm.discover_dfg(events)
    assert ours.flows() == {k: int(v) for k, v in dfg.items()}
    edges = ours.edges
    got_starts = dict(
        zip(
            edges.loc[edges.kind == "start", "target"],
            edges.loc[edges.kind == "start", "frequency"],
            strict=True,
        )
    )
    got_ends = dict(
        zip(
            edges.loc[edges.kind == "end", "source"],
            edges.loc[edges.kind == "end", "frequency"],
            strict=True,
        )
    )
    assert got_starts == {k: int(v) for k, v in starts.items()}
    assert got_ends == {k: int(v) for k, v in ends.items()}
    performance, _, _ = pm.discover_performance_dfg(events)
    flows = edges[edges.kind == "flow"]
    for source, target, median, mean in zip(
        flows.source, flows.target, flows.median_s, flows.mean_s, strict=True
    ):
        assert math.isclose(performance[(source, target)]["median"], median, abs_tol=1e-6)
        assert math.isclose(performance[(source, target)]["mean"], mean, rel_tol=1e-9)


def test_activity_coverage_keeps_most_frequent_covering_share(events):
    counts = events[ACTIVITY].value_counts()
    kept = kept_activities(events, 0.5)
    assert counts[kept].sum() / counts.sum() >= 0.5
    assert len(kept) < events[ACTIVITY].nunique()
    assert (
        set(kept) == set(counts.index[: len(kept)]) or counts[kept].min() >= counts.drop(kept).max()
    )


def test_abstraction_levels_shrink_the_map(events):
    full = abstract_map(events, 1.0, 1.0)
    assert full.flows() == discover_map(events).flows()
    half = abstract_map(events, 0.5, 0.5)
    assert len(half.nodes) < len(full.nodes)
    assert len(half.edges) < len(full.edges)
    # every kept activity still has a way in and a way out
    for activity in half.nodes["activity"]:
        assert (half.edges["target"] == activity).any() and (half.edges["source"] == activity).any()


def test_log_text_is_escaped_in_dot_and_svg():
    nasty = '<b>"Hack"</b> & \\N {x}'
    frame = pd.DataFrame(
        {CASE: ["1", "1", "2", "2"], ACTIVITY: ["Start", nasty, "Start", nasty],
         TIMESTAMP: pd.to_datetime(["2024-01-01", "2024-01-02", "2024-01-03", "2024-01-05"], utc=True)}
    )  # fmt: skip
    for view in ("frequency", "performance"):
        dot = map_dot(discover_map(frame), view)
        assert "&lt;b&gt;&quot;Hack&quot;&lt;/b&gt; &amp;" in dot.source
        svg = render(dot, "svg").decode()
        assert "<b>" not in svg and "&lt;b&gt;" in svg


# --- the array form (code_log): same figures as a plain pandas groupby, segments by mask ----


def _reference_map(events: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The map computed the slow, obvious way: pandas groupby over consecutive pairs."""
    from l2csim.mine.maps import ordered

    ev = ordered(events).reset_index(drop=True)
    nxt = ev.shift(-1)
    same = (ev[CASE] == nxt[CASE]).to_numpy()
    if START in ev and ev[START].notna().all():  # waiting until the next step starts
        wait = (np.maximum(nxt[START], ev[TIMESTAMP]) - ev[TIMESTAMP]).dt.total_seconds()
    else:
        wait = (nxt[TIMESTAMP] - ev[TIMESTAMP]).dt.total_seconds()
    pairs = pd.DataFrame({"source": ev[ACTIVITY], "target": nxt[ACTIVITY], "case": ev[CASE],
                          "wait": wait})[same]  # fmt: skip
    flows = (
        pairs.groupby(["source", "target"], sort=True)
        .agg(
            frequency=("case", "size"),
            cases=("case", "nunique"),
            median_s=("wait", "median"),
            mean_s=("wait", "mean"),
        )
        .reset_index()
    )
    nodes = (
        ev.groupby(ACTIVITY, sort=True)
        .agg(frequency=(CASE, "size"), cases=(CASE, "nunique"))
        .reset_index()
        .rename(columns={ACTIVITY: "activity"})
    )
    return nodes, flows


def test_arrays_give_exactly_the_groupby_figures(events):
    """Every figure, to the last digit (maps, CSVs and maps.html must not change)."""
    nodes, flows = _reference_map(events)
    ours = discover_map(events)
    got = ours.edges[ours.edges["kind"] == "flow"].drop(columns="kind").reset_index(drop=True)
    assert got.to_csv(index=False) == flows.to_csv(index=False)
    assert ours.nodes.to_csv(index=False) == nodes.to_csv(index=False)


def test_a_segment_by_mask_is_the_map_of_its_cases(events):
    """One coded log shared by every segment: a mask gives the map of the filtered log."""
    from l2csim.mine.maps import code_log, map_levels, ordered

    cases = events[CASE].drop_duplicates()
    part_cases = set(cases.iloc[::3])
    coded = code_log(ordered(events))
    keep = ordered(events)[CASE].isin(part_cases).to_numpy()
    part = events[events[CASE].isin(part_cases)]
    pinned = [str(events[ACTIVITY].value_counts().index[-1])]
    for level in (1.0, 0.6):
        by_mask = abstract_map(coded, level, level, pinned=pinned, keep=keep)
        by_frame = abstract_map(part, level, level, pinned=pinned)
        assert by_mask.edges.to_csv(index=False) == by_frame.edges.to_csv(index=False)
        assert by_mask.nodes.to_csv(index=False) == by_frame.nodes.to_csv(index=False)
        assert by_mask.n_cases == by_frame.n_cases == len(part_cases)
    assert map_levels(coded, pinned=pinned, keep=keep) == map_levels(part, pinned=pinned)
    assert kept_activities(coded, 0.5, keep) == kept_activities(part, 0.5)


def test_large_maps_get_the_bounded_layout_and_small_ones_do_not():
    """More than LARGE_MAP_PATHS paths: straight arrows, bounded layout effort, capped size
    (dot took 54 s per drawing of a 630-path map); the usual maps are drawn as before."""
    from l2csim.mine.maps import LARGE_MAP_PATHS, draw

    rng = np.random.default_rng(0)
    names = [f"step {i}" for i in range(30)]
    rows = []
    for case in range(400):
        for position, activity in enumerate(rng.choice(names, size=12)):
            rows.append((f"c{case}", activity, pd.Timestamp("2025-01-01", tz="UTC")
                         + pd.Timedelta(hours=case + position)))  # fmt: skip
    events = pd.DataFrame(rows, columns=["case:concept:name", "concept:name", "time:timestamp"])
    large = discover_map(events)
    assert (large.edges["kind"] == "flow").sum() > LARGE_MAP_PATHS
    source = map_dot(large, "frequency").source
    assert "splines=line" in source and "size=" in source
    svg, png = draw(source)
    assert svg.lstrip().startswith(b"<?xml") and png.startswith(b"\x89PNG")
    small = discover_map(events[events["concept:name"].isin(names[:4])])
    assert "splines" not in map_dot(small, "frequency").source
