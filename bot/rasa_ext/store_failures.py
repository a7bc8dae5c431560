"""A tracker store that fails makes the turn fail, instead of Rasa's silent stand-ins (issue 14).

Rasa 3.6 wraps every tracker store in `FailSafeTrackerStore`: a failed `save` writes the conversation into an
in-memory store of that process instead (kept there with the customer's token: Rasa's own `InMemoryTrackerStore`
redacts nothing; lost at the next retrieve from the real store), and a failed `retrieve` answers "no such
conversation", so the turn starts the conversation afresh and Rasa's HTTP API shows the core an empty tracker.
`apply()` makes both failures raise: the turn then fails as a whole and bot/rasa_ext/turn_failure.py answers
`utter_service_trouble` in the message's language (a reply already sent on a pushing channel stays sent; nothing
of the turn is stored, so the customer sends the message again); Rasa's HTTP API answers 500, which the core
retries. Each failure is logged as an error starting `degraded:`.
"""

from __future__ import annotations

import logging

from rasa.core.tracker_store import FailSafeTrackerStore

logger = logging.getLogger(__name__)


def raise_store_error(store: FailSafeTrackerStore, error: Exception) -> None:
    """Log the tracker store's failure and raise it again (called inside Rasa's `except`)."""
    logger.error("degraded: the tracker store %s failed (%s: %s); the turn fails instead of using Rasa's in-memory "
                 "stand-in.", type(store._tracker_store).__name__, type(error).__name__, error)
    raise error


def apply() -> None:
    """Make the tracker store's failures raise (idempotent)."""
    FailSafeTrackerStore.on_tracker_store_error = raise_store_error  # type: ignore[method-assign]
    FailSafeTrackerStore.on_tracker_store_retrieve_error = raise_store_error  # type: ignore[method-assign]
