"""Standard socket.io clients against the real servers, several Rasa processes behind HAProxy (scripts/run.sh):
python-socketio's AsyncClient (the Rasa environment's) on each transport, 20 connections each, every one
confirmed (`session_request` -> `session_confirm`) and answered ("Labas" -> `bot_uttered`).

On HTTP long-polling a client sends many requests per session (the handshake, each emit, each poll); each must
reach the process that opened the session, which HAProxy's stickiness by the engine.io sid does
(bot/launcher/balancer.py). Websocket-only clients open one connection. The figures go to
test-results/socketio-clients.json (docs/web-chat.md "Standard clients").
"""

from __future__ import annotations

import asyncio
import json
import time

import pytest

from tests.servers import ROOT

CONNECTIONS = 20
AT_ONCE = 5  # connections open at the same time
RESULTS = ROOT / "test-results" / "socketio-clients.json"


@pytest.fixture
def websocket_client_fits_aiohttp(monkeypatch):
    """python-engineio 4.15's client builds `aiohttp.ClientWSTimeout(ws_close=...)` for its websocket; that class
    is newer than the aiohttp Rasa 3.6 pins (<3.10, here 3.9.5), whose `ws_connect` takes the close timeout as a
    number. Without this the client's websocket transport fails with AttributeError before connecting (the server
    side is not concerned: Sanic serves the websocket)."""
    import aiohttp

    if not hasattr(aiohttp, "ClientWSTimeout"):
        monkeypatch.setattr(aiohttp, "ClientWSTimeout", lambda ws_close=10.0, **_: ws_close, raising=False)


async def one_client(url: str, transports: list[str], number: int) -> dict:
    """Connect, ask for a session, say "Labas"; what happened."""
    import socketio

    client = socketio.AsyncClient(reconnection=False)
    confirmed: asyncio.Queue = asyncio.Queue()
    answers: asyncio.Queue = asyncio.Queue()
    client.on("session_confirm", confirmed.put_nowait)
    client.on("bot_uttered", answers.put_nowait)
    result = {"connected": False, "confirmed": False, "answered": False}
    started = time.monotonic()
    try:
        await client.connect(url, transports=transports, wait_timeout=20)
        result["connected"] = True
        await client.emit("session_request", {"session_id": None})
        session = (await asyncio.wait_for(confirmed.get(), 20))["session_id"]
        result["confirmed"] = True
        await client.emit("user_uttered", {"message": "Labas", "session_id": session,
                                           "customData": {"language": "lt"}})
        answer = await asyncio.wait_for(answers.get(), 60)
        result["answered"] = bool(answer.get("text"))
        result["transport"] = client.transport()
        result["seconds"] = round(time.monotonic() - started, 2)
    except Exception as error:  # noqa: BLE001 - counted; the other connections still run
        result["failure"] = f"{type(error).__name__}: {error}"
    finally:
        await client.eio.disconnect(abort=True)  # no waiting for a long poll in flight
    return result


async def clients(url: str, transports: list[str]) -> list[dict]:
    gate = asyncio.Semaphore(AT_ONCE)

    async def limited(number: int) -> dict:
        async with gate:
            return await one_client(url, transports, number)

    return list(await asyncio.gather(*(limited(number) for number in range(CONNECTIONS))))


@pytest.mark.parametrize("transport", ["polling", "websocket"])
def test_every_connection_is_confirmed_and_answered(servers, transport, websocket_client_fits_aiohttp):
    results = asyncio.run(clients(servers.rasa_url, [transport]))
    figures = json.loads(RESULTS.read_text()) if RESULTS.is_file() else {}
    figures[transport] = {"connections": CONNECTIONS,
                          "confirmed": sum(result["confirmed"] for result in results),
                          "answered": sum(result["answered"] for result in results),
                          "failures": sorted({result["failure"] for result in results if "failure" in result})}
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(figures, indent=1))
    assert [result for result in results if not result["answered"]] == []
    assert {result["transport"] for result in results} == {transport}
