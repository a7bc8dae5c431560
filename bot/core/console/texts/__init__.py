"""The console's texts in Lithuanian and English (agents in Lithuania): one module per page or feature beside this
one, each with `TEXTS = {"lt": {key: text}, "en": {key: text}}` (the same keys in both; tests/core check it).
Templates read them as `t.key` (`t` is the merged texts of the agent's language, `language_of`).

The agent's language: the `console_language` cookie (set by the switch in the header, /agent/language), else the
browser's Accept-Language (the first of lt, en it names), else Lithuanian.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Mapping
from functools import cache
from types import MappingProxyType

from fastapi import Request

from bot.vocabulary import DEFAULT_LANGUAGE, LANGUAGES

LANGUAGE_COOKIE = "console_language"


def _modules() -> list[Mapping[str, Mapping[str, str]]]:
    found = []
    for module in pkgutil.iter_modules(__path__):
        found.append(importlib.import_module(f"{__name__}.{module.name}").TEXTS)
    return found


@cache
def texts(language: str) -> Mapping[str, str]:
    """Every console text in `language` (one of LANGUAGES); a key defined twice is an error."""
    merged: dict[str, str] = {}
    for module in _modules():
        for key, value in module[language].items():
            if key in merged:
                raise RuntimeError(f"console text {key!r} is defined twice")
            merged[key] = value
    return MappingProxyType(merged)


def language_of(request: Request) -> str:
    """The agent's console language (module docstring)."""
    chosen = request.cookies.get(LANGUAGE_COOKIE)
    if chosen in LANGUAGES:
        return chosen
    for part in request.headers.get("accept-language", "").split(","):
        tag = part.split(";")[0].strip().lower()[:2]
        if tag in LANGUAGES:
            return tag
    return DEFAULT_LANGUAGE
