"""The old CPS account's products: GET /me/migration (does the MIGRATE PRODUCTS button show) and
POST /me/migration (migrate them)."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from bot.core import schemas as s
from bot.core.deps import ApprovedDep, CustomerDep, SessionDep, require_service_key
from bot.core.errors import ServiceError
from bot.core.http_errors import problem_responses
from bot.core.services import accounts

router = APIRouter(prefix="/me", tags=["account"], dependencies=[Depends(require_service_key)])


@router.get("/migration", response_model=s.Migration, responses=problem_responses(401, 422, 403))
def get_migration(session: SessionDep, application: ApprovedDep) -> s.Migration:
    """Whether the MIGRATE PRODUCTS button shows, and how many products wait."""
    return accounts.migration_state(session, application)


@router.post("/migration", response_model=s.MigrationDone, responses=problem_responses(401, 422, 403, 409))
def post_migration(session: SessionDep, customer: CustomerDep, application: ApprovedDep) -> s.MigrationDone:
    """Migrate the old CPS account's products (idempotent: a repeat migrates nothing)."""
    if not application.old_cps_email:
        raise ServiceError(409, "no_old_cps_email", "The application did not give the old CPS e-mail address.")
    migrated = accounts.migrate(session, customer.id, application.old_cps_email)
    state = accounts.migration_state(session, application)
    balance = accounts.balance_of(accounts.products_of(session, customer.id))
    return s.MigrationDone(**state.model_dump(), migrated=migrated, balance=balance)
