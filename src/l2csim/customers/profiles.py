"""Customer profiles: what each (canonical) customer is worth, how it orders, what it costs.

One grouped pass over the order table (l2csim.orders, after merges): revenue, order
count, recency, tenure, ordering cadence (median days between orders) and its spread,
growth, product breadth, cost-to-serve (chase calls, courtesy calls, rework) and, once SLA
lateness is known (sla.py), the lateness the customer experienced. Orders received after
`as_of` are left out: the profile is the world as it was on that date.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

DAY = pd.Timedelta(days=1)

PROFILE_COLUMNS = [
    "orders",
    "revenue",
    "value_per_order",
    "first_order",
    "last_order",
    "recency_days",
    "tenure_days",
    "cadence_days",
    "cadence_cv",
    "log_gap_mean",
    "log_gap_sd",
    "growth",
    "breadth",
    "chase_calls",
    "courtesy_calls",
    "rework",
    "chase_per_order",
    "courtesy_per_order",
    "rework_per_order",
]


def profile_customers(
    orders: pd.DataFrame, as_of: pd.Timestamp, period_start: pd.Timestamp | None = None
) -> pd.DataFrame:
    """Per canonical customer (index `customer`), the profile in PROFILE_COLUMNS.

    `orders` has columns customer, received, value, product, chase_calls, courtesy_calls,
    rework. Growth compares revenue (order counts when values are missing) in the second
    half of the period [period_start, as_of] with the first half: (late - early) /
    (late + early), from -1 (all early) to +1 (all late).
    """
    o = orders.loc[orders["customer"].notna() & (orders["received"] <= as_of)]
    # Sort by integer customer codes, not strings: 6x faster on millions of orders.
    codes, ids = pd.factorize(o["customer"], sort=True)
    moments = pd.DatetimeIndex(o["received"]).asi8  # UTC nanoseconds, no object conversion
    order = np.lexsort((moments, codes))
    o = o.iloc[order]
    codes = codes[order]
    start = period_start if period_start is not None else o["received"].min()
    same = np.r_[False, codes[1:] == codes[:-1]]
    gaps = (o["received"].diff() / DAY).where(same)
    log_gaps = np.log(gaps.clip(lower=1 / 24))  # an hour's gap at least: re-sent orders
    has_value = bool(o["value"].notna().any())
    weight = o["value"].fillna(0.0) if has_value else pd.Series(1.0, index=o.index)
    late_half = o["received"] >= start + (as_of - start) / 2
    frame = pd.DataFrame(
        {
            "customer": codes,
            "received": o["received"],
            "value": o["value"],
            "product": pd.factorize(o["product"])[0] if o["product"].notna().any() else np.nan,
            "gap": gaps,
            "log_gap": log_gaps,
            "early": weight.where(~late_half, 0.0),
            "late": weight.where(late_half, 0.0),
            "chase_calls": o["chase_calls"],
            "courtesy_calls": o["courtesy_calls"],
            "rework": o["rework"],
        }
    )
    g = frame.groupby("customer", sort=True, observed=True)
    profile = g.agg(
        orders=("received", "size"),
        revenue=("value", "sum"),
        first_order=("received", "min"),
        last_order=("received", "max"),
        cadence_days=("gap", "median"),
        gap_mean=("gap", "mean"),
        gap_sd=("gap", "std"),
        log_gap_mean=("log_gap", "mean"),
        log_gap_sd=("log_gap", "std"),
        early=("early", "sum"),
        late=("late", "sum"),
        breadth=("product", "nunique"),
        chase_calls=("chase_calls", "sum"),
        courtesy_calls=("courtesy_calls", "sum"),
        rework=("rework", "sum"),
    )
    profile.index = pd.Index(ids[profile.index.to_numpy()], name="customer")
    if not has_value:
        profile["revenue"] = np.nan
    profile["value_per_order"] = profile["revenue"] / profile["orders"]
    profile["recency_days"] = (as_of - profile["last_order"]) / DAY
    profile["tenure_days"] = (as_of - profile["first_order"]) / DAY
    profile["cadence_cv"] = profile["gap_sd"] / profile["gap_mean"]
    total = profile["early"] + profile["late"]
    profile["growth"] = ((profile["late"] - profile["early"]) / total).where(total > 0)
    for name in ("chase", "courtesy", "rework"):
        column = "rework" if name == "rework" else f"{name}_calls"
        profile[f"{name}_per_order"] = profile[column] / profile["orders"]
    return profile[PROFILE_COLUMNS]


def add_lateness(profile: pd.DataFrame, orders: pd.DataFrame) -> pd.DataFrame:
    """Add the lateness each customer experienced: late orders, their share, mean days late.

    `orders` carries `late` (bool, NaN when no SLA applies) and `days_late` per order.
    """
    judged = orders.loc[orders["customer"].notna() & orders["late"].notna()]
    judged = judged.assign(late=judged["late"].astype(float))
    g = judged.groupby("customer", sort=True)
    lateness = pd.DataFrame(
        {
            "judged_orders": g.size(),
            "late_orders": g["late"].sum(),
            "mean_days_late": g["days_late"].mean(),
        }
    )
    out = profile.join(lateness, how="left")
    out["judged_orders"] = out["judged_orders"].fillna(0).astype("int64")
    out["late_orders"] = out["late_orders"].fillna(0).astype("int64")
    out["late_share"] = (out["late_orders"] / out["judged_orders"]).where(out["judged_orders"] > 0)
    return out
