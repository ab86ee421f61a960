"""Chase calls a log cannot show: tries nobody answered, counted once.

A log records answered chase calls only. Where customer service was busy, some tries went
unanswered (the caller hung up, dialled again, then waited before chasing again), so the
patience and repeat gaps `fit.calls` reads off the log are the timing of *answered* calls:
they hold the log's own loss already. The model's callers hang up too (`ChaseBehaviour.hold`,
an assumption); given the answered timing as the timing of their tries, a model of a busy
operation loses its calls a second time (on the test bed: a third too few answered chase
calls where customer service was busy, about right where it was not).

So the model's callers try earlier and more often, by as much as the model's own replay of
the log's period leaves unanswered. With a share L of chases given up (hung up with no
redial left), answered calls come on average 1 / (1 - L) tries apart: the gaps between
tries are the answered gaps times (1 - L), and a first answered call comes on average
L / (1 - L) such gaps after the first try, so patience is drawn L answered gaps earlier. L
is a fixed point, found in `ROUNDS` replays of the log's period with the correction itself
(the calls it adds take customer service's time, as the log's did). Beyond the log's own
congestion (a what-if with fewer staff, a surge) the loss grows in the model as it would:
only the log's share is made up for. Part of calibration: a fit without calibration keeps
the answered timing, and says so.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from l2csim.fit.calibration import Period, log_period
from l2csim.params import CensoredWait, ChaseBehaviour, ModelParams, Provenance, UnansweredCalls
from l2csim.policy import Policy

ROUNDS = 4  # replays at most: without a correction, then each with the last one's loss
MAX_LOSS = 0.8  # a log where most tries fail says more about the hold assumed than the log
CONVERGED = 0.005  # a replay losing within half a point of its correction: no more rounds
MIN_LOSS = 0.01  # below this the correction is left out: it would move nothing
TIPPED = 2.0  # a replay losing this many times its correction has tipped into a spiral


@dataclass(frozen=True)
class Tries:
    """What callers did in one replay: chases answered, and chases given up on."""

    answered: int
    given_up: int

    @property
    def loss(self) -> float:
        tries = self.answered + self.given_up
        return self.given_up / tries if tries else 0.0


def applies(chase: ChaseBehaviour) -> bool:
    """Whether the model's callers can lose tries to make up for: they hang up (`hold`) and
    patience and repeat gaps are censored waits (not an older model file's)."""
    return chase.hold is not None and bool(chase.patience) and chase.repeat is not None


def replay_tries(params: ModelParams, period: Period, seed: int) -> Tries:
    """One replay of the log's `period` (orders arriving when the log's came) of the as-is
    model: its chase calls answered and given up."""
    from l2csim.sim.model import Simulation
    from l2csim.sim.replications import gc_paused
    from l2csim.sim.streams import replication_streams

    with gc_paused():
        sim = Simulation(
            params,
            Policy(),
            replication_streams(seed, 0),
            horizon=period.horizon,
            event_log=False,
            intake=period.intake,
        )
        tracker = sim.run()
        for pool in sim.pools:
            pool.close()
    return Tries(sum(t.chase_calls for t in tracker.tiers), tracker.given_up)


def answered_gap(repeat: CensoredWait) -> float:
    """Mean hours between a chase's answered calls, as the log shows them."""
    return repeat.offset + repeat.distribution.mean


def corrected(chase: ChaseBehaviour, loss: float, detail: str = "") -> ChaseBehaviour:
    """The chase behaviour whose tries, losing `loss` of chases, answer as the log's did."""
    repeat = chase.repeat
    if repeat is None or loss <= 0.0:
        return chase
    scale = 1.0 - loss
    earlier = loss * answered_gap(repeat)
    note = detail or f"tries made up for {loss:.0%} given up"
    source = chase.hold.provenance.source if chase.hold is not None else "default"

    def tries(wait: CensoredWait) -> CensoredWait:
        """The answered calls' gaps as gaps between tries: `scale` of them."""
        gaps = wait.distribution.scaled(
            scale,
            Provenance(
                source="log",
                detail=f"{wait.distribution.provenance.detail}; gaps between tries "
                f"x{scale:.2f}: " + note,
            ),
        )
        return wait.model_copy(update={"distribution": gaps, "offset": wait.offset * scale})

    patience = {
        tier: wait.model_copy(
            update={
                "offset": wait.offset - earlier,
                "distribution": wait.distribution.model_copy(
                    update={
                        "provenance": Provenance(
                            source="log",
                            detail=f"{wait.distribution.provenance.detail}; first try "
                            f"{earlier:.1f} h earlier: {note}",
                        )
                    }
                ),
            }
        )
        for tier, wait in chase.patience.items()
    }
    return chase.model_copy(
        update={
            "patience": patience,
            "repeat": tries(repeat),
            "repeat_by_tier": {t: tries(w) for t, w in chase.repeat_by_tier.items()},
            "unanswered": UnansweredCalls(
                share=round(loss, 6),
                earlier_hours=round(earlier, 6),
                repeat_scale=round(scale, 6),
                provenance=Provenance(source=source, detail=note),
            ),
        }
    )


def make_up_for_unanswered(params: ModelParams, events: pd.DataFrame, seed: int) -> ModelParams:
    """The model whose callers try as often as the log's answered calls need under the log's
    own congestion (see the module). Unchanged where callers never hang up (no `hold`), the
    model has no censored patience (an older model file) or almost nothing is lost."""
    chase = params.chase
    if not applies(chase):
        return params
    period = log_period(params, events, holdout=0.0)  # the same for every replay
    # The loss with a correction x is f(x), rising in x (tries made up for load customer
    # service). Iterating x = f(x) from 0 climbs towards f's least fixed point and never past
    # it: near a tipping point (f rising as fast as x) it stops short rather than overshoot.
    # But the replays are single runs of a stochastic model: one can tip into a chase-call
    # spiral the log never shows (its loss jumps to several times the last one's), and a
    # correction taken from it would make every run spiral. Then the last correction whose
    # replay held is kept.
    tried: list[tuple[float, float]] = []  # (correction, share given up in the replay)
    x, tipped = 0.0, False
    for _ in range(ROUNDS):
        model = params.model_copy(update={"chase": corrected(chase, x)})
        loss = min(MAX_LOSS, replay_tries(model, period, seed).loss)
        tried.append((x, loss))
        if x > 0.0 and loss > TIPPED * x:
            tipped, x = True, tried[-2][0]
            break
        if abs(loss - x) < CONVERGED:
            break
        x = loss
    rounds = ", ".join(f"{a:.0%} -> {b:.0%}" for a, b in tried)
    if tipped:
        rounds += f"; the last tipped into a spiral, so {x:.0%} is kept"
    if x < MIN_LOSS:
        note = (
            "chase calls: replaying the log's period, callers gave up on "
            f"{tried[-1][1]:.1%} of chases (replays, correction -> given up: {rounds}); "
            "tries keep the answered calls' timing"
        )
        return params.model_copy(update={"notes": [*params.notes, note]})
    detail = (
        "the log shows answered calls only; replaying its period the model's callers give up "
        f"on {x:.0%} of chases (replays, correction -> given up: {rounds}), so they try "
        f"{x * answered_gap(chase.repeat):.1f} h earlier and every {1 - x:.2f} of the "
        "answered gap, and their answered calls keep the log's timing; rests on the assumed "
        f"hold ({chase.hold.minutes:g} minutes)"
    )
    model = params.model_copy(update={"chase": corrected(chase, x, detail)})
    return model.model_copy(update={"notes": [*model.notes, f"chase calls: {detail}"]})
