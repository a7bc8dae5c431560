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
Everything else (events, metadata key, name "socketio") is Rasa's own. Used in credentials.yml.
"""

from __future__ import annotations

import inspect
import logging
import os
import uuid
from typing import Any, Awaitable, Callable, Dict, Optional, Text

from rasa.core.channels.channel import OutputChannel, UserMessage
from rasa.core.channels.socketio import SocketIOInput as RasaSocketIOInput
from rasa.core.channels.socketio import SocketIOOutput as RasaSocketIOOutput
from sanic import Blueprint
from socketio import AsyncRedisManager

from bot.rasa_ext import input_limits

logger = logging.getLogger(__name__)

MAX_SESSION_ID_LENGTH = 128
REDIS_URL_VARIABLE = "SOCKETIO_REDIS_URL"
REDIS_CHANNEL = "canonassistant-socketio"


def session_id_of(data: Any) -> Text:
    """The session id a client asks to resume, or a new one (anything that is not a short string is ignored)."""
    requested = data.get("session_id") if isinstance(data, dict) else None
    if isinstance(requested, str) and 0 < len(requested) <= MAX_SESSION_ID_LENGTH:
        return requested
    return uuid.uuid4().hex


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


class SocketIOOutput(RasaSocketIOOutput):
    """Rasa's socket.io output; an agent's reply carries the agent's name (see the module docstring)."""

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
        sio = self.sio
        assert sio is not None
        redis_url = os.environ.get(REDIS_URL_VARIABLE)
        if redis_url:  # before any client connects: the server initialises its manager on the first connection
            sio.manager = PerProcessRedisManager(redis_url, channel=REDIS_CHANNEL)
            sio.manager.set_server(sio)
            logger.debug(f"socket.io rooms shared through Redis at {redis_url}.")

        @sio.on("session_request", namespace=self.namespace)
        async def session_request(sid: Text, data: Optional[Dict] = None) -> None:
            session_id = session_id_of(data)
            if self.session_persistence:
                entered = sio.enter_room(sid, session_id, namespace=self.namespace)
                if inspect.isawaitable(entered):  # a coroutine since python-socketio 5.10
                    await entered
            await sio.emit("session_confirm", session_id, room=sid, namespace=self.namespace)
            logger.debug(f"User {sid} joined session {session_id}.")

        # checked message data, size limits (bot/rasa_ext/input_limits.py): keep this after every handler
        input_limits.guard_socketio(socketio_webhook, sio, self.namespace, self.user_message_evt, self.metadata_key)
        return socketio_webhook
