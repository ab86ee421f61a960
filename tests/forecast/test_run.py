"""`l2csim.forecast.run`: the forecast from as-of on a small study, its files and their promises."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from forecast_study import AS_OF, FORMULA_CUSTOMER, MARKUP_CUSTOMER
from l2csim import forecast as fc
from l2csim.forecast.run import DAILY_COLUMNS, KPIS, ORDER_COLUMNS
from l2csim.inputs import resolve_inputs
from l2csim.output import read_csv_table

SETTINGS = fc.ForecastSettings(as_of=AS_OF, replications=6, jobs=1)


@pytest.fixture(scope="module")
def done(small_study, tmp_path_factory):
    out = tmp_path_factory.mktemp("forecast")
    scenario = small_study / "one_more_cs_agent.yaml"
    return fc.run(resolve_inputs(small_study), out, SETTINGS, [scenario]), out


def test_it_writes_the_daily_bands_the_call_list_and_the_page(done) -> None:
    run, out = done
    for name in ("daily.csv", "open_orders.csv", "forecast.json", "model.json", "forecast.html"):
        assert (out / name).is_file(), name
    daily = pd.read_csv(out / "daily.csv")
    assert list(daily.columns) == list(DAILY_COLUMNS)
    assert set(daily["scenario"]) == {"baseline", "one_more_cs_agent"}
    assert sorted(daily["day"].unique()) == list(range(1, 29))
    assert set(daily["kpi"]) == set(KPIS)
    assert len(daily) == 2 * 28 * len(KPIS)
    assert (daily["p05"] <= daily["p50"] + 1e-9).all() and (
        daily["p50"] <= daily["p95"] + 1e-9
    ).all()
    assert (daily["p05"] >= 0).all()
    backlog = daily[(daily["scenario"] == "baseline") & (daily["kpi"] == "backlog")]
    open_now = len(run.forecast.orders)
    assert abs(backlog.iloc[0]["mean"] - open_now) < 0.5 * open_now  # day 1 starts from them
    delivered = daily[(daily["scenario"] == "baseline") & (daily["kpi"] == "open_orders_delivered")]
    assert delivered["mean"].is_monotonic_increasing and delivered["p95"].max() <= open_now


def test_the_call_list_has_every_open_order_most_value_at_risk_first(done) -> None:
    run, out = done
    orders = read_csv_table(out / "open_orders.csv", dtype={"customer": str})
    assert list(orders.columns) == [*ORDER_COLUMNS, "p_late[one_more_cs_agent]"]
    assert len(orders) == len(run.forecast.prepared.open_orders)
    assert orders["order"].is_unique
    assert orders["p_late"].between(0, 1).all()
    key = orders["value_at_stake"] * orders["p_late"]
    assert key.is_monotonic_decreasing
    overdue = run.forecast.prepared.open_orders
    past = set(overdue.loc[overdue["promised"] < run.forecast.prepared.as_of, "order"])
    assert (orders.set_index("order").loc[sorted(past), "p_late"] == 1.0).all()
    assert {FORMULA_CUSTOMER, MARKUP_CUSTOMER} <= set(orders["customer"])  # read back intact


def test_text_from_the_log_cannot_run_in_a_spreadsheet_or_the_page(done) -> None:
    _run, out = done
    raw = (out / "open_orders.csv").read_text(encoding="utf-8")
    assert "'=HYPERLINK" in raw and ",=HYPERLINK" not in raw
    page = (out / "forecast.html").read_text(encoding="utf-8")
    assert "Content-Security-Policy" in page and "script-src 'none'" in page
    assert "<script" not in page.lower()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_policies_meet_the_same_orders(done) -> None:
    run, _out = done
    runs = run.forecast.runs
    for a, b in zip(runs["baseline"], runs["one_more_cs_agent"], strict=True):
        assert np.array_equal(a.counts[0], b.counts[0])  # the same new orders every day
        assert a.open_at_start == b.open_at_start


def test_the_same_seed_gives_the_same_bytes_on_any_number_of_jobs(done, small_study, tmp_path):
    _run, out = done
    again = fc.run(
        resolve_inputs(small_study),
        tmp_path,
        fc.ForecastSettings(as_of=AS_OF, replications=6, jobs=2),
        [small_study / "one_more_cs_agent.yaml"],
    )
    assert again.forecast is not None
    for name in ("daily.csv", "open_orders.csv"):
        assert (tmp_path / name).read_bytes() == (out / name).read_bytes(), name


def test_the_summary_says_what_was_forecast_from_what(done) -> None:
    import json

    _run, out = done
    summary = json.loads((out / "forecast.json").read_text(encoding="utf-8"))
    assert summary["open_orders"] == sum(summary["open_orders_by_tier"].values())
    assert summary["horizon_days"] == 28 and summary["replications"] == 6
    assert summary["as_of"].startswith("2025-04-01T22:00:00")  # the end of 1 April, Berlin
    assert summary["model_period"]["end"] <= summary["as_of"]
    assert summary["model_error"] is not None and summary["model_error"]["hindcasts"]
    # Easter falls in the horizon, after the log the model was fitted from: the study's
    # public holidays (DE) close the company then.
    assert summary["closed_days_in_horizon"] == ["2025-04-18", "2025-04-21"]
    page = (out / "forecast.html").read_text(encoding="utf-8")
    assert "Fri 18 Apr, Mon 21 Apr (a public holiday of DE)" in page


def test_a_leave_plan_empties_the_warehouse_for_its_planned_fortnight(small_study, tmp_path):
    """The study states that the six warehouse people are all on leave (a summer shutdown
    of the warehouse) for the first two weeks of the horizon: the forecast delivers far
    fewer of today's open orders in the fortnight than without the plan (only what was
    already shipped arrives), its backlog doubles, and it says who is away how long."""
    import json
    import shutil

    from l2csim.sample.operation import STAFF

    study = tmp_path / "study"
    shutil.copytree(small_study.parent, study)
    away = STAFF["Warehouse"]
    rows = ["person,first_day,last_day", f"{STAFF['Finance'][0]},2025-01-02,2025-01-02"]
    rows += [f"{person},2025-04-02,2025-04-15" for person in away]
    (study / "event_logs" / "leave.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    path = study / "scenarios" / "study.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(
        text.replace("calendar:\n", "calendar:\n  leave: ../event_logs/leave.csv\n", 1),
        encoding="utf-8",
    )
    settings = fc.ForecastSettings(as_of=AS_OF, replications=6, jobs=1, hindcasts=0)
    planned = fc.run(resolve_inputs(study / "scenarios"), tmp_path / "with", settings)
    usual = fc.run(resolve_inputs(small_study), tmp_path / "without", settings)

    def mean(run, kpi: str, day: int) -> float:
        daily = run.forecast.daily
        row = daily[(daily["kpi"] == kpi) & (daily["day"] == day)]
        return float(row[row["scenario"] == row["scenario"].iloc[0]]["mean"].iloc[0])

    delivered = "open_orders_delivered"
    assert mean(planned, delivered, 14) < 0.6 * mean(usual, delivered, 14)
    assert mean(planned, "backlog", 14) > 1.5 * mean(usual, "backlog", 14)
    summary = json.loads((tmp_path / "with" / "forecast.json").read_text(encoding="utf-8"))
    assert summary["planned_leave_in_horizon"] == {person: 14 for person in away}
    page = (tmp_path / "with" / "forecast.html").read_text(encoding="utf-8")
    assert "6 people are on planned leave in the horizon (84 days in all" in page
