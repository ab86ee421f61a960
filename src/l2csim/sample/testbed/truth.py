"""The truth of an operation run (`<name>_truth.json`): everything a fitter should recover.

Units: hours for every duration (work, waits, patience, lead times), shares 0-1, money in
the operation's currency, dates local. Computed from the world itself, not from its log.

- `operation`: name, description, dimensions, seed, policy, period (start, days, end =
  first day after intake, extract date), time zone, country, currency, the log's format.
- `teams`: per team: `members` (resource names as they appear in the log), `activities`
  served, each member's `calendar` (weekly hours, hours per week, `part_time_share` =
  hours / 40, vacation and sick days in the period, other teams), `capacity` over the
  period (`person_hours`, `mean_concurrent` = person-hours at work / hours with anyone at
  work, `by_weekday_hour` = mean people at work per local weekday (Mon..Sun) and hour),
  `shared_login` (a login some of the team's work is booked under) and `utilisation`.
- `system_users`: resource names that are not people (gateways, mailboxes, carriers,
  systems, batch jobs, shared logins) with their kind.
- `activities`: per activity: `kind` (work / wait / intake), `teams`, the true work
  distribution in hours (`work_hours`) or delay (`delay`, with its clock), the realised
  mean, how often it is in the log, whether it is a milestone.
- `intake`: mode, who keys e-mails and takes phone orders, realised channel shares, the
  true mean inbox wait (hours from the customer's e-mail to the start of keying) and
  whether the log shows it.
- `tiers`: per tier: SLA (working days + the line's lead, or hours), courtesy milestones
  owed, channel mix, cadence range, value factor, customers at the start, new per year.
- `customers`: `records` (every customer number in the log -> true customer key, tier,
  true name, one_time, cadence in days, master or second record), `rekeyed` pairs,
  `churned` (who left after a bad experience: when, the deciding order), `stopped`
  (stopped for outside reasons), `hard_cases` (walk-ins, same names, generic names,
  branches), `crm` (wrong rows of the CRM export) or the tier attribute's rule.
- `behaviour`: patience per tier (shift + distribution, hours after the end of the
  promised day), repeat gap, escalation share, expedite probability, call work, hold and
  redial, courtesy practice, churn model coefficients (logit per delivered order).
- `kpis`: the period's true KPIs (see `kpis.py`), and `realised` counts.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import TYPE_CHECKING, Any

import numpy as np

from l2csim.sample.testbed.eventlog import DEFAULT_RECORD_TIER, period_dates
from l2csim.sample.testbed.kpis import measure
from l2csim.sample.testbed.people import people_at_work
from l2csim.sample.testbed.spec import CHANNELS, EMAIL, Dist
from l2csim.sample.testbed.world import HOLD_MINUTES, REDIAL_MINUTES

if TYPE_CHECKING:
    import pandas as pd

    from l2csim.sample.testbed.world import World

FULL_TIME_HOURS = 40.0
DIGITS = 6


def _r(x: float | None) -> float | None:
    return None if x is None else round(float(x), DIGITS)


def _hours(dist: Dist | None) -> dict[str, Any] | None:
    return None if dist is None else dist.describe("hours", 1 / 60)


def _system_kind(name: str, world: World) -> str:
    spec = world.spec
    if name == spec.intake.edi_resource:
        return "gateway"
    if name == spec.intake.mailbox_resource:
        return "mailbox"
    if name.startswith("Carrier"):
        return "carrier"
    if any(t.shared_login == name for t in spec.teams):
        return "shared login"
    if any(name in s.resources and s.batch for line in spec.lines for s in line.steps):
        return "batch job"
    return "system"


def build_truth(world: World, events: pd.DataFrame) -> dict[str, Any]:
    spec = world.spec
    clock = world.clock
    w0, w1 = world.window
    fmt = spec.log
    start, end, extract = period_dates(world)
    period_orders = [o for o in world.orders if o.arrival < w1]
    activity_col = fmt.column("activity")
    resource_col = fmt.column("resource")
    customer_col = fmt.column("customer")
    counts = Counter(events[activity_col])
    kpis = measure(world)

    # --- teams ---------------------------------------------------------------------------
    activities_of = spec.team_activities()
    people = {p.name: p for p in world.people}
    teams = {}
    for team_spec in spec.teams:
        team = world.teams[team_spec.name]
        members = {}
        for member in team.members:
            person = people[member.name]
            hours = person.spec.pattern.hours_per_week()
            members[member.name] = {
                "weekly_hours": person.spec.pattern.as_dict(),
                "hours_per_week": _r(hours),
                "part_time_share": _r(min(1.0, hours / FULL_TIME_HOURS)),
                "vacation_days_in_period": sum(1 for d in person.vacation if d < world.days),
                "sick_days_in_period": sum(1 for d in person.sick if d < world.days),
                "teams": list(person.teams),
                "utilisation": kpis["by_person"].get(member.name),
                "hired_by_policy": member.name not in {p.name for p in team_spec.members},
            }
        capacity = people_at_work([m.calendar for m in team.members], clock, w0, w1)
        teams[team_spec.name] = {
            "members": list(members),
            "activities": activities_of[team_spec.name],
            "calendars": members,
            "capacity": capacity,
            "shared_login": team_spec.shared_login,
            "shared_login_share": team_spec.shared_login_share,
            "utilisation": kpis["by_team"][team_spec.name]["staff_utilisation"],
        }

    # --- system users ----------------------------------------------------------------------
    people_names = set(world.members)
    resources = sorted(set(events[resource_col]))
    system_users = {
        name: {"kind": _system_kind(name, world)} for name in resources if name not in people_names
    }
    for team_spec in spec.teams:
        if team_spec.shared_login in system_users:
            system_users[team_spec.shared_login]["shared_login_of"] = team_spec.name

    # --- activities ------------------------------------------------------------------------
    done = defaultdict(list)  # activity -> work hours (work) or elapsed hours (waits)
    for order_index, activity, _resource, _t0, _t1, minutes in world.records:
        if world.orders[order_index].arrival < w1:
            done[activity].append(minutes / 60.0)
    activities: dict[str, Any] = {}
    for line in spec.lines:
        for step in line.steps:
            entry = activities.setdefault(
                step.activity,
                {
                    "kind": step.kind,
                    "teams": [],
                    "lines": [],
                    "milestone": step.milestone,
                    "logged": step.logged,
                },
            )
            entry["lines"].append(line.name)
            if step.kind == "work":
                entry["teams"] = sorted(set(entry["teams"]) | {step.team})
                entry.setdefault("work_hours", {})[line.name] = _hours(step.work)
                if step.repeat:
                    entry["repeat_probability"] = step.repeat
            else:
                unit = "working days" if step.clock == "days" else "hours"
                clock_name = {
                    "hours": "wall clock",
                    "office": "office hours (08-17 on working days)",
                    "days": "working days, event 08-18",
                }
                entry.setdefault("delay", {})[line.name] = {
                    **step.wait.describe(unit),
                    "clock": clock_name[step.clock],
                    "batch_runs": list(step.batch),
                    "expeditable": step.expeditable,
                }
                entry["resources"] = list(step.resources)
            entry.setdefault("probability", {})[line.name] = (
                dict(zip(CHANNELS, step.by_channel, strict=True))
                if step.by_channel
                else step.probability
            )
    intake = spec.intake
    calls = spec.calls
    keyed_activity = intake.key_activity if intake.mode == "arrival" else intake.received_activity
    for activity, label, dist, kind in (
        (keyed_activity, EMAIL, intake.key_work, "work"),
        (intake.received_activity, "phone", intake.phone_work, "intake"),
        (calls.chase_activity, "all", calls.chase_work, "work"),
        (calls.courtesy_activity, "all", calls.courtesy_work, "work"),
        (calls.escalation_activity, "all", calls.escalation_work, "work"),
    ):
        entry = activities.setdefault(
            activity, {"kind": kind, "teams": [], "milestone": False, "logged": True}
        )
        entry["teams"] = spec.teams_of(activity)
        entry.setdefault("work_hours", {})[label] = _hours(dist)
    received = activities[intake.received_activity]
    received["kind"] = "intake"
    received["note"] = (
        "EDI: logged by the gateway at arrival (no work); phone: by the agent at the end of "
        "the call"
        + (
            "; e-mail: by the mailbox at arrival, then keyed (" + intake.key_activity + ")"
            if intake.mode == "arrival"
            else "; e-mail: by the agent who keyed it, at the end of keying"
        )
    )
    for activity, entry in activities.items():
        entry["in_log"] = int(counts.get(activity, 0))
        entry["realised_mean_hours"] = _r(np.mean(done[activity])) if done[activity] else None

    # --- intake ----------------------------------------------------------------------------
    by_channel = Counter(o.channel for o in period_orders)
    waits = [
        o.inbox_wait / 60.0
        for o in period_orders
        if o.channel == EMAIL and o.inbox_wait is not None
    ]
    intake_truth = {
        "mode": intake.mode,
        "channels": {c: _r(by_channel[c] / max(1, len(period_orders))) for c in CHANNELS},
        "e_mail_keyed_by": intake.keyer,
        "phone_taken_by": intake.phone,
        "edi_resource": intake.edi_resource,
        "mailbox_resource": intake.mailbox_resource if intake.mode == "arrival" else None,
        "inbox_delay_office_hours": intake.inbox_delay.describe("office hours"),
        "inbox_wait_mean_hours": _r(np.mean(waits)) if waits else None,
        "inbox_wait_visible_in_log": intake.mode == "arrival",
        "received_activity": intake.received_activity,
        "key_activity": intake.key_activity if intake.mode == "arrival" else None,
    }

    # --- tiers -----------------------------------------------------------------------------
    tiers = {
        t.name: {
            "sla": (
                {
                    "working_days": t.sla_working_days,
                    "line_lead_working_days": {x.name: x.lead_working_days for x in spec.lines},
                    "promised": "end of the promised local day",
                }
                if spec.promise == "date"
                else {"hours": t.sla_hours}
            ),
            "courtesy_owed_at": list(t.courtesy_owed),
            "channels": dict(zip(CHANNELS, t.channels, strict=True)),
            "cadence_days_range": None if t.one_time else list(t.cadence_days),
            "cadence_cv": None if t.one_time else t.cadence_cv,
            "value_factor": t.value_factor,
            "customers_at_start": t.customers,
            "new_customers_per_year": t.new_per_year,
            "one_time_buyers_per_week": t.arrivals_per_week if t.one_time else None,
            "line_weights": dict(zip((x.name for x in spec.lines), t.lines, strict=False)),
        }
        for t in spec.tiers
    }

    # --- customers -------------------------------------------------------------------------
    seen = set(events[customer_col])
    records = []
    rekeyed = []
    hard: dict[str, list] = defaultdict(list)
    same_name: dict[str, list[str]] = defaultdict(list)
    branches: dict[str, list[str]] = defaultdict(list)
    for customer in world.base.customers:
        base = {
            "customer_key": customer.cust_no,
            "tier": customer.tier,
            "true_name": customer.name,
            "one_time": customer.one_time,
            "cadence_days": _r(customer.cadence_days) if customer.cadence_days else None,
            "joined": clock.date(clock.day_of(customer.joined)).isoformat(),
            "annual_revenue": _r(customer.annual_revenue),
        }
        if customer.cust_no in seen:
            records.append(
                {
                    "cust_no": customer.cust_no,
                    "name_in_log": customer.name,
                    "record": "master",
                    **base,
                }
            )
            if customer.hard_case == "walk_in":
                hard["walk_in"].append(customer.cust_no)
            elif customer.hard_case == "generic_name":
                hard["generic_name"].append(customer.cust_no)
            elif customer.hard_case == "same_name":
                same_name[customer.name].append(customer.cust_no)
            elif customer.hard_case == "branch":
                branches[customer.name.rsplit(" ", 1)[0]].append(customer.cust_no)
        if customer.alias_no and customer.alias_no in seen:
            records.append(
                {
                    "cust_no": customer.alias_no,
                    "name_in_log": customer.alias_name,
                    "record": "second record",
                    **base,
                }
            )
            rekeyed.append(
                {
                    "master": customer.cust_no,
                    "master_name": customer.name,
                    "duplicate": customer.alias_no,
                    "duplicate_name": customer.alias_name,
                    "difference": customer.alias_kind,
                    "master_in_log": customer.cust_no in seen,
                }
            )
    hard["same_name"] = [ids for ids in same_name.values() if len(ids) > 1]
    hard["branch"] = [ids for ids in branches.values() if len(ids) > 1]
    churned, stopped = [], []
    last_order: dict[int, float] = {}
    for order in period_orders:
        last_order[order.customer.index] = order.arrival
    for state in world.states:
        customer = state.customer
        if state.churned_at is not None:
            churned.append(
                {
                    "customer_key": customer.cust_no,
                    "tier": customer.tier,
                    "date": clock.date(clock.day_of(state.churned_at)).isoformat(),
                    "in_period": state.churned_at < w1,
                    "last_order_date": (
                        clock.date(clock.day_of(last_order[customer.index])).isoformat()
                        if customer.index in last_order
                        else None
                    ),
                    "annual_revenue": _r(customer.annual_revenue),
                    "experience": {
                        "orders": state.orders,
                        "late_orders": state.late,
                        "chase_calls": state.chases,
                        "courtesy_calls": state.courtesy,
                    },
                    "deciding_order": state.reason,
                }
            )
        if customer.stop_at is not None and customer.stop_at < w1:
            stopped.append(
                {
                    "customer_key": customer.cust_no,
                    "tier": customer.tier,
                    "stop_date": clock.date(clock.day_of(customer.stop_at)).isoformat(),
                    "cadence_days": _r(customer.cadence_days),
                    "last_order_date": (
                        clock.date(clock.day_of(last_order[customer.index])).isoformat()
                        if customer.index in last_order
                        else None
                    ),
                }
            )
    customers = {
        "records": sorted(records, key=lambda r: r["cust_no"]),
        "rekeyed": sorted(rekeyed, key=lambda r: r["master"]),
        "churned": sorted(churned, key=lambda r: (r["date"], r["customer_key"])),
        "stopped": sorted(stopped, key=lambda r: (r["stop_date"], r["customer_key"])),
        "hard_cases": dict(hard),
        "tier_source": fmt.tiers,
        "tier_attribute_rule": (
            f"the log's tier column holds the customer's tier; a re-keyed second record "
            f"carries '{DEFAULT_RECORD_TIER}' (the class of a new record)"
            if fmt.tiers == "attribute"
            else None
        ),
    }

    # --- behaviour -------------------------------------------------------------------------
    churn = spec.churn
    behaviour = {
        "patience": {
            t.name: {
                "shift_hours": t.patience_shift_hours,
                "after_shift": _hours_plain(t.patience),
                "from": "end of the promised day"
                if spec.promise == "date"
                else "promised hours after receipt",
            }
            for t in spec.tiers
        },
        "repeat_gap": {t.name: _hours_plain(t.repeat_gap) for t in spec.tiers},
        "escalation_share": {t.name: t.escalation_share for t in spec.tiers},
        "expedite_probability": {t.name: t.expedite_probability for t in spec.tiers},
        "chase_team": calls.chase_team,
        "chase_call_hours": _hours(calls.chase_work),
        "escalation_hours": _hours(calls.escalation_work),
        "escalation_goes_to": "the team holding the order's next task, else the line's owner",
        "calls_hold_minutes": [HOLD_MINUTES * 0.5, HOLD_MINUTES * 1.5],
        "calls_redial_minutes": [REDIAL_MINUTES * 0.5, REDIAL_MINUTES * 1.5],
        "courtesy": {
            "made_by": calls.courtesy_team or "the product line's owner team",
            "practice": {t.name: dict(t.courtesy_practice) for t in spec.tiers},
            "owed_at": {t.name: list(t.courtesy_owed) for t in spec.tiers},
            "call_hours": _hours(calls.courtesy_work),
            "delay_office_hours": calls.courtesy_delay.describe("office hours"),
            "calm_hours": calls.calm_hours,
        },
        "churn": {
            "model": "logit P(leave after a delivered order) = intercept[tier] + late * late + "
            "per_chase * times the customer chased the order (answered or not) + courtesy * "
            "courtesy calls on the order",
            "intercept": {t.name: t.churn_intercept for t in spec.tiers},
            "late": churn.late,
            "per_chase": churn.per_chase,
            "courtesy": churn.courtesy,
            "decided_hours_after_delivery": churn.decide_after_hours,
            "outside_stop_per_year": {t.name: t.outside_stop_per_year for t in spec.tiers},
        },
    }

    realised = {
        "orders": len(period_orders),
        "events": len(events),
        "abandoned_calls": world.abandoned_calls,
        "orders_open_at_extract": sum(1 for o in period_orders if o.finished_at is None),
    }
    return {
        "operation": {
            "name": spec.name,
            "description": spec.description,
            "dimensions": spec.dimensions,
            "seed": world.seed,
            "policy": {"name": world.policy.name, **world.policy.as_dict()},
            "period": {
                "start": start.isoformat(),
                "days": world.days,
                "end": end.isoformat(),
                "extract_date": extract.isoformat(),
            },
            "timezone": spec.timezone,
            "country": spec.country,
            "currency": spec.currency,
            "promise": spec.promise,
            "log": {"columns": dict(fmt.columns), "timestamps": fmt.timestamps, "tiers": fmt.tiers},
            "bottleneck": {"team": spec.bottleneck[0], "activity": spec.bottleneck[1]},
        },
        "teams": teams,
        "system_users": system_users,
        "activities": activities,
        "intake": intake_truth,
        "tiers": tiers,
        "customers": customers,
        "behaviour": behaviour,
        "kpis": kpis,
        "realised": realised,
    }


def _hours_plain(dist: Dist) -> dict[str, Any]:
    return dist.describe("hours")
