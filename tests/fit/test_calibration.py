"""Calibration: the fitted model replays the log's period and each team's work is tuned
against the log; bad budgets and logs too short to hold out are refused clearly."""

from __future__ import annotations

import pytest

from l2csim.errors import InputError
from l2csim.fit import FitOptions, calibration_settings, fit_model
from l2csim.fit.calibration import (
    CalibrationSettings,
    apply_scales,
    calibrate,
    distance,
    staffed_pools,
)
from l2csim.fit.cases import case_table, sort_events
from l2csim.inputs import read_inputs_log, resolve_inputs


@pytest.fixture(scope="module")
def sample(sample_fit):
    return sample_fit.inputs, sample_fit.log, sample_fit.params


def test_scaling_a_team_scales_exactly_its_activities(sample) -> None:
    _, _, params = sample
    team = "Pick and pack"
    scaled = apply_scales(params, {team: 0.5})
    for before, after in zip(params.activities, scaled.activities, strict=True):
        factor = 0.5 if before.pool == team and before.duration.mean > 0 else 1.0
        assert after.duration.mean == pytest.approx(before.duration.mean * factor)
    assert team in staffed_pools(params)
    assert not any(p in staffed_pools(params) for p in ("Delivered (systems)",))


def test_distance_is_relative_error_weighted_by_frequency() -> None:
    real = {
        "lead_mean:all": 100.0,
        "wait:A": 10.0,
        "weight:A": 0.75,
        "wait:B": 2.0,
        "weight:B": 0.25,
    }
    assert distance(real, dict(real)) == 0.0
    off = {"lead_mean:all": 150.0, "wait:A": 10.0, "wait:B": 2.0}
    assert distance(real, off) == pytest.approx(0.5 / 2)
    assert distance(real, {"wait:A": 10.0, "wait:B": 2.0}) > 1  # nothing delivered: far off


def test_calibration_reports_before_and_after_on_both_parts(sample) -> None:
    inputs, log, params = sample
    events = sort_events(log.events)
    segments = case_table(events, inputs.study, None)["segment"]
    result = calibrate(params, events, segments, CalibrationSettings(trials=2))
    document = result.params.calibration
    assert document is not None and document["trials"] == 2
    assert set(document["distance_before"]) == {"train", "holdout"}
    assert 0 < document["distance_before"]["train"] < 1
    # The fitted model is trial 0, so the best trial is never worse on the tuned part; a
    # result worse on the held-out part is rejected and the fitted model kept.
    assert result.after["train"] <= result.before["train"]
    if document.get("kept_fitted_model"):
        assert result.after == result.before and set(result.scales.values()) == {1.0}
    else:
        assert result.after["holdout"] <= result.before["holdout"]
    assert any(note.startswith("calibration:") for note in result.params.notes)


def test_no_replay_runs_twice(sample, monkeypatch) -> None:
    """The fitted model is trial 0 and also the distance before: one replay, not two (and
    best scales that were a trial's are not replayed again either)."""
    import l2csim.fit.calibration as calibration

    inputs, log, params = sample
    events = sort_events(log.events)
    segments = case_table(events, inputs.study, None)["segment"]
    ran: list[tuple] = []
    real_replay = calibration.replay

    def counted(model, period, seed):
        ran.append(tuple(sorted((a.name, a.duration.mean) for a in model.activities)))
        return real_replay(model, period, seed)

    monkeypatch.setattr(calibration, "replay", counted)
    result = calibrate(params, events, segments, CalibrationSettings(trials=3))
    assert len(ran) == len(set(ran))  # each model replayed once
    assert len(ran) <= 3 + 1  # the trials and the best scales; the "before" is trial 0
    assert ran[0] == tuple(sorted((a.name, a.duration.mean) for a in params.activities))
    assert set(result.before) == {"train", "holdout"}


def test_bad_budgets_and_short_logs_are_refused(sample) -> None:
    inputs, log, params = sample
    with pytest.raises(InputError, match="calibration budget 0: give at least 1 trial"):
        calibration_settings(inputs.study, True, 0)
    events = sort_events(log.events)
    short = events[
        events["time:timestamp"]
        < events["time:timestamp"].min() + pytest.importorskip("pandas").Timedelta(days=50)
    ]
    segments = case_table(short, inputs.study, None)["segment"]
    with pytest.raises(InputError, match=r"needs at least 28 days in each part"):
        calibrate(params, short, segments, CalibrationSettings(trials=1))
    assert calibration_settings(None) is None  # a bare log is calibrated only when asked


def test_a_short_log_is_fitted_uncalibrated_unless_calibration_was_asked_for(
    shared_data, tmp_path
) -> None:
    """The running example covers 25 days. A study that says nothing of calibration (on by
    default) gets the model as fitted and a note; one whose calibration: section turns it
    on, or --calibrate, is told the log is too short."""
    log_path = shared_data / "running-example.xes.gz"
    quiet = tmp_path / "quiet.yaml"
    quiet.write_text(f"log:\n  path: {log_path}\n", encoding="utf-8")
    inputs = resolve_inputs(quiet)
    settings = calibration_settings(inputs.study)
    assert settings is not None and not settings.required
    params = fit_model(read_inputs_log(inputs), inputs.study, FitOptions(calibration=settings))
    assert params.calibration is None
    assert any(n.startswith("calibration skipped: the log covers 25 days") for n in params.notes)
    asked = tmp_path / "asked.yaml"
    asked.write_text(f"log:\n  path: {log_path}\ncalibration:\n  enabled: true\n", "utf-8")
    for study, flag in ((asked, None), (quiet, True)):
        inputs = resolve_inputs(study)
        settings = calibration_settings(inputs.study, flag)
        with pytest.raises(InputError, match="needs at least 28 days in each part"):
            fit_model(read_inputs_log(inputs), inputs.study, FitOptions(calibration=settings))
