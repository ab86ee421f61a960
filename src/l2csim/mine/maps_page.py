"""The process owner's page (`maps.html`): the process map with Disco's two sliders, zoom and
pan, a legend and tooltips, in one self-contained file.

No network, no CDN: the map's data (every setting of the activity slider, from
`maps.map_levels`) is a JSON block in the page; a small script filters the paths for the
path slider (the same rule as `maps.keep_paths`), lays the map out with dagre and draws it
as SVG, and svg-pan-zoom gives it zoom and pan. Both libraries are vendored under
`l2csim/resources/vendor/` and inlined. A Content-Security-Policy forbids every load. Text
from the log is set with textContent or escaped; element keys are indices, never log text.
Printed, the map shown fills one A4 landscape page, and so does each figure below it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import resources

import pandas as pd

from l2csim.output import escape_html, show_bidi

VENDOR = ("vendor/dagre.min.js", "vendor/svg-pan-zoom.min.js")


@dataclass(frozen=True)
class SegmentMaps:
    """One segment's map data: its label, cases, activities (most frequent first) and the
    levels of the activity slider (see `maps.map_levels`)."""

    label: str
    cases: int
    activities: list[str]
    levels: list[dict]


def vendored(name: str) -> str:
    """A vendored script's text, safe to inline (no closing script tag in it)."""
    text = resources.files("l2csim").joinpath("resources", name).read_text("utf-8")
    return text.replace("</script", "<\\/script")


STYLE = """
*{box-sizing:border-box}
body{font-family:Helvetica,Arial,sans-serif;margin:0;color:#222}
header{padding:10px 20px;background:#263238;color:#fff}
header h1{margin:0;font-size:20px}
header p{margin:4px 0 0;font-size:13px;color:#cfd8dc}
header a{color:#fff}
.controls{display:flex;gap:16px;padding:10px 20px;background:#eceff1;flex-wrap:wrap;
  align-items:center;font-size:13px}
.controls input[type=range]{width:170px;vertical-align:middle}
.controls output{display:inline-block;min-width:13em;color:#37474f}
main{display:flex;gap:16px;padding:10px 20px;align-items:flex-start}
#map-column{flex:3;min-width:0}
#map-area{height:72vh;border:1px solid #cfd8dc;background:#fff;position:relative}
#map-area svg{width:100%;height:100%;display:block}
#map-print{display:none}
#map-status{font-size:13px;margin:6px 0;color:#37474f}
#map-status strong{color:#b71c1c}
.legend{display:flex;flex-wrap:wrap;gap:6px 18px;font-size:12px;color:#37474f;margin:4px 0}
.legend span.key{display:inline-block;vertical-align:middle;margin-right:4px}
.swatch{width:18px;height:12px;border:1px solid #90a4ae;border-radius:3px}
.line{width:26px;height:0;border-top:3px solid #455a64}
.line.thin{border-top-width:1px}.line.dashed{border-top:2px dashed #9e9e9e}
.pain{width:18px;height:12px;border:3px solid #c62828;border-radius:3px}
aside{flex:2;max-height:85vh;overflow:auto}
aside h2{margin:4px 0 8px;font-size:18px}
table{border-collapse:collapse;font-size:12px;width:100%}
th,td{border-bottom:1px solid #e0e0e0;padding:3px 6px;text-align:left;vertical-align:top}
td.num{text-align:right;white-space:nowrap}
section{padding:0 20px 20px}
section h2{font-size:18px}
section .figure{overflow:auto;border:1px solid #cfd8dc}
section .figure svg{max-width:100%;height:auto}
.map-node text{pointer-events:none}
.map-node:hover rect{stroke:#0d47a1;stroke-width:2}
.map-edge:hover path{stroke-opacity:.7}
@media print{
  @page{size:A4 landscape;margin:8mm}
  body{font-size:10px}
  header{background:none;color:#000;padding:0 0 2mm}
  header p,header a{color:#333}
  .controls,#map-area,.no-print{display:none!important}
  main{display:block;padding:0}
  #map-print{display:block;height:150mm;border:none}
  #map-print svg{width:100%;height:100%}
  .legend{font-size:9px}
  aside{max-height:none;overflow:visible;break-before:page}
  section{padding:0;break-before:page}
  section .figure{border:none;overflow:visible}
  section .figure svg{width:100%;height:auto;max-height:170mm}
  tr{break-inside:avoid}
  .variants tbody tr:nth-child(n+21){display:none}
  .print-only{display:block!important}
}
.print-only{display:none}
"""

SCRIPT = r"""
(function () {
  'use strict';
  var NS = 'http://www.w3.org/2000/svg';
  var data = JSON.parse(document.getElementById('map-data').textContent);
  var DELAY = ['#9e9e9e', '#fdae61', '#f46d43', '#d73027', '#a50026'];
  var PAIN = '#c62828';
  var pick = function (id) { return document.getElementById(id); };
  var panZoom = null;
  var canvas = document.createElement('canvas').getContext('2d');

  function count(n) { return Math.round(n).toLocaleString('en-US'); }
  function duration(s) {
    if (s === null || s === undefined) { return '\u2013'; }
    if (s < 60) { return s.toFixed(0) + ' s'; }
    if (s < 3600) { return (s / 60).toFixed(0) + ' min'; }
    if (s < 86400) { return (s / 3600).toFixed(1) + ' h'; }
    return (s / 86400).toFixed(1) + ' d';
  }
  function width(text, font) { canvas.font = font; return canvas.measureText(text).width; }
  function el(name, attrs, parent) {
    var node = document.createElementNS(NS, name);
    for (var key in attrs) { if (attrs.hasOwnProperty(key)) { node.setAttribute(key, attrs[key]); } }
    if (parent) { parent.appendChild(node); }
    return node;
  }
  function text(parent, x, y, content, attrs) {
    var node = el('text', attrs || {}, parent);
    node.setAttribute('x', x); node.setAttribute('y', y);
    node.textContent = content;
    return node;
  }
  function tip(parent, content) { el('title', {}, parent).textContent = content; }

  // The path slider: the same rule as l2csim.mine.maps.keep_paths.
  function keepPaths(edges, coverage) {
    var order = edges.map(function (e, i) { return i; });
    order.sort(function (a, b) { return (edges[b][2] - edges[a][2]) || (a - b); });
    var total = 0, i;
    for (i = 0; i < edges.length; i++) { total += edges[i][2]; }
    var keep = edges.map(function () { return false; });
    var cumulative = 0, previous = 0;
    for (i = 0; i < order.length; i++) {
      cumulative += edges[order[i]][2];
      var share = cumulative / total;
      if (share <= coverage || previous < coverage || i === 0) { keep[order[i]] = true; }
      previous = share;
    }
    var into = {}, outOf = {};
    for (i = 0; i < order.length; i++) {
      var e = edges[order[i]];
      if (e[0] === e[1]) { continue; }
      if (!into.hasOwnProperty(e[1])) { into[e[1]] = true; keep[order[i]] = true; }
      if (!outOf.hasOwnProperty(e[0])) { outOf[e[0]] = true; keep[order[i]] = true; }
    }
    return keep;
  }

  function delayColour(value, values) {
    if (value === null || !values.length) { return DELAY[0]; }
    var below = 0, same = 0;
    values.forEach(function (v) { if (v < value) { below++; } else if (v === value) { same++; } });
    var rank = (below + 0.5 * same) / values.length;
    return DELAY[Math.min(Math.floor(rank * DELAY.length), DELAY.length - 1)];
  }

  function curve(points) {
    var d = 'M' + points[0].x + ',' + points[0].y;
    for (var i = 1; i < points.length - 1; i++) {
      var mx = (points[i].x + points[i + 1].x) / 2, my = (points[i].y + points[i + 1].y) / 2;
      d += ' Q' + points[i].x + ',' + points[i].y + ' ' + mx + ',' + my;
    }
    var last = points[points.length - 1];
    return d + ' L' + last.x + ',' + last.y;
  }

  function arrow(parent, points, size, colour) {
    var a = points[points.length - 2], b = points[points.length - 1];
    var dx = b.x - a.x, dy = b.y - a.y, len = Math.sqrt(dx * dx + dy * dy) || 1;
    var ux = dx / len, uy = dy / len, s = 5 + size;
    var p = [b.x, b.y, b.x - ux * s - uy * s * 0.55, b.y - uy * s + ux * s * 0.55,
             b.x - ux * s + uy * s * 0.55, b.y - uy * s - ux * s * 0.55];
    el('polygon', {points: p.join(' '), fill: colour}, parent);
  }

  function draw(segment, level, coverage, view) {
    var names = segment.activities;
    var keep = keepPaths(level.edges, coverage);
    var shown = level.edges.filter(function (e, i) { return keep[i]; });
    var g = new dagre.graphlib.Graph({multigraph: true});
    g.setGraph({rankdir: 'TB', nodesep: 36, ranksep: 46, edgesep: 14, marginx: 24, marginy: 24});
    g.setDefaultEdgeLabel(function () { return {}; });
    var top = 1;
    level.nodes.forEach(function (n) { top = Math.max(top, n[1]); });
    var pinned = {};
    data.pinned.forEach(function (name) { pinned[name] = true; });
    level.nodes.forEach(function (n) {
      var name = names[n[0]];
      var sub = count(n[1]) + ' events \u00b7 ' + count(n[2]) + ' ' + data.case_noun;
      var w = Math.max(width(name, 'bold 13px Helvetica, Arial, sans-serif'),
                       width(sub, '11px Helvetica, Arial, sans-serif'),
                       pinned[name] ? width(data.pinned_note, 'bold 11px Helvetica, Arial, sans-serif') : 0) + 22;
      g.setNode('n' + n[0], {width: w, height: pinned[name] ? 52 : 40, node: n});
    });
    g.setNode('start', {width: 22, height: 22});
    g.setNode('end', {width: 22, height: 22});
    var flows = shown.filter(function (e) { return e[0] >= 0 && e[1] >= 0; });
    var medians = flows.map(function (e) { return e[4]; }).filter(function (v) { return v !== null; });
    var peak = 1;
    shown.forEach(function (e) { peak = Math.max(peak, e[2]); });
    shown.forEach(function (e, i) {
      var label = (e[0] < 0 || e[1] < 0 || view === 'frequency') ? count(e[2]) : duration(e[4]);
      g.setEdge(e[0] < 0 ? 'start' : 'n' + e[0], e[1] < 0 ? 'end' : 'n' + e[1],
                {width: width(label, '11px Helvetica, Arial, sans-serif') + 6, height: 14,
                 labelpos: 'c', label: label, edge: e}, 'k' + i);
    });
    dagre.layout(g);
    var graph = g.graph();
    var svg = el('svg', {id: 'map-svg', xmlns: NS, 'font-family': 'Helvetica, Arial, sans-serif',
                         'data-nodes': String(level.nodes.length), 'data-edges': String(shown.length),
                         'data-flows': String(flows.length)});
    var root = el('g', {'class': 'map-root'}, svg);
    g.edges().forEach(function (ref) {
      var info = g.edge(ref), e = info.edge, points = info.points;
      var between = e[0] >= 0 && e[1] >= 0;
      var colour = !between ? '#9e9e9e' : (view === 'performance' ? delayColour(e[4], medians) : '#37474f');
      var stroke = 1 + 5 * e[2] / peak;
      var group = el('g', {'class': 'map-edge'}, root);
      var source = e[0] < 0 ? 'start' : names[e[0]], target = e[1] < 0 ? 'end' : names[e[1]];
      var words = source + ' \u2192 ' + target + ': ' + count(e[2]) + ' times in ' + count(e[3]) + ' ' + data.case_noun;
      if (between) { words += '; wait median ' + duration(e[4]) + ', mean ' + duration(e[5]); }
      tip(group, words);
      var attrs = {d: curve(points), fill: 'none', stroke: colour, 'stroke-width': stroke.toFixed(2)};
      if (!between) { attrs['stroke-dasharray'] = '5,4'; }
      el('path', attrs, group);
      arrow(group, points, stroke, colour);
      text(group, info.x, info.y + 4, info.label,
           {'font-size': '11', 'text-anchor': 'middle', fill: view === 'performance' && between ? colour : '#263238',
            stroke: '#fff', 'stroke-width': '3', 'paint-order': 'stroke'});
    });
    g.nodes().forEach(function (id) {
      var box = g.node(id);
      if (id === 'start' || id === 'end') {
        var mark = el('g', {'class': 'map-terminal'}, root);
        tip(mark, id === 'start' ? 'where ' + data.case_noun + ' start' : 'where ' + data.case_noun + ' end');
        el('circle', {cx: box.x, cy: box.y, r: 10, fill: id === 'start' ? '#4caf50' : '#e53935',
                      stroke: '#263238'}, mark);
        return;
      }
      var n = box.node, name = names[n[0]], shade = 0.15 + 0.6 * n[1] / top;
      var fill = 'rgb(' + Math.round(255 - 200 * shade) + ',' + Math.round(255 - 120 * shade) + ',255)';
      var group = el('g', {'class': 'map-node'}, root);
      if (pinned[name]) { group.setAttribute('data-pinned', 'true'); }
      tip(group, name + ': ' + count(n[1]) + ' events in ' + count(n[2]) + ' ' + data.case_noun +
          (pinned[name] ? ' \u2014 ' + data.pinned_note : ''));
      el('rect', {x: box.x - box.width / 2, y: box.y - box.height / 2, width: box.width,
                  height: box.height, rx: 8, fill: fill, stroke: pinned[name] ? PAIN : '#263238',
                  'stroke-width': pinned[name] ? 3 : 1}, group);
      var y0 = box.y - box.height / 2;
      text(group, box.x, y0 + 17, name, {'font-size': '13', 'font-weight': 'bold', 'text-anchor': 'middle'});
      text(group, box.x, y0 + 32, count(n[1]) + ' events \u00b7 ' + count(n[2]) + ' ' + data.case_noun,
           {'font-size': '11', 'text-anchor': 'middle'});
      if (pinned[name]) {
        text(group, box.x, y0 + 46, data.pinned_note, {'font-size': '11', 'font-weight': 'bold',
             'text-anchor': 'middle', fill: PAIN});
      }
    });
    svg.setAttribute('viewBox', '0 0 ' + Math.ceil(graph.width) + ' ' + Math.ceil(graph.height));
    return {svg: svg, shown: shown.length, flows: flows.length,
            allFlows: level.edges.filter(function (e) { return e[0] >= 0 && e[1] >= 0; }).length};
  }

  function render() {
    var segment = data.segments[Number(pick('segment').value)];
    var index = Math.min(Number(pick('activities').value), segment.levels.length - 1);
    pick('activities').max = String(segment.levels.length - 1);
    var level = segment.levels[index];
    var coverage = Number(pick('paths').value) / 100;
    var view = pick('view').value;
    var built = draw(segment, level, coverage, view);
    var total = segment.activities.length;
    pick('activities-out').textContent = level.activities + ' of ' + total + ' activities (' +
      Math.round(level.coverage * 100) + '% of events)';
    pick('paths-out').textContent = pick('paths').value + '% of paths';
    var hiddenPaths = built.allFlows - built.flows, hiddenActivities = total - level.activities;
    var status = 'Showing ' + level.activities + ' of ' + total + ' activities and ' + built.flows +
      ' of ' + built.allFlows + ' paths between them. ';
    pick('map-status').textContent = status;
    var strong = document.createElement('strong');
    strong.id = 'hidden-count';
    strong.textContent = hiddenPaths + (hiddenPaths === 1 ? ' path' : ' paths') + ' hidden, ' +
      hiddenActivities + (hiddenActivities === 1 ? ' activity' : ' activities') + ' hidden.';
    pick('map-status').appendChild(strong);
    pick('map-status').appendChild(document.createTextNode(hiddenPaths + hiddenActivities ?
      ' Numbers count the transitions between the activities shown, so with paths hidden a step\u2019s ins and outs do not add up.' : ''));
    pick('map-status').dataset.hiddenPaths = String(hiddenPaths);
    var printed = built.svg.cloneNode(true);
    printed.removeAttribute('id');
    printed.setAttribute('preserveAspectRatio', 'xMidYMid meet');
    pick('map-print').replaceChildren(printed);
    if (panZoom) { panZoom.destroy(); panZoom = null; }
    pick('map-area').replaceChildren(built.svg);
    panZoom = svgPanZoom(built.svg, {controlIconsEnabled: true, fit: true, center: true,
                                      minZoom: 0.2, maxZoom: 40, zoomScaleSensitivity: 0.3});
    var tables = document.querySelectorAll('.variants');
    for (var j = 0; j < tables.length; j++) {
      tables[j].hidden = tables[j].dataset.segment !== pick('segment').value;
    }
    document.body.dataset.shown = [pick('segment').value, index, pick('paths').value, view].join('|');
  }

  var pending = false;
  function soon() {
    if (pending) { return; }
    pending = true;
    window.requestAnimationFrame(function () { pending = false; render(); });
  }
  pick('segment').addEventListener('change', function () {
    var segment = data.segments[Number(pick('segment').value)];
    pick('activities').value = String(segment.default_level);
    render();
  });
  pick('view').addEventListener('change', render);
  pick('activities').addEventListener('input', soon);
  pick('paths').addEventListener('input', soon);
  window.addEventListener('resize', function () { if (panZoom) { panZoom.resize(); panZoom.fit(); panZoom.center(); } });
  render();
})();
"""


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


def default_level(levels: list[dict], coverage: float) -> int:
    """The first activity-slider level covering `coverage` of the events."""
    for i, level in enumerate(levels):
        if level["coverage"] >= coverage - 1e-9:
            return i
    return max(len(levels) - 1, 0)


def page_data(
    segments: list[SegmentMaps],
    *,
    pinned: list[str],
    pinned_note: str,
    case_noun: str,
    coverage: float,
) -> str:
    """The JSON block the script reads, safe inside a <script> element."""
    document = {
        "case_noun": case_noun,
        "pinned": pinned,
        "pinned_note": pinned_note,
        "segments": [
            {
                "label": s.label,
                "cases": s.cases,
                "activities": s.activities,
                "levels": s.levels,
                "default_level": default_level(s.levels, coverage),
            }
            for s in segments
        ],
    }
    text = show_bidi(
        json.dumps(document, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    )
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def legend(pinned_note: str, pinned: list[str]) -> str:
    delay = "".join(
        f'<span class="key swatch" style="background:{c}"></span>'
        for c in ("#9e9e9e", "#fdae61", "#f46d43", "#d73027", "#a50026")
    )
    pain = (
        f'<span><span class="key pain"></span>{escape_html(pinned_note)}: '
        f"{escape_html(', '.join(pinned))} (always shown)</span>"
        if pinned
        else ""
    )
    return (
        '<div class="legend" id="legend">'
        '<span><span class="key swatch" style="background:rgb(145,201,255)"></span>'
        '<span class="key swatch" style="background:rgb(105,177,255)"></span>'
        "step: darker = more events</span>"
        '<span><span class="key line thin"></span><span class="key line"></span>'
        "arrow: thicker = more transitions</span>"
        '<span><span class="key line dashed"></span>where cases start and end</span>'
        f"<span>{delay} performance view: the wait on an arrow, fastest to slowest fifth "
        "of the waits on this map</span>"
        f"{pain}"
        '<span class="no-print">Hover over a step or an arrow for its figures; scroll or use '
        "the buttons to zoom, drag to move.</span></div>"
    )


def build_page(
    title: str,
    subtitle: str,
    segments: list[SegmentMaps],
    variant_tables: list[pd.DataFrame],
    extra_figures: list[tuple[str, str]],
    *,
    pinned: list[str] | None = None,
    pinned_note: str = "#1 pain point",
    case_noun: str = "cases",
    coverage: float = 0.8,
    bpmn_file: str | None = "process.bpmn",
) -> str:
    """The whole HTML page. `segments[i].label` names segment i ('All cases', 'team = Spares');
    `pinned` activities (the #1 pain point) stay on the map at every slider setting."""
    pinned = list(pinned or [])
    segment_options = "".join(
        f'<option value="{i}">{escape_html(s.label)}</option>' for i, s in enumerate(segments)
    )
    first = segments[0] if segments else SegmentMaps("", 0, [], [])
    start_level = default_level(first.levels, coverage)
    tables = "".join(
        f'<div class="variants" data-segment="{i}" hidden><table><thead><tr><th>#</th>'
        f"<th>variant</th><th>{escape_html(case_noun)}</th><th>share</th><th>cumulative</th>"
        f"<th>median lead time (days)</th></tr></thead><tbody>{_variant_rows(t)}</tbody>"
        "</table></div>"
        for i, t in enumerate(variant_tables)
    )
    figures = "".join(
        f'<section><h2>{escape_html(name)}</h2><div class="figure">{svg}</div></section>'
        for name, svg in extra_figures
    )
    link = (
        f' · <a href="{escape_html(bpmn_file)}" download>{escape_html(bpmn_file)}</a>: the '
        "discovered process as BPMN, to open in bpmn.io or Camunda Modeler"
        if bpmn_file
        else ""
    )
    policy = (
        "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:"
    )
    data = page_data(
        segments, pinned=pinned, pinned_note=pinned_note, case_noun=case_noun, coverage=coverage
    )
    scripts = "".join(f"<script>{vendored(name)}</script>" for name in VENDOR)
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{policy}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape_html(title)}</title><style>{STYLE}</style></head><body>"
        f"<header><h1>{escape_html(title)}</h1><p>{escape_html(subtitle)}{link}</p></header>"
        '<div class="controls">'
        f'<label>Segment <select id="segment">{segment_options}</select></label>'
        '<label>View <select id="view"><option value="frequency">how often (frequency)</option>'
        '<option value="performance">how long (waits)</option></select></label>'
        f'<label>Activities <input type="range" id="activities" min="0" '
        f'max="{max(len(first.levels) - 1, 0)}" step="1" value="{start_level}"> '
        '<output id="activities-out"></output></label>'
        f'<label>Paths <input type="range" id="paths" min="0" max="100" step="1" '
        f'value="{round(coverage * 100)}"> <output id="paths-out"></output></label></div>'
        '<main><div id="map-column"><p id="map-status"></p>'
        f'{legend(pinned_note, pinned)}<div id="map-area"></div><div id="map-print"></div></div>'
        '<aside><h2>Variants</h2><p class="print-only">The 20 commonest variants of the '
        "segment shown; the page on screen lists more.</p>"
        f"{tables}</aside></main>"
        f'{figures}<script type="application/json" id="map-data">{data}</script>'
        f"{scripts}<script>{SCRIPT}</script></body></html>\n"
    )
