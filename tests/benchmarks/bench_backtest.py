"""Benchmark: how far to trust `l2csim forecast`, by its own backtest on logs of known operations.

For the bundled sample and each test-bed operation (`make_testbed.py` writes them), the log
is cut at `--cuts` past dates, the forecast from each cut's open orders is scored against
what the log shows happened over the next 28 days, beside a warm-up simulation's forecast
for the same dates (`l2csim forecast --backtest K`, run through the library). Reported per
log: the share of cuts whose real backlog and real deliveries of the open orders on day 7
and day 28 fall inside the 5-95 % band, the error of the mean against the warm-up's
(`error_reduction`: 0.2 is 20 % lower), and the AUC of `p_late` over the open orders.

    python tests/benchmarks/bench_backtest.py [--cuts 6] [--replications 10] [--jobs 2]
        [--only near_capacity,shared_teams]
    python tests/benchmarks/bench_backtest.py --print     # the table from the results

Not a pytest test (several minutes); results go to tests/benchmarks/results/backtest.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
sys.path.insert(0, str(REPO / "src"))

from l2csim.forecast import ForecastSettings, backtest  # noqa: E402
from l2csim.inputs import resolve_inputs  # noqa: E402

RESULTS = HERE / "results" / "backtest.json"
TESTBED = HERE / ".data" / "testbed"
# What issue "forecast from today" asks of the backtest on the test bed.
TARGET_COVERAGE = 0.8
TARGET_AUC = 0.75
TARGET_ERROR_REDUCTION = 0.2


def logs(only: set[str] | None) -> dict[str, Path]:
    """Log name -> its study file: the sample first, then the test bed's operations."""
    found = {"sample": REPO / "scenarios" / "study.yaml"}
    if TESTBED.is_dir():
        for folder in sorted(p for p in TESTBED.iterdir() if (p / "scenarios").is_dir()):
            found[folder.name] = folder / "scenarios" / "study.yaml"
    if only:
        missing = only - set(found)
        if missing:
            raise SystemExit(
                f"bench_backtest: no log named {', '.join(sorted(missing))}; "
                f"run tests/benchmarks/make_testbed.py first (have: {', '.join(found)})"
            )
        found = {k: v for k, v in found.items() if k in only}
    return found


def score(study: Path, settings: ForecastSettings, cuts: int) -> dict:
    """The backtest's summary of one log (its backtest.json) and the seconds it took."""
    began = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        backtest(resolve_inputs(study), Path(tmp), settings, cuts)
        summary = json.loads((Path(tmp) / "backtest.json").read_text(encoding="utf-8"))
    summary["seconds"] = round(time.perf_counter() - began, 1)
    return summary


def table(results: dict) -> str:
    """Markdown: per log, coverage and error against the warm-up per KPI and day, and AUC."""
    head = (
        "| log | backlog day 7 | backlog day 28 | open orders delivered day 7 | day 28 | AUC |\n"
        "| --- | --- | --- | --- | --- | ---: |"
    )
    lines = [head]
    for name, summary in results["logs"].items():
        cells = []
        for kpi, day in (("backlog", 7), ("backlog", 28), ("open_orders_delivered", 7),
                         ("open_orders_delivered", 28)):  # fmt: skip
            row = next(
                (m for m in summary["measures"] if m["kpi"] == kpi and m["day"] == day), None
            )
            if row is None:
                cells.append("n/a")
                continue
            change = -row["error_reduction"] * 100 if row["error_reduction"] is not None else None
            cells.append(
                f"{'n/a' if change is None else f'{change:+.0f} %'}, "
                f"{row['forecast_coverage']:.0%} in band"
            )
        auc = summary.get("p_late_auc")
        lines.append(f"| {name} | {' | '.join(cells)} | {'n/a' if auc is None else f'{auc:.2f}'} |")
    lines.append("")
    lines.append(
        "Each cell: the forecast's error of the mean against the warm-up simulation's "
        "(negative is lower), and the share of cuts whose real value lay in the 5-95 % band."
    )
    return "\n".join(lines)


def met(results: dict) -> dict[str, int]:
    """How many (log, KPI, day) rows meet each target of the issue."""
    rows = [m for s in results["logs"].values() for m in s["measures"]]
    aucs = [s["p_late_auc"] for s in results["logs"].values() if s.get("p_late_auc") is not None]
    return {
        "rows": len(rows),
        "coverage_met": sum(m["forecast_coverage"] >= TARGET_COVERAGE for m in rows),
        "error_reduction_met": sum(
            m["error_reduction"] is not None and m["error_reduction"] >= TARGET_ERROR_REDUCTION
            for m in rows
        ),
        "auc_logs": len(aucs),
        "auc_met": sum(a >= TARGET_AUC for a in aucs),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cuts", type=int, default=6)
    parser.add_argument("--replications", type=int, default=10)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--only", default="", help="comma-separated log names")
    parser.add_argument("--print", action="store_true", help="print the table from the results")
    args = parser.parse_args()
    if args.print:
        results = json.loads(RESULTS.read_text(encoding="utf-8"))
        print(table(results))
        print(met(results))
        return 0
    only = {s.strip() for s in args.only.split(",") if s.strip()} or None
    settings = ForecastSettings(replications=args.replications, jobs=args.jobs)
    results = {
        "what": f"l2csim forecast --backtest {args.cuts} --replications {args.replications} "
        "--horizon 28d, per log",
        "cuts": args.cuts,
        "replications": args.replications,
        "jobs": args.jobs,
        "load_average_before": round(os.getloadavg()[0], 2),
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "logs": {},
    }
    for name, study in logs(only).items():
        results["logs"][name] = score(study, settings, args.cuts)
        print(f"{name}: {results['logs'][name]['seconds']} s", flush=True)
    results["targets_met"] = met(results)
    RESULTS.write_text(json.dumps(results, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    print(table(results))
    print(results["targets_met"])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
