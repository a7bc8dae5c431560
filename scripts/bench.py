"""Load-test the assistant that `make run` started (called by `make bench`).

Simulated customers hold multi-turn conversations over the REST webhook, at concurrency 1, 10 and 50 for a
fixed time each, and the script prints p50/p95/p99 latency, turns/s and errors per level, and the CPU
milliseconds per turn of Rasa, the action server and the core when they run on this machine
(scripts/server_cpu.py). With --train it also times training the model from scratch (into a temporary
directory, so the running model is untouched).

  make bench                       # against localhost:5005, 20 s per level
  make bench BENCH_ARGS="--seconds 60 --train"
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import random
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parent))
import server_cpu  # noqa: E402  (beside this script)

ROOT = Path(__file__).resolve().parents[1]

CONVERSATIONS = [
    ["Laba diena", "Kaip užsiregistruoti verslo paskyrai?", "Kokių dokumentų reikia?", "ne",
     "Kiek laiko trunka patvirtinimas?", "ačiū"],
    ["Hello", "How do I register my products?", "I can't see the MIGRATE PRODUCTS button",
     "What does the green tick mean?", "thanks, bye"],
    ["sveiki", "kokius cps lygius galiu rinktis", "kaip sumoketi uz naryste", "kada nuskaitys nuo korteles",
     "ar pasikeis nario numeris"],
    ["Hi", "Which documents do I need?", "yes", "English please", "When will I get the invoice?", "ok"],
]


@dataclass
class Level:
    concurrency: int
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    elapsed: float = 0.0

    def report(self) -> str:
        turns = len(self.latencies)
        if not turns:
            return f"concurrency {self.concurrency:>3}: no successful turns, errors {self.errors}"
        q = statistics.quantiles(self.latencies, n=100, method="inclusive")
        return (f"concurrency {self.concurrency:>3}: turns {turns:>6}  turns/s {turns / self.elapsed:7.1f}  "
                f"p50 {q[49] * 1000:6.1f} ms  p95 {q[94] * 1000:6.1f} ms  p99 {q[98] * 1000:6.1f} ms  "
                f"errors {self.errors}")


async def customer(session: aiohttp.ClientSession, url: str, level: Level, deadline: float) -> None:
    while time.monotonic() < deadline:
        sender = f"bench-{uuid.uuid4().hex[:12]}"
        for message in random.choice(CONVERSATIONS):
            if time.monotonic() >= deadline:
                return
            start = time.perf_counter()
            try:
                async with session.post(url, json={"sender": sender, "message": message}) as answer:
                    body = await answer.json()
                    ok = answer.status == 200 and isinstance(body, list) and body
            except (aiohttp.ClientError, asyncio.TimeoutError, ValueError):
                ok = False
            if ok:
                level.latencies.append(time.perf_counter() - start)
            else:
                level.errors += 1


async def run_level(url: str, concurrency: int, seconds: float) -> Level:
    level = Level(concurrency)
    timeout = aiohttp.ClientTimeout(total=30)
    # one connection per request, as independent customers arrive; lets every Rasa worker take its share
    connector = aiohttp.TCPConnector(limit=concurrency, force_close=True)
    async with aiohttp.ClientSession(timeout=timeout, connector=connector) as session:
        start = time.monotonic()
        deadline = start + seconds
        await asyncio.gather(*(customer(session, url, level, deadline) for _ in range(concurrency)))
        level.elapsed = time.monotonic() - start
    return level


def time_training() -> float:
    """Seconds to train the whole model from scratch (no cache)."""
    rasa = ROOT / ".venv/rasa/bin/rasa"
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "RASA_CACHE_DIRECTORY": str(Path(tmp) / "cache")}
        start = time.perf_counter()
        subprocess.run([str(rasa), "train", "--domain", "domain", "--out", tmp, "--fixed-model-name", "bench"],
                       cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        return time.perf_counter() - start


def machine() -> str:
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return f"{platform.machine()}, {os.cpu_count()} cores, {memory:.0f} GiB, {platform.platform()}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", default="http://localhost:5005")
    parser.add_argument("--seconds", type=float, default=20.0, help="duration of each concurrency level")
    parser.add_argument("--levels", default="1,10,50")
    parser.add_argument("--train", action="store_true", help="also time training from scratch")
    args = parser.parse_args()
    webhook = f"{args.url}/webhooks/rest/webhook"
    try:
        subprocess.run(["curl", "-fsS", "-o", "/dev/null", args.url], check=True, timeout=10)
    except (subprocess.SubprocessError, FileNotFoundError):
        print(f"No assistant answers at {args.url}: start it with `make run` first.", file=sys.stderr)
        return 1
    print(f"machine: {machine()}")
    servers = server_cpu.server_pids()  # local servers only: none found means no CPU figures
    for concurrency in (int(c) for c in args.levels.split(",")):
        asyncio.run(run_level(webhook, concurrency, min(3.0, args.seconds)))  # warm-up, not counted
        before = server_cpu.snapshot(servers)
        level = asyncio.run(run_level(webhook, concurrency, args.seconds))
        print(level.report(), flush=True)
        if any(servers.values()):
            print(f"  {server_cpu.per_turn(before, server_cpu.snapshot(servers), len(level.latencies))}", flush=True)
    if args.train:
        print(f"training from scratch: {time_training():.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
