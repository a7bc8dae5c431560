"""CPU time of the servers that `make run` started, read from /proc (Linux): stable on a noisy machine, because it
counts what each server process used, not how long a request waited.

Used by scripts/bench.py (CPU milliseconds per turn of Rasa, all its processes, HAProxy in front of them, the
action server and the core) and scripts/bench_idle.py (their share of a core while idle). Servers are told apart by
their command line and, when ports are given, by the `--port` scripts/run.sh passes each: another stack on the same
machine is not counted. Rasa's processes behind HAProxy listen on ports of their own: they are the stack's by their
endpoints file, `build/endpoints-$RASA_PORT.yml`, and HAProxy by its configuration, `build/haproxy-$RASA_PORT.cfg`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

PROC = Path("/proc")
SUPERVISOR = "bot.launcher.supervisor"  # scripts/run.sh's supervisor, the parent of every server
# a server: words its command line contains, and words it must not contain
SERVERS = {
    "rasa": (("rasa", "run", "--model"), ("actions",)),
    "haproxy": (("haproxy", "-f"), ()),  # in front of the Rasa processes; none without HAProxy
    "actions": (("rasa", "actions", "--actions"), ()),  # `rasa run actions` or bot.rasa_ext.action_server
    "core": (("uvicorn", "bot.core.main:app"), ()),
}
OPTIONAL = {"haproxy"}  # a stack may run without it (scripts/run.sh without HAProxy)


def _processes() -> dict[int, tuple[int, list[str]]]:
    """pid -> (parent pid, command line words) of every process that can be read."""
    found = {}
    for entry in PROC.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            words = (entry / "cmdline").read_bytes().decode(errors="replace").split("\0")
            parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        found[int(entry.name)] = (parent, [w for w in words if w])
    return found


def _matches(words: list[str], wanted: tuple[str, ...], unwanted: tuple[str, ...], port: int | None = None) -> bool:
    line = " ".join(words)
    if SUPERVISOR in line:  # its command line holds every server's; its children are counted as themselves
        return False
    return all(w in line for w in wanted) and not any(w in words for w in unwanted) \
        and (port is None or _port(words) == port or _of_rasa_port(words, port))


def _option(words: list[str], name: str) -> str | None:
    """The value of `name V` (or `name=V`) in a command line, None without one."""
    for index, word in enumerate(words):
        if word == name and index + 1 < len(words):
            return words[index + 1]
        if word.startswith(f"{name}="):
            return word.split("=", 1)[1]
    return None


def _port(words: list[str]) -> int | None:
    """The value of `--port N` (or `--port=N`) in a command line, None without one."""
    value = _option(words, "--port")
    return int(value) if value is not None and value.isdigit() else None


def _of_rasa_port(words: list[str], port: int) -> bool:
    """A Rasa process (its endpoints file) or HAProxy (its configuration) of the stack whose RASA_PORT is `port`."""
    return (_option(words, "--endpoints") or "").endswith(f"endpoints-{port}.yml") \
        or (_option(words, "-f") or "").endswith(f"haproxy-{port}.cfg")


def _with_descendants(pids: set[int], processes: dict[int, tuple[int, list[str]]]) -> set[int]:
    children: dict[int, list[int]] = {}
    for pid, (parent, _) in processes.items():
        children.setdefault(parent, []).append(pid)
    found, todo = set(pids), list(pids)
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def server_pids(ports: Mapping[str, int] | None = None) -> dict[str, set[int]]:
    """Each server's processes: those whose command line matches (and, for a server named in `ports`, whose
    `--port` is that port), and all their descendants."""
    processes = _processes()
    result = {}
    for name, (wanted, unwanted) in SERVERS.items():
        port = (ports or {}).get(name, (ports or {}).get("rasa") if name == "haproxy" else None)
        matching = {pid for pid, (_, words) in processes.items() if _matches(words, wanted, unwanted, port)}
        result[name] = _with_descendants(matching, processes)
    return result


def process_tree(pid: int) -> set[int]:
    """A process and all its descendants (a server the bench started itself, e.g. the stock bot)."""
    return _with_descendants({pid}, _processes())


def cpu_seconds(pids: set[int]) -> float:
    """User + system CPU seconds the processes have used (those gone since are not counted)."""
    ticks = 0
    for pid in pids:
        try:
            fields = (PROC / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        ticks += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of stat)
    return ticks / os.sysconf("SC_CLK_TCK")


def snapshot(servers: dict[str, set[int]]) -> dict[str, float]:
    """CPU seconds per server now."""
    return {name: cpu_seconds(pids) for name, pids in servers.items()}


def per_turn(before: dict[str, float], after: dict[str, float], turns: int) -> str:
    """'CPU per turn: rasa 15.0 ms, actions 0.7 ms, core 0.5 ms' between two snapshots."""
    parts = [f"{name} {(after[name] - before[name]) * 1000 / max(turns, 1):.1f} ms" for name in before]
    return "CPU per turn: " + ", ".join(parts)


def share_of_a_core(before: dict[str, float], after: dict[str, float], seconds: float) -> dict[str, float]:
    """Each server's CPU between two snapshots `seconds` apart, in % of one core."""
    return {name: (after[name] - before[name]) * 100 / seconds for name in before}
