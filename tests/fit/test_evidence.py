"""What the model rests on when the log lacks a column: orders as a stream without customers
(no churn, whatever model is given), and no chase calls without chase calls in the log."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from l2csim.fit import FitOptions, fit_model
from l2csim.fit.evidence import NO_CHASE, ORDER_STREAM
from l2csim.log import LogSource, read_log
from l2csim.policy import Policy
from l2csim.sim.replications import RunSpec, kpi_frame, run_replication
from l2csim.study import ColumnMap

WEEKS = 26


def sales_orders(tmp_path: Path, *, customers: bool, chase: bool) -> Path:
    """20 orders a week for half a year, each entered, shipped and invoiced by a clerk; with
    `chase`, every fifth order gets a customer's chase call."""
    rows = []
    n = 0
    for day in pd.bdate_range("2024-01-01", periods=WEEKS * 5, tz="UTC"):
        for k in range(4):
            n += 1
            at = day + pd.Timedelta(hours=9 + 2 * k)
            steps = ["Create order", "Ship", "Invoice"]
            if chase and n % 5 == 0:
                steps.insert(1, "Chase call")
            for j, step in enumerate(steps):
                rows.append({"order": f"SO{n}", "step": step, "at": at + pd.Timedelta(minutes=30 * j),
                             "who": f"clerk {j}", "customer": f"C{n % 40}"})  # fmt: skip
    frame = pd.DataFrame(rows)
    if not customers:
        frame = frame.drop(columns="customer")
    path = tmp_path / "orders.csv"
    frame.to_csv(path, index=False)
    return path


def read(path: Path, customers: bool):
    columns = ColumnMap(case="order", activity="step", timestamp="at", resource="who",
                        customer="customer" if customers else None)  # fmt: skip
    return read_log(LogSource(path=path, columns=columns))


def overall(result) -> dict[str, float]:
    kpis = kpi_frame([result], "baseline")
    rows = kpis[(kpis["tier"] == "") & (kpis["segment"] == "") & (kpis["pool"] == "")
                & kpis["week"].isna() & kpis["day"].isna()]  # fmt: skip
    return dict(zip(rows["kpi"], rows["value"], strict=False))


def test_without_customers_orders_are_a_stream_and_nobody_churns(tmp_path: Path) -> None:
    """Even with a churn model given, a log without customers has no one to lose: the model
    says so, and a simulated year keeps the log's intake (no demand dying with one invented
    customer per tier)."""
    stated = tmp_path / "retention.json"
    stated.write_text(json.dumps({"intercept": 2.0, "coefficients": {"late_orders": 1.0}}))
    log = read(sales_orders(tmp_path, customers=False, chase=False), customers=False)
    model = fit_model(log, options=FitOptions(retention_model=stated))
    assert not model.retention.enabled
    assert model.retention.provenance.source == "log"
    assert all(ORDER_STREAM in a.provenance.detail for a in model.arrivals)
    assert any("is not used" in n for n in model.notes)
    result = run_replication(
        RunSpec(model, Policy(), horizon_hours=365 * 24.0, warmup_hours=0.0), 0
    )
    kpi = overall(result)
    assert kpi["orders_arrived"] == pytest.approx(20 * 52, rel=0.1)
    assert kpi["customers_churned"] == 0


def test_with_customers_the_churn_model_is_used(tmp_path: Path) -> None:
    stated = tmp_path / "retention.json"
    stated.write_text(json.dumps({"intercept": -3.0, "coefficients": {"late_orders": 1.0}}))
    log = read(sales_orders(tmp_path, customers=True, chase=False), customers=True)
    model = fit_model(log, options=FitOptions(retention_model=stated))
    assert model.retention.enabled and model.retention.intercept == -3.0
    assert not any(ORDER_STREAM in a.provenance.detail for a in model.arrivals)


def test_without_chase_calls_in_the_log_none_are_simulated(tmp_path: Path) -> None:
    log = read(sales_orders(tmp_path, customers=True, chase=False), customers=True)
    model = fit_model(log)
    assert model.chase.provenance.detail == NO_CHASE
    assert all(wait.share == 0 for wait in model.chase.patience.values())
    assert set(model.chase.patience) == {t.name for t in model.tiers}
    result = run_replication(
        RunSpec(model, Policy(), horizon_hours=180 * 24.0, warmup_hours=0.0), 0
    )
    assert overall(result)["chase_calls"] == 0


def test_chase_calls_in_the_log_are_fitted_as_before(tmp_path: Path) -> None:
    from l2csim.study import Study

    log = read(sales_orders(tmp_path, customers=True, chase=True), customers=True)
    study = Study.model_validate(
        {"log": {"path": str(log.source)}, "roles": {"chase_call": "Chase call"}}
    )
    model = fit_model(log, study)
    assert model.chase.provenance.detail != NO_CHASE
    assert model.chase.max_calls >= 1


def test_the_report_leaves_out_chase_calls_the_log_does_not_have(tmp_path: Path) -> None:
    """A model without chase calls: the report's headline has no chase-call column (not a
    zero, not a default shown as a result); the default call pool nobody's work uses does
    not mark open orders as resting on a default."""
    from l2csim.report.words import default_flags, not_simulated

    silent = fit_model(read(sales_orders(tmp_path, customers=True, chase=False), customers=True))
    document = silent.model_dump(mode="json")
    assert not_simulated(document) == {"chase_calls": NO_CHASE}
    assert "backlog_mean" not in default_flags(document)
    assert any(p.provenance.source == "default" for p in silent.pools)  # the idle call pool
    from l2csim.study import Study

    log = read(sales_orders(tmp_path, customers=True, chase=True), customers=True)
    study = Study.model_validate(
        {"log": {"path": str(log.source)}, "roles": {"chase_call": "Chase call"}}
    )
    assert not_simulated(fit_model(log, study).model_dump(mode="json")) == {}
