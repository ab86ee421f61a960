"""Tiers imported from a CRM export, and how far the log's own profile disagrees with them.

The CRM's tier is what the company promises against, so it becomes the customer's tier
where the CRM lists the customer; the profile's tier is kept beside it and the two are
cross-tabulated (stale CRM tiers show up as disagreement).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from l2csim.errors import InputError
from l2csim.study import CrmTiers


def read_crm_tiers(spec: CrmTiers, path: Path) -> pd.Series:
    """Customer id → CRM tier from a CSV; columns are found by name unless the study names them."""
    if not path.is_file():
        raise InputError(f"{path}: CRM tier file not found (customers.crm_tiers.path).")
    try:
        table = pd.read_csv(path, dtype=str, keep_default_na=False, sep=None, engine="python")
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as error:
        raise InputError(f"{path}: not a readable CSV ({error}).") from None
    columns = list(table.columns)
    id_column = spec.id_column or next(
        (c for c in columns if "cust" in c.lower() and "name" not in c.lower()), columns[0]
    )
    tier_column = spec.tier_column or next((c for c in columns if "tier" in c.lower()), None)
    for wanted, key in ((id_column, "id_column"), (tier_column, "tier_column")):
        if wanted is None or wanted not in columns:
            raise InputError(
                f"{path}: no column {wanted or 'with a tier'!r}; name it with "
                f"customers.crm_tiers.{key} (columns here: {', '.join(columns)})."
            )
    tiers = table[[id_column, tier_column]].rename(columns={id_column: "id", tier_column: "tier"})
    tiers["id"] = tiers["id"].str.strip()
    tiers = tiers[tiers["id"] != ""].drop_duplicates("id", keep="last")
    return tiers.set_index("id")["tier"].str.strip()


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
