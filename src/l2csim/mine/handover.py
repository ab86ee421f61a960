"""The handover-of-work network: who passes cases to whom, and how often.

A handover is one event followed, in the same case, by an event of a different resource
(or team). Counting them shows where work crosses desks, where it waits and who depends
on whom.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from l2csim.log import CASE
from l2csim.mine.maps import dot_label

HANDOVER_COLUMNS = ["source", "target", "handovers", "cases"]


def handovers(ordered_events: pd.DataFrame, by: str) -> pd.DataFrame:
    """Handover counts between consecutive events' `by` values (events in case order)."""
    case = ordered_events[CASE].to_numpy()
    who = ordered_events[by].to_numpy()
    same_case = case[:-1] == case[1:]
    present = pd.notna(who[:-1]) & pd.notna(who[1:])
    differs = np.zeros(len(who) - 1, dtype=bool) if len(who) else np.zeros(0, dtype=bool)
    if len(who) > 1:
        differs = present & (who[:-1].astype(str) != who[1:].astype(str))
    keep = same_case & differs if len(who) > 1 else differs
    frame = pd.DataFrame(
        {"source": who[:-1][keep], "target": who[1:][keep], "case": case[:-1][keep]}
    )
    if frame.empty:
        return pd.DataFrame(columns=HANDOVER_COLUMNS)
    table = frame.groupby(["source", "target"], sort=True).agg(
        handovers=("case", "size"), cases=("case", "nunique")
    )
    table = table.reset_index().sort_values("handovers", ascending=False, kind="mergesort")
    return table.reset_index(drop=True)[HANDOVER_COLUMNS]


def handover_dot(table: pd.DataFrame, max_edges: int = 60, title: str = ""):
    """Draw the strongest handovers (graphviz Digraph); labels are escaped log text."""
    import graphviz

    shown = table.head(max_edges)
    dot = graphviz.Digraph(graph_attr={"rankdir": "LR", "fontname": "Helvetica"})
    dot.attr("node", shape="ellipse", style="filled", fillcolor="#fff3e0", fontname="Helvetica",
             fontsize="11")  # fmt: skip
    dot.attr("edge", fontname="Helvetica", fontsize="9")
    if title:
        dot.attr(label=dot_label(title), labelloc="t")
    names = sorted(set(map(str, shown["source"])) | set(map(str, shown["target"])))
    ids = {name: f"r{i}" for i, name in enumerate(names)}
    for name in names:
        dot.node(ids[name], label=dot_label(name))
    peak = max(int(shown["handovers"].max()), 1) if len(shown) else 1
    for source, target, count, _cases in shown.itertuples(index=False):
        dot.edge(ids[str(source)], ids[str(target)], label=f"{int(count):,}",
                 penwidth=f"{1 + 4 * count / peak:.2f}")  # fmt: skip
    return dot
