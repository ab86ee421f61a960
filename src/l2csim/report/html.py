"""Small builders of HTML fragments; every piece of text goes through `esc`."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from l2csim.output import escape_html


def esc(value: object) -> str:
    """Text from logs and outputs, made inert in HTML (quotes too, for attributes; bidi
    controls such as U+202E shown as their code: output.escape_html)."""
    return escape_html(value)


def section(key: str, title: str, body: str) -> str:
    """A report section; `key` is the anchor and the test hook."""
    return (
        f'<section id="{esc(key)}" class="report-section" data-section="{esc(key)}">'
        f"<h2>{esc(title)}</h2>{body}</section>"
    )


def missing(what: str, how: str) -> str:
    """The plain note a section shows when its input has not been produced."""
    return f'<p class="missing">Not available: {esc(what)}. {esc(how)}</p>'


def para(text: str, cls: str = "") -> str:
    return f"<p{f' class={chr(34)}{esc(cls)}{chr(34)}' if cls else ''}>{esc(text)}</p>"


def table(
    headers: Sequence[str],
    rows: Iterable[Sequence[str]],
    *,
    cls: str = "",
    row_classes: Sequence[str] | None = None,
    caption: str = "",
    raw: bool = False,
) -> str:
    """A table; cells are escaped unless `raw` (cells already built from escaped parts)."""
    head = "".join(f"<th>{esc(h)}</th>" for h in headers)
    body = []
    for i, row in enumerate(rows):
        row_cls = row_classes[i] if row_classes and row_classes[i] else ""
        cells = "".join(f"<td>{c if raw else esc(c)}</td>" for c in row)
        body.append(f'<tr class="{esc(row_cls)}">{cells}</tr>' if row_cls else f"<tr>{cells}</tr>")
    cap = f"<caption>{esc(caption)}</caption>" if caption else ""
    return (
        f'<table class="{esc(cls)}">{cap}<thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(body)}</tbody></table>"
    )


def figure(svg: str, caption: str, cls: str = "") -> str:
    """An inline SVG (already sanitised) with its caption."""
    return f'<figure class="chart {esc(cls)}">{svg}<figcaption>{esc(caption)}</figcaption></figure>'
