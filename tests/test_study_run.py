"""`l2csim study`: every stage in order, reused when nothing changed, safe to interrupt."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from l2csim.cli import cli
from l2csim.errors import StudyError
from l2csim.study_run import StudyOptions, run_study

REPO = Path(__file__).resolve().parents[1]
FAST = StudyOptions(replications=2, horizon="60d", warmup="7d", jobs=1)


@pytest.fixture
def study_copy(tmp_path: Path) -> Path:
    """The shipped sample study copied, so a test may edit its files."""
    for folder in ("event_logs", "scenarios"):
        shutil.copytree(REPO / folder, tmp_path / folder)
    return tmp_path


@pytest.fixture(scope="module")
def finished(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, list[str]]:
    root = tmp_path_factory.mktemp("study")
    for folder in ("event_logs", "scenarios"):
        shutil.copytree(REPO / folder, root / folder)
    out = root / "outputs" / "study"
    run = run_study(root / "scenarios", out, FAST)
    return root, out, [o.name for o in run.outcomes]


def settle(root: Path, out: Path) -> None:
    """Bring the shared study up to date with FAST, whatever an earlier test changed."""
    run_study(root / "scenarios", out, FAST)


def test_every_stage_runs_and_is_recorded(finished) -> None:
    _, out, order = finished
    assert order[:6] == ["check", "mine", "customers", "fit", "validate", "simulate/baseline"]
    assert "simulate/tier_priority" in order
    assert order[-2:] == ["compare", "report"]
    manifest = json.loads((out / "manifest.json").read_text())
    assert set(manifest["stages"]) == set(order)
    for name, entry in manifest["stages"].items():
        assert entry["outputs"], name
        for relative, digest in entry["outputs"].items():
            assert (out / name / relative).is_file()
            assert len(digest) == 64
    assert (out / "check" / "quality.json").is_file()
    assert (out / "fit" / "model.json").is_file()
    assert (out / "compare" / "comparison.json").is_file()
    assert (out / "report" / "report.html").is_file()
    assert not list(out.rglob(".*.partial"))


def test_rerun_with_nothing_changed_reuses_everything_fast(finished) -> None:
    root, out, _ = finished
    started = time.perf_counter()
    run = run_study(root / "scenarios", out, FAST)
    assert time.perf_counter() - started < 10
    assert all(outcome.reused for outcome in run.outcomes)


def test_changed_scenario_reruns_only_itself(finished) -> None:
    root, out, _ = finished
    settle(root, out)
    scenario = root / "scenarios" / "tier_priority.yaml"
    scenario.write_text(scenario.read_text() + "\ndescription: edited\n")
    run = run_study(root / "scenarios", out, FAST)
    rerun = [o.name for o in run.outcomes if not o.reused]
    assert rerun == ["simulate/tier_priority", "compare", "report"]


def test_changed_setting_reruns_the_simulations_only(finished) -> None:
    root, out, _ = finished
    settle(root, out)
    options = StudyOptions(replications=3, horizon="60d", warmup="7d", jobs=1)
    run = run_study(root / "scenarios", out, options)
    rerun = {o.name for o in run.outcomes if not o.reused}
    assert "simulate/baseline" in rerun and "compare" in rerun and "report" in rerun
    assert all(name.startswith("simulate/") for name in rerun - {"compare", "report"})


def test_a_damaged_output_is_redone(finished) -> None:
    root, out, _ = finished
    settle(root, out)
    (out / "check" / "quality.json").write_text("{}")
    run = run_study(root / "scenarios", out, FAST)
    # Redone, it writes the same bytes as before the damage, so the report stays valid.
    assert [o.name for o in run.outcomes if not o.reused] == ["check"]
    assert json.loads((out / "check" / "quality.json").read_text())["findings"]


def test_force_redoes_the_named_stage(finished) -> None:
    root, out, _ = finished
    settle(root, out)
    options = StudyOptions(replications=2, horizon="60d", warmup="7d", jobs=1, force=("fit",))
    run = run_study(root / "scenarios", out, options)
    # The refit gives the same bytes, so nothing downstream has to run again.
    assert [o.name for o in run.outcomes if not o.reused] == ["fit"]


def test_sigterm_keeps_finished_stages_and_a_rerun_continues(study_copy: Path) -> None:
    out = study_copy / "outputs" / "study"
    command = [
        sys.executable, "-m", "l2csim", "study", str(study_copy / "scenarios"), "--out", str(out),
        "--replications", "2", "--horizon", "60d", "--warmup", "7d", "--jobs", "1",
    ]  # fmt: skip
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, env=env)
    assert process.stdout is not None
    for line in process.stdout:
        if line.startswith("mine"):  # check and mine finished; customers is under way
            process.send_signal(signal.SIGTERM)
            break
    assert process.wait(timeout=60) == 130
    manifest = json.loads((out / "manifest.json").read_text())
    assert set(manifest["stages"]) == {"check", "mine"}
    assert not list(out.rglob(".*.partial")) and not list(out.rglob(".*.old"))
    assert not (out / "customers").exists() or not any((out / "customers").iterdir())
    run = run_study(study_copy / "scenarios", out, FAST)
    reused = [o.name for o in run.outcomes if o.reused]
    assert reused == ["check", "mine"]
    assert (out / "fit" / "model.json").is_file()


def test_bare_log_and_missing_baseline_are_refused(study_copy: Path) -> None:
    with pytest.raises(StudyError, match="needs a study file"):
        run_study(study_copy / "event_logs" / "sample_orders.csv", study_copy / "out", FAST)
    (study_copy / "scenarios" / "baseline.yaml").unlink()
    result = CliRunner().invoke(
        cli, ["study", str(study_copy / "scenarios"), "--out", str(study_copy / "out")]
    )
    assert result.exit_code == 1
    assert "no baseline.yaml beside the study file" in result.output
