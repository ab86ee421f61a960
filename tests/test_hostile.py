"""A corpus of hostile inputs and faults (issue 17): every invalid input is refused with one
line and a non-zero exit within 60 s, never a traceback; faults (disk full, read-only,
killed or concurrent runs) never leave mixed outputs or a stage recorded as done that is not.

Counts (asserted at the end): INPUTS hostile inputs, FAULTS fault scenarios.
"""

from __future__ import annotations

import errno
import gzip
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from l2csim.cli import cli
from l2csim.output import folder_hashes, out_folder_lock
from study_copy import sample_study

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "event_logs" / "sample_orders.csv"
GOOD = "case,activity,time\n1,A,2025-01-06T09:00:00Z\n1,B,2025-01-06T10:00:00Z\n"
FLAGS = ["--case", "case", "--activity", "activity", "--timestamp", "time"]
LIMIT = 60.0  # seconds any refusal may take
FAST = ["--replications", "2", "--horizon", "20d", "--warmup", "2d", "--jobs", "1"]


def refused(*args: str, expect: str | None = None, code: int | None = None) -> str:
    """Run the CLI: non-zero exit, one `Error:` line, no traceback, quickly."""
    started = time.monotonic()
    result = CliRunner().invoke(cli, list(args))
    elapsed = time.monotonic() - started
    assert isinstance(result.exception, SystemExit), (args, result.exception, result.output)
    assert result.exit_code != 0, (args, result.output)
    if code is not None:
        assert result.exit_code == code, (args, result.output)
    assert "Traceback" not in result.output, result.output
    errors = [line for line in result.output.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1, result.output
    if expect is not None:
        assert expect.lower() in " ".join(result.output.split()).lower(), result.output
    assert elapsed < LIMIT, (args, elapsed)
    return result.output


# --- hostile logs -----------------------------------------------------------------------------


def _gz(text: bytes) -> bytes:
    return gzip.compress(text, mtime=0)


def _huge_cell(size: int) -> bytes:
    return b"case,activity,time\n1,A," + b"x" * size + b"\n"


LOGS: list[tuple[str, str, bytes, list[str], str]] = [
    # (id, file name, bytes, extra flags, expected words in the error)
    ("empty", "log.csv", b"", [], "empty"),
    ("blank", "log.csv", b"\n\n  \n", [], "empty"),
    ("header only", "log.csv", b"case,activity,time\n", FLAGS, "no events"),
    ("binary", "log.csv", bytes(range(256)) * 40, FLAGS, "log.csv"),
    ("not gzip", "log.csv.gz", b"plain text, not gzip\n", FLAGS, "not a readable gzip"),
    ("truncated gzip", "log.csv.gz", _gz(GOOD.encode() * 2000)[:300], FLAGS, "ends too early"),
    ("2 MB cell", "log.csv", _huge_cell(2_000_000), FLAGS, "longer than 1 MB"),
    ("20 MB cell", "log.csv", _huge_cell(20_000_000), FLAGS, "longer than 1 MB"),
    (
        "unclosed quote",
        "log.csv",
        b'case,activity,time\n1,"A,2025-01-06T09:00:00Z\n' * 3,
        FLAGS,
        "log.csv",
    ),
    ("wrong column", "log.csv", GOOD.encode(), ["--case", "order"], "not found"),
    (
        "extra fields",
        "log.csv",
        GOOD.encode() + b"2,A,2025-01-06T09:00:00Z,x,y\n",
        FLAGS,
        "malformed",
    ),
    (
        "mixed offsets",
        "log.csv",
        b"case,activity,time\n1,A,2025-01-06T09:00:00+01:00\n1,B,2025-01-06T10:00:00\n",
        FLAGS,
        "mixes times",
    ),
    (
        "unparsable times",
        "log.csv",
        b"case,activity,time\n1,A,2025-01-06T09:00:00+01:00\n1,B,yesterday\n",
        FLAGS,
        "cannot be read",
    ),
    (
        "year 2300",
        "log.csv",
        b"case,activity,time\n1,A,2300-01-06T09:00:00Z\n",
        FLAGS,
        "outside the years",
    ),
    (
        "bad format",
        "log.csv",
        GOOD.encode(),
        [*FLAGS, "--timestamp-format", "%d/%m/%Y"],
        "cannot be read",
    ),
    ("mars", "log.csv", GOOD.encode(), [*FLAGS, "--timezone", "Mars/Olympus"], "unknown time zone"),
    (
        "no case ids",
        "log.csv",
        b"case,activity,time\n,A,2025-01-06T09:00:00Z\n",
        FLAGS,
        "no event has",
    ),
    (
        "10k activity",
        "log.csv",
        b"case,activity,time\n1," + b"A" * 10_000 + b",2025-01-06T09:00:00Z\n",
        FLAGS,
        "10,000 characters",
    ),
    ("unknown format", "log.exe", GOOD.encode(), FLAGS, "unknown log format"),
    ("xes not xml", "log.xes", b"this is not xml", [], "not a readable XES"),
    ("xes not gzip", "log.xes.gz", b"<log/>", [], "gzip"),
    (
        "xes truncated",
        "log.xes.gz",
        _gz(b"<log>" + b"<trace></trace>" * 5000)[:200],
        [],
        "log.xes.gz",
    ),
    (
        "xes no events",
        "log.xes",
        b'<?xml version="1.0"?><log xes.version="1.0"></log>',
        [],
        "log.xes",
    ),
    ("ocel not json", "log.jsonocel", b"{not json", [], "not a readable OCEL"),
    ("ocel json list", "log.jsonocel", b"[1, 2, 3]", [], "not a readable OCEL"),
    ("ocel xml garbage", "log.xmlocel", b"<<<", [], "not a readable OCEL"),
    (
        "ocel sqlite garbage",
        "log.sqlite",
        b"SQLite format 3\x00" + b"\x01" * 500,
        [],
        "not a readable OCEL",
    ),
    ("ocel gz garbage", "log.jsonocel.gz", b"nope", [], "gzip"),
    ("parquet garbage", "log.parquet", b"PAR1 not really", [], "not a readable Parquet"),
    (
        "secret file",
        "notes.csv",
        b"aws_secret_access_key=AKIASECRETSECRET\nregion=eu\n",
        FLAGS,
        "not a CSV event log",
    ),
]


@pytest.mark.parametrize(
    ("name", "data", "flags", "expect"),
    [case[1:] for case in LOGS],
    ids=[case[0] for case in LOGS],
)
def test_hostile_log_is_refused(tmp_path, name, data, flags, expect) -> None:
    path = tmp_path / name
    path.write_bytes(data)
    output = refused("check", str(path), *flags, "--out", str(tmp_path / "out"), expect=expect)
    assert "AKIASECRET" not in output  # a stray file's content is never echoed
    assert not (tmp_path / "out").exists()


ACCEPTED: list[tuple[str, bytes]] = [
    # hostile but valid: read, checked and written without a traceback (exit 0)
    ("nul byte", b"case,activity,time\n1,A\x00B,2025-01-06T09:00:00Z\n"),
    ("bidi names", "case,activity,time\n1,Pay\u202eeciovni,2025-01-06T09:00:00Z\n".encode()),
    ("formula names", b'case,activity,time\n=1+2,"=HYPERLINK(""x"")",2025-01-06T09:00:00Z\n'),
    ("latin-1", "case,activity,time\n1,Prüfung,2025-01-06T09:00:00Z\n".encode("latin-1")),
    ("bom", b"\xef\xbb\xbf" + GOOD.encode()),
    ("crlf", GOOD.replace("\n", "\r\n").encode()),
]


@pytest.mark.parametrize("data", [d for _, d in ACCEPTED], ids=[n for n, _ in ACCEPTED])
def test_hostile_but_valid_log_is_read(tmp_path, data) -> None:
    path = tmp_path / "log.csv"
    path.write_bytes(data)
    result = CliRunner().invoke(cli, ["check", str(path), *FLAGS, "--out", str(tmp_path / "o")])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "o" / "quality.json").is_file()


def test_missing_and_folder_logs(tmp_path) -> None:
    refused("check", str(tmp_path / "nope.csv"), "--out", str(tmp_path / "o"), expect="not found")
    (tmp_path / "dir.csv").mkdir()
    refused("check", str(tmp_path / "dir.csv"), "--out", str(tmp_path / "o"), expect="folder")


def test_semicolon_csv_with_decimal_commas_is_read_as_numbers(tmp_path) -> None:
    from l2csim.log import LogSource, read_log
    from l2csim.study import ColumnMap

    path = tmp_path / "log.csv"
    path.write_text(
        "case;activity;time;value\n1;A;2025-01-06T09:00:00Z;1.039,70\n2;A;2025-01-06T09:00:00Z;3,5\n"
    )
    columns = ColumnMap(case="case", activity="activity", timestamp="time")
    log = read_log(LogSource(path=path, columns=columns, case_attributes=("value",)))
    assert log.events["case:value"].tolist() == [1039.70, 3.5]
    assert any("decimal comma" in note for note in log.notes)


# --- hostile study files ------------------------------------------------------------------------

BOMB = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{c}: &{c} [*{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}, *{p}]\n"
    for p, c in zip("abcdefgh", "bcdefghi", strict=True)
)
STUDY = "log:\n  path: log.csv\n  columns: {case: case, activity: activity, timestamp: time}\n"

STUDIES: list[tuple[str, str | bytes, str]] = [
    ("syntax", "log: [unclosed\n", "invalid YAML at line"),
    ("alias bomb", BOMB + STUDY, "expand to"),
    ("self alias", "a: &a [1, *a]\n" + STUDY, "refers to itself"),
    ("deep nesting", "a: " + "[" * 5000 + "]" * 5000 + "\n" + STUDY, "nested too deeply"),
    ("top list", "- 1\n- 2\n", "expected a mapping"),
    ("empty", "", "empty"),
    ("unknown key", STUDY + "rolez: {}\n", "Did you mean 'roles'"),
    ("wrong type", STUDY + "segments: 5\n", "segments"),
    ("no log", "roles: {}\n", "log: required key is missing"),
    ("missing log file", STUDY.replace("log.csv", "nope.csv"), "does not exist"),
    ("bad timezone", STUDY + "  timezone: Mars/Olympus\n", "unknown time zone"),
    ("missing reference", STUDY + "reference_process: nope.bpmn\n", "reference_process"),
    ("huge validation", STUDY + "validation: {replications: 1000000000}\n", "validation"),
    ("negative promise", STUDY + "sla: {default: {promised_hours: -5}}\n", "promised_hours"),
    ("ten year promise", STUDY + "sla: {default: {promised_hours: 1e9}}\n", "promised_hours"),
    ("not utf8", b"log:\n  path: \xff\xfe.csv\n", "not UTF-8"),
    ("too large", STUDY + "#" + "x" * 1_100_000 + "\n", "too large"),
]


@pytest.mark.parametrize(
    ("text", "expect"), [case[1:] for case in STUDIES], ids=[case[0] for case in STUDIES]
)
def test_hostile_study_file_is_refused(tmp_path, text, expect) -> None:
    (tmp_path / "log.csv").write_text(GOOD)
    study = tmp_path / "study.yaml"
    study.write_bytes(text if isinstance(text, bytes) else text.encode())
    refused("check", str(study), "--out", str(tmp_path / "out"), expect=expect)


def test_a_stray_file_as_log_path_is_not_echoed(tmp_path) -> None:
    (tmp_path / "secret.csv").write_text("password=hunter2-SECRET\n")
    study = tmp_path / "study.yaml"
    study.write_text(STUDY.replace("log.csv", "secret.csv"))
    output = refused("check", str(study), "--out", str(tmp_path / "out"))
    assert "hunter2" not in output


# --- hostile scenarios and options ----------------------------------------------------------------


@pytest.fixture(scope="module")
def scenarios(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return sample_study(tmp_path_factory.mktemp("hostile"))


SCENARIOS: list[tuple[str, str, str]] = [
    (
        "add -100",
        "policy: {staffing: {pools: {'role:chase_call': {add: -100}}}}",
        "0 to 1000 people",
    ),
    ("add huge", "policy: {staffing: {pools: {'role:chase_call': {add: 5000}}}}", "add"),
    ("size -3", "policy: {staffing: {pools: {'role:chase_call': {size: -3}}}}", "size"),
    ("size huge", "policy: {staffing: {pools: {'role:chase_call': {size: 1000000}}}}", "size"),
    ("demand -2", "policy: {demand: {factor: -2}}", "factor"),
    ("demand 0", "policy: {demand: {factor: 0}}", "factor"),
    ("demand tier -1", "policy: {demand: {tiers: {key_account: -1}}}", "demand.tiers"),
    ("demand segment huge", "policy: {demand: {segments: {x: 1e6}}}", "demand.segments"),
    ("unknown key", "policy: {disciplin: fifo}", "Did you mean 'discipline'"),
    ("unknown discipline", "policy: {discipline: random}", "discipline"),
    ("unknown tier", "policy: {sla: {platinum: {promised_hours: 5}}}", "unknown tier"),
    ("unknown pool", "policy: {staffing: {pools: {nobody: {add: 1}}}}", "unknown pool"),
    ("unknown milestone", "policy: {courtesy: {rule: all, milestones: [Lunch]}}", "milestone"),
    ("scenario bomb", BOMB, "expand to"),
    ("list", "- 1", "expected a mapping"),
    ("extends missing", "extends: nowhere.yaml", "does not exist"),
    ("extends self", "extends: hostile.yaml", "cycle"),
    (
        "review every 0 days",
        "policy: {proactive_review: {enabled: true, every_days: 0}}",
        "every_days",
    ),
]


@pytest.mark.parametrize(
    ("body", "expect"), [case[1:] for case in SCENARIOS], ids=[case[0] for case in SCENARIOS]
)
def test_hostile_scenario_is_refused(scenarios, tmp_path, body, expect) -> None:
    path = scenarios / "hostile.yaml"
    extends = "" if body.startswith(("extends", "-")) else "extends: baseline.yaml\n"
    path.write_text(extends + body + "\n")
    try:
        refused("simulate", str(path), *FAST, "--out", str(tmp_path / "out"), expect=expect)
    finally:
        path.unlink()


def test_scenario_without_model_is_refused(scenarios, tmp_path) -> None:
    path = tmp_path / "lonely.yaml"
    path.write_text("policy: {discipline: fifo}\n")
    refused("simulate", str(path), "--out", str(tmp_path / "out"), expect="model")


def test_old_key_name_is_read_with_a_note(scenarios, tmp_path) -> None:
    path = scenarios / "old.yaml"
    path.write_text(
        "extends: baseline.yaml\n"
        "policy: {sla: {key_account: {courtesy_owed_at: [Shipped]}}, courtesy: {rule: tiers, "
        "tiers: [key_account]}}\n"
    )
    try:
        result = CliRunner().invoke(
            cli, ["simulate", str(path), *FAST, "--out", str(tmp_path / "out")]
        )
    finally:
        path.unlink()
    assert result.exit_code == 0, result.output
    assert "Note:" in result.output and "now called 'courtesy_milestones'" in result.output


OPTIONS: list[tuple[list[str], str, int]] = [
    (["--replications", "1000000000"], "1 to 1,000", 1),
    (["--replications", "-1"], "1 to 1,000", 1),
    (["--replications", "many"], "whole number", 1),
    (["--max-replications", "100000"], "", 2),
    (["--horizon", "1000000d"], "at most 3650 days", 1),
    (["--horizon", "0d"], "longer than 0", 1),
    (["--horizon", "soon"], "number with a unit", 1),
    (["--warmup", "400d"], "shorter than --horizon", 1),
    (["--jobs", "-1"], "", 2),
    (["--jobs", "100000"], "", 2),
    (["--seed", "-5"], "", 2),
    (["--precision", "500%"], "precision", 1),
    (["--scheduler", "not-an-address"], "tcp://HOST:PORT", 1),
    (["--scheduler", "127.0.0.1:8786"], "tcp://HOST:PORT", 1),
]


@pytest.mark.parametrize(
    ("flags", "expect", "code"), OPTIONS, ids=[" ".join(case[0]) for case in OPTIONS]
)
def test_out_of_bounds_options_are_refused(scenarios, tmp_path, flags, expect, code) -> None:
    refused(
        "simulate", str(scenarios / "baseline.yaml"), *flags, "--out", str(tmp_path / "out"),
        expect=expect or None, code=code,
    )  # fmt: skip
    assert not (tmp_path / "out").exists()


def test_study_replications_are_bounded(tmp_path) -> None:
    refused("study", str(tmp_path), "--replications", "1000000000", expect="1 to 1,000")
    refused("study", str(tmp_path), "--replications", "1", expect="at least 2")


@pytest.fixture
def not_dask() -> str:
    """A TCP peer that answers anything with bytes no Dask scheduler would send."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()

    def serve() -> None:
        while True:
            try:
                connection, _ = server.accept()
            except OSError:
                return
            with connection:
                connection.sendall(b"\xff" * 64 + b"HTTP/1.1 400 Bad Request\r\n\r\n")
                time.sleep(0.2)

    threading.Thread(target=serve, daemon=True).start()
    yield f"tcp://127.0.0.1:{server.getsockname()[1]}"
    server.close()


def test_a_peer_that_is_not_dask(scenarios, tmp_path, not_dask) -> None:
    refused(
        "simulate", str(scenarios / "baseline.yaml"), "--scheduler", not_dask, *FAST[:-2],
        "--out", str(tmp_path / "out"), expect="Dask",
    )  # fmt: skip


def test_grid_and_report_and_dates(scenarios, tmp_path) -> None:
    grid = scenarios / "grid.yaml"
    axes = (
        "{" + ", ".join(f"'policy{i}': [{', '.join(map(str, range(10)))}]" for i in range(4)) + "}"
    )
    grid.write_text(f"base: baseline.yaml\naxes: {axes}\n")
    refused("sweep", str(grid), "--out", str(tmp_path / "s"), expect="grid points")
    grid.write_text(BOMB + "base: baseline.yaml\n")
    refused("sweep", str(grid), "--out", str(tmp_path / "s"), expect="expand to")
    grid.write_text("base: baseline.yaml\naxes: {discipline: [random]}\nreplications: 2\n")
    refused("sweep", str(grid), "--out", str(tmp_path / "s"), expect="discipline")
    grid.unlink()
    refused("report", str(tmp_path / "nothing"), expect="no such study output folder")
    (tmp_path / "plain").mkdir()
    refused("report", str(tmp_path / "plain"), expect="not a study output folder")
    study = scenarios / "study.yaml"
    refused("customers", str(study), "--as-of", "soon", "--out", str(tmp_path / "c"),
            expect="not a date")  # fmt: skip
    refused("customers", str(study), "--as-of", "1990-01-01", "--out", str(tmp_path / "c"),
            expect="before the first order")  # fmt: skip
    refused("compare", str(scenarios / "baseline.yaml"), code=2)
    refused("check", str(study), "--out", ".", expect="current folder")


def test_bidi_controls_are_neutralised_in_html() -> None:
    from l2csim.output import escape_html
    from l2csim.report.html import esc

    for escaped in (esc("Acme\u202eevil"), escape_html("Acme\u202eevil\u2066")):
        assert "\u202e" not in escaped and "\u2066" not in escaped
        assert "U+202E" in escaped


def test_formula_cells_are_neutralised_losslessly(tmp_path) -> None:
    import pandas as pd

    from l2csim.output import read_csv_table, write_csv

    ids = ["=1+2", "'=1+2", "''@x", "-5 units", "plain", "'quoted"]
    frame = pd.DataFrame({"customer": ids, "value": [1.5, -2.0, 3.0, 4.0, 5.0, 6.0]})
    path = write_csv(tmp_path / "t.csv", frame)
    text = path.read_text()
    assert "\n=1+2" not in text and "\n'=1+2" in text  # a spreadsheet shows text
    back = read_csv_table(path)
    assert back["customer"].tolist() == ids and back["value"].tolist() == frame["value"].tolist()


def test_a_customer_id_that_looks_like_a_formula_reaches_fit(tmp_path) -> None:
    """customers.csv neutralises `=1+2`; the one tier reader (fit, mine, validate) reads the
    tier of customer `=1+2` all the same."""
    import pandas as pd

    from l2csim.customers.crm import read_tier_table
    from l2csim.output import write_csv

    path = write_csv(
        tmp_path / "customers.csv",
        pd.DataFrame({"customer_id": ["=1+2", "C2"], "tier": ["key_account", "one_time"]}),
    )
    assert read_tier_table(path).to_dict() == {"=1+2": "key_account", "C2": "one_time"}


INPUTS = (
    len(LOGS) + len(ACCEPTED) + 2 + len(STUDIES) + 1 + len(SCENARIOS) + 1 + len(OPTIONS) + 2 + 1 + 9
)


# --- faults ------------------------------------------------------------------------------------


def _sample_log(tmp_path: Path) -> Path:
    return SAMPLE


def test_disk_full_while_writing_keeps_the_old_outputs(tmp_path, monkeypatch) -> None:
    out = tmp_path / "check"
    log = str(REPO / "tests" / "data" / "running-example.xes.gz")
    assert CliRunner().invoke(cli, ["check", log, "--out", str(out)]).exit_code == 0
    before = folder_hashes(out)
    real_replace = os.replace

    def full(src, dst, *args, **kwargs):
        if str(dst).endswith(".json"):
            raise OSError(errno.ENOSPC, "No space left on device", str(dst))
        return real_replace(src, dst, *args, **kwargs)

    monkeypatch.setattr(os, "replace", full)
    output = refused("check", log, "--out", str(out), expect="disk is full")
    assert "quality.json" in output  # the file's name
    assert folder_hashes(out) == before
    assert not list(tmp_path.glob(".check.*.partial"))  # no staging folder left behind


@pytest.mark.parametrize(
    ("code", "words"),
    [(errno.EROFS, "read-only"), (errno.EACCES, "permission denied"), (errno.EDQUOT, "quota")],
)
def test_read_only_and_permission_faults_are_one_line(tmp_path, monkeypatch, code, words) -> None:
    real_mkdir = Path.mkdir

    def refuse(self, *args, **kwargs):
        if "out" in self.name:
            raise OSError(code, os.strerror(code), str(self))
        return real_mkdir(self, *args, **kwargs)

    monkeypatch.setattr(Path, "mkdir", refuse)
    log = str(REPO / "tests" / "data" / "running-example.xes.gz")
    refused("check", log, "--out", str(tmp_path / "out"), expect=words)


def test_a_failing_command_leaves_the_old_outputs(scenarios, tmp_path, monkeypatch) -> None:
    import pandas as pd

    out = tmp_path / "sim"
    args = ["simulate", str(scenarios / "baseline.yaml"), *FAST, "--out", str(out)]
    assert CliRunner().invoke(cli, args).exit_code == 0
    before = folder_hashes(out)

    def broken(self, *args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(pd.DataFrame, "to_csv", broken)  # parquet written, then the CSV fails
    refused(*args[:-2], "--seed", "5", "--out", str(out), expect="disk is full")
    assert folder_hashes(out) == before


def test_another_run_holding_the_folder_is_one_line(tmp_path) -> None:
    out = tmp_path / "check"
    log = str(REPO / "tests" / "data" / "running-example.xes.gz")
    with out_folder_lock(out):
        refused("check", log, "--out", str(out), expect="another l2csim run")


def test_a_stage_that_fails_half_way_is_not_recorded(tmp_path, monkeypatch) -> None:
    from l2csim.errors import StudyError
    from l2csim.pipeline import run as pipeline

    def half(folder: Path) -> None:
        (folder / "one.txt").write_text("1")
        raise StudyError("stopped half way")

    def plan(inputs, out, options, executor=None):
        return [pipeline.Stage("check", (), {}, lambda folder, _: half(folder))]

    monkeypatch.setattr(pipeline, "plan", plan)
    shutil_copy_sample(tmp_path)
    with pytest.raises(StudyError):
        pipeline.run_study(tmp_path / "scenarios", tmp_path / "out", pipeline.StudyOptions())
    manifest = tmp_path / "out" / "manifest.json"
    assert not manifest.exists() or "check" not in json.loads(manifest.read_text())["stages"]
    assert not (tmp_path / "out" / "check").exists()


def test_a_stage_missing_its_outputs_is_not_recorded(tmp_path, monkeypatch) -> None:
    from l2csim.errors import StudyError
    from l2csim.pipeline import run as pipeline

    def plan(inputs, out, options, executor=None):
        return [pipeline.Stage("mine", (), {}, lambda folder, _: None)]  # writes nothing

    monkeypatch.setattr(pipeline, "plan", plan)
    shutil_copy_sample(tmp_path)
    with pytest.raises(StudyError, match=r"without writing findings\.json"):
        pipeline.run_study(tmp_path / "scenarios", tmp_path / "out", pipeline.StudyOptions())


def shutil_copy_sample(root: Path) -> None:
    import shutil

    shutil.copytree(REPO / "scenarios", root / "scenarios")
    (root / "event_logs").symlink_to(REPO / "event_logs")


def _l2csim(*args: str, cwd: Path | None = None) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    return subprocess.Popen(
        [sys.executable, "-m", "l2csim", *args],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, cwd=cwd, start_new_session=True,
    )  # fmt: skip


def _wait_for(path_glob, folder: Path, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if list(folder.glob(path_glob)):
            return
        time.sleep(0.05)
    raise AssertionError(f"{path_glob} never appeared in {folder}")


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM], ids=["kill", "term"])
def test_killed_simulate_leaves_old_or_new_outputs(scenarios, tmp_path, sig) -> None:
    out = tmp_path / "sim"
    args = ["simulate", str(scenarios / "baseline.yaml"), "--replications", "8", "--horizon",
            "180d", "--warmup", "2d", "--jobs", "2", "--out", str(out)]  # fmt: skip
    first = _l2csim(*args)
    assert first.wait(120) == 0, first.stderr.read()
    old = folder_hashes(out)
    second = _l2csim(*args[:-2], "--seed", "9", "--out", str(out))
    _wait_for(".sim.*.partial", tmp_path, 60)  # killed while it builds the new folder
    time.sleep(0.3)
    workers = [p.pid for p in __import__("psutil").Process(second.pid).children(recursive=True)]
    second.send_signal(sig)
    code = second.wait(60)
    if sig == signal.SIGTERM and code != 0:
        assert code == 130 and b"Traceback" not in second.stderr.read()
    if code == 0 or folder_hashes(out) != old:  # it finished before the signal: all new
        fresh = _l2csim(*args[:-2], "--seed", "9", "--out", str(tmp_path / "fresh"))
        assert fresh.wait(120) == 0
        assert folder_hashes(out) == folder_hashes(tmp_path / "fresh")
    time.sleep(1.0)
    assert not [pid for pid in workers if _alive(pid)], "worker processes outlived the run"
    third = _l2csim(*args)  # the next run cleans up what the killed one left
    assert third.wait(120) == 0
    assert folder_hashes(out) == old  # same seed: byte-identical
    assert not list(tmp_path.glob(".sim.*.partial"))


def _alive(pid: int) -> bool:
    import psutil

    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def test_killed_mine_leaves_old_or_new_outputs(tmp_path) -> None:
    out = tmp_path / "mine"
    log = str(REPO / "tests" / "data" / "running-example.xes.gz")
    first = _l2csim("mine", log, "--out", str(out))
    assert first.wait(120) == 0, first.stderr.read()
    old = folder_hashes(out)
    helpdesk = str(REPO / "tests" / "data" / "helpdesk.xes.gz")
    second = _l2csim("mine", helpdesk, "--out", str(out))
    _wait_for(".mine.*.partial/maps/*.svg", tmp_path, 90)  # killed mid-write
    second.kill()
    second.wait(30)
    assert folder_hashes(out) == old
    assert list(tmp_path.glob(".mine.*.partial"))  # what the killed run left...
    third = _l2csim("mine", log, "--out", str(out))
    assert third.wait(120) == 0
    assert not list(tmp_path.glob(".mine.*.partial"))  # ...the next run removes


def test_two_concurrent_studies_never_record_an_incomplete_stage(tmp_path) -> None:
    shutil_copy_sample(tmp_path)
    with (tmp_path / "scenarios" / "study.yaml").open("a", encoding="utf-8") as study:
        study.write("\nvalidation: {replications: 1, control_flow_cases: 10}\n")  # faster
    out = tmp_path / "outputs" / "study"
    args = ["study", str(tmp_path / "scenarios"), "--out", str(out), "--replications", "2",
            "--horizon", "20d", "--warmup", "2d", "--jobs", "1"]  # fmt: skip
    first, second = _l2csim(*args), _l2csim(*args)
    codes = sorted([first.wait(300), second.wait(300)])
    errors = first.stderr.read() + second.stderr.read()
    assert codes[0] == 0, errors
    assert b"Traceback" not in errors
    if codes[1] != 0:  # the loser waited for nothing: refused with one line
        assert b"another l2csim run is writing into this folder" in errors
    manifest = json.loads((out / "manifest.json").read_text())
    for stage, entry in manifest["stages"].items():
        assert folder_hashes(out / stage) == entry["outputs"], stage
    third = _l2csim(*args)  # and a third run reuses everything
    assert third.wait(120) == 0
    last_run = json.loads((out / "manifest.json").read_text())["last_run"]
    assert all(stage["reused"] for stage in last_run["stages"])


# disk full; read-only, permission, quota; a failing command; a held lock; a stage failing
# half way; a stage missing outputs; simulate killed and terminated; mine killed; two
# concurrent studies; an edited scenario after the report
FAULTS = 1 + 3 + 1 + 1 + 1 + 1 + 2 + 1 + 1 + 1


def test_the_corpus_is_large_enough() -> None:
    assert INPUTS >= 60, INPUTS
    assert FAULTS >= 10, FAULTS


def test_a_report_older_than_an_edited_scenario_is_marked_stale(tmp_path) -> None:
    from l2csim.output import sha256_file
    from l2csim.pipeline.run import stale_inputs
    from l2csim.report import build_report

    scenario = tmp_path / "tier_priority.yaml"
    scenario.write_text("extends: baseline.yaml\npolicy: {discipline: tier_priority}\n")
    out = tmp_path / "study"
    (out / "check").mkdir(parents=True)
    (out / "manifest.json").write_text(
        json.dumps(
            {
                "stages": {
                    "simulate/tier_priority": {"inputs": {str(scenario): sha256_file(scenario)}}
                }
            }
        )
    )
    assert stale_inputs(out) == []
    scenario.write_text("extends: baseline.yaml\npolicy: {discipline: fifo}\n")
    assert "changed after simulate/tier_priority ran" in stale_inputs(out)[0]
    html = build_report(out).read_text(encoding="utf-8")
    assert "STALE" in html and "tier_priority.yaml changed after" in html
    result = CliRunner().invoke(cli, ["report", str(out), "--out", str(tmp_path / "r.html")])
    assert result.exit_code == 0 and "stale" in result.output
