"""The production unit (deploy/systemd): systemd accepts it, it stops the launcher the way the supervisor
expects, and its environment file names every secret the launcher needs."""

from __future__ import annotations

import configparser
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.servers import ROOT

UNIT = ROOT / "deploy/systemd/canon-assistant.service"
ENV_EXAMPLE = ROOT / "deploy/systemd/canon-assistant.env.example"
INSTALLED_AT = "/opt/canon-assistant"
SUPERVISOR_STOP_SECONDS = 15  # docs/operations.md: one TERM stops everything within 15 s


def unit() -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # keys are case-sensitive
    parser.read_string(UNIT.read_text())
    return parser


def test_systemd_accepts_the_unit(tmp_path: Path):
    if not shutil.which("systemd-analyze"):
        if os.environ.get("CI"):
            pytest.fail("systemd-analyze is missing on CI")
        pytest.skip("systemd-analyze is not installed")
    local = tmp_path / UNIT.name
    local.write_text(UNIT.read_text().replace(INSTALLED_AT, str(ROOT)))
    done = subprocess.run(["systemd-analyze", "verify", str(local)], capture_output=True, text=True, timeout=60)
    problems = [line for line in (done.stdout + done.stderr).splitlines() if UNIT.name in line]
    assert not problems, problems


def test_the_unit_runs_the_launcher_in_production_and_lets_it_stop_the_servers():
    service = unit()["Service"]
    assert service["ExecStart"] == f"{INSTALLED_AT}/scripts/run.sh"
    assert (ROOT / "scripts/run.sh").stat().st_mode & 0o111
    assert service["Environment"] == "ASSISTANT_ENV=production"
    assert service["KillMode"] == "mixed"  # TERM to the launcher only; KILL to the rest after the timeout
    assert int(service["TimeoutStopSec"]) > SUPERVISOR_STOP_SECONDS
    assert service["Restart"] == "always"


def test_the_environment_file_names_every_secret_the_launcher_reads():
    secrets = set(re.findall(r"local_secret ([A-Z_]+) ", (ROOT / "scripts/run.sh").read_text()))
    assert {"CUSTOMER_TOKEN_SECRET", "RASA_TOKEN"} <= secrets
    named = set(re.findall(r"^#? ?([A-Z_]+)=", ENV_EXAMPLE.read_text(), re.MULTILINE))
    assert secrets <= named, secrets - named
