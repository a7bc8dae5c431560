"""Public holidays by country (the `holidays` package), for business days and the support team's hours."""

from __future__ import annotations

from datetime import date
from functools import lru_cache

import holidays


@lru_cache(maxsize=64)
def _holidays(country: str, year: int) -> holidays.HolidayBase:
    return holidays.country_holidays(country, years=year)


def is_holiday(day: date, country: str) -> bool:
    """A public holiday of `country` (ISO alpha-2); an empty country has none."""
    return bool(country) and day in _holidays(country, day.year)
