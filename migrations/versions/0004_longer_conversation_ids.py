"""Conversation ids up to 512 characters (bot/conversation_ids.py), as long as a REST channel's senders.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-04
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("escalations", "fallback_messages")


def _resize(old: int, new: int) -> None:
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            batch.alter_column("conversation_id", existing_type=sa.String(old), type_=sa.String(new),
                               existing_nullable=False)


def upgrade() -> None:
    _resize(255, 512)


def downgrade() -> None:
    _resize(512, 255)
