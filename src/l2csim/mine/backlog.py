"""The pain-point backlog: every deviation with what it costs the customer, sorted into
pain points, symptoms, good practice and what the log cannot tell.

For each deviation, cases with it are compared with cases without it on lead time (days),
SLA attainment (share on time) and chase calls per order, each difference with its counts
and a 95% confidence interval (Welch's t for means, the normal approximation for shares).
Orders still open at the log's end are left out of the lead-time comparison (their lead time
is not known yet). These are associations, not proof of cause.

Categories (`category`), in this order:
- `pain_point`: a cause whose harm is clear: some interval excludes zero on the harmful side
  (longer lead time, fewer on time, more chase calls); ranked by excess customer-days (cases
  x extra lead time, when that is clearly harmful), then extra late orders, then extra chase
  calls.
- `symptom`: what customers feel rather than a cause: the study's chase-call activities
  (a chase call comes with late orders because late orders provoke it). Lateness itself is
  summarised in `symptoms()`.
- `good_practice`: clearly better on some measure and clearly worse on none.
- `too_few`: fewer than MIN_GROUP orders with (or without) it: too few orders to say; no
  interval is given, since a narrow one from two orders would mislead.
- `rare` (fewer than `min_share` of cases) and `no_clear_effect` (every interval includes
  zero): noise.
`signal` is true for the first three: a clear difference in a common deviation.
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd
from scipy.special import stdtrit

from l2csim.mine.deviations import Deviation
from l2csim.mine.role_rules import CaseTable

Z95 = 1.959964
MIN_GROUP = 20  # orders on each side of a comparison before an interval is given
CATEGORIES = ("pain_point", "symptom", "good_practice", "too_few", "rare", "no_clear_effect")
# The harmful direction of each measure: +1 when more is worse.
HARM = {"lead_time_days": 1, "sla_on_time": -1, "chase_calls_per_order": 1}


def mean_difference(with_: pd.Series, without: pd.Series) -> dict[str, Any]:
    """Difference of means (with - without) and Welch's 95% interval."""
    a, b = with_.dropna().astype(float), without.dropna().astype(float)
    out: dict[str, Any] = {"n_with": len(a), "n_without": len(b)}
    if len(a) < 2 or len(b) < 2:
        return {**out, "with": _r(a.mean()) if len(a) else None, "without": _r(b.mean()) if len(b) else None,
                "difference": None, "ci95": None}  # fmt: skip
    if min(len(a), len(b)) < MIN_GROUP:  # too few orders to say: no interval
        return {**out, "with": _r(a.mean()), "without": _r(b.mean()),
                "difference": _r(a.mean() - b.mean()), "ci95": None, "too_few": True}  # fmt: skip
    va, vb = a.var(ddof=1) / len(a), b.var(ddof=1) / len(b)
    diff = a.mean() - b.mean()
    se = math.sqrt(va + vb)
    if se == 0:
        half = 0.0
    else:
        dof = (va + vb) ** 2 / (va**2 / (len(a) - 1) + vb**2 / (len(b) - 1))
        half = float(stdtrit(dof, 0.975)) * se  # = scipy.stats.t.ppf, without its import
    return {**out, "with": _r(a.mean()), "without": _r(b.mean()), "difference": _r(diff),
            "ci95": [_r(diff - half), _r(diff + half)]}  # fmt: skip


def share_difference(with_: pd.Series, without: pd.Series) -> dict[str, Any]:
    """Difference of shares (with - without), normal-approximation 95% interval."""
    a, b = with_.dropna().astype(float), without.dropna().astype(float)
    out: dict[str, Any] = {"n_with": len(a), "n_without": len(b)}
    if len(a) == 0 or len(b) == 0:
        return {**out, "with": None, "without": None, "difference": None, "ci95": None}
    pa, pb = a.mean(), b.mean()
    if min(len(a), len(b)) < MIN_GROUP:  # too few orders to say: no interval
        return {**out, "with": _r(pa), "without": _r(pb), "difference": _r(pa - pb),
                "ci95": None, "too_few": True}  # fmt: skip
    half = Z95 * math.sqrt(pa * (1 - pa) / len(a) + pb * (1 - pb) / len(b))
    diff = pa - pb
    return {**out, "with": _r(pa), "without": _r(pb), "difference": _r(diff),
            "ci95": [_r(diff - half), _r(diff + half)]}  # fmt: skip


def _r(value: float) -> float | None:
    return None if value is None or value != value else round(float(value), 6)


def _side(metric: dict[str, Any] | None, harm: int) -> int:
    """+1 when the interval lies clearly on the harmful side, -1 on the helpful side, else 0."""
    ci = metric.get("ci95") if metric else None
    if not ci:
        return 0
    if ci[0] > 0:
        return harm
    if ci[1] < 0:
        return -harm
    return 0


def _too_few(item: dict[str, Any]) -> bool:
    return (
        any((item[k] or {}).get("too_few") for k in HARM)
        or item["lead_time_days"]["difference"] is None
    )


def categorise(item: dict[str, Any], *, symptom: bool, rare: bool) -> str:
    """The item's category (see the module docstring)."""
    sides = [_side(item[k], h) for k, h in HARM.items()]
    if symptom:
        return "symptom"
    if _too_few(item):
        return "too_few"
    if rare:
        return "rare"
    if 1 in sides:
        return "pain_point"
    if -1 in sides:
        return "good_practice"
    return "no_clear_effect"


def symptoms(cases: CaseTable, still_open: pd.Series | None = None) -> dict[str, Any]:
    """What customers feel, over the whole log: late orders and chase calls."""
    found: dict[str, Any] = {"orders": len(cases.lead_time_days)}
    if still_open is not None:
        found["open_at_log_end"] = int(still_open.reindex(cases.lead_time_days.index).sum())
    if cases.on_time is not None:
        judged = cases.on_time.dropna()
        found["late"] = {
            "orders_judged": len(judged),
            "late_orders": int((judged == 0).sum()),
            "late_share": _r(1 - judged.mean()) if len(judged) else None,
        }
    if cases.chase_calls is not None:
        calls = cases.chase_calls
        found["chase_calls"] = {
            "calls": int(calls.sum()),
            "per_order": _r(calls.mean()) if len(calls) else None,
            "orders_chased_share": _r((calls > 0).mean()) if len(calls) else None,
        }
    return found


def rank_backlog(
    deviations: list[Deviation],
    cases: CaseTable,
    *,
    min_share: float,
    chase_activities: list[str],
    still_open: pd.Series | None = None,
) -> list[dict[str, Any]]:
    """Every deviation with its customer impact, categorised and ranked (module docstring).

    `still_open` marks the orders open at the log's end: their lead time is left out."""
    lead_days = cases.lead_time_days
    if still_open is not None:
        lead_days = lead_days.where(~still_open.reindex(lead_days.index, fill_value=False))
    items = []
    for d in deviations:
        flags = d.flags.reindex(lead_days.index, fill_value=False)
        lead = mean_difference(lead_days[flags], lead_days[~flags])
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
        symptom = d.activity in chase_activities
        if cases.chase_calls is not None:
            if symptom:
                item["notes"].append(
                    "a chase call is a symptom of lateness, not its cause: late orders provoke it"
                )
            else:
                item["chase_calls_per_order"] = mean_difference(
                    cases.chase_calls[flags], cases.chase_calls[~flags]
                )
        rare = item["case_share"] < min_share
        category = categorise(item, symptom=symptom, rare=rare)
        item["category"] = category
        item["signal"] = category in ("pain_point", "symptom", "good_practice")
        if category == "too_few":
            item["notes"].append(
                f"too few orders to say (fewer than {MIN_GROUP} with or without it)"
            )
        elif category == "rare":
            item["notes"].append(f"rare: fewer than {min_share:.0%} of cases")
        elif category == "no_clear_effect":
            item["notes"].append("no clear difference: every 95% interval includes zero")
        elif category == "pain_point" and -1 in [_side(item[k], h) for k, h in HARM.items()]:
            item["notes"].append("also clearly better on another measure: a trade-off")
        diff = lead["difference"] if lead["difference"] is not None else 0.0
        item["excess_customer_days"] = round(item["cases"] * diff, 3)
        item["harm"] = _harm(item)
        items.append(item)
    order = {c: i for i, c in enumerate(CATEGORIES)}
    items.sort(
        key=lambda i: (
            order[i["category"]],
            *(-abs(h) for h in i["harm"]),
            -i["cases"],
            i["kind"],
            i["activity"],
        )
    )
    for rank, item in enumerate(items, start=1):
        item["rank"] = rank
    return items


def _harm(item: dict[str, Any]) -> tuple[float, float, float]:
    """(excess customer-days, extra late orders, extra chase calls), each counted only where
    its interval is clearly harmful; improvements count as negative harm."""
    out = []
    for key, harm in HARM.items():
        metric = item[key] or {}
        side = _side(metric, harm)
        difference = metric.get("difference") or 0.0
        out.append(item["cases"] * difference * harm if side else 0.0)
    return (out[0], out[1], out[2])
