"""Flow 2, the missing MIGRATE PRODUCTS button: was the old CPS e-mail given (from the account when verified,
else asked)? Given and products waiting: where the button is, and migrating them on the customer's yes. Not
given: register the products again (into the product details flow) or CPS priority support."""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.account_fallback import answer_without_account
from actions.conversation import customer_token, forget_flow_slots, latest_intent
from actions.core_client import Anonymous, CoreClient, CoreError
from actions.flow_validation import Answer, FlowValidation, Reply, one_match, yes_no_answer
from actions.product_details_flow import start_product_details
from bot.vocabulary import HANDOFF_REASON_SLOT, PRIORITY_SUPPORT

FORM = "migration_form"
# the next steps when the old CPS e-mail was not given: register the products again, or CPS priority support
# (a person: the step is named as the handoff's reason)
REGISTER_AGAIN = "register_again"
GENERAL = ("utter_migrate_button_missing",)  # the general guidance, without the account
# the flow's own topic: why the button is missing, answered from what the flow knows, for the question it asks
BUTTON_MISSING = "migrate_button_missing"
WHY_NO_BUTTON = {"old_cps_email_given": "utter_migration_depends_on_email",  # not said yet: what it depends on
                 "migration_next_step": "utter_migration_email_not_given",  # said not given: that is why
                 "migrate_confirm": "utter_migration_products_waiting"}  # the account: given, products waiting
NEXT_STEP_WORDS = {REGISTER_AGAIN: ("naujo", "vel", "again", "regist", "anew"),
                   PRIORITY_SUPPORT: ("palaik", "priorit", "support", "zmog", "human", "agent", "operator")}


class ActionStartMigration(Action):
    """Reads the verified customer's migration state; anonymous customers are asked."""

    def name(self) -> Text:
        return "action_start_migration"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[EventType]:
        try:
            state = await CoreClient.from_env().migration(customer_token(tracker))
        except Anonymous:  # the flow asks what the account would have told
            return forget_flow_slots(FORM) + [FollowupAction(FORM)]
        except CoreError as error:
            answer_without_account(dispatcher, error, GENERAL)
            return []
        if state.old_cps_email_given and not state.available:
            dispatcher.utter_message(response="utter_my_migration_nothing_left")
            return []
        return forget_flow_slots(FORM) + [SlotSet("old_cps_email_given", state.old_cps_email_given),
                                          SlotSet("migration_count", state.count), FollowupAction(FORM)]


class ValidateMigrationForm(FlowValidation):
    dont_know_responses = {slot: f"utter_dont_know_{slot}"
                           for slot in ("old_cps_email_given", "migrate_confirm", "migration_next_step")}
    answer_intents = {"migration_next_step": frozenset({"register_products", "request_human"})}  # its buttons

    def name(self) -> Text:
        return "validate_migration_form"

    def answer_in_flow(self, slot: Text, intent: Text, tracker: Tracker) -> Optional[Reply]:
        if intent != BUTTON_MISSING:
            return None
        return Reply.of(WHY_NO_BUTTON[slot], migration_count=tracker.get_slot("migration_count"))

    async def required_slots(self, domain_slots: List[Text], dispatcher: CollectingDispatcher,
                             tracker: Tracker, domain: DomainDict) -> List[Text]:
        if tracker.get_slot("migration_count"):
            return ["migrate_confirm"]
        if tracker.get_slot("old_cps_email_given") is True:
            return []  # anonymous, e-mail given: the outcome says where the button is
        return ["old_cps_email_given", "migration_next_step"]

    @staticmethod
    def read_old_cps_email_given(_text: Text, tracker: Tracker) -> Answer:
        return yes_no_answer("old_cps_email_given", tracker)

    @staticmethod
    def read_migrate_confirm(_text: Text, tracker: Tracker) -> Answer:
        return yes_no_answer("migrate_confirm", tracker)

    @staticmethod
    def read_migration_next_step(text: Text, tracker: Tracker) -> Answer:
        step = next_step(text, latest_intent(tracker)[0])
        return Answer.invalid("utter_choose_migration_next_step") if step is None \
            else Answer({"migration_next_step": step})


def next_step(text: Text, intent: Text) -> Optional[Text]:
    """register_again / priority_support from the button payload or the customer's words."""
    if intent == "register_products":
        return REGISTER_AGAIN
    if intent == "request_human":
        return PRIORITY_SUPPORT
    return one_match(text, NEXT_STEP_WORDS)


class ActionMigrationOutcome(Action):
    """Migrates on the customer's yes, or leads on to registering again or to CPS priority support."""

    def name(self) -> Text:
        return "action_migration_outcome"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[EventType]:
        confirm, step = tracker.get_slot("migrate_confirm"), tracker.get_slot("migration_next_step")
        events = forget_flow_slots(FORM)
        if confirm is True:
            await self.migrate(dispatcher, tracker)
        elif confirm is False:
            dispatcher.utter_message(response="utter_migration_declined")
        elif step == REGISTER_AGAIN:
            dispatcher.utter_message(response="utter_register_again")
            if customer_token(tracker):
                events += await start_product_details(dispatcher, tracker, say_all_ticked=False)
            else:  # the details needed were just said; the account can be checked after logging in
                dispatcher.utter_message(response="utter_login_hint")
        elif step == PRIORITY_SUPPORT:  # CPS priority support is a person: hand the conversation over
            dispatcher.utter_message(response="utter_priority_support")
            events += [SlotSet(HANDOFF_REASON_SLOT, PRIORITY_SUPPORT), FollowupAction("action_handoff")]
        elif tracker.get_slot("old_cps_email_given") is True:
            dispatcher.utter_message(response="utter_migration_button_where")
            dispatcher.utter_message(response="utter_login_hint")
        return events

    @staticmethod
    async def migrate(dispatcher: CollectingDispatcher, tracker: Tracker) -> None:
        try:
            done = await CoreClient.from_env().migrate(customer_token(tracker))
        except CoreError:
            dispatcher.utter_message(response="utter_migration_failed")
            return
        dispatcher.utter_message(response="utter_migration_done", migrated=done.migrated,
                                 balance=done.balance)
