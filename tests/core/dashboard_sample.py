"""Recorded analytics written straight into the core's database for the dashboard's tests (the recorder's own tests
go through Rasa's events): sessions, their messages and flow steps, and escalations. Also `sample`, one fixed set
of rows whose figures the tests know exactly (tests/core/test_analytics_figures.py, tests/web/test_dashboard.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session

from bot.core.db.models import (
    AnalyticsConversation,
    AnalyticsFlowStep,
    AnalyticsTurn,
    Escalation,
    EscalationMessage,
)


def utc(text: str) -> datetime:
    """A UTC moment from "2026-11-02 10:00" (seconds optional)."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@dataclass
class Rows:
    """Adds rows to `session` (commit with `done`)."""

    session: Session

    def conversation(self, conversation_id: str, started_at: str, language: str = "lt", *,
                     handoff_reason: str | None = None, satisfaction: str | None = None) -> AnalyticsConversation:
        moment = utc(started_at)
        row = AnalyticsConversation(
            conversation_id=conversation_id, session_start=moment.timestamp(), started_at=moment,
            last_event_at=moment, channel="socketio", language=language, handoff_reason=handoff_reason,
            handed_over_at=moment if handoff_reason else None, satisfaction=satisfaction,
            satisfaction_at=moment if satisfaction else None)
        self.session.add(row)
        self.session.flush()
        return row

    def say(self, conversation: AnalyticsConversation, at: str, intent: str | None, *, language: str | None = None,
            fallback: bool = False, sender: str = "customer") -> None:
        """A message of the session (a customer's by default) in the session's language unless given."""
        moment = utc(at)
        self.session.add(AnalyticsTurn(
            conversation_ref=conversation.id, sender=sender, event_ts=moment.timestamp(), at=moment,
            text=f"{sender} {intent}", intent=intent if sender == "customer" else None,
            confidence=0.9 if sender == "customer" else None, language=language or conversation.language,
            fallback=fallback))

    def steps(self, conversation: AnalyticsConversation, flow: str, at: str, *steps: str,
              same_moment: bool = False) -> None:
        """Flow steps one second apart from `at` (all at `at` with same_moment, inserted in the given order)."""
        moment = utc(at)
        for n, step in enumerate(steps):
            when = moment if same_moment else moment + timedelta(seconds=n)
            self.session.add(AnalyticsFlowStep(conversation_ref=conversation.id, flow=flow, step=step,
                                               event_ts=when.timestamp(), at=when))
            self.session.flush()

    def escalation(self, conversation_id: str, language: str, created_at: str, claimed_at: str | None = None,
                   agent_replies: tuple[str, ...] = (), reason: str = "customer_request") -> Escalation:
        created = utc(created_at)
        row = Escalation(conversation_id=conversation_id, channel="socketio", language=language, reason=reason,
                         status="claimed" if claimed_at else "waiting", created_at=created,
                         claimed_at=utc(claimed_at) if claimed_at else None)
        self.session.add(row)
        self.session.flush()
        self.session.add(EscalationMessage(escalation_id=row.id, sender="system", text="handed over",
                                           created_at=created + timedelta(seconds=1)))
        for n, at in enumerate(agent_replies):
            self.session.add(EscalationMessage(escalation_id=row.id, sender="agent", text=f"reply {n}",
                                               created_at=utc(at)))
        return row

    def done(self) -> None:
        self.session.commit()


def sample(session: Session, day_1: str = "2026-11-02", day_2: str = "2026-11-03", prefix: str = "") -> None:
    """The sample: conversations c1-c5 on two days (day_1, day_2) counted, c6-c8 not; escalations of c3, c5, x3 and
    x4 counted, x5 not. The expected figures are in tests/core/test_analytics_figures.py. Another sample in the same
    database needs another `prefix` (of the conversation ids) and days at least two days away."""
    before = (datetime.fromisoformat(day_1) - timedelta(days=1)).date().isoformat()
    after = (datetime.fromisoformat(day_2) + timedelta(days=1)).date().isoformat()
    r = Rows(session)
    c1 = r.conversation(f"{prefix}c1", f"{day_1} 10:00", "lt", satisfaction="helped")
    r.say(c1, f"{day_1} 10:00", "greet")
    r.say(c1, f"{day_1} 10:00:30", None, sender="bot")
    r.say(c1, f"{day_1} 10:01", "faq_fees")
    r.steps(c1, "registration_form", f"{day_1} 10:02", "vat_registered", "started", same_moment=True)
    r.steps(c1, "registration_form", f"{day_1} 10:03", "had_cps_account", "completed")
    c2 = r.conversation(f"{prefix}c2", f"{day_1} 11:00", "lt")
    r.say(c2, f"{day_1} 11:00", "faq_fees")
    r.say(c2, f"{day_1} 11:02", "switch_language", language="en")
    r.steps(c2, "registration_form", f"{day_1} 11:03", "started", "vat_registered")
    c3 = r.conversation(f"{prefix}c3", f"{day_2} 09:00", "en", handoff_reason="fallback")
    r.say(c3, f"{day_2} 09:00", "nlu_fallback", fallback=True)
    r.say(c3, f"{day_2} 09:01", "nlu_fallback", fallback=True)
    r.say(c3, f"{day_2} 09:02", "human_handoff")
    r.steps(c3, "registration_form", f"{day_2} 09:00:10", "started", "vat_registered", "vat_registered",
            "handed_over")
    c4 = r.conversation(f"{prefix}c4", f"{day_2} 12:00", "lt", satisfaction="not_helped")
    r.say(c4, f"{day_2} 12:00", "faq_points")
    r.say(c4, f"{day_2} 12:01", "nlu_fallback", fallback=True)
    r.steps(c4, "registration_form", f"{day_2} 12:02", "started", "vat_registered", "cancelled", "started",
            "vat_registered", "had_cps_account", "completed")
    c5 = r.conversation(f"{prefix}c5", f"{day_2} 13:00", "en", handoff_reason="customer_request", satisfaction="helped")
    r.say(c5, f"{day_2} 13:00", "human_handoff")
    r.steps(c5, "membership_form", f"{day_2} 13:00:01", "tier", "started", "tier", "payment_method")
    c6 = r.conversation(f"{prefix}c6", f"{day_1} 14:00", "lt")  # the bot spoke alone: no conversation
    r.say(c6, f"{day_1} 14:00", None, sender="bot")
    r.steps(c6, "membership_form", f"{day_1} 14:00", "started")
    c7 = r.conversation(f"{prefix}c7", f"{after} 00:00", "lt")  # after the period
    r.say(c7, f"{after} 00:00", "greet")
    r.steps(c7, "membership_form", f"{after} 00:00", "started", "completed")
    c8 = r.conversation(f"{prefix}c8", f"{before} 23:59:59", "lt")  # before the period; its second message is inside
    r.say(c8, f"{before} 23:59:59", "greet")
    r.say(c8, f"{day_1} 00:00:30", "faq_fees")
    r.escalation(f"{prefix}c3", "en", f"{day_2} 09:02", f"{day_2} 09:03:30", (f"{day_2} 09:05", f"{day_2} 09:06"),
                 reason="fallback")
    r.escalation(f"{prefix}c5", "en", f"{day_2} 13:00:10", f"{day_2} 13:10:10", (f"{day_2} 13:10:40",))
    r.escalation(f"{prefix}x3", "lt", f"{day_1} 15:00", f"{day_1} 15:00:30")
    r.escalation(f"{prefix}x4", "lt", f"{day_1} 16:00")
    r.escalation(f"{prefix}x5", "lt", f"{after} 08:00", f"{after} 08:00:05", (f"{after} 08:00:06",))
    r.done()
