"""The fallback log (POST /fallbacks): the action server records each customer message the assistant did not
understand, for the support team's review in the agent console."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from bot.core import schemas as s
from bot.core.deps import NowDep, SessionDep, require_service_key
from bot.core.http_errors import problem_responses
from bot.core.services import fallbacks

router = APIRouter(dependencies=[Depends(require_service_key)])


@router.post(
    "/fallbacks",
    tags=["fallbacks"],
    status_code=201,
    response_model=s.FallbackOut,
    responses=problem_responses(401, 422),
)
def record_fallback(body: s.FallbackIn, session: SessionDep, now: NowDep) -> s.FallbackOut:
    """Store a misunderstood message: its text redacted (bot/core/domain/redaction.py) and capped at 1000
    characters."""
    return s.FallbackOut(id=fallbacks.record(session, body, now).id)
