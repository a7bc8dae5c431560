"""The core's domain rules at their boundaries (bot/core/domain)."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from bot.core.domain.catalogue import CATALOGUE
from bot.core.domain.countries import parse_country
from bot.core.domain.rules import (
    Document,
    add_business_days,
    document_problems,
    eligible_tiers,
    expected_approval_date,
    has_green_tick,
    invoice_due_date,
    is_invited,
    missing_product_fields,
    new_membership_number,
    points_to_invitation,
    product_points,
    validate_dealer,
    validate_purchase_date,
    validate_serial_number,
)
from bot.core.domain.rules import (
    DocumentKind as K,
)

VAT_INVOICE = Document(K.BUSINESS_INVOICE, shows_company_name=True, shows_vat_number=True)
PLAIN_INVOICE = Document(K.BUSINESS_INVOICE, shows_company_name=True, shows_address=True)


@pytest.mark.parametrize("vat, documents, problems", [
    (True, [Document(K.VAT_CERTIFICATE)], []),
    (True, [VAT_INVOICE], []),
    (True, [Document(K.BUSINESS_INVOICE, shows_company_name=True)], ["vat_document_required"]),
    (True, [Document(K.BUSINESS_LICENCE, shows_company_name=True, shows_address=True)], ["vat_document_required"]),
    (True, [], ["no_documents"]),
    (False, [PLAIN_INVOICE], []),
    (False, [Document(K.BUSINESS_LICENCE, shows_company_name=True, shows_address=True)], []),
    (False, [Document(K.INCORPORATION_EXTRACT, shows_company_name=True, shows_address=True)], []),
    (False, [Document(K.INCORPORATION_EXTRACT, shows_company_name=True)], ["non_vat_document_required"]),
    (False, [Document(K.VAT_CERTIFICATE)], ["vat_certificate_for_non_vat_business", "non_vat_document_required"]),
])
def test_document_sets(vat, documents, problems):
    assert document_problems(vat, documents) == problems


@pytest.mark.parametrize("submitted, country, expected", [
    (date(2026, 11, 23), "LT", date(2026, 11, 25)),  # Monday -> Wednesday
    (date(2026, 11, 26), "LT", date(2026, 11, 30)),  # Thursday -> over the weekend -> Monday
    (date(2026, 11, 28), "LT", date(2026, 12, 1)),   # submitted on a Saturday
    (date(2026, 12, 23), "LT", date(2026, 12, 29)),  # Christmas Eve and Christmas are Lithuanian holidays
    (date(2026, 2, 13), "LT", date(2026, 2, 18)),    # 16 February, Lithuanian State Day
    (date(2026, 2, 13), "DE", date(2026, 2, 17)),    # ...but not a German holiday
])
def test_approval_date_skips_weekends_and_national_holidays(submitted, country, expected):
    assert expected_approval_date(submitted, country) == expected


def test_add_business_days_zero_is_the_same_day():
    assert add_business_days(date(2026, 11, 28), 0, "LT") == date(2026, 11, 28)


COMPLETE = {"serial_number": "123456", "purchase_date": date(2024, 3, 15), "country_of_purchase": "LT",
            "dealer": "Foto Centras"}


def test_complete_product_has_green_tick_and_points():
    assert missing_product_fields(COMPLETE) == [] and has_green_tick(COMPLETE)
    assert product_points("EOS-R5", COMPLETE) == CATALOGUE["EOS-R5"].points == 300


def test_incomplete_product_says_what_is_missing_and_has_no_points():
    product = {**COMPLETE, "serial_number": None, "dealer": ""}
    assert missing_product_fields(product) == ["serial_number", "dealer"]
    assert not has_green_tick(product) and product_points("EOS-R5", product) == 0


@pytest.mark.parametrize("text, expected", [("123456", "123456"), (" ab 12 34 56 ", "AB123456"),
                                            ("0312-004567", "0312-004567")])
def test_plausible_serials(text, expected):
    assert validate_serial_number(text) == expected


@pytest.mark.parametrize("text", ["", "12345", "abcdefgh", "12 34", "1" * 21, "12345!", "-123456"])
def test_implausible_serials(text):
    with pytest.raises(ValueError, match="implausible_serial_number"):
        validate_serial_number(text)


def test_purchase_date_boundaries():
    today = date(2026, 11, 25)
    assert validate_purchase_date(today, today) == today
    with pytest.raises(ValueError, match="purchase_date_in_future"):
        validate_purchase_date(date(2026, 11, 26), today)
    with pytest.raises(ValueError, match="purchase_date_too_early"):
        validate_purchase_date(date(1986, 12, 31), today)


def test_dealer():
    assert validate_dealer("  Foto   Centras ") == "Foto Centras"
    for bad, code in (("   ", "dealer_empty"), ("x" * 121, "dealer_too_long")):
        with pytest.raises(ValueError, match=code):
            validate_dealer(bad)


@pytest.mark.parametrize("text, code", [("Lietuva", "LT"), ("lietuva", "LT"), ("LTU", "LT"), ("lt", "LT"),
                                        ("Vokietija", "DE"), ("Germany", "DE"), ("Didžioji Britanija", "GB"),
                                        ("didzioji britanija", "GB"), ("UK", "GB"), ("Lenkija", "PL")])
def test_countries_in_lithuanian_english_and_codes(text, code):
    assert parse_country(text) == code


@pytest.mark.parametrize("text", ["", "Atlantis", "xx"])
def test_unknown_countries(text):
    with pytest.raises(ValueError, match="unknown_country"):
        parse_country(text)


@pytest.mark.parametrize("points, invited, missing", [(0, False, 500), (499, False, 1), (500, True, 0),
                                                      (501, True, 0)])
def test_invitation_at_500(points, invited, missing):
    assert is_invited(points) is invited and points_to_invitation(points) == missing


@pytest.mark.parametrize("points, tiers", [
    (499, []), (500, ["silver"]), (999, ["silver"]), (1000, ["silver", "gold"]), (1599, ["silver", "gold"]),
    (1600, ["silver", "gold", "platinum"]), (2000, ["silver", "gold", "platinum"]),
    (2500, ["silver", "gold", "platinum"]), (2501, ["silver", "gold", "platinum", "enterprise"]),
])
def test_eligible_tiers_at_their_boundaries(points, tiers):
    assert [tier.code for tier in eligible_tiers(points)] == tiers


def test_invoice_due_30_days_after_issue():
    assert invoice_due_date(datetime(2026, 11, 25, 10, 0)) == date(2026, 12, 25)


def test_membership_numbers_are_new():
    taken = {new_membership_number() for _ in range(50)}
    assert new_membership_number(taken) not in taken
