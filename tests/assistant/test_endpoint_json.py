"""Rasa's endpoint calls with the faster JSON encoder (bot/rasa_ext/endpoint_json.py) send the same JSON."""

from __future__ import annotations

import asyncio
import json

from aiohttp import web
from rasa.utils.endpoints import EndpointConfig

from bot.rasa_ext import endpoint_json
from bot.rasa_ext.fast_json import dumps
from tests.servers import free_port

BODY = {"next_action": "action_x", "tracker": {"sender_id": "a/b", "events": [
    {"event": "user", "text": "Laba diena, kaip užsiregistruoti? ąčęėįšųūž / \\ \" \n", "timestamp": 1733312345.123456,
     "parse_data": {"intent": {"name": "greet", "confidence": 0.9871234567891234}, "entities": []}},
    {"event": "slot", "name": "n", "value": None}, {"event": "bot", "text": "😀", "data": {"buttons": [1, 2.5, True]}},
]}}


async def call(endpoint_of) -> tuple:
    received = []

    async def handler(request: web.Request) -> web.Response:
        received.append(await request.text())
        return web.json_response({"events": []})

    app = web.Application()
    app.router.add_post("/webhook", handler)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        answer = await endpoint_of(port).request(json=BODY, method="post", subpath=None)
    finally:
        await runner.cleanup()
    return answer, received[0]


def test_the_action_server_receives_the_same_json():
    endpoint_json.apply()
    assert EndpointConfig.session is endpoint_json.session
    answer, text = asyncio.run(call(lambda port: EndpointConfig(f"http://127.0.0.1:{port}/webhook",
                                                                  headers={"X-Test": "1"})))
    assert answer == {"events": []}
    assert json.loads(text) == BODY
    assert text == dumps(BODY)


def test_basic_auth_and_headers_are_kept():
    endpoint_json.apply()
    endpoint = EndpointConfig("http://127.0.0.1:1/webhook", headers={"X-Test": "1"},
                              basic_auth={"username": "u", "password": "p"})

    async def inspect():
        async with endpoint.session() as session:
            return dict(session.headers), session.auth, session.timeout.total

    headers, auth, timeout = asyncio.run(inspect())
    assert headers == {"X-Test": "1"} and auth.login == "u" and auth.password == "p" and timeout == 300
