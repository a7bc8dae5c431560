"""The analytics recorder (bot/core/analytics/recorder.py) from lists of Rasa events, on SQLite and PostgreSQL:
sessions, customer and bot messages (intent, confidence, language, fallback, redaction), flow steps (completed,
cancelled, handed over, abandoned), handoffs and their reasons, satisfaction, the customer from a verified claim,
and redelivered events changing nothing."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import delete
from sqlalchemy.orm import Session, sessionmaker

from bot.core.analytics.consumer import store
from bot.core.analytics.recorder import record_events, wanted
from bot.core.clock import utc_now
from bot.core.db.models import AnalyticsConversation, AnalyticsFlowStep, AnalyticsTurn
from bot.core.db.session import make_engine, make_sessionmaker
from bot.core.tokens import customer_of_claim, make_customer_token
from tests import customer_claims
from tests.core.conftest import TOKEN_SECRET
from tests.core.recorder_support import Talk, claim_of, conversations, everything, steps, turns

REGISTRATION = "registration_form"


@pytest.fixture
def sessions(database_url: str) -> Iterator[sessionmaker[Session]]:
    engine = make_engine(database_url)
    maker = make_sessionmaker(engine)
    with maker() as session:
        for table in (AnalyticsFlowStep, AnalyticsTurn, AnalyticsConversation):
            session.execute(delete(table))
        session.commit()
    yield maker
    engine.dispose()


def recorded(sessions: sessionmaker[Session], *talks: Talk, batch: int = 1000) -> None:
    events = [event for talk in talks for event in talk.events]
    events.sort(key=lambda e: e["timestamp"])
    for start in range(0, len(events), batch):
        store(sessions, TOKEN_SECRET, events[start:start + batch])


def faq(sender: str = "faq", clock: float = 1_796_000_000.0) -> Talk:
    talk = Talk(sender, clock).session_start()
    talk.user("How do I register for a business account?", "how_to_register", 0.99).slot("language", "en")
    talk.action("utter_registration_link", "Apply for your new account: https://example.test")
    return talk.listen()


def registration(sender: str, end: str, clock: float = 1_796_000_000.0) -> Talk:
    """The registration guide (as in tests/assistant/test_flows.py), ended by `end`."""
    talk = Talk(sender, clock).session_start()
    talk.user("Kaip užsiregistruoti verslo paskyrai?", "how_to_register").slot("language", "lt")
    talk.action("utter_offer_registration_guide", "Jei norite, padėsiu").listen()
    talk.user("/affirm", "affirm", 1.0).action("action_start_registration", "Padėsiu pateikti paraišką",
                                               response="utter_registration_intro")
    talk.event("followup", name=REGISTRATION)
    talk.form_asks(REGISTRATION, "vat_registered", "Ar jūsų įmonė registruota PVM mokėtoja?", first=True).listen()
    if end == "completed":
        talk.user("taip", "affirm").slot("vat_registered", "taip")
        talk.form_asks(REGISTRATION, "had_cps_account", "Ar turėjote CPS paskyrą?").listen()
        talk.user("gal", "nlu_fallback", 0.4)  # unclear: the form asks again (one step), not a fallback
        talk.form_asks(REGISTRATION, "had_cps_account", "Ar turėjote CPS paskyrą? Taip ar ne?").listen()
        talk.user("ne", "deny").slot("had_cps_account", "ne").form_done(REGISTRATION)
        talk.action("action_registration_guide", "Štai ką paruošti").listen()
    elif end == "cancelled":
        talk.user("stop", "stop").slot("vat_registered", "stop").slot("vat_registered", None)
        talk.event("action_execution_rejected", name=REGISTRATION)
        talk.action("action_stop_flow", "Gerai, sustojame.", response="utter_flow_stopped")
        talk.leave_flow("vat_registered", "had_cps_account").listen()
    elif end == "handed_over":
        talk.user("noriu kalbėti su žmogumi", "request_human").handed_over(
            "customer_request", "Perduodu kolegai", "vat_registered", "had_cps_account", flow=True)
    return talk


# ------------------------------------------------------------------ sessions and turns


def test_a_question_and_its_answer(sessions: sessionmaker[Session]) -> None:
    talk = faq()
    recorded(sessions, talk)
    with sessions() as session:
        (row,) = session.query(AnalyticsConversation).all()
        started = talk.events[1]["timestamp"]
        assert (row.conversation_id, row.session_start, row.channel, row.language) == ("faq", started, "rest", "en")
        assert row.started_at.timestamp() == pytest.approx(started)
        assert row.last_event_at.timestamp() == pytest.approx(talk.events[-1]["timestamp"])
        assert turns(session) == [
            ("customer", "How do I register for a business account?", "how_to_register", "en", False),
            ("bot", "Apply for your new account: https://example.test", None, "en", False)]
        assert session.query(AnalyticsTurn).filter_by(sender="customer").one().confidence == pytest.approx(0.99)
        assert steps(session) == [] and conversations(session)[0][5:] == (None, False, None, None)


def test_each_turn_has_the_language_of_the_conversation_after_its_message(sessions: sessionmaker[Session]) -> None:
    talk = Talk("lang").session_start().user("Labas", "greet").slot("language", "lt")
    talk.action("utter_greet", "Sveiki!").listen()
    talk.user("Do you speak English?", "switch_language").slot("language", "en")
    talk.action("utter_greet", "Hello!").listen()
    talk.user("kiek kainuoja?", "membership_price").slot("language", "lt").action("utter_membership_price", "Kaina")
    recorded(sessions, talk)
    with sessions() as session:
        assert [(sender, language) for sender, _, _, language, _ in turns(session)] == [
            ("customer", "lt"), ("bot", "lt"), ("customer", "en"), ("bot", "en"), ("customer", "lt"), ("bot", "lt")]
        assert conversations(session)[0][3] == "lt"


def test_customer_text_is_redacted_and_capped(sessions: sessionmaker[Session]) -> None:
    talk = Talk("private").session_start()
    talk.user("Mano el. paštas jonas@imone.lt, tel. +370 612 34567", "inform")
    talk.user("My card is 4111 1111 1111 1111 and my password is Labas123!", "inform")
    talk.user("x" * 3000, "nlu_fallback", 0.3)
    recorded(sessions, talk)
    with sessions() as session:
        texts = [text for _, text, _, _, _ in turns(session)]
    assert texts[:2] == ["Mano el. paštas [e-mail], tel. [number]",
                         "My card is [number] and my password [secret]"]
    assert len(texts[2]) == 1000 and texts[2].endswith("…")


def test_a_message_without_a_session_start_opens_a_session_and_a_new_session_starts_another(
        sessions: sessionmaker[Session]) -> None:
    talk = Talk("sessions").user("Labas", "greet", channel="socketio").action("utter_greet", "Sveiki!").listen()
    talk.session_start().user("Ačiū", "thank").action("utter_thank", "Prašom!")
    recorded(sessions, talk)
    with sessions() as session:
        rows = conversations(session)
        assert [(r[0], r[1], r[2]) for r in rows] == [
            ("sessions", talk.events[0]["timestamp"], "socketio"), ("sessions", talk.events[6]["timestamp"], "rest")]
        first, second = session.query(AnalyticsConversation).order_by(AnalyticsConversation.id).all()
        assert [t.text for t in session.query(AnalyticsTurn).filter_by(conversation_ref=first.id)] == [
            "Labas", "Sveiki!"]
        assert [t.text for t in session.query(AnalyticsTurn).filter_by(conversation_ref=second.id)] == [
            "Ačiū", "Prašom!"]


def test_an_agents_reply_is_recorded_as_the_agents(sessions: sessionmaker[Session]) -> None:
    talk = Talk("agent").session_start().user("Noriu žmogaus", "request_human").handed_over("customer_request")
    talk.user("Ar kas nors ten?", "nlu_fallback", 0.2)  # handed over: no action answers, not a fallback
    talk.action("action_deliver_agent_messages", "Sveiki, čia Ona. Jūsų tel. +370 612 34567?",
                response="utter_agent_message")
    recorded(sessions, talk)
    with sessions() as session:
        assert [(sender, text, fallback) for sender, text, _, _, fallback in turns(session)] == [
            ("customer", "Noriu žmogaus", False), ("bot", "Perduodu kolegai", False),
            ("customer", "Ar kas nors ten?", False), ("agent", "Sveiki, čia Ona. Jūsų tel. [number]?", False)]


# ------------------------------------------------------------------ fallbacks


def test_a_message_answered_by_the_fallback_is_a_fallback(sessions: sessionmaker[Session]) -> None:
    talk = Talk("fallback").session_start().user("Labas", "greet").slot("language", "lt")
    talk.action("utter_greet", "Sveiki!").listen()
    talk.user("asdkj qwe zzxq", "nlu_fallback", 0.5).action("action_fallback", "Atsiprašau, nesupratau.",
                                                            response="utter_default").listen()
    talk.user("blorp flarg", "nlu_fallback", 0.5).action("action_fallback", "Vis dar nesupratau.",
                                                         response="utter_offer_human").listen()
    talk.user("kiek kainuoja?", "membership_price", 0.87).action("utter_membership_price", "Kaina").listen()
    recorded(sessions, talk)
    with sessions() as session:
        assert [(text, intent, fallback) for sender, text, intent, _, fallback in turns(session)
                if sender == "customer"] == [
            ("Labas", "greet", False), ("asdkj qwe zzxq", "nlu_fallback", True),
            ("blorp flarg", "nlu_fallback", True), ("kiek kainuoja?", "membership_price", False)]


# ------------------------------------------------------------------ flows


@pytest.mark.parametrize("end, expected", [
    ("completed", ["started", "vat_registered", "had_cps_account", "completed"]),
    ("cancelled", ["started", "vat_registered", "cancelled"]),
    ("handed_over", ["started", "vat_registered", "handed_over"]),
])
def test_the_steps_of_a_flow(sessions: sessionmaker[Session], end: str, expected: list[str]) -> None:
    recorded(sessions, registration("flow", end))
    with sessions() as session:
        assert steps(session) == [(REGISTRATION, step) for step in expected]
        handoff = conversations(session)[0][5:7]
        assert handoff == (("customer_request", True) if end == "handed_over" else (None, False))
        assert not any(fallback for *_, fallback in turns(session))


def test_a_flow_left_in_a_new_session_or_by_a_payment_problem_is_abandoned(sessions: sessionmaker[Session]) -> None:
    talk = Talk("abandoned").session_start().user("Noriu narystės", "buy_membership")
    talk.action("action_start_membership").form_asks("membership_form", "tier", "Kurį lygį?", first=True).listen()
    talk.user("mokėjimas nepavyko", "payment_problem").action("action_payment_problem", "Patikrinkite kortelę",
                                                              response="utter_payment_problem")
    talk.leave_flow("tier", "payment_method").listen()
    talk.user("Kaip užsiregistruoti?", "how_to_register").action("action_start_registration")
    talk.form_asks(REGISTRATION, "vat_registered", "PVM?", first=True).listen()
    talk.session_start().user("Labas", "greet")
    recorded(sessions, talk)
    with sessions() as session:
        assert steps(session) == [("membership_form", "started"), ("membership_form", "tier"),
                                  (REGISTRATION, "started"), (REGISTRATION, "vat_registered")]


# ------------------------------------------------------------------ handoffs and satisfaction


@pytest.mark.parametrize("reason", ["customer_request", "fallback", "payment_problem", "priority_support"])
def test_a_handoff_and_its_reason(sessions: sessionmaker[Session], reason: str) -> None:
    talk = Talk("handoff").session_start().user("Noriu žmogaus", "request_human").handed_over(reason)
    talk.user("/restart", "restart").action("action_restart")
    talk.event("pause")  # a restart while handed over pauses again: not another handover
    recorded(sessions, talk)
    with sessions() as session:
        (row,) = session.query(AnalyticsConversation).all()
        pause = next(e for e in talk.events if e["event"] == "pause")
        assert (row.handoff_reason, row.handed_over_at.timestamp()) == (reason, pytest.approx(pause["timestamp"]))


def test_no_handoff_when_the_core_did_not_take_it(sessions: sessionmaker[Session]) -> None:
    talk = Talk("failed").session_start().user("Noriu žmogaus", "request_human")
    talk.action("action_handoff", "Nepavyko perduoti", response="utter_handoff_failed").slot("handoff_reason", None)
    recorded(sessions, talk)
    with sessions() as session:
        assert conversations(session)[0][5:7] == (None, False)


def test_satisfaction_and_its_comment(sessions: sessionmaker[Session]) -> None:
    talk = Talk("csat").session_start().user("Ačiū", "thank").action("utter_ask_satisfaction", "Ar padėjau?")
    talk.listen().user("/not_helped", "not_helped").slot("satisfaction", "not_helped")
    talk.user("Nepadėjo, rašykite jonas@imone.lt", "inform").slot("satisfaction_comment",
                                                                 "Nepadėjo, rašykite jonas@imone.lt")
    talk.slot("satisfaction", None).slot("satisfaction_comment", None)  # forgotten afterwards: the answer stays
    recorded(sessions, talk)
    with sessions() as session:
        assert conversations(session)[0][7:] == ("not_helped", "Nepadėjo, rašykite [e-mail]")
        assert session.query(AnalyticsConversation).one().satisfaction_at is not None


# ------------------------------------------------------------------ the customer


def test_the_customer_of_a_valid_claim(sessions: sessionmaker[Session]) -> None:
    now = utc_now()
    valid = make_customer_token("cust-1", TOKEN_SECRET, now)
    other_secret = make_customer_token("cust-2", "another-secret-0123456789abcdef-0123", now)
    expired = make_customer_token("cust-3", TOKEN_SECRET, now - timedelta(days=40))
    talks = [Talk(name, clock=now.timestamp() - 5).session_start().user("Labas", "greet", **metadata)
             for name, metadata in [("valid", {"customer_claim": claim_of(valid)}),
                                    ("other-secret", {"customer_claim": claim_of(other_secret)}),
                                    ("expired", {"customer_claim": claim_of(expired)}),
                                    ("a-token", {"customer_claim": valid}),  # the token itself is no claim
                                    ("garbage", {"customer_claim": "a.b.c"}), ("none", {})]]
    recorded(sessions, *talks)
    with sessions() as session:
        assert {row[0]: row[4] for row in conversations(session)} == {
            "valid": "cust-1", "other-secret": None, "expired": None, "a-token": None, "garbage": None, "none": None}


def test_the_claim_our_broker_publishes_is_verified() -> None:
    """The claim the Rasa side's test sees our broker publish (tests/assistant/test_token_redaction.py)."""
    now = utc_now()
    assert customer_of_claim(customer_claims.CLAIM, customer_claims.SECRET, now) == customer_claims.CUSTOMER
    assert customer_of_claim(customer_claims.CLAIM, TOKEN_SECRET, now) is None
    assert customer_of_claim(customer_claims.TOKEN, customer_claims.SECRET, now) is None


def test_a_claim_is_checked_at_the_time_of_its_message() -> None:
    now = utc_now()
    claim = claim_of(make_customer_token("cust-1", TOKEN_SECRET, now, timedelta(hours=1)))
    assert customer_of_claim(claim, TOKEN_SECRET, now) == "cust-1"
    assert customer_of_claim(claim, TOKEN_SECRET, now + timedelta(hours=2)) is None
    assert customer_of_claim(claim[:-1] + ("0" if claim[-1] != "0" else "1"), TOKEN_SECRET, now) is None


# ------------------------------------------------------------------ redelivery


def test_redelivered_events_change_nothing(sessions: sessionmaker[Session]) -> None:
    talks = [faq(clock=1_796_000_000.001), registration("done", "completed", 1_796_000_000.002),
             registration("stopped", "cancelled", 1_796_000_000.003),
             registration("over", "handed_over", 1_796_000_000.004)]
    recorded(sessions, *talks)
    with sessions() as session:
        once = everything(session)
    recorded(sessions, *talks)  # everything again
    recorded(sessions, *talks, batch=7)  # again, in other batches
    events = [e for talk in talks for e in talk.events]
    events.sort(key=lambda e: e["timestamp"])
    for start in range(0, len(events), 13):  # a redelivered stretch after later events were stored
        store(sessions, TOKEN_SECRET, events[start:start + 26])
    with sessions() as session:
        assert everything(session) == once
        messages = [e for talk in talks for e in talk.events if e["event"] in ("user", "bot")]
        assert (len(once[0]), len(once[1]), len(once[2])) == (4, len(messages), 4 + 3 + 3)


def test_only_the_events_the_recorder_needs_are_wanted() -> None:
    talk = registration("w", "completed")
    kinds = {(e["event"], e.get("name")) for e in talk.events if not wanted(e)}
    assert kinds == {("action", "action_listen"), ("user_featurization", None), ("followup", "registration_form"),
                     ("slot", "vat_registered"), ("slot", "had_cps_account")}


def test_events_it_cannot_use_are_skipped(sessions: sessionmaker[Session]) -> None:
    with sessions() as session:
        count = record_events(session, [
            {"event": "user", "timestamp": 1.0, "text": "no sender"},
            {"sender_id": "x", "event": "user", "timestamp": "soon", "text": "no time"},
            {"sender_id": "x", "event": "bot", "timestamp": 2.0, "text": "before any session"},
        ], TOKEN_SECRET)
        session.commit()
        assert count == 1 and conversations(session) == []


def test_a_redelivered_event_of_an_earlier_session_does_not_move_later_events(sessions: sessionmaker[Session]) -> None:
    talk = Talk("order").session_start().user("Labas", "greet").action("utter_greet", "Sveiki!")
    talk.session_start().user("Ačiū", "thank").action("utter_thank", "Prašom!")
    recorded(sessions, talk)
    with sessions() as session:
        once = everything(session)
    first_user = next(e for e in talk.events if e["event"] == "user")
    later = [e for e in talk.events if e["timestamp"] > first_user["timestamp"] and e["event"] != "session_started"]
    store(sessions, TOKEN_SECRET, [first_user, *later])  # an old event redelivered before the next session's
    with sessions() as session:
        assert everything(session) == once
