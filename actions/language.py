"""Actions that keep the conversation in the customer's language.

The `language` slot itself is filled by the LanguageDetector component (bot/rasa_ext/components.py).
"""

from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot.vocabulary import EN, LANGUAGE_SLOT, LANGUAGES, LT


class ActionSwitchLanguage(Action):
    """Switch to the language the customer asked for (or to the other one when none is named)."""

    def name(self) -> Text:
        return "action_switch_language"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        requested = next(tracker.get_latest_entity_values("requested_language"), None)
        if requested not in LANGUAGES:
            requested = EN if tracker.get_slot(LANGUAGE_SLOT) != EN else LT
        return [SlotSet(LANGUAGE_SLOT, requested)]
