"""Session fixtures: the trained model, an in-process agent, and the real servers on free ports."""

from __future__ import annotations

import asyncio
import logging
import os
import subprocess
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Optional

import pytest
import requests

from bot.conversation_ids import path_segment
from tests.assistant.helpers import SUMMARY
from tests.servers import MODEL, ROOT, Launched, launch, several_rasa_processes

TOKEN_SECRET = "assistant-tests-customer-token-secret"
SERVICE_KEY = "assistant-tests-core-service-key"
RASA_TOKEN = "assistant-tests-rasa-token"
AGENT_PASSWORD = "assistant-tests-demo-agent-password"  # the console's demo agent, `demo-agent`


@pytest.fixture(autouse=True)
def sanic_test_mode(monkeypatch):
    """In-process Sanic apps (channel tests) in test mode: outside it Sanic allows an app name once per process
    and rewrites its own methods ("touch-up") for good, so a second app in the same process fails to start."""
    from sanic import Sanic

    monkeypatch.setattr(Sanic, "test_mode", True)


@pytest.fixture(scope="session")
def model_path() -> Path:
    if not MODEL.exists():
        pytest.fail(f"{MODEL} is missing: run the tests with `make test`, which trains it.")
    return MODEL


@pytest.fixture(scope="session")
def agent(model_path: Path):
    """The trained model loaded in this process (for NLU evaluation; no action server needed)."""
    import structlog
    from rasa.core.agent import Agent
    from rasa.utils.common import configure_logging_and_warnings

    configure_logging_and_warnings(logging.WARNING)
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    return Agent.load(str(model_path))


@pytest.fixture(scope="session")
def parse(agent):
    """parse(text) -> Rasa's parse result for one message."""
    loop = asyncio.new_event_loop()
    yield lambda text: loop.run_until_complete(agent.parse_message(text))
    loop.close()


@dataclass
class Servers(Launched):
    """The launched servers, with helpers to prepare and inspect the core's data."""

    def clone_customer(self, demo: str, new_id: str) -> str:
        """A fresh copy of demo customer `demo` in the core, as `new_id`; returns its customer token."""
        env = {**os.environ, "CORE_DATABASE_URL": self.database_url, "CUSTOMER_TOKEN_SECRET": TOKEN_SECRET}
        done = subprocess.run([str(ROOT / ".venv/core/bin/python"), "-m", "bot.core.seed", "--clone", demo, new_id],
                              cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=True)
        return done.stdout.strip().split("\t")[1]

    def core_get(self, path: str, token: Optional[str] = None) -> dict:
        """GET a route of the core with the service key (and as the given customer)."""
        return core_get(self.core_url, path, token)

    def tracker(self, conversation_id: str) -> dict:
        """Rasa's tracker of a conversation (Rasa's HTTP API, as the core uses it)."""
        return rasa_tracker(self.rasa_url, conversation_id)


def core_get(core_url: str, path: str, token: Optional[str] = None) -> dict:
    """GET a route of the core at `core_url` with the service key (and as the given customer)."""
    headers = {"X-Service-Key": SERVICE_KEY, **({"X-Customer-Token": token} if token else {})}
    answer = requests.get(f"{core_url}{path}", headers=headers, timeout=30)
    answer.raise_for_status()
    return answer.json()


def rasa_tracker(rasa_url: str, conversation_id: str) -> dict:
    """Rasa's tracker of a conversation at `rasa_url` (its HTTP API, the id encoded as the core encodes it)."""
    answer = requests.get(f"{rasa_url}/conversations/{path_segment(conversation_id)}/tracker",
                          params={"token": RASA_TOKEN}, timeout=30)
    answer.raise_for_status()
    return answer.json()


def start_servers(folder: Path, **extra_env: str) -> Servers:
    """Start the core, the action server and Rasa with scripts/run.sh (the launcher of `make run`; at least two Rasa
    processes behind HAProxy)."""
    secrets = {"CUSTOMER_TOKEN_SECRET": TOKEN_SECRET, "CORE_SERVICE_KEY": SERVICE_KEY, "RASA_TOKEN": RASA_TOKEN,
               "CORE_DEMO_MODE": "true", "CORE_DEMO_AGENT_PASSWORD": AGENT_PASSWORD}
    extra = {"SUPPORT_HOURS": "always", **several_rasa_processes(), **extra_env}
    return Servers(**vars(launch(folder, secrets, extra)))


@pytest.fixture(scope="session")
def servers(model_path: Path, tmp_path_factory) -> Iterator[Servers]:
    running = start_servers(tmp_path_factory.mktemp("servers"))
    yield running
    running.stop()


@pytest.fixture(scope="session")
def rasa_url(servers: Servers) -> str:
    return servers.rasa_url


def server_alive(url: str) -> bool:
    try:
        return requests.get(url, timeout=10).ok
    except requests.RequestException:
        return False


def pytest_terminal_summary(terminalreporter) -> None:
    """Print the NLU evaluation figures at the end of every run."""
    if SUMMARY:
        terminalreporter.section("NLU evaluation")
        for line in SUMMARY:
            terminalreporter.write_line(line)


@pytest.fixture
def database() -> Iterator[str]:
    """A new, empty PostgreSQL database on the local server, dropped afterwards."""
    from tests.assistant.helpers import require_postgresql

    require_postgresql()
    import psycopg2

    name = f"endpoints_test_{uuid.uuid4().hex[:12]}"
    admin = psycopg2.connect(host="127.0.0.1", port=5432, user="postgres", dbname="postgres")
    admin.autocommit = True
    with admin.cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{name}"')
    try:
        yield name
    finally:
        with admin.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()
