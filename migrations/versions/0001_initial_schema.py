"""Initial schema: customers, applications, registered and legacy products, memberships, orders.

Revision ID: 0001
Revises:
Create Date: 2026-11-25
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEXED = (
    ("applications", "customer_id"),
    ("legacy_products", "old_cps_email"),
    ("memberships", "customer_id"),
    ("registered_products", "customer_id"),
    ("orders", "customer_id"),
)


def _customer_fk(table: str, column: str = "customer_id") -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint([column], ["customers.id"], name=op.f(f"fk_{table}_{column}_customers"))


def _product_details() -> list[sa.Column]:
    return [
        sa.Column("model", sa.String(40), nullable=False),
        sa.Column("serial_number", sa.String(40), nullable=True),
        sa.Column("purchase_date", sa.Date(), nullable=True),
        sa.Column("country_of_purchase", sa.String(2), nullable=True),
        sa.Column("dealer", sa.String(120), nullable=True),
    ]


def upgrade() -> None:
    op.create_table(
        "customers",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("email", sa.String(254), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customers")),
    )
    op.create_table(
        "applications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.String(64), nullable=False),
        sa.Column("company", sa.String(200), nullable=False),
        sa.Column("country", sa.String(2), nullable=False),
        sa.Column("vat_registered", sa.Boolean(), nullable=False),
        sa.Column("documents", sa.JSON(), nullable=False),
        sa.Column("old_cps_email", sa.String(254), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expected_approval_date", sa.Date(), nullable=False),
        sa.Column("rejection_reason", sa.String(500), nullable=True),
        _customer_fk("applications"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_applications")),
    )
    op.create_table(
        "legacy_products",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("old_cps_email", sa.String(254), nullable=False),
        *_product_details(),
        sa.Column("migrated_to_customer_id", sa.String(64), nullable=True),
        _customer_fk("legacy_products", "migrated_to_customer_id"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_legacy_products")),
    )
    op.create_table(
        "memberships",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.String(64), nullable=False),
        sa.Column("tier", sa.String(20), nullable=False),
        sa.Column("number", sa.String(20), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        _customer_fk("memberships"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_memberships")),
        sa.UniqueConstraint("number", name=op.f("uq_memberships_number")),
    )
    op.create_table(
        "registered_products",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.String(64), nullable=False),
        *_product_details(),
        _customer_fk("registered_products"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_registered_products")),
    )
    op.create_table(
        "orders",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.String(64), nullable=False),
        sa.Column("idempotency_key", sa.String(100), nullable=False),
        sa.Column("tier", sa.String(20), nullable=False),
        sa.Column("payment_method", sa.String(20), nullable=False),
        sa.Column("annual_fee", sa.Numeric(precision=10, scale=2), nullable=False),
        sa.Column("invoice_issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("invoice_due_date", sa.Date(), nullable=False),
        sa.Column("membership_id", sa.Integer(), nullable=False),
        _customer_fk("orders"),
        sa.ForeignKeyConstraint(
            ["membership_id"], ["memberships.id"], name=op.f("fk_orders_membership_id_memberships")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_orders")),
        sa.UniqueConstraint("customer_id", "idempotency_key", name="uq_orders_customer_key"),
    )
    for table, column in INDEXED:
        op.create_index(op.f(f"ix_{table}_{column}"), table, [column], unique=False)


def downgrade() -> None:
    for table, column in INDEXED:
        op.drop_index(op.f(f"ix_{table}_{column}"), table_name=table)
    for table in (
        "orders",
        "registered_products",
        "memberships",
        "legacy_products",
        "applications",
        "customers",
    ):
        op.drop_table(table)
