"""`--jobs` is honoured: `compare --jobs 1` runs every replication in this one process (it
used to hand simulate() no executor, which then took every core); `--jobs 2` uses workers."""

from __future__ import annotations

import multiprocessing.process
from pathlib import Path

import pytest
from click.testing import CliRunner

from l2csim.cli import cli
from study_copy import sample_study

FAST = ["--replications", "2", "--horizon", "30d", "--warmup", "7d"]


@pytest.fixture(scope="module")
def scenarios(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return sample_study(tmp_path_factory.mktemp("jobs"))


def compare(scenarios: Path, out: Path, jobs: str, monkeypatch: pytest.MonkeyPatch) -> list:
    """Run compare and return the processes it started."""
    started: list = []
    original = multiprocessing.process.BaseProcess.start

    def start(process) -> None:
        started.append(process)
        original(process)

    monkeypatch.setattr(multiprocessing.process.BaseProcess, "start", start)
    result = CliRunner().invoke(
        cli,
        ["compare", str(scenarios / "baseline.yaml"), str(scenarios / "tier_priority.yaml"),
         *FAST, "--jobs", jobs, "--out", str(out)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    return started


def test_compare_jobs_1_uses_one_process(scenarios, tmp_path, monkeypatch) -> None:
    assert compare(scenarios, tmp_path / "one", "1", monkeypatch) == []
    assert (tmp_path / "one" / "comparison.json").is_file()


def test_compare_jobs_2_uses_worker_processes(scenarios, tmp_path, monkeypatch) -> None:
    started = compare(scenarios, tmp_path / "two", "2", monkeypatch)
    assert len(started) == 2
    one = (tmp_path / "two" / "comparison.csv").read_bytes()
    compare(scenarios, tmp_path / "again", "1", monkeypatch)
    assert (tmp_path / "again" / "comparison.csv").read_bytes() == one  # same numbers
