"""Benchmark: reading a large CSV log with l2csim against plain pandas.

Requirement: reading a 1.5M-event CSV costs at most 2x a plain `pandas.read_csv` +
`to_datetime` of the same file, and peak memory is at most 3x the final DataFrame.

The CSV is derived from BPI Challenge 2012 (/work/shared/data/bpic2012.xes.gz) by repeating
its cases with new case ids and times shifted by whole multiples of the log's span; it is
cached under tests/benchmarks/.data/ (git-ignored). Each measurement runs in a fresh
subprocess so that its peak RSS is its own.

    python tests/benchmarks/bench_read_csv.py [--events 1500000] [--repeat 3]

Not a pytest test (no test_ functions): run it by hand; results go to
tests/benchmarks/results/read_csv.json. Exits 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import re
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
SRC = REPO / "src"
DATA = HERE / ".data"
RESULTS = HERE / "results" / "read_csv.json"
# The large public logs are not shipped: L2CSIM_SHARED_DATA names their folder.
SOURCE_LOG = Path(os.environ.get("L2CSIM_SHARED_DATA", "../shared/data")) / "bpic2012.xes.gz"
GENERATOR_VERSION = 1
TIME_RATIO_TARGET = 2.0
MEMORY_RATIO_TARGET = 3.0
COLUMNS = dict(
    case="order_ref",
    activity="event",
    timestamp="event_time",
    resource="performed_by",
    customer="cust_no",
)

# Benchmark this checkout's l2csim, not whichever copy is installed.
sys.path.insert(0, str(SRC))


# --- the derived CSV -----------------------------------------------------------------------


def build_csv(events: int) -> Path:
    """Write (once) a CSV of `events` events made by repeating BPIC 2012's cases."""
    path = DATA / f"bpic2012_x_{events}_v{GENERATOR_VERSION}.csv"
    if path.exists():
        return path
    import pandas as pd

    from l2csim.log import ACTIVITY, CASE, RESOURCE, TIMESTAMP, LogSource, read_log

    print(f"building {path.name} from {SOURCE_LOG.name} (once) ...", flush=True)
    base = read_log(LogSource(path=SOURCE_LOG)).events
    amount = "case:AMOUNT_REQ"
    base = base[[CASE, ACTIVITY, TIMESTAMP, RESOURCE, amount]].reset_index(drop=True)
    span = base[TIMESTAMP].max() - base[TIMESTAMP].min()
    shift = pd.Timedelta(days=span.days + 1)
    case_codes = pd.factorize(base[CASE])[0]
    repeats = -(-events // len(base))
    parts = []
    for k in range(repeats):
        local = (base[TIMESTAMP] + k * shift).dt.tz_convert("Europe/Amsterdam")
        parts.append(
            pd.DataFrame(
                {
                    "order_ref": f"SO{k:02d}-" + base[CASE].astype(str),
                    "event": base[ACTIVITY],
                    # ISO 8601 with the local UTC offset, +01:00 or +02:00
                    "event_time": local.astype(str),
                    "performed_by": base[RESOURCE],
                    # customer numbers with leading zeros, ~8 orders per customer
                    "cust_no": pd.Series((case_codes + k * 7919) % 5000).map("{:06d}".format),
                    "amount": pd.to_numeric(base[amount], errors="coerce"),
                }
            )
        )
    frame = pd.concat(parts, ignore_index=True).iloc[:events]
    DATA.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".csv.part")
    frame.to_csv(partial, index=False)
    partial.replace(path)
    print(
        f"  {len(base):,} events per copy of BPIC 2012 (start/complete paired by l2csim), "
        f"{repeats} copies shifted by {shift.days} days each, cut to {events:,} events",
        flush=True,
    )
    return path


# --- one measurement (runs in a fresh subprocess) ------------------------------------------


def _rss() -> int:
    import psutil

    return psutil.Process().memory_info().rss


def _reset_peak() -> None:
    """Restart the kernel's peak-RSS mark (Linux >= 4.0), so imports do not count."""
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")


def _peak_rss() -> int:
    """Peak RSS of this process's own memory.

    VmHWM, not getrusage's ru_maxrss: on Linux ru_maxrss also keeps the high-water mark of
    the memory replaced at exec, which after subprocess's vfork is the parent's.
    """
    try:
        status = Path("/proc/self/status").read_text()
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # KiB on Linux
    kib = re.search(r"^VmHWM:\s+(\d+) kB", status, re.MULTILINE)
    assert kib is not None
    return int(kib.group(1)) * 1024


def worker(kind: str, csv_path: Path) -> dict[str, object]:
    """Read the CSV once the `kind` way and return time and memory figures."""
    # Same imports for both kinds, so the baselines are comparable.
    import pandas as pd
    import psutil  # noqa: F401
    import pyarrow  # noqa: F401

    import l2csim.log
    from l2csim.log import LogSource, read_log
    from l2csim.study import ColumnMap

    _reset_peak()
    baseline = _rss()
    started, cpu_started = time.perf_counter(), time.process_time()
    if kind == "reference":
        frame = pd.read_csv(csv_path)
        frame["event_time"] = pd.to_datetime(frame["event_time"], utc=True, format="ISO8601")
    else:
        frame = read_log(LogSource(path=csv_path, columns=ColumnMap(**COLUMNS))).events
    seconds = time.perf_counter() - started
    cpu_seconds = time.process_time() - cpu_started
    peak = _peak_rss()
    retained = _rss() - baseline
    return {
        "kind": kind,
        "seconds": seconds,
        "cpu_seconds": cpu_seconds,
        "baseline_rss": baseline,
        "peak_above_baseline": peak - baseline,
        # RSS still held after reading: below final_bytes when the parser shares repeated
        # strings, which memory_usage(deep=True) counts once per cell
        "retained_above_baseline": retained,
        "final_bytes": int(frame.memory_usage(deep=True).sum()),
        "rows": len(frame),
        "l2csim_module": l2csim.log.__file__,
    }


def measure(kind: str, csv_path: Path) -> dict[str, object]:
    env = dict(
        os.environ,
        PYTHONPATH=os.pathsep.join(filter(None, [str(SRC), os.environ.get("PYTHONPATH")])),
    )
    done = subprocess.run(
        [sys.executable, __file__, "--worker", kind, "--csv", str(csv_path)],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    if done.returncode != 0:
        sys.exit(f"{kind} run failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


# --- report --------------------------------------------------------------------------------


def summary(values: list[float]) -> dict[str, float]:
    return {"min": min(values), "median": statistics.median(values), "max": max(values)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_500_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--worker", choices=["reference", "l2csim"], help=argparse.SUPPRESS)
    parser.add_argument("--csv", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(args.worker, args.csv)))
        return 0

    csv_path = build_csv(args.events)
    size = csv_path.stat().st_size
    print(
        f"CSV: {csv_path.name}, {args.events:,} events, {size / 1e6:.0f} MB — synthetic: "
        "BPIC 2012 cases repeated with new case ids and shifted times"
    )
    with csv_path.open("rb") as handle:  # warm the page cache so both kinds read from memory
        while handle.read(1 << 24):
            pass
    runs: dict[str, list[dict[str, object]]] = {"reference": [], "l2csim": []}
    for i in range(args.repeat):
        for kind in ("reference", "l2csim"):
            result = measure(kind, csv_path)
            runs[kind].append(result)
            print(
                f"  run {i + 1}/{args.repeat} {kind:9s} {result['seconds']:6.2f} s "
                f"(cpu {result['cpu_seconds']:6.2f} s), "
                f"peak +{result['peak_above_baseline'] / 1e6:6.0f} MB, "
                f"retained +{result['retained_above_baseline'] / 1e6:4.0f} MB, "
                f"final {result['final_bytes'] / 1e6:5.0f} MB",
                flush=True,
            )
    stats = {
        kind: {
            "seconds": summary([r["seconds"] for r in rs]),
            "cpu_seconds": summary([r["cpu_seconds"] for r in rs]),
            "peak_above_baseline": summary([r["peak_above_baseline"] for r in rs]),
            "final_bytes": rs[0]["final_bytes"],
            "rows": rs[0]["rows"],
        }
        for kind, rs in runs.items()
    }
    ref, l2c = stats["reference"], stats["l2csim"]
    time_ratio = l2c["seconds"]["median"] / ref["seconds"]["median"]
    # CPU time is less disturbed than wall time on a shared machine; reported, not judged.
    cpu_ratio = l2c["cpu_seconds"]["median"] / ref["cpu_seconds"]["median"]
    memory_ratios = [r["peak_above_baseline"] / r["final_bytes"] for r in runs["l2csim"]]
    memory_ratio = statistics.median(memory_ratios)
    csv_factor = max(r["peak_above_baseline"] for r in runs["l2csim"]) / size

    print()
    print(
        f"{'':10s} {'wall s min/med/max':>20s} {'cpu s min/med/max':>20s} "
        f"{'peak MB min/med/max':>20s} {'final MB':>9s}"
    )
    for kind, s in stats.items():
        t, c, p = s["seconds"], s["cpu_seconds"], s["peak_above_baseline"]
        print(
            f"{kind:10s} {t['min']:6.2f} {t['median']:6.2f} {t['max']:6.2f}  "
            f"{c['min']:6.2f} {c['median']:6.2f} {c['max']:6.2f}  "
            f"{p['min'] / 1e6:6.0f} {p['median'] / 1e6:6.0f} {p['max'] / 1e6:6.0f} "
            f"{s['final_bytes'] / 1e6:9.0f}"
        )
    time_ok = time_ratio <= TIME_RATIO_TARGET
    memory_ok = memory_ratio <= MEMORY_RATIO_TARGET
    print()
    print(
        f"time   l2csim/reference (medians) = {time_ratio:.2f}  "
        f"(target <= {TIME_RATIO_TARGET}) {'ok' if time_ok else 'MISSED'}"
    )
    print(f"cpu    l2csim/reference (medians) = {cpu_ratio:.2f}  (for information)")
    print(
        f"memory l2csim peak/final (median) = {memory_ratio:.2f}  "
        f"(target <= {MEMORY_RATIO_TARGET}) {'ok' if memory_ok else 'MISSED'}"
    )
    print(f"memory l2csim max peak per CSV byte = {csv_factor:.2f} (cf. log.CSV_MEMORY_FACTOR)")
    print(f"l2csim measured: {runs['l2csim'][0]['l2csim_module']}")

    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(
        json.dumps(
            {
                "benchmark": "read_csv",
                "data": (
                    f"{csv_path.name}: {args.events:,} events, {size} bytes; synthetic, BPIC 2012 "
                    "cases repeated with new case ids and shifted times"
                ),
                "command": f"python tests/benchmarks/bench_read_csv.py --events {args.events} "
                f"--repeat {args.repeat}",
                "machine": {
                    "python": platform.python_version(),
                    "platform": platform.platform(),
                    "cpus": os.cpu_count(),
                },
                "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                "stats": stats,
                "time_ratio_median": time_ratio,
                "cpu_ratio_median": cpu_ratio,
                "peak_over_final_median": memory_ratio,
                "peak_per_csv_byte_max": csv_factor,
                "targets": {
                    "time_ratio": TIME_RATIO_TARGET,
                    "peak_over_final": MEMORY_RATIO_TARGET,
                },
                "passed": time_ok and memory_ok,
                "runs": runs,
            },
            indent=2,
        )
        + "\n"
    )
    print(f"results: {RESULTS.relative_to(REPO)}")
    return 0 if time_ok and memory_ok else 1


if __name__ == "__main__":
    sys.exit(main())
