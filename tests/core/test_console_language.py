"""The console in Lithuanian and English, through the real app: every texts module has the same keys and
placeholders in both languages; each page in one language shows no fixed text of the other; the language comes
from the cookie, else Accept-Language, else Lithuanian; the header's switch (CSRF, same-site redirect only); the
admin's links; refusals in the agent's language."""

from __future__ import annotations

import html
import importlib
import json
import pkgutil
import re
from functools import lru_cache
from html.parser import HTMLParser

import pytest
from sqlalchemy import select

from bot.core.console import texts as console_texts
from bot.core.console.router import ago, same_site_path
from bot.core.console.system_notes import system_text
from bot.core.console.texts import texts
from bot.core.db.models import ADMIN_ROLE, Agent
from bot.core.handoff import service
from bot.core.tokens import make_customer_token
from bot.vocabulary import HANDOFF_REASON_TITLES_BY_LANGUAGE, HANDOFF_REASONS, LANGUAGES
from tests.core.conftest import TOKEN_SECRET
from tests.core.handoff_support import (  # noqa: F401 - fixtures
    HEADERS,
    SATURDAY,
    AgentBrowser,
    Env,
    env,
    handoff_client,
)

PLACEHOLDER = re.compile(r"\{(\w+)\}")
LITHUANIAN_LETTERS = re.compile("[ąčęėįšųūžĄČĘĖĮŠŲŪŽ]")
# keys whose text is rightly the same in both languages (a format's name, a sign)
SAME_IN_BOTH = {"dashboard_download_json", "dashboard_none", "dashboard_col_percent"}
SHOWN_ATTRIBUTES = ("title", "aria-label", "placeholder", "alt", "value")


# ------------------------------------------------------------------ the texts modules


def texts_modules() -> list[str]:
    return [module.name for module in pkgutil.iter_modules(console_texts.__path__)]


@pytest.mark.parametrize("name", texts_modules())
def test_every_texts_module_has_both_languages_with_the_same_keys_and_placeholders(name: str) -> None:
    """Any module in bot/core/console/texts, also one another page adds later."""
    module = importlib.import_module(f"bot.core.console.texts.{name}").TEXTS
    assert set(module) == set(LANGUAGES), name
    lt, en = module["lt"], module["en"]
    assert set(lt) == set(en), (name, set(lt) ^ set(en))
    for key in lt:
        assert isinstance(lt[key], str) and lt[key].strip() and isinstance(en[key], str) and en[key].strip(), key
        assert set(PLACEHOLDER.findall(lt[key])) == set(PLACEHOLDER.findall(en[key])), key
        assert lt[key] != en[key] or key in SAME_IN_BOTH, f"{key!r} is not translated"


def test_the_merged_texts_have_no_key_twice_and_every_reason_has_a_title() -> None:
    lt, en = texts("lt"), texts("en")
    assert set(lt) == set(en)
    for language in LANGUAGES:
        assert set(HANDOFF_REASON_TITLES_BY_LANGUAGE[language]) == set(HANDOFF_REASONS)
        for reason in HANDOFF_REASONS:
            assert texts(language)[f"reason_{reason}"] == HANDOFF_REASON_TITLES_BY_LANGUAGE[language][reason]
    assert lt["reason_payment_problem"] == "Mokėjimo problema" and en["reason_payment_problem"] == "Payment problem"


def test_relative_times_in_both_languages() -> None:
    from datetime import UTC, datetime, timedelta

    now = datetime(2026, 12, 2, 8, 0, tzinfo=UTC)
    for seconds, lt, en in ((30, "ką tik", "just now"), (300, "prieš 5 min.", "5 min ago"),
                            (7500, "prieš 2 val. 5 min.", "2 h 5 min ago"), (3 * 86400, "prieš 3 d.", "3 d ago")):
        moment = (now - timedelta(seconds=seconds)).isoformat()
        assert ago(moment, now, texts("lt")) == lt and ago(moment, now, texts("en")) == en


@pytest.mark.parametrize("stored, lithuanian", [
    ("Handed over by the assistant: the customer asked for a person.",
     "Asistentas perdavė pokalbį: klientas paprašė žmogaus."),
    ("Handed over by the assistant: a payment problem. Outside the support hours.",
     "Asistentas perdavė pokalbį: mokėjimo problema. Ne darbo metu."),
    ("Ona K. took over the conversation.", "Ona K. perėmė pokalbį."),
    ("Ona closed the conversation: Jonas took over the conversation.\nOK",
     "Ona uždarė pokalbį: Jonas took over the conversation.\nOK"),
    (service.LEFT_NOTE, "Klientas pradėjo naują pokalbį pokalbių lange: atsakymai čia jo nebepasieks."),
    ("A note from elsewhere.", "A note from elsewhere."),
])
def test_system_notes_are_shown_in_the_agents_language(stored: str, lithuanian: str) -> None:
    assert system_text(stored, texts("lt")) == lithuanian
    assert system_text(stored, texts("en")) == stored  # the English texts say what the service stores


# ------------------------------------------------------------------ no text of the other language


class ShownText(HTMLParser):
    """The texts of a page a person meets: text nodes and shown attributes, without what came from the data
    (messages, notes, conversation ids) and without parts marked with another `lang` (the language switch)."""

    VOID = {"meta", "link", "input", "br", "img", "hr", "source", "wbr"}

    def __init__(self, language: str) -> None:
        super().__init__()
        self.language, self.found, self.stack = language, [], []

    def _skipped(self) -> bool:
        return any(self.stack)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        classes = (values.get("class") or "").split()
        skip = (tag in ("code", "script", "style") or "text" in classes or "note" in classes
                or values.get("lang", self.language) != self.language)
        if not skip and not self._skipped() and not (tag == "input" and values.get("type") == "hidden"):
            self.found += [value for name, value in attrs if name in SHOWN_ATTRIBUTES and value]
        if tag not in self.VOID:
            self.stack.append(skip)

    def handle_endtag(self, tag: str) -> None:
        if tag not in self.VOID and self.stack:
            self.stack.pop()

    def handle_data(self, data: str) -> None:
        if data.strip() and not self._skipped():
            self.found.append(data.strip())


def shown_texts(page: str, language: str) -> list[str]:
    parser = ShownText(language)
    parser.feed(page)
    title = re.search(r"<title>(.*?)</title>", page, re.S)
    return parser.found + ([title.group(1)] if title else [])


@lru_cache(maxsize=2)
def phrases_only_in(language: str) -> tuple[re.Pattern[str], ...]:
    """The fixed parts of `language`'s console texts ("uždarė {name}" gives "uždarė") that no text of the other
    language has, as whole-word patterns."""
    other = "en" if language == "lt" else "lt"
    theirs = " \n ".join(texts(other).values())
    found = set()
    for text in texts(language).values():
        for part in PLACEHOLDER.split(text)[::2]:
            part = part.strip(" ,:;()·←→")
            if len(part) >= 4 and not re.search(rf"(?<!\w){re.escape(part)}(?!\w)", theirs):
                found.add(part)
    return tuple(re.compile(rf"(?<!\w){re.escape(p)}(?!\w)") for p in sorted(found))


def foreign_texts(page: str, language: str, data: tuple[str, ...] = ()) -> list[tuple[str, str]]:
    """The texts of `page` that belong to the other language: its phrases (and Lithuanian letters in English)."""
    other = "en" if language == "lt" else "lt"
    problems = []
    for text in shown_texts(page, language):
        for value in data:
            text = text.replace(value, " ")
        problems += [(p.pattern, text) for p in phrases_only_in(other) if p.search(text)]
        if language == "en" and LITHUANIAN_LETTERS.search(text):
            problems.append(("letters", text))
    return problems


def every_page(env: Env, language: str) -> dict[str, str]:
    """Every console page, with every state shown: the queue (waiting, out of hours, mine, a colleague's, closed),
    an escalation with a verified customer's account and a reply, the fallback log, the sign-in page with an
    error, the error page."""
    env.clock.now = SATURDAY
    out_of_hours = env.escalate("conv-0", language="en", reason="payment_problem")
    env.clock.advance(days=2, hours=-4)  # Monday 08:00 UTC
    escalations = [env.escalate(f"conv-{n}", reason=reason,
                                customer_token=make_customer_token("demo-missing", TOKEN_SECRET))
                   for n, reason in enumerate(("fallback", "priority_support", "customer_request"), start=1)]
    env.client.post("/fallbacks", headers=HEADERS, json={
        "conversation_id": "conv-9", "channel": "socketio", "language": "lt", "text": "kaip?",
        "top_intents": [{"name": "greet", "confidence": 0.3}], "fallback_in_a_row": 2})
    env.client.post("/fallbacks", headers=HEADERS, json={
        "conversation_id": "conv-9", "channel": "socketio", "language": "en", "text": "hm", "top_intents": [],
        "fallback_in_a_row": 1})
    ona = env.agent("ona", "Ona")
    jonas = env.agent("jonas", "Jonas")
    for browser in (ona, jonas):
        browser.accept_language = language
    assert ona.claim(escalations[0]["id"]).status_code == 200
    assert ona.reply(escalations[0]["id"], "Sveiki").status_code == 201
    assert jonas.claim(escalations[1]["id"]).status_code == 200
    assert jonas.claim(escalations[2]["id"]).status_code == 200 and jonas.close(escalations[2]["id"]).status_code == 200
    env.clock.advance(minutes=7)
    signed_out = AgentBrowser(env.client, "ona", accept_language=language)
    pages = {
        "queue": ona.get("/agent"),
        "escalation": ona.get(f"/agent/escalations/{escalations[0]['id']}"),
        "escalation_waiting": ona.get(f"/agent/escalations/{out_of_hours['id']}"),
        "escalation_closed": ona.get(f"/agent/escalations/{escalations[2]['id']}"),
        "fallbacks": ona.get("/agent/fallbacks"),
        "fallbacks_older": ona.get("/agent/fallbacks?before_id=1"),
        "sign_in": signed_out.sign_in(password="wrong password!"),
        "error": ona.get("/agent/escalations/999999"),
    }
    return {name: response.text for name, response in pages.items()}


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_page_shows_only_its_language(env: Env, language: str) -> None:
    pages = every_page(env, language)
    data = ("demo-missing", "Ona", "Jonas", "Sveiki", "Solved.")
    for name, page in pages.items():
        assert f'<html lang="{language}">' in page, name
        assert foreign_texts(page, language, data) == [], name
        scripts = json.loads(html.unescape(re.search(r'data-texts="([^"]*)"', page).group(1)))
        assert scripts == dict(texts(language)), name  # console.js gets this language's texts
    t = texts(language)
    assert t["ago_minutes"].format(minutes=7) in pages["queue"]  # waiting for 7 minutes
    assert t["reason_priority_support"] in pages["queue"] and t["out_of_hours"] in pages["queue"]
    assert t["sign_in_wrong"] in pages["sign_in"] and t["error_no_such_escalation"] in pages["error"]
    assert t["product_field_serial_number"] in pages["escalation"] and t["delivery_pending"] in pages["escalation"]
    assert t["system_took_over"].format(agent="Ona") in pages["escalation"]
    assert t["system_closed"].format(agent="Jonas", note="Solved.") in pages["escalation_closed"]


def test_the_phrase_check_finds_english_in_a_lithuanian_page() -> None:
    """The check above can fail: an English word of the console in a Lithuanian page is found."""
    page = '<html lang="lt"><body><h1>Eilė</h1><p>waiting since <time>prieš 5 min.</time></p></body></html>'
    assert {text for _, text in foreign_texts(page, "lt")} == {"waiting since"}
    english = '<html lang="en"><body><h1>Queue</h1><span>laukia</span><p class="text">laukia</p></body></html>'
    assert {text for _, text in foreign_texts(english, "en")} == {"laukia"}


# ------------------------------------------------------------------ choosing the language


def test_the_language_comes_from_the_cookie_else_accept_language_else_lithuanian(env: Env) -> None:
    def language_of(headers: dict[str, str]) -> str:
        page = env.client.get("/agent/sign-in", headers=headers)
        env.client.cookies.clear()
        return re.search(r'<html lang="(\w+)">', page.text).group(1)

    assert language_of({}) == "lt"
    assert language_of({"Accept-Language": "en-GB,en;q=0.9"}) == "en"
    assert language_of({"Accept-Language": "de-DE,en;q=0.5"}) == "en"
    assert language_of({"Accept-Language": "lt-LT,lt;q=0.9,en;q=0.8"}) == "lt"
    assert language_of({"Accept-Language": "fr"}) == "lt"
    assert language_of({"Accept-Language": "en", "Cookie": "console_language=lt"}) == "lt"
    assert language_of({"Cookie": "console_language=en"}) == "en"
    assert language_of({"Accept-Language": "en", "Cookie": "console_language=xx"}) == "en"


def test_the_switch_on_the_sign_in_page_sets_the_cookie_and_comes_back(env: Env) -> None:
    browser = AgentBrowser(env.client, "ona", accept_language=None)
    page = browser.get("/agent/sign-in")
    assert '<html lang="lt">' in page.text and 'id="language-switch"' in page.text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    switched = browser.request("POST", "/agent/language", data={
        "csrf_token": token, "language": "en", "next": "/agent/sign-in"})
    assert switched.status_code == 303 and switched.headers["location"] == "/agent/sign-in"
    cookie = next(h for h in switched.headers.get_list("set-cookie") if h.startswith("console_language="))
    assert "HttpOnly" in cookie and "Path=/agent" in cookie and "Max-Age=31536000" in cookie
    page = browser.get("/agent/sign-in")
    assert '<html lang="en">' in page.text and "Agent sign-in" in page.text
    # without the form's token nothing changes
    refused = browser.request("POST", "/agent/language", data={"csrf_token": "forged", "language": "lt"})
    assert refused.status_code == 403 and browser.cookies["console_language"] == "en"


def test_the_switch_when_signed_in_needs_the_sessions_token(env: Env) -> None:
    env.escalate("conv-1")
    agent = env.agent("ona")
    agent.accept_language = None
    assert '<html lang="lt">' in agent.get("/agent").text
    refused = agent.request("POST", "/agent/language", data={"csrf_token": "forged", "language": "en"})
    assert refused.status_code == 403 and "console_language" not in agent.cookies
    sign_in_token = agent.request("POST", "/agent/language", data={"csrf_token": "", "language": "en"})
    assert sign_in_token.status_code == 403
    switched = agent.request("POST", "/agent/language", data={
        "csrf_token": agent.csrf, "language": "en", "next": "/agent/fallbacks?before_id=5"})
    assert switched.status_code == 303 and switched.headers["location"] == "/agent/fallbacks?before_id=5"
    page = agent.get("/agent").text
    assert "<html lang=\"en\">" in page and "Niekas nelaukia." not in page and ">Waiting <span" in page
    assert agent.request("POST", "/agent/language", data={
        "csrf_token": agent.csrf, "language": "de"}).status_code == 422
    back = agent.request("POST", "/agent/language", data={"csrf_token": agent.csrf, "language": "lt"})
    assert back.headers["location"] == "/agent" and '<html lang="lt">' in agent.get("/agent").text


@pytest.mark.parametrize("target", [
    "https://evil.example/agent", "//evil.example/agent", "/\\evil.example", "\\\\evil.example/agent",
    "/agentx", "/static/x", "agent", "", None, "/agent/../../x\r\nSet-Cookie: a=b", "http:/agent",
    "/agent#x", "/ agent", "javascript:alert(1)//agent", "/agent/../x", "/agent/%2E%2e/x", "/agent/./fallbacks",
])
def test_the_switch_never_redirects_off_the_console(target: str | None) -> None:
    assert same_site_path(target) == "/agent"


@pytest.mark.parametrize("target", ["/agent", "/agent/fallbacks?before_id=5", "/agent/escalations/3",
                                    "/agent/dashboard?from=2026-12-01&language=lt", "/agent/review"])
def test_the_switch_comes_back_to_a_console_page(target: str) -> None:
    assert same_site_path(target) == target


# ------------------------------------------------------------------ navigation and refusals


def test_only_admins_see_the_dashboard_and_review_links(env: Env) -> None:
    agent = env.agent("ona")
    admin = env.agent("rasa")
    with env.sessions() as session:
        session.scalars(select(Agent).where(Agent.username == "rasa")).one().role = ADMIN_ROLE
        session.commit()
    for browser, shown in ((agent, False), (admin, True)):
        for path in ("/agent", "/agent/fallbacks"):
            page = browser.get(path).text
            assert ('href="/agent/dashboard" id="nav-dashboard"' in page) is shown, (browser.username, path)
            assert ('href="/agent/review" id="nav-review"' in page) is shown, (browser.username, path)
    admin.accept_language = "lt"
    page = admin.get("/agent").text
    assert ">Suvestinė</a>" in page and ">Pokalbių peržiūra</a>" in page


def test_refusals_are_in_the_agents_language(env: Env) -> None:
    escalation = env.escalate("conv-1")
    ona, jonas = env.agent("ona", "Ona"), env.agent("jonas", "Jonas")
    ona.accept_language = jonas.accept_language = "lt"
    assert ona.claim(escalation["id"]).status_code == 200

    def message(response) -> str:
        return response.json()["detail"]["message"]

    assert message(jonas.claim(escalation["id"])) == "Šį kreipinį jau perėmė Ona."
    assert message(ona.claim(escalation["id"])) == "Šį kreipinį jau perėmėte jūs."
    assert message(jonas.reply(escalation["id"], "x")) == "Tai gali padaryti tik kreipinį perėmęs agentas."
    assert message(ona.reply(escalation["id"], " ")) == "Atsakymas turi būti nuo 1 iki 4000 simbolių."
    assert message(ona.act(f"/agent/escalations/{escalation['id']}/close", csrf="wrong")) == (
        "Puslapis pasenęs: įkelkite jį iš naujo ir bandykite dar kartą.")
    assert message(ona.claim(999999)) == "Tokio kreipinio nėra."
    jonas.accept_language = "en"
    assert message(jonas.claim(escalation["id"])) == "This escalation was already claimed by Ona."
    assert message(AgentBrowser(env.client, "x", accept_language="lt").act("/agent/sign-out")) == "Prisijunkite."


def test_the_sign_in_throttle_says_when_in_lithuanian(env: Env) -> None:
    env.agent("ona")
    browser = AgentBrowser(env.client, "ona", accept_language="lt")
    for _ in range(10):
        refused = browser.sign_in(password="wrong password!")
        if refused.status_code == 429:
            break
    assert refused.status_code == 429
    assert re.search(r"Per daug nesėkmingų bandymų prisijungti\. Bandykite dar kartą po \d+ (s|min)\.", refused.text)
