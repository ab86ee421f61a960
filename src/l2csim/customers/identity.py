"""Customer identity, the name side: what a customer name says about who the customer is.

A name is read into parts (`parse_names`): its *base* (lower-case ASCII words, umlauts
spelt out, common abbreviations written out, stop words such as '&' / 'and' dropped), its
*legal form* (recognised with cleanco's table of legal terms, one spelling per form:
'Ltd' = 'Limited', 'S.A.' = 'SA'), its *codes* (words with digits and single letters:
'Walk-in buyer 10' and 'Walk-in buyer 100', 'Stadtwerke Nord 2' and '3', 'Werk A' and
'Werk B' are different customers, whatever the rest of the name) and whether it is
*generic* ('Walk-in buyer', 'Cash customer', 'Service GmbH' name no one in particular).

`candidate_pairs` finds pairs of ids whose names may be one customer: the same base, or a
base at least `threshold` alike (rapidfuzz), always with the same codes. Names are compared
only within blocks that share their codes and the first or the last two letters of the
base, in bounded chunks, so 100k names fit in seconds and in memory. Whether a candidate
pair *is* one customer is decided with more evidence in `l2csim.customers.linkage`.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import numpy as np
import pandas as pd
from rapidfuzz import fuzz, process

PAIR_COLUMNS = ["id_a", "id_b", "name_a", "name_b", "score"]
PARSED_COLUMNS = ["name", "base", "key", "codes", "form", "generic"]

# Legal-form tokens of the old, sorted-token normalisation (`normalise_name`).
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
_TOKENS = re.compile(r"[0-9a-z]+|&|\+")
# Cells of one cdist block (uint8, one byte each): bounds memory whatever the number of names.
BLOCK_CELLS = 4_000_000
# Names are compared only with names sharing their codes and first or last BLOCK_KEY letters.
BLOCK_KEY = 2
# More ids than this under one name: the name is a placeholder ('Cash customer'), not a
# customer; its ids are not paired by name (they still pair through e-mail or VAT columns).
MAX_SHARED_NAME = 8

# One spelling per legal form, so that the same form written two ways is the same form.
FORM_SYNONYMS = {
    "limited": "ltd",
    "l t d": "ltd",
    "incorporated": "inc",
    "corporation": "corp",
    "company": "co",
    "& co": "co",
    "and co": "co",
    "und co": "co",
    "gesmbh": "gmbh",
    "g m b h": "gmbh",
    "gmbh & co kg": "gmbh co kg",
    "gmbh und co kg": "gmbh co kg",
    "gmbh co kg": "gmbh co kg",
    "aktiengesellschaft": "ag",
    "kommanditgesellschaft": "kg",
    "public limited company": "plc",
    "limited liability company": "llc",
    "pty limited": "pty ltd",
    "pte limited": "pte ltd",
    "ek": "ek",
    "e k": "ek",
    "ekfm": "ek",
    "ekfr": "ek",
}
# Legal terms cleanco lists that are too often a real last word of a name to be cut off.
_NOT_FORMS = frozenset(
    [
        "private",
        "da",
        "et",
        "pt",
        "og",
        "sd",
        "mb",
        "ans",
        "hb",
        "ay",
        "oe",
        "ee",
        "ae",
        "ad",
        "kt",
        "kb",
        "ks",
        "kd",
        "ij",
        "xt",
        "xk",
        "vat",
        "dat",
        "zat",
        "pp",
        "sal",
        "teo",
        "tov",
        "fop",
        "fie",
        "obrt",
        "stg",
        "ood",
        "uab",
        "ses",
        "gte",
        "nl",
        "cpt",
        "tapui",
    ]
)
# Common abbreviations of name words, written out.
ABBREVIATIONS = {
    "grp": "group",
    "gp": "group",
    "intl": "international",
    "int": "international",
    "internat": "international",
    "bros": "brothers",
    "mfg": "manufacturing",
    "mfrs": "manufacturers",
    "svc": "service",
    "svcs": "services",
    "serv": "service",
    "ind": "industries",
    "inds": "industries",
    "assoc": "associates",
    "assocs": "associates",
    "mgmt": "management",
    "mgt": "management",
    "natl": "national",
    "ctr": "center",
    "centre": "center",
    "hldg": "holding",
    "hldgs": "holdings",
    "tech": "technology",
    "techn": "technik",
    "sys": "systems",
    "dist": "distribution",
    "distr": "distribution",
    "eng": "engineering",
    "engg": "engineering",
    "gebr": "gebrueder",
    "ges": "gesellschaft",
    "mfr": "manufacturer",
    "dept": "department",
    "univ": "university",
    "co": "company",  # inside a name; at its end 'Co' is a legal form
}
STOP_WORDS = frozenset(["and", "und", "&", "+", "the", "der", "die", "das", "of", "von", "vom"])
# Words that name nobody in particular: a name of these alone is a placeholder.
GENERIC_WORDS = frozenset(
    [
        "walk",
        "in",
        "walkin",
        "buyer",
        "buyers",
        "customer",
        "customers",
        "client",
        "clients",
        "cash",
        "counter",
        "sale",
        "sales",
        "kunde",
        "kunden",
        "laufkunde",
        "laufkunden",
        "barverkauf",
        "barkunde",
        "bar",
        "verkauf",
        "diverse",
        "div",
        "diverses",
        "sonstige",
        "sonstiger",
        "misc",
        "miscellaneous",
        "various",
        "unknown",
        "unbekannt",
        "anonymous",
        "anonym",
        "guest",
        "gast",
        "retail",
        "private",
        "privat",
        "privatkunde",
        "privatperson",
        "person",
        "consumer",
        "end",
        "user",
        "endkunde",
        "test",
        "dummy",
        "none",
        "na",
        "tbd",
        "new",
        "neu",
        "neukunde",
        "shop",
        "store",
        "online",
        "web",
        "webshop",
        "order",
        "orders",
        "service",
        "services",
        "handel",
        "trading",
        "company",
        "gesellschaft",
        "firma",
        "group",
    ]
)
_ROMAN = frozenset(["ii", "iii", "iv", "vi", "vii", "viii", "ix", "xi", "xii"])


def normalise_name(name: str) -> str:
    """A customer name reduced to sorted lower-case ASCII words without legal-form words.

    The older, coarser key ('Müller GmbH & Co. KG' -> 'mueller'); the sample generator
    uses it to keep its customers' names apart. Matching uses `parse_name`.
    """
    text = _ascii(name)
    text = _DOTS.sub("", text)
    tokens = _NON_ALNUM.sub(" ", text).split()
    kept = [t for t in tokens if t not in LEGAL_FORMS] or tokens
    return " ".join(sorted(kept))


def _ascii(text: str) -> str:
    text = text.casefold().translate(_TRANSLITERATE)
    text = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in text if not unicodedata.combining(ch))


def _tokens(text: str) -> list[str]:
    """Lower-case ASCII words of a text; dots inside abbreviations go ('S.A.' -> 'sa')."""
    return _TOKENS.findall(_DOTS.sub("", _ascii(text)))


@lru_cache(maxsize=1)
def legal_form_table() -> dict[tuple[str, ...], str]:
    """Legal terms (as word tuples) -> one spelling per form, from cleanco's term data."""
    from cleanco.termdata import terms_by_country, terms_by_type  # lazy: only when matching

    terms = {t for group in (*terms_by_type.values(), *terms_by_country.values()) for t in group}
    terms |= set(FORM_SYNONYMS) | {"gmbh & co kg", "ag & co kg", "se & co kg", "ek", "ev", "ug"}
    table: dict[tuple[str, ...], str] = {}
    for term in sorted(terms):
        words = tuple(_tokens(term))
        if not words or (len(words) == 1 and words[0] in _NOT_FORMS):
            continue
        spelt = " ".join(words)
        table[words] = FORM_SYNONYMS.get(spelt, " ".join(w for w in words if w != "&"))
    for spelt, form in FORM_SYNONYMS.items():
        table[tuple(spelt.split())] = form
    return table


def parse_name(name: str) -> tuple[str, str, str, bool]:
    """(base, codes, legal form, generic) of one name; see the module docstring.

    >>> parse_name("Müller GRP Ltd.")
    ('mueller group', '', 'ltd', False)
    >>> parse_name("Walk-in buyer 10")
    ('walk in buyer', '10', '', True)
    """
    words = _tokens(name)
    table = legal_form_table()
    longest = max(map(len, table))
    forms: list[str] = []
    # Legal forms are cut from the end ('Foo GmbH & Co. KG'), at least one word is kept.
    cut = True
    while cut and len(words) > 1:
        cut = False
        for size in range(min(longest, len(words) - 1), 0, -1):
            form = table.get(tuple(words[-size:]))
            if form is not None:
                forms.insert(0, form)
                del words[-size:]
                cut = True
                break
    while len(words) > 1 and words[-1] in STOP_WORDS:
        words.pop()
    codes: list[str] = []
    base: list[str] = []
    for word in words:
        if word in STOP_WORDS:
            continue
        if any(ch.isdigit() for ch in word):
            codes.append(word.lstrip("0") or "0" if word.isdigit() else word)
        elif len(word) == 1 or word in _ROMAN:
            codes.append(word)
        else:
            base.append(ABBREVIATIONS.get(word, word))
    generic = all(w in GENERIC_WORDS for w in base)
    if not base:  # a name of codes only ('4711') identifies by its codes
        generic = False
    form = " ".join(forms)
    form = {"gmbh co kg": "gmbh co kg", "co kg": "kg"}.get(form, form)
    return " ".join(base), " ".join(sorted(codes)), form, generic


def parse_names(names: pd.Series) -> pd.DataFrame:
    """Each id's name read into parts: PARSED_COLUMNS, indexed like `names` (ids as text).

    `key` is the base with its words sorted (word order does not tell customers apart).
    """
    present = names.dropna().astype(str)
    present = present[present.str.strip() != ""]
    unique = pd.unique(present.to_numpy(dtype=object))
    parts = {name: parse_name(name) for name in unique}
    frame = pd.DataFrame(
        [parts[n] for n in present.to_numpy(dtype=object)],
        columns=["base", "codes", "form", "generic"],
        index=pd.Index(present.index.astype(str), name="id"),
    )
    frame.insert(0, "name", present.to_numpy(dtype=object))
    frame.insert(2, "key", [" ".join(sorted(b.split())) for b in frame["base"]])
    return frame[PARSED_COLUMNS]


def candidate_pairs(
    parsed: pd.DataFrame,
    *,
    threshold: float = 90.0,
    linked: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Pairs of ids (id_a < id_b) that may be one customer, with their name score (0-100).

    From the names: ids whose names have the same codes and bases at least `threshold`
    alike (rapidfuzz ratio of the sorted base words), names shared by more than
    MAX_SHARED_NAME ids left out. From `linked` (ids x columns such as e-mail or VAT, values
    normalised): ids that share a value, whatever their names. Sorted by ids.
    """
    if not 0 < threshold <= 100:
        raise ValueError(f"threshold must be in (0, 100], got {threshold}")
    if parsed.index.has_duplicates:
        duplicated = parsed.index[parsed.index.duplicated()].unique()[:5]
        raise ValueError(f"one name per id expected; repeated ids: {list(map(str, duplicated))}")
    ids = parsed.index.to_numpy(dtype=object)
    found = [_name_pairs(parsed, threshold)]
    if linked is not None:
        for column in linked.columns:
            values = linked[column].reindex(parsed.index)
            found.append(_shared_value_pairs(values))
    encoded = np.unique(np.concatenate(found))
    n = len(ids)
    left, right = encoded // max(n, 1), encoded % max(n, 1)
    swap = ids[left] > ids[right]
    left, right = np.where(swap, right, left), np.where(swap, left, right)
    keys = parsed["key"].to_numpy(dtype=object)
    scores = process.cpdist(keys[left].tolist(), keys[right].tolist(), scorer=fuzz.ratio)
    pairs = pd.DataFrame(
        {
            "id_a": ids[left],
            "id_b": ids[right],
            "score": np.round(np.asarray(scores, dtype=float), 1),
        }
    )
    return pairs.sort_values(["id_a", "id_b"], kind="stable").reset_index(drop=True)


def _name_pairs(parsed: pd.DataFrame, threshold: float) -> np.ndarray:
    """Pairs (encoded a * n + b, a < b, positions into `parsed`) of names alike enough."""
    n = len(parsed)
    if n < 2:
        return np.empty(0, dtype=np.int64)
    codes = parsed["codes"].to_numpy(dtype=object)
    keys = parsed["key"].to_numpy(dtype=object)
    signature = np.char.add(np.char.add(codes.astype(str), "|"), keys.astype(str))
    group, unique = pd.factorize(pd.Series(signature), sort=True)
    members = pd.Series(np.arange(n)).groupby(group).agg(list)
    sizes = members.map(len).to_numpy()
    usable = (sizes <= MAX_SHARED_NAME) & np.array([bool(k.split("|", 1)[1]) for k in unique])
    found: list[np.ndarray] = []
    # Ids under the very same name (and codes).
    for positions in members[usable & (sizes > 1)]:
        a, b = np.triu_indices(len(positions), k=1)
        p = np.asarray(positions, dtype=np.int64)
        found.append(np.minimum(p[a], p[b]) * n + np.maximum(p[a], p[b]))
    # Different names with the same codes, compared within blocks.
    texts = np.array([k.split("|", 1)[1] for k in unique], dtype=object)
    group_codes = np.array([k.split("|", 1)[0] for k in unique], dtype=object)
    lengths = np.fromiter((len(t) for t in texts), dtype=np.int64, count=len(texts))
    candidates = np.flatnonzero(usable)
    name_pairs: list[np.ndarray] = []
    for block_key in (
        np.array([c + "|" + t[:BLOCK_KEY] for c, t in zip(group_codes, texts, strict=True)]),
        np.array([c + "|" + t[-BLOCK_KEY:] for c, t in zip(group_codes, texts, strict=True)]),
    ):
        block, _ = pd.factorize(block_key[candidates], sort=True)
        order = np.argsort(block, kind="stable")
        bounds = np.flatnonzero(np.diff(block[order])) + 1
        for part in np.split(order, bounds):
            if len(part) > 1:
                name_pairs.append(_pairs_in_block(candidates[part], texts, lengths, threshold))
    if name_pairs:
        m = len(texts)
        encoded = np.unique(np.concatenate(name_pairs))
        for ga, gb in zip(encoded // m, encoded % m, strict=True):
            pa = np.asarray(members.iloc[ga], dtype=np.int64)
            pb = np.asarray(members.iloc[gb], dtype=np.int64)
            a, b = np.repeat(pa, len(pb)), np.tile(pb, len(pa))
            found.append(np.minimum(a, b) * n + np.maximum(a, b))
    return np.concatenate(found) if found else np.empty(0, dtype=np.int64)


def _shared_value_pairs(values: pd.Series) -> np.ndarray:
    """Pairs of positions whose (normalised) value is the same, values of few ids only."""
    n = len(values)
    present = values.notna().to_numpy() & (values.astype(str).str.len() > 0).to_numpy()
    positions = np.flatnonzero(present)
    found: list[np.ndarray] = []
    groups = pd.Series(positions).groupby(values.to_numpy()[present], sort=True).agg(list)
    for group in groups:
        if 1 < len(group) <= MAX_SHARED_NAME:
            a, b = np.triu_indices(len(group), k=1)
            p = np.asarray(group, dtype=np.int64)
            found.append(p[a] * n + p[b])
    return np.concatenate(found) if found else np.empty(0, dtype=np.int64)


def _pairs_in_block(
    members: np.ndarray, texts: np.ndarray, lengths: np.ndarray, threshold: float
) -> np.ndarray:
    """Pairs within one block scoring at least `threshold`, each encoded as a * m + b with
    a < b positions into `texts`.

    Members are sorted by length; a row chunk is compared only with later names short
    enough to reach the threshold (normalised Indel similarity s needs
    longer <= shorter * (200 - s) / s), so each pair is scored about once.
    """
    order = members[np.argsort(lengths[members], kind="stable")]
    block_texts = texts[order].tolist()
    block_lengths = lengths[order]
    stretch = (200.0 - threshold) / threshold
    total = len(texts)
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
            block_texts[start:stop],
            block_texts[start:end],
            scorer=fuzz.ratio,
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


def similar_names(names: pd.Series, *, threshold: float = 90.0) -> pd.DataFrame:
    """Candidate pairs from names alone: id_a < id_b, name_a, name_b, score (0-100).

    `names` is indexed by customer id, one name per id. Sorted by score (highest first),
    then ids. Whether a pair is one customer is for `linkage.link_customers` to say.
    """
    if names.index.has_duplicates:
        duplicated = names.index[names.index.duplicated()].unique()[:5]
        raise ValueError(f"one name per id expected; repeated ids: {list(map(str, duplicated))}")
    parsed = parse_names(names)
    pairs = candidate_pairs(parsed, threshold=threshold)
    pairs.insert(2, "name_a", parsed["name"].reindex(pairs["id_a"]).to_numpy())
    pairs.insert(3, "name_b", parsed["name"].reindex(pairs["id_b"]).to_numpy())
    pairs = pairs.sort_values(["score", "id_a", "id_b"], ascending=[False, True, True])
    return pairs[PAIR_COLUMNS].reset_index(drop=True)
