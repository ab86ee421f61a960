"""The deviation catalogue: where the process staff follow departs from the documented one.

Kinds: informal activities (in the log, not in the documented process), skipped steps
(activities every run of the documented process does, missing from the case), rework
(the study's rework activities) and repeated activities, order violations (b done before
a where the documented process always does a first), and the role rules' courtesy-call
deviations. Every entry says how often, in how many cases, and where: the share of cases
affected per segment value (and other small case attributes such as team or channel) and
the resources who performed the deviating events.

Orders still open at the log's end (see `open_cases`) have not skipped anything yet: they are
never counted as skipping a step.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from l2csim.log import ACTIVITY, CASE, CUSTOMER, CUSTOMER_NAME, RESOURCE, TIMESTAMP
from l2csim.mine.conformance import (
    ReferenceModel,
    ReferenceStructure,
    mandatory_activities,
    precedence_pairs,
)
from l2csim.mine.role_rules import CaseTable

MAX_WHERE_VALUES = 20
# A case still open at the log's end: its last event lies within this quantile of case
# durations before the end, at an activity that does not end settled cases.
OPEN_DURATION_QUANTILE = 0.9
END_ACTIVITY_SHARE = 0.05
DEVIATION_COLUMNS = [
    "kind",
    "activity",
    "frequency",
    "cases",
    "case_share",
    "rare",
    "where_attributes",
    "where_resources",
]


@dataclass(frozen=True)
class Deviation:
    """One catalogue entry; `flags` marks the cases that show it (index: all case ids)."""

    kind: str
    activity: str
    frequency: int
    flags: pd.Series
    resources: pd.Series  # resource → deviating events performed


def open_cases(events: pd.DataFrame, *, is_ordered: bool = False) -> pd.Series:
    """Cases still open at the log's end (index: case id, sorted).

    A case is open when its last event falls within the 90th percentile of case durations
    before the log's last event and that event's activity is not one that ends settled cases
    (those whose last event is older than that; an activity ending at least 5% of them). With
    no settled cases, the end activities are those ending at least 5% of all cases.
    `is_ordered`: the events are sorted by case and time already (`maps.ordered`).
    """
    if events.empty:
        return pd.Series(dtype=bool)
    ordered = events if is_ordered else events.sort_values([CASE, TIMESTAMP], kind="mergesort")
    grouped = ordered.groupby(CASE, sort=True)
    last_time, first_time = grouped[TIMESTAMP].max(), grouped[TIMESTAMP].min()
    last_activity = grouped[ACTIVITY].last()
    window = (last_time - first_time).quantile(OPEN_DURATION_QUANTILE)
    recent = last_time >= last_time.max() - window
    settled = last_activity[~recent] if (~recent).any() else last_activity
    ends = settled.value_counts(normalize=True)
    end_activities = set(ends.index[ends >= END_ACTIVITY_SHARE])
    return (recent & ~last_activity.isin(end_activities)).rename("open")


def find_deviations(
    events: pd.DataFrame,
    cases: CaseTable,
    model: ReferenceModel | ReferenceStructure | None,
    rework: list[str],
    role_flags: dict[tuple[str, str], pd.Series],
    still_open: pd.Series | None = None,
) -> list[Deviation]:
    """Every deviation kind the inputs allow (model-based kinds need a reference process:
    the model itself, or its structure as a worker derived it). `still_open` is
    `open_cases(events)` when the caller has it already.

    Events are matched by integer codes of their activity and case, not by comparing strings
    for every activity."""
    counts = cases.counts
    if still_open is None:
        still_open = open_cases(events)
    still_open = still_open.reindex(counts.index, fill_value=False)
    found: list[Deviation] = []
    resource = events.get(RESOURCE, None)
    activity_codes, activity_names = pd.factorize(events[ACTIVITY])
    code_of = {name: i for i, name in enumerate(activity_names)}
    case_codes, case_names = pd.factorize(events[CASE])

    def is_activity(activity: str) -> np.ndarray:
        return activity_codes == code_of.get(activity, -2)

    def by_resource(mask: pd.Series) -> pd.Series:
        if resource is None:
            return pd.Series(dtype="int64")
        return resource[mask].value_counts().sort_index()

    if model is not None:
        documented = set(model.activities)
        for activity in sorted(a for a in counts.columns if a not in documented):
            flags = counts[activity] > 0
            found.append(
                Deviation("informal_activity", activity, int(counts[activity].sum()), flags,
                          by_resource(is_activity(activity)))
            )  # fmt: skip
        mandatory, precedence = _structure(model)
        for activity in mandatory:
            column = counts[activity] if activity in counts else pd.Series(0, index=counts.index)
            flags = (column == 0) & ~still_open  # an open order has not skipped it yet
            found.append(
                Deviation(
                    "skipped_step", activity, int(flags.sum()), flags, pd.Series(dtype="int64")
                )
            )
        for a, b in precedence:
            if a not in cases.first or b not in cases.first:
                continue
            flags = (cases.first[a] > cases.first[b]).fillna(False)
            if not flags.any():
                continue
            violating = np.isin(case_codes, case_names.get_indexer(flags.index[flags]))
            found.append(
                Deviation("order_violation", f"{a} after {b}", int(flags.sum()), flags,
                          by_resource(violating & is_activity(a)))
            )  # fmt: skip
    for activity in sorted(a for a in rework if a in counts):
        flags = counts[activity] > 0
        found.append(
            Deviation("rework", activity, int(counts[activity].sum()), flags,
                      by_resource(events[ACTIVITY] == activity))
        )  # fmt: skip
    pair = case_codes.astype(np.int64) * max(len(activity_names), 1) + activity_codes
    repeated = pd.Series(pair).groupby(pair, sort=False).cumcount().to_numpy() > 0
    for activity in sorted(counts.columns):
        extra = (counts[activity] - 1).clip(lower=0)
        if extra.sum() == 0:
            continue
        mask = is_activity(activity) & repeated
        found.append(
            Deviation("repeated_activity", activity, int(extra.sum()), extra > 0, by_resource(mask))
        )
    for (kind, activity), flags in sorted(role_flags.items()):
        found.append(Deviation(kind, activity, int(flags.sum()), flags, pd.Series(dtype="int64")))
    return [d for d in found if d.flags.any()]


def _structure(
    model: ReferenceModel | ReferenceStructure,
) -> tuple[list[str], list[tuple[str, str]]]:
    """Mandatory activities and precedence pairs, derived once."""
    if isinstance(model, ReferenceStructure):
        return list(model.mandatory), list(model.precedence)
    return mandatory_activities(model), precedence_pairs(model)


def where_attributes(attributes: pd.DataFrame, segment_columns: list[str]) -> list[str]:
    """Case attributes worth breaking deviations down by: the segments, plus any small
    categorical attribute (team, channel...) with 2-20 values."""
    chosen = [c for c in segment_columns if c in attributes]
    for column in attributes.columns:
        if column in chosen or column in (CUSTOMER, CUSTOMER_NAME):
            continue
        series = attributes[column]
        if series.dtype == object and 2 <= series.nunique() <= MAX_WHERE_VALUES:
            chosen.append(column)
    return chosen


def describe_where(
    deviation: Deviation, attributes: pd.DataFrame, columns: list[str]
) -> dict[str, Any]:
    """Share of cases with the deviation for each attribute value; top resources."""
    where: dict[str, Any] = {}
    for column in columns:
        values = attributes[column].astype(str).reindex(deviation.flags.index)
        grouped = deviation.flags.groupby(values, sort=True)
        where[column.removeprefix("case:")] = {
            str(v): {"cases": int(n), "share": round(float(s), 6)}
            for v, n, s in zip(grouped.size().index, grouped.sum(), grouped.mean(), strict=True)
        }
    top = deviation.resources.sort_index().sort_values(ascending=False, kind="mergesort").head(5)
    total = int(deviation.resources.sum())
    resources = {str(r): {"events": int(n), "share": round(n / total, 6)} for r, n in top.items()}
    return {"attributes": where, "resources": resources}


def catalogue(
    deviations: list[Deviation], attributes: pd.DataFrame, columns: list[str], min_share: float
) -> tuple[pd.DataFrame, list[dict[str, Any]]]:
    """The catalogue as a table (deviations.csv) and as records (findings.json)."""
    records = []
    for d in deviations:
        n_cases = int(d.flags.sum())
        share = n_cases / len(d.flags) if len(d.flags) else 0.0
        where = describe_where(d, attributes, columns)
        records.append(
            {
                "kind": d.kind,
                "activity": d.activity,
                "frequency": d.frequency,
                "cases": n_cases,
                "case_share": round(share, 6),
                "rare": share < min_share,
                "where": where,
            }
        )
    records.sort(key=lambda r: (-r["cases"], r["kind"], r["activity"]))
    rows = [
        {
            **{k: r[k] for k in DEVIATION_COLUMNS[:6]},
            "where_attributes": _compact_attributes(r["where"]["attributes"]),
            "where_resources": "; ".join(
                f"{name} {v['share']:.0%}" for name, v in r["where"]["resources"].items()
            ),
        }
        for r in records
    ]
    return pd.DataFrame(rows, columns=DEVIATION_COLUMNS), records


def _compact_attributes(where: dict[str, dict[str, dict[str, float]]]) -> str:
    """'team: Spares 31%, Service 2%' — highest shares first, for the CSV."""
    parts = []
    for column, values in where.items():
        ranked = sorted(values.items(), key=lambda kv: (-kv[1]["share"], kv[0]))[:3]
        parts.append(f"{column}: " + ", ".join(f"{v} {s['share']:.0%}" for v, s in ranked))
    return "; ".join(parts)
