"""forecast.html: the next weeks and the call list, on one self-contained page.

Built like the report (`l2csim.report`): the report's page template (inline CSS, a
Content-Security-Policy that forbids every load, no scripts), charts as inline SVG through
the report's sanitiser, every piece of text from the log escaped. Reading order: the bottom
line, the bands over the horizon per KPI (and per policy), the call list, the policies side
by side, how far the forecast can be trusted on this log (the backtest, when run), and how
the forecast was made.
"""

from __future__ import annotations

import io
import math
from pathlib import Path

import pandas as pd

from l2csim.comparison.numbers import readable
from l2csim.forecast.run import describe_as_of
from l2csim.output import write_text
from l2csim.report.html import esc, para, section, table
from l2csim.report.svg import sanitise_svg
from l2csim.report.template import page

CALL_LIST_ROWS = 30
CHART_KPIS = (
    ("backlog", "Open orders at the end of the day"),
    ("open_orders_delivered", "Today's open orders delivered (so far)"),
    ("arrived", "New orders per day"),
    ("delivered", "Deliveries per day"),
    ("late_deliveries", "Late deliveries per day"),
    ("chase_calls", "Chase calls per day"),
)
COLOURS = ("C0", "C1", "C2", "C3", "C4", "C5", "C6")


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams.update({"svg.hashsalt": "l2csim-forecast", "svg.fonttype": "path", "font.size": 8})
    return plt


def bands_chart(daily: pd.DataFrame, cases: str = "orders") -> str:
    """One small chart per KPI: each policy's mean and its 5-95 % band over the days."""
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    plt = _pyplot()
    fig, axes = plt.subplots(2, 3, figsize=(10.5, 5.6))
    scenarios = list(dict.fromkeys(daily["scenario"]))
    for ax, (kpi, title) in zip(axes.flat, CHART_KPIS, strict=True):
        for colour, scenario in zip(COLOURS, scenarios, strict=False):
            rows = daily[(daily["kpi"] == kpi) & (daily["scenario"] == scenario)]
            ax.fill_between(rows["day"], rows["p05"], rows["p95"], color=colour, alpha=0.18, lw=0)
            ax.plot(rows["day"], rows["mean"], color=colour, lw=1.3, label=str(scenario))
        ax.set_title(title.replace("orders", cases))
        ax.set_xlabel("day after as-of")
        ax.grid(alpha=0.3)
        ax.yaxis.set_major_formatter(FuncFormatter(readable))
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_ylim(bottom=0)
    axes.flat[0].legend(fontsize=7, frameon=False, loc="lower left")
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="svg", metadata={"Date": None})
    plt.close(fig)
    return sanitise_svg(buffer.getvalue(), "bands-")


def _band_text(daily: pd.DataFrame, scenario: str, kpi: str, day: int) -> str:
    rows = daily[(daily["scenario"] == scenario) & (daily["kpi"] == kpi) & (daily["day"] == day)]
    if rows.empty:
        return "n/a"
    row = rows.iloc[0]
    return f"{row['mean']:.0f} ({row['p05']:.0f}–{row['p95']:.0f})"


def _total(daily: pd.DataFrame, scenario: str, kpi: str) -> float:
    rows = daily[(daily["scenario"] == scenario) & (daily["kpi"] == kpi)]
    return float(rows["mean"].sum())


def bottom_line(result, cases: str) -> str:
    prepared = result.prepared
    daily = result.daily
    days = int(daily["day"].max())
    orders = result.orders
    overdue = int((prepared.open_orders["promised"] < prepared.as_of).sum())
    likely = int((orders["p_late"] >= 0.5).sum())
    week = min(7, days)
    text = [
        f"{len(orders):,} {cases} were open at as-of, {overdue:,} of them already past their "
        f"promise. Open {cases} in {week} days: {_band_text(daily, 'baseline', 'backlog', week)}; "
        f"in {days} days: {_band_text(daily, 'baseline', 'backlog', days)} (mean, 5–95 % band).",
        f"{likely:,} open {cases} are more likely than not to miss their promise; about "
        f"{_total(daily, 'baseline', 'late_deliveries'):.0f} late deliveries and "
        f"{_total(daily, 'baseline', 'chase_calls'):.0f} chase calls are expected over the "
        f"{days} days.",
    ]
    if result.error is None:
        text.append(
            "The bands show the simulation's spread only: the log is too short before as-of "
            "to measure the model's own error on its past (hindcasts), so they are too narrow."
        )
    return "".join(para(t) for t in text)


def call_list_table(orders: pd.DataFrame, currency: str) -> str:
    shown = orders.head(CALL_LIST_ROWS)
    rows = [
        (
            r.order,
            r.customer,
            r.tier,
            r.current_activity,
            f"{r.age_hours / 24:.1f}",
            r.promised[:16].replace("T", " "),
            f"{r.p_late:.0%}",
            r.delivery_p50[:16].replace("T", " ") or "after the horizon",
            r.delivery_p90[:16].replace("T", " ") or "after the horizon",
            f"{r.value_at_stake:,.0f}",
        )
        for r in shown.itertuples(index=False)
    ]
    headers = (
        "Order", "Customer", "Tier", "At / waiting for", "Age (days)", "Promised",
        "Chance late", "Delivery (median)", "Delivery (90 %)", f"Value ({currency})",
    )  # fmt: skip
    caption = (
        f"The {len(shown)} of {len(orders):,} open orders with the most value at stake times "
        "the chance of missing the promise (all in open_orders.csv)."
    )
    return table(headers, rows, cls="call-list", caption=caption)


def scenarios_table(result) -> str:
    daily = result.daily
    days = int(daily["day"].max())
    week = min(7, days)
    rows = []
    for name, description in result.scenarios.items():
        rows.append(
            (
                name,
                description,
                _band_text(daily, name, "backlog", week),
                _band_text(daily, name, "backlog", days),
                _band_text(daily, name, "open_orders_delivered", days),
                f"{_total(daily, name, 'late_deliveries'):.0f}",
                f"{_total(daily, name, 'chase_calls'):.0f}",
            )
        )
    headers = (
        "Policy", "What changes", f"Open on day {week}", f"Open on day {days}",
        f"Today's open delivered by day {days}", "Late deliveries", "Chase calls",
    )  # fmt: skip
    return table(
        headers,
        rows,
        cls="scenarios",
        caption="Mean (5–95 % band); late deliveries and chase calls summed over the horizon. "
        "Every policy meets the same orders and chance (common random numbers).",
    )


def backtest_section(backtest) -> str:
    summary = backtest.summary
    rows = []
    for m in summary["measures"]:
        reduction = m["error_reduction"]
        rows.append(
            (
                m["kpi"].replace("_", " "),
                str(m["day"]),
                str(m["cuts"]),
                f"{m['actual_mean']:.0f}",
                f"{m['forecast_coverage']:.0%}",
                f"{m['warmup_coverage']:.0%}",
                f"{m['forecast_mae']:.1f}",
                f"{m['warmup_mae']:.1f}",
                "n/a" if reduction is None else f"{reduction:.0%}",
            )
        )
    headers = (
        "KPI", "Day", "Cuts", "Actual (mean)", "In the forecast's 5–95 % band",
        "In the warm-up's band", "Forecast's mean error", "Warm-up's mean error",
        "Error cut by",
    )  # fmt: skip
    auc = summary.get("p_late_auc")
    auc_text = (
        f"Chance late ranks the open orders that were not yet due by whether they missed "
        f"their promise with AUC {auc:.2f} ({summary['p_late_late']:,} late of "
        f"{summary['p_late_orders']:,} orders over the cuts; 0.5 is guessing, 1 is perfect)."
        if auc is not None
        else "Too few orders missed their promise at the cuts to score the chance late (AUC)."
    )
    cuts = ", ".join(pd.Timestamp(c).strftime("%Y-%m-%d") for c in summary["cuts"])
    intro = (
        f"The log was cut at {len(summary['cuts'])} past dates ({cuts}); at each, the model "
        "was fitted from the log up to the cut only and the forecast made from the open "
        "orders there, then compared with what the log shows happened. Beside it, the same "
        f"model run from empty with a {summary['warmup_weeks']}-week warm-up, as simulation "
        "tools forecast. Coverage near 90 % means the bands can be trusted; a mean error "
        "well below the warm-up's means starting from today's orders pays."
    )
    per_cut = backtest.table[backtest.table["kpi"] != "p_late_auc"]
    detail = [
        (
            r.as_of,
            str(r.kpi).replace("_", " "),
            f"{r.day:.0f}",
            f"{r.actual:.0f}",
            f"{r.forecast_mean:.0f} ({r.forecast_p05:.0f}–{r.forecast_p95:.0f})",
            f"{r.warmup_mean:.0f} ({r.warmup_p05:.0f}–{r.warmup_p95:.0f})",
        )
        for r in per_cut.itertuples(index=False)
        if math.isfinite(r.forecast_mean)
    ]
    return (
        para(intro)
        + table(headers, rows, cls="backtest")
        + para(auc_text)
        + table(
            ("Cut", "KPI", "Day", "Actual", "Forecast (5–95 %)", "Warm-up (5–95 %)"),
            detail,
            cls="backtest-cuts",
            caption="Every cut.",
        )
    )


def method_section(result) -> str:
    prepared = result.prepared
    fitted = prepared.fitted.created_from
    period = (
        f"{pd.Timestamp(fitted.period_start):%Y-%m-%d} to {pd.Timestamp(fitted.period_end):%Y-%m-%d}"
        if fitted is not None
        else "the log up to as-of"
    )
    items = [
        f"The model was fitted from the log up to as-of only ({period}); intake is held at its "
        "level at as-of over the horizon.",
        "Each open order continues from its last step along the rest of a path drawn from its "
        "segment's routing, kept consistent with the steps it has done; an order already "
        "waiting keeps only what is left of its wait; its customer's patience carries on from "
        "the calls the log shows.",
    ]
    if result.error is not None:
        items.append(
            f"The bands add the model's own error, measured by running it from "
            f"{len(result.error.cuts)} past moments of the log (hindcasts) and comparing with "
            "what happened; the mean is the simulation's own."
        )
    away_now = sum(1 for team in prepared.staff.values() for days in team.values() if days)
    items.append(
        f"Whoever is away at as-of ({away_now} {'person' if away_now == 1 else 'people'}: no "
        "activity in the log on their last working day) stays away as long as one of their "
        "absences in the log that lasted longer; then each person works at their usual "
        "attendance, by month as fitted."
    )
    if prepared.staff_away:
        away = "; ".join(f"{pool}: {len(people)}" for pool, people in prepared.staff_away.items())
        items.append(
            "People who did nothing in the 28 days before as-of, longer than any absence of "
            f"theirs, are left out ({away})."
        )
    days = int(result.daily["day"].max())
    planned = prepared.planned_leave(days)
    if planned:
        items.append(
            f"{len(planned)} {'person is' if len(planned) == 1 else 'people are'} on planned "
            f"leave in the horizon ({sum(planned.values())} days in all, the study's leave "
            "plan): away on those days, and on the others at work as often as they are "
            "besides planned leave."
        )
    elif prepared.params.leave.first is None:
        items.append(
            "No leave plan is stated: holidays in the horizon come as often as the log shows "
            "them in its months, not on the weeks they are booked (calendar.leave states them)."
        )
    closed = prepared.closed_days(days)
    closures = prepared.params.closures
    if closed:
        reasons: dict[str, list[str]] = {}  # why closed -> the days, as the page writes them
        for day in closed:
            reasons.setdefault(closures.why_closed(day), []).append(f"{day:%a %d %b}")
        items.append(
            f"Nobody works on the {len(closed)} closed "
            f"{'day' if len(closed) == 1 else 'days'} in the horizon: "
            + "; ".join(f"{', '.join(dates)} ({why})" for why, dates in reasons.items())
            + "."
        )
    elif closures.first is not None and not closures.beyond and not closures.stated:
        items.append(
            "The model knows no closed days beyond the log: a public holiday in the horizon "
            "is worked through unless the study names its calendar (calendar.public_holidays)."
        )
    items.append(
        "Customers' reorder clocks are not carried: the model's customers order as a stream "
        "per tier."
    )
    return "<ul>" + "".join(f"<li>{esc(i)}</li>" for i in items) + "</ul>"


def build_page(result, backtest=None, study=None) -> str:
    cases = study.case_noun if study is not None else "orders"
    currency = (study.report.currency if study is not None else None) or "value units"
    title = study.title if study is not None else "Lead-to-cash study"
    sections: list[tuple[str, str, str]] = []
    if result is not None:
        prepared = result.prepared
        as_of = describe_as_of(prepared.as_of, prepared.timezone)
        days = int(result.daily["day"].max())
        subtitle = (
            f"Forecast from {as_of} over {days} days, "
            f"{len(result.runs['baseline'])} replications per policy"
        )
        body = [
            ("bottom-line", "The bottom line", bottom_line(result, cases)),
            (
                "bands",
                "The next days",
                '<figure class="chart">'
                + bands_chart(result.daily, cases)
                + "<figcaption>Mean and 5–95 % band per day; each colour a policy."
                "</figcaption></figure>",
            ),
            ("call-list", "Whom to call now", call_list_table(result.orders, currency)),
        ]
        if len(result.scenarios) > 1:
            body.append(("policies", "The policies side by side", scenarios_table(result)))
        sections += body
    else:
        subtitle = "Backtest of the forecast on this log"
    if backtest is not None:
        sections.append(("backtest", "Can this forecast be trusted?", backtest_section(backtest)))
    if result is not None:
        sections.append(("method", "How the forecast was made", method_section(result)))
    return page(f"{title}: forecast", subtitle, [(k, t, section(k, t, b)) for k, t, b in sections])


def write_page(path: Path, result, study=None, backtest=None) -> Path:
    """Write forecast.html (the forecast, the backtest, or both)."""
    return write_text(path, build_page(result, backtest, study))
