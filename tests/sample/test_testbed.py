"""The test bed of known operations: every operation generates, deterministically, with a log
that agrees with its truth; policies run on common random numbers; the known effects hold.

Short periods (60-120 days) keep the file fast; the year-long runs are the benchmark's
(tests/benchmarks/make_testbed.py).
"""

from __future__ import annotations

import ast
import datetime as dt
import hashlib
import json
import math
import re
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pytest
import yaml

from l2csim.fit.leave import read_leave_plan
from l2csim.sample.testbed import (
    OPERATIONS,
    counterfactual,
    generate_operation,
    load_operation,
    operation,
    policies_for,
    write_operation,
)
from l2csim.sample.testbed.calendars import Clock
from l2csim.sample.testbed.kpis import runaway
from l2csim.sample.testbed.policies import policy_named
from l2csim.sample.testbed.write import write_run
from l2csim.scenario import load_scenario
from l2csim.study import load_study

PACKAGE = Path(__file__).resolve().parents[2] / "src" / "l2csim" / "sample" / "testbed"
DAYS = 80
SEED = 3


@pytest.fixture(scope="module")
def runs() -> dict:
    """Every operation, 80 days, seed 3 (about 6 s for all)."""
    return {name: generate_operation(name, SEED, DAYS) for name in OPERATIONS}


def test_there_are_at_least_eight_structurally_different_operations() -> None:
    assert len(OPERATIONS) >= 8
    specs = [operation(name) for name in OPERATIONS]
    # each dimension that matters is covered by at least two operations
    for kinds in (
        {s.log.timestamps for s in specs},
        {s.intake.mode for s in specs},
        {s.promise for s in specs},
        {s.log.tiers for s in specs},
        {s.timezone for s in specs},
        {s.names.difficulty for s in specs},
    ):
        assert len(kinds) >= 2
    for attribute in ("timestamps", "tiers"):
        counts = pd.Series([getattr(s.log, attribute) for s in specs]).value_counts()
        assert counts.min() >= 1 and (counts >= 2).sum() >= 2
    assert sum(s.intake.mode == "keyed" for s in specs) >= 2
    assert sum(s.promise == "hours" for s in specs) >= 2
    assert sum(s.calls.courtesy_team is None for s in specs) >= 2  # line teams call
    assert sum(s.churn.courtesy == 0.0 for s in specs) >= 2  # courtesy does not retain


def test_every_operation_generates_a_log_and_its_truth(runs: dict) -> None:
    for name, run in runs.items():
        assert len(run.events) > 1000 if name != "small_team" else len(run.events) > 300, name
        truth = run.truth
        assert truth["operation"]["name"] == name
        assert truth["operation"]["period"]["days"] == DAYS
        for key in (
            "teams",
            "system_users",
            "activities",
            "intake",
            "customers",
            "behaviour",
            "kpis",
            "tiers",
        ):
            assert truth[key], (name, key)
        assert truth["kpis"]["overall"]["orders_arrived"] > 100


def test_every_operation_is_deterministic() -> None:
    for name in OPERATIONS:
        first, again = (generate_operation(name, SEED, 40) for _ in range(2))
        pd.testing.assert_frame_equal(again.events, first.events)
        assert json.dumps(again.truth, sort_keys=True) == json.dumps(first.truth, sort_keys=True)
    other = generate_operation("specialised", SEED + 1, 40)
    assert not other.events.equals(generate_operation("specialised", SEED, 40).events)


def _digest(folder: Path) -> dict[str, str]:
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def test_written_operation_is_byte_identical_and_loads_back(tmp_path: Path) -> None:
    first = write_operation(tmp_path / "a", "small_team", seed=5, days=60, counterfactual_seeds=2)
    write_operation(tmp_path / "b", "small_team", seed=5, days=60, counterfactual_seeds=2)
    assert _digest(tmp_path / "a") == _digest(tmp_path / "b")
    names = {p.relative_to(tmp_path / "a").as_posix() for p in first}
    assert {
        "event_logs/small_team_orders.csv",
        "event_logs/small_team_truth.json",
        "event_logs/small_team_counterfactual.json",
        "scenarios/study.yaml",
        "scenarios/baseline.yaml",
        "scenarios/tier_priority.yaml",
        "scenarios/demand_plus_15.yaml",
    } <= names
    loaded = load_operation(tmp_path / "a")
    assert loaded.name == "small_team"
    assert loaded.truth["operation"]["seed"] == 5
    assert loaded.counterfactual["seeds"] == [5, 6]
    headroom = loaded.counterfactual["headroom"]
    assert headroom["demand_factor"] == "beyond range" or 1.0 <= headroom["demand_factor"] <= 2.0
    assert len(loaded.events) == loaded.truth["realised"]["events"]


def test_the_leave_plan_is_each_persons_vacation_not_their_sickness(tmp_path: Path) -> None:
    """HR's plan (`<name>_leave.csv`, named by the study's calendar.leave) holds every
    vacation day and no sick day; a block runs on only over days the person does not work."""
    run = generate_operation("shifts", seed=1, days=90)
    write_run(tmp_path, run)
    study = load_study(tmp_path / "scenarios" / "study.yaml")
    plan = read_leave_plan(study.resolve(study.calendar.leave))
    clock = run.world.clock
    on_leave = 0
    for person in run.world.people:
        planned = set(plan.days.get(person.name, []))
        vacation = {clock.date(d) for d in person.vacation}
        assert vacation <= planned
        assert not planned & {clock.date(d) for d in person.sick}
        for day in planned - vacation:  # weekends and holidays inside a block
            assert not person.spec.pattern.week[day.weekday()] or day in run.world.holidays
        on_leave += len(vacation)
    assert on_leave > 50


def test_log_resources_are_the_team_members_and_system_users(runs: dict) -> None:
    for name, run in runs.items():
        spec = operation(name)
        col = spec.log.column
        truth = run.truth
        people = {m for team in truth["teams"].values() for m in team["members"]}
        systems = set(truth["system_users"])
        assert set(run.events[col("resource")]) == people | systems, name
        assert not people & systems
        assert set(spec.system_users) >= systems, (name, systems - set(spec.system_users))


def test_each_person_only_does_their_teams_activities(runs: dict) -> None:
    for name, run in runs.items():
        col = operation(name).log.column
        teams = run.truth["teams"]
        allowed: dict[str, set[str]] = {}
        for team in teams.values():
            for member in team["members"]:
                allowed.setdefault(member, set()).update(team["activities"])
        done = run.events.groupby(col("resource"))[col("activity")].unique()
        for person, activities in allowed.items():
            assert set(done.get(person, [])) <= activities, (name, person)
        shared = {
            team["shared_login"]: set(team["activities"])
            for team in teams.values()
            if team["shared_login"]
        }
        for login, activities in shared.items():
            assert set(done.get(login, [])) <= activities


def test_activity_counts_and_waiting_steps_match_the_truth(runs: dict) -> None:
    for name, run in runs.items():
        col = operation(name).log.column
        counts = run.events[col("activity")].value_counts()
        activities = run.truth["activities"]
        systems = set(run.truth["system_users"])
        for activity, entry in activities.items():
            assert counts.get(activity, 0) == entry["in_log"], (name, activity)
        assert set(counts.index) <= set(activities)
        for activity, entry in activities.items():
            if entry["kind"] != "wait" or not entry["in_log"]:
                continue
            by = set(run.events.loc[run.events[col("activity")] == activity, col("resource")])
            assert by <= systems, (name, activity, by)
            assert by <= set(entry["resources"])
        # a system "resource" holds far more cases at once than a person could
        carrier = next(r for r in run.truth["system_users"] if r.startswith("Carrier"))
        assert _max_concurrent(run, carrier) > 5


def _max_concurrent(run, resource: str) -> int:
    """The most cases one resource holds at the same time (waits only, start+end known)."""
    world = run.world
    spans = sorted((r[3], r[4]) for r in world.records if r[2] == resource and r[4] > r[3])
    events = sorted([(a, 1) for a, _ in spans] + [(b, -1) for _, b in spans])
    level = peak = 0
    for _, step in events:
        level += step
        peak = max(peak, level)
    return peak


def test_timestamps_follow_the_operation_kind_and_time_zone(runs: dict) -> None:
    for name, run in runs.items():
        spec = operation(name)
        col = spec.log.column
        times = run.events[col("time")]
        assert times.str.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d$").all()
        offsets = set(times.str[-6:])
        zone_offsets = {
            dt.datetime(2025, m, 15, 12, tzinfo=ZoneInfo(spec.timezone)).strftime("%z")
            for m in (1, 4)
        }
        assert {o.replace(":", "") for o in offsets} <= zone_offsets, name
        if spec.log.timestamps == "completion":
            assert not any("start" in c for c in run.events.columns), name
        else:
            start = pd.to_datetime(run.events[col("start")], utc=True)
            end = pd.to_datetime(times, utc=True)
            assert (start <= end).all()
            assert (start < end).mean() > 0.5


def test_working_hours_are_local_across_daylight_saving() -> None:
    for zone in ("Europe/Berlin", "Europe/London", "America/Chicago"):
        clock = Clock(dt.date(2025, 1, 6), zone, 365)
        for day in range(0, 365, 7):
            moment = clock.moment(clock.at(day, 8 * 60))
            assert (moment.hour, moment.minute) == (8, 0), (zone, day)
            assert clock.day_of(clock.at(day, 23 * 60 + 59)) == day


def test_study_and_scenarios_are_valid_l2csim_files(tmp_path: Path) -> None:
    write_operation(tmp_path / "op", "inbox_intake", seed=1, days=30, counterfactual_seeds=0)
    write_operation(tmp_path / "op2", "shifts", seed=1, days=30, counterfactual_seeds=0)
    for folder, name in ((tmp_path / "op", "inbox_intake"), (tmp_path / "op2", "shifts")):
        study = load_study(folder / "scenarios" / "study.yaml")
        spec = operation(name)
        assert study.log.timezone == spec.timezone
        assert set(study.sla) == set(spec.tier_names)
        if spec.log.timestamps == "start_end":
            assert study.log.columns.start_timestamp == spec.log.column("start")
        for policy in policies_for(spec):
            path = folder / "scenarios" / f"{policy.name}.yaml"
            # expedite_on_chase and demand.factor are l2csim Policy keys since fa8ff49
            scenario = load_scenario(path)
            assert yaml.safe_load(path.read_text())["policy"] == policy.scenario
            assert scenario.policy.model_dump(exclude_defaults=True) == _without_defaults(
                policy.scenario
            )
        baseline = load_scenario(folder / "scenarios" / "baseline.yaml")
        assert baseline.policy.discipline == "squeaky_wheel"
        assert baseline.policy.courtesy.rule == "as_is"
    tier_priority = yaml.safe_load(
        (tmp_path / "op" / "scenarios" / "tier_priority.yaml").read_text()
    )
    assert tier_priority == {
        "extends": "baseline.yaml",
        "description": policy_named(operation("inbox_intake"), "tier_priority").description,
        "policy": {"discipline": "tier_priority", "expedite_on_chase": True},
    }


def _without_defaults(scenario: dict) -> dict:
    out = dict(scenario)
    out.pop("preemption", None)
    return out


def test_policies_keep_the_same_orders_under_common_random_numbers() -> None:
    base = generate_operation("shared_teams", SEED, 60)
    others = [
        generate_operation("shared_teams", SEED, 60, policy=name)
        for name in ("tier_priority", "key_account_calls", "one_more_warehouse", "demand_plus_15")
    ]

    def placed(run) -> dict:
        return {
            o.ref: (
                o.arrival,
                o.customer.cust_no,
                o.value,
                o.channel,
                o.line.name,
                tuple((s.activity, tuple(a)) for s, a, *_ in o.plan),
            )
            for o in run.world.orders
        }

    def churned(run) -> set:
        return {s.customer.index for s in run.world.states if s.churned_at is not None}

    reference = placed(base)
    for other in others:
        orders = placed(other)
        left = churned(base) | churned(other)
        common = set(reference) & set(orders)
        assert len(common) > 0.9 * len(reference)
        for ref in common:
            assert orders[ref] == reference[ref], (other.policy.name, ref)
        missing = set(reference) - set(orders)
        by_customer = {o.ref: o.customer.index for o in base.world.orders}
        assert all(by_customer[ref] in left for ref in missing), other.policy.name
        # the same people are away on the same days
        people = {p.name: p.vacation | p.sick for p in other.world.people}
        for person in base.world.people:
            assert people[person.name] == person.vacation | person.sick
    demand = others[-1]
    extra = [o for o in demand.world.orders if o.planned.extra]
    assert 0.10 < len(extra) / len(base.world.orders) < 0.20


@pytest.fixture(scope="module")
def near_capacity_tier_priority() -> dict:
    """The counterfactual truth of tier priority in near_capacity: 3 seeds x 120 days."""
    spec = operation("near_capacity")
    policy = policy_named(spec, "tier_priority")
    return counterfactual("near_capacity", 0, 120, 3, policies=[policy], headroom=False)


def test_tier_priority_serves_key_accounts_at_the_lowest_tiers_cost(
    near_capacity_tier_priority: dict,
) -> None:
    truth = near_capacity_tier_priority
    effects = truth["policies"]["tier_priority"]["effects"]
    assert effects["sla_attainment[key_account]"]["sign"] == 1
    assert effects["sla_attainment[key_account]"]["mean"] > 0.05
    assert effects["sla_attainment[one_time]"]["sign"] == -1
    assert all(x < 0 for x in effects["sla_attainment[one_time]"]["per_seed"])
    assert truth["seeds"] == [0, 1, 2]


@pytest.fixture(scope="module")
def comfortable_year() -> dict:
    """A year of the comfortable specialised operation (seed 0): its KPIs."""
    return generate_operation("specialised", 0, 364).truth["kpis"]


def test_near_capacity_operation_chases_more_per_order_than_a_comfortable_one(
    comfortable_year: dict,
) -> None:
    near = generate_operation("near_capacity", 0, 364).truth["kpis"]["overall"]
    calm = comfortable_year["overall"]
    assert near["chase_calls_per_order"] > 2 * calm["chase_calls_per_order"], (near, calm)
    assert near["chase_calls_per_week"] > 50


def test_demand_stays_flat_over_a_year(comfortable_year: dict) -> None:
    """First vs last quarter's orders within 12 %: new customers replace those who leave."""
    weekly = comfortable_year["weekly"]["orders"]
    first, last = sum(weekly[:13]), sum(weekly[39:52])
    assert abs(last - first) / first < 0.12, (first, last)
    assert comfortable_year["overall"]["customers_churned"] > 0


def test_hard_names_operation_has_its_hard_cases_with_their_truth(runs: dict) -> None:
    run = runs["hard_names"]
    col = operation("hard_names").log.column
    names = run.events.drop_duplicates(col("customer")).set_index(col("customer"))[
        col("customer_name")
    ]
    records = {r["cust_no"]: r for r in run.truth["customers"]["records"]}
    assert set(names.index) == set(records)
    hard = run.truth["customers"]["hard_cases"]
    walk_ins = hard["walk_in"]
    assert len(walk_ins) > 50
    assert all(re.fullmatch(r"Walk-in buyer \d+", names[c]) for c in walk_ins)
    assert len({records[c]["customer_key"] for c in walk_ins}) == len(walk_ins)
    assert hard["same_name"], "two different customers with the very same name"
    for ids in hard["same_name"]:
        assert len({names[c] for c in ids}) == 1
        assert len({records[c]["customer_key"] for c in ids}) == len(ids)
    assert len(hard["generic_name"]) >= 3
    for group in hard["branch"]:
        assert len({names[c] for c in group}) == len(group)
        assert len({re.sub(r" \d+$", "", names[c]) for c in group}) == 1
    rekeyed = run.truth["customers"]["rekeyed"]
    assert {r["difference"] for r in rekeyed} >= {"capitals", "legal_form", "typo"}
    for pair in rekeyed:
        assert records[pair["duplicate"]]["customer_key"] == pair["master"]
        assert names[pair["duplicate"]] == pair["duplicate_name"] != pair["master_name"]
        if pair["difference"] == "capitals":
            assert pair["duplicate_name"] == pair["master_name"].upper()
        if pair["difference"] == "legal_form":
            assert (
                "Limited" in pair["duplicate_name"]
                or "Incorporated" in pair["duplicate_name"]
                or "PLC" in pair["duplicate_name"]
            )


def test_truth_sla_matches_the_log_where_the_log_can_tell(runs: dict) -> None:
    """For a log that shows arrival and the promised date, on-time recomputed from the CSV
    equals the truth's sla_attainment (same definition: delivered by the promised day)."""
    run = runs["shared_teams"]
    col = operation("shared_teams").log.column
    events = run.events
    times = pd.to_datetime(events[col("time")], utc=True).dt.tz_convert("Europe/Berlin")
    events = events.assign(_t=times)
    received = events[events[col("activity")] == "Order received"].groupby(col("order"))["_t"].min()
    delivered = events[events[col("activity")] == "Delivered"].groupby(col("order"))["_t"].min()
    promised = events.groupby(col("order"))[col("promised")].first()
    end = pd.Timestamp(run.truth["operation"]["period"]["end"], tz="Europe/Berlin")
    start = pd.Timestamp(run.truth["operation"]["period"]["start"], tz="Europe/Berlin")
    cases = pd.DataFrame({"received": received, "delivered": delivered, "promised": promised})
    cases = cases[(cases.received >= start) & (cases.received < end) & (cases.delivered < end)]
    on_time = cases.delivered.dt.strftime("%Y-%m-%d") <= cases.promised
    assert math.isclose(
        on_time.mean(), run.truth["kpis"]["overall"]["sla_attainment"], abs_tol=1e-6
    )


def test_runaway_means_a_backlog_that_rises_or_stays_above_the_promises() -> None:
    days = np.arange(120)
    assert runaway(days, 50 + 3.0 * days, promised=60)["runaway"]
    assert runaway(days, np.full(120, 200.0), promised=60)["runaway"]
    assert not runaway(days, np.full(120, 50.0), promised=60)["runaway"]
    draining = np.concatenate([np.full(90, 300.0), np.linspace(300, 40, 30)])
    assert not runaway(days, draining, promised=60)["runaway"]


def test_the_world_shares_no_code_with_l2csim_simulation() -> None:
    for path in PACKAGE.glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module:
                assert not node.module.startswith(("l2csim.sim", "l2csim.fit")), path.name
            if isinstance(node, ast.Import):
                for alias in node.names:
                    assert not alias.name.startswith(("l2csim.sim", "l2csim.fit")), path.name
