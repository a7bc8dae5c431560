"""Actions that keep the conversation in the customer's language."""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import ValidationAction

from bot.rasa_ext.language_detection import LANGUAGES, Detection, next_language

LANGUAGE_SLOT = "language"


def _entity(tracker: Tracker, name: Text) -> Optional[Dict[Text, Any]]:
    return next((e for e in tracker.latest_message.get("entities", []) if e.get("entity") == name), None)


def detection_from(tracker: Tracker) -> Detection:
    """The LanguageDetector's verdict on the latest message (undecided when it added no entity)."""
    entity = _entity(tracker, "language")
    if not entity or entity.get("value") not in LANGUAGES:
        return Detection(None)
    return Detection(entity["value"], float(entity.get("margin", 0)))


class ValidateSlotMappings(ValidationAction):
    """Runs after every customer message: fills the custom-mapped `language` slot."""

    async def extract_language(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> Dict[Text, Any]:
        current = tracker.get_slot(LANGUAGE_SLOT)
        new = next_language(current, detection_from(tracker))
        return {LANGUAGE_SLOT: new} if new != current else {}


class ActionSwitchLanguage(Action):
    """Switch to the language the customer asked for (or to the other one when none is named)."""

    def name(self) -> Text:
        return "action_switch_language"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        requested = _entity(tracker, "requested_language")
        if requested and requested.get("value") in LANGUAGES:
            target = requested["value"]
        else:
            target = "en" if tracker.get_slot(LANGUAGE_SLOT) != "en" else "lt"
        return [SlotSet(LANGUAGE_SLOT, target)]
