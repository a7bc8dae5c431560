"""The escalation routes the action server calls (service key), on SQLite and PostgreSQL: creation (idempotent,
customer from the token, queue position and wait, support hours with an injected clock), the open escalation of
a conversation, and deliveries handed out once."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from bot.conversation_ids import conversation_key, path_segment
from bot.core.db.models import Escalation, EscalationMessage
from bot.core.handoff import service
from bot.core.tokens import make_customer_token
from tests.core.conftest import TOKEN_SECRET
from tests.core.handoff_support import (  # noqa: F401 - fixtures
    CHAT_KEY_SECRET,
    HEADERS,
    SATURDAY,
    WORKING,
    Env,
    count_rows,
    env,
    handoff_client,
)

TRANSCRIPT = [
    {"sender": "customer", "text": "Labas, man reikia pagalbos", "timestamp": 1764662400.125},
    {"sender": "bot", "text": "Kuo galiu padėti?", "timestamp": 1764662401.5},
    {"sender": "customer", "text": "Noriu kalbėti su žmogumi", "timestamp": 1764662410.75},
]


def messages_of(env: Env, escalation_id: int) -> list[tuple[str, str]]:
    with env.sessions() as session:
        return [(m.sender, m.text) for m in service.messages_of(session, escalation_id)]


# ------------------------------------------------------------------ creation


def test_creation_stores_the_escalation_and_transcript(env: Env) -> None:
    body = env.escalate("conv-1", transcript=TRANSCRIPT, reason="fallback", language="en", channel="whatsapp")
    assert body["status"] == "waiting" and body["queue_position"] == 1 and body["estimated_wait_minutes"] == 5
    assert body["in_working_hours"] is True and body["next_opening"] is None and body["out_of_hours"] is False
    assert (body["conversation_id"], body["channel"], body["language"], body["reason"]) == (
        "conv-1", "whatsapp", "en", "fallback")
    assert body["customer_verified"] is False
    stored = messages_of(env, body["id"])
    assert stored[:3] == [(t["sender"], t["text"]) for t in TRANSCRIPT]
    assert stored[3][0] == "system"


def test_the_first_system_note_names_the_reason(env: Env) -> None:
    body = env.escalate("conv-1", transcript=TRANSCRIPT, reason="customer_request")
    note = "Handed over by the assistant: the customer asked for a person."
    assert messages_of(env, body["id"])[-1] == ("system", note)
    env.clock.now = SATURDAY
    weekend = env.escalate("conv-2", reason="payment_problem")
    assert messages_of(env, weekend["id"])[-1] == (
        "system", "Handed over by the assistant: a payment problem. Outside the support hours.")


def test_a_repeat_returns_the_open_escalation_and_adds_nothing(env: Env) -> None:
    first = env.escalate("conv-1", transcript=TRANSCRIPT)
    again = env.escalate("conv-1", expect=200, transcript=TRANSCRIPT + [
        {"sender": "customer", "text": "hello?", "timestamp": 1764662420.0}])
    assert again["id"] == first["id"] and again["status"] == "waiting"
    assert len(messages_of(env, first["id"])) == len(TRANSCRIPT) + 1
    assert count_rows(env.database_url, Escalation) == 1


def test_concurrent_creations_make_one_escalation(env: Env) -> None:
    barrier = threading.Barrier(4)

    def create(_: int) -> int:
        barrier.wait()
        response = env.client.post("/escalations", headers=HEADERS, json={
            "conversation_id": "conv-race", "channel": "rest", "language": "lt", "reason": "customer_request",
            "transcript": TRANSCRIPT})
        return response.status_code

    with ThreadPoolExecutor(4) as pool:
        statuses = sorted(pool.map(create, range(4)))
    assert statuses == [200, 200, 200, 201]
    assert count_rows(env.database_url, Escalation) == 1
    assert count_rows(env.database_url, EscalationMessage, EscalationMessage.sender == "customer") == 2


def test_a_valid_token_names_the_customer(env: Env) -> None:
    token = make_customer_token("demo-2000", TOKEN_SECRET)
    body = env.escalate("conv-1", customer_token=token)
    assert body["customer_verified"] is True
    with env.sessions() as session:
        assert session.get(Escalation, body["id"]).customer_id == "demo-2000"


@pytest.mark.parametrize("token", [
    make_customer_token("demo-2000", TOKEN_SECRET, datetime.now(UTC) - timedelta(days=60)),  # expired
    make_customer_token("demo-2000", "another-secret-0123456789abcdef-xyz"),  # forged
    make_customer_token("nobody-known", TOKEN_SECRET),  # no such customer
    "not-a-jwt",
    "",
])
def test_a_bad_token_gives_an_anonymous_escalation(env: Env, token: str) -> None:
    body = env.escalate("conv-1", customer_token=token)
    assert body["customer_verified"] is False
    with env.sessions() as session:
        assert session.get(Escalation, body["id"]).customer_id is None


def test_queue_positions_and_waits_follow_creation_order(env: Env) -> None:
    ids = []
    for n in range(3):
        ids.append(env.escalate(f"conv-{n}")["id"])
        env.clock.advance(seconds=30)
    positions = [env.client.get(f"/escalations/by-conversation/conv-{n}", headers=HEADERS).json() for n in range(3)]
    assert [(p["queue_position"], p["estimated_wait_minutes"]) for p in positions] == [(1, 5), (2, 10), (3, 15)]
    with env.sessions() as session:  # the first is claimed: the others move up, it is no longer queued
        session.get(Escalation, ids[0]).status = "claimed"
        session.commit()
    now = [env.client.get(f"/escalations/by-conversation/conv-{n}", headers=HEADERS).json() for n in range(3)]
    assert [(p["status"], p["queue_position"], p["estimated_wait_minutes"]) for p in now] == [
        ("claimed", 0, 0), ("waiting", 1, 5), ("waiting", 2, 10)]


def test_out_of_hours_tells_when_the_team_is_back(env: Env) -> None:
    env.clock.now = SATURDAY
    body = env.escalate("conv-weekend")
    assert body["in_working_hours"] is False and body["out_of_hours"] is True
    assert body["next_opening"] == "2026-12-07T08:00:00+02:00"  # Monday 08:00 in Vilnius, with its offset
    assert datetime.fromisoformat(body["next_opening"]).astimezone(UTC) == datetime(2026, 12, 7, 6, 0, tzinfo=UTC)
    assert body["queue_position"] == 1
    env.clock.now = datetime(2026, 12, 7, 6, 0, tzinfo=UTC)
    later = env.client.get("/escalations/by-conversation/conv-weekend", headers=HEADERS).json()
    assert later["in_working_hours"] is True and later["next_opening"] is None and later["out_of_hours"] is True


def test_in_hours_at_the_opening_minute(env: Env) -> None:
    env.clock.now = datetime(2026, 12, 2, 6, 0, tzinfo=UTC)  # 08:00 in Vilnius
    assert env.escalate("conv-a")["in_working_hours"] is True
    env.clock.now = datetime(2026, 12, 2, 15, 0, tzinfo=UTC)  # 17:00: closed
    body = env.escalate("conv-b")
    assert body["in_working_hours"] is False and body["next_opening"] == "2026-12-03T08:00:00+02:00"


@pytest.mark.parametrize("change", [
    {"language": "de"},
    {"reason": "bored"},
    {"channel": "web chat!"},
    {"conversation_id": ""},
    {"conversation_id": "x" * 513},
    {"transcript": [{"sender": "agent", "text": "hi", "timestamp": 1.0}]},
    {"transcript": [{"sender": "customer", "text": "hi", "timestamp": -1}]},
])
def test_invalid_bodies_are_422(env: Env, change: dict) -> None:
    payload = {"conversation_id": "c", "channel": "rest", "language": "lt", "reason": "fallback", **change}
    response = env.client.post("/escalations", json=payload, headers=HEADERS)
    assert response.status_code == 422, response.text
    assert response.json()["detail"]["code"] == "invalid_request"


def test_a_not_a_number_timestamp_is_422(env: Env) -> None:
    raw = ('{"conversation_id": "c", "channel": "rest", "language": "lt", "reason": "fallback", '
           '"transcript": [{"sender": "customer", "text": "x", "timestamp": NaN}]}')
    response = env.client.post("/escalations", content=raw,
                               headers={**HEADERS, "Content-Type": "application/json"})
    assert response.status_code == 422


def test_nul_characters_do_not_break_the_database(env: Env) -> None:
    body = env.escalate("conv-nul", transcript=[{"sender": "customer", "text": "a\x00b", "timestamp": 5.0}])
    assert ("customer", "ab") in messages_of(env, body["id"])
    response = env.client.get("/escalations/by-conversation/a%00b", headers=HEADERS)
    assert response.status_code == 422


@pytest.mark.parametrize("method, path", [
    ("POST", "/escalations"),
    ("GET", "/escalations/by-conversation/conv-1"),
    ("POST", "/escalations/by-conversation/conv-1/deliveries"),
])
@pytest.mark.parametrize("key", [None, "wrong"])
def test_the_service_key_is_required(env: Env, method: str, path: str, key: str | None) -> None:
    headers = {} if key is None else {"X-Service-Key": key}
    response = env.client.request(method, path, headers=headers, json={})
    assert response.status_code == 401 and response.json()["detail"]["code"] == "invalid_service_key"


# ------------------------------------------------------------------ the open escalation of a conversation


def test_by_conversation_is_the_open_escalation_or_404(env: Env) -> None:
    assert env.client.get("/escalations/by-conversation/conv-1", headers=HEADERS).status_code == 404
    created = env.escalate("conv-1")
    found = env.client.get("/escalations/by-conversation/conv-1", headers=HEADERS)
    assert found.status_code == 200 and found.json()["id"] == created["id"]
    with env.sessions() as session:
        session.get(Escalation, created["id"]).status = "closed"
        session.commit()
    missing = env.client.get("/escalations/by-conversation/conv-1", headers=HEADERS)
    assert missing.status_code == 404 and missing.json()["detail"]["code"] == "no_open_escalation"
    again = env.escalate("conv-1")  # handed over again after closing: a new escalation
    assert again["id"] != created["id"]


def test_a_conversation_id_with_odd_characters_works(env: Env) -> None:
    body = env.escalate("whatsapp:+370 600 00000")
    response = env.client.get("/escalations/by-conversation/whatsapp%3A%2B370%20600%2000000", headers=HEADERS)
    assert response.status_code == 200 and response.json()["id"] == body["id"]


# ------------------------------------------------------------------ deliveries


def add_agent_messages(env: Env, escalation_id: int, *texts: str) -> None:
    agent = env.agent("ona", "Ona")
    assert agent.claim(escalation_id).status_code == 200
    env.rasa.down = True  # nobody takes them until the test does
    for text in texts:
        assert agent.reply(escalation_id, text).status_code == 201


def deliveries(env: Env, conversation_id: str = "conv-1") -> dict:
    response = env.client.post(f"/escalations/by-conversation/{conversation_id}/deliveries", headers=HEADERS)
    assert response.status_code == 200, response.text
    return response.json()


def test_deliveries_hand_each_message_out_once(env: Env) -> None:
    escalation = env.escalate("conv-1", language="en")
    assert deliveries(env) == {"escalation_id": escalation["id"], "status": "waiting", "language": "en",
                               "messages": []}
    add_agent_messages(env, escalation["id"], "Hello, I am Ona.", "Let me check.")
    first = deliveries(env)
    assert first["status"] == "claimed"
    assert [(m["text"], m["agent_name"]) for m in first["messages"]] == [("Hello, I am Ona.", "Ona"),
                                                                         ("Let me check.", "Ona")]
    assert deliveries(env)["messages"] == []


def key_of(conversation_id: str) -> dict[str, str]:
    """The header with the conversation's key, as Rasa's socket.io channel gives it to the widget."""
    return {"X-Conversation-Key": conversation_key(CHAT_KEY_SECRET, conversation_id)}


def web_chat_replies(env: Env, conversation_id: str) -> list[dict]:
    # the browser's call: no service key, the conversation's key
    response = env.client.get(f"/chat/{path_segment(conversation_id)}/agent-messages", headers=key_of(conversation_id))
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    return response.json()["messages"]


def left(env: Env, conversation_id: str, headers: dict[str, str] | None = None) -> int:
    """The widget's "new conversation" (the conversation's key unless `headers` say otherwise)."""
    headers = key_of(conversation_id) if headers is None else headers
    return env.client.post(f"/chat/{path_segment(conversation_id)}/left", headers=headers).status_code


def test_the_web_chat_gets_the_replies_delivered_to_its_conversation(env: Env) -> None:
    escalation = env.escalate("conv-1", language="en")
    env.escalate("conv-2")
    add_agent_messages(env, escalation["id"], "Hello, I am Ona.", "<b>Let me check.</b>")
    assert web_chat_replies(env, "conv-1") == []  # not handed to the conversation yet: the push brings them
    taken = deliveries(env)["messages"]
    replies = web_chat_replies(env, "conv-1")
    assert [(r["id"], r["text"], r["agent_name"]) for r in replies] == [
        (m["id"], m["text"], "Ona") for m in taken]
    assert replies[0]["id"] < replies[1]["id"] and replies[0]["sent_at"].endswith(("Z", "+00:00"))
    assert web_chat_replies(env, "conv-2") == [] and web_chat_replies(env, "never-handed-over") == []


WRONG_KEYS = {
    "no key": {},
    "empty key": {"X-Conversation-Key": ""},
    "wrong key": {"X-Conversation-Key": "x" * 43},
    "another conversation's key": key_of("conv-2"),
    "the key under another secret": {"X-Conversation-Key": conversation_key("another-secret", "conv-1")},
    "the service key instead": HEADERS,
}


@pytest.mark.parametrize("headers", WRONG_KEYS.values(), ids=WRONG_KEYS.keys())
def test_the_agents_replies_need_the_conversations_key(env: Env, headers: dict[str, str]) -> None:
    escalation = env.escalate("conv-1")
    env.escalate("conv-2")
    add_agent_messages(env, escalation["id"], "Your invoice is fixed.")
    deliveries(env)
    for conversation_id in ("conv-1", "never-handed-over"):  # the same answer: no way to tell which exists
        response = env.client.get(f"/chat/{conversation_id}/agent-messages", headers=headers)
        assert response.status_code == 404, response.text
        assert response.json()["detail"]["code"] == "no_conversation"
        assert "invoice" not in response.text
    assert [r["text"] for r in web_chat_replies(env, "conv-1")] == ["Your invoice is fixed."]


@pytest.mark.parametrize("headers", WRONG_KEYS.values(), ids=WRONG_KEYS.keys())
def test_leaving_needs_the_conversations_key_and_changes_nothing_without(env: Env, headers: dict[str, str]) -> None:
    escalation = env.escalate("conv-1")
    env.escalate("conv-2")
    before = messages_of(env, escalation["id"])
    assert left(env, "conv-1", headers) == 404 and left(env, "never-handed-over", headers) == 404
    assert messages_of(env, escalation["id"]) == before
    assert count_rows(env.database_url, EscalationMessage, EscalationMessage.text == service.LEFT_NOTE) == 0


def test_without_a_chat_key_secret_no_conversation_is_proven(env: Env) -> None:
    escalation = env.escalate("conv-1")
    add_agent_messages(env, escalation["id"], "Hello")
    settings = env.client.app.state.settings
    env.client.app.state.settings = settings.model_copy(update={"chat_key_secret": ""})
    try:
        assert env.client.get("/chat/conv-1/agent-messages",
                              headers={"X-Conversation-Key": conversation_key("", "conv-1")}).status_code == 404
        assert left(env, "conv-1", {"X-Conversation-Key": conversation_key("", "conv-1")}) == 404
    finally:
        env.client.app.state.settings = settings


@pytest.mark.parametrize("conversation_id", ["a/b", "50% off?", "two words #1", "ąčę 🙂", "x" * 300])
def test_the_web_chat_routes_take_any_conversation_id(env: Env, conversation_id: str) -> None:
    escalation = env.escalate(conversation_id)
    add_agent_messages(env, escalation["id"], "Hello")
    deliveries(env, path_segment(conversation_id))
    assert [r["text"] for r in web_chat_replies(env, conversation_id)] == ["Hello"]
    assert left(env, conversation_id) == 204
    assert messages_of(env, escalation["id"])[-1] == ("system", service.LEFT_NOTE)


def test_a_customer_who_leaves_for_a_new_conversation_is_noted_once_for_the_agent(env: Env) -> None:
    escalation = env.escalate("conv-1")
    for _ in range(2):
        assert left(env, "conv-1") == 204  # the browser's call: no service key, the conversation's key
    assert messages_of(env, escalation["id"])[-1] == ("system", service.LEFT_NOTE)
    assert messages_of(env, escalation["id"]).count(("system", service.LEFT_NOTE)) == 1
    assert left(env, "never-handed-over") == 204  # its owner: nothing to note
    assert count_rows(env.database_url, EscalationMessage, EscalationMessage.text == service.LEFT_NOTE) == 1


def test_leaving_a_closed_escalation_adds_nothing(env: Env) -> None:
    escalation = env.escalate("conv-1")
    agent = env.agent("ona", "Ona")
    assert agent.claim(escalation["id"]).status_code == 200
    assert agent.close(escalation["id"]).status_code == 200
    assert left(env, "conv-1") == 204
    assert ("system", service.LEFT_NOTE) not in messages_of(env, escalation["id"])


def test_deliveries_of_a_conversation_never_handed_over_are_404(env: Env) -> None:
    response = env.client.post("/escalations/by-conversation/nobody/deliveries", headers=HEADERS)
    assert response.status_code == 404 and response.json()["detail"]["code"] == "no_escalation"


def test_concurrent_deliveries_never_give_a_message_twice(env: Env) -> None:
    escalation = env.escalate("conv-1")
    texts = [f"message {n}" for n in range(6)]
    add_agent_messages(env, escalation["id"], *texts)
    barrier = threading.Barrier(4)

    def take(_: int) -> list[str]:
        barrier.wait()
        return [m["text"] for m in deliveries(env)["messages"]]

    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(take, range(4)))
    handed_out = [text for result in results for text in result]
    assert sorted(handed_out) == sorted(texts)  # every message exactly once
    with env.sessions() as session:
        undelivered = session.scalars(select(EscalationMessage).where(
            EscalationMessage.sender == "agent", EscalationMessage.delivered_at.is_(None))).all()
    assert undelivered == []


def test_deliveries_after_closing_still_hand_out_the_last_replies(env: Env) -> None:
    escalation = env.escalate("conv-1")
    add_agent_messages(env, escalation["id"], "Bye!")
    agent = env.agent("jonas", "Jonas")
    assert agent.close(escalation["id"]).status_code == 403  # not his
    with env.sessions() as session:
        session.get(Escalation, escalation["id"]).status = "closed"
        session.commit()
    body = deliveries(env)
    assert body["status"] == "closed" and [m["text"] for m in body["messages"]] == ["Bye!"]


def test_transcript_times_come_from_the_rasa_events(env: Env) -> None:
    body = env.escalate("conv-1", transcript=TRANSCRIPT)
    with env.sessions() as session:
        first = service.messages_of(session, body["id"])[0]
        assert first.source_event_ts == TRANSCRIPT[0]["timestamp"]
        assert abs(first.created_at.replace(tzinfo=UTC).timestamp() - TRANSCRIPT[0]["timestamp"]) < 0.001
    assert WORKING  # the clock of the fixture is unrelated to the transcript's times


# ------------------------------------------------------------------ conversation ids of every channel

# Not "%2F" and the like here: Starlette's TestClient decodes a path twice (uvicorn once); the real servers of
# tests/assistant/test_handoff.py take those too.
ODD_IDS = ["a/b", "/lead/and/trailing/", "50%", "two words", "ąčę Šilutė 🙂", "what?", "#1", "a?b#c&d=e",
           ".", "..", "a/../b", "x" * 300, "ž" * 512, "+37060000000"]


@pytest.mark.parametrize("conversation_id", ODD_IDS)
def test_every_conversation_id_a_channel_can_produce_is_handed_over(env: Env, conversation_id: str) -> None:
    """The action server sends Rasa's sender id as it is and quotes it as one path segment (dots too)."""
    segment = path_segment(conversation_id)
    escalation = env.escalate(conversation_id)
    assert escalation["conversation_id"] == conversation_id
    found = env.client.get(f"/escalations/by-conversation/{segment}", headers=HEADERS)
    assert found.status_code == 200, found.text
    assert found.json()["id"] == escalation["id"]
    add_agent_messages(env, escalation["id"], "Hello")
    assert [m["text"] for m in deliveries(env, segment)["messages"]] == ["Hello"]


def test_a_conversation_id_longer_than_the_core_takes_is_refused(env: Env) -> None:
    response = env.client.post("/escalations", headers=HEADERS, json={
        "conversation_id": "x" * 513, "channel": "rest", "language": "en", "reason": "customer_request"})
    assert response.status_code == 422
