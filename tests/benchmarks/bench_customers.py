"""Benchmark: profile and tier 100k customers with 2M orders (a generated order table).

Reports wall time and peak memory (tracemalloc) of `profile_customers` + `assign_tiers` +
`reorder_outlook`, and the ratio against a plain pandas groupby (count, sum, min, max,
nunique per customer) on the same table, measured in the same run.

    PYTHONPATH=src python tests/benchmarks/bench_customers.py [--customers 100000 --orders 2000000]
"""

from __future__ import annotations

import argparse
import time
import tracemalloc

import numpy as np
import pandas as pd

from l2csim.customers.profiles import profile_customers
from l2csim.customers.reorders import reorder_outlook
from l2csim.customers.tiers import assign_tiers
from l2csim.study import ReorderSpec, TierSpec


def order_table(customers: int, orders: int, seed: int = 1) -> pd.DataFrame:
    """Synthetic orders: customer sizes skewed (Zipf-like), a year of order times."""
    rng = np.random.default_rng(seed)
    weights = 1 / np.arange(1, customers + 1) ** 0.8
    who = rng.choice(customers, size=orders, p=weights / weights.sum())
    start = pd.Timestamp("2025-01-01", tz="UTC")
    seconds = rng.uniform(0, 365 * 86400, size=orders)
    return pd.DataFrame(
        {
            "case": np.arange(orders).astype(str),
            "customer": np.char.add("C", np.char.zfill(who.astype(str), 6)).astype(object),
            "received": start + pd.to_timedelta(seconds, unit="s"),
            "value": rng.lognormal(7, 1, size=orders).round(2),
            "product": rng.choice(np.array(["pumps", "spares", "systems"], dtype=object), orders),
            "chase_calls": rng.poisson(0.15, orders),
            "courtesy_calls": rng.poisson(0.8, orders),
            "rework": rng.poisson(0.1, orders),
        }
    )


def measure(label: str, work) -> float:
    tracemalloc.start()
    began = time.perf_counter()
    work()
    seconds = time.perf_counter() - began
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(f"{label:<40} {seconds:7.2f} s   peak {peak / 1e6:8.0f} MB")
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--orders", type=int, default=2_000_000)
    args = parser.parse_args()
    orders = order_table(args.customers, args.orders)
    as_of = orders["received"].max()
    print(f"{args.orders:,} orders of {orders['customer'].nunique():,} customers")

    def reference() -> None:
        orders.groupby("customer").agg(
            n=("received", "size"),
            revenue=("value", "sum"),
            first=("received", "min"),
            last=("received", "max"),
            breadth=("product", "nunique"),
        )

    def ours() -> None:
        profile = profile_customers(orders, as_of)
        assign_tiers(profile, TierSpec())
        reorder_outlook(profile, ReorderSpec(), as_of)

    base = measure("reference: plain pandas groupby", reference)
    mine = measure("profile + tiers + overdue outlook", ours)
    print(f"ratio to reference: {mine / base:.1f}x")


if __name__ == "__main__":
    main()
