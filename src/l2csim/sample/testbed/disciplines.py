"""Queue disciplines of the world: which waiting task a free person takes next.

A task's place in its team's queue is (class, discipline key, arrival at the queue): class
0 are inbound phone calls (chase calls, phone orders) and the escalations they cause — the
phone is answered first — and class 1 everything else. Within a class the discipline key
decides, ties first come, first served.
"""

from __future__ import annotations

from typing import Protocol

CALL_CLASS = 0.0
WORK_CLASS = 1.0


class Queued(Protocol):
    rank: int
    deadline: float
    expedited: bool


def order_key(discipline: str, expedites: bool, order: Queued) -> tuple[float, float]:
    """(expedite flag, discipline value) of an order's work: lower goes first.

    squeaky_wheel: expedited orders first, then first come, first served; fifo: strictly
    first come; tier_priority: top tier (rank 0) first; earliest_promise: earliest promised
    deadline first. With `expedites`, an expedited order goes before every order that is not.
    """
    first = 0.0 if (expedites and order.expedited) else 1.0
    if discipline == "fifo":
        return (1.0, 0.0)
    if discipline == "squeaky_wheel":
        return (first, 0.0)
    if discipline == "tier_priority":
        return (first, float(order.rank))
    if discipline == "earliest_promise":
        return (first, order.deadline)
    raise ValueError(f"unknown discipline {discipline!r}")
