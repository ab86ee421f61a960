"""fit takes tiers, SLAs and churn from the customers analysis and the study, explicitly."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from l2csim.cli import cli
from l2csim.params import load_params

REPO = Path(__file__).resolve().parents[2]
STUDY = REPO / "scenarios" / "study.yaml"


@pytest.fixture(scope="module")
def customers_out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("customers")
    result = CliRunner().invoke(cli, ["customers", str(STUDY), "--out", str(out)])
    assert result.exit_code == 0, result.output
    return out


def test_fit_uses_customer_tiers_sla_and_retention(customers_out: Path, tmp_path: Path) -> None:
    model_path = tmp_path / "model.json"
    result = CliRunner().invoke(
        cli,
        [
            "fit", str(STUDY), "--out", str(model_path),
            "--tiers", str(customers_out / "customers.csv"),
            "--retention", str(customers_out / "retention_model.json"),
        ],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    model = load_params(model_path)
    tiers = {t.name: t for t in model.tiers}
    assert {"key_account", "priority", "occasional", "one_time"} <= set(tiers)
    assert tiers["key_account"].rank == 0
    assert tiers["key_account"].courtesy_owed_at == ["Order confirmed", "Shipped", "Delivered"]
    assert tiers["priority"].courtesy_owed_at == ["Shipped", "Delivered"]
    assert tiers["occasional"].courtesy_owed_at == []
    churn = json.loads((customers_out / "retention_model.json").read_text())["coefficients"]
    # the sample's tiers are pooled: the simulation's intercept gives its tier the pooled rate
    assert model.retention.intercept == churn["const"]["pooled"] != churn["const"]["estimate"]
    assert model.retention.coefficients["late_orders"] == churn["late"]["estimate"]
    assert model.retention.provenance.source == "retention_model"


def test_fit_reads_no_outputs_implicitly(
    customers_out: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A retention model lying in ./outputs must not change a fit that did not ask for it."""
    planted = tmp_path / "outputs" / "customers"
    planted.mkdir(parents=True)
    (planted / "retention_model.json").write_text(
        (customers_out / "retention_model.json").read_text()
    )
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["fit", str(STUDY), "--out", "model.json"])
    assert result.exit_code == 0, result.output
    model = load_params(tmp_path / "model.json")
    assert model.retention.provenance.source == "default"
    # Without --tiers the study's CRM tier list applies.
    assert "key_account" in {t.name for t in model.tiers}


def test_tier_ranks_follow_the_studys_meaning_not_order_counts(tmp_path) -> None:
    """Key accounts are rank 0 even when priority customers order more often each."""
    import pandas as pd

    from l2csim.fit.customers import tier_order
    from l2csim.study import Study

    study = Study.model_validate(
        {"log": {"path": "log.csv"}, "sla": {"gold": {"promised_hours": 24}}}
    )
    per_customer = pd.Series({"priority": 9.0, "key_account": 2.0, "gold": 1.0, "odd": 5.0})
    labels = ["gold", "key_account", "one_time", "odd", "priority", "unknown"]
    order = tier_order(labels, study, per_customer)
    assert order == ["key_account", "priority", "one_time", "gold", "odd", "unknown"]
    assert tier_order(["b", "a"], None, pd.Series({"a": 1.0, "b": 3.0})) == ["b", "a"]
