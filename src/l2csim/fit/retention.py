"""Retention: the churn model of the customers analysis when given, else no churn (stated).

The customers analysis (`l2csim customers`) writes `retention_model.json`: its `simulation`
block (intercept, tier offsets, the tiers that can churn, the experience effects and the
model without them) becomes RetentionParams as it is, the effects with their intervals and
sample sizes for the report. A file with an `intercept` and `coefficients` (at the top or
under `model`) is read as a stated model. Without a file no churn is simulated, and the
model's notes say so: a churn rate nobody measured is not shown as a finding.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

from l2csim.errors import InputError
from l2csim.params import (
    ChurnEvidence,
    Provenance,
    RetentionEffect,
    RetentionParams,
    RetentionTierOnly,
)

KNOWN_VARIABLES = {"chase_calls", "courtesy_calls", "late_orders"}
CUSTOMERS_SCHEMA = "l2csim/retention-model/"
# The customers analysis' variable names → the simulation's experience variables.
CUSTOMERS_VARIABLES = {
    "late": "late_orders",
    "chase_calls": "chase_calls",
    "courtesy_calls": "courtesy_calls",
}
OFF_DETAIL = (
    "no retention_model.json (run `l2csim customers` and fit with --retention): churn is not "
    "simulated"
)


def default_retention() -> RetentionParams:
    """No churn model given: no churn, said so (never an assumed rate shown as a finding)."""
    return RetentionParams(
        intercept=0.0,
        coefficients={},
        enabled=False,
        provenance=Provenance(source="default", detail=OFF_DETAIL),
    )


def load_retention(path: Path) -> RetentionParams:
    """Read the customers analysis' retention_model.json (or a plain intercept/coefficients
    file); a file without the needed keys is refused clearly."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError, UnicodeDecodeError) as error:
        raise InputError(f"{path}: not a readable retention model ({error}).") from None
    if isinstance(data, dict) and str(data.get("schema", "")).startswith(CUSTOMERS_SCHEMA):
        if isinstance(data.get("simulation"), dict):
            return _from_customers_analysis(path, data)
        return _from_first_schema(path, data)
    model = data.get("model", data) if isinstance(data, dict) else None
    if not isinstance(model, dict) or "intercept" not in model or "coefficients" not in model:
        raise InputError(
            f"{path}: a retention model needs 'intercept' and 'coefficients' "
            f"({', '.join(sorted(KNOWN_VARIABLES))}); rerun `l2csim customers`."
        )
    coefficients = {
        str(k): float(v) for k, v in sorted(model["coefficients"].items()) if k in KNOWN_VARIABLES
    }
    return RetentionParams(
        intercept=float(model["intercept"]),
        coefficients=coefficients,
        provenance=Provenance(source="study", detail=f"{path.name}: a stated churn model"),
    )


def _from_customers_analysis(path: Path, data: dict) -> RetentionParams:
    sim = data["simulation"]
    source = data.get("source")
    if not sim.get("enabled", False):
        return RetentionParams(
            intercept=0.0,
            coefficients={},
            enabled=False,
            provenance=Provenance(
                source="retention_model",
                detail=f"{path.name}: churn is not simulated ({data.get('reason') or 'off'})",
            ),
        )
    try:
        intercept = float(sim["intercept"])
        effects = {str(k): float(v) for k, v in (sim.get("effects") or {}).items()}
        offsets = {str(k): float(v) for k, v in (sim.get("tier_offsets") or {}).items()}
    except (KeyError, TypeError, ValueError) as error:
        raise InputError(
            f"{path}: the retention model's simulation block is incomplete ({error}); rerun "
            "`l2csim customers`."
        ) from None
    unknown = sorted(set(effects) - KNOWN_VARIABLES)
    if unknown:
        raise InputError(f"{path}: unknown experience variable(s) {unknown}.")
    tier_only = sim.get("tier_only")
    sample = data.get("sample") or {}
    label = data.get("label") or {}
    if source == "fitted":
        detail = (
            f"{path.name}: fitted on {sample.get('deliveries', '?')} deliveries of "
            f"{sample.get('customers', '?')} customers ({sample.get('churned_customers', '?')} "
            f"churned; {label.get('judged', '?')} judged, {label.get('censored', '?')} "
            "censored); experience effects are a stated hypothesis"
        )
        provenance = Provenance(source="retention_model", detail=detail)
    elif source == "tier_rates":
        detail = (
            f"{path.name}: each tier's churn rate, no experience effects ({data.get('reason')})"
        )
        provenance = Provenance(source="retention_model", detail=detail)
    else:
        detail = f"{path.name}: study-file churn parameters ({data.get('reason') or 'no fit'})"
        provenance = Provenance(source="study", detail=detail)
    evidence = _evidence(path, sim.get("tier_evidence") or {})
    pooled = sorted(t for t, e in evidence.items() if e.prior_trials is not None)
    if pooled:
        provenance = provenance.model_copy(
            update={
                "detail": f"{provenance.detail}; the rates of {', '.join(pooled)} pooled as far "
                "as the log cannot tell these tiers apart (empirical Bayes)"
            }
        )
    return RetentionParams(
        intercept=intercept,
        coefficients=dict(sorted(effects.items())),
        tier_offsets=dict(sorted(offsets.items())),
        churn_tiers=sim.get("churn_tiers"),
        tier_only=RetentionTierOnly(
            intercept=float(tier_only["intercept"]),
            tier_offsets={str(k): float(v) for k, v in tier_only["tier_offsets"].items()},
        )
        if isinstance(tier_only, dict)
        else None,
        effects=_effects(data.get("coefficients") or {}),
        window_orders=1,
        provenance=provenance,
        tier_evidence=evidence,
    )


def _evidence(path: Path, block: dict) -> dict[str, ChurnEvidence]:
    """Each tier's churned customers and trials (absent in files of older versions: the
    draws then keep the rates as fitted)."""
    out = {}
    for tier, entry in sorted(block.items()):
        pooled = isinstance(entry, dict) and "prior_trials" in entry
        try:
            churned, trials = float(entry["churned"]), float(entry["trials"])
        except (KeyError, TypeError, ValueError):
            churned = trials = math.nan
        if not (churned >= 0 and trials > 0):
            raise InputError(
                f"{path}: simulation.tier_evidence.{tier} needs churned >= 0 and trials > 0; "
                "rerun `l2csim customers`."
            )
        try:
            prior_churned = float(entry["prior_churned"]) if pooled else math.nan
            prior_trials = float(entry["prior_trials"]) if pooled else math.nan
        except (KeyError, TypeError, ValueError):
            prior_churned = prior_trials = math.nan
        if pooled and not (0 < prior_churned < prior_trials):
            raise InputError(
                f"{path}: simulation.tier_evidence.{tier} needs 0 < prior_churned < "
                "prior_trials; rerun `l2csim customers`."
            )
        out[str(tier)] = ChurnEvidence(
            churned=churned,
            trials=trials,
            prior_churned=prior_churned if pooled else None,
            prior_trials=prior_trials if pooled else None,
        )
    return out


def _effects(coefficients: dict) -> dict[str, RetentionEffect]:
    """The experience effects with their intervals and sample sizes, for the report."""
    out = {}
    for name, sim_name in CUSTOMERS_VARIABLES.items():
        entry = coefficients.get(name)
        if not isinstance(entry, dict):
            continue
        out[sim_name] = RetentionEffect(
            estimate=float(entry.get("estimate") or 0.0),
            ci_low=entry.get("ci_low"),
            ci_high=entry.get("ci_high"),
            status=entry.get("status", "estimated"),
            deliveries_with=entry.get("deliveries_with"),
            churned_with=entry.get("churned_with"),
            note=str(entry.get("note") or ""),
        )
    return out


def _from_first_schema(path: Path, data: dict) -> RetentionParams:
    """A retention_model.json of the first schema (a per-order logit without tiers)."""
    estimates = {
        name: float(entry["estimate"] if isinstance(entry, dict) else entry)
        for name, entry in (data.get("coefficients") or {}).items()
    }
    if "const" not in estimates:
        raise InputError(
            f"{path}: the retention model has no 'const' coefficient; rerun `l2csim customers`."
        )
    coefficients = {
        CUSTOMERS_VARIABLES[name]: value
        for name, value in sorted(estimates.items())
        if name in CUSTOMERS_VARIABLES
    }
    source = "retention_model" if data.get("source") == "fitted" else "study"
    return RetentionParams(
        intercept=estimates["const"],
        coefficients=coefficients,
        window_orders=1,
        provenance=Provenance(
            source=source,
            detail=f"{path.name}: an older churn model without tiers; rerun `l2csim customers`",
        ),
    )
