"""Customer tokens are not kept in Rasa's trackers (bot/rasa_ext/token_redaction.py), against the real servers
(`make run`'s launcher, the trained model): the tracker API answers without the token after a signed-in turn,
the next message (carrying the token again) is still answered as signed in, and a new session does not sign
the customer in from anything stored."""

from __future__ import annotations

import json

import pytest
import requests

from tests.assistant.conftest import RASA_TOKEN
from tests.assistant.helpers import Chat
from tests.assistant.test_account_answers import token

pytestmark = pytest.mark.servers
POINTS_LT = "kiek tasku turiu?"  # demo-silver: 650 points, invited


def personal(replies) -> bool:
    return any(r.response.startswith("utter_my_points") and "650" in r.text for r in replies)


def start_new_session(rasa_url: str, sender: str) -> None:
    """What an hour of silence does: Rasa's session start (the slots carried over)."""
    answer = requests.post(f"{rasa_url}/conversations/{sender}/execute", params={"token": RASA_TOKEN},
                           json={"name": "action_session_start"}, timeout=60)
    answer.raise_for_status()


def test_the_tracker_keeps_no_token_and_signed_in_answers_still_work(servers):
    secret = token("demo-silver")
    chat = Chat(servers.rasa_url, token=secret)
    assert personal(chat.send(POINTS_LT))
    stored = json.dumps(servers.tracker(chat.conversation_id))
    assert secret not in stored and "customer_token" not in stored
    assert personal(chat.send("o kiek dabar turiu taškų?"))  # the next message brings the token again
    assert secret not in json.dumps(servers.tracker(chat.conversation_id))


def test_a_new_session_signs_in_only_from_the_message_itself(servers):
    secret = token("demo-silver")
    chat = Chat(servers.rasa_url, token=secret)
    assert personal(chat.send(POINTS_LT))
    start_new_session(servers.rasa_url, chat.conversation_id)
    assert secret not in json.dumps(servers.tracker(chat.conversation_id))
    chat.metadata = {}  # signed out meanwhile: nothing stored may answer for the account
    assert not personal(chat.send(POINTS_LT))
    chat.metadata = {"customer_token": secret}  # signed in again
    assert personal(chat.send(POINTS_LT))
    assert secret not in json.dumps(servers.tracker(chat.conversation_id))
