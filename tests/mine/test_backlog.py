"""Backlog statistics: differences with intervals that behave, and the ranking rule."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from l2csim.mine.backlog import mean_difference, rank_backlog, share_difference
from l2csim.mine.deviations import Deviation
from l2csim.mine.role_rules import CaseTable


def test_mean_difference_interval_covers_a_known_shift():
    rng = np.random.default_rng(1)
    with_ = pd.Series(rng.normal(12, 2, 400))
    without = pd.Series(rng.normal(10, 2, 4000))
    result = mean_difference(with_, without)
    low, high = result["ci95"]
    assert low < 2 < high and high - low < 0.6
    assert result["n_with"] == 400 and result["n_without"] == 4000


def test_share_difference_and_small_groups():
    result = share_difference(pd.Series([1.0, 1.0, 0.0, 1.0]), pd.Series([0.0] * 50 + [1.0] * 50))
    assert result["difference"] == pytest.approx(0.25)
    assert result["ci95"][0] < 0 < result["ci95"][1]  # four cases cannot show it
    assert mean_difference(pd.Series([3.0]), pd.Series([1.0, 2.0]))["ci95"] is None


def test_clear_common_deviations_rank_above_noise():
    index = pd.Index([str(i) for i in range(1000)])
    rng = np.random.default_rng(7)
    slow = pd.Series(rng.random(1000) < 0.2, index=index)
    noise = pd.Series(rng.random(1000) < 0.2, index=index)
    rare = pd.Series(np.arange(1000) < 3, index=index)
    lead = pd.Series(rng.normal(5, 1, 1000), index=index) + 4 * slow
    cases = CaseTable(pd.DataFrame(index=index), pd.DataFrame(index=index),
                      pd.DataFrame(index=index), None, lead, None, None)  # fmt: skip
    empty = pd.Series(dtype="int64")
    deviations = [Deviation("informal_activity", "noise", 1, noise, empty),
                  Deviation("informal_activity", "rare", 3, rare, empty),
                  Deviation("informal_activity", "slow", 1, slow, empty)]  # fmt: skip
    ranked = rank_backlog(deviations, cases, min_share=0.01, chase_activities=[])
    assert next(i["activity"] for i in ranked) == "slow"
    assert ranked[0]["signal"] and not next(i for i in ranked if i["activity"] == "rare")["signal"]
