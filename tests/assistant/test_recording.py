"""Analytics recording end to end (docs/analytics.md "Recording"): conversations with the real trained model over
the REST webhook, through the real servers (scripts/run.sh with RabbitMQ: Rasa publishes its events, the core's
recorder consumes its own queue), give exactly the expected rows in the core's database: FAQ questions, a flow
completed, cancelled, abandoned and handed over, fallbacks, and a signed-in customer's handoff. RabbitMQ is required
(CI=true: its absence fails)."""

from __future__ import annotations

import sqlite3
import time
import uuid
from typing import Any, List, Optional, Tuple

import pytest

from tests.assistant.conftest import Servers
from tests.assistant.helpers import Chat, require_rabbitmq

pytestmark = pytest.mark.servers
WAIT_SECONDS = 60
REGISTRATION = "registration_form"


class Recorded:
    """The recorder's rows of one conversation, read from the core's SQLite database."""

    def __init__(self, servers: Servers) -> None:
        self.path = servers.database_url.removeprefix("sqlite:///")

    def query(self, sql: str, *parameters: Any) -> List[Tuple[Any, ...]]:
        with sqlite3.connect(self.path, timeout=30) as connection:
            return connection.execute(sql, parameters).fetchall()

    def sessions(self, conversation_id: str) -> List[Tuple[Any, ...]]:
        return self.query("SELECT channel, language, customer_id, handoff_reason, handed_over_at IS NOT NULL "
                          "FROM analytics_conversations WHERE conversation_id = ? ORDER BY session_start",
                          conversation_id)

    def turns(self, conversation_id: str) -> List[Tuple[Any, ...]]:
        return self.query("SELECT t.sender, t.text, t.intent, t.language, t.fallback FROM analytics_turns t "
                          "JOIN analytics_conversations c ON c.id = t.conversation_ref "
                          "WHERE c.conversation_id = ? ORDER BY t.event_ts", conversation_id)

    def steps(self, conversation_id: str) -> List[Tuple[str, str]]:
        return self.query("SELECT s.flow, s.step FROM analytics_flow_steps s "
                          "JOIN analytics_conversations c ON c.id = s.conversation_ref "
                          "WHERE c.conversation_id = ? ORDER BY s.event_ts", conversation_id)

    def wait_for(self, conversation_id: str, turns: int) -> None:
        deadline = time.monotonic() + WAIT_SECONDS
        while len(self.turns(conversation_id)) < turns:
            assert time.monotonic() < deadline, f"{conversation_id}: not {turns} turns within {WAIT_SECONDS} s"
            time.sleep(0.3)
        time.sleep(1.0)  # anything more (there should be nothing) would show below


class Talk:
    """A conversation over the REST webhook with the turns it should leave: each customer message with the intent
    and language expected, the bot's replies as they came."""

    def __init__(self, servers: Servers, token: Optional[str] = None) -> None:
        self.chat = Chat(servers.rasa_url, f"rec-{uuid.uuid4().hex[:10]}", token)
        self.expected: List[Tuple[Any, ...]] = []

    def say(self, text: str, intent: str, language: str, fallback: bool = False, recorded: Optional[str] = None,
            ) -> List[str]:
        replies = [r.text for r in self.chat.send(text) if r.text]
        self.expected.append(("customer", recorded or text, intent, language, int(fallback)))
        self.expected += [("bot", reply, None, language, 0) for reply in replies]
        return replies


@pytest.fixture
def recorded(servers: Servers) -> Recorded:
    require_rabbitmq()
    assert "events from RabbitMQ" in servers.log.read_text(errors="replace"), "the servers run without RabbitMQ"
    return Recorded(servers)


def check(recorded: Recorded, talk: Talk, session: Tuple[Any, ...], steps: List[Tuple[str, str]]) -> None:
    conversation_id = talk.chat.conversation_id
    recorded.wait_for(conversation_id, len(talk.expected))
    assert recorded.turns(conversation_id) == talk.expected
    assert recorded.sessions(conversation_id) == [session]
    assert recorded.steps(conversation_id) == steps


def test_faq_questions_in_both_languages(servers: Servers, recorded: Recorded) -> None:
    talk = Talk(servers)
    talk.say("Kiek kainuoja CPS narystė?", "membership_price", "lt")
    talk.say("How much does CPS cost?", "membership_price", "en")
    check(recorded, talk, ("rest", "en", None, None, 0), [])


def test_a_flow_completed(servers: Servers, recorded: Recorded) -> None:
    talk = Talk(servers)
    talk.say("How do I register for a business account?", "how_to_register", "en")
    talk.say("/affirm", "affirm", "en")
    talk.say("yes", "affirm", "en")
    talk.say("no", "deny", "en")
    check(recorded, talk, ("rest", "en", None, None, 0), [
        (REGISTRATION, "started"), (REGISTRATION, "vat_registered"), (REGISTRATION, "had_cps_account"),
        (REGISTRATION, "completed")])


def test_a_flow_cancelled_and_one_abandoned(servers: Servers, recorded: Recorded) -> None:
    cancelled, abandoned = Talk(servers), Talk(servers)
    for talk in (cancelled, abandoned):
        talk.say("Kaip užsiregistruoti verslo paskyrai?", "how_to_register", "lt")
        talk.say("/affirm", "affirm", "lt")
    cancelled.say("stop", "stop", "lt")
    asked = [(REGISTRATION, "started"), (REGISTRATION, "vat_registered")]
    check(recorded, cancelled, ("rest", "lt", None, None, 0), asked + [(REGISTRATION, "cancelled")])
    check(recorded, abandoned, ("rest", "lt", None, None, 0), asked)  # the customer left: no ending


def test_fallbacks(servers: Servers, recorded: Recorded) -> None:
    talk = Talk(servers)
    talk.say("Labas", "greet", "lt")
    talk.say("asdkj qwe zzxq", "nlu_fallback", "lt", fallback=True)
    talk.say("blorp flarg", "nlu_fallback", "lt", fallback=True)
    check(recorded, talk, ("rest", "lt", None, None, 0), [])


def test_a_signed_in_customers_handoff(servers: Servers, recorded: Recorded) -> None:
    customer = f"rec-{uuid.uuid4().hex[:8]}"
    talk = Talk(servers, servers.clone_customer("demo-2000", customer))
    replies = talk.say("I want to talk to a person", "request_human", "en")
    assert replies, "the handoff was announced"
    # handed over: the bot is silent; the message is redacted (its intent is whatever the model made of it)
    private = "My phone is +370 612 34567, e-mail jonas@imone.lt"
    assert talk.chat.send(private) == []
    intent = [e for e in servers.tracker(talk.chat.conversation_id)["events"] if e["event"] == "user"][-1]
    talk.expected.append(("customer", "My phone is [number], e-mail [e-mail]",
                          intent["parse_data"]["intent"]["name"], "en", 0))
    check(recorded, talk, ("rest", "en", customer, "customer_request", 1), [])
    escalation = recorded.query("SELECT reason FROM escalations WHERE conversation_id = ?", talk.chat.conversation_id)
    assert escalation == [("customer_request",)]


def test_a_customer_with_a_token_the_core_does_not_accept_is_not_recorded_as_that_customer(
        servers: Servers, recorded: Recorded) -> None:
    token = servers.clone_customer("demo-2000", f"rec-{uuid.uuid4().hex[:8]}")
    forged = token.rsplit(".", 1)[0] + ".AAAA"
    talk = Talk(servers, forged)
    talk.say("Kiek kainuoja CPS narystė?", "membership_price", "lt")
    check(recorded, talk, ("rest", "lt", None, None, 0), [])



def test_a_flow_handed_over(servers: Servers, recorded: Recorded) -> None:
    talk = Talk(servers)
    talk.say("How do I register for a business account?", "how_to_register", "en")
    talk.say("/affirm", "affirm", "en")
    talk.say("I want to talk to a person", "request_human", "en")
    check(recorded, talk, ("rest", "en", None, "customer_request", 1), [
        (REGISTRATION, "started"), (REGISTRATION, "vat_registered"), (REGISTRATION, "handed_over")])


def test_satisfaction_and_its_comment(servers: Servers, recorded: Recorded) -> None:
    talk = Talk(servers)
    talk.say("Kiek kainuoja CPS narystė?", "membership_price", "lt")
    assert talk.say("Ačiū", "thank", "lt"), "the question whether it helped"
    talk.say("/affirm", "affirm", "lt")
    comment = "Labai gerai, mano el. paštas jonas@imone.lt"
    talk.chat.send(comment)
    users = [e for e in servers.tracker(talk.chat.conversation_id)["events"] if e["event"] == "user"]
    said = [e for e in servers.tracker(talk.chat.conversation_id)["events"]
            if e["event"] == "bot" and e.get("text") and e["timestamp"] > users[-1]["timestamp"]]
    talk.expected.append(("customer", "Labai gerai, mano el. paštas [e-mail]",
                          users[-1]["parse_data"]["intent"]["name"], "lt", 0))
    talk.expected += [("bot", e["text"], None, "lt", 0) for e in said]
    check(recorded, talk, ("rest", "lt", None, None, 0), [])
    answer = recorded.query("SELECT satisfaction, satisfaction_comment, satisfaction_at IS NOT NULL "
                            "FROM analytics_conversations WHERE conversation_id = ?", talk.chat.conversation_id)
    assert answer == [("helped", "Labai gerai, mano el. paštas [e-mail]", 1)]
