"""The supervisor of `make run` (bot/launcher/supervisor.py) with stand-in servers (stub_server.py): every stop
is complete and quick, repeated signals do not break it, a crashed server comes back with a back-off."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from bot.launcher.supervisor import FINALLY_SECONDS, KILL_WAIT_SECONDS, Options, next_delay
from tests.servers import ROOT, free_port, listening_addresses

STUB = Path(__file__).with_name("stub_server.py")
STOP_SECONDS = 0.5  # the stand-ins' grace before KILL (make run: 10 s)


def processes_with(marker: str) -> list[int]:
    """Live (not zombie) processes whose command line contains `marker`."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if marker.encode() in (entry / "cmdline").read_bytes() and \
                    (entry / "stat").read_text().rsplit(")", 1)[1].split()[0] != "Z":
                found.append(int(entry.name))
        except OSError:
            continue
    return found


class Supervised:
    """A supervisor started by a test, its output in `log`."""

    log: Path
    process: subprocess.Popen

    def start(self, argv: list[str], log: Path) -> None:
        self.log = log
        with log.open("w") as handle:
            self.process = subprocess.Popen(argv, cwd=ROOT, stdout=handle, stderr=subprocess.STDOUT,
                                            start_new_session=True)

    def text(self) -> str:
        return self.log.read_text()

    def wait_for(self, pattern: str, seconds: float = 20) -> None:
        deadline = time.monotonic() + seconds
        while not re.search(pattern, self.text()):
            assert time.monotonic() < deadline and self.process.poll() is None, self.text()
            time.sleep(0.05)


class Run(Supervised):
    """The supervisor with stand-in servers; `ports` are theirs, `marker` is in all their command lines."""

    def __init__(self, tmp_path: Path, services: list[tuple[str, list[str], bool]], *options: str) -> None:
        self.marker = f"stub-{uuid.uuid4().hex}"
        self.ports: list[int] = []
        argv = [sys.executable, "-m", "bot.launcher.supervisor", "--banner", str(tmp_path / "banner"),
                "--stop-seconds", str(STOP_SECONDS), *options]
        (tmp_path / "banner").write_text("READY")
        for name, flags, checked in services:
            port = free_port()
            self.ports.append(port)
            url = f"http://127.0.0.1:{port}/" if checked else "-"
            argv += ["--service", name, url, sys.executable, str(STUB), self.marker, "--port", str(port), *flags]
        self.start(argv, tmp_path / f"{self.marker}.log")

    def clean_up(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        for pid in processes_with(self.marker):
            subprocess.run(["kill", "-9", str(pid)], check=False)


THREE = [
    ("quick", ["--workers", "2"], True),  # stops at once, with its workers
    ("stubborn", ["--workers", "1", "--ignore-term"], True),  # needs KILL, its worker too
    ("slow", ["--slow-stop", "0.3"], True),  # stops, slowly
]


@pytest.mark.parametrize("attempt", range(20))
def test_one_signal_stops_everything_even_when_repeated(tmp_path, attempt):
    run = Run(tmp_path, THREE)
    try:
        run.wait_for("READY")
        first = signal.SIGTERM if attempt % 2 == 0 else signal.SIGINT
        started = time.monotonic()
        run.process.send_signal(first)
        for pause in (0.05, 0.2, 0.1):  # an impatient operator, a service manager repeating itself
            time.sleep(pause)
            if run.process.poll() is None:
                run.process.send_signal(signal.SIGTERM)
        code = run.process.wait(timeout=15)
        elapsed = time.monotonic() - started
        assert code == 128 + first, run.text()
        assert elapsed < STOP_SECONDS + KILL_WAIT_SECONDS + 1
        assert processes_with(run.marker) == []
        assert all(listening_addresses(port) == set() for port in run.ports)
    finally:
        run.clean_up()


@pytest.mark.parametrize("signum", [signal.SIGHUP, signal.SIGQUIT])
def test_a_closed_terminal_or_quit_stops_everything_too(tmp_path, signum):
    run = Run(tmp_path, THREE)
    try:
        run.wait_for("READY")
        run.process.send_signal(signum)
        assert run.process.wait(timeout=15) == 128 + signum, run.text()
        assert processes_with(run.marker) == []
        assert all(listening_addresses(port) == set() for port in run.ports)
    finally:
        run.clean_up()


def test_term_while_a_server_loads_stops_within_the_grace(tmp_path):
    # Rasa loading its model: not listening yet, deaf to TERM
    run = Run(tmp_path, [("loading", ["--load-seconds", "60", "--ignore-term", "--workers", "0"], True)])
    try:
        time.sleep(0.5)
        started = time.monotonic()
        run.process.send_signal(signal.SIGTERM)
        assert run.process.wait(timeout=15) == 143
        assert time.monotonic() - started < STOP_SECONDS + KILL_WAIT_SECONDS + 1
        assert processes_with(run.marker) == []
        assert "READY" not in run.text()
    finally:
        run.clean_up()


def test_make_run_s_stop_fits_in_15_seconds():
    assert Options().stop_seconds + KILL_WAIT_SECONDS + FINALLY_SECONDS + 1 <= 15


def test_a_crashed_server_is_restarted_and_answers_again(tmp_path):
    run = Run(tmp_path, [("steady", [], True), ("crashing", ["--crash-after", "1", "--exit-code", "3"], True)],
              "--first-backoff", "0.2")
    try:
        run.wait_for("READY")
        run.wait_for(r"crashing stopped \(exit code 3\) after [\d.]+ s; restarting it in 0.2 s")
        run.wait_for(r"crashing restarted \(restart 1")
        deadline = time.monotonic() + 10
        while listening_addresses(run.ports[1]) != {"127.0.0.1"}:
            assert time.monotonic() < deadline, run.text()
            time.sleep(0.05)
        assert run.process.poll() is None  # the other server was left alone
        run.process.send_signal(signal.SIGTERM)
        assert run.process.wait(timeout=15) == 143
        assert processes_with(run.marker) == []
    finally:
        run.clean_up()


def test_repeated_crashes_back_off_doubling_up_to_the_maximum(tmp_path):
    run = Run(tmp_path, [("crashing", ["--crash-after", "0.05"], False)],
              "--first-backoff", "0.1", "--max-backoff", "0.4")
    try:
        run.wait_for(r"(restarting it in [\d.]+ s[\s\S]*){5}")
        delays = re.findall(r"restarting it in ([\d.]+) s", run.text())
        assert delays[:5] == ["0.1", "0.2", "0.4", "0.4", "0.4"]
        run.process.send_signal(signal.SIGTERM)
        assert run.process.wait(timeout=15) == 143
    finally:
        run.clean_up()


def test_a_server_that_dies_during_start_up_stops_everything(tmp_path):
    run = Run(tmp_path, [("steady", [], True), ("broken", ["--port", "not-a-port"], True)])
    try:
        assert run.process.wait(timeout=15) == 1
        assert "broken exited during start-up (exit code 2)" in run.text()
        assert processes_with(run.marker) == []
    finally:
        run.clean_up()


def test_the_back_off_doubles_and_resets_after_a_stable_run():
    options = Options(first_backoff=1, max_backoff=30, stable_seconds=60)
    delays, delay = [], 0.0
    for _ in range(7):
        delay = next_delay(delay, 2, options)
        delays.append(delay)
    assert delays == [1, 2, 4, 8, 16, 30, 30]
    assert next_delay(30, 61, options) == 1
