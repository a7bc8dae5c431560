"""The page-language hint in the message metadata (the support page's widget sends `{"language": "lt"|"en"}`):
it decides only the first undecided message of a conversation that has no language yet."""

from __future__ import annotations

import pytest

from bot.rasa_ext.language_detection import Detection, hinted_language, next_language

UNDECIDED, WEAK_LT, CLEAR_LT, WEAK_EN, CLEAR_EN = (
    Detection(None), Detection("lt", 1), Detection("lt", 3), Detection("en", 1), Detection("en", 3)
)


@pytest.mark.parametrize(
    "current, detection, hint, expected",
    [
        (None, UNDECIDED, "en", "en"),  # "?", "CPS 500" on the English page of a new conversation
        (None, UNDECIDED, "lt", "lt"),
        (None, UNDECIDED, None, None),  # no hint: still undecided
        (None, UNDECIDED, "de", None),  # not a language of ours
        ("lt", UNDECIDED, "en", "lt"),  # the conversation has a language: the page does not change it
        ("en", UNDECIDED, "lt", "en"),
        (None, WEAK_LT, "en", "lt"),  # what the customer writes wins over the page
        (None, CLEAR_LT, "en", "lt"),
        (None, WEAK_EN, "lt", "en"),
        ("lt", WEAK_EN, "en", "lt"),  # "thanks" on the English page keeps a Lithuanian conversation
        ("lt", CLEAR_EN, "lt", "en"),  # a clear English message switches, whatever the page says
        ("en", CLEAR_LT, "en", "lt"),
    ],
)
def test_hint_counts_only_without_a_language_and_for_an_undecided_message(current, detection, hint, expected):
    assert next_language(current, detection, hint) == expected


def test_without_a_hint_the_rule_is_unchanged():
    assert next_language(None, UNDECIDED) is None
    assert next_language("lt", WEAK_EN) == "lt"
    assert next_language(None, WEAK_EN) == "en"


@pytest.mark.parametrize(
    "metadata, expected",
    [
        ({"language": "en"}, "en"),
        ({"language": "lt", "customer_token": "x"}, "lt"),
        ({"language": " EN "}, "en"),
        ({"language": "de"}, None),
        ({"language": ["en"]}, None),
        ({"language": None}, None),
        ({}, None),
        (None, None),
        ("en", None),
        ([("language", "en")], None),
    ],
)
def test_hinted_language_reads_only_a_valid_language(metadata, expected):
    assert hinted_language(metadata) == expected


class _Tracker:
    active_loop_name = None  # no form asks anything

    def __init__(self, language):
        self.language = language

    def get_slot(self, name):
        return self.language if name == "language" else None


@pytest.mark.parametrize(
    "current, text, metadata, expected",
    [
        (None, "?", {"language": "en"}, "en"),
        (None, "CPS 500", {"language": "lt"}, "lt"),
        (None, "?", {}, None),
        ("lt", "?", {"language": "en"}, None),  # no change, no entity
        (None, "Kaip užsiregistruoti?", {"language": "en"}, "lt"),
        (None, "/greet", {"language": "en"}, None),  # commands are not language
    ],
)
def test_detector_uses_the_metadata_hint(current, text, metadata, expected):
    from rasa.shared.nlu.training_data.message import Message

    from bot.rasa_ext.components import LanguageDetector

    message = Message(data={"text": text, "metadata": metadata})
    LanguageDetector().process([message], _Tracker(current))
    found = {e["entity"]: e["value"] for e in message.get("entities") or [] if e.get("extractor") == "LanguageDetector"}
    assert found.get("language") == expected
