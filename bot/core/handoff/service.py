"""Escalations as plain functions over a SQLAlchemy session (no HTTP): creating one, the queue, claiming,
replies, closing, handing replies out for delivery, storing customer messages synced from Rasa.

Every change that two requests could race for is one conditional UPDATE (`... WHERE status = 'waiting'`,
`... WHERE delivered_at IS NULL`), or a unique index (one open escalation per conversation, one message per
Rasa event), so it is decided by the database, on SQLite and PostgreSQL alike. A refused operation raises a
ServiceError (bot/core/errors.py: NotFound, Forbidden, Conflict).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Select, and_, exists, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.core.clock import as_utc
from bot.core.config import HandoffSettings
from bot.core.db.models import Agent, Customer, Escalation, EscalationMessage
from bot.core.domain.support_hours import estimated_wait_minutes, is_open, next_opening, parse_hours
from bot.core.errors import Conflict, Forbidden, NotFound
from bot.vocabulary import HANDOFF_REASON_NOTES

MAX_RETRY_SECONDS = 300.0


def clean_text(text: str) -> str:
    """What a database can store: PostgreSQL text holds no NUL characters, and UTF-8 no lone surrogates (JSON
    can carry "\\ud800", e.g. from a broken client: each becomes "?"); nothing else is changed (escaping is the
    views' job)."""
    return text.replace("\x00", "").encode("utf-8", "replace").decode("utf-8")


# ------------------------------------------------------------------ hours and the queue


@dataclass(frozen=True)
class HoursState:
    in_working_hours: bool
    next_opening: datetime | None  # None while open, or when the team never opens


def hours_state(now: datetime, settings: HandoffSettings) -> HoursState:
    hours = parse_hours(settings.support_hours)
    tz, country = settings.support_timezone, settings.support_country
    if is_open(now, hours, tz, country):
        return HoursState(True, None)
    return HoursState(False, next_opening(now, hours, tz, country))


def queue_position(session: Session, escalation: Escalation) -> int:
    """1-based among the waiting escalations, oldest first; 0 when the escalation is not waiting."""
    if escalation.status != "waiting":
        return 0
    ahead = select(func.count()).where(
        Escalation.status == "waiting",
        or_(
            Escalation.created_at < escalation.created_at,
            and_(Escalation.created_at == escalation.created_at, Escalation.id < escalation.id),
        ),
    )
    return (session.scalar(ahead) or 0) + 1


def wait_minutes(position: int, settings: HandoffSettings) -> int:
    return estimated_wait_minutes(position, settings.average_handling_minutes)


# ------------------------------------------------------------------ creation


def open_escalation(session: Session, conversation_id: str) -> Escalation | None:
    query = select(Escalation).where(
        Escalation.conversation_id == conversation_id, Escalation.status != "closed"
    )
    return session.scalars(query.order_by(Escalation.id.desc()).limit(1)).first()


def known_customer(session: Session, customer_id: str | None) -> str | None:
    """The id when such a customer exists (a valid token may name a customer the core does not know)."""
    return customer_id if customer_id and session.get(Customer, customer_id) is not None else None


@dataclass(frozen=True)
class TranscriptLine:
    sender: str  # customer / bot
    text: str
    timestamp: float  # the Rasa event's (unix seconds)


def _moment(timestamp: float, fallback: datetime) -> datetime:
    try:
        return datetime.fromtimestamp(timestamp, UTC) if timestamp > 0 else fallback
    except (OverflowError, OSError, ValueError):
        return fallback


def store_rasa_messages(session: Session, escalation_id: int, lines: Iterable[TranscriptLine],
                        now: datetime) -> int:
    """Store messages that came from Rasa once each (unique escalation, sender and event timestamp); the
    number stored. A line without a timestamp is kept without one (and so cannot be recognised again)."""
    stored, seen = 0, set()
    for line in lines:
        text = clean_text(line.text)
        key = (line.sender, line.timestamp)
        if not text.strip() or key in seen:
            continue
        seen.add(key)
        message = EscalationMessage(
            escalation_id=escalation_id,
            sender=line.sender,
            text=text,
            created_at=_moment(line.timestamp, now),
            source_event_ts=line.timestamp if line.timestamp > 0 else None,
        )
        try:
            with session.begin_nested():  # a savepoint: a duplicate costs only itself
                session.add(message)
        except IntegrityError:
            continue
        stored += 1
    return stored


# The system notes of a transcript, stored as written here (the console shows them in the agent's language:
# bot/core/console/system_notes.py).
HANDED_OVER_NOTE = "Handed over by the assistant: {reason}."
OUT_OF_HOURS_NOTE = " Outside the support hours."
TOOK_OVER_NOTE = "{agent} took over the conversation."
CLOSED_NOTE = "{agent} closed the conversation: {note}"


def system_message(session: Session, escalation_id: int, text: str, now: datetime) -> None:
    session.add(EscalationMessage(escalation_id=escalation_id, sender="system", text=text, created_at=now))


def create_escalation(
    session: Session,
    *,
    conversation_id: str,
    channel: str,
    language: str,
    reason: str,
    transcript: Sequence[TranscriptLine],
    customer_id: str | None,
    now: datetime,
    out_of_hours: bool,
) -> tuple[Escalation, bool]:
    """The conversation's open escalation and False when it has one (nothing is added), else a new waiting
    escalation with the transcript and True."""
    existing = open_escalation(session, conversation_id)
    if existing is not None:
        return existing, False
    escalation = Escalation(
        conversation_id=conversation_id,
        channel=channel,
        language=language,
        customer_id=known_customer(session, customer_id),
        reason=reason,
        status="waiting",
        created_at=now,
        out_of_hours=out_of_hours,
        rasa_attempts=0,
    )
    try:
        session.add(escalation)
        session.flush()
    except IntegrityError:  # a concurrent request created it first
        session.rollback()
        existing = open_escalation(session, conversation_id)
        if existing is None:
            raise
        return existing, False
    store_rasa_messages(session, escalation.id, transcript, now)
    note = HANDED_OVER_NOTE.format(reason=HANDOFF_REASON_NOTES.get(reason, reason))
    if out_of_hours:
        note += OUT_OF_HOURS_NOTE
    system_message(session, escalation.id, note, now)
    session.commit()
    return escalation, True


# ------------------------------------------------------------------ the agents' side


def get_escalation(session: Session, escalation_id: int) -> Escalation:
    escalation = session.get(Escalation, escalation_id)
    if escalation is None:
        raise NotFound("no_such_escalation", "There is no such escalation.")
    return escalation


def agent_name(session: Session, agent_id: int | None) -> str | None:
    agent = session.get(Agent, agent_id) if agent_id is not None else None
    return agent.display_name if agent else None


def claim(session: Session, escalation_id: int, agent: Agent, now: datetime) -> Escalation:
    """Exactly one agent gets a waiting escalation; everyone else (the same agent again too) gets Conflict."""
    escalation = get_escalation(session, escalation_id)
    won = session.execute(
        update(Escalation)
        .where(Escalation.id == escalation_id, Escalation.status == "waiting")
        .values(status="claimed", claimed_by=agent.id, claimed_at=now)
    ).rowcount
    if won != 1:
        session.rollback()
        session.refresh(escalation)
        if escalation.status == "closed":
            raise Conflict("already_closed", "This escalation is already closed.")
        who = "you" if escalation.claimed_by == agent.id else agent_name(session, escalation.claimed_by)
        raise Conflict("already_claimed", f"This escalation was already claimed by {who or 'another agent'}.")
    system_message(session, escalation_id, TOOK_OVER_NOTE.format(agent=agent.display_name), now)
    session.commit()
    session.refresh(escalation)
    return escalation


def _require_owner(escalation: Escalation, agent: Agent) -> None:
    if escalation.status == "closed":
        raise Conflict("already_closed", "This escalation is already closed.")
    if escalation.status != "claimed" or escalation.claimed_by != agent.id:
        raise Forbidden("not_your_escalation", "Only the agent who claimed this escalation can do that.")


def add_agent_message(session: Session, escalation_id: int, agent: Agent, text: str,
                      now: datetime) -> EscalationMessage:
    """The claiming agent's reply, stored undelivered (Rasa is asked to deliver it afterwards)."""
    escalation = get_escalation(session, escalation_id)
    _require_owner(escalation, agent)
    message = EscalationMessage(
        escalation_id=escalation_id, sender="agent", text=clean_text(text), created_at=now, agent_id=agent.id
    )
    session.add(message)
    session.commit()
    return message


def close(session: Session, escalation_id: int, agent: Agent, note: str, now: datetime) -> Escalation:
    """The claiming agent closes with a resolution note (Rasa is asked to resume the conversation
    afterwards)."""
    escalation = get_escalation(session, escalation_id)
    _require_owner(escalation, agent)
    note = clean_text(note).strip()
    done = session.execute(
        update(Escalation)
        .where(
            Escalation.id == escalation_id, Escalation.status == "claimed", Escalation.claimed_by == agent.id
        )
        .values(status="closed", closed_at=now, resolution_note=note, rasa_retry_at=None, rasa_attempts=0)
    ).rowcount
    if done != 1:
        session.rollback()
        raise Conflict("already_closed", "This escalation is already closed.")
    system_message(session, escalation_id, CLOSED_NOTE.format(agent=agent.display_name, note=note), now)
    session.commit()
    session.refresh(escalation)
    return escalation


def messages_of(session: Session, escalation_id: int, after_id: int = 0) -> list[EscalationMessage]:
    """The transcript in order of time (messages from Rasa carry their event's time), then of arrival."""
    query = select(EscalationMessage).where(
        EscalationMessage.escalation_id == escalation_id, EscalationMessage.id > after_id
    )
    return list(session.scalars(query.order_by(EscalationMessage.created_at, EscalationMessage.id)))


# ------------------------------------------------------------------ delivery to the customer


@dataclass(frozen=True)
class Delivery:
    escalation_id: int
    status: str
    language: str
    messages: list[tuple[int, str, str]]  # id, text, agent's display name


LEFT_NOTE = "The customer started a new conversation in the web chat: replies here no longer reach them."


def customer_left(session: Session, conversation_id: str, now: datetime) -> bool:
    """Notes once in the conversation's open escalation that the customer left it for a new conversation;
    False when the conversation has no open escalation."""
    escalation = open_escalation(session, conversation_id)
    if escalation is None:
        return False
    noted = session.scalar(select(exists().where(
        EscalationMessage.escalation_id == escalation.id, EscalationMessage.sender == "system",
        EscalationMessage.text == LEFT_NOTE)))
    if not noted:
        system_message(session, escalation.id, LEFT_NOTE, now)
        session.commit()
    return True


@dataclass(frozen=True)
class SentReply:
    """An agent's reply already handed to the conversation's channel."""

    id: int
    text: str
    agent_name: str
    sent_at: datetime


def agent_replies(conversation_id: str, delivered: bool) -> Select[tuple[EscalationMessage]]:
    """The agents' replies in any escalation of the conversation, delivered or not yet."""
    sent_at = EscalationMessage.delivered_at
    delivery = sent_at.is_not(None) if delivered else sent_at.is_(None)
    return (
        select(EscalationMessage)
        .join(Escalation, EscalationMessage.escalation_id == Escalation.id)
        .where(Escalation.conversation_id == conversation_id, EscalationMessage.sender == "agent", delivery)
    )


def sent_replies(session: Session, conversation_id: str, limit: int = 50) -> list[SentReply]:
    """The latest `limit` agents' replies delivered to the conversation (any of its escalations), oldest
    first: what a chat that was closed meanwhile has missed."""
    latest = session.scalars(
        agent_replies(conversation_id, delivered=True).order_by(EscalationMessage.id.desc()).limit(limit)
    ).all()
    return [SentReply(m.id, m.text, agent_name(session, m.agent_id) or "Canon", as_utc(m.delivered_at))
            for m in reversed(latest)]


def take_deliveries(session: Session, conversation_id: str, now: datetime) -> Delivery:
    """The agents' undelivered replies in the conversation, each marked delivered by exactly one caller."""
    escalations = session.scalars(
        select(Escalation).where(Escalation.conversation_id == conversation_id).order_by(Escalation.id.desc())
    ).all()
    if not escalations:
        raise NotFound("no_escalation", "This conversation was never handed to the support team.")
    current = next((e for e in escalations if e.status != "closed"), escalations[0])
    undelivered = agent_replies(conversation_id, delivered=False)
    pending = session.scalars(undelivered.order_by(EscalationMessage.id)).all()
    taken: list[tuple[int, str, str]] = []
    for message in pending:
        mine = session.execute(
            update(EscalationMessage)
            .where(EscalationMessage.id == message.id, EscalationMessage.delivered_at.is_(None))
            .values(delivered_at=now)
        ).rowcount
        if mine == 1:
            taken.append((message.id, message.text, agent_name(session, message.agent_id) or "Canon"))
    session.commit()
    return Delivery(current.id, current.status, current.language, taken)


def undelivered_ids(session: Session, conversation_id: str) -> list[int]:
    query = (
        select(EscalationMessage.id)
        .join(Escalation, EscalationMessage.escalation_id == Escalation.id)
        .where(
            Escalation.conversation_id == conversation_id,
            EscalationMessage.sender == "agent",
            EscalationMessage.delivered_at.is_(None),
        )
    )
    return list(session.scalars(query.order_by(EscalationMessage.id)))


def due_for_rasa(session: Session, now: datetime) -> list[int]:
    """Escalations with work for Rasa whose retry time has come: undelivered replies, or a close not yet
    announced."""
    undelivered = exists().where(
        EscalationMessage.escalation_id == Escalation.id,
        EscalationMessage.sender == "agent",
        EscalationMessage.delivered_at.is_(None),
    )
    query = select(Escalation.id).where(
        or_(Escalation.rasa_retry_at.is_(None), Escalation.rasa_retry_at <= now),
        or_(and_(Escalation.status == "closed", Escalation.close_notified_at.is_(None)), undelivered),
    )
    return list(session.scalars(query.order_by(Escalation.id)))


def take_lease(session: Session, escalation_id: int, now: datetime, seconds: float) -> bool:
    """Whether this caller may talk to Rasa about the escalation now (no one else holds it, its retry is
    due)."""
    won = session.execute(
        update(Escalation)
        .where(
            Escalation.id == escalation_id,
            or_(Escalation.rasa_retry_at.is_(None), Escalation.rasa_retry_at <= now),
        )
        .values(rasa_retry_at=now + timedelta(seconds=seconds))
    ).rowcount
    session.commit()
    return won == 1


def finish_lease(session: Session, escalation_id: int, now: datetime, ok: bool, settings: HandoffSettings,
                 close_notified: bool = False) -> None:
    """After talking to Rasa: clear the retry, or schedule it later (doubling, up to MAX_RETRY_SECONDS)."""
    escalation = session.get(Escalation, escalation_id)
    if escalation is None:
        return
    if close_notified:
        escalation.close_notified_at = now
    if ok:
        escalation.rasa_retry_at, escalation.rasa_attempts = None, 0
    else:
        doubled = settings.retry_seconds * math.pow(2, min(escalation.rasa_attempts, 16))
        delay = min(MAX_RETRY_SECONDS, doubled)
        escalation.rasa_retry_at = now + timedelta(seconds=delay)
        escalation.rasa_attempts += 1
    session.commit()


def newer_open_escalation(session: Session, escalation: Escalation) -> bool:
    """Whether the conversation was handed over again after this escalation (then it must stay paused)."""
    query = select(Escalation.id).where(
        Escalation.conversation_id == escalation.conversation_id,
        Escalation.id > escalation.id,
        Escalation.status != "closed",
    )
    return session.scalars(query.limit(1)).first() is not None


# ------------------------------------------------------------------ customer messages from Rasa


def open_escalations(session: Session) -> list[Escalation]:
    query = select(Escalation).where(Escalation.status != "closed")
    return list(session.scalars(query.order_by(Escalation.id)))


def sync_cutoff(session: Session, escalation: Escalation) -> float:
    """The timestamp after which the tracker's user events are new for this escalation: the newest customer
    message stored from Rasa, else the escalation's creation."""
    newest = session.scalar(
        select(func.max(EscalationMessage.source_event_ts)).where(
            EscalationMessage.escalation_id == escalation.id, EscalationMessage.sender == "customer"
        )
    )
    return float(newest) if newest is not None else as_utc(escalation.created_at).timestamp()


def handover_cutoff(session: Session, escalation: Escalation) -> float:
    """The timestamp after which Rasa's user events are new for this escalation whatever order they come in
    (events from the broker may be redelivered late): the newest customer line of the transcript it was
    created with, else its creation. Unlike `sync_cutoff` it does not move as messages are stored."""
    created = as_utc(escalation.created_at).timestamp()
    newest = session.scalar(
        select(func.max(EscalationMessage.source_event_ts)).where(
            EscalationMessage.escalation_id == escalation.id, EscalationMessage.sender == "customer",
            EscalationMessage.source_event_ts <= created,
        )
    )
    return float(newest) if newest is not None else created


def customer_line(event: Any) -> TranscriptLine | None:
    """A Rasa `user` event with text and a usable timestamp as the customer's line, else None."""
    if not isinstance(event, dict) or event.get("event") != "user":
        return None
    text, timestamp = event.get("text"), event.get("timestamp")
    if not isinstance(text, str) or not text.strip() or not isinstance(timestamp, int | float):
        return None
    if isinstance(timestamp, bool) or not math.isfinite(timestamp):
        return None
    return TranscriptLine("customer", text, float(timestamp))


def user_events_after(tracker: dict[str, Any], cutoff: float) -> list[TranscriptLine]:
    """The tracker's `user` events with text and a timestamp after `cutoff`, oldest first."""
    lines = [customer_line(event) for event in tracker.get("events") or []]
    return sorted((line for line in lines if line is not None and line.timestamp > cutoff),
                  key=lambda line: line.timestamp)
