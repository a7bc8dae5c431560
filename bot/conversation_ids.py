"""Conversation ids (Rasa's sender ids) as the core takes them and as the core and the action server put them
in a URL (Rasa's HTTP API, the core's routes).

A channel picks the id: "web:" and an HMAC of the browser's secret session id (the web chat), a phone number
(WhatsApp), "rest:" and whatever a REST caller sends ("/", "%", spaces, "?", "#", any script).
 Rasa stores it as received; the core stores the same string.
In a URL it is one percent-encoded path segment (`path_segment`), which the core's routes (`{conversation_id:path}`)
and Rasa's (bot/rasa_ext/conversation_routes.py: Sanic 21.12 itself never decodes a `<conversation_id:path>`)
decode back exactly.

The web chat proves to the core that a conversation is its own with the conversation key Rasa's socket.io channel
gives it at session start (`conversation_key`: an HMAC of the id under CHAT_KEY_SECRET, shared by Rasa and the
core; bot/rasa_ext/socketio_channel.py, bot/core/web/router.py).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from urllib.parse import quote

# The longest id the core takes: even made of 4-byte UTF-8 characters, its encoded form (12 bytes a character)
# keeps a request to Rasa's API under Sanic's 8 KiB limit of the request line and headers. The REST channel
# refuses longer senders (400, `unusable_conversation_id`); the other channels' ids are far shorter.
MAX_CONVERSATION_ID = 512


def unusable_conversation_id(conversation_id: object) -> str | None:
    """Why a channel's sender id cannot be a conversation id end to end (stored by Rasa and the core, handed
    over, addressed in URLs), as a message for the caller; None when it can."""
    if not isinstance(conversation_id, str) or not conversation_id:
        return "The sender must be a non-empty string."
    if len(conversation_id) > MAX_CONVERSATION_ID:
        return f"The sender must be at most {MAX_CONVERSATION_ID} characters long."
    if "\x00" in conversation_id:
        return "The sender must not contain NUL characters."
    try:
        conversation_id.encode("utf-8")
    except UnicodeEncodeError:
        return "The sender must be valid Unicode text (no lone surrogates)."
    return None


REST_PREFIX = "rest:"  # the REST channel's conversations: the sender a caller names, in a namespace of its own


def rest_conversation(sender: str) -> str:
    """The conversation id of a REST caller's `sender`: prefixed, so that a REST caller can never name (write into,
    read the agents' replies of) another channel's conversation, a WhatsApp phone number say."""
    return REST_PREFIX + sender


def path_segment(conversation_id: str) -> str:
    """The id as one URL path segment: everything but letters, digits, "-", "_" and "~" percent-encoded (UTF-8),
    dots too: HTTP clients would drop "." and ".." as dot segments."""
    return quote(conversation_id, safe="").replace(".", "%2E")


def conversation_digest(conversation_id: str) -> str:
    """SHA-256 of the id (hex): finds a conversation in a store that keeps its id redacted (the fallback log hides
    a WhatsApp conversation's phone number) without keeping the id."""
    return hashlib.sha256(conversation_id.encode("utf-8", "surrogatepass")).hexdigest()


def conversation_key(secret: str, conversation_id: str) -> str:
    """HMAC-SHA256 of the id under `secret`, URL-safe base64 without padding (43 characters)."""
    digest = hmac.new(secret.encode(), conversation_id.encode("utf-8", "surrogatepass"), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def is_conversation_key(secret: str, conversation_id: str, key: str | None) -> bool:
    """Whether `key` is the conversation's key (constant time); never without a secret or a key."""
    if not secret or not key:
        return False
    expected = conversation_key(secret, conversation_id).encode()
    return hmac.compare_digest(expected, key.encode("utf-8", "surrogatepass"))
