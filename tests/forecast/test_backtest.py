"""`l2csim forecast --backtest K`: cuts of the user's own log, scored against what happened."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from l2csim.cli import cli
from l2csim.errors import InputError
from l2csim.forecast.backtest import BACKTEST_COLUMNS, auc, cut_dates


def test_cuts_leave_history_before_and_the_whole_horizon_after() -> None:
    first = pd.Timestamp("2025-01-06 07:00", tz="UTC")
    last = pd.Timestamp("2025-12-31 18:00", tz="UTC")
    cuts = cut_dates(first, last, 28, 6, "Europe/Berlin")
    assert len(cuts) == 6 and cuts == sorted(cuts)
    assert cuts[0] - first >= (last - first) * 0.24
    assert cuts[-1] + pd.Timedelta(days=28) <= last
    assert all(c.tz_convert("Europe/Berlin").hour == 0 for c in cuts)  # local midnights
    with pytest.raises(InputError, match="too short"):
        cut_dates(first, first + pd.Timedelta(days=30), 28, 3, "Europe/Berlin")


def test_auc_ranks_as_mann_whitney() -> None:
    assert auc(np.array([0.9, 0.8, 0.1, 0.2]), np.array([1, 1, 0, 0])) == 1.0
    assert auc(np.array([0.1, 0.2, 0.9, 0.8]), np.array([1, 1, 0, 0])) == 0.0
    assert auc(np.array([0.5, 0.5, 0.5, 0.5]), np.array([1, 0, 1, 0])) == 0.5
    assert np.isnan(auc(np.array([0.3, 0.4]), np.array([0, 0])))


def test_the_command_backtests_even_when_nothing_is_open_at_the_end(small_study, tmp_path):
    result = CliRunner().invoke(
        cli,
        ["forecast", str(small_study), "--backtest", "2", "--replications", "4", "--jobs", "1",
         "--out", str(tmp_path)],
        catch_exceptions=False,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "no open orders" in result.output and "Only the backtest" in result.output
    assert "Backtest" in result.output and "AUC" in result.output
    table = pd.read_csv(tmp_path / "backtest.csv")
    assert list(table.columns) == list(BACKTEST_COLUMNS)
    assert table["as_of"].nunique() == 2
    scored = table[table["kpi"] != "p_late_auc"]
    assert set(scored["kpi"]) == {"backlog", "open_orders_delivered"}
    assert set(scored["day"]) == {7, 28}
    assert (scored["forecast_p05"] <= scored["forecast_p95"]).all()
    summary = json.loads((tmp_path / "backtest.json").read_text(encoding="utf-8"))
    assert {m["kpi"] for m in summary["measures"]} == {"backlog", "open_orders_delivered"}
    for m in summary["measures"]:
        assert 0 <= m["forecast_coverage"] <= 1 and m["forecast_mae"] >= 0 and m["warmup_mae"] >= 0
    page = (tmp_path / "forecast.html").read_text(encoding="utf-8")
    assert 'id="backtest"' in page and 'id="call-list"' not in page
    assert not (tmp_path / "daily.csv").exists()


def test_a_calibrated_backtest_calibrates_the_cuts_long_enough(small_study, tmp_path):
    """--calibrate reaches the cuts' fits: the late cut (about 70 days of log before it) is
    calibrated, the early one (25 days) is too short to hold out a part and is fitted as
    it is, and the output says so rather than stopping."""
    import shutil

    study_dir = tmp_path / "study"
    shutil.copytree(small_study.parent, study_dir)
    study = study_dir / "scenarios" / "study.yaml"
    study.write_text(
        study.read_text(encoding="utf-8") + "calibration: {trials: 1, holdout: 0.45}\n",
        encoding="utf-8",
    )
    out = tmp_path / "out"
    result = CliRunner().invoke(
        cli,
        ["forecast", str(study.parent), "--backtest", "2", "--replications", "2", "--jobs", "1",
         "--calibrate", "--out", str(out)],
        catch_exceptions=False,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    summary = json.loads((out / "backtest.json").read_text(encoding="utf-8"))
    assert summary["calibrate"] is True
    assert summary["calibrated_per_cut"] == [False, True]
    assert "Calibrated fits at 1 of 2 cuts" in result.output
