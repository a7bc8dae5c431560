"""Multi-turn conversations over the REST webhook: follow-ups and language changes."""

from __future__ import annotations

import pytest

from tests.assistant.helpers import Chat

pytestmark = pytest.mark.servers


def expect(reply, response, language):
    assert (reply.response, reply.language) == (response, language), reply.text


@pytest.mark.parametrize("language, question, answer, documents", [
    ("lt", "Kokių dokumentų reikia paraiškai?", "mes nesame PVM mokėtojai", "utter_documents_not_vat_registered"),
    ("lt", "kokiu dokumentu reikia?", "esam pvm moketojai", "utter_documents_vat_registered"),
    ("lt", "Kokių dokumentų reikia?", "Taip", "utter_documents_vat_registered"),
    ("lt", "Kokių dokumentų reikia?", "ne", "utter_documents_not_vat_registered"),
    ("en", "Which documents do I need?", "we are not VAT registered", "utter_documents_not_vat_registered"),
    ("en", "What documents are needed for the application?", "yes", "utter_documents_vat_registered"),
    ("en", "What documents do you need from us?", "no, we aren't", "utter_documents_not_vat_registered"),
])
def test_documents_follow_up(rasa_url, language, question, answer, documents):
    chat = Chat(rasa_url)
    ask = chat.ask(question)
    expect(ask, "utter_ask_vat_status", language)
    assert len(ask.buttons) == 2
    expect(chat.ask(answer), documents, language)


@pytest.mark.parametrize("language, question", [
    ("lt", "Kokių dokumentų reikia?"), ("en", "Which documents do I need?")])
def test_vat_buttons_answer_in_the_conversation_language(rasa_url, language, question):
    chat = Chat(rasa_url)
    buttons = chat.ask(question).buttons
    expect(chat.ask(buttons[1]["payload"]), "utter_documents_not_vat_registered", language)
    expect(chat.ask(buttons[0]["payload"]), "utter_documents_vat_registered", language)


def test_customer_changes_language_mid_conversation(rasa_url):
    chat = Chat(rasa_url)
    expect(chat.send("Kiek laiko trunka patvirtinimas?")[0], "utter_approval_time", "lt")
    expect(chat.ask("How do I register my products?"), "utter_register_products", "en")
    expect(chat.ask("ok"), "utter_anything_else", "en")  # ambiguous: keeps English
    expect(chat.ask("kada gausiu saskaita faktura?"), "utter_invoice_timing", "lt")
    assert chat.ask("CPS").language == "lt"  # whatever it answers, it stays Lithuanian


def test_explicit_switch_sticks_until_the_customer_clearly_writes_otherwise(rasa_url):
    chat = Chat(rasa_url)
    expect(chat.ask("Hello"), "utter_greet", "en")
    expect(chat.ask("Can you answer in Lithuanian?"), "utter_language_switched", "lt")
    expect(chat.ask("thanks"), "utter_thank", "lt")  # one English word does not undo the request
    expect(chat.send("How long does the approval take?")[0], "utter_approval_time", "en")
    expect(chat.ask("Ar galite atsakyti lietuviškai?"), "utter_language_switched", "lt")
    expect(chat.ask("English please"), "utter_language_switched", "en")
    assert chat.ask("500").language == "en"


def test_fallback_offers_the_main_topics(rasa_url):
    chat = Chat(rasa_url)
    expect(chat.ask("Laba diena"), "utter_greet", "lt")
    reply = chat.ask("qqq zzzz xxxx")
    expect(reply, "utter_default", "lt")
    assert {b["payload"] for b in reply.buttons} >= {"/how_to_register", "/ask_documents", "/payment_methods"}


# vague messages, each naming a topic word or two: the model is unsure of most of them (which ones depends on
# the training data, so the test takes whichever are asked back)
VAGUE = {"lt": ["kiek kainuoja", "ka daryti toliau", "o Enterprise kada galima?", "nuskaite uz cps du kartus",
                "tas mygtukas", "taskai?", "saskaita", "kortele"],
         "en": ["the price", "what next", "and enterprise when?", "double charge cps", "that button", "points?",
                "invoice", "card"]}


@pytest.mark.parametrize("language", ["lt", "en"])
def test_an_unsure_guess_is_asked_back_with_the_likeliest_topics_and_a_button_answers(rasa_url, language):
    asked = []
    for message in VAGUE[language]:
        chat = Chat(rasa_url)
        chat.ask("Laba diena" if language == "lt" else "Hello there")
        reply = chat.send(message)[0]
        if reply.response != "utter_did_you_mean":
            continue
        asked.append(message)
        expect(reply, "utter_did_you_mean", language)
        payloads = [b["payload"] for b in reply.buttons]
        assert 2 <= len(payloads) <= 4 and payloads[-1] == "/capabilities", payloads
        assert "/request_human" not in payloads  # only a second miss offers a person
        first = chat.send(payloads[0])
        assert first and first[0].response and first[0].language == language
        assert first[0].response not in ("utter_did_you_mean", "utter_default", "utter_offer_human")
    assert asked, "none of the vague messages was asked back"


def test_a_topic_button_answers(rasa_url):
    chat = Chat(rasa_url)
    greeting = chat.ask("Hi, good morning")
    expect(greeting, "utter_greet", "en")
    payload = next(b["payload"] for b in greeting.buttons if b["payload"] == "/cps_tiers")
    expect(chat.send(payload)[0], "utter_cps_tiers", "en")
