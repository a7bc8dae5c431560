"""Flow 1, the registration guide: VAT status and a former CPS account, then the link, the documents for that
case, the old CPS e-mail, and what happens next. A verified customer with an application gets its status."""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, FollowupAction
from rasa_sdk.executor import CollectingDispatcher

from actions.conversation import customer_token, latest_intent
from actions.core_client import CoreClient, CoreError
from actions.flow_validation import Answer, FlowValidation, Reply, yes_no_answer
from actions.offers import REGISTRATION_GUIDE_OFFER

FORM = "registration_form"
VAT_STATUS = {"documents_vat_registered": True, "documents_not_vat_registered": False}  # the status said


def documents_for(vat_registered: bool) -> Text:
    """The documents the application needs for the VAT status given."""
    return "utter_documents_vat_registered" if vat_registered else "utter_documents_not_vat_registered"


class ActionStartRegistration(Action):
    """The application's status when the verified customer has one in progress; otherwise, to the question "how do
    I register?", the link and the offer of the guide, and to a yes to that offer, the guide's form."""

    def name(self) -> Text:
        return "action_start_registration"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[EventType]:
        token = customer_token(tracker)
        if token:
            try:
                application = await CoreClient.from_env().application(token)
            except CoreError:  # anonymous, none submitted, or the core is down: the guide still helps
                application = None
            if application is not None:
                dispatcher.utter_message(response=f"utter_my_application_{application.status}",
                                         company=application.company,
                                         date=application.expected_approval_date.isoformat(),
                                         reason=application.rejection_reason or "-")
                if application.status != "rejected":
                    return []
        if latest_intent(tracker)[0] == "how_to_register":  # a question: the link first, the guide on offer
            dispatcher.utter_message(response="utter_registration_link")
            dispatcher.utter_message(response=REGISTRATION_GUIDE_OFFER)
            return []
        if tracker.get_slot("vat_registered") is None or tracker.get_slot("had_cps_account") is None:
            dispatcher.utter_message(response="utter_registration_intro")
        return [FollowupAction(FORM)]


class ValidateRegistrationForm(FlowValidation):
    dont_know_responses = {"vat_registered": "utter_dont_know_vat_registered",
                           "had_cps_account": "utter_dont_know_had_cps_account"}
    answer_intents = {"vat_registered": frozenset(VAT_STATUS), "had_cps_account": frozenset({"old_cps_email"})}

    def name(self) -> Text:
        return "validate_registration_form"

    @staticmethod
    def read_vat_registered(_text: Text, tracker: Tracker) -> Answer:
        return yes_no_answer("vat_registered", tracker, ("affirm", "documents_vat_registered"),
                             ("deny", "documents_not_vat_registered"))

    @staticmethod
    def read_had_cps_account(_text: Text, tracker: Tracker) -> Answer:
        return yes_no_answer("had_cps_account", tracker, ("affirm", "old_cps_email"))

    def answer_in_flow(self, slot: Text, intent: Text, tracker: Tracker) -> Optional[Reply]:
        """The documents for the VAT status given (a status said now replaces the earlier answer); before the
        VAT answer, that they depend on it (the VAT question follows)."""
        if intent in VAT_STATUS:  # while the VAT question is open this is its answer, read before
            return Reply([(documents_for(VAT_STATUS[intent]), {})], {"vat_registered": VAT_STATUS[intent]})
        if intent == "ask_documents":
            vat = self.given(tracker, slot, "vat_registered")
            return Reply.of("utter_documents_depend_on_vat" if vat is None else documents_for(vat))
        return None


class ActionRegistrationGuide(Action):
    """The guide for the answers given: link, documents, old CPS e-mail, next steps."""

    def name(self) -> Text:
        return "action_registration_guide"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[EventType]:
        dispatcher.utter_message(response="utter_registration_link")
        dispatcher.utter_message(response=documents_for(bool(tracker.get_slot("vat_registered"))))
        if tracker.get_slot("had_cps_account"):
            dispatcher.utter_message(response="utter_old_cps_email")
        dispatcher.utter_message(response="utter_registration_next_steps")
        return []
