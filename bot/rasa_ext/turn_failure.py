"""A turn that fails outside the actions still gets the customer an answer (issue 14), not silence.

Rasa 3.6's channels log an exception raised by `Agent.handle_message` and answer nothing (REST: an empty list,
socket.io: no message). The usual cause is the tracker or lock store being unreachable (Redis down or cut off):
then no conversation can be read or written. `apply()` wraps `Agent.handle_message`: on an exception the customer
gets `utter_service_trouble` (domain/degraded.yml) in the language of the message (else the page language of its
metadata, else Lithuanian: the conversation's own language cannot be read), through the message's own output
channel. Nothing is stored (the store is what failed); after recovery the conversation goes on as it was, so the
customer sends the message again. Rasa logs each case as an error starting `degraded:`.
"""

from __future__ import annotations

import functools
import logging
from typing import Any, Awaitable, Callable, Dict, List, Optional, Text

from rasa.core.agent import Agent
from rasa.core.channels.channel import UserMessage

from bot.rasa_ext.input_limits import answer_unstored, reply_language

logger = logging.getLogger(__name__)

TROUBLE = "utter_service_trouble"  # domain/degraded.yml
_PATCHED = "_canon_turn_failure"

Handle = Callable[[Agent, UserMessage], Awaitable[Optional[List[Dict[Text, Any]]]]]


async def answer_failed_turn(agent: Agent, message: UserMessage, error: Exception) -> Optional[List[Dict[Text, Any]]]:
    """Tell the customer of `message` that the service has trouble, storing nothing."""
    language = reply_language(None, message.text or "", message.metadata)
    logger.error("degraded: a message of conversation %r could not be handled (%s: %s); answered %s in %s.",
                 message.sender_id, type(error).__name__, error, TROUBLE, language, exc_info=error)
    try:
        return await answer_unstored(agent, message, TROUBLE, language)
    except Exception:  # the output channel itself failed: nothing more can be said
        logger.exception("degraded: the answer to a failed message of conversation %r could not be sent.",
                         message.sender_id)
        return None


def answering(handle_message: Handle) -> Handle:
    """`Agent.handle_message` that answers `utter_service_trouble` when the turn raises."""

    @functools.wraps(handle_message)  # keeps the markers of the patches it wraps
    async def wrapper(self: Agent, message: UserMessage) -> Optional[List[Dict[Text, Any]]]:
        try:
            return await handle_message(self, message)
        except Exception as error:  # noqa: BLE001 - any failure: the customer gets an answer
            return await answer_failed_turn(self, message, error)

    setattr(wrapper, _PATCHED, True)
    return wrapper


def apply() -> None:
    """Answer failed turns (idempotent)."""
    if not getattr(Agent.handle_message, _PATCHED, False):
        Agent.handle_message = answering(Agent.handle_message)  # type: ignore[method-assign]
