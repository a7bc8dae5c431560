"""Our event broker (bot/rasa_ext/event_broker.py) publishes what Rasa's PikaEventBroker publishes, against the
RabbitMQ on 127.0.0.1:5672 (required in CI), each test with its own exchange and queue."""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import Any, Dict, List

import aio_pika
from rasa.core.brokers.pika import PikaEventBroker as RasaPikaEventBroker
from rasa.utils.endpoints import EndpointConfig

from bot.rasa_ext.event_broker import PikaEventBroker
from tests import customer_claims
from tests.assistant.helpers import drain_queue, require_rabbitmq

URL = "amqp://guest:guest@127.0.0.1:5672/"
EVENTS = [
    {"sender_id": "a/b", "event": "user", "timestamp": 1796414948.4241614, "text": "Laba diena, ąčęėįšųū / \\ \"",
     "parse_data": {"intent": {"name": "greet", "confidence": 0.9871234567891234}, "entities": []},
     "metadata": {"customer_token": customer_claims.TOKEN}, "input_channel": "rest", "message_id": "m1"},
    {"sender_id": "a/b", "event": "bot", "timestamp": 1796414948.5, "text": "😀", "data": {"buttons": [1, 2.5, None]}},
    {"sender_id": "a/b", "event": "slot", "timestamp": 1796414948.6, "name": "session_started_metadata",
     "value": {"customer_token": customer_claims.TOKEN, "language": "lt"}},
]
# what ours publishes: no customer token (bot/rasa_ext/token_redaction.py), a customer message's claim instead, the
# rest as it was
PUBLISHED = [{**EVENTS[0], "metadata": {"customer_claim": customer_claims.CLAIM}}, EVENTS[1],
             {**EVENTS[2], "value": {"language": "lt"}}]


async def published_by(cls) -> List[aio_pika.abc.AbstractIncomingMessage]:
    """The messages `cls` publishes for EVENTS, read back from its queue."""
    name = f"test-broker-{uuid.uuid4().hex[:10]}"
    config = EndpointConfig(url="127.0.0.1", port=5672, username="guest", password="guest", queues=[name],
                            exchange_name=name, type="pika")
    broker = await cls.from_endpoint_config(config)
    connection = await aio_pika.connect(URL, timeout=5)
    try:
        for event in EVENTS:
            broker.publish(event)
        return await drain_queue(await connection.channel(), name, len(EVENTS))
    finally:
        await connection.close()
        await broker.close()


def described(message) -> Dict[str, Any]:
    return {"body": json.loads(message.body), "headers": message.headers, "app_id": message.app_id,
            "delivery_mode": message.delivery_mode, "content_type": message.content_type}


def test_the_same_messages_as_rasas_broker_with_claims_instead_of_customer_tokens():
    require_rabbitmq()
    rasas = [described(m) for m in asyncio.run(published_by(RasaPikaEventBroker))]
    ours = [described(m) for m in asyncio.run(published_by(PikaEventBroker))]
    assert [m["body"] for m in rasas] == EVENTS
    assert [m["body"] for m in ours] == PUBLISHED
    assert [{**m, "body": None} for m in ours] == [{**m, "body": None} for m in rasas]
    assert ours[0]["delivery_mode"] == aio_pika.DeliveryMode.PERSISTENT


def test_a_failed_publish_is_kept_for_later_as_rasa_keeps_it():
    class Refusing:
        async def publish(self, *_args: Any, **_kwargs: Any) -> None:
            raise ConnectionError("channel closed")

    async def publish_once() -> PikaEventBroker:
        broker = PikaEventBroker("127.0.0.1", "guest", "guest", queues=["q"], raise_on_failure=False)
        broker._exchange = Refusing()
        await broker._publish(EVENTS[0])
        return broker

    assert list(asyncio.run(publish_once())._unpublished_events) == [PUBLISHED[0]]  # kept without the token
