"""scripts/run.sh's set-up, without the servers: what it says when Redis or RabbitMQ is missing, its refusal to
start in production configuration, the secrets it never prints, and the topology of Rasa's processes (behind
HAProxy, or without it)."""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
from pathlib import Path

import pytest

from tests.servers import ROOT, free_port

SECRETS = {"CUSTOMER_TOKEN_SECRET": "run-sh-test-token-secret-0123456789", "CORE_SERVICE_KEY": "run-sh-test-key-0123",
           "RASA_TOKEN": "run-sh-test-rasa-token-0123", "ACTION_SERVER_TOKEN": "run-sh-test-action-token-0123",
           "CORE_DEMO_AGENT_PASSWORD": "run-sh-test-agent-password"}


def kill_mentioning(words: set[str]) -> None:
    """KILL every process with one of `words` on its command line (a launcher that went on to start servers)."""
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and words & set((entry / "cmdline").read_bytes().decode().split("\0")):
                os.kill(int(entry.name), signal.SIGKILL)
        except (OSError, UnicodeDecodeError):
            continue


def launcher(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess:
    """scripts/run.sh on ports of its own; killed (with anything it started) after 60 s."""
    closed = str(free_port())  # nothing listens there
    ports = {"RASA_PORT": str(free_port()), "ACTION_PORT": str(free_port()), "CORE_PORT": str(free_port())}
    variables = {**os.environ, **ports, "CORE_DATABASE_URL": f"sqlite:///{tmp_path / 'core.db'}",
                 "DEMO_TOKENS_FILE": str(tmp_path / "tokens.tsv"), "RABBITMQ_PORT": closed, "REDIS_PORT": closed,
                 "CORE_DEMO_MODE": "true", **SECRETS, **env}
    out, err = tmp_path / "stdout", tmp_path / "stderr"
    with out.open("w") as stdout, err.open("w") as stderr:
        process = subprocess.Popen([str(ROOT / "scripts/run.sh"), *args], cwd=ROOT, env=variables,
                                   stdout=stdout, stderr=stderr, start_new_session=True)
    try:
        process.wait(timeout=60)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        kill_mentioning(set(ports.values()))
        pytest.fail(f"scripts/run.sh {' '.join(args)} was still running after 60 s:\n{out.read_text()[-2000:]}")
    return subprocess.CompletedProcess(process.args, process.returncode, out.read_text(), err.read_text())


def test_without_redis_it_warns_loudly_on_stderr(tmp_path):
    done = launcher(tmp_path, "--check")
    assert done.returncode == 0, done.stderr
    warning = [line for line in done.stderr.splitlines() if line.startswith("  * ")]
    assert len(warning) >= 3 and "Redis does not answer" in warning[0]
    assert "MEMORY" in done.stderr and "ASSISTANT_ENV=production" in done.stderr
    assert "Conversations are kept in MEMORY" in done.stdout


@pytest.mark.parametrize("args", [["--check"], []])  # [] is `make run`: it must stop before starting anything
def test_in_production_it_refuses_to_run_without_redis(tmp_path, args):
    done = launcher(tmp_path, *args, ASSISTANT_ENV="production")
    assert done.returncode == 1
    assert "NOT STARTING (ASSISTANT_ENV=production): Redis does not answer" in done.stderr
    assert "The assistant is running" not in done.stdout
    assert not (tmp_path / "core.db").exists()  # nothing was started, not even the seed


def test_in_production_use_redis_no_is_refused_too(tmp_path):
    done = launcher(tmp_path, "--check", ASSISTANT_ENV="production", USE_REDIS="no")
    assert done.returncode == 1 and "USE_REDIS=no" in done.stderr


@pytest.mark.parametrize("args", [["--check"], []])
def test_rabbitmq_asked_for_but_missing_is_refused(tmp_path, args):
    done = launcher(tmp_path, *args, USE_REDIS="no", USE_RABBITMQ="yes")
    assert done.returncode == 1
    assert "NOT STARTING: RabbitMQ does not answer" in done.stderr
    assert not (tmp_path / "core.db").exists()


def test_rabbitmq_missing_is_said_and_the_core_reads_trackers(tmp_path):
    done = launcher(tmp_path, "--check", USE_REDIS="no")
    assert done.returncode == 0
    assert "RabbitMQ does not answer" in done.stderr and "reads Rasa's trackers" in done.stdout


def test_it_says_where_the_secrets_are_never_what_they_are(tmp_path):
    done = launcher(tmp_path, "--check", CUSTOMER_TOKEN_SECRET="", RASA_TOKEN="")
    assert done.returncode == 0, done.stderr
    printed = done.stdout + done.stderr
    assert "CUSTOMER_TOKEN_SECRET in build/customer-token-secret" in printed
    assert "RASA_TOKEN in build/rasa-token" in printed
    assert "CORE_SERVICE_KEY from the environment" in printed
    generated = [(ROOT / "build" / name).read_text().strip() for name in ("customer-token-secret", "rasa-token")]
    assert not [secret for secret in [*SECRETS.values(), *generated] if secret and secret in printed]
    assert str(tmp_path / "tokens.tsv") in printed  # where the demo customers' tokens are


def test_servers_listen_on_loopback_unless_asked_otherwise(tmp_path):
    # the real servers' addresses: tests/assistant/test_setup.py and test_action_server_secret.py
    done = launcher(tmp_path, "--check", USE_REDIS="no")
    assert "Listening: on 127.0.0.1" in done.stdout
    opened = launcher(tmp_path, "--check", USE_REDIS="no", ASSISTANT_BIND_HOST="0.0.0.0")
    assert "Listening: on 0.0.0.0" in opened.stdout


def redis_port() -> str:
    """The port of a Redis that answers (6379, or REDIS_PORT), else the test is skipped."""
    port = os.environ.get("REDIS_PORT", "6379")
    try:
        with socket.create_connection(("127.0.0.1", int(port)), timeout=2) as connection:
            connection.sendall(b"PING\r\n")
            if connection.recv(16).startswith(b"+PONG"):
                return port
    except OSError:
        pass
    pytest.skip(f"no Redis at 127.0.0.1:{port}")


HAPROXY_MISSING = {"HAPROXY": "/nonexistent/haproxy", "PATH": "/usr/bin:/bin"}


def test_the_banner_says_the_topology_rasa_processes_behind_haproxy(tmp_path):
    if not shutil.which("haproxy", path="/usr/sbin:/usr/bin:/sbin:/bin"):
        pytest.skip("haproxy is missing (test_balancer.py says so, or fails on CI)")
    done = launcher(tmp_path, "--check", REDIS_PORT=redis_port(), RASA_WORKERS="3", RASA_NODE_PORTS="41001 41002 41003")
    assert done.returncode == 0, done.stderr  # the generated configuration passed `haproxy -c`
    rasa_port = done.stdout.split("behind HAProxy on 127.0.0.1:")[1].split()[0]
    assert "Rasa:      3 Rasa processes (RASA_WORKERS) on 127.0.0.1:41001, 127.0.0.1:41002, 127.0.0.1:41003 " \
           f"behind HAProxy on 127.0.0.1:{rasa_port} (socket.io sessions stick to their process; " \
           f"build/haproxy-{rasa_port}.cfg)" in done.stdout
    generated = (ROOT / f"build/haproxy-{rasa_port}.cfg").read_text()
    assert f"bind 127.0.0.1:{rasa_port}\n" in generated and "server rasa-3 127.0.0.1:41003\n" in generated
    # without Redis: one process (conversations in memory), through HAProxy all the same
    alone = launcher(tmp_path, "--check", USE_REDIS="no")
    assert re.search(r"Rasa: +1 Rasa process \(one: conversations in memory\) on 127\.0\.0\.1:\d+ behind HAProxy",
                     alone.stdout), alone.stdout


def test_without_haproxy_one_rasa_process_runs_its_workers_with_a_warning(tmp_path):
    done = launcher(tmp_path, "--check", REDIS_PORT=redis_port(), RASA_WORKERS="2", **HAPROXY_MISSING)
    assert done.returncode == 0, done.stderr
    assert "WARNING: HAProxy is missing" in done.stderr and "400 Invalid session" in done.stderr
    assert "Rasa:      1 Rasa process with 2 Sanic worker(s) on 127.0.0.1:" in done.stdout
    quiet = launcher(tmp_path, "--check", USE_REDIS="no", **HAPROXY_MISSING)  # one worker: nothing to warn of
    assert "HAProxy is missing" not in quiet.stderr and "with 1 Sanic worker(s)" in quiet.stdout


def test_in_production_several_workers_without_haproxy_are_refused(tmp_path):
    done = launcher(tmp_path, "--check", ASSISTANT_ENV="production", REDIS_PORT=redis_port(), RASA_WORKERS="2",
                    **HAPROXY_MISSING)
    assert done.returncode == 1
    assert "NOT STARTING (ASSISTANT_ENV=production): HAProxy is missing" in done.stderr
