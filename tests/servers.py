"""Start the real servers for tests the way `make run` does (scripts/run.sh), on free ports.

Standard library only: both test environments (Rasa's and the core's) use it.
"""

from __future__ import annotations

import ipaddress
import os
import re
import secrets as random_secrets
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Mapping, Optional

ROOT = Path(__file__).resolve().parents[1]
MODEL = ROOT / "models" / "assistant.tar.gz"
READY = "The assistant is running"
START_SECONDS = 240


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _address(hex_address: str) -> str:
    """An address of /proc/net/tcp{,6} ("0100007F", little-endian 32-bit words) as text."""
    raw = bytes.fromhex(hex_address)
    words = b"".join(raw[i:i + 4][::-1] for i in range(0, len(raw), 4))
    return str(ipaddress.ip_address(words))


def _listening_sockets(port: int) -> Iterator[tuple[str, str]]:
    """(local address in hex, socket inode) of every socket listening on TCP `port` (/proc/net/tcp and tcp6)."""
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            address, local_port = fields[1].split(":")
            if fields[3] == "0A" and int(local_port, 16) == port:  # 0A: LISTEN
                yield address, fields[9]


def listening_addresses(port: int) -> set[str]:
    """The local addresses on which some process listens on TCP `port` (Linux)."""
    return {_address(address) for address, _ in _listening_sockets(port)}


def listening_pids(port: int) -> set[int]:
    """The processes that hold a socket listening on TCP `port` (Linux /proc; several for forked workers)."""
    wanted = {f"socket:[{inode}]" for _, inode in _listening_sockets(port)}
    pids = set()
    for fd_dir in Path("/proc").glob("[0-9]*/fd"):
        try:
            if any(os.readlink(fd) in wanted for fd in fd_dir.iterdir()):
                pids.add(int(fd_dir.parent.name))
        except OSError:  # gone, or not ours to read
            continue
    return pids


def several_rasa_processes() -> dict[str, str]:
    """The environment that makes scripts/run.sh start at least two Rasa processes behind HAProxy (one per core as
    `make run`, but never one alone: the server tests go through the balancer's routing on any machine)."""
    return {"RASA_WORKERS": str(max(2, os.cpu_count() or 1))}


@dataclass
class Launched:
    """scripts/run.sh running the core, the action server and Rasa."""

    process: subprocess.Popen
    log: Path
    env: Mapping[str, str]
    rasa_url: str
    actions_url: str
    core_url: str

    @property
    def database_url(self) -> str:
        return self.env["CORE_DATABASE_URL"]

    @property
    def rasa_nodes(self) -> list[str]:
        """The URLs of the Rasa processes behind HAProxy (rasa_url is HAProxy's), from the launcher's banner."""
        line = next(line for line in self.log.read_text(errors="replace").splitlines()
                    if line.strip().startswith("Rasa:"))
        assert " behind HAProxy on " in line, line
        return [f"http://{node}" for node in re.findall(r"127\.0\.0\.1:\d+", line.split(" behind ")[0])]

    def stop(self) -> int:
        """SIGTERM the launcher (as a service manager would) and return its exit code."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=60)


def launch(folder: Path, secrets: Mapping[str, str], extra_env: Optional[Mapping[str, str]] = None) -> Launched:
    """Start scripts/run.sh with a SQLite database in `folder`; returns once it says the assistant is running.

    `secrets` holds CUSTOMER_TOKEN_SECRET and CORE_SERVICE_KEY (ACTION_SERVER_TOKEN: a random one by default);
    `extra_env` anything else (SUPPORT_HOURS...). The demo customers' tokens go to `folder`/demo-tokens.tsv.
    Raises RuntimeError with the end of the log when the servers do not start."""
    rasa_port, action_port, core_port = free_port(), free_port(), free_port()
    env = {**os.environ, "RASA_PORT": str(rasa_port), "ACTION_PORT": str(action_port), "CORE_PORT": str(core_port),
           "RASA": str(ROOT / ".venv/rasa/bin/rasa"), "CORE_PY": str(ROOT / ".venv/core/bin/python"),
           "MODEL": str(MODEL), "CORE_DATABASE_URL": f"sqlite:///{folder / 'core.db'}",
           "RASA_SOCKET_URL": f"http://localhost:{rasa_port}", "PYTHONPATH": str(ROOT),
           "RABBITMQ_DELETE_ON_EXIT": "yes",  # the event queue of these ports goes with the servers
           "DEMO_TOKENS_FILE": str(folder / "demo-tokens.tsv"),
           "ACTION_SERVER_TOKEN": random_secrets.token_hex(16), **secrets, **(extra_env or {})}
    log = folder / "run.log"
    with log.open("w") as handle:
        process = subprocess.Popen([str(ROOT / "scripts/run.sh")], cwd=ROOT, env=env, stdout=handle,
                                   stderr=subprocess.STDOUT, start_new_session=True)
    launched = Launched(process, log, env, f"http://127.0.0.1:{rasa_port}", f"http://127.0.0.1:{action_port}",
                        f"http://127.0.0.1:{core_port}")
    deadline = time.monotonic() + START_SECONDS
    while READY not in log.read_text(errors="replace"):
        if process.poll() is not None or time.monotonic() > deadline:
            launched.stop()
            raise RuntimeError(f"scripts/run.sh did not start:\n{log.read_text(errors='replace')[-4000:]}")
        time.sleep(0.5)
    return launched
