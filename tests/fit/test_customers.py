"""fit/customers.py: the promise rule, counted in the company's working days, and the most
common promise count per group, counted in one pass."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from l2csim.fit.customers import _group_modes, _row_modes, days_left, promise_days

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


# Germany's public holidays between March and June 2025 (Good Friday to Whit Monday).
HOLIDAYS = [dt.date(2025, 4, 18), dt.date(2025, 4, 21), dt.date(2025, 5, 1),
            dt.date(2025, 5, 29), dt.date(2025, 6, 9)]  # fmt: skip


def test_a_promise_over_a_public_holiday_counts_the_companys_working_days() -> None:
    """Every order is promised 5 working days, the company's: a promise over Easter is two
    days longer. Counted in weekdays alone a fifth of the orders read 6 or 7 days, which
    made the fit take the tier for a mixture of customers promised differently; counted
    without the closed days every order reads 5, one count and no mixture."""
    holidays = np.array(HOLIDAYS, dtype="datetime64[D]")
    days = np.arange("2025-03-03", "2025-06-21", dtype="datetime64[D]")
    days = days[np.is_busday(days, holidays=holidays)]
    placed = pd.DatetimeIndex(days.astype("datetime64[ns]")) + pd.Timedelta(hours=10)
    promised_day = pd.DatetimeIndex(
        np.busday_offset(days, 5, holidays=holidays).astype("datetime64[ns]")
    )
    cases = pd.DataFrame(
        {
            "arrival": placed.tz_localize("UTC"),
            "promised": (promised_day + pd.Timedelta(days=1)).tz_localize("UTC"),
            "tier": "a",
            "segment": "s",
            "customer": np.where(np.arange(len(placed)) % 2 == 0, "C1", "C2"),
        },
        index=[f"o{i}" for i in range(len(placed))],
    )
    closed = frozenset(HOLIDAYS)
    rule = promise_days(cases, "UTC", closed=closed)
    assert rule.days == {("a", "s"): 5} and rule.mix == {}
    seen = cases["arrival"].dt.tz_localize(None)
    assert (days_left(seen, promised_day.to_series(index=cases.index), rule) == 5).all()
    weekdays_only = promise_days(cases, "UTC")
    read = days_left(seen, promised_day.to_series(index=cases.index), weekdays_only)
    assert 0.15 < (read > 5).mean() < 0.3 and read.max() == 7
