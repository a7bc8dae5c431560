"""Answers about the customer's own account, through the core service.

Each action answers one FAQ intent. A verified customer (valid `customer_token` in the message metadata) gets
the answer from their account; an anonymous one gets the general guidance and a hint to log in; when the core
cannot be reached, the general guidance and a note that the account cannot be checked now.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, Dict, List, Optional, Text, Tuple

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.core_client import Anonymous, CoreClient, Missing, NotApproved, Unavailable

Answer = Tuple[Text, Dict[Text, Any]]  # response name and its template variables

FIELD_NAMES = {
    "lt": {"serial_number": "serijos numeris", "purchase_date": "pirkimo data",
           "country_of_purchase": "pirkimo šalis", "dealer": "prekybos atstovas"},
    "en": {"serial_number": "serial number", "purchase_date": "purchase date",
           "country_of_purchase": "country of purchase", "dealer": "dealer"},
}
TIER_NAMES = {
    "lt": {"silver": "Sidabras", "gold": "Auksas", "platinum": "Platina", "enterprise": "Įmonių (Enterprise)"},
    "en": {"silver": "Silver", "gold": "Gold", "platinum": "Platinum", "enterprise": "Enterprise"},
}


def customer_token(tracker: Tracker) -> Optional[Text]:
    """The token the support site sent with the latest customer message, if any."""
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            token = (event.get("metadata") or {}).get("customer_token")
            return token if isinstance(token, str) and token else None
    return None


def language_of(tracker: Tracker) -> Text:
    return "en" if tracker.get_slot("language") == "en" else "lt"


class AccountAnswer(Action, ABC):
    """Base: `general` is the FAQ response; `personal()` builds the verified customer's answer."""

    action_name: Text = ""
    general: Text = ""

    def name(self) -> Text:
        return self.action_name

    @staticmethod
    @abstractmethod
    def personal(core: CoreClient, token: Optional[Text], language: Text) -> Answer:
        """The verified customer's answer (raises the client's errors)."""

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        try:
            response, variables = self.personal(CoreClient.from_env(), customer_token(tracker), language_of(tracker))
            dispatcher.utter_message(response=response, **variables)
        except Anonymous:
            dispatcher.utter_message(response=self.general)
            dispatcher.utter_message(response="utter_login_hint")
        except NotApproved:
            dispatcher.utter_message(response="utter_my_account_not_approved")
        except Missing:  # e.g. no application yet: the general answer
            dispatcher.utter_message(response=self.general)
        except Unavailable:
            dispatcher.utter_message(response=self.general)
            dispatcher.utter_message(response="utter_account_unavailable")
        return []


def _points_answer(core: CoreClient, token: Optional[Text], _language: Text) -> Answer:
    points = core.points(token)
    if points.invited:
        return "utter_my_points_invited", {"balance": points.balance}
    return "utter_my_points_not_invited", {"balance": points.balance, "missing": points.points_to_invitation}


def _application_answer(core: CoreClient, token: Optional[Text], _language: Text) -> Answer:
    application = core.application(token)
    variables = {"company": application.company, "date": application.expected_approval_date.isoformat(),
                 "reason": application.rejection_reason or "-"}
    return f"utter_my_application_{application.status}", variables


def _tiers_answer(core: CoreClient, token: Optional[Text], language: Text) -> Answer:
    tiers = core.tiers(token)
    if not tiers:
        return _points_answer(core, token, language)
    names = ", ".join(f"{TIER_NAMES[language].get(t.code, t.code)} ({t.annual_fee_eur} EUR)" for t in tiers)
    return "utter_my_tiers", {"tiers": names}


def _membership_answer(core: CoreClient, token: Optional[Text], language: Text) -> Answer:
    membership = core.membership(token)
    if membership is None:
        return "utter_my_membership_none", {}
    return "utter_my_membership", {"tier": TIER_NAMES[language].get(membership.tier, membership.tier),
                                   "number": membership.number}


class ActionAnswerApproval(AccountAnswer):
    action_name, general = "action_answer_approval", "utter_approval_time"
    personal = staticmethod(_application_answer)


class ActionAnswerPoints(AccountAnswer):
    action_name, general = "action_answer_points", "utter_cps_invitation"
    personal = staticmethod(_points_answer)


class ActionAnswerTiers(AccountAnswer):
    action_name, general = "action_answer_tiers", "utter_cps_tiers"
    personal = staticmethod(_tiers_answer)


class ActionAnswerMembership(AccountAnswer):
    action_name, general = "action_answer_membership", "utter_membership_number"
    personal = staticmethod(_membership_answer)
