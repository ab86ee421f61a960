"""The command line of the fit's uncertainty and the risk of tipping over: fit --draws,
simulate --fit-uncertainty/--no-fit-uncertainty and --headroom, compare --headroom."""

from __future__ import annotations

import json
from pathlib import Path

import yaml
from click.testing import CliRunner

from l2csim.cli import cli
from l2csim.params import write_params
from sim_models import mmc_model

SHORT = ["--replications", "3", "--horizon", "60d", "--warmup", "10d", "--jobs", "1"]


def invoke(*args: str):
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)


def test_fit_writes_draws_and_simulate_uses_them_unless_told(
    shared_data: Path, tmp_path: Path
) -> None:
    model = tmp_path / "fit" / "model.json"
    log = shared_data / "running-example.xes.gz"
    result = invoke("fit", log, "--out", model, "--draws", "5", "--draws-seed", "3")
    assert result.exit_code == 0, result.output
    assert "model_draws.json (5 parameter sets" in result.output
    draws = json.loads((tmp_path / "fit" / "model_draws.json").read_text())
    assert draws["count"] == 5 and draws["seed"] == 3 and len(draws["sets"]) == 5

    result = invoke("simulate", model, *SHORT, "--out", tmp_path / "on")
    assert result.exit_code == 0, result.output
    on = json.loads((tmp_path / "on" / "run.json").read_text())["fit_uncertainty"]
    assert on["used"] and on["draws"] == 5 and on["seed"] == 3
    result = invoke("simulate", model, *SHORT, "--no-fit-uncertainty", "--out", tmp_path / "off")
    off = json.loads((tmp_path / "off" / "run.json").read_text())["fit_uncertainty"]
    assert off == {"used": False, "reason": "turned off (--no-fit-uncertainty)"}

    # refit without draws: the old ones (of the earlier fit) are removed, and requiring draws
    # is then a plain error
    result = invoke("fit", log, "--out", model, "--draws", "0")
    assert result.exit_code == 0 and not (tmp_path / "fit" / "model_draws.json").exists()
    result = CliRunner().invoke(
        cli, ["simulate", str(model), *SHORT, "--fit-uncertainty", "--out", str(tmp_path / "x")]
    )
    assert result.exit_code == 1
    assert "no parameter draws beside the model" in result.output
    assert "Traceback" not in result.output


def queue_scenarios(folder: Path, load: float) -> Path:
    write_params(mmc_model(load, 1.0, 1), folder / "model.json")
    (folder / "baseline.yaml").write_text(yaml.safe_dump({"model": "model.json"}))
    (folder / "two_servers.yaml").write_text(
        yaml.safe_dump(
            {"extends": "baseline.yaml", "policy": {"staffing": {"pools": {"servers": {"add": 1}}}}}
        )
    )
    return folder


def test_headroom_from_the_command_line(tmp_path: Path) -> None:
    scenarios = queue_scenarios(tmp_path, 0.95)
    budget = ["--headroom", "--headroom-replications", "4", "--headroom-horizon", "120d",
              "--headroom-step", "0.5"]  # fmt: skip
    result = invoke(
        "simulate", scenarios / "two_servers.yaml", *SHORT, *budget, "--out", tmp_path / "sim"
    )
    assert result.exit_code == 0, result.output
    assert "no runaway within the range searched" in result.output
    assert "Headroom search: 8 runs in" in result.output  # x2.0, then x1.0
    found = json.loads((tmp_path / "sim" / "headroom.json").read_text())
    assert found["status"] == "beyond_range" and found["grid"] == [1.0, 1.5, 2.0]

    result = invoke(
        "compare", scenarios / "baseline.yaml", scenarios / "two_servers.yaml", *SHORT, *budget,
        "--out", tmp_path / "cmp",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "Warning: today's operation has little headroom" in result.output
    assert "two_servers: no runaway within the range searched" in result.output
    assert "baseline: " in result.output and " replications run away (" in result.output
    doc = json.loads((tmp_path / "cmp" / "comparison.json").read_text())
    assert set(doc["headroom"]) == {"baseline", "two_servers"}
