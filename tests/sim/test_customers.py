"""Order intake: the weekly pattern is honoured and the rate is exact."""

from __future__ import annotations

import numpy as np
import pytest

from l2csim.params import ArrivalPattern, Provenance
from l2csim.sim.customers import WeeklyIntensity

PATTERN = ArrivalPattern(
    weekday_weights=[3, 3, 2, 1, 1, 0, 0],
    hour_weights=[0] * 8 + [1] * 9 + [0] * 7,
    provenance=Provenance(source="default"),
)


def test_arrivals_follow_weekday_and_hour_pattern() -> None:
    intensity = WeeklyIntensity(100.0, PATTERN)
    rng = np.random.default_rng(0)
    t, times = 0.0, []
    while t < 168 * 200:
        t = intensity.next_arrival(t, float(rng.exponential()))
        times.append(t)
    times = np.array(times[:-1])
    assert len(times) / 200 == pytest.approx(100, rel=0.02)
    weekday = (times % 168 // 24).astype(int)
    hour = (times % 24).astype(int)
    shares = np.bincount(weekday, minlength=7) / len(times)
    np.testing.assert_allclose(shares, np.array([3, 3, 2, 1, 1, 0, 0]) / 10, atol=0.01)
    assert hour.min() == 8 and hour.max() == 16
