"""Random streams: one independent numpy Generator per stochastic element, same in every scenario.

Replication i of seed S uses `SeedSequence(S, spawn_key=(i,))` (= child i of
`SeedSequence(S).spawn(n)` for any n), which spawns one child per element of STREAMS in this
FIXED order. So replication i draws arrivals, routes, durations... from the same streams in
every scenario (common random numbers). New elements must be appended, never inserted.
Draws are buffered in blocks so the event loop takes a Python float, not a numpy call.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

STREAMS = (
    "arrivals",  # arrival times per tier x segment
    "customers",  # which customer places an order, its value
    "routing",  # each order's path through the activities
    "durations",  # processing time per activity
    "delays",  # staff-free waiting per activity (stock, transit)
    "patience",  # when a customer first chases
    "chase",  # call lengths, repeat gaps, expedite decisions
    "courtesy",  # courtesy-call decisions and lengths
    "churn",  # churn decisions after completed orders
    "review",  # proactive review outcomes
    "staff",  # who of each team is at work each day (attendance)
    "inbox",  # which orders wait in the keying team's inbox, and how long before it looks
    "promise",  # an order's promised working days where its tier's customers differ
)

BLOCK = 1024


def replication_streams(seed: int, replication: int) -> dict[str, np.random.Generator]:
    """The named Generators of one replication (independent of how many replications run)."""
    child = np.random.SeedSequence(seed, spawn_key=(replication,))
    return {
        name: np.random.Generator(np.random.PCG64(ss))
        for name, ss in zip(STREAMS, child.spawn(len(STREAMS)), strict=True)
    }


def substreams(rng: np.random.Generator, n: int) -> list[np.random.Generator]:
    """n independent Generators derived from one stream, e.g. one per activity in a fixed order."""
    return rng.spawn(n)


class Buffered:
    """Draws of one kind taken from a Generator in blocks: `next()` is a cheap Python call."""

    __slots__ = ("_draw", "_i", "_values")

    def __init__(self, draw: Callable[[int], np.ndarray]) -> None:
        self._draw = draw
        self._values: list[float] = []
        self._i = 0

    def next(self) -> float:
        i = self._i
        if i >= len(self._values):
            self._values = self._draw(BLOCK).tolist()
            i = 0
        self._i = i + 1
        return self._values[i]


def uniforms(rng: np.random.Generator) -> Buffered:
    return Buffered(rng.random)
