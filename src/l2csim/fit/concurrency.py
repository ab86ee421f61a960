"""Staff for the steps a log names no one for: declared, inferred from concurrency, or waiting.

`fit.staff` gives every event without a resource to one pool, `unassigned`. For a step done
mostly without a resource that would make one server do all of it (a fines office with one
clerk sending 100,000 fines, 100 % busy) and would count its waiting as work. Instead, each
such step gets, in this order:

1. **a declared pool** when the study says how many people do it (`pools: {step: people}`);
2. **waiting, not work**, when the step's events have only completion times (the whole log,
   or this step: BPI Challenge 2012's O_SENT_BACK) and the median time since
   the case's previous step is more than `IMPLAUSIBLE_WORK_HOURS` (nobody works on one
   fine for days: it waits for the offender, the post, a deadline). The step goes to one
   external pool, `waiting (no resource)`: it never queues and takes the log's own time
   since the previous step, as the steps of outside parties do (`fit.waiting`);
3. **a pool sized from concurrency**: how many of the step's cases are in progress at once,
   the `CONCURRENCY_QUANTILE` quantile over the moments one starts — from the logged start
   to the end, or, with completion times only, from the case's previous step to the
   completion (an upper bound: it includes the queue). Its work is the logged start-to-end
   time when the log has it.

Each pool's provenance says which rule made it; steps a resource does are not touched.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from l2csim.fit.durations import fit_distribution
from l2csim.fit.staff import UNASSIGNED, Staffing, fit_calendar
from l2csim.log import ACTIVITY, CASE, RESOURCE, START, TIMESTAMP, epoch_ns
from l2csim.params import Distribution, Pool, Provenance

IMPLAUSIBLE_WORK_HOURS = 8.0
CONCURRENCY_QUANTILE = 0.95
WAITING_POOL = "waiting (no resource)"
HOUR = pd.Timedelta(hours=1)


@dataclass(frozen=True)
class Inferred:
    """Staffing with the unassigned steps given pools; the steps found to be waiting (with
    why); the logged work of inferred steps; and notes for the model."""

    staffing: Staffing
    waiting: dict[str, str]
    work: dict[str, Distribution]
    notes: list[str]


def unassigned_steps(staffing: Staffing) -> list[str]:
    """Steps the unassigned pool does (events without a resource do most of them)."""
    return sorted(a for a, pool in staffing.pool_of.items() if pool == UNASSIGNED)


def infer_pools(
    events: pd.DataFrame,
    staffing: Staffing,
    timezone: str,
    declared: dict[str, int] | None = None,
    skip: set[str] = frozenset(),
) -> Inferred:
    """Pools for the unassigned steps (see the module docstring); `events` sorted by case
    and time, `skip` names steps outside the flow (calls), whose time since the previous
    step says nothing about them. Staffing without unassigned steps comes back unchanged."""
    steps = unassigned_steps(staffing)
    if not steps:
        return Inferred(staffing, {}, {}, [])
    declared = declared or {}
    nobody = events[RESOURCE].isna() if RESOURCE in events else pd.Series(True, events.index)
    flow = ~events[ACTIVITY].isin(list(skip))
    enabled = events.loc[flow].groupby(CASE, sort=False)[TIMESTAMP].shift()
    enabled = enabled.reindex(events.index)
    logged = START in events and bool(events[START].notna().any())
    pools: dict[str, Pool] = {}
    pool_of: dict[str, str] = {}
    waiting: dict[str, str] = {}
    work: dict[str, Distribution] = {}
    waiting_rows = []
    for step in steps:
        rows = events.index[(events[ACTIVITY] == step) & nobody]
        if not len(rows):
            rows = events.index[events[ACTIVITY] == step]
        end = events.loc[rows, TIMESTAMP]
        # A step whose own events have no start time is read as completion-only, whatever
        # the log's other steps record (BPI Challenge 2012's O_SENT_BACK).
        step_logged = logged and bool(events.loc[rows, START].notna().any())
        if step_logged:
            begin = events.loc[rows, START].fillna(end)
            what = "logged start to end"
        else:
            begin = enabled.loc[rows].fillna(end)
            what = (
                "the case's previous step to the completion (an upper bound: it includes the queue)"
            )
        hours = ((end - begin) / HOUR).clip(lower=0)
        measured = hours[enabled.loc[rows].notna() | step_logged]
        median = float(measured.median()) if len(measured) else 0.0
        name = f"{step} (inferred)"
        if step in declared:
            size = int(declared[step])
            detail = f"the study declares {size} people for {step!r} (pools:); the log names no one"
            source = "study"
        elif not step_logged and median > IMPLAUSIBLE_WORK_HOURS:
            waiting[step] = (
                f"no resource, and a median {median:,.0f} h since the case's previous step: "
                f"waiting, not work (more than {IMPLAUSIBLE_WORK_HOURS:g} h)"
            )
            pool_of[step] = WAITING_POOL
            waiting_rows.append(rows)
            continue
        else:
            size = concurrency(begin, end)
            detail = (
                f"the log names no one for {step!r}: {size} at once, the "
                f"{CONCURRENCY_QUANTILE:.0%} quantile of its cases in progress at once "
                f"({what}) over {len(rows):,} events"
            )
            source = "log"
        pools[name] = Pool(
            name=name,
            size=size,
            calendar=fit_calendar(events.loc[rows], timezone),
            provenance=Provenance(source=source, detail=detail),
        )
        pool_of[step] = name
        if step_logged:
            values = hours.dropna().to_numpy(dtype=float)
            if len(values):
                work[step] = fit_distribution(
                    values, f"logged start to end, {len(values):,} events without a resource"
                )
    if waiting_rows:
        rows = (
            waiting_rows[0].append(waiting_rows[1:]) if len(waiting_rows) > 1 else waiting_rows[0]
        )
        pools[WAITING_POOL] = Pool(
            name=WAITING_POOL,
            size=0,
            calendar=fit_calendar(events.loc[rows], timezone),
            external=True,
            provenance=Provenance(
                source="log",
                detail=(
                    f"steps without a resource whose time since the previous step is more than "
                    f"{IMPLAUSIBLE_WORK_HOURS:g} h at the median: {', '.join(sorted(waiting))}; "
                    "they never queue and take the log's own time"
                ),
            ),
        )
    return Inferred(
        _with_pools(staffing, pools, pool_of), waiting, work, _notes(pools, waiting, pool_of)
    )


def concurrency(begin: pd.Series, end: pd.Series) -> int:
    """How many intervals are in progress at once: the `CONCURRENCY_QUANTILE` quantile of
    the count at each interval's start (itself included), at least 1."""
    b = np.sort(epoch_ns(begin))
    e = np.sort(epoch_ns(end))
    if not len(b):
        return 1
    started = np.searchsorted(b, b, side="right")
    ended = np.searchsorted(e, b, side="right")
    counts = np.maximum(started - ended, 1)
    return max(1, math.ceil(float(np.quantile(counts, CONCURRENCY_QUANTILE))))


def _with_pools(staffing: Staffing, added: dict[str, Pool], pool_of: dict[str, str]) -> Staffing:
    """Staffing with the unassigned steps moved to their pools (the unassigned pool stays
    while other steps' segments still use it)."""
    new_pool_of = {**staffing.pool_of, **pool_of}
    by_segment: dict[str, dict[str, str]] = {}
    for step, segments in staffing.pool_by_segment.items():
        moved = {
            segment: pool_of.get(step, pool) if pool == UNASSIGNED else pool
            for segment, pool in segments.items()
        }
        moved = {s: p for s, p in moved.items() if p != new_pool_of.get(step)}
        if moved:
            by_segment[step] = moved
    used = set(new_pool_of.values()) | {p for s in by_segment.values() for p in s.values()}
    pools = [p for p in staffing.pools if p.name != UNASSIGNED or UNASSIGNED in used]
    pools += [added[name] for name in sorted(added)]
    activities = {
        pool: [a for a in steps if pool != UNASSIGNED or a not in pool_of]
        for pool, steps in staffing.activities_by_pool.items()
        if pool in used
    }
    for step, pool in sorted(pool_of.items()):
        activities.setdefault(pool, []).append(step)
    return replace(
        staffing,
        pools=sorted(pools, key=lambda p: p.name),
        pool_of=new_pool_of,
        pool_by_segment=by_segment,
        activities_by_pool={p: sorted(a) for p, a in sorted(activities.items())},
    )


def _notes(pools: dict[str, Pool], waiting: dict[str, str], pool_of: dict[str, str]) -> list[str]:
    notes = []
    inferred = [p for p in pools.values() if not p.external]
    if inferred:
        notes.append(
            "steps the log names no one for, staffed by pools inferred from how many of their "
            "cases are in progress at once (or declared under pools:): "
            + "; ".join(f"{p.name}: {p.size}" for p in sorted(inferred, key=lambda p: p.name))
        )
    if waiting:
        notes.append(
            f"steps without a resource taken as waiting, not work (pool {WAITING_POOL!r}): "
            + "; ".join(f"{a} ({why})" for a, why in sorted(waiting.items()))
        )
    return notes
