"""Conformance on the real logs with their documented models: bounded, and says how;
figures from variants equal pm4py's on every case."""

from __future__ import annotations

import warnings

import pytest

from l2csim.errors import InputError
from l2csim.log import ACTIVITY, CASE, TIMESTAMP, read_log
from l2csim.mine.conformance import (
    check_conformance,
    load_reference,
    mandatory_activities,
    precedence_pairs,
    ranked_variants,
    reference_structure,
    token_replay,
)
from l2csim.mine.variants import case_variants
from l2csim.pm4py_adapter import pm4py


def test_running_example_structure_and_alignment(shared_data):
    model = load_reference(shared_data / "running-example.bpmn")
    assert mandatory_activities(model) == ["check ticket", "decide", "register request"]
    pairs = precedence_pairs(model)
    assert ("register request", "decide") in pairs
    assert ("decide", "register request") not in pairs
    assert ("decide", "reinitiate request") not in pairs  # a loop: both orders are allowed
    events = read_log(shared_data / "running-example.xes.gz").events
    result = check_conformance(
        ranked_variants(case_variants(events)), model, max_variants=50, time_limit=30
    )
    assert result.method == "alignments"
    assert result.aligned_case_share == 1.0


def test_variant_cap_falls_back_to_token_replay(shared_data):
    model = load_reference(shared_data / "receipt.bpmn")
    events = read_log(shared_data / "receipt.csv.gz").events
    result = check_conformance(
        ranked_variants(case_variants(events)), model, max_variants=3, time_limit=20
    )
    assert result.method == "alignments+token_replay"
    assert result.aligned_variants == 3
    assert 0 < result.aligned_case_share < 1
    assert "cap 3 variants" in result.reason
    assert 0 <= result.token_replay["log_fitness"] <= 1


def test_unreadable_model_is_one_clear_error(tmp_path):
    bad = tmp_path / "model.bpmn"
    bad.write_text("<not bpmn", encoding="utf-8")
    with pytest.raises(InputError, match=r"model\.bpmn: not a readable process model"):
        load_reference(bad)
    with pytest.raises(InputError, match=r"\.bpmn or \.pnml"):
        load_reference(tmp_path / "model.txt")


@pytest.fixture(scope="module")
def helpdesk_unfit(shared_data, tmp_path_factory):
    """Help desk cases against a model mined from a tenth of them (noise 0.5): many misfit."""
    events = read_log(shared_data / "helpdesk.xes.gz").events
    first = sorted(events[CASE].unique())[: events[CASE].nunique() // 10]
    pm = pm4py()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        bpmn = pm.discover_bpmn_inductive(
            events[events[CASE].isin(first)][[CASE, ACTIVITY, TIMESTAMP]], noise_threshold=0.5
        )
    path = tmp_path_factory.mktemp("model") / "model.bpmn"
    pm.write_bpmn(bpmn, str(path))
    return events, load_reference(path)


def test_replay_of_variants_equals_pm4pys_replay_of_every_case(helpdesk_unfit):
    events, model = helpdesk_unfit
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        per_case = pm4py().fitness_token_based_replay(
            events[[CASE, ACTIVITY, TIMESTAMP]], model.net, model.initial, model.final
        )
    ranked = ranked_variants(case_variants(events))
    figures, replayed = token_replay(ranked, model, exact_variants=len(ranked), sample_cases=1,
                                     time_limit=120)  # fmt: skip
    assert figures["method"] == "all variants" and len(replayed) == len(ranked)
    assert per_case["log_fitness"] < 1 and per_case["perc_fit_traces"] < 95  # it misfits
    assert figures["log_fitness"] == round(per_case["log_fitness"], 3)
    assert figures["fitting_case_share"] == round(per_case["perc_fit_traces"] / 100, 3)


def test_sampled_replay_states_its_sample_and_its_interval_holds_the_exact_figure(helpdesk_unfit):
    events, model = helpdesk_unfit
    ranked = ranked_variants(case_variants(events))
    exact, _ = token_replay(ranked, model, exact_variants=len(ranked), sample_cases=1,
                            time_limit=120)  # fmt: skip
    sampled, replayed = token_replay(ranked, model, exact_variants=5, sample_cases=60,
                                     time_limit=120)  # fmt: skip
    assert sampled["method"] == "sample" and sampled["sampled_cases"] == 60
    assert sampled["replayed_variants"] == 5 and len(replayed) < len(ranked)
    assert "random sample of 60" in sampled["note"] and "95% interval" in sampled["note"]
    for key in ("log_fitness", "fitting_case_share"):  # seeded: the same sample every run
        low, high = sampled["ci95"][key]
        assert low <= exact[key] <= high, key
        assert high - low < 0.2
    again, _ = token_replay(ranked, model, exact_variants=5, sample_cases=60, time_limit=120)
    assert again == sampled


def test_alignment_fitness_equals_pm4pys_default_alignments(helpdesk_unfit):
    """Dijkstra finds alignments of the same optimal cost as pm4py's A*; variants token replay
    fits with every activity in the model are given fitness 1 without aligning."""
    from l2csim.mine.conformance import _trace_log
    from l2csim.pm4py_adapter import pm4py_module

    events, model = helpdesk_unfit
    ranked = ranked_variants(case_variants(events))
    result = check_conformance(ranked, model, max_variants=15, time_limit=60)
    assert result.aligned_variants == 15 and "fit by token replay" in result.reason
    algorithm = pm4py_module("pm4py.algo.conformance.alignments.petri_net.algorithm")
    top = ranked[:15]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        aligned = algorithm.apply_log(_trace_log([v for v, _ in top]), model.net, model.initial,
                                      model.final, {"show_progress_bar": False})  # fmt: skip
    expected = sum(a["fitness"] * n for a, (_, n) in zip(aligned, top, strict=True))
    assert result.fitness == round(expected / sum(n for _, n in top), 6)


def test_structure_is_what_the_model_says(shared_data):
    model = load_reference(shared_data / "running-example.bpmn")
    structure = reference_structure(model)
    assert list(structure.mandatory) == mandatory_activities(model)
    assert list(structure.precedence) == precedence_pairs(model)
    assert structure.activities == model.activities
