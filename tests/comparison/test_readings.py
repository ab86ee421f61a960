"""The comparison's words: the validation gate on the recommendation, options that change
nothing the model has, and printed intervals that agree with their significance."""

from __future__ import annotations

import numpy as np
import pandas as pd

from l2csim.comparison.kpis import info
from l2csim.comparison.numbers import interval
from l2csim.comparison.readings import recommendation, scenario_reading
from l2csim.comparison.table import comparison_rows


def _kpis(values: dict[str, list[float]], kpi: str = "chase_calls") -> pd.DataFrame:
    rows = [
        {"kpi": k, "tier": "", "segment": "", "pool": "", "replication": r, "value": v}
        for k, series in values.items()
        for r, v in enumerate(series)
    ]
    return pd.DataFrame(rows)


def _study(better: list[float], same: bool = False) -> tuple[list, list[str]]:
    rng = np.random.default_rng(3)
    base = {
        "chase_calls": list(rng.normal(160, 5, 10)),
        "backlog_mean": list(rng.normal(43, 1, 10)),
    }
    option = {
        "chase_calls": [v - d for v, d in zip(base["chase_calls"], better, strict=True)],
        "backlog_mean": list(base["backlog_mean"]),
    }
    inert = {k: list(v) for k, v in base.items()}
    kpis = {"baseline": _kpis(base), "fewer_calls": _kpis(option), "inert": _kpis(inert)}
    rows = comparison_rows(kpis, "baseline")
    return rows, ["fewer_calls", "inert"]


def test_a_failing_validation_gives_no_recommendation_and_says_what_failed() -> None:
    rows, names = _study([20.0] * 10)
    passed = recommendation(rows, names, {"status": "passed", "failed": []})
    assert passed["scenario"] == "fewer_calls"
    assert passed["statement"].startswith("Recommended: fewer calls.")
    failed = recommendation(rows, names, {"status": "failed", "failed": ["chase_call_rate"]})
    assert failed["scenario"] is None and failed["improves"] == []
    assert failed["statement"].startswith(
        "The model does not reproduce today's operation: no recommendation."
    )
    assert "chase calls per order" in failed["statement"]
    assert "Recommended" not in failed["statement"]
    assert failed["gate"]["open"] is False and failed["gate"]["failed"] == ["chase_call_rate"]
    # a bare status is accepted too; not validated keeps the option but says so
    unchecked = recommendation(rows, names, "not_validated")
    assert unchecked["scenario"] == "fewer_calls" and "not been checked" in unchecked["statement"]


def test_an_option_that_changes_nothing_says_so() -> None:
    rows, names = _study([20.0] * 10)
    assert scenario_reading(rows, "inert").startswith(
        "inert: this option changes nothing the model has"
    )
    assert "no clear difference" not in scenario_reading(rows, "inert")
    assert recommendation(rows, names, "passed")["changes_nothing"] == ["inert"]
    only_inert = recommendation(rows, ["inert"], "passed")
    assert only_inert["scenario"] is None
    assert only_inert["statement"].startswith("No option changes anything the model has")


def test_significant_intervals_never_print_a_zero_end() -> None:
    # significant: both ends above 0, but the half-width alone would round +0.3 to 0
    assert interval(0.3, 12.0, 1.0, sign=True) == "+0.3 to +12"
    assert interval(-3.2, -0.004, 1.0, sign=True) == "−3 to −0.004"
    # an end that is really 0 stays 0
    assert interval(0.0, 12.0, 1.0) == "0–12"


def test_intervals_are_clipped_to_what_the_quantity_can_be() -> None:
    share = info("sla_attainment")
    assert interval(98.2, 101.3, 1.0, **share.bounds(100.0)) == "98–100"
    money = info("revenue_at_risk_annual")
    assert interval(-1e6, 2e6, 1e5, **money.bounds()) == "0–2,000,000"
    # a difference is not clipped: it may well be negative
    assert interval(-1e6, 2e6, 1e5, sign=True) == "−1,000,000 to +2,000,000"


def test_compare_mean_texts_are_clipped() -> None:
    base = {"sla_attainment": [0.96, 1.0, 0.93, 1.0, 1.0, 0.99]}
    option = {"sla_attainment": [1.0, 1.0, 0.99, 1.0, 1.0, 0.99]}
    rows = comparison_rows({"baseline": _kpis(base), "x": _kpis(option)}, "baseline")
    for row in rows:
        high = row.mean_text.split("–")[-1].rstrip(")%")
        assert float(high) <= 100, row.mean_text
