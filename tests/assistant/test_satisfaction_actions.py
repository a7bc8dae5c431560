"""The satisfaction actions (actions/satisfaction.py) called directly: when the question is asked, how the answer
and the comment become slots. tests/assistant/test_satisfaction.py runs them with the real model and servers."""

from __future__ import annotations

import asyncio
from typing import Any, Dict, List, Optional

import pytest
from rasa_sdk import Tracker
from rasa_sdk.events import ActionExecuted, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

import actions.handoff as handoff
import actions.satisfaction as satisfaction
from tests.assistant.helpers import domain as load_domain

DOMAIN = load_domain()
ASKED = [SlotSet("satisfaction_asked", True), FollowupAction("utter_ask_satisfaction")]


def user(text: str, intent: str) -> Dict[str, Any]:
    return {"event": "user", "text": text, "parse_data": {"intent": {"name": intent, "confidence": 0.9}}}


def tracker(events: List[Dict[str, Any]], slots: Optional[Dict[str, Any]] = None, active_loop: Optional[str] = None,
            paused: bool = False) -> Tracker:
    latest = next((e for e in reversed(events) if e["event"] == "user"), {})
    latest_message = {**latest.get("parse_data", {}), "text": latest.get("text")} if latest else {}
    return Tracker("conversation-1", {"language": "lt", **(slots or {})}, latest_message, events, paused, None,
                   {"name": active_loop} if active_loop else {}, "action_listen")


def run(action, the_tracker: Tracker):
    dispatcher = CollectingDispatcher()
    events = asyncio.run(action.run(dispatcher, the_tracker, DOMAIN))
    return events, [m["response"] for m in dispatcher.messages]


ANSWERED = [user("Kiek kainuoja CPS?", "membership_price"), user("ačiū", "thank")]


def test_thanks_after_an_answer_asks():
    assert run(satisfaction.ActionThank(), tracker(ANSWERED)) == (ASKED, ["utter_welcome"])


@pytest.mark.parametrize("events, slots, loop, paused", [
    ([user("labas", "greet"), user("ačiū", "thank")], {}, None, False),  # nothing asked: nothing to rate
    (ANSWERED, {"satisfaction_asked": True}, None, False),  # never twice
    (ANSWERED, {}, "membership_form", False),  # never in a flow
    (ANSWERED, {}, None, True),  # never while a person owns the conversation
    # a question of an earlier session does not count
    ([user("Kiek kainuoja CPS?", "membership_price"), {"event": "session_started"}, user("ačiū", "thank")], {},
     None, False),
])
def test_thanks_without_a_resolved_conversation_is_only_thanks(events, slots, loop, paused):
    assert run(satisfaction.ActionThank(), tracker(events, slots, loop, paused)) == ([], ["utter_thank"])


def test_goodbye_asks_after_an_answer_and_says_goodbye_otherwise():
    assert run(satisfaction.ActionGoodbye(), tracker(ANSWERED)) == (ASKED, ["utter_goodbye"])
    assert run(satisfaction.ActionGoodbye(), tracker([user("iki", "goodbye")])) == ([], ["utter_goodbye"])


@pytest.mark.parametrize("intent, answer, acknowledgement", [
    ("affirm", "helped", "utter_satisfaction_helped"), ("thank", "helped", "utter_satisfaction_helped"),
    ("deny", "not_helped", "utter_satisfaction_not_helped")])
def test_the_answer_is_the_slot_then_the_comment_is_asked(intent, answer, acknowledgement):
    events, responses = run(satisfaction.ActionSatisfactionAnswer(), tracker([user("x", intent)]))
    assert events == [SlotSet("satisfaction", answer), FollowupAction("utter_ask_satisfaction_comment")]
    assert responses == [acknowledgement]


@pytest.mark.parametrize("text, intent, comment", [
    ("Atsakymai galėtų būti trumpesni", "nlu_fallback", "Atsakymai galėtų būti trumpesni"),
    ("Nelabai supratau apie taškus", "deny", "Nelabai supratau apie taškus"),
    ("ačiū", "thank", None), ("ne, ačiū", "deny", None), ("/deny", "deny", None), ("atšaukti", "stop", None),
    ("lėta", "out_of_scope", "lėta"),
])
def test_the_comment_is_kept_unless_it_says_nothing(text, intent, comment):
    events, responses = run(satisfaction.ActionSatisfactionComment(), tracker([user(text, intent)]))
    assert events == ([SlotSet("satisfaction_comment", comment)] if comment else [])
    assert responses == ["utter_satisfaction_thanks"]


def test_a_closed_escalation_asks_unless_asked_already():
    events, messages = asyncio.run(_closed(tracker([user("žmogaus", "request_human")])))
    assert messages == ["utter_handoff_closed", "utter_ask_satisfaction"]
    # recorded as the response last run, so that the rules read the next message as the answer
    assert events == [SlotSet("satisfaction_asked", True), ActionExecuted("utter_ask_satisfaction"),
                      ActionExecuted("action_listen")]
    events, messages = asyncio.run(_closed(tracker([], {"satisfaction_asked": True})))
    assert (events, messages) == ([ActionExecuted("action_listen")], ["utter_handoff_closed"])


async def _closed(the_tracker: Tracker):
    dispatcher = CollectingDispatcher()
    events = await handoff.ActionHandoffClosed().run(dispatcher, the_tracker, DOMAIN)
    return events, [m["response"] for m in dispatcher.messages]
