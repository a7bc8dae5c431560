"""Response bodies (bot/core/schemas.py) of the account's rows, shared by the account API and the agent
console."""

from __future__ import annotations

from sqlalchemy.orm import Session

from bot.core import schemas as s
from bot.core.clock import as_utc
from bot.core.db.models import Application, Membership, Order, RegisteredProduct
from bot.core.domain.catalogue import CATALOGUE, Tier
from bot.core.domain.rules import PaymentMethod, catalogue_points, missing_product_fields
from bot.core.services.accounts import details, previous_number


def application_out(application: Application) -> s.ApplicationOut:
    return s.ApplicationOut(
        customer_id=application.customer_id,
        company=application.company,
        country=application.country,
        status=application.status,
        submitted_at=as_utc(application.submitted_at),
        expected_approval_date=application.expected_approval_date,
        can_set_password=application.status == "approved",
        old_cps_email_given=bool(application.old_cps_email),
        rejection_reason=application.rejection_reason,
    )


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


def tier_out(tier: Tier) -> s.TierOut:
    return s.TierOut(
        code=tier.code, name=tier.name, min_points=tier.min_points, annual_fee_eur=tier.annual_fee_eur
    )


def membership_out(membership: Membership) -> s.MembershipOut:
    return s.MembershipOut(
        tier=membership.tier,
        number=membership.number,
        status=membership.status,
        started_at=as_utc(membership.started_at),
    )


def order_out(session: Session, order: Order) -> s.OrderOut:
    membership = order.membership
    method = PaymentMethod(order.payment_method)
    card = method is PaymentMethod.CARD
    payment = s.Payment(
        method=method,
        charged_on=order.invoice_due_date if card else None,
        pay_by=None if card else order.invoice_due_date,
        local_fees_may_apply=not card,
    )
    return s.OrderOut(
        id=order.id,
        tier=order.tier,
        annual_fee_eur=order.annual_fee,
        invoice=s.Invoice(issued_at=as_utc(order.invoice_issued_at), due_date=order.invoice_due_date),
        payment=payment,
        membership=membership_out(membership),
        previous_membership_number=previous_number(session, membership),
    )
