"""Customer text made fit for review: e-mail addresses and long numbers (phone, card, serial, account numbers)
replaced before the text is stored, and the text capped in length.

Plain functions, no framework: the fallback log (bot/core/services/fallbacks.py) calls them, tests call them
directly.
"""

from __future__ import annotations

import re

EMAIL_MARK = "[e-mail]"
NUMBER_MARK = "[number]"
SECRET_MARK = "[secret]"
MIN_DIGITS = 6  # a run of this many digits or more is a number worth hiding

_LOCAL = r"[\w.!#$%&'*+/=?^`{|}~-]"  # a character of an address's local part
# The look-behind starts a match only at the beginning of a local part: linear time on long words.
EMAIL = re.compile(rf"(?<!{_LOCAL}){_LOCAL}+@[\w-]+(?:\.[\w-]+)+")
# An address written to dodge filters: "jonas @ gmail.com", "jonas(at)gmail.com", "jonas [eta] gmail [taškas] com",
# "jonas eta gmail.com" (Lithuanian reads "@" as "eta"), "jonas at gmail dot com" (a plain "at" only with a
# spelled dot: "meet at canon.lt" stays).
_OPEN, _CLOSE = r"[(\[{]\s*", r"\s*[)\]}]"
_AT = rf"(?:\s*(?:@|{_OPEN}(?:at|eta){_CLOSE})\s*|\s+eta\s+)"
_SPELLED_DOT = rf"(?:\s*{_OPEN}(?:dot|ta[šs]kas){_CLOSE}\s*|\s+(?:dot|ta[šs]kas)\s+)"
SPELLED_EMAIL = re.compile(
    rf"(?i)(?<!{_LOCAL}){_LOCAL}+(?:{_AT}[\w-]+(?:(?:\.|{_SPELLED_DOT})[\w-]+)+"
    rf"|\s+at\s+[\w-]+(?:{_SPELLED_DOT}[\w-]+)+)")
# A digit, then at least MIN_DIGITS - 1 more, each after at most 3 separators (spaces, dashes, brackets, dots,
# slashes): "+370 (612) 34567", "4111-1111-1111-1111", "4111.1111.1111.1111", "LT12 1000 0111 0100 1000".
# Separators never cross a line.
_SEPARATORS = r"[ \t\u00a0\u202f()\-./\u2010-\u2015]{0,3}"
NUMBER = re.compile(rf"(?<!\d)\+?\d(?:{_SEPARATORS}\d){{{MIN_DIGITS - 1},}}")
# The word after a password, PIN or card security code ("slaptažodis yra Labas123!", "cvv: 123").
SECRET = re.compile(r"(?i)\b(slapta\w{0,20}|password|passwd|pwd|pin|cvv|cvc)\b"
                    r"(?:\s*(?:yra|is|:|=|-))?\s*[^\s.,;?]{1,100}")


def redact(text: str) -> str:
    """`text` with every e-mail address (also one written "jonas (at) gmail.com") replaced by "[e-mail]", the word
    after a password, PIN or card security code by "[secret]", and every run of 6 or more digits (spaces, dashes,
    brackets, dots and slashes between them allowed; a leading "+" included) by "[number]"."""
    text = SPELLED_EMAIL.sub(EMAIL_MARK, EMAIL.sub(EMAIL_MARK, text))
    text = SECRET.sub(lambda m: f"{m.group(1)} {SECRET_MARK}", text)
    return NUMBER.sub(NUMBER_MARK, text)


MAX_STORED_TEXT = 1000  # characters of a redacted customer text that the core keeps (fallback log, analytics)


def stored_text(text: str) -> str:
    """What the core keeps of a customer's text: NUL characters removed (PostgreSQL text cannot hold them), then
    redacted, then capped at MAX_STORED_TEXT (redacting first, so that no cut leaves part of a number behind)."""
    return clip(redact(text.replace("\x00", "")), MAX_STORED_TEXT)


def clip(text: str, limit: int) -> str:
    """`text` cut to at most `limit` characters, the last one "…" when something was cut."""
    if limit < 1:
        raise ValueError("limit must be at least 1")
    return text if len(text) <= limit else text[: limit - 1] + "…"
