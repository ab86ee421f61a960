"""The named operations of the test bed: structurally different lead-to-cash operations.

Each varies what a model of it must get right: teams shared across steps or one team per
step, completion-only or start+end timestamps, where intake waits and whether the log shows
it, load from comfortable to near capacity (where some years tip into a chase-call spiral),
customer-side waits, system users, shifts and part-time staff, time zones, hard customer
names. `OPERATIONS` maps each name to a builder; `operation(name)` gives its spec.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache

from l2csim.sample.testbed.calendars import Pattern
from l2csim.sample.testbed.spec import (
    KEY_ACCOUNT,
    OCCASIONAL,
    ONE_TIME,
    PRIORITY,
    CallSpec,
    ChurnSpec,
    Dist,
    IntakeSpec,
    LineSpec,
    LogFormat,
    NameSpec,
    OperationSpec,
    PersonSpec,
    StepSpec,
    TeamSpec,
    TierSpec,
)

# --- working patterns ---------------------------------------------------------------------

FULL = Pattern.weekdays((("08:00", "12:00"), ("12:30", "16:30")))
FULL_B = Pattern.weekdays((("08:00", "12:30"), ("13:00", "16:30")))  # the other lunch slot
FULL_LATE = Pattern.weekdays((("09:00", "12:30"), ("13:15", "17:45")))
FULL_EARLY = Pattern.weekdays((("07:00", "11:30"), ("12:00", "15:30")))
MORNINGS = Pattern.weekdays((("08:00", "12:30"),))
AFTERNOONS = Pattern.weekdays((("12:30", "17:00"),))
MON_WED = Pattern.weekdays((("08:00", "12:00"), ("12:30", "16:30")), days=(0, 1, 2))
WED_FRI = Pattern.weekdays((("08:00", "12:00"), ("12:30", "16:30")), days=(2, 3, 4))
WAREHOUSE_DAY = Pattern.weekdays((("06:30", "11:00"), ("11:30", "15:00")))
EARLY_SHIFT = Pattern.weekdays((("06:00", "10:00"), ("10:30", "14:00")))
LATE_SHIFT = Pattern.weekdays((("14:00", "18:00"), ("18:30", "22:00")))
EARLY_SAT = Pattern((*EARLY_SHIFT.week[:5], (("07:00", "12:00"),), ()))
LATE_SAT = Pattern((*LATE_SHIFT.week[:5], (("07:00", "12:00"),), ()))
US_OFFICE = Pattern.weekdays((("08:00", "12:00"), ("12:30", "17:00")))
US_PART = Pattern.weekdays((("09:00", "13:00"),))
PHONE_DE = Pattern.weekdays((("08:00", "16:30"),))
PHONE_US = Pattern.weekdays((("07:30", "17:30"),))


def people(names: str, pattern: Pattern, vacation: int = 28) -> tuple[PersonSpec, ...]:
    return tuple(PersonSpec(n.strip(), pattern, vacation) for n in names.split(",") if n.strip())


# --- steps --------------------------------------------------------------------------------


def work(activity: str, team: str, minutes: float, cv: float = 0.45, **kw) -> StepSpec:
    return StepSpec(activity, "work", team, work=Dist.lognormal(minutes, cv), **kw)


def wait(activity: str, dist: Dist, clock: str, resources: tuple[str, ...], **kw) -> StepSpec:
    return StepSpec(activity, "wait", None, wait=dist, clock=clock, resources=resources, **kw)


REWORK_BY_CHANNEL = (0.04, 0.16, 0.10)  # EDI, e-mail, phone


def industrial_lines(
    *,
    line_team: Callable[[str, str], str],
    warehouse: str = "Warehouse",
    invoice: StepSpec,
    payment: StepSpec,
    carriers: tuple[str, ...],
    stock_resource: str = "Goods receipt",
    pick_minutes: tuple[float, float, float] = (40.0, 22.0, 95.0),
    systems_lead: int = 12,
    shortage: tuple[float, float, float] = (0.22, 0.12, 1.0),
    dashboard: bool = True,
    entry_minutes: float = 14.0,
    invoice_after_delivery: bool = True,
    value_scale: float = 1.0,
    names: tuple[str, str, str] = ("Industrial pumps", "Spare parts", "Custom systems"),
    extra_steps: dict[str, tuple[StepSpec, ...]] | None = None,
) -> tuple[LineSpec, ...]:
    """Pumps, spare parts and custom systems, as a machinery distributor runs them.

    `line_team(line, role)` names the team doing a role (credit, entry, correct, clarify,
    confirm) for a line: the line's own team in shared operations, one team per role in
    specialised ones."""
    pumps, spares, systems = names
    lines = []
    for index, (line, value, lead) in enumerate(
        ((pumps, 8500.0, 0), (spares, 650.0, 0), (systems, 52000.0, systems_lead))
    ):
        steps: list[StepSpec] = []
        if line == spares and dashboard:
            steps.append(
                work("Check stock dashboard", line_team(line, "check"), 5.0, probability=0.7)
            )
        steps.append(
            work(
                "Credit check",
                line_team(line, "credit"),
                14.0 if line != systems else 25.0,
                min_value=1000.0 if line == spares else 0.0,
                probability=0.97 if line == pumps else 1.0,
            )
        )
        steps.append(work("Enter order", line_team(line, "entry"), entry_minutes))
        steps.append(
            work(
                "Correct order data",
                line_team(line, "correct"),
                22.0,
                by_channel=REWORK_BY_CHANNEL,
                rekeyed_extra=0.30,
                repeat=0.25,
            )
        )
        if line == systems:
            steps.append(
                wait(
                    "Customer answers",
                    Dist.lognormal(14.0, 0.7),
                    "office",
                    (),
                    probability=0.75,
                    logged=False,
                )
            )
            steps.append(
                work(
                    "Technical clarification",
                    line_team(line, "clarify"),
                    55.0,
                    0.5,
                    probability=0.75,
                )
            )
        steps.append(work("Order confirmed", line_team(line, "confirm"), 8.0, milestone=True))
        share = shortage[index]
        steps.append(
            wait(
                "Stock available" if line != systems else "Production finished",
                Dist.uniform(2.0, 9.0) if line != systems else Dist.uniform(4.0, 11.0),
                "days",
                (stock_resource,),
                probability=share,
                expeditable=True,
                rush=Dist.lognormal(10.0, 0.6),
            )
        )
        steps.extend((extra_steps or {}).get(line, ()))
        steps.append(work("Pick and pack", warehouse, pick_minutes[index], 0.5))
        steps.append(work("Shipped", warehouse, 9.0, 0.4, milestone=True))
        if not invoice_after_delivery:
            steps.append(invoice)
        steps.append(
            wait(
                "Delivered",
                Dist.uniform(1.0, 3.99) if line != systems else Dist.uniform(2.0, 4.99),
                "days",
                carriers,
                milestone=True,
                delivers=True,
            )
        )
        if invoice_after_delivery:
            steps.append(invoice)
        steps.append(payment)
        owner = line_team(line, "entry")
        lines.append(LineSpec(line, value * value_scale, lead, owner, tuple(steps)))
    return tuple(lines)


# --- tiers --------------------------------------------------------------------------------


def standard_tiers(
    *,
    volume: float = 1.0,
    one_time_per_week: float = 12.0,
    lines: tuple[tuple[float, ...], ...] = ((0.45, 0.4, 0.15),) * 4,
    sla_days: tuple[int, int, int, int] = (4, 6, 8, 9),
    sla_hours: tuple[float, float, float, float] | None = None,
    key_accounts: int = 22,
    priority: int = 55,
    occasional: int = 160,
    edi_share: float = 1.0,
    rekeyed: float = 0.05,
    churn_shift: float = 0.0,
    patience_scale: float = 1.0,
    escalation: float = 1.0,
) -> tuple[TierSpec, ...]:
    """The four tiers as most operations have them (counts scaled by `volume`)."""
    n = lambda x: max(1, round(x * volume))  # noqa: E731
    key_owed = ("Order confirmed", "Shipped", "Delivered")
    hours = sla_hours or (None, None, None, None)
    edi = lambda p: (p[0] * edi_share, p[1] + p[0] * (1 - edi_share), p[2])  # noqa: E731
    return (
        TierSpec(
            KEY_ACCOUNT,
            customers=n(key_accounts),
            new_per_year=n(key_accounts) * 0.10,
            cadence_days=(6.0, 14.0),
            cadence_cv=0.25,
            value_factor=1.5,
            channels=edi((0.8, 0.2, 0.0)),
            lines=lines[0],
            sla_working_days=sla_days[0],
            sla_hours=hours[0],
            courtesy_owed=key_owed,
            courtesy_practice=(("Order confirmed", 0.4), ("Shipped", 0.5), ("Delivered", 0.3)),
            patience_shift_hours=-10.0 * patience_scale,
            patience=Dist.lognormal(14.0 * patience_scale, 0.8),
            repeat_gap=Dist.lognormal(30.0, 0.5),
            escalation_share=min(0.9, 0.4 * escalation),
            expedite_probability=0.8,
            churn_intercept=-6.6 + churn_shift,
            outside_stop_per_year=0.05,
            rekeyed_share=rekeyed,
        ),
        TierSpec(
            PRIORITY,
            customers=n(priority),
            new_per_year=n(priority) * 0.11,
            cadence_days=(18.0, 45.0),
            cadence_cv=0.4,
            value_factor=1.1,
            channels=edi((0.35, 0.45, 0.2)),
            lines=lines[1],
            sla_working_days=sla_days[1],
            sla_hours=hours[1],
            courtesy_owed=("Shipped", "Delivered"),
            courtesy_practice=(("Shipped", 0.4), ("Delivered", 0.3)),
            patience_shift_hours=0.0,
            patience=Dist.lognormal(24.0 * patience_scale, 0.8),
            repeat_gap=Dist.lognormal(40.0, 0.5),
            escalation_share=min(0.9, 0.3 * escalation),
            expedite_probability=0.6,
            churn_intercept=-5.8 + churn_shift,
            outside_stop_per_year=0.06,
            rekeyed_share=rekeyed * 1.2,
        ),
        TierSpec(
            OCCASIONAL,
            customers=n(occasional),
            new_per_year=n(occasional) * 0.12,
            cadence_days=(35.0, 120.0),
            cadence_cv=0.9,
            value_factor=0.8,
            channels=edi((0.05, 0.6, 0.35)),
            lines=lines[2],
            sla_working_days=sla_days[2],
            sla_hours=hours[2],
            courtesy_practice=(("Order confirmed", 0.1),),
            patience_shift_hours=8.0,
            patience=Dist.lognormal(40.0 * patience_scale, 0.8),
            repeat_gap=Dist.lognormal(56.0, 0.5),
            escalation_share=min(0.9, 0.2 * escalation),
            expedite_probability=0.5,
            churn_intercept=-5.2 + churn_shift,
            outside_stop_per_year=0.08,
            rekeyed_share=rekeyed * 0.8,
        ),
        TierSpec(
            ONE_TIME,
            arrivals_per_week=one_time_per_week * volume,
            value_factor=0.6,
            channels=(0.0, 0.55, 0.45),
            lines=lines[3],
            sla_working_days=sla_days[3],
            sla_hours=hours[3],
            courtesy_practice=(("Order confirmed", 0.45),),
            patience_shift_hours=8.0,
            patience=Dist.lognormal(48.0 * patience_scale, 0.9),
            repeat_gap=Dist.lognormal(60.0, 0.5),
            escalation_share=min(0.9, 0.15 * escalation),
            expedite_probability=0.4,
        ),
    )


DE_COLUMNS = (
    ("order", "order_ref"),
    ("activity", "event"),
    ("time", "event_time"),
    ("resource", "performed_by"),
    ("customer", "cust_no"),
    ("customer_name", "cust_name"),
    ("line", "product_line"),
    ("value", "order_value"),
    ("promised", "promised_by"),
    ("channel", "channel"),
)
START_END_COLUMNS = (
    ("order", "order_id"),
    ("activity", "activity"),
    ("start", "start_time"),
    ("time", "end_time"),
    ("resource", "user"),
    ("customer", "customer_id"),
    ("customer_name", "customer_name"),
    ("line", "product_line"),
    ("value", "order_value"),
    ("promised", "promised_date"),
    ("channel", "channel"),
)
DE_CARRIERS = ("Carrier DHL", "Carrier Dachser", "Carrier DB Schenker")
GB_CARRIERS = ("Carrier DPD", "Carrier Palletways", "Carrier XPO")
US_CARRIERS = ("Carrier UPS Freight", "Carrier Estes", "Carrier FedEx Freight")


def finance_steps(team: str | None, payment_days: float = 24.0, batch: bool = False):
    """Invoice (a person of `team`, or a nightly batch job) and payment (bank import)."""
    if batch or team is None:
        invoice = wait(
            "Invoice sent", Dist.fixed(0.0), "hours", ("Finance batch",), batch=("22:00",)
        )
    else:
        invoice = work("Invoice sent", team, 6.0, 0.4)
    payment = wait(
        "Payment received",
        Dist.lognormal(payment_days * 24.0, 0.5),
        "hours",
        ("Bank import",),
        batch=("06:30",),
    )
    return invoice, payment


def shared_calls(
    chase_team: str,
    courtesy_team: str | None,
    phone: Pattern = PHONE_DE,
    escalation_minutes: float = 18.0,
) -> CallSpec:
    return CallSpec(
        chase_team=chase_team,
        courtesy_team=courtesy_team,
        chase_work=Dist.lognormal(9.0, 0.5),
        escalation_work=Dist.lognormal(escalation_minutes, 0.5),
        courtesy_work=Dist.lognormal(7.0, 0.4),
        phone_hours=phone,
    )


def _line_roles(teams: dict[str, str]) -> Callable[[str, str], str]:
    return lambda line, role: teams[line]


# --- the operations -----------------------------------------------------------------------

LINE_TEAMS_DE = {
    "Industrial pumps": "Team Pumps",
    "Spare parts": "Team Spares",
    "Custom systems": "Team Systems",
}


def _shared_teams_core(
    name: str,
    description: str,
    *,
    warehouse: tuple[PersonSpec, ...],
    pick_minutes: tuple[float, float, float],
    load: str,
    escalation_minutes: float,
    volume: float = 1.0,
) -> OperationSpec:
    invoice, payment = finance_steps("Finance")
    lines = industrial_lines(
        line_team=_line_roles(LINE_TEAMS_DE),
        invoice=invoice,
        payment=payment,
        carriers=DE_CARRIERS,
        pick_minutes=pick_minutes,
    )
    line_activities = (
        "Credit check",
        "Enter order",
        "Correct order data",
        "Order confirmed",
        "Courtesy call",
        "Expedite order",
    )
    teams = (
        TeamSpec(
            "Team Pumps",
            people("Anna Becker", FULL) + people("Petra Lang", MORNINGS),
            line_activities,
        ),
        TeamSpec(
            "Team Spares",
            people("Sven Krüger", FULL) + people("Melanie Brandt", MON_WED),
            ("Check stock dashboard", *line_activities),
        ),
        TeamSpec(
            "Team Systems",
            people("Dr. Katrin Vogt, Lukas Hartmann", FULL_LATE),
            ("Technical clarification", *line_activities),
        ),
        TeamSpec(
            "Customer Service",
            people("Sabine Koch", FULL) + people("Daniel Schulte", FULL_B),
            ("Order received", "Key in order", "Customer chase call", "Expedite order"),
        ),
        TeamSpec(
            "Warehouse",
            warehouse,
            ("Pick and pack", "Shipped", "Expedite order"),
            hire_names=("Tomasz Wójcik",),
        ),
        TeamSpec("Finance", people("Claudia Neumann", FULL), ("Invoice sent",)),
    )
    return OperationSpec(
        name=name,
        description=description,
        timezone="Europe/Berlin",
        country="DE",
        currency="EUR",
        tiers=standard_tiers(volume=volume, one_time_per_week=12.0 * volume),
        lines=lines,
        teams=teams,
        intake=IntakeSpec(
            mode="arrival",
            keyer="Customer Service",
            phone="Customer Service",
            key_work=Dist.lognormal(12.0, 0.5),
            phone_work=Dist.lognormal(11.0, 0.4),
            inbox_delay=Dist.lognormal(1.5, 1.0),
        ),
        calls=shared_calls("Customer Service", None, escalation_minutes=escalation_minutes),
        churn=ChurnSpec(),
        log=LogFormat(columns=DE_COLUMNS, tiers="crm"),
        names=NameSpec("DE", "moderate"),
        bottleneck=("Warehouse", "Pick and pack"),
        dimensions={
            "teams": "shared",
            "timestamps": "completion",
            "intake": "arrival logged, e-mail keyed by customer service",
            "load": load,
            "names": "moderate",
            "tiers": "CRM export",
            "promise": "promised date",
            "time_zone": "Europe/Berlin",
        },
        system_users=("EDI gateway", "Order mailbox", "Goods receipt", "Bank import", *DE_CARRIERS),
    )


def shared_teams() -> OperationSpec:
    return _shared_teams_core(
        "shared_teams",
        "Three product-line teams each do credit check, entry, correction, confirmation and "
        "courtesy calls; a 2-person customer service keys e-mailed orders and answers chase "
        "calls; a 3-person warehouse; invoicing and customer payment. Moderate load.",
        warehouse=people("Marek Nowak, Heinz Pohl, Olga Schmidt", WAREHOUSE_DAY),
        pick_minutes=(44.0, 25.0, 105.0),
        load="moderate",
        escalation_minutes=15.0,
        volume=1.3,
    )


def near_capacity() -> OperationSpec:
    return _shared_teams_core(
        "near_capacity",
        "Like shared_teams, but the 3-person warehouse runs near 90 % and chase escalations "
        "land on it: some seeds tip into a chase-call spiral.",
        warehouse=people("Marek Nowak, Heinz Pohl, Olga Schmidt", WAREHOUSE_DAY),
        pick_minutes=(53.0, 30.0, 126.0),
        load="near capacity",
        escalation_minutes=25.0,
        volume=1.3,
    )


OPERATIONS: dict[str, Callable[[], OperationSpec]] = {
    "shared_teams": shared_teams,
    "near_capacity": near_capacity,
}


@cache
def operation(name: str) -> OperationSpec:
    """The spec of a named operation (one object per name, so runs can share its base)."""
    if name not in OPERATIONS:
        raise KeyError(
            f"unknown operation {name!r}; the test bed has: {', '.join(sorted(OPERATIONS))}"
        )
    return OPERATIONS[name]()
