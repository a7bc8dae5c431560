"""Text normalisation shared by the Lithuanian NLU components and the core service: case and diacritic folding."""

from __future__ import annotations

import re
import unicodedata

LITHUANIAN_LETTERS = frozenset("ąčęėįšųūž")
_WORD = re.compile(r"[^\W\d_]+")


def fold(text: str) -> str:
    """Lower-case `text` and strip diacritics: "Mokėjimą" -> "mokejima"."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def has_lithuanian_letters(text: str) -> bool:
    """True when `text` contains a letter that only Lithuanian uses among lt/en (ą, č, ę, ...)."""
    return any(ch in LITHUANIAN_LETTERS for ch in text.lower())


def words(text: str) -> list[str]:
    """The alphabetic words of `text`, in their original case (digits and punctuation dropped)."""
    return _WORD.findall(text)
