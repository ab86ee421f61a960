"""Writes an operation as a study folder l2csim reads, and reads one back.

event_logs/<name>_orders.csv           the log (the operation's own column names)
event_logs/<name>_truth.json           what happened (truth.py)
event_logs/<name>_counterfactual.json  the policies' true effects and the headroom
event_logs/<name>_crm_tiers.csv        the CRM's tier list (operations that have one)
event_logs/<name>_leave.csv            the staff's planned leave (their vacation, not sickness)
scenarios/study.yaml                   log mapping, roles, segments, SLAs, customers
scenarios/baseline.yaml                the fitted model with today's policy
scenarios/<policy>.yaml                one per policy, extending baseline.yaml
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from l2csim.output import write_csv, write_json, write_text
from l2csim.sample.testbed.operations import operation
from l2csim.sample.testbed.policies import baseline_yaml, policies_for, scenario_yaml
from l2csim.sample.testbed.spec import OperationSpec

EVENT_LOGS = Path("event_logs")
# The test bed's holiday rules by the `holidays` package's names (GB: England's).
HOLIDAY_CALENDARS = {"DE": "DE", "GB": "GB-ENG", "US": "US"}
SCENARIOS = Path("scenarios")


def study_yaml(spec: OperationSpec) -> str:
    """The study file: how the log's columns map, what activities mean, the SLAs."""
    fmt = spec.log
    col = fmt.column
    columns = {
        "case": col("order"),
        "activity": col("activity"),
        "timestamp": col("time"),
    }
    if fmt.timestamps == "start_end":
        columns["start_timestamp"] = col("start")
    columns.update(
        resource=col("resource"), customer=col("customer"), customer_name=col("customer_name")
    )
    attributes = [col("line"), col("value")]
    if spec.promise == "date":
        attributes.append(col("promised"))
    attributes.append(col("channel"))
    if fmt.tiers == "attribute":
        attributes.append(col("tier"))
    milestones = list(dict.fromkeys(s.activity for x in spec.lines for s in x.steps if s.milestone))
    document: dict[str, Any] = {
        "log": {
            "path": f"../event_logs/{spec.name}_orders.csv",
            "columns": columns,
            "case_attributes": attributes,
            "timezone": spec.timezone,
        },
        "roles": {
            "order_received": spec.intake.received_activity,
            "delivered": next(s.activity for x in spec.lines for s in x.steps if s.delivers),
            "chase_call": spec.calls.chase_activity,
            "courtesy_call": spec.calls.courtesy_activity,
            "milestones": milestones,
            "rework": "Correct order data",
        },
        "segments": [col("line")],
        # What the operation's owner knows: the country whose public holidays close it.
        # ... and the staff's planned leave, as HR keeps it.
        "calendar": {
            "public_holidays": HOLIDAY_CALENDARS[spec.country],
            "leave": f"../event_logs/{spec.name}_leave.csv",
        },
    }
    if fmt.tiers == "attribute" and col("tier") != "tier":
        document["mining"] = {"tier_attribute": col("tier")}
    customers: dict[str, Any] = {"value": col("value"), "products": col("line")}
    if fmt.tiers == "crm":
        customers["crm_tiers"] = f"../event_logs/{spec.name}_crm_tiers.csv"
    customers["churn"] = {"k": 3}
    document["customers"] = customers
    sla = {}
    for tier in spec.tiers:
        rule: dict[str, Any] = (
            {"promised_date": col("promised")}
            if spec.promise == "date"
            else {"promised_hours": tier.sla_hours}
        )
        if tier.courtesy_owed:
            rule["courtesy_milestones"] = list(tier.courtesy_owed)
        sla[tier.name] = rule
    document["sla"] = sla
    header = (
        f"# l2csim study file of the test-bed operation {spec.name} (generated).\n"
        f"# {spec.description}\n"
        "# Paths are relative to this file.\n"
    )
    return header + yaml.safe_dump(document, sort_keys=False, allow_unicode=True, width=100)


def write_run(out_dir: Path, run) -> list[Path]:
    """Write one generated run (log, truth, CRM list, study and scenario files)."""
    spec = operation(run.name)
    out_dir = Path(out_dir)
    logs = out_dir / EVENT_LOGS
    paths = [
        write_csv(logs / f"{spec.name}_orders.csv", run.events),
        write_json(logs / f"{spec.name}_truth.json", run.truth),
    ]
    if run.crm_tiers is not None:
        paths.append(write_csv(logs / f"{spec.name}_crm_tiers.csv", run.crm_tiers))
    paths.append(write_csv(logs / f"{spec.name}_leave.csv", run.leave))
    paths.append(write_text(out_dir / SCENARIOS / "study.yaml", study_yaml(spec)))
    paths.append(write_text(out_dir / SCENARIOS / "baseline.yaml", baseline_yaml(spec)))
    for policy in policies_for(spec):
        paths.append(write_text(out_dir / SCENARIOS / f"{policy.name}.yaml", scenario_yaml(policy)))
    return paths


@dataclass(frozen=True)
class LoadedOperation:
    """An operation read back from a study folder."""

    name: str
    folder: Path
    events: pd.DataFrame
    truth: dict[str, Any]
    counterfactual: dict[str, Any] | None
    crm_tiers: pd.DataFrame | None
    study_path: Path
    scenario_paths: tuple[Path, ...]


def load_operation(folder: str | Path) -> LoadedOperation:
    """Read what `write_operation` wrote (the log with every column as text)."""
    folder = Path(folder)
    truths = sorted((folder / EVENT_LOGS).glob("*_truth.json"))
    if len(truths) != 1:
        raise FileNotFoundError(
            f"{folder}: expected one event_logs/<name>_truth.json, found {len(truths)}"
        )
    name = truths[0].name.removesuffix("_truth.json")
    logs = folder / EVENT_LOGS
    events = pd.read_csv(logs / f"{name}_orders.csv", dtype=str, keep_default_na=False)
    truth = json.loads(truths[0].read_text(encoding="utf-8"))
    cf_path = logs / f"{name}_counterfactual.json"
    counterfactual = json.loads(cf_path.read_text(encoding="utf-8")) if cf_path.is_file() else None
    crm_path = logs / f"{name}_crm_tiers.csv"
    crm = pd.read_csv(crm_path, dtype=str, keep_default_na=False) if crm_path.is_file() else None
    scenarios = tuple(
        sorted(p for p in (folder / SCENARIOS).glob("*.yaml") if p.name != "study.yaml")
    )
    return LoadedOperation(
        name,
        folder,
        events,
        truth,
        counterfactual,
        crm,
        folder / SCENARIOS / "study.yaml",
        scenarios,
    )
