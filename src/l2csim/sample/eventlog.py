"""Turns the simulated events into the user-facing order log table (the CSV's columns).

Internally each row keeps its exact second on the simulation clock (`_seconds`) and its
recording sequence (`_seq`) so faults can be planted and rows sorted deterministically;
`finish_table` drops them and renders times in Europe/Berlin with their offset.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from l2csim.sample.calendar import TIMEZONE, Clock
from l2csim.sample.operation import Operation

COLUMNS = (
    "order_ref",
    "event",
    "event_time",
    "performed_by",
    "cust_no",
    "cust_name",
    "product_line",
    "order_value",
    "promised_by",
    "channel",
    "team",
)


def raw_table(operation: Operation) -> pd.DataFrame:
    """One row per simulated event, with the helper columns `_seconds`, `_seq`, `_dup`."""
    orders = operation.orders
    events = operation.events
    index = np.fromiter((e.order for e in events), dtype=np.int64, count=len(events))
    minutes = np.fromiter((e.minutes for e in events), dtype=float, count=len(events))
    frame = pd.DataFrame(
        {
            "order_ref": [orders[i].ref for i in index],
            "event": [e.activity for e in events],
            "performed_by": [e.resource for e in events],
            "cust_no": [e.cust_no for e in events],
            "cust_name": [e.cust_name for e in events],
            "product_line": [orders[i].product_line for i in index],
            "order_value": [e.value for e in events],
            "promised_by": [orders[i].promised_by.isoformat() for i in index],
            "channel": [orders[i].channel for i in index],
            "team": [orders[i].team for i in index],
            "_seconds": np.round(minutes * 60.0).astype(np.int64),
            "_seq": np.fromiter((e.seq for e in events), dtype=np.int64, count=len(events)),
            "_dup": np.zeros(len(events), dtype=np.int64),
        }
    )
    return frame


def sort_table(frame: pd.DataFrame) -> pd.DataFrame:
    """Order by order, each in recording order, as an ERP exports its order history.

    A planted wrong timestamp therefore shows where a data-quality check looks for it: an
    event recorded after another in the same order but timestamped before it.
    """
    return frame.sort_values(["order_ref", "_seq", "_dup"], kind="mergesort")


def finish_table(frame: pd.DataFrame, clock: Clock) -> pd.DataFrame:
    """Drop the helper columns; event_time as tz-aware Europe/Berlin timestamps."""
    origin = pd.Timestamp(clock.origin.astimezone(dt.UTC))
    times = origin + pd.to_timedelta(frame["_seconds"].to_numpy(), unit="s")
    out = frame.assign(event_time=pd.DatetimeIndex(times).tz_convert(TIMEZONE))
    return out.loc[:, list(COLUMNS)].reset_index(drop=True)


def csv_table(events: pd.DataFrame) -> pd.DataFrame:
    """The table as written: ISO 8601 times with offset, values with two decimals."""
    return events.assign(
        event_time=events["event_time"].map(lambda t: t.isoformat(timespec="seconds")),
        order_value=events["order_value"].map(lambda v: f"{v:.2f}"),
    )
