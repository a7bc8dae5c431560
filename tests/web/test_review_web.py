"""The conversation review (/agent/review) in a browser against the real servers: an admin searches, reads a
transcript, ticks messages not understood, assigns an intent and downloads the NLU YAML, and erases a customer's
conversation (its tracker in Rasa's Redis store too); at 1280 and 360 px wide, in English and Lithuanian. An agent
gets 403 in their language. Screenshots in test-results/web/review-*.png.

The analytics rows are written directly (the recorder is tested on its own) into the servers' SQLite database,
which tests/servers.py `launch` keeps beside the launcher's log."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

import httpx
import pytest
import yaml
from playwright.sync_api import Page, expect
from sqlalchemy import update

from bot.core.agents import create_agent
from bot.core.clock import utc_now
from bot.core.db.models import ADMIN_ROLE, Agent, Customer
from bot.core.db.session import make_engine, make_sessionmaker
from tests.core.analytics_support import escalation, fallback_log, record, remaining
from tests.web.conftest import RASA_TOKEN, RESULTS

PASSWORD = "review-tests-admin-password"
WIDTHS = {"wide": (1280, 860), "narrow": (360, 740)}


@pytest.fixture(scope="module")
def database(servers) -> Iterator:
    engine = make_engine(f"sqlite:///{servers.log.parent / 'core.db'}")
    yield make_sessionmaker(engine)
    engine.dispose()


@pytest.fixture(scope="module")
def world(servers, database) -> dict[str, str]:
    """An admin and an agent, a real conversation in Rasa (the REST channel) recorded for a verified customer, and
    other recorded sessions with messages not understood."""
    suffix = uuid.uuid4().hex[:6]
    sender = f"review-{suffix}"
    answer = httpx.post(f"{servers.rasa_url}/webhooks/rest/webhook", json={"sender": sender, "message": "Labas"},
                        timeout=60)
    answer.raise_for_status()
    conversation, customer = f"rest:{sender}", f"review-customer-{suffix}"
    now = utc_now()
    with database() as session:
        for username in (f"admin-{suffix}", f"agent-{suffix}"):
            create_agent(session, username, PASSWORD, username.split("-")[0].title())
        session.execute(update(Agent).where(Agent.username == f"admin-{suffix}").values(role=ADMIN_ROLE))
        session.add(Customer(id=customer))
        session.commit()
        record(session, conversation, now - timedelta(minutes=30), [
            ("customer", "Labas", "greet"), ("bot", "Sveiki! Kuo galiu padėti?", None),
            ("customer", "kaip pakeisti sąskaitos adresą?", "?fallback"), ("bot", "Atsiprašau, nesupratau.", None),
            ("customer", "<b>noriu</b> žmogaus", "request_human")],
            customer_id=customer, handoff_reason="customer_request", steps=[("membership_form", "started")])
        escalation(session, conversation, now - timedelta(minutes=20), customer_id=customer)
        fallback_log(session, conversation, now - timedelta(minutes=29), "kaip pakeisti sąskaitos adresą?",
                     [{"name": "invoice_timing", "confidence": 0.42}])
        for n, (text, language) in enumerate([("Kaip pakeisti saskaitos adresa", "lt"),
                                              ("How do I change the invoice address?", "en"),
                                              ("how can I change the invoice address", "en"),
                                              ("ar veikia EOS R5 su Wi-Fi?", "lt")]):
            record(session, f"web:other-{suffix}-{n}", now - timedelta(hours=n + 1), [
                ("customer", text, "?fallback"), ("bot", "…", None)], language=language,
                satisfaction="helped" if n == 3 else None)
    return {"admin": f"admin-{suffix}", "agent": f"agent-{suffix}", "conversation": conversation, "customer": customer,
            "others": f"web:other-{suffix}-"}


@contextmanager
def console(browser, servers, username: str, locale: str, width: str = "wide") -> Iterator[Page]:
    w, h = WIDTHS[width]
    context = browser.new_context(viewport={"width": w, "height": h}, locale=locale, accept_downloads=True)
    context.set_default_timeout(30_000)
    page = context.new_page()
    try:
        page.goto(f"{servers.core_url}/agent/sign-in")
        page.locator("#username").fill(username)
        page.locator("#password").fill(PASSWORD)
        page.locator("#sign-in").click()
        expect(page.locator("#agent-name")).to_be_visible()
        yield page
    finally:
        context.close()


def shot(page: Page, name: str) -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(RESULTS / f"review-{name}.png"), full_page=True)


def fits(page: Page) -> None:
    """Nothing wider than the window (no sideways scrolling at 360 px)."""
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def test_search_and_read_a_transcript(browser, servers, world) -> None:
    with console(browser, servers, world["admin"], "en-GB") as page:
        page.goto(f"{servers.core_url}/agent/review")
        expect(page.locator("h1")).to_have_text("Conversation review")
        results = page.locator("#results li")
        assert results.count() >= 5
        # the world's sessions only (the servers also record the other browser tests' real conversations)
        page.locator("input[name=conversation]").fill(world["others"])
        page.locator("select[name=language]").select_option("en")
        page.locator("#search-button").click()
        expect(results).to_have_count(2)
        expect(results.first).to_have_attribute("data-language", "en")
        page.locator("input[name=conversation]").fill("")
        page.locator("select[name=language]").select_option("")
        page.locator("input[name=customer]").fill(world["customer"])
        page.locator("select[name=outcome]").select_option("handed_over")
        page.locator("#search-button").click()
        expect(results).to_have_count(1)
        shot(page, "search-wide")
        results.first.locator("a").click()
        transcript = page.locator("#transcript li")
        expect(transcript).to_have_count(5)
        expect(transcript.nth(2)).to_have_attribute("data-fallback", "true")
        expect(transcript.nth(4).locator(".text")).to_have_text("<b>noriu</b> žmogaus")  # shown as text
        expect(page.locator("#flow-steps")).to_contain_text("membership_form")
        shot(page, "transcript-wide")
    with console(browser, servers, world["admin"], "lt-LT", "narrow") as page:
        page.goto(f"{servers.core_url}/agent/review?customer={world['customer']}")
        expect(page.locator("h1")).to_have_text("Pokalbių peržiūra")
        fits(page)
        shot(page, "search-narrow")
        page.locator("#results li a").first.click()
        expect(page.locator("#transcript li")).to_have_count(5)
        fits(page)
        shot(page, "transcript-narrow")


def test_export_the_not_understood_as_nlu_yaml(browser, servers, world) -> None:
    with console(browser, servers, world["admin"], "lt-LT", "narrow") as page:
        page.goto(f"{servers.core_url}/agent/review/not-understood")
        groups = page.locator("#groups > li")
        first = groups.filter(has_text="pakeisti")
        expect(first).to_have_attribute("data-count", "2")  # the two spellings of one Lithuanian question
        expect(first.locator(".guess")).to_have_text(["invoice_timing"])
        fits(page)
        shot(page, "not-understood-narrow")
        first.locator("input[type=checkbox]").nth(0).check()
        first.locator("input[type=checkbox]").nth(1).check()
        first.locator("select").select_option("invoice_timing")
        english = groups.filter(has_text="invoice address")
        english.locator("input[type=checkbox]").first.check()
        english.locator("select").select_option("invoice_timing")
        with page.expect_download() as download:
            page.locator("#export-button").click()
        path = download.value.path()
        assert download.value.suggested_filename.startswith("nlu-review-")
        data = yaml.safe_load(open(path, encoding="utf-8").read())
        assert data["version"] == "3.1"
        [item] = data["nlu"]
        assert item["intent"] == "invoice_timing"
        examples = sorted(line[2:] for line in item["examples"].splitlines())
        assert examples[0] in ("How do I change the invoice address?", "how can I change the invoice address")
        assert examples[1:] == ["Kaip pakeisti saskaitos adresa", "kaip pakeisti sąskaitos adresą?"]


def test_an_agent_is_refused_in_their_language(browser, servers, world) -> None:
    with console(browser, servers, world["agent"], "lt-LT", "narrow") as page:
        response = page.goto(f"{servers.core_url}/agent/review")
        assert response.status == 403
        expect(page.locator("#error-message")).to_contain_text("tik administratoriams")
        fits(page)
        shot(page, "agent-refused-narrow")


def test_erase_a_customer_from_the_console(browser, servers, world, database) -> None:
    conversation = world["conversation"]
    tracker_url = f"{servers.rasa_url}/conversations/{conversation}/tracker"
    with database() as session:  # the session written by the world, and the recorder's of the real "Labas"
        sessions = remaining(session, conversation)["analytics_conversations"]
    with console(browser, servers, world["admin"], "en-GB") as page:
        page.goto(f"{servers.core_url}/agent/review?customer={world['customer']}")
        page.locator("#results li a").first.click()
        page.locator("#erase-customer").click()
        expect(page.locator("#erase-found")).to_have_text("1")
        shot(page, "erase-confirm-wide")
        page.locator("#erase-confirm").click()
        expect(page.locator("#erased")).to_have_attribute("data-tracker-conversations", "1")
        expect(page.locator("#erased")).to_have_attribute("data-sessions", str(sessions))
        shot(page, "erased-wide")
    with database() as session:
        assert set(remaining(session, conversation).values()) == {0}
    again = httpx.delete(tracker_url, params={"token": RASA_TOKEN}, timeout=30)
    assert again.json() == {"conversation_id": conversation, "deleted": False}  # gone from Rasa's store
