"""Incoming WhatsApp Business Cloud API webhooks: signature check and message parsing (pure functions).

The platform posts `{"object": "whatsapp_business_account", "entry": [{"changes": [{"field": "messages",
"value": {"metadata": {...}, "contacts": [...], "messages": [...], "statuses": [...]}}]}]}` and signs the raw
body with the app secret in `X-Hub-Signature-256: sha256=<hex>`.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
from dataclasses import dataclass
from typing import Any, Dict, Iterator, List, Optional, Text

logger = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Hub-Signature-256"
WEBHOOK_OBJECT = "whatsapp_business_account"
_SIGNATURE = re.compile(r"sha256=([0-9a-f]{64})")

# Message types that are not a customer turn: reactions to our messages, system notices (number changed),
# the "welcome" request of a first chat. Dropped without an answer.
IGNORED_TYPES = frozenset({"reaction", "system", "ephemeral", "request_welcome"})


def signature_for(app_secret: Text, body: bytes) -> Text:
    """The `X-Hub-Signature-256` value the platform sends for `body`."""
    return "sha256=" + hmac.new(app_secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def signature_error(app_secret: Text, body: bytes, header: Optional[Text]) -> Optional[Text]:
    """None when `header` signs `body` with `app_secret`, else why not: missing, malformed or mismatch."""
    if not header:
        return "missing"
    match = _SIGNATURE.fullmatch(header.strip().lower())
    if not match:
        return "malformed"
    expected = signature_for(app_secret, body).encode("ascii")
    if not hmac.compare_digest(expected, match.group(0).encode("ascii")):
        return "mismatch"
    return None


@dataclass(frozen=True)
class IncomingMessage:
    """One customer message; `text` is None when its type carries no text we can answer."""

    sender_id: Text  # the customer's WhatsApp id (`from`)
    message_id: Text
    message_type: Text
    text: Optional[Text]
    timestamp: Optional[Text] = None
    phone_number_id: Optional[Text] = None
    display_phone_number: Optional[Text] = None
    profile_name: Optional[Text] = None


def message_text(message: Dict[Text, Any]) -> Optional[Text]:
    """The text to hand to Rasa: a text body, or a reply's id (= our button's payload); None otherwise."""
    kind = message.get("type")
    value: Any = None
    if kind == "text":
        value = _dict(message.get("text")).get("body")
    elif kind == "interactive":
        interactive = _dict(message.get("interactive"))
        if interactive.get("type") in ("button_reply", "list_reply"):
            reply = _dict(interactive.get(interactive["type"]))
            value = reply.get("id") or reply.get("title")
    elif kind == "button":  # legacy: quick-reply button of a template message
        button = _dict(message.get("button"))
        value = button.get("payload") or button.get("text")
    if isinstance(value, str) and value.strip():
        return value
    return None


def parse_webhook(payload: Any) -> List[IncomingMessage]:
    """The customer messages in a webhook payload; statuses, contacts-only and unknown parts are skipped."""
    if not isinstance(payload, dict) or payload.get("object") != WEBHOOK_OBJECT:
        logger.info("WhatsApp webhook: ignoring object %r", _dict(payload).get("object"))
        return []
    messages = []
    for value in _change_values(payload):
        metadata = _dict(value.get("metadata"))
        names = _profile_names(value.get("contacts"))
        for message in _list(value.get("messages")):
            parsed = _parse_message(_dict(message), metadata, names)
            if parsed is not None:
                messages.append(parsed)
    return messages


def message_metadata(message: IncomingMessage) -> Dict[Text, Any]:
    """The metadata Rasa stores on the user event (actions read it from the tracker)."""
    fields = {
        "wa_id": message.sender_id,
        "phone_number_id": message.phone_number_id,
        "display_phone_number": message.display_phone_number,
        "profile_name": message.profile_name,
        "message_id": message.message_id,
        "message_type": message.message_type,
        "timestamp": message.timestamp,
    }
    return {"channel": "whatsapp", "whatsapp": {k: v for k, v in fields.items() if v is not None}}


def _parse_message(
    message: Dict[Text, Any], metadata: Dict[Text, Any], names: Dict[Text, Text]
) -> Optional[IncomingMessage]:
    sender, message_id, kind = message.get("from"), message.get("id"), message.get("type")
    if not (isinstance(sender, str) and sender and isinstance(message_id, str) and message_id):
        logger.warning("WhatsApp webhook: skipping a message without sender or id")
        return None
    kind = kind if isinstance(kind, str) else "unknown"
    if kind in IGNORED_TYPES:
        logger.debug("WhatsApp webhook: ignoring a %s message", kind)
        return None
    only_name = next(iter(names.values())) if len(names) == 1 else None
    return IncomingMessage(
        sender_id=sender,
        message_id=message_id,
        message_type=kind,
        text=message_text(message),
        timestamp=_str(message.get("timestamp")),
        phone_number_id=_str(metadata.get("phone_number_id")),
        display_phone_number=_str(metadata.get("display_phone_number")),
        profile_name=names.get(sender, only_name),
    )


def _change_values(payload: Dict[Text, Any]) -> Iterator[Dict[Text, Any]]:
    for entry in _list(payload.get("entry")):
        for change in _list(_dict(entry).get("changes")):
            change = _dict(change)
            if change.get("field", "messages") == "messages":
                yield _dict(change.get("value"))


def _profile_names(contacts: Any) -> Dict[Text, Text]:
    names = {}
    for contact in _list(contacts):
        contact = _dict(contact)
        name = _dict(contact.get("profile")).get("name")
        if isinstance(contact.get("wa_id"), str) and isinstance(name, str):
            names[contact["wa_id"]] = name
    return names


def _dict(value: Any) -> Dict[Text, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> List[Any]:
    return value if isinstance(value, list) else []


def _str(value: Any) -> Optional[Text]:
    return str(value) if isinstance(value, (str, int)) and not isinstance(value, bool) else None
