"""The guided flows' validation and flow-control actions, called directly (no servers, no model).

Each test builds the tracker the action server receives while a form asks for a slot: the customer's text
is the slot's candidate value (the slot event after the latest user message, see
Tracker.slots_to_validate) and the NLU's intent is in latest_message. The value parsers themselves are
tested in tests/core/test_product_details.py; here a few answers per slot check that the flow stores what
they return, and how the shared judge (actions/flow_validation.py) treats wrong answers, "stop",
digressions and "I don't know".
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Dict, List, Optional

import pytest
from rasa_sdk import Tracker
from rasa_sdk.events import ActiveLoop, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.flow_control import ActionStopFlow
from actions.membership_flow import ValidateMembershipForm
from actions.migration_flow import ValidateMigrationForm
from actions.product_details_flow import ValidateProductDetailsForm
from actions.registration_flow import ValidateRegistrationForm
from bot.core.domain.product_details import PRODUCT_FIELDS
from tests.assistant.helpers import domain as load_domain

DOMAIN = load_domain()
VALIDATORS = {action().form_name(): action for action in (
    ValidateRegistrationForm, ValidateMigrationForm, ValidateProductDetailsForm, ValidateMembershipForm)}


def form_of_slot() -> Dict[str, str]:
    """Each slot the customer fills while a form asks for it -> that form (the domain's slot mappings)."""
    forms = {}
    for slot, spec in DOMAIN["slots"].items():
        for mapping in spec.get("mappings", []):
            for condition in mapping.get("conditions", []):
                if condition.get("requested_slot") == slot:
                    forms[slot] = condition["active_loop"]
    return forms


FORM_OF_SLOT = form_of_slot()
FEES = {"silver": "100", "gold": "250"}  # an account eligible for silver and gold, not platinum / enterprise
TODAY = date.today()
LAST_15_MARCH = date(TODAY.year if date(TODAY.year, 3, 15) <= TODAY else TODAY.year - 1, 3, 15).isoformat()
FAQ_QUESTION = ("Kiek laiko tvirtinama paraiška?", "approval_time", 0.93)  # a question, not an answer


# ----------------------------------------------------------------------------- helpers

def message(text: str, intent: str, confidence: float) -> Dict[str, Any]:
    return {"intent": {"name": intent, "confidence": confidence}, "entities": [], "text": text}


def answer_tracker(slot: str, text: str, intent: str = "nlu_fallback", confidence: float = 1.0,
                   **slots: Any) -> Tracker:
    """The tracker while the slot's form asks for `slot` and the customer answered `text`."""
    parse_data = message(text, intent, confidence)
    events = [
        {"event": "action", "name": FORM_OF_SLOT[slot]},
        {"event": "slot", "name": "requested_slot", "value": slot},
        {"event": "action", "name": "action_listen"},
        {"event": "user", "text": text, "parse_data": parse_data},
        {"event": "action", "name": "action_extract_slots"},
        {"event": "slot", "name": slot, "value": text},
    ]
    all_slots = {"language": "lt", "dont_know_count": 0, **slots, "requested_slot": slot, slot: text}
    return Tracker(sender_id="flow-actions-test", slots=all_slots, latest_message=parse_data, events=events,
                   paused=False, followup_action=None, active_loop={"name": FORM_OF_SLOT[slot]},
                   latest_action_name="action_extract_slots")


@dataclass
class Outcome:
    events: List[Dict[str, Any]]
    messages: List[Dict[str, Any]] = field(default_factory=list)

    @property
    def slots(self) -> Dict[str, Any]:
        """The slots the events set (the last value wins)."""
        return {e["name"]: e["value"] for e in self.events if e["event"] == "slot"}

    @property
    def responses(self) -> List[str]:
        return [m["response"] for m in self.messages]

    @property
    def rejected_forms(self) -> List[str]:
        return [e["name"] for e in self.events if e["event"] == "action_execution_rejected"]


def validate(slot: str, text: str, intent: str = "nlu_fallback", confidence: float = 1.0, run: bool = False,
             **slots: Any) -> Outcome:
    """The validation action of the slot's form on the answer `text` (`run`: the whole action, with the next
    requested_slot)."""
    action, dispatcher = VALIDATORS[FORM_OF_SLOT[slot]](), CollectingDispatcher()
    tracker = answer_tracker(slot, text, intent, confidence, **slots)
    method = action.run if run else action.get_validation_events
    return Outcome(asyncio.run(method(dispatcher, tracker, DOMAIN)), dispatcher.messages)


def plain_tracker(slots: Dict[str, Any], active_loop: Optional[str] = None) -> Tracker:
    parse_data = message("stop", "stop", 0.98)
    events = [{"event": "action", "name": "action_listen"}, {"event": "user", "text": "stop",
                                                              "parse_data": parse_data}]
    return Tracker("flow-actions-test", dict(slots), parse_data, events, False, None,
                   {"name": active_loop} if active_loop else {}, "action_listen")


def run_action(action, tracker: Tracker) -> Outcome:
    dispatcher = CollectingDispatcher()
    return Outcome(asyncio.run(action.run(dispatcher, tracker, DOMAIN)), dispatcher.messages)


def required_slots(action, **slots: Any) -> List[str]:
    tracker = plain_tracker(slots)
    domain_slots = action.domain_slots(DOMAIN)
    return asyncio.run(action.required_slots(domain_slots, CollectingDispatcher(), tracker, DOMAIN))


# ----------------------------------------------------------------------------- the tables

# (slot, customer's text, intent, confidence, other slots, stored value)
VALID = [
    ("vat_registered", "taip", "affirm", 0.97, {}, True),
    ("vat_registered", "ne", "deny", 0.97, {}, False),
    ("vat_registered", "/documents_vat_registered", "documents_vat_registered", 1.0, {}, True),
    ("vat_registered", "/documents_not_vat_registered", "documents_not_vat_registered", 1.0, {}, False),
    ("had_cps_account", "yes", "affirm", 0.95, {}, True),
    ("had_cps_account", "ne, neturėjau", "deny", 0.9, {}, False),
    ("had_cps_account", "turėjau seną CPS paskyrą", "old_cps_email", 0.8, {}, True),
    ("old_cps_email_given", "taip", "affirm", 0.96, {}, True),
    ("old_cps_email_given", "no", "deny", 0.96, {}, False),
    ("migrate_confirm", "taip, perkelkite", "affirm", 0.9, {"migration_count": 3}, True),
    ("migrate_confirm", "ne", "deny", 0.99, {"migration_count": 3}, False),
    ("migration_next_step", "/register_products", "register_products", 1.0, {}, "register_again"),
    ("migration_next_step", "/request_human", "request_human", 1.0, {}, "priority_support"),
    ("migration_next_step", "Registruosiu iš naujo", "nlu_fallback", 0.3, {}, "register_again"),
    ("migration_next_step", "I'd rather have priority support", "nlu_fallback", 0.3, {}, "priority_support"),
    ("migration_next_step", "noriu kalbėti su žmogumi", "nlu_fallback", 0.4, {}, "priority_support"),
    ("serial_number", " ab 1234-567 ", "nlu_fallback", 0.2, {}, "AB1234-567"),
    ("purchase_date", "kovo 15", "nlu_fallback", 0.3, {}, LAST_15_MARCH),
    ("purchase_date", "2024-03-15", "nlu_fallback", 0.3, {}, "2024-03-15"),
    ("country_of_purchase", "Lietuvoje", "nlu_fallback", 0.3, {}, "LT"),
    ("country_of_purchase", "bought it in Poland", "nlu_fallback", 0.3, {}, "PL"),
    ("dealer", "  Foto   LT ", "nlu_fallback", 0.3, {}, "Foto LT"),
    ("tier", "auksas", "nlu_fallback", 0.4, {"tier_fees": FEES}, "gold"),
    ("tier", "silver", "nlu_fallback", 0.4, {"tier_fees": FEES}, "silver"),  # the button's payload
    ("payment_method", "kortele", "nlu_fallback", 0.4, {}, "card"),
    ("payment_method", "bank transfer", "nlu_fallback", 0.4, {}, "bank_transfer"),
    ("payment_method", "mokėsiu banko pavedimu", "nlu_fallback", 0.4, {}, "bank_transfer"),
    ("order_confirmed", "taip", "affirm", 0.99, {"tier": "gold", "payment_method": "card"}, True),
    ("order_confirmed", "ne", "deny", 0.99, {"tier": "gold", "payment_method": "card"}, False),
]

# Readable answers whose words also look like a question: the answer wins.
VALID_WITH_FAQ_INTENT = [
    ("serial_number", "AB123456", "my_points", 0.9, {}, "AB123456"),
    ("purchase_date", "2024-03-15", "approval_time", 0.9, {}, "2024-03-15"),
    ("country_of_purchase", "Lietuvoje", "switch_language", 0.9, {}, "LT"),
    ("tier", "Noriu aukso lygio", "select_tier", 0.95, {"tier_fees": FEES}, "gold"),
    ("payment_method", "kortele", "card_payment", 0.97, {}, "card"),
    ("payment_method", "bank transfer", "bank_transfer", 0.97, {}, "bank_transfer"),
    ("migration_next_step", "noriu įvesti gaminius", "register_products", 0.9, {}, "register_again"),
    ("migration_next_step", "sujunkite su konsultantu", "request_human", 0.9, {}, "priority_support"),
]

# (slot, customer's text, intent, confidence, other slots, the slot's error response)
INVALID = [
    ("vat_registered", "gal", "nlu_fallback", 0.3, {}, "utter_answer_yes_or_no"),
    ("vat_registered", "taip", "affirm", 0.3, {}, "utter_answer_yes_or_no"),  # not a confident yes
    ("had_cps_account", "hmm", "nlu_fallback", 0.3, {}, "utter_answer_yes_or_no"),
    ("old_cps_email_given", "kažkada", "nlu_fallback", 0.3, {}, "utter_answer_yes_or_no"),
    ("migrate_confirm", "gal vėliau", "nlu_fallback", 0.3, {"migration_count": 3}, "utter_answer_yes_or_no"),
    ("migration_next_step", "nieko", "nlu_fallback", 0.3, {}, "utter_choose_migration_next_step"),
    ("migration_next_step", "register again or priority support", "nlu_fallback", 0.3, {},
     "utter_choose_migration_next_step"),  # both: which one?
    ("serial_number", "123", "nlu_fallback", 0.3, {}, "utter_invalid_serial_number"),
    ("purchase_date", "kažkada seniai", "nlu_fallback", 0.3, {}, "utter_invalid_purchase_date"),
    ("purchase_date", f"{TODAY.year + 1}-01-15", "nlu_fallback", 0.3, {}, "utter_purchase_date_in_future"),
    ("purchase_date", "1980-05-01", "nlu_fallback", 0.3, {}, "utter_purchase_date_too_early"),
    ("country_of_purchase", "Narnijoje", "nlu_fallback", 0.3, {}, "utter_unknown_country"),
    ("dealer", "   ", "nlu_fallback", 0.3, {}, "utter_invalid_dealer"),
    ("dealer", "x" * 121, "nlu_fallback", 0.3, {}, "utter_invalid_dealer"),
    ("tier", "geriausią", "nlu_fallback", 0.3, {"tier_fees": FEES}, "utter_invalid_tier"),
    ("payment_method", "grynaisiais", "nlu_fallback", 0.3, {}, "utter_invalid_payment_method"),
    ("order_confirmed", "nežinau ar verta", "nlu_fallback", 0.3, {}, "utter_answer_yes_or_no"),
    # the NLU sees many odd answers as out of scope: still answers, so the question's own error
    ("purchase_date", "2099-01-01", "out_of_scope", 0.9, {}, "utter_purchase_date_in_future"),
    ("serial_number", "nėra jokio", "out_of_scope", 0.9, {}, "utter_invalid_serial_number"),
]

# yes/no and choice questions explain the choice; product details get "a best guess is fine"
DONT_KNOW_RESPONSE = {slot: f"utter_dont_know_{slot}" for slot in (
    "vat_registered", "had_cps_account", "old_cps_email_given", "migrate_confirm", "migration_next_step", "tier",
    "payment_method", "order_confirmed")}

def slot_params(table):
    return [pytest.param(*case, id=f"{case[0]}:{case[1].strip()[:30]}") for case in table]


def each_slot():
    return [pytest.param(slot, id=slot) for slot in FORM_OF_SLOT]


# ----------------------------------------------------------------------------- coverage

def test_every_form_slot_has_a_reader_and_is_in_the_tables():
    assert set(FORM_OF_SLOT.values()) == set(VALIDATORS) == set(DOMAIN["forms"])
    for slot, form in FORM_OF_SLOT.items():
        assert callable(getattr(VALIDATORS[form], f"read_{slot}", None)), slot
    assert {case[0] for case in VALID} == set(FORM_OF_SLOT)
    assert {case[0] for case in INVALID} == set(FORM_OF_SLOT)


# ----------------------------------------------------------------------------- answers

@pytest.mark.parametrize("slot, text, intent, confidence, slots, value",
                         slot_params(VALID + VALID_WITH_FAQ_INTENT))
def test_a_valid_answer_is_stored(slot, text, intent, confidence, slots, value):
    outcome = validate(slot, text, intent, confidence, dont_know_count=1, **slots)
    assert outcome.slots == {slot: value, "dont_know_count": 0}
    assert outcome.messages == []
    assert outcome.rejected_forms == []


@pytest.mark.parametrize("slot, text, intent, confidence, slots, response", slot_params(INVALID))
def test_an_invalid_answer_gets_the_slots_error_and_the_question_again(slot, text, intent, confidence, slots,
                                                                         response):
    outcome = validate(slot, text, intent, confidence, **slots)
    assert outcome.responses == [response]
    assert outcome.slots == {slot: None}
    assert outcome.rejected_forms == []


def test_the_invalid_tier_error_lists_the_eligible_tiers():
    outcome = validate("tier", "geriausią", tier_fees=FEES)
    assert outcome.messages[0]["tiers"] == "Sidabras – 100 EUR, Auksas – 250 EUR"


@pytest.mark.parametrize("text, language, tier, tiers", [
    ("platina", "lt", "Platina", "Sidabras – 100 EUR, Auksas – 250 EUR"),
    ("Enterprise, please", "en", "Enterprise", "Silver – 100 EUR, Gold – 250 EUR"),
])
def test_a_tier_the_customer_is_not_eligible_for(text, language, tier, tiers):
    outcome = validate("tier", text, "nlu_fallback", 0.4, tier_fees=FEES, language=language)
    assert outcome.responses == ["utter_tier_not_eligible"]
    assert (outcome.messages[0]["tier"], outcome.messages[0]["tiers"]) == (tier, tiers)
    assert outcome.slots == {"tier": None}
    assert outcome.rejected_forms == []


# ----------------------------------------------------------------------------- leaving

@pytest.mark.parametrize("slot", each_slot())
@pytest.mark.parametrize("text, confidence", [("stop", 0.97), ("atšaukti", 0.6)])
def test_stop_rejects_the_form_so_the_stop_rule_ends_it(slot, text, confidence):
    # 0.6: confident enough to stop even where free text (a dealer's name) needs 0.8 to count as a question
    outcome = validate(slot, text, "stop", confidence, tier_fees=FEES)
    assert outcome.rejected_forms == [FORM_OF_SLOT[slot]]
    assert outcome.slots == {slot: None}
    assert outcome.messages == []


@pytest.mark.parametrize("slot", each_slot())
def test_a_confident_question_rejects_the_form_so_the_rules_answer_it(slot):
    outcome = validate(slot, *FAQ_QUESTION, tier_fees=FEES)
    assert outcome.rejected_forms == [FORM_OF_SLOT[slot]]
    assert outcome.slots == {slot: None}
    assert outcome.messages == []


@pytest.mark.parametrize("intent, confidence, accepted", [
    ("nlu_fallback", 0.9, True),
    ("more_info", 0.55, True),  # a confident intent elsewhere, but a dealer's name is taken unless very clear
    ("approval_time", 0.79, True),
    ("approval_time", 0.8, False),
    ("approval_time", 0.95, False),
    ("out_of_scope", 0.95, True),
])
def test_a_dealer_name_is_taken_unless_the_question_is_clear(intent, confidence, accepted):
    outcome = validate("dealer", "Foto LT", intent, confidence)
    if accepted:
        assert outcome.slots == {"dealer": "Foto LT", "dont_know_count": 0}
        assert outcome.rejected_forms == []
    else:
        assert outcome.slots == {"dealer": None}
        assert outcome.rejected_forms == ["product_details_form"]


def test_a_question_is_no_dealer_name():
    outcome = validate("dealer", "O kur rasti serijos numerį? ", "nlu_fallback", 0.4)
    assert outcome.slots == {"dealer": None}
    assert outcome.rejected_forms == ["product_details_form"]


# ----------------------------------------------------------------------------- "I don't know"

@pytest.mark.parametrize("slot", each_slot())
@pytest.mark.parametrize("text, intent", [("nežinau", "dont_know"), ("nesu tikras", "unsure_details")])
def test_the_first_dont_know_gets_reassurance_and_the_question_again(slot, text, intent):
    outcome = validate(slot, text, intent, 0.95, tier_fees=FEES)
    assert outcome.responses == [DONT_KNOW_RESPONSE.get(slot, "utter_best_guess_is_fine")]
    assert outcome.slots == {slot: None, "dont_know_count": 1}
    assert outcome.rejected_forms == []


@pytest.mark.parametrize("slot", PRODUCT_FIELDS)
def test_the_second_dont_know_about_a_product_detail_leaves_the_product(slot):
    outcome = validate(slot, "nežinau", "dont_know", 0.95, run=True, dont_know_count=1,
                       product_missing=list(PRODUCT_FIELDS))
    assert outcome.slots == {slot: None, "dont_know_count": 0, "requested_slot": None, "product_missing": []}
    assert outcome.events[-1] == SlotSet("requested_slot", None)
    assert outcome.messages == []
    assert outcome.rejected_forms == []


@pytest.mark.parametrize("slot", ["vat_registered", "old_cps_email_given", "tier", "payment_method"])
def test_flows_that_can_go_on_ask_again_after_a_second_dont_know(slot):
    outcome = validate(slot, "nežinau", "dont_know", 0.95, dont_know_count=1, tier_fees=FEES)
    assert outcome.responses == [DONT_KNOW_RESPONSE.get(slot, "utter_best_guess_is_fine")]
    assert outcome.slots == {slot: None, "dont_know_count": 2}


# ----------------------------------------------------------------------------- required slots

@pytest.mark.parametrize("missing, required", [
    (list(PRODUCT_FIELDS), list(PRODUCT_FIELDS)),
    (["dealer", "serial_number"], ["serial_number", "dealer"]),  # in PRODUCT_FIELDS order
    (["country_of_purchase"], ["country_of_purchase"]),
    ([], []),
    (None, []),
])
def test_the_product_details_form_asks_only_for_the_missing_fields(missing, required):
    assert required_slots(ValidateProductDetailsForm(), product_missing=missing) == required


@pytest.mark.parametrize("slots, required", [
    ({"old_cps_email_given": True, "migration_count": 3}, ["migrate_confirm"]),  # verified, products waiting
    ({}, ["old_cps_email_given", "migration_next_step"]),  # anonymous
    ({"old_cps_email_given": False, "migration_count": 0}, ["old_cps_email_given", "migration_next_step"]),
    ({"old_cps_email_given": True}, []),  # anonymous, said yes: the outcome says where the button is
])
def test_the_migration_forms_questions(slots, required):
    assert required_slots(ValidateMigrationForm(), **slots) == required


@pytest.mark.parametrize("slot, text, intent, slots, next_slot", [
    ("serial_number", "AB123456", "nlu_fallback", {"product_missing": ["serial_number", "dealer"]}, "dealer"),
    ("dealer", "Foto LT", "nlu_fallback", {"product_missing": ["serial_number", "dealer"],
                                           "serial_number": "AB123456"}, None),
    ("old_cps_email_given", "taip", "affirm", {}, None),
    ("old_cps_email_given", "ne", "deny", {}, "migration_next_step"),
])
def test_run_asks_for_the_next_slot_or_ends_the_form(slot, text, intent, slots, next_slot):
    outcome = validate(slot, text, intent, 0.95, run=True, **slots)
    assert outcome.events[-1] == SlotSet("requested_slot", next_slot)


# ----------------------------------------------------------------------------- flow control

# What each flow remembers besides its questions' slots (set by its start action).
FLOW_STATE = {
    "registration_form": [],
    "migration_form": ["migration_count"],
    "product_details_form": ["product_id", "product_name", "product_missing", "products_skipped",
                             "invited_before"],
    "membership_form": ["tier_fees", "order_key"],
}


@pytest.mark.parametrize("form", sorted(FLOW_STATE))
def test_stop_ends_the_active_flow_and_forgets_its_answers(form):
    own = DOMAIN["forms"][form]["required_slots"] + FLOW_STATE[form]
    others = [slot for slot, owner in FORM_OF_SLOT.items() if owner != form]
    slots = {name: "something" for name in own + others} | {"requested_slot": own[0], "dont_know_count": 1,
                                                           "language": "en"}
    outcome = run_action(ActionStopFlow(), plain_tracker(slots, active_loop=form))
    assert outcome.responses == ["utter_flow_stopped"]
    assert ActiveLoop(None) in outcome.events
    assert outcome.slots == {name: None for name in own} | {"requested_slot": None, "dont_know_count": 0}
    assert outcome.rejected_forms == []


@pytest.mark.parametrize("active_loop", [{}, {"name": None}])
def test_stop_outside_a_flow_says_there_is_nothing_to_stop(active_loop):
    tracker = plain_tracker({"language": "lt"})
    tracker.active_loop = active_loop
    outcome = run_action(ActionStopFlow(), tracker)
    assert outcome.responses == ["utter_nothing_to_stop"]
    assert outcome.events == []
