"""Queue disciplines: which waiting job a free member of staff takes next.

A discipline maps an order to a number; lower is served first, ties in arrival order at
the queue (FIFO). Inbound customer calls (chase calls, the expedites they trigger) always
come before order work: the phone is answered. Plain functions of plain data.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

CALL_CLASS = 0  # answered calls and the expedites they trigger
WORK_CLASS = 1  # order work and outbound (courtesy) calls


class Prioritised(Protocol):
    rank: int
    promise: float
    expedited: bool


def fifo(order: Prioritised) -> float:
    return 0.0


def tier_priority(order: Prioritised) -> float:
    """Top tier (rank 0) first."""
    return float(order.rank)


def earliest_promise(order: Prioritised) -> float:
    """The order whose promised (SLA due) time comes first."""
    return order.promise


def squeaky_wheel(order: Prioritised) -> float:
    """As-is: first come, first served, except orders a chase call got expedited."""
    return 0.0 if order.expedited else 1.0


DISCIPLINES: dict[str, Callable[[Prioritised], float]] = {
    "fifo": fifo,
    "tier_priority": tier_priority,
    "earliest_promise": earliest_promise,
    "squeaky_wheel": squeaky_wheel,
}


def discipline(name: str) -> Callable[[Prioritised], float]:
    """The key function of a discipline name (see Policy.discipline for the names)."""
    return DISCIPLINES[name]
