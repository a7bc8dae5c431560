"""Human handoff with two browsers: a customer in the support page's chat and an agent in the console (/agent).

The customer asks for a person, the agent signs in, claims the escalation, reads the conversation, replies (the
reply appears in the customer's chat at once, pushed through socket.io) and closes it; the assistant says it is
back and answers the next question. A reply sent while the customer's page was closed appears when they come
back, once."""

from __future__ import annotations

import re
from contextlib import contextmanager
from typing import Iterator

import httpx
from playwright.sync_api import Page, expect

from tests.web.conftest import AGENT_PASSWORD, RASA_TOKEN, RESULTS, SERVICE_KEY
from tests.web.test_support_page import Chat, response, start

MARKUP = '<img src=x onerror="window.__typed=1"><script>window.__typed=2</script>'


def escalation_id_of(servers, conversation_id: str) -> int:
    answer = httpx.get(f"{servers.core_url}/escalations/by-conversation/{conversation_id}",
                       headers={"X-Service-Key": SERVICE_KEY}, timeout=30)
    answer.raise_for_status()
    return answer.json()["id"]


@contextmanager
def agent_console(browser, servers, name: str) -> Iterator[Page]:
    """The demo agent signed in to the console in a browser of their own; a screenshot at the end."""
    console = browser.new_context(viewport={"width": 1280, "height": 800}, locale="en-GB")  # the console in English
    agent = console.new_page()
    try:
        agent.goto(f"{servers.core_url}/agent")
        agent.locator("#username").fill("demo-agent")
        agent.locator("#password").fill(AGENT_PASSWORD)
        agent.locator("#sign-in").click()
        expect(agent.locator("#queue-waiting")).to_be_attached()
        yield agent
    finally:
        RESULTS.mkdir(parents=True, exist_ok=True)
        agent.screenshot(path=str(RESULTS / f"{name}-agent.png"))
        console.close()


def claim(agent: Page, escalation_id: int) -> None:
    waiting = agent.locator(f'#queue-waiting li[data-escalation-id="{escalation_id}"]')
    expect(waiting).to_contain_text("LT")
    waiting.locator("a.queue-link").click()
    agent.locator("#claim").click()
    expect(agent.locator("#status")).to_have_text("claimed")


def reply(agent: Page, text: str) -> None:
    agent.locator("#reply-text").fill(text)
    agent.locator("#reply-send").click()
    expect(agent.locator("#transcript li[data-sender='agent']").last).to_contain_text(text)


def test_customer_and_agent_talk_through_the_handoff(browser, context, servers):
    page, chat = start(context, servers)
    chat.open()
    texts = chat.ask("Noriu kalbėti su žmogumi", 1)
    assert texts[-1].startswith(response("utter_handoff_queued", "lt").split("{")[0])
    chat.send("Turiu klausimą dėl sąskaitos")  # while waiting: the bot stays silent, the agent will see it
    expect(chat.log.locator('li.msg--user[data-state="delivered"]')).to_have_count(2)
    escalation_id = escalation_id_of(servers, page.evaluate("window.canonChat.conversationId()"))

    with agent_console(browser, servers, "test_customer_and_agent_talk_through_the_handoff") as agent:
        claim(agent, escalation_id)
        transcript = agent.locator("#transcript")
        expect(transcript.locator('li[data-sender="customer"]').first).to_contain_text("Noriu kalbėti su žmogumi")
        expect(transcript.locator('li[data-sender="customer"]').last).to_contain_text("Turiu klausimą dėl sąskaitos")
        # appears in the open console without a reload (live updates), as text: markup typed by a customer never runs
        chat.send(f"Ar dar ten? {MARKUP}")
        expect(transcript.locator('li[data-sender="customer"]').last).to_have_text(re.compile(re.escape(MARKUP)))
        assert agent.evaluate("window.__typed") is None and page.evaluate("window.__typed") is None
        assert transcript.locator("img, script").count() == 0

        reply(agent, "Laba diena, čia Demo. Kuo galiu padėti?")
        from_agent = chat.log.locator("li.msg--agent")  # shown as the agent's own message, with the name
        expect(from_agent.locator(".msg__bubble")).to_have_text("Laba diena, čia Demo. Kuo galiu padėti?")
        expect(from_agent.locator(".msg__label")).to_have_text("Konsultantas Demo Agent")
        expect(transcript.locator('li[data-sender="agent"]')).to_contain_text("delivered")
        page.reload()  # the reply is in the history, once (the page also asks the core for missed replies)
        chat = Chat(page).wait_connected()
        expect(chat.log.locator("li.msg--agent")).to_have_count(1)

        agent.locator("#close-note").fill("Answered the invoice question.")
        agent.locator("#close").click()
        expect(agent.locator("#status")).to_have_text("closed")
        bubbles = chat.log.locator("li.msg .msg__bubble")
        expect(bubbles.last).to_have_text(response("utter_ask_satisfaction", "lt"))  # "did this help?" with buttons
        expect(bubbles.nth(-2)).to_have_text(response("utter_handoff_closed", "lt"))

    texts = chat.ask("Kiek kainuoja CPS narystė?", 4)  # the question left unanswered: the next one is answered
    assert texts[-1] == response("utter_membership_price", "lt")
    expect(chat.log.locator("li.msg--agent")).to_have_count(1)


def test_a_reply_sent_while_the_page_was_closed_appears_when_the_customer_comes_back(browser, context, servers):
    page, chat = start(context, servers)
    chat.open()
    chat.ask("Noriu kalbėti su žmogumi", 1)
    escalation_id = escalation_id_of(servers, page.evaluate("window.canonChat.conversationId()"))
    page.close()  # e.g. out of hours: the customer leaves and the agent answers the next morning

    with agent_console(browser, servers, "test_a_reply_sent_while_the_page_was_closed") as agent:
        claim(agent, escalation_id)
        reply(agent, "Atsiprašome, kad teko laukti. Sąskaitą pataisėme.")
        expect(agent.locator("#transcript li[data-sender='agent']")).to_contain_text("delivered")

    page, chat = start(context, servers)  # the same browser comes back: same conversation
    expect(page.locator("#chat-panel")).to_be_visible()
    chat.wait_connected()
    from_agent = chat.log.locator("li.msg--agent")
    expect(from_agent.locator(".msg__bubble")).to_have_text("Atsiprašome, kad teko laukti. Sąskaitą pataisėme.")
    expect(from_agent.locator(".msg__label")).to_have_text("Konsultantas Demo Agent")
    page.reload()
    Chat(page).wait_connected()
    expect(page.locator("#chat-log li.msg--agent")).to_have_count(1)


def test_a_conversation_kept_without_its_key_is_not_resumed(browser, context, servers):
    """The core gives an agent's replies only to the conversation's owner (its key, from Rasa's session_confirm),
    and Rasa resumes a conversation only for its key: a conversation kept without it (an older widget's storage)
    starts afresh, says so, and neither the old conversation nor its agent's replies reach that page."""
    page, chat = start(context, servers)
    chat.open()
    chat.ask("Noriu kalbėti su žmogumi", 1)
    session = page.evaluate("window.canonChat.conversationId()")
    stored = page.evaluate("JSON.parse(localStorage.getItem('canonChat.conversationKey'))")
    assert stored["conversation"] == session and len(stored["key"]) == 43
    page.evaluate("""(kept) => {  // as a widget kept it before conversation ids were derived from session ids
        localStorage.setItem('canonChat.session', JSON.stringify(kept));
    }""", session)
    owner = {"X-Conversation-Key": stored["key"]}
    assert httpx.get(f"{servers.core_url}/chat/{session}/agent-messages", headers=owner, timeout=30).status_code == 200
    assert httpx.get(f"{servers.core_url}/chat/{session}/agent-messages", timeout=30).status_code == 404
    escalation_id = escalation_id_of(servers, session)
    page.evaluate("localStorage.removeItem('canonChat.conversationKey')")  # and without its key
    page.close()

    with agent_console(browser, servers, "test_a_conversation_kept_without_its_key") as agent:
        claim(agent, escalation_id)
        reply(agent, "Jūsų sąskaita pataisyta.")

    page, chat = start(context, servers)
    chat.wait_connected()
    fresh = page.evaluate("window.canonChat.conversationId()")
    assert fresh != session
    expect(chat.log.locator("li").last).to_contain_text("Pradėtas naujas pokalbis.")
    expect(chat.log.locator("li.msg--agent")).to_have_count(0)
    assert page.evaluate("JSON.parse(localStorage.getItem('canonChat.conversationKey'))")["conversation"] == fresh
    assert chat.ask("Kiek kainuoja CPS narystė?", 2)[-1] == response("utter_membership_price", "lt")  # a fresh start


def test_the_agent_sees_when_the_customer_starts_a_new_conversation(browser, context, servers):
    page, chat = start(context, servers)
    chat.open()
    chat.ask("Noriu kalbėti su žmogumi", 1)
    old_session = page.evaluate("window.canonChat.conversationId()")
    escalation_id = escalation_id_of(servers, old_session)

    with agent_console(browser, servers, "test_the_agent_sees_when_the_customer_starts_a_new_conversation") as agent:
        claim(agent, escalation_id)
        page.locator("#chat-new").click()
        chat.wait_connected()
        expect(agent.locator("#transcript li[data-sender='system']").last).to_contain_text(
            "started a new conversation")
    assert page.evaluate("window.canonChat.conversationId()") != old_session
    assert chat.ask("Kiek kainuoja CPS narystė?", 1)[-1] == response("utter_membership_price", "lt")  # a fresh start


def test_messages_pushed_through_any_rasa_worker_reach_the_chat(context, servers):
    """`make run` starts several Rasa workers when Redis answers; the core's calls to Rasa's HTTP API land on any
    of them, not necessarily the one holding the browser's websocket. Each push here is a new connection."""
    page, chat = start(context, servers)
    chat.open()
    chat.ask("Laba diena", 1)
    session = page.evaluate("window.canonChat.conversationId()")
    pushes = 8
    for _ in range(pushes):
        answer = httpx.post(f"{servers.rasa_url}/conversations/{session}/execute",
                            params={"token": RASA_TOKEN, "output_channel": "latest"},
                            json={"name": "utter_anything_else"}, timeout=30, headers={"Connection": "close"})
        answer.raise_for_status()
    pushed = chat.log.locator("li.msg--bot .msg__bubble", has_text=response("utter_anything_else", "lt"))
    expect(pushed).to_have_count(pushes)
