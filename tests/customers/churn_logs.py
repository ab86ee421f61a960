"""Order tables with known churn for the churn tests: customers order on their own rhythm,
after each delivery they leave with a known logistic probability in tier and the order's
experience, and the truth says who left and when.

Courtesy calls are confounded with tier on purpose (key accounts get many and rarely
leave), so a model without tier would read them as the cure.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

START = pd.Timestamp("2024-01-01", tz="UTC")
DAY = pd.Timedelta(days=1)


@dataclass(frozen=True)
class Tier:
    name: str
    customers: int
    cadence_days: float
    base_logit: float  # log-odds of leaving after a delivery with no bad experience
    courtesy_mean: float  # courtesy calls per order


@dataclass(frozen=True)
class World:
    tiers: tuple[Tier, ...] = (
        Tier("key_account", 60, 9.0, -7.0, 1.6),
        Tier("regular", 240, 16.0, -5.2, 0.3),
    )
    days: int = 730
    effects: dict[str, float] = field(
        default_factory=lambda: {"late": 1.6, "chase_calls": 0.8, "courtesy_calls": -0.4}
    )
    late_share: float = 0.2
    one_time_buyers: int = 0


def generate(world: World, seed: int = 7) -> tuple[pd.DataFrame, dict[str, float]]:
    """(orders, truth): the order table as the customers analysis builds it, and each
    churned customer's leaving time in days."""
    rng = np.random.default_rng(seed)
    rows = []
    truth: dict[str, float] = {}
    number = 0
    for tier in world.tiers:
        for _ in range(tier.customers):
            number += 1
            customer = f"C{number:05d}"
            t = float(rng.uniform(0, tier.cadence_days))
            orders = []
            while t < world.days:
                late = bool(rng.random() < world.late_share)
                chases = int(rng.poisson(0.9 if late else 0.1))
                courtesy = int(rng.poisson(tier.courtesy_mean))
                lead = float(rng.uniform(3, 14)) + (6.0 if late else 0.0)
                u = float(rng.random())
                orders.append((t, t + lead, late, chases, courtesy, u))
                t += tier.cadence_days * float(rng.lognormal(0.0, 0.25))
            left = np.inf
            for received, delivered, late, chases, courtesy, u in sorted(
                orders, key=lambda o: o[1]
            ):
                if received >= left or delivered >= world.days:
                    continue
                z = (
                    tier.base_logit
                    + world.effects["late"] * late
                    + world.effects["chase_calls"] * chases
                    + world.effects["courtesy_calls"] * courtesy
                )
                if u < 1 / (1 + np.exp(-z)):
                    left = min(left, delivered)
            if np.isfinite(left):
                truth[customer] = left
            for received, delivered, late, chases, courtesy, _ in orders:
                if received >= left:
                    break
                rows.append((customer, tier.name, received, delivered, late, chases, courtesy))
    for i in range(world.one_time_buyers):
        received = float(rng.uniform(0, world.days))
        rows.append((f"W{i:05d}", "one_time", received, received + 5.0, False, 0, 0))
    frame = pd.DataFrame(
        rows,
        columns=[
            "customer",
            "tier",
            "received",
            "delivered",
            "late",
            "chase_calls",
            "courtesy_calls",
        ],
    )
    end = frame["received"].max()
    frame["delivered"] = frame["delivered"].where(frame["delivered"] <= end + 30)
    for column in ("received", "delivered"):
        frame[column] = START + pd.to_timedelta(frame[column], unit="D")
    frame["late"] = frame["late"].where(frame["delivered"].notna())
    frame["value"] = 100.0
    frame["product"] = "parts"
    frame["rework"] = 0
    frame = frame.sort_values("received", kind="stable").reset_index(drop=True)
    frame["case"] = [f"O{i:06d}" for i in range(len(frame))]
    return frame, truth
