"""Rasa's check of action-server responses, with the JSON-schema validator built once.

Rasa 3.6 checks every response of the action server against a JSON schema through `jsonschema.validate`, which
re-checks the schema itself and builds a new validator on every call: 56% of a Rasa worker's CPU on turns that call
the action server (py-spy, issue 13). `apply()` swaps in the same check (same schema, same error and message) with
a validator built once; our components module applies it when Rasa loads the pipeline.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any, Dict, Text

from jsonschema import ValidationError, validators
from jsonschema.exceptions import best_match
from rasa.core.actions.action import RemoteAction
from rasa.shared.constants import DOCS_BASE_URL


@lru_cache(maxsize=1)
def response_validator() -> Any:
    """The validator of Rasa's action response schema, its schema checked once."""
    schema = RemoteAction.action_response_format_spec()
    validator_class = validators.validator_for(schema)
    validator_class.check_schema(schema)
    return validator_class(schema)


def validate_action_result(_action: RemoteAction, result: Dict[Text, Any]) -> bool:
    """Rasa's `RemoteAction._validate_action_result`: True, or the schema's best-matching ValidationError with
    Rasa's hint appended."""
    error: ValidationError | None = best_match(response_validator().iter_errors(result))
    if error is None:
        return True
    error.message += (
        f". Failed to validate Action server response from API, "
        f"make sure your response from the Action endpoint is valid. "
        f"For more information about the format visit "
        f"{DOCS_BASE_URL}/custom-actions"
    )
    raise error


def apply() -> None:
    """Use the validator built once for every remote action (idempotent)."""
    RemoteAction._validate_action_result = validate_action_result  # type: ignore[method-assign]
