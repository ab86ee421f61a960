"""The lead-to-cash role rules: who is owed a courtesy call, who chases, who is served on time.

Tiers come from a case attribute of the log or from a CSV of customer id and tier (study
file `tiers:`); which milestones each tier is owed a courtesy call at comes from
`tiers.owed_courtesy_milestones`. A tier not listed there is owed none, so a courtesy call
to it (a one-time buyer, say) is a call nobody expected. SLA attainment (study file `sla:`)
compares the delivery with a promised date in the log or a number of days per tier.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from l2csim.errors import InputError
from l2csim.log import ACTIVITY, CASE, CUSTOMER, TIMESTAMP
from l2csim.study import Study

NO_TIER = "(unknown)"


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
    """Each case's tier, from the log's tier attribute or the customer's row in the tier CSV."""
    if study is None or study.tiers is None:
        if "case:tier" in attributes:
            return attributes["case:tier"].fillna(NO_TIER).astype(str)
        return None
    spec = study.tiers
    column = spec.case_attribute
    if column is not None:
        if column not in attributes:
            raise InputError(
                f"{study.source}: tiers.attribute: the log has no case attribute {column!r}; "
                "list it under log.case_attributes."
            )
        return attributes[column].fillna(NO_TIER).astype(str)
    path = study.tiers_path
    if path is None:
        raise InputError(f"{study.source}: tiers: give either `attribute` or `path`.")
    if not path.is_file():
        raise InputError(f"{study.source}: tiers.path: {path} does not exist.")
    try:
        table = pd.read_csv(path, dtype=str)
    except Exception as error:  # pandas raises several kinds for unreadable CSV
        raise InputError(f"{path}: not a readable CSV ({type(error).__name__}).") from None
    for name in (spec.id_column, spec.tier_column):
        if name not in table:
            raise InputError(
                f"{path}: no column {name!r}; columns: {', '.join(table.columns)}. Set "
                "tiers.id_column and tiers.tier_column in the study file."
            )
    if CUSTOMER not in attributes:
        raise InputError(
            f"{study.source}: tiers.path needs the customer of each order; map log.columns.customer."
        )
    lookup = table.drop_duplicates(spec.id_column).set_index(spec.id_column)[spec.tier_column]
    return attributes[CUSTOMER].map(lookup).fillna(NO_TIER).astype(str)


def _delivered_at(first: pd.DataFrame, study: Study) -> pd.Series:
    delivered = [a for a in study.roles.delivered if a in first]
    if not delivered:
        return pd.Series(pd.NaT, index=first.index, dtype="datetime64[ns, UTC]")
    return first[delivered].min(axis=1)


def sla_attainment(
    first: pd.DataFrame, attributes: pd.DataFrame, tier: pd.Series | None, study: Study | None
) -> pd.Series | None:
    """Per case: delivered on time (True/False), NaN when not delivered or no promise known."""
    if study is None or study.sla is None:
        return None
    spec = study.sla
    delivered = _delivered_at(first, study)
    timezone = study.log.timezone
    if spec.promised_column is not None:
        column = spec.promised_column
        if column not in attributes:
            raise InputError(
                f"{study.source}: sla.promised_by: the log has no case attribute {column!r}; "
                "list it under log.case_attributes."
            )
        promised = pd.to_datetime(attributes[column], errors="coerce", utc=False)
        if getattr(promised.dt, "tz", None) is None and (promised.dt.normalize() == promised).all():
            # a promised *date*: on time when delivered by the end of that local day
            local_day = delivered.dt.tz_convert(timezone).dt.tz_localize(None).dt.normalize()
            verdict = local_day <= promised
        else:
            if getattr(promised.dt, "tz", None) is None:
                promised = promised.dt.tz_localize(timezone)
            verdict = delivered <= promised
        known = delivered.notna() & promised.notna()
    else:
        days = pd.Series(spec.default_days, index=first.index, dtype="float64")
        if tier is not None and spec.days_by_tier:
            days = tier.map(spec.days_by_tier).astype("float64").fillna(days)
        begin = first.min(axis=1)
        received = [a for a in study.roles.order_received if a in first]
        if received:
            begin = first[received].min(axis=1).fillna(begin)
        deadline = begin + pd.to_timedelta(days, unit="D")
        verdict = delivered <= deadline
        known = delivered.notna() & days.notna()
    return verdict.astype("float64").where(known)


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
    owed_by_tier = study.tiers.owed_courtesy_milestones if study.tiers is not None else {}
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
