"""The counterfactual truth test, a small fast slice of the fidelity benchmark: fit a
test-bed operation's as-is log, predict "key accounts first" with l2csim, and hold the
prediction against what the operation itself did under that policy with the same random
streams (bench_fidelity.py runs every operation and policy)."""

from __future__ import annotations

import pytest

from fidelity.harness import CHURN, churn_summary, fit_operation, predict, score, summary
from l2csim.output import write_json
from l2csim.sample.testbed import generate_operation
from l2csim.sample.testbed.counterfactual import counterfactual
from l2csim.sample.testbed.operations import operation
from l2csim.sample.testbed.policies import policy_named
from l2csim.sample.testbed.write import EVENT_LOGS, write_run

NAME, DAYS, SEEDS = "shared_teams", 240, 3


@pytest.fixture(scope="module")
def scored(tmp_path_factory) -> object:
    folder = tmp_path_factory.mktemp("testbed") / NAME
    write_run(folder, generate_operation(NAME, seed=0, days=DAYS))
    policy = policy_named(operation(NAME), "tier_priority")
    truth = counterfactual(NAME, 0, DAYS, SEEDS, policies=[policy], headroom=False, jobs=2)
    write_json(folder / EVENT_LOGS / f"{NAME}_counterfactual.json", truth)
    fitted = fit_operation(folder, trials=0)
    predicted = predict(fitted, ["tier_priority"], replications=6, days=DAYS, jobs=2)
    return score(predicted, truth), truth


@pytest.mark.slow
def test_key_accounts_first_moves_the_tiers_as_the_truth_does(scored) -> None:
    """Key accounts gain, with an interval that excludes 0, as they do in the operation
    itself in every seed; every effect whose sign holds in every seed has the right sign."""
    scored, _ = scored
    scored = scored[~scored["kpi"].isin(list(CHURN))]
    rows = {row["kpi"]: row for row in scored.to_dict(orient="records")}
    key = rows["sla_attainment[key_account]"]
    assert key["sign_robust"] and key["truth"] > 0.05, key
    assert key["low"] > 0, key
    robust = scored[scored["sign_robust"]]
    assert len(robust) >= 3 and robust["sign_right"].all(), robust[["kpi", "predicted", "truth"]]


@pytest.mark.slow
def test_the_truth_lies_in_most_intervals(scored) -> None:
    scored, _ = scored
    assert summary(scored)["coverage"] >= 0.6, scored[["kpi", "predicted", "low", "high", "truth"]]


@pytest.mark.slow
def test_churn_is_scored_apart_against_the_customers_who_left_after_a_bad_experience(
    scored,
) -> None:
    """The policy's effect on churned customers, with the experience hypothesis and with
    tier rates alone, is held against the truth's churn after a bad experience (not those
    who stopped for outside reasons, alike under every policy), and kept out of the service
    KPIs' summary."""
    scored, truth = scored
    effect = truth["policies"]["tier_priority"]["effects"]["customers_churned"]
    churn = scored[scored["kpi"].isin(list(CHURN))].set_index("kpi")
    assert set(churn.index) == set(CHURN)
    assert (churn["truth"] == effect["mean"]).all(), churn
    assert (churn["low"] <= churn["predicted"]).all() and (
        churn["predicted"] <= churn["high"]
    ).all()
    assert summary(scored)["predictions"] == len(scored) - len(CHURN)
    assert {k: s["predictions"] for k, s in churn_summary(scored).items()} == dict.fromkeys(
        CHURN, 1
    )
