"""`l2csim sweep`: a grid over the shipped baseline writes one row per point and KPI."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from click.testing import CliRunner

from l2csim.cli import cli
from study_copy import sample_study


def test_grid_of_cs_staff_and_courtesy_rule(tmp_path: Path) -> None:
    scenarios = sample_study(tmp_path / "study")
    grid = scenarios / "grid.yaml"
    grid.write_text(
        "base: baseline.yaml\nreplications: 3\nseed: 1\nhorizon: 90d\nwarmup: 10d\n"
        "axes:\n  staffing.pools.role:chase_call.size: [1, 4]\n  courtesy.rule: [as_is, none]\n"
    )
    result = CliRunner().invoke(cli, ["sweep", str(grid), "--jobs", "2", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    table = pd.read_csv(tmp_path / "sweep.csv")
    table[["tier", "segment", "pool"]] = table[["tier", "segment", "pool"]].fillna("")
    assert table["point"].nunique() == 4
    assert set(table["courtesy.rule"]) == {"as_is", "none"}
    chase = table[(table["kpi"] == "chase_calls") & (table["tier"] == "")]
    assert len(chase) == 4 and (chase["n"] == 3).all()
    assert (chase["ci_low"] <= chase["mean"]).all() and (chase["mean"] <= chase["ci_high"]).all()
    courtesy = table[(table["kpi"] == "courtesy_calls_made") & (table["tier"] == "")]
    none = courtesy[courtesy["courtesy.rule"] == "none"]["mean"]
    assert (none == 0).all() and (courtesy[courtesy["courtesy.rule"] == "as_is"]["mean"] > 0).all()
    lost = table[(table["kpi"] == "staff_utilisation")]
    assert len(lost)  # per pool rows kept
    bad = scenarios / "bad_grid.yaml"
    bad.write_text("base: baseline.yaml\naxes:\n  courtesy.rule: [sometimes]\n")
    result = CliRunner().invoke(cli, ["sweep", str(bad), "--out", str(tmp_path / "b")])
    assert result.exit_code == 1 and "policy.courtesy.rule" in result.output
