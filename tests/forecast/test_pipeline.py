"""The forecast as an optional stage of `l2csim study` (--forecast [AS_OF])."""

from __future__ import annotations

from forecast_study import AS_OF
from l2csim.inputs import resolve_inputs
from l2csim.pipeline.run import StudyOptions, _complete_outputs, plan


def test_the_forecast_stage_runs_only_when_asked_and_after_the_report(small_study, tmp_path):
    inputs = resolve_inputs(small_study)
    assert "forecast" not in [s.name for s in plan(inputs, tmp_path, StudyOptions())]
    options = StudyOptions(forecast=AS_OF, replications=4, jobs=1)
    stages = plan(inputs, tmp_path, options)
    assert [s.name for s in stages[-2:]] == ["report", "forecast"]
    stage = stages[-1]
    assert stage.settings == {"as_of": AS_OF, "replications": 4, "seed": 0}
    assert (small_study / "baseline.yaml").resolve() in stage.inputs
    last = plan(inputs, tmp_path, StudyOptions(forecast="last"))[-1]
    assert last.settings["as_of"] is None  # `--forecast` alone: the log's last event
    folder = tmp_path / "forecast"
    folder.mkdir()
    steps = []
    stage.work(folder, lambda: steps.append(1))
    assert set(_complete_outputs("forecast", folder)) >= {"daily.csv", "open_orders.csv"}
    assert len(steps) == 4  # one per replication of today's policy
