"""The process owner's page (`maps.html`): every map in one self-contained file.

No network, no CDN: the maps are inline SVG and a few lines of vanilla JavaScript switch
between frequency and performance, abstraction level and segment, with the segment's
variant table beside the map. A Content-Security-Policy forbids any fetch. All text from
the log is escaped; element keys are indices, never log text.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from l2csim.mine.maps import VIEWS
from l2csim.output import escape_html


@dataclass(frozen=True)
class PageMap:
    """One rendered map: which segment, level and view it shows, and its SVG."""

    segment: int
    level: float
    view: str
    svg: str


STYLE = """
body{font-family:Helvetica,Arial,sans-serif;margin:0;color:#222}
header{padding:12px 20px;background:#263238;color:#fff}
header h1{margin:0;font-size:20px}
header p{margin:4px 0 0;font-size:13px;color:#cfd8dc}
.controls{display:flex;gap:18px;padding:10px 20px;background:#eceff1;flex-wrap:wrap}
.controls label{font-size:13px}
main{display:flex;gap:16px;padding:12px 20px;align-items:flex-start}
#map-area{flex:3;overflow:auto;border:1px solid #cfd8dc;min-height:300px;padding:6px}
#map-area svg{max-width:100%;height:auto}
aside{flex:2;max-height:85vh;overflow:auto}
table{border-collapse:collapse;font-size:12px;width:100%}
th,td{border-bottom:1px solid #e0e0e0;padding:3px 6px;text-align:left;vertical-align:top}
td.num{text-align:right;white-space:nowrap}
section{padding:0 20px 20px}
section .figure{overflow:auto;border:1px solid #cfd8dc}
"""

SCRIPT = """
(function () {
  'use strict';
  var pick = function (id) { return document.getElementById(id); };
  function show() {
    var segment = pick('segment').value;
    var key = segment + '|' + pick('level').value + '|' + pick('view').value;
    var maps = document.querySelectorAll('.map');
    for (var i = 0; i < maps.length; i++) { maps[i].hidden = maps[i].dataset.key !== key; }
    var tables = document.querySelectorAll('.variants');
    for (var j = 0; j < tables.length; j++) {
      tables[j].hidden = tables[j].dataset.segment !== segment;
    }
    document.body.dataset.shown = key;
  }
  ['segment', 'level', 'view'].forEach(function (id) {
    pick(id).addEventListener('change', show);
  });
  show();
})();
"""


def level_key(level: float) -> str:
    return f"{round(level * 100):d}"


def _variant_rows(table: pd.DataFrame) -> str:
    rows = []
    for rank, variant, cases, share, cumulative, median in table[
        ["rank", "variant", "cases", "share", "cumulative_share", "median_lead_time_days"]
    ].itertuples(index=False):
        rows.append(
            f"<tr><td class=num>{int(rank)}</td><td>{escape_html(str(variant))}</td>"
            f"<td class=num>{int(cases):,}</td><td class=num>{share:.1%}</td>"
            f"<td class=num>{cumulative:.1%}</td><td class=num>{median:.1f}</td></tr>"
        )
    return "".join(rows)


def build_page(
    title: str,
    subtitle: str,
    segments: list[str],
    maps: list[PageMap],
    variant_tables: list[pd.DataFrame],
    extra_figures: list[tuple[str, str]],
) -> str:
    """The whole HTML page. `segments[i]` labels segment i ('All cases', 'team = Spares')."""
    levels = sorted({m.level for m in maps}, reverse=True)
    segment_options = "".join(
        f'<option value="{i}">{escape_html(label)}</option>' for i, label in enumerate(segments)
    )
    # open on a middle level: the full map of a real log is a spaghetti diagram
    default_level = levels[len(levels) // 2] if levels else None
    level_options = "".join(
        f'<option value="{level_key(v)}"{" selected" if v == default_level else ""}>'
        f"{level_key(v)}% activities and paths</option>"
        for v in levels
    )
    view_options = "".join(f'<option value="{v}">{v}</option>' for v in VIEWS)
    map_divs = "".join(
        f'<div class="map" data-key="{m.segment}|{level_key(m.level)}|{m.view}" hidden>{m.svg}</div>'
        for m in maps
    )
    tables = "".join(
        f'<div class="variants" data-segment="{i}" hidden><table><thead><tr><th>#</th>'
        "<th>variant</th><th>cases</th><th>share</th><th>cumulative</th>"
        f"<th>median lead time (days)</th></tr></thead><tbody>{_variant_rows(t)}</tbody>"
        "</table></div>"
        for i, t in enumerate(variant_tables)
    )
    figures = "".join(
        f'<section><h2>{escape_html(name)}</h2><div class="figure">{svg}</div></section>'
        for name, svg in extra_figures
    )
    policy = (
        "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:"
    )
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{policy}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape_html(title)}</title><style>{STYLE}</style></head><body>"
        f"<header><h1>{escape_html(title)}</h1><p>{escape_html(subtitle)}</p></header>"
        '<div class="controls">'
        f'<label>Segment <select id="segment">{segment_options}</select></label>'
        f'<label>Abstraction <select id="level">{level_options}</select></label>'
        f'<label>View <select id="view">{view_options}</select></label></div>'
        f'<main><div id="map-area">{map_divs}</div><aside><h2>Variants</h2>{tables}</aside></main>'
        f"{figures}<script>{SCRIPT}</script></body></html>\n"
    )
