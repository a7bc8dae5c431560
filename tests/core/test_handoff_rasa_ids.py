"""The core's Rasa client (HttpRasaClient) against the real Rasa server: whatever the channel's sender id, the
core reads, pauses and writes into exactly the conversation Rasa stored for that sender (Rasa's HTTP API decodes
the percent-encoded id: bot/rasa_ext/conversation_routes.py)."""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from bot.conversation_ids import rest_conversation
from bot.core.handoff.rasa import HttpRasaClient
from tests.servers import MODEL, ROOT, free_port

pytestmark = pytest.mark.servers
RASA_TOKEN = "rasa-ids-test-token"
# REST senders; their conversations are "rest:" + the sender, up to 512 characters
ODD_SENDERS = ["a/b", "/a/b/", "50%", "%2F", "%41", "two words", "ąčę Šilutė 🙂", "a?b#c&d=e", ".", "..", "a/../b",
               "x" * 300, "ž" * 507, "🙂" * 507]


@pytest.fixture(scope="module")
def rasa_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Rasa alone with the trained model, our credentials (REST, our socket.io channel), its HTTP API."""
    if not MODEL.exists():
        pytest.fail(f"{MODEL} is missing: run the tests with `make test`, which trains it.")
    port = free_port()
    log = Path(tmp_path_factory.mktemp("rasa")) / "rasa.log"
    # as scripts/run.sh starts it: the token and the JWT secret the core signs with, from the environment
    command = [str(ROOT / ".venv/rasa/bin/python"), "-m", "bot.rasa_ext.rasa_cli", "run", "--model", str(MODEL),
               "--port", str(port), "-i", "127.0.0.1", "--credentials", "credentials.yml", "--enable-api"]
    with log.open("w") as handle:
        process = subprocess.Popen(command, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT),
                                                           "RASA_TOKEN": RASA_TOKEN},
                                   stdout=handle, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 180
        while not _answers(url):
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"Rasa did not start:\n{log.read_text(errors='replace')[-3000:]}")
            time.sleep(0.5)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=60)


def _answers(url: str) -> bool:
    try:
        return httpx.get(f"{url}/status", params={"token": RASA_TOKEN}, timeout=5).is_success
    except httpx.HTTPError:
        return False


def say(rasa_url: str, sender: str, text: str) -> list[dict]:
    """A customer's message over the REST channel, which stores it in the conversation `rest:<sender>`."""
    answer = httpx.post(f"{rasa_url}/webhooks/rest/webhook", json={"sender": sender, "message": text}, timeout=60)
    answer.raise_for_status()
    return answer.json()


@pytest.mark.parametrize("sender", ODD_SENDERS)
def test_the_core_addresses_the_conversation_rasa_stored(rasa_url: str, sender: str) -> None:
    client = HttpRasaClient(rasa_url, RASA_TOKEN)
    conversation_id = rest_conversation(sender)
    try:
        assert say(rasa_url, sender, "Hello there")  # the assistant answers
        tracker = client.tracker(conversation_id)
        assert tracker["sender_id"] == conversation_id
        assert [e["text"] for e in tracker["events"] if e["event"] == "user"] == ["Hello there"]

        client.append_events(conversation_id, [{"event": "pause"}])  # handed over: the bot goes quiet
        assert say(rasa_url, sender, "Anyone there?") == []
        client.execute(conversation_id, "utter_greet")  # as the core delivers an agent's reply
        client.append_events(conversation_id, [{"event": "resume"}])  # closed: the assistant is back
        assert say(rasa_url, sender, "Hello there")

        events = client.tracker(conversation_id)["events"]
        assert [e["text"] for e in events if e["event"] == "user"] == ["Hello there", "Anyone there?", "Hello there"]
        assert [e["event"] for e in events if e["event"] in ("pause", "resume")] == ["pause", "resume"]
        assert any(e["event"] == "action" and e["name"] == "utter_greet" for e in events)
    finally:
        client.close()
