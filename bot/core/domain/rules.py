"""The seed document's rules: application documents, approval date, product completeness, points, tiers,
the CPS invitation, and membership orders. Plain functions, tested at their boundaries."""

from __future__ import annotations

import secrets
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import Enum

from bot.core.domain.catalogue import CATALOGUE, TIERS, Tier
from bot.core.domain.product_details import (  # noqa: F401 (re-exported: the product rules live there)
    EARLIEST_PURCHASE,
    PRODUCT_FIELDS,
    has_green_tick,
    missing_product_fields,
    validate_dealer,
    validate_purchase_date,
    validate_serial_number,
)
from bot.core.domain.public_holidays import is_holiday

# ------------------------------------------------------------------ application documents


class DocumentKind(str, Enum):
    VAT_CERTIFICATE = "vat_certificate"
    BUSINESS_INVOICE = "business_invoice"
    BUSINESS_LICENCE = "business_licence"
    INCORPORATION_EXTRACT = "incorporation_extract"


@dataclass(frozen=True)
class Document:
    """A document given with the application, and what it visibly shows."""

    kind: DocumentKind
    shows_company_name: bool = False
    shows_vat_number: bool = False
    shows_address: bool = False


NON_VAT_KINDS = (
    DocumentKind.BUSINESS_INVOICE, DocumentKind.BUSINESS_LICENCE, DocumentKind.INCORPORATION_EXTRACT
)

DOCUMENT_PROBLEMS = {
    "no_documents": "No document was given.",
    "vat_document_required": "A VAT-registered business must give its VAT registration certificate or a "
    "business invoice that clearly shows its VAT number and company name.",
    "vat_certificate_for_non_vat_business": "A business that is not VAT-registered cannot give a VAT "
    "certificate.",
    "non_vat_document_required": "A business that is not VAT-registered must give ONE of: a business "
    "invoice, a business or professional licence, or an incorporation extract, showing the company name and "
    "address.",
}


def _valid_vat_document(document: Document) -> bool:
    if document.kind is DocumentKind.VAT_CERTIFICATE:
        return True
    return (document.kind is DocumentKind.BUSINESS_INVOICE
            and document.shows_vat_number and document.shows_company_name)


def _valid_non_vat_document(document: Document) -> bool:
    return document.kind in NON_VAT_KINDS and document.shows_company_name and document.shows_address


def document_problems(vat_registered: bool, documents: Sequence[Document]) -> list[str]:
    """Problem codes (keys of DOCUMENT_PROBLEMS) of an application's documents; [] when they are
    acceptable."""
    if not documents:
        return ["no_documents"]
    if vat_registered:
        return [] if any(_valid_vat_document(d) for d in documents) else ["vat_document_required"]
    problems = []
    if any(d.kind is DocumentKind.VAT_CERTIFICATE for d in documents):
        problems.append("vat_certificate_for_non_vat_business")
    if not any(_valid_non_vat_document(d) for d in documents):
        problems.append("non_vat_document_required")
    return problems


# ------------------------------------------------------------------ approval date

APPROVAL_BUSINESS_DAYS = 2


def is_business_day(day: date, country: str) -> bool:
    """Not a weekend and not a public holiday of `country` (ISO alpha-2)."""
    return day.weekday() < 5 and not is_holiday(day, country)


def add_business_days(start: date, days: int, country: str) -> date:
    """The date `days` business days after `start` in `country`."""
    day, counted = start, 0
    while counted < days:
        day += timedelta(days=1)
        if is_business_day(day, country):
            counted += 1
    return day


def expected_approval_date(submitted: date, country: str) -> date:
    """Applications are approved within 2 business days of the customer's country."""
    return add_business_days(submitted, APPROVAL_BUSINESS_DAYS, country)


# ------------------------------------------------------------------ products and points

def catalogue_points(model_code: str) -> int:
    """The points the catalogue gives a model (0 for a model it does not list)."""
    entry = CATALOGUE.get(model_code)
    return entry.points if entry else 0


def product_points(model_code: str, product: Mapping[str, object]) -> int:
    """The points a registered product adds to the balance: its catalogue value once complete, else 0."""
    return catalogue_points(model_code) if has_green_tick(product) else 0


def pending_points(model_code: str, product: Mapping[str, object]) -> int:
    """The points a registered product will add once complete (0 when it already counts)."""
    return 0 if has_green_tick(product) else catalogue_points(model_code)


# ------------------------------------------------------------------ CPS invitation and tiers

INVITATION_POINTS = 500


def is_invited(points: int) -> bool:
    """An account with at least 500 points is invited to join CPS."""
    return points >= INVITATION_POINTS


def points_to_invitation(points: int) -> int:
    return max(0, INVITATION_POINTS - points)


def eligible_tiers(points: int, tiers: Sequence[Tier] = TIERS) -> list[Tier]:
    """Every tier at or below the customer's points (none before the invitation)."""
    return [tier for tier in tiers if points >= tier.min_points] if is_invited(points) else []


def tier_by_code(code: str, tiers: Iterable[Tier] = TIERS) -> Tier | None:
    return next((tier for tier in tiers if tier.code == code), None)


# ------------------------------------------------------------------ orders

class PaymentMethod(str, Enum):
    CARD = "card"
    BANK_TRANSFER = "bank_transfer"


INVOICE_DUE_DAYS = 30


def invoice_due_date(issued: datetime) -> date:
    """Invoices fall due 30 days after issue: a card is charged then; a bank transfer must arrive by then."""
    return issued.date() + timedelta(days=INVOICE_DUE_DAYS)


def new_membership_number(taken: Collection[str] = ()) -> str:
    """A fresh CPS membership number ("CPS-" and 8 digits) not in `taken`."""
    while True:
        number = f"CPS-{secrets.randbelow(10**8):08d}"
        if number not in taken:
            return number
