""""Did this help?": asked once a session when the conversation is resolved, then an optional comment.

When: the customer thanks or says goodbye after asking the assistant something in this session (`action_thank`,
`action_goodbye`), or an agent closed the escalation (`action_handoff_closed`, actions/handoff.py). Never twice
in a session (the `satisfaction_asked` slot; a new session starts without it), never in a guided flow, never
while a person owns the conversation.

How: the question is the response `utter_ask_satisfaction` (run by Rasa as a follow-up, or recorded as run after
an escalation closes), so that the rules (data/rules/conversation.yml) read the customer's next message as the
answer: yes / thanks -> helped, no -> not helped (`action_satisfaction_answer`), anything else is answered as
usual. Then `utter_ask_satisfaction_comment`, once: the next message is the comment (`action_satisfaction_comment`)
unless the NLU reads a question in it, which the rules answer as usual. The answer and the comment are the slots
the core's analytics recorder reads (docs/analytics.md "Satisfaction").
"""

from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActionExecuted, EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.conversation import active_flow, latest_intent
from bot.vocabulary import (
    HELPED,
    NOT_HELPED,
    SATISFACTION_ASKED_SLOT,
    SATISFACTION_COMMENT_SLOT,
    SATISFACTION_SLOT,
)

QUESTION = "utter_ask_satisfaction"
COMMENT_QUESTION = "utter_ask_satisfaction_comment"
# what a customer says that asks the assistant nothing: a session of only these has nothing to rate
NOT_ASKING = frozenset({"greet", "goodbye", "thank", "affirm", "deny", "dont_know", "stop", "switch_language",
                        "out_of_scope"})
ANSWERS = {"affirm": HELPED, "thank": HELPED, "deny": NOT_HELPED}
ACKNOWLEDGEMENTS = {HELPED: "utter_satisfaction_helped", NOT_HELPED: "utter_satisfaction_not_helped"}
# to the comment question, a short message of these says "nothing to add" (a longer one is kept as the comment)
NO_COMMENT_INTENTS = frozenset({"deny", "stop", "dont_know", "affirm", "thank", "goodbye"})
NO_COMMENT_MAX_WORDS = 2


def session_events(tracker: Tracker) -> List[Dict[Text, Any]]:
    """The events of the current session (after the latest session start or restart)."""
    events = tracker.events
    for index in range(len(events) - 1, -1, -1):
        if events[index].get("event") in ("session_started", "restart"):
            return events[index + 1:]
    return list(events)


def asked_something(tracker: Tracker) -> bool:
    """Whether the customer asked the assistant something in this session (not only greetings and thanks)."""
    for event in session_events(tracker):
        if event.get("event") == "user":
            intent = ((event.get("parse_data") or {}).get("intent") or {}).get("name")
            if intent and intent not in NOT_ASKING:
                return True
    return False


def may_ask(tracker: Tracker) -> bool:
    """Not asked yet in this session, no guided flow in progress, no person owning the conversation."""
    return not tracker.get_slot(SATISFACTION_ASKED_SLOT) and not active_flow(tracker) and not tracker.is_paused()


def asking() -> List[EventType]:
    """The events that ask the question next (Rasa runs the response) and remember it was asked."""
    return [SlotSet(SATISFACTION_ASKED_SLOT, True), FollowupAction(QUESTION)]


def asked_after_action(dispatcher: CollectingDispatcher) -> List[EventType]:
    """For an action the core runs outside a turn (no follow-up runs then): the question sent, and recorded as
    the response last run so that the rules read the next message as its answer."""
    dispatcher.utter_message(response=QUESTION)
    return [SlotSet(SATISFACTION_ASKED_SLOT, True), ActionExecuted(QUESTION)]


def is_no_comment(text: Text, intent: Text) -> bool:
    """A button's payload, or a short "no" / "thanks" / "skip": nothing to keep as a comment."""
    return text.startswith("/") or (intent in NO_COMMENT_INTENTS and len(text.split()) <= NO_COMMENT_MAX_WORDS)


class ActionThank(Action):
    """"You're welcome", and the question when the conversation is resolved; else "anything else?"."""

    def name(self) -> Text:
        return "action_thank"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[EventType]:
        if may_ask(tracker) and asked_something(tracker):
            dispatcher.utter_message(response="utter_welcome")
            return asking()
        dispatcher.utter_message(response="utter_thank")
        return []


class ActionGoodbye(Action):
    """Goodbye, and the question when the conversation is resolved."""

    def name(self) -> Text:
        return "action_goodbye"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[EventType]:
        dispatcher.utter_message(response="utter_goodbye")
        return asking() if may_ask(tracker) and asked_something(tracker) else []


class ActionSatisfactionAnswer(Action):
    """The answer to the question (yes or thanks: helped; no: not helped), then the comment question."""

    def name(self) -> Text:
        return "action_satisfaction_answer"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[EventType]:
        answer = ANSWERS.get(latest_intent(tracker)[0], HELPED)
        dispatcher.utter_message(response=ACKNOWLEDGEMENTS[answer])
        return [SlotSet(SATISFACTION_SLOT, answer), FollowupAction(COMMENT_QUESTION)]


class ActionSatisfactionComment(Action):
    """The message after the comment question that asks nothing: kept as the comment (unless it says "nothing to
    add"), and thanks."""

    def name(self) -> Text:
        return "action_satisfaction_comment"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[EventType]:
        text = (tracker.latest_message.get("text") or "").strip()
        dispatcher.utter_message(response="utter_satisfaction_thanks")
        if not text or is_no_comment(text, latest_intent(tracker)[0]):
            return []
        return [SlotSet(SATISFACTION_COMMENT_SLOT, text)]
