"""The fallback log on SQLite and PostgreSQL: POST /fallbacks (service key, redaction, cap, 422s) and its review
in the agent console (/agent/fallbacks and /agent/api/fallbacks: signed-in agents only, newest first, paged,
customer text escaped)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlalchemy import select

from bot.core.db.models import FallbackMessage
from bot.core.domain.redaction import MAX_STORED_TEXT
from tests.core.handoff_support import (  # noqa: F401 - fixtures
    HEADERS,
    WORKING,
    AgentBrowser,
    Env,
    env,
    handoff_client,
)

GUESSES = [{"name": "ask_registration", "confidence": 0.21}, {"name": "ask_points", "confidence": 0.34},
           {"name": "greet", "confidence": 0.05}]


def record(env: Env, expect: int = 201, **change: Any) -> dict[str, Any]:
    payload = {"conversation_id": "conv-1", "channel": "socketio", "language": "lt",
               "text": "kaip gauti nuolaidą?", "top_intents": GUESSES, "fallback_in_a_row": 1, **change}
    response = env.client.post("/fallbacks", json=payload, headers=HEADERS)
    assert response.status_code == expect, response.text
    return response.json()


def stored(env: Env, fallback_id: int) -> FallbackMessage:
    with env.sessions() as session:
        return session.get(FallbackMessage, fallback_id)


# ------------------------------------------------------------------ POST /fallbacks


def test_a_fallback_is_stored_redacted_with_the_guesses_best_first(env: Env) -> None:
    body = record(env, conversation_id="conv-7", channel="whatsapp", language="en", fallback_in_a_row=2,
                  text="my mail is jonas@imone.lt, call +370 612 34567 about card 4111-1111-1111-1111")
    assert set(body) == {"id"}
    row = stored(env, body["id"])
    assert row.text == "my mail is [e-mail], call [number] about card [number]"
    assert (row.conversation_id, row.channel, row.language, row.fallback_in_a_row) == ("conv-7", "whatsapp", "en", 2)
    assert [g["name"] for g in row.top_intents] == ["ask_points", "ask_registration", "greet"]
    assert row.top_intents[0] == {"name": "ask_points", "confidence": 0.34}
    assert row.created_at.replace(tzinfo=WORKING.tzinfo) == WORKING  # the app's clock, UTC


def test_a_phone_number_as_the_conversation_id_is_hidden(env: Env) -> None:
    # WhatsApp's conversation id is the customer's phone number
    body = record(env, conversation_id="37061234567", channel="whatsapp", text="blrg")
    assert stored(env, body["id"]).conversation_id == "[number]"


def test_no_guesses_is_an_empty_list(env: Env) -> None:
    body = record(env, top_intents=[])
    assert stored(env, body["id"]).top_intents == []


def test_long_text_is_redacted_then_capped(env: Env) -> None:
    text = "a" * 990 + " 4111 1111 1111 1111 " + "b" * 5000
    row = stored(env, record(env, text=text)["id"])
    assert len(row.text) == MAX_STORED_TEXT and row.text.endswith("…")
    assert not re.search(r"\d", row.text)  # the cut never leaves part of the number behind


def test_nul_characters_are_dropped(env: Env) -> None:
    assert stored(env, record(env, text="a\x00b")["id"]).text == "ab"


@pytest.mark.parametrize("change, field", [
    ({"language": "de"}, "language"),
    ({"text": ""}, "text"),
    ({"text": "x" * 10_001}, "text"),
    ({"text": None}, "text"),
    ({"top_intents": GUESSES + [{"name": "goodbye", "confidence": 0.01}]}, "top_intents"),
    ({"top_intents": [{"name": "greet", "confidence": 1.5}]}, "top_intents.0.confidence"),
    ({"top_intents": [{"name": "", "confidence": 0.5}]}, "top_intents.0.name"),
    ({"top_intents": [{"confidence": 0.5}]}, "top_intents.0.name"),
    ({"fallback_in_a_row": 0}, "fallback_in_a_row"),
    ({"channel": "web chat!"}, "channel"),
    ({"conversation_id": ""}, "conversation_id"),
    ({"conversation_id": "x" * 513}, "conversation_id"),
])
def test_invalid_bodies_are_422_problems(env: Env, change: dict[str, Any], field: str) -> None:
    body = record(env, expect=422, **change)
    assert body["detail"]["code"] == "invalid_request" and field in body["detail"]["fields"]
    with env.sessions() as session:
        assert session.scalars(select(FallbackMessage)).first() is None


def test_a_missing_field_is_named(env: Env) -> None:
    response = env.client.post("/fallbacks", json={"conversation_id": "c"}, headers=HEADERS)
    assert response.status_code == 422
    assert {"channel", "language", "text", "fallback_in_a_row"} <= set(response.json()["detail"]["fields"])


@pytest.mark.parametrize("key", [None, "wrong"])
def test_the_service_key_is_required(env: Env, key: str | None) -> None:
    headers = {} if key is None else {"X-Service-Key": key}
    response = env.client.post("/fallbacks", json={"text": "x"}, headers=headers)
    assert response.status_code == 401 and response.json()["detail"]["code"] == "invalid_service_key"


# ------------------------------------------------------------------ the review in the console


def test_signed_out_the_page_sends_to_sign_in_and_the_json_is_401(env: Env) -> None:
    record(env)
    browser = AgentBrowser(env.client, "nobody")
    page = browser.get("/agent/fallbacks")
    assert page.status_code == 303 and page.headers["location"] == "/agent/sign-in"
    response = browser.get("/agent/api/fallbacks")
    assert response.status_code == 401 and response.json()["detail"]["code"] == "not_signed_in"


def test_the_page_lists_the_messages_newest_first_with_their_facts(env: Env) -> None:
    older = record(env, text="kur mano sąskaita?", language="lt", channel="socketio")
    env.clock.advance(minutes=5)
    newer = record(env, text="what about tel 861234567?", language="en", channel="whatsapp",
                   fallback_in_a_row=2, top_intents=[])
    page = env.agent("ona").get("/agent/fallbacks")
    assert page.status_code == 200 and "Unrecognised messages" in page.text
    ids = [int(i) for i in re.findall(r'data-fallback-id="(\d+)"', page.text)]
    assert ids == [newer["id"], older["id"]]
    assert "what about tel [number]?" in page.text and "861234567" not in page.text
    assert "kur mano sąskaita?" in page.text and "2026-12-02 08:00 UTC" in page.text
    assert 'data-language="en"' in page.text and "whatsapp" in page.text and "2 in a row" in page.text
    assert "ask_points 34%" in page.text and "Guesses: none" in page.text
    assert 'id="older"' not in page.text and 'id="newest"' not in page.text  # one page only


def test_pages_of_fifty_and_the_json_pages(env: Env) -> None:
    ids = [record(env, text=f"klausimas nr. {n}")["id"] for n in range(53)]
    agent = env.agent("ona")
    first = agent.get("/agent/fallbacks")
    shown = [int(i) for i in re.findall(r'data-fallback-id="(\d+)"', first.text)]
    assert shown == ids[::-1][:50]
    link = re.search(r'href="/agent/fallbacks\?before_id=(\d+)" id="older"', first.text)
    assert link and int(link.group(1)) == shown[-1]
    second = agent.get(f"/agent/fallbacks?before_id={link.group(1)}")
    assert [int(i) for i in re.findall(r'data-fallback-id="(\d+)"', second.text)] == ids[2::-1]
    assert 'id="older"' not in second.text and 'href="/agent/fallbacks" id="newest"' in second.text

    api = agent.get("/agent/api/fallbacks?limit=20").json()
    assert [f["id"] for f in api["fallbacks"]] == ids[::-1][:20] and api["next_before_id"] == ids[-20]
    rest = agent.get(f"/agent/api/fallbacks?limit=200&before_id={api['next_before_id']}").json()
    assert [f["id"] for f in rest["fallbacks"]] == ids[-21::-1] and rest["next_before_id"] is None
    item = rest["fallbacks"][0]
    assert set(item) == {"id", "created_at", "conversation_id", "channel", "language", "language_name", "text",
                         "top_intents", "fallback_in_a_row"}
    assert item["created_at"] == "2026-12-02T08:00:00+00:00"


@pytest.mark.parametrize("query", ["limit=0", "limit=201", "limit=x", "before_id=0", "before_id=-5"])
def test_bad_paging_is_a_422_problem(env: Env, query: str) -> None:
    response = env.agent("ona").get(f"/agent/api/fallbacks?{query}")
    assert response.status_code == 422 and response.json()["detail"]["code"] == "invalid_request"


def test_customer_markup_is_shown_as_text(env: Env) -> None:
    record(env, text="<script>alert('x')</script> <img src=x onerror=\"alert(1)\">",
           top_intents=[{"name": "<b>bold</b>", "confidence": 0.4}], conversation_id="<svg onload=alert(2)>")
    page = env.agent("ona").get("/agent/fallbacks")
    for dangerous in ("<script>alert", "<img src=x", "<b>bold", "<svg"):
        assert dangerous not in page.text
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &lt;img src=x onerror=&#34;alert(1)&#34;&gt;" in page.text
    assert "&lt;b&gt;bold&lt;/b&gt; 40%" in page.text
    assert page.text.count("<script") == 1  # only the console's own script tag


def test_the_console_navigation_links_the_review(env: Env) -> None:
    agent = env.agent("ona")
    for path in ("/agent", "/agent/fallbacks"):
        page = agent.get(path)
        assert '<a href="/agent/fallbacks" id="nav-fallbacks">Unrecognised messages</a>' in page.text
        assert '<a href="/agent" id="nav-queue">Queue</a>' in page.text
    assert 'id="nav-fallbacks"' not in env.client.get("/agent/sign-in").text  # signed out: no navigation
