"""The fallback log over the ORM: storing a message the assistant did not understand (redacted and capped
first) and reading the latest ones for review, newest first, a page at a time.

Kept ANALYTICS_RETENTION_DAYS (bot/core/analytics/retention.py; docs/analytics.md, "Privacy").
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.conversation_ids import conversation_digest
from bot.core import schemas as s
from bot.core.db.models import FallbackMessage
from bot.core.domain.redaction import redact, stored_text


def record(session: Session, body: s.FallbackIn, now: datetime) -> FallbackMessage:
    """Store one misunderstood message; the guesses best first."""
    guesses = sorted(body.top_intents, key=lambda g: g.confidence, reverse=True)
    message = FallbackMessage(
        created_at=now,
        # a WhatsApp conversation id is the customer's phone number: hidden as any other long number
        conversation_id=redact(body.conversation_id),
        conversation_digest=conversation_digest(body.conversation_id),  # the erasure's and the review's way back
        channel=body.channel,
        language=body.language,
        text=stored_text(body.text),
        top_intents=[{"name": g.name, "confidence": g.confidence} for g in guesses],
        fallback_in_a_row=body.fallback_in_a_row,
    )
    session.add(message)
    session.commit()
    return message


def latest(session: Session, limit: int, before_id: int | None = None) -> Sequence[FallbackMessage]:
    """Up to `limit` messages, newest first; with `before_id`, only those stored before that one (the next
    page: stable while new messages arrive)."""
    query = select(FallbackMessage).order_by(FallbackMessage.id.desc()).limit(limit)
    if before_id is not None:
        query = query.where(FallbackMessage.id < before_id)
    return session.scalars(query).all()
