"""`l2csim report`: the steering-group report, one self-contained HTML file built from a
study output folder (every stage's outputs; missing ones are said to be missing).

Order follows practice in simulation studies: the bottom line first, then why the model
can be trusted, then the findings behind it, the options in detail, and the appendix.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from l2csim import layout
from l2csim.errors import L2csimError
from l2csim.output import write_text
from l2csim.report.appendix import appendix_section
from l2csim.report.customers import overdue_section, quality_section, tiers_section
from l2csim.report.html import missing, section
from l2csim.report.outputs import StudyOutputs, open_outputs
from l2csim.report.process import as_is_section, backlog_section, documented_section
from l2csim.report.simulation import simulation_section
from l2csim.report.summary import executive_summary
from l2csim.report.template import page
from l2csim.report.trust import validation_section
from l2csim.report.words import Words, load_words

REPORT_FILE = Path(layout.REPORT) / layout.REPORT_HTML


def sections(
    outputs: StudyOutputs, study: Path | None, words: Words | None = None
) -> list[tuple[str, str, Callable[[], str]]]:
    """(key, title, builder) of every section, in reading order."""
    words = words or Words()
    return [
        ("summary", "Executive summary", lambda: executive_summary(outputs, words)),
        ("trust", "Why the model can be trusted", lambda: validation_section(outputs)),
        ("as-is", "The process as it really runs", lambda: as_is_section(outputs, words)),
        (
            "documented",
            "The documented process and where practice departs from it",
            lambda: documented_section(outputs, study, words),
        ),
        ("backlog", "Pain-point backlog", lambda: backlog_section(outputs, words)),
        (
            "quality",
            "Data quality",
            lambda: quality_section(
                outputs.json(layout.rel(layout.CHECK, layout.QUALITY_JSON)), words
            ),
        ),
        (
            "tiers",
            "Customer tiers and SLA attainment",
            lambda: tiers_section(
                outputs.csv(layout.rel(layout.CUSTOMERS, layout.TIER_SUMMARY_CSV)),
                outputs.csv(layout.rel(layout.CUSTOMERS, layout.SLA_CSV)),
                words,
            ),
        ),
        (
            "overdue",
            "Overdue key accounts",
            lambda: overdue_section(
                outputs.csv(layout.rel(layout.CUSTOMERS, layout.OVERDUE_CSV)), words
            ),
        ),
        ("simulation", "The options simulated", lambda: simulation_section(outputs, words)),
        (
            "appendix",
            "Appendix: assumptions and model parameters",
            lambda: appendix_section(outputs, words),
        ),
    ]


def _subtitle(outputs: StudyOutputs, words: Words) -> str:
    findings = outputs.json(layout.rel(layout.MINE, layout.FINDINGS_JSON)) or {}
    model = outputs.json(layout.rel(layout.FIT, layout.MODEL_JSON)) or {}
    created = model.get("created_from") or {}
    log = findings.get("log") or {}
    source = log.get("source") or created.get("path") or "the event log"
    period = ""
    if created.get("period_start"):
        period = f", {str(created['period_start'])[:10]} to {str(created['period_end'])[:10]}"
    cases = log.get("cases") or created.get("cases")
    return f"Built from {source}{f' ({cases:,} {words.cases}{period})' if cases else period}."


def build_report(study_out: Path, out: Path | None = None, *, study: Path | None = None) -> Path:
    """Write report.html (default STUDY_OUT/report/report.html) atomically; return its path.

    `study` is the study file whose documented process to draw; by default the one the
    mine stage read (from the study's manifest).
    """
    outputs = open_outputs(Path(study_out))
    words, _ = load_words(outputs, study)
    built = []
    for key, title, builder in sections(outputs, study, words):
        try:
            body = builder()
        except L2csimError:
            raise
        except (KeyError, ValueError, TypeError, OSError) as error:
            body = missing(
                f"this section could not be read from {outputs.root} ({type(error).__name__}: "
                f"{error})",
                "Rerun the stage that writes it with this version of l2csim.",
            )
        built.append((key, title, section(key, title, body)))
    subtitle = _subtitle(outputs, words)
    from l2csim.pipeline.run import stale_inputs

    stale = stale_inputs(outputs.root)
    if stale:  # the outputs no longer show the study as it is now: say so on page 1
        subtitle += " STALE: " + "; ".join(stale) + "."
    html = page(words.title, subtitle, built)
    target = Path(out) if out is not None else outputs.root / REPORT_FILE
    return write_text(target, html)
