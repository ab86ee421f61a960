"""The state of the operation at a moment, read from the log as it was known then.

`cut_log` keeps what had happened by `as_of` (events completed by then; with start times,
the activities started and not yet finished are the ones in progress). `open_orders` reads
from it every order received and not delivered — its tier, segment, promise and value by
the rules every stage uses (`l2csim.fit.cases.case_table` over the shared order table), its
last routed step and how long it has waited since, any activity in progress, its chase and
courtesy calls so far and whether it was expedited. `start_state` turns them into the
simulation's `StartState` on a clock that starts on the Monday (local time) of as-of's week,
so calendars, shifts and the months of seasonal attendance line up. `staff_state` says
who of each fitted team is away and for how many working days so far (the start state
carries it; the simulation continues the absence), `staff_at_work` leaves out who has gone.
Each customer's reorder clock would come here too, but the model's customers order as a
Poisson stream per tier (no reorder cadence), so there is none to carry.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
import pandas as pd

from l2csim.fit.cases import case_table
from l2csim.log import ACTIVITY, CASE, RESOURCE, START, TIMESTAMP, EventLog
from l2csim.orders import case_tiers
from l2csim.params import END_NODE, START_NODE, ModelParams
from l2csim.sim.state import PathRule, StartOrder, StartState
from l2csim.study import Study

HOUR = pd.Timedelta(hours=1)
REQUIRED_SHARE = 0.98  # an activity this share of a segment's delivered orders went through
MIN_RULE_ORDERS = 20  # path rules only from at least this many orders
RECENT_DAYS = 28  # idle all these days before as-of, and longer than any absence: gone
OPEN_COLUMNS = (
    "order", "customer", "tier", "segment", "value", "received", "promised", "last_activity",
    "done", "last_event", "current_activity", "current_since", "chase_calls", "last_chase",
    "courtesy_calls", "last_courtesy", "expedited",
)  # fmt: skip


def cut_log(log: EventLog, as_of: pd.Timestamp) -> EventLog:
    """The log as it was known at `as_of`: the events completed by then."""
    events = log.events
    kept = events[events[TIMESTAMP] <= as_of].reset_index(drop=True)
    return EventLog(events=kept, source=log.source, format=log.format, notes=log.notes)


def in_progress(events: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:
    """Activities started by `as_of` and finished after it (logs with start times): per
    case the earliest, with its start."""
    if START not in events:
        return pd.DataFrame(columns=["activity", "since"], index=pd.Index([], name=CASE))
    running = events[(events[START] <= as_of) & (events[TIMESTAMP] > as_of)]
    running = running.sort_values([CASE, START], kind="stable").groupby(CASE, sort=True).first()
    return pd.DataFrame({"activity": running[ACTIVITY], "since": running[START]})


def orders_of(cut: pd.DataFrame, study: Study | None) -> pd.DataFrame:
    """The order table of a log (`fit.cases.case_table`, tiers by the shared rule)."""
    return case_table(cut, study, case_tiers(cut, study))


def open_orders(
    cut: pd.DataFrame,
    study: Study | None,
    params: ModelParams,
    as_of: pd.Timestamp,
    running: pd.DataFrame | None = None,
    cases: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Every order received by `as_of` and not delivered then, one row each (`OPEN_COLUMNS`),
    oldest waiting first. `cases`: the order table of this log or of a later cut of it
    (orders' times are then read as of `as_of`)."""
    cases = cases if cases is not None else orders_of(cut, study)
    delivered = cases["delivered"]
    still = cases[(cases["arrival"] <= as_of) & (delivered.isna() | (delivered > as_of))]
    if still.empty:
        return pd.DataFrame(columns=list(OPEN_COLUMNS))
    roles = params.roles
    routed = _routed_activities(params)
    events = cut[cut[CASE].isin(still.index) & (cut[TIMESTAMP] <= as_of)]
    events = events.sort_values([CASE, TIMESTAMP], kind="stable")
    activity = events[ACTIVITY].astype(str)
    steps = events[activity.isin(routed)]
    last = steps.groupby(CASE, sort=True).agg(
        last_activity=(ACTIVITY, "last"),
        last_event=(TIMESTAMP, "last"),
        done=(ACTIVITY, lambda a: tuple(str(x) for x in a)),
    )
    chase = _calls(events, activity.isin(roles.chase_call), "chase")
    courtesy = _calls(events, activity.isin(roles.courtesy_call), "courtesy")
    expedite = params.chase.expedite_activity
    expedited = (
        events[activity == expedite].groupby(CASE).size() > 0 if expedite else pd.Series(dtype=bool)
    )
    table = pd.DataFrame(index=still.index)
    table["order"] = still.index.astype(str)
    table["customer"] = still["customer"].astype(object)
    table["tier"] = still["tier"].astype(str)
    table["segment"] = still["segment"].astype(str)
    table["value"] = still["value"].astype(float)
    table["received"] = still["arrival"]
    table["promised"] = still["promised"]
    table = table.join(last).join(chase).join(courtesy)
    table["last_event"] = table["last_event"].fillna(table["received"])
    table["done"] = table["done"].apply(lambda d: d if isinstance(d, tuple) else ())
    running = running if running is not None else in_progress(cut, as_of)
    table["current_activity"] = running["activity"].reindex(table.index)
    table["current_since"] = running["since"].reindex(table.index)
    table["chase_calls"] = table["chase_calls"].fillna(0).astype(int)
    table["courtesy_calls"] = table["courtesy_calls"].fillna(0).astype(int)
    table["expedited"] = expedited.reindex(table.index, fill_value=False).astype(bool)
    table = table.sort_values(["last_event", "order"], kind="stable")
    return table.reset_index(drop=True)[list(OPEN_COLUMNS)]


def path_rules(
    cut: pd.DataFrame,
    study: Study | None,
    params: ModelParams,
    cases: pd.DataFrame | None = None,
) -> dict[str, PathRule]:
    """Per segment, from its orders delivered by as-of: the routed activities that (nearly)
    every one went through, and those none did twice."""
    cases = cases if cases is not None else orders_of(cut, study)
    finished = cases.index[cases["delivered"].notna()]
    routed = _routed_activities(params)
    events = cut[cut[CASE].isin(finished) & cut[ACTIVITY].astype(str).isin(routed)]
    if events.empty:
        return {}
    counts = events.groupby([CASE, ACTIVITY], sort=True, observed=True).size()
    counts = counts[counts > 0].rename("n").reset_index()
    counts["segment"] = counts[CASE].map(cases["segment"]).astype(str)
    totals = cases.loc[finished, "segment"].astype(str).value_counts()
    rules = {}
    for segment, rows in counts.groupby("segment", sort=True):
        orders = int(totals.get(segment, 0))
        if orders < MIN_RULE_ORDERS:
            continue
        per = rows.groupby(ACTIVITY, observed=True)["n"].agg(["size", "max"])
        required = per.index[per["size"] >= REQUIRED_SHARE * orders]
        once = per.index[(per["max"] == 1) & (per["size"] >= MIN_RULE_ORDERS)]
        rules[segment] = PathRule(
            required=frozenset(str(a) for a in required), once=frozenset(str(a) for a in once)
        )
    return rules


def _routed_activities(params: ModelParams) -> set[str]:
    """Activities that are steps of some segment's routing (not calls or expedites)."""
    named = set()
    for routing in params.routing:
        named |= set(routing.transitions)
        for row in routing.transitions.values():
            named |= set(row)
    calls = {*params.roles.chase_call, *params.roles.courtesy_call}
    if params.chase.expedite_activity:
        calls.add(params.chase.expedite_activity)
    return named - calls - {START_NODE, END_NODE}


def _calls(events: pd.DataFrame, mask: pd.Series, kind: str) -> pd.DataFrame:
    calls = events[mask].groupby(CASE, sort=True)[TIMESTAMP].agg(["size", "max"])
    return calls.rename(columns={"size": f"{kind}_calls", "max": f"last_{kind}"})


# --- the simulation's clock ------------------------------------------------------------------


@dataclass(frozen=True)
class Clock:
    """Hours from a Monday 00:00 local time (the simulation's hour 0) and back."""

    origin: datetime  # naive local
    timezone: str

    @classmethod
    def of_week(cls, moment: pd.Timestamp, timezone: str) -> Clock:
        """The clock whose hour 0 is the Monday 00:00 (local) of `moment`'s week."""
        local = moment.tz_convert(timezone).tz_localize(None).normalize()
        monday = local - pd.Timedelta(days=local.weekday())
        return cls(monday.to_pydatetime(), timezone)

    @classmethod
    def weeks_before(cls, moment: pd.Timestamp, timezone: str, weeks: int) -> Clock:
        """The clock whose hour 0 is `weeks` Mondays before `moment`'s week (a warm-up)."""
        clock = cls.of_week(moment, timezone)
        return cls(clock.origin - pd.Timedelta(weeks=weeks).to_pytimedelta(), timezone)

    def hours(self, values):
        """UTC times (a Timestamp or a Series) as hours of this clock (local wall time)."""
        if isinstance(values, pd.Series):
            local = values.dt.tz_convert(self.timezone).dt.tz_localize(None)
            return ((local - pd.Timestamp(self.origin)) / HOUR).to_numpy(dtype=float)
        if pd.isna(values):
            return float("nan")
        local = pd.Timestamp(values).tz_convert(self.timezone).tz_localize(None)
        return float((local - pd.Timestamp(self.origin)) / HOUR)

    def time(self, hours: np.ndarray) -> pd.Series:
        """Hours of this clock as UTC times (NaN -> NaT)."""
        local = pd.Timestamp(self.origin) + pd.to_timedelta(np.asarray(hours, float), unit="h")
        return (
            pd.Series(local)
            .dt.tz_localize(self.timezone, ambiguous="NaT", nonexistent="shift_forward")
            .dt.tz_convert("UTC")
        )


def start_state(
    table: pd.DataFrame,
    clock: Clock,
    at: float,
    params: ModelParams,
    rules: dict[str, PathRule] | None = None,
    staff: dict[str, dict[str, int]] | None = None,
) -> StartState:
    """The open orders and who is away (`staff_state`) as the simulation's start state
    (promises the log cannot give come from the tier's promised hours)."""
    tiers = {t.name: t for t in params.tiers}
    fallback_tier = min(params.tiers, key=lambda t: (-t.rank, t.name)).name
    received = clock.hours(table["received"])
    promised = clock.hours(table["promised"])
    since = clock.hours(table["last_event"])
    current_since = clock.hours(_utc(table["current_since"]))
    last_chase = clock.hours(_utc(table["last_chase"]))
    last_courtesy = clock.hours(_utc(table["last_courtesy"]))
    orders = []
    for i, row in enumerate(table.itertuples(index=False)):
        tier = row.tier if row.tier in tiers else fallback_tier
        promise = promised[i]
        if not np.isfinite(promise):
            promise = received[i] + tiers[tier].promised_hours
        orders.append(
            StartOrder(
                tier=tier,
                segment=row.segment,
                customer=str(row.customer) if isinstance(row.customer, str) else row.order,
                value=float(row.value) if pd.notna(row.value) else float("nan"),
                arrival=float(received[i]),
                promise=float(promise),
                last_step=row.last_activity if isinstance(row.last_activity, str) else None,
                done=tuple(row.done),
                since=float(since[i]),
                current=row.current_activity if isinstance(row.current_activity, str) else None,
                current_since=_finite(current_since[i]),
                chases=int(row.chase_calls),
                last_chase=_finite(last_chase[i]),
                courtesy=int(row.courtesy_calls),
                last_courtesy=_finite(last_courtesy[i]),
                expedited=bool(row.expedited),
            )
        )
    return StartState(
        at=at, orders=tuple(orders), rules=rules, staff=staff, first_day=clock.origin.date()
    )


def _utc(values: pd.Series) -> pd.Series:
    return pd.to_datetime(values, utc=True)


def _finite(value: float) -> float | None:
    return float(value) if np.isfinite(value) else None


# --- staff ------------------------------------------------------------------------------------


def staff_at_work(
    cut: pd.DataFrame, params: ModelParams, as_of: pd.Timestamp, days: int = RECENT_DAYS
) -> tuple[ModelParams, dict[str, list[str]], dict[str, dict[str, int]]]:
    """The model's teams as they are at as-of: who is away, and who has gone.

    Leave and sickness come in runs, so whoever is away today is likely away for the next
    days, but not for a month: each person's state is the working days since they last did
    anything (`staff_state`), which the simulation continues (an absence lasts as long as
    one of the person's absences in the log that lasted longer; then their usual attendance
    returns, by month as fitted). People who did nothing for all of the `days` before as-of
    and longer than any absence of theirs are left out of their team (gone, or on a leave
    the log has not shown), unless the study's leave plan has them on leave or that would
    leave the team empty. Returns the model, who
    was left out per team, and the state: team -> person -> working days away."""
    state, gone = staff_state(cut, params, as_of, days)
    pools, left_out = [], {}
    for pool in params.pools:
        out = gone.get(pool.name, set())
        here = [m for m in pool.members if m.name not in out]
        if not out or not here:
            pools.append(pool)
            continue
        left_out[pool.name] = sorted(out)
        pools.append(pool.model_copy(update={"members": here, "size": len(here)}))
    return params.model_copy(update={"pools": pools}), left_out, state


def staff_state(
    events: pd.DataFrame, params: ModelParams, as_of: pd.Timestamp, days: int = RECENT_DAYS
) -> tuple[dict[str, dict[str, int]], dict[str, set[str]]]:
    """Per team and person, the working days (their weekdays the company was open) since
    they last did anything before as-of's day, 0 for whoever worked on their last one; and
    who did nothing in the `days` before as-of for longer than any absence of theirs,
    unless the study's leave plan has them on leave then (they come back). Only events by
    as-of count, so a hindcast reads the state of its own moment."""
    if RESOURCE not in events:
        return {}, {}
    timezone = params.timezone
    since = as_of - pd.Timedelta(days=days)
    recent = events[(events[TIMESTAMP] > since) & (events[TIMESTAMP] <= as_of)]
    local_days = recent[TIMESTAMP].dt.tz_convert(timezone).dt.tz_localize(None).dt.normalize()
    worked = pd.DataFrame({"who": recent[RESOURCE].astype(str), "day": local_days})
    worked = worked.drop_duplicates().groupby("who")["day"].apply(lambda d: set(d.astype("int64")))
    today = as_of.tz_convert(timezone).tz_localize(None).normalize()
    calendar = pd.date_range(
        since.tz_convert(timezone).tz_localize(None).normalize() + pd.Timedelta(days=1),
        today - pd.Timedelta(days=1),
        freq="D",
    )
    # Days the company was open at all (public holidays left out).
    open_days = set(local_days.astype("int64").unique())
    state: dict[str, dict[str, int]] = {}
    gone: dict[str, set[str]] = {}
    for pool in params.pools:
        if pool.external or not pool.members:
            continue
        for member in pool.members:
            mine = worked.get(member.name, set())
            if today.value in mine:
                state.setdefault(pool.name, {})[member.name] = 0
                continue
            scheduled = [
                d.value for d in calendar if d.weekday() in member.weekdays and d.value in open_days
            ]
            if not scheduled:
                continue
            last = max((d for d in scheduled if d in mine), default=None)
            away = len(scheduled) if last is None else sum(d > last for d in scheduled)
            state.setdefault(pool.name, {})[member.name] = away
            idle = last is None and away >= max(member.absence_spells, default=0)
            if idle and not _on_planned_leave(params, member.name, since, as_of):
                gone.setdefault(pool.name, set()).add(member.name)
    return state, gone


def _on_planned_leave(
    params: ModelParams, person: str, since: pd.Timestamp, as_of: pd.Timestamp
) -> bool:
    """Whether the study's leave plan has the person away in the idle days before as-of
    or on the day after it: on leave, coming back, not gone."""
    days = params.leave.days.get(person)
    if not days:
        return False
    first = since.tz_convert(params.timezone).date()
    last = as_of.tz_convert(params.timezone).date() + timedelta(days=1)
    return any(first <= day <= last for day in days)
