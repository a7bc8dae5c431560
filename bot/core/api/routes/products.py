"""The customer's registered products and points: GET /me/products, PATCH /me/products/{id},
GET /me/points."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path

from bot.core import schemas as s
from bot.core.deps import ApprovedDep, CustomerDep, NowDep, SessionDep, require_service_key
from bot.core.domain.rules import is_invited, points_to_invitation
from bot.core.http_errors import problem_responses
from bot.core.services import accounts
from bot.core.services.responses import product_out

router = APIRouter(prefix="/me", tags=["account"], dependencies=[Depends(require_service_key)])
ERRORS = problem_responses(401, 422, 403)


@router.get("/points", response_model=s.Points, responses=ERRORS)
def get_points(session: SessionDep, customer: CustomerDep, _: ApprovedDep) -> s.Points:
    """The balance, and the invitation to CPS from 500 points."""
    products = accounts.products_of(session, customer.id)
    balance = accounts.balance_of(products)
    return s.Points(
        balance=balance,
        invited=is_invited(balance),
        points_to_invitation=points_to_invitation(balance),
        pending_points=accounts.pending_points_of(products),
    )


@router.get("/products", response_model=s.Products, responses=ERRORS)
def get_products(session: SessionDep, customer: CustomerDep, _: ApprovedDep) -> s.Products:
    """The registered products, with their missing details and green ticks."""
    products = accounts.products_of(session, customer.id)
    return s.Products(balance=accounts.balance_of(products), products=[product_out(p) for p in products])


@router.patch(
    "/products/{product_id}", response_model=s.ProductUpdated, responses=problem_responses(401, 422, 403, 404)
)
def patch_product(
    product_id: Annotated[int, Path(ge=1, le=2**63 - 1)],  # a database integer (larger ids crashed SQLite)
    patch: s.ProductPatch,
    session: SessionDep,
    customer: CustomerDep,
    _: ApprovedDep,
    now: NowDep,
) -> s.ProductUpdated:
    """Fill in a product's details (best guesses are fine); returns the product and the new balance."""
    product = accounts.update_product(session, customer.id, product_id, patch, now.date())
    balance = accounts.balance_of(accounts.products_of(session, customer.id))
    return s.ProductUpdated(product=product_out(product), balance=balance, invited=is_invited(balance))
