"""The customer base and every order it could place: tiers, cadences, churn-free schedules.

Built once per (operation, seed, period) and shared by every policy run: regular customers
(present at the start, or joining over time to replace those who leave), one-time buyers as
their own stream, numbered customer records (a re-keyed customer has a second record), and
the potential orders of everyone with their times, channels and product lines. A run then
places the orders of customers who have not left yet. Demand scaling is nested: each
customer also has a stream of potential *extra* orders (at up to `F_MAX - 1` times its
rate), of which a demand factor f keeps the share (f - 1) / (F_MAX - 1); f < 1 thins the base
orders. So a policy or a demand factor never moves anybody's base orders.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from dataclasses import dataclass
from itertools import accumulate

import numpy as np

from l2csim.sample.testbed import names as naming
from l2csim.sample.testbed.calendars import Calendar, Clock, WorkingDays, hhmm
from l2csim.sample.testbed.spec import CHANNELS, EDI, EMAIL, OperationSpec, TierSpec
from l2csim.sample.testbed.streams import Entropy, substream

F_MAX = 3.0  # the largest demand factor a run can use
VALUE_SIGMA = 0.5  # spread of one order's value around the customer's median (lognormal)
MAIN_CHANNEL_SHARE = 0.85  # orders a customer sends through its usual channel
REGULAR, ONE_TIME_BASE, ONE_TIME_EXTRA = 0, 1, 2  # stream groups of customers


@dataclass
class Customer:
    """One real customer (the truth's customer key is `cust_no`, its first record)."""

    index: int
    group: int
    tier: str
    name: str
    cadence_days: float | None
    value_level: float
    main_channel: int
    line_weights: tuple[float, ...]
    joined: float  # minutes
    stop_at: float | None = None  # stops for outside reasons (minutes)
    cust_no: str = ""
    alias_no: str | None = None
    alias_name: str | None = None
    alias_kind: str | None = None
    hard_case: str | None = None
    annual_revenue: float = 0.0

    @property
    def one_time(self) -> bool:
        return self.cadence_days is None


@dataclass(frozen=True)
class Planned:
    """A potential order: who, when, through which channel, which line, under which record."""

    time: float  # minutes
    customer: int
    k: int  # the customer's potential order number (extras count separately)
    extra: bool
    keep: float  # uniform: kept under demand factor f by the nested-thinning rule
    channel: int
    line: int
    alias: bool
    ref: str


@dataclass(frozen=True)
class Base:
    customers: tuple[Customer, ...]
    planned: tuple[Planned, ...]  # by time


def kept(order: Planned, factor: float) -> bool:
    """Whether a demand factor keeps a potential order (nested in the factor)."""
    if order.extra:
        return order.keep < (factor - 1.0) / (F_MAX - 1.0)
    return factor >= 1.0 or order.keep < factor


class _Moments:
    """Local order times per channel: EDI at any hour, e-mail in office hours (mostly
    working days), phone within the phone hours of a working day."""

    def __init__(
        self, spec: OperationSpec, clock: Clock, office: WorkingDays, phone: Calendar
    ) -> None:
        self.spec, self.clock, self.office, self.phone = spec, clock, office, phone
        week = spec.calls.phone_hours.week
        self.phone_span = [(hhmm(day[0][0]), hhmm(day[-1][1])) if day else None for day in week]

    def at(self, day_float: float, channel: int, u1: float, u2: float) -> float:
        day = int(day_float)
        spec = self.spec
        if CHANNELS[channel] == EDI:
            lo, hi = spec.edi_hours
            return self.clock.at(day, (lo + (hi - lo) * u1) * 60.0)
        if CHANNELS[channel] == EMAIL:
            if not self.office.is_working(day) and u2 < 0.85:
                day = self.office.add(day, 0)
            lo, hi = spec.email_hours
            return self.clock.at(day, (lo + (hi - lo) * u1) * 60.0)
        day = self.office.add(day, 0)
        span = self.phone_span[(self.clock.start.weekday() + day) % 7] or (480.0, 960.0)
        return self.clock.at(day, span[0] + (span[1] - span[0]) * u1)


def _pick(cumulative: list[float], u: float) -> int:
    """The index a uniform `u` falls on in cumulative weights (ending at 1)."""
    return min(bisect_right(cumulative, u * cumulative[-1]), len(cumulative) - 1)


def _cumulative(weights) -> list[float]:
    return list(accumulate(float(w) for w in weights))


def _line_weights(tier: TierSpec, n_lines: int, rng: np.random.Generator, one_time: bool):
    """Equal weights over the one to three lines a customer buys (drawn by the tier's mix)."""
    weights = [float(w) for w in (tier.lines or (1.0,) * n_lines)]
    u = rng.random(5)
    count = 1 if one_time else 1 + int(u[0] < 0.4) + int(u[1] < 0.15)
    count = min(count, sum(1 for w in weights if w > 0))
    chosen = []
    for i in range(count):
        index = _pick(_cumulative(weights), float(u[2 + i]))
        chosen.append(index)
        weights[index] = 0.0
    return tuple(1.0 / count if i in chosen else 0.0 for i in range(n_lines))


def _annual_revenue(spec: OperationSpec, customer: Customer) -> float:
    if customer.cadence_days is None:
        return 0.0
    per_order = (
        sum(
            w * line.value_median for w, line in zip(customer.line_weights, spec.lines, strict=True)
        )
        * customer.value_level
        * math.exp(VALUE_SIGMA**2 / 2)
    )
    return 365.25 / customer.cadence_days * per_order


def _schedule(
    customer: Customer,
    tier: TierSpec,
    rng: np.random.Generator,
    start_day: float,
    end_day: float,
    rate_scale: float,
    regular_gaps: bool,
) -> list[tuple[float, int, int, bool, float, float, float]]:
    """(day, channel, line, alias, keep, u1, u2) of one customer's potential orders:
    gamma gaps around the cadence (base orders) or a Poisson stream (extra orders)."""
    out = []
    cadence = customer.cadence_days or 1.0
    channels = _cumulative(tier.channels)
    lines = _cumulative(customer.line_weights)
    shape = 1.0 / tier.cadence_cv**2
    day = start_day if regular_gaps else start_day + rng.exponential(cadence / rate_scale)
    may_alias = customer.alias_no is not None
    while day < end_day:
        u = rng.random(7).tolist()
        channel = customer.main_channel if u[0] < MAIN_CHANNEL_SHARE else _pick(channels, u[1])
        line = _pick(lines, u[2])
        alias = may_alias and CHANNELS[channel] != EDI and u[3] < tier.alias_use
        out.append((day, channel, line, alias, u[4], u[5], u[6]))
        if regular_gaps:
            day += rng.gamma(shape, cadence / shape)
        else:
            day += rng.exponential(cadence / rate_scale)
    return out


_CACHE: dict[tuple, tuple[OperationSpec, Base]] = {}


def build_base(
    spec: OperationSpec,
    seed: Entropy,
    days: int,
    clock: Clock,
    office: WorkingDays,
    phone: Calendar,
) -> Base:
    """The customers and their potential orders over `days` + the extraction tail."""
    key = (spec.name, id(spec), seed, days)
    if key in _CACHE:
        return _CACHE[key][1]
    horizon = float(days + spec.extract_after_days)
    moments = _Moments(spec, clock, office, phone)
    rng = substream(seed, "customers", 0)
    arrivals = substream(seed, "arrivals", 0)
    customers: list[Customer] = []

    def regular(tier: TierSpec, joined_day: float) -> Customer:
        lo, hi = tier.cadence_days
        customer = Customer(
            index=len(customers),
            group=REGULAR,
            tier=tier.name,
            name="",
            cadence_days=float(rng.uniform(lo, hi)),
            value_level=tier.value_factor * float(rng.lognormal(-0.1, 0.45)),
            main_channel=_pick(_cumulative(tier.channels), float(rng.random())),
            line_weights=_line_weights(tier, len(spec.lines), rng, False),
            joined=joined_day * 1440.0,
        )
        if tier.outside_stop_per_year > 0:
            stop_day = joined_day + float(rng.exponential(365.25 / tier.outside_stop_per_year))
            if stop_day < horizon:
                customer.stop_at = stop_day * 1440.0
        else:
            rng.exponential(1.0)
        customer.alias_no = "pending" if rng.random() < tier.rekeyed_share else None
        customers.append(customer)
        return customer

    regular_tiers = [t for t in spec.tiers if not t.one_time]
    for tier in regular_tiers:
        for _ in range(tier.customers):
            regular(tier, 0.0)
    n_initial = len(customers)
    for tier in regular_tiers:
        if tier.new_per_year <= 0:
            continue
        day = float(arrivals.exponential(365.25 / tier.new_per_year))
        while day < horizon:
            regular(tier, day)
            day += float(arrivals.exponential(365.25 / tier.new_per_year))
    n_regular = len(customers)

    one_time_tiers = [t for t in spec.tiers if t.one_time]
    buyers: list[tuple[float, TierSpec, int]] = []  # (day, tier, group)
    for group, scale in ((ONE_TIME_BASE, 1.0), (ONE_TIME_EXTRA, F_MAX - 1.0)):
        stream = substream(seed, "arrivals", group)
        for tier in one_time_tiers:
            rate = tier.arrivals_per_week * scale / 7.0
            if rate <= 0:
                continue
            day = float(stream.exponential(1.0 / rate))
            while day < horizon:
                buyers.append((day, tier, group))
                day += float(stream.exponential(1.0 / rate))
    buyers.sort(key=lambda b: (b[2], b[0]))
    for day, tier, group in buyers:
        customers.append(
            Customer(
                index=len(customers),
                group=group,
                tier=tier.name,
                name="",
                cadence_days=None,
                value_level=tier.value_factor * float(rng.lognormal(-0.1, 0.45)),
                main_channel=_pick(_cumulative(tier.channels), float(rng.random())),
                line_weights=_line_weights(tier, len(spec.lines), rng, True),
                joined=day * 1440.0,
            )
        )
    _name_customers(spec, seed, customers, n_regular)

    # Potential orders.
    rows: list[tuple] = []
    for customer in customers:
        tier = spec.tier(customer.tier)
        if customer.one_time:
            u = substream(seed, "schedule", customer.group, customer.index).random(3)
            line = int(np.argmax(customer.line_weights))
            day = customer.joined / 1440.0
            extra = customer.group == ONE_TIME_EXTRA
            keep = float(u[0])
            rows.append(
                (
                    day,
                    customer.main_channel,
                    line,
                    False,
                    keep,
                    float(u[1]),
                    float(u[2]),
                    customer.index,
                    0,
                    extra,
                )
            )
            continue
        base_rng = substream(seed, "schedule", REGULAR, customer.index)
        start_day = customer.joined / 1440.0
        if customer.index < n_initial:
            # In steady state: the rest of a length-biased gap (gamma with shape + 1), so the
            # first weeks are neither busier nor quieter than the rest of the year.
            shape = 1.0 / tier.cadence_cv**2
            scale = customer.cadence_days / shape
            start_day += float(base_rng.uniform()) * float(base_rng.gamma(shape + 1.0, scale))
        else:
            start_day += float(base_rng.uniform(0, 3))
        end_day = horizon if customer.stop_at is None else min(horizon, customer.stop_at / 1440)
        for k, row in enumerate(_schedule(customer, tier, base_rng, start_day, end_day, 1, True)):
            rows.append((*row, customer.index, k, False))
        extra_rng = substream(seed, "extras", REGULAR, customer.index)
        scale = F_MAX - 1.0
        extra_start = customer.joined / 1440.0
        for k, row in enumerate(
            _schedule(customer, tier, extra_rng, extra_start, end_day, scale, False)
        ):
            rows.append((*row, customer.index, k, True))

    planned: list[tuple[float, int, int, bool, tuple]] = []
    for day, channel, line, alias, keep, u1, u2, index, k, extra in rows:
        time = moments.at(day, channel, u1, u2)
        if time >= horizon * 1440.0:
            continue
        stop = customers[index].stop_at
        if stop is not None and time >= stop:
            continue
        planned.append((time, index, k, extra, (keep, channel, line, alias)))
    planned.sort(key=lambda p: (p[3], p[0], p[1], p[2]))
    _number_customers(spec, customers, n_initial, planned, seed)
    log = spec.log
    orders: list[Planned] = []
    base_n = extra_n = 0
    for time, index, k, extra, (keep, channel, line, alias) in planned:
        if extra:
            extra_n += 1
            ref = f"{log.order_prefix}X{extra_n:06d}"
        else:
            ref = f"{log.order_prefix}{log.first_order_number + base_n}"
            base_n += 1
        orders.append(Planned(time, index, k, extra, keep, channel, line, alias, ref))
    orders.sort(key=lambda o: (o.time, o.customer, o.extra, o.k))
    for customer in customers:
        customer.annual_revenue = _annual_revenue(spec, customer)
    base = Base(tuple(customers), tuple(orders))
    if len(_CACHE) > 16:
        _CACHE.clear()
    _CACHE[key] = (spec, base)  # the spec is kept so its id is not reused
    return base


def _name_customers(
    spec: OperationSpec, seed: Entropy, customers: list[Customer], n_regular: int
) -> None:
    """Names for everybody, with the hard cases of the operation's name spec planted."""
    names_spec = spec.names
    rng = substream(seed, "names", 1)
    base_buyers = [c for c in customers if c.group == ONE_TIME_BASE]
    walk_ins = {c.index for c in base_buyers if rng.random() < names_spec.walk_in_share}
    companies = [c for c in customers if c.group != ONE_TIME_EXTRA and c.index not in walk_ins]
    pool = naming.distinct_names(names_spec.locale, seed, len(companies))
    for customer, name in zip(companies, pool, strict=True):
        customer.name = name
    walk_number = 0
    for customer in base_buyers:
        if customer.index in walk_ins:
            walk_number += 1
            customer.name = naming.walk_in(names_spec.locale, walk_number)
            customer.hard_case = "walk_in"
    extra_rng = substream(seed, "names", 2)
    for customer in customers:
        if customer.group == ONE_TIME_EXTRA:
            customer.name = naming.company_name(names_spec.locale, extra_rng)

    regulars = list(range(n_regular))
    # Hard cases go to frequent buyers first, so that they show in a short log too.
    frequent = {"key_account": 0, "priority": 1}
    order = sorted(
        (int(i) for i in rng.permutation(regulars)),
        key=lambda i: frequent.get(customers[i].tier, 2),
    )
    taken: set[int] = set()

    def take(count: int) -> list[int]:
        chosen = [i for i in order if i not in taken][:count]
        taken.update(chosen)
        return chosen

    for a, b in zip(*(iter(take(2 * names_spec.same_name_pairs)),) * 2, strict=False):
        customers[b].name = customers[a].name
        customers[a].hard_case = customers[b].hard_case = "same_name"
    for i, name in zip(
        take(names_spec.generic_names),
        naming.generic_names(names_spec.locale, names_spec.generic_names),
        strict=True,
    ):
        customers[i].name = name
        customers[i].hard_case = "generic_name"
    for group in range(names_spec.branch_groups):
        size = 2 + int(rng.random() < 0.5)
        for i, name in zip(
            take(size), naming.branch_names(names_spec.locale, group, size), strict=False
        ):
            customers[i].name = name
            customers[i].hard_case = "branch"
    kinds = names_spec.rekeyed_kinds
    n_alias = 0
    for customer in customers[:n_regular]:
        if customer.alias_no != "pending":
            continue
        kind = kinds[n_alias % len(kinds)]
        n_alias += 1
        customer.alias_name, customer.alias_kind = naming.alias(customer.name, kind, rng)


def _number_customers(
    spec: OperationSpec,
    customers: list[Customer],
    n_initial: int,
    planned: list[tuple],
    seed: Entropy,
) -> None:
    """Customer numbers as an ERP hands them out: the initial base first (not grouped by
    tier), then new customers, one-time buyers and re-keyed second records as they first
    order. Extra buyers of a scaled-up demand get numbers of their own range."""
    log = spec.log
    rng = substream(seed, "customers", 1)
    first = log.first_customer_number
    for offset, i in enumerate(rng.permutation(n_initial)):
        customers[int(i)].cust_no = f"{log.customer_prefix}{first + offset}"
    created: dict[tuple[int, bool], float] = {}
    for time, index, _k, extra, (_keep, _channel, _line, alias) in planned:
        if extra:
            continue
        if index >= n_initial and (index, False) not in created:
            created[(index, False)] = time
        if alias and (index, True) not in created:
            created[(index, True)] = time
    for customer in customers[n_initial:]:
        if customer.group != ONE_TIME_EXTRA and (customer.index, False) not in created:
            created[(customer.index, False)] = customer.joined
    for customer in customers:
        if customer.alias_no == "pending" and (customer.index, True) not in created:
            customer.alias_no = None  # never used: the second record was never made
            customer.alias_name = customer.alias_kind = None
    number = first + n_initial
    for (index, is_alias), _time in sorted(created.items(), key=lambda kv: (kv[1], kv[0])):
        if is_alias:
            customers[index].alias_no = f"{log.customer_prefix}{number}"
        else:
            customers[index].cust_no = f"{log.customer_prefix}{number}"
        number += 1
    extra_number = 0
    for customer in customers:
        if customer.group == ONE_TIME_EXTRA:
            extra_number += 1
            customer.cust_no = f"{log.customer_prefix}X{extra_number:05d}"
