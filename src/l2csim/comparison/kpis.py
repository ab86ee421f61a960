"""What each KPI means to a reader: its label, whether lower or higher is better, its unit.

Used to word the readings and to judge improvements; KPIs not listed here are reported
without a direction ("changes" rather than "improves").
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Better = Literal["lower", "higher", "neither"]


@dataclass(frozen=True)
class KpiInfo:
    label: str
    better: Better
    share: bool = False  # a proportion in [0, 1]: differences read in percentage points


KPI_INFO: dict[str, KpiInfo] = {
    "backlog_mean": KpiInfo("mean backlog", "lower"),
    "backlog_p95": KpiInfo("backlog peaks (p95)", "lower"),
    "backlog_end": KpiInfo("backlog at the end", "lower"),
    "orders_arrived": KpiInfo("orders placed", "higher"),
    "orders_delivered": KpiInfo("orders delivered", "higher"),
    "lead_time_mean_hours": KpiInfo("lead time", "lower"),
    "lead_time_p50_hours": KpiInfo("median lead time", "lower"),
    "lead_time_p90_hours": KpiInfo("lead time p90", "lower"),
    "sla_attainment": KpiInfo("SLA attainment", "higher", share=True),
    "chase_calls": KpiInfo("chase calls", "lower"),
    "chase_calls_per_week": KpiInfo("chase calls per week", "lower"),
    "courtesy_calls_made": KpiInfo("courtesy calls made", "neither"),
    "courtesy_calls_owed": KpiInfo("courtesy calls owed", "neither"),
    "courtesy_calls_owed_made": KpiInfo("owed courtesy calls made", "higher"),
    "rework_steps": KpiInfo("rework steps", "lower"),
    "staff_busy_hours": KpiInfo("staff hours worked", "neither"),
    "staff_utilisation": KpiInfo("staff utilisation", "neither", share=True),
    "hours_lost_to_chase_calls": KpiInfo("hours lost to chase calls", "lower"),
    "customers_churned": KpiInfo("customers lost", "lower"),
    "revenue_at_risk_annual": KpiInfo("revenue at risk", "lower"),
    "review_reminders": KpiInfo("review reminders", "neither"),
    "customers_won_back": KpiInfo("customers won back", "higher"),
}

# Per-period series: charted, not compared row by row.
SERIES_KPIS = ("backlog_daily", "chase_calls_weekly")

# The KPIs (overall and per tier) a scenario's one-line reading draws on.
READING_KPIS = (
    "chase_calls",
    "lead_time_mean_hours",
    "sla_attainment",
    "backlog_mean",
    "revenue_at_risk_annual",
    "customers_churned",
)


def info(kpi: str) -> KpiInfo:
    return KPI_INFO.get(kpi, KpiInfo(kpi.replace("_", " "), "neither"))


def subject(kpi: str, tier: str = "", segment: str = "", pool: str = "") -> str:
    """'key-account chase calls', 'lead time (Spare parts)', 'staff utilisation of Warehouse'."""
    label = info(kpi).label
    if tier:
        label = f"{tier.replace('_', '-')} {label}"
    if segment:
        label = f"{label} ({segment})"
    if pool:
        label = f"{label} of {pool}"
    return label
