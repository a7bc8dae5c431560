"""Service key on every route but /health and the docs; signed customer tokens for the account routes."""

from __future__ import annotations

import hmac
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

import jwt
from fastapi import Depends, HTTPException, Request
from fastapi.security import APIKeyHeader

from bot.core.config import Settings

ALGORITHM = "HS256"
TOKEN_DAYS = 30
service_key_header = APIKeyHeader(name="X-Service-Key", auto_error=False, description="CORE_SERVICE_KEY")
customer_token_header = APIKeyHeader(
    name="X-Customer-Token", auto_error=False, description="JWT HS256 with claims sub (customer id) and exp"
)


def settings_of(request: Request) -> Settings:
    """The settings the app loaded at start."""
    return request.app.state.settings


def _unauthorised(code: str, message: str) -> HTTPException:
    return HTTPException(status_code=401, detail={"code": code, "message": message})


def require_service_key(
    request: Request, key: Annotated[str | None, Depends(service_key_header)] = None
) -> None:
    """401 unless X-Service-Key equals CORE_SERVICE_KEY (constant-time comparison)."""
    expected = settings_of(request).service_key.encode()
    if key is None or not hmac.compare_digest(key.encode(), expected):
        raise _unauthorised("invalid_service_key", "X-Service-Key is missing or wrong.")


def make_customer_token(
    customer_id: str,
    secret: str,
    now: datetime | None = None,
    lifetime: timedelta = timedelta(days=TOKEN_DAYS),
) -> str:
    """A signed customer token (claims sub, iat, exp)."""
    issued = now or datetime.now(UTC)
    claims: dict[str, Any] = {"sub": customer_id, "iat": issued, "exp": issued + lifetime}
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def decode_customer_token(token: str, secret: str) -> str:
    """The customer id of a valid token; jwt.InvalidTokenError otherwise."""
    claims = jwt.decode(token, secret, algorithms=[ALGORITHM], options={"require": ["sub", "exp"]})
    subject = claims["sub"]
    if not isinstance(subject, str) or not subject:
        raise jwt.InvalidTokenError("empty subject")
    return subject


def token_customer_id(
    request: Request, token: Annotated[str | None, Depends(customer_token_header)] = None
) -> str:
    """The customer id of X-Customer-Token; 401 `anonymous` when it is missing, expired or forged."""
    if not token:
        raise _unauthorised("anonymous", "X-Customer-Token is missing.")
    try:
        return decode_customer_token(token, settings_of(request).customer_token_secret)
    except jwt.ExpiredSignatureError:
        raise _unauthorised("anonymous", "The customer token has expired.") from None
    except jwt.InvalidTokenError:
        raise _unauthorised("anonymous", "The customer token is not valid.") from None
