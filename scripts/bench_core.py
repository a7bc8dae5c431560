"""The bench's work on the core's database, run in the core environment (scripts/bench.py and scripts/bench_idle.py
call it; it needs the same CORE_DATABASE_URL as the running core, default sqlite:///build/core.db from the
repository root, as scripts/run.sh uses).

  python scripts/bench_core.py clone bench-7f3a demo-details=40 demo-2000=40
      fresh copies of demo customers (bot.core.seed.clone_demo), one "<demo>\\t<new id>" line each: a guided flow
      that changes an account (product details, migration, an order) runs on a copy of its own.
  python scripts/bench_core.py close-escalations bench-
      closes the open escalations of the REST conversations whose sender starts with the prefix (the bench's
      handoffs; their conversation ids are "rest:" + the sender, bot/conversation_ids.py),
      marked as announced so that the core does not hand the conversations back to Rasa; prints how many.
  python scripts/bench_core.py open-escalations [PREFIX]
      how many escalations are open (of the REST conversations whose sender starts with PREFIX; else all).
"""

from __future__ import annotations

import sys
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from bot.conversation_ids import rest_conversation
from bot.core.clock import utc_now
from bot.core.db.models import Customer, Escalation
from bot.core.db.session import make_engine, make_sessionmaker
from bot.core.seed import clone_demo

CLOSING_NOTE = "closed by the bench (scripts/bench_core.py)"


class NotTheCoresDatabase(RuntimeError):
    """The database holds no demo customers: not the running core's (CORE_DATABASE_URL)."""


def clone_many(session: Session, prefix: str, wanted: dict[str, int],
               now: datetime | None = None) -> list[tuple[str, str]]:
    """`wanted[demo]` fresh copies of each demo customer, named `<prefix>-<demo>-<n>`; (demo, new id) pairs."""
    missing = [demo for demo in wanted if session.get(Customer, demo) is None]
    if missing:
        raise NotTheCoresDatabase(f"no demo customer {', '.join(missing)} in this database: set CORE_DATABASE_URL "
                                  "to the running core's")
    made = []
    for demo, count in wanted.items():
        for n in range(count):
            new_id = f"{prefix}-{demo}-{n}"
            clone_demo(session, demo, new_id, now)
            made.append((demo, new_id))
    return made


def close_escalations(session: Session, prefix: str, now: datetime | None = None) -> int:
    """Close the open escalations of the conversations whose id starts with `prefix`; how many were open."""
    moment = now or utc_now()
    closed = session.execute(
        update(Escalation)
        .where(Escalation.conversation_id.startswith(prefix, autoescape=True), Escalation.status != "closed")
        .values(status="closed", closed_at=moment, resolution_note=CLOSING_NOTE, close_notified_at=moment,
                rasa_retry_at=None, rasa_attempts=0)
    ).rowcount
    session.commit()
    return closed


def open_escalations(session: Session, prefix: str = "") -> int:
    """How many escalations are open (waiting or claimed), of conversations whose id starts with `prefix`."""
    query = select(func.count()).select_from(Escalation).where(
        Escalation.conversation_id.startswith(prefix, autoescape=True), Escalation.status != "closed")
    return int(session.scalar(query) or 0)


def parse_wanted(words: list[str]) -> dict[str, int]:
    """["demo-details=40", ...] -> {"demo-details": 40, ...}."""
    wanted = {}
    for word in words:
        demo, _, count = word.partition("=")
        if not demo or not count.isdigit():
            raise ValueError(f"expected DEMO=COUNT, not {word!r}")
        wanted[demo] = int(count)
    return wanted


def clone_command(session: Session, prefix: str, *words: str) -> str:
    return "\n".join(f"{demo}\t{new_id}" for demo, new_id in clone_many(session, prefix, parse_wanted(list(words))))


def close_command(session: Session, prefix: str) -> str:
    return str(close_escalations(session, rest_conversation(prefix)))


def count_command(session: Session, prefix: str = "") -> str:
    return str(open_escalations(session, rest_conversation(prefix) if prefix else ""))


def main(argv: list[str]) -> int:
    if argv[:1] == ["clone"] and len(argv) >= 2:
        command = clone_command
    elif argv[:1] == ["close-escalations"] and len(argv) == 2:
        command = close_command
    elif argv[:1] == ["open-escalations"] and len(argv) <= 2:
        command = count_command
    else:
        print(__doc__, file=sys.stderr)
        return 2
    engine = make_engine()
    try:
        with make_sessionmaker(engine)() as session:
            output = command(session, *argv[1:])
    except (NotTheCoresDatabase, ValueError) as error:
        print(error, file=sys.stderr)
        return 1
    finally:
        engine.dispose()
    if output:
        print(output)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
