"""Rasa's conversation events from its event broker (Rasa's `PikaEventBroker` on RabbitMQ; docs/handoff.md).

Rasa publishes every tracker event, as JSON with the conversation's `sender_id`, to a fanout exchange bound to a
durable queue. `consume` declares both exactly as Rasa does (rasa/core/brokers/pika.py: RabbitMQ closes the
channel when a declaration differs), reads the queue and hands each event to the handlers of its type (`user`,
`bot`, ...; `ANY_EVENT`: every event): blocking functions, run in a thread, one event at a time. An event no
handler wants is acknowledged at once. The handoff's handler takes `user` events and stores the customer
messages of handed-over conversations (worker.py); another (analytics) can be added beside it.

An event is acknowledged only after every handler has returned, so what a handler stores is never lost:
- a transient failure (one of the `transient` exceptions: the database) puts the event back in the queue after
  a pause of `retry_seconds` (no hot loop while the database is down);
- a message that is not an event (not JSON, no `sender_id`) or that a handler fails on otherwise is logged and
  acknowledged: never requeued forever.
The connection is robust: when the broker or the network comes back, it reconnects, declares and consumes
again; events left unacknowledged are redelivered, so handlers must take an event twice (the handoff's unique
index on the Rasa event timestamp does).

`python -m bot.core.handoff.events delete` removes the queue and the exchange of HANDOFF_EVENTS_* (scripts/run.sh
with RABBITMQ_DELETE_ON_EXIT=yes, for servers started for a test on ports of their own).
"""

from __future__ import annotations

import asyncio
import json
import logging
import sys
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import aio_pika
from aio_pika.abc import AbstractChannel, AbstractIncomingMessage, AbstractQueue

from bot.core.config import HandoffSettings

logger = logging.getLogger("bot.core.handoff.events")

Handler = Callable[[dict[str, Any]], object]
Handlers = Mapping[str, Sequence[Handler]]  # by event type (ANY_EVENT: all)
ANY_EVENT = "*"
CONNECT_TIMEOUT = 10.0


@dataclass(frozen=True)
class Broker:
    """Where the events are: the broker's URL (with its credentials), Rasa's queue and exchange."""

    url: str
    queue: str
    exchange: str
    prefetch: int = 32
    retry_seconds: float = 2.0

    @classmethod
    def from_settings(cls, settings: HandoffSettings) -> Broker:
        return cls(settings.events_url, settings.events_queue, settings.events_exchange,
                   settings.events_prefetch, settings.events_retry_seconds)

    @property
    def where(self) -> str:
        """For logs: host, port and queue, never the credentials."""
        parts = urlsplit(self.url)
        return f"{parts.hostname}:{parts.port or 5672} queue {self.queue}"


def decode(body: bytes) -> dict[str, Any] | None:
    """The event a message carries (a JSON object with a non-empty `sender_id`), else None."""
    try:
        event = json.loads(body)
    except ValueError:  # UnicodeDecodeError included
        return None
    if not isinstance(event, dict):
        return None
    sender_id = event.get("sender_id")
    return event if isinstance(sender_id, str) and sender_id else None


async def declare(channel: AbstractChannel, broker: Broker) -> AbstractQueue:
    """Rasa's exchange (fanout, not durable) and queue (durable), bound, with the same arguments as Rasa's."""
    exchange = await channel.declare_exchange(broker.exchange, aio_pika.ExchangeType.FANOUT)
    queue = await channel.declare_queue(broker.queue, durable=True)
    await queue.bind(exchange, "")
    return queue


async def _settle(outcome: Awaitable[None], what: str) -> None:
    """Acknowledge (or give back) a message; when the channel is gone the broker redelivers it anyway."""
    try:
        await outcome
    except Exception as error:  # noqa: BLE001 - a closed channel, a lost connection: nothing to do
        logger.info("event broker: could not %s a message (%s); it will come again", what, type(error).__name__)


class Dispatcher:
    """The consumer's callback: each message decoded and handed to the handlers, one at a time, then settled."""

    def __init__(self, handlers: Handlers, transient: tuple[type[BaseException], ...],
                 retry_seconds: float) -> None:
        self.handlers = {kind: tuple(wanting) for kind, wanting in handlers.items()}
        self.transient = transient
        self.retry_seconds = retry_seconds
        self._one_at_a_time = asyncio.Lock()

    def handlers_of(self, event: dict[str, Any]) -> tuple[Handler, ...]:
        return self.handlers.get(str(event.get("event")), ()) + self.handlers.get(ANY_EVENT, ())

    @staticmethod
    def dispatch(handlers: Sequence[Handler], event: dict[str, Any]) -> None:
        for handler in handlers:
            handler(event)

    async def __call__(self, message: AbstractIncomingMessage) -> None:
        async with self._one_at_a_time:
            await self.handle(message)

    async def handle(self, message: AbstractIncomingMessage) -> None:
        event = decode(message.body)
        if event is None:
            logger.warning("event broker: dropped a message that is not a Rasa event (%d bytes)", len(message.body))
            await _settle(message.ack(), "acknowledge")
            return
        handlers = self.handlers_of(event)
        try:
            if handlers:
                await asyncio.to_thread(self.dispatch, handlers, event)
        except self.transient as error:
            logger.warning("event broker: a %s event is put back after a failure (%s)", event.get("event"),
                           type(error).__name__)
            await asyncio.sleep(self.retry_seconds)
            await _settle(message.nack(requeue=True), "give back")
            return
        except Exception:  # noqa: BLE001 - never requeued forever
            logger.exception("event broker: a %s event was dropped, a handler failed on it", event.get("event"))
        await _settle(message.ack(), "acknowledge")


async def consume(broker: Broker, handlers: Handlers,
                  transient: tuple[type[BaseException], ...] = ()) -> None:
    """Until cancelled: connect (trying again every `retry_seconds` while the broker does not answer), declare,
    and dispatch the events to `handlers`. The robust connection reconnects by itself after a loss."""
    dispatcher = Dispatcher(handlers, transient, broker.retry_seconds)
    while True:
        try:
            connection = await aio_pika.connect_robust(broker.url, timeout=CONNECT_TIMEOUT)
        except Exception as error:  # noqa: BLE001 - refused, timed out, bad credentials: try again
            logger.warning("event broker at %s not reached (%s); trying again", broker.where, type(error).__name__)
            await asyncio.sleep(broker.retry_seconds)
            continue
        try:
            channel = await connection.channel()
            await channel.set_qos(prefetch_count=broker.prefetch)
            queue = await declare(channel, broker)
            await queue.consume(dispatcher)
            logger.info("event broker: consuming Rasa's events from %s", broker.where)
            await asyncio.Future()  # until cancelled
        except Exception:  # noqa: BLE001 - e.g. a declaration the broker refuses: logged, tried again
            logger.exception("event broker at %s: consuming failed; trying again", broker.where)
        finally:
            await connection.close()
        await asyncio.sleep(broker.retry_seconds)


async def delete(broker: Broker) -> None:
    """Remove the queue (with any event still in it) and the exchange; nothing happens when they are missing."""
    connection = await aio_pika.connect(broker.url, timeout=CONNECT_TIMEOUT)
    async with connection:
        channel = await (await connection.channel()).get_underlay_channel()
        await channel.queue_delete(broker.queue)
        await channel.exchange_delete(broker.exchange)


if __name__ == "__main__":
    if sys.argv[1:] != ["delete"]:
        sys.exit("usage: python -m bot.core.handoff.events delete  (the queue and exchange of HANDOFF_EVENTS_*)")
    asyncio.run(delete(Broker.from_settings(HandoffSettings.from_env())))
