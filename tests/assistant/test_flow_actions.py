"""The guided flows' validation and flow-control actions, called directly (no servers, no model).

Each test builds the tracker the action server receives while a form asks for a slot: the customer's text
is the slot's candidate value (the slot event after the latest user message, see
Tracker.slots_to_validate) and the NLU's intent is in latest_message. The value parsers themselves are
tested in tests/core/test_product_details.py; here a few answers per slot check that the flow stores what
they return, and how the shared judge (actions/flow_validation.py) treats wrong answers, "stop",
digressions (answered by the flow from what was given, or by the rules) and "I don't know".
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Dict, List, Optional

import pytest
import yaml
from rasa_sdk import Tracker
from rasa_sdk.events import ActiveLoop, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.flow_control import ActionStopFlow
from actions.flow_validation import ANSWER_INTENTS
from actions.membership_flow import ValidateMembershipForm
from actions.migration_flow import ValidateMigrationForm
from actions.product_details_flow import ValidateProductDetailsForm
from actions.registration_flow import ValidateRegistrationForm
from bot.core.domain.product_details import PRODUCT_FIELDS
from tests.assistant.helpers import ROOT
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
                   token: Optional[str] = None, **slots: Any) -> Tracker:
    """The tracker while the slot's form asks for `slot` and the customer answered `text` (signed in with
    `token`)."""
    parse_data = message(text, intent, confidence)
    events = [
        {"event": "action", "name": FORM_OF_SLOT[slot]},
        {"event": "slot", "name": "requested_slot", "value": slot},
        {"event": "action", "name": "action_listen"},
        {"event": "user", "text": text, "parse_data": parse_data,
         "metadata": {"customer_token": token} if token else {}},
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
             token: Optional[str] = None, **slots: Any) -> Outcome:
    """The validation action of the slot's form on the answer `text` (`run`: the whole action, with the next
    requested_slot)."""
    action, dispatcher = VALIDATORS[FORM_OF_SLOT[slot]](), CollectingDispatcher()
    tracker = answer_tracker(slot, text, intent, confidence, token, **slots)
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


# ----------------------------------------------------------------------------- questions inside a flow

FLOW_START_ACTIONS = {"action_start_registration", "action_start_migration", "action_start_product_details",
                      "action_start_membership"}
TOKEN = "a-customer-token"  # signed in (the actions only check that one is there; the core verifies it)
# the question each flow asks after a first answer, with the slots given by then
ASKED_LATER = [
    ("had_cps_account", {"vat_registered": True}),
    ("migration_next_step", {"old_cps_email_given": False}),
    ("migrate_confirm", {"old_cps_email_given": True, "migration_count": 2}),
    ("purchase_date", {"serial_number": "XK1234567", "product_name": "EOS R6",
                       "product_missing": list(PRODUCT_FIELDS)}),
    ("payment_method", {"tier": "gold", "tier_fees": FEES}),
    ("order_confirmed", {"tier": "gold", "payment_method": "card", "tier_fees": FEES}),
]


def rule_answers() -> Dict[str, set]:
    """Each intent a rule answers outside any flow (the rules starting with the customer's message) -> the
    actions and responses of those rules."""
    answers: Dict[str, set] = {}
    for path in (ROOT / "data" / "rules").glob("*.yml"):
        for rule in yaml.safe_load(path.read_text(encoding="utf-8"))["rules"]:
            steps = rule["steps"]
            if "intent" in steps[0] and not any("active_loop" in c for c in rule.get("condition", [])):
                answers.setdefault(steps[0]["intent"], set()).update(s["action"] for s in steps if "action" in s)
    return answers


def asks_with_buttons(response: str) -> bool:
    return any(v.get("buttons") for v in DOMAIN["responses"].get(response, []))


RULE_ANSWERS = rule_answers()
# the rules would answer these with a question and buttons of their own, or start a flow (signed in)
ASKING_INTENTS = sorted(intent for intent, actions in RULE_ANSWERS.items()
                        if intent not in ANSWER_INTENTS and any(map(asks_with_buttons, actions)))
STARTING_INTENTS = sorted(intent for intent, actions in RULE_ANSWERS.items()
                          if intent not in ANSWER_INTENTS and actions & FLOW_START_ACTIONS)


def test_the_rules_ask_or_start_flows_for_these_intents():
    """The tables below follow the rules: a new rule that asks or starts a flow gets its in-flow answer."""
    assert set(ASKING_INTENTS) >= {"greet", "capabilities", "how_to_register", "ask_documents",
                                   "migrate_button_missing"}
    assert set(STARTING_INTENTS) >= {"migrate_button_missing", "no_green_tick", "complete_product_details",
                                     "buy_membership"}


@pytest.mark.parametrize("slot, slots", [pytest.param(slot, {}, id=slot) for slot in FORM_OF_SLOT] + [
    pytest.param(slot, slots, id=f"{slot}-later") for slot, slots in ASKED_LATER])
@pytest.mark.parametrize("token", [None, TOKEN], ids=["anonymous", "signed-in"])
def test_what_the_rules_would_ask_is_answered_inside_every_flow_without_a_question(slot, slots, token):
    """Inside a flow the flow's question is the one open question: no other question, no buttons, no other
    flow; the form asks its question again (its slot stays empty, the form is not rejected)."""
    intents = ASKING_INTENTS + (STARTING_INTENTS if token else [])
    for intent in intents:
        outcome = validate(slot, f"/{intent}", intent, 1.0, token=token, **{"tier_fees": FEES, **slots})
        assert outcome.rejected_forms == [], intent
        assert outcome.responses and not any(map(asks_with_buttons, outcome.responses)), (intent, outcome.responses)
        assert not any(m.get("buttons") for m in outcome.messages), intent
        assert outcome.slots.get(slot, "absent") is None, intent


@pytest.mark.parametrize("slot, vat, intent, responses, slots", [
    ("vat_registered", None, "ask_documents", ["utter_documents_depend_on_vat"], {"vat_registered": None}),
    ("had_cps_account", True, "ask_documents", ["utter_documents_vat_registered"], {"had_cps_account": None}),
    ("had_cps_account", False, "ask_documents", ["utter_documents_not_vat_registered"], {"had_cps_account": None}),
    # a status said now replaces the answer given
    ("had_cps_account", True, "documents_not_vat_registered", ["utter_documents_not_vat_registered"],
     {"vat_registered": False, "had_cps_account": None}),
])
def test_registration_documents_from_the_vat_answer(slot, vat, intent, responses, slots):
    outcome = validate(slot, "which documents do I need?", intent, 0.99, vat_registered=vat)
    assert (outcome.responses, outcome.slots, outcome.rejected_forms) == (responses, slots, [])


@pytest.mark.parametrize("slot, slots, response", [
    ("old_cps_email_given", {}, "utter_migration_depends_on_email"),
    ("migration_next_step", {"old_cps_email_given": False}, "utter_migration_email_not_given"),
    ("migrate_confirm", {"old_cps_email_given": True, "migration_count": 2}, "utter_migration_products_waiting"),
])
def test_migration_why_no_button_from_what_the_flow_knows(slot, slots, response):
    outcome = validate(slot, "why can't I see the button?", "migrate_button_missing", 0.95, **slots)
    assert (outcome.responses, outcome.rejected_forms) == ([response], [])


@pytest.mark.parametrize("slot, slots, response, variables", [
    ("serial_number", {"product_missing": ["serial_number", "dealer"]}, "utter_product_details_still_needed",
     {"product": "EOS R6", "missing": "serijos numeris, prekybos atstovas"}),
    ("dealer", {"product_missing": ["serial_number", "dealer"], "serial_number": "XK1234567"},
     "utter_product_details_progress",
     {"product": "EOS R6", "given": "serijos numeris XK1234567", "missing": "prekybos atstovas"}),
    ("country_of_purchase", {"product_missing": list(PRODUCT_FIELDS), "serial_number": "XK1", "language": "en",
                             "purchase_date": "2024-03-01"}, "utter_product_details_progress",
     {"product": "EOS R6", "given": "serial number XK1, purchase date 2024-03-01",
      "missing": "country of purchase, dealer"}),
])
def test_product_details_green_tick_question_from_the_details_given(slot, slots, response, variables):
    outcome = validate(slot, "why is there no green tick?", "no_green_tick", 0.98, product_name="EOS R6",
                       **slots)
    assert (outcome.responses, outcome.rejected_forms) == ([response], [])
    assert {name: outcome.messages[0][name] for name in variables} == variables


@pytest.mark.parametrize("slot, slots, response, variables", [
    ("tier", {}, "utter_membership_fees", {"tiers": "Sidabras – 100 EUR, Auksas – 250 EUR"}),
    ("payment_method", {"tier": "gold"}, "utter_membership_chosen_tier", {"tier": "Auksas", "fee": "250"}),
    ("order_confirmed", {"tier": "gold", "payment_method": "bank_transfer"},
     "utter_membership_chosen_tier_and_method", {"tier": "Auksas", "fee": "250", "method": "banko pavedimu"}),
])
def test_membership_price_from_the_choices_made(slot, slots, response, variables):
    outcome = validate(slot, "kiek tai kainuoja?", "membership_price", 0.9, tier_fees=FEES, **slots)
    assert (outcome.responses, outcome.rejected_forms) == ([response], [])
    assert {name: outcome.messages[0][name] for name in variables} == variables


@pytest.mark.parametrize("slot, text, intent, confidence, stored, responses", [
    # a question with another topic is no answer, even when its words could be read as one
    ("migration_next_step", "How do I register for a business account?", "how_to_register", 0.99, None,
     ["utter_registration_link"]),
    ("tier", "How much is gold?", "membership_price", 0.82, None, ["utter_membership_fees"]),
    # ... unless the slot takes that intent as an answer
    ("migration_next_step", "Can I register them again?", "register_products", 0.9, "register_again", []),
    ("payment_method", "When is my card charged?", "card_payment", 0.99, "card", []),
    ("vat_registered", "We are VAT-registered, which documents?", "documents_vat_registered", 0.9, True, []),
])
def test_a_question_is_an_answer_only_with_the_slots_own_intents(slot, text, intent, confidence, stored,
                                                                   responses):
    outcome = validate(slot, text, intent, confidence, tier_fees=FEES)
    assert outcome.slots[slot] == stored and outcome.responses == responses
    assert outcome.rejected_forms == []


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
