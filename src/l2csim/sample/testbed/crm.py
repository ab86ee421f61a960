"""The CRM's tier list (`<name>_crm_tiers.csv`): mostly right, some labels stale.

Every customer record that appears in the log is listed once; a re-keyed second record
sits in the CRM as a new customer of the default class; a share of the other labels are
stale (one tier off). The wrong rows go to the truth with the real tier and why.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from l2csim.sample.testbed.eventlog import DEFAULT_RECORD_TIER
from l2csim.sample.testbed.streams import substream

if TYPE_CHECKING:
    from l2csim.sample.testbed.world import World


def crm_tiers(world: World, seen: set[str]) -> tuple[pd.DataFrame, list[dict[str, str]]]:
    """(the CRM table, the wrong rows) for the customer numbers in `seen`."""
    rng = substream(world.entropy, "crm", 0)
    tiers = world.spec.tier_names
    share = world.spec.log.crm_stale_share
    rows, wrong = [], []
    for customer in world.base.customers:
        u = rng.random(2)
        if customer.cust_no in seen:
            tier = customer.tier
            if u[0] < share:
                position = tiers.index(tier)
                step = (
                    -1
                    if position == len(tiers) - 1
                    else (1 if position == 0 else (1 if u[1] < 0.5 else -1))
                )
                tier = tiers[position + step]
                wrong.append(
                    {
                        "cust_no": customer.cust_no,
                        "crm_tier": tier,
                        "true_tier": customer.tier,
                        "reason": "stale",
                    }
                )
            rows.append({"cust_no": customer.cust_no, "cust_name": customer.name, "crm_tier": tier})
        if customer.alias_no and customer.alias_no in seen:
            rows.append(
                {
                    "cust_no": customer.alias_no,
                    "cust_name": customer.alias_name,
                    "crm_tier": DEFAULT_RECORD_TIER,
                }
            )
            if customer.tier != DEFAULT_RECORD_TIER:
                wrong.append(
                    {
                        "cust_no": customer.alias_no,
                        "crm_tier": DEFAULT_RECORD_TIER,
                        "true_tier": customer.tier,
                        "reason": "second record",
                    }
                )
    table = pd.DataFrame(rows, columns=["cust_no", "cust_name", "crm_tier"])
    table = table.sort_values("cust_no", kind="mergesort").reset_index(drop=True)
    return table, sorted(wrong, key=lambda w: w["cust_no"])
