"""Bad input gets a sensible reply in the conversation's language; no turn and no server crashes."""

from __future__ import annotations

import pytest

from tests.assistant.conftest import server_alive
from tests.assistant.helpers import Chat

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

OPENERS = {"lt": ("Laba diena", "utter_greet"), "en": ("Hello", "utter_greet")}
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
    assert replies, f"no reply to {kind}"
    for reply in replies:
        assert reply.response is not None, f"{kind}: unexpected text {reply.text!r}"
        assert reply.language == language, f"{kind}: {reply.response} in {reply.language}"
    # the conversation goes on normally
    follow_up = "Kaip užsiregistruoti verslo paskyrai?" if language == "lt" else "How do I apply for an account?"
    assert chat.send(follow_up)[0].response == "utter_registration_link"


def test_servers_survive_bad_input(servers):
    assert server_alive(servers.rasa_url)
    assert server_alive(f"{servers.actions_url}/health")
