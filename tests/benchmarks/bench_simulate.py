"""Benchmark: simulated events per CPU second, healthy and overloaded, against Prosimos and
against an earlier source tree measured in the same run.

Requirements: the full model (calendars, chase and courtesy calls, churn on) over one year
runs at >= 5x Prosimos' events/s on an equivalent workload (issue 5); peak memory does not
grow with the horizon unless the event log is kept; an overloaded model (the sample's fitted
model at demand x3: staff unchanged, thousands of orders left waiting) runs at >= 60,000
events per CPU second, and demand x10 does not fall off quadratically (issue 19).

Models (`--models`, default all):
- `fitted`: `l2csim fit` on the bundled sample (scenarios/study.yaml), written to
  tests/benchmarks/.data/ (the headline figure);
- `sample_like`: the hand-built model of tests/sim_models.py with the sample's 4 tiers,
  3 product lines and 8 pools, whose calls, expedites, delays and churn are all active;
- `fitted_x3`, `fitted_x10`, `sample_like_x3`: the same under the as-is policy with
  `demand: {factor: 3 | 10}`.
Each measurement is one replication of one year (30 days warm-up) in a fresh subprocess;
its time is the CPU seconds of that process for the replication *and* freeing what it
leaves behind (one `gc.collect()` after it, inside the timing, whichever tree runs), so a
tree that leaves garbage for later pays for it here. Events: every simulated event-log
event (activities, calls, expedites). Unanswered calls (a caller on hold hangs up and
dials again: simulated, but no event in a log) are counted beside them: at demand x10
they outnumber the events, and events per CPU second alone would hide where the time goes.

`--baseline-src DIR` runs every measurement a second time with another tree's `src/` (e.g.
`git worktree add /tmp/before <commit>` or `git archive <commit> src | tar -x -C /tmp/before`),
interleaved with this tree's runs (the order alternating per repeat), and records the ratio
of medians: a before/after measured under the same load. The load average is recorded
before every child.

Prosimos (PyPI `prosimos`, which pins older pandas/scikit-learn) is installed in its own
virtual environment, tests/benchmarks/.venv-prosimos (git-ignored), made on first run; it
runs /work/shared/data/prosimos/credit_application.{bpmn,json} with as many cases as give
about the same number of events as one simulated year, no log written. `--no-prosimos`
skips it (the results then say so; the ratio target is not judged).

    python tests/benchmarks/bench_simulate.py [--repeat 3] [--baseline-src DIR] [--no-prosimos]

Not collected by pytest. Results: tests/benchmarks/results/simulate.json (rendered into the
README by speed_section.py); exit 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import statistics
import subprocess
import sys
import venv
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
SRC = REPO / "src"
DATA = HERE / ".data"
VENV = HERE / ".venv-prosimos"
RESULTS = HERE / "results" / "simulate.json"
_SHARED = [REPO.parent / "shared" / "data", REPO.parents[1] / "shared" / "data"]
if "L2CSIM_SHARED_DATA" in os.environ:
    _SHARED.insert(0, Path(os.environ["L2CSIM_SHARED_DATA"]))
PROSIMOS_MODEL = next((p for p in _SHARED if p.is_dir()), _SHARED[0]) / "prosimos"
SPEED_TARGET = 5.0  # x Prosimos, healthy models
OVERLOAD_TARGET = 60_000.0  # events per CPU second, fitted_x3
MEMORY_GROWTH_LIMIT = 1.5  # peak at 2 years / peak at 90 days
MODELS = {  # name: (base model, demand factor)
    "fitted": ("fitted", 1.0),
    "sample_like": ("sample_like", 1.0),
    "fitted_x3": ("fitted", 3.0),
    "sample_like_x3": ("sample_like", 3.0),
    "fitted_x10": ("fitted", 10.0),
}
MEMORY_MODELS = ("fitted", "sample_like")

L2CSIM_CHILD = r"""
import gc, json, sys, time, tracemalloc
sys.path[:0] = [{src!r}, {tests!r}]
from l2csim.params import load_params
from l2csim.policy import Policy
from l2csim.sim.replications import RunSpec, run_replication
params = load_params({model!r})
policy = Policy(demand={{"factor": {factor}}}) if {factor} != 1.0 else Policy()
spec = RunSpec(params, policy, seed=1, horizon_hours={horizon}, warmup_hours=720.0,
               event_log={event_log})
gc.collect()
if {trace}:
    tracemalloc.start()
cpu = time.process_time()
result = run_replication(spec, {replication})
gc.collect()
cpu = time.process_time() - cpu
peak = tracemalloc.get_traced_memory()[1] if {trace} else None
unanswered = sum(r[-1] for r in result.rows if r[0] == "chase_calls_unanswered")
print(json.dumps({{"events": result.events, "orders": result.orders, "cpu": cpu,
                  "peak_bytes": peak, "unanswered_calls": unanswered}}))
"""

PROSIMOS_CHILD = r"""
import json, os, sys, tempfile, time
os.chdir(tempfile.mkdtemp())
from prosimos.simulation_engine import run_simulation
cpu = time.process_time()
_, info = run_simulation({bpmn!r}, {json_path!r}, {cases}, starting_at="2025-01-06T00:00:00+00:00")
cpu = time.process_time() - cpu
events = sum(len(trace.event_list) for trace in info.trace_list)
print(json.dumps({{"events": events, "cases": {cases}, "cpu": cpu}}))
"""


def load() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def child(python: str, code: str) -> dict:
    before = load()
    done = subprocess.run([python, "-c", code], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"benchmark child failed:\n{done.stderr[-3000:]}")
    out = json.loads(done.stdout.strip().splitlines()[-1])
    out["load_before"] = before
    return out


def fitted_model() -> tuple[Path, str]:
    """The bundled sample's fitted model, or the hand-built one when fit is unavailable."""
    DATA.mkdir(parents=True, exist_ok=True)
    sys.path[:0] = [str(SRC), str(REPO / "tests")]
    try:
        from l2csim.fit import run as fit
        from l2csim.inputs import LogOverrides, resolve_inputs
    except ImportError:
        fit = None
    if fit is not None:
        path = DATA / "sample_fitted_model.json"
        fit(resolve_inputs(str(REPO / "scenarios" / "study.yaml"), LogOverrides()), path)
        return path, "l2csim fit on the bundled sample (scenarios/study.yaml)"
    return sample_like_model(), "hand-built (fit unavailable)"


def sample_like_model() -> Path:
    from l2csim.params import write_params
    from sim_models import sample_like_model as build

    return write_params(build(), DATA / "sample_like_model.json")


def l2csim_run(
    model: Path,
    horizon_days: float,
    replication: int,
    *,
    factor: float = 1.0,
    trace=False,
    log=False,
    src: Path = SRC,
) -> dict:
    code = L2CSIM_CHILD.format(
        src=str(src),
        tests=str(REPO / "tests"),
        model=str(model),
        factor=float(factor),
        horizon=horizon_days * 24.0,
        event_log=log,
        trace=trace,
        replication=replication,
    )
    return child(sys.executable, code)


def prosimos_python() -> str:
    python = VENV / "bin" / "python"
    if not python.exists():
        print(f"creating {VENV} and installing prosimos (once)...", flush=True)
        venv.create(VENV, with_pip=True)
        subprocess.run([str(python), "-m", "pip", "install", "-q", "prosimos"], check=True)
    return str(python)


def prosimos_run(cases: int) -> dict:
    code = PROSIMOS_CHILD.format(
        bpmn=str(PROSIMOS_MODEL / "credit_application.bpmn"),
        json_path=str(PROSIMOS_MODEL / "credit_application.json"),
        cases=cases,
    )
    return child(prosimos_python(), code)


def rate(runs: list[dict]) -> dict:
    """Events per CPU second (median, range); for l2csim also the unanswered calls (callers
    who hung up on hold, after the warm-up: no event in the log, but simulated work) per
    event and per CPU second with the events, so an overloaded model's cost is explained."""
    rates = [r["events"] / r["cpu"] for r in runs]
    out = {
        "events_per_cpu_second_median": statistics.median(rates),
        "min": min(rates),
        "max": max(rates),
        "runs": runs,
    }
    if all("unanswered_calls" in r for r in runs):
        out["unanswered_calls_per_event"] = statistics.median(
            r["unanswered_calls"] / r["events"] for r in runs
        )
        out["events_and_unanswered_calls_per_cpu_second_median"] = statistics.median(
            (r["events"] + r["unanswered_calls"]) / r["cpu"] for r in runs
        )
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--models", default=",".join(MODELS), help="comma-separated")
    parser.add_argument("--baseline-src", type=Path, help="another tree's src/ to compare")
    parser.add_argument("--baseline-label", default="", help="what the baseline is (a commit)")
    parser.add_argument("--no-prosimos", action="store_true")
    parser.add_argument("--no-memory", action="store_true")
    args = parser.parse_args()
    names = [n for n in args.models.split(",") if n]
    unknown = sorted(set(names) - set(MODELS))
    if unknown:
        parser.error(f"unknown models {unknown}; known: {', '.join(MODELS)}")

    fitted, fitted_how = fitted_model()
    bases = {"fitted": (fitted, fitted_how), "sample_like": (sample_like_model(), "tests")}
    out: dict = {
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count()},
        "measured": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "load_average_start": load(),
        "commit": _commit(),
    }
    trees = {"this": SRC}
    if args.baseline_src is not None:
        trees["baseline"] = args.baseline_src.resolve()
        out["baseline"] = {"src": str(trees["baseline"]), "label": args.baseline_label}
    runs: dict[tuple[str, str], list[dict]] = {(t, n): [] for t in trees for n in names}
    for i in range(args.repeat):
        for name in names:
            base, factor = MODELS[name]
            order = list(trees) if i % 2 == 0 else list(reversed(trees))
            for tree in order:
                got = l2csim_run(bases[base][0], 365, i, factor=factor, src=trees[tree])
                runs[(tree, name)].append(got)
                print(
                    f"{tree:8s} {name:15s} rep {i}: {got['events'] / got['cpu']:>9,.0f} "
                    f"events/s  (load {got['load_before'][0]})",
                    flush=True,
                )
    for name in names:
        base, factor = MODELS[name]
        entry = {"model": bases[base][1], "demand_factor": factor}
        entry["year"] = rate(runs[("this", name)])
        if "baseline" in trees:
            before = rate(runs[("baseline", name)])
            entry["baseline_year"] = before
            entry["speedup_over_baseline"] = (
                entry["year"]["events_per_cpu_second_median"]
                / before["events_per_cpu_second_median"]
            )
        out[name] = entry
    if not args.no_memory:
        for name in MEMORY_MODELS:
            if name not in names:
                continue
            path = bases[name][0]
            memory = {
                f"{days}d": l2csim_run(path, days, 0, trace=True)["peak_bytes"]
                for days in (90, 365, 730)
            }
            memory["365d_with_event_log"] = l2csim_run(path, 365, 0, trace=True, log=True)[
                "peak_bytes"
            ]
            out[name]["peak_bytes"] = memory
            out[name]["memory_growth_730d_over_90d"] = memory["730d"] / memory["90d"]

    ok = True
    if not args.no_prosimos and "sample_like" in names:
        events = statistics.median(r["events"] for r in out["sample_like"]["year"]["runs"])
        probe = prosimos_run(200)
        cases = max(200, round(events / (probe["events"] / probe["cases"])))
        prosimos = [prosimos_run(cases) for _ in range(args.repeat)]
        out["prosimos"] = {"cases": cases, "credit_application": rate(prosimos)}
        ref = out["prosimos"]["credit_application"]["events_per_cpu_second_median"]
        print(f"prosimos: {ref:,.0f} events/s per core ({cases} cases)", flush=True)
        for name in names:
            if MODELS[name][1] == 1.0:
                ratio = out[name]["year"]["events_per_cpu_second_median"] / ref
                out[name]["ratio_to_prosimos"] = ratio
                ok &= ratio >= SPEED_TARGET
                print(f"{name}: {ratio:.1f}x Prosimos (target >= {SPEED_TARGET}x)")
    else:
        out["prosimos"] = None
    for name in MEMORY_MODELS:
        growth = out.get(name, {}).get("memory_growth_730d_over_90d")
        if growth is not None:
            ok &= growth <= MEMORY_GROWTH_LIMIT
            print(f"{name}: memory 730d/90d = {growth:.2f} (limit {MEMORY_GROWTH_LIMIT})")
    if "fitted_x3" in out:
        got = out["fitted_x3"]["year"]["events_per_cpu_second_median"]
        ok &= got >= OVERLOAD_TARGET
        print(f"fitted_x3: {got:,.0f} events per CPU second (target >= {OVERLOAD_TARGET:,.0f})")
    for name in names:
        if "speedup_over_baseline" in out[name]:
            print(f"{name}: {out[name]['speedup_over_baseline']:.2f}x the baseline")
    out["load_average_end"] = load()
    out["targets"] = {
        "ratio_to_prosimos": SPEED_TARGET,
        "fitted_x3_events_per_cpu_second": OVERLOAD_TARGET,
        "memory_growth_730d_over_90d": MEMORY_GROWTH_LIMIT,
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(out, indent=2, sort_keys=True) + "\n")
    print(f"Wrote {RESULTS}")
    return 0 if ok else 1


def _commit() -> str | None:
    done = subprocess.run(
        ["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"],
        capture_output=True,
        text=True,
        check=False,
    )
    return done.stdout.strip() or None


if __name__ == "__main__":
    raise SystemExit(main())
