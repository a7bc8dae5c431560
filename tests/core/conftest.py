"""Fixtures of the core service tests: a fresh database per module (SQLite, and PostgreSQL when it answers),
migrated with Alembic, the real app on it, and the demo customers re-seeded before each test."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from bot.core.clock import utc_now
from bot.core.config import Settings
from bot.core.db.models import Base
from bot.core.db.session import make_engine, make_sessionmaker, upgrade_to_head
from bot.core.main import create_app
from bot.core.seed import demo_tokens, seed

SERVICE_KEY = "test-service-key-0123456789abcdef"
TOKEN_SECRET = "test-customer-token-secret-0123456789abcdef"
POSTGRES_URL = os.environ.get("CORE_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
BACKENDS = ("sqlite", "postgresql")


def postgres_unreachable() -> str | None:
    """None when the PostgreSQL server answers, else the reason."""
    engine = create_engine(POSTGRES_URL, connect_args={"connect_timeout": 3})
    try:
        with engine.connect():
            return None
    except Exception as error:  # noqa: BLE001 - any failure means "not reachable"
        return f"{type(error).__name__}: {error}".splitlines()[0]
    finally:
        engine.dispose()


def missing_service(message: str) -> NoReturn:
    """Skip a test whose local service is missing, except on CI (CI=true), where its absence is a failure."""
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message)
    pytest.skip(message)


def require_postgres() -> None:
    """Skip without PostgreSQL, except on CI."""
    reason = postgres_unreachable()
    if reason is not None:
        missing_service(f"PostgreSQL at {make_url(POSTGRES_URL).render_as_string()} is unreachable ({reason})")


@contextmanager
def postgres_database() -> Iterator[str]:
    """A new empty database core_test_<random>, dropped afterwards."""
    require_postgres()
    name = f"core_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@contextmanager
def fresh_database(backend: str, folder: Path) -> Iterator[str]:
    """The URL of a new, empty database of `backend`."""
    if backend == "postgresql":
        with postgres_database() as url:
            yield url
    else:
        yield f"sqlite:///{folder / 'core.db'}"


@pytest.fixture
def sign_in_throttle(request: pytest.FixtureRequest) -> Iterator[Any]:
    """A fresh sign-in throttle for one test (the handoff tests' `env` gives it to the app): in memory, or in Redis
    for a test parametrized `@pytest.mark.parametrize("sign_in_throttle", THROTTLES, indirect=True)`
    (tests/core/redis_support.py)."""
    from tests.core.redis_support import new_throttle  # it imports this module

    with new_throttle(getattr(request, "param", "memory")) as throttle:
        yield throttle


@pytest.fixture(scope="module", params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture(scope="module")
def database_url(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A fresh database for the test module, migrated to head with Alembic."""
    with fresh_database(backend, tmp_path_factory.mktemp(backend)) as url:
        upgrade_to_head(url)
        yield url


@pytest.fixture
def empty_database_url(backend: str, tmp_path: Path) -> Iterator[str]:
    """A fresh database without any table."""
    with fresh_database(backend, tmp_path) as url:
        yield url


@pytest.fixture(scope="module")
def client(database_url: str) -> Iterator[TestClient]:
    """The real app on the module's database."""
    settings = Settings(
        database_url=database_url, service_key=SERVICE_KEY, customer_token_secret=TOKEN_SECRET
    )
    with TestClient(create_app(settings)) as test_client:
        yield test_client


def reset(url: str) -> None:
    """Empty every table and seed the demo customers again."""
    engine = make_engine(url)
    with make_sessionmaker(engine)() as session:
        for table in reversed(Base.metadata.sorted_tables):
            session.execute(table.delete())
        session.commit()
        seed(session)
    engine.dispose()


@pytest.fixture
def session(database_url: str) -> Iterator[Session]:
    """A session on the module's database, emptied and seeded with the demo customers first."""
    reset(database_url)
    engine = make_engine(database_url)
    with make_sessionmaker(engine)() as session:
        yield session
    engine.dispose()


@pytest.fixture
def rabbit() -> Iterator[Any]:
    """A fresh exchange and queues of the test's own on the local RabbitMQ (tests/core/broker_support.py), deleted
    afterwards; missing RabbitMQ skips, or fails with CI=true."""
    from tests.core.broker_support import Rabbit, require_rabbitmq  # it imports this module

    require_rabbitmq()
    rabbit = Rabbit.fresh()
    yield rabbit
    rabbit.delete()


@dataclass
class Api:
    """Calls the app as the assistant does: with the service key, as `customer` (demo id or raw token)."""

    client: TestClient
    tokens: dict[str, str]

    def headers(self, customer: str | None, extra: dict[str, str] | None = None) -> dict[str, str]:
        headers = {"X-Service-Key": SERVICE_KEY, **(extra or {})}
        if customer is not None:
            headers["X-Customer-Token"] = self.tokens.get(customer, customer)
        return headers

    def call(
        self,
        method: str,
        path: str,
        customer: str | None = None,
        headers: dict[str, str] | None = None,
        **kwargs: Any,
    ) -> httpx.Response:
        return self.client.request(method, path, headers=self.headers(customer, headers), **kwargs)

    def get(self, path: str, customer: str | None = None, **kwargs: Any) -> httpx.Response:
        return self.call("GET", path, customer, **kwargs)

    def ok(self, method: str, path: str, customer: str | None = None, **kwargs: Any) -> Any:
        """The JSON of a 2xx answer."""
        response = self.call(method, path, customer, **kwargs)
        assert response.is_success, (response.status_code, response.text)
        return response.json()


@pytest.fixture
def api(client: TestClient, database_url: str) -> Iterator[Api]:
    """The app with freshly seeded demo customers, and their tokens."""
    reset(database_url)
    yield Api(client, demo_tokens(TOKEN_SECRET))
    client.app.state.clock = utc_now  # a test may have frozen it
