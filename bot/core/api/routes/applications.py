"""Business account applications: submitting one (POST /applications) and the customer's status
(GET /me/application)."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from bot.core import schemas as s
from bot.core.deps import CustomerDep, NowDep, SessionDep, require_service_key
from bot.core.errors import ServiceError
from bot.core.http_errors import problem_responses
from bot.core.services import accounts
from bot.core.services.responses import application_out

router = APIRouter(dependencies=[Depends(require_service_key)])


@router.post(
    "/applications",
    tags=["applications"],
    status_code=201,
    response_model=s.ApplicationOut,
    responses=problem_responses(401, 422, 409),
)
def create_application(body: s.ApplicationIn, session: SessionDep, now: NowDep) -> s.ApplicationOut:
    """Submit a business account application; approval is expected within 2 business days."""
    return application_out(accounts.submit_application(session, body, now))


@router.get(
    "/me/application",
    tags=["account"],
    response_model=s.ApplicationOut,
    responses=problem_responses(401, 422, 404),
)
def get_application(session: SessionDep, customer: CustomerDep) -> s.ApplicationOut:
    """The application's status; the password can be set once it is approved."""
    application = accounts.latest_application(session, customer.id)
    if application is None:
        raise ServiceError(404, "no_application", "No application was submitted.")
    return application_out(application)
