"""Customer tokens for the bench's signed-in customers, signed as the support site signs them (bot/core/tokens.py:
JWT HS256 with CUSTOMER_TOKEN_SECRET, claims `sub` = customer id, `iat`, `exp`).

The secret comes from the environment (CUSTOMER_TOKEN_SECRET) or, as scripts/run.sh keeps it when it generated
one, from build/customer-token-secret. PyJWT is in both environments; this module imports nothing of the core, so
the Rasa environment's bench can use it.
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from pathlib import Path

import jwt

ROOT = Path(__file__).resolve().parents[1]
SECRET_FILE = ROOT / "build" / "customer-token-secret"
SECRET_VARIABLE = "CUSTOMER_TOKEN_SECRET"
LIFETIME_SECONDS = 24 * 3600  # a bench run is far shorter


class NoSecret(RuntimeError):
    """Neither CUSTOMER_TOKEN_SECRET nor build/customer-token-secret holds the secret."""


def token_secret(env: Mapping[str, str] = os.environ, secret_file: Path = SECRET_FILE) -> str:
    """The secret the core verifies tokens with: the environment's, else the one scripts/run.sh generated."""
    secret = env.get(SECRET_VARIABLE, "")
    if not secret and secret_file.is_file():
        secret = secret_file.read_text().strip()
    if not secret:
        raise NoSecret(f"set {SECRET_VARIABLE} or start the assistant with `make run` (it writes {secret_file})")
    return secret


def customer_token(customer_id: str, secret: str, now: float | None = None) -> str:
    """A signed token for `customer_id`, valid for a day from `now` (seconds since the epoch)."""
    issued = int(time.time() if now is None else now)
    claims = {"sub": customer_id, "iat": issued, "exp": issued + LIFETIME_SECONDS}
    return jwt.encode(claims, secret, algorithm="HS256")


class Tokens:
    """Each customer's token, signed once per run."""

    def __init__(self, secret: str) -> None:
        self.secret = secret
        self.signed: dict[str, str] = {}

    def of(self, customer_id: str) -> str:
        if customer_id not in self.signed:
            self.signed[customer_id] = customer_token(customer_id, self.secret)
        return self.signed[customer_id]
