"""Customer identity, the evidence side: is a candidate pair of ids one customer?

A Fellegi–Sunter model. Each candidate pair (identity.candidate_pairs) is compared field by
field, each comparison giving a level:

- name: same name (under 2 ids, or shared by more), one typo apart, one name has a word the
  other lacks, nearly alike, alike, different, generic ('Walk-in buyer'), or different
  numbers/codes;
- legal form: same (one spelling per form: Ltd = Limited), on one name only, different;
- order timeline: orders on the same days (twice or more, once), interleaving without a
  common day (one customer's orders split over two ids), one id's orders ending before the
  other's begin (a new record replacing an old one), too few orders to say;
- product lines: the same, one id's among the other's, overlapping, none in common;
- order value: median values alike, somewhat apart, far apart;
- each mapped match column (e-mail, VAT number, address): the same, different.

P(level | same customer) (m) and P(level | different customers) (u) are estimated from the
log itself: u of the non-name fields from random pairs of ids (almost all different
customers), m and the name's u by expectation-maximisation over the candidate pairs, with
Dirichlet priors (`PRIOR_M`, `PRIOR_U_NAME`, weight `PRIOR_PAIRS`) so that a log with a
dozen candidates gets sensible values and a log with thousands learns its own. A missing
value (no product, no value, no e-mail) is no evidence either way. Each pair gets the
posterior probability that it is one customer and a reason listing the evidence for and
against it, strongest first. Everything is deterministic: a seeded sample, a fixed number
of EM steps, sorted inputs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from rapidfuzz.distance import OSA

from l2csim.customers.identity import MAX_SHARED_NAME

NAME_LEVELS = (
    "same",
    "same_no_form",
    "same_other_form",
    "same_common",
    "typo",
    "extra_word",
    "close",
    "similar",
    "different",
    "generic",
    "codes",
)
FORM_LEVELS = ("same", "one_missing", "differ")
TIME_LEVELS = ("same_days", "same_day", "interleaved", "succession", "few")
RHYTHM_LEVELS = ("one", "unclear", "two")
PRODUCT_LEVELS = ("same", "subset", "overlap", "disjoint")
VALUE_LEVELS = ("alike", "near", "far")
COLUMN_LEVELS = ("same", "differ")

# Prior P(level | same customer) per field; and the name's P(level | different customers)
# among candidate pairs. Weighted as PRIOR_PAIRS pseudo-pairs against the log's own pairs.
PRIOR_M = {
    "name": (0.30, 0.12, 0.01, 0.05, 0.25, 0.05, 0.12, 0.04, 0.03, 0.02, 0.01),
    "form": (0.55, 0.40, 0.05),
    "timeline": (0.02, 0.06, 0.45, 0.20, 0.27),
    "rhythm": (0.60, 0.30, 0.10),
    "products": (0.45, 0.35, 0.12, 0.08),
    "value": (0.55, 0.35, 0.10),
    "column": (0.90, 0.10),
}
PRIOR_U_NAME = (0.01, 0.01, 0.12, 0.06, 0.10, 0.12, 0.18, 0.26, 0.07, 0.05, 0.02)
PRIOR_U_PAIRS = 30.0
PRIOR_PAIRS = 100.0
PRIOR_MATCH_SHARE = (1.0, 1.0)  # Beta prior on the share of candidates that are one customer
RANDOM_PAIRS = 20_000
# Random pairs are drawn among ids with as many orders as the candidates' ids (buckets of
# order counts from these bounds): how often two *different* regular customers order on the
# same day depends on how often they order.
ORDER_BUCKETS = (2, 4, 10, 25, 60)
# Orders of the two ids together keep one rhythm when the gaps' coefficient of variation
# is below RHYTHM_ONE times the ids' own; two rhythms above RHYTHM_TWO times.
RHYTHM_ONE = 0.75
RHYTHM_TWO = 1.33
# With only two orders on a side: one rhythm when the joint gaps' CV is below RHYTHM_CV_ONE,
# two above RHYTHM_CV_TWO.
RHYTHM_CV_ONE = 0.5
RHYTHM_CV_TWO = 0.9
EM_STEPS = 200
# Names at least this alike (rapidfuzz ratio of the sorted base words) are 'nearly alike'.
CLOSE_SCORE = 92.0
# A pair is merged without review only with a name level among these (never on generic
# names, different codes or another column alone).
MERGEABLE_NAMES = frozenset(NAME_LEVELS[: NAME_LEVELS.index("different")])
EVIDENCE_BITS = 0.5  # evidence weaker than this (log2 likelihood ratio) is not in the reason


@dataclass(frozen=True)
class LinkageModel:
    """The fitted model: share of candidates that are one customer, m and u per field."""

    match_share: float
    m: dict[str, np.ndarray]
    u: dict[str, np.ndarray]
    candidates: int

    def weights(self) -> dict[str, np.ndarray]:
        """log2(m / u) per field and level: the evidence each level gives, in bits."""
        return {f: np.log2(self.m[f] / self.u[f]) for f in self.m}


def customer_evidence(
    orders: pd.DataFrame, match_columns: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Per customer id (index, text): orders, order days, first/last day, product lines,
    median order value and the (normalised) match columns.

    `orders` has columns customer, received and, where known, value and product;
    `match_columns` is indexed like `orders` (one value per order), one column per field.
    """
    o = orders.loc[orders["customer"].notna()]
    ids = o["customer"].astype(str)
    day = pd.DatetimeIndex(o["received"]).asi8 // (86_400 * 10**9)
    codes, unique_ids = pd.factorize(ids, sort=True)
    # Distinct order days per id, in one sort: id code * span + day.
    low = int(day.min()) if len(day) else 0
    span = int(day.max()) - low + 1 if len(day) else 1
    both = np.unique(codes.astype(np.int64) * span + (day - low))
    owner, days = both // span, both % span + low
    bounds = np.flatnonzero(np.diff(owner)) + 1
    evidence = pd.DataFrame(index=pd.Index(unique_ids.astype(str), name="id"))
    evidence["orders"] = np.bincount(codes, minlength=len(unique_ids))
    evidence["days"] = pd.Series(np.split(days, bounds), index=evidence.index, dtype=object)
    evidence["first_day"] = [d[0] for d in evidence["days"]]
    evidence["last_day"] = [d[-1] for d in evidence["days"]]
    if "product" in o and o["product"].notna().any():
        lines = pd.DataFrame({"id": ids.to_numpy(), "product": o["product"].astype(str)})
        lines = lines[o["product"].notna().to_numpy()].drop_duplicates()
        products = lines.groupby("id", sort=True)["product"].agg(frozenset)
        evidence["products"] = products.reindex(evidence.index)
    else:
        evidence["products"] = None
    if "value" in o and o["value"].notna().any():
        evidence["value"] = (
            pd.to_numeric(o["value"], errors="coerce").groupby(ids.to_numpy()).median()
        )
    else:
        evidence["value"] = np.nan
    if match_columns is not None:
        for column in match_columns.columns:
            values = normalise_value(match_columns[column].reindex(o.index), column)
            first = values.groupby(ids.to_numpy()).agg(_most_common)
            evidence[f"match:{column}"] = first.reindex(evidence.index)
    return evidence


def normalise_value(values: pd.Series, column: str) -> pd.Series:
    """E-mail, VAT or address as compared: case, accents, spaces and punctuation gone."""
    from l2csim.customers.identity import _ascii

    text = values.astype("string").str.strip()
    text = text.where(text.str.len() > 0)
    lowered = text.map(lambda v: _ascii(v) if isinstance(v, str) else v, na_action="ignore")
    if "mail" in column.lower():
        return lowered.str.replace(r"\s+", "", regex=True)
    squeezed = lowered.str.replace(r"[^0-9a-z]+", "", regex=True)
    squeezed = squeezed.str.replace("strasse", "str", regex=False)
    return squeezed.where(squeezed.str.len() > 0)


def _most_common(values: pd.Series):
    counts = values.dropna().value_counts()
    if counts.empty:
        return None
    top = counts[counts == counts.max()].index
    return sorted(top)[0]


def compare(pairs: pd.DataFrame, parsed: pd.DataFrame, evidence: pd.DataFrame) -> pd.DataFrame:
    """The comparison level of each field for each pair (-1: no evidence, a value missing).

    `pairs` has id_a, id_b, score; `parsed` comes from identity.parse_names. Level codes
    index the *_LEVELS tuples; a column `same_days` counts the common order days.
    """
    a = pairs["id_a"].to_numpy(dtype=object)
    b = pairs["id_b"].to_numpy(dtype=object)
    levels = pd.DataFrame(index=pairs.index)
    levels["name"] = _name_levels(a, b, pairs["score"].to_numpy(dtype=float), parsed)
    form = _form_levels(parsed["form"].reindex(a), parsed["form"].reindex(b))
    # Same base name: the legal form is part of the name level (two companies of one name
    # mostly differ in their form, so name and form are not independent there).
    same = levels["name"].to_numpy() == NAME_LEVELS.index("same")
    levels.loc[same, "name"] = np.asarray(NAME_LEVELS.index("same") + form)[same]
    levels["form"] = np.where(same, -1, form)
    ev_a, ev_b = evidence.reindex(a), evidence.reindex(b)
    timeline, same_days = _timeline_levels(ev_a, ev_b)
    levels["timeline"] = timeline
    levels["same_days"] = same_days
    levels["rhythm"] = _rhythm_levels(ev_a["days"].to_numpy(object), ev_b["days"].to_numpy(object))
    levels["products"] = _product_levels(ev_a["products"], ev_b["products"])
    levels["value"] = _value_levels(ev_a["value"].to_numpy(float), ev_b["value"].to_numpy(float))
    for column in _match_columns(evidence):
        va, vb = ev_a[column].to_numpy(dtype=object), ev_b[column].to_numpy(dtype=object)
        known = pd.notna(va) & pd.notna(vb)
        levels[column] = np.where(known, np.where(va == vb, 0, 1), -1)
    return levels


def _match_columns(evidence: pd.DataFrame) -> list[str]:
    return [c for c in evidence.columns if c.startswith("match:")]


def _name_levels(a, b, scores: np.ndarray, parsed: pd.DataFrame) -> np.ndarray:
    key_a = parsed["key"].reindex(a).to_numpy(dtype=object)
    key_b = parsed["key"].reindex(b).to_numpy(dtype=object)
    codes_a = parsed["codes"].reindex(a).to_numpy(dtype=object)
    codes_b = parsed["codes"].reindex(b).to_numpy(dtype=object)
    generic = parsed["generic"].reindex(a).to_numpy(dtype=bool) | parsed["generic"].reindex(
        b
    ).to_numpy(dtype=bool)
    signature = parsed["codes"] + "|" + parsed["key"]
    shared = signature.map(signature.value_counts())
    shared_a = shared.reindex(a).to_numpy()
    out = np.full(len(a), NAME_LEVELS.index("different"), dtype=np.int64)
    for i in range(len(a)):
        ka, kb = key_a[i], key_b[i]
        if codes_a[i] != codes_b[i]:
            level = "codes"
        elif generic[i] or not ka or not kb:
            level = "generic"
        elif ka == kb:
            level = "same" if shared_a[i] <= 2 else "same_common"
        elif min(len(ka), len(kb)) >= 6 and OSA.distance(ka, kb) <= 1:
            level = "typo"
        elif set(ka.split()) < set(kb.split()) or set(kb.split()) < set(ka.split()):
            level = "extra_word"
        elif scores[i] >= CLOSE_SCORE:
            level = "close"
        elif scores[i] >= 80:
            level = "similar"
        else:
            level = "different"
        out[i] = NAME_LEVELS.index(level)
    return out


def _form_levels(form_a: pd.Series, form_b: pd.Series) -> np.ndarray:
    out = np.empty(len(form_a), dtype=np.int64)
    for i, (fa, fb) in enumerate(zip(form_a.fillna(""), form_b.fillna(""), strict=True)):
        if fa == fb:
            out[i] = 0
        elif (
            not fa
            or not fb
            or set(fa.split()) <= set(fb.split())
            or set(fb.split()) <= set(fa.split())
        ):
            out[i] = 1
        else:
            out[i] = 2
    return out


def _timeline_levels(ev_a: pd.DataFrame, ev_b: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    days_a, days_b = ev_a["days"].to_numpy(dtype=object), ev_b["days"].to_numpy(dtype=object)
    n_a, n_b = ev_a["orders"].to_numpy(), ev_b["orders"].to_numpy()
    first_a, last_a = ev_a["first_day"].to_numpy(), ev_a["last_day"].to_numpy()
    first_b, last_b = ev_b["first_day"].to_numpy(), ev_b["last_day"].to_numpy()
    out = np.full(len(days_a), -1, dtype=np.int64)
    common = np.zeros(len(days_a), dtype=np.int64)
    for i in range(len(days_a)):
        da, db = days_a[i], days_b[i]
        if not isinstance(da, np.ndarray) or not isinstance(db, np.ndarray):
            continue
        shared = len(np.intersect1d(da, db, assume_unique=True))
        common[i] = shared
        if shared >= 2:
            out[i] = 0
        elif shared == 1:
            out[i] = 1
        elif min(n_a[i], n_b[i]) < 2:
            out[i] = 4
        elif last_a[i] < first_b[i] or last_b[i] < first_a[i]:
            out[i] = 3
        else:
            out[i] = 2
    return out, common


def _rhythm_levels(days_a: np.ndarray, days_b: np.ndarray) -> np.ndarray:
    """One rhythm, unclear, or two: do the ids' orders together look like one customer's?

    One customer's orders split over two ids leave each id with irregular gaps that close
    into a regular rhythm when the ids are put together; two regular customers each keep
    their own rhythm and together order at irregular, shorter gaps. With three order days
    on each side the joint gaps are compared with each id's own; with two on a side, the
    joint gaps' coefficient of variation alone is judged; with fewer, nothing is said.
    """
    out = np.full(len(days_a), -1, dtype=np.int64)
    for i in range(len(days_a)):
        da, db = days_a[i], days_b[i]
        if not isinstance(da, np.ndarray) or not isinstance(db, np.ndarray):
            continue
        if len(da) < 2 or len(db) < 2 or len(da) + len(db) < 5:
            continue
        together = _gap_cv(np.union1d(da, db))
        if len(da) >= 3 and len(db) >= 3:
            own = (_gap_cv(da) + _gap_cv(db)) / 2
            if own <= 0:
                continue
            ratio = together / own
            out[i] = 0 if ratio < RHYTHM_ONE else (2 if ratio > RHYTHM_TWO else 1)
        else:  # too few gaps per id for their own rhythm: the joint one alone
            out[i] = 0 if together < RHYTHM_CV_ONE else (2 if together > RHYTHM_CV_TWO else 1)
    return out


def _gap_cv(days: np.ndarray) -> float:
    gaps = np.diff(days).astype(float)
    return float(gaps.std() / gaps.mean()) if len(gaps) and gaps.mean() > 0 else 0.0


def _product_levels(products_a: pd.Series, products_b: pd.Series) -> np.ndarray:
    out = np.full(len(products_a), -1, dtype=np.int64)
    for i, (pa, pb) in enumerate(zip(products_a, products_b, strict=True)):
        if not isinstance(pa, frozenset) or not isinstance(pb, frozenset) or not pa or not pb:
            continue
        out[i] = 0 if pa == pb else (1 if pa < pb or pb < pa else (2 if pa & pb else 3))
    return out


def _value_levels(value_a: np.ndarray, value_b: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        apart = np.abs(np.log(np.clip(value_a, 1e-9, None) / np.clip(value_b, 1e-9, None)))
    known = np.isfinite(apart) & (value_a > 0) & (value_b > 0)
    return np.where(known, np.select([apart < 0.35, apart < 1.0], [0, 1], 2), -1)


def _fields(levels: pd.DataFrame) -> list[str]:
    return [c for c in levels.columns if c != "same_days"]


def _level_count(field: str) -> int:
    return {
        "name": len(NAME_LEVELS),
        "form": len(FORM_LEVELS),
        "timeline": len(TIME_LEVELS),
        "rhythm": len(RHYTHM_LEVELS),
        "products": len(PRODUCT_LEVELS),
        "value": len(VALUE_LEVELS),
    }.get(field, len(COLUMN_LEVELS))


def _prior_m(field: str) -> np.ndarray:
    return np.asarray(PRIOR_M.get(field, PRIOR_M["column"]), dtype=float)


def random_pair_levels(
    pairs: pd.DataFrame, parsed: pd.DataFrame, evidence: pd.DataFrame, draws: int = RANDOM_PAIRS
) -> pd.DataFrame:
    """Comparison levels of a seeded sample of random pairs of ids (nearly all different
    customers): what each field looks like when two ids are *not* one customer.

    Each random pair keeps one id of a candidate pair and puts beside it a random id with
    about as many orders as the other (ORDER_BUCKETS), so that the random pairs order as
    often as the candidates do. Without candidates: uniform random pairs.
    """
    ids = np.array(sorted(evidence.index.intersection(parsed.index)), dtype=object)
    if len(ids) < 2:
        return pd.DataFrame(columns=["name"])
    rng = np.random.default_rng(20_240_613)
    bucket = np.digitize(evidence["orders"].reindex(ids).to_numpy(), ORDER_BUCKETS)
    position = pd.Series(np.arange(len(ids)), index=ids)
    known = pairs[pairs["id_a"].isin(position.index) & pairs["id_b"].isin(position.index)]
    if len(known):
        draw = min(draws, max(2_000, 40 * len(known)))
        row = rng.integers(0, len(known), size=draw)
        keep_a = rng.random(draw) < 0.5
        a_pos = position.reindex(known["id_a"]).to_numpy()[row]
        b_pos = position.reindex(known["id_b"]).to_numpy()[row]
        kept = np.where(keep_a, a_pos, b_pos)
        like = np.where(keep_a, b_pos, a_pos)
        other = np.empty(draw, dtype=np.int64)
        for level in np.unique(bucket[like]):
            members = np.flatnonzero(bucket == level)
            chosen = bucket[like] == level
            other[chosen] = members[rng.integers(0, len(members), size=int(chosen.sum()))]
        a, b = kept, other
    else:
        draw = min(draws, len(ids) * (len(ids) - 1) // 2)
        a = rng.integers(0, len(ids), size=draw)
        b = (a + rng.integers(1, len(ids), size=draw)) % len(ids)
    distinct = a != b
    a, b = a[distinct], b[distinct]
    sample = pd.DataFrame(
        {"id_a": ids[np.minimum(a, b)], "id_b": ids[np.maximum(a, b)], "score": 0.0}
    )
    return compare(sample, parsed, evidence)


def fit_model(levels: pd.DataFrame, random_levels: pd.DataFrame) -> LinkageModel:
    """Estimate the model from the candidates' levels and random pairs' levels (see module)."""
    fields = _fields(levels)
    u: dict[str, np.ndarray] = {}
    for field in fields:
        k = _level_count(field)
        if field != "name" and field in random_levels:
            observed = random_levels[field].to_numpy()
            counts = np.bincount(observed[observed >= 0], minlength=k).astype(float)
            u[field] = (counts + 1.0) / (counts.sum() + k)  # add-one: no level impossible
        else:
            u[field] = (
                np.asarray(PRIOR_U_NAME, dtype=float) if field == "name" else np.full(k, 1.0 / k)
            )
    m = {f: _prior_m(f) for f in fields}
    share = 0.5
    codes = {f: levels[f].to_numpy() for f in fields}
    n = len(levels)
    a_share, b_share = PRIOR_MATCH_SHARE
    for _ in range(EM_STEPS if n else 0):
        model = LinkageModel(share, m, u, n)
        gamma = _posterior(model, codes)
        share = (gamma.sum() + a_share - 1 + 1e-9) / (n + a_share + b_share - 2 + 2e-9)
        share = float(np.clip(share, 1e-4, 1 - 1e-4))
        new_m = {}
        for field in fields:
            k = _level_count(field)
            level = codes[field]
            known = level >= 0
            weights = np.bincount(level[known], weights=gamma[known], minlength=k)
            prior = PRIOR_PAIRS * _prior_m(field)
            new_m[field] = (weights + prior) / (weights.sum() + prior.sum())
            if field == "name":
                other = np.bincount(level[known], weights=1 - gamma[known], minlength=k)
                prior_u = PRIOR_U_PAIRS * np.asarray(PRIOR_U_NAME)
                u["name"] = (other + prior_u) / (other.sum() + prior_u.sum())
        m = new_m
    return LinkageModel(share, m, u, n)


def _posterior(model: LinkageModel, codes: dict[str, np.ndarray]) -> np.ndarray:
    n = len(next(iter(codes.values()))) if codes else 0
    odds = np.full(n, np.log(model.match_share / (1 - model.match_share)))
    for field, level in codes.items():
        weight = np.log(model.m[field] / model.u[field])
        odds += np.where(level >= 0, weight[np.clip(level, 0, None)], 0.0)
    return 1.0 / (1.0 + np.exp(-odds))


def link_customers(
    pairs: pd.DataFrame, parsed: pd.DataFrame, evidence: pd.DataFrame
) -> tuple[pd.DataFrame, LinkageModel]:
    """`pairs` with the match probability, whether a merge may be automatic, and the reason.

    Adds columns probability (0-1), name_level, mergeable (bool: the name allows an
    automatic merge), reviewable (mergeable, or a match column agrees: generic names and
    names with different numbers are worth a look only then) and reason (the evidence for
    and against, strongest first).
    """
    levels = compare(pairs, parsed, evidence)
    model = fit_model(levels, random_pair_levels(pairs, parsed, evidence))
    fields = _fields(levels)
    codes = {f: levels[f].to_numpy() for f in fields}
    probability = _posterior(model, codes) if len(pairs) else np.empty(0)
    names = np.asarray(NAME_LEVELS, dtype=object)[levels["name"].to_numpy()]
    columns = [c for c in fields if c.startswith("match:")]
    column_agrees = (
        (levels[columns].to_numpy() == 0).any(axis=1) if columns else np.zeros(len(pairs), bool)
    )
    mergeable = np.isin(names, list(MERGEABLE_NAMES))
    out = pairs.assign(
        probability=np.round(probability, 4),
        name_level=names,
        mergeable=mergeable,
        reviewable=mergeable | column_agrees,
        reason=_reasons(levels, model, pairs, parsed),
    )
    return out, model


def _reasons(
    levels: pd.DataFrame, model: LinkageModel, pairs: pd.DataFrame, parsed: pd.DataFrame
) -> list[str]:
    weights = model.weights()
    fields = _fields(levels)
    form_a = parsed["form"].reindex(pairs["id_a"]).to_numpy(dtype=object)
    form_b = parsed["form"].reindex(pairs["id_b"]).to_numpy(dtype=object)
    name_a = parsed["name"].reindex(pairs["id_a"]).to_numpy(dtype=object)
    shared = (parsed["codes"] + "|" + parsed["key"]).value_counts()
    key_a = (parsed["codes"] + "|" + parsed["key"]).reindex(pairs["id_a"]).to_numpy(dtype=object)
    reasons = []
    table = {f: levels[f].to_numpy() for f in [*fields, "same_days"]}
    for i in range(len(levels)):
        pro: list[tuple[float, str]] = []
        con: list[tuple[float, str]] = []
        for field in fields:
            level = int(table[field][i])
            if level < 0:
                continue
            bits = float(weights[field][level])
            text = _describe(
                field,
                level,
                form_a=str(form_a[i] or ""),
                form_b=str(form_b[i] or ""),
                same_days=int(table["same_days"][i]),
                shared=int(shared.get(key_a[i], 0)),
                name=str(name_a[i]),
            )
            if text and abs(bits) >= EVIDENCE_BITS:
                (pro if bits > 0 else con).append((abs(bits), text))
        pro.sort(key=lambda t: -t[0])
        con.sort(key=lambda t: -t[0])
        parts = []
        if pro:
            parts.append("for: " + ", ".join(t for _, t in pro))
        if con:
            parts.append("against: " + ", ".join(t for _, t in con))
        reasons.append("; ".join(parts) or "no clear evidence either way")
    return reasons


def _describe(field: str, level: int, **facts) -> str:
    if field == "name":
        name = NAME_LEVELS[level]
        return {
            "same": "same name"
            + (f" and legal form ({facts['form_a']})" if facts["form_a"] else ""),
            "same_no_form": "same name, legal form on one only",
            "same_other_form": f"same name, but legal forms differ: {facts['form_a']} / "
            f"{facts['form_b']}",
            "same_common": f"same name, but {facts['shared']} ids carry it",
            "typo": "names one typo apart",
            "extra_word": "one name has a word the other lacks",
            "close": "names nearly alike",
            "similar": "names somewhat alike",
            "different": "different names",
            "generic": "a generic name that fits many buyers",
            "codes": "different numbers or codes in the names",
        }[name]
    if field == "form":
        fa, fb = facts["form_a"], facts["form_b"]
        if level == 0:
            return f"same legal form ({fa})" if fa else ""
        if level == 1:
            return "legal form on one name only" if not fa or not fb else "legal forms overlap"
        return f"legal forms differ: {fa} / {fb}"
    if field == "timeline":
        return (
            f"orders on {facts['same_days']} same days",
            "orders on one same day",
            "orders interleave in time, never on the same day",
            "one id's orders end before the other's begin",
            "",
        )[level]
    if field == "rhythm":
        return (
            "together the ids' orders keep one regular rhythm",
            "",
            "each id keeps its own ordering rhythm",
        )[level]
    if field == "products":
        return (
            "same product lines",
            "one id's product lines among the other's",
            "product lines overlap",
            "no product line in common",
        )[level]
    if field == "value":
        return ("similar order values", "order values within a factor 3", "order values far apart")[
            level
        ]
    label = field.removeprefix("match:")
    return f"same {label}" if level == 0 else f"different {label}"


__all__ = [
    "MAX_SHARED_NAME",
    "LinkageModel",
    "compare",
    "customer_evidence",
    "fit_model",
    "link_customers",
    "random_pair_levels",
]
