"""Customer merges: re-keyed customers become one canonical customer before anything is counted.

`l2csim customers` proposes pairs of ids with near-identical names (identity.similar_names)
in `customer_merges.csv` (id_a, id_b, name_a, name_b, score, orders_a, orders_b, decision,
reviewed, reason). Default decisions: 'keep' where both names carry a legal form and the
forms differ ('Stahlbau Rheine GmbH' / 'Stahlbau Rheine KG' are two legal entities) or one
name has a word the other lacks ('Wolf Gebäudetechnik Jülich' / 'Gebäudetechnik Jülich');
otherwise 'merge' at a score of at least `auto_merge_score` or when the names are one typo
apart, else 'review' (not merged until a person decides). `reason` says which rule applied. The consultant edits `decision` (merge / keep) and points the study file at the
edited copy (`customers: {merges: path}`); its decisions then win, and pairs it does not list
get the default decision with `reviewed` = no. Merged groups take the id with most orders
(ties: the smallest id) as canonical id.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
from rapidfuzz.distance import OSA
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from l2csim.customers.identity import LEGAL_FORMS, normalise_name, similar_names
from l2csim.errors import InputError
from l2csim.output import read_csv_table

MERGE_COLUMNS = [
    "id_a",
    "id_b",
    "name_a",
    "name_b",
    "score",
    "orders_a",
    "orders_b",
    "decision",
    "reviewed",
    "reason",
]
_WORDS = re.compile(r"[^\W_]+")
# German sole-trader form 'e.K.' (eingetragener Kaufmann), written 'ek' once dots are gone.
EXTRA_LEGAL_FORMS = frozenset({"ek"})
MERGE = "merge"
KEEP = "keep"
REVIEW = "review"
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
    orders: pd.DataFrame, threshold: float = 90.0, auto_merge: float = 93.0
) -> pd.DataFrame:
    """Candidate pairs of ids that may be one customer, with a default decision and reason."""
    names = customer_names(orders)
    pairs = similar_names(names, threshold=threshold)
    counts = orders.groupby("customer").size()
    decision, reason = default_decisions(pairs, auto_merge)
    pairs = pairs.assign(
        orders_a=counts.reindex(pairs["id_a"]).fillna(0).astype("int64").to_numpy(),
        orders_b=counts.reindex(pairs["id_b"]).fillna(0).astype("int64").to_numpy(),
        decision=decision,
        reviewed="no",
        reason=reason,
    )
    return pairs[MERGE_COLUMNS].reset_index(drop=True)


def default_decisions(pairs: pd.DataFrame, auto_merge: float) -> tuple[np.ndarray, np.ndarray]:
    """Decision and reason per candidate pair (see the module docstring for the rules)."""
    forms_a, forms_b = pairs["name_a"].map(legal_forms), pairs["name_b"].map(legal_forms)
    words_a, words_b = pairs["name_a"].map(_word_count), pairs["name_b"].map(_word_count)
    clash = (forms_a != "") & (forms_b != "") & (forms_a != forms_b)
    extra_word = words_a != words_b
    one_typo = _one_typo_apart(pairs["name_a"], pairs["name_b"])
    sure = (pairs["score"] >= auto_merge) | one_typo
    decision = np.select([clash, extra_word, ~sure], [KEEP, KEEP, REVIEW], MERGE)
    reason = np.select(
        [clash, extra_word, ~sure],
        [
            "legal forms differ: " + forms_a + " / " + forms_b,
            "one name has a word the other lacks",
            f"score below customers.auto_merge_score ({auto_merge:g}): check by hand",
        ],
        np.where(one_typo, "one typo apart", "near-identical names"),
    )
    return decision, reason


def _one_typo_apart(names_a: pd.Series, names_b: pd.Series) -> pd.Series:
    """Normalised names one edit apart (a swapped, missing or wrong letter), neither short.

    A hurried typist's 'Schuzl & Weber' scores only about 92 against 'Schulz & Weber', below
    the automatic-merge score, yet is as sure a re-keying as any.
    """
    pairs = zip(names_a.map(normalise_name), names_b.map(normalise_name), strict=True)
    return pd.Series(
        [min(len(a), len(b)) >= 8 and OSA.distance(a, b) <= 1 for a, b in pairs],
        index=names_a.index,
        dtype=bool,
    )


def _word_count(name: str) -> int:
    """Words of a name other than legal forms ('&' and punctuation are not words)."""
    words = _WORDS.findall(name.casefold().replace(".", ""))
    return sum(1 for w in words if w not in LEGAL_FORMS and w not in EXTRA_LEGAL_FORMS)


def legal_forms(name: str) -> str:
    """The legal-form words of a company name, normalised ('GmbH & Co. KG' -> 'co gmbh kg')."""
    words = set(_WORDS.findall(name.casefold().replace(".", "")))
    return " ".join(sorted(w for w in words if w in LEGAL_FORMS or w in EXTRA_LEGAL_FORMS))


def read_merges(path: Path) -> pd.DataFrame:
    """Read a reviewed merge table; every bad row is named with the fix."""
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
        table = pd.concat([table, added])
    table = table.reset_index().sort_values(
        ["score", "id_a", "id_b"], ascending=[False, True, True], kind="stable", na_position="last"
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
