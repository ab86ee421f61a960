"""Planned leave: who is away on which days, as the company's own calendar says (`calendar.leave`).

A log shows that someone did nothing on a day, never why, and it shows only the past: a
model fitted on a log that ends in July knows nothing of August's holidays, when a team of
nine is short by three for weeks and the backlog doubles. The company knows; the study
states it in a CSV, one row per block of leave (`person`, `first_day`, `last_day`, both
days included). The plan is taken as complete from its earliest to its latest day; there
the fit reads each person's attendance besides their planned leave (`staff.fit_members`)
and the simulation keeps them away on their planned days (`sim.calendars.presence`).
"""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import pandas as pd

from l2csim.errors import InputError
from l2csim.log import RESOURCE
from l2csim.output import read_csv_table
from l2csim.params import LeavePlan, Provenance

COLUMNS = ("person", "first_day", "last_day")
MAX_BLOCK_DAYS = 366  # a longer block is a typo in a date, not leave


def read_leave_plan(path: Path, key: str = "calendar.leave") -> LeavePlan:
    """The plan in `path`: per person, the days of their planned leave, and the span the
    plan covers. One clear error for a missing file, a missing column, a bad date."""
    if not path.is_file():
        raise InputError(f"{path}: leave plan not found ({key}); give the CSV or drop the key.")
    try:
        table = read_csv_table(path, dtype=str, keep_default_na=False, sep=None, engine="python")
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError, csv.Error) as e:
        raise InputError(f"{path}: not a readable CSV ({e}) ({key}).") from None
    table = table.rename(columns=lambda c: str(c).strip().lower())
    missing = [c for c in COLUMNS if c not in table.columns]
    if missing:
        raise InputError(
            f"{path}: no column {', '.join(missing)} ({key}); columns are "
            f"{', '.join(map(str, table.columns))}. Give one row per block of leave with "
            "columns person, first_day, last_day (dates as YYYY-MM-DD, both days included)."
        )
    days: dict[str, set[dt.date]] = {}
    for row, (person, first, last) in enumerate(
        table[list(COLUMNS)].itertuples(index=False, name=None), start=2
    ):
        person = person.strip()
        if not person:
            raise InputError(f"{path}, row {row}: no person ({key}); name who is on leave.")
        begin, end = (
            _date(path, row, "first_day", first, key),
            _date(path, row, "last_day", last, key),
        )
        if end < begin or (end - begin).days >= MAX_BLOCK_DAYS:
            raise InputError(
                f"{path}, row {row}: last_day {end} is "
                + ("before" if end < begin else "more than a year after")
                + f" first_day {begin} ({key}); correct the dates."
            )
        own = days.setdefault(person, set())
        own.update(begin + dt.timedelta(days=k) for k in range((end - begin).days + 1))
    if not days:
        raise InputError(f"{path}: no leave in the plan ({key}); give its rows or drop the key.")
    every = [d for own in days.values() for d in own]
    first, last = min(every), max(every)
    detail = (
        f"{len(every):,} days of planned leave of {len(days)} people between {first} and "
        f"{last} (stated in the study, {path.name})"
    )
    return LeavePlan(
        first=first,
        last=last,
        days={person: sorted(own) for person, own in sorted(days.items())},
        provenance=Provenance(source="study", detail=detail),
    )


def _date(path: Path, row: int, column: str, value: str, key: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError:
        raise InputError(
            f"{path}, row {row}: {column} {value!r} is not a date ({key}); write it as YYYY-MM-DD."
        ) from None


def for_people(plan: LeavePlan, people: set[str]) -> tuple[LeavePlan, list[str]]:
    """The plan for the people the log shows, by their names in the log (an HR export
    writes "ANNA  Becker" where the log has "Anna Becker": case and spacing are ignored),
    and a note naming those it does not show (their leave changes nothing)."""
    in_log = {_plain(person): person for person in sorted(people)}
    kept: dict[str, set] = {}
    unknown = []
    for person, days in plan.days.items():
        name = person if person in people else in_log.get(_plain(person))
        if name is None:
            unknown.append(person)
        else:
            kept.setdefault(name, set()).update(days)
    days_by_name = {name: sorted(days) for name, days in sorted(kept.items())}
    if days_by_name == plan.days:
        return plan, []
    notes = []
    if unknown:
        shown = ", ".join(unknown[:5]) + (", ..." if len(unknown) > 5 else "")
        notes.append(
            f"leave plan: {len(unknown)} people the log never shows at work ({shown}); "
            "their leave is left out (is the name written as in the log?)"
        )
    return plan.model_copy(update={"days": days_by_name}), notes


def plan_for_log(path: Path, events: pd.DataFrame) -> tuple[LeavePlan, list[str]]:
    """The plan in `path` for the people of a log's `events` (`for_people`), and its notes:
    what `fit` uses and `check` warns of."""
    people = set(events[RESOURCE].dropna().astype(str)) if RESOURCE in events else set()
    return for_people(read_leave_plan(path), people)


def _plain(name: str) -> str:
    return " ".join(name.casefold().split())
