"""Benchmark: the sample study from a cold start, as the README's promise runs it.

Each run is `l2csim study` in an empty folder (so the bundled sample is generated first),
in a fresh process, timed from outside: wall clock, CPU seconds of the whole process tree
(its own rusage and its children's), peak resident memory of the largest process, the load
average before and after, and each stage's seconds from the run's `manifest.json`. Then
`l2csim --help` three times (the start-up a short command pays).

`--baseline-src DIR` runs every repeat a second time with another tree's `src/` (e.g.
`git archive <commit> src | tar -x -C /tmp/before`), interleaved with this tree's runs
(the order alternating per repeat), so before and after meet the same load; the ratios are
per pair. With `--keep DIR` the last pair's study folders stay there (`this/`, `baseline/`)
to compare the outputs (`diff -r`, timings in manifest.json excepted).

    PYTHONPATH=src python tests/benchmarks/bench_study.py [--repeat 3] [--baseline-src DIR]

Not collected by pytest. Results: tests/benchmarks/results/study.json (the README's speed
section is rendered from it by speed_section.py).
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
RESULTS = HERE / "results" / "study.json"
TARGET_SECONDS = 35.0


def load() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def timed(args: list[str], cwd: Path, src: Path) -> dict:
    """One process tree: wall, CPU of it and its children, peak RSS, load before/after."""
    env = dict(os.environ, PYTHONPATH=str(src))
    before = load()
    started = time.perf_counter()
    with tempfile.TemporaryFile() as err:  # a file, not a pipe: never fills up and blocks
        process = subprocess.Popen(args, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=err)
        _, status, usage = os.wait4(process.pid, 0)
        wall = time.perf_counter() - started
        if os.waitstatus_to_exitcode(status) != 0:
            err.seek(0)
            raise SystemExit(f"{' '.join(args)} failed:\n{err.read().decode()[-3000:]}")
    # wait4 gives this child's own usage and, summed in, that of the children it waited for
    # (the pool's workers, dot); ru_maxrss is the largest single process among them.
    return {
        "wall": round(wall, 2),
        "cpu": round(usage.ru_utime + usage.ru_stime, 2),
        "peak_mb": round(usage.ru_maxrss / 1024),
        "load_before": before,
        "load_after": load(),
    }


def study_run(src: Path, folder: Path) -> dict:
    folder.mkdir(parents=True)
    got = timed([sys.executable, "-m", "l2csim", "study"], folder, src)
    manifest = json.loads((folder / "outputs" / "study" / "manifest.json").read_text())
    got["stages"] = {s["stage"]: s["seconds"] for s in manifest["last_run"]["stages"]}
    return got


def summary(values: list[float]) -> dict:
    return {
        "min": round(min(values), 3),
        "median": round(statistics.median(values), 3),
        "max": round(max(values), 3),
    }


def stage_summary(runs: list[dict]) -> dict:
    names = list(runs[0]["stages"])
    groups = {"simulate/*": [n for n in names if n.startswith("simulate/")]}
    out = {n: summary([r["stages"][n] for r in runs]) for n in names if "/" not in n}
    for group, members in groups.items():
        out[group] = summary([sum(r["stages"][m] for m in members) for r in runs])
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--baseline-src", type=Path)
    parser.add_argument("--baseline-label", default="")
    parser.add_argument("--keep", type=Path, help="keep the last pair's study folders here")
    args = parser.parse_args()
    trees = {"this": REPO / "src"}
    if args.baseline_src is not None:
        trees["baseline"] = args.baseline_src.resolve()
    runs: dict[str, list[dict]] = {t: [] for t in trees}
    scratch = Path(tempfile.mkdtemp(prefix="l2csim-bench-study-"))
    out: dict = {
        "command": "cd $(mktemp -d) && l2csim study",
        "machine": {"cpus": os.cpu_count(), "python": sys.version.split()[0]},
        "measured": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "commit": _commit(),
        "load_average_start": load(),
        "target_seconds": TARGET_SECONDS,
    }
    for src in trees.values():  # bytecode ready in every tree, as an installed package has
        # it, so a fresh checkout's first run does not pay for what the other runs reuse
        subprocess.run([sys.executable, "-m", "compileall", "-q", str(src)], check=False)
    try:
        for i in range(args.repeat):
            order = list(trees) if i % 2 == 0 else list(reversed(trees))
            for tree in order:
                folder = scratch / f"{tree}{i}"
                got = study_run(trees[tree], folder)
                runs[tree].append(got)
                print(f"{tree:8s} run {i + 1}: {got['wall']:6.1f} s wall, {got['cpu']:6.1f} s "
                      f"CPU, peak {got['peak_mb']} MB, load {got['load_before'][0]}", flush=True)  # fmt: skip
        if args.keep is not None:
            args.keep.mkdir(parents=True, exist_ok=True)
            last = args.repeat - 1
            for tree in trees:
                target = args.keep / tree
                shutil.rmtree(target, ignore_errors=True)
                shutil.copytree(scratch / f"{tree}{last}" / "outputs", target)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    for tree, got in runs.items():
        out[tree] = {
            "runs": got,
            "wall": summary([r["wall"] for r in got]),
            "cpu": summary([r["cpu"] for r in got]),
            "peak_mb": summary([r["peak_mb"] for r in got]),
            "stages": stage_summary(got),
        }
    if "baseline" in trees:
        out["baseline_label"] = args.baseline_label
        pairs = zip(runs["this"], runs["baseline"], strict=True)
        ratios = [(a["wall"] / b["wall"], a["cpu"] / b["cpu"]) for a, b in pairs]
        out["ratio_wall"] = summary([r[0] for r in ratios])
        out["ratio_cpu"] = summary([r[1] for r in ratios])
    helps = [timed([sys.executable, "-m", "l2csim", "--help"], REPO, trees["this"])
             for _ in range(3)]  # fmt: skip
    out["help"] = {"wall": summary([h["wall"] for h in helps]), "runs": helps}
    out["load_average_end"] = load()
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(out, indent=2, sort_keys=True) + "\n")
    print(f"this tree: {out['this']['wall']} s wall; wrote {RESULTS}")
    return 0


def _commit() -> str | None:
    done = subprocess.run(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"],
                          capture_output=True, text=True, check=False)  # fmt: skip
    return done.stdout.strip() or None


if __name__ == "__main__":
    raise SystemExit(main())
