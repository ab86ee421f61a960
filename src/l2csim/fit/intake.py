"""Orders that waited before the log first shows them: the inbox before "Order received".

A log where "Order received" is when someone keyed the order hides how long an e-mailed
order sat in the inbox, yet its promise counts from the day the customer ordered. The
promised date tells: the tier's rule promises N working days from the order's day (the
most common count, `customers.promise_days`), so an order keyed with only N - k working
days left had waited k working days. Channels that never wait (EDI, phone) show the rule's
own noise (weekends, holidays); a channel that waits shows more, and the excess over the
quietest channel, in the keying team's working hours, is its wait before keying.

Part of that wait is the keying team's queue, which the simulation makes itself; the rest
(the inbox not yet looked at) is a staff-free delay before the order joins that queue. The
queue's part is estimated as the mean wait of the team's other work in the log, so the
simulated whole matches the log's when the team is as busy as the log shows it, and grows
when the team is busier. The log shows the wait in whole days only, so its shape is
assumed (exponential) and said so.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from l2csim.errors import StudyError
from l2csim.fit.customers import PromiseRule, days_left, promised_local_days
from l2csim.fit.durations import working_hours
from l2csim.log import ACTIVITY, CASE
from l2csim.params import Distribution, InboxWait, Pool, Provenance
from l2csim.study import IntakeSpec

MIN_ORDERS = 30  # orders a channel needs before its lag counts
MIN_EXCESS_DAYS = 0.25  # excess working days that make a channel one that waits
MIN_DELAY_HOURS = 0.05  # a staff-free part shorter than this is left out
STAFF, SYSTEM = "keyed by staff", "recorded by a system"


def order_lags(cases: pd.DataFrame, promise: PromiseRule, timezone: str) -> pd.Series:
    """Per order with a promised day and a rule: the rule's working days minus those left
    from the day it was first seen to its promised day (NaN where either is missing)."""
    seen, promised_day = promised_local_days(cases, timezone)
    if promised_day.empty or not promise.days:
        return pd.Series(np.nan, index=cases.index)
    keys = cases.loc[promised_day.index, ["tier", "segment"]].astype(str)
    owed = [promise.days.get(key) for key in zip(keys["tier"], keys["segment"], strict=True)]
    owed = pd.Series(owed, index=promised_day.index, dtype=float)
    if promise.owed is not None:  # groups promised by customer: the customer's count
        by_customer = promise.owed.reindex(owed.index)
        owed = by_customer.where(by_customer.notna(), owed)
    return (owed - days_left(seen, promised_day, promise)).reindex(cases.index)


def channels(
    events: pd.DataFrame, first_kind: pd.Series, spec: IntakeSpec, case_attributes: list[str]
) -> tuple[pd.Series, str]:
    """Each order's intake channel and what it was read from: the study's `intake.channel`,
    else a case attribute named like a channel, else who recorded the first step."""
    if spec.channel is not None and f"case:{spec.channel}" not in events:
        raise StudyError(
            f"intake.channel: attribute {spec.channel!r} is not in the log; keep it with "
            "log.case_attributes (or --case-attribute), or remove the key."
        )
    name = spec.channel or next((a for a in case_attributes if "channel" in a.lower()), None)
    column = f"case:{name}" if name is not None else None
    if column is not None and column in events:
        first = events.groupby(CASE, sort=False)[column].first()
        return first.astype("string").fillna("(none)").reindex(first_kind.index), (
            f"case attribute {name}"
        )
    labels = np.where(first_kind == "system", SYSTEM, STAFF)
    return pd.Series(labels, index=first_kind.index), "who recorded the first step"


def fit_inbox(
    events: pd.DataFrame,
    times: pd.DataFrame,
    first: pd.DataFrame,
    cases: pd.DataFrame,
    lags: pd.Series,
    pool_of: dict[str, str],
    pools: list[Pool],
    timezone: str,
    spec: IntakeSpec,
    case_attributes: list[str],
    skip: set[str],
) -> tuple[InboxWait | None, list[str]]:
    """The inbox wait before the log's first step, with notes on what it rests on (None
    when no order waited, the first step is not staff work, or nothing tells). `first`:
    each case's first step (`durations.first_steps`)."""
    first_kind, first_activity = first["kind"], first["activity"]
    staffed = first_kind == "person"
    if not staffed.any():
        return None, []
    activity = str(first_activity[staffed].value_counts().sort_index().idxmax())
    pool = next((p for p in pools if p.name == pool_of.get(activity)), None)
    if pool is None or pool.external:
        return None, []
    channel, source = channels(events, first_kind, spec, case_attributes)
    lag = lags.reindex(channel.index)
    keyed = staffed & (first_activity == activity)
    # The quietest channel over all orders sets the rule's own noise; only orders staff
    # keyed can have waited for them.
    counted = _lag_by_channel(lag, channel)
    counted_keyed = _lag_by_channel(lag[keyed], channel[keyed])
    if spec.wait_hours is None and (not spec.infer or counted_keyed.empty):
        return None, []
    baseline = float(counted["mean"].min()) if len(counted) > 1 else 0.0
    excess = (counted_keyed["mean"] - baseline).clip(lower=0.0)
    if spec.waiting_channels:
        known = sorted(set(channel))
        unknown = [c for c in spec.waiting_channels if c not in known]
        if unknown:
            raise StudyError(
                f"intake.waiting_channels: {unknown} never occur ({source}); the log's "
                f"channels are {known}."
            )
        waiting = list(spec.waiting_channels)
    else:
        waiting = [str(c) for c, e in excess.items() if e >= MIN_EXCESS_DAYS]
    notes: list[str] = []
    if not waiting:
        return None, notes
    waits = channel.isin(waiting) & keyed
    daily = sum(end - begin for begin, end in pool.calendar.intervals)
    if spec.wait_hours is not None:
        wait, provenance = spec.wait_hours, Provenance(source="study", detail="intake.wait_hours")
    else:
        weights = counted_keyed.loc[waiting, "size"]
        days = float((excess[waiting] * weights).sum() / weights.sum())
        wait = days * daily
        provenance = Provenance(
            source="log",
            detail=(
                f"promised dates of {int(weights.sum()):,} orders ({source}: "
                f"{', '.join(waiting)}) leave {days:.2f} working days fewer than the tier's "
                f"rule, beyond the quietest channel; x {daily:.1f} working hours a day"
            ),
        )
    queue = team_queue_hours(events, times, pool, pool_of, timezone, skip | {activity})
    visible = max(wait - queue, 0.0)
    delay = None
    if visible >= MIN_DELAY_HOURS:
        delay = Distribution(
            kind="exponential",
            mean=visible,
            params={"mean": visible},
            n=int(waits.sum()),
            provenance=Provenance(
                source="default",
                detail=(
                    f"mean {visible:.1f} working hours from the log's wait less the team's "
                    "queue; exponential shape assumed (the log shows the wait in whole days)"
                ),
            ),
        )
    tiers = cases["tier"].reindex(channel.index).astype(str)
    share = waits[keyed].groupby(tiers[keyed]).mean()
    notes.append(
        f"orders waiting before {activity!r}: {', '.join(waiting)} ({source}), "
        f"{wait:.1f} working hours of {pool.name} on average before keying, "
        f"{queue:.1f} of them its queue"
    )
    return (
        InboxWait(
            activity=activity,
            share_by_tier={str(t): round(float(s), 6) for t, s in share.sort_index().items()},
            visible_after=delay,
            wait_hours=round(float(wait), 6),
            queue_hours=round(float(queue), 6),
            lag_days={str(c): round(float(e), 6) for c, e in excess.sort_index().items()},
            orders=int(waits.sum()),
            provenance=provenance,
        ),
        notes,
    )


def wait_free(
    events: pd.DataFrame,
    first: pd.DataFrame,
    inbox: InboxWait,
    spec: IntakeSpec,
    case_attributes: list[str],
) -> pd.Index:
    """Orders that cannot have waited unseen: those a system took in, and those of the
    channels that do not wait (whose promises show the tier's rule itself)."""
    channel, _ = channels(events, first["kind"], spec, case_attributes)
    waiting = spec.waiting_channels or [
        c for c, excess in inbox.lag_days.items() if excess >= MIN_EXCESS_DAYS
    ]
    free = ~channel.isin(waiting) | (first["kind"].reindex(channel.index) == "system")
    return channel.index[free.to_numpy()]


def _lag_by_channel(lag: pd.Series, channel: pd.Series) -> pd.DataFrame:
    """Mean lag and orders per channel, for channels with at least `MIN_ORDERS` known lags."""
    known = lag.notna()
    by_channel = lag[known].groupby(channel[known]).agg(["mean", "size"])
    return by_channel[by_channel["size"] >= MIN_ORDERS]


def team_queue_hours(
    events: pd.DataFrame,
    times: pd.DataFrame,
    pool: Pool,
    pool_of: dict[str, str],
    timezone: str,
    skip: set[str],
) -> float:
    """Mean working hours (the team's calendar) the team's enabled work waited before it
    began, in the log: what its queue adds to any job (0 when nothing tells)."""
    mine = [a for a, p in pool_of.items() if p == pool.name and a not in skip]
    rows = (
        events[ACTIVITY].isin(mine)
        & (times["kind"] == "person")
        & times["enabled"].notna()
        & times["began"].notna()
    )
    if not rows.any():
        return 0.0
    began, enabled = times.loc[rows, "began"], times.loc[rows, "enabled"]
    later = began > enabled
    if not later.any():
        return 0.0
    hours = np.zeros(int(rows.sum()))
    hours[later.to_numpy()] = working_hours(enabled[later], began[later], pool.calendar, timezone)
    return float(np.mean(hours))
