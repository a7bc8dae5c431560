"""Rasa's socket.io channel with session persistence that works with the installed python-socketio.

Rasa 3.6's `SocketIOInput` calls `sio.enter_room(...)` without `await`; since python-socketio 5.10 that is a
coroutine on the asyncio server, so the room of the session is never joined and, with
`session_persistence: true`, every bot message (emitted to the session's room) is lost: the customer sees no
answer. This subclass re-registers the `session_request` handler so that the room is really entered.

With several Rasa workers (scripts/run.sh with Redis), a message pushed to a session from another worker than
the one holding its websocket (an agent's reply through Rasa's HTTP API) would reach nobody: when
SOCKETIO_REDIS_URL is set, the workers share their rooms through python-socketio's Redis manager. Sanic forks
its workers after the app (and so the manager) is built: the manager's `host_id`, by which each process skips its
own published messages, is made per process, else every worker would skip every other worker's messages too.

An agent's reply (`utter_agent_message`, pushed through Rasa's HTTP API during a handoff) goes to the browser as
`{"text": <the agent's words>, "agent_name": <name>, "agent_message_id": <the core's id>}`, so that the web chat
shows it as the agent's own message with their name (once, by the id); other channels get the response's whole
text ("Rūta from the Canon support team writes: ...").
Every message of a domain response also carries the conversation's language, `"metadata": {"language": "en"}`
(the variation Rasa picked: its `language` condition, else Lithuanian, the unconditioned variation every response
has; docs/web-chat.md "LT / EN"), so that the web chat's page follows a language switched by typing. Other
channels get exactly what they got before.
A client's session id and its conversation's id differ. The session id (32 random hex digits this channel hands
out; `session_request` resumes it for whoever sends it, as Rasa's own channel and standard clients such as
rasa-webchat expect) is a secret only that browser holds: the conversation's id, which Rasa stores and which
agents, logs and the core see, is derived from it (`conversation_of`: "web:" and an HMAC of the session id under
CHAT_KEY_SECRET), so nobody can join a conversation, write into it or receive its agents' replies by knowing its
id. A requested id that is neither one of ours nor proven by its conversation key (a WhatsApp customer's phone
number, say) gets a new session. A conversation kept from before this scheme (its id was the session id) is resumed
only with its key. A `user_uttered` whose `session_id` is not the connection's confirmed session is ignored.
`session_confirm` carries `{"session_id": <session>, "conversation_id": <id>, "conversation_key": <key>}`: the key
(bot/conversation_ids.py, an HMAC of the conversation id under CHAT_KEY_SECRET, which the core shares) is what the
widget shows the core to prove the conversation is its own (its missed agents' replies, leaving it). Without
CHAT_KEY_SECRET (a warning at start) the conversation id is the session id, no key is sent and the core answers the
widget's handoff calls 404; chatting works all the same.

Several Rasa processes run behind HAProxy (bot/launcher/balancer.py): engine.io's polling handshake sets the cookie
`io` with the engine.io session id, from which HAProxy learns which process holds the session and sends the
session's later requests (`?sid=`) there; without it a polling client's requests would be spread over the processes
and refused (`400 Invalid session`). The browser need not keep the cookie (HttpOnly, SameSite=Lax, path /).

Registering the channel with Rasa's app also makes Rasa's HTTP API decode the conversation ids of its
`/conversations/...` routes (bot/rasa_ext/conversation_routes.py), as the core encodes them, and adds the route
that erases a conversation from the tracker store (`DELETE /conversations/<id>/tracker`, same module).
Everything else (events, metadata key, name "socketio") is Rasa's own. Used in credentials.yml.
"""

from __future__ import annotations

import inspect
import logging
import os
import re
import uuid
from contextvars import ContextVar
from typing import Any, Awaitable, Callable, Dict, Mapping, Optional, Text, Tuple

from rasa.core.channels.channel import OutputChannel, UserMessage
from rasa.core.channels.socketio import SocketBlueprint
from rasa.core.channels.socketio import SocketIOInput as RasaSocketIOInput
from rasa.core.channels.socketio import SocketIOOutput as RasaSocketIOOutput
from sanic import Blueprint, Sanic
from socketio import AsyncRedisManager

from bot.conversation_ids import conversation_key, is_conversation_key
from bot.rasa_ext import input_limits
from bot.rasa_ext.conversation_routes import add_erase_route, decode_conversation_ids
from bot.vocabulary import LANGUAGE_SLOT, LANGUAGES, LT

logger = logging.getLogger(__name__)

MAX_SESSION_ID_LENGTH = 128
REDIS_URL_VARIABLE = "SOCKETIO_REDIS_URL"
REDIS_CHANNEL = "canonassistant-socketio"
KEY_SECRET_VARIABLE = "CHAT_KEY_SECRET"
GENERATED_ID = re.compile(r"[0-9a-f]{32}")  # uuid4().hex: the ids this channel hands out
# The engine.io session cookie HAProxy routes by (its name is bot/launcher/balancer.py's COOKIE)
SESSION_COOKIE = {"name": "io", "path": "/", "SameSite": "Lax", "HttpOnly": True}


WEB_PREFIX = "web:"  # the conversation ids of this channel's sessions (with a secret)


def conversation_of(session_id: Text, secret: Text) -> Text:
    """The conversation id of a session: derived from it under `secret` (the session id itself without one)."""
    if not secret:
        return session_id
    return WEB_PREFIX + conversation_key(secret, "socketio-session:" + session_id)[:32]


def session_of(data: Any, secret: Text = "") -> Tuple[Text, Text]:
    """The (session id, conversation id) a `session_request` gets: the requested session when it is one of the
    random ids this channel hands out, or an id its conversation key proves (kept from before conversation ids
    were derived: its conversation id is itself); else a new session."""
    requested = data.get("session_id") if isinstance(data, dict) else None
    if isinstance(requested, str) and 0 < len(requested) <= MAX_SESSION_ID_LENGTH:
        key = data.get("conversation_key")
        if is_conversation_key(secret, requested, key if isinstance(key, str) else None):
            return requested, requested
        if GENERATED_ID.fullmatch(requested):
            return requested, conversation_of(requested, secret)
    session_id = uuid.uuid4().hex
    return session_id, conversation_of(session_id, secret)


def session_confirmation(session_id: Text, conversation_id: Text, secret: Text) -> Dict[Text, Text]:
    """The `session_confirm` payload: the session id, the conversation id and, with a secret, its key."""
    confirmation = {"session_id": session_id, "conversation_id": conversation_id}
    if secret:
        confirmation["conversation_key"] = conversation_key(secret, conversation_id)
    return confirmation


class PerProcessRedisManager(AsyncRedisManager):
    """python-socketio's Redis manager with a host id of its own in every (forked) process."""

    @property
    def host_id(self) -> Text:
        if self._host_pid != os.getpid():
            self._host_id, self._host_pid = uuid.uuid4().hex, os.getpid()
        return self._host_id

    @host_id.setter
    def host_id(self, value: Text) -> None:
        self._host_id, self._host_pid = value, os.getpid()


class ChannelBlueprint(SocketBlueprint):
    """Rasa's socket.io blueprint; registered with Rasa's app, it also installs the conversation id decoding."""

    __slots__ = ()

    def register(self, app: Sanic, options: Dict[Text, Any]) -> None:
        decode_conversation_ids(app)
        if hasattr(app.ctx, "agent"):  # Rasa's HTTP API is enabled (--enable-api): its create_app sets it
            add_erase_route(app)
        super().register(app, options)


def response_language(message: Mapping[Text, Any]) -> Optional[Text]:
    """The language of a bot message Rasa made from a domain response (`utter_action` set): the value of the picked
    variation's `language` slot condition, else Lithuanian (the unconditioned variation); None for anything else."""
    if not message.get("utter_action"):
        return None
    conditions = message.get("condition")
    for condition in conditions if isinstance(conditions, list) else []:
        if isinstance(condition, dict) and condition.get("type") == "slot" and condition.get("name") == LANGUAGE_SLOT:
            value = condition.get("value")
            return value if value in LANGUAGES else None
    return LT


# The language of the response being sent (send_response sets it for the messages its parts emit).
_sending_language: ContextVar[Optional[Text]] = ContextVar("sending_language", default=None)


class SocketIOOutput(RasaSocketIOOutput):
    """Rasa's socket.io output; an agent's reply carries the agent's name, a domain response the conversation's
    language (see the module docstring)."""

    async def send_response(self, recipient_id: Text, message: Dict[Text, Any]) -> None:
        token = _sending_language.set(response_language(message))
        try:
            await super().send_response(recipient_id, message)
        finally:
            _sending_language.reset(token)

    async def _send_message(self, socket_id: Text, response: Any) -> None:
        language = _sending_language.get()
        if language and isinstance(response, dict):
            response = {**response, "metadata": {"language": language}}
        await super()._send_message(socket_id, response)

    async def send_text_message(self, recipient_id: Text, text: Text, **kwargs: Any) -> None:
        agent_name, agent_text = kwargs.get("agent_name"), kwargs.get("agent_text")
        if isinstance(agent_name, str) and isinstance(agent_text, str) and agent_text.strip():
            message: Dict[Text, Any] = {"text": agent_text.strip(), "agent_name": agent_name}
            if isinstance(kwargs.get("agent_message_id"), int):
                message["agent_message_id"] = kwargs["agent_message_id"]
            await self._send_message(recipient_id, message)
            return
        await super().send_text_message(recipient_id, text, **kwargs)


class SocketIOInput(RasaSocketIOInput):
    """socket.io input channel whose `session_request` awaits `enter_room` (see the module docstring)."""

    def get_output_channel(self) -> Optional[OutputChannel]:
        """The output for messages pushed through Rasa's HTTP API (agents' replies, the assistant's return)."""
        if self.sio is None:
            return super().get_output_channel()
        return SocketIOOutput(self.sio, self.bot_message_evt)

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        socketio_webhook = super().blueprint(on_new_message)
        socketio_webhook.__class__ = ChannelBlueprint  # Rasa builds a SocketBlueprint: same object, one more step
        sio = self.sio
        assert sio is not None
        sio.eio.cookie = dict(SESSION_COOKIE)  # set on the polling handshake: the balancer's stickiness
        redis_url = os.environ.get(REDIS_URL_VARIABLE)
        if redis_url:  # before any client connects: the server initialises its manager on the first connection
            sio.manager = PerProcessRedisManager(redis_url, channel=REDIS_CHANNEL)
            sio.manager.set_server(sio)
            logger.debug(f"socket.io rooms shared through Redis at {redis_url}.")
        secret = os.environ.get(KEY_SECRET_VARIABLE, "")
        if not secret:
            logger.warning(f"{KEY_SECRET_VARIABLE} is not set: the web chat gets no conversation keys, so the "
                           "core will not give it agents' replies it missed.")

        sessions: Dict[Text, Tuple[Text, Text]] = {}  # connection (sid) -> its confirmed session, conversation

        @sio.on("session_request", namespace=self.namespace)
        async def session_request(sid: Text, data: Optional[Dict] = None) -> None:
            session_id, conversation_id = session_of(data, secret)
            sessions[sid] = session_id, conversation_id
            if self.session_persistence:  # the room Rasa's output channel sends the conversation's messages to
                entered = sio.enter_room(sid, conversation_id, namespace=self.namespace)
                if inspect.isawaitable(entered):  # a coroutine since python-socketio 5.10
                    await entered
            await sio.emit("session_confirm", session_confirmation(session_id, conversation_id, secret), room=sid,
                           namespace=self.namespace)
            logger.debug(f"User {sid} joined conversation {conversation_id}.")  # never the session id: a secret

        @sio.on(self.user_message_evt, namespace=self.namespace)
        async def handle_message(sid: Text, data: Any) -> None:
            if not self.session_persistence:
                sender_id: Optional[Text] = sid
            else:
                session_id, sender_id = sessions.get(sid, (None, None))
                if isinstance(data, dict) and data.get("session_id") != session_id:
                    sender_id = None
            if not sender_id or not isinstance(data, dict):
                logger.warning("A socket.io message not for its connection's confirmed session was ignored.")
                return
            output = SocketIOOutput(sio, self.bot_message_evt)
            await on_new_message(UserMessage(data.get("message", ""), output, sender_id, input_channel=self.name(),
                                             metadata=data.get(self.metadata_key)))

        @sio.on("disconnect", namespace=self.namespace)
        async def disconnect(sid: Text, *_: Any) -> None:
            sessions.pop(sid, None)

        # checked message data, size limits (bot/rasa_ext/input_limits.py): keep this after every handler
        input_limits.guard_socketio(socketio_webhook, sio, self.namespace, self.user_message_evt, self.metadata_key)
        return socketio_webhook
