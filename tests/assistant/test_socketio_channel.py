"""The socket.io channel of credentials.yml: a session_request really joins the session's room (Rasa 3.6 forgets
to await python-socketio's coroutine `enter_room`, and then no bot message reaches the browser)."""

from __future__ import annotations

import asyncio

import pytest
import yaml

from bot.rasa_ext.socketio_channel import SocketIOInput, session_id_of
from tests.assistant.helpers import ROOT


def test_credentials_use_this_channel_with_session_persistence_and_custom_data():
    credentials = yaml.safe_load((ROOT / "credentials.yml").read_text(encoding="utf-8"))
    options = credentials["bot.rasa_ext.socketio_channel.SocketIOInput"]
    assert options["session_persistence"] is True
    assert options["metadata_key"] == "customData"
    assert "socketio" not in credentials  # Rasa's own class would be a second channel on the same path
    assert SocketIOInput.name() == "socketio"


@pytest.mark.parametrize(
    "data", [{"session_id": None}, {}, None, {"session_id": 42}, {"session_id": "x" * 500}, "abc123"]
)
def test_session_id_of_makes_a_new_id_for_anything_but_a_short_string(data):
    session_id = session_id_of(data)
    assert isinstance(session_id, str) and len(session_id) == 32
    assert session_id_of({"session_id": "abc123"}) == "abc123"


def test_session_request_enters_the_room_and_confirms():
    channel = SocketIOInput.from_credentials({"session_persistence": True, "metadata_key": "customData"})

    async def on_new_message(_message):
        return None

    channel.blueprint(on_new_message)
    sio = channel.sio
    calls = []

    async def enter_room(sid, room, namespace=None):
        calls.append(("enter_room", sid, room))

    async def emit(event, data=None, room=None, namespace=None, **_):
        calls.append(("emit", event, data, room))

    sio.enter_room, sio.emit = enter_room, emit
    handler = sio.handlers["/"]["session_request"]
    asyncio.run(handler("sid-1", {"session_id": "abc123"}))
    assert calls == [("enter_room", "sid-1", "abc123"), ("emit", "session_confirm", "abc123", "sid-1")]
