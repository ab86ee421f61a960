"""`l2csim customers`: identity, profiles, tiers, SLA attainment, overdue reorders, churn.

Wires the customer modules together in the order the analysis needs them: merges first
(nothing is counted under a duplicate id), then profiles and tiers, then SLA judgement per
tier (which gives each customer's lateness), then overdue reorders and the retention model.
A log without customers still gets SLA attainment; its retention model switches churn off.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from l2csim import layout
from l2csim.customers.churn import (
    churn_flags,
    churn_probability,
    fit_retention,
    label_churn,
)
from l2csim.customers.crm import crm_tier_of_canonical, disagreement, read_tier_table
from l2csim.customers.identity import parse_names
from l2csim.customers.merges import (
    canonical_ids,
    combine_decisions,
    customer_names,
    propose_merges,
    read_merges,
)
from l2csim.customers.profiles import add_lateness, profile_customers
from l2csim.customers.reorders import overdue_table, reorder_outlook
from l2csim.customers.tiers import assign_tiers, tier_summary, weight_stability
from l2csim.errors import InputError
from l2csim.inputs import Inputs, read_inputs_log
from l2csim.log import CASE, CUSTOMER, EventLog
from l2csim.orders import (
    OrderSpec,
    case_column,
    customer_tier_of_orders,
    logged_tiers,
    order_table,
    tier_of_orders,
)
from l2csim.output import write_csv, write_json
from l2csim.sla import UNKNOWN_TIER, attainment, judge_chases, judge_orders
from l2csim.study import CustomersSpec, TierSla

NO_CUSTOMERS = (
    "no customer column in this log: customer merges, profiles, tiers, overdue reorders and "
    "the fitted churn model are skipped (map the customer id with --customer or "
    "log.columns.customer); SLA attainment is reported for all orders as tier 'unknown' and "
    "retention_model.json switches churn off: without customers nobody can be seen leaving"
)


@dataclass(frozen=True)
class CustomersResult:
    """Files written and what the consultant should know about the run."""

    paths: list[Path]
    messages: list[str]
    customers: pd.DataFrame | None
    overdue: pd.DataFrame | None
    retention: dict


def run(inputs: Inputs, out: Path, as_of: str | pd.Timestamp | None = None) -> CustomersResult:
    """Read the log of `inputs` and write the customer outputs into `out`."""
    log = read_inputs_log(inputs)
    return analyse(log, inputs, out, as_of)


def analyse(
    log: EventLog, inputs: Inputs, out: Path, as_of: str | pd.Timestamp | None = None
) -> CustomersResult:
    """The whole customer analysis on a log already read."""
    study = inputs.study
    spec = study.customers if study else CustomersSpec()
    sla: dict[str, TierSla] = dict(study.sla) if study else {}
    messages: list[str] = []
    order_spec = OrderSpec(
        roles=study.roles if study else OrderSpec().roles,
        value=spec.value or _guess(log, ("value", "amount", "revenue"), messages, "value"),
        product=spec.products or _guess(log, ("product",), messages, "products"),
        segments=tuple(study.segment_columns) if study else (),
        promised_dates=tuple(sorted({r.promised_date for r in sla.values() if r.promised_date})),
        timezone=inputs.source.timezone,
    )
    _check_attributes(log, order_spec, study)
    table = order_table(log.events, order_spec)
    messages += list(table.notes)
    orders = table.orders
    moment = _as_of(as_of, orders)
    orders = orders.loc[orders["received"] <= moment].copy()
    paths: list[Path] = []
    tz = table.timezone

    customers = overdue = None
    profile = None
    if CUSTOMER in log.events and not table.has_customers:
        column = inputs.source.columns.customer or CUSTOMER
        raise InputError(
            f"{inputs.source.path}: the customer column {column!r} is empty in every row; "
            "map the column that holds customer ids (log.columns.customer or --customer), "
            "or leave it unmapped to analyse the log without customers."
        )
    if table.has_customers:
        known_ids = pd.Index(table.orders["customer"].dropna().astype(str).unique())
        matched = _match_columns(log, spec.match_columns, orders.index, study)
        merges = propose_merges(
            orders, spec.merge_threshold, spec.auto_merge_score, match_columns=matched
        )
        reviewed = (
            read_merges(study.resolve(spec.merges), known_ids) if study and spec.merges else None
        )
        merges = combine_decisions(merges, reviewed)
        paths.append(write_csv(out / layout.CUSTOMER_MERGES_CSV, merges))
        canonical = canonical_ids(orders, merges)
        orders["customer_id"] = orders["customer"]
        orders["customer"] = orders["customer"].map(canonical)
        n_merged = int((canonical != canonical.index).sum())
        messages.append(
            f"{len(merges)} candidate merge pair(s); {n_merged} customer id(s) merged into "
            f"another (review {out / 'customer_merges.csv'})"
        )
        profile = profile_customers(orders, moment, period_start=orders["received"].min())
        names = customer_names(orders)
        generic = parse_names(names)["generic"]
        tiering = assign_tiers(profile, spec.tiers, generic.index[generic.to_numpy(bool)])
        messages += list(tiering.notes)
        tier = tiering.tier
        crm_tier = None
        if spec.crm_tiers is not None:
            crm_spec = spec.crm_tiers
            crm = read_tier_table(
                study.resolve(crm_spec.path),
                crm_spec.id_column,
                crm_spec.tier_column,
                key="customers.crm_tiers",
            )
            crm_tier = crm_tier_of_canonical(crm, canonical)
            tier = crm_tier.reindex(tier.index).fillna(tier)
        logged = logged_tiers(log.events, study)
        if logged is None:
            orders["tier"] = orders["customer"].map(tier).fillna(UNKNOWN_TIER)
        else:
            # The log states each order's tier: it wins, as in every other stage.
            orders["tier"] = tier_of_orders(orders["case"], logged)
            stated = customer_tier_of_orders(orders)
            tier = stated.reindex(tier.index).fillna(tier)
            messages.append(_logged_tiers_note(study, stated, tiering.tier))
    else:
        messages.append(NO_CUSTOMERS)
        orders["tier"] = UNKNOWN_TIER

    # Judged at the log's end, as every stage judges: an order open past its promise is late.
    judged_at = orders["last_event"].max() if as_of is None else moment
    judged = judge_orders(orders, sla, table.milestones, tz, judged_at)
    keys = ["case", "tier", "received", *order_spec.segments]
    chases = judge_chases(table.chases, judged[keys], sla)
    if not sla:
        messages.append(
            "no sla section in the study: lead times and calls are reported, on-time "
            "attainment and lateness are not"
        )
    paths.append(
        write_csv(out / layout.SLA_CSV, attainment(judged, chases, list(order_spec.segments), tz))
    )

    if profile is not None:
        profile = add_lateness(profile, judged)
        outlook = reorder_outlook(profile, spec.reorders, moment)
        names = judged.dropna(subset=["customer_name"]).groupby("customer")["customer_name"].first()
        overdue = overdue_table(outlook, names, tier, tz)
        paths.append(write_csv(out / layout.OVERDUE_CSV, overdue))
        labels = label_churn(profile, spec.churn)
        retention = fit_retention(
            judged, profile, spec.churn, moment, until=judged_at, labels=labels
        )
        messages.append(_churn_note(retention))
        customers = _customer_table(
            canonical, profile, tiering, tier, crm_tier, outlook, retention, labels, names, tz
        )
        paths.append(write_csv(out / layout.CUSTOMERS_CSV, customers))
        summary = tier_summary(profile, tiering, spec.tiers.labels, spec.tiers.one_time)
        stability = weight_stability(profile, spec.tiers, tiering)
        paths.append(write_csv(out / layout.TIER_SUMMARY_CSV, summary))
        paths.append(
            write_json(
                out / layout.TIERS_JSON,
                _tiers_document(spec, tiering, summary, stability, tiering.tier, crm_tier),
            )
        )
    else:
        retention = fit_retention(
            judged, None, spec.churn, moment, reason="no customer column in the log"
        )
    if retention["source"] == "study_fallback":
        messages.append(f"retention model: {retention['reason']}")
    elif retention["source"] == "tier_rates":
        messages.append(
            f"retention model: each tier's churn rate only, experience effects 0 "
            f"({retention['reason']})"
        )
    elif retention["source"] == "off":
        messages.append(f"retention model: churn is not simulated ({retention['reason']})")
    paths.append(write_json(out / layout.RETENTION_MODEL_JSON, retention))
    return CustomersResult(paths, messages, customers, overdue, retention)


def _guess(log: EventLog, words: tuple[str, ...], messages: list[str], key: str) -> str | None:
    """A case attribute whose name suggests the order value or product, said out loud."""
    for column in sorted(c for c in log.events.columns if c.startswith("case:")):
        name = column.removeprefix("case:").lower()
        if any(w in name for w in words) and column not in ("case:customer", "case:concept:name"):
            messages.append(f"customers.{key} not set: using {column} (set it to choose)")
            return column
    return None


def _check_attributes(log: EventLog, spec: OrderSpec, study) -> None:
    wanted = [
        ("customers.products", spec.product),
        *[("sla promised_date", a) for a in spec.promised_dates],
    ]
    for key, name in wanted:
        if name is not None and case_column(name) not in log.events:
            where = study.source if study else log.source
            raise InputError(
                f"{where}: {key}: attribute {name!r} is not in the log; keep it with "
                "log.case_attributes (or --case-attribute)."
            )


def _match_columns(
    log: EventLog, columns: list[str], cases: pd.Index, study
) -> pd.DataFrame | None:
    """The study's match columns (e-mail, VAT, address...) per order, or None."""
    if not columns:
        return None
    found = {}
    for name in columns:
        column = case_column(name)
        if column not in log.events:
            raise InputError(
                f"{study.source if study else log.source}: customers.match_columns: attribute "
                f"{name!r} is not in the log; keep it with log.case_attributes (or "
                "--case-attribute), or remove it from match_columns."
            )
        found[name] = log.events.groupby(CASE, sort=True, observed=True)[column].first()
    return pd.DataFrame(found).reindex(cases)


def _as_of(value: str | pd.Timestamp | None, orders: pd.DataFrame) -> pd.Timestamp:
    """The review date: given, or the last order received (events after it are orders finishing)."""
    if value is None:
        return orders["received"].max()
    try:
        moment = pd.Timestamp(value)
    except ValueError:
        raise InputError(f"--as-of {value!r}: not a date; write it as YYYY-MM-DD.") from None
    if moment.tzinfo is None:
        moment = moment.tz_localize("UTC")
    if len(moment.isoformat()) <= 25 and moment == moment.normalize():
        moment = moment + pd.Timedelta(days=1) - pd.Timedelta(microseconds=1)  # the whole day
    if moment < orders["received"].min():
        raise InputError(
            f"--as-of {value}: before the first order ({orders['received'].min():%Y-%m-%d})."
        )
    return moment


def _logged_tiers_note(study, stated: pd.Series, profile_tier: pd.Series) -> str:
    """Where the tiers came from when the log states them, and how far the profile agrees."""
    attribute = study.mining.tier_attribute if study is not None else "tier"
    if stated.empty:
        return (
            f"tiers: the log's attribute {attribute!r} names no order's tier (every stage "
            "judges the orders as tier 'unknown'); customers keep their profile's tier"
        )
    agree = (profile_tier.reindex(stated.index) == stated).mean()
    return (
        f"tiers: the log's attribute {attribute!r} gives {len(stated)} customers their tier "
        f"(the tier most of their orders carry); the profile's tier agrees for {agree:.0%}"
    )


def _churn_note(retention: dict) -> str:
    """How many customers the churn label judged, found churned and censored."""
    label = retention["label"]
    if "judged" not in label:
        return "churn: no customers to judge"
    return (
        f"churn: {label['judged']} customers judged (at least {label['min_orders']} orders), "
        f"{label['churned']} churned (silence improbable at {label['confidence']:.1%} under "
        f"their own rhythm, at least {label['k_cadences']:g} cadences), {label['censored']} "
        f"censored (silence not yet improbable), {label['not_judged']} not judged (fewer "
        "orders)"
    )


def _customer_table(
    canonical, profile, tiering, tier, crm_tier, outlook, retention, labels, names, tz
):
    """customers.csv: one row per customer id as the log writes it, with its canonical profile."""
    rows = pd.DataFrame({"customer_id": canonical.index, "canonical_id": canonical.to_numpy()})
    rows["is_canonical"] = rows["customer_id"] == rows["canonical_id"]
    rows["name"] = rows["canonical_id"].map(names)
    rows["tier"] = rows["canonical_id"].map(tier)
    rows["profile_tier"] = rows["canonical_id"].map(tiering.tier)
    rows["crm_tier"] = rows["canonical_id"].map(crm_tier) if crm_tier is not None else pd.NA
    rows["score"] = rows["canonical_id"].map(tiering.score.round(4))
    shown = profile.copy()
    for column in ("first_order", "last_order"):
        shown[column] = shown[column].dt.tz_convert(tz).dt.strftime("%Y-%m-%d")
    shown = shown.drop(columns=["log_gap_mean", "log_gap_sd", "judged_orders"])
    shown["churned"] = churn_flags(labels)
    shown["churn_status"] = labels["status"]
    shown["churn_confidence"] = labels["confidence"].round(4)
    experience = pd.DataFrame(
        {
            "late": profile["late_share"],
            "chase_calls": profile["chase_per_order"],
            "courtesy_calls": profile["courtesy_per_order"],
        }
    )
    shown["churn_risk_per_order"] = churn_probability(
        retention, experience, tier.reindex(shown.index)
    ).round(5)
    shown["overdue"] = outlook["overdue"].reindex(shown.index, fill_value=False).astype(bool)
    numeric = shown.select_dtypes(include=[np.number]).columns
    shown[numeric] = shown[numeric].round(4)
    rows = rows.join(shown, on="canonical_id")
    return rows.sort_values(["canonical_id", "customer_id"], kind="stable").reset_index(drop=True)


def _tiers_document(spec, tiering, summary, stability, profile_tier, crm_tier) -> dict:
    tiers = spec.tiers
    document = {
        "method": tiers.method,
        "labels": [*tiers.labels, tiers.one_time],
        "weights_used": {k: round(v, 4) for k, v in sorted(tiering.weights.items())},
        "cutoffs": tiers.cutoffs,
        "notes": list(tiering.notes),
        "tiers": _records(summary),
        "stability": {
            "min_customers_kept": float(stability["customers_kept"].min())
            if len(stability)
            else None,
            "by_weight": _records(stability),
        },
        "crm": disagreement(profile_tier, crm_tier) if crm_tier is not None else None,
    }
    return document


def _records(frame: pd.DataFrame) -> list[dict]:
    """Rows as JSON-ready dicts (missing values as null, not NaN)."""
    return frame.astype(object).where(frame.notna(), None).to_dict(orient="records")
