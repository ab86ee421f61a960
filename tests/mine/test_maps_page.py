"""maps.html in headless Chromium, used as a process owner would: it loads offline without
errors; the map zooms and pans; the activity and path sliders change it, to exactly the map
`abstract_map` draws at that setting; tooltips name steps and arrows with their figures;
hidden paths are counted; the #1 pain point stays at every setting; it prints to A4
landscape with the map whole on the first page."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from browser import chromium
from l2csim.inputs import read_inputs_log, resolve_inputs
from l2csim.mine.maps import abstract_map, map_levels
from l2csim.mine.run import run

REPO = Path(__file__).resolve().parents[2]
MM = 96 / 25.4  # CSS pixels per millimetre


@pytest.fixture(scope="module")
def mined(tmp_path_factory) -> tuple[Path, object, dict]:
    inputs = resolve_inputs(REPO / "scenarios" / "study.yaml")
    out = tmp_path_factory.mktemp("mine")
    log = read_inputs_log(inputs)
    result = run(log, inputs.study, out)
    return out / "maps.html", log, result.findings


@pytest.fixture(scope="module")
def page(mined):
    errors: list[str] = []
    with chromium() as browser:
        view = browser.new_page(viewport={"width": 1400, "height": 900})
        view.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        view.on("pageerror", lambda e: errors.append(str(e)))
        view.on("request", lambda r: None if r.url.startswith(("file:", "data:"))
                else errors.append(f"network: {r.url}"))  # fmt: skip
        view.goto(mined[0].as_uri())
        view.wait_for_selector("#map-svg")
        yield view
        assert errors == []


def test_page_is_self_contained_and_small(mined):
    text = mined[0].read_text("utf-8")
    # nothing loads from outside (the vendored scripts name their home page in a comment)
    assert not re.search(r"""(?:src|href|action)\s*=\s*["']?(?:https?:|//)""", text)
    assert "<script src" not in text and "<link" not in text and "@import" not in text
    assert "default-src 'none'" in text
    assert 'href="process.bpmn"' in text and "bpmn.io" in text
    assert mined[0].stat().st_size < 600_000  # measured: about 290 KB on the sample


def _counts(page) -> tuple[int, int]:
    svg = page.locator("#map-svg")
    return int(svg.get_attribute("data-nodes")), int(svg.get_attribute("data-edges"))


def _slide(page, control: str, value: int) -> None:
    page.eval_on_selector(
        f"#{control}",
        "(e, v) => { e.value = String(v); e.dispatchEvent(new Event('input')); }",
        value,
    )
    page.wait_for_function(
        "([c, v]) => document.body.dataset.shown.split('|')[c === 'activities' ? 1 : 2] == v",
        arg=[control, value],
    )


@pytest.mark.browser
def test_sliders_change_the_map_to_what_abstract_map_draws(page, mined):
    _, log, findings = mined
    pinned = next(m["pinned"] for m in findings["maps"] if m["column"] is None)
    names, levels = map_levels(log.events, pinned=pinned)
    seen = set()
    for level_index, paths in [(len(levels) - 1, 100), (len(levels) - 1, 50), (3, 80), (0, 30)]:
        _slide(page, "activities", level_index)
        _slide(page, "paths", paths)
        nodes, edges = _counts(page)
        level = levels[level_index]
        coverage = level["coverage"] if level_index < len(levels) - 1 else 1.0
        keep = [*names[: level["top"]], *[p for p in pinned if p in names]]
        expected = abstract_map(log.events[log.events["concept:name"].isin(keep)], 1.0,
                                paths / 100)  # fmt: skip
        assert (nodes, edges) == (len(expected.nodes), len(expected.edges)), (level_index, paths)
        assert coverage > 0
        seen.add((nodes, edges))
        # hidden paths counted against all paths between the shown activities
        all_flows = sum(1 for e in level["edges"] if e[0] >= 0 and e[1] >= 0)
        shown_flows = int(page.locator("#map-svg").get_attribute("data-flows"))
        hidden = int(page.locator("#map-status").get_attribute("data-hidden-paths"))
        assert hidden == all_flows - shown_flows
        assert f"{hidden} path" in page.locator("#hidden-count").inner_text()
    assert len(seen) == 4  # every setting drew a different map


@pytest.mark.browser
def test_the_number_one_pain_point_stays_at_every_setting(page, mined):
    _, _, findings = mined
    first = next(i for i in findings["backlog"] if i["category"] == "pain_point")
    _slide(page, "activities", 0)
    _slide(page, "paths", 0)
    pinned = page.locator("#map-svg .map-node[data-pinned=true]")
    assert pinned.count() >= 1
    assert first["activity"].split(" after ")[0] in pinned.first.locator("title").text_content()
    assert "#1 pain point" in page.locator("#legend").inner_text()


@pytest.mark.browser
def test_tooltips_name_steps_and_arrows_with_their_figures(page):
    _slide(page, "activities", int(page.get_attribute("#activities", "max")))
    _slide(page, "paths", 100)
    node = page.locator("#map-svg .map-node title").first.text_content()
    assert re.search(r"^.+: [\d,]+ events in [\d,]+ orders", node), node
    edges = page.locator("#map-svg .map-edge title").all_text_contents()
    assert edges and all(" → " in t and " times in " in t for t in edges)
    assert not any(re.search(r"\ba\d+\s*->\s*a\d+", t) for t in edges)  # never ids
    assert any("wait median" in t for t in edges)


@pytest.mark.browser
def test_the_map_zooms_and_pans(page, tmp_path_factory):
    _slide(page, "activities", int(page.get_attribute("#activities", "max")))
    _slide(page, "paths", 100)
    viewport = page.locator("#map-svg .svg-pan-zoom_viewport")

    def transform() -> str:
        return viewport.get_attribute("transform") or viewport.get_attribute("style") or ""

    before = transform()
    box = page.locator("#map-area").bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 3)
    for _ in range(4):
        page.mouse.wheel(0, -300)
    page.wait_for_function(
        "b => { const v = document.querySelector('#map-svg .svg-pan-zoom_viewport');"
        " return (v.getAttribute('transform') || v.getAttribute('style') || '') !== b; }",
        arg=before,
    )
    zoomed = transform()
    assert zoomed != before
    scale = lambda t: float(re.search(r"matrix\(([\d.]+)", t).group(1))  # noqa: E731
    assert scale(zoomed) > scale(before)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] / 2 + 80, box["y"] + box["height"] / 3 + 40)
    page.mouse.up()
    assert transform() != zoomed  # dragged
    shots = tmp_path_factory.mktemp("maps-screens")
    page.screenshot(path=str(shots / "maps-100-zoomed.png"))
    print(f"screenshot: {shots / 'maps-100-zoomed.png'}")


@pytest.mark.browser
def test_print_fits_a4_landscape_with_the_map_whole_on_page_one(page, tmp_path_factory):
    width, height = round((297 - 16) * MM), round((210 - 16) * MM)
    page.set_viewport_size({"width": width, "height": height})
    page.emulate_media(media="print")
    try:
        svg = page.locator("#map-print svg")
        box = svg.bounding_box()
        assert box and box["width"] > 200 and box["height"] > 200
        assert box["x"] >= 0 and box["x"] + box["width"] <= width + 1
        assert box["y"] + box["height"] <= height + 1  # whole on the first page
        view = [float(v) for v in svg.get_attribute("viewBox").split()]
        assert view[2] > 0 and view[3] > 0  # the whole map, not a zoomed window
        pdf = tmp_path_factory.mktemp("maps-print") / "maps.pdf"
        page.pdf(path=str(pdf), prefer_css_page_size=True, print_background=True)
        pages = len(re.findall(rb"/Type\s*/Page(?!s)", pdf.read_bytes()))
        assert 1 < pages <= 5, pages  # map, variants, BPMN, handover
    finally:
        page.emulate_media(media="screen")
        page.set_viewport_size({"width": 1400, "height": 900})


def test_handover_names_no_one_unless_the_study_asks(mined):
    text = mined[0].read_text("utf-8")
    _, log, _ = mined
    people = set(log.events["org:resource"].dropna().astype(str))
    assert "Person 1" in text
    assert not [p for p in people if f">{p}<" in text]
