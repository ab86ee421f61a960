"""`l2csim fit`: exit codes, messages and the model file written."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from l2csim.cli import cli
from l2csim.params import load_params

REPO = Path(__file__).resolve().parents[2]


def test_fit_bare_log_writes_model_and_notes(shared_data: Path, tmp_path: Path) -> None:
    out = tmp_path / "model.json"
    result = CliRunner().invoke(
        cli,
        [
            "fit", str(shared_data / "purchasing_example.csv.gz"),
            "--case", "case_id", "--activity", "activity", "--timestamp", "end_time",
            "--start-timestamp", "start_time", "--resource", "resource", "--out", str(out),
        ],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "9,119 events, 608 cases" in result.output
    assert "Note: no activity roles" in result.output
    assert f"Wrote {out}" in result.output
    assert len(load_params(out).activities) == 21


def test_fit_sample_study_with_crm_tiers(tmp_path: Path) -> None:
    out = tmp_path / "m.json"
    args = ["fit", str(REPO / "scenarios" / "study.yaml"), "--out", str(out)]
    tiers = ["--tiers", str(REPO / "event_logs" / "sample_crm_tiers.csv")]
    result = CliRunner().invoke(cli, [*args, *tiers])
    assert result.exit_code == 0, result.output
    model = load_params(out)
    assert {"key_account", "priority", "occasional", "one_time"} <= {t.name for t in model.tiers}
    assert model.created_from is not None and model.created_from.path == "sample_orders.csv"


def test_fit_errors_are_one_line(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["fit", str(tmp_path / "none.csv")])
    assert result.exit_code == 1
    assert "none.csv: file not found." in result.output
    bad = tmp_path / "tiers.csv"
    bad.write_text("a,b\n1,2\n", encoding="utf-8")
    result = CliRunner().invoke(
        cli, ["fit", str(REPO / "scenarios" / "study.yaml"), "--tiers", str(bad)]
    )
    assert result.exit_code == 1
    assert "no tier column; columns are a, b." in result.output


def test_fit_a_log_without_resources_writes_model_and_draws(
    shared_data: Path, tmp_path: Path
) -> None:
    """An order log with no resource column (interval_event_log: case, activity, start,
    end): the fit and its parameter draws are written, every step's staff inferred."""
    out = tmp_path / "model.json"
    result = CliRunner().invoke(
        cli, ["fit", str(shared_data / "interval_event_log.csv.gz"), "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert (tmp_path / "model_draws.json").is_file()
    params = load_params(out)
    assert not any(p.name == "unassigned" for p in params.pools)
