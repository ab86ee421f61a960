"""The CRM's view of customer tiers (`sample_crm_tiers.csv`): mostly right, partly stale.

Consultants are usually handed a CRM tier list; l2csim should derive tiers from the log and
show where the CRM disagrees. Some labels here are stale (the customer moved tier) and the
re-keyed duplicate records sit in the CRM as new one-time customers.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from l2csim.sample.customers import ONE_TIME, TIERS, Customer

STALE_SHARE = 0.08


def crm_tiers(
    customers: list[Customer], rng: np.random.Generator
) -> tuple[pd.DataFrame, list[dict[str, str]]]:
    """The CRM table and the rows whose tier is wrong (with the true tier and why)."""
    rows: list[dict[str, str]] = []
    wrong: list[dict[str, str]] = []
    stale = rng.random(len(customers)) < STALE_SHARE
    for customer, is_stale in zip(customers, stale, strict=True):
        tier = customer.tier
        if is_stale:
            position = TIERS.index(tier)
            step = (
                -1
                if position == len(TIERS) - 1
                else (1 if position == 0 else int(rng.choice([-1, 1])))
            )
            tier = TIERS[position + step]
            wrong.append(
                {
                    "cust_no": customer.cust_no,
                    "crm_tier": tier,
                    "true_tier": customer.tier,
                    "reason": "stale",
                }
            )
        rows.append({"cust_no": customer.cust_no, "cust_name": customer.name, "crm_tier": tier})
        if customer.alias_no:
            rows.append(
                {
                    "cust_no": customer.alias_no,
                    "cust_name": customer.alias_name or "",
                    "crm_tier": ONE_TIME,
                }
            )
            wrong.append(
                {
                    "cust_no": customer.alias_no,
                    "crm_tier": ONE_TIME,
                    "true_tier": customer.tier,
                    "reason": "duplicate record",
                }
            )
    table = pd.DataFrame(rows, columns=["cust_no", "cust_name", "crm_tier"])
    table = table.sort_values("cust_no", kind="mergesort").reset_index(drop=True)
    return table, sorted(wrong, key=lambda w: w["cust_no"])
