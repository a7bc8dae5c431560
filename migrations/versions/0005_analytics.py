"""Analytics (docs/analytics.md): recorded sessions, customer messages and flow steps; the audit log; agents'
roles (an admin sees the analytics).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-05
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

Timestamp = sa.DateTime(timezone=True)
INDEXED = (("analytics_conversations", "conversation_id"), ("analytics_conversations", "started_at"),
           ("analytics_conversations", "customer_id"), ("analytics_turns", "conversation_ref"),
           ("analytics_turns", "at"), ("analytics_turns", "intent"), ("analytics_flow_steps", "conversation_ref"),
           ("analytics_flow_steps", "at"), ("audit_log", "at"))


def _session_ref() -> sa.Column:
    return sa.Column("conversation_ref", sa.Integer(), nullable=False)


def _session_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(["conversation_ref"], ["analytics_conversations.id"], ondelete="CASCADE",
                                   name=op.f(f"fk_{table}_conversation_ref_analytics_conversations"))


def upgrade() -> None:
    with op.batch_alter_table("agents") as batch:
        batch.add_column(sa.Column("role", sa.String(16), server_default="agent", nullable=False))
    op.create_table(
        "analytics_conversations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("conversation_id", sa.String(512), nullable=False),
        sa.Column("session_start", sa.Double(), nullable=False),
        sa.Column("started_at", Timestamp, nullable=False),
        sa.Column("last_event_at", Timestamp, nullable=False),
        sa.Column("channel", sa.String(32), nullable=False),
        sa.Column("language", sa.String(2), nullable=False),
        sa.Column("customer_id", sa.String(64), nullable=True),
        sa.Column("handoff_reason", sa.String(32), nullable=True),
        sa.Column("handed_over_at", Timestamp, nullable=True),
        sa.Column("satisfaction", sa.String(16), nullable=True),
        sa.Column("satisfaction_comment", sa.Text(), nullable=True),
        sa.Column("satisfaction_at", Timestamp, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_analytics_conversations")),
        sa.UniqueConstraint("conversation_id", "session_start", name="uq_analytics_conversations_session"),
    )
    op.create_table(
        "analytics_turns",
        sa.Column("id", sa.Integer(), nullable=False),
        _session_ref(),
        sa.Column("sender", sa.String(16), nullable=False),
        sa.Column("event_ts", sa.Double(), nullable=False),
        sa.Column("at", Timestamp, nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("intent", sa.String(100), nullable=True),
        sa.Column("confidence", sa.Double(), nullable=True),
        sa.Column("language", sa.String(2), nullable=False),
        sa.Column("fallback", sa.Boolean(), nullable=False),
        _session_fk("analytics_turns"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_analytics_turns")),
        sa.UniqueConstraint("conversation_ref", "sender", "event_ts", name="uq_analytics_turns_event"),
    )
    op.create_table(
        "analytics_flow_steps",
        sa.Column("id", sa.Integer(), nullable=False),
        _session_ref(),
        sa.Column("flow", sa.String(64), nullable=False),
        sa.Column("step", sa.String(64), nullable=False),
        sa.Column("event_ts", sa.Double(), nullable=False),
        sa.Column("at", Timestamp, nullable=False),
        _session_fk("analytics_flow_steps"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_analytics_flow_steps")),
        sa.UniqueConstraint("conversation_ref", "flow", "step", "event_ts", name="uq_analytics_flow_steps_event"),
    )
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", Timestamp, nullable=False),
        sa.Column("actor", sa.String(120), nullable=False),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("subject", sa.String(255), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
    )
    for table, column in INDEXED:
        op.create_index(op.f(f"ix_{table}_{column}"), table, [column], unique=False)


def downgrade() -> None:
    for table, column in INDEXED:
        op.drop_index(op.f(f"ix_{table}_{column}"), table_name=table)
    for table in ("audit_log", "analytics_flow_steps", "analytics_turns", "analytics_conversations"):
        op.drop_table(table)
    with op.batch_alter_table("agents") as batch:
        batch.drop_column("role")
