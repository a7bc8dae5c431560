"""Human handoff end to end over the REST webhook: the real model, action server, core and Rasa's HTTP API.

Each way into the handoff in both languages, what the core records, the bot's silence while a person owns the
conversation, and the whole loop with an agent on the console: claim, reply (delivered into the conversation by
the core through Rasa's API), close, and the assistant answering again. Out of hours runs on a second set of
servers whose support team is closed now. docs/handoff.md describes the flow.
"""

from __future__ import annotations

import time
import uuid
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, List
from zoneinfo import ZoneInfo

import pytest
import requests

from bot.conversation_ids import path_segment
from tests.assistant.conftest import AGENT_PASSWORD, Servers, start_servers
from tests.assistant.helpers import Chat, ConsoleAgent, Reply, identify, response_text

pytestmark = pytest.mark.servers
WAIT_SECONDS = 30


def said(replies: List[Reply], *expected: str, language: str) -> None:
    assert [(r.response, r.language) for r in replies] == [(n, language) for n in expected], [r.text for r in replies]


def eventually(check: Callable[[], Any], what: str) -> Any:
    """check()'s first truthy result within WAIT_SECONDS (the core syncs and delivers in the background)."""
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(0.3)
    raise AssertionError(f"not within {WAIT_SECONDS} s: {what}")


def escalation_of(servers: Servers, chat: Chat) -> Dict[str, Any]:
    return servers.core_get(f"/escalations/by-conversation/{path_segment(chat.conversation_id)}")


def bot_texts(servers: Servers, chat: Chat) -> List[str]:
    return [e["text"] for e in servers.tracker(chat.conversation_id)["events"] if e["event"] == "bot" and e.get("text")]


@pytest.fixture
def verified_chat(servers: Servers) -> Callable[[], Chat]:
    def make() -> Chat:
        token = servers.clone_customer("demo-2000", f"handoff-{uuid.uuid4().hex[:8]}")
        return Chat(servers.rasa_url, token=token)
    return make


# ----------------------------------------------------------------------------- the ways in

@pytest.mark.parametrize("language, ask, still_there, verified", [
    ("lt", "Noriu pasikalbėti su žmogumi", "Ar dar čia?", True),
    ("en", "Can I talk to a real person please?", "hello? anyone there?", False),
])
def test_asking_for_a_person_hands_over_and_the_bot_goes_quiet(servers, verified_chat, language, ask, still_there,
                                                                verified):
    chat = verified_chat() if verified else Chat(servers.rasa_url)
    queued = chat.send(ask)
    said(queued, "utter_handoff_queued", language=language)
    escalation = escalation_of(servers, chat)
    assert (escalation["status"], escalation["reason"], escalation["language"], escalation["channel"],
            escalation["customer_verified"]) == ("waiting", "customer_request", language, "rest", verified)
    assert str(escalation["queue_position"]) in queued[0].text
    assert chat.send(still_there) == []  # a person owns the conversation now
    assert chat.send("/restart") == []
    assert servers.tracker(chat.conversation_id)["paused"] is True


def test_restart_right_after_the_handoff_stays_silent(servers):
    chat = Chat(servers.rasa_url)
    said(chat.send("Connect me to an agent"), "utter_handoff_queued", language="en")
    assert chat.send("/restart") == [] and chat.send("/restart") == []
    assert servers.tracker(chat.conversation_id)["paused"] is True


@pytest.mark.parametrize("language, first, second, yes", [
    ("lt", "Laba diena", "qqq zzzz xxxx", "taip"),
    ("en", "Hello there", "qqq zzzz xxxx", "yes"),
])
def test_two_misunderstandings_offer_a_colleague_and_yes_hands_over(servers, language, first, second, yes):
    chat = Chat(servers.rasa_url)
    said(chat.send(first), "utter_greet", language=language)
    said(chat.send(second), "utter_default", language=language)  # no topical guess: the main topics
    offer = chat.send("vvvv kkkk pppp")
    said(offer, "utter_offer_human", language=language)
    assert [b["payload"] for b in offer[0].buttons] == ["/request_human", "/deny"]
    said(chat.send(yes), "utter_handoff_queued", language=language)
    assert escalation_of(servers, chat)["reason"] == "fallback"


@pytest.mark.parametrize("language, no", [("lt", "ne"), ("en", "no thanks")])
def test_no_to_the_offer_keeps_the_assistant(servers, language, no):
    chat = Chat(servers.rasa_url)
    chat.send("Laba diena" if language == "lt" else "Hello there")
    chat.send("qqq zzzz xxxx")
    said(chat.send("vvvv kkkk pppp"), "utter_offer_human", language=language)
    said(chat.send(no), "utter_anything_else", language=language)
    with pytest.raises(requests.HTTPError, match="404"):
        escalation_of(servers, chat)  # nobody was called


@pytest.mark.parametrize("language, problem, yes", [
    ("lt", "Bankas atmetė mano mokėjimą už CPS narystę", "taip"),
    ("en", "my bank refused the payment for CPS", "/request_human"),  # typed, or the offer's button
])
def test_a_payment_problem_is_offered_a_colleague_and_yes_hands_over(servers, verified_chat, language, problem, yes):
    chat = verified_chat()
    offer = chat.send(problem)
    said(offer, "utter_payment_problem", language=language)
    assert [b["payload"] for b in offer[0].buttons] == ["/request_human", "/deny"]
    with pytest.raises(requests.HTTPError, match="404"):
        escalation_of(servers, chat)  # asked, not queued
    said(chat.send(yes), "utter_handoff_queued", language=language)
    escalation = escalation_of(servers, chat)
    assert (escalation["reason"], escalation["customer_verified"]) == ("payment_problem", True)


@pytest.mark.parametrize("language, problem, no", [
    ("lt", "Nuskaitė pinigus du kartus už narystę", "ne, ačiū"),
    ("en", "You charged my card twice for the membership", "no thanks"),
])
def test_a_payment_problem_declined_stays_with_the_assistant(servers, language, problem, no):
    chat = Chat(servers.rasa_url)
    said(chat.send(problem), "utter_payment_problem", language=language)
    said(chat.send(no), "utter_anything_else", language=language)
    with pytest.raises(requests.HTTPError, match="404"):
        escalation_of(servers, chat)


@pytest.mark.parametrize("language, message", [
    ("lt", "Mokėjimas nepavyko, sujunkite mane su žmogumi"),
    ("en", "The payment failed, I want to talk to a person"),
])
def test_a_payment_problem_with_a_request_for_a_person_is_handed_over_at_once(servers, language, message):
    chat = Chat(servers.rasa_url)
    said(chat.send(message), "utter_payment_problem_handed_over", "utter_handoff_queued", language=language)
    assert escalation_of(servers, chat)["reason"] == "payment_problem"


@pytest.mark.parametrize("language, start, no", [
    ("lt", "Nematau mygtuko MIGRUOTI PRODUKTUS", "ne"),
    ("en", "I can't see the MIGRATE PRODUCTS button", "no"),
])
def test_cps_priority_support_from_the_migration_flow(servers, language, start, no):
    chat = Chat(servers.rasa_url)
    said(chat.send(start), "utter_migrate_button_missing", "utter_offer_migration_guide", language=language)
    said(chat.send("/affirm"), "utter_ask_old_cps_email_given", language=language)
    said(chat.send(no), "utter_ask_migration_next_step", language=language)
    said(chat.send("/request_human"), "utter_priority_support", "utter_handoff_queued", language=language)
    assert escalation_of(servers, chat)["reason"] == "priority_support"
    assert servers.tracker(chat.conversation_id)["active_loop"] in ({}, None, {"name": None})  # the form has ended


# ----------------------------------------------------------------------------- the agent's side

def test_the_whole_loop_with_an_agent_on_the_console(servers, verified_chat):
    chat = verified_chat()
    chat.send("Laba diena")
    said(chat.send("Noriu kalbėti su konsultantu"), "utter_handoff_queued", language="lt")
    escalation_id = escalation_of(servers, chat)["id"]
    assert chat.send("Mano sąskaitoje dvigubas mokestis") == []

    agent = ConsoleAgent(servers.core_url, "demo-agent", AGENT_PASSWORD)
    assert escalation_id in [e["id"] for e in agent.queue()["waiting"]]
    assert agent.claim(escalation_id)["escalation"]["status"] == "claimed"
    detail = eventually(lambda: (d := agent.escalation(escalation_id)) and any(
        m["text"] == "Mano sąskaitoje dvigubas mokestis" for m in d["messages"]) and d,
        "the customer's message while waiting reaches the console")
    assert [m["sender"] for m in detail["messages"][:2]] == ["customer", "bot"]  # the transcript before
    assert detail["context"]["points"]["balance"] == 2100 and detail["can_reply"]

    agent.reply(escalation_id, "Laba diena, patikrinsiu jūsų sąskaitą.")
    delivered = response_text("utter_agent_message", "lt").format(
        agent_name="Demo Agent", agent_text="Laba diena, patikrinsiu jūsų sąskaitą.")
    eventually(lambda: delivered in bot_texts(servers, chat), "the agent's reply is in the conversation")
    assert identify(delivered) == ("utter_agent_message", "lt")
    assert chat.send("Ačiū, laukiu") == []  # still the agent's conversation

    agent.close(escalation_id, "Double charge refunded.")
    closed = response_text("utter_handoff_closed", "lt")
    eventually(lambda: closed in bot_texts(servers, chat), "the assistant says it is back")
    assert servers.tracker(chat.conversation_id)["paused"] is False
    said(chat.send("Kiek kainuoja CPS narystė?"), "utter_membership_price", language="lt")


@pytest.mark.parametrize("sender", ["web/chat/{u}", "50% off? #{u}", "%2F{u}", "Jonas Jonaitis ąčę 🙂 {u}",
                                    "{u}" + "ž" * 499],
                         ids=["slashes", "percent-question-hash", "encoded-slash", "spaces-any-script", "507-chars"])
def test_the_whole_loop_for_any_sender_id_a_channel_can_send(servers, sender):
    """A REST sender picks its own id: Rasa stores it as sent, the core and the action server address exactly that
    conversation (the customer's message reaches the agent, the reply the customer, closing resumes it)."""
    chat = Chat(servers.rasa_url, sender=sender.format(u=uuid.uuid4().hex[:8]))
    said(chat.send("Noriu kalbėti su žmogumi"), "utter_handoff_queued", language="lt")
    escalation = escalation_of(servers, chat)
    assert escalation["conversation_id"] == chat.conversation_id
    assert chat.send("Kur mano sąskaita?") == []

    agent = ConsoleAgent(servers.core_url, "demo-agent", AGENT_PASSWORD)
    assert agent.claim(escalation["id"])["escalation"]["status"] == "claimed"
    eventually(lambda: any(m["text"] == "Kur mano sąskaita?" for m in agent.escalation(escalation["id"])["messages"]),
               "the customer's message reaches the console")
    agent.reply(escalation["id"], "Sąskaitą išsiuntėme paštu.")
    eventually(lambda: any("Sąskaitą išsiuntėme paštu." in text for text in bot_texts(servers, chat)),
               "the agent's reply is in the customer's conversation")
    agent.close(escalation["id"], "Sent.")
    eventually(lambda: response_text("utter_handoff_closed", "lt") in bot_texts(servers, chat),
               "the assistant says it is back")
    assert servers.tracker(chat.conversation_id)["paused"] is False
    said(chat.send("Kiek kainuoja CPS narystė?"), "utter_membership_price", language="lt")


# ----------------------------------------------------------------------------- out of hours

def closed_now_hours() -> str:
    """A weekly window that is not open now: 08:00-17:00 on the day after tomorrow (Vilnius time)."""
    day = (datetime.now(ZoneInfo("Europe/Vilnius")) + timedelta(days=2)).strftime("%a")
    return f"{day} 08:00-17:00"


@pytest.fixture(scope="module")
def closed_team(model_path: Path, tmp_path_factory) -> Iterator[Servers]:
    running = start_servers(tmp_path_factory.mktemp("closed-team"), SUPPORT_HOURS=closed_now_hours())
    yield running
    running.stop()


@pytest.mark.parametrize("language, ask, weekdays", [
    ("lt", "Sujunkite mane su žmogumi", ("pirmadienį", "antradienį", "trečiadienį", "ketvirtadienį",
                                         "penktadienį", "šeštadienį", "sekmadienį")),
    ("en", "I want to speak to an agent", ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday",
                                           "Sunday")),
])
def test_out_of_hours_says_when_the_team_is_back(closed_team, language, ask, weekdays):
    chat = Chat(closed_team.rasa_url)
    reply = chat.send(ask)
    said(reply, "utter_handoff_out_of_hours", language=language)
    escalation = escalation_of(closed_team, chat)
    opening = datetime.fromisoformat(escalation["next_opening"])
    assert escalation["out_of_hours"] and not escalation["in_working_hours"]
    assert f"{weekdays[opening.weekday()]}" in reply[0].text and "08:00" in reply[0].text
    assert chat.send("hello?") == []  # waiting for the team is still a handoff
