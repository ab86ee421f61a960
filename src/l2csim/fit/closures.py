"""Closed days: the days the whole company did not work, read from the log, and beyond it.

Attendance is fitted over the days the company was open (`staff.fit_members`), so a model
that does not also close on public holidays works through them with its whole staff: 3-4 %
more capacity than the operation had, and none of the backlog a Christmas week leaves.
Inside the log's span (while orders came in: after the last one the work runs out) a
closed day is one of the company's weekdays on which no person did anything (the first and
last day are partial and tell nothing). Beyond the span the log
cannot tell: the study's public-holiday calendar (`calendar.public_holidays`, from the
`holidays` package) closes the company, less the holidays the log shows it worked; without
one, each closed day of the log recurs on the same date in other years, which is right for
Christmas and New Year and wrong for moving feasts, and says so. Forecasts close on these
days; the as-is and what-if runs work through them for now (`sim.model.Simulation`).
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from l2csim.params import Closures, Provenance
from l2csim.public_holidays import holiday_calendar, holiday_name
from l2csim.study import CalendarSpec

WEEKDAY_SHARE = 0.5  # a company weekday: someone worked on it in at least half of the weeks
YEARS_AROUND = 3  # closures beyond the log are listed this many years before and after it
SHOWN = 12  # closed days named in the provenance
USED_BY = "forecasts close on them; the as-is and what-if runs work through them for now"


def fit_closures(
    staff_days: pd.Series,
    spec: CalendarSpec | None = None,
    intake: tuple[dt.date, dt.date] | None = None,
) -> Closures:
    """The company's closed days from the local times (`staff_days`, one per staff event)
    at which its people worked; `spec` states the closures beyond the log. `intake` (the
    first and last day orders came in) bounds where a silent day means closed: after the
    last order the work runs out, and days nobody works then are no closures."""
    spec = spec or CalendarSpec()
    stated = sorted(set(spec.closed_days))
    if staff_days.empty:
        detail = "no staff events in the log: no closed days read"
        if stated:
            detail += f"; {len(stated)} stated in the study (calendar.closed_days)"
        return Closures(stated=stated, provenance=Provenance(source="default", detail=detail))
    worked = pd.DatetimeIndex(pd.unique(staff_days)).normalize().unique().sort_values()
    first, last = worked[0].date(), worked[-1].date()
    if intake is not None:
        first, last = max(first, intake[0]), min(last, intake[1])
    weeks = max(1, (last - first).days // 7 + 1)
    weeks_worked = np.bincount(worked.weekday, minlength=7)
    weekdays = [d for d in range(7) if weeks_worked[d] >= WEEKDAY_SHARE * weeks]
    worked_days = {d.date() for d in worked}
    span = [first + dt.timedelta(days=k) for k in range(1, (last - first).days)]
    closed = [d for d in span if d.weekday() in weekdays and d not in worked_days]
    years = list(range(first.year - YEARS_AROUND, last.year + YEARS_AROUND + 1))
    names = ", ".join(d.isoformat() for d in closed[:SHOWN]) + (
        ", ..." if len(closed) > SHOWN else ""
    )
    detail = (
        f"{len(closed)} of the company's working weekdays between {first} and {last} on "
        f"which nobody did anything" + (f" ({names})" if closed else "")
    )
    not_holidays: list[dt.date] = []
    if spec.public_holidays:
        calendar = holiday_calendar(spec.public_holidays, years)
        not_holidays = [d for d in closed if d not in calendar]
        kept_open = sorted(
            {holiday_name(n) for d, n in calendar.items()
             if first < d < last and d.weekday() in weekdays and d in worked_days}
        )  # fmt: skip
        beyond = sorted(
            d for d, n in calendar.items()
            if not first <= d <= last and d.weekday() in weekdays
            and holiday_name(n) not in kept_open
        )  # fmt: skip
        detail += (
            f"; beyond the log, the public holidays of {spec.public_holidays} on those "
            f"weekdays (calendar.public_holidays, {years[0]}-{years[-1]})"
        )
        if kept_open:
            detail += f" but {', '.join(kept_open)}, which the log shows worked"
        if not_holidays:
            detail += (
                f"; {len(not_holidays)} of the log's closed days are no public holiday, and "
                "promises count them as working days"
            )
    else:
        beyond = sorted(
            {
                moved
                for d in closed
                for year in years
                if (moved := _same_date(d, year)) is not None
                and not first <= moved <= last
                and moved.weekday() in weekdays
            }
        )
        if beyond:
            detail += (
                "; beyond the log, the same dates in other years (moving holidays such as "
                "Easter fall elsewhere: state calendar.public_holidays for them)"
            )
    if stated:
        detail += f"; {len(stated)} stated in the study (calendar.closed_days)"
    detail += f"; {USED_BY}"
    return Closures(
        first=first,
        last=last,
        days=closed,
        beyond=beyond,
        stated=stated,
        not_holidays=not_holidays,
        calendar=spec.public_holidays,
        provenance=Provenance(source="log", detail=detail),
    )


def _same_date(day: dt.date, year: int) -> dt.date | None:
    try:
        return day.replace(year=year)
    except ValueError:  # 29 February
        return None
