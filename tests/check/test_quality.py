"""Data-quality checks: each fires with the right count on a planted problem, stays quiet on
clean data, and reports what plain pandas (or the XES file itself) says about the real logs."""

from __future__ import annotations

import gzip
import json
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path

import pandas as pd
import pytest
from rich.console import Console

from l2csim.check.quality import (
    Finding,
    QualityReport,
    check_quality,
    quality_table,
    write_quality_json,
)
from l2csim.log import (
    ACTIVITY,
    CASE,
    CUSTOMER,
    RESOURCE,
    START,
    TIMESTAMP,
    LogSource,
    read_log,
)
from l2csim.study import ColumnMap

NOW = pd.Timestamp("2026-01-01", tz="UTC")


def kinds(report: QualityReport) -> set[tuple[str, str | None, int]]:
    return {(f.kind, f.column, f.count) for f in report.findings}


def only(report: QualityReport, kind: str) -> Finding:
    found = [f for f in report.findings if f.kind == kind]
    assert len(found) == 1, [f.kind for f in report.findings]
    return found[0]


# --- synthetic logs: one planted problem each ------------------------------------------------


def clean_rows() -> list[dict[str, str]]:
    """Four orders, each received, credit-checked, shipped and invoiced; nothing wrong."""
    customers = [
        ("C1", "Müller Maschinenbau GmbH"),
        ("C2", "Schmidt Logistik AG"),
        ("C3", "Bäckerei Weber"),
        ("C4", "Acme Ltd."),
    ]
    activities = ["Receive order", "Check credit", "Ship goods", "Send invoice"]
    rows = []
    for n, (customer, name) in enumerate(customers, start=1):
        for k, activity in enumerate(activities):
            end = pd.Timestamp("2024-03-01 08:00", tz="UTC") + pd.Timedelta(days=n, hours=2 * k)
            rows.append(
                {
                    CASE: f"O{n}",
                    ACTIVITY: activity,
                    START: (end - pd.Timedelta(minutes=30)).isoformat(),
                    TIMESTAMP: end.isoformat(),
                    RESOURCE: f"clerk{k}",
                    CUSTOMER: customer,
                    "case:customer_name": name,
                    "case:priority": "high" if n % 2 else "normal",
                }
            )
    return rows


def write_log(tmp_path: Path, rows: list[dict[str, str]], name: str = "log.csv") -> Path:
    path = tmp_path / name
    pd.DataFrame(rows).to_csv(path, index=False)
    return path


def report_for(tmp_path: Path, rows: list[dict[str, str]]) -> QualityReport:
    return check_quality(read_log(LogSource(path=write_log(tmp_path, rows))), now=NOW)


def test_clean_log_has_no_findings(tmp_path: Path) -> None:
    report = report_for(tmp_path, clean_rows())
    assert report.findings == ()
    assert (report.events, report.cases, report.activities) == (16, 4, 4)
    assert report.period_start == pd.Timestamp("2024-03-02 08:00", tz="UTC")


def _set(rows, index, **values):
    rows[index] = {**rows[index], **values}
    return rows


def plant_missing(rows):
    return _set(rows, 5, **{RESOURCE: ""})


def plant_duplicate(rows):
    return [*rows[:6], rows[5], *rows[6:]]


def plant_backwards(rows):
    # O2's shipping (row 7) both starts and ends before its credit check (row 6).
    return _set(
        rows, 6, **{START: "2024-03-03 07:00:00+00:00", TIMESTAMP: "2024-03-03 07:30:00+00:00"}
    )


def plant_ambiguous(rows):
    # O1 checks credit and ships at one time in that order; O2 ships, then checks, same time.
    _set(rows, 2, **{START: rows[1][START], TIMESTAMP: rows[1][TIMESTAMP]})
    rows[5], rows[6] = rows[6], rows[5]
    return _set(rows, 5, **{START: rows[6][START], TIMESTAMP: rows[6][TIMESTAMP]})


def plant_future(rows):
    return _set(
        rows, 15, **{START: "2031-05-01 09:00:00+00:00", TIMESTAMP: "2031-05-01 10:00:00+00:00"}
    )


def plant_early(rows):
    return _set(
        rows, 0, **{START: "1970-01-01 00:00:00+00:00", TIMESTAMP: "1970-01-01 00:00:00+00:00"}
    )


def plant_variant(rows):
    return _set(rows, 9, **{ACTIVITY: "check  CREDIT."})


def plant_typo(rows):
    return _set(rows, 9, **{ACTIVITY: "Check credti"})


def plant_start_after_end(rows):
    return _set(rows, 10, **{START: "2024-03-04 13:00:00+00:00"})  # ends 12:00


def plant_rekeyed_customer(rows):
    for i in range(12, 16):
        _set(rows, i, **{"case:customer_name": "Mueller Maschinenbau"})
    return rows


def plant_changed_attribute(rows):
    return _set(rows, 7, **{"case:priority": "urgent"})


def plant_case_without_customer(rows):
    for i in range(4, 8):
        _set(rows, i, **{CUSTOMER: ""})
    return rows


@pytest.mark.parametrize(
    ("plant", "expected"),
    [
        (plant_missing, {("missing_values", RESOURCE, 1)}),
        (plant_duplicate, {("duplicate_events", None, 1)}),
        (plant_backwards, {("backwards_in_time", TIMESTAMP, 1)}),
        (plant_ambiguous, {("ambiguous_order", TIMESTAMP, 1)}),
        (plant_future, {("future_timestamp", TIMESTAMP, 1), ("future_timestamp", START, 1)}),
        (plant_early, {("early_timestamp", TIMESTAMP, 1), ("early_timestamp", START, 1)}),
        (plant_variant, {("activity_variants", ACTIVITY, 1)}),
        (plant_typo, {("activity_typos", ACTIVITY, 1)}),
        (plant_start_after_end, {("start_after_end", START, 1)}),
        (plant_rekeyed_customer, {("similar_customers", "case:customer_name", 1)}),
        (plant_changed_attribute, {("changing_case_attribute", "case:priority", 1)}),
        (
            plant_case_without_customer,
            {("cases_without_customer", CUSTOMER, 1), ("missing_values", CUSTOMER, 4)},
        ),
    ],
    ids=lambda value: getattr(value, "__name__", ""),
)
def test_each_check_fires_once_on_its_planted_problem(tmp_path, plant, expected) -> None:
    report = report_for(tmp_path, plant(clean_rows()))
    assert kinds(report) == expected


def test_examples_point_at_rows_and_cases(tmp_path: Path) -> None:
    report = report_for(tmp_path, plant_duplicate(clean_rows()))
    assert only(report, "duplicate_events").examples == ("row 7 (case O2, Check credit)",)
    report = report_for(tmp_path, plant_backwards(clean_rows()))
    assert only(report, "backwards_in_time").examples == (
        "case O2: row 7 is earlier than the event before it",
    )
    report = report_for(tmp_path, plant_ambiguous(clean_rows()))
    assert only(report, "ambiguous_order").examples == (
        "Check credit / Ship goods: 1 cases Check credit first, 1 cases Ship goods first",
    )
    report = report_for(tmp_path, plant_rekeyed_customer(clean_rows()))
    assert only(report, "similar_customers").examples == (
        "C1 'Müller Maschinenbau GmbH' ~ C4 'Mueller Maschinenbau' (100 %)",
    )


def test_same_time_events_in_one_order_are_not_ambiguous(tmp_path: Path) -> None:
    rows = clean_rows()
    for case_start in (0, 4, 8, 12):  # every order: credit check and shipping at one time
        _set(rows, case_start + 2, **{TIMESTAMP: rows[case_start + 1][TIMESTAMP]})
        _set(rows, case_start + 2, **{START: rows[case_start + 1][START]})
    assert report_for(tmp_path, rows).findings == ()


def test_numbered_and_coded_activities_are_not_typos(tmp_path: Path) -> None:
    # Real names from receipt.csv and BPIC 2012: they differ only in a number or a code.
    names = [
        "T02 Check confirmation of receipt",
        "T03 Check confirmation of receipt",
        "T07-1 Draft intern advice aspect 1",
        "T07-2 Draft intern advice aspect 2",
        "A_ACCEPTED",
        "O_ACCEPTED",
        "A_CANCELLED",
        "O_CANCELLED",
        "A_DECLINED",
        "O_DECLINED",
    ]
    rows = [
        {CASE: f"c{i}", ACTIVITY: name, TIMESTAMP: f"2024-01-{i + 1:02d}T10:00:00Z"}
        for i, name in enumerate(names)
    ]
    report = report_for(tmp_path, rows)
    assert {f.kind for f in report.findings} == {"no_customer_column"}


def test_customer_ids_without_names_are_not_compared(tmp_path: Path) -> None:
    rows = [{k: v for k, v in row.items() if k != "case:customer_name"} for row in clean_rows()]
    finding = only(report_for(tmp_path, rows), "similar_customers")
    assert finding.severity == "info"
    assert "customer names" in finding.message


# --- the real logs -------------------------------------------------------------------------


def _xes_events(path: Path) -> list[tuple[tuple[str, str], ...]]:
    """Every event of an XES file as (key, value) pairs, its trace's name included."""
    events = []
    tag = "{http://www.xes-standard.org/}"
    with gzip.open(path) as handle:
        for _, element in ET.iterparse(handle):
            if element.tag != f"{tag}trace":
                continue
            case = next(a.get("value") for a in element if a.get("key") == "concept:name")
            for event in element.iter(f"{tag}event"):
                attributes = tuple(sorted((a.get("key"), a.get("value")) for a in event))
                events.append((("case", case), *attributes))
            element.clear()
    return events


def test_helpdesk_duplicates_match_the_xes_file(shared_data: Path) -> None:
    path = shared_data / "helpdesk.xes.gz"
    events = _xes_events(path)
    repeats = sum(n - 1 for n in Counter(events).values())
    assert repeats == 127  # known: 127 events are exported twice

    log = read_log(LogSource(path=path, columns=ColumnMap(customer="customer")))
    report = check_quality(log, now=NOW)
    assert only(report, "duplicate_events").count == repeats

    # With the ticket's customer mapped: tickets whose customer changes midway.
    customers: dict[str, set[str]] = {}
    for event in events:
        attributes = dict(event)
        customers.setdefault(attributes["case"], set()).add(attributes["customer"])
    changed = sum(len(values) > 1 for values in customers.values())
    finding = next(f for f in report.findings if f.column == CUSTOMER)
    assert (finding.kind, finding.count) == ("changing_case_attribute", changed)
    assert changed == 7
    assert only(report, "similar_customers").severity == "info"  # ids only, no names
    assert not [f for f in report.findings if f.kind == "cases_without_customer"]


def test_receipt_findings_match_plain_pandas(shared_data: Path) -> None:
    path = shared_data / "receipt.csv.gz"
    raw = pd.read_csv(path)
    assert set(raw["lifecycle:transition"]) == {"complete"}  # nothing to pair
    report = check_quality(read_log(path), now=NOW)

    missing = raw.isna().sum()
    expected = {("missing_values", column, int(n)) for column, n in missing.items() if n}
    assert expected == {
        ("missing_values", "case:enddate", 617),
        ("missing_values", "case:group", 4961),
    }

    times = pd.to_datetime(raw["time:timestamp"], utc=True, format="ISO8601")
    back = times.groupby(raw["case:concept:name"], sort=False).diff() < pd.Timedelta(0)
    back_cases = raw.loc[back, "case:concept:name"].nunique()
    case_columns = [c for c in raw if c.startswith("case:") and c != "case:concept:name"]
    changing = raw.groupby("case:concept:name")[case_columns].nunique().gt(1).sum()
    expected |= {("changing_case_attribute", column, int(n)) for column, n in changing.items() if n}
    if back_cases:
        expected.add(("backwards_in_time", TIMESTAMP, back_cases))
    if raw.duplicated().any():
        expected.add(("duplicate_events", None, int(raw.duplicated().sum())))
    expected.add(("no_customer_column", None, 0))
    # Same-time pairs in both orders, counted the plain way.
    tied = raw[raw.duplicated(["case:concept:name", "time:timestamp"], keep=False)]
    assert tied.empty
    assert kinds(report) == expected
    # 27 activities, many numbered alike ('T07-1 …' / 'T07-2 …'): no typo false alarms.
    assert report.activities == 27
    assert not [f for f in report.findings if f.kind.startswith("activity")]


def test_running_example_is_clean(shared_data: Path) -> None:
    report = check_quality(read_log(shared_data / "running-example.xes.gz"), now=NOW)
    assert kinds(report) == {("no_customer_column", None, 0)}
    assert (report.events, report.cases, report.activities) == (42, 6, 8)


def test_interval_log_start_and_end_times_match_plain_pandas(shared_data: Path) -> None:
    path = shared_data / "interval_event_log.csv.gz"
    raw = pd.read_csv(path)
    start = pd.to_datetime(raw["start_timestamp"], utc=True, format="ISO8601")
    end = pd.to_datetime(raw["time:timestamp"], utc=True, format="ISO8601")
    report = check_quality(read_log(path), now=NOW)
    inverted = int((start > end).sum())
    assert [f.count for f in report.findings if f.kind == "start_after_end"] == (
        [inverted] if inverted else []
    )
    # The file is sorted by start time: ends go back where activities overlap, which is
    # not an error; no event both starts and ends before the one above it.
    case = raw["case:concept:name"]
    end_back = end.groupby(case, sort=False).diff() < pd.Timedelta(0)
    start_back = start.groupby(case, sort=False).diff() < pd.Timedelta(0)
    assert end_back.sum() > 0
    assert (end_back & start_back).sum() == 0
    assert not [f for f in report.findings if f.kind == "backwards_in_time"]


def test_reader_notes_are_carried_into_the_report(tmp_path: Path) -> None:
    rows = clean_rows()
    rows.append({CASE: "", ACTIVITY: "Orphan", TIMESTAMP: "2024-03-09T10:00:00Z"})
    log = read_log(LogSource(path=write_log(tmp_path, rows)))
    report = check_quality(log, now=NOW)
    assert report.notes == log.notes
    assert report.notes and "left out" in report.notes[0]
    assert report.to_dict()["notes"] == list(log.notes)


# --- outputs -------------------------------------------------------------------------------


def test_json_is_byte_identical_across_runs(tmp_path: Path, shared_data: Path) -> None:
    path = shared_data / "helpdesk.xes.gz"
    first = write_quality_json(check_quality(read_log(path), now=NOW), tmp_path / "a.json")
    second = write_quality_json(check_quality(read_log(path), now=NOW), tmp_path / "b.json")
    assert first.read_bytes() == second.read_bytes()
    data = json.loads(first.read_text(encoding="utf-8"))
    assert data["events"] == 21348 and data["cases"] == 4580
    assert data["period_start"] == "2010-01-13T08:40:25+00:00"
    assert [f["kind"] for f in data["findings"]] == ["duplicate_events", "no_customer_column"]
    assert not list(tmp_path.glob("*.part"))


def test_formula_like_names_are_kept_in_json_and_escaped_in_the_table(tmp_path: Path) -> None:
    evil = '=HYPERLINK("http://x") [bold red]Acme[/bold red] [/]'
    rows = clean_rows()
    for i in range(0, 4):
        _set(rows, i, **{"case:customer_name": evil})
    for i in range(12, 16):
        _set(rows, i, **{"case:customer_name": evil + " GmbH"})
    report = report_for(tmp_path, rows)
    finding = only(report, "similar_customers")
    assert evil in finding.examples[0]

    data = json.loads(write_quality_json(report, tmp_path / "q.json").read_text("utf-8"))
    example = data["findings"][0]["examples"][0]
    assert example.startswith("C1 '=HYPERLINK(")  # data, not neutralised: JSON is no sheet
    assert evil in example

    console = Console(record=True, width=400, color_system=None)
    console.print(quality_table(report))  # unescaped, the stray [/] would raise MarkupError
    assert "[bold red]Acme[/bold red] [/]" in console.export_text()


def test_table_lists_every_finding(tmp_path: Path) -> None:
    report = report_for(tmp_path, plant_start_after_end(clean_rows()))
    console = Console(record=True, width=200, color_system=None)
    console.print(quality_table(report))
    text = console.export_text()
    assert "start_after_end" in text and "error" in text
    assert "1 events start after they end" in text


def test_same_end_but_different_starts_is_not_ambiguous(tmp_path: Path) -> None:
    rows = plant_ambiguous(clean_rows())
    # The two same-time events of O2 now start at different times: their order is known.
    _set(rows, 5, **{START: "2024-03-03 08:00:00+00:00"})
    assert report_for(tmp_path, rows).findings == ()


def test_numbered_walk_in_buyers_are_not_similar_customers() -> None:
    """Issue 13: 'Walk-in buyer 10' ~ 'Walk-in buyer 100' are different buyers."""
    from l2csim.check.quality import similar_customers

    n = 1_800
    events = pd.DataFrame(
        {
            "case:concept:name": [f"SO-{i}" for i in range(n + 2)],
            CUSTOMER: [f"W{i:05d}" for i in range(n)] + ["A1", "A2"],
            "case:customer_name": [f"Walk-in buyer {i}" for i in range(1, n + 1)]
            + ["Weber Group Ltd", "WEBER GRP LIMITED"],
            "time:timestamp": pd.date_range("2025-01-01", periods=n + 2, freq="3h", tz="UTC"),
        }
    )
    (finding,) = similar_customers(events)
    assert finding.count == 1
    assert finding.examples[0].startswith("A1 'Weber Group Ltd' ~ A2 'WEBER GRP LIMITED'")


def test_dates_far_from_the_bulk_are_flagged_whatever_the_year(tmp_path: Path) -> None:
    """A year of orders in 2018 with one event typed as 2011 and one as 1948: both lie
    further outside the bulk than the bulk is long. 1948 is also before 1990; 2011 is not,
    and only the rule relative to the log's own dates catches it."""
    rows = []
    for n in range(200):
        end = pd.Timestamp("2018-01-02 09:00", tz="UTC") + pd.Timedelta(days=n * 1.8)
        for k, activity in enumerate(("Receive order", "Ship goods")):
            rows.append({CASE: f"O{n}", ACTIVITY: activity,
                         TIMESTAMP: (end + pd.Timedelta(hours=k)).isoformat()})  # fmt: skip
    rows[11][TIMESTAMP] = "2011-05-03 10:00:00+00:00"
    rows[31][TIMESTAMP] = "1948-01-26 10:00:00+00:00"
    report = report_for(tmp_path, rows)
    finding = only(report, "outlier_dates")
    assert finding.count == 2 and finding.severity == "warning"
    assert "their 2 cases out" in finding.message and "central 99%" in finding.message
    assert finding.examples == (
        "row 12: 2011-05-03T10:00:00+00:00",
        "row 32: 1948-01-26T10:00:00+00:00",
    )
    assert only(report, "early_timestamp").count == 1  # 1948 only


def test_a_lifecycle_column_of_statuses_is_a_finding(tmp_path: Path) -> None:
    path = tmp_path / "status.csv"
    path.write_text(
        "case:concept:name,concept:name,time:timestamp,lifecycle:transition\n"
        "1,Accepted,2012-04-01T08:00:00Z,In Progress\n"
        "1,Accepted,2012-04-01T10:00:00Z,Wait - User\n"
        "1,Completed,2012-04-02T08:00:00Z,Resolved\n"
    )
    report = check_quality(read_log(path), now=NOW)
    finding = only(report, "lifecycle_statuses")
    assert finding.severity == "warning" and finding.count == 3
    assert "is not start/complete" in finding.message and "log.lifecycle.start" in finding.message
    assert report.events == 3


def test_lifecycle_transitions_left_out_are_counted(tmp_path: Path) -> None:
    path = tmp_path / "xes_like.csv"
    path.write_text(
        "case:concept:name,concept:name,time:timestamp,lifecycle:transition\n"
        "1,A,2025-01-06T09:00:00Z,schedule\n"
        "1,A,2025-01-06T09:05:00Z,start\n"
        "1,A,2025-01-06T09:30:00Z,complete\n"
    )
    report = check_quality(read_log(path), now=NOW)
    finding = only(report, "lifecycle_left_out")
    assert finding.count == 1 and finding.severity == "info"
