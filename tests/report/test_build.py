"""The steering-group report built from a real study output folder, read as a person would
in headless Chromium: offline, every section and chart there, the numbers compare's."""

from __future__ import annotations

import json
import math
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from browser import Opened, chromium
from l2csim.errors import StudyError
from l2csim.report import build_report
from l2csim.report.appendix import parameters
from l2csim.report.numbers import step_for, with_ci
from l2csim.report.svg import sanitise_svg

SECTIONS = ["summary", "trust", "as-is", "documented", "backlog", "quality", "tiers",
            "overdue", "simulation", "appendix"]  # fmt: skip
HOSTILE = "<script>alert(1)</script>"
NUMBER = re.compile(r"[−+-]?\d[\d,]*(?:\.\d+)?")


@pytest.fixture(scope="module")
def report(study_out: Path) -> Path:
    return build_report(study_out)


# --- the file itself -------------------------------------------------------------------------


def test_report_has_every_section_in_order_and_is_byte_identical(study_out, report) -> None:
    text = report.read_text(encoding="utf-8")
    assert report == study_out / "report" / "report.html"
    positions = [text.index(f'data-section="{key}"') for key in SECTIONS]
    assert positions == sorted(positions)
    again = build_report(study_out, study_out / "again.html")
    assert again.read_bytes() == report.read_bytes()


def test_report_loads_nothing_from_outside(report) -> None:
    text = report.read_text(encoding="utf-8")
    assert "Content-Security-Policy" in text and "default-src 'none'" in text
    assert "<script" not in text.lower()
    assert not re.search(r"(?:src|href)=\"(?!#|data:image/)", text.replace('href="#', ""))
    assert "@import" not in text and not re.search(r"url\(\s*['\"]?(?!#)", text)


def test_report_lists_every_fitted_parameter_with_its_source(study_out, report) -> None:
    model = json.loads((study_out / "fit" / "model.json").read_text(encoding="utf-8"))
    rows = list(parameters(model))
    counted = json.dumps(model).count('"provenance": {')
    assert len(rows) == counted > 20
    assert all(source for _, _, source, _ in rows)
    assert f"{len(rows)} fitted parameters" in report.read_text(encoding="utf-8")
    # The sample's closed days: its nine German holidays named, the many beyond the log cut.
    closures = next(value for name, value, _, _ in rows if name == "closures")
    assert "days: 2025-04-18, 2025-04-21, 2025-05-01" in closures
    assert f"({len(model['closures']['beyond'])} in all)" in closures


def test_the_top_pain_point_is_mines_first_backlog_row(study_out, report) -> None:
    backlog = pd.read_csv(study_out / "mine" / "backlog.csv")
    first = backlog[backlog["category"] == "pain_point"].sort_values("rank").iloc[0]
    text = report.read_text(encoding="utf-8")
    summary = text[text.index('data-section="summary"') : text.index('data-section="trust"')]
    assert str(first["activity"]) in summary
    low, high = first["lead_time_days_ci_low"], first["lead_time_days_ci_high"]
    assert with_ci(first["lead_time_days_difference"], low, high, sign=True) in summary


def test_missing_stages_are_named_not_fatal(study_out, tmp_path: Path) -> None:
    partial = tmp_path / "partial"
    shutil.copytree(study_out / "check", partial / "check")
    text = build_report(partial).read_text(encoding="utf-8")
    assert "checked; " in text  # data quality is there
    assert text.count('class="missing"') >= 8
    assert "Run `l2csim compare`." in text


def test_no_study_folder_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(StudyError, match="no such study output folder; run `l2csim study`"):
        build_report(tmp_path / "nowhere")
    (tmp_path / "other").mkdir()
    with pytest.raises(StudyError, match="not a study output folder"):
        build_report(tmp_path / "other")


def test_sanitiser_strips_scripts_handlers_and_outside_links() -> None:
    svg = (
        '<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" '
        'xmlns:xlink="http://www.w3.org/1999/xlink" onload="alert(1)">'
        '<script>alert(2)</script><defs><clipPath id="c1"><rect/></clipPath></defs>'
        '<g clip-path="url(#c1)" onclick="alert(3)"><text>a &lt;b&gt;</text></g>'
        '<a href="javascript:alert(4)"><rect/></a><image xlink:href="https://x.test/i.png"/>'
        '<use xlink:href="#c1"/><rect style="fill:url(https://x.test/p)"/>'
        "<style>@import url(https://x.test/s.css);</style>"
        '<foreignObject><div xmlns="http://www.w3.org/1999/xhtml">x</div></foreignObject></svg>'
    )
    clean = sanitise_svg(svg, "p-")
    for bad in ("script", "onload", "onclick", "javascript", "x.test", "foreignObject"):
        assert bad not in clean
    assert 'id="p-c1"' in clean and "url(#p-c1)" in clean and 'href="#p-c1"' in clean
    assert "a &lt;b&gt;" in clean


def test_numbers_keep_only_the_digits_the_interval_supports() -> None:
    assert with_ci(25.29, 24.75, 25.83, sign=True) == "+25.3 (95% CI +24.8 to +25.8)"
    assert with_ci(0.8709, 0.85, 0.89, scale=100, suffix="%") == "87% (95% CI 85–89%)"
    assert with_ci(48.03, 41.8, 54.2) == "48 (95% CI 42–54)"
    assert with_ci(1.0, 1.0, 1.0, scale=100, suffix="%") == "100% (all replications alike)"


# --- in the browser --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with chromium() as launched:
        yield launched


@pytest.fixture(scope="module")
def opened(browser, report: Path) -> Iterator[Opened]:
    view = Opened(browser, report)
    yield view
    view.page.close()


@pytest.mark.browser
def test_report_opens_offline_without_errors_and_prints(opened, report, tmp_path_factory) -> None:
    assert opened.requests == []
    assert opened.errors == []
    shots = tmp_path_factory.mktemp("screenshots")
    png, pdf = shots / "report.png", shots / "report.pdf"
    opened.page.screenshot(path=str(png), full_page=True)
    opened.page.emulate_media(media="print")
    opened.page.pdf(path=str(pdf), format="A4", print_background=True)
    opened.page.emulate_media(media="screen")
    print(f"screenshot: {png}\npdf: {pdf}")
    assert png.stat().st_size > 100_000
    assert pdf.read_bytes().startswith(b"%PDF") and pdf.read_bytes().count(b"/Type /Page") > 10


@pytest.mark.browser
def test_every_section_and_chart_is_there_and_not_empty(opened, study_out) -> None:
    page = opened.page
    for key in SECTIONS:
        block = page.locator(f'section[data-section="{key}"]')
        assert block.count() == 1, key
        assert len(block.inner_text().strip()) > 100, key
    figures = page.locator("figure")
    scenarios = [p.name for p in (study_out / "simulate").iterdir() if p.is_dir()]
    # two maps, the documented process, one chart per scenario (and compare's four if run)
    assert figures.count() >= 3 + len(scenarios)
    for i in range(figures.count()):
        svg = figures.nth(i).locator("svg")
        assert svg.count() == 1
        box = svg.bounding_box()
        assert box and box["width"] > 200 and box["height"] > 100
        assert svg.evaluate("s => s.querySelectorAll('path, text, polygon').length") > 10
    assert page.evaluate("document.scripts.length") == 0


def _numbers(text: str) -> list[float]:
    return [float(n.replace("−", "-").replace(",", "")) for n in NUMBER.findall(text)]


def _close(shown: float, value: float, half: float, finest: float = 0.01) -> bool:
    step = step_for(half, finest) if math.isfinite(half) and half > 0 else finest
    return abs(shown - value) <= step / 2 + 1e-9


@pytest.mark.browser
def test_summary_table_numbers_are_comparisons(opened, study_out) -> None:
    """Each cell shows compare's mean and interval in the column's unit (chase calls per
    week, % on time), clipped to what is possible, and compare's own difference text."""
    path = study_out / "compare" / "comparison.json"
    comparison = json.loads(path.read_text(encoding="utf-8"))
    inert = set(comparison["recommendation"].get("changes_nothing") or [])
    cells = opened.page.locator("#comparison-table td[data-kpi]")
    shown_rows = [s for s in comparison["summary"] if s["scenario"] not in inert]
    assert cells.count() == len(shown_rows)
    by_key = {(s["scenario"], s["kpi"], s["tier"]): s for s in comparison["summary"]}
    weeks = comparison["horizon_hours"] / 168
    for i in range(cells.count()):
        cell = cells.nth(i)
        row = by_key[
            (cell.get_attribute("data-scenario"), cell.get_attribute("data-kpi"),
             cell.get_attribute("data-tier"))
        ]  # fmt: skip
        mean_text = cell.locator("[data-role=mean]").inner_text()
        scale = {"sla_attainment": 100.0, "chase_calls": 1 / weeks}.get(row["kpi"], 1.0)
        upper = 100.0 if row["kpi"] == "sla_attainment" else math.inf
        shown = _numbers(mean_text)
        half = (row["ci_high"] - row["ci_low"]) / 2 * scale
        for number, value in zip(shown, ("mean", "ci_low", "ci_high"), strict=True):
            expected = min(max(row[value] * scale, 0.0), upper)
            step = step_for(half) if half > 0 else 0.01
            assert _close(number, expected, half) or abs(number - expected) < step, (mean_text, row)
        if row["diff"] is None:
            continue
        assert cell.locator("[data-role=diff]").inner_text() == row["diff_text"]
    statement = comparison["recommendation"]["statement"]
    assert opened.page.locator(".recommendation").inner_text().strip() == statement


@pytest.mark.browser
def test_failing_validation_measures_are_red_beside_the_naive_figures(opened, study_out) -> None:
    path = study_out / "validate" / "validation.json"
    document = json.loads(path.read_text(encoding="utf-8"))
    rows = opened.page.locator("table.validation tbody tr")
    assert rows.count() == len(document["measures"])
    for i, measure in enumerate(document["measures"]):
        row = rows.nth(i)
        colour = row.locator("td").first.evaluate("td => getComputedStyle(td).color")
        assert (colour == "rgb(179, 38, 30)") == (measure["status"] == "fail"), measure
        naive = row.locator("td").nth(3).inner_text()
        if measure["naive"] is not None:
            assert _numbers(naive) and math.isclose(
                _numbers(naive)[0], measure["naive"], rel_tol=0.006
            )


@pytest.mark.browser
def test_hostile_log_text_is_shown_as_text_and_never_runs(browser, study_out, tmp_path) -> None:
    crafted = tmp_path / "hostile"
    shutil.copytree(study_out, crafted, ignore=shutil.ignore_patterns("report", "*.parquet"))
    backlog = pd.read_csv(crafted / "mine" / "backlog.csv")
    backlog.loc[backlog["rank"] == 1, "activity"] = HOSTILE
    backlog.to_csv(crafted / "mine" / "backlog.csv", index=False)
    overdue = pd.read_csv(crafted / "customers" / "overdue.csv")
    overdue["tier"] = "key_account"
    overdue.loc[0, "customer_name"] = f'"><img src=x onerror=alert(2)>{HOSTILE}'
    overdue.to_csv(crafted / "customers" / "overdue.csv", index=False)
    maps = crafted / "mine" / "maps"
    for svg in maps.glob("*_frequency.svg"):
        text = svg.read_text(encoding="utf-8")
        text = text.replace("<svg ", '<svg onload="alert(3)" ', 1)
        svg.write_text(text.replace("</svg>", "<script>alert(4)</script></svg>"), "utf-8")
    report = build_report(crafted)
    view = Opened(browser, report)
    try:
        page = view.page
        assert view.dialogs == [] and view.errors == [] and view.requests == []
        assert page.evaluate("document.scripts.length") == 0
        assert page.evaluate("document.querySelectorAll('img, [onload], [onerror]').length") == 0
        assert HOSTILE in page.locator("ol.pain-points").inner_text()
        assert HOSTILE in page.locator('section[data-section="overdue"]').inner_text()
    finally:
        view.page.close()
