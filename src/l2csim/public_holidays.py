"""Public holidays by country and region, from the `holidays` package.

Kept apart from the fit so that checking a study file's `calendar.public_holidays` costs
the package's import only, not pandas'.
"""

from __future__ import annotations

import datetime as dt


def holiday_calendar(name: str, years: list[int]) -> dict[dt.date, str]:
    """Date -> holiday name of a country's public holidays ("DE", "GB-ENG", "US-CA");
    ValueError with the fix for a calendar the `holidays` package does not know."""
    import holidays

    country, _, region = name.strip().partition("-")
    try:
        calendar = holidays.country_holidays(
            country.upper(), subdiv=region.upper() or None, years=years
        )
    except NotImplementedError as exc:
        raise ValueError(
            f"unknown public-holiday calendar {name!r} ({exc}); name a country by its ISO "
            "code, with a region after a hyphen where holidays differ by region: 'DE', "
            "'GB-ENG', 'US-CA'"
        ) from None
    return dict(calendar.items())


def holiday_name(name: str) -> str:
    """A holiday's name without the '(observed)' of the day it is taken on."""
    return name.replace("(observed)", "").strip()
