"""Work of steps nothing in the log starts (calls, keying in an order): separated from the
idle time before them, on gaps made with a known work and a known idle share, and on a
test-bed operation whose true call and keying times are known."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from l2csim.fit.durations import (
    ESTIMATED,
    event_times,
    fit_activity_durations,
    fixed,
    separate_idle,
    without_carried,
)
from l2csim.log import ACTIVITY, CASE, RESOURCE, TIMESTAMP
from l2csim.params import Member, Provenance
from l2csim.sample.testbed import generate_operation
from l2csim.sample.testbed.write import write_run


def gaps(n: int, work_alone: float, seed: int = 0) -> np.ndarray:
    """Lognormal work (mean 0.2 h, cv 0.5); with probability 1 - work_alone the person was
    idle first for an exponential spell of 0.8 h on average."""
    rng = np.random.default_rng(seed)
    sigma = np.sqrt(np.log(1 + 0.5**2))
    work = rng.lognormal(np.log(0.2) - sigma**2 / 2, sigma, n)
    idle = rng.exponential(0.8, n) * (rng.random(n) >= work_alone)
    return work + idle


@pytest.mark.parametrize("work_alone", [0.3, 0.6, 0.9])
def test_the_work_is_found_under_the_idle_time(work_alone: float) -> None:
    values = gaps(3000, work_alone)
    fitted = separate_idle(values, "test")
    assert fitted is not None and fitted.kind == "lognormal"
    assert fitted.mean == pytest.approx(0.2, rel=0.15)
    assert values.mean() > 0.25  # the plain gaps' mean is well off
    assert "work separated from idle time" in fitted.provenance.detail


def test_when_nearly_every_gap_is_mostly_idle_the_work_is_at_most_an_upper_bound() -> None:
    """A short work and a longer, wider one fit such gaps about as well: poorly identified,
    but never near the gaps' mean (or None: the caller takes a low quantile of the gaps)."""
    values = gaps(3000, 0.02)
    fitted = separate_idle(values, "test")
    assert fitted is None or 0.2 * 0.9 <= fitted.mean < 0.5 * values.mean()


def test_short_idle_before_nearly_every_job_is_not_taken_for_idle_time() -> None:
    """A busy team: a few minutes between almost every job. The gaps are close to the work
    and stay so, neither cut below the work nor sent to a low quantile."""
    rng = np.random.default_rng(2)
    sigma = np.sqrt(np.log(1 + 0.5**2))
    work = rng.lognormal(np.log(0.4) - sigma**2 / 2, sigma, 3000)
    values = work + rng.exponential(0.08, 3000)
    fitted = separate_idle(values, "test")
    assert fitted is not None and 0.4 * 0.95 <= fitted.mean <= values.mean() * 1.02


def test_plain_work_is_left_as_it_is() -> None:
    """Gaps that are all work: nothing to separate, the work is the gaps (or None, when the
    idle part explains nothing)."""
    values = np.random.default_rng(1).lognormal(-1.7, 0.45, 2000)
    fitted = separate_idle(values, "test")
    assert fitted is None or fitted.mean == pytest.approx(values.mean(), rel=0.03)


@pytest.mark.slow
def test_calls_and_keying_on_a_completion_only_log_come_near_their_true_work(
    tmp_path,
) -> None:
    """inbox_intake logs completions only; its chase and courtesy calls and the keying of
    orders ("Order received", 15-18 minutes) were estimated 1.4-2.2x too long from the
    gaps alone. Now each is within 25 % of the truth."""
    from l2csim.fit import fit_model
    from l2csim.inputs import read_inputs_log, resolve_inputs

    run = generate_operation("inbox_intake", seed=0, days=150)
    write_run(tmp_path, run)
    inputs = resolve_inputs(tmp_path / "scenarios" / "study.yaml")
    model = fit_model(read_inputs_log(inputs), inputs.study)
    behaviour = run.truth["behaviour"]
    assert model.chase.call.mean == pytest.approx(behaviour["chase_call_hours"]["mean"], rel=0.25)
    assert model.courtesy.call.mean == pytest.approx(
        behaviour["courtesy"]["call_hours"]["mean"], rel=0.25
    )
    keying = next(a for a in model.activities if a.name == "Order received")
    channels = run.truth["intake"]["channels"]
    true_keying = (channels["e-mail"] * 18 + channels["phone"] * 15) / (
        (channels["e-mail"] + channels["phone"]) * 60
    )
    assert keying.duration.mean == pytest.approx(true_keying, rel=0.25)


def test_fixed_keeps_its_provenance() -> None:
    d = fixed(0.25, 40, Provenance(source="log", detail="x"))
    assert d.mean == 0.25 and d.n == 40


def _warehouse_weeks(weeks: int, first_job_hours: float = 2.0) -> pd.DataFrame:
    """One picker, shift 8:00-16:00 on weekdays, never idle: each day six 1-hour picks
    (done 9:30 ... 14:30), then a `first_job_hours` pick begun at 14:30 and finished the next
    working morning at 8:30. Every order was released the evening before its pick."""
    rows = []
    days = pd.bdate_range("2025-03-03", periods=5 * weeks, tz="UTC")
    for d, day in enumerate(days[1:], start=1):
        ends = [day + pd.Timedelta(hours=8.5)] + [
            day + pd.Timedelta(hours=9.5 + k) for k in range(6)
        ]
        for k, end in enumerate(ends):
            case = f"o{d:03d}-{k}"
            released = days[d - 1] + pd.Timedelta(hours=6)
            rows += [(case, "Released", released, "ERP"), (case, "Pick", end, "Petra")]
    events = pd.DataFrame(rows, columns=[CASE, ACTIVITY, TIMESTAMP, RESOURCE])
    return events.sort_values([CASE, TIMESTAMP], kind="stable").reset_index(drop=True)


def test_a_busy_persons_pick_carried_over_the_night_counts_its_whole_work() -> None:
    """The long picks are the ones that run into the next morning: leaving a busy person's
    first completion of the day out reads picking too short (1.0 h, not 1.14 h)."""
    events = _warehouse_weeks(8)
    petra = Member(name="Petra", weekdays=[0, 1, 2, 3, 4], start_hour=8.0, end_hour=16.0)
    times = event_times(events, {"Petra": petra}, {"ERP": "system"}, "UTC")
    picks = times.loc[events[ACTIVITY].eq("Pick"), "processing"].dropna()
    assert picks.mean() == pytest.approx((2.0 + 6 * 1.0) / 7, rel=0.02)
    assert picks.max() == pytest.approx(2.0)


def test_carried_jobs_are_marked_and_can_be_left_out_per_step() -> None:
    """The overnight picks are marked `carried`; a step found to wait for something outside
    gets them unknown again, other steps keep them."""
    events = _warehouse_weeks(8)
    petra = Member(name="Petra", weekdays=[0, 1, 2, 3, 4], start_hour=8.0, end_hour=16.0)
    times = event_times(events, {"Petra": petra}, {"ERP": "system"}, "UTC")
    carried = times["carried"]
    assert carried.sum() == 5 * 8 - 2  # every morning's first pick but the first day's
    assert times.loc[carried, "processing"].to_numpy() == pytest.approx(2.0)
    assert without_carried(times, events, {"Release"}) is times
    dropped = without_carried(times, events, {"Pick"})
    assert dropped.loc[carried, "processing"].isna().all() and not dropped["carried"].any()
    assert dropped.loc[~carried, "processing"].equals(times.loc[~carried, "processing"])


def test_a_first_job_of_the_day_not_queued_the_evening_before_is_left_out() -> None:
    """Orders released in the morning, before the shift: when the person began on them
    (after a coffee, a meeting, other work the log does not show) is unknown."""
    events = _warehouse_weeks(8)
    morning = events[ACTIVITY].eq("Released") & events[CASE].str.endswith("-0")
    events.loc[morning, TIMESTAMP] += pd.Timedelta(days=1)  # 6:00 on the pick's own day
    events = events.sort_values([CASE, TIMESTAMP], kind="stable").reset_index(drop=True)
    petra = Member(name="Petra", weekdays=[0, 1, 2, 3, 4], start_hour=8.0, end_hour=16.0)
    times = event_times(events, {"Petra": petra}, {"ERP": "system"}, "UTC")
    first = events[ACTIVITY].eq("Pick") & events[CASE].str.endswith("-0")
    assert times.loc[first, "processing"].isna().all()
    assert times.loc[events[ACTIVITY].eq("Pick") & ~first, "processing"].notna().any()


def _fitted_with(values: np.ndarray, waited: set[str]):
    """`fit_activity_durations` over one estimated step whose gaps are `values`."""
    n = len(values)
    events = pd.DataFrame(
        {
            CASE: [f"o{i}" for i in range(n)],
            ACTIVITY: "Pick",
            TIMESTAMP: pd.date_range("2025-03-03", periods=n, freq="h", tz="UTC"),
        }
    )
    times = pd.DataFrame({"kind": "person", "processing": values}, index=events.index)
    return fit_activity_durations(events, times, ["Pick"], ESTIMATED, waited=waited)["Pick"]


def test_a_step_that_waits_for_stock_has_its_work_separated_from_the_idle_time() -> None:
    """Picks that often waited for stock began when it came, not when the picker was free:
    a third of the gaps are work alone, the rest idle time first. Named as waited, the work
    (0.2 h) is found; not named, the gaps' mean is the work."""
    values = gaps(2000, 0.3)
    assert _fitted_with(values, {"Pick"}).mean == pytest.approx(0.2, rel=0.15)
    assert _fitted_with(values, set()).mean == pytest.approx(values.mean(), rel=0.1)


def test_a_waited_step_whose_gaps_are_all_work_keeps_them() -> None:
    """No idle part to separate (the picker was busy): the gaps stay the work, not a low
    quantile of them."""
    values = np.random.default_rng(1).lognormal(-1.7, 0.45, 2000)
    fitted = _fitted_with(values, {"Pick"})
    assert fitted.mean == pytest.approx(values.mean(), rel=0.05)
