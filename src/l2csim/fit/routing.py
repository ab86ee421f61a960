"""The as-is routing of each segment's orders as a first-order Markov chain over activities.

Why a Markov chain rather than sampling whole variants: it generalises to paths the log has
not shown yet in the same proportions, stays small (activities², not variants) and keeps
informal steps and rework loops exactly where the log puts them. Its limits, which a reader
of the results must know:

- first-order memory: the next step depends only on the current one, so a rule such as
  "credit check only once per order" or "confirm before pick when the customer is new" is
  lost; long-range dependencies are averaged;
- loop counts come out geometric: a rework loop repeated with probability p runs k times
  with probability p^k (1 - p), whatever the log's real distribution of repetitions;
- concurrency is flattened: events are ordered by completion time, so parallel branches
  appear as interleavings.

Chase calls, courtesy calls and expedite steps are left out of the chain: the simulation
raises them itself from customer behaviour and the courtesy-call policy, so keeping them
here would count them twice.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from l2csim.log import ACTIVITY, CASE
from l2csim.params import END_NODE, START_NODE, Provenance, Routing


def transition_counts(
    events: pd.DataFrame, case_segment: pd.Series, exclude: Iterable[str] = ()
) -> pd.Series:
    """Counts of (segment, from, to) steps, START and END included; events sorted by case."""
    kept = events.loc[~events[ACTIVITY].isin(list(exclude)), [CASE, ACTIVITY]]
    cases = kept[CASE].to_numpy()
    activities = kept[ACTIVITY].to_numpy(dtype=object)
    if len(cases) == 0:
        return pd.Series(dtype="int64")
    first = np.r_[True, cases[1:] != cases[:-1]]
    last = np.r_[cases[1:] != cases[:-1], True]
    source = np.where(first, START_NODE, np.r_[[None], activities[:-1]])
    steps = pd.DataFrame(
        {
            "case": np.r_[cases, cases[last]],
            "from": np.r_[source, activities[last]],
            "to": np.r_[activities, np.full(int(last.sum()), END_NODE, dtype=object)],
        }
    )
    steps["segment"] = case_segment.reindex(steps["case"]).to_numpy()
    return steps.groupby(["segment", "from", "to"], sort=True).size()


def fit_routing(
    events: pd.DataFrame, case_segment: pd.Series, exclude: Iterable[str] = ()
) -> list[Routing]:
    """One Markov chain per segment: transitions[a][b] = share of a's steps that go to b."""
    counts = transition_counts(events, case_segment, exclude)
    if counts.empty:
        return []
    routings = []
    for segment, by_segment in counts.groupby(level="segment", sort=True):
        by_segment = by_segment.droplevel("segment")
        totals = by_segment.groupby(level="from").sum()
        transitions: dict[str, dict[str, float]] = {}
        for (source, target), count in by_segment.items():
            transitions.setdefault(str(source), {})[str(target)] = float(count) / float(
                totals[source]
            )
        n_cases = int(totals.get(START_NODE, 0))
        routings.append(
            Routing(
                segment=str(segment),
                transitions=transitions,
                cases=n_cases,
                provenance=Provenance(
                    source="log",
                    detail=f"{int(by_segment.sum()):,} steps in {n_cases:,} cases",
                ),
            )
        )
    return routings


def visit_probability(routing: Routing, activity: str) -> float:
    """Probability that an order following this chain passes `activity` at least once.

    Solves the absorbing-chain equations h(a) = sum_b P(a, b) h(b), h(activity) = 1,
    h(END) = 0; the share of orders with rework, say, as the model will produce it.
    """
    nodes = sorted(
        {*routing.transitions, *(b for row in routing.transitions.values() for b in row)}
        - {END_NODE, activity}
    )
    if START_NODE not in nodes:
        return 0.0
    position = {node: i for i, node in enumerate(nodes)}
    matrix = np.eye(len(nodes))
    target = np.zeros(len(nodes))
    for source in nodes:
        for destination, share in routing.transitions.get(source, {}).items():
            if destination == activity:
                target[position[source]] += share
            elif destination in position:
                matrix[position[source], position[destination]] -= share
    solution = np.linalg.lstsq(matrix, target, rcond=None)[0]
    return float(solution[position[START_NODE]])
