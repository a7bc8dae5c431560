"""Our Redis tracker store (bot/rasa_ext/tracker_store.py) stores and publishes what Rasa's own does, against the
Redis on 127.0.0.1:6379 (required in CI), each test under its own key prefix."""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import Any, Dict, List

import pytest
from rasa.core.brokers.broker import EventBroker
from rasa.core.tracker_store import RedisTrackerStore as RasaRedisTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, SessionStarted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.rasa_ext import event_types
from bot.rasa_ext.token_redaction import customer_claim
from bot.rasa_ext.tracker_store import RedisTrackerStore, extends, last_session_start, repeats, stored_events
from tests.assistant.helpers import require_redis

DB = 3
DOMAIN = Domain.from_dict({"intents": ["greet"], "slots": {"language": {"type": "text", "mappings": []}}})


class Broker(EventBroker):
    def __init__(self) -> None:
        self.published: List[Dict[str, Any]] = []

    def publish(self, event: Dict[str, Any]) -> None:
        self.published.append(event)


def session(start: float) -> list:
    return [ActionExecuted("action_session_start", timestamp=start), SessionStarted(timestamp=start + 0.1),
            ActionExecuted("action_listen", timestamp=start + 0.2)]


def turn(text: str, at: float) -> list:
    return [UserUttered(text, {"name": "greet", "confidence": 0.9}, timestamp=at),
            SlotSet("language", "lt", timestamp=at + 0.1), BotUttered(f"re: {text}", timestamp=at + 0.2),
            ActionExecuted("action_listen", timestamp=at + 0.3)]


def stores(broker: bool = False):
    require_redis()
    made = []
    for cls in (RasaRedisTrackerStore, RedisTrackerStore):
        prefix = f"test{uuid.uuid4().hex}"
        made.append(cls(DOMAIN, host="127.0.0.1", port=6379, db=DB, key_prefix=prefix, record_exp=60,
                        event_broker=Broker() if broker else None))
    return made


def drop(*made) -> None:
    for store in made:
        for key in store.red.keys(store.key_prefix + "*"):
            store.red.delete(key)


async def converse(store, sender: str, turns: List[list]) -> None:
    """Each turn as Rasa does it: retrieve (the latest session), add the turn's events, save."""
    for events in turns:
        tracker = await store.retrieve(sender) or DialogueStateTracker(sender, DOMAIN.slots)
        for event in events:
            tracker.update(event)
        await store.save(tracker)


def raw(store, sender: str) -> Dict[str, Any]:
    return json.loads(store.red.get(store.key_prefix + sender))


def test_the_pure_checks():
    events = [e.as_dict() for e in session(1) + turn("a", 2) + session(10) + turn("b", 11)]
    assert last_session_start(events) == 7
    assert last_session_start(events[1:3]) == 0
    assert extends(events[:4], events) and extends([], events)
    assert not extends(events, events[:4])
    moved = dict(events[1], timestamp=99.0)
    assert not extends([events[0], moved], events)
    assert not extends([dict(events[0], name="action_other")], events)
    assert extends([{"event": "user", "entities": [1, 2]}], [{"event": "user", "entities": (1, 2)}])
    assert repeats(events[:3], [events[5]]) is False and repeats(events[:3], [events[1]]) is True
    assert repeats([], [events[4], events[4]]) is True
    assert stored_events(None) == [] and stored_events(b"not json") is None and stored_events("[1]") is None


@pytest.mark.parametrize("turns", [
    [session(1) + turn("labas", 2), turn("kaip registruotis", 3), turn("ačiū", 4)],
    # a new session after the first: Rasa retrieves only the latest, the store keeps both
    [session(1) + turn("labas", 2), session(5000) + turn("vėl aš", 5001), turn("dar kartą", 5002)],
])
def test_stores_and_publishes_what_rasa_does(turns):
    rasa, ours = stores(broker=True)
    try:
        asyncio.run(converse(rasa, "customer", turns))
        asyncio.run(converse(ours, "customer", turns))
        assert raw(ours, "customer") == raw(rasa, "customer")
        assert ours.event_broker.published == rasa.event_broker.published
        assert len(ours.event_broker.published) == sum(len(events) for events in turns)
        assert 0 < ours.red.ttl(ours.key_prefix + "customer") <= 60
    finally:
        drop(rasa, ours)


def test_a_conversation_changed_meanwhile_is_merged_as_rasa_merges_it():
    rasa, ours = stores(broker=True)
    try:
        for store in (rasa, ours):
            asyncio.run(converse(store, "c", [session(1) + turn("labas", 2)]))
            tracker = asyncio.run(store.retrieve("c"))
            asyncio.run(converse(store, "c", [turn("from another writer", 3)]))  # written while we held `tracker`
            for event in turn("ours", 4):
                tracker.update(event)
            asyncio.run(store.save(tracker))
        stored = raw(ours, "c")
        assert stored == raw(rasa, "c")
        assert [e.get("text") for e in stored["events"] if e["event"] == "user"] == [
            "labas", "from another writer", "ours"]
        assert ours.event_broker.published == rasa.event_broker.published
    finally:
        drop(rasa, ours)


def test_a_replaced_conversation_with_the_same_timestamps_is_stored_as_rasa_stores_it():
    """PUT /conversations/<id>/tracker/events saves a tracker built from the request: here the stored events with
    one user text corrected, the timestamps kept (found by the second review)."""
    rasa, ours = stores(broker=True)
    try:
        for store in (rasa, ours):
            asyncio.run(converse(store, "c", [session(1) + turn("labas", 2)]))
            events = [e.as_dict() for e in session(1) + turn("labas", 2)]
            events[3] = UserUttered("sveiki", {"name": "greet", "confidence": 0.9}, timestamp=2).as_dict()
            asyncio.run(store.save(DialogueStateTracker.from_dict("c", events, DOMAIN.slots)))
        assert raw(ours, "c") == raw(rasa, "c")
    finally:
        drop(rasa, ours)


def test_an_event_equal_to_an_earlier_one_in_a_later_session_is_stored_as_rasa_stores_it():
    """Rasa's merge (every turn of a conversation's second session) drops a new event equal to a stored one,
    e.g. an event an action returns with an explicit timestamp (found by the second review)."""
    rasa, ours = stores(broker=True)
    try:
        turns = [session(1) + turn("labas", 2) + [SlotSet("language", "en", timestamp=3)],
                 session(5000) + turn("vėl", 5001), [SlotSet("language", "en", timestamp=3)]]
        asyncio.run(converse(rasa, "c", turns))
        asyncio.run(converse(ours, "c", turns))
        assert raw(ours, "c") == raw(rasa, "c")
        assert ours.event_broker.published == rasa.event_broker.published
    finally:
        drop(rasa, ours)


def test_ordinary_turns_take_the_cheap_save(monkeypatch):
    """Turns as the processor makes them (retrieve, add events, save), in one session and in a second one,
    never need Rasa's save: otherwise the store would be correct but no faster."""
    _, ours = stores(broker=True)
    taken = []

    async def rasa_save(self, tracker, timeout=None):
        taken.append(tracker.sender_id)

    monkeypatch.setattr(RasaRedisTrackerStore, "save", rasa_save)
    try:
        asyncio.run(converse(ours, "c", [session(1) + turn("labas", 2), turn("kaip registruotis", 3),
                                         session(5000) + turn("vėl aš", 5001), turn("ačiū", 5002)]))
        assert taken == []
        assert len(raw(ours, "c")["events"]) == 2 * 3 + 4 * 4
    finally:
        drop(ours)


def test_an_unreadable_stored_conversation_takes_rasas_path(monkeypatch):
    _, ours = stores()
    taken = []

    async def rasa_save(self, tracker, timeout=None):
        taken.append(tracker.sender_id)

    monkeypatch.setattr(RasaRedisTrackerStore, "save", rasa_save)
    try:
        ours.red.set(ours.key_prefix + "c", "{not json")
        tracker = DialogueStateTracker.from_events("c", session(1), DOMAIN.slots)
        asyncio.run(ours.save(tracker))
        assert taken == ["c"]
    finally:
        drop(ours)


TOKEN = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJkZW1vLTIwMDAifQ.signature"


def signed_in(text: str, at: float, first: bool = False) -> list:
    """A turn of a signed-in customer (the token in the message metadata); the first also starts the session
    as Rasa does for a message with metadata (the session_started_metadata slot)."""
    metadata = {"customer_token": TOKEN, "language": "lt"}
    start = [SlotSet("session_started_metadata", dict(metadata), timestamp=at - 1), *session(at - 0.9)] if first else []
    return [*start, UserUttered(text, {"name": "greet", "confidence": 0.9}, timestamp=at, metadata=dict(metadata)),
            BotUttered(f"re: {text}", timestamp=at + 0.2), ActionExecuted("action_listen", timestamp=at + 0.3)]


def test_customer_tokens_are_neither_stored_nor_published_and_turns_stay_cheap(monkeypatch):
    _, ours = stores(broker=True)
    taken = []
    original = RasaRedisTrackerStore.save

    async def rasa_save(self, tracker, timeout=None):
        taken.append(tracker.sender_id)
        await original(self, tracker, timeout)

    monkeypatch.setattr(RasaRedisTrackerStore, "save", rasa_save)
    try:
        asyncio.run(converse(ours, "c", [signed_in("kiek taškų", 2, first=True), signed_in("o dabar", 3),
                                         signed_in("vėl aš", 5000, first=True)]))
        stored = raw(ours, "c")
        assert TOKEN not in json.dumps(stored) and TOKEN not in json.dumps(ours.event_broker.published)
        assert [e["metadata"] for e in stored["events"] if e["event"] == "user"] == [{"language": "lt"}] * 3
        published = [e["metadata"] for e in ours.event_broker.published if e["event"] == "user"]
        assert published == [{"language": "lt", "customer_claim": customer_claim(TOKEN)}] * 3  # the core's analytics
        assert taken == []  # the stored (redacted) events still compare equal to the retrieved tracker's
        slots = [e["value"] for e in stored["events"] if e.get("name") == "session_started_metadata"]
        assert slots == [{"language": "lt"}] * 2
    finally:
        drop(ours)


def test_rasas_save_path_stores_and_publishes_no_token_either():
    _, ours = stores(broker=True)
    try:
        asyncio.run(converse(ours, "c", [signed_in("labas", 2, first=True)]))
        tracker = asyncio.run(ours.retrieve("c"))
        asyncio.run(converse(ours, "c", [signed_in("from another writer", 3)]))  # Rasa's merge decides
        for event in signed_in("ours", 4):
            tracker.update(event)
        asyncio.run(ours.save(tracker))
        stored = raw(ours, "c")
        assert [e.get("text") for e in stored["events"] if e["event"] == "user"] == [
            "labas", "from another writer", "ours"]
        assert TOKEN not in json.dumps(stored) and TOKEN not in json.dumps(ours.event_broker.published)
        assert tracker.latest_message.metadata["customer_token"] == TOKEN  # the turn's tracker is untouched
        assert {e["metadata"].get("customer_claim") for e in ours.event_broker.published if e["event"] == "user"} == {
            customer_claim(TOKEN)}
    finally:
        drop(ours)


def test_events_are_looked_up_by_name_as_rasa_does():
    from rasa.shared.core.events import Event

    event_types.apply()
    assert Event.resolve_by_type("user") is UserUttered
    assert Event.resolve_by_type("action") is ActionExecuted
    assert Event.resolve_by_type("topic") is None
    assert Event.resolve_by_type("no such event", default=BotUttered) is BotUttered
    with pytest.raises(ValueError, match="Unknown event name 'no such event'"):
        Event.resolve_by_type("no such event")

    class Later(Event):  # a subclass defined after the first look-ups is still found
        type_name = "test_later_event"

        def as_story_string(self) -> str:
            return "later"

        def __eq__(self, other: object) -> bool:
            return isinstance(other, Later)

    assert Event.resolve_by_type("test_later_event") is Later
