"""Rasa's REST channel, refusing bodies it cannot read with a clear JSON error instead of a 500.

`POST /webhooks/rest/webhook` takes a JSON object `{"sender", "message", "metadata"}`. The conversation of
`sender` is `rest:<sender>` (bot/conversation_ids.py `rest_conversation`): a REST caller can name only REST
conversations, never another channel's (a WhatsApp customer's phone number, a web chat's id), so it can neither
write into one, nor speak to its agent as that customer, nor take the agent's replies. The answers still name the
caller's own sender as `recipient_id`. A body without a sender is refused (Rasa would put every such caller in one
shared "default" conversation). Rasa's channel answers
a body that is JSON but not an object (a list, a string, a number) with a server error, and reads any body up to
Sanic's 100 MB. This one answers 400 `{"description": "...", "status": 400, "message": "..."}` for such a body
and for a sender that cannot be a conversation id end to end (missing, longer than 507 characters, not text, a NUL:
bot/conversation_ids.py), and, with `limit_request_size`, 413 for a body over 2 MB before reading it. A message's
text and metadata are checked, and a too-long message answered, where every channel's messages go
(bot/rasa_ext/input_limits.py).
Used in credentials.yml and deploy/credentials.production.yml; its name and webhook are Rasa's ("rest").
"""

from __future__ import annotations

from typing import Any, Awaitable, Callable, Dict, Optional, Text

from rasa.core.channels.channel import OutputChannel, UserMessage
from rasa.core.channels.rest import RestInput as RasaRestInput
from sanic import Blueprint, Sanic
from sanic.exceptions import InvalidUsage
from sanic.request import Request

from bot.conversation_ids import MAX_CONVERSATION_ID, REST_PREFIX, rest_conversation, unusable_conversation_id
from bot.rasa_ext import input_limits

MAX_SENDER = MAX_CONVERSATION_ID - len(REST_PREFIX)  # the conversation id, prefix included, fits the core
NOT_AN_OBJECT = 'The body must be a JSON object: {"sender": "...", "message": "...", "metadata": {...}}.'


def body_object(request: Request) -> Dict[Text, Any]:
    """The request's JSON object; 400 (InvalidUsage) for any other body."""
    body = request.json
    if not isinstance(body, dict):
        raise InvalidUsage(NOT_AN_OBJECT)
    return body


def address_answers_to(output: OutputChannel, sender: Text) -> None:
    """Make `output` (the collecting or streaming output of one request) name the caller's own `sender` as every
    answer's `recipient_id`, not the conversation id."""
    persist = getattr(output, "_persist_message", None)
    if persist is None:
        return

    async def persist_for_the_caller(message: Dict[Text, Any]) -> None:
        await persist({**message, "recipient_id": sender})

    output._persist_message = persist_for_the_caller  # type: ignore[attr-defined]


class RestInput(RasaRestInput):
    """Rasa's REST input channel with checked bodies (see the module docstring)."""

    async def _extract_sender(self, req: Request) -> Optional[Text]:
        sender = body_object(req).get("sender", None)
        problem = unusable_conversation_id(sender)
        if problem is None and len(sender) > MAX_SENDER:
            problem = f"The sender must be at most {MAX_SENDER} characters long."
        if problem:
            raise InvalidUsage(problem)
        return rest_conversation(sender)

    def _extract_message(self, req: Request) -> Any:
        return body_object(req).get("message", None)  # made text, or marked as none, by input_limits

    def _extract_input_channel(self, req: Request) -> Text:
        channel = body_object(req).get("input_channel")
        return channel if isinstance(channel, str) and channel else self.name()

    def get_metadata(self, request: Request) -> Optional[Dict[Text, Any]]:
        return input_limits.message_metadata(body_object(request).get("metadata", None))

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        async def answered_to_the_caller(message: UserMessage) -> Any:
            address_answers_to(message.output_channel, message.sender_id[len(REST_PREFIX):])
            return await on_new_message(message)

        webhook = super().blueprint(answered_to_the_caller)

        @webhook.listener("before_server_start")
        async def limit_request_size(app: Sanic, _: Any) -> None:
            input_limits.limit_request_size(app)

        return webhook
