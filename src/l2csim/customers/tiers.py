"""Customer tiers from profiles: a transparent weighted score, or clustering, plus 'one-time'.

Method (documented in README, configured under `customers.tiers`):
1. Customers with a single order in the period form the one-time tier, and so do
   placeholder customers: an id whose name is generic ('Cash customer', 'Walk-in buyer',
   'Barverkauf') stands for many buyers, not one valued account, however many orders it has.
2. For the others, each feature is transformed (revenue and order count: log(1 + x);
   regularity: minus the coefficient of variation of the days between orders; recency:
   minus log(1 + days since the last order); breadth, growth, tenure as they are) and
   standardised to z-scores over these customers. Missing values (e.g. regularity with one
   gap) count as average (z = 0); a feature with no spread is left out.
3. score = sum(weight * z) / sum(weight).
4. `method: score` cuts the score at the `cutoffs` quantiles (e.g. [0.9, 0.65]: the top
   10 % are tier 1, the next 25 % tier 2, ...) or, without cutoffs, at natural breaks found
   by k-means on the score alone. `method: kmeans` clusters the weighted z-scores; clusters
   are ranked by their mean score. Labels are given top tier first.
Stability: every weight in turn is moved -20 % and +20 % and the share of customers that
keep their tier is reported.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.cluster import KMeans

from l2csim.study import TierSpec

WEIGHT_STEPS = (0.8, 1.2)
FIT_POINTS = 20_000  # k-means is fitted on at most this many customers, then predicts all


@dataclass(frozen=True)
class Tiering:
    """Tier per customer, the score and z-scores behind it, and what the method used."""

    tier: pd.Series
    score: pd.Series
    z: pd.DataFrame
    weights: dict[str, float]
    notes: tuple[str, ...] = ()
    placeholders: tuple[str, ...] = ()


def feature_matrix(profile: pd.DataFrame) -> pd.DataFrame:
    """The tiering features of each customer, transformed so that higher means 'more valued'."""
    return pd.DataFrame(
        {
            "revenue": np.log1p(profile["revenue"].clip(lower=0)),
            "orders": np.log1p(profile["orders"]),
            "breadth": profile["breadth"].astype(float),
            "regularity": -profile["cadence_cv"],
            "recency": -np.log1p(profile["recency_days"].clip(lower=0)),
            "growth": profile["growth"],
            "tenure": profile["tenure_days"],
        },
        index=profile.index,
    )


def standardise(features: pd.DataFrame) -> pd.DataFrame:
    """z-scores per column; missing values become 0 (average); columns without spread drop."""
    sd = features.std(ddof=0)
    usable = sd.index[(sd > 0) & sd.notna()]
    z = (features[usable] - features[usable].mean()) / sd[usable]
    return z.fillna(0.0)


def assign_tiers(
    profile: pd.DataFrame, spec: TierSpec, placeholders: pd.Index | None = None
) -> Tiering:
    """Tier every customer of `profile` by the method of `spec` (see the module docstring).

    `placeholders`: ids standing for many buyers (generic names); they are one-time.
    """
    held = profile.index.intersection(placeholders) if placeholders is not None else None
    repeat = profile.index[profile["orders"] >= 2]
    if held is not None and len(held):
        repeat = repeat.difference(held, sort=False)
    z = standardise(feature_matrix(profile.loc[repeat]))
    weights = {k: float(w) for k, w in spec.weights.items() if w > 0 and k in z}
    notes = []
    dropped = sorted(k for k, w in spec.weights.items() if w > 0 and k not in z)
    if dropped:
        notes.append(
            f"tier feature(s) {', '.join(dropped)} left out: missing or without spread in the log"
        )
    if not weights:  # nothing to score on: order count decides
        weights = {"orders": 1.0} if "orders" in z else {}
    tier = pd.Series(spec.one_time, index=profile.index, dtype=object, name="tier")
    score = pd.Series(np.nan, index=profile.index, name="score")
    if weights and len(repeat):
        repeat_score = _score(z, weights)
        score.loc[repeat] = repeat_score
        tier.loc[repeat] = _cut(z, repeat_score, weights, spec)
    kept = tuple(sorted(map(str, held))) if held is not None else ()
    if kept:
        orders = int(profile.loc[list(held), "orders"].sum())
        notes.append(
            f"{len(kept)} placeholder customer id(s) with a generic name ({orders} orders, "
            f"e.g. {kept[0]}) put in {spec.one_time}: they stand for many buyers"
        )
    return Tiering(
        tier=tier, score=score, z=z, weights=weights, notes=tuple(notes), placeholders=kept
    )


def _score(z: pd.DataFrame, weights: dict[str, float]) -> pd.Series:
    names = list(weights)
    w = np.array([weights[n] for n in names])
    return pd.Series(z[names].to_numpy() @ w / w.sum(), index=z.index)


def _cut(z: pd.DataFrame, score: pd.Series, weights: dict[str, float], spec: TierSpec):
    labels = spec.labels
    n = len(labels)
    if len(score) <= n:  # too few to cluster: rank them
        rank = score.rank(ascending=False, method="first").astype(int) - 1
        return np.asarray(labels, dtype=object)[rank.clip(upper=n - 1).to_numpy()]
    if spec.method == "kmeans":
        names = list(weights)
        points = z[names].to_numpy() * np.sqrt([weights[k] for k in names])
        return _rank_clusters(points, score, labels)
    if spec.cutoffs:
        bounds = np.quantile(score.to_numpy(), spec.cutoffs)
        position = (score.to_numpy()[:, None] < bounds[None, :]).sum(axis=1)
        tiers = list(labels[: len(spec.cutoffs) + 1])
        return np.asarray(tiers, dtype=object)[position]
    return _rank_clusters(score.to_numpy()[:, None], score, labels)


def _rank_clusters(points: np.ndarray, score: pd.Series, labels: list[str]) -> np.ndarray:
    """k-means clusters named by label, the cluster with the highest mean score first."""
    k = min(len(labels), len(np.unique(points, axis=0)))
    fit_on = points
    if len(points) > FIT_POINTS:  # fit on an even spread of the customers sorted by score
        ranked = np.argsort(score.to_numpy(), kind="stable")
        fit_on = points[ranked[np.linspace(0, len(points) - 1, FIT_POINTS).astype(int)]]
    model = KMeans(n_clusters=k, n_init=4, random_state=0).fit(fit_on)
    assigned = model.predict(points)
    means = pd.Series(score.to_numpy()).groupby(assigned).mean()
    order = means.sort_values(ascending=False, kind="stable").index
    name = np.empty(k, dtype=object)
    for i, cluster in enumerate(order):
        name[cluster] = labels[i]
    return name[assigned]


def weight_stability(profile: pd.DataFrame, spec: TierSpec, base: Tiering) -> pd.DataFrame:
    """Share of customers keeping their tier when each weight in turn moves -20 % and +20 %."""
    rows = []
    for feature in sorted(base.weights):
        for step in WEIGHT_STEPS:
            weights = dict(spec.weights) | {feature: spec.weights[feature] * step}
            moved = assign_tiers(
                profile,
                spec.model_copy(update={"weights": weights}),
                pd.Index(base.placeholders),
            )
            same = moved.tier.eq(base.tier)
            repeat = profile["orders"] >= 2
            rows.append(
                {
                    "feature": feature,
                    "weight_factor": step,
                    "customers_kept": round(float(same[repeat].mean()), 4) if repeat.any() else 1.0,
                    "customers_moved": int((~same).sum()),
                }
            )
    return pd.DataFrame(
        rows, columns=["feature", "weight_factor", "customers_kept", "customers_moved"]
    )


def tier_summary(
    profile: pd.DataFrame, tiering: Tiering, labels: list[str], one_time: str
) -> pd.DataFrame:
    """One row per tier: size, revenue share, median profile and what sets it apart (z-scores)."""
    order = [*labels, one_time]
    tiers = tiering.tier
    z = tiering.z.reindex(profile.index)
    revenue_total = profile["revenue"].sum()
    rows = []
    for label in order:
        members = tiers.index[tiers == label]
        if not len(members):
            continue
        part = profile.loc[members]
        zmean = z.loc[members].mean()
        if label == one_time:
            explained = "a single order in the period"
        else:
            top = zmean.dropna().reindex(zmean.abs().sort_values(ascending=False).index).head(3)
            explained = ", ".join(f"{name} {value:+.1f} sd" for name, value in top.items())
        revenue = part["revenue"].sum()
        rows.append(
            {
                "tier": label,
                "customers": len(members),
                "orders": int(part["orders"].sum()),
                "revenue": round(float(revenue), 2),
                "revenue_share": round(float(revenue / revenue_total), 4)
                if revenue_total
                else np.nan,
                "median_orders": float(part["orders"].median()),
                "median_revenue": _median(part["revenue"], 2),
                "median_cadence_days": _median(part["cadence_days"], 1),
                "median_recency_days": _median(part["recency_days"], 1),
                "median_breadth": float(part["breadth"].median()),
                "set_apart_by": explained,
            }
        )
    return pd.DataFrame(rows)


def _median(values: pd.Series, digits: int) -> float:
    present = values.dropna()
    return round(float(present.median()), digits) if len(present) else np.nan
