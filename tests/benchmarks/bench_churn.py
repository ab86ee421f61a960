"""Benchmark: churn — the label against who really left, the model's effects against the
truth, and simulated customers lost a year against the log's.

- The bundled sample (event_logs/sample_truth.json lists the churned customers and the
  key accounts that stopped for outside reasons): label precision / recall (against all
  who left, and against those with enough orders to be judged), the old "no order for k
  cadences" rule beside it, the fitted effects with CIs, and the fitted model (the study's
  calibration) simulated for a year, with and without the experience hypothesis.
- Generated order tables with known churn (tests/customers/churn_logs.py): label precision
  and recall, whether each effect's 95 % CI covers the truth, and the expected churn a year
  against the truth; three worlds, three seeds each.
Writes tests/benchmarks/results/churn.json and prints the tables.

    PYTHONPATH=src python tests/benchmarks/bench_churn.py [--quick]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests"))

from customers.churn_logs import Tier, World, generate  # noqa: E402
from l2csim.customers.churn import CHURNED, fit_retention, label_churn  # noqa: E402
from l2csim.customers.profiles import profile_customers  # noqa: E402
from l2csim.study import ChurnSpec  # noqa: E402

RESULTS = REPO / "tests" / "benchmarks" / "results" / "churn.json"
WORLDS = {
    "default (two tiers, courtesy with tier)": World(),
    "heavy churn": World(
        tiers=(Tier("key_account", 60, 9.0, -6.0, 1.6), Tier("regular", 240, 16.0, -4.4, 0.3))
    ),
    "few churners (tier rates only)": World(
        tiers=(Tier("key_account", 40, 9.0, -9.0, 1.0), Tier("regular", 60, 16.0, -7.2, 0.3))
    ),
}


def precision_recall(found: set, truth: set) -> tuple[float | None, float | None]:
    hit = len(found & truth)
    return (hit / len(found) if found else None), (hit / len(truth) if truth else None)


def world_rows(seeds: list[int]) -> list[dict]:
    rows = []
    for name, world in WORLDS.items():
        for seed in seeds:
            orders, truth = generate(world, seed)
            as_of = orders["received"].max()
            profile = profile_customers(orders, as_of)
            labels = label_churn(profile, ChurnSpec())
            churned = set(labels.index[labels["status"] == CHURNED])
            judgeable = {c for c in truth if profile.loc[c, "orders"] >= 4}
            model = fit_retention(orders, profile, ChurnSpec(), as_of, labels=labels)
            precision, recall = precision_recall(churned, set(truth))
            row = {
                "world": name,
                "seed": seed,
                "left": len(truth),
                "labelled": len(churned),
                "precision": precision,
                "recall": recall,
                "recall_judgeable": precision_recall(churned, judgeable)[1],
                "source": model["source"],
                "left_per_year": round(len(truth) / (world.days / 365.25), 1),
                "expected_per_year": (model["churn_per_year"] or {}).get("expected"),
            }
            for feature, value in world.effects.items():
                entry = model["coefficients"].get(feature) or {}
                covered = (
                    entry["ci_low"] <= value <= entry["ci_high"]
                    if entry.get("status") == "estimated"
                    else None
                )
                row[f"{feature}_estimate"] = entry.get("estimate")
                row[f"{feature}_covered"] = covered
            rows.append(row)
    return rows


def sample_rows(replications: int, calibrate: bool) -> dict:
    from l2csim.customers.run import run
    from l2csim.fit import FitOptions, calibration_settings
    from l2csim.fit import run as fit_run
    from l2csim.inputs import resolve_inputs
    from l2csim.params import load_params
    from l2csim.policy import Policy
    from l2csim.sim.replications import RunSpec, kpi_frame, run_replications

    truth = json.loads((REPO / "event_logs" / "sample_truth.json").read_text(encoding="utf-8"))
    master = {c["cust_no"]: c["master"] for c in truth["customers"]}
    churned_truth = {c["cust_no"] for c in truth["churned_customers"]}
    stopped = {c["cust_no"] for c in truth["stopped_key_accounts"]}
    left = churned_truth | stopped
    inputs = resolve_inputs(REPO / "scenarios" / "study.yaml")
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder)
        result = run(inputs, out / "customers")
        customers = pd.read_csv(out / "customers" / "customers.csv", dtype={"customer_id": str})
        own = customers[customers["is_canonical"]].copy()
        own["truth_id"] = own["customer_id"].map(lambda c: master.get(c, c))
        labelled = set(own.loc[own["churn_status"] == CHURNED, "truth_id"])
        judgeable = set(own.loc[own["orders"] >= 4, "truth_id"]) & left
        spec = inputs.study.customers.churn
        old = own["recency_days"] > spec.k * own["cadence_days"]
        old_rule = set(own.loc[old & (own["orders"] >= 2), "truth_id"])
        options = FitOptions(
            tier_table=out / "customers" / "customers.csv",
            retention_model=out / "customers" / "retention_model.json",
            calibration=calibration_settings(inputs.study, jobs=1) if calibrate else None,
        )
        began = time.perf_counter()
        fit_run(inputs, out / "model.json", options)
        fit_seconds = time.perf_counter() - began
        params = load_params(out / "model.json")
    model = result.retention
    simulated = {}
    for hypothesis in (True, False):
        policy = Policy.model_validate({"retention": {"experience_effects": hypothesis}})
        spec_run = RunSpec(params, policy, seed=1, horizon_hours=24 * 395, warmup_hours=24 * 30)
        frame = kpi_frame(run_replications(spec_run, replications), "baseline")
        overall = frame[(frame["tier"] == "") & (frame["segment"] == "") & (frame["pool"] == "")]
        for kpi in ("customers_churned", "customers_churned_tier_only"):
            values = overall.loc[overall["kpi"] == kpi, "value"].to_numpy(dtype=float)
            half = 1.96 * values.std(ddof=1) / np.sqrt(len(values))
            simulated[f"{kpi}{'' if hypothesis else '_policy_off'}"] = {
                "mean": round(float(values.mean()), 1),
                "ci": [
                    round(float(values.mean() - half), 1),
                    round(float(values.mean() + half), 1),
                ],
            }
        by_tier = frame[(frame["kpi"] == "customers_churned") & (frame["segment"] == "")]
        simulated[f"by_tier{'' if hypothesis else '_policy_off'}"] = (
            by_tier[by_tier["tier"] != ""].groupby("tier")["value"].mean().round(1).to_dict()
        )
    precision, recall = precision_recall(labelled, left)
    old_precision, old_recall = precision_recall(old_rule, left)
    years = truth["period"]["days"] / 365.25
    return {
        "left": len(left),
        "churned_after_experience": len(churned_truth),
        "stopped_key_accounts": len(stopped),
        "left_per_year": round(len(left) / years, 1),
        "label": {
            "judged": model["label"]["judged"],
            "churned": model["label"]["churned"],
            "censored": model["label"]["censored"],
            "not_judged": model["label"]["not_judged"],
            "precision": precision,
            "recall": recall,
            "recall_judgeable": precision_recall(labelled, judgeable)[1],
            "judgeable_left": len(judgeable),
        },
        "old_rule": {
            "rule": f"no order for {spec.k:g} cadences",
            "churned": len(old_rule),
            "precision": old_precision,
            "recall": old_recall,
        },
        "effects": {
            name: {
                k: model["coefficients"][name].get(k)
                for k in (
                    "estimate",
                    "ci_low",
                    "ci_high",
                    "status",
                    "deliveries_with",
                    "churned_with",
                )
            }
            for name in ("late", "chase_calls", "courtesy_calls")
        },
        "tiers": {
            t: {k: e[k] for k in ("churned", "churned_at_risk", "deliveries_at_risk", "rate")}
            for t, e in model["tiers"].items()
        },
        "experience_test": model["fit"]["experience_test"],
        "expected_per_year": model["churn_per_year"]["expected"],
        "simulated_per_year": simulated,
        "replications": replications,
        "calibrated": calibrate,
        "fit_seconds": round(fit_seconds, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="one seed, 3 replications")
    parser.add_argument("--no-calibrate", action="store_true", help="fit without calibration")
    args = parser.parse_args()
    seeds = [7] if args.quick else [7, 8, 9]
    results = {
        "sample": sample_rows(3 if args.quick else 10, calibrate=not args.no_calibrate),
        "worlds": world_rows(seeds),
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    print(json.dumps(results["sample"], indent=2))
    print(pd.DataFrame(results["worlds"]).to_string(index=False))


if __name__ == "__main__":
    main()
