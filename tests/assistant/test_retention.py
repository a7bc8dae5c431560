"""Conversations quiet for longer than the retention leave the SQL tracker store whole; others stay whole
(bot/rasa_ext/retention.py, issue 15). SQLite for the rules, the local PostgreSQL as in production."""

from __future__ import annotations

import asyncio
import os
import subprocess
import time
from pathlib import Path
from typing import Iterator, List

import pytest
from rasa.shared.core.events import ActionExecuted, BotUttered, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.rasa_ext import retention
from bot.rasa_ext.tracker_store import SQLTrackerStore

DAY = 86400.0
NOW = time.time()


def conversation(sender: str, *ages_in_days: float) -> DialogueStateTracker:
    """A conversation whose customer messages are `ages_in_days` old (with the bot's answers)."""
    events: List = []
    for age in ages_in_days:
        moment = NOW - age * DAY
        events += [UserUttered("Labas", timestamp=moment), ActionExecuted("utter_greet", timestamp=moment + 1),
                   BotUttered("Sveiki!", timestamp=moment + 1), ActionExecuted("action_listen", timestamp=moment + 2)]
    return DialogueStateTracker.from_events(sender, events)


def stored(store: SQLTrackerStore) -> dict:
    events = store.SQLEvent.__table__
    with store.session_scope() as session:
        rows = session.execute(events.select()).fetchall()
    counts: dict = {}
    for row in rows:
        counts[row.sender_id] = counts.get(row.sender_id, 0) + 1
    return counts


def fill(store: SQLTrackerStore) -> None:
    for tracker in (conversation("old", 200, 120), conversation("recent", 3), conversation("came back", 150, 1),
                    conversation("edge", 89.9)):
        asyncio.run(store.save(tracker))


@pytest.fixture
def sqlite_store(tmp_path: Path) -> Iterator[SQLTrackerStore]:
    store = SQLTrackerStore(dialect="sqlite", db=str(tmp_path / "trackers.db"))
    yield store
    store.engine.dispose()


def test_quiet_conversations_go_whole_and_others_stay_whole(sqlite_store):
    fill(sqlite_store)
    assert set(stored(sqlite_store)) == {"old", "recent", "came back", "edge"}
    assert retention.prune(sqlite_store, 90, now=NOW) == 1
    assert stored(sqlite_store) == {"recent": 4, "came back": 8, "edge": 4}  # what stays keeps every event
    assert retention.prune(sqlite_store, 90, now=NOW) == 0
    assert retention.prune(sqlite_store, 2, now=NOW) == 2  # "recent" (3 days) and "edge"
    assert set(stored(sqlite_store)) == {"came back"}


@pytest.mark.parametrize("value, days", [("30", 30.0), ("0.5", 0.5), (None, 180.0)])
def test_the_retention_setting(monkeypatch, value, days):
    monkeypatch.delenv(retention.DAYS_VARIABLE, raising=False)
    assert retention.retention_days(value) == days
    monkeypatch.setenv(retention.DAYS_VARIABLE, "7")
    assert retention.retention_days() == 7.0


@pytest.mark.parametrize("value", ["0", "-1", "ninety", ""])
def test_a_wrong_retention_setting_is_refused_clearly(value):
    with pytest.raises(ValueError, match=retention.DAYS_VARIABLE):
        retention.retention_days(value)


def test_the_command_prunes_the_stores_of_an_endpoints_file(tmp_path, capsys):
    database = tmp_path / "trackers.db"
    store = SQLTrackerStore(dialect="sqlite", db=str(database))
    fill(store)
    endpoints = tmp_path / "endpoints.yml"
    endpoints.write_text(f"tracker_store:\n  type: bot.rasa_ext.tracker_store.SQLTrackerStore\n  dialect: sqlite\n"
                         f"  db: {database}\n", encoding="utf-8")
    assert retention.main(["--endpoints", str(endpoints), "--days", "100"]) == 0
    assert "removed 1 conversation(s)" in capsys.readouterr().out
    assert set(stored(store)) == {"recent", "came back", "edge"}
    assert retention.main(["--endpoints", str(endpoints), "--days", "zero"]) == 2
    assert retention.DAYS_VARIABLE in capsys.readouterr().err
    store.engine.dispose()


def test_a_store_that_is_not_sql_is_left_alone(tmp_path, capsys):
    endpoints = tmp_path / "endpoints.yml"
    endpoints.write_text("tracker_store:\n  type: bot.rasa_ext.tracker_store.InMemoryTrackerStore\n", encoding="utf-8")
    assert retention.main(["--endpoints", str(endpoints)]) == 0
    assert "nothing to prune" in capsys.readouterr().out


def test_the_command_takes_the_production_variables(database, monkeypatch, capsys):
    monkeypatch.setenv("TRACKER_DB_HOST", "127.0.0.1")
    monkeypatch.setenv("TRACKER_DB_PORT", "5432")
    monkeypatch.setenv("TRACKER_DB_NAME", database)
    monkeypatch.setenv("TRACKER_DB_USER", "postgres")
    monkeypatch.setenv("TRACKER_DB_PASSWORD", "")
    store = SQLTrackerStore(dialect="postgresql", host="127.0.0.1", port=5432, db=database, username="postgres")
    try:
        fill(store)
        assert retention.main(["--days", "100"]) == 0
        assert "removed 1 conversation(s)" in capsys.readouterr().out
        assert set(stored(store)) == {"recent", "came back", "edge"}
    finally:
        store.engine.dispose()
    monkeypatch.delenv("TRACKER_DB_HOST")
    assert retention.main([]) == 2 and "TRACKER_DB_HOST" in capsys.readouterr().err


def test_on_postgresql(database):
    store = SQLTrackerStore(dialect="postgresql", host="127.0.0.1", port=5432, db=database, username="postgres")
    try:
        fill(store)
        assert retention.prune(store, 90, now=NOW) == 1
        assert stored(store) == {"recent": 4, "came back": 8, "edge": 4}
    finally:
        store.engine.dispose()


def run_check(env: dict) -> subprocess.CompletedProcess:
    """scripts/run.sh --check on a free port; `.endpoints`: the endpoints file it writes."""
    from tests.assistant.helpers import ROOT
    from tests.servers import free_port

    port = str(free_port())
    done = subprocess.run([str(ROOT / "scripts/run.sh"), "--check"], cwd=ROOT, capture_output=True, text=True,
                          timeout=120, env={**os.environ, "RASA_PORT": port, **env})
    done.endpoints = ROOT / "build" / f"endpoints-{port}.yml"  # type: ignore[attr-defined]
    return done


@pytest.mark.parametrize("days, seconds", [(None, 180 * 86400), ("30", 30 * 86400), ("0.5", 43200)])
def test_redis_keeps_a_quiet_conversation_as_long(monkeypatch, days, seconds):
    """make run's Redis tracker store expires a conversation CONVERSATION_RETENTION_DAYS after its last event."""
    import yaml

    from tests.assistant.helpers import require_redis

    require_redis()
    monkeypatch.delenv(retention.DAYS_VARIABLE, raising=False)
    done = run_check({retention.DAYS_VARIABLE: days} if days else {})
    try:
        assert done.returncode == 0, done.stderr
        written = yaml.safe_load(done.endpoints.read_text(encoding="utf-8"))
        assert written["tracker_store"]["record_exp"] == seconds
    finally:
        done.endpoints.unlink(missing_ok=True)


@pytest.mark.parametrize("days", ["half a year", "0", "-3", "1e9", "0.000001"])
def test_a_wrong_redis_retention_is_refused_before_anything_starts(days):
    done = run_check({retention.DAYS_VARIABLE: days})
    assert done.returncode == 1 and retention.DAYS_VARIABLE in done.stderr
    assert not done.endpoints.exists()
