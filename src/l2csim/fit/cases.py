"""The order table the fit works from: one row per case with its arrival, segment, customer,
value, tier and promise — the shared order table (`l2csim.orders`), so the fit's orders are
the ones mine, customers and validate count.

Every other fit module reads events sorted by case and time plus this table: a case arrives
when it is received (first `order_received` event, else its first event); its segment is the
combination of the study's segment attributes as first recorded in the case ("all" without
segments); its customer and order value are the first recorded ones (a corrected value later
in the case does not move the order to another customer); its promise is the SLA deadline of
its tier (NaT where the study declares no SLA).
"""

from __future__ import annotations

import pandas as pd

from l2csim.log import CASE, TIMESTAMP
from l2csim.orders import UNKNOWN_TIER, OrderSpec, case_column, judged_orders
from l2csim.study import Study

ALL = "all"
UNKNOWN = "unknown"
VALUE_WORDS = ("order_value", "value", "amount", "net", "price")


def sort_events(events: pd.DataFrame) -> pd.DataFrame:
    """Events by case, then completion time, then position in the file (a stable order)."""
    frame = events.assign(_pos=range(len(events)))
    frame = frame.sort_values([CASE, TIMESTAMP, "_pos"], kind="stable")
    return frame.drop(columns="_pos").reset_index(drop=True)


def case_table(events: pd.DataFrame, study: Study | None, tiers: pd.Series | None) -> pd.DataFrame:
    """One row per case (index: case id, sorted): arrival (UTC), segment, customer, value,
    tier ('all' when no tier source exists at all), promised (UTC deadline or NaT) and
    delivered (UTC or NaT)."""
    segment_columns = study.segment_columns if study is not None else []
    value = (study.customers.value if study is not None else None) or value_column_of(events)
    spec = OrderSpec.of_study(study, value=value, segments=tuple(segment_columns))
    _, judged = judged_orders(events, study, tiers, spec)
    table = _by_case(judged, events)
    cases = pd.DataFrame(
        {
            "arrival": table["received"],
            "segment": segment_of(table, segment_columns),
            "customer": table["customer"].astype(object).where(table["customer"].notna(), None),
            "value": pd.to_numeric(table["value"], errors="coerce"),
            "tier": table["tier"] if tiers is not None else ALL,
            "promised": table["promised"],
            "delivered": table["delivered"],
        },
        index=table.index,
    )
    return cases


def case_segments(judged: pd.DataFrame, events: pd.DataFrame, study: Study | None) -> pd.Series:
    """Each case's segment label (index: case id, sorted) from an order table already read
    with the study's segment columns (`judged_orders`): `case_table`'s segment column."""
    segment_columns = study.segment_columns if study is not None else []
    return segment_of(_by_case(judged, events), segment_columns)


def _by_case(judged: pd.DataFrame, events: pd.DataFrame) -> pd.DataFrame:
    table = judged.set_index("case").sort_index()
    table.index = table.index.astype(events[CASE].dtype)
    table.index.name = CASE
    return table


def segment_of(table: pd.DataFrame, segment_columns: list[str]) -> pd.Series:
    """The case's segment label: its segment attribute values joined by ' | '."""
    if not segment_columns:
        return pd.Series(ALL, index=table.index, dtype=object)
    parts = [table[column].astype("string").fillna(UNKNOWN) for column in segment_columns]
    label = parts[0]
    for part in parts[1:]:
        label = label + " | " + part
    return label.astype(object)


def value_column_of(events: pd.DataFrame) -> str | None:
    """The numeric case attribute that holds the order value, found by its name."""
    candidates = [c for c in events.columns if c.startswith("case:")]
    for word in VALUE_WORDS:
        for column in sorted(candidates):
            if word in column.lower().removeprefix("case:"):
                numbers = pd.to_numeric(events[column], errors="coerce")
                if numbers.notna().mean() > 0.5:
                    return column
    return None


__all__ = [
    "ALL",
    "UNKNOWN",
    "UNKNOWN_TIER",
    "case_column",
    "case_segments",
    "case_table",
    "sort_events",
]
