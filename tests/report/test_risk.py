"""The report shows the risk of tipping over beside the statistical error (runaway share,
demand headroom, the spread across simulated years) and says in the appendix whether the
intervals carry the fit's own uncertainty — on the study the report tests share, and on
made-up comparisons for the cases that study does not reach."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import pytest

from l2csim import layout
from l2csim.report.risk import risk_table, runaway_text, uncertainty_assumptions
from report_study import needs


@pytest.fixture(scope="module")
def text(study_out: Path) -> str:
    report = study_out / "report" / layout.REPORT_HTML
    needs(report, "report")
    return html.unescape(report.read_text(encoding="utf-8"))


def plain(markup: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", markup))


def test_the_study_draws_parameters_and_searches_headroom(study_out: Path) -> None:
    needs(study_out / "fit" / "model_draws.json", "fit")
    draws = json.loads((study_out / "fit" / "model_draws.json").read_text())
    assert draws["count"] == 20 and len(draws["sets"]) == 20
    run = json.loads((study_out / "simulate" / "baseline" / layout.RUN_JSON).read_text())
    assert run["fit_uncertainty"]["used"] is True and run["fit_uncertainty"]["draws"] == 20
    comparison = json.loads((study_out / "compare" / layout.COMPARISON_JSON).read_text())
    scenarios = [s["name"] for s in comparison["scenarios"]]
    assert set(comparison["headroom"]) == set(scenarios)
    for name in scenarios:
        found = json.loads((study_out / "simulate" / name / layout.HEADROOM_JSON).read_text())
        assert found == comparison["headroom"][name]
        assert found["replications"] == 3 and found["grid"] == [1.0, 1.5, 2.0]
        assert found["status"] in ("found", "beyond_range", "already")
    assert comparison["fit_uncertainty"]["used"] is True


def test_the_summary_shows_the_risk_beside_the_intervals(text: str, study_out: Path) -> None:
    comparison = json.loads((study_out / "compare" / layout.COMPARISON_JSON).read_text())
    start = text.index('<div class="risk" id="risk">')
    assert text.index('id="comparison-table"') < start < text.index("three biggest pain points")
    block = plain(text[start : text.index("</div>", start)])
    assert "Years that run away (95% CI)" in block and "Demand headroom (95% CI)" in block
    assert "10th–90th pct" in block
    for name in comparison["scenarios"]:
        risk = comparison["risk"][name["name"]]
        assert runaway_text(risk) in block
        assert comparison["headroom"][name["name"]]["text"] in block
        assert f"of {risk['judged']})" in block
    assert "baseline (today)" in block


def test_the_appendix_says_how_uncertainty_and_risk_were_made(text: str) -> None:
    appendix = plain(text[text.index('id="appendix"') :])
    assert "The intervals include the fit's own uncertainty" in appendix
    assert "parameter set i mod 20" in appendix and "Poisson bootstrap over orders" in appendix
    assert "each tier's churn rate (from the churned customers it rests on) vary" in appendix
    assert "each tier's odds of churning ±" in appendix  # the sample's tiers have evidence
    assert "Runaway: a replication runs away when" in appendix
    assert "Demand headroom: every arrival rate is multiplied by factors from x1 to x2" in appendix


def comparison(headroom: dict) -> dict:
    risk = {
        "runaway_share": 0.1, "runaway_low": 0.03, "runaway_high": 0.3,
        "runaway_replications": 2, "judged": 20,
        "spread": {"backlog_mean": {"p10": 90.0, "p50": 100.0, "p90": 123.4},
                   "sla_attainment": {"p10": 0.861, "p50": 0.87, "p90": 0.882}},
    }  # fmt: skip
    return {
        "baseline": "baseline",
        "scenarios": [{"name": "baseline"}, {"name": "more_staff"}],
        "risk": {"baseline": risk, "more_staff": {**risk, "runaway_share": 0.0,
                                                  "runaway_low": 0.0, "runaway_replications": 0}},
        "headroom": headroom,
        "fit_uncertainty": {"used": False, "reason": "turned off (--no-fit-uncertainty)"},
    }  # fmt: skip


def test_little_headroom_is_marked_and_beyond_the_range_said() -> None:
    doc = comparison(
        {
            "baseline": {"status": "found", "headroom": 0.05, "text": "+5% (95% CI 0% to +10%)",
                         "message": "baseline: headroom +5% more demand", "replications": 10,
                         "horizon": "180d", "grid": [1.0, 2.0]},
            "more_staff": {"status": "beyond_range", "headroom": None,
                           "text": "beyond +100% (no runaway up to x2)",
                           "message": "more_staff: no runaway within the range searched",
                           "replications": 10, "horizon": "180d", "grid": [1.0, 2.0]},
        }
    )  # fmt: skip
    markup = risk_table(doc)
    rows = re.findall(r"<tr( class=\"[^\"]*\")?><td>([^<]*)</td>", markup)
    assert [(cls, name) for cls, name in rows] == [
        (' class="at-risk"', "baseline (today)"), ("", "more staff"),
    ]  # fmt: skip
    body = plain(markup)
    assert "10% (95% CI 3–30%; 2 of 20)" in body and "0% (95% CI 0–30%; 0 of 20)" in body
    assert "90.0–123" in body and "86.1–88.2%" in body
    assert "more_staff: no runaway within the range searched." in body
    assert "baseline: headroom +5% more demand." in body
    assert "10 runs of 180d per demand factor" in body


def test_without_a_search_or_draws_the_report_says_so() -> None:
    doc = comparison({})
    assert "not searched" in plain(risk_table(doc))
    said = " ".join(uncertainty_assumptions(doc))
    assert "do not include the fit's own uncertainty" in said
    assert "turned off (--no-fit-uncertainty)" in said and "Demand headroom" not in said
