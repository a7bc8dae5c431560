"""`make cluster` for the tests (scripts/cluster.sh): two nodes on 127.0.0.2 and 127.0.0.3 (Rasa, actions, core
each) behind HAProxy on free ports, sharing the local PostgreSQL (databases of their own, dropped afterwards), Redis
(REDIS_DB, default 15) and RabbitMQ (an exchange and queue of their own, deleted at the end).

PostgreSQL, Redis, RabbitMQ and HAProxy must be there: without one the tests are skipped, except with CI=true, where
they fail (tests/assistant/helpers.py `missing_service`)."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, Iterator, List

import pytest
import requests

from tests.assistant.conftest import (
    AGENT_PASSWORD,
    RASA_TOKEN,
    SERVICE_KEY,
    TOKEN_SECRET,
    Servers,
    core_get,
    server_alive,
)
from tests.assistant.helpers import missing_service, require_postgresql, require_rabbitmq, require_redis
from tests.servers import MODEL, READY, ROOT, START_SECONDS, _address, _listening_sockets, free_port

NODES = ("127.0.0.2", "127.0.0.3")
HAPROXY = os.environ.get("HAPROXY") or shutil.which("haproxy") or "/usr/sbin/haproxy"


def port_free_on_every_node() -> int:
    """A port free on each node's address (the nodes all use it, each on its own address)."""
    while True:
        port = free_port()
        try:
            for host in NODES:
                with socket.socket() as sock:
                    sock.bind((host, port))
            return port
        except OSError:
            continue


def listening(host: str, port: int) -> bool:
    """Whether a socket listens on host:port (Linux /proc/net/tcp, whoever holds it)."""
    return any(_address(address) == host for address, _ in _listening_sockets(port))


def listening_pids(host: str, port: int) -> set:
    """The processes listening on host:port (Linux /proc)."""
    wanted = {f"socket:[{inode}]" for address, inode in _listening_sockets(port) if _address(address) == host}
    pids = set()
    for fd_dir in Path("/proc").glob("[0-9]*/fd"):
        try:
            if any(os.readlink(fd) in wanted for fd in fd_dir.iterdir()):
                pids.add(int(fd_dir.parent.name))
        except OSError:
            continue
    return pids


def eventually(check, what: str, seconds: float = 60):
    deadline = time.monotonic() + seconds
    while True:
        value = check()
        if value:
            return value
        assert time.monotonic() < deadline, f"not within {seconds} s: {what}"
        time.sleep(0.3)


@dataclass
class Cluster(Servers):
    """scripts/cluster.sh running; `rasa_url` and `core_url` are HAProxy's public frontends."""

    node_ports: Dict[str, int] = field(default_factory=dict)
    runs: int = 1

    def node_url(self, role: str, number: int) -> str:
        return f"http://{NODES[number - 1]}:{self.node_ports[role]}"

    def crash(self, role: str, number: int) -> None:
        """SIGKILL the process group of one node's server (`role`: rasa, actions, core), as a crash would."""
        host, port = NODES[number - 1], self.node_ports[role]
        pids = listening_pids(host, port)
        assert pids, f"nothing listens at {host}:{port}"
        for group in {os.getpgid(pid) for pid in pids}:
            os.killpg(group, signal.SIGKILL)
        # down once the listening socket itself is gone: a dying process's /proc/PID/fd is unreadable before its
        # socket closes, and a connection accepted meanwhile into the closing socket's backlog is reset (a 502)
        eventually(lambda: not listening(host, port), f"{host}:{port} is down", 10)

    def in_balance(self) -> bool:
        """HAProxy's monitor: every server of every node is up in the balance."""
        try:
            return requests.get(f"{self.rasa_url}/balancer-health", timeout=5).status_code == 200
        except requests.RequestException:
            return False

    def tracker(self, conversation_id: str) -> dict:
        from tests.assistant.conftest import rasa_tracker
        return rasa_tracker(self.rasa_url, conversation_id)

    def core_get(self, path: str, token=None) -> dict:
        return core_get(self.core_url, path, token)

    def restart(self) -> None:
        """Stop everything (TERM) and start the cluster again with the same databases."""
        assert self.stop() == 143
        started = start_cluster(self.log.parent, dict(self.env), self.node_ports)
        self.process, self.runs = started.process, self.runs + 1


def start_cluster(folder: Path, env: Dict[str, str], node_ports: Dict[str, int]) -> Cluster:
    log = folder / "cluster.log"
    with log.open("a") as handle:
        handle.write(f"\n===== start at {time.ctime()}\n")
        handle.flush()
        offset = handle.tell()
        process = subprocess.Popen([str(ROOT / "scripts/cluster.sh")], cwd=ROOT, env=env, stdout=handle,
                                   stderr=subprocess.STDOUT, start_new_session=True)
    cluster = Cluster(process, log, env, f"http://127.0.0.1:{env['RASA_PORT']}",
                      f"http://127.0.0.1:{env['ACTION_PORT']}", f"http://127.0.0.1:{env['CORE_PORT']}",
                      node_ports=node_ports)
    deadline = time.monotonic() + START_SECONDS
    while READY not in log.read_text(errors="replace")[offset:]:
        if process.poll() is not None or time.monotonic() > deadline:
            cluster.stop()
            raise RuntimeError(f"scripts/cluster.sh did not start:\n{log.read_text(errors='replace')[-4000:]}")
        time.sleep(0.5)
    return cluster


def drop_databases(names: List[str]) -> None:
    import psycopg2

    admin = psycopg2.connect(host="127.0.0.1", port=5432, user="postgres", dbname="postgres")
    admin.autocommit = True
    with admin.cursor() as cursor:
        for name in names:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.close()


@pytest.fixture(scope="module")
def cluster(tmp_path_factory) -> Iterator[Cluster]:
    if not MODEL.exists():
        pytest.fail(f"{MODEL} is missing: run the tests with `make test`, which trains it.")
    if not (Path(HAPROXY).is_file() and os.access(HAPROXY, os.X_OK)):
        missing_service(f"{HAPROXY} is missing (Debian's haproxy; `make cluster-test` installs it)")
    require_postgresql()
    require_redis()
    require_rabbitmq()
    folder = tmp_path_factory.mktemp("cluster")
    suffix = uuid.uuid4().hex[:10]
    tracker_db, core_db = f"cluster_test_conversations_{suffix}", f"cluster_test_core_{suffix}"
    ports = {"RASA_PORT": free_port(), "CORE_PORT": free_port(), "ACTION_PORT": free_port(),
             "CORE_INTERNAL_PORT": free_port()}
    node_ports = {"rasa": port_free_on_every_node(), "actions": port_free_on_every_node(),
                  "core": port_free_on_every_node()}
    env = {**os.environ, **{name: str(port) for name, port in ports.items()},
           "NODE_RASA_PORT": str(node_ports["rasa"]), "NODE_ACTION_PORT": str(node_ports["actions"]),
           "NODE_CORE_PORT": str(node_ports["core"]),
           "RASA": str(ROOT / ".venv/rasa/bin/rasa"), "CORE_PY": str(ROOT / ".venv/core/bin/python"),
           "MODEL": str(MODEL), "PYTHONPATH": str(ROOT), "REDIS_DB": os.environ.get("CLUSTER_REDIS_DB", "15"),
           "TRACKER_DB_NAME": tracker_db,
           "CORE_DATABASE_URL": f"postgresql+psycopg://postgres@127.0.0.1:5432/{core_db}",
           "RASA_SOCKET_URL": f"http://localhost:{ports['RASA_PORT']}", "RABBITMQ_DELETE_ON_EXIT": "yes",
           "DEMO_TOKENS_FILE": str(folder / "demo-tokens.tsv"), "ACTION_SERVER_TOKEN": uuid.uuid4().hex,
           "CUSTOMER_TOKEN_SECRET": TOKEN_SECRET, "CORE_SERVICE_KEY": SERVICE_KEY, "RASA_TOKEN": RASA_TOKEN,
           "CORE_DEMO_MODE": "true", "CORE_DEMO_AGENT_PASSWORD": AGENT_PASSWORD, "SUPPORT_HOURS": "always",
           "SQLALCHEMY_SILENCE_UBER_WARNING": "1", "TF_CPP_MIN_LOG_LEVEL": "3", "RASA_TELEMETRY_ENABLED": "false"}
    running = start_cluster(folder, env, node_ports)
    try:
        yield running
    finally:
        running.stop()
        drop_databases([tracker_db, core_db])


__all__ = ["Cluster", "NODES", "eventually", "server_alive"]
