"""The discovered process as BPMN: inductive miner with a noise threshold, saved and drawn.

The `.bpmn` file opens in bpmn.io and Camunda Modeler (pm4py lays it out). The picture is
drawn from our own DOT, so activity names from the log are escaped like every other label.
"""

from __future__ import annotations

import os
import re
import tempfile
import warnings
from collections import Counter
from collections.abc import Mapping
from itertools import pairwise
from pathlib import Path
from typing import Any

import pandas as pd

from l2csim.log import ACTIVITY, CASE, TIMESTAMP
from l2csim.mine.maps import dot_label
from l2csim.pm4py_adapter import pm4py, require_graphviz

UUID_ID = re.compile(r"id[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def discover_bpmn(log: pd.DataFrame | Mapping[tuple[str, ...], int], noise_threshold: float) -> Any:
    """Inductive miner (infrequent variant when noise_threshold > 0) → BPMN model.

    `log` is an event log or its variant counts in the order cases first show them (as
    `Counter(case_variants(events))` gives): the miner reads only the variants, so both give
    the same model, and the counts travel to a worker process without the events."""
    pm = pm4py()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if isinstance(log, pd.DataFrame):
            model = pm.discover_bpmn_inductive(
                log[[CASE, ACTIVITY, TIMESTAMP]], noise_threshold=noise_threshold
            )
        else:
            model = pm.convert_to_bpmn(_inductive_tree(Counter(log), noise_threshold))
    return canonical_model(model)


def _inductive_tree(variants: Counter, noise_threshold: float) -> Any:
    """What pm4py.discover_process_tree_inductive does once it has the variants (its
    `inductive.algorithm.apply`, whose check for variant counts never matches a Counter),
    with the directly-follows graph of each sub-log counted by `dfg_of_variants`."""
    from pm4py.algo.discovery.inductive.dtypes.im_ds import IMDataStructureUVCL
    from pm4py.algo.discovery.inductive.variants.im import IMUVCL
    from pm4py.algo.discovery.inductive.variants.imf import IMFUVCL
    from pm4py.objects.process_tree.utils import generic
    from pm4py.util.compression import util

    parameters = {"noise_threshold": noise_threshold, "multiprocessing": False,
                  "disable_fallthroughs": False}  # fmt: skip
    miner = IMFUVCL(parameters) if noise_threshold > 0 else IMUVCL(parameters)
    pm4pys = util.discover_dfg_uvcl
    util.discover_dfg_uvcl = dfg_of_variants  # looked up there on every call
    try:
        tree = generic.fold(miner.apply(IMDataStructureUVCL(variants), parameters))
    finally:
        util.discover_dfg_uvcl = pm4pys
    generic.tree_sort(tree)
    return tree


def dfg_of_variants(log: Mapping[tuple[str, ...], int]) -> Any:
    """pm4py's `discover_dfg_uvcl`, the same DFG with its keys in the same order, summed in
    plain dicts: pm4py makes one Counter.update per transition, 2.7 million of them on BPIC
    2012 x3, which made its inductive miner 3x slower (the miner recounts every sub-log)."""
    from pm4py.objects.dfg.obj import DFG
    from pm4py.util.compression import util

    dfg = DFG()
    graph: dict[tuple[str, str], int] = {}
    starts: dict[str, int] = {}
    ends: dict[str, int] = {}
    for trace, count in log.items():
        for pair in pairwise(trace):
            graph[pair] = graph.get(pair, 0) + count
        if trace:
            starts[trace[0]] = starts.get(trace[0], 0) + count
            ends[trace[-1]] = ends.get(trace[-1], 0) + count
    dfg.graph.update(graph)  # an empty Counter takes the dict's order
    for activity in util.get_alphabet(log):  # pm4py's order: the alphabet's
        if activity in starts:
            dfg.start_activities[activity] = starts[activity]
        if activity in ends:
            dfg.end_activities[activity] = ends[activity]
    return dfg


def write_bpmn(model: Any, path: Path) -> Path:
    """Save as BPMN 2.0 XML with diagram layout, atomically."""
    path.parent.mkdir(parents=True, exist_ok=True)
    text = bpmn_xml(model)
    with tempfile.TemporaryDirectory(dir=path.parent, prefix=".bpmn-") as scratch:
        draft = Path(scratch) / "process.bpmn"
        draft.write_text(text, encoding="utf-8")
        os.replace(draft, path)
    return path


def bpmn_xml(model: Any) -> str:
    """BPMN 2.0 XML with diagram layout (pm4py lays it out with dot), its random diagram ids
    replaced by diagram0, diagram1, ... so the text is the same on every run."""
    require_graphviz()  # pm4py's layout uses dot
    pm = pm4py()
    with tempfile.TemporaryDirectory(prefix="l2csim-bpmn-") as scratch:
        draft = Path(scratch) / "process.bpmn"  # pm4py insists on the .bpmn suffix
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            pm.write_bpmn(model, str(draft), auto_layout=True)
        text = draft.read_text(encoding="utf-8")
    uuids = list(dict.fromkeys(UUID_ID.findall(text)))  # the diagram's own random ids
    for i, found in enumerate(uuids):
        text = text.replace(found, f"diagram{i}")
    return text


def canonical_model(model: Any) -> Any:
    """The same model with ids and element order that do not change between runs.

    pm4py names elements with random UUIDs and keeps them in sets, so its XML would differ
    on every run; ours is rebuilt from lists in canonical order with ids node0, flow0, ...
    (set through pm4py's private attributes: BPMN nodes and flows have no id setters).
    """
    pm4py()
    from pm4py.objects.bpmn.obj import BPMN

    nodes = canonical_nodes(model)
    position = {id(n): i for i, n in enumerate(nodes)}
    flows = sorted(
        model.get_flows(),
        key=lambda f: (position[id(f.get_source())], position[id(f.get_target())]),
    )
    for i, node in enumerate(nodes):
        node._BPMNNode__id = f"node{i}"
        node.set_process("process")
    for i, flow in enumerate(flows):
        flow._Flow__id = f"flow{i}"
        flow.set_process("process")
    return BPMN(process_id="process", name=model.get_name(), nodes=nodes, flows=flows)


def canonical_nodes(model: Any) -> list[Any]:
    """Nodes in an order independent of pm4py's random ids: breadth-first from the start
    event, successors by kind and name (so the drawing is the same on every run)."""
    outgoing: dict[Any, list[Any]] = {}
    for flow in model.get_flows():
        outgoing.setdefault(flow.get_source(), []).append(flow.get_target())

    incoming: dict[Any, list[Any]] = {}
    for flow in model.get_flows():
        incoming.setdefault(flow.get_target(), []).append(flow.get_source())

    def name(node: Any) -> str:
        return f"{type(node).__name__}:{node.get_name() or ''}"

    def key(node: Any) -> tuple[str, tuple[str, ...], tuple[str, ...]]:
        # gateways have no name: tell them apart by what they connect
        after = tuple(sorted(name(n) for n in outgoing.get(node, [])))
        before = tuple(sorted(name(n) for n in incoming.get(node, [])))
        return (name(node), after, before)

    nodes = list(model.get_nodes())
    starts = sorted((n for n in nodes if type(n).__name__.endswith("StartEvent")), key=key)
    order: list[Any] = []
    seen: set[int] = set()
    queue = list(starts) or sorted(nodes, key=key)[:1]
    while queue:
        node = queue.pop(0)
        if id(node) in seen:
            continue
        seen.add(id(node))
        order.append(node)
        queue.extend(sorted(outgoing.get(node, []), key=key))
    order.extend(sorted((n for n in nodes if id(n) not in seen), key=key))
    return order


def bpmn_dot(model: Any):  # -> graphviz.Digraph
    """Draw a BPMN model: tasks as boxes, gateways as diamonds, events as circles."""
    import graphviz

    dot = graphviz.Digraph(graph_attr={"rankdir": "LR", "fontname": "Helvetica"})
    dot.attr("node", fontname="Helvetica", fontsize="11")
    nodes = sorted(model.get_nodes(), key=lambda n: str(n.get_id()))
    ids = {n: f"n{i}" for i, n in enumerate(nodes)}
    for node in nodes:
        kind = type(node).__name__
        if kind.endswith("StartEvent"):
            dot.node(
                ids[node],
                label="",
                shape="circle",
                style="filled",
                fillcolor="#4caf50",
                width="0.35",
            )
        elif kind.endswith("EndEvent"):
            dot.node(ids[node], label="", shape="circle", penwidth="3", width="0.35")
        elif kind.endswith("Gateway"):
            sign = {"ParallelGateway": "+", "InclusiveGateway": "o"}.get(kind, "×")
            dot.node(ids[node], label=sign, shape="diamond", width="0.4", height="0.4",
                     fixedsize="true")  # fmt: skip
        else:
            dot.node(ids[node], label=dot_label(node.get_name()), shape="box", style="rounded,filled",
                     fillcolor="#e3f2fd")  # fmt: skip
    flows = sorted(model.get_flows(), key=lambda f: (ids[f.get_source()], ids[f.get_target()]))
    for flow in flows:
        dot.edge(ids[flow.get_source()], ids[flow.get_target()])
    return dot
