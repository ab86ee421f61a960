"""Waiting nobody works on: the customer paying, the carrier's transit, stock or a supplier.

Such waiting is a staff-free delay in the model, not a queue: more staff would not shorten
it. Three kinds of step carry one:
- steps done only by systems and outside parties (a carrier's "Delivered", a bank import's
  "Payment received"): all their waiting since the case's previous step;
- steps the study declares as waiting (`roles.waiting_steps`): all their waiting before the
  work began, whoever records them;
- any other step, for the occurrences that waited at least `MIN_DELAY_HOURS` working hours
  while the team that did it was mostly idle (it did less than `BUSY_LIMIT` of the work its
  people could have done meanwhile): the order was waiting for something other than the
  team, e.g. stock for "Pick and pack". Their share becomes the delay's probability.
Waiting while the team was busy is queueing, and the simulation makes its own.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from l2csim.fit.durations import fit_distribution, working_hours
from l2csim.fit.staff import Staffing
from l2csim.log import ACTIVITY, RESOURCE, TIMESTAMP
from l2csim.params import Distribution, Member, Pool

HOUR = pd.Timedelta(hours=1)
MIN_DELAY_HOURS = 8.0
BUSY_LIMIT = 0.6
MIN_DELAYS = 10


@dataclass(frozen=True)
class Delay:
    """A step's staff-free delay: how long, and for which share of its occurrences."""

    distribution: Distribution
    probability: float


@dataclass(frozen=True)
class StepDelays:
    """A step's delay over all its orders, and per segment where the segment has enough."""

    overall: Delay
    by_segment: dict[str, Delay]


def fit_delays(
    events: pd.DataFrame,
    times: pd.DataFrame,
    staffing: Staffing,
    external: list[str],
    declared: list[str],
    timezone: str,
    segment: pd.Series,
    skip: set[str] = frozenset(),
) -> dict[str, StepDelays]:
    """The delays of each step that has one (see the module docstring); `segment` is each
    event's segment label; `skip` names steps that are not part of the flow (calls)."""
    pool_of = staffing.pool_of
    pools = {p.name: p for p in staffing.pools}
    activity = events[ACTIVITY].astype(str)
    enabled = times["enabled"]
    known = enabled.notna()
    since = ((events[TIMESTAMP] - enabled) / HOUR).clip(lower=0)  # waiting plus work
    before_work = ((times["began"].fillna(events[TIMESTAMP]) - enabled) / HOUR).clip(lower=0)
    delays: dict[str, StepDelays] = {}
    for name in sorted(set(activity[known].unique()) - set(skip)):
        rows = known & (activity == name)
        pool = pool_of.get(name)
        if pool in external:
            values, waited = since, rows
            what = "outside party's time since the case's previous step"
        elif name in declared:
            values, waited = before_work, rows
            what = "declared waiting step: time before its work"
        elif pool is not None and pool in pools and pools[pool].members:
            waited = _waited_while_idle(events, times, rows, pools[pool], timezone)
            if int(waited.sum()) < MIN_DELAYS:
                continue
            values = before_work
            what = (
                f"waited >= {MIN_DELAY_HOURS:g} working hours while the team did < "
                f"{BUSY_LIMIT:.0%} of the work it could"
            )
        else:
            continue
        overall = _delay(values[waited], int(rows.sum()), what)
        by_segment = {}
        for label in sorted(segment[rows].astype(str).unique()):
            in_segment = segment.astype(str) == label
            occurrences = int((rows & in_segment).sum())
            hits = waited & in_segment
            if occurrences >= MIN_DELAYS and (int(hits.sum()) >= MIN_DELAYS or not hits.any()):
                by_segment[label] = (
                    _delay(values[hits], occurrences, what)
                    if hits.any()
                    else Delay(overall.distribution, 0.0)
                )
        if len(by_segment) <= 1:
            by_segment = {}
        delays[name] = StepDelays(overall, by_segment)
    return delays


def _delay(values: pd.Series, occurrences: int, what: str) -> Delay:
    detail = f"{what}, {len(values):,} of {occurrences:,} events"
    share = len(values) / occurrences if occurrences else 0.0
    return Delay(fit_distribution(values.to_numpy(dtype=float), detail), round(share, 6))


def _waited_while_idle(
    events: pd.DataFrame,
    times: pd.DataFrame,
    rows: pd.Series,
    pool: Pool,
    timezone: str,
) -> pd.Series:
    """Which of the step's events waited long while the team was mostly idle."""
    start = times.loc[rows, "enabled"]
    end = times.loc[rows, "began"]
    usable = end.notna() & (end > start)
    start, end = start[usable], end[usable]
    result = pd.Series(False, index=rows.index)
    if start.empty:
        return result
    window = Member(
        name=pool.name,
        weekdays=pool.calendar.weekdays,
        start_hour=pool.calendar.start_hour,
        end_hour=pool.calendar.end_hour,
    )
    members = set(pool.resources)
    team = events[RESOURCE].isin(members) if RESOURCE in events else None
    if team is None or not team.any():
        return result
    # The team's open days: days any of its people did something (not public holidays).
    local_days = (
        events.loc[team, TIMESTAMP].dt.tz_convert(timezone).dt.tz_localize(None).dt.normalize()
    )
    open_days = np.unique(local_days.to_numpy().astype("datetime64[D]").astype(np.int64))
    open_hours = working_hours(start, end, window, timezone, open_days)
    # The team's work done by each moment: processing hours credited at completion.
    done_at = events.loc[team, TIMESTAMP].sort_values(kind="stable")
    work = times.loc[done_at.index, "processing"].fillna(0.0).to_numpy()
    cumulative = np.concatenate([[0.0], np.cumsum(work)])
    stamps = done_at.to_numpy()
    worked = (
        cumulative[np.searchsorted(stamps, end.to_numpy(), side="right")]
        - cumulative[np.searchsorted(stamps, start.to_numpy(), side="right")]
    )
    could = open_hours * pool.capacity
    idle = (open_hours >= MIN_DELAY_HOURS) & (worked < BUSY_LIMIT * np.maximum(could, 1e-9))
    result.loc[start.index] = idle
    return result
