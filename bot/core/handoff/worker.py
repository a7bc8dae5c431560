"""The core's side of the conversation with Rasa while a person owns it.

- `store_customer_event`: with Rasa's event broker (HANDOFF_EVENTS_URL; bot/core/events.py), each customer message of a
  handed-over conversation, stored once as it arrives (its event timestamp de-duplicates a redelivery).
- `sync_customer_messages`: without the broker, the customers' new messages read from each open escalation's
  Rasa tracker and stored once (the starting point comes from the database, so a restart resumes where it
  stopped).
- `push`: for one escalation, asks Rasa to run `action_deliver_agent_messages` when agent replies wait, and
  after closing appends a `resume` event and runs `action_handoff_closed`. A failure schedules a retry
  (doubling from HANDOFF_RETRY_SECONDS up to 5 minutes); a lease in the database keeps two workers from doing
  it at once.
- `run`: the background task of the app's lifespan, one round every HANDOFF_SYNC_INTERVAL seconds: the
  pushes that are due, and the tracker sync only when no event broker is configured.

Replies are never sent twice because Rasa's action takes them through the deliveries route, which hands out
each message once; they are never lost because they stay undelivered until an action has taken them.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass
from functools import partial
from typing import Any

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from bot.core import events
from bot.core.clock import Clock
from bot.core.config import HandoffSettings
from bot.core.db.models import Escalation
from bot.core.handoff import service
from bot.core.handoff.rasa import CLOSED_ACTION, DELIVER_ACTION, HttpRasaClient, RasaClient, RasaUnavailable

logger = logging.getLogger("bot.core.handoff")


@dataclass
class Handoff:
    """What the handoff code needs from the app: sessions, Rasa, the clock and the settings."""

    sessions: sessionmaker[Session]
    rasa: RasaClient
    clock: Clock
    settings: HandoffSettings

    @property
    def lease_seconds(self) -> float:
        return 3 * self.settings.rasa_timeout + 5


def sync_customer_messages(handoff: Handoff) -> int:
    """One round over the open escalations; the number of customer messages stored."""
    with handoff.sessions() as session:
        escalations = [(e.id, e.conversation_id) for e in service.open_escalations(session)]
    stored = 0
    for escalation_id, conversation_id in escalations:
        try:
            tracker = handoff.rasa.tracker(conversation_id)
        except RasaUnavailable as error:
            logger.debug("tracker of escalation %s not read: %s", escalation_id, error)
            continue
        with handoff.sessions() as session:
            escalation = session.get(Escalation, escalation_id)
            if escalation is None or escalation.status == "closed":
                continue
            lines = service.user_events_after(tracker, service.sync_cutoff(session, escalation))
            stored += service.store_rasa_messages(session, escalation_id, lines, handoff.clock())
            session.commit()
    return stored


def store_customer_event(handoff: Handoff, event: dict[str, Any]) -> int:
    """A Rasa event from the broker: a customer's message in a conversation with an open escalation is stored
    (1), once however often it comes; anything else is ignored (0). Database errors propagate: the event then
    goes back to the queue."""
    line = service.customer_line(event)
    if line is None:
        return 0
    with handoff.sessions() as session:
        escalation = service.open_escalation(session, str(event["sender_id"]))
        if escalation is None or line.timestamp <= service.handover_cutoff(session, escalation):
            return 0  # not handed over, or already in the transcript of the handover
        stored = service.store_rasa_messages(session, escalation.id, [line], handoff.clock())
        session.commit()
    return stored


def push(handoff: Handoff, escalation_id: int) -> bool:
    """Do the escalation's pending work with Rasa now, unless someone else is or its retry is not due yet.
    True when everything pending was done."""
    with handoff.sessions() as session:
        if not service.take_lease(session, escalation_id, handoff.clock(), handoff.lease_seconds):
            return False
        escalation = session.get(Escalation, escalation_id)
        if escalation is None:
            return False
        conversation_id = escalation.conversation_id
        waiting = service.undelivered_ids(session, conversation_id)
        announce = escalation.status == "closed" and escalation.close_notified_at is None
        superseded = announce and service.newer_open_escalation(session, escalation)
    ok, announced = True, False
    try:
        if waiting:
            handoff.rasa.execute(conversation_id, DELIVER_ACTION)
        if announce:
            if not superseded:  # a newer handover keeps the conversation paused
                handoff.rasa.append_events(conversation_id, [{"event": "resume"}])
                handoff.rasa.execute(conversation_id, CLOSED_ACTION)
            announced = True
    except RasaUnavailable as error:
        logger.warning("escalation %s: Rasa did not take the work, retrying later (%s)", escalation_id, error)
        ok = False
    with handoff.sessions() as session:
        if ok and waiting and set(waiting) & set(service.undelivered_ids(session, conversation_id)):
            logger.warning("escalation %s: Rasa ran %s but the replies were not taken", escalation_id,
                           DELIVER_ACTION)
            ok = False
        service.finish_lease(session, escalation_id, handoff.clock(), ok, handoff.settings, announced)
    return ok


def push_due(handoff: Handoff) -> int:
    """Push every escalation whose work for Rasa is due; the number fully done."""
    with handoff.sessions() as session:
        due = service.due_for_rasa(session, handoff.clock())
    return sum(push(handoff, escalation_id) for escalation_id in due)


def one_round(handoff: Handoff) -> None:
    """The due pushes; and the customers' messages from the trackers unless they come as events."""
    if not handoff.settings.events_url:
        sync_customer_messages(handoff)
    push_due(handoff)


async def run(handoff: Handoff) -> None:
    """Rounds every `sync_interval` seconds until cancelled; an error is logged and the next round goes on."""
    while True:
        try:
            await asyncio.to_thread(one_round, handoff)
        except Exception:  # noqa: BLE001 - the worker must outlive a bad round (database restart, ...)
            logger.exception("handoff worker round failed")
        await asyncio.sleep(handoff.settings.sync_interval)


@asynccontextmanager
async def running(app: Any, rasa: RasaClient | None = None) -> AsyncIterator[Handoff]:
    """For the app's lifespan: `app.state.handoff` (sessions, Rasa client, clock, settings), the background
    worker when HANDOFF_SYNC_INTERVAL > 0, and the consumer of Rasa's events when HANDOFF_EVENTS_URL is set;
    all end with the app."""
    settings: HandoffSettings = app.state.settings.handoff
    client = rasa if rasa is not None else HttpRasaClient.from_settings(settings)
    handoff = Handoff(app.state.sessions, client, lambda: app.state.clock(), settings)
    app.state.handoff = handoff
    tasks = []
    if settings.sync_interval > 0:
        tasks.append(asyncio.create_task(run(handoff), name="handoff-worker"))
    if settings.events_url:
        handlers = {"user": [partial(store_customer_event, handoff)]}
        consumer = events.consume(events.Broker.from_settings(settings), handlers, transient=(SQLAlchemyError,))
        tasks.append(asyncio.create_task(consumer, name="handoff-events"))
    try:
        yield handoff
    finally:
        for task in tasks:
            task.cancel()
            with suppress(asyncio.CancelledError):
                await task
        if isinstance(client, HttpRasaClient) and rasa is None:
            client.close()
