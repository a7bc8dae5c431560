"""The widget's language and header in Chromium, against the real servers (tests/web/conftest.py): a language the
customer switches by typing switches the page too; the English page has no Lithuanian text, hidden or not; the
widget's header is one line on a 360 px phone. Screenshots: test-results/web/."""

from __future__ import annotations

import re
from functools import lru_cache

import pytest
from playwright.sync_api import Page, expect

from bot.core.web.texts import TEXTS
from tests.web.conftest import RESULTS
from tests.web.test_support_page import Chat, response, start

PLACEHOLDER = {"lt": TEXTS["lt"]["inputPlaceholder"], "en": TEXTS["en"]["inputPlaceholder"]}
H1 = {"lt": "Kaip užsiregistruoti verslo paskyrai ir CPS", "en": "How to register for a business account and CPS"}
LITHUANIAN_LETTERS = re.compile("[ąčęėįšųūžĄČĘĖĮŠŲŪŽ„]")
ATTRIBUTES = ("aria-label", "aria-description", "aria-roledescription", "aria-valuetext", "title", "placeholder",
              "alt", "value")

# Every text a screen reader or an eye can meet, with where it is: the title, text nodes and the attributes above
# of every element that is rendered (display: none hides a subtree from both; .sr-only texts are rendered). Not
# checked: what the customer typed, and a message of the assistant marked with its own `lang` (its bubble).
PAGE_TEXTS = """() => {
  const attributes = %s;
  const found = [["document.title", document.title]];
  function where(node) { return node.tagName.toLowerCase() + (node.id ? "#" + node.id : "") +
                                (node.className && typeof node.className === "string" ? "." + node.className : ""); }
  function visit(node) {
    if (getComputedStyle(node).display === "none") return;
    for (const name of attributes) {
      const value = node.getAttribute(name);
      if (value) found.push([where(node) + "[" + name + "]", value]);
    }
    // the customer's words, and the words of a message in its own language (not those of the page inside it)
    const host = node.closest("[lang]");
    const ownWords = node.closest(".msg--user .msg__bubble") ||
      (host && host.matches(".msg__bubble") && host.lang !== document.documentElement.lang);
    for (const child of node.childNodes) {
      if (child.nodeType === Node.ELEMENT_NODE) visit(child);
      else if (child.nodeType === Node.TEXT_NODE && !ownWords && child.textContent.trim()) {
        found.push([where(node), child.textContent.trim()]);
      }
    }
  }
  visit(document.body);
  return found;
}""" % (list(ATTRIBUTES),)


@lru_cache(maxsize=1)
def _lithuanian_phrases() -> tuple[str, ...]:
    """The fixed parts of the page's Lithuanian texts ("Prisijungta: {id}" gives "Prisijungta:")."""
    phrases = set()
    for key, text in TEXTS["lt"].items():
        if text == TEXTS["en"][key]:
            continue
        phrases |= {part.strip() for part in re.split(r"\{\w+\}", text) if len(part.strip()) >= 4}
    return tuple(sorted(phrases))


def lithuanian_on_page(page: Page) -> list[tuple[str, str]]:
    """The texts and attributes of the page that are Lithuanian (letters or the page's Lithuanian phrases)."""
    return [(where, text) for where, text in page.evaluate(PAGE_TEXTS)
            if LITHUANIAN_LETTERS.search(text) or any(phrase in text for phrase in _lithuanian_phrases())]


def expect_page_language(page: Page, language: str) -> None:
    """The whole page shows `language`: <html lang>, the article, both switches, the widget's texts."""
    texts = TEXTS[language]
    expect(page.locator("html")).to_have_attribute("lang", language)
    expect(page.locator("h1:visible")).to_have_text(H1[language])
    expect(page.locator("#chat-input")).to_have_attribute("placeholder", PLACEHOLDER[language])
    expect(page.locator("#chat-title")).to_have_text(texts["chatTitle"])
    expect(page.locator("#chat-send")).to_have_attribute("aria-label", texts["send"])
    expect(page.locator("#chat-close")).to_have_attribute("title", texts["chatClose"])
    expect(page.locator(".msg--welcome .msg__bubble")).to_have_text(texts["welcome"])
    other = "en" if language == "lt" else "lt"
    for switch in (".site-header", ".chat-header"):  # the page's switch and the widget's
        expect(page.locator(f"{switch} [data-set-lang={language}]")).to_have_attribute("aria-pressed", "true")
        expect(page.locator(f"{switch} [data-set-lang={other}]")).to_have_attribute("aria-pressed", "false")
    assert page.title() == texts["pageTitle"]


def record_sent_messages(page: Page) -> list[str]:
    """What the widget emits as user_uttered (socket.io frames), from now on."""
    sent: list[str] = []
    page.on("websocket", lambda socket: socket.on(
        "framesent", lambda frame: sent.append(frame) if isinstance(frame, str) and "user_uttered" in frame
        else None))
    return sent


def test_typed_switch_switches_the_page_both_ways(context, servers):
    page = context.new_page()
    sent = record_sent_messages(page)
    page.goto(servers.page_url)
    chat = Chat(page).open()
    expect_page_language(page, "lt")
    assert chat.ask("Labas", 1)[-1] == response("utter_greet", "lt")

    assert chat.ask("English please", 2)[-1] == response("utter_language_switched", "en")
    expect_page_language(page, "en")
    # the bot's reply carried its language: the page followed without telling the bot again
    assert len(sent) == 2 and not any("switch_language" in frame for frame in sent)
    assert chat.bot_texts() == [response("utter_greet", "lt"), response("utter_language_switched", "en")]
    # each reply is marked with its language for screen readers; the page's texts around it are English
    assert chat.log.locator("li.msg--bot:not(.msg--welcome) .msg__bubble").evaluate_all(
        "nodes => nodes.map(node => node.lang)") == ["lt", "en"]
    assert lithuanian_on_page(page) == []
    page.screenshot(path=str(RESULTS / "typed-switch-en.png"))

    assert chat.ask("kalbėk lietuviškai", 3)[-1] == response("utter_language_switched", "lt")
    expect_page_language(page, "lt")
    assert not any("switch_language" in frame for frame in sent)

    page.reload()  # remembered like the page's own switch (the chat_lang cookie)
    expect(page.locator("html")).to_have_attribute("lang", "lt")


def test_english_question_on_the_lithuanian_page_turns_the_page_english(context, servers):
    """The assistant answers in the language the customer writes; the page follows (docs/web-chat.md, LT / EN)."""
    page, chat = start(context, servers)
    chat.open()
    assert chat.ask("Which documents do I need?", 1)[-1] == response("utter_ask_vat_status", "en")
    expect_page_language(page, "en")
    # a quick reply of the English answer still works and the conversation goes on in English
    chat.quick_replies().first.click()
    chat.wait_answered(2)
    expect_page_language(page, "en")
    assert lithuanian_on_page(page) == []


def test_the_page_switch_still_tells_the_bot_and_the_answer_does_not_switch_back(context, servers):
    page, chat = start(context, servers)
    chat.open()
    chat.ask("Labas", 1)
    page.locator(".chat-header [data-set-lang=en]").click()
    expect(chat.log.locator("li.msg--bot .msg__bubble").last).to_have_text(response("utter_language_switched", "en"))
    expect_page_language(page, "en")
    assert chat.ask("?", 2)[-1] == response("utter_default", "en")
    expect_page_language(page, "en")


@pytest.mark.parametrize("how", ["rendered", "switched"])
def test_no_lithuanian_text_or_attribute_on_the_english_page(context, servers, how):
    """Hidden texts too: screen-reader hints, labels, titles, the placeholder, notes, the typing indicator."""
    page, chat = start(context, servers, "?lang=en" if how == "rendered" else "")
    chat.open()
    if how == "switched":  # a conversation begun in Lithuanian, with a link (its "opens in a new window" hint)
        chat.ask("Kaip užsiregistruoti verslo paskyrai?", 1)
        page.locator("#demo-sign-in").click()  # the badge and the note
        page.locator(".site-header [data-set-lang=en]").click()
        expect(chat.log.locator("li.msg--bot .msg__bubble").last).to_have_text(
            response("utter_language_switched", "en"))
    else:
        chat.ask("How do I register for a business account?", 1)
        page.locator("#demo-sign-in").click()
    expect(page.locator("#chat-identity")).to_be_visible()
    expect(chat.log.locator("a .sr-only").first).to_have_text(" " + TEXTS["en"]["opensNewWindow"])
    # the typing indicator lives only until the answer, which may come at once: its text as it was shown
    page.evaluate("""() => {
        window.typingShown = [];
        new MutationObserver((changes) => changes.forEach((change) => change.addedNodes.forEach((node) => {
            if (node.classList && node.classList.contains("typing")) window.typingShown.push(node.textContent);
        }))).observe(document.querySelector("#chat-log"), {childList: true});
    }""")
    chat.send("Thanks")
    expect(page.locator("li.typing, li.msg--bot").last).to_be_attached()
    page.wait_for_function("window.typingShown.length > 0")
    assert page.evaluate("window.typingShown") == [TEXTS["en"]["typing"]]
    assert lithuanian_on_page(page) == []
    # the Lithuanian switch is named in the page's language too, starting with what it shows (WCAG "label in name")
    expect(page.locator(".chat-header [data-set-lang=lt]")).to_have_attribute("aria-label", TEXTS["en"]["languageLt"])
    chat.wait_answered(2)
    assert lithuanian_on_page(page) == []
    page.screenshot(path=str(RESULTS / f"english-page-{how}.png"))


@pytest.mark.parametrize("language", ["lt", "en"])
@pytest.mark.parametrize("width", [360, 1280])
def test_the_widget_header_fits(browser, servers, width, language):
    """One row on a 360 px phone (it wrapped to 150-200 px); on a desktop the subtitle has a row of its own. No text
    of the header is cut off."""
    context = browser.new_context(viewport={"width": width, "height": 740 if width == 360 else 800},
                                  locale="lt-LT", is_mobile=width == 360, has_touch=width == 360,
                                  device_scale_factor=2 if width == 360 else 1)
    try:
        page = context.new_page()
        page.goto(f"{servers.page_url}?lang={language}")
        page.locator("#demo-sign-in").click()  # the longest header: with the signed-in badge
        # signed in (the focus moves to "Sign out" then) before the chat opens and focuses its input
        expect(page.locator("#demo-sign-out")).to_be_focused()
        chat = Chat(page).open()
        expect(page.locator("#chat-identity")).to_be_visible()
        header = page.locator(".chat-header").bounding_box()
        title = page.locator("#chat-title").bounding_box()
        actions = page.locator(".chat-header__actions").bounding_box()
        if width == 360:
            assert header["height"] <= 56, header
            expect(page.locator("#chat-subtitle")).to_be_hidden()
        else:
            assert header["height"] <= 80, header
            expect(page.locator("#chat-subtitle")).to_be_visible()
        # the title on the buttons' line, itself one line
        assert abs((title["y"] + title["height"] / 2) - (actions["y"] + actions["height"] / 2)) < 4
        assert title["height"] < 30
        badge = page.locator("#chat-identity").bounding_box()
        assert badge["height"] < 30  # one line
        for selector in ("#chat-title", "#chat-subtitle", "#chat-identity"):
            assert page.locator(selector).evaluate("node => node.scrollWidth <= node.clientWidth"), selector
        page.screenshot(path=str(RESULTS / f"widget-{language}-{width}.png"))
        chat.ask("?", 1)
        assert page.locator(".chat-header").bounding_box()["height"] == header["height"]
    finally:
        context.close()
