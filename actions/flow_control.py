"""Leaving a guided flow on "stop" / "atšaukti", and picking a flow up again in a new session."""

from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActionExecuted, ActiveLoop, ConversationPaused, EventType, SessionStarted, SlotSet
from rasa_sdk.executor import CollectingDispatcher

# The slots each form fills or uses; all are cleared when the customer stops the flow.
FLOW_SLOTS = {
    "registration_form": ("vat_registered", "had_cps_account"),
    "migration_form": ("old_cps_email_given", "migration_count", "migrate_confirm", "migration_next_step"),
    "product_details_form": ("serial_number", "purchase_date", "country_of_purchase", "dealer", "product_id",
                             "product_name", "product_missing", "products_skipped", "invited_before"),
    "membership_form": ("tier", "payment_method", "order_confirmed", "tier_fees", "order_key"),
}


class ActionStopFlow(Action):
    """Ends the active form and forgets its answers; outside a form, says there is nothing to stop."""

    def name(self) -> Text:
        return "action_stop_flow"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[EventType]:
        form = (tracker.active_loop or {}).get("name")
        if not form:
            dispatcher.utter_message(response="utter_nothing_to_stop")
            return []
        dispatcher.utter_message(response="utter_flow_stopped")
        slots = FLOW_SLOTS.get(form, ())
        return [ActiveLoop(None), SlotSet("requested_slot", None), SlotSet("dont_know_count", 0)] + \
            [SlotSet(name, None) for name in slots]


class ActionSessionStart(Action):
    """A new session keeps the slots and the unfinished flow, so a returning customer picks up where they left;
    a conversation a person owns (paused by the handoff) stays paused, or the bot would wake up after an hour."""

    def name(self) -> Text:
        return "action_session_start"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[EventType]:
        events: List[EventType] = [SessionStarted()]
        events += [SlotSet(name, value) for name, value in tracker.slots.items() if value is not None]
        form = (tracker.active_loop or {}).get("name")
        if form:
            events.append(ActiveLoop(form))
        if tracker.is_paused():
            events.append(ConversationPaused())
        return events + [ActionExecuted("action_listen")]
