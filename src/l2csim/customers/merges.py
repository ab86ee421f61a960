"""Customer merges: re-keyed customers become one canonical customer before anything is counted.

`l2csim customers` proposes pairs of ids that may be one customer (identity.candidate_pairs:
alike names with the same numbers and codes, or a shared e-mail / VAT / address when the
study maps them under `customers.match_columns`), weighs the evidence for each pair with a
Fellegi–Sunter model (linkage.link_customers: name, legal form, order timeline, product
lines, order value, match columns) and writes them to `customer_merges.csv` (id_a, id_b,
name_a, name_b, score, probability, orders_a, orders_b, decision, reviewed, reason).
Default decision: 'merge' where the match probability is at least
`customers.auto_merge_score` percent and the names allow it (never generic names such as
'Walk-in buyer', never names with different numbers); 'review' (not merged until a person
decides) from REVIEW_PROBABILITY; else 'keep'. `reason` lists the evidence for and against.
The consultant edits `decision` (merge / keep) and points the study file at the edited copy
(`customers: {merges: path}`); its decisions then win, and pairs it does not list get the
default decision with `reviewed` = no. Merged groups take the id with most orders (ties:
the smallest id) as canonical id.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from l2csim.customers.identity import candidate_pairs, parse_names
from l2csim.customers.linkage import customer_evidence, link_customers
from l2csim.errors import InputError
from l2csim.output import read_csv_table

MERGE_COLUMNS = [
    "id_a",
    "id_b",
    "name_a",
    "name_b",
    "score",
    "probability",
    "orders_a",
    "orders_b",
    "decision",
    "reviewed",
    "reason",
]
MERGE = "merge"
KEEP = "keep"
REVIEW = "review"
# Pairs at least this likely one customer, but not sure enough to merge, go to review.
REVIEW_PROBABILITY = 0.2
_DECISIONS = {
    "merge": MERGE,
    "yes": MERGE,
    "y": MERGE,
    "true": MERGE,
    "1": MERGE,
    "keep": KEEP,
    "keep apart": KEEP,
    "no": KEEP,
    "n": KEEP,
    "false": KEEP,
    "0": KEEP,
    "separate": KEEP,
    "review": REVIEW,
    "?": REVIEW,
}


def customer_names(orders: pd.DataFrame) -> pd.Series:
    """The name each customer id is most often written with (ties: alphabetically first)."""
    named = orders.dropna(subset=["customer", "customer_name"])
    if named.empty:
        return pd.Series(dtype="string", name="customer_name")
    counts = named.groupby(["customer", "customer_name"], sort=True).size().rename("n")
    counts = counts.reset_index().sort_values(
        ["customer", "n", "customer_name"], ascending=[True, False, True], kind="stable"
    )
    best = counts.drop_duplicates("customer")
    return best.set_index("customer")["customer_name"].astype("string")


def propose_merges(
    orders: pd.DataFrame,
    threshold: float = 90.0,
    auto_merge: float = 85.0,
    match_columns: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Candidate pairs of ids that may be one customer, with probability, decision, reason.

    `threshold`: name score (0-100) from which two names make a candidate pair;
    `auto_merge`: match probability in percent from which a pair is merged without review;
    `match_columns`: extra fields per order (index like `orders`), e.g. e-mail or VAT.
    """
    names = customer_names(orders)
    parsed = parse_names(names)
    evidence = customer_evidence(orders, match_columns)
    linked = None
    if match_columns is not None and len(match_columns.columns):
        columns = [c for c in evidence.columns if c.startswith("match:")]
        linked = evidence[columns].reindex(parsed.index)
    pairs = candidate_pairs(parsed, threshold=threshold, linked=linked)
    pairs, _ = link_customers(pairs, parsed, evidence)
    counts = evidence["orders"]
    decision, reason = default_decisions(pairs, auto_merge)
    pairs = pairs.assign(
        name_a=parsed["name"].reindex(pairs["id_a"]).to_numpy(),
        name_b=parsed["name"].reindex(pairs["id_b"]).to_numpy(),
        orders_a=counts.reindex(pairs["id_a"]).fillna(0).astype("int64").to_numpy(),
        orders_b=counts.reindex(pairs["id_b"]).fillna(0).astype("int64").to_numpy(),
        decision=decision,
        reviewed="no",
        reason=reason,
    )
    pairs = pairs.sort_values(
        ["probability", "id_a", "id_b"], ascending=[False, True, True], kind="stable"
    )
    return pairs[MERGE_COLUMNS].reset_index(drop=True)


def default_decisions(pairs: pd.DataFrame, auto_merge: float) -> tuple[np.ndarray, np.ndarray]:
    """Decision and reason per linked pair (see the module docstring for the rules)."""
    probability = pairs["probability"].to_numpy(dtype=float)
    sure = (probability * 100 >= auto_merge) & pairs["mergeable"].to_numpy(dtype=bool)
    unsure = (probability >= REVIEW_PROBABILITY) & pairs["reviewable"].to_numpy(dtype=bool)
    decision = np.select([sure, unsure], [MERGE, REVIEW], KEEP)
    return decision, pairs["reason"].to_numpy(dtype=object)


def read_merges(path: Path, known_ids: pd.Index | None = None) -> pd.DataFrame:
    """Read a reviewed merge table; every bad row is named with the fix.

    With `known_ids` (the log's customer ids), a row naming an id the log does not have is
    refused: a table from another log, or ids mangled by a spreadsheet, would merge nothing.
    """
    if not path.is_file():
        raise InputError(
            f"{path}: merge table not found; run l2csim customers once to get "
            "customer_merges.csv, review it and point customers.merges at the copy."
        )
    try:
        table = read_csv_table(path, dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as error:
        raise InputError(f"{path}: not a readable CSV merge table ({error}).") from None
    missing = [c for c in ("id_a", "id_b", "decision") if c not in table]
    if missing:
        raise InputError(
            f"{path}: column(s) {', '.join(missing)} missing; a merge table needs id_a, id_b "
            "and decision (merge or keep)."
        )
    for column in ("id_a", "id_b"):  # read_csv_table undid the formula guard of write_csv
        table[column] = table[column].str.strip()
    decision = table["decision"].str.strip().str.lower().map(_DECISIONS)
    bad = decision.isna()
    if bad.any():
        rows = ", ".join(str(i + 2) for i in np.flatnonzero(bad.to_numpy())[:5])
        raise InputError(
            f"{path}: line(s) {rows}: decision must be 'merge', 'keep' or 'review' "
            f"(got {table.loc[bad, 'decision'].iloc[0]!r})."
        )
    if known_ids is not None:
        known = set(map(str, known_ids))
        unknown = ~(table["id_a"].isin(known) & table["id_b"].isin(known))
        if unknown.any():
            rows = np.flatnonzero(unknown.to_numpy())
            names = [i for i in table.loc[unknown, ["id_a", "id_b"]].to_numpy().ravel()]
            missing_ids = sorted({i for i in names if i not in known})
            raise InputError(
                f"{path}: {len(rows)} row(s) (line(s) {', '.join(str(i + 2) for i in rows[:5])})"
                f" name customer id(s) that are not in the log: {', '.join(missing_ids[:5])}. "
                "Use a customer_merges.csv written by l2csim customers for this log (a "
                "spreadsheet may have cut leading zeros), or delete those rows."
            )
    return table.assign(decision=decision, reviewed="yes")


def combine_decisions(proposed: pd.DataFrame, reviewed: pd.DataFrame | None) -> pd.DataFrame:
    """The proposed pairs with the reviewed decisions applied, plus pairs only the review has."""
    if reviewed is None:
        return proposed
    key = ["id_a", "id_b"]
    review = reviewed.copy()
    swap = review["id_a"] > review["id_b"]
    review.loc[swap, key] = review.loc[swap, ["id_b", "id_a"]].to_numpy()
    review = review.drop_duplicates(key, keep="last").set_index(key)
    table = proposed.set_index(key)
    known = table.index.intersection(review.index)
    table.loc[known, "decision"] = review.loc[known, "decision"]
    table.loc[known, "reviewed"] = "yes"
    extra = review.index.difference(table.index)
    if len(extra):
        added = review.loc[extra].reindex(columns=table.columns)
        for column in ("score", "probability"):
            added[column] = pd.to_numeric(added[column], errors="coerce")
        table = pd.concat([table, added])
    table = table.reset_index().sort_values(
        ["probability", "id_a", "id_b"],
        ascending=[False, True, True],
        kind="stable",
        na_position="last",
    )
    return table[MERGE_COLUMNS].reset_index(drop=True)


def canonical_ids(orders: pd.DataFrame, decisions: pd.DataFrame) -> pd.Series:
    """Map every customer id to its canonical id (merged groups: the id with most orders)."""
    ids = pd.Index(sorted(orders["customer"].dropna().unique()), name="customer")
    mapping = pd.Series(ids, index=ids, name="canonical", dtype="string")
    merged = decisions[decisions["decision"] == MERGE]
    merged = merged[merged["id_a"].isin(ids) & merged["id_b"].isin(ids)]
    if merged.empty:
        return mapping
    a, b = ids.get_indexer(merged["id_a"]), ids.get_indexer(merged["id_b"])
    graph = coo_matrix((np.ones(len(a)), (a, b)), shape=(len(ids), len(ids)))
    _, group = connected_components(graph, directed=False)
    counts = orders.groupby("customer").size().reindex(ids).to_numpy()
    ranking = pd.DataFrame({"id": ids, "group": group, "orders": counts})
    ranking = ranking.sort_values(["group", "orders", "id"], ascending=[True, False, True])
    leader = ranking.drop_duplicates("group").set_index("group")["id"]
    return pd.Series(leader.reindex(group).to_numpy(), index=ids, name="canonical", dtype="string")
