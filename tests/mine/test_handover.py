"""Handover of work counted on a hand-made log and on a real one."""

from __future__ import annotations

import pandas as pd

from l2csim.log import ACTIVITY, CASE, RESOURCE, TIMESTAMP, read_log
from l2csim.mine.handover import handover_dot, handovers
from l2csim.mine.maps import ordered


def test_handovers_count_changes_of_resource_within_cases():
    frame = pd.DataFrame(
        {CASE: ["1", "1", "1", "2", "2"], ACTIVITY: list("abcab"),
         RESOURCE: ["ann", "ann", "bob", "bob", None],
         TIMESTAMP: pd.date_range("2024-01-01", periods=5, freq="h", tz="UTC")}
    )  # fmt: skip
    table = handovers(ordered(frame), RESOURCE)
    assert table.to_dict(orient="records") == [
        {"source": "ann", "target": "bob", "handovers": 1, "cases": 1}
    ]


def test_real_log_handovers_add_up(shared_data):
    events = ordered(read_log(shared_data / "running-example.xes.gz").events)
    table = handovers(events, RESOURCE)
    same_case = events[CASE].eq(events[CASE].shift(-1))
    changes = same_case & events[RESOURCE].ne(events[RESOURCE].shift(-1))
    assert table["handovers"].sum() == int(changes.sum())
    assert "<B>" in handover_dot(table).source
