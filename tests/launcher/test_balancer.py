"""HAProxy in front of the Rasa processes (bot/launcher/balancer.py), run by the supervisor as `make run` does, with
stand-in processes (stub_server.py, which open engine.io-like sessions with the `io` cookie) and Debian's real
haproxy: socket.io sessions stick to the process that opened them, everything else is balanced; a crashed process
and a crashed HAProxy are restarted while the others keep answering; one TERM stops them all within 15 s.

Skipped when haproxy is missing (`make test` installs it as root), except with CI=true, where that fails."""

from __future__ import annotations

import collections
import http.client
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path
from typing import Any

import pytest

from bot.launcher.balancer import MONITOR, config, free_ports
from tests.launcher.test_supervisor import STOP_SECONDS, STUB, Supervised, processes_with
from tests.servers import listening_addresses

HAPROXY = os.environ.get("HAPROXY") or shutil.which("haproxy") or "/usr/sbin/haproxy"


def _missing() -> bool:
    return not (Path(HAPROXY).is_file() and os.access(HAPROXY, os.X_OK))


if _missing() and os.environ.get("CI", "").lower() == "true":
    raise RuntimeError(f"{HAPROXY} is missing on CI: `make test` installs Debian's haproxy")
pytestmark = pytest.mark.skipif(_missing(), reason=f"{HAPROXY} is missing (Debian's haproxy; `make test` installs it)")


def get(url: str) -> tuple[int, str, Any]:
    """(status, body, headers) of a GET; status 0 when the connection failed."""
    try:
        with urllib.request.urlopen(url, timeout=5) as answer:
            return answer.status, answer.read().decode(), answer.headers  # (HAProxy lowercases the names)
    except urllib.error.HTTPError as error:
        return error.code, "", {}
    except OSError:
        return 0, "", {}


class Balanced(Supervised):
    """The supervisor running two stand-in Rasa processes (rasa-1, rasa-2) and HAProxy in front of them."""

    def __init__(self, tmp_path: Path) -> None:
        self.marker = f"stub-{uuid.uuid4().hex}"
        self.listen, *self.nodes = free_ports(3)
        self.config = tmp_path / f"haproxy-{self.marker}.cfg"
        self.config.write_text(config(f"127.0.0.1:{self.listen}", [f"127.0.0.1:{port}" for port in self.nodes]))
        (tmp_path / "banner").write_text("READY")
        argv = [sys.executable, "-m", "bot.launcher.supervisor", "--banner", str(tmp_path / "banner"),
                "--stop-seconds", str(STOP_SECONDS), "--first-backoff", "0.2"]
        for number, port in enumerate(self.nodes, 1):
            argv += ["--service", f"rasa-{number}", f"http://127.0.0.1:{port}/",
                     sys.executable, str(STUB), self.marker, "--port", str(port)]  # one process, as a Rasa node
        argv += ["--service", "haproxy", f"http://127.0.0.1:{self.listen}{MONITOR}", HAPROXY, "-db", "-f",
                 str(self.config)]
        self.start(argv, tmp_path / "supervisor.log")
        self.url = f"http://127.0.0.1:{self.listen}"

    def leader(self, needle: str) -> int:
        """The first process (its group's leader) whose command line holds `needle`."""
        for pid in processes_with(needle):
            if pid != self.process.pid and os.getpgid(pid) == pid:  # the supervisor's command line has it too
                return pid
        raise AssertionError(f"no process with {needle}")

    def pids(self) -> list[int]:
        return processes_with(self.marker)  # the stand-ins; HAProxy's command line names the config with it

    def clean_up(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        for pid in self.pids():
            subprocess.run(["kill", "-9", str(pid)], check=False)


    def wait_balanced(self, seconds: float = 15) -> None:
        """Until HAProxy sends requests to every process (its health checks run every second)."""
        deadline = time.monotonic() + seconds
        while {get(f"{self.url}/")[1] for _ in range(6)} != {str(port) for port in self.nodes}:
            assert time.monotonic() < deadline, self.text()
            time.sleep(0.2)


@pytest.fixture
def balanced(tmp_path):
    run = Balanced(tmp_path)
    try:
        run.wait_for("READY")  # HAProxy's monitor URI said every process is in the balance
        yield run
    finally:
        run.clean_up()


def test_the_generated_configuration_is_valid():
    text = config("127.0.0.1:5005", ["127.0.0.1:41001", "127.0.0.1:41002"])
    checked = subprocess.run([HAPROXY, "-c", "-f", "/dev/stdin"], input=text, capture_output=True, text=True)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "stick store-response res.cook(io)" in text and "stick match url_param(sid)" in text
    assert "server rasa-2 127.0.0.1:41002" in text and "timeout tunnel 1h" in text


@pytest.mark.parametrize("listen, nodes", [("5005", ["127.0.0.1:1"]), ("127.0.0.1:5005", []),
                                           ("127.0.0.1:5005", ["127.0.0.1:x"])])
def test_bad_addresses_are_refused(listen, nodes):
    with pytest.raises(ValueError):
        config(listen, nodes)


def test_haproxy_is_ready_once_every_process_is_in_the_balance(balanced):
    assert get(f"{balanced.url}{MONITOR}")[0] == 200
    assert {get(f"{balanced.url}/")[1] for _ in range(4)} == {str(port) for port in balanced.nodes}
    subprocess.run(["kill", "-STOP", str(balanced.leader(f"--port\0{balanced.nodes[1]}"))], check=True)
    try:  # a process that does not answer its health checks: out of the balance, HAProxy not ready
        deadline = time.monotonic() + 10
        while get(f"{balanced.url}{MONITOR}")[0] != 503:
            assert time.monotonic() < deadline, balanced.text()
            time.sleep(0.1)
        assert {get(f"{balanced.url}/")[1] for _ in range(4)} == {str(balanced.nodes[0])}
    finally:
        subprocess.run(["kill", "-CONT", str(balanced.leader(f"--port\0{balanced.nodes[1]}"))], check=True)
    assert "balancer-health" not in balanced.text()  # never logged


def test_socketio_sessions_stick_to_their_process_and_the_rest_is_balanced(balanced):
    # new sessions (polling handshakes, no sid) are balanced, though every one comes from the same address
    sessions = []
    for _ in range(20):
        status, body, headers = get(f"{balanced.url}/socket.io/?EIO=4&transport=polling")
        port, sid = body.split()
        assert status == 200 and headers.get("Set-Cookie", "").startswith(f"io={sid};"), headers
        sessions.append((int(port), sid))
    assert {port for port, _ in sessions} == set(balanced.nodes)
    # every later request of a session (?sid=) reaches the process that opened it
    for port, sid in sessions:
        for transport in ("polling", "polling", "websocket", "polling"):
            assert get(f"{balanced.url}/socket.io/?EIO=4&transport={transport}&sid={sid}")[1] == str(port)
    # anything else (REST, Rasa's API) is balanced, request by request
    served = collections.Counter(get(f"{balanced.url}/webhooks/rest/webhook")[1] for _ in range(20))
    assert set(served) == {str(port) for port in balanced.nodes} and min(served.values()) >= 5, served


def test_crashed_processes_and_haproxy_are_restarted_and_one_term_stops_everything(balanced):
    # a Rasa process dies: the other answers meanwhile (a refused connection is sent there), it comes back
    subprocess.run(["kill", "-9", str(balanced.leader(f"--port\0{balanced.nodes[0]}"))], check=True)
    deadline = time.monotonic() + 5
    while listening_addresses(balanced.nodes[0]):  # gone (a request it had accepted would be lost: a 502)
        assert time.monotonic() < deadline
        time.sleep(0.01)
    answers = [get(f"{balanced.url}/webhooks/rest/webhook") for _ in range(20)]
    assert [status for status, _, _ in answers] == [200] * 20
    balanced.wait_for(r"rasa-1 stopped \(killed by signal 9\) after [\d.]+ s; restarting it in 0.2 s")
    balanced.wait_for(r"rasa-1 restarted \(restart 1")
    balanced.wait_balanced()  # back in the balance
    # HAProxy dies: restarted, RASA_PORT answers again
    subprocess.run(["kill", "-9", str(balanced.leader(str(balanced.config)))], check=True)
    balanced.wait_for(r"haproxy stopped \(killed by signal 9\)")
    balanced.wait_for(r"haproxy restarted \(restart 1")
    deadline = time.monotonic() + 15
    while get(f"{balanced.url}/")[0] != 200:
        assert time.monotonic() < deadline, balanced.text()
        time.sleep(0.1)
    # one TERM stops the processes (their workers too) and HAProxy
    started = time.monotonic()
    balanced.process.send_signal(signal.SIGTERM)
    assert balanced.process.wait(timeout=15) == 143
    assert time.monotonic() - started < 15
    assert balanced.pids() == []
    assert [listening_addresses(port) for port in (balanced.listen, *balanced.nodes)] == [set()] * 3


def test_a_process_killed_between_kept_alive_requests_costs_no_request(balanced):
    # a client keeping its connection to HAProxy (the cluster's tests, an agent's browser): HAProxy must not send
    # its next request on an idle connection to the process that died meanwhile (a 502), but to the other one
    client = http.client.HTTPConnection("127.0.0.1", balanced.listen, timeout=5)

    def served() -> tuple[int, str]:
        client.request("GET", "/webhooks/rest/webhook")
        answer = client.getresponse()
        return answer.status, answer.read().decode()

    assert {served()[1] for _ in range(10)} == {str(port) for port in balanced.nodes}  # both were used
    subprocess.run(["kill", "-9", str(balanced.leader(f"--port\0{balanced.nodes[0]}"))], check=True)
    deadline = time.monotonic() + 5
    while listening_addresses(balanced.nodes[0]):
        assert time.monotonic() < deadline
        time.sleep(0.01)
    assert [served() for _ in range(20)] == [(200, str(balanced.nodes[1]))] * 20, balanced.text()
