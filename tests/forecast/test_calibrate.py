"""forecast/calibrate.py and outcomes.py: bands with the model's own error, and what the log
shows after a cut."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from l2csim.forecast.calibrate import (
    MIN_HINDCASTS,
    bands,
    error_model,
    hindcast_dates,
    predictive_factor,
)
from l2csim.forecast.outcomes import LogTimes, actual_days


def test_without_an_error_model_the_band_is_a_prediction_band_from_the_replications() -> None:
    """Centred on the replications' mean, a little wider than their own quantiles (the real
    day is one more draw), and wider still when there are fewer replications."""
    values = 100.0 + np.arange(100, dtype=float).reshape(20, 5)
    mean, p05, _p50, p95 = bands(values, "backlog", None)
    assert np.allclose(mean, values.mean(axis=0))
    own = np.quantile(values, (0.05, 0.95), axis=0)
    assert np.all(p05 < own[0]) and np.all(p95 > own[1])
    assert np.allclose(p95 - p05, 2 * predictive_factor(20) * 1.6448536 * values.std(0, ddof=1))
    assert predictive_factor(5) > predictive_factor(10) > predictive_factor(20) > 1.0


@pytest.mark.parametrize("replications", [5, 10, 20])
def test_the_band_holds_one_more_draw_nine_times_in_ten(replications: int) -> None:
    """The band from n replications holds the next draw of the same distribution about 90 %
    of the time (normal, a Poisson count, a skewed lognormal); the replications' own 5-95 %
    quantiles would hold it 76-82 % of the time for 10-20 replications."""
    rng = np.random.default_rng(replications)
    trials = 4000
    draws = {
        "normal": lambda size: rng.normal(50.0, 5.0, size),
        "count": lambda size: rng.poisson(20, size).astype(float),
        "skewed": lambda size: rng.lognormal(3.0, 0.6, size),
    }
    for name, draw in draws.items():
        values = draw((replications, trials))  # each column one forecast's replications
        truth = draw(trials)
        _mean, p05, _p50, p95 = bands(values, "backlog", None)
        coverage = float(np.mean((p05 <= truth) & (truth <= p95)))
        assert 0.86 <= coverage <= 0.94, (name, coverage)


def test_a_model_that_was_off_on_past_cuts_gets_wider_bands_not_a_moved_mean() -> None:
    rng = np.random.default_rng(0)
    simulated = [{"backlog": rng.normal(100, 5, size=(20, 10))} for _ in range(6)]
    actual = [{"backlog": np.full(10, 100.0 + offset)} for offset in (-30, 25, -20, 35, -25, 15)]
    error = error_model([f"c{i}" for i in range(6)], simulated, actual)
    assert error is not None
    values = rng.normal(100, 5, size=(20, 10))
    mean, p05, _p50, p95 = bands(values, "backlog", error)
    own = bands(values, "backlog", None)
    assert np.allclose(mean, own[0])
    assert np.all(p95 - p05 > 3 * (own[3] - own[1]))
    # Errors no larger than chance add nothing.
    right = [{"backlog": s["backlog"].mean(axis=0)} for s in simulated]
    calm = error_model([f"c{i}" for i in range(6)], simulated, right)
    assert np.allclose(calm.spread["backlog"], 0.0)


def test_too_few_hindcasts_give_no_error_model() -> None:
    simulated = [{"backlog": np.ones((4, 3))}] * (MIN_HINDCASTS - 1)
    actual = [{"backlog": np.ones(3)}] * (MIN_HINDCASTS - 1)
    assert error_model(["a"] * (MIN_HINDCASTS - 1), simulated, actual) is None


def test_bands_stay_within_what_is_possible() -> None:
    values = np.array([[0.0, 5.0], [1.0, 6.0], [2.0, 9.0]])
    _mean, p05, _p50, p95 = bands(values, "open_orders_delivered", None, upper=8.0)
    assert (p05 >= 0).all() and (p95 <= 8.0).all()


def test_hindcasts_end_by_as_of_and_leave_history_before_them() -> None:
    first = pd.Timestamp("2025-01-06", tz="UTC")
    as_of = pd.Timestamp("2025-06-01", tz="UTC")
    dates = hindcast_dates(first, as_of, 28, 6)
    assert len(dates) == 6
    assert all(d + pd.Timedelta(days=28) <= as_of for d in dates)
    assert all(d - first >= pd.Timedelta(days=28) for d in dates)
    assert hindcast_dates(first, first + pd.Timedelta(days=40), 28) == []


def test_actual_days_count_as_the_simulation_does() -> None:
    t = pd.Timestamp
    cases = pd.DataFrame(
        {
            "arrival": [t("2025-03-01 10:00", tz="UTC"), t("2025-03-02 09:00", tz="UTC"),
                         t("2025-03-03 13:00", tz="UTC")],
            "delivered": [t("2025-03-03 08:00", tz="UTC"), pd.NaT, t("2025-03-04 12:00", tz="UTC")],
            "promised": [t("2025-03-02 23:00", tz="UTC"), t("2025-03-09", tz="UTC"),
                         t("2025-03-08", tz="UTC")],
        },
        index=pd.Index(["A", "B", "C"], name="case"),
    )  # fmt: skip
    events = pd.DataFrame(
        {
            "concept:name": ["Customer chase call", "Shipped"],
            "time:timestamp": [t("2025-03-03 09:00", tz="UTC"), t("2025-03-03 10:00", tz="UTC")],
            "case:concept:name": ["A", "A"],
        }
    )
    times = LogTimes.of(cases, events, ["Customer chase call"])
    at = t("2025-03-02 12:00", tz="UTC")
    days = actual_days(times, pd.Series(["A", "B"]), at, 3, t("2025-03-04 13:00", tz="UTC"))
    assert days["backlog"][:2].tolist() == [1.0, 1.0]  # A delivered on day 1; C came and went
    assert days["arrived"][:2].tolist() == [0.0, 1.0]
    assert days["delivered"][:2].tolist() == [1.0, 1.0]
    assert days["open_orders_delivered"][:2].tolist() == [1.0, 1.0]
    assert days["late_deliveries"][:2].tolist() == [1.0, 0.0]
    assert days["chase_calls"][:2].tolist() == [1.0, 0.0]
    assert np.isnan(days["backlog"][2])  # after the log's end: not known
    assert days["backlog"][0] == pytest.approx(1.0)
