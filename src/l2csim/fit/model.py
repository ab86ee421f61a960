"""fit_model: the whole fit of today's operation from an event log (and a study file).

Each part of the model comes from its own module (arrivals, routing, durations, staff,
customers, calls, retention, fingerprint); this module wires them together, decides what
the study's roles mean for each part, and records in `notes` everything that fell back to a
default. Without a study file (or without roles) routing, durations and pools still come
from the log; tiers, SLA, calls and retention then use stated defaults.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from l2csim.customers.crm import read_tier_table
from l2csim.fit import (
    arrivals,
    calls,
    closures,
    concurrency,
    customers,
    durations,
    evidence,
    intake,
    leave,
    retention,
    routing,
    staff,
    unanswered,
    waiting,
)
from l2csim.fit import period as periods
from l2csim.fit.calibration import MIN_PART_DAYS, CalibrationSettings, calibrate
from l2csim.fit.cases import case_table, sort_events
from l2csim.log import ACTIVITY, CASE, RESOURCE, TIMESTAMP, EventLog
from l2csim.orders import UNKNOWN_TIER, case_column, case_tiers
from l2csim.params import (
    END_NODE,
    START_NODE,
    ActivityParams,
    LeavePlan,
    ModelParams,
    ModelRoles,
    Pool,
    Provenance,
    SegmentDelay,
)
from l2csim.study import IntakeSpec, Study

DEFAULT_CALL_POOL = "customer service"
OFTEN_WAITS = 0.2  # a step whose cases wait for something outside this often begins at it


@dataclass(frozen=True)
class FitOptions:
    """Inputs beyond the log and study: a customer → tier CSV and a retention model file."""

    tier_table: Path | None = None
    tier_id_column: str | None = None
    tier_column: str | None = None
    retention_model: Path | None = None
    calibration: CalibrationSettings | None = None  # tune to the log's period (see calibration)


def _leave_plan(study: Study | None, events: pd.DataFrame, notes: list[str]) -> LeavePlan | None:
    """The study's leave plan (`calendar.leave`) for the people the log shows, or None."""
    if study is None or study.calendar.leave is None:
        return None
    plan, unknown = leave.plan_for_log(study.resolve(study.calendar.leave), events)
    notes += unknown
    notes.append(f"leave plan: {plan.provenance.detail}")
    return plan


def fit_model(
    log: EventLog, study: Study | None = None, options: FitOptions | None = None
) -> ModelParams:
    """Fit ModelParams from a log; the study gives roles, segments, tiers and SLAs."""
    options = options or FitOptions()
    notes: list[str] = []
    timezone = study.log.timezone if study is not None else "UTC"
    roles = ModelRoles(**study.roles.named_activities()) if study is not None else ModelRoles()
    if study is None or not any(roles.model_dump().values()):
        notes.append(
            "no activity roles (study file roles:): tiers, SLAs, calls and retention use "
            "defaults; routing, durations and pools come from the log"
        )
    period = periods.today(log.events)  # wrongly dated cases out; the recent window
    notes += period.notes()
    events = sort_events(periods.plausible(log.events, period))
    if RESOURCE not in events:  # a log without a resource column: every step names no one
        events = events.assign(**{RESOURCE: None})
    case_tier, tier_provenance = _case_tiers(events, study, options)
    cases = case_table(events, study, case_tier)
    if tier_provenance.source == "default":
        notes.append(tier_provenance.detail)

    expedite = calls.expedite_activities(log.activities) if roles.chase_call else []
    call_activities = [*roles.chase_call, *roles.courtesy_call, *expedite]
    routings = routing.fit_routing(events, cases["segment"], exclude=call_activities)
    in_routing = sorted(
        {a for r in routings for a in [*r.transitions, *(b for row in r.transitions.values()
                                                           for b in row)]}
        - {START_NODE, END_NODE}
    )  # fmt: skip
    expedite_activity = _most_frequent(expedite, events)
    timed = sorted({*in_routing, *roles.chase_call, *roles.courtesy_call, *expedite})
    step_waits = waiting.step_waits(events, skip=set(call_activities))
    outside = step_waits.outside
    waiting_steps = {*roles.waiting_steps, *outside}
    if outside:
        notes.append(
            "waiting steps found in the log: "
            + "; ".join(f"{a} ({why})" for a, why in sorted(outside.items()))
        )
    plan = _leave_plan(study, events, notes)
    staffing = staff.fit_staffing(
        events, cases["segment"], timezone, waiting_steps, set(step_waits.long), plan
    )
    inferred = concurrency.infer_pools(
        events, staffing, timezone, study.pools if study else {}, set(call_activities)
    )  # steps the log names no one for
    staffing = inferred.staffing
    notes += inferred.notes
    at_work = events[RESOURCE].astype(str).isin(staffing.members)
    arrived = cases["arrival"].dropna().dt.tz_convert(timezone)
    closed = closures.fit_closures(
        staff.local_times(events.loc[at_work], timezone).dt.tz_localize(None),
        study.calendar if study else None,
        (arrived.min().date(), arrived.max().date()) if len(arrived) else None,
    )
    if closed.days or closed.beyond or closed.stated:
        notes.append(f"closed days: {closed.provenance.detail}")
    external = staff.external_pools(staffing, [*roles.order_received, *roles.delivered])
    pools = [p.model_copy(update={"external": p.name in external}) for p in staffing.pools]
    pools = periods.recent_pools(pools, events, period, timezone, notes, plan)
    times = durations.event_times(
        events, staffing.members, staffing.systems, timezone, set(call_activities)
    )
    if times["carried"].any():
        # A busy person's first job of the morning counts from the evening before only where
        # it was queued for them: not for steps that often wait for something outside (an
        # automatic closure after two weeks), judged without those jobs, which would make
        # the team look busy through the very waits that tell.
        waited = waiting.often_waiting(
            events, durations.without_carried(times, events), staffing, external,
            sorted(waiting_steps), timezone, OFTEN_WAITS, skip=set(call_activities),
        )  # fmt: skip
        times = durations.without_carried(times, events, waited)
    first = durations.first_steps(events, times)
    closed_days = closed.promise_days_off()  # promises skip them, as the company's do
    promise_rule = customers.promise_days(
        cases, timezone, first.index[first["kind"] == "system"], closed_days
    )
    intake_spec = study.intake if study else IntakeSpec()
    case_attributes = list(study.log.case_attributes) if study else []
    inbox, inbox_notes = intake.fit_inbox(
        events, times, first, cases, intake.order_lags(cases, promise_rule, timezone),
        staffing.pool_of, pools, timezone, intake_spec, case_attributes, set(call_activities),
    )  # fmt: skip
    if inbox is not None:  # the rule again, from the orders that did not wait unseen
        promise_rule = customers.promise_days(
            cases,
            timezone,
            intake.wait_free(events, first, inbox, intake_spec, case_attributes),
            closed_days,
        )
    if promise_rule.days and closed_days:
        notes.append(
            "promises: working days per tier and line, counted without the company's closed "
            "days (as its promised dates are), in the fit and in every simulation"
        )
    tiers = customers.fit_tiers(
        cases, tier_provenance, study, _owed_milestones(study), promise_rule.days,
        promise_rule.mix,
    )  # fmt: skip
    method = durations.LOGGED if log.has_start_times else durations.ESTIMATED
    delays = waiting.fit_delays(
        events, times, staffing, external, sorted(waiting_steps), timezone,
        events[CASE].map(cases["segment"]), skip=set(call_activities),
    )  # fmt: skip
    # Steps that often wait for something outside the log (stock, the customer's answer)
    # begin when that arrives, not when they were enabled: like calls, their gaps hold idle.
    waited_outside = {a for a, d in delays.items() if d.overall.probability >= OFTEN_WAITS}
    fitted = durations.fit_activity_durations(
        events, times, timed, method,
        durations.outside_triggered(events, times, set(call_activities)), waited_outside,
    )  # fmt: skip
    fitted.update({a: d for a, d in inferred.work.items() if a in fitted})
    shares = durations.system_shares(events, times)
    outside_time = waiting.outside_hours(events, times, staffing, external, timezone)
    if staffing.systems:
        notes.append(
            "systems and outside parties, not counted as staff: "
            + "; ".join(f"{name} ({why})" for name, why in sorted(staffing.systems.items()))
        )

    chase_pool = _call_pool(roles.chase_call, events, staffing, pools, notes)
    courtesy_pool = _call_pool(roles.courtesy_call, events, staffing, pools, notes)
    promise = cases["promised"].fillna(_promise_from_tiers(cases, tiers))
    rushed, rushed_steps = calls.rushed_waits(
        events, times, roles.chase_call, expedite, set(delays)
    )
    chase = calls.fit_chase(
        events, cases, promise, roles.chase_call, expedite,
        _main_duration(roles.chase_call, events, fitted), chase_pool, roles.courtesy_call,
        _calls_clock(chase_pool, pools, timezone),
    )  # fmt: skip
    pool_of_resource = {r: p.name for p in pools for r in p.resources}
    escalations = calls.fit_escalations(
        events, cases, roles.chase_call, expedite, pool_of_resource, set(call_activities)
    )
    expedites = calls.fit_expedites(
        events, times, cases, roles.chase_call, expedite, set(call_activities), waited_outside,
        pool_of_resource,
    )  # fmt: skip
    expedite_update, expedite_detail = calls.expedite_fields(
        expedites, study.calls if study else None
    )
    chase = chase.model_copy(
        update={
            "pool_by_segment": _call_pools(roles.chase_call, events, staffing, chase_pool),
            "expedite_activity": expedite_activity,
            "rushed_wait": rushed,
            "rushed_steps": rushed_steps,
            "escalation_share": escalations.share,
            "escalation_share_by_tier": escalations.share_by_tier,
            "escalation_again": escalations.again,
            "escalation_pools": escalations.pools,
            **expedite_update,
            "provenance": chase.provenance.model_copy(
                update={
                    "detail": "; ".join(
                        d
                        for d in (chase.provenance.detail, escalations.detail, expedite_detail)
                        if d
                    )
                }
            ),
        }
    )  # fmt: skip
    has_calls = evidence.has_chase_calls(events, roles.chase_call)
    if has_calls:
        hold = calls.call_hold(study.calls if study else None)
        chase = chase.model_copy(update={"hold": hold})
        if hold is not None:
            notes.append(f"chase calls: {hold.provenance.detail}")
    if chase.provenance.source == "default" and has_calls:
        notes.append(f"chase behaviour: {chase.provenance.detail}; defaults used")
    chase, chase_notes = evidence.silent_chase(chase, tiers, has_calls)
    notes += chase_notes
    courtesy = calls.fit_courtesy(
        events, cases["tier"], roles.courtesy_call, roles.milestones,
        _main_duration(roles.courtesy_call, events, fitted), courtesy_pool,
    )  # fmt: skip
    courtesy = courtesy.model_copy(
        update={
            "pool_by_segment": _call_pools(roles.courtesy_call, events, staffing, courtesy_pool)
        }
    )
    if courtesy.provenance.source == "default":
        notes.append(f"courtesy practice: {courtesy.provenance.detail}")

    notes += inbox_notes
    retention_params = _retention(options, notes)
    recent_cases = periods.recent_cases(cases, period)
    streams, retention_params, stream_notes = evidence.order_stream(
        arrivals.fit_arrivals(recent_cases), retention_params, log.has_customers
    )
    notes += stream_notes
    activity_params = [
        ActivityParams(
            name=a,
            pool=staffing.pool_of[a],
            duration=(
                outside_time.get(a, durations.NO_WORK)
                if staffing.pool_of[a] in external
                else fitted[a]
            ),
            delay=delays[a].overall.distribution if a in delays else None,
            delay_probability=delays[a].overall.probability if a in delays else 1.0,
            delay_by_segment={
                segment: SegmentDelay(delay=d.distribution, probability=d.probability)
                for segment, d in (delays[a].by_segment.items() if a in delays else [])
            },
            system_share=0.0 if staffing.pool_of[a] in external else shares.get(a, 0.0),
            pool_by_segment=staffing.pool_by_segment.get(a, {}),
        )
        for a in sorted({*in_routing, *([expedite_activity] if expedite_activity else [])})
    ]
    if external:
        notes.append(
            f"external pools (systems, outside parties, or only order intake or delivery): "
            f"{', '.join(external)}; their steps never queue and take the log's time since "
            "the previous step, in the party's own working hours"
        )
    waits = sorted(a for a in delays if staffing.pool_of.get(a) not in external)
    if waits:
        notes.append(
            "staff-free waiting before: "
            + "; ".join(f"{a} ({delays[a].overall.probability:.0%} of the time)" for a in waits)
        )
    params = ModelParams(
        created_from=periods.fingerprint_of(log, period),
        timezone=timezone,
        working_weekdays=promise_rule.weekdays,
        promise_cutoff_hour=promise_rule.cutoff,
        promise_off_day=promise_rule.off_day,
        roles=roles,
        segment_attribute=" | ".join(study.segments) if study and study.segments else None,
        tiers=tiers,
        arrivals=streams,
        arrival_pattern=arrivals.fit_pattern(recent_cases, timezone),
        routing=routings,
        activities=activity_params,
        pools=sorted(pools, key=lambda p: p.name),
        chase=chase,
        courtesy=courtesy,
        retention=retention_params,
        inbox=inbox,
        closures=closed,
        leave=plan or LeavePlan(),
        notes=notes,
    )
    settings = options.calibration
    if settings is None:
        if unanswered.applies(params.chase):
            note = (
                "chase calls: not calibrated, so the tries the log's own congestion left "
                "unanswered are not made up for (the model's callers lose them once more)"
            )
            params = params.model_copy(update={"notes": [*params.notes, note]})
        return params
    window = periods.recent(events, period)  # replayed as validation replays it
    days = (window[TIMESTAMP].max() - window[TIMESTAMP].min()) / pd.Timedelta(days=1)
    if not settings.required and not settings.long_enough(days):
        note = (
            f"calibration skipped: the log covers {days:.0f} days, and calibration needs "
            f"{MIN_PART_DAYS} in the tuned part and in the held-out last {settings.holdout:.0%}; "
            "the model is as fitted"
        )
        params = params.model_copy(update={"notes": [*params.notes, note]})
    else:
        params = calibrate(params, window, cases["segment"], settings).params
    # The teams' work as calibrated, the chase calls the log could not show.
    return unanswered.make_up_for_unanswered(params, window, settings.seed)


def _case_tiers(
    events: pd.DataFrame, study: Study | None, options: FitOptions
) -> tuple[pd.Series | None, Provenance]:
    """Each case's tier by the shared rule (`orders.case_tiers`), with --tiers (e.g. the
    customers analysis' customers.csv) as the customer tier table when given."""
    table = None
    source = ""
    if options.tier_table is not None:
        table = read_tier_table(
            options.tier_table, options.tier_id_column, options.tier_column, key="--tiers"
        )
        source = f"customer tier table {options.tier_table.name}"
    elif study is not None and study.customers.crm_tiers is not None:
        source = f"CRM export {study.customers.crm_tiers.path.name}"
    tiers = case_tiers(events, study, table)
    if tiers is None:
        return None, Provenance(
            source="default", detail="no tier table or tier attribute: one tier 'all'"
        )
    attribute = study.mining.tier_attribute if study is not None else "tier"
    if case_column(attribute) in events:
        return tiers, Provenance(source="log", detail=f"case attribute {attribute}")
    matched = float((tiers != UNKNOWN_TIER).mean())
    return tiers, Provenance(source="study", detail=f"{source}: {matched:.1%} of orders matched")


def _owed_milestones(study: Study | None) -> dict[str, list[str]]:
    """Milestones each tier is owed a courtesy call at (study `sla:`; `default` is not a tier)."""
    if study is None:
        return {}
    return {
        tier: list(sla.courtesy_milestones) for tier, sla in study.sla.items() if tier != "default"
    }


def _calls_clock(pool: str, pools: list, timezone: str):
    """The calls team's working window and the time zone: the clock customers phone by
    (None when the team works around the clock, where plain hours are the same)."""
    calendar = next((p.calendar for p in pools if p.name == pool), None)
    if calendar is None or calendar.end_hour - calendar.start_hour >= 24:
        return None
    return calendar, timezone


def _promise_from_tiers(cases: pd.DataFrame, tiers) -> pd.Series:
    hours = cases["tier"].map({t.name: t.promised_hours for t in tiers}).astype(float)
    return cases["arrival"] + pd.to_timedelta(hours, unit="h")


def _most_frequent(activities: list[str], events: pd.DataFrame) -> str | None:
    present = events.loc[events[ACTIVITY].isin(activities), ACTIVITY]
    return None if present.empty else str(present.value_counts().sort_index().idxmax())


def _main_duration(activities: list[str], events: pd.DataFrame, fitted: dict):
    """The duration of the most frequent of a role's activities, if the log has any."""
    present = events.loc[events[ACTIVITY].isin(activities), ACTIVITY]
    if present.empty:
        return None
    return fitted[present.value_counts().sort_index().idxmax()]


def _call_pool(
    activities: list[str], events: pd.DataFrame, staffing, pools: list[Pool], notes: list[str]
) -> str:
    present = events.loc[events[ACTIVITY].isin(activities), ACTIVITY]
    if not present.empty:
        return staffing.pool_of[present.value_counts().sort_index().idxmax()]
    if all(p.name != DEFAULT_CALL_POOL for p in pools):
        pools.append(
            Pool(
                name=DEFAULT_CALL_POOL,
                size=1,
                provenance=Provenance(source="default", detail="no calls in the log"),
            )
        )
        notes.append(f"calls are taken by a default pool {DEFAULT_CALL_POOL!r} of 1 person")
    return DEFAULT_CALL_POOL


def _call_pools(activities: list[str], events: pd.DataFrame, staffing, pool: str) -> dict[str, str]:
    """Segment -> the pool that makes a role's calls there, where it is not `pool`."""
    present = events.loc[events[ACTIVITY].isin(activities), ACTIVITY]
    if present.empty:
        return {}
    main = present.value_counts().sort_index().idxmax()
    return {
        segment: other
        for segment, other in sorted(staffing.pool_by_segment.get(main, {}).items())
        if other != pool
    }


def _retention(options: FitOptions, notes: list[str]):
    """The customers analysis' churn model when given (--retention), else stated defaults."""
    if options.retention_model is not None:
        return retention.load_retention(options.retention_model)
    params = retention.default_retention()
    notes.append(f"retention: {params.provenance.detail}")
    return params
