"""CPS membership: the tiers the points allow (GET /me/tiers), the active membership (GET /me/membership) and
buying one (POST /me/orders, idempotent by Idempotency-Key)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Header, Response
from sqlalchemy.exc import IntegrityError

from bot.core import schemas as s
from bot.core.deps import ApprovedDep, CustomerDep, NowDep, SessionDep, require_service_key
from bot.core.domain.catalogue import TIERS
from bot.core.domain.rules import eligible_tiers, is_invited
from bot.core.errors import ServiceError
from bot.core.http_errors import problem_responses
from bot.core.services import accounts
from bot.core.services.responses import membership_out, order_out, tier_out

router = APIRouter(prefix="/me", tags=["account"], dependencies=[Depends(require_service_key)])
ERRORS = problem_responses(401, 422, 403)


@router.get("/tiers", response_model=s.Tiers, responses=ERRORS)
def get_tiers(session: SessionDep, customer: CustomerDep, _: ApprovedDep) -> s.Tiers:
    """The CPS tiers the balance makes available, with their annual fees."""
    balance = accounts.balance_of(accounts.products_of(session, customer.id))
    return s.Tiers(
        balance=balance,
        invited=is_invited(balance),
        tiers=[tier_out(t) for t in eligible_tiers(balance, TIERS)],
    )


@router.get("/membership", response_model=s.CurrentMembership, responses=ERRORS)
def get_membership(session: SessionDep, customer: CustomerDep, _: ApprovedDep) -> s.CurrentMembership:
    """The active CPS membership and its number, or null."""
    membership = accounts.active_membership(session, customer.id)
    return s.CurrentMembership(membership=membership_out(membership) if membership else None)


@router.post(
    "/orders",
    status_code=201,
    response_model=s.OrderOut,
    responses={**problem_responses(401, 422, 403, 409), 200: {"model": s.OrderOut}},
)
def post_order(
    body: s.OrderIn,
    response: Response,
    session: SessionDep,
    customer: CustomerDep,
    _: ApprovedDep,
    now: NowDep,
    key: Annotated[str | None, Header(alias="Idempotency-Key", max_length=100)] = None,
) -> s.OrderOut:
    """Buy a CPS membership (201); repeating an Idempotency-Key returns the same order (200)."""
    if not key:
        raise ServiceError(422, "idempotency_key_required", fields={"Idempotency-Key": "missing"})
    existing = accounts.find_order(session, customer.id, key)
    if existing is None:
        try:
            return order_out(session, accounts.place_order(session, customer.id, key, body, now))
        except IntegrityError:  # a concurrent request with the same key won
            session.rollback()
            existing = accounts.find_order(session, customer.id, key)
            if existing is None:
                raise
    response.status_code = 200
    return order_out(session, accounts.replayed(existing, body))
