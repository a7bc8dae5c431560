"""Signed customer tokens (JWT HS256, claims `sub` = customer id, `iat`, `exp`): made by the seed and the
support page's demo sign-in, verified by the request dependencies and the escalation routes; and the claims Rasa's
event broker publishes instead of a token (bot/rasa_ext/token_redaction.py), verified by the analytics recorder."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
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


def customer_of_claim(claim: object, secret: str, now: datetime) -> str | None:
    """The customer id of a claim ("header.payload.<SHA-256 hex of the token's signature>") of a token that is
    valid at `now`: HS256, the signature recomputed under `secret` and its hash compared; else None."""
    if not isinstance(claim, str) or claim.count(".") != 2:
        return None
    header_payload, signature_hash = claim.rsplit(".", 1)
    header, payload = header_payload.split(".")
    try:
        if _segment(header).get("alg") != ALGORITHM:
            return None
        signature = hmac.new(secret.encode(), header_payload.encode("ascii"), hashlib.sha256).digest()
        expected = hashlib.sha256(base64.urlsafe_b64encode(signature).rstrip(b"=")).hexdigest()
        if not hmac.compare_digest(expected, signature_hash):
            return None
        claims = _segment(payload)
    except (ValueError, binascii.Error, UnicodeEncodeError):
        return None
    subject, expires = claims.get("sub"), claims.get("exp")
    if not isinstance(subject, str) or not subject or not isinstance(expires, int | float):
        return None
    return subject if now.timestamp() < expires else None


def _segment(text: str) -> dict[str, Any]:
    """A JWT segment's JSON object (ValueError when it is not one)."""
    value = json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
    if not isinstance(value, dict):
        raise ValueError("not a JSON object")
    return value
