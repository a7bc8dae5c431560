"""Rasa's Redis tracker store with a save that does not rebuild the stored conversation.

Rasa 3.6's `RedisTrackerStore.save` reads the stored conversation back, turns every stored event into an `Event`
object, compares them with the tracker's one by one (through jsonpickle) and merges; with an event broker it reads
and rebuilds the stored conversation once more to find the events to publish. A conversation of 50 events costs
several milliseconds of a Rasa worker per turn, growing with its length (py-spy, issue 13; docs/benchmarks.md).

This store keeps Rasa's format, keys, expiry and merge; `save` first checks, on the stored JSON alone, whether the
tracker simply extends what is stored (the usual case: the turn held the conversation's lock since it read it):
the stored events of the tracker's session must be the first events of the tracker, the same events (compared
as JSON); in a conversation of several sessions no new event may equal a stored or another new one (Rasa's
merge would drop it). Then it writes the earlier sessions as stored plus the tracker's events, and publishes the
tracker's new events to the broker (what Rasa's `stream_events` would find). Anything else (a changed or longer
stored conversation, a repeated event, an unreadable one) takes Rasa's own save unchanged. (Like Rasa's
processor, it assumes trackers without `max_event_history`.)

Neither store keeps customer tokens (bot/rasa_ext/token_redaction.py): every event is redacted as it is
written, by both saves; the tracker in memory, which the turn's actions get, keeps its token. Without Redis,
`InMemoryTrackerStore` is Rasa's in-memory store with the same redaction.

Endpoints: `tracker_store: {type: bot.rasa_ext.tracker_store.RedisTrackerStore, url: ..., port: ..., ...}` (the
same keys as Rasa's `type: redis`), or `tracker_store: {type: bot.rasa_ext.tracker_store.InMemoryTrackerStore}`.
Production (deploy/endpoints.production.yml) keeps conversations in PostgreSQL with `SQLTrackerStore`: Rasa's
`type: SQL` store and keys (dialect, url, port, db, username, password, login_db, query), with the same redaction.

`delete_conversation` removes one conversation from any of the three (Rasa's own stores too): an erasure on
request (bot/rasa_ext/conversation_routes.py, docs/analytics.md "Privacy").
"""

from __future__ import annotations

import json
from typing import Any, Dict, List, Optional, Text

from rasa.core.brokers.broker import EventBroker
from rasa.core.tracker_store import InMemoryTrackerStore as RasaInMemoryTrackerStore
from rasa.core.tracker_store import RedisTrackerStore as RasaRedisTrackerStore
from rasa.core.tracker_store import SQLTrackerStore as RasaSQLTrackerStore
from rasa.core.tracker_store import TrackerStore
from rasa.shared.core.constants import ACTION_SESSION_START_NAME
from rasa.shared.core.events import Event
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import INTENT_NAME_KEY

from bot.rasa_ext.fast_json import dumps
from bot.rasa_ext.token_redaction import published_event, redact_event, redact_events

StoredEvent = Dict[Text, Any]


def last_session_start(events: List[StoredEvent]) -> int:
    """Index of the stored events' last `action_session_start`, where the session Rasa retrieves begins (0 when
    there is none: the whole conversation is one session)."""
    for index in range(len(events) - 1, -1, -1):
        event = events[index]
        if event.get("event") == "action" and event.get("name") == ACTION_SESSION_START_NAME:
            return index
    return 0


def extends(stored: List[StoredEvent], current: List[StoredEvent]) -> bool:
    """True when `current` begins with the events of `stored`: equal, or the same JSON (a tuple where the stored
    JSON has a list)."""
    head = current[: len(stored)]
    return len(head) == len(stored) and (head == stored or dumps(head) == dumps(stored))


def repeats(earlier: List[StoredEvent], new: List[StoredEvent]) -> bool:
    """True when an event of `new` equals one of `earlier` or an earlier one of `new` (as JSON)."""
    seen = {dumps(event) for event in earlier}
    for event in new:
        text = dumps(event)
        if text in seen:
            return True
        seen.add(text)
    return False


def stored_events(serialised: Optional[bytes | str]) -> Optional[List[StoredEvent]]:
    """The events of a stored conversation; [] when none is stored; None when it cannot be read."""
    if serialised is None:
        return []
    try:
        events = json.loads(serialised).get("events")
    except (ValueError, AttributeError):
        return None
    return events if isinstance(events, list) else None


def serialise_redacted(tracker: DialogueStateTracker) -> Text:
    """The tracker as Rasa's stores serialise it (`{"events", "name"}` JSON), without customer tokens."""
    dialogue = tracker.as_dialogue().as_dict()
    return json.dumps({**dialogue, "events": redact_events(dialogue["events"])})


class WithoutTokens:
    """What both stores write and publish goes without customer tokens (a mixin before Rasa's store); a customer
    message is published with the token's claim (token_redaction.py `published_event`)."""

    serialise_tracker = staticmethod(serialise_redacted)  # Rasa's own saves write with it

    async def _stream_new_events(self, event_broker: EventBroker, new_events: List[Event], sender_id: Text) -> None:
        for event in new_events:
            event_broker.publish(published_event({"sender_id": sender_id, **event.as_dict()}))


class InMemoryTrackerStore(WithoutTokens, RasaInMemoryTrackerStore):
    """Rasa's in-memory tracker store, storing and publishing no customer tokens."""

    async def save(self, tracker: DialogueStateTracker) -> None:
        await self.stream_events(tracker)
        self.store[tracker.sender_id] = self.serialise_tracker(tracker)


class RedisTrackerStore(WithoutTokens, RasaRedisTrackerStore):
    """Rasa's Redis tracker store; `save` appends without rebuilding the stored conversation when it can; no
    customer tokens are stored or published."""

    async def save(self, tracker: DialogueStateTracker, timeout: Optional[float] = None) -> None:
        key = self.key_prefix + tracker.sender_id
        stored = stored_events(self.red.get(key))
        current = redact_events([event.as_dict() for event in tracker.events])
        if stored is None:
            await super().save(tracker, timeout)
            return
        start = last_session_start(stored)
        new = current[len(stored) - start:]
        if not extends(stored[start:], current) or (start > 0 and repeats(stored, new)):
            await super().save(tracker, timeout)  # Rasa's merge decides
            return
        if self.event_broker is not None:
            new_events = list(tracker.events)[len(stored) - start:]
            await self._stream_new_events(self.event_broker, new_events, tracker.sender_id)
        dialogue = {"events": stored[:start] + current, "name": tracker.sender_id}
        self.red.set(key, dumps(dialogue), ex=timeout or self.record_exp or None)


class SQLTrackerStore(WithoutTokens, RasaSQLTrackerStore):
    """Rasa's SQL tracker store (one row per event, as Rasa writes it); no customer tokens are stored or
    published."""

    async def save(self, tracker: DialogueStateTracker) -> None:
        await self.stream_events(tracker)
        with self.session_scope() as session:
            for event in self._additional_events(session, tracker):  # the events not stored yet, as Rasa's save
                data = redact_event(event.as_dict())
                session.add(self.SQLEvent(
                    sender_id=tracker.sender_id,
                    type_name=event.type_name,
                    timestamp=data.get("timestamp"),
                    intent_name=(data.get("parse_data") or {}).get("intent", {}).get(INTENT_NAME_KEY),
                    action_name=data.get("name"),
                    data=json.dumps(data),
                ))
            session.commit()


def underlying_store(store: TrackerStore) -> TrackerStore:
    """The real store inside Rasa's wrappers (`FailSafeTrackerStore`, `AwaitableTrackerStore`)."""
    while hasattr(store, "_tracker_store"):
        store = store._tracker_store
    return store


def delete_conversation(store: TrackerStore, sender_id: Text) -> bool:
    """Delete every event of the conversation `sender_id` from the tracker store (Redis: its key; SQL: its rows;
    memory: its entry); True when something was stored. An erasure (bot/rasa_ext/conversation_routes.py).
    NotImplementedError for a store of another kind."""
    store = underlying_store(store)
    if isinstance(store, RasaRedisTrackerStore):
        return bool(store.red.delete(store.key_prefix + sender_id))
    if isinstance(store, RasaSQLTrackerStore):
        events = store.SQLEvent.__table__
        with store.session_scope() as session:
            deleted = session.execute(events.delete().where(events.c.sender_id == sender_id)).rowcount
            session.commit()
        return bool(deleted)
    if isinstance(store, RasaInMemoryTrackerStore):
        return store.store.pop(sender_id, None) is not None
    raise NotImplementedError(f"{type(store).__name__} cannot delete a conversation")
