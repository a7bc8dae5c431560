"""Alembic builds the ORM models' schema on SQLite and PostgreSQL; the seed fills only an empty database."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import func, inspect, select

from bot.core.db.models import Base, Customer, LegacyProduct, RegisteredProduct
from bot.core.db.session import ROOT, make_engine, make_sessionmaker, upgrade_to_head
from bot.core.seed import DEMOS, seed

TABLES = {"customers", "applications", "registered_products", "legacy_products", "memberships", "orders"}
HANDOFF_TABLES = {"agents", "agent_sessions", "escalations", "escalation_messages"}  # revision 0002
FALLBACK_TABLES = {"fallback_messages"}  # revision 0003
ANALYTICS_TABLES = {"analytics_conversations", "analytics_turns", "analytics_flow_steps", "audit_log"}  # 0005
ALL_TABLES = TABLES | HANDOFF_TABLES | FALLBACK_TABLES | ANALYTICS_TABLES


def schema_differences(url: str) -> list:
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            return compare_metadata(MigrationContext.configure(connection), Base.metadata)
    finally:
        engine.dispose()


def tables(url: str) -> set[str]:
    engine = make_engine(url)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def alembic(url: str, *args: str) -> subprocess.CompletedProcess:
    """The alembic command line, configured by CORE_DATABASE_URL as in production."""
    env = {**os.environ, "CORE_DATABASE_URL": url, "PYTHONPATH": str(ROOT)}
    command = [str(Path(sys.executable).with_name("alembic")), *args]
    return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


def test_upgrade_builds_the_models_schema(empty_database_url: str) -> None:
    upgrade_to_head(empty_database_url)
    assert tables(empty_database_url) == ALL_TABLES | {"alembic_version"}
    assert schema_differences(empty_database_url) == []


def test_the_command_line_upgrades_and_downgrades(empty_database_url: str) -> None:
    for args in (("upgrade", "head"), ("downgrade", "base"), ("upgrade", "head"), ("check",)):
        result = alembic(empty_database_url, *args)
        assert result.returncode == 0, result.stderr
    assert ALL_TABLES <= tables(empty_database_url)


def test_the_handoff_revision_goes_down_and_up_alone(empty_database_url: str) -> None:
    """0002 removes exactly the handoff tables and adds them back; 0001's tables stay."""
    assert alembic(empty_database_url, "upgrade", "head").returncode == 0
    result = alembic(empty_database_url, "downgrade", "0001")
    assert result.returncode == 0, result.stderr
    assert tables(empty_database_url) == TABLES | {"alembic_version"}
    result = alembic(empty_database_url, "upgrade", "0002")
    assert result.returncode == 0, result.stderr
    assert tables(empty_database_url) == TABLES | HANDOFF_TABLES | {"alembic_version"}


def test_the_fallback_revision_goes_down_and_up_alone(empty_database_url: str) -> None:
    """0003 removes exactly the fallback log and adds it back; the earlier tables stay."""
    assert alembic(empty_database_url, "upgrade", "head").returncode == 0
    result = alembic(empty_database_url, "downgrade", "0002")
    assert result.returncode == 0, result.stderr
    assert tables(empty_database_url) == TABLES | HANDOFF_TABLES | {"alembic_version"}
    result = alembic(empty_database_url, "upgrade", "head")
    assert result.returncode == 0, result.stderr
    assert tables(empty_database_url) == ALL_TABLES | {"alembic_version"}
    assert schema_differences(empty_database_url) == []


def counts(url: str) -> tuple[int, int, int]:
    engine = make_engine(url)
    with make_sessionmaker(engine)() as session:
        result = tuple(
            session.scalar(select(func.count()).select_from(model))
            for model in (Customer, RegisteredProduct, LegacyProduct)
        )
    engine.dispose()
    return result  # type: ignore[return-value]


def test_seed_fills_only_an_empty_database(empty_database_url: str) -> None:
    upgrade_to_head(empty_database_url)
    engine = make_engine(empty_database_url)
    with make_sessionmaker(engine)() as session:
        assert seed(session) is True
        before = counts(empty_database_url)
        assert seed(session) is False
    engine.dispose()
    assert before == counts(empty_database_url) and before[0] == len(DEMOS)


def test_seed_command_prints_a_token_per_demo_customer(empty_database_url: str) -> None:
    env = {
        **os.environ,
        "CORE_DATABASE_URL": empty_database_url,
        "PYTHONPATH": str(ROOT),
        "CUSTOMER_TOKEN_SECRET": "test-customer-token-secret-0123456789abcdef",
    }
    for _ in range(2):
        result = subprocess.run(
            [sys.executable, "-m", "bot.core.seed"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert result.returncode == 0, result.stderr
        assert [line.split("\t")[0] for line in result.stdout.splitlines()] == [d.id for d in DEMOS]
    assert counts(empty_database_url)[0] == len(DEMOS)
