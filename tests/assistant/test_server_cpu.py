"""The bench's CPU reading (scripts/server_cpu.py): which processes are which server, and their CPU time."""

from __future__ import annotations

import os
import subprocess
import sys
import time

from tests.assistant.helpers import ROOT

sys.path.insert(0, str(ROOT / "scripts"))
import server_cpu  # noqa: E402


def test_command_lines_are_told_apart():
    rasa = [".venv/rasa/bin/python", ".venv/rasa/bin/rasa", "run", "--model", "models/a.tar.gz", "--port", "5005"]
    actions = [".venv/rasa/bin/python", ".venv/rasa/bin/rasa", "run", "actions", "--actions", "actions"]
    core = [".venv/core/bin/python", "-m", "uvicorn", "bot.core.main:app", "--port", "8000"]
    # as scripts/run.sh starts them (through the wrappers that keep the secrets off the command line)
    ours = [".venv/rasa/bin/python", "-m", "bot.rasa_ext.rasa_cli", "run", "--model", "m.tar.gz", "--port", "5005"]
    our_actions = [".venv/rasa/bin/python", "-m", "bot.rasa_ext.action_server", "--actions", "actions"]
    # the supervisor's command line holds all three: it is none of them (else it and all its children would count)
    supervisor = [".venv/core/bin/python", "-m", "bot.launcher.supervisor", "--service", "core", "-", *core,
                  "--service", "actions", "-", *our_actions, "--service", "rasa", "-", *ours]
    balancer = ["/usr/sbin/haproxy", "-db", "-f", "build/haproxy-5005.cfg"]  # in front of the Rasa processes
    lines = (rasa, actions, core, ours, our_actions, supervisor, balancer)
    found = {name: [words for words in lines if server_cpu._matches(words, *rule)]
             for name, rule in server_cpu.SERVERS.items()}
    assert found == {"rasa": [rasa, ours], "actions": [actions, our_actions], "core": [core], "haproxy": [balancer]}


def test_a_server_s_children_count_as_the_server():
    # a stand-in "core" whose worker is a child process, as Rasa's Sanic workers are
    script = "import subprocess, sys, time; subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(30)']); " \
             "time.sleep(30)"
    parent = subprocess.Popen([sys.executable, "-c", script, "uvicorn", "bot.core.main:app"])
    try:
        time.sleep(1.0)
        pids = server_cpu.server_pids()["core"]
        assert parent.pid in pids and len(pids) >= 2
    finally:
        parent.kill()


def test_cpu_time_grows_with_work_and_reads_per_turn():
    me = {os.getpid()}
    before = server_cpu.snapshot({"rasa": me})
    deadline = time.process_time() + 0.3
    while time.process_time() < deadline:
        pass
    after = server_cpu.snapshot({"rasa": me})
    assert after["rasa"] - before["rasa"] >= 0.2
    assert server_cpu.per_turn({"rasa": 1.0}, {"rasa": 1.5}, 100) == "CPU per turn: rasa 5.0 ms"
