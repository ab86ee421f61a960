"""The SimPy model of the as-is operation that produces the sample's event log.

Orders arrive from the customer base (EDI at any hour, e-mail and phone through customer
service), flow through the handling team of their product line, the warehouse, the carrier
and finance; staff are SimPy resources that work only in their calendar's hours. Customers
chase late orders by phone, a chase can make a specialist expedite the order (the squeaky
wheel), and customers with bad experiences stop ordering. Everything the truth needs about
what happened (not only what the log shows) is kept on the order and customer records.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np
import simpy

from l2csim.sample.calendar import Clock, WorkingCalendar
from l2csim.sample.customers import (
    CUSTOM,
    KEY_ACCOUNT,
    OCCASIONAL,
    ONE_TIME,
    PRIORITY,
    PUMPS,
    SPARES,
    TIER_POLICIES,
    Customer,
)
from l2csim.sample.streams import Streams

EDI, EMAIL, PHONE = "EDI", "e-mail", "phone"
CHANNELS = (EDI, EMAIL, PHONE)

OM_NORTH, OM_SPARES, PROJECTS = "OM-North", "OM-Spares", "Projects"
CUSTOMER_SERVICE, WAREHOUSE, FINANCE = "Customer Service", "Warehouse", "Finance"
TEAM_OF_LINE = {PUMPS: OM_NORTH, SPARES: OM_SPARES, CUSTOM: PROJECTS}

STAFF = {
    OM_NORTH: ("Anna Becker", "Jonas Wolf", "Petra Lang", "Timo Richter"),
    OM_SPARES: ("Sven Krüger", "Melanie Brandt", "Ömer Yilmaz"),
    PROJECTS: ("Dr. Katrin Vogt", "Lukas Hartmann", "Miriam Seidel"),
    CUSTOMER_SERVICE: ("Sabine Koch", "Daniel Schulte", "Aylin Demir", "Frank Meyer"),
    WAREHOUSE: (
        "Marek Nowak",
        "Heinz Pohl",
        "Olga Schmidt",
        "Kevin Braun",
        "Stefan Haas",
        "Ivana Petrović",
    ),
    FINANCE: ("Claudia Neumann", "Bernd Albers"),
}
EDI_GATEWAY = "EDI gateway"
ORDER_MAILBOX = "orders@ mailbox"
CARRIERS = ("Carrier Dachser", "Carrier DB Schenker", "Carrier Hellmann")

MILESTONES = ("Order confirmed", "Shipped", "Delivered")

# Mean work minutes per activity (lognormal, sigma 0.4).
WORK_MINUTES = {
    "Key in order": 18.0,
    "Credit check": 15.0,
    "Correct order data": 25.0,
    "Order confirmed": 10.0,
    "Check spares dashboard": 6.0,
    "Technical clarification": 50.0,
    "Pick and pack": 45.0,
    "Shipped": 12.0,
    "Invoice sent": 8.0,
    "Courtesy call": 8.0,
    "Customer chase call": 12.0,
    "Expedite order": 20.0,
}

# The as-is routing, per product line (the configured probabilities; the truth reports the
# rates the log actually shows).
REWORK_BY_CHANNEL = {EDI: 0.04, EMAIL: 0.15, PHONE: 0.10}
REWORK_REKEYED_EXTRA = 0.30
SPARES_CREDIT_LIMIT = 1000.0  # OM-Spares skip the credit check below this value
NORTH_CREDIT_SKIP = 0.03
DASHBOARD_SHARE = 0.70
CLARIFICATION_SHARE = 0.75
CONFIRM_AFTER_PICK = {PUMPS: 0.01, SPARES: 0.0, CUSTOM: 0.18}
STOCK_SHORTAGE = {PUMPS: (0.28, 2, 10), SPARES: (0.18, 1, 6), CUSTOM: (1.0, 8, 22)}
PICK_WAVE_MINUTES = 240.0
LINE_LEAD_DAYS = {PUMPS: 0, SPARES: 0, CUSTOM: 20}
VALUE_MEDIAN = {PUMPS: 9000.0, SPARES: 700.0, CUSTOM: 65000.0}

# As-is courtesy-call practice (backwards): tier -> milestone -> chance the call is made.
COURTESY_PRACTICE = {
    KEY_ACCOUNT: {"Order confirmed": 0.35, "Shipped": 0.45, "Delivered": 0.40},
    PRIORITY: {"Shipped": 0.50, "Delivered": 0.45},
    OCCASIONAL: {"Order confirmed": 0.12},
    ONE_TIME: {"Order confirmed": 0.55},
}
EXPEDITE_AFTER_CHASE = {KEY_ACCOUNT: 0.6, PRIORITY: 0.4, OCCASIONAL: 0.3, ONE_TIME: 0.2}

# Churn after each delivered order (repeat tiers except key accounts, whose contracts hold):
# only a bad experience (late, chased) creates risk; courtesy calls on the order lower it.
CHURN_TIERS = (PRIORITY, OCCASIONAL)
CHURN_LATE, CHURN_PER_CHASE, CHURN_PER_COURTESY = 0.07, 0.04, 0.02


@dataclass
class CustomerState:
    """What a customer has lived through, which sets its churn risk."""

    customer: Customer
    orders: int = 0
    late_orders: int = 0
    chase_calls: int = 0
    courtesy_calls: int = 0
    churned_at: float | None = None
    last_order_at: float | None = None
    deciding_order: dict | None = None


@dataclass
class Order:
    """An order in flight; cust_no, cust_name and value can be corrected mid-case."""

    index: int
    ref: str
    state: CustomerState
    product_line: str
    team: str
    channel: str
    value: float
    cust_no: str
    cust_name: str
    under_alias: bool
    promised_by: dt.date
    arrival: float
    expedite: simpy.Event
    delivered_at: float | None = None
    chases: int = 0
    courtesy: int = 0
    expedited: bool = False
    changes: list[dict] = field(default_factory=list)


@dataclass
class Pool:
    """A team of named people as one SimPy resource working to one calendar."""

    resource: simpy.PriorityResource
    calendar: WorkingCalendar
    free: list[str]

    def take(self, rng: np.random.Generator) -> str:
        return self.free.pop(int(rng.integers(len(self.free))))


@dataclass(frozen=True)
class Event:
    """One logged event with the case attributes as they stood when it was recorded."""

    seq: int
    order: int
    activity: str
    minutes: float
    resource: str
    cust_no: str
    cust_name: str
    value: float


class Operation:
    """Wires customers, orders, staff pools and calendars into one SimPy environment."""

    def __init__(self, customers: list[Customer], streams: Streams, start: dt.date, days: int):
        self.env = simpy.Environment()
        self.streams = streams
        self.days = days
        self.clock = Clock(start)
        horizon_days = days + 260
        office = WorkingCalendar(self.clock, horizon_days, dt.time(8), dt.time(17))
        warehouse = WorkingCalendar(self.clock, horizon_days, dt.time(6), dt.time(22))
        self.office = office
        self.warehouse = warehouse
        self.pools = {
            team: Pool(
                simpy.PriorityResource(self.env, capacity=len(names)),
                warehouse if team == WAREHOUSE else office,
                list(names),
            )
            for team, names in STAFF.items()
        }
        self.customers = [CustomerState(c) for c in customers]
        self.orders: list[Order] = []
        self.events: list[Event] = []

    # --- running -----------------------------------------------------------------------

    def run(self) -> None:
        for state in self.customers:
            for line, cadence in zip(
                state.customer.product_lines, state.customer.cadence_days, strict=True
            ):
                self.env.process(self._customer_line(state, line, cadence))
        self.env.run()

    def _customer_line(self, state: CustomerState, line: str, cadence: float):
        """Orders of one customer for one product line, on its tier's rhythm."""
        rng = self.streams.arrivals
        tier = state.customer.tier
        end = float(self.days) * 1440.0
        if tier == ONE_TIME:
            times = [float(rng.uniform(0, end))]
        elif tier in (KEY_ACCOUNT, PRIORITY):
            t = float(rng.uniform(0, cadence)) * 1440.0
            times = []
            while t < end:
                times.append(t)
                t += cadence * float(rng.lognormal(0.0, 0.2)) * 1440.0
        else:
            t = float(rng.exponential(cadence)) * 1440.0
            times = []
            while t < end:
                times.append(t)
                t += float(rng.exponential(cadence)) * 1440.0
        stop_day = state.customer.stop_day
        stop = float("inf") if stop_day is None else self.clock.midnight(stop_day)
        rng = self.streams.orders
        policy = TIER_POLICIES[tier]
        for t in times:
            yield self.env.timeout(max(0.0, t - self.env.now))
            channel = CHANNELS[int(rng.choice(3, p=policy.channels))]
            if channel == PHONE:  # phone orders come in while customer service answers
                answered = self.office.finish(self.env.now, float(rng.uniform(0, 300)))
                yield self.env.timeout(answered - self.env.now)
            if state.churned_at is not None or self.env.now >= stop:
                return
            self._place_order(state, line, channel)

    def _place_order(self, state: CustomerState, line: str, channel: str) -> None:
        rng = self.streams.orders
        customer = state.customer
        policy = TIER_POLICIES[customer.tier]
        arrival = self.env.now
        under_alias = customer.alias_no is not None and channel != EDI and rng.random() < 0.45
        value = VALUE_MEDIAN[line] * policy.value_factor * float(rng.lognormal(0.0, 0.5))
        lead = policy.sla_working_days + LINE_LEAD_DAYS[line]
        order = Order(
            index=len(self.orders),
            ref=f"SO-{250001 + len(self.orders)}",
            state=state,
            product_line=line,
            team=TEAM_OF_LINE[line],
            channel=channel,
            value=round(value, 2),
            cust_no=customer.alias_no if under_alias else customer.cust_no,
            cust_name=(customer.alias_name if under_alias else customer.name) or customer.name,
            under_alias=under_alias,
            promised_by=self.office.date_after(arrival, lead),
            arrival=arrival,
            expedite=self.env.event(),
        )
        self.orders.append(order)
        state.orders += 1
        state.last_order_at = arrival
        self.env.process(self._order_flow(order))
        self.env.process(self._chase(order))

    # --- helpers -----------------------------------------------------------------------

    def _record(self, order: Order, activity: str, resource: str) -> None:
        self.events.append(
            Event(
                len(self.events),
                order.index,
                activity,
                self.env.now,
                resource,
                order.cust_no,
                order.cust_name,
                order.value,
            )
        )

    def _work(self, order: Order, team: str, activity: str, priority: int = 2):
        """Queue for the team, do the work within its hours, then log the completion."""
        pool = self.pools[team]
        if order.expedited:
            priority = min(priority, 1)
        minutes = WORK_MINUTES[activity] * float(self.streams.durations.lognormal(-0.08, 0.4))
        with pool.resource.request(priority=priority) as request:
            yield request
            name = pool.take(self.streams.staff)
            yield self.env.timeout(pool.calendar.finish(self.env.now, minutes) - self.env.now)
            pool.free.append(name)
        self._record(order, activity, name)

    def _wait_working_days(
        self, order: Order, days: float, interruptible: bool, calendar: WorkingCalendar
    ):
        """Wait for stock, production or the customer; a chase-triggered expedite cuts it."""
        index = calendar.day_index(self.env.now) + int(days)
        target = max(self.env.now, calendar.at(index, float(days) % 1.0))
        timeout = self.env.timeout(target - self.env.now)
        if not interruptible:
            yield timeout
            return
        yield timeout | order.expedite
        if not timeout.processed and self.env.now < target:
            # Expedited: stock is moved from another order or the build is rushed.
            rushed = calendar.finish(self.env.now, float(self.streams.stock.uniform(120, 900)))
            yield self.env.timeout(max(0.0, min(target, rushed) - self.env.now))

    # --- the order's path ----------------------------------------------------------------

    def _order_flow(self, order: Order):
        rng = self.streams.routing
        if order.channel == EDI:
            receiver = EDI_GATEWAY
        elif order.channel == EMAIL:
            receiver = ORDER_MAILBOX
        else:
            receiver = STAFF[CUSTOMER_SERVICE][int(self.streams.staff.integers(4))]
        self._record(order, "Order received", receiver)
        if order.channel != EDI:
            yield from self._work(order, CUSTOMER_SERVICE, "Key in order")
        team, line = order.team, order.product_line
        if line == SPARES and rng.random() < DASHBOARD_SHARE:
            yield from self._work(order, team, "Check spares dashboard")
        skip_credit = (line == SPARES and order.value < SPARES_CREDIT_LIMIT) or (
            line == PUMPS and rng.random() < NORTH_CREDIT_SKIP
        )
        if not skip_credit:
            yield from self._work(order, team, "Credit check")
        p_rework = REWORK_BY_CHANNEL[order.channel]
        if order.state.customer.alias_no is not None:
            p_rework += REWORK_REKEYED_EXTRA
        rounds = 0
        while rng.random() < p_rework and rounds < 3:
            rounds += 1
            yield from self._work(order, team, "Correct order data")
            self._correct(order, rng)
            p_rework *= 0.3
        if line == CUSTOM and rng.random() < CLARIFICATION_SHARE:
            yield from self._wait_working_days(order, float(rng.uniform(1, 6)), False, self.office)
            yield from self._work(order, team, "Technical clarification")
        confirm_late = rng.random() < CONFIRM_AFTER_PICK[line]
        if not confirm_late:
            yield from self._work(order, team, "Order confirmed")
            self._milestone(order, "Order confirmed")
        share, low, high = STOCK_SHORTAGE[line]
        if self.streams.stock.random() < share:
            wait = float(self.streams.stock.uniform(low, high))
            yield from self._wait_working_days(order, wait, True, self.warehouse)
        # The warehouse picks in waves every four hours from 06:00.
        wave = self.warehouse.next_wave(self.env.now, PICK_WAVE_MINUTES)
        yield self.env.timeout(wave - self.env.now)
        yield from self._work(order, WAREHOUSE, "Pick and pack")
        if confirm_late:
            yield from self._work(order, team, "Order confirmed")
            self._milestone(order, "Order confirmed")
        yield from self._work(order, WAREHOUSE, "Shipped")
        self._milestone(order, "Shipped")
        transit = 1 + int(self.streams.stock.integers(3)) + (1 if line == CUSTOM else 0)
        index = self.office.day_index(self.env.now) + transit
        delivered = self.office.at(index, float(self.streams.stock.uniform(0.05, 0.95)))
        yield self.env.timeout(delivered - self.env.now)
        order.delivered_at = self.env.now
        self._record(order, "Delivered", CARRIERS[int(self.streams.staff.integers(3))])
        self._milestone(order, "Delivered")
        self._experience(order)
        yield from self._work(order, FINANCE, "Invoice sent")

    def _correct(self, order: Order, rng: np.random.Generator) -> None:
        """Correcting order data sometimes changes a case attribute mid-case."""
        customer = order.state.customer
        if order.under_alias and rng.random() < 0.6:
            before = order.cust_no
            order.cust_no, order.cust_name = customer.cust_no, customer.name
            order.under_alias = False
            order.changes.append({"attribute": "cust_no", "before": before, "after": order.cust_no})
        elif rng.random() < 0.35:
            before = order.value
            order.value = round(order.value * float(rng.uniform(0.8, 1.25)), 2)
            order.changes.append(
                {"attribute": "order_value", "before": before, "after": order.value}
            )

    def _milestone(self, order: Order, milestone: str) -> None:
        chance = COURTESY_PRACTICE[order.state.customer.tier].get(milestone, 0.0)
        if self.streams.courtesy.random() < chance:
            self.env.process(self._courtesy_call(order))

    def _courtesy_call(self, order: Order):
        delay = float(self.streams.courtesy.uniform(10, 360))
        yield self.env.timeout(self.office.finish(self.env.now, delay) - self.env.now)
        yield from self._work(order, CUSTOMER_SERVICE, "Courtesy call", priority=3)
        order.courtesy += 1
        order.state.courtesy_calls += 1

    def _chase(self, order: Order):
        """The customer phones when the order is late past its patience, and again later."""
        rng = self.streams.chase
        policy = TIER_POLICIES[order.state.customer.tier]
        index = self.office.dates.index(order.promised_by) + policy.chase_patience_days
        patience = self.office.at(index, float(rng.uniform(0.1, 0.9)))
        yield self.env.timeout(max(0.0, patience - self.env.now))
        while order.delivered_at is None:
            yield from self._work(order, CUSTOMER_SERVICE, "Customer chase call", priority=0)
            order.chases += 1
            order.state.chase_calls += 1
            tier = order.state.customer.tier
            if not order.expedited and rng.random() < EXPEDITE_AFTER_CHASE[tier]:
                order.expedited = True
                self.env.process(self._expedite(order))
            gap = float(rng.uniform(2, 5))
            index = self.office.day_index(self.env.now) + int(gap)
            yield self.env.timeout(self.office.at(index, gap % 1.0) - self.env.now)

    def _expedite(self, order: Order):
        yield from self._work(order, order.team, "Expedite order", priority=0)
        if not order.expedite.triggered:
            order.expedite.succeed()

    def _experience(self, order: Order) -> None:
        """After delivery the customer weighs the order; a bad one can end the relationship."""
        state = order.state
        late = self.clock.local_date(self.env.now) > order.promised_by
        state.late_orders += int(late)
        draw = self.streams.churn.random()  # drawn for every order: streams stay aligned
        if (
            state.customer.tier not in CHURN_TIERS
            or state.churned_at is not None
            or self.env.now >= self.days * 1440.0  # after intake ends nobody can be seen leaving
        ):
            return
        risk = CHURN_LATE * late + CHURN_PER_CHASE * order.chases
        risk -= CHURN_PER_COURTESY * order.courtesy
        if draw < min(max(risk, 0.0), 0.6):
            state.churned_at = self.env.now
            state.deciding_order = {
                "order_ref": order.ref,
                "late": bool(late),
                "chase_calls": order.chases,
                "courtesy_calls": order.courtesy,
            }
