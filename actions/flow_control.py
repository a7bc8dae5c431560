"""Leaving a guided flow on "stop" / "atšaukti" (picking it up again in a new session is Rasa's session start:
bot/rasa_ext/session_start.py)."""

from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
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
