"""Read helpers over the ORM shared by the account API (bot/core/api/app.py) and the agent console
(bot/core/console): a customer's application, products and points, and membership."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.core.api import schemas as s
from bot.core.db.models import Application, LegacyProduct, Membership, RegisteredProduct
from bot.core.domain.catalogue import CATALOGUE
from bot.core.domain.rules import PRODUCT_FIELDS, missing_product_fields


def utc_now() -> datetime:
    return datetime.now(UTC)


def as_utc(moment: datetime) -> datetime:
    """SQLite returns naive datetimes: they are UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def latest_application(session: Session, customer_id: str) -> Application | None:
    query = select(Application).where(Application.customer_id == customer_id).order_by(Application.id.desc())
    return session.scalars(query.limit(1)).first()


# ------------------------------------------------------------------ products and points


def details(product: RegisteredProduct | LegacyProduct) -> dict[str, Any]:
    return {name: getattr(product, name) for name in PRODUCT_FIELDS}


def catalogue_points(model: str) -> int:
    entry = CATALOGUE.get(model)
    return entry.points if entry else 0


def products_of(session: Session, customer_id: str) -> list[RegisteredProduct]:
    query = select(RegisteredProduct).where(RegisteredProduct.customer_id == customer_id)
    return list(session.scalars(query.order_by(RegisteredProduct.id)))


def balance_of(products: Sequence[RegisteredProduct]) -> int:
    """Points are derived: the catalogue points of the complete products."""
    return sum(catalogue_points(p.model) for p in products if not missing_product_fields(details(p)))


def pending_points(products: Sequence[RegisteredProduct]) -> int:
    return sum(catalogue_points(p.model) for p in products if missing_product_fields(details(p)))


def product_out(product: RegisteredProduct) -> s.ProductOut:
    entry, missing = CATALOGUE.get(product.model), missing_product_fields(details(product))
    return s.ProductOut(
        id=product.id,
        model=product.model,
        name=entry.name if entry else None,
        category=entry.category if entry else None,
        **details(product),
        missing_fields=missing,
        has_green_tick=not missing,
        points=catalogue_points(product.model),
    )


# ------------------------------------------------------------------ memberships


def membership_out(membership: Membership) -> s.MembershipOut:
    return s.MembershipOut(
        tier=membership.tier,
        number=membership.number,
        status=membership.status,
        started_at=as_utc(membership.started_at),
    )


def active_membership(session: Session, customer_id: str) -> Membership | None:
    query = select(Membership).where(Membership.customer_id == customer_id, Membership.status == "active")
    return session.scalars(query.order_by(Membership.id.desc()).limit(1)).first()
