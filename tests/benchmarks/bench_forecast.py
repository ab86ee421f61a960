"""Benchmark: `l2csim forecast` of 28 days from about 500 open orders.

The bundled sample has about 100 orders open at a time, so the benchmark runs it at five
times its size: five copies of the sample operation side by side (each copy's orders,
customers and people renamed, the CRM list copied with them), the same study file. At the
as-of (1 October, the year's busiest months behind it) about 500 orders are open. Timed is
the whole forecast as the command runs it — reading the log, cutting it, fitting the model
from it, reading the state, the hindcasts that measure the model's error, and
`--replications` replications of 28 days on `--jobs` processes — without writing the page.

    python tests/benchmarks/bench_forecast.py [--repeat 3] [--replications 20] [--jobs 2]

Not a pytest test: run it by hand; results go to tests/benchmarks/results/forecast.json.
Exits 1 when the median run takes longer than TARGET_SECONDS.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
sys.path.insert(0, str(REPO / "src"))

import pandas as pd  # noqa: E402

from l2csim.forecast import ForecastSettings  # noqa: E402
from l2csim.forecast import forecast as run_forecast  # noqa: E402
from l2csim.inputs import resolve_inputs  # noqa: E402

RESULTS = HERE / "results" / "forecast.json"
TARGET_SECONDS = 30.0
COPIES = 5
AS_OF = "2025-10-01"
SYSTEMS = ("EDI gateway", "orders@ mailbox", "Carrier")  # not people: shared by the copies


def scaled_study(root: Path, copies: int = COPIES) -> Path:
    """The sample operation `copies` times over in root; returns root/scenarios."""
    log = pd.read_csv(REPO / "event_logs" / "sample_orders.csv", dtype=str, keep_default_na=False)
    crm = pd.read_csv(REPO / "event_logs" / "sample_crm_tiers.csv", dtype=str)
    logs, lists = [], []
    for k in range(copies):
        part = log.copy()
        part["order_ref"] = part["order_ref"] + f"-{k}"
        part["cust_no"] = part["cust_no"].where(part["cust_no"] == "", part["cust_no"] + f"-{k}")
        person = ~part["performed_by"].str.startswith(SYSTEMS)
        part.loc[person, "performed_by"] = part.loc[person, "performed_by"] + f" ({k})"
        logs.append(part)
        listed = crm.copy()
        listed[listed.columns[0]] = listed[listed.columns[0]] + f"-{k}"
        lists.append(listed)
    (root / "event_logs").mkdir(parents=True)
    pd.concat(logs).to_csv(root / "event_logs" / "sample_orders.csv", index=False)
    pd.concat(lists).to_csv(root / "event_logs" / "sample_crm_tiers.csv", index=False)
    shutil.copytree(REPO / "scenarios", root / "scenarios")
    return root / "scenarios"


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--replications", type=int, default=20)
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()
    load = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as tmp:
        scenarios = scaled_study(Path(tmp))
        inputs = resolve_inputs(scenarios)
        settings = ForecastSettings(as_of=AS_OF, replications=args.replications, jobs=args.jobs)
        runs, parts, open_orders = [], [], 0
        for _ in range(args.repeat):
            began = time.perf_counter()
            result = run_forecast(inputs, None, settings)
            runs.append(time.perf_counter() - began)
            parts.append({k: round(v, 2) for k, v in result.seconds.items()})
            open_orders = len(result.orders)
    median = statistics.median(runs)
    document = {
        "what": f"forecast of 28 days from the sample x{COPIES} at {AS_OF}",
        "open_orders": open_orders,
        "replications": args.replications,
        "jobs": args.jobs,
        "seconds": [round(s, 2) for s in runs],
        "min": round(min(runs), 2),
        "median": round(median, 2),
        "max": round(max(runs), 2),
        "parts": parts,
        "target_seconds": TARGET_SECONDS,
        "load_average_before": round(load, 2),
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(document, indent=2))
    return 0 if median <= TARGET_SECONDS else 1


if __name__ == "__main__":
    sys.exit(main())
