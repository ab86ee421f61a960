"""The counterfactual truth test: fit an operation's as-is log with l2csim, predict each
policy's effect, and score the prediction against the operation's own truth.

The test bed (`l2csim.sample.testbed`) runs each operation under each policy with the same
random streams over K seeds, so every policy's true effect is known (its mean over the
seeds, its spread, and whether its sign holds in every seed). l2csim sees only the as-is
log of the first seed: it runs the customers analysis and the fit (calibration included)
as a study does, then simulates the baseline and each policy's scenario with common random
numbers and reads the paired difference with its 95 % interval.

Scoring, per operation, policy and KPI:
- covered: the truth's mean effect lies within the prediction's interval widened by the
  truth's own 95 % interval over its K seeds (two independent errors, combined in
  quadrature: the truth is itself an estimate);
- sign: the prediction's mean has the truth's sign, counted only where the truth's sign is
  robust (the same and clearly non-zero in every seed);
- error: prediction minus truth, and relative to the truth's size.

Churn is scored apart (`CHURN`): the truth's churned customers are those who left after a
bad experience (its customers who stop for reasons outside service do so under every
policy alike), and the model's are its churned customers with the experience effects (the
stated hypothesis) and without them (tier rates alone), each against that truth.
"""

from __future__ import annotations

import json
import math
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

from l2csim.customers.run import analyse
from l2csim.fit import FitOptions, fit_model
from l2csim.fit.calibration import CalibrationSettings
from l2csim.inputs import read_inputs_log, resolve_inputs
from l2csim.params import ModelParams
from l2csim.sample.testbed import load_operation
from l2csim.scenario import load_scenario, resolve_policy
from l2csim.sim.replications import RunSpec, kpi_frame, run_replications

DAY = 24.0
# The KPIs scored: the test bed's key, and l2csim's (kpi, tier).
SCORED = {
    "sla_attainment": ("sla_attainment", ""),
    "sla_attainment[key_account]": ("sla_attainment", "key_account"),
    "sla_attainment[priority]": ("sla_attainment", "priority"),
    "sla_attainment[occasional]": ("sla_attainment", "occasional"),
    "sla_attainment[one_time]": ("sla_attainment", "one_time"),
    "chase_calls_per_week": ("chase_calls_per_week", ""),
    "backlog_mean": ("backlog_mean", ""),
    "lead_time_mean_hours": ("lead_time_mean_hours", ""),
}
# Churn's effect, scored apart from the service KPIs: the prediction's key, l2csim's
# (kpi, tier), and the truth's key it is held against.
CHURN = {
    "customers_churned": ("customers_churned", "", "customers_churned"),
    "customers_churned_tier_only": ("customers_churned_tier_only", "", "customers_churned"),
}
# Everything `predict` predicts: the service KPIs and churn, key -> (kpi, tier).
PREDICTED = SCORED | {key: (kpi, tier) for key, (kpi, tier, _) in CHURN.items()}
# The as-is levels put beside the truth's (see `as_is_levels`): a year's churned customers
# against those who left after a bad experience and against everyone who stopped ordering
# (the written log's world only), chase calls and orders.
LEVELS = {
    "customers_churned": ("customers_churned", ""),
    "customers_left": ("customers_churned", ""),
    "chase_calls_per_week": ("chase_calls_per_week", ""),
    "orders_arrived": ("orders_arrived", ""),
}


@dataclass(frozen=True)
class Fitted:
    name: str
    folder: Path
    params: ModelParams
    counterfactual: dict


def fit_operation(folder: Path, trials: int = 12, jobs: int = 1) -> Fitted:
    """The study's customers analysis and fit (with calibration when trials > 0)."""
    operation = load_operation(folder)
    inputs = resolve_inputs(operation.study_path)
    log = read_inputs_log(inputs)
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        analyse(log, inputs, out)
        options = FitOptions(
            tier_table=out / "customers.csv",
            retention_model=out / "retention_model.json",
            calibration=CalibrationSettings(trials=trials, jobs=jobs) if trials else None,
        )
        params = fit_model(log, inputs.study, options)
    return Fitted(operation.name, folder, params, operation.counterfactual or {})


def policy_kpis(
    fitted: Fitted,
    policy_name: str | None,
    replications: int = 10,
    days: int = 365,
    warmup_days: int = 30,
    seed: int = 0,
    jobs: int = 1,
) -> pd.DataFrame:
    """The KPI table of the baseline (None) or a policy's scenario, on common random numbers."""
    scenarios = Path(fitted.folder) / "scenarios"
    if policy_name is None:
        policy = load_scenario(scenarios / "baseline.yaml").policy
    else:
        spec = fitted.counterfactual["policies"][policy_name]
        policy = load_scenario(scenarios / spec["scenario"]).policy
    policy = resolve_policy(policy, fitted.params, policy_name or "baseline")
    spec = RunSpec(
        fitted.params, policy, policy_name or "baseline", seed,
        (days + warmup_days) * DAY, warmup_days * DAY,
    )  # fmt: skip
    return kpi_frame(run_replications(spec, replications, jobs=jobs), policy_name or "b")


def _values(frame: pd.DataFrame, kpi: str, tier: str) -> np.ndarray:
    """One whole-operation figure per replication, in replication order."""
    rows = frame[
        (frame["kpi"] == kpi) & (frame["tier"] == tier) & (frame["segment"] == "")
        & (frame["pool"] == "") & frame["week"].isna() & frame["day"].isna()
    ]  # fmt: skip
    return rows.sort_values("replication")["value"].to_numpy(dtype=float)


def predict(
    fitted: Fitted,
    policies: list[str],
    replications: int = 10,
    days: int = 365,
    warmup_days: int = 30,
    seed: int = 0,
    jobs: int = 1,
    base: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Each policy's paired effect on the scored KPIs: mean, 95 % interval, replications.
    `base`: the baseline's KPI table when already run (`policy_kpis(fitted, None, ...)`)."""

    def run(policy_name: str | None) -> pd.DataFrame:
        return policy_kpis(fitted, policy_name, replications, days, warmup_days, seed, jobs)

    base = run(None) if base is None else base
    rows = []
    for name in policies:
        other = run(name)
        for key, (kpi, tier) in PREDICTED.items():
            a, b = _values(base, kpi, tier), _values(other, kpi, tier)
            if len(a) != len(b) or not len(a):
                continue
            diff = b - a
            diff = diff[np.isfinite(diff)]
            n = len(diff)
            mean = float(diff.mean()) if n else math.nan
            half = (
                float(stats.t.ppf(0.975, n - 1) * diff.std(ddof=1) / math.sqrt(n))
                if n > 1
                else math.inf
            )
            rows.append(
                {
                    "operation": fitted.name, "policy": name, "kpi": key,
                    "predicted": mean, "low": mean - half, "high": mean + half,
                    "baseline": float(np.nanmean(a)), "replications": n,
                }
            )  # fmt: skip
    return pd.DataFrame(rows)


def as_is_levels(fitted: Fitted, base: pd.DataFrame) -> dict[str, dict]:
    """The as-is model's level of each `LEVELS` KPI over a year beside the truth: the
    written log's world (seed 0 of the counterfactual baseline) and the range over its
    seeds (the same operation in other years), with the model's mean over the log's."""
    truth = dict(fitted.counterfactual.get("baseline", {}))
    left = _customers_left(Path(fitted.folder))
    if left is not None:  # the model's churn is everyone who stopped: the log cannot tell why
        truth["customers_left"] = [left]
    out = {}
    for key, (kpi, tier) in LEVELS.items():
        model = _values(base, kpi, tier)
        seeds = [float(v) for v in truth.get(key, [])]
        model = model[np.isfinite(model)]
        if not len(model) or not seeds:
            continue
        mean = float(model.mean())
        out[key] = {
            "model_mean": round(mean, 2),
            "model_min": round(float(model.min()), 2),
            "model_max": round(float(model.max()), 2),
            "truth_log": round(seeds[0], 2),
            "truth_min": round(min(seeds), 2),
            "truth_max": round(max(seeds), 2),
            "ratio_to_log": round(mean / seeds[0], 3) if seeds[0] else None,
        }
    return out


def _customers_left(folder: Path) -> int | None:
    """Customers of the written log's world who stopped ordering in its year: churned after
    a bad experience, or stopped for reasons outside service after at least one order."""
    found = sorted((folder / "event_logs").glob("*_truth.json"))
    if not found:
        return None
    customers = json.loads(found[0].read_text(encoding="utf-8")).get("customers", {})
    stopped = [c for c in customers.get("stopped", []) if c.get("last_order_date")]
    return len(customers.get("churned", [])) + len(stopped)


def score(predicted: pd.DataFrame, counterfactual: dict) -> pd.DataFrame:
    """The prediction beside the truth: covered, sign right, error (see the module)."""
    rows = []
    for row in predicted.to_dict(orient="records"):
        truth_key = CHURN[row["kpi"]][2] if row["kpi"] in CHURN else row["kpi"]
        truth = counterfactual["policies"][row["policy"]]["effects"].get(truth_key)
        if truth is None:
            continue
        seeds = np.asarray(truth["per_seed"], dtype=float)
        k = len(seeds)
        truth_half = (
            float(stats.t.ppf(0.975, k - 1) * seeds.std(ddof=1) / math.sqrt(k)) if k > 1 else 0.0
        )
        half = (row["high"] - row["low"]) / 2
        error = row["predicted"] - truth["mean"]
        scale = max(abs(truth["mean"]), _floor(row["kpi"]))
        # The written log is the first seed's world: the effect in the very year the model
        # was fitted from, beside the mean over the years the operation might have had.
        logged = float(seeds[0])
        logged_scale = max(abs(logged), _floor(row["kpi"]))
        rows.append(
            {
                **row,
                "truth": truth["mean"],
                "truth_low": truth["mean"] - truth_half,
                "truth_high": truth["mean"] + truth_half,
                "sign_robust": bool(truth["sign_robust"]),
                "covered": bool(abs(error) <= math.hypot(half, truth_half)),
                "sign_right": bool(np.sign(row["predicted"]) == np.sign(truth["mean"])),
                "error": error,
                "relative_error": abs(error) / scale,
                "truth_logged_year": logged,
                "relative_error_logged_year": abs(row["predicted"] - logged) / logged_scale,
            }
        )
    return pd.DataFrame(rows)


def _floor(kpi: str) -> float:
    """The smallest effect size that counts, so tiny truths do not blow up relative errors."""
    if kpi.startswith("sla_attainment"):
        return 0.02  # two points
    if kpi == "chase_calls_per_week":
        return 1.0
    if kpi == "backlog_mean":
        return 2.0
    if kpi in CHURN:
        return 2.0  # customers a year
    return 5.0  # lead time, hours


def summary(scored: pd.DataFrame) -> dict:
    """Coverage rate, sign accuracy where the truth is robust, median relative error."""
    if len(scored):
        scored = scored[~scored["kpi"].isin(list(CHURN))]
    return _summary(scored)


def churn_summary(scored: pd.DataFrame) -> dict:
    """`summary` of the churn effects, with the experience hypothesis and without it."""
    if not len(scored):
        return {}
    return {key: _summary(scored[scored["kpi"] == key]) for key in CHURN}


def _summary(scored: pd.DataFrame) -> dict:
    robust = scored[scored["sign_robust"]]
    return {
        "predictions": len(scored),
        "coverage": round(float(scored["covered"].mean()), 4) if len(scored) else None,
        "robust_signs": len(robust),
        "sign_accuracy": round(float(robust["sign_right"].mean()), 4) if len(robust) else None,
        "median_relative_error": round(float(scored["relative_error"].median()), 4)
        if len(scored)
        else None,
        "median_relative_error_logged_year": round(
            float(scored["relative_error_logged_year"].median()), 4
        )
        if len(scored)
        else None,
    }
