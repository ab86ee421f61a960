"""A writable copy of the bundled sample study with its fitted model, for compare/validate tests.

Layout as in the repository: scenarios/ (study.yaml, the shipped scenario files),
event_logs/ (linked), outputs/fit/model.json (fitted with the CRM tiers, as the README says).
"""

from __future__ import annotations

import shutil
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def sample_study(root: Path, validation: str = "") -> Path:
    """Copy the sample study into root, fit its model; return root/scenarios."""
    from l2csim.fit import FitOptions, fit_model
    from l2csim.inputs import read_inputs_log, resolve_inputs
    from l2csim.params import write_params

    scenarios = root / "scenarios"
    scenarios.mkdir(parents=True)
    for path in (REPO / "scenarios").glob("*.yaml"):
        shutil.copy(path, scenarios / path.name)
    shutil.copy(REPO / "scenarios" / "documented_process.bpmn", scenarios)
    (root / "event_logs").symlink_to(REPO / "event_logs")
    if validation:
        with (scenarios / "study.yaml").open("a", encoding="utf-8") as handle:
            handle.write(f"\nvalidation: {validation}\n")
    inputs = resolve_inputs(scenarios / "study.yaml")
    tiers = REPO / "event_logs" / "sample_crm_tiers.csv"
    params = fit_model(read_inputs_log(inputs), inputs.study, FitOptions(tier_table=tiers))
    write_params(params, root / "outputs" / "fit" / "model.json")
    return scenarios
