"""maps.html in headless Chromium: loads offline without console errors; every switch
shows a different rendered map; a screenshot is saved."""

from __future__ import annotations

from pathlib import Path

import pytest

from browser import chromium
from l2csim.inputs import read_inputs_log, resolve_inputs
from l2csim.mine.run import run

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def page_path(tmp_path_factory) -> Path:
    inputs = resolve_inputs(REPO / "scenarios" / "study.yaml")
    out = tmp_path_factory.mktemp("mine")
    run(read_inputs_log(inputs), inputs.study, out)
    return out / "maps.html"


def test_page_is_self_contained(page_path):
    text = page_path.read_text("utf-8")
    assert "http://" not in text.replace("http://www.w3.org", "")
    assert "https://" not in text and "<script src" not in text and "<link" not in text
    assert "default-src 'none'" in text


@pytest.mark.browser
def test_view_switches_render_different_maps(page_path, tmp_path):
    errors: list[str] = []
    with chromium() as browser:
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.on(
            "request",
            lambda r: (
                errors.append(f"network: {r.url}")
                if not r.url.startswith(("file:", "data:"))
                else None
            ),
        )
        page.goto(page_path.as_uri())

        def visible_map() -> str:
            return page.eval_on_selector(".map:not([hidden])", "e => e.innerHTML")

        seen = {visible_map()}
        segments = page.eval_on_selector_all("#segment option", "os => os.map(o => o.value)")
        assert len(segments) >= 2
        for control, value in [("#view", "performance"), ("#level", "50"), ("#segment", segments[1]),
                               ("#view", "frequency"), ("#level", "100")]:  # fmt: skip
            page.select_option(control, value)
            shown = visible_map()
            assert shown not in seen, f"switching {control} to {value} did not change the map"
            seen.add(shown)
            assert page.eval_on_selector_all(".map:not([hidden])", "es => es.length") == 1
            assert page.eval_on_selector_all(".variants:not([hidden]) tr", "es => es.length") > 1
        page.screenshot(path=str(tmp_path / "maps.png"), full_page=False)
    assert (tmp_path / "maps.png").stat().st_size > 10_000
    assert errors == []
