"""`l2csim check` on the bundled sample finds what was planted; on every real log it runs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from l2csim.cli import cli

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def sample_check(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, dict, str]:
    out = tmp_path_factory.mktemp("check")
    result = CliRunner().invoke(
        cli, ["check", str(REPO / "scenarios" / "study.yaml"), "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    quality = json.loads((out / "quality.json").read_text())
    truth = json.loads((REPO / "event_logs" / "sample_truth.json").read_text())
    return quality, truth, result.output


def finding(quality: dict, kind: str, column: str | None = None) -> dict:
    found = [
        f
        for f in quality["findings"]
        if f["kind"] == kind and (column is None or f["column"] == column)
    ]
    assert len(found) == 1, f"expected one {kind} finding, got {len(found)}"
    return found[0]


def test_planted_faults_are_found(sample_check) -> None:
    quality, truth, output = sample_check
    planted = truth["data_quality"]
    assert finding(quality, "duplicate_events")["count"] == planted["exact_duplicate_events"]
    assert finding(quality, "cases_without_customer")["count"] == len(
        planted["cases_without_customer"]
    )
    variants = finding(quality, "activity_variants")
    for spelling in planted["activity_name_variants"]["Order received"]:
        assert spelling in " ".join(variants["examples"])
    assert finding(quality, "similar_customers")["count"] == len(truth["rekeyed_customers"])
    rekeyed_values = sum(
        any(c["attribute"] == "order_value" for c in order["changes"])
        for order in truth["rekeyed_orders"]
    )
    assert (
        finding(quality, "changing_case_attribute", "case:order_value")["count"] == rekeyed_values
    )
    assert finding(quality, "backwards_in_time")["count"] == len(planted["timestamp_order_faults"])
    assert "Wrote " in output and "quality.json" in output


def test_table_is_printed(sample_check) -> None:
    _, _, output = sample_check
    assert "similar_customers" in output and "duplicate_events" in output


REAL_LOGS = [
    ("helpdesk.xes.gz", []),
    ("receipt.csv.gz", []),
    ("interval_event_log.csv.gz", []),
    ("running-example.xes.gz", []),
    ("ocel_order_simulated.csv.gz", []),
    ("order-management.ocel2.xml.gz", []),
    ("ocel20_example.jsonocel.gz", ["--object-type", "Purchase Order"]),
    ("ocel20_example.xmlocel.gz", ["--object-type", "Invoice"]),
    ("ocel20_example.sqlite.gz", ["--object-type", "Purchase Requisition"]),
    (
        "purchasing_example.csv.gz",
        [
            "--case",
            "case_id",
            "--activity",
            "activity",
            "--timestamp",
            "end_time",
            "--start-timestamp",
            "start_time",
            "--resource",
            "resource",
        ],
    ),
]


@pytest.mark.parametrize(("name", "flags"), REAL_LOGS, ids=[n for n, _ in REAL_LOGS])
def test_check_runs_on_every_real_log(
    shared_data: Path, tmp_path: Path, name: str, flags: list[str]
) -> None:
    result = CliRunner().invoke(
        cli, ["check", str(shared_data / name), *flags, "--out", str(tmp_path)]
    )
    assert result.exit_code == 0, result.output
    quality = json.loads((tmp_path / "quality.json").read_text())
    assert quality["events"] > 0 and quality["cases"] > 0


@pytest.mark.large
@pytest.mark.parametrize("name", ["bpic2012.xes.gz", "road_traffic_fines.xes.gz"])
def test_check_runs_on_the_large_real_logs(large_data: Path, tmp_path: Path, name: str) -> None:
    result = CliRunner().invoke(cli, ["check", str(large_data / name), "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    quality = json.loads((tmp_path / "quality.json").read_text())
    assert quality["events"] > 0 and quality["cases"] > 0


def test_unreadable_input_is_one_line(tmp_path: Path) -> None:
    path = tmp_path / "log.csv"
    path.write_text("a,b,c\n1,2,3\n")
    result = CliRunner().invoke(cli, ["check", str(path), "--out", str(tmp_path / "out")])
    assert result.exit_code == 1
    assert len(result.output.strip().splitlines()) == 1
    assert "Columns in the file: a, b, c" in result.output
    assert not (tmp_path / "out").exists()
