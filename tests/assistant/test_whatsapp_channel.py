"""The WhatsApp Business Cloud API channel (bot/rasa_ext/channels/whatsapp.py).

Webhooks in the platform's documented format go through Rasa's own app (`rasa.core.run.configure_app`) served
on a local port; the agent is a stub that records the UserMessage and answers through the channel's output.
The Graph API is a local aiohttp server: outgoing messages are real HTTP requests, recorded as sent.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import json
import logging
import socket
from typing import Any, AsyncIterator, Dict, List, Optional

import aiohttp
import pytest
import rasa.core.run
from aiohttp import web
from rasa.core.channels.channel import UserMessage
from rasa.shared.core.trackers import EventVerbosity
from rasa.shared.exceptions import RasaException

from bot.rasa_ext.channels import whatsapp_messages as build
from bot.rasa_ext.channels.whatsapp import UNSUPPORTED_NOTE, WhatsAppInput, WhatsAppOutput
from bot.rasa_ext.channels.whatsapp_webhook import (
    message_metadata,
    parse_webhook,
    signature_error,
    signature_for,
)
from tests.assistant.helpers import records_of

APP_SECRET = "test-app-secret"
VERIFY_TOKEN = "test-verify-token"
ACCESS_TOKEN = "test-access-token"
PHONE_NUMBER_ID = "106540352242922"
CUSTOMER = "37061234567"
WEBHOOK = "/webhooks/whatsapp/webhook"
CHANNEL_LOGGER = "bot.rasa_ext.channels"


# ---------- payloads in the platform's documented format
def webhook(*messages: Dict[str, Any], statuses: Optional[List[Dict[str, Any]]] = None) -> Dict[str, Any]:
    value: Dict[str, Any] = {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "37052000000", "phone_number_id": PHONE_NUMBER_ID},
    }
    if messages:
        value["contacts"] = [{"profile": {"name": "Rūta Petraitienė"}, "wa_id": CUSTOMER}]
        value["messages"] = list(messages)
    if statuses:
        value["statuses"] = statuses
    return {
        "object": "whatsapp_business_account",
        "entry": [{"id": "102290129340398", "changes": [{"value": value, "field": "messages"}]}],
    }


def text_message(body: str, message_id: str = "wamid.HBgLMzcwNjEyMzQ1NjcVAgASGBQzQTAwMDAwMQA=") -> Dict:
    return {
        "from": CUSTOMER, "id": message_id, "timestamp": "1733160000", "type": "text", "text": {"body": body}
    }


def button_reply(reply_id: str, title: str) -> Dict:
    return {
        "context": {"from": "37052000000", "id": "wamid.bot-message"},
        "from": CUSTOMER,
        "id": "wamid.button-reply",
        "timestamp": "1733160001",
        "type": "interactive",
        "interactive": {"type": "button_reply", "button_reply": {"id": reply_id, "title": title}},
    }


def list_reply(reply_id: str, title: str) -> Dict:
    return {
        "context": {"from": "37052000000", "id": "wamid.bot-list"},
        "from": CUSTOMER,
        "id": "wamid.list-reply",
        "timestamp": "1733160002",
        "type": "interactive",
        "interactive": {
            "type": "list_reply",
            "list_reply": {"id": reply_id, "title": title, "description": ""},
        },
    }


def legacy_button(payload: str, text: str) -> Dict:
    return {
        "context": {"from": "37052000000", "id": "wamid.template"},
        "from": CUSTOMER,
        "id": "wamid.legacy-button",
        "timestamp": "1733160003",
        "type": "button",
        "button": {"payload": payload, "text": text},
    }


def image_message() -> Dict:
    return {
        "from": CUSTOMER,
        "id": "wamid.image",
        "timestamp": "1733160004",
        "type": "image",
        "image": {"caption": "serijos numeris", "mime_type": "image/jpeg", "sha256": "ab", "id": "14795371"},
    }


def delivered_status() -> Dict:
    return {
        "id": "wamid.bot-message",
        "status": "delivered",
        "timestamp": "1733160005",
        "recipient_id": CUSTOMER,
        "conversation": {"id": "c0nv3rs4t10n", "origin": {"type": "service"}},
        "pricing": {"billable": True, "pricing_model": "CBP", "category": "service"},
    }


def signed(body: bytes, secret: str = APP_SECRET) -> Dict[str, str]:
    return {"Content-Type": "application/json", "X-Hub-Signature-256": signature_for(secret, body)}


# ---------- test doubles: Graph API and Rasa's agent
class FakeGraph:
    """The Graph API on localhost: records every POST /<version>/<phone number id>/messages."""

    def __init__(self, status: int = 200) -> None:
        self.status = status
        self.requests: List[Dict[str, Any]] = []
        self.url = ""

    async def _messages(self, request: web.Request) -> web.Response:
        self.requests.append(
            {"path": request.path, "auth": request.headers.get("Authorization"), "json": await request.json()}
        )
        if self.status != 200:
            error = {"message": "(#131009) Parameter value is not valid", "type": "OAuthException"}
            return web.json_response({"error": error}, status=self.status)
        return web.json_response({"messaging_product": "whatsapp", "messages": [{"id": "wamid.sent"}]})

    @property
    def sent(self) -> List[Dict[str, Any]]:
        return [r["json"] for r in self.requests]

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator["FakeGraph"]:
        app = web.Application()
        app.router.add_post("/{version}/{phone_number_id}/messages", self._messages)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        sock = bound_socket()
        await web.SockSite(runner, sock).start()
        self.url = f"http://127.0.0.1:{sock.getsockname()[1]}"
        try:
            yield self
        finally:
            await runner.cleanup()


class RecordingAgent:
    """Stands in for Rasa's agent: records each UserMessage and answers `reply` through its output channel."""

    def __init__(self, reply: Optional[Dict[str, Any]] = None) -> None:
        self.messages: List[UserMessage] = []
        self.reply = reply

    async def handle_message(self, message: UserMessage) -> None:
        self.messages.append(message)
        if self.reply:
            await message.output_channel.send_response(message.sender_id, copy.deepcopy(self.reply))


def bound_socket() -> socket.socket:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    return sock


def channel_for(graph: FakeGraph) -> WhatsAppInput:
    return WhatsAppInput(VERIFY_TOKEN, APP_SECRET, ACCESS_TOKEN, PHONE_NUMBER_ID, graph_url=graph.url)


@contextlib.asynccontextmanager
async def rasa_app(channel: WhatsAppInput, agent: Any) -> AsyncIterator[aiohttp.ClientSession]:
    """Rasa's HTTP app with the channel, served on a free local port; yields a client session for it."""
    app = rasa.core.run.configure_app([channel], enable_api=False)
    app.ctx.agent = agent
    sock = bound_socket()
    # Sanic 21.12: create_server already starts listening; then the app's start-up events.
    server = await app.create_server(sock=sock, return_asyncio_server=True, access_log=False)
    await server.startup()
    await server.before_start()
    await server.after_start()
    base = f"http://127.0.0.1:{sock.getsockname()[1]}"
    try:
        async with aiohttp.ClientSession(base) as client:
            yield client
    finally:
        await server.before_stop()
        server.close()
        await server.wait_closed()
        await server.after_stop()


async def post(client: aiohttp.ClientSession, body: bytes, headers: Dict[str, str]) -> tuple:
    async with client.post(WEBHOOK, data=body, headers=headers) as answer:
        return answer.status, await answer.text()


async def deliver(payload: Dict[str, Any], reply: Optional[Dict[str, Any]] = None, agent: Any = None):
    """POST a signed webhook through Rasa's app, wait for its background handling; (status, agent, graph)."""
    body = json.dumps(payload).encode("utf-8")
    async with FakeGraph().running() as graph:
        channel, agent = channel_for(graph), agent or RecordingAgent(reply)
        async with rasa_app(channel, agent) as client:
            status, _ = await post(client, body, signed(body))
            await asyncio.gather(*channel.pending)
        return status, agent, graph


# ---------- verification handshake
def test_handshake_echoes_the_challenge_for_the_right_token():
    async def scenario():
        async with FakeGraph().running() as graph, rasa_app(channel_for(graph), RecordingAgent()) as client:
            query = {"hub.mode": "subscribe", "hub.verify_token": VERIFY_TOKEN, "hub.challenge": "1158201444"}
            async with client.get(WEBHOOK, params=query) as answer:
                return answer.status, answer.content_type, await answer.text()

    assert asyncio.run(scenario()) == (200, "text/plain", "1158201444")


@pytest.mark.parametrize(
    "query",
    [
        {"hub.mode": "subscribe", "hub.verify_token": "guessed-token", "hub.challenge": "1158201444"},
        {"hub.mode": "subscribe", "hub.challenge": "1158201444"},
        {"hub.mode": "unsubscribe", "hub.verify_token": VERIFY_TOKEN, "hub.challenge": "1158201444"},
    ],
    ids=["wrong token", "no token", "wrong mode"],
)
def test_handshake_is_refused_otherwise(query):
    async def scenario():
        async with FakeGraph().running() as graph, rasa_app(channel_for(graph), RecordingAgent()) as client:
            async with client.get(WEBHOOK, params=query) as answer:
                return answer.status, await answer.text()

    status, text = asyncio.run(scenario())
    assert status == 403
    assert "1158201444" not in text


# ---------- signatures


@pytest.mark.parametrize(
    "make_headers",
    [
        lambda body: {"Content-Type": "application/json"},
        lambda body: signed(body, secret="someone-elses-secret"),
        lambda body: signed(body + b" "),
        lambda body: {"X-Hub-Signature-256": "sha1=" + signature_for(APP_SECRET, body)[7:47]},
        lambda body: {"X-Hub-Signature-256": ""},
    ],
    ids=["missing", "wrong secret", "other body", "malformed", "empty"],
)
def test_unsigned_or_badly_signed_posts_are_refused_logged_and_never_handled(make_headers):
    body = json.dumps(webhook(text_message("Kaip užsiregistruoti verslo paskyrai?"))).encode("utf-8")

    async def scenario():
        async with FakeGraph().running() as graph:
            channel, agent = channel_for(graph), RecordingAgent({"text": "atsakymas"})
            async with rasa_app(channel, agent) as client:
                status, _ = await post(client, body, make_headers(body))
                pending = list(channel.pending)
            return status, pending, agent, graph

    with records_of(f"{CHANNEL_LOGGER}.whatsapp", logging.WARNING) as records:
        status, pending, agent, graph = asyncio.run(scenario())
    assert status == 403
    assert pending == [] and agent.messages == [] and graph.requests == []
    refusals = [r for r in records if "X-Hub-Signature-256" in r.getMessage()]
    assert refusals and all(r.levelno == logging.WARNING for r in refusals)


def test_signature_helper():
    body = b'{"object":"whatsapp_business_account"}'
    good = signature_for(APP_SECRET, body)
    assert good.startswith("sha256=") and len(good) == 7 + 64
    assert signature_error(APP_SECRET, body, good) is None
    assert signature_error(APP_SECRET, body, good.upper().replace("SHA256", "sha256")) is None
    assert signature_error(APP_SECRET, body, None) == "missing"
    assert signature_error(APP_SECRET, body, "sha256=xyz") == "malformed"
    assert signature_error(APP_SECRET, body, "sha256=ł" + good[8:]) == "malformed"
    assert signature_error(APP_SECRET, body + b"\n", good) == "mismatch"
    assert signature_error("other", body, good) == "mismatch"


# ---------- incoming messages
def test_signed_text_message_reaches_rasa_with_the_whatsapp_metadata():
    status, agent, _ = asyncio.run(deliver(webhook(text_message("Kaip užsiregistruoti verslo paskyrai?"))))
    assert status == 200
    [message] = agent.messages
    assert message.text == "Kaip užsiregistruoti verslo paskyrai?"
    assert message.sender_id == CUSTOMER
    assert message.input_channel == "whatsapp"
    assert message.message_id.startswith("wamid.")
    assert isinstance(message.output_channel, WhatsAppOutput)
    assert message.metadata == {
        "channel": "whatsapp",
        "whatsapp": {
            "wa_id": CUSTOMER,
            "phone_number_id": PHONE_NUMBER_ID,
            "display_phone_number": "37052000000",
            "profile_name": "Rūta Petraitienė",
            "message_id": message.message_id,
            "message_type": "text",
            "timestamp": "1733160000",
        },
    }
    assert "customer_token" not in message.metadata  # a WhatsApp customer is never signed in


@pytest.mark.parametrize(
    "incoming, text",
    [
        (button_reply("/documents_vat_registered", "Taip, PVM mokėtoja"), "/documents_vat_registered"),
        (list_reply("/cps_tiers", "CPS lygiai"), "/cps_tiers"),
        (legacy_button("/how_to_register", "Kaip užsiregistruoti"), "/how_to_register"),
    ],
    ids=["button_reply", "list_reply", "legacy button"],
)
def test_replies_send_the_button_payload_as_text(incoming, text):
    status, agent, _ = asyncio.run(deliver(webhook(incoming)))
    assert status == 200
    assert [(m.text, m.sender_id, m.metadata["whatsapp"]["message_type"]) for m in agent.messages] == [
        (text, CUSTOMER, incoming["type"])
    ]


def test_platform_is_acknowledged_before_rasa_has_answered():
    """The 200 does not wait for Rasa: here the agent is still busy when the webhook call returns."""
    body = json.dumps(webhook(text_message("Labas"))).encode()

    class BusyAgent(RecordingAgent):
        def __init__(self) -> None:
            super().__init__()
            self.release = asyncio.Event()

        async def handle_message(self, message: UserMessage) -> None:
            await self.release.wait()
            await super().handle_message(message)

    async def scenario():
        async with FakeGraph().running() as graph:
            channel, agent = channel_for(graph), BusyAgent()
            async with rasa_app(channel, agent) as client:
                status, _ = await post(client, body, signed(body))
                handled_before_release = list(agent.messages)
                agent.release.set()
                await asyncio.gather(*channel.pending)
            return status, handled_before_release, agent.messages

    status, before, after = asyncio.run(scenario())
    assert status == 200
    assert before == [] and [m.text for m in after] == ["Labas"]


def test_status_callbacks_are_acknowledged_and_ignored():
    status, agent, graph = asyncio.run(deliver(webhook(statuses=[delivered_status()]), reply={"text": "x"}))
    assert status == 200
    assert agent.messages == [] and graph.requests == []


def test_unsupported_message_gets_the_bilingual_note_and_does_not_reach_rasa():
    status, agent, graph = asyncio.run(deliver(webhook(image_message())))
    assert status == 200
    assert agent.messages == []
    assert graph.sent == [build.text_message(CUSTOMER, UNSUPPORTED_NOTE)]
    assert "tekstinius" in UNSUPPORTED_NOTE and "text messages" in UNSUPPORTED_NOTE


def test_several_messages_in_one_call_are_handled_in_order_each_with_its_metadata():
    payload = webhook(
        text_message("Sveiki", "wamid.first"), text_message("Kiek kainuoja narystė?", "wamid.second")
    )
    _, agent, _ = asyncio.run(deliver(payload))
    assert [(m.text, m.message_id, m.metadata["whatsapp"]["message_id"]) for m in agent.messages] == [
        ("Sveiki", "wamid.first", "wamid.first"),
        ("Kiek kainuoja narystė?", "wamid.second", "wamid.second"),
    ]


def test_redelivered_message_and_other_phone_numbers_are_not_handled():
    other_number = webhook(text_message("Labas", "wamid.other"))
    other_number["entry"][0]["changes"][0]["value"]["metadata"]["phone_number_id"] = "999999999"
    body_once = json.dumps(webhook(text_message("Labas", "wamid.once"))).encode()
    body_other = json.dumps(other_number).encode()

    async def scenario():
        async with FakeGraph().running() as graph:
            channel, agent = channel_for(graph), RecordingAgent()
            async with rasa_app(channel, agent) as client:
                statuses = [
                    (await post(client, body, signed(body)))[0] for body in (body_once, body_once, body_other)
                ]
                await asyncio.gather(*channel.pending)
            return statuses, agent

    statuses, agent = asyncio.run(scenario())
    assert statuses == [200, 200, 200]
    assert [m.message_id for m in agent.messages] == ["wamid.once"]


@pytest.mark.parametrize("body", [b"{not json", b"", "{\"object\": \"whatsapp_business_account\"".encode()])
def test_malformed_json_is_400_and_not_handled(body):
    async def scenario():
        async with FakeGraph().running() as graph:
            channel, agent = channel_for(graph), RecordingAgent()
            async with rasa_app(channel, agent) as client:
                status, _ = await post(client, body, signed(body))
            return status, channel.pending, agent

    status, pending, agent = asyncio.run(scenario())
    assert status == 400
    assert not pending and agent.messages == []


def test_parser_ignores_statuses_reactions_and_other_objects():
    reaction = {
        "from": CUSTOMER, "id": "wamid.r", "type": "reaction", "reaction": {"message_id": "x", "emoji": "👍"}
    }
    assert parse_webhook(webhook(reaction)) == []
    assert parse_webhook(webhook(statuses=[delivered_status()])) == []
    assert parse_webhook({"object": "page", "entry": []}) == []
    assert parse_webhook(["not", "a", "dict"]) == []
    assert parse_webhook({"object": "whatsapp_business_account", "entry": [{"changes": "oops"}]}) == []
    [image] = parse_webhook(webhook(image_message()))
    assert image.text is None and image.message_type == "image"
    assert message_metadata(image)["whatsapp"]["profile_name"] == "Rūta Petraitienė"


# ---------- outgoing messages (through Rasa's app)
def test_text_answer_is_a_text_message_to_the_customer():
    reply = {"text": "Sveiki! Kuo galiu padėti?"}
    _, _, graph = asyncio.run(deliver(webhook(text_message("Labas")), reply=reply))
    [request] = graph.requests
    assert request["path"] == f"/v21.0/{PHONE_NUMBER_ID}/messages"
    assert request["auth"] == f"Bearer {ACCESS_TOKEN}"
    assert request["json"] == {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": CUSTOMER,
        "type": "text",
        "text": {"body": "Sveiki! Kuo galiu padėti?", "preview_url": False},
    }


VAT_BUTTONS = [
    {"title": "Yes, VAT-registered", "payload": "/documents_vat_registered"},
    {"title": "No, not VAT-registered", "payload": "/documents_not_vat_registered"},
]
TOPICS = [
    {"title": "Kaip užsiregistruoti", "payload": "/how_to_register"},
    {"title": "Reikalingi dokumentai", "payload": "/ask_documents"},
    {"title": "Gaminių registracija", "payload": "/register_products"},
    {"title": "CPS prioriteto palaikymas", "payload": "/cps_priority_support"},
    {"title": "Mokėjimas", "payload": "/payment_methods"},
]


def test_up_to_three_buttons_become_reply_buttons():
    reply = {"text": "Is it VAT-registered?", "buttons": VAT_BUTTONS}
    _, _, graph = asyncio.run(deliver(webhook(text_message("documents")), reply=reply))
    [message] = graph.sent
    assert message["type"] == "interactive" and message["to"] == CUSTOMER
    interactive = message["interactive"]
    assert interactive["type"] == "button"
    assert interactive["body"] == {"text": "Is it VAT-registered?"}
    assert interactive["action"]["buttons"] == [
        {"type": "reply", "reply": {"id": "/documents_vat_registered", "title": "Yes, VAT-registered"}},
        {"type": "reply", "reply": {"id": "/documents_not_vat_registered", "title": "No, not VAT-registe…"}},
    ]


def test_more_than_three_buttons_become_a_list():
    reply = {"text": "Pasirinkite temą.", "buttons": TOPICS}
    _, _, graph = asyncio.run(deliver(webhook(text_message("Labas")), reply=reply))
    [message] = graph.sent
    interactive = message["interactive"]
    assert interactive["type"] == "list"
    assert interactive["body"] == {"text": "Pasirinkite temą."}
    assert len(interactive["action"]["button"]) <= 20
    [section] = interactive["action"]["sections"]
    assert [row["id"] for row in section["rows"]] == [b["payload"] for b in TOPICS]
    assert all(len(row["title"]) <= 24 for row in section["rows"])
    assert section["rows"][3] == {
        "id": "/cps_priority_support",
        "title": "CPS prioriteto palaikym…",
        "description": "CPS prioriteto palaikymas",
    }
    assert "description" not in section["rows"][0]


def test_long_text_is_split_into_whatsapp_sized_messages():
    paragraph = "Gaminių registracija trunka kelias minutes, o taškai įskaitomi po patvirtinimo. " * 10
    text = "\n\n".join([paragraph.strip()] * 8)  # ~6500 characters
    _, _, graph = asyncio.run(deliver(webhook(text_message("info")), reply={"text": text}))
    bodies = [m["text"]["body"] for m in graph.sent]
    assert len(bodies) == 2
    assert all(len(b) <= build.TEXT_LIMIT for b in bodies)
    assert "\n\n".join(bodies) == text  # cut at a paragraph: nothing lost or changed


def test_long_text_with_buttons_sends_the_start_as_text_and_at_most_1024_characters_as_body():
    text = ("Apie CPS narystę. " * 100).strip() + "\n\nAr jūsų įmonė registruota PVM mokėtoja?"
    reply = {"text": text, "buttons": VAT_BUTTONS}
    _, _, graph = asyncio.run(deliver(webhook(text_message("documents")), reply=reply))
    first, second = graph.sent
    assert first["type"] == "text" and second["type"] == "interactive"
    body = second["interactive"]["body"]["text"]
    assert len(body) <= build.INTERACTIVE_BODY_LIMIT
    assert body.endswith("Ar jūsų įmonė registruota PVM mokėtoja?")
    assert " ".join((first["text"]["body"] + " " + body).split()) == " ".join(text.split())


# ---------- outgoing messages (the output channel alone)
def send_with(graph_status: int, reply: Dict[str, Any]):
    async def scenario():
        async with FakeGraph(graph_status).running() as graph:
            output = WhatsAppOutput(ACCESS_TOKEN, PHONE_NUMBER_ID, "v20.0", graph.url)
            await output.send_response(CUSTOMER, copy.deepcopy(reply))
            return graph

    return asyncio.run(scenario())


def test_eleven_buttons_become_two_lists_of_at_most_ten_rows():
    buttons = [{"title": f"Tema {i}", "payload": f"/topic_{i}"} for i in range(11)]
    graph = send_with(200, {"text": "Temos", "buttons": buttons})
    assert graph.requests[0]["path"] == f"/v20.0/{PHONE_NUMBER_ID}/messages"
    rows = [[row["id"] for row in m["interactive"]["action"]["sections"][0]["rows"]] for m in graph.sent]
    assert rows == [[f"/topic_{i}" for i in range(10)], ["/topic_10"]]
    assert graph.sent[0]["interactive"]["body"]["text"] == "Temos"
    assert graph.sent[1]["interactive"]["body"]["text"]


def test_button_payload_too_long_for_an_id_falls_back_to_the_title():
    buttons = [
        {"title": "Taip", "payload": "/inform" + json.dumps({"x": "y" * 300})},
        {"title": "Ne", "payload": "/deny"},
    ]
    graph = send_with(200, {"text": "?", "buttons": buttons})
    ids = [b["reply"]["id"] for b in graph.sent[0]["interactive"]["action"]["buttons"]]
    assert ids == ["Taip", "/deny"]


def test_image_is_sent_as_a_link_with_preview():
    graph = send_with(200, {"text": "Pavyzdys:", "image": "https://www.canon.lt/media/label.png"})
    assert [m["text"] for m in graph.sent] == [
        {"body": "Pavyzdys:", "preview_url": False},
        {"body": "https://www.canon.lt/media/label.png", "preview_url": True},
    ]


def test_graph_api_errors_are_logged_not_raised(caplog):
    with caplog.at_level(logging.ERROR, logger=CHANNEL_LOGGER):
        graph = send_with(400, {"text": "Sveiki"})
    assert len(graph.requests) == 1
    assert any("HTTP 400" in r.getMessage() and "#131009" in r.getMessage() for r in caplog.records)
    assert ACCESS_TOKEN not in caplog.text


def test_unreachable_graph_api_is_logged_not_raised(caplog):
    sock = bound_socket()  # bound, never listening: connections are refused
    url = f"http://127.0.0.1:{sock.getsockname()[1]}"

    async def scenario():
        return await WhatsAppOutput(ACCESS_TOKEN, PHONE_NUMBER_ID, graph_url=url).send(
            build.text_message(CUSTOMER, "Sveiki")
        )

    with caplog.at_level(logging.ERROR, logger=CHANNEL_LOGGER):
        assert asyncio.run(scenario()) is False
    sock.close()
    assert any("sending a text message failed" in r.getMessage() for r in caplog.records)


# ---------- pure helpers and credentials
def test_split_text_prefers_boundaries_and_respects_the_limit():
    assert build.split_text("a b c d", limit=3) == ["a b", "c d"]
    assert build.split_text("x" * 10, limit=4) == ["xxxx", "xxxx", "xx"]
    assert build.split_text("first line\nsecond line", limit=15) == ["first line", "second line"]
    assert build.split_text("  ") == []


def test_truncate():
    assert build.truncate("Mokėjimas", 20) == "Mokėjimas"
    assert build.truncate("Reikalingi dokumentai", 20) == "Reikalingi dokument…"
    assert build.truncate("x" * 30, 20) == "x" * 19 + "…"


def test_from_credentials_needs_every_required_key():
    credentials = {"verify_token": "v", "app_secret": "s", "access_token": "a", "phone_number_id": 123}
    channel = WhatsAppInput.from_credentials(credentials)
    assert (channel.name(), channel.phone_number_id, channel.api_version) == ("whatsapp", "123", "v21.0")
    assert WhatsAppInput.from_credentials({**credentials, "api_version": "v22.0"}).api_version == "v22.0"
    with pytest.raises(RasaException, match="app_secret"):
        WhatsAppInput.from_credentials({**credentials, "app_secret": ""})
    with pytest.raises(RasaException):
        WhatsAppInput.from_credentials(None)


# ---------- with the trained model
def test_whatsapp_metadata_reaches_the_actions_through_the_tracker(agent):
    """The real agent: the answer (a question with buttons) goes out through the Graph API as reply buttons, and
    the user event carries the WhatsApp metadata in the tracker state Rasa sends to the action server, where
    actions/conversation.py reads metadata. No action server runs here, so the conversation's session is started in
    the tracker beforehand (what `action_session_start` would do) and the question is one the rules answer with a
    response."""
    from rasa.shared.core.events import ActionExecuted, SessionStarted
    from rasa_sdk import Tracker

    from actions.conversation import customer_token

    sender = "37069999999"
    incoming = text_message("Kokių dokumentų reikia paraiškai?", "wamid.e2e")
    incoming["from"] = sender

    async def scenario():
        started = await agent.tracker_store.get_or_create_tracker(sender, append_action_listen=False)
        for event in (ActionExecuted("action_session_start"), SessionStarted(), ActionExecuted("action_listen")):
            started.update(event)
        await agent.tracker_store.save(started)
        status, _, graph = await deliver(webhook(incoming), agent=agent)
        return status, graph, await agent.tracker_store.retrieve(sender)

    status, graph, tracker = asyncio.run(scenario())
    assert status == 200
    assert [(m["to"], m["type"]) for m in graph.sent] == [(sender, "interactive")]  # utter_ask_vat_status
    # What the action server receives (RemoteAction sends current_state(EventVerbosity.ALL)).
    sdk_tracker = Tracker.from_dict(tracker.current_state(EventVerbosity.ALL))
    [user_event] = [e for e in sdk_tracker.events if e.get("event") == "user"]
    assert user_event["input_channel"] == "whatsapp" and user_event["message_id"] == "wamid.e2e"
    assert user_event["metadata"]["whatsapp"]["phone_number_id"] == PHONE_NUMBER_ID
    assert user_event["metadata"]["whatsapp"]["wa_id"] == sender
    assert customer_token(sdk_tracker) is None  # WhatsApp customers are anonymous: no account answers
