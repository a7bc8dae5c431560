"""The socket.io channel of credentials.yml: a session_request really joins the session's room (Rasa 3.6 forgets
to await python-socketio's coroutine `enter_room`, and then no bot message reaches the browser)."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac

import pytest
import yaml

from bot.conversation_ids import conversation_key, is_conversation_key
from bot.rasa_ext.socketio_channel import GENERATED_ID as GENERATED
from bot.rasa_ext.socketio_channel import (
    PerProcessRedisManager,
    SocketIOInput,
    conversation_of,
    response_language,
    session_confirmation,
    session_of,
)
from tests.assistant.helpers import ROOT, require_redis
from tests.servers import free_port


def test_credentials_use_this_channel_with_session_persistence_and_custom_data():
    credentials = yaml.safe_load((ROOT / "credentials.yml").read_text(encoding="utf-8"))
    options = credentials["bot.rasa_ext.socketio_channel.SocketIOInput"]
    assert options["session_persistence"] is True
    assert options["metadata_key"] == "customData"
    assert "socketio" not in credentials  # Rasa's own class would be a second channel on the same path
    assert SocketIOInput.name() == "socketio"


SECRET = "chat-key-secret"
OWN_ID = "0123456789abcdef0123456789abcdef"  # as this channel hands them out (uuid4().hex)


@pytest.mark.parametrize(
    "data", [{"session_id": None}, {}, None, {"session_id": 42}, {"session_id": "x" * 500}, "abc123",
             {"session_id": "+37060000000"},  # a WhatsApp customer's conversation: never joined without its key
             {"session_id": "+37060000000", "conversation_key": conversation_key(SECRET, "+37060000001")},
             {"session_id": "+37060000000", "conversation_key": conversation_key("other", "+37060000000")},
             {"session_id": "+37060000000", "conversation_key": 7},
             {"session_id": conversation_of(OWN_ID, SECRET)},  # a conversation's id, as agents see it
             {"session_id": OWN_ID.upper()}, {"session_id": OWN_ID + "0"}]
)
def test_a_session_request_gets_a_new_session_unless_the_client_may_resume_it(data):
    session, conversation = session_of(data, SECRET)
    assert GENERATED.fullmatch(session) and session not in (OWN_ID, OWN_ID.upper(), OWN_ID + "0")
    assert conversation == conversation_of(session, SECRET)


def test_a_session_of_this_channel_is_resumed_with_its_derived_conversation():
    """The session id is the browser's secret (standard clients such as rasa-webchat keep only it); the
    conversation id, which agents and logs see, is derived from it and resumes nothing."""
    conversation = conversation_of(OWN_ID, SECRET)
    assert session_of({"session_id": OWN_ID}, SECRET) == (OWN_ID, conversation)
    assert conversation.startswith("web:") and OWN_ID not in conversation and len(conversation) == 36
    assert conversation_of(OWN_ID, "another secret") != conversation
    assert session_of({"session_id": conversation}, SECRET)[1] != conversation


def test_a_conversation_kept_from_before_is_resumed_only_with_its_key():
    for kept in ("a/b c", OWN_ID):
        proven = {"session_id": kept, "conversation_key": conversation_key(SECRET, kept)}
        assert session_of(proven, SECRET) == (kept, kept)
    assert session_of({"session_id": "a/b c", "conversation_key": conversation_key(SECRET, "a/b c")}, "")[1] != (
        "a/b c")  # no secret: nothing is proven


def test_without_a_secret_the_conversation_is_the_session():
    assert session_of({"session_id": OWN_ID}, "") == (OWN_ID, OWN_ID)  # Rasa's own behaviour, for our ids
    assert session_of({"session_id": "+37060000000"}, "")[0] != "+37060000000"


def test_session_request_enters_the_room_and_confirms(monkeypatch):
    session = "abc123"
    monkeypatch.setenv("CHAT_KEY_SECRET", SECRET)
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
    asyncio.run(handler("sid-1", {"session_id": session, "conversation_key": conversation_key(SECRET, session)}))
    confirmation = {"session_id": session, "conversation_id": session,
                    "conversation_key": conversation_key(SECRET, session)}
    assert calls == [("enter_room", "sid-1", session), ("emit", "session_confirm", confirmation, "sid-1")]
    calls.clear()
    asyncio.run(handler("sid-2", {"session_id": OWN_ID}))
    conversation = conversation_of(OWN_ID, SECRET)
    confirmation = {"session_id": OWN_ID, "conversation_id": conversation,
                    "conversation_key": conversation_key(SECRET, conversation)}
    assert calls == [("enter_room", "sid-2", conversation), ("emit", "session_confirm", confirmation, "sid-2")]


def test_the_conversation_key_is_the_ids_hmac_under_the_shared_secret():
    key = session_confirmation("s", "abc123", "chat-key-secret")["conversation_key"]
    expected = hmac.new(b"chat-key-secret", b"abc123", hashlib.sha256).digest()
    assert base64.urlsafe_b64decode(key + "=") == expected and len(key) == 43
    assert is_conversation_key("chat-key-secret", "abc123", key)
    assert not is_conversation_key("chat-key-secret", "abc124", key)  # another conversation's key
    assert not is_conversation_key("another-secret", "abc123", key)
    assert not is_conversation_key("", "abc123", conversation_key("", "abc123"))  # no secret: nothing is proven
    assert session_confirmation("abc123", "abc123", "") == {"session_id": "abc123", "conversation_id": "abc123"}


def test_a_new_session_gets_a_key_for_its_new_id(monkeypatch):
    monkeypatch.setenv("CHAT_KEY_SECRET", "chat-key-secret")
    channel = SocketIOInput.from_credentials({"session_persistence": True})
    channel.blueprint(lambda _message: None)
    sent = []

    async def enter_room(sid, room, namespace=None):
        return None

    async def emit(event, data=None, room=None, namespace=None, **_):
        sent.append(data)

    channel.sio.enter_room, channel.sio.emit = enter_room, emit
    asyncio.run(channel.sio.handlers["/"]["session_request"]("sid-1", {"session_id": None}))
    assert is_conversation_key("chat-key-secret", sent[0]["conversation_id"], sent[0]["conversation_key"])
    assert sent[0]["conversation_id"] == conversation_of(sent[0]["session_id"], "chat-key-secret")


def connected_channel(monkeypatch) -> tuple[SocketIOInput, list, list]:
    """The channel with a stubbed socket.io server: the messages it hands to Rasa, its session confirmations."""
    monkeypatch.setenv("CHAT_KEY_SECRET", SECRET)
    channel = SocketIOInput.from_credentials({"session_persistence": True, "metadata_key": "customData"})
    received, confirmed = [], []

    async def on_new_message(message):
        received.append(message)

    async def enter_room(*_args, **_kwargs):
        return None

    async def emit(event, data=None, **_kwargs):
        confirmed.append(data)

    channel.blueprint(on_new_message)
    channel.sio.enter_room, channel.sio.emit = enter_room, emit
    return channel, received, confirmed


def test_a_connection_writes_only_into_its_confirmed_session(monkeypatch):
    channel, received, _ = connected_channel(monkeypatch)
    handlers = channel.sio.handlers["/"]

    async def scenario():
        await handlers["session_request"]("sid-1", {"session_id": OWN_ID})
        await handlers["user_uttered"]("sid-1", {"message": "labas", "session_id": OWN_ID,
                                                  "customData": {"language": "lt"}})
        await handlers["user_uttered"]("sid-1", {"message": "hijack", "session_id": "+37060000000"})
        await handlers["user_uttered"]("sid-2", {"message": "unconfirmed", "session_id": OWN_ID})
        await handlers["user_uttered"]("sid-1", ["not", "a", "dict"])
        await handlers["disconnect"]("sid-1")
        await handlers["user_uttered"]("sid-1", {"message": "after the end", "session_id": OWN_ID})

    asyncio.run(scenario())
    assert [(m.text, m.sender_id, m.metadata, m.input_channel) for m in received] == [
        ("labas", conversation_of(OWN_ID, SECRET), {"language": "lt"}, "socketio")]


@pytest.mark.parametrize("custom_data, metadata", [('{"language": "en"}', {"language": "en"}), ("{", None),
                                                   (None, None)])
def test_metadata_sent_as_json_text_is_parsed(monkeypatch, custom_data, metadata):
    channel, received, confirmed = connected_channel(monkeypatch)
    handlers = channel.sio.handlers["/"]

    async def scenario():
        await handlers["session_request"]("sid-1", {})
        session = confirmed[-1]["session_id"]
        await handlers["user_uttered"]("sid-1", {"message": "hi", "session_id": session, "customData": custom_data})

    asyncio.run(scenario())
    assert [m.metadata for m in received] == [metadata]


@pytest.mark.parametrize("message, emitted", [
    ({"text": "Rūta from the Canon support team writes:\nHello", "agent_name": "Rūta", "agent_text": "Hello"},
     [{"text": "Hello", "agent_name": "Rūta"}]),  # the web chat labels it with the agent's name
    ({"text": "Rūta writes:\nHi", "agent_name": "Rūta", "agent_text": "Hi", "agent_message_id": 7},
     [{"text": "Hi", "agent_name": "Rūta", "agent_message_id": 7}]),  # the widget shows each reply once by id
    ({"text": "First part.\n\nSecond part."}, [{"text": "First part."}, {"text": "Second part."}]),  # Rasa's own
    ({"text": "Rūta writes:\n", "agent_name": "Rūta", "agent_text": "  "}, [{"text": "Rūta writes:"}]),
    # a domain response carries the conversation's language: its variation's condition, else Lithuanian
    ({"text": "Gerai.", "utter_action": "utter_language_switched"},
     [{"text": "Gerai.", "metadata": {"language": "lt"}}]),
    ({"text": "Sure.", "utter_action": "utter_language_switched",
      "condition": [{"type": "slot", "name": "language", "value": "en"}]},
     [{"text": "Sure.", "metadata": {"language": "en"}}]),
    ({"text": "One.\n\nTwo?", "utter_action": "utter_x", "buttons": [{"title": "Yes", "payload": "/affirm"}],
      "condition": [{"type": "slot", "name": "language", "value": "en"}]},
     [{"text": "One.", "quick_replies": [], "metadata": {"language": "en"}},
      {"text": "Two?", "quick_replies": [{"content_type": "text", "title": "Yes", "payload": "/affirm"}],
       "metadata": {"language": "en"}}]),
    ({"text": "Hi", "agent_name": "Rūta", "agent_text": "Hi", "utter_action": "utter_agent_message"},
     [{"text": "Hi", "agent_name": "Rūta", "metadata": {"language": "lt"}}]),
    ({"text": "?", "utter_action": "utter_x", "condition": [{"type": "slot", "name": "language", "value": "de"}]},
     [{"text": "?"}]),  # not a language of ours: no language rather than a wrong one
])
def test_pushed_messages_and_agents_replies(message, emitted):
    channel = SocketIOInput.from_credentials({"session_persistence": True})
    channel.blueprint(lambda _message: None)
    sent = []

    async def emit(event, data=None, room=None, **_):
        sent.append((event, data, room))

    channel.sio.emit = emit
    asyncio.run(channel.get_output_channel().send_response("session-1", dict(message)))
    assert sent == [("bot_uttered", data, "session-1") for data in emitted]


@pytest.mark.parametrize("message, language", [
    ({"text": "x"}, None),  # not made from a domain response
    ({"text": "x", "utter_action": "utter_x"}, "lt"),
    ({"text": "x", "utter_action": "utter_x", "condition": [{"type": "slot", "name": "language", "value": "en"}]},
     "en"),
    ({"text": "x", "utter_action": "utter_x", "condition": [{"type": "slot", "name": "other", "value": "en"}]},
     "lt"),
    ({"text": "x", "utter_action": "utter_x", "condition": "en"}, "lt"),
])
def test_response_language(message, language):
    assert response_language(message) == language


def test_other_channels_get_no_language(monkeypatch):
    """The language is the socket.io channel's: Rasa's collecting (REST) channel answers what it did before."""
    from rasa.core.channels.channel import CollectingOutputChannel

    output = CollectingOutputChannel()
    message = {"text": "Sure.", "utter_action": "utter_language_switched",
               "condition": [{"type": "slot", "name": "language", "value": "en"}]}
    asyncio.run(output.send_response("user-1", dict(message)))
    assert output.messages == [{"recipient_id": "user-1", "text": "Sure."}]


# ----------------------------------------------------------------------------- several workers

async def message_from_another_worker(session_id: str) -> dict:
    """A browser connects to worker A; worker B (another process in production) sends to its session."""
    import socketio
    from sanic import Sanic

    async def on_new_message(_message):
        return None

    credentials = {"session_persistence": True, "bot_message_evt": "bot_uttered", "metadata_key": "customData"}
    worker_a, worker_b = SocketIOInput.from_credentials(credentials), SocketIOInput.from_credentials(credentials)
    app = Sanic(f"worker-a-{session_id}")
    app.blueprint(worker_a.blueprint(on_new_message))
    worker_b.blueprint(on_new_message)  # not served: it only pushes, as Rasa's HTTP API does
    port = free_port()
    server = await app.create_server(host="127.0.0.1", port=port, return_asyncio_server=True)
    await server.startup()
    serving = asyncio.ensure_future(server.serve_forever())
    browser, received, confirmed = socketio.AsyncClient(), asyncio.Queue(), asyncio.Queue()
    browser.on("bot_uttered", received.put_nowait)
    browser.on("session_confirm", confirmed.put_nowait)
    try:
        # polling: the Rasa environment's aiohttp is older than python-socketio's websocket client wants
        await browser.connect(f"http://127.0.0.1:{port}", transports=["polling"])
        await browser.emit("session_request", {"session_id": session_id})
        assert (await asyncio.wait_for(confirmed.get(), 10))["session_id"] == session_id
        # an agent's reply as Rasa's HTTP API sends it (the response's text and its variables)
        await worker_b.get_output_channel().send_response(session_id, {
            "text": "Rūta iš „Canon“ palaikymo komandos rašo:\nlaba diena", "agent_name": "Rūta",
            "agent_text": "laba diena"})
        return await asyncio.wait_for(received.get(), 10)
    finally:
        await browser.eio.disconnect(abort=True)  # no waiting for the long poll in flight
        server.close()
        serving.cancel()


def test_a_message_pushed_by_another_worker_reaches_the_browser(monkeypatch):
    import uuid

    require_redis()
    monkeypatch.setenv("SOCKETIO_REDIS_URL", "redis://127.0.0.1:6379/0")
    assert asyncio.run(message_from_another_worker(uuid.uuid4().hex)) == {"text": "laba diena", "agent_name": "Rūta"}


def _host_id_in_child(manager: PerProcessRedisManager, results) -> None:
    results.put((manager.host_id, manager.host_id))


def test_forked_workers_have_their_own_host_ids():
    """Sanic forks its workers after building the app: with one host id, each worker would skip the messages the
    others publish (an agent's reply pushed by one worker would never reach a browser connected to another)."""
    import multiprocessing

    manager = PerProcessRedisManager("redis://127.0.0.1:6379/0", channel="test")
    fork = multiprocessing.get_context("fork")
    results = fork.Queue()
    children = [fork.Process(target=_host_id_in_child, args=(manager, results)) for _ in range(2)]
    for child in children:
        child.start()
    ids = [results.get(timeout=30) for _ in children]
    for child in children:
        child.join(timeout=30)
    assert all(first == second for first, second in ids)  # stable within a process
    assert len({manager.host_id, ids[0][0], ids[1][0]}) == 3


def test_without_redis_each_worker_keeps_its_own_rooms(monkeypatch):
    monkeypatch.delenv("SOCKETIO_REDIS_URL", raising=False)
    channel = SocketIOInput.from_credentials({"session_persistence": True})
    channel.blueprint(lambda _message: None)
    assert type(channel.sio.manager).__name__ == "AsyncManager"


# ----------------------------------------------------------------------------- several processes behind HAProxy

async def polling_handshake() -> tuple[str, str]:
    """(the engine.io session id of a polling handshake's open packet, the response's Set-Cookie)."""
    import json

    import aiohttp
    from sanic import Sanic

    channel = SocketIOInput.from_credentials({"session_persistence": True})
    app = Sanic(f"handshake-{free_port()}")

    async def on_new_message(_message):
        return None

    app.blueprint(channel.blueprint(on_new_message))
    port = free_port()
    server = await app.create_server(host="127.0.0.1", port=port, return_asyncio_server=True)
    await server.startup()
    serving = asyncio.ensure_future(server.serve_forever())
    try:
        async with aiohttp.ClientSession() as session:
            async with session.get(f"http://127.0.0.1:{port}/socket.io/?EIO=4&transport=polling") as answer:
                body, cookie = await answer.text(), answer.headers.get("Set-Cookie", "")
        return json.loads(body[1:])["sid"], cookie  # "0{...}": engine.io's open packet
    finally:
        server.close()
        serving.cancel()


def test_the_polling_handshake_sets_the_cookie_haproxy_sticks_sessions_by():
    """HAProxy (bot/launcher/balancer.py) learns which Rasa process holds a session from this cookie."""
    from bot.launcher.balancer import COOKIE

    sid, cookie = asyncio.run(polling_handshake())
    assert cookie == f"{COOKIE}={sid}; path=/; SameSite=Lax; HttpOnly"
