"""Signed customer tokens (JWT HS256, claims `sub` = customer id, `iat`, `exp`): made by the seed and the
support page's demo sign-in, verified by the request dependencies and the escalation routes."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import jwt

from bot.core.clock import utc_now

ALGORITHM = "HS256"
TOKEN_DAYS = 30


def make_customer_token(
    customer_id: str,
    secret: str,
    now: datetime | None = None,
    lifetime: timedelta = timedelta(days=TOKEN_DAYS),
) -> str:
    """A signed customer token (claims sub, iat, exp)."""
    issued = now or utc_now()
    claims: dict[str, Any] = {"sub": customer_id, "iat": issued, "exp": issued + lifetime}
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def decode_customer_token(token: str, secret: str) -> str:
    """The customer id of a valid token; jwt.InvalidTokenError otherwise."""
    claims = jwt.decode(token, secret, algorithms=[ALGORITHM], options={"require": ["sub", "exp"]})
    subject = claims["sub"]
    if not isinstance(subject, str) or not subject:
        raise jwt.InvalidTokenError("empty subject")
    return subject
