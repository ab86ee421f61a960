"""Customer identity, the name side: names read into parts, candidate pairs found fast."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from rapidfuzz import fuzz, process

from l2csim.customers import identity
from l2csim.customers.identity import candidate_pairs, parse_name, parse_names, similar_names


def test_same_legal_form_written_two_ways_is_one_form() -> None:
    for a, b in [
        ("Acme Ltd", "ACME LIMITED"),
        ("Acme Inc.", "Acme Incorporated"),
        ("Zenith S.A.", "Zenith SA"),
        ("Müller GmbH", "Mueller G.m.b.H."),
        ("Foo GmbH & Co. KG", "Foo GmbH und Co KG"),
        ("Brandt e.K.", "Brandt e. K."),
    ]:
        assert parse_name(a) == parse_name(b), (a, b)
    assert parse_name("Acme Ltd")[2] == "ltd"
    assert parse_name("Stahlbau Rheine GmbH")[2] != parse_name("Stahlbau Rheine KG")[2]


def test_abbreviations_capitals_accents_and_word_order() -> None:
    assert parse_name("Weber GRP Ltd")[0] == parse_name("WEBER GROUP LIMITED")[0] == "weber group"
    assert parse_name("Acme Intl Mfg")[0] == "acme international manufacturing"
    assert parse_name("Jäger & Klein")[0] == parse_name("Jaeger and Klein")[0]
    assert parse_name("Crème Brûlée B.V.")[0] == "creme brulee"


def test_numbers_and_codes_are_identity_and_generic_names_are_flagged() -> None:
    assert parse_name("Walk-in buyer 10") == ("walk in buyer", "10", "", True)
    assert parse_name("Walk-in buyer 100")[1] == "100"
    assert parse_name("Stadtwerke Nord 2")[1] == "2" and not parse_name("Stadtwerke Nord 2")[3]
    assert parse_name("Werk A")[1] == "a"
    assert parse_name("Service GmbH")[3] and parse_name("Cash customer")[3]
    assert not parse_name("Müller Service GmbH")[3]


def test_numbered_walk_ins_and_branches_make_no_pairs() -> None:
    names = {f"W{i:05d}": f"Walk-in buyer {i}" for i in range(1, 2001)}
    names |= {f"S{i}": f"Stadtwerke Nord {i}" for i in range(1, 4)}
    names |= {"A1": "Weber Group Ltd", "A2": "WEBER GRP LIMITED"}
    pairs = candidate_pairs(parse_names(pd.Series(names)))
    assert list(zip(pairs["id_a"], pairs["id_b"], strict=True)) == [("A1", "A2")]


def test_a_name_under_many_ids_is_a_placeholder_not_paired() -> None:
    names = pd.Series({f"C{i}": "Cash customer" for i in range(20)} | {"X1": "Acme", "X2": "Acme"})
    pairs = candidate_pairs(parse_names(names))
    assert list(zip(pairs["id_a"], pairs["id_b"], strict=True)) == [("X1", "X2")]


def test_shared_match_column_pairs_whatever_the_names() -> None:
    parsed = parse_names(pd.Series({"A": "Alpha GmbH", "B": "Omega AG", "C": "Gamma"}))
    linked = pd.DataFrame({"match:vat": ["DE1", "DE1", "DE2"]}, index=["A", "B", "C"])
    pairs = candidate_pairs(parsed, linked=linked)
    assert list(zip(pairs["id_a"], pairs["id_b"], strict=True)) == [("A", "B")]


def test_deterministic_whatever_the_input_order() -> None:
    names = pd.Series(
        {
            "C1": "Müller Maschinenbau GmbH",
            "C2": "Mueller Maschinenbau",
            "C3": "Schmidt Logistik AG",
            "C4": "Schmitt Logistik AG",
            "C5": "Weber",
        }
    )
    shuffled = names.sample(frac=1.0, random_state=7)
    pd.testing.assert_frame_equal(similar_names(shuffled), similar_names(names))
    found = similar_names(names)
    assert set(zip(found["id_a"], found["id_b"], strict=True)) == {
        ("C1", "C2"),
        ("C3", "C4"),
    }


def test_bad_arguments_are_refused() -> None:
    with pytest.raises(ValueError, match="threshold must be in"):
        candidate_pairs(parse_names(pd.Series({"A": "x"})), threshold=0)
    with pytest.raises(ValueError, match="one name per id"):
        similar_names(pd.Series(["A", "B"], index=["C1", "C1"]))


def test_blocked_chunked_search_matches_brute_force(monkeypatch: pytest.MonkeyPatch) -> None:
    """Small cdist blocks (memory bound) give the pairs a full comparison gives, except
    names that differ in both their first and their last two letters."""
    rng = np.random.default_rng(3)
    syllables = ["ka", "lo", "mi", "ber", "ster", "mann", "hof", "berg", "stein", "wald"]
    trades = ["Bau", "Logistik", "Handel", "Technik", "Elektro"]
    names = [
        "".join(rng.choice(syllables, 3)).title() + " " + str(rng.choice(trades))
        for _ in range(1500)
    ]
    for i in range(0, 60, 3):  # plant typos in the middle of a name
        names.append(names[i][:4] + names[i][5:])
    series = pd.Series(names, index=[f"K{i:05d}" for i in range(len(names))])
    shapes: list[tuple[int, int]] = []
    real_cdist = process.cdist

    def recording_cdist(rows, columns, **kwargs):
        shapes.append((len(rows), len(columns)))
        return real_cdist(rows, columns, **kwargs)

    monkeypatch.setattr(identity, "BLOCK_CELLS", 5_000)
    monkeypatch.setattr(identity.process, "cdist", recording_cdist)
    parsed = parse_names(series)
    pairs = candidate_pairs(parsed)
    monkeypatch.undo()
    assert len(shapes) > 10 and all(r * c <= 5_000 for r, c in shapes)

    keys = parsed["key"].tolist()
    full = process.cdist(keys, keys, scorer=fuzz.ratio, score_cutoff=90)
    rows, cols = np.nonzero(np.triu(full, k=1))
    expected = {
        (parsed.index[a], parsed.index[b])
        for a, b in zip(rows, cols, strict=True)
        if keys[a][:2] == keys[b][:2] or keys[a][-2:] == keys[b][-2:]
    }
    assert len(expected) > 20  # the planted typos and chance look-alikes
    assert set(zip(pairs["id_a"], pairs["id_b"], strict=True)) == expected
