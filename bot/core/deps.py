"""Request dependencies shared by every router of the core: the database session, the app's clock and
settings, the service key, the customer token, and the token's customer and approved application."""

from __future__ import annotations

import hmac
from collections.abc import Iterator
from datetime import datetime
from typing import Annotated

import jwt
from fastapi import Depends, Path, Request
from fastapi.security import APIKeyHeader
from sqlalchemy.orm import Session

from bot.conversation_ids import MAX_CONVERSATION_ID
from bot.core.config import Settings
from bot.core.db.models import Application, Customer
from bot.core.errors import ServiceError
from bot.core.handoff.schemas import CONVERSATION_ID
from bot.core.services.accounts import latest_application
from bot.core.tokens import decode_customer_token

service_key_header = APIKeyHeader(name="X-Service-Key", auto_error=False, description="CORE_SERVICE_KEY")
customer_token_header = APIKeyHeader(
    name="X-Customer-Token", auto_error=False, description="JWT HS256 with claims sub (customer id) and exp"
)


def get_session(request: Request) -> Iterator[Session]:
    """A session of the app's database for one request."""
    with request.app.state.sessions() as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]


def now_of(request: Request) -> datetime:
    """The app's clock (injected by tests)."""
    return request.app.state.clock()


NowDep = Annotated[datetime, Depends(now_of)]


def settings_of(request: Request) -> Settings:
    """The settings the app loaded at start."""
    return request.app.state.settings


def require_service_key(
    request: Request, key: Annotated[str | None, Depends(service_key_header)] = None
) -> None:
    """401 unless X-Service-Key equals CORE_SERVICE_KEY (constant-time comparison)."""
    expected = settings_of(request).service_key.encode()
    if key is None or not hmac.compare_digest(key.encode(), expected):
        raise ServiceError(401, "invalid_service_key", "X-Service-Key is missing or wrong.")


def token_customer_id(
    request: Request, token: Annotated[str | None, Depends(customer_token_header)] = None
) -> str:
    """The customer id of X-Customer-Token; 401 `anonymous` when it is missing, expired or forged."""
    if not token:
        raise ServiceError(401, "anonymous", "X-Customer-Token is missing.")
    try:
        return decode_customer_token(token, settings_of(request).customer_token_secret)
    except jwt.ExpiredSignatureError:
        raise ServiceError(401, "anonymous", "The customer token has expired.") from None
    except jwt.InvalidTokenError:
        raise ServiceError(401, "anonymous", "The customer token is not valid.") from None


def current_customer(
    session: SessionDep, customer_id: Annotated[str, Depends(token_customer_id)]
) -> Customer:
    """The token's customer; 401 `anonymous` when no such customer exists."""
    customer = session.get(Customer, customer_id)
    if customer is None:
        raise ServiceError(401, "anonymous", "The customer token names no customer.")
    return customer


# Rasa's sender id, any characters (routes declare it `{conversation_id:path}`: a "/" in it is no separator)
ConversationId = Annotated[str, Path(min_length=1, max_length=MAX_CONVERSATION_ID, pattern=CONVERSATION_ID)]
CustomerDep = Annotated[Customer, Depends(current_customer)]


def approved_application(session: SessionDep, customer: CustomerDep) -> Application:
    """The customer's approved application; 403 `account_not_approved` before approval."""
    application = latest_application(session, customer.id)
    if application is None or application.status != "approved":
        raise ServiceError(403, "account_not_approved", "The business account is not approved yet.")
    return application


ApprovedDep = Annotated[Application, Depends(approved_application)]
