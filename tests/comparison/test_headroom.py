"""Demand headroom on queues whose tipping point is known: an M/M/1 queue runs away once its
load passes 100 %, so at 80 % load it has about +25 % headroom, at 20 % none within x2, and
at 130 % it already runs away. Then compare's figures and warning on scenario files."""

from __future__ import annotations

import json
from concurrent.futures import Executor, Future
from pathlib import Path

import pandas as pd
import pytest
import yaml

from l2csim.comparison import compare
from l2csim.comparison.headroom import (
    HeadroomSettings,
    Search,
    headroom,
    little_headroom,
)
from l2csim.errors import InputError
from l2csim.params import write_params
from l2csim.policy import Policy
from l2csim.settings import RunSettings
from l2csim.sim.replications import RunSpec
from sim_models import mmc_model

SEARCH = HeadroomSettings(replications=8, horizon="150d", warmup="30d")


def queue(load: float) -> RunSpec:
    """M/M/1 at `load` (arrivals per hour with a 1-hour mean service), around the clock."""
    return RunSpec(params=mmc_model(load, 1.0, 1), policy=Policy(), scenario=f"load {load}")


def test_headroom_is_found_where_the_queue_passes_full_load() -> None:
    found = headroom(queue(0.8), SEARCH, jobs=2)
    assert found.status == "found"
    # full load at x1.25; the 10% runaway share is passed between x1.1 and x1.45
    assert 1.1 <= found.factor <= 1.45, found.points
    assert found.factor_low <= found.factor
    assert found.factor_high is None or found.factor <= found.factor_high
    assert found.headroom == pytest.approx(found.factor - 1)
    # bisection visits fewer factors than the 11 of the grid, each with 8 runs
    assert len(found.points) < 11 and found.runs == 8 * len(found.points)
    shares = {p.factor: p.share for p in found.points}
    assert shares[1.0] == 0.0 and shares[2.0] == 1.0
    # 0 of 8 ran away at x1.0, yet a 10% risk there cannot be ruled out (Wilson upper bound
    # 0.32): read honestly, the interval's lower end is +0%
    today = next(p for p in found.points if p.factor == 1.0)
    assert today.high > 0.1 and found.factor_low == 1.0
    record = found.record()
    assert record["status"] == "found" and not record["beyond_range"]
    assert record["message"].startswith("load 0.8: headroom +")
    assert record["text"].startswith("+") and "95% CI" in record["text"]


def test_a_queue_that_never_runs_away_in_the_range_says_so() -> None:
    found = headroom(queue(0.2), SEARCH, jobs=2)
    assert found.status == "beyond_range" and found.factor is None and found.headroom is None
    assert "no runaway within the range searched" in found.message
    assert "beyond +100%" in found.message and found.text.startswith("beyond +100%")
    assert [p.factor for p in found.points] == [1.0, 2.0]  # the top, then x1.0 for the CI
    record = found.record()
    assert record["beyond_range"] and record["headroom"] is None
    assert not little_headroom(record)


def test_a_queue_over_capacity_already_runs_away() -> None:
    found = headroom(queue(1.3), SEARCH, jobs=2)
    assert found.status == "already" and found.factor == 1.0 and found.headroom == 0.0
    assert "already runs away at today's demand" in found.message
    assert little_headroom(found.record())


class _Inline(Executor):
    """Runs each submission at once, and remembers the demand factor of each."""

    def __init__(self) -> None:
        self.factors: list[float] = []

    def submit(self, fn, /, *args, **kwargs) -> Future:
        self.factors.append(args[0].policy.demand.factor)
        future: Future = Future()
        future.set_result(fn(*args, **kwargs))
        return future


def test_the_first_factors_are_queued_when_the_search_starts_and_change_nothing() -> None:
    inline = _Inline()
    search = Search(queue(0.8), SEARCH, executor=inline)
    n = SEARCH.replications
    assert inline.factors == [2.0] * n + [1.0] * n  # before any result is asked for
    found = search.result()
    alone = headroom(queue(0.8), SEARCH)  # in this process, one factor after another
    assert found.record() == alone.record()
    assert len(inline.factors) == found.runs  # nothing submitted that the search did not use


def test_search_settings_are_checked() -> None:
    with pytest.raises(InputError, match="at least 28 days after the warm-up"):
        HeadroomSettings(horizon="40d", warmup="30d")
    with pytest.raises(InputError, match="top factor above 1"):
        HeadroomSettings(top=1.0)
    assert HeadroomSettings(top=2.0, step=0.25).grid == [1.0, 1.25, 1.5, 1.75, 2.0]
    assert HeadroomSettings(top=2.0, step=0.3).grid == [1.0, 1.3, 1.6, 1.9, 2.0]


@pytest.fixture(scope="module")
def scenarios(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A busy M/M/1 (95 % load) as a fitted model with two scenario files: today, and one
    more server."""
    folder = tmp_path_factory.mktemp("queue")
    write_params(mmc_model(0.95, 1.0, 1), folder / "model.json")
    (folder / "baseline.yaml").write_text(yaml.safe_dump({"model": "model.json"}))
    (folder / "two_servers.yaml").write_text(
        yaml.safe_dump(
            {"extends": "baseline.yaml", "policy": {"staffing": {"pools": {"servers": {"add": 1}}}}}
        )
    )
    return folder


def test_compare_shows_runaways_spread_and_headroom(scenarios: Path, tmp_path: Path) -> None:
    result = compare(
        scenarios / "baseline.yaml",
        [scenarios / "two_servers.yaml"],
        tmp_path,
        RunSettings(replications=8, horizon="150d", warmup="30d", jobs=2),
        headroom=HeadroomSettings(replications=6, horizon="150d", step=0.25),
    )
    doc = json.loads((tmp_path / "comparison.json").read_text())
    assert set(doc["headroom"]) == {"baseline", "two_servers"}
    assert doc["headroom"]["two_servers"]["status"] == "beyond_range"
    assert doc["headroom"]["baseline"]["headroom"] < 0.1  # 95% load: little headroom
    assert any("today's operation has little headroom" in w for w in result.warnings)
    assert any("little headroom" in w for w in doc["warnings"])
    for name in ("baseline", "two_servers"):
        risk = doc["risk"][name]
        assert risk["judged"] == 8 and 0 <= risk["runaway_low"] <= risk["runaway_high"] <= 1
        spread = risk["spread"]["backlog_mean"]
        assert spread["p10"] <= spread["p50"] <= spread["p90"]
    assert doc["fit_uncertainty"]["used"] is False  # a hand-made model has no draws
    csv = pd.read_csv(tmp_path / "comparison.csv", keep_default_na=False)
    assert {"p10", "p90"} <= set(csv.columns)
    runaway = csv[csv["kpi"] == "runaway_share"].set_index("scenario")
    assert list(runaway.index) == ["baseline", "two_servers"]
    assert float(runaway.loc["two_servers", "mean"]) == 0.0
    headroom_rows = csv[csv["kpi"] == "headroom_demand"].set_index("scenario")
    assert headroom_rows.loc["two_servers", "mean"] == ""  # beyond the range: no number
    assert "beyond +100%" in headroom_rows.loc["two_servers", "mean_text"]
    backlog = csv[(csv["kpi"] == "backlog_mean") & (csv["scenario"] == "two_servers")].iloc[0]
    assert float(backlog["p10"]) <= float(backlog["mean"]) <= float(backlog["p90"])
    assert len(csv) == len(doc["rows"])
    # a run's headroom.json travels with its folder: compare on the folders brings it along
    again = compare(
        tmp_path / "runs" / "baseline", [tmp_path / "runs" / "two_servers"], tmp_path / "again"
    )
    assert again.document["headroom"] == doc["headroom"]
    # an older search left beside a newer run (simulate rerun without --headroom keeps files
    # it did not write) is not taken for the new run's
    stale = tmp_path / "runs" / "two_servers" / "headroom.json"
    stale.write_text(json.dumps({**json.loads(stale.read_text()), "run_key": "older"}))
    third = compare(
        tmp_path / "runs" / "baseline", [tmp_path / "runs" / "two_servers"], tmp_path / "third"
    )
    assert set(third.document["headroom"]) == {"baseline"}
    assert any("belongs to an earlier run" in w for w in third.warnings)
