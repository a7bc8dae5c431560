"""Analytics rows written directly (as the recorder would), for the review and privacy tests."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.core.db.models import (
    AnalyticsConversation,
    AnalyticsFlowStep,
    AnalyticsTurn,
    AuditEntry,
    Escalation,
    EscalationMessage,
    FallbackMessage,
)
from bot.core.schemas import FallbackIn
from bot.core.services import fallbacks

NOW = datetime(2026, 12, 2, 8, 0, tzinfo=UTC)  # the handoff tests' clock (WORKING)
TABLES = (AnalyticsConversation, AnalyticsTurn, AnalyticsFlowStep, Escalation, EscalationMessage, FallbackMessage)


@dataclass
class Recorded:
    """One recorded session's row id and conversation id."""

    ref: int
    conversation_id: str


def record(session: Session, conversation_id: str, started: datetime, turns: list[tuple[str, str, Any]] = (),
           *, language: str = "lt", customer_id: str | None = None, handoff_reason: str | None = None,
           satisfaction: str | None = None, channel: str = "socketio", steps: list[tuple[str, str]] = (),
           minutes: float = 5) -> Recorded:
    """A session with `turns` (sender, text, intent or "?fallback" for a message not understood) one second
    apart, and flow `steps` (flow, step)."""
    row = AnalyticsConversation(conversation_id=conversation_id, session_start=started.timestamp(),
                                started_at=started, last_event_at=started + timedelta(minutes=minutes),
                                channel=channel, language=language, customer_id=customer_id,
                                handoff_reason=handoff_reason, satisfaction=satisfaction)
    session.add(row)
    session.flush()
    for n, (sender, text, intent) in enumerate(turns):
        at = started + timedelta(seconds=n)
        fallback = intent == "?fallback"
        session.add(AnalyticsTurn(conversation_ref=row.id, sender=sender, event_ts=at.timestamp(), at=at, text=text,
                                  intent=("nlu_fallback" if fallback else intent) if sender == "customer" else None,
                                  confidence=0.3 if fallback else (0.9 if sender == "customer" else None),
                                  language=language, fallback=fallback))
    for n, (flow, step) in enumerate(steps):
        at = started + timedelta(seconds=n)
        session.add(AnalyticsFlowStep(conversation_ref=row.id, flow=flow, step=step, event_ts=at.timestamp(), at=at))
    session.commit()
    return Recorded(row.id, conversation_id)


def escalation(session: Session, conversation_id: str, created: datetime, *, customer_id: str | None = None,
               closed: bool = True, texts: tuple[str, ...] = ("Labas", "Sveiki")) -> int:
    row = Escalation(conversation_id=conversation_id, channel="socketio", language="lt", customer_id=customer_id,
                     reason="customer_request", status="closed" if closed else "waiting", created_at=created,
                     closed_at=created + timedelta(minutes=10) if closed else None)
    session.add(row)
    session.flush()
    for n, text in enumerate(texts):
        session.add(EscalationMessage(escalation_id=row.id, sender="customer" if n % 2 == 0 else "agent",
                                      text=text, created_at=created + timedelta(seconds=n)))
    session.commit()
    return row.id


def fallback_log(session: Session, conversation_id: str, created: datetime, text: str,
                 top: list[dict[str, Any]] | None = None) -> None:
    """An entry of the fallback log stored as the core's route stores it (its id and text redacted)."""
    body = FallbackIn(conversation_id=conversation_id, channel="socketio", language="lt", text=text,
                      top_intents=top or [], fallback_in_a_row=1)
    fallbacks.record(session, body, created)


def remaining(session: Session, conversation_id: str) -> dict[str, int]:
    """How many rows of every table still belong to the conversation."""
    refs = select(AnalyticsConversation.id).where(AnalyticsConversation.conversation_id == conversation_id)
    escalations = select(Escalation.id).where(Escalation.conversation_id == conversation_id)
    wheres = {
        AnalyticsConversation: AnalyticsConversation.conversation_id == conversation_id,
        AnalyticsTurn: AnalyticsTurn.conversation_ref.in_(refs),
        AnalyticsFlowStep: AnalyticsFlowStep.conversation_ref.in_(refs),
        Escalation: Escalation.conversation_id == conversation_id,
        EscalationMessage: EscalationMessage.escalation_id.in_(escalations),
        FallbackMessage: FallbackMessage.conversation_id == conversation_id,
    }
    return {model.__tablename__: session.scalar(select(func.count()).select_from(model).where(where)) or 0
            for model, where in wheres.items()}


def total_rows(session: Session) -> dict[str, int]:
    return {model.__tablename__: session.scalar(select(func.count()).select_from(model)) or 0
            for model in (*TABLES, AuditEntry)}


def mentions(session: Session, marker: str) -> list[str]:
    """"table.column" of every row, in every table of the schema, whose text (or JSON) holds `marker`."""
    from sqlalchemy import JSON, String, Text, cast

    from bot.core.db.models import Base

    found = []
    for table in Base.metadata.sorted_tables:
        for column in table.columns:
            if isinstance(column.type, (String, Text, JSON)):
                where = cast(column, Text).contains(marker, autoescape=True)
                n = session.scalar(select(func.count()).select_from(table).where(where)) or 0
                found += [f"{table.name}.{column.name}"] * n
    return found
