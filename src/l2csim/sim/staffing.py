"""Staffing: the people of each pool under a policy, as plain data.

The fitted model lists each pool's members with their shifts and attendance (a pool written
by hand has `size` people on its calendar). A policy adds people (each works the team's most
common shift at its median attendance: a stated assumption, shown in the run's notes), sets
a pool's size (keeping the first members, adding typical ones), moves everyone to another
calendar, or sets up a dedicated team for some tiers (taking its people from the pool or
hiring them). Each person keeps an index within the pool, so the same person meets the same
absence draws in every scenario (common random numbers).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from statistics import median

from l2csim.params import Calendar, Member, Pool, Provenance
from l2csim.policy import Staffing

ADDED = Provenance(source="default", detail="added by the policy: the team's most common shift")


@dataclass(frozen=True)
class Team:
    """A pool as simulated: its people (with their indices for the random streams)."""

    name: str
    members: tuple[Member, ...]
    person_index: tuple[int, ...]  # each person's stream index within the fitted pool
    calendar: Calendar  # the team's overall working window
    external: bool
    source: str  # the fitted pool whose streams the people use


def members_of(pool: Pool) -> list[Member]:
    """The pool's people: its fitted members, or `size` people on its calendar."""
    if pool.members:
        return list(pool.members)
    calendar = pool.calendar
    return [
        Member(
            name=f"{pool.name} #{i + 1}",
            weekdays=list(calendar.weekdays),
            start_hour=calendar.start_hour,
            end_hour=calendar.end_hour,
            provenance=calendar.provenance,
        )
        for i in range(pool.size)
    ]


def typical_member(pool: Pool, name: str) -> Member:
    """A new person: the team's most common shift at its median attendance (by month too)."""
    members = members_of(pool)
    if not members:
        calendar = pool.calendar
        return Member(
            name=name,
            weekdays=list(calendar.weekdays),
            start_hour=calendar.start_hour,
            end_hour=calendar.end_hour,
            provenance=ADDED,
        )
    no_break = -1.0  # sorts before any hour
    shifts = Counter(
        (
            tuple(m.weekdays),
            m.start_hour,
            m.end_hour,
            no_break if m.break_start is None else m.break_start,
            no_break if m.break_end is None else m.break_end,
        )
        for m in members
    )
    (weekdays, start, end, rest, back), _ = min(shifts.items(), key=lambda kv: (-kv[1], kv[0]))
    attendance = median(m.attendance for m in members)
    seasonal = [m.monthly_attendance for m in members if m.monthly_attendance]
    monthly = [median(months) for months in zip(*seasonal, strict=True)] if seasonal else []
    return Member(
        name=name,
        weekdays=list(weekdays),
        start_hour=start,
        end_hour=end,
        break_start=None if rest == no_break else rest,
        break_end=None if back == no_break else back,
        attendance=attendance,
        absence_spells=sorted(d for m in members for d in m.absence_spells),
        monthly_attendance=monthly,
        provenance=ADDED,
    )


def teams(pools: list[Pool], staffing: Staffing) -> list[Team]:
    """Every pool's people after the policy's staffing changes (and dedicated teams)."""
    dedicated = staffing.dedicated_account_managers
    out: list[Team] = []
    for pool in pools:
        fitted = members_of(pool)
        members, index = list(fitted), list(range(len(fitted)))
        change = staffing.pools.get(pool.name)
        calendar = pool.calendar
        if change is not None:
            target = max((len(fitted) if change.size is None else change.size) + change.add, 0)
            members, index = members[:target], index[:target]
            for added in range(target - len(members)):
                members.append(typical_member(pool, f"{pool.name} (added {added + 1})"))
                index.append(len(fitted) + added)
            if change.calendar is not None:
                calendar = change.calendar
                members = [_on_calendar(m, calendar) for m in members]
        extra: list[Team] = []
        if dedicated is not None and dedicated.pool == pool.name:
            if dedicated.take_from_pool:
                own, own_index = members[: dedicated.size], index[: dedicated.size]
                members, index = members[dedicated.size :], index[dedicated.size :]
            else:
                own = [
                    typical_member(pool, f"{pool.name} (dedicated {i + 1})")
                    for i in range(dedicated.size)
                ]
                own_index = [len(fitted) + 1000 + i for i in range(dedicated.size)]
            name = dedicated_name(dedicated)
            extra.append(Team(name, tuple(own), tuple(own_index), calendar, False, pool.name))
        team = Team(pool.name, tuple(members), tuple(index), calendar, pool.external, pool.name)
        out += [team, *extra]
    return out


def dedicated_name(dedicated) -> str:
    return f"{dedicated.pool} (dedicated: {', '.join(dedicated.tiers)})"


def _on_calendar(member: Member, calendar: Calendar) -> Member:
    return member.model_copy(
        update={
            "weekdays": list(calendar.weekdays),
            "start_hour": calendar.start_hour,
            "end_hour": calendar.end_hour,
        }
    )
