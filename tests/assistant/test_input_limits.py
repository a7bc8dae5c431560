"""Input limits at the edge (issue 14), property-based: arbitrary text (surrogates, control characters, very long)
and metadata of any JSON shape never break a channel, a component or a turn; a message over 2,000 characters is
answered "please keep it shorter" before NLU and nothing is stored. The real servers: test_bad_input.py."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any, List

import pytest
import rasa.core.run
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.shared.nlu.constants import ENTITIES, METADATA, TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.conversation_ids import MAX_CONVERSATION_ID, REST_PREFIX, rest_conversation, unusable_conversation_id
from bot.rasa_ext import input_limits, language_detection
from bot.rasa_ext.components import LanguageDetector, SignedInFlag
from bot.vocabulary import CUSTOMER_TOKEN_KEY, MAX_MESSAGE_CHARACTERS
from tests.assistant.helpers import ROOT, identify
from tests.assistant.test_whatsapp_channel import RecordingAgent, deliver, rasa_app, text_message, webhook

# the autouse Sanic fixture is function-scoped: one setting for all examples of a test is what we want
PROPERTY = settings(max_examples=60, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
SLOW_PROPERTY = settings(PROPERTY, max_examples=25)

SCALARS = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20)
JSON = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner,
                                                                                         max_size=4), max_leaves=10)
# what a client may send instead of text
NOT_TEXT = (st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False)
            | st.lists(JSON, min_size=1, max_size=3)
            | st.dictionaries(st.text(max_size=8), JSON, min_size=1, max_size=3))
# text as a JSON body or a socket.io frame can carry it: lone surrogates and control characters included
ODD_CHARACTERS = st.characters(categories=["Cs", "Cc", "Cf", "Zs", "So", "Mn"])
ANY_TEXT = st.lists(st.text(max_size=30) | st.text(ODD_CHARACTERS, max_size=10), max_size=8).map("".join)
# longer than the limit once stripped, as channels strip a message
LONG_TEXT = st.tuples(ANY_TEXT, st.integers(min_value=1, max_value=4000), st.sampled_from("xąé😀\x00<")).map(
    lambda parts: parts[0] + parts[2] * (MAX_MESSAGE_CHARACTERS + parts[1]))
METADATA_SHAPES = JSON | st.fixed_dictionaries({}, optional={CUSTOMER_TOKEN_KEY: JSON, "language": JSON})
TOO_LONG = input_limits.TOO_LONG_RESPONSE


def run(coroutine: Any) -> Any:
    return asyncio.new_event_loop().run_until_complete(coroutine)


# ----------------------------------------------------------------------------- messages and metadata

@PROPERTY
@given(text=NOT_TEXT | ANY_TEXT, metadata=METADATA_SHAPES)
def test_a_user_message_of_any_json_has_string_text_and_object_or_no_metadata(text, metadata):
    input_limits.apply()
    message = UserMessage(text, CollectingOutputChannel(), "sender", metadata=metadata)
    assert isinstance(message.text, str)
    assert message.metadata is None or isinstance(message.metadata, dict)
    if isinstance(text, str):
        assert message.text == text.strip()
    if isinstance(metadata, dict):
        assert message.metadata is metadata


@pytest.mark.parametrize("value, text", [(500, "500"), (2.5, "2.5"), (None, ""), (True, ""), ([1], ""),
                                         ({"a": 1}, ""), (float("inf"), ""), ("Labas", "Labas")])
def test_message_text(value, text):
    assert input_limits.message_text(value) == text


@pytest.mark.parametrize("current, text, metadata, language", [
    ("en", "Sveiki, noriu paklausti apie paskyrą", {"language": "lt"}, "en"),  # the conversation's language first
    (None, "Sveiki, noriu paklausti apie paskyrą", {"language": "en"}, "lt"),  # then the message's own
    (None, "Hello, I would like to ask about my account", None, "en"),
    (None, "x" * 3000, {"language": "en"}, "en"),  # then the page language
    (None, "x" * 3000, ["en"], "lt"),  # else Lithuanian
    ("de", "12345 " * 500, None, "lt"),
])
def test_the_answer_is_in_the_conversations_language(current, text, metadata, language):
    assert input_limits.reply_language(current, text, metadata) == language


# ----------------------------------------------------------------------------- components

@PROPERTY
@given(text=ANY_TEXT | NOT_TEXT, metadata=METADATA_SHAPES)
def test_signed_in_flag_takes_metadata_of_any_shape(text, metadata):
    message = Message(data={TEXT: text, METADATA: metadata})
    SignedInFlag().process([message])
    token = metadata.get(CUSTOMER_TOKEN_KEY) if isinstance(metadata, dict) else None
    signed_in = [e for e in message.get(ENTITIES) or [] if e["entity"] == "signed_in"]
    assert len(signed_in) == (1 if isinstance(token, str) and token else 0)


@pytest.fixture(scope="module")
def language_detector() -> LanguageDetector:
    return LanguageDetector()


@PROPERTY
@given(text=ANY_TEXT | LONG_TEXT | NOT_TEXT, metadata=METADATA_SHAPES)
def test_language_detection_takes_any_text_and_metadata(language_detector, text, metadata):
    """Any text (and, in the component, whatever a caller of Rasa's parse puts in a message's text)."""
    if isinstance(text, str):
        assert language_detection.detect_language(text).language in (None, "lt", "en")
    assert language_detection.hinted_language(metadata) in (None, "lt", "en")
    message = Message(data={TEXT: text, METADATA: metadata})
    language_detector.process([message])
    assert all(e["value"] in ("lt", "en") for e in message.get(ENTITIES) or [])


@SLOW_PROPERTY
@given(text=ANY_TEXT, metadata=METADATA_SHAPES)
def test_the_whole_pipeline_parses_any_message_up_to_the_limit(agent, text, metadata):
    """spaCy's tokenizer, our lemmatizer, language detection, sign-in flag, featurizers and classifier."""
    input_limits.apply()
    parsed = run(agent.parse_message(UserMessage(text[:MAX_MESSAGE_CHARACTERS], metadata=metadata)))
    assert "name" in parsed["intent"]


# ----------------------------------------------------------------------------- the limit, before NLU

@SLOW_PROPERTY
@given(text=LONG_TEXT, metadata=METADATA_SHAPES, channel=st.sampled_from(["rest", "socketio", "whatsapp"]))
def test_a_too_long_message_is_answered_before_nlu_and_nothing_is_stored(agent, text, metadata, channel):
    sender = f"too-long-{channel}-{len(text)}-{abs(hash(text))}"
    output = CollectingOutputChannel()
    replies = run(agent.handle_message(UserMessage(text, output, sender, input_channel=channel, metadata=metadata)))
    language = input_limits.reply_language(None, text.strip(), input_limits.message_metadata(metadata))
    assert [identify(reply["text"]) for reply in replies] == [(TOO_LONG, language)]
    assert run(agent.tracker_store.retrieve(sender)) is None


class RecordingBroker:
    """Stands in for the event broker: records what the tracker store publishes."""

    def __init__(self) -> None:
        self.published: List[Any] = []

    def publish(self, event: Any, *args: Any, **kwargs: Any) -> None:
        self.published.append(event)


def test_an_existing_conversation_keeps_its_language_and_its_events_and_nothing_is_published(agent):
    sender, broker = "too-long-existing", RecordingBroker()
    store = getattr(agent.tracker_store, "_tracker_store", agent.tracker_store)  # inside Rasa's fail-safe wrapper
    store.event_broker = broker
    try:
        run(agent.handle_message(UserMessage("Hello, how do I apply for an account?", sender_id=sender)))
        before, published = len(run(agent.tracker_store.retrieve(sender)).events), len(broker.published)
        assert published > 0  # the broker sees a normal turn
        text = "Sveiki, noriu paklausti apie paskyrą. " * 60
        replies = run(agent.handle_message(UserMessage(text, sender_id=sender)))
    finally:
        store.event_broker = None
    assert [identify(reply["text"]) for reply in replies] == [(TOO_LONG, "en")]
    assert len(run(agent.tracker_store.retrieve(sender)).events) == before
    assert len(broker.published) == published


def test_the_limit_is_the_web_chats_and_the_responses():
    from tests.assistant.helpers import response_text

    assert "2 000" in response_text(TOO_LONG, "lt") and "2,000" in response_text(TOO_LONG, "en")
    assert MAX_MESSAGE_CHARACTERS == 2000


# ----------------------------------------------------------------------------- channels

LOCAL_CREDENTIALS = ROOT / "credentials.yml"


def local_channel(name: str, credentials: Path = LOCAL_CREDENTIALS) -> Any:
    return next(c for c in rasa.core.run.create_http_input_channels(None, str(credentials)) if c.name() == name)


async def post_rest(client: Any, body: bytes) -> tuple:
    headers = {"Content-Type": "application/json"}
    async with client.post("/webhooks/rest/webhook", data=body, headers=headers) as answer:
        return answer.status, answer.headers.get("Content-Type", ""), await answer.text()


def test_rest_channel_takes_any_json_body_without_a_server_error():
    """Through Rasa's app with the REST channel of credentials.yml: 200 with the answers and one message handed
    on (string text, object or no metadata), or 400 with a JSON error for a body that is not an object."""
    loop, agent = asyncio.new_event_loop(), RecordingAgent({"text": "ok"})
    served = rasa_app(local_channel("rest"), agent)
    client = loop.run_until_complete(served.__aenter__())
    try:
        @PROPERTY
        @given(body=JSON | st.fixed_dictionaries({"sender": st.text(min_size=1, max_size=20)}, optional={
            "message": NOT_TEXT | ANY_TEXT, "metadata": METADATA_SHAPES}))
        def check(body):
            handed_on = len(agent.messages)
            status, content_type, text = loop.run_until_complete(post_rest(client, json.dumps(body).encode()))
            assert "json" in content_type
            refused = isinstance(body, dict) and unusable_conversation_id(body.get("sender"))
            if isinstance(body, dict) and not refused:
                assert status == 200 and [(r["text"], r["recipient_id"]) for r in json.loads(text)] == [
                    ("ok", body["sender"])]
                message = agent.messages[handed_on]
                assert message.sender_id == rest_conversation(body["sender"])
                assert isinstance(message.text, str) and message.metadata in (None, body.get("metadata"))
            elif isinstance(body, dict):
                assert status == 400 and json.loads(text)["message"] == refused
            else:
                assert status == 400 and "JSON object" in json.loads(text)["message"]

        check()
    finally:
        loop.run_until_complete(served.__aexit__(None, None, None))
        loop.close()


def test_rest_refuses_a_body_over_the_limit_before_reading_it_and_reads_a_million_characters():
    async def scenario() -> List[tuple]:
        async with rasa_app(local_channel("rest"), RecordingAgent({"text": "ok"})) as client:
            million = json.dumps({"sender": "s", "message": "x" * 1_000_000}).encode()
            return [await post_rest(client, million),
                    await post_rest(client, b" " * (input_limits.MAX_REQUEST_BYTES + 1))]

    (accepted, _, _), (status, content_type, text) = run(scenario())
    assert accepted == 200
    assert status == 413 and "json" in content_type and "size limit" in json.loads(text)["message"]


def socketio_handler(messages: List[UserMessage]) -> tuple[Any, str]:
    """The channel's message handler, and the session it confirmed to the connection "sid-1"."""
    channel = local_channel("socketio")
    confirmed: List[Any] = []

    async def on_new_message(message: UserMessage) -> None:
        messages.append(message)

    async def emit(_event: str, data: Any = None, **_kwargs: Any) -> None:
        confirmed.append(data)

    async def enter_room(*_args: Any, **_kwargs: Any) -> None:
        return None

    channel.blueprint(on_new_message)
    channel.sio.emit, channel.sio.enter_room = emit, enter_room
    assert channel.sio.eio.max_http_buffer_size == input_limits.MAX_REQUEST_BYTES
    run(channel.sio.handlers["/"]["session_request"]("sid-1", {}))
    return channel.sio.handlers["/"][channel.user_message_evt], confirmed[-1]["session_id"]


@PROPERTY
@given(data=JSON | st.fixed_dictionaries({"session_id": st.text(min_size=1, max_size=20)},
                                         optional={"message": NOT_TEXT | ANY_TEXT | LONG_TEXT,
                                                   "customData": METADATA_SHAPES | st.text(max_size=10)}))
def test_socketio_channel_takes_any_message_data(data):
    messages: List[UserMessage] = []
    handler, session = socketio_handler(messages)
    if isinstance(data, dict) and data.get("session_id"):
        data = {**data, "session_id": session}  # the connection's own session (others are ignored)
    run(handler("sid-1", data))
    if isinstance(data, dict) and data.get("session_id"):
        assert len(messages) == 1
        assert isinstance(messages[0].text, str)
        assert messages[0].metadata is None or isinstance(messages[0].metadata, dict)
    else:
        assert messages == []  # no session to answer: Rasa ignores it, as before


@SLOW_PROPERTY
@given(text=LONG_TEXT)
def test_whatsapp_answers_a_too_long_message_through_the_graph_api_and_stores_nothing(agent, text):
    """A WhatsApp message over the limit, through the channel and the real agent."""
    sender = f"3706{abs(hash(text)) % 10**8:08d}"
    incoming = {**text_message(text, f"wamid.long.{sender}"), "from": sender}
    status, _, graph = run(deliver(webhook(incoming), agent=agent))
    assert status == 200
    language = input_limits.reply_language(None, text.strip(), None)
    assert [(m["to"], identify(m["text"]["body"])) for m in graph.sent] == [(sender, (TOO_LONG, language))]
    assert run(agent.tracker_store.retrieve(sender)) is None


MAX_SENDER = MAX_CONVERSATION_ID - len(REST_PREFIX)  # its conversation, "rest:" + the sender, fits


@pytest.mark.parametrize("sender, status", [
    ("a/b c%2F?#", 200), ("ž" * MAX_SENDER, 200), ("x" * (MAX_SENDER + 1), 400), (12345, 400),
    ("", 400), ("a\x00b", 400), (None, 400),  # none: Rasa would share one "default" conversation between callers
    ("+37060000000", 200),  # a WhatsApp customer's number: a REST conversation of its own, not theirs
])
def test_rest_takes_every_sender_that_can_be_a_conversation_and_refuses_others_clearly(sender, status):
    async def scenario() -> tuple:
        agent = RecordingAgent({"text": "ok"})
        async with rasa_app(local_channel("rest"), agent) as client:
            body = {"message": "hi", **({} if sender is None else {"sender": sender})}
            answer = await post_rest(client, json.dumps(body).encode())
            return answer, agent.messages

    (code, _, text), handed_on = asyncio.new_event_loop().run_until_complete(scenario())
    assert code == status
    if status == 400:
        expected = unusable_conversation_id(sender) or f"The sender must be at most {MAX_SENDER} characters long."
        assert json.loads(text)["message"] == expected and not handed_on
    else:
        assert [m.sender_id for m in handed_on] == [REST_PREFIX + sender]
        assert [reply["recipient_id"] for reply in json.loads(text)] == [sender]
