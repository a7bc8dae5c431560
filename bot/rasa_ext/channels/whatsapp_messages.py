"""Outgoing WhatsApp Cloud API message objects within the platform's limits (pure functions).

Texts longer than 4096 characters are split at paragraph, line or word boundaries. Bot buttons become reply
buttons (up to 3) or an interactive list (more than 3; 10 rows per list, further lists follow). A button's id
is its payload, which WhatsApp sends back when the customer taps it.
"""

from __future__ import annotations

import logging
from typing import Any, Dict, List, Sequence, Text, Tuple

logger = logging.getLogger(__name__)

TEXT_LIMIT = 4096
INTERACTIVE_BODY_LIMIT = 1024
MAX_REPLY_BUTTONS = 3
BUTTON_TITLE_LIMIT = 20
BUTTON_ID_LIMIT = 256
MAX_LIST_ROWS = 10
ROW_TITLE_LIMIT = 24
ROW_DESCRIPTION_LIMIT = 72
ROW_ID_LIMIT = 200
LIST_BUTTON_LABEL = "Pasirinkti / Choose"  # the button that opens the list (max 20 characters)
DEFAULT_BODY = "Pasirinkite / Choose:"  # interactive messages need a body: used when a bot message has none
CONTINUED_BODY = "…"  # body of the second and later lists of a long button set
ELLIPSIS = "…"


def truncate(text: Text, limit: int) -> Text:
    """`text` cut to at most `limit` characters, ending in "…" when shortened."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    return text[: limit - 1].rstrip(" ,.;:-–") + ELLIPSIS


def split_text(text: Text, limit: int = TEXT_LIMIT) -> List[Text]:
    """`text` in parts of at most `limit` characters, cut at a paragraph, line or word boundary."""
    parts, rest = [], text.strip()
    while len(rest) > limit:
        cut = _boundary(rest, limit)
        parts.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    if rest:
        parts.append(rest)
    return parts


def split_for_interactive(text: Text) -> Tuple[List[Text], Text]:
    """(plain text parts sent first, the last part as an interactive body of at most 1024 characters)."""
    text = text.strip()
    if len(text) <= INTERACTIVE_BODY_LIMIT:
        return [], text or DEFAULT_BODY
    # The body is the text's ending (next to the buttons), at most 1024 characters, from a boundary.
    cut = len(text) - _boundary(text[::-1], INTERACTIVE_BODY_LIMIT)
    return split_text(text[:cut]), text[cut:].strip()


def text_message(to: Text, body: Text) -> Dict[Text, Any]:
    """A text message (body at most 4096 characters); links get a preview."""
    return {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": to,
        "type": "text",
        "text": {"body": body, "preview_url": "http://" in body or "https://" in body},
    }


def reply_buttons_message(to: Text, body: Text, buttons: Sequence[Dict[Text, Any]]) -> Dict[Text, Any]:
    """An interactive message with up to 3 reply buttons (id = payload, title at most 20 characters)."""
    replies = []
    for button in buttons[:MAX_REPLY_BUTTONS]:
        title = truncate(_title(button), BUTTON_TITLE_LIMIT)
        reply = {"id": button_id(button, BUTTON_ID_LIMIT), "title": title}
        replies.append({"type": "reply", "reply": reply})
    return _interactive(to, {"type": "button", "body": {"text": body}, "action": {"buttons": replies}})


def list_message(to: Text, body: Text, buttons: Sequence[Dict[Text, Any]]) -> Dict[Text, Any]:
    """An interactive list of up to 10 rows; a title cut to 24 characters is given in full as description."""
    rows = []
    for button in buttons[:MAX_LIST_ROWS]:
        title = _title(button)
        row = {"id": button_id(button, ROW_ID_LIMIT), "title": truncate(title, ROW_TITLE_LIMIT)}
        if row["title"] != " ".join(title.split()):
            row["description"] = truncate(title, ROW_DESCRIPTION_LIMIT)
        rows.append(row)
    action = {"button": LIST_BUTTON_LABEL, "sections": [{"rows": rows}]}
    return _interactive(to, {"type": "list", "body": {"text": body}, "action": action})


def button_messages(to: Text, text: Text, buttons: Sequence[Dict[Text, Any]]) -> List[Dict[Text, Any]]:
    """The messages that carry a bot text with buttons, in sending order."""
    buttons = _unique(buttons)
    if not buttons:
        return [text_message(to, part) for part in split_text(text)]
    head, body = split_for_interactive(text)
    messages = [text_message(to, part) for part in head]
    if len(buttons) <= MAX_REPLY_BUTTONS:
        return messages + [reply_buttons_message(to, body, buttons)]
    for start in range(0, len(buttons), MAX_LIST_ROWS):
        chunk_body = body if start == 0 else CONTINUED_BODY
        messages.append(list_message(to, chunk_body, buttons[start : start + MAX_LIST_ROWS]))
    return messages


def button_id(button: Dict[Text, Any], limit: int) -> Text:
    """The button's payload; its title when the payload is missing or too long for WhatsApp."""
    payload = button.get("payload")
    if isinstance(payload, str) and payload.strip():
        if len(payload) <= limit:
            return payload
        logger.warning("WhatsApp: button payload longer than %d characters, sending its title instead", limit)
    return _title(button)[:limit]


def _title(button: Dict[Text, Any]) -> Text:
    title = button.get("title")
    if isinstance(title, str) and title.strip():
        return title.strip()
    return str(button.get("payload") or "?")


def _unique(buttons: Sequence[Dict[Text, Any]]) -> List[Dict[Text, Any]]:
    """Buttons with a title or payload, without repeated ids (WhatsApp refuses duplicates)."""
    seen, unique = set(), []
    for button in buttons:
        if not isinstance(button, dict) or not (button.get("title") or button.get("payload")):
            continue
        key = button.get("payload") or button.get("title")
        if key not in seen:
            seen.add(key)
            unique.append(button)
    return unique


def _interactive(to: Text, interactive: Dict[Text, Any]) -> Dict[Text, Any]:
    return {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": to,
        "type": "interactive",
        "interactive": interactive,
    }


def _boundary(text: Text, limit: int) -> int:
    """Where to cut `text` so the first part has at most `limit` characters."""
    for separator in ("\n\n", "\n", " "):
        cut = text.rfind(separator, 0, limit + 1)
        if cut >= limit // 2:
            return cut
    return limit

