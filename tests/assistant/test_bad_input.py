"""Bad input gets a sensible reply in the conversation's language; no turn and no server crashes."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any, List, Optional

import pytest
import requests

from tests.assistant.conftest import server_alive
from tests.assistant.helpers import Chat, Reply

pytestmark = pytest.mark.servers

BAD_INPUTS = {
    "empty": "",
    "whitespace": "   \n\t  ",
    "very long gibberish": "x" * 6000,
    "emoji": "😀🙏📷",
    "html": "<b>bold</b><img src=x onerror=alert(1)>",
    "script": "<script>alert('xss')</script>",
    "sql": "'; DROP TABLE users; --",
    "sql union": "1' OR '1'='1' UNION SELECT * FROM accounts --",
    "intent injection": "/no_such_intent",
    "control characters": "\x00\x07\x1b[31m",
}

MAX_CHARACTERS = 2000  # bot/vocabulary.py: the longest message the assistant reads
TOO_LONG = "utter_message_too_long"
OPENERS = {"lt": ("Laba diena", "utter_greet"), "en": ("Hello", "utter_greet")}
FOLLOW_UP = {"lt": "Kaip užsiregistruoti verslo paskyrai?", "en": "How do I apply for an account?"}
# over 5,000 characters in the conversation's language
LONG = {"lt": "Sveiki, noriu paklausti apie verslo paskyrą ir CPS narystę. " * 90,
        "en": "Hello, I have a question about the business account and CPS membership. " * 70}


@pytest.mark.parametrize("language", ["lt", "en"])
@pytest.mark.parametrize("kind", sorted(BAD_INPUTS) + ["very long"])
def test_bad_input_gets_a_reply_in_the_conversation_language(servers, language, kind):
    chat = Chat(servers.rasa_url)
    opener, response = OPENERS[language]
    assert chat.ask(opener).response == response
    message = LONG[language] if kind == "very long" else BAD_INPUTS[kind]
    assert kind != "very long" or len(message) > 5000
    replies = chat.send(message)
    if kind in EMPTY:  # ignored in a conversation under way ("Sorry, I didn't understand" would be noise)
        assert replies == [] and user_texts_of(servers, chat)[-1] == opener
        assert chat.send(FOLLOW_UP[language])[0].response == "utter_registration_link"
        return
    assert replies, f"no reply to {kind}"
    for reply in replies:
        assert reply.response is not None, f"{kind}: unexpected text {reply.text!r}"
        assert reply.language == language, f"{kind}: {reply.response} in {reply.language}"
    if len(message.strip()) > MAX_CHARACTERS:
        assert [reply.response for reply in replies] == [TOO_LONG]
    # the conversation goes on normally
    assert chat.send(FOLLOW_UP[language])[0].response == "utter_registration_link"


EMPTY = ("empty", "whitespace")


def user_texts_of(servers, chat: Chat) -> list:
    return [e.get("text") for e in servers.tracker(chat.conversation_id)["events"] if e["event"] == "user"]


@pytest.mark.parametrize("language", ["lt", "en"])
@pytest.mark.parametrize("text", ["", "  \n "])
def test_an_empty_message_opening_a_conversation_is_greeted_in_the_page_language(servers, language, text):
    """Standard web clients (rasa-webchat with an empty initPayload) open with an empty message."""
    chat = Chat(servers.rasa_url)
    chat.metadata = {"language": language}
    assert [(r.response, r.language) for r in chat.send(text)] == [("utter_greet", language)]
    assert user_texts_of(servers, chat) == []  # nothing stored
    assert chat.send(FOLLOW_UP[language])[0].response == "utter_registration_link"


def test_servers_survive_bad_input(servers):
    assert server_alive(servers.rasa_url)
    assert server_alive(f"{servers.actions_url}/health")


# ----------------------------------------------------------------------------- input limits (issue 14)

OVER_THE_LIMIT = {"2,001 characters": 2001, "a million characters": 1_000_000}
# text in the other language than the conversation's: the conversation's language still decides the answer (ASCII:
# a million characters fit in one websocket frame of Sanic's, at most 1 MiB)
OTHER_LANGUAGE = {"lt": "Hello, I have a question about my account. ",
                  "en": "Sveiki, noriu paklausti apie mano paskyra. "}
CONVERSATION_CASES = [(language, size) for language in ("lt", "en") for size in OVER_THE_LIMIT]
CASE_IDS = [f"{language}-{size}" for language, size in CONVERSATION_CASES]


def filled(piece: str, length: int) -> str:
    return (piece * (length // len(piece) + 1))[:length - 1] + "x"


def user_texts(servers: Any, conversation_id: str) -> List[str]:
    return [e.get("text") or "" for e in servers.tracker(conversation_id)["events"] if e["event"] == "user"]


def post(servers: Any, body: Any, **options: Any) -> requests.Response:
    return requests.post(f"{servers.rasa_url}/webhooks/rest/webhook", timeout=120, **options,
                         **({} if "data" in options else {"json": body}))


@pytest.mark.parametrize("language, size", CONVERSATION_CASES, ids=CASE_IDS)
def test_rest_message_over_the_limit_is_answered_in_the_conversations_language_and_not_stored(servers, language,
                                                                                              size):
    chat = Chat(servers.rasa_url)
    assert chat.ask(OPENERS[language][0]).response == "utter_greet"
    before = servers.tracker(chat.conversation_id)["events"]
    replies = chat.send(filled(OTHER_LANGUAGE[language], OVER_THE_LIMIT[size]))
    assert [(reply.response, reply.language) for reply in replies] == [(TOO_LONG, language)]
    assert servers.tracker(chat.conversation_id)["events"] == before  # nothing stored
    assert chat.send(FOLLOW_UP[language])[0].response == "utter_registration_link"
    assert max(map(len, user_texts(servers, chat.conversation_id))) <= MAX_CHARACTERS


@pytest.mark.parametrize("text, metadata, language", [
    (filled(OTHER_LANGUAGE["en"], 2001), None, "lt"),  # the message's own language
    (filled(OTHER_LANGUAGE["lt"], 2001), {"language": "lt"}, "en"),
    ("x" * 5000, {"language": "en"}, "en"),  # then the page language of the web chat
    ("x" * 5000, ["en"], "lt"),  # else Lithuanian
])
def test_first_message_over_the_limit_is_answered_in_its_language_and_no_conversation_is_stored(servers, text,
                                                                                                metadata, language):
    sender = f"test-{uuid.uuid4().hex[:12]}"
    answer = post(servers, {"sender": sender, "message": text, "metadata": metadata})
    assert answer.status_code == 200
    assert [(r.response, r.language) for r in (Reply(m["text"]) for m in answer.json())] == [(TOO_LONG, language)]
    assert user_texts(servers, sender) == []  # (reading a new tracker starts a session in it: Rasa's API)


def test_eight_messages_of_a_million_characters_hold_no_worker(servers):
    """Before the limit, each held a Rasa worker 4-5 s in NLU (eight at once: 29 s)."""
    started = time.monotonic()
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda i: post(servers, {"sender": f"big-{i}-{uuid.uuid4().hex[:6]}",
                                                         "message": "x" * 1_000_000}), range(8)))
    assert all(answer.status_code == 200 for answer in answers)
    assert time.monotonic() - started < 10
    assert Chat(servers.rasa_url).ask("Hello").response == "utter_greet"


@pytest.mark.parametrize("metadata", [[], ["lt", "en"], "lt", 42, None, True, {"nested": {"a": [1, {"b": None}]}},
                                      {"customer_token": ["x"], "language": {"lt": 1}}])
def test_metadata_of_any_shape_gets_a_normal_answer(servers, metadata):
    for text, language in (("Hello", "en"), ("Laba diena", "lt")):
        answer = post(servers, {"sender": f"test-{uuid.uuid4().hex[:12]}", "message": text, "metadata": metadata})
        assert answer.status_code == 200
        assert [(r.response, r.language) for r in (Reply(m["text"]) for m in answer.json())] == [
            ("utter_greet", language)]


@pytest.mark.parametrize("message", [500, 2.5, ["Hello"], {"text": "Hello"}, None, True])
def test_a_message_that_is_not_text_gets_an_answer(servers, message):
    answer = post(servers, {"sender": f"test-{uuid.uuid4().hex[:12]}", "message": message})
    assert answer.status_code == 200
    replies = [Reply(m["text"]) for m in answer.json()]
    assert replies and all(reply.response is not None for reply in replies), answer.text


@pytest.mark.parametrize("body", [b"[1, 2]", b'"Hello"', b"42", b"null"])
def test_a_rest_body_that_is_not_an_object_is_a_clear_400(servers, body):
    answer = post(servers, None, data=body, headers={"Content-Type": "application/json"})
    assert answer.status_code == 400
    assert "JSON object" in answer.json()["message"]


def test_a_body_over_two_megabytes_is_refused_before_it_is_read(servers):
    body = b'{"sender": "big", "message": "' + b"x" * (2 * 1024 * 1024) + b'"}'
    answer = post(servers, None, data=body, headers={"Content-Type": "application/json"})
    assert answer.status_code == 413
    assert "size limit" in answer.json()["message"]


# ----------------------------------------------------------------------------- socket.io (the web chat)

class SocketChat:
    """One web-chat conversation over Rasa's socket.io channel, spoken as the widget does over the websocket
    transport (Engine.IO 4 packets; the websocket keeps to one Rasa worker, polling would not)."""

    def __init__(self, rasa_url: str, custom_data: Any = None) -> None:
        self.url = rasa_url.replace("http", "ws", 1) + "/socket.io/?EIO=4&transport=websocket"
        self.session_id, self.custom_data = uuid.uuid4().hex, custom_data
        self.conversation_id = ""

    async def exchange(self, messages: List[Any], wait: float = 20) -> List[List[Reply]]:
        """Send each message and collect the answers until the bot is quiet for a moment."""
        import websockets

        async with websockets.connect(self.url, max_size=None) as socket:
            assert (await socket.recv()).startswith("0")  # Engine.IO open
            await socket.send("40")  # socket.io: join the namespace "/"
            assert await self._event(socket, 10) == ["connect", None]
            await self._emit(socket, "session_request", {"session_id": self.session_id})
            event, confirmation = await self._event(socket, 10)
            assert (event, confirmation["session_id"]) == ("session_confirm", self.session_id)
            self.conversation_id = confirmation["conversation_id"]  # derived from the session id
            answers = []
            for message in messages:
                await self._emit(socket, "user_uttered", {"message": message, "session_id": self.session_id,
                                                          "customData": self.custom_data})
                answers.append(await self._replies(socket, wait))
            return answers

    @staticmethod
    async def _emit(socket: Any, event: str, data: Any) -> None:
        await socket.send("42" + json.dumps([event, data]))

    @staticmethod
    async def _event(socket: Any, timeout: float) -> Optional[List[Any]]:
        """The next socket.io event as [name, data] (["connect", None] for the namespace's answer), or None."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                packet = await asyncio.wait_for(socket.recv(), max(0.01, deadline - time.monotonic()))
            except asyncio.TimeoutError:
                return None
            if packet == "2":  # Engine.IO ping
                await socket.send("3")
            elif packet.startswith("42"):
                return json.loads(packet[2:])
            elif packet.startswith("40"):
                return ["connect", None]

    async def _replies(self, socket: Any, wait: float) -> List[Reply]:
        replies: List[Reply] = []
        while True:
            event = await self._event(socket, wait if not replies else 2)
            if event is None:
                return replies
            if event[0] == "bot_uttered":
                replies.append(Reply(event[1].get("text", "")))


@pytest.mark.parametrize("language, size", CONVERSATION_CASES, ids=CASE_IDS)
def test_socketio_message_over_the_limit_is_answered_in_the_conversations_language_and_not_stored(servers, language,
                                                                                                  size):
    chat = SocketChat(servers.rasa_url, {"language": language})
    opened, refused, followed = asyncio.run(chat.exchange(
        [OPENERS[language][0], filled(OTHER_LANGUAGE[language], OVER_THE_LIMIT[size]), FOLLOW_UP[language]]))
    assert [reply.response for reply in opened] == ["utter_greet"]
    assert [(reply.response, reply.language) for reply in refused] == [(TOO_LONG, language)]
    assert followed[0].response == "utter_registration_link"
    assert max(map(len, user_texts(servers, chat.conversation_id))) <= MAX_CHARACTERS


@pytest.mark.parametrize("custom_data", [["lt"], "not json", "[1, 2]", 42, None, {"language": ["en"]}])
def test_socketio_metadata_of_any_shape_gets_a_normal_answer(servers, custom_data):
    [greeting, unreadable] = asyncio.run(SocketChat(servers.rasa_url, custom_data).exchange(["Hello", ["Hello"]]))
    assert [(reply.response, reply.language) for reply in greeting] == [("utter_greet", "en")]
    assert unreadable and all(reply.response is not None for reply in unreadable)
