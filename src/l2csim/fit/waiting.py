"""Waiting nobody works on: the customer paying, the carrier's transit, stock or a supplier.

Such waiting is a staff-free delay in the model, not a queue: more staff would not shorten
it. Three kinds of step carry one:
- steps done only by systems and outside parties (a carrier's "Delivered", a bank import's
  "Payment received"): all their time since the case's previous step, counted in the
  party's own working hours (`outside_hours`) — the model lets the party take that long
  within its calendar, so deliveries land in its hours as they do in the log;
- steps the study declares as waiting (`roles.waiting_steps`), and steps whose orders come
  out in a different order than they went in (`outside_waits`): all their waiting before
  the work began, whoever records them. A team works its queue roughly in order; waiting
  for a supplier, a carrier or a customer ends in any order. So a step whose median wait is
  a working day or more is waiting, not queueing, when more than `INVERSION_LIMIT` of
  consecutive completions were overtaken (the later one enabled earlier), or, for a step
  too sparse to reach that (a few orders a week: ones far apart rarely overtake each other
  however random their waits), when at least `RANDOM_ORDER_SHARE` as many were overtaken
  as if each order had drawn another's wait at random (`random_overtaken`; completion-only
  steps: with logged starts the work's own order is seen);
- any other step, for the occurrences that waited at least `MIN_DELAY_HOURS` working hours
  while the team that did it was mostly idle (it did less than `BUSY_LIMIT` of the work its
  people could have done meanwhile): the order was waiting for something other than the
  team, e.g. stock for "Pick and pack". Their share becomes the delay's probability.
Waiting while the team was busy is queueing, and the simulation makes its own.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pandas as pd

from l2csim.fit.durations import fit_distribution, working_hours
from l2csim.fit.staff import Staffing
from l2csim.log import ACTIVITY, CASE, RESOURCE, START, TIMESTAMP, epoch_ns
from l2csim.params import Distribution, Member, Pool

HOUR = pd.Timedelta(hours=1)
MIN_DELAY_HOURS = 8.0
INVERSION_LIMIT = 0.4
RANDOM_ORDER_SHARE = 0.9
MIN_RANDOM_OVERTAKEN = 0.15  # below this, shuffled waits barely reorder: nothing to tell
SHUFFLES = 10
MIN_ORDERED = 20
BUSY_LIMIT = 0.6
MIN_DELAYS = 10


def _enabled(events: pd.DataFrame, skip: set[str]) -> pd.DataFrame:
    """Each flow step's completion and its case's previous flow step (`skip`: not flow)."""
    flow = events.loc[~events[ACTIVITY].isin(list(skip))]
    enabled = flow.groupby(CASE, sort=False)[TIMESTAMP].shift()
    started = flow[START].notna() if START in flow else False
    return pd.DataFrame(
        {
            "activity": flow[ACTIVITY].astype(str),
            "done": flow[TIMESTAMP],
            "enabled": enabled,
            "started": started,
        }
    ).dropna(subset=["enabled"])


@dataclass(frozen=True)
class StepWaits:
    """What the waits between a case's steps say about each step (`step_waits`)."""

    outside: dict[str, str]  # steps waiting for someone outside -> why
    long: frozenset[str]  # steps `MIN_DELAY_HOURS` or more after the previous at the median


def outside_waits(events: pd.DataFrame, skip: set[str] = frozenset()) -> dict[str, str]:
    """Steps whose waiting is for someone outside (see the module docstring): activity ->
    why. `events` sorted by case and time; `skip` names steps that are not in the flow."""
    return step_waits(events, skip).outside


def step_waits(events: pd.DataFrame, skip: set[str] = frozenset()) -> StepWaits:
    """The steps waiting for someone outside, and the steps done `MIN_DELAY_HOURS` or more
    after the case's previous step at the median (nobody's queue is that long as a rule),
    each among steps with `MIN_ORDERED` occurrences, from one pass over the flow."""
    frame = _enabled(events, skip)
    found: dict[str, str] = {}
    long: set[str] = set()
    for name, rows in frame.groupby("activity", sort=True):
        if len(rows) < MIN_ORDERED:
            continue
        wait = float(((rows["done"] - rows["enabled"]) / HOUR).median())
        if wait < MIN_DELAY_HOURS:
            continue
        long.add(str(name))
        rows = rows.sort_values("done", kind="stable")
        order = epoch_ns(rows["enabled"])
        overtaken = _overtaken(order)
        if overtaken > INVERSION_LIMIT:
            found[str(name)] = (
                f"its orders come out in a different order than they go in ({overtaken:.0%} "
                f"overtaken) after a median wait of {wait:,.0f} h: waiting for someone outside"
            )
            continue
        if rows["started"].any():
            continue  # work with logged starts shows its own order; this is for completions
        at_random = random_overtaken(order, epoch_ns(rows["done"]))
        if at_random >= MIN_RANDOM_OVERTAKEN and overtaken >= RANDOM_ORDER_SHARE * at_random:
            found[str(name)] = (
                f"its orders come out in as mixed an order as random waits would put them "
                f"({overtaken:.0%} overtaken, {at_random:.0%} at random) after a median wait "
                f"of {wait:,.0f} h: waiting for someone outside"
            )
    return StepWaits(found, frozenset(long))


def _overtaken(enabled_by_completion: np.ndarray) -> float:
    """The share of consecutive completions where the later one was enabled earlier."""
    return float((enabled_by_completion[1:] < enabled_by_completion[:-1]).mean())


def random_overtaken(enabled: np.ndarray, done: np.ndarray) -> float:
    """The share `_overtaken` would be if each order had waited another's wait, drawn at
    random (`SHUFFLES` seeded shuffles, averaged; times as integers, by completion): what
    waits independent of the order of arrival, as an outside party's are, do to the order
    at this step's own pace. A team working its queue in order stays far below it."""
    start, waits = enabled, done - enabled
    rng = np.random.default_rng(len(start))
    shares = []
    for _ in range(SHUFFLES):
        finish = start + rng.permutation(waits)
        shares.append(_overtaken(start[np.argsort(finish, kind="stable")]))
    return float(np.mean(shares))


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
    delays: dict[str, StepDelays] = {}
    for name, rows, values, waited, what in _waits(
        events, times, staffing, external, declared, timezone, skip
    ):
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


def often_waiting(
    events: pd.DataFrame,
    times: pd.DataFrame,
    staffing: Staffing,
    external: list[str],
    declared: list[str],
    timezone: str,
    share: float,
    skip: set[str] = frozenset(),
) -> set[str]:
    """The steps whose delay (as `fit_delays` finds it) comes before at least `share` of
    their occurrences, without fitting the delays' distributions."""
    return {
        name
        for name, rows, _, waited, _ in _waits(
            events, times, staffing, external, declared, timezone, skip
        )
        if int(waited.sum()) >= share * int(rows.sum())
    }


def _waits(
    events: pd.DataFrame,
    times: pd.DataFrame,
    staffing: Staffing,
    external: list[str],
    declared: list[str],
    timezone: str,
    skip: set[str],
) -> Iterator[tuple[str, pd.Series, pd.Series, pd.Series, str]]:
    """Per step with a delay: its name, its events (mask), each event's hours before its
    work began, which of them waited for something outside (mask), and why."""
    pool_of = staffing.pool_of
    pools = {p.name: p for p in staffing.pools}
    activity = events[ACTIVITY].astype(str)
    enabled = times["enabled"]
    known = enabled.notna()
    before_work = ((times["began"].fillna(events[TIMESTAMP]) - enabled) / HOUR).clip(lower=0)
    for name in sorted(set(activity[known].unique()) - set(skip)):
        rows = known & (activity == name)
        pool = pool_of.get(name)
        if pool in external:
            continue  # the party's own time: `outside_hours`
        if name in declared:
            yield name, rows, before_work, rows, "declared waiting step: time before its work"
        elif pool is not None and pool in pools and pools[pool].members:
            waited = _waited_while_idle(events, times, rows, pools[pool], timezone)
            if int(waited.sum()) < MIN_DELAYS:
                continue
            what = (
                f"waited >= {MIN_DELAY_HOURS:g} working hours while the team did < "
                f"{BUSY_LIMIT:.0%} of the work it could"
            )
            yield name, rows, before_work, waited, what


def outside_hours(
    events: pd.DataFrame,
    times: pd.DataFrame,
    staffing: Staffing,
    external: list[str],
    timezone: str,
) -> dict[str, Distribution]:
    """For each step an outside party does: its time since the case's previous step of
    the flow, in the party's own working hours (its fitted calendar)."""
    pools = {p.name: p for p in staffing.pools}
    out: dict[str, Distribution] = {}
    activity = events[ACTIVITY].astype(str)
    known = times["enabled"].notna()
    for name in sorted(activity[known].unique()):
        pool = staffing.pool_of.get(name)
        if pool not in external or pool not in pools:
            continue
        rows = known & (activity == name)
        calendar = pools[pool].calendar
        window = Member(
            name=pool,
            weekdays=calendar.weekdays,
            start_hour=calendar.start_hour,
            end_hour=calendar.end_hour,
        )
        hours = working_hours(
            times.loc[rows, "enabled"], events.loc[rows, TIMESTAMP], window, timezone
        )
        out[name] = fit_distribution(
            np.clip(hours, 0, None),
            f"outside party's time since the case's previous step, in its working hours "
            f"({calendar.start_hour:g}:00-{calendar.end_hour:g}:00), {int(rows.sum()):,} events",
        )
    return out


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
