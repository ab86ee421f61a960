"""Benchmark: every real log l2csim can find, through check, mine, fit, validate and simulate.

For each log in the shared data folder (`L2CSIM_SHARED_DATA`, default ../shared/data) and
the public logs the project ships in tests/data (those not also in the shared folder), a
study folder is written in a scratch directory (the log's column mapping, nothing else: no
roles, no SLA, no documented process, as a consultant's first look would have) and the CLI
runs each stage in its own process:

    l2csim check / mine / fit / validate STUDY, then l2csim simulate baseline.yaml
    (the fitted model, as-is policy, 365 days, 2 replications)

Per stage: wall seconds, peak resident memory of the process (its rusage), exit code, and
whether stderr holds a traceback. Per log: the validation verdict with each failed measure's
cause, the log's orders a year (cases over the intake span) and the simulated orders a year,
and the NaNs found in model.json (there must be none). Results go to
tests/benchmarks/results/real_logs.json and a Markdown table on stdout (--table prints the
table from the results file without running anything).

    PYTHONPATH=src python tests/benchmarks/bench_real_logs.py [--only NAME ...] [--table]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SHARED = Path(os.environ.get("L2CSIM_SHARED_DATA", str(REPO.parent / "shared" / "data")))
RESULTS = REPO / "tests" / "benchmarks" / "results" / "real_logs.json"
STAGES = ("check", "mine", "fit", "validate", "simulate")
SIMULATED_DAYS = 365


@dataclass(frozen=True)
class RealLog:
    """A log and the study file's `log:` section that reads it (columns, object type)."""

    name: str
    file: str
    log: dict = field(default_factory=dict)
    note: str = ""


LOGS = (
    RealLog("running-example", "running-example.xes"),
    RealLog("receipt", "receipt.csv"),
    RealLog("interval_event_log", "interval_event_log.csv"),
    RealLog(
        "purchasing_example",
        "purchasing_example.csv.gz",
        {
            "columns": {
                "case": "case_id",
                "activity": "activity",
                "timestamp": "end_time",
                "start_timestamp": "start_time",
                "resource": "resource",
            }
        },
    ),
    RealLog("helpdesk", "helpdesk.xes.gz", {"columns": {"customer": "customer"}}),
    RealLog("bpic2012", "bpic2012.xes.gz"),
    RealLog("road_traffic_fines", "road_traffic_fines.xes.gz"),
    RealLog("ocel_order_simulated", "ocel_order_simulated.csv"),
    RealLog("order-management.ocel2", "order-management.ocel2.xml.gz"),
    RealLog(
        "ocel20_example.jsonocel", "ocel20_example.jsonocel", {"object_type": "Purchase Order"}
    ),
    RealLog("ocel20_example.xmlocel", "ocel20_example.xmlocel", {"object_type": "Purchase Order"}),
    RealLog("ocel20_example.sqlite", "ocel20_example.sqlite", {"object_type": "Purchase Order"}),
)


def find(log: RealLog) -> Path | None:
    """The log in the shared folder, else the project's copy in tests/data (maybe .gz)."""
    for folder in (SHARED, REPO / "tests" / "data"):
        for name in (log.file, f"{log.file}.gz"):
            if (folder / name).is_file():
                return folder / name
    return None


def write_study(folder: Path, path: Path, log: RealLog) -> Path:
    import yaml

    scenarios = folder / "scenarios"
    scenarios.mkdir(parents=True)
    study = {"title": f"Real log: {log.name}", "log": {"path": str(path), **log.log}}
    (scenarios / "study.yaml").write_text(yaml.safe_dump(study, sort_keys=False))
    (scenarios / "baseline.yaml").write_text(
        "description: as-is\nmodel: ../outputs/fit/model.json\npolicy: {discipline: squeaky_wheel}\n"
    )
    return scenarios


def run_stage(args: list[str], cwd: Path, timeout: float) -> dict:
    """One CLI call in its own process: seconds, peak RSS (MB), exit code, traceback?"""
    env = dict(os.environ, PYTHONPATH=str(REPO / "src"), L2CSIM_DEBUG="")
    started = time.perf_counter()
    with tempfile.TemporaryFile() as err, tempfile.TemporaryFile() as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "l2csim", *args], cwd=cwd, env=env, stdout=out, stderr=err
        )
        try:
            _, status, usage = _wait(process, timeout)
        except TimeoutError:
            process.kill()
            process.wait()
            return {"seconds": timeout, "peak_mb": None, "exit": None, "traceback": False,
                    "error": f"timed out after {timeout:.0f} s"}  # fmt: skip
        seconds = time.perf_counter() - started
        err.seek(0)
        stderr = err.read().decode("utf-8", "replace")
    code = os.waitstatus_to_exitcode(status)
    lines = [line for line in stderr.strip().splitlines() if line.strip()]
    return {
        "seconds": round(seconds, 1),
        "peak_mb": round(usage.ru_maxrss / 1024, 0),
        "exit": code,
        "traceback": "Traceback (most recent call last)" in stderr,
        "error": lines[-1][:300] if code != 0 and lines else None,
    }


def _wait(process: subprocess.Popen, timeout: float):
    deadline = time.monotonic() + timeout
    while True:
        pid, status, usage = os.wait4(process.pid, os.WNOHANG)
        if pid:
            process.returncode = os.waitstatus_to_exitcode(status)
            return pid, status, usage
        if time.monotonic() > deadline:
            raise TimeoutError
        time.sleep(0.05)


def nans(value, path: str = "") -> list[str]:
    """Paths of NaN or infinite numbers in a JSON document."""
    if isinstance(value, float) and not math.isfinite(value):
        return [path]
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in nans(v, f"{path}.{k}")]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in nans(v, f"{path}[{i}]")]
    return []


def log_orders_a_year(study: Path) -> float | None:
    """The log's cases over the span of their first events, as a yearly rate (all of the
    log, outlier dates included: what a reader of the raw file would count). Counted in a
    process of its own: a child started after this process had held a large log would
    report that log's memory as its own peak (Linux carries the peak across fork and exec)."""
    code = (
        "import sys\n"
        "from l2csim.errors import L2csimError\n"
        "from l2csim.inputs import read_inputs_log, resolve_inputs\n"
        "from l2csim.log import CASE, TIMESTAMP\n"
        "try:\n"
        "    events = read_inputs_log(resolve_inputs(sys.argv[1]), strict=False).events\n"
        "except L2csimError:\n"
        "    sys.exit(0)\n"
        "first = events.groupby(CASE)[TIMESTAMP].min()\n"
        "days = max((first.max() - first.min()).total_seconds() / 86400, 1.0)\n"
        "print(round(len(first) / days * 365, 0))\n"
    )
    env = dict(os.environ, PYTHONPATH=str(REPO / "src"))
    done = subprocess.run(
        [sys.executable, "-c", code, str(study)], env=env, capture_output=True, text=True
    )
    text = done.stdout.strip()
    return float(text) if done.returncode == 0 and text else None


def summarise(folder: Path, result: dict) -> None:
    outputs = folder / "outputs"
    model_file = outputs / "fit" / "model.json"
    if model_file.is_file():
        text = model_file.read_text()
        model = json.loads(text.replace("NaN", "null").replace("Infinity", "null"))
        bad = "NaN" in text or "Infinity" in text
        result["model_nans"] = bad
        result["model_notes"] = model.get("notes", [])
        result["pools"] = [
            {"name": p["name"], "size": p["size"], "source": p["provenance"]["source"],
             "external": p.get("external", False)}
            for p in model.get("pools", [])
        ]  # fmt: skip
        result["model_log_orders_a_year"] = round(
            sum(a["orders_per_week"] for a in model.get("arrivals", [])) * 52.18, 0
        )
        result["retention_enabled"] = model.get("retention", {}).get("enabled")
        result["chase_source"] = model.get("chase", {}).get("provenance", {}).get("source")
    validation = outputs / "validate" / "validation.json"
    if validation.is_file():
        document = json.loads(validation.read_text())
        result["validation"] = {
            "passed": document.get("passed"),
            "failed": {
                r["measure"]: r.get("cause") for r in document["measures"] if r["status"] == "fail"
            },
            "period": [document.get("period_start"), document.get("period_end")],
            "log_orders_per_week": (document.get("log_kpis") or {}).get("orders_per_week"),
            "model_orders_per_week": (
                (document.get("model_kpis") or {}).get("orders_per_week") or {}
            ).get("mean"),
        }
    kpis = outputs / "simulate" / "baseline" / "kpis.csv"
    if kpis.is_file():
        import pandas as pd

        table = pd.read_csv(kpis)
        overall = table[(table["kpi"] == "orders_arrived") & table["tier"].isna()]
        if "segment" in table:
            overall = overall[overall["segment"].isna()]
        if "pool" in table:
            overall = overall[overall["pool"].isna()]
        for column in ("week", "day"):  # the overall rows have no week or day
            if column in table:
                overall = overall[overall[column].isna()]
        result["simulated_orders_a_year"] = (
            round(float(overall["value"].mean()) * 365 / SIMULATED_DAYS, 0)
            if len(overall)
            else None
        )


def bench(log: RealLog, timeout: float) -> dict:
    path = find(log)
    if path is None:
        return {"log": log.name, "file": log.file, "skipped": "not found"}
    result: dict = {"log": log.name, "file": str(path.relative_to(path.parents[1])),
                    "stages": {}}  # fmt: skip
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch) / log.name
        scenarios = write_study(folder, path, log)
        calls = {
            "check": ["check", str(scenarios)],
            "mine": ["mine", str(scenarios)],
            "fit": ["fit", str(scenarios)],
            "validate": ["validate", str(scenarios), "--jobs", "1"],
            "simulate": ["simulate", str(scenarios / "baseline.yaml"), "--replications", "2",
                         "--horizon", f"{SIMULATED_DAYS}d", "--warmup", "0d", "--jobs", "1"],
        }  # fmt: skip
        for stage in STAGES:
            outcome = run_stage(calls[stage], folder, timeout)
            result["stages"][stage] = outcome
            print(f"  {log.name:28s} {stage:9s} {outcome['seconds']:7.1f} s "
                  f"{outcome['peak_mb'] or 0:6.0f} MB exit {outcome['exit']}"
                  + (f"  {outcome['error']}" if outcome["error"] else ""), flush=True)  # fmt: skip
            if stage == "fit" and outcome["exit"] != 0:
                break
        summarise(folder, result)
        result["log_orders_a_year"] = log_orders_a_year(scenarios / "study.yaml")
        info = folder / "outputs" / "check" / "quality.json"
        if info.is_file():
            quality = json.loads(info.read_text())
            result["events"] = quality.get("events")
            result["cases"] = quality.get("cases")
            result["activities"] = quality.get("activities")
            result["check_findings"] = sorted({f["kind"] for f in quality.get("findings", [])})
    return result


def table(results: list[dict]) -> str:
    head = ("| log | events | cases | act. | check s / MB | mine s / MB | fit s / MB | "
            "validate s / MB | validation (cause of each failed measure) | orders a year: log / "
            "simulated | NaN in model |")  # fmt: skip
    lines = [head, "|" + "---|" * 11]
    for r in results:
        if r.get("skipped"):
            continue
        cells = [r["log"], f"{r.get('events', 0):,}", f"{r.get('cases', 0):,}",
                 str(r.get("activities", ""))]  # fmt: skip
        for stage in ("check", "mine", "fit", "validate"):
            s = r["stages"].get(stage)
            if s is None:
                cells.append("–")
            elif s["exit"] != 0:
                cells.append(f"exit {s['exit']}")
            else:
                cells.append(f"{s['seconds']:.1f} / {s['peak_mb']:.0f}")
        v = r.get("validation")
        if v is None:
            cells.append("–")
        elif v["passed"]:
            cells.append("passed")
        else:
            causes = "; ".join(f"{k}: {c}" if c else k for k, c in v["failed"].items())
            cells.append("failed: " + causes.replace("|", "/"))
        log_rate = r.get("log_orders_a_year")
        sim = r.get("simulated_orders_a_year")
        cells.append(f"{_n(log_rate)} / {_n(sim)}")
        cells.append("yes" if r.get("model_nans") else "no")
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _n(value) -> str:
    return "–" if value is None else f"{value:,.0f}"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--only", nargs="*", default=None)
    parser.add_argument("--table", action="store_true")
    parser.add_argument("--timeout", type=float, default=1800.0)
    args = parser.parse_args()
    if args.table:
        print(table(json.loads(RESULTS.read_text())["logs"]))
        return
    chosen = [log for log in LOGS if args.only is None or log.name in args.only]
    previous = json.loads(RESULTS.read_text())["logs"] if RESULTS.is_file() else []
    results = {r["log"]: r for r in previous}
    started = time.time()
    load = os.getloadavg()
    for log in chosen:
        results[log.name] = bench(log, args.timeout)
    ordered = [results[log.name] for log in LOGS if log.name in results]
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps({
        "measured": time.strftime("%Y-%m-%d %H:%M"),
        "load_average_before": [round(x, 2) for x in load],
        "seconds": round(time.time() - started, 1),
        "logs": ordered,
    }, indent=2) + "\n")  # fmt: skip
    print(table(ordered))


if __name__ == "__main__":
    main()
