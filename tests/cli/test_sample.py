"""`l2csim sample`: writes a complete study folder that the other commands can read."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from l2csim.cli import cli
from l2csim.inputs import read_inputs_log, resolve_inputs


def test_sample_writes_a_readable_study(tmp_path: Path) -> None:
    out = tmp_path / "study"
    result = CliRunner().invoke(cli, ["sample", "--out", str(out), "--seed", "3", "--days", "30"])
    assert result.exit_code == 0, result.output
    for name in (
        "event_logs/sample_orders.csv",
        "scenarios/study.yaml",
        "scenarios/documented_process.bpmn",
    ):
        assert f"Wrote {out / name}" in result.output
    log = read_inputs_log(resolve_inputs(out))
    assert log.n_cases > 100
    assert log.has_customers


def test_sample_refuses_too_short_a_period(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["sample", "--out", str(tmp_path), "--days", "3"])
    assert result.exit_code == 2
    assert "28<=x<=3650" in result.output
    assert not any(tmp_path.iterdir())
