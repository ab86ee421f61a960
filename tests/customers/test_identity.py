"""Customer identity: near-identical customer names under different ids are found."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from rapidfuzz import fuzz, process

from l2csim.customers import identity
from l2csim.customers.identity import normalise_name, similar_names

NAMES = pd.Series(
    {
        "C001": "Müller Maschinenbau GmbH",
        "C002": "Schmidt Logistik AG",
        "C003": "Bäckerei Weber",
        "C004": "Mueller Maschinenbau",
        "C005": "Schmitt Logistik",
        "C006": "Weber Elektro KG",
        "C007": "Acme Ltd.",
        "C008": "Zenith Handels S.A.",
        "C009": "Logistik Nord GmbH & Co. KG",
        "C010": None,
    }
)


def test_true_pairs_found_and_unrelated_names_not() -> None:
    pairs = similar_names(NAMES)
    assert list(pairs.columns) == ["id_a", "id_b", "name_a", "name_b", "score"]
    assert list(zip(pairs["id_a"], pairs["id_b"], strict=True)) == [
        ("C001", "C004"),
        ("C002", "C005"),
    ]
    assert pairs["score"].tolist()[0] == 100.0  # umlaut and legal form normalised away
    assert 90 <= pairs["score"].tolist()[1] < 100  # one letter differs: dt / tt
    assert pairs["name_a"].tolist() == ["Müller Maschinenbau GmbH", "Schmidt Logistik AG"]


def test_normalisation() -> None:
    assert normalise_name("Müller Maschinenbau GmbH") == "maschinenbau mueller"
    assert normalise_name("MUELLER  maschinenbau") == "maschinenbau mueller"
    assert normalise_name("Crème Brûlée B.V.") == "brulee creme"
    assert normalise_name("Foo GmbH & Co. KG") == "foo"
    assert normalise_name("Zenith S.A.") == "zenith"
    assert normalise_name("GmbH") == "gmbh"  # a name of legal forms only is kept


def test_deterministic_whatever_the_input_order() -> None:
    shuffled = NAMES.sample(frac=1.0, random_state=7)
    pd.testing.assert_frame_equal(similar_names(shuffled), similar_names(NAMES))


def test_ids_are_ordered_within_a_pair() -> None:
    names = pd.Series({"Z9": "Schmitt Logistik", "A1": "Schmidt Logistik AG"})
    pairs = similar_names(names)
    assert (pairs["id_a"].tolist(), pairs["id_b"].tolist()) == (["A1"], ["Z9"])
    assert pairs["name_a"].tolist() == ["Schmidt Logistik AG"]


def test_threshold_is_respected() -> None:
    assert len(similar_names(NAMES, threshold=100)) == 1  # only the exact normalised match
    with pytest.raises(ValueError, match="threshold must be in"):
        similar_names(NAMES, threshold=0)


def test_repeated_ids_are_refused() -> None:
    names = pd.Series(["A", "B"], index=["C1", "C1"])
    with pytest.raises(ValueError, match="one name per id"):
        similar_names(names)


def test_no_pairs_gives_empty_frame_with_columns() -> None:
    pairs = similar_names(pd.Series({"C1": "Alpha", "C2": "Omega"}))
    assert pairs.empty
    assert list(pairs.columns) == ["id_a", "id_b", "name_a", "name_b", "score"]


def test_blocked_chunked_search_matches_brute_force(monkeypatch: pytest.MonkeyPatch) -> None:
    """Small cdist blocks (memory bound) give the same pairs as one full comparison."""
    rng = np.random.default_rng(3)
    syllables = ["ka", "lo", "mi", "ber", "ster", "mann", "hof", "berg", "stein", "wald"]
    trades = ["Bau", "Logistik", "Handel", "Technik", "Service", "Elektro"]
    names = [
        "".join(rng.choice(syllables, 3)).title() + " " + str(rng.choice(trades))
        for _ in range(1500)
    ]
    for i in range(0, 60, 3):  # plant typos in the middle of a name
        word = names[i]
        names.append(word[:4] + word[5:])
    series = pd.Series(names, index=[f"K{i:05d}" for i in range(len(names))])

    shapes: list[tuple[int, int]] = []
    real_cdist = process.cdist

    def recording_cdist(rows, columns, **kwargs):
        shapes.append((len(rows), len(columns)))
        return real_cdist(rows, columns, **kwargs)

    monkeypatch.setattr(identity, "BLOCK_CELLS", 5_000)
    monkeypatch.setattr(identity.process, "cdist", recording_cdist)
    pairs = similar_names(series)
    monkeypatch.undo()
    assert len(shapes) > 10  # the search really was split
    assert all(r * c <= 5_000 for r, c in shapes)  # rows x candidates never above the bound

    normalised = [normalise_name(n) for n in names]
    full = process.cdist(normalised, normalised, scorer=fuzz.token_sort_ratio, score_cutoff=90)
    rows, cols = np.nonzero(np.triu(full, k=1))
    expected = {(series.index[a], series.index[b]) for a, b in zip(rows, cols, strict=True)}
    assert len(expected) > 20  # the planted typos and chance look-alikes
    assert set(zip(pairs["id_a"], pairs["id_b"], strict=True)) == expected
