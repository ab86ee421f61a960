"""The order table the fit works from: one row per case with its arrival, segment and customer.

Every other fit module reads events sorted by case and time plus this table, so the
conventions live in one place: a case arrives at its first `order_received` event (or its
first event when the study names none); its segment is the combination of the study's
segment attributes as first recorded in the case ("all" without segments); its customer and
order value are the first recorded ones (a corrected value later in the case does not move
the order to another customer).
"""

from __future__ import annotations

import pandas as pd

from l2csim.log import ACTIVITY, CASE, CUSTOMER, START, TIMESTAMP

ALL = "all"
UNKNOWN = "unknown"
VALUE_WORDS = ("order_value", "value", "amount", "net", "price")


def sort_events(events: pd.DataFrame) -> pd.DataFrame:
    """Events by case, then completion time, then position in the file (a stable order)."""
    frame = events.assign(_pos=range(len(events)))
    frame = frame.sort_values([CASE, TIMESTAMP, "_pos"], kind="stable")
    return frame.drop(columns="_pos").reset_index(drop=True)


def case_table(
    events: pd.DataFrame,
    segment_columns: list[str],
    order_received: list[str],
    value_column: str | None,
) -> pd.DataFrame:
    """One row per case (index: case id, sorted): arrival (UTC), segment, customer, value."""
    grouped = events.groupby(CASE, sort=True)
    first_time = grouped[TIMESTAMP].min()
    if START in events:
        first_time = pd.concat([first_time, grouped[START].min()], axis=1).min(axis=1)
    arrival = first_time
    if order_received:
        received = events.loc[events[ACTIVITY].isin(order_received)]
        received_at = received.groupby(CASE, sort=True)[TIMESTAMP].min()
        arrival = received_at.reindex(first_time.index).fillna(first_time)
    table = pd.DataFrame({"arrival": arrival})
    table["segment"] = segment_of(grouped, segment_columns, table.index)
    if CUSTOMER in events:
        table["customer"] = grouped[CUSTOMER].first()
    else:
        table["customer"] = None
    if value_column is not None:
        table["value"] = pd.to_numeric(grouped[value_column].first(), errors="coerce")
    else:
        table["value"] = float("nan")
    return table


def segment_of(grouped, segment_columns: list[str], index: pd.Index) -> pd.Series:
    """The case's segment label: its segment attribute values joined by ' | '."""
    if not segment_columns:
        return pd.Series(ALL, index=index, dtype=object)
    parts = [
        grouped[column].first().astype("string").fillna(UNKNOWN).reindex(index).fillna(UNKNOWN)
        for column in segment_columns
    ]
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
