"""Independent random streams for the sample generator, one per stochastic element.

Each element (customer base, arrivals, durations, routing, ...) draws from its own
`numpy.random.Generator` spawned from one `SeedSequence`, so changing how one element draws
does not shift the numbers every other element sees.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

STREAM_NAMES = (
    "customers",
    "names",
    "arrivals",
    "orders",
    "durations",
    "routing",
    "stock",
    "courtesy",
    "chase",
    "churn",
    "staff",
    "faults",
    "crm",
)


@dataclass(frozen=True)
class Streams:
    """Named generators; `streams.routing` etc. Never shared with global numpy state."""

    customers: np.random.Generator
    names: np.random.Generator
    arrivals: np.random.Generator
    orders: np.random.Generator
    durations: np.random.Generator
    routing: np.random.Generator
    stock: np.random.Generator
    courtesy: np.random.Generator
    chase: np.random.Generator
    churn: np.random.Generator
    staff: np.random.Generator
    faults: np.random.Generator
    crm: np.random.Generator

    @classmethod
    def from_seed(cls, seed: int) -> Streams:
        children = np.random.SeedSequence(seed).spawn(len(STREAM_NAMES))
        return cls(
            **{
                name: np.random.Generator(np.random.PCG64(child))
                for name, child in zip(STREAM_NAMES, children, strict=True)
            }
        )
