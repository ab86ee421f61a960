"""Reading real logs in every format into the canonical form, and refusing bad input clearly."""

from __future__ import annotations

import gzip
from pathlib import Path

import pandas as pd
import pytest

from l2csim.errors import InputError
from l2csim.log import (
    ACTIVITY,
    CASE,
    CUSTOMER,
    RESOURCE,
    START,
    TIMESTAMP,
    LogSource,
    date_bulk,
    read_log,
)
from l2csim.study import ColumnMap, LifecycleSpec

ORDERS = ColumnMap(
    case="order_ref", activity="event", timestamp="event_time", resource="who", customer="cust"
)


def test_xes_helpdesk_real_counts(shared_data: Path) -> None:
    log = read_log(shared_data / "helpdesk.xes.gz")
    assert (log.n_events, log.n_cases, len(log.activities)) == (21348, 4580, 14)
    assert str(log.events[TIMESTAMP].dtype) == "datetime64[ns, UTC]"
    assert log.events[RESOURCE].nunique() == 22
    assert log.format == "xes"


def test_csv_receipt_keeps_pm4py_columns_and_offsets(shared_data: Path) -> None:
    log = read_log(shared_data / "receipt.csv.gz")
    assert (log.n_events, log.n_cases, len(log.activities)) == (8577, 1434, 27)
    first = log.events.iloc[0]
    # The file says 2011-10-11 13:45:40.276000+02:00: the same instant in UTC.
    assert first[TIMESTAMP] == pd.Timestamp("2011-10-11 11:45:40.276", tz="UTC")
    assert first["case:channel"] == "Internet"


def test_csv_with_start_and_end_times(shared_data: Path) -> None:
    log = read_log(shared_data / "interval_event_log.csv.gz")
    assert (log.n_events, log.n_cases, len(log.activities)) == (8109, 1266, 8)
    assert log.has_start_times
    assert (log.events[START] <= log.events[TIMESTAMP]).all()


def test_gzipped_csv_with_mapped_start_and_end(shared_data: Path) -> None:
    source = LogSource(
        path=shared_data / "purchasing_example.csv.gz",
        columns=ColumnMap(
            case="case_id",
            activity="activity",
            timestamp="end_time",
            start_timestamp="start_time",
            resource="resource",
        ),
    )
    log = read_log(source)
    assert (log.n_events, log.n_cases, len(log.activities)) == (9119, 608, 21)
    assert log.events[RESOURCE].nunique() == 27
    assert log.events[CASE].map(type).eq(str).all()


@pytest.mark.large
def test_lifecycle_pairs_become_start_and_end(large_data: Path) -> None:
    import re

    import pm4py

    raw = pm4py.read_xes(str(large_data / "bpic2012.xes.gz"))
    transitions = raw["lifecycle:transition"].str.lower().value_counts()
    log = read_log(large_data / "bpic2012.xes.gz")
    notes = " ".join(log.notes)
    paired = int(re.search(r"(\d+) start events paired", notes).group(1))
    lonely = int(re.search(r"(\d+) start events had no completion", notes).group(1))
    assert paired + lonely == transitions["start"]  # no start is lost
    assert log.n_events == transitions["complete"] + lonely
    assert paired > 0.99 * transitions["start"]
    with_start = log.events[START].notna()
    assert with_start.sum() == paired + lonely
    assert (log.events.loc[with_start, START] <= log.events.loc[with_start, TIMESTAMP]).all()
    assert f"{transitions['schedule']} schedule" in notes


def test_parquet(tmp_path: Path, shared_data: Path) -> None:
    frame = pd.read_csv(shared_data / "receipt.csv.gz")
    path = tmp_path / "receipt.parquet"
    frame.to_parquet(path)
    log = read_log(path)
    assert (log.n_events, log.n_cases) == (8577, 1434)
    assert str(log.events[TIMESTAMP].dtype) == "datetime64[ns, UTC]"


@pytest.mark.parametrize(
    "name", ["ocel20_example.jsonocel.gz", "ocel20_example.xmlocel.gz", "ocel20_example.sqlite.gz"]
)
def test_ocel2_formats_flatten_on_object_type(shared_data: Path, name: str) -> None:
    log = read_log(LogSource(path=shared_data / name, object_type="Purchase Order"))
    assert log.n_cases == 2
    assert log.format.startswith("ocel2")


def test_ocel2_orders_default_and_gzip(shared_data: Path) -> None:
    log = read_log(shared_data / "order-management.ocel2.xml.gz")
    assert log.n_cases == 2000  # one case per order object
    assert "flattened on object type 'orders'" in log.notes[0]


def test_ocel_without_the_object_type(shared_data: Path) -> None:
    with pytest.raises(
        InputError, match=r"object type 'invoices' is not in this log; types here: .*orders"
    ):
        read_log(
            LogSource(path=shared_data / "order-management.ocel2.xml.gz", object_type="invoices")
        )
    with pytest.raises(InputError, match="choose one with --object-type"):
        read_log(shared_data / "ocel20_example.jsonocel.gz")


def test_mapped_columns_text_ids_and_customer(write_csv) -> None:
    path = write_csv(
        "order_ref;event;event_time;who;cust\n"
        "007;Order received;2025-01-06T09:00:00+01:00;EDI;0042\n"
        "007;Shipped;2025-01-07T10:00:00+01:00;Ann;0042\n"
    )
    log = read_log(LogSource(path=path, columns=ORDERS))
    assert list(log.events[CASE]) == ["007", "007"]  # ids as written, not numbers
    assert list(log.events[CUSTOMER]) == ["0042", "0042"]
    assert log.events[TIMESTAMP].iloc[0] == pd.Timestamp("2025-01-06 08:00", tz="UTC")


def test_latin1_and_bom_encodings(write_csv) -> None:
    text = "case:concept:name,concept:name,time:timestamp\n1,Auftrag geprüft,2025-01-06 09:00\n"
    assert read_log(write_csv(text, "a.csv", "latin-1")).activities == ["Auftrag geprüft"]
    assert read_log(write_csv(text, "b.csv", "utf-8-sig")).activities == ["Auftrag geprüft"]


def test_naive_times_read_in_study_timezone(write_csv) -> None:
    path = write_csv("case:concept:name,concept:name,time:timestamp\n1,A,2025-07-01 10:00:00\n")
    log = read_log(LogSource(path=path, timezone="Europe/Berlin"))
    assert log.events[TIMESTAMP].iloc[0] == pd.Timestamp("2025-07-01 08:00", tz="UTC")


def test_different_offsets_convert_exactly(write_csv) -> None:
    path = write_csv(
        "case:concept:name,concept:name,time:timestamp\n"
        "1,A,2025-03-29T10:00:00+01:00\n1,B,2025-03-31T10:00:00+02:00\n1,C,2025-04-01T08:00:00Z\n"
    )
    times = list(read_log(path).events[TIMESTAMP])
    assert times == [
        pd.Timestamp("2025-03-29 09:00", tz="UTC"),
        pd.Timestamp("2025-03-31 08:00", tz="UTC"),
        pd.Timestamp("2025-04-01 08:00", tz="UTC"),
    ]


def test_mixed_naive_and_offset_times_are_refused(write_csv) -> None:
    path = write_csv(
        "case:concept:name,concept:name,time:timestamp\n"
        "1,A,2025-01-06T09:00:00+01:00\n1,B,2025-01-06T10:00:00\n"
    )
    with pytest.raises(InputError, match=r"mixes times with a UTC offset \(e.g. row 1\).*rows 2"):
        read_log(path)


def test_unparsable_timestamps_name_rows(write_csv) -> None:
    path = write_csv(
        "case:concept:name,concept:name,time:timestamp\n"
        "1,A,2025-01-06 09:00\n1,B,yesterday\n2,A,06/01/2025 09:00\n"
    )
    with pytest.raises(
        InputError, match=r"2 timestamps cannot be read as ISO 8601.*rows 2, 3.*timestamp_format"
    ):
        read_log(path)


def test_explicit_timestamp_format(write_csv) -> None:
    path = write_csv("case:concept:name,concept:name,time:timestamp\n1,A,06/01/2025 09:00\n")
    log = read_log(LogSource(path=path, timestamp_format="%d/%m/%Y %H:%M"))
    assert log.events[TIMESTAMP].iloc[0] == pd.Timestamp("2025-01-06 09:00", tz="UTC")


def test_missing_mapped_column_lists_columns(write_csv) -> None:
    path = write_csv("order,step,when\n1,A,2025-01-06 09:00\n")
    with pytest.raises(
        InputError,
        match=r"'case:concept:name' \(for case:concept:name\).*Columns in the file: order, step, when",
    ):
        read_log(path)


def test_missing_file_empty_file_header_only(tmp_path: Path, write_csv) -> None:
    with pytest.raises(InputError, match="file not found"):
        read_log(tmp_path / "nope.csv")
    with pytest.raises(InputError, match="is empty"):
        read_log(write_csv("", "empty.csv"))
    with pytest.raises(InputError, match="header but no events"):
        read_log(write_csv("case:concept:name,concept:name,time:timestamp\n", "header.csv"))


def test_malformed_csv(write_csv) -> None:
    path = write_csv('case:concept:name,concept:name,time:timestamp\n1,"A,2025-01-06\n2,B\n')
    with pytest.raises(InputError, match="malformed CSV"):
        read_log(path)


def test_events_without_case_are_left_out_with_a_note(write_csv) -> None:
    path = write_csv(
        "case:concept:name,concept:name,time:timestamp\n1,A,2025-01-06 09:00\n,B,2025-01-06 10:00\n"
    )
    log = read_log(path)
    assert log.n_events == 1
    assert "1 events without case id" in log.notes[0] and "rows 2" in log.notes[0]


def test_xes_that_is_not_xml(tmp_path: Path) -> None:
    path = tmp_path / "broken.xes"
    path.write_text("this is not xml at all")
    with pytest.raises(InputError, match="not a readable XES file"):
        read_log(path)
    gz = tmp_path / "broken.xes.gz"
    gz.write_bytes(gzip.compress(b"<log><trace>"))
    with pytest.raises(InputError, match="not a readable XES file"):
        read_log(gz)


def test_file_too_large_for_memory_fails_before_reading(write_csv) -> None:
    rows = "".join(f"{i},Activity {i % 7},2025-01-06T09:00:00+01:00\n" for i in range(20000))
    path = write_csv("case:concept:name,concept:name,time:timestamp\n" + rows)
    with pytest.raises(InputError, match=r"needs about .* GB of memory.*convert it to Parquet"):
        read_log(path, memory_budget=path.stat().st_size)


def test_unknown_format(tmp_path: Path) -> None:
    path = tmp_path / "log.xlsx"
    path.write_bytes(b"PK")
    with pytest.raises(InputError, match="unknown log format"):
        read_log(path)


def test_activity_column_name_clash_keeps_both(write_csv) -> None:
    path = write_csv(
        "order_ref,event,event_time,concept:name\n1,Order received,2025-01-06 09:00,legacy\n"
    )
    log = read_log(
        LogSource(
            path=path, columns=ColumnMap(case="order_ref", activity="event", timestamp="event_time")
        )
    )
    assert log.events[ACTIVITY].iloc[0] == "Order received"
    assert log.events["concept:name (original)"].iloc[0] == "legacy"


def test_lifecycle_pairs_on_a_small_log(write_csv) -> None:
    path = write_csv(
        "case:concept:name,concept:name,time:timestamp,lifecycle:transition\n"
        "1,A,2025-01-06T09:00:00Z,schedule\n"
        "1,A,2025-01-06T09:05:00Z,start\n"
        "1,A,2025-01-06T09:30:00Z,complete\n"
        "1,B,2025-01-06T10:00:00Z,start\n"
        "1,C,2025-01-06T11:00:00Z,complete\n"
    )
    log = read_log(path)
    notes = " ".join(log.notes)
    assert "1 start events paired" in notes and "1 start events had no completion" in notes
    assert "1 schedule" in notes
    assert log.n_events == 3  # A (start + end), the lonely start of B, C
    a = log.events[log.events[ACTIVITY] == "A"].iloc[0]
    assert a[START] == pd.Timestamp("2025-01-06 09:05", tz="UTC")


# --- lifecycle columns that are statuses, and what the study says about them ----------------

STATUS_LOG = (
    "case:concept:name,concept:name,time:timestamp,lifecycle:transition,org:resource\n"
    "1,Accepted,2012-04-01T08:00:00Z,In Progress,Ann\n"
    "1,Queued,2012-04-01T09:00:00Z,Awaiting Assignment,Ann\n"
    "1,Accepted,2012-04-01T10:00:00Z,Wait - User,Bob\n"
    "1,Completed,2012-04-02T08:00:00Z,Resolved,Bob\n"
    "2,Accepted,2012-04-01T08:30:00Z,In Progress,Bob\n"
    "2,Completed,2012-04-01T12:00:00Z,Closed,Ann\n"
)


def test_lifecycle_statuses_are_kept_as_activities(write_csv) -> None:
    """A lifecycle column of statuses (BPI Challenge 2013's "In Progress", "Wait - User")
    is not start/complete: every event stays, the status joined to the activity."""
    log = read_log(write_csv(STATUS_LOG))
    assert log.n_events == 6
    assert log.activities == [
        "Accepted (In Progress)",
        "Accepted (Wait - User)",
        "Completed (Closed)",
        "Completed (Resolved)",
        "Queued (Awaiting Assignment)",
    ]
    assert log.lifecycle is not None and log.lifecycle.mode == "activity"
    assert set(log.lifecycle.statuses) == {
        "In Progress", "Awaiting Assignment", "Wait - User", "Resolved", "Closed"
    }  # fmt: skip
    assert "read as statuses" in " ".join(log.notes)


def test_lifecycle_statuses_mapped_through_the_study(write_csv) -> None:
    """The study names which statuses start and complete work: they are paired like XES's
    start and complete, other statuses are left out."""
    spec = LifecycleSpec(start=["In Progress"], complete=["Wait - User", "Resolved", "Closed"],
                         keep_as_activity=False)  # fmt: skip
    log = read_log(LogSource(path=write_csv(STATUS_LOG), lifecycle=spec))
    assert log.lifecycle is not None and log.lifecycle.mode == "paired"
    assert log.lifecycle.left_out == 1  # Awaiting Assignment
    events = log.events
    accepted = events[(events[ACTIVITY] == "Accepted") & (events[CASE] == "1")].iloc[0]
    assert accepted[START] == pd.Timestamp("2012-04-01 08:00", tz="UTC")
    assert accepted[TIMESTAMP] == pd.Timestamp("2012-04-01 10:00", tz="UTC")
    assert sorted(log.activities) == ["Accepted", "Completed"]


def test_statuses_read_as_transitions_would_empty_the_log_an_error(write_csv) -> None:
    """Refusing statuses as activities when none is a start or completion leaves nothing:
    an error naming the file, the column and its values, never an empty log."""
    path = write_csv(STATUS_LOG)
    spec = LifecycleSpec(keep_as_activity=False)
    with pytest.raises(
        InputError, match=r"log\.csv: no events left: the lifecycle column.*In Progress"
    ):
        read_log(LogSource(path=path, lifecycle=spec))


def test_study_keeps_lifecycle_as_activity(write_csv) -> None:
    """keep_as_activity: true keeps even XES transitions in the activity's name."""
    path = write_csv(
        "case:concept:name,concept:name,time:timestamp,lifecycle:transition\n"
        "1,A,2025-01-06T09:00:00Z,start\n"
        "1,A,2025-01-06T09:30:00Z,complete\n"
    )
    log = read_log(LogSource(path=path, lifecycle=LifecycleSpec(keep_as_activity=True)))
    assert log.activities == ["A (complete)", "A (start)"]


def test_lifecycle_key_in_the_study_file(tmp_path: Path, write_csv) -> None:
    from l2csim.inputs import read_inputs_log, resolve_inputs

    path = write_csv(STATUS_LOG)
    study = tmp_path / "study.yaml"
    study.write_text(
        f"log:\n  path: {path}\n  lifecycle: {{start: In Progress, complete: [Resolved, Closed]}}\n"
    )
    log = read_inputs_log(resolve_inputs(study), strict=False)
    assert log.lifecycle is not None and log.lifecycle.mode == "activity"  # still statuses
    study.write_text(
        f"log:\n  path: {path}\n  lifecycle: {{start: In Progress, complete: [Resolved, "
        "Closed, Wait - User], keep_as_activity: false}\n"
    )
    log = read_inputs_log(resolve_inputs(study), strict=False)
    assert log.lifecycle.mode == "paired" and log.n_events == 4  # one lonely start kept


# --- the log's dates ---------------------------------------------------------------------------


def test_date_bulk_cuts_a_few_wildly_wrong_dates() -> None:
    """Two events dated 1948 in a year of 2018 events are outside the plausible span; the
    thin early tail of a log (a few events months before the busy period) is not."""
    busy = pd.date_range("2018-01-01", "2018-12-31", periods=5000, tz="UTC")
    tail = pd.date_range("2017-06-01", "2017-12-01", periods=20, tz="UTC")
    wrong = pd.DatetimeIndex(["1948-01-26", "1948-03-01"], tz="UTC")
    bulk = date_bulk(pd.Series(busy.append([tail, wrong])))
    assert bulk.outliers == 2
    assert bulk.start > pd.Timestamp("1990-01-01", tz="UTC")
    assert bulk.start < pd.Timestamp("2017-06-01", tz="UTC")
    assert "central 99%" in bulk.rule
    assert date_bulk(pd.Series(busy)).outliers == 0
