"""The one order table: every stage reads an order's delivery, promise, tier and SLA verdict
from it, so mine, customers and validate agree on the sample in any time zone."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from l2csim.customers.run import analyse
from l2csim.inputs import read_inputs_log, resolve_inputs
from l2csim.mine.role_rules import build_case_table, sla_summary
from l2csim.orders import OrderSpec, judged_orders, order_table
from l2csim.sla import end_of_local_day
from l2csim.validation.run import _promises, _share_on_time

REPO = Path(__file__).resolve().parents[1]


def sample_in(root: Path, timezone: str) -> Path:
    """The sample study with its time zone set to `timezone` (the log keeps its offsets)."""
    scenarios = root / "scenarios"
    scenarios.mkdir(parents=True)
    text = (REPO / "scenarios" / "study.yaml").read_text(encoding="utf-8")
    (scenarios / "study.yaml").write_text(
        text.replace("timezone: Europe/Berlin", f"timezone: {timezone}"), encoding="utf-8"
    )
    shutil.copy(REPO / "scenarios" / "documented_process.bpmn", scenarios)
    (root / "event_logs").symlink_to(REPO / "event_logs")
    return scenarios / "study.yaml"


@pytest.mark.parametrize("timezone", ["Europe/Berlin", "America/New_York", "Asia/Tokyo"])
def test_mine_customers_and_validate_agree_on_the_on_time_share(tmp_path, timezone) -> None:
    inputs = resolve_inputs(sample_in(tmp_path, timezone))
    log = read_inputs_log(inputs)
    events = log.events
    lead = events.groupby("case:concept:name")["time:timestamp"].agg(["min", "max"])
    lead_s = (lead["max"] - lead["min"]).dt.total_seconds()
    mined = sla_summary(build_case_table(events, inputs.study, lead_s))["overall"]
    analysed = analyse(log, inputs, tmp_path / "customers")
    sla = pd.read_csv(tmp_path / "customers" / "sla.csv")
    overall = sla[(sla["tier"] == "all") & (sla["segment"] == "all") & (sla["month"] == "all")]
    validated = _share_on_time(_promises(log, inputs.study))
    assert analysed.paths
    assert mined["orders_judged"] == int(overall["judged_orders"].iloc[0]) > 3900
    assert mined["on_time_share"] == pytest.approx(float(overall["attainment"].iloc[0]), abs=1e-4)
    assert mined["on_time_share"] == pytest.approx(validated, abs=1e-6)
    # A bare promised date is a local day: the verdicts do not depend on the zone's offset.
    assert 0.80 < validated < 0.95


def test_a_bare_promised_date_ends_at_local_midnight() -> None:
    values = pd.Series(["2025-01-13", "2025-01-13T18:00:00-05:00", None])
    deadline = end_of_local_day(values, "America/New_York")
    assert deadline.iloc[0] == pd.Timestamp("2025-01-14 05:00", tz="UTC")
    assert deadline.iloc[1] == pd.Timestamp("2025-01-14 05:00", tz="UTC")
    assert pd.isna(deadline.iloc[2])
    berlin = end_of_local_day(values.iloc[:1], "Europe/Berlin")
    assert berlin.iloc[0] == pd.Timestamp("2025-01-13 23:00", tz="UTC")


def test_delivery_is_the_last_delivery_event_and_open_orders_past_due_are_late(tmp_path) -> None:
    """An order shipped in two parts is delivered with the second; an order still open past
    its promise at the log's end is late; one not yet due is not judged."""
    rows = [
        ("A", "Order received", "2025-01-06T09:00:00+00:00", "2025-01-08"),
        ("A", "Delivered", "2025-01-07T09:00:00+00:00", "2025-01-08"),
        ("A", "Delivered", "2025-01-09T09:00:00+00:00", "2025-01-08"),
        ("B", "Order received", "2025-01-06T10:00:00+00:00", "2025-01-07"),
        ("C", "Order received", "2025-01-09T10:00:00+00:00", "2025-01-20"),
    ]
    log = tmp_path / "log.csv"
    log.write_text(
        "order,event,time,promised\n" + "\n".join(",".join(r) for r in rows) + "\n",
        encoding="utf-8",
    )
    (tmp_path / "study.yaml").write_text(
        "log: {path: log.csv, columns: {case: order, activity: event, timestamp: time},\n"
        "      case_attributes: [promised]}\n"
        "roles: {order_received: Order received, delivered: Delivered}\n"
        "sla: {default: {promised_date: promised}}\n",
        encoding="utf-8",
    )
    inputs = resolve_inputs(tmp_path / "study.yaml")
    events = read_inputs_log(inputs).events
    table = order_table(events, OrderSpec.of_study(inputs.study))
    assert table.orders.set_index("case").loc["A", "delivered"] == pd.Timestamp(
        "2025-01-09 09:00", tz="UTC"
    )
    _, judged = judged_orders(events, inputs.study)
    late = judged.set_index("case")["late"]
    assert late["A"] is True and late["B"] is True and pd.isna(late["C"])


def test_orders_of_no_known_tier_are_judged_when_every_tier_is_promised_alike(tmp_path) -> None:
    """A study that names tiers (each promised by the same date column) over a log without a
    tier list: its orders are judged by that column, as the test bed's small firm's are;
    tiers promised differently leave them unjudged rather than guess."""
    rows = [
        ("A", "Order received", "2025-01-06T09:00:00+00:00", "2025-01-08"),
        ("A", "Delivered", "2025-01-09T09:00:00+00:00", "2025-01-08"),
        ("B", "Order received", "2025-01-06T10:00:00+00:00", "2025-01-08"),
        ("B", "Delivered", "2025-01-07T10:00:00+00:00", "2025-01-08"),
    ]
    (tmp_path / "log.csv").write_text(
        "order,event,time,promised\n" + "\n".join(",".join(r) for r in rows) + "\n",
        encoding="utf-8",
    )
    head = (
        "log: {path: log.csv, columns: {case: order, activity: event, timestamp: time},\n"
        "      case_attributes: [promised]}\n"
        "roles: {order_received: Order received, delivered: Delivered}\n"
    )
    alike = "sla: {key: {promised_date: promised}, other: {promised_date: promised}}\n"
    apart = "sla: {key: {promised_hours: 24}, other: {promised_date: promised}}\n"
    verdicts = []
    for sla in (alike, apart):
        (tmp_path / "study.yaml").write_text(head + sla, encoding="utf-8")
        inputs = resolve_inputs(tmp_path / "study.yaml")
        _, judged = judged_orders(read_inputs_log(inputs).events, inputs.study)
        verdicts.append(judged.set_index("case")["late"])
    assert verdicts[0]["A"] is True and verdicts[0]["B"] is False
    assert verdicts[1].isna().all()


def test_segments_from_the_judged_orders_are_the_case_tables() -> None:
    """validate reads the order table once and takes each case's segment from it: the same
    labels, in the same case order, as the fit's case table."""
    from l2csim.fit.cases import case_segments, case_table

    inputs = resolve_inputs(REPO / "scenarios" / "study.yaml")
    events = read_inputs_log(inputs).events
    _, judged = judged_orders(events, inputs.study)
    segments = case_segments(judged, events, inputs.study)
    expected = case_table(events, inputs.study, None)["segment"]
    pd.testing.assert_series_equal(segments, expected, check_names=False)
    assert segments.nunique() >= 2
