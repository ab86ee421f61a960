"""Conformance on the real logs with their documented models: bounded, and says how."""

from __future__ import annotations

import pytest

from l2csim.errors import InputError
from l2csim.log import read_log
from l2csim.mine.conformance import (
    check_conformance,
    load_reference,
    mandatory_activities,
    precedence_pairs,
)
from l2csim.mine.variants import case_variants


def test_running_example_structure_and_alignment(shared_data):
    model = load_reference(shared_data / "running-example.bpmn")
    assert mandatory_activities(model) == ["check ticket", "decide", "register request"]
    pairs = precedence_pairs(model)
    assert ("register request", "decide") in pairs
    assert ("decide", "register request") not in pairs
    assert ("decide", "reinitiate request") not in pairs  # a loop: both orders are allowed
    events = read_log(shared_data / "running-example.xes.gz").events
    result = check_conformance(events, case_variants(events), model, max_variants=50, time_limit=30)
    assert result.method == "alignments"
    assert result.aligned_case_share == 1.0


def test_variant_cap_falls_back_to_token_replay(shared_data):
    model = load_reference(shared_data / "receipt.bpmn")
    events = read_log(shared_data / "receipt.csv.gz").events
    result = check_conformance(events, case_variants(events), model, max_variants=3, time_limit=20)
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
