"""Conversation ids (Rasa's sender ids) as the core takes them and as the core and the action server put them
in a URL (Rasa's HTTP API, the core's routes).

A channel picks the id: a random hex string (the web chat), a phone number (WhatsApp), whatever a REST caller
sends ("/", "%", spaces, "?", "#", any script). Rasa stores it as received; the core stores the same string.
In a URL it is one percent-encoded path segment (`path_segment`), which the core's routes (`{conversation_id:path}`)
and Rasa's (bot/rasa_ext/conversation_routes.py: Sanic 21.12 itself never decodes a `<conversation_id:path>`)
decode back exactly.
"""

from __future__ import annotations

from urllib.parse import quote

# The longest id the core takes: even made of 4-byte UTF-8 characters, its encoded form (12 bytes a character)
# keeps a request to Rasa's API under Sanic's 8 KiB limit of the request line and headers. Longer ids are
# refused (422) when the action server hands the conversation over, and the customer is told so.
MAX_CONVERSATION_ID = 512


def path_segment(conversation_id: str) -> str:
    """The id as one URL path segment: everything but letters, digits, "-", "_" and "~" percent-encoded (UTF-8),
    dots too: HTTP clients would drop "." and ".." as dot segments."""
    return quote(conversation_id, safe="").replace(".", "%2E")
