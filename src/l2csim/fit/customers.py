"""Customer tiers and their SLAs as the model needs them: one Tier per label with its rank,
promise and order value.

Which tier each order belongs to is the shared rule (`l2csim.orders.case_tiers`: the log's
tier attribute, else the customers analysis' tiers or the CRM export). A tier keeps its
meaning in the rank: the study's tier labels (`customers.tiers.labels`, top first, then
`one_time`) and then the order of its `sla:` entries decide it, so key accounts are rank 0
and served first under tier priority whatever their order counts; only tiers the study
never names are ranked after those by orders per customer (a stated convention). The
promised lead time is the median of promise - arrival over the tier's orders (the study's
SLA: promised hours, or the promised-date attribute), else a stated default.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from l2csim.orders import UNKNOWN_TIER
from l2csim.params import Provenance, Tier
from l2csim.study import Study

DEFAULT_PROMISED_HOURS = 120.0


def tier_order(labels: list[str], study: Study | None, per_customer: pd.Series) -> list[str]:
    """Tiers, top first: by the study's meaning, then by orders per customer."""
    meaning: list[str] = []
    if study is not None:
        spec = study.customers.tiers
        meaning = [*spec.labels, spec.one_time, *study.sla]
    position = {name: i for i, name in reversed(list(enumerate(meaning)))}
    named = sorted((t for t in labels if t in position), key=lambda t: position[t])
    rest = sorted(
        (t for t in labels if t not in position),
        key=lambda t: (t == UNKNOWN_TIER, -per_customer.get(t, 0.0), str(t)),
    )
    return [*named, *rest]


def fit_tiers(
    cases: pd.DataFrame,
    tier_provenance: Provenance,
    study: Study | None,
    owed_at: dict[str, list[str]],
) -> list[Tier]:
    """One Tier per label in the cases, top tier rank 0 (see the module docstring)."""
    grouped = cases.groupby("tier", sort=True)
    customers = grouped["customer"].nunique()
    orders = grouped.size()
    per_customer = (orders / customers.where(customers > 0)).fillna(0.0)
    order = tier_order([str(t) for t in orders.index], study, per_customer)
    promise_hours = ((cases["promised"] - cases["arrival"]) / pd.Timedelta(hours=1)).where(
        cases["promised"].notna()
    )
    tiers = []
    for rank, name in enumerate(order):
        in_tier = cases["tier"] == name
        hours, provenance = _promised_hours(promise_hours[in_tier])
        values = cases.loc[in_tier, "value"].dropna()
        tiers.append(
            Tier(
                name=str(name),
                rank=rank,
                customers=int(customers[name]),
                promised_hours=hours,
                courtesy_owed_at=list(owed_at.get(str(name), [])),
                mean_order_value=float(values.mean()) if len(values) else 0.0,
                provenance=Provenance(
                    source=tier_provenance.source,
                    detail=f"{tier_provenance.detail}; {int(orders[name]):,} orders; "
                    f"promise: {provenance.source} ({provenance.detail})",
                ),
            )
        )
    return tiers


def _promised_hours(hours: pd.Series) -> tuple[float, Provenance]:
    hours = hours.dropna()
    hours = hours[hours > 0]
    if len(hours):
        median = float(np.median(hours))
        return median, Provenance(
            source="study", detail=f"median promise - arrival of {len(hours):,} orders (sla:)"
        )
    return DEFAULT_PROMISED_HOURS, Provenance(source="default", detail="no SLA or promise")
