"""The analytics recorder consuming Rasa's events through the real app and the real RabbitMQ (SQLite and
PostgreSQL; each test with an exchange and queues of its own, deleted afterwards): its own queue gets every event
as the handoff's does, events published while the core is down are recorded when it is back, nothing is
recorded twice, and a batch is acknowledged only after its commit (the database failing puts it back)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from bot.core.analytics.recorder import wanted
from bot.core.config import HandoffSettings
from bot.core.events import Batcher
from bot.core.main import create_app
from tests.core.broker_support import Rabbit, eventually
from tests.core.conftest import reset
from tests.core.handoff_support import FakeRasa, make_settings
from tests.core.recorder_support import Talk, conversations, everything, steps, turns


@contextmanager
def core(database_url: str, rabbit: Rabbit) -> Iterator[sessionmaker[Session]]:
    """The app consuming the test's queues; its database sessions. (Declare the analytics queue first, as
    scripts/run.sh does: the app's consumer declares it too, but only once it is connected.)"""
    broker = rabbit.broker
    settings = make_settings(database_url, events_url=broker.url, events_queue=broker.queue,
                             events_exchange=broker.exchange, events_retry_seconds=0.2,
                             analytics_queue=rabbit.analytics_queue)
    app = create_app(settings, rasa=FakeRasa())
    with TestClient(app):
        yield app.state.sessions


def publish(rabbit: Rabbit, *talks: Talk) -> None:
    rabbit.publish(*sorted((e for talk in talks for e in talk.events), key=lambda e: e["timestamp"]))


def a_conversation(sender: str, clock: float = 1_796_000_000.0) -> Talk:
    talk = Talk(sender, clock).session_start()
    talk.user("How do I register?", "how_to_register").slot("language", "en")
    talk.action("utter_registration_link", "Apply here").listen()
    talk.user("asdkj", "nlu_fallback", 0.3).action("action_fallback", "Sorry?", response="utter_default").listen()
    talk.user("I want a person", "request_human").handed_over("customer_request", "A colleague will answer")
    return talk


def recorded_turns(sessions: sessionmaker[Session], sender: str, count: int) -> None:
    def done() -> bool:
        with sessions() as session:
            return len(turns(session, sender)) >= count
    eventually(done)


def test_every_event_reaches_both_queues_and_is_recorded(database_url: str, rabbit: Rabbit) -> None:
    reset(database_url)
    analytics = rabbit.analytics()
    talk = a_conversation("both")
    publish(rabbit, talk)  # before the core consumes: both queues keep every event
    assert rabbit.ready() == analytics.ready() == len(talk.events)
    with core(database_url, rabbit) as sessions:
        recorded_turns(sessions, "both", 6)
        eventually(lambda: analytics.ready() == 0 and rabbit.ready() == 0)
        with sessions() as session:
            assert [(sender, fallback) for sender, _, _, _, fallback in turns(session)] == [
                ("customer", False), ("bot", False), ("customer", True), ("bot", False), ("customer", False),
                ("bot", False)]
            assert conversations(session)[0][5:7] == ("customer_request", True)


def test_events_published_while_the_core_is_down_are_recorded_once_when_it_is_back(
        database_url: str, rabbit: Rabbit) -> None:
    reset(database_url)
    analytics = rabbit.analytics()
    first, second = a_conversation("before", 1_796_000_000.0), a_conversation("during", 1_796_000_100.0)
    with core(database_url, rabbit) as sessions:
        publish(rabbit, first)
        recorded_turns(sessions, "before", 6)
    publish(rabbit, second)  # the core is down
    assert analytics.ready() >= len(second.events)
    publish(rabbit, first)  # and a redelivery of what was recorded
    with core(database_url, rabbit) as sessions:
        recorded_turns(sessions, "during", 6)
        eventually(lambda: analytics.ready() == 0)
        with sessions() as session:
            assert [row[0] for row in conversations(session)] == ["before", "during"]
            assert len(turns(session, "before")) == len(turns(session, "during")) == 6


def test_events_taken_but_not_yet_committed_stay_in_the_queue_when_the_core_stops(
        database_url: str, rabbit: Rabbit, monkeypatch: pytest.MonkeyPatch) -> None:
    from bot.core.analytics import consumer

    reset(database_url)
    analytics = rabbit.analytics()
    talk = a_conversation("stopped")
    monkeypatch.setattr(consumer, "MAX_WAIT", 60.0)  # the batch waits: delivered, never written
    with core(database_url, rabbit) as sessions:
        publish(rabbit, talk)
        eventually(lambda: analytics.ready() == 0)  # all taken by the consumer, none acknowledged
        with sessions() as session:
            assert everything(session) == ([], [], [])
    kept = sum(map(wanted, talk.events))  # the skipped ones were acknowledged at once
    eventually(lambda: analytics.ready() == kept)  # back in the queue
    monkeypatch.setattr(consumer, "MAX_WAIT", 0.2)
    with core(database_url, rabbit) as sessions:
        recorded_turns(sessions, "stopped", 6)
        eventually(lambda: analytics.ready() == 0)
        with sessions() as session:
            assert len(turns(session)) == 6 and conversations(session)[0][5:7] == ("customer_request", True)


def test_a_batch_is_stored_in_one_transaction_and_put_back_when_the_database_fails(
        database_url: str, rabbit: Rabbit) -> None:
    reset(database_url)
    analytics = rabbit.analytics()  # declared before Rasa publishes (scripts/run.sh)
    talk = a_conversation("down")
    attempts: list[int] = []
    with core(database_url, rabbit) as sessions:
        from bot.core.analytics import consumer

        working = consumer.record_events

        def database_down(*args: Any) -> int:
            attempts.append(1)
            raise OperationalError("INSERT", {}, ConnectionRefusedError("the database is down"))

        consumer.record_events = database_down  # type: ignore[assignment]
        try:
            publish(rabbit, talk)
            eventually(lambda: len(attempts) >= 3)  # tried, put back, tried again
            with sessions() as session:
                assert everything(session) == ([], [], [])
        finally:
            consumer.record_events = working  # type: ignore[assignment]
        recorded_turns(sessions, "down", 6)
        eventually(lambda: analytics.ready() == 0)
        with sessions() as session:
            assert steps(session) == [] and len(turns(session)) == 6


# ------------------------------------------------------------------ the batcher alone


@dataclass
class FakeMessage:
    event: dict[str, Any]
    settled: list[Any] = field(default_factory=list)

    @property
    def body(self) -> bytes:
        return json.dumps(self.event).encode()

    async def ack(self) -> None:
        self.settled.append("ack")

    async def nack(self, requeue: bool = True) -> None:
        self.settled.append(("nack", requeue))


def run_batcher(batcher: Batcher, messages: list[FakeMessage]) -> None:
    async def each() -> None:
        for message in messages:
            await batcher(message)  # type: ignore[arg-type]
        await asyncio.sleep(batcher.max_wait * 3)

    asyncio.run(each())


def event(text: str, kind: str = "user") -> dict[str, Any]:
    return {"sender_id": "c", "event": kind, "timestamp": 1.0, "text": text}


def test_the_batcher_acknowledges_after_the_batch_is_stored_and_skips_what_is_not_wanted() -> None:
    batches: list[list[str]] = []
    messages = [FakeMessage(event(f"m{i}", "user" if i % 3 else "user_featurization")) for i in range(9)]

    def handle(batch: list[dict[str, Any]]) -> None:
        assert all(m.settled == [] for m in messages if m.event in batch)  # nothing acknowledged before
        batches.append([e["text"] for e in batch])

    run_batcher(Batcher(handle, lambda e: e["event"] == "user", (), 0, max_batch=4, max_wait=0.05), messages)
    assert batches == [["m1", "m2", "m4", "m5"], ["m7", "m8"]]
    assert all(m.settled == ["ack"] for m in messages)


def test_the_batcher_puts_a_batch_back_on_a_transient_failure_and_drops_only_a_bad_event() -> None:
    def handle(batch: list[dict[str, Any]]) -> None:
        texts = [e["text"] for e in batch]
        if "database" in texts:
            raise OperationalError("INSERT", {}, ConnectionRefusedError())
        if "bug" in texts:
            raise ValueError("a bug")

    down = [FakeMessage(event("a")), FakeMessage(event("database"))]
    run_batcher(Batcher(handle, lambda e: True, (OperationalError,), 0, max_wait=0.01), down)
    assert [m.settled for m in down] == [[("nack", True)], [("nack", True)]]
    buggy = [FakeMessage(event("a")), FakeMessage(event("bug")), FakeMessage(event("b"))]
    run_batcher(Batcher(handle, lambda e: True, (OperationalError,), 0, max_wait=0.01), buggy)
    assert [m.settled for m in buggy] == [["ack"], ["ack"], ["ack"]]  # a and b stored alone, bug dropped


def test_the_analytics_queue_setting() -> None:
    assert HandoffSettings.from_env({}).analytics_queue == "canon_analytics"
    assert HandoffSettings.from_env({"ANALYTICS_EVENTS_QUEUE": "mine"}).analytics_queue == "mine"
