"""Churn evidence: how an order's experience changes the chance that the customer stops ordering.

Churn: a repeat customer (two or more orders) whose last order is more than `k` of its
cadences before `as_of`. The model is a discrete-time hazard model, one row per order of a
repeat customer: the outcome is 1 for the order after which the customer churned, 0 for an
order followed by another; a last order too recent to judge is left out (censored). A
logistic regression (statsmodels Logit) of the outcome on the order's experience (late
delivery, chase calls, courtesy calls) gives log-odds coefficients with 95 % confidence
intervals; the simulation applies them after each delivered order. When the log has no
customers, too few churned customers (`min_churned`) or the fit fails, the study file's
`customers.churn.fallback` coefficients are written instead, with the reason.
Schema: README, section "retention_model.json".
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from l2csim.study import ChurnSpec

SCHEMA = "l2csim/retention-model/1"
FEATURES = {
    "late": "1 when the order was delivered after its SLA deadline, else 0",
    "chase_calls": "customer chase calls on the order",
    "courtesy_calls": "courtesy calls made to the customer on the order",
}
DAY = pd.Timedelta(days=1)


def churn_flags(profile: pd.DataFrame, k: float) -> pd.Series:
    """Churned (True), active (False) or not judged (NA: single-order customers) per customer."""
    repeat = (profile["orders"] >= 2) & (profile["cadence_days"] > 0)
    churned = profile["recency_days"] > k * profile["cadence_days"]
    return churned.astype("boolean").where(repeat, pd.NA)


def hazard_rows(orders: pd.DataFrame, profile: pd.DataFrame, churned: pd.Series) -> pd.DataFrame:
    """One row per order of a judged repeat customer: experience features and the outcome."""
    judged = churned.dropna()
    o = orders.loc[orders["customer"].isin(judged.index)]
    o = o.sort_values(["customer", "received"], kind="stable")
    is_last = ~o["customer"].eq(o["customer"].shift(-1))
    outcome = is_last & o["customer"].map(judged).astype(bool)
    keep = ~is_last | outcome  # last orders of active customers are censored
    late = o["late"].astype(float) if "late" in o else pd.Series(np.nan, index=o.index)
    rows = pd.DataFrame(
        {
            "customer": o["customer"],
            "late": late,
            "chase_calls": o["chase_calls"].astype(float),
            "courtesy_calls": o["courtesy_calls"].astype(float),
            "churned": outcome.astype(int),
        }
    )
    return rows.loc[keep]


def fit_retention(
    orders: pd.DataFrame,
    profile: pd.DataFrame | None,
    spec: ChurnSpec,
    as_of: pd.Timestamp,
    reason: str | None = None,
) -> dict:
    """The retention model as a JSON-ready dict (fitted, or the study fallback with its reason)."""
    definition = {"k_cadences": spec.k, "as_of": as_of.isoformat(), "unit": "order"}
    if profile is None or reason is not None:
        return _fallback(spec, definition, reason or "no customer data", {})
    churned = churn_flags(profile, spec.k)
    rows = hazard_rows(orders, profile, churned)
    sample = {
        "orders": len(rows),
        "customers": int(churned.notna().sum()),
        "churned_customers": int(churned.fillna(False).sum()),
        "single_order_customers_left_out": int(churned.isna().sum()),
    }
    if sample["churned_customers"] < spec.min_churned:
        return _fallback(
            spec,
            definition,
            f"only {sample['churned_customers']} churned customers (customers.churn.min_churned "
            f"is {spec.min_churned}); the log is too short or has too few repeat customers",
            sample,
        )
    features = [f for f in FEATURES if rows[f].notna().any() and rows[f].nunique() > 1]
    left_out = sorted(set(FEATURES) - set(features))
    rows = rows.dropna(subset=features)
    try:
        result = _logit(rows, features)
    except (np.linalg.LinAlgError, ValueError) as error:
        return _fallback(spec, definition, f"the logistic fit failed ({error})", sample)
    ci = result.conf_int(0.05)
    coefficients = {
        name: {
            "estimate": round(float(result.params[name]), 4),
            "ci_low": round(float(ci.loc[name, 0]), 4),
            "ci_high": round(float(ci.loc[name, 1]), 4),
            "std_error": round(float(result.bse[name]), 4),
            "p_value": round(float(result.pvalues[name]), 4),
        }
        for name in ["const", *features]
    }
    return {
        "schema": SCHEMA,
        "source": "fitted",
        "reason": None,
        "churn_definition": definition,
        "link": "logit",
        "features": {name: FEATURES[name] for name in features},
        "features_left_out": left_out,
        "coefficients": coefficients,
        "sample": sample | {"orders": len(rows)},
        "fit": {
            "method": "statsmodels Logit, maximum likelihood",
            "converged": bool(result.mle_retvals.get("converged", False)),
            "pseudo_r2": round(float(result.prsquared), 4),
            "log_likelihood": round(float(result.llf), 3),
        },
    }


def _logit(rows: pd.DataFrame, features: list[str]):
    import statsmodels.api as sm

    design = sm.add_constant(rows[features].to_numpy(dtype=float), has_constant="add")
    design = pd.DataFrame(design, columns=["const", *features], index=rows.index)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = sm.Logit(rows["churned"].to_numpy(dtype=float), design).fit(disp=0, maxiter=200)
    if not np.all(np.isfinite(result.bse)):
        raise ValueError("standard errors are not finite (separation)")
    return result


def _fallback(spec: ChurnSpec, definition: dict, reason: str, sample: dict) -> dict:
    return {
        "schema": SCHEMA,
        "source": "study_fallback",
        "reason": reason,
        "churn_definition": definition,
        "link": "logit",
        "features": {name: FEATURES[name] for name in FEATURES if name in spec.fallback},
        "features_left_out": [],
        "coefficients": {
            name: {
                "estimate": float(value),
                "ci_low": None,
                "ci_high": None,
                "std_error": None,
                "p_value": None,
            }
            for name, value in sorted(spec.fallback.items())
        },
        "sample": sample,
        "fit": None,
    }


def churn_probability(model: dict, experience: pd.DataFrame) -> pd.Series:
    """Per-order churn probability under `model` for rows of experience features."""
    coefficients = model["coefficients"]
    logit = pd.Series(coefficients.get("const", {}).get("estimate", 0.0), index=experience.index)
    for name, entry in coefficients.items():
        if name != "const" and name in experience:
            logit = logit + entry["estimate"] * experience[name].fillna(0.0)
    return 1 / (1 + np.exp(-logit))
