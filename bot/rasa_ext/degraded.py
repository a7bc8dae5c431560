"""Degraded mode: what the customer gets when the action server cannot answer (issue 14), instead of silence.

Rasa 3.6 logs a custom action that fails (connection refused, timeout, a 5xx, an invalid answer) and carries on
without its events: an account question got an empty reply, a message inside a guided flow too, and "cancel"
was ignored. `apply()` wraps two of Rasa's classes; our components module applies it when Rasa loads the pipeline.

- `RemoteAction.run` (a custom action the rules predict): the actions in `LOCAL_ACTIONS` (leaving a flow, the
  handoff and the delivery of agents' replies, thanks and goodbye with "did this help?") run inside Rasa
  instead, the same code through rasa_sdk's executor, so "cancel" still cancels and "leave a message for a
  colleague" still reaches the core; any other says `utter_service_trouble` (in the conversation's language,
  with a button that hands over) and listens.
- `FormAction.run` (a guided flow, whose validation is a custom action): the flow stays as it was before the
  message (the answer this message filled is taken back: it was not checked), says
  `utter_service_trouble_in_flow` and listens; the next message after recovery goes on with the same question
  and the answers kept. "Stop" and a request for a person are rejected by the form, so that their rules run
  (`LOCAL_ACTIONS`), as the flows' own validation does with the action server up.

A call to the action server has `ACTION_SERVER_TIMEOUT` seconds (default 30; Rasa's own is 5 minutes, which a
hung action server would make the customer wait): an action makes at most a few calls to the core of 5 s each.
"""

from __future__ import annotations

import importlib
import logging
import os
from contextvars import ContextVar
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Awaitable, Callable, Dict, List, Text

import rasa.core.actions.action
from rasa.core.actions.action import ActionBotResponse, ActionExecutionRejection, RemoteAction
from rasa.core.actions.forms import FormAction
from rasa.shared.core.constants import ACTION_LISTEN_NAME
from rasa.shared.core.events import Event, FollowupAction, SlotSet, UserUttered, deserialise_events

if TYPE_CHECKING:
    from rasa.core.channels.channel import OutputChannel
    from rasa.core.nlg import NaturalLanguageGenerator
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.trackers import DialogueStateTracker

logger = logging.getLogger(__name__)

TROUBLE = "utter_service_trouble"  # domain/degraded.yml
TROUBLE_IN_FLOW = "utter_service_trouble_in_flow"
# actions run inside Rasa when the action server cannot: name -> "module:class" (rasa_sdk actions)
LOCAL_ACTIONS = {
    "action_stop_flow": "actions.flow_control:ActionStopFlow",
    "action_handoff": "actions.handoff:ActionHandoff",
    "action_deliver_agent_messages": "actions.handoff:ActionDeliverAgentMessages",
    "action_handoff_closed": "actions.handoff:ActionHandoffClosed",
    # thanks, goodbye and "did this help?" need nothing but the conversation (actions/satisfaction.py)
    "action_thank": "actions.satisfaction:ActionThank",
    "action_goodbye": "actions.satisfaction:ActionGoodbye",
    "action_satisfaction_answer": "actions.satisfaction:ActionSatisfactionAnswer",
    "action_satisfaction_comment": "actions.satisfaction:ActionSatisfactionComment",
}
# intents whose rules lead to a local action: a guided flow lets them through instead of the trouble message
LOCAL_INTENTS = frozenset({"stop", "request_human"})
CONFIDENT = 0.5  # the FallbackClassifier's threshold, as the flows' validation reads intents
TIMEOUT_VARIABLE, DEFAULT_TIMEOUT = "ACTION_SERVER_TIMEOUT", 30.0

Run = Callable[..., Awaitable[List[Event]]]
_inside_form: ContextVar[bool] = ContextVar("inside_form", default=False)


@lru_cache(maxsize=1)
def executor() -> Any:
    """rasa_sdk's executor with the local actions registered (imported on first use only)."""
    from rasa_sdk.executor import ActionExecutor

    local = ActionExecutor()
    for target in LOCAL_ACTIONS.values():
        module, name = target.split(":")
        local.register_action(getattr(importlib.import_module(module), name))
    return local


async def run_locally(action: RemoteAction, output_channel: "OutputChannel", nlg: "NaturalLanguageGenerator",
                      tracker: "DialogueStateTracker", domain: "Domain") -> List[Event]:
    """Run `action` in this process with the request the action server would get; its answer as RemoteAction
    reads one (the bot's messages, then the events)."""
    response = await executor().run(action._action_call_format(tracker, domain))
    messages = await action._utter_responses(response.get("responses", []), output_channel, nlg, tracker)
    return [*messages, *deserialise_events(response.get("events", []))]


async def say_and_listen(response: Text, output_channel: "OutputChannel", nlg: "NaturalLanguageGenerator",
                         tracker: "DialogueStateTracker", domain: "Domain") -> List[Event]:
    """The bot says `response`, then waits for the customer (no further action this turn)."""
    uttered = await ActionBotResponse(response).run(output_channel, nlg, tracker, domain)
    return [*uttered, FollowupAction(ACTION_LISTEN_NAME)]


def confident_intent(tracker: "DialogueStateTracker") -> Text:
    """The latest message's intent when the model is confident about it, else ""."""
    intent = tracker.latest_message.intent if tracker.latest_message else {}
    return intent.get("name") or "" if float(intent.get("confidence") or 0.0) >= CONFIDENT else ""


def slots_before_message(tracker: "DialogueStateTracker", names: set) -> List[Event]:
    """SlotSet events that give the slots in `names` set since the latest message their values from before it."""
    events = list(tracker.events_after_latest_restart())
    start = max((i for i, event in enumerate(events) if isinstance(event, UserUttered)), default=len(events))
    changed = {e.key for e in events[start:] if isinstance(e, SlotSet) and e.key in names}
    before: Dict[Text, Any] = {}
    for event in events[:start]:
        if isinstance(event, SlotSet) and event.key in changed:
            before[event.key] = event.value
    return [SlotSet(name, before.get(name, tracker.slots[name].initial_value)) for name in sorted(changed)]


def remote_run(original: Run) -> Run:
    """RemoteAction.run: when the action server fails, a local action runs here, any other action says so."""
    async def run(self: RemoteAction, output_channel: "OutputChannel", nlg: "NaturalLanguageGenerator",
                  tracker: "DialogueStateTracker", domain: "Domain") -> List[Event]:
        try:
            return await original(self, output_channel, nlg, tracker, domain)
        except ActionExecutionRejection:
            raise
        except Exception as error:  # noqa: BLE001 - refused, timed out, 5xx, an invalid answer: all unusable
            if _inside_form.get():
                raise  # the flow decides (form_run)
            return await instead_of(self, error, output_channel, nlg, tracker, domain)
    return run


async def instead_of(action: RemoteAction, error: Exception, output_channel: "OutputChannel",
                     nlg: "NaturalLanguageGenerator", tracker: "DialogueStateTracker",
                     domain: "Domain") -> List[Event]:
    """What the customer gets when `action` failed on the action server."""
    local = action.name() in LOCAL_ACTIONS
    logger.warning("degraded: the action server failed to run %s (%s: %s); %s", action.name(),
                   type(error).__name__, error, "running it inside Rasa" if local else f"saying {TROUBLE}")
    if local:
        try:
            return await run_locally(action, output_channel, nlg, tracker, domain)
        except Exception:  # noqa: BLE001 - a failure here still gets the customer an answer
            logger.exception("degraded: %s failed inside Rasa too", action.name())
    return await say_and_listen(TROUBLE, output_channel, nlg, tracker, domain)


def form_run(original: Run) -> Run:
    """FormAction.run: when the flow's validation fails on the action server, the flow waits as it was."""
    async def run(self: FormAction, output_channel: "OutputChannel", nlg: "NaturalLanguageGenerator",
                  tracker: "DialogueStateTracker", domain: "Domain") -> List[Event]:
        token = _inside_form.set(True)
        try:
            return await original(self, output_channel, nlg, tracker, domain)
        except ActionExecutionRejection:
            raise
        except Exception as error:  # noqa: BLE001 - see remote_run
            active = tracker.active_loop_name == self.name()
            if active and confident_intent(tracker) in LOCAL_INTENTS:
                reason = f"the action server failed ({error}); the rules decide"
                raise ActionExecutionRejection(self.name(), reason) from error
            response = TROUBLE_IN_FLOW if active else TROUBLE  # a flow that could not start has no answers yet
            logger.warning("degraded: the action server failed in %s (%s: %s); the flow waits, saying %s",
                           self.name(), type(error).__name__, error, response)
            undone = slots_before_message(tracker, set(self.required_slots(domain))) if active else []
            return undone + await say_and_listen(response, output_channel, nlg, tracker, domain)
        finally:
            _inside_form.reset(token)
    return run


def action_timeout() -> float:
    """Seconds Rasa waits for the action server (`ACTION_SERVER_TIMEOUT`, default 30)."""
    return float(os.environ.get(TIMEOUT_VARIABLE) or DEFAULT_TIMEOUT)


def apply() -> None:
    """Wrap RemoteAction.run and FormAction.run, and shorten Rasa's wait for the action server (idempotent)."""
    rasa.core.actions.action.DEFAULT_REQUEST_TIMEOUT = action_timeout()  # read by RemoteAction.run on each call
    if not getattr(RemoteAction.run, "degraded", False):
        RemoteAction.run = remote_run(RemoteAction.run)  # type: ignore[method-assign]
        RemoteAction.run.degraded = True  # type: ignore[attr-defined]
    if not getattr(FormAction.run, "degraded", False):
        FormAction.run = form_run(FormAction.run)  # type: ignore[method-assign]
        FormAction.run.degraded = True  # type: ignore[attr-defined]
