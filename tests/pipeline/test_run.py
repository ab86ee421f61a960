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
from l2csim.pipeline import run as run_module
from l2csim.pipeline.run import (
    SAMPLE_STUDY,
    Stage,
    StudyOptions,
    default_study,
    file_hash,
    run_study,
    scenario_files,
)
from l2csim.study import load_study

REPO = Path(__file__).resolve().parents[2]
# The headroom search on a small budget (2 runs of 60 days at x1, x1.5, x2) in every study here.
HEADROOM = {"headroom_replications": 2, "headroom_horizon": "60d", "headroom_step": 0.5}
FAST = StudyOptions(replications=2, horizon="60d", warmup="7d", jobs=1, **HEADROOM)


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
    assert order[-2:] == ["compare", "report"]
    shipped = {p.stem for p in (REPO / "scenarios").glob("*.yaml")} - {"study"}
    assert {n.removeprefix("simulate/") for n in order if n.startswith("simulate/")} == shipped
    manifest = json.loads((out / "manifest.json").read_text())
    assert set(manifest["stages"]) == set(order)
    for name, entry in manifest["stages"].items():
        assert entry["outputs"], name
        assert entry["seconds"] >= 0
        for relative, digest in entry["outputs"].items():
            assert (out / name / relative).is_file()
            assert len(digest) == 64
    assert [s["stage"] for s in manifest["last_run"]["stages"]] == order
    assert (out / "check" / "quality.json").is_file()
    assert (out / "fit" / "model.json").is_file()
    assert (out / "validate" / "validation.json").is_file()
    comparison = json.loads((out / "compare" / "comparison.json").read_text())
    assert comparison["scenarios"][0]["name"] == "baseline"
    assert comparison["validation"]["status"] in ("passed", "failed")
    assert comparison["replications"] == FAST.replications
    report = (out / "report" / "report.html").read_text()
    assert "Executive summary" in report and "comparison-table" in report
    assert not list(out.rglob(".*.partial"))


def test_rerun_with_nothing_changed_reuses_everything_fast(finished) -> None:
    root, out, _ = finished
    started = time.perf_counter()
    run = run_study(root / "scenarios", out, FAST)
    assert time.perf_counter() - started < 10
    assert all(outcome.reused for outcome in run.outcomes)


def test_changed_scenario_reruns_itself_and_what_reads_it(finished) -> None:
    root, out, _ = finished
    settle(root, out)
    scenario = root / "scenarios" / "tier_priority.yaml"
    scenario.write_text(scenario.read_text() + "\ndescription: edited\n")
    run = run_study(root / "scenarios", out, FAST)
    rerun = [o.name for o in run.outcomes if not o.reused]
    assert rerun == ["simulate/tier_priority", "compare", "report"]


def test_changed_setting_reruns_the_simulations_and_what_reads_them(finished) -> None:
    root, out, _ = finished
    settle(root, out)
    options = StudyOptions(replications=3, horizon="60d", warmup="7d", jobs=1, **HEADROOM)
    run = run_study(root / "scenarios", out, options)
    rerun = {o.name for o in run.outcomes if not o.reused}
    assert {n for n in rerun if not n.startswith("simulate/")} == {"compare", "report"}
    assert len(rerun) == 2 + len(list((root / "scenarios").glob("*.yaml"))) - 1


def test_a_damaged_output_is_redone(finished) -> None:
    root, out, _ = finished
    settle(root, out)
    (out / "check" / "quality.json").write_text("{}")
    run = run_study(root / "scenarios", out, FAST)
    assert [o.name for o in run.outcomes if not o.reused] == ["check"]
    assert json.loads((out / "check" / "quality.json").read_text())["findings"]


def test_force_redoes_the_named_stage(finished) -> None:
    root, out, _ = finished
    settle(root, out)
    options = StudyOptions(
        replications=2, horizon="60d", warmup="7d", jobs=1, force=("fit",), **HEADROOM
    )
    run = run_study(root / "scenarios", out, options)
    # the refit writes the same bytes (deterministic), so nothing downstream reruns
    assert [o.name for o in run.outcomes if not o.reused] == ["fit"]


def test_sigterm_keeps_finished_stages_and_a_rerun_continues(study_copy: Path) -> None:
    """SIGTERM once check to fit are done, while validate runs replications on a process
    pool beside the simulations: what the run said was done is recorded and intact, the
    rest left nothing half-written (no partial folder, no temporary file, no stage folder),
    and the rerun goes on from there."""
    out = study_copy / "outputs" / "study"
    command = [
        sys.executable, "-m", "l2csim", "study", str(study_copy / "scenarios"), "--out", str(out),
        "--replications", "2", "--horizon", "60d", "--warmup", "7d", "--jobs", "2",
    ]  # fmt: skip
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, env=env)
    assert process.stdout is not None
    done: set[str] = set()
    for line in process.stdout:
        if " done in " in line:
            done.add(line.split(" ", 1)[0])
        # mine runs beside customers and fit and says so when it ends, in either order.
        if {"fit", "mine"} <= done:
            process.send_signal(signal.SIGTERM)
            break
    done |= {line.split(" ", 1)[0] for line in process.stdout if " done in " in line}
    assert process.wait(timeout=60) == 130
    manifest = json.loads((out / "manifest.json").read_text())
    assert {"check", "mine", "customers", "fit"} <= done and "report" not in done
    assert set(manifest["stages"]) == done
    for name in done:
        for relative, digest in manifest["stages"][name]["outputs"].items():
            assert file_hash(out / name / relative) == digest
    leftovers = [p for p in out.rglob("*") if p.name.startswith(".")]
    assert leftovers == []
    assert not (out / "report").exists()
    assert "validate" in done or not (out / "validate").exists()
    run = run_study(study_copy / "scenarios", out, FAST)
    assert {o.name for o in run.outcomes if o.reused} == done
    assert (out / "report" / "report.html").is_file()


def test_bare_log_and_missing_baseline_are_refused(study_copy: Path) -> None:
    with pytest.raises(StudyError, match="needs a study file"):
        run_study(study_copy / "event_logs" / "sample_orders.csv", study_copy / "out", FAST)
    (study_copy / "scenarios" / "baseline.yaml").unlink()
    result = CliRunner().invoke(
        cli, ["study", str(study_copy / "scenarios"), "--out", str(study_copy / "out")]
    )
    assert result.exit_code == 1
    assert "no baseline.yaml beside the study file" in result.output


def test_without_a_study_here_the_bundled_sample_is_generated_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    study_file = default_study()
    assert study_file == SAMPLE_STUDY / "scenarios" / "study.yaml"
    study = load_study(study_file)
    scenarios = scenario_files(study)
    assert next(iter(scenarios)) == "baseline"
    shipped = {p.stem for p in (REPO / "scenarios").glob("*.yaml")} - {"study"}
    assert set(scenarios) == shipped
    stamp = study_file.stat().st_mtime_ns
    assert default_study() == study_file and study_file.stat().st_mtime_ns == stamp


def test_a_study_moved_elsewhere_is_reused(finished, tmp_path: Path) -> None:
    root, out, _ = finished
    settle(root, out)
    moved = tmp_path / "moved"
    shutil.copytree(root, moved)
    run = run_study(moved / "scenarios", moved / "outputs" / "study", FAST)
    assert all(outcome.reused for outcome in run.outcomes)
    manifest = json.loads((moved / "outputs" / "study" / "manifest.json").read_text())
    for entry in manifest["stages"].values():
        assert all(path.startswith(str(moved)) for path in entry["inputs"])


def test_simulations_on_a_dask_cluster_give_the_same_bytes_and_nothing_after_reruns(
    finished,
) -> None:
    from distributed import LocalCluster

    root, out, _ = finished
    settle(root, out)
    before = {p: p.read_bytes() for p in (out / "simulate").rglob("kpis.csv")}
    with LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
        dashboard_address=None,
    ) as cluster:  # fmt: skip
        options = StudyOptions(
            replications=2, horizon="60d", warmup="7d", jobs=1,
            scheduler=cluster.scheduler_address, force=("simulate",), **HEADROOM,
        )  # fmt: skip
        run = run_study(root / "scenarios", out, options)
    rerun = [o.name for o in run.outcomes if not o.reused]
    assert rerun and all(name.startswith("simulate/") for name in rerun)
    assert {p: p.read_bytes() for p in (out / "simulate").rglob("kpis.csv")} == before


def _stages(out: Path, background_work) -> list[Stage]:
    """A background stage, one after it that does not read it, one that does."""

    def foreground(folder: Path, _step) -> None:
        (folder / "pid").write_text(str(os.getpid()))

    def reader(folder: Path, _step) -> None:  # sees the background stage's outputs in place
        (folder / "saw").write_text((out / "bg" / "pid").read_text())

    return [
        Stage("bg", (), {}, background_work, background=True),
        Stage("fg", (), {}, foreground),
        Stage("after", (out / "bg",), {}, reader),
    ]


def test_a_background_stage_runs_beside_the_next_in_its_own_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "out"
    started = tmp_path / "fg-started"

    def slow(folder: Path, _step) -> None:
        time.sleep(1.0)  # long enough for the stage after it to start meanwhile
        (folder / "pid").write_text(str(os.getpid()))
        (folder / "fg_ran_meanwhile").write_text(str(started.exists()))

    stages = _stages(out, slow)
    fg = stages[1].work
    stages[1] = Stage("fg", (), {}, lambda f, s: (started.touch(), fg(f, s)))
    monkeypatch.setattr(run_module, "plan", lambda *args: stages)
    run = run_study(REPO / "scenarios", out, FAST)
    assert [o.name for o in run.outcomes] == ["bg", "fg", "after"]  # the plan's order
    assert (out / "bg" / "pid").read_text() != str(os.getpid())
    assert (out / "bg" / "fg_ran_meanwhile").read_text() == "True"
    assert (out / "after" / "saw").read_text() == (out / "bg" / "pid").read_text()
    manifest = json.loads((out / "manifest.json").read_text())
    assert {"bg", "fg", "after"} <= set(manifest["stages"])
    assert [s["stage"] for s in manifest["last_run"]["stages"]] == ["bg", "fg", "after"]
    assert not [p for p in out.iterdir() if p.name.startswith(".")]
    rerun = run_study(REPO / "scenarios", out, FAST)
    assert all(o.reused for o in rerun.outcomes)


def test_a_failing_background_stage_fails_the_run_and_leaves_nothing_behind(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "out"

    def failing(folder: Path, _step) -> None:
        (folder / "half").write_text("written")
        raise StudyError("the background stage failed")

    monkeypatch.setattr(run_module, "plan", lambda *args: _stages(out, failing))
    with pytest.raises(StudyError, match="the background stage failed"):
        run_study(REPO / "scenarios", out, FAST)
    manifest = json.loads((out / "manifest.json").read_text())
    assert "bg" not in manifest["stages"] and "fg" in manifest["stages"]
    assert not (out / "bg").exists() and not (out / "after").exists()
    assert not [p for p in out.iterdir() if p.name.startswith(".")]


def test_mine_and_validate_run_beside_other_stages_only_when_more_cores_may_be_used(
    tmp_path: Path,
) -> None:
    from l2csim.inputs import resolve_inputs

    inputs = resolve_inputs(REPO / "scenarios")
    for jobs, expected in ((1, set()), (2, {"mine", "validate"})):
        stages = run_module.plan(inputs, tmp_path, StudyOptions(jobs=jobs, **HEADROOM))
        assert {s.name for s in stages if s.background} == expected, jobs
