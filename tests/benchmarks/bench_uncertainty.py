"""Benchmark: what the fit's uncertainty and the headroom search cost on the bundled sample,
and how much wider the intervals get with the parameter draws on.

The sample study is run up to its fitted model (calibrated, with the customers' tiers, as
`l2csim study` fits it; the simulations it runs here are discarded). Then:

- draws: seconds to make 20 parameter sets (`fit.uncertainty.bootstrap_draws`, the log
  already read), wall and CPU;
- intervals: baseline and two options, 20 replications of a year after a 30-day warm-up,
  with and without the draws on the same random streams: the 95% CI half-width of each
  headline KPI's mean and of the paired difference from the baseline, and their ratio;
- headroom: the search for the baseline with compare's default budget (10 runs of 180 days
  per factor, step 0.1) and for every shipped scenario with the study's (6 runs of 120 days,
  step 0.25), wall and CPU seconds (CPU: this process and its finished workers).

Results go to tests/benchmarks/results/uncertainty.json. Run:
PYTHONPATH=src:tests python tests/benchmarks/bench_uncertainty.py [--jobs 2]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT / "src"), str(ROOT / "tests")]

from l2csim.comparison.headroom import HeadroomSettings, scenario_headroom  # noqa: E402
from l2csim.confidence import HEADLINE_KPIS, estimate  # noqa: E402
from l2csim.executors import backend  # noqa: E402
from l2csim.fit import FitOptions  # noqa: E402
from l2csim.fit.uncertainty import bootstrap_draws  # noqa: E402
from l2csim.inputs import read_inputs_log, resolve_inputs  # noqa: E402
from l2csim.output import sha256_file  # noqa: E402
from l2csim.params import load_params  # noqa: E402
from l2csim.pipeline.run import StudyOptions, run_study  # noqa: E402
from l2csim.scenario import load_scenario  # noqa: E402
from l2csim.settings import RunSettings  # noqa: E402
from l2csim.sim.replications import kpi_frame, run_replications  # noqa: E402
from l2csim.sim.run import prepare_run  # noqa: E402

OPTIONS = ("tier_priority", "one_more_cs_agent")
SCENARIOS = (
    "baseline", "tier_priority", "earliest_promise", "key_account_calls",
    "one_more_cs_agent", "rekeying_halved",
)  # fmt: skip
KPIS = (*(k for k, _ in HEADLINE_KPIS), "lead_time_mean_hours")


def cpu() -> float:
    me = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + children.ru_utime + children.ru_stime


def overall(frame, kpi):
    rows = frame[(frame["kpi"] == kpi) & (frame["tier"] == "") & (frame["segment"] == "")]
    return rows[rows["pool"] == ""].sort_values("replication")["value"].to_numpy(dtype=float)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--replications", type=int, default=20)
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="bench-uncertainty-"))
    for folder in ("event_logs", "scenarios"):
        shutil.copytree(ROOT / folder, root / folder)
    out = root / "outputs" / "study"
    run_study(
        root / "scenarios",
        out,
        StudyOptions(replications=2, horizon="60d", warmup="7d", jobs=args.jobs,
                     headroom_replications=0),
    )  # fmt: skip
    model = out / "fit" / "model.json"
    inputs = resolve_inputs(root / "scenarios" / "study.yaml")
    log = read_inputs_log(inputs)
    options = FitOptions(tier_table=out / "customers" / "customers.csv")
    began, spent = time.perf_counter(), cpu()
    draws = bootstrap_draws(
        log, inputs.study, load_params(model), sha256_file(model), count=20, options=options
    )
    result: dict = {
        "machine": {"cpus": os.cpu_count(), "load_before": os.getloadavg()[0]},
        "draws": {
            "count": 20,
            "orders": draws.orders,
            "seconds": round(time.perf_counter() - began, 2),
            "cpu_seconds": round(cpu() - spent, 2),
            "spread": draws.spread,
        },
    }

    def scenario(name):
        return load_scenario(root / "scenarios" / f"{name}.yaml").model_copy(
            update={"model_path": model}
        )

    frames = {}
    began, spent = time.perf_counter(), cpu()
    with backend(args.jobs, None) as where:
        for on in (False, True):
            settings = RunSettings(horizon="365d", warmup="30d", seed=0, fit_uncertainty=on)
            for name in ("baseline", *OPTIONS):
                _, _, spec, _ = prepare_run(scenario(name), settings)
                results = run_replications(spec, args.replications, executor=where.executor)
                frames[(on, name)] = kpi_frame(results, name)
    widths = []
    for kpi in KPIS:
        for name in ("baseline", *OPTIONS):
            row = {"kpi": kpi, "scenario": name}
            for on in (False, True):
                values = overall(frames[(on, name)], kpi)
                key = "on" if on else "off"
                row[f"mean_{key}"] = estimate(values).mean
                row[f"half_width_{key}"] = estimate(values).half_width
                if name != "baseline":
                    paired = values - overall(frames[(on, "baseline")], kpi)
                    row[f"diff_half_width_{key}"] = estimate(paired).half_width
            row["ratio"] = row["half_width_on"] / row["half_width_off"]
            if name != "baseline":
                row["diff_ratio"] = row["diff_half_width_on"] / row["diff_half_width_off"]
            widths.append({k: round(v, 6) if isinstance(v, float) else v for k, v in row.items()})
    result["intervals"] = {
        "replications": args.replications,
        "horizon": "365d",
        "warmup": "30d",
        "seconds": round(time.perf_counter() - began, 1),
        "rows": widths,
    }

    searches = []
    budgets = {
        "compare default": (("baseline",), HeadroomSettings()),
        "study default": (SCENARIOS, HeadroomSettings(replications=6, horizon="120d", step=0.25)),
    }
    for label, (names, search) in budgets.items():
        for name in names:
            began, spent = time.perf_counter(), cpu()
            with backend(args.jobs, None) as where:
                found = scenario_headroom(
                    scenario(name), RunSettings(seed=0), search, executor=where.executor
                )
            searches.append(
                {
                    "budget": label,
                    "scenario": name,
                    "text": found.text,
                    "factors": [p.factor for p in found.points],
                    "runs": found.runs,
                    "seconds": round(time.perf_counter() - began, 1),
                    "cpu_seconds": round(cpu() - spent, 1),
                }
            )
            print(searches[-1], flush=True)
    result["headroom"] = searches
    result["machine"]["load_after"] = os.getloadavg()[0]
    target = ROOT / "tests" / "benchmarks" / "results" / "uncertainty.json"
    target.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(result, indent=2))
    shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
