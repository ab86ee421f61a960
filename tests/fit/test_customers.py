"""fit/customers.py: the most common promise count per group, counted in one pass."""

from __future__ import annotations

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from l2csim.fit.customers import _group_modes, _row_modes

ROWS = st.lists(
    st.tuples(st.sampled_from(["c:1", "c:2", "t:key"]), st.sampled_from(["A", "B"]),
              st.integers(-1, 4)),
    min_size=1, max_size=60,
)  # fmt: skip


def _frame(rows) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["who", "segment", "days"])
    frame.index = frame.index * 3 + 7  # not a range index: keys align by label
    return frame


@settings(max_examples=200, deadline=None)
@given(ROWS)
def test_group_modes_are_each_groups_mode_with_its_tie_rule(rows) -> None:
    """Equal to pandas' mode per group: the smallest of the most common values (the rule
    the promise search uses), or the largest (a customer's count on a tie)."""
    frame = _frame(rows)
    by = [frame["who"], frame["segment"]]
    smallest = _group_modes(frame["days"], by)
    largest = _group_modes(frame["days"], by, largest=True)
    for key, group in frame.groupby(["who", "segment"]):
        modes = group["days"].mode()
        assert smallest.loc[key] == modes.min()
        assert largest.loc[key] == modes.max()
    assert len(smallest) == frame.groupby(["who", "segment"]).ngroups
    assert list(smallest.index.names) == ["who", "segment"]
    per_row = _row_modes(frame["days"], by)
    expected = frame.groupby(["who", "segment"])["days"].transform(lambda d: d.mode().iloc[0])
    assert per_row.equals(expected.astype(per_row.dtype))
