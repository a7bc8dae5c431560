"""The action server of `make run` (bot/rasa_ext/action_server.py) over real HTTP: it runs an action only for a
caller that sends the shared secret, and listens on 127.0.0.1 unless ASSISTANT_BIND_HOST says otherwise."""

from __future__ import annotations

import json
import os
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Iterator, List

import pytest
import requests

from tests.assistant.helpers import ROOT
from tests.servers import free_port, listening_addresses

SECRET = "action-server-test-secret"
CONVERSATION = "secret-test-conversation"


class FakeCore(BaseHTTPRequestHandler):
    """The core's delivery route: hands out one agent reply per call, and records each call."""

    calls: List[str] = []

    def do_POST(self) -> None:  # noqa: N802
        FakeCore.calls.append(self.path)
        body = json.dumps({"messages": [{"text": "Agent reply", "agent_name": "Ona", "id": 1}]}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:
        pass


@pytest.fixture(scope="module")
def core_url() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeCore)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def start(core_url: str, log: Path, **env: str) -> tuple[subprocess.Popen, int]:
    port = free_port()
    variables = {**os.environ, "CORE_URL": core_url, "CORE_SERVICE_KEY": "key", "PYTHONPATH": str(ROOT),
                 "SANIC_WORKERS": "1", **env}
    with log.open("w") as handle:
        process = subprocess.Popen([str(ROOT / ".venv/rasa/bin/python"), "-m", "bot.rasa_ext.action_server",
                                    "--actions", "actions", "--port", str(port)],
                                   cwd=ROOT, env=variables, stdout=handle, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline and process.poll() is None:
        try:
            if requests.get(f"http://127.0.0.1:{port}/health", timeout=2).ok:
                return process, port
        except requests.ConnectionError:
            time.sleep(0.3)
    process.kill()
    raise AssertionError(f"the action server did not start:\n{log.read_text()[-3000:]}")


@pytest.fixture(scope="module")
def action_server(core_url: str, tmp_path_factory) -> Iterator[int]:
    process, port = start(core_url, tmp_path_factory.mktemp("actions") / "log", ACTION_SERVER_TOKEN=SECRET)
    yield port
    process.terminate()
    process.wait(timeout=30)


def deliver(port: int, headers: dict) -> requests.Response:
    tracker = {"sender_id": CONVERSATION, "slots": {}, "latest_message": {}, "events": [], "paused": True,
               "followup_action": None, "active_loop": {}, "latest_action_name": None}
    call = {"next_action": "action_deliver_agent_messages", "sender_id": CONVERSATION, "tracker": tracker,
            "domain": {}, "version": "3.6.21"}
    return requests.post(f"http://127.0.0.1:{port}/webhook", json=call, headers=headers, timeout=30)


@pytest.mark.parametrize("headers", [{}, {"X-Action-Token": "wrong"}, {"X-Action-Token": ""},
                                     {"Authorization": f"Bearer {SECRET}"}])
def test_without_the_secret_nothing_runs(action_server, headers):
    FakeCore.calls.clear()
    answer = deliver(action_server, headers)
    assert answer.status_code == 401
    assert "error" in answer.json()
    assert FakeCore.calls == []  # the agent's reply was not taken from the core
    listed = requests.get(f"http://127.0.0.1:{action_server}/actions", headers=headers, timeout=10)
    assert listed.status_code == 401


def test_with_the_secret_the_action_runs(action_server):
    FakeCore.calls.clear()
    answer = deliver(action_server, {"X-Action-Token": SECRET})
    assert answer.status_code == 200, answer.text
    assert [r["response"] for r in answer.json()["responses"]] == ["utter_agent_message"]
    assert FakeCore.calls == [f"/escalations/by-conversation/{CONVERSATION}/deliveries"]


def test_health_needs_no_secret_and_the_server_listens_on_loopback_only(action_server):
    assert requests.get(f"http://127.0.0.1:{action_server}/health", timeout=10).ok
    assert listening_addresses(action_server) == {"127.0.0.1"}


def test_without_a_secret_it_refuses_to_start(core_url, tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "ACTION_SERVER_TOKEN"}
    done = subprocess.run([str(ROOT / ".venv/rasa/bin/python"), "-m", "bot.rasa_ext.action_server",
                           "--actions", "actions", "--port", str(free_port())],
                          cwd=ROOT, env={**env, "PYTHONPATH": str(ROOT)}, capture_output=True, text=True,
                          timeout=60)
    assert done.returncode != 0
    assert "ACTION_SERVER_TOKEN" in done.stderr


def test_rasa_reads_the_secret_header_from_the_endpoints_file_run_sh_writes(monkeypatch):
    from rasa.utils.endpoints import read_endpoint_config

    port = str(free_port())
    env = {**os.environ, "RASA_PORT": port, "ACTION_SERVER_TOKEN": SECRET, "USE_REDIS": "no", "USE_RABBITMQ": "no",
           "CUSTOMER_TOKEN_SECRET": "x", "CORE_SERVICE_KEY": "x", "RASA_TOKEN": "x", "CORE_DEMO_MODE": "false"}
    done = subprocess.run([str(ROOT / "scripts/run.sh"), "--check"], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    path = ROOT / "build" / f"endpoints-{port}.yml"
    try:
        assert SECRET not in path.read_text()  # a reference to the variable, filled in by Rasa
        monkeypatch.setenv("ACTION_SERVER_TOKEN", SECRET)
        endpoint = read_endpoint_config(str(path), "action_endpoint")
        assert endpoint.headers == {"X-Action-Token": SECRET}
        assert endpoint.url.startswith("http://127.0.0.1:")
    finally:
        path.unlink()
