"""Our Rasa components inside the trained model (bot/rasa_ext/components.py)."""

from __future__ import annotations

import pytest


def language_entities(result):
    return {e["entity"]: e["value"] for e in result["entities"] if e.get("extractor") == "LanguageDetector"}


def test_lemmas_make_diacritics_irrelevant(parse):
    with_marks = parse("kaip užsiregistruoti verslo paskyrai")
    without = parse("kaip uzsiregistruoti verslo paskyrai")
    assert with_marks["intent"]["name"] == without["intent"]["name"] == "how_to_register"
    assert abs(with_marks["intent"]["confidence"] - without["intent"]["confidence"]) < 1e-6


@pytest.mark.parametrize("text, language", [("kokiu dokumentu reikia", "lt"), ("what documents do I need", "en")])
def test_language_entity_is_added(parse, text, language):
    assert language_entities(parse(text))["language"] == language


@pytest.mark.parametrize("text", ["/documents_vat_registered", "ok", "CPS", "500"])
def test_no_language_entity_for_payloads_and_neutral_text(parse, text):
    assert "language" not in language_entities(parse(text))


def test_requested_language_entity(parse):
    entities = language_entities(parse("Can you answer in Lithuanian?"))
    assert entities == {"language": "en", "requested_language": "lt"}


@pytest.mark.parametrize("text", ["", "   ", "😀🙏📷", "§§§ ¤¤¤"])
def test_messages_without_known_features_fall_back(parse, text):
    assert parse(text)["intent"]["name"] == "nlu_fallback"


class _Tracker:
    def __init__(self, language, asking=None):
        self.slots = {"language": language, "requested_slot": asking}
        self.active_loop_name = "product_details_form" if asking else None

    def get_slot(self, name):
        return self.slots.get(name)


@pytest.mark.parametrize("current, text, asking, expected", [
    (None, "thanks", None, "en"),  # the first decided message sets the language
    ("lt", "thanks", None, None),  # one English word does not change a Lithuanian conversation
    ("lt", "How long does the approval take?", None, "en"),  # a clear English message does
    ("en", "How long does the approval take?", None, None),  # no change, no entity
    ("en", "ok", None, None),
    ("en", "Foto Centras Vilniuje", "dealer", None),  # a dealer's name is no change of language
    ("en", "Foto Centras Vilniuje", None, "lt"),
    ("en", "Pirkau Lietuvoje, Kaune", "country_of_purchase", "lt"),  # a sentence, not a name
])
def test_detector_applies_the_conversation_rule(current, text, asking, expected):
    from rasa.shared.nlu.training_data.message import Message

    from bot.rasa_ext.components import LanguageDetector

    message = Message(data={"text": text})
    LanguageDetector().process([message], _Tracker(current, asking))
    assert language_entities({"entities": message.get("entities")}).get("language") == expected
