"""The supervisor of `make run` (standard library only): starts the servers, restarts one that crashes, and stops
them all on one TERM or INT.

    python -m bot.launcher.supervisor [--banner FILE] [--stop-seconds 10] [--first-backoff 1] ... \\
        --service core http://127.0.0.1:8000/health python -m uvicorn ... \\
        --service actions - python -m bot.rasa_ext.action_server ... \\
        [--finally COMMAND...]

- Each server runs in its own session and process group; stopping one signals the whole group, so that worker
  processes (Rasa's Sanic workers) go too.
- Start-up: once every health URL ("-": none) answers, the banner file is printed. A server that exits before
  that is a start-up failure: everything stops, exit code 1.
- After start-up a server that exits is started again after a back-off: FIRST_BACKOFF seconds, doubling up to
  MAX_BACKOFF, back to FIRST_BACKOFF once it had stayed up STABLE_SECONDS. Each exit and restart is logged with
  the exit code on stderr.
- TERM or INT: every group gets TERM; what is still alive after STOP_SECONDS gets KILL. Signals that arrive
  during the stop are ignored (the stop always completes). Then the `--finally` command runs (at most
  FINALLY_SECONDS), and the supervisor exits with 128 + the signal's number (143 for TERM, 130 for INT).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional, TextIO

POLL_SECONDS = 0.1
KILL_WAIT_SECONDS = 2.0
FINALLY_SECONDS = 2.0


@dataclass
class Options:
    stop_seconds: float = 10.0  # TERM, then KILL: with the KILL's wait and --finally, within 15 s
    first_backoff: float = 1.0
    max_backoff: float = 30.0
    stable_seconds: float = 60.0
    start_seconds: float = 240.0
    banner: Optional[Path] = None
    finally_command: list[str] = field(default_factory=list)


@dataclass
class Service:
    name: str
    health_url: Optional[str]
    command: list[str]
    process: Optional[subprocess.Popen] = None
    started_at: float = 0.0
    restarts: int = 0
    delay: float = 0.0  # the next back-off
    restart_at: Optional[float] = None


def next_delay(previous: float, uptime: float, options: Options) -> float:
    """The back-off before restarting a server that stayed up `uptime` seconds (`previous`: the last one, 0 at
    first)."""
    if previous <= 0 or uptime >= options.stable_seconds:
        return options.first_backoff
    return min(previous * 2, options.max_backoff)


def exit_text(code: int) -> str:
    return f"killed by signal {-code}" if code < 0 else f"exit code {code}"


# ------------------------------------------------------------------ process groups


def group_members(group: int) -> list[int]:
    """Live (not zombie) processes of process group `group`, from /proc; [group] or [] where /proc is missing."""
    proc = Path("/proc")
    if not proc.is_dir():
        try:
            os.killpg(group, 0)
            return [group]
        except OSError:
            return []
    members = []
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            state, _parent, pgrp = (entry / "stat").read_text().rsplit(")", 1)[1].split()[:3]
        except (OSError, ValueError):
            continue
        if int(pgrp) == group and state != "Z":
            members.append(int(entry.name))
    return members


def signal_group(group: int, signum: int) -> None:
    try:
        os.killpg(group, signum)
    except (ProcessLookupError, PermissionError):
        pass


# ------------------------------------------------------------------ the supervisor


class Supervisor:
    def __init__(self, services: list[Service], options: Options, log: TextIO = sys.stderr) -> None:
        self.services = services
        self.options = options
        self.log = log
        self.stop_signal: Optional[int] = None

    def say(self, text: str) -> None:
        print(f"supervisor: {text}", file=self.log, flush=True)

    # signals: only noted here; the main loop acts on them, and the stop itself never looks at them again
    def install_signal_handlers(self) -> None:
        # HUP: the terminal closed (the servers, in their own sessions, would not get it); QUIT: Ctrl-\
        for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGQUIT):
            signal.signal(signum, self._on_signal)

    def _on_signal(self, signum: int, _frame: object) -> None:
        if self.stop_signal is None:
            self.stop_signal = signum

    def start(self, service: Service) -> None:
        service.process = subprocess.Popen(service.command, stdin=subprocess.DEVNULL, start_new_session=True)
        service.started_at = time.monotonic()
        service.restart_at = None

    def sleep(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while self.stop_signal is None and time.monotonic() < deadline:
            time.sleep(min(POLL_SECONDS, max(deadline - time.monotonic(), 0)))

    def _healthy(self, service: Service) -> bool:
        if not service.health_url:
            return True
        try:
            with urllib.request.urlopen(service.health_url, timeout=1) as answer:
                return 200 <= answer.status < 300
        except (OSError, ValueError):
            return False

    def wait_ready(self) -> bool:
        """True once every server answers; False on a stop signal, a server's exit, or after start_seconds."""
        waiting = list(self.services)
        deadline = time.monotonic() + self.options.start_seconds
        while waiting and self.stop_signal is None:
            for service in list(waiting):
                if self.stop_signal is not None:
                    break
                code = service.process.poll() if service.process else None
                if code is not None:
                    self.say(f"{service.name} exited during start-up ({exit_text(code)}); stopping everything")
                    return False
                if self._healthy(service):
                    waiting.remove(service)
            if time.monotonic() > deadline:
                names = ", ".join(s.name for s in waiting)
                self.say(f"{names} did not start within {self.options.start_seconds:.0f} s; stopping everything")
                return False
            if waiting:
                self.sleep(0.5)
        return self.stop_signal is None

    def check(self) -> None:
        """Notice exited servers (their leftover processes get TERM) and restart those whose back-off is over."""
        now = time.monotonic()
        for service in self.services:
            process = service.process
            if service.restart_at is None and process is not None and process.poll() is not None:
                uptime = now - service.started_at
                service.delay = next_delay(service.delay, uptime, self.options)
                service.restart_at = now + service.delay
                signal_group(process.pid, signal.SIGTERM)
                self.say(f"{service.name} stopped ({exit_text(process.returncode)}) after {uptime:.1f} s; "
                         f"restarting it in {service.delay:g} s")
            elif service.restart_at is not None and now >= service.restart_at:
                if process is not None:
                    signal_group(process.pid, signal.SIGKILL)  # what its TERM left behind
                service.restarts += 1
                self.start(service)
                self.say(f"{service.name} restarted (restart {service.restarts}, pid {service.process.pid})")

    def supervise(self) -> None:
        while self.stop_signal is None:
            self.check()
            time.sleep(POLL_SECONDS)

    def stop(self) -> None:
        """TERM every server's group, KILL what is left after stop_seconds. Ignores any signal meanwhile."""
        groups = [s.process.pid for s in self.services if s.process is not None]
        for group in groups:
            signal_group(group, signal.SIGTERM)
        if not self._wait_gone(groups, self.options.stop_seconds):
            left = [g for g in groups if group_members(g)]
            self.say(f"forcing {len(left)} server(s) to stop (still running after "
                     f"{self.options.stop_seconds:g} s)")
            for group in left:
                signal_group(group, signal.SIGKILL)
            self._wait_gone(groups, KILL_WAIT_SECONDS)
        for service in self.services:
            if service.process is not None:
                try:
                    service.process.wait(timeout=0.5)
                except subprocess.TimeoutExpired:
                    pass

    def _wait_gone(self, groups: list[int], seconds: float) -> bool:
        deadline = time.monotonic() + seconds
        while True:
            for service in self.services:
                if service.process is not None:
                    service.process.poll()  # reap the leaders, so that they do not count as alive
            if not any(group_members(g) for g in groups):
                return True
            if time.monotonic() >= deadline:
                return False
            time.sleep(POLL_SECONDS)

    def run_finally(self) -> None:
        if not self.options.finally_command:
            return
        try:
            subprocess.run(self.options.finally_command, stdin=subprocess.DEVNULL, timeout=FINALLY_SECONDS,
                           check=False)
        except (OSError, subprocess.TimeoutExpired) as error:
            self.say(f"the final command failed: {type(error).__name__}")

    def run(self) -> int:
        """Start, wait until ready, print the banner, supervise until a signal; the exit code."""
        self.install_signal_handlers()
        try:
            for service in self.services:
                if self.stop_signal is None:
                    self.start(service)
            if self.wait_ready():
                if self.options.banner is not None:
                    print(self.options.banner.read_text(), flush=True)
                self.supervise()
        finally:  # whatever happened (an error in a restart too), no server is left behind
            self.stop()
            self.run_finally()
        return 128 + self.stop_signal if self.stop_signal is not None else 1


# ------------------------------------------------------------------ the command line


OPTION_NAMES = {"--stop-seconds": "stop_seconds", "--first-backoff": "first_backoff",
                "--max-backoff": "max_backoff", "--stable-seconds": "stable_seconds",
                "--start-seconds": "start_seconds"}


class UsageError(ValueError):
    pass


def parse(argv: list[str]) -> tuple[list[Service], Options]:
    """Options, then `--service NAME URL COMMAND...` groups, then optionally `--finally COMMAND...`."""
    options, services, index = Options(), [], 0
    while index < len(argv) and argv[index] not in ("--service", "--finally"):
        name = argv[index]
        if index + 1 >= len(argv):
            raise UsageError(f"{name} needs a value")
        if name == "--banner":
            options.banner = Path(argv[index + 1])
        elif name in OPTION_NAMES:
            setattr(options, OPTION_NAMES[name], float(argv[index + 1]))
        else:
            raise UsageError(f"unknown option {name}")
        index += 2
    while index < len(argv):
        word = argv[index]
        end = next((i for i in range(index + 1, len(argv)) if argv[i] in ("--service", "--finally")), len(argv))
        if word == "--finally":
            options.finally_command = argv[index + 1:end]
        elif end - index < 4:
            raise UsageError("--service needs a name, a health URL (or -) and a command")
        else:
            name, url = argv[index + 1], argv[index + 2]
            services.append(Service(name, None if url == "-" else url, argv[index + 3:end]))
        index = end
    if not services:
        raise UsageError("no --service given")
    return services, options


def main(argv: Optional[list[str]] = None) -> int:
    try:
        services, options = parse(sys.argv[1:] if argv is None else argv)
    except (UsageError, ValueError) as error:
        print(f"supervisor: {error}", file=sys.stderr)
        return 2
    return Supervisor(services, options).run()


if __name__ == "__main__":
    sys.exit(main())
