"""Variants: the distinct activity sequences cases follow, the table process owners start from.

Each variant has its cases, share, cumulative coverage and median lead time, so a reader
sees at once how many paths cover most of the work and which are slow.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from l2csim.log import ACTIVITY, CASE, START, TIMESTAMP
from l2csim.mine.maps import ordered

SEPARATOR = " → "
VARIANT_COLUMNS = [
    "rank",
    "variant",
    "cases",
    "share",
    "cumulative_share",
    "median_lead_time_days",
    "activities",
]


def case_variants(events: pd.DataFrame, *, is_ordered: bool = False) -> pd.Series:
    """Each case's variant (its activities in order, as a tuple), indexed by case id.

    Each case's activity codes become one bytes key (a slice of one buffer), the keys are
    factorised, and only the distinct variants are decoded to names: no per-event Python.
    """
    ev = events if is_ordered else ordered(events)
    codes, names = pd.factorize(ev[ACTIVITY], sort=True)
    raw = codes.astype(np.int32).tobytes()
    case = ev[CASE].to_numpy()
    starts = np.flatnonzero(np.r_[True, case[1:] != case[:-1]]) if len(case) else np.zeros(0, int)
    ends = np.r_[starts[1:], len(case)]
    keys = pd.Series([raw[4 * s : 4 * e] for s, e in zip(starts, ends, strict=True)], dtype=object)
    key_codes, unique = pd.factorize(keys)
    lookup = np.asarray(names, dtype=object)
    decoded = np.empty(len(unique), dtype=object)
    for i, key in enumerate(unique):  # item by item: equal-length tuples must stay tuples
        decoded[i] = tuple(lookup[np.frombuffer(key, dtype=np.int32)])
    return pd.Series(decoded[key_codes], index=case[starts], dtype=object, name="variant")


def lead_times(events: pd.DataFrame) -> pd.Series:
    """Each case's lead time in seconds: first start (or completion) to last completion."""
    begin = events[START].fillna(events[TIMESTAMP]) if START in events else events[TIMESTAMP]
    grouped_end = events[TIMESTAMP].groupby(events[CASE], sort=True)
    grouped_begin = begin.groupby(events[CASE], sort=True)
    return (grouped_end.max() - grouped_begin.min()).dt.total_seconds().rename("lead_time_s")


def variant_table(
    variants: pd.Series, lead_time_s: pd.Series, top: int | None = None
) -> pd.DataFrame:
    """Variants ranked by cases (ties by sequence), with share, coverage and median lead time."""
    frame = pd.DataFrame({"variant": variants, "lead": lead_time_s.reindex(variants.index)})
    grouped = frame.groupby("variant", sort=True)
    table = grouped.agg(cases=("lead", "size"), median_lead=("lead", "median")).reset_index()
    table = table.sort_values("cases", ascending=False, kind="mergesort").reset_index(drop=True)
    total = int(table["cases"].sum())
    table["share"] = (table["cases"] / total).round(6)
    table["cumulative_share"] = (table["cases"].cumsum() / total).round(6)
    table["median_lead_time_days"] = (table["median_lead"] / 86400).round(3)
    table["activities"] = table["variant"].map(len)
    table["variant"] = table["variant"].map(SEPARATOR.join)
    table["rank"] = np.arange(1, len(table) + 1)
    table = table[VARIANT_COLUMNS]
    return table.head(top).copy() if top is not None else table
