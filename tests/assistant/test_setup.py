"""The project's own set-up: the launcher of `make run`.

(`rasa data validate --fail-on-warnings` runs as `make validate`, before the test suites of `make test`.)"""

from __future__ import annotations

import requests

from tests.assistant.conftest import start_servers


def test_launcher_answers_and_stops_everything_on_sigterm(model_path, tmp_path):
    servers = start_servers(tmp_path)
    try:
        printed = servers.log.read_text()
        assert "curl" in printed  # it tells how to chat with it
        assert "demo-2000\t" in printed and "CUSTOMER_TOKEN_SECRET=" in printed  # and prints demo tokens
        assert requests.get(f"{servers.core_url}/health", timeout=10).ok
        answer = requests.post(f"{servers.rasa_url}/webhooks/rest/webhook",
                               json={"sender": "launcher", "message": "Labas"}, timeout=60)
        assert answer.ok and answer.json()
    finally:
        code = servers.stop()
    assert code == 143
    for url in (servers.rasa_url, f"{servers.actions_url}/health", f"{servers.core_url}/health"):
        try:
            requests.get(url, timeout=5)
            raise AssertionError(f"{url} still answers after SIGTERM")
        except requests.ConnectionError:
            pass
