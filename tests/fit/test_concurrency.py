"""Steps a log names no one for: pools from concurrency (or declared), waiting taken as
waiting. Generated logs with a known answer: a registration desk where exactly three fines
are being registered at any moment of its working day, and a step that follows weeks later
(the offender paying), which is waiting, not work."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from l2csim.fit import fit_model
from l2csim.fit.concurrency import WAITING_POOL, concurrency
from l2csim.log import read_log
from l2csim.policy import Policy
from l2csim.sim.replications import RunSpec, kpi_frame, run_replication
from l2csim.study import load_study

DAYS = 120


def fines_log(tmp_path: Path, *, starts: bool, resource: bool = False) -> Path:
    """Fines created by an officer, registered at a desk in 45 minutes (3 at once, back to
    back, 8:00-17:00 on weekdays), and paid 20-40 days later. No resource on the desk and
    payment (unless `resource`)."""
    rng = np.random.default_rng(7)
    rows = []
    case = 0
    for day in pd.bdate_range("2024-01-01", periods=DAYS, tz="UTC"):
        for desk in range(3):
            for slot in range(12):  # 12 x 45 min = 9 h
                case += 1
                begin = day + pd.Timedelta(hours=8) + slot * pd.Timedelta(minutes=45)
                created = begin - pd.Timedelta(minutes=5)
                done = begin + pd.Timedelta(minutes=45)
                paid = done + pd.Timedelta(days=float(rng.uniform(20, 40)))
                rows.append({"case:concept:name": f"F{case}", "concept:name": "Create Fine",
                             "time:timestamp": created, "start_timestamp": created,
                             "org:resource": f"Officer {case % 5}"})  # fmt: skip
                rows.append({"case:concept:name": f"F{case}", "concept:name": "Register",
                             "time:timestamp": done, "start_timestamp": begin,
                             "org:resource": f"Clerk {desk}" if resource else None})  # fmt: skip
                rows.append({"case:concept:name": f"F{case}", "concept:name": "Payment",
                             "time:timestamp": paid, "start_timestamp": paid,
                             "org:resource": None})  # fmt: skip
    frame = pd.DataFrame(rows)
    if not starts:
        frame = frame.drop(columns="start_timestamp")
    path = tmp_path / "fines.csv"
    frame.to_csv(path, index=False)
    return path


def test_concurrency_counts_what_is_in_progress() -> None:
    begin = pd.Series(pd.to_datetime(["2024-01-01 08:00", "2024-01-01 08:10",
                                      "2024-01-01 08:20", "2024-01-01 09:30"], utc=True))  # fmt: skip
    end = begin + pd.Timedelta(minutes=60)
    # in progress at each start: 1, 2, 3, 3 (the first ended at 9:00) -> 95 % quantile 3
    assert concurrency(begin, end) == 3
    assert concurrency(begin[:1], end[:1]) == 1


def test_logged_start_and_end_give_the_desk_its_three_clerks(tmp_path: Path) -> None:
    model = fit_model(read_log(fines_log(tmp_path, starts=True)))
    pools = {p.name: p for p in model.pools}
    activities = {a.name: a for a in model.activities}
    desk = pools["Register (inferred)"]
    assert desk.size == 3 and desk.provenance.source == "log"
    assert "in progress at once" in desk.provenance.detail
    assert activities["Register"].pool == "Register (inferred)"
    assert activities["Register"].duration.mean == pytest.approx(0.75, rel=0.02)
    assert "unassigned" not in pools
    assert any("inferred from how many" in n for n in model.notes)


def test_completion_only_waiting_becomes_a_delay_and_work_a_pool(tmp_path: Path) -> None:
    """Without start times, Payment (weeks after the desk) is waiting: an external pool that
    never queues, its time the log's own. The desk's work is short: a pool from concurrency,
    an upper bound: from the previous step (5 minutes before the clerk begins) to the
    completion, a clerk's consecutive fines overlap, so 3 to 6 at once."""
    model = fit_model(read_log(fines_log(tmp_path, starts=False)))
    pools = {p.name: p for p in model.pools}
    activities = {a.name: a for a in model.activities}
    assert activities["Payment"].pool == WAITING_POOL
    assert pools[WAITING_POOL].external
    assert 20 * 24 * 0.6 < activities["Payment"].duration.mean < 40 * 24  # its own time
    assert 3 <= pools["Register (inferred)"].size <= 6
    assert any("waiting, not work" in n for n in model.notes)


def test_a_simulated_year_pays_the_fines_and_nobody_is_swamped(tmp_path: Path) -> None:
    """The failure the issue saw: one 'unassigned' server doing every step, 100 % busy, no
    fine ever paid. Now the simulated year pays fines at the log's rate."""
    model = fit_model(read_log(fines_log(tmp_path, starts=False)))
    result = run_replication(RunSpec(model, Policy(), horizon_hours=120 * 24.0,
                                     warmup_hours=0.0), 0)  # fmt: skip
    kpis = kpi_frame([result], "baseline")
    overall = kpis[(kpis["tier"] == "") & (kpis["segment"] == "") & (kpis["pool"] == "")
                   & kpis["week"].isna() & kpis["day"].isna()]  # fmt: skip
    value = dict(zip(overall["kpi"], overall["value"], strict=False))
    log_rate = 36 * DAYS  # 36 fines on each of DAYS weekdays, simulated over 120 calendar days
    assert value["orders_arrived"] == pytest.approx(log_rate * 120 / (DAYS * 7 / 5), rel=0.15)
    assert value["orders_delivered"] > 0.5 * value["orders_arrived"]


def test_declared_pools_win_over_inference(tmp_path: Path) -> None:
    log = fines_log(tmp_path, starts=True)
    study = tmp_path / "study.yaml"
    study.write_text(f"log: {{path: {log}}}\npools: {{Register: 5}}\n")
    spec = load_study(study)
    from l2csim.inputs import read_inputs_log, resolve_inputs

    model = fit_model(read_inputs_log(resolve_inputs(study)), spec)
    desk = {p.name: p for p in model.pools}["Register (inferred)"]
    assert desk.size == 5 and desk.provenance.source == "study"


def test_steps_a_resource_does_are_untouched(tmp_path: Path) -> None:
    model = fit_model(read_log(fines_log(tmp_path, starts=True, resource=True)))
    activities = {a.name: a for a in model.activities}
    assert not activities["Register"].pool.endswith("(inferred)")
    assert "Register (inferred)" not in {p.name for p in model.pools}


def test_a_log_without_a_resource_column_waits_instead_of_one_busy_server(tmp_path: Path) -> None:
    """No resource column at all (not just empty values), completion times only: the weeks
    before payment are waiting on an external pool, not 8,000 h of work for one 'unassigned'
    server; the short desk step gets a pool sized from concurrency; a simulated stretch
    delivers fines instead of piling them up."""
    path = fines_log(tmp_path, starts=False)
    frame = pd.read_csv(path).drop(columns="org:resource")
    frame.to_csv(path, index=False)
    log = read_log(path)
    assert "org:resource" not in log.events
    model = fit_model(log)
    pools = {p.name: p for p in model.pools}
    activities = {a.name: a for a in model.activities}
    assert "unassigned" not in pools
    assert activities["Payment"].pool == WAITING_POOL and pools[WAITING_POOL].external
    for step in ("Create Fine", "Register"):
        pool = pools[activities[step].pool]
        assert not pool.external and pool.size >= 1
        assert activities[step].duration.mean < 8  # hours of work, not weeks of waiting
    result = run_replication(RunSpec(model, Policy(), horizon_hours=90 * 24.0,
                                     warmup_hours=0.0), 1)  # fmt: skip
    kpis = kpi_frame([result], "baseline")
    overall = kpis[(kpis["tier"] == "") & (kpis["segment"] == "") & (kpis["pool"] == "")
                   & kpis["week"].isna() & kpis["day"].isna()]  # fmt: skip
    value = dict(zip(overall["kpi"], overall["value"], strict=False))
    assert value["orders_delivered"] > 0.5 * value["orders_arrived"] > 0


def test_a_step_without_start_times_is_judged_as_completion_only(tmp_path: Path) -> None:
    """The log records start times, but not for payment (only when it came): payment is
    still waiting for the offender, not a team that pays fines (BPI Challenge 2012's
    O_SENT_BACK became a team at 93 % this way)."""
    path = fines_log(tmp_path, starts=True)
    frame = pd.read_csv(path)
    frame.loc[frame["concept:name"] == "Payment", "start_timestamp"] = None
    frame.to_csv(path, index=False)
    model = fit_model(read_log(path))
    activities = {a.name: a for a in model.activities}
    assert activities["Payment"].pool == WAITING_POOL
    assert activities["Register"].pool == "Register (inferred)"
    assert activities["Register"].duration.mean == pytest.approx(0.75, rel=0.02)
