"""The analytics recorder's state between Rasa events (bot/core/analytics/recorder.py): each recorded session's
guided flow in progress, latest action and the handoff reason of the handover to come.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-05
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = (("flow", 64), ("last_action", 100), ("next_handoff_reason", 32))


def upgrade() -> None:
    with op.batch_alter_table("analytics_conversations") as batch:
        for name, length in COLUMNS:
            batch.add_column(sa.Column(name, sa.String(length), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("analytics_conversations") as batch:
        for name, _ in reversed(COLUMNS):
            batch.drop_column(name)
