"""Reading event logs (CSV, XES, Parquet, OCEL) into one canonical pandas DataFrame.

Inside l2csim every log uses pm4py's column names, so any pm4py function applies directly:
`case:concept:name`, `concept:name`, `time:timestamp` (tz-aware UTC, the completion time),
optionally `start_timestamp`, `org:resource`, `case:customer`, `case:customer_name`, and
`case:`-prefixed case attributes. Rows keep the file's order; the index is the 0-based event
position in the source, so messages can point at rows.
"""

from __future__ import annotations

import contextlib
import csv
import ctypes
import gzip
import importlib.util
import os
import re
import shutil
import sys
import tempfile
import warnings
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import psutil
import pyarrow as pa
import pyarrow.compute as pc

from l2csim.errors import InputError
from l2csim.study import ColumnMap, LifecycleSpec, Study

CASE = "case:concept:name"
ACTIVITY = "concept:name"
TIMESTAMP = "time:timestamp"
START = "start_timestamp"
RESOURCE = "org:resource"
LIFECYCLE = "lifecycle:transition"
CUSTOMER = "case:customer"
CUSTOMER_NAME = "case:customer_name"

CSV_ENCODINGS = ("utf-8-sig", "latin-1")
CSV_DELIMITERS = ",;\t|"
# Peak memory of reading a CSV of n bytes is about this many times n (object strings, plus
# pandas' parse buffers and the timestamp parse). Measured with tests/benchmarks/
# bench_read_csv.py (2026-11-22): 5.2-5.3 for 1.5M short events from BPIC 2012 (120 MB),
# 2.4 for receipt.csv repeated 50 times (119 MB; its repeated strings are shared). 6 keeps a
# margin over the worst case measured.
CSV_MEMORY_FACTOR = 6
_OFFSET_PATTERN = r"(?:[zZ]|[+-]\d\d(?::?\d\d)?)\s*$"
# An event log's line is a few hundred bytes; a line (or cell) beyond this is not a log row,
# and such cells cost the readers and checks minutes. Refused before the CSV is parsed.
MAX_LINE_BYTES = 1 << 20
# Names that end up in maps, tables and reports (case, activity, resource, customer).
MAX_NAME_CHARS = 500
_DECIMAL_COMMA = re.compile(r"^\s*[+-]?(?:\d{1,3}(?:\.\d{3})+|\d+),\d+\s*$")
_PLAIN_NUMBER = re.compile(r"^\s*[+-]?\d+\s*$")
# The transitions of XES's standard lifecycle model (lower case). Other values in a lifecycle
# column are statuses ("In Progress", "Wait - User"), not the start or end of work.
XES_TRANSITIONS = frozenset({
    "schedule", "assign", "reassign", "start", "suspend", "resume", "pi_abort", "ate_abort",
    "complete", "completed", "autoskip", "manualskip", "withdraw", "unknown",
})  # fmt: skip


@dataclass(frozen=True)
class LogSource:
    """What to read and how: a file plus the mapping of its columns onto l2csim's fields."""

    path: Path
    columns: ColumnMap = field(default_factory=ColumnMap)
    case_attributes: tuple[str, ...] = ()
    timezone: str = "UTC"
    timestamp_format: str | None = None
    object_type: str | None = None
    lifecycle: LifecycleSpec = field(default_factory=LifecycleSpec)

    @classmethod
    def from_study(cls, study: Study) -> LogSource:
        spec = study.log
        return cls(
            path=study.log_path,
            columns=spec.columns,
            case_attributes=tuple(spec.case_attributes),
            timezone=spec.timezone,
            timestamp_format=spec.timestamp_format,
            object_type=spec.object_type,
            lifecycle=spec.lifecycle,
        )


@dataclass(frozen=True)
class EventLog:
    """A canonical event log and what reading it changed (notes the data-quality check shows)."""

    events: pd.DataFrame
    source: Path
    format: str
    notes: tuple[str, ...] = ()
    # How the lifecycle column was read (`Lifecycle`), None without one.
    lifecycle: Lifecycle | None = None

    @property
    def n_events(self) -> int:
        return len(self.events)

    @property
    def n_cases(self) -> int:
        return int(self.events[CASE].nunique())

    @property
    def activities(self) -> list[str]:
        return sorted(self.events[ACTIVITY].unique())

    @property
    def has_start_times(self) -> bool:
        return START in self.events and bool(self.events[START].notna().any())

    @property
    def has_customers(self) -> bool:
        return CUSTOMER in self.events and bool(self.events[CUSTOMER].notna().any())


def read_log(source: LogSource | str | Path, *, memory_budget: int | None = None) -> EventLog:
    """Read a log file into the canonical form, or fail with one message naming the fix.

    `memory_budget` (bytes) caps what reading may use; by default the memory available now.
    A file that would not fit is refused before reading rather than exhausting the machine.
    """
    if not isinstance(source, LogSource):
        source = LogSource(path=Path(source))
    path = Path(source.path)
    if not path.exists():
        raise InputError(f"{path}: file not found.")
    if path.is_dir():
        raise InputError(f"{path}: is a folder; give an event log file.")
    if path.stat().st_size == 0:
        raise InputError(f"{path}: the file is empty.")
    check_timezone(source.timezone, path)
    kind = detect_format(path)
    notes: list[str] = []
    if kind == "csv":
        raw, kind = _read_csv(path, source, memory_budget, notes)
    elif kind == "xes":
        raw = _read_xes(path)
    elif kind == "parquet":
        raw = _read_parquet(path)
    else:
        raw = _read_ocel(path, kind, source.object_type, notes)
    readings: dict[str, Lifecycle] = {}
    events = canonicalise(raw, source, path, notes, readings)
    return EventLog(
        events=events,
        source=path,
        format=kind,
        notes=tuple(notes),
        lifecycle=readings.get("lifecycle"),
    )


def detect_format(path: Path) -> str:
    """The reader to use, from the file name (and, for XML, the name's hint of OCEL)."""
    name = path.name.lower()
    for suffix in (".gz", ".zip", ".bz2", ".xz"):
        name = name.removesuffix(suffix)
    if name.endswith((".csv", ".tsv", ".txt")):
        return "csv"
    if name.endswith(".xes"):
        return "xes"
    if name.endswith((".parquet", ".pq")):
        return "parquet"
    if name.endswith((".jsonocel", ".json")):
        return "ocel2-json"
    if name.endswith((".xmlocel", ".ocel2.xml", ".xml")):
        return "ocel2-xml"
    if name.endswith((".sqlite", ".sqlite3", ".db")):
        return "ocel2-sqlite"
    raise InputError(
        f"{path}: unknown log format; use .csv, .xes, .xes.gz, .parquet, or OCEL 2.0 "
        "(.jsonocel, .xmlocel, .sqlite)."
    )


def check_timezone(name: str, path: Path | None = None) -> None:
    """Refuse a time zone name that is not an IANA zone (before any time is read)."""
    import zoneinfo

    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, TypeError):
        where = f"{path}: " if path else ""
        raise InputError(
            f"{where}unknown time zone {name!r} (--timezone or log.timezone); use an IANA name "
            "such as 'UTC' or 'Europe/Berlin'."
        ) from None


@contextlib.contextmanager
def _compressed(path: Path) -> Iterator[None]:
    """A .gz that is not gzip, is cut off or is corrupt: one line naming the file."""
    try:
        yield
    except EOFError:
        raise InputError(
            f"{path}: the compressed file ends too early (cut off while copying or "
            "downloading?); copy it again."
        ) from None
    except (gzip.BadGzipFile, zlib.error) as error:
        raise InputError(
            f"{path}: not a readable gzip file ({_first_line(error)}); give the plain file, "
            "or compress it again with gzip."
        ) from None


def _check_lines(path: Path) -> None:
    """Refuse a CSV with a line longer than MAX_LINE_BYTES, reading it once in blocks (fast:
    only the first and last newline of each block are looked at)."""
    opener = gzip.open if path.name.lower().endswith(".gz") else open
    run = 0  # bytes since the last newline
    line = 1
    with _compressed(path), opener(path, "rb") as handle:
        while block := handle.read(MAX_LINE_BYTES):
            first = block.find(b"\n")
            if first < 0:
                run += len(block)
            else:
                run += first
            if run > MAX_LINE_BYTES:
                raise InputError(
                    f"{path}: line {line:,} is longer than {MAX_LINE_BYTES // 2**20} MB; an "
                    "event log row is a few hundred bytes. Check the quoting (an unclosed quote "
                    "joins lines) or remove the oversized cell."
                )
            if first >= 0:
                line += block.count(b"\n")
                run = len(block) - block.rfind(b"\n") - 1


# --- readers -------------------------------------------------------------------------------


def _sniff_csv(path: Path) -> tuple[str, str, str]:
    """Return (encoding, delimiter, first line), trying UTF-8 (with or without BOM), then Latin-1."""
    opener = gzip.open if path.name.lower().endswith(".gz") else open
    with _compressed(path), opener(path, "rb") as handle:
        head = handle.read(256 * 1024)
    if not head.strip():
        raise InputError(f"{path}: the file is empty.")
    for encoding in CSV_ENCODINGS:
        try:
            text = head.decode(encoding)
            break
        except UnicodeDecodeError as error:
            if error.start >= len(head) - 4:  # a multi-byte character cut by the sample
                text = head[: error.start].decode(encoding)
                break
    lines = text.splitlines()
    first = lines[0] if lines else ""
    try:
        delimiter = csv.Sniffer().sniff("\n".join(lines[:50]), delimiters=CSV_DELIMITERS).delimiter
    except csv.Error:
        counts = {d: first.count(d) for d in CSV_DELIMITERS}
        delimiter = max(counts, key=lambda d: counts[d]) if any(counts.values()) else ","
    if first.count(delimiter) == 0 and any(first.count(d) for d in CSV_DELIMITERS):
        delimiter = max(CSV_DELIMITERS, key=first.count)
    return encoding, delimiter, first


def _read_csv(
    path: Path, source: LogSource, memory_budget: int | None, notes: list[str]
) -> tuple[pd.DataFrame, str]:
    encoding, delimiter, header = _sniff_csv(path)
    if "ocel:activity" in header and "ocel:timestamp" in header:
        return _read_ocel(path, "ocel1-csv", source.object_type, notes), "ocel1-csv"
    _check_memory(path, memory_budget)
    _check_lines(path)
    text_columns = [c for c in (source.columns.case, source.columns.customer) if c]
    try:
        with _compressed(path):
            frame = pd.read_csv(
                path,
                sep=delimiter,
                encoding=encoding,
                dtype={c: str for c in text_columns},
                keep_default_na=True,
                na_values=[""],
                low_memory=False,
                on_bad_lines="error",
            )
    except pd.errors.EmptyDataError:
        raise InputError(f"{path}: the file is empty.") from None
    except pd.errors.ParserError as error:
        raise InputError(
            f"{path}: malformed CSV ({_first_line(error)}); check quoting and that every row has "
            f"the same number of '{delimiter}'-separated fields as the header."
        ) from None
    except UnicodeDecodeError as error:
        raise InputError(
            f"{path}: not readable as {encoding} text ({error.reason}); save it as UTF-8."
        ) from None
    if frame.empty:
        raise InputError(f"{path}: the file has a header but no events.")
    if delimiter != ",":  # with ',' between fields, a quoted "1,234" is a thousands separator
        frame = _decimal_commas(frame, source, notes)
    return frame, "csv"


def _decimal_commas(frame: pd.DataFrame, source: LogSource, notes: list[str]) -> pd.DataFrame:
    """Numbers written with a decimal comma (1.234,56 or 3,5; European exports, usually with
    ';' between fields) are read as numbers, never left as text that later counts as 0."""
    columns = source.columns
    keys = {columns.case, columns.activity, columns.timestamp, columns.start_timestamp,
            columns.resource, columns.customer, columns.customer_name}  # fmt: skip
    converted = []
    for column in frame.columns:
        series = frame[column]
        if column in keys or series.dtype != object:
            continue
        values = series.dropna()
        if values.empty or not values.map(type).eq(str).all():
            continue
        comma = values.str.match(_DECIMAL_COMMA)
        if not comma.any() or not (comma | values.str.match(_PLAIN_NUMBER)).all():
            continue
        numbers = values.str.strip().str.replace(".", "", regex=False).str.replace(",", ".")
        frame[column] = pd.to_numeric(numbers).reindex(series.index)
        converted.append(str(column))
    if converted:
        notes.append(
            f"numbers with a decimal comma read as numbers in column(s) {', '.join(converted)}"
        )
    return frame


def _check_memory(path: Path, memory_budget: int | None) -> None:
    size = path.stat().st_size
    if path.name.lower().endswith(".gz"):
        size *= 8  # typical compression ratio of CSV text
    budget = memory_budget if memory_budget is not None else psutil.virtual_memory().available
    needed = size * CSV_MEMORY_FACTOR
    if needed > budget:
        raise InputError(
            f"{path}: a {size / 1e9:.1f} GB CSV needs about {needed / 1e9:.1f} GB of memory to "
            f"read, but {budget / 1e9:.1f} GB is available; convert it to Parquet with only the "
            "columns you map, or split it by period."
        )


def _read_xes(path: Path) -> pd.DataFrame:
    """XES through the Rust parser (rustxes) when installed, about 5x faster than pm4py's
    Python parser; else through pm4py.

    rustxes is called directly, as pm4py's "rustxes" variant calls it (times made UTC-aware,
    pm4py's default), so reading does not wait for pm4py's import (about 1.8 s). rustxes
    reports malformed files by a Rust panic printed on stderr; that attempt runs with stderr
    captured, and a failure is retried with pm4py's Python parser, whose error says what is
    wrong in words a user can act on.
    """
    if importlib.util.find_spec("rustxes") is not None:
        try:
            with _captured_stderr(), warnings.catch_warnings():
                warnings.simplefilter("ignore")
                frame = _rustxes_frame(path)
            if frame is not None and len(frame):
                return frame
        except (KeyboardInterrupt, SystemExit, MemoryError):
            raise
        except BaseException:
            pass
    from l2csim.pm4py_adapter import pm4py

    pm = pm4py()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            frame = pm.read_xes(str(path), variant="iterparse")
    except Exception as error:  # pm4py raises many kinds for malformed XML
        raise InputError(
            f"{path}: not a readable XES file ({_first_line(error)}); export the log as XES "
            "(XML) or CSV."
        ) from None
    if frame is None or len(frame) == 0:
        raise InputError(f"{path}: the XES file holds no events.")
    return frame


def _rustxes_frame(path: Path) -> pd.DataFrame:
    """What pm4py.read_xes(path, variant="rustxes") returns, without importing pm4py."""
    import rustxes

    table = rustxes.import_xes(str(path))[0]
    release_freed_memory()  # the parser's working memory (280 MB on BPIC 2012 x3)
    frame = table.to_pandas()
    del table
    release_freed_memory()
    for column in frame.columns:
        kind = str(frame[column].dtype)
        if "date" in kind or "time" in kind:
            times = frame[column]
            aware = times.dt.tz is not None
            frame[column] = times.dt.tz_convert("UTC") if aware else times.dt.tz_localize("UTC")
    return frame


def release_freed_memory() -> None:
    """Hand memory freed by native code back to the system (glibc keeps it for reuse
    otherwise: after rustxes parses a log, the process would hold its peak for good)."""
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL("libc.so.6").malloc_trim(0)


@contextlib.contextmanager
def _captured_stderr() -> Iterator[None]:
    """Send what native code writes to file descriptor 2 into a scratch file, then drop it."""
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as scratch:
        os.dup2(scratch.fileno(), 2)
        try:
            yield
        finally:
            os.dup2(saved, 2)
            os.close(saved)


def _read_parquet(path: Path) -> pd.DataFrame:
    try:
        frame = pd.read_parquet(path)
    except Exception as error:  # pyarrow raises ArrowInvalid, OSError, ...
        raise InputError(f"{path}: not a readable Parquet file ({_first_line(error)}).") from None
    if frame.empty:
        raise InputError(f"{path}: the Parquet file holds no events.")
    return frame


def _read_ocel(path: Path, kind: str, object_type: str | None, notes: list[str]) -> pd.DataFrame:
    """Read an object-centric log and flatten it on one object type (one case per object)."""
    from l2csim.pm4py_adapter import pm4py

    pm = pm4py()
    readers = {
        "ocel2-json": pm.read_ocel2_json,
        "ocel2-xml": pm.read_ocel2_xml,
        "ocel2-sqlite": pm.read_ocel2_sqlite,
        "ocel1-csv": pm.read_ocel_csv,
    }
    with tempfile.TemporaryDirectory() as scratch:
        readable = path
        if path.name.lower().endswith(".gz"):  # pm4py's OCEL readers take plain files only
            readable = Path(scratch) / path.name[:-3]
            with _compressed(path), gzip.open(path, "rb") as packed, readable.open("wb") as plain:
                shutil.copyfileobj(packed, plain)
        try:
            with warnings.catch_warnings(), _captured_stderr():
                warnings.simplefilter("ignore")
                ocel = readers[kind](str(readable))
                types = sorted(str(t) for t in ocel.objects["ocel:type"].unique())
        except (KeyboardInterrupt, MemoryError):
            raise
        except BaseException as error:  # pm4py raises many kinds for malformed files
            raise InputError(
                f"{path}: not a readable OCEL 2.0 file ({_first_line(error)}); export the log "
                "as OCEL 2.0 JSON, XML or SQLite, or as a CSV event log."
            ) from None
    if not types:
        raise InputError(
            f"{path}: not a readable OCEL 2.0 file (no objects found); export the log as OCEL "
            "2.0 JSON, XML or SQLite, or as a CSV event log."
        )
    if object_type is None:
        object_type = next((t for t in types if t.lower() in ("orders", "order")), None)
        if object_type is None:
            raise InputError(
                f"{path}: an object-centric log must be flattened on one object type; choose "
                f"one with --object-type or log.object_type (types here: {', '.join(types)})."
            )
    if object_type not in types:
        raise InputError(
            f"{path}: object type {object_type!r} is not in this log; types here: "
            f"{', '.join(types)}."
        )
    frame = pm.ocel_flattening(ocel, object_type)
    if frame.empty:
        raise InputError(f"{path}: no events relate to objects of type {object_type!r}.")
    notes.append(f"object-centric log flattened on object type {object_type!r}")
    return frame


def _first_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return text[0][:200] if text else type(error).__name__


# --- canonical form ------------------------------------------------------------------------


def canonicalise(
    raw: pd.DataFrame,
    source: LogSource,
    path: Path,
    notes: list[str] | None = None,
    readings: dict[str, Lifecycle] | None = None,
) -> pd.DataFrame:
    """Rename mapped columns to pm4py's names, parse times to UTC, pair lifecycle events.

    `readings` receives how the lifecycle column was read (key "lifecycle"). A log left
    without events is refused with its cause; it never goes on empty."""
    notes = notes if notes is not None else []
    columns = source.columns
    present = [str(c) for c in raw.columns]
    raw.columns = present

    def pick(mapped: str | None, fallback: str | None = None) -> str | None:
        if mapped is not None:
            return mapped
        return fallback if fallback is not None and fallback in present else None

    wanted: dict[str, str | None] = {
        CASE: columns.case,
        ACTIVITY: columns.activity,
        TIMESTAMP: columns.timestamp,
        START: pick(columns.start_timestamp, START),
        RESOURCE: pick(columns.resource, RESOURCE),
        LIFECYCLE: pick(columns.lifecycle, LIFECYCLE),
        CUSTOMER: pick(columns.customer, CUSTOMER),
        CUSTOMER_NAME: pick(columns.customer_name, CUSTOMER_NAME),
    }
    for attribute in source.case_attributes:
        target = attribute if attribute.startswith("case:") else f"case:{attribute}"
        wanted.setdefault(target, attribute)
    missing = [
        (target, name)
        for target, name in wanted.items()
        if name is not None and name not in present
    ]
    if missing:
        described = ", ".join(f"{name!r} (for {target})" for target, name in missing)
        raise InputError(
            f"{path}: column {described} not found. {_columns_named(present)} Map them with "
            "--case/--activity/--timestamp/... or the study file's log.columns."
        )
    rename = {
        name: target for target, name in wanted.items() if name is not None and name != target
    }
    clashing = [target for target in rename.values() if target in present and target not in rename]
    frame = raw.rename(columns={c: f"{c} (original)" for c in clashing}).rename(columns=rename)
    frame = frame.reset_index(drop=True)

    frame = _drop_unusable(frame, path, notes)
    frame[CASE] = _as_text(frame[CASE])
    frame[ACTIVITY] = _as_text(frame[ACTIVITY])
    for text_column in (RESOURCE, CUSTOMER, CUSTOMER_NAME):
        if text_column in frame:
            frame[text_column] = _as_text(frame[text_column])
    for text_column in (CASE, ACTIVITY, RESOURCE, CUSTOMER, CUSTOMER_NAME):
        if text_column in frame:
            _refuse_long_names(frame[text_column], path, wanted[text_column] or text_column)
    frame[TIMESTAMP] = to_utc(frame[TIMESTAMP], path, wanted[TIMESTAMP] or TIMESTAMP, source)
    if START in frame:
        frame[START] = to_utc(frame[START], path, wanted[START] or START, source)
    if LIFECYCLE in frame:
        frame, reading = read_lifecycle(
            frame, source.lifecycle, path, wanted[LIFECYCLE] or LIFECYCLE
        )
        notes.extend(reading.notes)
        if readings is not None:
            readings["lifecycle"] = reading
    if frame.empty:  # defensive: every step above refuses or keeps events
        raise InputError(f"{path}: no events left after reading; check the column mapping.")
    return frame


def _columns_named(present: list[str]) -> str:
    """The file's columns for an error message, only when the first line looks like a log's
    header: a stray file's first line (which may hold anything) is never echoed."""
    if len(present) < 3:
        return (
            f"Its first line has {len(present)} field(s), so it is not a CSV event log with a "
            "header row (case, activity, time, ...); check the path."
        )
    shown = [name if len(name) <= 40 else name[:37] + "..." for name in present[:30]]
    more = f" and {len(present) - 30} more" if len(present) > 30 else ""
    return f"Columns in the file: {', '.join(shown)}{more}."


def _refuse_long_names(series: pd.Series, path: Path, column: str) -> None:
    codes, distinct = pd.factorize(series)  # measure each distinct name once
    if not len(distinct):
        return
    lengths = pd.Series(distinct).astype(str).str.len().to_numpy()
    if lengths.max() > MAX_NAME_CHARS:
        too_long = np.isin(codes, np.flatnonzero(lengths > MAX_NAME_CHARS))
        row = _row_list(series.index[too_long], limit=3)
        raise InputError(
            f"{path}: column {column!r} holds a value of {int(lengths.max()):,} characters "
            f"(rows {row}); names are at most {MAX_NAME_CHARS} characters. Check that the "
            "column mapping is right, or shorten the value."
        )


def _drop_unusable(frame: pd.DataFrame, path: Path, notes: list[str]) -> pd.DataFrame:
    """Events without a case, activity or time cannot be placed; drop them and say so."""
    unusable = frame[CASE].isna() | frame[ACTIVITY].isna() | frame[TIMESTAMP].isna()
    if unusable.all():
        raise InputError(
            f"{path}: no event has a case id, an activity and a timestamp; check the column mapping."
        )
    if unusable.any():
        rows = _row_list(frame.index[unusable])
        notes.append(
            f"{int(unusable.sum())} events without case id, activity or timestamp were left out "
            f"(rows {rows})"
        )
        frame = frame.loc[~unusable]
    return frame


def _as_text(series: pd.Series) -> pd.Series:
    """Text identifiers as Python str (numbers as written, not 1.0), missing kept missing.

    A column that is all text is kept as it is; otherwise each distinct value is converted
    (and stripped) once and the column rebuilt from the codes (a log has far fewer distinct
    names than events)."""
    if series.dtype == object and pd.api.types.infer_dtype(series, skipna=False) == "string":
        return series
    if pd.api.types.is_float_dtype(series) and (series.dropna() % 1 == 0).all():
        series = series.astype("Int64")
    return _distinct_map(series, lambda text: text.astype("string").str.strip())


def _distinct_map(series: pd.Series, convert) -> pd.Series:
    """`convert` (text Series -> text Series) applied to each distinct value once; missing
    values stay None. The result is an object column of Python str."""
    codes, distinct = pd.factorize(series)
    converted = convert(pd.Series(distinct, dtype=object))
    values = converted.astype(object).where(converted.notna(), None).to_numpy(dtype=object)
    out = np.full(len(codes), None, dtype=object)
    present = codes >= 0
    out[present] = values[codes[present]]
    return pd.Series(out, index=series.index, name=series.name)


def to_utc(series: pd.Series, path: Path, column: str, source: LogSource) -> pd.Series:
    """Parse one timestamp column to tz-aware UTC.

    Values with an offset are converted exactly; values without one are read in the study's
    time zone. A column mixing both is refused: silently guessing would shift times.
    """
    if isinstance(series.dtype, pd.DatetimeTZDtype):
        return series.dt.tz_convert("UTC")
    if pd.api.types.is_datetime64_dtype(series):
        return _localise(series, source.timezone, path, column)
    text = series.astype("string")
    present = text.notna()
    if source.timestamp_format is not None:
        parsed = pd.to_datetime(text, format=source.timestamp_format, errors="coerce", utc=False)
        _refuse_unparsed(parsed, present, text, path, column, source)
        if isinstance(parsed.dtype, pd.DatetimeTZDtype):
            return parsed.dt.tz_convert("UTC")
        return _localise(parsed, source.timezone, path, column)
    has_offset = _has_offset(text)
    with_offset = int((has_offset & present).sum())
    if 0 < with_offset < int(present.sum()):
        naive = text[~has_offset & present]
        parsed_naive = pd.to_datetime(naive, format="ISO8601", errors="coerce")
        if parsed_naive.isna().any():  # not a time at all, rather than one without offset
            _refuse_unparsed(parsed_naive, naive.notna(), naive, path, column, source)
        aware_row = _row_list(text.index[has_offset & present], limit=1)
        naive_row = _row_list(text.index[~has_offset & present], limit=3)
        raise InputError(
            f"{path}: column {column!r} mixes times with a UTC offset (e.g. row {aware_row}) and "
            f"times without one (rows {naive_row}); export all times with their offset, or all "
            "in one local time zone and set log.timezone."
        )
    parsed = pd.to_datetime(text, format="ISO8601", errors="coerce", utc=with_offset > 0)
    _refuse_unparsed(parsed, present, text, path, column, source)
    if with_offset:
        return parsed
    return _localise(parsed, source.timezone, path, column)


def _has_offset(text: pd.Series) -> pd.Series:
    array = pa.array(text.to_numpy(dtype=object, na_value=None), type=pa.string())
    matched = pc.match_substring_regex(array, _OFFSET_PATTERN)
    flags = matched.to_numpy(zero_copy_only=False)  # None where the text is missing
    return pd.Series(flags, index=text.index, dtype="boolean").fillna(False).astype(bool)


def _localise(series: pd.Series, timezone: str, path: Path, column: str) -> pd.Series:
    """Naive local times → UTC. Times that fall in a DST gap move forward, repeated hours
    take the first (summer-time) reading, as most ERP exports mean."""
    if timezone == "UTC":
        return series.dt.tz_localize("UTC")
    return series.dt.tz_localize(
        timezone, ambiguous=True, nonexistent="shift_forward"
    ).dt.tz_convert("UTC")


def _refuse_unparsed(
    parsed: pd.Series,
    present: pd.Series,
    text: pd.Series,
    path: Path,
    column: str,
    source: LogSource,
) -> None:
    bad = parsed.isna() & present
    if bad.any():
        rows = text.index[bad]
        example = text.loc[rows[0]]
        expected = f"format {source.timestamp_format!r}" if source.timestamp_format else "ISO 8601"
        if _out_of_range(str(example)):
            raise InputError(
                f"{path}: column {column!r}: {int(bad.sum())} timestamps are outside the years "
                f"1678-2261 that can be handled, e.g. {_clip(example)} (rows "
                f"{_row_list(rows)}); fix the year (a typo such as 2300 for 2030?)."
            )
        example = _clip(example)
        raise InputError(
            f"{path}: column {column!r}: {int(bad.sum())} timestamps cannot be read as "
            f"{expected}, e.g. {example} (rows {_row_list(rows)}); set log.timestamp_format "
            "(or --timestamp-format), e.g. '%d/%m/%Y %H:%M'."
        )


def _out_of_range(text: str) -> bool:
    """A well-formed time that pandas cannot hold (before 1678 or after 2261)."""
    from datetime import datetime

    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        return False
    return not 1678 <= moment.year <= 2261


def _clip(value: object, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 4] + "...'"


def _row_list(index: Sequence[int] | pd.Index, limit: int = 5) -> str:
    """Event positions as 1-based data rows (row 1 is the first event after any header)."""
    shown = [str(int(i) + 1) for i in list(index[:limit])]
    more = len(index) - limit
    return ", ".join(shown) + (f" and {more} more" if more > 0 else "")


@dataclass(frozen=True)
class Lifecycle:
    """How a lifecycle column was read: `mode` is "paired" (start and complete events made
    one event with a start and an end time; other transitions left out), "activity" (every
    event kept, its value joined to the activity: a log of statuses) or "complete" (only
    completions: nothing to pair). `values`: the column's values with their event counts
    (most frequent first, at most 20); `statuses`: those that are not XES lifecycle
    transitions nor named in the study; `left_out`: events left out; `why`: the rule."""

    column: str
    mode: str
    values: dict[str, int]
    statuses: tuple[str, ...]
    left_out: int
    why: str
    notes: tuple[str, ...] = ()


def read_lifecycle(
    frame: pd.DataFrame, spec: LifecycleSpec, path: Path, column: str = LIFECYCLE
) -> tuple[pd.DataFrame, Lifecycle]:
    """Read the lifecycle column as the study says (see `LifecycleSpec`): pair starts with
    completions, or keep every event with its status in the activity's name.

    Refuses (naming the file, the column and its values) a reading that would leave no
    event, e.g. statuses read as transitions with `keep_as_activity: false`."""
    raw = _distinct_map(frame[LIFECYCLE], lambda text: text.astype("string").str.strip())
    raw = raw.astype("string")
    transition = _distinct_map(raw, lambda text: text.astype("string").str.lower()).astype("string")
    starts = {v.strip().lower() for v in spec.start}
    completes = {v.strip().lower() for v in spec.complete}
    counts = raw.value_counts(dropna=True)
    values = {str(k): int(v) for k, v in counts.head(20).items()}
    known = XES_TRANSITIONS | starts | completes
    statuses = tuple(str(v) for v in counts.index if str(v).lower() not in known)
    keep = spec.keep_as_activity if spec.keep_as_activity is not None else bool(statuses)
    if keep:
        why = (
            "log.lifecycle.keep_as_activity: true"
            if spec.keep_as_activity
            else f"the column holds values that are not lifecycle transitions ({_listed(statuses)})"
        )
        named = raw.notna() & raw.ne("")
        activity = frame[ACTIVITY].where(~named, frame[ACTIVITY] + " (" + raw + ")")
        kept = frame.assign(**{ACTIVITY: activity.astype(object)})
        note = (
            f"lifecycle column {column!r} read as statuses: each event kept, its value joined "
            f"to the activity, e.g. {kept[ACTIVITY].iloc[0]!r} ({why})"
        )
        return kept, Lifecycle(column, "activity", values, statuses, 0, why, (note,))
    notes: list[str] = []
    is_start = transition.isin(starts).fillna(False)
    is_complete = transition.isin(completes).fillna(False) | transition.isna()
    others = ~(is_start | is_complete)
    if not is_complete.any() and not is_start.any():
        raise InputError(
            f"{path}: no events left: the lifecycle column {column!r} holds no start or complete "
            f"transitions (values: {_listed(list(values))}); set log.lifecycle.keep_as_activity: "
            "true to keep them as statuses, or name the values that start and complete work "
            "in log.lifecycle.start and log.lifecycle.complete."
        )
    why = f"start values {sorted(starts)}, complete values {sorted(completes)}" + (
        " (log.lifecycle.keep_as_activity: false)" if spec.keep_as_activity is False else ""
    )
    if not is_start.any() and not others.any():
        return frame, Lifecycle(column, "complete", values, statuses, 0, why)
    paired = _pair(frame, is_start, is_complete, notes)
    if others.any():
        left = transition[others].value_counts()
        described = ", ".join(f"{count} {name}" for name, count in left.items())
        notes.append(f"lifecycle events other than start/complete left out: {described}")
    return paired, Lifecycle(
        column, "paired", values, statuses, int(others.sum()), why, tuple(notes)
    )


def _listed(values: Sequence[str], limit: int = 5) -> str:
    shown = [repr(v) for v in list(values)[:limit]]
    more = len(values) - limit
    return ", ".join(shown) + (f" and {more} more" if more > 0 else "")


def _pair(
    frame: pd.DataFrame, is_start: pd.Series, is_complete: pd.Series, notes: list[str]
) -> pd.DataFrame:
    """Turn start/complete event pairs into one event with a start and an end time.

    Each completion pairs with the latest start of the same activity in the same case that
    precedes it and is not taken by an earlier completion. Starts left over stay as events
    ending when they started; other transitions (schedule, assign, ...) carry no work time
    and are left out.
    """
    keys = [CASE, ACTIVITY]
    completes = frame.loc[is_complete]
    if is_start.any():
        starts = frame.loc[is_start, [*keys, TIMESTAMP]].rename(columns={TIMESTAMP: "_start"})
        starts = starts.assign(_start_row=starts.index).sort_values("_start", kind="stable")
        matches = pd.merge_asof(
            completes[[*keys, TIMESTAMP]]
            .assign(_row=completes.index)
            .sort_values(TIMESTAMP, kind="stable"),
            starts,
            left_on=TIMESTAMP,
            right_on="_start",
            by=keys,
            direction="backward",
        )
        taken_twice = matches["_start_row"].notna() & matches.duplicated("_start_row")
        matches.loc[taken_twice, ["_start", "_start_row"]] = [pd.NaT, float("nan")]
        paired_start = matches.set_index("_row")["_start"].reindex(completes.index)
        if START in completes:
            paired_start = completes[START].where(completes[START].notna(), paired_start)
        completes = completes.assign(**{START: paired_start})
        used = matches["_start_row"].dropna()
        lonely = starts.index[~starts["_start_row"].isin(used)].sort_values()
        if len(lonely):
            unmatched = frame.loc[lonely].copy()
            unmatched[START] = unmatched[TIMESTAMP]
            completes = pd.concat([completes, unmatched])
            notes.append(f"{len(lonely)} start events had no completion; kept with zero duration")
        notes.append(f"{len(used)} start events paired with their completions")
    return completes.sort_index()


# --- the log's dates -----------------------------------------------------------------------

# The central share of events that defines the bulk of the log's dates, and the least margin
# around it (see `date_bulk`).
BULK_SHARE = 0.99
MIN_DATE_MARGIN = pd.Timedelta(days=90)


@dataclass(frozen=True)
class DateBulk:
    """The span of dates that the log's events plausibly fall in, and how it was found.

    Rule (stated in `rule`): the central `BULK_SHARE` of event times runs from `central_start`
    to `central_end`; an event is implausibly dated when it lies further outside that span
    than the span is long (at least `MIN_DATE_MARGIN`). Two events dated 1948 in a log of
    2018 are typing errors or placeholders, not a 70-year history; a thin early tail of a
    log (a few events a month before the busy period) is not cut by this rule.
    """

    start: pd.Timestamp  # earliest plausible time
    end: pd.Timestamp  # latest plausible time
    central_start: pd.Timestamp
    central_end: pd.Timestamp
    outliers: int  # events outside [start, end]

    @property
    def rule(self) -> str:
        return (
            f"the central {BULK_SHARE:.0%} of events lie between {self.central_start:%Y-%m-%d} "
            f"and {self.central_end:%Y-%m-%d}; a time further outside that span than it is long "
            f"(at least {MIN_DATE_MARGIN.days} days), i.e. before {self.start:%Y-%m-%d} or after "
            f"{self.end:%Y-%m-%d}, is taken as wrongly dated"
        )


def date_bulk(times: pd.Series) -> DateBulk:
    """The plausible span of a log's event times (see `DateBulk` for the rule)."""
    values = times.dropna()
    if values.empty:
        now = pd.Timestamp.now(tz="UTC")
        return DateBulk(now, now, now, now, 0)
    tail = (1 - BULK_SHARE) / 2
    ns = epoch_ns(values)
    low, high = np.quantile(ns, [tail, 1 - tail], method="inverted_cdf")
    central_start = pd.Timestamp(int(low), tz="UTC")
    central_end = pd.Timestamp(int(high), tz="UTC")
    margin = max(central_end - central_start, MIN_DATE_MARGIN)
    start, end = central_start - margin, central_end + margin
    outliers = int(((values < start) | (values > end)).sum())
    return DateBulk(start, end, central_start, central_end, outliers)


def epoch_ns(times: pd.Series) -> np.ndarray:
    """Times as int64 nanoseconds since 1970 UTC (tz-aware or naive UTC), without copies
    of object arrays."""
    if isinstance(times.dtype, pd.DatetimeTZDtype):
        times = times.dt.tz_convert("UTC").dt.tz_localize(None)
    return times.to_numpy(dtype="datetime64[ns]").astype(np.int64)


def outlier_cases(events: pd.DataFrame, bulk: DateBulk | None = None) -> pd.Index:
    """Cases with an event (completion or start) dated outside the plausible span."""
    bulk = bulk or date_bulk(events[TIMESTAMP])
    outside = (events[TIMESTAMP] < bulk.start) | (events[TIMESTAMP] > bulk.end)
    if START in events:
        start = events[START]
        outside |= ((start < bulk.start) | (start > bulk.end)).fillna(False)
    return pd.Index(events.loc[outside, CASE].unique())
