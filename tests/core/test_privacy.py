"""Privacy (docs/analytics.md): retention deletes what is older than ANALYTICS_RETENTION_DAYS and nothing else;
erasing a customer or a conversation leaves nothing of it in any table and asks Rasa to delete its tracker (a fake
Rasa here; the real tracker stores in tests/assistant/test_erasure.py), audited without content; the command;
the settings. SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.core.analytics import erase as erasure
from bot.core.analytics import retention
from bot.core.config import MissingSetting, PrivacySettings
from bot.core.db.models import AuditEntry
from bot.core.db.session import make_engine, make_sessionmaker
from bot.core.handoff.rasa import RasaUnavailable
from bot.core.main import create_app
from tests.core.analytics_support import NOW, escalation, fallback_log, mentions, record, remaining, total_rows
from tests.core.conftest import reset
from tests.core.handoff_support import FakeRasa, make_settings

DAY = timedelta(days=1)
SECRET_WORDS = "slaptas-turinys-7781"  # written into every row of the erased customer, looked for afterwards


# ------------------------------------------------------------------ retention


def aged(session: Session, name: str, age_days: float, *, closed: bool = True) -> str:
    """A conversation whose session, escalation and fallback entry are `age_days` old."""
    moment = NOW - age_days * DAY
    record(session, name, moment, [("customer", f"{name} klausia", "?fallback"), ("bot", "Atsiprašau", None)],
           steps=[("registration_form", "started")])
    escalation(session, name, moment, closed=closed)
    fallback_log(session, name, moment, f"{name} klausia")
    return name


def test_retention_deletes_only_what_is_older(session: Session) -> None:
    old, young, edge, open_old = (aged(session, "old", 200), aged(session, "young", 10),
                                  aged(session, "edge", 179.9), aged(session, "open-old", 200, closed=False))
    counts = retention.prune(session, NOW, 180)
    assert counts == {"sessions": 2, "escalations": 1, "fallback_messages": 2}
    assert set(remaining(session, old).values()) == {0}
    assert remaining(session, open_old) | {"escalations": 0, "escalation_messages": 0} == dict.fromkeys(
        remaining(session, old), 0)
    assert remaining(session, open_old)["escalations"] == 1  # an open escalation stays, however old
    for kept in (young, edge):
        assert 0 not in remaining(session, kept).values()
    assert retention.prune(session, NOW, 180) == {"sessions": 0, "escalations": 0, "fallback_messages": 0}
    assert mentions(session, "old klausia") == []


def test_a_session_still_going_at_the_cutoff_stays(session: Session) -> None:
    record(session, "long", NOW - 181 * DAY, [("customer", "labas", "greet")], minutes=2 * 24 * 60)
    assert retention.prune(session, NOW, 180)["sessions"] == 0
    assert retention.prune(session, NOW + 2 * DAY, 180)["sessions"] == 1


def test_the_retention_settings() -> None:
    assert PrivacySettings().retention_days == 180 and PrivacySettings().retention_interval == 0
    from_env = PrivacySettings.from_env({})
    assert from_env.retention_days == 180 and from_env.retention_interval == 3600
    assert PrivacySettings.from_env({"ANALYTICS_RETENTION_DAYS": "30"}).retention_days == 30
    with pytest.raises(MissingSetting, match="ANALYTICS_RETENTION_DAYS"):
        PrivacySettings.from_env({"ANALYTICS_RETENTION_DAYS": "half a year"})


def test_the_app_prunes_in_the_background(database_url: str) -> None:
    reset(database_url)
    engine = make_engine(database_url)
    with make_sessionmaker(engine)() as session:
        aged(session, "old", 400)
    settings = make_settings(database_url).model_copy(update={"privacy": PrivacySettings(retention_interval=0.05)})
    with TestClient(create_app(settings, clock=lambda: NOW, rasa=FakeRasa())):
        for _ in range(100):
            with make_sessionmaker(engine)() as session:
                if set(remaining(session, "old").values()) == {0}:
                    break
            asyncio.run(asyncio.sleep(0.05))
    with make_sessionmaker(engine)() as session:
        assert set(remaining(session, "old").values()) == {0}
    engine.dispose()


def test_the_retention_command(database_url: str, monkeypatch: pytest.MonkeyPatch,
                               capsys: pytest.CaptureFixture[str]) -> None:
    reset(database_url)
    engine = make_engine(database_url)
    with make_sessionmaker(engine)() as session:
        aged(session, "ancient", 2000)
        aged(session, "fresh", 1)
    monkeypatch.setenv("CORE_DATABASE_URL", database_url)
    assert retention.main(["--days", "365"]) == 0
    assert "1 sessions, 1 escalations, 1 fallback messages" in capsys.readouterr().out
    with make_sessionmaker(engine)() as session:
        assert set(remaining(session, "ancient").values()) == {0}
        assert 0 not in remaining(session, "fresh").values()
    engine.dispose()


# ------------------------------------------------------------------ erasure


def customer_world(session: Session) -> None:
    """Customer demo-gold in two conversations (one known only from an escalation), another customer, anonymous."""
    words = SECRET_WORDS
    record(session, "web:mine-1", NOW - DAY, [("customer", f"mano {words}", "?fallback"), ("bot", words, None)],
           customer_id="demo-gold", satisfaction="not_helped", steps=[("membership_form", "started")])
    record(session, "web:mine-1", NOW - DAY / 2, [("customer", f"vėl {words}", "greet")])  # its next session
    fallback_log(session, "web:mine-1", NOW - DAY, f"mano {words}", [{"name": "greet", "confidence": 0.2}])
    escalation(session, "web:mine-2", NOW - 2 * DAY, customer_id="demo-gold", texts=(words, f"agentas {words}"))
    record(session, "web:other", NOW - DAY, [("customer", "kito kliento žinutė", "greet")], customer_id="demo-silver")
    escalation(session, "web:other", NOW - DAY, customer_id="demo-silver")
    record(session, "web:anonymous", NOW - DAY, [("customer", "anonimas", "?fallback")])
    fallback_log(session, "web:anonymous", NOW - DAY, "anonimas")


def test_erasing_a_customer_leaves_nothing_of_them(session: Session) -> None:
    customer_world(session)
    rasa = FakeRasa(trackers={"web:mine-1": [{"event": "user"}], "web:mine-2": [{"event": "user"}],
                              "web:other": [{"event": "user"}]})
    before = total_rows(session)
    erased = erasure.erase(session, rasa, "command:ops", NOW, customer_id="demo-gold")
    assert erased.as_dict() == {"conversations": 2, "tracker_conversations": 2, "sessions": 2, "escalations": 1,
                                "fallback_messages": 1}
    assert sorted(call[1] for call in rasa.of("delete")) == ["web:mine-1", "web:mine-2"]
    assert set(rasa.trackers) == {"web:other"}
    for conversation in ("web:mine-1", "web:mine-2"):
        assert set(remaining(session, conversation).values()) == {0}
    assert mentions(session, SECRET_WORDS) == []  # in no column of any table
    after = total_rows(session)
    assert before["analytics_turns"] - after["analytics_turns"] == 3
    assert before["escalation_messages"] - after["escalation_messages"] == 2
    assert after["analytics_flow_steps"] == before["analytics_flow_steps"] - 1
    for conversation in ("web:other", "web:anonymous"):  # the others keep everything
        assert remaining(session, conversation)["analytics_conversations"] == 1
    audit = session.scalars(select(AuditEntry)).one()
    assert (audit.actor, audit.action, audit.subject) == ("command:ops", "erase_customer", "customer:demo-gold")
    assert audit.detail == erased.as_dict() and audit.at is not None
    assert "web:mine" not in str(audit.detail)


def test_erasing_a_whatsapp_conversation_finds_its_redacted_fallback_entries(session: Session) -> None:
    # a WhatsApp conversation's id is the customer's phone number, which the fallback log keeps redacted
    for number, text in (("37061234567", f"mano {SECRET_WORDS}"), ("37069999999", "kito žinutė")):
        record(session, number, NOW - DAY, [("customer", text, "?fallback")], customer_id=f"customer-{number}")
        fallback_log(session, number, NOW - DAY, text)
    erased = erasure.erase(session, FakeRasa(), "command:ops", NOW, customer_id="customer-37061234567")
    assert erased.fallback_messages == 1
    assert mentions(session, SECRET_WORDS) == []
    assert mentions(session, "kito žinutė") != []  # the other number's entry, redacted alike, stays


def test_erasing_one_conversation(session: Session) -> None:
    customer_world(session)
    rasa = FakeRasa()
    erased = erasure.erase(session, rasa, "agent:ona", NOW, conversation_id="web:anonymous")
    assert erased.as_dict() == {"conversations": 1, "tracker_conversations": 0, "sessions": 1, "escalations": 0,
                                "fallback_messages": 1}
    assert set(remaining(session, "web:anonymous").values()) == {0}
    assert mentions(session, "anonimas") == []
    assert remaining(session, "web:mine-1")["analytics_conversations"] == 2
    assert session.scalars(select(AuditEntry.subject)).all() == ["conversation:web:anonymous"]


def test_nothing_is_erased_when_rasa_cannot_be_reached(session: Session) -> None:
    customer_world(session)
    before = total_rows(session)
    with pytest.raises(RasaUnavailable):
        erasure.erase(session, FakeRasa(down=True), "command:ops", NOW, customer_id="demo-gold")
    session.rollback()
    assert total_rows(session) == before  # the request can be repeated: the conversations are still known


def test_an_unknown_customer_is_audited_with_nothing_erased(session: Session) -> None:
    erased = erasure.erase(session, FakeRasa(), "command:ops", NOW, customer_id="demo-nobody")
    assert erased.conversations == 0
    assert session.scalars(select(AuditEntry.action)).all() == ["erase_customer"]


def test_the_erase_command(database_url: str, monkeypatch: pytest.MonkeyPatch,
                           capsys: pytest.CaptureFixture[str]) -> None:
    reset(database_url)
    engine = make_engine(database_url)
    with make_sessionmaker(engine)() as session:
        customer_world(session)
    monkeypatch.setenv("CORE_DATABASE_URL", database_url)
    rasa = FakeRasa(trackers={"web:mine-1": []})
    assert erasure.main(["--customer", "demo-gold"], rasa=rasa) == 0
    assert "2 conversations, 1 tracker conversations" in capsys.readouterr().out
    assert erasure.main(["--conversation", "web:other"], rasa=FakeRasa(down=True)) == 1
    assert "Nothing erased" in capsys.readouterr().err
    with make_sessionmaker(engine)() as session:
        assert mentions(session, SECRET_WORDS) == []
        assert remaining(session, "web:other")["analytics_conversations"] == 1
        assert [a.actor.startswith("command:") for a in session.scalars(select(AuditEntry))] == [True]
    engine.dispose()
    with pytest.raises(SystemExit):
        erasure.main([])
