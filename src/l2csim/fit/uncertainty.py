"""The fit's own uncertainty: B parameter sets by a bootstrap over the log's orders.

The fitted model is one estimate from one log; another year of the same operation would
have given other rates, paths and times. A confidence interval over replications of the
one fitted model shows only the simulation's randomness. Here the parts of the model that
the log estimates from its orders are re-estimated B times on resampled orders; the
replications then run on these sets in turn (`l2csim.draws`), so their spread carries both.

**Method: a Poisson bootstrap over orders.** In each draw every order of the log gets a
weight from Poisson(1) — how many times it is in the resample — and every estimate below is
recomputed with these weights. The order is the resampled unit: its arrival, its path, the
work on its steps, its waits and its chase calls travel together, as they happened. Poisson
weights rather than a fixed-size resample, because the number of orders is itself random:
the total then varies as the count of a Poisson arrival process does, so arrival rates carry
their sampling error (a multinomial resample of N orders keeps the total at N).

Each estimate is stored as its change relative to the same estimate on the whole log (a
factor, 1 = as fitted) and applied to the fitted model, so whatever the fit did afterwards
(calibration's scales, pooled small tiers) stays. Nothing here reruns calibration, team
clustering or distribution selection: one draw costs a few weighted sums.

What varies, per draw:
- **arrival rates** per tier × segment: weighted orders / orders;
- **routing**: each segment's transition probabilities from weighted step counts (ratio to
  the fitted probability, each row renormalised; a path no resampled order took drops out);
- **processing times** (scale) per activity, and the chase and courtesy call lengths:
  weighted / unweighted mean of the fit's processing-time estimates (activities with fewer
  than `durations.MIN_SAMPLES` estimates keep their fixed value);
- **chase patience** per tier (the share of customers who would phone at all, and the scale
  of when) and the **repeat-call wait**, by a weighted Kaplan-Meier estimate with the same
  censoring as the fit (tiers the fit pooled use the pooled estimate; the repeat wait's
  change is all tiers', applied to each tier's own curve as well);
- **staff-free delays** (the share of a step's occurrences that wait, and the scale of the
  wait), overall and per segment where the model has them;
- **churn**: each tier's churn rate, drawn from its own evidence (churned customers in
  deliveries at risk, `churn_shifts`) rather than the orders' bootstrap. With two churned
  customers a rate is uncertain by a factor of ten; an
  interval without that would show the simulation's noise as the answer.

Kept as fitted: the teams, their people and shifts (and so capacity), calibration, tiers and
SLAs, the weekly arrival pattern, courtesy practice, expedite probability, the churn model's
experience effects, and the shapes of the distributions (only their scale varies).

Limits: orders are treated as independent. Orders of the same customer, weeks of high and
low intake, and a chase-call spiral tie orders together, so the spread here is a lower bound
of the true estimation error; so is leaving the team sizes as fitted.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import special

from l2csim.customers.churn import rate_posterior, tier_rate
from l2csim.draws import (
    DEFAULT_DRAWS,
    MAX_DRAWS,
    Change,
    DelayChange,
    ModelDraws,
    ParameterSet,
    draws_path,
    write_draws,
)
from l2csim.fit import calls, durations, staff
from l2csim.fit.cases import case_table, sort_events
from l2csim.fit.model import FitOptions
from l2csim.fit.waiting import _waited_while_idle  # the fit's own idle-wait test
from l2csim.log import ACTIVITY, CASE, TIMESTAMP, EventLog
from l2csim.orders import case_tiers
from l2csim.output import sha256_file
from l2csim.params import END_NODE, START_NODE, ModelParams
from l2csim.settings import bounded_int
from l2csim.study import Study

METHOD = "Poisson bootstrap over orders"
HOUR = pd.Timedelta(hours=1)
CHURN_STREAM = 1  # the churn draws' stream beside the order bootstrap's (same seed)
MIN_SCALE = 1e-3  # a time scale never reaches 0 (a resample whose waits were all 0)
VARIES = [
    "arrival rates per tier and segment",
    "routing probabilities per segment",
    "processing times (scale) per activity and call",
    "chase patience per tier (share who phone, scale of when) and the repeat-call wait",
    "staff-free delays (share that wait, scale of the wait)",
    "each tier's churn rate (its posterior given the churned customers it rests on)",
]
KEPT = [
    "teams, people and shifts (capacity)",
    "calibration scales",
    "tiers and SLAs",
    "weekly arrival pattern",
    "courtesy practice",
    "expedite probability, escalation and expedite shares, and the teams escalations go to",
    "the churn model's experience effects (a stated hypothesis, with their intervals)",
    "distribution shapes (only scales vary)",
]


def bootstrap_draws(
    log: EventLog,
    study: Study | None,
    params: ModelParams,
    model_sha256: str,
    *,
    count: int = DEFAULT_DRAWS,
    seed: int = 0,
    options: FitOptions | None = None,
) -> ModelDraws:
    """`count` parameter sets of `params` (fitted from `log` with `study` and `options`)
    by a Poisson bootstrap over orders; draw b uses the b-th weights of `seed`'s stream."""
    evidence = _Evidence.of(log, study, params, options or FitOptions())
    full = evidence.estimates(np.ones(evidence.cases))
    rng = np.random.default_rng(np.random.SeedSequence(seed))
    sets = []
    for _ in range(count):
        weights = rng.poisson(1.0, evidence.cases).astype(float)
        sets.append(evidence.draw(evidence.estimates(weights), full, params))
    # The churn model's own stream: the order draws above stay as they were without it.
    churn_rng = np.random.default_rng(np.random.SeedSequence([seed, CHURN_STREAM]))
    sets = [s.model_copy(update={"churn": churn_shifts(params, churn_rng)}) for s in sets]
    return ModelDraws(
        method=METHOD,
        seed=seed,
        count=count,
        model_sha256=model_sha256,
        log_sha256=params.created_from.sha256 if params.created_from else None,
        orders=evidence.cases,
        varies=VARIES,
        kept=KEPT,
        spread=spread(sets, params),
        sets=sets,
    )


@dataclass(frozen=True)
class _Evidence:
    """What the estimates are computed from, once: per case, step, event and call, the
    position of its order, so a draw's estimates are weighted sums over these arrays."""

    cases: int
    arrival_group: np.ndarray  # per case: index into arrival_keys
    arrival_keys: list[tuple[str, str]]
    step_case: np.ndarray  # routing steps
    step_key: np.ndarray
    step_keys: list[tuple[str, str, str]]
    work: dict[str, tuple[np.ndarray, np.ndarray]]  # activity -> (case, hours)
    call_activity: dict[str, str | None]  # chase / courtesy -> its main activity
    patience: tuple[np.ndarray, np.ndarray, np.ndarray, float] | None  # hours, ended, tier
    patience_tiers: list[str]
    repeat: tuple[np.ndarray, np.ndarray, np.ndarray, float] | None  # hours, ended, case
    delays: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]]

    @classmethod
    def of(
        cls, log: EventLog, study: Study | None, params: ModelParams, options: FitOptions
    ) -> _Evidence:
        events = sort_events(log.events)
        tiers = _tiers(events, study, options)
        table = case_table(events, study, tiers)
        position = pd.Series(np.arange(len(table)), index=table.index)
        # Events of cases outside the order table point at an extra, always-zero weight.
        event_case = events[CASE].map(position).fillna(len(table)).to_numpy(dtype=int)
        roles = params.roles
        timezone = params.timezone

        groups = table["tier"].astype(str) + "\x1f" + table["segment"].astype(str)
        codes, uniques = pd.factorize(groups, sort=True)
        arrival_keys = [tuple(u.split("\x1f", 1)) for u in uniques]

        expedite = calls.expedite_activities(log.activities) if roles.chase_call else []
        excluded = {*roles.chase_call, *roles.courtesy_call, *expedite}
        step_case, step_key, step_keys = _steps(events, table["segment"], position, excluded)

        staffing = staff.fit_staffing(events, table["segment"], timezone)
        times = durations.event_times(events, staffing.members, staffing.systems, timezone)
        staffed = (times["kind"] != "system").to_numpy()
        hours = times["processing"].to_numpy(dtype=float)
        activity = events[ACTIVITY].astype(str).to_numpy()
        work = {}
        for name in sorted(set(activity)):
            rows = (activity == name) & staffed & np.isfinite(hours)
            if int(rows.sum()) >= durations.MIN_SAMPLES:
                work[name] = (event_case[rows], hours[rows])
        call_activity = {
            "chase": _most_frequent(roles.chase_call, events),
            "courtesy": _most_frequent(roles.courtesy_call, events),
        }

        end = events[TIMESTAMP].max()
        promised_hours = {t.name: t.promised_hours for t in params.tiers}
        promise = table["promised"].fillna(
            table["arrival"]
            + pd.to_timedelta(table["tier"].map(promised_hours).astype(float), unit="h")
        )
        chases = events.loc[events[ACTIVITY].isin(roles.chase_call), [CASE, TIMESTAMP]]
        patience = repeat = None
        patience_tiers: list[str] = []
        if not chases.empty and params.chase.patience:
            patience, patience_tiers = _patience(chases, table, promise, end)
        if not chases.empty and params.chase.repeat is not None:
            repeat = _repeat(chases, table, position, end)

        segment = events[CASE].map(table["segment"]).astype(str).to_numpy()
        delays = _delay_evidence(events, times, params, event_case, segment, timezone)
        return cls(
            cases=len(table),
            arrival_group=np.asarray(codes),
            arrival_keys=arrival_keys,
            step_case=step_case,
            step_key=step_key,
            step_keys=step_keys,
            work=work,
            call_activity=call_activity,
            patience=patience,
            patience_tiers=patience_tiers,
            repeat=repeat,
            delays=delays,
        )

    def estimates(self, weights: np.ndarray) -> dict:
        """Every estimate under per-case `weights` (ones: the whole log)."""
        weights = np.r_[weights, 0.0]  # the extra zero: events of cases outside the table
        out: dict = {
            "arrivals": np.bincount(
                self.arrival_group, weights=weights[:-1], minlength=len(self.arrival_keys)
            ),
            "steps": np.bincount(
                self.step_key, weights=weights[self.step_case], minlength=len(self.step_keys)
            ),
            "work": {a: _mean(h, weights[c]) for a, (c, h) in self.work.items()},
        }
        if self.patience is not None:
            hours, ended, tier, offset = self.patience
            w = weights[:-1]  # patience is per case, in the order table's order
            pooled = _km(hours, ended, w, offset)
            out["patience"] = {"": pooled}
            for i, name in enumerate(self.patience_tiers):
                mine = tier == i
                out["patience"][name] = _km(hours[mine], ended[mine], w[mine], _offset(hours[mine]))
            out["patience_events"] = {
                name: int((ended & (tier == i)).sum()) for i, name in enumerate(self.patience_tiers)
            }
        if self.repeat is not None:
            hours, ended, case, offset = self.repeat
            out["repeat"] = _km(hours, ended, weights[case], offset)
        out["delays"] = {
            name: _delay_estimates(case, waited, values, segment, weights)
            for name, (case, waited, values, segment) in self.delays.items()
        }
        return out

    def draw(self, boot: dict, full: dict, params: ModelParams) -> ParameterSet:
        """The parameter set of one draw: its estimates relative to the whole log's."""
        arrivals: dict[str, dict[str, float]] = {}
        for (tier, segment), b, f in zip(
            self.arrival_keys, boot["arrivals"], full["arrivals"], strict=True
        ):
            arrivals.setdefault(tier, {})[segment] = _ratio(b, f)
        counts = {
            key: (b, f)
            for key, b, f in zip(self.step_keys, boot["steps"], full["steps"], strict=True)
        }
        routing = {}
        for chain in params.routing:
            rows = {}
            for source, row in chain.transitions.items():
                new = {}
                for target, p in row.items():
                    b, f = counts.get((chain.segment, source, target), (0.0, 0.0))
                    new[target] = p * (b / f if f > 0 else 1.0)
                total = sum(new.values())
                rows[source] = (
                    {t: v / total for t, v in sorted(new.items()) if v > 0}
                    if total > 0
                    else dict(row)
                )
            routing[chain.segment] = rows
        work = {
            a: _ratio(boot["work"][a], full["work"][a], MIN_SCALE)
            for a in sorted(self.work)
            if any(x.name == a for x in params.activities)
        }
        chase_call = self.call_activity["chase"]
        courtesy_call = self.call_activity["courtesy"]
        patience: dict[str, Change] = {}
        if "patience" in boot:
            for tier in params.chase.patience:
                own = full["patience_events"].get(tier, 0) >= calls.MIN_CALLS
                key = tier if own and tier in boot["patience"] else ""
                patience[tier] = _change(boot["patience"][key], full["patience"][key])
        repeat = _change(boot["repeat"], full["repeat"]) if "repeat" in boot else None
        delays = {}
        segments = {a.name: a.delay_by_segment for a in params.activities}
        for name, (b_all, b_seg) in boot["delays"].items():
            f_all, f_seg = full["delays"][name]
            delays[name] = DelayChange(
                overall=_change(b_all, f_all),
                by_segment={
                    s: _change(b_seg.get(s, (np.nan, np.nan)), f_seg[s])
                    for s in sorted(f_seg)
                    if s in segments.get(name, {})
                },
            )
        return ParameterSet(
            arrivals=arrivals,
            routing=routing,
            durations=work,
            chase_call=_ratio(
                boot["work"].get(chase_call), full["work"].get(chase_call), MIN_SCALE
            ),
            courtesy_call=_ratio(
                boot["work"].get(courtesy_call), full["work"].get(courtesy_call), MIN_SCALE
            ),
            patience=patience,
            repeat=repeat,
            delays=delays,
        )


def churn_shifts(params: ModelParams, rng: np.random.Generator) -> dict[str, float]:
    """One draw of the churn model: per tier a shift of its log-odds, from the fitted rate
    (`customers.churn.tier_rate` of its evidence) to a rate drawn from its posterior
    (Jeffreys: Beta(churned + 1/2, trials - churned + 1/2), whose mean is the fitted rate
    where none churned and within 1/2 churned of it otherwise; for tiers pooled with the
    others, the pooled rate's Beta prior in place of Jeffreys', whose posterior mean is the
    fitted rate). Churn rates rest on
    customers, not orders (a handful of churned customers against thousands of orders), so
    they are drawn from their own evidence rather than from the bootstrap over orders.
    Tiers without evidence (a stated model, an older retention file) keep their fitted
    rate. The experience effects stay as fitted: the file holds their standard errors, not
    how they covary with the tier terms, and drawn apart from those they would swing churn
    far beyond what the churned customers allow."""
    retention = params.retention
    if not retention.enabled:
        return {}
    tiers = {}
    for tier, evidence in sorted(retention.tier_evidence.items()):
        counts = (evidence.churned, evidence.trials, evidence.prior_churned, evidence.prior_trials)
        a, b = rate_posterior(*counts)
        drawn = float(np.clip(rng.beta(a, b), 1e-12, 1 - 1e-12))
        fitted = tier_rate(*counts)
        tiers[tier] = float(special.logit(drawn) - special.logit(fitted))
    return tiers


def spread(sets: list[ParameterSet], params: ModelParams) -> dict[str, float]:
    """How much the sets differ: coefficients of variation across sets of the total arrival
    rate, and medians over activities / tiers / steps of each factor's CV."""
    if len(sets) < 2:
        return {}
    rates = {(a.tier, a.segment): a.orders_per_week for a in params.arrivals}
    total = [
        sum(r * s.arrivals.get(t, {}).get(g, 1.0) for (t, g), r in rates.items()) for s in sets
    ]
    out = {"arrival_rate_total": _cv(total)}
    parts = {
        "processing_time": [[s.durations.get(a, 1.0) for s in sets] for a in sets[0].durations],
        "patience_share": [[s.patience[t].share for s in sets] for t in sets[0].patience],
        "patience_scale": [[s.patience[t].scale for s in sets] for t in sets[0].patience],
        "delay_share": [[s.delays[a].overall.share for s in sets] for a in sets[0].delays],
        "delay_scale": [[s.delays[a].overall.scale for s in sets] for a in sets[0].delays],
        # the odds of churning, relative to the fitted tier's
        "churn_odds": [[float(np.exp(s.churn[t])) for s in sets] for t in sets[0].churn],
    }
    for name, series in parts.items():
        if series:
            out[f"{name}_median"] = float(np.median([_cv(x) for x in series]))
    return out


# --- the estimates ----------------------------------------------------------------------------


def _tiers(events: pd.DataFrame, study: Study | None, options: FitOptions) -> pd.Series | None:
    """Each case's tier as the fit saw it (its --tiers table, else the study's rule)."""
    table = None
    if options.tier_table is not None:
        from l2csim.customers.crm import read_tier_table

        table = read_tier_table(
            options.tier_table, options.tier_id_column, options.tier_column, key="--tiers"
        )
    return case_tiers(events, study, table)


def _steps(
    events: pd.DataFrame, segment: pd.Series, position: pd.Series, excluded: set[str]
) -> tuple[np.ndarray, np.ndarray, list[tuple[str, str, str]]]:
    """Every routing step (segment, from, to) with its case, as `fit.routing` counts them."""
    kept = events.loc[~events[ACTIVITY].isin(sorted(excluded)), [CASE, ACTIVITY]]
    cases = kept[CASE].to_numpy()
    activities = kept[ACTIVITY].astype(str).to_numpy(dtype=object)
    if len(cases) == 0:
        return np.zeros(0, dtype=int), np.zeros(0, dtype=int), []
    first = np.r_[True, cases[1:] != cases[:-1]]
    last = np.r_[cases[1:] != cases[:-1], True]
    source = np.where(first, START_NODE, np.r_[[None], activities[:-1]])
    case = np.r_[cases, cases[last]]
    frame = pd.DataFrame(
        {
            "segment": segment.reindex(case).astype(str).to_numpy(),
            "from": np.r_[source, activities[last]].astype(str),
            "to": np.r_[activities, np.full(int(last.sum()), END_NODE, dtype=object)].astype(str),
        }
    )
    key = frame["segment"] + "\x1f" + frame["from"] + "\x1f" + frame["to"]
    codes, uniques = pd.factorize(key, sort=True)
    keys = [tuple(u.split("\x1f")) for u in uniques]
    where = position.reindex(case).fillna(len(position)).to_numpy(dtype=int)
    return where, np.asarray(codes), keys


def _most_frequent(activities: list[str], events: pd.DataFrame) -> str | None:
    present = events.loc[events[ACTIVITY].isin(activities), ACTIVITY]
    return None if present.empty else str(present.value_counts().sort_index().idxmax())


def _patience(
    chases: pd.DataFrame, table: pd.DataFrame, promise: pd.Series, end: pd.Timestamp
) -> tuple[tuple[np.ndarray, np.ndarray, np.ndarray, float], list[str]]:
    """Per case: hours from the promise to the first chase (ended) or to delivery / the log's
    end (censored), as `calls.patience_by_tier` measures them; and the tier codes."""
    first = chases.groupby(CASE, sort=True)[TIMESTAMP].min().reindex(table.index)
    stop = table["delivered"].fillna(end)
    ended = first.notna() & (first <= stop)
    until = first.where(ended, stop)
    hours = ((until - promise) / HOUR).to_numpy(dtype=float)
    codes, names = pd.factorize(table["tier"].astype(str), sort=True)
    return (hours, ended.to_numpy(), np.asarray(codes), _offset(hours)), [str(n) for n in names]


def _offset(hours: np.ndarray) -> float:
    """Where a wait's distribution starts, as `calls.censored_wait` sets it: the earliest
    wait when it is negative (a call before the promise), else 0."""
    finite = hours[np.isfinite(hours)]
    return min(0.0, float(finite.min())) if len(finite) else 0.0


def _repeat(
    chases: pd.DataFrame, table: pd.DataFrame, position: pd.Series, end: pd.Timestamp
) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """Per chase call: hours to the order's next call (ended) or to delivery (censored)."""
    ordered = chases.sort_values([CASE, TIMESTAMP], kind="stable")
    following = ordered.groupby(CASE, sort=False)[TIMESTAMP].shift(-1)
    stop = ordered[CASE].map(table["delivered"].fillna(end))
    ended = following.notna() & (following <= stop)
    until = following.where(ended, stop)
    hours = ((until - ordered[TIMESTAMP]) / HOUR).clip(lower=0).to_numpy(dtype=float)
    case = ordered[CASE].map(position).fillna(len(position)).to_numpy(dtype=int)
    return hours, ended.to_numpy(), case, 0.0


def _delay_evidence(
    events: pd.DataFrame,
    times: pd.DataFrame,
    params: ModelParams,
    event_case: np.ndarray,
    segment: np.ndarray,
    timezone: str,
) -> dict[str, tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]]:
    """Per step with a staff-free delay in the model: its occurrences (case), whether each
    waited, how long, and its segment — by the rule `fit.waiting` used for that step."""
    pools = {p.name: p for p in params.pools}
    activity = events[ACTIVITY].astype(str)
    enabled = times["enabled"]
    known = enabled.notna()
    since = ((events[TIMESTAMP] - enabled) / HOUR).clip(lower=0)
    before_work = ((times["began"].fillna(events[TIMESTAMP]) - enabled) / HOUR).clip(lower=0)
    out = {}
    for step in params.activities:
        if step.delay is None:
            continue
        rows = known & (activity == step.name)
        pool = pools.get(step.pool)
        if pool is not None and pool.external:
            values, waited = since, rows
        elif step.name in params.roles.waiting_steps:
            values, waited = before_work, rows
        elif pool is not None and pool.members:
            waited = _waited_while_idle(events, times, rows, pool, timezone) & rows
            values = before_work
        else:
            continue
        mask = rows.to_numpy()
        out[step.name] = (
            event_case[mask],
            waited.to_numpy()[mask],
            values.to_numpy(dtype=float)[mask],
            segment[mask],
        )
    return out


def _delay_estimates(
    case: np.ndarray,
    waited: np.ndarray,
    values: np.ndarray,
    segment: np.ndarray,
    weights: np.ndarray,
) -> tuple[tuple[float, float], dict[str, tuple[float, float]]]:
    """(share that waited, mean wait) overall and per segment under the weights."""
    w = weights[case]

    def estimate(mask: np.ndarray) -> tuple[float, float]:
        total = float(w[mask].sum())
        hits = mask & waited
        share = float(w[hits].sum()) / total if total > 0 else float("nan")
        return share, _mean(values[hits], w[hits])

    overall = estimate(np.ones(len(case), dtype=bool))
    by_segment = {str(s): estimate(segment == s) for s in sorted(set(segment.tolist()))}
    return overall, by_segment


def _km(
    hours: np.ndarray, ended: np.ndarray, weights: np.ndarray, offset: float
) -> tuple[float, float]:
    """Weighted Kaplan-Meier of a wait: (share ended within the longest wait seen to end,
    mean of the ended waits' distribution measured from `offset`); NaNs when none ended."""
    keep = np.isfinite(hours) & (weights > 0)
    h, e, w = hours[keep], ended[keep].astype(bool), weights[keep]
    if not e.any():
        return float("nan"), float("nan")
    order = np.argsort(h, kind="stable")
    h, e, w = h[order], e[order], w[order]
    times, start = np.unique(h, return_index=True)
    died = np.add.reduceat(w * e, start)
    left = np.add.reduceat(w, start)
    at_risk = w.sum() - np.concatenate([[0.0], np.cumsum(left)[:-1]])
    survival = np.cumprod(1.0 - died / at_risk)
    reached = 1.0 - survival
    upto = times <= h[e].max()
    share = float(reached[upto][-1])
    jumps = np.diff(np.concatenate([[0.0], reached]))
    mean = float((jumps[upto] * (times[upto] - offset)).sum() / share) if share > 0 else 0.0
    return share, mean


def _mean(values: np.ndarray, weights: np.ndarray) -> float:
    total = float(weights.sum())
    return float((values * weights).sum() / total) if total > 0 else float("nan")


def _ratio(boot: float | None, full: float | None, least: float = 0.0) -> float:
    """boot / full (at least `least`), or 1 where either is missing or the whole log's
    estimate is 0: a draw never invents what the whole log does not show."""
    if boot is None or full is None or not np.isfinite(boot) or not np.isfinite(full):
        return 1.0
    if full <= 0:
        return 1.0
    return max(float(boot / full), least)


def _change(boot: tuple[float, float], full: tuple[float, float]) -> Change:
    return Change(share=_ratio(boot[0], full[0]), scale=_ratio(boot[1], full[1], MIN_SCALE))


def _cv(values) -> float:
    data = np.asarray(values, dtype=float)
    mean = float(data.mean())
    return float(data.std(ddof=1) / mean) if mean else 0.0


def write_model_draws(
    log: EventLog,
    study: Study | None,
    params: ModelParams,
    model: Path,
    *,
    count: int = DEFAULT_DRAWS,
    seed: int = 0,
    options: FitOptions | None = None,
) -> Path | None:
    """Make and write the draws of the model just written to `model` (beside it, see
    `draws.draws_path`); with count 0 remove draws an earlier fit left there (they belong
    to another model) and write none."""
    target = draws_path(model)
    if count <= 0:
        target.unlink(missing_ok=True)
        return None
    bounded_int(count, "--draws", 1, MAX_DRAWS)
    draws = bootstrap_draws(
        log, study, params, sha256_file(model), count=count, seed=seed, options=options
    )
    return write_draws(draws, target)
