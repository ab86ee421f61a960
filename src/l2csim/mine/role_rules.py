"""The lead-to-cash role rules: who is owed a courtesy call, who chases, who is served on time.

Tiers come from a case attribute of the log (`mining.tier_attribute`) or from the CRM
export the customers analysis reads (`customers.crm_tiers`); which milestones each tier is
owed a courtesy call at, and its SLA (promised hours or a promised-date attribute), come
from the study's per-tier `sla:` (with `default` for tiers not listed). A tier owed no
milestones gets a courtesy call nobody expected (a one-time buyer, say).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from l2csim.customers.crm import read_crm_tiers
from l2csim.errors import InputError
from l2csim.log import ACTIVITY, CASE, CUSTOMER, TIMESTAMP
from l2csim.sla import UNKNOWN_TIER, sla_for
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
    on_time: pd.Series | None  # bool (NaN when not delivered / no promise)
    chase_calls: pd.Series | None


def case_attribute_columns(events: pd.DataFrame) -> list[str]:
    return [c for c in events.columns if c.startswith("case:") and c != CASE]


def build_case_table(
    events: pd.DataFrame, study: Study | None, lead_time_s: pd.Series
) -> CaseTable:
    """Everything per case the deviation catalogue and the backlog need, vectorised."""
    keys = [events[CASE], events[ACTIVITY]]
    counts = events.groupby(keys, sort=True).size().unstack(fill_value=0)
    first = events.groupby(keys, sort=True)[TIMESTAMP].min().unstack()
    attribute_columns = case_attribute_columns(events)
    attributes = events.groupby(CASE, sort=True)[attribute_columns].first()
    tier = case_tiers(attributes, study)
    roles = study.roles if study is not None else None
    chase = None
    if roles is not None and roles.chase_call:
        present = [a for a in roles.chase_call if a in counts]
        chase = counts[present].sum(axis=1) if present else pd.Series(0, index=counts.index)
    on_time = sla_attainment(first, attributes, tier, study)
    lead = (lead_time_s.reindex(counts.index) / 86400).rename("lead_time_days")
    return CaseTable(counts, first, attributes, tier, lead, on_time, chase)


def case_tiers(attributes: pd.DataFrame, study: Study | None) -> pd.Series | None:
    """Each case's tier: the log's tier attribute (`mining.tier_attribute`, default `tier`),
    else the customer's tier in the CRM export (`customers.crm_tiers`), else None."""
    name = study.mining.tier_attribute if study is not None else "tier"
    column = name if name.startswith("case:") else f"case:{name}"
    if column in attributes:
        return attributes[column].fillna(NO_TIER).astype(str)
    if study is None or study.customers.crm_tiers is None:
        return None
    spec = study.customers.crm_tiers
    crm = read_crm_tiers(spec, study.resolve(spec.path))
    if CUSTOMER not in attributes:
        raise InputError(
            f"{study.source}: customers.crm_tiers needs each order's customer; map "
            "log.columns.customer."
        )
    return attributes[CUSTOMER].map(crm).fillna(NO_TIER).astype(str)


def owed_milestones(tier: str, study: Study) -> list[str]:
    """The milestones at which `tier` is owed a courtesy call (`sla:`, `default` otherwise)."""
    rule = sla_for(tier, study.sla)
    return list(rule.courtesy_milestones) if rule is not None else []


def _delivered_at(first: pd.DataFrame, study: Study) -> pd.Series:
    delivered = [a for a in study.roles.delivered if a in first]
    if not delivered:
        return pd.Series(pd.NaT, index=first.index, dtype="datetime64[ns, UTC]")
    return first[delivered].min(axis=1)


def _received_at(first: pd.DataFrame, study: Study) -> pd.Series:
    begin = first.min(axis=1)
    received = [a for a in study.roles.order_received if a in first]
    return first[received].min(axis=1).fillna(begin) if received else begin


def _local_day(values: pd.Series, timezone: str) -> pd.Series:
    """Dates (or times) as naive local midnight; times with an offset are read in `timezone`."""
    parsed = pd.to_datetime(values, errors="coerce", utc=True, format="mixed")
    return parsed.dt.tz_convert(timezone).dt.tz_localize(None).dt.normalize()


def sla_attainment(
    first: pd.DataFrame, attributes: pd.DataFrame, tier: pd.Series | None, study: Study | None
) -> pd.Series | None:
    """Per case: delivered on time (1.0/0.0); NaN when not delivered or no SLA applies.

    Per tier (`sla:`, `default` for the rest): within `promised_hours` of the order being
    received, or by the end of the local day in the `promised_date` case attribute.
    """
    if study is None or not study.sla:
        return None
    delivered = _delivered_at(first, study)
    received = _received_at(first, study)
    timezone = study.log.timezone
    tiers = tier if tier is not None else pd.Series(NO_TIER, index=first.index)
    verdict = pd.Series(np.nan, index=first.index)
    for name in sorted(tiers.unique()):
        rule = sla_for(name, study.sla)
        rows = tiers == name
        if rule is None:
            continue
        if rule.promised_hours is not None:
            deadline = received[rows] + pd.Timedelta(hours=rule.promised_hours)
            on_time = delivered[rows] <= deadline
        elif rule.promised_date is not None:
            column = f"case:{rule.promised_date}"
            if column not in attributes:
                raise InputError(
                    f"{study.source}: sla.{name}.promised_date: the log has no case attribute "
                    f"{rule.promised_date!r}; list it under log.case_attributes."
                )
            promised = _local_day(attributes.loc[rows, column], timezone)
            done = delivered[rows].dt.tz_convert(timezone).dt.tz_localize(None).dt.normalize()
            on_time = (done <= promised).where(promised.notna())
        else:
            continue
        verdict[rows] = on_time.astype("float64").where(delivered[rows].notna() & on_time.notna())
    return verdict


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
