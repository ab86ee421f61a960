"""Benchmark: customer identity resolution — precision, recall, pairs and seconds.

Measures `propose_merges` (names parsed, candidates, Fellegi–Sunter linkage, decisions):
- on the bundled sample (event_logs/sample_truth.json lists the planted re-keyed pairs),
  through `l2csim customers`;
- on hard name sets with truth (tests/customers/hard_names.py): the default mix, the
  unseen log of issue 13 without look-alike traps, and a trap-heavy mix; six seeds each;
- on 100k customers (45k named, 4.5k re-keyed, 55k walk-in buyers): seconds over 3 runs.
Writes tests/benchmarks/results/identity.json and prints the table.

    PYTHONPATH=src python tests/benchmarks/bench_identity.py [--quick]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests"))

from customers.hard_names import hard_orders, scores  # noqa: E402
from l2csim.customers.merges import propose_merges  # noqa: E402
from l2csim.customers.run import run  # noqa: E402
from l2csim.inputs import resolve_inputs  # noqa: E402

MIXES = {
    "hard (default mix)": {},
    "issue 13 replica (no look-alikes)": {
        "same_name_pairs": 0,
        "typo_apart_pairs": 0,
        "form_apart_pairs": 0,
    },
    "trap-heavy (8 same-name, 8 typo-apart)": {"same_name_pairs": 8, "typo_apart_pairs": 8},
}


def sample_row() -> dict:
    truth = json.loads((REPO / "event_logs" / "sample_truth.json").read_text(encoding="utf-8"))
    planted = {tuple(sorted((r["master"], r["duplicate"]))) for r in truth["rekeyed_customers"]}
    with tempfile.TemporaryDirectory() as out:
        began = time.perf_counter()
        run(resolve_inputs(REPO / "scenarios" / "study.yaml"), Path(out))
        seconds = time.perf_counter() - began
        merges = pd.read_csv(Path(out) / "customer_merges.csv", dtype=str)
    row = {"set": "bundled sample", "seeds": 1, "seconds": round(seconds, 2)}
    for label, decisions in (("merge", {"merge"}), ("merge_review", {"merge", "review"})):
        chosen = merges[merges["decision"].isin(decisions)]
        found = {tuple(sorted(p)) for p in chosen[["id_a", "id_b"]].to_numpy()}
        row[f"{label}_precision"] = len(found & planted) / len(found) if found else 1.0
        row[f"{label}_recall"] = len(found & planted) / len(planted)
    row |= {"true_pairs": len(planted), "pairs": len(merges)}
    return row


def mix_row(label: str, options: dict, seeds: range) -> dict:
    results, seconds = [], []
    for seed in seeds:
        orders, truth = hard_orders(seed, **options)
        began = time.perf_counter()
        proposed = propose_merges(orders)
        seconds.append(time.perf_counter() - began)
        results.append(scores(proposed, truth))
    table = pd.DataFrame(results)
    row = {"set": label, "seeds": len(seeds), "seconds": round(statistics.median(seconds), 2)}
    for column in ("merge_precision", "merge_recall", "merge_review_precision"):
        row[column] = float(table[column].mean())
    row["merge_review_recall"] = float(table["merge_review_recall"].mean())
    row["merge_precision_min"] = float(table["merge_precision"].min())
    row["merge_recall_min"] = float(table["merge_recall"].min())
    row["true_pairs"] = int(table["true_pairs"].sum())
    row["pairs"] = int(table["pairs"].sum())
    return row


def scale_row(runs: int) -> dict:
    orders, truth = hard_orders(11, named=45_000, rekeyed=4_500, walk_ins=55_000)
    seconds = []
    for _ in range(runs):
        began = time.perf_counter()
        proposed = propose_merges(orders)
        seconds.append(time.perf_counter() - began)
    result = scores(proposed, truth)
    return {
        "set": f"100k customers ({orders['customer'].nunique():,} ids, {len(orders):,} orders)",
        "seeds": 1,
        "seconds": round(statistics.median(seconds), 2),
        "seconds_min": round(min(seconds), 2),
        "seconds_max": round(max(seconds), 2),
        "runs": runs,
        **{k: result[k] for k in result if k.endswith(("precision", "recall"))},
        "true_pairs": result["true_pairs"],
        "pairs": result["pairs"],
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="2 seeds, 1 run at 100k")
    args = parser.parse_args()
    seeds = range(1, 3) if args.quick else range(1, 7)
    rows = [sample_row()]
    rows += [mix_row(label, options, seeds) for label, options in MIXES.items()]
    rows.append(scale_row(1 if args.quick else 3))
    table = pd.DataFrame(rows)
    shown = ["set", "merge_precision", "merge_recall", "merge_review_precision"]
    shown += ["merge_review_recall", "true_pairs", "pairs", "seconds"]
    print(table[shown].round(3).to_string(index=False))
    out = REPO / "tests" / "benchmarks" / "results" / "identity.json"
    out.write_text(json.dumps(rows, indent=2, default=float) + "\n", encoding="utf-8")
    print(f"written {out}")


if __name__ == "__main__":
    main()
