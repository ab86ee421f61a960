"""Orders: a customer's order with its promise, its drawn path and what happened to it."""

from __future__ import annotations

from l2csim.sim.customers import Customer


class Order:
    """One order in flight. Plain slots: the event loop reads and writes these directly.

    `path` holds (activity index, work hours, staff-free delay hours) drawn at arrival;
    `delivered_step` is the index in `path` whose completion delivers the order; `step` the
    index of the step the order is at (waiting for, or in the hands of its team).
    """

    __slots__ = (
        "arrival",
        "chase_due",
        "chases",
        "courtesy",
        "customer",
        "delivered_at",
        "delivered_step",
        "entry",
        "escalated",
        "expedited",
        "hung_up",
        "id",
        "path",
        "patience",
        "patience_at",
        "promise",
        "quiet_until",
        "rank",
        "remaining_work",
        "rush",
        "segment",
        "step",
        "tier",
        "value",
        "waiting_in",
    )

    def __init__(
        self,
        id: int,
        customer: Customer,
        tier: int,
        rank: int,
        segment: int,
        value: float,
        arrival: float,
        promise: float,
        path: list[tuple[int, float, float]],
        delivered_step: int,
        patience: float,
    ) -> None:
        self.id = id
        self.customer = customer
        self.tier = tier
        self.rank = rank
        self.segment = segment
        self.value = value
        self.arrival = arrival
        self.promise = promise
        self.path = path
        self.delivered_step = delivered_step
        self.step = 0
        self.patience = patience
        self.patience_at: float | None = None  # the moment patience runs out (Calls.arm)
        self.delivered_at: float | None = None
        self.expedited = False  # jumps its queues
        self.escalated = False  # a chase call about it was passed on to a team
        self.chases = 0
        self.hung_up = 0  # calls in a row nobody answered
        self.courtesy = 0
        self.quiet_until = arrival  # the customer will not phone before this
        self.remaining_work = 0.0  # expected work hours left, set as the order enters a queue
        self.rush = None  # an event an expedite triggers while the order waits outside
        self.chase_due = -1.0
        self.entry = None
        self.waiting_in = None

    @property
    def late(self) -> bool:
        return self.delivered_at is not None and self.delivered_at > self.promise


def delivered_step(path: list[int], delivered: set[int]) -> int:
    """Index of the last delivering activity in the path (the path's end if there is none)."""
    for i in range(len(path) - 1, -1, -1):
        if path[i] in delivered:
            return i
    return len(path) - 1
