"""A customer's account over the ORM: reads (application, products and points, membership) and writes
(applications, product details, the migration of old CPS products, membership orders).

Refusals are ServiceErrors (bot/core/errors.py) with the codes the API documents.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import Select, func, select, update
from sqlalchemy.orm import Session

from bot.core import schemas as s
from bot.core.db.models import Application, Customer, LegacyProduct, Membership, Order, RegisteredProduct
from bot.core.domain.catalogue import TIERS, Tier
from bot.core.domain.countries import parse_country
from bot.core.domain.rules import (
    DOCUMENT_PROBLEMS,
    PRODUCT_FIELDS,
    Document,
    document_problems,
    eligible_tiers,
    expected_approval_date,
    invoice_due_date,
    new_membership_number,
    pending_points,
    product_points,
    tier_by_code,
    validate_dealer,
    validate_purchase_date,
    validate_serial_number,
)
from bot.core.errors import ServiceError

# ------------------------------------------------------------------ applications


def latest_application(session: Session, customer_id: str) -> Application | None:
    query = select(Application).where(Application.customer_id == customer_id).order_by(Application.id.desc())
    return session.scalars(query.limit(1)).first()


def checked_documents(body: s.ApplicationIn) -> str:
    """The application's ISO country; 422 for an unknown country or unacceptable documents."""
    try:
        country = parse_country(body.country)
    except ValueError as error:
        raise ServiceError(422, "invalid_fields", fields={"country": str(error)}) from None
    problems = document_problems(body.vat_registered, [Document(**d.model_dump()) for d in body.documents])
    if problems:
        raise ServiceError(
            422,
            "document_problems",
            " ".join(DOCUMENT_PROBLEMS.get(p, p) for p in problems),
            problems=problems,
        )
    return country


def submit_application(session: Session, body: s.ApplicationIn, now: datetime) -> Application:
    """A new submitted application (and its customer when new); 409 while one is submitted or approved."""
    country = checked_documents(body)
    customer = session.get(Customer, body.customer_id) or Customer(id=body.customer_id, email=body.email)
    existing = latest_application(session, customer.id)
    if existing is not None and existing.status != "rejected":
        raise ServiceError(409, "application_exists", f"An application is already {existing.status}.")
    customer.email = customer.email or body.email
    application = Application(
        customer=customer,
        company=body.company,
        country=country,
        vat_registered=body.vat_registered,
        documents=[d.model_dump(mode="json") for d in body.documents],
        old_cps_email=body.old_cps_email,
        status="submitted",
        submitted_at=now,
        expected_approval_date=expected_approval_date(now.date(), country),
    )
    session.add(application)
    session.commit()
    return application


# ------------------------------------------------------------------ products and points


def details(product: RegisteredProduct | LegacyProduct) -> dict[str, Any]:
    return {name: getattr(product, name) for name in PRODUCT_FIELDS}


def products_of(session: Session, customer_id: str) -> list[RegisteredProduct]:
    query = select(RegisteredProduct).where(RegisteredProduct.customer_id == customer_id)
    return list(session.scalars(query.order_by(RegisteredProduct.id)))


def balance_of(products: Sequence[RegisteredProduct]) -> int:
    """Points are derived: the catalogue points of the complete products (domain/rules.product_points)."""
    return sum(product_points(p.model, details(p)) for p in products)


def pending_points_of(products: Sequence[RegisteredProduct]) -> int:
    """The points the products still missing details will add."""
    return sum(pending_points(p.model, details(p)) for p in products)


def _parse_date(text: str, today: date) -> date:
    try:
        value = date.fromisoformat(text.strip())
    except ValueError:
        raise ValueError("invalid_date") from None
    return validate_purchase_date(value, today)


def validated_patch(patch: s.ProductPatch, today: date) -> dict[str, Any]:
    """The validated values of the given fields; 422 with a code per invalid field."""
    checks: dict[str, Callable[[str], Any]] = {
        "serial_number": validate_serial_number,
        "purchase_date": lambda v: _parse_date(v, today),
        "country_of_purchase": parse_country,
        "dealer": validate_dealer,
    }
    given = {k: v for k, v in patch.model_dump(exclude_unset=True).items() if v is not None}
    if not given:
        raise ServiceError(422, "no_fields", "Give at least one of: " + ", ".join(PRODUCT_FIELDS))
    values: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for name, value in given.items():
        try:
            values[name] = checks[name](value)
        except ValueError as error:
            errors[name] = str(error) or "invalid"
    if errors:
        raise ServiceError(422, "invalid_fields", "Some product details are not valid.", fields=errors)
    return values


def update_product(session: Session, customer_id: str, product_id: int, patch: s.ProductPatch,
                   today: date) -> RegisteredProduct:
    """Fill in a product's details; 404 when the customer has no such product."""
    product = session.get(RegisteredProduct, product_id)
    if product is None or product.customer_id != customer_id:
        raise ServiceError(404, "no_such_product", "No such product on this account.")
    for name, value in validated_patch(patch, today).items():
        setattr(product, name, value)
    session.commit()
    return product


# ------------------------------------------------------------------ migration


def legacy_query(email: str) -> Select[tuple[LegacyProduct]]:
    return select(LegacyProduct).where(
        func.lower(LegacyProduct.old_cps_email) == email.lower(),
        LegacyProduct.migrated_to_customer_id.is_(None),
    )


def migration_state(session: Session, application: Application) -> s.Migration:
    """Available when the application carried the old CPS e-mail and unmigrated products exist under it."""
    email = application.old_cps_email
    count = session.scalar(select(func.count()).select_from(legacy_query(email).subquery())) if email else 0
    return s.Migration(available=count > 0, count=count, old_cps_email_given=bool(email))


def migrate(session: Session, customer_id: str, email: str) -> int:
    """Copy each unmigrated legacy product to the account once (a row is claimed before it is copied)."""
    migrated = 0
    for legacy in session.scalars(legacy_query(email)).all():
        claim = update(LegacyProduct).where(
            LegacyProduct.id == legacy.id, LegacyProduct.migrated_to_customer_id.is_(None)
        )
        if session.execute(claim.values(migrated_to_customer_id=customer_id)).rowcount == 1:
            session.add(RegisteredProduct(customer_id=customer_id, model=legacy.model, **details(legacy)))
            migrated += 1
    session.commit()
    return migrated


# ------------------------------------------------------------------ memberships and orders


def active_membership(session: Session, customer_id: str) -> Membership | None:
    query = select(Membership).where(Membership.customer_id == customer_id, Membership.status == "active")
    return session.scalars(query.order_by(Membership.id.desc()).limit(1)).first()


def previous_number(session: Session, membership: Membership) -> str | None:
    query = select(Membership.number).where(
        Membership.customer_id == membership.customer_id, Membership.id < membership.id
    )
    return session.scalars(query.order_by(Membership.id.desc()).limit(1)).first()


def find_order(session: Session, customer_id: str, key: str) -> Order | None:
    query = select(Order).where(Order.customer_id == customer_id, Order.idempotency_key == key)
    return session.scalars(query).first()


def checked_tier(session: Session, customer_id: str, code: str) -> Tier:
    """The ordered tier; 422 when unknown or not eligible with the customer's points."""
    tier = tier_by_code(code)
    if tier is None:
        raise ServiceError(422, "unknown_tier", fields={"tier": "unknown_tier"})
    if tier not in eligible_tiers(balance_of(products_of(session, customer_id)), TIERS):
        raise ServiceError(
            422, "tier_not_eligible", f"Not enough points for {tier.name}.", fields={"tier": "not_eligible"}
        )
    return tier


def place_order(session: Session, customer_id: str, key: str, body: s.OrderIn, now: datetime) -> Order:
    """Retire the active membership, start a new one with a new number, and issue the invoice."""
    session.get(Customer, customer_id, with_for_update=True)  # one order at a time per customer
    tier = checked_tier(session, customer_id, body.tier)
    taken = set(session.scalars(select(Membership.number).where(Membership.customer_id == customer_id)))
    session.execute(
        update(Membership)
        .where(Membership.customer_id == customer_id, Membership.status == "active")
        .values(status="retired")
    )
    membership = Membership(
        customer_id=customer_id,
        tier=tier.code,
        number=new_membership_number(taken),
        status="active",
        started_at=now,
    )
    order = Order(
        customer_id=customer_id,
        idempotency_key=key,
        tier=tier.code,
        payment_method=body.payment_method.value,
        annual_fee=tier.annual_fee_eur,
        invoice_issued_at=now,
        invoice_due_date=invoice_due_date(now),
        membership=membership,
    )
    session.add(order)
    session.commit()
    return order


def replayed(order: Order, body: s.OrderIn) -> Order:
    """The stored order of a repeated Idempotency-Key; 409 when the key was used for another order."""
    if order.tier != body.tier or order.payment_method != body.payment_method.value:
        raise ServiceError(409, "idempotency_key_reused", "This Idempotency-Key was used for a different order.")
    return order
