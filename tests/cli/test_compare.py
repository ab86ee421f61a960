"""`l2csim compare` on the bundled sample's shipped scenarios: files, numbers, readings,
determinism, the validation warning and bad input."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from l2csim.cli import cli
from l2csim.comparison.charts import write_charts
from study_copy import sample_study

RUN = ["--replications", "5", "--seed", "4", "--horizon", "120d", "--warmup", "20d"]


def invoke(*args: str):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


@pytest.fixture(scope="module")
def study(tmp_path_factory) -> Path:
    return sample_study(tmp_path_factory.mktemp("study"))


@pytest.fixture(scope="module")
def compared(study, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("compare")
    result = invoke(
        "compare", str(study / "baseline.yaml"), str(study / "tier_priority.yaml"),
        str(study / "one_more_cs_agent.yaml"), *RUN, "--jobs", "2", "--out", str(out),
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "validation is not validated" in result.output  # no validate run yet
    return out


def test_comparison_files_and_summary_match_the_rows(compared: Path) -> None:
    doc = json.loads((compared / "comparison.json").read_text())
    assert doc["schema_version"] == 1 and doc["baseline"] == "baseline"
    assert [s["name"] for s in doc["scenarios"]] == [
        "baseline", "tier_priority", "one_more_cs_agent",
    ]  # fmt: skip
    assert doc["replications"] == 5 and doc["seed"] == 4 and doc["confidence"] == 0.95
    assert doc["validation"]["status"] == "not_validated"
    rows = {(r["scenario"], r["kpi"], r["tier"], r["segment"], r["pool"]): r for r in doc["rows"]}
    assert len(doc["summary"]) == 3 * 4
    for entry in doc["summary"]:
        row = rows[(entry["scenario"], entry["kpi"], entry["tier"], "", "")]
        assert entry["mean"] == row["mean"] and entry["diff_text"] == row["diff_text"]
    csv = pd.read_csv(compared / "comparison.csv", keep_default_na=False)
    assert len(csv) == len(doc["rows"])
    for name in ("backlog_over_time", "chase_calls_per_week", "sla_attainment_by_tier"):
        assert (compared / f"{name}.svg").read_text().startswith("<?xml")
        assert (compared / f"{name}.png").read_bytes()[:4] == b"\x89PNG"
    assert set(doc["risk"]) == {"baseline", "tier_priority", "one_more_cs_agent"}
    assert 0 <= doc["risk"]["baseline"]["runaway_share"] <= 1
    assert doc["recommendation"]["statement"]


def test_paired_differences_are_the_mean_of_replication_differences(compared: Path) -> None:
    kpis = {
        name: pd.read_parquet(compared / "runs" / name / "kpis.parquet")
        for name in ("baseline", "tier_priority")
    }
    doc = json.loads((compared / "comparison.json").read_text())

    def values(name: str, kpi: str, tier: str):
        f = kpis[name]
        rows = f[(f["kpi"] == kpi) & (f["tier"] == tier) & (f["segment"] == "")]
        return rows.sort_values("replication")["value"].to_numpy()

    for row in doc["rows"]:
        if row["scenario"] != "tier_priority" or row["segment"] or row["pool"]:
            continue
        if row["kpi"] not in ("chase_calls", "lead_time_mean_hours", "backlog_mean"):
            continue
        diff = values("tier_priority", row["kpi"], row["tier"]) - values(
            "baseline", row["kpi"], row["tier"]
        )
        assert row["diff"] == pytest.approx(np.nanmean(diff))  # replications with no value left out
        spans_zero = row["diff_low"] <= 0 <= row["diff_high"]
        assert row["significant"] is (not spans_zero)
        assert ("no clear difference" in row["reading"] or "no difference" in row["reading"]) is (
            not row["significant"]
        )


def test_tier_priority_reads_as_helping_key_accounts(compared: Path) -> None:
    doc = json.loads((compared / "comparison.json").read_text())
    key = next(
        r for r in doc["rows"]
        if r["scenario"] == "tier_priority" and r["kpi"] == "lead_time_mean_hours"
        and r["tier"] == "key_account" and not r["segment"]
    )  # fmt: skip
    # Key accounts are served first, but their chases no longer jump the queue or cut their
    # stock waits (and escalations still take their team's time), so the sign is the
    # model's to say. The reading follows the interval: the direction when it excludes
    # zero, no clear difference when it does not.
    if key["significant"]:
        assert key["effect"] == ("improves" if key["diff"] < 0 else "worsens")
        verb = "cuts" if key["diff"] < 0 else "raises"
        assert key["reading"].startswith(f"{verb} key-account lead time by ")
    else:
        assert key["diff_low"] <= 0 <= key["diff_high"]
        assert "no clear difference" in key["reading"]
    assert doc["readings"]["tier_priority"].startswith("tier priority ")


def test_reusing_the_runs_gives_the_same_numbers(compared: Path, tmp_path: Path) -> None:
    runs = compared / "runs"
    result = invoke(
        "compare", str(runs / "baseline"), str(runs / "tier_priority"),
        str(runs / "one_more_cs_agent"), "--out", str(tmp_path),
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    a = json.loads((compared / "comparison.json").read_text())
    b = json.loads((tmp_path / "comparison.json").read_text())
    assert a["rows"] == b["rows"] and a["readings"] == b["readings"]
    for name in ("backlog_over_time.svg", "revenue_at_risk_by_tier.svg", "comparison.csv"):
        assert (compared / name).read_bytes() == (tmp_path / name).read_bytes(), name


def test_charts_are_byte_identical(compared: Path, tmp_path: Path) -> None:
    kpis = {"baseline": pd.read_parquet(compared / "runs" / "baseline" / "kpis.parquet")}
    first = [p.read_bytes() for p in write_charts(kpis, tmp_path / "a")]
    second = [p.read_bytes() for p in write_charts(kpis, tmp_path / "b")]
    assert first == second


def test_failed_validation_is_warned_and_recorded(study: Path, compared: Path, tmp_path) -> None:
    from l2csim.fit.fingerprint import sha256_of

    model = study.parent / "outputs" / "fit" / "model.json"
    validation = tmp_path / "validation.json"
    validation.write_text(
        json.dumps({"passed": False, "failed": ["chase_call_rate"],
                    "model_sha256": sha256_of(model)})
    )  # fmt: skip
    runs = compared / "runs"
    result = invoke(
        "compare", str(runs / "baseline"), str(runs / "tier_priority"),
        "--validation", str(validation), "--out", str(tmp_path / "o"),
    )  # fmt: skip
    assert result.exit_code == 0
    assert "Warning: the baseline model's validation is failed (chase_call_rate)" in result.output
    doc = json.loads((tmp_path / "o" / "comparison.json").read_text())
    assert doc["validation"]["status"] == "failed"
    # a baseline that fails validation carries no recommendation, and says what failed
    assert doc["recommendation"]["scenario"] is None
    assert doc["recommendation"]["gate"] == {
        "status": "failed", "open": False, "failed": ["chase_call_rate"],
        "statement": doc["recommendation"]["statement"],
    }  # fmt: skip
    statement = doc["recommendation"]["statement"]
    assert statement.startswith("The model does not reproduce today's operation: no recommendation")
    assert "chase calls per order" in statement


def test_fewer_than_two_replications_is_refused(study: Path, tmp_path: Path) -> None:
    result = invoke(
        "compare", str(study / "baseline.yaml"), str(study / "tier_priority.yaml"),
        "--replications", "1", "--out", str(tmp_path),
    )  # fmt: skip
    assert result.exit_code == 1
    assert "needs at least 2 replications (got 1)" in result.output


def test_scenario_extending_a_missing_file_or_a_cycle(study: Path, tmp_path: Path) -> None:
    missing = study / "bad_missing.yaml"
    missing.write_text("extends: nowhere.yaml\n")
    a, b = study / "bad_a.yaml", study / "bad_b.yaml"
    a.write_text("extends: bad_b.yaml\n")
    b.write_text("extends: bad_a.yaml\n")
    try:
        result = invoke("compare", str(study / "baseline.yaml"), str(missing), *RUN)
        assert result.exit_code == 1
        assert "extends 'nowhere.yaml', which does not exist" in result.output
        result = invoke("compare", str(study / "baseline.yaml"), str(a), *RUN)
        assert result.exit_code == 1
        assert "`extends` makes a cycle (bad_a.yaml -> bad_b.yaml -> bad_a.yaml)" in result.output
    finally:
        for path in (missing, a, b):
            path.unlink()
    assert not (tmp_path / "runs").exists()


def test_baseline_fitted_from_another_log_is_refused(study: Path, tmp_path: Path) -> None:
    """A study whose log differs (one extra event) from the one the model was fitted on."""
    other = tmp_path / "study"
    shutil.copytree(study, other / "scenarios")
    (other / "event_logs").mkdir()
    source = study.parent / "event_logs"
    for path in source.iterdir():
        shutil.copy(path, other / "event_logs" / path.name)
    log = other / "event_logs" / "sample_orders.csv"
    lines = log.read_text().splitlines(keepends=True)
    log.write_text("".join([*lines, lines[-1]]))
    result = invoke(
        "compare", str(study / "baseline.yaml"), str(study / "tier_priority.yaml"),
        "--study", str(other / "scenarios" / "study.yaml"), *RUN, "--out", str(tmp_path / "o"),
    )  # fmt: skip
    assert result.exit_code == 1
    assert "the baseline model was fitted from another log" in result.output
    assert "refit it with `l2csim fit" in result.output
