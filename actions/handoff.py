"""Human handoff: hand the conversation to the support team, deliver the agents' replies, and take it back.

`action_handoff` creates an escalation in the core (conversation, channel, language, the customer's token for
the core to verify, the reason and the transcript so far), pauses the conversation so that the bot stays
silent while a person owns it, and tells the customer the queue position and wait, or when the team is back.
The core then calls Rasa's HTTP API: `action_deliver_agent_messages` for each agent reply, and, when the agent
closes the escalation, a `resume` event and `action_handoff_closed` (which asks whether we helped:
actions/satisfaction.py). docs/handoff.md describes the whole flow.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActionExecuted, ConversationPaused, EventType, FollowupAction, Restarted, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.conversation import customer_token, language_of, latest_intent, leave_flow
from actions.core_client import CoreClient, CoreError
from actions.satisfaction import asked_after_action, may_ask
from bot.vocabulary import CUSTOMER_REQUEST, EN, FALLBACK, HANDOFF_REASON_SLOT, LT, PAYMENT_PROBLEM

logger = logging.getLogger(__name__)

OFFER_RESPONSE = "utter_offer_human"  # after two misunderstandings in a row (actions/fallback.py)
PAYMENT_PROBLEM_RESPONSE = "utter_payment_problem"  # a payment problem: what to check, then the offer
MULTI_INTENT_SEPARATOR = "+"  # "payment_problem+request_human": a problem and the wish to talk to a person
# the bot's offers of a colleague, and the reason a "yes" to each gives the escalation
OFFERS = {OFFER_RESPONSE: FALLBACK, PAYMENT_PROBLEM_RESPONSE: PAYMENT_PROBLEM}
MAX_TRANSCRIPT = 500  # messages handed to the core; the oldest are left out of longer conversations
WEEKDAYS = {LT: ("pirmadienį", "antradienį", "trečiadienį", "ketvirtadienį", "penktadienį", "šeštadienį",
                   "sekmadienį"),
            EN: ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")}
MONTHS = {LT: ("sausio", "vasario", "kovo", "balandžio", "gegužės", "birželio", "liepos", "rugpjūčio",
               "rugsėjo", "spalio", "lapkričio", "gruodžio"),
          EN: ("January", "February", "March", "April", "May", "June", "July", "August", "September",
               "October", "November", "December")}


def handoff_reason(tracker: Tracker) -> Text:
    """Why the customer is handed off: set by the flow that leads here, else read from the latest message."""
    reason = tracker.get_slot(HANDOFF_REASON_SLOT)
    if reason:
        return reason
    if PAYMENT_PROBLEM in latest_intent(tracker)[0].split(MULTI_INTENT_SEPARATOR):
        return PAYMENT_PROBLEM
    return OFFERS.get(last_bot_response(tracker) or "", CUSTOMER_REQUEST)


def last_bot_response(tracker: Tracker) -> Optional[Text]:
    """The response name of the bot's last message before the customer's latest one."""
    seen_user = False
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            if seen_user:
                return None
            seen_user = True
        elif event.get("event") == "bot" and seen_user:
            return (event.get("metadata") or {}).get("utter_action")
    return None


def transcript(tracker: Tracker) -> List[Dict[Text, Any]]:
    """The conversation so far (after the latest restart) as the core stores it: sender, text, timestamp."""
    rows = []
    for event in tracker.events_after_latest_restart():
        kind, text = event.get("event"), event.get("text")
        if kind in ("user", "bot") and text:
            rows.append({"sender": "customer" if kind == "user" else "bot", "text": text,
                         "timestamp": float(event.get("timestamp") or 0.0)})
    return rows[-MAX_TRANSCRIPT:]


def format_opening(moment: datetime, language: Text) -> Text:
    """'ketvirtadienį, gruodžio 3 d., 08:00' / 'Thursday 3 December, 08:00' in the moment's own time zone."""
    weekday, month = WEEKDAYS[language][moment.weekday()], MONTHS[language][moment.month - 1]
    if language == LT:
        return f"{weekday}, {month} {moment.day} d., {moment:%H:%M}"
    return f"{weekday} {moment.day} {month}, {moment:%H:%M}"


class ActionHandoff(Action):
    """Creates the escalation, tells the customer what happens next, and pauses the conversation."""

    def name(self) -> Text:
        return "action_handoff"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[EventType]:
        language, reason = language_of(tracker), handoff_reason(tracker)
        channel = (tracker.get_latest_input_channel() or "unknown")
        try:
            escalation = await CoreClient.from_env().escalate(
                tracker.sender_id, channel, language, reason, transcript(tracker), customer_token(tracker))
        except CoreError as error:
            logger.warning("handoff of %s failed: %s", tracker.sender_id, error)
            dispatcher.utter_message(response="utter_handoff_failed")
            return [SlotSet(HANDOFF_REASON_SLOT, None)]
        if escalation.in_working_hours or escalation.next_opening is None:
            dispatcher.utter_message(response="utter_handoff_queued", position=escalation.queue_position,
                                     wait=max(escalation.estimated_wait_minutes, 1))
        else:
            dispatcher.utter_message(response="utter_handoff_out_of_hours",
                                     opening=format_opening(escalation.next_opening, language))
        # listening: the customer's messages while paused then follow a listen, as any turn does, so a typed
        # "/restart" (which Rasa lets through a pause) meets the restart rule and action_restart below
        # a person takes over: the guided flow in progress ends (its answers are forgotten); the reason is set
        # first (the analytics recorder reads it from Rasa's events) and forgotten before the pause
        return [SlotSet(HANDOFF_REASON_SLOT, reason)] + leave_flow(tracker) + [
            SlotSet(HANDOFF_REASON_SLOT, None), ConversationPaused(), ActionExecuted("action_listen")]


class ActionDeliverAgentMessages(Action):
    """Sends the agents' new replies to the customer (called by the core through Rasa's HTTP API)."""

    def name(self) -> Text:
        return "action_deliver_agent_messages"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[EventType]:
        try:
            messages = await CoreClient.from_env().take_agent_messages(tracker.sender_id)
        except CoreError as error:  # they stay undelivered in the core, which calls again
            logger.warning("agent messages for %s not fetched: %s", tracker.sender_id, error)
            return []
        for message in messages:  # not `text=`: that would replace the whole response (Rasa's RemoteAction)
            dispatcher.utter_message(response="utter_agent_message", agent_name=message.agent_name,
                                     agent_text=message.text, agent_message_id=message.id)
        return []


class ActionHandoffClosed(Action):
    """The agent closed the escalation (the core resumed the conversation): the assistant is back."""

    def name(self) -> Text:
        return "action_handoff_closed"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[EventType]:
        dispatcher.utter_message(response="utter_handoff_closed")
        # "did this help?" unless asked already in this session (actions/satisfaction.py)
        asked = asked_after_action(dispatcher) if may_ask(tracker) else []
        # the customer's messages while handed over have no bot turn after them: listen, so that the next
        # message is matched by the rules as a fresh turn
        return asked + [ActionExecuted("action_listen")]


class ActionPaymentProblem(Action):
    """A described payment problem: what to know, then the offer of a colleague. A guided flow in progress ends
    first (its answers are forgotten), so that the customer's "yes" answers the offer, not the flow's next question
    (at the membership flow's last step that question places the order)."""

    def name(self) -> Text:
        return "action_payment_problem"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[EventType]:
        dispatcher.utter_message(response=PAYMENT_PROBLEM_RESPONSE)
        return leave_flow(tracker)


class ActionRestart(Action):
    """Rasa's restart, except while a person owns the conversation: a typed "/restart" must not wake the
    bot."""

    def name(self) -> Text:
        return "action_restart"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[EventType]:
        if tracker.is_paused():  # Rasa goes on predicting after a restart, even paused: stop it here
            return [ConversationPaused(), FollowupAction("action_listen")]
        return [Restarted()]
