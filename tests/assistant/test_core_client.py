"""The async client of the core (actions/core_client.py) against a local aiohttp server: one session reused by
every call, the core's answers as typed results or the client's errors, and a timeout as Unavailable (5 s in
all for a call)."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from typing import Any, AsyncIterator, Dict, List

import aiohttp
import pytest
from aiohttp import web

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
)


class FakeCore:
    """GET /me/points answers `answer` with `status`; every request is recorded."""

    def __init__(self, status: int = 200, answer: Any = None, delay: float = 0.0) -> None:
        self.status, self.answer, self.delay = status, answer, delay
        self.requests: List[Dict[str, Any]] = []

    async def _points(self, request: web.Request) -> web.Response:
        self.requests.append(dict(request.headers))
        await asyncio.sleep(self.delay)
        return web.json_response(self.answer, status=self.status)

    @contextlib.asynccontextmanager
    async def running(self, session: SharedSession) -> AsyncIterator[CoreClient]:
        app = web.Application()
        app.router.add_get("/me/points", self._points)
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
