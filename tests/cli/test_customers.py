"""`l2csim customers` from the command line: real logs, logs without customers, bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
from click.testing import CliRunner

from l2csim.cli import cli


def invoke(*args: str):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_help_has_an_example() -> None:
    result = invoke("customers", "--help")
    assert result.exit_code == 0 and "--as-of" in result.output and "Examples" in result.output


def test_log_without_customers_still_reports_sla(shared_data: Path, tmp_path: Path) -> None:
    result = invoke("customers", str(shared_data / "receipt.csv.gz"), "--out", str(tmp_path))
    assert result.exit_code == 0, result.output
    assert "no customer column" in result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["retention_model.json", "sla.csv"]
    sla = pd.read_csv(tmp_path / "sla.csv")
    total = sla[(sla["tier"] == "all") & (sla["month"] == "all") & (sla["segment"] == "all")]
    assert total["orders"].tolist() == [1434]  # every case of the receipt log
    model = json.loads((tmp_path / "retention_model.json").read_text())
    assert model["source"] == "off" and "no customer column" in model["reason"]
    assert model["simulation"] == {"enabled": False}  # nobody can be seen leaving: no churn
    assert "churn is not simulated" in result.output


def test_helpdesk_customers_are_profiled(shared_data: Path, tmp_path: Path) -> None:
    log = shared_data / "helpdesk.xes.gz"
    result = invoke("customers", str(log), "--customer", "customer", "--out", str(tmp_path))
    assert result.exit_code == 0, result.output
    customers = pd.read_csv(tmp_path / "customers.csv")
    # 397 ids occur, but a case belongs to the first one it names: 3 only ever come second.
    assert len(customers) == 394 and customers["is_canonical"].all()
    assert customers["orders"].sum() == 4580  # every ticket belongs to one customer
    assert set(customers["tier"]) <= {"key_account", "priority", "occasional", "one_time"}
    one_time = customers["orders"] == 1
    assert (customers.loc[one_time, "tier"] == "one_time").all()
    overdue = pd.read_csv(tmp_path / "overdue.csv")
    assert (overdue["orders"] >= 4).all()


def test_formula_like_names_are_neutralised(tmp_path: Path) -> None:
    rows = ["case,activity,time,cust,name"]
    for i in range(6):
        day = f"2025-0{i + 1}-10T10:00:00+00:00"
        rows.append(f'{i},Order received,{day},C1,=HYPERLINK("x")')
        rows.append(f'{i},Delivered,{day.replace("T10", "T12")},C1,=HYPERLINK("x")')
    log = tmp_path / "log.csv"
    log.write_text("\n".join(rows) + "\n")
    flags = ["--case", "case", "--activity", "activity", "--timestamp", "time"]
    result = invoke(
        "customers", str(log), *flags, "--customer", "cust", "--customer-name", "name",
        "--out", str(tmp_path / "out"),
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    text = (tmp_path / "out" / "customers.csv").read_text()
    assert "'=HYPERLINK" in text and ",=HYPERLINK" not in text


def test_bad_as_of_is_one_clear_line(shared_data: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(
        cli,
        [
            "customers",
            str(shared_data / "receipt.csv.gz"),
            "--as-of",
            "soon",
            "--out",
            str(tmp_path),
        ],
    )
    assert result.exit_code == 1
    assert "--as-of 'soon': not a date; write it as YYYY-MM-DD." in result.output
    assert "Traceback" not in result.output
