"""What the log shows after a moment: the forecast's KPIs day by day, as they really went.

The same definitions as the simulation's (`simulate.DailyTracker`): an order is open from
its receipt to its delivery (the shared order table's times); days are 24-hour windows from
the cut; `open_orders_delivered` counts, cumulatively, the orders open at the cut that were
delivered by each day's end; a delivery is late when it comes after the order's promise.
Days after `known_until` (the end of what the log shows) are NaN.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from l2csim.log import ACTIVITY, CASE, TIMESTAMP

HOUR = pd.Timedelta(hours=1)


@dataclass(frozen=True)
class LogTimes:
    """The times the outcomes are counted from, as float hours since the epoch (sorted)."""

    received: np.ndarray
    delivered: np.ndarray  # of delivered orders only
    late_delivered: np.ndarray  # deliveries after the promise
    chase_calls: np.ndarray
    delivered_by_case: pd.Series  # case (str) -> hours or NaN

    @classmethod
    def of(cls, cases: pd.DataFrame, events: pd.DataFrame, chase_activities) -> LogTimes:
        """From the order table (`fit.cases.case_table`) and the events (chase calls)."""
        received = _hours(cases["arrival"])
        delivered = _hours(cases["delivered"])
        promised = _hours(cases["promised"])
        late = delivered[np.isfinite(delivered) & (delivered > promised)]
        calls = events.loc[events[ACTIVITY].isin(list(chase_activities)), TIMESTAMP]
        return cls(
            received=np.sort(received[np.isfinite(received)]),
            delivered=np.sort(delivered[np.isfinite(delivered)]),
            late_delivered=np.sort(late),
            chase_calls=np.sort(_hours(calls)),
            delivered_by_case=pd.Series(delivered, index=cases.index.astype(str)),
        )


def _hours(values: pd.Series) -> np.ndarray:
    stamps = pd.to_datetime(values, utc=True)
    return ((stamps - pd.Timestamp(0, tz="UTC")) / HOUR).to_numpy(dtype=float)


def actual_days(
    times: LogTimes,
    opened: pd.Series,
    at: pd.Timestamp,
    days: int,
    known_until: pd.Timestamp,
) -> dict[str, np.ndarray]:
    """Per KPI, its value on days 1..days after `at` as the log shows it (`opened`: the
    orders open at `at`)."""
    start = float((at - pd.Timestamp(0, tz="UTC")) / HOUR)
    ends = start + 24.0 * np.arange(1, days + 1)
    known = ends <= float((known_until - pd.Timestamp(0, tz="UTC")) / HOUR) + 1e-9

    def upto(values: np.ndarray, moments: np.ndarray) -> np.ndarray:
        return np.searchsorted(values, moments, side="right").astype(float)

    edges = np.concatenate([[start], ends])

    def per_day(values: np.ndarray) -> np.ndarray:
        return np.diff(upto(values, edges))

    received = upto(times.received, ends)
    delivered = upto(times.delivered, ends)
    of_open = np.sort(times.delivered_by_case.reindex(opened.astype(str)).dropna().to_numpy())
    out = {
        "backlog": received - delivered,
        "arrived": per_day(times.received),
        "delivered": per_day(times.delivered),
        "open_orders_delivered": upto(of_open, ends),
        "chase_calls": per_day(times.chase_calls),
        "late_deliveries": per_day(times.late_delivered),
    }
    return {k: np.where(known, v, np.nan) for k, v in out.items()}


def opened_at(cases: pd.DataFrame, at: pd.Timestamp) -> pd.Series:
    """The orders open at `at` by the whole log's times (received by then, delivered after)."""
    open_ = (cases["arrival"] <= at) & (cases["delivered"].isna() | (cases["delivered"] > at))
    return pd.Series(cases.index[open_].astype(str), name=CASE)
