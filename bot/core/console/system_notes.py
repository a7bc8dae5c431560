"""The transcript's system notes in the agent's language. The handoff service stores them in English (the
record; bot/core/handoff/service.py's *_NOTE templates); the console recognises each template and shows it with
the texts `system_*` (bot/core/console/texts/terms.py). A note that matches no template is shown as stored."""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import cache
from typing import Any

from bot.core.handoff import service
from bot.vocabulary import HANDOFF_REASON_NOTES

_FIELD = re.compile(r"\\\{(\w+)\\\}")


def _pattern(template: str) -> re.Pattern[str]:
    """A template's regular expression: each `{name}` a named group (the last one takes the rest)."""
    return re.compile("^" + _FIELD.sub(r"(?P<\1>.+?)", re.escape(template)) + "$", re.S)


@cache
def _templates() -> tuple[tuple[re.Pattern[str], str], ...]:
    return (
        (_pattern(service.HANDED_OVER_NOTE + service.OUT_OF_HOURS_NOTE), "system_handed_over_out_of_hours"),
        (_pattern(service.HANDED_OVER_NOTE), "system_handed_over"),
        (_pattern(service.CLOSED_NOTE), "system_closed"),  # before TOOK_OVER: a note may say anything
        (_pattern(service.TOOK_OVER_NOTE), "system_took_over"),
        (_pattern(service.LEFT_NOTE), "system_customer_left"),
    )


def _reason(note: str, t: Mapping[str, str]) -> str:
    reasons = {text: code for code, text in HANDOFF_REASON_NOTES.items()}
    return t.get(f"system_reason_{reasons.get(note, '')}", note)


def system_text(text: str, t: Mapping[str, str]) -> str:
    """A stored system note in the language of the texts `t`."""
    for pattern, key in _templates():
        found = pattern.match(text)
        if found:
            values = found.groupdict()
            if "reason" in values:
                values["reason"] = _reason(values["reason"], t)
            return t[key].format(**values)
    return text


def shown_messages(messages: list[dict[str, Any]], t: Mapping[str, str]) -> list[dict[str, Any]]:
    """The transcript's messages (views.message_item) with their system notes in the language of `t`."""
    return [{**m, "text": system_text(m["text"], t)} if m["sender"] == "system" else m for m in messages]
