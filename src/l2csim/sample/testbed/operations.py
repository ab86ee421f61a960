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
US_OFFICE_B = Pattern.weekdays((("08:00", "12:30"), ("13:00", "17:00")))
US_PART = Pattern.weekdays((("09:00", "13:00"),))
PHONE_DE = Pattern.weekdays((("08:00", "16:30"),))
PHONE_US = Pattern.weekdays((("08:00", "17:00"),))


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
            new_per_year=n(key_accounts) * 0.14,
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
            churn_intercept=-7.2 + churn_shift,
            outside_stop_per_year=0.05,
            rekeyed_share=rekeyed,
        ),
        TierSpec(
            PRIORITY,
            customers=n(priority),
            new_per_year=n(priority) * 0.14,
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
            churn_intercept=-6.5 + churn_shift,
            outside_stop_per_year=0.06,
            rekeyed_share=rekeyed * 1.2,
        ),
        TierSpec(
            OCCASIONAL,
            customers=n(occasional),
            new_per_year=n(occasional) * 0.17,
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
            churn_intercept=-6.0 + churn_shift,
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
COMPLETION_DIMENSION = "completion only"
START_END_DIMENSION = "start and end"


def _shared_teams_core(
    name: str,
    description: str,
    *,
    pick_minutes: tuple[float, float, float],
    load: str,
    escalation_minutes: float,
    volume: float,
) -> OperationSpec:
    invoice, payment = finance_steps("Finance")
    lines = industrial_lines(
        line_team=_line_roles(LINE_TEAMS_DE),
        invoice=invoice,
        payment=payment,
        carriers=DE_CARRIERS,
        pick_minutes=pick_minutes,
    )
    teams = (
        TeamSpec("Team Pumps", people("Anna Becker", FULL) + people("Petra Lang", MORNINGS)),
        TeamSpec("Team Spares", people("Sven Krüger", FULL) + people("Melanie Brandt", MON_WED)),
        TeamSpec("Team Systems", people("Dr. Katrin Vogt, Lukas Hartmann", FULL_LATE)),
        TeamSpec(
            "Customer Service", people("Sabine Koch", FULL) + people("Daniel Schulte", FULL_B)
        ),
        TeamSpec(
            "Warehouse",
            people("Marek Nowak, Heinz Pohl, Olga Schmidt", WAREHOUSE_DAY),
            hire_names=("Tomasz Wójcik",),
        ),
        TeamSpec("Finance", people("Claudia Neumann", FULL)),
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
        churn=ChurnSpec(courtesy=-0.4),
        log=LogFormat(columns=DE_COLUMNS, tiers="crm"),
        names=NameSpec("DE", "moderate"),
        bottleneck=("Warehouse", "Pick and pack"),
        dimensions={
            "teams": "shared (a team per product line does all its office steps)",
            "timestamps": COMPLETION_DIMENSION,
            "intake": "arrival logged; e-mails keyed by customer service",
            "load": load,
            "names": "moderate (re-keyed: umlauts, legal form, typos)",
            "tiers": "CRM export",
            "promise": "promised date",
            "courtesy_retains": "yes",
        },
        system_users=("EDI gateway", "Order mailbox", "Goods receipt", "Bank import", *DE_CARRIERS),
    )


def shared_teams() -> OperationSpec:
    return _shared_teams_core(
        "shared_teams",
        "Three product-line teams each do credit check, entry, correction, confirmation and "
        "courtesy calls; a 2-person customer service keys e-mailed orders and answers chase "
        "calls; a 3-person warehouse; invoicing and customer payment. Moderate load.",
        pick_minutes=(44.0, 25.0, 105.0),
        load="moderate (warehouse about 70 %)",
        escalation_minutes=15.0,
        volume=1.3,
    )


def near_capacity() -> OperationSpec:
    return _shared_teams_core(
        "near_capacity",
        "Like shared_teams, but the 3-person warehouse runs near 85-95 % and chase escalations "
        "land on whichever team holds the order: in some years the summer holidays tip it "
        "into a chase-call spiral that takes customer service down with it.",
        pick_minutes=(51.0, 29.0, 121.0),
        load="near capacity (warehouse 85-95 %; some years spiral)",
        escalation_minutes=25.0,
        volume=1.3,
    )


GB_LINES = ("Pumps", "Spare parts", "Engineered systems")


def specialised() -> OperationSpec:
    team_of_role = {
        "check": "Order Desk",
        "credit": "Credit Control",
        "entry": "Order Desk",
        "correct": "Order Desk",
        "clarify": "Applications Engineering",
        "confirm": "Order Desk",
    }
    invoice, payment = finance_steps("Billing", payment_days=30.0)
    lines = industrial_lines(
        line_team=lambda line, role: team_of_role[role],
        invoice=invoice,
        payment=payment,
        carriers=GB_CARRIERS,
        pick_minutes=(38.0, 22.0, 90.0),
        names=GB_LINES,
        value_scale=0.85,
        entry_minutes=18.0,
    )
    gb = 25
    teams = (
        TeamSpec("Order Intake", people("Priya Shah", FULL, gb) + people("Tom Hughes", FULL_B, gb)),
        TeamSpec("Credit Control", people("Margaret Ellis", FULL, gb)),
        TeamSpec(
            "Order Desk",
            people("Daniel Price, Chloe Bennett", FULL, gb) + people("Aisha Khan", MORNINGS, gb),
            hire_names=("Oliver Grant",),
        ),
        TeamSpec("Applications Engineering", people("Dr. Ian Murray", FULL_LATE, gb)),
        TeamSpec(
            "Customer Care", people("Sophie Turner", FULL, gb) + people("Ryan Cooper", FULL_B, gb)
        ),
        TeamSpec(
            "Warehouse",
            people("Gary Webb, Karen Holmes, Lee Marshall, Dave Fletcher", WAREHOUSE_DAY, gb),
        ),
        TeamSpec("Billing", people("Helen Lloyd", AFTERNOONS, gb)),
    )
    return OperationSpec(
        name="specialised",
        description="One team per step (order intake, credit control, order desk, "
        "applications engineering, customer care for all calls, warehouse, billing); start "
        "and end times; comfortable load.",
        timezone="Europe/London",
        country="GB",
        currency="GBP",
        tiers=standard_tiers(volume=1.2, one_time_per_week=14.0),
        lines=lines,
        teams=teams,
        intake=IntakeSpec(
            mode="arrival",
            keyer="Order Intake",
            phone="Order Intake",
            key_work=Dist.lognormal(13.0, 0.5),
            phone_work=Dist.lognormal(12.0, 0.4),
            inbox_delay=Dist.lognormal(1.0, 1.0),
            mailbox_resource="Sales inbox",
        ),
        calls=shared_calls("Customer Care", "Customer Care", phone=PHONE_DE),
        churn=ChurnSpec(courtesy=-0.4),
        log=LogFormat(
            columns=START_END_COLUMNS,
            timestamps="start_end",
            tiers="crm",
            order_prefix="SO",
            first_order_number=700001,
            customer_prefix="UK",
            first_customer_number=40001,
        ),
        names=NameSpec(
            "GB", "moderate", rekeyed_kinds=("capitals", "legal_form", "typo", "ampersand")
        ),
        bottleneck=("Order Desk", "Enter order"),
        dimensions={
            "teams": "specialised (one team per step)",
            "timestamps": START_END_DIMENSION,
            "intake": "arrival logged; e-mails keyed by the order intake team",
            "load": "comfortable (order desk about 55 %)",
            "names": "moderate (re-keyed: capitals, Ltd/Limited, &/and, typos)",
            "tiers": "CRM export",
            "promise": "promised date",
            "courtesy_retains": "yes",
        },
        system_users=("EDI gateway", "Sales inbox", "Goods receipt", "Bank import", *GB_CARRIERS),
    )


US_COLUMNS = (
    ("order", "order_no"),
    ("activity", "step"),
    ("time", "completed_at"),
    ("resource", "user_name"),
    ("customer", "account_no"),
    ("customer_name", "account_name"),
    ("line", "product_family"),
    ("value", "net_value"),
    ("promised", "promise_date"),
    ("channel", "order_channel"),
    ("tier", "customer_tier"),
)
US_LINES = ("Pumps", "Parts", "Packaged systems")


def inbox_intake() -> OperationSpec:
    invoice, payment = finance_steps(None, payment_days=35.0, batch=True)
    cs_roles = ("entry", "correct", "confirm", "check")
    lines = industrial_lines(
        line_team=lambda line, role: "Customer Service" if role in cs_roles else "Inside Sales",
        invoice=invoice,
        payment=payment,
        carriers=US_CARRIERS,
        pick_minutes=(36.0, 20.0, 80.0),
        names=US_LINES,
        warehouse="Shipping",
        value_scale=1.1,
    )
    us = 15
    teams = (
        TeamSpec(
            "Customer Service",
            people("Maria Lopez", US_OFFICE, us) + people("Kevin Brooks", US_OFFICE_B, us),
            hire_names=("Jordan Kelly",),
        ),
        TeamSpec(
            "Inside Sales",
            people("Mike Howard", US_OFFICE, us) + people("Jennifer Cox", US_PART, us),
        ),
        TeamSpec("Shipping", people("Earl Watson, Rosa Flores, Dwayne Bell", WAREHOUSE_DAY, us)),
    )
    return OperationSpec(
        name="inbox_intake",
        description="E-mailed orders wait in customer service's inbox, often for a day or "
        "more; the log's 'Order received' is when an agent keyed the order, so the inbox wait "
        "shows only through the promise date and the channel. Customer service also takes "
        "phone orders and answers every chase call (calls first): it runs near capacity.",
        timezone="America/Chicago",
        country="US",
        currency="USD",
        tiers=standard_tiers(
            volume=1.05, one_time_per_week=13.5, edi_share=0.5, sla_days=(5, 7, 9, 10)
        ),
        lines=lines,
        teams=teams,
        intake=IntakeSpec(
            mode="keyed",
            keyer="Customer Service",
            phone="Customer Service",
            key_work=Dist.lognormal(18.0, 0.5),
            phone_work=Dist.lognormal(15.0, 0.4),
            inbox_delay=Dist.lognormal(4.0, 0.9),
        ),
        calls=shared_calls("Customer Service", None, phone=PHONE_US, escalation_minutes=20.0),
        churn=ChurnSpec(courtesy=0.0),
        log=LogFormat(
            columns=US_COLUMNS,
            tiers="attribute",
            order_prefix="",
            first_order_number=5100001,
            customer_prefix="A-",
            first_customer_number=2001,
        ),
        names=NameSpec("US", "moderate", rekeyed_kinds=("capitals", "legal_form", "typo")),
        bottleneck=("Customer Service", "Customer chase call"),
        dimensions={
            "teams": "shared (customer service keys, enters, confirms and calls for every "
            "line; inside sales checks credit and clarifies)",
            "timestamps": COMPLETION_DIMENSION,
            "intake": "keyed logged: 'Order received' when keyed; the inbox wait is invisible",
            "load": "near capacity (customer service about 70 % in a calm year, calls first; "
            "some years tip into a spiral that saturates it)",
            "names": "moderate (re-keyed: capitals, Inc./Incorporated, typos)",
            "tiers": "case attribute customer_tier",
            "promise": "promised date (counted from the day the customer ordered)",
            "courtesy_retains": "no (coefficient 0)",
        },
        system_users=("EDI gateway", "Goods receipt", "Finance batch", "Bank import", *US_CARRIERS),
    )


HARD_COLUMNS = tuple(c for c in DE_COLUMNS if c[0] != "promised")


def hard_names() -> OperationSpec:
    invoice, payment = finance_steps("Accounts", payment_days=28.0)
    lines = industrial_lines(
        line_team=lambda line, role: "Sales Office",
        invoice=invoice,
        payment=payment,
        carriers=GB_CARRIERS,
        pick_minutes=(30.0, 14.0, 55.0),
        names=("Pumps", "Valves and fittings", "Pipe systems"),
        systems_lead=0,
        shortage=(0.15, 0.08, 0.25),
        dashboard=False,
        value_scale=0.4,
    )
    gb = 25
    teams = (
        TeamSpec(
            "Trade Counter",
            people("Emma Clarke", FULL, gb) + people("Jack Robinson", FULL_B, gb),
            hire_names=("Megan Shaw",),
        ),
        TeamSpec(
            "Sales Office",
            people("Neil Carter, Rachel Green", FULL, gb) + people("Sam Patel", AFTERNOONS, gb),
        ),
        TeamSpec(
            "Warehouse",
            people("Craig Dixon, Paul Mason, Stuart Knight", WAREHOUSE_DAY, gb),
            hire_names=("Kieran Hunt",),
        ),
        TeamSpec("Accounts", people("Julie Palmer", MORNINGS, gb)),
    )
    hours = (144.0, 192.0, 240.0, 264.0)
    return OperationSpec(
        name="hard_names",
        description="A trade counter and distributor: many one-time walk-in buyers recorded "
        "as 'Walk-in buyer N', re-keyed customers under a second number (capitals, "
        "Ltd/Limited, Group/GRP, &/and, typos), two different customers with the same name, "
        "generic names, numbered branches; promises in hours, no promise date in the log.",
        timezone="Europe/London",
        country="GB",
        currency="GBP",
        tiers=standard_tiers(
            volume=1.0,
            one_time_per_week=32.0,
            sla_hours=hours,
            rekeyed=0.12,
            lines=((0.4, 0.45, 0.15),) * 3 + ((0.25, 0.7, 0.05),),
        ),
        lines=lines,
        teams=teams,
        intake=IntakeSpec(
            mode="arrival",
            keyer="Trade Counter",
            phone="Trade Counter",
            key_work=Dist.lognormal(10.0, 0.5),
            phone_work=Dist.lognormal(9.0, 0.4),
            inbox_delay=Dist.lognormal(1.0, 1.0),
            mailbox_resource="Counter inbox",
        ),
        calls=shared_calls("Trade Counter", None, phone=PHONE_DE),
        churn=ChurnSpec(courtesy=0.0),
        log=LogFormat(
            columns=HARD_COLUMNS,
            tiers="crm",
            order_prefix="TC-",
            first_order_number=100001,
            customer_prefix="",
            first_customer_number=300001,
        ),
        names=NameSpec(
            "GB",
            "hard",
            walk_in_share=0.7,
            same_name_pairs=3,
            generic_names=5,
            branch_groups=3,
            rekeyed_kinds=("capitals", "legal_form", "group", "ampersand", "typo"),
        ),
        promise="hours",
        bottleneck=("Sales Office", "Enter order"),
        dimensions={
            "teams": "shared (one sales office does every line's office steps)",
            "timestamps": COMPLETION_DIMENSION,
            "intake": "arrival logged; e-mails keyed at the trade counter",
            "load": "moderate (sales office about 65 %)",
            "names": "hard (walk-ins, same name, generic, branches, re-keyed variants)",
            "tiers": "CRM export",
            "promise": "hours after receipt (no promise date in the log)",
            "courtesy_retains": "no (coefficient 0)",
        },
        system_users=("EDI gateway", "Counter inbox", "Goods receipt", "Bank import", *GB_CARRIERS),
    )


SYSTEMS_COLUMNS = (
    ("order", "case_id"),
    ("activity", "activity"),
    ("start", "start_timestamp"),
    ("time", "end_timestamp"),
    ("resource", "resource"),
    ("customer", "customer_number"),
    ("customer_name", "customer_name"),
    ("line", "product_line"),
    ("value", "order_value"),
    ("promised", "promised_by"),
    ("channel", "channel"),
    ("tier", "tier"),
)


def systems_and_waits() -> OperationSpec:
    invoice, payment = finance_steps(None, payment_days=21.0, batch=True)
    team_of_role = {
        "check": "Order Entry",
        "credit": "Credit Desk",
        "entry": "Order Entry",
        "correct": "Order Entry",
        "clarify": "Order Entry",
        "confirm": "Order Entry",
    }
    supplier = wait(
        "Supplier delivery received",
        Dist.uniform(3.0, 12.0),
        "days",
        ("Supplier portal",),
        probability=0.3,
        expeditable=True,
        rush=Dist.lognormal(16.0, 0.6),
    )
    customs = wait(
        "Export documents cleared",
        Dist.lognormal(30.0, 0.6),
        "office",
        ("Customs broker",),
        probability=0.12,
    )
    lines = industrial_lines(
        line_team=lambda line, role: team_of_role[role],
        invoice=invoice,
        payment=payment,
        carriers=DE_CARRIERS,
        stock_resource="ERP stock posting",
        pick_minutes=(50.0, 28.0, 118.0),
        shortage=(0.15, 0.10, 1.0),
        invoice_after_delivery=False,
        extra_steps={
            "Industrial pumps": (supplier, customs),
            "Custom systems": (customs,),
        },
    )
    teams = (
        TeamSpec(
            "Order Entry",
            people("Ines Hahn, Florian Jung", FULL) + people("Bettina Krause", AFTERNOONS),
        ),
        TeamSpec(
            "Credit Desk", people("Rolf Albrecht", MORNINGS) + people("Sandra Vogel", WED_FRI)
        ),
        TeamSpec("Customer Service", people("Nadine Scholz", FULL) + people("Emre Aydin", FULL_B)),
        TeamSpec(
            "Warehouse",
            people("Piotr Zielinski, Uwe Franke, Jana Winter", WAREHOUSE_DAY),
            shared_login="LAGER-TERMINAL",
            shared_login_share=0.3,
            hire_names=("Mirko Stein",),
        ),
    )
    return OperationSpec(
        name="systems_and_waits",
        description="Systems and waits nobody works on: EDI gateway, stock postings, supplier "
        "deliveries (supplier portal), export clearance (customs broker), carriers, a nightly "
        "invoicing batch and the bank import of payments; warehouse work partly booked under "
        "a shared terminal login; specialised teams; start and end times.",
        timezone="Europe/Berlin",
        country="DE",
        currency="EUR",
        tiers=standard_tiers(
            volume=1.15, one_time_per_week=12.0, edi_share=1.0, sla_days=(6, 8, 10, 11)
        ),
        lines=lines,
        teams=teams,
        intake=IntakeSpec(
            mode="arrival",
            keyer="Order Entry",
            phone="Customer Service",
            key_work=Dist.lognormal(12.0, 0.5),
            phone_work=Dist.lognormal(11.0, 0.4),
            inbox_delay=Dist.lognormal(1.5, 1.0),
        ),
        calls=shared_calls("Customer Service", "Customer Service"),
        churn=ChurnSpec(courtesy=0.0),
        log=LogFormat(
            columns=SYSTEMS_COLUMNS,
            timestamps="start_end",
            tiers="attribute",
            order_prefix="A",
            first_order_number=4500001,
        ),
        names=NameSpec("DE", "moderate"),
        bottleneck=("Warehouse", "Pick and pack"),
        dimensions={
            "teams": "specialised (order entry, credit desk, customer service, warehouse)",
            "timestamps": START_END_DIMENSION,
            "intake": "arrival logged; e-mails keyed by order entry",
            "load": "moderate (warehouse about 70 %)",
            "names": "moderate",
            "tiers": "case attribute tier",
            "promise": "promised date",
            "courtesy_retains": "no (coefficient 0)",
        },
        system_users=(
            "EDI gateway",
            "Order mailbox",
            "ERP stock posting",
            "Supplier portal",
            "Customs broker",
            "Finance batch",
            "Bank import",
            "LAGER-TERMINAL",
            *DE_CARRIERS,
        ),
    )


SHIFTS_COLUMNS = (
    ("order", "order_id"),
    ("activity", "activity"),
    ("start", "started_at"),
    ("time", "completed_at"),
    ("resource", "user_id"),
    ("customer", "customer_id"),
    ("customer_name", "customer_name"),
    ("line", "product_line"),
    ("value", "order_value"),
    ("channel", "channel"),
    ("tier", "tier"),
)


def shifts() -> OperationSpec:
    invoice, payment = finance_steps("Billing", payment_days=32.0)
    team_of_role = {
        "check": "Order Management",
        "credit": "Order Management",
        "entry": "Order Management",
        "correct": "Order Management",
        "clarify": "Order Management",
        "confirm": "Order Management",
    }
    lines = industrial_lines(
        line_team=lambda line, role: team_of_role[role],
        invoice=invoice,
        payment=payment,
        carriers=US_CARRIERS,
        warehouse="Distribution Center",
        pick_minutes=(66.0, 36.0, 120.0),
        names=("Filters", "Valves", "Controls"),
        systems_lead=0,
        shortage=(0.12, 0.08, 0.2),
        value_scale=0.3,
    )
    us = 15
    teams = (
        TeamSpec(
            "Order Management",
            people("Brenda Scott, Eric Bailey", US_OFFICE, us)
            + people("Carlos Nguyen", US_PART, us)
            + people("Diane Peterson", MON_WED, us),
        ),
        TeamSpec(
            "Customer Care",
            people("Latoya Rogers, Mark Evans", US_OFFICE, us)
            + people("Greg Morgan", US_OFFICE_B, us),
        ),
        TeamSpec(
            "Distribution Center",
            people("Ray Collins, Hector Torres", EARLY_SAT, us)
            + people("Shawn Murphy", EARLY_SHIFT, us)
            + people("Tina Ward, Luis Campbell", LATE_SHIFT, us)
            + people("Dean Baker", LATE_SAT, us),
            hire_pattern=LATE_SHIFT,
            hire_names=("Amber Young",),
            shared_login="DC-SCANNER-2",
            shared_login_share=0.15,
        ),
        TeamSpec("Billing", people("Patricia Hill", US_PART, us)),
    )
    hours = (144.0, 192.0, 240.0, 240.0)
    return OperationSpec(
        name="shifts",
        description="A distribution center in two shifts (06:00-14:00, 14:00-22:00) with "
        "Saturday mornings, part-time office staff, US holidays in Chicago; many small "
        "orders; promises in hours; start and end times; hard customer names.",
        timezone="America/Chicago",
        country="US",
        currency="USD",
        tiers=standard_tiers(
            volume=1.3,
            one_time_per_week=22.0,
            sla_hours=hours,
            edi_share=0.8,
            rekeyed=0.08,
        ),
        lines=lines,
        teams=teams,
        intake=IntakeSpec(
            mode="arrival",
            keyer="Customer Care",
            phone="Customer Care",
            key_work=Dist.lognormal(8.0, 0.5),
            phone_work=Dist.lognormal(8.0, 0.4),
            inbox_delay=Dist.lognormal(1.0, 1.0),
            mailbox_resource="orders@ inbox",
        ),
        calls=shared_calls("Customer Care", "Customer Care", phone=PHONE_US),
        churn=ChurnSpec(courtesy=-0.4),
        log=LogFormat(
            columns=SHIFTS_COLUMNS,
            timestamps="start_end",
            tiers="attribute",
            order_prefix="WO-",
            first_order_number=880001,
            customer_prefix="CU",
            first_customer_number=5001,
        ),
        names=NameSpec(
            "US",
            "hard",
            walk_in_share=0.25,
            same_name_pairs=2,
            generic_names=3,
            branch_groups=2,
            rekeyed_kinds=("capitals", "legal_form", "ampersand", "typo"),
        ),
        promise="hours",
        bottleneck=("Distribution Center", "Pick and pack"),
        edi_hours=(0.0, 24.0),
        dimensions={
            "teams": "specialised (order management, customer care, distribution, billing)",
            "timestamps": START_END_DIMENSION,
            "intake": "arrival logged; e-mails keyed by customer care",
            "load": "comfortable (distribution center about 55 %)",
            "names": "hard (walk-ins, same name, generic, branches, re-keyed variants)",
            "tiers": "case attribute tier",
            "promise": "hours after receipt (no promise date in the log)",
            "courtesy_retains": "yes",
            "calendars": "two warehouse shifts and Saturdays; part-time office staff",
        },
        system_users=(
            "EDI gateway",
            "orders@ inbox",
            "Goods receipt",
            "Bank import",
            "DC-SCANNER-2",
            *US_CARRIERS,
        ),
    )


def small_team() -> OperationSpec:
    invoice, payment = finance_steps("Billing", payment_days=20.0)
    lines = industrial_lines(
        line_team=lambda line, role: "Order Desk",
        invoice=invoice,
        payment=payment,
        carriers=("Carrier DHL",),
        pick_minutes=(45.0, 25.0, 100.0),
        names=("Dosierpumpen", "Ersatzteile", "Anlagen"),
        dashboard=False,
    )
    jana = PersonSpec("Jana Wolff", FULL, 28)
    teams = (
        TeamSpec("Customer Service", (jana, PersonSpec("Tobias Kern", MORNINGS, 28))),
        TeamSpec(
            "Order Desk",
            (jana, PersonSpec("Tobias Kern", MORNINGS, 28)),
            hire_pattern=MORNINGS,
            hire_names=("Lea Brandt",),
        ),
        TeamSpec("Billing", (jana,)),
        TeamSpec(
            "Warehouse",
            people("Ali Yıldız", WAREHOUSE_DAY)
            + people("Greta Sommer", Pattern.weekdays((("07:00", "12:00"),), days=(0, 1, 2))),
        ),
    )
    return OperationSpec(
        name="small_team",
        description="A small firm: few customers, low volume, one person (Jana Wolff) "
        "covering customer service, the order desk and billing, Tobias Kern (mornings) on "
        "customer service and the order desk; e-mailed orders are keyed "
        "when someone gets to them and logged then; no tier list at all.",
        timezone="Europe/Berlin",
        country="DE",
        currency="EUR",
        tiers=standard_tiers(
            volume=0.25,
            one_time_per_week=2.5,
            key_accounts=24,
            priority=40,
            occasional=120,
            edi_share=0.3,
            rekeyed=0.04,
        ),
        lines=lines,
        teams=teams,
        intake=IntakeSpec(
            mode="keyed",
            keyer="Customer Service",
            phone="Customer Service",
            key_work=Dist.lognormal(14.0, 0.5),
            phone_work=Dist.lognormal(12.0, 0.4),
            inbox_delay=Dist.lognormal(3.0, 0.9),
        ),
        calls=shared_calls("Customer Service", None),
        churn=ChurnSpec(courtesy=0.0),
        log=LogFormat(
            columns=DE_COLUMNS,
            tiers="none",
            order_prefix="AB-",
            first_order_number=24001,
            customer_prefix="K",
            first_customer_number=101,
        ),
        names=NameSpec("DE", "easy", rekeyed_kinds=("umlaut", "typo")),
        bottleneck=("Order Desk", "Enter order"),
        dimensions={
            "teams": "one person on several teams (customer service, order desk, billing)",
            "timestamps": COMPLETION_DIMENSION,
            "intake": "keyed logged: 'Order received' when keyed; the inbox wait is invisible",
            "load": "comfortable (low volume)",
            "names": "easy",
            "tiers": "none (no CRM export, no tier attribute)",
            "promise": "promised date",
            "courtesy_retains": "no (coefficient 0)",
        },
        system_users=("EDI gateway", "Goods receipt", "Bank import", "Carrier DHL"),
    )


OPERATIONS: dict[str, Callable[[], OperationSpec]] = {
    "shared_teams": shared_teams,
    "specialised": specialised,
    "near_capacity": near_capacity,
    "inbox_intake": inbox_intake,
    "hard_names": hard_names,
    "systems_and_waits": systems_and_waits,
    "shifts": shifts,
    "small_team": small_team,
}


@cache
def operation(name: str) -> OperationSpec:
    """The spec of a named operation (one object per name, so runs can share its base)."""
    if name not in OPERATIONS:
        raise KeyError(
            f"unknown operation {name!r}; the test bed has: {', '.join(sorted(OPERATIONS))}"
        )
    return OPERATIONS[name]()
