"""forecast/state.py: the state at as-of read from the log as it was known then."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from forecast_study import AS_OF
from l2csim.forecast import state as st
from l2csim.forecast.model import as_of_today, fit_options, fit_until
from l2csim.forecast.run import parse_as_of
from l2csim.inputs import read_inputs_log, resolve_inputs
from l2csim.log import ACTIVITY, CASE, TIMESTAMP


@pytest.fixture(scope="module")
def known(small_study):
    inputs = resolve_inputs(small_study)
    log = read_inputs_log(inputs)
    as_of = parse_as_of(AS_OF, log.events, inputs.study.log.timezone)
    cut = st.cut_log(log, as_of)
    params = fit_until(cut, inputs.study, fit_options(inputs.study))
    return inputs, log, as_of, cut, params


def test_the_cut_keeps_only_what_had_happened(known) -> None:
    _inputs, log, as_of, cut, params = known
    assert cut.events[TIMESTAMP].max() <= as_of < log.events[TIMESTAMP].max()
    assert params.created_from.period_end <= as_of.isoformat()


def test_open_orders_are_received_and_not_delivered_at_as_of(known) -> None:
    inputs, log, as_of, cut, params = known
    table = st.open_orders(cut.events, inputs.study, params, as_of)
    assert list(table.columns) == list(st.OPEN_COLUMNS)
    events = log.events
    delivered = events[events[ACTIVITY] == "Delivered"].groupby(CASE)[TIMESTAMP].max()
    for row in table.itertuples(index=False):
        assert row.received <= as_of
        assert not delivered.get(row.order, as_of + pd.Timedelta(days=1)) <= as_of
        mine = cut.events[cut.events[CASE] == row.order].sort_values(TIMESTAMP)
        routed = [a for a in mine[ACTIVITY] if a in row.done]
        assert row.last_activity == routed[-1]  # the last routed step, calls left out
        assert row.chase_calls == int((mine[ACTIVITY] == "Customer chase call").sum())
    assert table["last_event"].is_monotonic_increasing  # oldest waiting queue first
    assert table["promised"].notna().all() and set(table["tier"]) <= {t.name for t in params.tiers}


def test_the_clock_runs_on_local_wall_time_from_a_monday() -> None:
    moment = pd.Timestamp("2025-04-02 06:30", tz="UTC")  # Wednesday 08:30 in Berlin
    clock = st.Clock.of_week(moment, "Europe/Berlin")
    assert clock.origin.weekday() == 0 and clock.origin.hour == 0
    assert clock.hours(moment) == pytest.approx(2 * 24 + 8.5)
    back = clock.time([clock.hours(moment)])
    assert back.iloc[0] == moment
    earlier = st.Clock.weeks_before(moment, "Europe/Berlin", 2)
    assert earlier.hours(moment) == pytest.approx(clock.hours(moment) + 2 * 168)


def _with_spells(params, spells):
    return params.model_copy(
        update={
            "pools": [
                p.model_copy(
                    update={"members": [
                        m.model_copy(update={"absence_spells": spells}) for m in p.members
                    ]}
                )
                for p in params.pools
            ]
        }
    )  # fmt: skip


def test_staff_state_says_who_is_away_and_for_how_long(known) -> None:
    _inputs, _log, as_of, cut, params = known
    params = _with_spells(params, [2, 5, 10])
    today, left_out, state = st.staff_at_work(cut.events, params, as_of)
    fitted = {m.name: m for p in params.pools for m in p.members}
    kept = {m.name: m for p in today.pools for m in p.members}
    # Attendance and its months stay as fitted: who is away today is the state's.
    assert kept and all(kept[name] == fitted[name] for name in kept)
    assert not left_out
    assert {n for team in state.values() for n in team} <= set(fitted)
    assert any(days == 0 for team in state.values() for days in team.values())
    # Someone whose last week before as-of is cut away is away at least their working
    # days in it (days the company was open), and longer than before.
    team = next(p for p in params.pools if len(p.members) >= 2 and not p.external)
    name = team.members[0].name
    zone = params.timezone
    local_day = cut.events[TIMESTAMP].dt.tz_convert(zone).dt.tz_localize(None).dt.normalize()
    today_local = as_of.tz_convert(zone).tz_localize(None).normalize()
    week = local_day >= today_local - pd.Timedelta(days=7)
    mine = cut.events["org:resource"] == name
    _, _, cut_state = st.staff_at_work(cut.events[~(week & mine)], params, as_of)
    open_days = {d for d in local_day[week] if d < today_local}
    theirs = sum(d.weekday() in team.members[0].weekdays for d in open_days)
    assert theirs >= 3
    assert cut_state[team.name][name] >= theirs
    assert cut_state[team.name][name] > state[team.name][name]
    # Idle for a month, longer than any absence of theirs: left out of the team; with a
    # month-long absence in the log, away instead.
    month = (cut.events[TIMESTAMP] > as_of - pd.Timedelta(days=30)) & mine
    gone, left_out, _ = st.staff_at_work(cut.events[~month], params, as_of)
    assert left_out[team.name] == [name]
    assert name not in {m.name for p in gone.pools for m in p.members}
    on_leave, left_out, leave_state = st.staff_at_work(
        cut.events[~month], _with_spells(params, [2, 5, 40]), as_of
    )
    assert not left_out and name in {m.name for p in on_leave.pools for m in p.members}
    assert leave_state[team.name][name] >= 15
    # The study's leave plan has them away until the day after as-of: on leave, not gone
    # (the simulation keeps them away on the planned days and brings them back after).
    from datetime import timedelta

    from l2csim.params import LeavePlan

    local_today = today_local.date()
    days = [local_today - timedelta(days=k) for k in range(-1, 35)]
    planned = params.model_copy(
        update={"leave": LeavePlan(first=min(days), last=max(days), days={name: sorted(days)})}
    )
    kept, left_out, _ = st.staff_at_work(cut.events[~month], planned, as_of)
    assert not left_out and name in {m.name for p in kept.pools for m in p.members}


def test_intake_is_held_at_its_level_at_as_of(known) -> None:
    _inputs, _log, _as_of, _cut, params = known
    rising = params.model_copy(
        update={
            "arrivals": [a.model_copy(update={"trend_per_week": 0.01}) for a in params.arrivals]
        }
    )
    today = as_of_today(rising)
    assert all(a.trend_per_week == 0 for a in today.arrivals)
    assert all(
        new.orders_per_week > old.orders_per_week
        for new, old in zip(today.arrivals, params.arrivals, strict=True)
        if old.orders_per_week > 0
    )


def test_path_rules_come_from_the_delivered_orders(known) -> None:
    inputs, _log, _as_of, cut, params = known
    rules = st.path_rules(cut.events, inputs.study, params)
    assert "Custom systems" in rules
    assert {"Pick and pack", "Shipped", "Delivered"} <= rules["Custom systems"].required
    assert "Customer chase call" not in rules["Custom systems"].required  # calls are not steps


def test_a_forecast_reads_the_seasonal_attendance_of_its_own_months(known) -> None:
    """Everyone nearly away in as-of's month (a fitted seasonal dip): the forecast's open
    orders are delivered far more slowly than with the month like the others, because the
    simulation's months start from as-of's week, not from the log's first."""
    from l2csim.forecast.simulate import ForecastSpec, run_forecast_replication
    from l2csim.policy import Policy

    inputs, _log, as_of, cut, params = known
    month = as_of.tz_convert(params.timezone).month - 1

    def seasonal(share: float):
        monthly = [1.0] * 12
        monthly[month] = share
        return params.model_copy(
            update={
                "pools": [
                    p.model_copy(
                        update={"members": [
                            m.model_copy(
                                update={"monthly_attendance": monthly, "absence_spells": []}
                            )
                            for m in p.members
                        ]}
                    )
                    for p in params.pools
                ]
            }
        )  # fmt: skip

    table = st.open_orders(cut.events, inputs.study, params, as_of)
    clock = st.Clock.of_week(as_of, params.timezone)
    at = clock.hours(as_of)
    delivered = {}
    for share in (0.05, 1.0):
        model = seasonal(share)
        start = st.start_state(table, clock, at, model)
        assert start.first_day == clock.origin.date()
        spec = ForecastSpec(model, Policy(), "season", 0, at, 7 * 24.0, start)
        run = run_forecast_replication(spec, 0)
        delivered[share] = int(np.isfinite(run.delivered).sum())
    assert delivered[1.0] >= 10
    assert delivered[0.05] < 0.6 * delivered[1.0]
