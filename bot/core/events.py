"""Rasa's conversation events from its event broker (Rasa's `PikaEventBroker` on RabbitMQ; docs/handoff.md,
docs/analytics.md), for the handoff and the analytics alike: each reads a durable queue of its own bound to Rasa's
fanout exchange, so each gets every event and a slow reader never delays the other.

`consume` declares the exchange and the queue (the handoff's exactly as Rasa declares it, rasa/core/brokers/pika.py:
RabbitMQ closes the channel when a declaration differs), reads the queue and hands the events to a callback:
- `Dispatcher`: each event to the handlers of its type (`user`, `bot`, ...; `ANY_EVENT`: every event), blocking
  functions run in a thread, one event at a time (the handoff). An event no handler wants is acknowledged at once.
- `Batcher`: the events a `wanted` test keeps, several at a time (up to `max_batch`, or what came within
  `max_wait` seconds) to one blocking function that stores them in one transaction (the analytics recorder);
  the others are acknowledged at once without touching the database.

An event is acknowledged only after its handlers have returned (a batch: after its function returned, i.e. after
the commit), so what a handler stores is never lost:
- a transient failure (one of the `transient` exceptions: the database) puts the event (the batch) back in the
  queue after a pause of `retry_seconds` (no hot loop while the database is down);
- a message that is not an event (not JSON, no `sender_id`) or that a handler fails on otherwise is logged and
  acknowledged: never requeued forever (a batch that fails is tried again one event at a time, so that one bad
  event does not take the others with it).
The connection is robust: when the broker or the network comes back, it reconnects, declares and consumes
again; events left unacknowledged are redelivered, so handlers must take an event twice (the handoff's unique
index on the Rasa event timestamp does, so do the recorder's).

`python -m bot.core.events declare` declares the core's queues (scripts/run.sh, before the servers start: the
analytics queue then keeps every event even before the core first consumes); `python -m bot.core.events delete`
removes them and the exchange (scripts/run.sh with RABBITMQ_DELETE_ON_EXIT=yes, for servers started for a test on
ports of their own).
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

logger = logging.getLogger("bot.core.events")

Handler = Callable[[dict[str, Any]], object]
Handlers = Mapping[str, Sequence[Handler]]  # by event type (ANY_EVENT: all)
Callback = Callable[[AbstractIncomingMessage], Awaitable[None]]
BatchHandler = Callable[[list[dict[str, Any]]], object]
ANY_EVENT = "*"
CONNECT_TIMEOUT = 10.0
ANALYTICS_QUEUE_ARGUMENTS: Mapping[str, Any] = {"x-single-active-consumer": True}


@dataclass(frozen=True)
class Broker:
    """Where the events are: the broker's URL (with its credentials), the queue read and Rasa's exchange; the
    queue's arguments (x-... declared with it; none for Rasa's own queue)."""

    url: str
    queue: str
    exchange: str
    prefetch: int = 32
    retry_seconds: float = 2.0
    arguments: Mapping[str, Any] | None = None

    @classmethod
    def from_settings(cls, settings: HandoffSettings) -> Broker:
        """The handoff's queue (Rasa's, HANDOFF_EVENTS_QUEUE)."""
        return cls(settings.events_url, settings.events_queue, settings.events_exchange,
                   settings.events_prefetch, settings.events_retry_seconds)

    @classmethod
    def analytics(cls, settings: HandoffSettings) -> Broker:
        """The analytics queue (ANALYTICS_EVENTS_QUEUE) on the same exchange: one consumer at a time
        (x-single-active-consumer: with several core nodes the others stand by), so that a conversation's events
        are recorded in their order."""
        return cls(settings.events_url, settings.analytics_queue, settings.events_exchange,
                   settings.analytics_prefetch, settings.events_retry_seconds, ANALYTICS_QUEUE_ARGUMENTS)

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
    """Rasa's exchange (fanout, not durable) and the queue (durable, with the broker's arguments: none for Rasa's
    own queue, as Rasa declares it), bound."""
    exchange = await channel.declare_exchange(broker.exchange, aio_pika.ExchangeType.FANOUT)
    queue = await channel.declare_queue(broker.queue, durable=True, arguments=dict(broker.arguments or {}) or None)
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


class Batcher:
    """The consumer's callback for a writer that stores several events per transaction (module docstring): the
    wanted events collected in their order and handed to `handle` together, acknowledged once it returned."""

    def __init__(self, handle: BatchHandler, wanted: Callable[[dict[str, Any]], bool],
                 transient: tuple[type[BaseException], ...], retry_seconds: float, max_batch: int = 200,
                 max_wait: float = 0.2) -> None:
        self.handle, self.wanted, self.transient = handle, wanted, transient
        self.retry_seconds, self.max_batch, self.max_wait = retry_seconds, max_batch, max_wait
        self.pending: list[tuple[AbstractIncomingMessage, dict[str, Any]]] = []
        self._flushing = asyncio.Lock()
        self._timer: asyncio.Task[None] | None = None

    async def __call__(self, message: AbstractIncomingMessage) -> None:
        event = decode(message.body)
        if event is None or not self.wanted(event):
            if event is None:
                logger.warning("event broker: dropped a message that is not a Rasa event (%d bytes)",
                               len(message.body))
            await _settle(message.ack(), "acknowledge")
            return
        self.pending.append((message, event))
        if len(self.pending) >= self.max_batch:
            await self.flush()
        elif self._timer is None:
            self._timer = asyncio.create_task(self._flush_later())

    def close(self) -> None:
        """Stop waiting to write what is pending (the consumer stops: those events are redelivered)."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    async def _flush_later(self) -> None:
        await asyncio.sleep(self.max_wait)
        self._timer = None
        await self.flush()

    async def flush(self) -> None:
        """Store what is pending (one batch at a time, in their order) and settle its messages."""
        async with self._flushing:
            batch, self.pending = self.pending, []
            if not batch:
                return
            try:
                await asyncio.to_thread(self.handle, [event for _, event in batch])
            except self.transient as error:
                logger.warning("event broker: %d events are put back after a failure (%s)", len(batch),
                               type(error).__name__)
                await asyncio.sleep(self.retry_seconds)
                for message, _ in batch:
                    await _settle(message.nack(requeue=True), "give back")
                return
            except Exception:  # noqa: BLE001 - one bad event: the others alone, the bad one dropped
                logger.exception("event broker: a batch of %d events failed; storing them one by one", len(batch))
                await self._one_by_one(batch)
                return
            for message, _ in batch:
                await _settle(message.ack(), "acknowledge")

    async def _one_by_one(self, batch: list[tuple[AbstractIncomingMessage, dict[str, Any]]]) -> None:
        for index, (message, event) in enumerate(batch):
            try:
                await asyncio.to_thread(self.handle, [event])
            except self.transient:
                await asyncio.sleep(self.retry_seconds)
                for rest, _ in batch[index:]:
                    await _settle(rest.nack(requeue=True), "give back")
                return
            except Exception:  # noqa: BLE001 - never requeued forever
                logger.exception("event broker: a %s event was dropped, storing it failed", event.get("event"))
            await _settle(message.ack(), "acknowledge")


async def consume(broker: Broker, handlers: Handlers,
                  transient: tuple[type[BaseException], ...] = ()) -> None:
    """Until cancelled: the events of `broker` to `handlers`, one at a time (`Dispatcher`)."""
    await consume_with(broker, Dispatcher(handlers, transient, broker.retry_seconds))


async def consume_with(broker: Broker, callback: Callback) -> None:
    """Until cancelled: connect (trying again every `retry_seconds` while the broker does not answer), declare,
    and hand the messages to `callback`. The robust connection reconnects by itself after a loss."""
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
            await queue.consume(callback)
            logger.info("event broker: consuming Rasa's events from %s", broker.where)
            await asyncio.Future()  # until cancelled
        except Exception:  # noqa: BLE001 - e.g. a declaration the broker refuses: logged, tried again
            logger.exception("event broker at %s: consuming failed; trying again", broker.where)
        finally:
            await connection.close()
        await asyncio.sleep(broker.retry_seconds)


async def delete(broker: Broker, *queues: str) -> None:
    """Remove the queue (and `queues`, with any event still in them) and the exchange; nothing happens when they
    are missing."""
    connection = await aio_pika.connect(broker.url, timeout=CONNECT_TIMEOUT)
    async with connection:
        channel = await (await connection.channel()).get_underlay_channel()
        for queue in (broker.queue, *queues):
            await channel.queue_delete(queue)
        await channel.exchange_delete(broker.exchange)


async def declare_all(*brokers: Broker) -> None:
    """Declare each broker's exchange and queue (bound), as their consumers do."""
    connection = await aio_pika.connect(brokers[0].url, timeout=CONNECT_TIMEOUT)
    async with connection:
        channel = await connection.channel()
        for broker in brokers:
            await declare(channel, broker)


def main(argv: Sequence[str]) -> None:
    """`declare` / `delete` the core's queues (the handoff's and the analytics') of HANDOFF_EVENTS_*,
    ANALYTICS_EVENTS_QUEUE."""
    settings = HandoffSettings.from_env()
    handoff, analytics = Broker.from_settings(settings), Broker.analytics(settings)
    if list(argv) == ["declare"]:
        asyncio.run(declare_all(handoff, analytics))
    elif list(argv) == ["delete"]:
        asyncio.run(delete(handoff, analytics.queue))
    else:
        sys.exit("usage: python -m bot.core.events declare|delete  (the queues of HANDOFF_EVENTS_*, "
                 "ANALYTICS_EVENTS_QUEUE)")


if __name__ == "__main__":
    main(sys.argv[1:])
