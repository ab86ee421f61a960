"""The risk of tipping over, shown beside the statistical error: per option the share of
simulated years whose backlog runs away, how much more demand it takes before it does (its
headroom), and how far one simulated year can be from another (10th-90th percentile across
replications); and the appendix's words on how the intervals and the risk were made. All
of it from compare's comparison.json."""

from __future__ import annotations

from l2csim.report.html import esc, table
from l2csim.report.numbers import DASH, sig
from l2csim.report.words import Words

HOURS_PER_WEEK = 168.0
FIT_UNCERTAINTY_PARTS = {
    "arrival_rate_total": "total arrival rate",
    "processing_time_median": "processing times",
    "delay_share_median": "shares of orders waiting outside",
    "patience_scale_median": "customers' patience",
    "churn_odds_median": "each tier's odds of churning",
}


def _range(spread: dict | None, scale: float = 1.0, suffix: str = "") -> str:
    """'97–110': the 10th and 90th percentiles, three significant digits."""
    if not spread or spread.get("p10") is None or spread.get("p90") is None:
        return "n/a"
    low, high = float(spread["p10"]) * scale, float(spread["p90"]) * scale
    return f"{sig(low)}{DASH}{sig(high)}{suffix}"


def runaway_text(risk: dict) -> str:
    """'0% (95% CI 0–16%; 0 of 20)'."""
    from l2csim.comparison.risk import share_text

    share, low, high = (risk.get(k) for k in ("runaway_share", "runaway_low", "runaway_high"))
    if share is None or low is None or high is None:
        return "n/a (runs too short to judge)"
    head, _, rest = share_text(share, low, high).partition(" (")
    counted = f"{risk.get('runaway_replications', 0)} of {risk.get('judged', 0)}"
    return f"{head} (95% CI {rest.removesuffix(')')}; {counted})"


def risk_table(comparison: dict, words: Words | None = None) -> str:
    """One row per option: runaway share, demand headroom, and the spread of open orders,
    chase calls per week and on-time delivery across simulated years."""
    words = words or Words()
    risk = comparison.get("risk") or {}
    headroom = comparison.get("headroom") or {}
    names = [s.get("name") for s in comparison.get("scenarios", []) if s.get("name") in risk]
    if not names:
        return ""
    baseline = comparison.get("baseline")
    rows, classes = [], []
    for name in names:
        mine = risk[name]
        spread = mine.get("spread") or {}
        found = headroom.get(name)
        title = name.replace("_", " ") + (" (today)" if name == baseline else "")
        rows.append(
            [
                esc(title),
                esc(runaway_text(mine)),
                esc(found["text"]) if found else "not searched",
                esc(_range(spread.get("backlog_mean"))),
                esc(_range(spread.get("chase_calls_per_week"))),
                esc(_range(spread.get("sla_attainment"), 100, "%")),
            ]
        )
        little = found is not None and _little(found)
        share = mine.get("runaway_share")
        classes.append("at-risk" if little or (share and share > 0.1) else "")
    headers = [
        "Option",
        "Years that run away (95% CI)",
        "Demand headroom (95% CI)",
        f"Open {words.cases}, 10th{DASH}90th pct",
        f"Chase calls per week, 10th{DASH}90th pct",
        f"On time, 10th{DASH}90th pct",
    ]
    searched = next(iter(headroom.values()), None)
    caption = (
        "Risk beside the statistical error. A simulated year runs away when its backlog is "
        "still climbing steeply at the end or has settled far above where it started (see "
        "the appendix). Demand headroom: how much more demand than the option assumes until "
        "more than 10% of simulated years run away"
        + (
            f" ({searched['replications']} runs of {searched['horizon']} per demand factor, "
            f"factors up to x{max(searched.get('grid') or [2.0]):g})"
            if searched
            else ""
        )
        + ". The percentiles say how different one year can be: in one year of ten the "
        "figure is below the first number, in one of ten above the second."
    )
    body = table(headers, rows, cls="risk", row_classes=classes, caption=caption, raw=True)
    notes = [
        found["message"]
        for found in headroom.values()
        if found.get("status") == "beyond_range" or _little(found)
    ]
    extra = "".join(f'<p class="risk-note">{esc(n)}.</p>' for n in notes)
    return f'<div class="risk" id="risk">{body}{extra}</div>'


def _little(found: dict) -> bool:
    from l2csim.comparison.headroom import little_headroom

    return little_headroom(found)


def uncertainty_assumptions(comparison: dict | None) -> list[str]:
    """The appendix's sentences on the fit's uncertainty, runaways and headroom."""
    if not comparison:
        return []
    items = []
    fit = comparison.get("fit_uncertainty") or {}
    if fit.get("used"):
        spread = fit.get("spread") or {}
        parts = [
            f"{words} ±{100 * float(spread[key]):.1f}%"
            for key, words in FIT_UNCERTAINTY_PARTS.items()
            if isinstance(spread.get(key), int | float) and spread[key] > 0
        ]
        items.append(
            "The intervals include the fit's own uncertainty: replication i ran on parameter "
            f"set i mod {fit.get('draws')} drawn by a {fit.get('method')} (seed "
            f"{fit.get('seed')}), the same set in every option, so differences stay paired; "
            "arrival rates, routing, processing times, customers' patience, waits outside "
            "and each tier's churn rate (from the churned customers it rests on) vary; teams, "
            "shifts and the churn model's experience effects stay as fitted"
            + (f" (variation across sets: {', '.join(parts)})" if parts else "")
            + "."
        )
    else:
        reason = fit.get("reason") or "no parameter draws"
        items.append(
            "The intervals do not include the fit's own uncertainty: every replication ran on "
            f"the one fitted model ({reason}); they show the simulation's randomness only."
        )
    risk = next(iter((comparison.get("risk") or {}).values()), {})
    if risk.get("runaway_definition"):
        items.append(
            f"Runaway: {risk['runaway_definition']}; the share of such years has a Wilson "
            "95% interval."
        )
    searched = next(iter((comparison.get("headroom") or {}).values()), None)
    if searched:
        grid = searched.get("grid") or []
        items.append(
            "Demand headroom: every arrival rate is multiplied by factors from "
            f"x{min(grid, default=1):g} to x{max(grid, default=2):g} with "
            f"{searched['replications']} runs of {searched['horizon']} each (after a "
            f"{searched['warmup']} warm-up, the same random streams and parameter sets at "
            "every factor); the headroom is where the runaway share passes "
            f"{100 * float(searched['threshold']):.0f}% (interpolated between the bracketing "
            "factors), its interval where the share's Wilson bounds do. With fewer than 35 "
            "runs per factor the interval's lower end is usually 0%: so few runs cannot rule "
            "out a 10% risk even where none ran away."
        )
    return items
