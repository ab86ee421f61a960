"""The risk of tipping over: the runaway rule on made-up backlogs and on real runs (the
sample-shaped model overloaded vs comfortable), Wilson intervals, and the spread of
outcomes across replications that compare reports beside the CI."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from l2csim.comparison.risk import percentile_columns, risk, runaway_rows, share_text
from l2csim.comparison.runaway import (
    MIN_MEASURED_DAYS,
    judge,
    judge_rows,
    judgements,
    share_of,
    wilson,
)
from l2csim.policy import Demand, Policy
from l2csim.sim.replications import RunSpec, kpi_frame, run_replications
from sim_models import sample_like_model

RNG = np.random.default_rng(7)


def noisy(level: float, days: int = 150, sd: float = 0.05) -> np.ndarray:
    """A stable backlog: an AR(1) wander around `level`, strongly autocorrelated as real
    daily backlogs are, with a standard deviation of about 16 % of the level (the sample's
    stable replications: about 10 %)."""
    out, x = [], 0.0
    for _ in range(days):
        x = 0.95 * x + RNG.normal(0, sd * level)
        out.append(max(0.0, level + x))
    return np.array(out)


def test_a_stable_backlog_does_not_run_away_however_it_wanders() -> None:
    for level in (5.0, 100.0, 1_000.0):
        for _ in range(20):
            verdict = judge(noisy(level), intake_per_day=level / 8)  # ~8 days in the system
            assert verdict.runaway is False, (level, verdict)


def test_a_growing_backlog_runs_away() -> None:
    days = np.arange(150)
    growing = 100 + 3.0 * days + RNG.normal(0, 5, 150)  # 3 orders/day more than are served
    verdict = judge(growing, intake_per_day=20)
    assert verdict.runaway is True and verdict.rise_days > 5
    # tipped mid-run, then settled at a level three times higher: still a runaway
    tipped = np.where(days < 60, 100.0, 300.0) + RNG.normal(0, 5, 150)
    verdict = judge(tipped, intake_per_day=20)
    assert verdict.runaway is True and verdict.level_ratio > 2.5 and verdict.excess_days > 5


def test_small_backlogs_that_double_by_chance_are_not_runaways() -> None:
    """2 open orders becoming 4 doubles the level but is far below a day of intake."""
    days = np.arange(150)
    small = np.where(days < 75, 2.0, 4.0) + np.linspace(0, 1, 150)
    verdict = judge(small, intake_per_day=10)
    assert verdict.level_ratio > 1.5 and verdict.runaway is False


def test_runs_too_short_are_not_judged() -> None:
    assert judge(np.arange(MIN_MEASURED_DAYS - 1.0), 1.0).runaway is None
    assert share_of([judge([1.0], 1.0)]).judged == 0


def test_wilson_interval_matches_the_formula() -> None:
    assert wilson(0, 10) == (0.0, pytest.approx(0.2775, abs=1e-4))
    low, high = wilson(5, 10)
    assert low == pytest.approx(0.2366, abs=1e-4) and high == pytest.approx(0.7634, abs=1e-4)
    assert wilson(20, 20)[1] == 1.0 and wilson(20, 20)[0] == pytest.approx(0.8389, abs=1e-4)
    assert share_text(0.05, 0.009, 0.24) == "5% (1–24%)"  # 1 of 20 is never "0%"


@pytest.fixture(scope="module")
def runs() -> dict:
    """The sample-shaped test model at its own demand and at three times it (8 runs of 150
    days each, a 30-day warm-up)."""
    base = RunSpec(
        params=sample_like_model(), policy=Policy(), horizon_hours=150 * 24.0,
        warmup_hours=30 * 24.0, seed=11,
    )  # fmt: skip
    overloaded = replace(base, policy=Policy(demand=Demand(factor=3.0)))
    return {
        name: kpi_frame(run_replications(spec, 8, jobs=2), name)
        for name, spec in (("comfortable", base), ("overloaded", overloaded))
    }


def test_an_overloaded_operation_runs_away_and_a_comfortable_one_does_not(runs) -> None:
    calm = risk(runs["comfortable"])
    assert calm["runaway_share"] == 0.0 and calm["judged"] == 8
    assert calm["runaway_low"] == 0.0 and 0.2 < calm["runaway_high"] < 0.4  # Wilson 0 of 8
    over = risk(runs["overloaded"])
    assert over["runaway_share"] == 1.0 and over["ran_away"] == list(range(8))
    assert over["runaway_low"] > 0.6
    verdicts = judgements(runs["overloaded"])
    assert all(v.rise_days > 5 or v.excess_days > 5 for v in verdicts.values())


def test_judging_rows_agrees_with_judging_the_table(runs) -> None:
    spec = RunSpec(
        params=sample_like_model(), policy=Policy(demand=Demand(factor=3.0)),
        horizon_hours=150 * 24.0, warmup_hours=30 * 24.0, seed=11,
    )  # fmt: skip
    result = run_replications(spec, 1)[0]
    assert judge_rows(result.rows) == judgements(runs["overloaded"])[0]


def test_the_spread_is_reported_beside_the_interval(runs) -> None:
    calm = risk(runs["comfortable"])
    spread = calm["spread"]["backlog_mean"]
    assert spread["p10"] < spread["p50"] < spread["p90"]
    frame = runs["comfortable"]
    values = frame[(frame["kpi"] == "backlog_mean")]["value"].to_numpy()
    assert spread["p90"] == pytest.approx(np.quantile(values, 0.9))
    columns = percentile_columns(runs)
    assert columns[("comfortable", "backlog_mean", "", "", "")]["p90"] == spread["p90"]
    assert ("comfortable", "backlog_daily", "", "", "") not in columns  # series left out
    rows = runaway_rows(runs, "comfortable")
    assert [r["scenario"] for r in rows] == ["comfortable", "overloaded"]
    assert rows[1]["mean"] == 1.0 and rows[1]["effect"] == "worsens" and rows[1]["significant"]
    assert rows[1]["diff"] == 1.0 and rows[0]["effect"] == "baseline"
