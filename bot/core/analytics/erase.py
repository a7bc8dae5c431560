"""Erasing a customer's conversations on request (docs/analytics.md "Privacy"), from the command line or the
console's review pages (an admin's action), audited either way:

    python -m bot.core.analytics.erase --customer <customer id>
    python -m bot.core.analytics.erase --conversation <conversation id>

A customer's conversations are those recorded with their verified id (analytics sessions) or handed over with it
(escalations). Of each conversation everything goes: its conversation in Rasa's tracker store (through Rasa's
HTTP API: DELETE /conversations/<id>/tracker, bot/rasa_ext/conversation_routes.py), then in one transaction its
recorded sessions with their messages and flow steps, its escalations with their transcripts, and its fallback
log entries. Rasa is asked first: when it cannot be reached nothing is deleted (the request can be repeated; the
database still knows which conversations were the customer's). The audit entry (AuditEntry: who, when, which
customer or conversation, the counts) keeps none of the erased content.

The command reads CORE_DATABASE_URL, RASA_URL and RASA_TOKEN (as the core does) and exits 1 when Rasa failed.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, delete, select
from sqlalchemy.orm import Session

from bot.conversation_ids import conversation_digest
from bot.core.analytics.retention import BATCH, delete_escalations, delete_sessions
from bot.core.clock import utc_now
from bot.core.config import HandoffSettings, database_url
from bot.core.db.models import AnalyticsConversation, AuditEntry, Escalation, FallbackMessage
from bot.core.db.session import make_engine, make_sessionmaker, upgrade_to_head
from bot.core.handoff.rasa import HttpRasaClient, RasaClient, RasaUnavailable

ERASE_CUSTOMER = "erase_customer"
ERASE_CONVERSATION = "erase_conversation"


@dataclass(frozen=True)
class Erased:
    """What one erasure removed (the audit entry's detail)."""

    conversations: int
    tracker_conversations: int
    sessions: int
    escalations: int
    fallback_messages: int

    def as_dict(self) -> dict[str, int]:
        return dict(self.__dict__)


def customer_conversations(session: Session, customer_id: str) -> list[str]:
    """The ids of the conversations recorded or handed over with `customer_id`, sorted."""
    recorded = select(AnalyticsConversation.conversation_id).where(AnalyticsConversation.customer_id == customer_id)
    handed = select(Escalation.conversation_id).where(Escalation.customer_id == customer_id)
    return sorted(set(session.scalars(recorded)) | set(session.scalars(handed)))


def _in_batches(session: Session, query_of: Callable[[Sequence[str]], Select[tuple[int]]],
                ids: Sequence[str]) -> list[int]:
    found: list[int] = []
    for start in range(0, len(ids), BATCH):
        found += session.scalars(query_of(ids[start:start + BATCH]))
    return found


def _fallback_log_entries(session: Session, conversation_ids: Sequence[str]) -> list[int]:
    """The fallback log's entries of the conversations: by digest (the log keeps a phone number's id redacted), and
    by id for entries stored before the digest."""
    by_id = _in_batches(session, lambda batch: select(FallbackMessage.id).where(
        FallbackMessage.conversation_id.in_(batch)), conversation_ids)
    by_digest = _in_batches(session, lambda batch: select(FallbackMessage.id).where(
        FallbackMessage.conversation_digest.in_(batch)), [conversation_digest(id_) for id_ in conversation_ids])
    return sorted(set(by_id) | set(by_digest))


def delete_conversations(session: Session, conversation_ids: Sequence[str]) -> dict[str, int]:
    """Delete everything the core keeps of the conversations (not committed); the counts."""
    sessions = _in_batches(session, lambda batch: select(AnalyticsConversation.id).where(
        AnalyticsConversation.conversation_id.in_(batch)), conversation_ids)
    escalations = _in_batches(session, lambda batch: select(Escalation.id).where(
        Escalation.conversation_id.in_(batch)), conversation_ids)
    fallbacks = _fallback_log_entries(session, conversation_ids)
    for start in range(0, len(fallbacks), BATCH):
        session.execute(delete(FallbackMessage).where(FallbackMessage.id.in_(fallbacks[start:start + BATCH])))
    return {"sessions": delete_sessions(session, sessions), "escalations": delete_escalations(session, escalations),
            "fallback_messages": len(fallbacks)}


def erase(session: Session, rasa: RasaClient, actor: str, now: datetime, *, customer_id: str | None = None,
          conversation_id: str | None = None) -> Erased:
    """Erase a customer's conversations, or one conversation (module docstring), audited and committed.
    RasaUnavailable (nothing deleted, nothing audited) when Rasa's tracker store could not be emptied."""
    if (customer_id is None) == (conversation_id is None):
        raise ValueError("erase one customer or one conversation")
    conversations = (customer_conversations(session, customer_id) if customer_id is not None
                     else [str(conversation_id)])
    in_tracker = sum(rasa.delete_tracker(conversation) for conversation in conversations)
    counts = delete_conversations(session, conversations)
    erased = Erased(conversations=len(conversations), tracker_conversations=in_tracker, **counts)
    action, subject = ((ERASE_CUSTOMER, f"customer:{customer_id}") if customer_id is not None
                       else (ERASE_CONVERSATION, f"conversation:{conversation_id}"))
    session.add(AuditEntry(at=now, actor=actor[:120], action=action, subject=subject[:255], detail=erased.as_dict()))
    session.commit()
    return erased


def command_actor() -> str:
    """The audit log's actor of the command: "command:<os user>"."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "unknown"
    return f"command:{user}"


def main(argv: Sequence[str] | None = None, rasa: RasaClient | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    target = parser.add_mutually_exclusive_group(required=True)
    target.add_argument("--customer", help="the customer id (a verified customer's, as the core knows it)")
    target.add_argument("--conversation", help="one conversation id")
    args = parser.parse_args(argv)
    url = database_url()
    upgrade_to_head(url)
    engine = make_engine(url)
    client = rasa or HttpRasaClient.from_settings(HandoffSettings.from_env())
    try:
        with make_sessionmaker(engine)() as session:
            erased = erase(session, client, command_actor(), utc_now(), customer_id=args.customer,
                           conversation_id=args.conversation)
    except RasaUnavailable as error:
        print(f"Nothing erased: Rasa's tracker store could not be reached ({error}). Try again.", file=sys.stderr)
        return 1
    finally:
        engine.dispose()
        if rasa is None and isinstance(client, HttpRasaClient):
            client.close()
    print("erased: " + ", ".join(f"{n} {name.replace('_', ' ')}" for name, n in erased.as_dict().items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
