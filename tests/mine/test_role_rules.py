"""Role rules on small hand-made logs: tiers from an attribute or a CSV, courtesy calls, SLA."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from l2csim.errors import InputError
from l2csim.log import ACTIVITY, CASE, CUSTOMER, TIMESTAMP
from l2csim.mine.role_rules import build_case_table, chase_rules, courtesy_rules, sla_summary
from l2csim.mine.variants import lead_times
from l2csim.study import Study

ROLES = {"order_received": "Order received", "delivered": "Delivered",
         "chase_call": "Chase call", "courtesy_call": "Courtesy call",
         "milestones": ["Shipped", "Delivered"]}  # fmt: skip


def _events() -> pd.DataFrame:
    rows = [  # case, activity, day, customer, tier
        ("1", "Order received", 1, "A", "gold"), ("1", "Shipped", 2, "A", "gold"),
        ("1", "Courtesy call", 2, "A", "gold"), ("1", "Delivered", 3, "A", "gold"),
        ("2", "Order received", 1, "B", "gold"), ("2", "Chase call", 5, "B", "gold"),
        ("2", "Shipped", 6, "B", "gold"), ("2", "Delivered", 9, "B", "gold"),
        ("3", "Order received", 1, "C", "once"), ("3", "Courtesy call", 2, "C", "once"),
        ("3", "Delivered", 2, "C", "once"),
    ]  # fmt: skip
    frame = pd.DataFrame(rows, columns=[CASE, ACTIVITY, "day", CUSTOMER, "case:tier"])
    frame[TIMESTAMP] = pd.Timestamp("2024-03-01", tz="UTC") + pd.to_timedelta(
        frame["day"], unit="D"
    )
    return frame.drop(columns="day")


def _study(tmp_path: Path, **extra) -> Study:
    return Study.model_validate(
        {"log": {"path": "log.csv"}, "roles": ROLES, "source": tmp_path / "study.yaml", **extra}
    )


def test_courtesy_rules_from_tier_attribute(tmp_path):
    events = _events()
    study = _study(tmp_path, sla={"gold": {"courtesy_milestones": ["Shipped", "Delivered"]}})
    cases = build_case_table(events, study, lead_times(events))
    summary, flags = courtesy_rules(cases, study)
    assert summary["gold"]["owed_calls"] == 4 and summary["gold"]["calls_made"] == 1
    assert summary["gold"]["owed_calls_missing_share"] == pytest.approx(0.75)
    assert summary["once"]["share_of_orders_with_call"] == 1.0
    assert flags[("courtesy_call_not_owed", "Courtesy call")].tolist() == [False, False, True]
    assert flags[("milestone_call_missing", "Courtesy call")].tolist() == [True, True, False]
    chase = chase_rules(cases, [])
    assert chase["by_tier"]["gold"]["per_order"] == 0.5


def test_tiers_from_csv_and_sla_days(tmp_path):
    (tmp_path / "tiers.csv").write_text("id,level\nA,gold\nB,gold\nC,once\n", encoding="utf-8")
    study = _study(tmp_path, customers={"crm_tiers": {"path": "tiers.csv", "id_column": "id",
                                                      "tier_column": "level"}},
                   sla={"gold": {"promised_hours": 72}, "default": {"promised_hours": 240}})  # fmt: skip
    events = _events().drop(columns="case:tier")
    cases = build_case_table(events, study, lead_times(events))
    assert cases.tier.tolist() == ["gold", "gold", "once"]
    assert cases.on_time.tolist() == [1.0, 0.0, 1.0]  # order 2 took 8 days against 3
    assert sla_summary(cases)["by_tier"]["gold"]["late_share"] == 0.5


def test_tier_csv_without_the_column_is_one_clear_error(tmp_path):
    (tmp_path / "tiers.csv").write_text("cust,tier\nA,gold\n", encoding="utf-8")
    study = _study(tmp_path, customers={"crm_tiers": {"path": "tiers.csv", "id_column": "id"}})
    events = _events().drop(columns="case:tier")
    with pytest.raises(
        InputError,
        match=r"tiers\.csv: no customer id column 'id'.*Name it with customers\.crm_tiers\.id_column",
    ):
        build_case_table(events, study, lead_times(events))


def test_mining_section_validates_levels(tmp_path):
    from l2csim.errors import StudyError
    from l2csim.study import load_study

    (tmp_path / "log.csv").write_text("a\n1\n", encoding="utf-8")
    path = tmp_path / "study.yaml"
    path.write_text(
        "log: {path: log.csv}\nmining: {coverage_levels: [1.0, 1.5]}\n", encoding="utf-8"
    )
    with pytest.raises(StudyError, match=r"mining\.coverage_levels: coverage levels are fractions"):
        load_study(path)
    path.write_text("log: {path: log.csv}\nmining: {noise: 0.1}\n", encoding="utf-8")
    with pytest.raises(StudyError, match=r"mining\.noise: unknown key.*noise_threshold"):
        load_study(path)
