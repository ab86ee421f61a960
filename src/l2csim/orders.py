"""The order table: one row per order with the facts every stage uses, from one rule each.

Built from the canonical event log in a few grouped passes (no per-order Python): who ordered
(first customer id named in the case), when the order was received (first `order_received`
event, else the case's first event) and delivered (the latest `delivered` event: an order
delivered in parts is delivered when its last part is; without the role, its last event),
its value and product, and the calls and rework it needed. Its tier comes from `case_tiers`
and its promise and SLA verdict from `l2csim.sla.judge_orders`; `judged_orders` does all of
it in one call, and mine, customers, fit and validate all use it, so they agree.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from l2csim.errors import InputError
from l2csim.log import ACTIVITY, CASE, CUSTOMER, CUSTOMER_NAME, START, TIMESTAMP
from l2csim.study import Roles, Study

UNKNOWN_TIER = "unknown"

ORDER_COLUMNS = (
    "case",
    "customer",
    "customer_name",
    "received",
    "delivered",
    "value",
    "product",
    "chase_calls",
    "courtesy_calls",
    "rework",
)


@dataclass(frozen=True)
class OrderSpec:
    """What to read from the log: roles, and which case attributes hold value, product, etc."""

    roles: Roles = field(default_factory=Roles)
    value: str | None = None
    product: str | None = None
    segments: tuple[str, ...] = ()
    promised_dates: tuple[str, ...] = ()
    timezone: str = "UTC"

    @classmethod
    def of_study(cls, study: Study | None, **overrides) -> OrderSpec:
        """The study's roles, segments, promised-date attributes and time zone."""
        if study is None:
            return cls(**overrides)
        named = {rule.promised_date for rule in study.sla.values() if rule.promised_date}
        spec = {
            "roles": study.roles,
            "value": study.customers.value,
            "product": study.customers.products,
            "segments": tuple(study.segment_columns),
            "promised_dates": tuple(sorted(named)),
            "timezone": study.log.timezone,
        }
        return cls(**{**spec, **overrides})


@dataclass(frozen=True)
class CustomerOrders:
    """The order table, each chase call's response time, and notes on what was missing."""

    orders: pd.DataFrame
    chases: pd.DataFrame
    milestones: tuple[str, ...]
    timezone: str
    notes: tuple[str, ...] = ()

    @property
    def has_customers(self) -> bool:
        return bool(self.orders["customer"].notna().any())


def case_column(name: str) -> str:
    """A case attribute's canonical column name (`case:<name>`)."""
    return name if name.startswith("case:") else f"case:{name}"


def order_table(events: pd.DataFrame, spec: OrderSpec) -> CustomerOrders:
    """Summarise the log's events per order (case); see the module docstring for the rules."""
    notes: list[str] = []
    grouped = events.groupby(CASE, sort=True, observed=True)
    orders = pd.DataFrame(index=pd.Index(grouped.size().index, name="case"))
    orders["customer"] = _first_text(grouped, events, CUSTOMER)
    orders["customer_name"] = _first_text(grouped, events, CUSTOMER_NAME)
    if CUSTOMER not in events:
        notes.append(
            "the log has no customer column; customer profiles, tiers, overdue reorders and "
            "churn need one (map it with --customer or log.columns.customer)"
        )

    spans = order_spans(events, spec.roles, grouped)
    orders["last_event"] = spans["last_event"]
    orders["received"] = spans["received"]
    if spec.roles.order_received:
        missing = int((~spans["received_logged"]).sum())
        if missing:
            notes.append(
                f"{missing} orders have no {' / '.join(spec.roles.order_received)} event; "
                "their first event counts as received"
            )
    orders["delivered"] = spans["delivered"]
    if not spec.roles.delivered:
        notes.append(
            "no roles.delivered in the study: an order's last event counts as its delivery"
        )

    orders["value"] = _numeric_attribute(grouped, events, spec.value, notes)
    orders["product"] = _first_text(grouped, events, case_column(spec.product or "-"))
    for segment in spec.segments:
        orders[segment] = _first_text(grouped, events, case_column(segment))
    for attribute in spec.promised_dates:
        orders[f"promised:{attribute}"] = grouped[case_column(attribute)].first()

    role_counts = {
        "chase_calls": spec.roles.chase_call,
        "courtesy_calls": spec.roles.courtesy_call,
        "rework": spec.roles.rework,
    }
    milestones = tuple(dict.fromkeys(spec.roles.milestones))
    counted = sorted({a for acts in role_counts.values() for a in acts} | set(milestones))
    counts = _activity_counts(events, counted).reindex(orders.index, fill_value=0)
    for name, activities in role_counts.items():
        present = [a for a in activities if a in counts]
        orders[name] = counts[present].sum(axis=1).astype("int64") if present else 0
    for milestone in milestones:
        orders[f"milestone:{milestone}"] = counts.get(milestone, 0)
    chases = _chase_responses(events, spec.roles.chase_call)
    return CustomerOrders(
        orders=orders.reset_index(),
        chases=chases,
        milestones=milestones,
        timezone=spec.timezone,
        notes=tuple(notes),
    )


def case_tiers(
    events: pd.DataFrame, study: Study | None, customer_tiers: pd.Series | None = None
) -> pd.Series | None:
    """Each case's tier, by one precedence for every stage: the log's tier attribute
    (`mining.tier_attribute`), else the customer's tier in `customer_tiers` (the customers
    analysis' tiers when given) or the CRM export (`customers.crm_tiers`), else None.

    Cases of customers the table does not list get `UNKNOWN_TIER` (the `default` SLA).
    """
    logged = logged_tiers(events, study)
    if logged is not None:
        return logged
    if customer_tiers is None and study is not None and study.customers.crm_tiers is not None:
        from l2csim.customers.crm import read_tier_table

        spec = study.customers.crm_tiers
        customer_tiers = read_tier_table(
            study.resolve(spec.path), spec.id_column, spec.tier_column, key="customers.crm_tiers"
        )
    if customer_tiers is None:
        return None
    if CUSTOMER not in events:
        where = study.source if study is not None else "the log"
        raise InputError(
            f"{where}: customer tiers need each order's customer; map log.columns.customer."
        )
    customers = events.groupby(CASE, sort=True, observed=True)[CUSTOMER].first()
    customers = customers.astype("string").str.strip()
    return customers.map(customer_tiers).fillna(UNKNOWN_TIER).astype(object)


def logged_tiers(events: pd.DataFrame, study: Study | None) -> pd.Series | None:
    """Each case's tier as the log itself states it (`mining.tier_attribute`), or None when
    the log has no such attribute: the first source of a tier in every stage."""
    name = study.mining.tier_attribute if study is not None else "tier"
    column = case_column(name)
    if column not in events:
        return None
    grouped = events.groupby(CASE, sort=True, observed=True)[column].first()
    return grouped.astype("string").fillna(UNKNOWN_TIER).astype(object)


def tier_of_orders(cases: pd.Series, tiers: pd.Series) -> pd.Series:
    """Each order's tier from a case -> tier table (`case_tiers`, `logged_tiers`), matched
    by case id as text; `UNKNOWN_TIER` where the table has none."""
    return cases.astype(str).map(tiers.set_axis(tiers.index.astype(str))).fillna(UNKNOWN_TIER)


def customer_tier_of_orders(orders: pd.DataFrame) -> pd.Series:
    """Customer -> the tier most of its orders carry (`customer`, `tier`, `received`
    columns), a tie going to the tier of its latest order; orders of no known tier are
    left out. How a customer's tier follows from a log that states each order's tier."""
    known = orders.loc[orders["tier"].ne(UNKNOWN_TIER) & orders["customer"].notna()]
    counts = (
        known.groupby(["customer", "tier"], sort=True, observed=True)["received"]
        .agg(["size", "max"])
        .reset_index()
        .sort_values(["customer", "size", "max"], ascending=[True, False, False], kind="stable")
    )
    return counts.drop_duplicates("customer").set_index("customer")["tier"].astype(object)


def judged_orders(
    events: pd.DataFrame,
    study: Study | None,
    tiers: pd.Series | None = None,
    spec: OrderSpec | None = None,
) -> tuple[CustomerOrders, pd.DataFrame]:
    """The order table with each order's tier, promise and SLA verdict (`sla.judge_orders`),
    judged at the log's last event: an order still open past its promise then is late.

    `tiers` (case → tier) defaults to `case_tiers(events, study)`.
    """
    from l2csim.sla import judge_orders

    spec = spec or OrderSpec.of_study(study)
    table = order_table(events, spec)
    orders = table.orders
    if tiers is None:
        tiers = case_tiers(events, study)
    orders["tier"] = tier_of_orders(orders["case"], tiers) if tiers is not None else UNKNOWN_TIER
    sla = dict(study.sla) if study is not None else {}
    judged = judge_orders(orders, sla, table.milestones, spec.timezone, events[TIMESTAMP].max())
    return table, judged


def _first_text(grouped, events: pd.DataFrame, column: str) -> pd.Series:
    """The first non-missing value of a column per case (missing when the column is absent)."""
    if column not in events:
        return pd.Series(pd.NA, index=grouped.size().index, dtype="string")
    return grouped[column].first().astype("string")


def _numeric_attribute(grouped, events: pd.DataFrame, name: str | None, notes: list[str]):
    if name is None:
        return np.nan
    column = case_column(name)
    if column not in events:
        notes.append(
            f"order value attribute {name!r} is not in the log; revenue is left out "
            "(keep it with log.case_attributes)"
        )
        return np.nan
    return pd.to_numeric(grouped[column].first(), errors="coerce")


def order_spans(events: pd.DataFrame, roles: Roles, grouped=None) -> pd.DataFrame:
    """Per order (index: case, sorted): when it was `received` (its first order-received
    step, else its first event; `received_logged` says which) and `delivered` (its last
    delivering step, NaT while open; its last event when the study names no delivering
    step), and its `last_event`. The one reading of both that the order table and the
    validation's figures of a simulated log share."""
    grouped = grouped if grouped is not None else events.groupby(CASE, sort=True, observed=True)
    first = grouped[TIMESTAMP].min()
    if START in events:  # a case with start times begins when its first work began
        first = pd.concat([first, grouped[START].min()], axis=1).min(axis=1)
    last = grouped[TIMESTAMP].max()
    received = _role_time(events, roles.order_received, "min").reindex(first.index)
    delivered = (
        _role_time(events, roles.delivered, "max").reindex(first.index) if roles.delivered else last
    )
    spans = pd.DataFrame(
        {
            "received": received.fillna(first),
            "received_logged": received.notna(),
            "delivered": delivered,
            "last_event": last,
        }
    )
    spans.index.name = "case"
    return spans


def _role_time(events: pd.DataFrame, activities: list[str], how: str) -> pd.Series:
    """Per case, the earliest or latest time of the role's activities."""
    if not activities:
        return pd.Series(pd.NaT, index=pd.Index([], name=CASE), dtype="datetime64[ns, UTC]")
    hits = events.loc[events[ACTIVITY].isin(activities), [CASE, TIMESTAMP]]
    return hits.groupby(CASE, sort=True)[TIMESTAMP].agg(how)


def _activity_counts(events: pd.DataFrame, activities: list[str]) -> pd.DataFrame:
    hits = events.loc[events[ACTIVITY].isin(activities), [CASE, ACTIVITY]]
    if hits.empty:
        return pd.DataFrame(index=pd.Index([], name=CASE))
    return hits.groupby([CASE, ACTIVITY], sort=True).size().unstack(fill_value=0)


def _chase_responses(events: pd.DataFrame, chase_activities: list[str]) -> pd.DataFrame:
    """Each chase call and the hours until the order's next event (the company's response)."""
    if not chase_activities:
        return pd.DataFrame({"case": pd.Series(dtype="string"), "response_hours": []})
    ordered = events[[CASE, ACTIVITY, TIMESTAMP]].sort_values([CASE, TIMESTAMP], kind="stable")
    following = ordered.groupby(CASE, sort=False)[TIMESTAMP].shift(-1)
    is_chase = ordered[ACTIVITY].isin(chase_activities)
    hours = (following[is_chase] - ordered.loc[is_chase, TIMESTAMP]).dt.total_seconds() / 3600
    return pd.DataFrame(
        {"case": ordered.loc[is_chase, CASE].astype("string").to_numpy(), "response_hours": hours}
    ).reset_index(drop=True)
