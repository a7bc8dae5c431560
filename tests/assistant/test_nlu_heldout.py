"""NLU evaluation on the held-out set (tests/assistant/nlu_heldout), which is never trained on."""

from __future__ import annotations

import pytest

from bot.vocabulary import LANGUAGES
from tests.assistant.helpers import coverage_gaps, heldout_examples, in_training_data, intent_macro_f1, predicted

MIN_MACRO_F1 = 0.95


def test_heldout_set_covers_every_intent_in_both_languages():
    assert not coverage_gaps(heldout_examples(), min_lt=10, min_en=6, min_plain_lt=4)


def test_heldout_set_is_not_in_the_training_data():
    """No held-out example is in the training data, not even with other diacritics, case or one typo."""
    leaked = in_training_data(heldout_examples())
    assert not leaked, leaked


@pytest.fixture(scope="module")
def predictions(parse):
    return predicted(parse, heldout_examples())


@pytest.mark.parametrize("language", LANGUAGES)
def test_intent_macro_f1(predictions, language):
    assert intent_macro_f1(predictions, language, "held-out") >= MIN_MACRO_F1
