"""The benches' side of the core (scripts/bench_core.py, scripts/bench_tokens.py): their tokens are the core's,
fresh demo copies, and closing the benches' escalations without handing them back to Rasa."""

from __future__ import annotations

import sys
from pathlib import Path

import jwt
import pytest
from sqlalchemy import func, select

from bot.core.clock import utc_now
from bot.core.db.models import Customer, Escalation, Membership, RegisteredProduct
from bot.core.db.session import make_engine, make_sessionmaker, upgrade_to_head
from bot.core.handoff import service
from bot.core.tokens import decode_customer_token, make_customer_token
from tests.core.conftest import TOKEN_SECRET

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts"))
import bench_core  # noqa: E402
import bench_tokens  # noqa: E402


def test_bench_tokens_are_what_the_core_accepts_and_makes():
    token = bench_tokens.customer_token("demo-gold", TOKEN_SECRET)
    assert decode_customer_token(token, TOKEN_SECRET) == "demo-gold"
    with pytest.raises(jwt.InvalidTokenError):
        decode_customer_token(token, TOKEN_SECRET + "-other")
    cores = make_customer_token("demo-gold", TOKEN_SECRET)
    assert jwt.get_unverified_header(token) == jwt.get_unverified_header(cores)
    options = {"verify_signature": False}
    assert jwt.decode(token, options=options).keys() == jwt.decode(cores, options=options).keys() == {
        "sub", "iat", "exp"}


def test_fresh_copies_of_demo_customers(session):
    made = bench_core.clone_many(session, "bench-run-c1", {"demo-details": 2, "demo-member": 1})
    assert made == [("demo-details", "bench-run-c1-demo-details-0"), ("demo-details", "bench-run-c1-demo-details-1"),
                    ("demo-member", "bench-run-c1-demo-member-0")]

    def products(customer: str) -> int:
        return session.scalar(select(func.count()).select_from(RegisteredProduct)
                              .where(RegisteredProduct.customer_id == customer))

    assert products("bench-run-c1-demo-details-1") == products("demo-details") == 2
    numbers = set(session.scalars(select(Membership.number)))
    assert len(numbers) == 2  # the copy of the member has a number of its own


def test_copies_need_the_running_core_s_database(tmp_path):
    url = f"sqlite:///{tmp_path / 'other.db'}"
    upgrade_to_head(url)
    engine = make_engine(url)
    with make_sessionmaker(engine)() as session, pytest.raises(bench_core.NotTheCoresDatabase, match="demo-gold"):
        bench_core.clone_many(session, "bench-run", {"demo-gold": 1})
    engine.dispose()


def escalate(session, conversation_id: str) -> Escalation:
    escalation, _ = service.create_escalation(
        session, conversation_id=conversation_id, channel="rest", language="lt", reason="customer_request",
        transcript=[], customer_id=None, now=utc_now(), out_of_hours=False)
    return escalation


def test_closing_the_bench_s_escalations(session):
    for conversation in ("bench-idle-ab12-0", "bench-idle-ab12-1", "bench-idle-cd34-0", "customer-7"):
        escalate(session, conversation)
    assert bench_core.open_escalations(session) == 4
    assert bench_core.open_escalations(session, "bench-idle-ab12-") == 2
    assert bench_core.close_escalations(session, "bench-idle-%") == 0  # the prefix is taken literally
    assert bench_core.close_escalations(session, "bench-idle-ab12-") == 2
    assert bench_core.close_escalations(session, "bench-idle-ab12-") == 0
    session.expire_all()
    rows = {e.conversation_id: e for e in session.scalars(select(Escalation))}
    assert {c: e.status for c, e in rows.items()} == {"bench-idle-ab12-0": "closed", "bench-idle-ab12-1": "closed",
                                                      "bench-idle-cd34-0": "waiting", "customer-7": "waiting"}
    closed = rows["bench-idle-ab12-0"]
    assert closed.resolution_note == bench_core.CLOSING_NOTE and closed.close_notified_at is not None
    # announced: the core's worker does not hand these conversations back to Rasa
    assert service.due_for_rasa(session, utc_now()) == []
    assert bench_core.close_escalations(session, "bench-") == 1
    assert bench_core.open_escalations(session) == 1


def test_the_command_line(session, database_url, monkeypatch, capsys):
    monkeypatch.setenv("CORE_DATABASE_URL", database_url)
    assert bench_core.main(["clone", "bench-cli", "demo-gold=1"]) == 0
    assert capsys.readouterr().out == "demo-gold\tbench-cli-demo-gold-0\n"
    session.expire_all()
    assert session.get(Customer, "bench-cli-demo-gold-0") is not None
    assert bench_core.main(["open-escalations", "bench-"]) == 0 and capsys.readouterr().out == "0\n"
    escalate(session, "rest:bench-cli-0")  # the REST channel's conversation of the sender "bench-cli-0"
    escalate(session, "bench-cli-1")
    session.commit()
    assert bench_core.main(["open-escalations", "bench-"]) == 0 and capsys.readouterr().out == "1\n"
    assert bench_core.main(["open-escalations"]) == 0 and capsys.readouterr().out == "2\n"
    assert bench_core.main(["close-escalations", "bench-"]) == 0 and capsys.readouterr().out == "1\n"
    assert bench_core.main(["clone", "bench-cli", "demo-gold"]) == 1
    assert "DEMO=COUNT" in capsys.readouterr().err
    assert bench_core.main(["close-escalations"]) == 2
