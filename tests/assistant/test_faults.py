"""Fault injection with the real processes of `make run` (issue 14): the launcher's servers killed (SIGKILL to
the process group, as a crash looks) or cut off Redis, mid-conversation and mid-flow. What the customer sees
while the fault lasts, that the supervisor brings the server back, and that nothing typed is lost afterwards.

tests/assistant/test_degraded_servers.py covers the same faults in both languages with servers it stops and
starts itself; here they are crashes under the real launcher (bot/launcher/supervisor.py), which restarts them.
Redis is reached through a TCP proxy, so that it can be cut off without touching the machine's Redis.
"""

from __future__ import annotations

import os
import signal
import time
import uuid
from pathlib import Path
from typing import Callable, Iterator, List

import pytest

from tests.assistant.conftest import Servers, server_alive, start_servers
from tests.assistant.helpers import Chat, Reply, require_redis
from tests.servers import listening_addresses, listening_pids
from tests.tcp_proxy import TcpProxy

pytestmark = pytest.mark.servers

RESTART_SECONDS = 240  # Rasa loads its model again after a crash
FLOW = ("help me complete my product details", "XK1234567", "March 2024", "in Germany", "Camera Centre Berlin")


@pytest.fixture(scope="module")
def redis_proxy() -> Iterator[TcpProxy]:
    require_redis()
    proxy = TcpProxy("127.0.0.1", int(os.environ.get("REDIS_PORT", "6379")))
    yield proxy
    proxy.close()


@pytest.fixture(scope="module")
def stack(model_path: Path, tmp_path_factory, redis_proxy: TcpProxy) -> Iterator[Servers]:
    running = start_servers(tmp_path_factory.mktemp("faults"), REDIS_PORT=str(redis_proxy.port), REDIS_DB="7")
    yield running
    running.stop()


def port_of(url: str) -> int:
    return int(url.rsplit(":", 1)[1])


def crash(url: str) -> None:
    """SIGKILL every process group listening on the server's port (its workers too), as a crash would (Rasa: one of
    its processes; `stack.rasa_url` is HAProxy's)."""
    pids = listening_pids(port_of(url))
    assert pids, f"nothing listens at {url}"
    for group in {os.getpgid(pid) for pid in pids}:
        os.killpg(group, signal.SIGKILL)
    # the socket itself, not its owner: a dying process (freeing its memory) still accepts connections for a while
    eventually(lambda: not listening_addresses(port_of(url)), f"{url} is down", 10)


def eventually(check: Callable[[], bool], what: str, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, f"not within {seconds} s: {what}"
        time.sleep(0.3)


def restarted(stack: Servers, health_url: str) -> None:
    """The supervisor started the server again, and said so in the launcher's log."""
    eventually(lambda: server_alive(health_url), f"{health_url} answers again", RESTART_SECONDS)
    assert "restart" in stack.log.read_text(errors="replace").lower()


def said(replies: List[Reply], *expected: str) -> None:
    assert [(r.response, r.language) for r in replies] == [(name, "en") for name in expected], \
        [r.text for r in replies]


def customer(stack: Servers) -> tuple[Chat, str]:
    """A fresh copy of demo-details (one product lacks all four details) chatting over REST, and its token."""
    token = stack.clone_customer("demo-details", f"fault-{uuid.uuid4().hex[:8]}")
    return Chat(stack.rasa_url, token=token), token


def start_flow(chat: Chat) -> None:
    said(chat.send(FLOW[0]), "utter_products_to_complete", "utter_ask_serial_number")
    said(chat.send(FLOW[1]), "utter_ask_purchase_date")


def saved_details(stack: Servers, token: str) -> tuple:
    product = next(p for p in stack.core_get("/me/products", token)["products"] if p["model"] == "EOS-R6M2")
    return product["serial_number"], product["purchase_date"], product["country_of_purchase"], product["dealer"]


SAVED = ("XK1234567", "2024-03-01", "DE", "Camera Centre Berlin")


def test_action_server_crash_mid_flow(stack: Servers):
    chat, token = customer(stack)
    start_flow(chat)
    crash(stack.actions_url)
    said(chat.send(FLOW[2]), "utter_service_trouble_in_flow")  # answered, the answers so far kept
    restarted(stack, f"{stack.actions_url}/health")
    said(chat.send(FLOW[2]), "utter_ask_country_of_purchase")  # the same question goes on
    said(chat.send(FLOW[3]), "utter_ask_dealer")
    said(chat.send(FLOW[4]), "utter_product_completed", "utter_cps_invitation_unlocked",
         "utter_product_details_finished")
    assert saved_details(stack, token) == SAVED


def test_core_crash_mid_flow(stack: Servers):
    chat, token = customer(stack)
    start_flow(chat)
    said(chat.send(FLOW[2]), "utter_ask_country_of_purchase")
    said(chat.send(FLOW[3]), "utter_ask_dealer")
    crash(stack.core_url)
    said(chat.send(FLOW[4]), "utter_product_details_kept")  # the four details are kept
    restarted(stack, f"{stack.core_url}/health")
    said(chat.send("/complete_product_details"), "utter_product_completed", "utter_cps_invitation_unlocked",
         "utter_product_details_finished")
    assert saved_details(stack, token) == SAVED


def test_one_rasa_process_crash_mid_flow(stack: Servers):
    """Several Rasa processes behind HAProxy: one crashes, the next message is answered at once by another, at the
    flow's right step (the conversation and its lock are in Redis)."""
    chat, token = customer(stack)
    start_flow(chat)
    first, *others = stack.rasa_nodes
    assert others, "the servers run a single Rasa process"
    crash(first)
    said(chat.send(FLOW[2]), "utter_ask_country_of_purchase")
    said(chat.send(FLOW[3]), "utter_ask_dealer")
    said(chat.send(FLOW[4]), "utter_product_completed", "utter_cps_invitation_unlocked",
         "utter_product_details_finished")
    assert saved_details(stack, token) == SAVED
    restarted(stack, f"{first}/")  # the supervisor started it again


def test_rasa_crash_mid_flow(stack: Servers):
    chat, token = customer(stack)
    start_flow(chat)
    for node in stack.rasa_nodes:  # every Rasa process (each up first): Rasa is down
        eventually(lambda: server_alive(f"{node}/"), f"{node} answers", RESTART_SECONDS)  # noqa: B023
        crash(node)
    restarted(stack, f"{stack.rasa_url}/")  # through HAProxy: once a Rasa process answers again
    # the conversation lives in Redis: the flow goes on where it was
    said(chat.send(FLOW[2]), "utter_ask_country_of_purchase")
    said(chat.send(FLOW[3]), "utter_ask_dealer")
    said(chat.send(FLOW[4]), "utter_product_completed", "utter_cps_invitation_unlocked",
         "utter_product_details_finished")
    assert saved_details(stack, token) == SAVED


def test_redis_cut_mid_conversation_and_mid_flow(stack: Servers, redis_proxy: TcpProxy):
    chat, token = customer(stack)
    start_flow(chat)
    redis_proxy.cut()
    try:
        said(chat.send(FLOW[2]), "utter_service_trouble")  # mid-flow: an answer, not silence
        said(Chat(stack.rasa_url).send("How do I register a business account?"), "utter_service_trouble")
        lithuanian = Chat(stack.rasa_url).send("Kaip užsiregistruoti verslo paskyrai?")
        assert [(r.response, r.language) for r in lithuanian] == [("utter_service_trouble", "lt")]
    finally:
        redis_proxy.restore()
    # nothing of the flow was lost: the answer sent again goes on to the next question
    eventually(lambda: chat.send(FLOW[2])[0].response == "utter_ask_country_of_purchase",
               "Rasa reaches Redis again and the flow goes on", 30)
    said(chat.send(FLOW[3]), "utter_ask_dealer")
    said(chat.send(FLOW[4]), "utter_product_completed", "utter_cps_invitation_unlocked",
         "utter_product_details_finished")
    assert saved_details(stack, token) == SAVED
