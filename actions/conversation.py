"""What every action reads from the conversation (the customer's token, language and latest intent) and the
events that forget a guided flow's answers and end the flow in progress."""

from __future__ import annotations

from typing import Collection, Optional, Text

from rasa_sdk import Tracker
from rasa_sdk.events import ActiveLoop, EventType, SlotSet

from bot.vocabulary import (
    CUSTOMER_TOKEN_KEY,
    DEFAULT_LANGUAGE,
    DONT_KNOW_COUNT_SLOT,
    EN,
    FLOW_SLOTS,
    LANGUAGE_SLOT,
    REQUESTED_SLOT,
)


def customer_token(tracker: Tracker) -> Optional[Text]:
    """The token the support site sent with the latest customer message, if any."""
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            token = (event.get("metadata") or {}).get(CUSTOMER_TOKEN_KEY)
            return token if isinstance(token, str) and token else None
    return None


def language_of(tracker: Tracker) -> Text:
    """The conversation's language (Lithuanian until it is decided)."""
    return EN if tracker.get_slot(LANGUAGE_SLOT) == EN else DEFAULT_LANGUAGE


def latest_intent(tracker: Tracker) -> tuple[Text, float]:
    """The intent of the customer's latest message and its confidence ("" and 0.0 when there is none)."""
    intent = tracker.latest_message.get("intent") or {}
    return intent.get("name") or "", float(intent.get("confidence") or 0.0)


def active_flow(tracker: Tracker) -> Optional[Text]:
    """The guided flow (form) in progress, if any."""
    return (tracker.active_loop or {}).get("name")


def forget_flow_slots(form: Text, keep: Collection[Text] = ()) -> list[EventType]:
    """The events that forget the answers of the guided flow `form` (its FLOW_SLOTS, in their order), except
    the slots in `keep` ([] for a form without flow slots)."""
    return [SlotSet(name, None) for name in FLOW_SLOTS.get(form, ()) if name not in keep]


def leave_flow(tracker: Tracker) -> list[EventType]:
    """The events that end the guided flow in progress and forget its answers ([] outside a flow): on "stop"
    and when a person takes over."""
    form = active_flow(tracker)
    if not form:
        return []
    return [ActiveLoop(None), SlotSet(REQUESTED_SLOT, None), SlotSet(DONT_KNOW_COUNT_SLOT, 0),
            *forget_flow_slots(form)]
