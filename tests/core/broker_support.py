"""Helpers of the event broker tests: the real RabbitMQ (127.0.0.1:5672, guest/guest; CORE_TEST_RABBITMQ_URL),
an exchange and queue of the test's own declared as Rasa declares them, events published as Rasa's
PikaEventBroker publishes them, and a TCP proxy that can cut the consumer off the broker and restore it."""

from __future__ import annotations

import asyncio
import json
import os
import time
import uuid
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any, TypeVar

import aio_pika
from aio_pika.abc import AbstractChannel

from bot.core.events import ANALYTICS_QUEUE_ARGUMENTS, Broker, declare, decode, delete
from tests.core.conftest import missing_service
from tests.tcp_proxy import TcpProxy

RABBITMQ_URL = os.environ.get("CORE_TEST_RABBITMQ_URL", "amqp://guest:guest@127.0.0.1:5672/")
T = TypeVar("T")


def rabbitmq_unreachable() -> str | None:
    """None when RabbitMQ answers (an AMQP connection opens), else the reason."""

    async def connect() -> None:
        connection = await aio_pika.connect(RABBITMQ_URL, timeout=5)
        await connection.close()

    try:
        asyncio.run(connect())
        return None
    except Exception as error:  # noqa: BLE001 - any failure means "not reachable"
        return f"{type(error).__name__}: {error}".splitlines()[0]


def require_rabbitmq() -> None:
    """Skip without RabbitMQ, except on CI (CI=true), where its absence is a failure."""
    reason = rabbitmq_unreachable()
    if reason is not None:
        missing_service(f"RabbitMQ at {RABBITMQ_URL.split('@')[-1]} is unreachable ({reason})")


def rasa_event(sender_id: str, event: str, timestamp: float, **fields: Any) -> dict[str, Any]:
    """A tracker event as Rasa's event broker publishes it: `sender_id` and the event's `as_dict()`."""
    return {"sender_id": sender_id, "event": event, "timestamp": timestamp, **fields}


def user_event(sender_id: str, text: str, timestamp: float) -> dict[str, Any]:
    return rasa_event(sender_id, "user", timestamp, text=text, metadata={}, input_channel="rest",
                      message_id=uuid.uuid4().hex, parse_data={"intent": {"name": "nlu_fallback"}, "entities": []})


@dataclass
class Rabbit:
    """The test's own exchange and queue on the real RabbitMQ (declared as Rasa declares them), and the name of the
    analytics queue of the app that consumes them (deleted with them)."""

    broker: Broker
    analytics_queue: str = ""

    @classmethod
    def fresh(cls) -> Rabbit:
        name = f"test-handoff-{uuid.uuid4().hex[:12]}"
        rabbit = cls(Broker(RABBITMQ_URL, name, name, prefetch=8, retry_seconds=0.2), f"{name}-analytics")
        rabbit._on_channel(lambda channel: declare(channel, rabbit.broker))
        return rabbit

    def analytics(self) -> Rabbit:
        """The analytics queue on the same exchange (declared as the core declares it)."""
        broker = Broker(RABBITMQ_URL, self.analytics_queue, self.broker.exchange, prefetch=8, retry_seconds=0.2,
                        arguments=ANALYTICS_QUEUE_ARGUMENTS)
        rabbit = Rabbit(broker)
        rabbit._on_channel(lambda channel: declare(channel, broker))
        return rabbit

    def _on_channel(self, work: Callable[[AbstractChannel], Coroutine[Any, Any, T]]) -> T:
        async def run() -> T:
            connection = await aio_pika.connect(self.broker.url, timeout=10)
            try:
                return await work(await connection.channel())
            finally:
                await connection.close()

        return asyncio.run(run())

    def publish(self, *messages: dict[str, Any] | bytes) -> None:
        """Each message (an event, or raw bytes) to the exchange, persistent, as Rasa sends them."""

        async def send(channel: AbstractChannel) -> None:
            exchange = await channel.get_exchange(self.broker.exchange)
            for message in messages:
                body = message if isinstance(message, bytes) else json.dumps(message).encode()
                await exchange.publish(aio_pika.Message(body, delivery_mode=aio_pika.DeliveryMode.PERSISTENT), "")

        self._on_channel(send)

    def ready(self) -> int:
        """The messages waiting in the queue (neither delivered nor acknowledged)."""

        async def count(channel: AbstractChannel) -> int:
            queue = await channel.declare_queue(self.broker.queue, passive=True)
            return queue.declaration_result.message_count or 0

        return self._on_channel(count)

    def take_waiting(self) -> list[str]:
        """Take the messages waiting in the queue: each event's text (or the raw body when it is not an event)."""

        async def take(channel: AbstractChannel) -> list[str]:
            queue = await channel.declare_queue(self.broker.queue, passive=True)
            texts = []
            while (message := await queue.get(no_ack=True, fail=False)) is not None:
                event = decode(message.body)
                texts.append(str(event.get("text")) if event else message.body.decode(errors="replace"))
            return texts

        return self._on_channel(take)

    def exists(self) -> bool:
        """Whether the queue and the exchange are there."""

        async def look(channel: AbstractChannel) -> bool:
            try:
                await channel.declare_queue(self.broker.queue, passive=True)
                await channel.declare_exchange(self.broker.exchange, passive=True)
            except aio_pika.exceptions.ChannelClosed:
                return False
            return True

        return self._on_channel(look)

    def delete(self) -> None:
        asyncio.run(delete(self.broker, *[self.analytics_queue] if self.analytics_queue else []))


def eventually(check: Callable[[], bool], seconds: float = 20.0) -> None:
    """Wait until `check()` is true (a bound on the wait, not a speed assertion)."""
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, "the condition did not become true"
        time.sleep(0.05)


class CuttableProxy(TcpProxy):
    """A TCP proxy to RabbitMQ (tests/tcp_proxy.py) that gives the consumer's URL through it."""

    def __init__(self, host: str = "127.0.0.1", port: int = 5672) -> None:
        super().__init__(host, port)

    def url(self, reconnect_interval: float = 0.2) -> str:
        base = RABBITMQ_URL.rstrip("/").rsplit("@", 1)[0]
        return f"{base}@127.0.0.1:{self.port}/?reconnect_interval={reconnect_interval}"
