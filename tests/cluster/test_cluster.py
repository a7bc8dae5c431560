"""`make cluster` (scripts/cluster.sh) seen working: two nodes behind HAProxy sharing PostgreSQL, Redis and
RabbitMQ. Conversations over REST and socket.io through the balancer; a Rasa node killed (SIGKILL) in the middle of
a guided flow, the next message answered by the other node at the right step; a core node killed while an agent
replies, the replies still arrive; a killed node restarted by the supervisor rejoins the balance; everything
stopped and started again, the conversation goes on from PostgreSQL. The tests run in order on one cluster."""

from __future__ import annotations

import asyncio
import uuid
from typing import List

import psycopg2
import pytest
import requests

from bot.conversation_ids import path_segment
from tests.assistant.conftest import AGENT_PASSWORD
from tests.assistant.helpers import Chat, ConsoleAgent, Reply, response_text
from tests.cluster.conftest import Cluster, eventually, server_alive

RESTART_SECONDS = 240  # a Rasa node loads its model again
FLOW = ("help me complete my product details", "XK1234567", "March 2024", "in Germany", "Camera Centre Berlin")
SAVED = ("XK1234567", "2024-03-01", "DE", "Camera Centre Berlin")


def said(replies: List[Reply], *expected: str) -> None:
    assert [(r.response, r.language) for r in replies] == [(name, "en") for name in expected], \
        [r.text for r in replies]


def customer(cluster: Cluster, demo: str = "demo-details") -> tuple:
    token = cluster.clone_customer(demo, f"cluster-{uuid.uuid4().hex[:8]}")
    return Chat(cluster.rasa_url, token=token), token


def saved_details(cluster: Cluster, token: str) -> tuple:
    product = next(p for p in cluster.core_get("/me/products", token)["products"] if p["model"] == "EOS-R6M2")
    return product["serial_number"], product["purchase_date"], product["country_of_purchase"], product["dealer"]


def stored_events(cluster: Cluster, conversation_id: str) -> int:
    """The conversation's events in PostgreSQL (Rasa's SQL tracker store)."""
    with psycopg2.connect(host="127.0.0.1", port=5432, user="postgres",
                          dbname=cluster.env["TRACKER_DB_NAME"]) as connection, connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM events WHERE sender_id = %s", (conversation_id,))
        return cursor.fetchone()[0]


def rejoined(cluster: Cluster, url: str) -> None:
    """The supervisor started the node's server again and HAProxy has it back in the balance."""
    eventually(lambda: server_alive(url), f"{url} answers again", RESTART_SECONDS)
    eventually(cluster.in_balance, "every server is back in the balance", 30)
    assert "restarted" in cluster.log.read_text(errors="replace")


def test_the_banner_says_the_topology(cluster: Cluster):
    text = cluster.log.read_text(errors="replace")
    assert "running as a cluster of 2 nodes" in text
    for number, host in ((1, "127.0.0.2"), (2, "127.0.0.3")):
        assert (f"node {number} on {host}: rasa-{number} :{cluster.node_ports['rasa']}, actions-{number} "
                f":{cluster.node_ports['actions']}, core-{number} :{cluster.node_ports['core']}") in text
    assert cluster.env["TRACKER_DB_NAME"] in text and "(Rasa's SQL tracker store)" in text


def test_rest_conversations_through_the_balancer_reach_both_nodes_and_postgresql(cluster: Cluster):
    for number in (1, 2):
        assert server_alive(cluster.node_url("rasa", number) + "/")
        assert server_alive(cluster.node_url("core", number) + "/health")
    chats = [customer(cluster)[0] for _ in range(4)]
    for chat in chats:  # an action (the core's account data through both internal frontends) on every turn
        said(chat.send(FLOW[0]), "utter_products_to_complete", "utter_ask_serial_number")
        said(chat.send(FLOW[1]), "utter_ask_purchase_date")
        assert stored_events(cluster, chat.conversation_id) > 0


@pytest.fixture
def websocket_client_fits_aiohttp(monkeypatch):
    """python-engineio's websocket client and Rasa's pinned aiohttp (tests/assistant/test_socketio_clients.py)."""
    import aiohttp

    if not hasattr(aiohttp, "ClientWSTimeout"):
        monkeypatch.setattr(aiohttp, "ClientWSTimeout", lambda ws_close=10.0, **_: ws_close, raising=False)


async def socketio_turns(url: str, transports: list, messages: list) -> list:
    """Open a socket.io session through the balancer, send `messages`; the first answer to each."""
    import socketio

    client = socketio.AsyncClient(reconnection=False)
    confirmed, answers = asyncio.Queue(), asyncio.Queue()
    client.on("session_confirm", confirmed.put_nowait)
    client.on("bot_uttered", answers.put_nowait)
    texts = []
    try:
        await client.connect(url, transports=transports, wait_timeout=20)
        await client.emit("session_request", {"session_id": None})
        session = (await asyncio.wait_for(confirmed.get(), 20))["session_id"]
        for message in messages:
            await client.emit("user_uttered", {"message": message, "session_id": session,
                                               "customData": {"language": "en"}})
            texts.append((await asyncio.wait_for(answers.get(), 60)).get("text"))
            while not answers.empty():
                answers.get_nowait()
            await asyncio.sleep(1)  # several polls of a polling session, each sticking to its node
    finally:
        await client.eio.disconnect(abort=True)
    return texts


@pytest.mark.parametrize("transport", ["polling", "websocket"])
def test_socketio_through_the_balancer(cluster: Cluster, transport, websocket_client_fits_aiohttp):
    for _ in range(3):  # new sessions are balanced over both nodes; a polling session sticks to its own
        texts = asyncio.run(socketio_turns(cluster.rasa_url, [transport], ["Hello", "How much is CPS membership?"]))
        assert all(texts) and len(texts) == 2, texts


def test_a_rasa_node_killed_mid_flow_loses_nothing_and_rejoins(cluster: Cluster):
    chat, token = customer(cluster)
    said(chat.send(FLOW[0]), "utter_products_to_complete", "utter_ask_serial_number")
    said(chat.send(FLOW[1]), "utter_ask_purchase_date")
    cluster.crash("rasa", 1)
    said(chat.send(FLOW[2]), "utter_ask_country_of_purchase")  # the other node, at the right step
    said(chat.send(FLOW[3]), "utter_ask_dealer")
    said(chat.send(FLOW[4]), "utter_product_completed", "utter_cps_invitation_unlocked",
         "utter_product_details_finished")
    assert saved_details(cluster, token) == SAVED
    rejoined(cluster, cluster.node_url("rasa", 1) + "/")
    # and now the other one: the restarted node carries a flow alone
    chat, token = customer(cluster)
    said(chat.send(FLOW[0]), "utter_products_to_complete", "utter_ask_serial_number")
    cluster.crash("rasa", 2)
    said(chat.send(FLOW[1]), "utter_ask_purchase_date")
    rejoined(cluster, cluster.node_url("rasa", 2) + "/")


class BrowserLikeAgent(ConsoleAgent):
    """The console's agent, sending again once when a kept-alive connection is closed before any answer, as a
    browser does (Chromium resends a request whose reused connection closed without a byte of response). HAProxy
    closes the agent's idle connection when the core node behind it is killed; the request never reached a core
    node (HAProxy logs no failed request), so it is sent once."""

    def _json(self, method, path, body=None):
        try:
            return super()._json(method, path, body)
        except requests.ConnectionError as error:
            if "RemoteDisconnected" not in repr(error):
                raise
            self.http.close()  # a fresh connection
            return super()._json(method, path, body)


def bot_texts(cluster: Cluster, chat: Chat) -> List[str]:
    return [e["text"] for e in cluster.tracker(chat.conversation_id)["events"] if e["event"] == "bot" and e.get("text")]


def test_a_core_node_killed_while_an_agent_replies(cluster: Cluster):
    chat, _ = customer(cluster, "demo-2000")
    chat.send("Hello")
    said(chat.send("Can I talk to a real person please?"), "utter_handoff_queued")
    escalation = cluster.core_get(f"/escalations/by-conversation/{path_segment(chat.conversation_id)}")
    agent = BrowserLikeAgent(cluster.core_url, "demo-agent", AGENT_PASSWORD)  # through the balancer
    agent.claim(escalation["id"])
    replies = []
    for number in (1, 2):  # each core node killed right after a reply, another reply sent meanwhile
        first, second = f"Reply {number}a {uuid.uuid4().hex[:6]}", f"Reply {number}b {uuid.uuid4().hex[:6]}"
        agent.reply(escalation["id"], first)
        cluster.crash("core", number)
        agent.reply(escalation["id"], second)  # the other core node answers the console
        replies += [first, second]
        for text in replies:
            delivered = response_text("utter_agent_message", "en").format(agent_name="Demo Agent", agent_text=text)
            eventually(lambda delivered=delivered: delivered in bot_texts(cluster, chat),
                       f"the agent's reply {text!r} arrives", 60)
        rejoined(cluster, cluster.node_url("core", number) + "/health")
    assert chat.send("Thanks, waiting") == []  # still the agent's conversation


def test_conversations_survive_restarting_everything(cluster: Cluster):
    chat, token = customer(cluster)
    said(chat.send(FLOW[0]), "utter_products_to_complete", "utter_ask_serial_number")
    said(chat.send(FLOW[1]), "utter_ask_purchase_date")
    said(chat.send(FLOW[2]), "utter_ask_country_of_purchase")
    events = stored_events(cluster, chat.conversation_id)
    cluster.restart()  # TERM: every server stops; then scripts/cluster.sh again, on the same databases
    assert cluster.runs == 2
    said(chat.send(FLOW[3]), "utter_ask_dealer")
    assert stored_events(cluster, chat.conversation_id) > events
    said(chat.send(FLOW[4]), "utter_product_completed", "utter_cps_invitation_unlocked",
         "utter_product_details_finished")
    assert saved_details(cluster, token) == SAVED
