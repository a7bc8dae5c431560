"""Degraded mode (bot/rasa_ext/degraded.py) against Rasa's own classes: a custom action or a guided flow whose
action server refuses, fails (500) or times out gets the customer an answer in their language, "cancel" and the
handoff run inside Rasa, and a flow keeps its state for the next message."""

from __future__ import annotations

import asyncio
import socket
from typing import Any, List

import pytest
from aiohttp import web
from rasa.core.actions.action import ActionExecutionRejection, RemoteAction
from rasa.core.actions.forms import FormAction
from rasa.core.channels.channel import CollectingOutputChannel
from rasa.core.nlg import TemplatedNaturalLanguageGenerator
from rasa.shared.core.events import (
    ActionExecuted,
    ActiveLoop,
    BotUttered,
    ConversationPaused,
    FollowupAction,
    SlotSet,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import EndpointConfig

from bot.rasa_ext import degraded
from tests.assistant.helpers import response_text
from tests.domain_files import load_domain

LANGUAGES = ["lt", "en"]
PRODUCT = [SlotSet("product_id", 7), SlotSet("product_name", "EOS R6"),
           SlotSet("product_missing", ["serial_number", "dealer"])]


@pytest.fixture(scope="module")
def domain():
    from rasa.shared.core.domain import Domain

    degraded.apply()
    return Domain.from_dict(load_domain())


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]  # nothing listens once the socket is closed


DOWN = EndpointConfig(f"http://127.0.0.1:{closed_port()}/webhook")


def tracker(domain, language: str, *events: Any) -> DialogueStateTracker:
    return DialogueStateTracker.from_events("customer", [ActionExecuted("action_listen"),
                                                         SlotSet("language", language), *events], domain.slots)


def in_flow(domain, language: str, text: str, intent: str, confidence: float = 0.9) -> DialogueStateTracker:
    """The product-details flow asking for the serial number, the customer's answer just filled it."""
    return tracker(domain, language, *PRODUCT, ActiveLoop("product_details_form"),
                   SlotSet("requested_slot", "serial_number"), ActionExecuted("action_listen"),
                   UserUttered(text, {"name": intent, "confidence": confidence}), SlotSet("serial_number", text))


async def run(action, domain, state: DialogueStateTracker, endpoint: EndpointConfig = DOWN) -> List[Any]:
    action.action_endpoint = endpoint
    nlg = TemplatedNaturalLanguageGenerator(domain.responses)
    return await action.run(CollectingOutputChannel(), nlg, state, domain)


def said(events: List[Any]) -> List[str]:
    return [e.text for e in events if isinstance(e, BotUttered)]


def buttons(events: List[Any]) -> List[str]:
    return [b["payload"] for e in events if isinstance(e, BotUttered) for b in e.data.get("buttons") or []]


async def stub_server(path: str, handler: Any) -> web.AppRunner:
    """A local HTTP server answering POST `path` with `handler` (the caller cleans it up)."""
    app = web.Application()
    app.router.add_post(path, handler)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    return runner


async def failing_server(status: int) -> web.AppRunner:
    """An action server that answers every call with `status`."""
    return await stub_server("/webhook", lambda _request: web.json_response({"error": "boom"}, status=status))


def endpoint_of(runner: web.AppRunner) -> EndpointConfig:
    port = runner.addresses[0][1]
    return EndpointConfig(f"http://127.0.0.1:{port}/webhook")


# ---------------------------------------------------------------- a custom action the rules predict

@pytest.mark.parametrize("language", LANGUAGES)
def test_a_refused_action_says_the_service_has_trouble_and_offers_a_colleague(domain, language):
    events = asyncio.run(run(RemoteAction("action_answer_points", None), domain, tracker(domain, language)))
    assert said(events) == [response_text("utter_service_trouble", language)]
    assert buttons(events) == ["/request_human"]
    assert events[-1] == FollowupAction("action_listen")  # nothing else runs this turn


@pytest.mark.parametrize("status", [500, 503, 404])
def test_an_action_server_error_says_the_same(domain, status):
    async def scenario() -> List[Any]:
        runner = await failing_server(status)
        try:
            return await run(RemoteAction("action_answer_points", None), domain, tracker(domain, "en"),
                             endpoint_of(runner))
        finally:
            await runner.cleanup()

    assert said(asyncio.run(scenario())) == [response_text("utter_service_trouble", "en")]


def test_a_timed_out_action_says_the_same(domain, monkeypatch):
    async def hang(*_args: Any, **_kwargs: Any) -> Any:
        raise asyncio.TimeoutError()

    monkeypatch.setattr(EndpointConfig, "request", hang)
    events = asyncio.run(run(RemoteAction("action_answer_points", None), domain, tracker(domain, "lt")))
    assert said(events) == [response_text("utter_service_trouble", "lt")]


def test_a_hung_action_server_is_given_up_on(domain, monkeypatch):
    async def hang(_request: web.Request) -> web.Response:
        await asyncio.sleep(10)
        return web.json_response({})

    async def scenario() -> List[Any]:
        runner = await stub_server("/webhook", hang)
        try:
            return await run(RemoteAction("action_answer_points", None), domain, tracker(domain, "en"),
                             endpoint_of(runner))
        finally:
            await runner.cleanup()

    monkeypatch.setenv("ACTION_SERVER_TIMEOUT", "0.5")
    degraded.apply()
    try:
        assert said(asyncio.run(scenario())) == [response_text("utter_service_trouble", "en")]
    finally:
        monkeypatch.delenv("ACTION_SERVER_TIMEOUT")
        degraded.apply()


def test_rasa_waits_30_seconds_for_the_action_server_not_5_minutes(monkeypatch):
    import rasa.core.actions.action as rasa_action

    monkeypatch.delenv("ACTION_SERVER_TIMEOUT", raising=False)
    degraded.apply()
    assert rasa_action.DEFAULT_REQUEST_TIMEOUT == 30


def test_a_rejection_by_the_action_server_is_still_rasas(domain):
    async def scenario() -> None:
        runner = await stub_server("/webhook", lambda _r: web.json_response(
            {"action_name": "action_answer_points", "error": "no"}, status=400))
        try:
            await run(RemoteAction("action_answer_points", None), domain, tracker(domain, "en"), endpoint_of(runner))
        finally:
            await runner.cleanup()

    with pytest.raises(ActionExecutionRejection):
        asyncio.run(scenario())


# ---------------------------------------------------------------- "cancel" and the handoff run inside Rasa

@pytest.mark.parametrize("language", LANGUAGES)
def test_stop_ends_the_flow_inside_rasa(domain, language):
    state = tracker(domain, language, *PRODUCT, SlotSet("serial_number", "AB123"), ActiveLoop("product_details_form"),
                    SlotSet("requested_slot", "dealer"), ActionExecuted("action_listen"),
                    UserUttered("atšaukti", {"name": "stop", "confidence": 0.99}))
    events = asyncio.run(run(RemoteAction("action_stop_flow", None), domain, state))
    assert said(events) == [response_text("utter_flow_stopped", language)]
    assert ActiveLoop(None) in events and SlotSet("serial_number", None) in events
    assert SlotSet("product_id", None) in events


@pytest.mark.parametrize("language", LANGUAGES)
def test_stop_outside_a_flow_answers_inside_rasa(domain, language):
    state = tracker(domain, language, UserUttered("cancel", {"name": "stop", "confidence": 0.99}))
    events = asyncio.run(run(RemoteAction("action_stop_flow", None), domain, state))
    assert said(events) == [response_text("utter_nothing_to_stop", language)]


@pytest.mark.parametrize("language", LANGUAGES)
def test_thanks_and_did_this_help_inside_rasa(domain, language):
    state = tracker(domain, language, UserUttered("/cps_tiers", {"name": "cps_tiers", "confidence": 1.0}),
                    ActionExecuted("utter_cps_tiers"), ActionExecuted("action_listen"),
                    UserUttered("ačiū", {"name": "thank", "confidence": 0.99}))
    events = asyncio.run(run(RemoteAction("action_thank", None), domain, state))
    assert said(events) == [response_text("utter_welcome", language)]
    assert FollowupAction("utter_ask_satisfaction") in events and SlotSet("satisfaction_asked", True) in events
    state = tracker(domain, language, ActionExecuted("utter_ask_satisfaction"), ActionExecuted("action_listen"),
                    UserUttered("ne", {"name": "deny", "confidence": 0.99}))
    events = asyncio.run(run(RemoteAction("action_satisfaction_answer", None), domain, state))
    assert said(events) == [response_text("utter_satisfaction_not_helped", language)]
    assert SlotSet("satisfaction", "not_helped") in events


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_handoff_inside_rasa_says_honestly_when_the_core_is_down_too(domain, language, monkeypatch):
    monkeypatch.setenv("CORE_URL", f"http://127.0.0.1:{closed_port()}")
    state = tracker(domain, language, UserUttered("/request_human", {"name": "request_human", "confidence": 1.0}))
    events = asyncio.run(run(RemoteAction("action_handoff", None), domain, state))
    assert said(events) == [response_text("utter_handoff_failed", language)]
    assert not any(isinstance(e, ConversationPaused) for e in events)


def test_the_handoff_inside_rasa_reaches_the_core_and_pauses(domain, monkeypatch):
    calls = []

    async def escalations(request: web.Request) -> web.Response:
        calls.append((request.headers.get("X-Service-Key"), await request.json()))
        return web.json_response({"id": 1, "status": "waiting", "queue_position": 2, "estimated_wait_minutes": 10,
                                  "in_working_hours": True, "next_opening": None}, status=201)

    async def scenario() -> List[Any]:
        runner = await stub_server("/escalations", escalations)
        monkeypatch.setenv("CORE_URL", f"http://127.0.0.1:{runner.addresses[0][1]}")
        monkeypatch.setenv("CORE_SERVICE_KEY", "key")
        try:
            state = tracker(domain, "en", UserUttered("/request_human", {"name": "request_human", "confidence": 1}))
            return await run(RemoteAction("action_handoff", None), domain, state)
        finally:
            from actions.core_client import close_session

            await close_session()
            await runner.cleanup()

    events = asyncio.run(scenario())
    assert calls and calls[0][0] == "key" and calls[0][1]["conversation_id"] == "customer"
    assert said(events) == [response_text("utter_handoff_queued", "en").format(position=2, wait=10)]
    assert ConversationPaused() in events


# ---------------------------------------------------------------- a guided flow

@pytest.mark.parametrize("language", LANGUAGES)
def test_a_flow_whose_validation_fails_waits_with_its_answers(domain, language):
    events = asyncio.run(run(FormAction("product_details_form", None), domain,
                             in_flow(domain, language, "AB123456", "out_of_scope")))
    assert said(events) == [response_text("utter_service_trouble_in_flow", language)]
    assert buttons(events) == ["/request_human"]
    # the unchecked answer is taken back; the form, its question and the other answers stay
    assert events[0] == SlotSet("serial_number", None)
    assert not any(isinstance(e, (ActiveLoop, ActionExecuted)) for e in events)
    assert not any(isinstance(e, SlotSet) and e.key != "serial_number" for e in events)
    assert events[-1] == FollowupAction("action_listen")


@pytest.mark.parametrize("text, intent", [("atšaukti", "stop"), ("/request_human", "request_human")])
def test_stop_and_a_request_for_a_person_leave_the_flow_to_the_rules(domain, text, intent):
    with pytest.raises(ActionExecutionRejection):
        asyncio.run(run(FormAction("product_details_form", None), domain, in_flow(domain, "lt", text, intent)))


def test_an_unsure_stop_is_an_answer_like_any_other(domain):
    events = asyncio.run(run(FormAction("product_details_form", None), domain,
                             in_flow(domain, "en", "stop", "stop", confidence=0.3)))
    assert said(events) == [response_text("utter_service_trouble_in_flow", "en")]


def test_a_flow_that_cannot_start_says_so_and_does_not_start(domain):
    state = tracker(domain, "en", *PRODUCT, UserUttered("/affirm", {"name": "affirm", "confidence": 1.0}))
    events = asyncio.run(run(FormAction("product_details_form", None), domain, state))
    assert said(events) == [response_text("utter_service_trouble", "en")]
    assert not any(isinstance(e, ActiveLoop) for e in events)


def test_slots_before_message_restores_earlier_values(domain):
    state = tracker(domain, "en", SlotSet("dealer", "Foto"), ActionExecuted("action_listen"),
                    UserUttered("x", {"name": "out_of_scope"}), SlotSet("dealer", "x"), SlotSet("serial_number", "y"),
                    SlotSet("language", "lt"))
    undone = degraded.slots_before_message(state, {"dealer", "serial_number"})
    assert undone == [SlotSet("dealer", "Foto"), SlotSet("serial_number", None)]


def test_loading_our_components_applies_it():
    import bot.rasa_ext.components  # noqa: F401  (Rasa imports it with the pipeline)

    degraded.apply()  # idempotent: wrapped once
    assert RemoteAction.run.degraded and FormAction.run.degraded
    assert RemoteAction.run.__closure__ and not getattr(RemoteAction.run.__closure__[0].cell_contents, "degraded",
                                                        False)
