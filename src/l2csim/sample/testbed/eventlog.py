"""The event log of a world run as the operation's ERP exports it (the CSV's table).

One row per recorded event of the orders placed in the intake period, with their events up
to the extraction date; completion time (and start time in start+end logs) with the UTC
offset of the operation's time zone; column names as the operation's `LogFormat` says.
Rows are ordered by order number, then time, then recording order.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from l2csim.sample.testbed.world import World

DEFAULT_RECORD_TIER = "occasional"  # the class an ERP gives a newly keyed customer record


def _iso(origin: pd.Timestamp, minutes: np.ndarray, timezone: str) -> pd.Series:
    seconds = np.round(minutes * 60.0).astype(np.int64)
    times = pd.DatetimeIndex(origin + pd.to_timedelta(seconds, unit="s")).tz_convert(timezone)
    text = pd.Series(times.strftime("%Y-%m-%dT%H:%M:%S%z"))
    return text.str[:-2] + ":" + text.str[-2:]


def record_tier(order) -> str:
    """The tier the ERP shows on an order: the customer's, but a re-keyed second record
    carries the default class of a new record."""
    return DEFAULT_RECORD_TIER if order.under_alias else order.customer.tier


def event_table(world: World) -> pd.DataFrame:
    """The log as written (all values are strings, times ISO 8601 with offset)."""
    spec = world.spec
    fmt = spec.log
    period_end = world.window[1]
    orders = world.orders
    rows = [(i, r) for i, r in enumerate(world.records) if orders[r[0]].arrival < period_end]
    index = np.array([r[0] for _, r in rows], dtype=np.int64)
    seq = np.array([i for i, _ in rows], dtype=np.int64)
    start = np.array([r[3] for _, r in rows], dtype=float)
    end = np.array([r[4] for _, r in rows], dtype=float)
    origin = pd.Timestamp(world.clock.origin)
    refs = [orders[i].ref for i in index]
    columns: dict[str, object] = {}
    for canonical, name in fmt.columns:
        if canonical == "order":
            columns[name] = refs
        elif canonical == "activity":
            columns[name] = [r[1] for _, r in rows]
        elif canonical == "time":
            columns[name] = _iso(origin, end, spec.timezone).to_numpy()
        elif canonical == "start":
            if fmt.timestamps == "start_end":
                columns[name] = _iso(origin, start, spec.timezone).to_numpy()
        elif canonical == "resource":
            columns[name] = [r[2] for _, r in rows]
        elif canonical == "customer":
            columns[name] = [orders[i].cust_no for i in index]
        elif canonical == "customer_name":
            columns[name] = [orders[i].cust_name for i in index]
        elif canonical == "line":
            columns[name] = [orders[i].line.name for i in index]
        elif canonical == "value":
            columns[name] = [f"{orders[i].value:.2f}" for i in index]
        elif canonical == "promised":
            if spec.promise == "date":
                columns[name] = [
                    world.clock.date(orders[i].promised_day).isoformat() for i in index
                ]
        elif canonical == "channel":
            columns[name] = [orders[i].channel for i in index]
        elif canonical == "tier":
            if fmt.tiers == "attribute":
                columns[name] = [record_tier(orders[i]) for i in index]
        else:
            raise ValueError(f"unknown log column kind {canonical!r}")
    table = pd.DataFrame(columns)
    order_key = np.array(refs, dtype=object)
    sort = np.lexsort((seq, end, order_key))
    return table.iloc[sort].reset_index(drop=True)


def period_dates(world: World) -> tuple[dt.date, dt.date, dt.date]:
    """(first day, first day after the intake period, extraction date)."""
    clock = world.clock
    return (
        clock.start,
        clock.date(world.days),
        clock.date(world.days + world.spec.extract_after_days),
    )
