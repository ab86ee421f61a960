"""The recovery benchmark: does the fitted model find the test bed's true teams, people and work?

For every operation of the test bed (`l2csim.sample.testbed`): fit the as-is log as a study
does (tests/fidelity/harness.py's `fit_operation`: customers analysis, then the fit; no
calibration unless --trials N) and set the fitted `ModelParams` beside the operation's
`<name>_truth.json` (issue 10, "Must show"):

- **teams**: each true team against the fitted staff pool sharing most people with it
  (Jaccard of the member names; exact = the same set), the team's headcount against that
  pool's `size` (within ±1 person) and its true mean people at work at once
  (`capacity.mean_concurrent`) against the pool's `capacity`;
- **systems**: the truth's system users (gateways, mailboxes, carriers, batch jobs, shared
  logins) against those the fit names "not counted as staff" (its note) or puts only in
  external pools; a true system inside a staff pool's members is counted as staff, a
  person the fit calls a system is a false system; waiting steps (`kind: wait` in the
  truth) that the fit gives to a staff pool are listed;
- **work**: per work activity in the log (truth `kind` work or intake), the fitted mean
  per occurrence (`duration.mean × (1 − system_share)`: the truth's `realised_mean_hours`
  averages every occurrence, EDI and mailbox ones at 0) against the realised mean of the
  work actually done; chase and courtesy calls against the model's `chase.call` and
  `courtesy.call`. Within 20 % counts as recovered.

Prints a Markdown table (one row per operation) and writes results/recovery.json with every
team, system and activity compared. Deterministic for a given data folder (the fit is).

    python tests/benchmarks/bench_recovery.py                 # all 8 operations (~10 s each)
    python tests/benchmarks/bench_recovery.py --only shared_teams shifts --trials 6
    python tests/benchmarks/bench_recovery.py --print         # the table from the results

Not a pytest test: run it by hand. The test-bed folders come from make_testbed.py
(tests/benchmarks/.data/testbed/, or --data); missing ones are generated (one year, no
counterfactual seeds: recovery needs only the log and its truth).
"""

from __future__ import annotations

import argparse
import json
import math
import platform
import re
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1] / "src"))
sys.path.insert(0, str(HERE.parent / "fidelity"))

from harness import fit_operation  # noqa: E402

RESULTS = HERE / "results" / "recovery.json"
DATA = HERE / ".data" / "testbed"
TOLERANCE = 0.20  # mean work within 20 %
PEOPLE = 1  # headcount within ±1 person
SYSTEMS_NOTE = "systems and outside parties, not counted as staff: "


def _r(x: float | None, digits: int = 4) -> float | None:
    return None if x is None or not math.isfinite(x) else round(float(x), digits)


def fitted_systems(params) -> set[str]:
    """The resources the fit says are not staff: its note, and external pools' resources."""
    found: set[str] = set()
    for note in params.notes:
        if note.startswith(SYSTEMS_NOTE):
            for item in note[len(SYSTEMS_NOTE) :].split("; "):
                found.add(re.sub(r" \([^()]*\)$", "", item).strip())
    for pool in params.pools:
        if pool.external:
            found.update(pool.resources)
    return found


def staff_of(pool) -> set[str]:
    return {m.name for m in pool.members} or ({*pool.resources} if not pool.external else set())


def compare_teams(truth: dict, params) -> list[dict]:
    staff_pools = [p for p in params.pools if not p.external and staff_of(p)]
    rows = []
    for name, team in sorted(truth["teams"].items()):
        members = set(team["members"])
        best, best_j = None, -1.0
        for pool in staff_pools:
            got = staff_of(pool)
            j = len(members & got) / len(members | got) if members | got else 0.0
            if j > best_j:
                best, best_j = pool, j
        got = staff_of(best) if best else set()
        size = best.size if best else 0
        rows.append(
            {
                "team": name,
                "members": sorted(members),
                "pool": best.name if best else None,
                "pool_members": sorted(got),
                "jaccard": _r(best_j if best else 0.0),
                "exact": bool(best) and got == members,
                "missing": sorted(members - got),
                "extra": sorted(got - members),
                "headcount": len(members),
                "pool_size": size,
                "size_within_1": abs(size - len(members)) <= PEOPLE,
                "mean_concurrent": _r(team["capacity"]["mean_concurrent"]),
                "pool_capacity": _r(best.capacity if best else 0.0),
                "capacity_within_1": bool(best)
                and abs(best.capacity - team["capacity"]["mean_concurrent"]) <= PEOPLE,
            }
        )
    return rows


def compare_systems(truth: dict, params) -> dict:
    true = set(truth["system_users"])
    people = {p for team in truth["teams"].values() for p in team["members"]}
    found = fitted_systems(params)
    staff = set().union(*(staff_of(p) for p in params.pools if not p.external))
    pool_of = {}
    for a in params.activities:
        pool_of[a.name] = {a.pool, *a.pool_by_segment.values()}
    external = {p.name for p in params.pools if p.external}
    waits_as_staff = sorted(
        name
        for name, entry in truth["activities"].items()
        if entry["kind"] == "wait"
        and entry.get("in_log")
        and name in pool_of
        and not pool_of[name] <= external
        and name not in params.roles.waiting_steps
        and not next(a for a in params.activities if a.name == name).system_share >= 0.99
    )
    return {
        "true": sorted(true),
        "found": sorted(true & found),
        "missed": sorted(true - found),
        "counted_as_staff": sorted(true & staff),
        "people_called_systems": sorted(people & found),
        "recall": _r(len(true & found) / len(true)) if true else None,
        "waits_as_staff": waits_as_staff,
    }


def compare_work(truth: dict, params) -> list[dict]:
    by_name = {a.name: a for a in params.activities}
    calls = {
        **{a: params.chase.call for a in params.roles.chase_call},
        **{a: params.courtesy.call for a in params.roles.courtesy_call},
    }
    rows = []
    for name, entry in sorted(truth["activities"].items()):
        true_mean = entry.get("realised_mean_hours")
        if entry["kind"] not in ("work", "intake") or not entry.get("in_log") or not true_mean:
            continue
        if name in calls:
            fitted, share, source = calls[name].mean, 0.0, "call"
        elif name in by_name:
            a = by_name[name]
            fitted, share, source = a.duration.mean, a.system_share, a.duration.provenance.source
        else:
            rows.append({"activity": name, "kind": entry["kind"], "true_mean_hours": true_mean,
                         "fitted_mean_hours": None, "ratio": None, "within_20": False,
                         "note": "not in the fitted model"})  # fmt: skip
            continue
        per_occurrence = fitted * (1.0 - share)
        ratio = per_occurrence / true_mean
        rows.append(
            {
                "activity": name,
                "kind": entry["kind"],
                "in_log": entry["in_log"],
                "true_mean_hours": _r(true_mean),
                "fitted_duration_mean_hours": _r(fitted),
                "system_share": _r(share),
                "fitted_mean_hours": _r(per_occurrence),
                "ratio": _r(ratio),
                "within_20": abs(ratio - 1.0) <= TOLERANCE,
                "source": source,
            }
        )
    return rows


def summarise(teams: list[dict], systems: dict, work: list[dict]) -> dict:
    ratios = [w["ratio"] for w in work if w["ratio"] is not None]
    worst = max(work, key=lambda w: abs(math.log(w["ratio"])) if w["ratio"] else math.inf)
    return {
        "teams": len(teams),
        "teams_exact": sum(t["exact"] for t in teams),
        "mean_jaccard": _r(statistics.mean(t["jaccard"] for t in teams)),
        "share_teams_size_within_1": _r(statistics.mean(t["size_within_1"] for t in teams)),
        "share_teams_capacity_within_1": _r(statistics.mean(t["capacity_within_1"] for t in teams)),
        "systems": len(systems["true"]),
        "systems_found": len(systems["found"]),
        "systems_counted_as_staff": len(systems["counted_as_staff"]),
        "people_called_systems": len(systems["people_called_systems"]),
        "waits_as_staff": len(systems["waits_as_staff"]),
        "activities": len(work),
        "share_activities_within_20": _r(statistics.mean(w["within_20"] for w in work)),
        "ratio_min": _r(min(ratios)) if ratios else None,
        "ratio_median": _r(statistics.median(ratios)) if ratios else None,
        "ratio_max": _r(max(ratios)) if ratios else None,
        "worst_activity": f"{worst['activity']} ({worst['ratio']})",
    }


def run(names: list[str], data: Path, trials: int, jobs: int) -> dict:
    from l2csim.sample.testbed import OPERATIONS, write_operation

    results = json.loads(RESULTS.read_text()) if RESULTS.is_file() and names else {}
    results.setdefault("operations", {})
    for name in names or list(OPERATIONS):
        folder = data / name
        if not (folder / "scenarios" / "study.yaml").is_file():
            write_operation(folder, name, seed=0, days=365, counterfactual_seeds=0, jobs=jobs)
        truth = json.loads((folder / "event_logs" / f"{name}_truth.json").read_text())
        began = time.perf_counter()
        fitted = fit_operation(folder, trials=trials, jobs=jobs)
        seconds = time.perf_counter() - began
        teams = compare_teams(truth, fitted.params)
        systems = compare_systems(truth, fitted.params)
        work = compare_work(truth, fitted.params)
        results["operations"][name] = {
            "timestamps": truth["operation"]["log"]["timestamps"],
            "fit_seconds": round(seconds, 1),
            "summary": summarise(teams, systems, work),
            "teams": teams,
            "systems": systems,
            "work": work,
        }
        print(f"{name}: {results['operations'][name]['summary']}", flush=True)
    results["settings"] = {"trials": trials, "tolerance": TOLERANCE, "people": PEOPLE}
    results["machine"] = {"python": platform.python_version(), "cpus": __import__("os").cpu_count()}
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return results


def table(results: dict) -> str:
    """The README's table: per operation, teams, capacity, systems and work recovered."""
    lines = [
        "| operation | timestamps | teams exact (mean Jaccard) | headcount ±1 | capacity ±1 "
        "| systems found | systems as staff / people as systems | waits on staff "
        "| work within 20 % | work ratio min / median / max | worst |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for name, entry in sorted(results["operations"].items()):
        s = entry["summary"]
        lines.append(
            f"| {name} | {entry['timestamps']} "
            f"| {s['teams_exact']}/{s['teams']} ({s['mean_jaccard']:.2f}) "
            f"| {s['share_teams_size_within_1']:.0%} | {s['share_teams_capacity_within_1']:.0%} "
            f"| {s['systems_found']}/{s['systems']} "
            f"| {s['systems_counted_as_staff']} / {s['people_called_systems']} "
            f"| {s['waits_as_staff']} "
            f"| {s['share_activities_within_20']:.0%} "
            f"| {s['ratio_min']:.2f} / {s['ratio_median']:.2f} / {s['ratio_max']:.2f} "
            f"| {s['worst_activity']} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", nargs="*", default=[])
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--trials", type=int, default=0, help="calibration trials (0: none)")
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--print", action="store_true", dest="only_print")
    args = parser.parse_args()
    if args.only_print:
        print(table(json.loads(RESULTS.read_text())))
        return
    print(table(run(args.only, args.data, args.trials, args.jobs)))


if __name__ == "__main__":
    main()
