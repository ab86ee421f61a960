"""SIMOD beside l2csim: SIMOD's as-is model of each test-bed log, measured with l2csim's
validation distances.

For every operation of the test bed (tests/benchmarks/.data/testbed/<operation>/, from
make_testbed.py): convert its log to SIMOD's input, let SIMOD 5 discover a simulation
model with a small optimisation budget, simulate the log's own period with that model
(Prosimos, as SIMOD does), and measure the simulated log against the real one with the
functions and the early-case cutoff of `l2csim validate` (l2csim.validation.measures,
validation/run.py), so the figures sit beside l2csim's as-is distances in
results/fidelity.json. SIMOD has no policies: as-is only.

SIMOD (PyPI `simod`, with a Java runtime for Split Miner: `apt-get install
default-jre-headless`) pins an older scikit-learn among others, so it lives in its own
virtual environment, tests/benchmarks/.venv-simod (git-ignored), made on first run:

    python3 -m venv tests/benchmarks/.venv-simod
    tests/benchmarks/.venv-simod/bin/pip install simod==5.2.1

and runs there as a subprocess under `nice -n 19`. Run with the project's environment:

    python tests/benchmarks/bench_simod.py                  # every operation
    python tests/benchmarks/bench_simod.py --only small_team shifts
    python tests/benchmarks/bench_simod.py --print          # the table from the results

The input SIMOD gets: case, activity, resource and end time per event, and the start time
where the log records one; for completion-only logs the start-time column is left empty and
SIMOD estimates start times itself (its preprocessing: pix-framework's start-time
estimator). Times are given as the operation's local wall-clock time (SIMOD reads every
time as UTC and discovers weekly calendars from it; local time keeps 8:00 at 8:00 across
daylight saving, as a log without offsets would) and the simulated log is read back in the
same way. The simulation starts at the log's first event with as many cases as the log has
(SIMOD's own evaluation does the same), and events after the log's last are cut, as
l2csim's replay stops there.

Not collected by pytest. Results: tests/benchmarks/results/simod.json.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
import venv
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
VENV = HERE / ".venv-simod"
RESULTS = HERE / "results" / "simod.json"
DATA = HERE / ".data" / "testbed"
SIMOD_VERSION = "5.2.1"
HOUR = pd.Timedelta(hours=1)
FAR_FUTURE = pd.Timestamp("2262-01-01", tz="UTC")
WALL_CLOCK = "%Y-%m-%dT%H:%M:%S+00:00"  # local wall-clock time, labelled UTC for SIMOD


class SimodUnavailable(RuntimeError):
    """SIMOD cannot be installed or run here (no Java, no environment, a failed run)."""


@dataclass(frozen=True)
class Budget:
    """SIMOD's optimisation budget: hyperopt iterations per stage, each iteration's
    candidate simulated `evaluations` times; `replications` final simulations of the
    log's period (as many as `l2csim validate`'s default)."""

    control_flow_iterations: int = 3
    case_arrival_iterations: int = 1
    resource_model_iterations: int = 3
    extraneous_delay_iterations: int = 1  # 1: discovered directly, no optimisation
    evaluations: int = 1
    replications: int = 3


def simod_python() -> Path:
    """The environment's Python with SIMOD installed, made once; a plain error if not."""
    if shutil.which("java") is None:
        raise SimodUnavailable(
            "SIMOD needs a Java runtime (Split Miner is a Java program) and `java` is not on "
            "PATH: apt-get install default-jre-headless"
        )
    python = VENV / "bin" / "python"
    if not python.exists():
        print(f"creating {VENV} and installing simod=={SIMOD_VERSION} (once)...", flush=True)
        venv.create(VENV, with_pip=True)
        done = subprocess.run(
            [str(python), "-m", "pip", "install", "-q", f"simod=={SIMOD_VERSION}"],
            capture_output=True,
            text=True,
        )
        if done.returncode:
            shutil.rmtree(VENV, ignore_errors=True)
            raise SimodUnavailable(
                f"pip could not install simod=={SIMOD_VERSION} into {VENV}:\n{done.stderr[-3000:]}"
            )
    return python


def simod_version(python: Path) -> str:
    code = "import importlib.metadata as m; print(m.version('simod'))"
    return subprocess.run([str(python), "-c", code], capture_output=True, text=True).stdout.strip()


def simod_input(events: pd.DataFrame, timezone: str, path: Path) -> str:
    """Write SIMOD's CSV (case_id, activity, resource, [start_time], end_time); say how
    start times are had."""
    from l2csim.log import ACTIVITY, CASE, RESOURCE, START, TIMESTAMP

    def wall(times: pd.Series) -> pd.Series:
        return times.dt.tz_convert(timezone).dt.strftime(WALL_CLOCK)

    table = pd.DataFrame(
        {
            "case_id": events[CASE].astype(str),
            "activity": events[ACTIVITY].astype(str),
            "resource": events[RESOURCE].fillna("NOT_SET").astype(str)
            if RESOURCE in events
            else "NOT_SET",
        }
    )
    recorded = START in events and events[START].notna().all()
    # Empty where not recorded: SIMOD then estimates them (without the column at all,
    # SIMOD 5.2.1's estimator fails with KeyError 'start_time').
    table["start_time"] = wall(events[START]) if recorded else ""
    table["end_time"] = wall(events[TIMESTAMP])
    table.to_csv(path, index=False)
    return "recorded" if recorded else "estimated by SIMOD (completion-only log)"


def simod_config(log: Path, budget: Budget) -> dict:
    """SIMOD 5.2's configuration: its documented example (docs/.../configuration_example.yml:
    Split Miner v1, calendars differentiated by resource, extraneous delays discovered
    eclipse-aware) with the iterations of `budget`; the whole log for discovery (no
    held-out test part, as l2csim fits the whole log), no prioritisation or batching."""
    return {
        "version": 5.2,
        "common": {
            "train_log_path": str(log),
            "log_ids": {
                "case": "case_id",
                "activity": "activity",
                "resource": "resource",
                "start_time": "start_time",
                "end_time": "end_time",
            },
            "perform_final_evaluation": False,
            "clean_intermediate_files": True,
            "discover_data_attributes": False,
        },
        "preprocessing": {"multitasking": False, "enable_time_concurrency_threshold": 0.75},
        "control_flow": {
            "optimization_metric": "two_gram_distance",
            "num_iterations": budget.control_flow_iterations,
            "num_evaluations_per_iteration": budget.evaluations,
            "gateway_probabilities": "discovery",
            "mining_algorithm": "sm1",
            "epsilon": [0.05, 0.4],
            "eta": [0.2, 0.7],
            "replace_or_joins": [True, False],
            "prioritize_parallelism": [True, False],
        },
        "case_arrival": {
            "optimization_metric": "arrival_event_distribution",
            "num_iterations": budget.case_arrival_iterations,
            "num_evaluations_per_iteration": budget.evaluations,
        },
        "resource_model": {
            "optimization_metric": "circadian_emd",
            "num_iterations": budget.resource_model_iterations,
            "num_evaluations_per_iteration": budget.evaluations,
            "discover_prioritization_rules": False,
            "discover_batching_rules": False,
            "resource_profiles": {
                "discovery_type": "differentiated",
                "granularity": 60,
                "confidence": [0.5, 0.85],
                "support": [0.05, 0.5],
                "participation": 0.4,
            },
        },
        "extraneous_activity_delays": {
            "discovery_method": "eclipse-aware",
            "num_iterations": budget.extraneous_delay_iterations,
        },
    }


# Runs in SIMOD's environment: Prosimos on SIMOD's discovered model, `replications` times.
SIMULATE = r"""
import sys, time
from prosimos.simulation_engine import run_simulation
bpmn, params, out, cases, start, replications = sys.argv[1:7]
for i in range(int(replications)):
    run_simulation(bpmn_path=bpmn, json_path=params, total_cases=int(cases), stat_out_path=None,
                   log_out_path=f"{out}/simulated_{i}.csv", starting_at=start,
                   is_event_added_to_log=False)
"""


def run_child(args: list[str], log: Path, what: str) -> float:
    """Run one command of SIMOD's environment under `nice -n 19`; wall-clock seconds."""
    began = time.perf_counter()
    with log.open("a") as out:
        done = subprocess.run(["nice", "-n", "19", *args], stdout=out, stderr=subprocess.STDOUT)
    seconds = time.perf_counter() - began
    if done.returncode:
        tail = "".join(log.read_text(errors="replace").splitlines(keepends=True)[-30:])
        raise SimodUnavailable(f"{what} failed (exit {done.returncode}); log {log}:\n{tail}")
    return seconds


def run_simod(python: Path, events: pd.DataFrame, timezone: str, budget: Budget, work: Path):
    """Discover with SIMOD and simulate the log's period: (simulated logs, facts)."""
    import yaml

    from l2csim.log import CASE, TIMESTAMP

    work.mkdir(parents=True, exist_ok=True)
    log = work / "orders.csv"
    start_times = simod_input(events, timezone, log)
    config = work / "simod.yaml"
    config.write_text(yaml.safe_dump(simod_config(log, budget), sort_keys=False))
    out = work / "simod"
    shutil.rmtree(out, ignore_errors=True)
    child_log = work / "simod.log"
    child_log.write_text("")
    simod = VENV / "bin" / "simod"
    discover = run_child(
        [str(simod), "--configuration", str(config), "--output", str(out)], child_log, "SIMOD"
    )
    best = out / "best_result"
    bpmn, params = best / "orders.bpmn", best / "orders.json"
    if not (bpmn.is_file() and params.is_file()):
        raise SimodUnavailable(f"SIMOD wrote no model in {best}: {sorted(best.glob('*'))}")
    first = events[TIMESTAMP].min().tz_convert(timezone).strftime(WALL_CLOCK)
    cases = events[CASE].nunique()
    simulate = run_child(
        [str(python), "-c", SIMULATE, str(bpmn), str(params), str(work), str(cases), first,
         str(budget.replications)],
        child_log, "Prosimos on SIMOD's model",
    )  # fmt: skip
    simulated = [
        simulated_events(work / f"simulated_{i}.csv", timezone, i)
        for i in range(budget.replications)
    ]
    runtimes = best / "runtimes.json"
    facts = {
        "start_times": start_times,
        "cases": int(cases),
        "discover_seconds": round(discover, 1),
        "simulate_seconds": round(simulate, 1),
        "simod_runtimes": json.loads(runtimes.read_text()) if runtimes.is_file() else None,
        "canonical_model": json.loads((best / "canonical_model.json").read_text())
        if (best / "canonical_model.json").is_file()
        else None,
    }
    return simulated, facts


def simulated_events(path: Path, timezone: str, replication: int) -> pd.DataFrame:
    """Prosimos' log as l2csim's columns: case, activity, completion time (UTC)."""
    from l2csim.log import ACTIVITY, CASE, TIMESTAMP

    raw = pd.read_csv(path)
    # A queue that runs away can push times past pandas' range (year 2262): those become
    # FAR_FUTURE, past any period.
    wall = pd.to_datetime(raw["end_time"], utc=True, format="ISO8601", errors="coerce")
    local = wall.dt.tz_localize(None).dt.tz_localize(
        timezone, ambiguous=np.zeros(len(wall), dtype=bool), nonexistent="shift_forward"
    )
    return pd.DataFrame(
        {
            CASE: f"S{replication}-" + raw["case_id"].astype(str),
            ACTIVITY: raw["activity"].astype(str),
            TIMESTAMP: local.dt.tz_convert("UTC").fillna(FAR_FUTURE),
        }
    )


def distances(real: pd.DataFrame, simulated: list[pd.DataFrame], study) -> dict[str, float]:
    """l2csim validate's distances of each simulated log, averaged over the replications:
    the same functions, the same early-case cutoff, arrivals and backlog over the period."""
    from l2csim.log import CASE, TIMESTAMP
    from l2csim.validation import measures as m
    from l2csim.validation.run import _early

    spec = study.validation
    chase = list(study.roles.chase_call)
    start, end = real[TIMESTAMP].min(), real[TIMESTAMP].max()
    real_cases = m.cases_of(real)
    cycle = (real_cases["last"] - real_cases["first"]) / HOUR
    cutoff = end - pd.Timedelta(hours=float(cycle.quantile(0.95)))
    per_replication, after, until = [], [], []
    for i, sim in enumerate(simulated):
        # How much of SIMOD's simulated work lies past the period (a queue that runs away
        # shows here; the measures, like validate's on l2csim's replay, see it cut).
        after.append(float((sim[TIMESTAMP] > end).mean()))
        until.append(sim[TIMESTAMP].max())
        sim = sim[sim[TIMESTAMP] <= end]  # the replay stops at the log's last event
        sim = sim.sort_values([CASE, TIMESTAMP], kind="stable")
        rng = np.random.Generator(
            np.random.PCG64(np.random.SeedSequence(spec.seed, spawn_key=(10_000 + i,)))
        )
        values = m.log_distances(
            _early(real, cutoff), _early(sim, cutoff), rng, spec.control_flow_cases
        )
        values["arrivals_weekly"] = m.relative_mae(
            m.weekly_arrivals(real, start, end), m.weekly_arrivals(sim, start, end)
        )
        values["backlog_daily"] = m.relative_mae(
            m.daily_backlog(real, start, end), m.daily_backlog(sim, start, end)
        )
        values["chase_call_rate"] = (
            m.relative_error(
                m.chase_rate(_early(real, cutoff), chase), m.chase_rate(_early(sim, cutoff), chase)
            )
            if chase
            else math.nan
        )
        per_replication.append(values)
    means = {
        key: round(float(np.nanmean([v[key] for v in per_replication])), 4)
        for key in per_replication[0]
    }
    return means | {
        "events_after_period": round(float(np.mean(after)), 4),
        "simulated_until": max(until).isoformat(),
        "period_end": end.isoformat(),
    }


def run(
    names: list[str], data: Path, budget: Budget, keep: Path | None, remeasure: bool = False
) -> dict:
    """SIMOD on each operation (or, with `remeasure`, only the distances again from the
    simulated logs kept under `keep` by an earlier run)."""
    from l2csim.inputs import read_inputs_log, resolve_inputs
    from l2csim.log import ACTIVITY, CASE, TIMESTAMP
    from l2csim.sample.testbed import OPERATIONS

    python = simod_python()
    version = simod_version(python)
    results = json.loads(RESULTS.read_text()) if RESULTS.is_file() else {"operations": {}}
    for name in names or list(OPERATIONS):
        study_file = data / name / "scenarios" / "study.yaml"
        if not study_file.is_file():
            raise SystemExit(
                f"{study_file} is missing: write the test bed first "
                "(python tests/benchmarks/make_testbed.py, or --data DIR)"
            )
        inputs = resolve_inputs(study_file)
        log = read_inputs_log(inputs)
        timezone = inputs.study.log.timezone or "UTC"
        real = log.events[[CASE, ACTIVITY, TIMESTAMP]].sort_values([CASE, TIMESTAMP], kind="stable")
        what = "measuring the kept simulated logs" if remeasure else "SIMOD"
        print(f"{name}: {what} on {real[CASE].nunique()} cases, {len(real)} events", flush=True)
        if remeasure:
            entry = results["operations"].setdefault(name, {})
            kept = sorted((keep / name).glob("simulated_*.csv"))
            simulated = [simulated_events(path, timezone, i) for i, path in enumerate(kept)]
            entry.update(distances(real, simulated, inputs.study))
            print(f"{name}: {json.dumps({k: entry[k] for k in COLUMNS})}", flush=True)
            continue
        began = time.perf_counter()
        with tempfile.TemporaryDirectory() as tmp:
            work = (keep / name) if keep else Path(tmp)
            simulated, facts = run_simod(python, log.events, timezone, budget, work)
        seconds = time.perf_counter() - began
        entry = distances(real, simulated, inputs.study)
        entry.update(
            seconds=round(seconds, 1),
            simod_version=version,
            budget=asdict(budget),
            **facts,
        )
        results["operations"][name] = entry
        print(f"{name}: {seconds:.0f} s {json.dumps({k: entry[k] for k in COLUMNS})}", flush=True)
        results["machine"] = {
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "load_average_at_end": [round(x, 2) for x in os.getloadavg()],
        }
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        RESULTS.write_text(json.dumps(results, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    if remeasure:
        RESULTS.write_text(json.dumps(results, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return results


COLUMNS = (
    "cycle_time",
    "activities",
    "ngrams",
    "control_flow",
    "arrivals_hourly",
    "arrivals_weekly",
    "backlog_daily",
    "chase_call_rate",
)


def table(results: dict) -> str:
    """SIMOD's distances per operation, with its seconds."""
    lines = [
        "| operation | " + " | ".join(COLUMNS) + " | seconds |",
        "| --- | " + " | ".join("---:" for _ in COLUMNS) + " | ---: |",
    ]
    for name, entry in sorted(results["operations"].items()):
        cells = [_cell(entry.get(c)) for c in COLUMNS]
        lines.append(f"| {name} | " + " | ".join(cells) + f" | {entry['seconds']:.0f} |")
    return "\n".join(lines)


def _cell(value) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "n/a"
    return f"{value:.3f}" if abs(value) < 10 else f"{value:.1f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", nargs="*", default=[])
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument(
        "--control-flow-iterations", type=int, default=Budget.control_flow_iterations
    )
    parser.add_argument(
        "--case-arrival-iterations", type=int, default=Budget.case_arrival_iterations
    )
    parser.add_argument(
        "--resource-model-iterations", type=int, default=Budget.resource_model_iterations
    )
    parser.add_argument(
        "--extraneous-delay-iterations", type=int, default=Budget.extraneous_delay_iterations
    )
    parser.add_argument("--evaluations", type=int, default=Budget.evaluations)
    parser.add_argument("--replications", type=int, default=Budget.replications)
    parser.add_argument("--keep", type=Path, help="keep SIMOD's files under this folder")
    parser.add_argument(
        "--remeasure",
        action="store_true",
        help="only measure again the simulated logs an earlier run kept under --keep",
    )
    parser.add_argument("--print", action="store_true", dest="only_print")
    args = parser.parse_args()
    if args.only_print:
        print(table(json.loads(RESULTS.read_text())))
        return
    budget = Budget(
        args.control_flow_iterations,
        args.case_arrival_iterations,
        args.resource_model_iterations,
        args.extraneous_delay_iterations,
        args.evaluations,
        args.replications,
    )
    if args.remeasure and not args.keep:
        parser.error("--remeasure reads the simulated logs kept under --keep DIR")
    try:
        results = run(args.only, args.data, budget, args.keep, args.remeasure)
    except SimodUnavailable as error:
        print(f"SIMOD could not run: {error}", file=sys.stderr)
        raise SystemExit(2) from None
    print(table(results))


if __name__ == "__main__":
    main()
