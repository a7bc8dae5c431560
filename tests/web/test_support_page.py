"""The support page and its chat widget in Chromium, against the real servers (tests/web/conftest.py).

Expected bot texts come from the domain (domain/), so that rewording a response does not break these tests."""

from __future__ import annotations

import json
import re
from functools import lru_cache

import httpx
import pytest
from playwright.sync_api import Page, WebSocketRoute, expect

from tests.domain_files import load_domain
from tests.web.conftest import ROOT, SERVICE_KEY

SOCKET_IO = re.compile(r"/socket\.io/")


@lru_cache(maxsize=1)
def _responses() -> dict:
    return load_domain()["responses"]


def _variation(name: str, language: str) -> dict:
    for variation in _responses()[name]:
        conditions = [c for c in variation.get("condition") or [] if c.get("name") == "language"]
        if (conditions[0]["value"] if conditions else "lt") == language:
            return variation
    raise KeyError((name, language))


def response(name: str, language: str, **values: object) -> str:
    """The text of a response variation, with its {variables} filled."""
    text = _variation(name, language)["text"]
    for key, value in values.items():
        text = text.replace("{" + key + "}", str(value))
    return text


def button_titles(name: str, language: str) -> list[str]:
    return [button["title"] for button in _variation(name, language).get("buttons", [])]


class Chat:
    """The widget on a page, as a customer uses it."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.log = page.locator("#chat-log")

    def open(self) -> Chat:
        self.page.locator("#chat-launcher").click()
        expect(self.page.locator("#chat-panel")).to_be_visible()
        expect(self.page.locator("#chat-input")).to_be_focused()
        return self.wait_connected()

    def wait_connected(self) -> Chat:
        expect(self.page.locator("#chat-panel")).to_have_attribute("data-connection", "online")
        return self

    def user_messages(self):
        return self.log.locator("li.msg--user")

    def bot_texts(self) -> list[str]:
        return self.log.locator("li.msg--bot:not(.msg--welcome) .msg__bubble").all_inner_texts()

    def wait_answered(self, turns: int) -> None:
        """Until `turns` customer messages have been processed by Rasa (acknowledged)."""
        expect(self.log.locator('li.msg--user[data-state="delivered"]')).to_have_count(turns)
        expect(self.log.locator("li.typing")).to_have_count(0)

    def send(self, text: str) -> None:
        self.page.locator("#chat-input").fill(text)
        self.page.locator("#chat-input").press("Enter")

    def ask(self, text: str, turns: int) -> list[str]:
        """Send `text` as the conversation's `turns`-th message; the bot texts of the whole log."""
        self.send(text)
        self.wait_answered(turns)
        return self.bot_texts()

    def quick_replies(self):
        """The quick replies of the bot's messages (not the welcome's suggested questions)."""
        return self.log.locator("li.msg:not(.msg--welcome) .quick-replies button")


def start(context, servers, path: str = "") -> tuple[Page, Chat]:
    page = context.new_page()
    page.goto(servers.page_url + path)
    return page, Chat(page)


# ------------------------------------------------------------------ conversation


def test_lithuanian_question_gets_the_lithuanian_answer(context, servers):
    page, chat = start(context, servers)
    expect(page.locator("html")).to_have_attribute("lang", "lt")
    chat.open()
    texts = chat.ask("Kokių dokumentų reikia?", 1)
    assert texts[-1] == response("utter_ask_vat_status", "lt")
    expect(chat.quick_replies()).to_have_text(button_titles("utter_ask_vat_status", "lt"))
    expect(page.locator("#chat-announcer")).to_contain_text(response("utter_ask_vat_status", "lt"))


def test_quick_reply_sends_its_payload_and_shows_its_title(context, servers):
    page, chat = start(context, servers)
    chat.open()
    chat.ask("Kokių dokumentų reikia?", 1)
    title = button_titles("utter_ask_vat_status", "lt")[0]
    chat.quick_replies().filter(has_text=title).click()
    chat.wait_answered(2)
    expect(chat.user_messages().last.locator(".msg__bubble")).to_have_text(title)
    assert chat.bot_texts()[-1] == response("utter_documents_vat_registered", "lt")
    expect(chat.quick_replies()).to_have_count(0)  # used once, then gone
    expect(page.locator("#chat-input")).to_be_focused()


def test_switch_to_english_changes_the_page_and_the_conversation(context, servers):
    page, chat = start(context, servers)
    chat.open()
    chat.ask("Kokių dokumentų reikia?", 1)
    page.locator(".site-header [data-set-lang=en]").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("h1:visible")).to_have_text("How to register for a business account and CPS")
    expect(page.locator("article[lang=lt]")).to_be_hidden()
    expect(page.locator("#chat-title")).to_have_text("Canon assistant")
    expect(page.locator("#chat-input")).to_have_attribute("placeholder", "Type your question…")
    expect(page.locator(".site-header [data-set-lang=en]")).to_have_attribute("aria-pressed", "true")
    # the widget sent /switch_language{"requested_language":"en"}: the rule confirms in English
    expect(chat.log.locator("li.msg--bot .msg__bubble").last).to_have_text(
        response("utter_language_switched", "en"))
    # a language-neutral message is now answered in English
    assert chat.ask("?", 2)[-1] == response("utter_default", "en")
    page.reload()  # the choice is remembered (cookie): the server renders English
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("#chat-launcher")).to_have_attribute("aria-expanded", "true")


def test_first_undecided_message_takes_the_page_language(context, servers):
    page, chat = start(context, servers, "?lang=en")
    expect(page.locator("h1:visible")).to_have_text("How to register for a business account and CPS")
    chat.open()
    assert chat.ask("?", 1)[-1] == response("utter_default", "en")  # the metadata hint; no switch command


def test_reload_keeps_the_history_and_the_conversation(context, servers):
    page, chat = start(context, servers)
    chat.open()
    chat.ask("Kokių dokumentų reikia?", 1)
    session = page.evaluate("window.canonChat.sessionId()")
    page.reload()
    chat = Chat(page)
    expect(page.locator("#chat-panel")).to_be_visible()  # it was open
    expect(chat.user_messages().locator(".msg__bubble")).to_have_text(["Kokių dokumentų reikia?"])
    assert chat.bot_texts() == [response("utter_ask_vat_status", "lt")]
    chat.wait_connected()
    assert page.evaluate("window.canonChat.sessionId()") == session
    # "taip" answers the VAT question only in the same conversation (rule: utter_ask_vat_status, affirm)
    assert chat.ask("taip", 2)[-1] == response("utter_documents_vat_registered", "lt")


def test_demo_customer_sees_own_points_and_sign_out_stops_sending_the_token(context, servers):
    page, chat = start(context, servers)
    page.locator("#demo-customer").select_option("demo-2000")
    page.locator("#demo-sign-in").click()
    expect(page.locator("#demo-identity")).to_have_text("Prisijungta kaip demo-2000.")
    expect(page.locator("#demo-sign-out")).to_be_focused()
    token = json.loads(page.evaluate("localStorage.getItem('canonChat.demo')"))["token"]
    points = httpx.get(f"{servers.core_url}/me/points", timeout=30,
                       headers={"X-Service-Key": SERVICE_KEY, "X-Customer-Token": token}).json()
    chat.open()
    expect(page.locator("#chat-identity")).to_have_text("Prisijungta: demo-2000")
    texts = chat.ask("Kiek taškų turiu?", 1)
    assert texts[-1] == response("utter_my_points_invited", "lt", balance=points["balance"])
    assert str(points["balance"]) in texts[-1]
    page.locator("#demo-sign-out").click()
    expect(page.locator("#chat-identity")).to_be_hidden()
    texts = chat.ask("Kiek taškų turiu?", 2)
    assert response("utter_login_hint", "lt") in texts  # anonymous again: the general answer and the hint
    assert not any(str(points["balance"]) in text for text in texts[1:])


# ------------------------------------------------------------------ layout and accessibility


def test_phone_360_px_wide_has_no_horizontal_scroll(browser, servers):
    context = browser.new_context(viewport={"width": 360, "height": 740}, locale="lt-LT", is_mobile=True,
                                  has_touch=True, device_scale_factor=2)
    try:
        page = context.new_page()
        page.goto(servers.page_url)
        width = "Math.max(document.documentElement.scrollWidth, document.body.scrollWidth)"
        assert page.evaluate(width) <= 360
        chat = Chat(page).open()
        box = page.locator("#chat-panel").bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 360
        chat.ask("Kaip užsiregistruoti verslo paskyrai? https://businessid.canon-europe.com/b2bcustomers/s/login/"
                 "SelfRegister?language=en_GB&source=itcg", 1)
        assert page.evaluate(width) <= 360
        assert page.evaluate("(() => { const l = document.getElementById('chat-log');"
                             " return l.scrollWidth <= l.clientWidth; })()")
        send = page.locator("#chat-send").bounding_box()
        assert send["x"] + send["width"] <= 360
        page.screenshot(path=str(ROOT / "test-results" / "web" / "phone-360.png"))
    finally:
        context.close()


def test_keyboard_only(context, servers):
    page, chat = start(context, servers)
    page.keyboard.press("Tab")
    expect(page.locator(".skip-link")).to_be_focused()
    for _ in range(60):  # Tab through the page to the launcher
        if page.evaluate("document.activeElement.id") == "chat-launcher":
            break
        page.keyboard.press("Tab")
    expect(page.locator("#chat-launcher")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("#chat-input")).to_be_focused()
    chat.wait_connected()
    page.keyboard.type("Kokių dokumentų reikia?")
    page.keyboard.press("Enter")
    chat.wait_answered(1)
    page.keyboard.press("Shift+Tab")  # from the input back to the last quick reply
    last_title = button_titles("utter_ask_vat_status", "lt")[-1]
    expect(chat.quick_replies().last).to_be_focused()
    page.keyboard.press("Enter")
    chat.wait_answered(2)
    expect(chat.user_messages().last.locator(".msg__bubble")).to_have_text(last_title)
    assert chat.bot_texts()[-1] == response("utter_documents_not_vat_registered", "lt").replace("\n- ", "\n• ")
    expect(page.locator("#chat-input")).to_be_focused()
    page.keyboard.press("Escape")
    expect(page.locator("#chat-panel")).to_be_hidden()
    expect(page.locator("#chat-launcher")).to_be_focused()
    expect(page.locator("#chat-launcher")).to_have_attribute("aria-expanded", "false")


# ------------------------------------------------------------------ rendering and safety


def test_bot_link_is_a_real_link_and_typed_markup_is_text(context, servers):
    page, chat = start(context, servers)
    chat.open()
    chat.ask("Kaip užsiregistruoti verslo paskyrai?", 1)
    link = chat.log.locator("li.msg--bot a[href^='https://businessid.canon-europe.com/']")
    for turn in range(2, 6):  # the link comes with the first answer (the guide, taken, gives it at its end too)
        if link.count():
            break
        expect(chat.quick_replies().first).to_be_visible()
        chat.quick_replies().first.click()
        chat.wait_answered(turn)
    expect(link.first).to_have_attribute("target", "_blank")
    expect(link.first).to_have_attribute("rel", "noopener noreferrer")
    typed = '<script>window.__xss = 1</script><img src=x onerror="window.__xss = 2"> **ne paryškinta**'
    chat.send(typed)
    expect(chat.user_messages().last.locator(".msg__bubble")).to_have_text(typed)
    assert chat.log.locator("script, img, li.msg--user strong").count() == 0
    assert page.evaluate("window.__xss") is None


def _agent_message(route: WebSocketRoute, payload: dict) -> None:
    route.send("42" + json.dumps(["bot_uttered", payload]))  # engine.io message + socket.io event


def test_rendering_of_links_bold_lines_agents_and_unknown_fields(context, servers):
    routes: list[WebSocketRoute] = []

    def through(route: WebSocketRoute) -> None:
        route.connect_to_server()
        routes.append(route)

    page = context.new_page()
    page.route_web_socket(SOCKET_IO, through)
    page.goto(servers.page_url)
    chat = Chat(page).open()
    _agent_message(routes[-1], {
        "text": "Sveiki, **Rūta** čia.\n[Canon](https://www.canon.lt/) ir https://www.canon.lt/cps.\n"
                "[blogas](javascript:alert(1)) <b>ne HTML</b>",
        "custom": {"agent_name": "Rūta", "avatar": {"unknown": True}},
        "something_new": [1, 2, 3],
    })
    _agent_message(routes[-1], {"custom": {"unknown": "no text"}})  # nothing to show: ignored
    _agent_message(routes[-1], {"text": "Botas", "quick_replies": [{"title": "Gerai", "payload": "/affirm"},
                                                                  {"title": 5}]})
    agent = chat.log.locator("li.msg--agent")
    expect(agent).to_have_count(1)
    expect(agent.locator(".msg__label")).to_have_text("Konsultantas Rūta")
    bubble = agent.locator(".msg__bubble")
    expect(bubble.locator("strong")).to_have_text("Rūta")
    expect(bubble.locator("br")).to_have_count(2)
    links = bubble.locator("a")
    expect(links).to_have_count(2)
    expect(links.nth(0)).to_have_attribute("href", "https://www.canon.lt/")
    expect(links.nth(1)).to_have_attribute("href", "https://www.canon.lt/cps")  # the full stop is not in it
    expect(bubble).to_contain_text("[blogas](javascript:alert(1)) <b>ne HTML</b>")
    assert bubble.locator("b").count() == 0
    expect(chat.quick_replies()).to_have_text(["Gerai"])


# ------------------------------------------------------------------ connection


def test_connection_lost_queues_once_and_sends_after_reconnect(context, servers):
    routes: list[tuple[WebSocketRoute, WebSocketRoute]] = []
    offline = {"now": False}

    def through(route: WebSocketRoute) -> None:
        if offline["now"]:
            route.close()
            return
        routes.append((route, route.connect_to_server()))

    page = context.new_page()
    page.route_web_socket(SOCKET_IO, through)
    page.goto(servers.page_url)
    chat = Chat(page).open()
    offline["now"] = True
    for to_page, to_server in routes:
        to_server.close()
        to_page.close()
    expect(page.locator("#chat-status")).to_have_text("Ryšys nutrūko. Jungiamasi iš naujo…")
    chat.send("Kokių dokumentų reikia?")
    expect(chat.user_messages().last).to_have_attribute("data-state", "queued")
    expect(chat.user_messages().last).to_contain_text("Išsiųsime, kai atsiras ryšys.")
    page.screenshot(path=str(ROOT / "test-results" / "web" / "offline-queued.png"))
    offline["now"] = False
    expect(page.locator("#chat-status")).not_to_have_text("Ryšys nutrūko. Jungiamasi iš naujo…")
    chat.wait_answered(1)
    expect(chat.user_messages()).to_have_count(1)
    assert chat.bot_texts() == [response("utter_ask_vat_status", "lt")]  # sent once, answered once


@pytest.mark.parametrize("path", ["", "?lang=en", "?lang=xx"])
def test_page_loads_without_errors(context, servers, path):
    errors: list[str] = []
    page = context.new_page()
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.goto(servers.page_url + path)
    Chat(page).open()
    assert errors == []
