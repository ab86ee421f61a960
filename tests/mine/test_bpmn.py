"""The discovered BPMN model: the same from variant counts as from the events, and the
directly-follows counting we hand pm4py's miner equals pm4py's own."""

from __future__ import annotations

from collections import Counter

from l2csim.log import read_log
from l2csim.mine.bpmn import bpmn_xml, dfg_of_variants, discover_bpmn
from l2csim.mine.variants import case_variants
from l2csim.pm4py_adapter import pm4py


def test_model_from_variant_counts_equals_model_from_events(shared_data):
    events = read_log(shared_data / "helpdesk.xes.gz").events
    counts = Counter(case_variants(events).tolist())
    for noise in (0.0, 0.2):
        assert bpmn_xml(discover_bpmn(counts, noise)) == bpmn_xml(discover_bpmn(events, noise))
    from pm4py.util.compression import util

    assert util.discover_dfg_uvcl is not dfg_of_variants  # the miner's patch is undone


def test_dfg_of_variants_is_pm4pys_with_the_same_key_order(shared_data):
    pm4py()
    from pm4py.util.compression import util

    events = read_log(shared_data / "receipt.csv.gz").events
    counts = Counter(case_variants(events).tolist())
    counts[()] = 2  # an empty trace counts for nothing
    theirs, ours = util.discover_dfg_uvcl(counts), dfg_of_variants(counts)
    for part in ("graph", "start_activities", "end_activities"):
        assert list(getattr(ours, part).items()) == list(getattr(theirs, part).items()), part
