"""Conformance against the documented process (`reference_process:`, BPMN or PNML).

Alignments are exact but can run for hours on logs with many variants, so they are always
bounded: only the most frequent variants (one representative trace each) are aligned, under
a total time limit. When that leaves cases unaligned, or the model cannot be aligned at all,
token-based replay over the whole log is used as well; the result says which method gave
which figure and why. The model's structure (which activities every run must do, which
come before which) is derived from its reachability graph, for the deviation catalogue.
"""

from __future__ import annotations

import time
import warnings
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from l2csim.errors import InputError
from l2csim.log import ACTIVITY, CASE, TIMESTAMP
from l2csim.pm4py_adapter import pm4py

MAX_STATES = 50_000


@dataclass(frozen=True)
class ReferenceModel:
    """A documented process as an accepting Petri net, with its activity labels."""

    net: Any
    initial: Any
    final: Any
    activities: tuple[str, ...]
    path: Path


@dataclass(frozen=True)
class Conformance:
    """Fitness of the log to the reference model and how it was computed."""

    method: str
    reason: str
    fitness: float | None
    aligned_variants: int = 0
    aligned_case_share: float = 0.0
    timed_out_variants: int = 0
    seconds: float = 0.0
    token_replay: dict[str, float] = field(default_factory=dict)
    # activity → cases with a log/model move (aligned variants only). Not written out: when
    # several optimal alignments exist pm4py picks one by set order, which varies per run.
    log_moves: dict[str, int] = field(default_factory=dict)
    model_moves: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "reason": self.reason,
            "fitness": self.fitness,
            "aligned_variants": self.aligned_variants,
            "aligned_case_share": round(self.aligned_case_share, 6),
            "timed_out_variants": self.timed_out_variants,
            "token_replay": self.token_replay,
        }


def load_reference(path: Path) -> ReferenceModel:
    """Read a BPMN or PNML documented process into an accepting Petri net."""
    pm = pm4py()
    suffix = path.suffix.lower()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if suffix == ".bpmn":
                net, initial, final = pm.convert_to_petri_net(pm.read_bpmn(str(path)))
            elif suffix == ".pnml":
                net, initial, final = pm.read_pnml(str(path))
            else:
                raise InputError(
                    f"{path}: reference_process must be a .bpmn or .pnml file (got {suffix!r})."
                )
    except InputError:
        raise
    except Exception as error:  # pm4py raises many kinds for malformed XML
        first = str(error).strip().splitlines()[0][:200] if str(error).strip() else ""
        raise InputError(
            f"{path}: not a readable process model ({type(error).__name__}: {first}); export it "
            "from a BPMN editor (bpmn.io, Camunda Modeler) or as PNML."
        ) from None
    labels = sorted({t.label for t in net.transitions if t.label is not None})
    if not labels:
        raise InputError(f"{path}: the model has no labelled activities to compare with the log.")
    return ReferenceModel(net, initial, final, tuple(labels), path)


# --- the model's structure -----------------------------------------------------------------


def _explore(model: ReferenceModel, skip: str | None = None):
    """Reachable markings (as sorted tuples) and arcs labelled by activity; bounded."""
    places = sorted(model.net.places, key=lambda p: p.name)
    index = {p: i for i, p in enumerate(places)}
    transitions = sorted(model.net.transitions, key=lambda t: t.name)
    pre = [[(index[a.source], a.weight) for a in t.in_arcs] for t in transitions]
    post = [[(index[a.target], a.weight) for a in t.out_arcs] for t in transitions]
    start = [0] * len(places)
    for place, count in model.initial.items():
        start[index[place]] = count
    final = [0] * len(places)
    for place, count in model.final.items():
        final[index[place]] = count
    start_t, final_t = tuple(start), tuple(final)
    seen = {start_t}
    queue = deque([start_t])
    arcs: list[tuple[tuple[int, ...], str | None, tuple[int, ...]]] = []
    while queue and len(seen) < MAX_STATES:
        marking = queue.popleft()
        for i, transition in enumerate(transitions):
            if skip is not None and transition.label == skip:
                continue
            if all(marking[p] >= w for p, w in pre[i]):
                nxt = list(marking)
                for p, w in pre[i]:
                    nxt[p] -= w
                for p, w in post[i]:
                    nxt[p] += w
                target = tuple(nxt)
                arcs.append((marking, transition.label, target))
                if target not in seen:
                    seen.add(target)
                    queue.append(target)
    return seen, arcs, start_t, final_t


def mandatory_activities(model: ReferenceModel) -> list[str]:
    """Activities every complete run of the model performs (it cannot finish without them)."""
    required = []
    for activity in model.activities:
        seen, _, _, final = _explore(model, skip=activity)
        if final not in seen:
            required.append(activity)
    return required


def precedence_pairs(model: ReferenceModel) -> list[tuple[str, str]]:
    """Pairs (a, b) where the model can do b after a but never a after b.

    Computed on the reachability graph: b is reachable after firing a, a never after b.
    """
    _, arcs, _, _ = _explore(model)
    successors: dict[tuple[int, ...], list[tuple[str | None, tuple[int, ...]]]] = {}
    for source, label, target in arcs:
        successors.setdefault(source, []).append((label, target))
    after: dict[str, set[str]] = {a: set() for a in model.activities}
    memo: dict[tuple[int, ...], set[str]] = {}
    for _source, label, target in arcs:
        if label is None:
            continue
        if target in memo:
            after[label] |= memo[target]
            continue
        reached: set[str] = set()
        seen = {target}
        queue = deque([target])
        while queue:
            marking = queue.popleft()
            for nxt_label, nxt in successors.get(marking, []):
                if nxt_label is not None:
                    reached.add(nxt_label)
                if nxt not in seen:
                    seen.add(nxt)
                    queue.append(nxt)
        memo[target] = reached
        after[label] |= reached
    return sorted(
        (a, b) for a in model.activities for b in after[a] if a != b and a not in after[b]
    )


# --- fitness -------------------------------------------------------------------------------


def check_conformance(
    events: pd.DataFrame,
    variants: pd.Series,
    model: ReferenceModel,
    *,
    max_variants: int,
    time_limit: float,
) -> Conformance:
    """Align the top variants within the limits; add token replay when cases are left over."""
    pm = pm4py()
    started = time.perf_counter()
    counts = variants.value_counts(sort=False)
    order = sorted(counts.index, key=lambda v: (-counts[v], v))
    chosen = order[:max_variants]
    n_cases = int(counts.sum())
    aligned: list[tuple[tuple[str, ...], dict[str, Any] | None]] = []
    reason = ""
    try:
        if chosen:
            aligned = list(zip(chosen, _align(chosen, model, time_limit), strict=True))
    except Exception as error:  # pm4py refuses nets that are not easy-sound, among others
        reason = f"alignments failed ({type(error).__name__}: {str(error)[:120]}); "
        aligned = []
    done = [(v, a) for v, a in aligned if a is not None]
    timed_out = len(aligned) - len(done)
    aligned_cases = sum(int(counts[v]) for v, _ in done)
    share = aligned_cases / n_cases if n_cases else 0.0
    fitness = (
        sum(a["fitness"] * int(counts[v]) for v, a in done) / aligned_cases
        if aligned_cases
        else None
    )
    log_moves: dict[str, int] = {}
    model_moves: dict[str, int] = {}
    for v, a in done:
        seen_log, seen_model = set(), set()
        for log_label, model_label in a["alignment"]:
            if model_label == ">>" and log_label not in seen_log:
                seen_log.add(log_label)
                log_moves[log_label] = log_moves.get(log_label, 0) + int(counts[v])
            elif log_label == ">>" and model_label is not None and model_label not in seen_model:
                seen_model.add(model_label)
                model_moves[model_label] = model_moves.get(model_label, 0) + int(counts[v])
    token: dict[str, float] = {}
    if share < 1.0:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            replay = pm.fitness_token_based_replay(
                events[[CASE, ACTIVITY, TIMESTAMP]], model.net, model.initial, model.final
            )
        # 3 digits: pm4py's replay of silent steps depends on set order in the last digits
        token = {
            "log_fitness": round(float(replay["log_fitness"]), 3),
            "fitting_case_share": round(float(replay["perc_fit_traces"]) / 100, 3),
        }
    if share >= 1.0:
        method = "alignments"
        reason = f"all {len(done)} variants aligned within {time_limit:g} s"
    elif done:
        method = "alignments+token_replay"
        reason += (
            f"aligned the {len(done)} most frequent variants ({share:.1%} of cases; cap "
            f"{max_variants} variants, {time_limit:g} s, {timed_out} timed out); token replay "
            "covers all cases"
        )
    else:
        method = "token_replay"
        reason += "no variant could be aligned within the limits; token replay covers all cases"
    return Conformance(
        method=method,
        reason=reason,
        fitness=round(fitness, 6) if fitness is not None else token.get("log_fitness"),
        aligned_variants=len(done),
        aligned_case_share=share,
        timed_out_variants=timed_out,
        seconds=time.perf_counter() - started,
        token_replay=token,
        log_moves=log_moves,
        model_moves=model_moves,
    )


def _align(chosen: list[tuple[str, ...]], model: ReferenceModel, time_limit: float) -> list:
    """Alignments of one synthetic trace per variant, bounded in total and per trace."""
    from l2csim.pm4py_adapter import pm4py_module

    algorithm = pm4py_module("pm4py.algo.conformance.alignments.petri_net.algorithm")
    rows = [(str(i), activity, j) for i, v in enumerate(chosen) for j, activity in enumerate(v)]
    frame = pd.DataFrame(rows, columns=[CASE, ACTIVITY, "position"])
    frame[TIMESTAMP] = pd.Timestamp("2000-01-01", tz="UTC") + pd.to_timedelta(
        frame["position"], unit="s"
    )
    log = pm4py().convert_to_event_log(frame[[CASE, ACTIVITY, TIMESTAMP]])
    parameters = {
        algorithm.Parameters.PARAM_MAX_ALIGN_TIME: time_limit,
        algorithm.Parameters.PARAM_MAX_ALIGN_TIME_TRACE: max(time_limit / 4, 1.0),
        algorithm.Parameters.SHOW_PROGRESS_BAR: False,
    }
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        results = algorithm.apply_log(log, model.net, model.initial, model.final, parameters)
    by_case = {trace.attributes["concept:name"]: r for trace, r in zip(log, results, strict=True)}
    return [by_case.get(str(i)) for i in range(len(chosen))]
