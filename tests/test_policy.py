"""Each policy lever changes what it says it changes (sample-shaped model, paired streams)."""

from __future__ import annotations

import pandas as pd
import pytest

from l2csim.policy import Policy
from l2csim.sim.replications import RunSpec, kpi_frame, run_replications
from sim_models import sample_like_model

HALF_YEAR = 182 * 24.0


def run(policy: Policy, reps: int = 2, **model) -> pd.DataFrame:
    spec = RunSpec(
        sample_like_model(churn=False, **model),
        policy,
        seed=21,
        horizon_hours=HALF_YEAR,
        warmup_hours=14 * 24.0,
    )
    return kpi_frame(run_replications(spec, reps), "x")


def total(frame: pd.DataFrame, kpi: str, tier: str = "", pool: str = "") -> float:
    mask = (frame["kpi"] == kpi) & (frame["tier"] == tier) & (frame["pool"] == pool)
    mask &= (frame["segment"] == "") & frame["day"].isna() & frame["week"].isna()
    return float(frame.loc[mask, "value"].sum())


@pytest.fixture(scope="module")
def base() -> pd.DataFrame:
    return run(Policy())


def test_demand_multiplier_scales_one_tiers_intake(base) -> None:
    more = run(Policy(demand={"tiers": {"one_time": 2.0}}))
    ratio = total(more, "orders_arrived", "one_time") / total(base, "orders_arrived", "one_time")
    assert ratio == pytest.approx(2.0, rel=0.1)
    assert total(more, "orders_arrived", "key_account") == total(
        base, "orders_arrived", "key_account"
    )


def test_demand_factor_scales_every_stream(base) -> None:
    more = run(Policy(demand={"factor": 1.5}))
    for tier in ("key_account", "one_time"):
        ratio = total(more, "orders_arrived", tier) / total(base, "orders_arrived", tier)
        assert ratio == pytest.approx(1.5, rel=0.1)


def test_fifo_cannot_honour_expedites() -> None:
    with pytest.raises(ValueError, match="cannot be honoured by discipline fifo"):
        Policy(discipline="fifo", expedite_on_chase=True)
    assert Policy(discipline="fifo", expedite_on_chase=False).discipline == "fifo"


def test_a_tighter_promise_lowers_sla_attainment(base) -> None:
    tight = run(Policy(sla={"key_account": {"promised_hours": 72}}))
    assert (
        total(tight, "sla_attainment", "key_account")
        < total(base, "sla_attainment", "key_account") - 0.2
    )
    # Other tiers keep their promise; only the extra chase calls spill over, a little.
    assert total(tight, "sla_attainment", "priority") == pytest.approx(
        total(base, "sla_attainment", "priority"), abs=0.02
    )


def test_key_account_calls_reach_key_accounts_only_and_keep_the_sla(base) -> None:
    calls = run(Policy(courtesy={"rule": "tiers", "tiers": ["key_account"]}))
    assert total(calls, "courtesy_calls_made", "one_time") == 0
    assert total(calls, "courtesy_calls_made", "priority") == 0
    owed = total(calls, "courtesy_calls_owed", "key_account")
    made = total(calls, "courtesy_calls_owed_made", "key_account")
    assert made / owed > 0.98  # all owed calls made (a few fall after the horizon)
    assert total(base, "courtesy_calls_owed_made", "key_account") / owed < 0.6  # as-is


def test_value_threshold_calls_only_valuable_orders(base) -> None:
    everyone = run(Policy(courtesy={"rule": "all"}))
    valuable = run(Policy(courtesy={"rule": "value_threshold", "min_value": 10000}))
    assert 0 < total(valuable, "courtesy_calls_made") < 0.6 * total(everyone, "courtesy_calls_made")


def test_more_staff_and_dedicated_managers_change_who_waits(base) -> None:
    one_more = run(Policy(staffing={"pools": {"Warehouse": {"add": 1}}}))
    assert (
        total(one_more, "staff_utilisation", pool="Warehouse")
        < total(base, "staff_utilisation", pool="Warehouse") * 0.8
    )
    dedicated = run(
        Policy(
            staffing={
                "dedicated_account_managers": {
                    "pool": "OM-North",
                    "tiers": ["key_account"],
                    "size": 1,
                    "take_from_pool": False,
                }
            }
        )
    )
    name = "OM-North (dedicated: key_account)"
    assert total(dedicated, "staff_busy_hours", pool=name) > 0
    assert total(dedicated, "staff_busy_hours", pool="OM-North") < total(
        base, "staff_busy_hours", pool="OM-North"
    )


def test_proactive_review_phones_overdue_key_accounts() -> None:
    review = Policy(
        proactive_review={
            "enabled": True,
            "tiers": ["priority"],
            "overdue_factor": 1.0,
            "win_back_probability": 1.0,
        }
    )
    spec = RunSpec(
        sample_like_model(churn=True), review, seed=21, horizon_hours=HALF_YEAR, warmup_hours=0.0
    )
    frame = kpi_frame(run_replications(spec, 1), "x")
    assert total(frame, "review_reminders", "priority") > 10
    assert total(frame, "customers_won_back", "priority") > 0
    assert total(frame, "staff_busy_hours", pool="Customer Service") > 0
