"""The inbox before "Order received": inferred from promised dates on a test-bed operation
whose e-mailed orders wait unseen (its truth says how long), stated in the study, and
simulated so that waiting orders keep their promise from the day they were placed."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from l2csim.errors import StudyError
from l2csim.fit import fit_model
from l2csim.fit.customers import PromiseRule, business_day
from l2csim.fit.intake import order_lags
from l2csim.inputs import read_inputs_log, resolve_inputs
from l2csim.params import ModelParams
from l2csim.policy import Policy
from l2csim.sample.testbed import generate_operation
from l2csim.sample.testbed.write import write_run
from l2csim.sim.replications import RunSpec, run_replications
from l2csim.sim.run import kpi_frame

DAYS = 150


@pytest.fixture(scope="module")
def inbox_study(tmp_path_factory) -> tuple[Path, dict]:
    folder = tmp_path_factory.mktemp("inbox") / "inbox_intake"
    run = generate_operation("inbox_intake", seed=0, days=DAYS)
    write_run(folder, run)
    return folder / "scenarios" / "study.yaml", run.truth


def fit(study_file: Path, **intake) -> ModelParams:
    inputs = resolve_inputs(study_file)
    study = inputs.study
    if intake:
        study = study.model_copy(update={"intake": study.intake.model_copy(update=intake)})
    return fit_model(read_inputs_log(inputs), study)


def test_lags_count_the_working_days_a_promise_is_short_of_its_rule() -> None:
    """Rule: 3 working days. Seen Monday, promised Thursday: no lag; seen Wednesday for the
    same Thursday: 2 days waited; seen Friday, promised Wednesday: none (the weekend is
    not counted)."""
    seen = pd.to_datetime(["2025-03-03 10:00", "2025-03-05 10:00", "2025-03-07 10:00"]).tz_localize(
        "UTC"
    )
    promised = pd.to_datetime(["2025-03-07", "2025-03-07", "2025-03-13"]).tz_localize("UTC")
    cases = pd.DataFrame(
        {"arrival": seen, "promised": promised, "tier": "a", "segment": "s"},
        index=["x", "y", "z"],
    )
    lags = order_lags(cases, PromiseRule({("a", "s"): 3}), "UTC")
    assert lags.tolist() == [0.0, 2.0, 0.0]


def test_an_order_on_a_day_off_counts_from_the_next_or_the_last_working_day() -> None:
    placed = pd.Series(
        pd.to_datetime(["2025-03-08 10:00", "2025-03-07 18:00", "2025-03-07 10:00"])
    )  # Saturday; Friday after a 17:00 cut-off; Friday before it
    weekdays = [0, 1, 2, 3, 4]
    following = business_day(placed, weekdays, 17.0).dt.day_name().tolist()
    previous = business_day(placed, weekdays, 17.0, "previous").dt.day_name().tolist()
    assert following == ["Monday", "Monday", "Friday"]
    assert previous == ["Friday", "Monday", "Friday"]


def test_e_mailed_orders_are_found_to_wait_and_for_about_as_long(inbox_study) -> None:
    """Only the e-mail channel waits; the staff-free part before customer service looks is
    within 50 % of the operation's true inbox delay (4 office hours); phone orders never
    wait, and a tier's share of waiting orders follows its e-mail share."""
    study_file, truth = inbox_study
    inbox = fit(study_file).inbox
    assert inbox is not None and inbox.activity == "Order received"
    assert inbox.lag_days["phone"] < 0.2
    assert inbox.lag_days["e-mail"] > 0.4
    true_delay = truth["intake"]["inbox_delay_office_hours"]["mean"]
    assert inbox.visible_after is not None
    assert inbox.visible_after.mean == pytest.approx(true_delay, rel=0.5)
    assert inbox.visible_after.provenance.source == "default"  # its shape is assumed
    assert 0 < inbox.queue_hours < inbox.wait_hours
    assert all(0.3 < share <= 1.0 for share in inbox.share_by_tier.values())


def test_a_stated_wait_replaces_the_inference_and_infer_false_turns_it_off(
    inbox_study,
) -> None:
    study_file, _ = inbox_study
    stated = fit(study_file, wait_hours=20.0, waiting_channels=["e-mail"]).inbox
    assert stated is not None and stated.provenance.source == "study"
    assert stated.wait_hours == 20.0
    assert stated.visible_after.mean == pytest.approx(20.0 - stated.queue_hours)
    assert fit(study_file, infer=False).inbox is None


@pytest.mark.parametrize(
    ("intake", "message"),
    [
        ({"channel": "order_chanel"}, "intake.channel: attribute 'order_chanel' is not in the log"),
        ({"waiting_channels": ["fax"]}, "intake.waiting_channels: ['fax'] never occur"),
    ],
)
def test_a_study_naming_what_the_log_lacks_is_told_so(inbox_study, intake, message) -> None:
    study_file, _ = inbox_study
    with pytest.raises(StudyError, match=re.escape(message)):
        fit(study_file, **intake)


def test_waiting_orders_are_later_against_promises_counted_from_the_order(
    inbox_study,
) -> None:
    """The same model with and without the inbox, same random streams: with it, orders are
    keyed later and fewer are on time, because their promise still counts from the day the
    customer ordered."""
    study_file, _ = inbox_study
    params = fit(study_file)
    without = params.model_copy(update={"inbox": None})

    def on_time(model: ModelParams) -> float:
        spec = RunSpec(model, Policy(), seed=1, horizon_hours=120 * 24.0, warmup_hours=20 * 24.0)
        kpis = kpi_frame(run_replications(spec, 2, jobs=1), "x")
        rows = kpis[
            (kpis["kpi"] == "sla_attainment")
            & (kpis["tier"] == "")
            & (kpis["segment"] == "")
            & (kpis["pool"] == "")
            & kpis["week"].isna()
        ]
        return float(np.mean(rows["value"]))

    assert on_time(params) < on_time(without) - 0.01
