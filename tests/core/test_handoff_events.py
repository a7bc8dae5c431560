"""Customer messages from Rasa's event broker, through the real app and the real RabbitMQ (SQLite and PostgreSQL;
each test has an exchange and a queue of its own, deleted afterwards): a handed-over conversation's message
reaches the console, other conversations' events are dropped, a redelivered event is stored once, an event is
acknowledged only after it is stored (the database failing puts it back), the consumer resumes after the broker
"restarts" (a proxy cut and restored), and with the broker the worker reads no tracker."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.exc import OperationalError

from bot.core.config import HandoffSettings, MissingSetting
from bot.core.db.models import Escalation
from bot.core.events import ANY_EVENT, Broker, Dispatcher, decode
from bot.core.handoff import service
from bot.core.handoff.worker import one_round
from bot.core.main import create_app
from tests.core.broker_support import (
    CuttableProxy,
    Rabbit,
    eventually,
    rasa_event,
    user_event,
)
from tests.core.conftest import reset
from tests.core.handoff_support import WORKING, Clock, Env, FakeRasa, make_settings, sse_events

T0 = WORKING.timestamp() - 1  # the Rasa timestamp of the message that asked for a person


@contextmanager
def running(database_url: str, rabbit: Rabbit, url: str | None = None, **handoff: Any) -> Iterator[Env]:
    """The app consuming the test's queue (through `url`, else straight from RabbitMQ)."""
    broker = rabbit.broker
    settings = make_settings(database_url, events_url=url or broker.url, events_queue=broker.queue,
                             events_exchange=broker.exchange, events_retry_seconds=0.2,
                             analytics_queue=rabbit.analytics_queue, **handoff)
    clock, rasa = Clock(), FakeRasa()
    with TestClient(create_app(settings, clock=clock, rasa=rasa)) as client:
        yield Env(client, clock, rasa, database_url)


@pytest.fixture
def env(database_url: str, rabbit: Rabbit) -> Iterator[Env]:
    reset(database_url)
    with running(database_url, rabbit) as env:
        yield env


def handed_over(env: Env, conversation_id: str = "conv-1") -> int:
    escalation = env.escalate(conversation_id, transcript=[
        {"sender": "customer", "text": "Noriu žmogaus", "timestamp": T0}])
    return escalation["id"]


def customer_texts(env: Env, escalation_id: int) -> list[str]:
    with env.sessions() as session:
        return [m.text for m in service.messages_of(session, escalation_id) if m.sender == "customer"]


def arrived(env: Env, escalation_id: int, text: str) -> None:
    eventually(lambda: text in customer_texts(env, escalation_id))


def acknowledged_but_perhaps_the_last(rabbit: Rabbit, last: str) -> None:
    """The consumer gone, every event it took was acknowledged (or the queue would hold it again), except perhaps
    the last one: stopping the core right after storing it can take its acknowledgement down with the connection
    (it is then redelivered to the next consumer and stored once, the unique index)."""
    assert rabbit.take_waiting() in ([], [last])


# ------------------------------------------------------------------ what is stored


def test_a_customer_message_of_a_handed_over_conversation_reaches_the_console(env: Env, rabbit: Rabbit) -> None:
    escalation_id = handed_over(env)
    agent = env.agent("ona", "Ona")
    rabbit.publish(
        user_event("conv-1", "Noriu žmogaus", T0),  # the handover's own message: already in the transcript
        rasa_event("conv-1", "bot", T0 + 1, text="Perduodu kolegai"),
        rasa_event("conv-1", "action", T0 + 2, name="action_listen"),
        user_event("conv-1", "Ar kas nors ten?", T0 + 30.25),
    )
    arrived(env, escalation_id, "Ar kas nors ten?")
    assert customer_texts(env, escalation_id) == ["Noriu žmogaus", "Ar kas nors ten?"]
    detail = agent.get(f"/agent/api/escalations/{escalation_id}").json()
    assert [(m["sender"], m["text"]) for m in detail["messages"] if m["sender"] != "system"] == [
        ("customer", "Noriu žmogaus"), ("customer", "Ar kas nors ten?")]
    stream = sse_events(agent.get(f"/agent/escalations/{escalation_id}/events").text)
    assert [e[2]["text"] for e in stream if e[0] == "message" and e[2]["sender"] == "customer"] == [
        "Noriu žmogaus", "Ar kas nors ten?"]
    eventually(lambda: rabbit.ready() == 0)


@pytest.mark.parametrize("conversation_id", ["web/chat/7", "50% off? #1", "ąčę 🙂 " + "ž" * 500])
def test_the_events_of_any_conversation_id_reach_its_escalation(env: Env, rabbit: Rabbit, conversation_id: str) -> None:
    """Rasa's events carry the sender id as stored, the same string as the escalation's."""
    escalation_id = handed_over(env, conversation_id)
    rabbit.publish(user_event(conversation_id, "Ar kas nors ten?", T0 + 30.25))
    arrived(env, escalation_id, "Ar kas nors ten?")
    eventually(lambda: rabbit.ready() == 0)


def test_a_message_with_a_lone_surrogate_reaches_the_console(env: Env, rabbit: Rabbit) -> None:
    """JSON can carry a lone surrogate (a broken client); UTF-8 cannot: it is stored as "?", not dropped
    (found by the second review: the database refused it and the event was dropped)."""
    escalation_id = handed_over(env)
    rabbit.publish(user_event("conv-1", "sąskaita \ud800 neatėjo\x00", T0 + 30.5))
    arrived(env, escalation_id, "sąskaita ? neatėjo")
    eventually(lambda: rabbit.ready() == 0)


def test_events_of_other_conversations_and_bad_messages_are_acknowledged_and_dropped(
        database_url: str, rabbit: Rabbit) -> None:
    reset(database_url)
    with running(database_url, rabbit) as env:
        escalation_id = handed_over(env)
        closed_id = handed_over(env, "conv-closed")
        agent = env.agent("ona", "Ona")
        assert agent.claim(closed_id).status_code == 200 and agent.close(closed_id).status_code == 200
        rabbit.publish(
            user_event("conv-2", "never handed over", T0 + 5),
            user_event("conv-closed", "after the close", T0 + 5),
            user_event("conv-1", "before the handover, not in its transcript", T0 - 100),  # e.g. before a restart
            b"not json", b"\xff\xfe", b"[1, 2]", b"{}",
            {"event": "user", "text": "no sender", "timestamp": T0 + 5},
            user_event("", "empty sender", T0 + 5),
            {"sender_id": "conv-1", "event": "user", "text": "no timestamp"},
            user_event("conv-1", "marker", T0 + 9),
        )
        arrived(env, escalation_id, "marker")
        assert customer_texts(env, escalation_id) == ["Noriu žmogaus", "marker"]
        assert customer_texts(env, closed_id) == ["Noriu žmogaus"]
        with env.sessions() as session:
            assert session.query(Escalation).filter(Escalation.conversation_id == "conv-2").count() == 0
    acknowledged_but_perhaps_the_last(rabbit, "marker")


def test_a_redelivered_or_late_event_is_stored_once(env: Env, rabbit: Rabbit) -> None:
    escalation_id = handed_over(env)
    second, first = user_event("conv-1", "second", T0 + 7), user_event("conv-1", "first", T0 + 5)
    rabbit.publish(second, first, second, first, user_event("conv-1", "marker", T0 + 9))
    arrived(env, escalation_id, "marker")
    assert customer_texts(env, escalation_id) == ["Noriu žmogaus", "first", "second", "marker"]


def test_an_event_is_acknowledged_only_after_it_is_stored(database_url: str, rabbit: Rabbit) -> None:
    reset(database_url)
    attempts: list[int] = []

    def database_down() -> Any:
        attempts.append(1)
        raise OperationalError("SELECT 1", {}, ConnectionRefusedError("the database is down"))

    with running(database_url, rabbit) as env:
        escalation_id = handed_over(env)
        working = env.handoff.sessions
        env.handoff.sessions = database_down  # type: ignore[assignment]
        rabbit.publish(user_event("conv-1", "while the database is down", T0 + 5))
        eventually(lambda: len(attempts) >= 3)  # tried, put back, tried again
        env.handoff.sessions = working
        arrived(env, escalation_id, "while the database is down")
        env.handoff.sessions = database_down  # type: ignore[assignment]
        rabbit.publish(user_event("conv-1", "kept while the core stops", T0 + 6))
        count = len(attempts)
        eventually(lambda: len(attempts) > count)
    eventually(lambda: rabbit.ready() == 1)  # not acknowledged: back in the queue for the next consumer
    with running(database_url, rabbit) as env:
        arrived(env, escalation_id, "kept while the core stops")
        assert customer_texts(env, escalation_id) == [
            "Noriu žmogaus", "while the database is down", "kept while the core stops"]
    acknowledged_but_perhaps_the_last(rabbit, "kept while the core stops")


def test_the_consumer_resumes_after_the_broker_comes_back(database_url: str, rabbit: Rabbit) -> None:
    reset(database_url)
    proxy = CuttableProxy()
    try:
        with running(database_url, rabbit, url=proxy.url()) as env:
            escalation_id = handed_over(env)
            rabbit.publish(user_event("conv-1", "before", T0 + 5))
            arrived(env, escalation_id, "before")
            proxy.cut()
            rabbit.publish(user_event("conv-1", "while cut off", T0 + 6))  # straight to RabbitMQ
            # waiting in the queue; "before" may be back there too when the cut came between its commit and its
            # acknowledgement (it is then stored once: the unique index, asserted below)
            eventually(lambda: rabbit.ready() >= 1)
            assert "while cut off" not in customer_texts(env, escalation_id)
            proxy.restore()
            arrived(env, escalation_id, "while cut off")
            rabbit.publish(user_event("conv-1", "after", T0 + 7))
            arrived(env, escalation_id, "after")
            assert customer_texts(env, escalation_id) == ["Noriu žmogaus", "before", "while cut off", "after"]
    finally:
        proxy.close()
    acknowledged_but_perhaps_the_last(rabbit, "after")


# ------------------------------------------------------------------ the worker with the broker


def test_with_the_broker_the_worker_pushes_but_reads_no_tracker(database_url: str, rabbit: Rabbit) -> None:
    reset(database_url)
    with running(database_url, rabbit, sync_interval=0.05) as env:
        escalation_id = handed_over(env)
        env.rasa.user_event("conv-1", "only in the tracker", T0 + 5)
        env.deliver_through_route()
        agent = env.agent("ona", "Ona")
        assert agent.claim(escalation_id).status_code == 200
        env.rasa.down = True
        assert agent.reply(escalation_id, "Labas, čia Ona.").status_code == 201  # Rasa down: retried later
        env.rasa.down = False
        env.clock.advance(seconds=60)

        def delivered() -> bool:
            with env.sessions() as session:
                return service.undelivered_ids(session, "conv-1") == []

        eventually(delivered)  # the worker's rounds run
        assert env.rasa.of("tracker") == []
        assert customer_texts(env, escalation_id) == ["Noriu žmogaus"]


def test_without_the_broker_a_round_reads_the_trackers(env: Env) -> None:
    handed_over(env)
    one_round(env.handoff)
    assert env.rasa.of("tracker") == []
    env.handoff.settings = env.handoff.settings.model_copy(update={"events_url": ""})
    one_round(env.handoff)
    assert env.rasa.of("tracker") == [("tracker", "conv-1")]


# ------------------------------------------------------------------ plain parts


@pytest.mark.parametrize("body, sender", [
    (b'{"sender_id": "a", "event": "user"}', "a"),
    (b"not json", None), (b"\xff", None), (b"[]", None), (b'"a"', None), (b'{"event": "user"}', None),
    (b'{"sender_id": "", "event": "user"}', None), (b'{"sender_id": 5}', None),
])
def test_decode(body: bytes, sender: str | None) -> None:
    event = decode(body)
    assert (event or {}).get("sender_id") == sender


@dataclass
class FakeMessage:
    """A delivered message: its body and how it was settled (`broken`: the channel is gone)."""

    event: dict[str, Any]
    broken: bool = False
    settled: list[Any] = field(default_factory=list)

    @property
    def body(self) -> bytes:
        return json.dumps(self.event).encode()

    async def ack(self) -> None:
        if self.broken:
            raise ConnectionResetError("the channel is closed")
        self.settled.append("ack")

    async def nack(self, requeue: bool = True) -> None:
        self.settled.append(("nack", requeue))


def deliver(dispatcher: Dispatcher, *messages: FakeMessage) -> None:
    async def each() -> None:
        for message in messages:
            await dispatcher(message)  # type: ignore[arg-type]

    asyncio.run(each())


def test_the_dispatcher_hands_each_event_to_the_handlers_of_its_type() -> None:
    seen: list[tuple[str, str]] = []
    dispatcher = Dispatcher({"user": [lambda e: seen.append(("user", e["text"]))],
                             ANY_EVENT: [lambda e: seen.append(("any", e["event"]))]}, (), 0)
    user, bot = FakeMessage(user_event("c", "hi", T0)), FakeMessage(rasa_event("c", "bot", T0, text="hello"))
    deliver(dispatcher, user, bot)
    assert seen == [("user", "hi"), ("any", "user"), ("any", "bot")]
    assert user.settled == bot.settled == ["ack"]


def test_a_failing_handler_puts_the_event_back_only_when_the_failure_is_transient() -> None:
    def store(event: dict[str, Any]) -> None:
        if event["text"] == "database":
            raise OperationalError("INSERT", {}, ConnectionRefusedError())
        raise ValueError("a bug")

    dispatcher = Dispatcher({"user": [store]}, (OperationalError,), 0)
    database, bug = FakeMessage(user_event("c", "database", T0)), FakeMessage(user_event("c", "bug", T0))
    deliver(dispatcher, database, bug)
    assert database.settled == [("nack", True)] and bug.settled == ["ack"]


def test_a_lost_channel_when_acknowledging_is_not_an_error() -> None:
    lost = FakeMessage(user_event("c", "x", T0), broken=True)
    deliver(Dispatcher({"user": [lambda e: None]}, (), 0), lost)
    assert lost.settled == []


def test_the_commands_declare_and_delete_the_queues_and_the_exchange(rabbit: Rabbit) -> None:
    env = {**os.environ, "HANDOFF_EVENTS_URL": rabbit.broker.url, "HANDOFF_EVENTS_QUEUE": rabbit.broker.queue,
           "HANDOFF_EVENTS_EXCHANGE": rabbit.broker.exchange, "ANALYTICS_EVENTS_QUEUE": rabbit.analytics_queue}
    analytics = Rabbit(Broker(rabbit.broker.url, rabbit.analytics_queue, rabbit.broker.exchange))
    assert not analytics.exists()
    subprocess.run([sys.executable, "-m", "bot.core.events", "declare"], env=env, check=True, timeout=60)
    rabbit.publish(user_event("conv-1", "left over", T0))
    assert rabbit.exists() and analytics.exists() and rabbit.ready() == analytics.ready() == 1
    for _ in range(2):  # the second time there is nothing to delete
        subprocess.run([sys.executable, "-m", "bot.core.events", "delete"], env=env, check=True, timeout=60)
    assert not rabbit.exists() and not analytics.exists()


def test_the_broker_settings() -> None:
    settings = HandoffSettings.from_env({"HANDOFF_EVENTS_URL": "amqp://u:p@rabbit:5672/"})
    assert (settings.events_url, settings.events_queue, settings.events_exchange) == (
        "amqp://u:p@rabbit:5672/", "rasa_core_events", "rasa-exchange")
    assert HandoffSettings.from_env({}).events_url == ""
    with pytest.raises(MissingSetting) as refused:
        HandoffSettings.from_env({"HANDOFF_EVENTS_URL": "http://u:secret@rabbit/"})
    assert "secret" not in str(refused.value)
