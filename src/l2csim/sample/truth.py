"""The sample's ground truth (`event_logs/sample_truth.json`): what was planted, and how much.

Every rate is *realised*: computed from the events as written, not from the configured
probabilities, so a finding can be checked against it within a few percentage points. A
case's tier is the tier of the customer on its first event that names one (a re-keyed
number counts as its master's tier); cases without a customer are left out of tier rates.
Shares are fractions (0-1) over orders ("cases").

Keys:
- `period`: start, days, seed, orders, events.
- `tiers`: per tier, customers, orders, `sla_working_days` (promised_by = order day + that
  many working days + `line_lead_working_days` of the product line) and the milestones at
  which the SLA owes a courtesy call.
- `courtesy_calls`: per tier, `share_of_orders_with_call`; for tiers owed calls,
  `owed_calls` (milestone events in the tier's orders), `calls_made` and
  `owed_calls_missing_share` = 1 - calls_made / owed_calls (calls there are only made at owed
  milestones, at most one per milestone).
- `rework`: "Correct order data"; `share_of_orders` by product line, by channel, and for
  orders of re-keyed customers vs all others.
- `chase_calls`: by tier, `per_order` (mean "Customer chase call" events per order),
  `share_of_orders_chased`; `share_of_chased_orders_expedited` ("Expedite order").
- `sla`: by tier, `late_share` = Delivered (local date) after promised_by.
- `informal_activities`: team → activity → share of the team's orders that have it.
- `skipped_steps`: "Credit check" missing, share of orders by product line.
- `order_violations`: "Order confirmed" after "Pick and pack", share by product line.
- `customers`: every customer number (masters and re-keyed numbers) with name, tier, master.
- `rekeyed_customers`: master/duplicate number and name pairs and how the name differs,
  for duplicates that appear in the log (a duplicate record that never ordered is invisible).
- `rekeyed_orders`: cases whose cust_no or order_value changes inside the case.
- `stopped_key_accounts`: key accounts whose regular order stops for outside reasons:
  cust_no, stop_date (no order received on or after it), last_order_date, cadence_days.
- `churned_customers`: who stopped after a bad experience: date (the delivery that decided
  it), last_order_date and the experience before it (orders, late, chase and courtesy calls).
- `crm`: tier labels in sample_crm_tiers.csv that are stale or wrong.
- `data_quality`: exact duplicate events, activity-name variants, cases without customer,
  events timestamped before the event that precedes them in the case.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd

from l2csim.sample.customers import PRODUCT_LINES, TIER_POLICIES, TIERS, Customer
from l2csim.sample.faults import CANONICAL_RECEIVED, PlantedFaults
from l2csim.sample.operation import CHANNELS, LINE_LEAD_DAYS, STAFF, Operation

INFORMAL = ("Check spares dashboard", "Technical clarification")
DIGITS = 6


def tier_of_number(customers: list[Customer]) -> dict[str, str]:
    mapping = {c.cust_no: c.tier for c in customers}
    mapping.update({c.alias_no: c.tier for c in customers if c.alias_no})
    return dict(sorted(mapping.items()))


def case_table(events: pd.DataFrame, tiers: dict[str, str]) -> pd.DataFrame:
    """One row per order: attributes, tier, activity counts and first times."""
    grouped = events.groupby("order_ref", sort=True)
    cases = grouped[["product_line", "channel", "team"]].first()
    cases["cust_no"] = grouped["cust_no"].first()  # first non-missing
    cases["tier"] = cases["cust_no"].map(tiers)
    counts = pd.crosstab(events["order_ref"], events["event"])
    cases = cases.join(counts)
    firsts = events.groupby(["order_ref", "event"])["event_time"].min().unstack()
    cases = cases.join(firsts, rsuffix=" at")
    return cases


def _share(flags: pd.Series) -> float:
    return round(float(flags.mean()), DIGITS) if len(flags) else 0.0


def _by(cases: pd.DataFrame, key: str, flags: pd.Series, levels: tuple[str, ...]) -> dict:
    return {level: _share(flags[cases[key] == level]) for level in levels}


def build_truth(
    events: pd.DataFrame,
    operation: Operation,
    faults: PlantedFaults,
    crm_faults: list[dict[str, str]],
    seed: int,
    start: dt.date,
    days: int,
) -> dict[str, Any]:
    customers = [s.customer for s in operation.customers]
    tiers = tier_of_number(customers)
    cases = case_table(events, tiers)
    ordering_numbers = set(
        events["cust_no"].dropna()
    )  # a re-keyed record that never ordered is invisible

    def count(activity: str) -> pd.Series:
        """How often each order has `activity` (0 if the log never shows it)."""
        return cases.get(activity, pd.Series(0, index=cases.index)).fillna(0)

    known = cases["tier"].notna()

    courtesy: dict[str, Any] = {}
    for tier in TIERS:
        in_tier = cases["tier"] == tier
        entry: dict[str, Any] = {
            "share_of_orders_with_call": _share(count("Courtesy call")[in_tier] > 0)
        }
        owed_at = TIER_POLICIES[tier].courtesy_milestones
        if owed_at:
            owed = int(sum(count(m)[in_tier].sum() for m in owed_at))
            made = int(count("Courtesy call")[in_tier].sum())
            entry.update(
                owed_calls=owed,
                calls_made=made,
                owed_calls_missing_share=round(1 - made / owed, DIGITS) if owed else 0.0,
            )
        courtesy[tier] = entry

    rework_flag = count("Correct order data") > 0
    rekeyed_numbers = {c.alias_no for c in customers if c.alias_no} | {
        c.cust_no for c in customers if c.alias_no
    }
    of_rekeyed = cases["cust_no"].isin(sorted(rekeyed_numbers))
    rework = {
        "by_product_line": _by(cases, "product_line", rework_flag, PRODUCT_LINES),
        "by_channel": _by(cases, "channel", rework_flag, CHANNELS),
        "rekeyed_customers": _share(rework_flag[of_rekeyed]),
        "other_customers": _share(rework_flag[~of_rekeyed]),
        "overall": _share(rework_flag),
    }

    chases = count("Customer chase call")
    expedited = count("Expedite order") > 0
    chase = {
        tier: {
            "per_order": round(float(chases[cases["tier"] == tier].mean()), DIGITS),
            "share_of_orders_chased": _share(chases[cases["tier"] == tier] > 0),
        }
        for tier in TIERS
    }
    chase_calls = {
        "by_tier": chase,
        "share_of_chased_orders_expedited": _share(expedited[chases > 0]),
        "total": int(chases.sum()),
    }

    promised = events.groupby("order_ref", sort=True)["promised_by"].first()
    delivered_day = cases["Delivered at"].dt.strftime("%Y-%m-%d")
    late = delivered_day > promised.reindex(cases.index)
    sla = {tier: {"late_share": _share(late[cases["tier"] == tier])} for tier in TIERS}

    informal = {}
    for team in sorted(cases["team"].unique()):
        in_team = cases["team"] == team
        shares = {a: _share(count(a)[in_team] > 0) for a in INFORMAL}
        informal[team] = {a: s for a, s in shares.items() if s > 0}

    skipped = {
        "Credit check": _by(cases, "product_line", count("Credit check") == 0, PRODUCT_LINES)
    }
    violation = cases["Order confirmed at"] > cases["Pick and pack at"]
    violations = {
        "Order confirmed after Pick and pack": _by(cases, "product_line", violation, PRODUCT_LINES)
    }

    clock = operation.clock

    def iso(minutes: float) -> str:
        return clock.moment(round(minutes * 60) / 60).replace(microsecond=0).isoformat()

    def day(minutes: float) -> str:
        return clock.local_date(minutes).isoformat()

    received = events[events["event"].str.lower().str.split().str.join(" ") == "order received"]
    last_received = received.groupby("cust_no")["event_time"].max()
    stopped = []
    churned = []
    for state in operation.customers:
        c = state.customer
        if c.stop_day is not None:
            last = last_received.get(c.cust_no)
            stopped.append(
                {
                    "cust_no": c.cust_no,
                    "cust_name": c.name,
                    "stop_date": (start + dt.timedelta(days=c.stop_day)).isoformat(),
                    "last_order_date": last.date().isoformat() if last is not None else None,
                    "cadence_days": [round(x, 1) for x in c.cadence_days],
                }
            )
        if state.churned_at is not None:
            churned.append(
                {
                    "cust_no": c.cust_no,
                    "cust_name": c.name,
                    "tier": c.tier,
                    "date": day(state.churned_at),
                    "last_order_date": day(state.last_order_at),
                    "experience": {
                        "orders": state.orders,
                        "late_orders": state.late_orders,
                        "chase_calls": state.chase_calls,
                        "courtesy_calls": state.courtesy_calls,
                        "deciding_order": state.deciding_order,
                    },
                }
            )

    rekeyed_orders = [
        {"order_ref": o.ref, "changes": o.changes} for o in operation.orders if o.changes
    ]
    duplicate_mask = events.duplicated(keep="first")
    data_quality = {
        "exact_duplicate_events": int(duplicate_mask.sum()),
        "duplicate_events": faults.duplicates,
        "activity_name_variants": {CANONICAL_RECEIVED: faults.variant_counts},
        "activity_name_variant_share_of_events": round(
            sum(faults.variant_counts.values()) / len(events), DIGITS
        ),
        "cases_without_customer": faults.cases_without_customer,
        "timestamp_order_faults": [
            {
                "order_ref": f["order_ref"],
                "event": f["event"],
                "before_event": f["before_event"],
                "recorded_time": iso(f["_recorded"] / 60.0),
                "true_time": iso(f["_true"] / 60.0),
            }
            for f in faults.timestamp_faults
        ],
    }

    return {
        "period": {
            "start": start.isoformat(),
            "days": days,
            "seed": seed,
            "orders": len(cases),
            "events": len(events),
            "timezone": "Europe/Berlin",
        },
        "tiers": {
            tier: {
                "customers": sum(1 for c in customers if c.tier == tier),
                "orders": int((cases["tier"] == tier).sum()),
                "sla_working_days": TIER_POLICIES[tier].sla_working_days,
                "courtesy_call_owed_at": list(TIER_POLICIES[tier].courtesy_milestones),
            }
            for tier in TIERS
        },
        "line_lead_working_days": dict(LINE_LEAD_DAYS),
        "orders_without_known_tier": int((~known).sum()),
        "courtesy_calls": courtesy,
        "rework": rework,
        "chase_calls": chase_calls,
        "sla": sla,
        "informal_activities": informal,
        "skipped_steps": skipped,
        "order_violations": violations,
        "teams": {team: list(names) for team, names in STAFF.items()},
        "customers": _customer_list(customers),
        "rekeyed_customers": [
            {
                "master": c.cust_no,
                "master_name": c.name,
                "duplicate": c.alias_no,
                "duplicate_name": c.alias_name,
                "difference": c.alias_kind,
            }
            for c in sorted(customers, key=lambda c: c.cust_no)
            if c.alias_no and c.alias_no in ordering_numbers
        ],
        "rekeyed_orders": rekeyed_orders,
        "stopped_key_accounts": sorted(stopped, key=lambda s: s["cust_no"]),
        "churned_customers": sorted(churned, key=lambda s: s["cust_no"]),
        "data_quality": data_quality,
        "crm": {
            "wrong_tiers": crm_faults,
            "wrong_share": round(len(crm_faults) / len(tiers), DIGITS),
        },
    }


def _customer_list(customers: list[Customer]) -> list[dict[str, str]]:
    """Every customer number the log can show, with its real customer's tier."""
    rows = [
        {"cust_no": c.cust_no, "cust_name": c.name, "tier": c.tier, "master": c.cust_no}
        for c in customers
    ]
    rows += [
        {
            "cust_no": c.alias_no,
            "cust_name": c.alias_name or c.name,
            "tier": c.tier,
            "master": c.cust_no,
        }
        for c in customers
        if c.alias_no
    ]
    return sorted(rows, key=lambda r: r["cust_no"])
