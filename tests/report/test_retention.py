"""The report's retention block: the experience effects with their intervals, and every
option's customers lost and revenue at risk with and without the hypothesis."""

from __future__ import annotations

import json
from pathlib import Path

from l2csim.report.build import build_report


def test_retention_is_shown_with_and_without_the_experience_hypothesis(
    study_out: Path, tmp_path: Path
) -> None:
    html = build_report(study_out, tmp_path / "report.html").read_text(encoding="utf-8")
    assert "Retention: with and without the experience hypothesis" in html
    assert 'class="retention-hypothesis"' in html and "tier rates only" in html
    model = json.loads((study_out / "fit" / "model.json").read_text(encoding="utf-8"))
    retention = model["retention"]
    assert retention["enabled"] and retention["provenance"]["source"] == "retention_model"
    assert 'class="retention-effects"' in html and "Odds of leaving" in html
    block = html[html.index('class="retention-hypothesis"') :]
    for scenario in (p.name for p in (study_out / "simulate").iterdir() if p.is_dir()):
        assert scenario.replace("_", " ") in block
