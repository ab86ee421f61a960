"""SLA attainment per tier, segment and month, from the SLAs the study file declares.

Per tier (`sla: {<tier>: {...}}`, `default` for tiers not listed): an order is on time when
it is delivered within `promised_hours` of being received, or by the end of the local day in
its `promised_date` attribute; an order still open past its deadline at `as_of` is late. A
courtesy call is owed at each `courtesy_milestones` event of the order; calls made count
against the owed ones up to their number (calls beyond that are 'unowed'). A chase call is
answered in time when the order's next event follows within `chase_response_hours`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from l2csim.study import TierSla

UNKNOWN_TIER = "unknown"
ALL = "all"
DAY = pd.Timedelta(days=1)


def sla_for(tier: str, sla: dict[str, TierSla]) -> TierSla | None:
    """The tier's SLA, else `default`. An order of no known tier (a log without a tier
    list) is still judged when every tier is promised alike (the same promised-date
    attribute or the same hours), without courtesy calls owed."""
    rule = sla.get(tier, sla.get("default"))
    if rule is None and tier == UNKNOWN_TIER and sla:
        promises = {(r.promised_hours, r.promised_date) for r in sla.values()}
        if len(promises) == 1:
            hours, column = promises.pop()
            if hours is not None or column is not None:
                return TierSla(promised_hours=hours, promised_date=column)
    return rule


def judge_orders(
    orders: pd.DataFrame,
    sla: dict[str, TierSla],
    milestones: tuple[str, ...],
    timezone: str,
    as_of: pd.Timestamp,
) -> pd.DataFrame:
    """The SLA verdict of every order: the one rule every stage uses.

    Adds per order: `lead_hours`, `promised` (the deadline, UTC), `late` (True/False; NaN
    when no SLA applies, the promise is unknown, or the order is open and not yet due),
    `days_late`, `courtesy_owed`, `courtesy_made`, `courtesy_unowed`. `orders` is the order
    table (`l2csim.orders`) with a `tier` column.
    """
    out = orders.copy()
    out["lead_hours"] = (out["delivered"] - out["received"]) / pd.Timedelta(hours=1)
    out["promised"] = pd.Series(pd.NaT, index=out.index, dtype="datetime64[ns, UTC]")
    out["courtesy_owed"] = 0
    for tier in sorted(out["tier"].unique()):
        rule = sla_for(tier, sla)
        if rule is None:
            continue
        rows = out["tier"] == tier
        if rule.promised_hours is not None:
            deadline = out.loc[rows, "received"] + pd.Timedelta(hours=rule.promised_hours)
            out.loc[rows, "promised"] = deadline
        elif rule.promised_date is not None:
            column = f"promised:{rule.promised_date}"
            out.loc[rows, "promised"] = end_of_local_day(out.loc[rows, column], timezone)
        owed = [f"milestone:{m}" for m in rule.courtesy_milestones if m in milestones]
        if owed:
            out.loc[rows, "courtesy_owed"] = out.loc[rows, owed].sum(axis=1)
    finished_at = out["delivered"].fillna(as_of)
    over = (finished_at - out["promised"]) / DAY
    judged = over.notna() & (out["delivered"].notna() | (over > 0))
    out["late"] = (over > 0).where(judged, np.nan).astype(object)
    out["days_late"] = over.clip(lower=0).where(judged)
    out["courtesy_made"] = np.minimum(out["courtesy_calls"], out["courtesy_owed"])
    out["courtesy_unowed"] = out["courtesy_calls"] - out["courtesy_made"]
    return out


def on_time_share(judged: pd.DataFrame) -> float | None:
    """Share of judged orders on time (None when none is judged)."""
    late = judged["late"].dropna().astype(bool)
    return float((~late).mean()) if len(late) else None


def end_of_local_day(values: pd.Series, timezone: str) -> pd.Series:
    """Promised dates as deadlines (UTC): the end of that day in `timezone`.

    A bare date or a time without offset is a local day; a time with an offset (or an
    already tz-aware value) is first converted to the local day it falls on. So a promise
    written "2025-01-13" means 2025-01-14 00:00 local, whatever the study's time zone.
    """
    local = local_dates(values, timezone)
    return (
        (local + DAY)
        .dt.tz_localize(timezone, ambiguous=True, nonexistent="shift_forward")
        .dt.tz_convert("UTC")
    )


def local_dates(values: pd.Series, timezone: str) -> pd.Series:
    """Promised dates as naive local midnights; times with an offset are read in `timezone`."""
    if isinstance(values.dtype, pd.DatetimeTZDtype):
        return values.dt.tz_convert(timezone).dt.tz_localize(None).dt.normalize()
    if pd.api.types.is_datetime64_dtype(values.dtype):
        return values.dt.normalize()
    text = values.astype("string").str.strip()
    has_offset = text.str.contains(r"(?:[zZ]|[+-]\d\d:?\d\d)$", regex=True).fillna(False)
    aware = pd.to_datetime(text.where(has_offset), errors="coerce", utc=True, format="mixed")
    naive = pd.to_datetime(text.where(~has_offset), errors="coerce", format="mixed")
    local = aware.dt.tz_convert(timezone).dt.tz_localize(None)
    return naive.where(~has_offset, local).dt.normalize()


def judge_chases(
    chases: pd.DataFrame, orders: pd.DataFrame, sla: dict[str, TierSla]
) -> pd.DataFrame:
    """Each chase call with its order's tier, segments, month and whether it was answered in time."""
    keys = orders.set_index("case")
    out = chases.join(keys, on="case", how="inner")
    limit = out["tier"].map(
        {t: getattr(sla_for(t, sla), "chase_response_hours", None) for t in out["tier"].unique()}
    )
    limit = pd.to_numeric(limit, errors="coerce")
    out["in_time"] = (out["response_hours"] <= limit).where(
        limit.notna() & out["response_hours"].notna()
    )
    return out


def attainment(
    judged: pd.DataFrame, chases: pd.DataFrame, segments: list[str], timezone: str
) -> pd.DataFrame:
    """The sla.csv table: one row per tier x (segment value | month), and their totals."""
    month = judged["received"].dt.tz_convert(timezone).dt.strftime("%Y-%m")
    orders = judged.assign(month=month)
    if len(chases):
        chase_month = chases["received"].dt.tz_convert(timezone).dt.strftime("%Y-%m")
        chases = chases.assign(month=chase_month)
    else:
        chases = chases.assign(month=pd.Series(dtype=object), tier=pd.Series(dtype=object))
    groupings: list[tuple[str, str | None, bool]] = [(ALL, None, False), (ALL, None, True)]
    groupings += [(s.removeprefix("case:"), s, False) for s in segments]
    frames = []
    for tier_level in (True, False):
        for label, column, by_month in groupings:
            frames.append(_aggregate(orders, chases, tier_level, label, column, by_month))
    table = pd.concat(frames, ignore_index=True)
    return table.sort_values(
        ["tier", "segment", "segment_value", "month"], kind="stable"
    ).reset_index(drop=True)


def _aggregate(orders, chases, by_tier: bool, label: str, column: str | None, by_month: bool):
    keys = []
    frames = {}
    for name, frame in (("orders", orders), ("chases", chases)):
        frame = frame.assign(
            _tier=frame["tier"] if by_tier else ALL,
            _value=frame[column].astype("string").fillna("(missing)") if column else ALL,
            _month=frame["month"] if by_month else ALL,
        )
        frames[name] = frame
    keys = ["_tier", "_value", "_month"]
    o = frames["orders"]
    late = o["late"].astype(float)
    o = o.assign(_judged=late.notna(), _on_time=late.eq(0.0))
    g = o.groupby(keys, sort=True)
    table = g.agg(
        orders=("case", "size"),
        judged_orders=("_judged", "sum"),
        on_time=("_on_time", "sum"),
        median_lead_hours=("lead_hours", "median"),
        courtesy_owed=("courtesy_owed", "sum"),
        courtesy_made=("courtesy_made", "sum"),
        courtesy_unowed=("courtesy_unowed", "sum"),
    )
    table["p90_lead_hours"] = g["lead_hours"].quantile(0.9)
    c = frames["chases"].assign(_in_time=frames["chases"]["in_time"].astype(float))
    calls = c.groupby(keys, sort=True).agg(
        chase_calls=("case", "size"),
        chase_judged=("_in_time", "count"),
        chase_in_time=("_in_time", "sum"),
        chase_median_response_hours=("response_hours", "median"),
    )
    table = table.join(calls, how="left")
    for name in ("chase_calls", "chase_judged", "chase_in_time"):
        table[name] = table[name].fillna(0).astype("int64")
    table["attainment"] = (table["on_time"] / table["judged_orders"]).where(
        table["judged_orders"] > 0
    )
    table["courtesy_made_share"] = (table["courtesy_made"] / table["courtesy_owed"]).where(
        table["courtesy_owed"] > 0
    )
    table["chase_response_attainment"] = (table["chase_in_time"] / table["chase_judged"]).where(
        table["chase_judged"] > 0
    )
    table = table.reset_index().rename(
        columns={"_tier": "tier", "_value": "segment_value", "_month": "month"}
    )
    table.insert(1, "segment", label)
    columns = [
        "tier", "segment", "segment_value", "month", "orders", "judged_orders", "on_time",
        "attainment", "median_lead_hours", "p90_lead_hours", "courtesy_owed", "courtesy_made",
        "courtesy_made_share", "courtesy_unowed", "chase_calls", "chase_in_time",
        "chase_response_attainment", "chase_median_response_hours",
    ]  # fmt: skip
    out = table[columns].copy()
    for name in ("judged_orders", "on_time", "courtesy_owed", "courtesy_made", "courtesy_unowed"):
        out[name] = out[name].astype("int64")
    return out.round(4)
