"""`mine` on the bundled sample recovers the planted ground truth (sample_truth.json)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
import yaml

from l2csim.inputs import read_inputs_log, resolve_inputs
from l2csim.mine.run import run

REPO = Path(__file__).resolve().parents[2]
TOLERANCE = 0.03


@pytest.fixture(scope="module")
def truth() -> dict:
    return json.loads((REPO / "event_logs" / "sample_truth.json").read_text("utf-8"))


@pytest.fixture(scope="module")
def findings(tmp_path_factory, truth) -> dict:
    """Mine the sample with the true tiers (as the customers feature will supply them)."""
    folder = tmp_path_factory.mktemp("study")
    tiers = folder / "tiers.csv"
    with tiers.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["cust_no", "tier"])
        writer.writerows((c["cust_no"], c["tier"]) for c in truth["customers"])
    study = yaml.safe_load((REPO / "scenarios" / "study.yaml").read_text("utf-8"))
    study["log"]["path"] = str(REPO / "event_logs" / "sample_orders.csv")
    study["reference_process"] = str(REPO / "scenarios" / "documented_process.bpmn")
    # the shipped study's per-tier sla: (promised_by, owed milestones) applies as it is
    study["customers"]["crm_tiers"] = {"path": str(tiers), "id_column": "cust_no",
                                       "tier_column": "tier"}  # fmt: skip
    assert {t for t, spec in truth["tiers"].items() if spec["courtesy_call_owed_at"]} == {
        t for t, rule in study["sla"].items() if rule.get("courtesy_milestones")
    }
    path = folder / "study.yaml"
    path.write_text(yaml.safe_dump(study), encoding="utf-8")
    inputs = resolve_inputs(path)
    return run(read_inputs_log(inputs), inputs.study, folder / "out").findings


def _deviation(findings: dict, kind: str, activity: str) -> dict:
    matches = [d for d in findings["deviations"] if (d["kind"], d["activity"]) == (kind, activity)]
    assert matches, f"{kind} {activity!r} not found"
    return matches[0]


def test_courtesy_call_rates_match_truth(findings, truth):
    found = findings["role_rules"]["courtesy_calls"]
    for tier, expected in truth["courtesy_calls"].items():
        got = found[tier]
        assert got["share_of_orders_with_call"] == pytest.approx(
            expected["share_of_orders_with_call"], abs=TOLERANCE
        )
        if "owed_calls_missing_share" in expected:
            assert got["owed_calls_missing_share"] == pytest.approx(
                expected["owed_calls_missing_share"], abs=TOLERANCE
            )


def test_chase_calls_and_sla_by_tier_match_truth(findings, truth):
    chase = findings["role_rules"]["chase_calls"]["by_tier"]
    sla = findings["role_rules"]["sla"]["by_tier"]
    for tier, expected in truth["chase_calls"]["by_tier"].items():
        assert chase[tier]["per_order"] == pytest.approx(expected["per_order"], abs=TOLERANCE)
        assert chase[tier]["share_of_orders_chased"] == pytest.approx(
            expected["share_of_orders_chased"], abs=TOLERANCE
        )
        assert sla[tier]["late_share"] == pytest.approx(
            truth["sla"][tier]["late_share"], abs=TOLERANCE
        )


def test_informal_activities_found_per_team(findings, truth):
    for team, activities in truth["informal_activities"].items():
        for activity, share in activities.items():
            entry = _deviation(findings, "informal_activity", activity)
            got = entry["where"]["attributes"]["team"][team]["share"]
            assert got == pytest.approx(share, abs=TOLERANCE)


def test_skipped_steps_order_violations_and_rework_match_truth(findings, truth):
    for activity, by_line in truth["skipped_steps"].items():
        where = _deviation(findings, "skipped_step", activity)["where"]["attributes"]
        for line, share in by_line.items():
            got = where["product_line"].get(line, {"share": 0.0})["share"]
            assert got == pytest.approx(share, abs=TOLERANCE)
    for label, by_line in truth["order_violations"].items():
        where = _deviation(findings, "order_violation", label)["where"]["attributes"]
        for line, share in by_line.items():
            got = where["product_line"].get(line, {"share": 0.0})["share"]
            assert got == pytest.approx(share, abs=TOLERANCE)
    rework = _deviation(findings, "rework", "Correct order data")["where"]["attributes"]
    for channel, share in truth["rework"]["by_channel"].items():
        assert rework["channel"][channel]["share"] == pytest.approx(share, abs=TOLERANCE)


def test_planted_behaviour_ranks_above_noise(findings, truth):
    backlog = findings["backlog"]
    noise_ranks = [item["rank"] for item in backlog if not item["signal"]]
    planted = [("informal_activity", a) for team in truth["informal_activities"].values()
               for a in team]  # fmt: skip
    planted += [("skipped_step", a) for a in truth["skipped_steps"]]
    planted += [("order_violation", a) for a in truth["order_violations"]]
    planted += [
        ("courtesy_call_not_owed", "Courtesy call"),
        ("milestone_call_missing", "Courtesy call"),
    ]
    for kind, activity in planted:
        item = next(i for i in backlog if (i["kind"], i["activity"]) == (kind, activity))
        assert item["signal"], (kind, activity, item["notes"])
        assert not noise_ranks or item["rank"] < min(noise_ranks)
    # every entry carries counts and intervals, so small groups are not over-read
    first = backlog[0]["lead_time_days"]
    assert first["n_with"] > 0 and first["ci95"][0] <= first["difference"] <= first["ci95"][1]


def test_conformance_is_bounded_and_says_how(findings):
    conformance = findings["conformance"]
    assert conformance["method"] in {"alignments", "alignments+token_replay", "token_replay"}
    assert conformance["aligned_variants"] <= findings["settings"]["alignment_max_variants"]
    assert conformance["reason"]
    assert 0 < conformance["fitness"] <= 1
