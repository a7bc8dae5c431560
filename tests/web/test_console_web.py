"""The agent console in Chromium, against the real servers (tests/web/conftest.py): in Lithuanian, console.js's
live texts too (the queue's relative time, statuses, senders); the header's language switch before and after
signing in; every page usable on a 360 px phone in both languages (no horizontal scroll, every button and link on
screen). Screenshots: test-results/web/console-*.png."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, expect

from bot.core.console.texts import texts
from bot.core.tokens import make_customer_token
from tests.web.conftest import AGENT_PASSWORD, RESULTS, SERVICE_KEY, TOKEN_SECRET

ADMIN = "web-console-admin"
ADMIN_PASSWORD = "web-tests-console-admin-password"
LOCALES = {"lt": "lt-LT", "en": "en-GB"}
PHONE = {"width": 360, "height": 740}


def escalate(servers, language: str = "lt", reason: str = "customer_request", customer: str | None = None,
             transcript: list[dict[str, Any]] | None = None) -> int:
    """A new escalation as Rasa's action hands it over (the service key); its id."""
    body: dict[str, Any] = {"conversation_id": f"web-console-{uuid.uuid4().hex}", "channel": "socketio",
                            "language": language, "reason": reason, "transcript": transcript or []}
    if customer:
        body["customer_token"] = make_customer_token(customer, TOKEN_SECRET)
    answer = httpx.post(f"{servers.core_url}/escalations", json=body, headers={"X-Service-Key": SERVICE_KEY},
                        timeout=30)
    assert answer.status_code == 201, answer.text
    return answer.json()["id"]


def make_admin(servers) -> None:
    """An admin agent in the servers' database (the header then has every link), once per test session."""
    from sqlalchemy import select

    from bot.core.agents import create_agent
    from bot.core.db.models import ADMIN_ROLE, Agent
    from bot.core.db.session import make_engine, make_sessionmaker

    engine = make_engine(f"sqlite:///{servers.log.parent / 'core.db'}")
    try:
        with make_sessionmaker(engine)() as session:
            agent = session.scalars(select(Agent).where(Agent.username == ADMIN)).first()
            agent = agent or create_agent(session, ADMIN, ADMIN_PASSWORD, "Rasa Administratorė")
            agent.role = ADMIN_ROLE
            session.commit()
    finally:
        engine.dispose()


@contextmanager
def console(browser, name: str, language: str, viewport: dict[str, int] | None = None) -> Iterator[Page]:
    """A browser whose language is `language` (Accept-Language), no cookies yet; a screenshot at the end."""
    context = browser.new_context(viewport=viewport or {"width": 1280, "height": 800}, locale=LOCALES[language])
    context.set_default_timeout(30_000)
    page = context.new_page()
    try:
        yield page
    finally:
        RESULTS.mkdir(parents=True, exist_ok=True)
        try:
            page.screenshot(path=str(RESULTS / f"{name}.png"), full_page=True)
        finally:
            context.close()


def sign_in(page: Page, servers, username: str = "demo-agent", password: str = AGENT_PASSWORD) -> None:
    page.goto(f"{servers.core_url}/agent/sign-in")
    page.locator("#username").fill(username)
    page.locator("#password").fill(password)
    page.locator("#sign-in").click()
    expect(page.locator("#queue-waiting")).to_be_attached()


def test_the_console_in_lithuanian_with_console_js_texts(browser, servers):
    lt, en = texts("lt"), texts("en")
    with console(browser, "console-lithuanian", "lt") as page:
        page.clock.install()  # the page's own clock, moved below to see the relative times change
        sign_in(page, servers)
        expect(page.locator("html")).to_have_attribute("lang", "lt")
        expect(page.locator("h1")).to_have_text(lt["queue_title"])
        expect(page.locator("#language-switch")).to_have_text("English")

        escalation_id = escalate(servers, "en", "payment_problem", transcript=[
            {"sender": "customer", "text": "My payment failed", "timestamp": 1764662400.0}])
        item = page.locator(f'#queue-waiting li[data-escalation-id="{escalation_id}"]')  # drawn by console.js
        expect(item.locator("a.queue-link")).to_have_text(f"#{escalation_id} · Mokėjimo problema")
        expect(item.locator(".detail")).to_have_text("perduota ką tik")
        expect(item.locator(".customer")).to_have_text("anonimas")
        expect(item.locator(".badge.lang")).to_have_attribute("title", "anglų")
        assert re.fullmatch(r"\(\d+\) Eilė · Canon verslo pagalba", page.title())
        page.clock.fast_forward("05:00")
        expect(item.locator("time")).to_have_text("prieš 5 min.")
        page.clock.fast_forward("01:00:00")
        expect(item.locator("time")).to_have_text("prieš 1 val. 5 min.")

        item.locator("a.queue-link").click()
        expect(page.locator("#status")).to_have_text(lt["status_waiting"])
        page.locator("#claim").click()
        expect(page.locator("#status")).to_have_text(lt["status_claimed"])  # console.js
        expect(page.locator("#claimed-by")).to_have_text("Demo Agent")
        transcript = page.locator("#transcript")
        expect(transcript.locator('li[data-sender="customer"] .sender').first).to_have_text("Klientas")
        expect(transcript.locator('li[data-sender="system"] .sender').last).to_have_text("Sistema")
        expect(transcript.locator('li[data-sender="system"] .text').last).to_have_text("Demo Agent perėmė pokalbį.")
        page.locator("#reply-text").fill("Sveiki, tikriname mokėjimą.")
        page.locator("#reply-send").click()
        reply = transcript.locator('li[data-sender="agent"]').last
        expect(reply.locator(".delivery")).to_have_text(re.compile(r"^(pristatyta|dar nepristatyta)$"))

        page.locator("#language-switch").click()  # the switch: English, on the same page
        expect(page.locator("html")).to_have_attribute("lang", "en")
        assert page.url.endswith(f"/agent/escalations/{escalation_id}")
        expect(page.locator("#status")).to_have_text(en["status_claimed"])
        expect(page.locator("#language-switch")).to_have_text("Lietuviškai")
        page.locator("#close-note").fill("Mokėjimas rastas.")
        page.locator("#close").click()
        expect(page.locator("#status")).to_have_text(en["status_closed"])

        page.locator("#language-switch").click()
        expect(page.locator("html")).to_have_attribute("lang", "lt")
        expect(page.locator("#status")).to_have_text(lt["status_closed"])
        page.locator("#nav-queue").click()
        closed = page.locator(f'#queue-closed li[data-escalation-id="{escalation_id}"]')
        closed_ago = re.compile(r"^uždarė Demo Agent (ką tik|prieš (\d+ val\. )?\d+ min\.)$")
        expect(closed.locator(".detail")).to_have_text(closed_ago)


def test_the_switch_on_the_sign_in_page_is_remembered(browser, servers):
    with console(browser, "console-switch-before-sign-in", "en") as page:
        page.goto(f"{servers.core_url}/agent")
        expect(page.locator("h1")).to_have_text("Agent sign-in")
        expect(page.locator("html")).to_have_attribute("lang", "en")
        page.locator("#language-switch").click()
        expect(page.locator("h1")).to_have_text("Agento prisijungimas")
        expect(page.locator("#sign-in")).to_have_text("Prisijungti")
        page.locator("#username").fill("demo-agent")
        page.locator("#password").fill("not the password")
        page.locator("#sign-in").click()
        expect(page.locator("#sign-in-error")).to_have_text("Neteisingas naudotojo vardas arba slaptažodis.")
        sign_in(page, servers)
        expect(page.locator("h1")).to_have_text("Eilė")  # the cookie, not the browser's English
        assert "Dashboard" not in page.locator("header").inner_text()  # not an admin


def fits_the_screen(page: Page) -> list[str]:
    """What sticks out of a 360 px screen: a horizontal scroll, or a visible button, link or field not wholly
    on screen."""
    return page.evaluate("""() => {
      const problems = [];
      const width = document.documentElement.clientWidth;
      if (document.documentElement.scrollWidth > width) problems.push("scroll " + document.documentElement.scrollWidth);
      document.querySelectorAll("button, a, input:not([type=hidden]), textarea, h1, h2").forEach(function (node) {
        const box = node.getBoundingClientRect();
        if (box.width === 0 && box.height === 0) return;
        if (box.left < 0 || box.right > width + 0.5) {
          problems.push(node.tagName + "#" + node.id + " " + node.textContent.trim().slice(0, 30) + " " +
                        Math.round(box.left) + ".." + Math.round(box.right));
        }
      });
      return problems;
    }""")


@pytest.mark.parametrize("language", ["lt", "en"])
def test_every_page_is_usable_at_360_px(browser, servers, language):
    make_admin(servers)
    waiting = escalate(servers, language, "fallback", customer="demo-missing", transcript=[
        {"sender": "customer", "text": "Kodėl mano produktas be žalios varnelės? " * 3, "timestamp": 1764662400.0},
        {"sender": "bot", "text": "Atsiprašau, nesupratau.", "timestamp": 1764662401.0}])
    mine = escalate(servers, language, "priority_support", customer="demo-gold")
    for text, guesses in (("Ar galiu užsiregistruoti su " + "labai-ilgu-žodžiu-" * 8, []),
                          ("kiek kainuoja?", [{"name": "ask_membership_price", "confidence": 0.41}])):
        answer = httpx.post(f"{servers.core_url}/fallbacks", headers={"X-Service-Key": SERVICE_KEY}, timeout=30,
                            json={"conversation_id": f"web-console-{uuid.uuid4().hex}", "channel": "socketio",
                                  "language": language, "text": text, "top_intents": guesses,
                                  "fallback_in_a_row": 2})
        assert answer.status_code == 201, answer.text
    pages: dict[str, str] = {}
    with console(browser, f"console-360-{language}-sign-in", language, PHONE) as page:
        page.goto(f"{servers.core_url}/agent/sign-in")
        assert fits_the_screen(page) == []
    with console(browser, f"console-360-{language}-last", language, PHONE) as page:
        sign_in(page, servers, ADMIN, ADMIN_PASSWORD)
        page.goto(f"{servers.core_url}/agent/escalations/{mine}")
        page.locator("#claim").click()
        expect(page.locator("#owner-actions")).to_be_visible()
        pages = {"queue": "/agent", "escalation-waiting": f"/agent/escalations/{waiting}",
                 "escalation-mine": f"/agent/escalations/{mine}", "fallbacks": "/agent/fallbacks",
                 "error": "/agent/escalations/999999999"}
        for name, path in pages.items():
            page.goto(f"{servers.core_url}{path}")
            expect(page.locator("html")).to_have_attribute("lang", language)
            expect(page.locator("#nav-dashboard")).to_be_visible()
            page.screenshot(path=str(RESULTS / f"console-360-{language}-{name}.png"), full_page=True)
            assert fits_the_screen(page) == [], name
        page.goto(f"{servers.core_url}/agent/escalations/{mine}")
        for button in ("#reply-send", "#close", "#sign-out", "#language-switch"):
            page.locator(button).scroll_into_view_if_needed()
            expect(page.locator(button)).to_be_in_viewport()
