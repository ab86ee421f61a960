"""The fidelity benchmark: l2csim's predictions against the test bed's counterfactual truth.

For every operation of the test bed (`l2csim.sample.testbed`) and every policy it ran with
the same random streams: fit the as-is log as a study does (customers analysis, fit with
calibration), validate it against its own log, predict each policy's effect on on-time
shares (overall and per tier), chase calls a week, the backlog and lead time with common
random numbers, and score the prediction against the truth (tests/fidelity/harness.py:
coverage of the truth, sign where the truth's sign is robust, error). Writes
results/fidelity.json and results/fidelity_effects.csv and prints the tables; SIMOD's
as-is distances (results/simod.json, from bench_simod.py) are put beside l2csim's when
present.

    python tests/benchmarks/bench_fidelity.py            # every operation (~5 min each)
    python tests/benchmarks/bench_fidelity.py --only shared_teams near_capacity --trials 6
    python tests/benchmarks/bench_fidelity.py --print    # the tables from the results

The test-bed folders come from make_testbed.py (tests/benchmarks/.data/testbed/, or
--data); missing ones are generated (one year, K = 5 counterfactual seeds).
"""

from __future__ import annotations

import argparse
import json
import math
import platform
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "fidelity"))

from harness import (  # noqa: E402
    as_is_levels,
    churn_summary,
    fit_operation,
    policy_kpis,
    predict,
    score,
    summary,
)

RESULTS = HERE / "results" / "fidelity.json"
EFFECTS = HERE / "results" / "fidelity_effects.csv"
DATA = HERE / ".data" / "testbed"


def as_is(fitted, folder: Path) -> dict:
    """The validation of the fitted model against its own log: passed, failed, distances."""
    from l2csim.inputs import resolve_inputs
    from l2csim.params import write_params
    from l2csim.validation import validate

    inputs = resolve_inputs(folder / "scenarios" / "study.yaml")
    with tempfile.TemporaryDirectory() as tmp:
        model = write_params(fitted.params, Path(tmp) / "model.json")
        result = validate(inputs, Path(tmp) / "validate", model=model)
    doc = result.document
    return {
        "passed": doc["passed"],
        "failed": doc["failed"],
        "measures": {m["measure"]: m["value"] for m in doc["measures"]},
        "log_kpis": doc.get("log_kpis"),
        "model_kpis": doc.get("model_kpis"),
        "causes": {m["measure"]: m.get("cause") for m in doc["measures"] if m.get("cause")},
    }


def run(names: list[str], data: Path, trials: int, replications: int, jobs: int) -> dict:
    from l2csim.sample.testbed import OPERATIONS, write_operation

    results = json.loads(RESULTS.read_text()) if RESULTS.is_file() else {"operations": {}}
    frames = [pd.read_csv(EFFECTS)] if EFFECTS.is_file() else []
    for name in names or list(OPERATIONS):
        folder = data / name
        if not (folder / "scenarios" / "study.yaml").is_file():
            write_operation(folder, name, seed=0, days=365, counterfactual_seeds=5, jobs=jobs)
        began = time.perf_counter()
        fitted = fit_operation(folder, trials=trials, jobs=jobs)
        fit_seconds = time.perf_counter() - began
        validation = as_is(fitted, folder)
        policies = list(fitted.counterfactual["policies"])
        began = time.perf_counter()
        base = policy_kpis(fitted, None, replications=replications, jobs=jobs)
        scored = score(
            predict(fitted, policies, replications=replications, jobs=jobs, base=base),
            fitted.counterfactual,
        )
        frames = [f[f["operation"] != name] for f in frames] + [scored]
        results["operations"][name] = {
            "fit_seconds": round(fit_seconds, 1),
            "predict_seconds": round(time.perf_counter() - began, 1),
            "calibration": fitted.params.calibration,
            "as_is": validation,
            "as_is_levels": as_is_levels(fitted, base),
            "summary": summary(scored),
            "churn": churn_summary(scored),
        }
        print(f"{name}: {results['operations'][name]['summary']}", flush=True)
    effects = pd.concat(frames, ignore_index=True)
    results["overall"] = summary(effects)
    results["overall_churn"] = churn_summary(effects)
    results["settings"] = {"trials": trials, "replications": replications, "jobs": jobs}
    results["machine"] = {"python": platform.python_version(), "cpus": __import__("os").cpu_count()}
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    effects.to_csv(EFFECTS, index=False)
    RESULTS.write_text(json.dumps(results, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return results


def _cell(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}"


def tables(results: dict) -> str:
    """The README's tables: per operation coverage, signs, error, as-is verdict."""
    simod = HERE / "results" / "simod.json"
    simod_doc = json.loads(simod.read_text()) if simod.is_file() else {}
    lines = [
        "| operation | as-is validation | failed | coverage | sign accuracy (robust) | median relative error | against the logged year | SIMOD as-is (cycle time EMD / real mean) | l2csim as-is (same) |",
        "| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name, entry in sorted(results["operations"].items()):
        s, v = entry["summary"], entry["as_is"]
        sim = simod_doc.get("operations", {}).get(name, {}).get("cycle_time")
        lines.append(
            f"| {name} | {'pass' if v['passed'] else 'fail'} | {', '.join(v['failed']) or '–'} "
            f"| {s['coverage']:.0%} | {s['sign_accuracy']:.0%} ({s['robust_signs']}) "
            f"| {s['median_relative_error']:.2f} "
            f"| {_cell(s.get('median_relative_error_logged_year'))} "
            f"| {sim if sim is not None else 'n/a'} "
            f"| {v['measures'].get('cycle_time', float('nan')):.3f} |"
        )
    o = results["overall"]
    lines.append(
        f"| **all** | | | **{o['coverage']:.0%}** | **{o['sign_accuracy']:.0%}** "
        f"({o['robust_signs']}) | **{o['median_relative_error']:.2f}** "
        f"| **{_cell(o.get('median_relative_error_logged_year'))}** | | |"
    )
    lines += ["", churn_table(results), "", levels_table(results)]
    if simod_doc.get("operations"):
        lines += ["", distances_table(results, simod_doc)]
    return "\n".join(lines)


def churn_table(results: dict) -> str:
    """The policies' effect on churned customers a year against the truth's (those who left
    after a bad experience), with the experience hypothesis and with tier rates alone:
    coverage, sign accuracy (robust signs), median relative error."""
    keys = ("customers_churned", "customers_churned_tier_only")
    lines = [
        "| operation | churn effect with the experience hypothesis | with tier rates alone |",
        "| --- | ---: | ---: |",
    ]

    def cell(s: dict | None) -> str:
        if not s or not s.get("predictions"):
            return "n/a"
        signs = "n/a" if s["sign_accuracy"] is None else f"{s['sign_accuracy']:.0%}"
        return (
            f"{s['coverage']:.0%} covered, signs {signs} ({s['robust_signs']}), "
            f"error {s['median_relative_error']:.2f}"
        )

    for name, entry in sorted(results["operations"].items()):
        churn = entry.get("churn", {})
        lines.append(f"| {name} | " + " | ".join(cell(churn.get(k)) for k in keys) + " |")
    overall = results.get("overall_churn", {})
    lines.append("| **all** | " + " | ".join(f"**{cell(overall.get(k))}**" for k in keys) + " |")
    return "\n".join(lines)


def levels_table(results: dict) -> str:
    """The as-is model's year beside the truth's (harness.as_is_levels): model mean (range
    over replications) / the log's world (range over the operation's seeds)."""
    keys = ("customers_churned", "customers_left", "chase_calls_per_week", "orders_arrived")
    lines = [
        "| operation | " + " | ".join(f"{k}: model / log (other years)" for k in keys) + " |",
        "| --- |" + " ---: |" * len(keys),
    ]
    for name, entry in sorted(results["operations"].items()):
        levels = entry.get("as_is_levels", {})
        cells = []
        for key in keys:
            v = levels.get(key)
            if v is None:
                cells.append("n/a")
                continue
            ratio = v["ratio_to_log"]
            cells.append(
                f"{v['model_mean']:.1f} ({v['model_min']:.0f}–{v['model_max']:.0f}) / "
                f"{v['truth_log']:.1f} ({v['truth_min']:.0f}–{v['truth_max']:.0f})"
                + (f" {ratio - 1:+.0%}" if ratio is not None else "")
            )
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


# The as-is distances both tools are measured with (l2csim.validation.measures).
DISTANCES = (
    "cycle_time", "activities", "ngrams", "control_flow",
    "arrivals_hourly", "arrivals_weekly", "backlog_daily", "chase_call_rate",
)  # fmt: skip


def distances_table(results: dict, simod_doc: dict) -> str:
    """SIMOD's as-is distances beside l2csim's, per operation: "SIMOD / l2csim" in each
    cell (smaller is better; n/a where a tool has no figure)."""

    def cell(value) -> str:
        if value is None or not math.isfinite(value):
            return "n/a"
        return f"{value:.1f}" if abs(value) >= 10 else f"{value:.2f}"

    lines = [
        "| operation (SIMOD / l2csim) | " + " | ".join(DISTANCES) + " |",
        "| --- |" + " ---: |" * len(DISTANCES),
    ]
    ours = {name: e["as_is"]["measures"] for name, e in results.get("operations", {}).items()}
    theirs = simod_doc.get("operations", {})
    for name in sorted(set(ours) | set(theirs)):
        cells = [
            f"{cell(theirs.get(name, {}).get(k))} / {cell(ours.get(name, {}).get(k))}"
            for k in DISTANCES
        ]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", nargs="*", default=[])
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--trials", type=int, default=12)
    parser.add_argument("--replications", type=int, default=10)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--print", action="store_true", dest="only_print")
    args = parser.parse_args()
    if args.only_print:
        print(tables(json.loads(RESULTS.read_text())))
        return
    results = run(args.only, args.data, args.trials, args.replications, args.jobs)
    print(tables(results))


if __name__ == "__main__":
    main()
