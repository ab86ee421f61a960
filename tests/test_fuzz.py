"""Fuzzing the parsers users feed by hand (hypothesis): study files, scenario files and CSV
logs. Whatever the input, the result is a value or one of l2csim's own errors with a
message that names the file, never another exception."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from l2csim.errors import L2csimError
from l2csim.log import LogSource, read_log
from l2csim.scenario import load_scenario
from l2csim.study import ColumnMap, load_study

pytestmark = pytest.mark.filterwarnings("ignore::l2csim.errors.L2csimDeprecation")

FUZZ = settings(
    max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow], database=None
)

KEYS = st.sampled_from(
    ["log", "path", "columns", "case", "activity", "timestamp", "roles", "segments", "sla",
     "customers", "crm_tiers", "mining", "validation", "thresholds", "timezone", "policy",
     "discipline", "staffing", "pools", "add", "size", "demand", "factor", "tiers", "extends",
     "model", "courtesy", "rule", "courtesy_owed_at", "courtesy_milestones", "promised_hours",
     "x", "", "&", "*"]
)  # fmt: skip
SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(-(10**12), 10**12),
    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=30),
    st.sampled_from(["log.csv", "UTC", "Mars/Olympus", "fifo", "baseline.yaml", "model.json",
                     "role:chase_call", "key_account", "-1", "1e309"]),
)  # fmt: skip
TREES = st.recursive(
    SCALARS,
    lambda children: st.one_of(
        st.lists(children, max_size=4), st.dictionaries(KEYS, children, max_size=5)
    ),
    max_leaves=25,
)
LOG = "case,activity,time\n1,A,2025-01-06T09:00:00Z\n1,B,2025-01-06T10:00:00Z\n"


def _write(folder: Path, name: str, data) -> Path:
    path = folder / name
    if isinstance(data, bytes):
        path.write_bytes(data)
    elif isinstance(data, str):
        path.write_text(data, encoding="utf-8", errors="surrogatepass")
    else:
        path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def _only_our_errors(call) -> None:
    try:
        call()
    except L2csimError as error:
        assert str(error).strip(), "an error without a message"


@FUZZ
@given(st.dictionaries(KEYS, TREES, max_size=6))
def test_study_parser_on_random_structures(data) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        _write(folder, "log.csv", LOG)
        data.setdefault("log", {"path": "log.csv"})
        path = _write(folder, "study.yaml", data)
        _only_our_errors(lambda: load_study(path))


@FUZZ
@given(st.text(max_size=400))
def test_study_parser_on_random_text(text) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        path = Path(scratch) / "study.yaml"
        path.write_bytes(text.encode("utf-8", "surrogatepass"))
        _only_our_errors(lambda: load_study(path))


@FUZZ
@given(st.binary(max_size=400))
def test_study_parser_on_random_bytes(data) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        path = Path(scratch) / "study.yaml"
        path.write_bytes(data)
        _only_our_errors(lambda: load_study(path))


@FUZZ
@given(st.dictionaries(KEYS, TREES, max_size=5), TREES)
def test_scenario_parser_on_random_structures(data, policy) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        _write(folder, "base.yaml", {"model": "model.json", "policy": {}})
        data = {"extends": "base.yaml", **data}
        if isinstance(policy, dict):
            data["policy"] = policy
        path = _write(folder, "scenario.yaml", data)
        _only_our_errors(lambda: load_scenario(path))


@FUZZ
@given(st.text(max_size=400))
def test_scenario_parser_on_random_text(text) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        path = Path(scratch) / "scenario.yaml"
        path.write_bytes(text.encode("utf-8", "surrogatepass"))
        _only_our_errors(lambda: load_scenario(path))


CELLS = st.one_of(
    st.text(alphabet=st.characters(blacklist_categories=["Cs"]), max_size=12),
    st.sampled_from(["2025-01-06T09:00:00Z", "2025-01-06 09:00", "2300-01-01", "1,5",
                     "1.234,5", "=1+2", '"', '""', ";", "\t", "\n", "NaN", ""]),
)  # fmt: skip
ROWS = st.lists(st.lists(CELLS, min_size=1, max_size=5), min_size=0, max_size=8)


@FUZZ
@given(ROWS, st.sampled_from([",", ";", "\t", "|"]), st.sampled_from(["UTC", "Europe/Berlin"]))
def test_csv_reader_on_random_tables(rows, delimiter, timezone) -> None:
    header = delimiter.join(["case", "activity", "time"])
    text = header + "\n" + "\n".join(delimiter.join(row) for row in rows) + "\n"
    with tempfile.TemporaryDirectory() as scratch:
        path = _write(Path(scratch), "log.csv", text)
        columns = ColumnMap(case="case", activity="activity", timestamp="time")
        source = LogSource(path=path, columns=columns, timezone=timezone)
        _only_our_errors(lambda: read_log(source))


@FUZZ
@given(st.binary(max_size=600), st.sampled_from(["log.csv", "log.csv.gz", "log.tsv"]))
def test_csv_reader_on_random_bytes(data, name) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        path = _write(Path(scratch), name, data)
        columns = ColumnMap(case="case", activity="activity", timestamp="time")
        _only_our_errors(lambda: read_log(LogSource(path=path, columns=columns)))
