"""The dashboard's figures (docs/analytics.md "Dashboard"): plain functions of a database session, a period of whole
UTC days and a language (None: all), over the recorded sessions (analytics_*) and the handoff's escalations.

Three scopes, each documented where it is defined:

- conversations (`_scope`): the recorded sessions that started in the period, in the language, with at least one
  customer message; outcomes (bot/core/analytics/outcomes.py), handoffs, satisfaction, funnels, the daily trend;
- customer messages (`_messages`): those sent in the period, in the language each was written in; the fallback rate
  and the intents;
- escalations (`_escalations`): those created in the period, in their language; the wait and the first reply.

Rates keep their numerator and denominator (`Rate`); medians are in seconds, with how many values they are of.
"""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import Select, exists, func, select
from sqlalchemy.orm import Session

from bot.core.analytics.outcomes import CONTAINED, HANDED_OVER, OUTCOMES, outcome_column
from bot.core.clock import as_utc
from bot.core.db.models import (
    SENDER_AGENT,
    SENDER_CUSTOMER,
    STEP_CANCELLED,
    STEP_COMPLETED,
    STEP_HANDED_OVER,
    STEP_STARTED,
    AnalyticsConversation,
    AnalyticsFlowStep,
    AnalyticsTurn,
    Escalation,
    EscalationMessage,
)
from bot.vocabulary import HANDOFF_REASONS, HELPED, NOT_HELPED

CUSTOMER = SENDER_CUSTOMER  # AnalyticsTurn.sender of a customer's message
AGENT = SENDER_AGENT  # EscalationMessage.sender of an agent's reply
STARTED = STEP_STARTED  # AnalyticsFlowStep.step: a flow began; its ends below; any other step is a slot asked
COMPLETED, CANCELLED, FLOW_HANDED_OVER = STEP_COMPLETED, STEP_CANCELLED, STEP_HANDED_OVER
FLOW_ENDS = (COMPLETED, CANCELLED, FLOW_HANDED_OVER)
ABANDONED = "abandoned"  # a run with none of FLOW_ENDS (the customer left, or the session expired)


@dataclass(frozen=True)
class Period:
    """Whole UTC days: `start` included, `end` excluded (the day after the last)."""

    start: date
    end: date

    def __post_init__(self) -> None:
        if self.end <= self.start:
            raise ValueError("a period ends after it starts")

    @property
    def last(self) -> date:
        return self.end - timedelta(days=1)

    def bounds(self) -> tuple[datetime, datetime]:
        """[start, end) as UTC moments."""
        return (datetime.combine(self.start, time(), tzinfo=UTC), datetime.combine(self.end, time(), tzinfo=UTC))

    def days(self) -> list[date]:
        return [self.start + timedelta(days=n) for n in range((self.end - self.start).days)]


@dataclass(frozen=True)
class Rate:
    """`count` of `total`; `percent` rounded to one decimal, None when `total` is 0."""

    count: int
    total: int

    @property
    def percent(self) -> float | None:
        return round(100 * self.count / self.total, 1) if self.total else None


@dataclass(frozen=True)
class Median:
    """The median in seconds (rounded to one decimal; None with no values) of `count` values."""

    seconds: float | None
    count: int


@dataclass(frozen=True)
class Funnel:
    """A guided flow's runs (a run: from a "started" step to the next one, or the session's end): how many started,
    how many asked each slot (at least once; in the order the runs first asked them, on average), and how each
    ended. started == completed + cancelled + handed_over + abandoned."""

    flow: str
    started: int
    asked: tuple[tuple[str, int], ...]
    completed: int
    cancelled: int
    handed_over: int
    abandoned: int


@dataclass(frozen=True)
class Day:
    """One UTC day of the trend: its conversations by outcome, its customer messages and fallbacks."""

    day: date
    outcomes: dict[str, int]
    messages: int
    fallbacks: int

    @property
    def conversations(self) -> int:
        return sum(self.outcomes.values())

    @property
    def contained(self) -> int:
        return sum(self.outcomes[o] for o in CONTAINED)


@dataclass(frozen=True)
class Figures:
    """Every figure of the dashboard for one period and language."""

    period: Period
    language: str | None
    conversations: int
    outcomes: dict[str, Rate]
    contained: Rate
    fallback: Rate
    handed_over: Rate
    handoff_reasons: dict[str, Rate]
    wait: Median
    first_reply: Median
    csat: Rate
    answered: Rate
    funnels: list[Funnel] = field(default_factory=list)
    intents: list[tuple[str, Rate]] = field(default_factory=list)
    trend: list[Day] = field(default_factory=list)


# ------------------------------------------------------------------ scopes


def _scope(period: Period, language: str | None) -> Select[tuple[int]]:
    """The ids of the period's conversations: sessions started in it, in `language` (the session's), with at least
    one customer message."""
    start, end = period.bounds()
    table = AnalyticsConversation
    spoke = exists().where(AnalyticsTurn.conversation_ref == table.id, AnalyticsTurn.sender == CUSTOMER)
    query = select(table.id).where(table.started_at >= start, table.started_at < end, spoke)
    return query if language is None else query.where(table.language == language)


def _messages(period: Period, language: str | None) -> Select[tuple[datetime, str | None, bool]]:
    """The customer messages sent in the period, in `language` (the message's): when, the intent, fallback."""
    start, end = period.bounds()
    query = select(AnalyticsTurn.at, AnalyticsTurn.intent, AnalyticsTurn.fallback).where(
        AnalyticsTurn.sender == CUSTOMER, AnalyticsTurn.at >= start, AnalyticsTurn.at < end)
    return query if language is None else query.where(AnalyticsTurn.language == language)


def _escalations(period: Period, language: str | None) -> Select[tuple[int, datetime, datetime | None]]:
    """The escalations created in the period, in `language`: id, created_at, claimed_at."""
    start, end = period.bounds()
    query = select(Escalation.id, Escalation.created_at, Escalation.claimed_at).where(
        Escalation.created_at >= start, Escalation.created_at < end)
    return query if language is None else query.where(Escalation.language == language)


def _median(values: Sequence[float]) -> Median:
    return Median(round(statistics.median(values), 1) if values else None, len(values))


def _seconds(later: datetime, earlier: datetime) -> float:
    return (as_utc(later) - as_utc(earlier)).total_seconds()


# ------------------------------------------------------------------ conversations


def conversation_count(session: Session, period: Period, language: str | None) -> int:
    """Sessions started in the period, in the language, with at least one customer message."""
    return session.scalar(select(func.count()).select_from(_scope(period, language).subquery())) or 0


def outcome_counts(session: Session, period: Period, language: str | None) -> dict[str, int]:
    """The conversations by outcome (bot/core/analytics/outcomes.py), every outcome present."""
    outcome = outcome_column()
    rows = session.execute(select(outcome, func.count()).where(
        AnalyticsConversation.id.in_(_scope(period, language))).group_by(outcome)).tuples().all()
    counts = dict.fromkeys(OUTCOMES, 0)
    counts.update(dict(rows))
    return counts


def outcome_rates(counts: dict[str, int]) -> dict[str, Rate]:
    """Each outcome's share of the conversations."""
    total = sum(counts.values())
    return {outcome: Rate(counts[outcome], total) for outcome in OUTCOMES}


def containment(counts: dict[str, int]) -> Rate:
    """Resolved without a person: contained_confirmed + contained_assumed, of the conversations."""
    return Rate(sum(counts[o] for o in CONTAINED), sum(counts.values()))


def handoff_reasons(session: Session, period: Period, language: str | None) -> dict[str, Rate]:
    """Handed-over conversations by reason, each of all the conversations: the reasons of bot/vocabulary.py
    first (present with 0), then any other recorded reason."""
    total = conversation_count(session, period, language)
    reason = AnalyticsConversation.handoff_reason
    rows = dict(session.execute(select(reason, func.count()).where(
        AnalyticsConversation.id.in_(_scope(period, language)), reason.is_not(None)).group_by(reason)).tuples().all())
    ordered = [*HANDOFF_REASONS, *sorted(set(rows) - set(HANDOFF_REASONS))]
    return {r: Rate(rows.get(r, 0), total) for r in ordered}


def satisfaction(session: Session, period: Period, language: str | None) -> tuple[Rate, Rate]:
    """CSAT (helped of those who answered) and the answer rate (answered of the conversations)."""
    answer = AnalyticsConversation.satisfaction
    rows = dict(session.execute(select(answer, func.count()).where(
        AnalyticsConversation.id.in_(_scope(period, language)), answer.in_((HELPED, NOT_HELPED))).group_by(
        answer)).tuples().all())
    answered = rows.get(HELPED, 0) + rows.get(NOT_HELPED, 0)
    return Rate(rows.get(HELPED, 0), answered), Rate(answered, conversation_count(session, period, language))


# ------------------------------------------------------------------ messages


def fallback_rate(session: Session, period: Period, language: str | None) -> Rate:
    """Customer messages the assistant did not understand, of the customer messages."""
    scope = _messages(period, language).subquery()
    counted = select(func.count(), func.count().filter(scope.c.fallback.is_(True))).select_from(scope)
    total, fallbacks = session.execute(counted).one()
    return Rate(fallbacks or 0, total or 0)


def intents(session: Session, period: Period, language: str | None) -> list[tuple[str, Rate]]:
    """Customer messages by the intent the model gave them (most first, then by name), each of all the customer
    messages; a message without an intent counts as "" ."""
    scope = _messages(period, language).subquery()
    intent = func.coalesce(scope.c.intent, "")
    counts = session.execute(select(intent, func.count()).group_by(intent)).tuples().all()
    total = sum(n for _, n in counts)
    return [(name, Rate(n, total)) for name, n in sorted(counts, key=lambda item: (-item[1], item[0]))]


# ------------------------------------------------------------------ escalations


def median_wait(session: Session, period: Period, language: str | None) -> Median:
    """From an escalation's creation to its claim, over the escalations claimed (those never claimed are left
    out)."""
    rows = session.execute(_escalations(period, language)).tuples()
    return _median([_seconds(claimed, created) for _, created, claimed in rows if claimed is not None])


def median_first_reply(session: Session, period: Period, language: str | None) -> Median:
    """From an escalation's creation to its first agent message, over the escalations with one."""
    scope = _escalations(period, language).subquery()
    first = (select(EscalationMessage.escalation_id, func.min(EscalationMessage.created_at).label("at"))
             .where(EscalationMessage.sender == AGENT).group_by(EscalationMessage.escalation_id).subquery())
    rows = session.execute(select(scope.c.created_at, first.c.at).join(first, first.c.escalation_id == scope.c.id))
    return _median([_seconds(replied, created) for created, replied in rows.tuples()])


# ------------------------------------------------------------------ flows


def _rank(step: str) -> int:
    return 0 if step == STARTED else 2 if step in FLOW_ENDS else 1


def _runs(steps: Iterable[str]) -> list[list[str]]:
    """A session's steps of one flow (in order) cut into runs, each from a "started"; steps before the first
    "started" and after a run's end are not part of a run."""
    runs: list[list[str]] = []
    open_run: list[str] | None = None
    for step in steps:
        if step == STARTED:
            open_run = [step]
            runs.append(open_run)
        elif open_run is not None:
            open_run.append(step)
            if step in FLOW_ENDS:
                open_run = None
    return runs


def _funnel(flow: str, runs: list[list[str]]) -> Funnel:
    ends: Counter[str] = Counter()
    asked: Counter[str] = Counter()
    positions: defaultdict[str, list[int]] = defaultdict(list)
    for run in runs:
        ends[next((s for s in run if s in FLOW_ENDS), ABANDONED)] += 1
        slots = [s for s in run if _rank(s) == 1]
        for slot in dict.fromkeys(slots):
            asked[slot] += 1
            positions[slot].append(slots.index(slot))
    order = sorted(asked, key=lambda s: (statistics.fmean(positions[s]), -asked[s], s))
    return Funnel(flow, len(runs), tuple((s, asked[s]) for s in order), ends[COMPLETED], ends[CANCELLED],
                  ends[FLOW_HANDED_OVER], ends[ABANDONED])


def funnels(session: Session, period: Period, language: str | None) -> list[Funnel]:
    """Each flow's funnel over the period's conversations (`Funnel`), flows by name."""
    table = AnalyticsFlowStep
    rows = session.execute(select(table.conversation_ref, table.flow, table.step, table.event_ts, table.id).where(
        table.conversation_ref.in_(_scope(period, language)))).tuples().all()
    per_session: defaultdict[tuple[int, str], list[tuple[float, int, int, str]]] = defaultdict(list)
    for ref, flow, step, event_ts, row_id in rows:
        per_session[(ref, flow)].append((event_ts, _rank(step), row_id, step))
    runs: defaultdict[str, list[list[str]]] = defaultdict(list)
    for (_, flow), steps in per_session.items():
        runs[flow].extend(_runs(step for *_, step in sorted(steps)))
    return [_funnel(flow, runs[flow]) for flow in sorted(runs) if runs[flow]]


# ------------------------------------------------------------------ the trend


def trend(session: Session, period: Period, language: str | None) -> list[Day]:
    """Every day of the period: its conversations by outcome (by the day they started) and its customer messages
    and fallbacks (by the day they were sent)."""
    outcomes: dict[date, dict[str, int]] = {day: dict.fromkeys(OUTCOMES, 0) for day in period.days()}
    started = select(AnalyticsConversation.started_at, outcome_column()).where(
        AnalyticsConversation.id.in_(_scope(period, language)))
    for moment, outcome in session.execute(started).tuples():
        outcomes[as_utc(moment).date()][outcome] += 1
    messages: Counter[date] = Counter()
    fallbacks: Counter[date] = Counter()
    for moment, _, fallback in session.execute(_messages(period, language)).tuples():
        messages[as_utc(moment).date()] += 1
        fallbacks[as_utc(moment).date()] += bool(fallback)
    return [Day(day, outcomes[day], messages[day], fallbacks[day]) for day in period.days()]


# ------------------------------------------------------------------ all of them


def dashboard(session: Session, period: Period, language: str | None) -> Figures:
    """Every figure of the dashboard."""
    counts = outcome_counts(session, period, language)
    csat, answered = satisfaction(session, period, language)
    rates = outcome_rates(counts)
    return Figures(
        period=period, language=language, conversations=sum(counts.values()), outcomes=rates,
        contained=containment(counts), fallback=fallback_rate(session, period, language),
        handed_over=rates[HANDED_OVER], handoff_reasons=handoff_reasons(session, period, language),
        wait=median_wait(session, period, language), first_reply=median_first_reply(session, period, language),
        csat=csat, answered=answered, funnels=funnels(session, period, language),
        intents=intents(session, period, language), trend=trend(session, period, language))

