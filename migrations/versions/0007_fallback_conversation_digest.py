"""The fallback log finds its entries of a conversation by the id's SHA-256 (bot/conversation_ids.py
`conversation_digest`): it keeps the id redacted (a WhatsApp id is a phone number), so an erasure or the review
could not find them by id.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-05
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("fallback_messages") as batch:
        batch.add_column(sa.Column("conversation_digest", sa.String(64), nullable=True))
    op.create_index(op.f("ix_fallback_messages_conversation_digest"), "fallback_messages", ["conversation_digest"],
                    unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_fallback_messages_conversation_digest"), table_name="fallback_messages")
    with op.batch_alter_table("fallback_messages") as batch:
        batch.drop_column("conversation_digest")
