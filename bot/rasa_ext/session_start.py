"""The start of a conversation session, run inside Rasa (no action-server round trip).

A new session keeps the slots (except the session's own: the satisfaction question and its answer, SESSION_SLOTS
in bot/vocabulary.py) and the unfinished guided flow, so a returning customer picks up where they left; a
conversation a person owns (paused by the handoff) stays paused, or the bot would wake up after an hour.

Rasa runs `action_session_start` at the first message of every conversation (a sixth of the turns of the bench's
whole mix) and after an hour of silence (domain/shared.yml). As a custom action it cost a call to the action
server each time, and with the action server down the first message of every new conversation failed (issue
14). `apply()` makes Rasa's own session start this one; the domain does not list `action_session_start`, so Rasa
takes its default. Our components module applies it when Rasa loads the pipeline.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, List

import rasa.core.actions.action
from rasa.shared.core.constants import ACTION_LISTEN_NAME
from rasa.shared.core.events import ActionExecuted, ActiveLoop, ConversationPaused, Event, SessionStarted, SlotSet

from bot.vocabulary import SESSION_SLOTS

if TYPE_CHECKING:
    from rasa.core.channels.channel import OutputChannel
    from rasa.core.nlg import NaturalLanguageGenerator
    from rasa.shared.core.domain import Domain
    from rasa.shared.core.trackers import DialogueStateTracker


def session_start_events(tracker: "DialogueStateTracker", carry_over_slots: bool = True) -> List[Event]:
    """The events of a new session: started, the slots that have a value (when the domain carries them over;
    never the session's own), the guided flow in progress, the pause of a handed-over conversation, then
    listening."""
    events: List[Event] = [SessionStarted()]
    if carry_over_slots:
        events += [SlotSet(name, slot.value) for name, slot in tracker.slots.items()
                   if slot.value is not None and name not in SESSION_SLOTS]
    if tracker.active_loop_name:
        events.append(ActiveLoop(tracker.active_loop_name))
    if tracker.is_paused():
        events.append(ConversationPaused())
    return events + [ActionExecuted(ACTION_LISTEN_NAME)]


class ActionSessionStart(rasa.core.actions.action.ActionSessionStart):
    """Rasa's default `action_session_start`, keeping the flow in progress and the handoff's pause."""

    async def run(self, output_channel: "OutputChannel", nlg: "NaturalLanguageGenerator",
                  tracker: "DialogueStateTracker", domain: "Domain") -> List[Event]:
        return session_start_events(tracker, domain.session_config.carry_over_slots)


def apply() -> None:
    """Make this Rasa's default session start (idempotent)."""
    rasa.core.actions.action.ActionSessionStart = ActionSessionStart  # type: ignore[misc]
