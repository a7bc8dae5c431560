"""Degraded mode with the real processes and the trained model (issue 14): the action server or the core stops
mid-conversation and mid-flow; what the customer sees in both languages, and what carries on after the restart.

The servers are started here one by one (not through scripts/run.sh, whose launcher stops everything when one of
them dies), on free ports, with a SQLite database and Rasa's in-memory stores, so that each can be stopped and
started again on its own port.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
import uuid
from pathlib import Path
from typing import Dict, Iterator, List, Optional, Tuple

import pytest

from bot.conversation_ids import path_segment
from tests.assistant.conftest import (
    AGENT_PASSWORD,
    RASA_TOKEN,
    SERVICE_KEY,
    TOKEN_SECRET,
    core_get,
    rasa_tracker,
    server_alive,
)
from tests.assistant.helpers import Chat, ConsoleAgent, Reply, response_text
from tests.servers import MODEL, ROOT, START_SECONDS, free_port

pytestmark = pytest.mark.servers

RASA = str(ROOT / ".venv/rasa/bin/rasa")
RASA_PY = str(ROOT / ".venv/rasa/bin/python")
CORE_PY = str(ROOT / ".venv/core/bin/python")


class Stack:
    """The core, the action server and Rasa as separate processes that a test can stop and start again."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.ports = {"core": free_port(), "actions": free_port(), "rasa": free_port()}
        self.urls = {name: f"http://127.0.0.1:{port}" for name, port in self.ports.items()}
        self.health = {"core": "/health", "actions": "/health", "rasa": "/"}
        self.env = {**os.environ, "PYTHONPATH": str(ROOT), "CORE_DATABASE_URL": f"sqlite:///{folder / 'core.db'}",
                    "CUSTOMER_TOKEN_SECRET": TOKEN_SECRET, "CORE_SERVICE_KEY": SERVICE_KEY,
                    "CORE_URL": self.urls["core"], "RASA_URL": self.urls["rasa"], "RASA_TOKEN": RASA_TOKEN,
                    "CORE_DEMO_MODE": "true", "CORE_DEMO_AGENT_PASSWORD": AGENT_PASSWORD, "SUPPORT_HOURS": "always",
                    "SANIC_WORKERS": "1"}
        self.env.pop("HANDOFF_EVENTS_URL", None)  # the core reads handed-over trackers from Rasa
        self.endpoints = folder / "endpoints.yml"
        self.endpoints.write_text(f'action_endpoint:\n  url: "{self.urls["actions"]}/webhook"\n')
        self.processes: Dict[str, subprocess.Popen] = {}

    def command(self, name: str) -> List[str]:
        return {
            "core": [CORE_PY, "-m", "uvicorn", "bot.core.main:app", "--host", "127.0.0.1",
                     "--port", str(self.ports["core"]), "--log-level", "warning", "--timeout-graceful-shutdown", "2"],
            "actions": [RASA, "run", "actions", "--actions", "actions", "--port", str(self.ports["actions"])],
            # as scripts/run.sh starts it: RASA_TOKEN (token and the JWT secret the core signs with) from the env
            "rasa": [RASA_PY, "-m", "bot.rasa_ext.rasa_cli", "run", "--model", str(MODEL), "--port",
                     str(self.ports["rasa"]), "--credentials", "credentials.yml", "--endpoints", str(self.endpoints),
                     "--enable-api"],
        }[name]

    def start(self, name: str) -> None:
        log = (self.folder / f"{name}.log").open("a")
        self.processes[name] = subprocess.Popen(self.command(name), cwd=ROOT, env=self.env, stdout=log,
                                                stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + START_SECONDS
        while not server_alive(self.urls[name] + self.health[name]):
            if self.processes[name].poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{name} did not start:\n{(self.folder / f'{name}.log').read_text()[-3000:]}")
            time.sleep(0.5)

    def stop(self, name: str) -> None:
        process = self.processes.pop(name, None)
        if process is None or process.poll() is not None:
            return
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)

    def core_py(self, *args: str) -> str:
        done = subprocess.run([CORE_PY, *args], cwd=ROOT, env=self.env, capture_output=True, text=True,
                              timeout=120, check=True)
        return done.stdout

    def customer(self, demo: str) -> Tuple[Chat, str]:
        """A chat as a fresh copy of demo customer `demo`, and its token."""
        token = self.core_py("-m", "bot.core.seed", "--clone", demo, f"{demo}-{uuid.uuid4().hex[:8]}")
        token = token.strip().split("\t")[1]
        return Chat(self.urls["rasa"], token=token), token

    def core_get(self, path: str, token: Optional[str] = None) -> dict:
        return core_get(self.urls["core"], path, token)

    def tracker(self, chat: Chat) -> dict:
        return rasa_tracker(self.urls["rasa"], chat.conversation_id)


@pytest.fixture(scope="module")
def stack(model_path: Path, tmp_path_factory) -> Iterator[Stack]:
    running = Stack(tmp_path_factory.mktemp("degraded"))
    try:
        running.core_py("-m", "bot.core.seed")
        for name in ("core", "actions", "rasa"):
            running.start(name)
        yield running
    finally:
        for name in ("rasa", "actions", "core"):
            running.stop(name)


@pytest.fixture
def actions_down(stack: Stack) -> Iterator[None]:
    """The action server stopped for the test (started again afterwards whatever happens)."""
    yield None
    if "actions" not in stack.processes:
        stack.start("actions")


@pytest.fixture
def core_down(stack: Stack) -> Iterator[None]:
    yield None
    if "core" not in stack.processes:
        stack.start("core")


def eventually(check, what: str, seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, f"not within {seconds} s: {what}"
        time.sleep(0.3)


def said(replies: List[Reply], *expected: str, language: str) -> None:
    assert [(r.response, r.language) for r in replies] == [(name, language) for name in expected], \
        [r.text for r in replies]


def payloads(reply: Reply) -> List[str]:
    return [b["payload"] for b in reply.buttons]


# the product-details flow of demo-details (the EOS R6 Mark II lacks all four details), in each language
FLOW = {
    "lt": ("Padėk papildyti mano gaminių duomenis", "XK1234567", "2024 kovas", "Vokietijoje", "Foto Centras"),
    "en": ("help me complete my product details", "XK1234567", "March 2024", "in Germany", "Camera Centre Berlin"),
}
POINTS = {"lt": "Kiek turiu taškų?", "en": "How many points do I have?"}
CANCEL = {"lt": "atšaukti", "en": "cancel"}


def start_flow(chat: Chat, language: str) -> None:
    start, serial, *_ = FLOW[language]
    said(chat.send(start), "utter_products_to_complete", "utter_ask_serial_number", language=language)
    said(chat.send(serial), "utter_ask_purchase_date", language=language)


def bot_texts(stack: Stack, chat: Chat) -> List[str]:
    return [e.get("text") for e in stack.tracker(chat)["events"] if e["event"] == "bot"]


def slots(stack: Stack, chat: Chat) -> dict:
    return stack.tracker(chat)["slots"]


# ---------------------------------------------------------------- the action server is down

@pytest.mark.parametrize("language", ["lt", "en"])
def test_action_server_down_mid_conversation(stack, actions_down, language):
    chat, _ = stack.customer("demo-details")
    points = chat.send(POINTS[language])
    assert points and points[0].language == language and points[0].response != "utter_service_trouble"
    stack.stop("actions")
    trouble = chat.send(POINTS[language])  # an account question
    said(trouble, "utter_service_trouble", language=language)
    assert payloads(trouble[0]) == ["/request_human"]
    said(chat.send(CANCEL[language]), "utter_nothing_to_stop", language=language)  # answered inside Rasa
    # the offer leads to a person: the handoff runs inside Rasa and reaches the core
    said(chat.send("/request_human"), "utter_handoff_queued", language=language)
    escalation = stack.core_get(f"/escalations/by-conversation/{path_segment(chat.conversation_id)}")
    assert (escalation["status"], escalation["language"]) == ("waiting", language)
    assert stack.tracker(chat)["paused"] is True
    # the agent's reply and the hand-back reach the customer too (those actions also run inside Rasa)
    agent = ConsoleAgent(stack.urls["core"], "demo-agent", AGENT_PASSWORD)
    agent.claim(escalation["id"])
    agent.reply(escalation["id"], "Hello, I am checking.")
    delivered = response_text("utter_agent_message", language).format(agent_name="Demo Agent",
                                                                       agent_text="Hello, I am checking.")
    eventually(lambda: delivered in bot_texts(stack, chat), "the agent's reply is in the conversation")
    agent.close(escalation["id"], "Answered.")
    eventually(lambda: response_text("utter_handoff_closed", language) in bot_texts(stack, chat), "hand-back")
    assert stack.tracker(chat)["paused"] is False


@pytest.mark.parametrize("language", ["lt", "en"])
def test_action_server_down_mid_flow_keeps_the_flow(stack, actions_down, language):
    chat, token = stack.customer("demo-details")
    start_flow(chat, language)
    stack.stop("actions")
    _, _, date, country, dealer = FLOW[language]
    trouble = chat.send(date)
    said(trouble, "utter_service_trouble_in_flow", language=language)
    assert payloads(trouble[0]) == ["/request_human"]
    kept = slots(stack, chat)
    assert (kept["serial_number"], kept["purchase_date"], kept["requested_slot"]) == \
        ("XK1234567", None, "purchase_date")
    assert stack.tracker(chat)["active_loop"]["name"] == "product_details_form"
    stack.start("actions")
    said(chat.send(date), "utter_ask_country_of_purchase", language=language)  # the same question, answered now
    said(chat.send(country), "utter_ask_dealer", language=language)
    said(chat.send(dealer), "utter_product_completed", "utter_cps_invitation_unlocked",
         "utter_product_details_finished", language=language)
    product = next(p for p in stack.core_get("/me/products", token)["products"] if p["model"] == "EOS-R6M2")
    assert (product["serial_number"], product["purchase_date"], product["country_of_purchase"]) == \
        ("XK1234567", "2024-03-01", "DE")


@pytest.mark.parametrize("language", ["lt", "en"])
def test_cancel_mid_flow_with_the_action_server_down(stack, actions_down, language):
    chat, _ = stack.customer("demo-details")
    start_flow(chat, language)
    stack.stop("actions")
    said(chat.send(CANCEL[language]), "utter_flow_stopped", language=language)
    assert stack.tracker(chat)["active_loop"] in ({}, None) or not stack.tracker(chat)["active_loop"].get("name")
    assert slots(stack, chat)["serial_number"] is None


# ---------------------------------------------------------------- the core is down

@pytest.mark.parametrize("language", ["lt", "en"])
def test_core_down_keeps_the_four_product_details_and_the_retry_saves_them(stack, core_down, language):
    chat, token = stack.customer("demo-details")
    start_flow(chat, language)
    _, serial, date, country, dealer = FLOW[language]
    said(chat.send(date), "utter_ask_country_of_purchase", language=language)
    said(chat.send(country), "utter_ask_dealer", language=language)
    stack.stop("core")
    kept = chat.send(dealer)
    said(kept, "utter_product_details_kept", language=language)
    assert payloads(kept[0]) == ["/complete_product_details"] and "EOS R6" in kept[0].text
    details = {name: slots(stack, chat)[name] for name in ("serial_number", "purchase_date", "country_of_purchase",
                                                           "dealer")}
    assert details == {"serial_number": serial, "purchase_date": "2024-03-01", "country_of_purchase": "DE",
                       "dealer": dealer}
    said(chat.send("/complete_product_details"), "utter_product_details_kept", language=language)  # still down
    stack.start("core")
    said(chat.send("/complete_product_details"), "utter_product_completed", "utter_cps_invitation_unlocked",
         "utter_product_details_finished", language=language)
    product = next(p for p in stack.core_get("/me/products", token)["products"] if p["model"] == "EOS-R6M2")
    assert (product["serial_number"], product["purchase_date"], product["country_of_purchase"], product["dealer"]) \
        == (serial, "2024-03-01", "DE", dealer)
