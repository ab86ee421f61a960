"""Staff pools from who does what: teams of people, their shifts, and the systems beside them.

**Systems are not staff.** A resource is a system user (EDI gateway, mailbox, batch job,
carrier, bank import, shared interface login) when its name says so, when it works around
the clock (more than `ROUND_THE_CLOCK` of its events fall in the quietest eight hours of the
day, where any person sleeps), or when it completes events in batches (more than
`BATCH_SHARE` of its events share their second with another of its events), or when, with
logged start times, it works on `AT_ONCE` or more cases at once — the round-the-clock and
batch signals only while they set it apart: when most resources look so, the operation (or a generated
log) runs around the clock and they are people. Systems form
external pools: their steps never queue, and the time before them is a staff-free delay.

**Teams, not activities.** Each person's profile is the share of their events per activity
(and segment, when the study has segments, so a product-line team stays its own team);
profiles are grouped by average-linkage clustering on cosine distance, cut at
`CLUSTER_DISTANCE` (the log's `org:group` is used instead when it has one). A team serves
every activity its people do most of.

A login several people share (a warehouse terminal) shows in the same signal, only
weaker: its jobs overlap while a person's (the typical resource's) never do. Its work
counts for its team, but it adds no one to it.

**People and their working time.** Each person gets a shift fitted from their own events
in the study's time zone: the weekdays they work in at least `WEEKDAY_SHARE` of the weeks
they are in the log, their hours (a low quantile of their daily first event, less, without
start times, the work before it: the lower quartile of their gaps between events; to a high
quantile of their daily last event; in quarter hours), and their attendance (the share of
their working weekdays, while the company was open and work for them had come in since
their previous shift, on which they did anything: someone with nothing to do records
nothing, and a quiet day read as absence makes a small firm's model slower than the firm),
with the
lengths of their absences (runs of working days without an event: leave comes in blocks,
and a team short for two weeks queues as one short for single days does not) and by
calendar month when the log covers at least `SEASON_DAYS` (leave gathers in summer and at
the turn of the year: a team thin all of August tips into a backlog an evenly thinned one
never shows; each month's share is pulled toward the year's by `MONTH_PRIOR_DAYS` working
days, so a month seen on a few days says little). A daily break (lunch) is read from the
same events: a run
of quarter hours inside the shift in which the person records almost nothing (at most
`BREAK_DIP` of their typical quarter hour, from `BREAK_SLOTS` quarter hours long), when
there are enough events to tell a break from chance (`BREAK_MIN_PER_SLOT` a quarter hour);
nobody finishes work while at lunch, so a completion-only log shows it too. A team's capacity is the people at work at once over its
working window: part-timers and absences count as the share of the time they are there,
not as whole heads.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from l2csim.log import ACTIVITY, CASE, RESOURCE, START, TIMESTAMP
from l2csim.params import Calendar, LeavePlan, Member, Pool, Provenance

CLUSTER_DISTANCE = 0.5
WEEKDAY_SHARE = 0.3
SEASON_DAYS = 180  # a log this long shows the seasons of leave
MONTH_PRIOR_DAYS = 5.0
HOUR_QUANTILES = (0.1, 0.9)
# Without start times a day's first event is a completion: the shift began that event's work
# earlier. The lower quartile of the person's gaps between events stands for it (the median
# read busy people's shifts half an hour early; lower, a lightly loaded person's quiet
# start of the day reads as a late shift).
GAP_QUANTILE = 0.25
SLOT = 0.25  # hours: breaks are read in quarter hours
BREAK_DIP = 0.15
BREAK_SLOTS = (2, 8)  # from 30 minutes to 2 hours
BREAK_MIN_PER_SLOT = 8.0
MIN_SPELLS = 4  # absences of one person to use their own lengths (else everyone's)
MIN_PLAN_DAYS = 20  # working days the leave plan covers to read attendance besides it
# A working day tells whether someone was there only if work for them came in since their
# last shift ended, this long before the day's shift ends; with fewer such days than
# MIN_TELLING_DAYS every working day counts.
NEW_WORK_MARGIN_HOURS = 0.5
MIN_TELLING_DAYS = 20
ROUND_THE_CLOCK = 0.05
BATCH_SHARE = 0.5
MIN_EVENTS_TO_JUDGE = 20
OUTSIDE_SHARE = 0.25  # of a resource's events, for `system_users`' long-waits rule
MAX_ODD_SHARE = 0.5
AT_ONCE = 1.0
SHARED = 0.1  # other jobs open when one starts: a login several people share
PERSON_OVERLAP = 0.02  # ... in a log where a person's jobs (typically) never overlap
GROUP = "org:group"
UNASSIGNED = "unassigned"
SEGMENT = "_segment"
SYSTEM_WORDS = re.compile(
    r"(?i)(@|\b(edi|gateway|system|systems|batch|bot|robot|import|interface|api|automat\w*|"
    r"mailbox|inbox|scheduler|job|workflow|server|carrier|bank|portal|webshop|erp|sap|crm|"
    r"integration|service account|noreply|no-reply)\b)"
)


@dataclass(frozen=True)
class Staffing:
    """Pools, and which pool does each activity (overall, and per segment where it differs)."""

    pools: list[Pool]
    pool_of: dict[str, str]
    pool_by_segment: dict[str, dict[str, str]]
    activities_by_pool: dict[str, list[str]]
    systems: dict[str, str]  # system user -> why it is not a person
    members: dict[str, Member]  # person -> their fitted shift


def local_times(frame: pd.DataFrame, timezone: str) -> pd.Series:
    return frame[TIMESTAMP].dt.tz_convert(timezone)


def system_users(
    events: pd.DataFrame,
    timezone: str,
    waiting_steps: set[str] = frozenset(),
    long_waits: set[str] = frozenset(),
) -> dict[str, str]:
    """Resource -> reason, for the resources that are systems rather than people. A
    resource that only records the end of waiting steps, e.g. goods receipt, is one too, and
    so is one that only records steps a working day or more after the case's previous step
    (`long_waits`) when at least `OUTSIDE_SHARE` of its events end waits for someone outside
    and it logs no start times: in a small operation a goods receipt's stock arrivals are
    too few to show their random order, its production orders beside them do."""
    columns = [RESOURCE, TIMESTAMP, ACTIVITY, *([START] if START in events else [])]
    staffed = events.loc[events[RESOURCE].notna(), columns]
    if staffed.empty:
        return {}
    at_once = concurrency(staffed)
    only_waits = staffed.groupby(RESOURCE)[ACTIVITY].agg(
        lambda a: len(a) >= MIN_EVENTS_TO_JUDGE and a.isin(list(waiting_steps)).all()
    )
    # Only where the resource logs no start times: one that logs when it began works.
    started = (
        staffed[START].notna().groupby(staffed[RESOURCE]).any()
        if START in staffed
        else pd.Series(dtype=bool)
    )
    only_long = staffed.groupby(RESOURCE)[ACTIVITY].agg(
        lambda a: (
            len(a) >= MIN_EVENTS_TO_JUDGE
            and a.isin(list(long_waits)).all()
            and a.isin(list(waiting_steps)).mean() >= OUTSIDE_SHARE
        )
    ) & ~started.reindex(staffed[RESOURCE].unique(), fill_value=False)
    local = local_times(staffed, timezone)
    hours = (local.dt.hour + local.dt.minute / 60.0).to_numpy()
    frame = pd.DataFrame(
        {"r": staffed[RESOURCE].astype(str).to_numpy(), "h": hours, "t": staffed[TIMESTAMP]}
    )
    found: dict[str, str] = {}
    odd: dict[str, str] = {}
    judged = 0
    for resource, rows in frame.groupby("r", sort=True):
        if SYSTEM_WORDS.search(resource):
            found[resource] = "its name says it is a system, gateway or outside party"
            continue
        if waiting_steps and bool(only_waits.get(resource, False)):
            found[resource] = "it only records the end of waits for someone outside"
            continue
        if long_waits and bool(only_long.get(resource, False)):
            found[resource] = (
                "it only records steps a working day or more after the order's previous "
                "step, a quarter or more of them waits for someone outside"
            )
            continue
        if at_once.get(resource, 0.0) >= AT_ONCE:
            found[resource] = (
                f"it works on {at_once[resource]:.1f} cases at once on average (logged start "
                "and end times): no person does"
            )
            continue
        if len(rows) < MIN_EVENTS_TO_JUDGE:
            continue
        judged += 1
        counts = np.bincount(rows["h"].astype(int).to_numpy() % 24, minlength=24)
        doubled = np.concatenate([counts, counts])
        quietest = min(doubled[i : i + 8].sum() for i in range(24)) / len(rows)
        if quietest > ROUND_THE_CLOCK:
            odd[resource] = (
                f"works around the clock ({quietest:.0%} of its events in the quietest 8 hours)"
            )
            continue
        shared = rows["t"].duplicated(keep=False).mean()
        if shared > BATCH_SHARE:
            odd[resource] = f"completes events in batches ({shared:.0%} share a second)"
    # Around the clock or in batches sets a resource apart only where people do not: in a
    # round-the-clock operation (or a generated log) everyone would look like a system.
    if judged and len(odd) <= MAX_ODD_SHARE * judged:
        found.update(odd)
    return found


def concurrency(events: pd.DataFrame) -> dict[str, float]:
    """Per resource, with logged start times: how many of its other jobs are open, on
    average, when one of its jobs starts (a person: about 0)."""
    if START not in events or not events[START].notna().any():
        return {}
    out = {}
    for resource, rows in events.groupby(RESOURCE, sort=True):
        begun = rows[START].fillna(rows[TIMESTAMP]).to_numpy()
        starts, ends = np.sort(begun), np.sort(rows[TIMESTAMP].to_numpy())
        open_then = (
            np.searchsorted(starts, begun, side="right")
            - np.searchsorted(ends, begun, side="right")
            - 1
        )
        out[str(resource)] = float(np.mean(open_then)) if len(open_then) else 0.0
    return out


def shared_logins(people: pd.DataFrame) -> set[str]:
    """Logins several people share (a terminal, a team account): with logged start and end
    times, their jobs overlap (`SHARED` or more other jobs open at a start) in a log where
    a person's typically never do. Their work counts for their team, but they add no one to
    it: the people behind them are in the team already, or the team is undercounted and
    calibration says so."""
    at_once = concurrency(people)
    if len(at_once) < 3 or float(np.median(list(at_once.values()))) >= PERSON_OVERLAP:
        return set()
    return {r for r, value in at_once.items() if SHARED <= value < AT_ONCE}


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
        from scipy.cluster.hierarchy import fcluster, linkage  # only here: slow to import

        labels = fcluster(
            linkage(shares, method="average", metric="cosine"),
            t=CLUSTER_DISTANCE,
            criterion="distance",
        )
    return pd.Series(labels, index=profile.index).astype(str)


def fit_staffing(
    events: pd.DataFrame,
    case_segment: pd.Series,
    timezone: str,
    waiting_steps: set[str] = frozenset(),
    long_waits: set[str] = frozenset(),
    leave: LeavePlan | None = None,
) -> Staffing:
    """Teams, systems and their activities; events without a resource go to 'unassigned'.
    `long_waits`: steps a working day or more after the case's previous one at the median
    (`waiting.step_waits`); `leave`: the study's leave plan (`fit_members`)."""
    frame = events
    if RESOURCE not in frame:
        frame = frame.assign(**{RESOURCE: None})
    frame = frame.assign(**{SEGMENT: case_segment.reindex(frame[CASE]).to_numpy()})
    systems = system_users(frame, timezone, waiting_steps, long_waits)
    is_system = frame[RESOURCE].isin(list(systems))
    people = frame.loc[frame[RESOURCE].notna() & ~is_system]
    machines = frame.loc[is_system]
    groups = pd.concat(
        [
            resource_groups(people).radd("team-") if len(people) else pd.Series(dtype=object),
            resource_groups(machines).radd("system-") if len(machines) else pd.Series(dtype=object),
        ]
    )
    group = frame[RESOURCE].map(groups).fillna(UNASSIGNED)
    names = _pool_names(frame.assign(_group=group))
    frame = frame.assign(_pool=group.map(names))
    shared = shared_logins(people)
    own = people.loc[~people[RESOURCE].astype(str).isin(shared)]
    members = fit_members(own, timezone, work_arrivals(events, own, timezone), leave)
    external = {names[g] for g in groups.unique() if str(g).startswith("system-")}
    pools = [
        _pool(name, rows, timezone, members, external=name in external)
        for name, rows in frame.groupby("_pool", sort=True)
    ]
    # Each activity is done by the pool doing most of it; people before systems, so an
    # activity a system does for some orders (EDI intake) and staff for others (keying in a
    # phone order) is the staff's work, and the system's share costs no staff time.
    staffed = frame.assign(_system=frame["_pool"].isin(external))
    top = (
        staffed.groupby([ACTIVITY, "_system", "_pool"], sort=True).size().rename("n").reset_index()
        .sort_values(["_system", "n", "_pool"], ascending=[True, False, True], kind="stable")
        .drop_duplicates(ACTIVITY).set_index(ACTIVITY)["_pool"]
    )  # fmt: skip
    by_segment = (
        staffed.groupby([ACTIVITY, SEGMENT, "_system", "_pool"], sort=True).size()
        .rename("n").reset_index()
        .sort_values(["_system", "n", "_pool"], ascending=[True, False, True], kind="stable")
        .drop_duplicates([ACTIVITY, SEGMENT])
    )  # fmt: skip
    pool_by_segment: dict[str, dict[str, str]] = {}
    for row in by_segment.sort_values([ACTIVITY, SEGMENT]).itertuples(index=False):
        activity, segment, chosen = row[0], row[1], row[3]
        if chosen != top[activity]:
            pool_by_segment.setdefault(str(activity), {})[str(segment)] = str(chosen)
    done = frame.groupby("_pool", sort=True)[ACTIVITY].agg(lambda a: sorted({str(x) for x in a}))
    return Staffing(
        pools=pools,
        pool_of={str(a): str(p) for a, p in top.sort_index().items()},
        pool_by_segment=pool_by_segment,
        activities_by_pool={str(p): list(a) for p, a in done.items()},
        systems=systems,
        members=members,
    )


def external_pools(staffing: Staffing, outside: list[str]) -> list[str]:
    """Pools that never run short of capacity: systems and outside parties, and pools that
    only do what happens outside the company (order intake, delivery, by the study's roles).

    Activity names are compared case- and space-insensitively, so a variant such as
    "order  received" written by the same EDI gateway still counts as intake.
    """
    wanted = {_normal(a) for a in outside}
    return [
        pool.name
        for pool in staffing.pools
        if pool.name != UNASSIGNED
        and (
            pool.external
            or (
                wanted and all(_normal(a) in wanted for a in staffing.activities_by_pool[pool.name])
            )
        )
    ]


def _normal(name: str) -> str:
    return " ".join(name.lower().split())


def _pool_names(frame: pd.DataFrame) -> dict[str, str]:
    """Readable pool names: the group's most frequent activity (and segment when it has one)."""
    if GROUP in frame and frame[GROUP].notna().all():
        return {g: str(g).removeprefix("team-") for g in sorted(frame["_group"].unique())}
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
        if str(group).startswith("system-"):
            name = f"{name} (systems)"
        base, number = name, 2
        while name in taken:
            name, number = f"{base} {number}", number + 1
        taken.add(name)
        names[group] = name
    return names


def fit_members(
    people: pd.DataFrame,
    timezone: str,
    arrivals: dict[str, np.ndarray] | None = None,
    leave: LeavePlan | None = None,
) -> dict[str, Member]:
    """Each person's weekly shift and attendance from their own events (see the module).
    `arrivals` (`work_arrivals`): per person, when work for them came in; a working day
    with none since their last shift tells nothing of whether they were there. `leave`:
    the study's leave plan; on the days it covers, attendance besides planned leave."""
    if people.empty:
        return {}
    local_end = local_times(people, timezone)
    local_start = local_end
    if START in people and people[START].notna().any():
        local_start = people[START].fillna(people[TIMESTAMP]).dt.tz_convert(timezone)
    frame = pd.DataFrame(
        {
            "who": people[RESOURCE].astype(str).to_numpy(),
            "day": local_end.dt.tz_localize(None).dt.normalize().to_numpy(),
            "start": _clock_hours(local_start),
            "end": _clock_hours(local_end),
        }
    )
    open_days = set(frame["day"].unique())  # days the company worked at all
    seasons = (max(open_days) - min(open_days)) / pd.Timedelta(days=1) >= SEASON_DAYS
    daily = frame.groupby(["who", "day"], sort=True).agg(
        first=("start", "min"), last=("end", "max"), n=("end", "size")
    )
    ordered = frame.sort_values(["who", "day", "end"], kind="stable")
    gaps = ordered.groupby(["who", "day"])["end"].diff()
    first_work = gaps.groupby(ordered["who"]).quantile(GAP_QUANTILE).fillna(0.5)
    has_start = local_start is not local_end
    hours = frame["end"] if not has_start else pd.concat([frame["end"], frame["start"]])
    owner = frame["who"] if not has_start else pd.concat([frame["who"], frame["who"]])
    event_clock = {str(w): h.to_numpy() for w, h in hours.groupby(owner.to_numpy(), sort=False)}
    members: dict[str, Member] = {}
    spells: dict[str, list[int]] = {}
    unplanned_spells: dict[str, list[int]] = {}
    for who, days in daily.groupby(level="who", sort=True):
        dates = pd.DatetimeIndex(days.index.get_level_values("day"))
        weeks = max(1, (dates.max() - dates.min()).days // 7 + 1)
        per_weekday = np.bincount(dates.weekday, minlength=7)
        weekdays = [d for d in range(7) if per_weekday[d] >= WEEKDAY_SHARE * weeks]
        if not weekdays:
            weekdays = [int(np.argmax(per_weekday))]
        # A day's first start is the shift's start or a little after it (rounded down); a
        # first completion less its work is as likely before the start as after (nearest).
        gap = 0.0 if has_start else float(first_work.get(who, 0.5))
        rounding = np.floor if has_start else np.round
        start = _quarter(np.quantile(days["first"], HOUR_QUANTILES[0]) - gap, rounding)
        end = _quarter(np.quantile(days["last"], HOUR_QUANTILES[1]), np.ceil)
        if end <= start:
            start, end = max(0.0, start - 1.0), min(24.0, end + 1.0)
            if end <= start:  # first events late, last ones early: a shift across midnight
                start, end = 0.0, 24.0
        span = pd.date_range(dates.min(), dates.max(), freq="D")
        possible = [d for d in span if d.weekday() in weekdays and d in open_days]
        present = set(dates)
        telling = days_with_new_work(possible, (arrivals or {}).get(str(who)), end)
        attendance = (
            min(1.0, sum(1 for d in telling if d in present) / len(telling)) if telling else 1.0
        )
        spells[str(who)] = absence_runs(telling, present)
        monthly = monthly_attendance(telling, present, attendance) if seasons else []
        unplanned = None
        if leave is not None and leave.first is not None:
            planned = {pd.Timestamp(d) for d in leave.days.get(str(who), [])}
            covered = [d for d in telling if leave.covers(d.date()) and d not in planned]
            if len(covered) >= MIN_PLAN_DAYS:
                at_work = sum(1 for d in covered if d in present)
                unplanned = round(max(min(1.0, at_work / len(covered)), 0.05), 4)
                unplanned_spells[str(who)] = absence_runs(covered, present)
        clock = event_clock[str(who)]
        pause = daily_break(clock, start, end)
        detail = (
            f"{len(dates):,} days with events over {weeks} weeks; hours from daily "
            f"first and last events ({HOUR_QUANTILES[0]:.0%}-{HOUR_QUANTILES[1]:.0%})"
        )
        if len(telling) < len(possible):
            detail += (
                f"; at work on {attendance:.0%} of the {len(telling):,} of their "
                f"{len(possible):,} working days on which work for them came in (a day "
                "without any tells nothing)"
            )
        if pause is not None:
            detail += f"; a break {_clock(pause[0])}-{_clock(pause[1])} (no events then)"
        if monthly:
            thinnest = int(np.argmin(monthly))
            detail += (
                f"; at work by calendar month as in the log (fewest in "
                f"{MONTHS[thinnest]}: {monthly[thinnest]:.0%} of working days)"
            )
        if unplanned is not None:
            detail += (
                f"; where the study's leave plan covers, at work on {unplanned:.0%} of their "
                "days besides their planned leave (forecasts keep them away on those)"
            )
        elif leave is not None and leave.first is not None:
            detail += (
                "; the leave plan covers too few of their days in the log to tell their "
                "attendance besides it, so in forecasts their planned leave comes on top of it"
            )
        members[str(who)] = Member(
            name=str(who),
            weekdays=weekdays,
            start_hour=start,
            end_hour=end,
            break_start=pause[0] if pause else None,
            break_end=pause[1] if pause else None,
            attendance=round(max(attendance, 0.05), 4),
            monthly_attendance=monthly,
            unplanned_attendance=unplanned,
            provenance=Provenance(source="log", detail=detail),
        )
    pooled = sorted(d for runs in spells.values() for d in runs)
    pooled_unplanned = sorted(d for runs in unplanned_spells.values() for d in runs)
    for who, own in unplanned_spells.items():
        member = members[who]
        runs = sorted(own) if len(own) >= MIN_SPELLS else pooled_unplanned
        if member.unplanned_attendance is not None and member.unplanned_attendance < 1.0:
            members[who] = member.model_copy(update={"unplanned_spells": runs})
    for who, member in members.items():
        own = spells.get(who, [])
        runs = sorted(own) if len(own) >= MIN_SPELLS else pooled
        if member.attendance >= 1.0 or not runs:
            continue
        whose = "their own" if runs is not pooled else "everyone's (too few of their own)"
        detail = (
            f"{member.provenance.detail}; absent in blocks of {whose} lengths "
            f"({len(runs)} absences, {min(runs)}-{max(runs)} working days, "
            f"mean {sum(runs) / len(runs):.1f})"
        )
        members[who] = member.model_copy(
            update={
                "absence_spells": runs,
                "provenance": Provenance(source="log", detail=detail),
            }
        )
    return members


def work_arrivals(events: pd.DataFrame, people: pd.DataFrame, timezone: str) -> dict:
    """Per person, the sorted local times (naive) at which work of the activities they do
    came in: the previous event of the same case, whoever did it (`events` sorted by case
    and time, as the fit has them). A person with nothing to do records nothing, which is
    no sign of absence (`days_with_new_work`)."""
    if CASE not in events or ACTIVITY not in events or ACTIVITY not in people or events.empty:
        return {}
    same_case = events[CASE].eq(events[CASE].shift())
    ready = events[TIMESTAMP].shift().where(same_case)
    local = ready.dt.tz_convert(timezone).dt.tz_localize(None)
    by_activity = {
        str(a): t.dropna().to_numpy() for a, t in local.groupby(events[ACTIVITY].to_numpy())
    }
    out = {}
    for who, done in people.groupby(RESOURCE, sort=True)[ACTIVITY].unique().items():
        parts = [by_activity[str(a)] for a in done if str(a) in by_activity]
        if parts:
            out[str(who)] = np.sort(np.concatenate(parts))
    return out


def days_with_new_work(possible: list, arrivals: np.ndarray | None, shift_end: float) -> list:
    """The working days (`possible`, in order) on which work for the person came in after
    their previous working day's shift ended and `NEW_WORK_MARGIN_HOURS` before this day's
    ends: the days on which having recorded nothing says they were away. Every working day
    when arrivals are unknown or too few days tell."""
    if arrivals is None or not len(arrivals) or not possible:
        return possible
    days = pd.DatetimeIndex(possible)
    end = pd.Timedelta(hours=shift_end)
    previous = days.insert(0, days[0] - pd.Timedelta(days=1))[:-1]
    low = np.searchsorted(arrivals, (previous + end).to_numpy(), side="right")
    high = np.searchsorted(
        arrivals, (days + end - pd.Timedelta(hours=NEW_WORK_MARGIN_HOURS)).to_numpy(), side="right"
    )
    telling = [day for day, new in zip(possible, high > low, strict=True) if new]
    return telling if len(telling) >= MIN_TELLING_DAYS else possible


MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def monthly_attendance(working_days: list, present: set, attendance: float) -> list[float]:
    """Per calendar month (January first), the share of the person's working days on
    which they were at work, pulled toward `attendance` by `MONTH_PRIOR_DAYS` days (a month
    the log does not show is `attendance`)."""
    days = np.zeros(12)
    here = np.zeros(12)
    for day in working_days:
        days[day.month - 1] += 1
        here[day.month - 1] += day in present
    shares = (here + MONTH_PRIOR_DAYS * attendance) / (days + MONTH_PRIOR_DAYS)
    return [round(float(min(1.0, max(share, 0.05))), 4) for share in shares]


def absence_runs(working_days: list, present: set) -> list[int]:
    """Lengths (in working days) of the runs of working days without an event."""
    runs, current = [], 0
    for day in working_days:
        if day in present:
            if current:
                runs.append(current)
            current = 0
        else:
            current += 1
    if current:
        runs.append(current)
    return runs


def daily_break(clock: np.ndarray, start: float, end: float) -> tuple[float, float] | None:
    """The person's daily break (start, end hours) from the clock hours of their events:
    the longest run of quarter hours, an hour or more inside the shift, holding at most
    `BREAK_DIP` of their median quarter hour; None when there is none or too few events."""
    first, last = start + 1.0, end - 1.0
    slots = round((last - first) / SLOT)
    if slots < BREAK_SLOTS[0] + 2:
        return None
    inside = clock[(clock >= first) & (clock < first + slots * SLOT)]
    counts = np.bincount(((inside - first) // SLOT).astype(int), minlength=slots)[:slots]
    typical = float(np.median(counts))
    if typical < BREAK_MIN_PER_SLOT:
        return None
    quiet = counts <= BREAK_DIP * typical
    best: tuple[int, int] | None = None
    i = 0
    while i < slots:
        if not quiet[i]:
            i += 1
            continue
        j = i
        while j < slots and quiet[j]:
            j += 1
        if BREAK_SLOTS[0] <= j - i <= BREAK_SLOTS[1] and (
            best is None or j - i > best[1] - best[0]
        ):
            best = (i, j)
        i = j
    if best is None:
        return None
    return first + best[0] * SLOT, first + best[1] * SLOT


def _clock(hours: float) -> str:
    return f"{int(hours):02d}:{round(hours % 1 * 60):02d}"


def _pool(
    name: str, rows: pd.DataFrame, timezone: str, members: dict[str, Member], external: bool
) -> Pool:
    resources = sorted(str(r) for r in rows[RESOURCE].dropna().unique())
    people = [members[r] for r in resources if r in members]
    if external or not people:
        calendar = fit_calendar(rows, timezone)
        source = "log" if resources else "default"
        detail = (
            f"systems or outside parties ({', '.join(resources)}): never short of capacity"
            if resources
            else "events without a resource"
        )
        return Pool(
            name=name,
            size=max(1, len(resources)) if not external else len(resources),
            calendar=calendar,
            resources=resources,
            provenance=Provenance(source=source, detail=detail),
            external=external,
        )
    weekdays = sorted({d for m in people for d in m.weekdays})
    window = Calendar(
        weekdays=weekdays,
        start_hour=min(m.start_hour for m in people),
        end_hour=max(m.end_hour for m in people),
        provenance=Provenance(source="log", detail="the union of its people's shifts"),
    )
    pool = Pool(
        name=name,
        size=len(people),
        calendar=window,
        members=people,
        resources=resources,
        provenance=Provenance(source="log", detail=""),
    )
    detail = (
        f"{len(people)} people, {pool.capacity:.1f} at work at once on average over "
        f"{window.start_hour:g}:00-{window.end_hour:g}:00 on its working days"
    )
    return pool.model_copy(update={"provenance": Provenance(source="log", detail=detail)})


def fit_calendar(members: pd.DataFrame, timezone: str) -> Calendar:
    """Working weekdays and hours of a set of events (systems, or a pool without people)."""
    local_end = members[TIMESTAMP].dt.tz_convert(timezone)
    local_start = local_end
    if START in members and members[START].notna().any():
        local_start = members[START].fillna(members[TIMESTAMP]).dt.tz_convert(timezone)
    counts = np.bincount(local_end.dt.weekday.to_numpy(), minlength=7)
    weekdays = [int(d) for d in range(7) if counts[d] >= 0.2 * counts.max()]
    start = _quarter(np.quantile(_clock_hours(local_start), 0.05), np.floor)
    end = _quarter(np.quantile(_clock_hours(local_end), 0.95), np.ceil)
    detail = (
        f"{len(members):,} events: weekdays with >= 20% of the busiest day's events, "
        "hours 5%-95% quantiles"
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
