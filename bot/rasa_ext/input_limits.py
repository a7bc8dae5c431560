"""The limits of a customer message, enforced where every channel hands its messages to Rasa (issue 14).

Every channel (REST, socket.io, WhatsApp, Rasa's Telegram, Slack and Messenger connectors) builds a
`UserMessage` and hands it to `Agent.handle_message`. `apply()` patches both:

- a message's text is always a string: a number becomes its digits; null, true, a list or an object becomes the
  empty text, answered "Sorry, I didn't understand" (a client's mistake, not silence). Metadata that is not a
  JSON object is no metadata. Rasa's own pipeline and our components fail on anything else, and the customer got
  an empty reply.
- an empty message (text of no characters or only spaces) never reaches NLU, where it would be answered "Sorry,
  I didn't understand": at the start of a conversation (standard web clients such as rasa-webchat send one when
  they open) it is answered with the greeting (`utter_greet`, in the page language of the metadata, else
  Lithuanian), later it is ignored; nothing is stored either way.
- a message longer than MAX_MESSAGE_CHARACTERS never reaches NLU: the customer gets `utter_message_too_long`
  (domain/input_limits.yml) through Rasa's NLG, in the conversation's language (the tracker's `language` slot,
  else the language of the message itself, else the page language of the metadata, else Lithuanian), through the
  message's own output channel; nothing is stored (no event in the tracker, none to the event broker).

HTTP bodies over MAX_REQUEST_BYTES are refused by Sanic before they are read (`limit_request_size`, registered by
our channels), and socket.io frames over the same size by engine.io: a message of a million characters still gets
the polite answer, anything bigger is refused outright. Our components module applies the patches when Rasa
loads the pipeline, before the server takes its first message.
"""

from __future__ import annotations

import json
import logging
import math
from typing import Any, Dict, List, Optional, Text

from rasa.core.actions.action import create_bot_utterance
from rasa.core.agent import Agent
from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.shared.core.events import SlotSet
from rasa.shared.core.trackers import DialogueStateTracker

from bot.rasa_ext import language_detection
from bot.vocabulary import DEFAULT_LANGUAGE, LANGUAGE_SLOT, LANGUAGES, MAX_MESSAGE_CHARACTERS

logger = logging.getLogger(__name__)

TOO_LONG_RESPONSE = "utter_message_too_long"
# HTTP bodies and socket.io frames: a message of a million characters and its metadata fit, escaped as JSON
MAX_REQUEST_BYTES = 2 * 1024 * 1024
_PATCHED = "_canon_input_limits"
_NOT_TEXT = "_canon_not_text"  # set on a UserMessage whose text was not text (null, true, a list, an object)


def message_text(value: Any) -> Text:
    """The text of a message as a channel received it: strings as they are, a number as its digits, anything
    else (null, true, a list, an object) as the empty message."""
    if isinstance(value, str):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        try:
            return str(value) if math.isfinite(value) else ""
        except ValueError:  # an integer of more digits than Python prints
            return ""
    return ""


def message_metadata(value: Any) -> Optional[Dict[Text, Any]]:
    """The metadata of a message: a JSON object, else none."""
    return value if isinstance(value, dict) else None


def is_too_long(text: Any) -> bool:
    """True when a message's text is longer than the assistant reads."""
    return isinstance(text, str) and len(text) > MAX_MESSAGE_CHARACTERS


def reply_language(current: Any, text: Text, metadata: Any) -> Text:
    """The language of the answer to a refused message: the conversation's, else the message's own, else the
    page language the client sent, else Lithuanian."""
    if current in LANGUAGES:
        return current
    detected = language_detection.detect_language(text[: language_detection.MAX_SCANNED]).language
    return detected or language_detection.hinted_language(metadata) or DEFAULT_LANGUAGE


async def refuse_too_long(agent: Agent, message: UserMessage) -> Optional[List[Dict[Text, Any]]]:
    """Answer a too-long message with `utter_message_too_long` without storing anything."""
    stored = await agent.tracker_store.retrieve(message.sender_id)
    language = reply_language(stored.get_slot(LANGUAGE_SLOT) if stored else None, message.text, message.metadata)
    logger.info("Refused a message of %d characters (limit %d) from channel %s, answered in %s.",
                len(message.text), MAX_MESSAGE_CHARACTERS, message.input_channel, language)
    return await answer_unstored(agent, message, TOO_LONG_RESPONSE, language)


GREETING_RESPONSE = "utter_greet"


def is_empty(message: UserMessage) -> bool:
    """True for a message sent as text without words (empty, only spaces); not for one whose text was not text
    at all (null, a list...), nor for a payload Rasa parses itself."""
    return (message.parse_data is None and not getattr(message, _NOT_TEXT, False)
            and not (message.text or "").strip())


async def answer_empty(agent: Agent, message: UserMessage) -> Optional[List[Dict[Text, Any]]]:
    """Greet at the start of a conversation, else ignore; store nothing."""
    stored = await agent.tracker_store.retrieve(message.sender_id)
    started = stored is not None and any(event.type_name == "user" for event in stored.events)
    if started:
        logger.info("Ignored an empty message in conversation %r (channel %s).", message.sender_id,
                    message.input_channel)
        return [] if isinstance(message.output_channel, CollectingOutputChannel) else None
    language = reply_language(stored.get_slot(LANGUAGE_SLOT) if stored else None, "", message.metadata)
    return await answer_unstored(agent, message, GREETING_RESPONSE, language)


async def answer_unstored(agent: Agent, message: UserMessage, response_name: Text,
                          language: Text) -> Optional[List[Dict[Text, Any]]]:
    """Say the domain's response `response_name` in `language` to the sender of `message`, through its own output
    channel, storing nothing; returns what a collecting channel (REST) answers."""
    tracker = DialogueStateTracker.from_events(message.sender_id, [SlotSet(LANGUAGE_SLOT, language)],
                                               slots=agent.domain.slots)
    response = await agent.nlg.generate(response_name, tracker, message.output_channel.name())
    if response:
        await message.output_channel.send_response(message.sender_id, create_bot_utterance(response).message())
    if isinstance(message.output_channel, CollectingOutputChannel):
        return message.output_channel.messages
    return None


def _guarded_init(rasa_init: Any) -> Any:
    def __init__(self: UserMessage, text: Optional[Text] = None, *args: Any, **kwargs: Any) -> None:
        rasa_init(self, text if text is None else message_text(text), *args, **kwargs)
        if self.text is None and self.parse_data is None:  # Rasa's pipeline cannot parse "no text"
            self.text = ""
        if not isinstance(text, (str, int, float)) or isinstance(text, bool):
            setattr(self, _NOT_TEXT, True)
        self.metadata = message_metadata(self.metadata)

    setattr(__init__, _PATCHED, True)
    return __init__


def _guarded_handle_message(rasa_handle_message: Any) -> Any:
    async def handle_message(self: Agent, message: UserMessage) -> Optional[List[Dict[Text, Any]]]:
        if is_too_long(message.text) and self.is_ready():
            return await refuse_too_long(self, message)
        if is_empty(message) and self.is_ready():
            return await answer_empty(self, message)
        return await rasa_handle_message(self, message)

    setattr(handle_message, _PATCHED, True)
    return handle_message


def limit_request_size(app: Any) -> None:
    """Refuse HTTP bodies over MAX_REQUEST_BYTES before reading them (413; JSON for JSON clients)."""
    app.config.REQUEST_MAX_SIZE = min(app.config.REQUEST_MAX_SIZE, MAX_REQUEST_BYTES)


def socketio_data(data: Any, metadata_key: Text) -> Dict[Text, Any]:
    """A socket.io user message as Rasa's handler reads it: an object (else empty, which Rasa ignores: without a
    session id there is no one to answer), its metadata an object or none (Rasa reads a string as JSON and fails
    on one that is not)."""
    if not isinstance(data, dict):
        return {}
    metadata = data.get(metadata_key)
    if isinstance(metadata, str):
        try:
            metadata = json.loads(metadata)
        except (ValueError, RecursionError):
            metadata = None
    return {**data, metadata_key: message_metadata(metadata)}


def guard_socketio(blueprint: Any, sio: Any, namespace: Optional[Text], event: Text, metadata_key: Text) -> None:
    """Give the socket.io channel's message handler checked data, limit engine.io frames and the server's HTTP
    bodies to MAX_REQUEST_BYTES, and apply the message patches."""
    handler = sio.handlers[namespace or "/"][event]

    async def guarded(sid: Text, data: Any = None) -> Any:
        return await handler(sid, socketio_data(data, metadata_key))

    sio.on(event, namespace=namespace)(guarded)
    sio.eio.max_http_buffer_size = MAX_REQUEST_BYTES
    blueprint.listener("before_server_start")(lambda app, _: limit_request_size(app))
    apply()


def apply() -> None:
    """Guard every message's text and metadata, and refuse too-long messages before NLU (idempotent)."""
    if not getattr(UserMessage.__init__, _PATCHED, False):
        UserMessage.__init__ = _guarded_init(UserMessage.__init__)  # type: ignore[method-assign]
    if not getattr(Agent.handle_message, _PATCHED, False):
        Agent.handle_message = _guarded_handle_message(Agent.handle_message)  # type: ignore[method-assign]
