"""The idle cost of the assistant that `make run` started, with a long handoff queue (called by `make bench-idle`).

Measures the CPU each server uses while nothing happens (`--seconds`, 30 by default): Rasa (all its workers), the
action server and the core, in % of one core, and the core and Rasa together (issue 13's target: below 2% with 500
open escalations). First with the queue as it is (the baseline; --no-baseline skips it), then after real
handovers: `--escalations` customers (500) each write "noriu kalbėti su žmogumi" over the REST webhook from a
conversation of their own (bench-idle-<run>-<n>), so that the core holds 500 waiting escalations and Rasa 500
paused conversations; a few seconds to settle, and the idle measurement again. The servers are those on the
given ports (scripts/server_cpu.py), so they must run on this machine.

Afterwards the run's escalations are closed in the core's database (scripts/bench_core.py: marked announced, so
the core pushes no hand-backs; the paused conversations stay in Rasa's tracker store until they expire);
--keep leaves them open. `--cleanup` only closes every open escalation of a bench conversation (bench-*), e.g.
after an interrupted run.

  make bench-idle
  make bench-idle BENCH_IDLE_ARGS="--escalations 100 --seconds 10"
  make bench-idle BENCH_IDLE_ARGS=--cleanup
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parent))
import server_cpu  # noqa: E402  (beside this script)
from bench import BenchError, answers, core_command  # noqa: E402
from bench_answers import ResponseIndex, load_responses  # noqa: E402
from bench_report import commit, machine  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
HANDOFF_MESSAGE = "noriu kalbėti su žmogumi"
HANDED_OVER = frozenset({"utter_handoff_queued", "utter_handoff_out_of_hours"})
PREFIX = "bench-idle-"
ALL_BENCH_CONVERSATIONS = "bench-"  # make bench's and make bench-idle's


async def hand_over(session: aiohttp.ClientSession, webhook: str, sender: str, index: ResponseIndex) -> bool:
    """One customer asks for a person; whether the answer says the conversation was handed over."""
    try:
        async with session.post(webhook, json={"sender": sender, "message": HANDOFF_MESSAGE}) as answer:
            messages = await answer.json() if answer.status == 200 else []
    except (aiohttp.ClientError, asyncio.TimeoutError, ValueError):
        return False
    names = index.names([m["text"] for m in messages or [] if m.get("text")])
    return bool(names) and set(names) <= HANDED_OVER


async def open_escalations(url: str, run: str, count: int, concurrency: int) -> int:
    """`count` handovers from conversations `<run>-<n>`, `concurrency` at a time; how many were handed over."""
    index = ResponseIndex.of(load_responses(ROOT / "domain"))
    webhook = f"{url}/webhooks/rest/webhook"
    numbers = iter(range(count))
    done = 0

    async def worker(session: aiohttp.ClientSession) -> None:
        nonlocal done
        for n in numbers:
            handed = await hand_over(session, webhook, f"{run}-{n}", index)
            done += handed  # after the await: `done += await ...` would read `done` before it

    connector = aiohttp.TCPConnector(limit=concurrency, force_close=True)
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60), connector=connector) as session:
        await asyncio.gather(*(worker(session) for _ in range(concurrency)))
    return done


def idle_cpu(servers: dict[str, set[int]], seconds: float) -> dict[str, float]:
    """Each server's CPU over `seconds` of waiting, in % of one core."""
    before, start = server_cpu.snapshot(servers), time.monotonic()
    time.sleep(seconds)
    return server_cpu.share_of_a_core(before, server_cpu.snapshot(servers), time.monotonic() - start)


def report(label: str, shares: dict[str, float]) -> str:
    parts = "  ".join(f"{name} {share:5.2f}%" for name, share in shares.items())
    return f"{label}: {parts}  | core + rasa {shares['core'] + shares['rasa']:5.2f}% of one core"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", default=f"http://localhost:{os.environ.get('RASA_PORT', '5005')}",
                        help="our Rasa server (default: localhost, port RASA_PORT or 5005)")
    parser.add_argument("--action-port", type=int, default=int(os.environ.get("ACTION_PORT", 5055)))
    parser.add_argument("--core-port", type=int, default=int(os.environ.get("CORE_PORT", 8000)))
    parser.add_argument("--escalations", type=int, default=500, help="handovers to open")
    parser.add_argument("--concurrency", type=int, default=20, help="handovers at a time")
    parser.add_argument("--settle", type=float, default=5.0, help="seconds between the handovers and measuring")
    parser.add_argument("--seconds", type=float, default=30.0, help="length of each idle measurement")
    parser.add_argument("--no-baseline", action="store_true", help="skip the measurement before the handovers")
    parser.add_argument("--keep", action="store_true", help="leave the run's escalations open")
    parser.add_argument("--cleanup", action="store_true",
                        help="only close every open escalation of a bench conversation (bench-*)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        if args.cleanup:
            closed = core_command("close-escalations", ALL_BENCH_CONVERSATIONS).strip()
            print(f"closed {closed} open escalations of bench conversations ({ALL_BENCH_CONVERSATIONS}*)")
            return 0
        return measure(args)
    except BenchError as error:
        print(error, file=sys.stderr)
        return 1


def measure(args: argparse.Namespace) -> int:
    url = args.url.rstrip("/")
    if not answers(url):
        print(f"No assistant answers at {url}: start it with `make run` first.", file=sys.stderr)
        return 1
    ports = {"rasa": urlsplit(url).port or 80, "actions": args.action_port, "core": args.core_port}
    servers = server_cpu.server_pids(ports)
    missing = [name for name, pids in servers.items() if not pids and name not in server_cpu.OPTIONAL]
    if missing:
        raise BenchError(f"no {', '.join(missing)} process on this machine with the ports {ports}")
    run = f"{PREFIX}{uuid.uuid4().hex[:8]}"
    print(f"machine: {machine()}\ncommit: {commit()}\nrun: {run}, idle measured over {args.seconds:g} s", flush=True)
    if not args.no_baseline:
        open_before = core_command("open-escalations").strip()
        print(report(f"idle, {open_before} open escalations", idle_cpu(servers, args.seconds)), flush=True)
    try:
        start = time.monotonic()
        handed = asyncio.run(open_escalations(url, run, args.escalations, args.concurrency))
        print(f"handed over {handed} of {args.escalations} conversations in {time.monotonic() - start:.1f} s "
              f"(concurrency {args.concurrency})", flush=True)
        time.sleep(args.settle)
        open_now = core_command("open-escalations").strip()
        print(report(f"idle, {open_now} open escalations", idle_cpu(servers, args.seconds)), flush=True)
    finally:
        if args.keep:
            print(f"left open: the escalations of {run}-* (close them with `make bench-idle "
                  f"BENCH_IDLE_ARGS=--cleanup`)")
        else:
            print(f"closed the {core_command('close-escalations', f'{run}-').strip()} escalations of this run")
    return 0 if handed == args.escalations else 1


if __name__ == "__main__":
    sys.exit(main())
