"""Benchmark and data set: every test-bed operation, one year, with its counterfactual truth.

Writes each operation as a study folder into tests/benchmarks/.data/testbed/<name>/
(git-ignored; `write_operation`, seed 0, K counterfactual seeds with the demand headroom),
then prints two tables: the operations (orders, events, bottleneck utilisation, chase calls
per week, SLA per tier, runaway share over the K seeds, demand headroom, seconds to generate
the as-is year on one core) and the policies' true effects (mean over the K seeds; `*` when
the sign is robust: the same in every seed and clearly non-zero). The numbers also go to
tests/benchmarks/results/testbed.json.

    python tests/benchmarks/make_testbed.py [--days 365] [--seeds 5] [--jobs 2] [--only NAME...]

Not collected by pytest.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1] / "src"))

from l2csim.output import write_json  # noqa: E402
from l2csim.sample.testbed import OPERATIONS, generate_operation, operation  # noqa: E402
from l2csim.sample.testbed.counterfactual import counterfactual  # noqa: E402
from l2csim.sample.testbed.policies import slug  # noqa: E402
from l2csim.sample.testbed.write import write_run  # noqa: E402

DATA = HERE / ".data" / "testbed"
RESULTS = HERE / "results" / "testbed.json"
TIERS = ("key_account", "priority", "occasional", "one_time")
EFFECT_KPIS = (
    "sla_attainment",
    "sla_attainment[key_account]",
    "sla_attainment[one_time]",
    "chase_calls_per_week",
    "customers_churned",
)


def _pct(x: float | None) -> str:
    return "–" if x is None else f"{100 * x:.0f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--only", nargs="*", default=None)
    parser.add_argument(
        "--print",
        dest="print_only",
        action="store_true",
        help="Only print the tables of the last results.",
    )
    args = parser.parse_args()
    if args.print_only:
        results = json.loads(RESULTS.read_text(encoding="utf-8"))
        print_tables(results["operations"], results["effects"])
        return
    names = args.only or list(OPERATIONS)
    rows, effects = [], {}
    if args.only and RESULTS.is_file():  # keep the other operations' earlier results
        earlier = json.loads(RESULTS.read_text(encoding="utf-8"))
        if (earlier["days"], earlier["seeds"]) == (args.days, args.seeds):
            rows = [r for r in earlier["operations"] if r["operation"] not in names]
            effects = {k: v for k, v in earlier["effects"].items() if k not in names}
    for name in names:
        folder = DATA / name
        start = time.process_time()
        run = generate_operation(name, args.seed, args.days)
        generate_seconds = time.process_time() - start
        write_run(folder, run)
        wall = time.perf_counter()
        truth = counterfactual(name, args.seed, args.days, args.seeds, jobs=args.jobs)
        write_json(folder / "event_logs" / f"{name}_counterfactual.json", truth)
        cf_seconds = time.perf_counter() - wall
        kpis = run.truth["kpis"]
        team = operation(name).bottleneck[0]
        row = {
            "operation": name,
            "orders": kpis["overall"]["orders_arrived"],
            "events": len(run.events),
            "bottleneck": team,
            "bottleneck_utilisation": kpis["by_team"][team]["staff_utilisation"],
            "chase_calls_per_week": kpis["overall"]["chase_calls_per_week"],
            "sla": {t: kpis["by_tier"][t]["sla_attainment"] for t in TIERS},
            "runaway": kpis["runaway"]["runaway"],
            "runaway_share": sum(truth["baseline"]["runaway"]) / args.seeds,
            "headroom": truth["headroom"]["demand_factor"],
            "generate_seconds": round(generate_seconds, 2),
            "counterfactual_wall_seconds": round(cf_seconds, 1),
        }
        rows.append(row)
        effects[name] = {
            policy: {
                k: {"mean": v["effects"][k]["mean"], "sign_robust": v["effects"][k]["sign_robust"]}
                for k in EFFECT_KPIS
            }
            for policy, v in truth["policies"].items()
        }
        print(
            f"{name}: done ({generate_seconds:.1f} s as-is year, {cf_seconds:.0f} s "
            "counterfactual)",
            flush=True,
        )

    order = list(OPERATIONS)
    rows.sort(key=lambda r: order.index(r["operation"]))
    effects = {name: effects[name] for name in order if name in effects}
    write_json(
        RESULTS,
        {
            "days": args.days,
            "seeds": args.seeds,
            "machine": {"python": platform.python_version(), "processor": platform.machine()},
            "operations": rows,
            "effects": effects,
        },
    )

    print_tables(rows, effects)


def print_tables(rows: list[dict], effects: dict) -> None:
    """The operations table and, per policy, the effect on SLA and chase calls (Markdown)."""
    print()
    print(
        "| operation | orders | events | bottleneck utilisation | chase calls/week | SLA % "
        "key / prio / occ / one-time | runaway share | headroom | s to generate |"
    )
    print("| --- | ---: | ---: | --- | ---: | --- | ---: | ---: | ---: |")
    for r in rows:
        sla = " / ".join(_pct(r["sla"][t]) for t in TIERS)
        print(
            f"| {r['operation']} | {r['orders']:,} | {r['events']:,} | {r['bottleneck']} "
            f"{100 * r['bottleneck_utilisation']:.0f} % | {r['chase_calls_per_week']:.0f} | "
            f"{sla} | {r['runaway_share']:.1f} | {r['headroom']} | {r['generate_seconds']} |"
        )
    columns = (
        "tier_priority",
        "key_accounts_first_with_calls",
        "key_account_calls",
        "earliest_promise",
        "one_more_bottleneck",
        "one_more_chase_team",
        "demand_plus_15",
    )
    for kpi, label, scale in (
        ("sla_attainment", "Δ SLA attainment (points)", 100),
        ("sla_attainment[key_account]", "Δ key-account SLA attainment (points)", 100),
        ("chase_calls_per_week", "Δ chase calls per week", 1),
    ):
        print()
        print(f"{label}, mean of the seeds; * sign robust")
        print("| operation | " + " | ".join(columns) + " |")
        print("| --- |" + " ---: |" * len(columns))
        for name in (n for n in OPERATIONS if n in effects):
            by_policy = effects[name]
            bottleneck = operation(name).bottleneck[0]
            cells = []
            for column in columns:
                policy = _policy_column(column, by_policy, bottleneck)
                if policy is None:
                    cells.append("(same)")
                    continue
                e = by_policy[policy][kpi]
                text = "–" if e["mean"] is None else f"{scale * e['mean']:+.1f}"
                cells.append(text + ("*" if e["sign_robust"] else ""))
            print(f"| {name} | " + " | ".join(cells) + " |")


def _policy_column(column: str, by_policy: dict, bottleneck: str) -> str | None:
    """The operation's policy in a table column (the one-more policies are named by team)."""
    if not column.startswith("one_more_"):
        return column
    mine = f"one_more_{slug(bottleneck)}"
    if column == "one_more_bottleneck":
        return mine
    other = [p for p in by_policy if p.startswith("one_more_") and p != mine]
    return other[0] if other else None


if __name__ == "__main__":
    main()
