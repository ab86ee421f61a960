"""`l2csim simulate`: files written, byte-identical reruns, the event log mines again."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from l2csim.cli import cli
from l2csim.log import read_log
from l2csim.params import write_params
from sim_models import sample_like_model


@pytest.fixture(scope="module")
def model(tmp_path_factory) -> Path:
    return write_params(sample_like_model(), tmp_path_factory.mktemp("fit") / "model.json")


def run(*args: str):
    return CliRunner().invoke(cli, ["simulate", *args], catch_exceptions=False)


def test_same_seed_gives_byte_identical_kpis_on_any_number_of_jobs(model, tmp_path) -> None:
    common = ["--replications", "2", "--seed", "7", "--horizon", "120d", "--warmup", "10d"]
    first = run(str(model), *common, "--out", str(tmp_path / "a"))
    assert first.exit_code == 0, first.output
    assert "Wrote" in first.output and "kpis.parquet" in first.output
    second = run(str(model), *common, "--jobs", "2", "--out", str(tmp_path / "b"))
    assert second.exit_code == 0, second.output
    a = (tmp_path / "a" / "kpis.csv").read_bytes()
    assert a == (tmp_path / "b" / "kpis.csv").read_bytes()
    other = run(str(model), *common[:2], "--seed", "8", *common[4:], "--out", str(tmp_path / "c"))
    assert other.exit_code == 0 and (tmp_path / "c" / "kpis.csv").read_bytes() != a
    kpis = pd.read_parquet(tmp_path / "a" / "kpis.parquet")
    assert list(kpis.columns) == [
        "scenario",
        "replication",
        "kpi",
        "tier",
        "segment",
        "pool",
        "week",
        "day",
        "value",
    ]
    assert sorted(kpis["replication"].unique()) == [0, 1]
    days = kpis[kpis["kpi"] == "backlog_daily"]
    assert days["day"].min() == 10 and days["day"].max() == 119


def test_event_log_is_a_log_l2csim_reads(model, tmp_path) -> None:
    result = run(
        str(model),
        "--replications",
        "1",
        "--horizon",
        "30d",
        "--warmup",
        "0d",
        "--event-log",
        "--out",
        str(tmp_path),
    )
    assert result.exit_code == 0, result.output
    logs = {}
    for name in ("events.csv", "events.xes"):
        log = read_log(tmp_path / name)
        assert log.n_cases > 300
        assert {"Order received", "Delivered", "Customer chase call"} <= set(log.activities)
        assert str(log.events["time:timestamp"].dt.tz) == "UTC" and log.has_start_times
        logs[name] = log.events.sort_values(["case:concept:name", "time:timestamp"])
    # Both files hold the same moments (the XES once read them as nanoseconds since 1970).
    csv, xes = (logs[n]["time:timestamp"].reset_index(drop=True) for n in logs)
    pd.testing.assert_series_equal(csv, xes, check_names=False)
    assert csv.min() > pd.Timestamp("2000-01-01", tz="UTC")
    again = run(
        str(model), "--replications", "1", "--horizon", "30d", "--warmup", "0d",
        "--event-log", "--out", str(tmp_path / "again"),
    )  # fmt: skip
    assert again.exit_code == 0, again.output
    for name in ("events.csv", "events.xes"):  # the same replications, the same bytes
        assert (tmp_path / name).read_bytes() == (tmp_path / "again" / name).read_bytes()


def test_bad_input_is_one_clear_line(model, tmp_path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(f"model: {model}\npolicy: {{discipline: fifo, courtesy: {{rule: some}}}}\n")
    result = run(str(bad), "--out", str(tmp_path / "o"))
    assert result.exit_code == 1
    assert "policy.courtesy.rule: Input should be 'as_is', 'none', 'all'" in result.output
    missing = run(str(tmp_path / "none.json"), "--out", str(tmp_path / "o"))
    assert missing.exit_code == 1 and "model file not found" in missing.output
    horizon = run(str(model), "--horizon", "1y", "--out", str(tmp_path / "o"))
    assert horizon.exit_code == 1 and "--horizon '1y'" in horizon.output
    assert not (tmp_path / "o").exists()


def test_the_bundled_samples_fitted_model_runs_as_is(tmp_path, monkeypatch) -> None:
    """The contract with `l2csim fit`: its model of the bundled sample simulates directly."""
    monkeypatch.chdir(tmp_path)  # fit must not pick up a retention model from ./outputs
    from l2csim.fit import run as fit
    from l2csim.inputs import LogOverrides, resolve_inputs

    repo = Path(__file__).resolve().parents[2]
    _, model = fit(
        resolve_inputs(str(repo / "scenarios" / "study.yaml"), LogOverrides()),
        tmp_path / "model.json",
    )
    result = run(
        str(model),
        "--replications",
        "1",
        "--horizon",
        "90d",
        "--warmup",
        "7d",
        "--out",
        str(tmp_path / "sim"),
    )
    assert result.exit_code == 0, result.output
    kpis = pd.read_csv(tmp_path / "sim" / "kpis.csv")
    arrived = kpis.loc[
        (kpis["kpi"] == "orders_arrived") & kpis["tier"].isna() & kpis["segment"].isna(), "value"
    ].item()
    assert 700 < arrived < 1200  # the sample has about 4,000 orders a year
