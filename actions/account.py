"""Answers about the customer's own account, through the core service.

Each action answers one FAQ intent. A verified customer (valid `customer_token` in the message metadata) gets
the answer from their account; an anonymous one gets the general guidance and a hint to log in; when the core
cannot be reached, the general guidance and a note that the account cannot be checked now (the ladder of
actions/account_fallback.py).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, Dict, List, Text, Tuple

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.account_fallback import answer_without_account
from actions.conversation import customer_token, language_of
from actions.core_client import CoreClient, CoreError
from actions.names import tier_name

Answer = Tuple[Text, Dict[Text, Any]]  # response name and its template variables


class AccountAnswer(Action, ABC):
    """Base: `general` is the FAQ response; `personal()` builds the verified customer's answer."""

    action_name: Text = ""
    general: Text = ""

    def name(self) -> Text:
        return self.action_name

    @staticmethod
    @abstractmethod
    async def personal(core: CoreClient, token: Text | None, language: Text) -> Answer:
        """The verified customer's answer (raises the client's errors)."""

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        try:
            response, variables = await self.personal(CoreClient.from_env(), customer_token(tracker),
                                                      language_of(tracker))
        except CoreError as error:
            answer_without_account(dispatcher, error, [self.general])
            return []
        dispatcher.utter_message(response=response, **variables)
        return []


async def _points_answer(core: CoreClient, token: Text | None, _language: Text) -> Answer:
    points = await core.points(token)
    if points.invited:
        return "utter_my_points_invited", {"balance": points.balance}
    return "utter_my_points_not_invited", {"balance": points.balance, "missing": points.points_to_invitation}


async def _application_answer(core: CoreClient, token: Text | None, _language: Text) -> Answer:
    application = await core.application(token)
    variables = {"company": application.company, "date": application.expected_approval_date.isoformat(),
                 "reason": application.rejection_reason or "-"}
    return f"utter_my_application_{application.status}", variables


async def _tiers_answer(core: CoreClient, token: Text | None, language: Text) -> Answer:
    tiers = await core.tiers(token)
    if not tiers:
        return await _points_answer(core, token, language)
    names = ", ".join(f"{tier_name(t.code, language)} ({t.annual_fee_eur} EUR)" for t in tiers)
    return "utter_my_tiers", {"tiers": names}


async def _membership_answer(core: CoreClient, token: Text | None, language: Text) -> Answer:
    membership = await core.membership(token)
    if membership is None:
        return "utter_my_membership_none", {}
    return "utter_my_membership", {"tier": tier_name(membership.tier, language),
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
