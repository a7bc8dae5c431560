"""The four guided flows over the REST webhook, with the real model, action server and core service.

Each verified test works on a fresh copy of a demo customer (Servers.clone_customer), so flows that change
the account (migration, product details, orders) never disturb each other; results are checked in the core.
"""

from __future__ import annotations

import time
import uuid
from datetime import date, timedelta
from typing import List, Optional, Tuple

import pytest

from tests.assistant.helpers import Chat, Reply

pytestmark = pytest.mark.servers


def names(replies: List[Reply]) -> List[Tuple[Optional[str], Optional[str]]]:
    return [(r.response, r.language) for r in replies]


def said(replies: List[Reply], *expected: str, language: str) -> None:
    assert names(replies) == [(name, language) for name in expected], [r.text for r in replies]


@pytest.fixture
def customer(servers):
    """customer("demo-missing") -> (Chat as a fresh copy of that demo customer, its token)."""
    def make(demo: str) -> Tuple[Chat, str]:
        token = servers.clone_customer(demo, f"{demo}-{uuid.uuid4().hex[:8]}")
        return Chat(servers.rasa_url, token=token), token
    return make


# ---------------------------------------------------------------- flow 1: registration guide

def offered_guide(chat: Chat, question: str, answer: str, offer: str, language: str) -> List[Reply]:
    """Ask: the answer comes at once, then the offer of the guide with yes / no buttons."""
    first = chat.send(question)
    said(first, answer, offer, language=language)
    assert [b["payload"] for b in first[1].buttons] == ["/affirm", "/deny"]
    return first


def start_registration_guide(chat: Chat, question: str, language: str) -> List[Reply]:
    """Ask how to register: the link comes at once with the offer of the guide; take the offer (its button)."""
    first = offered_guide(chat, question, "utter_registration_link", "utter_offer_registration_guide", language)
    assert "SelfRegister" in first[0].text
    return chat.send("/affirm")


@pytest.mark.parametrize("language, start, vat, cps, documents", [
    ("lt", "Kaip užsiregistruoti verslo paskyrai?", "taip", "ne", "utter_documents_vat_registered"),
    ("lt", "kaip susikurti verslo paskyra", "/deny", "/affirm", "utter_documents_not_vat_registered"),
    ("en", "How do I register for a business account?", "no, we are not", "yes", "utter_documents_not_vat_registered"),
    ("en", "Where do I apply for a Canon business account?", "/affirm", "/deny", "utter_documents_vat_registered"),
])
def test_registration_guide(rasa_url, language, start, vat, cps, documents):
    chat = Chat(rasa_url)
    said(start_registration_guide(chat, start, language), "utter_registration_intro", "utter_ask_vat_registered",
         language=language)
    said(chat.send(vat), "utter_ask_had_cps_account", language=language)
    guide = chat.send(cps)
    expected = ["utter_registration_link", documents] + (["utter_old_cps_email"] if cps in ("yes", "/affirm") else [])
    said(guide, *expected, "utter_registration_next_steps", language=language)
    assert "SelfRegister" in guide[0].text and "donotreply@canon-europe.com" in guide[-1].text


@pytest.mark.parametrize("language, start, unclear, dont_know, question, answer", [
    ("lt", "Kaip užsiregistruoti verslo paskyrai?", "gal", "nežinau", "kiek laiko trunka patvirtinimas?",
     "utter_approval_time"),
    ("en", "How do I register for a business account?", "maybe", "no idea", "how long does approval take?",
     "utter_approval_time"),
])
def test_registration_unclear_answers_and_a_digression(rasa_url, language, start, unclear, dont_know, question,
                                                        answer):
    chat = Chat(rasa_url)
    start_registration_guide(chat, start, language)
    said(chat.send(unclear), "utter_answer_yes_or_no", "utter_ask_vat_registered", language=language)
    said(chat.send(dont_know), "utter_dont_know_vat_registered", "utter_ask_vat_registered", language=language)
    digression = chat.send(question)
    assert digression[0].response == answer and digression[-1].response == "utter_ask_vat_registered"
    said(chat.send("/affirm"), "utter_ask_had_cps_account", language=language)


def test_registration_language_switch_keeps_the_answers(rasa_url):
    chat = Chat(rasa_url)
    start_registration_guide(chat, "Kaip užsiregistruoti verslo paskyrai?", "lt")
    said(chat.send("taip"), "utter_ask_had_cps_account", language="lt")
    said(chat.send("Could you continue in English, please?"), "utter_language_switched", "utter_ask_had_cps_account",
         language="en")
    guide = chat.send("no")
    said(guide, "utter_registration_link", "utter_documents_vat_registered", "utter_registration_next_steps",
         language="en")


def test_registration_language_switch_from_english_to_lithuanian(rasa_url):
    chat = Chat(rasa_url)
    said(start_registration_guide(chat, "How do I register for a business account?", "en"),
         "utter_registration_intro", "utter_ask_vat_registered", language="en")
    said(chat.send("Ar galite atsakyti lietuviškai?"), "utter_language_switched", "utter_ask_vat_registered",
         language="lt")
    said(chat.send("ne"), "utter_ask_had_cps_account", language="lt")
    said(chat.send("taip"), "utter_registration_link", "utter_documents_not_vat_registered", "utter_old_cps_email",
         "utter_registration_next_steps", language="lt")


@pytest.mark.parametrize("language, stop, after", [("lt", "atšaukti", "Kiek kainuoja CPS narystė?"),
                                                   ("en", "cancel", "How much does CPS membership cost?")])
def test_registration_cancel_leaves_the_form(rasa_url, language, stop, after):
    chat = Chat(rasa_url)
    start_registration_guide(
        chat, "How do I register for a business account?" if language == "en" else "Kaip užsiregistruoti?", language)
    said(chat.send(stop), "utter_flow_stopped", language=language)
    said(chat.send(after), "utter_membership_price", language=language)


def test_migration_offer_declined(rasa_url):
    chat = Chat(rasa_url)
    offered_guide(chat, "I can't see the MIGRATE PRODUCTS button", "utter_migrate_button_missing",
                  "utter_offer_migration_guide", "en")
    said(chat.send("no thanks"), "utter_anything_else", language="en")


def test_registration_offer_declined(rasa_url):
    chat = Chat(rasa_url)
    said(chat.send("kur registracijos nuoroda verslo paskyrai?"), "utter_registration_link",
         "utter_offer_registration_guide", language="lt")
    said(chat.send("ne, ačiū"), "utter_anything_else", language="lt")


def test_verified_customer_with_an_application_gets_its_status(customer):
    chat, _ = customer("demo-pending")
    replies = chat.send("How do I register for a business account?")
    said(replies, "utter_my_application_submitted", language="en")


def test_signed_in_customer_without_an_application_gets_the_link_first(servers):
    import jwt

    from tests.assistant.conftest import TOKEN_SECRET

    token = jwt.encode({"sub": f"new-customer-{uuid.uuid4().hex[:8]}", "exp": int(time.time()) + 3600},
                       TOKEN_SECRET, algorithm="HS256")
    chat = Chat(servers.rasa_url, token=token)
    offered_guide(chat, "Kaip užsiregistruoti verslo paskyrai?", "utter_registration_link",
                  "utter_offer_registration_guide", "lt")
    said(chat.send("taip"), "utter_registration_intro", "utter_ask_vat_registered", language="lt")


# ---------------------------------------------------------------- flow 2: the MIGRATE PRODUCTS button

def start_migration_guide(chat: Chat, question: str, language: str) -> List[Reply]:
    """An anonymous customer misses the button: why and the two ways on at once, with the offer to check it
    together; take the offer (its button)."""
    first = offered_guide(chat, question, "utter_migrate_button_missing", "utter_offer_migration_guide", language)
    assert "MIGR" in first[0].text
    return chat.send("/affirm")


def test_migration_on_the_customers_yes(servers, customer):
    chat, token = customer("demo-migrate")
    ask = chat.send("Nematau mygtuko MIGRUOTI PRODUKTUS")
    said(ask, "utter_ask_migrate_confirm", language="lt")
    assert "2" in ask[0].text and [b["payload"] for b in ask[0].buttons] == ["/affirm", "/deny"]
    done = chat.send("taip")
    said(done, "utter_migration_done", language="lt")
    assert servers.core_get("/me/migration", token)["available"] is False
    assert len(servers.core_get("/me/products", token)["products"]) == 2
    said(chat.send("Nematau mygtuko MIGRUOTI PRODUKTUS"), "utter_my_migration_nothing_left", language="lt")


def test_migration_declined_changes_nothing(servers, customer):
    chat, token = customer("demo-migrate")
    said(chat.send("I can't see the MIGRATE PRODUCTS button"), "utter_ask_migrate_confirm", language="en")
    said(chat.send("no"), "utter_migration_declined", language="en")
    assert servers.core_get("/me/migration", token)["count"] == 2


@pytest.mark.parametrize("language, start, choice, outcome", [
    ("lt", "Nematau mygtuko MIGRUOTI PRODUKTUS", "/request_human",
     ("utter_priority_support", "utter_handoff_queued")),  # priority support hands over to a colleague
    ("en", "I can't see the MIGRATE PRODUCTS button", "I'll register them again", ("utter_register_again",)),
])
def test_migration_without_the_old_email_offers_two_ways(customer, language, start, choice, outcome):
    chat, _ = customer("demo-nomail")
    ask = chat.send(start)
    said(ask, "utter_ask_migration_next_step", language=language)
    assert [b["payload"] for b in ask[0].buttons] == ["/register_products", "/request_human"]
    said(chat.send("hmm" if language == "en" else "hm"), "utter_choose_migration_next_step",
         "utter_ask_migration_next_step", language=language)
    said(chat.send(choice), *outcome, language=language)


def test_register_again_leads_into_the_product_details_flow(customer):
    chat, _ = customer("demo-missing")  # no old e-mail given, two products lacking details
    said(chat.send("I can't see the MIGRATE PRODUCTS button"), "utter_ask_migration_next_step", language="en")
    said(chat.send("/register_products"), "utter_register_again", "utter_products_to_complete",
         "utter_ask_serial_number", language="en")


@pytest.mark.parametrize("language, start, yes, no", [
    ("lt", "Nematau mygtuko MIGRUOTI PRODUKTUS", "taip", "ne"),
    ("en", "I can't see the MIGRATE PRODUCTS button", "yes", "no"),
])
def test_migration_for_anonymous_customers_asks_about_the_email(rasa_url, language, start, yes, no):
    chat = Chat(rasa_url)
    said(start_migration_guide(chat, start, language), "utter_ask_old_cps_email_given", language=language)
    said(chat.send(yes), "utter_migration_button_where", "utter_login_hint", language=language)
    start_migration_guide(chat, start, language)
    said(chat.send(no), "utter_ask_migration_next_step", language=language)


@pytest.mark.parametrize("language, start, question, answer, unclear, stop", [
    ("lt", "Nematau mygtuko MIGRUOTI PRODUKTUS", "Kiek kainuoja CPS narystė?", "utter_membership_price", "gal",
     "atšaukti"),
    ("en", "I can't see the MIGRATE PRODUCTS button", "When will I get the invoice?", "utter_invoice_timing",
     "maybe", "cancel"),
])
def test_migration_digression_unclear_answer_and_cancel(servers, customer, language, start, question, answer,
                                                         unclear, stop):
    chat, token = customer("demo-migrate")
    said(chat.send(start), "utter_ask_migrate_confirm", language=language)
    said(chat.send(question), answer, "utter_ask_migrate_confirm", language=language)
    said(chat.send(unclear), "utter_answer_yes_or_no", "utter_ask_migrate_confirm", language=language)
    said(chat.send(stop), "utter_flow_stopped", language=language)
    assert servers.core_get("/me/migration", token)["count"] == 2  # nothing was migrated


def test_migration_language_switch_keeps_the_form(rasa_url):
    chat = Chat(rasa_url)
    said(start_migration_guide(chat, "I can't see the MIGRATE PRODUCTS button", "en"), "utter_ask_old_cps_email_given",
         language="en")
    said(chat.send("Gal galite lietuviškai?"), "utter_language_switched", "utter_ask_old_cps_email_given",
         language="lt")
    said(chat.send("ne"), "utter_ask_migration_next_step", language="lt")
    said(chat.send("Switch to English, please"), "utter_language_switched", "utter_ask_migration_next_step",
         language="en")
    said(chat.send("/request_human"), "utter_priority_support", "utter_handoff_queued", language="en")


@pytest.mark.parametrize("language, start, dont_know, no, again", [
    ("lt", "nerandu mygtuko migruoti produktus", "neprisimenu", "ne", "registruosiu iš naujo"),
    ("en", "I can't see the MIGRATE PRODUCTS button", "I don't remember", "no", "I'll register them again"),
])
def test_migration_anonymous_dont_know_then_register_again(rasa_url, language, start, dont_know, no, again):
    chat = Chat(rasa_url)
    said(start_migration_guide(chat, start, language), "utter_ask_old_cps_email_given", language=language)
    said(chat.send(dont_know), "utter_dont_know_old_cps_email_given", "utter_ask_old_cps_email_given",
         language=language)
    said(chat.send(no), "utter_ask_migration_next_step", language=language)
    said(chat.send(again), "utter_register_again", "utter_login_hint", language=language)


def test_migration_before_approval(customer):
    chat, _ = customer("demo-pending")
    said(chat.send("I can't see the MIGRATE PRODUCTS button"), "utter_my_account_not_approved", language="en")


# ---------------------------------------------------------------- flow 3: missing product details

def test_product_details_in_lithuanian_with_every_kind_of_answer(servers, customer):
    chat, token = customer("demo-missing")  # RF 70-200 lacks serial and dealer; RF 24-70 lacks purchase date
    start = chat.send("Padėk papildyti mano gaminių duomenis")
    said(start, "utter_products_to_complete", "utter_ask_serial_number", language="lt")
    assert "serijos numeris, prekybos atstovas" in start[0].text and "pirkimo data" in start[0].text
    said(chat.send("123"), "utter_invalid_serial_number", "utter_ask_serial_number", language="lt")
    said(chat.send("nežinau"), "utter_best_guess_is_fine", "utter_ask_serial_number", language="lt")
    said(chat.send("gal SN 0123 4567"), "utter_ask_dealer", language="lt")
    digression = chat.send("kiek kainuoja CPS narystė?")
    said(digression, "utter_membership_price", "utter_ask_dealer", language="lt")
    saved = chat.send("Fotoprekyba")
    said(saved, "utter_product_completed", "utter_cps_invitation_unlocked_later", "utter_next_product",
         "utter_ask_purchase_date", language="lt")
    assert "500" in saved[0].text
    said(chat.send("2099-01-01"), "utter_purchase_date_in_future", "utter_ask_purchase_date", language="lt")
    said(chat.send("kažkada"), "utter_invalid_purchase_date", "utter_ask_purchase_date", language="lt")
    said(chat.send("kovo 15"), "utter_product_completed", "utter_product_details_finished", language="lt")
    products = servers.core_get("/me/products", token)
    assert products["balance"] == 650 and all(p["has_green_tick"] for p in products["products"])
    by_model = {p["model"]: p for p in products["products"]}
    assert by_model["RF70-200"]["serial_number"] == "01234567" and by_model["RF70-200"]["dealer"] == "Fotoprekyba"
    assert by_model["RF24-70"]["purchase_date"].endswith("-03-15")


def test_product_details_in_english_with_all_four_fields(servers, customer):
    chat, token = customer("demo-details")  # EOS R6 Mark II lacks all four details
    said(chat.send("help me complete my product details"), "utter_products_to_complete", "utter_ask_serial_number",
         language="en")
    said(chat.send("XK1234567"), "utter_ask_purchase_date", language="en")
    said(chat.send("March 2024"), "utter_ask_country_of_purchase", language="en")
    said(chat.send("Atlantis"), "utter_unknown_country", "utter_ask_country_of_purchase", language="en")
    said(chat.send("in Germany"), "utter_ask_dealer", language="en")
    said(chat.send("Camera Centre Berlin"), "utter_product_completed", "utter_cps_invitation_unlocked",
         "utter_product_details_finished", language="en")
    product = next(p for p in servers.core_get("/me/products", token)["products"] if p["model"] == "EOS-R6M2")
    assert (product["serial_number"], product["purchase_date"], product["country_of_purchase"], product["dealer"]) \
        == ("XK1234567", "2024-03-01", "DE", "Camera Centre Berlin")
    assert servers.core_get("/me/points", token) == {"balance": 550, "invited": True, "points_to_invitation": 0,
                                                     "pending_points": 0}


def test_product_details_english_validation_failures_and_a_digression(servers, customer):
    chat, token = customer("demo-details")
    said(chat.send("help me complete my product details"), "utter_products_to_complete", "utter_ask_serial_number",
         language="en")
    said(chat.send("12"), "utter_invalid_serial_number", "utter_ask_serial_number", language="en")
    said(chat.send("XK1234567"), "utter_ask_purchase_date", language="en")
    said(chat.send("2099-01-01"), "utter_purchase_date_in_future", "utter_ask_purchase_date", language="en")
    said(chat.send("1970-05-01"), "utter_purchase_date_too_early", "utter_ask_purchase_date", language="en")
    said(chat.send("sometime"), "utter_invalid_purchase_date", "utter_ask_purchase_date", language="en")
    said(chat.send("How long does approval take?"), "utter_my_application_approved", "utter_ask_purchase_date",
         language="en")  # a verified customer: answered from the account
    said(chat.send("last year"), "utter_ask_country_of_purchase", language="en")
    said(chat.send("Lietuvoje"), "utter_ask_dealer", language="en")
    said(chat.send("x" * 121), "utter_invalid_dealer", "utter_ask_dealer", language="en")
    said(chat.send("no idea"), "utter_best_guess_is_fine", "utter_ask_dealer", language="en")
    said(chat.send("Foto Centras"), "utter_product_completed", "utter_cps_invitation_unlocked",
         "utter_product_details_finished", language="en")
    product = next(p for p in servers.core_get("/me/products", token)["products"] if p["model"] == "EOS-R6M2")
    assert product["purchase_date"].startswith(str(date.today().year - 1)) and product["dealer"] == "Foto Centras"


def test_product_details_twice_dont_know_saves_what_was_given(servers, customer):
    chat, token = customer("demo-details")
    chat.send("help me complete my product details")
    said(chat.send("XK1234567"), "utter_ask_purchase_date", language="en")
    said(chat.send("I don't remember"), "utter_best_guess_is_fine", "utter_ask_purchase_date", language="en")
    said(chat.send("no idea"), "utter_product_still_missing", "utter_product_details_rest_later", language="en")
    product = next(p for p in servers.core_get("/me/products", token)["products"] if p["model"] == "EOS-R6M2")
    assert product["serial_number"] == "XK1234567" and product["missing_fields"] == [
        "purchase_date", "country_of_purchase", "dealer"]


def test_product_details_language_switch_and_return_later(servers, customer):
    chat, token = customer("demo-details")
    said(chat.send("noriu papildyti gaminio duomenis"), "utter_products_to_complete", "utter_ask_serial_number",
         language="lt")
    said(chat.send("XK1234567"), "utter_ask_purchase_date", language="lt")
    said(chat.send("Can we continue in English?"), "utter_language_switched", "utter_ask_purchase_date",
         language="en")
    later = Chat(servers.rasa_url, sender=chat.sender, token=token)  # the same customer comes back
    said(later.send("last year"), "utter_ask_country_of_purchase", language="en")
    said(later.send("Lietuvoje"), "utter_ask_dealer", language="en")


@pytest.mark.parametrize("language, stop", [("lt", "nebenoriu"), ("en", "stop")])
def test_product_details_cancel_changes_nothing(servers, customer, language, stop):
    chat, token = customer("demo-details")
    chat.send("noriu papildyti gaminio duomenis" if language == "lt" else "help me complete my product details")
    said(chat.send("XK1234567"), "utter_ask_purchase_date", language=language)
    said(chat.send(stop), "utter_flow_stopped", language=language)
    product = next(p for p in servers.core_get("/me/products", token)["products"] if p["model"] == "EOS-R6M2")
    assert product["serial_number"] is None


@pytest.mark.parametrize("language, question", [("lt", "noriu papildyti gaminio duomenis"),
                                                ("en", "help me complete my product details")])
def test_product_details_for_anonymous_customers(rasa_url, language, question):
    said(Chat(rasa_url).send(question), "utter_product_details_anonymous", "utter_login_hint", language=language)


def test_no_green_tick_from_a_verified_customer_starts_the_flow(customer):
    chat, _ = customer("demo-missing")
    said(chat.send("My lens has no green tick, why?"), "utter_products_to_complete", "utter_ask_serial_number",
         language="en")


# ---------------------------------------------------------------- flow 4: tier and payment

def test_membership_below_500_points(customer):
    chat, _ = customer("demo-missing")
    replies = chat.send("I want to buy a CPS membership now")
    said(replies, "utter_membership_need_points", language="en")
    assert "200 more" in replies[0].text


def test_membership_order_by_card_in_lithuanian(servers, customer):
    chat, token = customer("demo-2000")
    ask = chat.send("Noriu įsigyti CPS narystę")
    said(ask, "utter_ask_tier", language="lt")
    assert [b["payload"] for b in ask[0].buttons] == ["silver", "gold", "platinum"]
    assert "Auksas – 100.00 EUR" in [b["title"] for b in ask[0].buttons]
    said(chat.send("Enterprise"), "utter_tier_not_eligible", "utter_ask_tier", language="lt")
    said(chat.send("deimantinis"), "utter_invalid_tier", "utter_ask_tier", language="lt")
    said(chat.send("auksas"), "utter_ask_payment_method", language="lt")
    said(chat.send("kada gausiu sąskaitą faktūrą?"), "utter_invoice_timing", "utter_ask_payment_method",
         language="lt")
    said(chat.send("grynais"), "utter_invalid_payment_method", "utter_ask_payment_method", language="lt")
    summary = chat.send("kortele")
    said(summary, "utter_ask_order_confirmed", language="lt")
    assert "Auksas" in summary[0].text and "100.00 EUR" in summary[0].text and "kortele" in summary[0].text
    placed = chat.send("taip")
    said(placed, "utter_order_placed", "utter_order_invoice_card", language="lt")
    membership = servers.core_get("/me/membership", token)["membership"]
    assert membership["tier"] == "gold" and membership["number"] in placed[0].text
    assert (date.today() + timedelta(days=30)).isoformat() in placed[1].text


def test_membership_order_by_bank_transfer_replaces_the_old_number(servers, customer):
    chat, token = customer("demo-member")
    old = servers.core_get("/me/membership", token)["membership"]["number"]
    said(chat.send("I want to buy a CPS membership now"), "utter_ask_tier", language="en")
    said(chat.send("platinum"), "utter_ask_payment_method", language="en")
    said(chat.send("bank transfer"), "utter_ask_order_confirmed", language="en")
    placed = chat.send("/affirm")
    said(placed, "utter_order_placed", "utter_order_previous_number", "utter_order_invoice_bank", language="en")
    new = servers.core_get("/me/membership", token)["membership"]
    assert new["tier"] == "platinum" and new["number"] != old
    assert new["number"] in placed[0].text and old in placed[1].text


@pytest.mark.parametrize("yes", ["taip", "/request_human"])
def test_a_payment_problem_at_the_order_step_ends_the_flow_and_a_yes_hands_over(servers, customer, yes):
    chat, token = customer("demo-member")
    old = servers.core_get("/me/membership", token)["membership"]["number"]
    said(chat.send("Noriu įsigyti CPS narystę"), "utter_ask_tier", language="lt")
    said(chat.send("auksas"), "utter_ask_payment_method", language="lt")
    said(chat.send("kortele"), "utter_ask_order_confirmed", language="lt")
    # one question only: the offer of a colleague, not the order's confirmation again
    said(chat.send("mano kortelę atmetė, mokėjimas nepavyko"), "utter_payment_problem", language="lt")
    said(chat.send(yes), "utter_handoff_queued", language="lt")
    assert servers.core_get("/me/membership", token)["membership"]["number"] == old  # nothing was ordered


def test_membership_english_validation_failures_digression_and_switch_to_lithuanian(servers, customer):
    chat, token = customer("demo-2000")
    said(chat.send("I want to buy a CPS membership now"), "utter_ask_tier", language="en")
    said(chat.send("Enterprise please"), "utter_tier_not_eligible", "utter_ask_tier", language="en")
    said(chat.send("diamond"), "utter_invalid_tier", "utter_ask_tier", language="en")
    said(chat.send("How many points do I need for the invitation?"), "utter_my_points_invited", "utter_ask_tier",
         language="en")
    said(chat.send("platinum"), "utter_ask_payment_method", language="en")
    said(chat.send("cash"), "utter_invalid_payment_method", "utter_ask_payment_method", language="en")
    said(chat.send("Ar galite tęsti lietuviškai?"), "utter_language_switched", "utter_ask_payment_method",
         language="lt")
    said(chat.send("banko pavedimu"), "utter_ask_order_confirmed", language="lt")
    said(chat.send("gal"), "utter_answer_yes_or_no", "utter_ask_order_confirmed", language="lt")
    placed = chat.send("taip")
    said(placed, "utter_order_placed", "utter_order_invoice_bank", language="lt")
    membership = servers.core_get("/me/membership", token)["membership"]
    assert membership["tier"] == "platinum" and membership["number"] in placed[0].text


def test_enterprise_is_offered_above_2500_points(customer):
    chat, _ = customer("demo-enterprise")
    ask = chat.send("I want to buy a CPS membership now")
    assert [b["payload"] for b in ask[0].buttons] == ["silver", "gold", "platinum", "enterprise"]


def test_membership_declined_and_language_switch(servers, customer):
    chat, token = customer("demo-silver")
    said(chat.send("Noriu įsigyti CPS narystę"), "utter_ask_tier", language="lt")
    said(chat.send("sidabrinę"), "utter_ask_payment_method", language="lt")
    said(chat.send("English please"), "utter_language_switched", "utter_ask_payment_method", language="en")
    said(chat.send("card"), "utter_ask_order_confirmed", language="en")
    said(chat.send("no"), "utter_order_not_placed", language="en")
    assert servers.core_get("/me/membership", token)["membership"] is None


@pytest.mark.parametrize("language, start, stop", [("lt", "Noriu įsigyti CPS narystę", "atšaukti"),
                                                   ("en", "I want to buy a CPS membership now", "cancel")])
def test_membership_cancel(customer, language, start, stop):
    chat, _ = customer("demo-gold")
    said(chat.send(start), "utter_ask_tier", language=language)
    said(chat.send(stop), "utter_flow_stopped", language=language)
    said(chat.send(stop), "utter_nothing_to_stop", language=language)


@pytest.mark.parametrize("language, start", [("lt", "Noriu įsigyti CPS narystę"),
                                             ("en", "I want to buy a CPS membership now")])
def test_membership_for_anonymous_customers(rasa_url, language, start):
    said(Chat(rasa_url).send(start), "utter_cps_tiers", "utter_payment_methods", "utter_login_hint",
         language=language)


# ---------------------------------------------------------------- flows 3 and 4 end to end

def test_complete_details_then_buy_the_membership_end_to_end(servers, customer):
    """A demo customer completes a product over the REST webhook, is invited, and orders CPS Silver."""
    chat, token = customer("demo-details")
    chat.send("help me complete my product details")
    for answer in ("XK7654321", "2023-06-10", "Lithuania"):
        chat.send(answer)
    done = chat.send("Fotoprekyba UAB")
    invitation = next(r for r in done if r.response == "utter_cps_invitation_unlocked")
    said(chat.send(invitation.buttons[0]["payload"]), "utter_ask_tier", language="en")
    said(chat.send("silver"), "utter_ask_payment_method", language="en")
    said(chat.send("card"), "utter_ask_order_confirmed", language="en")
    placed = chat.send("yes")
    said(placed, "utter_order_placed", "utter_order_invoice_card", language="en")
    assert servers.core_get("/me/points", token)["balance"] == 550
    assert all(p["has_green_tick"] for p in servers.core_get("/me/products", token)["products"])
    membership = servers.core_get("/me/membership", token)["membership"]
    assert membership["tier"] == "silver" and membership["status"] == "active"
    assert membership["number"] in placed[0].text
    assert (date.today() + timedelta(days=30)).isoformat() in placed[1].text


# ---------------------------------------------------------------- every flow: questions in the middle of a flow
# A question inside a flow is answered (from the answers already given when it is about them) without a question
# or buttons of its own, and the flow then asks its own question once: each turn has one open question and at
# most one set of buttons, on that question.

def answered_then_asked_again(replies: List[Reply], question: str, language: str) -> List[Reply]:
    """The turn after a question inside a flow: an answer first, then the flow's `question` once, as the last
    reply and the only one with buttons or a question of the bot's."""
    texts = [r.text for r in replies]
    assert len(replies) >= 2 and replies[-1].response == question, texts
    assert [r.response for r in replies].count(question) == 1, texts
    asking = [r.text for r in replies[:-1]
              if r.buttons or (r.response or "").startswith(("utter_ask_", "utter_offer_"))]
    assert asking == [], texts
    assert {r.language for r in replies} == {language}, texts
    return replies[:-1]


@pytest.mark.parametrize("language, start, vat, documents_question, documents, cps", [
    ("lt", "Kaip užsiregistruoti verslo paskyrai?", "taip", "kokių dokumentų man reikės?",
     "utter_documents_vat_registered", "ne"),
    ("en", "How do I register for a business account?", "no", "which documents do I need?",
     "utter_documents_not_vat_registered", "yes"),
])
def test_registration_documents_question_is_answered_from_the_vat_answer(rasa_url, language, start, vat,
                                                                          documents_question, documents, cps):
    chat = Chat(rasa_url)
    start_registration_guide(chat, start, language)
    before = answered_then_asked_again(chat.send(documents_question), "utter_ask_vat_registered", language)
    assert names(before) == [("utter_documents_depend_on_vat", language)]
    said(chat.send(vat), "utter_ask_had_cps_account", language=language)
    after = answered_then_asked_again(chat.send(documents_question), "utter_ask_had_cps_account", language)
    assert names(after) == [(documents, language)]  # the documents for the status given, not the VAT question
    guide = chat.send(cps)
    assert guide[0].response == "utter_registration_link" and guide[1].response == documents


def test_registration_vat_status_said_again_replaces_the_answer(rasa_url):
    chat = Chat(rasa_url)
    start_registration_guide(chat, "How do I register for a business account?", "en")
    said(chat.send("yes"), "utter_ask_had_cps_account", language="en")
    corrected = chat.send("/documents_not_vat_registered")  # the status button of the FAQ answer
    assert names(answered_then_asked_again(corrected, "utter_ask_had_cps_account", "en")) == [
        ("utter_documents_not_vat_registered", "en")]
    said(chat.send("no"), "utter_registration_link", "utter_documents_not_vat_registered",
         "utter_registration_next_steps", language="en")


@pytest.mark.parametrize("language, start, no, why", [
    ("lt", "Nematau mygtuko MIGRUOTI PRODUKTUS", "ne", "kodėl nematau mygtuko MIGRUOTI PRODUKTUS?"),
    ("en", "I can't see the MIGRATE PRODUCTS button", "no", "why can't I see the MIGRATE PRODUCTS button?"),
])
def test_migration_why_no_button_is_answered_from_the_email_answer(rasa_url, language, start, no, why):
    chat = Chat(rasa_url)
    said(start_migration_guide(chat, start, language), "utter_ask_old_cps_email_given", language=language)
    before = answered_then_asked_again(chat.send(why), "utter_ask_old_cps_email_given", language)
    assert names(before) == [("utter_migration_depends_on_email", language)]
    said(chat.send(no), "utter_ask_migration_next_step", language=language)
    after = answered_then_asked_again(chat.send(why), "utter_ask_migration_next_step", language)
    assert names(after) == [("utter_migration_email_not_given", language)]


@pytest.mark.parametrize("language, start, why", [
    ("lt", "Nematau mygtuko MIGRUOTI PRODUKTUS", "kodėl nematau mygtuko MIGRUOTI PRODUKTUS?"),
    ("en", "I can't see the MIGRATE PRODUCTS button", "why can't I see the MIGRATE PRODUCTS button?"),
])
def test_migration_why_no_button_is_answered_from_the_account(customer, language, start, why):
    chat, _ = customer("demo-migrate")
    said(chat.send(start), "utter_ask_migrate_confirm", language=language)
    answer = answered_then_asked_again(chat.send(why), "utter_ask_migrate_confirm", language)
    assert names(answer) == [("utter_migration_products_waiting", language)] and "2" in answer[0].text


@pytest.mark.parametrize("language, start, why", [
    ("lt", "Padėk papildyti mano gaminių duomenis", "kodėl mano gaminys vis dar neturi žalios varnelės?"),
    ("en", "help me complete my product details", "why does my camera still have no green tick?"),
])
def test_product_details_green_tick_question_is_answered_from_the_details_given(customer, language, start, why):
    chat, _ = customer("demo-details")  # EOS R6 Mark II lacks all four details
    said(chat.send(start), "utter_products_to_complete", "utter_ask_serial_number", language=language)
    before = answered_then_asked_again(chat.send(why), "utter_ask_serial_number", language)
    assert names(before) == [("utter_product_details_still_needed", language)]
    said(chat.send("XK1234567"), "utter_ask_purchase_date", language=language)
    after = answered_then_asked_again(chat.send(why), "utter_ask_purchase_date", language)
    assert names(after) == [("utter_product_details_progress", language)]
    assert "XK1234567" in after[0].text  # what was given, and what is still missing
    assert ("pirkimo data" if language == "lt" else "purchase date") in after[0].text.split("XK1234567")[1]
    said(chat.send("2024-03-01"), "utter_ask_country_of_purchase", language=language)  # the flow goes on


@pytest.mark.parametrize("language, start, tier, method, price_question, tier_name", [
    ("lt", "Noriu įsigyti CPS narystę", "auksas", "kortele", "kiek tai kainuoja?", "Auksas"),
    ("en", "I want to buy a CPS membership now", "gold", "card", "how much does it cost?", "Gold"),
])
def test_membership_price_question_is_answered_from_the_choices(customer, language, start, tier, method,
                                                                price_question, tier_name):
    chat, _ = customer("demo-2000")
    said(chat.send(start), "utter_ask_tier", language=language)
    fees = answered_then_asked_again(chat.send(price_question), "utter_ask_tier", language)
    assert names(fees) == [("utter_membership_fees", language)] and "100.00 EUR" in fees[0].text
    said(chat.send(tier), "utter_ask_payment_method", language=language)
    chosen = answered_then_asked_again(chat.send(price_question), "utter_ask_payment_method", language)
    assert names(chosen) == [("utter_membership_chosen_tier", language)]
    assert tier_name in chosen[0].text and "100.00" in chosen[0].text
    said(chat.send(method), "utter_ask_order_confirmed", language=language)
    summary = answered_then_asked_again(chat.send(price_question), "utter_ask_order_confirmed", language)
    assert names(summary) == [("utter_membership_chosen_tier_and_method", language)]
    said(chat.send("/deny"), "utter_order_not_placed", language=language)


# General questions in the middle of each flow, in both languages: (a question, what answers it first; None: the
# rules' answer).
GENERAL_QUESTIONS = {
    "lt": [("Labas", "utter_greet_in_flow"), ("ką galite padėti?", "utter_capabilities_in_flow"),
           ("Kaip užsiregistruoti verslo paskyrai?", "utter_registration_link"),
           ("kiek laiko trunka patvirtinimas?", None)],
    "en": [("Hello", "utter_greet_in_flow"), ("what can you do?", "utter_capabilities_in_flow"),
           ("How do I register for a business account?", "utter_registration_link"),
           ("how long does approval take?", None)],
}
# The start of another flow: the membership order, or (inside the order) completing the product details.
OTHER_FLOW = {"lt": ("Noriu įsigyti CPS narystę", "Padėk papildyti mano gaminių duomenis"),
              "en": ("I want to buy a CPS membership now", "help me complete my product details")}


def flow_question(chat: Chat, flow: str, language: str) -> str:
    """Bring `chat` to a question of `flow` after a first answer; returns the question's response name."""
    lt = language == "lt"
    if flow == "registration":
        start_registration_guide(chat, "Kaip užsiregistruoti verslo paskyrai?" if lt
                                 else "How do I register for a business account?", language)
        chat.send("taip" if lt else "yes")
        return "utter_ask_had_cps_account"
    if flow == "migration":
        start_migration_guide(chat, "Nematau mygtuko MIGRUOTI PRODUKTUS" if lt
                              else "I can't see the MIGRATE PRODUCTS button", language)
        chat.send("ne" if lt else "no")
        return "utter_ask_migration_next_step"
    if flow == "product_details":
        chat.send("Padėk papildyti mano gaminių duomenis" if lt else "help me complete my product details")
        chat.send("XK1234567")
        return "utter_ask_purchase_date"
    chat.send("Noriu įsigyti CPS narystę" if lt else "I want to buy a CPS membership now")
    chat.send("auksas" if lt else "gold")
    return "utter_ask_payment_method"


@pytest.mark.parametrize("language", ["lt", "en"])
@pytest.mark.parametrize("flow, demo", [("registration", None), ("migration", None),
                                        ("product_details", "demo-details"), ("membership", "demo-2000")])
def test_general_questions_inside_every_flow_leave_one_open_question(rasa_url, customer, flow, demo, language):
    chat = customer(demo)[0] if demo else Chat(rasa_url)
    question = flow_question(chat, flow, language)
    other_flow = OTHER_FLOW[language][flow == "membership"]
    other_flow_answer = "utter_flow_one_at_a_time" if demo else None  # only a signed-in customer starts flows
    for text, first in GENERAL_QUESTIONS[language] + [(other_flow, other_flow_answer)]:
        answer = answered_then_asked_again(chat.send(text), question, language)
        assert first is None or answer[0].response == first, (text, [r.text for r in answer])
