"""Benchmark: 6 scenarios x 30 replications x one year of the bundled sample's fitted model,
on 1 and 2 local processes and on a 2-worker Dask LocalCluster (loopback), as ratios.

Parallel efficiency = (1-worker time / n-worker time) / n. Peak memory per worker: the
largest resident set of each worker process, read after every replication (flat when KPIs
are streamed: the value after the first replications equals the end value). Results go to
tests/benchmarks/results/replications.json. Run: PYTHONPATH=src:tests python
tests/benchmarks/bench_replications.py
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT / "src"), str(ROOT / "tests")]

from l2csim.settings import RunSettings  # noqa: E402
from l2csim.sim.replications import run_replication  # noqa: E402
from l2csim.sim.run import prepare  # noqa: E402
from study_copy import sample_study  # noqa: E402

SCENARIOS = (
    "baseline", "tier_priority", "earliest_promise", "key_account_calls",
    "one_more_cs_agent", "rekeying_halved",
)  # fmt: skip
REPLICATIONS = 30


def measured(spec, replication):
    """One replication, plus this worker's pid and resident memory afterwards."""
    result = run_replication(spec, replication)
    return os.getpid(), psutil.Process().memory_info().rss, result.events, len(result.rows)


def run(specs, executor) -> dict:
    began = time.perf_counter()
    if executor is None:
        outcomes = [measured(s, i) for s in specs for i in range(REPLICATIONS)]
    else:
        futures = [executor.submit(measured, s, i) for s in specs for i in range(REPLICATIONS)]
        outcomes = [f.result() for f in futures]
    seconds = time.perf_counter() - began
    by_worker: dict[int, list[int]] = {}
    for pid, rss, _events, _rows in outcomes:
        by_worker.setdefault(pid, []).append(rss)
    return {
        "seconds": round(seconds, 2),
        "events": sum(o[2] for o in outcomes),
        "workers": len(by_worker),
        "peak_rss_mb_per_worker": [round(max(v) / 2**20, 1) for v in by_worker.values()],
        "rss_mb_after_first_5_vs_end": [
            [round(max(v[:5]) / 2**20, 1), round(max(v) / 2**20, 1)] for v in by_worker.values()
        ],
    }


def main() -> None:
    from distributed import Client, LocalCluster

    scenarios = sample_study(Path(tempfile.mkdtemp()))
    specs = [prepare(scenarios / f"{name}.yaml", RunSettings(seed=0))[2] for name in SCENARIOS]
    load = os.getloadavg()
    one = run(specs, None)
    with ProcessPoolExecutor(2) as pool:
        two = run(specs, pool)
    with (
        LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                     dashboard_address=None) as cluster,
        Client(cluster) as client,
    ):  # fmt: skip
        dask = run(specs, client.get_executor(pure=False))
    result = {
        "workload": f"{len(SCENARIOS)} scenarios x {REPLICATIONS} replications x 365 days",
        "cpus": os.cpu_count(),
        "load_average_before": [round(x, 2) for x in load],
        "one_process": one,
        "two_processes": two,
        "dask_local_cluster_2_workers": dask,
        "speedup_two_processes": round(one["seconds"] / two["seconds"], 2),
        "efficiency_two_processes": round(one["seconds"] / two["seconds"] / 2, 2),
        "speedup_dask": round(one["seconds"] / dask["seconds"], 2),
        "efficiency_dask": round(one["seconds"] / dask["seconds"] / 2, 2),
    }
    out = ROOT / "tests" / "benchmarks" / "results" / "replications.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2, sort_keys=True) + "\n")
    print(json.dumps(result, indent=2, sort_keys=True))


if __name__ == "__main__":
    main()
