"""The appendix: the study's assumptions and every fitted model parameter with its source
(the provenance model.json records beside each parameter)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from l2csim import layout
from l2csim.report.html import esc, missing, para, table
from l2csim.report.numbers import sig
from l2csim.report.outputs import StudyOutputs
from l2csim.report.people import People
from l2csim.report.risk import uncertainty_assumptions
from l2csim.report.words import Words

NAME_KEYS = ("name", "activity", "tier", "segment", "pool")
LIST_SHOWN = 12  # items of a list named in one line (closed days, a team's people)


def _item_name(item: dict, index: int) -> str:
    named = [str(item[k]) for k in NAME_KEYS if isinstance(item.get(k), str) and item[k]]
    return " / ".join(named) if named else str(index)


def _value(node: dict, people: People | None = None) -> str:
    """A parameter's value in a line: a distribution as kind and mean, else its scalars."""
    if isinstance(node.get("kind"), str) and "mean" in node:
        fitted = ", ".join(f"{k} {sig(v)}" for k, v in sorted((node.get("params") or {}).items()))
        return f"{node['kind']} (mean {sig(node['mean'])}{'; ' + fitted if fitted else ''})"
    scalars = []
    for key, value in sorted(node.items()):
        if key == "provenance" or key in NAME_KEYS:
            continue
        if isinstance(value, bool) or value is None:
            continue
        if isinstance(value, int | float):
            scalars.append(f"{key.replace('_', ' ')} {sig(value)}")
        elif isinstance(value, str):
            scalars.append(f"{key.replace('_', ' ')} {value}")
        elif isinstance(value, list) and value and all(isinstance(v, str) for v in value):
            if key == "resources" and people is not None:
                value = [people(v) for v in value]
            shown = ", ".join(value[:LIST_SHOWN])
            if len(value) > LIST_SHOWN:
                shown += f", … ({len(value)} in all)"
            scalars.append(f"{key.replace('_', ' ')}: {shown}")
        elif (
            isinstance(value, dict)
            and value
            and all(isinstance(v, int | float) for v in value.values())
        ):
            scalars.append(
                f"{key.replace('_', ' ')}: "
                + ", ".join(f"{k} {sig(v)}" for k, v in sorted(value.items()))
            )
    return "; ".join(scalars[:6]) or "see model.json"


def parameters(
    model: Any, path: str = "", people: People | None = None
) -> Iterator[tuple[str, str, str, str]]:
    """(parameter, value, source, detail) for every node that records its provenance;
    resource names pass through `people` (pseudonyms unless the study asks for names)."""
    if isinstance(model, dict):
        provenance = model.get("provenance")
        if isinstance(provenance, dict):
            redact = people.redact if people is not None else str
            yield (
                redact(path or "model"),
                redact(_value(model, people)),
                str(provenance.get("source", "")),
                redact(str(provenance.get("detail", ""))),
            )
        for key in sorted(model):
            if key != "provenance":
                yield from parameters(model[key], f"{path}.{key}" if path else key, people)
    elif isinstance(model, list):
        for i, item in enumerate(model):
            label = _item_name(item, i) if isinstance(item, dict) else str(i)
            yield from parameters(item, f"{path}[{label}]", people)


def assumptions(outputs: StudyOutputs, model: dict | None, words: Words | None = None) -> str:
    words = words or Words()
    items = []
    base = outputs.json(f"{layout.SIMULATE}/baseline/{layout.RUN_JSON}")
    comparison = outputs.json(layout.rel(layout.COMPARE, layout.COMPARISON_JSON))
    if base:
        items.append(
            f"Each option is simulated for {float(base.get('horizon_hours', 0)) / 24:,.0f} days "
            f"after a {float(base.get('warmup_hours', 0)) / 24:,.0f}-day warm-up that is left "
            f"out, {base.get('replications')} replications, seed {base.get('seed')}; every "
            "option meets the same random streams (common random numbers), so differences "
            "are paired by replication."
        )
    if comparison:
        items.append(
            f"Intervals are t-based {round(100 * float(comparison.get('confidence', 0.95)))}% "
            "confidence intervals of the mean over replications."
        )
        items.extend(uncertainty_assumptions(comparison))
    if model:
        created = model.get("created_from") or {}
        items.append(
            f"The model is fitted from {created.get('path', 'the log')} "
            f"({created.get('cases', 0):,} {words.cases}, "
            f"{str(created.get('period_start', ''))[:10]} "
            f"to {str(created.get('period_end', ''))[:10]}; sha256 "
            f"{str(created.get('sha256', ''))[:12]}…), time zone {model.get('timezone')}."
        )
        items.extend(words.people.redact(str(n)) for n in model.get("notes", []))
    if not items:
        return missing(
            "the run settings (simulate/baseline/run.json, fit/model.json)", "Run the study."
        )
    return "<ul>" + "".join(f"<li>{esc(i)}</li>" for i in items) + "</ul>"


def appendix_section(outputs: StudyOutputs, words: Words | None = None) -> str:
    words = words or Words()
    model = outputs.json(layout.rel(layout.FIT, layout.MODEL_JSON))
    parts = [
        "<h3>Assumptions</h3>",
        assumptions(outputs, model, words),
        "<h3>Model parameters</h3>",
    ]
    if model is None:
        parts.append(missing("the fitted model (fit/model.json)", "Run `l2csim fit`."))
        return "".join(parts)
    rows = [list(r) for r in parameters(model, people=words.people)]
    parts.append(
        para(
            f"{len(rows)} fitted parameters, each with where it comes from "
            "(log: measured from the event log; others: the file or setting named)."
            + (
                ""
                if words.people.names
                else " Staff are pseudonymised (\u201cTeam member 2 of Pick and pack\u201d); "
                "the study file's report: {people: names} shows names."
            )
        )
    )
    parts.append(
        table(["Parameter", "Value", "Source", "How it was obtained"], rows, cls="parameters")
    )
    return "".join(parts)
