"""Customer behaviour around calls: when customers chase, and today's courtesy-call practice.

Chase calls (the study's `chase_call` role): patience is the time from the promise (the
order's SLA deadline) to its first chase, per tier; calls before the promise count (the
wait starts before zero). Most orders are never chased: they were delivered before the
customer lost patience, so their wait is right-censored at delivery (or at the log's end
for orders still open), and the Kaplan-Meier estimate (lifelines) uses them too. Measured on
chased orders alone, patience looks short and the model rings far too often. The share of
orders whose customer would phone at all (within the longest wait the log shows) is kept
beside the distribution of when. Repeat calls likewise: the time from each call to the
order's next one, censored at delivery, with no fixed cap on how often, per tier where a
tier has `MIN_REPEATS` repeat calls (else all tiers'). A courtesy call
buys quiet (the simulation holds the next chase back for a while after one), so a wait
that a courtesy call interrupts is censored there too: the quiet it bought is the
simulation's to add, and counted in the patience as well it would hold chases back twice
(on the test bed the model made a third fewer first calls on late orders). For patience,
courtesy calls from the typical quiet before the promise on count. A tier with fewer
than `MIN_CALLS` chased orders uses all tiers' estimate. An order counts as expedited after a
chase when an expedite step (an activity whose name contains "expedit", "escalat" or
"rush") follows its first chase; every chase call may be escalated, so the escalation share
is expedite steps per chase call, and the team that takes one depends on where the order is
(`fit_escalations`).

Courtesy calls (the `courtesy_call` role): each call is attributed to the milestones (the
`milestones` role) before it in the same order by expectation-maximisation (see
`courtesy_probabilities`); the probability for a tier and milestone is the expected number
of calls per occurrence of that milestone in the tier's orders.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from l2csim.fit.durations import EMPIRICAL_POINTS, fit_distribution, working_hours
from l2csim.log import ACTIVITY, CASE, RESOURCE, TIMESTAMP
from l2csim.params import (
    Calendar,
    CallHold,
    CensoredWait,
    ChaseBehaviour,
    CourtesyPractice,
    Distribution,
    Provenance,
)
from l2csim.study import CallsSpec

EXPEDITE_WORDS = ("expedit", "escalat", "rush")
DEFAULT_PATIENCE_HOURS = 48.0
DEFAULT_REPEAT_HOURS = 48.0
DEFAULT_CALL_HOURS = 0.2
HOUR = pd.Timedelta(hours=1)
EPOCH = pd.Timestamp("1970-01-01", tz="UTC")
EM_ROUNDS = 30
MIN_SURE_CALLS = 20
MIN_CALLS = 5
# A tier's own repeat-call curve needs this many repeat calls: its share who ring again and
# its shape both rest on them, and with fewer a tier's own curve is noisier than the
# difference between tiers.
MIN_REPEATS = 20
RUSHED_RATIO = 0.5
# A log records answered calls only: how long callers stay on hold, and when they try again,
# are assumptions (the study's `calls:` may state them), shown wherever chase calls are.
HOLD_MINUTES = 5.0
REDIALS = 1
REDIAL_HOURS = (1.0, 3.0)


def call_hold(spec: CallsSpec | None = None) -> CallHold | None:
    """What a chasing caller nobody answers does: hangs up after the hold, redials, then
    waits for the next chase as after an answered call. None: callers wait until answered
    (a study stating `hold_minutes: 0`).

    Why the model needs it: callers who hang up cost customer service nothing, so a surge
    of chases stays a surge of attempts rather than hours of calls taken from the keying
    that would end it; without it a healthy model tips into a chase-call spiral the
    operation it was fitted from never shows.
    """
    spec = spec or CallsSpec()
    minutes = HOLD_MINUTES if spec.hold_minutes is None else spec.hold_minutes
    if minutes == 0:
        return None
    redials = REDIALS if spec.redials is None else spec.redials
    low, high = REDIAL_HOURS if spec.redial_hours is None else spec.redial_hours
    times = f" up to {redials} times" if redials > 1 else ""
    redial = f"dials again {low:g}-{high:g} hours later{times}, then " if redials else ""
    detail = (
        f"a caller nobody answers within {minutes:g} minutes hangs up, {redial}waits as "
        "after an answered call"
    )
    source = "study" if spec.stated else "default"
    why = "stated in the study" if spec.stated else "assumed: a log records answered calls only"
    return CallHold(
        minutes=minutes,
        redial_hours=(low, high),
        redials=redials,
        provenance=Provenance(source=source, detail=f"{why}; {detail}"),
    )


def expedite_activities(activities: list[str]) -> list[str]:
    """Activities whose names say they speed an order up."""
    return [a for a in activities if any(w in a.lower() for w in EXPEDITE_WORDS)]


def default_hours(mean: float, what: str) -> Distribution:
    return Distribution(
        kind="exponential",
        mean=mean,
        params={"mean": mean},
        provenance=Provenance(source="default", detail=what),
    )


def censored_wait(durations: np.ndarray, ended: np.ndarray, what: str) -> CensoredWait | None:
    """Kaplan-Meier estimate of a wait (hours) that `ended` for some and was cut short for
    the rest; None when no wait ended."""
    from lifelines import KaplanMeierFitter

    durations = np.asarray(durations, dtype=float)
    ended = np.asarray(ended, dtype=bool)
    keep = np.isfinite(durations)
    durations, ended = durations[keep], ended[keep]
    if not ended.any():
        return None
    km = KaplanMeierFitter().fit(durations, ended)
    curve = km.survival_function_.iloc[:, 0]
    times = curve.index.to_numpy(dtype=float)
    reached = 1.0 - curve.to_numpy(dtype=float)  # share ended by each time
    last = float(durations[ended].max())
    share = float(reached[times <= last].max())
    offset = min(0.0, float(durations.min()))
    levels = np.linspace(0.0, 1.0, EMPIRICAL_POINTS) * share
    index = np.searchsorted(reached, np.maximum(levels, 1e-12), side="left")
    quantiles = times[np.minimum(index, len(times) - 1)] - offset
    quantiles = np.maximum.accumulate(np.maximum(quantiles, 0.0))
    detail = (
        f"{what}: Kaplan-Meier over {len(durations):,} orders, {int(ended.sum()):,} ended, "
        f"{int((~ended).sum()):,} censored; {share:.0%} would end within {last - offset:,.0f} h"
    )
    provenance = Provenance(source="log", detail=detail)
    distribution = Distribution(
        kind="empirical",
        mean=float(np.mean((quantiles[1:] + quantiles[:-1]) / 2)),
        quantiles=[float(q) for q in quantiles],
        n=int(ended.sum()),
        provenance=provenance,
    )
    return CensoredWait(
        distribution=distribution,
        offset=offset,
        share=round(share, 6),
        events=int(ended.sum()),
        censored=int((~ended).sum()),
    )


Clock = Callable[[pd.Series, pd.Series], np.ndarray]


def calendar_hours(begin: pd.Series, end: pd.Series) -> np.ndarray:
    """Plain hours from begin to end (negative when end is earlier)."""
    return ((end.to_numpy() - begin.to_numpy()) / np.timedelta64(1, "h")).astype(float)


def working_clock(calendar: Calendar, timezone: str) -> Clock:
    """Hours from begin to end counted in `calendar`'s working hours (negative when end is
    earlier; NaN where either is missing): the clock customers phone by."""

    def hours(begin: pd.Series, end: pd.Series) -> np.ndarray:
        begin, end = begin.reset_index(drop=True), end.reset_index(drop=True)
        out = np.full(len(begin), np.nan)
        known = (begin.notna() & end.notna()).to_numpy()
        if not known.any():
            return out
        b, e = begin[known], end[known]
        forward = (e >= b).to_numpy()
        low = b.where(forward, e)
        high = e.where(forward, b)
        worked = working_hours(low, high, calendar, timezone)
        out[known] = np.where(forward, worked, -worked)
        return out

    return hours


def first_after(calls: pd.DataFrame, after: pd.Series) -> pd.Series:
    """Per case of `after` (index: case): the first of its `calls` (CASE, TIMESTAMP) at or
    after that moment (NaT when none)."""
    if calls.empty:
        return pd.Series(pd.NaT, index=after.index, dtype="datetime64[ns, UTC]")
    joined = calls.join(after.rename("_from"), on=CASE, how="inner")
    joined = joined[joined[TIMESTAMP] >= joined["_from"]]
    return joined.groupby(CASE, sort=True)[TIMESTAMP].min().reindex(after.index)


def patience_by_tier(
    chases: pd.DataFrame,
    cases: pd.DataFrame,
    promise: pd.Series,
    end: pd.Timestamp,
    courtesy: pd.DataFrame | None = None,
    quiet_hours: float = 0.0,
    clock: Clock = calendar_hours,
) -> dict[str, CensoredWait]:
    """Per tier: hours from the promise to the first chase, censored at delivery, the log's
    end or a courtesy call from `quiet_hours` before the promise on (orders without a
    promise are left out)."""
    first = chases.groupby(CASE, sort=True)[TIMESTAMP].min().reindex(cases.index)
    stop = (
        cases["delivered"].fillna(end)
        if "delivered" in cases
        else pd.Series(end, index=cases.index)
    )
    if courtesy is not None and not courtesy.empty:
        since = promise.reindex(cases.index) - pd.Timedelta(hours=quiet_hours)
        quieted = first_after(courtesy, since.dropna()).reindex(cases.index)
        stop = stop.where(quieted.isna() | (quieted >= stop), quieted)
    ended = first.notna() & (first <= stop)
    until = first.where(ended, stop)
    hours = clock(promise.reindex(cases.index), until)
    flags = ended.to_numpy()
    tiers = cases["tier"].astype(str).to_numpy()
    pooled = censored_wait(hours, flags, "patience after the promise, all tiers")
    out: dict[str, CensoredWait] = {}
    for tier in sorted(set(tiers)):
        rows = tiers == tier
        own = censored_wait(hours[rows], flags[rows], f"patience after the promise, {tier}")
        enough = own is not None and own.events >= MIN_CALLS
        chosen = own if enough else pooled
        if chosen is not None:
            out[tier] = chosen
    return out


def repeat_waits(
    chases: pd.DataFrame,
    cases: pd.DataFrame,
    end: pd.Timestamp,
    courtesy: pd.DataFrame | None = None,
    clock: Clock = calendar_hours,
) -> tuple[CensoredWait | None, dict[str, CensoredWait]]:
    """Hours from each chase call to the order's next one, censored at delivery, the log's
    end or a courtesy call in between when no other call came first: over all tiers, and
    per tier with at least `MIN_REPEATS` repeat calls its own. Tiers ring again at their own
    pace (a key account's buyer perhaps the next morning, an occasional buyer days later),
    and one pooled curve would give every tier the mix of all. Tiers with fewer repeat
    calls use the pooled curve."""
    hours, ended, case = _repeat_gaps(chases, cases, end, courtesy, clock)
    pooled = censored_wait(hours, ended, "time to the next chase call")
    if pooled is None or "tier" not in cases:
        return pooled, {}
    tiers = case.map(cases["tier"].astype(str)).to_numpy()
    own: dict[str, CensoredWait] = {}
    for tier in sorted({t for t in tiers if isinstance(t, str)}):
        rows = tiers == tier
        if int(ended[rows].sum()) < MIN_REPEATS:
            continue
        wait = censored_wait(hours[rows], ended[rows], f"time to the next chase call, {tier}")
        if wait is not None:
            own[tier] = wait
    return pooled, own


def _repeat_gaps(
    chases: pd.DataFrame,
    cases: pd.DataFrame,
    end: pd.Timestamp,
    courtesy: pd.DataFrame | None,
    clock: Clock,
) -> tuple[np.ndarray, np.ndarray, pd.Series]:
    """Per chase call: hours to the order's next call or to the censoring (see
    `repeat_waits`), whether the next call came, and the call's order."""
    ordered = chases.sort_values([CASE, TIMESTAMP], kind="stable")
    following = ordered.groupby(CASE, sort=False)[TIMESTAMP].shift(-1)
    stop = (
        cases["delivered"].fillna(end)
        if "delivered" in cases
        else pd.Series(end, index=cases.index)
    )
    stop = ordered[CASE].map(stop)
    if courtesy is not None and not courtesy.empty:
        # The first courtesy call after each chase call (merge_asof: per order, forward).
        calls = ordered.reset_index(drop=True).assign(_row=lambda f: np.arange(len(f)))
        nice = courtesy.sort_values(TIMESTAMP, kind="stable").rename(columns={TIMESTAMP: "_at"})
        paired = pd.merge_asof(
            calls.sort_values(TIMESTAMP, kind="stable"),
            nice.assign(_key=nice["_at"]).sort_values("_key", kind="stable"),
            left_on=TIMESTAMP, right_on="_key", by=CASE, direction="forward",
            allow_exact_matches=False,
        ).sort_values("_row", kind="stable")  # fmt: skip
        quieted = pd.Series(paired["_at"].to_numpy(), index=ordered.index)
        stop = stop.where(quieted.isna() | (quieted >= stop), quieted)
    ended = following.notna() & (following <= stop)
    until = following.where(ended, stop)
    hours = np.clip(clock(ordered[TIMESTAMP], until), 0, None)
    return hours, ended.to_numpy(), ordered[CASE]


@dataclass(frozen=True)
class Escalations:
    """Chase calls passed on to a team, and which team took them (see `fit_escalations`)."""

    share: float | None  # of calls on orders not yet escalated
    share_by_tier: dict[str, float]
    again: float | None  # of calls on orders escalated before
    pools: dict[str, dict[str, str]]
    detail: str


def _escalated_calls(chases: pd.DataFrame, pushed: pd.DataFrame) -> pd.DataFrame:
    """Per chase call: `after`, an expedite step follows it before the order's next call;
    `before`, the order had one before it."""
    calls = chases.sort_values([CASE, TIMESTAMP], kind="stable").reset_index(drop=True)
    calls["_row"] = np.arange(len(calls))
    following = calls.groupby(CASE, sort=False)[TIMESTAMP].shift(-1)
    pushed = pushed.sort_values(TIMESTAMP, kind="stable")
    by_time = calls.sort_values(TIMESTAMP, kind="stable")
    ahead = pd.merge_asof(
        by_time, pushed.assign(_at=pushed[TIMESTAMP]), on=TIMESTAMP, by=CASE,
        direction="forward",
    ).sort_values("_row", kind="stable")  # fmt: skip
    behind = pd.merge_asof(
        by_time, pushed.assign(_at=pushed[TIMESTAMP]), on=TIMESTAMP, by=CASE,
        direction="backward", allow_exact_matches=False,
    ).sort_values("_row", kind="stable")  # fmt: skip
    nxt = ahead["_at"].to_numpy()
    after = ahead["_at"].notna().to_numpy() & (following.isna() | (nxt < following)).to_numpy()
    return calls.assign(after=after, before=behind["_at"].notna().to_numpy())


def fit_escalations(
    events: pd.DataFrame,
    cases: pd.DataFrame,
    chase_activities: list[str],
    expedite: list[str],
    pool_of_resource: dict[str, str],
    skip: set[str],
) -> Escalations:
    """How often a chase call is escalated (an expedite step follows it before the order's
    next call): per tier, on orders not escalated before (tiers with at least `MIN_CALLS`
    such calls), and overall on orders escalated already — a log where each order is
    expedited once shows none again, one where every call may be passed on shows as many;
    and, per segment and the order's next step after the expedite (where the order was), the
    team that most often did it, where it did so `MIN_CALLS` times or more. None without
    expedite steps: the older description (`expedite_probability`) then stands. `events` in
    case and time order (`cases.sort_events`)."""
    chases = events.loc[events[ACTIVITY].isin(chase_activities), [CASE, TIMESTAMP]]
    if not expedite or chases.empty:
        return Escalations(None, {}, None, {}, "")
    ordered = events[[CASE, ACTIVITY, TIMESTAMP, RESOURCE]].reset_index(drop=True)
    is_expedite = ordered[ACTIVITY].isin(expedite)
    calls = _escalated_calls(chases, ordered.loc[is_expedite, [CASE, TIMESTAMP]])
    calls["tier"] = calls[CASE].map(cases["tier"].astype(str))
    fresh, seen = calls[~calls["before"]], calls[calls["before"]]
    share = float(fresh["after"].mean())
    again = float(seen["after"].mean()) if len(seen) >= MIN_CALLS else 0.0 if seen.empty else share
    by_tier = {
        str(t): round(float(group["after"].mean()), 6)
        for t, group in fresh.groupby("tier", sort=True)
        if len(group) >= MIN_CALLS
    }
    # The order's next own step after each expedite: the step it was waiting for.
    own_step = ordered[ACTIVITY].where(~ordered[ACTIVITY].isin([*skip, *expedite]))
    after = own_step.groupby(ordered[CASE], sort=False).shift(-1)
    nxt = after.groupby(ordered[CASE], sort=False).bfill()
    first_chase = ordered[CASE].map(chases.groupby(CASE)[TIMESTAMP].min())
    counted = is_expedite & (ordered[TIMESTAMP] >= first_chase)
    taken = pd.DataFrame(
        {
            "segment": ordered[CASE].map(cases["segment"]).astype(str),
            "step": nxt,
            "pool": ordered[RESOURCE].map(pool_of_resource),
        }
    )[counted].dropna()
    pools: dict[str, dict[str, str]] = {}
    counts = taken.groupby(["segment", "step", "pool"], sort=True).size()
    held = 0
    for (segment, step_name), group in counts.groupby(level=[0, 1], sort=True):
        if int(group.sum()) < MIN_CALLS:
            continue
        pool = str(group.idxmax()[2])
        pools.setdefault(str(segment), {})[str(step_name)] = pool
        held += int(group.max())
    detail = (
        f"escalated: {int(fresh['after'].sum()):,} of {len(fresh):,} calls on orders not "
        f"escalated before ({share:.0%}), {int(seen['after'].sum()):,} of {len(seen):,} on "
        f"orders escalated already ({again:.0%}); {held:,} of {int(counted.sum()):,} "
        "expedites by the team usual for where the order was (its next step)"
    )
    return Escalations(round(share, 6), by_tier, round(again, 6), pools, detail)


def expedite_moments(
    first_chase: pd.Series, events: pd.DataFrame, expedite: list[str]
) -> pd.Series:
    """Per order (index: case): its first expedite step at or after its first chase."""
    pushed = events.loc[events[ACTIVITY].isin(expedite), [CASE, TIMESTAMP]]
    pushed = pushed[pushed[TIMESTAMP] >= pushed[CASE].map(first_chase)]
    return pushed.groupby(CASE)[TIMESTAMP].min()


@dataclass(frozen=True)
class Expedites:
    """How often an escalation got the order ahead of others (see `fit_expedites`)."""

    share: float | None  # of escalations; None: not measurable, every escalation expedites
    share_by_tier: dict[str, float]
    detail: str


def _overtaken(
    queued: np.ndarray, done: np.ndarray, plain: np.ndarray, mine: np.ndarray
) -> np.ndarray:
    """For the orders `mine` (indices) among orders waiting in one queue at one moment: the
    share of the `plain` ones (never let ahead) that joined the queue before it that it
    finished before (NaN when there are none). A queue kept in order gives about 0; an order
    let ahead of all, 1."""
    earlier = plain[None, :] & (queued[None, :] < queued[mine, None])
    passed = earlier & (done[None, :] > done[mine, None])
    count = earlier.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(count > 0, passed.sum(axis=1) / count, np.nan)


def fit_expedites(
    events: pd.DataFrame,
    times: pd.DataFrame,
    cases: pd.DataFrame,
    chase_activities: list[str],
    expedite: list[str],
    skip: set[str],
    outside: set[str],
    pool_of_resource: dict[str, str],
) -> Expedites:
    """Per tier, the share of escalations that got the order ahead of its queue.

    A log shows the escalation (the expedite step), not whether the order then jumped its
    queue. It shows the order's next step, though. Take an order waiting in a team's queue
    (its previous step done, this one not begun: `times`' start, logged or estimated) when
    its first escalation after a chase came, and the orders that joined that queue before it
    and were still waiting, never escalated before they began: the share of them it
    finished before is r, about 1 when it was let ahead of them all. Queues are never kept
    in perfect order (several people, long and short jobs, breaks), so the same share for
    the orders waiting beside it, not escalated, is the base b; the share of escalations
    that expedite is (r - b) / (1 - b), clipped to [0, 1]. Queues are the team that did the
    step (the activity where no team is known); only steps people did count (a system or a
    carrier keeps no queue), and not steps that often wait outside (`outside`: stock, a
    supplier). Per tier with `MIN_CALLS` measured escalations, else all tiers'. None (every
    escalation expedites, the older reading) without `MIN_CALLS` measured escalations: an
    operation whose escalations find the order waiting outside, say.
    """
    none = Expedites(None, {}, "")
    chases = events.loc[events[ACTIVITY].isin(chase_activities), [CASE, TIMESTAMP]]
    if not expedite or chases.empty:
        return none
    moment = expedite_moments(chases.groupby(CASE)[TIMESTAMP].min(), events, expedite)
    if moment.empty:
        return none
    flow = events.loc[~events[ACTIVITY].isin([*skip, *expedite, *chase_activities])]
    resource = flow[RESOURCE] if RESOURCE in flow else pd.Series(None, index=flow.index)
    flow = pd.DataFrame(
        {
            CASE: flow[CASE],
            ACTIVITY: flow[ACTIVITY],
            "queue": resource.map(pool_of_resource).fillna(flow[ACTIVITY]),
            "queued": flow.groupby(CASE, sort=False)[TIMESTAMP].shift(),
            "done": flow[TIMESTAMP],
            "began": times.loc[flow.index, "began"].fillna(flow[TIMESTAMP]),
        }
    )
    staffed = (times.loc[flow.index, "kind"] == "person").to_numpy()
    flow = flow[staffed & flow["queued"].notna().to_numpy() & ~flow[ACTIVITY].isin(list(outside))]
    flow["escalated_at"] = flow[CASE].map(moment)
    as_hours = lambda s: (s - EPOCH) / HOUR  # noqa: E731
    rows: list[tuple[str, float]] = []
    base: list[float] = []
    for _, queue in flow.groupby("queue", sort=True):
        queued = as_hours(queue["queued"]).to_numpy(dtype=float)
        done = as_hours(queue["done"]).to_numpy(dtype=float)
        began = as_hours(queue["began"]).to_numpy(dtype=float)
        at = as_hours(queue["escalated_at"]).to_numpy(dtype=float)  # NaN: never escalated
        cases_of = queue[CASE].to_numpy()
        for mine in np.flatnonzero((queued < at) & (began > at)):
            waiting = np.flatnonzero((queued < at[mine]) & (began > at[mine]))
            plain = ~(at[waiting] <= began[waiting])  # not escalated before they began
            beside = waiting[plain]  # the others waiting then, never let ahead
            shares = _overtaken(
                queued[waiting], done[waiting], plain, np.searchsorted(waiting, [mine])
            )
            if np.isnan(shares[0]):
                continue  # first in its queue: nobody to overtake
            rows.append((str(cases_of[mine]), float(shares[0])))
            if len(beside):
                others = _overtaken(
                    queued[waiting], done[waiting], plain, np.searchsorted(waiting, beside)
                )
                others = others[~np.isnan(others)]
                if len(others):
                    base.append(float(others.mean()))
    if len(rows) < MIN_CALLS:
        return none
    b = float(np.mean(base)) if base else 0.0
    measured = pd.DataFrame(rows, columns=[CASE, "passed"])
    measured["tier"] = measured[CASE].map(cases["tier"].astype(str))

    def share(passed: pd.Series) -> float:
        r = float(passed.mean())
        return 1.0 if b >= 1.0 else float(np.clip((r - b) / (1.0 - b), 0.0, 1.0))

    pooled = share(measured["passed"])
    by_tier = {
        str(t): round(share(group["passed"]), 6)
        for t, group in measured.groupby("tier", sort=True)
        if len(group) >= MIN_CALLS
    }
    detail = (
        f"expedited: {len(measured):,} escalated orders waiting in a team's queue finished "
        f"before {measured['passed'].mean():.0%} of those queued before them, the orders "
        f"beside them before {b:.0%}: {pooled:.0%} of escalations expedite"
    )
    return Expedites(round(pooled, 6), by_tier, detail)


def expedite_fields(found: Expedites, spec: CallsSpec | None) -> tuple[dict, str]:
    """What the model takes of the measured expedite shares, and what its notes say.

    The shares enter the model only when the study asks (`calls.expedite_after_escalation:
    measured`); by default every escalation gets the order ahead, and the notes say so
    beside what the log shows, so the assumption is never shown as a finding. On the test
    bed the measured shares are close to the truth, yet the predictions of the policies'
    effects were worse with them (README, Fidelity): the default stays until they are not.
    """
    if found.share is None:
        return {}, found.detail
    if spec is not None and spec.expedite_after_escalation == "measured":
        return (
            {"expedite_share": found.share, "expedite_share_by_tier": found.share_by_tier},
            found.detail + " (calls.expedite_after_escalation: measured)",
        )
    return {}, (
        found.detail + "; the model lets every escalation expedite (an assumption: "
        "calls.expedite_after_escalation: all, the default; `measured` uses the shares)"
    )


def rushed_waits(
    events: pd.DataFrame,
    times: pd.DataFrame,
    chase_activities: list[str],
    expedite: list[str],
    delayed: set[str],
) -> tuple[Distribution | None, list[str]]:
    """How long an order still waited for someone outside after it was expedited, and the
    steps whose waits an expedite cuts (stock, perhaps; not a carrier's transit).

    The expedite moment is the order's first expedite step after its first chase (its first
    chase when the log has no expedite step). An expedited order whose next step with a
    staff-free delay (stock, a supplier) was already waiting then waited on for some hours;
    orders that were not expedited but had waited as long by then waited on for others.
    Per step: only when the expedited orders' remaining wait is clearly shorter (median
    less than `RUSHED_RATIO` of the comparable orders') does an expedite cut that step's
    wait; the remaining waits at those steps are the rushed wait. (None, []) otherwise, or
    below `MIN_CALLS` orders."""
    calls = events[ACTIVITY].isin([*chase_activities, *expedite])
    chased = events.loc[events[ACTIVITY].isin(chase_activities), [CASE, TIMESTAMP]]
    if chased.empty or not delayed:
        return None, []
    first_chase = chased.groupby(CASE)[TIMESTAMP].min()
    moment = expedite_moments(first_chase, events, expedite) if expedite else first_chase
    flow = events.loc[~calls, [CASE, ACTIVITY, TIMESTAMP]]
    flow = flow.assign(
        _began=times.loc[flow.index, "began"].fillna(flow[TIMESTAMP]),
        _enabled=flow.groupby(CASE)[TIMESTAMP].shift(),
        _moment=flow[CASE].map(moment),
    )
    steps = flow[flow[ACTIVITY].isin(delayed) & flow["_enabled"].notna()]
    waiting = steps[(steps["_enabled"] < steps["_moment"]) & (steps["_began"] >= steps["_moment"])]
    waiting = waiting.sort_values("_moment").drop_duplicates(CASE)
    if len(waiting) < MIN_CALLS:
        return None, []
    waiting = waiting.assign(
        _left=(waiting["_began"] - waiting["_moment"]) / HOUR,
        _gone=(waiting["_moment"] - waiting["_enabled"]) / HOUR,
    )
    # Per step: the comparable orders, not expedited then and still waiting at that point.
    others = steps[steps["_moment"].isna() | (steps["_moment"] > steps["_began"])]
    cut: list[str] = []
    lefts: list[float] = []
    notes: list[str] = []
    for activity, rows in waiting.groupby(ACTIVITY, sort=True):
        same = others[others[ACTIVITY] == activity]
        total = ((same["_began"] - same["_enabled"]) / HOUR).to_numpy(dtype=float)
        pairs = []
        for gone, left in zip(rows["_gone"], rows["_left"], strict=True):
            still = total[total > gone] - gone
            if len(still) >= MIN_CALLS:
                pairs.append((left, float(np.median(still))))
        if len(pairs) < MIN_CALLS:
            continue
        rushed = float(np.median([a for a, _ in pairs]))
        usual = float(np.median([b for _, b in pairs]))
        if usual > 0 and rushed < RUSHED_RATIO * usual:
            cut.append(str(activity))
            lefts += [a for a, _ in pairs]
            notes.append(f"{activity}: median {rushed:,.0f} h left against {usual:,.0f} h")
    if len(lefts) < MIN_CALLS:
        return None, []
    distribution = fit_distribution(
        np.asarray(lefts, dtype=float),
        "time from the expedite to the work of orders then waiting outside; "
        + "; ".join(notes)
        + " for orders waiting as long, not expedited",
    )
    return distribution, cut


def fit_chase(
    events: pd.DataFrame,
    cases: pd.DataFrame,
    promise: pd.Series,
    chase_activities: list[str],
    expedite: list[str],
    call: Distribution | None,
    pool: str,
    courtesy_activities: list[str] = (),
    clock: tuple[Calendar, str] | None = None,
) -> ChaseBehaviour:
    """Chase behaviour from the log, or stated defaults when the log has no chase calls.

    `cases` is the fit's order table (tier, and `delivered` when known)."""
    chases = events.loc[events[ACTIVITY].isin(chase_activities), [CASE, TIMESTAMP]]
    if chases.empty:
        what = "no chase-call activity in the log (roles.chase_call)"
        return ChaseBehaviour(
            patience_after_promise=default_hours(DEFAULT_PATIENCE_HOURS, what),
            repeat_after=default_hours(DEFAULT_REPEAT_HOURS, what),
            call=call or default_hours(DEFAULT_CALL_HOURS, what),
            pool=pool,
            expedite_probability=0.0,
            provenance=Provenance(source="default", detail=what),
        )
    first = chases.groupby(CASE, sort=True)[TIMESTAMP].min()
    hours_of = working_clock(*clock) if clock is not None else calendar_hours
    patience = pd.Series(hours_of(promise.reindex(first.index), first), index=first.index).dropna()
    early = float((patience < 0).mean()) if len(patience) else 0.0
    patience_fit = fit_distribution(
        patience.clip(lower=0).to_numpy(),
        f"first chase - promise of {len(patience):,} chased orders ({early:.0%} before it)",
    )
    same_case = chases[CASE].eq(chases[CASE].shift())
    gaps = (
        pd.Series(hours_of(chases[TIMESTAMP].shift(), chases[TIMESTAMP]), index=chases.index)
        .where(same_case)
        .dropna()
    )
    if len(gaps):
        repeat = fit_distribution(gaps.to_numpy(), f"gaps between {len(gaps):,} repeat chases")
    else:
        repeat = default_hours(DEFAULT_REPEAT_HOURS, "no order was chased twice")
    calls_per_order = chases.groupby(CASE).size()
    end = events[TIMESTAMP].max()
    courtesy = events.loc[events[ACTIVITY].isin(list(courtesy_activities)), [CASE, TIMESTAMP]]
    quiet = float(np.median(gaps)) if len(gaps) else DEFAULT_REPEAT_HOURS
    patience = patience_by_tier(chases, cases, promise, end, courtesy, quiet, hours_of)
    repeat_censored, repeat_by_tier = repeat_waits(chases, cases, end, courtesy, hours_of)
    expedited = events.loc[events[ACTIVITY].isin(expedite), [CASE, TIMESTAMP]]
    after = expedited.merge(first.rename("first_chase"), left_on=CASE, right_index=True)
    sped_up = after.loc[after[TIMESTAMP] >= after["first_chase"], CASE].nunique()
    share = sped_up / len(first)
    source = "log" if expedite else "default"
    detail = (
        f"{len(chases):,} chase calls on {len(first):,} orders"
        + ("; patience and gaps in the calls team's working hours" if clock else "")
        + "; expedite steps "
        f"{', '.join(expedite) if expedite else 'none found (probability 0)'}"
    )
    return ChaseBehaviour(
        patience_after_promise=patience_fit,
        repeat_after=repeat,
        max_calls=int(calls_per_order.max()),
        patience=patience,
        repeat=repeat_censored,
        repeat_by_tier=repeat_by_tier,
        call=call or default_hours(DEFAULT_CALL_HOURS, "no call duration"),
        pool=pool,
        expedite_probability=float(share),
        provenance=Provenance(source=source, detail=detail),
        clock="working" if clock is not None else "calendar",
    )


def courtesy_probabilities(
    events: pd.DataFrame,
    case_tier: pd.Series,
    courtesy_activities: list[str],
    milestones: list[str],
) -> tuple[dict[str, dict[str, float]], int, int]:
    """tier → milestone → share of occurrences followed by a call; also calls and unattributed.

    A call is owed to one of the milestones before it in its order, but which one the log
    does not say: a call for "Order confirmed" can be made after the goods have shipped.
    Expectation-maximisation sorts this out: each call is shared among its candidate
    milestones in proportion to p(tier, milestone) times the density of its delay after the
    milestone; p is then the expected calls per occurrence. The delay density (a histogram
    on a log scale) is learnt once from the calls with a single candidate (made before the
    order's second milestone), so a call days after one milestone and minutes after the
    next goes to the next. Started from "the latest milestone", `EM_ROUNDS` rounds.
    """
    marks = events.loc[events[ACTIVITY].isin(milestones), [CASE, ACTIVITY, TIMESTAMP]]
    marks = marks.assign(_mark=np.arange(len(marks)), _tier=case_tier.reindex(marks[CASE]).values)
    calls = events.loc[events[ACTIVITY].isin(courtesy_activities), [CASE, TIMESTAMP]]
    calls = calls.assign(_call=np.arange(len(calls)))
    pairs = calls.merge(marks, on=CASE, suffixes=("", "_mark"))
    pairs = pairs.loc[pairs[TIMESTAMP] >= pairs[f"{TIMESTAMP}_mark"]].reset_index(drop=True)
    lag = (pairs[TIMESTAMP] - pairs[f"{TIMESTAMP}_mark"]) / HOUR
    bins = np.digitize(np.log10(lag.to_numpy(dtype=float) + 1e-3), np.linspace(-3, 4, 57))
    key = pd.MultiIndex.from_arrays([pairs["_tier"], pairs[ACTIVITY]])
    occurrences = marks.groupby(["_tier", ACTIVITY]).size()
    latest = pairs.groupby("_call")[f"{TIMESTAMP}_mark"].transform("max")
    weight = (pairs[f"{TIMESTAMP}_mark"] == latest).astype(float)
    weight = weight / weight.groupby(pairs["_call"]).transform("sum")
    candidates = pairs.groupby("_call")["_mark"].transform("size")
    sure = candidates == 1 if int((candidates == 1).sum()) >= MIN_SURE_CALLS else weight > 0
    density = np.bincount(bins[sure.to_numpy()], minlength=58) / max(int(sure.sum()), 1) + 1e-9
    for _ in range(EM_ROUNDS):
        expected = weight.groupby(key).sum()
        share = (expected / occurrences.reindex(expected.index)).clip(upper=1.0)
        score = share.reindex(key).to_numpy() * density[bins]
        weight = pd.Series(score, index=pairs.index)
        weight = weight / weight.groupby(pairs["_call"]).transform("sum")
    expected = weight.groupby(key).sum()
    probability: dict[str, dict[str, float]] = {}
    for tier in sorted(str(t) for t in case_tier.unique()):
        probability[tier] = {}
        for milestone in sorted(milestones):
            n = occurrences.get((tier, milestone), 0)
            calls_made = float(expected.get((tier, milestone), 0.0))
            probability[tier][milestone] = min(1.0, calls_made / n) if n else 0.0
    unattributed = int(len(calls) - pairs["_call"].nunique())
    return probability, len(calls), unattributed


def fit_courtesy(
    events: pd.DataFrame,
    case_tier: pd.Series,
    courtesy_activities: list[str],
    milestones: list[str],
    call: Distribution | None,
    pool: str,
) -> CourtesyPractice:
    """Today's courtesy-call practice, or none (probability 0) when the log shows no calls."""
    if not courtesy_activities or not milestones:
        what = "no courtesy-call activity or no milestones named (roles)"
        return CourtesyPractice(
            probability={},
            call=call or default_hours(DEFAULT_CALL_HOURS, what),
            pool=pool,
            provenance=Provenance(source="default", detail=what),
        )
    probability, n_calls, unattributed = courtesy_probabilities(
        events, case_tier, courtesy_activities, milestones
    )
    detail = f"{n_calls:,} courtesy calls; {unattributed:,} before any milestone not counted"
    return CourtesyPractice(
        probability=probability,
        call=call or default_hours(DEFAULT_CALL_HOURS, "no courtesy calls in the log"),
        pool=pool,
        provenance=Provenance(source="log" if n_calls else "default", detail=detail),
    )
