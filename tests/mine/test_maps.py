"""Maps equal pm4py's own DFG figures on real logs; abstraction and escaping behave."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from l2csim.log import ACTIVITY, CASE, TIMESTAMP, read_log
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
