"""Reviewed customer messages as Rasa NLU training data (YAML, format version "3.1"), for a person to check and add
to data/nlu/ (never added automatically).

    version: "3.1"
    nlu:
    - intent: password_reset
      examples: |
        - pamiršau slaptažodį
        - I forgot my password

Each example is one line of a literal block, so nothing in it is YAML syntax; what could still change its meaning
is removed or defused: whitespace of any kind (line and paragraph separators included) becomes one space,
control and format characters and lone surrogates are dropped, and Rasa's entity markup (`[text](entity)`,
`[text]{"entity": ...}`) is broken with a space so that a customer's brackets are read as plain text.

Standard library only (Python 3.10-safe): tests/assistant reads the output with Rasa's own reader.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping

VERSION = "3.1"
MAX_EXAMPLE = 500
_ENTITY_MARKUP = re.compile(r"\]\s*(?=[({])")
_DROPPED = frozenset({"Cc", "Cf", "Cs", "Co", "Cn"})


def clean_example(text: str) -> str:
    """`text` as one safe line of a training example ('' when nothing is left)."""
    kept = "".join(ch if unicodedata.category(ch) not in _DROPPED else " " for ch in text)
    line = " ".join(kept.split())  # every Unicode whitespace, line breaks included
    return _ENTITY_MARKUP.sub("] ", line)[:MAX_EXAMPLE].strip()


def nlu_yaml(examples: Mapping[str, Iterable[str]]) -> str:
    """The YAML of `examples` ({intent: texts}): intents in the given order, each text cleaned, empty and repeated
    ones left out, an intent without examples left out."""
    lines = [f'version: "{VERSION}"', "nlu:"]
    for intent, texts in examples.items():
        cleaned = list(dict.fromkeys(filter(None, map(clean_example, texts))))
        if not cleaned:
            continue
        lines += [f"- intent: {intent}", "  examples: |"]
        lines += [f"    - {text}" for text in cleaned]
    if len(lines) == 2:
        lines[1] = "nlu: []"
    return "\n".join(lines) + "\n"
