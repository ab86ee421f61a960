"""Backlog statistics and categories: differences with intervals that behave; pain points
only where the harm is clear; symptoms apart from causes; good practice apart from pains;
small groups flagged instead of given narrow intervals; open orders never "skipped"."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from l2csim.log import ACTIVITY, CASE, TIMESTAMP
from l2csim.mine.backlog import (
    MIN_GROUP,
    mean_difference,
    rank_backlog,
    share_difference,
    symptoms,
)
from l2csim.mine.deviations import Deviation, open_cases
from l2csim.mine.role_rules import CaseTable

EMPTY = pd.Series(dtype="int64")


def test_mean_difference_interval_covers_a_known_shift():
    rng = np.random.default_rng(1)
    with_ = pd.Series(rng.normal(12, 2, 400))
    without = pd.Series(rng.normal(10, 2, 4000))
    result = mean_difference(with_, without)
    low, high = result["ci95"]
    assert low < 2 < high and high - low < 0.6
    assert result["n_with"] == 400 and result["n_without"] == 4000


def test_small_groups_get_no_interval_however_alike_they_are():
    # two orders 13 days slower, almost identical: Welch would give "+13 (+12 to +14)"
    two = mean_difference(pd.Series([14.0, 14.1]), pd.Series(np.linspace(0.5, 1.5, 500)))
    assert two["ci95"] is None and two["too_few"] and two["difference"] == pytest.approx(13.05)
    few = share_difference(pd.Series([1.0] * (MIN_GROUP - 1)), pd.Series([0.0, 1.0] * 50))
    assert few["ci95"] is None and few["too_few"]
    enough = share_difference(pd.Series([1.0, 0.0] * MIN_GROUP), pd.Series([0.0, 1.0] * 50))
    assert enough["ci95"] is not None and "too_few" not in enough
    assert mean_difference(pd.Series([3.0]), pd.Series([1.0, 2.0]))["ci95"] is None


def _cases(n: int = 1000, seed: int = 7):
    index = pd.Index([f"c{i:04d}" for i in range(n)])
    rng = np.random.default_rng(seed)
    return index, rng


def _table(index, lead, on_time=None, chase=None) -> CaseTable:
    frame = pd.DataFrame(index=index)
    return CaseTable(frame, frame, frame, None, lead, on_time, chase)


def _flags(index, mask) -> pd.Series:
    return pd.Series(np.asarray(mask, dtype=bool), index=index)


def test_pain_points_symptoms_good_practice_and_noise_are_kept_apart():
    index, rng = _cases()
    slow = _flags(index, rng.random(len(index)) < 0.2)
    fast = _flags(index, rng.random(len(index)) < 0.2)
    chased = _flags(index, rng.random(len(index)) < 0.15)
    noise = _flags(index, rng.random(len(index)) < 0.2)
    rare = _flags(index, np.arange(len(index)) < 25)
    tiny = _flags(index, np.arange(len(index)) < 2)
    lead = pd.Series(rng.normal(5, 1, len(index)), index=index) + 4 * slow - 2 * fast + 3 * chased
    lead[tiny] = 18.0  # two orders far slower: too few to say, however clear it looks
    chase = pd.Series(0.0, index=index) + chased
    deviations = [
        Deviation("informal_activity", "noise", 1, noise, EMPTY),
        Deviation("informal_activity", "rare", 25, rare, EMPTY),
        Deviation("informal_activity", "tiny", 2, tiny, EMPTY),
        Deviation("informal_activity", "slow", 1, slow, EMPTY),
        Deviation("skipped_step", "fast", 1, fast, EMPTY),
        Deviation("informal_activity", "Customer chase call", 1, chased, EMPTY),
    ]
    ranked = rank_backlog(
        deviations, _table(index, lead, chase=chase), min_share=0.03,
        chase_activities=["Customer chase call"],
    )  # fmt: skip
    by_name = {i["activity"]: i for i in ranked}
    assert by_name["slow"]["category"] == "pain_point" and by_name["slow"]["rank"] == 1
    # the chase call is a symptom (late orders provoke it), never a ranked cause
    assert by_name["Customer chase call"]["category"] == "symptom"
    assert by_name["Customer chase call"]["chase_calls_per_order"] is None
    # faster orders: good practice, not a pain point
    assert by_name["fast"]["category"] == "good_practice"
    assert by_name["fast"]["lead_time_days"]["ci95"][1] < 0
    assert by_name["tiny"]["category"] == "too_few"
    assert by_name["tiny"]["lead_time_days"]["ci95"] is None
    assert any("too few orders to say" in n for n in by_name["tiny"]["notes"])
    assert by_name["rare"]["category"] == "rare"
    assert by_name["noise"]["category"] == "no_clear_effect"
    order = [i["category"] for i in ranked]
    assert order == sorted(order, key=["pain_point", "symptom", "good_practice", "too_few",
                                       "rare", "no_clear_effect"].index)  # fmt: skip
    pains = [i for i in ranked if i["category"] == "pain_point"]
    for item in pains:  # a pain point's harm is clear: an interval excludes 0 on the bad side
        lead_ci = item["lead_time_days"]["ci95"]
        chase_ci = (item["chase_calls_per_order"] or {}).get("ci95")
        assert lead_ci[0] > 0 or (chase_ci and chase_ci[0] > 0)


def test_a_difference_whose_interval_includes_zero_is_no_pain_point():
    index, rng = _cases(400, seed=11)
    wide = _flags(index, rng.random(len(index)) < 0.1)
    lead = pd.Series(rng.normal(5, 20, len(index)), index=index) + 2 * wide
    [item] = rank_backlog([Deviation("informal_activity", "wide", 1, wide, EMPTY)],
                          _table(index, lead), min_share=0.01, chase_activities=[])  # fmt: skip
    low, high = item["lead_time_days"]["ci95"]
    assert low < 0 < high
    assert item["category"] == "no_clear_effect" and not item["signal"]


def _events(rows: list[tuple[str, str, str]]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            CASE: [r[0] for r in rows],
            ACTIVITY: [r[1] for r in rows],
            TIMESTAMP: pd.to_datetime([r[2] for r in rows], utc=True, format="ISO8601"),
        }
    )


def test_orders_open_at_the_log_end_are_found_and_never_skipped_steps():
    rows = []
    for i in range(40):  # settled orders, each ending with Invoice sent
        day = 1 + i
        rows += [(f"s{i:02d}", "Order received", f"2025-01-{day % 28 + 1:02d}"),
                 (f"s{i:02d}", "Shipped", f"2025-02-{day % 28 + 1:02d}"),
                 (f"s{i:02d}", "Invoice sent", f"2025-02-{day % 28 + 1:02d} 12:00")]  # fmt: skip
    rows += [("open1", "Order received", "2025-12-28"), ("open1", "Shipped", "2025-12-30"),
             ("open2", "Order received", "2025-12-30"),
             ("done", "Order received", "2025-12-20"), ("done", "Invoice sent", "2025-12-31")]  # fmt: skip
    events = _events(rows)
    found = open_cases(events)
    assert set(found.index[found]) == {"open1", "open2"}
    index = found.index
    lead = pd.Series(1.0, index=index)
    table = _table(index, lead)
    summary = symptoms(table, found)
    assert summary["open_at_log_end"] == 2 and summary["orders"] == len(index)


def test_open_orders_do_not_count_as_skipping_a_documented_step(monkeypatch):
    from l2csim.mine import deviations as module

    rows = [("a", "Order received", "2025-01-01"), ("a", "Invoice sent", "2025-01-05"),
            ("b", "Order received", "2025-01-02"), ("b", "Invoice sent", "2025-01-03"),
            ("c", "Order received", "2025-01-03"), ("c", "Invoice sent", "2025-01-04"),
            ("late", "Order received", "2025-06-01")]  # fmt: skip
    events = _events(rows)
    counts = events.groupby([CASE, ACTIVITY]).size().unstack(fill_value=0)
    frame = pd.DataFrame(index=counts.index)
    cases = CaseTable(counts, frame, frame, None, pd.Series(1.0, index=counts.index), None, None)
    model = type("Model", (), {"activities": ["Order received", "Invoice sent"]})()
    monkeypatch.setattr(module, "mandatory_activities", lambda m: ["Invoice sent"])
    monkeypatch.setattr(module, "precedence_pairs", lambda m: [])
    found = module.find_deviations(events, cases, model, [], {})
    assert not [d for d in found if d.kind == "skipped_step"]  # "late" is open, not skipping
