"""The validation's figures: the log and each replication measured by one function, from
receipt to delivery, so an order that waited unseen in an inbox counts alike on both sides."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from l2csim.fit import fit_model
from l2csim.inputs import read_inputs_log, resolve_inputs
from l2csim.log import ACTIVITY, CASE, TIMESTAMP
from l2csim.validation.figures import flow_figures, log_kpis, replica_flow

REPO = Path(__file__).resolve().parents[2]
T0 = pd.Timestamp("2026-03-02 08:00", tz="UTC")


def _at(hours: float) -> pd.Timestamp:
    return T0 + pd.Timedelta(hours=hours)


def test_flow_figures_count_from_receipt_to_delivery() -> None:
    orders = pd.DataFrame(
        {
            "received": [_at(0), _at(24), _at(100)],
            "delivered": [_at(48), _at(36), pd.NaT],  # the third is still open at the end
        }
    )
    got = flow_figures(orders, _at(0), _at(168))
    assert got["orders_per_week"] == pytest.approx(3.0)
    assert got["lead_time_mean_hours"] == pytest.approx((48 + 12) / 2)
    assert got["backlog_mean"] == pytest.approx((48 + 12 + 68) / 168, abs=1e-4)  # rounded


def test_a_replication_is_measured_from_its_order_received_step() -> None:
    """A simulated order that was sent at 0, waited in the inbox and was keyed ("Order
    received") at 10 and delivered at 30 has a lead time of 20 hours, as a log shows it."""
    inputs = resolve_inputs(REPO / "scenarios" / "study.yaml")
    steps = ["Order received", "Pick and pack", "Delivered", "Order received", "Delivered"]
    frame = pd.DataFrame(
        {
            CASE: ["a", "a", "a", "b", "b"],
            ACTIVITY: steps,
            TIMESTAMP: [_at(10), _at(20), _at(30), _at(40), _at(100)],
        }
    )
    got = replica_flow(frame, inputs.study, _at(0), _at(168))
    assert got["lead_time_mean_hours"] == pytest.approx((20 + 60) / 2)
    assert got["backlog_mean"] == pytest.approx((20 + 60) / 168, abs=1e-4)


def test_the_log_side_uses_the_same_function() -> None:
    inputs = resolve_inputs(REPO / "scenarios" / "study.yaml")
    log = read_inputs_log(inputs)
    params = fit_model(log, inputs.study)
    figures = log_kpis(log, inputs.study, params)
    events = log.events
    start, end = events[TIMESTAMP].min(), events[TIMESTAMP].max()
    same = replica_flow(events, inputs.study, start, end)
    for kpi in ("orders_per_week", "backlog_mean", "lead_time_mean_hours"):
        assert figures[kpi] == pytest.approx(same[kpi])
