"""Why the model can be trusted: how well the fitted as-is model reproduces the log
(validate/validation.json), each measure beside a naive baseline's figure."""

from __future__ import annotations

from l2csim import layout
from l2csim.report.html import esc, missing, para
from l2csim.report.numbers import sig
from l2csim.report.outputs import StudyOutputs


def validation_section(outputs: StudyOutputs) -> str:
    document = outputs.json(layout.rel(layout.VALIDATE, layout.VALIDATION_JSON))
    if document is None:
        return missing(
            "the model validation (validate/validation.json)",
            "Run `l2csim validate`; until then the simulated figures are not backed by the "
            "model reproducing the log.",
        )
    measures = document.get("measures", [])
    failed = document.get("failed", [])
    verdict = (
        "The fitted model reproduces the log within every threshold."
        if document.get("passed")
        else f"The fitted model misses {len(failed)} of {len(measures)} thresholds: read the "
        "simulated figures with that in mind."
    )
    rows = []
    for m in measures:
        status = str(m.get("status", "n/a"))
        cls = {"fail": "fail", "pass": "pass"}.get(status, "na")
        spread = (
            f"{sig(m.get('min'))}\u2013{sig(m.get('max'))}"
            if m.get("min") is not None and m.get("max") is not None
            else "n/a"
        )
        better = {True: "yes", False: "no", None: "n/a"}.get(m.get("better_than_naive"), "n/a")
        rows.append(
            f'<tr class="{cls}" data-measure="{esc(m.get("measure"))}">'
            f"<td>{esc(m.get('label', m.get('measure')))}</td>"
            f'<td class="num">{esc(sig(m.get("value")))}</td><td class="num">{esc(spread)}</td>'
            f'<td class="num">{esc(sig(m.get("naive")))}</td>'
            f'<td class="num">{esc(sig(m.get("threshold")))}</td>'
            f'<td>{esc(better)}</td><td class="status">{esc(status)}</td></tr>'
        )
    head = "".join(
        f"<th>{h}</th>"
        for h in (
            "Measure (smaller is closer to the log)",
            "Model",
            "Range over replications",
            "Naive baseline",
            "Threshold",
            "Better than naive",
            "Result",
        )
    )
    caption = (
        f"The as-is model replayed over the log's own period ({esc(document.get('period_start', '')[:10])}"
        f" to {esc(document.get('period_end', '')[:10])}), {esc(document.get('replications'))} "
        "replications. The naive baseline knows only the log's totals (activity frequencies, case lengths, shuffled gaps); a model should beat it."
    )
    notes = "".join(para(f"Note: {n}") for n in document.get("notes", []))
    return (
        para(verdict, "verdict " + ("pass" if document.get("passed") else "fail"))
        + f'<table class="validation"><caption>{caption}</caption><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table>" + notes
    )
