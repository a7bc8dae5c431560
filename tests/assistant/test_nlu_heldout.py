"""NLU evaluation on the held-out set (tests/assistant/nlu_heldout), which is never trained on."""

from __future__ import annotations

from collections import Counter

import pytest

from bot.text import LITHUANIAN_LETTERS, fold
from bot.vocabulary import LANGUAGES
from tests.assistant.helpers import (
    domain,
    heldout_examples,
    intent_macro_f1,
    near_duplicate,
    normalise,
    training_examples,
)

MIN_MACRO_F1 = 0.95


def test_heldout_set_covers_every_intent_in_both_languages():
    counts = Counter((intent, language) for _, intent, language in heldout_examples())
    plain_lt = Counter(intent for text, intent, language in heldout_examples()
                       if language == "lt" and not set(text.lower()) & LITHUANIAN_LETTERS)
    for intent in domain()["intents"]:
        assert counts[intent, "lt"] >= 10, intent
        assert counts[intent, "en"] >= 6, intent
        assert plain_lt[intent] >= 4, f"{intent}: fewer than 4 Lithuanian examples without diacritics"


def test_heldout_set_is_not_in_the_training_data():
    """No held-out example is in the training data, not even with other diacritics, case or one typo."""
    trained = [fold(normalise(text)) for text, _ in training_examples()]
    leaked = [
        text for text, _, _ in heldout_examples()
        if any(near_duplicate(fold(normalise(text)), seen) for seen in trained)
    ]
    assert not leaked, leaked


@pytest.fixture(scope="module")
def predictions(parse):
    return [(text, intent, language, parse(text)["intent"]["name"]) for text, intent, language in heldout_examples()]


@pytest.mark.parametrize("language", LANGUAGES)
def test_intent_macro_f1(predictions, language):
    assert intent_macro_f1(predictions, language, "held-out") >= MIN_MACRO_F1
