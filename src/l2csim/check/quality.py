"""Data-quality checks on an event log: the upstream faults of order management made visible.

Each check is a small vectorised function returning findings; `check_quality` runs them all
and `l2csim check` shows the report. Findings describe the data, they are not errors: the
log is still usable, and the consultant decides what to fix or explain.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
from rapidfuzz import fuzz, process
from rich.markup import escape
from rich.table import Table

from l2csim.log import (
    ACTIVITY,
    CASE,
    CUSTOMER,
    CUSTOMER_NAME,
    RESOURCE,
    START,
    TIMESTAMP,
    EventLog,
    Lifecycle,
    date_bulk,
    outlier_cases,
)
from l2csim.output import write_json

Severity = Literal["error", "warning", "info"]
SEVERITY_ORDER: dict[str, int] = {"error": 0, "warning": 1, "info": 2}
MAX_EXAMPLES = 5
EARLIEST_PLAUSIBLE = pd.Timestamp("1990-01-01", tz="UTC")
# Activity names at least this similar (rapidfuzz ratio, 0-100) are reported as possible typos.
ACTIVITY_TYPO_SCORE = 90.0
# Same-time events of one case are paired all with all; bigger groups are left out (and said).
MAX_TIE_GROUP = 50
# Columns whose gaps matter for mining and simulation; gaps elsewhere are informational.
KEY_COLUMNS = (RESOURCE, CUSTOMER, CUSTOMER_NAME)


@dataclass(frozen=True)
class Finding:
    """One data-quality observation: what, how serious, how often, and a few examples."""

    kind: str
    severity: Severity
    count: int
    message: str
    examples: tuple[str, ...] = ()
    column: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "severity": self.severity,
            "count": int(self.count),
            "message": self.message,
            "examples": list(self.examples),
            "column": self.column,
        }


@dataclass(frozen=True)
class QualityReport:
    """All findings on one log, with the log's size and period for context."""

    log: str
    events: int
    cases: int
    activities: int
    period_start: pd.Timestamp | None
    period_end: pd.Timestamp | None
    findings: tuple[Finding, ...] = ()
    notes: tuple[str, ...] = field(default=())

    def to_dict(self) -> dict[str, Any]:
        """A JSON-safe dict; findings in report order (severity, then kind, then column)."""
        return {
            "log": self.log,
            "events": int(self.events),
            "cases": int(self.cases),
            "activities": int(self.activities),
            "period_start": _iso(self.period_start),
            "period_end": _iso(self.period_end),
            "findings": [f.to_dict() for f in self.findings],
            "notes": list(self.notes),
        }

    def count(self, severity: Severity) -> int:
        """How many findings have this severity."""
        return sum(1 for f in self.findings if f.severity == severity)


def check_quality(
    log: EventLog, *, now: pd.Timestamp | None = None, similarity_threshold: float = 90.0
) -> QualityReport:
    """Run every check on `log` and collect the findings.

    `now` is the moment after which timestamps count as in the future (default: the current
    time); `similarity_threshold` (0-100) is how alike two customer names must be to count
    as one customer keyed twice.
    """
    events = log.events
    now = pd.Timestamp.now(tz="UTC") if now is None else _utc(pd.Timestamp(now))
    checks: list[Callable[[pd.DataFrame], list[Finding]]] = [
        missing_values,
        duplicate_events,
        backwards_in_time,
        ambiguous_order,
        lambda e: implausible_timestamps(e, now=now),
        activity_name_variants,
        start_after_end,
        lambda e: similar_customers(e, threshold=similarity_threshold),
        changing_case_attributes,
        cases_without_customer,
    ]
    findings = [finding for check in checks for finding in check(events)]
    findings += outlier_dates(events) + lifecycle_findings(log.lifecycle)
    findings.sort(key=lambda f: (SEVERITY_ORDER[f.severity], f.kind, f.column or ""))
    times = events[TIMESTAMP] if TIMESTAMP in events else pd.Series(dtype="datetime64[ns, UTC]")
    return QualityReport(
        log=str(log.source),
        events=len(events),
        cases=int(events[CASE].nunique()) if CASE in events else 0,
        activities=int(events[ACTIVITY].nunique()) if ACTIVITY in events else 0,
        period_start=times.min() if len(times) else None,
        period_end=times.max() if len(times) else None,
        findings=tuple(findings),
        notes=tuple(log.notes),
    )


def with_study_warnings(report: QualityReport, warnings: list[str]) -> QualityReport:
    """The report with what in the study file does not fit the log yet, as one finding
    (`inputs.study_warnings`): roles, attributes and files named but not found."""
    if not warnings:
        return report
    finding = Finding(
        kind="study_file",
        severity="warning",
        count=len(warnings),
        message="the study file names things the log or the folder does not have (yet); "
        "later commands need them",
        examples=tuple(warnings),
    )
    return QualityReport(
        report.log, report.events, report.cases, report.activities, report.period_start,
        report.period_end, (finding, *report.findings), report.notes,
    )  # fmt: skip


def write_quality_json(report: QualityReport, path: str | os.PathLike[str]) -> Path:
    """Write the report as JSON, atomically; identical reports give identical bytes."""
    return write_json(path, report.to_dict())


def quality_table(report: QualityReport) -> Table:
    """A short terminal table of the findings; all log text is escaped for rich markup."""
    table = Table(
        title=escape(
            f"Data quality: {report.log} ({report.events:,} events, {report.cases:,} cases)"
        ),
        title_justify="left",
    )
    table.add_column("severity")
    table.add_column("kind")
    table.add_column("count", justify="right")
    table.add_column("message")
    styles = {"error": "bold red", "warning": "yellow", "info": "cyan"}
    for finding in report.findings:
        text = escape(finding.message)
        if finding.examples:
            shown = "; ".join(finding.examples[:2])
            text += f"\n[dim]e.g. {escape(shown)}[/dim]"
        table.add_row(
            f"[{styles[finding.severity]}]{finding.severity}[/]",
            escape(finding.kind),
            f"{finding.count:,}",
            text,
        )
    if not report.findings:
        table.add_row("", "", "0", "no findings")
    if report.notes:
        table.caption = escape("Reading: " + "; ".join(report.notes))
    return table


# --- checks --------------------------------------------------------------------------------


def missing_values(events: pd.DataFrame) -> list[Finding]:
    """One finding per column with empty values (events and, where it helps, cases)."""
    nulls = events.isna()
    counts = nulls.sum()
    findings = []
    for column in events.columns:
        missing = int(counts[column])
        if not missing:
            continue
        rows = events.index[nulls[column].to_numpy()]
        cases = int(events.loc[rows, CASE].nunique()) if CASE in events else 0
        findings.append(
            Finding(
                kind="missing_values",
                severity="warning" if column in KEY_COLUMNS else "info",
                count=missing,
                message=(
                    f"{column}: {missing:,} of {len(events):,} events ({_pct(missing, len(events))})"
                    f" in {cases:,} cases have no value"
                ),
                examples=tuple(_rows(rows)),
                column=column,
            )
        )
    return findings


def duplicate_events(events: pd.DataFrame) -> list[Finding]:
    """Events equal in every column to an earlier event (double-keyed or double-exported)."""
    try:
        repeated = events.duplicated(keep="first")
    except TypeError:  # unhashable cell values (lists from object-centric logs)
        repeated = events.astype(str).duplicated(keep="first")
    count = int(repeated.sum())
    if not count:
        return []
    rows = events.index[repeated.to_numpy()]
    examples = [
        f"row {i + 1} (case {events.at[i, CASE]}, {events.at[i, ACTIVITY]})"
        for i in rows[:MAX_EXAMPLES]
    ]
    return [
        Finding(
            kind="duplicate_events",
            severity="warning",
            count=count,
            message=(
                f"{count:,} events repeat an earlier event exactly (all columns equal), in "
                f"{events.loc[rows, CASE].nunique():,} cases; counts and durations would "
                "double them"
            ),
            examples=tuple(examples),
        )
    ]


def backwards_in_time(events: pd.DataFrame) -> list[Finding]:
    """Cases whose events, in file order, go back in time.

    With start times, a step counts only if the event both starts and ends before the one
    above it: a file sorted by start (or by end) time legitimately goes back in the other
    time where activities overlap.
    """
    by_case = events.groupby(CASE, sort=False)
    back = (by_case[TIMESTAMP].diff() < pd.Timedelta(0)).to_numpy()
    if START in events:
        started = events[START].fillna(events[TIMESTAMP])
        back &= (started.groupby(events[CASE], sort=False).diff() < pd.Timedelta(0)).to_numpy()
    if not back.any():
        return []
    hits = events.loc[back, [CASE]]
    first = hits[~hits[CASE].duplicated()]
    examples = [
        f"case {case}: row {row + 1} is earlier than the event before it"
        for row, case in zip(
            first.index[:MAX_EXAMPLES], first[CASE].iloc[:MAX_EXAMPLES], strict=True
        )
    ]
    cases = len(first)
    return [
        Finding(
            kind="backwards_in_time",
            severity="warning",
            count=cases,
            message=(
                f"{cases:,} cases have events that go back in time in file order "
                f"({int(back.sum()):,} steps back); the file order is not the order of work"
            ),
            examples=tuple(examples),
            column=TIMESTAMP,
        )
    ]


def ambiguous_order(events: pd.DataFrame) -> list[Finding]:
    """Activity pairs that share a timestamp within a case and appear in both orders.

    When two events of a case have the same time, only the file says which came first; if
    the same two activities come A-then-B in some cases and B-then-A in others, the process
    map and durations depend on an order the data does not have. With start times, events
    tie only if they also start together (different starts settle the order).
    """
    times = events[[CASE, TIMESTAMP, ACTIVITY]]
    if START in events:
        times = times.assign(_start=events[START].fillna(events[TIMESTAMP]))
    keys = [c for c in times.columns if c != ACTIVITY]
    tied = times.duplicated(keys, keep=False).to_numpy()
    if not tied.any():
        return []
    ties = times.loc[tied].copy()
    ties["_pos"] = np.arange(len(ties))  # file order within the tied events
    sizes = ties.groupby(keys, sort=False)[ACTIVITY].transform("size")
    too_big = sizes > MAX_TIE_GROUP
    skipped = int(ties.loc[too_big, CASE].nunique())
    ties = ties.loc[~too_big]
    first, then = f"{ACTIVITY}_a", f"{ACTIVITY}_b"
    pairs = ties.merge(ties, on=keys, suffixes=("_a", "_b"))
    pairs = pairs[(pairs["_pos_a"] < pairs["_pos_b"]) & (pairs[first] != pairs[then])]
    pairs = pairs[[CASE, first, then]].drop_duplicates()
    per_order = pairs.groupby([first, then]).size()
    # The count of (b first, a then), indexed (a, b); levels renamed so the join matches them.
    backward = per_order.copy()
    backward.index = backward.index.swaplevel().set_names([first, then])
    both = per_order.to_frame("forward").join(backward.rename("backward"), how="inner")
    both = both[both.index.get_level_values(0) < both.index.get_level_values(1)]
    if both.empty:
        return []
    both = both.reset_index().rename(columns={first: "a", then: "b"})
    both["total"] = both["forward"] + both["backward"]
    both = both.sort_values(["total", "a", "b"], ascending=[False, True, True])
    forward = (pairs[first] < pairs[then]).to_numpy()
    low = np.where(forward, pairs[first], pairs[then])
    high = np.where(forward, pairs[then], pairs[first])
    involved = pd.MultiIndex.from_arrays([low, high]).isin(
        pd.MultiIndex.from_frame(both[["a", "b"]])
    )
    cases = int(pairs.loc[involved, CASE].nunique())
    examples = [
        f"{row.a} / {row.b}: {row.forward:,} cases {row.a} first, {row.backward:,} cases "
        f"{row.b} first"
        for row in both.head(MAX_EXAMPLES).itertuples()
    ]
    note = (
        f"; {skipped:,} cases with more than {MAX_TIE_GROUP} same-time events not paired"
        if skipped
        else ""
    )
    return [
        Finding(
            kind="ambiguous_order",
            severity="warning",
            count=len(both),
            message=(
                f"{len(both):,} activity pairs share timestamps and appear in both orders, in "
                f"{cases:,} cases; their order comes only from the file{note}"
            ),
            examples=tuple(examples),
            column=TIMESTAMP,
        )
    ]


def implausible_timestamps(events: pd.DataFrame, *, now: pd.Timestamp) -> list[Finding]:
    """Times after `now` or before 1990: typing errors, placeholder dates, wrong formats."""
    findings = []
    for column in (TIMESTAMP, START):
        if column not in events:
            continue
        times = events[column]
        for kind, mask, what in (
            ("future_timestamp", times > now, f"after now ({_iso(now)})"),
            ("early_timestamp", times < EARLIEST_PLAUSIBLE, "before 1990-01-01"),
        ):
            hit = mask.fillna(False).to_numpy()
            count = int(hit.sum())
            if not count:
                continue
            rows = events.index[hit][:MAX_EXAMPLES]
            findings.append(
                Finding(
                    kind=kind,
                    severity="warning",
                    count=count,
                    message=f"{column}: {count:,} events have a time {what}",
                    examples=tuple(f"row {i + 1}: {_iso(times.at[i])}" for i in rows),
                    column=column,
                )
            )
    return findings


def outlier_dates(events: pd.DataFrame) -> list[Finding]:
    """Events dated far outside the bulk of the log (`l2csim.log.date_bulk`'s rule, relative
    to the log's own dates, not a fixed year): fit and validate leave their cases out."""
    if TIMESTAMP not in events or events.empty:
        return []
    bulk = date_bulk(events[TIMESTAMP])
    if not bulk.outliers:
        return []
    times = events[TIMESTAMP]
    hit = ((times < bulk.start) | (times > bulk.end)).to_numpy()
    rows = events.index[hit][:MAX_EXAMPLES]
    cases = len(outlier_cases(events, bulk))
    return [
        Finding(
            kind="outlier_dates",
            severity="warning",
            count=bulk.outliers,
            message=(
                f"{TIMESTAMP}: {bulk.outliers:,} events dated far outside the bulk of the log "
                f"({bulk.rule}); fit and validate leave their {cases:,} cases out, so the "
                "model's period is the bulk's"
            ),
            examples=tuple(f"row {i + 1}: {_iso(times.at[i])}" for i in rows),
            column=TIMESTAMP,
        )
    ]


def lifecycle_findings(lifecycle: Lifecycle | None) -> list[Finding]:
    """How the lifecycle column was read, when it is not plain start/complete: statuses kept
    as activities (or left out), or transitions such as schedule left out."""
    if lifecycle is None:
        return []
    shown = tuple(f"{value}: {count:,} events" for value, count in lifecycle.values.items())
    if lifecycle.statuses:
        statuses = ", ".join(repr(v) for v in lifecycle.statuses[:8])
        if lifecycle.mode == "activity":
            what = (
                "each event is kept, its value joined to the activity (e.g. 'Accepted (In "
                "Progress)'); to pair work instead, name the values that start and complete "
                "it in log.lifecycle.start / log.lifecycle.complete and set "
                "log.lifecycle.keep_as_activity: false"
            )
        else:
            what = (
                f"{lifecycle.left_out:,} events with them are left out "
                "(log.lifecycle.keep_as_activity: false); set it to true to keep them"
            )
        return [
            Finding(
                kind="lifecycle_statuses",
                severity="warning",
                count=len(lifecycle.statuses),
                message=(
                    f"column {lifecycle.column!r} is not start/complete: it holds statuses "
                    f"({statuses}); {what}"
                ),
                examples=shown,
                column=lifecycle.column,
            )
        ]
    if lifecycle.mode == "paired" and lifecycle.left_out:
        return [
            Finding(
                kind="lifecycle_left_out",
                severity="info",
                count=lifecycle.left_out,
                message=(
                    f"column {lifecycle.column!r}: {lifecycle.left_out:,} events with transitions "
                    "other than start and complete (schedule, assign, ...) carry no work time "
                    "and are left out; starts are paired with their completions"
                ),
                examples=shown,
                column=lifecycle.column,
            )
        ]
    return []


def activity_name_variants(events: pd.DataFrame) -> list[Finding]:
    """Activity names that are probably one activity spelled two ways.

    Names equal up to case, spacing and punctuation are reported as variants; names with a
    small typo (rapidfuzz ratio >= ACTIVITY_TYPO_SCORE) as possible typos. Pairs that
    differ in their numbers ('T02 Check' / 'T03 Check') or in a whole short code word
    ('A_ACCEPTED' / 'O_ACCEPTED') are different activities and not reported.
    """
    names = pd.Series(sorted(events[ACTIVITY].dropna().astype(str).unique()), dtype=object)
    if len(names) < 2:
        return []
    counts = events[ACTIVITY].value_counts()
    tokens = [re.findall(r"[^\W_]+", n.casefold()) for n in names]
    keys = pd.Series(["".join(t) for t in tokens], dtype=object)
    findings = []

    groups = names.groupby(keys, sort=True).agg(list)
    groups = groups[groups.map(len) > 1]
    if len(groups):
        examples = [" / ".join(repr(n) for n in group) for group in groups.iloc[:MAX_EXAMPLES]]
        spelled = sum(len(g) for g in groups)
        findings.append(
            Finding(
                kind="activity_variants",
                severity="warning",
                count=len(groups),
                message=(
                    f"{len(groups):,} activities are spelled in more than one way ({spelled:,} "
                    "names differing only in case, spacing or punctuation)"
                ),
                examples=tuple(examples),
                column=ACTIVITY,
            )
        )

    unique_keys = sorted(set(keys) - {""})
    words = {k: t for k, t in zip(keys, tokens, strict=True)}
    scores = process.cdist(
        unique_keys,
        unique_keys,
        scorer=fuzz.ratio,
        score_cutoff=ACTIVITY_TYPO_SCORE,
        dtype=np.uint8,
        workers=1,
    )
    typos = []
    for i, j in zip(*np.nonzero(scores), strict=True):
        if i < j and _looks_like_typo(words[unique_keys[i]], words[unique_keys[j]]):
            typos.append(
                (unique_keys[i], unique_keys[j], fuzz.ratio(unique_keys[i], unique_keys[j]))
            )
    if typos:
        spelling = dict(zip(keys[::-1], names[::-1], strict=True))  # first spelling per key
        examples = []
        for a, b, score in typos[:MAX_EXAMPLES]:
            name_a, name_b = spelling[a], spelling[b]
            examples.append(
                f"{name_a!r} ({int(counts.get(name_a, 0)):,} events) / {name_b!r} "
                f"({int(counts.get(name_b, 0)):,} events): {score:.0f}"
            )
        findings.append(
            Finding(
                kind="activity_typos",
                severity="info",
                count=len(typos),
                message=f"{len(typos):,} pairs of activity names are nearly identical (typos?)",
                examples=tuple(examples),
                column=ACTIVITY,
            )
        )
    return findings


def start_after_end(events: pd.DataFrame) -> list[Finding]:
    """Events that start after they end: a swapped or mistyped time."""
    if START not in events:
        return []
    hit = (events[START] > events[TIMESTAMP]).fillna(False).to_numpy()
    count = int(hit.sum())
    if not count:
        return []
    rows = events.index[hit][:MAX_EXAMPLES]
    return [
        Finding(
            kind="start_after_end",
            severity="error",
            count=count,
            message=f"{count:,} events start after they end; their durations are negative",
            examples=tuple(
                f"row {i + 1}: start {_iso(events.at[i, START])} > end "
                f"{_iso(events.at[i, TIMESTAMP])}"
                for i in rows
            ),
            column=START,
        )
    ]


def similar_customers(events: pd.DataFrame, *, threshold: float = 90.0) -> list[Finding]:
    """Customers keyed twice: different ids that the customer identity resolution links.

    The same resolution as `l2csim customers` (names parsed, candidates by name, weighed
    with the ids' order timelines); the pairs it would merge are reported, those it would
    send to review are counted in the message (the customers analysis also weighs values
    and products). Numbered walk-in buyers and other generic
    names are not. Without ids, each distinct name counts as one record; without names,
    nothing is compared (ids alone say too little).
    """
    from l2csim.customers.merges import KEEP, propose_merges

    if CUSTOMER_NAME not in events:
        if CUSTOMER in events:
            return [
                Finding(
                    kind="similar_customers",
                    severity="info",
                    count=0,
                    message=(
                        "not checked: the log has customer ids but no customer names; map a "
                        "name column (log.columns.customer_name) to find customers keyed twice"
                    ),
                    column=CUSTOMER,
                )
            ]
        return []
    ids = events[CUSTOMER] if CUSTOMER in events else events[CUSTOMER_NAME]
    first = pd.DataFrame(
        {
            "customer": ids.astype("string"),
            "customer_name": events[CUSTOMER_NAME].astype("string"),
            "received": events[TIMESTAMP],
            "case": events[CASE],
        }
    ).dropna(subset=["customer", "customer_name", "received"])
    orders = first.sort_values("received", kind="stable").drop_duplicates("case")
    if orders.empty:
        return []
    orders = orders.assign(value=np.nan, product=None)
    proposed = propose_merges(orders, threshold=threshold)
    proposed = proposed[proposed["decision"] != KEEP]
    pairs = proposed[proposed["decision"] == "merge"]  # what l2csim customers would merge
    doubtful = len(proposed) - len(pairs)
    if pairs.empty:
        return []
    examples = [
        f"{row.id_a} {row.name_a!r} ~ {row.id_b} {row.name_b!r} ({100 * row.probability:.0f} %)"
        for row in pairs.head(MAX_EXAMPLES).itertuples()
    ]
    records = len(set(pairs["id_a"]) | set(pairs["id_b"]))
    return [
        Finding(
            kind="similar_customers",
            severity="warning",
            count=len(pairs),
            message=(
                f"{len(pairs):,} pairs of customer records ({records:,} records) are probably "
                "one customer keyed more than once"
                + (f"; {doubtful:,} more pair(s) worth a look" if doubtful else "")
            ),
            examples=tuple(examples),
            column=CUSTOMER_NAME,
        )
    ]


def changing_case_attributes(events: pd.DataFrame) -> list[Finding]:
    """Case attributes with more than one value inside a case (orders re-keyed midway)."""
    case_codes, _ = pd.factorize(events[CASE])
    findings = []
    for column in events.columns:
        if not column.startswith("case:") or column == CASE:
            continue
        try:
            values, _ = pd.factorize(events[column])
        except TypeError:  # unhashable cell values
            values, _ = pd.factorize(events[column].astype(str))
        present = values >= 0
        pairs = pd.DataFrame({"case": case_codes[present], "value": values[present]})
        pairs = pairs.drop_duplicates()
        per_case = np.bincount(pairs["case"].to_numpy(), minlength=case_codes.max() + 1)
        changed = np.flatnonzero(per_case > 1)
        if not len(changed):
            continue
        shown = changed[:MAX_EXAMPLES]  # codes number cases in order of first event
        examples = []
        for code in shown:
            rows = case_codes == code
            distinct = pd.unique(events.loc[rows, column].dropna())
            case = events.loc[rows, CASE].iloc[0]
            examples.append(f"case {case}: " + " → ".join(str(v) for v in distinct[:3]))
        findings.append(
            Finding(
                kind="changing_case_attribute",
                severity="warning",
                count=len(changed),
                message=(
                    f"{column}: {len(changed):,} cases have more than one value (re-keyed "
                    "order data?)"
                ),
                examples=tuple(examples),
                column=column,
            )
        )
    return findings


def cases_without_customer(events: pd.DataFrame) -> list[Finding]:
    """Cases (orders) that name no customer; or, if the log has no customer column, say so."""
    if CUSTOMER not in events:
        return [
            Finding(
                kind="no_customer_column",
                severity="info",
                count=0,
                message=(
                    "the log has no customer column; map one (log.columns.customer) for customer"
                    " profiles, tiers and re-keyed customers"
                ),
            )
        ]
    has_customer = events[CUSTOMER].notna().groupby(events[CASE], sort=False).any()
    missing = has_customer.index[~has_customer.to_numpy()]
    if not len(missing):
        return []
    return [
        Finding(
            kind="cases_without_customer",
            severity="warning",
            count=len(missing),
            message=f"{len(missing):,} of {len(has_customer):,} cases name no customer",
            examples=tuple(f"case {c}" for c in missing[:MAX_EXAMPLES]),
            column=CUSTOMER,
        )
    ]


# --- helpers -------------------------------------------------------------------------------


def _looks_like_typo(words_a: list[str], words_b: list[str]) -> bool:
    """Whether two similar names differ like a typo, not like two codes or numbers."""
    if re.findall(r"\d+", " ".join(words_a)) != re.findall(r"\d+", " ".join(words_b)):
        return False
    if len(words_a) == len(words_b):
        for a, b in zip(words_a, words_b, strict=True):
            if a != b and (min(len(a), len(b)) < 3 or fuzz.ratio(a, b) < 60):
                return False
    return True


def _rows(index: pd.Index) -> list[str]:
    return [f"row {int(i) + 1}" for i in index[:MAX_EXAMPLES]]


def _pct(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f}%" if whole else "0%"


def _utc(stamp: pd.Timestamp) -> pd.Timestamp:
    return stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")


def _iso(value: Any) -> str | None:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    return pd.Timestamp(value).isoformat()
