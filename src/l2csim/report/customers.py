"""The data-quality, customer-tier, SLA-attainment and overdue-key-account sections
(check's quality.json and the customers stage's tables)."""

from __future__ import annotations

import math

import pandas as pd

from l2csim.log import RESOURCE
from l2csim.report.html import missing, para, table
from l2csim.report.numbers import share, sig
from l2csim.report.words import Words

SEVERITY_ORDER = {"error": 0, "warning": 1, "info": 2}


def _money(value: object) -> str:
    return sig(float(value), 3) if isinstance(value, int | float) and math.isfinite(value) else ""


def quality_section(quality: dict | None, words: Words | None = None) -> str:
    words = words or Words()
    if quality is None:
        return missing("the data-quality check (check/quality.json)", "Run `l2csim check`.")
    findings = sorted(
        quality.get("findings", []),
        key=lambda f: (SEVERITY_ORDER.get(str(f.get("severity")), 3), str(f.get("kind"))),
    )
    intro = para(
        f"{quality.get('cases', 0):,} {words.cases} and {quality.get('events', 0):,} events "
        "checked; "
        f"{len(findings)} findings."
    )
    if not findings:
        return intro + para("No data-quality findings.")
    rows = [
        [
            str(f.get("severity", "")),
            str(f.get("message", "")),
            "(examples name people: withheld)"
            if f.get("column") == RESOURCE and not words.people.names
            else "; ".join(str(e) for e in (f.get("examples") or [])[:3]),
        ]
        for f in findings
    ]
    classes = [f"severity-{f.get('severity', '')}" for f in findings]
    return intro + table(
        ["Severity", "Finding", "Examples"], rows, cls="quality", row_classes=classes
    )


def tiers_section(
    tier_summary: pd.DataFrame | None, sla: pd.DataFrame | None, words: Words | None = None
) -> str:
    words = words or Words()
    parts = []
    if tier_summary is None:
        parts.append(
            missing("the customer tiers (customers/tier_summary.csv)", "Run `l2csim customers`.")
        )
    else:
        parts.append(
            table(
                [
                    "Tier",
                    "Customers",
                    words.cases.capitalize(),
                    f"Revenue ({words.money})",
                    "Share of revenue",
                    "Median days between orders",
                    "Set apart by",
                ],
                [
                    [
                        str(r["tier"]).replace("_", " "),
                        f"{int(r['customers']):,}",
                        f"{int(r['orders']):,}",
                        _money(r["revenue"]),
                        share(r["revenue_share"]),
                        sig(r["median_cadence_days"], 2),
                        str(r.get("set_apart_by") or ""),
                    ]
                    for r in tier_summary.to_dict("records")
                ],
                cls="tiers",
                caption="Customer tiers",
            )
        )
    if sla is None:
        parts.append(missing("SLA attainment (customers/sla.csv)", "Run `l2csim customers`."))
    else:
        overall = sla[(sla["segment"] == "all") & (sla["month"] == "all")]
        parts.append(
            table(
                [
                    "Tier",
                    f"{words.cases.capitalize()} judged",
                    "On time",
                    "Median lead time (h)",
                    "Owed courtesy calls made",
                    "Chase calls",
                    "Chase calls answered in time",
                ],
                [
                    [
                        str(r["tier"]).replace("_", " "),
                        f"{int(r['judged_orders']):,}",
                        share(r["attainment"]),
                        sig(r["median_lead_hours"], 3),
                        share(r["courtesy_made_share"]) if r["courtesy_owed"] else "none owed",
                        f"{int(r['chase_calls']):,}",
                        share(r["chase_response_attainment"]),
                    ]
                    for r in overall.to_dict("records")
                ],
                cls="sla",
                caption="SLA attainment per tier over the whole log",
            )
        )
    return "".join(parts)


def overdue_section(
    overdue: pd.DataFrame | None, words: Words | None = None, limit: int = 15
) -> str:
    words = words or Words()
    if overdue is None:
        return missing(
            "the overdue key accounts (customers/overdue.csv)", "Run `l2csim customers`."
        )
    key = overdue[overdue["tier"] == "key_account"]
    chosen = key if len(key) else overdue
    if chosen.empty:
        return para("No regular customer is overdue with its next order.")
    chosen = chosen.sort_values(
        ["value_at_stake", "customer"], ascending=[False, True], kind="stable"
    ).head(limit)
    label = "key accounts" if len(key) else "customers (no key account is overdue)"
    rows = [
        [
            str(r["customer_name"] or r["customer"]),
            str(r["tier"]).replace("_", " "),
            f"{int(r['orders']):,}",
            str(r["last_order"]),
            f"every {sig(r['cadence_days'], 2)} days",
            str(r["expected_date"]),
            share(r["confidence"]),
            _money(r["value_at_stake"]),
        ]
        for r in chosen.to_dict("records")
    ]
    return para(
        f"{len(chosen)} overdue {label}, the largest value at stake first: their regular "
        "order has not come when their own rhythm says it should have."
    ) + table(
        [
            "Customer",
            "Tier",
            words.cases.capitalize(),
            f"Last {words.case}",
            "Usually orders",
            "Expected by",
            "Confidence overdue",
            f"Value at stake ({words.money} a year)",
        ],
        rows,
        cls="overdue",
    )
