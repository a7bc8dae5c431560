"""Leaving a guided flow on "stop" / "atšaukti", and picking a flow up again in a new session."""

from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActionExecuted, ActiveLoop, ConversationPaused, EventType, SessionStarted, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.conversation import active_flow, leave_flow


class ActionStopFlow(Action):
    """Ends the active form and forgets its answers; outside a form, says there is nothing to stop."""

    def name(self) -> Text:
        return "action_stop_flow"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[EventType]:
        if not active_flow(tracker):
            dispatcher.utter_message(response="utter_nothing_to_stop")
            return []
        dispatcher.utter_message(response="utter_flow_stopped")
        return leave_flow(tracker)


class ActionSessionStart(Action):
    """A new session keeps the slots and the unfinished flow, so a returning customer picks up where they
    left; a conversation a person owns (paused by the handoff) stays paused, or the bot would wake up after an
    hour."""

    def name(self) -> Text:
        return "action_session_start"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[EventType]:
        events: List[EventType] = [SessionStarted()]
        events += [SlotSet(name, value) for name, value in tracker.slots.items() if value is not None]
        form = active_flow(tracker)
        if form:
            events.append(ActiveLoop(form))
        if tracker.is_paused():
            events.append(ConversationPaused())
        return events + [ActionExecuted("action_listen")]
