"""The period that represents today: wrongly dated cases left out, rates and pools from the
recent window, validation bounded likewise. Generated logs with a known answer."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from l2csim.fit import fit_model
from l2csim.fit.period import WINDOW_DAYS, for_validation, today
from l2csim.log import CASE, TIMESTAMP, read_log


def orders(tmp_path: Path, *, years: int, per_day_by_year: list[int], people_by_year: list[list[str]],
           wrong: int = 0) -> Path:  # fmt: skip
    """Orders received and shipped by the year's people, `per_day_by_year[y]` a weekday
    (January to June, the last year to December); `wrong` orders get a receipt typed 1948."""
    rows = []
    n = 0
    for year in range(years):
        last = "12-23" if year == years - 1 else "06-30"
        days = pd.bdate_range(f"{2016 + year}-01-04", f"{2016 + year}-{last}", tz="UTC")
        people = people_by_year[year]
        for day in days:
            for k in range(per_day_by_year[year]):
                n += 1
                at = day + pd.Timedelta(hours=9) + k * pd.Timedelta(minutes=20)
                who = people[n % len(people)]
                rows.append((f"O{n}", "Receive", at, who))
                rows.append((f"O{n}", "Ship", at + pd.Timedelta(minutes=15), who))
    frame = pd.DataFrame(rows, columns=["case:concept:name", "concept:name", "time:timestamp",
                                        "org:resource"])  # fmt: skip
    for i in range(wrong):
        frame.loc[2 * (100 + i), "time:timestamp"] = pd.Timestamp("1948-01-26 09:00", tz="UTC")
    path = tmp_path / "orders.csv"
    frame.to_csv(path, index=False)
    return path


def test_two_cases_dated_1948_are_left_out_of_fit_and_validation(tmp_path: Path) -> None:
    log = read_log(orders(tmp_path, years=1, per_day_by_year=[6], people_by_year=[["Ann", "Bob"]],
                          wrong=2))  # fmt: skip
    period = today(log.events)
    assert period.dropped_cases == 2 and not period.cuts_window
    model = fit_model(log)
    assert any("2 cases with a wrongly dated event left out" in n for n in model.notes)
    assert model.arrivals[0].provenance.detail.startswith(f"{period.cases:,} orders over")
    replayed, notes = for_validation(log)
    assert replayed.events[TIMESTAMP].min().year == 2016  # the replay starts in 2016, not 1948
    assert replayed.events[CASE].nunique() == log.n_cases - 2 and notes


def test_rates_and_pools_come_from_the_last_year(tmp_path: Path) -> None:
    """Three years: 2 orders a weekday by Ann and Bob, then 4, then 12 by Cem, Dee and Eve
    (the 2018 orders run January to December, so the last year holds only them).
    Order intake and the team are the last year's; routing still sees every case."""
    log = read_log(orders(tmp_path, years=3, per_day_by_year=[2, 4, 12],
                          people_by_year=[["Ann", "Bob"], ["Ann", "Bob"], ["Cem", "Dee", "Eve"]]))  # fmt: skip
    period = today(log.events)
    assert period.cuts_window
    assert (period.window_end - period.window_start).days == WINDOW_DAYS
    model = fit_model(log)
    per_week = sum(a.orders_per_week for a in model.arrivals)
    assert per_week == pytest.approx(12 * 5, rel=0.05)  # not the 3-year average (6 a day)
    team = [p for p in model.pools if p.members]
    assert len(team) == 1
    assert sorted(m.name for m in team[0].members) == ["Cem", "Dee", "Eve"]
    assert "recent window" in team[0].provenance.detail
    assert model.routing[0].cases == log.n_cases  # routing from every case
    assert any("from the recent window" in n for n in model.notes)
    replayed, notes = for_validation(log)
    first = replayed.events.groupby(CASE)[TIMESTAMP].min()
    assert first.min() >= period.window_start and "validated on the recent window" in notes[-1]


def test_a_year_long_log_is_used_whole(tmp_path: Path) -> None:
    """A year and a few days of cases (the bundled sample's shape): nothing is cut."""
    log = read_log(orders(tmp_path, years=1, per_day_by_year=[3], people_by_year=[["Ann"]]))
    period = today(log.events)
    assert not period.cuts_window and not period.dropped_cases and period.notes() == []
    assert for_validation(log) == (log, [])


def test_validate_replays_the_bulk_not_1948(tmp_path: Path) -> None:
    """Two events typed 1948 made validate replay 1948-2020. The model's period and the
    replay start in the log's bulk; validation.json says what was left out."""
    from l2csim.inputs import resolve_inputs
    from l2csim.validation import validate

    log = orders(tmp_path, years=1, per_day_by_year=[6], people_by_year=[["Ann", "Bob"]], wrong=2)
    study = tmp_path / "study.yaml"
    study.write_text(
        f"log: {{path: {log}}}\nvalidation: {{replications: 1, control_flow_cases: 50}}\n"
    )
    model = fit_model(read_log(log))
    assert model.created_from.period_start.startswith("2016-01-04")
    out = tmp_path / "validate"
    out.mkdir()
    result = validate(resolve_inputs(study), out)
    assert result.document["period_start"].startswith("2016-01-04")
    assert any("wrongly dated" in n for n in result.document["notes"])


def test_a_model_fitted_before_the_rules_replays_the_log_period(tmp_path: Path) -> None:
    from l2csim.fit.period import replay_from

    log = read_log(orders(tmp_path, years=1, per_day_by_year=[2], people_by_year=[["Ann"]]))
    model = fit_model(log)
    old = model.model_copy(update={"created_from": model.created_from.model_copy(
        update={"period_start": "1948-01-26T09:00:00+00:00"})})  # fmt: skip
    assert replay_from(old, log).created_from.period_start.startswith("2016-01-04")
    assert replay_from(model, log) is model
