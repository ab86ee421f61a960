"""The pain-point backlog: every deviation ranked by what it costs the customer.

For each deviation, cases with it are compared with cases without it on lead time (days),
SLA attainment (share on time) and chase calls per order, each difference with its counts
and a 95% confidence interval (Welch's t for means, the normal approximation for shares).
These are associations, not proof of cause: a deviation can come with late orders because
late orders provoke it (a chase call does), which the backlog notes where a role makes it so.

Ranking: deviations whose difference is clear (some interval excludes zero) and that are
not rare come first, by excess customer-days (cases affected × extra lead time); the rest
("noise": rare or no clear difference) follow in the same order.
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd
from scipy import stats

from l2csim.mine.deviations import Deviation
from l2csim.mine.role_rules import CaseTable

Z95 = 1.959964


def mean_difference(with_: pd.Series, without: pd.Series) -> dict[str, Any]:
    """Difference of means (with - without) and Welch's 95% interval."""
    a, b = with_.dropna().astype(float), without.dropna().astype(float)
    out: dict[str, Any] = {"n_with": len(a), "n_without": len(b)}
    if len(a) < 2 or len(b) < 2:
        return {**out, "with": _r(a.mean()) if len(a) else None, "without": _r(b.mean()) if len(b) else None,
                "difference": None, "ci95": None}  # fmt: skip
    va, vb = a.var(ddof=1) / len(a), b.var(ddof=1) / len(b)
    diff = a.mean() - b.mean()
    se = math.sqrt(va + vb)
    if se == 0:
        half = 0.0
    else:
        dof = (va + vb) ** 2 / (va**2 / (len(a) - 1) + vb**2 / (len(b) - 1))
        half = float(stats.t.ppf(0.975, dof)) * se
    return {**out, "with": _r(a.mean()), "without": _r(b.mean()), "difference": _r(diff),
            "ci95": [_r(diff - half), _r(diff + half)]}  # fmt: skip


def share_difference(with_: pd.Series, without: pd.Series) -> dict[str, Any]:
    """Difference of shares (with - without), normal-approximation 95% interval."""
    a, b = with_.dropna().astype(float), without.dropna().astype(float)
    out: dict[str, Any] = {"n_with": len(a), "n_without": len(b)}
    if len(a) == 0 or len(b) == 0:
        return {**out, "with": None, "without": None, "difference": None, "ci95": None}
    pa, pb = a.mean(), b.mean()
    half = Z95 * math.sqrt(pa * (1 - pa) / len(a) + pb * (1 - pb) / len(b))
    diff = pa - pb
    return {**out, "with": _r(pa), "without": _r(pb), "difference": _r(diff),
            "ci95": [_r(diff - half), _r(diff + half)]}  # fmt: skip


def _r(value: float) -> float | None:
    return None if value is None or value != value else round(float(value), 6)


def _clear(metric: dict[str, Any] | None) -> bool:
    ci = metric.get("ci95") if metric else None
    return bool(ci) and (ci[0] > 0 or ci[1] < 0)


def rank_backlog(
    deviations: list[Deviation],
    cases: CaseTable,
    *,
    min_share: float,
    chase_activities: list[str],
) -> list[dict[str, Any]]:
    """Every deviation with its customer impact, ranked (see the module docstring)."""
    items = []
    for d in deviations:
        flags = d.flags.reindex(cases.lead_time_days.index, fill_value=False)
        lead = mean_difference(cases.lead_time_days[flags], cases.lead_time_days[~flags])
        item: dict[str, Any] = {
            "kind": d.kind,
            "activity": d.activity,
            "cases": int(flags.sum()),
            "case_share": round(float(flags.mean()), 6),
            "lead_time_days": lead,
            "sla_on_time": None,
            "chase_calls_per_order": None,
            "notes": [],
        }
        if cases.on_time is not None:
            item["sla_on_time"] = share_difference(cases.on_time[flags], cases.on_time[~flags])
        if cases.chase_calls is not None:
            if d.activity in chase_activities:
                item["notes"].append(
                    "is itself a chase call: its chase-call difference is not a consequence"
                )
            else:
                item["chase_calls_per_order"] = mean_difference(
                    cases.chase_calls[flags], cases.chase_calls[~flags]
                )
        clear = any(
            _clear(item[k]) for k in ("lead_time_days", "sla_on_time", "chase_calls_per_order")
        )
        rare = item["case_share"] < min_share
        item["signal"] = clear and not rare
        if rare:
            item["notes"].append(f"rare: fewer than {min_share:.0%} of cases")
        elif not clear:
            item["notes"].append("no clear difference: every 95% interval includes zero")
        diff = lead["difference"] if lead["difference"] is not None else 0.0
        item["excess_customer_days"] = round(item["cases"] * diff, 3)
        items.append(item)
    items.sort(
        key=lambda i: (
            not i["signal"],
            -i["excess_customer_days"],
            -i["cases"],
            i["kind"],
            i["activity"],
        )
    )
    for rank, item in enumerate(items, start=1):
        item["rank"] = rank
    return items
