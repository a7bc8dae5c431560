"""Rasa's conversation events (dicts as the event broker publishes them) to the analytics rows: sessions, their
messages and the steps of the guided flows (docs/analytics.md "Recording").

Plain functions over a SQLAlchemy session; the caller commits (bot/core/analytics/consumer.py: one transaction per
batch of events). Which events mark what, as Rasa 3.6 and our actions write them:

- `session_started` opens a session (its timestamp names it with the conversation id); any other event belongs
  to the latest session that started at or before it (one is opened at a customer message when none started);
- `user`: a customer message (text redacted and capped, intent, confidence), the channel (`input_channel`), the
  customer (a verified `customer_claim`, bot/core/tokens.py); a `language` slot set before the next message gives
  the message (and the replies so far) its language;
- `action` `action_fallback` as the first action after a customer message: the assistant did not understand it
  (the rule for FALLBACK_INTENT, and what the fallback log records: actions/fallback.py; a message the model was
  unsure of that a flow took as an answer, or sent while handed over, is not a fallback);
- `bot`: a bot message (an agent's reply, response `utter_agent_message`, as sender "agent", redacted);
- `active_loop` with a flow's form: the flow "started"; `requested_slot` set: each step asked, once per run;
  `active_loop` emptied by the form itself: "completed", by `action_stop_flow`: "cancelled", by `action_handoff`:
  "handed_over"; a flow left otherwise (a new session, a payment problem) has none of these: abandoned;
- `pause` after `action_handoff`: handed over, with the `handoff_reason` slot the action set (customer_request
  when none), at the pause's time;
- the `satisfaction` / `satisfaction_comment` slots (bot/vocabulary.py): the customer's answer, the comment
  redacted.

Idempotent: a turn or a step is inserted only when its unique key (session, sender or flow and step, the event's
timestamp) is new, and everything else sets values that the same events set again; so a redelivered event changes
nothing. What the recorder needs between events (the flow in progress, the latest action, the coming handoff's
reason) is kept on the session's row.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from bot.core.db.models import (
    SENDER_AGENT,
    SENDER_BOT,
    SENDER_CUSTOMER,
    STEP_CANCELLED,
    STEP_COMPLETED,
    STEP_HANDED_OVER,
    STEP_STARTED,
    AnalyticsConversation,
    AnalyticsFlowStep,
    AnalyticsTurn,
)
from bot.core.domain.redaction import MAX_STORED_TEXT, clip
from bot.core.domain.redaction import stored_text as redacted_text
from bot.core.tokens import customer_of_claim
from bot.vocabulary import (
    CUSTOMER_CLAIM_KEY,
    CUSTOMER_REQUEST,
    DEFAULT_LANGUAGE,
    FLOW_SLOTS,
    HANDOFF_REASON_SLOT,
    LANGUAGE_SLOT,
    LANGUAGES,
    REQUESTED_SLOT,
    SATISFACTION_ANSWERS,
    SATISFACTION_COMMENT_SLOT,
    SATISFACTION_SLOT,
)

CUSTOMER, BOT, AGENT = SENDER_CUSTOMER, SENDER_BOT, SENDER_AGENT
STARTED, COMPLETED, CANCELLED, HANDED_OVER = STEP_STARTED, STEP_COMPLETED, STEP_CANCELLED, STEP_HANDED_OVER
FALLBACK_ACTION = "action_fallback"  # actions/fallback.py
STOP_ACTION = "action_stop_flow"  # actions/flow_control.py
HANDOFF_ACTION = "action_handoff"  # actions/handoff.py
AGENT_RESPONSE = "utter_agent_message"  # an agent's reply delivered by the assistant (actions/handoff.py)
LISTEN_ACTION = "action_listen"
FLOWS = frozenset(FLOW_SLOTS)
# the flow's end by the action that emptied the active loop
ENDINGS = {STOP_ACTION: CANCELLED, HANDOFF_ACTION: HANDED_OVER}
RECORDED_SLOTS = frozenset({LANGUAGE_SLOT, HANDOFF_REASON_SLOT, REQUESTED_SLOT, SATISFACTION_SLOT,
                            SATISFACTION_COMMENT_SLOT})
RECORDED_EVENTS = frozenset({"user", "bot", "session_started", "active_loop", "pause"})
MAX_TEXT = MAX_STORED_TEXT  # characters of a message's text that are kept, as in the fallback log


def wanted(event: dict[str, Any]) -> bool:
    """Whether the recorder needs the event (decided without the database; the others are skipped)."""
    kind = event.get("event")
    if kind in RECORDED_EVENTS:
        return True
    if kind == "slot":
        return event.get("name") in RECORDED_SLOTS
    return kind == "action" and event.get("name") != LISTEN_ACTION


# a conversation's session seen in this batch, and when the next one starts (math.inf: none after it)
Current = dict[str, tuple[AnalyticsConversation, float]]


def record_events(session: Session, events: Iterable[dict[str, Any]], token_secret: str) -> int:
    """Record the events in their order (the caller commits); the number recorded (those `wanted`)."""
    current: Current = {}
    recorded = 0
    with session.no_autoflush:  # the sessions' changed columns are in no query's conditions: written at the commit
        for event in events:
            if wanted(event) and isinstance(event.get("sender_id"), str) and _timestamp(event) is not None:
                _record(session, current, event, token_secret)
                recorded += 1
    return recorded


def stored_text(text: Any) -> str:
    """What is kept of a customer's (or an agent's) text, whatever the event held (bot/core/domain/redaction.py)."""
    return redacted_text(str(text or ""))


def moment(timestamp: float) -> datetime:
    return datetime.fromtimestamp(timestamp, UTC)


# ------------------------------------------------------------------ sessions


def _timestamp(event: dict[str, Any]) -> float | None:
    value = event.get("timestamp")
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _record(session: Session, current: Current, event: dict[str, Any], token_secret: str) -> None:
    sender, ts, kind = event["sender_id"], float(event["timestamp"]), event["event"]
    if kind == "session_started":
        conversation = _open(session, current, sender, ts)
    else:
        conversation = _session_of(session, current, sender, ts, create=kind == "user")
    if conversation is None:
        return  # before the conversation's first session and not a customer message: nothing to record yet
    if moment(ts) > _aware(conversation.last_event_at):
        conversation.last_event_at = moment(ts)
    HANDLERS.get(kind, _other)(session, conversation, event, ts, token_secret)


def _aware(value: datetime) -> datetime:
    """SQLite gives naive datetimes back: they are UTC."""
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _session_of(session: Session, current: Current, sender: str, ts: float,
                create: bool) -> AnalyticsConversation | None:
    """The session of `sender` that an event at `ts` belongs to: the latest that started at or before it (a customer
    message opens one when none did)."""
    cached, until = current.get(sender, (None, -math.inf))
    if cached is not None and cached.session_start <= ts < until:
        return cached
    found = _sessions_around(session, current, sender, ts)
    return found if found is not None or not create else _open(session, current, sender, ts)


def _sessions_around(session: Session, current: Current, sender: str, ts: float) -> AnalyticsConversation | None:
    """The latest session of `sender` started at or before `ts` (None: none), remembered with when the next one
    starts (a redelivered older event must not move the later events of the batch into its session)."""
    table = AnalyticsConversation
    rows = session.scalars(select(table).where(table.conversation_id == sender).order_by(table.session_start)).all()
    before = [row for row in rows if row.session_start <= ts]
    if not before:
        return None
    found = before[-1]
    later = rows[len(before)] if len(rows) > len(before) else None
    current[sender] = (found, math.inf if later is None else later.session_start)
    return found


def _open(session: Session, current: Current, sender: str, ts: float) -> AnalyticsConversation:
    """The session of `sender` started at `ts` (created once)."""
    _insert_new(session, AnalyticsConversation.__table__, ["conversation_id", "session_start"],
                conversation_id=sender, session_start=ts, started_at=moment(ts), last_event_at=moment(ts),
                channel="unknown", language=DEFAULT_LANGUAGE)
    opened = _sessions_around(session, current, sender, ts)
    assert opened is not None and opened.session_start == ts
    return opened


def _insert_new(session: Session, table: Any, keys: list[str], **values: Any) -> None:
    """INSERT ... ON CONFLICT (keys) DO NOTHING, on SQLite and PostgreSQL."""
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    session.execute(dialect.insert(table).values(**values).on_conflict_do_nothing(index_elements=keys))


# ------------------------------------------------------------------ events


def _user(session: Session, conversation: AnalyticsConversation, event: dict[str, Any], ts: float,
          token_secret: str) -> None:
    intent = ((event.get("parse_data") or {}).get("intent") or {})
    name, confidence = intent.get("name"), intent.get("confidence")
    _turn(session, conversation, CUSTOMER, ts, stored_text(event.get("text")),
          intent=clip(str(name), 100) if name else None,
          confidence=float(confidence) if isinstance(confidence, int | float) else None)
    channel = event.get("input_channel")
    if isinstance(channel, str) and channel:
        conversation.channel = channel[:32]
    conversation.last_action = None  # no action yet after this message
    metadata = event.get("metadata") or {}
    claim = metadata.get(CUSTOMER_CLAIM_KEY) if isinstance(metadata, dict) else None
    if claim is not None:
        customer = customer_of_claim(claim, token_secret, moment(ts))
        if customer is not None:
            conversation.customer_id = customer[:64]


def _bot(session: Session, conversation: AnalyticsConversation, event: dict[str, Any], ts: float,
         token_secret: str) -> None:
    text = event.get("text")
    if not isinstance(text, str) or not text:
        return
    if (event.get("metadata") or {}).get("utter_action") == AGENT_RESPONSE:
        _turn(session, conversation, AGENT, ts, stored_text(text))
    else:
        _turn(session, conversation, BOT, ts, clip(text.replace("\x00", ""), MAX_TEXT))


def _turn(session: Session, conversation: AnalyticsConversation, sender: str, ts: float, text: str,
          **fields: Any) -> None:
    _insert_new(session, AnalyticsTurn.__table__, ["conversation_ref", "sender", "event_ts"],
                conversation_ref=conversation.id, sender=sender, event_ts=ts, at=moment(ts), text=text,
                language=conversation.language, fallback=False, **{"intent": None, "confidence": None, **fields})


def _action(session: Session, conversation: AnalyticsConversation, event: dict[str, Any], ts: float,
            token_secret: str) -> None:
    name = str(event.get("name") or "")
    if name == FALLBACK_ACTION and conversation.last_action is None:
        latest = _latest_customer_ts(conversation, ts)
        session.execute(update(AnalyticsTurn).where(
            AnalyticsTurn.conversation_ref == conversation.id, AnalyticsTurn.sender == CUSTOMER,
            AnalyticsTurn.event_ts == latest).values(fallback=True))
    conversation.last_action = name[:100]


def _latest_customer_ts(conversation: AnalyticsConversation, ts: float) -> Any:
    """The timestamp of the session's latest customer message at or before `ts` (a scalar subquery)."""
    return (select(func.max(AnalyticsTurn.event_ts))
            .where(AnalyticsTurn.conversation_ref == conversation.id, AnalyticsTurn.sender == CUSTOMER,
                   AnalyticsTurn.event_ts <= ts)
            .scalar_subquery())


def _slot(session: Session, conversation: AnalyticsConversation, event: dict[str, Any], ts: float,
          token_secret: str) -> None:
    name, value = event.get("name"), event.get("value")
    if name == LANGUAGE_SLOT and value in LANGUAGES:
        conversation.language = value
        session.execute(update(AnalyticsTurn).where(  # this turn so far: the latest message, the replies to it
            AnalyticsTurn.conversation_ref == conversation.id, AnalyticsTurn.event_ts <= ts,
            AnalyticsTurn.event_ts >= _latest_customer_ts(conversation, ts)).values(language=value))
    elif name == HANDOFF_REASON_SLOT and isinstance(value, str) and value:
        conversation.next_handoff_reason = value[:32]
    elif name == REQUESTED_SLOT and isinstance(value, str) and value and conversation.flow:
        if not _asked_in_this_run(session, conversation, conversation.flow, value, ts):
            _step(session, conversation, conversation.flow, value, ts)
    elif name == SATISFACTION_SLOT and value in SATISFACTION_ANSWERS:
        conversation.satisfaction, conversation.satisfaction_at = value, moment(ts)
    elif name == SATISFACTION_COMMENT_SLOT and isinstance(value, str) and value.strip():
        conversation.satisfaction_comment = stored_text(value)


def _asked_in_this_run(session: Session, conversation: AnalyticsConversation, flow: str, step: str,
                       ts: float) -> bool:
    """Whether the step was recorded since the flow last started (at or before `ts`): a question asked again
    (an unclear answer) is one step."""
    steps = AnalyticsFlowStep
    started = (select(func.max(steps.event_ts))
               .where(steps.conversation_ref == conversation.id, steps.flow == flow, steps.step == STARTED,
                      steps.event_ts <= ts)
               .scalar_subquery())
    return session.scalar(select(steps.id).where(
        steps.conversation_ref == conversation.id, steps.flow == flow, steps.step == step,
        steps.event_ts >= func.coalesce(started, 0.0), steps.event_ts <= ts).limit(1)) is not None


def _active_loop(session: Session, conversation: AnalyticsConversation, event: dict[str, Any], ts: float,
                 token_secret: str) -> None:
    name = event.get("name")
    if name in FLOWS:
        if conversation.flow != name:
            _step(session, conversation, name, STARTED, ts)
            conversation.flow = name
    elif not name and conversation.flow:
        ending = COMPLETED if conversation.last_action == conversation.flow else ENDINGS.get(
            conversation.last_action or "")
        if ending is not None:
            _step(session, conversation, conversation.flow, ending, ts)
        conversation.flow = None


def _step(session: Session, conversation: AnalyticsConversation, flow: str, step: str, ts: float) -> None:
    _insert_new(session, AnalyticsFlowStep.__table__, ["conversation_ref", "flow", "step", "event_ts"],
                conversation_ref=conversation.id, flow=flow, step=step[:64], event_ts=ts, at=moment(ts))


def _pause(session: Session, conversation: AnalyticsConversation, event: dict[str, Any], ts: float,
           token_secret: str) -> None:
    if conversation.last_action != HANDOFF_ACTION:
        return  # paused again by a restart while handed over: not a new handover
    if conversation.handoff_reason is None:  # the first handover of the session counts
        conversation.handoff_reason = conversation.next_handoff_reason or CUSTOMER_REQUEST
        conversation.handed_over_at = moment(ts)
    conversation.next_handoff_reason = None


def _other(session: Session, conversation: AnalyticsConversation, event: dict[str, Any], ts: float,
           token_secret: str) -> None:
    """session_started: the session is opened already."""


HANDLERS = {"user": _user, "bot": _bot, "action": _action, "slot": _slot, "active_loop": _active_loop,
            "pause": _pause}
