"""Load-test the assistant that `make run` started, on the whole conversation mix, beside the stock `rasa init` bot
(called by `make bench`).

Simulated customers hold the scripted conversations of scripts/bench_mix.yml (anonymous FAQ in both languages and
both journeys, signed-in account answers, the four guided flows to completion, a digression and a cancel inside a
flow, a handoff request; each customer picks one conversation after another with the weights stated there) over
the REST webhook, at each concurrency level for a fixed time after a warm-up. Signed-in customers send a
`customer_token` in the message metadata, signed as the support site signs it (scripts/bench_tokens.py); flows
that change an account run on fresh copies of demo customers (scripts/bench_core.py, in the core's database).
Per level it prints turns/s, p50/p95/p99, errors (an HTTP error, a timeout or an empty answer) and the CPU
milliseconds per turn of Rasa (all workers), the action server and the core (scripts/server_cpu.py, the servers
on the given ports). Then it starts the stock `rasa init` bot (trained once into build/stock-bot,
scripts/stock_bot.py), plays its own mix (scripts/stock_bot_mix.yml) at the same levels, stops it, and prints
ours/stock per level. The handoffs open escalations in the core (conversations bench-<run>-<n>); the bench
closes them after each level unless --keep-escalations.

  make bench                                   # against localhost:5005 (RASA_PORT, ACTION_PORT, CORE_PORT)
  make bench BENCH_ARGS="--seconds 60 --train"
  make bench BENCH_ARGS=--check                # play every conversation once, print answers the mix did not expect
  make bench BENCH_ARGS="--list --no-stock"    # the mix, its weights and shares
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import random
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator
from urllib.parse import urlsplit

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parent))
import server_cpu  # noqa: E402  (beside this script)
import stock_bot  # noqa: E402
from bench_answers import ResponseIndex, load_responses  # noqa: E402
from bench_mix import Conversation, Mix, load_mix  # noqa: E402
from bench_report import Level, commit, machine, ratios  # noqa: E402
from bench_tokens import NoSecret, Tokens, token_secret  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
MIX = ROOT / "scripts" / "bench_mix.yml"
STOCK_MIX = ROOT / "scripts" / "stock_bot_mix.yml"
CORE_PY = Path(os.environ.get("CORE_PY", ROOT / ".venv" / "core" / "bin" / "python"))
WARM_UP_SECONDS = 3.0
# the fastest a level could serve, for the number of fresh demo customers to prepare (cheap: ~2 ms each)
MAX_TURNS_PER_SECOND = 400


class BenchError(RuntimeError):
    """The bench cannot go on (said to the user, no traceback)."""


def core_command(*args: str) -> str:
    """Run scripts/bench_core.py in the core environment on the running core's database; its output."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([str(CORE_PY), str(ROOT / "scripts" / "bench_core.py"), *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=600)
    if done.returncode:
        raise BenchError(f"scripts/bench_core.py {args[0]}: {done.stderr.strip() or done.returncode}")
    return done.stdout


class FreshCustomers:
    """Fresh copies of demo customers, made ahead of each level and used once each."""

    def __init__(self, run_id: str) -> None:
        self.run_id, self.batches, self.used = run_id, 0, 0
        self.ids: dict[str, list[str]] = {}

    def top_up(self, wanted: dict[str, int]) -> None:
        missing = {demo: n - len(self.ids.get(demo, [])) for demo, n in wanted.items()}
        words = [f"{demo}={n}" for demo, n in missing.items() if n > 0]
        if not words:
            return
        self.batches += 1
        for line in core_command("clone", f"{self.run_id}-c{self.batches}", *words).splitlines():
            demo, new_id = line.split("\t")
            self.ids.setdefault(demo, []).append(new_id)

    def take(self, demo: str) -> str | None:
        ids = self.ids.get(demo)
        if not ids:
            return None
        self.used += 1
        return ids.pop()

    def left(self) -> set[str]:
        return {demo for demo, ids in self.ids.items() if ids}


@dataclass
class Target:
    """A bot under test: where it answers, its mix, its customers and how to read its servers' CPU."""

    name: str
    url: str
    mix: Mix
    servers: Callable[[], dict[str, set[int]]]
    run_id: str
    tokens: Tokens | None = None
    fresh: FreshCustomers | None = None
    close_escalations: bool = False
    senders: Iterator[int] = field(default_factory=itertools.count)

    @property
    def webhook(self) -> str:
        return f"{self.url}/webhooks/rest/webhook"

    def prepare(self, seconds: float, concurrency: int) -> None:
        """Fresh demo customers enough for a level of `seconds` (warm-up included)."""
        needed = self.mix.fresh_needed(seconds, MAX_TURNS_PER_SECOND, concurrency)
        if needed:
            if self.fresh is None:
                raise BenchError(f"{self.name}: the mix has fresh customers but no core database to copy them in")
            self.fresh.top_up(needed)

    def start(self, conversation: Conversation, level: Level | None) -> tuple[str, dict[str, str]] | None:
        """A new conversation's sender and metadata; None when it needs a fresh customer and none is left."""
        customer_id = conversation.customer.demo
        if conversation.customer.fresh:
            customer_id = self.fresh.take(customer_id) if self.fresh else None
            if customer_id is None:
                return None
        metadata = {}
        if customer_id:
            if self.tokens is None:
                raise BenchError(f"{self.name}: signed-in customers need CUSTOMER_TOKEN_SECRET")
            metadata = {"customer_token": self.tokens.of(customer_id)}
        if level is not None:
            level.conversations += 1
        return f"{self.run_id}-{next(self.senders)}", metadata

    def pick(self, rng: random.Random, level: Level) -> tuple[Conversation, str, dict[str, str]]:
        conversation = self.mix.pick(rng)
        started = self.start(conversation, level)
        if started is None:  # no fresh customer left: another conversation, counted
            level.fresh_short += 1
            conversation = self.mix.pick(rng, self.fresh.left() if self.fresh else set())
            started = self.start(conversation, level)
        if started is None:
            raise BenchError("no conversation can start")
        return conversation, *started

    def after_level(self) -> str:
        """Close this run's escalations (the handoffs' conversations); what was done."""
        if not self.close_escalations:
            return ""
        closed = int(core_command("close-escalations", f"{self.run_id}-").strip() or 0)
        return f"closed the {closed} escalation{'s' * (closed != 1)} its handoffs opened" if closed else ""


async def send(session: aiohttp.ClientSession, target: Target, sender: str, text: str,
               metadata: dict[str, str]) -> list[dict[str, Any]] | None:
    """The bot's messages for one customer message; None for an HTTP error, a timeout or an empty answer."""
    try:
        body = {"sender": sender, "message": text, "metadata": metadata}
        async with session.post(target.webhook, json=body) as answer:
            messages = await answer.json()
            return messages if answer.status == 200 and isinstance(messages, list) and messages else None
    except (aiohttp.ClientError, asyncio.TimeoutError, ValueError):
        return None


async def customer(session: aiohttp.ClientSession, target: Target, level: Level, deadline: float) -> None:
    """One simulated customer: conversations one after another until the deadline; an error ends one."""
    rng = random.Random()
    while time.monotonic() < deadline:
        conversation, sender, metadata = target.pick(rng, level)
        for turn in conversation.turns:
            if time.monotonic() >= deadline:
                return
            start = time.perf_counter()
            if await send(session, target, sender, turn.say, metadata) is None:
                level.errors += 1
                break
            level.latencies.append(time.perf_counter() - start)


def client(concurrency: int) -> aiohttp.ClientSession:
    # one connection per request, as independent customers arrive; lets every Rasa worker take its share
    connector = aiohttp.TCPConnector(limit=concurrency, force_close=True)
    return aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30), connector=connector)


async def run_level(target: Target, concurrency: int, seconds: float) -> Level:
    level = Level(concurrency)
    async with client(concurrency) as session:
        start = time.monotonic()
        deadline = start + seconds
        await asyncio.gather(*(customer(session, target, level, deadline) for _ in range(concurrency)))
        level.elapsed = time.monotonic() - start
    return level


def run_levels(target: Target, levels: list[int], seconds: float) -> list[Level]:
    print(f"\n{target.name} ({target.url})", flush=True)
    servers = target.servers()  # local servers only: none found means no CPU figures
    results = []
    for concurrency in levels:
        warm_up = min(WARM_UP_SECONDS, seconds)
        target.prepare(seconds + warm_up, concurrency)
        asyncio.run(run_level(target, concurrency, warm_up))  # not counted
        target.after_level()  # nor are the escalations its handoffs opened
        before = server_cpu.snapshot(servers)
        level = asyncio.run(run_level(target, concurrency, seconds))
        print(level.report(), flush=True)
        if any(servers.values()):
            print(f"  {server_cpu.per_turn(before, server_cpu.snapshot(servers), len(level.latencies))}", flush=True)
        done = target.after_level()
        if done:
            print(f"  ({done})", flush=True)
        results.append(level)
    return results


async def check(target: Target) -> int:
    """Play every conversation once; print each turn whose answer the mix does not expect. The mismatches."""
    index = ResponseIndex.of(load_responses(target.mix.domain))
    mismatches = 0
    async with client(1) as session:
        for conversation in target.mix.conversations:
            started = target.start(conversation, None)
            if started is None:
                raise BenchError(f"{conversation.name}: no fresh customer")
            sender, metadata = started
            why = None
            for number, turn in enumerate(conversation.turns, 1):
                messages = await send(session, target, sender, turn.say, metadata) or []
                texts = [m["text"] for m in messages if m.get("text")]  # an image alone is not named
                why = turn.mismatch([index.name(text) for text in texts], target.mix.default_language)
                if why:
                    mismatches += 1
                    print(f"  MISMATCH {conversation.name} turn {number} {turn.say!r}: {why}")
                    print("".join(f"    | {text[:160]!r}\n" for text in texts), end="")
                    break  # the rest of the script would not fit the conversation any more
            print(f"  {'ok' if why is None else '--'} {conversation.name} ({len(conversation.turns)} turns)",
                  flush=True)
    return mismatches


def shown(path: Path) -> str:
    """A path as the user would type it: relative to the repository when inside it."""
    return str(path.resolve().relative_to(ROOT)) if path.resolve().is_relative_to(ROOT) else str(path)


def answers(url: str) -> bool:
    try:
        subprocess.run(["curl", "-fsS", "-o", "/dev/null", url], check=True, timeout=10, capture_output=True)
        return True
    except (subprocess.SubprocessError, FileNotFoundError):
        return False


def time_training() -> float:
    """Seconds to train the whole model from scratch (no cache)."""
    rasa = ROOT / ".venv/rasa/bin/rasa"
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "RASA_CACHE_DIRECTORY": str(Path(tmp) / "cache")}
        start = time.perf_counter()
        subprocess.run([str(rasa), "train", "--domain", "domain", "--out", tmp, "--fixed-model-name", "bench"],
                       cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        return time.perf_counter() - start


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", default=f"http://localhost:{os.environ.get('RASA_PORT', '5005')}",
                        help="our Rasa server (default: localhost, port RASA_PORT or 5005)")
    parser.add_argument("--action-port", type=int, default=int(os.environ.get("ACTION_PORT", 5055)),
                        help="our action server's port, for its CPU (default: ACTION_PORT or 5055)")
    parser.add_argument("--core-port", type=int, default=int(os.environ.get("CORE_PORT", 8000)),
                        help="the core service's port, for its CPU (default: CORE_PORT or 8000)")
    parser.add_argument("--seconds", type=float, default=20.0, help="duration of each concurrency level")
    parser.add_argument("--levels", default="1,10,50")
    parser.add_argument("--mix", type=Path, default=MIX, help="our conversation mix")
    parser.add_argument("--stock-mix", type=Path, default=STOCK_MIX, help="the stock bot's conversation mix")
    parser.add_argument("--no-stock", action="store_true", help="skip the stock rasa init bot")
    parser.add_argument("--stock-port", type=int, default=stock_bot.DEFAULT_PORT)
    parser.add_argument("--check", action="store_true",
                        help="play every conversation once and print the answers the mix does not expect")
    parser.add_argument("--list", action="store_true", help="print the mixes with their weights and stop")
    parser.add_argument("--keep-escalations", action="store_true",
                        help="leave the escalations the handoffs open (default: closed after each level)")
    parser.add_argument("--train", action="store_true", help="also time training from scratch")
    return parser.parse_args(argv)


def our_target(args: argparse.Namespace, run_id: str) -> Target:
    mix = load_mix(args.mix)
    signed_in = any(c.customer.demo for c in mix.conversations)
    try:
        tokens = Tokens(token_secret()) if signed_in else None
    except NoSecret as error:
        raise BenchError(f"signed-in conversations need the customer token secret: {error}") from None
    ports = {"rasa": urlsplit(args.url).port or 80, "actions": args.action_port, "core": args.core_port}
    return Target("ours", args.url.rstrip("/"), mix, lambda: server_cpu.server_pids(ports), run_id, tokens,
                  FreshCustomers(run_id), close_escalations=not args.keep_escalations)


def with_stock_bot(args: argparse.Namespace, run_id: str, play: Callable[[Target], Any]) -> Any:
    """Prepare and start the stock bot, `play` it, stop it."""
    model = stock_bot.prepare()
    redis = stock_bot.Redis.from_env()
    bot = stock_bot.StockBot(model, args.stock_port, redis if redis.answers() else None)
    try:
        bot.wait_until_up()
        print(f"\nstock rasa init bot: {shown(model)}, {bot.workers} Sanic workers, stores {bot.stores}",
              flush=True)
        target = Target("stock rasa init bot", bot.url, load_mix(args.stock_mix),
                        lambda: {"rasa": server_cpu.process_tree(bot.process.pid)}, f"{run_id}-stock")
        return play(target)
    finally:
        bot.stop()


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.list:
        for path in (args.mix,) if args.no_stock else (args.mix, args.stock_mix):
            mix = load_mix(path)
            print(f"{shown(path)}: {len(mix.conversations)} conversations, "
                  f"{mix.mean_turns():.1f} turns each on average")
            print("\n".join(f"  {line}" for line in mix.summary()))
        return 0
    if not answers(args.url):
        print(f"No assistant answers at {args.url}: start it with `make run` first.", file=sys.stderr)
        return 1
    run_id = f"bench-{uuid.uuid4().hex[:8]}"
    try:
        ours = our_target(args, run_id)
        if args.check:
            return run_check(args, ours, run_id)
        print(f"machine: {machine()}\ncommit: {commit()}\nrun: {run_id}, {args.seconds:g} s per level after a "
              f"{min(WARM_UP_SECONDS, args.seconds):g} s warm-up", flush=True)
        levels = [int(c) for c in args.levels.split(",")]
        our_levels = run_levels(ours, levels, args.seconds)
        if ours.fresh and ours.fresh.used:
            print(f"  ({ours.fresh.used} fresh demo customers used, ids {run_id}-c*)")
        if not args.no_stock:
            stock_levels = with_stock_bot(args, run_id, lambda target: run_levels(target, levels, args.seconds))
            print("\nours against the stock bot")
            print("\n".join(ratios(o, s) for o, s in zip(our_levels, stock_levels, strict=True)))
    except (BenchError, stock_bot.StockBotError) as error:
        print(error, file=sys.stderr)
        return 1
    if args.train:
        print(f"training from scratch: {time_training():.1f} s")
    return 0


def run_check(args: argparse.Namespace, ours: Target, run_id: str) -> int:
    print(f"checking {shown(args.mix)} against {ours.url}", flush=True)
    if ours.fresh:
        ours.fresh.top_up(ours.mix.fresh_conversations())
    mismatches = asyncio.run(check(ours))
    ours.after_level()
    if not args.no_stock:
        print(f"checking {shown(args.stock_mix)} against the stock bot", flush=True)
        mismatches += with_stock_bot(args, run_id, lambda target: asyncio.run(check(target)))
    print(f"{mismatches} conversations answered otherwise than the mix expects" if mismatches
          else "every answer as the mix expects")
    return 1 if mismatches else 0


if __name__ == "__main__":
    sys.exit(main())
