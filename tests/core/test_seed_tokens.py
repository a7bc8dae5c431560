"""The demo customers' tokens of `python -m bot.core.seed`: short-lived, and kept in a private file for `make run`
(which prints its path, never the tokens)."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import jwt

from bot.core.db.session import ROOT
from bot.core.demo import DEMOS

SECRET = "seed-tokens-test-secret-0123456789abcdef"


def seed(url: str, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "CORE_DATABASE_URL": url, "CUSTOMER_TOKEN_SECRET": SECRET, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "bot.core.seed", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=120)


def lifetime(token: str) -> timedelta:
    claims = jwt.decode(token, SECRET, algorithms=["HS256"])
    return timedelta(seconds=claims["exp"] - claims["iat"])


def test_the_tokens_go_to_a_private_file_and_last_eight_hours(empty_database_url: str, tmp_path: Path) -> None:
    path = tmp_path / "tokens" / "demo-customer-tokens.tsv"
    done = seed(empty_database_url, "--tokens-file", str(path))
    assert done.returncode == 0, done.stderr
    assert done.stdout == ""  # nothing printed
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    tokens = dict(line.split("\t") for line in path.read_text().splitlines())
    assert set(tokens) == {demo.id for demo in DEMOS}
    assert all(lifetime(token) == timedelta(hours=8) for token in tokens.values())


def test_printed_and_cloned_tokens_last_eight_hours_too(empty_database_url: str) -> None:
    printed = seed(empty_database_url)
    assert printed.returncode == 0, printed.stderr
    assert all(lifetime(line.split("\t")[1]) == timedelta(hours=8) for line in printed.stdout.splitlines())
    cloned = seed(empty_database_url, "--clone", DEMOS[0].id, "a-fresh-copy")
    assert cloned.returncode == 0, cloned.stderr
    assert lifetime(cloned.stdout.strip().split("\t")[1]) == timedelta(hours=8)
