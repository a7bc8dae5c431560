"""Fixtures and helpers of the handoff tests: the real app on the module's database (SQLite and PostgreSQL,
tests/core/conftest.py) with a settable clock and a fake Rasa, agents, and an agent's browser (own cookies)."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.cookies import SimpleCookie
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from bot.core.agents import create_agent
from bot.core.config import HandoffSettings, Settings
from bot.core.console.throttle import Throttle
from bot.core.db.session import make_engine, make_sessionmaker
from bot.core.handoff import service
from bot.core.handoff.rasa import RasaUnavailable
from bot.core.handoff.worker import Handoff
from bot.core.main import create_app
from tests.core.conftest import SERVICE_KEY, TOKEN_SECRET, reset

# Wednesday 2 December 2026, 10:00 in Vilnius: inside the default support hours (Mon-Fri 08:00-17:00).
WORKING = datetime(2026, 12, 2, 8, 0, tzinfo=UTC)
SATURDAY = datetime(2026, 12, 5, 12, 0, tzinfo=UTC)
PASSWORD = "correct horse battery staple"
HEADERS = {"X-Service-Key": SERVICE_KEY}
CHAT_KEY_SECRET = "handoff-tests-chat-key-secret"


class Clock:
    """The app's clock, moved by the tests."""

    def __init__(self, now: datetime = WORKING) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


@dataclass
class FakeRasa:
    """Rasa's HTTP API as the core uses it; records calls; `down` makes every call fail. `on_execute` plays the
    action server (e.g. takes the deliveries)."""

    calls: list[tuple[Any, ...]] = field(default_factory=list)
    trackers: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    down: bool = False
    on_execute: Callable[[str, str], None] | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    def _record(self, *call: Any) -> None:
        with self.lock:
            self.calls.append(call)
        if self.down:
            raise RasaUnavailable("fake Rasa is down")

    def tracker(self, conversation_id: str) -> dict[str, Any]:
        self._record("tracker", conversation_id)
        return {"sender_id": conversation_id, "events": list(self.trackers.get(conversation_id, []))}

    def execute(self, conversation_id: str, action: str) -> None:
        self._record("execute", conversation_id, action)
        if self.on_execute is not None:
            self.on_execute(conversation_id, action)

    def append_events(self, conversation_id: str, events: list[dict[str, Any]]) -> None:
        self._record("events", conversation_id, events)

    def delete_tracker(self, conversation_id: str) -> bool:
        self._record("delete", conversation_id)
        return self.trackers.pop(conversation_id, None) is not None

    def of(self, kind: str) -> list[tuple[Any, ...]]:
        return [c for c in self.calls if c[0] == kind]

    def user_event(self, conversation_id: str, text: str, timestamp: float) -> None:
        self.trackers.setdefault(conversation_id, []).append(
            {"event": "user", "text": text, "timestamp": timestamp, "parse_data": {}}
        )


def sse_events(body: str) -> list[tuple[str, str | None, dict]]:
    """(event, id, data) of a text/event-stream body."""
    events = []
    for block in body.split("\n\n"):
        fields = dict(line.split(": ", 1) for line in block.splitlines() if ": " in line and not line.startswith(":"))
        if "event" in fields:
            events.append((fields["event"], fields.get("id"), json.loads(fields["data"])))
    return events


def make_settings(database_url: str, **handoff: Any) -> Settings:
    return Settings(database_url=database_url, service_key=SERVICE_KEY, customer_token_secret=TOKEN_SECRET,
                    chat_key_secret=CHAT_KEY_SECRET, handoff=HandoffSettings(console_stream_seconds=0, **handoff))


@dataclass
class Env:
    """One test's world: the app's client, its clock and fake Rasa, the database."""

    client: TestClient
    clock: Clock
    rasa: FakeRasa
    database_url: str

    @property
    def handoff(self) -> Handoff:
        return self.client.app.state.handoff

    def sessions(self) -> Any:
        return self.client.app.state.sessions()

    def escalate(self, conversation_id: str = "conv-1", expect: int | None = 201, **body: Any) -> dict[str, Any]:
        payload = {"conversation_id": conversation_id, "channel": "socketio", "language": "lt",
                   "reason": "customer_request", "transcript": [], **body}
        response = self.client.post("/escalations", json=payload, headers=HEADERS)
        if expect is not None:
            assert response.status_code == expect, response.text
        return response.json()

    def agent(self, username: str, display_name: str | None = None) -> AgentBrowser:
        with self.sessions() as session:
            create_agent(session, username, PASSWORD, display_name, now=self.clock())
        browser = AgentBrowser(self.client, username)
        browser.sign_in()
        return browser

    def deliver_through_route(self) -> None:
        """The fake action server: each execute of the delivery action takes the deliveries over HTTP."""

        def act(conversation_id: str, action: str) -> None:
            if action == "action_deliver_agent_messages":
                with self.sessions() as session:
                    service.take_deliveries(session, conversation_id, self.clock())

        self.rasa.on_execute = act


class AgentBrowser:
    """An agent's browser: its own cookies (sent by hand, the shared client's jar is emptied after each call) and
    the browser's language (Accept-Language; English unless told, so that tests of behaviour read English)."""

    def __init__(self, client: TestClient, username: str, accept_language: str | None = "en") -> None:
        self.client, self.username, self.accept_language = client, username, accept_language
        self.cookies: dict[str, str] = {}
        self.csrf = ""

    def request(self, method: str, path: str, headers: dict[str, str] | None = None, **kwargs: Any) -> httpx.Response:
        headers = dict(headers or {})
        if self.accept_language:
            headers.setdefault("Accept-Language", self.accept_language)
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        try:
            response = self.client.request(method, path, headers=headers, follow_redirects=False, **kwargs)
        finally:
            self.client.cookies.clear()
        for header in response.headers.get_list("set-cookie"):
            cookie = SimpleCookie()
            cookie.load(header)
            for name, morsel in cookie.items():
                if morsel["max-age"] == "0" or not morsel.value or morsel.value == '""':
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value
        return response

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("GET", path, **kwargs)

    def sign_in(self, password: str = PASSWORD, username: str | None = None) -> httpx.Response:
        form = self.get("/agent/sign-in")
        token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
        assert token, form.text
        response = self.request("POST", "/agent/sign-in", data={
            "username": username or self.username, "password": password, "csrf_token": token.group(1)})
        if response.status_code == 303:
            page = self.get("/agent")
            match = re.search(r'<meta name="csrf-token" content="([^"]+)">', page.text)
            assert match, page.text
            self.csrf = match.group(1)
        return response

    def act(self, path: str, body: dict[str, Any] | None = None, csrf: str | None = "mine") -> httpx.Response:
        """A console action as console.js sends it (JSON, X-CSRF-Token)."""
        headers = {"Content-Type": "application/json"}
        token = self.csrf if csrf == "mine" else csrf
        if token is not None:
            headers["X-CSRF-Token"] = token
        return self.request("POST", path, headers=headers, json=body or {})

    def claim(self, escalation_id: int) -> httpx.Response:
        return self.act(f"/agent/escalations/{escalation_id}/claim")

    def reply(self, escalation_id: int, text: str) -> httpx.Response:
        return self.act(f"/agent/escalations/{escalation_id}/messages", {"text": text})

    def close(self, escalation_id: int, note: str = "Solved.") -> httpx.Response:
        return self.act(f"/agent/escalations/{escalation_id}/close", {"resolution_note": note})


@pytest.fixture(scope="module")
def handoff_client(database_url: str) -> Iterator[tuple[TestClient, Clock, FakeRasa]]:
    clock, rasa = Clock(), FakeRasa()
    with TestClient(create_app(make_settings(database_url), clock=clock, rasa=rasa)) as client:
        yield client, clock, rasa


@pytest.fixture
def env(handoff_client: tuple[TestClient, Clock, FakeRasa], database_url: str,
        sign_in_throttle: Throttle) -> Iterator[Env]:
    """A freshly seeded database, the clock at WORKING, a fake Rasa that is up and forgets earlier calls, a fresh
    sign-in throttle (`sign_in_throttle`, tests/core/conftest.py)."""
    client, clock, rasa = handoff_client
    reset(database_url)
    clock.now = WORKING
    rasa.calls.clear()
    rasa.trackers.clear()
    rasa.down, rasa.on_execute = False, None
    client.cookies.clear()
    client.app.state.sign_in_throttle = sign_in_throttle  # no failed sign-ins from earlier tests
    yield Env(client, clock, rasa, database_url)


def count_rows(database_url: str, model: Any, *where: Any) -> int:
    from sqlalchemy import func, select

    engine = make_engine(database_url)
    try:
        with make_sessionmaker(engine)() as session:
            return session.scalar(select(func.count()).select_from(model).where(*where)) or 0
    finally:
        engine.dispose()
