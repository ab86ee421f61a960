"""Planted data-quality faults, each recorded so a data-quality check can be scored.

Real order logs carry the marks of their interfaces: the EDI gateway sometimes sends an
order twice, a legacy import spells "Order received" its own way, a few orders lose their
customer in an export, and a scanner with a wrong clock books a shipment before its picking.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from l2csim.sample.operation import EDI, EMAIL, Operation

CANONICAL_RECEIVED = "Order received"
RECEIVED_VARIANTS = ("Order Received", "order  received")
VARIANT_SHARE = 0.01  # of all events
DUPLICATE_EVENTS = 24
CASES_WITHOUT_CUSTOMER = 12
TIMESTAMP_FAULTS = 8


@dataclass(frozen=True)
class PlantedFaults:
    """What was planted, for the truth file."""

    cases_without_customer: list[str]
    timestamp_faults: list[dict]
    variant_counts: dict[str, int]
    duplicates: list[dict]


def plant_faults(
    frame: pd.DataFrame, operation: Operation, rng: np.random.Generator
) -> tuple[pd.DataFrame, PlantedFaults]:
    """Return the table with faults planted (helper columns kept) and what was planted."""
    frame = frame.copy()
    orders = operation.orders
    plain = sorted(
        o.ref
        for o in orders
        if not o.changes
        and o.state.customer.alias_no is None
        and o.state.customer.stop_day is None
        and o.state.churned_at is None
    )
    no_customer = sorted(rng.choice(plain, size=CASES_WITHOUT_CUSTOMER, replace=False).tolist())
    blank = frame["order_ref"].isin(no_customer)
    frame.loc[blank, ["cust_no", "cust_name"]] = None

    # A warehouse scanner with a wrong clock: Shipped booked before Pick and pack.
    is_pick = frame["event"].eq("Pick and pack")
    is_ship = frame["event"].eq("Shipped")
    once = frame.loc[is_pick | is_ship].groupby("order_ref")["event"].size().eq(2)
    candidates = sorted(set(once.index[once]) - set(no_customer))
    faulty = sorted(rng.choice(candidates, size=TIMESTAMP_FAULTS, replace=False).tolist())
    timestamp_faults = []
    for ref in faulty:
        pick_row = frame.index[is_pick & frame["order_ref"].eq(ref)][0]
        ship_row = frame.index[is_ship & frame["order_ref"].eq(ref)][0]
        true_seconds = int(frame.at[ship_row, "_seconds"])
        recorded = int(frame.at[pick_row, "_seconds"]) - int(rng.integers(20, 180)) * 60
        frame.at[ship_row, "_seconds"] = recorded
        timestamp_faults.append(
            {
                "order_ref": ref,
                "event": "Shipped",
                "before_event": "Pick and pack",
                "_recorded": recorded,
                "_true": true_seconds,
            }
        )

    # A legacy e-mail import spells the first activity its own way.
    received = frame["event"].eq(CANONICAL_RECEIVED)
    mail_rows = frame.index[received & frame["channel"].eq(EMAIL)].to_numpy()
    n_variants = round(VARIANT_SHARE * len(frame))
    picked = np.sort(rng.choice(mail_rows, size=n_variants, replace=False))
    halves = np.array_split(picked, 2)
    for variant, rows in zip(RECEIVED_VARIANTS, halves, strict=True):
        frame.loc[rows, "event"] = variant
    variant_counts = {v: len(rows) for v, rows in zip(RECEIVED_VARIANTS, halves, strict=True)}

    # The EDI gateway sends some orders twice: exact duplicate rows.
    edi_rows = frame.index[received & frame["channel"].eq(EDI)].to_numpy()
    doubled = np.sort(rng.choice(edi_rows, size=DUPLICATE_EVENTS, replace=False))
    copies = frame.loc[doubled].assign(_dup=1)
    duplicates = [
        {"order_ref": ref, "event": CANONICAL_RECEIVED}
        for ref in sorted(frame.loc[doubled, "order_ref"])
    ]
    frame = pd.concat([frame, copies], ignore_index=True)
    return frame, PlantedFaults(no_customer, timestamp_faults, variant_counts, duplicates)
