"""Fuzz every operation of the core's OpenAPI with schemathesis: no input may cause a server error."""

from __future__ import annotations

import tempfile
from pathlib import Path

import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from bot.core.config import Settings
from bot.core.db.session import make_engine, make_sessionmaker, upgrade_to_head
from bot.core.main import create_app
from bot.core.seed import demo_tokens, seed
from tests.core.conftest import SERVICE_KEY, TOKEN_SECRET


def _seeded_app():
    url = f"sqlite:///{Path(tempfile.mkdtemp(prefix='core-fuzz-')) / 'core.db'}"
    upgrade_to_head(url)
    engine = make_engine(url)
    with make_sessionmaker(engine)() as session:
        seed(session)
    engine.dispose()
    return create_app(Settings(database_url=url, service_key=SERVICE_KEY, customer_token_secret=TOKEN_SECRET))


schema = schemathesis.openapi.from_asgi("/openapi.json", _seeded_app())
HEADERS = {"X-Service-Key": SERVICE_KEY, "X-Customer-Token": demo_tokens(TOKEN_SECRET)["demo-2000"]}


@schema.parametrize()
@settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_input_causes_a_server_error(case):
    case.call_and_validate(headers={**(case.headers or {}), **HEADERS}, checks=[not_a_server_error])
