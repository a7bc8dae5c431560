"""The handoff actions (actions/handoff.py) called directly, with a fake core in place of the HTTP client."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, Dict, List, Optional

import pytest
from rasa_sdk import Tracker
from rasa_sdk.events import (
    ActionExecuted,
    ActiveLoop,
    ConversationPaused,
    FollowupAction,
    Restarted,
    SlotSet,
)
from rasa_sdk.executor import CollectingDispatcher

import actions.handoff as handoff
import actions.offers as offers
from actions.core_client import AgentMessage, CoreError, Escalation, Unavailable
from tests.assistant.helpers import domain as load_domain

DOMAIN = load_domain()
VILNIUS_WINTER = timezone(timedelta(hours=2))


@dataclass
class FakeCore:
    """Records what the actions ask of the core; answers with `escalation` or raises `error`."""

    escalation: Optional[Escalation] = None
    agent_messages: List[AgentMessage] = field(default_factory=list)
    error: Optional[CoreError] = None
    calls: List[Dict[str, Any]] = field(default_factory=list)

    async def escalate(self, conversation_id, channel, language, reason, transcript, token) -> Escalation:
        self.calls.append({"conversation_id": conversation_id, "channel": channel, "language": language,
                           "reason": reason, "transcript": transcript, "token": token})
        if self.error:
            raise self.error
        return self.escalation

    async def take_agent_messages(self, conversation_id) -> List[AgentMessage]:
        self.calls.append({"deliveries": conversation_id})
        if self.error:
            raise self.error
        return self.agent_messages


@pytest.fixture
def core(monkeypatch) -> FakeCore:
    fake = FakeCore()
    monkeypatch.setattr(handoff.CoreClient, "from_env", classmethod(lambda cls: fake))
    return fake


def user(text: str, intent: str, ts: float, token: Optional[str] = None) -> Dict[str, Any]:
    return {"event": "user", "text": text, "timestamp": ts, "input_channel": "socketio",
            "parse_data": {"intent": {"name": intent, "confidence": 0.9}, "entities": []},
            "metadata": {"customer_token": token} if token else {}}


def bot(text: str, response: str, ts: float) -> Dict[str, Any]:
    return {"event": "bot", "text": text, "timestamp": ts, "metadata": {"utter_action": response}}


def tracker(events: List[Dict[str, Any]], slots: Optional[Dict[str, Any]] = None,
            active_loop: Optional[str] = None, paused: bool = False) -> Tracker:
    latest = next((e for e in reversed(events) if e["event"] == "user"), {})
    latest_message = {**latest.get("parse_data", {}), "text": latest.get("text"),
                      "metadata": latest.get("metadata")} if latest else {}
    return Tracker("conversation-1", {"language": "en", **(slots or {})}, latest_message, events, paused, None,
                   {"name": active_loop} if active_loop else {}, "action_listen")


def run(action, the_tracker: Tracker):
    dispatcher = CollectingDispatcher()
    events = asyncio.run(action.run(dispatcher, the_tracker, DOMAIN))
    return events, dispatcher.messages


def escalation(in_hours: bool = True, opening: Optional[datetime] = None) -> Escalation:
    return Escalation(id=7, status="waiting", queue_position=3, estimated_wait_minutes=15,
                      in_working_hours=in_hours, next_opening=opening)


# ----------------------------------------------------------------------------- reasons and transcript

@pytest.mark.parametrize("events, slots, reason", [
    ([user("I want a human", "request_human", 1)], {}, "customer_request"),
    ([user("my card was declined", "payment_problem", 1)], {}, "payment_problem"),
    ([user("charged twice, get me a human", "payment_problem+request_human", 1)], {}, "payment_problem"),
    ([user("blrg", "nlu_fallback", 1), bot("Sorry...", "utter_offer_human", 2), user("/request_human",
                                                                                     "request_human", 3)],
     {}, "fallback"),
    ([user("/request_human", "request_human", 1)], {"handoff_reason": "priority_support"}, "priority_support"),
    # the offer was made earlier, but the customer said something else since: an ordinary request
    ([bot("Sorry...", "utter_offer_human", 1), user("no", "deny", 2), bot("Anything else?", "utter_anything_else", 3),
      user("connect me to an agent", "request_human", 4)], {}, "customer_request"),
])
def test_the_reason_of_a_handoff(events, slots, reason):
    assert handoff.handoff_reason(tracker(events, slots)) == reason


def test_the_transcript_is_the_conversation_after_the_latest_restart():
    events = [user("old question", "greet", 1), {"event": "restart", "timestamp": 2},
              user("Kaip užsiregistruoti?", "how_to_register", 3), bot("Padėsiu...", "utter_registration_intro", 4),
              {"event": "slot", "name": "language", "value": "lt", "timestamp": 5},
              user("noriu kalbėti su žmogumi", "request_human", 6)]
    assert handoff.transcript(tracker(events)) == [
        {"sender": "customer", "text": "Kaip užsiregistruoti?", "timestamp": 3.0},
        {"sender": "bot", "text": "Padėsiu...", "timestamp": 4.0},
        {"sender": "customer", "text": "noriu kalbėti su žmogumi", "timestamp": 6.0}]


def test_a_very_long_transcript_keeps_the_latest_messages():
    events = [user(f"message {i}", "greet", i) for i in range(handoff.MAX_TRANSCRIPT + 20)]
    rows = handoff.transcript(tracker(events))
    assert len(rows) == handoff.MAX_TRANSCRIPT and rows[-1]["text"] == f"message {handoff.MAX_TRANSCRIPT + 19}"


@pytest.mark.parametrize("language, text", [("lt", "ketvirtadienį, gruodžio 3 d., 08:00"),
                                            ("en", "Thursday 3 December, 08:00")])
def test_the_opening_time_in_each_language(language, text):
    assert handoff.format_opening(datetime(2026, 12, 3, 8, 0, tzinfo=VILNIUS_WINTER), language) == text


# ----------------------------------------------------------------------------- action_handoff

def test_handoff_in_working_hours_queues_and_pauses(core):
    core.escalation = escalation()
    events = [user("Kaip užsiregistruoti?", "how_to_register", 1, token="tok"),
              bot("Padėsiu...", "utter_registration_intro", 2), user("noriu žmogaus", "request_human", 3, token="tok")]
    result, messages = run(handoff.ActionHandoff(), tracker(events, {"language": "lt"}))
    assert [(m["response"], m.get("position"), m.get("wait")) for m in messages] == [("utter_handoff_queued", 3, 15)]
    # the reason as a slot first (the analytics recorder reads it), forgotten before the pause
    assert result == [SlotSet("handoff_reason", "customer_request"), SlotSet("handoff_reason", None),
                      ConversationPaused(), ActionExecuted("action_listen")]
    call = core.calls[0]
    assert (call["conversation_id"], call["channel"], call["language"], call["reason"], call["token"]) == (
        "conversation-1", "socketio", "lt", "customer_request", "tok")
    assert [row["text"] for row in call["transcript"]] == ["Kaip užsiregistruoti?", "Padėsiu...", "noriu žmogaus"]


def test_handoff_out_of_hours_says_when_the_team_is_back(core):
    core.escalation = escalation(in_hours=False, opening=datetime(2026, 12, 7, 8, 0, tzinfo=VILNIUS_WINTER))
    result, messages = run(handoff.ActionHandoff(), tracker([user("agent please", "request_human", 1)]))
    assert [(m["response"], m.get("opening")) for m in messages] == [
        ("utter_handoff_out_of_hours", "Monday 7 December, 08:00")]
    assert result[-2:] == [ConversationPaused(), ActionExecuted("action_listen")]


def test_handoff_ends_the_guided_flow_in_progress(core):
    core.escalation = escalation()
    the_tracker = tracker([user("I want to talk to a person", "request_human", 1)],
                          {"tier": "gold", "requested_slot": "payment_method", "tier_fees": {"gold": "100"}},
                          active_loop="membership_form")
    result, _ = run(handoff.ActionHandoff(), the_tracker)
    assert ActiveLoop(None) in result and SlotSet("tier", None) in result and SlotSet("tier_fees", None) in result
    assert result[-2:] == [ConversationPaused(), ActionExecuted("action_listen")]


def test_handoff_when_the_core_is_down_does_not_pause(core):
    core.error = Unavailable("connection refused")
    result, messages = run(handoff.ActionHandoff(), tracker([user("agent please", "request_human", 1)],
                                                            {"handoff_reason": "payment_problem"}))
    assert [m["response"] for m in messages] == ["utter_handoff_failed"]
    assert ConversationPaused() not in result and SlotSet("handoff_reason", None) in result


# ----------------------------------------------------------------------------- agent replies and the return

def test_agent_messages_are_delivered_with_the_agents_name(core):
    core.agent_messages = [AgentMessage("Labas, žiūriu jūsų paskyrą.", "Rūta", 41),
                           AgentMessage("<b>hi</b>", "Rūta", 42)]
    result, messages = run(handoff.ActionDeliverAgentMessages(), tracker([], {"language": "lt"}, paused=True))
    assert [(m["response"], m["agent_name"], m["agent_text"], m["agent_message_id"], m["text"])
            for m in messages] == [
        ("utter_agent_message", "Rūta", "Labas, žiūriu jūsų paskyrą.", 41, None),
        ("utter_agent_message", "Rūta", "<b>hi</b>", 42, None)]  # a `text` would replace the response's own text
    assert result == [] and core.calls == [{"deliveries": "conversation-1"}]


def test_agent_messages_stay_with_the_core_when_it_cannot_be_reached(core):
    core.error = Unavailable("timeout")
    result, messages = run(handoff.ActionDeliverAgentMessages(), tracker([], paused=True))
    assert (result, messages) == ([], [])


def test_the_assistant_says_it_is_back():
    result, messages = run(handoff.ActionHandoffClosed(), tracker([], {"satisfaction_asked": True}))
    assert [m["response"] for m in messages] == ["utter_handoff_closed"]
    assert result == [ActionExecuted("action_listen")]  # the next message is a fresh turn for the rules


def test_the_assistant_back_asks_whether_it_helped():
    """Once a session (tests/assistant/test_satisfaction_actions.py)."""
    result, messages = run(handoff.ActionHandoffClosed(), tracker([]))
    assert [m["response"] for m in messages] == ["utter_handoff_closed", "utter_ask_satisfaction"]
    assert result[-2:] == [ActionExecuted("utter_ask_satisfaction"), ActionExecuted("action_listen")]


# ----------------------------------------------------------------------------- yes to an offer, restart, sessions

@pytest.mark.parametrize("last_response, expected", [
    ("utter_offer_human", ([FollowupAction("action_handoff")], [])),
    ("utter_payment_problem", ([FollowupAction("action_handoff")], [])),
    ("utter_offer_registration_guide", ([FollowupAction("action_start_registration")], [])),
    ("utter_offer_migration_guide", ([FollowupAction("action_start_migration")], [])),
    ("utter_approval_time", ([], ["utter_anything_else"])),
    ("utter_default", ([], ["utter_anything_else"])),
])
def test_a_yes_takes_the_offer_the_bot_just_made(last_response, expected):
    events = [user("blah", "nlu_fallback", 1), bot("...", last_response, 2), user("yes", "affirm", 3)]
    result, messages = run(offers.ActionAnswerYes(), tracker(events))
    assert (result, [m["response"] for m in messages]) == expected


@pytest.mark.parametrize("first, offer, reason", [
    (user("blah", "nlu_fallback", 1), "utter_offer_human", "fallback"),
    (user("nuskaitė du kartus", "payment_problem", 1), "utter_payment_problem", "payment_problem"),
])
@pytest.mark.parametrize("answer", [user("taip", "affirm", 3), user("/request_human", "request_human", 3)])
def test_a_yes_to_an_offer_is_handed_off_with_the_offer_s_reason(core, first, offer, reason, answer):
    core.escalation = escalation()
    run(handoff.ActionHandoff(), tracker([first, bot("...", offer, 2), answer]))
    assert core.calls[0]["reason"] == reason


def test_a_payment_problem_outside_a_flow_is_offered_a_colleague():
    result, messages = run(handoff.ActionPaymentProblem(), tracker([user("card declined", "payment_problem", 1)]))
    assert (result, [m["response"] for m in messages]) == ([], ["utter_payment_problem"])


def test_a_payment_problem_inside_a_flow_ends_it_before_the_offer():
    result, messages = run(handoff.ActionPaymentProblem(), tracker([user("card declined", "payment_problem", 1)],
                                                                   {"tier": "gold"}, active_loop="membership_form"))
    assert [m["response"] for m in messages] == ["utter_payment_problem"]
    assert ActiveLoop(None) in result and SlotSet("tier", None) in result


def test_restart_while_a_person_owns_the_conversation_keeps_it_paused():
    result, messages = run(handoff.ActionRestart(), tracker([user("/restart", "restart", 1)], paused=True))
    assert (result, messages) == ([ConversationPaused(), FollowupAction("action_listen")], [])


def test_restart_otherwise_restarts():
    result, _ = run(handoff.ActionRestart(), tracker([user("/restart", "restart", 1)]))
    assert result == [Restarted()]


