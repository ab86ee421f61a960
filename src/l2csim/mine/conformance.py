"""Conformance against the documented process (`reference_process:`, BPMN or PNML).

Every figure is computed on variants (one trace per distinct activity sequence, weighted by
its cases): pm4py's token replay and alignments of a trace depend only on its activities, so
this equals replaying every case, at the cost of the variants alone.

Both methods are bounded, since a log can have tens of thousands of variants:
- token replay covers the most frequent variants exactly and, when more remain, a seeded
  random sample of the other cases, giving an estimate with a 95% bootstrap interval (the
  interval and the sample size are in the result);
- alignments (exact, optimal) cover the most frequent variants only, within a total time
  limit; a variant token replay fits without leaving out any activity has alignment
  fitness 1 by construction and is not aligned again.
The result says which method gave which figure and why. The model's structure (which
activities every run must do, which come before which) is derived from its reachability
graph, for the deviation catalogue.
"""

from __future__ import annotations

import time
import warnings
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from l2csim.errors import InputError
from l2csim.pm4py_adapter import pm4py

MAX_STATES = 50_000
BOOTSTRAP = 1000  # resamples behind the token-replay estimate's interval
REPLAY_CHUNK = 50  # variants replayed between looks at the clock
DIJKSTRA_MAX_MARKINGS = 1000  # align without the A* heuristic up to this many markings
Variant = tuple[str, ...]


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
    token_replay: dict[str, Any] = field(default_factory=dict)
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


@dataclass(frozen=True)
class ReferenceStructure:
    """What the deviation catalogue needs from the documented process: small and picklable,
    so a worker process can derive it while the log is still being read."""

    activities: tuple[str, ...]
    mandatory: tuple[str, ...]
    precedence: tuple[tuple[str, str], ...]
    path: Path


def reference_structure(model: ReferenceModel) -> ReferenceStructure:
    """The model's activities, the mandatory ones and the precedence pairs (from one
    reachability graph)."""
    graph = _reachability(model)
    return ReferenceStructure(
        model.activities,
        tuple(mandatory_activities(model, graph)),
        tuple(precedence_pairs(model, graph)),
        model.path,
    )


# --- the model's structure -----------------------------------------------------------------


@dataclass(frozen=True)
class _Graph:
    """The reachability graph: markings numbered in breadth-first order, arcs as arrays."""

    states: int
    final: int | None  # the final marking's number, None when not reached
    source: np.ndarray
    label: np.ndarray  # index into `labels`, -1 for a silent step
    target: np.ndarray
    labels: tuple[str, ...]


def _reachability(model: ReferenceModel, cap: int = MAX_STATES) -> _Graph:
    """Reachable markings from the initial one, breadth-first, transitions in name order, at
    most `cap` explored; each marking's enabled transitions found with one numpy comparison
    against every transition's inputs."""
    places = sorted(model.net.places, key=lambda p: p.name)
    index = {p: i for i, p in enumerate(places)}
    transitions = sorted(model.net.transitions, key=lambda t: t.name)
    pre = np.zeros((len(transitions), len(places)), dtype=np.int64)
    delta = np.zeros_like(pre)
    for i, transition in enumerate(transitions):
        for arc in transition.in_arcs:
            pre[i, index[arc.source]] += arc.weight
            delta[i, index[arc.source]] -= arc.weight
        for arc in transition.out_arcs:
            delta[i, index[arc.target]] += arc.weight
    labels = tuple(model.activities)
    label_of = {name: i for i, name in enumerate(labels)}
    codes = [label_of.get(t.label, -1) if t.label is not None else -1 for t in transitions]
    start = np.zeros(len(places), dtype=np.int64)
    for place, count in model.initial.items():
        start[index[place]] = count
    final = np.zeros(len(places), dtype=np.int64)
    for place, count in model.final.items():
        final[index[place]] = count
    number = {tuple(start.tolist()): 0}
    queue = deque([start])
    source: list[int] = []
    label: list[int] = []
    target: list[int] = []
    head = 0
    while queue and len(number) < cap:
        marking = queue.popleft()
        for i in np.flatnonzero((marking >= pre).all(axis=1)).tolist():
            nxt = marking + delta[i]
            key = tuple(nxt.tolist())
            found = number.get(key)
            if found is None:
                found = number[key] = len(number)
                queue.append(nxt)
            source.append(head)
            label.append(codes[i])
            target.append(found)
        head += 1
    return _Graph(len(number), number.get(tuple(final.tolist())),
                  np.asarray(source, dtype=np.int64), np.asarray(label, dtype=np.int64),
                  np.asarray(target, dtype=np.int64), labels)  # fmt: skip


def _adjacency(graph: _Graph, keep: np.ndarray | None = None):
    from scipy.sparse import csr_matrix

    source, target = graph.source, graph.target
    if keep is not None:
        source, target = source[keep], target[keep]
    ones = np.ones(len(source), dtype=np.int8)
    return csr_matrix((ones, (source, target)), shape=(graph.states, graph.states))


def mandatory_activities(model: ReferenceModel, graph: _Graph | None = None) -> list[str]:
    """Activities every complete run of the model performs: without their transitions the
    final marking cannot be reached. One reachability graph, searched once per activity
    with that activity's arcs left out (it was explored again per activity: 260 s on a
    model with 41 activities and 36k markings)."""
    from scipy.sparse.csgraph import breadth_first_order

    graph = graph if graph is not None else _reachability(model)
    if graph.final is None:  # never reached (or beyond the cap): nothing can be ruled out
        return list(model.activities)
    required = []
    for code, activity in enumerate(graph.labels):
        reached = breadth_first_order(_adjacency(graph, graph.label != code), 0,
                                      directed=True, return_predecessors=False)  # fmt: skip
        if graph.final not in set(reached.tolist()):
            required.append(activity)
    return required


def precedence_pairs(model: ReferenceModel, graph: _Graph | None = None) -> list[tuple[str, str]]:
    """Pairs (a, b) where the model can do b after a but never a after b.

    Computed on the reachability graph: b is reachable after firing a, a never after b. The
    activities reachable from each marking are gathered once per strongly connected
    component, in reverse topological order of the components (as bit sets)."""
    from scipy.sparse.csgraph import connected_components

    graph = graph if graph is not None else _reachability(model)
    n, component = connected_components(_adjacency(graph), directed=True, connection="strong")
    own = [0] * n  # activities on arcs leaving the component's markings
    for s, code in zip(component[graph.source].tolist(), graph.label.tolist(), strict=True):
        if code >= 0:
            own[s] |= 1 << code
    between = {
        (a, b)
        for a, b in zip(component[graph.source].tolist(), component[graph.target].tolist(),
                        strict=True)
        if a != b
    }  # fmt: skip
    successors: list[list[int]] = [[] for _ in range(n)]
    waiting = [0] * n  # successors not yet finished
    predecessors: list[list[int]] = [[] for _ in range(n)]
    for a, b in between:
        successors[a].append(b)
        predecessors[b].append(a)
        waiting[a] += 1
    reach = own[:]
    ready = deque(c for c in range(n) if waiting[c] == 0)
    while ready:  # sinks first: a component's set is complete before its predecessors read it
        c = ready.popleft()
        for d in successors[c]:
            reach[c] |= reach[d]
        for p in predecessors[c]:
            waiting[p] -= 1
            if waiting[p] == 0:
                ready.append(p)
    after = [0] * len(graph.labels)
    for code, t in zip(graph.label.tolist(), component[graph.target].tolist(), strict=True):
        if code >= 0:
            after[code] |= reach[t]
    names = graph.labels
    return sorted(
        (names[a], names[b])
        for a in range(len(names))
        for b in range(len(names))
        if a != b and after[a] >> b & 1 and not after[b] >> a & 1
    )


# --- fitness -------------------------------------------------------------------------------


def ranked_variants(variants: pd.Series) -> list[tuple[Variant, int]]:
    """Each distinct variant with its number of cases, most frequent first (ties by the
    sequence), from the case → variant series `case_variants` gives."""
    counts = variants.value_counts(sort=False)
    pairs = [(tuple(v), int(n)) for v, n in counts.items()]
    return sorted(pairs, key=lambda pair: (-pair[1], pair[0]))


def check_conformance(
    ranked: Sequence[tuple[Variant, int]],
    model: ReferenceModel,
    *,
    max_variants: int,
    time_limit: float,
    replay_variants: int = 100,
    replay_sample: int = 200,
    replay_time_limit: float = 60.0,
    seed: int = 0,
) -> Conformance:
    """Token replay (exact on the top `replay_variants`, sampled beyond), then alignments of
    the top `max_variants` variants within `time_limit` seconds; see the module docstring."""
    started = time.perf_counter()
    ranked = list(ranked)
    n_cases = sum(n for _, n in ranked)
    replay, per_variant = token_replay(
        ranked, model, exact_variants=replay_variants, sample_cases=replay_sample,
        time_limit=replay_time_limit, seed=seed,
    )  # fmt: skip
    chosen = ranked[:max_variants]
    labels = set(model.activities)
    known = {  # fits by token replay with every activity in the model: alignment fitness 1
        v for v, _ in chosen
        if (r := per_variant.get(v)) is not None and r["trace_is_fit"] and labels.issuperset(v)
    }  # fmt: skip
    to_align = [v for v, _ in chosen if v not in known]
    reason = ""
    try:
        found = dict(zip(to_align, _align(to_align, model, time_limit), strict=True))
    except Exception as error:  # pm4py refuses nets that are not easy-sound, among others
        reason = f"alignments failed ({type(error).__name__}: {str(error)[:120]}); "
        found, known, chosen = {}, set(), []
    perfect = {"fitness": 1.0, "alignment": []}
    aligned = [(v, n, perfect if v in known else found.get(v)) for v, n in chosen]
    done = [(v, n, a) for v, n, a in aligned if a is not None]
    timed_out = len(aligned) - len(done)
    aligned_cases = sum(n for _, n, _ in done)
    share = aligned_cases / n_cases if n_cases else 0.0
    fitness = sum(a["fitness"] * n for _, n, a in done) / aligned_cases if aligned_cases else None
    log_moves: dict[str, int] = {}
    model_moves: dict[str, int] = {}
    for _, n, a in done:
        seen_log, seen_model = set(), set()
        for log_label, model_label in a["alignment"]:
            if model_label == ">>" and log_label not in seen_log:
                seen_log.add(log_label)
                log_moves[log_label] = log_moves.get(log_label, 0) + n
            elif log_label == ">>" and model_label is not None and model_label not in seen_model:
                seen_model.add(model_label)
                model_moves[model_label] = model_moves.get(model_label, 0) + n
    replay_note = replay.get("note", "")
    if share >= 1.0:
        method = "alignments"
        reason += f"all {len(done)} variants aligned within {time_limit:g} s"
        if known:
            reason += f" ({len(known)} fit by token replay, fitness 1 without aligning)"
    elif done:
        method = "alignments+token_replay"
        reason += (
            f"aligned the {len(done)} most frequent variants ({share:.1%} of cases; cap "
            f"{max_variants} variants, {time_limit:g} s, {timed_out} timed out"
            + (f"; {len(known)} fit by token replay, fitness 1 without aligning" if known else "")
            + f"); token replay {replay_note}"
        )
    else:
        method = "token_replay"
        reason += f"no variant could be aligned within the limits; token replay {replay_note}"
    return Conformance(
        method=method,
        reason=reason,
        fitness=round(fitness, 6) if fitness is not None else replay.get("log_fitness"),
        aligned_variants=len(done),
        aligned_case_share=share,
        timed_out_variants=timed_out,
        seconds=time.perf_counter() - started,
        token_replay={k: v for k, v in replay.items() if k != "note"},
        log_moves=log_moves,
        model_moves=model_moves,
    )


TOKEN_FIELDS = ("missing_tokens", "consumed_tokens", "remaining_tokens", "produced_tokens")


def token_replay(
    ranked: Sequence[tuple[Variant, int]],
    model: ReferenceModel,
    *,
    exact_variants: int,
    sample_cases: int,
    time_limit: float,
    seed: int = 0,
) -> tuple[dict[str, Any], dict[Variant, dict[str, Any]]]:
    """pm4py's token-based replay fitness of the log, from its variants.

    Log fitness is pm4py's: ½(1 − missing/consumed) + ½(1 − remaining/produced), tokens
    summed over cases. The `exact_variants` most frequent variants are replayed and weighted
    by their cases; when more variants remain than `sample_cases`, `sample_cases` cases are
    drawn at random (seeded, with replacement) from the remaining ones, each sampled variant
    replayed once, and their tokens scaled up to the remaining cases: an unbiased estimate of
    the totals, with a 95% percentile-bootstrap interval. Otherwise every variant is
    replayed: exact. The clock is read every REPLAY_CHUNK variants; past `time_limit` (half
    of it for the exact part) replay stops and the figures rest on what was replayed, said
    in the note. Returns the figures and each replayed variant's pm4py result."""
    deadline = time.perf_counter() + time_limit
    ranked = list(ranked)
    n_cases = sum(n for _, n in ranked)
    if len(ranked) <= exact_variants + sample_cases:
        exact_variants = len(ranked)
    replayed = _replay(
        [v for v, _ in ranked[:exact_variants]], model,
        deadline - time_limit / 2 if exact_variants < len(ranked) else deadline,
    )  # fmt: skip
    cut = len(replayed)  # variants replayed exactly (all of the top ones unless timed out)
    weights = np.array([n for _, n in ranked[:cut]], dtype=float)
    exact = _token_matrix([replayed[v] for v, _ in ranked[:cut]])
    totals = weights @ exact if cut else np.zeros(5)
    rest = ranked[cut:]
    rest_cases = sum(n for _, n in rest)
    figures: dict[str, Any] = {
        "replayed_variants": cut,
        "exact_case_share": _share(weights.sum(), n_cases),
    }
    if not rest:
        figures.update(_fitness(totals, n_cases), method="all variants")
        figures["note"] = f"replayed all {cut} variants (exact)"
        return _rounded(figures), replayed
    probabilities = np.array([n for _, n in rest], dtype=float) / rest_cases
    draws = np.random.default_rng(seed).choice(len(rest), size=sample_cases, p=probabilities)
    wanted = [rest[i][0] for i in dict.fromkeys(draws.tolist())]  # in order of first draw
    sampled = _replay(wanted, model, deadline)
    replayed.update(sampled)
    missing = [k for k, i in enumerate(draws.tolist()) if rest[i][0] not in sampled]
    draws = draws[: missing[0]] if missing else draws  # cut short: a prefix is still random
    limited = bool(missing) or cut < exact_variants
    if len(draws) == 0:
        figures.update(_fitness(totals, weights.sum()), method="top variants only")
        figures["note"] = (
            f"replayed the {cut} most frequent variants ({figures['exact_case_share']:.1%} of "
            f"cases) before the {time_limit:g} s limit; the others are not estimated"
        )
        return _rounded(figures), replayed
    rows = _token_matrix([replayed[rest[i][0]] for i in draws])
    estimate = totals + rest_cases * rows.mean(axis=0)
    figures.update(_fitness(estimate, n_cases), method="sample")
    resamples = np.random.default_rng(seed + 1).integers(0, len(rows), size=(BOOTSTRAP, len(rows)))
    boot = totals + rest_cases * rows[resamples].mean(axis=1)
    fit_boot = _fitness_arrays(boot, n_cases)
    figures["sampled_cases"] = len(draws)
    figures["sampled_variants"] = len(sampled)
    figures["ci95"] = {
        key: [float(np.percentile(values, 2.5)), float(np.percentile(values, 97.5))]
        for key, values in fit_boot.items()
    }
    figures["note"] = (
        f"replayed the {cut} most frequent variants ({figures['exact_case_share']:.1%} of cases) "
        f"exactly and estimated the other {rest_cases:,} cases from a random sample of "
        f"{len(draws)} of them ({len(sampled)} variants, seed {seed}); log fitness "
        f"{figures['log_fitness']:.3f} (95% interval {figures['ci95']['log_fitness'][0]:.3f}–"
        f"{figures['ci95']['log_fitness'][1]:.3f})"
        + (f"; cut short by the {time_limit:g} s limit" if limited else "")
    )
    return _rounded(figures), replayed


def _replay(variants: list[Variant], model: ReferenceModel, deadline: float) -> dict[Variant, dict]:
    """pm4py's token replay of one trace per variant, a chunk at a time until `deadline`."""
    from l2csim.pm4py_adapter import pm4py_module

    if not variants:
        return {}
    algorithm = pm4py_module("pm4py.algo.conformance.tokenreplay.variants.token_replay")
    parameters = {
        algorithm.Parameters.SHOW_PROGRESS_BAR: False,
        algorithm.Parameters.PLACES_SHORTEST_PATH_BY_HIDDEN: (
            algorithm.get_places_shortest_path_by_hidden(
                model.net, algorithm.TechnicalParameters.MAX_REC_DEPTH.value
            )
        ),
    }
    done: dict[Variant, dict] = {}
    for first in range(0, len(variants), REPLAY_CHUNK):
        if time.perf_counter() > deadline:
            break
        chunk = variants[first : first + REPLAY_CHUNK]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            results = algorithm.apply(_trace_log(chunk), model.net, model.initial, model.final,
                                      parameters=dict(parameters))  # fmt: skip
        for variant, result in zip(chunk, results, strict=True):
            done[variant] = {k: result[k] for k in ("trace_is_fit", *TOKEN_FIELDS)}
    return done


def _token_matrix(results: list[dict]) -> np.ndarray:
    """Rows (missing, consumed, remaining, produced, fits) per replayed trace."""
    if not results:
        return np.zeros((0, 5))
    return np.array([[*(float(r[k]) for k in TOKEN_FIELDS), float(r["trace_is_fit"])]
                     for r in results])  # fmt: skip


def _fitness_arrays(totals: np.ndarray, cases: float) -> dict[str, np.ndarray]:
    m, c, r, p, fits = (totals[..., i] for i in range(5))
    with np.errstate(divide="ignore", invalid="ignore"):
        log_fitness = 0.5 * (1 - m / c) + 0.5 * (1 - r / p)
    return {"log_fitness": log_fitness, "fitting_case_share": fits / cases}


def _fitness(totals: np.ndarray, cases: float) -> dict[str, float]:
    return {k: float(v) for k, v in _fitness_arrays(totals, max(cases, 1.0)).items()}


def _share(part: float, whole: float) -> float:
    return float(part) / whole if whole else 0.0


def _rounded(figures: dict[str, Any]) -> dict[str, Any]:
    """3 digits: pm4py's replay of silent steps depends on set order in the last digits."""
    out = dict(figures)
    for key in ("log_fitness", "fitting_case_share", "exact_case_share"):
        out[key] = round(out[key], 3)
    if "ci95" in out:
        out["ci95"] = {k: [round(x, 3) for x in v] for k, v in out["ci95"].items()}
    return out


def _trace_log(variants: list[Variant]):
    """A pm4py EventLog with one trace per variant, in the given order."""
    from l2csim.pm4py_adapter import pm4py_module

    obj = pm4py_module("pm4py.objects.log.obj")
    return obj.EventLog([obj.Trace([obj.Event({"concept:name": a}) for a in v]) for v in variants])


def _align(chosen: list[Variant], model: ReferenceModel, time_limit: float) -> list:
    """Optimal alignments of one trace per variant, bounded in total and per trace.

    Both of pm4py's exact searches find an optimal alignment (the same cost, so the same
    fitness); which is faster depends on the model. The A* search's state-equation heuristic
    solves a linear program per state: on a model with few reachable markings that costs
    more than it saves, and Dijkstra's search without it is used (4.7x faster on BPI
    Challenge 2012's variants against its inductive model, 87 markings); with concurrency
    (36k markings on the 44-activity test log) the heuristic's pruning is worth 100x."""
    from l2csim.pm4py_adapter import pm4py_module

    if not chosen:
        return []
    algorithm = pm4py_module("pm4py.algo.conformance.alignments.petri_net.algorithm")
    parameters = {
        algorithm.Parameters.PARAM_MAX_ALIGN_TIME: time_limit,
        algorithm.Parameters.PARAM_MAX_ALIGN_TIME_TRACE: max(time_limit / 4, 1.0),
        algorithm.Parameters.SHOW_PROGRESS_BAR: False,
    }
    small = _reachability(model, cap=DIJKSTRA_MAX_MARKINGS + 1).states <= DIJKSTRA_MAX_MARKINGS
    search = (
        algorithm.Variants.VERSION_DIJKSTRA_NO_HEURISTICS
        if small
        else algorithm.Variants.VERSION_STATE_EQUATION_A_STAR
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return algorithm.apply_log(
            _trace_log(chosen), model.net, model.initial, model.final, parameters, variant=search
        )
