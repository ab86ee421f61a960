"""Customer tiers and their SLAs: which tier each order belongs to and what was promised.

A case's tier comes from, in this order: a customer → tier table (--tiers: the customers
analysis' customers.csv or a CRM export; else the study's `customers.crm_tiers`), a tier case
attribute of the log, else one tier 'all'. Tiers are ranked by orders per customer (the most frequent
buyers first, rank 0), a stated convention a scenario can override. The promised lead time
comes from the study's SLA days when given, else from the log's promised-date attribute
(median of promise - order arrival; a date without a time means the end of that local day),
else a default; the provenance says which.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from l2csim.errors import InputError
from l2csim.log import CUSTOMER
from l2csim.output import read_csv_table
from l2csim.params import Provenance, Tier

ALL_TIERS = "all"
NO_TIER = "unknown"
DEFAULT_PROMISED_HOURS = 120.0
PROMISE_WORDS = ("promised", "promise", "due_date", "due")


def read_tier_table(path: Path, id_column: str | None = None, tier_column: str | None = None):
    """Customer id → tier from a CSV; columns found by name when not given."""
    try:
        table = read_csv_table(path, dtype=str, keep_default_na=False, na_values=[""])
    except (OSError, pd.errors.ParserError, UnicodeDecodeError) as error:
        raise InputError(f"{path}: cannot read the tier table ({error}).") from None
    columns = list(table.columns)
    if tier_column is None:  # an exact 'tier' (customers.csv) before crm_tier, profile_tier
        tier_column = (
            "tier" if "tier" in columns else next((c for c in columns if "tier" in c.lower()), None)
        )
    if id_column is None:
        id_column = next((c for c in columns if c != tier_column), None)
    for wanted, label in ((tier_column, "tier"), (id_column, "customer id")):
        if wanted is None or wanted not in columns:
            named = f" {wanted!r}" if wanted else ""
            raise InputError(
                f"{path}: no {label} column{named}; columns are {', '.join(columns)}. "
                "Give a CSV with a customer id column and a column whose name contains 'tier'."
            )
    table = table.dropna(subset=[id_column, tier_column])
    table[id_column] = table[id_column].str.strip()
    return table.drop_duplicates(id_column).set_index(id_column)[tier_column].str.strip()


def tier_attribute_of(events: pd.DataFrame) -> str | None:
    """A case attribute whose name says it holds the customer's tier."""
    return next((c for c in sorted(events.columns) if c.startswith("case:") and "tier" in c), None)


def assign_tiers(
    cases: pd.DataFrame,
    events: pd.DataFrame,
    tier_table: pd.Series | None,
    tier_attribute: str | None,
    source_name: str = "",
) -> tuple[pd.Series, Provenance]:
    """Each case's tier label and where the labels came from."""
    if tier_table is not None:
        tiers = cases["customer"].map(tier_table).fillna(NO_TIER)
        known = float((tiers != NO_TIER).mean())
        detail = f"customer tier table {source_name}: {known:.1%} of orders matched"
        return tiers.astype(object), Provenance(source="study", detail=detail)
    if tier_attribute is not None:
        from l2csim.log import CASE

        first = events.groupby(CASE, sort=True)[tier_attribute].first()
        tiers = first.reindex(cases.index).astype("string").fillna(NO_TIER).astype(object)
        return tiers, Provenance(source="log", detail=f"case attribute {tier_attribute}")
    return pd.Series(ALL_TIERS, index=cases.index, dtype=object), Provenance(
        source="default", detail="no tier table or tier attribute: one tier 'all'"
    )


def promise_column_of(events: pd.DataFrame) -> str | None:
    """A case attribute whose name says it holds the promised date."""
    columns = sorted(c for c in events.columns if c.startswith("case:"))
    for word in PROMISE_WORDS:
        for column in columns:
            if word in column.lower().removeprefix("case:"):
                return column
    return None


def promised_at(events: pd.DataFrame, cases: pd.DataFrame, column: str, timezone: str) -> pd.Series:
    """Each case's promised moment (UTC); a bare date means the end of that local day."""
    from l2csim.log import CASE

    raw = events.groupby(CASE, sort=True)[column].first().reindex(cases.index)
    if isinstance(raw.dtype, pd.DatetimeTZDtype):
        return raw.dt.tz_convert("UTC")
    parsed = pd.to_datetime(raw.astype("string"), format="ISO8601", errors="coerce", utc=False)
    if isinstance(parsed.dtype, pd.DatetimeTZDtype):
        return parsed.dt.tz_convert("UTC")
    if parsed.notna().any() and (parsed.dropna() == parsed.dropna().dt.normalize()).all():
        parsed = parsed + pd.Timedelta(days=1)
    return parsed.dt.tz_localize(
        timezone, ambiguous=True, nonexistent="shift_forward"
    ).dt.tz_convert("UTC")


def fit_tiers(
    cases: pd.DataFrame,
    tier_provenance: Provenance,
    promised: pd.Series | None,
    sla_days: dict[str, float],
    default_days: float | None,
    owed_at: dict[str, list[str]],
) -> list[Tier]:
    """One Tier per label in the cases, ranked by orders per customer (most first)."""
    grouped = cases.groupby("tier", sort=True)
    customers = grouped["customer"].nunique()
    orders = grouped.size()
    per_customer = (orders / customers.where(customers > 0)).fillna(0.0)
    order = sorted(orders.index, key=lambda t: (-per_customer[t], str(t)))
    promise_hours = None
    if promised is not None:
        promise_hours = ((promised - cases["arrival"]) / pd.Timedelta(hours=1)).where(
            promised.notna()
        )
    tiers = []
    for rank, name in enumerate(order):
        in_tier = cases["tier"] == name
        hours, provenance = _promised_hours(
            str(name), in_tier, promise_hours, sla_days, default_days
        )
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


def _promised_hours(
    name: str,
    in_tier: pd.Series,
    promise_hours: pd.Series | None,
    sla_days: dict[str, float],
    default_days: float | None,
) -> tuple[float, Provenance]:
    if name in sla_days:
        return float(sla_days[name]) * 24.0, Provenance(source="study", detail="sla days")
    if promise_hours is not None:
        hours = promise_hours[in_tier].dropna()
        hours = hours[hours > 0]
        if len(hours):
            median = float(np.median(hours))
            return median, Provenance(
                source="log", detail=f"median promise - arrival of {len(hours):,} orders"
            )
    if default_days is not None:
        return float(default_days) * 24.0, Provenance(source="study", detail="sla default days")
    return DEFAULT_PROMISED_HOURS, Provenance(source="default", detail="no SLA or promise")


def customer_column_present(events: pd.DataFrame) -> bool:
    return CUSTOMER in events and bool(events[CUSTOMER].notna().any())
