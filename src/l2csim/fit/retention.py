"""Retention: the churn model of the customers analysis when present, else stated defaults.

The customers analysis (`l2csim customers`) writes `retention_model.json`; a file with an
`intercept` and `coefficients` (at the top or under `model`) is used as it is. Without one
the defaults below apply, and the model file and its notes say so: they are an assumption
for relative comparisons of policies, not a measurement.
"""

from __future__ import annotations

import json
from pathlib import Path

from l2csim.errors import InputError
from l2csim.params import Provenance, RetentionParams

DEFAULT_INTERCEPT = -4.0
DEFAULT_COEFFICIENTS = {"chase_calls": 0.3, "courtesy_calls": -0.2, "late_orders": 0.5}
KNOWN_VARIABLES = set(DEFAULT_COEFFICIENTS)
CUSTOMERS_SCHEMA = "l2csim/retention-model/"
# The customers analysis' variable names → the simulation's experience variables.
CUSTOMERS_VARIABLES = {
    "late": "late_orders",
    "chase_calls": "chase_calls",
    "courtesy_calls": "courtesy_calls",
}


def default_retention() -> RetentionParams:
    return RetentionParams(
        intercept=DEFAULT_INTERCEPT,
        coefficients=dict(DEFAULT_COEFFICIENTS),
        provenance=Provenance(
            source="default",
            detail="no retention_model.json: assumed churn logit, about 1.8 % per order",
        ),
    )


def load_retention(path: Path) -> RetentionParams:
    """Read the customers analysis' retention_model.json (or a plain intercept/coefficients
    file); a file without the needed keys is refused clearly.

    The customers analysis fits a per-order logit with the order's own experience (late 0/1,
    chase calls, courtesy calls), which is the simulation's model with a window of one order.
    """
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError, UnicodeDecodeError) as error:
        raise InputError(f"{path}: not a readable retention model ({error}).") from None
    if isinstance(data, dict) and str(data.get("schema", "")).startswith(CUSTOMERS_SCHEMA):
        return _from_customers_analysis(path, data)
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
        provenance=Provenance(source="retention_model", detail=path.name),
    )


def _from_customers_analysis(path: Path, data: dict) -> RetentionParams:
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
    sample = data.get("sample") or {}
    source = "retention_model" if data.get("source") == "fitted" else "study"
    detail = (
        f"{path.name}: logit fitted on {sample.get('orders', '?')} orders of "
        f"{sample.get('customers', '?')} customers ({sample.get('churned_customers', '?')} churned)"
        if source == "retention_model"
        else f"{path.name}: study-file churn parameters ({data.get('reason') or 'no fit'})"
    )
    return RetentionParams(
        intercept=estimates["const"],
        coefficients=coefficients,
        window_orders=1,
        provenance=Provenance(source=source, detail=detail),
    )
