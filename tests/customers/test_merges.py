"""Customer merges on hard name sets with known truth: precision, recall, reasons, tiers."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from customers.hard_names import hard_orders, scores
from l2csim.customers.identity import parse_names
from l2csim.customers.merges import (
    canonical_ids,
    customer_names,
    propose_merges,
    read_merges,
)
from l2csim.customers.profiles import profile_customers
from l2csim.customers.tiers import assign_tiers
from l2csim.errors import InputError
from l2csim.study import TierSpec

SEEDS = range(1, 7)


@pytest.fixture(scope="module")
def runs() -> list[tuple[pd.DataFrame, object, pd.DataFrame]]:
    out = []
    for seed in SEEDS:
        orders, truth = hard_orders(seed)
        out.append((orders, truth, propose_merges(orders)))
    return out


def test_auto_merges_are_precise_and_find_most_rekeyed_customers(runs) -> None:
    results = pd.DataFrame([scores(proposed, truth) for _, truth, proposed in runs])
    assert results["true_pairs"].min() >= 40
    assert results["merge_precision"].mean() >= 0.95
    assert results["merge_recall"].mean() >= 0.90
    assert results["merge_review_recall"].mean() >= 0.97  # the rest wait in review
    assert results["merge_precision"].min() >= 0.90


def test_issue_13_aliases_merge_and_walk_ins_stay_apart(runs) -> None:
    for _, truth, proposed in runs:
        merged = proposed[proposed["decision"] == "merge"]
        # 'WEBER GRP LIMITED' for 'Weber Group Ltd': one customer, one legal form
        issue = [p for p, kind in truth.kind.items() if kind == "issue_13" and p in truth.pairs]
        rows = proposed.set_index(["id_a", "id_b"]).reindex(issue)
        assert rows["decision"].isin(["merge", "review"]).all()
        assert rows["reason"].str.contains("same name").all()
        assert not rows["reason"].str.contains("legal forms differ").any()
        touched = set(proposed["id_a"]) | set(proposed["id_b"])
        assert not touched & truth.walk_in  # walk-in buyers are never even candidates
        assert not merged["reason"].str.contains("legal forms differ: ltd / ltd").any()
    assert len(runs[0][2]) < 200  # not tens of thousands of pairs


def test_reasons_say_the_evidence(runs) -> None:
    _, _, proposed = runs[0]
    merged = proposed[proposed["decision"] == "merge"]
    assert merged["reason"].str.startswith("for: ").all()
    same = merged[merged["name_a"].str.upper() == merged["name_b"].str.upper()]
    assert same["reason"].str.contains("same name").all()
    assert (
        not merged["reason"].str.contains("typo").any()
        or not same["reason"].str.contains("typo").any()
    )
    generic = proposed[proposed["name_a"].isin(["Cash customer", "Service GmbH"])]
    assert (generic["decision"] == "keep").all()
    assert generic["reason"].str.contains("generic name").all()


def test_same_input_same_bytes(runs, tmp_path: Path) -> None:
    orders, _, proposed = runs[0]
    again = propose_merges(orders.sample(frac=1.0, random_state=5))
    pd.testing.assert_frame_equal(again, proposed)


def test_tiers_keep_their_meaning_after_merges(runs) -> None:
    for orders, truth, proposed in runs[:3]:
        canonical = canonical_ids(orders, proposed)
        merged = orders.assign(
            customer=orders["customer"].map(canonical), chase_calls=0, courtesy_calls=0, rework=0
        )
        profile = profile_customers(merged, merged["received"].max(), merged["received"].min())
        generic = parse_names(customer_names(merged))["generic"]
        tier = assign_tiers(profile, TierSpec(), generic.index[generic.to_numpy(bool)]).tier
        keys = [i for i, t in truth.tier.items() if t == "key_account" and canonical[i] == i]
        assert np.mean([tier[i] == "key_account" for i in keys]) >= 0.9
        walk_ins = {canonical[i] for i in truth.walk_in}
        assert np.mean([tier[i] == "one_time" for i in walk_ins]) >= 0.9
        assert tier[next(iter(truth.placeholder))] == "one_time"  # 300 cash sales, no account


def test_merge_file_naming_unknown_ids_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "reviewed.csv"
    path.write_text("id_a,id_b,decision\nC1,C2,merge\nC1,C999,merge\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"reviewed.csv: 1 row\(s\) \(line\(s\) 3\).*C999"):
        read_merges(path, pd.Index(["C1", "C2"]))
    assert len(read_merges(path)) == 2  # without the log's ids nothing is judged
