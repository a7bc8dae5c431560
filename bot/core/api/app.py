"""The core service's FastAPI app: applications, products and points, CPS tiers, memberships and orders."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Header, HTTPException, Path, Request, Response
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy import func, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.core import console, web
from bot.core.api import schemas as s
from bot.core.api.dependencies import NowDep, SessionDep
from bot.core.api.auth import require_service_key, token_customer_id
from bot.core.api.queries import (  # shared with the agent console (bot/core/console)
    active_membership,
    as_utc,
    balance_of,
    details,
    latest_application,
    membership_out,
    pending_points,
    product_out,
    products_of,
    utc_now,
)
from bot.core.config import Settings
from bot.core.console.throttle import SignInThrottle
from bot.core.db.models import Application, Customer, LegacyProduct, Membership, Order, RegisteredProduct
from bot.core.db.session import make_engine, make_sessionmaker
from bot.core.domain.catalogue import TIERS, Tier
from bot.core.domain.countries import parse_country
from bot.core.domain.rules import (
    DOCUMENT_PROBLEMS,
    PRODUCT_FIELDS,
    Document,
    PaymentMethod,
    document_problems,
    eligible_tiers,
    expected_approval_date,
    invoice_due_date,
    is_invited,
    new_membership_number,
    points_to_invitation,
    tier_by_code,
    validate_dealer,
    validate_purchase_date,
    validate_serial_number,
)
from bot.core.handoff import api as handoff_api
from bot.core.handoff import worker as handoff_worker
from bot.core.handoff.rasa import RasaClient

Clock = Callable[[], datetime]


def problem(status: int, code: str, message: str | None = None, **extra: Any) -> HTTPException:
    """An error answer {"detail": {"code": ..., ...}}."""
    detail = s.Problem(code=code, message=message, **extra).model_dump(exclude_none=True)
    return HTTPException(status_code=status, detail=detail)


# ------------------------------------------------------------------ dependencies


def current_customer(
    session: SessionDep, customer_id: Annotated[str, Depends(token_customer_id)]
) -> Customer:
    """The token's customer; 401 `anonymous` when no such customer exists."""
    customer = session.get(Customer, customer_id)
    if customer is None:
        raise problem(401, "anonymous", "The customer token names no customer.")
    return customer


CustomerDep = Annotated[Customer, Depends(current_customer)]


def approved_application(session: SessionDep, customer: CustomerDep) -> Application:
    """The customer's approved application; 403 `account_not_approved` before approval."""
    application = latest_application(session, customer.id)
    if application is None or application.status != "approved":
        raise problem(403, "account_not_approved", "The business account is not approved yet.")
    return application


ApprovedDep = Annotated[Application, Depends(approved_application)]


# ------------------------------------------------------------------ products and points


def tier_out(tier: Tier) -> s.TierOut:
    return s.TierOut(
        code=tier.code, name=tier.name, min_points=tier.min_points, annual_fee_eur=tier.annual_fee_eur
    )


# ------------------------------------------------------------------ product details


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
        raise problem(422, "no_fields", "Give at least one of: " + ", ".join(PRODUCT_FIELDS))
    values: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for name, value in given.items():
        try:
            values[name] = checks[name](value)
        except ValueError as error:
            errors[name] = str(error) or "invalid"
    if errors:
        raise problem(422, "invalid_fields", "Some product details are not valid.", fields=errors)
    return values


# ------------------------------------------------------------------ migration


def legacy_query(email: str) -> Any:
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


def previous_number(session: Session, membership: Membership) -> str | None:
    query = select(Membership.number).where(
        Membership.customer_id == membership.customer_id, Membership.id < membership.id
    )
    return session.scalars(query.order_by(Membership.id.desc()).limit(1)).first()


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


def find_order(session: Session, customer_id: str, key: str) -> Order | None:
    query = select(Order).where(Order.customer_id == customer_id, Order.idempotency_key == key)
    return session.scalars(query).first()


def checked_tier(session: Session, customer_id: str, code: str) -> Tier:
    """The ordered tier; 422 when unknown or not eligible with the customer's points."""
    tier = tier_by_code(code)
    if tier is None:
        raise problem(422, "unknown_tier", fields={"tier": "unknown_tier"})
    if tier not in eligible_tiers(balance_of(products_of(session, customer_id)), TIERS):
        raise problem(
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
        raise problem(409, "idempotency_key_reused", "This Idempotency-Key was used for a different order.")
    return order


# ------------------------------------------------------------------ routes

health = APIRouter(tags=["health"])
public = APIRouter(tags=["applications"], dependencies=[Depends(require_service_key)])
account = APIRouter(prefix="/me", tags=["account"], dependencies=[Depends(require_service_key)])
ERRORS: dict[int | str, dict[str, Any]] = {401: {"model": s.Problem}, 422: {"model": s.Problem}}
ACCOUNT_ERRORS: dict[int | str, dict[str, Any]] = {**ERRORS, 403: {"model": s.Problem}}


@health.get("/health", response_model=s.Health)
def get_health(session: SessionDep) -> s.Health:
    """Liveness and database check (no key needed)."""
    session.execute(text("SELECT 1"))
    return s.Health(status="ok", database="ok")


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


def checked_documents(body: s.ApplicationIn) -> str:
    """The application's ISO country; 422 for an unknown country or unacceptable documents."""
    try:
        country = parse_country(body.country)
    except ValueError as error:
        raise problem(422, "invalid_fields", fields={"country": str(error)}) from None
    problems = document_problems(body.vat_registered, [Document(**d.model_dump()) for d in body.documents])
    if problems:
        raise problem(
            422,
            "document_problems",
            " ".join(DOCUMENT_PROBLEMS.get(p, p) for p in problems),
            problems=problems,
        )
    return country


@public.post(
    "/applications",
    status_code=201,
    response_model=s.ApplicationOut,
    responses={**ERRORS, 409: {"model": s.Problem}},
)
def create_application(body: s.ApplicationIn, session: SessionDep, now: NowDep) -> s.ApplicationOut:
    """Submit a business account application; approval is expected within 2 business days."""
    country = checked_documents(body)
    customer = session.get(Customer, body.customer_id) or Customer(id=body.customer_id, email=body.email)
    existing = latest_application(session, customer.id)
    if existing is not None and existing.status != "rejected":
        raise problem(409, "application_exists", f"An application is already {existing.status}.")
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
    return application_out(application)


@account.get("/application", response_model=s.ApplicationOut, responses={**ERRORS, 404: {"model": s.Problem}})
def get_application(session: SessionDep, customer: CustomerDep) -> s.ApplicationOut:
    """The application's status; the password can be set once it is approved."""
    application = latest_application(session, customer.id)
    if application is None:
        raise problem(404, "no_application", "No application was submitted.")
    return application_out(application)


@account.get("/points", response_model=s.Points, responses=ACCOUNT_ERRORS)
def get_points(session: SessionDep, customer: CustomerDep, _: ApprovedDep) -> s.Points:
    """The balance, and the invitation to CPS from 500 points."""
    products = products_of(session, customer.id)
    balance = balance_of(products)
    return s.Points(
        balance=balance,
        invited=is_invited(balance),
        points_to_invitation=points_to_invitation(balance),
        pending_points=pending_points(products),
    )


@account.get("/tiers", response_model=s.Tiers, responses=ACCOUNT_ERRORS)
def get_tiers(session: SessionDep, customer: CustomerDep, _: ApprovedDep) -> s.Tiers:
    """The CPS tiers the balance makes available, with their annual fees."""
    balance = balance_of(products_of(session, customer.id))
    return s.Tiers(
        balance=balance,
        invited=is_invited(balance),
        tiers=[tier_out(t) for t in eligible_tiers(balance, TIERS)],
    )


@account.get("/products", response_model=s.Products, responses=ACCOUNT_ERRORS)
def get_products(session: SessionDep, customer: CustomerDep, _: ApprovedDep) -> s.Products:
    """The registered products, with their missing details and green ticks."""
    products = products_of(session, customer.id)
    return s.Products(balance=balance_of(products), products=[product_out(p) for p in products])


@account.patch(
    "/products/{product_id}",
    response_model=s.ProductUpdated,
    responses={**ACCOUNT_ERRORS, 404: {"model": s.Problem}},
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
    product = session.get(RegisteredProduct, product_id)
    if product is None or product.customer_id != customer.id:
        raise problem(404, "no_such_product", "No such product on this account.")
    for name, value in validated_patch(patch, now.date()).items():
        setattr(product, name, value)
    session.commit()
    balance = balance_of(products_of(session, customer.id))
    return s.ProductUpdated(product=product_out(product), balance=balance, invited=is_invited(balance))


@account.get("/migration", response_model=s.Migration, responses=ACCOUNT_ERRORS)
def get_migration(session: SessionDep, application: ApprovedDep) -> s.Migration:
    """Whether the MIGRATE PRODUCTS button shows, and how many products wait."""
    return migration_state(session, application)


@account.post(
    "/migration", response_model=s.MigrationDone, responses={**ACCOUNT_ERRORS, 409: {"model": s.Problem}}
)
def post_migration(session: SessionDep, customer: CustomerDep, application: ApprovedDep) -> s.MigrationDone:
    """Migrate the old CPS account's products (idempotent: a repeat migrates nothing)."""
    if not application.old_cps_email:
        raise problem(409, "no_old_cps_email", "The application did not give the old CPS e-mail address.")
    migrated = migrate(session, customer.id, application.old_cps_email)
    state = migration_state(session, application)
    return s.MigrationDone(
        **state.model_dump(), migrated=migrated, balance=balance_of(products_of(session, customer.id))
    )


@account.get("/membership", response_model=s.CurrentMembership, responses=ACCOUNT_ERRORS)
def get_membership(session: SessionDep, customer: CustomerDep, _: ApprovedDep) -> s.CurrentMembership:
    """The active CPS membership and its number, or null."""
    membership = active_membership(session, customer.id)
    return s.CurrentMembership(membership=membership_out(membership) if membership else None)


@account.post(
    "/orders",
    status_code=201,
    response_model=s.OrderOut,
    responses={**ACCOUNT_ERRORS, 200: {"model": s.OrderOut}, 409: {"model": s.Problem}},
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
        raise problem(422, "idempotency_key_required", fields={"Idempotency-Key": "missing"})
    existing = find_order(session, customer.id, key)
    if existing is None:
        try:
            return order_out(session, place_order(session, customer.id, key, body, now))
        except IntegrityError:  # a concurrent request with the same key won
            session.rollback()
            existing = find_order(session, customer.id, key)
            if existing is None:
                raise
    response.status_code = 200
    return order_out(session, replayed(existing, body))


# ------------------------------------------------------------------ the app


async def validation_failed(_: Request, error: Exception) -> JSONResponse:
    """422 with one code per invalid field."""
    assert isinstance(error, RequestValidationError)
    fields = {".".join(str(p) for p in e["loc"][1:]) or str(e["loc"][0]): e["type"] for e in error.errors()}
    detail = s.Problem(code="invalid_request", message="The request is not valid.", fields=fields)
    return JSONResponse(
        status_code=422, content=jsonable_encoder({"detail": detail.model_dump(exclude_none=True)})
    )


def create_app(settings: Settings | None = None, clock: Clock = utc_now, rasa: RasaClient | None = None) -> FastAPI:
    """The API; settings come from the environment at start unless given (MissingSetting if incomplete).
    `rasa`: the client of Rasa's HTTP API for the handoff (tests give a fake; default: HttpRasaClient)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.settings = settings or Settings.from_env()
        engine = make_engine(app.state.settings.database_url)
        app.state.sessions, app.state.clock = make_sessionmaker(engine), clock
        app.state.sign_in_throttle = SignInThrottle()  # failed console sign-ins (bot/core/console/throttle.py)
        async with handoff_worker.running(app, rasa):  # app.state.handoff, and the worker (docs/handoff.md)
            yield
        engine.dispose()

    app = FastAPI(title="Canon business core service", version="1.0.0", lifespan=lifespan)
    app.add_exception_handler(RequestValidationError, validation_failed)
    for router in (health, public, account, web.router):  # web: the public support page (bot/core/web)
        app.include_router(router)
    for router in (handoff_api.router, console.router):  # human handoff: service routes, agent console (/agent)
        app.include_router(router)
    return app


app = create_app()
