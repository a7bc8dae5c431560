"""What the assistant says when the customer's account cannot be read through the core: the general guidance
instead of the personal answer, with what the customer can do about it.

The ladder every account answer and every flow's start shares (actions/account.py, *_flow.py):
- anonymous (no or invalid token): the general guidance (or the caller's guidance for anonymous
  customers) and a hint to log in;
- the business account is not approved yet: only that;
- the thing asked for does not exist (no application submitted yet): the general guidance;
- the core cannot be reached or failed: the general guidance and a note that the account cannot be checked
  now.
"""

from __future__ import annotations

from typing import Sequence, Text

from rasa_sdk.executor import CollectingDispatcher

from actions.core_client import Anonymous, CoreError, Missing, NotApproved

LOGIN_HINT = "utter_login_hint"
NOT_APPROVED = "utter_my_account_not_approved"
ACCOUNT_UNAVAILABLE = "utter_account_unavailable"


def responses_without_account(error: CoreError, general: Sequence[Text],
                              anonymous: Sequence[Text] | None = None) -> list[Text]:
    """The responses for `error`: `general` is the caller's general guidance (one or more responses),
    `anonymous` the guidance for an anonymous customer when it is not the same."""
    if isinstance(error, Anonymous):
        return [*(general if anonymous is None else anonymous), LOGIN_HINT]
    if isinstance(error, NotApproved):
        return [NOT_APPROVED]
    if isinstance(error, Missing):
        return list(general)
    return [*general, ACCOUNT_UNAVAILABLE]


def answer_without_account(dispatcher: CollectingDispatcher, error: CoreError, general: Sequence[Text],
                           anonymous: Sequence[Text] | None = None) -> None:
    """Say the responses of `responses_without_account`."""
    for response in responses_without_account(error, general, anonymous):
        dispatcher.utter_message(response=response)
