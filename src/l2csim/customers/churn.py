"""Churn: which customers have left, and how tier and experience change the chance of leaving.

**Label.** A customer is judged only with at least `min_orders` orders (else its rhythm is
unknown: not judged). It has churned when its silence since its last order is improbable
under its own rhythm — the overdue test of `reorders.py` (Student-t prediction of the next
gap) at `confidence`, and at least `k` of its cadences; otherwise it is censored (the log
ends before its silence says anything).

**Model.** Churn is decided at a delivery: after each delivered order the customer leaves
with a probability that is logistic in its tier and the order's experience (late, chase
calls, courtesy calls) — the simulation's own rule. A customer's order periods (from an
order's receipt to its next order) say when it could have left: every delivery in a period
the next order ended is a 0; the last period of a churned customer holds the deliveries one
of which decided it, so its likelihood is 1 - prod(1 - p) over them (a customer often has
several orders in flight when it leaves; counting the period as one order would make every
experience look harmful). Censoring is kept honest: the last period of a censored customer
is left out, and so is every period that began too late for a churn to be seen by the review
date (less than the customer's own judging silence before it); periods before the
customer's `min_orders`-th order are left out too (a customer who left earlier could not be
judged). The likelihood is maximised with statsmodels (GenericLikelihoodModel: standard
errors from the Hessian, 95 % Wald intervals); with one delivery a period it is the
ordinary logit. Tier comes first: key accounts get courtesy calls and rarely leave, so read
without tier a courtesy call would look like the cure. The experience effects stay a
hypothesis (associations within a tier, not proven causes; a likelihood-ratio test against
tier alone says how strong the evidence is); the model without them, each tier's own rate,
is written beside it. A tier with no churned customer gets the Jeffreys estimate of its rate
(0.5 churned in its deliveries at risk), a tier with no customer at risk (one-time buyers)
no churn, and a tier with fewer than `MIN_TIER_DELIVERIES` deliveries at risk (customers
who order a few times a year) the log's yearly chance of leaving for its customers with a
rhythm (`_borrowed_rates`: its own handful of deliveries would give it 11 % per order from
one churned customer, or 25 % from none in one delivery). The tiers with a rate of their own
are pooled as far as the log cannot tell them apart (`_pooled_rates`, empirical Bayes): two
churned customers are no evidence of a tier apart. An effect the data cannot estimate (too
few churned periods with it, no variation, or an estimate without precision) is 0 and said
so.
Schema: README, section "retention_model.json".
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
from scipy import optimize, special, stats

from l2csim.customers.reorders import gap_prediction, silence_confidence, silence_needed
from l2csim.study import ChurnSpec

SCHEMA = "l2csim/retention-model/2"
CHURNED, CENSORED, NOT_JUDGED = "churned", "censored", "not_judged"
FEATURES = {
    "late": "1 when the delivered order was late for its SLA deadline, else 0",
    "chase_calls": "chase calls on the delivered order",
    "courtesy_calls": "courtesy calls made on the delivered order",
}
# The customers analysis' feature names -> the simulation's experience variables.
SIM_NAMES = {
    "late": "late_orders",
    "chase_calls": "chase_calls",
    "courtesy_calls": "courtesy_calls",
}
MIN_EVENTS_WITH = 2  # churned customers whose deciding deliveries had the experience
MAX_STD_ERROR = 5.0  # log-odds: an effect less precise than this is not estimated
MIN_TIER_DELIVERIES = 100  # deliveries at risk for a tier's own churn rate (`_borrowed_rates`)
HYPOTHESIS = (
    "The experience effects are associations in this log within each tier (late orders, "
    "chase calls and courtesy calls before customers left), not proven causes; the "
    "simulation uses them as a stated hypothesis and counts churn without them beside it."
)
DAY = pd.Timedelta(days=1)
YEAR_DAYS = 365.25


def label_churn(profile: pd.DataFrame, spec: ChurnSpec) -> pd.DataFrame:
    """Per customer: `status` (churned / censored / not_judged), orders, cadence, silence
    and the silence that would make it churned (`silence_needed_days`), and the overdue
    test's `confidence`."""
    prediction = gap_prediction(profile, spec.min_orders)
    judged = profile.loc[prediction.index]
    needed = np.maximum(
        silence_needed(prediction, spec.confidence), spec.k * judged["cadence_days"]
    )
    table = pd.DataFrame(index=profile.index)
    table["orders"] = profile["orders"]
    table["cadence_days"] = profile["cadence_days"]
    table["silence_days"] = profile["recency_days"]
    table["silence_needed_days"] = needed.reindex(profile.index)
    table["confidence"] = silence_confidence(profile, prediction).reindex(profile.index)
    status = pd.Series(NOT_JUDGED, index=profile.index, dtype=object)
    status[prediction.index] = np.where(judged["recency_days"] >= needed, CHURNED, CENSORED)
    table["status"] = status
    return table


def churn_flags(labels: pd.DataFrame) -> pd.Series:
    """Churned (True), censored (False) or not judged (NA) per customer."""
    flags = (labels["status"] == CHURNED).astype("boolean")
    return flags.where(labels["status"] != NOT_JUDGED, pd.NA)


def label_counts(labels: pd.DataFrame) -> dict[str, int]:
    status = labels["status"]
    return {
        "customers": len(labels),
        "judged": int((status != NOT_JUDGED).sum()),
        "churned": int((status == CHURNED).sum()),
        "censored": int((status == CENSORED).sum()),
        "not_judged": int((status == NOT_JUDGED).sum()),
    }


def delivery_rows(
    orders: pd.DataFrame,
    labels: pd.DataFrame,
    as_of: pd.Timestamp,
    min_orders: int,
    until: pd.Timestamp | None = None,
) -> pd.DataFrame:
    """The model's rows: one per delivery at risk of a judged customer, with its tier,
    experience (late 0/1, chase_calls, courtesy_calls), its order period and `churned` (1 on
    every delivery of a churned customer's last period: one of them decided it).

    Deliveries count up to `until` (default `as_of`): what the review date can know.
    """
    judged = labels.index[labels["status"] != NOT_JUDGED]
    columns = ["customer", "tier", "received", "delivered", "late", "chase_calls"]
    o = orders.loc[orders["customer"].isin(judged), [*columns, "courtesy_calls"]].copy()
    o = o.sort_values(["customer", "received"], kind="stable").reset_index(drop=True)
    o["period"] = o.groupby("customer", sort=False).cumcount() + 1
    o["period_start"] = o["received"]
    until = as_of if until is None else until
    done = o.loc[o["delivered"].notna() & (o["delivered"] <= until)]
    done = done.drop(columns=["period", "period_start"]).sort_values("delivered", kind="stable")
    starts = o[["customer", "period_start", "period"]].sort_values("period_start", kind="stable")
    rows = pd.merge_asof(
        done,
        starts,
        left_on="delivered",
        right_on="period_start",
        by="customer",
        direction="backward",
    )
    rows["tier"] = rows["customer"].map(o.groupby("customer", sort=False)["tier"].first())
    rows["late"] = rows["late"].astype(float).fillna(0.0)
    if not orders["late"].notna().any():
        rows["late"] = np.nan  # no SLA: lateness unknown
    for name in ("chase_calls", "courtesy_calls"):
        rows[name] = rows[name].astype(float)
    last = rows["period"] == rows["customer"].map(labels["orders"])
    churned = rows["customer"].map(labels["status"]) == CHURNED
    age = (as_of - rows["period_start"]) / DAY
    seen = age >= rows["customer"].map(labels["silence_needed_days"])
    keep = (rows["period"] >= min_orders) & seen & (~last | churned)
    rows["churned"] = (last & churned).astype(int)
    rows = rows.loc[keep, ["customer", "tier", "period", "delivered", *FEATURES, "churned"]]
    return rows.sort_values(["customer", "delivered"], kind="stable").reset_index(drop=True)


def fit_retention(
    orders: pd.DataFrame,
    profile: pd.DataFrame | None,
    spec: ChurnSpec,
    as_of: pd.Timestamp,
    reason: str | None = None,
    until: pd.Timestamp | None = None,
    labels: pd.DataFrame | None = None,
) -> dict:
    """The retention model as a JSON-ready dict: fitted, each tier's rate when too few
    customers churned to fit more, the study's stated fallback, or off (with the reason)."""
    definition = {
        "rule": (
            f"at least {spec.min_orders} orders; churned when the silence since the last "
            f"order is longer than the customer's own rhythm makes {spec.confidence:.1%} "
            f"likely and at least {spec.k:g} cadences; else censored"
        ),
        "min_orders": spec.min_orders,
        "confidence": spec.confidence,
        "k_cadences": spec.k,
        "as_of": as_of.isoformat(),
    }
    if profile is None or reason is not None:
        return _off(definition, reason or "no customer data", {})
    labels = label_churn(profile, spec) if labels is None else labels
    rows = delivery_rows(orders, labels, as_of, spec.min_orders, until)
    first = orders["received"].min()
    years = max((as_of - first) / DAY, 1.0) / YEAR_DAYS
    label = definition | label_counts(labels) | {"period_years": round(years, 3)}
    events = int(rows.loc[rows["churned"] == 1, "customer"].nunique())
    label["churned_without_delivery"] = label["churned"] - events
    tiers = _tiers(orders, labels, rows, years)
    sample = {
        "deliveries": len(rows),
        "customers": int(rows["customer"].nunique()),
        "churned_customers": events,
    }
    if not len(rows):
        if spec.fallback is not None:
            return _study_fallback(spec, label, tiers, sample, "no customer could be judged")
        return _off(
            label,
            f"no customer has {spec.min_orders} orders (customers.churn.min_orders) early "
            "enough to judge whether it left: churn is not simulated",
            sample,
        )
    reason = None
    if events < spec.min_churned:
        reason = (
            f"only {events} churned customers at risk (customers.churn.min_churned is "
            f"{spec.min_churned}): too few to estimate experience effects"
        )
    tier_only = _fit(rows, tiers, [])
    if tier_only is None:
        reason = "the logistic fit failed even with tier alone"
    elif reason is None:
        fitted = _fit_effects(rows, tiers, tier_only)
        return _document("fitted", None, label, tiers, tier_only, fitted, sample, years, orders)
    if spec.fallback is not None:
        return _study_fallback(spec, label, tiers, sample, reason)
    if tier_only is None:
        return _off(label, f"{reason}: churn is not simulated", sample)
    return _document("tier_rates", reason, label, tiers, tier_only, None, sample, years, orders)


# --- tiers ----------------------------------------------------------------------------------


def _tiers(
    orders: pd.DataFrame, labels: pd.DataFrame, rows: pd.DataFrame, years: float
) -> dict[str, dict]:
    """Per tier of the log's customers: how many were judged, churned, censored; its
    deliveries at risk and churned customers; its rate of churn per delivery with a 95 %
    interval: its own (churned customers per delivery at risk, Jeffreys) with at least
    `MIN_TIER_DELIVERIES` deliveries at risk, else borrowed (`_borrowed_rates`)."""
    customer_tier = orders.dropna(subset=["customer"]).groupby("customer")["tier"].first()
    status = labels["status"].reindex(customer_tier.index)
    out = {}
    for tier in sorted(customer_tier.astype(str).unique()):
        mine = status[customer_tier == tier]
        at_risk = rows.loc[rows["tier"] == tier]
        n = len(at_risk)
        e = int(at_risk.loc[at_risk["churned"] == 1, "customer"].nunique())
        entry = {
            "customers": len(mine),
            "judged": int((mine != NOT_JUDGED).sum()),
            "churned": int((mine == CHURNED).sum()),
            "censored": int((mine == CENSORED).sum()),
            "not_judged": int((mine == NOT_JUDGED).sum()),
            "deliveries_at_risk": n,
            "churned_at_risk": e,
        }
        if n == 0:
            entry |= {
                "rate": None,
                "rate_ci_low": None,
                "rate_ci_high": None,
                "rate_source": None,
                "method": "no delivery at risk (customers order too rarely or too recently to "
                "judge): no churn simulated",
            }
        else:
            a, b = rate_posterior(e, n)
            low = 0.0 if e == 0 else float(stats.beta.ppf(0.025, a, b))
            high = float(stats.beta.ppf(0.975, a, b))
            rate = tier_rate(e, n)
            entry |= {
                "rate": _r(rate, 6),
                "rate_ci_low": _r(low, 6),
                "rate_ci_high": _r(high, 6),
                "rate_source": "own",
                "evidence": {"churned": e, "trials": float(n)},
                "method": (
                    "churned customers / deliveries at risk"
                    if e
                    else f"no churned customer in {n} deliveries: Jeffreys estimate 0.5 / "
                    f"({n} + 1), upper 95 % bound {high:.2%}"
                ),
            }
        out[tier] = entry
    orders_a_year = orders.dropna(subset=["customer"]).groupby("tier").size() / years
    return _pooled_rates(_borrowed_rates(out, rows, labels, orders_a_year))


def rate_posterior(
    churned: float,
    trials: float,
    prior_churned: float | None = None,
    prior_trials: float | None = None,
) -> tuple[float, float]:
    """The Beta(a, b) posterior of a churn rate per delivery: the rate's interval here and
    its draws in the fit's parameter sets (`fit.uncertainty`). The prior is Jeffreys' (half
    a churned customer in one trial) unless the tiers were pooled (`_pooled_rates`): then
    the pooled rate with the weight of `prior_trials` deliveries."""
    if prior_churned is None or prior_trials is None:
        prior_churned, prior_trials = 0.5, 1.0
    return churned + prior_churned, max(trials - churned, 0.0) + prior_trials - prior_churned


def tier_rate(
    churned: float,
    trials: float,
    prior_churned: float | None = None,
    prior_trials: float | None = None,
) -> float:
    """A tier's churn rate per delivery: with a pooling prior the posterior mean; else
    churned customers over trials, or with none churned the Jeffreys estimate
    0.5 / (trials + 1) (the posterior mean), never 0."""
    if prior_churned is not None and prior_trials is not None:
        return (churned + prior_churned) / (trials + prior_trials)
    return churned / trials if churned else 0.5 / (trials + 1)


def _pooled_rates(tiers: dict[str, dict]) -> dict[str, dict]:
    """The tiers' own rates partially pooled (empirical Bayes). A tier's rate rests on its
    churned customers, often two or three: 2 in 79 deliveries reads 2.5 % per order where
    the log cannot tell that tier from one with 0 in 172. So each tier's rate is taken as a
    draw around the pooled rate (churned customers over deliveries at risk of every tier
    with a rate of its own), from a Beta prior whose weight (in deliveries) is the one that
    makes the tiers' counts most likely (the beta-binomial marginal likelihood). Tiers whose
    counts differ beyond chance keep most of their own rate; tiers the log cannot tell apart
    come near the pooled one. The weight is at most the pooled deliveries: the prior cannot
    know the pooled rate better than the deliveries it comes from. Needs two such tiers and
    a churned customer among them."""
    own = {t: e for t, e in tiers.items() if e.get("rate_source") == "own"}
    churned = sum(e["churned_at_risk"] for e in own.values())
    trials = sum(e["deliveries_at_risk"] for e in own.values())
    if len(own) < 2 or churned == 0:
        return tiers
    mean = churned / trials
    counts = [(e["churned_at_risk"], e["deliveries_at_risk"]) for e in own.values()]
    weight = _pooling_weight(counts, mean, trials)
    for entry in own.values():
        e, n = entry["churned_at_risk"], entry["deliveries_at_risk"]
        a, b = rate_posterior(e, n, weight * mean, weight)
        entry |= {
            "rate": _r(a / (a + b), 6),
            "rate_ci_low": _r(float(stats.beta.ppf(0.025, a, b)), 6),
            "rate_ci_high": _r(float(stats.beta.ppf(0.975, a, b)), 6),
            "evidence": {
                "churned": e,
                "trials": float(n),
                "prior_churned": _r(weight * mean, 6),
                "prior_trials": _r(weight, 3),
            },
            "method": (
                f"{e} churned customer{'' if e == 1 else 's'} in {n} deliveries at risk "
                f"({e / n:.2%}), pooled "
                f"with the tiers' {mean:.2%} (empirical Bayes: the pooled rate weighs as "
                f"{weight:.0f} deliveries, the weight under which the tiers' counts are "
                "likeliest)"
            ),
        }
    return tiers


def _pooling_weight(counts: list[tuple[int, int]], mean: float, most: float) -> float:
    """The Beta prior's weight (in deliveries, 1 … `most`) around `mean` that maximises the
    beta-binomial likelihood of the tiers' (churned, trials): searched on a log grid, so the
    same counts always give the same weight."""
    churned = np.array([c for c, _ in counts], dtype=float)
    trials = np.array([n for _, n in counts], dtype=float)
    weights = np.geomspace(1.0, max(most, 1.0), 241)
    a, b = weights[:, None] * mean, weights[:, None] * (1 - mean)
    likelihood = (special.betaln(churned + a, trials - churned + b) - special.betaln(a, b)).sum(
        axis=1
    )
    return float(weights[int(np.argmax(likelihood))])


def _borrowed_rates(
    tiers: dict[str, dict], rows: pd.DataFrame, labels: pd.DataFrame, orders_a_year: pd.Series
) -> dict[str, dict]:
    """Tiers with fewer than `MIN_TIER_DELIVERIES` deliveries at risk borrow the others'
    chance of leaving a year. Such a tier's customers order rarely (occasional buyers,
    one-time buyers): a one-year log sees few of their periods end, and one churned customer
    more or less moves its own rate by whole percents (1 in 9 deliveries: 11 %, applied to
    every order of the tier). A customer's chance of leaving a year is taken not to depend
    on how often it orders: the pooled hazard (churned customers at risk over the years at
    risk, a delivery's period counted as its customer's cadence) for the tier's customers
    with a rhythm (judged), spread over all its orders; one-time buyers, never judged, do not
    leave. When no tier with enough deliveries has a churned customer, the tier with the most
    churned customers keeps its own rate (the fit needs one)."""
    sized = {t: e for t, e in tiers.items() if e["deliveries_at_risk"]}
    if not sized:
        return tiers
    own = {t for t, e in sized.items() if e["deliveries_at_risk"] >= MIN_TIER_DELIVERIES}
    if own == set(sized):
        return tiers
    if not any(sized[t]["churned_at_risk"] for t in own):  # the fit needs one churned
        own.add(
            max(
                sized,
                key=lambda t: (sized[t]["churned_at_risk"], sized[t]["deliveries_at_risk"], t),
            )
        )
    cadence_years = rows["customer"].map(labels["cadence_days"]).astype(float) / YEAR_DAYS
    exposure = float(cadence_years.fillna(0.0).sum())
    churned = sum(e["churned_at_risk"] for e in sized.values())
    if exposure <= 0:
        return tiers
    hazard = churned / exposure
    low = float(stats.chi2.ppf(0.025, 2 * churned) / 2) / exposure if churned else 0.0
    high = float(stats.chi2.ppf(0.975, 2 * churned + 2) / 2) / exposure
    for tier in sorted(set(sized) - own):
        entry = tiers[tier]
        per_year = float(orders_a_year.get(tier, 0.0))
        share = entry["judged"] / per_year if per_year > 0 else 0.0
        entry |= {
            "rate": _r(min(hazard * share, 1.0), 6),
            "rate_ci_low": _r(min(low * share, 1.0), 6),
            "rate_ci_high": _r(min(high * share, 1.0), 6),
            "rate_source": "borrowed",
            # the pooled churned customers over the exposure, in the tier's orders
            "evidence": {"churned": churned, "trials": _r(exposure / share, 3)}
            if share > 0
            else None,
            "method": (
                f"only {entry['deliveries_at_risk']} deliveries at risk "
                f"({MIN_TIER_DELIVERIES} needed for a rate of its own): the log's "
                f"{hazard:.1%} of customers leaving a year (all tiers, {churned} churned in "
                f"{exposure:.0f} customer-years at risk) for its {entry['judged']} customers "
                f"with a rhythm, over its {per_year:.0f} orders a year"
            ),
        }
    return tiers


def _reference(tiers: dict[str, dict]) -> str:
    """The tier the intercept belongs to: most churned customers, then most deliveries."""
    judged = [t for t, e in tiers.items() if e.get("rate_source") == "own"]
    return min(
        judged,
        key=lambda t: (-tiers[t]["churned_at_risk"], -tiers[t]["deliveries_at_risk"], t),
    )


# --- the likelihood -----------------------------------------------------------------------------


def _delivery_model(rows: pd.DataFrame, design: pd.DataFrame):
    """statsmodels' generic maximum-likelihood model of churn decided at deliveries."""
    from statsmodels.base.model import GenericLikelihoodModel
    from statsmodels.tools.numdiff import approx_fprime

    y = rows["churned"].to_numpy(dtype=int)
    codes = pd.factorize(rows["customer"].where(y == 1))[0]  # -1 on deliveries followed by more

    class DeliveryChurn(GenericLikelihoodModel):
        """log L = sum log(1 - p) over deliveries the next order followed, plus
        log(1 - prod(1 - p)) over each churned customer's deciding deliveries."""

        def _parts(self, params):
            z = self.exog @ params
            log_stay = -np.logaddexp(0.0, z)  # log(1 - p)
            p = special.expit(z)
            return log_stay, p

        def loglike(self, params):
            log_stay, _ = self._parts(params)
            churned = codes >= 0
            stayed = log_stay[~churned].sum()
            groups = np.bincount(codes[churned], weights=log_stay[churned])
            return float(stayed + np.log(-np.expm1(np.minimum(groups, -1e-300))).sum())

        def score(self, params):
            log_stay, p = self._parts(params)
            churned = codes >= 0
            grad = -(p[~churned, None] * self.exog[~churned]).sum(axis=0)
            groups = np.bincount(codes[churned], weights=log_stay[churned])
            ratio = np.exp(groups) / -np.expm1(np.minimum(groups, -1e-300))  # P(stay)/P(leave)
            weight = ratio[codes[churned]] * p[churned]
            return grad + (weight[:, None] * self.exog[churned]).sum(axis=0)

        def hessian(self, params):
            return approx_fprime(params, self.score, centered=True)

    return DeliveryChurn(y.astype(float), design)


def _design(rows: pd.DataFrame, tiers: list[str], features: list[str]) -> pd.DataFrame:
    design = pd.DataFrame({"const": 1.0}, index=rows.index)
    for tier in tiers:
        design[_dummy(tier)] = (rows["tier"] == tier).astype(float)
    for name in features:
        design[name] = rows[name].astype(float)
    return design


def _fit(rows: pd.DataFrame, tiers: dict[str, dict], features: list[str]) -> dict | None:
    """Maximum likelihood with tier offsets (tiers with a churned customer against the
    reference tier) and `features`; None when it does not converge to finite estimates."""
    reference = _reference(tiers)
    fitted_tiers = _fitted_tiers(tiers, reference)
    usable = rows.loc[rows["tier"].isin([reference, *fitted_tiers])]
    design = _design(usable, fitted_tiers, features)
    base = tiers[reference]["rate"]
    start = np.zeros(design.shape[1])
    start[0] = _logit(base)
    for i, tier in enumerate(fitted_tiers, start=1):
        start[i] = _logit(tiers[tier]["rate"]) - start[0]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            result = _delivery_model(usable, design).fit(
                start_params=start, method="bfgs", maxiter=1000, gtol=1e-8, disp=0
            )
        except (np.linalg.LinAlgError, ValueError):
            return None
    se = np.asarray(result.bse, dtype=float)
    if not (np.all(np.isfinite(result.params)) and result.mle_retvals.get("converged", False)):
        return None
    tier_se = se[: 1 + len(fitted_tiers)]
    if not np.all(np.isfinite(tier_se)) or (tier_se > 2 * MAX_STD_ERROR).any():
        return None
    names = list(design.columns)
    ci = np.asarray(result.conf_int(0.05), dtype=float)
    pvalues = np.asarray(result.pvalues, dtype=float)
    coefficients = {
        name: {
            "estimate": _r(result.params[i]),
            "ci_low": _r(ci[i, 0]),
            "ci_high": _r(ci[i, 1]),
            "std_error": _r(se[i]),
            "p_value": _sig(pvalues[i]),
        }
        for i, name in enumerate(names)
    }
    const = coefficients["const"]["estimate"]
    betas = {n: coefficients[n]["estimate"] if n in features else 0.0 for n in FEATURES}
    offsets = {t: coefficients[_dummy(t)] for t in fitted_tiers}
    if _is_pooled(tiers[reference]):
        # The fitted tier terms are each tier's own rate; the simulation gets the pooled
        # ones, at the fitted experience effects.
        const = _r(_matching_offset(rows[rows["tier"] == reference], 0.0, betas, tiers[reference]))
        coefficients["const"] |= {"pooled": const}
        for tier in fitted_tiers:
            own = rows[rows["tier"] == tier]
            offsets[tier] = offsets[tier] | {
                "pooled": _r(_matching_offset(own, const, betas, tiers[tier]))
            }
    for tier, entry in tiers.items():
        if entry["deliveries_at_risk"] and tier != reference and tier not in fitted_tiers:
            why = (
                "too few deliveries at risk: the offset that gives the tier its borrowed rate"
                if entry["rate_source"] != "own"
                else "no churned customer: the offset that gives the tier its pooled rate"
                if _is_pooled(entry)
                else "no churned customer: the offset that gives the tier its Jeffreys rate"
            )
            offsets[tier] = {
                "estimate": _r(_matching_offset(rows[rows["tier"] == tier], const, betas, entry)),
                "ci_low": None,
                "ci_high": None,
                "note": why,
            }
    return {
        "reference_tier": reference,
        "intercept": const,
        "const": coefficients["const"],
        "tier_offsets": offsets,
        "effects": {n: coefficients[n] for n in features},
        "log_likelihood": float(result.llf),
        "deliveries": len(usable),
        "converged": True,
    }


def _fit_effects(rows: pd.DataFrame, tiers: dict[str, dict], tier_only: dict) -> dict:
    """Tier offsets and the experience effects the data can estimate (the others 0, said
    why), with a likelihood-ratio test of the experience effects against tier alone."""
    reference = tier_only["reference_tier"]
    fitted_tiers = _fitted_tiers(tiers, reference)
    usable = rows.loc[rows["tier"].isin([reference, *fitted_tiers])]
    decided = usable["churned"] == 1
    notes: dict[str, dict] = {}
    candidates = []
    for name in FEATURES:
        x = usable[name]
        with_it = x > 0
        churned_with = int(usable.loc[with_it & decided, "customer"].nunique())
        churned_without = int(usable.loc[decided, "customer"].nunique()) - churned_with
        entry = {
            "deliveries_with": int(with_it.sum()),
            "deliveries_without": int((~with_it).sum()),
            "churned_with": churned_with,
            "churned_without": churned_without,
        }
        if x.isna().all():
            entry["note"] = "not in the log (no SLA, so no order is judged late)"
        elif x.nunique() < 2:
            entry["note"] = "no variation in the deliveries at risk"
        elif churned_with < MIN_EVENTS_WITH:
            entry["note"] = (
                f"only {churned_with} churned customer(s) had it on a deciding delivery "
                f"(at least {MIN_EVENTS_WITH} needed)"
            )
        elif churned_without < 1:
            entry["note"] = "every churned customer had it: its effect has no upper bound"
        else:
            candidates.append(name)
        notes[name] = entry
    while True:
        fitted = _fit(rows, tiers, candidates)
        if fitted is None:
            if not candidates:
                fitted = tier_only
                break
            notes[candidates.pop()]["note"] = "the fit did not converge with it"
            continue
        imprecise = [
            n for n in candidates if not (fitted["effects"][n]["std_error"] <= MAX_STD_ERROR)
        ]
        if not imprecise:
            break
        worst = max(imprecise, key=lambda n: np.nan_to_num(fitted["effects"][n]["std_error"],
                                                           nan=np.inf))  # fmt: skip
        candidates.remove(worst)
        notes[worst]["note"] = (
            f"no precision (standard error {fitted['effects'][worst]['std_error']:.1f} "
            "log-odds): the data cannot tell its size"
        )
    effects = {}
    for name in FEATURES:
        if name in candidates:
            effects[name] = fitted["effects"][name] | {"status": "estimated"} | notes[name]
        else:
            effects[name] = {
                "estimate": 0.0,
                "ci_low": None,
                "ci_high": None,
                "std_error": None,
                "p_value": None,
                "status": "not_estimable",
            } | notes[name]
    lr = 2 * (fitted["log_likelihood"] - tier_only["log_likelihood"])
    fitted = fitted | {
        "effects": effects,
        "test": {
            "hypothesis": "the experience effects are all 0 (tier alone)",
            "likelihood_ratio": _r(max(lr, 0.0)),
            "df": len(candidates),
            "p_value": _sig(float(stats.chi2.sf(max(lr, 0.0), len(candidates))))
            if candidates
            else None,
        },
    }
    return fitted


def _fitted_tiers(tiers: dict[str, dict], reference: str) -> list[str]:
    """The tiers whose offset against the reference is estimated: a rate of their own and
    a churned customer at risk."""
    return [
        t
        for t, e in tiers.items()
        if e["churned_at_risk"] and e.get("rate_source") == "own" and t != reference
    ]


def _simulated(offset: dict) -> float:
    """The offset the simulation uses: the pooled one where the tiers were pooled."""
    return offset.get("pooled", offset["estimate"])


def _is_pooled(tier: dict) -> bool:
    return "prior_trials" in (tier.get("evidence") or {})


def _dummy(tier: str) -> str:
    return f"tier[{tier}]"


def _matching_offset(rows: pd.DataFrame, const: float, betas: dict, tier: dict) -> float:
    """The offset whose mean predicted rate over the tier's deliveries is its rate (Jeffreys,
    or borrowed)."""
    z = const + sum(betas[n] * rows[n].fillna(0.0).to_numpy() for n in FEATURES)
    target = tier["rate"]

    def gap(offset: float) -> float:
        return float(np.mean(1 / (1 + np.exp(-(z + offset))))) - target

    return float(optimize.brentq(gap, -40.0, 40.0))


# --- the document -----------------------------------------------------------------------------


def _document(
    source: str,
    reason: str | None,
    label: dict,
    tiers: dict[str, dict],
    tier_only: dict,
    fitted: dict | None,
    sample: dict,
    years: float,
    orders: pd.DataFrame,
) -> dict:
    churn_tiers = sorted(t for t, e in tiers.items() if e["deliveries_at_risk"])
    reference = tier_only["reference_tier"]
    model = fitted or tier_only
    if fitted is None:
        effects = {
            name: {
                "estimate": 0.0,
                "ci_low": None,
                "ci_high": None,
                "status": "not_estimable",
                "note": reason or "",
            }
            for name in FEATURES
        }
    else:
        effects = fitted["effects"]
    for tier, entry in tiers.items():
        entry["offset"] = model["tier_offsets"].get(tier) if tier != reference else None
        entry["offset_tier_only"] = (
            _simulated(tier_only["tier_offsets"][tier])
            if tier in tier_only["tier_offsets"]
            else None
        )
    simulation = {
        "enabled": True,
        "intercept": model["intercept"],
        "tier_offsets": {t: _simulated(o) for t, o in sorted(model["tier_offsets"].items())},
        "churn_tiers": churn_tiers,
        "effects": {SIM_NAMES[n]: effects[n]["estimate"] for n in FEATURES},
        # What each tier's rate rests on, for the fit's parameter draws (l2csim.draws).
        "tier_evidence": {t: tiers[t]["evidence"] for t in churn_tiers if tiers[t].get("evidence")},
        "tier_only": {
            "intercept": tier_only["intercept"],
            "tier_offsets": {
                t: _simulated(o) for t, o in sorted(tier_only["tier_offsets"].items())
            },
        },
    }
    per_year = orders.dropna(subset=["customer"]).groupby("tier").size() / years
    expected = {
        t: _r(float(per_year.get(t, 0.0)) * e["rate"], 2)
        for t, e in tiers.items()
        if e["deliveries_at_risk"]
    }
    return {
        "schema": SCHEMA,
        "source": source,
        "reason": reason,
        "label": label,
        "link": "logit",
        "unit": "delivered order",
        "hypothesis": HYPOTHESIS,
        "features": dict(FEATURES),
        "reference_tier": reference,
        "coefficients": {"const": model["const"], **effects},
        "tiers": tiers,
        "churn_per_year": {
            "labelled": _r(label["churned"] / years, 2),
            "expected_by_tier": expected,
            "expected": _r(sum(expected.values()), 2),
        },
        "simulation": simulation,
        "sample": sample,
        "fit": {
            "method": "statsmodels GenericLikelihoodModel (BFGS), churn decided at deliveries",
            "deliveries": model["deliveries"],
            "log_likelihood": round(model["log_likelihood"], 3),
            "log_likelihood_tier_only": round(tier_only["log_likelihood"], 3),
            "experience_test": fitted["test"] if fitted else None,
        },
    }


def _study_fallback(
    spec: ChurnSpec, label: dict, tiers: dict[str, dict], sample: dict, reason: str
) -> dict:
    fallback = spec.fallback or {}
    churn_tiers = sorted(t for t, e in tiers.items() if e["judged"])
    coefficients = {
        "const": {"estimate": float(fallback["const"]), "status": "assumed"},
        **{
            name: {
                "estimate": float(fallback.get(name, 0.0)),
                "ci_low": None,
                "ci_high": None,
                "status": "assumed",
                "note": "customers.churn.fallback in the study file",
            }
            for name in FEATURES
        },
    }
    return {
        "schema": SCHEMA,
        "source": "study_fallback",
        "reason": f"{reason}; the study file's customers.churn.fallback is used (an assumption)",
        "label": label,
        "link": "logit",
        "hypothesis": HYPOTHESIS,
        "features": dict(FEATURES),
        "reference_tier": None,
        "coefficients": coefficients,
        "tiers": tiers,
        "churn_per_year": None,
        "simulation": {
            "enabled": True,
            "intercept": float(fallback["const"]),
            "tier_offsets": {},
            "churn_tiers": churn_tiers or None,
            "effects": {SIM_NAMES[n]: float(fallback.get(n, 0.0)) for n in FEATURES},
            "tier_only": None,
        },
        "sample": sample,
        "fit": None,
    }


def _off(label: dict, reason: str, sample: dict) -> dict:
    return {
        "schema": SCHEMA,
        "source": "off",
        "reason": reason,
        "label": label,
        "link": "logit",
        "hypothesis": None,
        "features": dict(FEATURES),
        "reference_tier": None,
        "coefficients": {},
        "tiers": {},
        "churn_per_year": None,
        "simulation": {"enabled": False},
        "sample": sample,
        "fit": None,
    }


# --- using the model --------------------------------------------------------------------------


def churn_probability(model: dict, experience: pd.DataFrame, tier: pd.Series | None = None):
    """Per-row churn probability after an order under `model` (its `simulation` block), for
    rows of experience features (late, chase_calls, courtesy_calls) and their tier."""
    sim = model.get("simulation") or {}
    if not sim.get("enabled"):
        return pd.Series(0.0, index=experience.index)
    tiers = tier if tier is not None else pd.Series("", index=experience.index)
    logit = sim["intercept"] + tiers.map(sim.get("tier_offsets") or {}).fillna(0.0)
    for name, sim_name in SIM_NAMES.items():
        if name in experience:
            logit = logit + sim["effects"].get(sim_name, 0.0) * experience[name].fillna(0.0)
    p = 1 / (1 + np.exp(-logit.astype(float)))
    allowed = sim.get("churn_tiers")
    if allowed is not None and tier is not None:
        p = p.where(tiers.isin(allowed), 0.0)
    return p


def _logit(p: float) -> float:
    return math.log(p / (1 - p))


def _r(value: float, digits: int = 4) -> float:
    return round(float(value), digits)


def _sig(value: float) -> float:
    """A p-value to three significant digits (small ones stay visible)."""
    return float(f"{float(value):.3g}")
