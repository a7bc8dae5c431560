"""Rasa input and output channel for the WhatsApp Business Cloud API.

Credentials (deploy/credentials.production.yml, key `bot.rasa_ext.channels.whatsapp.WhatsAppInput`):
`verify_token`, `app_secret`, `access_token`, `phone_number_id`, optional `api_version`. Webhook:
`/webhooks/whatsapp/webhook`. Every POST must carry a valid `X-Hub-Signature-256`; the platform is answered
200 at once and the messages are handled in the background. See docs/channels.md.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
from collections import OrderedDict
from typing import Any, Awaitable, Callable, Dict, List, Optional, Set, Text

import aiohttp
from rasa.core.channels.channel import InputChannel, OutputChannel, UserMessage
from rasa.shared.exceptions import RasaException
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.rasa_ext.channels import whatsapp_messages as build
from bot.rasa_ext.channels.whatsapp_webhook import (
    SIGNATURE_HEADER,
    IncomingMessage,
    message_metadata,
    parse_webhook,
    signature_error,
)

logger = logging.getLogger(__name__)

DEFAULT_API_VERSION = "v21.0"
GRAPH_URL = "https://graph.facebook.com"
REQUIRED_CREDENTIALS = ("verify_token", "app_secret", "access_token", "phone_number_id")
# Our answer to images, voice notes, locations, stickers...: the assistant reads text only.
UNSUPPORTED_NOTE = (
    "Atsiprašome, suprantu tik tekstinius pranešimus – parašykite klausimą žodžiais.\n"
    "Sorry, I can only read text messages – please type your question."
)
SEND_TIMEOUT = aiohttp.ClientTimeout(total=15)
SEEN_MESSAGE_IDS = 2048  # remembered per process to drop the platform's redeliveries


class WhatsAppOutput(OutputChannel):
    """Sends the bot's messages through the Graph API; failures are logged, never raised."""

    @classmethod
    def name(cls) -> Text:
        return "whatsapp"

    def __init__(
        self,
        access_token: Text,
        phone_number_id: Text,
        api_version: Text = DEFAULT_API_VERSION,
        graph_url: Text = GRAPH_URL,
        session: Optional[aiohttp.ClientSession] = None,
    ) -> None:
        self.messages_url = f"{graph_url.rstrip('/')}/{api_version}/{phone_number_id}/messages"
        self._headers = {"Authorization": f"Bearer {access_token}"}
        self._session = session

    async def send_text_message(self, recipient_id: Text, text: Text, **kwargs: Any) -> None:
        for part in build.split_text(text):
            await self.send(build.text_message(recipient_id, part))

    async def send_text_with_buttons(
        self, recipient_id: Text, text: Text, buttons: List[Dict[Text, Any]], **kwargs: Any
    ) -> None:
        for message in build.button_messages(recipient_id, text or "", buttons):
            await self.send(message)

    async def send_image_url(self, recipient_id: Text, image: Text, **kwargs: Any) -> None:
        await self.send_text_message(recipient_id, image)

    async def send_attachment(self, recipient_id: Text, attachment: Text, **kwargs: Any) -> None:
        await self.send_text_message(recipient_id, str(attachment))

    async def send_custom_json(
        self, recipient_id: Text, json_message: Dict[Text, Any], **kwargs: Any
    ) -> None:
        """`custom: {whatsapp: {type: template, template: {...}}}` is sent as it is; other custom payloads
        are meant for other channels and skipped."""
        message = json_message.get("whatsapp") if isinstance(json_message, dict) else None
        if isinstance(message, dict):
            await self.send({"messaging_product": "whatsapp", "to": recipient_id, **message})
        else:
            logger.debug("WhatsApp: skipping a custom payload without a 'whatsapp' key")

    async def send(self, message: Dict[Text, Any]) -> bool:
        """POST one message object; True when the platform accepted it."""
        try:
            if self._session is not None and not self._session.closed:
                return await self._post(self._session, message)
            # e.g. a reminder sent after the webhook's session was closed
            async with aiohttp.ClientSession(timeout=SEND_TIMEOUT) as session:
                return await self._post(session, message)
        except (aiohttp.ClientError, asyncio.TimeoutError) as error:
            logger.error("WhatsApp: sending a %s message failed: %r", message.get("type"), error)
            return False

    async def _post(self, session: aiohttp.ClientSession, message: Dict[Text, Any]) -> bool:
        async with session.post(self.messages_url, json=message, headers=self._headers) as reply:
            if reply.status < 300:
                return True
            detail = (await reply.text())[:500]
            logger.error(
                "WhatsApp: Graph API refused a %s message (HTTP %s): %s",
                message.get("type"),
                reply.status,
                detail,
            )
            return False


class WhatsAppInput(InputChannel):
    """Receives WhatsApp Business Cloud API webhooks at /webhooks/whatsapp/webhook."""

    @classmethod
    def name(cls) -> Text:
        return "whatsapp"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> InputChannel:
        if not credentials:
            cls.raise_missing_credentials_exception()
        missing = [key for key in REQUIRED_CREDENTIALS if not str(credentials.get(key) or "").strip()]
        if missing:
            raise RasaException(f"The whatsapp channel needs these credentials: {', '.join(missing)}.")
        return cls(
            verify_token=str(credentials["verify_token"]),
            app_secret=str(credentials["app_secret"]),
            access_token=str(credentials["access_token"]),
            phone_number_id=str(credentials["phone_number_id"]),
            api_version=str(credentials.get("api_version") or DEFAULT_API_VERSION),
        )

    def __init__(
        self,
        verify_token: Text,
        app_secret: Text,
        access_token: Text,
        phone_number_id: Text,
        api_version: Text = DEFAULT_API_VERSION,
        graph_url: Text = GRAPH_URL,
    ) -> None:
        self.verify_token = verify_token
        self.app_secret = app_secret
        self.access_token = access_token
        self.phone_number_id = phone_number_id
        self.api_version = api_version
        self.graph_url = graph_url
        self.pending: Set[asyncio.Task] = set()  # background handling of acknowledged webhooks
        self._seen: "OrderedDict[Text, None]" = OrderedDict()

    def get_output_channel(self, session: Optional[aiohttp.ClientSession] = None) -> WhatsAppOutput:
        return WhatsAppOutput(
            self.access_token, self.phone_number_id, self.api_version, self.graph_url, session
        )

    def get_metadata(self, request: Request) -> Optional[Dict[Text, Any]]:
        """Metadata of the request's (first) message; the platform sends one message per webhook call,
        and the handler gives each message of a batched call its own."""
        messages = self._messages(request)
        return message_metadata(messages[0]) if messages else None

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        webhook = Blueprint("whatsapp_webhook", __name__)

        @webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @webhook.route("/webhook", methods=["GET"])
        async def verify(request: Request) -> HTTPResponse:
            token = request.args.get("hub.verify_token") or ""
            challenge = request.args.get("hub.challenge")
            if request.args.get("hub.mode") == "subscribe" and _same(token, self.verify_token) and challenge:
                return response.text(challenge)
            logger.warning("WhatsApp webhook verification refused (wrong hub.verify_token or mode)")
            return response.text("forbidden", status=403)

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            header = request.headers.get(SIGNATURE_HEADER)
            problem = signature_error(self.app_secret, request.body or b"", header)
            if problem:
                sender = request.remote_addr or request.ip
                logger.warning("WhatsApp webhook refused from %s: %s %s", sender, problem, SIGNATURE_HEADER)
                return response.text("invalid signature", status=403)
            try:
                request.ctx.whatsapp_payload = json.loads(request.body)
            except ValueError:
                logger.warning("WhatsApp webhook: body is not JSON")
                return response.text("malformed JSON", status=400)
            messages = [m for m in self._messages(request) if self._accept(m)]
            if messages:
                task = asyncio.create_task(self._handle(messages, on_new_message))
                self.pending.add(task)
                task.add_done_callback(self.pending.discard)
            return response.text("ok")

        return webhook

    async def _handle(self, messages: List[IncomingMessage], on_new_message: Callable) -> None:
        """Hands the messages to Rasa in order; unsupported types get the bilingual note."""
        async with aiohttp.ClientSession(timeout=SEND_TIMEOUT) as session:
            output = self.get_output_channel(session)
            for message in messages:
                try:
                    if message.text is None:
                        logger.info("WhatsApp: answering a %s message with the note", message.message_type)
                        await output.send_text_message(message.sender_id, UNSUPPORTED_NOTE)
                        continue
                    await on_new_message(
                        UserMessage(
                            message.text,
                            output,
                            message.sender_id,
                            input_channel=self.name(),
                            message_id=message.message_id,
                            metadata=message_metadata(message),
                        )
                    )
                except Exception:  # one failing message must not stop the others
                    logger.exception("WhatsApp: handling message %s failed", message.message_id)

    def _messages(self, request: Request) -> List[IncomingMessage]:
        if not hasattr(request.ctx, "whatsapp_messages"):
            if not hasattr(request.ctx, "whatsapp_payload"):
                try:
                    request.ctx.whatsapp_payload = json.loads(request.body or b"")
                except ValueError:
                    request.ctx.whatsapp_payload = None
            request.ctx.whatsapp_messages = parse_webhook(request.ctx.whatsapp_payload)
        return request.ctx.whatsapp_messages

    def _accept(self, message: IncomingMessage) -> bool:
        """False for another phone number's messages and for redeliveries of a message already taken."""
        if message.phone_number_id and message.phone_number_id != self.phone_number_id:
            logger.warning("WhatsApp: ignoring a message to phone number id %s", message.phone_number_id)
            return False
        if message.message_id in self._seen:
            logger.info("WhatsApp: ignoring redelivered message %s", message.message_id)
            return False
        self._seen[message.message_id] = None
        if len(self._seen) > SEEN_MESSAGE_IDS:
            self._seen.popitem(last=False)
        return True


def _same(given: Text, expected: Text) -> bool:
    return hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))
