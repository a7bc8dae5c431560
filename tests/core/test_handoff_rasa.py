"""The core as Rasa's client, against a fake Rasa (SQLite and PostgreSQL): replies delivered through
action_deliver_agent_messages once, retried while Rasa is down, never lost nor duplicated; closing resumes the
conversation and runs action_handoff_closed once; customer messages synced from the tracker once, across
rounds and restarts. And the real HTTP client against a mock transport: URLs, token, bodies, failures."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime

import httpx
import pytest
from fastapi.testclient import TestClient

from bot.core.db.models import Escalation, EscalationMessage
from bot.core.handoff import service
from bot.core.handoff.rasa import CLOSED_ACTION, DELIVER_ACTION, HttpRasaClient, RasaUnavailable
from bot.core.handoff.worker import push, push_due, sync_customer_messages
from bot.core.main import create_app
from tests.core.handoff_support import (  # noqa: F401 - fixtures
    HEADERS,
    Clock,
    Env,
    FakeRasa,
    count_rows,
    env,
    handoff_client,
    make_settings,
)

T0 = 1764662400.0  # the Rasa timestamps of the conversation (before WORKING)


def claimed(env: Env, conversation_id: str = "conv-1") -> tuple[dict, object]:
    escalation = env.escalate(conversation_id, transcript=[
        {"sender": "customer", "text": "Noriu žmogaus", "timestamp": T0}])
    agent = env.agent("ona", "Ona")
    assert agent.claim(escalation["id"]).status_code == 200
    return escalation, agent


def undelivered(env: Env) -> list[str]:
    with env.sessions() as session:
        return [m.text for m in session.query(EscalationMessage).filter(
            EscalationMessage.sender == "agent", EscalationMessage.delivered_at.is_(None)).order_by(
            EscalationMessage.id)]


def delivered_texts(env: Env) -> list[str]:
    """What the fake action server sent to the customer."""
    return env.sent  # type: ignore[attr-defined]


def fake_action_server(env: Env) -> list[str]:
    """Each execute of the delivery action takes the deliveries through the route, as the lead's action does."""
    sent: list[str] = []

    def act(conversation_id: str, action: str) -> None:
        if action == DELIVER_ACTION:
            response = env.client.post(f"/escalations/by-conversation/{conversation_id}/deliveries",
                                       headers=HEADERS)
            assert response.status_code == 200
            sent.extend(m["text"] for m in response.json()["messages"])

    env.rasa.on_execute = act
    return sent


# ------------------------------------------------------------------ replies


def test_a_reply_is_delivered_through_rasa_once(env: Env) -> None:
    escalation, agent = claimed(env)
    sent = fake_action_server(env)
    assert agent.reply(escalation["id"], "Labas, čia Ona.").status_code == 201
    assert env.rasa.of("execute") == [("execute", "conv-1", DELIVER_ACTION)]
    assert sent == ["Labas, čia Ona."] and undelivered(env) == []
    assert push_due(env.handoff) == 0 and env.rasa.of("execute") == [("execute", "conv-1", DELIVER_ACTION)]


def test_while_rasa_is_down_a_reply_waits_and_is_retried_later(env: Env) -> None:
    escalation, agent = claimed(env)
    sent = fake_action_server(env)
    env.rasa.down = True
    assert agent.reply(escalation["id"], "First").status_code == 201  # stored, although Rasa is down
    assert agent.reply(escalation["id"], "Second").status_code == 201
    assert undelivered(env) == ["First", "Second"] and sent == []
    attempts = len(env.rasa.of("execute"))
    env.rasa.down = False
    assert push_due(env.handoff) == 0  # the retry is not due yet
    assert len(env.rasa.of("execute")) == attempts
    env.clock.advance(seconds=60)
    assert push_due(env.handoff) == 1
    assert sent == ["First", "Second"] and undelivered(env) == []
    env.clock.advance(seconds=600)
    assert push_due(env.handoff) == 0 and sent == ["First", "Second"]  # nothing twice
    detail = agent.get(f"/agent/api/escalations/{escalation['id']}").json()
    assert [m["delivered"] for m in detail["messages"] if m["sender"] == "agent"] == [True, True]


def test_retries_back_off(env: Env) -> None:
    escalation, agent = claimed(env)
    env.rasa.down = True
    assert agent.reply(escalation["id"], "Hello").status_code == 201
    delays = []
    for _ in range(4):
        with env.sessions() as session:
            row = session.get(Escalation, escalation["id"])
            delays.append((row.rasa_retry_at.replace(tzinfo=UTC) - env.clock()).total_seconds())
            env.clock.now = row.rasa_retry_at.replace(tzinfo=UTC)
        assert push_due(env.handoff) == 0
    assert delays == [5.0, 10.0, 20.0, 40.0]
    assert undelivered(env) == ["Hello"]


def test_rasa_running_the_action_without_taking_the_replies_is_retried(env: Env) -> None:
    escalation, agent = claimed(env)  # the fake Rasa answers, but no action takes the deliveries
    assert agent.reply(escalation["id"], "Hello").status_code == 201
    assert undelivered(env) == ["Hello"]
    with env.sessions() as session:
        assert session.get(Escalation, escalation["id"]).rasa_attempts == 1
    sent = fake_action_server(env)
    env.clock.advance(seconds=10)
    assert push_due(env.handoff) == 1 and sent == ["Hello"]


def test_concurrent_pushes_deliver_once(env: Env) -> None:
    escalation, agent = claimed(env)
    env.rasa.down = True
    for n in range(3):
        assert agent.reply(escalation["id"], f"m{n}").status_code == 201
    env.rasa.down = False
    sent = fake_action_server(env)
    env.clock.advance(seconds=60)
    barrier = threading.Barrier(3)

    def go() -> None:
        barrier.wait()
        push(env.handoff, escalation["id"])

    threads = [threading.Thread(target=go) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(sent) == ["m0", "m1", "m2"] and undelivered(env) == []


# ------------------------------------------------------------------ closing


def test_closing_resumes_the_conversation_and_announces_it_once(env: Env) -> None:
    escalation, agent = claimed(env)
    assert agent.close(escalation["id"], "Done").status_code == 200
    assert env.rasa.calls == [("events", "conv-1", [{"event": "resume"}]), ("execute", "conv-1", CLOSED_ACTION)]
    env.clock.advance(hours=1)
    assert push_due(env.handoff) == 0 and len(env.rasa.calls) == 2
    with env.sessions() as session:
        assert session.get(Escalation, escalation["id"]).close_notified_at is not None


def test_closing_while_rasa_is_down_is_retried_and_done_once(env: Env) -> None:
    escalation, agent = claimed(env)
    sent = fake_action_server(env)
    env.rasa.down = True
    assert agent.reply(escalation["id"], "Goodbye").status_code == 201
    assert agent.close(escalation["id"], "Done").status_code == 200
    env.rasa.down = False
    env.rasa.calls.clear()
    env.clock.advance(seconds=30)
    assert push_due(env.handoff) == 1
    assert env.rasa.calls == [("execute", "conv-1", DELIVER_ACTION), ("events", "conv-1", [{"event": "resume"}]),
                              ("execute", "conv-1", CLOSED_ACTION)]
    assert sent == ["Goodbye"]
    env.clock.advance(hours=1)
    assert push_due(env.handoff) == 0 and len(env.rasa.calls) == 3


def test_a_new_handover_before_the_close_is_announced_keeps_the_conversation_paused(env: Env) -> None:
    escalation, agent = claimed(env)
    env.rasa.down = True
    assert agent.close(escalation["id"], "Done").status_code == 200
    newer = env.escalate("conv-1")  # the customer asked again meanwhile
    assert newer["id"] != escalation["id"]
    env.rasa.down = False
    env.rasa.calls.clear()
    env.clock.advance(seconds=30)
    push_due(env.handoff)
    assert env.rasa.of("events") == [] and env.rasa.of("execute") == []
    with env.sessions() as session:
        assert session.get(Escalation, escalation["id"]).close_notified_at is not None


# ------------------------------------------------------------------ customer messages from Rasa


def test_new_customer_messages_are_stored_once(env: Env) -> None:
    escalation = env.escalate("conv-1", transcript=[{"sender": "customer", "text": "Noriu žmogaus", "timestamp": T0}])
    env.rasa.user_event("conv-1", "Noriu žmogaus", T0)  # already in the transcript
    env.rasa.trackers["conv-1"].append({"event": "bot", "text": "Perduodu kolegai", "timestamp": T0 + 1})
    env.rasa.user_event("conv-1", "Ar kas nors ten?", T0 + 30.25)
    env.rasa.user_event("conv-1", "  ", T0 + 31)  # nothing to show
    assert sync_customer_messages(env.handoff) == 1
    assert sync_customer_messages(env.handoff) == 0
    env.rasa.user_event("conv-1", "<b>Labas?</b>", T0 + 60.5)
    assert sync_customer_messages(env.handoff) == 1
    with env.sessions() as session:
        lines = [(m.sender, m.text) for m in service.messages_of(session, escalation["id"])]
    assert [t for s, t in lines if s == "customer"] == ["Noriu žmogaus", "Ar kas nors ten?", "<b>Labas?</b>"]
    assert [s for s, _ in lines].count("bot") == 0


def test_the_sync_resumes_from_the_database_after_a_restart(env: Env) -> None:
    env.escalate("conv-1", transcript=[{"sender": "customer", "text": "x", "timestamp": T0}])
    env.rasa.user_event("conv-1", "after", T0 + 5)
    assert sync_customer_messages(env.handoff) == 1
    restarted = FakeRasa(trackers=env.rasa.trackers)
    with TestClient(create_app(make_settings(env.database_url), clock=Clock(env.clock.now), rasa=restarted)) as c:
        assert sync_customer_messages(c.app.state.handoff) == 0
        restarted.user_event("conv-1", "later", T0 + 9)
        assert sync_customer_messages(c.app.state.handoff) == 1
    assert count_rows(env.database_url, EscalationMessage, EscalationMessage.sender == "customer") == 3


def test_without_a_transcript_only_messages_after_the_creation_are_new(env: Env) -> None:
    escalation = env.escalate("conv-1")
    created = datetime.fromisoformat(escalation["created_at"]).timestamp()
    env.rasa.user_event("conv-1", "before", created - 10)
    env.rasa.user_event("conv-1", "after", created + 10)
    assert sync_customer_messages(env.handoff) == 1


def test_the_sync_skips_closed_escalations_and_survives_rasa_being_down(env: Env) -> None:
    escalation, agent = claimed(env)
    env.rasa.down = True
    env.rasa.user_event("conv-1", "new", T0 + 5)
    assert sync_customer_messages(env.handoff) == 0
    env.rasa.down = False
    assert agent.close(escalation["id"]).status_code == 200
    env.rasa.calls.clear()
    assert sync_customer_messages(env.handoff) == 0 and env.rasa.of("tracker") == []


def test_concurrent_syncs_store_each_message_once(env: Env) -> None:
    env.escalate("conv-1", transcript=[{"sender": "customer", "text": "x", "timestamp": T0}])
    for n in range(5):
        env.rasa.user_event("conv-1", f"m{n}", T0 + 1 + n)
    barrier = threading.Barrier(3)
    results: list[int] = []

    def go() -> None:
        barrier.wait()
        results.append(sync_customer_messages(env.handoff))

    threads = [threading.Thread(target=go) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert count_rows(env.database_url, EscalationMessage, EscalationMessage.sender == "customer") == 6
    assert sum(results) == 5


@pytest.mark.parametrize("event", [
    {"event": "user", "text": "x", "timestamp": "soon"},
    {"event": "user", "text": None, "timestamp": T0 + 5},
    {"event": "user", "text": "x", "timestamp": True},
    {"event": "user", "text": "x"},
    "not an event",
])
def test_odd_tracker_events_are_ignored(env: Env, event: object) -> None:
    env.escalate("conv-1", transcript=[{"sender": "customer", "text": "x", "timestamp": T0}])
    env.rasa.trackers["conv-1"] = [event]  # type: ignore[list-item]
    assert sync_customer_messages(env.handoff) == 0


# ------------------------------------------------------------------ the background worker


def test_the_worker_runs_in_the_background_when_enabled(database_url: str, env: Env) -> None:
    env.escalate("conv-1", transcript=[{"sender": "customer", "text": "x", "timestamp": T0}])
    rasa, seen = FakeRasa(), threading.Event()
    rasa.user_event("conv-1", "while handed off", T0 + 5)
    original = rasa.tracker

    def tracker(conversation_id: str) -> dict:
        result = original(conversation_id)
        seen.set()
        return result

    rasa.tracker = tracker  # type: ignore[method-assign]
    app = create_app(make_settings(database_url, sync_interval=0.05), clock=Clock(env.clock.now), rasa=rasa)
    with TestClient(app):
        assert seen.wait(timeout=30)
    stored = count_rows(database_url, EscalationMessage, EscalationMessage.text == "while handed off")
    assert stored in (0, 1)  # the round may have been cancelled between reading and storing; never twice


# ------------------------------------------------------------------ the HTTP client


def recording_client(status: int = 200, body: object = None, token: str = "s3cret") -> tuple[HttpRasaClient, list]:
    requests: list[httpx.Request] = []

    def handle(request: httpx.Request) -> httpx.Response:
        requests.append(request)
        return httpx.Response(status, json=body if body is not None else {"events": []})

    return HttpRasaClient("http://rasa.test:5005/", token, transport=httpx.MockTransport(handle)), requests


def test_the_http_client_calls_rasas_api() -> None:
    client, requests = recording_client(body={"sender_id": "a/b c", "events": [{"event": "user"}]})
    assert client.tracker("a/b c")["events"] == [{"event": "user"}]
    client.execute("a/b c", DELIVER_ACTION)
    client.append_events("a/b c", [{"event": "resume"}])
    assert [(r.method, r.url.raw_path.split(b"?")[0].decode()) for r in requests] == [
        ("GET", "/conversations/a%2Fb%20c/tracker"),
        ("POST", "/conversations/a%2Fb%20c/execute"),
        ("POST", "/conversations/a%2Fb%20c/tracker/events"),
    ]
    assert all(r.headers["Authorization"].startswith("Bearer ") and "token" not in r.url.params for r in requests)
    assert requests[1].url.params["output_channel"] == "latest"
    assert json.loads(requests[1].content) == {"name": DELIVER_ACTION}
    assert json.loads(requests[2].content) == [{"event": "resume"}]


def test_the_http_client_without_a_token_sends_none() -> None:
    client, requests = recording_client(token="")
    client.tracker("x")
    assert "token" not in requests[0].url.params and "Authorization" not in requests[0].headers


@pytest.mark.parametrize("status, body", [(500, {"error": "x"}), (401, {}), (409, {}), (200, ["not a tracker"])])
def test_http_failures_are_rasa_unavailable_and_never_show_the_token(status: int, body: object) -> None:
    client, _ = recording_client(status, body)
    with pytest.raises(RasaUnavailable) as failure:
        client.tracker("x")
    assert "s3cret" not in str(failure.value)
    if status != 200:
        with pytest.raises(RasaUnavailable):
            client.execute("x", CLOSED_ACTION)


def test_an_unreachable_rasa_is_rasa_unavailable() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    client = HttpRasaClient("http://rasa.test", "s3cret", transport=httpx.MockTransport(refuse))
    with pytest.raises(RasaUnavailable) as failure:
        client.execute("x", DELIVER_ACTION)
    assert "s3cret" not in str(failure.value)
