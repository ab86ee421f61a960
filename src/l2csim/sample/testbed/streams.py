"""Random substreams of the test-bed world, keyed by what they drive (common random numbers).

Every stochastic element draws from its own generator, addressed by a stream name and the
ids of the thing it belongs to (a customer, an order, a person): `substream(seed, "order",
customer, k)`. A policy therefore cannot shift anybody else's numbers: under any policy the
same customers place the same orders at the same times with the same work contents, and the
same people are absent on the same days; only queueing, calls and their consequences differ.
"""

from __future__ import annotations

import zlib

import numpy as np

# Stream ids are part of the generated data: never renumber, only append.
STREAMS = {
    "customers": 1,  # the base: tiers, cadences, value levels, channels, lines
    "names": 2,  # company names and the hard naming cases
    "schedule": 3,  # a customer's order times, channels, lines, alias use (base demand)
    "extras": 4,  # a customer's extra orders when demand is scaled up
    "order": 5,  # one order's contents: value, routing, work minutes, waits, calls
    "order_more": 6,  # more chase-call draws for an order that is chased very often
    "person": 7,  # one person's absences (vacation, sickness)
    "arrivals": 8,  # when new regular customers and one-time buyers appear
    "logging": 9,  # how events are recorded (shared logins)
    "crm": 10,  # the CRM export's stale tiers
}


def name_key(text: str) -> int:
    """A stable integer for a name (people are keyed by name, so adding one shifts nobody)."""
    return zlib.crc32(text.encode("utf-8"))


Entropy = int | tuple[int, ...]


def world_entropy(seed: int, operation: str) -> tuple[int, int]:
    """A world's root entropy: its seed and its operation, so operations do not share draws."""
    return (seed, name_key(operation))


def substream(seed: Entropy, stream: str, *keys: int) -> np.random.Generator:
    """The generator of `stream` for the thing identified by `keys` under `seed`."""
    sequence = np.random.SeedSequence(seed, spawn_key=(STREAMS[stream], *keys))
    return np.random.Generator(np.random.PCG64(sequence))
