"""The dashboard's figures (bot/core/analytics/figures.py) over the sample of tests/core/dashboard_sample.py, on
SQLite and PostgreSQL: exact numbers for every figure, for all languages, Lithuanian and English."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest
from sqlalchemy.orm import Session

from bot.core.analytics import figures as f
from bot.core.analytics.figures import Funnel, Median, Period, Rate
from bot.core.db.session import make_engine, make_sessionmaker
from tests.core.dashboard_sample import sample

PERIOD = Period(date(2026, 11, 2), date(2026, 11, 4))


@pytest.fixture(scope="module")
def session(database_url: str) -> Iterator[Session]:
    engine = make_engine(database_url)
    with make_sessionmaker(engine)() as session:
        sample(session)
        yield session
    engine.dispose()


def test_a_period_is_whole_days_end_excluded() -> None:
    assert [d.isoformat() for d in PERIOD.days()] == ["2026-11-02", "2026-11-03"]
    assert PERIOD.last == date(2026, 11, 3)
    assert [m.isoformat() for m in PERIOD.bounds()] == ["2026-11-02T00:00:00+00:00", "2026-11-04T00:00:00+00:00"]
    with pytest.raises(ValueError):
        Period(date(2026, 11, 2), date(2026, 11, 2))


def test_a_rate_keeps_its_parts() -> None:
    assert Rate(2, 3).percent == 66.7 and Rate(0, 0).percent is None and Rate(1, 8).percent == 12.5


def test_conversations_have_a_customer_message_and_started_in_the_period(session: Session) -> None:
    assert f.conversation_count(session, PERIOD, None) == 5  # c1-c5: not c6 (bot only), c7 (after), c8 (before)
    assert f.conversation_count(session, PERIOD, "lt") == 3
    assert f.conversation_count(session, PERIOD, "en") == 2
    assert f.conversation_count(session, Period(date(2026, 11, 4), date(2026, 11, 5)), None) == 1  # c7


def test_outcomes_and_containment(session: Session) -> None:
    counts = f.outcome_counts(session, PERIOD, None)
    assert counts == {"contained_confirmed": 1, "contained_assumed": 1, "not_helped": 1, "handed_over": 2}
    assert f.containment(counts) == Rate(2, 5) and f.containment(counts).percent == 40.0
    assert f.outcome_rates(counts)["contained_confirmed"] == Rate(1, 5)
    lt = f.outcome_counts(session, PERIOD, "lt")
    assert lt == {"contained_confirmed": 1, "contained_assumed": 1, "not_helped": 1, "handed_over": 0}
    assert f.containment(lt).percent == 66.7
    assert f.outcome_counts(session, PERIOD, "en") == {
        "contained_confirmed": 0, "contained_assumed": 0, "not_helped": 0, "handed_over": 2}


def test_handoffs_by_reason(session: Session) -> None:
    assert f.handoff_reasons(session, PERIOD, None) == {
        "customer_request": Rate(1, 5), "fallback": Rate(1, 5), "priority_support": Rate(0, 5),
        "payment_problem": Rate(0, 5)}
    assert f.handoff_reasons(session, PERIOD, "lt")["fallback"] == Rate(0, 3)
    assert f.handoff_reasons(session, PERIOD, "en")["fallback"] == Rate(1, 2)


def test_satisfaction(session: Session) -> None:
    assert f.satisfaction(session, PERIOD, None) == (Rate(2, 3), Rate(3, 5))  # helped c1 c5, not c4
    assert f.satisfaction(session, PERIOD, "lt") == (Rate(1, 2), Rate(2, 3))  # c1 helped, c4 not
    assert f.satisfaction(session, PERIOD, "en") == (Rate(1, 1), Rate(1, 2))


def test_fallback_rate_counts_customer_messages_in_their_language(session: Session) -> None:
    assert f.fallback_rate(session, PERIOD, None) == Rate(3, 11)  # c8's second message is in the period
    assert f.fallback_rate(session, PERIOD, "lt") == Rate(1, 6)
    assert f.fallback_rate(session, PERIOD, "en") == Rate(2, 5)  # c2's English message counts in English


def test_intents_by_volume(session: Session) -> None:
    assert f.intents(session, PERIOD, None) == [
        ("faq_fees", Rate(3, 11)), ("nlu_fallback", Rate(3, 11)), ("human_handoff", Rate(2, 11)),
        ("faq_points", Rate(1, 11)), ("greet", Rate(1, 11)), ("switch_language", Rate(1, 11))]
    assert f.intents(session, PERIOD, "en") == [
        ("human_handoff", Rate(2, 5)), ("nlu_fallback", Rate(2, 5)), ("switch_language", Rate(1, 5))]


def test_wait_and_first_reply(session: Session) -> None:
    assert f.median_wait(session, PERIOD, None) == Median(90.0, 3)  # 90, 600, 30 s; x4 never claimed
    assert f.median_first_reply(session, PERIOD, None) == Median(405.0, 2)  # 180 and 630 s; system notes not
    assert f.median_wait(session, PERIOD, "lt") == Median(30.0, 1)
    assert f.median_first_reply(session, PERIOD, "lt") == Median(None, 0)
    assert f.median_wait(session, PERIOD, "en") == Median(345.0, 2)


def test_funnels_count_runs(session: Session) -> None:
    registration = Funnel("registration_form", started=5, asked=(("vat_registered", 5), ("had_cps_account", 2)),
                          completed=2, cancelled=1, handed_over=1, abandoned=1)
    membership = Funnel("membership_form", started=1, asked=(("tier", 1), ("payment_method", 1)),
                        completed=0, cancelled=0, handed_over=0, abandoned=1)  # the tier asked before: no run
    assert f.funnels(session, PERIOD, None) == [membership, registration]
    assert f.funnels(session, PERIOD, "lt") == [
        Funnel("registration_form", 4, (("vat_registered", 4), ("had_cps_account", 2)), 2, 1, 0, 1)]


def test_trend_per_day(session: Session) -> None:
    first, second = f.trend(session, PERIOD, None)
    assert first.day == date(2026, 11, 2) and first.conversations == 2 and first.contained == 2
    assert (first.messages, first.fallbacks) == (5, 0)
    assert second.outcomes == {"contained_confirmed": 0, "contained_assumed": 0, "not_helped": 1, "handed_over": 2}
    assert (second.messages, second.fallbacks) == (6, 3)
    empty = f.trend(session, Period(date(2026, 10, 1), date(2026, 10, 4)), "lt")
    assert [(d.conversations, d.messages) for d in empty] == [(0, 0)] * 3


def test_everything_at_once(session: Session) -> None:
    figures = f.dashboard(session, PERIOD, None)
    assert figures.conversations == 5 and figures.contained == Rate(2, 5)
    assert figures.handed_over == Rate(2, 5) and figures.fallback == Rate(3, 11)
    assert figures.csat == Rate(2, 3) and figures.answered == Rate(3, 5)
    assert figures.wait == Median(90.0, 3) and figures.first_reply == Median(405.0, 2)
    assert [funnel.flow for funnel in figures.funnels] == ["membership_form", "registration_form"]
    assert sum(day.conversations for day in figures.trend) == figures.conversations
    assert sum(day.messages for day in figures.trend) == figures.fallback.total
