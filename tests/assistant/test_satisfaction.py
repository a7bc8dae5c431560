""""Did this help?" end to end over the REST webhook with the real model, action server, core and Rasa's API: asked
after thanks or goodbye once the assistant answered, and after an agent closes an escalation; once a session,
never while handed over nor in a flow; the answer typed or clicked, the optional comment, and a question in place
of either answered as usual. The answer and the comment are the slots the analytics recorder reads."""

from __future__ import annotations

from typing import Any, Dict, List, Optional

import pytest

from tests.assistant.conftest import AGENT_PASSWORD, Servers
from tests.assistant.helpers import Chat, ConsoleAgent, Reply, response_text
from tests.assistant.test_handoff import bot_texts, escalation_of, eventually

pytestmark = pytest.mark.servers

QUESTIONS = {"lt": "Kiek kainuoja CPS narystė?", "en": "How much does CPS membership cost?"}


def said(replies: List[Reply], *expected: str, language: str) -> None:
    assert [(r.response, r.language) for r in replies] == [(n, language) for n in expected], [r.text for r in replies]


def slots(servers: Servers, chat: Chat) -> Dict[str, Any]:
    return servers.tracker(chat.conversation_id)["slots"]


def recorded(servers: Servers, chat: Chat) -> tuple[Optional[str], Optional[str]]:
    values = slots(servers, chat)
    return values["satisfaction"], values["satisfaction_comment"]


def answered(servers: Servers, language: str) -> Chat:
    """A new conversation in which the assistant has answered a question."""
    chat = Chat(servers.rasa_url)
    said(chat.send(QUESTIONS[language]), "utter_membership_price", language=language)
    return chat


def asked_on_thanks(chat: Chat, thanks: str, language: str) -> Reply:
    replies = chat.send(thanks)
    said(replies, "utter_welcome", "utter_ask_satisfaction", language=language)
    return replies[1]


@pytest.mark.parametrize("language, thanks, yes, comment, again", [
    ("lt", "Ačiū", "taip", "Norėčiau trumpesnių atsakymų", "labai ačiū"),
    ("lt", "aciu uz pagalba", "padejo", "Galetu buti daugiau pavyzdziu", "dekui"),
    ("en", "Thanks", "yes", "Shorter answers would be nicer", "thank you"),
])
def test_asked_after_thanks_once_and_the_comment_is_kept(servers, language, thanks, yes, comment, again):
    chat = answered(servers, language)
    question = asked_on_thanks(chat, thanks, language)
    assert [b["payload"] for b in question.buttons] == ["/affirm", "/deny"]
    said(chat.send(yes), "utter_satisfaction_helped", "utter_ask_satisfaction_comment", language=language)
    said(chat.send(comment), "utter_satisfaction_thanks", language=language)
    assert recorded(servers, chat) == ("helped", comment)
    assert slots(servers, chat)["satisfaction_asked"] is True
    said(chat.send(again), "utter_thank", language=language)  # never twice
    said(chat.send(QUESTIONS[language]), "utter_membership_price", language=language)
    said(chat.send(again), "utter_thank", language=language)


@pytest.mark.parametrize("language, goodbye, no", [
    ("lt", "Viso gero", "nelabai"), ("lt", "iki", "ne"), ("en", "Bye", "no"), ("en", "goodbye", "not really")])
def test_asked_after_goodbye_and_the_comment_skipped(servers, language, goodbye, no):
    chat = answered(servers, language)
    said(chat.send(goodbye), "utter_goodbye", "utter_ask_satisfaction", language=language)
    prompt = chat.send(no)
    said(prompt, "utter_satisfaction_not_helped", "utter_ask_satisfaction_comment", language=language)
    said(chat.send(prompt[1].buttons[0]["payload"]), "utter_satisfaction_thanks", language=language)  # "Skip"
    assert recorded(servers, chat) == ("not_helped", None)


@pytest.mark.parametrize("language, button, answer", [("lt", 0, "helped"), ("en", 1, "not_helped")])
def test_the_buttons_answer(servers, language, button, answer):
    chat = answered(servers, language)
    question = asked_on_thanks(chat, "ačiū" if language == "lt" else "thanks", language)
    replies = chat.send(question.buttons[button]["payload"])
    assert replies[-1].response == "utter_ask_satisfaction_comment" and len(replies[-1].buttons) == 1
    said(chat.send("ne, ačiū" if language == "lt" else "no thanks"), "utter_satisfaction_thanks", language=language)
    assert recorded(servers, chat) == (answer, None)


def test_thanks_to_the_question_is_a_yes(servers):
    chat = answered(servers, "lt")
    asked_on_thanks(chat, "ačiū", "lt")
    said(chat.send("Ačiū, labai padėjote"), "utter_satisfaction_helped", "utter_ask_satisfaction_comment",
         language="lt")
    assert recorded(servers, chat) == ("helped", None)


@pytest.mark.parametrize("language, greeting, thanks", [("lt", "Labas", "Ačiū"), ("en", "Hello", "Thanks")])
def test_not_asked_when_nothing_was_asked(servers, language, greeting, thanks):
    chat = Chat(servers.rasa_url)
    said(chat.send(greeting), "utter_greet", language=language)
    said(chat.send(thanks), "utter_thank", language=language)
    said(chat.send("Viso gero" if language == "lt" else "Bye"), "utter_goodbye", language=language)
    assert not slots(servers, chat)["satisfaction_asked"]


@pytest.mark.parametrize("language, question, answer", [
    ("lt", "Kokių dokumentų reikia?", "utter_ask_vat_status"),
    ("en", "How do I register my products?", "utter_register_products")])
def test_a_question_instead_of_the_answer_is_answered(servers, language, question, answer):
    chat = answered(servers, language)
    asked_on_thanks(chat, "ačiū" if language == "lt" else "thanks", language)
    said(chat.send(question), answer, language=language)
    assert recorded(servers, chat) == (None, None)
    said(chat.send("ačiū" if language == "lt" else "thanks"), "utter_thank", language=language)  # not asked again


@pytest.mark.parametrize("language, question, answer", [
    ("lt", "O kaip užregistruoti gaminius?", "utter_register_products"),
    ("en", "Which payment methods can I use?", "utter_payment_methods")])
def test_a_question_instead_of_the_comment_is_answered(servers, language, question, answer):
    chat = answered(servers, language)
    asked_on_thanks(chat, "ačiū" if language == "lt" else "thanks", language)
    chat.send("taip" if language == "lt" else "yes")
    said(chat.send(question), answer, language=language)
    assert recorded(servers, chat) == ("helped", None)


def test_not_asked_in_the_middle_of_a_flow(servers):
    chat = Chat(servers.rasa_url)
    chat.send("Kaip užsiregistruoti verslo paskyrai?")
    assert chat.send("/affirm")[-1].response == "utter_ask_vat_registered"  # the registration guide's first step
    # thanked (action_thank runs), no question, and the flow asks its own again
    said(chat.send("ačiū"), "utter_thank", "utter_ask_vat_registered", language="lt")
    assert servers.tracker(chat.conversation_id)["active_loop"]["name"] == "registration_form"
    assert chat.send("taip")[-1].response == "utter_ask_had_cps_account"  # the flow goes on
    assert not slots(servers, chat)["satisfaction_asked"]


def test_asked_after_the_agent_closes_never_during_the_handoff(servers):
    chat = Chat(servers.rasa_url)
    said(chat.send("Noriu kalbėti su žmogumi"), "utter_handoff_queued", language="lt")
    assert chat.send("Ačiū, laukiu") == [] and chat.send("Viso gero") == []  # a person owns the conversation
    assert not slots(servers, chat)["satisfaction_asked"]

    agent = ConsoleAgent(servers.core_url, "demo-agent", AGENT_PASSWORD)
    escalation_id = escalation_of(servers, chat)["id"]
    agent.claim(escalation_id)
    agent.close(escalation_id, "Answered.")
    question = response_text("utter_ask_satisfaction", "lt")
    eventually(lambda: bot_texts(servers, chat)[-2:] == [response_text("utter_handoff_closed", "lt"), question],
               "the assistant is back and asks whether we helped")
    said(chat.send("Taip, padėjo"), "utter_satisfaction_helped", "utter_ask_satisfaction_comment", language="lt")
    said(chat.send("Kolega atsakė greitai"), "utter_satisfaction_thanks", language="lt")
    assert recorded(servers, chat) == ("helped", "Kolega atsakė greitai")
    said(chat.send("Ačiū"), "utter_thank", language="lt")  # once a session


def test_asked_before_the_handoff_not_again_after_it(servers):
    chat = answered(servers, "en")
    asked_on_thanks(chat, "thanks", "en")
    said(chat.send("Can I talk to a real person please?"), "utter_handoff_queued", language="en")
    agent = ConsoleAgent(servers.core_url, "demo-agent", AGENT_PASSWORD)
    escalation_id = escalation_of(servers, chat)["id"]
    agent.claim(escalation_id)
    agent.close(escalation_id, "Answered.")
    eventually(lambda: bot_texts(servers, chat)[-1] == response_text("utter_handoff_closed", "en"),
               "the assistant is back")
    assert bot_texts(servers, chat).count(response_text("utter_ask_satisfaction", "en")) == 1
    said(chat.send("yes"), "utter_anything_else", language="en")  # no question pending: an ordinary yes
    assert recorded(servers, chat) == (None, None)
