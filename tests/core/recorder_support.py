"""Rasa's events as its event broker publishes them, in the order Rasa 3.6 writes them (taken from real trackers of
the trained assistant: an action's `action` event first, then the events it returned), to feed the analytics
recorder; and the recorded rows read back as plain tuples."""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.core.db.models import AnalyticsConversation, AnalyticsFlowStep, AnalyticsTurn

Event = dict[str, Any]


@dataclass
class Talk:
    """The events of one conversation, each 10 ms after the previous one (or at `at`)."""

    sender_id: str
    clock: float = 1_796_000_000.0
    events: list[Event] = field(default_factory=list)

    def event(self, kind: str, **fields: Any) -> Event:
        self.clock += 0.01
        event = {"sender_id": self.sender_id, "event": kind, "timestamp": round(self.clock, 6), **fields}
        self.events.append(event)
        return event

    def session_start(self) -> Talk:
        self.event("action", name="action_session_start", policy=None, confidence=1.0)
        self.event("session_started")
        self.event("action", name="action_listen", policy=None, confidence=None)
        return self

    def user(self, text: str, intent: str, confidence: float = 0.97, channel: str = "rest",
             **metadata: Any) -> Talk:
        self.event("user", text=text, input_channel=channel, message_id=uuid.uuid4().hex,
                   metadata={"model_id": "m", "assistant_id": "a", **metadata},
                   parse_data={"intent": {"name": intent, "confidence": confidence}, "entities": [],
                               "text": text, "intent_ranking": [{"name": intent, "confidence": confidence}]})
        return self

    def slot(self, name: str, value: Any) -> Talk:
        self.event("slot", name=name, value=value)
        return self

    def action(self, name: str, *said: str, response: str | None = None) -> Talk:
        """An action (after Rasa's user_featurization) and the bot messages it sent."""
        self.event("user_featurization", use_text_for_featurization=False)
        self.event("action", name=name, policy="RulePolicy", confidence=1.0)
        for text in said:
            self.bot(text, response or (name if name.startswith("utter_") else None))
        return self

    def bot(self, text: str, response: str | None = None) -> Talk:
        self.event("bot", text=text, data={}, metadata={"utter_action": response} if response else {})
        return self

    def listen(self) -> Talk:
        self.event("action", name="action_listen", policy="RulePolicy", confidence=1.0)
        return self

    def form_asks(self, form: str, slot: str, question: str, first: bool = False) -> Talk:
        """The form's run that asks `slot` (activating the form when `first`)."""
        self.event("action", name=form, policy="followup_action" if first else "RulePolicy", confidence=1.0)
        if first:
            self.event("active_loop", name=form)
        self.slot("requested_slot", slot)
        return self.bot(question, f"utter_ask_{slot}")

    def form_done(self, form: str) -> Talk:
        self.event("action", name=form, policy="RulePolicy", confidence=1.0)
        self.slot("requested_slot", None)
        self.event("active_loop", name=None)
        return self

    def leave_flow(self, *slots: str) -> Talk:
        """What actions/conversation.py leave_flow returns."""
        self.event("active_loop", name=None)
        self.slot("requested_slot", None).slot("dont_know_count", 0)
        for slot in slots:
            self.slot(slot, None)
        return self

    def handed_over(self, reason: str, said: str = "Perduodu kolegai", *flow_slots: str, flow: bool = False) -> Talk:
        """action_handoff as it runs when the core took the escalation."""
        self.action("action_handoff", said, response="utter_handoff_queued")
        self.slot("handoff_reason", reason)
        if flow:
            self.leave_flow(*flow_slots)
        self.slot("handoff_reason", None)
        self.event("pause")
        self.event("action", name="action_listen", policy=None, confidence=None)
        return self


def claim_of(token: str) -> str:
    """What our event broker publishes instead of a token (bot/rasa_ext/token_redaction.py)."""
    header_payload, signature = token.rsplit(".", 1)
    return f"{header_payload}.{hashlib.sha256(signature.encode()).hexdigest()}"


def conversations(session: Session) -> list[tuple[Any, ...]]:
    rows = session.scalars(select(AnalyticsConversation).order_by(AnalyticsConversation.id))
    return [(c.conversation_id, c.session_start, c.channel, c.language, c.customer_id, c.handoff_reason,
             c.handed_over_at is not None, c.satisfaction, c.satisfaction_comment) for c in rows]


def turns(session: Session, conversation_id: str | None = None) -> list[tuple[Any, ...]]:
    query = (select(AnalyticsTurn, AnalyticsConversation.conversation_id).join(AnalyticsConversation)
             .order_by(AnalyticsTurn.event_ts))
    if conversation_id is not None:
        query = query.where(AnalyticsConversation.conversation_id == conversation_id)
    return [(t.sender, t.text, t.intent, t.language, t.fallback) for t, _ in session.execute(query)]


def steps(session: Session, conversation_id: str | None = None) -> list[tuple[str, str]]:
    query = (select(AnalyticsFlowStep).join(AnalyticsConversation).order_by(AnalyticsFlowStep.event_ts))
    if conversation_id is not None:
        query = query.where(AnalyticsConversation.conversation_id == conversation_id)
    return [(s.flow, s.step) for s in session.scalars(query)]


def everything(session: Session) -> tuple[Any, ...]:
    return conversations(session), turns(session), steps(session)
