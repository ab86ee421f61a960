"""Hand-built models for the simulation tests: an M/M/c queue and one shaped like the sample.

The sample-shaped model has the bundled sample's tiers, SLAs, product lines, teams and
calendars (see event_logs/sample_truth.json), with round numbers where the truth has none.
"""

from __future__ import annotations

from l2csim.params import (
    END_NODE,
    START_NODE,
    ActivityParams,
    ArrivalPattern,
    Arrivals,
    Calendar,
    ChaseBehaviour,
    CourtesyPractice,
    Distribution,
    ModelParams,
    ModelRoles,
    Pool,
    Provenance,
    RetentionParams,
    Routing,
    Tier,
)

DEFAULT = Provenance(source="default")
ALWAYS = Calendar(weekdays=list(range(7)), start_hour=0, end_hour=24)
OFFICE = Calendar()
WAREHOUSE = Calendar(start_hour=6, end_hour=22)
UNIFORM = ArrivalPattern(weekday_weights=[1] * 7, hour_weights=[1] * 24, provenance=DEFAULT)
NO_CHURN = RetentionParams(intercept=-50, coefficients={}, provenance=DEFAULT)


def expo(mean: float) -> Distribution:
    return Distribution(kind="exponential", mean=mean, params={"mean": mean}, provenance=DEFAULT)


def lognormal(mean: float, sigma: float = 0.4) -> Distribution:
    import math

    mu = math.log(mean) - sigma * sigma / 2
    return Distribution(
        kind="lognormal", mean=mean, params={"mu": mu, "sigma": sigma}, provenance=DEFAULT
    )


def mmc_model(arrivals_per_hour: float, service_mean: float, servers: int) -> ModelParams:
    """M/M/c: Poisson arrivals, exponential service, c servers around the clock, no calls."""
    return ModelParams(
        tiers=[
            Tier(
                name="all",
                rank=0,
                customers=1000,
                promised_hours=1e6,
                mean_order_value=1,
                provenance=DEFAULT,
            )
        ],
        arrivals=[
            Arrivals(
                tier="all",
                segment="all",
                orders_per_week=arrivals_per_hour * 168,
                provenance=DEFAULT,
            )
        ],
        arrival_pattern=UNIFORM,
        routing=[
            Routing(
                segment="all",
                transitions={START_NODE: {"Serve": 1.0}, "Serve": {END_NODE: 1.0}},
                cases=1,
                provenance=DEFAULT,
            )
        ],
        activities=[ActivityParams(name="Serve", pool="servers", duration=expo(service_mean))],
        pools=[Pool(name="servers", size=servers, calendar=ALWAYS, provenance=DEFAULT)],
        chase=ChaseBehaviour(
            patience_after_promise=expo(1),
            repeat_after=expo(1),
            max_calls=0,
            call=expo(0.1),
            pool="servers",
            expedite_probability=0,
            provenance=DEFAULT,
        ),
        courtesy=CourtesyPractice(
            probability={}, call=expo(0.1), pool="servers", provenance=DEFAULT
        ),
        retention=NO_CHURN,
    )


TIERS = [  # name, customers, orders/week, promised hours (SLA working days), owed, value
    ("key_account", 25, 28.4, 144.0, ["Order confirmed", "Shipped", "Delivered"], 14000.0),
    ("priority", 60, 15.9, 168.0, ["Shipped", "Delivered"], 9500.0),
    ("occasional", 150, 22.2, 216.0, [], 7000.0),
    ("one_time", 520, 9.9, 264.0, [], 5200.0),
]
SEGMENTS = {"Industrial pumps": 0.45, "Spare parts": 0.40, "Custom systems": 0.15}
TEAM = {"Industrial pumps": "OM-North", "Spare parts": "OM-Spares", "Custom systems": "Projects"}


def _chain(segment: str) -> dict[str, dict[str, float]]:
    confirmed = (
        {"Technical clarification": 0.75, "Pick and pack": 0.25}
        if segment == "Custom systems"
        else {"Pick and pack": 1.0}
    )
    return {
        START_NODE: {"Order received": 1.0},
        "Order received": {"Key in order": 0.55, "Credit check": 0.45},
        "Key in order": {"Credit check": 0.85, "Correct order data": 0.15},
        "Credit check": {"Order confirmed": 0.92, "Correct order data": 0.08},
        "Correct order data": {"Order confirmed": 0.85, "Correct order data": 0.15},
        "Order confirmed": confirmed,
        "Technical clarification": {"Pick and pack": 1.0},
        "Pick and pack": {"Shipped": 1.0},
        "Shipped": {"Delivered": 0.9, "Customer chase call": 0.1},
        "Customer chase call": {"Delivered": 0.7, "Expedite order": 0.3},
        "Expedite order": {"Delivered": 1.0},
        "Delivered": {"Invoice sent": 0.97, "Courtesy call": 0.03},
        "Courtesy call": {"Invoice sent": 1.0},
        "Invoice sent": {END_NODE: 1.0},
    }


def sample_like_model(churn: bool = True, customer_service: int = 2) -> ModelParams:
    """The sample's operation in round numbers: 4 tiers, 3 product lines, 8 pools."""
    team = {"pool_by_segment": {s: t for s, t in TEAM.items()}, "pool": "OM-North"}
    activities = [
        ActivityParams(name="Order received", pool="Order desk", duration=expo(0.01)),
        ActivityParams(name="Key in order", pool="Customer Service", duration=lognormal(0.3)),
        ActivityParams(name="Credit check", duration=lognormal(0.25), **team),
        ActivityParams(name="Correct order data", duration=lognormal(0.42), **team),
        ActivityParams(name="Order confirmed", duration=lognormal(0.17), **team),
        ActivityParams(
            name="Technical clarification",
            pool="Projects",
            duration=lognormal(0.83),
            delay=expo(60.0),
        ),
        ActivityParams(
            name="Pick and pack", pool="Warehouse", duration=lognormal(0.75), delay=expo(30.0)
        ),
        ActivityParams(name="Shipped", pool="Warehouse", duration=lognormal(0.2)),
        ActivityParams(name="Delivered", pool="Carrier", duration=expo(0.01), delay=expo(40)),
        ActivityParams(name="Invoice sent", pool="Finance", duration=lognormal(0.13)),
        ActivityParams(
            name="Customer chase call", pool="Customer Service", duration=lognormal(0.2)
        ),
        ActivityParams(name="Courtesy call", pool="Customer Service", duration=lognormal(0.13)),
        ActivityParams(name="Expedite order", duration=lognormal(0.33), **team),
    ]
    pools = [
        Pool(name="Order desk", size=1, calendar=ALWAYS, external=True, provenance=DEFAULT),
        Pool(name="Customer Service", size=customer_service, calendar=OFFICE, provenance=DEFAULT),
        Pool(name="OM-North", size=2, calendar=OFFICE, provenance=DEFAULT),
        Pool(name="OM-Spares", size=2, calendar=OFFICE, provenance=DEFAULT),
        Pool(name="Projects", size=2, calendar=OFFICE, provenance=DEFAULT),
        Pool(name="Warehouse", size=2, calendar=WAREHOUSE, provenance=DEFAULT),
        Pool(name="Finance", size=1, calendar=OFFICE, provenance=DEFAULT),
        Pool(
            name="Carrier",
            size=1,
            calendar=Calendar(start_hour=8, end_hour=18),
            external=True,
            provenance=DEFAULT,
        ),
    ]
    tiers = [
        Tier(
            name=name,
            rank=rank,
            customers=n,
            promised_hours=hours,
            courtesy_owed_at=owed,
            mean_order_value=value,
            provenance=DEFAULT,
        )
        for rank, (name, n, _, hours, owed, value) in enumerate(TIERS)
    ]
    arrivals = [
        Arrivals(tier=name, segment=segment, orders_per_week=per_week * share, provenance=DEFAULT)
        for name, _, per_week, _, _, _ in TIERS
        for segment, share in SEGMENTS.items()
    ]
    retention = (
        RetentionParams(
            intercept=-4.0,
            coefficients={"late_orders": 0.8, "chase_calls": 0.4, "courtesy_calls": -0.3},
            tier_offsets={"key_account": -20.0},
            window_orders=3,
            provenance=DEFAULT,
        )
        if churn
        else NO_CHURN
    )
    return ModelParams(
        roles=ModelRoles(
            order_received=["Order received"],
            delivered=["Delivered"],
            chase_call=["Customer chase call"],
            courtesy_call=["Courtesy call"],
            milestones=["Order confirmed", "Shipped", "Delivered"],
            rework=["Correct order data"],
        ),
        segment_attribute="product_line",
        tiers=tiers,
        arrivals=arrivals,
        arrival_pattern=ArrivalPattern(
            weekday_weights=[0.22, 0.21, 0.2, 0.2, 0.15, 0.01, 0.01],
            hour_weights=[0.2] * 6 + [1, 2, 4, 5, 5, 4, 3, 4, 4, 3, 2, 1] + [0.3] * 6,
            provenance=DEFAULT,
        ),
        routing=[
            Routing(segment=s, transitions=_chain(s), cases=100, provenance=DEFAULT)
            for s in SEGMENTS
        ],
        activities=activities,
        pools=pools,
        chase=ChaseBehaviour(
            patience_after_promise=expo(8.0),
            repeat_after=expo(48.0),
            max_calls=3,
            call=lognormal(0.2),
            pool="Customer Service",
            expedite_probability=0.5,
            expedite_activity="Expedite order",
            provenance=DEFAULT,
        ),
        courtesy=CourtesyPractice(
            probability={
                "key_account": {"Order confirmed": 0.35, "Shipped": 0.45, "Delivered": 0.40},
                "priority": {"Shipped": 0.50, "Delivered": 0.45},
                "occasional": {"Order confirmed": 0.12},
                "one_time": {"Order confirmed": 0.55},
            },
            call=lognormal(0.13),
            pool="Customer Service",
            provenance=DEFAULT,
        ),
        retention=retention,
    )


def with_expedite_shares(params: ModelParams, pooled: float, top_tier: float) -> ModelParams:
    """The model with every other chase call escalated (all of them with `pooled` 0) and
    the shares of escalations that get the order ahead: the top tier's, everyone else's."""
    chase = params.chase.model_copy(
        update={
            "escalation_share": 1.0 if pooled == 0.0 else 0.5,
            "expedite_share": pooled,
            "expedite_share_by_tier": {params.tiers[0].name: top_tier},
        }
    )
    return params.model_copy(update={"chase": chase})
