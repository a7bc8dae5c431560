"""What the agent console shows, as plain dicts (the templates render them; the live streams send them as
JSON): the queue, one escalation with its transcript, a verified customer's account context, and the
messages the assistant did not understand (the fallback log).

Nothing here escapes text: templates autoescape, and console.js builds the DOM with textContent.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.core.clock import as_utc
from bot.core.db.models import Agent, Customer, Escalation, EscalationMessage, FallbackMessage
from bot.core.handoff import service
from bot.core.services import fallbacks as fallback_log
from bot.core.services.accounts import (
    active_membership,
    balance_of,
    latest_application,
    pending_points_of,
    products_of,
)
from bot.core.services.responses import product_out
from bot.vocabulary import HANDOFF_REASON_TITLES, LANGUAGE_NAMES

RECENTLY_CLOSED = 20


def iso(moment: datetime | None) -> str | None:
    return as_utc(moment).isoformat() if moment else None


def agent_names(session: Session) -> dict[int, str]:
    return dict(session.execute(select(Agent.id, Agent.display_name)).tuples().all())


def escalation_item(escalation: Escalation, names: dict[int, str], me: int) -> dict[str, Any]:
    """One escalation as the queue and the escalation view show it (no values relative to now: the browser
    computes waiting times from created_at)."""
    return {
        "id": escalation.id,
        "conversation_id": escalation.conversation_id,
        "channel": escalation.channel,
        "language": escalation.language,
        "language_name": LANGUAGE_NAMES.get(escalation.language, escalation.language),
        "reason": escalation.reason,
        "reason_title": HANDOFF_REASON_TITLES.get(escalation.reason, escalation.reason),
        "status": escalation.status,
        "customer_id": escalation.customer_id,
        "customer_verified": escalation.customer_id is not None,
        "out_of_hours": escalation.out_of_hours,
        "created_at": iso(escalation.created_at),
        "claimed_at": iso(escalation.claimed_at),
        "claimed_by": names.get(escalation.claimed_by) if escalation.claimed_by else None,
        "claimed_by_me": escalation.claimed_by == me,
        "closed_at": iso(escalation.closed_at),
        "resolution_note": escalation.resolution_note,
    }


def queue(session: Session, me: int) -> dict[str, list[dict[str, Any]]]:
    """Waiting (oldest first), claimed by me, claimed by others, and the recently closed (newest first)."""
    names = agent_names(session)
    open_ = session.scalars(
        select(Escalation).where(Escalation.status != "closed").order_by(Escalation.created_at, Escalation.id)
    ).all()
    closed = session.scalars(
        select(Escalation)
        .where(Escalation.status == "closed")
        .order_by(Escalation.closed_at.desc(), Escalation.id.desc())
        .limit(RECENTLY_CLOSED)
    ).all()
    return {
        "waiting": [escalation_item(e, names, me) for e in open_ if e.status == "waiting"],
        "mine": [escalation_item(e, names, me) for e in open_
                 if e.status == "claimed" and e.claimed_by == me],
        "others": [escalation_item(e, names, me) for e in open_
                   if e.status == "claimed" and e.claimed_by != me],
        "closed": [escalation_item(e, names, me) for e in closed],
    }


def message_item(message: EscalationMessage, names: dict[int, str]) -> dict[str, Any]:
    return {
        "id": message.id,
        "sender": message.sender,
        "text": message.text,
        "created_at": iso(message.created_at),
        "agent_name": names.get(message.agent_id) if message.agent_id else None,
        "delivered": message.delivered_at is not None if message.sender == "agent" else None,
    }


def messages(session: Session, escalation_id: int, after_id: int = 0) -> list[dict[str, Any]]:
    names = agent_names(session)
    return [message_item(m, names) for m in service.messages_of(session, escalation_id, after_id)]


def customer_context(session: Session, customer_id: str | None) -> dict[str, Any] | None:
    """A verified customer's account, from the same services as the account API: the application, the points,
    the products without the green tick and what each lacks, and the current membership."""
    customer = session.get(Customer, customer_id) if customer_id else None
    if customer is None:
        return None
    application = latest_application(session, customer.id)
    products = products_of(session, customer.id)
    membership = active_membership(session, customer.id)
    lacking = [product_out(p) for p in products]
    return {
        "customer_id": customer.id,
        "email": customer.email,
        "application": None
        if application is None
        else {
            "status": application.status,
            "company": application.company,
            "submitted_at": iso(application.submitted_at),
            "expected_approval_date": application.expected_approval_date.isoformat(),
        },
        "points": {"balance": balance_of(products), "pending": pending_points_of(products)},
        "products_count": len(products),
        "products_without_green_tick": [
            {"id": p.id, "model": p.model, "name": p.name, "missing_fields": p.missing_fields}
            for p in lacking
            if not p.has_green_tick
        ],
        "membership": None
        if membership is None
        else {"tier": membership.tier, "number": membership.number, "started_at": iso(membership.started_at)},
    }


def detail(session: Session, escalation: Escalation, me: int) -> dict[str, Any]:
    """The escalation view: the escalation, its transcript, the customer's context, what I may do."""
    item = escalation_item(escalation, agent_names(session), me)
    return {
        "escalation": item,
        "messages": messages(session, escalation.id),
        "context": customer_context(session, escalation.customer_id),
        "can_claim": escalation.status == "waiting",
        "can_reply": escalation.status == "claimed" and escalation.claimed_by == me,
    }


def fallback_item(message: FallbackMessage) -> dict[str, Any]:
    """One misunderstood message as the review page and its JSON show it (the text was redacted when
    stored)."""
    return {
        "id": message.id,
        "created_at": iso(message.created_at),
        "conversation_id": message.conversation_id,
        "channel": message.channel,
        "language": message.language,
        "language_name": LANGUAGE_NAMES.get(message.language, message.language),
        "text": message.text,
        "top_intents": message.top_intents,
        "fallback_in_a_row": message.fallback_in_a_row,
    }


def fallbacks(session: Session, limit: int, before_id: int | None = None) -> dict[str, Any]:
    """A page of the fallback log, newest first, and the `before_id` of the next (older) page, or None when
    this is the last."""
    rows = fallback_log.latest(session, limit + 1, before_id)  # one more than shown: is there an older page?
    shown = rows[:limit]
    return {
        "fallbacks": [fallback_item(m) for m in shown],
        "next_before_id": shown[-1].id if len(rows) > limit else None,
    }
