"""Staff pools from who does what: resources grouped by their activity profile.

Each resource's profile is the share of its events per activity (per activity and segment
when the study has segments, so a team that keys in only one product line's orders stays
its own pool). Profiles are grouped by average-linkage hierarchical clustering on cosine
distance, cut at `CLUSTER_DISTANCE`; when the log has a group column (`org:group`) that
grouping is used instead. Each activity is done by the pool that performs most of its
events, per segment where that differs.

A pool's size is the median number of its distinct resources active on a day it works
(people on leave or part-time lower it, as they lower real capacity). Its calendar: the
weekdays that carry at least `WEEKDAY_SHARE` of the busiest weekday's events, and the hours
between the 5 % quantile of local start (or completion) times and the 95 % quantile of local
completion times, rounded to quarter hours, in the study's time zone.

A pool is external (an outside party or system that never runs short of capacity: EDI
gateway, order mailbox, carrier) when everything it does is order intake or delivery by the
study's roles; its steps then carry no work time, and the waiting before them (carrier
transit, say) becomes a staff-free delay (see durations.fit_delays).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.cluster.hierarchy import fcluster, linkage

from l2csim.log import ACTIVITY, CASE, RESOURCE, START, TIMESTAMP
from l2csim.params import Calendar, Pool, Provenance

CLUSTER_DISTANCE = 0.5
WEEKDAY_SHARE = 0.2
HOUR_QUANTILES = (0.05, 0.95)
GROUP = "org:group"
UNASSIGNED = "unassigned"
SEGMENT = "_segment"


@dataclass(frozen=True)
class Staffing:
    """Pools, and which pool does each activity (overall, and per segment where it differs)."""

    pools: list[Pool]
    pool_of: dict[str, str]
    pool_by_segment: dict[str, dict[str, str]]
    activities_by_pool: dict[str, list[str]]


def resource_groups(events: pd.DataFrame) -> pd.Series:
    """Resource → group label: the log's org:group when present, else profile clusters."""
    staffed = events.loc[events[RESOURCE].notna()]
    if GROUP in staffed and staffed[GROUP].notna().all():
        return staffed.groupby(RESOURCE, sort=True)[GROUP].agg(lambda g: g.mode().iloc[0])
    keys = [ACTIVITY, SEGMENT] if SEGMENT in staffed else [ACTIVITY]
    profile = pd.crosstab(staffed[RESOURCE], [staffed[k] for k in keys]).sort_index()
    shares = profile.div(profile.sum(axis=1), axis=0).to_numpy(dtype=float)
    if len(shares) == 1:
        labels = np.array([1])
    else:
        labels = fcluster(
            linkage(shares, method="average", metric="cosine"),
            t=CLUSTER_DISTANCE,
            criterion="distance",
        )
    return pd.Series(labels, index=profile.index).astype(str)


def fit_staffing(events: pd.DataFrame, case_segment: pd.Series, timezone: str) -> Staffing:
    """Pools and their activities; events without a resource go to an 'unassigned' pool."""
    frame = events
    if RESOURCE not in frame:
        frame = frame.assign(**{RESOURCE: None})
    frame = frame.assign(**{SEGMENT: case_segment.reindex(frame[CASE]).to_numpy()})
    groups = resource_groups(frame) if frame[RESOURCE].notna().any() else pd.Series(dtype=object)
    group = frame[RESOURCE].map(groups).fillna(UNASSIGNED)
    names = _pool_names(frame.assign(_group=group))
    pool = group.map(names)
    frame = frame.assign(_pool=pool)

    pools = [_pool(name, members, timezone) for name, members in frame.groupby("_pool", sort=True)]
    top = (
        frame.groupby([ACTIVITY, "_pool"], sort=True).size().rename("n").reset_index()
        .sort_values(["n", "_pool"], ascending=[False, True], kind="stable")
        .drop_duplicates(ACTIVITY).set_index(ACTIVITY)["_pool"]
    )  # fmt: skip
    by_segment = (
        frame.groupby([ACTIVITY, SEGMENT, "_pool"], sort=True).size().rename("n").reset_index()
        .sort_values(["n", "_pool"], ascending=[False, True], kind="stable")
        .drop_duplicates([ACTIVITY, SEGMENT])
    )  # fmt: skip
    pool_by_segment: dict[str, dict[str, str]] = {}
    for row in by_segment.sort_values([ACTIVITY, SEGMENT]).itertuples(index=False):
        activity, segment, chosen = row[0], row[1], row[2]
        if chosen != top[activity]:
            pool_by_segment.setdefault(str(activity), {})[str(segment)] = str(chosen)
    done = frame.groupby("_pool", sort=True)[ACTIVITY].agg(lambda a: sorted({str(x) for x in a}))
    return Staffing(
        pools=pools,
        pool_of={str(a): str(p) for a, p in top.sort_index().items()},
        pool_by_segment=pool_by_segment,
        activities_by_pool={str(p): list(a) for p, a in done.items()},
    )


def external_pools(staffing: Staffing, outside: list[str]) -> list[str]:
    """Pools that only do what happens outside the company (order intake, delivery).

    Activity names are compared case- and space-insensitively, so a variant such as
    "order  received" written by the same EDI gateway still counts as intake.
    """
    wanted = {_normal(a) for a in outside}
    return [
        pool
        for pool, activities in sorted(staffing.activities_by_pool.items())
        if pool != UNASSIGNED and wanted and all(_normal(a) in wanted for a in activities)
    ]


def _normal(name: str) -> str:
    return " ".join(name.lower().split())


def _pool_names(frame: pd.DataFrame) -> dict[str, str]:
    """Readable pool names: the group's most frequent activity (and segment when it has one)."""
    if GROUP in frame and frame[GROUP].notna().all():
        return {g: str(g) for g in sorted(frame["_group"].unique())}
    names: dict[str, str] = {}
    taken: set[str] = set()
    for group, members in frame.groupby("_group", sort=True):
        if group == UNASSIGNED:
            names[group] = UNASSIGNED
            continue
        activity = members[ACTIVITY].value_counts().sort_index().idxmax()
        segments = members[SEGMENT].value_counts(normalize=True)
        name = str(activity)
        if frame[SEGMENT].nunique() > 1 and segments.max() >= 0.8:
            name = f"{activity} / {segments.sort_index().idxmax()}"
        base, number = name, 2
        while name in taken:
            name, number = f"{base} {number}", number + 1
        taken.add(name)
        names[group] = name
    return names


def _pool(name: str, members: pd.DataFrame, timezone: str) -> Pool:
    resources = sorted(str(r) for r in members[RESOURCE].dropna().unique())
    local_end = members[TIMESTAMP].dt.tz_convert(timezone)
    active = members.assign(_day=local_end.dt.normalize()).dropna(subset=[RESOURCE])
    if len(active):
        per_day = active.groupby("_day")[RESOURCE].nunique()
        size = max(1, round(float(per_day.median())))
        detail = (
            f"median distinct resources active per working day over {len(per_day):,} days "
            f"({len(resources)} resources)"
        )
        provenance = Provenance(source="log", detail=detail)
    else:
        size = 1
        provenance = Provenance(source="default", detail="events without a resource")
    return Pool(
        name=name,
        size=size,
        calendar=fit_calendar(members, timezone),
        resources=resources,
        provenance=provenance,
    )


def fit_calendar(members: pd.DataFrame, timezone: str) -> Calendar:
    """Working weekdays and hours of a pool from its events' local times."""
    local_end = members[TIMESTAMP].dt.tz_convert(timezone)
    local_start = local_end
    if START in members and members[START].notna().any():
        local_start = members[START].fillna(members[TIMESTAMP]).dt.tz_convert(timezone)
    counts = np.bincount(local_end.dt.weekday.to_numpy(), minlength=7)
    weekdays = [int(d) for d in range(7) if counts[d] >= WEEKDAY_SHARE * counts.max()]
    start = _quarter(np.quantile(_clock_hours(local_start), HOUR_QUANTILES[0]), np.floor)
    end = _quarter(np.quantile(_clock_hours(local_end), HOUR_QUANTILES[1]), np.ceil)
    detail = (
        f"{len(members):,} events: weekdays with >= {WEEKDAY_SHARE:.0%} of the busiest "
        f"day's events, hours {HOUR_QUANTILES[0]:.0%}-{HOUR_QUANTILES[1]:.0%} quantiles"
    )
    if end <= start:
        start, end = 0.0, 24.0
    return Calendar(
        weekdays=weekdays,
        start_hour=start,
        end_hour=end,
        provenance=Provenance(source="log", detail=detail),
    )


def _clock_hours(local: pd.Series) -> np.ndarray:
    return (local.dt.hour + local.dt.minute / 60 + local.dt.second / 3600).to_numpy(dtype=float)


def _quarter(hours: float, rounding) -> float:
    return float(min(24.0, max(0.0, rounding(hours * 4) / 4)))
