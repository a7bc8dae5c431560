"""Erasing conversations from Rasa's tracker stores (bot/rasa_ext/tracker_store.py `delete_conversation`, the route
`DELETE /conversations/<id>/tracker` of bot/rasa_ext/conversation_routes.py) and, end to end, a customer's erasure
by the core's command (bot/core/analytics/erase.py) against the real servers of `make run` (Redis): nothing of the
customer's conversation is left in Redis, in Rasa's API or in any table of the core. The YAML the core exports for
reviewed messages is read by Rasa's own reader."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import uuid
from pathlib import Path
from typing import Iterator

import pytest
import redis
import requests
from rasa.core.tracker_store import InMemoryTrackerStore as RasaInMemoryTrackerStore
from rasa.core.tracker_store import RedisTrackerStore as RasaRedisTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.training_data.formats.rasa_yaml import RasaYAMLReader

from bot.conversation_ids import path_segment
from bot.core.analytics.nlu_export import clean_example, nlu_yaml
from bot.rasa_ext.conversation_routes import auth_token
from bot.rasa_ext.tracker_store import (
    InMemoryTrackerStore,
    RedisTrackerStore,
    SQLTrackerStore,
    delete_conversation,
)
from tests.assistant.conftest import RASA_TOKEN, TOKEN_SECRET, Servers
from tests.assistant.helpers import ROOT, Chat, require_redis

DOMAIN = Domain.from_dict({"intents": ["greet"]})
DB = 3


def tracker(sender: str) -> DialogueStateTracker:
    return DialogueStateTracker.from_events(sender, [
        UserUttered("Labas, mano paštas ona@imone.lt", {"name": "greet", "confidence": 0.9}, timestamp=1.0),
        ActionExecuted("action_listen", timestamp=2.0)])


def save_and_erase(store) -> None:
    asyncio.run(store.save(tracker("erase-me")))
    asyncio.run(store.save(tracker("keep-me")))
    assert asyncio.run(store.retrieve("erase-me")) is not None
    assert delete_conversation(store, "erase-me") is True
    assert asyncio.run(store.retrieve("erase-me")) is None
    assert asyncio.run(store.retrieve("keep-me")) is not None
    assert delete_conversation(store, "erase-me") is False


def test_memory_stores_delete_a_conversation() -> None:
    for cls in (InMemoryTrackerStore, RasaInMemoryTrackerStore):
        save_and_erase(cls(DOMAIN))


def test_redis_stores_delete_a_conversation() -> None:
    require_redis()
    for cls in (RedisTrackerStore, RasaRedisTrackerStore):
        store = cls(DOMAIN, host="127.0.0.1", port=6379, db=DB, key_prefix=f"test{uuid.uuid4().hex}", record_exp=60)
        try:
            save_and_erase(store)
        finally:
            for key in store.red.keys(store.key_prefix + "*"):
                store.red.delete(key)


def test_sql_stores_delete_a_conversation(tmp_path: Path, database: str) -> None:
    """SQLite, and the local PostgreSQL as in production (the `database` fixture: its name)."""
    for store in (SQLTrackerStore(DOMAIN, dialect="sqlite", db=str(tmp_path / "t.db")),
                  SQLTrackerStore(DOMAIN, dialect="postgresql", host="127.0.0.1", port=5432, db=database,
                                  username="postgres")):
        try:
            save_and_erase(store)
            events = store.SQLEvent.__table__
            with store.session_scope() as session:
                senders = {row.sender_id for row in session.execute(events.select())}
            assert senders == {"keep-me"}
        finally:
            store.engine.dispose()


def test_the_routes_token_is_the_one_rasa_was_given() -> None:
    assert auth_token(["run", "--auth-token", "a"], {"RASA_TOKEN": "b"}) == "a"
    assert auth_token(["run", "-t", "a"], {}) == "a"
    assert auth_token(["run", "--auth-token=a"], {}) == "a"
    assert auth_token(["run"], {"RASA_TOKEN": "b"}) == "b"
    assert auth_token(["run"], {"RASA_TOKEN": ""}) is None


# ----------------------------------------------------------------------------- the real servers


def core_python(servers: Servers, code: str, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "CORE_DATABASE_URL": servers.database_url,
           "CUSTOMER_TOKEN_SECRET": TOKEN_SECRET, "RASA_URL": servers.rasa_url, "RASA_TOKEN": RASA_TOKEN}
    return subprocess.run([str(ROOT / ".venv/core/bin/python"), *code.split(), *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)


REMAINING = """
import json, sys
from bot.core.db.session import make_engine, make_sessionmaker
from tests.core.analytics_support import mentions, remaining
engine = make_engine()
with make_sessionmaker(engine)() as session:
    print(json.dumps({"rows": remaining(session, sys.argv[1]), "mentions": mentions(session, sys.argv[2])}))
"""


def core_rows(servers: Servers, conversation_id: str, marker: str) -> dict:
    done = core_python(servers, "-c", REMAINING, conversation_id, marker)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def redis_of(servers: Servers) -> redis.Redis:
    return redis.Redis(host=servers.env.get("REDIS_HOST", "127.0.0.1"), port=int(servers.env.get("REDIS_PORT", 6379)),
                       db=int(servers.env.get("REDIS_DB", 0)))


@pytest.fixture
def handed_over(servers: Servers) -> Iterator[tuple[Chat, str, str]]:
    """A verified customer's conversation, handed to a person (the core keeps an escalation with its transcript)."""
    customer = f"erase-{uuid.uuid4().hex[:8]}"
    chat = Chat(servers.rasa_url, token=servers.clone_customer("demo-2000", customer))
    marker = f"ypatingas{uuid.uuid4().hex[:6]}"
    chat.send(f"Labas, klausimas apie {marker}")
    chat.send("Noriu kalbėti su žmogumi")
    yield chat, customer, marker


@pytest.mark.servers
def test_erasing_a_customer_leaves_nothing_in_redis_rasa_or_the_core(servers: Servers, handed_over) -> None:
    chat, customer, marker = handed_over
    conversation = chat.conversation_id
    store = redis_of(servers)
    assert list(store.scan_iter(match=f"*{conversation}*")) == [f"canonassistant:tracker:{conversation}".encode()]
    before = core_rows(servers, conversation, marker)
    assert before["rows"]["escalations"] == 1 and before["mentions"], before  # the transcript holds the marker
    url = f"{servers.rasa_url}/conversations/{path_segment(conversation)}/tracker"
    assert requests.delete(url, timeout=30).status_code == 401  # protected like Rasa's own API
    assert requests.delete(url, params={"token": "wrong"}, timeout=30).status_code == 401

    done = core_python(servers, "-m", "bot.core.analytics.erase", "--customer", customer)
    assert done.returncode == 0, done.stderr
    assert "1 conversations, 1 tracker conversations" in done.stdout

    assert [key for key in store.scan_iter(match=f"*{conversation}*")] == []  # no Redis key of it is left
    after = core_rows(servers, conversation, marker)
    assert set(after["rows"].values()) == {0} and after["mentions"] == [], after
    again = requests.delete(url, params={"token": RASA_TOKEN}, timeout=30)
    assert again.status_code == 200 and again.json() == {"conversation_id": conversation, "deleted": False}
    events = servers.tracker(conversation)["events"]  # Rasa starts it afresh: none of the customer's words
    assert marker not in json.dumps(events) and not [e for e in events if e["event"] == "user"]
    audit = core_python(servers, "-c", "from bot.core.db.session import make_engine; from sqlalchemy import text; "
                        "print(make_engine().connect().execute(text('select actor, action, subject, detail from "
                        "audit_log')).all())")
    assert f"customer:{customer}" in audit.stdout and marker not in audit.stdout


# ----------------------------------------------------------------------------- the NLU export


def test_rasas_reader_takes_the_exported_yaml_as_written() -> None:
    texts = ["kas: tai? # ne komentaras", "- brūkšnys", "eilutės\nir\u2028skirtukai", '"kabutės" {json: 1}',
             "[EOS R5](product) ne subjektas", '[x]{"entity": "y"}', "&a *b !c %d @ ` |", "ąčęėįšųūž 😀", "---"]
    text = nlu_yaml({"greet": texts, "password_reset": ["pamiršau slaptažodį"]})
    data = RasaYAMLReader().reads(text)
    found = {(m.get("intent"), m.get("text")) for m in data.intent_examples}
    assert found == {("greet", clean_example(t)) for t in texts} | {("password_reset", "pamiršau slaptažodį")}
    assert not data.entity_examples  # the customer's brackets are no entity annotations
