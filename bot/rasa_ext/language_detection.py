"""Decide whether a customer message is Lithuanian, English, or undecided.

Rules first (Lithuanian letters, language-neutral tokens, frequent unambiguous words), then a per-word vote of
the lingua detector restricted to Lithuanian and English. Short or neutral messages ("ok", "CPS", "500", "?")
are undecided so that the conversation keeps its language.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Optional

from bot.text import fold, has_lithuanian_letters, words
from bot.vocabulary import EN, LANGUAGE_HINT_KEY, LANGUAGES, LT

# A margin of votes at or above this is a message "clearly" in one language (it can undo an explicit switch).
CLEAR_MARGIN = 2
# A single word of at least this length is judged by lingua; shorter ones count only when they are markers.
MIN_JUDGED_WORD = 4
MIN_WORD_CONFIDENCE = 0.7
# Only the first words of a very long message are looked at, and no word longer than a real one.
MAX_WORDS = 200
MAX_WORD_LENGTH = 40
MAX_SCANNED = 4000  # characters looked at: 200 words fit, and no regex walks a megabyte-long message
# Upper-case words up to this length are acronyms or code keywords ("CPS", "VAT", "SELECT"), not language.
MAX_UPPERCASE_IGNORED = 6
_MARKUP = re.compile(r"<[^<>]{0,200}>")
# code between script or style tags is no language either ("<script>alert(1)</script>" must not vote English)
_CODE_BLOCK = re.compile(r"<(script|style)\b[^<>]{0,200}>.{0,2000}?(?:</\1\s*>|$)", re.IGNORECASE | re.DOTALL)

NEUTRAL_WORDS = frozenset(
    "ok okay oki okey okei cps canon eos vat pvm faq pdf id url www http https com lt en eu e mail email "
    "emails gmail donotreply europe lol hmm hm mm aha ha haha xd".split()
)
LITHUANIAN_MARKERS = frozenset(
    "ar kaip kur kada kodel kiek koks kokia kokie kokiu kokius kas ka kuri kuris kurie kurio kuriuos man mano "
    "mes mums musu jus jums jusu tu tau tavo yra nera buvo bus busiu turiu turim turime noriu norim norime norejau "
    "reikia reiketu reikes galiu galim galime galit galite gal gali prasau aciu dekui dekoju labas laba labukas "
    "sveiki sveikas diena vakaras rytas iki viso taip jo ne nea nezinau neprisimenu gerai su ir bet arba apie "
    "del nuo prie jau dar tik kad nes kai tai tas sita sis cia ten dabar kazka viskas nieko labai paskyra "
    "paskyros paskyrai naryste narystes nario gaminiai gaminius produktus taskai tasku saskaita saskaitos "
    "mokejimas mokejimo kortele pavedimu pavedimas kalbek kalba rasyk atsakyk pasakyk".split()
)
ENGLISH_MARKERS = frozenset(
    "the an and or of to in on for with my our your we you it are was were do does did can could would should "
    "will how what where when why which who whom have has had get got need needs want please pls thanks thank "
    "thx ty hi hello hey bye goodbye yes yeah yep yup no nope not dont don doesnt cant cannot me us this that "
    "these those there here about from if be am im ive account register payment invoice card bank transfer "
    "points products product tier tiers membership answer speak write english".split()
)
# Form slots whose answers are names ("Foto Centras", "XK1234567"): they say nothing about the customer's language.
NAME_SLOTS = frozenset({"serial_number", "dealer"})
_LANGUAGE_NAME_PREFIXES = {LT: ("lietuv", "lithuan"), EN: ("angl", "english")}


@dataclass(frozen=True)
class Detection:
    """The detected language (None when undecided) and the vote margin behind it."""

    language: Optional[str]
    margin: float = 0.0

    @property
    def is_clear(self) -> bool:
        """True when the message is clearly written in `language`."""
        return self.language is not None and self.margin >= CLEAR_MARGIN


@lru_cache(maxsize=1)
def _lingua():
    from lingua import Language, LanguageDetectorBuilder

    detector = LanguageDetectorBuilder.from_languages(Language.LITHUANIAN, Language.ENGLISH).build()
    detector.compute_language_confidence_values("labas")  # loads the models now, not on a customer's turn
    return detector


def next_language(current: Optional[str], detection: Detection, hint: Optional[str] = None,
                  requested_slot: Optional[str] = None) -> Optional[str]:
    """The conversation's language after a message: set by the first decided message, then changed only by a
    message clearly in the other language (so "ok", "thanks" or an English product name keep it). An answer to
    a form question for a name (`requested_slot` in NAME_SLOTS: "Foto Centras" as the dealer) keeps it too.

    `hint` is the language the client says its page is in (message metadata, `hinted_language`). It counts only
    while the conversation has no language yet and the message itself decides none ("?", "CPS 500"): what the
    customer writes always wins over the page."""
    if detection.language is None or (current is not None and requested_slot in NAME_SLOTS):
        return hint if current is None and hint in LANGUAGES else current
    if current is None or detection.is_clear:
        return detection.language
    return current


def hinted_language(metadata: object) -> Optional[str]:
    """The page language a client sent in the message metadata (`{"language": "lt" | "en"}`), else None."""
    value = metadata.get(LANGUAGE_HINT_KEY) if isinstance(metadata, dict) else None
    if isinstance(value, str) and value.strip().lower() in LANGUAGES:
        return value.strip().lower()
    return None


def warm_up() -> None:
    """Load the lingua models ahead of the first message."""
    _lingua()


def _lingua_vote(word: str) -> Optional[str]:
    from lingua import Language

    values = _lingua().compute_language_confidence_values(word)
    if not values or values[0].value < MIN_WORD_CONFIDENCE:
        return None
    return LT if values[0].language == Language.LITHUANIAN else EN


def _content_words(text: str) -> list[str]:
    """Folded words that carry language: acronyms, neutral words, single letters and non-words are dropped."""
    kept = []
    text = text[:MAX_SCANNED]
    for word in words(_MARKUP.sub(" ", _CODE_BLOCK.sub(" ", text)))[:MAX_WORDS]:
        if not 2 <= len(word) <= MAX_WORD_LENGTH or (word.isupper() and len(word) <= MAX_UPPERCASE_IGNORED):
            continue
        folded = fold(word)
        if folded not in NEUTRAL_WORDS:
            kept.append(folded)
    return kept


def _vote(word: str) -> Optional[str]:
    if word in LITHUANIAN_MARKERS:
        return LT
    if word in ENGLISH_MARKERS:
        return EN
    if len(word) >= MIN_JUDGED_WORD:
        return _lingua_vote(word)
    return None


def detect_language(text: str) -> Detection:
    """Detect the language of one customer message (HTML-like markup and script code are ignored)."""
    votes = {LT: 0.0, EN: 0.0}
    if has_lithuanian_letters(text):
        votes[LT] += CLEAR_MARGIN
    for word in _content_words(text):
        language = _vote(word)
        if language:
            votes[language] += 1
    margin = votes[LT] - votes[EN]
    if margin == 0:
        return Detection(None)
    return Detection(LT if margin > 0 else EN, abs(margin))


def requested_language(text: str) -> Optional[str]:
    """The language a message names ("lietuviškai", "in English"); the last one named wins."""
    found = None
    for word in words(text):
        folded = fold(word)
        for language, prefixes in _LANGUAGE_NAME_PREFIXES.items():
            if folded.startswith(prefixes) or folded == language:
                found = language
    return found
