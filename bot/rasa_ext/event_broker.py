"""Rasa's RabbitMQ event broker with a cheaper publish (endpoints: `event_broker: {type:
bot.rasa_ext.event_broker.PikaEventBroker, ...}`, the same keys as Rasa's `type: pika`).

Rasa 3.6's `PikaEventBroker` deep-copies every event it publishes (without its parse data) for a debug log line,
logged or not, and encodes it with `json.dumps`: with one message per event, 3% of a Rasa worker's CPU
(py-spy, issue 13). This broker publishes the same message (body, headers, app id, persistent delivery, the
same exchange and queues) and keeps Rasa's handling of a failed publish; the reduced copy is made only when the
debug line will be written or the publish failed, and the body is encoded with `bot.rasa_ext.fast_json`. No
customer token is published (bot/rasa_ext/token_redaction.py): a customer message carries a claim instead (the token
with its signature replaced by the signature's SHA-256), which the core's analytics recorder verifies.
"""

from __future__ import annotations

import logging
from typing import Any, Dict, Optional, Text

import aio_pika
import structlog
from rasa.core.brokers.pika import RABBITMQ_EXCHANGE
from rasa.core.brokers.pika import PikaEventBroker as RasaPikaEventBroker
from rasa.shared.core.events import remove_parse_data
from rasa.shared.utils.io import DEFAULT_ENCODING

from bot.rasa_ext.fast_json import dumps
from bot.rasa_ext.token_redaction import published_event

structlogger = structlog.get_logger()
rasa_logger = logging.getLogger("rasa.core.brokers.pika")


class PikaEventBroker(RasaPikaEventBroker):
    """Rasa's PikaEventBroker; publishing without the per-event copy for the debug log and with customer claims
    instead of customer tokens (module docstring)."""

    async def _publish(self, event: Dict[Text, Any], headers: Optional[Dict[Text, Text]] = None) -> None:
        if self._exchange is None:
            return
        event = published_event(event)
        try:
            await self._exchange.publish(self._message(event, headers), "")
            if rasa_logger.isEnabledFor(logging.DEBUG):
                structlogger.debug("pika.events.publish", event_info="Logging a reduced version of the Pika event",
                                   rabbitmq_exchange=RABBITMQ_EXCHANGE, host=self.host,
                                   rasa_event=remove_parse_data(event))
        except Exception as error:
            structlogger.error("pika.events.publish.failed",
                               event_info="Logging a reduced version of the failed Pika event",
                               host=self.host, rasa_event=remove_parse_data(event))
            if self.should_keep_unpublished_messages:
                self._unpublished_events.append(event)
            if self.raise_on_failure:
                self.close()  # type: ignore[unused-coroutine]  # as Rasa: scheduled, not awaited
                raise error

    def _message(self, event: Dict[Text, Any], headers: Optional[Dict[Text, Text]]) -> aio_pika.Message:
        return aio_pika.Message(bytes(dumps(event), DEFAULT_ENCODING), headers=headers, app_id=self.rasa_environment,
                                delivery_mode=aio_pika.DeliveryMode.PERSISTENT)
