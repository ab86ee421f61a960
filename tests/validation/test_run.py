"""`l2csim validate` on the bundled sample: measures against the real log and a naive log,
thresholds from the study file, the n-gram distance equal to log-distance-measures'."""

from __future__ import annotations

import datetime
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from log_distance_measures.n_gram_distribution import n_gram_distribution_distance

from l2csim.cli import cli
from l2csim.inputs import read_inputs_log, resolve_inputs
from l2csim.log import ACTIVITY, CASE, TIMESTAMP
from l2csim.validation.measures import (
    MEASURES,
    _ids,
    arrival_emd,
    cases_of,
    control_flow_distance,
    cycle_time_emd,
    n_gram_distance,
)
from l2csim.validation.naive import naive_log
from study_copy import sample_study


@pytest.fixture(scope="module")
def study(tmp_path_factory) -> Path:
    return sample_study(
        tmp_path_factory.mktemp("study"),
        validation="{replications: 1, control_flow_cases: 150, thresholds: {ngrams: 0.5}}",
    )


@pytest.fixture(scope="module")
def validated(study: Path, tmp_path_factory):
    out = tmp_path_factory.mktemp("validate")
    result = CliRunner().invoke(cli, ["validate", str(study / "study.yaml"), "--out", str(out)])
    assert result.exit_code == 0, result.output
    return out, result.output


@pytest.fixture(scope="module")
def real(study: Path):
    return read_inputs_log(resolve_inputs(study / "study.yaml")).events[[CASE, ACTIVITY, TIMESTAMP]]


def test_validation_files_and_thresholds(validated) -> None:
    out, output = validated
    doc = json.loads((out / "validation.json").read_text())
    assert [m["measure"] for m in doc["measures"]] == [m.name for m in MEASURES]
    # the model file validated is the study's fitted model (same log), named with its hash
    assert doc["model"].endswith("outputs/fit/model.json") and len(doc["model_sha256"]) == 64
    for m in doc["measures"]:
        assert m["status"] == ("pass" if m["value"] <= m["threshold"] else "fail")
    ngrams = next(m for m in doc["measures"] if m["measure"] == "ngrams")
    assert ngrams["threshold"] == 0.5  # from the study file
    # About 80 orders a week: the weeks' own noise is under the default, which stands.
    weekly = next(m for m in doc["measures"] if m["measure"] == "arrivals_weekly")
    assert weekly["threshold"] == 0.25
    assert not any(n.startswith("weekly arrivals") for n in doc["notes"])
    assert doc["passed"] is (not doc["failed"])
    assert ("Validation passed" in output) is doc["passed"]
    assert (out / "validation.csv").read_text().startswith("measure,label,unit,source,value")


def test_the_model_reproduces_control_flow_far_better_than_a_naive_log(validated) -> None:
    doc = json.loads((validated[0] / "validation.json").read_text())
    by = {m["measure"]: m for m in doc["measures"]}
    for name in ("ngrams", "control_flow", "sla_attainment"):
        assert by[name]["better_than_naive"], by[name]
    assert by["ngrams"]["value"] < by["ngrams"]["naive"] / 3
    assert by["activities"]["value"] < 0.15  # same activities, in about the same numbers


def test_naive_log_keeps_totals_but_not_structure(real) -> None:
    naive = naive_log(real, np.random.default_rng(1))
    assert naive[CASE].nunique() == real[CASE].nunique() and len(naive) == len(real)
    assert n_gram_distance(real, naive, 1) < 0.02  # activity frequencies kept
    assert n_gram_distance(real, naive, 3) > 0.5  # control flow lost


def test_n_gram_distance_equals_log_distance_measures(real) -> None:
    cases = real[CASE].drop_duplicates().sort_values()
    a = real[real[CASE].isin(cases.iloc[:200])]
    b = real[real[CASE].isin(cases.iloc[200:400])]
    for n in (1, 2, 3):
        expected = n_gram_distribution_distance(a, _ids(), b, _ids(), n=n)
        assert n_gram_distance(a, b, n) == pytest.approx(expected, rel=1e-12)


def test_cycle_time_and_arrival_distances_equal_log_distance_measures(real) -> None:
    """The vectorised distances give log-distance-measures' values, on two halves of the
    sample's log and on one half against itself shifted by 5.5 hours."""
    from log_distance_measures.case_arrival_distribution import (
        case_arrival_distribution_distance,
    )
    from log_distance_measures.config import DistanceMetric
    from log_distance_measures.cycle_time_distribution import cycle_time_distribution_distance

    cases = real[CASE].drop_duplicates().sort_values()
    a = real[real[CASE].isin(cases.iloc[:300])]
    b = real[real[CASE].isin(cases.iloc[300:700])]
    shifted = a.assign(**{TIMESTAMP: a[TIMESTAMP] + pd.Timedelta(hours=5.5)})
    for other in (b, shifted):
        cycle = cycle_time_distribution_distance(
            a, _ids(), other, _ids(), bin_size=datetime.timedelta(hours=1),
            metric=DistanceMetric.WASSERSTEIN,
        )  # fmt: skip
        arrivals = case_arrival_distribution_distance(a, _ids(), other, _ids())
        assert cycle_time_emd(cases_of(a), cases_of(other)) == pytest.approx(cycle, rel=1e-9)
        assert arrival_emd(cases_of(a), cases_of(other)) == pytest.approx(arrivals, rel=1e-9)


def test_control_flow_distance_equals_log_distance_measures(real) -> None:
    from log_distance_measures.control_flow_log_distance import control_flow_log_distance

    cases = real[CASE].drop_duplicates().sort_values()
    a = real[real[CASE].isin(cases.iloc[:150])]
    b = real[real[CASE].isin(cases.iloc[150:330])]
    expected = control_flow_log_distance(a, _ids(), b, _ids(), parallel=False)
    assert control_flow_distance(a, b) == pytest.approx(expected, rel=1e-6)  # float rounding
    assert control_flow_distance(a, a) == 0.0


def test_a_model_from_another_log_is_refused(study: Path, tmp_path: Path, shared_data) -> None:
    from l2csim.fit import fit_model
    from l2csim.params import write_params

    helpdesk = resolve_inputs(shared_data / "helpdesk.xes.gz")
    other = write_params(fit_model(read_inputs_log(helpdesk)), tmp_path / "model.json")
    result = CliRunner().invoke(
        cli, ["validate", str(study / "study.yaml"), "--model", str(other), "--out", str(tmp_path)]
    )
    assert result.exit_code == 1
    assert "fitted from another log (helpdesk.xes.gz" in result.output


def test_the_logs_own_figures_stand_beside_the_models(validated) -> None:
    """Today in the log and today in the model, for the same period and by the same rules:
    the sample's 3,988 orders a year, 660 chase calls and 87 % on time."""
    out, _ = validated
    doc = json.loads((out / "validation.json").read_text())
    log, model = doc["log_kpis"], doc["model_kpis"]
    assert log["sla_attainment"]["all"] == pytest.approx(0.871, abs=0.001)
    assert log["chase_calls_per_week"] == pytest.approx(660 / (log_weeks(doc)), rel=0.001)
    assert {"key_account", "priority", "occasional", "one_time"} <= set(log["sla_attainment"])
    for kpi in ("orders_per_week", "backlog_mean", "lead_time_mean_hours", "chase_calls_per_week"):
        entry = model[kpi]
        assert entry["min"] <= entry["mean"] <= entry["max"]
        assert entry["mean"] == pytest.approx(log[kpi], rel=0.35), kpi
    tiers = {row["tier"]: row for row in doc["sla_by_tier"]}
    assert tiers["key_account"]["log"] == log["sla_attainment"]["key_account"]
    waits = {row["activity"]: row for row in doc["activity_waits"]}
    assert waits["Delivered"]["log_hours"] > 24  # the carrier's transit
    assert sum(row["weight"] for row in doc["activity_waits"]) == pytest.approx(1.0, abs=0.01)
    assert set(doc["utilisation"]) >= {"Pick and pack"}
    assert all(0 < u < 1.5 for u in doc["utilisation"].values())


def log_weeks(doc: dict) -> float:
    start = pd.Timestamp(doc["period_start"])
    end = pd.Timestamp(doc["period_end"])
    return (end - start) / pd.Timedelta(days=7)


def test_a_failure_names_what_drives_it_and_na_says_why() -> None:
    """Causes name the step, tier or team; a measure that does not apply says why."""
    from l2csim.params import ModelParams
    from l2csim.validation import figures

    waits = pd.DataFrame(
        {
            "activity": ["Pick and pack", "Shipped"],
            "log_hours": [120.0, 1.0],
            "model_hours": [60.0, 1.1],
            "weight": [0.5, 0.5],
            "error": [0.5, 0.05],
        }
    )
    tiers = pd.DataFrame(
        {"tier": ["gold", "tin"], "log": [0.8, 0.9], "model": [0.6, 0.9], "difference": [0.2, 0.0]}
    )
    why = figures.causes(
        ["backlog_daily", "sla_by_tier"], waits, tiers, {"Warehouse": 0.95}, {}, {}
    )
    assert "the wait before Pick and pack: model 60 h vs log 120 h" in why["backlog_daily"]
    assert "Warehouse at 95%" in why["backlog_daily"]
    assert why["sla_by_tier"].startswith("gold: model 60% on time vs log 80%")
    from sim_models import mmc_model

    bare = mmc_model(1.0, 0.5, 2)
    assert isinstance(bare, ModelParams)
    reasons = figures.not_applicable(bare, None)
    assert "no SLA" in reasons["sla_attainment"]
