"""Customer tiers and their SLAs as the model needs them: one Tier per label with its rank,
promise and order value.

Which tier each order belongs to is the shared rule (`l2csim.orders.case_tiers`: the log's
tier attribute, else the customers analysis' tiers or the CRM export). A tier keeps its
meaning in the rank: the study's tier labels (`customers.tiers.labels`, top first, then
`one_time`) and then the order of its `sla:` entries decide it, so key accounts are rank 0
and served first under tier priority whatever their order counts; only tiers the study
never names are ranked after those by orders per customer (a stated convention). The
promised lead time is the median of promise - arrival over the tier's orders (the study's
SLA: promised hours, or the promised-date attribute), else a stated default; promised
dates give working days per tier and segment (`promise_days`), or a mixture of them where
the tier's customers are promised differently.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

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


def working_days_between(
    start: pd.Series, end: pd.Series, weekdays: list[int], closed: frozenset[date] = frozenset()
) -> np.ndarray:
    """Working days d with start < d <= end (naive local dates), `closed` days not counted."""
    mask = np.zeros(7, dtype=bool)
    mask[weekdays] = True
    a = start.to_numpy().astype("datetime64[D]")
    b = end.to_numpy().astype("datetime64[D]")
    week = "".join("1" if m else "0" for m in mask)
    return np.busday_count(a + 1, b + 1, weekmask=week, holidays=_holidays(closed))


def _holidays(closed: frozenset[date]) -> np.ndarray:
    return np.array(sorted(closed), dtype="datetime64[D]")


WORKING_WEEKDAYS = [0, 1, 2, 3, 4]


@dataclass(frozen=True)
class PromiseRule:
    """How promises are made, for promises that are whole local days (a promised date):
    `days`, (tier, segment) -> working days from the order's business day to its promised
    day (the most common count); the working `weekdays` (those promised days fall on;
    Monday to Friday without them); the `cutoff` hour after which an order counts from the
    next working day; and whether an order placed on a day off counts from the next working
    day or the last one before it (`off_day`).

    `mix`: the groups whose customers are promised different counts (a log without the
    tiers that set them), (tier, segment) -> count -> share of the group's orders; `owed`:
    for those groups' orders, the count their customer is promised (`customer_counts`).
    `closed`: the company's closed days (public holidays), which are no working days: a
    promise over Easter is two days longer, as the company's dates are."""

    days: dict[tuple[str, str], int] = field(default_factory=dict)
    weekdays: list[int] = field(default_factory=lambda: list(WORKING_WEEKDAYS))
    cutoff: float = 24.0
    off_day: str = "next"
    mix: dict[tuple[str, str], dict[int, float]] = field(default_factory=dict)
    owed: pd.Series | None = None
    closed: frozenset[date] = frozenset()


OFF_DAY_RULES = ("next", "previous")
MIN_RULE_ORDERS = 30
MIN_GROUP_ORDERS = 5  # wait-free orders a tier and segment need to set its own count
# A group's customers share one count when this share of its orders is within a working day
# of the most common (an order keyed a day late, or a holiday in between, moves it by one).
REGULAR_SHARE = 0.85
MIN_MIX_ORDERS = 30  # orders a group needs before its promises count as a mixture


def promise_days(
    cases: pd.DataFrame,
    timezone: str,
    unseen_wait_free: pd.Index | None = None,
    closed: frozenset[date] = frozenset(),
) -> PromiseRule:
    """The promise rule that makes the log's promised days most regular (one count per
    customer and segment: a customer's orders are promised alike, even where the log does
    not name its tier): the cut-off hour and the day-off rule are searched, the calendar day and
    "next" kept unless another makes over 1 % more orders follow the rule. The search uses
    `unseen_wait_free` orders when there are `MIN_RULE_ORDERS` of them (those a system took
    in, or of a channel that does not wait: an order keyed from an inbox may have waited
    unseen, which reads as an earlier cut-off). Each count is the most common over those
    orders of its tier and segment where it has `MIN_GROUP_ORDERS` of them, else the most
    common over all its orders moved by the median difference the others show: where most
    orders are e-mailed and wait a day before anyone keys them, the most common count over
    all orders is a day short. A tier and segment whose customers' counts lie more than a
    day apart for over `1 - REGULAR_SHARE` of its orders is a mixture (`PromiseRule.mix`,
    from `customer_counts`) and its count the mixture's most common. Working days are
    counted without the company's `closed` days."""
    ordered, day = promised_local_days(cases, timezone)
    if day.empty:
        return PromiseRule(closed=closed)
    local_deadline = cases.loc[day.index, "promised"].dt.tz_convert(timezone).dt.tz_localize(None)
    if not (local_deadline == local_deadline.dt.normalize()).mean() > 0.95:
        return PromiseRule(closed=closed)  # promised in hours, not days
    counts = np.bincount(day.dt.weekday.to_numpy(), minlength=7)
    weekdays = [d for d in range(7) if counts[d] >= 0.2 * counts.max()]
    keys = cases.loc[day.index, ["tier", "segment"]].astype(str)
    basis = day.index
    if unseen_wait_free is not None:
        chosen = day.index.intersection(unseen_wait_free)
        basis = chosen if len(chosen) >= MIN_RULE_ORDERS else basis

    customer = (
        cases.loc[day.index, "customer"]
        if "customer" in cases
        else pd.Series(None, index=day.index, dtype=object)
    )
    # Promises are regular per customer (its tier, its contract) even where the log does
    # not name the tiers; orders without a customer are judged by their tier.
    who = ("c:" + customer.astype(str)).where(customer.notna(), "t:" + keys["tier"])
    best: tuple[float, float, str] | None = None
    for off_day in OFF_DAY_RULES:
        for cutoff in CUTOFF_HOURS:
            rule = PromiseRule({}, weekdays, cutoff, off_day, closed=closed)
            days = days_left(ordered[basis], day[basis], rule)
            usual = _row_modes(days, [who[basis], keys.loc[basis, "segment"]])
            regular = float((days == usual).mean())
            if best is None or regular > best[0] + 0.01:
                best = (regular, cutoff, off_day)
    assert best is not None
    days = days_left(ordered, day, PromiseRule({}, weekdays, best[1], best[2], closed=closed))
    modes = _most_common(days, keys)
    if unseen_wait_free is not None:
        free = day.index.intersection(unseen_wait_free)
        sizes = keys.loc[free].groupby(["tier", "segment"]).size()
        free_modes = _most_common(days[free], keys.loc[free])[sizes >= MIN_GROUP_ORDERS]
        if len(free_modes):
            shift = int(np.round(np.median(free_modes - modes[free_modes.index])))
            modes = (modes + shift).astype(int)
            modes.loc[free_modes.index] = free_modes.astype(int)
    placed = customer_counts(days, customer, keys, unseen_wait_free)
    mix, owed_by_order = {}, []
    for (tier, segment), counts in placed.groupby([keys["tier"], keys["segment"]]):
        shares = counts.clip(lower=0).value_counts(normalize=True)
        near = shares[np.abs(shares.index - shares.idxmax()) <= 1].sum()
        if len(counts) < MIN_MIX_ORDERS or near >= REGULAR_SHARE:
            continue
        # Not one rule but several, by customer: the model draws from them as they occur.
        mix[(str(tier), str(segment))] = {
            int(n): float(share) for n, share in shares.sort_index().items()
        }
        modes.loc[(tier, segment)] = int(shares.idxmax())
        owed_by_order.append(counts.clip(lower=0))
    owed = {(str(t), str(s)): int(max(n, 0)) for (t, s), n in modes.items()}
    by_order = pd.concat(owed_by_order).sort_index() if owed_by_order else None
    return PromiseRule(owed, weekdays, best[1], best[2], mix, by_order, closed)


def customer_counts(
    days: pd.Series, customer: pd.Series, keys: pd.DataFrame, wait_free: pd.Index | None
) -> pd.Series:
    """Per order: the count its customer is promised in its segment. An order without a
    customer keeps its own count.

    Promises follow the customer (its tier, its contract), so where the log does not name
    the tiers, the customers still tell the counts apart. A customer with orders that
    cannot have waited unseen is promised their most common count (the larger on a tie).
    The others' orders may each have waited a day or two before anyone keyed them, so they
    show their count less that wait: the customers with both kinds of order say how often
    an order shows k days fewer, and each remaining customer's count is the one that makes
    their orders' shortfalls likeliest (the most common count, larger on a tie, where no
    customer shows both).
    """
    frame = pd.DataFrame(
        {"days": days.astype(int), "customer": customer, "segment": keys["segment"]},
        index=days.index,
    )
    frame["free"] = frame.index.isin(wait_free) if wait_free is not None else True
    known = frame["customer"].notna()
    keyed = frame[known]
    group = ["customer", "segment"]
    counts = _group_modes(keyed["days"], [keyed[g] for g in group], largest=True)
    free = keyed[keyed["free"]]
    exact = _group_modes(free["days"], [free[g] for g in group], largest=True)
    counts.loc[exact.index] = exact
    # Shortfalls of the waiting orders of customers whose count the wait-free orders show.
    waiting = keyed[~keyed["free"]]
    index = pd.MultiIndex.from_frame(waiting[group])
    reference = index.isin(exact.index)
    shortfall = exact.reindex(index[reference]).to_numpy() - waiting["days"].to_numpy()[reference]
    if len(shortfall) >= MIN_SHORTFALLS:
        likely = _shortfall_log_likelihood(shortfall)
        others = waiting[~reference].groupby(group, sort=False)["days"]
        for key, seen in others:
            counts.loc[key] = _likeliest_count(seen.to_numpy(), likely)
    out = frame["days"].copy()
    out[known] = counts.reindex(pd.MultiIndex.from_frame(keyed[group])).to_numpy()
    return out


MIN_SHORTFALLS = 20  # waiting orders of customers with a known count, to learn the shortfall


def _shortfall_log_likelihood(shortfall: np.ndarray) -> dict[int, float]:
    """log P(an order shows k days fewer than its customer's count), add-one smoothed over
    the range seen and a day either side."""
    low, high = int(shortfall.min()) - 1, int(shortfall.max()) + 1
    support = np.arange(low, high + 1)
    tally = np.array([(shortfall == k).sum() for k in support], dtype=float) + 1.0
    return dict(zip(support.tolist(), np.log(tally / tally.sum()).tolist(), strict=True))


def _likeliest_count(seen: np.ndarray, likely: dict[int, float]) -> int:
    """The count c that makes the shortfalls c - seen likeliest (the larger on a tie)."""
    floor = min(likely.values()) - np.log(10.0)  # a shortfall never seen: ten times rarer
    low, high = min(likely), max(likely)
    candidates = range(int(seen.min()) + low, int(seen.max()) + high + 1)
    scores = [(sum(likely.get(c - int(x), floor) for x in seen), c) for c in candidates]
    return max(scores)[1]


def _most_common(days: pd.Series, keys: pd.DataFrame) -> pd.Series:
    """The most common count per tier and segment (the smaller on a tie)."""
    return _group_modes(days, [keys["tier"], keys["segment"]]).sort_index()


def _group_modes(values: pd.Series, by: list[pd.Series], largest: bool = False) -> pd.Series:
    """The most common value of each group of the keys `by` (the smaller on a tie, or the
    larger), indexed by the keys. Counted in one pass: a mode per group, for the thousands
    of customers of a large log, took most of the fit."""
    names = [f"k{i}" for i in range(len(by))]
    pairs = pd.DataFrame(
        {n: k.reindex(values.index).to_numpy() for n, k in zip(names, by, strict=True)}
        | {"value": values.to_numpy()}
    )
    sizes = pairs.groupby([*names, "value"], sort=False).size().rename("n").reset_index()
    order = [True] * len(names) + [False, not largest]
    first = sizes.sort_values([*names, "n", "value"], ascending=order).drop_duplicates(names)
    index = pd.MultiIndex.from_frame(first[names], names=[k.name for k in by])
    return pd.Series(first["value"].to_numpy(), index=index, name=values.name)


def _row_modes(values: pd.Series, by: list[pd.Series]) -> pd.Series:
    """Per row: the most common value of its group (the smaller on a tie)."""
    rows = pd.MultiIndex.from_arrays([k.reindex(values.index).to_numpy() for k in by])
    return pd.Series(_group_modes(values, by).reindex(rows).to_numpy(), index=values.index)


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
    start = business_day(seen, rule.weekdays, rule.cutoff, rule.off_day, rule.closed)
    days = working_days_between(start, promised_day, rule.weekdays, rule.closed)
    return pd.Series(days, index=seen.index)


def business_day(
    local: pd.Series,
    weekdays: list[int],
    cutoff: float,
    off_day: str = "next",
    closed: frozenset[date] = frozenset(),
) -> pd.Series:
    """The working day an order placed at `local` (naive local time) counts from: its own
    day when it is a working day and the order came before `cutoff` o'clock; the next
    working day when it came later; on a day off, the next working day (`off_day`
    "next") or the last one before it ("previous": a Saturday order counts as Friday's).
    A `closed` day is a day off."""
    hour = local.dt.hour + local.dt.minute / 60.0
    today = local.dt.normalize()
    mask = "".join("1" if d in weekdays else "0" for d in range(7))
    days = today.to_numpy().astype("datetime64[D]")
    holidays = _holidays(closed)

    def shifted(offset: int, roll: str) -> pd.Series:
        moved = np.busday_offset(days, offset, roll=roll, weekmask=mask, holidays=holidays)
        return pd.Series(moved.astype("datetime64[ns]"), index=local.index)

    working_day = pd.Series(np.is_busday(days, weekmask=mask, holidays=holidays), index=local.index)
    off = shifted(0, "forward" if off_day == "next" else "backward")
    late = shifted(1, "forward")
    return today.where(working_day & (hour < cutoff), late.where(working_day, off))


def fit_tiers(
    cases: pd.DataFrame,
    tier_provenance: Provenance,
    study: Study | None,
    owed_at: dict[str, list[str]],
    days: dict[tuple[str, str], int] | None = None,
    mix: dict[tuple[str, str], dict[int, float]] | None = None,
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
                promise_mix={
                    segment: shares
                    for (tier, segment), shares in sorted((mix or {}).items())
                    if tier == name
                },
                courtesy_owed_at=list(owed_at.get(str(name), [])),
                mean_order_value=float(values.mean()) if len(values) else 0.0,
                provenance=Provenance(
                    source=tier_provenance.source,
                    detail=f"{tier_provenance.detail}; {int(orders[name]):,} orders; "
                    f"promise: {provenance.source} ({provenance.detail})"
                    + _mix_text(name, mix or {}),
                ),
            )
        )
    return tiers


def _mix_text(tier: str, mix: dict[tuple[str, str], dict[int, float]]) -> str:
    """The provenance's words for a tier whose customers are promised different counts."""
    parts = [
        f"{segment}: " + ", ".join(f"{n} ({share:.0%})" for n, share in shares.items())
        for (name, segment), shares in sorted(mix.items())
        if name == tier
    ]
    if not parts:
        return ""
    return (
        "; its orders are promised different working days, read per customer (contracts "
        "that differ within the tier, or closed days the log cannot show inside long "
        "promises) and drawn per order: " + "; ".join(parts)
    )


def _promised_hours(hours: pd.Series) -> tuple[float, Provenance]:
    hours = hours.dropna()
    hours = hours[hours > 0]
    if len(hours):
        median = float(np.median(hours))
        return median, Provenance(
            source="study", detail=f"median promise - arrival of {len(hours):,} orders (sla:)"
        )
    return DEFAULT_PROMISED_HOURS, Provenance(source="default", detail="no SLA or promise")
