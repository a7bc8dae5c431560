"""The conversation review's pages at /agent/review through the real app (SQLite and PostgreSQL): admins only (an
agent gets 403 in their language, no session goes to sign-in), the search and transcript pages, the export form
and its YAML, the erasure's confirm page and action (CSRF, audited, Rasa asked), customer text escaped."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import yaml
from sqlalchemy import select, update

from bot.core.db.models import ADMIN_ROLE, Agent, AuditEntry
from tests.core.analytics_support import NOW, fallback_log, mentions, record, remaining
from tests.core.handoff_support import AgentBrowser, Env, env, handoff_client  # noqa: F401 - fixtures

PAGES = ["/agent/review", "/agent/review/not-understood", "/agent/review/erase",
         "/agent/review/erase?customer=demo-gold"]
ATTACK = "<script>alert('x')</script>"


def admin(env: Env, username: str = "vadove") -> AgentBrowser:
    browser = env.agent(username, "Vadovė")
    with env.sessions() as session:
        session.execute(update(Agent).where(Agent.username == username).values(role=ADMIN_ROLE))
        session.commit()
    return browser


def fill(env: Env) -> dict[str, int]:
    with env.sessions() as session:
        gold = record(session, "web:gold", NOW - timedelta(hours=3), [
            ("customer", "Kaip pakeisti sąskaitos adresą?", "?fallback"), ("bot", "Atsiprašau, nesupratau", None),
            ("customer", ATTACK, "?fallback")], customer_id="demo-gold", satisfaction="not_helped")
        other = record(session, "web:other", NOW - timedelta(hours=1), [
            ("customer", "kaip pakeisti saskaitos adresa", "?fallback"), ("customer", "labas", "greet")],
            language="en")
        fallback_log(session, "web:gold", NOW, "Kaip pakeisti sąskaitos adresą?",
                     [{"name": "invoice_timing", "confidence": 0.4}])
    return {"gold": gold.ref, "other": other.ref}


def test_only_admins_see_the_review(env: Env) -> None:
    refs = fill(env)
    agent = env.agent("ona")
    for path in [*PAGES, f"/agent/review/sessions/{refs['gold']}"]:
        refused = agent.get(path, headers={"Accept-Language": "lt"})
        assert refused.status_code == 403, path
        assert "tik administratoriams" in refused.text and "Kaip pakeisti" not in refused.text
    assert "administrators only" in agent.get("/agent/review", headers={"Accept-Language": "en"}).text
    for path, body in (("/agent/review/erase", {"customer": "demo-gold"}),
                       ("/agent/review/not-understood/export", {"pick_0_0": "x", "intent_0": "greet"})):
        assert agent.act(path, body).status_code == 403
    with env.sessions() as session:
        assert remaining(session, "web:gold")["analytics_conversations"] == 1
        assert session.scalars(select(AuditEntry)).all() == []
    assert env.rasa.of("delete") == []
    nobody = AgentBrowser(env.client, "nobody")
    for path in PAGES:
        assert nobody.get(path).headers["location"] == "/agent/sign-in"


def test_search_and_transcript_pages(env: Env) -> None:
    refs = fill(env)
    browser = admin(env)
    page = browser.get("/agent/review", headers={"Accept-Language": "en"})
    assert page.status_code == 200 and "Conversation review" in page.text
    assert re.findall(r'data-session-id="(\d+)"', page.text) == [str(refs["other"]), str(refs["gold"])]
    found = browser.get("/agent/review?customer=demo-gold&outcome=not_helped&language=lt")
    assert re.findall(r'data-session-id="(\d+)"', found.text) == [str(refs["gold"])]
    assert "Pokalbių peržiūra" in browser.get("/agent/review", headers={"Accept-Language": "lt"}).text
    transcript = browser.get(f"/agent/review/sessions/{refs['gold']}")
    assert transcript.status_code == 200
    assert ATTACK not in transcript.text and "&lt;script&gt;" in transcript.text
    assert transcript.text.count('data-fallback="true"') == 2
    assert "/agent/review/erase?customer=demo-gold" in transcript.text
    assert browser.get("/agent/review/sessions/999999").status_code == 404
    assert browser.get("/agent/review?start=garbage&page=-3&language=xx").status_code == 200


def test_the_not_understood_groups_and_the_export(env: Env) -> None:
    fill(env)
    browser = admin(env)
    page = browser.get("/agent/review/not-understood", headers={"Accept-Language": "en"})
    assert page.status_code == 200 and ATTACK not in page.text
    groups = re.findall(r'data-count="(\d+)"', page.text)
    assert groups == ["2", "1"]  # the two spellings of the same question together
    assert 'data-intent="invoice_timing"' in page.text
    picks = dict(re.findall(r'name="(pick_\d+_\d+)" value="([^"]*)"', page.text))
    assert len(picks) == 3
    body = {"pick_0_0": "Kaip pakeisti sąskaitos adresą?", "pick_0_1": "kaip pakeisti saskaitos adresa",
            "intent_0": "invoice_timing", "pick_1_0": ATTACK, "intent_1": ""}
    exported = browser.request("POST", "/agent/review/not-understood/export",
                               data={**body, "csrf_token": browser.csrf})
    assert exported.status_code == 200
    assert exported.headers["content-type"].startswith("application/x-yaml")
    assert exported.headers["content-disposition"].startswith('attachment; filename="nlu-review-')
    assert yaml.safe_load(exported.text) == {"version": "3.1", "nlu": [{
        "intent": "invoice_timing",
        "examples": "- Kaip pakeisti sąskaitos adresą?\n- kaip pakeisti saskaitos adresa\n"}]}
    unknown = browser.request("POST", "/agent/review/not-understood/export",
                              data={"pick_0_0": "x", "intent_0": "drop_tables", "csrf_token": browser.csrf})
    assert unknown.status_code == 422
    nothing = browser.request("POST", "/agent/review/not-understood/export",
                              data={"intent_0": "greet", "csrf_token": browser.csrf})
    assert nothing.status_code == 422
    forged = browser.request("POST", "/agent/review/not-understood/export", data=body)
    assert forged.status_code == 403


def test_erasing_from_the_console(env: Env) -> None:
    fill(env)
    env.rasa.trackers["web:gold"] = [{"event": "user"}]
    browser = admin(env)
    confirm = browser.get("/agent/review/erase?customer=demo-gold", headers={"Accept-Language": "lt"})
    assert confirm.status_code == 200 and 'id="erase-found">1<' in confirm.text
    assert 'name="customer" value="demo-gold"' in confirm.text
    with env.sessions() as session:  # the confirm page changes nothing
        assert remaining(session, "web:gold")["analytics_conversations"] == 1
    forged = browser.request("POST", "/agent/review/erase", data={"customer": "demo-gold"})
    assert forged.status_code == 403
    env.rasa.down = True
    failed = browser.request("POST", "/agent/review/erase", data={"customer": "demo-gold",
                                                                  "csrf_token": browser.csrf},
                             headers={"Accept-Language": "lt"})
    assert failed.status_code == 503 and "nieko neištrinta" in failed.text
    env.rasa.down = False
    done = browser.request("POST", "/agent/review/erase", data={"customer": "demo-gold", "csrf_token": browser.csrf})
    assert done.status_code == 200 and 'data-conversations="1"' in done.text and 'data-sessions="1"' in done.text
    assert [c[1] for c in env.rasa.of("delete")] == ["web:gold", "web:gold"]  # the failed try, then this one
    with env.sessions() as session:
        assert set(remaining(session, "web:gold").values()) == {0}
        assert mentions(session, "sąskaitos adresą?") == [] and mentions(session, ATTACK) == []
        assert remaining(session, "web:other")["analytics_conversations"] == 1
        audit = session.scalars(select(AuditEntry)).one()
        assert (audit.actor, audit.action, audit.subject) == ("agent:vadove", "erase_customer", "customer:demo-gold")
    one = browser.request("POST", "/agent/review/erase", data={"conversation": "web:other",
                                                               "csrf_token": browser.csrf})
    assert one.status_code == 200
    with env.sessions() as session:
        assert set(remaining(session, "web:other").values()) == {0}
    assert browser.request("POST", "/agent/review/erase", data={"csrf_token": browser.csrf}).status_code == 422


@pytest.mark.parametrize("language, words", [("lt", "Ketinimas šiai grupei"), ("en", "Intent for this group")])
def test_the_pages_speak_the_admins_language(env: Env, language: str, words: str) -> None:
    fill(env)
    browser = admin(env)
    assert words in browser.get("/agent/review/not-understood", headers={"Accept-Language": language}).text


def test_the_review_texts_exist_in_both_languages() -> None:
    from bot.core.console.texts.review import TEXTS

    assert set(TEXTS["lt"]) == set(TEXTS["en"]) and all(key.startswith("review_") for key in TEXTS["lt"])
    assert all(TEXTS["lt"][key] and TEXTS["en"][key] for key in TEXTS["lt"])
