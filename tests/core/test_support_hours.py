"""Support hours (bot/core/domain/support_hours.py) at their boundaries: opening and closing minutes, Friday
evening, daylight-saving changes in Vilnius, Lithuanian public holidays, and the special values."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.core.domain.support_hours import (
    estimated_wait_minutes,
    is_open,
    next_opening,
    parse_hours,
)

VILNIUS = ZoneInfo("Europe/Vilnius")
WEEKDAYS = parse_hours("Mon-Fri 08:00-17:00")


def local(*args: int) -> datetime:
    return datetime(*args, tzinfo=VILNIUS)


@pytest.mark.parametrize(
    "moment, expected",
    [
        (local(2026, 12, 2, 7, 59, 59), False),  # Wednesday
        (local(2026, 12, 2, 8, 0), True),
        (local(2026, 12, 2, 16, 59, 59), True),
        (local(2026, 12, 2, 17, 0), False),
        (local(2026, 12, 5, 10, 0), False),  # Saturday
        (local(2026, 12, 6, 10, 0), False),  # Sunday
    ],
)
def test_open_within_the_window_only(moment: datetime, expected: bool) -> None:
    assert is_open(moment, WEEKDAYS, "Europe/Vilnius", "LT") is expected


def test_the_same_instant_in_utc_gives_the_same_answer() -> None:
    assert is_open(datetime(2026, 12, 2, 6, 0, tzinfo=UTC), WEEKDAYS) is True  # 08:00 EET
    assert is_open(datetime(2026, 12, 2, 5, 59, tzinfo=UTC), WEEKDAYS) is False


def test_friday_evening_opens_on_monday_morning() -> None:
    opening = next_opening(local(2026, 12, 4, 17, 0), WEEKDAYS)
    assert opening == local(2026, 12, 7, 8, 0)
    assert opening.isoformat() == "2026-12-07T08:00:00+02:00"
    assert next_opening(local(2026, 12, 4, 16, 59), WEEKDAYS) == local(2026, 12, 4, 16, 59)  # open: now


def test_before_opening_on_a_weekday_opens_the_same_day() -> None:
    assert next_opening(local(2026, 12, 2, 6, 30), WEEKDAYS) == local(2026, 12, 2, 8, 0)


def test_spring_forward_moves_the_opening_an_hour_earlier_in_utc() -> None:
    # Clocks go from 03:00 EET to 04:00 EEST on Sunday 29 March 2026.
    friday_opening = datetime(2026, 3, 27, 6, 0, tzinfo=UTC)  # 08:00 +02:00
    assert is_open(friday_opening, WEEKDAYS) and not is_open(friday_opening - timedelta(seconds=1), WEEKDAYS)
    monday = next_opening(local(2026, 3, 27, 17, 0), WEEKDAYS)
    assert monday is not None and monday.isoformat() == "2026-03-30T08:00:00+03:00"
    assert monday.astimezone(UTC) == datetime(2026, 3, 30, 5, 0, tzinfo=UTC)
    assert is_open(datetime(2026, 3, 30, 5, 0, tzinfo=UTC), WEEKDAYS)
    assert not is_open(datetime(2026, 3, 30, 4, 59, 59, tzinfo=UTC), WEEKDAYS)
    assert not is_open(datetime(2026, 3, 30, 14, 0, tzinfo=UTC), WEEKDAYS)  # 17:00 EEST


def test_fall_back_moves_the_opening_an_hour_later_in_utc() -> None:
    # Clocks go from 04:00 EEST back to 03:00 EET on Sunday 25 October 2026.
    monday = next_opening(local(2026, 10, 23, 17, 0), WEEKDAYS)
    assert monday is not None and monday.isoformat() == "2026-10-26T08:00:00+02:00"
    assert not is_open(datetime(2026, 10, 26, 5, 30, tzinfo=UTC), WEEKDAYS)  # 07:30 EET
    assert is_open(datetime(2026, 10, 26, 6, 0, tzinfo=UTC), WEEKDAYS)


def test_a_public_holiday_is_closed_all_day() -> None:
    restoration_day = local(2026, 2, 16, 10, 0)  # Monday, Day of Restoration of the State of Lithuania
    assert not is_open(restoration_day, WEEKDAYS, "Europe/Vilnius", "LT")
    assert is_open(restoration_day, WEEKDAYS, "Europe/Vilnius", "")  # no country: no holidays
    assert next_opening(local(2026, 2, 13, 17, 0), WEEKDAYS) == local(2026, 2, 17, 8, 0)


def test_christmas_closes_from_christmas_eve_to_the_next_monday() -> None:
    assert not is_open(local(2026, 12, 24, 9, 0), WEEKDAYS)  # Thursday, Christmas Eve
    assert next_opening(local(2026, 12, 23, 17, 0), WEEKDAYS) == local(2026, 12, 28, 8, 0)


def test_always_and_never() -> None:
    always, never = parse_hours("always"), parse_hours("never")
    sunday_night = local(2026, 12, 6, 3, 0)
    assert is_open(sunday_night, always) and next_opening(sunday_night, always) == sunday_night
    assert not is_open(local(2026, 12, 2, 10, 0), never)
    assert next_opening(local(2026, 12, 2, 10, 0), never) is None


def test_several_rules_and_lists_of_days() -> None:
    hours = parse_hours("Mon,Wed 09:00-12:00; Sat 10:00-24:00")
    assert is_open(local(2026, 12, 2, 11, 59), hours) and not is_open(local(2026, 12, 3, 10, 0), hours)
    assert is_open(local(2026, 12, 5, 23, 59, 59), hours)
    assert next_opening(local(2026, 12, 2, 12, 0), hours) == local(2026, 12, 5, 10, 0)


@pytest.mark.parametrize(
    "spec", ["", "Mon-Fri", "Funday 08:00-17:00", "Mon-Fri 17:00-08:00", "Fri-Mon 08:00-17:00",
             "Mon 25:00-26:00", "Mon 08:60-09:00", "Mon 08:00-24:01"],
)
def test_unreadable_hours_are_refused(spec: str) -> None:
    with pytest.raises(ValueError):
        parse_hours(spec)


def test_a_naive_moment_is_refused() -> None:
    with pytest.raises(ValueError):
        is_open(datetime(2026, 12, 2, 10, 0), WEEKDAYS)


def test_estimated_wait_is_the_position_times_the_handling_time() -> None:
    assert [estimated_wait_minutes(p, 5) for p in (0, 1, 2, 3)] == [0, 5, 10, 15]
    assert estimated_wait_minutes(3, 2.5) == 8  # rounded up
