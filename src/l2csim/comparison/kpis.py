"""What each KPI means to a reader: its label, whether lower or higher is better, its unit
and the range it can take.

Used to word the readings, to judge improvements and to clip intervals to what is possible
(a share stays within 0-100 %, a count or an amount of money at or above 0); KPIs not listed
here are reported without a direction ("changes" rather than "improves"). Units name the
case with `{cases}` and money with `{money}`, filled in by the reader (the study's
`case_noun` and currency).
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
    unit: str = ""  # what one unit of the value is: "{cases}", "hours", "{money} a year"
    lower: float | None = 0.0  # the least the value can be (None: unbounded)

    @property
    def upper(self) -> float | None:
        """The most the value can be (1 for a share)."""
        return 1.0 if self.share else None

    def bounds(self, scale: float = 1.0) -> dict[str, float | None]:
        """`lower`/`upper` keyword arguments for numbers.interval, in the shown scale."""
        return {
            "lower": None if self.lower is None else self.lower * scale,
            "upper": None if self.upper is None else self.upper * scale,
        }


KPI_INFO: dict[str, KpiInfo] = {
    "backlog_mean": KpiInfo("mean backlog", "lower", unit="open {cases}"),
    "backlog_p95": KpiInfo("backlog peaks (p95)", "lower", unit="open {cases}"),
    "backlog_end": KpiInfo("backlog at the end", "lower", unit="open {cases}"),
    "orders_arrived": KpiInfo("orders placed", "higher", unit="{cases}"),
    "orders_delivered": KpiInfo("orders delivered", "higher", unit="{cases}"),
    "lead_time_mean_hours": KpiInfo("lead time", "lower", unit="hours"),
    "lead_time_p50_hours": KpiInfo("median lead time", "lower", unit="hours"),
    "lead_time_p90_hours": KpiInfo("lead time p90", "lower", unit="hours"),
    "sla_attainment": KpiInfo("SLA attainment", "higher", share=True, unit="%"),
    "chase_calls": KpiInfo("chase calls", "lower", unit="calls"),
    "chase_calls_per_week": KpiInfo("chase calls per week", "lower", unit="calls/week"),
    "chase_calls_unanswered": KpiInfo(
        "chase calls nobody answered (callers hung up)", "lower", unit="calls"
    ),
    "courtesy_calls_made": KpiInfo("courtesy calls made", "neither", unit="calls"),
    "courtesy_calls_owed": KpiInfo("courtesy calls owed", "neither", unit="calls"),
    "courtesy_calls_owed_made": KpiInfo("owed courtesy calls made", "higher", unit="calls"),
    "rework_steps": KpiInfo("rework steps", "lower", unit="steps"),
    "staff_busy_hours": KpiInfo("staff hours worked", "neither", unit="hours"),
    "staff_utilisation": KpiInfo("staff utilisation", "neither", share=True, unit="%"),
    "hours_lost_to_chase_calls": KpiInfo("hours lost to chase calls", "lower", unit="hours"),
    "customers_churned": KpiInfo("customers lost", "lower", unit="customers"),
    "revenue_at_risk_annual": KpiInfo("revenue at risk", "lower", unit="{money} a year"),
    "customers_churned_tier_only": KpiInfo(
        "customers lost without the experience hypothesis", "lower", unit="customers"
    ),
    "revenue_at_risk_annual_tier_only": KpiInfo(
        "revenue at risk without the experience hypothesis", "lower", unit="{money} a year"
    ),
    "review_reminders": KpiInfo("review reminders", "neither", unit="reminders"),
    "customers_won_back": KpiInfo("customers won back", "higher", unit="customers"),
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
    return KPI_INFO.get(kpi, KpiInfo(kpi.replace("_", " "), "neither", lower=None))


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
