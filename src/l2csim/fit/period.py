"""The period that represents today: which cases the model's rates, pools and validation use.

Two stated rules, applied in order:

1. **Wrongly dated events are cut** (`l2csim.log.date_bulk`): a case with an event further
   outside the central 99 % of the log's dates than that span is long (at least 90 days) is
   left out of the fit and the validation. `l2csim check` lists such events
   (`outlier_dates`).
2. **Rates and pools come from the recent window**: in a log whose cases start over more than
   `LONG_LOG_DAYS` days (15 months), the cases whose first event falls in the last
   `WINDOW_DAYS` days (12 months) up to the latest first event. A log of about a year (the
   bundled sample, the test bed) is used whole; in a longer log, order intake
   and the staff at work are today's, not an average over years in which the company (or
   its use of the system) was different. Routing, durations and waiting, which only get
   better with more cases, use every plausibly dated case. Validation replays the same
   window, so it costs what a year costs however long the log is.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import pandas as pd

from l2csim.fit.fingerprint import fingerprint
from l2csim.fit.staff import fit_members, work_arrivals
from l2csim.log import (
    CASE,
    RESOURCE,
    START,
    TIMESTAMP,
    DateBulk,
    EventLog,
    date_bulk,
    outlier_cases,
)
from l2csim.params import Calendar, LeavePlan, LogFingerprint, ModelParams, Pool, Provenance

WINDOW_DAYS = 365
LONG_LOG_DAYS = 456


@dataclass(frozen=True)
class Period:
    """The plausible dates of the log and the recent window (see the module's rules)."""

    bulk: DateBulk
    dropped_cases: int  # cases with a wrongly dated event, left out
    window_start: pd.Timestamp  # first events from here on count for rates and pools
    window_end: pd.Timestamp
    cases: int  # plausibly dated cases
    window_cases: int  # of them, starting in the window
    window_ids: pd.Index = field(default_factory=lambda: pd.Index([]), repr=False)

    @property
    def cuts_window(self) -> bool:
        return self.window_cases < self.cases

    def notes(self) -> list[str]:
        """What the rules changed, for the model's notes (nothing when they changed nothing)."""
        out = []
        if self.dropped_cases:
            out.append(
                f"{self.dropped_cases:,} cases with a wrongly dated event left out ({self.bulk.rule})"
            )
        if self.cuts_window:
            out.append(
                f"order intake and staff pools from the recent window: the "
                f"{self.window_cases:,} of {self.cases:,} cases starting between "
                f"{self.window_start:%Y-%m-%d} and {self.window_end:%Y-%m-%d} (the last "
                f"{WINDOW_DAYS} days of the log's order intake); routing, durations and waits "
                "from every case"
            )
        return out


def today(events: pd.DataFrame) -> Period:
    """The period rules applied to a log's events (see the module docstring)."""
    bulk = date_bulk(events[TIMESTAMP])
    dropped = outlier_cases(events, bulk) if bulk.outliers else pd.Index([])
    first = events.groupby(CASE, sort=False)[TIMESTAMP].min()
    first = first[~first.index.isin(dropped)]
    end = first.max()
    start = first.min()
    if end - start > pd.Timedelta(days=LONG_LOG_DAYS):
        start = end - pd.Timedelta(days=WINDOW_DAYS)
    in_window = first.index[first >= start]
    return Period(
        bulk=bulk,
        dropped_cases=len(dropped),
        window_start=start,
        window_end=end,
        cases=len(first),
        window_cases=len(in_window),
        window_ids=in_window,
    )


def plausible(events: pd.DataFrame, period: Period) -> pd.DataFrame:
    """The events of the cases without a wrongly dated event (the same frame when none)."""
    if not period.dropped_cases:
        return events
    return events[~events[CASE].isin(outlier_cases(events, period.bulk))]


def recent(events: pd.DataFrame, period: Period) -> pd.DataFrame:
    """The plausibly dated events of the cases starting in the recent window."""
    if not period.cuts_window:
        return plausible(events, period)
    return events[events[CASE].isin(period.window_ids)]


def recent_cases(cases: pd.DataFrame, period: Period) -> pd.DataFrame:
    """The rows of the fit's case table (indexed by case) whose case starts in the window."""
    if not period.cuts_window:
        return cases
    return cases[cases.index.isin(period.window_ids)]


def for_validation(log: EventLog) -> tuple[EventLog, list[str]]:
    """The log as validation replays it: plausibly dated cases of the recent window, and
    notes saying what was left out (the same log and no notes when nothing was)."""
    period = today(log.events)
    if not period.dropped_cases and not period.cuts_window:
        return log, []
    events = recent(log.events, period)
    notes = period.notes()
    if period.cuts_window:
        notes[-1] = (
            f"validated on the recent window: the {period.window_cases:,} cases starting "
            f"between {period.window_start:%Y-%m-%d} and {period.window_end:%Y-%m-%d} (the "
            f"last {WINDOW_DAYS} days of the log's order intake), as the model's rates and "
            "pools were fitted"
        )
    return replace(log, events=events), notes


def recent_pools(
    pools: list[Pool],
    events: pd.DataFrame,
    period: Period,
    timezone: str,
    notes: list[str],
    leave: LeavePlan | None = None,
) -> list[Pool]:
    """Teams as the recent window has them: each team's people who worked in the window,
    with shifts and attendance fitted from the window's events (`fit.staff.fit_members`).
    The pools are returned as they are when the window is the whole log, and a team with
    nobody at work in the window keeps its fit over the whole log (noted)."""
    staffed = [p for p in pools if p.members and not p.external]
    if not period.cuts_window or not staffed or RESOURCE not in events:
        return pools
    names = {m.name for p in staffed for m in p.members}
    window = recent(events, period)
    people = window[window[RESOURCE].isin(names)]
    arrivals = work_arrivals(events, people, timezone) if len(people) else {}
    recent_members = fit_members(people, timezone, arrivals, leave) if len(people) else {}
    out = []
    left_alone = []
    for pool in pools:
        if pool not in staffed:
            out.append(pool)
            continue
        members = [recent_members[m.name] for m in pool.members if m.name in recent_members]
        if not members:
            left_alone.append(pool.name)
            out.append(pool)
            continue
        hours = Calendar(
            weekdays=sorted({d for m in members for d in m.weekdays}),
            start_hour=min(m.start_hour for m in members),
            end_hour=max(m.end_hour for m in members),
            provenance=Provenance(source="log", detail="the union of its people's shifts"),
        )
        resized = pool.model_copy(
            update={"members": members, "size": len(members), "calendar": hours}
        )
        detail = (
            f"{len(members)} of its {len(pool.members)} people at work in the recent window, "
            f"{resized.capacity:.1f} at once on average over {hours.start_hour:g}:00-"
            f"{hours.end_hour:g}:00 on its working days"
        )
        out.append(
            resized.model_copy(update={"provenance": Provenance(source="log", detail=detail)})
        )
    if left_alone:
        notes.append(
            "teams with nobody at work in the recent window keep their fit over the whole "
            f"log: {', '.join(left_alone)}"
        )
    return out


def fingerprint_of(log: EventLog, period: Period) -> LogFingerprint:
    """The model's `created_from`: the log's hash and size, and the period the model stands
    for (the recent window of plausibly dated cases; the log's own period when the rules cut
    nothing). Simulations start from that period's first week, validation replays it."""
    found = fingerprint(log)
    if not period.dropped_cases and not period.cuts_window:
        return found
    start, end = _span(recent(log.events, period))
    return found.model_copy(
        update={"period_start": start.isoformat(), "period_end": end.isoformat()}
    )


def replay_from(params: ModelParams, log: EventLog) -> ModelParams:
    """The model as it replays `log` (validation): a model whose period starts long before
    the replayed log (fitted before the period rules, e.g. from 1948) starts with the log."""
    found = params.created_from
    if found is None or log.events.empty:
        return params
    start, end = _span(log.events)
    if pd.Timestamp(found.period_start) >= start - pd.Timedelta(days=7):
        return params
    update = {"period_start": start.isoformat(), "period_end": end.isoformat()}
    return params.model_copy(update={"created_from": found.model_copy(update=update)})


def _span(events: pd.DataFrame) -> tuple[pd.Timestamp, pd.Timestamp]:
    first = events[TIMESTAMP].min()
    if START in events and events[START].notna().any():
        first = min(first, events[START].min())
    return first, events[TIMESTAMP].max()
