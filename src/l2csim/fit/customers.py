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

from dataclasses import dataclass, field

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


@dataclass(frozen=True)
class PromiseRule:
    """How promises are made, for promises that are whole local days (a promised date):
    `days`, (tier, segment) -> working days from the order's business day to its promised
    day (the most common count); the working `weekdays` (those promised days fall on;
    Monday to Friday without them); the `cutoff` hour after which an order counts from the
    next working day; and whether an order placed on a day off counts from the next working
    day or the last one before it (`off_day`)."""

    days: dict[tuple[str, str], int] = field(default_factory=dict)
    weekdays: list[int] = field(default_factory=lambda: list(WORKING_WEEKDAYS))
    cutoff: float = 24.0
    off_day: str = "next"


OFF_DAY_RULES = ("next", "previous")
MIN_RULE_ORDERS = 100
MIN_GROUP_ORDERS = 5  # wait-free orders a tier and segment need to set its own count


def promise_days(
    cases: pd.DataFrame, timezone: str, unseen_wait_free: pd.Index | None = None
) -> PromiseRule:
    """The promise rule that makes the log's promised days most regular (one count per tier
    and segment): the cut-off hour and the day-off rule are searched, the calendar day and
    "next" kept unless another makes over 1 % more orders follow the rule. The search uses
    `unseen_wait_free` orders when there are `MIN_RULE_ORDERS` of them (those a system took
    in, or of a channel that does not wait: an order keyed from an inbox may have waited
    unseen, which reads as an earlier cut-off). Each count is the most common over those
    orders of its tier and segment where it has `MIN_GROUP_ORDERS` of them, else the most
    common over all its orders moved by the median difference the others show: where most
    orders are e-mailed and wait a day before anyone keys them, the most common count over
    all orders is a day short."""
    ordered, day = promised_local_days(cases, timezone)
    if day.empty:
        return PromiseRule()
    local_deadline = cases.loc[day.index, "promised"].dt.tz_convert(timezone).dt.tz_localize(None)
    if not (local_deadline == local_deadline.dt.normalize()).mean() > 0.95:
        return PromiseRule()  # promised in hours, not days
    counts = np.bincount(day.dt.weekday.to_numpy(), minlength=7)
    weekdays = [d for d in range(7) if counts[d] >= 0.2 * counts.max()]
    keys = cases.loc[day.index, ["tier", "segment"]].astype(str)
    basis = day.index
    if unseen_wait_free is not None:
        chosen = day.index.intersection(unseen_wait_free)
        basis = chosen if len(chosen) >= MIN_RULE_ORDERS else basis

    best: tuple[float, float, str] | None = None
    for off_day in OFF_DAY_RULES:
        for cutoff in CUTOFF_HOURS:
            rule = PromiseRule({}, weekdays, cutoff, off_day)
            days = days_left(ordered[basis], day[basis], rule)
            grouped = days.groupby([keys.loc[basis, "tier"], keys.loc[basis, "segment"]])
            regular = float((days == grouped.transform(lambda d: d.mode().iloc[0])).mean())
            if best is None or regular > best[0] + 0.01:
                best = (regular, cutoff, off_day)
    assert best is not None
    days = days_left(ordered, day, PromiseRule({}, weekdays, best[1], best[2]))
    modes = _most_common(days, keys)
    if unseen_wait_free is not None:
        free = day.index.intersection(unseen_wait_free)
        sizes = keys.loc[free].groupby(["tier", "segment"]).size()
        free_modes = _most_common(days[free], keys.loc[free])[sizes >= MIN_GROUP_ORDERS]
        if len(free_modes):
            shift = int(np.round(np.median(free_modes - modes[free_modes.index])))
            modes = (modes + shift).astype(int)
            modes.loc[free_modes.index] = free_modes.astype(int)
    owed = {(str(t), str(s)): int(max(n, 0)) for (t, s), n in modes.items()}
    return PromiseRule(owed, weekdays, best[1], best[2])


def _most_common(days: pd.Series, keys: pd.DataFrame) -> pd.Series:
    """The most common count per tier and segment (the smaller on a tie)."""
    return days.groupby([keys["tier"], keys["segment"]]).agg(lambda d: d.mode().iloc[0])


def promised_local_days(cases: pd.DataFrame, timezone: str) -> tuple[pd.Series, pd.Series]:
    """For orders with a promise: when each was first seen and the local day it is promised
    for (the day before the deadline's midnight), both naive local times."""
    promised = cases["promised"].dropna()
    local_deadline = promised.dt.tz_convert(timezone).dt.tz_localize(None)
    day = (local_deadline - pd.Timedelta(days=1)).dt.normalize()
    seen = cases.loc[promised.index, "arrival"].dt.tz_convert(timezone).dt.tz_localize(None)
    return seen, day


def days_left(seen: pd.Series, promised_day: pd.Series, rule: PromiseRule) -> pd.Series:
    """Working days from the business day an order was first seen on (by the rule's cut-off
    and day-off rule) to its promised day."""
    start = business_day(seen, rule.weekdays, rule.cutoff, rule.off_day)
    return pd.Series(working_days_between(start, promised_day, rule.weekdays), index=seen.index)


def business_day(
    local: pd.Series, weekdays: list[int], cutoff: float, off_day: str = "next"
) -> pd.Series:
    """The working day an order placed at `local` (naive local time) counts from: its own
    day when it is a working day and the order came before `cutoff` o'clock; the next
    working day when it came later; on a day off, the next working day (`off_day`
    "next") or the last one before it ("previous": a Saturday order counts as Friday's)."""
    hour = local.dt.hour + local.dt.minute / 60.0
    today = local.dt.normalize()
    mask = "".join("1" if d in weekdays else "0" for d in range(7))
    days = today.to_numpy().astype("datetime64[D]")

    def shifted(offset: int, roll: str) -> pd.Series:
        moved = np.busday_offset(days, offset, roll=roll, weekmask=mask)
        return pd.Series(moved.astype("datetime64[ns]"), index=local.index)

    working_day = today.dt.weekday.isin(weekdays)
    off = shifted(0, "forward" if off_day == "next" else "backward")
    late = shifted(1, "forward")
    return today.where(working_day & (hour < cutoff), late.where(working_day, off))


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
