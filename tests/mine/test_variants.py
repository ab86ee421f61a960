"""Variant counts equal pm4py's on real logs; the table's shares and coverage add up."""

from __future__ import annotations

import pytest

from l2csim.log import read_log
from l2csim.mine.variants import SEPARATOR, case_variants, lead_times, variant_table
from l2csim.pm4py_adapter import pm4py


@pytest.mark.parametrize("name", ["helpdesk.xes.gz", "receipt.csv.gz"])
def test_variants_equal_pm4py(shared_data, name):
    events = read_log(shared_data / name).events
    table = variant_table(case_variants(events), lead_times(events))
    theirs = pm4py().get_variants(events)
    assert len(table) == len(theirs)
    assert dict(zip(table.variant, table.cases, strict=True)) == {
        SEPARATOR.join(k): int(v) for k, v in theirs.items()
    }
    assert table["cases"].sum() == events["case:concept:name"].nunique()
    assert table["cumulative_share"].iloc[-1] == pytest.approx(1.0)
    assert table["cases"].is_monotonic_decreasing


def test_helpdesk_known_figures(shared_data):
    events = read_log(shared_data / "helpdesk.xes.gz").events
    table = variant_table(case_variants(events), lead_times(events), top=5)
    assert len(table) == 5
    assert table["rank"].tolist() == [1, 2, 3, 4, 5]
    assert (table["median_lead_time_days"] > 0).all()


def test_equal_length_variants_stay_tuples():
    import pandas as pd

    frame = pd.DataFrame(
        {"case:concept:name": ["1", "1", "2", "2"], "concept:name": ["a", "b", "b", "a"],
         "time:timestamp": pd.date_range("2024-01-01", periods=4, freq="h", tz="UTC")}
    )  # fmt: skip
    variants = case_variants(frame)
    assert variants.to_dict() == {"1": ("a", "b"), "2": ("b", "a")}
