"""Benchmark: `l2csim mine` end to end against the plain pm4py sequence, paired in one run.

The log (default: BPI Challenge 2012's completion events repeated 3 times with new case ids
and shifted times, ~494k events, 24 activities; `--log` takes any log file instead) is run
`--repeats` times through two processes started one after the other, in alternating order:

- **pm4py**: read (pm4py.read_xes, its Rust reader when installed; a Parquet file through
  pandas and pm4py.format_dataframe), discover_dfg, discover_performance_dfg, get_variants,
  discover_petri_net_inductive (noise 0.2), fitness_token_based_replay of the log on that
  net: the sequence a pm4py user would write for what `mine` shows;
- **l2csim**: `python -m l2csim mine STUDY --out DIR`, the study naming the log and, as its
  documented process, the inductive miner's model of the original log (so `mine` checks
  conformance as pm4py's sequence does) — everything mine writes: maps of every segment,
  level and view (SVG and PNG), variants, the BPMN model, deviations, the backlog, maps.html.

Each run's wall time, its peak resident memory (rusage: the largest single process), and
the peak proportional set size of its whole process tree (mine's workers and graphviz
included, sampled every 0.2 s) are recorded; the ratios l2csim / pm4py are taken per pair
and reported as min / median / max with the load average. `--jobs` is passed to mine.
Results: tests/benchmarks/results/mine.json (keyed by log).

    PYTHONPATH=src python tests/benchmarks/bench_mine.py [--log FILE] [--repeats 3]
        [--copies 3] [--format xes|parquet] [--no-reference] [--jobs 0] [--wide]

`--copies` sets how many times BPIC 2012 is repeated; `--no-reference` runs `mine` without
a documented process (no conformance check); `--wide` uses the 338k-event log with 40+
activities of issue 18 instead (see `bpic_wide`), with its own inductive model as the
documented process.

The ×3 log and the reference model are built once into $L2CSIM_BENCH_CACHE (default: the
system's temporary folder, l2csim-bench/).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SHARED = Path(os.environ.get("L2CSIM_SHARED_DATA", str(REPO.parent / "shared" / "data")))
CACHE = Path(os.environ.get("L2CSIM_BENCH_CACHE", Path(tempfile.gettempdir()) / "l2csim-bench"))
RESULTS = REPO / "tests" / "benchmarks" / "results" / "mine.json"
NOISE = 0.2
SAMPLE = 0.2  # seconds between samples of a run's memory


def quiet_pm4py():
    sys._pm4py_welcome_shown = True  # type: ignore[attr-defined]
    os.environ.setdefault("PM4PY_SHOW_PROGRESS_BAR", "False")
    warnings.simplefilter("ignore")
    import pm4py

    return pm4py


def bpic_times(copies: int, fmt: str) -> Path:
    """BPIC 2012's completion events, `copies` times (case ids suffixed, each copy shifted by
    the log's span), written once as XES (gzip) or Parquet into the cache."""
    CACHE.mkdir(parents=True, exist_ok=True)
    target = CACHE / (
        f"bpic2012_x{copies}.xes.gz" if fmt == "xes" else f"bpic2012_x{copies}.parquet"
    )
    if target.is_file():
        return target
    import pandas as pd

    pm = quiet_pm4py()
    frame = pm.read_xes(str(SHARED / "bpic2012.xes.gz"))
    frame = frame[frame["lifecycle:transition"].astype(str).str.upper() == "COMPLETE"]
    frame = frame[["case:concept:name", "concept:name", "time:timestamp", "org:resource",
                   "lifecycle:transition", "case:AMOUNT_REQ"]]  # fmt: skip
    span = frame["time:timestamp"].max() - frame["time:timestamp"].min() + pd.Timedelta(days=1)
    parts = []
    for i in range(copies):
        part = frame.copy()
        part["case:concept:name"] = part["case:concept:name"].astype(str) + f"-{i}"
        part["time:timestamp"] = part["time:timestamp"] + i * span
        parts.append(part)
    log = pd.concat(parts, ignore_index=True)
    with tempfile.TemporaryDirectory(dir=CACHE) as scratch:
        partial = Path(scratch) / target.name
        if fmt == "xes":
            pm.write_xes(log, str(partial))
        else:
            log.to_parquet(partial, index=False)
        partial.rename(target)
    return target


WIDE_EVENTS = 338_000
WIDE_TEAMS = 5


def bpic_wide() -> Path:
    """A 338k-event log with 40+ activities, the size of the BPI Challenge 2019 extract of
    issue 18 (not available here): BPIC 2012's completion events, copies shifted in time with
    new case ids (whole cases, in case order, until 338,000 events), each work item (W_*)
    relabelled by its resource's team (resource id modulo 5: "W_Nabellen offertes · team 2"),
    so 7 work items become up to 35 activities and the variants multiply. Built once, with
    its inductive model (noise 0.2) as the documented process, into the cache."""
    CACHE.mkdir(parents=True, exist_ok=True)
    target = CACHE / "bpic2012_wide338k.xes.gz"
    model = CACHE / "bpic2012_wide338k_inductive.bpmn"
    if target.is_file() and model.is_file():
        return target
    import pandas as pd

    pm = quiet_pm4py()
    frame = pm.read_xes(str(SHARED / "bpic2012.xes.gz"))
    frame = frame[frame["lifecycle:transition"].astype(str).str.upper() == "COMPLETE"]
    frame = frame[["case:concept:name", "concept:name", "time:timestamp", "org:resource",
                   "lifecycle:transition", "case:AMOUNT_REQ"]]  # fmt: skip
    span = frame["time:timestamp"].max() - frame["time:timestamp"].min() + pd.Timedelta(days=1)
    work = frame["concept:name"].str.startswith("W_")
    team = pd.to_numeric(frame["org:resource"], errors="coerce").fillna(0).astype(int) % WIDE_TEAMS
    frame.loc[work, "concept:name"] = (
        frame.loc[work, "concept:name"] + " · team " + team[work].astype(str)
    )
    frame = frame.sort_values(["case:concept:name", "time:timestamp"], kind="mergesort")
    parts, total, i = [], 0, 0
    while total < WIDE_EVENTS:
        part = frame.copy()
        part["case:concept:name"] = part["case:concept:name"].astype(str) + f"-{i}"
        part["time:timestamp"] = part["time:timestamp"] + i * span
        sizes = part.groupby("case:concept:name", sort=False).size()
        keep = sizes.index[(sizes.cumsum() - sizes) < WIDE_EVENTS - total]
        part = part[part["case:concept:name"].isin(keep)]
        parts.append(part)
        total += len(part)
        i += 1
    log = pd.concat(parts, ignore_index=True)
    with tempfile.TemporaryDirectory(dir=CACHE) as scratch:
        partial = Path(scratch) / target.name
        pm.write_xes(log, str(partial))
        bpmn = pm.discover_bpmn_inductive(log, noise_threshold=NOISE)
        pm.write_bpmn(bpmn, str(Path(scratch) / model.name))
        (Path(scratch) / model.name).rename(model)
        partial.rename(target)
    return target


def reference_model() -> Path:
    """The inductive miner's BPMN of BPIC 2012's completion events: mine's documented process."""
    target = CACHE / "bpic2012_inductive.bpmn"
    if target.is_file():
        return target
    pm = quiet_pm4py()
    frame = pm.read_xes(str(SHARED / "bpic2012.xes.gz"))
    frame = frame[frame["lifecycle:transition"].astype(str).str.upper() == "COMPLETE"]
    pm.write_bpmn(pm.discover_bpmn_inductive(frame, noise_threshold=NOISE), str(target))
    return target


def run_pm4py(path: Path) -> dict:
    """The plain pm4py sequence (in this process); seconds per step."""
    started = time.perf_counter()
    pm = quiet_pm4py()
    steps = {"import": time.perf_counter() - started}

    def step(name, call):
        t = time.perf_counter()
        value = call()
        steps[name] = time.perf_counter() - t
        return value

    if path.suffix == ".parquet":
        import pandas as pd

        log = step("read", lambda: pm.format_dataframe(pd.read_parquet(path)))
    else:
        log = step("read", lambda: pm.read_xes(str(path)))
    step("dfg", lambda: pm.discover_dfg(log))
    step("performance_dfg", lambda: pm.discover_performance_dfg(log))
    step("variants", lambda: pm.get_variants(log))
    net, im, fm = step(
        "inductive", lambda: pm.discover_petri_net_inductive(log, noise_threshold=NOISE)
    )
    step("token_replay", lambda: pm.fitness_token_based_replay(log, net, im, fm))
    steps["total"] = time.perf_counter() - started
    return steps


def write_study(folder: Path, path: Path, reference: Path | None) -> Path:
    import yaml

    folder.mkdir(parents=True, exist_ok=True)
    study = {"log": {"path": str(path)}}
    if reference is not None:
        study["reference_process"] = str(reference)
    (folder / "study.yaml").write_text(yaml.safe_dump(study))
    return folder / "study.yaml"


def tree_pss_mb(pid: int) -> float:
    """Proportional set size of a process and all its descendants (workers, graphviz), MB:
    shared pages counted once across them, so the sum is what the tree holds."""
    import psutil

    try:
        root = psutil.Process(pid)
        members = [root, *root.children(recursive=True)]
    except psutil.Error:
        return 0.0
    total = 0
    for member in members:
        with contextlib.suppress(psutil.Error):
            total += member.memory_full_info().pss
    return total / 2**20


def measured(args: list[str]) -> dict:
    """Run `args`; wall time, the peak RSS of the largest process (os.wait4), and the peak
    of the whole process tree's proportional set size, sampled every SAMPLE seconds."""
    env = dict(os.environ, PYTHONPATH=str(REPO / "src"))
    started = time.perf_counter()
    peak_tree = 0.0
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        process = subprocess.Popen(args, env=env, stdout=out, stderr=err)
        while True:
            pid, status, usage = os.wait4(process.pid, os.WNOHANG)
            if pid:
                break
            peak_tree = max(peak_tree, tree_pss_mb(process.pid))
            time.sleep(SAMPLE)
        seconds = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode(), err.read().decode()
    if process.returncode != 0:
        raise SystemExit(f"{' '.join(args[:4])} failed:\n{stderr[-3000:]}")
    return {
        "seconds": round(seconds, 2),
        "peak_mb": round(usage.ru_maxrss / 1024),
        "peak_tree_pss_mb": round(peak_tree),
        "cpu_seconds": round(usage.ru_utime + usage.ru_stime, 2),
        "stdout": stdout,
    }


def summary(values: list[float]) -> dict:
    return {"min": round(min(values), 3), "median": round(statistics.median(values), 3),
            "max": round(max(values), 3)}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--log", type=Path, default=None)
    parser.add_argument("--copies", type=int, default=3)
    parser.add_argument("--format", choices=("xes", "parquet"), default="xes")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--no-reference", action="store_true")
    parser.add_argument("--jobs", type=int, default=0, help="mine's --jobs (0: every core)")
    parser.add_argument("--wide", action="store_true", help="the 338k-event, 40+ activity log")
    parser.add_argument("--pm4py-child", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--prepare-child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.pm4py_child is not None:
        print(json.dumps(run_pm4py(args.pm4py_child)))
        return
    if args.prepare_child:
        if args.wide:
            path = bpic_wide()
            reference = None if args.no_reference else CACHE / "bpic2012_wide338k_inductive.bpmn"
        else:
            path = bpic_times(args.copies, args.format)
            reference = None if args.no_reference else reference_model()
        print(json.dumps([str(path), str(reference) if reference else None]))
        return
    if args.log:
        path, reference = args.log.resolve(), None
    else:
        # Built in a child: a parent that had read the log would pass its resident memory on
        # to every process it starts (Linux keeps a forked child's peak RSS), and the
        # measured peaks would all be the parent's.
        flags = ["--copies", str(args.copies), "--format", args.format]
        flags += ["--no-reference"] if args.no_reference else []
        flags += ["--wide"] if args.wide else []
        made = subprocess.run([sys.executable, __file__, "--prepare-child", *flags],
                              capture_output=True, text=True, check=True)  # fmt: skip
        found = json.loads(made.stdout.strip().splitlines()[-1])
        path, reference = Path(found[0]), Path(found[1]) if found[1] else None
    key = path.name
    print(f"log {path} ({path.stat().st_size / 1e6:.1f} MB); reference {reference}", flush=True)
    pairs = []
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory() as scratch:
        study = write_study(Path(scratch) / "study", path, reference)
        for i in range(args.repeats):
            runs = {}
            order = ("pm4py", "l2csim") if i % 2 == 0 else ("l2csim", "pm4py")
            for who in order:
                if who == "pm4py":
                    result = measured([sys.executable, __file__, "--pm4py-child", str(path)])
                    result["steps"] = {
                        k: round(v, 2) for k, v in json.loads(result.pop("stdout")).items()
                    }
                else:
                    out = Path(scratch) / f"out{i}"
                    result = measured([sys.executable, "-m", "l2csim", "mine", str(study),
                                       "--out", str(out), "--jobs", str(args.jobs)])  # fmt: skip
                    result.pop("stdout")
                result["load"] = round(os.getloadavg()[0], 2)
                runs[who] = result
                print(f"  run {i + 1} {who:6s} {result['seconds']:7.1f} s  peak {result['peak_mb']:5d} MB"
                      f"  tree {result['peak_tree_pss_mb']:5d} MB  load {result['load']:.1f}",
                      flush=True)  # fmt: skip
            runs["ratio_time"] = round(runs["l2csim"]["seconds"] / runs["pm4py"]["seconds"], 3)
            runs["ratio_memory"] = round(runs["l2csim"]["peak_mb"] / runs["pm4py"]["peak_mb"], 3)
            runs["ratio_memory_tree"] = round(
                runs["l2csim"]["peak_tree_pss_mb"] / runs["pm4py"]["peak_tree_pss_mb"], 3
            )
            pairs.append(runs)
    document = {
        "log": str(path.name),
        "events_note": (
            ""
            if args.log is not None
            else "BPIC 2012 completion events, copies to 338,000 events, work items by team "
            "(40+ activities)"
            if args.wide
            else f"BPIC 2012 completion events x{args.copies}"
        ),
        "reference_process": reference.name if reference else None,
        "measured": time.strftime("%Y-%m-%d %H:%M"),
        "cpus": os.cpu_count(),
        "load_average_before": [round(x, 2) for x in load_before],
        "pairs": pairs,
        "l2csim_seconds": summary([p["l2csim"]["seconds"] for p in pairs]),
        "pm4py_seconds": summary([p["pm4py"]["seconds"] for p in pairs]),
        "ratio_time": summary([p["ratio_time"] for p in pairs]),
        "ratio_memory": summary([p["ratio_memory"] for p in pairs]),
        "ratio_memory_tree": summary([p["ratio_memory_tree"] for p in pairs]),
        "jobs": args.jobs,
        "target": "l2csim under 180 s (issue 18)" if args.wide else "time ratio ≤ 0.5× (issue 19)",
    }
    results = json.loads(RESULTS.read_text()) if RESULTS.is_file() else {}
    results[key] = document
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    print(f"time l2csim / pm4py: {document['ratio_time']}; memory: {document['ratio_memory']}"
          f" (process tree: {document['ratio_memory_tree']})")  # fmt: skip


if __name__ == "__main__":
    main()
