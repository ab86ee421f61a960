"""Replications on the bundled sample's fitted model with the shipped scenarios: common
random numbers, warm-up removal and `--replications auto`."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pandas as pd
import pytest

from l2csim.confidence import HEADLINE_KPIS, estimate, headline_precision, replications_needed
from l2csim.errors import InputError
from l2csim.settings import RunSettings
from l2csim.sim.replications import kpi_frame, origin, replications_as_done, run_replications
from l2csim.sim.run import (
    event_frame,
    parse_precision,
    parse_replications,
    prepare,
    run_to_precision,
)
from study_copy import sample_study


@pytest.fixture(scope="module")
def scenarios(tmp_path_factory):
    return sample_study(tmp_path_factory.mktemp("study"))


def overall(kpis: pd.DataFrame, kpi: str) -> np.ndarray:
    rows = kpis[(kpis["kpi"] == kpi) & (kpis["tier"] == "") & (kpis["segment"] == "")]
    return rows.sort_values("replication")["value"].to_numpy()


def test_common_random_numbers_shrink_paired_differences_on_shipped_scenarios(scenarios) -> None:
    """baseline vs tier_priority: same seed pairs replications; another seed does not.

    Measured (10 replications, 180 days): variance ratios independent/paired of about 2.7
    (backlog), 3.5 (chase calls), 7 (lead time). Churn and call timing desynchronise the
    streams partly, so the gain is real but not tenfold; without CRN the ratios are ~1.
    """
    reps = 10
    common = RunSettings(horizon="180d", warmup="30d", seed=3)
    _, _, base = prepare(scenarios / "baseline.yaml", common)
    _, _, paired = prepare(scenarios / "tier_priority.yaml", common)
    _, _, other = prepare(scenarios / "tier_priority.yaml", common.but(seed=99))
    frames = {
        name: kpi_frame(run_replications(spec, reps, jobs=2), name)
        for name, spec in (("base", base), ("paired", paired), ("independent", other))
    }
    for kpi, factor in (("backlog_mean", 2), ("chase_calls", 2), ("lead_time_mean_hours", 4)):
        b = overall(frames["base"], kpi)
        var_paired = np.var(overall(frames["paired"], kpi) - b, ddof=1)
        var_independent = np.var(overall(frames["independent"], kpi) - b, ddof=1)
        assert var_paired < var_independent / factor, (kpi, var_paired, var_independent)


def test_replications_used_as_they_finish_give_the_same_results(scenarios) -> None:
    """Validation submits its replications, works on the log meanwhile, and takes each
    replication as it finishes: the same results as running them, with or without workers."""
    from concurrent.futures import ProcessPoolExecutor

    _, _, spec = prepare(scenarios / "baseline.yaml", RunSettings(horizon="60d", warmup="0d"))
    expected = kpi_frame(run_replications(spec, 3), "b")
    with ProcessPoolExecutor(max_workers=2) as pool:
        done = replications_as_done(spec, 3, executor=pool)
        results = sorted(done, key=lambda r: r.replication)
    assert [r.replication for r in results] == [0, 1, 2]
    pd.testing.assert_frame_equal(kpi_frame(results, "b"), expected)
    pd.testing.assert_frame_equal(kpi_frame(list(replications_as_done(spec, 3)), "b"), expected)


def test_warmup_is_left_out_of_every_kpi(scenarios) -> None:
    """Orders counted are exactly those arriving after the warm-up; series start there."""
    _, params, spec = prepare(
        scenarios / "baseline.yaml",
        RunSettings(seed=1, horizon="90d", warmup="30d", event_log=True),
    )
    results = run_replications(spec, 1)
    kpis = kpi_frame(results, "baseline")
    log = event_frame(results, params.timezone)
    received = log[log["concept:name"].isin(params.roles.order_received)]
    first = log.groupby("case:concept:name")["start_timestamp"].min()
    warmup_end = (
        pd.Timestamp(origin(params) + timedelta(days=30))
        .tz_localize(params.timezone)
        .tz_convert("UTC")
    )
    # Orders are counted by arrival, the log shows their first event (intake may wait, and
    # orders placed in the last hours may have none yet): the two agree to within 2 %, and
    # a third of the orders (30 of 90 days) is left out.
    after = int((first >= warmup_end).sum())
    counted = overall(kpis, "orders_arrived")[0]
    assert counted == pytest.approx(after, rel=0.02)
    assert counted < 0.8 * len(first)  # 60 of 90 days: a third of the orders left out
    assert len(received)  # the log has the intake events the count is about
    days = kpis.loc[kpis["kpi"] == "backlog_daily", "day"]
    assert days.min() == 30 and days.max() == 89
    weekly = kpis.loc[kpis["kpi"] == "chase_calls_weekly", "value"].sum()
    assert weekly == overall(kpis, "chase_calls")[0]


def test_auto_replications_reach_the_precision_target(scenarios) -> None:
    _, _, spec = prepare(
        scenarios / "baseline.yaml", RunSettings(seed=2, horizon="120d", warmup="20d")
    )
    results, achieved, met = run_to_precision(spec, precision=0.10, max_replications=60)
    assert met and set(achieved) == {k for k, _ in HEADLINE_KPIS}
    assert all(v <= 0.10 for v in achieved.values())
    kpis = kpi_frame(results, "baseline")
    assert headline_precision(kpis) == achieved
    assert sorted(kpis["replication"].unique()) == list(range(len(results)))
    # the cap: stops there and says the target was not met
    capped, achieved_capped, met_capped = run_to_precision(
        spec, precision=0.001, max_replications=4
    )
    assert len(capped) == 4 and not met_capped
    assert max(achieved_capped.values()) > 0.001


def test_confidence_interval_and_replication_arithmetic() -> None:
    est = estimate(np.array([1.0, 2.0, 3.0, 4.0]))
    # t(0.975, 3) = 3.182446; sd = 1.290994
    assert est.half_width == pytest.approx(3.182446 * 1.290994 / 2, rel=1e-6)
    assert est.mean == 2.5 and est.low < 2.5 < est.high
    assert replications_needed(10, 0.10, 0.05) == 40
    assert parse_precision("5%") == 0.05 and parse_replications("auto") is None
    with pytest.raises(InputError, match="precision"):
        parse_precision("500%")


def _overloaded_spec(days: float = 60.0):
    from l2csim.policy import Policy
    from l2csim.sim.replications import RunSpec
    from sim_models import sample_like_model

    policy = Policy(demand={"factor": 3})  # thousands of orders left waiting at the end
    return RunSpec(sample_like_model(), policy, seed=1, horizon_hours=days * 24, warmup_hours=0)


def test_a_replication_runs_without_the_collector_and_restores_it(monkeypatch) -> None:
    """Inside: no automatic collection, earlier objects frozen; after, error or not: the
    collector as it was (on, nothing frozen), and a caller's own choices left alone."""
    import gc

    from l2csim.sim import replications
    from l2csim.sim.model import Simulation

    seen = []
    real_run = Simulation.run

    def watched(self):
        seen.append((gc.isenabled(), gc.get_freeze_count() > 0))
        return real_run(self)

    monkeypatch.setattr(Simulation, "run", watched)
    spec = _overloaded_spec(10)
    assert gc.isenabled() and gc.get_freeze_count() == 0
    replications.run_replication(spec, 0)
    assert seen == [(False, True)]
    assert gc.isenabled() and gc.get_freeze_count() == 0

    def broken(self):
        raise RuntimeError("boom")

    monkeypatch.setattr(Simulation, "run", broken)
    with pytest.raises(RuntimeError, match="boom"):
        replications.run_replication(spec, 0)
    assert gc.isenabled() and gc.get_freeze_count() == 0

    monkeypatch.setattr(Simulation, "run", real_run)
    gc.disable()  # a caller that keeps the collector off itself ...
    gc.freeze()  # ... and froze its own objects: they stay frozen
    frozen = gc.get_freeze_count()
    try:
        replications.run_replication(spec, 0)
        assert not gc.isenabled() and gc.get_freeze_count() > frozen * 0.99
    finally:
        gc.unfreeze()
        gc.enable()


def test_memory_stays_flat_over_many_overloaded_replications() -> None:
    """16 overloaded replications (a thousand orders or more waiting at the end of each),
    with the collector kept off by the caller, so only the replication's own clean-up frees
    anything: the objects the collector tracks and the memory blocks Python holds do not
    grow from the 4th on, and nothing collectable is left after each."""
    import gc
    import sys

    from l2csim.sim.replications import run_replication

    spec = _overloaded_spec(30)
    counts, blocks, left = [], [], []
    gc.collect()  # earlier tests' garbage: not this test's business
    gc.disable()
    try:
        for i in range(16):
            run_replication(spec, i)
            counts.append(len(gc.get_objects()))
            blocks.append(sys.getallocatedblocks())
            if i in (5, 10, 15):
                left.append(gc.collect())
    finally:
        gc.enable()
    assert max(counts[3:]) - counts[3] < 500, counts
    assert max(blocks[3:]) - blocks[3] < 2_000, blocks
    assert max(left) < 100, left
