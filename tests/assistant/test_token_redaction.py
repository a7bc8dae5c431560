"""Customer tokens are never stored or published (bot/rasa_ext/token_redaction.py): the redaction of real Rasa
events, Rasa's session start carrying the message metadata into a slot, and the claim the event broker publishes
instead (its verification by the core: tests/core/test_recorder.py, the same tests/customer_claims.py)."""

from __future__ import annotations

import asyncio
import json

from rasa.shared.core.constants import SESSION_START_METADATA_SLOT
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, SessionStarted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.rasa_ext.session_start import session_start_events
from bot.rasa_ext.token_redaction import customer_claim, published_event, redact_event, redact_events
from bot.rasa_ext.tracker_store import InMemoryTrackerStore, serialise_redacted
from tests import customer_claims

TOKEN = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJkZW1vLTIwMDAifQ.secret-signature"
METADATA = {"customer_token": TOKEN, "language": "lt", "page": "/paskyra"}
KEPT = {"language": "lt", "page": "/paskyra"}
DOMAIN = Domain.from_dict({"intents": ["greet"], "slots": {"signed_in": {"type": "bool", "mappings": []}}})


def user(text: str = "kiek turiu taškų?", metadata: dict | None = None, at: float = 2.0) -> UserUttered:
    parse_data = {"intent": {"name": "greet", "confidence": 0.9}, "entities": [], "text": text,
                  "metadata": dict(metadata or METADATA)}
    return UserUttered(text, parse_data["intent"], [], parse_data, timestamp=at, metadata=dict(metadata or METADATA))


def test_a_user_event_loses_only_the_token_and_the_original_is_untouched() -> None:
    event = user()
    stored = redact_event(event.as_dict())
    assert stored["metadata"] == KEPT and stored["parse_data"]["metadata"] == KEPT
    assert stored["text"] == "kiek turiu taškų?" and stored["parse_data"]["intent"]["name"] == "greet"
    assert event.metadata["customer_token"] == TOKEN  # the turn's tracker still has it for the actions
    assert event.as_dict()["parse_data"]["metadata"]["customer_token"] == TOKEN
    assert UserUttered.from_parameters(stored).metadata == KEPT  # still a valid Rasa event


def test_the_session_start_metadata_slot_and_any_events_metadata_lose_the_token() -> None:
    slot = redact_event(SlotSet(SESSION_START_METADATA_SLOT, dict(METADATA)).as_dict())
    assert slot["value"] == KEPT
    assert redact_event(SessionStarted(metadata=dict(METADATA)).as_dict())["metadata"] == KEPT
    assert redact_event(ActionExecuted("action_account_points", metadata=dict(METADATA)).as_dict())["metadata"] == KEPT
    other = SlotSet("page", {"customer_token": "not a token slot"}).as_dict()
    assert redact_event(other) is other  # only the metadata slot holds message metadata


def test_events_without_a_token_are_returned_as_they_are() -> None:
    events = [e.as_dict() for e in (user(metadata={"language": "en"}), BotUttered("Labas"),
                                    SlotSet(SESSION_START_METADATA_SLOT, None), SessionStarted())]
    assert all(new is old for new, old in zip(redact_events(events), events, strict=True))


def test_the_broker_publishes_a_claim_instead_of_the_token() -> None:
    token = customer_claims.TOKEN
    event = user(metadata={"customer_token": token, "language": "lt"}).as_dict()
    published = published_event(event)
    assert published["metadata"] == {"language": "lt", "customer_claim": customer_claims.CLAIM}
    assert published["parse_data"]["metadata"] == {"language": "lt"}
    assert token not in json.dumps(published) and token.rsplit(".", 1)[1] not in json.dumps(published)
    assert event["metadata"]["customer_token"] == token  # never mutated
    assert customer_claim(token) == customer_claims.CLAIM


def test_no_claim_without_a_token_shaped_like_one() -> None:
    for metadata in ({"language": "en"}, {"customer_token": "not-a-token"}, {"customer_token": 5}):
        published = published_event(user(metadata=metadata).as_dict())
        assert "customer_claim" not in published["metadata"] and "customer_token" not in published["metadata"]
    slot = published_event(SlotSet(SESSION_START_METADATA_SLOT, dict(METADATA)).as_dict())
    assert slot["value"] == KEPT  # the token only in a customer message becomes a claim


def signed_in_session() -> DialogueStateTracker:
    """A new session as Rasa's processor starts it for a message with metadata (the metadata slot first), then
    the customer's message and an answer."""
    tracker = DialogueStateTracker("c", DOMAIN.slots)
    tracker.update(SlotSet(SESSION_START_METADATA_SLOT, dict(METADATA)), DOMAIN)
    for event in [ActionExecuted("action_session_start"), *session_start_events(tracker),
                  user(), SlotSet("signed_in", True), BotUttered("Turite 120 taškų.")]:
        tracker.update(event, DOMAIN)
    return tracker


def test_a_serialised_tracker_holds_no_token_and_a_new_session_does_not_carry_it() -> None:
    tracker = signed_in_session()
    text = serialise_redacted(tracker)
    assert TOKEN not in text and "customer_token" not in text
    assert tracker.get_slot(SESSION_START_METADATA_SLOT)["customer_token"] == TOKEN  # memory is untouched
    stored = DialogueStateTracker.from_dict("c", json.loads(text)["events"], DOMAIN.slots)
    assert stored.get_slot(SESSION_START_METADATA_SLOT) == KEPT and stored.get_slot("signed_in") is True
    carried = session_start_events(stored)  # an hour later: the slots carried over hold no token
    assert TOKEN not in json.dumps([event.as_dict() for event in carried])


def test_the_in_memory_store_keeps_and_publishes_no_token() -> None:
    published: list[dict] = []

    class Broker:
        def publish(self, event: dict) -> None:
            published.append(event)

    store = InMemoryTrackerStore(DOMAIN, event_broker=Broker())
    tracker = signed_in_session()
    asyncio.run(store.save(tracker))
    assert TOKEN not in store.store["c"] and TOKEN not in json.dumps(published)
    assert len(published) == len(tracker.events)
    # the customer's message is published with the token's claim (for the core's analytics), never stored with it
    assert [e["metadata"]["customer_claim"] for e in published if e["event"] == "user"] == [customer_claim(TOKEN)]
    assert "customer_claim" not in store.store["c"]
    again = asyncio.run(store.retrieve("c"))
    assert again.get_slot(SESSION_START_METADATA_SLOT) == KEPT
    again.update(user("o kiek dabar?", at=3.0), DOMAIN)  # the next message brings the token again
    assert again.latest_message.metadata["customer_token"] == TOKEN
    asyncio.run(store.save(again))
    assert TOKEN not in store.store["c"] and TOKEN not in json.dumps(published)
