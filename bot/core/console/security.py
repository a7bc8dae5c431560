"""Agents' passwords (argon2id), server-side console sessions and their CSRF tokens.

- Passwords are hashed with argon2-cffi's `PasswordHasher` (argon2id, RFC 9106 low-memory parameters). Signing
  in with an unknown username verifies against a dummy hash, so it costs the same as a wrong password.
- A session is a random token in an HttpOnly, SameSite=Strict cookie; the database keeps only its SHA-256, the
  agent, a per-session CSRF token and the expiry. Deleting the row signs the agent out everywhere it was used.
- Every state-changing console request carries the session's CSRF token (header `X-CSRF-Token` or form field
  `csrf_token`); the sign-in form, before any session exists, uses a double-submit cookie.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from bot.core.clock import as_utc
from bot.core.db.models import Agent, AgentSession

SESSION_COOKIE = "agent_session"
SIGN_IN_CSRF_COOKIE = "agent_sign_in"
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf_token"
MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 1024
USERNAME_PATTERN = r"^[a-z0-9][a-z0-9._\-]{1,63}$"

_hasher = PasswordHasher()


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return _hasher.hash(secrets.token_urlsafe(16))


def hash_password(password: str) -> str:
    """An argon2id hash of `password` (ValueError when shorter than MIN_PASSWORD_LENGTH or too long)."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValueError(f"the password must have at least {MIN_PASSWORD_LENGTH} characters")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise ValueError(f"the password must have at most {MAX_PASSWORD_LENGTH} characters")
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def normal_username(username: str) -> str:
    return username.strip().lower()


def authenticate(session: Session, username: str, password: str) -> Agent | None:
    """The active agent with this username and password, else None (the same work either way)."""
    too_long = len(password) > MAX_PASSWORD_LENGTH or len(username) > 200
    username = "" if too_long else normal_username(username)
    agent = session.scalars(select(Agent).where(Agent.username == username)).first() if username else None
    if agent is None:
        password = password[:MAX_PASSWORD_LENGTH]
        verify_password(_dummy_hash(), password)
        return None
    if not verify_password(agent.password_hash, password) or not agent.active:
        return None
    if _hasher.check_needs_rehash(agent.password_hash):
        agent.password_hash = _hasher.hash(password)
        session.commit()
    return agent


# ------------------------------------------------------------------ sessions


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()


@dataclass(frozen=True)
class SignedIn:
    """An agent with a valid console session."""

    agent: Agent
    session_id: int
    csrf_token: str
    expires_at: datetime


def start_session(session: Session, agent: Agent, now: datetime, hours: float) -> tuple[str, SignedIn]:
    """A new session for `agent`: the cookie's token (shown once, never stored) and the session."""
    token = secrets.token_urlsafe(32)
    row = AgentSession(
        token_hash=token_hash(token),
        agent_id=agent.id,
        csrf_token=secrets.token_urlsafe(32),
        created_at=now,
        expires_at=now + timedelta(hours=hours),
    )
    session.add(row)
    session.commit()
    return token, SignedIn(agent, row.id, row.csrf_token, row.expires_at)


def find_session(session: Session, token: str | None, now: datetime) -> SignedIn | None:
    """The valid session of a cookie's token; an expired one is deleted; an inactive agent has none."""
    if not token or len(token) > 200:
        return None
    row = session.scalars(select(AgentSession).where(AgentSession.token_hash == token_hash(token))).first()
    if row is None:
        return None
    if as_utc(row.expires_at) <= now:
        session.delete(row)
        session.commit()
        return None
    agent = session.get(Agent, row.agent_id)
    if agent is None or not agent.active:
        return None
    return SignedIn(agent, row.id, row.csrf_token, as_utc(row.expires_at))


def session_is_valid(session: Session, session_id: int, now: datetime) -> bool:
    """Whether a session found earlier is still there and unexpired (a live stream checks this each round)."""
    row = session.get(AgentSession, session_id)
    return row is not None and as_utc(row.expires_at) > now


def end_session(session: Session, session_id: int) -> None:
    session.execute(delete(AgentSession).where(AgentSession.id == session_id))
    session.commit()


def end_agent_sessions(session: Session, agent_id: int) -> int:
    """Sign the agent out everywhere; the number of sessions ended."""
    ended = session.execute(delete(AgentSession).where(AgentSession.agent_id == agent_id)).rowcount
    session.commit()
    return ended


def same_token(expected: str, given: str | None) -> bool:
    """Constant-time comparison of a CSRF token."""
    return bool(given) and hmac.compare_digest(expected.encode(), str(given).encode())


def new_sign_in_token() -> str:
    return secrets.token_urlsafe(24)
