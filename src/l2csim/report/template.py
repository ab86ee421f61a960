"""The report's page: one HTML file, inline CSS (screen and print), a Content-Security-Policy
that forbids every load from outside the file, and no scripts."""

from __future__ import annotations

from l2csim.report.html import esc

CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; font-src 'none'; "
    "script-src 'none'; connect-src 'none'; base-uri 'none'; form-action 'none'"
)

CSS = """
:root { --ink: #1d2430; --muted: #5b6472; --line: #d8dde5; --good: #1b7f3b; --bad: #b3261e;
  --accent: #174a7c; }
* { box-sizing: border-box; }
body { font-family: -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; color: var(--ink);
  margin: 0 auto; max-width: 1100px; padding: 24px 32px; line-height: 1.45; font-size: 14px; }
h1 { font-size: 26px; margin: 0 0 4px; color: var(--accent); }
h2 { font-size: 20px; border-bottom: 2px solid var(--accent); padding-bottom: 4px;
  margin-top: 36px; color: var(--accent); }
h3 { font-size: 16px; margin: 20px 0 8px; }
.subtitle { color: var(--muted); margin: 0 0 16px; }
nav { font-size: 12.5px; color: var(--muted); margin: 0 0 8px; }
nav ol { display: inline; padding: 0; margin: 0; }
nav li { display: inline; margin-right: 12px; }
code { font-family: ui-monospace, Menlo, Consolas, monospace; font-size: 0.95em;
  background: #eef2f7; padding: 0 3px; border-radius: 3px; }
.answer { border-left: 5px solid var(--good); background: #f1f8f3; padding: 8px 14px;
  margin: 12px 0; }
.answer .recommendation { border: none; background: none; padding: 0; margin: 0 0 4px; }
.answer.gated, .answer:has(.gated) { border-left-color: var(--bad); background: #fdecea; }
.answer:has(.no-winner) { border-left-color: var(--muted); background: #f4f5f7; }
.answer .verdict { margin: 0; font-size: 13.5px; font-weight: 600; }
tr.log-row th, tr.log-row td { background: #f7f7f2; font-style: italic; color: #4a4a3a; }
tr.inert td.inert { color: var(--muted); font-style: italic; }
.default-flag { color: #8a5a00; font-size: 11px; font-weight: 600; }
ul.defaults { margin: -8px 0 10px; padding-left: 18px; font-size: 12px; color: #8a5a00; }
ul.readings { font-size: 12.5px; margin: 4px 0 8px; padding-left: 18px; }
.symptoms { font-size: 13px; color: var(--muted); }
table { border-collapse: collapse; width: 100%; margin: 8px 0 16px; font-size: 12.5px; }
caption { text-align: left; color: var(--muted); font-size: 12px; padding-bottom: 4px;
  caption-side: top; }
th, td { border-bottom: 1px solid var(--line); padding: 4px 6px; text-align: left;
  vertical-align: top; }
thead th { background: #eef2f7; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
table.comparison td { font-variant-numeric: tabular-nums; }
table.comparison .mean { display: block; }
table.comparison .diff { display: block; font-size: 11.5px; color: var(--muted); }
table.comparison .diff.improves { color: var(--good); font-weight: 600; }
table.comparison .diff.worsens { color: var(--bad); font-weight: 600; }
tr.recommended th, tr.recommended td { background: #e8f5e9; }
tr.fail td { color: var(--bad); background: #fdecea; }
tr.fail td.status { font-weight: 700; }
tr.pass td.status { color: var(--good); font-weight: 700; }
tr.severity-error td:first-child { color: var(--bad); font-weight: 700; }
tr.severity-warning td:first-child { color: #8a5a00; }
.verdict.fail, .warning { color: var(--bad); }
.verdict.pass { color: var(--good); }
.recommendation { font-size: 15px; padding: 10px 14px; border-left: 4px solid var(--good);
  background: #f1f8f3; }
.recommendation.no-winner { border-left-color: var(--muted); background: #f4f5f7; }
.recommendation.gated { border-left-color: var(--bad); background: #fdecea; color: var(--bad); }
.missing { color: var(--muted); font-style: italic; border: 1px dashed var(--line);
  padding: 8px 12px; }
figure { margin: 12px 0; }
figure svg { max-width: 100%; height: auto; display: block; margin: 0 auto; }
figcaption { color: var(--muted); font-size: 12px; text-align: center; }
.maps { display: flex; gap: 16px; flex-wrap: wrap; align-items: flex-start; }
.maps figure { flex: 1 1 420px; }
.maps figure svg { max-height: 900px; }
.side-by-side { display: flex; gap: 20px; flex-wrap: wrap; align-items: flex-start; }
.side-by-side > figure { flex: 1 1 380px; }
.side-by-side > .listing { flex: 1 1 380px; }
.side-by-side figure svg { max-height: 1000px; }
.pain-points li { margin-bottom: 6px; }
table.risk td { font-variant-numeric: tabular-nums; }
table.risk tr.at-risk td { color: var(--bad); background: #fdecea; }
.risk-note { font-size: 12px; color: var(--muted); margin: 2px 0; }
@media print {
  body { max-width: none; padding: 0; font-size: 11px; }
  @page { size: A4; margin: 12mm 12mm; }
  nav { display: none; }
  h1 { font-size: 20px; }
  h2 { margin-top: 14px; font-size: 16px; }
  h3 { margin: 10px 0 4px; font-size: 13px; }
  table { font-size: 10px; margin: 4px 0 8px; }
  th, td { padding: 2px 4px; }
  table.comparison .diff { font-size: 9.5px; }
  .answer { break-inside: avoid; margin: 6px 0; }
  .answer .verdict { font-size: 11.5px; }
  .recommendation { font-size: 12.5px; }
  ul.readings, .symptoms, ul.defaults, .risk-note { font-size: 10px; }
  table.risk { font-size: 9.5px; break-inside: avoid; }
  section#trust, section#as-is, section#backlog, section#simulation, section#appendix
    { break-before: page; }
  table.parameters { font-size: 8.5px; }
  .scenario-block figure svg { max-height: 82mm; }
  .scenario-block p { margin: 2px 0; }
  .maps { flex-wrap: nowrap; gap: 6px; }
  .maps figure { flex: 1 1 48%; margin: 4px 0; }
  h2, h3 { break-after: avoid; }
  figure, table.comparison, table.validation, table.tiers, table.sla, table.tier-kpis,
  table.variants, .recommendation, .scenario-block > figure, .scenario-block
    { break-inside: avoid; }
  tr { break-inside: avoid; }
  thead { display: table-header-group; }
  .maps figure svg { max-height: 175mm; }
  .side-by-side figure svg { max-height: 110mm; }
}
"""


def page(title: str, subtitle: str, sections: list[tuple[str, str, str]]) -> str:
    """The whole document; `sections` are (key, title, html) with html already built."""
    nav = "".join(f'<li><a href="#{esc(k)}">{esc(t)}</a></li>' for k, t, _ in sections)
    body = "".join(html for _, _, html in sections)
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<meta name="referrer" content="no-referrer">'
        f"<title>{esc(title)}</title><style>{CSS}</style></head><body>"
        f'<header><h1>{esc(title)}</h1><p class="subtitle">{esc(subtitle)}</p></header>'
        f"<nav><strong>Contents:</strong> <ol>{nav}</ol></nav>"
        f"<main>{body}</main></body></html>\n"
    )
