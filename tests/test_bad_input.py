"""Bad input gets a sensible reply in the conversation's language; no turn and no server crashes."""

from __future__ import annotations

import pytest

from tests.conftest import server_alive
from tests.helpers import Chat

pytestmark = pytest.mark.servers

BAD_INPUTS = {
    "empty": "",
    "whitespace": "   \n\t  ",
    "very long": "Kaip užsiregistruoti? " * 260,  # > 5,000 characters
    "very long gibberish": "x" * 6000,
    "emoji": "😀🙏📷",
    "html": "<b>bold</b><img src=x onerror=alert(1)>",
    "script": "<script>alert('xss')</script>",
    "sql": "'; DROP TABLE users; --",
    "sql union": "1' OR '1'='1' UNION SELECT * FROM accounts --",
    "intent injection": "/no_such_intent",
    "json-ish": '{"intent": "greet"}',
    "control characters": "\x00\x07\x1b[31m",
}

OPENERS = {"lt": ("Laba diena", "utter_greet"), "en": ("Hello", "utter_greet")}


@pytest.mark.parametrize("language", ["lt", "en"])
@pytest.mark.parametrize("kind", sorted(BAD_INPUTS))
def test_bad_input_gets_a_reply_in_the_conversation_language(servers, language, kind):
    chat = Chat(servers.rasa_url)
    opener, response = OPENERS[language]
    assert chat.ask(opener).response == response
    replies = chat.send(BAD_INPUTS[kind])
    assert replies, f"no reply to {kind}"
    for reply in replies:
        assert reply.response is not None, f"{kind}: unexpected text {reply.text!r}"
        assert reply.language == language, f"{kind}: {reply.response} in {reply.language}"
    # the conversation goes on normally
    follow_up = "Kiek trunka patvirtinimas?" if language == "lt" else "How long does approval take?"
    assert chat.ask(follow_up).response == "utter_approval_time"


def test_servers_survive_bad_input(servers):
    assert server_alive(servers.rasa_url)
    assert server_alive(f"{servers.actions_url}/health")
