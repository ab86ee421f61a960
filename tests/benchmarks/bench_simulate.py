"""Benchmark: simulated events per second per core, against Prosimos in the same run.

Requirement (issue 5): the full model (calendars, chase and courtesy calls, churn on) over
one year runs at >= 5x Prosimos' events/s on an equivalent workload, and peak memory does
not grow with the horizon unless the event log is kept.

Models:
- `fitted`: `l2csim fit` on the bundled sample (scenarios/study.yaml), written to
  tests/benchmarks/.data/ (the headline figure, as the issue asks);
- `sample_like`: the hand-built model of tests/sim_models.py with the sample's 4 tiers,
  3 product lines and 8 pools, whose calls, expedites, delays and churn are all active.
Prosimos (PyPI `prosimos`, which pins older pandas/scikit-learn) is installed in its own
virtual environment, tests/benchmarks/.venv-prosimos (git-ignored), made on first run; it
runs /work/shared/data/prosimos/credit_application.{bpmn,json} via
`prosimos.simulation_engine.run_simulation` with as many cases as give about the same
number of events as one simulated year, no log written. Events: for l2csim every simulated
event-log event (activities, calls, expedites); for Prosimos every event of its trace list.
Times are CPU seconds of the one process doing the work (events/s per core). Every
measurement runs in a fresh subprocess.

    python tests/benchmarks/bench_simulate.py [--repeat 3]

Not collected by pytest. Results: tests/benchmarks/results/simulate.json; exit 1 when a
target is missed.
"""

from __future__ import annotations

import argparse
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
SPEED_TARGET = 5.0
MEMORY_GROWTH_LIMIT = 1.5  # peak at 2 years / peak at 90 days

L2CSIM_CHILD = r"""
import json, sys, time, tracemalloc
sys.path[:0] = [{src!r}, {tests!r}]
from l2csim.params import load_params
from l2csim.policy import Policy
from l2csim.sim.replications import RunSpec, run_replication
params = load_params({model!r})
spec = RunSpec(params, Policy(), seed=1, horizon_hours={horizon}, warmup_hours=720.0,
               event_log={event_log})
if {trace}:
    tracemalloc.start()
cpu = time.process_time()
result = run_replication(spec, {replication})
cpu = time.process_time() - cpu
peak = tracemalloc.get_traced_memory()[1] if {trace} else None
print(json.dumps({{"events": result.events, "orders": result.orders, "cpu": cpu,
                  "peak_bytes": peak}}))
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


def child(python: str, code: str) -> dict:
    done = subprocess.run([python, "-c", code], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"benchmark child failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


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


def l2csim_run(model: Path, horizon_days: float, replication: int, *, trace=False, log=False):
    code = L2CSIM_CHILD.format(
        src=str(SRC),
        tests=str(REPO / "tests"),
        model=str(model),
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
    rates = [r["events"] / r["cpu"] for r in runs]
    return {
        "events_per_cpu_second_median": statistics.median(rates),
        "min": min(rates),
        "max": max(rates),
        "runs": runs,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    fitted, fitted_how = fitted_model()
    models = {"fitted": (fitted, fitted_how), "sample_like": (sample_like_model(), "tests")}
    out: dict = {"machine": {"python": platform.python_version(), "cpus": os.cpu_count()}}
    for name, (path, how) in models.items():
        runs = [l2csim_run(path, 365, i) for i in range(args.repeat)]
        memory = {
            f"{days}d": l2csim_run(path, days, 0, trace=True)["peak_bytes"]
            for days in (90, 365, 730)
        }
        memory["365d_with_event_log"] = l2csim_run(path, 365, 0, trace=True, log=True)["peak_bytes"]
        out[name] = {"model": how, "year": rate(runs), "peak_bytes": memory}
        print(
            f"l2csim {name}: {out[name]['year']['events_per_cpu_second_median']:,.0f} "
            f"events/s per core; peak {memory}",
            flush=True,
        )

    events = statistics.median(r["events"] for r in out["sample_like"]["year"]["runs"])
    probe = prosimos_run(200)
    cases = max(200, round(events / (probe["events"] / probe["cases"])))
    prosimos = [prosimos_run(cases) for _ in range(args.repeat)]
    out["prosimos"] = {"cases": cases, "credit_application": rate(prosimos)}
    ref = out["prosimos"]["credit_application"]["events_per_cpu_second_median"]
    print(f"prosimos: {ref:,.0f} events/s per core ({cases} cases)", flush=True)

    ok = True
    for name in models:
        ratio = out[name]["year"]["events_per_cpu_second_median"] / ref
        growth = out[name]["peak_bytes"]["730d"] / out[name]["peak_bytes"]["90d"]
        out[name]["ratio_to_prosimos"] = ratio
        out[name]["memory_growth_730d_over_90d"] = growth
        ok &= ratio >= SPEED_TARGET and growth <= MEMORY_GROWTH_LIMIT
        print(
            f"{name}: {ratio:.1f}x Prosimos (target >= {SPEED_TARGET}x); "
            f"memory 730d/90d = {growth:.2f} (limit {MEMORY_GROWTH_LIMIT})"
        )
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(out, indent=2, sort_keys=True) + "\n")
    print(f"Wrote {RESULTS}")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
