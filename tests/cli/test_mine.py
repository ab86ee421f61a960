"""`l2csim mine` from the command line: files written, exit codes, one-line errors."""

from __future__ import annotations

import json

from click.testing import CliRunner

from l2csim.cli import cli


def test_mine_bare_log_writes_outputs(shared_data, tmp_path):
    out = tmp_path / "out"
    result = CliRunner().invoke(
        cli, ["mine", str(shared_data / "running-example.xes.gz"), "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    for name in ("findings.json", "variants.csv", "deviations.csv", "process.bpmn", "process.svg",
                 "maps.html", "backlog.csv", "handover.svg"):  # fmt: skip
        assert (out / name).is_file(), name
        assert f"Wrote {out / name}" in result.output
    assert (
        len(list((out / "maps").glob("*.svg"))) == 6
        and len(list((out / "maps").glob("*.png"))) == 6
    )
    findings = json.loads((out / "findings.json").read_text("utf-8"))
    assert findings["variants"]["count"] == 6
    assert findings["conformance"] is None and findings["notes"]
    assert "<bpmn:process" in (out / "process.bpmn").read_text("utf-8").replace(
        "<process", "<bpmn:process"
    )


def test_mine_missing_log_is_one_line_error(tmp_path):
    result = CliRunner().invoke(cli, ["mine", str(tmp_path / "nope.csv")])
    assert result.exit_code == 1
    assert "nope.csv: file not found" in result.output
    assert "Traceback" not in result.output


def test_mine_help_has_example():
    result = CliRunner().invoke(cli, ["mine", "--help"])
    assert result.exit_code == 0 and "l2csim mine" in result.output


def test_mine_is_byte_identical_across_runs_and_bpmn_reads_back(shared_data, tmp_path):
    from l2csim.pm4py_adapter import pm4py

    log = str(shared_data / "running-example.xes.gz")
    for name in ("a", "b"):
        result = CliRunner().invoke(cli, ["mine", log, "--out", str(tmp_path / name)])
        assert result.exit_code == 0, result.output
    files = sorted(
        p.relative_to(tmp_path / "a") for p in (tmp_path / "a").rglob("*") if p.is_file()
    )
    assert files
    for name in files:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name
    model = pm4py().read_bpmn(str(tmp_path / "a" / "process.bpmn"))
    labels = {n.get_name() for n in model.get_nodes() if n.get_name()}
    assert {"register request", "decide"} <= labels


def test_mine_jobs_1_stays_in_one_process_and_matches_jobs_2(shared_data, tmp_path, monkeypatch):
    """--jobs 1 starts no worker process and draws one map at a time; --jobs 2 hands pm4py's
    work to a worker and writes byte-identical outputs."""
    import multiprocessing.process
    import threading

    import l2csim.mine.maps as maps

    started: list = []
    original_start = multiprocessing.process.BaseProcess.start
    monkeypatch.setattr(multiprocessing.process.BaseProcess, "start",
                        lambda process: (started.append(process), original_start(process))[1])  # fmt: skip
    active, most = [0], [0]
    lock = threading.Lock()
    original_draw = maps.draw

    def draw(source, formats=("svg", "png")):
        with lock:
            active[0] += 1
            most[0] = max(most[0], active[0])
        try:
            return original_draw(source, formats)
        finally:
            with lock:
                active[0] -= 1

    monkeypatch.setattr(maps, "draw", draw)
    study = tmp_path / "study.yaml"
    study.write_text(
        f"log: {{path: {shared_data / 'receipt.csv.gz'}}}\n"
        f"reference_process: {shared_data / 'receipt.bpmn'}\n",
        encoding="utf-8",
    )
    runs = {}
    for jobs in ("1", "2"):
        started.clear()
        most[0] = 0
        out = tmp_path / f"jobs{jobs}"
        result = CliRunner().invoke(cli, ["mine", str(study), "--jobs", jobs, "--out", str(out)])
        assert result.exit_code == 0, result.output
        runs[jobs] = (list(started), most[0])
    assert runs["1"] == ([], 1)
    assert len(runs["2"][0]) >= 1
    files = sorted(p.relative_to(tmp_path / "jobs1") for p in (tmp_path / "jobs1").rglob("*")
                   if p.is_file())  # fmt: skip
    assert len(files) > 10
    for name in files:
        assert (tmp_path / "jobs1" / name).read_bytes() == (
            tmp_path / "jobs2" / name
        ).read_bytes(), name
