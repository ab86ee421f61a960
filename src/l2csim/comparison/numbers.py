"""Numbers written with no more digits than their uncertainty supports.

A value is rounded to the decade of its interval's half-width (half-width 7 -> whole
units, 0.3 -> one decimal, 25 -> tens), so "38% (95% CI 31-45%)" but never "38.27%".
Two exceptions keep a printed interval honest: an end that is not zero is never printed as
0 (it gets the one significant digit it needs, so a significant "+0.3 to +12" is not shown
as "0 to +12"), and an interval is clipped to what the quantity can be (a share to
0-100 %, a count or an amount of money to at least 0).
"""

from __future__ import annotations

import math

DASH = "\u2013"  # en dash between interval ends
MINUS = "\u2212"


def step_for(half_width: float, finest: float = 0.01) -> float:
    """The rounding step a half-width supports."""
    if not math.isfinite(half_width) or half_width <= 0:
        return finest
    return max(10.0 ** math.floor(math.log10(half_width)), finest)


def rounded(value: float, step: float) -> float:
    if not math.isfinite(value):
        return value
    return round(round(value / step) * step, 10)


def fmt(value: float, step: float, *, sign: bool = False, suffix: str = "") -> str:
    """`value` rounded to `step`, with thousands separators and a true minus sign."""
    if not math.isfinite(value):
        return "n/a"
    decimals = max(0, -math.floor(math.log10(step) + 1e-9))
    text = f"{abs(rounded(value, step)):,.{decimals}f}"
    if rounded(value, step) == 0:
        sign_text = ""
    elif value < 0:
        sign_text = MINUS
    else:
        sign_text = "+" if sign else ""
    return f"{sign_text}{text}{suffix}"


def end_step(value: float, step: float) -> float:
    """The step for an interval end: `step`, or finer when `step` would print a non-zero
    end as 0 (one significant digit)."""
    if not math.isfinite(value) or value == 0 or rounded(value, step) != 0:
        return step
    return max(10.0 ** math.floor(math.log10(abs(value))), 1e-6)


def clip(
    low: float, high: float, lower: float | None = None, upper: float | None = None
) -> tuple[float, float]:
    """An interval cut to what the quantity can be (e.g. a share to [0, 1])."""
    if lower is not None:
        low, high = max(low, lower), max(high, lower)
    if upper is not None:
        low, high = min(low, upper), min(high, upper)
    return low, high


def interval(
    low: float,
    high: float,
    step: float,
    *,
    sign: bool = False,
    suffix: str = "",
    lower: float | None = None,
    upper: float | None = None,
) -> str:
    """'31–45%' (or '−4 to +3%' when an end is negative, so the dash is not misread).

    `lower`/`upper`: what the quantity can be at least / at most; the ends are clipped to
    them. A non-zero end is never printed as 0 (see the module docstring).
    """
    low, high = clip(low, high, lower, upper)
    a = fmt(low, end_step(low, step), sign=sign)
    b = fmt(high, end_step(high, step), sign=sign)
    if low < 0 or sign:
        return f"{a} to {b}{suffix}"
    return f"{a}{DASH}{b}{suffix}"


def readable(value: float, _position: object = None) -> str:
    """An axis tick people read: 1,200 / 35k / 2.2M, never 1e7."""
    size = abs(value)
    if size >= 1e6:
        return f"{value / 1e6:.3g}M"
    if size >= 1e4:
        return f"{value / 1e3:.3g}k"
    return f"{value:,.4g}"
