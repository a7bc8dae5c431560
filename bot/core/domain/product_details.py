"""A registered product's details as customers type them: serial number, purchase date (free text in
Lithuanian or English) and dealer. Shared by the core service and the Rasa action server, so it imports
nothing but the standard library and bot.text."""

from __future__ import annotations

import re
from calendar import monthrange
from datetime import date, timedelta
from typing import Mapping

from bot.text import fold

PRODUCT_FIELDS = ("serial_number", "purchase_date", "country_of_purchase", "dealer")
_SERIAL = re.compile(r"^[A-Z0-9][A-Z0-9-]{4,18}[A-Z0-9]$")
EARLIEST_PURCHASE = date(1987, 1, 1)  # the first EOS camera


def missing_product_fields(product: Mapping[str, object]) -> list[str]:
    """The mandatory registration details a product lacks, in PRODUCT_FIELDS order."""
    return [name for name in PRODUCT_FIELDS if product.get(name) in (None, "")]


def has_green_tick(product: Mapping[str, object]) -> bool:
    """A product with all four details has the green tick and its points are allocated."""
    return not missing_product_fields(product)


# Words customers put before a serial number ("gal XK-99 88 77", "S/N: 0123 4567", "I think it's 123456").
_SERIAL_LEAD_IN = frozenset(
    "gal galbut manau turbut rodos regis berods tai jis yra mano serijos serijinis numeris nr sn s/n serial "
    "number no maybe probably perhaps i think guess it its it's is the my".split()
)


def _without_lead_in(text: str) -> str:
    """The text after its leading hedge words and labels."""
    words = text.replace(":", " ").split()
    while words and fold(words[0].lower().strip(".,;!")) in _SERIAL_LEAD_IN:
        words.pop(0)
    return " ".join(words)


def validate_serial_number(text: str) -> str:
    """A plausible serial number: 6-20 letters, digits or dashes with at least 4 digits (upper-cased), after
    any leading hedge words or labels ("maybe", "S/N:")."""
    serial = "".join(_without_lead_in(text).split()).upper().rstrip(".")
    if not _SERIAL.match(serial) or sum(ch.isdigit() for ch in serial) < 4:
        raise ValueError("implausible_serial_number")
    return serial


def validate_purchase_date(value: date, today: date) -> date:
    """Not in the future and not before the first EOS camera."""
    if value > today:
        raise ValueError("purchase_date_in_future")
    if value < EARLIEST_PURCHASE:
        raise ValueError("purchase_date_too_early")
    return value


def validate_dealer(text: str) -> str:
    """A dealer name: not empty, at most 120 characters."""
    dealer = " ".join(text.split())
    if not dealer:
        raise ValueError("dealer_empty")
    if len(dealer) > 120:
        raise ValueError("dealer_too_long")
    return dealer


# ------------------------------------------------------------------ free-text purchase dates

# Folded month names, one line a month: Lithuanian nominative, genitive, accusative (and locative), then
# English.
_MONTH_NAMES = (
    "sausis sausio sausi sausyje january jan",
    "vasaris vasario vasari vasaryje february feb",
    "kovas kovo kova kove march mar",
    "balandis balandzio balandi balandyje april apr",
    "geguze geguzes geguzeje may",
    "birzelis birzelio birzeli birzelyje june jun",
    "liepa liepos liepoje july jul",
    "rugpjutis rugpjucio rugpjuti rugpjutyje august aug",
    "rugsejis rugsejo rugseji rugsejyje september sept sep",
    "spalis spalio spali spalyje october oct",
    "lapkritis lapkricio lapkriti lapkrityje november nov",
    "gruodis gruodzio gruodi gruodyje december dec",
)
_MONTHS = {name: number for number, names in enumerate(_MONTH_NAMES, start=1) for name in names.split()}

_SEP = r"\s*[-./\s]\s*"
_NUMERIC = (  # whole-text numeric dates and the order of their (year, month, day) groups
    (re.compile(rf"(\d{{4}}){_SEP}(\d{{1,2}}){_SEP}(\d{{1,2}})\.?"), (1, 2, 3)),  # 2024-03-15
    (re.compile(rf"(\d{{1,2}}){_SEP}(\d{{1,2}}){_SEP}(\d{{4}})\.?"), (3, 2, 1)),  # 15.03.2024
    (re.compile(rf"(\d{{4}}){_SEP}(\d{{1,2}})\.?"), (1, 2, None)),  # 2024-03
    (re.compile(rf"(\d{{1,2}}){_SEP}(\d{{4}})\.?"), (2, 1, None)),  # 03.2024
    (re.compile(r"(\d{1,2})[./](\d{1,2})\.?"), (None, 2, 1)),  # 15.03
)
_DAYS_BACK = {"siandien": 0, "today": 0, "vakar": 1, "yesterday": 1, "uzvakar": 2}
_YEARS_BACK = (
    (re.compile(r"\b(?:uzpernai|year before last)\b"), 2),
    (re.compile(r"\b(?:pernai|(?:praeitais|praejusiais) metais|last year)\b"), 1),
    (re.compile(r"\b(?:siemet|siais metais|this year)\b"), 0),
)
_MONTHS_BACK = (
    (re.compile(r"\b(?:(?:praeita|praejusi) menesi|last month)\b"), 1),
    (re.compile(r"\b(?:si menesi|this month)\b"), 0),
)
_AGO = re.compile(r"\bpries (?:(\d{1,6}) )?(dien|savait|menes|met)[a-z]*\b"
                  r"|\b(?:(\d{1,6})|an?|one) (day|week|month|year)s? ago\b")
_UNITS = {"dien": (1, 0), "day": (1, 0), "savait": (7, 0), "week": (7, 0),  # (days, months) per unit
          "menes": (0, 1), "month": (0, 1), "met": (0, 12), "year": (0, 12)}


def _date(year: int, month: int, day: int) -> date:
    try:
        return date(year, month, day)
    except ValueError:
        raise ValueError("invalid_date") from None


def _months_back(day: date, months: int) -> date:
    """`day` moved `months` months back, its day of the month clamped to that month's length."""
    year, index = divmod(day.year * 12 + day.month - 1 - months, 12)
    if year < EARLIEST_PURCHASE.year:
        raise ValueError("purchase_date_too_early")
    return date(year, index + 1, min(day.day, monthrange(year, index + 1)[1]))


def _latest(month: int, day: int, today: date) -> date:
    """The latest `day` of `month` not after today (a 29 February may be years back)."""
    for year in range(today.year, today.year - 8, -1):
        try:
            candidate = date(year, month, day)
        except ValueError:
            continue
        if candidate <= today:
            return candidate
    raise ValueError("invalid_date")


def _guess(year: int | None, month: int | None, day: int | None, today: date) -> date:
    """The best guess from whichever parts were given: no day -> the 1st; a year alone -> 1 July (at most
    today); no year -> the latest such date not after today."""
    if month is None:
        if year is None or day is not None:
            raise ValueError("invalid_date")
        guess = _date(year, 7, 1)
        return min(guess, today) if year <= today.year else guess
    if year is None:
        return _latest(month, day or 1, today)
    return _date(year, month, day or 1)


def _numeric(text: str, today: date) -> date | None:
    """A date written in digits only (year first, or day first), else None."""
    for pattern, order in _NUMERIC:
        match = pattern.fullmatch(text)
        if match:
            year, month, day = (None if i is None else int(match.group(i)) for i in order)
            return _guess(year, month, day, today)
    return None


def _relative(words: str, today: date) -> date | None:
    """today/yesterday, "N days/weeks/months/years ago", last or this month, else None."""
    for word in words.split():
        if word in _DAYS_BACK:
            return today - timedelta(days=_DAYS_BACK[word])
    ago = _AGO.search(words)
    if ago:
        count, unit = int(ago.group(1) or ago.group(3) or 1), ago.group(2) or ago.group(4)
        days, months = _UNITS[unit]
        try:
            return _months_back(today - timedelta(days=days * count), months * count)
        except OverflowError:
            raise ValueError("purchase_date_too_early") from None
    for pattern, back in _MONTHS_BACK:
        if pattern.search(words):
            return _months_back(today, back).replace(day=1)
    return None


def _from_parts(words: str, today: date) -> date:
    """A date from a year (digits or pernai/last year...), a month name and a day number, in any order."""
    tokens = words.split()
    numbers = [t for t in tokens if t.isdigit()]
    years = {int(n) for n in numbers if len(n) == 4}
    years |= {today.year - back for pattern, back in _YEARS_BACK if pattern.search(words)}
    days = {int(n) for n in numbers if len(n) <= 2}
    months = {_MONTHS[t] for t in tokens if t in _MONTHS}
    if any(len(n) not in (1, 2, 4) for n in numbers) or max(len(years), len(months), len(days)) > 1:
        raise ValueError("invalid_date")
    return _guess(*(next(iter(parts), None) for parts in (years, months, days)), today)


def parse_purchase_date(text: str, today: date) -> date:
    """A customer's purchase date in Lithuanian or English ("2024-03-15", "15.03.2024", "kovo 15", "pernai",
    "March 2024", "2 years ago", ...), best-guessed and validated: ValueError("invalid_date") when unreadable,
    else validate_purchase_date's codes."""
    folded = fold(text).strip()
    words = " ".join(re.findall(r"\d+|[a-z]+", folded))
    value = _numeric(folded, today) or _relative(words, today) or _from_parts(words, today)
    return validate_purchase_date(value, today)
