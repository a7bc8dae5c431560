"""The stock `rasa init` bot, measured by `make bench` beside ours in the same run (scripts/bench.py).

`prepare()` creates it once into build/stock-bot (`rasa init --no-prompt`, which trains it; `rasa train` there
if no model came out) and later runs reuse it. `StockBot` starts it on its own port with the same number of
Sanic workers and the same kind of stores as scripts/run.sh gives ours: with Redis, the Redis tracker and lock
stores (same Redis and database, its own key prefix) and one worker per core (RASA_WORKERS overrides); without,
one worker with in-memory stores. Its stories need no action server (rasa init's actions are commented out).
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FOLDER = ROOT / "build" / "stock-bot"
RASA = ROOT / ".venv" / "rasa" / "bin" / "rasa"
KEY_PREFIX = "stockbot"  # ours is "canonassistant" (scripts/run.sh)
DEFAULT_PORT = 5105


class StockBotError(RuntimeError):
    """The stock bot could not be made or started (the message says where its log is)."""


@dataclass(frozen=True)
class Redis:
    host: str = "127.0.0.1"
    port: int = 6379
    db: int = 0

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> Redis:
        """REDIS_HOST, REDIS_PORT, REDIS_DB as scripts/run.sh reads them."""
        return cls(env.get("REDIS_HOST", cls.host), int(env.get("REDIS_PORT", cls.port)),
                   int(env.get("REDIS_DB", cls.db)))

    def answers(self) -> bool:
        """Whether a Redis server answers PING here (as scripts/run.sh checks)."""
        try:
            with socket.create_connection((self.host, self.port), timeout=2) as connection:
                connection.sendall(b"PING\r\n")
                return connection.recv(16).startswith(b"+PONG")
        except OSError:
            return False


def endpoints(redis: Redis | None) -> str:
    """The stock bot's endpoints file: the Redis tracker and lock stores under its own key prefix, or nothing
    (in-memory stores) without Redis."""
    if redis is None:
        return "# no Redis: in-memory tracker and lock stores, one Sanic worker\n"
    stores = []
    for store in ("tracker_store", "lock_store"):
        stores.append(f"{store}:\n  type: redis\n  url: {redis.host}\n  port: {redis.port}\n  db: {redis.db}\n"
                      f"  key_prefix: {KEY_PREFIX}\n")
    stores[0] += "  record_exp: 604800\n"
    return "".join(stores)


def workers(redis: Redis | None, env: Mapping[str, str] = os.environ) -> int:
    """Sanic workers as scripts/run.sh runs ours: RASA_WORKERS or one per core with Redis, one without."""
    if redis is None:
        return 1
    return int(env.get("RASA_WORKERS") or os.cpu_count() or 1)


def newest_model(folder: Path = FOLDER) -> Path | None:
    models = sorted((folder / "models").glob("*.tar.gz"), key=lambda p: p.stat().st_mtime)
    return models[-1] if models else None


def prepare(folder: Path = FOLDER) -> Path:
    """The stock bot's model: made once (`rasa init --no-prompt`, else `rasa train`), then reused."""
    model = newest_model(folder)
    if model is not None:
        return model
    log = folder.with_name(f"{folder.name}.log")
    if not (folder / "domain.yml").is_file():
        shutil.rmtree(folder, ignore_errors=True)  # a half-made project of an interrupted run
        folder.mkdir(parents=True)
        print(f"Creating and training the stock `rasa init` bot in {folder} (once; about two minutes; log {log})",
              flush=True)
        _run([str(RASA), "init", "--no-prompt", "--init-dir", str(folder)], ROOT, log)
    if newest_model(folder) is None:
        print(f"Training the stock `rasa init` bot in {folder} (log {log})", flush=True)
        _run([str(RASA), "train"], folder, log)
    model = newest_model(folder)
    if model is None:
        raise StockBotError(f"no model in {folder / 'models'} after training the stock bot (see {log})")
    return model


def _run(command: list[str], cwd: Path, log: Path) -> None:
    """Run a Rasa command with its output in `log`; StockBotError naming the log when it fails."""
    with log.open("a") as output:
        done = subprocess.run(command, cwd=cwd, env={**os.environ, "RASA_TELEMETRY_ENABLED": "false"},
                              stdout=output, stderr=subprocess.STDOUT)
    if done.returncode:
        raise StockBotError(f"`{' '.join(command[1:])}` failed for the stock bot (see {log})")


class StockBot:
    """The stock bot running on `port` until stopped (its own process group, so its workers stop with it)."""

    def __init__(self, model: Path, port: int, redis: Redis | None, folder: Path = FOLDER) -> None:
        self.port, self.workers = port, workers(redis)
        self.stores = "in memory" if redis is None else \
            f"Redis {redis.host}:{redis.port} db {redis.db}, key prefix {KEY_PREFIX}"
        endpoints_file = folder / f"endpoints-bench-{port}.yml"
        endpoints_file.write_text(endpoints(redis))
        env = {**os.environ, "SANIC_WORKERS": str(self.workers), "RASA_TELEMETRY_ENABLED": "false"}
        self.log = (folder / f"bench-{port}.log").open("w")
        self.process = subprocess.Popen(
            [str(RASA), "run", "--model", str(model), "--port", str(port), "--endpoints", str(endpoints_file),
             "--credentials", str(folder / "credentials.yml")],
            cwd=folder, env=env, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)

    @property
    def url(self) -> str:
        return f"http://localhost:{self.port}"

    def wait_until_up(self, seconds: float = 240) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise StockBotError(f"the stock bot exited during start-up (see {self.log.name})")
            try:
                urllib.request.urlopen(self.url, timeout=2).close()
                return
            except OSError:
                time.sleep(1)
        raise StockBotError(f"the stock bot did not start within {seconds:.0f} s (see {self.log.name})")

    def stop(self) -> None:
        for sent, wait in ((signal.SIGTERM, 20), (signal.SIGKILL, 10)):
            try:
                os.killpg(self.process.pid, sent)
            except ProcessLookupError:
                break
            try:
                self.process.wait(wait)
                break
            except subprocess.TimeoutExpired:
                continue
        self.log.close()
