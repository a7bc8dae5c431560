"""How long the core keeps conversations (docs/analytics.md "Privacy"): everything older than the retention
(ANALYTICS_RETENTION_DAYS, default 180 days) is deleted:

- recorded sessions whose last event is older, with their messages and flow steps;
- escalations closed before then (an open one is kept however old), with their transcripts;
- the fallback log's messages stored before then.

Rasa's tracker store keeps conversations as long (bot/rasa_ext/retention.py for the SQL store, Redis's expiry
under `make run`: docs/operations.md). `prune` is cheap when nothing is due: one indexed look per table first.

    python -m bot.core.analytics.retention [--days 180]

prunes once and prints the counts; the app also runs it every ANALYTICS_RETENTION_INTERVAL seconds (`running`).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager, suppress
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session, sessionmaker

from bot.core.clock import Clock, utc_now
from bot.core.config import PrivacySettings, database_url
from bot.core.db.models import (
    AnalyticsConversation,
    AnalyticsFlowStep,
    AnalyticsTurn,
    Escalation,
    EscalationMessage,
    FallbackMessage,
)
from bot.core.db.session import make_engine, make_sessionmaker, upgrade_to_head

logger = logging.getLogger("bot.core.analytics")
BATCH = 500


def _ids(session: Session, query: Any) -> list[int]:
    return list(session.scalars(query))


def delete_sessions(session: Session, refs: Sequence[int]) -> int:
    """Delete recorded sessions with their messages and flow steps; how many sessions."""
    for start in range(0, len(refs), BATCH):
        batch = refs[start:start + BATCH]
        for model in (AnalyticsTurn, AnalyticsFlowStep):
            session.execute(delete(model).where(model.conversation_ref.in_(batch)))
        session.execute(delete(AnalyticsConversation).where(AnalyticsConversation.id.in_(batch)))
    return len(refs)


def delete_escalations(session: Session, ids: Sequence[int]) -> int:
    """Delete escalations with their transcripts; how many escalations."""
    for start in range(0, len(ids), BATCH):
        batch = ids[start:start + BATCH]
        session.execute(delete(EscalationMessage).where(EscalationMessage.escalation_id.in_(batch)))
        session.execute(delete(Escalation).where(Escalation.id.in_(batch)))
    return len(ids)


def prune(session: Session, now: datetime, days: float) -> dict[str, int]:
    """Delete what is older than `days` (module docstring) and commit; the counts deleted."""
    cutoff = now - timedelta(days=days)
    table = AnalyticsConversation
    counts = {"sessions": 0, "escalations": 0, "fallback_messages": 0}
    if session.scalar(select(table.id).where(table.started_at < cutoff).limit(1)) is not None:
        counts["sessions"] = delete_sessions(session, _ids(session, select(table.id).where(
            table.started_at < cutoff, table.last_event_at < cutoff)))
    closed_before = select(Escalation.id).where(Escalation.status == "closed", Escalation.closed_at < cutoff)
    counts["escalations"] = delete_escalations(session, _ids(session, closed_before))
    if session.scalar(select(FallbackMessage.id).where(FallbackMessage.created_at < cutoff).limit(1)) is not None:
        counts["fallback_messages"] = session.execute(
            delete(FallbackMessage).where(FallbackMessage.created_at < cutoff)).rowcount or 0
    session.commit()
    return counts


def prune_now(sessions: sessionmaker[Session], clock: Clock, days: float) -> dict[str, int]:
    with sessions() as session:
        counts = prune(session, clock(), days)
    if any(counts.values()):
        logger.info("retention (%g days): deleted %s", days, counts)
    return counts


async def run(sessions: sessionmaker[Session], clock: Clock, settings: PrivacySettings) -> None:
    """Prune every `retention_interval` seconds until cancelled (an error is logged; the next round goes on)."""
    while True:
        try:
            await asyncio.to_thread(prune_now, sessions, clock, settings.retention_days)
        except Exception:  # noqa: BLE001 - the task must outlive a bad round (database restart, ...)
            logger.exception("retention round failed")
        await asyncio.sleep(settings.retention_interval)


@asynccontextmanager
async def running(app: Any) -> AsyncIterator[None]:
    """For the app's lifespan: the pruning task when ANALYTICS_RETENTION_INTERVAL > 0."""
    settings: PrivacySettings = app.state.settings.privacy
    task = None
    if settings.retention_interval > 0:
        task = asyncio.create_task(run(app.state.sessions, lambda: app.state.clock(), settings), name="retention")
    try:
        yield
    finally:
        if task is not None:
            task.cancel()
            with suppress(asyncio.CancelledError):
                await task


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--days", default=None, help="default: ANALYTICS_RETENTION_DAYS, else 180")
    args = parser.parse_args(argv)
    try:
        env = {"ANALYTICS_RETENTION_DAYS": args.days} if args.days is not None else None
        days = PrivacySettings.from_env(env).retention_days
    except Exception as error:  # noqa: BLE001 - MissingSetting: a clear message
        print(error, file=sys.stderr)
        return 2
    url = database_url()
    upgrade_to_head(url)
    engine = make_engine(url)
    try:
        counts = prune_now(make_sessionmaker(engine), utc_now, days)
    finally:
        engine.dispose()
    print(f"retention ({days:g} days): deleted " + ", ".join(f"{n} {name.replace('_', ' ')}"
                                                         for name, n in counts.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
