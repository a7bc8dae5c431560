"""Agents from the command line (`python -m bot.core.agents`) and the demo agent of `python -m bot.core.seed`."""

from __future__ import annotations

import os
import subprocess
import sys

from sqlalchemy import select

from bot.core.console.security import verify_password
from bot.core.db.models import Agent
from bot.core.db.session import ROOT, make_engine, make_sessionmaker

PASSWORD = "a long enough password"


def run(module: str, url: str, *args: str, stdin: str = "", **env: str) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if k not in ("CORE_DEMO_MODE", "CORE_DEMO_AGENT_PASSWORD")}
    environment.update({"CORE_DATABASE_URL": url, "PYTHONPATH": str(ROOT),
                        "CUSTOMER_TOKEN_SECRET": "test-customer-token-secret-0123456789abcdef", **env})
    return subprocess.run([sys.executable, "-m", module, *args], cwd=ROOT, env=environment, input=stdin,
                          capture_output=True, text=True, timeout=120)


def agents(url: str) -> list[Agent]:
    engine = make_engine(url)
    try:
        with make_sessionmaker(engine)() as session:
            return list(session.scalars(select(Agent).order_by(Agent.username)))
    finally:
        engine.dispose()


def test_create_an_agent_with_the_password_on_stdin(empty_database_url: str) -> None:
    result = run("bot.core.agents", empty_database_url, "create", "Ona.K", "--name", "Ona K.",
                 "--password-stdin", stdin=PASSWORD + "\n")
    assert result.returncode == 0, result.stderr
    [agent] = agents(empty_database_url)
    assert (agent.username, agent.display_name, agent.active) == ("ona.k", "Ona K.", True)
    assert agent.password_hash.startswith("$argon2id$") and PASSWORD not in agent.password_hash
    assert verify_password(agent.password_hash, PASSWORD)
    again = run("bot.core.agents", empty_database_url, "create", "ona.k", stdin=PASSWORD + "\n")
    assert again.returncode == 1 and "taken" in again.stderr


def test_short_passwords_and_bad_usernames_are_refused(empty_database_url: str) -> None:
    short = run("bot.core.agents", empty_database_url, "create", "ona", stdin="short\n")
    assert short.returncode == 1 and "at least 12" in short.stderr
    bad = run("bot.core.agents", empty_database_url, "create", "<script>", stdin=PASSWORD + "\n")
    assert bad.returncode == 1 and "username" in bad.stderr
    assert agents(empty_database_url) == []


def test_list_deactivate_and_set_password(empty_database_url: str) -> None:
    assert run("bot.core.agents", empty_database_url, "create", "ona", stdin=PASSWORD + "\n").returncode == 0
    assert run("bot.core.agents", empty_database_url, "deactivate", "ona").returncode == 0
    listed = run("bot.core.agents", empty_database_url, "list")
    assert listed.stdout.strip().split("\t") == ["ona", "ona", "agent", "deactivated"]
    assert run("bot.core.agents", empty_database_url, "set-password", "ona",
               stdin="another long password\n").returncode == 0
    assert verify_password(agents(empty_database_url)[0].password_hash, "another long password")
    assert run("bot.core.agents", empty_database_url, "deactivate", "nobody").returncode == 1


def test_the_seed_makes_the_demo_agent_only_in_demo_mode(empty_database_url: str) -> None:
    plain = run("bot.core.seed", empty_database_url, CORE_DEMO_AGENT_PASSWORD=PASSWORD)
    assert plain.returncode == 0 and agents(empty_database_url) == []
    assert "python -m bot.core.agents create" in plain.stderr
    demo = {"CORE_DEMO_MODE": "true", "CORE_DEMO_AGENT_PASSWORD": PASSWORD}
    for _ in range(2):  # idempotent
        result = run("bot.core.seed", empty_database_url, **demo)
        assert result.returncode == 0, result.stderr
        assert "demo-agent" not in result.stdout  # stdout is only the customers' tokens
    admin, agent = agents(empty_database_url)
    assert (agent.username, agent.role) == ("demo-agent", "agent") and verify_password(agent.password_hash, PASSWORD)
    assert (admin.username, admin.role) == ("demo-admin", "admin") and verify_password(admin.password_hash, PASSWORD)
    assert run("bot.core.agents", empty_database_url, "set-role", "demo-admin", "agent").returncode == 0
    changed = run("bot.core.seed", empty_database_url, CORE_DEMO_MODE="true",
                  CORE_DEMO_AGENT_PASSWORD="a new generated password")
    assert changed.returncode == 0
    for demo_agent in agents(empty_database_url):
        assert verify_password(demo_agent.password_hash, "a new generated password")
    assert [a.role for a in agents(empty_database_url)] == ["admin", "agent"]  # the demo admin's role restored


def test_admins_and_roles(empty_database_url: str) -> None:
    made = run("bot.core.agents", empty_database_url, "create", "rita", "--admin", stdin=PASSWORD + "\n")
    assert made.returncode == 0 and "created admin rita" in made.stdout, made.stderr
    assert run("bot.core.agents", empty_database_url, "create", "ona", stdin=PASSWORD + "\n").returncode == 0
    assert [(a.username, a.role) for a in agents(empty_database_url)] == [("ona", "agent"), ("rita", "admin")]
    assert run("bot.core.agents", empty_database_url, "set-role", "ona", "admin").returncode == 0
    demoted = run("bot.core.agents", empty_database_url, "set-role", "rita", "agent")
    assert demoted.returncode == 0 and "rita is now an agent" in demoted.stdout
    assert [(a.username, a.role) for a in agents(empty_database_url)] == [("ona", "admin"), ("rita", "agent")]
    assert run("bot.core.agents", empty_database_url, "set-role", "ona", "boss").returncode == 2  # argparse
    assert run("bot.core.agents", empty_database_url, "set-role", "nobody", "admin").returncode == 1
    listed = run("bot.core.agents", empty_database_url, "list").stdout.splitlines()
    assert [line.split("\t")[2] for line in listed] == ["admin", "agent"]
