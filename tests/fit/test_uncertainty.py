"""The fit's own uncertainty: parameter draws by a bootstrap over the sample's orders, the
draws file, and what they do to the simulation's intervals (wider, still paired)."""

from __future__ import annotations

import json
import warnings
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import special, stats

from l2csim.confidence import estimate
from l2csim.draws import (
    ModelDraws,
    ParameterSet,
    apply_draw,
    draws_for,
    draws_path,
    load_draws,
    write_draws,
)
from l2csim.errors import InputError, L2csimWarning
from l2csim.fit import FitOptions
from l2csim.fit.uncertainty import bootstrap_draws, churn_shifts, write_model_draws
from l2csim.inputs import read_inputs_log, resolve_inputs
from l2csim.log import CASE, TIMESTAMP, EventLog
from l2csim.output import sha256_file
from l2csim.params import (
    ChurnEvidence,
    ModelParams,
    RetentionEffect,
    RetentionTierOnly,
    load_params,
)
from l2csim.settings import RunSettings
from l2csim.sim.replications import kpi_frame, run_replications
from l2csim.sim.retention import churn_probability
from l2csim.sim.run import prepare_run
from study_copy import REPO, sample_study

TIERS = REPO / "event_logs" / "sample_crm_tiers.csv"


@pytest.fixture(scope="module")
def study(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample study with its fitted model and 20 draws beside it (seed 0)."""
    scenarios = sample_study(tmp_path_factory.mktemp("uncertainty"))
    model = scenarios.parent / "outputs" / "fit" / "model.json"
    inputs = resolve_inputs(scenarios / "study.yaml")
    write_model_draws(
        read_inputs_log(inputs),
        inputs.study,
        load_params(model),
        model,
        count=20,
        seed=0,
        options=FitOptions(tier_table=TIERS),
    )
    return scenarios


@pytest.fixture(scope="module")
def model(study: Path) -> Path:
    return study.parent / "outputs" / "fit" / "model.json"


def overall(kpis: pd.DataFrame, kpi: str) -> np.ndarray:
    rows = kpis[(kpis["kpi"] == kpi) & (kpis["tier"] == "") & (kpis["segment"] == "")]
    return rows[rows["pool"] == ""].sort_values("replication")["value"].to_numpy(dtype=float)


def test_draws_are_deterministic_and_differ(model: Path, tmp_path: Path) -> None:
    """Same seed: the same bytes; the sets differ from each other and from another seed's,
    in every part that varies, by about what a bootstrap of ~4,000 orders allows."""
    draws = load_draws(draws_path(model))
    params = load_params(model)
    assert draws.count == len(draws.sets) == 20
    assert draws.model_sha256 == sha256_file(model)
    assert draws.orders > 3_000
    inputs = resolve_inputs(model.parents[2] / "scenarios" / "study.yaml")
    log = read_inputs_log(inputs)
    options = FitOptions(tier_table=TIERS)
    again = bootstrap_draws(log, inputs.study, params, draws.model_sha256, count=3, seed=0,
                            options=options)  # fmt: skip
    written = load_draws(write_draws(again, tmp_path / "again.json"))  # 6 digits, as stored
    assert written.sets == draws.sets[:3]  # the first 3 of 20 are the 3 of 3: one stream
    other = bootstrap_draws(log, inputs.study, params, draws.model_sha256, count=3, seed=1,
                            options=options)  # fmt: skip
    assert other.sets[0] != draws.sets[0]
    first, second = draws.sets[0], draws.sets[1]
    assert first.arrivals != second.arrivals
    assert first.routing != second.routing
    assert first.durations != second.durations
    assert first.delays != second.delays
    # the total arrival rate varies as a Poisson count of ~4,000 orders does (~1.6 %)
    assert 0.005 < draws.spread["arrival_rate_total"] < 0.05
    assert 0.001 < draws.spread["processing_time_median"] < 0.1
    # every set is a valid model: routing rows sum to 1, shares within [0, 1]
    for draw in draws.sets:
        varied = ModelParams.model_validate(apply_draw(params, draw).model_dump())
        for chain in varied.routing:
            for row in chain.transitions.values():
                assert sum(row.values()) == pytest.approx(1.0, abs=1e-5)
        assert all(0 <= a.delay_probability <= 1 for a in varied.activities)


def test_the_file_is_written_byte_identically_and_names_its_model(
    model: Path, tmp_path: Path
) -> None:
    draws = load_draws(draws_path(model))
    copy = write_draws(draws, tmp_path / "model_draws.json")
    assert copy.read_bytes() == draws_path(model).read_bytes()
    data = json.loads(copy.read_text(encoding="utf-8"))
    assert data["schema"] == "l2csim/model-draws/1" and data["seed"] == 0
    assert data["method"] == "Poisson bootstrap over orders"
    assert "teams, people and shifts (capacity)" in data["kept"]
    assert copy.stat().st_size < 200_000  # compact: changes, not 20 copies of the model


def test_an_empty_draw_is_the_fitted_model(model: Path) -> None:
    params = load_params(model)
    assert apply_draw(params, ParameterSet()) == params


def test_draws_of_another_fit_are_not_used(model: Path, tmp_path: Path) -> None:
    copy = tmp_path / "model.json"
    copy.write_text(model.read_text(encoding="utf-8") + "\n", encoding="utf-8")  # another hash
    draws_path(copy).write_bytes(draws_path(model).read_bytes())
    draws, info = draws_for(copy, None)
    assert draws is None and info["used"] is False and info["stale"]
    with pytest.raises(InputError, match="belongs to another fit"):
        draws_for(copy, True)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        _, _, spec, info = prepare_run(
            model.parents[2] / "scenarios" / "baseline.yaml",
            RunSettings(),
        )
    assert spec.draws and info["used"] and not caught  # its own draws: used, no warning
    draws_path(copy).unlink()
    assert draws_for(copy, None)[1] == {
        "used": False,
        "reason": "no draws beside the model (model_draws.json)",
    }
    with pytest.raises(InputError, match="no parameter draws beside the model"):
        draws_for(copy, True)
    assert draws_for(model, False)[0] is None
    assert issubclass(L2csimWarning, Warning)


def quarter_log(log: EventLog) -> EventLog:
    """The orders placed in the first quarter of the log's period (about 1,000 of 4,000)."""
    events = log.events
    first = events.groupby(CASE)[TIMESTAMP].transform("min")
    start, end = first.min(), first.max()
    keep = first <= start + (end - start) / 4
    return replace(log, events=events.loc[keep].reset_index(drop=True))


@pytest.fixture(scope="module")
def wide(model: Path) -> tuple[ModelDraws, ModelDraws]:
    """Draws as a fit from a quarter of the orders would have them, beside the whole log's."""
    inputs = resolve_inputs(model.parents[2] / "scenarios" / "study.yaml")
    log = read_inputs_log(inputs)
    params, sha = load_params(model), sha256_file(model)
    options = FitOptions(tier_table=TIERS)
    quarter = bootstrap_draws(quarter_log(log), inputs.study, params, sha, options=options)
    return quarter, load_draws(draws_path(model))


def test_fewer_orders_give_wider_draws(wide: tuple[ModelDraws, ModelDraws]) -> None:
    """A bootstrap's spread shrinks like 1/sqrt(orders): a quarter of the orders spreads
    about twice as much (arrival rates: a Poisson count of ~1,000 vs ~4,000 orders)."""
    quarter, whole = wide
    assert quarter.orders < whole.orders / 3
    ratio = quarter.spread["arrival_rate_total"] / whole.spread["arrival_rate_total"]
    assert 1.3 < ratio < 3.0, ratio  # 1.55 measured with 20 draws (their CVs are noisy)
    for part in ("processing_time_median", "delay_share_median"):
        assert quarter.spread[part] > 1.3 * whole.spread[part], part


def test_intervals_widen_and_paired_differences_stay_paired(
    study: Path, wide: tuple[ModelDraws, ModelDraws]
) -> None:
    """With draws on, replication i runs on draw i: the spread across replications (and so
    the CI) grows by the fit's uncertainty, while the paired difference of two scenarios on
    the same streams and the same draws stays far tighter than an unpaired one.

    Measured on the sample's own draws (20 replications of a year): CI half-widths x1.5
    (backlog), x1.6 (chase calls), x1.2 (SLA attainment). A half-year's simulation noise
    hides most of that, so this test runs on the draws of a quarter of the orders (twice the
    spread), 16 replications of 180 days, on the same streams with draws on and off.
    """
    reps = 16
    on = RunSettings(horizon="180d", warmup="30d", seed=5)
    off = on.but(fit_uncertainty=False)
    _, _, base_off, info = prepare_run(study / "baseline.yaml", off)
    _, _, base_own, _ = prepare_run(study / "baseline.yaml", on)
    _, _, tier_own, _ = prepare_run(study / "tier_priority.yaml", on)
    assert len(base_own.draws) == 20 and not base_off.draws and info["used"] is False
    sets = tuple(wide[0].sets)
    base_on, tier_on = replace(base_own, draws=sets), replace(tier_own, draws=sets)
    unpaired = replace(tier_on, seed=6, draws=sets[10:] + sets[:10])  # other streams, draws
    frames = {
        name: kpi_frame(run_replications(spec, reps, jobs=2), name)
        for name, spec in (
            ("on", base_on), ("off", base_off), ("tier", tier_on), ("unpaired", unpaired)
        )
    }  # fmt: skip
    for kpi in ("orders_arrived", "backlog_mean", "lead_time_mean_hours"):
        wider = estimate(overall(frames["on"], kpi)).half_width
        narrower = estimate(overall(frames["off"], kpi)).half_width
        assert wider > 1.15 * narrower, (kpi, wider, narrower)
    for kpi in ("backlog_mean", "lead_time_mean_hours", "sla_attainment"):
        base = overall(frames["on"], kpi)
        paired = np.var(overall(frames["tier"], kpi) - base, ddof=1)
        independent = np.var(overall(frames["unpaired"], kpi) - base, ddof=1)
        assert paired < independent / 3, (kpi, paired, independent)


def with_churn_evidence(params: ModelParams, evidence: dict[str, tuple[float, float]]):
    """The model with a churn model resting on `evidence` (tier -> churned, trials)."""
    retention = params.retention.model_copy(
        update={
            "enabled": True,
            "intercept": -4.0,
            "tier_offsets": {"key_account": -1.0},
            "coefficients": {"late_orders": 0.8},
            "effects": {
                "late_orders": RetentionEffect(estimate=0.8, ci_low=0.2, ci_high=1.4),
                "chase_calls": RetentionEffect(estimate=0.0, status="not_estimable"),
            },
            "tier_only": RetentionTierOnly(intercept=-3.9, tier_offsets={"key_account": -1.1}),
            "tier_evidence": {
                t: ChurnEvidence(churned=c, trials=n) for t, (c, n) in evidence.items()
            },
        }
    )
    return params.model_copy(update={"retention": retention})


def test_churn_rates_are_drawn_from_the_customers_they_rest_on(model: Path) -> None:
    """Two churned customers in 79 deliveries give a rate anywhere from about 0.5 % to 8 %;
    40 in 4,000 pin it down; none in 500 leaves it between 0 and about 0.5 %. The draws
    follow each tier's own evidence (the Jeffreys posterior), whose mean is the fitted rate
    where none churned; the experience effects stay as fitted."""
    evidence = {"regular": (2, 79), "key_account": (40, 4000), "contract": (0, 500)}
    params = with_churn_evidence(load_params(model), evidence)
    rng = np.random.default_rng(3)
    drawn = [churn_shifts(params, rng) for _ in range(4000)]
    assert all(set(d) == set(evidence) for d in drawn)
    rates = {}
    for tier, (churned, trials) in evidence.items():
        fitted = churned / trials if churned else 0.5 / (trials + 1)
        rates[tier] = special.expit(special.logit(fitted) + np.array([d[tier] for d in drawn]))
        a, b = churned + 0.5, trials - churned + 0.5
        assert rates[tier].mean() == pytest.approx(a / (a + b), rel=0.05), tier
        low, high = np.quantile(rates[tier], [0.025, 0.975])
        assert low == pytest.approx(stats.beta.ppf(0.025, a, b), rel=0.15), tier
        assert high == pytest.approx(stats.beta.ppf(0.975, a, b), rel=0.15), tier
    assert np.mean(rates["contract"]) == pytest.approx(0.5 / 501, rel=0.05)
    assert np.std(np.log(rates["regular"])) > 4 * np.std(np.log(rates["key_account"]))
    off = params.model_copy(
        update={"retention": params.retention.model_copy(update={"enabled": False})}
    )
    assert churn_shifts(off, rng) == {}
    varied = apply_draw(params, ParameterSet(churn=drawn[0])).retention
    assert varied.coefficients == params.retention.coefficients


def test_a_pooled_tier_is_drawn_from_its_pooled_posterior(model: Path) -> None:
    """Pooled with the other tiers (prior: 0.8 % with the weight of 68 deliveries), 2
    churned in 79 deliveries are drawn around their posterior mean, 1.7 %, not their own
    2.5 %, and the draws centre on the fitted (pooled) rate."""
    params = with_churn_evidence(load_params(model), {"regular": (2, 79)})
    pooled = ChurnEvidence(churned=2, trials=79, prior_churned=0.54, prior_trials=68.0)
    retention = params.retention.model_copy(update={"tier_evidence": {"regular": pooled}})
    params = params.model_copy(update={"retention": retention})
    rng = np.random.default_rng(5)
    shifts = np.array([churn_shifts(params, rng)["regular"] for _ in range(4000)])
    fitted = (2 + 0.54) / (79 + 68)
    rates = special.expit(special.logit(fitted) + shifts)
    a, b = 2 + 0.54, 79 - 2 + 68 - 0.54
    assert rates.mean() == pytest.approx(fitted, rel=0.05)
    assert np.quantile(rates, 0.975) == pytest.approx(stats.beta.ppf(0.975, a, b), rel=0.1)
    assert np.quantile(rates, 0.975) < stats.beta.ppf(0.975, 2.5, 77.5)


def test_a_churn_draw_shifts_every_tier_in_both_models(model: Path) -> None:
    params = with_churn_evidence(load_params(model), {"regular": (2, 79)})
    draw = ParameterSet(churn={"regular": 0.5, "key_account": -0.2})
    varied = apply_draw(params, draw).retention
    # The reference tier ("regular", no offset of its own) gets one; the other moves.
    assert varied.tier_offsets == {"key_account": -1.2, "regular": 0.5}
    assert varied.tier_only.tier_offsets == {"key_account": pytest.approx(-1.3), "regular": 0.5}
    assert varied.coefficients == {"late_orders": 0.8}
    assert varied.intercept == -4.0 and varied.tier_only.intercept == -3.9
    for experience in (True, False):
        before = churn_probability(params.retention, "regular", [(0, 0, 0)], experience)
        after = churn_probability(varied, "regular", [(0, 0, 0)], experience)
        assert special.logit(after) - special.logit(before) == pytest.approx(0.5)


def test_churn_draws_leave_the_order_draws_as_they_were(model: Path) -> None:
    """The churn draws have their own stream: the bootstrap over orders gives the same sets
    with or without a churn model to draw."""
    inputs = resolve_inputs(model.parents[2] / "scenarios" / "study.yaml")
    log = read_inputs_log(inputs)
    options = FitOptions(tier_table=TIERS)
    plain = load_params(model)
    plain = plain.model_copy(
        update={"retention": plain.retention.model_copy(update={"tier_evidence": {}})}
    )
    churning = with_churn_evidence(plain, {"regular": (2, 79), "key_account": (0, 500)})
    a = bootstrap_draws(log, inputs.study, plain, "x", count=3, options=options)
    b = bootstrap_draws(log, inputs.study, churning, "x", count=3, options=options)
    for x, y in zip(a.sets, b.sets, strict=True):
        assert not x.churn and set(y.churn) == {"regular", "key_account"}
        assert x == y.model_copy(update={"churn": {}})
    assert "churn_odds_median" in b.spread and "churn_odds_median" not in a.spread
