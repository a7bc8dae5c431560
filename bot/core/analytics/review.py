"""The conversation review (docs/analytics.md): recorded sessions searched and read, and the messages the assistant
did not understand grouped by similarity, so that a person can pick examples, assign each group an intent and
export them as NLU training data (nlu_export.py).

Plain functions over the analytics tables; the console's pages (bot/core/console/review.py) call them. Texts are
already redacted by the recorder.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Select, exists, func, select
from sqlalchemy.orm import Session

from bot.conversation_ids import conversation_digest
from bot.core.analytics.intents import INTENTS
from bot.core.analytics.nlu_export import nlu_yaml
from bot.core.analytics.outcomes import OUTCOMES, outcome_column
from bot.core.clock import as_utc
from bot.core.db.models import (
    SENDER_CUSTOMER,
    AnalyticsConversation,
    AnalyticsFlowStep,
    AnalyticsTurn,
    FallbackMessage,
)
from bot.core.domain.redaction import EMAIL_MARK, NUMBER_MARK, SECRET_MARK
from bot.text import fold, words
from bot.vocabulary import LANGUAGES

PAGE = 50
MAX_NOT_UNDERSTOOD = 5000  # the newest fallback messages grouped at once
SIMILARITY = 0.5  # token-set (Jaccard) similarity that joins a message to a group
MAX_EXAMPLES = 8  # distinct texts shown per group
CUSTOMER = SENDER_CUSTOMER
IGNORED_GUESSES = frozenset({"nlu_fallback"})
_MARKS = (EMAIL_MARK, NUMBER_MARK, SECRET_MARK)


# ------------------------------------------------------------------ search


@dataclass(frozen=True)
class Filters:
    """What a search asks: sessions started from `start` to `end` (whole days, UTC, both included), in `language`,
    with a customer message of `intent`, ending with `outcome` (outcomes.py), of `customer_id`, whose conversation
    id contains `conversation`. Empty means any."""

    start: date | None = None
    end: date | None = None
    language: str | None = None
    intent: str | None = None
    outcome: str | None = None
    customer_id: str | None = None
    conversation: str | None = None

    @classmethod
    def parse(cls, values: Mapping[str, str]) -> Filters:
        """Filters from a query string's values; unusable values are dropped (a search never fails)."""
        def day(name: str) -> date | None:
            try:
                return date.fromisoformat(values.get(name, "").strip())
            except ValueError:
                return None

        def text(name: str, limit: int = 128) -> str | None:
            value = values.get(name, "").strip()[:limit]
            return value or None

        language, outcome, intent = text("language"), text("outcome"), text("intent", 100)
        return cls(start=day("start"), end=day("end"), language=language if language in LANGUAGES else None,
                   intent=intent, outcome=outcome if outcome in OUTCOMES else None,
                   customer_id=text("customer", 64), conversation=text("conversation", 512))

    def as_query(self) -> dict[str, str]:
        """The filters as query-string values (for links to the next page)."""
        named = {"start": self.start, "end": self.end, "language": self.language, "intent": self.intent,
                 "outcome": self.outcome, "customer": self.customer_id, "conversation": self.conversation}
        return {key: str(value) for key, value in named.items() if value is not None}


def day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def _filtered(query: Select[Any], filters: Filters) -> Select[Any]:
    table = AnalyticsConversation
    if filters.start:
        query = query.where(table.started_at >= day_start(filters.start))
    if filters.end:
        query = query.where(table.started_at < day_start(filters.end + timedelta(days=1)))
    if filters.language:
        query = query.where(table.language == filters.language)
    if filters.customer_id:
        query = query.where(table.customer_id == filters.customer_id)
    if filters.conversation:
        query = query.where(table.conversation_id.contains(filters.conversation, autoescape=True))
    if filters.outcome:
        query = query.where(outcome_column() == filters.outcome)
    if filters.intent:
        turn = AnalyticsTurn
        query = query.where(exists().where(turn.conversation_ref == table.id, turn.intent == filters.intent))
    return query


def _counts(session: Session, refs: Sequence[int]) -> dict[int, tuple[int, int]]:
    """(customer messages, not understood) per session."""
    if not refs:
        return {}
    turn = AnalyticsTurn
    rows = session.execute(
        select(turn.conversation_ref, func.count(), func.count().filter(turn.fallback.is_(True)))
        .where(turn.conversation_ref.in_(refs), turn.sender == CUSTOMER).group_by(turn.conversation_ref))
    return {ref: (messages, fallbacks) for ref, messages, fallbacks in rows}


def session_item(row: AnalyticsConversation, outcome: str, counts: tuple[int, int] = (0, 0)) -> dict[str, Any]:
    """A session as the review shows it."""
    return {
        "id": row.id, "conversation_id": row.conversation_id, "started_at": as_utc(row.started_at).isoformat(),
        "last_event_at": as_utc(row.last_event_at).isoformat(), "channel": row.channel, "language": row.language,
        "customer_id": row.customer_id, "outcome": outcome, "handoff_reason": row.handoff_reason,
        "satisfaction": row.satisfaction, "messages": counts[0], "not_understood": counts[1],
    }


def search(session: Session, filters: Filters, page: int = 1, per_page: int = PAGE) -> dict[str, Any]:
    """`{"sessions": [...], "total": n, "page": p, "pages": n}`: the matching sessions, newest first."""
    total = session.scalar(_filtered(select(func.count()).select_from(AnalyticsConversation), filters)) or 0
    pages = max(1, -(-total // per_page))
    page = min(max(1, page), pages)
    query = _filtered(select(AnalyticsConversation, outcome_column()), filters)
    query = query.order_by(AnalyticsConversation.started_at.desc(), AnalyticsConversation.id.desc())
    rows = session.execute(query.limit(per_page).offset((page - 1) * per_page)).all()
    counts = _counts(session, [row.id for row, _ in rows])
    items = [session_item(row, outcome, counts.get(row.id, (0, 0))) for row, outcome in rows]
    return {"sessions": items, "total": total, "page": page, "pages": pages}


# ------------------------------------------------------------------ a transcript


def transcript(session: Session, ref: int) -> dict[str, Any] | None:
    """A recorded session with its messages and flow steps in order; None when there is no such session."""
    row = session.execute(select(AnalyticsConversation, outcome_column())
                          .where(AnalyticsConversation.id == ref)).first()
    if row is None:
        return None
    conversation, outcome = row
    turns = session.scalars(select(AnalyticsTurn).where(AnalyticsTurn.conversation_ref == ref)
                            .order_by(AnalyticsTurn.event_ts, AnalyticsTurn.id)).all()
    steps = session.scalars(select(AnalyticsFlowStep).where(AnalyticsFlowStep.conversation_ref == ref)
                            .order_by(AnalyticsFlowStep.event_ts, AnalyticsFlowStep.id)).all()
    messages = [{"id": t.id, "sender": t.sender, "at": as_utc(t.at).isoformat(), "text": t.text, "intent": t.intent,
                 "confidence": t.confidence, "fallback": t.fallback} for t in turns]
    counts = (sum(t.sender == CUSTOMER for t in turns), sum(t.sender == CUSTOMER and t.fallback for t in turns))
    return {
        "session": {**session_item(conversation, outcome, counts),
                    "satisfaction_comment": conversation.satisfaction_comment},
        "messages": messages,
        "flow_steps": [{"flow": s.flow, "step": s.step, "at": as_utc(s.at).isoformat()} for s in steps],
    }


# ------------------------------------------------------------------ what was not understood, grouped


def tokens(text: str) -> frozenset[str]:
    """The folded words of a message, redaction marks left out ("Slaptažodis?" and "slaptazodis" are alike)."""
    for mark in _MARKS:
        text = text.replace(mark, " ")
    return frozenset(words(fold(text)))


def similarity(a: frozenset[str], b: frozenset[str]) -> float:
    """Jaccard similarity of two token sets (1.0 for two empty sets)."""
    if not a and not b:
        return 1.0
    return len(a & b) / len(a | b)


@dataclass
class Group:
    """Similar messages the assistant did not understand: `key` names the group (stable for the same first text)."""

    key: str
    tokens: frozenset[str]
    texts: Counter[str] = field(default_factory=Counter)
    languages: Counter[str] = field(default_factory=Counter)
    guesses: dict[str, list[float]] = field(default_factory=dict)
    last_at: datetime | None = None

    @property
    def count(self) -> int:
        return sum(self.texts.values())

    def as_dict(self) -> dict[str, Any]:
        guesses = sorted(self.guesses.items(), key=lambda kv: (-len(kv[1]), -max(kv[1]), kv[0]))
        return {
            "key": self.key, "count": self.count,
            "examples": [text for text, _ in sorted(self.texts.items(), key=lambda kv: (-kv[1], kv[0]))][:MAX_EXAMPLES],
            "languages": dict(sorted(self.languages.items())),
            "guesses": [{"intent": name, "count": len(values), "confidence": round(max(values), 2)}
                        for name, values in guesses[:3]],
            "last_at": self.last_at.isoformat() if self.last_at else None,
        }


@dataclass(frozen=True)
class Message:
    """A customer message that was not understood, with the model's guesses where known."""

    text: str
    language: str
    at: datetime
    guesses: tuple[tuple[str, float], ...] = ()


def group_messages(messages: Iterable[Message], threshold: float = SIMILARITY) -> list[Group]:
    """Messages grouped by the similarity of their folded words, largest group first; deterministic.

    Distinct folded texts are taken most frequent first (then alphabetically); each joins the most similar group
    whose first text shares a word with it and is at least `threshold` alike (ties: the older group), else starts
    a group. Only groups sharing a word are compared (an index by word), so thousands of messages take
    milliseconds. Messages without words ("???", "[number]") group by their exact text.
    """
    by_text: dict[str, list[Message]] = {}
    for message in messages:
        by_text.setdefault(" ".join(sorted(tokens(message.text))) or message.text.strip(), []).append(message)
    groups: list[Group] = []
    index: dict[str, list[int]] = {}
    exact: dict[str, int] = {}
    for folded, members in sorted(by_text.items(), key=lambda kv: (-len(kv[1]), kv[0])):
        found = tokens(members[0].text)
        target = exact.get(folded) if not found else _closest(groups, index, found, threshold)
        if target is None:
            target = len(groups)
            groups.append(Group(hashlib.sha256(folded.encode()).hexdigest()[:12], found))
            if found:
                for word in found:
                    index.setdefault(word, []).append(target)
            else:
                exact[folded] = target
        _add(groups[target], members)
    return sorted(groups, key=lambda g: (-g.count, g.key))


def _closest(groups: list[Group], index: dict[str, list[int]], found: frozenset[str],
             threshold: float) -> int | None:
    candidates = sorted({i for word in found for i in index.get(word, ())})
    best, best_score = None, threshold
    for i in candidates:
        score = similarity(found, groups[i].tokens)
        if score > best_score or (score == best_score and best is None):
            best, best_score = i, score
    return best


def _add(group: Group, members: list[Message]) -> None:
    for message in members:
        group.texts[message.text] += 1
        group.languages[message.language] += 1
        for name, confidence in message.guesses:
            group.guesses.setdefault(name, []).append(confidence)
        if group.last_at is None or message.at > group.last_at:
            group.last_at = message.at


def _fallback_guesses(session: Session, since: datetime | None) -> dict[tuple[str, str], tuple[tuple[str, float], ...]]:
    """The fallback log's best guesses by (conversation digest, text); the digest is the id's for entries stored
    before digests were (bot/conversation_ids.py `conversation_digest`: the log keeps the id itself redacted)."""
    query = select(func.coalesce(FallbackMessage.conversation_digest, FallbackMessage.conversation_id),
                   FallbackMessage.text, FallbackMessage.top_intents)
    if since is not None:
        query = query.where(FallbackMessage.created_at >= since - timedelta(minutes=5))
    found = {}
    for conversation_id, text, top in session.execute(query.order_by(FallbackMessage.id.desc())
                                                      .limit(MAX_NOT_UNDERSTOOD)):
        guesses = tuple((str(g["name"]), float(g.get("confidence") or 0.0)) for g in top or []
                        if isinstance(g, dict) and g.get("name") and g["name"] not in IGNORED_GUESSES)
        found.setdefault((conversation_id, text), guesses)
    return found


def not_understood_messages(session: Session, filters: Filters) -> list[Message]:
    """The newest MAX_NOT_UNDERSTOOD customer messages that were not understood, in the filters' days and
    language (the other filters do not apply)."""
    turn, conversation = AnalyticsTurn, AnalyticsConversation
    query = (select(turn.text, turn.language, turn.at, turn.intent, turn.confidence, conversation.conversation_id)
             .join(conversation, conversation.id == turn.conversation_ref)
             .where(turn.sender == CUSTOMER, turn.fallback.is_(True)))
    since = day_start(filters.start) if filters.start else None
    if since:
        query = query.where(turn.at >= since)
    if filters.end:
        query = query.where(turn.at < day_start(filters.end + timedelta(days=1)))
    if filters.language:
        query = query.where(turn.language == filters.language)
    rows = session.execute(query.order_by(turn.at.desc(), turn.id.desc()).limit(MAX_NOT_UNDERSTOOD)).all()
    logged = _fallback_guesses(session, since) if rows else {}
    messages = []
    for text, language, at, intent, confidence, conversation_id in rows:
        guesses = logged.get((conversation_digest(conversation_id), text), logged.get((conversation_id, text)))
        if guesses is None:
            guesses = ((intent, confidence or 0.0),) if intent and intent not in IGNORED_GUESSES else ()
        messages.append(Message(text, language, as_utc(at), guesses))
    return messages


def not_understood(session: Session, filters: Filters) -> list[dict[str, Any]]:
    """The groups of `not_understood_messages`, largest first (Group.as_dict)."""
    return [group.as_dict() for group in group_messages(not_understood_messages(session, filters))]


# ------------------------------------------------------------------ the NLU export


class UnknownIntent(ValueError):
    """An intent that is not in the assistant's domain (intents.py)."""


def export(selection: Iterable[tuple[str, Iterable[str]]]) -> str:
    """The NLU YAML of the examples a person selected, `(intent, texts)` pairs (the same intent may come more than
    once; intents sorted by name). UnknownIntent for an intent the domain does not have."""
    chosen: dict[str, list[str]] = {}
    for intent, texts in selection:
        if intent not in INTENTS:
            raise UnknownIntent(intent)
        chosen.setdefault(intent, []).extend(texts)
    return nlu_yaml(dict(sorted(chosen.items())))


def known_intents() -> tuple[str, ...]:
    """The intents an example may be assigned to."""
    return INTENTS

