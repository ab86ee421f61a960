"""Customer identity: finding customer records that are probably one customer keyed twice.

Order data re-keyed by hand leaves one customer under several ids ('Müller Maschinenbau GmbH',
'Mueller Maschinenbau'). Names are normalised (case, umlauts, accents, punctuation, legal
forms) and compared with rapidfuzz in bounded blocks, so 100k names fit in memory.
"""

from __future__ import annotations

import re
import unicodedata

import numpy as np
import pandas as pd
from rapidfuzz import fuzz, process

PAIR_COLUMNS = ["id_a", "id_b", "name_a", "name_b", "score"]

# Legal-form tokens as they look after normalisation ("S.A." -> "sa", "GmbH & Co. KG" ->
# "gmbh co kg"). Dropped wherever they stand, unless a name would be left empty.
LEGAL_FORMS = frozenset(
    [
        "gmbh",
        "mbh",
        "ag",
        "kg",
        "kgaa",
        "ohg",
        "ug",
        "ev",
        "co",
        "corp",
        "corporation",
        "inc",
        "incorporated",
        "llc",
        "llp",
        "lp",
        "ltd",
        "limited",
        "plc",
        "sa",
        "sas",
        "sarl",
        "srl",
        "spa",
        "sl",
        "bv",
        "nv",
        "ab",
        "as",
        "asa",
        "oy",
        "oyj",
        "aps",
        "se",
        "sro",
        "cv",
    ]
)
_TRANSLITERATE = str.maketrans(
    {"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "æ": "ae", "ø": "oe", "œ": "oe", "å": "aa"}
)
_DOTS = re.compile(r"[.'’`´]")
_NON_ALNUM = re.compile(r"[^0-9a-z]+")
# Cells of one cdist block (uint8, one byte each): bounds memory whatever the number of names.
BLOCK_CELLS = 4_000_000
# Names are compared only with names sharing their first or their last BLOCK_KEY characters.
BLOCK_KEY = 2


def normalise_name(name: str) -> str:
    """A customer name reduced to what identifies it: lower-case ASCII words, sorted,
    without punctuation or legal-form suffixes ('Müller GmbH & Co. KG' -> 'mueller')."""
    text = name.casefold().translate(_TRANSLITERATE)
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = _DOTS.sub("", text)
    tokens = _NON_ALNUM.sub(" ", text).split()
    kept = [t for t in tokens if t not in LEGAL_FORMS] or tokens
    return " ".join(sorted(kept))


def similar_names(names: pd.Series, *, threshold: float = 90.0) -> pd.DataFrame:
    """Pairs of different ids whose normalised names are near-identical.

    `names` is indexed by customer id, one name per id. The score (0-100, one decimal) is
    rapidfuzz's token_sort_ratio of the normalised names; pairs scoring at least `threshold`
    are returned as columns id_a < id_b (ids as text), name_a, name_b, score, sorted by
    score (highest first), then ids.

    To stay fast on 100k names, names are compared only within blocks that share the first
    or the last two characters of the normalised name, and only with names of a length that
    can reach the threshold: a pair is missed only if it differs at both ends.
    """
    if not 0 < threshold <= 100:
        raise ValueError(f"threshold must be in (0, 100], got {threshold}")
    if names.index.has_duplicates:
        duplicated = names.index[names.index.duplicated()].unique()[:5]
        raise ValueError(f"one name per id expected; repeated ids: {list(map(str, duplicated))}")
    present = names.dropna()
    ids = present.index.astype(str).to_numpy(dtype=object)
    originals = present.astype(str).to_numpy(dtype=object)
    normalised = np.array([normalise_name(n) for n in originals], dtype=object)
    keep = np.array([bool(n) for n in normalised], dtype=bool)
    ids, originals, normalised = ids[keep], originals[keep], normalised[keep]
    if len(normalised) < 2:
        return _empty_pairs()

    lengths = np.fromiter((len(n) for n in normalised), dtype=np.int64, count=len(normalised))
    found: list[np.ndarray] = []
    for key in (
        np.array([n[:BLOCK_KEY] for n in normalised], dtype=object),
        np.array([n[-BLOCK_KEY:] for n in normalised], dtype=object),
    ):
        codes, _ = pd.factorize(key, sort=True)
        order = np.argsort(codes, kind="stable")
        bounds = np.flatnonzero(np.diff(codes[order])) + 1
        for members in np.split(order, bounds):
            if len(members) > 1:
                found.append(_pairs_in_block(members, normalised, lengths, threshold))
    n = len(normalised)
    encoded = np.unique(np.concatenate(found)) if found else np.empty(0, dtype=np.int64)
    if not len(encoded):
        return _empty_pairs()

    left, right = encoded // n, encoded % n
    swap = ids[left] > ids[right]
    left, right = np.where(swap, right, left), np.where(swap, left, right)
    scores = process.cpdist(
        normalised[left].tolist(), normalised[right].tolist(), scorer=fuzz.token_sort_ratio
    )
    pairs = pd.DataFrame(
        {
            "id_a": ids[left],
            "id_b": ids[right],
            "name_a": originals[left],
            "name_b": originals[right],
            "score": np.round(np.asarray(scores, dtype=float), 1),
        }
    )
    pairs = pairs[pairs["score"] >= threshold]
    pairs = pairs.sort_values(["score", "id_a", "id_b"], ascending=[False, True, True])
    return pairs.reset_index(drop=True)


def _pairs_in_block(
    members: np.ndarray, normalised: np.ndarray, lengths: np.ndarray, threshold: float
) -> np.ndarray:
    """Pairs within one block scoring at least `threshold`, each encoded as a * n + b with
    a < b positions into `normalised`.

    Members are sorted by length; a row chunk is compared only with later names short
    enough to reach the threshold (normalised Indel similarity s needs
    longer <= shorter * (200 - s) / s), so each pair is scored about once.
    """
    order = members[np.argsort(lengths[members], kind="stable")]
    texts = normalised[order].tolist()
    block_lengths = lengths[order]
    stretch = (200.0 - threshold) / threshold
    total = len(normalised)
    found: list[np.ndarray] = []
    n = len(order)
    start = 0
    while start < n:
        # Rows per chunk so that rows x candidate columns stays within BLOCK_CELLS.
        rows = max(1, min(n - start, BLOCK_CELLS // max(1, n - start)))
        stop = start + rows
        end = int(np.searchsorted(block_lengths, block_lengths[stop - 1] * stretch, "right"))
        end = max(end, stop)
        scores = process.cdist(
            texts[start:stop],
            texts[start:end],
            scorer=fuzz.token_sort_ratio,
            score_cutoff=threshold,
            dtype=np.uint8,
            workers=1,
        )
        row_hit, col_hit = np.nonzero(scores)
        upper = col_hit > row_hit  # both offsets count from `start`
        a = order[start + row_hit[upper]].astype(np.int64)
        b = order[start + col_hit[upper]].astype(np.int64)
        found.append(np.minimum(a, b) * total + np.maximum(a, b))
        start = stop
    return np.concatenate(found)


def _empty_pairs() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "id_a": pd.Series(dtype=object),
            "id_b": pd.Series(dtype=object),
            "name_a": pd.Series(dtype=object),
            "name_b": pd.Series(dtype=object),
            "score": pd.Series(dtype=float),
        }
    )
