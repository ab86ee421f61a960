"""The study's leave plan: read with one clear message per problem, and attendance read
besides it, so a log cut before the summer still knows who will be away in August."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from l2csim.errors import InputError
from l2csim.fit.leave import for_people, read_leave_plan
from l2csim.fit.staff import fit_members
from l2csim.log import ACTIVITY, CASE, RESOURCE, TIMESTAMP


def _plan(tmp_path, text: str):
    path = tmp_path / "leave.csv"
    path.write_text(text, encoding="utf-8")
    return path


def test_blocks_become_days_and_the_plan_spans_its_first_to_last_day(tmp_path) -> None:
    plan = read_leave_plan(
        _plan(
            tmp_path,
            "person;first_day;last_day\nAnn Lee;2025-08-04;2025-08-08\n"
            "Bo Kim;2025-03-03;2025-03-03\nAnn Lee;2025-12-29;2026-01-02\n",
        )
    )
    assert plan.first == dt.date(2025, 3, 3) and plan.last == dt.date(2026, 1, 2)
    assert len(plan.days["Ann Lee"]) == 10 and plan.days["Bo Kim"] == [dt.date(2025, 3, 3)]
    assert plan.covers(dt.date(2025, 6, 1)) and not plan.covers(dt.date(2026, 1, 3))
    assert plan.provenance.source == "study" and "11 days" in plan.provenance.detail
    kept, notes = for_people(plan, {"Ann Lee"})
    assert set(kept.days) == {"Ann Lee"} and "Bo Kim" in notes[0]
    assert kept.first == plan.first  # the span stays the plan's
    # Names as HR writes them: case and spacing do not matter, the log's spelling is kept.
    renamed, notes = for_people(plan, {"ann  LEE", "Bo Kim"})
    assert renamed.days["ann  LEE"] == plan.days["Ann Lee"] and not notes
    assert for_people(plan, {"Ann Lee", "Bo Kim"}) == (plan, [])


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("who,from\nAnn,2025-01-01\n", r"leave\.csv: no column person, first_day, last_day"),
        ("person,first_day,last_day\nAnn,2025-01-01,1.2.2025\n", r"row 2: last_day '1\.2\.2025'"),
        ("person,first_day,last_day\nAnn,2025-02-01,2025-01-01\n", r"row 2: last_day .* before"),
        ("person,first_day,last_day\n,2025-02-01,2025-02-01\n", r"row 2: no person"),
        ("person,first_day,last_day\n", r"no leave in the plan"),
    ],
)
def test_each_problem_is_one_clear_message(tmp_path, text: str, message: str) -> None:
    with pytest.raises(InputError, match=message):
        read_leave_plan(_plan(tmp_path, text))
    with pytest.raises(InputError, match=r"leave plan not found \(calendar\.leave\)"):
        read_leave_plan(tmp_path / "missing.csv")


def test_attendance_besides_planned_leave(tmp_path) -> None:
    """A person works every weekday from March to October (the company is open) except a
    planned three weeks in July and two unplanned single days: over the year they are at work on about 91 %
    of their days, besides their planned leave on 99 %; without the plan nothing changes."""
    rows = []
    holiday = pd.bdate_range("2025-07-07", "2025-07-25")
    sick = {pd.Timestamp("2025-04-09"), pd.Timestamp("2025-09-17")}
    for day in pd.bdate_range("2025-03-03", "2025-10-31"):
        here = ["Cy Dorn"] + ([] if day in holiday or day in sick else ["Ann Lee"])
        for who in here:  # Cy keeps the company open every weekday
            for hour in (9, 11, 13, 15, 16.5):
                rows.append((f"c{len(rows)}", "Work", day + pd.Timedelta(hours=hour), who))
    events = pd.DataFrame(rows, columns=[CASE, ACTIVITY, TIMESTAMP, RESOURCE])
    events[TIMESTAMP] = events[TIMESTAMP].dt.tz_localize("UTC")
    plan = read_leave_plan(
        _plan(
            tmp_path,
            "person,first_day,last_day\nAnn Lee,2025-07-07,2025-07-25\n"
            "Bo Kim,2025-01-01,2025-01-01\nBo Kim,2025-12-31,2025-12-31\n",
        )
    )
    without = fit_members(events, "UTC")["Ann Lee"]
    ann = fit_members(events, "UTC", leave=plan)["Ann Lee"]
    assert ann.attendance == without.attendance == pytest.approx(1 - 17 / 174, abs=0.01)
    assert ann.unplanned_attendance == pytest.approx(1 - 2 / 159, abs=0.005)
    assert ann.unplanned_spells == [1, 1]
    assert "besides their planned leave" in ann.provenance.detail
    assert without.unplanned_attendance is None


def test_a_bad_plan_is_one_line_from_fit_and_a_warning_from_check(tmp_path) -> None:
    """The sample's study with a leave plan that lacks its last_day column: `check` warns
    with the key and the fix and goes on; `fit` stops with that one line, writing nothing."""
    from click.testing import CliRunner

    from l2csim.cli import cli

    repo = Path(__file__).resolve().parents[2]
    text = (repo / "scenarios" / "study.yaml").read_text(encoding="utf-8")
    text = text.replace("../event_logs/", f"{(repo / 'event_logs').as_posix()}/")
    text = text.replace(
        "documented_process.bpmn", (repo / "scenarios" / "documented_process.bpmn").as_posix()
    )
    text = text.replace("calendar:\n", "calendar:\n  leave: leave.csv\n", 1)
    (tmp_path / "study.yaml").write_text(text, encoding="utf-8")
    _plan(tmp_path, "person,first_day\nAnn,2025-01-01\n")
    checked = CliRunner().invoke(
        cli, ["check", str(tmp_path / "study.yaml"), "--out", str(tmp_path / "check")]
    )
    assert checked.exit_code == 0, checked.output
    assert "calendar.leave: " in checked.output and "no column last_day" in checked.output
    fitted = CliRunner().invoke(
        cli, ["fit", str(tmp_path / "study.yaml"), "--out", str(tmp_path / "fit" / "model.json")]
    )
    assert fitted.exit_code != 0
    lines = fitted.output.strip().splitlines()
    assert len(lines) == 1 and "leave.csv: no column last_day (calendar.leave)" in lines[0]
    assert not (tmp_path / "fit" / "model.json").exists()
