"""Session fixtures: the trained model, an in-process agent, and the real servers on free ports."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import pytest
import requests

from tests.assistant.helpers import ROOT, SUMMARY

MODEL = ROOT / "models" / "assistant.tar.gz"
TOKEN_SECRET = "assistant-tests-customer-token-secret"
SERVICE_KEY = "assistant-tests-core-service-key"


@pytest.fixture(scope="session")
def model_path() -> Path:
    if not MODEL.exists():
        pytest.fail(f"{MODEL} is missing: run the tests with `make test`, which trains it.")
    return MODEL


@pytest.fixture(scope="session")
def agent(model_path: Path):
    """The trained model loaded in this process (for NLU evaluation; no action server needed)."""
    from rasa.core.agent import Agent
    from rasa.utils.common import configure_logging_and_warnings

    import structlog

    configure_logging_and_warnings(logging.WARNING)
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    return Agent.load(str(model_path))


@pytest.fixture(scope="session")
def parse(agent):
    """parse(text) -> Rasa's parse result for one message."""
    loop = asyncio.new_event_loop()
    yield lambda text: loop.run_until_complete(agent.parse_message(text))
    loop.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Servers:
    process: subprocess.Popen
    rasa_url: str
    actions_url: str
    core_url: str
    log: Path
    database_url: str

    def clone_customer(self, demo: str, new_id: str) -> str:
        """A fresh copy of demo customer `demo` in the core, as `new_id`; returns its customer token."""
        env = {**os.environ, "CORE_DATABASE_URL": self.database_url, "CUSTOMER_TOKEN_SECRET": TOKEN_SECRET}
        done = subprocess.run([str(ROOT / ".venv/core/bin/python"), "-m", "bot.core.seed", "--clone", demo, new_id],
                              cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=True)
        return done.stdout.strip().split("\t")[1]

    def core_get(self, path: str, token: str) -> dict:
        """GET an account route of the core as the given customer."""
        headers = {"X-Service-Key": SERVICE_KEY, "X-Customer-Token": token}
        answer = requests.get(f"{self.core_url}{path}", headers=headers, timeout=30)
        answer.raise_for_status()
        return answer.json()

    def stop(self) -> int:
        """SIGTERM the launcher (as a service manager would) and return its exit code."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=60)


def start_servers(log: Path) -> Servers:
    """Start the action server and Rasa with scripts/run.sh (the launcher of `make run`) on free ports."""
    rasa_port, action_port, core_port = free_port(), free_port(), free_port()
    env = {**os.environ, "RASA_PORT": str(rasa_port), "ACTION_PORT": str(action_port), "CORE_PORT": str(core_port),
           "RASA": str(ROOT / ".venv/rasa/bin/rasa"), "CORE_PY": str(ROOT / ".venv/core/bin/python"),
           "MODEL": str(MODEL), "CORE_DATABASE_URL": f"sqlite:///{log.parent / 'core.db'}",
           "CUSTOMER_TOKEN_SECRET": TOKEN_SECRET, "CORE_SERVICE_KEY": SERVICE_KEY, "SUPPORT_HOURS": "always"}
    handle = log.open("w")
    process = subprocess.Popen([str(ROOT / "scripts/run.sh")], cwd=ROOT, env=env, stdout=handle,
                               stderr=subprocess.STDOUT, start_new_session=True)
    servers = Servers(process, f"http://127.0.0.1:{rasa_port}", f"http://127.0.0.1:{action_port}",
                      f"http://127.0.0.1:{core_port}", log, env["CORE_DATABASE_URL"])
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"scripts/run.sh exited with {process.returncode}:\n{log.read_text()[-4000:]}")
        if "The assistant is running" in log.read_text(errors="replace"):
            return servers
        time.sleep(0.5)
    servers.stop()
    raise RuntimeError(f"servers did not start in time:\n{log.read_text()[-4000:]}")


@pytest.fixture(scope="session")
def servers(model_path: Path, tmp_path_factory) -> Iterator[Servers]:
    running = start_servers(tmp_path_factory.mktemp("servers") / "run.log")
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
