"""The demo study end to end, as a consultant runs it: `l2csim study` in a copy of the
shipped sample study (no arguments, few replications), then again with nothing changed,
then the report it ends with opened in headless Chromium."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from browser import Opened, chromium

REPO = Path(__file__).resolve().parents[2]
REPLICATIONS = 3
STAGES = ["check", "mine", "customers", "fit", "validate"]


def l2csim_study(root: Path, *args: str) -> tuple[subprocess.CompletedProcess[str], float]:
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "l2csim", "study", *args],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "PYTHONPATH": str(REPO / "src"), "COLUMNS": "120"},
    )
    return done, time.perf_counter() - started


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, subprocess.CompletedProcess]:
    root = tmp_path_factory.mktemp("demo")
    for folder in ("event_logs", "scenarios"):
        shutil.copytree(REPO / folder, root / folder)
    done, _ = l2csim_study(root, "--replications", str(REPLICATIONS))
    assert done.returncode == 0, done.stderr
    return root, done


@pytest.mark.slow
def test_the_demo_study_runs_every_stage_and_ends_with_the_report(demo) -> None:
    root, done = demo
    out = root / "outputs" / "study"
    scenarios = sorted(p.stem for p in (root / "scenarios").glob("*.yaml") if p.stem != "study")
    scenarios.remove("baseline")
    scenarios.insert(0, "baseline")
    lines = done.stdout.splitlines()
    ran = [line.split()[0] for line in lines if re.search(r"\bdone in \d+\.\d s$", line)]
    expected = [*STAGES, *(f"simulate/{s}" for s in scenarios), "compare", "report"]
    # mine and validate run beside the stages after them and are reported when they end,
    # before the first stage that reads them (report; compare)
    assert sorted(ran) == sorted(expected)
    assert ran.index("mine") < ran.index("report")
    assert ran.index("validate") < ran.index("compare")
    background = ("mine", "validate")
    assert [s for s in ran if s not in background] == [s for s in expected if s not in background]
    assert lines[-1] == "Report: outputs/study/report/report.html"
    assert (out / "report" / "report.html").stat().st_size > 100_000
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    timed = {s["stage"]: s["seconds"] for s in manifest["last_run"]["stages"]}
    assert list(timed) == expected and all(seconds > 0 for seconds in timed.values())
    comparison = json.loads((out / "compare" / "comparison.json").read_text(encoding="utf-8"))
    assert comparison["replications"] == REPLICATIONS
    assert [s["name"] for s in comparison["scenarios"]] == scenarios
    assert not [p for p in out.rglob("*") if p.name.startswith(".")]  # no temporary leftovers


@pytest.mark.slow
def test_a_rerun_with_nothing_changed_reuses_everything_in_under_10_s(demo) -> None:
    root, first = demo
    out = root / "outputs" / "study"
    before = {p: p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file()}
    done, seconds = l2csim_study(root, "--replications", str(REPLICATIONS))
    assert done.returncode == 0, done.stderr
    assert seconds < 10
    stage_lines = [line for line in done.stdout.splitlines() if line.endswith(" reused")]
    assert len(stage_lines) == len([ln for ln in first.stdout.splitlines() if " done in " in ln])
    after = {p: p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file()}
    changed = [p.name for p in after if before.get(p) != after[p]]
    assert changed == ["manifest.json"]  # only this run's timings


# --- the report, as a person opens it --------------------------------------------------------


@pytest.fixture(scope="module")
def page(demo) -> Iterator[object]:
    root, _ = demo
    with chromium() as browser:
        yield Opened(browser, root / "outputs" / "study" / "report" / "report.html")


@pytest.mark.slow
@pytest.mark.browser
def test_the_report_opens_offline_with_every_section_and_comparisons_numbers(
    demo, page, tmp_path_factory: pytest.TempPathFactory
) -> None:
    root, _ = demo
    out = root / "outputs" / "study"
    assert page.requests == [] and page.errors == []
    sections = page.page.locator("section[data-section]")
    assert sections.count() == 10
    for i in range(sections.count()):
        assert len(sections.nth(i).inner_text().strip()) > 100
        assert "could not be read" not in sections.nth(i).inner_text()
    assert page.page.locator(".missing").count() == 0  # every stage's outputs are there
    for i in range(page.page.locator("figure svg").count()):
        box = page.page.locator("figure svg").nth(i).bounding_box()
        assert box and box["width"] > 200 and box["height"] > 100
    comparison = json.loads((out / "compare" / "comparison.json").read_text(encoding="utf-8"))
    cells = page.page.locator("#comparison-table td[data-kpi]")
    assert cells.count() == len(comparison["summary"])
    shown = {
        (cells.nth(i).get_attribute("data-scenario"), cells.nth(i).get_attribute("data-kpi"),
         cells.nth(i).get_attribute("data-tier")): cells.nth(i)
        for i in range(cells.count())
    }  # fmt: skip
    for row in comparison["summary"]:
        cell = shown[(row["scenario"], row["kpi"], row["tier"])]
        assert cell.locator("[data-role=mean]").inner_text()  # in the report's units
        if row.get("diff_text"):
            assert cell.locator("[data-role=diff]").inner_text() == row["diff_text"]
    statement = comparison["recommendation"]["statement"]
    assert page.page.locator(".recommendation").inner_text().strip() == statement
    shots = tmp_path_factory.mktemp("study-screenshots")
    page.page.screenshot(path=str(shots / "report-top.png"))
    page.page.screenshot(path=str(shots / "report.png"), full_page=True)
    keep = REPO / "outputs" / "screenshots"
    keep.mkdir(parents=True, exist_ok=True)
    for shot in shots.iterdir():
        shutil.copyfile(shot, keep / f"study-{shot.name}")
    assert (shots / "report.png").stat().st_size > 200_000
