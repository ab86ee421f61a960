"""`l2csim sample --operation` and `--list-operations`: the test bed from the command line."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from l2csim.cli import cli
from l2csim.inputs import read_inputs_log, resolve_inputs
from l2csim.sample.testbed import OPERATIONS


def test_list_operations_names_every_operation() -> None:
    result = CliRunner().invoke(cli, ["sample", "--list-operations"])
    assert result.exit_code == 0, result.output
    for name in OPERATIONS:
        assert f"{name}:" in result.output


def test_operation_writes_a_study_l2csim_reads(tmp_path: Path) -> None:
    out = tmp_path / "op"
    args = [
        "sample",
        "--operation",
        "small_team",
        "--days",
        "40",
        "--seed",
        "2",
        "--counterfactual-seeds",
        "1",
        "--out",
        str(out),
    ]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    for name in (
        "event_logs/small_team_orders.csv",
        "event_logs/small_team_truth.json",
        "event_logs/small_team_counterfactual.json",
        "scenarios/study.yaml",
        "scenarios/baseline.yaml",
        "scenarios/tier_priority.yaml",
    ):
        assert f"Wrote {out / name}" in result.output
    log = read_inputs_log(resolve_inputs(out))
    assert log.n_cases > 30
    assert log.has_customers


def test_unknown_operation_is_a_usage_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["sample", "--operation", "nope", "--out", str(tmp_path)])
    assert result.exit_code == 2
    assert "unknown operation 'nope'" in result.output
    assert not any(tmp_path.iterdir())
