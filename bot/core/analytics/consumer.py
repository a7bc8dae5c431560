"""The analytics recorder as a consumer of Rasa's events (docs/analytics.md "Recording"): its own durable queue
(ANALYTICS_EVENTS_QUEUE) on the exchange of Rasa's event broker (HANDOFF_EVENTS_URL), read in batches: the events
the recorder needs, up to a few hundred per transaction, acknowledged after the commit; the others acknowledged
without touching the database. Without the broker nothing is recorded."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from functools import partial
from typing import Any

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from bot.core import events
from bot.core.analytics.recorder import record_events, wanted
from bot.core.config import HandoffSettings

MAX_BATCH = 500  # events per transaction
MAX_WAIT = 0.2  # seconds an event waits for others before its batch is written


def store(sessions: sessionmaker[Session], token_secret: str, batch: list[dict[str, Any]]) -> int:
    """Record a batch of events in one transaction; the number recorded. Database errors propagate (the batch then
    goes back to the queue)."""
    with sessions() as session:
        recorded = record_events(session, batch, token_secret)
        session.commit()
    return recorded


def batcher(sessions: sessionmaker[Session], token_secret: str, settings: HandoffSettings) -> events.Batcher:
    """The consumer's callback: batches of the wanted events to `store`."""
    return events.Batcher(partial(store, sessions, token_secret), wanted, (SQLAlchemyError,),
                          settings.events_retry_seconds, MAX_BATCH, MAX_WAIT)


@asynccontextmanager
async def running(app: Any) -> AsyncIterator[None]:
    """For the app's lifespan: the recorder consuming its queue when HANDOFF_EVENTS_URL is set; ends with the
    app (unacknowledged events stay in the queue)."""
    settings = app.state.settings
    handoff: HandoffSettings = settings.handoff
    if not handoff.events_url:
        yield
        return
    callback = batcher(app.state.sessions, settings.customer_token_secret, handoff)
    task = asyncio.create_task(events.consume_with(events.Broker.analytics(handoff), callback),
                               name="analytics-events")
    try:
        yield
    finally:
        task.cancel()
        with suppress(asyncio.CancelledError):
            await task
        callback.close()
