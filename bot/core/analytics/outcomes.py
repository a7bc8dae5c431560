"""How a recorded session ended, one definition for the dashboard and the review (docs/analytics.md):

- `handed_over`: the assistant handed it to a person (whatever the customer said after);
- `not_helped`: not handed over, and the customer answered that the assistant did not help;
- `contained_confirmed`: not handed over, and the customer answered that it helped;
- `contained_assumed`: not handed over, and the customer left without saying.

Containment (resolved without a person) is the two `contained_*` together, kept apart in the figures.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, case

from bot.core.db.models import AnalyticsConversation
from bot.vocabulary import HELPED, NOT_HELPED

HANDED_OVER = "handed_over"
NOT_HELPED_OUTCOME = "not_helped"
CONTAINED_CONFIRMED = "contained_confirmed"
CONTAINED_ASSUMED = "contained_assumed"
OUTCOMES = (CONTAINED_CONFIRMED, CONTAINED_ASSUMED, NOT_HELPED_OUTCOME, HANDED_OVER)
CONTAINED = (CONTAINED_CONFIRMED, CONTAINED_ASSUMED)


def outcome_of(handoff_reason: str | None, satisfaction: str | None) -> str:
    """The outcome of a session from what was recorded (module docstring)."""
    if handoff_reason is not None:
        return HANDED_OVER
    if satisfaction == NOT_HELPED:
        return NOT_HELPED_OUTCOME
    return CONTAINED_CONFIRMED if satisfaction == HELPED else CONTAINED_ASSUMED


def outcome_column() -> ColumnElement[str]:
    """`outcome_of` as a SQL expression over analytics_conversations (to filter and group in the database)."""
    table = AnalyticsConversation
    return case(
        (table.handoff_reason.is_not(None), HANDED_OVER),
        (table.satisfaction == NOT_HELPED, NOT_HELPED_OUTCOME),
        (table.satisfaction == HELPED, CONTAINED_CONFIRMED),
        else_=CONTAINED_ASSUMED,
    )
