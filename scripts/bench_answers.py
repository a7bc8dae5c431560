"""Which response of the domain each bot message is, for the bench's --check mode: the REST webhook returns only the
texts, so a text is matched against every response variation (with its {variables} as wildcards).

Works on any Rasa domain: ours (the domain/ folder, files merged as Rasa merges them) and the stock bot's
domain.yml.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

UNKNOWN = "?"  # the name of a text that is no response of the domain


def load_responses(source: Path) -> dict[str, list[dict[str, Any]]]:
    """The responses of a domain file, or of every file of a domain folder."""
    paths = sorted(source.glob("*.yml")) if source.is_dir() else [source]
    responses: dict[str, list[dict[str, Any]]] = {}
    for path in paths:
        responses.update((yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("responses") or {})
    return responses


def variation_language(variation: dict[str, Any]) -> str | None:
    """The value of a variation's `language` slot condition (None: unconditioned)."""
    return next((c.get("value") for c in variation.get("condition") or [] if c.get("name") == "language"), None)


@dataclass
class ResponseIndex:
    """Bot text -> (response name, language of the variation; None for unconditioned)."""

    exact: dict[str, tuple[str, str | None]] = field(default_factory=dict)
    templates: list[tuple[re.Pattern[str], str, str | None]] = field(default_factory=list)

    @classmethod
    def of(cls, responses: dict[str, list[dict[str, Any]]]) -> ResponseIndex:
        index = cls()
        for name, variations in responses.items():
            for variation in variations:
                text = variation.get("text")
                if not isinstance(text, str):
                    continue
                found = (name, variation_language(variation))
                if re.search(r"\{\w+\}", text):
                    pattern = re.sub(r"\\\{\w+\\\}", "(.+?)", re.escape(text))
                    index.templates.append((re.compile(pattern, re.DOTALL), *found))
                else:
                    index.exact[text] = found
        return index

    def name(self, text: str) -> tuple[str, str | None]:
        """(response name, language) of a bot text; (UNKNOWN, None) when no response matches."""
        if text in self.exact:
            return self.exact[text]
        return next(((name, lang) for pattern, name, lang in self.templates if pattern.fullmatch(text)),
                    (UNKNOWN, None))

    def names(self, texts: list[str]) -> list[str]:
        return [self.name(text)[0] for text in texts]
