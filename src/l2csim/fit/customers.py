"""Customer tiers and their SLAs as the model needs them: one Tier per label with its rank,
promise and order value.

Which tier each order belongs to is the shared rule (`l2csim.orders.case_tiers`: the log's
tier attribute, else the customers analysis' tiers or the CRM export). A tier keeps its
meaning in the rank: the study's tier labels (`customers.tiers.labels`, top first, then
`one_time`) and then the order of its `sla:` entries decide it, so key accounts are rank 0
and served first under tier priority whatever their order counts; only tiers the study
never names are ranked after those by orders per customer (a stated convention). The
promised lead time is the median of promise - arrival over the tier's orders (the study's
SLA: promised hours, or the promised-date attribute), else a stated default.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from l2csim.orders import UNKNOWN_TIER
from l2csim.params import Provenance, Tier
from l2csim.study import Study

DEFAULT_PROMISED_HOURS = 120.0


def tier_order(labels: list[str], study: Study | None, per_customer: pd.Series) -> list[str]:
    """Tiers, top first: by the study's meaning, then by orders per customer."""
    meaning: list[str] = []
    if study is not None:
        spec = study.customers.tiers
        meaning = [*spec.labels, spec.one_time, *study.sla]
    position = {name: i for i, name in reversed(list(enumerate(meaning)))}
    named = sorted((t for t in labels if t in position), key=lambda t: position[t])
    rest = sorted(
        (t for t in labels if t not in position),
        key=lambda t: (t == UNKNOWN_TIER, -per_customer.get(t, 0.0), str(t)),
    )
    return [*named, *rest]


CUTOFF_HOURS = (24.0, 20.0, 19.0, 18.0, 17.0, 16.0, 15.0, 14.0, 13.0, 12.0)


def working_days_between(start: pd.Series, end: pd.Series, weekdays: list[int]) -> np.ndarray:
    """Working days d with start < d <= end (naive local dates)."""
    mask = np.zeros(7, dtype=bool)
    mask[weekdays] = True
    a = start.to_numpy().astype("datetime64[D]")
    b = end.to_numpy().astype("datetime64[D]")
    week = "".join("1" if m else "0" for m in mask)
    return np.busday_count(a + 1, b + 1, weekmask=week)


WORKING_WEEKDAYS = [0, 1, 2, 3, 4]


def promise_days(
    cases: pd.DataFrame, timezone: str
) -> tuple[dict[tuple[str, str], int], list[int], float]:
    """How promises are made, for promises that are whole local days (a promised date):
    (tier, segment) -> working days from the order's business day to its promised day (the
    most common count); the working weekdays (those promised days fall on; Monday to Friday
    without them); and the cut-off hour after which an order counts from the next working
    day (the hour that makes the counts most regular: a rule gives one count per tier and
    segment; 24 when none beats the calendar day)."""
    promised = cases["promised"].dropna()
    if promised.empty:
        return {}, WORKING_WEEKDAYS, 24.0
    local_deadline = promised.dt.tz_convert(timezone).dt.tz_localize(None)
    if not (local_deadline == local_deadline.dt.normalize()).mean() > 0.95:
        return {}, WORKING_WEEKDAYS, 24.0  # promised in hours, not days
    day = (local_deadline - pd.Timedelta(days=1)).dt.normalize()
    counts = np.bincount(day.dt.weekday.to_numpy(), minlength=7)
    weekdays = [d for d in range(7) if counts[d] >= 0.2 * counts.max()]
    ordered = cases.loc[promised.index, "arrival"].dt.tz_convert(timezone).dt.tz_localize(None)
    keys = cases.loc[promised.index, ["tier", "segment"]].astype(str)
    best: tuple[float, float, pd.Series] | None = None
    for cutoff in CUTOFF_HOURS:
        start = business_day(ordered, weekdays, cutoff)
        days = pd.Series(working_days_between(start, day, weekdays), index=promised.index)
        grouped = days.groupby([keys["tier"], keys["segment"]])
        regular = float((days == grouped.transform(lambda d: d.mode().iloc[0])).mean())
        if best is None or regular > best[0] + 0.01:
            best = (regular, cutoff, grouped.agg(lambda d: d.mode().iloc[0]))
    assert best is not None
    rule = {(str(t), str(s)): int(max(n, 0)) for (t, s), n in best[2].items()}
    return rule, weekdays, best[1]


def business_day(local: pd.Series, weekdays: list[int], cutoff: float) -> pd.Series:
    """The working day an order placed at `local` (naive local time) counts from: its own
    day when it is a working day and the order came before `cutoff` o'clock, else the next
    working day."""
    hour = local.dt.hour + local.dt.minute / 60.0
    today = local.dt.normalize()
    working = today.dt.weekday.isin(weekdays) & (hour < cutoff)
    mask = "".join("1" if d in weekdays else "0" for d in range(7))
    following = pd.Series(
        np.busday_offset(
            today.to_numpy().astype("datetime64[D]"), 1, roll="forward", weekmask=mask
        ).astype("datetime64[ns]"),
        index=local.index,
    )
    return today.where(working, following)


def fit_tiers(
    cases: pd.DataFrame,
    tier_provenance: Provenance,
    study: Study | None,
    owed_at: dict[str, list[str]],
    days: dict[tuple[str, str], int] | None = None,
) -> list[Tier]:
    """One Tier per label in the cases, top tier rank 0 (see the module docstring)."""
    grouped = cases.groupby("tier", sort=True)
    customers = grouped["customer"].nunique()
    orders = grouped.size()
    per_customer = (orders / customers.where(customers > 0)).fillna(0.0)
    order = tier_order([str(t) for t in orders.index], study, per_customer)
    promise_hours = ((cases["promised"] - cases["arrival"]) / pd.Timedelta(hours=1)).where(
        cases["promised"].notna()
    )
    tiers = []
    for rank, name in enumerate(order):
        in_tier = cases["tier"] == name
        hours, provenance = _promised_hours(promise_hours[in_tier])
        values = cases.loc[in_tier, "value"].dropna()
        tiers.append(
            Tier(
                name=str(name),
                rank=rank,
                customers=int(customers[name]),
                promised_hours=hours,
                promise_working_days={
                    segment: n
                    for (tier, segment), n in sorted((days or {}).items())
                    if tier == name
                },
                courtesy_owed_at=list(owed_at.get(str(name), [])),
                mean_order_value=float(values.mean()) if len(values) else 0.0,
                provenance=Provenance(
                    source=tier_provenance.source,
                    detail=f"{tier_provenance.detail}; {int(orders[name]):,} orders; "
                    f"promise: {provenance.source} ({provenance.detail})",
                ),
            )
        )
    return tiers


def _promised_hours(hours: pd.Series) -> tuple[float, Provenance]:
    hours = hours.dropna()
    hours = hours[hours > 0]
    if len(hours):
        median = float(np.median(hours))
        return median, Provenance(
            source="study", detail=f"median promise - arrival of {len(hours):,} orders (sla:)"
        )
    return DEFAULT_PROMISED_HOURS, Provenance(source="default", detail="no SLA or promise")
