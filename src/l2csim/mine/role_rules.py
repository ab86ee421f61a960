"""The lead-to-cash role rules: who is owed a courtesy call, who chases, who is served on time.

Tiers and SLA verdicts come from the one order table (`l2csim.orders.case_tiers` and
`judged_orders`), so mine, customers, fit and validate agree on every order; which
milestones each tier is owed a courtesy call at comes from the study's per-tier `sla:`
(with `default` for tiers not listed). A tier owed no milestones gets a courtesy call
nobody expected (a one-time buyer, say).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from l2csim.log import ACTIVITY, CASE, TIMESTAMP
from l2csim.orders import UNKNOWN_TIER, case_tiers, judged_orders
from l2csim.sla import sla_for
from l2csim.study import Study

NO_TIER = UNKNOWN_TIER


@dataclass(frozen=True)
class CaseTable:
    """One row per case: activity counts, first times, tier, outcomes. Index: case id."""

    counts: pd.DataFrame  # case × activity → number of events
    first: pd.DataFrame  # case × activity → first completion time
    attributes: pd.DataFrame  # case:* attributes (first non-missing value per case)
    tier: pd.Series | None
    lead_time_days: pd.Series
    on_time: pd.Series | None  # 1.0 / 0.0; NaN when no SLA applies or open and not yet due
    chase_calls: pd.Series | None


def case_attribute_columns(events: pd.DataFrame) -> list[str]:
    return [c for c in events.columns if c.startswith("case:") and c != CASE]


def build_case_table(
    events: pd.DataFrame, study: Study | None, lead_time_s: pd.Series
) -> CaseTable:
    """Everything per case the deviation catalogue and the backlog need, vectorised."""
    keys = [events[CASE], events[ACTIVITY]]
    counts = events.groupby(keys, sort=True).size().unstack(fill_value=0)
    first = events.groupby(keys, sort=True)[TIMESTAMP].min()
    first = first.unstack()
    attribute_columns = case_attribute_columns(events)
    attributes = events.groupby(CASE, sort=True)[attribute_columns].first()
    tier = case_tiers(events, study)
    roles = study.roles if study is not None else None
    chase = None
    if roles is not None and roles.chase_call:
        present = [a for a in roles.chase_call if a in counts]
        chase = counts[present].sum(axis=1) if present else pd.Series(0, index=counts.index)
    on_time = None
    if study is not None and study.sla:
        _, judged = judged_orders(events, study, tier)
        late = judged.set_index("case")["late"]
        on_time = (1.0 - late.astype(float)).reindex(counts.index)
    lead = (lead_time_s.reindex(counts.index) / 86400).rename("lead_time_days")
    return CaseTable(counts, first, attributes, tier, lead, on_time, chase)


def owed_milestones(tier: str, study: Study) -> list[str]:
    """The milestones at which `tier` is owed a courtesy call (`sla:`, `default` otherwise)."""
    rule = sla_for(tier, study.sla)
    return list(rule.courtesy_milestones) if rule is not None else []


def _share(flags: pd.Series) -> float | None:
    return round(float(flags.mean()), 6) if len(flags) else None


def courtesy_rules(
    cases: CaseTable, study: Study | None
) -> tuple[dict[str, Any], dict[str, pd.Series]]:
    """Courtesy calls per tier, and the two deviations they can show (as case flags)."""
    if study is None or not study.roles.courtesy_call or cases.tier is None:
        return {}, {}
    counts = cases.counts
    calls = counts[[a for a in study.roles.courtesy_call if a in counts]].sum(axis=1)
    owed_by_tier = {t: owed_milestones(t, study) for t in sorted(cases.tier.unique())}
    owed = pd.Series(0, index=counts.index)
    for tier_name, milestones in owed_by_tier.items():
        present = [m for m in milestones if m in counts]
        if present:
            in_tier = cases.tier == tier_name
            owed = owed.where(~in_tier, counts[present].sum(axis=1))
    owed_tier = cases.tier.isin([t for t, m in owed_by_tier.items() if m])
    result: dict[str, Any] = {}
    for tier_name in sorted(cases.tier.unique()):
        in_tier = cases.tier == tier_name
        entry: dict[str, Any] = {
            "orders": int(in_tier.sum()),
            "share_of_orders_with_call": _share(calls[in_tier] > 0),
            "owed_milestones": list(owed_by_tier.get(tier_name, [])),
        }
        if owed_by_tier.get(tier_name):
            owed_calls, made = int(owed[in_tier].sum()), int(calls[in_tier].sum())
            entry.update(
                owed_calls=owed_calls,
                calls_made=made,
                owed_calls_missing_share=round(1 - made / owed_calls, 6) if owed_calls else None,
            )
        result[tier_name] = entry
    flags = {
        ("courtesy_call_not_owed", "Courtesy call"): (calls > 0)
        & ~owed_tier
        & (cases.tier != NO_TIER),
        ("milestone_call_missing", "Courtesy call"): owed_tier & (calls < owed),
    }
    return result, flags


def chase_rules(cases: CaseTable, segment_columns: list[str]) -> dict[str, Any]:
    """Chase calls per order, overall, by tier and by each segment attribute."""
    if cases.chase_calls is None:
        return {}
    chase = cases.chase_calls

    def summary(mask: pd.Series) -> dict[str, Any]:
        part = chase[mask]
        return {
            "orders": int(mask.sum()),
            "per_order": round(float(part.mean()), 6) if len(part) else None,
            "share_of_orders_chased": _share(part > 0),
        }

    result: dict[str, Any] = {"overall": summary(pd.Series(True, index=chase.index))}
    if cases.tier is not None:
        result["by_tier"] = {t: summary(cases.tier == t) for t in sorted(cases.tier.unique())}
    for column in segment_columns:
        if column in cases.attributes:
            values = cases.attributes[column].astype(str)
            result[f"by_{column.removeprefix('case:')}"] = {
                v: summary(values == v) for v in sorted(values.unique())
            }
    return result


def sla_summary(cases: CaseTable) -> dict[str, Any]:
    """SLA attainment overall and by tier (share of delivered orders on time)."""
    if cases.on_time is None:
        return {}
    on_time = cases.on_time

    def summary(mask: pd.Series) -> dict[str, Any]:
        part = on_time[mask].dropna()
        return {
            "orders_judged": len(part),
            "on_time_share": _share(part),
            "late_share": round(1 - float(part.mean()), 6) if len(part) else None,
        }

    result: dict[str, Any] = {"overall": summary(pd.Series(True, index=on_time.index))}
    if cases.tier is not None:
        result["by_tier"] = {t: summary(cases.tier == t) for t in sorted(cases.tier.unique())}
    return result
