"""What `make bench` prints: each level's figures, ours against the stock bot's, and where it ran (machine, commit)."""

from __future__ import annotations

import math
import os
import platform
import statistics
import subprocess
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


@dataclass
class Level:
    """One concurrency level's measurements."""

    concurrency: int
    latencies: list[float] = field(default_factory=list)  # seconds, of the turns answered
    errors: int = 0  # turns answered with an HTTP error, nothing, or not at all
    elapsed: float = 0.0
    conversations: int = 0  # conversations started
    fresh_short: int = 0  # fresh conversations replaced because no fresh demo customer was left
    cpu: str = ""  # the servers' CPU per turn (scripts/server_cpu.py)

    @property
    def turns_per_second(self) -> float:
        return len(self.latencies) / self.elapsed if self.elapsed else 0.0

    def quantile(self, percent: int) -> float:
        """The latency below which `percent` % of the turns were answered, in seconds."""
        if len(self.latencies) < 2:
            return self.latencies[0] if self.latencies else float("nan")
        return statistics.quantiles(self.latencies, n=100, method="inclusive")[percent - 1]

    def report(self) -> str:
        turns = len(self.latencies)
        if not turns:
            return f"concurrency {self.concurrency:>3}: no successful turns, errors {self.errors}"
        short = f"  (fresh customers short {self.fresh_short})" if self.fresh_short else ""
        return (f"concurrency {self.concurrency:>3}: turns {turns:>6}  turns/s {self.turns_per_second:7.1f}  "
                f"p50 {self.quantile(50) * 1000:6.1f} ms  p95 {self.quantile(95) * 1000:6.1f} ms  "
                f"p99 {self.quantile(99) * 1000:6.1f} ms  errors {self.errors}  "
                f"conversations {self.conversations}{short}")


def ratio(ours: float, stock: float) -> str:
    """ours / stock to two decimals; '-' when either is missing (no turns) or the stock's is 0."""
    return "-" if not stock or math.isnan(ours) or math.isnan(stock) else f"{ours / stock:.2f}"


def ratios(ours: Level, stock: Level) -> str:
    """Ours against the stock bot at one level: turns/s (higher is better) and p95 (lower is better)."""
    speed = ratio(ours.turns_per_second, stock.turns_per_second)
    return f"concurrency {ours.concurrency:>3}: ours/stock turns/s {speed}  ours/stock p95 " \
        f"{ratio(ours.quantile(95), stock.quantile(95))}"


def machine() -> str:
    """The machine and the software measured: cores, memory, system, Python and Rasa."""
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    try:
        rasa = f", Rasa {metadata.version('rasa')}"
    except metadata.PackageNotFoundError:
        rasa = ""
    return (f"{platform.machine()}, {os.cpu_count()} cores, {memory:.0f} GiB, {platform.platform()}, "
            f"Python {platform.python_version()}{rasa}")


def commit() -> str:
    """The checked-out commit, with '+ uncommitted changes' when the work tree differs from it."""
    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, timeout=30).stdout.strip()

    try:
        head = git("log", "-1", "--format=%h (%cs) %s")
        dirty = git("status", "--porcelain", "--untracked-files=no")
    except (OSError, subprocess.SubprocessError):
        return "unknown (no git)"
    if not head:
        return "unknown"
    return f"{head if len(head) <= 90 else head[:89] + '…'}{' + uncommitted changes' if dirty else ''}"
