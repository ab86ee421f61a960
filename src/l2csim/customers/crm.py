"""Tiers imported from a CRM export, and how far the log's own profile disagrees with them.

The CRM's tier is what the company promises against, so it becomes the customer's tier
where the CRM lists the customer; the profile's tier is kept beside it and the two are
cross-tabulated (stale CRM tiers show up as disagreement).
"""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd

from l2csim.errors import InputError
from l2csim.output import read_csv_table


def read_tier_table(
    path: Path, id_column: str | None = None, tier_column: str | None = None, key: str = "tiers"
) -> pd.Series:
    """Customer id -> tier from a CSV: the one reader for CRM exports and customers.csv.

    The separator is sniffed (comma, semicolon, tab...). Columns are found by name unless
    given: the tier column is `tier`, else the first whose name contains "tier"; the id
    column is `customer_id`, else the first whose name contains "cust" but not "name", else
    the first other column. Ids and tiers are stripped; rows without either are dropped; a
    later row for the same id overrides an earlier one (an export appended to). `key` names
    the study key in messages.
    """
    if not path.is_file():
        raise InputError(f"{path}: tier file not found ({key}).")
    try:
        table = read_csv_table(path, dtype=str, keep_default_na=False, sep=None, engine="python")
    except (
        pd.errors.ParserError,
        pd.errors.EmptyDataError,
        UnicodeDecodeError,
        csv.Error,
    ) as error:
        raise InputError(f"{path}: not a readable CSV ({error}).") from None
    columns = list(table.columns)
    if tier_column is None:
        tier_column = (
            "tier" if "tier" in columns else next((c for c in columns if "tier" in c.lower()), None)
        )
    if id_column is None:
        id_column = (
            "customer_id"
            if "customer_id" in columns
            else next(
                (c for c in columns if "cust" in c.lower() and "name" not in c.lower()),
                next((c for c in columns if c != tier_column), None),
            )
        )
    for wanted, label, name in (
        (tier_column, "tier", "tier_column"),
        (id_column, "customer id", "id_column"),
    ):
        if wanted is None or wanted not in columns:
            named = f" {wanted!r}" if wanted else ""
            fix = (
                f"Name it with {key}.{name}"
                if key.isidentifier() or "." in key
                else "Give a CSV with a customer id column and a column whose name contains 'tier'"
            )
            raise InputError(
                f"{path}: no {label} column{named}; columns are {', '.join(columns)}. {fix}."
            )
    tiers = table[[id_column, tier_column]].set_axis(["id", "tier"], axis=1)
    tiers = tiers.apply(lambda column: column.str.strip())
    tiers = tiers[(tiers["id"] != "") & (tiers["tier"] != "")]
    tiers = tiers.drop_duplicates("id", keep="last")
    return tiers.set_index("id")["tier"].sort_index()


def crm_tier_of_canonical(crm: pd.Series, canonical: pd.Series) -> pd.Series:
    """CRM tier per canonical id: the canonical id's own entry, else its first merged id's."""
    members = pd.DataFrame({"id": canonical.index, "canonical": canonical.to_numpy()})
    members["own"] = members["id"] == members["canonical"]
    members["tier"] = crm.reindex(members["id"]).to_numpy()
    members = members.dropna(subset=["tier"]).sort_values(
        ["canonical", "own", "id"], ascending=[True, False, True]
    )
    return members.drop_duplicates("canonical").set_index("canonical")["tier"]


def disagreement(profile_tier: pd.Series, crm_tier: pd.Series) -> dict:
    """Agreement share and the cross-table (CRM tier x profile tier) over customers in both."""
    both = pd.DataFrame({"crm": crm_tier, "profile": profile_tier}).dropna()
    table = pd.crosstab(both["crm"], both["profile"])
    return {
        "customers_compared": len(both),
        "agreement_share": round(float((both["crm"] == both["profile"]).mean()), 4)
        if len(both)
        else None,
        "crm_by_profile": {
            str(crm): {str(p): int(n) for p, n in row.items() if n} for crm, row in table.iterrows()
        },
    }
