"""The action-response check with the validator built once (bot/rasa_ext/action_validation.py) is Rasa's check."""

from __future__ import annotations

import jsonschema
import pytest
from rasa.core.actions.action import RemoteAction

from bot.rasa_ext import action_validation

VALID = [
    {"events": [], "responses": []},
    {"events": [{"event": "slot", "name": "language", "value": "lt"}],
     "responses": [{"response": "utter_greet", "buttons": []}]},
    {"events": [{"event": "followup", "name": "action_handoff"}, {"event": "pause"}]},
    {},
]
INVALID = [
    {"events": "not a list"},
    {"events": [{"name": "no event key"}]},
    {"events": [{"event": "slot"}]},
    {"events": [{"event": 42}]},
    {"responses": "text"},
]


@pytest.mark.parametrize("result", VALID)
def test_valid_responses_pass(result):
    jsonschema.validate(result, RemoteAction.action_response_format_spec())  # Rasa's own check agrees
    assert action_validation.validate_action_result(None, result) is True


@pytest.mark.parametrize("result", INVALID)
def test_invalid_responses_fail_as_in_rasa(result):
    with pytest.raises(jsonschema.ValidationError) as rasa_error:
        jsonschema.validate(result, RemoteAction.action_response_format_spec())
    with pytest.raises(jsonschema.ValidationError) as ours:
        action_validation.validate_action_result(None, result)
    assert ours.value.message.startswith(rasa_error.value.message)
    assert "Failed to validate Action server response from API" in ours.value.message
    assert list(ours.value.path) == list(rasa_error.value.path)


def test_the_validator_is_built_once():
    assert action_validation.response_validator() is action_validation.response_validator()


def test_loading_our_components_applies_it_to_every_remote_action():
    import bot.rasa_ext.components  # noqa: F401  (Rasa imports it with the pipeline)

    assert RemoteAction._validate_action_result is action_validation.validate_action_result
