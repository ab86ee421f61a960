"""`l2csim study` at the command line: help, and bad input refused before any stage runs."""

from __future__ import annotations

import shutil
import socket
from pathlib import Path

import pytest
from click.testing import CliRunner

from l2csim.cli import cli

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def study_copy(tmp_path: Path) -> Path:
    for folder in ("event_logs", "scenarios"):
        shutil.copytree(REPO / folder, tmp_path / folder)
    return tmp_path


def test_help_names_every_stage_and_has_examples() -> None:
    result = CliRunner().invoke(cli, ["study", "--help"])
    assert result.exit_code == 0
    for word in ("check", "mine", "customers", "fit", "validate", "simulate", "compare",
                 "report", "Examples:", "--scheduler", "--force"):  # fmt: skip
        assert word in result.output


def test_one_replication_is_refused(study_copy: Path) -> None:
    result = CliRunner().invoke(
        cli, ["study", str(study_copy / "scenarios"), "--replications", "1"]
    )
    assert result.exit_code == 1
    assert "at least 2 replications" in result.output and "--replications 2" in result.output


def test_a_scheduler_that_does_not_answer_fails_before_any_stage(study_copy: Path) -> None:
    with socket.socket() as probe:  # a free port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    out = study_copy / "outputs" / "study"
    result = CliRunner().invoke(
        cli,
        ["study", str(study_copy / "scenarios"), "--out", str(out),
         "--scheduler", f"tcp://127.0.0.1:{port}"],
    )  # fmt: skip
    assert result.exit_code == 1
    assert f"--scheduler tcp://127.0.0.1:{port}: no Dask scheduler answered" in result.output
    assert not out.exists()


def test_a_study_folder_without_options_is_refused_plainly(study_copy: Path) -> None:
    for scenario in (study_copy / "scenarios").glob("*.yaml"):
        if scenario.stem not in ("study", "baseline"):
            scenario.unlink()
    result = CliRunner().invoke(
        cli, ["study", str(study_copy / "scenarios"), "--out", str(study_copy / "out")]
    )
    assert result.exit_code == 1
    assert "only baseline.yaml beside the study file" in result.output
    assert "Traceback" not in result.output
