"""The session start inside Rasa (bot/rasa_ext/session_start.py): a new session keeps the slots (not the session's
own satisfaction slots), the guided flow in progress and the handoff's pause, and Rasa takes it as its default
`action_session_start` with our domain."""

from __future__ import annotations

import asyncio

import pytest
from rasa.core.actions.action import action_for_name_or_text
from rasa.shared.core.events import (
    ActionExecuted,
    ActiveLoop,
    ConversationPaused,
    SessionStarted,
    SlotSet,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import EndpointConfig

from bot.rasa_ext import session_start
from tests.domain_files import load_domain


@pytest.fixture(scope="module")
def domain():
    from rasa.shared.core.domain import Domain

    return Domain.from_dict(load_domain())


def tracker(domain, *events) -> DialogueStateTracker:
    return DialogueStateTracker.from_events("customer", [ActionExecuted("action_listen"), *events], domain.slots)


def run(domain, state: DialogueStateTracker) -> list:
    session_start.apply()
    action = action_for_name_or_text("action_session_start", domain, EndpointConfig("http://127.0.0.1:1/webhook"))
    assert isinstance(action, session_start.ActionSessionStart)  # Rasa's default, ours: no action-server call
    return asyncio.run(action.run(None, None, state, domain))


@pytest.mark.parametrize("flow", ["membership_form", None])
def test_a_new_session_keeps_the_slots_and_the_unfinished_flow(domain, flow):
    slots = [SlotSet("language", "en"), SlotSet("tier", "gold"), SlotSet("requested_slot", "payment_method"),
             SlotSet("payment_method", None)]
    loop = [ActiveLoop(flow)] if flow else []
    events = run(domain, tracker(domain, UserUttered("hi", {"name": "greet"}), *slots, *loop))
    assert events[0] == SessionStarted() and events[-1] == ActionExecuted("action_listen")
    carried = {e.key: e.value for e in events if isinstance(e, SlotSet)}
    assert carried["language"] == "en" and carried["tier"] == "gold" and carried["requested_slot"] == "payment_method"
    assert "payment_method" not in carried  # a slot without a value is not carried
    assert [e for e in events if isinstance(e, ActiveLoop)] == loop
    assert not any(isinstance(e, ConversationPaused) for e in events)


def test_a_new_session_of_a_handed_off_conversation_stays_paused(domain):
    events = run(domain, tracker(domain, UserUttered("hello?", {"name": "greet"}), ConversationPaused()))
    assert events[0] == SessionStarted() and events[-2:] == [ConversationPaused(), ActionExecuted("action_listen")]


def test_the_domain_leaves_the_session_start_to_rasa(domain):
    assert "action_session_start" not in domain.user_actions


def test_a_new_session_is_asked_again_and_records_its_own_answer(domain):
    """The satisfaction slots belong to one session (bot/vocabulary.py SESSION_SLOTS): none is carried over."""
    slots = [SlotSet("language", "en"), SlotSet("satisfaction_asked", True), SlotSet("satisfaction", "helped"),
             SlotSet("satisfaction_comment", "Quick answers")]
    events = run(domain, tracker(domain, UserUttered("thanks", {"name": "thank"}), *slots))
    carried = {e.key: e.value for e in events if isinstance(e, SlotSet)}
    assert carried == {"language": "en"}
