"""The async client of the core (actions/core_client.py) against a local aiohttp server: one session reused by
every call, the core's answers as typed results or the client's errors, a timeout as Unavailable (5 s in all for
a call), and the fallback log, which never raises."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from typing import Any, AsyncIterator, ContextManager, Dict, List

import aiohttp
import pytest
from aiohttp import web

from actions import core_client
from actions.core_client import (
    SESSION,
    TIMEOUT,
    Anonymous,
    CoreClient,
    Missing,
    NotApproved,
    Points,
    Rejected,
    SharedSession,
    Unavailable,
    top_guesses,
)
from tests.assistant.helpers import records_of


class FakeCore:
    """GET /me/points and POST /fallbacks answer `answer` with `status`; every request's headers are recorded,
    and the JSON bodies of POST /fallbacks."""

    def __init__(self, status: int = 200, answer: Any = None, delay: float = 0.0) -> None:
        self.status, self.answer, self.delay = status, answer, delay
        self.requests: List[Dict[str, Any]] = []
        self.bodies: List[Any] = []

    async def _points(self, request: web.Request) -> web.Response:
        self.requests.append(dict(request.headers))
        await asyncio.sleep(self.delay)
        return web.json_response(self.answer, status=self.status)

    async def _fallbacks(self, request: web.Request) -> web.Response:
        self.bodies.append(await request.json())
        return await self._points(request)

    async def _deliveries(self, request: web.Request) -> web.Response:
        self.requests.append({"raw_path": request.raw_path})
        return web.json_response({"messages": []})

    @contextlib.asynccontextmanager
    async def running(self, session: SharedSession) -> AsyncIterator[CoreClient]:
        app = web.Application()
        app.router.add_get("/me/points", self._points)
        app.router.add_post("/fallbacks", self._fallbacks)
        app.router.add_post("/escalations/by-conversation/{segment}/deliveries", self._deliveries)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        await web.SockSite(runner, sock).start()
        port = sock.getsockname()[1]
        try:
            yield CoreClient(f"http://127.0.0.1:{port}/", "service-key", session)
        finally:
            await session.close()
            await runner.cleanup()


POINTS = {"balance": 620, "invited": True, "points_to_invitation": 0}


def session(total: float = TIMEOUT) -> SharedSession:
    return SharedSession(aiohttp.ClientTimeout(total=total))


def test_calls_share_one_session_and_send_the_keys():
    core, shared = FakeCore(answer=POINTS), session()

    async def scenario():
        async with core.running(shared) as client:
            first = await client.points("token-1")
            made = shared.get()
            second = await client.points("token-2")
            return first, second, made is shared.get()

    first, second, reused = asyncio.run(scenario())
    assert first == second == Points(620, True, 0) and reused
    assert [(r["X-Service-Key"], r["X-Customer-Token"]) for r in core.requests] == [
        ("service-key", "token-1"), ("service-key", "token-2")]


@pytest.mark.parametrize("status, code, error", [
    (401, "anonymous", Anonymous), (403, "account_not_approved", NotApproved),
    (404, "no_application", Missing), (422, "invalid", Rejected), (409, "conflict", Rejected),
    (500, "boom", Unavailable), (503, None, Unavailable),
])
def test_the_cores_errors_are_the_clients_errors(status, code, error):
    core = FakeCore(status, {"detail": {"code": code, "fields": {"dealer": "too_long"}}})

    async def scenario():
        async with core.running(session()) as client:
            await client.points("token")

    with pytest.raises(error):
        asyncio.run(scenario())


@pytest.mark.parametrize("conversation_id, segment", [
    ("a/b", "a%2Fb"), ("..", "%2E%2E"), (".", "%2E"), ("50% off?#", "50%25%20off%3F%23"), ("ą", "%C4%85"),
])
def test_a_conversation_id_is_one_path_segment_as_sent(conversation_id, segment):
    """The core decodes the segment once: "." and ".." must not be dropped as dot segments on the way."""
    core = FakeCore()

    async def scenario():
        async with core.running(session()) as client:
            return await client.take_agent_messages(conversation_id)

    assert asyncio.run(scenario()) == []
    assert core.requests == [{"raw_path": f"/escalations/by-conversation/{segment}/deliveries"}]


def test_no_token_is_anonymous_without_a_call():
    core = FakeCore(answer=POINTS)

    async def scenario():
        async with core.running(session()) as client:
            await client.points(None)

    with pytest.raises(Anonymous):
        asyncio.run(scenario())
    assert core.requests == []


def test_a_slow_or_absent_core_is_unavailable():
    async def slow():
        async with FakeCore(answer=POINTS, delay=1.0).running(session(total=0.2)) as client:
            await client.points("token")

    async def absent():
        shared = session()
        try:
            await CoreClient("http://127.0.0.1:9", "service-key", shared).points("token")
        finally:
            await shared.close()

    for scenario in (slow, absent):
        with pytest.raises(Unavailable):
            asyncio.run(scenario())


def test_a_call_has_five_seconds_in_all_the_connection_included():
    assert SESSION.timeout == aiohttp.ClientTimeout(total=5.0)


# ------------------------------------------------------------------ the fallback log (record_fallback)

RANKING = [{"name": "nlu_fallback", "confidence": 0.5}, {"name": "ask_points", "confidence": 0.31},
           {"name": "greet", "confidence": 0.02}, {"name": "ask_registration", "confidence": 0.4},
           {"name": "goodbye", "confidence": 0.1}]


def warnings_logged() -> ContextManager[List[logging.LogRecord]]:
    """The warnings of the client's logger."""
    return records_of(core_client.__name__, logging.WARNING)


def record_with(core: FakeCore, text: str = "kaip gauti nuolaidą?", in_a_row: int = 2) -> Any:
    async def scenario():
        async with core.running(session()) as client:
            return await client.record_fallback("conv-1", "socketio", "lt", text, RANKING, in_a_row)

    return asyncio.run(scenario())


def test_record_fallback_posts_the_message_and_the_best_three_real_guesses():
    core = FakeCore(201, {"id": 7})
    with warnings_logged() as warnings:
        assert record_with(core) is None
    assert core.bodies == [{
        "conversation_id": "conv-1", "channel": "socketio", "language": "lt", "text": "kaip gauti nuolaidą?",
        "top_intents": [{"name": "ask_registration", "confidence": 0.4}, {"name": "ask_points", "confidence": 0.31},
                        {"name": "goodbye", "confidence": 0.1}],
        "fallback_in_a_row": 2}]
    assert core.requests[0]["X-Service-Key"] == "service-key" and "X-Customer-Token" not in core.requests[0]
    assert warnings == []


def test_a_dialogue_fallback_counts_as_the_first_in_a_row():
    core = FakeCore(201, {"id": 7})
    record_with(core, in_a_row=0)
    assert core.bodies[0]["fallback_in_a_row"] == 1


def test_a_message_without_text_is_not_logged():
    core = FakeCore(201, {"id": 7})
    assert record_with(core, text="") is None
    assert core.bodies == []


@pytest.mark.parametrize("status, answer", [
    (401, {"detail": {"code": "invalid_service_key"}}), (422, {"detail": {"code": "invalid_request"}}),
    (500, {"detail": {"code": "boom"}}), (502, None), (201, None),
])
def test_record_fallback_swallows_the_cores_refusals(status, answer):
    with warnings_logged() as warnings:
        assert record_with(FakeCore(status, answer)) is None
    if status >= 400:
        assert len(warnings) == 1 and str(status) in warnings[0].getMessage()
        assert "conv-1" in warnings[0].getMessage()
    else:
        assert warnings == []  # a success whose body is not read


def test_record_fallback_swallows_an_absent_or_slow_core(monkeypatch):
    async def absent():
        shared = session()
        try:
            return await CoreClient("http://127.0.0.1:9", "service-key", shared).record_fallback(
                "conv-1", "rest", "en", "hello?", RANKING, 1)
        finally:
            await shared.close()

    async def slow():
        async with FakeCore(201, {"id": 1}, delay=1.0).running(session()) as client:
            return await client.record_fallback("conv-1", "rest", "en", "hello?", RANKING, 1)

    monkeypatch.setattr(core_client, "FALLBACK_LOG_TIMEOUT", 0.2)  # the log's own, shorter timeout
    for scenario in (absent, slow):
        with warnings_logged() as warnings:
            assert asyncio.run(scenario()) is None
        assert len(warnings) == 1 and "not logged" in warnings[0].getMessage()


def test_record_fallback_swallows_anything_else():
    class Broken(CoreClient):
        async def _request(self, *args: Any, **kwargs: Any) -> Any:
            raise RuntimeError("unexpected")

    with warnings_logged() as warnings:
        assert asyncio.run(Broken("http://core", "key").record_fallback("c", "rest", "lt", "x", [], 1)) is None
    assert "RuntimeError: unexpected" in warnings[0].getMessage()


def test_top_guesses_leave_out_the_fallback_and_malformed_entries():
    ranking = [{"name": "nlu_fallback", "confidence": 0.5}, {"name": "", "confidence": 0.9}, "greet",
               {"name": "ask_points"}, {"name": "ask_tier", "confidence": float("nan")},
               {"name": "ask_order", "confidence": 1.2}, {"name": "ask_invoice", "confidence": True},
               {"name": "x" * 150, "confidence": 0.2}, {"name": "greet", "confidence": 0}]
    assert top_guesses(ranking) == [{"name": "x" * 100, "confidence": 0.2}, {"name": "greet", "confidence": 0.0}]
    assert top_guesses([]) == []
