"""Customer behaviour around calls: when customers chase, and today's courtesy-call practice.

Chase calls (the study's `chase_call` role): patience is the time from the promise (the
promised-date attribute, else arrival + the tier's promised hours) to the order's first
chase, negative values (chased before the promise) counted as zero; repeats are the gaps
between an order's consecutive chases; `max_calls` is the most chases one order received.
Patience is observed only on orders that were chased: orders delivered before the customer
lost patience are not counted (right-censoring), so the fitted patience is on the short
side. An order counts as expedited after a chase when an expedite step (an activity whose
name contains "expedit", "escalat" or "rush") follows its first chase.

Courtesy calls (the `courtesy_call` role): each call is attributed to the milestones (the
`milestones` role) before it in the same order by expectation-maximisation (see
`courtesy_probabilities`); the probability for a tier and milestone is the expected number
of calls per occurrence of that milestone in the tier's orders.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from l2csim.fit.durations import fit_distribution
from l2csim.log import ACTIVITY, CASE, TIMESTAMP
from l2csim.params import ChaseBehaviour, CourtesyPractice, Distribution, Provenance

EXPEDITE_WORDS = ("expedit", "escalat", "rush")
DEFAULT_PATIENCE_HOURS = 48.0
DEFAULT_REPEAT_HOURS = 48.0
DEFAULT_CALL_HOURS = 0.2
HOUR = pd.Timedelta(hours=1)
EM_ROUNDS = 30
MIN_SURE_CALLS = 20


def expedite_activities(activities: list[str]) -> list[str]:
    """Activities whose names say they speed an order up."""
    return [a for a in activities if any(w in a.lower() for w in EXPEDITE_WORDS)]


def default_hours(mean: float, what: str) -> Distribution:
    return Distribution(
        kind="exponential",
        mean=mean,
        params={"mean": mean},
        provenance=Provenance(source="default", detail=what),
    )


def fit_chase(
    events: pd.DataFrame,
    cases: pd.DataFrame,
    promise: pd.Series,
    chase_activities: list[str],
    expedite: list[str],
    call: Distribution | None,
    pool: str,
) -> ChaseBehaviour:
    """Chase behaviour from the log, or stated defaults when the log has no chase calls."""
    chases = events.loc[events[ACTIVITY].isin(chase_activities), [CASE, TIMESTAMP]]
    if chases.empty:
        what = "no chase-call activity in the log (roles.chase_call)"
        return ChaseBehaviour(
            patience_after_promise=default_hours(DEFAULT_PATIENCE_HOURS, what),
            repeat_after=default_hours(DEFAULT_REPEAT_HOURS, what),
            call=call or default_hours(DEFAULT_CALL_HOURS, what),
            pool=pool,
            expedite_probability=0.0,
            provenance=Provenance(source="default", detail=what),
        )
    first = chases.groupby(CASE, sort=True)[TIMESTAMP].min()
    patience = ((first - promise.reindex(first.index)) / HOUR).dropna()
    early = float((patience < 0).mean()) if len(patience) else 0.0
    patience_fit = fit_distribution(
        patience.clip(lower=0).to_numpy(),
        f"first chase - promise of {len(patience):,} chased orders ({early:.0%} before it)",
    )
    same_case = chases[CASE].eq(chases[CASE].shift())
    gaps = ((chases[TIMESTAMP] - chases[TIMESTAMP].shift()) / HOUR).where(same_case).dropna()
    if len(gaps):
        repeat = fit_distribution(gaps.to_numpy(), f"gaps between {len(gaps):,} repeat chases")
    else:
        repeat = default_hours(DEFAULT_REPEAT_HOURS, "no order was chased twice")
    calls_per_order = chases.groupby(CASE).size()
    expedited = events.loc[events[ACTIVITY].isin(expedite), [CASE, TIMESTAMP]]
    after = expedited.merge(first.rename("first_chase"), left_on=CASE, right_index=True)
    sped_up = after.loc[after[TIMESTAMP] >= after["first_chase"], CASE].nunique()
    share = sped_up / len(first)
    source = "log" if expedite else "default"
    detail = (
        f"{len(chases):,} chase calls on {len(first):,} orders; expedite steps "
        f"{', '.join(expedite) if expedite else 'none found (probability 0)'}"
    )
    return ChaseBehaviour(
        patience_after_promise=patience_fit,
        repeat_after=repeat,
        max_calls=int(calls_per_order.max()),
        call=call or default_hours(DEFAULT_CALL_HOURS, "no call duration"),
        pool=pool,
        expedite_probability=float(share),
        provenance=Provenance(source=source, detail=detail),
    )


def courtesy_probabilities(
    events: pd.DataFrame,
    case_tier: pd.Series,
    courtesy_activities: list[str],
    milestones: list[str],
) -> tuple[dict[str, dict[str, float]], int, int]:
    """tier → milestone → share of occurrences followed by a call; also calls and unattributed.

    A call is owed to one of the milestones before it in its order, but which one the log
    does not say: a call for "Order confirmed" can be made after the goods have shipped.
    Expectation-maximisation sorts this out: each call is shared among its candidate
    milestones in proportion to p(tier, milestone) times the density of its delay after the
    milestone; p is then the expected calls per occurrence. The delay density (a histogram
    on a log scale) is learnt once from the calls with a single candidate (made before the
    order's second milestone), so a call days after one milestone and minutes after the
    next goes to the next. Started from "the latest milestone", `EM_ROUNDS` rounds.
    """
    marks = events.loc[events[ACTIVITY].isin(milestones), [CASE, ACTIVITY, TIMESTAMP]]
    marks = marks.assign(_mark=np.arange(len(marks)), _tier=case_tier.reindex(marks[CASE]).values)
    calls = events.loc[events[ACTIVITY].isin(courtesy_activities), [CASE, TIMESTAMP]]
    calls = calls.assign(_call=np.arange(len(calls)))
    pairs = calls.merge(marks, on=CASE, suffixes=("", "_mark"))
    pairs = pairs.loc[pairs[TIMESTAMP] >= pairs[f"{TIMESTAMP}_mark"]].reset_index(drop=True)
    lag = (pairs[TIMESTAMP] - pairs[f"{TIMESTAMP}_mark"]) / HOUR
    bins = np.digitize(np.log10(lag.to_numpy(dtype=float) + 1e-3), np.linspace(-3, 4, 57))
    key = pd.MultiIndex.from_arrays([pairs["_tier"], pairs[ACTIVITY]])
    occurrences = marks.groupby(["_tier", ACTIVITY]).size()
    latest = pairs.groupby("_call")[f"{TIMESTAMP}_mark"].transform("max")
    weight = (pairs[f"{TIMESTAMP}_mark"] == latest).astype(float)
    weight = weight / weight.groupby(pairs["_call"]).transform("sum")
    candidates = pairs.groupby("_call")["_mark"].transform("size")
    sure = candidates == 1 if int((candidates == 1).sum()) >= MIN_SURE_CALLS else weight > 0
    density = np.bincount(bins[sure.to_numpy()], minlength=58) / max(int(sure.sum()), 1) + 1e-9
    for _ in range(EM_ROUNDS):
        expected = weight.groupby(key).sum()
        share = (expected / occurrences.reindex(expected.index)).clip(upper=1.0)
        score = share.reindex(key).to_numpy() * density[bins]
        weight = pd.Series(score, index=pairs.index)
        weight = weight / weight.groupby(pairs["_call"]).transform("sum")
    expected = weight.groupby(key).sum()
    probability: dict[str, dict[str, float]] = {}
    for tier in sorted(str(t) for t in case_tier.unique()):
        probability[tier] = {}
        for milestone in sorted(milestones):
            n = occurrences.get((tier, milestone), 0)
            calls_made = float(expected.get((tier, milestone), 0.0))
            probability[tier][milestone] = min(1.0, calls_made / n) if n else 0.0
    unattributed = int(len(calls) - pairs["_call"].nunique())
    return probability, len(calls), unattributed


def fit_courtesy(
    events: pd.DataFrame,
    case_tier: pd.Series,
    courtesy_activities: list[str],
    milestones: list[str],
    call: Distribution | None,
    pool: str,
) -> CourtesyPractice:
    """Today's courtesy-call practice, or none (probability 0) when the log shows no calls."""
    if not courtesy_activities or not milestones:
        what = "no courtesy-call activity or no milestones named (roles)"
        return CourtesyPractice(
            probability={},
            call=call or default_hours(DEFAULT_CALL_HOURS, what),
            pool=pool,
            provenance=Provenance(source="default", detail=what),
        )
    probability, n_calls, unattributed = courtesy_probabilities(
        events, case_tier, courtesy_activities, milestones
    )
    detail = f"{n_calls:,} courtesy calls; {unattributed:,} before any milestone not counted"
    return CourtesyPractice(
        probability=probability,
        call=call or default_hours(DEFAULT_CALL_HOURS, "no courtesy calls in the log"),
        pool=pool,
        provenance=Provenance(source="log" if n_calls else "default", detail=detail),
    )
