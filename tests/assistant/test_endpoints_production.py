"""deploy/endpoints.production.yml: Rasa reads every endpoint from it with its own loaders, every host, secret and
URL comes from the environment, and the stores and the broker Rasa builds from it work against the local
PostgreSQL, Redis and RabbitMQ (required in CI), each test with its own database, key prefix, queue and exchange."""

from __future__ import annotations

import asyncio
import json
import re
import uuid
from typing import Any, Dict, Iterator

import pytest
import yaml
from rasa.core.brokers.broker import EventBroker
from rasa.core.lock_store import LockStore, RedisLockStore
from rasa.core.tracker_store import TrackerStore
from rasa.core.utils import AvailableEndpoints, read_endpoints_from_path
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, SessionStarted, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.exceptions import RasaException
from rasa.shared.utils.common import class_from_module_path

from bot.rasa_ext.event_broker import PikaEventBroker
from bot.rasa_ext.tracker_store import SQLTrackerStore
from bot.vocabulary import CUSTOMER_TOKEN_KEY
from tests.assistant.helpers import ROOT, drain_queue, require_rabbitmq, require_redis

PRODUCTION = ROOT / "deploy" / "endpoints.production.yml"
DEPLOY_DOCS = ROOT / "docs" / "deploy.md"
ENV_REFERENCE = re.compile(r"\$\{([A-Z][A-Z0-9_]*)\}")
# Settings that are neither hosts, secrets nor URLs, and may be written out.
PLAIN_SETTINGS = {"type", "dialect", "key_prefix"}
SECTIONS = {"tracker_store", "lock_store", "event_broker", "action_endpoint"}
REDIS_DB = "3"  # the tests' Redis database (tests/assistant/test_tracker_store.py)


def text() -> str:
    return PRODUCTION.read_text(encoding="utf-8")


def raw() -> Dict[str, Any]:
    """The file as written (PyYAML does not substitute environment variables)."""
    return yaml.safe_load(text())


def variables() -> list:
    """The variables the file's settings use (not those in its comments)."""
    settings = "\n".join(line.split("#", 1)[0] for line in text().splitlines())
    return sorted(set(ENV_REFERENCE.findall(settings)))


def leaves(tree: Any, path: str = "") -> Iterator[tuple]:
    if isinstance(tree, dict):
        for key, value in tree.items():
            yield from leaves(value, f"{path}.{key}" if path else key)
    elif isinstance(tree, list):
        for index, value in enumerate(tree):
            yield from leaves(value, f"{path}[{index}]")
    else:
        yield path, tree


def fake_environment(monkeypatch) -> Dict[str, str]:
    """A distinct fake value for every variable (ports and the database number must be numbers)."""
    values = {name: f"fake-{name.lower().replace('_', '-')}" for name in variables()}
    values.update(TRACKER_DB_PORT="6543", REDIS_PORT="16379", REDIS_DB="7", RABBITMQ_PORT="15672",
                  ACTION_SERVER_URL="http://actions.internal:5055/webhook")
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    return values


def test_the_file_configures_the_stores_the_broker_and_the_action_server():
    assert set(raw()) == SECTIONS


def test_no_value_is_a_literal_host_secret_or_url():
    for path, value in leaves(raw()):
        if path.rsplit(".", 1)[-1] in PLAIN_SETTINGS:
            continue
        assert isinstance(value, str) and ENV_REFERENCE.fullmatch(value), (
            f"{path} must be an unquoted ${{VARIABLE}} reference, not {value!r}"
        )


def test_references_are_unquoted():
    """Rasa substitutes `${NAME}` only in plain scalars: a quoted one would stay a literal string."""
    settings = "\n".join(line.split("#", 1)[0] for line in text().splitlines())
    assert "${" in settings
    assert not re.search(r"""["']\$\{""", settings)


def test_the_launcher_uses_the_same_classes_and_lock_prefix():
    """Production runs the store, lock prefix and broker classes `make run` runs and tests (scripts/run.sh), with
    conversations in SQL instead of Redis."""
    launcher = (ROOT / "scripts" / "run.sh").read_text(encoding="utf-8")
    endpoints = raw()
    assert f"type: {endpoints['event_broker']['type']}" in launcher
    assert f"key_prefix: {endpoints['lock_store']['key_prefix']}" in launcher
    assert "X-Action-Token: \\${ACTION_SERVER_TOKEN}" in launcher
    assert endpoints["action_endpoint"]["headers"] == {"X-Action-Token": "${ACTION_SERVER_TOKEN}"}
    assert class_from_module_path(endpoints["tracker_store"]["type"]) is SQLTrackerStore


def test_rasa_reads_every_endpoint_with_the_values_of_the_environment(monkeypatch):
    env = fake_environment(monkeypatch)
    endpoints = read_endpoints_from_path(str(PRODUCTION))
    assert endpoints.model is None  # the model is baked into the image

    store = endpoints.tracker_store
    assert (store.type, store.url) == ("bot.rasa_ext.tracker_store.SQLTrackerStore", env["TRACKER_DB_HOST"])
    assert store.kwargs == {"dialect": "postgresql", "port": "6543", "db": env["TRACKER_DB_NAME"],
                            "username": env["TRACKER_DB_USER"], "password": env["TRACKER_DB_PASSWORD"]}
    url = SQLTrackerStore.get_db_url(host=store.url, **store.kwargs)  # what the store connects to
    assert (url.drivername, url.host, url.port, url.database, url.username, url.password) == (
        "postgresql", env["TRACKER_DB_HOST"], 6543, env["TRACKER_DB_NAME"], env["TRACKER_DB_USER"],
        env["TRACKER_DB_PASSWORD"])

    lock_store = LockStore.create(endpoints.lock_store)  # redis-py connects at the first command only
    assert isinstance(lock_store, RedisLockStore)
    connection = lock_store.red.connection_pool.connection_kwargs
    assert (connection["host"], connection["port"], connection["db"], connection["password"]) == (
        env["REDIS_HOST"], 16379, 7, env["REDIS_PASSWORD"])
    assert lock_store.key_prefix.startswith("canonassistant:")

    broker_config = endpoints.event_broker
    broker_class = class_from_module_path(broker_config.type)
    assert broker_class is PikaEventBroker
    loop = asyncio.new_event_loop()
    broker = broker_class(broker_config.url, **broker_config.kwargs, event_loop=loop)  # not connected
    loop.close()
    assert (broker.host, broker.port, broker.username, broker.password, broker.queues, broker.exchange_name) == (
        env["RABBITMQ_HOST"], 15672, env["RABBITMQ_USERNAME"], env["RABBITMQ_PASSWORD"], [env["RABBITMQ_QUEUE"]],
        env["RABBITMQ_EXCHANGE"])

    assert endpoints.action.url == "http://actions.internal:5055/webhook"
    assert endpoints.action.headers == {"X-Action-Token": env["ACTION_SERVER_TOKEN"]}


def test_an_empty_redis_password_means_none(monkeypatch):
    """A Redis without a password: REDIS_PASSWORD set to the empty string (unset would stop Rasa)."""
    fake_environment(monkeypatch)
    monkeypatch.setenv("REDIS_PASSWORD", "")
    lock_store = LockStore.create(read_endpoints_from_path(str(PRODUCTION)).lock_store)
    assert not lock_store.red.connection_pool.connection_kwargs["password"]


def test_a_missing_variable_stops_rasa(monkeypatch):
    fake_environment(monkeypatch)
    monkeypatch.delenv("TRACKER_DB_PASSWORD")
    with pytest.raises(RasaException, match="TRACKER_DB_PASSWORD"):
        read_endpoints_from_path(str(PRODUCTION))


def test_the_documented_model_server_section_is_read(monkeypatch, tmp_path):
    """The file's comment shows the `models:` section for a model server; added to the file, Rasa reads it."""
    lines = text().splitlines()
    start = lines.index("# models:")
    section = []
    for line in lines[start:]:
        if not line.startswith("# ") or (section and not line.startswith("#   ")):
            break
        section.append(line[2:])
    env = fake_environment(monkeypatch)
    monkeypatch.setenv("MODEL_SERVER_URL", "https://models.internal/models/assistant.tar.gz")
    monkeypatch.setenv("MODEL_SERVER_TOKEN", "fake-model-server-token")
    with_models = tmp_path / "endpoints.yml"
    with_models.write_text(text() + "\n" + "\n".join(section) + "\n", encoding="utf-8")
    endpoints = read_endpoints_from_path(str(with_models))
    assert endpoints.model.url == "https://models.internal/models/assistant.tar.gz"
    assert endpoints.model.token == "fake-model-server-token"
    assert endpoints.model.kwargs["wait_time_between_pulls"] == 60
    assert endpoints.tracker_store.url == env["TRACKER_DB_HOST"]


def test_every_variable_is_documented():
    docs = DEPLOY_DOCS.read_text(encoding="utf-8")
    names = variables() + ["MODEL_SERVER_URL", "MODEL_SERVER_TOKEN"]
    assert [name for name in names if f"`{name}`" not in docs] == []


# ------------------------------------------------------------------ against the local services


@pytest.fixture
def local_environment(monkeypatch, database) -> Dict[str, str]:
    """The variables for the services on this machine, with this test's own database, queue and exchange."""
    require_redis()
    require_rabbitmq()
    name = f"test-endpoints-{uuid.uuid4().hex[:10]}"
    values = {
        "TRACKER_DB_HOST": "127.0.0.1", "TRACKER_DB_PORT": "5432", "TRACKER_DB_NAME": database,
        "TRACKER_DB_USER": "postgres", "TRACKER_DB_PASSWORD": "",
        "REDIS_HOST": "127.0.0.1", "REDIS_PORT": "6379", "REDIS_DB": REDIS_DB, "REDIS_PASSWORD": "",
        "RABBITMQ_HOST": "127.0.0.1", "RABBITMQ_PORT": "5672", "RABBITMQ_USERNAME": "guest",
        "RABBITMQ_PASSWORD": "guest", "RABBITMQ_QUEUE": name, "RABBITMQ_EXCHANGE": name,
        "ACTION_SERVER_URL": "http://127.0.0.1:5055/webhook", "ACTION_SERVER_TOKEN": "fake-action-server-token",
    }
    for key, value in values.items():
        monkeypatch.setenv(key, value)
    return values


def conversation(sender: str) -> DialogueStateTracker:
    domain = Domain.from_dict({"intents": ["greet"]})
    tracker = DialogueStateTracker.from_events(sender, [
        ActionExecuted("action_session_start", timestamp=1.0), SessionStarted(timestamp=1.1),
        ActionExecuted("action_listen", timestamp=1.2),
        UserUttered("Labas", {"name": "greet", "confidence": 0.9}, timestamp=2.0,
                    metadata={CUSTOMER_TOKEN_KEY: "secret-customer-token", "language": "lt"}),
    ], slots=domain.slots)
    return tracker


async def start_like_rasa(endpoints: AvailableEndpoints):
    """The broker, tracker store and lock store as `rasa run` creates them (rasa/core/run.py,
    load_agent_on_start)."""
    broker = await EventBroker.create(endpoints.event_broker)
    tracker_store = TrackerStore.create(endpoints.tracker_store, Domain.from_dict({"intents": ["greet"]}), broker)
    return broker, tracker_store, LockStore.create(endpoints.lock_store)


async def read_queue(name: str, count: int) -> list:
    import aio_pika

    connection = await aio_pika.connect("amqp://guest:guest@127.0.0.1:5672/", timeout=5)
    try:
        return [json.loads(message.body) for message in await drain_queue(await connection.channel(), name, count)]
    finally:
        await connection.close()


def test_rasa_builds_working_stores_and_broker_from_the_file(local_environment):
    """With the variables pointing at this machine's services: the conversation is written to PostgreSQL (one row
    per event, without the customer token) and read back, its events reach the queue the core reads, and the
    conversation lock is taken in Redis under the launcher's prefix."""
    import psycopg2

    env = local_environment
    endpoints = read_endpoints_from_path(str(PRODUCTION))
    sender = f"endpoints-test-{uuid.uuid4().hex[:8]}"

    async def scenario():
        broker, tracker_store, lock_store = await start_like_rasa(endpoints)
        try:
            assert type(tracker_store) is SQLTrackerStore and type(broker) is PikaEventBroker
            assert type(lock_store) is RedisLockStore
            async with lock_store.lock(sender):
                assert lock_store.red.exists(f"canonassistant:lock:{sender}")
                await tracker_store.save(conversation(sender))
            retrieved = await tracker_store.retrieve(sender)
            tracker_store.engine.dispose()
            published = await read_queue(env["RABBITMQ_QUEUE"], 4)
        finally:
            await broker.close()
        return retrieved, published

    retrieved, published = asyncio.run(scenario())
    assert retrieved is not None
    # Rasa's SQL store reads the conversation from its last session start on
    assert [event.type_name for event in retrieved.events] == ["session_started", "action", "user"]
    assert retrieved.latest_message.text == "Labas"
    assert retrieved.latest_message.metadata == {"language": "lt"}
    assert [event["event"] for event in published] == ["action", "session_started", "action", "user"]
    assert published[-1]["sender_id"] == sender and published[-1]["metadata"] == {"language": "lt"}

    with psycopg2.connect(host="127.0.0.1", port=5432, user="postgres", dbname=env["TRACKER_DB_NAME"]) as db:
        with db.cursor() as cursor:
            cursor.execute("SELECT type_name, intent_name, data FROM events WHERE sender_id = %s ORDER BY id",
                           (sender,))
            rows = cursor.fetchall()
    db.close()
    assert [row[0] for row in rows] == ["action", "session_started", "action", "user"]
    assert rows[-1][1] == "greet"
    assert all("secret-customer-token" not in row[2] for row in rows)
