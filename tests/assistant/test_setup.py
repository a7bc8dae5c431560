"""The project's own set-up: the launcher of `make run` (scripts/run.sh and its supervisor), with the real servers:
the core, the action server, several Rasa processes and HAProxy in front of them.

(`rasa data validate --fail-on-warnings` runs as `make validate`, before the test suites of `make test`; the
supervisor's own tests, with stand-in servers, are in tests/launcher.)"""

from __future__ import annotations

import re
import signal
import stat
import subprocess
import time
import uuid
from pathlib import Path

import requests

from tests.assistant.conftest import server_alive, start_servers
from tests.servers import listening_addresses, listening_pids

SECRET_NAMES = ("CUSTOMER_TOKEN_SECRET", "CORE_SERVICE_KEY", "RASA_TOKEN", "ACTION_SERVER_TOKEN",
                "CORE_DEMO_AGENT_PASSWORD")


def port_of(url: str) -> int:
    return int(url.rsplit(":", 1)[1])


def pids_mentioning(words: set[str]) -> list[int]:
    """Live processes whose command line has one of `words` (the servers' ports) as a word."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            line = (entry / "cmdline").read_bytes().decode(errors="replace").split("\0")
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except (OSError, IndexError):
            continue
        if entry.name.isdigit() and state != "Z" and words & set(line):
            found.append(int(entry.name))
    return found


def is_group_leader(pid: int) -> bool:
    """The first process of a server (its workers share its process group)."""
    return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[2]) == pid


def deliver(actions_url: str, headers: dict) -> requests.Response:
    call = {"next_action": "action_deliver_agent_messages", "sender_id": "launcher-test", "domain": {},
            "tracker": {"sender_id": "launcher-test", "slots": {}, "latest_message": {}, "events": [],
                        "paused": False, "followup_action": None, "active_loop": {}, "latest_action_name": None},
            "version": "3.6.21"}
    return requests.post(f"{actions_url}/webhook", json=call, headers=headers, timeout=30)


def wait_until(check, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, what
        time.sleep(0.2)


def leader_listening_on(port: int) -> int:
    [leader] = {pid for pid in listening_pids(port) if is_group_leader(pid)}
    return leader


def rest_answers(rasa_url: str, sender: str) -> bool:
    answer = requests.post(f"{rasa_url}/webhooks/rest/webhook", json={"sender": sender, "message": "Labas"},
                           timeout=60)
    return answer.ok and bool(answer.json())


def test_launcher_serves_on_loopback_keeps_secrets_restarts_and_stops_on_sigterm(model_path, tmp_path):
    servers = start_servers(tmp_path)
    printed = servers.log.read_text()
    nodes = [port_of(url) for url in servers.rasa_nodes]  # Rasa processes, each on a loopback port, behind HAProxy
    ports = [port_of(url) for url in (servers.rasa_url, servers.actions_url, servers.core_url)] + nodes
    secrets = [servers.env[name] for name in SECRET_NAMES]
    try:
        assert re.search(r"Rasa: +\d+ Rasa processes \(RASA_WORKERS\) on ", printed)
        assert len(nodes) >= 2 and len(set(nodes)) == len(nodes)
        assert "curl" in printed  # it tells how to chat with it
        # where the secrets and the demo tokens are, never their values; not on any command line either
        assert "CUSTOMER_TOKEN_SECRET from the environment" in printed
        assert not [s for s in secrets if s in printed]
        commands = subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True, check=True).stdout
        assert not [s for s in secrets if s in commands]
        tokens = Path(servers.env["DEMO_TOKENS_FILE"])
        assert str(tokens) in printed and "demo-2000\t" in tokens.read_text()
        assert stat.S_IMODE(tokens.stat().st_mode) == 0o600
        # every server on 127.0.0.1 only; RASA_PORT is HAProxy's, each Rasa process has its own port
        assert [listening_addresses(port) for port in ports] == [{"127.0.0.1"}] * len(ports)
        haproxy = leader_listening_on(ports[0])
        assert Path(f"/proc/{haproxy}/exe").resolve().name == "haproxy"
        assert len({leader_listening_on(port) for port in nodes}) == len(nodes)
        assert requests.get(f"{servers.core_url}/health", timeout=10).ok
        answer = requests.post(f"{servers.rasa_url}/webhooks/rest/webhook",
                               json={"sender": f"launcher-{uuid.uuid4().hex}", "message": "Labas"}, timeout=60)
        assert answer.ok and answer.json()
        # the action server answers Rasa (which sends the secret) only
        handoff = requests.post(f"{servers.rasa_url}/webhooks/rest/webhook",  # needs action_handoff
                                json={"sender": f"launcher-person-{uuid.uuid4().hex}",
                                      "message": "Noriu kalbėti su konsultantu"}, timeout=60)
        assert handoff.ok and handoff.json(), servers.log.read_text()[-3000:]
        assert "not authorised" not in servers.log.read_text()
        assert deliver(servers.actions_url, {}).status_code == 401
        assert deliver(servers.actions_url, {"X-Action-Token": servers.env["ACTION_SERVER_TOKEN"]}).ok
        # a crashed server is restarted; the others keep running
        [actions] = [pid for pid in pids_mentioning({str(ports[1])}) if is_group_leader(pid) and
                     Path(f"/proc/{pid}/cmdline").read_text(errors="replace").split("\0")[2:3] ==
                     ["bot.rasa_ext.action_server"]]
        subprocess.run(["kill", "-9", str(actions)], check=True)
        wait_until(lambda: "actions restarted" in servers.log.read_text(), 30, "the action server restarts")
        wait_until(lambda: listening_addresses(ports[1]) == {"127.0.0.1"}, 60, "the action server listens again")
        assert servers.process.poll() is None and requests.get(f"{servers.core_url}/health", timeout=10).ok
        # a crashed Rasa process: the others answer meanwhile through HAProxy, the supervisor starts it again, and
        # HAProxy sends requests to it once it has loaded its model
        subprocess.run(["kill", "-9", str(leader_listening_on(nodes[0]))], check=True)
        wait_until(lambda: not listening_addresses(nodes[0]), 10, "the Rasa process is gone")
        assert all(rest_answers(servers.rasa_url, f"launcher-node-{uuid.uuid4().hex}") for _ in range(4))
        wait_until(lambda: "rasa-1 restarted" in servers.log.read_text(), 30, "the Rasa process restarts")
        wait_until(lambda: listening_addresses(nodes[0]) == {"127.0.0.1"}, 180, "the Rasa process listens again")
        assert requests.get(f"http://127.0.0.1:{nodes[0]}/", timeout=10).ok
        # a crashed HAProxy: restarted, RASA_PORT answers again
        subprocess.run(["kill", "-9", str(haproxy)], check=True)
        wait_until(lambda: "haproxy restarted" in servers.log.read_text(), 30, "HAProxy restarts")
        wait_until(lambda: server_alive(f"{servers.rasa_url}/"), 30, "RASA_PORT answers again")
        assert rest_answers(servers.rasa_url, f"launcher-after-{uuid.uuid4().hex}")
    finally:
        started = time.monotonic()
        if servers.process.poll() is None:
            servers.process.send_signal(signal.SIGTERM)
            time.sleep(0.3)
            if servers.process.poll() is None:
                servers.process.send_signal(signal.SIGTERM)  # a second TERM during the stop changes nothing
        code = servers.process.wait(timeout=60)
    assert code == 143
    assert time.monotonic() - started < 15
    assert [listening_addresses(port) for port in ports] == [set()] * len(ports)
    assert pids_mentioning({str(port) for port in ports}) == []
    assert pids_mentioning({f"build/haproxy-{ports[0]}.cfg"}) == []  # HAProxy is gone too
