"""Counterfactual truth: each policy's true effect, on common random numbers, over K seeds.

For seed i = seed, seed + 1, ..., seed + K - 1 the world runs once as-is and once under each
policy, with the same random streams (same customers, orders, contents, absences), so the
difference is the policy's effect alone. Per KPI: the baseline's and the policy's values
per seed, the effect (policy - baseline) per seed, its mean, min, max, and `sign_robust`:
at least two seeds, every seed's effect has the same sign and the mean is clearly non-zero (at least
`SHARE_TOLERANCE` for shares, at least `RELATIVE_TOLERANCE` of the baseline mean
otherwise).

Headroom: the as-is world at demand factors 1.0, 1.1, ... 2.0 (K seeds each); the headroom
is the first factor at which the share of runaway seeds exceeds `RUNAWAY_SHARE` (later
factors are not run), or "beyond range" when none does.
"""

from __future__ import annotations

from collections.abc import Iterable
from concurrent.futures import ProcessPoolExecutor
from typing import Any

import numpy as np

from l2csim.sample.testbed.kpis import flat, measure
from l2csim.sample.testbed.operations import operation
from l2csim.sample.testbed.policies import BASELINE, WorldPolicy, demand, policies_for
from l2csim.sample.testbed.world import World

SHARE_TOLERANCE = 0.005
RELATIVE_TOLERANCE = 0.01
RUNAWAY_SHARE = 0.10
HEADROOM_FACTORS = tuple(round(1.0 + 0.1 * i, 1) for i in range(11))
SHARE_KPIS = ("sla_attainment", "staff_utilisation", "runaway")


def compared_kpis(name: str) -> list[str]:
    """The KPIs a policy's effect is reported on."""
    spec = operation(name)
    keys = [
        "orders_arrived",
        "orders_delivered",
        "sla_attainment",
        "lead_time_mean_hours",
        "backlog_mean",
        "chase_calls_per_week",
        "courtesy_calls_made",
        "customers_churned",
        "revenue_at_risk_annual",
        "runaway",
    ]
    keys += [f"sla_attainment[{t}]" for t in spec.tier_names]
    keys += [f"chase_calls[{t}]" for t in spec.tier_names]
    keys += [f"staff_utilisation[{t.name}]" for t in spec.teams]
    return keys


def run_kpis(name: str, seed: int, days: int, policy: WorldPolicy) -> dict[str, Any]:
    """One world run's flat KPIs (a top-level function, so worker processes can run it)."""
    world = World(operation(name), seed, days, policy).run()
    return flat(measure(world))


def _run_all(tasks: list[tuple[str, int, int, WorldPolicy]], jobs: int) -> list[dict]:
    if jobs <= 1 or len(tasks) <= 1:
        return [run_kpis(*task) for task in tasks]
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        return list(pool.map(run_kpis, *zip(*tasks, strict=True)))


def _tolerance(kpi: str, baseline_mean: float) -> float:
    if kpi.split("[")[0] in SHARE_KPIS:
        return SHARE_TOLERANCE
    return max(RELATIVE_TOLERANCE * abs(baseline_mean), 1e-9)


def effect(kpi: str, baseline: list[float | None], policy: list[float | None]) -> dict[str, Any]:
    """Per-seed effects and their summary; None where a seed has no value."""
    pairs = [(b, p) for b, p in zip(baseline, policy, strict=True)]
    if any(b is None or p is None for b, p in pairs):
        return {
            "per_seed": [None if b is None or p is None else p - b for b, p in pairs],
            "mean": None,
            "min": None,
            "max": None,
            "sign_robust": False,
            "sign": 0,
        }
    diffs = np.array([p - b for b, p in pairs], dtype=float)
    mean = float(diffs.mean())
    tolerance = _tolerance(kpi, float(np.mean([b for b, _ in pairs])))
    same_sign = bool((diffs > 0).all() or (diffs < 0).all())
    robust = same_sign and abs(mean) >= tolerance and len(diffs) >= 2
    return {
        "per_seed": [round(float(d), 6) for d in diffs],
        "mean": round(mean, 6),
        "min": round(float(diffs.min()), 6),
        "max": round(float(diffs.max()), 6),
        "sign_robust": robust,
        "sign": int(np.sign(mean)) if robust else 0,
    }


def counterfactual(
    name: str,
    seed: int = 0,
    days: int = 365,
    seeds: int = 5,
    policies: Iterable[WorldPolicy] | None = None,
    headroom: bool = True,
    factors: tuple[float, ...] = HEADROOM_FACTORS,
    jobs: int = 1,
) -> dict[str, Any]:
    """The counterfactual truth of an operation (see the module docstring)."""
    spec = operation(name)
    run_seeds = [seed + i for i in range(seeds)]
    chosen = list(policies) if policies is not None else policies_for(spec)
    tasks = [(name, s, days, BASELINE) for s in run_seeds]
    tasks += [(name, s, days, p) for p in chosen for s in run_seeds]
    results = _run_all(tasks, jobs)
    base = results[:seeds]
    keys = compared_kpis(name)
    out: dict[str, Any] = {
        "operation": name,
        "seed": seed,
        "days": days,
        "seeds": run_seeds,
        "note": "seed i runs the world with seed + i; the written log is the first seed's "
        "baseline. effect = policy - baseline on the same random streams.",
        "kpis_compared": keys,
        "tolerances": {"share": SHARE_TOLERANCE, "relative": RELATIVE_TOLERANCE},
        "baseline": {k: [b.get(k) for b in base] for k in keys},
        "policies": {},
    }
    for i, policy in enumerate(chosen):
        runs = results[seeds * (i + 1) : seeds * (i + 2)]
        out["policies"][policy.name] = {
            "scenario": f"{policy.name}.yaml",
            "description": policy.description,
            "policy": policy.as_dict(),
            "kpis": {k: [r.get(k) for r in runs] for k in keys},
            "effects": {k: effect(k, out["baseline"][k], [r.get(k) for r in runs]) for k in keys},
        }
    if headroom:
        out["headroom"] = headroom_truth(name, seed, days, seeds, base, factors, jobs)
    return out


def headroom_truth(
    name: str,
    seed: int,
    days: int,
    seeds: int,
    base: list[dict[str, Any]],
    factors: tuple[float, ...] = HEADROOM_FACTORS,
    jobs: int = 1,
) -> dict[str, Any]:
    spec = operation(name)
    team = spec.bottleneck[0]
    scan = []
    found: float | str = "beyond range"
    for factor in factors:
        if factor == 1.0:
            runs = base
        else:
            runs = _run_all([(name, seed + i, days, demand(factor)) for i in range(seeds)], jobs)
        share = float(np.mean([r["runaway"] for r in runs]))
        scan.append(
            {
                "demand_factor": factor,
                "runaway_share": round(share, 6),
                "bottleneck_utilisation_mean": round(
                    float(np.mean([r[f"staff_utilisation[{team}]"] for r in runs])), 6
                ),
                "chase_calls_per_week_mean": round(
                    float(np.mean([r["chase_calls_per_week"] for r in runs])), 6
                ),
                "sla_attainment_mean": round(
                    float(np.mean([r["sla_attainment"] for r in runs])), 6
                ),
            }
        )
        if share > RUNAWAY_SHARE:
            found = factor
            break
    return {
        "demand_factor": found,
        "runaway_share_threshold": RUNAWAY_SHARE,
        "factors_scanned": scan,
        "bottleneck": team,
    }
