"""The trained model on the blind NLU set (tests/assistant/nlu_blind): examples written from the seed alone, by
someone who never saw the training data, as customers type. Never trained on, never tuned to item by item."""

from __future__ import annotations

from functools import lru_cache

import pytest

from bot.vocabulary import LANGUAGES
from tests.assistant.helpers import (
    BLIND_DIR,
    SUMMARY,
    coverage_gaps,
    heldout_examples,
    in_training_data,
    intent_macro_f1,
    predicted,
)

MIN_MACRO_F1 = 0.93
# Blind examples that the training data already held (up to a typo) when the set was written (2026-12-04): written
# independently from the same seed, short ones ("labas", "how long does approval take?") coincide. Copying blind
# examples into data/ would raise this count and is what the bound stops.
# 2026-12-04, later: 158 after ~900 more training examples written by a session that never saw this set; the 9 new
# coincidences are short ("ei", "kur duk", "is CPS free?", "my points total?", "how many more points do I need?").
MAX_ALREADY_TRAINED = 158
# Intents that hand the conversation to a person: only a request for one or a described payment problem may get them.
HANDOFF_INTENTS = frozenset({"request_human", "payment_problem", "payment_problem+request_human"})


@lru_cache(maxsize=1)
def blind_examples():
    """Read once per run (several tests use it)."""
    return heldout_examples(BLIND_DIR)


def test_blind_set_covers_every_intent_in_both_languages():
    assert not coverage_gaps(blind_examples(), min_lt=8, min_en=5, min_plain_lt=4)


@pytest.fixture(scope="module")
def predictions(parse):
    return predicted(parse, blind_examples())


@pytest.mark.parametrize("language", LANGUAGES)
def test_intent_macro_f1(predictions, language):
    assert intent_macro_f1(predictions, language, "blind") >= MIN_MACRO_F1


@pytest.mark.parametrize("language", LANGUAGES)
def test_no_false_escalations(predictions, language):
    """Nobody is queued for a person who neither asked for one nor described a payment problem."""
    false = [f"{text!r} ({intent}) -> {guess}" for text, intent, lang, guess in predictions
             if lang == language and guess in HANDOFF_INTENTS and intent not in HANDOFF_INTENTS]
    SUMMARY.append(f"blind false escalations ({language}): {len(false)}")
    SUMMARY.extend(f"  {item}" for item in false)
    assert not false


def test_blind_examples_are_not_copied_into_the_training_data():
    seen = in_training_data(blind_examples())
    SUMMARY.append(f"blind examples also in the training data (up to a typo): {len(seen)} of {len(blind_examples())}")
    assert len(seen) <= MAX_ALREADY_TRAINED, seen
