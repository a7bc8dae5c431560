"""Flow 3, missing product details: lists the verified customer's products without the green tick, then asks
only for each one's missing fields, saves them through the core, and reports the tick, the new balance and,
when the balance crossed 500, the CPS invitation. Anonymous customers get the details needed and where.

When the core cannot save a product's details, they are kept (the form has ended; its slots and the product's
stay set) and the customer is offered to try again: the button asks to complete the product details again, and
the start of the flow then saves the kept details instead of starting over (issue 14)."""

from __future__ import annotations

from datetime import date
from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.account_fallback import answer_without_account
from actions.conversation import customer_token, language_of
from actions.core_client import CoreClient, CoreError, Product, Unavailable
from actions.flow_validation import Answer, FlowValidation, Reply, parsed_answer
from actions.names import FIELD_NAMES
from bot.core.domain.countries import parse_country
from bot.core.domain.product_details import (
    PRODUCT_FIELDS,
    parse_purchase_date,
    validate_dealer,
    validate_serial_number,
)
from bot.vocabulary import DONT_KNOW_COUNT_SLOT

FORM = "product_details_form"
GENERAL = ("utter_product_details_anonymous",)  # the guidance without the account: the details needed, where
PRODUCT_SLOTS = ("product_id", "product_name", "product_missing")
# the flow's own topic: why the product has no green tick yet, answered from the details given so far
TICK_QUESTIONS = frozenset({"no_green_tick", "complete_product_details"})
DATE_ERRORS = {"purchase_date_in_future": "utter_purchase_date_in_future",
               "purchase_date_too_early": "utter_purchase_date_too_early"}


def field_list(fields: List[Text], language: Text) -> Text:
    return ", ".join(FIELD_NAMES[language][f] for f in fields)


def product_lines(products: List[Product], language: Text) -> Text:
    return "\n".join(f"- {p.name}: {field_list(p.missing_fields, language)}" for p in products)


def clear_fields() -> List[EventType]:
    return [SlotSet(name, None) for name in PRODUCT_FIELDS] + [SlotSet(DONT_KNOW_COUNT_SLOT, 0)]


def take_product(product: Product) -> List[EventType]:
    """Make `product` the one the form asks about; only its missing fields will be asked."""
    return clear_fields() + [SlotSet("product_id", product.id), SlotSet("product_name", product.name),
                             SlotSet("product_missing", list(product.missing_fields)), FollowupAction(FORM)]


def kept_details(tracker: Tracker) -> bool:
    """Details typed for a product that the core could not save yet (outside the form, the product still set)."""
    return not tracker.active_loop and tracker.get_slot("product_id") is not None and \
        any(tracker.get_slot(name) for name in PRODUCT_FIELDS)


async def start_product_details(dispatcher: CollectingDispatcher, tracker: Tracker,
                                say_all_ticked: bool = True) -> List[EventType]:
    """Lists the products lacking the tick and starts the form for the first (the flow's entry point); with
    details kept from a save that failed, saves them first (and goes on from there)."""
    if kept_details(tracker):
        return await ActionSaveProductDetails().run(dispatcher, tracker, {})
    core, token = CoreClient.from_env(), customer_token(tracker)
    try:
        products, points = await core.products_without_tick(token), await core.points(token)
    except CoreError as error:
        answer_without_account(dispatcher, error, GENERAL)
        return []
    if not products:
        if say_all_ticked:
            dispatcher.utter_message(response="utter_my_products_all_ticked")
        return []
    dispatcher.utter_message(response="utter_products_to_complete",
                             products=product_lines(products, language_of(tracker)))
    return [SlotSet("invited_before", points.invited), SlotSet("products_skipped", [])] + \
        take_product(products[0])


class ActionStartProductDetails(Action):
    def name(self) -> Text:
        return "action_start_product_details"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[EventType]:
        return await start_product_details(dispatcher, tracker)


class ValidateProductDetailsForm(FlowValidation):
    free_text_slots = frozenset({"dealer"})
    must_know_slots = frozenset(PRODUCT_FIELDS)

    def name(self) -> Text:
        return "validate_product_details_form"

    async def required_slots(self, domain_slots: List[Text], dispatcher: CollectingDispatcher,
                             tracker: Tracker, domain: DomainDict) -> List[Text]:
        missing = tracker.get_slot("product_missing") or []
        return [name for name in PRODUCT_FIELDS if name in missing]

    def give_up(self, slot: Text, dispatcher: CollectingDispatcher, tracker: Tracker) -> List[EventType]:
        """The second "I don't know": leave this product for later (what was given is still saved)."""
        return super().give_up(slot, dispatcher, tracker) + [SlotSet("product_missing", [])]

    def answer_in_flow(self, slot: Text, intent: Text, tracker: Tracker) -> Optional[Reply]:
        """What the product still lacks for its green tick, and the details already given for it."""
        if intent not in TICK_QUESTIONS:
            return None
        language, missing = language_of(tracker), tracker.get_slot("product_missing") or []
        given = {name: self.given(tracker, slot, name) for name in PRODUCT_FIELDS if name in missing}
        still = field_list([name for name, value in given.items() if not value], language)
        product = tracker.get_slot("product_name")
        if not any(given.values()):
            return Reply.of("utter_product_details_still_needed", product=product, missing=still)
        return Reply.of("utter_product_details_progress", product=product, missing=still,
                        given=", ".join(f"{FIELD_NAMES[language][name]} {value}" for name, value in given.items()
                                        if value))

    @staticmethod
    def read_serial_number(text: Text, _tracker: Tracker) -> Answer:
        return parsed_answer("serial_number", text, validate_serial_number, "utter_invalid_serial_number")

    @staticmethod
    def read_purchase_date(text: Text, _tracker: Tracker) -> Answer:
        try:
            return Answer({"purchase_date": parse_purchase_date(text, date.today()).isoformat()})
        except ValueError as error:
            return Answer.invalid(DATE_ERRORS.get(str(error), "utter_invalid_purchase_date"))

    @staticmethod
    def read_country_of_purchase(text: Text, _tracker: Tracker) -> Answer:
        return parsed_answer("country_of_purchase", text, parse_country, "utter_unknown_country")

    @staticmethod
    def read_dealer(text: Text, _tracker: Tracker) -> Answer:
        return parsed_answer("dealer", text, validate_dealer, "utter_invalid_dealer")


class ActionSaveProductDetails(Action):
    """Saves the answers, reports the result, and moves on to the next product lacking the tick."""

    def name(self) -> Text:
        return "action_save_product_details"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[EventType]:
        core, token, language = CoreClient.from_env(), customer_token(tracker), language_of(tracker)
        product_id, name = tracker.get_slot("product_id"), tracker.get_slot("product_name")
        details = {f: tracker.get_slot(f) for f in PRODUCT_FIELDS if tracker.get_slot(f)}
        skipped = list(tracker.get_slot("products_skipped") or [])
        try:
            saved = await core.update_product(token, int(product_id), details) if details else None
            products = await core.products_without_tick(token)
        except Unavailable:  # the details stay for another try (kept_details): nothing typed is lost
            dispatcher.utter_message(response="utter_product_details_kept", product=name)
            return []
        except CoreError:
            dispatcher.utter_message(response="utter_product_save_failed")
            return clear_fields()
        events: List[EventType] = clear_fields()
        if saved is not None and not saved.product.missing_fields:
            dispatcher.utter_message(response="utter_product_completed", product=name, balance=saved.balance)
            if saved.invited and not tracker.get_slot("invited_before"):
                # with another product to complete, its question is the open one: the tier is offered later
                more = any(p.id not in skipped for p in products)
                dispatcher.utter_message(response="utter_cps_invitation_unlocked_later" if more
                                         else "utter_cps_invitation_unlocked")
            events.append(SlotSet("invited_before", saved.invited))
        else:
            still = saved.product.missing_fields if saved else next(
                (p.missing_fields for p in products if p.id == product_id), [])
            dispatcher.utter_message(response="utter_product_still_missing", product=name,
                                     fields=field_list(still, language))
            skipped.append(product_id)
        following = self.next_product(dispatcher, products, skipped, language)
        return events + [SlotSet("products_skipped", skipped)] + following

    @staticmethod
    def next_product(dispatcher: CollectingDispatcher, products: List[Product], skipped: List[Any],
                     language: Text) -> List[EventType]:
        following: Optional[Product] = next((p for p in products if p.id not in skipped), None)
        if following is None:
            dispatcher.utter_message(response="utter_product_details_finished" if not products
                                     else "utter_product_details_rest_later")
            return [SlotSet(name, None) for name in PRODUCT_SLOTS]
        dispatcher.utter_message(response="utter_next_product", product=following.name,
                                 fields=field_list(following.missing_fields, language))
        return take_product(following)
