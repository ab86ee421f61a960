"""Numbers written with no more digits than their uncertainty supports.

A value is rounded to the decade of its interval's half-width (half-width 7 -> whole
units, 0.3 -> one decimal, 25 -> tens), so "38% (95% CI 31-45%)" but never "38.27%".
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


def interval(low: float, high: float, step: float, *, sign: bool = False, suffix: str = "") -> str:
    """'31–45%' (or '−4 to +3%' when an end is negative, so the dash is not misread)."""
    a = fmt(low, step, sign=sign)
    b = fmt(high, step, sign=sign)
    if low < 0 or sign:
        return f"{a} to {b}{suffix}"
    return f"{a}{DASH}{b}{suffix}"
