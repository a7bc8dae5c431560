""""Did this help?" in the support page's chat: the question's buttons, the comment with its "Skip" button, in
Lithuanian on a desktop and in English on a 360 px phone; what the customer answered is in Rasa's tracker as the
slots the analytics recorder reads (actions/satisfaction.py). Screenshots in test-results/web/."""

from __future__ import annotations

import httpx
import pytest
from playwright.sync_api import expect

from bot.conversation_ids import path_segment
from tests.web.conftest import RASA_TOKEN, RESULTS
from tests.web.test_support_page import Chat, button_titles, response

CASES = {"lt": ("Kiek kainuoja CPS narystė?", "Ačiū", "Norėčiau trumpesnių atsakymų", "helped"),
         "en": ("How much does CPS membership cost?", "Thanks", None, "not_helped")}


def slots(servers, page) -> dict:
    conversation = page.evaluate("window.canonChat.conversationId()")
    answer = httpx.get(f"{servers.rasa_url}/conversations/{path_segment(conversation)}/tracker",
                       params={"token": RASA_TOKEN}, timeout=30)
    answer.raise_for_status()
    return answer.json()["slots"]


@pytest.mark.parametrize("language, width", [("lt", 1280), ("en", 360)])
def test_did_this_help_with_buttons_and_an_optional_comment(browser, servers, language, width):
    question, thanks, comment, answer = CASES[language]
    phone = width == 360
    context = browser.new_context(viewport={"width": width, "height": 740 if phone else 800}, locale="lt-LT",
                                  is_mobile=phone, has_touch=phone, device_scale_factor=2 if phone else 1)
    try:
        page = context.new_page()
        page.goto(f"{servers.page_url}?lang={language}")
        chat = Chat(page).open()
        chat.ask(question, 1)
        texts = chat.ask(thanks, 2)
        assert texts[-2:] == [response("utter_welcome", language), response("utter_ask_satisfaction", language)]
        expect(chat.quick_replies()).to_have_text(button_titles("utter_ask_satisfaction", language))
        page.screenshot(path=str(RESULTS / f"satisfaction-question-{language}-{width}.png"))

        title = button_titles("utter_ask_satisfaction", language)[0 if answer == "helped" else 1]
        chat.quick_replies().filter(has_text=title).click()
        chat.wait_answered(3)
        expect(chat.user_messages().last.locator(".msg__bubble")).to_have_text(title)
        assert chat.bot_texts()[-1] == response("utter_ask_satisfaction_comment", language)
        skip = button_titles("utter_ask_satisfaction_comment", language)
        expect(chat.quick_replies()).to_have_text(skip)  # the question's buttons are gone, "Skip" is offered
        page.screenshot(path=str(RESULTS / f"satisfaction-comment-{language}-{width}.png"))

        if comment:
            texts = chat.ask(comment, 4)
        else:
            chat.quick_replies().filter(has_text=skip[0]).click()
            chat.wait_answered(4)
            texts = chat.bot_texts()
        assert texts[-1] == response("utter_satisfaction_thanks", language)
        values = slots(servers, page)
        assert (values["satisfaction"], values["satisfaction_comment"]) == (answer, comment)
        if phone:
            assert page.evaluate("(() => { const l = document.getElementById('chat-log');"
                                 " return l.scrollWidth <= l.clientWidth; })()")
        page.screenshot(path=str(RESULTS / f"satisfaction-thanks-{language}-{width}.png"))
    finally:
        context.close()
