"""Support agents of the console at /agent (docs/handoff.md), from the command line:

    python -m bot.core.agents create <username> [--name "Display Name"] [--admin]  # asks for the password twice
    echo "$PASSWORD" | python -m bot.core.agents create <username> --password-stdin
    python -m bot.core.agents set-password <username> [--password-stdin]  # also signs the agent out
    python -m bot.core.agents deactivate <username>                       # no more sign-in; sessions ended
    python -m bot.core.agents activate <username>
    python -m bot.core.agents set-role <username> admin|agent             # admins also see the analytics
    python -m bot.core.agents list

The database is CORE_DATABASE_URL (migrated to head first). Passwords: at least 12 characters, stored as
argon2id. Roles (bot/core/db/models.py): `agent` (the queue, escalations, the fallback log) and `admin` (also the
analytics: the dashboard); a new role counts from the agent's next request.
"""

from __future__ import annotations

import argparse
import getpass
import re
import sys
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.core.clock import utc_now
from bot.core.config import database_url
from bot.core.console.security import (
    USERNAME_PATTERN,
    end_agent_sessions,
    hash_password,
    normal_username,
    verify_password,
)
from bot.core.db.models import ADMIN_ROLE, AGENT_ROLE, ROLES, Agent
from bot.core.db.session import make_engine, make_sessionmaker, upgrade_to_head


class AgentError(ValueError):
    """An agent cannot be created or changed as asked."""


def check_username(username: str) -> str:
    name = normal_username(username)
    if not re.match(USERNAME_PATTERN, name):
        raise AgentError("a username has 2-64 characters: letters, digits, '.', '_' or '-', starting with a "
                         "letter or digit")
    return name


def find_agent(session: Session, username: str) -> Agent | None:
    return session.scalars(select(Agent).where(Agent.username == normal_username(username))).first()


def check_role(role: str) -> str:
    if role not in ROLES:
        raise AgentError(f"a role is one of {', '.join(ROLES)}")
    return role


def create_agent(session: Session, username: str, password: str, display_name: str | None = None,
                 now: datetime | None = None, role: str = AGENT_ROLE) -> Agent:
    """A new active agent (or admin, `role`); AgentError for a taken or invalid username, a short password or an
    unknown role."""
    name, role = check_username(username), check_role(role)
    try:
        password_hash = hash_password(password)
    except ValueError as error:
        raise AgentError(str(error)) from None
    agent = Agent(username=name, display_name=(display_name or name).strip()[:120] or name,
                  password_hash=password_hash, active=True, role=role, created_at=now or utc_now())
    session.add(agent)
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        raise AgentError(f"the username {name!r} is taken") from None
    return agent


def set_password(session: Session, username: str, password: str) -> Agent:
    agent = _existing(session, username)
    try:
        agent.password_hash = hash_password(password)
    except ValueError as error:
        raise AgentError(str(error)) from None
    session.commit()
    end_agent_sessions(session, agent.id)
    return agent


def set_active(session: Session, username: str, active: bool) -> Agent:
    agent = _existing(session, username)
    agent.active = active
    session.commit()
    if not active:
        end_agent_sessions(session, agent.id)
    return agent


def set_role(session: Session, username: str, role: str) -> Agent:
    """The agent's new role (checked on each request: no need to sign them out)."""
    agent = _existing(session, username)
    agent.role = check_role(role)
    session.commit()
    return agent


def ensure_agent(session: Session, username: str, password: str, display_name: str,
                 role: str = AGENT_ROLE) -> tuple[Agent, bool]:
    """The agent with this password and role (created, or its password, activity and role restored); True when
    changed. For the demo agent and admin of `make run`, whose password is generated under build/."""
    agent = find_agent(session, username)
    if agent is None:
        return create_agent(session, username, password, display_name, role=role), True
    if agent.active and agent.role == role and verify_password(agent.password_hash, password):
        return agent, False
    agent.password_hash, agent.active, agent.role = hash_password(password), True, check_role(role)
    session.commit()
    return agent, True


def _existing(session: Session, username: str) -> Agent:
    agent = find_agent(session, username)
    if agent is None:
        raise AgentError(f"no agent is called {normal_username(username)!r}")
    return agent


def _read_password(from_stdin: bool) -> str:
    if from_stdin or not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass("Password: ")
    if first != getpass.getpass("Password again: "):
        raise AgentError("the passwords differ")
    return first


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.core.agents",
                                     description="Support agents of the console")
    commands = parser.add_subparsers(dest="command", required=True)
    create = commands.add_parser("create", help="a new agent")
    create.add_argument("username")
    create.add_argument("--name", help="the name customers and colleagues see (default: the username)")
    create.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    create.add_argument("--admin", action="store_true", help="an admin: also sees the analytics (the dashboard)")
    password = commands.add_parser("set-password", help="a new password (signs the agent out)")
    password.add_argument("username")
    password.add_argument("--password-stdin", action="store_true")
    for name in ("deactivate", "activate"):
        commands.add_parser(name).add_argument("username")
    role = commands.add_parser("set-role", help="agent, or admin (also sees the analytics)")
    role.add_argument("username")
    role.add_argument("role", choices=ROLES)
    commands.add_parser("list")
    args = parser.parse_args(argv)

    url = database_url()
    upgrade_to_head(url)
    engine = make_engine(url)
    try:
        with make_sessionmaker(engine)() as session:
            if args.command == "create":
                check_username(args.username)
                role = ADMIN_ROLE if args.admin else AGENT_ROLE
                agent = create_agent(session, args.username, _read_password(args.password_stdin), args.name,
                                     role=role)
                print(f"created {agent.role} {agent.username} ({agent.display_name})")
            elif args.command == "set-password":
                agent = set_password(session, args.username, _read_password(args.password_stdin))
                print(f"new password for {agent.username}; their sessions were ended")
            elif args.command == "set-role":
                agent = set_role(session, args.username, args.role)
                print(f"{agent.username} is now {'an admin' if agent.role == ADMIN_ROLE else 'an agent'}")
            elif args.command in ("deactivate", "activate"):
                agent = set_active(session, args.username, args.command == "activate")
                print(f"{agent.username} is {'active' if agent.active else 'deactivated'}")
            else:
                for agent in session.scalars(select(Agent).order_by(Agent.username)):
                    state = "active" if agent.active else "deactivated"
                    print(f"{agent.username}\t{agent.display_name}\t{agent.role}\t{state}")
    except AgentError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    finally:
        engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
