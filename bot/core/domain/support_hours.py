"""When the support team works: weekly opening windows in a time zone, closed on the country's public
holidays (bot/core/domain/public_holidays.py).

Plain functions, no framework imports. A specification is

- `always` (open at every moment; tests and demos), `never` (never open), or
- one or more rules separated by `;`, each `<days> <HH:MM>-<HH:MM>`, where days are `Mon`..`Sun`, ranges
  (`Mon-Fri`) or lists (`Mon,Wed,Fri`), e.g. `Mon-Fri 08:00-17:00; Sat 09:00-13:00`. The end is exclusive and
  may be `24:00`; a window never spans midnight.

Windows are wall-clock times in the team's time zone, so at a daylight-saving change "08:00" moves in UTC.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from bot.core.domain.public_holidays import is_holiday

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DEFAULT_HOURS = "Mon-Fri 08:00-17:00"
DEFAULT_TIMEZONE = "Europe/Vilnius"
DEFAULT_COUNTRY = "LT"
SEARCH_DAYS = 400  # how far next_opening looks ahead before it gives up
_RULE = re.compile(r"^\s*([A-Za-z,\- ]+?)\s+(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")


@dataclass(frozen=True)
class Window:
    """An opening window on one weekday (0 = Monday), in minutes after local midnight, end exclusive."""

    weekday: int
    start: int
    end: int


@dataclass(frozen=True)
class SupportHours:
    """Parsed opening hours; `always` wins over windows."""

    windows: tuple[Window, ...] = ()
    always: bool = False

    def on(self, weekday: int) -> list[Window]:
        return sorted((w for w in self.windows if w.weekday == weekday), key=lambda w: w.start)


def _days(text: str) -> list[int]:
    result: list[int] = []
    for part in text.lower().replace(" ", "").split(","):
        first, _, last = part.partition("-")
        if first[:3] not in DAYS or (last and last[:3] not in DAYS) or len(first) < 3:
            raise ValueError(f"unknown day in {text!r}")
        start = DAYS.index(first[:3])
        end = DAYS.index(last[:3]) if last else start
        if end < start:
            raise ValueError(f"day range runs backwards in {text!r}")
        result.extend(range(start, end + 1))
    return result


def _minutes(hours: str, minutes: str) -> int:
    h, m = int(hours), int(minutes)
    if m > 59 or h > 24 or (h == 24 and m):
        raise ValueError(f"not a time of day: {hours}:{minutes}")
    return h * 60 + m


@lru_cache(maxsize=32)
def parse_hours(spec: str) -> SupportHours:
    """The opening hours of a specification (see the module's doc); ValueError when it cannot be read."""
    text = spec.strip()
    if text.lower() == "always":
        return SupportHours(always=True)
    if text.lower() == "never":
        return SupportHours()
    windows: list[Window] = []
    for rule in filter(None, (r.strip() for r in text.split(";"))):
        match = _RULE.match(rule)
        if not match:
            raise ValueError(f"cannot read the support hours rule {rule!r} (e.g. 'Mon-Fri 08:00-17:00')")
        start, end = _minutes(*match.group(2, 3)), _minutes(*match.group(4, 5))
        if end <= start:
            raise ValueError(f"the window of {rule!r} must end after it starts, on the same day")
        windows.extend(Window(day, start, end) for day in _days(match.group(1)))
    if not windows:
        raise ValueError("no support hours given (use 'always' or 'never' for the special cases)")
    return SupportHours(windows=tuple(windows))


def _local(moment: datetime, tz: str) -> datetime:
    if moment.tzinfo is None:
        raise ValueError("moment must be timezone-aware")
    return moment.astimezone(ZoneInfo(tz))


def _at(day: date, minutes: int, tz: str) -> datetime:
    """The aware moment of a wall-clock time (24:00 is the next midnight)."""
    local = datetime.combine(day, time(0), tzinfo=ZoneInfo(tz)) + timedelta(minutes=minutes)
    # Adding to an aware datetime is wall-clock arithmetic; a time in a spring-forward gap normalises
    # forwards.
    return local.astimezone(ZoneInfo(tz))


def is_open(moment: datetime, hours: SupportHours, tz: str = DEFAULT_TIMEZONE,
            country: str = DEFAULT_COUNTRY) -> bool:
    """Whether the team works at `moment` (aware): inside a window of its local weekday, not on a holiday."""
    if hours.always:
        return True
    local = _local(moment, tz)
    if is_holiday(local.date(), country):
        return False
    minute = local.hour * 60 + local.minute + (local.second + local.microsecond / 1e6) / 60
    return any(w.start <= minute < w.end for w in hours.on(local.weekday()))


def next_opening(moment: datetime, hours: SupportHours, tz: str = DEFAULT_TIMEZONE,
                 country: str = DEFAULT_COUNTRY) -> datetime | None:
    """`moment` itself when the team works then, else the start of the next window (aware, in `tz`);
    None when it never opens (`never`, or no window in the next SEARCH_DAYS days)."""
    if is_open(moment, hours, tz, country):
        return moment
    if not hours.windows:
        return None
    today = _local(moment, tz).date()
    for offset in range(SEARCH_DAYS):
        day = today + timedelta(days=offset)
        if is_holiday(day, country):
            continue
        for window in hours.on(day.weekday()):
            start = _at(day, window.start, tz)
            if start > moment:
                return start
    return None


def estimated_wait_minutes(queue_position: int, average_handling_minutes: float) -> int:
    """Position in the queue times the average handling time, rounded up to whole minutes."""
    return max(0, math.ceil(queue_position * average_handling_minutes))
