"""A "yes" outside any guided flow: to an offer the bot made, it takes the offer; otherwise "what else?".

The offers: a colleague (after two misunderstandings, or to a described payment problem: actions/handoff.py) and
the two guides offered after a direct answer (registration, the missing MIGRATE PRODUCTS button). A "no" to any
of them is the rule "a no outside any question" (data/rules/conversation.yml).
"""

from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, FollowupAction
from rasa_sdk.executor import CollectingDispatcher

from actions.handoff import OFFERS, last_bot_response

REGISTRATION_GUIDE_OFFER = "utter_offer_registration_guide"
MIGRATION_GUIDE_OFFER = "utter_offer_migration_guide"
# the bot's offer (its response name) -> what a yes to it runs
TAKEN_BY_YES = {**{offer: "action_handoff" for offer in OFFERS},
                REGISTRATION_GUIDE_OFFER: "action_start_registration",
                MIGRATION_GUIDE_OFFER: "action_start_migration"}


class ActionAnswerYes(Action):
    """A "yes" outside any form: the offer the bot just made is taken, otherwise "what else?"."""

    def name(self) -> Text:
        return "action_answer_yes"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[EventType]:
        action = TAKEN_BY_YES.get(last_bot_response(tracker) or "")
        if action:
            return [FollowupAction(action)]
        dispatcher.utter_message(response="utter_anything_else")
        return []
