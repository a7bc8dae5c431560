"""NLU evaluation on the held-out set (tests/assistant/nlu_heldout), which is never trained on."""

from __future__ import annotations

from collections import Counter, defaultdict

import pytest
from sklearn.metrics import f1_score

from bot.text import LITHUANIAN_LETTERS, fold
from tests.assistant.helpers import SUMMARY, domain, heldout_examples, near_duplicate, normalise, training_examples

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


@pytest.mark.parametrize("language", ["lt", "en"])
def test_intent_macro_f1(predictions, language):
    rows = [row for row in predictions if row[2] == language]
    gold = [row[1] for row in rows]
    predicted = [row[3] for row in rows]
    score = f1_score(gold, predicted, labels=sorted(set(gold)), average="macro", zero_division=0)
    errors = defaultdict(list)
    for text, intent, _, guess in rows:
        if guess != intent:
            errors[intent].append(f"{text!r} -> {guess}")
    SUMMARY.append(f"held-out intent macro-F1 ({language}, {len(rows)} examples): {score:.3f}")
    SUMMARY.extend(f"  {intent}: {'; '.join(wrong)}" for intent, wrong in sorted(errors.items()))
    assert score >= MIN_MACRO_F1
