"""README's "A study on your own log, step by step", followed in order on a copy of the sample.

The log is the sample's with the column names the README uses (order_no, step, done_at, user,
debtor, debtor_name) and the chase call renamed, so that step 1's `check` meets roles step 2
fixes and a CRM file step 3 brings: each command must warn about what later steps add, not
fail, and the commands must find each other's files (fit, then simulate).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest
import yaml
from click.testing import CliRunner

from l2csim.cli import cli

REPO = Path(__file__).resolve().parents[2]
CHASE = "Customer calls to chase"  # the sample's "Customer chase call", as this company says it
FAST = ["--replications", "2", "--horizon", "60d", "--warmup", "7d", "--jobs", "1",
        "--headroom-replications", "2"]  # fmt: skip


def invoke(*args: str) -> str:
    result = CliRunner().invoke(cli, list(args))
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output
    return result.output


def edit_study(path: Path, change) -> None:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")


@pytest.fixture
def company(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A folder holding orders_2025.csv and crm_export.csv as the company exported them."""
    events = pd.read_csv(REPO / "event_logs" / "sample_orders.csv", dtype=str)
    events = events.rename(
        columns={"order_ref": "order_no", "event": "step", "event_time": "done_at",
                 "performed_by": "user", "cust_no": "debtor", "cust_name": "debtor_name"}
    )  # fmt: skip
    events["step"] = events["step"].replace("Customer chase call", CHASE)
    events.to_csv(tmp_path / "orders_2025.csv", index=False)
    crm = pd.read_csv(REPO / "event_logs" / "sample_crm_tiers.csv", dtype=str)
    crm.rename(columns={"cust_no": "debtor", "crm_tier": "segment"}).to_csv(
        tmp_path / "crm_export.csv", index=False
    )
    shutil.copytree(REPO / "scenarios", tmp_path / "scenarios")
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.mark.slow
def test_the_walkthrough_step_by_step(company: Path) -> None:
    # mkdir -p acme/event_logs && cp orders_2025.csv acme/event_logs/; cp -r scenarios acme/
    (company / "acme" / "event_logs").mkdir(parents=True)
    shutil.copy(company / "orders_2025.csv", company / "acme" / "event_logs")
    shutil.copytree(company / "scenarios", company / "acme" / "scenarios")
    study = company / "acme" / "scenarios" / "study.yaml"

    # 1. Map the columns; check warns about what later steps bring, and does not fail.
    def map_columns(data: dict) -> None:
        data["log"] = {
            "path": "../event_logs/orders_2025.csv",
            "columns": {"case": "order_no", "activity": "step", "timestamp": "done_at",
                        "resource": "user", "customer": "debtor", "customer_name": "debtor_name"},
            "case_attributes": ["product_line", "order_value", "promised_by"],
            "timezone": "Europe/Berlin",
        }  # fmt: skip

    edit_study(study, map_columns)
    output = invoke("check", "acme/scenarios")
    assert "roles.chase_call: 'Customer chase call' is not an activity" in output
    assert "customers.crm_tiers" in output and "does not exist" in output
    quality = json.loads((company / "acme/outputs/check/quality.json").read_text())
    assert quality["findings"][0]["kind"] == "study_file"
    flags = ["--case", "order_no", "--activity", "step", "--timestamp", "done_at"]
    invoke("check", "acme/event_logs/orders_2025.csv", *flags, "--out", "flags-check")

    # 2. Say what the activities mean; mine goes on without the CRM file step 3 brings.
    edit_study(study, lambda data: data["roles"].update(chase_call=CHASE))
    output = invoke("mine", "acme/scenarios")
    assert "crm_tiers" in output
    assert (company / "acme/outputs/mine/maps.html").is_file()

    # 3. Customers, tiers and SLAs; the tables are printed.
    shutil.copy(company / "crm_export.csv", company / "acme" / "event_logs")

    def customers_and_slas(data: dict) -> None:
        data["customers"] = {
            "value": "order_value",
            "crm_tiers": {"path": "../event_logs/crm_export.csv", "id_column": "debtor",
                          "tier_column": "segment"},
        }  # fmt: skip
        data["sla"] = {
            "key_account": {"promised_hours": 96,
                            "courtesy_milestones": ["Order confirmed", "Shipped"],
                            "chase_response_hours": 4},
            "default": {"promised_hours": 168, "chase_response_hours": 24},
        }  # fmt: skip

    edit_study(study, customers_and_slas)
    output = invoke("customers", "acme/scenarios")
    assert "Customer tiers" in output and "SLA attainment per tier" in output
    assert "key_account" in output and "Overdue reorders" in output
    assert (company / "acme/outputs/customers/customers.csv").is_file()

    # 4. An option as a scenario; fit, then simulate finds the model fit just wrote.
    (company / "acme/scenarios/two_more_agents.yaml").write_text(
        "extends: baseline.yaml\n"
        "description: Two more customer-service agents, key accounts first.\n"
        "policy:\n"
        "  discipline: tier_priority\n"
        "  staffing:\n"
        '    pools: {"role:chase_call": {add: 2}}\n',
        encoding="utf-8",
    )
    invoke("fit", "acme/scenarios")
    assert (company / "acme/outputs/fit/model.json").is_file()
    invoke("simulate", "acme/scenarios/two_more_agents.yaml", *FAST)
    assert (company / "acme/outputs/simulate/two_more_agents/kpis.csv").is_file()

    # 5. Run it.
    output = invoke("study", "acme/scenarios", "--out", "acme/outputs/study", *FAST)
    assert "Report: acme/outputs/study/report/report.html" in output
    assert (company / "acme/outputs/study/simulate/two_more_agents/kpis.csv").is_file()


def test_study_without_a_study_says_it_runs_the_demo(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import l2csim.pipeline.run as pipeline

    monkeypatch.chdir(tmp_path)
    ran = []

    def fake_run(target, out, options, progress=None):
        ran.append(target)
        raise KeyboardInterrupt  # stop before any work; the message came first

    monkeypatch.setattr(pipeline, "run_study", fake_run)
    result = CliRunner().invoke(cli, ["study"])
    assert "bundled demo" in result.output and "l2csim study PATH/TO/scenarios" in result.output
    assert ran == [None]
