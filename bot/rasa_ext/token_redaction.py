"""Customer tokens never stored or published: the one redaction of Rasa events (as dicts) our tracker stores and
event broker apply.

The support site sends a signed-in customer's token (`customer_token`, valid for days) in every message's
metadata. Within the turn the actions read it from the latest customer message (actions/conversation.py) and
pass it to the core, which verifies it; the next message carries it again. Rasa would otherwise keep it for the
tracker's lifetime, in the `user` event's metadata, in the `session_started_metadata` slot (carried over to
later sessions) and in any event's metadata, and return it from its tracker API. `redact_event` removes it from
those places; the tracker in memory, which the actions get during the turn, is left alone.

The event broker publishes a customer message with a claim instead (`published_event`): under CUSTOMER_CLAIM_KEY,
the token with its signature replaced by the SHA-256 (hex) of the signature's text. The core's analytics recorder,
which knows the token secret, recomputes the signature and compares the hashes (bot/core/tokens.py
`customer_of_claim`); nobody can use a claim as a token.
"""

from __future__ import annotations

import hashlib
from typing import Any, Dict, List, Optional, Text

from rasa.shared.core.constants import SESSION_START_METADATA_SLOT

from bot.vocabulary import CUSTOMER_CLAIM_KEY, CUSTOMER_TOKEN_KEY

StoredEvent = Dict[Text, Any]


def without_token(value: Any) -> Any:
    """A metadata mapping without the customer token (a copy), or `value` itself when it holds none."""
    if isinstance(value, dict) and CUSTOMER_TOKEN_KEY in value:
        return {key: item for key, item in value.items() if key != CUSTOMER_TOKEN_KEY}
    return value


def redact_event(event: StoredEvent) -> StoredEvent:
    """The event without customer tokens: a shallow copy when it held one, else the event itself (unchanged,
    never mutated)."""
    changes: Dict[Text, Any] = {}
    for key in ("metadata", "parse_data"):
        value = event.get(key)
        if key == "parse_data" and isinstance(value, dict):
            inner = without_token(value.get("metadata"))
            stripped = value if inner is value.get("metadata") else {**value, "metadata": inner}
        else:
            stripped = without_token(value)
        if stripped is not value:
            changes[key] = stripped
    if event.get("event") == "slot" and event.get("name") == SESSION_START_METADATA_SLOT:
        value = without_token(event.get("value"))
        if value is not event.get("value"):
            changes["value"] = value
    return {**event, **changes} if changes else event


def redact_events(events: List[StoredEvent]) -> List[StoredEvent]:
    """Each event redacted (a new list; the events without a token are the same objects)."""
    return [redact_event(event) for event in events]


def customer_claim(token: Any) -> Optional[Text]:
    """"header.payload.<SHA-256 hex of the signature>" of a JWT-shaped token, else None."""
    if not isinstance(token, str) or token.count(".") != 2:
        return None
    header_payload, signature = token.rsplit(".", 1)
    return f"{header_payload}.{hashlib.sha256(signature.encode('ascii', 'replace')).hexdigest()}"


def published_event(event: StoredEvent) -> StoredEvent:
    """The event as the event broker publishes it: without customer tokens, a customer message's token replaced by
    its claim in the message's metadata (module docstring). Never mutated."""
    redacted = redact_event(event)
    metadata = event.get("metadata")
    if event.get("event") != "user" or not isinstance(metadata, dict):
        return redacted
    claim = customer_claim(metadata.get(CUSTOMER_TOKEN_KEY))
    if claim is None:
        return redacted
    return {**redacted, "metadata": {**redacted["metadata"], CUSTOMER_CLAIM_KEY: claim}}
