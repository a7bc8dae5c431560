"""GET /health: liveness and the database (no key needed)."""

from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy import text

from bot.core import schemas as s
from bot.core.deps import SessionDep

router = APIRouter(tags=["health"])


@router.get("/health", response_model=s.Health)
def get_health(session: SessionDep) -> s.Health:
    """Liveness and database check (no key needed)."""
    session.execute(text("SELECT 1"))
    return s.Health(status="ok", database="ok")
