"""Flow 4, tier and payment: below 500 points, how many more are needed; otherwise the eligible tiers as
buttons with their annual fees, the payment method, a summary to confirm, and the order through the core."""

from __future__ import annotations

import uuid
from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.account_fallback import answer_without_account
from actions.conversation import customer_token, forget_flow_slots, language_of
from actions.core_client import CoreClient, CoreError, Rejected
from actions.flow_validation import Answer, FlowValidation, Reply, one_match, yes_no_answer
from actions.names import TIER_NAMES, tier_name
from bot.vocabulary import EN, LT

FORM = "membership_form"
# the general guidance without the account: the tiers; for anonymous customers the payment methods too
GENERAL, GENERAL_ANONYMOUS = ("utter_cps_tiers",), ("utter_cps_tiers", "utter_payment_methods")
CARD, BANK = "card", "bank_transfer"
TIER_WORDS = {"silver": ("silver", "sidabr"), "gold": ("gold", "auks"), "platinum": ("platin",),
              "enterprise": ("enterprise", "imoniu")}
METHOD_WORDS = {CARD: ("card", "kortel", "mastercard"),
                BANK: ("bank", "pavedim", "transfer", "wire")}
# the flow's own topic: the price and the order, answered from the choices made so far
ORDER_QUESTIONS = frozenset({"membership_price", "buy_membership"})
METHOD_NAMES = {LT: {CARD: "mokėjimo kortele", BANK: "banko pavedimu"},
                EN: {CARD: "by card", BANK: "by bank transfer"}}


def tier_label(code: Text, fees: Dict[Text, Text], language: Text) -> Text:
    return f"{tier_name(code, language)} – {fees[code]} EUR"


def tier_list(fees: Dict[Text, Text], language: Text) -> Text:
    return ", ".join(tier_label(code, fees, language) for code in fees)


class ActionStartMembership(Action):
    def name(self) -> Text:
        return "action_start_membership"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[EventType]:
        core, token = CoreClient.from_env(), customer_token(tracker)
        try:
            tiers = await core.tiers(token)
            points = None if tiers else await core.points(token)
        except CoreError as error:
            answer_without_account(dispatcher, error, GENERAL, anonymous=GENERAL_ANONYMOUS)
            return []
        if points is not None:
            dispatcher.utter_message(response="utter_membership_need_points", balance=points.balance,
                                     missing=points.points_to_invitation)
            return []
        fees = {t.code: t.annual_fee_eur for t in tiers}
        key = tracker.get_slot("order_key") or uuid.uuid4().hex
        return forget_flow_slots(FORM) + [SlotSet("tier_fees", fees), SlotSet("order_key", key),
                                          FollowupAction(FORM)]


class ActionAskTier(Action):
    """Asks for the tier with one button per eligible tier and its annual fee."""

    def name(self) -> Text:
        return "action_ask_tier"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[EventType]:
        fees, language = tracker.get_slot("tier_fees") or {}, language_of(tracker)
        buttons = [{"title": tier_label(code, fees, language), "payload": code} for code in fees]
        dispatcher.utter_message(response="utter_ask_tier", buttons=buttons)
        return []


class ActionAskOrderConfirmed(Action):
    """Asks to confirm the order's summary."""

    def name(self) -> Text:
        return "action_ask_order_confirmed"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[EventType]:
        language, tier = language_of(tracker), tracker.get_slot("tier")
        fees = tracker.get_slot("tier_fees") or {}
        dispatcher.utter_message(response="utter_ask_order_confirmed",
                                 tier=tier_name(tier, language), fee=fees.get(tier, "?"),
                                 method=METHOD_NAMES[language].get(tracker.get_slot("payment_method"), "?"))
        return []


class ValidateMembershipForm(FlowValidation):
    dont_know_responses = {slot: f"utter_dont_know_{slot}"
                           for slot in ("tier", "payment_method", "order_confirmed")}
    answer_intents = {"tier": frozenset({"select_tier"}),
                      "payment_method": frozenset({"card_payment", "bank_transfer"})}

    def name(self) -> Text:
        return "validate_membership_form"

    def answer_in_flow(self, slot: Text, intent: Text, tracker: Tracker) -> Optional[Reply]:
        """The price or the order so far: the chosen tier's fee (and the payment method), or, before the tier,
        the fees of the tiers the customer can choose."""
        if intent not in ORDER_QUESTIONS:
            return None
        fees, language = tracker.get_slot("tier_fees") or {}, language_of(tracker)
        tier, method = self.given(tracker, slot, "tier"), self.given(tracker, slot, "payment_method")
        if tier not in fees:
            return Reply.of("utter_membership_fees", tiers=tier_list(fees, language))
        chosen = {"tier": tier_name(tier, language), "fee": fees[tier]}
        if method in METHOD_NAMES[language]:
            return Reply.of("utter_membership_chosen_tier_and_method", method=METHOD_NAMES[language][method],
                            **chosen)
        return Reply.of("utter_membership_chosen_tier", **chosen)

    @staticmethod
    def read_tier(text: Text, tracker: Tracker) -> Answer:
        fees, language = tracker.get_slot("tier_fees") or {}, language_of(tracker)
        code = text.strip().lower() if text.strip().lower() in fees else one_match(text, TIER_WORDS)
        if code is None:
            return Answer.invalid("utter_invalid_tier", tiers=tier_list(fees, language))
        if code not in fees:
            return Answer.invalid("utter_tier_not_eligible", understood=True, tier=TIER_NAMES[language][code],
                                  tiers=tier_list(fees, language))
        return Answer({"tier": code})

    @staticmethod
    def read_payment_method(text: Text, _tracker: Tracker) -> Answer:
        method = one_match(text, METHOD_WORDS)
        return Answer.invalid("utter_invalid_payment_method") if method is None \
            else Answer({"payment_method": method})

    @staticmethod
    def read_order_confirmed(_text: Text, tracker: Tracker) -> Answer:
        return yes_no_answer("order_confirmed", tracker)


class ActionPlaceOrder(Action):
    """Places the confirmed order (once: the flow's idempotency key) and says what happens next."""

    def name(self) -> Text:
        return "action_place_order"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[EventType]:
        if tracker.get_slot("order_confirmed") is not True:
            dispatcher.utter_message(response="utter_order_not_placed")
            return forget_flow_slots(FORM)
        language = language_of(tracker)
        try:
            order = await CoreClient.from_env().place_order(customer_token(tracker), tracker.get_slot("tier"),
                                                      tracker.get_slot("payment_method"),
                                                      tracker.get_slot("order_key") or uuid.uuid4().hex)
        except Rejected:
            dispatcher.utter_message(response="utter_order_rejected")
            return forget_flow_slots(FORM)
        except CoreError:
            dispatcher.utter_message(response="utter_order_failed")
            # the key stays: if the order did go through, ordering again returns it instead of a second one
            return forget_flow_slots(FORM, keep=("order_key",))
        dispatcher.utter_message(response="utter_order_placed", tier=TIER_NAMES[language].get(order.tier),
                                 number=order.membership_number)
        if order.previous_membership_number:
            dispatcher.utter_message(response="utter_order_previous_number",
                                     previous=order.previous_membership_number)
        dispatcher.utter_message(response="utter_order_invoice_card" if order.payment_method == CARD
                                 else "utter_order_invoice_bank", due=order.due_date.isoformat())
        return forget_flow_slots(FORM)
