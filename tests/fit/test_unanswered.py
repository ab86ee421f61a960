"""Unanswered chase calls: the model's callers try earlier and more often by as much as its
replay of the log's period leaves unanswered, so the loss the log already holds is not
counted a second time; a busier calls team loses more; nothing changes without hang-ups."""

from __future__ import annotations

import pytest

from l2csim.fit import period as periods
from l2csim.fit.calibration import log_period
from l2csim.fit.cases import sort_events
from l2csim.fit.unanswered import corrected, make_up_for_unanswered, replay_tries


@pytest.fixture(scope="module")
def sample(sample_fit):
    """The fitted sample, its recent window (as the fit replays it) and that window's period."""
    log, params = sample_fit.log, sample_fit.params
    period = periods.today(log.events)
    window = periods.recent(sort_events(periods.plausible(log.events, period)), period)
    return params, window, log_period(params, window, holdout=0.0)


def _short_of_staff(params, pool_name: str, keep: int):
    pools = [
        p.model_copy(update={"members": p.members[:keep]}) if p.name == pool_name else p
        for p in params.pools
    ]
    return params.model_copy(update={"pools": pools})


def test_corrected_callers_try_earlier_and_more_often(sample) -> None:
    params, _, _ = sample
    chase = params.chase
    assert chase.hold is not None and chase.patience and chase.repeat is not None
    out = corrected(chase, 0.25)
    gap = chase.repeat.offset + chase.repeat.distribution.mean
    assert out.repeat.distribution.mean == pytest.approx(0.75 * chase.repeat.distribution.mean)
    assert out.repeat.share == chase.repeat.share
    for tier, wait in chase.patience.items():
        assert out.patience[tier].offset == pytest.approx(wait.offset - 0.25 * gap)
        assert out.patience[tier].share == wait.share
        assert out.patience[tier].distribution.quantiles == wait.distribution.quantiles
        assert "earlier" in out.patience[tier].distribution.provenance.detail
    assert out.unanswered is not None and out.unanswered.share == 0.25
    assert out.unanswered.earlier_hours == pytest.approx(0.25 * gap)
    assert corrected(chase, 0.0) is chase


def test_a_busier_calls_team_leaves_more_chases_unanswered(sample) -> None:
    params, _, replayed = sample
    base = replay_tries(params, replayed, seed=0)
    busy = replay_tries(_short_of_staff(params, params.chase.pool, 1), replayed, seed=0)
    assert base.answered > 50
    assert busy.loss > base.loss
    assert replay_tries(params, replayed, seed=0) == base  # a replay is reproducible


def test_made_up_tries_answer_about_what_the_uncorrected_callers_tried(sample) -> None:
    """Short of staff, the uncorrected model loses a share of its tries; the corrected one
    answers about as many chases as those callers tried (what the log would have shown),
    not more."""
    params, window, replayed = sample
    busy = _short_of_staff(params, params.chase.pool, 1)
    before = replay_tries(busy, replayed, seed=0)
    assert before.loss > 0.05
    made = make_up_for_unanswered(busy, window, seed=0)
    unanswered = made.chase.unanswered
    assert unanswered is not None and unanswered.share >= before.loss
    assert any("give up on" in n and "rests on the assumed hold" in n for n in made.notes)
    after = replay_tries(made, replayed, seed=0)
    tried = before.answered + before.given_up
    assert after.answered > before.answered
    assert after.answered == pytest.approx(tried, rel=0.2)


def test_callers_who_never_hang_up_lose_nothing_to_make_up_for(sample) -> None:
    params, window, _ = sample
    patient = params.model_copy(update={"chase": params.chase.model_copy(update={"hold": None})})
    assert make_up_for_unanswered(patient, window, seed=0) is patient
    assert any("not made up for" in n for n in params.notes)  # fitted uncalibrated


def test_a_replay_that_tips_into_a_spiral_keeps_the_last_correction_that_held(
    sample, monkeypatch
) -> None:
    """Replays losing 19 %, 21 %, 27 %, then 75 % (the model with 27 % made up for tipped
    into a chase-call spiral its log never shows): 21 % is kept, not 75 %."""
    from l2csim.fit import unanswered

    params, window, _ = sample
    losses = iter([0.19, 0.21, 0.27, 0.75])

    def replay(model, period, seed):
        share = next(losses)
        return unanswered.Tries(answered=round(1000 * (1 - share)), given_up=round(1000 * share))

    monkeypatch.setattr(unanswered, "replay_tries", replay)
    made = make_up_for_unanswered(params, window, seed=0)
    assert made.chase.unanswered.share == pytest.approx(0.21)
    assert any("tipped into a spiral, so 21% is kept" in n for n in made.notes)
