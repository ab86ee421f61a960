"""Proactive review: regular customers whose next order is overdue.

A customer with at least `min_orders` orders has a cadence (median days between its
orders). Its gaps are taken as log-normal: the next gap is predicted from the mean and
spread of the log gaps with Student's t (n - 1 degrees of freedom, scale sd * sqrt(1 + 1/n)),
so a customer with few orders needs a longer silence before it is flagged. `confidence` is
the predicted probability that the next order would have come by now; a customer is overdue
when the confidence reaches `confidence` and the silence is at least `min_overdue_cadences`
cadences. `value_at_stake` is the customer's yearly revenue at its cadence (mean order value
* 365 / cadence days).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from l2csim.study import ReorderSpec

OVERDUE_COLUMNS = [
    "customer",
    "customer_name",
    "tier",
    "orders",
    "last_order",
    "cadence_days",
    "expected_date",
    "overdue_cadences",
    "confidence",
    "value_per_order",
    "value_at_stake",
]
MIN_LOG_SD = 0.15  # gaps never more regular than about +-15 %: exact repeats are rare


def gap_prediction(profile: pd.DataFrame, min_orders: int) -> pd.DataFrame:
    """Per regular customer (at least `min_orders` orders), the predictive Student-t of the
    log of its next gap in days: `loc`, `scale` and `df` (the overdue rule above)."""
    regular = profile.loc[(profile["orders"] >= min_orders) & (profile["cadence_days"] > 0)]
    n = regular["orders"] - 1  # gaps
    sd = regular["log_gap_sd"].fillna(MIN_LOG_SD).clip(lower=MIN_LOG_SD)
    return pd.DataFrame(
        {
            "loc": regular["log_gap_mean"],
            "scale": sd * np.sqrt(1 + 1 / n),
            "df": (n - 1).clip(lower=1),
        },
        index=regular.index,
    )


def silence_confidence(profile: pd.DataFrame, prediction: pd.DataFrame) -> pd.Series:
    """The predicted probability that the next order would have come by now (recency)."""
    silence = profile["recency_days"].reindex(prediction.index).clip(lower=1 / 24)
    t = (np.log(silence) - prediction["loc"]) / prediction["scale"]
    return pd.Series(stats.t.cdf(t, df=prediction["df"]), index=prediction.index)


def silence_needed(prediction: pd.DataFrame, confidence: float) -> pd.Series:
    """Days of silence after which the next order would have come with `confidence`."""
    t = stats.t.ppf(confidence, df=prediction["df"])
    return pd.Series(np.exp(prediction["loc"] + t * prediction["scale"]), index=prediction.index)


def reorder_outlook(profile: pd.DataFrame, spec: ReorderSpec, as_of: pd.Timestamp) -> pd.DataFrame:
    """Every regular customer with its expected next order date, overdue units and confidence."""
    prediction = gap_prediction(profile, spec.min_orders)
    regular = profile.loc[prediction.index]
    silence = regular["recency_days"].clip(lower=1 / 24)
    out = pd.DataFrame(index=regular.index)
    out["orders"] = regular["orders"]
    out["last_order"] = regular["last_order"]
    out["cadence_days"] = regular["cadence_days"].round(1)
    out["expected_date"] = regular["last_order"] + pd.to_timedelta(regular["cadence_days"], "D")
    out["overdue_cadences"] = (silence / regular["cadence_days"]).round(2)
    out["confidence"] = np.round(silence_confidence(regular, prediction), 4)
    out["value_per_order"] = regular["value_per_order"].round(2)
    out["value_at_stake"] = (regular["value_per_order"] * 365 / regular["cadence_days"]).round(2)
    out["overdue"] = (out["confidence"] >= spec.confidence) & (
        out["overdue_cadences"] >= spec.min_overdue_cadences
    )
    return out


def overdue_table(
    outlook: pd.DataFrame, names: pd.Series, tiers: pd.Series, timezone: str
) -> pd.DataFrame:
    """The overdue customers for overdue.csv, highest value at stake first."""
    flagged = outlook.loc[outlook["overdue"]].copy()
    flagged["customer_name"] = names.reindex(flagged.index)
    flagged["tier"] = tiers.reindex(flagged.index)
    for column in ("last_order", "expected_date"):
        flagged[column] = flagged[column].dt.tz_convert(timezone).dt.strftime("%Y-%m-%d")
    flagged = flagged.rename_axis("customer").reset_index()
    flagged = flagged.sort_values(
        ["value_at_stake", "overdue_cadences", "customer"],
        ascending=[False, False, True],
        kind="stable",
        na_position="last",
    )
    return flagged[OVERDUE_COLUMNS].reset_index(drop=True)
