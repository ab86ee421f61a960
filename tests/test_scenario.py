"""Scenario files: extends and deep merge, clear errors, names checked against the model."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from l2csim.errors import StudyError
from l2csim.params import write_params
from l2csim.scenario import deep_merge, load_scenario, load_with_model
from sim_models import sample_like_model

REPO = Path(__file__).resolve().parents[1]
SHIPPED = [
    "baseline",
    "tier_priority",
    "earliest_promise",
    "key_account_calls",
    "one_more_cs_agent",
    "rekeying_halved",
]


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    write_params(sample_like_model(), tmp_path / "fit" / "model.json")
    scenarios = tmp_path / "scenarios"
    scenarios.mkdir()
    (scenarios / "baseline.yaml").write_text("model: ../fit/model.json\npolicy: {}\n")
    return scenarios


def test_deep_merge_merges_mappings_and_replaces_the_rest() -> None:
    base = {"policy": {"discipline": "fifo", "courtesy": {"rule": "all", "tiers": ["a"]}}}
    over = {"policy": {"courtesy": {"tiers": ["b"]}}}
    assert deep_merge(base, over) == {
        "policy": {"discipline": "fifo", "courtesy": {"rule": "all", "tiers": ["b"]}}
    }


def test_extends_overrides_only_what_changes(folder: Path) -> None:
    (folder / "a.yaml").write_text(
        "extends: baseline.yaml\npolicy: {discipline: tier_priority, courtesy: {rule: none}}\n"
    )
    (folder / "b.yaml").write_text("extends: a.yaml\npolicy: {courtesy: {rule: all}}\n")
    scenario = load_scenario(folder / "b.yaml")
    assert scenario.name == "b"
    assert scenario.policy.discipline == "tier_priority"
    assert scenario.policy.courtesy.rule == "all"
    assert scenario.model_path == (folder.parent / "fit" / "model.json").resolve()


def test_bad_key_names_its_path_and_the_allowed_keys(folder: Path) -> None:
    (folder / "bad.yaml").write_text("extends: baseline.yaml\npolicy: {courtesy: {rules: all}}\n")
    with pytest.raises(
        StudyError,
        match=r"bad.yaml: policy.courtesy.rules: unknown key. Did you mean 'rule'\? "
        r"Allowed here: rule, tiers, min_value, milestones",
    ):
        load_scenario(folder / "bad.yaml")
    (folder / "bad2.yaml").write_text("extends: baseline.yaml\npolicy: {discipline: lifo}\n")
    with pytest.raises(
        StudyError,
        match=r"policy.discipline: Input should be 'fifo', 'squeaky_wheel', "
        r"'tier_priority', 'earliest_promise' or 'least_slack'",
    ):
        load_scenario(folder / "bad2.yaml")


def test_cycles_and_missing_parents_are_clear(folder: Path) -> None:
    (folder / "x.yaml").write_text("extends: y.yaml\n")
    (folder / "y.yaml").write_text("extends: x.yaml\n")
    with pytest.raises(StudyError, match=r"cycle \(x.yaml -> y.yaml -> x.yaml\)"):
        load_scenario(folder / "x.yaml")
    (folder / "z.yaml").write_text("extends: nowhere.yaml\n")
    with pytest.raises(StudyError, match=r"z.yaml: extends 'nowhere.yaml', which does not exist"):
        load_scenario(folder / "z.yaml")


def test_unknown_tier_and_pool_name_the_known_ones(folder: Path) -> None:
    (folder / "t.yaml").write_text("extends: baseline.yaml\npolicy: {demand: {tiers: {vip: 2}}}\n")
    with pytest.raises(
        StudyError,
        match=r"policy.demand.tiers.vip: unknown tier 'vip'; the "
        r"model's tiers are \['key_account', 'priority', 'occasional', 'one_time'\]",
    ):
        load_with_model(load_scenario(folder / "t.yaml"))
    (folder / "p.yaml").write_text(
        "extends: baseline.yaml\npolicy: {staffing: {pools: {Sales: {add: 1}}}}\n"
    )
    with pytest.raises(
        StudyError,
        match=r"unknown pool 'Sales'; the model's pools are "
        r"\['Order desk', 'Customer Service'",
    ):
        load_with_model(load_scenario(folder / "p.yaml"))


def test_pool_aliases_resolve_to_the_fitted_pool(folder: Path) -> None:
    (folder / "cs.yaml").write_text(
        "extends: baseline.yaml\npolicy: {staffing: {pools: {'role:chase_call': {add: 1}},"
        " dedicated_account_managers: {pool: 'activity:Credit check', tiers: [key_account],"
        " size: 1}}}\n"
    )
    scenario, _ = load_with_model(load_scenario(folder / "cs.yaml"))
    assert list(scenario.policy.staffing.pools) == ["Customer Service"]
    assert scenario.policy.staffing.dedicated_account_managers.pool == "OM-North"


@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_scenarios_fit_the_bundled_sample(name: str, folder: Path) -> None:
    """Every shipped scenario validates, and names only tiers the sample's truth has."""
    scenario = load_scenario(REPO / "scenarios" / f"{name}.yaml")
    assert scenario.model_path == (REPO / "outputs" / "fit" / "model.json").resolve()
    truth = json.loads((REPO / "event_logs" / "sample_truth.json").read_text())
    assert {t for _, t in scenario.policy.tier_names()} <= set(truth["tiers"])
    # ...and resolves against a model with the sample's tiers and teams.
    local = scenario.model_copy(update={"model_path": folder.parent / "fit" / "model.json"})
    load_with_model(local)
