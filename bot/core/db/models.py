"""SQLAlchemy 2 ORM models. Points are not stored: they derive from the complete registered products."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    Date,
    DateTime,
    Double,
    ForeignKey,
    Index,
    MetaData,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from bot.conversation_ids import MAX_CONVERSATION_ID

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


Timestamp = DateTime(timezone=True)


class Customer(Base):
    """A Canon business account holder (the `sub` of customer tokens)."""

    __tablename__ = "customers"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    email: Mapped[str | None] = mapped_column(String(254))


class Application(Base):
    """An application for a business account."""

    __tablename__ = "applications"
    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[str] = mapped_column(ForeignKey("customers.id"), index=True)
    company: Mapped[str] = mapped_column(String(200))
    country: Mapped[str] = mapped_column(String(2))
    vat_registered: Mapped[bool]
    documents: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    old_cps_email: Mapped[str | None] = mapped_column(String(254))
    status: Mapped[str] = mapped_column(String(16))  # submitted / approved / rejected
    submitted_at: Mapped[datetime] = mapped_column(Timestamp)
    expected_approval_date: Mapped[date] = mapped_column(Date)
    rejection_reason: Mapped[str | None] = mapped_column(String(500))
    customer: Mapped[Customer] = relationship()


class RegisteredProduct(Base):
    """A product registered on a business account; complete once all four details are known."""

    __tablename__ = "registered_products"
    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[str] = mapped_column(ForeignKey("customers.id"), index=True)
    model: Mapped[str] = mapped_column(String(40))
    serial_number: Mapped[str | None] = mapped_column(String(40))
    purchase_date: Mapped[date | None] = mapped_column(Date)
    country_of_purchase: Mapped[str | None] = mapped_column(String(2))
    dealer: Mapped[str | None] = mapped_column(String(120))
    customer: Mapped[Customer] = relationship()


class LegacyProduct(Base):
    """A product registered under an old CPS account (by e-mail), waiting to be migrated."""

    __tablename__ = "legacy_products"
    id: Mapped[int] = mapped_column(primary_key=True)
    old_cps_email: Mapped[str] = mapped_column(String(254), index=True)
    model: Mapped[str] = mapped_column(String(40))
    serial_number: Mapped[str | None] = mapped_column(String(40))
    purchase_date: Mapped[date | None] = mapped_column(Date)
    country_of_purchase: Mapped[str | None] = mapped_column(String(2))
    dealer: Mapped[str | None] = mapped_column(String(120))
    migrated_to_customer_id: Mapped[str | None] = mapped_column(ForeignKey("customers.id"))


class Membership(Base):
    """A CPS membership; a new order retires the active one and starts another with a new number."""

    __tablename__ = "memberships"
    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[str] = mapped_column(ForeignKey("customers.id"), index=True)
    tier: Mapped[str] = mapped_column(String(20))
    number: Mapped[str] = mapped_column(String(20), unique=True)
    status: Mapped[str] = mapped_column(String(10))  # active / retired
    started_at: Mapped[datetime] = mapped_column(Timestamp)
    customer: Mapped[Customer] = relationship()


class Order(Base):
    """A CPS membership purchase and its invoice (one per customer and Idempotency-Key)."""

    __tablename__ = "orders"
    __table_args__ = (UniqueConstraint("customer_id", "idempotency_key", name="uq_orders_customer_key"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[str] = mapped_column(ForeignKey("customers.id"), index=True)
    idempotency_key: Mapped[str] = mapped_column(String(100))
    tier: Mapped[str] = mapped_column(String(20))
    payment_method: Mapped[str] = mapped_column(String(20))  # card / bank_transfer
    annual_fee: Mapped[Decimal] = mapped_column(Numeric(10, 2))
    invoice_issued_at: Mapped[datetime] = mapped_column(Timestamp)
    invoice_due_date: Mapped[date] = mapped_column(Date)
    membership_id: Mapped[int] = mapped_column(ForeignKey("memberships.id"))
    customer: Mapped[Customer] = relationship()
    membership: Mapped[Membership] = relationship()


# ------------------------------------------------------------------ human handoff (docs/handoff.md)


AGENT_ROLE = "agent"  # the queue, escalations, the fallback log
ADMIN_ROLE = "admin"  # an agent's pages, and the analytics: dashboard, conversation review, erasure (docs/analytics.md)
ROLES = (AGENT_ROLE, ADMIN_ROLE)


class Agent(Base):
    """A support agent who signs in to the console at /agent (password: argon2id hash); an admin also sees the
    analytics."""

    __tablename__ = "agents"
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(120))
    password_hash: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(default=True)
    role: Mapped[str] = mapped_column(String(16), default=AGENT_ROLE, server_default=AGENT_ROLE)
    created_at: Mapped[datetime] = mapped_column(Timestamp)


class AgentSession(Base):
    """A signed-in console session: only the SHA-256 of the cookie's token is stored; deleting it signs
    out."""

    __tablename__ = "agent_sessions"
    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    agent_id: Mapped[int] = mapped_column(ForeignKey("agents.id", ondelete="CASCADE"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(Timestamp)
    expires_at: Mapped[datetime] = mapped_column(Timestamp)
    agent: Mapped[Agent] = relationship()


OPEN_ESCALATION = text("status != 'closed'")


class Escalation(Base):
    """A conversation handed to the support team; at most one that is not closed per conversation.

    close_notified_at, rasa_retry_at and rasa_attempts belong to the core's calls to Rasa (replies delivered,
    the conversation resumed after closing): when they are due again, and how often they failed.
    """

    __tablename__ = "escalations"
    __table_args__ = (
        Index(
            "uq_escalations_open_conversation",
            "conversation_id",
            unique=True,
            sqlite_where=OPEN_ESCALATION,
            postgresql_where=OPEN_ESCALATION,
        ),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[str] = mapped_column(String(MAX_CONVERSATION_ID), index=True)
    channel: Mapped[str] = mapped_column(String(32))
    language: Mapped[str] = mapped_column(String(2))
    customer_id: Mapped[str | None] = mapped_column(ForeignKey("customers.id"))
    reason: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16), index=True)  # waiting / claimed / closed
    created_at: Mapped[datetime] = mapped_column(Timestamp)
    claimed_by: Mapped[int | None] = mapped_column(ForeignKey("agents.id"))
    claimed_at: Mapped[datetime | None] = mapped_column(Timestamp)
    closed_at: Mapped[datetime | None] = mapped_column(Timestamp)
    resolution_note: Mapped[str | None] = mapped_column(Text)
    out_of_hours: Mapped[bool] = mapped_column(default=False)
    close_notified_at: Mapped[datetime | None] = mapped_column(Timestamp)
    rasa_retry_at: Mapped[datetime | None] = mapped_column(Timestamp)
    rasa_attempts: Mapped[int] = mapped_column(default=0)
    agent: Mapped[Agent | None] = relationship()


class EscalationMessage(Base):
    """One line of an escalation's transcript.

    sender: customer / bot / agent / system. source_event_ts is the Rasa event's timestamp of messages that
    came from Rasa (the transcript at creation and the customer messages synced later): unique per escalation
    and sender, so nothing is stored twice. delivered_at: when an agent's message was handed to Rasa for the
    customer.
    """

    __tablename__ = "escalation_messages"
    __table_args__ = (
        UniqueConstraint("escalation_id", "sender", "source_event_ts", name="uq_escalation_messages_source"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    escalation_id: Mapped[int] = mapped_column(ForeignKey("escalations.id", ondelete="CASCADE"), index=True)
    sender: Mapped[str] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(Timestamp)
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id"))
    source_event_ts: Mapped[float | None] = mapped_column(Double)
    delivered_at: Mapped[datetime | None] = mapped_column(Timestamp)
    agent: Mapped[Agent | None] = relationship()


# ------------------------------------------------------------------ the fallback log (docs/core-service.md)


class FallbackMessage(Base):
    """A customer message the assistant did not understand, kept for the support team's review.

    text is redacted before it is stored (bot/core/domain/redaction.py: e-mail addresses and long numbers
    hidden) and capped; top_intents are the model's best guesses, [{"name", "confidence"}], at most 3, best
    first; fallback_in_a_row counts this message (1: the first misunderstanding in a row). conversation_id is
    redacted too (a WhatsApp id is a phone number); conversation_digest (bot/conversation_ids.py) finds the
    conversation's entries for an erasure and the review (None for entries stored before revision 0007).
    """

    __tablename__ = "fallback_messages"
    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(Timestamp, index=True)
    conversation_id: Mapped[str] = mapped_column(String(MAX_CONVERSATION_ID), index=True)
    conversation_digest: Mapped[str | None] = mapped_column(String(64), index=True)
    channel: Mapped[str] = mapped_column(String(32))
    language: Mapped[str] = mapped_column(String(2))
    text: Mapped[str] = mapped_column(Text)
    top_intents: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    fallback_in_a_row: Mapped[int]


# ------------------------------------------------------------------ analytics (docs/analytics.md)


# The values the recorder writes and the dashboard and the review read: AnalyticsTurn.sender (and
# EscalationMessage.sender for an agent's reply), and AnalyticsFlowStep.step besides the names of the slots asked.
SENDER_CUSTOMER, SENDER_BOT, SENDER_AGENT = "customer", "bot", "agent"
STEP_STARTED, STEP_COMPLETED, STEP_CANCELLED, STEP_HANDED_OVER = "started", "completed", "cancelled", "handed_over"


class AnalyticsConversation(Base):
    """One Rasa session of a conversation, recorded from Rasa's events (bot/core/analytics/recorder.py).

    session_start is the Rasa timestamp of the session's `session_started` event (of its first event when none
    came): with conversation_id it names the session, so a redelivered event finds the same row. customer_id is
    set only from a customer token the core verified. satisfaction: "helped" / "not_helped" (bot/vocabulary.py),
    the comment redacted.
    """

    __tablename__ = "analytics_conversations"
    __table_args__ = (UniqueConstraint("conversation_id", "session_start", name="uq_analytics_conversations_session"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[str] = mapped_column(String(MAX_CONVERSATION_ID), index=True)
    session_start: Mapped[float] = mapped_column(Double)
    started_at: Mapped[datetime] = mapped_column(Timestamp, index=True)
    last_event_at: Mapped[datetime] = mapped_column(Timestamp)
    channel: Mapped[str] = mapped_column(String(32), default="unknown")
    language: Mapped[str] = mapped_column(String(2))
    customer_id: Mapped[str | None] = mapped_column(String(64), index=True)
    handoff_reason: Mapped[str | None] = mapped_column(String(32))
    handed_over_at: Mapped[datetime | None] = mapped_column(Timestamp)
    satisfaction: Mapped[str | None] = mapped_column(String(16))
    satisfaction_comment: Mapped[str | None] = mapped_column(Text)
    satisfaction_at: Mapped[datetime | None] = mapped_column(Timestamp)
    # The recorder's state between events (migration 0006): the guided flow in progress, the latest action since
    # the customer's latest message (None: none yet), the handoff reason set for the handover to come.
    flow: Mapped[str | None] = mapped_column(String(64))
    last_action: Mapped[str | None] = mapped_column(String(100))
    next_handoff_reason: Mapped[str | None] = mapped_column(String(32))


class AnalyticsTurn(Base):
    """A message of a recorded session, sender "customer" or "bot" (the transcript): its text redacted
    (bot/core/domain/redaction.py) and capped; for a customer's, the model's intent and confidence, and fallback
    when the assistant did not understand; the conversation's language. event_ts: the Rasa event's timestamp,
    unique per session and sender (a redelivered event is not stored twice)."""

    __tablename__ = "analytics_turns"
    __table_args__ = (UniqueConstraint("conversation_ref", "sender", "event_ts", name="uq_analytics_turns_event"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_ref: Mapped[int] = mapped_column(
        ForeignKey("analytics_conversations.id", ondelete="CASCADE"), index=True)
    sender: Mapped[str] = mapped_column(String(16))  # customer / bot
    event_ts: Mapped[float] = mapped_column(Double)
    at: Mapped[datetime] = mapped_column(Timestamp, index=True)
    text: Mapped[str] = mapped_column(Text)
    intent: Mapped[str | None] = mapped_column(String(100), index=True)
    confidence: Mapped[float | None] = mapped_column(Double)
    language: Mapped[str] = mapped_column(String(2))
    fallback: Mapped[bool] = mapped_column(default=False)


class AnalyticsFlowStep(Base):
    """A step of a guided flow (a Rasa form) in a recorded session: "started", each slot asked (its name),
    "completed", "cancelled" or "handed_over". Unique per session, flow, step and Rasa event timestamp."""

    __tablename__ = "analytics_flow_steps"
    __table_args__ = (UniqueConstraint("conversation_ref", "flow", "step", "event_ts",
                                       name="uq_analytics_flow_steps_event"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_ref: Mapped[int] = mapped_column(
        ForeignKey("analytics_conversations.id", ondelete="CASCADE"), index=True)
    flow: Mapped[str] = mapped_column(String(64))
    step: Mapped[str] = mapped_column(String(64))
    event_ts: Mapped[float] = mapped_column(Double)
    at: Mapped[datetime] = mapped_column(Timestamp, index=True)


class AuditEntry(Base):
    """What an admin (or an operator's command) did to customer data: an erasure, with what it removed."""

    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(Timestamp, index=True)
    actor: Mapped[str] = mapped_column(String(120))  # "agent:<username>" or "command:<os user>"
    action: Mapped[str] = mapped_column(String(32))
    subject: Mapped[str] = mapped_column(String(255))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON)
