"""Queue disciplines: which waiting job a free member of staff takes next.

A discipline is a small pure function from an order to a number (lower is served first;
ties in arrival order at the queue) plus its flags: whether a chase call expedites an order
by default under it, and whether it can honour an expedite at all. The simulation picks one
by name and never tests names itself. Inbound calls (chase calls, the expedites they
trigger) always come before order work, whatever the discipline: the phone is answered.

An expedited order goes before every order that is not (when the policy's
`expedite_on_chase` is on), and the discipline orders the rest: "key accounts first, and a
chase still jumps the queue" is tier_priority with expedites.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

CALL_CLASS = 0  # answered calls and the expedites they trigger
WORK_CLASS = 1  # order work and outbound (courtesy) calls
EXPEDITED = -1e12  # added to the key of an expedited order: ahead of every other key


class Prioritised(Protocol):
    rank: int
    promise: float
    expedited: bool
    remaining_work: float


def fifo(order: Prioritised) -> float:
    """First come, first served."""
    return 0.0


def tier_priority(order: Prioritised) -> float:
    """Top tier (rank 0) first."""
    return float(order.rank)


def earliest_promise(order: Prioritised) -> float:
    """The order whose promised (SLA due) time comes first."""
    return order.promise


def least_slack(order: Prioritised) -> float:
    """The order with the least slack: promise - now - expected remaining work.

    `now` is the same for every order compared at one pick and the remaining work does not
    change while an order waits, so ranking by promise - remaining work at queue entry is
    the ranking at every later pick: the key need not be re-evaluated.
    """
    return order.promise - order.remaining_work


@dataclass(frozen=True)
class Discipline:
    """A queue discipline: its key and its flags."""

    name: str
    key: Callable[[Prioritised], float]
    expedites_by_default: bool  # a chase call expedites unless the policy says otherwise
    can_expedite: bool  # False: strict order, a chase cannot jump the queue
    description: str


DISCIPLINES: dict[str, Discipline] = {
    d.name: d
    for d in (
        Discipline("fifo", fifo, False, False, "strictly first come, first served"),
        Discipline(
            "squeaky_wheel", fifo, True, True, "first come, first served; a chase call expedites"
        ),
        Discipline("tier_priority", tier_priority, False, True, "top tier first"),
        Discipline(
            "earliest_promise", earliest_promise, False, True, "earliest promised date first"
        ),
        Discipline("least_slack", least_slack, False, True, "least slack to the promise first"),
    )
}


def discipline(name: str) -> Discipline:
    """The discipline of a name (see Policy.discipline for the names)."""
    return DISCIPLINES[name]


def queue_key(rule: Discipline, expedite_on_chase: bool) -> Callable[[Prioritised], float]:
    """The key the staff queues use: expedited orders first when expedites are on."""
    base = rule.key
    if not expedite_on_chase:
        return base

    def key(order: Prioritised) -> float:
        return base(order) + EXPEDITED if order.expedited else base(order)

    return key
