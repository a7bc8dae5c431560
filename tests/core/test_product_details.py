"""A product's registration details as customers type them (bot/core/domain/product_details.py), and the
countries they name in Lithuanian cases or short English answers (bot/core/domain/countries.py)."""

from __future__ import annotations

from datetime import date

import pytest

from bot.core.domain import product_details, rules
from bot.core.domain.countries import parse_country
from bot.core.domain.product_details import (
    PRODUCT_FIELDS,
    has_green_tick,
    missing_product_fields,
    parse_purchase_date,
    validate_dealer,
    validate_serial_number,
)
from bot.text import fold

TODAY = date(2026, 11, 25)


def test_rules_still_exports_the_product_details():
    for name in ("PRODUCT_FIELDS", "EARLIEST_PURCHASE", "missing_product_fields", "has_green_tick",
                 "validate_serial_number", "validate_purchase_date", "validate_dealer"):
        assert getattr(rules, name) is getattr(product_details, name)


def test_missing_fields_and_green_tick():
    complete = dict.fromkeys(PRODUCT_FIELDS, "x")
    assert missing_product_fields(complete) == [] and has_green_tick(complete)
    assert missing_product_fields({"dealer": "x", "purchase_date": ""}) == ["serial_number", "purchase_date",
                                                                           "country_of_purchase"]


# ------------------------------------------------------------------ dates with every part given

@pytest.mark.parametrize("text", [
    "2024-03-15", "2024.03.15", "2024/03/15", "2024 03 15", "2024.03.15.",
    "15.03.2024", "15/03/2024", "15-03-2024",
    "2024 m. kovo 15 d.", "2024 m. kovo 15", "2024 kovo 15", "kovo 15, 2024",
    "March 15, 2024", "15 March 2024", "15th of March 2024", "the 15th of March, 2024", "Mar 15 2024",
])
def test_full_dates(text):
    assert parse_purchase_date(text, TODAY) == date(2024, 3, 15)


@pytest.mark.parametrize("text, expected", [
    ("2025-1-5", date(2025, 1, 5)), ("5.1.2025", date(2025, 1, 5)), ("2025 m. sausio 5 d.", date(2025, 1, 5)),
    ("2024 m. vasario 29 d.", date(2024, 2, 29)), ("gruodžio 24, 2025", date(2025, 12, 24)),
    ("2025 m. GRUODŽIO 24 D.", date(2025, 12, 24)), ("24 December 2025", date(2025, 12, 24)),
    ("2026-11-25", TODAY),
])
def test_other_full_dates(text, expected):
    assert parse_purchase_date(text, TODAY) == expected


# ------------------------------------------------------------------ Lithuanian month names in every case

MONTHS = [
    ("sausis", "sausio", "sausį"), ("vasaris", "vasario", "vasarį"), ("kovas", "kovo", "kovą"),
    ("balandis", "balandžio", "balandį"), ("gegužė", "gegužės", "gegužę"), ("birželis", "birželio", "birželį"),
    ("liepa", "liepos", "liepą"), ("rugpjūtis", "rugpjūčio", "rugpjūtį"), ("rugsėjis", "rugsėjo", "rugsėjį"),
    ("spalis", "spalio", "spalį"), ("lapkritis", "lapkričio", "lapkritį"), ("gruodis", "gruodžio", "gruodį"),
]
ENGLISH_MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September",
                  "October", "November", "December"]


@pytest.mark.parametrize("month, forms", enumerate(MONTHS, start=1))
def test_lithuanian_month_names_with_and_without_diacritics(month, forms):
    for form in forms:
        for text in (f"2024 {form}", f"2024 m. {form}", f"2024 m. {form.upper()}"):
            assert parse_purchase_date(text, TODAY) == date(2024, month, 1), text
            assert parse_purchase_date(fold(text), TODAY) == date(2024, month, 1), fold(text)


@pytest.mark.parametrize("month, name", enumerate(ENGLISH_MONTHS, start=1))
def test_english_month_names_and_abbreviations(month, name):
    for text in (f"{name} 2024", f"{name[:3]} 2024", f"{name[:3]}. 2024", name.lower() + " 2024"):
        assert parse_purchase_date(text, TODAY) == date(2024, month, 1), text


# ------------------------------------------------------------------ best guesses without a year or a day

@pytest.mark.parametrize("text, expected", [
    # a day and month without a year: the latest such date not after today
    ("kovo 15", date(2026, 3, 15)), ("kovo 15 d.", date(2026, 3, 15)), ("15 kovo", date(2026, 3, 15)),
    ("Mar 15", date(2026, 3, 15)), ("15.03", date(2026, 3, 15)), ("lapkričio 25", TODAY),
    ("lapkričio 26", date(2025, 11, 26)), ("gruodžio 24", date(2025, 12, 24)),
    ("December 24th", date(2025, 12, 24)),
    ("vasario 29", date(2024, 2, 29)),
    # a month without a day: the 1st; without a year: the latest such 1st not after today
    ("kovo mėn.", date(2026, 3, 1)), ("kovą", date(2026, 3, 1)), ("kova", date(2026, 3, 1)),
    ("march", date(2026, 3, 1)), ("lapkritį", date(2026, 11, 1)), ("gruodį", date(2025, 12, 1)),
    ("2024 kovas", date(2024, 3, 1)), ("2024 m. kovą", date(2024, 3, 1)), ("March 2024", date(2024, 3, 1)),
    ("03.2024", date(2024, 3, 1)), ("2024-03", date(2024, 3, 1)),
    # a year alone: 1 July
    ("2023", date(2023, 7, 1)), ("2023 m.", date(2023, 7, 1)), ("in 2023", date(2023, 7, 1)),
    ("2023 metais", date(2023, 7, 1)),
])
def test_best_guesses(text, expected):
    assert parse_purchase_date(text, TODAY) == expected


@pytest.mark.parametrize("text, expected", [
    ("šiandien", TODAY), ("siandien", TODAY), ("today", TODAY),
    ("vakar", date(2026, 11, 24)), ("yesterday", date(2026, 11, 24)),
    ("pernai", date(2025, 7, 1)), ("praeitais metais", date(2025, 7, 1)), ("last year", date(2025, 7, 1)),
    ("užpernai", date(2024, 7, 1)), ("uzpernai", date(2024, 7, 1)), ("the year before last", date(2024, 7, 1)),
    ("šiemet", date(2026, 7, 1)), ("siemet", date(2026, 7, 1)), ("this year", date(2026, 7, 1)),
    ("praeitą mėnesį", date(2026, 10, 1)), ("praeita menesi", date(2026, 10, 1)),
    ("last month", date(2026, 10, 1)),
    ("prieš 2 metus", date(2024, 11, 25)), ("pries 2 metus", date(2024, 11, 25)),
    ("2 years ago", date(2024, 11, 25)),
    ("prieš metus", date(2025, 11, 25)), ("a year ago", date(2025, 11, 25)),
    ("prieš 3 mėnesius", date(2026, 8, 25)), ("3 months ago", date(2026, 8, 25)),
    ("prieš savaitę", date(2026, 11, 18)), ("10 days ago", date(2026, 11, 15)),
    ("pernai kovą", date(2025, 3, 1)), ("last year in March", date(2025, 3, 1)),
    ("užpernai gruodžio 24", date(2024, 12, 24)),
])
def test_relative_dates(text, expected):
    assert parse_purchase_date(text, TODAY) == expected


@pytest.mark.parametrize("text, today, expected", [
    ("2026", date(2026, 3, 10), date(2026, 3, 10)),  # 1 July would be in the future: today instead
    ("šiemet", date(2026, 3, 10), date(2026, 3, 10)),
    ("this year", date(2026, 7, 1), date(2026, 7, 1)),
    ("2026", date(2026, 7, 2), date(2026, 7, 1)),
    ("3 months ago", date(2026, 5, 31), date(2026, 2, 28)),  # clamped to the end of February
    ("prieš 2 metus", date(2026, 2, 28), date(2024, 2, 28)),
    ("last month", date(2026, 1, 15), date(2025, 12, 1)),
])
def test_guesses_are_never_in_the_future(text, today, expected):
    assert parse_purchase_date(text, today) == expected


# ------------------------------------------------------------------ what cannot be read or cannot be true

@pytest.mark.parametrize("text", ["", "   ", "kažkada", "nežinau", "32.13.2024", "2024-02-30", "31.04.2024",
                                  "15", "kovo 32", "2024 123", "20240315", "0000", "2024 2025", "kovo balandžio",
                                  "pernai 2023", "birželio 31", "9" * 5000, "prieš " + "9" * 5000 + " dienų"])
def test_unreadable_dates(text):
    with pytest.raises(ValueError, match="^invalid_date$"):
        parse_purchase_date(text, TODAY)


@pytest.mark.parametrize("text", ["2027-01-01", "2026-11-26", "2027", "December 2026", "2026 m. gruodžio 1 d."])
def test_future_dates(text):
    with pytest.raises(ValueError, match="^purchase_date_in_future$"):
        parse_purchase_date(text, TODAY)


@pytest.mark.parametrize("text", ["1980", "1986-12-31", "1986 m. gruodis", "prieš 50 metų", "prieš 99999 dienų"])
def test_too_early_dates(text):
    with pytest.raises(ValueError, match="^purchase_date_too_early$"):
        parse_purchase_date(text, TODAY)


def test_earliest_possible_purchase():
    assert parse_purchase_date("1987-01-01", TODAY) == date(1987, 1, 1)


# ------------------------------------------------------------------ serial numbers and dealers

@pytest.mark.parametrize("text, expected", [("123456", "123456"), (" ab 12 34 56 ", "AB123456"),
                                            ("0312-004567", "0312-004567"), ("A1B2C3D4", "A1B2C3D4"),
                                            ("1" * 20, "1" * 20), ("gal XK-99 88 77", "XK-998877"),
                                            ("S/N: 0123 4567", "01234567"), ("SN 0123 4567", "01234567"),
                                            ("I think it's 123456.", "123456"), ("Manau, tai AB1234", "AB1234"),
                                            ("serijos nr. 0312-004567", "0312-004567")])
def test_plausible_serials(text, expected):
    assert validate_serial_number(text) == expected


@pytest.mark.parametrize("text", ["", "   ", "12345", "abcdefgh", "ABC123", "1" * 21, "12345!", "-123456",
                                  "123456-", "ąčę1234", "maybe", "serial number", "gal 12345"])
def test_implausible_serials(text):
    with pytest.raises(ValueError, match="^implausible_serial_number$"):
        validate_serial_number(text)


def test_dealers():
    assert validate_dealer("  Foto   Centras ") == "Foto Centras"
    assert validate_dealer("x" * 120) == "x" * 120
    for bad, code in (("", "dealer_empty"), ("  \n ", "dealer_empty"), ("x" * 121, "dealer_too_long")):
        with pytest.raises(ValueError, match=f"^{code}$"):
            validate_dealer(bad)


# ------------------------------------------------------------------ countries

@pytest.mark.parametrize("text, code", [
    ("Lietuvoje", "LT"), ("Lietuvoj", "LT"), ("Lietuvos", "LT"), ("Lietuvą", "LT"), ("lietuvoje", "LT"),
    ("iš Lenkijos", "PL"), ("is lenkijos", "PL"), ("Lenkijoje", "PL"), ("Vokietijoje", "DE"), ("Latvijoje", "LV"),
    ("Jungtinėje Karalystėje", "GB"), ("jungtineje karalysteje", "GB"), ("Didžiojoje Britanijoje", "GB"),
    ("Anglijoje", "GB"), ("JAV", "US"), ("Jungtinėse Amerikos Valstijose", "US"), ("Amerikoje", "US"),
    ("Nyderlanduose", "NL"), ("Olandijoje", "NL"), ("Prancūzijoje", "FR"), ("Izraelyje", "IL"), ("Egipte", "EG"),
    ("Čilėje", "CL"), ("Naujojoje Zelandijoje", "NZ"), ("Jungtiniuose Arabų Emyratuose", "AE"),
    ("Papua Naujojoje Gvinėjoje", "PG"), ("Pirkau Lietuvoje", "LT"), ("pirkau gana seniai Vokietijoje", "DE"),
])
def test_lithuanian_cases(text, code):
    assert parse_country(text) == code


@pytest.mark.parametrize("text, code", [
    ("in Germany", "DE"), ("from Latvia", "LV"), ("at Estonia", "EE"), ("in the UK", "GB"),
    ("the Netherlands", "NL"),
    ("in the USA", "US"), ("bought it in Poland", "PL"), ("I bought it in Lithuania.", "LT"), ("Germany!", "DE"),
    ("Korea, Republic of", "KR"), ("Côte d'Ivoire", "CI"),
])
def test_english_answers(text, code):
    assert parse_country(text) == code


@pytest.mark.parametrize("text, code", [("Lietuva", "LT"), ("LTU", "LT"), ("lt", "LT"), ("in", "IN"), ("IT", "IT"),
                                        ("at", "AT"), ("Didžioji Britanija", "GB"), ("UK", "GB")])
def test_names_and_codes_alone_still_work(text, code):
    assert parse_country(text) == code


@pytest.mark.parametrize("text", ["", "Atlantis", "xx", "in Atlantis", "iš Atlantidos", "per internetą",
                                  "bought it in Lithuania or Latvia", "it is in", "nežinau", "Lietuvoje " * 5000])
def test_unknown_countries(text):
    with pytest.raises(ValueError, match="^unknown_country$"):
        parse_country(text)
