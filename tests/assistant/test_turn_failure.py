"""A turn that fails outside the actions (the lock or tracker store unreachable) is answered, not silent
(bot/rasa_ext/turn_failure.py, issue 14); against the trained model and Rasa's own Agent and Redis lock store."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any, List

import pytest
from rasa.core.agent import Agent
from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.lock_store import RedisLockStore
from rasa.core.tracker_store import FailSafeTrackerStore, InMemoryTrackerStore

from bot.rasa_ext import input_limits, store_failures, turn_failure
from bot.vocabulary import LANGUAGE_HINT_KEY
from tests.assistant.helpers import identify
from tests.servers import free_port


def run(coroutine: Any) -> Any:
    return asyncio.new_event_loop().run_until_complete(coroutine)


@pytest.fixture
def redis_down(agent: Agent, monkeypatch) -> Agent:
    """The agent with Rasa's Redis lock store pointing at a port where nothing listens (Redis down)."""
    monkeypatch.setattr(agent, "lock_store", RedisLockStore(host="127.0.0.1", port=free_port()))
    return agent


def answers(agent: Agent, text: str, metadata: Any = None) -> List[tuple]:
    output = CollectingOutputChannel()
    sender = f"failure-{uuid.uuid4().hex[:8]}"
    replies = run(agent.handle_message(UserMessage(text, output, sender, metadata=metadata)))
    assert run(agent.tracker_store.retrieve(sender)) is None  # nothing stored
    return [identify(reply["text"]) for reply in replies or []]


@pytest.mark.parametrize("text, metadata, language", [
    ("Kaip užsiregistruoti verslo paskyrai?", None, "lt"),
    ("How do I register a business account?", None, "en"),
    ("ok", {LANGUAGE_HINT_KEY: "en"}, "en"),  # no language in the text: the page's
    ("ok", None, "lt"),
])
def test_a_turn_without_its_store_is_answered_in_the_messages_language(redis_down, text, metadata, language):
    assert answers(redis_down, text, metadata) == [("utter_service_trouble", language)]


def test_the_trouble_answer_offers_a_colleague(redis_down):
    output = CollectingOutputChannel()
    run(redis_down.handle_message(UserMessage("How do I register?", output, "failure-buttons")))
    assert [button["payload"] for button in output.messages[0]["buttons"]] == ["/request_human"]


def test_a_working_turn_is_rasas(agent):
    assert answers_stored(agent, "How do I register a business account?")[0][0] != "utter_service_trouble"


def answers_stored(agent: Agent, text: str) -> List[tuple]:
    output = CollectingOutputChannel()
    replies = run(agent.handle_message(UserMessage(text, output, f"working-{uuid.uuid4().hex[:8]}")))
    return [identify(reply["text"]) for reply in replies]


def test_the_patch_is_applied_once_over_the_input_limits():
    handle = Agent.handle_message
    turn_failure.apply()
    input_limits.apply()
    assert Agent.handle_message is handle
    assert handle._canon_turn_failure and handle._canon_input_limits


def test_a_failing_output_channel_is_logged_not_raised(agent, caplog):
    class BrokenOutput(CollectingOutputChannel):
        async def _persist_message(self, message: Any) -> None:
            raise ConnectionError("the customer's channel is gone")

    message = UserMessage("How do I register?", BrokenOutput(), "failure-broken")
    assert run(turn_failure.answer_failed_turn(agent, message, RuntimeError("store down"))) is None
    assert "could not be sent" in caplog.text


class FailingStore(InMemoryTrackerStore):
    """An in-memory tracker store whose `failing` operations raise as an unreachable Redis would."""

    def __init__(self, domain: Any, failing: str) -> None:
        super().__init__(domain)
        self.failing = failing

    async def save(self, tracker: Any) -> None:
        if self.failing == "save":
            raise ConnectionError("Redis cut off while saving")
        await super().save(tracker)

    async def retrieve(self, sender_id: str) -> Any:
        if self.failing == "retrieve":
            raise ConnectionError("Redis cut off while reading")
        return await super().retrieve(sender_id)


def failing_store(agent: Agent, monkeypatch, failing: str) -> FailSafeTrackerStore:
    """Rasa's own wrapper around a store that fails, in place of the agent's store."""
    store = FailSafeTrackerStore(FailingStore(agent.domain, failing))
    monkeypatch.setattr(agent, "tracker_store", store)
    monkeypatch.setattr(agent.processor, "tracker_store", store)
    return store


def turn(agent: Agent, text: str) -> List[tuple]:
    output = CollectingOutputChannel()
    run(agent.handle_message(UserMessage(text, output, f"store-{uuid.uuid4().hex[:8]}")))
    return [identify(reply["text"]) for reply in output.messages]


def test_a_failed_save_fails_the_turn_instead_of_keeping_it_in_memory(agent, monkeypatch):
    store = failing_store(agent, monkeypatch, "save")
    replies = turn(agent, "How do I register a business account?")
    assert replies[-1] == ("utter_service_trouble", "en")
    assert store._fallback_tracker_store is None  # Rasa's in-memory stand-in (which keeps tokens) never made


def test_a_failed_read_fails_the_turn_instead_of_starting_afresh(agent, monkeypatch):
    failing_store(agent, monkeypatch, "retrieve")
    assert turn(agent, "How do I register a business account?") == [("utter_service_trouble", "en")]


def test_store_failures_are_logged_and_raised():
    store_failures.apply()
    store = FailSafeTrackerStore(InMemoryTrackerStore(None))
    with pytest.raises(ConnectionError):
        try:
            raise ConnectionError("down")
        except ConnectionError as error:
            store.on_tracker_store_error(error)
